//! `skafix check` as a user runs it: exit codes, every output format read by its consumer's
//! parser or schema, config files, inline suppressions and the selection flags.

use assert_cmd::Command;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cli")).join(name)
}

/// `skafix check` run inside a fixture project, with CI variables cleared.
fn check_in(name: &str) -> Command {
    let mut cmd = Command::cargo_bin("skafix").unwrap();
    cmd.current_dir(fixture(name))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("NO_COLOR")
        .arg("check");
    cmd
}

fn stdout_of(cmd: &mut Command, code: i32) -> String {
    let output = cmd.output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

const DUPLICATE_LINE: &str =
    "skaffold.yaml:6:7: error: SCHEMA006 duplicate key `image`: Skaffold rejects the file\n";

#[test]
fn clean_project_exits_zero() {
    let out = stdout_of(check_in("clean").args(["--format", "concise"]), 0);
    assert_eq!(out, "No problems found in 2 files.\n");
}

#[test]
fn findings_exit_one_and_exit_zero_overrides() {
    let out = stdout_of(check_in("duplicate").args(["--format", "concise"]), 1);
    assert_eq!(
        out,
        format!("{DUPLICATE_LINE}Found 1 error in 1 file (2 files checked).\n")
    );
    let out = stdout_of(
        check_in("duplicate").args(["--format", "concise", "--quiet", "--exit-zero"]),
        0,
    );
    assert_eq!(out, DUPLICATE_LINE);
}

#[test]
fn selection_flags_filter_findings() {
    let out = stdout_of(
        check_in("duplicate").args(["--format", "concise", "--ignore", "SCHEMA006"]),
        0,
    );
    assert_eq!(out, "No problems found in 2 files.\n");
    let out = stdout_of(
        check_in("duplicate").args(["--format", "concise", "--select", "SUP"]),
        0,
    );
    assert_eq!(out, "No problems found in 2 files.\n");
    let out = stdout_of(
        check_in("duplicate").args([
            "--format",
            "concise",
            "-q",
            "--select",
            "SUP",
            "--extend-select",
            "SCHEMA",
        ]),
        1,
    );
    assert_eq!(out, DUPLICATE_LINE);
    check_in("duplicate")
        .args(["--select", "NOPE9"])
        .assert()
        .code(2)
        .stderr("skafix: error: --select: unknown rule code or prefix `NOPE9`\n");
}

#[test]
fn json_fields_match_the_file() {
    let out = stdout_of(check_in("duplicate").args(["--format", "json"]), 1);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["version"], 1);
    assert_eq!(
        value["summary"],
        serde_json::json!({"files": 2, "errors": 1, "warnings": 0, "infos": 0})
    );
    let diagnostic = &value["diagnostics"][0];
    let text = std::fs::read_to_string(fixture("duplicate/skaffold.yaml")).unwrap();
    let line = diagnostic["line"].as_u64().unwrap() as usize;
    let column = diagnostic["column"].as_u64().unwrap() as usize;
    let end_column = diagnostic["end_column"].as_u64().unwrap() as usize;
    let source_line = text.lines().nth(line - 1).unwrap();
    let chars: Vec<char> = source_line.chars().collect();
    let marked: String = chars[column - 1..end_column - 1].iter().collect();
    assert_eq!(marked, "image");
    assert_eq!(source_line, "      image: app2");
    assert_eq!(diagnostic["path"], "skaffold.yaml");
    assert_eq!(diagnostic["code"], "SCHEMA006");
    assert_eq!(diagnostic["name"], "duplicate-key");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["fix"], serde_json::Value::Null);

    let lines = stdout_of(check_in("duplicate").args(["--format", "json-lines"]), 1);
    let objects: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects, std::slice::from_ref(diagnostic));
}

