//! PROBE016 pod-gone: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE016",
    name: "pod-gone",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "The pod disappeared while it was being probed.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE016.md"),
};
