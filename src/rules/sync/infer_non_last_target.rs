//! SYNC001 infer-non-last-target: `sync.infer` with a `docker.target` that is not the last
//! stage. Skaffold builds the target but derives the infer sync map from the last stage of the
//! file, so syncs go to the wrong paths or turn into rebuilds (issues #6524, #3136).

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::{Builder, SyncMode};

pub static RULE: Rule = Rule {
    code: "SYNC001",
    name: "infer-non-last-target",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "`sync.infer` with a `docker.target` that is not the last stage: infer reads the last stage, not the target.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC001.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let infer_at = match &sync.mode {
            SyncMode::Infer(patterns) => patterns.first().map_or(sync.origin, |p| p.origin),
            SyncMode::DefaultInfer => sync.origin,
            _ => continue,
        };
        let Builder::Dockerfile(docker) = &artifact.builder else {
            continue;
        };
        let Some(target) = &docker.target else {
            continue;
        };
        let Some(dockerfile) = &view.dockerfile else {
            continue;
        };
        let parsed = &dockerfile.parsed;
        let Some(stage) = parsed.target_stage(Some(&target.value)) else {
            continue;
        };
        let Some(last) = parsed.stages.last() else {
            continue;
        };
        if stage.index == last.index {
            continue;
        }
        out.push(
            pipeline
                .at(&RULE, target.origin, format!(
                    "`target: {}` builds stage `{}`, but `sync.infer` reads only the last stage of the Dockerfile (`{}`); Skaffold ignores `docker.target` for infer, so changed files are mapped from the wrong stage or rebuilt instead of synced",
                    target.value,
                    stage.reference(),
                    last.reference()
                ))
                .with_artifact(&artifact.image.value)
                .with_related(pipeline.path(infer_at.file), infer_at.span, "infer sync configured here")
                .with_help("use `sync.manual` rules whose `dest` is where the target stage's COPY puts the files"),
        );
    }
}