#[test]
fn paths_are_relative_to_the_working_directory() {
    let mut cmd = Command::cargo_bin("skafix").unwrap();
    cmd.current_dir(fixture(""))
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "duplicate", "--format", "concise", "-q"]);
    assert_eq!(
        stdout_of(&mut cmd, 1),
        format!("duplicate/{DUPLICATE_LINE}")
    );
}

#[test]
fn sarif_validates_against_the_schema() {
    let out = stdout_of(check_in("duplicate").args(["--format", "sarif"]), 1);
    let sarif: serde_json::Value = serde_json::from_str(&out).unwrap();
    let schema_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/schemas/sarif-schema-2.1.0.json"
    ))
    .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let run = &sarif["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "SCHEMA006");
    assert_eq!(run["tool"]["driver"]["rules"][0]["name"], "duplicate-key");
    assert!(run["tool"]["driver"]["rules"][0]["help"]["markdown"]
        .as_str()
        .unwrap()
        .starts_with("# SCHEMA006"));
    let region = &run["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 6);
    assert_eq!(region["startColumn"], 7);
    assert_eq!(region["endColumn"], 12);
}

#[test]
fn junit_is_well_formed_xml() {
    use quick_xml::events::Event;
    let out = stdout_of(check_in("duplicate").args(["--format", "junit"]), 1);
    let mut reader = quick_xml::Reader::from_str(&out);
    let mut failures = Vec::new();
    let mut testcases = 0;
    loop {
        match reader.read_event().unwrap() {
            Event::Eof => break,
            Event::Start(e) if e.name().as_ref() == b"testcase" => testcases += 1,
            Event::Start(e) if e.name().as_ref() == b"failure" => {
                let message = e
                    .try_get_attribute("message")
                    .unwrap()
                    .unwrap()
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned();
                failures.push(message);
            }
            _ => {}
        }
    }
    assert_eq!(testcases, 1);
    assert_eq!(
        failures,
        ["duplicate key `image`: Skaffold rejects the file"]
    );
}

#[test]
fn gitlab_code_quality_report() {
    let out = stdout_of(check_in("duplicate").args(["--format", "gitlab"]), 1);
    let issues: serde_json::Value = serde_json::from_str(&out).unwrap();
    let issue = &issues[0];
    assert_eq!(issue["check_name"], "SCHEMA006");
    assert_eq!(issue["severity"], "major");
    assert_eq!(issue["location"]["path"], "skaffold.yaml");
    assert_eq!(issue["location"]["lines"]["begin"], 6);
    assert_eq!(issue["fingerprint"].as_str().unwrap().len(), 16);
    let again: serde_json::Value = serde_json::from_str(&stdout_of(
        check_in("duplicate").args(["--format", "gitlab"]),
        1,
    ))
    .unwrap();
    assert_eq!(again[0]["fingerprint"], issue["fingerprint"]);
}

#[test]
fn github_annotations_are_chosen_inside_github_actions() {
    let expected = "::error file=skaffold.yaml,line=6,col=7,endLine=6,endColumn=12,title=SCHEMA006 duplicate-key::duplicate key `image`: Skaffold rejects the file";
    let out = stdout_of(check_in("duplicate").env("GITHUB_ACTIONS", "true"), 1);
    assert!(out.starts_with(expected), "{out}");
    let out = stdout_of(check_in("duplicate").args(["--format", "github"]), 1);
    assert!(out.starts_with(expected), "{out}");
    let out = stdout_of(
        check_in("duplicate")
            .env("GITHUB_ACTIONS", "true")
            .args(["--format", "concise", "-q"]),
        1,
    );
    assert_eq!(out, DUPLICATE_LINE);
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");
    let out = stdout_of(
        check_in("duplicate")
            .args(["--format", "json", "--output-file"])
            .arg(&target),
        1,
    );
    assert_eq!(out, "");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(value["diagnostics"][0]["code"], "SCHEMA006");
}

#[test]
fn colour_follows_the_flag() {
    let out = stdout_of(
        check_in("duplicate").args(["--format", "concise", "-q", "--color", "always"]),
        1,
    );
    assert!(out.contains("\x1b[1;31mSCHEMA006\x1b[0m"), "{out:?}");
    let out = stdout_of(
        check_in("duplicate")
            .args(["--format", "concise", "-q"])
            .env("NO_COLOR", "1"),
        1,
    );
    assert!(!out.contains('\x1b'));
}

#[test]
fn full_format_shows_the_snippet() {
    let out = stdout_of(check_in("duplicate").args(["--color", "never"]), 1);
    assert!(out.contains("SCHEMA006 duplicate-key"), "{out}");
    assert!(out.contains("[skaffold.yaml:6:7]"), "{out}");
    assert!(out.contains(" 6 │       image: app2"), "{out}");
    assert!(
        out.ends_with("Found 1 error in 1 file (2 files checked).\n"),
        "{out}"
    );
}

#[test]
fn inline_suppressions_apply_and_unused_ones_are_reported() {
    let out = stdout_of(check_in("suppressed").args(["--format", "concise"]), 1);
    assert_eq!(
        out,
        "skaffold.yaml:7:32: warning: SUP001 unused suppression: no `SCHEMA007` finding on the line it applies to\n\
         Found 1 warning in 1 file (2 files checked). 1 fixable with `skafix fix`.\n"
    );
}

#[test]
fn config_overrides_severity() {
    let out = stdout_of(check_in("configured").args(["--format", "json"]), 1);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["diagnostics"][0]["severity"], "warning");
    assert_eq!(value["summary"]["warnings"], 1);
}

