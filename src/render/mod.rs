//! Rendering: runs kustomize and Helm the way Skaffold's renderers do, offline and bounded,
//! so container rules see the manifests Skaffold really deploys. Each rendered output becomes
//! a manifest source with an origin map back to the files a person edits.
//!
//! Rendering is attack surface (`check` runs on pull requests): tools are started only for
//! configs that use kustomize or Helm, with a cleared environment (no CI secrets, no kube
//! config, no Helm plugins), an allow-list of flags, inputs checked to lie inside the checked
//! roots, a time bound and an output bound. Results are cached in memory per render inputs.

pub mod helm;
pub mod kustomize;
pub mod origin;
mod run;

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How (and whether) manifests are rendered.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Run kustomize and Helm at all (`--no-render` and `render = false` turn it off).
    pub enabled: bool,
    /// Where tools are looked up, in `PATH` form; None: the `PATH` of this process.
    pub search_path: Option<OsString>,
    /// Longest a single tool run may take.
    pub timeout: Duration,
    /// Give `{{.VAR}}` templates the real environment values; otherwise a placeholder
    /// (`$VAR`) stands in, so no CI secret reaches rendered output or a report.
    pub environment: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            enabled: false,
            search_path: None,
            timeout: Duration::from_secs(30),
            environment: false,
        }
    }
}

/// A rendered manifest source: the tool's output with where each part came from.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// What produced it, for messages: `kustomize build k8s/overlays/dev`, `helm template app`.
    pub label: String,
    /// The rendered YAML.
    pub text: String,
    /// Resource documents' origin files as the tool reported them (absolute paths), by the
    /// byte offset where the document starts in `text`.
    pub document_origins: Vec<(usize, PathBuf)>,
}

/// Why a renderer entry could not be analysed; reported once (SCHEMA009) at the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnalysed {
    pub reason: String,
}

/// One render's inputs: the tool's argument list, its working directory and the files it may
/// read; equal inputs render equally, so profiles repeating the base share one run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RenderKey {
    pub program: String,
    pub args: Vec<String>,
    pub dir: PathBuf,
    /// Extra files written for the run (name, contents): Helm `overrides`.
    pub files: Vec<(String, String)>,
    /// Render from a private copy of the inputs instead of the project (see [`Copy`]).
    pub copy: Option<Copy>,
}

/// The inputs of a render whose texts `fix` holds in memory: the tool cannot read them, so
/// every input is copied below a private temporary directory (outside the project, removed
/// when the run ends, also when it fails), the held texts written in place of the files, and
/// the tool pointed at the copy. Paths of the copy in the output are turned back into the
/// project's, so the origin map is the same as for a render from the project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Copy {
    /// The checked root the inputs lie in; the copy mirrors the inputs' places below it.
    pub root: PathBuf,
    /// Every file the render reads (canonical, inside `root`).
    pub inputs: Vec<PathBuf>,
    /// Inputs whose text is held in memory, with that text.
    pub held: Vec<(PathBuf, String)>,
}

/// One tool run's output or error, filled once.
type RunSlot = Arc<OnceLock<Result<String, String>>>;

/// Render results shared by every pipeline of a check (in memory only).
#[derive(Default)]
pub struct RenderCache {
    pub options: RenderOptions,
    /// The checked roots (see [`checked_roots`]).
    pub roots: Vec<PathBuf>,
    runs: Mutex<HashMap<RenderKey, RunSlot>>,
    /// Texts `fix` holds in memory instead of the files on disk.
    overlay: crate::project::Overlay,
}

impl RenderCache {
    pub fn new(options: RenderOptions, checked: &[PathBuf]) -> Self {
        RenderCache {
            roots: if options.enabled {
                checked_roots(checked)
            } else {
                Vec::new()
            },
            options,
            runs: Mutex::new(HashMap::new()),
            overlay: crate::project::Overlay::default(),
        }
    }

    /// Renders read `overlay`'s texts instead of the files on disk (`fix` proving its edits).
    pub fn with_overlay(mut self, overlay: crate::project::Overlay) -> Self {
        self.overlay = overlay;
        self
    }

    /// Runs `key` on the files as the check sees them: when `fix` holds the text of one of
    /// `inputs` in memory, from a private copy of the inputs with that text. Should the copy
    /// not render, the project's own files are rendered: the finding a fix was meant to cure
    /// then stays, and the fix is not applied.
    pub(crate) fn run_inputs(
        &self,
        key: &RenderKey,
        tool: &Path,
        root: &Path,
        inputs: &[PathBuf],
    ) -> Result<String, String> {
        let held: Vec<(PathBuf, String)> = if self.overlay.is_empty() {
            Vec::new()
        } else {
            inputs
                .iter()
                .filter_map(|p| self.overlay.get(p).map(|t| (p.clone(), t.to_string())))
                .collect()
        };
        if held.is_empty() || root.parent().is_none() {
            return self.run(key, tool);
        }
        let mut copied = key.clone();
        copied.copy = Some(Copy {
            root: root.to_path_buf(),
            inputs: inputs.to_vec(),
            held,
        });
        self.run(&copied, tool).or_else(|_| self.run(key, tool))
    }

