//! CACHE003 try-import-stable-tag: `tryImportMissing` with a tag policy whose tag does not change
//! with the sources, so an old image with that tag is imported instead of building.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::template;
use crate::skaffold::tree::Val;

pub static RULE: Rule = Rule {
    code: "CACHE003",
    name: "try-import-stable-tag",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary:
        "`tryImportMissing` with a tag that does not change with the sources imports a stale image.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/CACHE003.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    let Some(origin) = pipeline.model.try_import_missing else {
        return;
    };
    let Some(policy) = pipeline.tree.path(&["build", "tagPolicy"]) else {
        return;
    };
    let stable = policy
        .entries()
        .iter()
        .find_map(|(kind, value)| stable_reason(kind, value));
    let Some(reason) = stable else { return };
    out.push(
        pipeline
            .at(&RULE, origin, format!(
                "`tryImportMissing: true` with {reason}: on a cache miss Skaffold imports the existing image with that tag instead of building, so changed sources can run as an old image"
            ))
            .with_help("use `tagPolicy: {inputDigest: {}}` (the tag follows the sources) or drop `tryImportMissing`"),
    );
}

/// Why a tagger yields a tag that stays the same while sources change
/// (`pkg/skaffold/build/tag`; the sha256 tagger tags `latest`).
fn stable_reason(kind: &str, value: &Val) -> Option<String> {
    match kind {
        "sha256" => Some("`tagPolicy.sha256` (it always tags `latest`)".to_string()),
        "envTemplate" => {
            let t = value.get("template").and_then(Val::as_str)?;
            // An environment variable may differ per build (CI sets them): only a template of
            // literals and Skaffold's own image-name variables is known to be fixed.
            let env_refs = template::field_refs(t)
                .iter()
                .any(|f| !matches!(f.name.as_str(), "IMAGE_NAME" | "IMAGE_REPO"));
            (!template::calls_varying_function(t) && !env_refs)
                .then(|| format!("the fixed tag template `{t}`"))
        }
        "gitCommit" if value.get("ignoreChanges").and_then(Val::as_bool) == Some(true) => Some(
            "`gitCommit` with `ignoreChanges: true` (uncommitted edits keep the tag)".to_string(),
        ),
        _ => None,
    }
}
