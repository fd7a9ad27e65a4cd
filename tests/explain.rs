//! `explain` answers, on fixture projects: which artifact watches a file, which sync rule maps
//! it and where, or why its change rebuilds; and the CLI's text and JSON output.

use skafix::explain::{explain, Answer, Outcome};
use skafix::project::CheckOptions;
use std::path::{Path, PathBuf};

fn answers(project: &str, files: &[&str]) -> Vec<Answer> {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let options = CheckOptions {
        paths: vec![PathBuf::from(project)],
        ..Default::default()
    };
    let files: Vec<PathBuf> = files.iter().map(|f| Path::new(project).join(f)).collect();
    explain(&options, &files).unwrap()
}

#[test]
fn a_file_matched_by_a_manual_rule_is_synced_to_its_container_path() {
    let found = answers("fixtures/demo", &["api/app.py"]);
    let base = &found[0];
    assert_eq!(base.profile, None);
    assert_eq!(base.artifact, "crucible-platform/api-service");
    assert_eq!(base.outcome, Outcome::Synced);
    assert_eq!(base.container_path.as_deref(), Some("/app/app.py"));
    assert_eq!(
        base.sync_rule.as_deref(),
        Some("fixtures/demo/skaffold.yaml:13 api/**/*.py")
    );
    assert_eq!(
        base.copied_by,
        ["fixtures/demo/api/Dockerfile:12 COPY api/ /app/"]
    );
}

#[test]
fn a_watched_file_no_rule_matches_rebuilds_and_the_dockerfile_always_does() {
    let found = answers("fixtures/demo", &["api/requirements.txt", "api/Dockerfile"]);
    assert_eq!(found[0].outcome, Outcome::Rebuild);
    assert!(
        found[0]
            .reason
            .starts_with("no manual sync rule matches `api/requirements.txt`"),
        "{}",
        found[0].reason
    );
    let dockerfile = found
        .iter()
        .find(|a| a.file.ends_with("Dockerfile"))
        .unwrap();
    assert_eq!(dockerfile.outcome, Outcome::Rebuild);
}

#[test]
fn infer_on_a_file_copied_by_an_earlier_stage_rebuilds() {
    let found = answers("fixtures/SYNC008/infer-maps-nothing", &["app/main.py"]);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].outcome, Outcome::Rebuild);
    assert!(found[0]
        .reason
        .contains("infer maps only the COPY/ADD of the Dockerfile's last stage"));
}

#[test]
fn ignored_and_uncopied_files_are_not_watched() {
    let found = answers(
        "fixtures/CACHE004/infer-excluded",
        &["templates/index.html"],
    );
    assert_eq!(found[0].outcome, Outcome::NotWatched);
    assert_eq!(
        found[0].ignored_by.as_deref(),
        Some("fixtures/CACHE004/infer-excluded/.dockerignore:2 **/*.html")
    );
    let found = answers("fixtures/SYNC003/fail", &["static/index.html"]);
    assert_eq!(found[0].outcome, Outcome::NotWatched);
    assert!(found[0].reason.starts_with("no COPY/ADD"));
}

#[test]
fn infer_maps_a_last_stage_copy_to_its_destination() {
    let found = answers("fixtures/CACHE004/infer-excluded", &["app.py"]);
    assert_eq!(found[0].outcome, Outcome::Synced);
    assert_eq!(found[0].container_path.as_deref(), Some("/app/app.py"));
}

#[test]
fn cli_prints_text_and_json() {
    let out = assert_cmd::Command::cargo_bin("skafix")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "explain",
            "--project",
            "fixtures/SYNC003/fail",
            "fixtures/SYNC003/fail/static/index.html",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "fixtures/SYNC003/fail/static/index.html\n  artifact `web` (fixtures/SYNC003/fail/skaffold.yaml): not watched\n    why         no COPY/ADD of the Dockerfile copies the file: Skaffold does not watch it, so a change neither syncs nor rebuilds\n"
    );
    let out = assert_cmd::Command::cargo_bin("skafix")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "explain",
            "--project",
            "fixtures/demo",
            "--format",
            "json",
            "fixtures/demo/api/app.py",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["outcome"], "synced");
    assert_eq!(json[0]["container_path"], "/app/app.py");
    let missing = assert_cmd::Command::cargo_bin("skafix")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["explain", "no/such/file.py"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
}
