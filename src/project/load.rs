//! Reads config files (and the configs they `require`), parses them, and keeps every file's
//! text in one table so diagnostics and fixes can point into any of them.

use super::discover::io_reason;
use super::roots::Roots;
use crate::diagnostic::{Diagnostic, Severity};
use crate::skaffold::tree::{ConversionError, FileId, Val, ALIAS_EXPANSION_LIMIT};
use crate::source::{SourceFile, Span};
use crate::yaml;
use crate::yaml::MAX_NESTING_DEPTH;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Files larger than this are not read: no real config, Dockerfile or manifest comes close.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// One skaffold config file with its raw YAML documents.
#[derive(Debug)]
pub struct ConfigFile {
    pub id: FileId,
    pub source: Arc<SourceFile>,
    pub documents: Vec<yaml::Document>,
    /// The schema walk's findings, made once for the several SCHEMA rules that read them
    /// (the SCHEMA rules validate it).
    pub(crate) schema_issues: std::sync::OnceLock<Vec<crate::skaffold::schema::SchemaIssue>>,
}

/// One config document (`---` separated) of a config file.
#[derive(Debug)]
pub struct ConfigDoc {
    pub file: FileId,
    /// Index of the document in its file.
    pub index: usize,
    /// The document as a tree, shared by the evaluations that apply no profile.
    pub tree: Arc<Val>,
    pub api_version: Option<String>,
    pub name: Option<String>,
    /// Directory paths in the config are resolved against.
    pub dir: PathBuf,
}

/// Texts that stand in for files on disk, keyed by absolute normalized path: `fix` evaluates
/// its edits through it without writing anything (ruff's fix loop works on texts in memory
/// too). Only file contents are overlaid; fixes never add or remove files, so directory walks
/// still read the disk.
#[derive(Debug, Clone, Default)]
pub struct Overlay(Arc<HashMap<PathBuf, String>>);

impl Overlay {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The overlaid text of `path` (relative paths are taken from the working directory).
    pub fn get(&self, path: &Path) -> Option<&str> {
        if self.0.is_empty() {
            return None;
        }
        self.0.get(&absolute(path)).map(String::as_str)
    }

    /// Replaces the text of `path`.
    pub fn set(&mut self, path: &Path, text: String) {
        Arc::make_mut(&mut self.0).insert(absolute(path), text);
    }
}

fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return normalize(path);
    }
    match std::env::current_dir() {
        Ok(cwd) => normalize(&cwd.join(path)),
        Err(_) => normalize(path),
    }
}

#[derive(Debug, Default)]
pub struct Project {
    files: RwLock<FileTable>,
    /// Texts read instead of the files on disk.
    overlay: Overlay,
    pub config_files: Vec<ConfigFile>,
    pub configs: Vec<ConfigDoc>,
    /// Problems found while loading (unreadable files, YAML errors, duplicate keys, ...).
    pub load_diagnostics: Vec<Diagnostic>,
    /// What may be read: a file outside is refused before it is opened.
    pub roots: Roots,
    /// Whether the check spreads its work over threads: only when the configs are big enough
    /// for that to pay (see [`crate::parallel`]).
    pub parallel: bool,
}

#[derive(Debug, Default)]
struct FileTable {
    files: Vec<Arc<SourceFile>>,
    by_path: HashMap<PathBuf, Result<FileId, String>>,
}

/// Why a file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub message: String,
    /// Where in the file the problem is (non-UTF-8 byte), if anywhere.
    pub offset: Option<usize>,
}

impl Project {
    pub fn file(&self, id: FileId) -> Arc<SourceFile> {
        self.files.read().expect("file table").files[id.0 as usize].clone()
    }

    pub fn sources(&self) -> Vec<Arc<SourceFile>> {
        self.files.read().expect("file table").files.clone()
    }

    /// Keeps a file that is not valid text in a lossy form, so a problem inside it can still be
    /// shown at its line and column (the text before the first bad byte is exact).
    fn register_lossy(&self, path: &Path) {
        let Ok(bytes) = read_regular_file(path) else {
            return;
        };
        let text = String::from_utf8_lossy(&bytes).replace('\0', "\u{FFFD}");
        let mut table = self.files.write().expect("file table");
        table
            .files
            .push(Arc::new(SourceFile::new(report_path(path), text)));
    }

    /// Keeps a text that is no file on disk (a renderer's output) so findings made on it
    /// have a source until they are pointed at the files a person edits.
    pub fn register_generated(&self, path: PathBuf, text: String) -> FileId {
        let mut table = self.files.write().expect("file table");
        let id = FileId(table.files.len() as u32);
        table.files.push(Arc::new(SourceFile::new(path, text)));
        id
    }

