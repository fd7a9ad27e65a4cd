//! SCHEMA006 duplicate-key: A mapping repeats a key; Skaffold rejects the file. Emitted by the engine while loading.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SCHEMA006",
    name: "duplicate-key",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A mapping repeats a key; Skaffold rejects the file.",
    check: Check::Engine,
    doc: include_str!("../../../rules/SCHEMA006.md"),
};
