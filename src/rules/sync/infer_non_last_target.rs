//! SYNC001 infer-non-last-target: `sync.infer` with a `docker.target` that is not the last
//! stage. Skaffold builds the target but derives the infer sync map from the last stage of the
//! file, so syncs go to the wrong paths or turn into rebuilds (issues #6524, #3136).

use super::to_manual::{replace_with_manual, Layout};
use super::Watched;
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::Artifact;
use crate::skaffold::model::{Builder, SyncMode};
use crate::skaffold::tree::Val;

pub static RULE: Rule = Rule {
    code: "SYNC001",
    name: "infer-non-last-target",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
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
        let fix = manual_rules_fix(pipeline, artifact, view);
        let mut d = pipeline
                .at(&RULE, target.origin, format!(
                    "`target: {}` builds stage {}, but `sync.infer` reads only the last stage of the Dockerfile ({}); Skaffold ignores `docker.target` for infer, so changed files are mapped from the wrong stage or rebuilt instead of synced",
                    target.value,
                    super::stage_label(stage),
                    super::stage_label(last)
                ))
                .with_artifact(&artifact.image.value)
                .with_related(pipeline.path(infer_at.file), infer_at.span, "infer sync configured here")
                .with_help("use `sync.manual` rules whose `dest` is where the target stage's COPY puts the files");
        if let Some(fix) = fix {
            d = d.with_fix(fix);
        }
        out.push(d);
    }
}

/// Manual rules equivalent to the infer patterns for the target stage: each pattern's files
/// are put exactly where the target stage's image has them. The `infer:` entry is replaced.
fn manual_rules_fix(
    pipeline: &Pipeline,
    artifact: &Artifact,
    view: &crate::project::ArtifactView,
) -> Option<Fix> {
    let built = BuiltImage::of(artifact, view)?;
    let watched = Watched::of(view, built.dockerfile, &built.build_args)?;
    let layout = Layout::of(&built, &watched)?;
    let infer = pipeline
        .tree
        .path(&["build", "artifacts"])
        .map(Val::items)?
        .get(artifact.index)?
        .path(&["sync", "infer"])?;
    let rules = infer
        .items()
        .iter()
        .map(|p| layout.rule_for(p.as_str()?))
        .collect::<Option<Vec<_>>>()?;
    replace_with_manual(
        pipeline,
        infer,
        &rules,
        "replace `infer` with `manual` rules matching the target stage's COPY",
    )
}
