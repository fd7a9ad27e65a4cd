//! SYNC005 strip-not-prefix: a manual sync rule whose `strip` is not a prefix of its `src`.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;

pub static RULE: Rule = Rule {
    code: "SYNC005",
    name: "strip-not-prefix",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary:
        "A manual sync rule's `strip` is not a prefix of its `src`; Skaffold rejects the config.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC005.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for artifact in &pipeline.model.artifacts {
        let Some(SyncMode::Manual(rules)) = artifact.sync.as_ref().map(|s| &s.mode) else {
            continue;
        };
        for rule in rules {
            let Some(strip) = &rule.strip else { continue };
            if !rule.src.value.starts_with(&strip.value) {
                out.push(
                    pipeline
                        .at(&RULE, strip.origin, format!(
                            "`strip: {}` is not a prefix of `src: {}`; Skaffold's validation rejects this rule",
                            strip.value, rule.src.value
                        ))
                        .with_artifact(&artifact.image.value)
                        .with_help("make `strip` the leading part of `src` that should not appear under `dest`, e.g. `src: app/**/*.py` with `strip: app/`"),
                );
            }
        }
    }
}
