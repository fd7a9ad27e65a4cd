//! Tests of inline suppressions in YAML and Dockerfiles.

use super::*;

fn sources(files: &[(&str, &str)]) -> BTreeMap<PathBuf, Arc<SourceFile>> {
    files
        .iter()
        .map(|(path, text)| (PathBuf::from(path), Arc::new(SourceFile::new(*path, *text))))
        .collect()
}

/// A finding of `code` at the first occurrence of `needle` in `text`.
fn at(code: &'static str, path: &str, text: &str, needle: &str) -> Diagnostic {
    let start = text.find(needle).unwrap();
    Diagnostic::new(
        code,
        "rule",
        Severity::Error,
        path,
        Span::new(start, start + needle.len()),
        "found",
    )
}

fn summary(diagnostics: &[Diagnostic], text: &str) -> Vec<(String, String)> {
    diagnostics
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                text[d.span.start..d.span.end].to_string(),
            )
        })
        .collect()
}

#[test]
fn yaml_comments_skip_quoted_and_block_scalars() {
    let text = "a: 'x # not' # one\nb: \"y # no\\\" # still no\"\nc: don't # two\nrun: |\n  echo # not a comment\n  # neither\nd: e#f\n# three\n";
    let comments: Vec<&str> = yaml_comments(text)
        .iter()
        .map(|c| &text[c.span.start..c.span.end])
        .collect();
    assert_eq!(comments, ["# one", "# two", "# three"]);
    let own: Vec<bool> = yaml_comments(text).iter().map(|c| c.own_line).collect();
    assert_eq!(own, [false, false, true]);
    let lines: Vec<usize> = yaml_comments(text).iter().map(|c| c.line).collect();
    assert_eq!(lines, [1, 3, 8]);
}

#[test]
fn line_scanner_agrees_with_the_yaml_tree() {
    let text = "a: 'x # not' # one\nb: \"y # no\" # two\nrun: |\n  echo # not\nlist: [1, 2] # three\n# four\nc: >-\n  # not\nd: 1\n";
    let source = SourceFile::new("skaffold.yaml", text);
    let from_tree = yaml_comment_list(&source);
    assert_eq!(from_tree, yaml_comments(text));
    let bodies: Vec<&str> = from_tree
        .iter()
        .map(|c| &text[c.span.start..c.span.end])
        .collect();
    assert_eq!(bodies, ["# one", "# two", "# three", "# four"]);
}

#[test]
fn yaml_line_before_and_end_of_line() {
    let text = "build:\n  # skafix: ignore[SCHEMA001] known legacy\n  a: 1\n  b: 2 # skafix: ignore[SCHEMA001, SUP] reason\n  c: 3\n";
    let sources = sources(&[("skaffold.yaml", text)]);
    let out = apply_suppressions(
        vec![
            at("SCHEMA001", "skaffold.yaml", text, "a: 1"),
            at("SCHEMA001", "skaffold.yaml", text, "b: 2"),
            at("SCHEMA001", "skaffold.yaml", text, "c: 3"),
        ],
        &sources,
    );
    // SUP in the second comment suppresses nothing: reported at its text.
    assert_eq!(
        summary(&out, text),
        [
            ("SCHEMA001".to_string(), "c: 3".to_string()),
            ("SUP001".to_string(), "SUP".to_string())
        ]
    );
    let unused = &out[1];
    assert_eq!(unused.severity, Severity::Warning);
    assert_eq!(
        unused.message,
        "unused suppression: no `SUP` finding on the line it applies to"
    );
    let fix = unused.fix.as_ref().unwrap();
    assert_eq!(fix.applicability, Applicability::Safe);
    assert_eq!(
        &text[fix.edits[0].start..fix.edits[0].end],
        "SCHEMA001, SUP"
    );
    assert_eq!(fix.edits[0].content, "SCHEMA001");
}

