//! Runs `check` over every real project in the corpus (`tests/corpus/skaffold`):
//! no panic, no error exit, and the full list of findings is compared with the reviewed
//! snapshot `tests/snapshots/corpus.txt` (set `SKAFIX_UPDATE_EXPECTED=1` to rewrite it after
//! reviewing every changed line).

use skafix::engine::{check, CheckOptions};
use std::path::Path;

#[test]
fn corpus_findings_match_the_reviewed_snapshot() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus/skaffold")
        .canonicalize()
        .expect("the corpus is at tests/corpus/skaffold");
    let outcome = check(&CheckOptions {
        paths: vec![corpus.clone()],
        ..Default::default()
    })
    .expect("the corpus is readable");
    assert!(
        outcome.files_checked > 200,
        "configs checked: {}",
        outcome.files_checked
    );
    let mut lines = Vec::new();
    for d in &outcome.diagnostics {
        let source = &outcome.sources[&d.path];
        let start = source.line_col(d.span.start);
        // Paths under the working directory (the package root, where cargo runs tests) are
        // reported relative to it.
        let rel = d
            .path
            .strip_prefix(&corpus)
            .or_else(|_| d.path.strip_prefix("tests/corpus/skaffold"))
            .unwrap_or(&d.path);
        let profile = d
            .profile
            .as_deref()
            .map(|p| format!(" [profile {p}]"))
            .unwrap_or_default();
        lines.push(format!(
            "{}:{}:{} {}{} {}",
            rel.display(),
            start.line,
            start.column,
            d.code,
            profile,
            d.message
        ));
    }
    let mut counts = std::collections::BTreeMap::new();
    for d in &outcome.diagnostics {
        *counts.entry(d.code).or_insert(0) += 1;
    }
    let mut actual = format!("# configs checked: {}\n", outcome.files_checked);
    for (code, n) in &counts {
        actual.push_str(&format!("# {code}: {n}\n"));
    }
    actual.push_str(&(lines.join("\n") + "\n"));
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/corpus.txt");
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    if actual != expected {
        if std::env::var_os("SKAFIX_UPDATE_EXPECTED").is_some() {
            std::fs::write(&snapshot, &actual).unwrap();
        } else {
            let diff: Vec<String> = actual
                .lines()
                .filter(|l| !expected.lines().any(|e| e == *l))
                .map(|l| format!("+ {l}"))
                .chain(
                    expected
                        .lines()
                        .filter(|e| !actual.lines().any(|l| l == *e))
                        .map(|l| format!("- {l}")),
                )
                .collect();
            panic!("corpus findings changed:\n{}", diff.join("\n"));
        }
    }
}
