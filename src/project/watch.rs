//! The build-context model: which context files an image's COPY/ADD instructions watch, where
//! a COPY puts each of them, and where a manual sync rule puts it. Rules, `explain` and the probe
//! all ask these questions, so the answers live with the project model.
//!
//! - the watched set: the files that COPY/ADD sources (not `--from`) of any stage cover, minus
//!   `.dockerignore` (Skaffold `pkg/skaffold/docker/dependencies.go:122-168`);
//! - where a COPY puts a context file (directory sources copy their contents, a file source
//!   lands under a directory destination by its base name);
//! - where a manual sync rule puts it: `path.Join(WORKDIR, dest, TrimPrefix(rel, strip))`,
//!   WORKDIR only for a relative `dest` (`pkg/skaffold/sync/sync.go:251-274`).
//!
//! Anything that cannot be resolved (an unknown variable, a URL, an unsupported glob) makes
//! the result unknown, and rules stay silent.

use super::ArtifactView;
use crate::dockerfile::ignore::{clean_path, clean_path_owned};
use crate::dockerfile::{Dockerfile, Instruction};
use globset::{GlobBuilder, GlobMatcher};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

/// At most this many context files are listed; a larger context is not analysed, and the
/// check says so (SCHEMA009).
pub(crate) const MAX_CONTEXT_FILES: usize = 50_000;

/// Why a build context has no file list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unlisted {
    /// Not a directory, outside the checked roots, or a part of it cannot be read.
    Unreadable,
    /// More than [`MAX_CONTEXT_FILES`] files.
    TooLarge,
}

/// One source of a COPY/ADD that reads the build context, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContextCopy {
    /// Index of the COPY/ADD instruction.
    pub instruction: usize,
    pub stage: usize,
    /// The source relative to the context, cleaned, `.` for the context root.
    pub source: String,
    /// The source holds `*`, `?` or `[`.
    pub wildcard: bool,
    /// An ADD of a local archive, which Docker unpacks: the file's place is unknown.
    pub unpacked: bool,
    /// The absolute destination, resolved against the WORKDIR in force, cleaned.
    pub dest: String,
    /// The destination is a directory: written with a trailing `/`, `.`/`..`, or the COPY has
    /// several sources or a wildcard.
    pub dest_is_dir: bool,
}

/// The context-reading COPY/ADD sources of a Dockerfile; `None` when one of them cannot be
/// resolved (so which files are watched is unknown).
pub(crate) fn context_copies(
    dockerfile: &Dockerfile,
    build_args: &HashMap<String, String>,
) -> Option<Vec<ContextCopy>> {
    let mut copies = Vec::new();
    for ins in &dockerfile.instructions {
        let Some(args) = ins.copy_args() else {
            continue;
        };
        if ins.flag("from").is_some() {
            continue;
        }
        // `--exclude` and `--parents` change which files land where; not modelled.
        if ins.flag("exclude").is_some() || ins.flag("parents").is_some() {
            return None;
        }
        let Some(stage) = ins.stage else { continue };
        let state = dockerfile.state_at(ins.index, Some(build_args))?;
        let dest_raw = state.expand(&args.dest.value).known()?.to_string();
        let workdir = state.workdir.value.clone()?;
        let dest = absolute(&workdir, &dest_raw);
        let several = args.sources.len() + args.heredocs.len() > 1;
        for source in &args.sources {
            let raw = state.expand(&source.value).known()?.to_string();
            if ins.keyword == "ADD" && (raw.contains("://") || raw.starts_with("git@")) {
                continue;
            }
            let cleaned = clean_path(raw.trim_start_matches('/'));
            let cleaned = cleaned.trim_start_matches("./").to_string();
            let wildcard = cleaned.contains(['*', '?', '[']);
            // ADD unpacks local archives: the files land somewhere only the archive knows.
            let archive = ins.keyword == "ADD"
                && [
                    ".tar", ".tgz", ".gz", ".bz2", ".xz", ".zst", ".tbz2", ".txz",
                ]
                .iter()
                .any(|ext| cleaned.ends_with(ext));
            if cleaned.contains(['{', '\\']) || cleaned.starts_with("..") {
                return None;
            }
            copies.push(ContextCopy {
                instruction: ins.index,
                stage,
                source: if cleaned.is_empty() {
                    ".".into()
                } else {
                    cleaned
                },
                wildcard,
                unpacked: archive,
                dest: dest.clone(),
                dest_is_dir: several
                    || wildcard
                    || dest_raw.ends_with('/')
                    || dest_raw == "."
                    || dest_raw == ".."
                    || dest_raw.ends_with("/.")
                    || dest_raw.ends_with("/.."),
            });
        }
    }
    Some(copies)
}

