//! SYNC006 auto-unsupported: `sync.auto` on a builder that has no auto sync, which makes
//! Skaffold drop every change silently (neither sync nor rebuild).

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::{Builder, SyncMode};

pub static RULE: Rule = Rule {
    code: "SYNC006",
    name: "auto-unsupported",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "`sync.auto` on a builder without auto sync: changes are dropped, neither synced nor rebuilt.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC006.md"),
};

/// Builders with auto sync (`pkg/skaffold/sync/sync.go`, `autoSyncItem`).
const AUTO_BUILDERS: &[&str] = &["jib", "buildpacks"];

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for artifact in &pipeline.model.artifacts {
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
        out.push(
            pipeline
                .at_key(&RULE, origin, format!(
                    "`sync.auto` is not supported by the {builder} builder: Skaffold logs \"Auto is not supported\" and drops each change, so nothing is synced or rebuilt"
                ))
                .with_artifact(&artifact.image.value)
                .with_help("replace `auto` with `manual` rules (src, dest) matching the Dockerfile's COPY instructions, or `infer` for a single-stage Dockerfile"),
        );
    }
}
