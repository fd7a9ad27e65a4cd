//! The checked roots: what skafix may read and write. A project checked in CI is untrusted
//! input, so a path in it (a Dockerfile, a context, a manifest, a required config) must not make
//! skafix read, echo or rewrite a file of the machine that runs it.
//!
//! The roots are the git work trees holding the checked paths (monorepo contexts and `requires`
//! often reach into sibling directories with `../`), or a checked path itself when it is in no
//! work tree. A work tree is found by its `.git` entry (a directory, or a file in a linked work
//! tree or submodule), so no git binary is needed. Containment is decided on the resolved path:
//! a symlink that leads out leaves the roots like `..` or an absolute path does.

use super::load::normalize;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where reads and writes are allowed. The default has no bounds (library callers that check a
/// tree they trust); [`Roots::of_paths`] makes the bounded set a check uses.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    bounded: bool,
    /// Canonical root directories: read and written.
    within: Vec<PathBuf>,
    /// Canonical directories or files the user allowed to be read (`--allow-outside`), never
    /// written.
    readable: Vec<PathBuf>,
    /// The working directory when the roots were made: relative paths are relative to it for
    /// the whole run.
    cwd: Option<PathBuf>,
    /// Paths already resolved, by absolute path (see [`Roots::resolve`]); keyed by the bytes
    /// of the cleaned path, which hash faster than a `Path`'s components.
    resolved: Arc<Mutex<HashMap<OsString, PathBuf>>>,
}

impl Roots {
    /// The roots of the checked `paths` (the current directory when empty), plus the places
    /// `allow_outside` names for reading.
    pub fn of_paths(paths: &[PathBuf], allow_outside: &[PathBuf]) -> Roots {
        let default = [PathBuf::from(".")];
        let paths = if paths.is_empty() {
            &default[..]
        } else {
            paths
        };
        let mut within: Vec<PathBuf> = paths.iter().filter_map(|p| root_of(p)).collect();
        within.sort();
        within.dedup();
        Roots {
            bounded: true,
            within,
            readable: allow_outside.iter().map(|p| resolve(p)).collect(),
            cwd: std::env::current_dir().ok(),
            resolved: Arc::default(),
        }
    }

    /// The nearest parent directory of `config_dir`, inside the roots, where `relative` (a path
    /// a config names, missing beside it) exists. Skaffold resolves a root config's paths
    /// against the working directory, so a config run as `skaffold -f svc/skaffold.yaml` from
    /// the repository root names `svc/Dockerfile`: only paths that start with the config's
    /// directory as seen from the parent count. Returns the directory and the config's path
    /// relative to it (`svc`), or None.
    pub fn found_from_parent(
        &self,
        config_dir: &Path,
        relative: &Path,
    ) -> Option<(PathBuf, PathBuf)> {
        if relative.is_absolute() || relative.as_os_str().is_empty() {
            return None;
        }
        let config_dir = std::path::absolute(config_dir).ok()?;
        for parent in config_dir.ancestors().skip(1).take(4) {
            let candidate = normalize(&parent.join(relative));
            if !candidate.starts_with(parent) || !self.may_read(parent) {
                break;
            }
            // Only a path that names the config's own directory (`svc/Dockerfile` in
            // `svc/skaffold.yaml`) says where it is run from; `Dockerfile` alone could be any.
            let from = config_dir.strip_prefix(parent).ok()?.to_path_buf();
            if relative.starts_with(&from) && candidate.exists() && self.may_read(&candidate) {
                return Some((parent.to_path_buf(), from));
            }
        }
        None
    }

    /// Whether `path` (as it will be opened) may be read.
    pub fn may_read(&self, path: &Path) -> bool {
        if !self.bounded {
            return true;
        }
        let real = self.resolve(path);
        self.within
            .iter()
            .chain(&self.readable)
            .any(|root| real.starts_with(root))
    }

    /// Whether `path` may be written: inside a root once every symlink is followed. Places
    /// allowed with `--allow-outside` are read, never written.
    pub fn may_write(&self, path: &Path) -> bool {
        if !self.bounded {
            return true;
        }
        let real = self.resolve(path);
        self.within.iter().any(|root| real.starts_with(root))
    }

