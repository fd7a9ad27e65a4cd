//! SYNC011 profile-drops-artifacts: a profile's `build.artifacts` replaces the base list, and an
//! artifact it leaves out is still deployed, so that image is neither built nor synced.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model;
use crate::skaffold::tree::Val;

pub static RULE: Rule = Rule {
    code: "SYNC011",
    name: "profile-drops-artifacts",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A profile's artifact list replaces the base list and drops an artifact that is still deployed.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC011.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    let Some(profile_name) = &pipeline.profile else {
        return;
    };
    let profile = pipeline
        .config
        .tree
        .get("profiles")
        .map(Val::items)
        .unwrap_or(&[])
        .iter()
        .find(|p| p.get("name").and_then(Val::as_str) == Some(profile_name.as_str()));
    let Some(list) = profile.and_then(|p| p.path(&["build", "artifacts"])) else {
        return;
    };
    if list.items().is_empty() {
        return;
    }
    let base = model::extract(&pipeline.config.tree);
    for dropped in &base.artifacts {
        let image = &dropped.image.value;
        if pipeline
            .model
            .artifacts
            .iter()
            .any(|a| &a.image.value == image)
        {
            continue;
        }
        let deployed = pipeline.manifests.iter().any(|m| {
            m.workloads.iter().any(|w| {
                w.containers.iter().any(|c| {
                    c.image
                        .as_ref()
                        .is_some_and(|i| crate::k8s::image_name(&i.value) == image)
                })
            })
        });
        if !deployed {
            continue;
        }
        out.push(
            pipeline
                .at_key(&RULE, list.origin, format!(
                    "profile `{profile_name}` replaces `build.artifacts` and leaves out `{image}`, which the manifests still deploy: Skaffold neither builds nor syncs it under this profile (lists are replaced, not merged)"
                ))
                .with_artifact(image)
                .with_related(pipeline.path(dropped.image.origin.file), dropped.image.origin.span, "artifact of the base config")
                .with_help("repeat every artifact in the profile, or change only what differs with a JSON patch (`op: add, path: /build/artifacts/<i>/sync`)"),
        );
    }
}
