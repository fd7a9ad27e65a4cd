//! PROBE017 hook-kills-itself: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE017",
    name: "hook-kills-itself",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A `sh -c '... pkill -f PATTERN'` hook's pattern matches the hook's own shell, which pkill then kills.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE017.md"),
};
