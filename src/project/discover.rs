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
        let mut walker = ignore::WalkBuilder::new(root);
        walker
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(global_gitignore_may_exist())
            .require_git(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git");
        match walk_small(&walker) {
            Some(in_root) => found.extend(in_root),
            None => found.extend(walk_parallel(&walker)),
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// Entries a tree may have to be listed on this thread alone. The parallel walker's threads
/// poll for work with millisecond sleeps, which is most of a small project's check; a larger
/// tree is listed again in parallel, so at most this many entries are listed twice.
const SERIAL_WALK_ENTRIES: usize = 2_000;

/// Whether `entry` is a config file to check.
fn is_config_entry(entry: &ignore::DirEntry) -> bool {
    let is_file = entry
        .file_type()
        .is_some_and(|t| t.is_file() || t.is_symlink());
    is_file && entry.file_name().to_str().is_some_and(is_config_name)
}

/// The configs under a small tree, listed on this thread; `None` once the tree turns out to
/// have more than [`SERIAL_WALK_ENTRIES`] entries.
fn walk_small(walker: &ignore::WalkBuilder) -> Option<Vec<PathBuf>> {
    let mut found = Vec::new();
    for (seen, entry) in walker.build().enumerate() {
        if seen > SERIAL_WALK_ENTRIES {
            return None;
        }
        if let Ok(entry) = entry {
            if is_config_entry(&entry) {
                found.push(clean(entry.path()));
            }
        }
    }
    Some(found)
}

/// The configs under a large tree, listed on every core (the caller sorts them: the order the
/// threads find files in does not matter).
fn walk_parallel(walker: &ignore::WalkBuilder) -> Vec<PathBuf> {
    let in_root = std::sync::Mutex::new(Vec::new());
    walker.build_parallel().run(|| {
        Box::new(|entry| {
            if let Ok(entry) = entry {
                if is_config_entry(&entry) {
                    if let Ok(mut list) = in_root.lock() {
                        list.push(clean(entry.path()));
                    }
                }
            }
            ignore::WalkState::Continue
        })
    });
    in_root.into_inner().unwrap_or_default()
}

/// Whether git could have a global gitignore (`core.excludesFile`) to honour. Finding that out
/// the `ignore` crate's way compiles a regex over every git config file that exists, which is
/// about a third of a small check's instructions. When no git config so much as mentions
/// `excludesfile` (any case), that regex cannot match and git's default `git/ignore` under
/// `$XDG_CONFIG_HOME` (or `~/.config`) is the only candidate; if that file is absent too, the
/// global matcher would be empty and the walk is the same without it. Otherwise the crate does
/// the lookup as before.
fn global_gitignore_may_exist() -> bool {
    #![allow(deprecated)] // home_dir: the same lookup the `ignore` crate does
    let home = std::env::home_dir();
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|x| !x.as_os_str().is_empty())
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let env_path = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|x| !x.as_os_str().is_empty())
    };
    let configs = [
        env_path("GIT_CONFIG_GLOBAL"),
        home.as_ref().map(|h| h.join(".gitconfig")),
        xdg.as_ref().map(|x| x.join("git/config")),
        Some(env_path("GIT_CONFIG_SYSTEM").unwrap_or_else(|| PathBuf::from("/etc/gitconfig"))),
    ];
    let mentions_excludes = configs.iter().flatten().any(|path| {
        std::fs::read(path).is_ok_and(|data| {
            data.windows(b"excludesfile".len())
                .any(|w| w.eq_ignore_ascii_case(b"excludesfile"))
        })
    });
    mentions_excludes || xdg.is_some_and(|x| x.join("git/ignore").is_file())
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
