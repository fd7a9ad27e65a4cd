//! SCHEMA007 missing-file: A Dockerfile, manifest or required config the project names does not exist. Emitted by the engine while loading.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SCHEMA007",
    name: "missing-file",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A Dockerfile, manifest or required config the project names does not exist.",
    check: Check::Engine,
    doc: include_str!("../../../rules/SCHEMA007.md"),
};
