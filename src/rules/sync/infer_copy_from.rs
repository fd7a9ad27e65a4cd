//! SYNC002 infer-copy-from: an infer pattern whose files reach the final image only through
//! another stage (`COPY --from`, or a COPY in a parent stage). Infer maps only the COPY/ADD of
//! the last stage of the file, so those files are never synced: every change rebuilds.

use super::to_manual::{replace_with_manual, Layout};
use super::Watched;
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::{Artifact, Spanned, SyncMode};
use crate::skaffold::tree::Val;

pub static RULE: Rule = Rule {
    code: "SYNC002",
    name: "infer-copy-from",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary: "An infer pattern matches only files the last stage does not COPY itself (they come via COPY --from): they are never synced.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC002.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let patterns: Vec<Spanned<String>> = match &sync.mode {
            SyncMode::Infer(patterns) => patterns.clone(),
            // `sync: {}` (or only hooks) means `infer: ["**/*"]`.
            SyncMode::DefaultInfer => vec![Spanned {
                value: "**/*".into(),
                origin: crate::skaffold::tree::Origin {
                    span: sync.origin.key_span.unwrap_or(sync.origin.span),
                    ..sync.origin
                },
            }],
            _ => continue,
        };
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        let Some(last) = built.dockerfile.stages.last() else {
            continue;
        };
        // A non-last target is SYNC001's finding.
        if built.stage.index != last.index {
            continue;
        }
        let Some(watched) = Watched::of(view, built.dockerfile, &built.build_args) else {
            continue;
        };
        // Derived once per artifact, and only when a pattern is reported.
        let mut fix: Option<Option<Fix>> = None;
        for pattern in &patterns {
            let Some(matched) = watched.matching(&pattern.value) else {
                continue;
            };
            let in_context: Vec<usize> = matched
                .into_iter()
                .filter(|&i| watched.is_watched(i))
                .collect();
            let Some(&first) = in_context.first() else {
                continue;
            };
            let in_last = in_context.iter().any(|&i| {
                watched
                    .copies
                    .iter()
                    .any(|c| c.stage == last.index && c.covers(&watched.files[i]).is_some())
            });
            if in_last {
                continue;
            }
            let file = &watched.files[first];
            let via = watched
                .copies
                .iter()
                .find(|c| c.covers(file).is_some())
                .and_then(|c| built.dockerfile.stages.get(c.stage))
                .map(super::stage_label)
                .unwrap_or_default();
            let mut d = pipeline
                    .at(&RULE, pattern.origin, format!(
                        "no file matching `{}` is copied by the last stage {} itself (e.g. `{file}` is copied in stage {via}); infer maps only the last stage's own COPY/ADD, so these changes are rebuilt, never synced",
                        pattern.value,
                        super::stage_label(last)
                    ))
                    .with_artifact(&artifact.image.value)
                    .with_help("use `sync.manual` rules whose `dest` is where the final image has these files, or copy them in the last stage");
            let fix = fix.get_or_insert_with(|| {
                matches!(sync.mode, SyncMode::Infer(_))
                    .then(|| manual_rules_fix(pipeline, artifact, &built, &watched))
                    .flatten()
            });
            if let Some(fix) = fix {
                d = d.with_fix(fix.clone());
            }
            out.push(d);
        }
    }
}

/// Manual rules that put every file of every infer pattern where the final image has it
/// (whether its own COPY or a `COPY --from` brought it there); the `infer:` entry is replaced.
fn manual_rules_fix(
    pipeline: &Pipeline,
    artifact: &Artifact,
    built: &BuiltImage,
    watched: &Watched,
) -> Option<Fix> {
    let infer = pipeline
        .tree
        .path(&["build", "artifacts"])
        .map(Val::items)?
        .get(artifact.index)?
        .path(&["sync", "infer"])?;
    let layout = Layout::of(built, watched)?;
    let rules = infer
        .items()
        .iter()
        .map(|p| layout.rule_for(p.as_str()?))
        .collect::<Option<Vec<_>>>()?;
    replace_with_manual(
        pipeline,
        infer,
        &rules,
        "replace `infer` with `manual` rules for where the final image has the files",
    )
}
