//! Engine tests: the facts skafix's Dockerfile model relies on, and what the SYNC009 (manual
//! and infer), SYNC008, HOOK001 to HOOK007 and PROC001 fixtures claim (and that the fixed
//! SYNC009, HOOK006 and PROC001 fixtures build and work), and that files synced with tar raise
//! inotify events in the container, checked against a real Docker engine with
//! BuildKit (started by `tests/support/setup-engine.sh`, which `scripts/test.sh` runs). Images
//! are built with no registry: the fixtures' bases are local stand-ins tagged with the real
//! names (see the setup script). Where no engine can run, every test says so loudly and skips.
//!
//! The engine is Docker 20.10's BuildKit. Where it differs from current BuildKit, skafix follows
//! current BuildKit and the test records the difference.

use skafix::dockerfile::owners::{dir_owner, user_exists_at, BaseDir, Owner, OwnerQuery};
use skafix::fix::{self, FixOptions};
use skafix::project::CheckOptions;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const DOCKER: &str = "/usr/bin/docker";

fn engine_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/engine")
}

/// The engine's socket, or `None` after a loud message when it is not running.
fn engine() -> Option<String> {
    let dir = engine_dir();
    let host = format!("unix://{}", dir.join("docker.sock").display());
    let up = dir.join("ready").exists()
        && Command::new(DOCKER)
            .args(["version"])
            .env("DOCKER_HOST", &host)
            .output()
            .is_ok_and(|o| o.status.success());
    if !up {
        // Written to the process's stderr directly: the test harness captures `eprintln!` of
        // passing tests, and a skip must never go unseen.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
             !!! ENGINE TESTS SKIPPED: no Docker engine at {host}\n\
             !!! run tests/support/setup-engine.sh as root (scripts/test.sh does) to run them\n\
             !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
        );
        return None;
    }
    Some(host)
}

