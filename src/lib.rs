//! skafix: finds out why code changes do not reach Kubernetes pods under Skaffold, and fixes it.
//!
//! The library is the whole engine; the `skafix` binary is a thin CLI over it. Nothing here
//! prints or exits: every entry point returns data (diagnostics, reports, fixed texts).

pub mod config;
pub mod diagnostic;
pub mod dockerfile;
pub mod engine;
pub mod explain;
pub mod fix;
#[doc(hidden)]
pub mod fuzzing;
pub mod image;
pub mod k8s;
pub(crate) mod parallel;
pub mod probe;
pub mod project;
pub mod render;
pub mod report;
pub mod rules;
pub mod server;
pub mod skaffold;
pub mod source;
pub mod yaml;
