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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_uvicorn_with_a_hup_hook_is_reported_with_steps() {
    let project = Project::new();
    let cluster = FakeCluster::start(vec![pod(
        "web-1",
        "app:dev",
        &project.uvicorn_argv(),
        &project.dir,
    )])
    .await;
    support::wait_http(&project.socket()).await;
    let home = tempfile::tempdir().unwrap();

    let out = skafix(probe_args(&project, &cluster.kubeconfig, "concise"), home.path()).await;
    println!("{}\n{}", text(&out.stdout), text(&out.stderr));
    let out = skafix(probe_args(&project, &cluster.kubeconfig, "full"), home.path()).await;
    println!("{}\n{}", text(&out.stdout), text(&out.stderr));
    let out = skafix(probe_args(&project, &cluster.kubeconfig, "json"), home.path()).await;
    println!("{}\n{}", text(&out.stdout), text(&out.stderr));
    panic!("{}", project.config());
}
