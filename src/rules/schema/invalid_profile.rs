//! SCHEMA008 invalid-profile: A profile patch whose path does not exist; Skaffold aborts when the profile is active. Emitted by the engine while loading.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SCHEMA008",
    name: "invalid-profile",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary:
        "A profile patch whose path does not exist; Skaffold aborts when the profile is active.",
    check: Check::Engine,
    doc: include_str!("../../../rules/SCHEMA008.md"),
};
