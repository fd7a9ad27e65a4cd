//! Runs `check` on every fixture project (`fixtures/<CODE>/<case>/` and `fixtures/demo/`) and
//! compares every diagnostic (code, span, profile, message, fix) with the case's
//! `expected.txt`. Set `SKAFIX_UPDATE_EXPECTED=1` to rewrite the files after reviewing changes.

use skafix::engine::{check, CheckOptions};
use std::path::{Path, PathBuf};

fn render(dir: &Path) -> String {
    let outcome = check(&CheckOptions {
        paths: vec![dir.to_path_buf()],
        ..Default::default()
    })
    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut lines = Vec::new();
    for d in &outcome.diagnostics {
        let source = &outcome.sources[&d.path];
        let start = source.line_col(d.span.start);
        let end = source.line_col(d.span.end);
        let rel = d.path.strip_prefix(dir).unwrap_or(&d.path);
        let mut line = format!(
            "{}:{}:{}-{}:{} {} {}",
            rel.display(),
            start.line,
            start.column,
            end.line,
            end.column,
            d.code,
            d.severity.as_str()
        );
        if let Some(p) = &d.profile {
            line.push_str(&format!(" [profile {p}]"));
        }
        line.push_str(&format!(" {}", d.message));
        if let Some(fix) = &d.fix {
            line.push_str(&format!(
                "\n    fix ({:?}): {}",
                fix.applicability, fix.message
            ));
        }
        lines.push(line);
    }
    lines.join("\n") + "\n"
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new("fixtures");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(root).unwrap().flatten() {
        let dir = entry.path();
        if dir.join("expected.txt").exists() {
            found.push(dir.clone());
        }
        if let Ok(inner) = std::fs::read_dir(&dir) {
            for case in inner.flatten() {
                if case.path().join("expected.txt").exists() {
                    found.push(case.path());
                }
            }
        }
    }
    found.sort();
    found
}

#[test]
fn fixtures_report_exactly_the_expected_diagnostics() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let update = std::env::var_os("SKAFIX_UPDATE_EXPECTED").is_some();
    let mut failures = Vec::new();
    let all = cases();
    assert!(all.len() > 10, "fixture cases found: {}", all.len());
    for dir in all {
        let actual = render(&dir);
        let expected_path = dir.join("expected.txt");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            if update {
                std::fs::write(&expected_path, &actual).unwrap();
            } else {
                failures.push(format!(
                    "== {}\n-- expected\n{expected}-- actual\n{actual}",
                    dir.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every rule's fixtures: a `fail` case that reports the rule and a `pass` case that does not.
#[test]
fn every_rule_has_a_failing_and_a_passing_fixture() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let mut missing = Vec::new();
    for rule in skafix::rules::all() {
        // Probe findings need running pods: their fixtures are the live probe tests.
        if matches!(rule.check, skafix::rules::Check::Probe) {
            continue;
        }
        let dir = Path::new("fixtures").join(rule.code);
        let fail = std::fs::read_to_string(dir.join("fail/expected.txt")).unwrap_or_default();
        let pass = std::fs::read_to_string(dir.join("pass/expected.txt"));
        let code = format!(" {} ", rule.code);
        if !fail.contains(&code) {
            missing.push(format!(
                "{}: fail/expected.txt does not report it",
                rule.code
            ));
        }
        match pass {
            Ok(text) if !text.contains(&code) => {}
            Ok(_) => missing.push(format!("{}: pass case reports it", rule.code)),
            Err(_) => missing.push(format!("{}: no pass case", rule.code)),
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
