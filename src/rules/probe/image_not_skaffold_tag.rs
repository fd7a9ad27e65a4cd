//! PROBE014 image-not-skaffold-tag: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE014",
    name: "image-not-skaffold-tag",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "The pod runs an image string other than the tag Skaffold built, so Skaffold does not sync into it.",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE014.md"),
};
