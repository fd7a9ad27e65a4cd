//! Every registered rule has a doc (`rules/<CODE>.md`) with the required sections, and the doc's
//! examples are real: the failing example's files trigger the rule, the passing example's don't.
//! Example files are fenced blocks whose info string is `<language> <path>`. Probe rules
//! (`Check::Probe`) describe pods instead, in `text` blocks, and are not run by `check`.

use skafix::engine::{check, CheckOptions};
use std::path::Path;

const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why is this a problem",
    "## Failing example",
    "## Passing example",
    "## Fix safety",
];

/// The `(path, content)` files of the fenced blocks in one section of a doc.
fn example_files(doc: &str, section: &str) -> Vec<(String, String)> {
    let start = doc.find(section).expect("section");
    let rest = &doc[start + section.len()..];
    let body = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut files = Vec::new();
    let mut lines = body.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut content = String::new();
        for inner in lines.by_ref() {
            if inner.starts_with("```") {
                break;
            }
            content.push_str(inner);
            content.push('\n');
        }
        if let Some((_, path)) = info.trim().split_once(' ') {
            files.push((path.trim().to_string(), content));
        }
    }
    files
}

/// The info strings of the fenced blocks in one section of a doc.
fn fenced_info_strings(doc: &str, section: &str) -> Vec<String> {
    let start = doc.find(section).expect("section");
    let rest = &doc[start + section.len()..];
    let body = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let mut infos = Vec::new();
    let mut inside = false;
    for line in body.lines() {
        if let Some(info) = line.strip_prefix("```") {
            if !inside {
                infos.push(info.trim().to_string());
            }
            inside = !inside;
        }
    }
    infos
}

fn codes_reported(files: &[(String, String)]) -> Vec<&'static str> {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    match check(&CheckOptions {
        paths: vec![dir.path().to_path_buf()],
        ..Default::default()
    }) {
        Ok(outcome) => outcome.diagnostics.iter().map(|d| d.code).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn every_rule_doc_has_the_sections_and_working_examples() {
    let mut problems = Vec::new();
    for rule in skafix::rules::all() {
        let doc = rule.doc;
        let title = format!("# {}: {}", rule.code, rule.name);
        if !doc.starts_with(&title) {
            problems.push(format!("{}: doc must start with `{title}`", rule.code));
            continue;
        }
        let missing: Vec<_> = SECTIONS.iter().filter(|s| !doc.contains(*s)).collect();
        if !missing.is_empty() {
            problems.push(format!("{}: missing sections {missing:?}", rule.code));
            continue;
        }
        if matches!(rule.check, skafix::rules::Check::Probe) {
            // Probe findings come from running pods: their examples describe what runs there
            // (fenced `text` blocks without a path) and are exercised by the live probe tests.
            for section in ["## Failing example", "## Passing example"] {
                let blocks = fenced_info_strings(doc, section);
                if blocks.is_empty() || blocks.iter().any(|info| info != "text") {
                    problems.push(format!(
                        "{}: {section} needs ```text blocks without a path, found {blocks:?}",
                        rule.code
                    ));
                }
            }
            continue;
        }
        let failing = example_files(doc, "## Failing example");
        let passing = example_files(doc, "## Passing example");
        if failing.is_empty() || passing.is_empty() {
            problems.push(format!("{}: examples need files (```lang path)", rule.code));
            continue;
        }
        if !codes_reported(&failing).contains(&rule.code) {
            problems.push(format!(
                "{}: failing example does not trigger it",
                rule.code
            ));
        }
        if codes_reported(&passing).contains(&rule.code) {
            problems.push(format!("{}: passing example triggers it", rule.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_doc_file_belongs_to_a_rule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(code) = name.strip_suffix(".md") {
            let known = skafix::rules::by_code(code).is_some()
                || skafix::config::suppression::rule_by_code(code).is_some();
            assert!(known, "rules/{name} has no rule");
        }
    }
}
