//! PROBE011 traffic-intercepted: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE011",
    name: "traffic-intercepted",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A Telepresence traffic agent in the pod sends intercepted requests to a workstation, not to this container.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE011.md"),
};
