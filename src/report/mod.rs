//! Report formats: turns diagnostics plus the source texts they point into into the text of
//! one output format. One file per format; this file holds what they share (the format list,
//! positions in characters, the summary counts). Renderers return strings and never print.

mod concise;
mod escape;
mod full;
mod github;
mod gitlab;
mod json;
mod junit;
mod sarif;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{LineCol, SourceFile};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use escape::{terminal_safe, terminal_safe_lines};
pub use json::{diagnostic_json, JsonDiagnostic};

/// Every output format of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Source snippets with labelled spans, help and fix notes (miette), then a summary.
    Full,
    /// One line per finding: `path:line:col: CODE message`.
    Concise,
    /// The stable JSON document (`version` 1).
    Json,
    /// One JSON diagnostic object per line, no summary.
    JsonLines,
    /// SARIF 2.1.0 for code-scanning services.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// GitLab Code Quality report.
    Gitlab,
    /// JUnit XML.
    Junit,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::Full,
        Format::Concise,
        Format::Json,
        Format::JsonLines,
        Format::Sarif,
        Format::Github,
        Format::Gitlab,
        Format::Junit,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Full => "full",
            Format::Concise => "concise",
            Format::Json => "json",
            Format::JsonLines => "json-lines",
            Format::Sarif => "sarif",
            Format::Github => "github",
            Format::Gitlab => "gitlab",
            Format::Junit => "junit",
        }
    }

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Formats meant for people, which get a summary line unless `--quiet`.
    pub fn is_human(self) -> bool {
        matches!(self, Format::Full | Format::Concise)
    }
}

/// What a report is made from.
#[derive(Debug, Clone, Copy)]
pub struct Report<'a> {
    /// Findings in the order they are shown (see [`sort_diagnostics`]).
    pub diagnostics: &'a [Diagnostic],
    /// Texts of the files the findings point into, keyed by reported path.
    pub sources: &'a BTreeMap<PathBuf, Arc<SourceFile>>,
    /// Number of files checked: every config, Dockerfile, `.dockerignore` and manifest read
    /// (the summary's `files`).
    pub files_checked: usize,
}

#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// ANSI colours in human formats.
    pub color: bool,
    /// Print the closing summary line of human formats.
    pub summary: bool,
    /// Terminal width for wrapping in the full format.
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            summary: true,
            width: 100,
        }
    }
}

/// Renders `report` in `format`. The result ends with a newline unless it is empty.
pub fn render(format: Format, report: &Report<'_>, options: &RenderOptions) -> String {
    match format {
        Format::Full => full::render(report, options),
        Format::Concise => concise::render(report, options),
        Format::Json => json::render(report),
        Format::JsonLines => json::render_lines(report),
        Format::Sarif => sarif::render(report),
        Format::Github => github::render(report),
        Format::Gitlab => gitlab::render(report),
        Format::Junit => junit::render(report),
    }
}

/// Puts diagnostics in report order: by path, position, code and message.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of(diagnostics: &[Diagnostic]) -> Counts {
        let mut counts = Counts::default();
        for diagnostic in diagnostics {
            match diagnostic.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
                Severity::Info => counts.infos += 1,
            }
        }
        counts
    }
}

/// The 1-based start and end (exclusive) of a diagnostic's span, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub start: LineCol,
    pub end: LineCol,
}

/// Where `span` of `path` is; 1:1 when the text is not known, so every report format can
/// still give a location.
pub(crate) fn position(
    sources: &BTreeMap<PathBuf, Arc<SourceFile>>,
    path: &Path,
    span: crate::source::Span,
) -> Position {
    match sources.get(path) {
        Some(source) => Position {
            start: source.line_col(span.start),
            end: source.line_col(span.end.max(span.start)),
        },
        None => {
            let origin = LineCol { line: 1, column: 1 };
            Position {
                start: origin,
                end: origin,
            }
        }
    }
}

/// A path as reports show it: `/` separators on every platform.
pub(crate) fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// `fix available (unsafe): ...` as shown by human formats.
pub(crate) fn fix_note(fix: &crate::diagnostic::Fix) -> String {
    let kind = match fix.applicability {
        crate::diagnostic::Applicability::Safe => "fix available",
        crate::diagnostic::Applicability::Unsafe => "fix available (unsafe)",
        crate::diagnostic::Applicability::DisplayOnly => "suggested fix",
    };
    format!("{kind}: {}", fix.message)
}

