//! SCHEMA009 not-analysed: manifests that could not be rendered or seen (tool missing, render error, remote input, kpt, rendering off), and build contexts too large to list; the checks that need them are skipped. Emitted by the engine.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SCHEMA009",
    name: "not-analysed",
    severity: Severity::Info,
    fix: FixAvailability::None,
    summary:
        "Manifests skafix could not render or see (tool missing, render error, remote chart, kpt, rendering off) and build contexts too large to list; the checks that need them are skipped.",
    check: Check::Engine,
    doc: include_str!("../../../rules/SCHEMA009.md"),
};
