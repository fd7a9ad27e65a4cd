//! VOL003 volume-over-sync-dest: a volume mounted at (or above) a sync destination in a
//! container that runs the synced image: the mount hides the image's files there, and the
//! synced files land in the volume.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::reload::{is_under, rule_destination};
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;

pub static RULE: Rule = Rule {
    code: "VOL003",
    name: "volume-over-sync-dest",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A volume is mounted over the sync destination: it hides the image's files and receives the synced ones.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/VOL003.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let SyncMode::Manual(rules) = &sync.mode else {
            continue;
        };
        let workdir =
            crate::project::runtime::BuiltImage::of(artifact, view).and_then(|b| b.workdir());
        let dests: Vec<(String, &crate::skaffold::model::SyncRule)> = rules
            .iter()
            .filter_map(|r| Some((rule_destination(r, workdir.as_deref())?, r)))
            .collect();
        for r in view.containers.iter().filter(|c| !c.init) {
            let (manifest, _, container) = pipeline.container(*r);
            for mount in &container.volume_mounts {
                let mount_path = crate::dockerfile::ignore::clean_path(&mount.mount_path.value);
                if mount_path == "/" {
                    continue;
                }
                let Some((dest, rule)) = dests.iter().find(|(d, _)| is_under(d, &mount_path))
                else {
                    continue;
                };
                out.push(
                    pipeline
                        .at(&RULE, crate::skaffold::tree::Origin { file: manifest.file, span: mount.mount_path.span, key_span: None }, format!(
                            "volume `{}` is mounted at `{}`, over the sync destination `{dest}` of `{}`: the mount hides the image's files there, and Skaffold's `tar` writes the synced files into the volume",
                            mount.name, mount.mount_path.value, artifact.image.value
                        ))
                        .with_artifact(&artifact.image.value)
                        .with_related(pipeline.path(rule.dest.origin.file), rule.dest.origin.span, "sync destination")
                        .with_help("mount the volume somewhere else, or sync to a path the volume does not cover"),
                );
            }
        }
    }
}
