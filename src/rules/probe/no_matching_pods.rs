//! PROBE001 no-matching-pods: a live-probe finding, made by `skafix probe` from what runs in the pod
//! (see `crate::probe`); the static engine never reports it.

use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROBE001",
    name: "no-matching-pods",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "No running container in the namespace uses the artifact's image, so nothing is probed (and Skaffold syncs nowhere).",
    check: Check::Probe,
    doc: include_str!("../../../rules/PROBE001.md"),
};
