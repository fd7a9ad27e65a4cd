//! PROBE008 synced-files-differ: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE008",
    name: "synced-files-differ",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "Files in the container differ from the local files the sync rules map to them, or are missing.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE008.md"),
};