    /// [`resolve`], remembered for the run: a check asks about the same files and directories
    /// many times, and resolving a path from the top costs a `readlink` per part. A path's
    /// directory is resolved (and remembered) first, then the last part is looked at.
    fn resolve(&self, path: &Path) -> PathBuf {
        let absolute = match &self.cwd {
            Some(cwd) if path.is_relative() => normalize(&cwd.join(path)),
            _ => absolute(path),
        };
        if let Some(known) = self.known(&absolute) {
            return known;
        }
        let real = match (absolute.parent(), absolute.file_name()) {
            (Some(dir), Some(name)) => {
                let candidate = self.resolve(dir).join(name);
                match std::fs::symlink_metadata(&candidate) {
                    Ok(meta) if meta.file_type().is_symlink() => resolve(&candidate),
                    _ => candidate,
                }
            }
            _ => resolve(&absolute),
        };
        if let Ok(mut resolved) = self.resolved.lock() {
            resolved.insert(absolute.into_os_string(), real.clone());
        }
        real
    }

    fn known(&self, absolute: &Path) -> Option<PathBuf> {
        self.resolved
            .lock()
            .ok()?
            .get(absolute.as_os_str())
            .cloned()
    }
}

/// `path` made absolute against the working directory and cleaned of `.` and `..`.
fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        normalize(path)
    } else {
        match std::env::current_dir() {
            Ok(cwd) => normalize(&cwd.join(path)),
            Err(_) => normalize(path),
        }
    }
}

/// The root a checked path belongs to: the enclosing git work tree, else the path itself (its
/// directory for a file). `None` when it does not exist (discovery reports that).
fn root_of(path: &Path) -> Option<PathBuf> {
    let real = std::fs::canonicalize(path).ok()?;
    let start = if real.is_dir() {
        real
    } else {
        real.parent()?.to_path_buf()
    };
    let work_tree = start
        .ancestors()
        .find(|dir| std::fs::symlink_metadata(dir.join(".git")).is_ok());
    Some(work_tree.unwrap_or(&start).to_path_buf())
}

/// The absolute path `path` leads to, every symlink followed. A part that does not exist (yet)
/// is kept as written below the deepest existing, resolved ancestor.
pub(crate) fn resolve(path: &Path) -> PathBuf {
    let absolute = absolute(path);
    let mut existing = absolute.as_path();
    let mut missing = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for part in missing.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_without_git_is_its_own_root() {
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("app");
        std::fs::create_dir(&app).unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        let roots = Roots::of_paths(std::slice::from_ref(&app), &[]);
        assert!(roots.may_read(&app.join("Dockerfile")));
        assert!(!roots.may_read(&app.join("../secret")));
        assert!(!roots.may_read(Path::new("/etc/passwd")));
        let allowed = Roots::of_paths(std::slice::from_ref(&app), &[dir.path().join("secret")]);
        assert!(allowed.may_read(&app.join("../secret")));
        assert!(!allowed.may_write(&app.join("../secret")));
    }

    #[test]
    fn the_git_work_tree_is_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".git"), "gitdir: elsewhere\n").unwrap();
        let app = dir.path().join("services/app");
        std::fs::create_dir_all(&app).unwrap();
        let roots = Roots::of_paths(std::slice::from_ref(&app), &[]);
        assert!(roots.may_read(&app.join("../../elsewhere/Dockerfile")));
        assert!(!roots.may_read(&app.join("../../../outside")));
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_leading_out_is_outside() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("token"), "x").unwrap();
        std::os::unix::fs::symlink(outside.path().join("token"), dir.path().join("Dockerfile"))
            .unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("linked")).unwrap();
        let roots = Roots::of_paths(&[dir.path().to_path_buf()], &[]);
        assert!(!roots.may_read(&dir.path().join("Dockerfile")));
        assert!(!roots.may_write(&dir.path().join("linked/new-file")));
        assert!(roots.may_read(&dir.path().join("absent/file")));
    }
}