    /// Reads a file once and keeps it; the error is remembered too.
    pub fn read(&self, path: &Path) -> Result<FileId, String> {
        let path = normalize(path);
        if let Some(known) = self.files.read().expect("file table").by_path.get(&path) {
            return known.clone();
        }
        let result = self
            .admit(&path)
            .and_then(|()| match self.overlay.get(&path) {
                Some(text) => Ok(text.to_string()),
                None => read_text(&path),
            })
            .map(|text| {
                let mut table = self.files.write().expect("file table");
                let id = FileId(table.files.len() as u32);
                table
                    .files
                    .push(Arc::new(SourceFile::new(report_path(&path), text)));
                id
            })
            .map_err(|e| e.message);
        self.files
            .write()
            .expect("file table")
            .by_path
            .insert(path, result.clone());
        result
    }
}

impl Project {
    /// Refuses a path outside the checked roots, before anything is opened.
    fn admit(&self, path: &Path) -> Result<(), ReadError> {
        if self.roots.may_read(path) {
            Ok(())
        } else {
            Err(ReadError {
                message: OUTSIDE_ROOTS.into(),
                offset: None,
            })
        }
    }
}

/// Why a file outside the checked roots is not read.
pub const OUTSIDE_ROOTS: &str = "it is outside the checked project (allow it with --allow-outside)";

/// Reads a regular file of at most [`MAX_FILE_BYTES`]. The file type is checked on the path
/// before opening (opening a FIFO would block) and on the opened handle (the path may have
/// changed in between), and the limit is enforced while reading: a device or `/proc` file
/// reports a size that means nothing.
pub fn read_regular_file(path: &Path) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let plain = |message: String| ReadError {
        message,
        offset: None,
    };
    let not_regular = |kind: std::fs::FileType| -> Option<ReadError> {
        if kind.is_file() {
            None
        } else if kind.is_dir() {
            Some(plain("is a directory".into()))
        } else {
            Some(plain(
                "is not a regular file (a device, FIFO or socket); only regular files are read"
                    .into(),
            ))
        }
    };
    let limit_mb = MAX_FILE_BYTES / (1024 * 1024);
    let meta = std::fs::metadata(path).map_err(|e| plain(io_reason(&e)))?;
    if let Some(err) = not_regular(meta.file_type()) {
        return Err(err);
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(plain(format!(
            "file is too large ({} MB; the limit is {limit_mb} MB)",
            meta.len() / (1024 * 1024)
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| plain(io_reason(&e)))?;
    let opened = file.metadata().map_err(|e| plain(io_reason(&e)))?;
    if let Some(err) = not_regular(opened.file_type()) {
        return Err(err);
    }
    let mut bytes = Vec::with_capacity(opened.len().min(MAX_FILE_BYTES) as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| plain(io_reason(&e)))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(plain(format!(
            "file is too large (more than {limit_mb} MB)"
        )));
    }
    Ok(bytes)
}

/// Reads a text file: refuses directories, special files, binary files, huge files and
/// non-UTF-8 text with a reason a user can act on. A UTF-8 BOM is kept in the text (offsets
/// stay byte-exact).
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    let bytes = read_regular_file(path)?;
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return Err(ReadError {
            message: "file is binary (it contains NUL bytes), not text".into(),
            offset: Some(nul),
        });
    }
    String::from_utf8(bytes).map_err(|e| ReadError {
        message: "file is not valid UTF-8".into(),
        offset: Some(e.utf8_error().valid_up_to()),
    })
}

/// Lexically cleans a path (`a/./b/../c` -> `a/c`, `../../x` stays) without touching the file
/// system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                // `..` cancels a normal component; at a relative start it stays (`../../x`),
                // and above the root there is nothing to go to.
                let last_is_normal =
                    matches!(out.components().next_back(), Some(Component::Normal(_)));
                if last_is_normal {
                    out.pop();
                } else if !path.is_absolute() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The path shown to users: relative to the working directory when under it.
pub fn report_path(path: &Path) -> PathBuf {
    if path.is_absolute() {
        if let Ok(cwd) = std::env::current_dir() {
            if let Ok(rel) = path.strip_prefix(&cwd) {
                return rel.to_path_buf();
            }
        }
    }
    path.to_path_buf()
}

pub(crate) fn engine_diagnostic(
    code: &'static str,
    path: &Path,
    span: Span,
    message: impl Into<String>,
) -> Diagnostic {
    // The model does not know the rule registry: the engine fills in the rule's name and
    // severity (see `crate::engine::stamp`).
    Diagnostic::new(code, "", Severity::Error, path, span, message)
}

