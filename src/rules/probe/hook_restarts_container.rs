//! PROBE004 hook-restarts-container: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE004",
    name: "hook-restarts-container",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A sync hook's signal makes PID 1 exit: the container restarts from the image and the synced files are lost.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE004.md"),
};
