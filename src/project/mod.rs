//! Project discovery and loading: finds skaffold configs, follows `requires`, applies profiles,
//! resolves each artifact's Dockerfile and the manifests it deploys, and runs the rules.

use crate::source::SourceFile;
use crate::yaml;
use std::sync::Arc;

/// One skaffold config file with its raw YAML documents.
#[derive(Debug)]
pub struct ConfigFile {
    pub source: Arc<SourceFile>,
    pub documents: Vec<yaml::Document>,
}

/// One effective pipeline: a config with the profiles of one evaluation applied.
#[derive(Debug)]
pub struct Pipeline {
    /// None for the base pipeline, else the profile evaluated.
    pub profile: Option<String>,
}
