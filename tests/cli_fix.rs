//! `skafix fix` through the command line: the diff mode writes nothing, fixing writes and
//! converges, and the config's `unfixable` and the exit-code flags are honoured.

mod common;

use assert_cmd::Command;
use common::copy_tree;
use std::path::Path;

const SUPPRESSED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/cli/suppressed");

/// A copy of the `suppressed` fixture, whose unused suppression (SUP001) has a safe fix.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in ["skaffold.yaml", "Dockerfile"] {
        std::fs::copy(Path::new(SUPPRESSED).join(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn skafix(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("skafix").unwrap();
    cmd.current_dir(dir).env_remove("GITHUB_ACTIONS");
    cmd
}

fn read(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("skaffold.yaml")).unwrap()
}

#[test]
fn diff_shows_the_change_and_writes_nothing() {
    let dir = project();
    let before = read(dir.path());
    let output = skafix(dir.path()).args(["fix", "--diff"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "a pending fix exits 1");
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "--- a/skaffold.yaml\n+++ b/skaffold.yaml\n@@ -4,5 +4,5 @@\n   artifacts:\n     - image: app\n       image: app2 # skafix: ignore[SCHEMA006] kept for the demo\n-      docker: # skafix: ignore[SCHEMA007]\n+      docker:\n         dockerfile: Dockerfile\n"
    );
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "would fix skaffold.yaml:7 SUP001 remove the suppression comment\nWould fix 1 finding in 1 file.\n"
    );
    assert_eq!(read(dir.path()), before);
}

#[test]
fn fix_writes_and_a_second_run_changes_nothing() {
    let dir = project();
    let before = read(dir.path());
    let output = skafix(dir.path())
        .args(["fix", "--format", "concise"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "No problems found in 2 files.\n"
    );
    let after = read(dir.path());
    assert_eq!(
        after,
        before.replace("docker: # skafix: ignore[SCHEMA007]", "docker:")
    );
    let again = skafix(dir.path())
        .args(["fix", "--exit-non-zero-on-fix", "-q"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(0), "nothing left to fix");
    assert_eq!(read(dir.path()), after);
}

#[test]
fn exit_non_zero_on_fix_reports_a_fix() {
    let dir = project();
    skafix(dir.path())
        .args(["fix", "--exit-non-zero-on-fix", "-q"])
        .assert()
        .code(1);
    assert!(!read(dir.path()).contains("SCHEMA007"));
}

#[test]
fn unfixable_codes_are_left_alone() {
    let dir = project();
    std::fs::write(dir.path().join("skafix.toml"), "unfixable = [\"SUP\"]\n").unwrap();
    let before = read(dir.path());
    let output = skafix(dir.path())
        .args(["fix", "--format", "concise", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        "skaffold.yaml:7:32: warning: SUP001 unused suppression: no `SCHEMA007` finding on the line it applies to\n"
    );
    assert_eq!(read(dir.path()), before);
}

/// The safe exec-form fix of the demo's CMD would make uvicorn PID 1, which the dev profile's
/// `kill 1` hook then stops (HOOK002, an error, where HOOK001 was a warning): the proof
/// refuses it, and says so; the other safe fix is applied.
#[test]
fn a_safe_fix_that_would_make_another_finding_worse_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"),
        dir.path(),
    );
    let dockerfile = std::fs::read_to_string(dir.path().join("api/Dockerfile")).unwrap();
    let output = skafix(dir.path()).args(["fix"]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [
            "fixed skaffold.yaml:34 CACHE001 replace `{{.TIMESTAMP}}` with `{{ now | unixEpoch }}`",
            "skafix: warning: api/Dockerfile: fix not applied (use the exec form `[\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8000\"]`): the fix introduced a new error in skaffold.yaml (HOOK002: `kill 1` sends SIGTERM to PID 1 (`uvicorn`), which exits on it: the kubelet restarts the container from the image with a clean filesystem, so every file Skaffold synced is discarded, and Skaffold does not sync them again); the fixed files were restored",
            "Fixed 1 finding in 1 file.",
        ]
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("api/Dockerfile")).unwrap(),
        dockerfile
    );
}