/// Loads the given config files and, transitively, the configs they require by path, reading
/// only inside `roots` (a config, or a required one, outside is reported with SCHEMA011 and
/// not opened) and the texts of `overlay` instead of the disk where it has them.
pub fn load_within(paths: Vec<PathBuf>, roots: Roots, overlay: Overlay) -> Project {
    let mut project = Project {
        roots,
        overlay,
        ..Project::default()
    };
    // Each path with whether another config requires it: a required file is a Skaffold
    // config whatever it holds, a discovered one may belong to another tool.
    let mut queue: Vec<(PathBuf, bool)> = paths.into_iter().map(|p| (p, false)).collect();
    let mut seen = std::collections::HashSet::new();
    while let Some((path, required)) = queue.pop() {
        let path = normalize(&path);
        if !seen.insert(path.clone()) {
            continue;
        }
        if !project.roots.may_read(&path) {
            // A discovered config that is a symlink leading out of the project.
            project.load_diagnostics.push(engine_diagnostic(
                "SCHEMA011",
                &report_path(&path),
                Span::empty(0),
                format!(
                    "`{}` leads outside the checked project; it is not read (allow it with --allow-outside)",
                    report_path(&path).display()
                ),
            ));
            continue;
        }
        let id = match project.read(&path) {
            Ok(id) => id,
            Err(message) => {
                let offset = read_text(&path).err().and_then(|e| e.offset);
                if offset.is_some() {
                    project.register_lossy(&path);
                }
                project.load_diagnostics.push(engine_diagnostic(
                    "SCHEMA001",
                    &report_path(&path),
                    Span::empty(offset.unwrap_or(0)),
                    format!("cannot read {}: {message}", report_path(&path).display()),
                ));
                continue;
            }
        };
        let source = project.file(id);
        let documents = match yaml::parse(&source.text) {
            Ok(docs) => docs,
            Err(e) => {
                let mut d = engine_diagnostic(
                    "SCHEMA001",
                    &source.path,
                    e.span,
                    format!("invalid YAML: {}", e.message),
                );
                if unquoted_template_near(&source.text, e.span.start) {
                    d.help = Some("a value starting with `{{` is a YAML flow mapping; quote templated values: `image: \"{{.REPO}}/app\"`".into());
                }
                project.load_diagnostics.push(d);
                continue;
            }
        };
        if !required && is_other_kind_of_yaml(&documents) {
            continue;
        }
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for (index, doc) in documents.iter().enumerate() {
            for dup in &doc.duplicate_keys {
                project.load_diagnostics.push(
                    engine_diagnostic(
                        "SCHEMA006",
                        &source.path,
                        dup.second,
                        format!("duplicate key `{}`: Skaffold rejects the file", dup.key),
                    )
                    .with_related(
                        &source.path,
                        dup.first,
                        "first defined here",
                    ),
                );
            }
            let Some(root) = doc.root_ref() else { continue };
            let mut alias_budget = ALIAS_EXPANSION_LIMIT;
            let tree = match Val::from_yaml(root, id, &mut alias_budget) {
                Ok(tree) => tree,
                Err(error) => {
                    let alias = source
                        .text
                        .get(error.span().start..error.span().end)
                        .unwrap_or("the alias");
                    let message = match error {
                        ConversionError::AliasExpansion { .. } => format!(
                            "alias `{alias}` expands to more than {ALIAS_EXPANSION_LIMIT} values (the alias expansion limit); document not checked"
                        ),
                        ConversionError::TooDeep { .. } => format!(
                            "alias `{alias}` nests values deeper than {MAX_NESTING_DEPTH} levels (the nesting limit); document not checked"
                        ),
                    };
                    project.load_diagnostics.push(engine_diagnostic(
                        "SCHEMA001",
                        &source.path,
                        error.span(),
                        message,
                    ));
                    continue;
                }
            };
            if !tree.is_map() {
                project.load_diagnostics.push(engine_diagnostic(
                    "SCHEMA001",
                    &source.path,
                    root.span(),
                    format!(
                        "a Skaffold config must be a mapping, found {}",
                        root.kind_name()
                    ),
                ));
                continue;
            }
            for required in tree.get("requires").map(Val::items).unwrap_or(&[]) {
                if let Some(value) = required.get("path") {
                    let Some(rel) = value.as_str() else { continue };
                    let required_path = required_config_path(&dir, rel);
                    if project.roots.may_read(&required_path) {
                        queue.push((required_path, true));
                    } else {
                        project.load_diagnostics.push(engine_diagnostic(
                            "SCHEMA011",
                            &source.path,
                            value.origin.span,
                            format!(
                                "required config `{rel}` is outside the checked project; it is not read, checked or fixed (allow reading it with --allow-outside)"
                            ),
                        ));
                    }
                }
            }
            project.configs.push(ConfigDoc {
                file: id,
                index,
                api_version: tree
                    .get("apiVersion")
                    .and_then(Val::as_str)
                    .map(str::to_string),
                name: tree
                    .path(&["metadata", "name"])
                    .and_then(Val::as_str)
                    .map(str::to_string),
                tree: Arc::new(tree),
                dir: dir.clone(),
            });
        }
        project.config_files.push(ConfigFile {
            id,
            source,
            documents,
            schema_issues: std::sync::OnceLock::new(),
        });
    }
    project
        .config_files
        .sort_by(|a, b| a.source.path.cmp(&b.source.path));
    project.parallel = pipeline_artifacts(&project) >= PARALLEL_FROM_ARTIFACTS;
    project
}

