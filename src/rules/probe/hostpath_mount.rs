//! PROBE013 hostpath-mount: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE013",
    name: "hostpath-mount",
    severity: Severity::Info,
    fix: FixAvailability::None,
    summary: "A hostPath volume is mounted in the container; over a sync destination, synced files land on the node.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE013.md"),
};
