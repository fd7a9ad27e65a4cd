//! VOL: volumes that do not behave the same on every cluster, or hide synced files.

pub mod hostpath_home_dir;
pub mod hostpath_not_local;
pub mod volume_over_sync_dest;

use crate::k8s::{Text, Volume};
use crate::project::Pipeline;

/// Every hostPath volume of the pipeline's raw manifests, with its manifest file.
pub(crate) fn host_paths<'p>(
    pipeline: &'p Pipeline,
) -> Vec<(crate::skaffold::tree::FileId, &'p Volume, &'p Text)> {
    let mut found = Vec::new();
    for manifest in &pipeline.manifests {
        for workload in &manifest.workloads {
            for volume in &workload.volumes {
                if let Some(path) = &volume.host_path {
                    found.push((manifest.file, volume, path));
                }
            }
        }
    }
    found
}
