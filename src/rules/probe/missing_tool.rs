//! PROBE007 missing-tool: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE007",
    name: "missing-tool",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "The image lacks a program that sync (tar) or a sync hook (sh, pkill, ps, ...) runs.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE007.md"),
};
