//! Where the fix loop reads and writes: the real files (`skafix fix`), or a throw-away shadow
//! copy of the project (`skafix fix --diff`), so the diff comes from exactly the same loop of
//! apply, re-parse and re-check without touching a single real file.
//!
//! The shadow tree mirrors absolute paths under a temporary directory. Directories are real
//! directories; the files the check read are copied; every other file is a symlink to the
//! original (cheap, and existence checks, globs, context walks and ignore files see the same
//! tree). Reported paths are mapped back, so diagnostics, fixes
//! and the diff name the user's files.

use super::write::write_atomic;
use crate::diagnostic::Diagnostic;
use crate::engine::{CheckOptions, CheckOutcome, EngineError};
use crate::project::normalize;
use crate::source::SourceFile;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Runs one check; `skafix::engine::check` or a test double.
pub type Checker<'a> = dyn FnMut(&CheckOptions) -> Result<CheckOutcome, EngineError> + 'a;

/// The files the loop works on.
pub(crate) trait Workspace {
    fn check(&mut self, checker: &mut Checker<'_>) -> Result<CheckOutcome, EngineError>;
    /// Replaces the text of a file named by its reported path.
    fn write(&mut self, reported: &Path, text: &str) -> std::io::Result<()>;
}

/// The user's files, written atomically in place.
pub(crate) struct InPlace<'a> {
    pub options: &'a CheckOptions,
}

impl Workspace for InPlace<'_> {
    fn check(&mut self, checker: &mut Checker<'_>) -> Result<CheckOutcome, EngineError> {
        checker(self.options)
    }

    fn write(&mut self, reported: &Path, text: &str) -> std::io::Result<()> {
        write_atomic(reported, text.as_bytes())
    }
}

/// A shadow copy of the checked tree in a temporary directory, removed on drop.
pub(crate) struct Shadow {
    root: PathBuf,
    cwd: PathBuf,
    options: CheckOptions,
    /// Shadow absolute path -> the path the user's check reported.
    reported: HashMap<PathBuf, PathBuf>,
}

impl Drop for Shadow {
    fn drop(&mut self) {
        // remove_dir_all removes symlinks themselves, never what they point to.
        let _ = fs::remove_dir_all(&self.root);
    }
}

static SHADOW_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Shadow {
    /// Builds the shadow tree for the files `initial` read and the paths `options` checks.
    pub fn build(options: &CheckOptions, initial: &CheckOutcome) -> std::io::Result<Shadow> {
        let cwd = std::env::current_dir()?;
        let root = create_root()?;
        let mut shadow = Shadow {
            root,
            cwd,
            options: options.clone(),
            reported: HashMap::new(),
        };
        let roots: Vec<PathBuf> = if options.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            options.paths.clone()
        };
        let mut real_dirs: BTreeSet<PathBuf> = BTreeSet::new();
        let mut texts: BTreeMap<PathBuf, Arc<str>> = BTreeMap::new();
        for (reported, source) in &initial.sources {
            let abs = shadow.absolute(reported);
            shadow
                .reported
                .insert(shadow.mirror_of(&abs), reported.clone());
            if let Some(parent) = abs.parent() {
                real_dirs.insert(parent.to_path_buf());
            }
            texts.insert(abs, source.text.clone());
        }
        for d in &initial.diagnostics {
            if let Some(parent) = shadow.absolute(&d.path).parent() {
                real_dirs.insert(parent.to_path_buf());
            }
        }
        for root in &roots {
            let abs = shadow.absolute(root);
            if abs.is_dir() {
                real_dirs.insert(abs);
            } else if let Some(parent) = abs.parent() {
                real_dirs.insert(parent.to_path_buf());
            }
        }
        let base = common_ancestor(real_dirs.iter());
        let mut closed: BTreeSet<PathBuf> = BTreeSet::new();
        for dir in &real_dirs {
            for ancestor in dir.ancestors() {
                if !closed.insert(ancestor.to_path_buf()) || Some(ancestor) == base.as_deref() {
                    break;
                }
            }
        }
        for dir in &closed {
            fs::create_dir_all(shadow.mirror_of(dir))?;
            for entry in fs::read_dir(dir)? {
                let entry = entry?;
                let original = entry.path();
                if closed.contains(&original) {
                    continue;
                }
                let mirrored = shadow.mirror_of(&original);
                match texts.get(&original) {
                    Some(text) => fs::write(&mirrored, text.as_bytes())?,
                    None => mirror_entry(&original, &mirrored)?,
                }
            }
        }
        // Above the shadowed tree only ignore files matter: discovery reads them from parents.
        for dir in base.iter().flat_map(|b| b.ancestors().skip(1)) {
            for name in [".gitignore", ".ignore"] {
                let original = dir.join(name);
                if original.is_file() {
                    fs::create_dir_all(shadow.mirror_of(dir))?;
                    link(&original, &shadow.mirror_of(&original))?;
                }
            }
        }
        Ok(shadow)
    }

    fn absolute(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            normalize(path)
        } else {
            normalize(&self.cwd.join(path))
        }
    }

    fn mirror_of(&self, abs: &Path) -> PathBuf {
        let mut out = self.root.clone();
        for component in abs.components() {
            match component {
                Component::Prefix(prefix) => {
                    let name: String = prefix
                        .as_os_str()
                        .to_string_lossy()
                        .chars()
                        .filter(|c| c.is_ascii_alphanumeric())
                        .collect();
                    out.push(name);
                }
                Component::Normal(part) => out.push(part),
                Component::RootDir | Component::CurDir | Component::ParentDir => {}
            }
        }
        out
    }

    /// The user's path for a path reported inside the shadow tree.
    fn map_back(&self, path: &Path) -> PathBuf {
        let abs = self.absolute(path);
        let Ok(rest) = abs.strip_prefix(&self.root) else {
            return path.to_path_buf();
        };
        if let Some(reported) = self.reported.get(&abs) {
            return reported.clone();
        }
        let real = Path::new(std::path::MAIN_SEPARATOR_STR).join(rest);
        match real.strip_prefix(&self.cwd) {
            Ok(relative) if !relative.as_os_str().is_empty() => relative.to_path_buf(),
            _ => real,
        }
    }

    fn map_message(&self, message: &str) -> String {
        let mut prefix = self.root.to_string_lossy().into_owned();
        prefix.push(std::path::MAIN_SEPARATOR);
        message.replace(&prefix, std::path::MAIN_SEPARATOR_STR)
    }

    fn map_diagnostic(&self, mut d: Diagnostic) -> Diagnostic {
        d.path = self.map_back(&d.path);
        d.message = self.map_message(&d.message);
        if let Some(help) = &d.help {
            d.help = Some(self.map_message(help));
        }
        for related in &mut d.related {
            related.path = self.map_back(&related.path);
            related.message = self.map_message(&related.message);
        }
        if let Some(fix) = &mut d.fix {
            for edit in &mut fix.edits {
                edit.path = self.map_back(&edit.path);
            }
        }
        d
    }
}

