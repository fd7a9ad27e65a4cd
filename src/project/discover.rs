//! Finds skaffold config files under the given paths, honouring .gitignore like ripgrep does.

use super::EngineError;
use std::path::{Path, PathBuf};

/// Whether a file name is a Skaffold config (`skaffold.yaml`, `skaffold-dev.yml`, ...).
pub fn is_config_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("skaffold") && (lower.ends_with(".yaml") || lower.ends_with(".yml"))
}

/// Config files to check, in a stable order. A path given explicitly is taken even if its name
/// or .gitignore would skip it; a missing path is an error.
pub fn config_files(roots: &[PathBuf]) -> Result<Vec<PathBuf>, EngineError> {
    let mut found = Vec::new();
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|e| EngineError {
            message: format!("{}: {}", root.display(), io_reason(&e)),
        })?;
        if meta.is_file() {
            found.push(clean(root));
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build_parallel();
        // Listing a large monorepo is a good part of a check: walk it on every core. The
        // result is sorted below, so the order the threads find files in does not matter.
        let in_root = std::sync::Mutex::new(Vec::new());
        walker.run(|| {
            Box::new(|entry| {
                if let Ok(entry) = entry {
                    let is_file = entry
                        .file_type()
                        .is_some_and(|t| t.is_file() || t.is_symlink());
                    if is_file && entry.file_name().to_str().is_some_and(is_config_name) {
                        if let Ok(mut list) = in_root.lock() {
                            list.push(clean(entry.path()));
                        }
                    }
                }
                ignore::WalkState::Continue
            })
        });
        found.extend(in_root.into_inner().unwrap_or_default());
    }
    found.sort();
    found.dedup();
    Ok(found)
}

fn clean(path: &Path) -> PathBuf {
    path.strip_prefix("./").unwrap_or(path).to_path_buf()
}

/// A short reason for an I/O error, without Rust's `(os error N)` noise.
pub fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text,
    }
}