/// `path` joined to `base` when relative, cleaned.
pub(crate) fn absolute(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        clean_path(path)
    } else {
        clean_path_owned(joined(base.trim_end_matches('/'), path))
    }
}

/// `base/rest`, in one allocation: rules join a destination to every context file.
fn joined(base: &str, rest: &str) -> String {
    let mut out = String::with_capacity(base.len() + 1 + rest.len());
    out.push_str(base);
    out.push('/');
    out.push_str(rest);
    out
}

impl ContextCopy {
    /// When this source covers `file` (relative to the context): the part of `file` below
    /// what the source names (`""` when the source names the file itself).
    pub fn covers<'f>(&self, file: &'f str) -> Option<&'f str> {
        if self.source == "." {
            return Some(file);
        }
        if !self.wildcard {
            if file == self.source {
                return Some("");
            }
            return file.strip_prefix(self.source.as_str())?.strip_prefix('/');
        }
        let matcher = go_pattern(&self.source)?;
        // A wildcard matches whole path components; a matched directory brings its contents.
        let mut ends: Vec<usize> = file.match_indices('/').map(|(i, _)| i).collect();
        ends.push(file.len());
        ends.into_iter().find_map(|end| {
            matcher
                .is_match(&file[..end])
                .then(|| file.get(end + 1..).unwrap_or(""))
        })
    }

    /// Where this COPY puts `file`, when it covers it and the place is certain.
    pub fn target(&self, file: &str) -> Option<String> {
        if self.unpacked {
            return None;
        }
        let below = self.covers(file)?;
        if !below.is_empty() {
            return Some(clean_path_owned(joined(&self.dest, below)));
        }
        let base = file.rsplit('/').next().unwrap_or(file);
        // `COPY a.py /app` renames unless /app already is a directory, which only the image knows.
        self.dest_is_dir
            .then(|| clean_path_owned(joined(&self.dest, base)))
    }
}

/// A COPY source pattern (Go `filepath.Match`: `*` and `?` stay inside one component).
fn go_pattern(pattern: &str) -> Option<Arc<GlobMatcher>> {
    if pattern.contains("**") {
        return None;
    }
    compiled_glob(pattern)
}

/// A sync `src` pattern with doublestar semantics (`**` matches zero or more directories).
pub(crate) fn sync_glob(pattern: &str) -> Option<Arc<GlobMatcher>> {
    compiled_glob(pattern)
}

/// Compiled patterns by text. Rules ask for the same few patterns once per file and per
/// artifact, and compiling one costs far more than matching it, so each is compiled once.
static GLOBS: LazyLock<Mutex<HashMap<String, Option<Arc<GlobMatcher>>>>> =
    LazyLock::new(Default::default);

/// Past this many distinct patterns the memo starts over, so a long-lived process that sees
/// many configs does not grow without bound.
const MAX_MEMOISED_GLOBS: usize = 4096;

fn compiled_glob(pattern: &str) -> Option<Arc<GlobMatcher>> {
    if let Some(known) = GLOBS.lock().ok()?.get(pattern) {
        return known.clone();
    }
    let compiled = GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .ok()
        .map(|g| Arc::new(g.compile_matcher()));
    if let Ok(mut memo) = GLOBS.lock() {
        if memo.len() >= MAX_MEMOISED_GLOBS {
            memo.clear();
        }
        memo.insert(pattern.to_string(), compiled.clone());
    }
    compiled
}

