//! PROBE005 hook-stops-server: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE005",
    name: "hook-stops-server",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A sync hook's signal ends the server process and nothing starts it again, while the pod still shows Running.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE005.md"),
};
