//! SYNC003 sync-rule-never-fires: a manual sync rule whose `src` matches files that Skaffold
//! does not watch (no COPY/ADD of any stage covers them, or `.dockerignore` leaves them out),
//! so a change to them produces no event and the rule never syncs anything.

use super::Watched;
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;

pub static RULE: Rule = Rule {
    code: "SYNC003",
    name: "sync-rule-never-fires",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A manual sync rule matches only files that no COPY/ADD brings into the image (or .dockerignore excludes): it never fires.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC003.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(SyncMode::Manual(rules)) = artifact.sync.as_ref().map(|s| &s.mode) else {
            continue;
        };
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        let Some(watched) = Watched::of(view, built.dockerfile, &built.build_args) else {
            continue;
        };
        let dockerfile_rel = view
            .dockerfile
            .as_ref()
            .and_then(|d| d.path.strip_prefix(&view.context_dir).ok())
            .map(|p| p.to_string_lossy().replace('\\', "/"));
        for rule in rules {
            let Some(matched) = watched.matching(&rule.src.value) else {
                continue;
            };
            // Nothing on disk matches: the tree may be partial, so nothing is provable.
            let Some(&first) = matched.first() else {
                continue;
            };
            if matched.iter().any(|&i| {
                watched.is_watched(i) || Some(&watched.files[i]) == dockerfile_rel.as_ref()
            }) {
                continue;
            }
            let example = &watched.files[first];
            let dockerfile = &built.docker.dockerfile.value;
            let ignored = matched.iter().find(|&&i| watched.covered[i]);
            let uncopied = matched.iter().find(|&&i| !watched.covered[i]);
            let message = match (ignored, uncopied) {
                (Some(&ignored), None) => format!(
                    "every file `{}` matches is excluded by .dockerignore (e.g. `{}`), so Skaffold does not watch it and this sync rule never fires",
                    rule.src.value, watched.files[ignored]
                ),
                (Some(&ignored), Some(&uncopied)) => format!(
                    "the files `{}` matches are either copied by no COPY/ADD in `{dockerfile}` (e.g. `{}`) or excluded by .dockerignore (e.g. `{}`), so Skaffold watches none of them and this sync rule never fires",
                    rule.src.value, watched.files[uncopied], watched.files[ignored]
                ),
                _ => format!(
                    "no COPY/ADD in `{dockerfile}` copies the files `{}` matches (e.g. `{example}`); Skaffold watches only COPY/ADD sources, so this sync rule never fires",
                    rule.src.value
                ),
            };
            out.push(
                pipeline
                    .at(&RULE, rule.src.origin, message)
                    .with_artifact(&artifact.image.value)
                    .with_help("make `src` match files the Dockerfile copies into the image, or COPY those files (and keep them out of .dockerignore)"),
            );
        }
    }
}
