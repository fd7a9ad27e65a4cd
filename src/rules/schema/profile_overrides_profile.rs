//! SCHEMA012 auto-profile-overridden: two profiles activated automatically for the same
//! command where the later one replaces a field the earlier one set. Emitted by the engine
//! while it evaluates profiles.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SCHEMA012",
    name: "auto-profile-overridden",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary:
        "Two auto-activated profiles where the later one replaces a field the earlier one set.",
    check: Check::Engine,
    doc: include_str!("../../../rules/SCHEMA012.md"),
};
