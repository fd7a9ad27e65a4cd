//! PROBE002 server-not-reloading: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE002",
    name: "server-not-reloading",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "Files are synced into the pod, but its server does not reload them (no reload mode, or synced directories not watched).",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE002.md"),
};