#[test]
fn broken_config_exits_two_with_its_line() {
    let output = check_in("bad-config").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(output.stdout, b"");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("skafix: error: skafix.toml:3:1: unknown field `unknown-key`"),
        "{stderr}"
    );
    // An explicit --config replaces discovery.
    let out = stdout_of(
        check_in("bad-config")
            .args(["--format", "concise", "-q", "--config"])
            .arg(fixture("configured/skafix.toml")),
        1,
    );
    // configured/skafix.toml makes SCHEMA006 a warning.
    assert_eq!(out, DUPLICATE_LINE.replace(": error: ", ": warning: "));
}

#[test]
fn dockerfile_suppressions_skafix_and_hadolint_forms() {
    let paths = |out: &str| -> Vec<String> {
        let value: serde_json::Value = serde_json::from_str(out).unwrap();
        value["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{} {}:{}",
                    d["code"].as_str().unwrap(),
                    d["path"].as_str().unwrap(),
                    d["line"]
                )
            })
            .collect()
    };
    let out = stdout_of(
        check_in("dockerfile-suppressed").args(["--format", "json"]),
        1,
    );
    assert_eq!(paths(&out), ["PROC001 Dockerfile.cron:2"]);

    // The same project without its comments: every shell-form CMD is reported.
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "skaffold.yaml",
        "Dockerfile",
        "Dockerfile.worker",
        "Dockerfile.cron",
    ] {
        let text = std::fs::read_to_string(fixture("dockerfile-suppressed").join(name)).unwrap();
        let kept: String = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(dir.path().join(name), kept).unwrap();
    }
    let mut cmd = Command::cargo_bin("skafix").unwrap();
    cmd.current_dir(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "--format", "json"]);
    let out = stdout_of(&mut cmd, 1);
    assert_eq!(
        paths(&out),
        [
            "PROC001 Dockerfile:2",
            "PROC001 Dockerfile.cron:2",
            "PROC001 Dockerfile.worker:2"
        ]
    );
}

#[test]
fn profile_flags_accept_comma_lists_and_deactivation() {
    stdout_of(
        check_in("clean").args(["-p", "-dev", "--format", "concise"]),
        0,
    );
    let output = check_in("clean")
        .args(["-p", "dev,-x", "-p", "y"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("skafix: error: profile `dev` is not defined"),
        "the list is split into profiles: {stderr}"
    );
}
