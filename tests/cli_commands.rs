//! The commands around `check`: help, usage errors, rule docs, completions.

use assert_cmd::Command;

fn skafix() -> Command {
    let mut cmd = Command::cargo_bin("skafix").unwrap();
    cmd.env_remove("GITHUB_ACTIONS");
    cmd
}

#[test]
fn every_command_has_help_with_an_example() {
    for args in [
        vec!["--help"],
        vec!["check", "--help"],
        vec!["fix", "--help"],
        vec!["probe", "--help"],
        vec!["rule", "--help"],
        vec!["rules", "--help"],
        vec!["completions", "--help"],
    ] {
        let output = skafix().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains("Examples:\n  skafix "), "{args:?}: {text}");
    }
}

#[test]
fn usage_errors_exit_two() {
    let output = skafix().args(["check", "--bogus"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("skafix: error: unexpected argument '--bogus' found"),
        "{stderr}"
    );
    skafix().args(["check", "--format", "xml"]).assert().code(2);
    skafix()
        .args(["check", "--exit-zero", "--exit-non-zero-on-fix"])
        .assert()
        .code(2);
    skafix().assert().code(2);
}

#[test]
fn nothing_to_check_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = skafix()
        .current_dir(dir.path())
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8(output.stderr)
        .unwrap()
        .starts_with("skafix: error: "));
}

#[test]
fn rules_lists_codes_names_severities_and_fixes() {
    let output = skafix().arg("rules").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("CODE       NAME"), "{header}");
    let sup = text.lines().find(|l| l.starts_with("SUP001 ")).unwrap();
    let columns: Vec<&str> = sup.split_whitespace().take(4).collect();
    assert_eq!(columns, ["SUP001", "unused-suppression", "warning", "safe"]);
    let json = skafix()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let list: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let codes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    assert_eq!(codes, sorted);
    assert_eq!(codes.len(), text.lines().count() - 1);
    for registered in skafix::rules::all() {
        assert!(codes.contains(&registered.code), "{}", registered.code);
    }
}

#[test]
fn rule_prints_its_doc() {
    let output = skafix().args(["rule", "sup002"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text,
        format!("{}\n", include_str!("../rules/SUP002.md").trim_end())
    );
    let output = skafix()
        .args(["rule", "SUP001", "--format", "json"])
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["code"], "SUP001");
    assert_eq!(value["name"], "unused-suppression");
    assert_eq!(value["severity"], "warning");
    assert_eq!(value["fix"], "safe");
    assert_eq!(value["doc"], include_str!("../rules/SUP001.md"));
    skafix()
        .args(["rule", "NOPE1"])
        .assert()
        .code(2)
        .stderr("skafix: error: unknown rule code `NOPE1` (`skafix rules` lists every rule)\n");
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_skafix()"),
        ("zsh", "#compdef skafix"),
        ("fish", "complete -c skafix"),
    ] {
        let output = skafix().args(["completions", shell]).output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains(marker), "{shell}");
    }
    skafix()
        .args(["completions", "powershell"])
        .assert()
        .code(2);
}
