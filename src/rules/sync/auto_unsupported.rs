//! SYNC006 auto-unsupported: `sync.auto` on a builder that has no auto sync, which makes
//! Skaffold drop every change silently (neither sync nor rebuild).

use super::to_manual::{replace_with_manual, Layout};
use super::Watched;
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::{ArtifactView, Pipeline};
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::{Artifact, Builder, SyncMode};
use crate::skaffold::tree::Val;

pub static RULE: Rule = Rule {
    code: "SYNC006",
    name: "auto-unsupported",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary: "`sync.auto` on a builder without auto sync: changes are dropped, neither synced nor rebuilt.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC006.md"),
};

/// Builders with auto sync (`pkg/skaffold/sync/sync.go`, `autoSyncItem`).
const AUTO_BUILDERS: &[&str] = &["jib", "buildpacks"];

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let SyncMode::Auto(origin) = sync.mode else {
            continue;
        };
        let builder = match &artifact.builder {
            Builder::Dockerfile(d) => d.kind.to_string(),
            Builder::Other(kind) if AUTO_BUILDERS.contains(&kind.value.as_str()) => continue,
            Builder::Other(kind) => kind.value.clone(),
        };
        // `sync: {}` on a non-Dockerfile builder is Skaffold's own default, not the user's choice.
        if origin == sync.origin && !matches!(artifact.builder, Builder::Dockerfile(_)) {
            continue;
        }
        let mut d = pipeline
                .at_key(&RULE, origin, format!(
                    "`sync.auto` is not supported by the {builder} builder: Skaffold logs \"Auto is not supported\" and drops each change, so nothing is synced or rebuilt"
                ))
                .with_artifact(&artifact.image.value)
                .with_help("replace `auto` with `manual` rules (src, dest) matching the Dockerfile's COPY instructions, or `infer` for a single-stage Dockerfile");
        if let Some(fix) = manual_rules_fix(pipeline, artifact, view) {
            d = d.with_fix(fix);
        }
        out.push(d);
    }
}

/// For a Dockerfile builder: one manual rule per COPY whose files the built image holds, each
/// putting them exactly where that COPY (or a `COPY --from` of its stage) does; the `auto:`
/// entry is replaced.
fn manual_rules_fix(pipeline: &Pipeline, artifact: &Artifact, view: &ArtifactView) -> Option<Fix> {
    let built = BuiltImage::of(artifact, view)?;
    let watched = Watched::of(view, built.dockerfile, &built.build_args)?;
    let rules = Layout::of(&built, &watched)?.rules_for_copies();
    let auto = pipeline
        .tree
        .path(&["build", "artifacts"])
        .map(Val::items)?
        .get(artifact.index)?
        .path(&["sync", "auto"])?;
    replace_with_manual(
        pipeline,
        auto,
        &rules,
        "replace `auto` with `manual` rules matching the Dockerfile's COPY instructions",
    )
}
