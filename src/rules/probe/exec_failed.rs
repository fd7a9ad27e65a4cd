//! PROBE019 exec-failed: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE019",
    name: "exec-failed",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A read-only command run in the container failed or timed out; the facts it would give are missing.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE019.md"),
};
