//! DF: Dockerfile mistakes that break the image the dev loop runs.

pub mod copy_from_unknown_stage;
pub mod program_not_in_image;
pub mod site_packages_mismatch;

use crate::dockerfile::Dockerfile;
use std::collections::HashMap;

/// The external image a stage starts from, following `FROM <stage>` chains, with build args
/// applied; `None` when it cannot be known.
pub(crate) fn external_base(
    df: &Dockerfile,
    stage: usize,
    build_args: &HashMap<String, String>,
) -> Option<String> {
    let mut current = stage;
    for _ in 0..=df.stages.len() {
        let base = df.base_with_build_args(current, Some(build_args))?;
        let name = base.known()?.to_string();
        match df
            .stage_by_name_or_index(&name)
            .filter(|s| s.index < current)
        {
            Some(parent) => current = parent.index,
            None => return Some(name),
        }
    }
    None
}
