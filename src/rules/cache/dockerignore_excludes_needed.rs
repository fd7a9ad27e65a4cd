//! CACHE004 dockerignore-excludes-needed: a `.dockerignore` pattern that excludes what a COPY
//! source names (the build then fails with "not found") or every copied file a manual sync
//! rule or infer pattern matches (Skaffold does not watch ignored files, so the rule never fires).

use crate::diagnostic::{Diagnostic, Severity};
use crate::dockerfile::ignore::{DockerIgnore, IgnorePattern};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::sync::Watched;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;
use crate::source::Span;

pub static RULE: Rule = Rule {
    code: "CACHE004",
    name: "dockerignore-excludes-needed",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "`.dockerignore` excludes files a COPY source, a manual sync rule or an infer pattern needs.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/CACHE004.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(ignore) = &view.dockerignore else {
            continue;
        };
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        let Some(watched) = Watched::of(view, built.dockerfile, &built.build_args) else {
            continue;
        };
        let ignore_path = pipeline.path(ignore.file);
        let dockerfile_path = pipeline.path(built.dockerfile_file);
        let mut reported: Vec<Span> = Vec::new();
        let mut report = |d: Diagnostic, span: Span, out: &mut Vec<Diagnostic>| {
            if !reported.contains(&span) {
                reported.push(span);
                out.push(d);
            }
        };
        // COPY sources named literally whose every file is left out of the context.
        let built_stages = super::build_arg_not_declared::build_set(
            built.dockerfile,
            built.stage.index,
            &built.build_args,
        );
        for copy in watched
            .copies
            .iter()
            .filter(|c| !c.wildcard && c.source != "." && built_stages[c.stage])
        {
            let under: Vec<usize> = (0..watched.files.len())
                .filter(|&i| copy.covers(&watched.files[i]).is_some())
                .collect();
            let Some((first, pattern)) = all_excluded(&watched, &ignore.parsed, &under) else {
                continue;
            };
            let instruction = &built.dockerfile.instructions[copy.instruction];
            let d = RULE
                .diagnostic(ignore_path.clone(), pattern.span, format!(
                    "`{}` excludes `{}`{}, which a {} of the Dockerfile copies; it is not sent to the builder, so the build fails with \"not found\"",
                    pattern.pattern,
                    copy.source,
                    if watched.files[first] != copy.source { " and every file in it" } else { "" },
                    instruction.keyword
                ))
                .with_artifact(&artifact.image.value)
                .with_related(dockerfile_path.clone(), instruction.span, "copied here")
                .with_help(format!("remove the pattern or add an exception `!{}` after it", copy.source));
            report(d, pattern.span, out);
        }
        // Infer patterns: Skaffold builds the infer map from the COPY sources walked through
        // `.dockerignore` (`pkg/skaffold/docker/syncmap.go`, walkWorkspaceWithDestinations), so
        // an excluded file is neither watched nor in the map.
        let infer = artifact
            .sync
            .as_ref()
            .filter(|s| matches!(s.mode, SyncMode::Infer(_)))
            .map(|s| match &s.mode {
                SyncMode::Infer(patterns) => patterns.clone(),
                _ => Vec::new(),
            })
            .unwrap_or_default();
        for infer_pattern in &infer {
            let Some(matched) = watched.matching(&infer_pattern.value) else {
                continue;
            };
            let copied: Vec<usize> = matched
                .into_iter()
                .filter(|&i| watched.covered[i])
                .collect();
            let Some((first, pattern)) = all_excluded(&watched, &ignore.parsed, &copied) else {
                continue;
            };
            let d = RULE
                .diagnostic(ignore_path.clone(), pattern.span, format!(
                    "`{}` excludes every copied file that infer pattern `{}` matches (e.g. `{}`); Skaffold neither watches ignored files nor puts them in the inferred sync map, so they are never synced",
                    pattern.pattern, infer_pattern.value, watched.files[first]
                ))
                .with_artifact(&artifact.image.value)
                .with_related(pipeline.path(infer_pattern.origin.file), infer_pattern.origin.span, "infer pattern")
                .with_help("remove the pattern or add an exception (`!path`) for the synced files");
            report(d, pattern.span, out);
        }
        let Some(SyncMode::Manual(rules)) = artifact.sync.as_ref().map(|s| &s.mode) else {
            continue;
        };
        for rule in rules {
            let Some(matched) = watched.matching(&rule.src.value) else {
                continue;
            };
            let copied: Vec<usize> = matched
                .into_iter()
                .filter(|&i| watched.covered[i])
                .collect();
            let Some((first, pattern)) = all_excluded(&watched, &ignore.parsed, &copied) else {
                continue;
            };
            let d = RULE
                .diagnostic(ignore_path.clone(), pattern.span, format!(
                    "`{}` excludes every copied file that sync rule `{}` matches (e.g. `{}`); Skaffold does not watch ignored files, so the rule never fires",
                    pattern.pattern, rule.src.value, watched.files[first]
                ))
                .with_artifact(&artifact.image.value)
                .with_related(pipeline.path(rule.src.origin.file), rule.src.origin.span, "sync rule")
                .with_help("remove the pattern or add an exception (`!path`) for the synced files");
            report(d, pattern.span, out);
        }
    }
}

/// The first of `files` (indices into the context listing) and the `.dockerignore` pattern
/// that decides its exclusion, when every one of them is excluded; `None` when there are none
/// or some of them reaches the builder.
fn all_excluded<'a>(
    watched: &Watched,
    ignore: &'a DockerIgnore,
    files: &[usize],
) -> Option<(usize, &'a IgnorePattern)> {
    let &first = files.first()?;
    if !files.iter().all(|&i| watched.ignored[i]) {
        return None;
    }
    Some((first, ignore.deciding_pattern(&watched.files[first])?))
}
