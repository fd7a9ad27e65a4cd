//! The install paths other than cargo, checked for real: the wheel maturin builds installs
//! into a fresh venv and its `skafix` runs; the GitHub Action and the workflows pass actionlint
//! (which also checks the `with:` of `uses: ./` against action.yml, and the `run:` scripts of
//! the workflows with shellcheck), and the action's own scripts pass shellcheck.

#[path = "support/python_tools.rs"]
mod python_tools;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn ok(output: Output) -> String {
    assert!(output.status.success(), "{}", text(&output));
    text(&output)
}

#[test]
fn wheel_installs_into_a_fresh_venv_and_runs() {
    let house = python_tools::wheelhouse();
    let wheel = python_tools::skafix_wheel(&house).unwrap();
    let name = wheel.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with(&format!("skafix-{}-py3-none-", env!("CARGO_PKG_VERSION"))),
        "{name}"
    );
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    ok(Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .unwrap());
    ok(Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--find-links",
        ])
        .arg(&house)
        .arg("skafix")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .output()
        .unwrap());
    let skafix = venv.join("bin/skafix");
    let version = ok(Command::new(&skafix).arg("--version").output().unwrap());
    assert_eq!(version, format!("skafix {}\n", env!("CARGO_PKG_VERSION")));
    // The installed program is the whole skafix: it finds the demo's problems.
    let check = Command::new(&skafix)
        .args(["check", "--format", "concise", "-q"])
        .arg(root().join("fixtures/SCHEMA006/fail"))
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    assert!(text(&check).contains("SCHEMA006"), "{}", text(&check));
}

/// A git repository (actionlint finds local actions from the repository root) holding
/// action.yml and the workflows, plus `extra` workflows.
fn actions_repo(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).unwrap();
    std::fs::copy(root().join("action.yml"), dir.path().join("action.yml")).unwrap();
    for entry in std::fs::read_dir(root().join(".github/workflows")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, workflows.join(path.file_name().unwrap())).unwrap();
    }
    for (name, content) in extra {
        std::fs::write(workflows.join(name), content).unwrap();
    }
    ok(Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .output()
        .unwrap());
    dir
}

fn actionlint(dir: &Path) -> Output {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    Command::new(python_tools::tool("actionlint"))
        .arg("-no-color")
        .args(&files)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn action_and_workflows_pass_actionlint() {
    let names: Vec<String> = std::fs::read_dir(root().join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"release.yml".to_string()), "{names:?}");
    let dogfood = std::fs::read_to_string(root().join(".github/workflows/skafix.yml")).unwrap();
    assert!(dogfood.contains("uses: ./\n"), "{dogfood}");
    let dir = actions_repo(&[]);
    let output = actionlint(dir.path());
    assert!(output.status.success(), "{}", text(&output));
}

#[test]
fn actionlint_checks_the_inputs_given_to_the_action() {
    let misspelt = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with:\n          instal: \"false\"\n";
    let dir = actions_repo(&[("misspelt.yml", misspelt)]);
    let output = actionlint(dir.path());
    assert!(!output.status.success());
    assert!(
        text(&output).contains("input \"instal\" is not defined in action \"skafix\""),
        "{}",
        text(&output)
    );
}

/// The `run:` scripts of action.yml (actionlint checks only workflows' scripts): each passes
/// shellcheck as bash and reads inputs from the environment, never from a `${{ }}` expanded
/// into the script (script injection).
#[test]
fn action_scripts_pass_shellcheck() {
    let action = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let docs = skafix::yaml::parse(&action).unwrap();
    let steps = docs[0]
        .root_ref()
        .unwrap()
        .path(&["runs", "steps"])
        .unwrap();
    let mut scripts = 0;
    for step in steps.items() {
        let Some(run) = step.get("run").and_then(|r| r.as_str()) else {
            continue;
        };
        assert_eq!(step.get("shell").and_then(|s| s.as_str()), Some("bash"));
        assert!(!run.contains("${{"), "expression in a script: {run}");
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("step.sh");
        std::fs::write(&script, run).unwrap();
        let output = Command::new("shellcheck")
            .args(["--shell=bash", "--severity=style"])
            .arg(&script)
            .output()
            .expect("shellcheck (scripts/test.sh installs it)");
        assert!(output.status.success(), "{run}\n{}", text(&output));
        scripts += 1;
    }
    assert!(scripts >= 4, "{scripts} scripts");
}
