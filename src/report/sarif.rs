//! SARIF 2.1.0, the format code-scanning services (GitHub, GitLab, Azure) ingest. Columns are
//! declared as Unicode code points, which is what our character columns count; every result
//! has a region; the rules of the run carry the registry's metadata and the rule docs.

use super::{position, Report};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use serde_json::{json, Map, Value};
use std::path::Path;

pub(super) fn render(report: &Report<'_>) -> String {
    let mut rule_ids: Vec<&'static str> = Vec::new();
    for diagnostic in report.diagnostics {
        if !rule_ids.contains(&diagnostic.code) {
            rule_ids.push(diagnostic.code);
        }
    }
    rule_ids.sort_unstable();
    let rules: Vec<Value> = rule_ids
        .iter()
        .map(|code| {
            let example = report
                .diagnostics
                .iter()
                .find(|d| d.code == *code)
                .map(|d| (d.name, d.severity));
            rule_descriptor(code, example)
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let index = rule_ids.iter().position(|c| *c == d.code).unwrap_or(0);
            result(d, index, report)
        })
        .collect();
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "skafix",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The rule's metadata from the registry (or the suppression rules); a code the registry does
/// not know still gets a descriptor built from its diagnostics, so `ruleIndex` stays valid.
fn rule_descriptor(code: &str, example: Option<(&'static str, Severity)>) -> Value {
    let registered =
        crate::rules::by_code(code).or_else(|| crate::config::suppression::rule_by_code(code));
    let (name, severity, summary, doc) = match registered {
        Some(rule) => (rule.name, rule.severity, rule.summary, rule.doc),
        None => {
            let (name, severity) = example.unwrap_or(("", Severity::Warning));
            (name, severity, name, "")
        }
    };
    let mut descriptor = Map::new();
    descriptor.insert("id".into(), json!(code));
    if !name.is_empty() {
        descriptor.insert("name".into(), json!(name));
    }
    let short = if summary.is_empty() { code } else { summary };
    descriptor.insert("shortDescription".into(), json!({"text": short}));
    let body = doc_body(doc);
    if !body.is_empty() {
        descriptor.insert("fullDescription".into(), json!({"text": body}));
        descriptor.insert("help".into(), json!({"text": body, "markdown": doc}));
    }
    descriptor.insert(
        "defaultConfiguration".into(),
        json!({"level": level(severity)}),
    );
    Value::Object(descriptor)
}

/// The doc without its `# CODE: title` heading line.
fn doc_body(doc: &str) -> &str {
    let trimmed = doc.trim_start();
    let body = if trimmed.starts_with("# ") {
        trimmed.split_once('\n').map_or("", |(_, rest)| rest)
    } else {
        trimmed
    };
    body.trim()
}

fn physical_location(path: &Path, span: crate::source::Span, report: &Report<'_>) -> Value {
    let pos = position(report.sources, path, span);
    json!({
        "artifactLocation": {"uri": path_uri(path)},
        "region": {
            "startLine": pos.start.line,
            "startColumn": pos.start.column,
            "endLine": pos.end.line,
            "endColumn": pos.end.column,
        }
    })
}

fn result(diagnostic: &Diagnostic, rule_index: usize, report: &Report<'_>) -> Value {
    let mut text = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut result = Map::new();
    result.insert("ruleId".into(), json!(diagnostic.code));
    result.insert("ruleIndex".into(), json!(rule_index));
    result.insert("level".into(), json!(level(diagnostic.severity)));
    result.insert("message".into(), json!({ "text": text }));
    result.insert(
        "locations".into(),
        json!([{"physicalLocation": physical_location(&diagnostic.path, diagnostic.span, report)}]),
    );
    if !diagnostic.related.is_empty() {
        let related: Vec<Value> = diagnostic
            .related
            .iter()
            .enumerate()
            .map(|(id, related)| {
                json!({
                    "id": id,
                    "physicalLocation": physical_location(&related.path, related.span, report),
                    "message": {"text": related.message},
                })
            })
            .collect();
        result.insert("relatedLocations".into(), Value::Array(related));
    }
    if let Some(fix) = &diagnostic.fix {
        if fix.applicability != Applicability::DisplayOnly {
            let mut changes: Vec<Value> = Vec::new();
            let mut paths: Vec<&Path> = fix.edits.iter().map(|e| e.path.as_path()).collect();
            paths.dedup();
            for path in paths {
                let replacements: Vec<Value> = fix
                    .edits
                    .iter()
                    .filter(|e| e.path == path)
                    .map(|e| {
                        json!({
                            "deletedRegion": {"byteOffset": e.start, "byteLength": e.end.saturating_sub(e.start)},
                            "insertedContent": {"text": e.content},
                        })
                    })
                    .collect();
                changes.push(json!({
                    "artifactLocation": {"uri": path_uri(path)},
                    "replacements": replacements,
                }));
            }
            result.insert(
                "fixes".into(),
                json!([{"description": {"text": fix.message}, "artifactChanges": changes}]),
            );
        }
    }
    let mut properties = Map::new();
    if let Some(profile) = &diagnostic.profile {
        properties.insert("profile".into(), json!(profile));
    }
    if let Some(artifact) = &diagnostic.artifact {
        properties.insert("artifact".into(), json!(artifact));
    }
    if !properties.is_empty() {
        result.insert("properties".into(), Value::Object(properties));
    }
    Value::Object(result)
}

/// A relative path becomes a relative URI reference (code scanning resolves it against the
/// repository root); an absolute one becomes a `file://` URI. Bytes outside the URI's
/// unreserved set are percent-encoded.
pub(crate) fn path_uri(path: &Path) -> String {
    let text = super::display_path(path);
    let mut uri = String::new();
    if path.is_absolute() {
        uri.push_str("file://");
        if !text.starts_with('/') {
            uri.push('/');
        }
    }
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn results_carry_regions_rules_and_fixes() {
        let sources = sources();
        let mut diags = diagnostics();
        diags[0] = diags[0].clone().with_related(
            "skaffold.yaml",
            crate::source::Span::new(0, 10),
            "the artifact that builds it",
        );
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 2,
        };
        let value: Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(value["version"], "2.1.0");
        let run = &value["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        assert_eq!(run["tool"]["driver"]["name"], "skafix");
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["PROC001", "SYNC001"]);
        let results = run["results"].as_array().unwrap();
        assert_eq!(
            results[0]["locations"][0]["physicalLocation"],
            json!({"artifactLocation": {"uri": "app/Dockerfile"},
                   "region": {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 19}})
        );
        assert_eq!(results[0]["level"], "error");
        assert_eq!(results[0]["ruleIndex"], 0);
        assert_eq!(
            results[0]["relatedLocations"][0]["physicalLocation"]["region"],
            json!({"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 11})
        );
        assert_eq!(results[1]["ruleIndex"], 1);
        assert_eq!(results[1]["level"], "warning");
        assert_eq!(
            results[1]["message"]["text"],
            "`sync.infer` for image `app`, but the server does not reload\nhelp: add `--reload` to the uvicorn command"
        );
        let infer = SKAFFOLD.find("infer").unwrap();
        assert_eq!(
            results[1]["fixes"],
            json!([{"description": {"text": "switch to `sync.manual`"},
                    "artifactChanges": [{"artifactLocation": {"uri": "skaffold.yaml"},
                        "replacements": [{"deletedRegion": {"byteOffset": infer, "byteLength": 5},
                                          "insertedContent": {"text": "manual"}}]}]}])
        );
        assert_eq!(results[1]["properties"], json!({"artifact": "app"}));
    }

    #[test]
    fn unregistered_codes_get_a_descriptor_from_their_diagnostics() {
        let descriptor = rule_descriptor("ZZZ999", Some(("made-up", Severity::Info)));
        assert_eq!(
            descriptor,
            json!({"id": "ZZZ999", "name": "made-up", "shortDescription": {"text": "made-up"},
                   "defaultConfiguration": {"level": "note"}})
        );
    }

    #[test]
    fn suppression_rules_carry_their_docs() {
        let descriptor = rule_descriptor("SUP001", None);
        assert_eq!(descriptor["name"], "unused-suppression");
        assert!(descriptor["help"]["markdown"]
            .as_str()
            .unwrap()
            .starts_with("# SUP001"));
        assert!(!descriptor["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with('#'));
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            path_uri(Path::new("a b/skaffold.yaml")),
            "a%20b/skaffold.yaml"
        );
        assert_eq!(path_uri(Path::new("ü#.yaml")), "%C3%BC%23.yaml");
        assert_eq!(path_uri(Path::new("/srv/x.yaml")), "file:///srv/x.yaml");
    }
}
