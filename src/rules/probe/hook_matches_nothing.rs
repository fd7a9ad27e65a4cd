//! PROBE018 hook-matches-nothing: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE018",
    name: "hook-matches-nothing",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A sync hook signals a PID or name that no process in the container has, so it exits non-zero.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE018.md"),
};
