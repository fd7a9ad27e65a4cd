//! Rendering with the real tools: checks every project under `fixtures/render/` with kustomize
//! and Helm rendering on and compares each finding (code, span, profile, message, fix) with
//! the project's `rendered.txt`. The tools come from `tests/support/setup-render-tools.sh`
//! (run by `scripts/test.sh`); without them these tests fail and say so, never pass quietly.
//! Set `SKAFIX_UPDATE_EXPECTED=1` to rewrite the files after reviewing changes. Fixes of
//! rendered findings are applied to copies of the projects, and their exact bytes and the
//! re-rendered check are asserted.

use skafix::engine::{check, CheckOptions};
use skafix::render::RenderOptions;
use std::path::{Path, PathBuf};

fn tools_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/render-tools/bin");
    for tool in ["helm", "kubectl"] {
        assert!(
            dir.join(tool).is_file(),
            "RENDER TOOLS MISSING: {} not found; run tests/support/setup-render-tools.sh (scripts/test.sh does) before these tests",
            dir.join(tool).display()
        );
    }
    dir
}

fn options(dir: &Path, search_path: PathBuf) -> CheckOptions {
    CheckOptions {
        paths: vec![dir.to_path_buf()],
        render: RenderOptions {
            enabled: true,
            search_path: Some(search_path.into_os_string()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn render(dir: &Path, options: &CheckOptions) -> String {
    let outcome = check(options).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut lines = Vec::new();
    for d in &outcome.diagnostics {
        let source = &outcome.sources[&d.path];
        let start = source.line_col(d.span.start);
        let end = source.line_col(d.span.end);
        let rel = d.path.strip_prefix(dir).unwrap_or(&d.path);
        let mut line = format!(
            "{}:{}:{}-{}:{} {} {}",
            rel.display(),
            start.line,
            start.column,
            end.line,
            end.column,
            d.code,
            d.severity.as_str()
        );
        if let Some(p) = &d.profile {
            line.push_str(&format!(" [profile {p}]"));
        }
        line.push_str(&format!(" {}", d.message));
        for r in &d.related {
            let at = outcome.sources[&r.path].line_col(r.span.start);
            let rel = r.path.strip_prefix(dir).unwrap_or(&r.path);
            line.push_str(&format!(
                "\n    related {}:{}:{} {}",
                rel.display(),
                at.line,
                at.column,
                r.message
            ));
        }
        if let Some(help) = &d.help {
            line.push_str(&format!("\n    help: {help}"));
        }
        if let Some(fix) = &d.fix {
            line.push_str(&format!(
                "\n    fix ({:?}): {}",
                fix.applicability, fix.message
            ));
            for e in &fix.edits {
                let at = outcome.sources[&e.path].line_col(e.start);
                let rel = e.path.strip_prefix(dir).unwrap_or(&e.path);
                line.push_str(&format!(
                    "\n    edit {}:{}:{} {:?}",
                    rel.display(),
                    at.line,
                    at.column,
                    e.content
                ));
            }
        }
        lines.push(line);
    }
    lines.join("\n") + "\n"
}

#[test]
fn rendered_projects_report_exactly_the_expected_diagnostics() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let tools = tools_dir();
    let update = std::env::var_os("SKAFIX_UPDATE_EXPECTED").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir("fixtures/render")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("skaffold.yaml").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 6, "render cases found: {}", cases.len());
    let mut failures = Vec::new();
    for dir in cases {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let search = if name.starts_with("missing-tool") {
            dir.join("no-tools-here")
        } else {
            tools.clone()
        };
        let actual = render(&dir, &options(&dir, search));
        // Nothing of this machine's layout may reach a message.
        let here = std::fs::canonicalize(".").unwrap();
        assert!(
            !actual.contains(&*here.to_string_lossy()) && !actual.contains("skafix-render-"),
            "{name}: an absolute or temporary path leaked:\n{actual}"
        );
        let expected_path = dir.join("rendered.txt");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual != expected {
            if update {
                std::fs::write(&expected_path, &actual).unwrap();
            } else {
                failures.push(format!(
                    "== {}\n-- expected\n{expected}\n-- actual\n{actual}",
                    dir.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rendering_off_starts_no_tool_and_says_so() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let dir = Path::new("fixtures/render/kustomize-overlay");
    let mut options = options(dir, tools_dir());
    options.render.enabled = false;
    let outcome = check(&options).unwrap();
    let codes: Vec<&str> = outcome.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["SCHEMA009"], "{:#?}", outcome.diagnostics);
    assert!(outcome.diagnostics[0]
        .message
        .contains("rendering is turned off"));
}

#[test]
fn a_tool_that_hangs_is_stopped_at_the_time_bound() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let bin = std::env::temp_dir().join(format!("skafix-render-test-{}", std::process::id()));
    std::fs::create_dir_all(&bin).unwrap();
    let fake = bin.join("kubectl");
    std::fs::write(&fake, "#!/bin/sh\nexec /bin/sleep 30\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let dir = Path::new("fixtures/render/kustomize-overlay");
    let mut options = options(dir, bin.clone());
    options.render.timeout = std::time::Duration::from_secs(1);
    let started = std::time::Instant::now();
    let outcome = check(&options).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let _ = std::fs::remove_dir_all(&bin);
    let messages: Vec<&str> = outcome
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(
        messages,
        ["`kustomize` manifests here are not analysed: `kubectl kustomize k8s/overlays/dev` failed: it did not finish within 1 seconds and was stopped; checks that need the deployed containers are skipped for them"]
    );
}

#[test]
fn the_cli_renders_unless_told_not_to() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let tools = tools_dir();
    let path = std::env::join_paths([tools]).unwrap();
    let run = |extra: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("skafix")
            .unwrap()
            .env("PATH", &path)
            .args([
                "check",
                "fixtures/render/kustomize-overlay",
                "--format",
                "concise",
            ])
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let (code, rendered) = run(&[]);
    assert_eq!(code, Some(1), "{rendered}");
    assert!(
        rendered.contains("run.yaml:14:37: error: SYNC012"),
        "{rendered}"
    );
    let (code, plain) = run(&["--no-render"]);
    assert_eq!(code, Some(0), "{plain}");
    assert!(
        plain.contains("SCHEMA009 `kustomize` manifests are not analysed: rendering is turned off"),
        "{plain}"
    );
    assert!(!plain.contains("SYNC012"), "{plain}");
}

#[test]
fn environment_values_render_as_placeholders() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    // Only this test reads this variable.
    std::env::set_var("CI_SECRET_TOKEN", "s3cret-value");
    let dir = Path::new("fixtures/render/helm-values");
    let outcome = check(&options(dir, tools_dir())).unwrap();
    let rendered: Vec<&str> = outcome
        .sources
        .values()
        .map(|s| &*s.text)
        .filter(|t| t.contains("# Source: web/templates/deployment.yaml"))
        .collect();
    assert_eq!(rendered.len(), 1);
    assert!(
        rendered[0].contains("build: \"$CI_SECRET_TOKEN\""),
        "{}",
        rendered[0]
    );
    assert!(
        rendered[0].contains("image: \"web-app:skafix-stand-in\""),
        "{}",
        rendered[0]
    );
    assert!(outcome
        .sources
        .values()
        .all(|s| !s.text.contains("s3cret-value")));
}

#[test]
fn a_project_checked_from_its_own_directory_renders_and_diffs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = std::env::join_paths([tools_dir()]).unwrap();
    let run = |dir: &str, args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("skafix")
            .unwrap()
            .current_dir(root.join(dir))
            .env("PATH", &path)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let checked = run(
        "fixtures/render/helm-values",
        &["check", "--format", "concise"],
    );
    assert!(
        checked.contains("values-dev.yaml:2:5: warning: RELOAD001"),
        "{checked}"
    );
    // `fix --diff` renders from the same files and shows the edit in the overlay's patch; the
    // SYNC009 there comes from the pod's `runAsUser`, which no Dockerfile edit of skafix's can
    // give `/app`, so nothing is offered for it.
    let diff = run(
        "fixtures/render/kustomize-overlay",
        &["fix", "--diff", "--unsafe-fixes"],
    );
    assert_eq!(
        diff,
        "--- a/k8s/overlays/dev/run.yaml\n+++ b/k8s/overlays/dev/run.yaml\n@@ -9,6 +9,6 @@\n         runAsUser: 1000\n       containers:\n         - name: app\n-          command: [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\"]\n+          command: [\"uvicorn\", \"--reload\", \"main:app\", \"--host\", \"0.0.0.0\"]\n           securityContext:\n             readOnlyRootFilesystem: true\n"
    );
}

/// A copy of a fixture project in a fresh temporary directory (outside any git work tree, so
/// the copy is its own checked root).
fn copy_fixture(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap().flatten() {
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let temp = tempfile::tempdir().unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/render")
            .join(name),
        temp.path(),
    );
    temp
}

/// Runs the CLI in `dir` with the render tools on PATH: exit code, standard output and then
/// standard error.
fn skafix_in(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let path = std::env::join_paths([tools_dir()]).unwrap();
    let out = assert_cmd::Command::cargo_bin("skafix")
        .unwrap()
        .current_dir(dir)
        .env("PATH", &path)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_fix_in_rendered_output_edits_the_values_file_and_renders_clean() {
    let project = copy_fixture("helm-values");
    let dir = project.path();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("skafix"))
        .current_dir(dir)
        .env("PATH", std::env::join_paths([tools_dir()]).unwrap())
        .args(["fix", "--unsafe-fixes"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{text}"); // SYNC009 remains
    assert!(text.contains("Fixed 1 finding"), "{text}");
    // The private copies the proof rendered from are gone once the run ends.
    assert_eq!(leftover_render_dirs(pid), Vec::<PathBuf>::new());
    assert_eq!(
        std::fs::read_to_string(dir.join("values-dev.yaml")).unwrap(),
        "args:\n  - gunicorn\n  - --reload\n  - main:app\n  - --bind=0.0.0.0:8000\npodSecurity:\n  runAsUser: 1000\n"
    );
    // Rendering the fixed project again: the finding is gone, nothing else changed.
    let (_, checked) = skafix_in(dir, &["check", "--format", "concise"]);
    assert!(!checked.contains("RELOAD001"), "{checked}");
    assert!(checked.contains("SYNC009"), "{checked}");
    // The chart and the config are untouched, and no temporary copy is left in the project.
    for file in [
        "chart/templates/deployment.yaml",
        "chart/values.yaml",
        "skaffold.yaml",
    ] {
        assert_eq!(
            std::fs::read(dir.join(file)).unwrap(),
            std::fs::read(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("fixtures/render/helm-values")
                    .join(file)
            )
            .unwrap(),
            "{file}"
        );
    }
    let (_, again) = skafix_in(dir, &["fix", "--unsafe-fixes", "--diff"]);
    assert!(!again.contains("---"), "{again}");
}

#[test]
fn a_fix_in_a_kustomize_patch_keeps_the_patch_style() {
    let project = copy_fixture("kustomize-overlay");
    let dir = project.path();
    let (_, out) = skafix_in(dir, &["fix", "--unsafe-fixes"]);
    assert!(out.contains("Fixed 1 finding"), "{out}");
    let patched = std::fs::read_to_string(dir.join("k8s/overlays/dev/run.yaml")).unwrap();
    assert!(
        patched.contains(
            "          command: [\"uvicorn\", \"--reload\", \"main:app\", \"--host\", \"0.0.0.0\"]\n"
        ),
        "{patched}"
    );
    let (_, checked) = skafix_in(dir, &["check", "--format", "concise"]);
    assert!(!checked.contains("RELOAD001"), "{checked}");
}

#[test]
fn set_value_templates_see_the_images_of_required_configs() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let dir = Path::new("fixtures/render/helm-requires");
    let outcome = check(&options(dir, tools_dir())).unwrap();
    let rendered: Vec<&str> = outcome
        .sources
        .values()
        .map(|s| &*s.text)
        .filter(|t| t.contains("# Source: shop/templates/deployment.yaml"))
        .collect();
    assert_eq!(rendered.len(), 1);
    // The worker artifact is built by the required config; Skaffold's values cover it too.
    assert!(
        rendered[0].contains("image: \"worker:skafix-stand-in\""),
        "{}",
        rendered[0]
    );
    assert!(
        rendered[0].contains("image: \"web:skafix-stand-in\""),
        "{}",
        rendered[0]
    );
}

/// The temporary directories of process `pid`'s render runs still on disk.
fn leftover_render_dirs(pid: u32) -> Vec<PathBuf> {
    let prefix = format!("skafix-render-{pid}-");
    std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
        .map(|e| e.path())
        .collect()
}

#[test]
fn held_texts_render_from_a_private_copy_that_is_removed() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let dir = Path::new("fixtures/render/helm-values");
    let values = dir.join("values-dev.yaml");
    let on_disk = std::fs::read_to_string(&values).unwrap();
    let codes = |overlay_text: &str| {
        let mut options = options(dir, tools_dir());
        let mut overlay = skafix::project::Overlay::default();
        overlay.set(&values, overlay_text.to_string());
        options.overlay = overlay;
        let outcome = check(&options).unwrap();
        let mut codes: Vec<&str> = outcome.diagnostics.iter().map(|d| d.code).collect();
        codes.dedup();
        (codes, outcome)
    };
    // The edit `fix` holds in memory reaches the render: the finding is gone.
    let fixed = on_disk.replace("  - gunicorn\n", "  - gunicorn\n  - --reload\n");
    let (found, outcome) = codes(&fixed);
    assert_eq!(found, ["SYNC009"], "{:#?}", outcome.diagnostics);
    // Nothing of the copy reaches the output or the project.
    assert!(outcome
        .sources
        .values()
        .all(|s| !s.text.contains("skafix-render-")));
    assert_eq!(std::fs::read_to_string(&values).unwrap(), on_disk);
    // A held text the tool cannot render: the project's own files are rendered, so the
    // finding a fix meant to cure stays and the fix is not kept.
    let (found, outcome) = codes("args: [gunicorn\n");
    assert_eq!(
        found,
        ["SYNC009", "RELOAD001"],
        "{:#?}",
        outcome.diagnostics
    );
}

#[test]
fn a_profile_only_fix_never_edits_a_base_the_production_pipeline_renders() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "Dockerfile",
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"uvicorn\", \"main:app\", \"--reload\"]\n",
    );
    write(
        "main.py",
        "async def app(scope, receive, send):\n    pass\n",
    );
    // Sync, and with it RELOAD001, exists only in profile `dev`; both pipelines render the
    // same base, so the fix must not be moved into it.
    write(
        "skaffold.yaml",
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\nmanifests:\n  kustomize:\n    paths:\n      - k8s\nprofiles:\n  - name: dev\n    patches:\n      - op: add\n        path: /build/artifacts/0/sync\n        value:\n          manual:\n            - src: \"*.py\"\n              dest: .\n",
    );
    write(
        "k8s/kustomization.yaml",
        "resources:\n  - deployment.yaml\n",
    );
    write(
        "k8s/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels:\n      app: app\n  template:\n    metadata:\n      labels:\n        app: app\n    spec:\n      containers:\n        - name: app\n          image: app\n          args:\n            - uvicorn\n            - main:app\n",
    );
    let outcome = check(&options(dir, tools_dir())).unwrap();
    let found: Vec<_> = outcome
        .diagnostics
        .iter()
        .map(|d| {
            let fix = d.fix.as_ref().unwrap();
            (
                d.code,
                d.profile.clone(),
                fix.applicability,
                fix.edits.len(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            "RELOAD001",
            Some("dev".to_string()),
            skafix::diagnostic::Applicability::DisplayOnly,
            1
        )],
        "{:#?}",
        outcome.diagnostics
    );
    assert!(outcome.diagnostics[0]
        .fix
        .as_ref()
        .unwrap()
        .message
        .contains("it would change the production pipeline too"));
    let (_, diff) = skafix_in(dir, &["fix", "--diff", "--unsafe-fixes"]);
    assert!(!diff.contains("---"), "{diff}");
}
