//! PROBE006 hook-keeps-old-code: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE006",
    name: "hook-keeps-old-code",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A sync hook's HUP replaces gunicorn's workers, but with --preload they keep the code loaded in the master.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE006.md"),
};
