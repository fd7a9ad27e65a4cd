//! SYNC: file sync rules that never fire, copy to the wrong place, or cannot run.
//!
//! The SYNC rules read the build-context model of `crate::project::watch` (the watched set,
//! where COPY and sync rules put each file), re-exported here for them.

pub mod artifact_not_deployed;
pub mod auto_unsupported;
pub mod dest_mismatch;
pub mod dest_not_writable;
pub mod infer_copy_from;
pub mod infer_non_last_target;
pub mod no_tar_in_image;
pub mod profile_drops_artifacts;
pub mod read_only_root;
pub mod rebuild_triggers;
pub mod rule_never_fires;
pub mod src_never_matches;
pub mod strip_not_prefix;
pub mod synced_artifact_required;
pub(crate) mod to_manual;

pub(crate) use crate::project::watch::*;
