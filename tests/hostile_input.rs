//! Hostile projects through the real CLI, as a pull request could make CI run them: nothing
//! outside the checked project is read or echoed (symlinks, `..`, absolute paths, `requires`),
//! special files fail at once, expansion bombs stop quickly at their line, control characters
//! never reach the terminal raw, and `fix` writes nothing outside the project or through what
//! it must not change.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a leaked file would show: it must never appear in any output.
const SECRET: &str = "TOKEN-8f4e2a";

fn skafix(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("skafix")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (output.status.code().unwrap_or(-1), stdout, stderr)
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// `<tmp>/outside/secret` (a one-line credentials file) and `<tmp>/project/`.
struct Layout {
    root: tempfile::TempDir,
}

impl Layout {
    fn new() -> Layout {
        let root = tempfile::tempdir().unwrap();
        write(&root.path().join("outside/secret"), &format!("{SECRET}\n"));
        std::fs::create_dir_all(root.path().join("project")).unwrap();
        Layout { root }
    }

    fn project(&self) -> PathBuf {
        self.root.path().join("project")
    }

    fn outside(&self) -> PathBuf {
        self.root.path().join("outside")
    }
}

fn config_with_dockerfile(dockerfile: &str) -> String {
    format!(
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      docker:\n        dockerfile: {dockerfile}\n"
    )
}

/// Every format a CI run could publish, none showing the secret.
fn assert_never_echoed(dir: &Path) {
    for format in [
        "full", "concise", "json", "sarif", "github", "gitlab", "junit",
    ] {
        let (_, out, err) = skafix(dir, &["check", "--format", format]);
        assert!(
            !out.contains(SECRET) && !err.contains(SECRET),
            "{format} leaks: {out}{err}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_dockerfile_symlinked_outside_is_a_finding_and_never_read() {
    let layout = Layout::new();
    let project = layout.project();
    write(
        &project.join("skaffold.yaml"),
        &config_with_dockerfile("Dockerfile"),
    );
    std::os::unix::fs::symlink(layout.outside().join("secret"), project.join("Dockerfile"))
        .unwrap();
    let (code, out, _) = skafix(&project, &["check", "--format", "concise", "-q"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out,
        "skaffold.yaml:7:21: error: SCHEMA011 Dockerfile `Dockerfile` of artifact `app` leads outside the checked project; it is not read (allow it with --allow-outside)\n"
    );
    assert_never_echoed(&project);
}

#[test]
fn parent_and_absolute_paths_out_of_the_project_are_findings() {
    let layout = Layout::new();
    let project = layout.project();
    let relative = "../../../../../../../../".to_string()
        + layout
            .outside()
            .join("secret")
            .to_str()
            .unwrap()
            .trim_start_matches('/');
    write(
        &project.join("skaffold.yaml"),
        &config_with_dockerfile(&relative),
    );
    let (code, out, _) = skafix(&project, &["check", "--format", "concise", "-q"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("SCHEMA011 Dockerfile `../../"), "{out}");
    assert_never_echoed(&project);

    let absolute = layout.outside().join("secret");
    write(
        &project.join("skaffold.yaml"),
        &config_with_dockerfile(absolute.to_str().unwrap()),
    );
    let (_, out, _) = skafix(&project, &["check", "--format", "concise", "-q"]);
    assert!(out.contains("SCHEMA011"), "{out}");
    assert_never_echoed(&project);

    // Allowed explicitly, the file is read like any other (and is no Dockerfile).
    let allow = layout.outside();
    let (_, out, _) = skafix(
        &project,
        &[
            "check",
            "--format",
            "concise",
            "-q",
            "--allow-outside",
            allow.to_str().unwrap(),
        ],
    );
    assert!(!out.contains("SCHEMA011"), "{out}");
    assert!(out.contains("SCHEMA001"), "{out}");
}

#[test]
fn a_git_work_tree_is_the_root_for_a_checked_subdirectory() {
    let layout = Layout::new();
    let repo = layout.project();
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    write(&repo.join("shared/Dockerfile"), "FROM alpine:3.20\n");
    write(
        &repo.join("services/app/skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      context: ../../elsewhere\n",
    );
    let (code, out, _) = skafix(
        &repo.join("services/app"),
        &["check", "--format", "concise", "-q"],
    );
    assert!(!out.contains("SCHEMA011"), "{out}");
    assert_ne!(code, 2, "{out}");
}

#[test]
fn a_required_config_outside_is_not_read_and_not_fixed() {
    let layout = Layout::new();
    let project = layout.project();
    let suppressed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cli/suppressed");
    let elsewhere = layout.root.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    for name in ["skaffold.yaml", "Dockerfile"] {
        std::fs::copy(suppressed.join(name), elsewhere.join(name)).unwrap();
    }
    let before = std::fs::read_to_string(elsewhere.join("skaffold.yaml")).unwrap();
    write(
        &project.join("skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\nrequires:\n  - path: ../elsewhere\n",
    );
    let (code, out, _) = skafix(&project, &["check", "--format", "concise", "-q"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out,
        "skaffold.yaml:4:11: error: SCHEMA011 required config `../elsewhere` is outside the checked project; it is not read, checked or fixed (allow reading it with --allow-outside)\n"
    );
    skafix(&project, &["fix", "-q"]);
    // Allowed for reading, its findings show, but fix still never writes there.
    let allow = elsewhere.to_str().unwrap();
    let (_, out, _) = skafix(
        &project,
        &[
            "check",
            "--format",
            "concise",
            "-q",
            "--allow-outside",
            allow,
        ],
    );
    assert!(out.contains("SUP001"), "{out}");
    let (_, _, err) = skafix(&project, &["fix", "-q", "--allow-outside", allow]);
    assert!(
        err.contains("fix not applied") && err.contains("outside the checked project"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("skaffold.yaml")).unwrap(),
        before
    );
}

#[cfg(unix)]
#[test]
fn fix_never_writes_through_a_symlink_leading_out() {
    let layout = Layout::new();
    let project = layout.project();
    let suppressed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cli/suppressed");
    let target = layout.outside().join("skaffold.yaml");
    std::fs::copy(suppressed.join("skaffold.yaml"), &target).unwrap();
    std::fs::copy(suppressed.join("Dockerfile"), project.join("Dockerfile")).unwrap();
    std::os::unix::fs::symlink(&target, project.join("skaffold.yaml")).unwrap();
    let before = std::fs::read_to_string(&target).unwrap();
    let (code, out, _) = skafix(&project, &["fix", "--format", "concise", "-q"]);
    assert!(out.contains("SCHEMA011"), "{out}");
    assert_eq!(code, 1, "{out}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), before);
    // Readable with --allow-outside, its fix is still not written through the link.
    let allow = layout.outside();
    let (_, _, err) = skafix(
        &project,
        &["fix", "-q", "--allow-outside", allow.to_str().unwrap()],
    );
    assert!(err.contains("outside the checked project"), "{err}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), before);
    assert!(std::fs::symlink_metadata(project.join("skaffold.yaml"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[cfg(unix)]
#[test]
fn fix_refuses_read_only_and_hard_linked_files_and_cleans_stale_temp_files() {
    use std::os::unix::fs::PermissionsExt;
    let suppressed = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cli/suppressed");
    let dir = tempfile::tempdir().unwrap();
    for name in ["skaffold.yaml", "Dockerfile"] {
        std::fs::copy(suppressed.join(name), dir.path().join(name)).unwrap();
    }
    let config = dir.path().join("skaffold.yaml");
    let before = std::fs::read_to_string(&config).unwrap();

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o444)).unwrap();
    let (_, _, err) = skafix(dir.path(), &["fix", "-q"]);
    assert!(err.contains("the file is read-only"), "{err}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();

    let twin = dir.path().join("twin.yaml.bak");
    std::fs::hard_link(&config, &twin).unwrap();
    let (_, _, err) = skafix(dir.path(), &["fix", "-q"]);
    assert!(err.contains("2 hard links"), "{err}");
    assert_eq!(std::fs::read_to_string(&config).unwrap(), before);
    std::fs::remove_file(&twin).unwrap();

    // What a killed run left beside the file (no process has this pid) goes on the next run.
    let stale = dir.path().join(".skafix-tmp-4294967295-0");
    std::fs::write(&stale, "half-written").unwrap();
    let (code, _, err) = skafix(dir.path(), &["fix", "-q"]);
    assert_eq!(code, 0, "{err}");
    if Path::new("/proc/self").exists() {
        assert!(!stale.exists());
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec!["Dockerfile", "skaffold.yaml"]);
    assert_ne!(std::fs::read_to_string(&config).unwrap(), before);
}

#[cfg(unix)]
#[test]
fn a_fifo_or_device_as_dockerfile_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("skaffold.yaml"),
        &config_with_dockerfile("Dockerfile"),
    );
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("Dockerfile"))
        .status()
        .unwrap();
    assert!(made.success());
    let started = Instant::now();
    let (code, out, _) = skafix(dir.path(), &["check", "--format", "concise", "-q"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("cannot be read: is not a regular file (a device, FIFO or socket)"),
        "{out}"
    );

    // A device, even where reading is allowed.
    std::fs::remove_file(dir.path().join("Dockerfile")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("Dockerfile")).unwrap();
    let (_, out, _) = skafix(
        dir.path(),
        &[
            "check",
            "--format",
            "concise",
            "-q",
            "--allow-outside",
            "/dev",
        ],
    );
    assert!(out.contains("is not a regular file"), "{out}");
}

#[test]
fn an_arg_doubling_bomb_stops_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut dockerfile = String::from("FROM alpine:3.20\nARG v0=xxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        dockerfile.push_str(&format!("ARG v{i}=$v{}$v{}\n", i - 1, i - 1));
    }
    write(&dir.path().join("Dockerfile"), &dockerfile);
    write(
        &dir.path().join("skaffold.yaml"),
        &config_with_dockerfile("Dockerfile"),
    );
    let started = Instant::now();
    let (code, out, _) = skafix(dir.path(), &["check", "--format", "concise", "-q"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    // 16 bytes doubled 13 times is 128 KiB: `ARG v13` (line 15) crosses 64 KiB.
    assert_eq!(
        out,
        "Dockerfile:15:1: error: SCHEMA001 invalid Dockerfile: variable expansion goes over its budget here (a value may reach 64 KiB, a build's variables 32 MiB in all); the Dockerfile is not checked\n"
    );
    assert_eq!(code, 1, "the config itself was checked");
}

#[test]
fn thousands_of_env_lines_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut dockerfile = String::from("FROM alpine:3.20\n");
    for i in 0..4000 {
        dockerfile.push_str(&format!("ENV VARIABLE_{i}=value-{i}-of-the-environment\n"));
    }
    write(&dir.path().join("Dockerfile"), &dockerfile);
    write(
        &dir.path().join("skaffold.yaml"),
        &config_with_dockerfile("Dockerfile"),
    );
    let started = Instant::now();
    let (code, out, _) = skafix(dir.path(), &["check", "--format", "concise", "-q"]);
    assert!(started.elapsed() < Duration::from_secs(30), "{out}");
    assert!(
        out.contains("SCHEMA001 invalid Dockerfile: variable expansion goes over its budget"),
        "{out}"
    );
    assert_eq!(code, 1, "{out}");
}

/// ESC (clear screen, OSC 52 clipboard write), BEL and CR in a YAML key and value.
const HOSTILE_KEY: &str = "evil\u{1b}[2J\u{1b}]52;c;aGk=\u{7}\rkey";

#[test]
fn control_characters_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("skaffold.yaml"),
        &format!(
            "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      \"{}\": 1\n",
            HOSTILE_KEY.replace('\u{1b}', "\\e").replace('\u{7}', "\\a").replace('\r', "\\r")
        ),
    );
    write(&dir.path().join("Dockerfile"), "FROM alpine:3.20\n");
    for format in ["full", "concise"] {
        for color in ["never", "always"] {
            let (_, out, err) =
                skafix(dir.path(), &["check", "--format", format, "--color", color]);
            let raw_controls = |text: &str| {
                text.chars()
                    .filter(|c| c.is_control() && *c != '\n')
                    // Our own colour sequences start with ESC `[` and end with `m`.
                    .count()
            };
            assert!(out.contains("SCHEMA002"), "{out}");
            assert!(
                out.contains("evil\\x1b[2J\\x1b]52;c;aGk=\\x07\\rkey"),
                "{format}: {out}"
            );
            if color == "never" {
                assert_eq!(raw_controls(&out), 0, "{format}: {out:?}");
            } else {
                assert!(!out.contains("\u{1b}]52"), "{format}: {out:?}");
                assert!(
                    !out.contains('\u{7}') && !out.contains('\r'),
                    "{format}: {out:?}"
                );
            }
            assert_eq!(raw_controls(&err), 0, "{err:?}");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_newline_in_a_directory_name_cannot_forge_a_concise_line() {
    let dir = tempfile::tempdir().unwrap();
    let evil = dir
        .path()
        .join("svc\nskaffold.yaml:1:1: SCHEMA001 forged \u{1b}]0;title\u{7}");
    write(
        &evil.join("skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      unknownKey: 1\n",
    );
    write(&evil.join("Dockerfile"), "FROM alpine:3.20\n");
    let (code, out, _) = skafix(dir.path(), &["check", "--format", "concise", "-q"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("svc\\nskaffold.yaml:1:1: SCHEMA001 forged \\x1b]0;title\\x07/skaffold.yaml:6:7: error: SCHEMA002"), "{out}");
    // JSON stays valid and keeps the real name.
    let (_, json, _) = skafix(dir.path(), &["check", "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(parsed.to_string().contains("svc\\nskaffold.yaml"), "{json}");
}

#[test]
fn control_characters_in_a_dockerfile_line_are_escaped_in_the_snippet() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("skaffold.yaml"),
        &config_with_dockerfile("Dockerfile"),
    );
    write(
        &dir.path().join("Dockerfile"),
        "FROM alpine:3.20\nEVIL\u{1b}]52;c;aGk=\u{7}\r x\n",
    );
    let (code, out, _) = skafix(
        dir.path(),
        &["check", "--format", "full", "--color", "never"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(" 2 │ EVIL\\x1b]52;c;aGk=\\x07\\r x\n"),
        "{out}"
    );
    assert!(
        out.contains("unknown instruction 'EVIL\\x1b]52;c;aGk=\\x07'"),
        "{out}"
    );
    assert!(!out.chars().any(|c| c.is_control() && c != '\n'), "{out:?}");
}
