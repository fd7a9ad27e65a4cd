//! SYNC: file sync rules that never fire, copy to the wrong place, or cannot run.

pub mod artifact_not_deployed;
pub mod auto_unsupported;
pub mod profile_drops_artifacts;
pub mod strip_not_prefix;
pub mod synced_artifact_required;
