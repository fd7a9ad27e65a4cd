//! What the output says is true, checked through the binary: summary counts, JUnit and
//! concise severities, options only where they act, the README's rule table against the
//! registry, rule docs without escapes, and shell completions that offer rule codes.

use std::path::Path;
use std::process::{Command, Output};

fn skafix() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skafix"));
    cmd.env_remove("GITHUB_ACTIONS").env("NO_COLOR", "1");
    cmd
}

fn stdout(output: &Output, code: i32) -> String {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

#[test]
fn summary_counts_files_checked_and_files_with_findings() {
    // A config that does not parse was still read: 1 error in 1 file, not "in 0 files".
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[("skaffold.yaml", "apiVersion: skaffold/v4beta14\nbuild: [\n")],
    );
    let out = skafix()
        .current_dir(dir.path())
        .args(["check", "--format", "concise"])
        .output()
        .unwrap();
    let text = stdout(&out, 2);
    assert!(
        text.ends_with("\nFound 1 error in 1 file (1 file checked).\n"),
        "{text}"
    );

    // Findings in the config and in the Dockerfile, out of three files read.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "skaffold.yaml",
                "apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n    - image: app\nmanifests:\n  rawYaml:\n    - k8s/app.yaml\n",
            ),
            ("Dockerfile", "FROM python:3.12-slim\nCMD python app.py\n"),
            (
                "k8s/app.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: app\n",
            ),
        ],
    );
    let out = skafix()
        .current_dir(dir.path())
        .args(["check", "--format", "concise"])
        .output()
        .unwrap();
    let text = stdout(&out, 1);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[..lines.len() - 1]
            .iter()
            .map(|l| l.split(": ").take(2).collect::<Vec<_>>().join(": "))
            .collect::<Vec<_>>(),
        ["Dockerfile:2:5: warning", "skaffold.yaml:1:13: info"],
        "{text}"
    );
    assert_eq!(
        lines.last().unwrap(),
        &"Found 1 warning, 1 info in 2 files (3 files checked). 2 fixable with `skafix fix` (some need `--unsafe-fixes`).",
        "{text}"
    );
}

#[test]
fn junit_reports_infos_as_passing_cases() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/SCHEMA005/fail");
    let out = skafix()
        .current_dir(fixture)
        .args(["check", "--format", "junit"])
        .output()
        .unwrap();
    // An info alone does not fail the run, and the report agrees.
    let xml = stdout(&out, 0);
    assert!(
        xml.contains("<testsuites name=\"skafix\" tests=\"2\" failures=\"0\" errors=\"0\">"),
        "{xml}"
    );
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(
        xml.contains("<system-out>info: skaffold.yaml:1:13: SCHEMA005 apiVersion `skaffold/v4beta11` is outdated; the newest is `skaffold/v4beta14`&#10;help: the document is valid under `skaffold/v4beta14`: bump the version</system-out>"),
        "{xml}"
    );
}

#[test]
fn concise_lines_carry_the_severity() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/SCHEMA005/fail");
    let out = skafix()
        .current_dir(fixture)
        .args(["check", "--format", "concise", "-q"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out, 0),
        "skaffold.yaml:1:13: info: SCHEMA005 apiVersion `skaffold/v4beta11` is outdated; the newest is `skaffold/v4beta14`\n"
    );
}

#[test]
fn exit_non_zero_on_fix_belongs_to_fix_only() {
    for command in ["check", "probe"] {
        let help = stdout(&skafix().args([command, "--help"]).output().unwrap(), 0);
        assert!(!help.contains("exit-non-zero-on-fix"), "{command}: {help}");
        let out = skafix()
            .args([command, "--exit-non-zero-on-fix"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .starts_with("skafix: error: unexpected argument '--exit-non-zero-on-fix' found"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let help = stdout(&skafix().args(["fix", "--help"]).output().unwrap(), 0);
    assert!(help.contains("--exit-non-zero-on-fix"), "{help}");
    let out = skafix()
        .args(["fix", "--exit-zero", "--exit-non-zero-on-fix"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The README's rule table is the registry: one row per rule but the probe's, in the order
/// and with the name, severity, fix and summary `skafix rules` gives.
#[test]
fn readme_rule_table_matches_the_registry() {
    let json = stdout(
        &skafix()
            .args(["rules", "--format", "json"])
            .output()
            .unwrap(),
        0,
    );
    let rules: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    let expected: Vec<String> = rules
        .iter()
        .filter(|r| !r["code"].as_str().unwrap().starts_with("PROBE"))
        .map(|r| {
            let code = r["code"].as_str().unwrap();
            format!(
                "| [{code}](rules/{code}.md) | {} | {} | {} | {} |",
                r["name"].as_str().unwrap(),
                r["severity"].as_str().unwrap(),
                r["fix"].as_str().unwrap(),
                r["summary"].as_str().unwrap()
            )
        })
        .collect();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<String> = readme
        .lines()
        .filter(|l| l.starts_with("| [") && l.contains("](rules/"))
        .map(str::to_string)
        .collect();
    assert_eq!(rows, expected);
}

#[test]
fn rule_docs_print_without_escapes() {
    let hook = stdout(&skafix().args(["rule", "HOOK001"]).output().unwrap(), 0);
    assert!(
        hook.contains(
            "\"Only signals for which the 'init' process has established a signal handler"
        ),
        "{hook}"
    );
    let json = stdout(
        &skafix()
            .args(["rules", "--format", "json"])
            .output()
            .unwrap(),
        0,
    );
    let rules: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    for rule in rules {
        let code = rule["code"].as_str().unwrap();
        let doc = stdout(&skafix().args(["rule", code]).output().unwrap(), 0);
        assert!(!doc.contains("\\\""), "{code}: {doc}");
    }
}

/// Runs bash's completion for the words typed so far and returns what it offers.
fn bash_completions(words: &[&str]) -> Vec<String> {
    let script = stdout(&skafix().args(["completions", "bash"]).output().unwrap(), 0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("skafix.bash");
    std::fs::write(&file, script).unwrap();
    let line = words.join(" ");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let driver = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{line}'\nCOMP_POINT=${{#COMP_LINE}}\n_skafix skafix '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        file.display(),
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let out = Command::new("bash").arg("-c").arg(driver).output().unwrap();
    stdout(&out, 0).lines().map(str::to_string).collect()
}

#[test]
fn completions_offer_rule_codes() {
    assert_eq!(
        bash_completions(&["skafix", "rule", "VOL00"]),
        ["VOL001", "VOL002", "VOL003"]
    );
    assert_eq!(
        bash_completions(&["skafix", "check", "--select", "HOOK00"]),
        ["HOOK001", "HOOK002", "HOOK003", "HOOK004", "HOOK005", "HOOK006", "HOOK007"]
    );
    let ignore = bash_completions(&["skafix", "fix", "--ignore", "S"]);
    assert!(ignore.contains(&"SYNC".to_string()), "{ignore:?}");
    assert!(ignore.contains(&"SCHEMA006".to_string()), "{ignore:?}");
    // Families are selectors, not rules: `rule` offers codes only.
    assert!(!bash_completions(&["skafix", "rule", "S"]).contains(&"SYNC".to_string()));
    for shell in ["zsh", "fish"] {
        let script = stdout(&skafix().args(["completions", shell]).output().unwrap(), 0);
        assert!(script.contains("SYNC011"), "{shell}");
    }
}
