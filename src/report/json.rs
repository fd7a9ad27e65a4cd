//! The stable JSON format (`version` 1) and JSON Lines. The shape is a public contract
//! documented in the README: fields are only ever added, never renamed or removed.

use super::{display_path, position, Counts, Report};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// One diagnostic as the JSON formats write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    pub code: String,
    pub name: String,
    pub severity: &'static str,
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    pub help: Option<String>,
    pub profile: Option<String>,
    pub artifact: Option<String>,
    pub fix: Option<JsonFix>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonFix {
    pub applicability: &'static str,
    pub message: String,
    pub edits: Vec<JsonEdit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonEdit {
    pub path: String,
    pub start: usize,
    pub end: usize,
    pub content: String,
}

#[derive(Serialize)]
struct JsonReport {
    version: u32,
    diagnostics: Vec<JsonDiagnostic>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

/// The JSON object of one diagnostic (lines and columns 1-based, columns in characters,
/// end exclusive; fix edits in byte offsets of the original file).
pub fn diagnostic_json(
    diagnostic: &Diagnostic,
    sources: &BTreeMap<PathBuf, Arc<SourceFile>>,
) -> JsonDiagnostic {
    let pos = position(sources, &diagnostic.path, diagnostic.span);
    JsonDiagnostic {
        code: diagnostic.code.to_string(),
        name: diagnostic.name.to_string(),
        severity: diagnostic.severity.as_str(),
        path: display_path(&diagnostic.path),
        line: pos.start.line,
        column: pos.start.column,
        end_line: pos.end.line,
        end_column: pos.end.column,
        message: diagnostic.message.clone(),
        help: diagnostic.help.clone(),
        profile: diagnostic.profile.clone(),
        artifact: diagnostic.artifact.clone(),
        fix: diagnostic.fix.as_ref().map(|fix| JsonFix {
            applicability: match fix.applicability {
                crate::diagnostic::Applicability::Safe => "safe",
                crate::diagnostic::Applicability::Unsafe => "unsafe",
                crate::diagnostic::Applicability::DisplayOnly => "display-only",
            },
            message: fix.message.clone(),
            edits: fix
                .edits
                .iter()
                .map(|edit| JsonEdit {
                    path: display_path(&edit.path),
                    start: edit.start,
                    end: edit.end,
                    content: edit.content.clone(),
                })
                .collect(),
        }),
    }
}

pub(super) fn render(report: &Report<'_>) -> String {
    let counts = Counts::of(report.diagnostics);
    let document = JsonReport {
        version: 1,
        diagnostics: report
            .diagnostics
            .iter()
            .map(|d| diagnostic_json(d, report.sources))
            .collect(),
        summary: JsonSummary {
            files: report.files_checked,
            errors: counts.errors,
            warnings: counts.warnings,
            infos: counts.infos,
        },
    };
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

pub(super) fn render_lines(report: &Report<'_>) -> String {
    let mut text = String::new();
    for diagnostic in report.diagnostics {
        let value = diagnostic_json(diagnostic, report.sources);
        text.push_str(&serde_json::to_string(&value).unwrap_or_default());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn json_document_has_the_stable_shape() {
        let sources = sources();
        let diags = diagnostics();
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 1,
        };
        let infer = SKAFFOLD.find("infer").unwrap();
        let value: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(
            value,
            json!({
                "version": 1,
                "diagnostics": [
                    {
                        "code": "PROC001", "name": "shell-form-cmd", "severity": "error",
                        "path": "app/Dockerfile", "line": 2, "column": 1,
                        "end_line": 3, "end_column": 19,
                        "message": "shell-form CMD: PID 1 is /bin/sh, signals are not forwarded",
                        "help": null, "profile": null, "artifact": null, "fix": null
                    },
                    {
                        "code": "SYNC001", "name": "infer-without-reload", "severity": "warning",
                        "path": "skaffold.yaml", "line": 6, "column": 9,
                        "end_line": 6, "end_column": 14,
                        "message": "`sync.infer` for image `app`, but the server does not reload",
                        "help": "add `--reload` to the uvicorn command",
                        "profile": null, "artifact": "app",
                        "fix": {
                            "applicability": "safe",
                            "message": "switch to `sync.manual`",
                            "edits": [{"path": "skaffold.yaml", "start": infer,
                                       "end": infer + 5, "content": "manual"}]
                        }
                    }
                ],
                "summary": {"files": 1, "errors": 1, "warnings": 1, "infos": 0}
            })
        );
    }

    #[test]
    fn json_lines_writes_one_object_per_line() {
        let sources = sources();
        let diags = diagnostics();
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 1,
        };
        let text = render_lines(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(first["code"], "PROC001");
        assert_eq!(first["end_line"], 3);
        let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(second["fix"]["applicability"], "safe");
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn empty_report_is_still_a_document() {
        let sources = BTreeMap::new();
        let report = Report {
            diagnostics: &[],
            sources: &sources,
            files_checked: 0,
        };
        let value: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(
            value,
            json!({"version": 1, "diagnostics": [],
                   "summary": {"files": 0, "errors": 0, "warnings": 0, "infos": 0}})
        );
        assert_eq!(render_lines(&report), "");
    }
}
