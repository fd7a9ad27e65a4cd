//! SCHEMA001 parse-error: A config, Dockerfile or manifest cannot be read or parsed. Emitted by the engine while loading.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SCHEMA001",
    name: "parse-error",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A config, Dockerfile or manifest cannot be read or parsed.",
    check: Check::Engine,
    doc: include_str!("../../../rules/SCHEMA001.md"),
};
