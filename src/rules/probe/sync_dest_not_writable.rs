//! PROBE009 sync-dest-not-writable: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE009",
    name: "sync-dest-not-writable",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "The container's user cannot write a sync destination, so syncing there fails.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE009.md"),
};