impl Workspace for Shadow {
    fn check(&mut self, checker: &mut Checker<'_>) -> Result<CheckOutcome, EngineError> {
        let mut options = self.options.clone();
        let roots = if options.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            std::mem::take(&mut options.paths)
        };
        options.paths = roots
            .iter()
            .map(|p| self.mirror_of(&self.absolute(p)))
            .collect();
        let outcome = checker(&options).map_err(|e| EngineError {
            message: self.map_message(&e.message),
        })?;
        Ok(CheckOutcome {
            diagnostics: outcome
                .diagnostics
                .into_iter()
                .map(|d| self.map_diagnostic(d))
                .collect(),
            sources: outcome
                .sources
                .into_values()
                .map(|source| {
                    let path = self.map_back(&source.path);
                    (
                        path.clone(),
                        Arc::new(SourceFile::new(path, source.text.clone())),
                    )
                })
                .collect(),
            files_checked: outcome.files_checked,
        })
    }

    fn write(&mut self, reported: &Path, text: &str) -> std::io::Result<()> {
        let target = self.mirror_of(&self.absolute(reported));
        // Only ever write inside the shadow tree: every directory on the way must be one of
        // ours, not a link back into the user's tree.
        let mut dir = target.parent();
        while let Some(d) = dir {
            if d == self.root {
                break;
            }
            if fs::symlink_metadata(d)?.file_type().is_symlink() {
                return Err(std::io::Error::other(format!(
                    "{} is outside the files being fixed",
                    reported.display()
                )));
            }
            dir = d.parent();
        }
        if dir.is_none() {
            return Err(std::io::Error::other("path outside the shadow copy"));
        }
        if fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
            fs::remove_file(&target)?;
        }
        fs::write(&target, text)
    }
}

fn create_root() -> std::io::Result<PathBuf> {
    let base = std::env::temp_dir();
    loop {
        let n = SHADOW_COUNTER.fetch_add(1, Ordering::Relaxed);
        let candidate = base.join(format!("skafix-diff-{}-{n}", std::process::id()));
        match fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Mirrors a file as a link and a directory as a real directory of links: rules walk build
/// contexts without following directory symlinks (as Docker sends a context), so a linked
/// directory would look empty to them.
fn mirror_entry(original: &Path, mirrored: &Path) -> std::io::Result<()> {
    let meta = fs::symlink_metadata(original)?;
    if !meta.is_dir() {
        return link(original, mirrored);
    }
    fs::create_dir_all(mirrored)?;
    for entry in fs::read_dir(original)? {
        let entry = entry?;
        mirror_entry(&entry.path(), &mirrored.join(entry.file_name()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn link(original: &Path, mirrored: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(original, mirrored)
}

#[cfg(not(unix))]
fn link(original: &Path, mirrored: &Path) -> std::io::Result<()> {
    // Symlinks need privileges on Windows; a copy of a plain file is the fallback, and
    // directories that hold nothing the check read are left out.
    if original.is_file() {
        fs::copy(original, mirrored).map(|_| ())
    } else {
        Ok(())
    }
}

fn common_ancestor<'a>(mut dirs: impl Iterator<Item = &'a PathBuf>) -> Option<PathBuf> {
    let mut common = dirs.next()?.clone();
    for dir in dirs {
        while !dir.starts_with(&common) {
            if !common.pop() {
                return None;
            }
        }
    }
    Some(common)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_ancestor_of_sibling_dirs() {
        let dirs = [
            PathBuf::from("/a/b/c"),
            PathBuf::from("/a/b/d/e"),
            PathBuf::from("/a/b"),
        ];
        assert_eq!(common_ancestor(dirs.iter()), Some(PathBuf::from("/a/b")));
        assert_eq!(common_ancestor([].iter()), None);
    }

    #[test]
    fn normalize_is_lexical() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("./x")), PathBuf::from("x"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    }
}