/// Artifacts a check evaluates (each config's artifacts, once for its base pipeline and once
/// per profile) from which the work is spread over threads. Each costs a few hundred
/// microseconds of rules; starting the pool and handing work over costs about a millisecond.
const PARALLEL_FROM_ARTIFACTS: usize = 8;

/// The artifacts a check evaluates, counting a config without artifacts as one.
fn pipeline_artifacts(project: &Project) -> usize {
    project
        .configs
        .iter()
        .map(|config| {
            let count = |path: &[&str]| config.tree.path(path).map_or(0, |v| v.items().len());
            (1 + count(&["profiles"])) * count(&["build", "artifacts"]).max(1)
        })
        .sum()
}

/// `requires[].path`: relative to the requiring file; a directory means its skaffold.yaml
/// (`pkg/skaffold/parser/config.go`).
pub fn required_config_path(dir: &Path, rel: &str) -> PathBuf {
    let joined = normalize(&dir.join(rel));
    if joined.is_dir() {
        joined.join("skaffold.yaml")
    } else {
        joined
    }
}

/// A file named like a Skaffold config that holds another tool's YAML, such as a Kubernetes
/// manifest `skaffold-rbac.yaml` or Helm values `skaffold-values.yaml`: no document is a
/// mapping with a `skaffold/...` apiVersion or `kind: Config`, the two marks of a Skaffold
/// config (`pkg/skaffold/schema/versions.go` reads `apiVersion` and `kind` first). An empty
/// file is still reported: it holds no other tool's config either.
fn is_other_kind_of_yaml(documents: &[yaml::Document]) -> bool {
    let roots: Vec<_> = documents
        .iter()
        .filter_map(|d| d.root_ref())
        .filter(|root| root.is_mapping())
        .collect();
    let any_document = documents.iter().any(|d| d.root_ref().is_some());
    any_document
        && !roots.iter().any(|root| {
            root.get("apiVersion")
                .and_then(|v| v.as_str())
                .is_some_and(|v| v.starts_with("skaffold/"))
                || root.get("kind").and_then(|v| v.as_str()) == Some("Config")
        })
}

/// Whether the line of a YAML error, or the one before, has a value starting with `{{`: the
/// usual cause of a parse error in templated fields (Skaffold issue #5841).
fn unquoted_template_near(text: &str, offset: usize) -> bool {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let previous_start = text[..line_start.saturating_sub(1)]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    text.get(previous_start..line_end)
        .is_some_and(|lines| lines.contains(": {{") || lines.contains("- {{"))
}

#[cfg(test)]
mod tests {
    use super::{load_within, normalize, Roots};
    use std::path::{Path, PathBuf};

    /// A config with `artifacts` artifacts and `profiles` profiles, loaded.
    fn loaded(artifacts: usize, profiles: usize) -> super::Project {
        let dir = tempfile::tempdir().unwrap();
        let mut text =
            String::from("apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n");
        for i in 0..artifacts {
            text.push_str(&format!("    - image: app{i}\n"));
        }
        if profiles > 0 {
            text.push_str("profiles:\n");
            for i in 0..profiles {
                text.push_str(&format!("  - name: p{i}\n"));
            }
        }
        let config = dir.path().join("skaffold.yaml");
        std::fs::write(&config, text).unwrap();
        load_within(vec![config], Roots::default(), Default::default())
    }

    #[test]
    fn work_is_spread_over_threads_from_eight_evaluated_artifacts() {
        assert!(!loaded(1, 0).parallel);
        assert!(!loaded(7, 0).parallel);
        assert!(loaded(8, 0).parallel);
        // Each profile evaluates the artifacts again.
        assert!(!loaded(3, 1).parallel);
        assert!(loaded(4, 1).parallel);
        assert!(loaded(1, 7).parallel);
    }

    #[test]
    fn normalize_is_lexical_and_keeps_leading_parents() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("a/../..")), PathBuf::from(".."));
        assert_eq!(normalize(Path::new("../../x")), PathBuf::from("../../x"));
        assert_eq!(
            normalize(Path::new("a/b/../../../x")),
            PathBuf::from("../x")
        );
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(normalize(Path::new("./")), PathBuf::from("."));
    }
}
