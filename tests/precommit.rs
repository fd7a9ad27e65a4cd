//! The pre-commit flow, run for real: a temporary git repository installs skafix's hook from
//! this repository's `.pre-commit-hooks.yaml` with the pinned `pre-commit` from PyPI; a commit
//! with a broken skaffold.yaml is refused and a good one goes through.
//!
//! The `skafix-system` hook is used, with the freshly built binary on PATH: the `language:
//! rust` hook runs `cargo install` of the whole crate in release mode, which takes far longer
//! than a test should. Both hooks share everything but `language`, which the last test checks.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "support/python_tools.rs"]
mod python_tools;

/// `SKAFIX_PRE_COMMIT`, else the venv that tests/support/setup-precommit.sh makes (run here
/// when missing; it is idempotent).
fn pre_commit() -> PathBuf {
    if let Some(path) = std::env::var_os("SKAFIX_PRE_COMMIT") {
        return PathBuf::from(path);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let exe = root.join("target/precommit-venv/bin/pre-commit");
    if !exe.exists() {
        let output = Command::new("bash")
            .arg(root.join("tests/support/setup-precommit.sh"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "setup-precommit.sh failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    exe
}

struct Sandbox {
    _dir: tempfile::TempDir,
    home: PathBuf,
    repo: PathBuf,
    path_env: std::ffi::OsString,
}

impl Sandbox {
    fn run(&self, program: &Path, args: &[&str], cwd: &Path) -> Output {
        Command::new(program)
            .args(args)
            .current_dir(cwd)
            .env("HOME", &self.home)
            .env("PRE_COMMIT_HOME", self.home.join("pre-commit-cache"))
            .env("PATH", &self.path_env)
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GITHUB_ACTIONS")
            .output()
            .unwrap()
    }

    fn git(&self, args: &[&str], cwd: &Path) -> Output {
        self.run(Path::new("git"), args, cwd)
    }
}

fn ok(output: &Output) {
    assert!(
        output.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What the hook printed: git sends a hook's standard output to its standard error.
fn combined(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn sandbox() -> Sandbox {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let hooks = dir.path().join("hooks");
    let repo = dir.path().join("project");
    for d in [&home, &hooks, &repo] {
        std::fs::create_dir_all(d).unwrap();
    }
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_skafix"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut paths = vec![bin_dir];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let sandbox = Sandbox {
        path_env: std::env::join_paths(paths).unwrap(),
        _dir: dir,
        home,
        repo,
    };
    // A hook repository holding this repository's hook manifest, committed, so the test does
    // not depend on the state of the working tree's own git history.
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml"),
        hooks.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    ok(&sandbox.git(&["init", "-q", "-b", "main"], &hooks));
    ok(&sandbox.git(&["add", "."], &hooks));
    ok(&sandbox.git(&["commit", "-q", "-m", "hooks"], &hooks));
    let rev = String::from_utf8(sandbox.git(&["rev-parse", "HEAD"], &hooks).stdout).unwrap();
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {}\n    hooks:\n      - id: skafix-system\n",
        hooks.display(),
        rev.trim()
    );
    let repo = sandbox.repo.clone();
    std::fs::write(repo.join(".pre-commit-config.yaml"), config).unwrap();
    ok(&sandbox.git(&["init", "-q", "-b", "main"], &repo));
    ok(&sandbox.run(&pre_commit(), &["install"], &repo));
    sandbox
}

const GOOD: &str = "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      docker:\n        dockerfile: Dockerfile\n";
const BROKEN: &str = "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      image: again\n      docker:\n        dockerfile: Dockerfile\n";

#[test]
fn broken_config_is_refused_and_a_good_one_passes() {
    let sandbox = sandbox();
    let repo = &sandbox.repo;
    std::fs::write(
        repo.join("Dockerfile"),
        "FROM alpine:3.20\nCMD [\"sleep\", \"1\"]\n",
    )
    .unwrap();
    std::fs::write(repo.join("skaffold.yaml"), BROKEN).unwrap();
    ok(&sandbox.git(&["add", "."], repo));
    let refused = sandbox.git(&["commit", "-q", "-m", "broken"], repo);
    assert!(!refused.status.success(), "the commit should be refused");
    let hook_output = combined(&refused);
    assert!(hook_output.contains("SCHEMA006"), "{hook_output}");
    assert!(hook_output.contains("Failed"), "{hook_output}");
    let log = sandbox.git(&["rev-parse", "--verify", "-q", "HEAD"], repo);
    assert!(!log.status.success(), "no commit was made");

    std::fs::write(repo.join("skaffold.yaml"), GOOD).unwrap();
    ok(&sandbox.git(&["add", "."], repo));
    let passed = sandbox.git(&["commit", "-q", "-m", "good"], repo);
    ok(&passed);
    let hook_output = combined(&passed);
    assert!(hook_output.contains("Passed"), "{hook_output}");
    let count = sandbox.git(&["rev-list", "--count", "HEAD"], repo);
    assert_eq!(String::from_utf8_lossy(&count.stdout).trim(), "1");
}

#[test]
fn unrelated_files_do_not_run_the_hook() {
    let sandbox = sandbox();
    let repo = &sandbox.repo;
    std::fs::write(repo.join("README.md"), "hello\n").unwrap();
    ok(&sandbox.git(&["add", "README.md"], repo));
    let output = sandbox.git(&["commit", "-q", "-m", "docs"], repo);
    ok(&output);
    let text = combined(&output);
    assert!(text.contains("(no files to check)Skipped"), "{text}");
}

#[test]
fn rust_and_system_hooks_differ_only_in_language() {
    let manifest = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    let hooks: Vec<Vec<String>> = manifest
        .split("\n- ")
        .skip(1)
        .map(|hook| {
            hook.lines()
                .map(|l| l.trim_start_matches("- ").trim().to_string())
                .filter(|l| {
                    !(l.starts_with("id:")
                        || l.starts_with("name:")
                        || l.starts_with("description:")
                        || l.starts_with("language:"))
                })
                .collect()
        })
        .collect();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0], hooks[1]);
    assert!(manifest.contains("id: skafix\n"));
    assert!(manifest.contains("language: rust\n"));
    assert!(manifest.contains("id: skafix-system\n"));
    assert!(manifest.contains("language: system\n"));
    assert!(hooks[0].contains(&"pass_filenames: false".to_string()));
}

/// The mirror repository's hook, as a user gets it: pre-commit pip-installs the mirror package,
/// which pulls the skafix wheel from the package index (here the local wheelhouse, with no
/// other index), and runs the wheel's binary: no skafix is on PATH, so the findings can only
/// come from the wheel.
#[test]
fn mirror_hook_runs_skafix_from_the_wheel() {
    let house = python_tools::wheelhouse();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let mirror = dir.path().join("mirror");
    let repo = dir.path().join("project");
    for d in [&home, &mirror, &repo] {
        std::fs::create_dir_all(d).unwrap();
    }
    let template = Path::new(env!("CARGO_MANIFEST_DIR")).join("pre-commit-mirror");
    for name in [".pre-commit-hooks.yaml", "pyproject.toml", "README.md"] {
        std::fs::copy(template.join(name), mirror.join(name)).unwrap();
    }
    let path_env: Vec<PathBuf> =
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .filter(|p| !p.join("skafix").exists())
            .collect();
    let run = |program: &Path, args: &[&str], cwd: &Path| {
        Command::new(program)
            .args(args)
            .current_dir(cwd)
            .env("HOME", &home)
            .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"))
            .env("PATH", std::env::join_paths(&path_env).unwrap())
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &house)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("VIRTUAL_ENV")
            .output()
            .unwrap()
    };
    let git = Path::new("git");
    for (args, cwd) in [
        (&["init", "-q", "-b", "main"][..], &mirror),
        (&["add", "."][..], &mirror),
        (&["commit", "-q", "-m", "mirror"][..], &mirror),
        (&["init", "-q", "-b", "main"][..], &repo),
    ] {
        ok(&run(git, args, cwd));
    }
    std::fs::write(
        repo.join("Dockerfile"),
        "FROM alpine:3.20\nCMD [\"sleep\", \"1\"]\n",
    )
    .unwrap();
    std::fs::write(repo.join("skaffold.yaml"), BROKEN).unwrap();
    ok(&run(git, &["add", "."], &repo));
    let mirror_arg = mirror.to_str().unwrap();
    let try_repo = ["try-repo", mirror_arg, "skafix", "--all-files"];
    let refused = run(&pre_commit(), &try_repo, &repo);
    let text = combined(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(text.contains("skafix"), "{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(
        text.contains("skaffold.yaml:6:7") && text.contains("SCHEMA006"),
        "{text}"
    );
    // pre-commit's try-repo installs into a store of its own that it deletes afterwards, so
    // one run: the passing case is the system hook's test (same entry, files and settings, as
    // the next test checks).
}

/// The mirror pins the skafix of this version, and its hook is the repository's own hook but
/// for the language.
#[test]
fn mirror_matches_this_version_and_hook() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let project = std::fs::read_to_string(root.join("pre-commit-mirror/pyproject.toml")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        project.contains(&format!("\nversion = \"{version}\"\n")),
        "{project}"
    );
    assert!(
        project.contains(&format!("dependencies = [\"skafix=={version}\"]")),
        "{project}"
    );
    let settings = |text: &str, id: &str| -> Vec<String> {
        let hook = text
            .split("\n- ")
            .find(|h| h.starts_with(&format!("id: {id}\n")))
            .unwrap_or_else(|| panic!("hook {id}"));
        hook.lines()
            .map(|l| l.trim().to_string())
            .filter(|l| {
                [
                    "entry:",
                    "pass_filenames:",
                    "files:",
                    "require_serial:",
                    "minimum_pre",
                ]
                .iter()
                .any(|k| l.starts_with(k))
            })
            .collect()
    };
    let ours = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).unwrap();
    let mirror =
        std::fs::read_to_string(root.join("pre-commit-mirror/.pre-commit-hooks.yaml")).unwrap();
    assert_eq!(settings(&mirror, "skafix"), settings(&ours, "skafix"));
    assert_eq!(settings(&mirror, "skafix").len(), 5);
    assert!(mirror.contains("language: python\n"));
}