/// Every file under the context, relative with `/` separators, sorted; or why there is no
/// such list. `.git` is left out: no rule is about it.
pub(crate) fn context_files(context: &Path) -> Result<Vec<String>, Unlisted> {
    if !context.is_dir() {
        return Err(Unlisted::Unreadable);
    }
    let mut files = Vec::new();
    let walker = ignore::WalkBuilder::new(context)
        .standard_filters(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker {
        let entry = entry.map_err(|_| Unlisted::Unreadable)?;
        // A symlink to a file is part of the context too (Docker sends it as a link).
        let is_file = entry
            .file_type()
            .is_some_and(|t| t.is_file() || (t.is_symlink() && entry.path().is_file()));
        if !is_file {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(context)
            .map_err(|_| Unlisted::Unreadable)?;
        files.push(rel.to_string_lossy().replace('\\', "/"));
        if files.len() > MAX_CONTEXT_FILES {
            return Err(Unlisted::TooLarge);
        }
    }
    files.sort();
    Ok(files)
}

/// What a Dockerfile artifact's context holds and which of it is watched.
pub(crate) struct Watched {
    pub files: Arc<Vec<String>>,
    pub copies: Vec<ContextCopy>,
    /// Per file of `files`: some COPY/ADD covers it.
    pub covered: Vec<bool>,
    /// Per file: `.dockerignore` leaves it out of the context.
    pub ignored: Vec<bool>,
    /// Answers of [`Watched::matching`]: several rules match the same sync patterns against
    /// every file of the context, in every pipeline that builds it.
    matches: Mutex<HashMap<String, Option<Arc<Vec<usize>>>>>,
}

/// A watched set kept for a context, with what it was made from: the resolved COPY/ADD
/// sources and the ignore file (by identity: parsed once per text and kept alive here).
pub(crate) type WatchedEntry = (
    Vec<ContextCopy>,
    Option<Arc<crate::dockerfile::ignore::DockerIgnore>>,
    Option<Arc<Watched>>,
);

/// Watched sets kept per context; more means artifacts of one context built many ways, and
/// the oldest is made again if asked for.
const MAX_WATCHED_PER_CONTEXT: usize = 8;

impl Watched {
    /// The watched set of `view`'s context for `dockerfile` built with `build_args`. Rules ask
    /// for it once each per artifact, always with the artifact's own Dockerfile and build
    /// args, so the first answer is kept on the view; another question is answered afresh.
    pub fn of(
        view: &ArtifactView,
        dockerfile: &Dockerfile,
        build_args: &HashMap<String, String>,
    ) -> Option<Arc<Watched>> {
        let address = std::ptr::from_ref(dockerfile) as usize;
        let ((cached_address, cached_args), cached) = view.watched.get_or_init(|| {
            (
                (address, build_args.clone()),
                Self::shared(view, dockerfile, build_args),
            )
        });
        if *cached_address == address && cached_args == build_args {
            return cached.clone();
        }
        Self::shared(view, dockerfile, build_args)
    }

    /// The watched set as the context keeps it: the same COPY/ADD sources and ignore file
    /// watch the same files, whichever pipeline, profile or build args led to them.
    fn shared(
        view: &ArtifactView,
        dockerfile: &Dockerfile,
        build_args: &HashMap<String, String>,
    ) -> Option<Arc<Watched>> {
        let copies = context_copies(dockerfile, build_args)?;
        let ignore = view.dockerignore.as_ref().map(|i| i.parsed.clone());
        let same = |entry: &WatchedEntry| {
            entry.0 == copies
                && match (&entry.1, &ignore) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    (None, None) => true,
                    _ => false,
                }
        };
        if let Some(entry) = view.context.watched.lock().ok()?.iter().find(|e| same(e)) {
            return entry.2.clone();
        }
        let made = Self::compute(view, copies.clone()).map(Arc::new);
        let mut kept = view.context.watched.lock().ok()?;
        if let Some(entry) = kept.iter().find(|e| same(e)) {
            return entry.2.clone();
        }
        if kept.len() >= MAX_WATCHED_PER_CONTEXT {
            kept.remove(0);
        }
        kept.push((copies, ignore, made.clone()));
        made
    }

    fn compute(view: &ArtifactView, copies: Vec<ContextCopy>) -> Option<Watched> {
        let files = view.context_files()?;
        let covered = files
            .iter()
            .map(|f| copies.iter().any(|c| c.covers(f).is_some()))
            .collect();
        let ignored = files
            .iter()
            .map(|f| {
                view.dockerignore
                    .as_ref()
                    .is_some_and(|i| i.parsed.is_excluded(f))
            })
            .collect();
        Some(Watched {
            files,
            copies,
            covered,
            ignored,
            matches: Mutex::default(),
        })
    }

    /// Indices of the files a doublestar pattern matches.
    pub fn matching(&self, pattern: &str) -> Option<Vec<usize>> {
        if let Some(known) = self.matches.lock().ok()?.get(pattern) {
            return known.as_ref().map(|m| m.as_ref().clone());
        }
        let matched = sync_glob(pattern).map(|glob| {
            Arc::new(
                (0..self.files.len())
                    .filter(|&i| glob.is_match(&self.files[i]))
                    .collect::<Vec<usize>>(),
            )
        });
        let answer = matched.as_ref().map(|m| m.as_ref().clone());
        self.matches
            .lock()
            .ok()?
            .insert(pattern.to_string(), matched);
        answer
    }

    /// The file changes Skaffold sees: covered by a COPY and not ignored.
    pub fn is_watched(&self, i: usize) -> bool {
        self.covered[i] && !self.ignored[i]
    }
}

/// The patterns of an infer sync (`sync: {}` means `infer: ["**/*"]`); `None` for manual and
/// auto sync.
pub(crate) fn infer_patterns(sync: &crate::skaffold::model::Sync) -> Option<Vec<String>> {
    use crate::skaffold::model::SyncMode;
    match &sync.mode {
        SyncMode::Infer(patterns) => Some(patterns.iter().map(|p| p.value.clone()).collect()),
        SyncMode::DefaultInfer => Some(vec!["**/*".into()]),
        _ => None,
    }
}

/// Whether an infer sync certainly maps no file: Skaffold's infer map holds only the context
/// files that a COPY/ADD of the file's LAST stage copies and `.dockerignore` keeps
/// (`pkg/skaffold/docker/syncmap.go`, SyncMap), so a change to any file rebuilds and nothing is
/// ever copied into the container. `false` when it maps something or that is not known.
pub(crate) fn infer_maps_nothing(
    patterns: &[String],
    view: &ArtifactView,
    built: &super::runtime::BuiltImage,
) -> bool {
    let Some(last) = built.dockerfile.stages.last() else {
        return false;
    };
    let Some(watched) = Watched::of(view, built.dockerfile, &built.build_args) else {
        return false;
    };
    let mut maps_something = false;
    for pattern in patterns {
        let Some(matched) = watched.matching(pattern) else {
            return false;
        };
        maps_something |= matched.into_iter().any(|i| {
            !watched.ignored[i]
                && watched
                    .copies
                    .iter()
                    .any(|c| c.stage == last.index && c.covers(&watched.files[i]).is_some())
        });
    }
    !maps_something
}

/// Where a manual rule puts a file: `path.Join(WD, dest, TrimPrefix(rel, strip))` with WD
/// only for a relative `dest` (Skaffold `sync.go:251-274`, `image_util.go:52-65`).
pub(crate) fn manual_destination(
    workdir: &str,
    dest: &str,
    strip: Option<&str>,
    rel: &str,
) -> String {
    let rest = strip.and_then(|s| rel.strip_prefix(s)).unwrap_or(rel);
    let base = if dest.starts_with('/') {
        std::borrow::Cow::Borrowed(dest)
    } else {
        std::borrow::Cow::Owned(joined(workdir.trim_end_matches('/'), dest))
    };
    clean_path_owned(joined(base.trim_end_matches('/'), rest))
}

/// The stages whose instructions make up `stage`'s image: its `FROM <stage>` ancestors first,
/// then itself. `None` when a `FROM` cannot be resolved.
pub(crate) fn stage_chain(dockerfile: &Dockerfile, stage: usize) -> Option<Vec<usize>> {
    let mut chain = vec![stage];
    let mut current = dockerfile.stages.get(stage)?;
    while let Some(parent) = current.base_stage {
        if parent >= current.index || chain.contains(&parent) {
            return None;
        }
        chain.push(parent);
        current = dockerfile.stages.get(parent)?;
    }
    chain.reverse();
    Some(chain)
}

/// The instructions of the stages in `chain`, in build order.
pub(crate) fn chain_instructions<'d>(
    dockerfile: &'d Dockerfile,
    chain: &[usize],
) -> Vec<&'d Instruction> {
    chain
        .iter()
        .flat_map(|&s| dockerfile.instructions[dockerfile.stages[s].instructions.clone()].iter())
        .collect()
}

