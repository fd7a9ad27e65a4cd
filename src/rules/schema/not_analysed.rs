//! SCHEMA009 not-analysed: Helm, kustomize or kpt manifests are not analysed; container checks are skipped for them. Emitted by the engine while loading.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SCHEMA009",
    name: "not-analysed",
    severity: Severity::Info,
    fix: FixAvailability::None,
    summary:
        "Helm, kustomize or kpt manifests are not analysed; container checks are skipped for them.",
    check: Check::Engine,
    doc: include_str!("../../../rules/SCHEMA009.md"),
};
