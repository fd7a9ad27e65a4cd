//! What `skafix probe` looks for in the cluster, read off the project model: every artifact of
//! the pipelines `skaffold dev` would run, with its sync rules, destinations and container
//! hooks.

use super::{ProbeTarget, SyncRule};
use crate::project::{self, CheckOptions, EngineError, Project};

/// Loads the project under `options.paths` and lists its probe targets.
pub fn load_probe_targets(options: &CheckOptions) -> Result<Vec<ProbeTarget>, EngineError> {
    let project = project::load_project(options)?;
    if project.configs.is_empty() {
        return Err(EngineError {
            message: "no Skaffold config could be read; run `skafix check` to see why".to_string(),
        });
    }
    Ok(targets(&project, options))
}

/// What `skafix probe` looks for in the cluster: every artifact of the profile-resolved configs
/// (auto-activated profiles for `dev` plus `-p`), with its sync rules, destinations and
/// container hooks.
fn targets(project: &Project, options: &CheckOptions) -> Vec<ProbeTarget> {
    use crate::skaffold::model::{HookCommand, SyncMode};
    let mut targets = Vec::new();
    for pipeline in project::active_pipelines(project, options) {
        let config = pipeline.config;
        for (artifact, view) in pipeline.artifacts() {
            let workdir =
                crate::project::runtime::BuiltImage::of(artifact, view).and_then(|b| b.workdir());
            let mut target = ProbeTarget {
                image: artifact.image.value.clone(),
                config_path: project.file(config.file).path.clone(),
                image_span: artifact.image.origin.span,
                context_dir: view.context_dir.clone(),
                ..Default::default()
            };
            if let Some(sync) = &artifact.sync {
                match &sync.mode {
                    SyncMode::Manual(rules) => {
                        for rule in rules {
                            target.sync_rules.push(SyncRule {
                                src: rule.src.value.clone(),
                                dest: rule.dest.value.clone(),
                                strip: rule
                                    .strip
                                    .as_ref()
                                    .map(|s| s.value.clone())
                                    .unwrap_or_default(),
                            });
                            let dest = match (&workdir, rule.dest.value.starts_with('/')) {
                                (Some(w), false) => {
                                    format!("{}/{}", w.trim_end_matches('/'), rule.dest.value)
                                }
                                _ => rule.dest.value.clone(),
                            };
                            if !target.sync_dests.contains(&dest) {
                                target.sync_dests.push(dest);
                            }
                        }
                    }
                    SyncMode::Infer(_) | SyncMode::DefaultInfer | SyncMode::Auto(_) => {
                        if let Some(w) = &workdir {
                            target.sync_dests.push(w.clone());
                        }
                    }
                }
                for hook in sync
                    .before
                    .iter()
                    .chain(&sync.after)
                    .filter(|h| h.in_container)
                {
                    if let HookCommand::Argv { .. } = hook.command {
                        target.hooks.extend(hook.command.argv());
                    }
                }
            }
            targets.push(target);
        }
    }
    targets
}
