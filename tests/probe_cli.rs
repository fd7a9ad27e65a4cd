//! `skafix probe` as a new user runs it: a small Skaffold project on disk, a kubeconfig, and the
//! real binary. The pods are real process trees behind the test API server (tests/support), so
//! the findings and exit codes below are what a user would see against a cluster.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use support::{profiles, FakeCluster, PodSpec};

const APP_PY: &str = r#"async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"v1"})
"#;

const DOCKERFILE: &str = r#"FROM python:3.12-slim
WORKDIR /app
RUN pip install uvicorn==0.34.0
COPY . .
CMD ["uvicorn", "app:app", "--host", "0.0.0.0"]
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: app
          image: app
"#;

/// A Skaffold project whose artifact `app` syncs `*.py` and sends `kill -HUP 1` after each
/// sync. The fake pod's filesystem is this machine's, so the sync destination is the project
/// directory itself: the files "in the container" are the local files.
struct Project {
    _root: tempfile::TempDir,
    dir: PathBuf,
}

impl Project {
    fn new() -> Project {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("shop");
        std::fs::create_dir_all(dir.join("k8s")).unwrap();
        std::fs::write(dir.join("app.py"), APP_PY).unwrap();
        std::fs::write(dir.join("Dockerfile"), DOCKERFILE).unwrap();
        std::fs::write(dir.join("k8s/deployment.yaml"), DEPLOYMENT).unwrap();
        std::fs::write(
            dir.join("skaffold.yaml"),
            format!(
                r#"apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: app
      sync:
        manual:
          - src: "*.py"
            dest: {dest}
        hooks:
          after:
            - container:
                command: ["sh", "-c", "kill -HUP 1"]
manifests:
  rawYaml:
    - k8s/deployment.yaml
"#,
                dest = dir.display()
            ),
        )
        .unwrap();
        Project { _root: root, dir }
    }

    fn config(&self) -> String {
        self.dir.join("skaffold.yaml").display().to_string()
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("uvicorn.sock")
    }

    /// Plain uvicorn (no --reload) serving the project's app, as the image's CMD would.
    fn uvicorn_argv(&self) -> Vec<String> {
        vec![
            bin("python"),
            bin("uvicorn"),
            "app:app".into(),
            "--uds".into(),
            self.socket().display().to_string(),
        ]
    }
}

fn bin(name: &str) -> String {
    support::venv().join("bin").join(name).display().to_string()
}

fn pod(name: &str, image: &str, argv: &[String], cwd: &Path) -> PodSpec {
    let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut spec = PodSpec::new(name, image, &refs, cwd, profiles::DEBIAN_FULL);
    spec.env = vec![("PYTHONDONTWRITEBYTECODE".into(), "1".into())];
    spec
}

