//! SYNC010 artifact-not-deployed: a synced artifact whose image no manifest container runs, or
//! only init containers do; Skaffold then reports "didn't sync any files".

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "SYNC010",
    name: "artifact-not-deployed",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "No manifest container runs the synced image (or only init containers do): nothing receives the files.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC010.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    // Rendered manifests (helm, kustomize) may run the image; only raw YAML is known completely.
    if pipeline.manifests.is_empty() || !pipeline.model.unanalysed.is_empty() {
        return;
    }
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        if view.containers.iter().any(|c| !c.init) {
            continue;
        }
        let message = if let Some(init) = view.containers.first() {
            let (_, workload, container) = pipeline.container(*init);
            format!(
                "image `{}` runs only in init container `{}` of {} `{}`; Skaffold syncs to `spec.containers` only, so no container receives the files",
                artifact.image.value,
                container.name.as_deref().unwrap_or("?"),
                workload.kind,
                workload.name.as_deref().unwrap_or("?")
            )
        } else {
            let mut message = format!(
                "no container in the deployed manifests runs image `{}`; Skaffold finds no pod to sync to (\"didn't sync any files\")",
                artifact.image.value
            );
            // A chart or kustomize `images:` that sets another image is the usual cause.
            let mut rendered: Vec<&str> = pipeline
                .rendered
                .iter()
                .flat_map(|s| &s.workloads)
                .flat_map(|w| &w.containers)
                .filter_map(|c| c.image.as_ref().map(|i| i.value.as_str()))
                .collect();
            rendered.sort_unstable();
            rendered.dedup();
            if !rendered.is_empty() {
                let shown: Vec<String> =
                    rendered.iter().take(5).map(|i| format!("`{i}`")).collect();
                message.push_str(&format!(
                    "; the rendered manifests run {}",
                    shown.join(", ")
                ));
            }
            message
        };
        out.push(
            pipeline
                .at_key(&RULE, sync.origin, message)
                .with_artifact(&artifact.image.value)
                .with_help("use the artifact's image name (without tag) as the `image` of the container that should get the files"),
        );
    }
}