#[test]
fn unused_comment_fix_removes_the_whole_comment() {
    let text = "a: 1 # skafix: ignore[SUP002]\n# skafix: ignore[SCHEMA]\nb: 2\n";
    let sources = sources(&[("skaffold.yaml", text)]);
    let out = apply_suppressions(Vec::new(), &sources);
    assert_eq!(out.len(), 2);
    let removed: Vec<&str> = out
        .iter()
        .map(|d| {
            let edit = &d.fix.as_ref().unwrap().edits[0];
            assert_eq!(edit.content, "");
            &text[edit.start..edit.end]
        })
        .collect();
    assert_eq!(
        removed,
        [" # skafix: ignore[SUP002]", "# skafix: ignore[SCHEMA]\n"]
    );
}

#[test]
fn file_level_and_unknown_codes() {
    let text = "# skafix: ignore-file[SCHEMA001]\na: 1\nb: 2 # skafix: ignore[SNYC001]\n# skafix: ignroe[SCHEMA001]\nc: 3\n";
    let sources = sources(&[("skaffold.yaml", text)]);
    let out = apply_suppressions(
        vec![
            at("SCHEMA001", "skaffold.yaml", text, "a: 1"),
            at("SCHEMA001", "skaffold.yaml", text, "c: 3"),
        ],
        &sources,
    );
    assert_eq!(
        summary(&out, text),
        [
            (
                "SUP002".to_string(),
                "# skafix: ignroe[SCHEMA001]".to_string()
            ),
            ("SUP002".to_string(), "SNYC001".to_string()),
        ]
    );
    assert_eq!(out[0].message, "malformed suppression comment");
    assert_eq!(
        out[1].message,
        "unknown rule code `SNYC001` in a suppression comment"
    );
}

#[test]
fn dockerfile_comment_covers_the_whole_continued_instruction() {
    let text = "FROM python:3.12\n# skafix: ignore[PROC001] dev image only\nCMD uvicorn app:app \\\n    --reload\nRUN echo hi # skafix: ignore[SCHEMA001]\nCMD other\n";
    let sources = sources(&[("app/Dockerfile", text)]);
    let out = apply_suppressions(
        vec![
            at("PROC001", "app/Dockerfile", text, "--reload"),
            at("PROC001", "app/Dockerfile", text, "CMD other"),
            at("SCHEMA001", "app/Dockerfile", text, "echo hi"),
        ],
        &sources,
    );
    assert_eq!(
        summary(&out, text),
        [("PROC001".to_string(), "CMD other".to_string())]
    );
}

#[test]
fn hadolint_pragmas_map_known_codes_and_are_never_reported() {
    let text = "FROM alpine\n# hadolint ignore=DL3025,DL3008\nCMD sleep 1\n# hadolint ignore=DL3025\nRUN true\nCMD sleep 2\n";
    let sources = sources(&[("Dockerfile.dev", text)]);
    let out = apply_suppressions(
        vec![
            at("PROC001", "Dockerfile.dev", text, "CMD sleep 1"),
            at("PROC001", "Dockerfile.dev", text, "CMD sleep 2"),
        ],
        &sources,
    );
    assert_eq!(
        summary(&out, text),
        [("PROC001".to_string(), "CMD sleep 2".to_string())]
    );
    let global = "# hadolint global ignore=DL3025\nFROM alpine\nCMD a\n";
    let sources = self::sources(&[("Dockerfile", global)]);
    let out = apply_suppressions(vec![at("PROC001", "Dockerfile", global, "CMD a")], &sources);
    assert!(out.is_empty());
}

#[test]
fn dockerfile_heredoc_bodies_are_not_comments() {
    let text = "FROM alpine\nRUN <<EOF\n# skafix: ignore[SCHEMA001]\necho hi\nEOF\nCMD x\n";
    let lines = dockerfile_lines(text);
    assert!(lines.comments.is_empty());
    assert_eq!(lines.instruction[1], Some((2, 5)));
    assert_eq!(lines.instruction[5], Some((6, 6)));
}

#[test]
fn files_of_other_kinds_and_suppression_findings_are_left_alone() {
    let text = "# skafix: ignore[SCHEMA001]\nnode_modules\n";
    let sources = sources(&[(".dockerignore", text)]);
    let d = at("SCHEMA001", ".dockerignore", text, "node_modules");
    assert_eq!(apply_suppressions(vec![d.clone()], &sources), vec![d]);
    assert_eq!(rule_by_code("sup001").unwrap().name, "unused-suppression");
    assert_eq!(rule_by_code("SUP002").unwrap().name, "unknown-code");
}