    /// The root a config's inputs must stay inside: the checked root holding it.
    pub fn root_for(&self, config_dir: &Path) -> PathBuf {
        let real = std::fs::canonicalize(config_dir).unwrap_or_else(|_| config_dir.to_path_buf());
        self.roots
            .iter()
            .filter(|r| real.starts_with(r))
            .max_by_key(|r| r.components().count())
            .cloned()
            .unwrap_or_else(|| root_of(config_dir))
    }

    /// Runs the tool once per key; concurrent callers with the same key wait for that run.
    pub(crate) fn run(&self, key: &RenderKey, tool: &Path) -> Result<String, String> {
        let slot = self
            .runs
            .lock()
            .expect("render cache")
            .entry(key.clone())
            .or_default()
            .clone();
        slot.get_or_init(|| run::run_tool(tool, key, &self.options))
            .clone()
    }

    /// The full path of `program` in the search path, if there.
    pub fn find_tool(&self, program: &str) -> Option<PathBuf> {
        let path = match &self.options.search_path {
            Some(p) => p.clone(),
            None => std::env::var_os("PATH")?,
        };
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
    }
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// The checked roots of the paths given to `check`: the git work tree holding each, or the
/// path itself (its directory, for a file) outside git.
pub fn checked_roots(paths: &[PathBuf]) -> Vec<PathBuf> {
    let given = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    given
        .iter()
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .map(|p| {
            if p.is_file() {
                p.parent().map(Path::to_path_buf).unwrap_or(p)
            } else {
                p
            }
        })
        .map(|p| {
            let git = p
                .ancestors()
                .find(|d| d.join(".git").exists())
                .map(Path::to_path_buf);
            git.unwrap_or(p)
        })
        .collect()
}

/// The git work tree holding a config (the directory with `.git`), or the config's own
/// directory outside git.
pub fn root_of(config_dir: &Path) -> PathBuf {
    let start = std::fs::canonicalize(config_dir).unwrap_or_else(|_| config_dir.to_path_buf());
    let mut dir = Some(start.as_path());
    while let Some(d) = dir {
        if d.join(".git").exists() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    start
}

/// A tool's message without the checked root's absolute path (paths become root-relative).
/// Long messages keep their end, where kustomize and Helm put the cause.
pub(crate) fn scrub(message: &str, root: &Path) -> String {
    let root = root.to_string_lossy();
    if root.is_empty() || root == "/" {
        return message.to_string();
    }
    let trimmed = root.trim_start_matches('/');
    // The temporary wrapping kustomization reaches the project through `../../<root>/`.
    let through_temp = regex::Regex::new(&format!("(\\.\\./)+{}/", regex::escape(trimmed)))
        .map(|re| re.replace_all(message, "").to_string())
        .unwrap_or_else(|_| message.to_string());
    let mut text = through_temp
        .replace(&format!("{root}/"), "")
        .replace(root.as_ref(), ".");
    if text.chars().count() > 300 {
        let tail: String = text
            .chars()
            .rev()
            .take(300)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        text = format!("...{tail}");
    }
    text
}

/// `path` resolved through symlinks lies inside `root`.
pub(crate) fn inside(root: &Path, path: &Path) -> bool {
    match std::fs::canonicalize(path) {
        Ok(real) => real.starts_with(root),
        Err(_) => false,
    }
}

/// Expands the `{{.NAME}}` actions of a Skaffold template (`util.ExpandEnvTemplate`): names
/// from `values` first, then the environment (real values only when allowed, else `$NAME`).
/// Anything else in an action (functions, pipelines) is not evaluated: None.
pub fn expand_template(
    template: &str,
    values: &HashMap<String, String>,
    environment: bool,
) -> Option<String> {
    let mut out = String::new();
    let mut last = 0;
    for action in crate::skaffold::template::actions(template) {
        out.push_str(&template[last..action.range.start]);
        let body = action
            .body
            .trim()
            .trim_start_matches('-')
            .trim_end_matches('-');
        let name = body.trim().strip_prefix('.')?;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        match values.get(name) {
            Some(v) => out.push_str(v),
            None if environment => match std::env::var(name) {
                Ok(v) => out.push_str(&v),
                // Go templates print a missing map key as `<no value>`.
                Err(_) => out.push_str("<no value>"),
            },
            None => {
                out.push('$');
                out.push_str(name);
            }
        }
        last = action.range.end;
    }
    out.push_str(&template[last..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand_known_names_and_hide_the_environment() {
        let mut values = HashMap::new();
        values.insert("IMAGE_REPO_app".to_string(), "app".to_string());
        assert_eq!(
            expand_template("{{.IMAGE_REPO_app}}:{{ .HOME }}", &values, false).as_deref(),
            Some("app:$HOME")
        );
        assert_eq!(
            expand_template("{{ default \"x\" .A }}", &values, false),
            None
        );
        assert_eq!(
            expand_template("plain", &values, false).as_deref(),
            Some("plain")
        );
    }
}
