//! Project discovery and loading: finds skaffold configs, follows `requires`, applies profiles,
//! resolves each artifact's Dockerfile and the manifests it deploys, and runs the rules.
//!
//! Paths inside a config are resolved against the config file's directory: that is where
//! Skaffold resolves them for imported configs, and where developers run `skaffold dev` for the
//! root config (Skaffold resolves the root config against the working directory).

mod discover;
mod load;
mod pipeline;
pub mod runtime;

pub use load::{ConfigDoc, ConfigFile, Project};
pub use pipeline::{ArtifactView, ContainerRef, DockerIgnoreView, DockerfileView, ManifestFile, Pipeline};

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

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
}

/// Everything a report needs: the findings and the text of every file they point into.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read, keyed by its reported path.
    pub sources: BTreeMap<PathBuf, Arc<SourceFile>>,
    /// Number of skaffold config files checked.
    pub files_checked: usize,
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

/// Runs every rule over the projects under `options.paths`.
pub fn check(options: &CheckOptions) -> Result<CheckOutcome, EngineError> {
    let roots = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let found = discover::config_files(&roots)?;
    let project = load::load(found);
    if project.configs.is_empty() {
        let reasons: Vec<String> = project
            .load_diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.path.display(), d.message))
            .collect();
        return Err(EngineError {
            message: if reasons.is_empty() {
                "no skaffold configuration could be read".to_string()
            } else {
                format!("nothing could be checked:\n  {}", reasons.join("\n  "))
            },
        });
    }
    let diagnostics = pipeline::run_rules(&project, options);
    Ok(CheckOutcome {
        files_checked: project.configs.len(),
        sources: project
            .sources()
            .iter()
            .map(|f| (f.path.clone(), f.clone()))
            .collect(),
        diagnostics,
    })
}
