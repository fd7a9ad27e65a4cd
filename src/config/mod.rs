//! `skafix.toml`: which rules run, where they are ignored, their severities and which of
//! their fixes may be applied. The nearest `skafix.toml` above a file applies to it (no merging
//! with configs further up, like ruff), looked up no higher than the checked root (the git work
//! tree holding the checked path, or the path itself outside git), or the one file given with
//! `--config`. Command-line selection flags form a second layer over it. The engine runs every rule; this module
//! post-processes its diagnostics.

pub mod suppression;

pub use suppression::apply_suppressions;

use crate::diagnostic::{Diagnostic, Severity};
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

/// The file name looked for in each directory from a checked file upwards.
pub const CONFIG_FILE_NAME: &str = "skafix.toml";

/// Rule families: valid as selectors even before a rule of the family exists.
pub const FAMILIES: &[&str] = &[
    "SYNC", "CACHE", "HOOK", "RELOAD", "PROC", "VOL", "DF", "SCHEMA", "PROBE", "SUP",
];

/// A config that cannot be used: unreadable, invalid TOML, an unknown key or code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The config file, or None for a command-line flag.
    pub path: Option<PathBuf>,
    /// 1-based line and column of the offending text, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}", path.display())?;
            if let Some(line) = self.line {
                write!(f, ":{line}")?;
                if let Some(column) = self.column {
                    write!(f, ":{column}")?;
                }
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A rule code, a prefix of codes (a family like `SYNC`, or `SYNC00`), or `ALL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(String);

impl Selector {
    /// Accepts `ALL`, a known code, a known family, or a prefix of a known code.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let upper = text.trim().to_ascii_uppercase();
        if upper == "ALL" || FAMILIES.contains(&upper.as_str()) || is_known_prefix(&upper) {
            return Ok(Selector(upper));
        }
        Err(format!("unknown rule code or prefix `{}`", text.trim()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, code: &str) -> bool {
        self.0 == "ALL" || code.to_ascii_uppercase().starts_with(&self.0)
    }

    /// Longer selectors are more specific; `ALL` is the least specific.
    fn specificity(&self) -> usize {
        if self.0 == "ALL" {
            0
        } else {
            self.0.len()
        }
    }
}

/// Every code a selector may name: the registry's rules and the suppression rules.
pub fn known_codes() -> Vec<&'static str> {
    let mut codes: Vec<&'static str> = crate::rules::all().iter().map(|r| r.code).collect();
    codes.extend(suppression::RULES.iter().map(|r| r.code));
    codes
}

fn is_known_prefix(upper: &str) -> bool {
    !upper.is_empty() && known_codes().iter().any(|code| code.starts_with(upper))
}

/// The most specific verdict of enabling and disabling selectors for `code`; a tie disables.
fn verdict(enable: &[&Selector], disable: &[&Selector], code: &str) -> Option<bool> {
    let best = |list: &[&Selector]| {
        list.iter()
            .filter(|s| s.matches(code))
            .map(|s| s.specificity())
            .max()
    };
    match (best(enable), best(disable)) {
        (None, None) => None,
        (Some(_), None) => Some(true),
        (None, Some(_)) => Some(false),
        (Some(on), Some(off)) => Some(on > off),
    }
}

/// One layer of rule selection: a config file's or the command line's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSelection {
    /// When set, replaces the selection of the layers below.
    pub select: Option<Vec<Selector>>,
    pub extend_select: Vec<Selector>,
    pub ignore: Vec<Selector>,
}

impl RuleSelection {
    /// The layer of `--select`, `--extend-select` and `--ignore` (values may be comma lists).
    pub fn from_flags(
        select: Option<&[String]>,
        extend_select: &[String],
        ignore: &[String],
    ) -> Result<RuleSelection, ConfigError> {
        let parse = |flag: &str, values: &[String]| -> Result<Vec<Selector>, ConfigError> {
            values
                .iter()
                .flat_map(|v| v.split(','))
                .filter(|v| !v.trim().is_empty())
                .map(|v| {
                    Selector::parse(v).map_err(|message| ConfigError {
                        path: None,
                        line: None,
                        column: None,
                        message: format!("{flag}: {message}"),
                    })
                })
                .collect()
        };
        Ok(RuleSelection {
            select: select.map(|s| parse("--select", s)).transpose()?,
            extend_select: parse("--extend-select", extend_select)?,
            ignore: parse("--ignore", ignore)?,
        })
    }

    /// Applies this layer over `enabled`, the verdict of the layers below.
    fn apply(&self, code: &str, enabled: bool) -> bool {
        let mut enable: Vec<&Selector> = self.extend_select.iter().collect();
        if let Some(select) = &self.select {
            enable.extend(select.iter());
        }
        let disable: Vec<&Selector> = self.ignore.iter().collect();
        match verdict(&enable, &disable, code) {
            Some(verdict) => verdict,
            None if self.select.is_some() => false,
            None => enabled,
        }
    }
}

#[derive(Debug, Clone)]
struct PerFileIgnore {
    matcher: GlobMatcher,
    negated: bool,
    selectors: Vec<Selector>,
}

/// One parsed `skafix.toml`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its directory: per-file-ignores globs are relative to it.
    pub root: PathBuf,
    selection: RuleSelection,
    per_file_ignores: Vec<PerFileIgnore>,
    severity: Vec<(Selector, Severity)>,
    fixable: Option<Vec<Selector>>,
    unfixable: Vec<Selector>,
    /// The `[render]` table.
    pub render: RenderSettings,
}

/// `[render]`: whether kustomize and Helm run, and what they may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RenderSettings {
    /// `enabled = false` checks without running any external tool (like `--no-render`).
    pub enabled: Option<bool>,
    /// `environment = true` gives `{{.VAR}}` templates real environment values.
    pub environment: Option<bool>,
    /// Longest a single kustomize or Helm run may take.
    pub timeout_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<Spanned<String>>>,
    extend_select: Option<Vec<Spanned<String>>>,
    ignore: Option<Vec<Spanned<String>>>,
    per_file_ignores: Option<BTreeMap<String, Spanned<Vec<Spanned<String>>>>>,
    severity: Option<BTreeMap<String, Spanned<String>>>,
    fixable: Option<Vec<Spanned<String>>>,
    unfixable: Option<Vec<Spanned<String>>>,
    render: Option<RenderSettings>,
}

impl Config {
    /// Reads and parses the config at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        // Bounded, regular files only: a project can ship a `skafix.toml` symlink to a device.
        let text = crate::project::read_text(path).map_err(|err| ConfigError {
            path: Some(path.to_path_buf()),
            line: None,
            column: None,
            message: format!("cannot read config: {}", err.message),
        })?;
        Config::parse(path, &text)
    }

    /// Parses config text; `path` names it in errors and anchors relative globs.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let error_at = |offset: Option<usize>, message: String| {
            let (line, column) = match offset {
                Some(offset) => {
                    let at = crate::source::SourceFile::new(path, text).line_col(offset);
                    (Some(at.line), Some(at.column))
                }
                None => (None, None),
            };
            ConfigError {
                path: Some(path.to_path_buf()),
                line,
                column,
                message,
            }
        };
        let raw: RawConfig = toml::from_str(text).map_err(|err| {
            error_at(
                err.span().map(|s| s.start),
                err.message().trim().to_string(),
            )
        })?;
        let selectors = |list: Option<Vec<Spanned<String>>>| -> Result<Vec<Selector>, ConfigError> {
            list.unwrap_or_default()
                .into_iter()
                .map(|item| {
                    Selector::parse(item.get_ref())
                        .map_err(|m| error_at(Some(item.span().start), m))
                })
                .collect()
        };
        let root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut per_file_ignores = Vec::new();
        for (pattern, codes) in raw.per_file_ignores.unwrap_or_default() {
            let at = codes.span().start;
            let (negated, glob_text) = match pattern.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, pattern.as_str()),
            };
            let matcher = Glob::new(glob_text)
                .map_err(|err| error_at(Some(at), format!("invalid glob `{pattern}`: {err}")))?
                .compile_matcher();
            per_file_ignores.push(PerFileIgnore {
                matcher,
                negated,
                selectors: selectors(Some(codes.into_inner()))?,
            });
        }
        let mut severity = Vec::new();
        for (code, level) in raw.severity.unwrap_or_default() {
            let at = level.span().start;
            let selector = Selector::parse(&code).map_err(|m| error_at(Some(at), m))?;
            let level = match level.get_ref().as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                other => {
                    return Err(error_at(
                        Some(at),
                        format!("unknown severity `{other}` (expected error, warning or info)"),
                    ))
                }
            };
            severity.push((selector, level));
        }
        Ok(Config {
            path: path.to_path_buf(),
            root,
            selection: RuleSelection {
                select: raw.select.map(|s| selectors(Some(s))).transpose()?,
                extend_select: selectors(raw.extend_select)?,
                ignore: selectors(raw.ignore)?,
            },
            per_file_ignores,
            severity,
            fixable: raw.fixable.map(|s| selectors(Some(s))).transpose()?,
            unfixable: selectors(raw.unfixable)?,
            render: raw.render.unwrap_or_default(),
        })
    }

    /// Whether `code` is ignored for `path` by `per-file-ignores`. `path` is matched relative
    /// to the config's directory, and also by its file name alone.
    pub fn is_ignored_for(&self, code: &str, path: &Path) -> bool {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let file_name = relative.file_name().map(Path::new);
        self.per_file_ignores.iter().any(|entry| {
            let hit = entry.matcher.is_match(relative)
                || file_name.is_some_and(|name| entry.matcher.is_match(name));
            hit != entry.negated && entry.selectors.iter().any(|s| s.matches(code))
        })
    }

    /// The severity `[severity]` sets for `code`, if any (the most specific entry wins).
    pub fn severity_for(&self, code: &str) -> Option<Severity> {
        self.severity
            .iter()
            .filter(|(selector, _)| selector.matches(code))
            .max_by_key(|(selector, _)| selector.specificity())
            .map(|(_, severity)| *severity)
    }

    /// Whether fixes of `code` may be applied (`fixable` minus `unfixable`).
    pub fn is_fixable(&self, code: &str) -> bool {
        let all = [Selector("ALL".to_string())];
        let fixable: Vec<&Selector> = match &self.fixable {
            Some(list) => list.iter().collect(),
            None => all.iter().collect(),
        };
        let unfixable: Vec<&Selector> = self.unfixable.iter().collect();
        verdict(&fixable, &unfixable, code).unwrap_or(false)
    }
}

/// Whether `code` is reported under `config` (if any) and the command-line layer.
pub fn is_enabled(config: Option<&Config>, cli: &RuleSelection, code: &str) -> bool {
    let mut enabled = true;
    if let Some(config) = config {
        enabled = config.selection.apply(code, enabled);
    }
    cli.apply(code, enabled)
}

/// Filters and adjusts one file's diagnostics by its config and the command-line layer:
/// drops disabled and per-file-ignored codes, applies severity overrides, and removes fixes of
/// unfixable codes. `absolute_path` is the diagnostic's file as an absolute path.
pub fn apply_config(
    diagnostic: Diagnostic,
    absolute_path: &Path,
    config: Option<&Config>,
    cli: &RuleSelection,
) -> Option<Diagnostic> {
    let mut diagnostic = diagnostic;
    if !is_enabled(config, cli, diagnostic.code) {
        return None;
    }
    if let Some(config) = config {
        if config.is_ignored_for(diagnostic.code, absolute_path) {
            return None;
        }
        if let Some(severity) = config.severity_for(diagnostic.code) {
            diagnostic.severity = severity;
        }
        if !config.is_fixable(diagnostic.code) {
            diagnostic.fix = None;
        }
    }
    Some(diagnostic)
}

/// Finds the config of each file (cached per directory) and post-processes diagnostics.
#[derive(Debug)]
pub struct Resolver {
    cwd: PathBuf,
    explicit: Option<Arc<Config>>,
    cli: RuleSelection,
    by_directory: HashMap<PathBuf, Option<Arc<Config>>>,
    /// The checked roots (canonical): the lookup never climbs out of them, so a `skafix.toml`
    /// in a parent of the project (another checkout's, a home directory's) changes nothing.
    /// Empty: unbounded.
    roots: Vec<PathBuf>,
}

impl Resolver {
    /// `explicit` is `--config PATH` (relative to `cwd`): then it applies to every file.
    pub fn new(
        cwd: &Path,
        explicit: Option<&Path>,
        cli: RuleSelection,
    ) -> Result<Resolver, ConfigError> {
        let explicit = match explicit {
            Some(path) => Some(Arc::new(
                Config::load(&normalize(&cwd.join(path))).map_err(|e| relative_to(cwd, e))?,
            )),
            None => None,
        };
        Ok(Resolver {
            cwd: cwd.to_path_buf(),
            explicit,
            cli,
            by_directory: HashMap::new(),
            roots: Vec::new(),
        })
    }

    /// Bounds the lookup to the checked roots of `paths` (the git work tree holding each, or
    /// the path itself outside git; see [`crate::render::checked_roots`]).
    pub fn within_roots_of(mut self, paths: &[PathBuf]) -> Resolver {
        let absolute: Vec<PathBuf> = paths.iter().map(|p| self.cwd.join(p)).collect();
        self.roots = crate::render::checked_roots(&absolute);
        self.by_directory.clear();
        self
    }

    /// Whether the lookup may read `directory`: inside a checked root once symlinks are
    /// followed (always, when unbounded).
    fn may_look_in(&self, directory: &Path) -> bool {
        if self.roots.is_empty() {
            return true;
        }
        std::fs::canonicalize(directory)
            .is_ok_and(|real| self.roots.iter().any(|root| real.starts_with(root)))
    }

    /// The config that applies to `path` (a file or directory, relative to the working
    /// directory or absolute): `--config`, else the nearest `skafix.toml` upwards, inside the
    /// checked roots.
    pub fn config_for(&mut self, path: &Path) -> Result<Option<Arc<Config>>, ConfigError> {
        if let Some(config) = &self.explicit {
            return Ok(Some(Arc::clone(config)));
        }
        let absolute = normalize(&self.cwd.join(path));
        let start = if absolute.is_dir() {
            absolute
        } else {
            absolute.parent().map(Path::to_path_buf).unwrap_or(absolute)
        };
        let cwd = self.cwd.clone();
        self.lookup(&start).map_err(|e| relative_to(&cwd, e))
    }

    fn lookup(&mut self, directory: &Path) -> Result<Option<Arc<Config>>, ConfigError> {
        if let Some(found) = self.by_directory.get(directory) {
            return Ok(found.clone());
        }
        let candidate = directory.join(CONFIG_FILE_NAME);
        let found = if !self.may_look_in(directory) {
            None
        } else if candidate.is_file() {
            Some(Arc::new(Config::load(&candidate)?))
        } else {
            match directory.parent() {
                Some(parent) => self.lookup(parent)?,
                None => None,
            }
        };
        self.by_directory
            .insert(directory.to_path_buf(), found.clone());
        Ok(found)
    }

    /// The command-line selection layer.
    pub fn cli(&self) -> &RuleSelection {
        &self.cli
    }

    /// Applies each diagnostic's config (see [`apply_config`]).
    pub fn apply(&mut self, diagnostics: Vec<Diagnostic>) -> Result<Vec<Diagnostic>, ConfigError> {
        let mut kept = Vec::with_capacity(diagnostics.len());
        for diagnostic in diagnostics {
            let absolute = normalize(&self.cwd.join(&diagnostic.path));
            let config = self.config_for(&diagnostic.path)?;
            if let Some(d) = apply_config(diagnostic, &absolute, config.as_deref(), &self.cli) {
                kept.push(d);
            }
        }
        Ok(kept)
    }
}

/// Errors name config files as the user sees them: relative to the working directory.
fn relative_to(cwd: &Path, mut err: ConfigError) -> ConfigError {
    if let Some(relative) = err.path.as_ref().and_then(|p| p.strip_prefix(cwd).ok()) {
        err.path = Some(relative.to_path_buf());
    }
    err
}

/// Removes `.` and folds `..` lexically, so configs are found the same way however a path
/// was spelled (symlinks are left alone on purpose: the user's spelling decides).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests;
