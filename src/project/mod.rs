//! Project discovery and loading: finds skaffold configs, follows `requires`, applies profiles,
//! resolves each artifact's Dockerfile and the manifests it deploys. This is the model: it
//! knows neither the rules nor the probe (the engine runs rules over it; the probe reads it).
//!
//! Paths inside a config are resolved against the config file's directory: that is where
//! Skaffold resolves them for imported configs, and where developers run `skaffold dev` for the
//! root config (Skaffold resolves the root config against the working directory).

mod discover;
mod load;
mod memo;
mod pipeline;
mod render;
mod roots;
pub mod runtime;
pub mod watch;

pub use load::{normalize, read_regular_file, read_text, ConfigDoc, ConfigFile, Overlay, Project};
pub use memo::CheckMemo;
pub use pipeline::{
    active_pipelines, evaluate, map_pipelines, production_files_of, profile_blocks,
    unlisted_contexts, ArtifactView, Built, ContainerRef, DockerIgnoreView, DockerfileView,
    ManifestFile, Pipeline,
};
pub use roots::Roots;

use std::path::PathBuf;

/// What `skafix check` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Files or directories to check; empty means the current directory.
    pub paths: Vec<PathBuf>,
    /// `-p/--profile` values as given (`NAME`, `A,B`, `-NAME` to deactivate an auto-activated one).
    pub profiles: Vec<String>,
    /// The kube context used to evaluate `activation.kubeContext` (None: not known).
    pub kube_context: Option<String>,
    /// The Skaffold command whose pipeline is evaluated for `activation.command` (default `dev`).
    pub command: Option<String>,
    /// File texts to read instead of the disk (the fix loop's edits in memory).
    pub overlay: Overlay,
    /// Files or directories outside the checked roots that may be read (`--allow-outside`);
    /// they are never written.
    pub allow_outside: Vec<PathBuf>,
    /// Whether and how kustomize and Helm manifests are rendered.
    pub render: crate::render::RenderOptions,
    /// What earlier checks of the same unchanged file tree learnt (the fix loop's checks);
    /// off by default.
    pub memo: CheckMemo,
}

/// A problem that stops checking altogether (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineError {
    pub message: String,
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EngineError {}

/// Finds and loads the projects under `options.paths` (the current directory when empty).
pub fn load_project(options: &CheckOptions) -> Result<Project, EngineError> {
    let roots = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let found = match options.memo.get() {
        Some(memo) => memo.discovered(&roots, || discover::config_files(&roots)),
        None => discover::config_files(&roots),
    }?;
    if found.is_empty() {
        return Err(EngineError {
            message: format!(
                "no Skaffold config (skaffold*.yaml) found under {}",
                roots
                    .iter()
                    .map(|r| r.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let checked = match options.memo.get() {
        Some(memo) => memo.roots(&roots, &options.allow_outside),
        None => Roots::of_paths(&roots, &options.allow_outside),
    };
    Ok(load::load_within(found, checked, options.overlay.clone()))
}

/// Whether some config defines a profile named `name`.
pub fn defines_profile(project: &Project, name: &str) -> bool {
    project.configs.iter().any(|c| {
        c.tree
            .get("profiles")
            .map(crate::skaffold::tree::Val::items)
            .unwrap_or(&[])
            .iter()
            .any(|p| p.get("name").and_then(crate::skaffold::tree::Val::as_str) == Some(name))
    })
}