fn docker(host: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(DOCKER)
        .args(args)
        .env("DOCKER_HOST", host)
        .env("DOCKER_BUILDKIT", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker runs");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Builds `context` as `tag`; the build's output on failure.
fn build(host: &str, context: &Path, dockerfile: &Path, tag: &str) -> Result<(), String> {
    let out = docker(
        host,
        &[
            "build",
            "-q",
            "--network=none",
            "-t",
            tag,
            "-f",
            dockerfile.to_str().unwrap(),
            context.to_str().unwrap(),
        ],
        None,
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(text(&out.stderr))
    }
}

/// Writes `files` into a new temporary directory.
fn context(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// `stat -c %u` of each path in `image`, as the model's owner (uid 1000 is `web`).
fn owners_in(host: &str, image: &str, paths: &[&str]) -> Vec<Owner> {
    let mut args = vec![
        "run",
        "--rm",
        "--network",
        "none",
        "-u",
        "0",
        "--entrypoint",
        "stat",
        image,
        "-c",
        "%u",
    ];
    args.extend(paths);
    let out = docker(host, &args, None);
    assert!(out.status.success(), "stat: {}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|uid| match uid {
            "0" => Owner::Root,
            "1000" => Owner::User("web".into()),
            other => Owner::User(other.into()),
        })
        .collect()
}

/// The model's owner of each path at the end of the last stage, with the base's directories
/// as skafix knows them for `python:3.12-slim`.
fn model_owners(dockerfile: &str, paths: &[&str]) -> Vec<Owner> {
    let df = skafix::dockerfile::parse(dockerfile).unwrap();
    let base_dir = |d: &str| skafix::image::contents::base_dir("python:3.12-slim", d);
    let below = |_: usize, _: &str| Some(true);
    let query = OwnerQuery {
        build_args: Some(&HashMap::new()),
        base_dir: &base_dir,
        base_user: Some(None),
        copies_below: &below,
    };
    paths
        .iter()
        .map(|p| dir_owner(&df, df.stages.len() - 1, p, &query).owner)
        .collect()
}

#[test]
fn directory_owners_match_the_model() {
    let Some(host) = engine() else { return };
    let dockerfile = "\
FROM python:3.12-slim AS builder
RUN mkdir -p /out/lib && echo x > /out/lib/x.py

FROM python:3.12-slim
RUN useradd --create-home web
USER web
WORKDIR /app/x
USER root
WORKDIR /srv/y
COPY --chown=web src/ ./
WORKDIR /etc/api
COPY --chown=web src/ /new/deep/
COPY src/ /plain/
ADD --chown=web src/ /added/
ADD src/ /addedroot/
COPY --from=builder --chown=web /out/ /fromb/
COPY --from=builder /out/ /fromroot/
";
    let ctx = context(&[
        ("Dockerfile", dockerfile),
        ("src/a.py", "a\n"),
        ("src/sub/b.py", "b\n"),
    ]);
    build(
        &host,
        ctx.path(),
        &ctx.path().join("Dockerfile"),
        "skafix-test-owners",
    )
    .unwrap();
    let paths = [
        "/app",
        "/app/x",
        "/srv",
        "/srv/y",
        "/srv/y/sub",
        "/etc/api",
        "/new",
        "/new/deep",
        "/new/deep/sub",
        "/plain",
        "/plain/sub",
        "/added",
        "/added/sub",
        "/addedroot",
        "/addedroot/sub",
        "/fromb",
        "/fromb/lib",
        "/fromroot",
        "/fromroot/lib",
    ];
    let real = owners_in(&host, "skafix-test-owners", &paths);
    let model = model_owners(dockerfile, &paths);
    let web = || Owner::User("web".into());
    // What the engine did, spelled out: WORKDIR after USER is the user's; COPY --chown into an
    // existing directory leaves it; COPY creates destinations and parents with its owner.
    assert_eq!(
        real,
        vec![
            web(),
            web(),
            Owner::Root,
            Owner::Root,
            web(),
            Owner::Root,
            web(),
            web(),
            web(),
            Owner::Root,
            Owner::Root,
            web(),
            web(),
            Owner::Root,
            Owner::Root,
            web(),
            web(),
            Owner::Root,
            Owner::Root,
        ]
    );
    let pairs: Vec<_> = paths.iter().zip(real.iter().zip(&model)).collect();
    for (path, (real, model)) in pairs {
        assert_eq!(model, real, "{path}: model vs engine");
    }
}

#[test]
fn chown_to_a_user_not_yet_created() {
    let Some(host) = engine() else { return };
    let dockerfile = "FROM python:3.12-slim\nCOPY --chown=web src/ /app/\nRUN useradd web\n";
    let ctx = context(&[("Dockerfile", dockerfile), ("src/a.py", "a\n")]);
    let built = build(
        &host,
        ctx.path(),
        &ctx.path().join("Dockerfile"),
        "skafix-test-late-user",
    );
    // Docker 20.10's BuildKit builds it and silently makes the files root's; current BuildKit
    // fails: "unable to find user web" (dockerfile2llb looks the user up in the stage's
    // /etc/passwd). skafix follows current BuildKit: the user does not exist there.
    assert_eq!(built, Ok(()), "Docker 20.10 builds it");
    assert_eq!(
        owners_in(&host, "skafix-test-late-user", &["/app", "/app/a.py"]),
        vec![Owner::Root, Owner::Root]
    );
    let df = skafix::dockerfile::parse(dockerfile).unwrap();
    assert_eq!(user_exists_at(&df, 0, "web", 1), Some(false));
    assert_eq!(user_exists_at(&df, 0, "web", 3), Some(true));
}

#[test]
fn arg_env_user_and_workdir_match_the_model() {
    let Some(host) = engine() else { return };
    let dockerfile = "\
ARG GLOBAL=g1
ARG ONLY_GLOBAL=og
FROM python:3.12-slim
ARG GLOBAL
ARG LOCAL=l-${GLOBAL}
ENV FROM_ENV=e-${LOCAL} DIR=/opt/site
WORKDIR $DIR/sub
RUN useradd web
USER web
RUN echo \"$GLOBAL|$LOCAL|$FROM_ENV|$ONLY_GLOBAL|$(pwd)|$(id -un)\" > /tmp/seen
";
    let ctx = context(&[("Dockerfile", dockerfile)]);
    build(
        &host,
        ctx.path(),
        &ctx.path().join("Dockerfile"),
        "skafix-test-vars",
    )
    .unwrap();
    let out = docker(
        &host,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "skafix-test-vars",
            "cat",
            "/tmp/seen",
        ],
        None,
    );
    let real = text(&out.stdout).trim().to_string();
    let df = skafix::dockerfile::parse(dockerfile).unwrap();
    let last = df.instructions.len() - 1;
    let state = df.state_at(last, Some(&HashMap::new())).unwrap();
    // A global ARG not redeclared in the stage is not set there (the model leaves it to the
    // base image's ENV, which sets none here).
    let get = |name: &str| match state.var(name) {
        None => String::new(),
        Some(_) => state
            .expand(&format!("${{{name}}}"))
            .known()
            .unwrap_or("?")
            .to_string(),
    };
    let model = format!(
        "{}|{}|{}|{}|{}|{}",
        get("GLOBAL"),
        get("LOCAL"),
        get("FROM_ENV"),
        get("ONLY_GLOBAL"),
        state.workdir.value.clone().unwrap(),
        state.user.value.clone().unwrap()
    );
    assert_eq!(real, "g1|l-g1|e-l-g1||/opt/site/sub|web");
    assert_eq!(model, real);
}

/// Runs `image` detached; its name.
fn start(host: &str, image: &str, name: &str) -> String {
    let _ = docker(host, &["rm", "-f", name], None);
    let out = docker(
        host,
        &["run", "-d", "--network", "none", "--name", name, image],
        None,
    );
    assert!(out.status.success(), "run: {}", text(&out.stderr));
    std::thread::sleep(std::time::Duration::from_millis(700));
    name.to_string()
}

fn exec(host: &str, container: &str, argv: &[&str]) -> Output {
    let mut args = vec!["exec", container];
    args.extend(argv);
    docker(host, &args, None)
}

fn running(host: &str, container: &str) -> bool {
    let out = docker(
        host,
        &["inspect", "-f", "{{.State.Running}}", container],
        None,
    );
    text(&out.stdout).trim() == "true"
}

/// The signals PID 1 has handlers for (`SigCgt` of /proc/1/status), as signal numbers.
fn pid1_caught(host: &str, container: &str) -> Vec<u32> {
    let out = exec(host, container, &["cat", "/proc/1/status"]);
    let status = text(&out.stdout);
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .map(|m| u64::from_str_radix(m.trim(), 16).unwrap())
        .unwrap();
    (1..=64).filter(|n| mask & (1u64 << (n - 1)) != 0).collect()
}

fn pid1_cmdline(host: &str, container: &str) -> String {
    let out = exec(host, container, &["cat", "/proc/1/cmdline"]);
    text(&out.stdout).replace('\0', " ").trim().to_string()
}

#[test]
fn shell_form_leaves_dash_as_pid1_without_handlers() {
    let Some(host) = engine() else { return };
    let shell = context(&[(
        "Dockerfile",
        "FROM python:3.12-slim\nCMD uvicorn app:app --host 0.0.0.0\n",
    )]);
    build(
        &host,
        shell.path(),
        &shell.path().join("Dockerfile"),
        "skafix-test-shell-form",
    )
    .unwrap();
    let exec_form = context(&[(
        "Dockerfile",
        "FROM python:3.12-slim\nCMD [\"uvicorn\", \"app:app\", \"--host\", \"0.0.0.0\"]\n",
    )]);
    build(
        &host,
        exec_form.path(),
        &exec_form.path().join("Dockerfile"),
        "skafix-test-exec-form",
    )
    .unwrap();

    // The model: a shell-form CMD runs as `/bin/sh -c TEXT`.
    let df =
        skafix::dockerfile::parse("FROM python:3.12-slim\nCMD uvicorn app:app --host 0.0.0.0\n")
            .unwrap();
    let cmd = df.instructions.last().unwrap().command().unwrap();
    assert!(!cmd.is_exec());

    let c = start(&host, "skafix-test-shell-form", "skafix-test-shell-form");
    assert_eq!(
        pid1_cmdline(&host, &c),
        "/bin/sh -c uvicorn app:app --host 0.0.0.0"
    );
    // dash as PID 1 catches SIGINT and SIGCHLD only: no SIGTERM (15), no SIGHUP (1).
    let caught = pid1_caught(&host, &c);
    assert!(!caught.contains(&15) && !caught.contains(&1), "{caught:?}");
    // `kill 1` from inside (as a hook does) is dropped by the kernel: still running.
    assert!(exec(&host, &c, &["sh", "-c", "kill 1"]).status.success());
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(running(&host, &c), "dash as PID 1 ignores SIGTERM");
    let _ = docker(&host, &["rm", "-f", &c], None);

    let c = start(&host, "skafix-test-exec-form", "skafix-test-exec-form");
    assert!(pid1_caught(&host, &c).contains(&15));
    let _ = docker(&host, &["rm", "-f", &c], None);
}

/// Copies a fixture into a temporary directory.
fn fixture_copy(rel: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel);
    copy_tree(&src, dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// Applies `fix --unsafe-fixes` to the project in `dir`.
fn apply_fixes(dir: &Path) {
    fix::run(&FixOptions {
        check: CheckOptions {
            paths: vec![dir.to_path_buf()],
            ..Default::default()
        },
        unsafe_fixes: true,
        diff_only: false,
    })
    .unwrap();
}

/// Skaffold's sync of `local` (relative to the project) to `dest` (absolute) into a container of
/// `image`, as its user: `tar xmf - -C / --no-same-owner` fed a tar of the file.
fn sync(host: &str, image: &str, project: &Path, local: &str, dest: &str) -> Output {
    let staging = tempfile::tempdir().unwrap();
    let target = staging.path().join(dest.trim_start_matches('/'));
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(project.join(local), &target).unwrap();
    let tar = Command::new("tar")
        .args(["cf", "-", "-C"])
        .arg(staging.path())
        .arg(dest.trim_start_matches('/'))
        .output()
        .unwrap();
    assert!(tar.status.success());
    docker(
        host,
        &[
            "run",
            "--rm",
            "-i",
            "--network",
            "none",
            "--entrypoint",
            "tar",
            image,
            "xmf",
            "-",
            "-C",
            "/",
            "--no-same-owner",
        ],
        Some(&tar.stdout),
    )
}

fn build_fixture(host: &str, dir: &Path, tag: &str) -> Result<(), String> {
    build(host, dir, &dir.join("Dockerfile"), tag)
}

#[test]
fn sync009_fixtures_fail_and_pass_as_claimed() {
    let Some(host) = engine() else { return };
    // (fixture, local file, sync destination, sync works)
    let cases = [
        ("SYNC009/fail", "app/main.py", "/app/main.py", false),
        ("SYNC009/pass", "app/main.py", "/app/main.py", true),
        (
            "SYNC009/workdir-after-user",
            "app/main.py",
            "/app/main.py",
            true,
        ),
        // `sync.infer` maps a file to where its COPY put it: the same tar into the same
        // root-owned directory.
        (
            "SYNC009/infer",
            "src/index.js",
            "/srv/web/src/index.js",
            false,
        ),
        (
            "SYNC009/workdir-only",
            "conf/api.toml",
            "/etc/api/api.toml",
            false,
        ),
    ];
    for (fixture, local, dest, works) in cases {
        let dir = fixture_copy(fixture);
        let tag = format!("skafix-test-{}", fixture.replace('/', "-").to_lowercase());
        build_fixture(&host, dir.path(), &tag).unwrap();
        let out = sync(&host, &tag, dir.path(), local, dest);
        assert_eq!(
            out.status.success(),
            works,
            "{fixture}: sync {}",
            text(&out.stderr)
        );
        if !works {
            // GNU tar (Debian's) refuses to replace the file or create it.
            let err = text(&out.stderr);
            assert!(
                err.contains("Permission denied") || err.contains("File exists"),
                "{fixture}: {err}"
            );
            // After skafix's fix the image builds and the sync works.
            apply_fixes(dir.path());
            let fixed = format!("{tag}-fixed");
            build_fixture(&host, dir.path(), &fixed)
                .unwrap_or_else(|e| panic!("{fixture} fixed does not build: {e}"));
            let out = sync(&host, &fixed, dir.path(), local, dest);
            assert!(
                out.status.success(),
                "{fixture} fixed: sync still fails: {}\n{}",
                text(&out.stderr),
                std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap()
            );
        }
    }
}

#[test]
fn sync009_fix_moves_a_late_user_creation_up() {
    let Some(host) = engine() else { return };
    let dir = fixture_copy("SYNC009/fail");
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM python:3.12-slim\nCOPY app/ /app/\nRUN useradd --create-home app\nUSER app\n",
    )
    .unwrap();
    build_fixture(&host, dir.path(), "skafix-test-late-user-sync").unwrap();
    assert!(!sync(
        &host,
        "skafix-test-late-user-sync",
        dir.path(),
        "app/main.py",
        "/app/main.py"
    )
    .status
    .success());
    apply_fixes(dir.path());
    let fixed = std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap();
    assert_eq!(
        fixed,
        "FROM python:3.12-slim\nRUN useradd --create-home app\nCOPY --chown=app app/ /app/\nUSER app\n"
    );
    build_fixture(&host, dir.path(), "skafix-test-late-user-sync-fixed").unwrap();
    let out = sync(
        &host,
        "skafix-test-late-user-sync-fixed",
        dir.path(),
        "app/main.py",
        "/app/main.py",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn sync009_existing_directory_needs_its_own_owner() {
    let Some(host) = engine() else { return };
    let dir = fixture_copy("SYNC009/fail");
    // /srv exists in the base: WORKDIR and COPY --chown leave it root's.
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM python:3.12-slim\nRUN useradd --create-home app\nWORKDIR /srv\nCOPY --chown=app app/ ./\nUSER app\n",
    )
    .unwrap();
    let yaml = std::fs::read_to_string(dir.path().join("skaffold.yaml"))
        .unwrap()
        .replace("dest: /app", "dest: /srv");
    std::fs::write(dir.path().join("skaffold.yaml"), yaml).unwrap();
    build_fixture(&host, dir.path(), "skafix-test-srv").unwrap();
    let out = sync(
        &host,
        "skafix-test-srv",
        dir.path(),
        "app/main.py",
        "/srv/main.py",
    );
    assert!(!out.status.success());
    apply_fixes(dir.path());
    build_fixture(&host, dir.path(), "skafix-test-srv-fixed").unwrap();
    let out = sync(
        &host,
        "skafix-test-srv-fixed",
        dir.path(),
        "app/main.py",
        "/srv/main.py",
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        std::fs::read_to_string(dir.path().join("Dockerfile")).unwrap()
    );
}

#[test]
fn sync008_fixtures_fail_and_pass_as_claimed() {
    let Some(host) = engine() else { return };
    for (fixture, works) in [("SYNC008/fail", false), ("SYNC008/pass", true)] {
        let dir = fixture_copy(fixture);
        let tag = format!("skafix-test-{}", fixture.replace('/', "-").to_lowercase());
        build_fixture(&host, dir.path(), &tag).unwrap();
        let out = sync(&host, &tag, dir.path(), "app/main.py", "/app/main.py");
        assert_eq!(
            out.status.success(),
            works,
            "{fixture}: {}",
            text(&out.stderr)
        );
        if !works {
            // No tar in the image: the exec fails before anything is extracted.
            assert!(
                text(&out.stderr).contains("executable file not found"),
                "{}",
                text(&out.stderr)
            );
        }
    }
}

/// Starts the fixture's image and runs its after-sync hook the way Skaffold does (`kubectl
/// exec` of the hook's argv); whether the container still runs afterwards, and how many
/// reloads the (stand-in) gunicorn saw.
fn run_hook(host: &str, fixture: &str, hook: &[&str]) -> (bool, String) {
    let (alive, reloads, _) = run_hook_output(host, fixture, hook);
    (alive, reloads)
}

/// [`run_hook`], with the hook's own result.
fn run_hook_output(host: &str, fixture: &str, hook: &[&str]) -> (bool, String, Output) {
    let dir = fixture_copy(fixture);
    let tag = format!("skafix-test-{}", fixture.replace('/', "-").to_lowercase());
    build_fixture(host, dir.path(), &tag).unwrap();
    let c = start(host, &tag, &tag);
    let hook_result = exec(host, &c, hook);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let alive = running(host, &c);
    let reloads = if alive {
        text(
            &exec(
                host,
                &c,
                &["sh", "-c", "cat /tmp/gunicorn-reloads 2>/dev/null"],
            )
            .stdout,
        )
    } else {
        String::new()
    };
    let _ = docker(host, &["rm", "-f", &c], None);
    (alive, reloads, hook_result)
}

#[test]
fn hook_fixtures_do_what_the_rules_claim() {
    let Some(host) = engine() else { return };
    // HOOK001: `kill -HUP 1` to uvicorn as PID 1, which has no SIGHUP handler: dropped.
    let (alive, _) = run_hook(&host, "HOOK001/fail", &["sh", "-c", "kill -HUP 1"]);
    assert!(alive, "HOOK001/fail: the signal is ignored");
    // HOOK001/pass and HOOK002/pass: gunicorn handles SIGHUP (a reload), still running.
    let (alive, reloads) = run_hook(&host, "HOOK001/pass", &["sh", "-c", "kill -HUP 1"]);
    assert!(
        alive && reloads.contains("reloaded"),
        "HOOK001/pass: {reloads}"
    );
    let (alive, _) = run_hook(&host, "HOOK002/pass", &["sh", "-c", "kill -HUP 1"]);
    assert!(alive, "HOOK002/pass");
    // HOOK002: `kill 1` to uvicorn as PID 1, which handles SIGTERM by exiting: the container
    // stops (Kubernetes restarts it from the image, without the synced files).
    let (alive, _) = run_hook(&host, "HOOK002/fail", &["sh", "-c", "kill 1"]);
    assert!(!alive, "HOOK002/fail: PID 1 exits");
}

#[test]
fn hook003_and_hook005_fixtures_do_what_the_rules_claim() {
    let Some(host) = engine() else { return };
    // HOOK003: the slim image has no procps: the hook fails with "not found" (exit 127).
    let (_, _, out) = run_hook_output(&host, "HOOK003/fail", &["sh", "-c", "pgrep -a uvicorn"]);
    assert_eq!(out.status.code(), Some(127), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("pgrep: not found"));
    let (_, _, out) = run_hook_output(&host, "HOOK003/pass", &["sh", "-c", "pgrep -a uvicorn"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // HOOK005: `sh -c "pkill -HUP -f gunicorn"` matches its own shell, which dies of the
    // signal: the hook fails. Run directly, pkill signals only gunicorn, which reloads.
    let (alive, _, out) = run_hook_output(
        &host,
        "HOOK005/fail",
        &["sh", "-c", "pkill -HUP -f gunicorn"],
    );
    assert!(alive);
    assert!(!out.status.success(), "the hook's shell was killed");
    let (alive, reloads, out) =
        run_hook_output(&host, "HOOK005/pass", &["pkill", "-HUP", "-f", "gunicorn"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(alive && reloads.contains("reloaded"), "{reloads}");
}

/// What a failed `docker exec` said: the 20.10 CLI prints the runtime's error on stdout.
fn exec_failure(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

#[test]
fn hook004_hup_to_a_reloading_uvicorn_changes_nothing() {
    let Some(host) = engine() else { return };
    // uvicorn's `--reload` supervisor as PID 1 has handlers for SIGINT and SIGTERM only: the
    // hook's pkill succeeds (the signal is sent), the kernel drops it, the same process runs on.
    let dir = fixture_copy("HOOK004/fail");
    let tag = "skafix-test-hook004-fail";
    build_fixture(&host, dir.path(), tag).unwrap();
    let c = start(&host, tag, tag);
    let caught = pid1_caught(&host, &c);
    assert!(!caught.contains(&1) && caught.contains(&15), "{caught:?}");
    let started = text(&exec(&host, &c, &["stat", "-c", "%Y", "/proc/1"]).stdout);
    let out = exec(&host, &c, &["pkill", "-HUP", "uvicorn"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::thread::sleep(std::time::Duration::from_millis(1000));
    assert!(running(&host, &c));
    assert_eq!(
        pid1_cmdline(&host, &c),
        "/bin/sh /usr/local/bin/uvicorn app:app --reload --host 0.0.0.0"
    );
    assert_eq!(
        text(&exec(&host, &c, &["stat", "-c", "%Y", "/proc/1"]).stdout),
        started,
        "PID 1 is the process that started"
    );
    let _ = docker(&host, &["rm", "-f", &c], None);
}

#[test]
fn hook006_one_word_command_is_not_split_and_the_fix_runs() {
    let Some(host) = engine() else { return };
    // Skaffold execs the hook's list as argv (like `kubectl exec`); one item with spaces is
    // one program name, which does not exist.
    let (alive, reloads, out) = run_hook_output(
        &host,
        "HOOK006/argv-command-line",
        &["pkill -HUP -f gunicorn"],
    );
    assert!(alive);
    assert_eq!(out.status.code(), Some(126));
    assert!(
        exec_failure(&out).contains(r#"exec: "pkill -HUP -f gunicorn": executable file not found"#),
        "{}",
        exec_failure(&out)
    );
    assert_eq!(reloads, "");
    // After skafix's fix the hook is the list the rule suggested, and it reloads gunicorn.
    let dir = fixture_copy("HOOK006/argv-command-line");
    apply_fixes(dir.path());
    let fixed = std::fs::read_to_string(dir.path().join("skaffold.yaml")).unwrap();
    assert!(
        fixed.contains(r#"command: ["pkill", "-HUP", "-f", "gunicorn"]"#),
        "{fixed}"
    );
    let (alive, reloads, out) = run_hook_output(
        &host,
        "HOOK006/argv-command-line",
        &["pkill", "-HUP", "-f", "gunicorn"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(alive && reloads.contains("reloaded"), "{reloads}");
}

#[test]
fn hook007_no_shell_in_the_image_fails_the_hook() {
    let Some(host) = engine() else { return };
    // The distroless stand-in has no program at all, so its container is kept running by a
    // busybox mounted outside PATH; the hook's `sh` is then looked up in the image alone.
    let busybox = engine_dir().join("busybox-static/bin/busybox");
    for (fixture, works) in [("HOOK007/fail", false), ("HOOK007/pass", true)] {
        let dir = fixture_copy(fixture);
        let tag = format!("skafix-test-{}", fixture.replace('/', "-").to_lowercase());
        build_fixture(&host, dir.path(), &tag).unwrap();
        let _ = docker(&host, &["rm", "-f", &tag], None);
        let mount = format!("{}:/.keep/busybox:ro", busybox.display());
        let out = docker(
            &host,
            &[
                "run",
                "-d",
                "--network",
                "none",
                "--name",
                &tag,
                "-v",
                &mount,
                "--entrypoint",
                "/.keep/busybox",
                &tag,
                "sleep",
                "300",
            ],
            None,
        );
        assert!(out.status.success(), "run: {}", text(&out.stderr));
        let out = exec(&host, &tag, &["sh", "-c", "kill -HUP 1"]);
        assert_eq!(
            out.status.success(),
            works,
            "{fixture}: {}",
            text(&out.stderr)
        );
        if !works {
            assert!(
                exec_failure(&out).contains(r#"exec: "sh": executable file not found"#),
                "{fixture}: {}",
                exec_failure(&out)
            );
        }
        let _ = docker(&host, &["rm", "-f", &tag], None);
    }
}

/// An inotify watcher that prints `MASK NAME` per event, like the watchers of nodemon
/// (chokidar on `fs.watch`), uvicorn (watchfiles) and air (fsnotify) use on Linux.
const INOTIFY_WATCHER: &str = r#"
#include <stdio.h>
#include <sys/inotify.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int fd = inotify_init();
    if (fd < 0 || argc < 2 || inotify_add_watch(fd, argv[1], IN_ALL_EVENTS) < 0) return 1;
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return 1;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *e = (struct inotify_event *)p;
            printf("%#x %s\n", e->mask, e->len ? e->name : "");
            fflush(stdout);
            p += sizeof *e + e->len;
        }
    }
}
"#;

#[test]
fn synced_files_raise_inotify_events_in_the_container() {
    // What RELOAD001 rests on for nodemon without `-L`: Skaffold's sync runs tar inside the
    // container, so the writes happen on the container's own filesystem and a watcher there
    // is told about them; polling is for writes made on another machine (a mounted drive).
    let Some(host) = engine() else { return };
    let build_dir = tempfile::tempdir().unwrap();
    let source = build_dir.path().join("watch.c");
    std::fs::write(&source, INOTIFY_WATCHER).unwrap();
    let watcher = build_dir.path().join("watch");
    let compiled = Command::new("cc")
        .args(["-static", "-O", "-o"])
        .arg(&watcher)
        .arg(&source)
        .output();
    if !compiled.is_ok_and(|o| o.status.success()) {
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! ENGINE TEST SKIPPED: no C compiler with a static libc to build the inotify watcher\n"
        );
        return;
    }
    let name = "skafix-test-inotify";
    let _ = docker(&host, &["rm", "-f", name], None);
    let mount = format!("{}:/.watch/watch:ro", watcher.display());
    let out = docker(
        &host,
        &[
            "run", "-d", "--network", "none", "--name", name, "-v", &mount,
            "debian:bookworm-slim", "sh", "-c",
            "mkdir -p /srv/app && echo old > /srv/app/main.js && exec /.watch/watch /srv/app > /tmp/events",
        ],
        None,
    );
    assert!(out.status.success(), "run: {}", text(&out.stderr));
    std::thread::sleep(std::time::Duration::from_millis(700));
    // Skaffold's sync: a tar of the changed files fed to `tar xmf - -C / --no-same-owner`.
    let staging = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(staging.path().join("srv/app")).unwrap();
    std::fs::write(staging.path().join("srv/app/main.js"), "new\n").unwrap();
    std::fs::write(staging.path().join("srv/app/added.js"), "added\n").unwrap();
    let tar = Command::new("tar")
        .args(["cf", "-", "-C"])
        .arg(staging.path())
        .args(["srv/app/main.js", "srv/app/added.js"])
        .output()
        .unwrap();
    let mut args = vec!["exec", "-i", name];
    args.extend(["tar", "xmf", "-", "-C", "/", "--no-same-owner"]);
    let out = docker(&host, &args, Some(&tar.stdout));
    assert!(out.status.success(), "sync: {}", text(&out.stderr));
    std::thread::sleep(std::time::Duration::from_millis(500));
    let events = text(&exec(&host, name, &["cat", "/tmp/events"]).stdout);
    let _ = docker(&host, &["rm", "-f", name], None);
    // IN_CLOSE_WRITE (0x8) for the replaced file and the new one.
    for file in ["main.js", "added.js"] {
        assert!(
            events.lines().any(|l| l == format!("0x8 {file}")),
            "{file}: {events}"
        );
    }
}

#[test]
fn proc001_fixtures_do_what_the_rule_claims() {
    let Some(host) = engine() else { return };
    for (fixture, pid1, term_caught) in [
        (
            "PROC001/fail",
            "/bin/sh -c uvicorn app:app --reload --host 0.0.0.0",
            false,
        ),
        (
            "PROC001/pass",
            "/bin/sh /usr/local/bin/uvicorn app:app --reload --host 0.0.0.0",
            true,
        ),
    ] {
        let dir = fixture_copy(fixture);
        let tag = format!("skafix-test-{}", fixture.replace('/', "-").to_lowercase());
        build_fixture(&host, dir.path(), &tag).unwrap();
        let c = start(&host, &tag, &tag);
        assert_eq!(pid1_cmdline(&host, &c), pid1, "{fixture}");
        assert_eq!(
            pid1_caught(&host, &c).contains(&15),
            term_caught,
            "{fixture}"
        );
        let _ = docker(&host, &["rm", "-f", &c], None);
    }
    // After the safe fix (exec form), the stand-in server itself is PID 1 and catches SIGTERM.
    let dir = fixture_copy("PROC001/fail");
    apply_fixes(dir.path());
    build_fixture(&host, dir.path(), "skafix-test-proc001-fixed").unwrap();
    let c = start(
        &host,
        "skafix-test-proc001-fixed",
        "skafix-test-proc001-fixed",
    );
    assert!(pid1_cmdline(&host, &c).starts_with("/bin/sh /usr/local/bin/uvicorn"));
    assert!(pid1_caught(&host, &c).contains(&15));
    let _ = docker(&host, &["rm", "-f", &c], None);
}

#[test]
fn base_dirs_of_the_stand_in_match_the_table() {
    let Some(host) = engine() else { return };
    // The stand-in base has the FHS directories skafix assumes of Debian images, root-owned.
    for dir in ["/srv", "/opt", "/usr/local", "/usr/local/bin", "/home"] {
        assert_eq!(
            skafix::image::contents::base_dir("python:3.12-slim", dir),
            BaseDir::Root
        );
        assert_eq!(
            owners_in(&host, "python:3.12-slim", &[dir]),
            vec![Owner::Root],
            "{dir}"
        );
    }
}

#[test]
fn a_program_in_no_layer_cannot_start() {
    let Some(host) = engine() else { return };
    // What DF003 rests on: the runtime execs the program by searching PATH, and a name found
    // nowhere fails the container's start.
    let ctx = context(&[(
        "Dockerfile",
        "FROM python:3.12-slim\nCMD [\"skafix-missing-server\", \"app:app\"]\n",
    )]);
    build(
        &host,
        ctx.path(),
        &ctx.path().join("Dockerfile"),
        "skafix-test-missing-program",
    )
    .unwrap();
    let out = docker(
        &host,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "skafix-test-missing-program",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("executable file not found in $PATH"),
        "{}",
        text(&out.stderr)
    );
}
