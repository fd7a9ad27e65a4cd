//! The fixes that must name only users that exist, make the sync destination directory itself
//! writable, build Python packages with the runtime's Python, leave production alone for a
//! profile-only finding, and not bump the apiVersion without `--unsafe-fixes`: byte-exact
//! results of `fix` on small projects. (`tests/engine.rs` builds such results with a real
//! BuildKit and syncs into them.)

use skafix::fix::{self, FixOptions};
use skafix::project::CheckOptions;
use std::path::Path;

const SYNCED: &str = "\
apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: api
      sync:
        manual:
          - src: \"app/**/*.py\"
            dest: DEST
            strip: \"app/\"
";

fn project(skaffold: &str, dockerfile: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("skaffold.yaml"), skaffold).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
    std::fs::create_dir_all(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("app/main.py"), "app = None\n").unwrap();
    dir
}

fn fixed(dir: &Path, unsafe_fixes: bool) -> (String, String) {
    fix::run(&FixOptions {
        check: CheckOptions {
            paths: vec![dir.to_path_buf()],
            ..Default::default()
        },
        unsafe_fixes,
        diff_only: false,
    })
    .unwrap();
    (
        std::fs::read_to_string(dir.join("Dockerfile")).unwrap(),
        std::fs::read_to_string(dir.join("skaffold.yaml")).unwrap(),
    )
}

fn remaining(dir: &Path) -> Vec<&'static str> {
    skafix::engine::check(&CheckOptions {
        paths: vec![dir.to_path_buf()],
        ..Default::default()
    })
    .unwrap()
    .diagnostics
    .iter()
    .map(|d| d.code)
    .collect()
}

#[test]
fn user_moves_above_the_workdir_that_creates_the_destination() {
    let dir = project(
        &SYNCED.replace("DEST", "/app"),
        "FROM python:3.12-slim\nRUN useradd --create-home app\nWORKDIR /app\nCOPY app/ /app/\nUSER app\n",
    );
    assert_eq!(
        fixed(dir.path(), true).0,
        "FROM python:3.12-slim\nRUN useradd --create-home app\nUSER app\nWORKDIR /app\nCOPY app/ /app/\n"
    );
    assert!(!remaining(dir.path()).contains(&"SYNC009"));
}

#[test]
fn chown_names_a_user_only_after_it_is_created() {
    let dir = project(
        &SYNCED.replace("DEST", "/app"),
        "FROM python:3.12-slim\nCOPY app/ /app/\nRUN useradd --create-home app\nUSER app\n",
    );
    assert_eq!(
        fixed(dir.path(), true).0,
        "FROM python:3.12-slim\nRUN useradd --create-home app\nCOPY --chown=app app/ /app/\nUSER app\n"
    );
    assert!(!remaining(dir.path()).contains(&"SYNC009"));
}

#[test]
fn existing_directory_gets_its_own_chown() {
    // /srv exists in the base image: neither WORKDIR nor COPY --chown changes its owner.
    let dir = project(
        &SYNCED.replace("DEST", "/srv"),
        "FROM python:3.12-slim\nRUN useradd --create-home app\nWORKDIR /srv\nCOPY --chown=app app/ ./\nUSER app\n",
    );
    assert_eq!(
        fixed(dir.path(), true).0,
        "FROM python:3.12-slim\nRUN useradd --create-home app\nWORKDIR /srv\nCOPY --chown=app app/ ./\nRUN chown app /srv\nUSER app\n"
    );
    assert!(!remaining(dir.path()).contains(&"SYNC009"));
}

#[test]
fn a_run_between_keeps_user_in_place() {
    let dir = project(
        &SYNCED.replace("DEST", "/app"),
        "FROM python:3.12-slim\nWORKDIR /app\nRUN useradd --create-home app\nCOPY --chown=app app/ /app/\nUSER app\n",
    );
    assert_eq!(
        fixed(dir.path(), true).0,
        "FROM python:3.12-slim\nWORKDIR /app\nRUN useradd --create-home app\nCOPY --chown=app app/ /app/\nRUN chown app /app\nUSER app\n"
    );
}

#[test]
fn unknown_user_is_not_named() {
    // `web` is created nowhere skafix can see: no fix names it.
    let dir = project(
        &SYNCED.replace("DEST", "/app"),
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY app/ /app/\nUSER web\n",
    );
    let before = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert_eq!(fixed(dir.path(), true).0, before);
    assert!(remaining(dir.path()).contains(&"SYNC009"));
}

#[test]
fn profile_only_finding_leaves_the_production_dockerfile_alone() {
    let skaffold = "\
apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: api
profiles:
  - name: dev
    build:
      artifacts:
        - image: api
          sync:
            manual:
              - src: \"app/**/*.py\"
                dest: /app
                strip: \"app/\"
";
    let dockerfile =
        "FROM python:3.12-slim\nRUN useradd --create-home app\nWORKDIR /app\nCOPY app/ /app/\nUSER app\n";
    let dir = project(skaffold, dockerfile);
    assert_eq!(fixed(dir.path(), true).0, dockerfile);
}

#[test]
fn site_packages_are_built_by_the_runtime_python() {
    let dir = project(
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: api\n",
        "FROM python:3.11-slim AS builder\nRUN pip install fastapi\n\nFROM python:3.12-slim\nCOPY --from=builder /usr/local/lib/python3.11/site-packages /usr/local/lib/python3.11/site-packages\n",
    );
    assert_eq!(
        fixed(dir.path(), true).0,
        "FROM python:3.12-slim AS builder\nRUN pip install fastapi\n\nFROM python:3.12-slim\nCOPY --from=builder /usr/local/lib/python3.12/site-packages /usr/local/lib/python3.12/site-packages\n"
    );
    assert!(!remaining(dir.path()).contains(&"DF002"));
}

#[test]
fn builder_naming_its_version_elsewhere_gets_no_text_fix() {
    let dockerfile = "FROM python:3.11-slim AS builder\nRUN pip install --target /usr/local/lib/python3.11/site-packages fastapi\n\nFROM python:3.12-slim\nCOPY --from=builder /usr/local/lib/python3.11/site-packages /usr/local/lib/python3.11/site-packages\n";
    let dir = project(
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: api\n",
        dockerfile,
    );
    assert_eq!(fixed(dir.path(), true).0, dockerfile);
}

#[test]
fn api_version_bump_needs_unsafe_fixes() {
    let skaffold =
        "apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n    - image: api\n";
    let dir = project(skaffold, "FROM python:3.12-slim\n");
    assert_eq!(fixed(dir.path(), false).1, skaffold);
    assert_eq!(
        fixed(dir.path(), true).1,
        skaffold.replace("v4beta11", "v4beta14")
    );
}

#[test]
fn profile_only_finding_is_fixed_in_the_profiles_own_stage() {
    let skaffold = "\
apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: api
profiles:
  - name: dev
    build:
      artifacts:
        - image: api
          docker:
            target: dev
          sync:
            manual:
              - src: \"app/**/*.py\"
                dest: /app
                strip: \"app/\"
";
    let dockerfile = "\
FROM python:3.12-slim AS dev
RUN useradd --create-home app
WORKDIR /app
COPY app/ /app/
USER app

FROM python:3.12-slim AS prod
RUN useradd --create-home app
WORKDIR /app
COPY app/ /app/
USER app
";
    let dir = project(skaffold, dockerfile);
    assert_eq!(
        fixed(dir.path(), true).0,
        dockerfile.replacen(
            "WORKDIR /app\nCOPY app/ /app/\nUSER app\n",
            "USER app\nWORKDIR /app\nCOPY app/ /app/\n",
            1
        )
    );
}
