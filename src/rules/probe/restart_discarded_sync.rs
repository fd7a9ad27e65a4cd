//! PROBE010 restart-discarded-sync: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE010",
    name: "restart-discarded-sync",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "The container restarted; a restart starts from the image and discards every file synced before it.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE010.md"),
};
