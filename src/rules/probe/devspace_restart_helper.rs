//! PROBE012 devspace-restart-helper: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE012",
    name: "devspace-restart-helper",
    severity: Severity::Info,
    fix: FixAvailability::None,
    summary:
        "A DevSpace restart helper is in the pod; DevSpace, not Skaffold, may restart the process.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE012.md"),
};
