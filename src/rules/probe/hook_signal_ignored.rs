//! PROBE003 hook-signal-ignored: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE003",
    name: "hook-signal-ignored",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A sync hook signals PID 1, which has no handler for that signal: the kernel drops it and the hook does nothing.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE003.md"),
};