/// The closing line of human formats.
pub(crate) fn summary_line(report: &Report<'_>) -> String {
    let counts = Counts::of(report.diagnostics);
    let checked = plural(report.files_checked, "file", "files");
    if report.diagnostics.is_empty() {
        return format!("No problems found in {checked}.");
    }
    let with_findings: std::collections::BTreeSet<&Path> = report
        .diagnostics
        .iter()
        .map(|d| d.path.as_path())
        .collect();
    let files = format!(
        "{} ({checked} checked)",
        plural(with_findings.len(), "file", "files")
    );
    let mut parts = Vec::new();
    if counts.errors > 0 {
        parts.push(plural(counts.errors, "error", "errors"));
    }
    if counts.warnings > 0 {
        parts.push(plural(counts.warnings, "warning", "warnings"));
    }
    if counts.infos > 0 {
        parts.push(plural(counts.infos, "info", "infos"));
    }
    let fixable = report
        .diagnostics
        .iter()
        .filter(|d| {
            d.fix
                .as_ref()
                .is_some_and(|f| f.applicability != crate::diagnostic::Applicability::DisplayOnly)
        })
        .count();
    let mut line = format!("Found {} in {files}.", parts.join(", "));
    if fixable > 0 {
        line.push_str(&format!(
            " {fixable} fixable with `skafix fix`{}.",
            if report
                .diagnostics
                .iter()
                .any(|d| d.fix.as_ref().is_some_and(|f| {
                    f.applicability == crate::diagnostic::Applicability::Unsafe
                }))
            {
                " (some need `--unsafe-fixes`)"
            } else {
                ""
            }
        ));
    }
    line
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Diagnostics and sources shared by the renderer tests.
    use super::*;
    use crate::diagnostic::{Applicability, Edit, Fix};
    use crate::source::Span;

    pub const SKAFFOLD: &str = "apiVersion: skaffold/v4beta11\nbuild:\n  artifacts:\n    - image: app\n      sync:\n        infer: [\"**/*.py\"]\n";
    pub const DOCKERFILE: &str = "FROM python:3.12\nCMD uvicorn app:app \\\n    --host 0.0.0.0\n";

    pub fn sources() -> BTreeMap<PathBuf, Arc<SourceFile>> {
        let mut sources = BTreeMap::new();
        for (path, text) in [("skaffold.yaml", SKAFFOLD), ("app/Dockerfile", DOCKERFILE)] {
            sources.insert(PathBuf::from(path), Arc::new(SourceFile::new(path, text)));
        }
        sources
    }

    /// A one-line warning with help and a safe fix, and a multi-line error in a Dockerfile.
    pub fn diagnostics() -> Vec<Diagnostic> {
        let image = SKAFFOLD.find("app").unwrap();
        let infer = SKAFFOLD.find("infer").unwrap();
        let warning = Diagnostic::new(
            "SYNC001",
            "infer-without-reload",
            Severity::Warning,
            "skaffold.yaml",
            Span::new(infer, infer + 5),
            "`sync.infer` for image `app`, but the server does not reload",
        )
        .with_help("add `--reload` to the uvicorn command")
        .with_artifact("app")
        .with_fix(Fix {
            applicability: Applicability::Safe,
            message: "switch to `sync.manual`".to_string(),
            edits: vec![Edit {
                path: PathBuf::from("skaffold.yaml"),
                start: infer,
                end: infer + 5,
                content: "manual".to_string(),
            }],
        });
        let _ = image;
        let cmd = DOCKERFILE.find("CMD").unwrap();
        let error = Diagnostic::new(
            "PROC001",
            "shell-form-cmd",
            Severity::Error,
            "app/Dockerfile",
            Span::new(cmd, DOCKERFILE.len() - 1),
            "shell-form CMD: PID 1 is /bin/sh, signals are not forwarded",
        );
        let mut all = vec![warning, error];
        sort_diagnostics(&mut all);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn positions_are_one_based_character_columns_with_exclusive_end() {
        let sources = sources();
        let diags = diagnostics();
        let docker = position(&sources, &diags[0].path, diags[0].span);
        assert_eq!(docker.start, LineCol { line: 2, column: 1 });
        assert_eq!(
            docker.end,
            LineCol {
                line: 3,
                column: 19
            }
        );
        let yaml = position(&sources, &diags[1].path, diags[1].span);
        assert_eq!(yaml.start, LineCol { line: 6, column: 9 });
        assert_eq!(
            yaml.end,
            LineCol {
                line: 6,
                column: 14
            }
        );
    }

    #[test]
    fn unknown_source_positions_fall_back_to_the_first_character() {
        let sources = BTreeMap::new();
        let pos = position(
            &sources,
            Path::new("x.yaml"),
            crate::source::Span::new(10, 20),
        );
        assert_eq!(pos.start, LineCol { line: 1, column: 1 });
        assert_eq!(pos.end, LineCol { line: 1, column: 1 });
    }

    #[test]
    fn summary_counts_by_severity_and_mentions_fixes() {
        let sources = sources();
        let diags = diagnostics();
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 2,
        };
        assert_eq!(
            summary_line(&report),
            "Found 1 error, 1 warning in 2 files (2 files checked). 1 fixable with `skafix fix`."
        );
        let in_one_of_three = Report {
            diagnostics: &diags[..1],
            sources: &sources,
            files_checked: 3,
        };
        assert_eq!(
            summary_line(&in_one_of_three),
            "Found 1 error in 1 file (3 files checked)."
        );
        let empty = Report {
            diagnostics: &[],
            sources: &sources,
            files_checked: 1,
        };
        assert_eq!(summary_line(&empty), "No problems found in 1 file.");
    }

    #[test]
    fn format_names_round_trip() {
        for format in Format::ALL {
            assert_eq!(Format::from_name(format.name()), Some(format));
        }
        assert_eq!(Format::from_name("xml"), None);
    }
}
