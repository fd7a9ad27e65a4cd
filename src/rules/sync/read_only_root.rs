//! SYNC012 read-only-root-filesystem: a container that runs a synced artifact has
//! `securityContext.readOnlyRootFilesystem: true`, and a sync destination is not on a writable
//! volume. Skaffold copies synced files with `tar xmf - -C /` inside the container
//! (`pkg/skaffold/sync/kubectl.go`), which cannot write to a read-only root filesystem.

use super::absolute;
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;

pub static RULE: Rule = Rule {
    code: "SYNC012",
    name: "read-only-root-filesystem",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A synced container has a read-only root filesystem and no writable volume at the sync destination.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC012.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let workdir = BuiltImage::of(artifact, view).and_then(|b| b.workdir());
        // Where sync writes: a manual rule's destination (relative ones under WORKDIR), or
        // the image's WORKDIR for inferred rules (the COPY destinations live under it in
        // nearly every project; without a WORKDIR the place is not known).
        let mut dests: Vec<(String, crate::skaffold::tree::Origin)> = Vec::new();
        match &sync.mode {
            SyncMode::Manual(rules) => {
                for rule in rules {
                    let dest = &rule.dest.value;
                    let resolved = match (&workdir, dest.starts_with('/')) {
                        (_, true) => absolute("/", dest),
                        (Some(w), false) => absolute(w, dest),
                        (None, false) => continue,
                    };
                    dests.push((resolved, rule.dest.origin));
                }
            }
            SyncMode::Infer(_) | SyncMode::DefaultInfer => {
                if let Some(w) = &workdir {
                    dests.push((w.clone(), sync.origin));
                }
            }
            // `auto` on a Dockerfile builder never syncs (SYNC006).
            SyncMode::Auto(_) => continue,
        }
        for &c in view.containers.iter().filter(|c| !c.init) {
            let (manifest, workload, container) = pipeline.container(c);
            let Some(read_only) = workload.effective_security(container).read_only_root else {
                continue;
            };
            // A writable volume mounted over the destination takes the writes.
            let unwritable = dests.iter().find(|(dest, _)| {
                !container.volume_mounts.iter().any(|m| {
                    let path = m.mount_path.value.trim_end_matches('/');
                    let path = if path.is_empty() { "/" } else { path };
                    !m.read_only
                        && (path == "/" || dest == path || dest.starts_with(&format!("{path}/")))
                })
            });
            let Some((dest, dest_origin)) = unwritable else {
                continue;
            };
            let name = container.name.as_deref().unwrap_or("?");
            out.push(
                RULE.diagnostic(
                    pipeline.path(manifest.file),
                    read_only.span,
                    format!(
                        "container `{name}` of {} `{}` runs with a read-only root filesystem, so Skaffold's sync cannot write `{dest}`: `tar` fails with \"Read-only file system\" on every sync",
                        workload.kind,
                        workload.name.as_deref().unwrap_or("?"),
                    ),
                )
                .with_artifact(&artifact.image.value)
                .with_related(pipeline.path(dest_origin.file), dest_origin.span, "sync destination")
                .with_help(format!(
                    "mount a writable volume (an `emptyDir`) at `{dest}` in the dev profile, or set `readOnlyRootFilesystem: false` there"
                )),
            );
        }
    }
}
