//! SYNC007 synced-artifact-required: an artifact with sync that another artifact requires;
//! Skaffold ignores its sync and rebuilds instead.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SYNC007",
    name: "synced-artifact-required",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A synced artifact is another artifact's dependency (`requires`); Skaffold ignores its sync.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC007.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for artifact in &pipeline.model.artifacts {
        let Some(sync) = &artifact.sync else { continue };
        let dependant = pipeline.model.artifacts.iter().find_map(|other| {
            other
                .requires
                .iter()
                .find(|r| r.value == artifact.image.value)
                .map(|r| (other, r))
        });
        let Some((other, requirement)) = dependant else {
            continue;
        };
        out.push(
            pipeline
                .at_key(&RULE, sync.origin, format!(
                    "`{}` is required by artifact `{}`, so Skaffold ignores its sync rules (\"Ignoring sync rules for image ... as it is being used as a required artifact\") and rebuilds on every change",
                    artifact.image.value, other.image.value
                ))
                .with_artifact(&artifact.image.value)
                .with_related(pipeline.path(requirement.origin.file), requirement.origin.span, "required here")
                .with_help("move the sync rules to the artifact that is deployed, or drop the dependency"),
        );
    }
}
