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

pub use load::{normalize, ConfigDoc, ConfigFile, Project};
pub use pipeline::{
    map_pipelines, probe_targets, ArtifactView, ContainerRef, DockerIgnoreView, DockerfileView,
    ManifestFile, Pipeline,
};

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
    /// Number of skaffold config files with at least one document that could be checked. Zero
    /// means nothing could be checked: the diagnostics then say why (exit code 2).
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
    let project = load::load(found);
    let selection = crate::skaffold::profiles::ProfileSelection::from_flags(&options.profiles);
    for wanted in &selection.activate {
        let known = project.configs.iter().any(|c| {
            c.tree
                .get("profiles")
                .map(crate::skaffold::tree::Val::items)
                .unwrap_or(&[])
                .iter()
                .any(|p| p.get("name").and_then(crate::skaffold::tree::Val::as_str) == Some(wanted))
        });
        if !known {
            return Err(EngineError {
                message: format!("profile `{wanted}` is not defined in any checked config (Skaffold fails with \"couldn't find profile {wanted}\")"),
            });
        }
    }
    let diagnostics = pipeline::run_rules(&project, options);
    Ok(CheckOutcome {
        files_checked: {
            let mut files: Vec<_> = project.configs.iter().map(|c| c.file).collect();
            files.sort();
            files.dedup();
            files.len()
        },
        sources: project
            .sources()
            .iter()
            .map(|f| (f.path.clone(), f.clone()))
            .collect(),
        diagnostics,
    })
}

/// Discovers and loads the configs under `options.paths`, for queries on the model
/// (`skafix explain`); an error when none is found.
pub fn load_project(options: &CheckOptions) -> Result<Project, EngineError> {
    let roots = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let found = discover::config_files(&roots)?;
    if found.is_empty() {
        return Err(EngineError {
            message: "no Skaffold config (skaffold*.yaml) found".to_string(),
        });
    }
    Ok(load::load(found))
}

/// Loads the project under `options.paths` for `skafix probe`: the targets of every artifact of
/// the profile-resolved configs.
pub fn load_probe_targets(
    options: &CheckOptions,
) -> Result<Vec<crate::probe::ProbeTarget>, EngineError> {
    let roots = if options.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        options.paths.clone()
    };
    let found = discover::config_files(&roots)?;
    let project = load::load(found);
    if project.configs.is_empty() {
        return Err(EngineError {
            message: "no Skaffold config could be read; run `skafix check` to see why".to_string(),
        });
    }
    Ok(probe_targets(&project, options))
}
