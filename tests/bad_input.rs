//! Bad input through the real CLI: every case gets a clear message with a location, exit code
//! 2 when nothing could be checked, and never a panic.

use assert_cmd::Command;
use std::path::Path;

fn skafix(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("skafix")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

fn project(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
    dir
}

fn concise(dir: &Path) -> (i32, String) {
    let (code, out, err) = skafix(dir, &["check", "--format", "concise"]);
    (code, out + &err)
}

#[test]
fn binary_file_named_skaffold_yaml() {
    let dir = project(&[("skaffold.yaml", b"\x7fELF\x02\x01\x01\x00\x00\x00")]);
    let (code, out) = concise(dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(
            "skaffold.yaml:1:8: error: SCHEMA001 cannot read skaffold.yaml: file is binary"
        ),
        "{out}"
    );
}

#[test]
fn non_utf8_text() {
    let dir = project(&[(
        "skaffold.yaml",
        b"apiVersion: skaffold/v4beta14\nkind: Config # caf\xe9\n",
    )]);
    let (code, out) = concise(dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(
            "skaffold.yaml:2:19: error: SCHEMA001 cannot read skaffold.yaml: file is not valid UTF-8"
        ),
        "{out}"
    );
}

#[test]
fn empty_file_is_a_config_without_documents() {
    let dir = project(&[("skaffold.yaml", b"")]);
    let (code, out) = concise(dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("skaffold.yaml:1:1: error: SCHEMA010 config file has no documents"),
        "{out}"
    );
}

#[test]
fn invalid_yaml_points_at_the_error() {
    let dir = project(&[(
        "skaffold.yaml",
        b"apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts: [\n",
    )]);
    let (code, out) = concise(dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("skaffold.yaml:5:1: error: SCHEMA001 invalid YAML"),
        "{out}"
    );
}

#[test]
fn yaml_alias_bomb_finishes() {
    let mut bomb = String::from(
        "apiVersion: skaffold/v4beta14\nkind: Config\n.a: &a [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for level in 1..=9 {
        let prev = (b'a' + level - 1) as char;
        let name = (b'a' + level) as char;
        bomb.push_str(&format!(".{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    let dir = project(&[("skaffold.yaml", bomb.as_bytes())]);
    let started = std::time::Instant::now();
    let (code, out) = concise(dir.path());
    assert_eq!(code, 2, "{out}");
    // .b to .e copy 123,440 values through aliases; the first `*e` would copy 111,111 more.
    assert!(
        out.contains("skaffold.yaml:8:9: error: SCHEMA001 alias `*e` expands to more than 200000 values (the alias expansion limit); document not checked"),
        "{out}"
    );
    // A generous bound that only an exponential expansion would break.
    assert!(started.elapsed().as_secs() < 20);
}

#[test]
fn a_config_with_twenty_thousand_artifacts_is_checked_not_refused() {
    // About 100,000 values and no alias: only alias expansion has a budget.
    let mut config =
        String::from("apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n");
    for i in 0..20_000 {
        config.push_str(&format!(
            "    - image: example/svc{i}\n      context: svc\n      sync:\n        manual:\n          - src: \"*.py\"\n            dest: /app\n"
        ));
    }
    let dir = project(&[
        ("skaffold.yaml", config.as_bytes()),
        (
            "svc/Dockerfile",
            b"FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]\n",
        ),
        ("svc/main.py", b"print(1)\n"),
    ]);
    let (code, out) = concise(dir.path());
    assert!(
        !out.contains("SCHEMA001"),
        "{}",
        &out[..out.len().min(2000)]
    );
    assert!(
        code == 0 || code == 1,
        "{code}: {}",
        &out[..out.len().min(2000)]
    );
}

#[test]
fn huge_file_is_refused_with_its_size() {
    let mut text = String::from("apiVersion: skaffold/v4beta14\nkind: Config\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    let dir = project(&[("skaffold.yaml", text.as_bytes())]);
    let (code, out) = concise(dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("file is too large (50 MB; the limit is 32 MB)"),
        "{out}"
    );
}

#[test]
fn symlink_loop_and_missing_path() {
    let dir = project(&[(
        "ok/skaffold.yaml",
        b"apiVersion: skaffold/v4beta14\nkind: Config\n",
    )]);
    std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
    std::os::unix::fs::symlink("skaffold-b.yaml", dir.path().join("skaffold-a.yaml")).unwrap();
    std::os::unix::fs::symlink("skaffold-a.yaml", dir.path().join("skaffold-b.yaml")).unwrap();
    let (code, out) = concise(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("skaffold-a.yaml:1:1: error: SCHEMA001 cannot read skaffold-a.yaml: too many levels of symbolic links"), "{out}");
    let (code, _, err) = skafix(dir.path(), &["check", "does-not-exist"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("does-not-exist: no such file or directory"),
        "{err}"
    );
}

#[test]
fn unreadable_file() {
    let dir = project(&[(
        "skaffold.yaml",
        b"apiVersion: skaffold/v4beta14\nkind: Config\n",
    )]);
    let path = dir.path().join("skaffold.yaml");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads anything: the case only exists for other users.
    if std::fs::read(&path).is_ok() {
        return;
    }
    let (code, out) = concise(dir.path());
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("permission denied"), "{out}");
}

#[test]
fn missing_dockerfile_is_reported_at_the_artifact() {
    let dir = project(&[(
        "skaffold.yaml",
        b"apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      docker:\n        dockerfile: Dockerfile.dev\n",
    )]);
    let (code, out) = concise(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("skaffold.yaml:7:21: error: SCHEMA007 Dockerfile `Dockerfile.dev` of artifact `app` cannot be read: no such file or directory"), "{out}");
}
