//! PROBE015 cannot-list-processes: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE015",
    name: "cannot-list-processes",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "The container has no python3, sh or ps, so its processes cannot be listed and nothing about them is known.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE015.md"),
};
