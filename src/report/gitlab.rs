//! GitLab Code Quality report: a JSON array of issues with a stable fingerprint, so merge
//! requests show which findings are new. The fingerprint hashes the code, the path, the
//! message and the text at the span, not the line number, so it survives unrelated edits
//! above the finding; repeats of the same finding get an occurrence number.

use super::{display_path, position, Report};
use crate::diagnostic::Severity;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

pub(super) fn render(report: &Report<'_>) -> String {
    let mut seen: HashMap<u64, u64> = HashMap::new();
    let issues: Vec<Issue> = report
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let pos = position(report.sources, &diagnostic.path, diagnostic.span);
            let path = display_path(&diagnostic.path);
            let snippet = report
                .sources
                .get(&diagnostic.path)
                .map(|source| source.slice(diagnostic.span))
                .unwrap_or("");
            let base = fnv1a64(
                [diagnostic.code, &path, &diagnostic.message, snippet]
                    .join("\0")
                    .as_bytes(),
            );
            let occurrence = seen.entry(base).or_insert(0);
            *occurrence += 1;
            let fingerprint = if *occurrence == 1 {
                base
            } else {
                fnv1a64(format!("{base:016x}\0{occurrence}").as_bytes())
            };
            Issue {
                description: format!("{}: {}", diagnostic.code, diagnostic.message),
                check_name: diagnostic.code.to_string(),
                fingerprint: format!("{fingerprint:016x}"),
                severity: match diagnostic.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                    Severity::Info => "info",
                },
                location: Location {
                    path,
                    lines: Lines {
                        begin: pos.start.line,
                        end: pos.end.line,
                    },
                },
            }
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_default();
    text.push('\n');
    text
}

/// FNV-1a, 64 bits: tiny, and its value never changes between Rust versions (unlike
/// `DefaultHasher`), which a fingerprint stored by GitLab needs.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn fnv_matches_the_reference_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn code_quality_issues_with_stable_unique_fingerprints() {
        let sources = sources();
        let mut diags = diagnostics();
        diags.push(diags[0].clone());
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 2,
        };
        let value: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        let issues = value.as_array().unwrap();
        assert_eq!(issues.len(), 3);
        let fingerprint = |i: usize| issues[i]["fingerprint"].as_str().unwrap().to_string();
        let expected_first = format!(
            "{:016x}",
            fnv1a64(
                "PROC001\0app/Dockerfile\0shell-form CMD: PID 1 is /bin/sh, signals are not forwarded\0CMD uvicorn app:app \\\n    --host 0.0.0.0"
                    .as_bytes()
            )
        );
        assert_eq!(fingerprint(0), expected_first);
        assert_ne!(
            fingerprint(0),
            fingerprint(2),
            "a repeat gets its own fingerprint"
        );
        assert_ne!(fingerprint(0), fingerprint(1));
        let mut first = issues[0].clone();
        first.as_object_mut().unwrap().remove("fingerprint");
        assert_eq!(
            first,
            json!({
                "description": "PROC001: shell-form CMD: PID 1 is /bin/sh, signals are not forwarded",
                "check_name": "PROC001",
                "severity": "major",
                "location": {"path": "app/Dockerfile", "lines": {"begin": 2, "end": 3}}
            })
        );
        assert_eq!(issues[1]["severity"], "minor");
        assert_eq!(issues[1]["location"]["lines"]["begin"], 6);
        // Same input, same fingerprints: GitLab compares them across pipelines.
        let again: serde_json::Value = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(again, value);
    }
}
