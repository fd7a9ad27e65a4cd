//! What the checks of one `fix` run share. A fix run checks the project once, then again after
//! every pass to prove the fixes, and the passes change only file texts (in the overlay), never
//! which files exist. So everything derived from the file tree alone (the configs found, the
//! checked roots, each context's file list, the files a manifest glob names, which ignore file
//! applies) is made once per run, and everything parsed from a text (Dockerfiles, ignore
//! files, manifests) once per distinct text: an unchanged file is not parsed again, an edited
//! one is parsed as it now reads. A plain `check` has no memo and reads everything afresh.

use super::pipeline::ContextState;
use super::roots::Roots;
use super::EngineError;
use crate::dockerfile::{ignore::DockerIgnore, Dockerfile};
use crate::k8s::Workload;
use crate::source::Span;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A parsed text, or where and why parsing failed.
pub(crate) type Parsed<T> = Result<Arc<T>, (Span, String)>;

/// Shared by clones: [`CheckMemo::new`] makes one for a run, and every check given a clone of
/// it reuses what the others learnt. The default remembers nothing.
#[derive(Clone, Default)]
pub struct CheckMemo(Option<Arc<Memo>>);

impl std::fmt::Debug for CheckMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "CheckMemo(on)"
        } else {
            "CheckMemo(off)"
        })
    }
}

impl CheckMemo {
    /// A memo for checks of a tree whose files are not added, removed or renamed meanwhile.
    pub fn new() -> CheckMemo {
        CheckMemo(Some(Arc::default()))
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    pub(crate) fn get(&self) -> Option<&Memo> {
        self.0.as_deref()
    }
}

type Discovered = Result<Vec<PathBuf>, EngineError>;

/// The checked paths and the `--allow-outside` places.
type RootsKey = (Vec<PathBuf>, Vec<PathBuf>);

#[derive(Default)]
pub(crate) struct Memo {
    /// Config files found under the checked paths.
    discovered: Mutex<HashMap<Vec<PathBuf>, Discovered>>,
    /// The checked roots, by checked paths and `--allow-outside` places.
    roots: Mutex<HashMap<RootsKey, Roots>>,
    /// Per context directory, its file list and watched sets.
    pub contexts: Mutex<HashMap<PathBuf, Arc<ContextState>>>,
    /// Files a manifest path or glob names, by config directory and pattern.
    pub manifest_globs: Mutex<HashMap<(PathBuf, String), Vec<PathBuf>>>,
    /// The ignore file in force, by context and Dockerfile.
    pub ignore_files: Mutex<HashMap<(PathBuf, PathBuf), Option<PathBuf>>>,
    /// Parsed texts, by text.
    pub dockerfiles: Mutex<HashMap<String, Parsed<Dockerfile>>>,
    pub dockerignores: Mutex<HashMap<String, Arc<DockerIgnore>>>,
    pub manifests: Mutex<HashMap<String, Parsed<Vec<Workload>>>>,
}

impl Memo {
    pub fn discovered(&self, paths: &[PathBuf], find: impl FnOnce() -> Discovered) -> Discovered {
        remember(&self.discovered, paths.to_vec(), find)
    }

    pub fn roots(&self, paths: &[PathBuf], allow_outside: &[PathBuf]) -> Roots {
        remember(
            &self.roots,
            (paths.to_vec(), allow_outside.to_vec()),
            || Roots::of_paths(paths, allow_outside),
        )
    }
}

/// The value parsed from `text`, parsed by `make` the first time that text is seen.
pub(crate) fn remember_text<V: Clone>(
    map: &Mutex<HashMap<String, V>>,
    text: &str,
    make: impl FnOnce() -> V,
) -> V {
    if let Some(known) = map.lock().expect("memo").get(text) {
        return known.clone();
    }
    let made = make();
    map.lock()
        .expect("memo")
        .entry(text.to_string())
        .or_insert(made)
        .clone()
}

/// The value remembered under `key`, made by `make` the first time. Made outside the lock so
/// threads asking for different keys do not wait on each other (two may make the same value;
/// the first one stored is kept).
pub(crate) fn remember<K, V>(map: &Mutex<HashMap<K, V>>, key: K, make: impl FnOnce() -> V) -> V
where
    K: std::hash::Hash + Eq,
    V: Clone,
{
    if let Some(known) = map.lock().expect("memo").get(&key) {
        return known.clone();
    }
    let made = make();
    map.lock().expect("memo").entry(key).or_insert(made).clone()
}
