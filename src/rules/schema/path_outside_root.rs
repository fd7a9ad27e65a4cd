//! SCHEMA011 path-outside-root: A path in the project leads outside the checked project, so it is not read. Emitted by the engine while loading.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SCHEMA011",
    name: "path-outside-root",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A path in the project leads outside the checked project, so it is not read.",
    check: Check::Engine,
    doc: include_str!("../../../rules/SCHEMA011.md"),
};