/// Runs the real binary off the async runtime, which keeps serving the fake API meanwhile.
async fn skafix(args: Vec<String>, home: &Path) -> Output {
    let home = home.to_path_buf();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_skafix"))
            .args(&args)
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .env_remove("GITHUB_ACTIONS")
            .env("HOME", &home)
            .env("NO_COLOR", "1")
            .env("COLUMNS", "200")
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Stdout of a run that must end with `code`; stderr is shown when it does not.
fn stdout_with(out: &Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A kubeconfig like `cluster`'s whose server is a local port nothing listens on.
fn closed_port_kubeconfig(cluster: &FakeCluster, dir: &Path) -> PathBuf {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let original = std::fs::read_to_string(&cluster.kubeconfig).unwrap();
    let server = format!("http://{}", cluster.addr);
    assert!(original.contains(&server));
    let path = dir.join("closed-kubeconfig");
    std::fs::write(
        &path,
        original.replace(&server, &format!("http://{closed}")),
    )
    .unwrap();
    path
}

fn probe_args(project: &Project, kubeconfig: &Path, format: &str) -> Vec<String> {
    vec![
        "probe".into(),
        project.dir.display().to_string(),
        "--kubeconfig".into(),
        kubeconfig.display().to_string(),
        "--format".into(),
        format.into(),
    ]
}

const STEPS: &str = "What to do now for pod web-1 (container app):
  1. Replace the signal hook: run the server in reload mode instead of signalling PID 1
  2. Make the dev command reload: add `--reload` to uvicorn (and `--reload-dir` for the synced directory); then redeploy
  3. To run the current code now, let Skaffold rebuild and redeploy (`skaffold run`); deleting the pod or `kubectl rollout restart` starts the image's code and drops synced files
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_uvicorn_with_a_hup_hook_is_reported_with_steps() {
    let project = Project::new();
    let argv = project.uvicorn_argv();
    let cluster = FakeCluster::start(vec![pod("web-1", "app:dev", &argv, &project.dir)]).await;
    assert_eq!(support::wait_http(&project.socket()).await, "v1");
    let home = tempfile::tempdir().unwrap();
    let config = project.config();
    let pid1 = argv.join(" ");
    let not_reloading = format!(
        "pod web-1 container app: files are synced but the server does not reload: PID 1 `{pid1}` (no --reload flag, no UVICORN_RELOAD, no reload child); synced code is on disk but never loaded"
    );
    let hup_ignored = format!(
        "pod web-1 container app: hook `sh -c 'kill -HUP 1'` sends SIGHUP to PID 1 `{pid1}`, which has no handler for it (SigCgt 0000000000004002); PID 1 ignores such signals, so the hook does nothing"
    );

    let concise = stdout_with(
        &skafix(
            probe_args(&project, &cluster.kubeconfig, "concise"),
            home.path(),
        )
        .await,
        1,
    );
    assert_eq!(
        concise,
        format!(
            "{config}:5:14: warning: PROBE002 {not_reloading}\n{config}:5:14: warning: PROBE003 {hup_ignored}\nFound 2 warnings in 1 file (1 file checked).\n\n{STEPS}"
        )
    );

    let full = stdout_with(
        &skafix(
            probe_args(&project, &cluster.kubeconfig, "full"),
            home.path(),
        )
        .await,
        1,
    );
    assert!(
        full.starts_with("PROBE002 server-not-reloading\n"),
        "{full}"
    );
    assert!(full.contains("\nPROBE003 hook-signal-ignored\n"), "{full}");
    assert!(full.contains(&format!("[{config}:5:14]")), "{full}");
    assert!(
        full.ends_with(&format!(
            "Found 2 warnings in 1 file (1 file checked).\n\n{STEPS}"
        )),
        "{full}"
    );

    // JSON carries the diagnostics only: no prose after the document.
    let json = stdout_with(
        &skafix(
            probe_args(&project, &cluster.kubeconfig, "json"),
            home.path(),
        )
        .await,
        1,
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let got: Vec<(&str, &str, &str, &str, &str, &str)> = value["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap(),
                d["name"].as_str().unwrap(),
                d["severity"].as_str().unwrap(),
                d["path"].as_str().unwrap(),
                d["artifact"].as_str().unwrap(),
                d["message"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "PROBE002",
                "server-not-reloading",
                "warning",
                config.as_str(),
                "app",
                not_reloading.as_str()
            ),
            (
                "PROBE003",
                "hook-signal-ignored",
                "warning",
                config.as_str(),
                "app",
                hup_ignored.as_str()
            ),
        ]
    );
    assert_eq!(value["summary"]["warnings"], 2);
    assert_eq!(value["summary"]["errors"], 0);

    // What the findings predict really happens: the hook leaves PID 1 as it was, and code
    // synced into the container (the project directory) is not served.
    let init = cluster.init_pid("web-1").unwrap();
    let before = support::descendants(init);
    let (_, _, status) = support::kube_exec(&cluster, "web-1", &["sh", "-c", "kill -HUP 1"]).await;
    assert_eq!(status.and_then(|s| s.status).as_deref(), Some("Success"));
    std::fs::write(
        project.dir.join("app.py"),
        APP_PY.replace("b\"v1\"", "b\"v2\""),
    )
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(
        support::http_get_unix(&project.socket()).await.as_deref(),
        Some("v1")
    );
    assert_eq!(cluster.init_pid("web-1"), Some(init));
    assert_eq!(support::descendants(init), before);
    assert_eq!(cluster.restart_count("web-1"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_matching_pods_says_why_and_exits_2() {
    let project = Project::new();
    let home = tempfile::tempdir().unwrap();
    let config = project.config();
    let sleep = vec!["sleep".to_string(), "600".to_string()];
    let other = FakeCluster::start(vec![pod("web-1", "nginx:1.27", &sleep, &project.dir)]).await;
    other.wait_ready("web-1", 1).await;
    let empty = FakeCluster::start(Vec::new()).await;
    // Nothing could be probed, so the exit code is 2 (not 1), with the reason as a finding.
    let cases = [
        (
            &other,
            "1 pod(s) in namespace dev run other images: nginx:1.27",
        ),
        (&empty, "there are no pods in namespace dev"),
    ];
    for (cluster, why) in cases {
        let out = skafix(
            probe_args(&project, &cluster.kubeconfig, "concise"),
            home.path(),
        )
        .await;
        assert_eq!(
            stdout_with(&out, 2),
            format!(
                "{config}:5:14: error: PROBE001 no running container uses image `app`: {why}\nFound 1 error in 1 file (1 file checked).\n"
            )
        );
        assert_eq!(
            text(&out.stderr),
            "skafix: error: nothing could be probed: no container of the project's artifacts could be examined (see the findings above)\n"
        );
    }
    // The flags narrow the search the way kubectl's do, and the reason names them.
    let flags: [(&[&str], &str); 2] = [
        (&["-n", "staging"], "there are no pods in namespace staging"),
        (
            &["--selector", "app=api"],
            "there are no pods in namespace dev with selector app=api",
        ),
    ];
    for (extra, why) in flags {
        let mut args = probe_args(&project, &other.kubeconfig, "concise");
        args.extend(extra.iter().map(|s| s.to_string()));
        let out = skafix(args, home.path()).await;
        assert_eq!(
            stdout_with(&out, 2),
            format!(
                "{config}:5:14: error: PROBE001 no running container uses image `app`: {why}\nFound 1 error in 1 file (1 file checked).\n"
            )
        );
    }
    let out = skafix(probe_args(&project, &other.kubeconfig, "json"), home.path()).await;
    let value: serde_json::Value = serde_json::from_str(&stdout_with(&out, 2)).unwrap();
    assert_eq!(value["diagnostics"][0]["code"], "PROBE001");
    assert_eq!(value["diagnostics"][0]["name"], "no-matching-pods");
    assert_eq!(value["diagnostics"][0]["severity"], "error");
    assert_eq!(
        value["diagnostics"][0]["help"],
        "check the namespace (-n), the kube context (--context) and that the deployment uses the artifact's image name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_cluster_and_missing_config_exit_2_with_a_message() {
    let project = Project::new();
    let home = tempfile::tempdir().unwrap();
    let cluster = FakeCluster::start(Vec::new()).await;

    let closed = closed_port_kubeconfig(&cluster, home.path());
    let out = skafix(probe_args(&project, &closed, "concise"), home.path()).await;
    assert_eq!(stdout_with(&out, 2), "");
    let stderr = text(&out.stderr);
    let dead = std::fs::read_to_string(&closed).unwrap();
    let server = dead
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .unwrap();
    assert!(
        stderr.starts_with(&format!(
            "skafix: error: the cluster cannot be reached: {server} (context fake): "
        )),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("Connection refused; check that the cluster is running and that `kubectl --context fake get pods -n dev` works\n"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // No --kubeconfig, no KUBECONFIG, an empty HOME and not in a pod.
    let out = skafix(
        vec!["probe".into(), project.dir.display().to_string()],
        home.path(),
    )
    .await;
    assert_eq!(stdout_with(&out, 2), "");
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr,
        format!(
            "skafix: error: no Kubernetes configuration: cannot read the kubeconfig {}: no such file or directory, and skafix is not running inside a cluster; pass an existing file with --kubeconfig or KUBECONFIG\n",
            home.path().join(".kube/config").display()
        )
    );
    // An explicit kubeconfig that does not exist, named once; a context it does not have.
    let missing = home.path().join("missing-kubeconfig");
    let out = skafix(probe_args(&project, &missing, "concise"), home.path()).await;
    assert_eq!(stdout_with(&out, 2), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "skafix: error: no Kubernetes configuration: cannot read the kubeconfig {}: no such file or directory; pass an existing file with --kubeconfig or KUBECONFIG\n",
            missing.display()
        )
    );
    let mut args = probe_args(&project, &cluster.kubeconfig, "concise");
    args.extend(["--context".to_string(), "staging".to_string()]);
    let out = skafix(args, home.path()).await;
    assert_eq!(stdout_with(&out, 2), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "skafix: error: no Kubernetes configuration: context staging is not in {}; `kubectl config get-contexts` lists the contexts; pick one with --context\n",
            cluster.kubeconfig.display()
        )
    );

    // A config without artifacts has nothing to look for; the cluster is not contacted.
    let bare = tempfile::tempdir().unwrap();
    std::fs::write(
        bare.path().join("skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\n",
    )
    .unwrap();
    let mut args = probe_args(&project, &closed, "concise");
    args[1] = bare.path().display().to_string();
    let out = skafix(args, home.path()).await;
    assert_eq!(stdout_with(&out, 2), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "skafix: error: nothing to probe: the Skaffold config in {} has no build artifacts\n",
            bare.path().display()
        )
    );
}

/// A server that is not Kubernetes (a web server answering every request with an HTML error
/// page): one line naming the server, the context and the page's title, and what to check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_page_instead_of_the_api_is_summarised_in_one_line() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let project = Project::new();
    let home = tempfile::tempdir().unwrap();
    let cluster = FakeCluster::start(Vec::new()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        // Bounded: the probe makes one request per connection attempt.
        for _ in 0..4 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut buf = vec![0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let body = "<!DOCTYPE html>\n<html>\n<head>\n  <title>\n    Sign in - Corporate Portal\n  </title>\n</head>\n<body><h1>Please sign in</h1>\n<p>line</p>\n</body>\n</html>\n";
            let response = format!(
                "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    let original = std::fs::read_to_string(&cluster.kubeconfig).unwrap();
    let web = home.path().join("web-kubeconfig");
    std::fs::write(
        &web,
        original.replace(
            &format!("http://{}", cluster.addr),
            &format!("http://{addr}"),
        ),
    )
    .unwrap();
    let out = skafix(probe_args(&project, &web, "concise"), home.path()).await;
    server.abort();
    assert_eq!(stdout_with(&out, 2), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "skafix: error: http://{addr} (context fake) is not a Kubernetes API server: listing pods got HTTP 404 and an HTML page titled \"Sign in - Corporate Portal\"; check the server URL of the context (`kubectl --context fake get pods -n dev` uses the same)\n"
        )
    );
}

/// PROBE018 names what the hook's pkill looks for in words, not as a Rust structure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_matching_no_process_names_its_pattern_in_words() {
    let project = Project::new();
    let config = std::fs::read_to_string(project.config()).unwrap();
    std::fs::write(
        project.config(),
        config.replace("\"kill -HUP 1\"", "\"pkill -HUP -f no-such-server\""),
    )
    .unwrap();
    let argv = project.uvicorn_argv();
    let cluster = FakeCluster::start(vec![pod("web-1", "app:dev", &argv, &project.dir)]).await;
    assert_eq!(support::wait_http(&project.socket()).await, "v1");
    let home = tempfile::tempdir().unwrap();
    let out = skafix(
        probe_args(&project, &cluster.kubeconfig, "concise"),
        home.path(),
    )
    .await;
    let concise = text(&out.stdout);
    let line = concise
        .lines()
        .find(|l| l.contains(" PROBE018 "))
        .unwrap_or_else(|| panic!("no PROBE018 in:\n{concise}"));
    assert!(
        line.ends_with(
            "sends SIGHUP to no process here (the pattern `no-such-server` (against full command lines) matches nothing), so it exits non-zero"
        ),
        "{line}"
    );
    assert!(!concise.contains("Pattern {"), "{concise}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_api_server_ends_at_the_timeout() {
    let project = Project::new();
    let cluster = FakeCluster::start(vec![]).await;
    cluster.options.lock().unwrap().hang_list = true;
    let home = tempfile::tempdir().unwrap();
    let mut args = probe_args(&project, &cluster.kubeconfig, "concise");
    args.extend(["--timeout".to_string(), "3".to_string()]);
    let started = std::time::Instant::now();
    let out = skafix(args, home.path()).await;
    let elapsed = started.elapsed();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("within 3s"),
        "{}",
        text(&out.stderr)
    );
    assert!(elapsed < std::time::Duration::from_secs(15), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_exec_output_is_cut_with_a_note() {
    let project = Project::new();
    let sleeper = vec!["sleep".to_string(), "600".to_string()];
    let cluster = FakeCluster::start(vec![pod("web-1", "app:dev", &sleeper, &project.dir)]).await;
    cluster.wait_ready("web-1", 1).await;
    cluster.options.lock().unwrap().flood_exec = Some(40 * 1024 * 1024);
    let home = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = skafix(
        probe_args(&project, &cluster.kubeconfig, "concise"),
        home.path(),
    )
    .await;
    let all = text(&out.stdout) + &text(&out.stderr);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}: {all}",
        started.elapsed()
    );
    assert!(all.len() < 64 * 1024, "{} bytes of output", all.len());
    assert!(all.contains("printed more than 16 MiB"), "{all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_from_the_pod_are_escaped() {
    let project = Project::new();
    let mut argv = project.uvicorn_argv();
    // An argument that would write the clipboard (OSC 52) and clear the screen if printed raw.
    argv.extend([
        "--root-path".to_string(),
        "/x\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\r".to_string(),
    ]);
    let cluster = FakeCluster::start(vec![pod("web-1", "app:dev", &argv, &project.dir)]).await;
    assert_eq!(support::wait_http(&project.socket()).await, "v1");
    let home = tempfile::tempdir().unwrap();
    for format in ["concise", "full"] {
        let out = skafix(
            probe_args(&project, &cluster.kubeconfig, format),
            home.path(),
        )
        .await;
        let shown = stdout_with(&out, 1);
        assert!(
            shown.contains("/x\\x1b]52;c;aGk=\\x07\\x1b[2J\\r"),
            "{format}: {shown}"
        );
        assert!(
            !shown.chars().any(|c| c.is_control() && c != '\n'),
            "{format}: {shown:?}"
        );
        assert!(
            !text(&out.stderr)
                .chars()
                .any(|c| c.is_control() && c != '\n'),
            "{:?}",
            text(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_keeps_the_examined_pods_and_names_the_rest() {
    let project = Project::new();
    let config = project.config();
    let sleeper = vec!["sleep".to_string(), "600".to_string()];
    let cluster = FakeCluster::start(vec![
        pod("web-1", "app:dev", &sleeper, &project.dir),
        pod("web-2", "app:dev", &sleeper, &project.dir),
    ])
    .await;
    cluster.wait_ready("web-1", 1).await;
    cluster.wait_ready("web-2", 1).await;
    cluster.options.lock().unwrap().hang_exec = vec!["web-2".into()];
    let home = tempfile::tempdir().unwrap();
    let mut args = probe_args(&project, &cluster.kubeconfig, "concise");
    args.extend(["--timeout".to_string(), "3".to_string()]);
    let out = skafix(args.clone(), home.path()).await;
    // web-1's findings are reported and the unexamined pod is a finding: exit 1, not 2.
    let stdout = stdout_with(&out, 1);
    assert!(
        stdout.contains(&format!(
            "{config}:5:14: warning: PROBE019 the probe reached its time limit (3s) before it had examined pod web-2 container app; nothing is reported about them\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{config}:5:14: warning: PROBE003 pod web-1 container app: hook `sh -c 'kill -HUP 1'`"
        )),
        "{stdout}"
    );
    assert_eq!(text(&out.stderr), "");

    // When no pod was examined before the deadline, nothing could be probed: exit 2.
    cluster.options.lock().unwrap().hang_exec = vec!["web-1".into(), "web-2".into()];
    let out = skafix(args, home.path()).await;
    let stdout = stdout_with(&out, 2);
    assert!(
        stdout.contains("before it had examined pod web-1 container app, pod web-2 container app;"),
        "{stdout}"
    );
    assert_eq!(
        text(&out.stderr),
        "skafix: error: nothing could be probed: no container of the project's artifacts could be examined (see the findings above)\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_outside_the_project_is_hashed_only_with_allow_outside() {
    let project = Project::new();
    let root = project.dir.parent().unwrap().to_path_buf();
    // The artifact builds from a directory beside the project; the container's copy of its
    // app.py is older than the local one.
    let common = root.join("common");
    let container = root.join("container");
    for dir in [&common, &container] {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(common.join("app.py"), APP_PY).unwrap();
    std::fs::write(container.join("app.py"), "OLD = True\n").unwrap();
    std::fs::write(
        project.dir.join("skaffold.yaml"),
        format!(
            "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      context: ../common\n      sync:\n        manual:\n          - src: \"*.py\"\n            dest: {}\nmanifests:\n  rawYaml:\n    - k8s/deployment.yaml\n",
            container.display()
        ),
    )
    .unwrap();
    let sleeper = vec!["sleep".to_string(), "600".to_string()];
    let cluster = FakeCluster::start(vec![pod("web-1", "app:dev", &sleeper, &container)]).await;
    cluster.wait_ready("web-1", 1).await;
    let home = tempfile::tempdir().unwrap();
    let config = project.config();

    let args = probe_args(&project, &cluster.kubeconfig, "concise");
    let stdout = stdout_with(&skafix(args.clone(), home.path()).await, 1);
    assert_eq!(
        stdout,
        format!(
            "{config}:5:14: error: SCHEMA011 context `{}` of artifact `app` leads outside the checked project; it is not read, so its synced files are not compared with the containers' (allow it with --allow-outside)\nFound 1 error in 1 file (1 file checked).\n",
            common.display()
        )
    );

    let mut allowed = args;
    allowed.extend(["--allow-outside".to_string(), common.display().to_string()]);
    let stdout = stdout_with(&skafix(allowed, home.path()).await, 1);
    assert!(!stdout.contains("SCHEMA011"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "{config}:5:14: warning: PROBE008 pod web-1 container app: of 1 synced files compared (python3), 1 differ from the local files and 0 are missing: app.py -> {}/app.py",
        container.display())),
        "{stdout}"
    );
}

#[test]
fn concurrency_is_at_least_one() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_skafix"))
        .args(["probe", "--concurrency", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid value '0' for '--concurrency <N>'"),
        "{}",
        text(&out.stderr)
    );
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_skafix"))
        .args(["probe", "--help"])
        .output()
        .unwrap();
    assert!(
        text(&help.stdout).contains("--concurrency <N>"),
        "{}",
        text(&help.stdout)
    );
}