/// The WORKDIR and USER of the built image: the state after the built stage's last
/// instruction (`state_at` gives the state before an instruction runs, so a final WORKDIR or
/// USER is applied here). WORKDIR is `None` when no instruction set it (the base image's
/// applies); USER is `(user, instruction)` when the Dockerfile sets it.
pub(crate) struct FinalState {
    pub workdir: Option<String>,
    pub user: Option<(String, usize)>,
}

pub(crate) fn final_state(built: &super::runtime::BuiltImage) -> Option<FinalState> {
    let state = built
        .dockerfile
        .state_after(built.stage.index, Some(&built.build_args))?;
    let workdir = state
        .workdir
        .value
        .clone()
        .filter(|_| state.workdir.set_by.is_some());
    let user = state.user.value.clone().zip(state.user.set_by);
    Some(FinalState { workdir, user })
}

/// A stage as messages name it: `` `name` `` or `#index` for an unnamed stage.
pub(crate) fn stage_label(stage: &crate::dockerfile::Stage) -> String {
    match &stage.name {
        Some(name) => format!("`{}`", name.value),
        None => format!("#{}", stage.index),
    }
}

/// A quoted replacement for a YAML scalar, keeping the original quoting style.
pub(crate) fn requote(raw: &str, value: &str) -> String {
    if raw.starts_with('"') {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    } else if raw.starts_with('\'') {
        format!("'{}'", value.replace('\'', "''"))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(source: &str, dest: &str, dest_is_dir: bool) -> ContextCopy {
        ContextCopy {
            instruction: 0,
            stage: 0,
            source: source.into(),
            wildcard: source.contains(['*', '?', '[']),
            unpacked: false,
            dest: dest.into(),
            dest_is_dir,
        }
    }

    #[test]
    fn manual_destination_follows_skaffold_worked_examples() {
        // sync_test.go: `dir1b/**/*.js` -> `/dstar` keeps the whole relative path.
        assert_eq!(
            manual_destination("/", "/dstar", None, "dir1b/dir1/node.js"),
            "/dstar/dir1b/dir1/node.js"
        );
        // With `strip: dir1a/` the stripped prefix disappears.
        assert_eq!(
            manual_destination("/", "/tstar", Some("dir1a/"), "dir1a/dir2/dir3/node.js"),
            "/tstar/dir2/dir3/node.js"
        );
        // filesync.md's `static-html/*.html` + `dest: static` lands under static/static-html.
        assert_eq!(
            manual_destination(
                "/usr/share/nginx/html",
                "static",
                None,
                "static-html/a.html"
            ),
            "/usr/share/nginx/html/static/static-html/a.html"
        );
        // A relative dest joins the built image's WORKDIR; `.` is the WORKDIR itself.
        assert_eq!(
            manual_destination("/app", ".", Some("api/"), "api/main.py"),
            "/app/main.py"
        );
        assert_eq!(
            manual_destination("/app", "/app", Some("api/"), "api/x/y.py"),
            "/app/x/y.py"
        );
    }

    #[test]
    fn copy_sources_map_files_like_docker() {
        assert_eq!(
            copy("api", "/app", true).target("api/app.py").as_deref(),
            Some("/app/app.py")
        );
        assert_eq!(
            copy(".", "/app", true).target("api/app.py").as_deref(),
            Some("/app/api/app.py")
        );
        assert_eq!(
            copy("app.py", "/app", true).target("app.py").as_deref(),
            Some("/app/app.py")
        );
        assert_eq!(copy("app.py", "/srv/main.py", false).target("app.py"), None);
        assert_eq!(
            copy("*.py", "/app", true).target("a.py").as_deref(),
            Some("/app/a.py")
        );
        assert_eq!(copy("*.py", "/app", true).target("x/a.py"), None);
        assert_eq!(
            copy("sr?", "/app", true).target("src/x/a.py").as_deref(),
            Some("/app/x/a.py")
        );
        assert_eq!(copy("api", "/app", true).target("apis/a.py"), None);
    }

    #[test]
    fn doublestar_matches_zero_directories() {
        let g = sync_glob("api/**/*.py").unwrap();
        assert!(g.is_match("api/app.py"));
        assert!(g.is_match("api/a/b/app.py"));
        assert!(!g.is_match("web/app.py"));
        assert!(!sync_glob("*.py").unwrap().is_match("api/app.py"));
    }
}
