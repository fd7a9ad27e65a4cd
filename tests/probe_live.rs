//! `skafix probe` against real servers (uvicorn, gunicorn, flask from PyPI at pinned versions)
//! running as real process trees in their own PID namespaces behind the test API server. The
//! probe's conclusions are asserted, and for each signal finding the hook is really sent
//! through exec and the predicted outcome observed.

mod support;

use skafix::probe::{self, ProbeReport, ProbeRequest, ProbeTarget, SyncRule};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{profiles, FakeCluster, PodSpec};

const APP_PY: &str = r#"VERSION = "v1"


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": VERSION.encode()})


def wsgi(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [VERSION.encode()]
"#;

const FLASK_PY: &str = r#"from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "v1"
"#;

struct App {
    dir: PathBuf,
}

impl App {
    fn new(root: &Path, name: &str) -> App {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("app.py"), APP_PY).unwrap();
        std::fs::write(dir.join("flask_app.py"), FLASK_PY).unwrap();
        App { dir }
    }
    fn sock(&self) -> PathBuf {
        self.dir.join("s.sock")
    }
    fn set_version(&self, v: &str) {
        std::fs::write(
            self.dir.join("app.py"),
            APP_PY.replace("\"v1\"", &format!("\"{v}\"")),
        )
        .unwrap();
    }
}

fn bin(name: &str) -> String {
    support::venv().join("bin").join(name).display().to_string()
}

fn uvicorn(app: &App, extra: &[&str]) -> Vec<String> {
    let mut argv = vec![
        bin("python"),
        bin("uvicorn"),
        "app:app".into(),
        "--uds".into(),
        app.sock().display().to_string(),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    argv
}

fn gunicorn(app: &App, extra: &[&str]) -> Vec<String> {
    let mut argv = vec![
        bin("python"),
        bin("gunicorn"),
        "app:wsgi".into(),
        "-b".into(),
        format!("unix:{}", app.sock().display()),
    ];
    argv.extend(extra.iter().map(|s| s.to_string()));
    argv
}

fn pod(name: &str, argv: Vec<String>, app: &App, tools: &[&str]) -> PodSpec {
    let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut spec = PodSpec::new(name, &format!("{name}:dev"), &refs, &app.dir, tools);
    spec.env = vec![("PYTHONDONTWRITEBYTECODE".into(), "1".into())];
    spec
}

fn target(name: &str, app: &App, hooks: &[&[&str]]) -> ProbeTarget {
    ProbeTarget {
        image: name.into(),
        config_path: "skaffold.yaml".into(),
        context_dir: app.dir.clone(),
        sync_dests: vec![app.dir.display().to_string()],
        hooks: hooks
            .iter()
            .map(|h| h.iter().map(|s| s.to_string()).collect())
            .collect(),
        ..ProbeTarget::default()
    }
}

fn request(cluster: &FakeCluster, targets: Vec<ProbeTarget>) -> ProbeRequest {
    let mut req = ProbeRequest::new(targets);
    req.kubeconfig = Some(cluster.kubeconfig.clone());
    req.exec_timeout = Duration::from_secs(30);
    req
}

/// `(code, message)` of the diagnostics for one artifact, in report order.
fn codes(report: &ProbeReport, image: &str) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .filter(|d| d.artifact.as_deref() == Some(image))
        .map(|d| d.code.to_string())
        .collect()
}

fn message<'a>(report: &'a ProbeReport, image: &str, code: &str) -> &'a str {
    &report
        .diagnostics
        .iter()
        .find(|d| d.artifact.as_deref() == Some(image) && d.code == code)
        .unwrap_or_else(|| panic!("{image}: no {code} in {:#?}", report.diagnostics))
        .message
}

async fn exec_hook(cluster: &FakeCluster, pod: &str, hook: &[&str]) -> i32 {
    let (_, _, status) = support::kube_exec(cluster, pod, hook).await;
    match status {
        None => 0,
        Some(s) if s.status.as_deref() == Some("Success") => 0,
        Some(s) => s.details.unwrap().causes.unwrap()[0]
            .message
            .as_deref()
            .unwrap()
            .parse()
            .unwrap(),
    }
}

fn children_of_init(cluster: &FakeCluster, pod: &str) -> Vec<u32> {
    let mut d = support::descendants(cluster.init_pid(pod).unwrap());
    d.sort();
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uvicorn_shell_and_init_wrappers() {
    let root = tempfile::tempdir().unwrap();
    let plain = App::new(root.path(), "uv-plain");
    let reload = App::new(root.path(), "uv-reload");
    let workers = App::new(root.path(), "uv-workers");
    let tini = App::new(root.path(), "tini-uv");
    let dumb = App::new(root.path(), "dumb-uv");
    let shflask = App::new(root.path(), "sh-flask");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut tini_argv = vec!["/usr/bin/tini".to_string(), "--".to_string()];
    tini_argv.extend(uvicorn(&tini, &[]));
    let mut dumb_argv = vec!["/usr/bin/dumb-init".to_string()];
    dumb_argv.extend(uvicorn(&dumb, &[]));
    let flask_line = format!(
        "cd {} && {} --app flask_app run --debug --port {port}",
        shflask.dir.display(),
        bin("flask")
    );
    let cluster = FakeCluster::start(vec![
        pod(
            "uv-plain",
            uvicorn(&plain, &[]),
            &plain,
            profiles::DEBIAN_FULL,
        ),
        pod(
            "uv-reload",
            uvicorn(
                &reload,
                &[
                    "--reload",
                    "--reload-dir",
                    &reload.dir.display().to_string(),
                ],
            ),
            &reload,
            profiles::DEBIAN_FULL,
        ),
        pod(
            "uv-workers",
            uvicorn(&workers, &["--workers", "2"]),
            &workers,
            profiles::DEBIAN_FULL,
        ),
        pod("tini-uv", tini_argv, &tini, profiles::DEBIAN_FULL),
        pod("dumb-uv", dumb_argv, &dumb, profiles::DEBIAN_FULL),
        pod(
            "sh-flask",
            vec!["/bin/sh".into(), "-c".into(), flask_line],
            &shflask,
            profiles::DEBIAN_FULL,
        ),
    ])
    .await;
    for app in [&plain, &reload, &workers, &tini, &dumb] {
        support::wait_http(&app.sock()).await;
    }
    cluster.wait_ready("uv-workers", 4).await;
    cluster.wait_ready("uv-reload", 3).await;
    cluster.wait_ready("sh-flask", 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // Local files for the drift check: one changed, one not synced yet.
    let local = root.path().join("local");
    std::fs::create_dir_all(&local).unwrap();
    std::fs::write(local.join("app.py"), APP_PY.replace("\"v1\"", "\"v2\"")).unwrap();
    std::fs::write(local.join("flask_app.py"), FLASK_PY).unwrap();
    std::fs::write(local.join("new.py"), "x = 1\n").unwrap();
    let mut plain_target = target("uv-plain", &plain, &[&["kill", "-HUP", "1"]]);
    plain_target.context_dir = local.clone();
    plain_target.sync_rules = vec![SyncRule {
        src: "*.py".into(),
        dest: plain.dir.display().to_string(),
        strip: String::new(),
    }];

    let req = request(
        &cluster,
        vec![
            plain_target,
            target(
                "uv-reload",
                &reload,
                &[&["sh", "-c", "pkill -HUP -f uvicorn"]],
            ),
            target("uv-workers", &workers, &[&["kill", "-HUP", "1"]]),
            target("tini-uv", &tini, &[&["kill", "-HUP", "1"]]),
            target("dumb-uv", &dumb, &[&["kill", "1"]]),
            target("sh-flask", &shflask, &[&["kill", "1"]]),
        ],
    );
    let report = probe::run_async(&req).await.expect("probe runs");
    assert_eq!(report.namespace, "dev");
    assert_eq!(report.probed, 6);
    assert!(report.pods.iter().all(|p| p.facts.list_method.is_some()));

    // uvicorn as PID 1 ignores HUP, does not reload, and one synced file differs, one is missing.
    assert_eq!(
        codes(&report, "uv-plain"),
        ["PROBE003", "PROBE002", "PROBE008"]
    );
    assert!(message(&report, "uv-plain", "PROBE003").contains("sends SIGHUP to PID 1 `"));
    assert!(message(&report, "uv-plain", "PROBE002")
        .contains("no --reload flag, no UVICORN_RELOAD, no reload child"));
    let drift = message(&report, "uv-plain", "PROBE008");
    // The python lister hashed them in the same exec as the process listing.
    assert!(
        drift.contains(
            "of 3 synced files compared (python3), 1 differ from the local files and 1 are missing"
        ),
        "{drift}"
    );
    assert!(
        drift.contains("new.py -> ") && drift.contains("(missing)"),
        "{drift}"
    );
    // pkill -f uvicorn in sh -c: matches its own shell, and PID 1 (the supervisor) ignores HUP.
    assert_eq!(codes(&report, "uv-reload"), ["PROBE017", "PROBE003"]);
    // --workers 2: HUP reloads code; nothing to report.
    assert_eq!(codes(&report, "uv-workers"), Vec::<String>::new());
    // tini forwards HUP to uvicorn, which dies; tini exits and the container restarts.
    assert_eq!(codes(&report, "tini-uv"), ["PROBE004", "PROBE002"]);
    assert!(message(&report, "tini-uv", "PROBE004").contains(", which forwards it to PID "));
    assert_eq!(codes(&report, "dumb-uv"), ["PROBE004", "PROBE002"]);
    // dash as PID 1 catches no TERM: `kill 1` does nothing; flask --debug reloads.
    assert_eq!(codes(&report, "sh-flask"), ["PROBE003"]);
    let flask_steps = &report
        .pods
        .iter()
        .find(|p| p.pod == "sh-flask")
        .unwrap()
        .steps;
    assert_eq!(
        flask_steps,
        &vec![
            "Replace the signal hook: run the server in reload mode instead of signalling PID 1"
                .to_string()
        ]
    );

    // Now really send each hook and observe what the probe predicted.
    let before = (
        cluster.init_pid("uv-plain"),
        children_of_init(&cluster, "uv-plain"),
    );
    assert_eq!(
        exec_hook(&cluster, "uv-plain", &["kill", "-HUP", "1"]).await,
        0
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        (
            cluster.init_pid("uv-plain"),
            children_of_init(&cluster, "uv-plain")
        ),
        before
    );
    assert_eq!(cluster.restart_count("uv-plain"), 0);
    assert_eq!(
        support::http_get_unix(&plain.sock()).await.as_deref(),
        Some("v1")
    );

    // The hook's shell is killed by its own pkill (exit 128+1); the supervisor lives on.
    let before = cluster.init_pid("uv-reload");
    assert_eq!(
        exec_hook(
            &cluster,
            "uv-reload",
            &["sh", "-c", "pkill -HUP -f uvicorn"]
        )
        .await,
        129
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(cluster.init_pid("uv-reload"), before);
    assert_eq!(cluster.restart_count("uv-reload"), 0);

    let old_workers = children_of_init(&cluster, "uv-workers");
    workers.set_version("v2");
    assert_eq!(
        exec_hook(&cluster, "uv-workers", &["kill", "-HUP", "1"]).await,
        0
    );
    let mut served = String::new();
    for _ in 0..150 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        served = support::http_get_unix(&workers.sock())
            .await
            .unwrap_or_default();
        if served == "v2" {
            break;
        }
    }
    assert_eq!(served, "v2", "HUP made the workers load the new code");
    assert_ne!(children_of_init(&cluster, "uv-workers"), old_workers);
    assert_eq!(cluster.restart_count("uv-workers"), 0);

    for (pod, hook) in [
        ("tini-uv", &["kill", "-HUP", "1"][..]),
        ("dumb-uv", &["kill", "1"][..]),
    ] {
        let _ = exec_hook(&cluster, pod, hook).await;
        let mut restarted = false;
        for _ in 0..300 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if cluster.restart_count(pod) == 1 {
                restarted = true;
                break;
            }
        }
        assert!(restarted, "{pod}: PID 1 exited and the container restarted");
    }

    let before = (
        cluster.init_pid("sh-flask"),
        children_of_init(&cluster, "sh-flask"),
    );
    assert_eq!(exec_hook(&cluster, "sh-flask", &["kill", "1"]).await, 0);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        (
            cluster.init_pid("sh-flask"),
            children_of_init(&cluster, "sh-flask")
        ),
        before
    );

    // After the restart the probe reports it, with the last exit code.
    let report = probe::run_async(&request(&cluster, vec![target("tini-uv", &tini, &[])]))
        .await
        .unwrap();
    let restarted = message(&report, "tini-uv", "PROBE010");
    assert!(
        restarted.contains("restarted 1 time(s) (last exit code 129"),
        "{restarted}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gunicorn_plain_reload_and_preload() {
    let root = tempfile::tempdir().unwrap();
    let plain = App::new(root.path(), "gu-plain");
    let reload = App::new(root.path(), "gu-reload");
    let preload = App::new(root.path(), "gu-preload");
    // Reload switched on only in the config file gunicorn reads from its cwd.
    let conf = App::new(root.path(), "gu-conf");
    std::fs::write(
        conf.dir.join("gunicorn.conf.py"),
        "workers = 1\nreload = True\n",
    )
    .unwrap();
    let cluster = FakeCluster::start(vec![
        pod(
            "gu-plain",
            gunicorn(&plain, &["-w", "2"]),
            &plain,
            profiles::DEBIAN_FULL,
        ),
        pod(
            "gu-reload",
            gunicorn(&reload, &["--reload"]),
            &reload,
            profiles::DEBIAN_FULL,
        ),
        pod(
            "gu-preload",
            gunicorn(&preload, &["--preload", "-w", "2"]),
            &preload,
            profiles::DEBIAN_FULL,
        ),
        pod(
            "gu-conf",
            gunicorn(&conf, &[]),
            &conf,
            profiles::DEBIAN_FULL,
        ),
    ])
    .await;
    for app in [&plain, &reload, &preload, &conf] {
        support::wait_http(&app.sock()).await;
    }
    cluster.wait_ready("gu-plain", 3).await;
    cluster.wait_ready("gu-preload", 3).await;
    let req = request(
        &cluster,
        vec![
            target("gu-plain", &plain, &[&["kill", "-HUP", "1"]]),
            target("gu-reload", &reload, &[]),
            target("gu-preload", &preload, &[&["kill", "-HUP", "1"]]),
            target("gu-conf", &conf, &[]),
        ],
    );
    let report = probe::run_async(&req).await.unwrap();
    assert_eq!(codes(&report, "gu-plain"), Vec::<String>::new());
    assert_eq!(codes(&report, "gu-reload"), Vec::<String>::new());
    assert_eq!(codes(&report, "gu-conf"), Vec::<String>::new());
    let conf_master = &report
        .pods
        .iter()
        .find(|p| p.pod == "gu-conf")
        .unwrap()
        .facts
        .processes[0];
    assert_eq!(
        conf_master.config,
        Some(probe::ServerConfig {
            path: conf.dir.join("gunicorn.conf.py").display().to_string(),
            reload: true,
            preload: false
        })
    );
    // --preload: HUP replaces workers with the old code, so nothing loads synced changes.
    assert_eq!(codes(&report, "gu-preload"), ["PROBE006", "PROBE002"]);

    // The same conclusions when the server picks the v4 channel protocol.
    cluster.options.lock().unwrap().prefer_v4 = true;
    let v4 = probe::run_async(&req).await.unwrap();
    cluster.options.lock().unwrap().prefer_v4 = false;
    let all = |r: &ProbeReport| {
        r.diagnostics
            .iter()
            .map(|d| d.message.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(all(&v4), all(&report));

    for (app, pod, expect) in [(&plain, "gu-plain", "v2"), (&preload, "gu-preload", "v1")] {
        let old = children_of_init(&cluster, pod);
        app.set_version("v2");
        assert_eq!(exec_hook(&cluster, pod, &["kill", "-HUP", "1"]).await, 0);
        let mut changed = false;
        for _ in 0..150 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = children_of_init(&cluster, pod);
            if now.len() == old.len() && now.iter().all(|p| !old.contains(p)) {
                changed = true;
                break;
            }
        }
        assert!(changed, "{pod}: HUP replaced the workers");
        assert_eq!(
            support::http_get_unix(&app.sock()).await.as_deref(),
            Some(expect),
            "{pod}"
        );
        assert_eq!(cluster.restart_count(pod), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minimal_images_users_and_errors() {
    let root = tempfile::tempdir().unwrap();
    let slim = App::new(root.path(), "slim");
    let distroless = App::new(root.path(), "distroless");
    let bb = App::new(root.path(), "bb");
    let psonly = App::new(root.path(), "psonly");
    let scratch = App::new(root.path(), "scratch");
    let nobody = App::new(root.path(), "nobody");
    let envreload = App::new(root.path(), "uv-env");
    let secret = App::new(root.path(), "uv-secret");
    let narrow = App::new(root.path(), "uv-narrow");
    std::fs::create_dir_all(narrow.dir.join("sub")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    for d in [root.path(), &nobody.dir] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    // A non-root user in an image without python: the shell lister runs as that user.
    let mut nobody_pod = pod(
        "nobody",
        vec!["sleep".into(), "600".into()],
        &nobody,
        profiles::DEBIAN_NO_PYTHON,
    );
    nobody_pod.user = Some(65534);
    let cluster = FakeCluster::start(vec![
        pod("slim", uvicorn(&slim, &[]), &slim, profiles::DEBIAN_SLIM),
        pod(
            "distroless",
            uvicorn(&distroless, &["--reload"]),
            &distroless,
            profiles::DISTROLESS,
        ),
        pod("bb", uvicorn(&bb, &[]), &bb, profiles::BUSYBOX),
        pod("psonly", uvicorn(&psonly, &[]), &psonly, profiles::PS_ONLY),
        pod(
            "scratch",
            uvicorn(&scratch, &[]),
            &scratch,
            profiles::SCRATCH,
        ),
        nobody_pod,
        {
            let mut p = pod(
                "uv-env",
                uvicorn(&envreload, &[]),
                &envreload,
                profiles::DEBIAN_FULL,
            );
            p.env.push(("UVICORN_RELOAD".into(), "true".into()));
            p
        },
        pod(
            "uv-secret",
            uvicorn(&secret, &["--ssl-keyfile-password", "hunter2"]),
            &secret,
            profiles::DEBIAN_FULL,
        ),
        {
            // What the API shows about the pod: a Telepresence agent, a DevSpace helper and
            // a hostPath volume over the sync destination.
            let mut p = pod("intercepted", vec!["sleep".into(), "600".into()], &slim, profiles::DEBIAN_FULL);
            p.sidecars = vec![
                serde_json::json!({"name": "traffic-agent", "image": "docker.io/datawire/tel2:2.19.0"}),
                serde_json::json!({"name": "helper", "image": "busybox", "command": ["/.devspace/devspace-restart-helper", "sleep"]}),
            ];
            p.volumes = vec![serde_json::json!({"name": "src", "hostPath": {"path": "/home/dev/src"}})];
            p.mounts = vec![serde_json::json!({"name": "src", "mountPath": slim.dir.display().to_string()})];
            p
        },
        pod(
            "uv-narrow",
            uvicorn(&narrow, &["--reload", "--reload-dir", "sub"]),
            &narrow,
            profiles::DEBIAN_FULL,
        ),
    ])
    .await;
    for app in [
        &slim,
        &distroless,
        &bb,
        &psonly,
        &scratch,
        &envreload,
        &secret,
        &narrow,
    ] {
        support::wait_http(&app.sock()).await;
    }
    cluster.wait_ready("nobody", 1).await;
    let mut req = request(
        &cluster,
        vec![
            target("slim", &slim, &[&["pkill", "-HUP", "-f", "uvicorn"]]),
            target("distroless", &distroless, &[&["sh", "-c", "kill -HUP 1"]]),
            target("bb", &bb, &[]),
            target("psonly", &psonly, &[]),
            target("scratch", &scratch, &[]),
            target("nobody", &nobody, &[]),
            target("absent", &slim, &[]),
            target("uv-env", &envreload, &[]),
            target("uv-secret", &secret, &[]),
            target("intercepted", &slim, &[]),
            {
                let mut t = target("uv-narrow", &narrow, &[]);
                t.sync_dests = vec![narrow.dir.join("other").display().to_string()];
                t
            },
        ],
    );
    req.concurrency = 3;
    let report = tokio::task::spawn_blocking(move || probe::run(&req))
        .await
        .unwrap()
        .unwrap();
    let method = |pod: &str| {
        report
            .pods
            .iter()
            .find(|p| p.pod == pod)
            .unwrap()
            .facts
            .list_method
    };
    use skafix::probe::ListMethod;
    assert_eq!(method("slim"), Some(ListMethod::Python));
    assert_eq!(method("distroless"), Some(ListMethod::Python));
    assert_eq!(method("bb"), Some(ListMethod::Shell));
    assert_eq!(method("psonly"), Some(ListMethod::Ps));
    assert_eq!(method("scratch"), None);
    assert_eq!(report.probed, 9);
    assert_eq!(report.pods.len(), 10);

    assert_eq!(codes(&report, "slim"), ["PROBE007", "PROBE002"]);
    assert_eq!(
        message(&report, "slim", "PROBE007"),
        "pod slim container app: the image has no `pkill`, but hook `pkill -HUP -f uvicorn` runs it"
    );
    assert_eq!(codes(&report, "distroless"), ["PROBE007", "PROBE007"]);
    assert!(message(&report, "distroless", "PROBE007").contains("no `tar`"));
    // busybox: the shell lister still sees that PID 1 is uvicorn and not reloading.
    assert_eq!(codes(&report, "bb"), ["PROBE002"]);
    let bb_pid1 = report
        .pods
        .iter()
        .find(|p| p.pod == "bb")
        .unwrap()
        .facts
        .processes
        .iter()
        .find(|p| p.pid == 1)
        .unwrap()
        .clone();
    assert_eq!(bb_pid1.argv, uvicorn(&bb, &[]));
    assert_eq!(codes(&report, "psonly"), ["PROBE002"]);
    assert_eq!(codes(&report, "scratch"), ["PROBE015"]);
    assert!(message(&report, "scratch", "PROBE015").contains("no `sh`; no `python3`; no `ps`"));
    assert_eq!(codes(&report, "nobody"), ["PROBE009"]);
    assert!(message(&report, "nobody", "PROBE009").contains("is not writable by uid 65534"));
    assert_eq!(method("nobody"), Some(ListMethod::Shell));
    assert_eq!(codes(&report, "absent"), ["PROBE001"]);
    assert!(message(&report, "absent", "PROBE001").contains("run other images: "));

    // UVICORN_RELOAD=true switches reload on without a flag; only reload switches are kept.
    assert_eq!(codes(&report, "uv-env"), Vec::<String>::new());
    let env_pid1 = report
        .pods
        .iter()
        .find(|p| p.pod == "uv-env")
        .unwrap()
        .facts
        .processes[0]
        .clone();
    assert_eq!(env_pid1.pid, 1);
    assert_eq!(
        env_pid1.env,
        vec![("UVICORN_RELOAD".to_string(), "true".to_string())]
    );
    // A secret-looking argument never reaches the output.
    assert_eq!(codes(&report, "uv-secret"), ["PROBE002"]);
    assert!(message(&report, "uv-secret", "PROBE002").contains("--ssl-keyfile-password ***`"));
    let everything = format!(
        "{:?} {}",
        report.diagnostics,
        serde_json::to_string(&report.pods).unwrap()
    );
    assert!(everything.contains("--ssl-keyfile-password"));
    assert!(!everything.contains("hunter2"));

    assert_eq!(
        codes(&report, "intercepted"),
        ["PROBE011", "PROBE012", "PROBE013"]
    );
    assert_eq!(
        message(&report, "intercepted", "PROBE011"),
        "pod intercepted container app: pod intercepted runs a Telepresence traffic agent traffic-agent (docker.io/datawire/tel2:2.19.0); intercepted requests go to a workstation, not to this container"
    );
    assert_eq!(
        message(&report, "intercepted", "PROBE013"),
        format!(
            "pod intercepted container app: hostPath volume src (/home/dev/src) is mounted at {}; it covers a sync destination, so synced files land in the node's directory",
            slim.dir.display()
        )
    );

    // A relative --reload-dir is taken against the cwd; the sync dest is outside it.
    assert_eq!(codes(&report, "uv-narrow"), ["PROBE002"]);
    assert_eq!(
        message(&report, "uv-narrow", "PROBE002"),
        format!(
            "pod uv-narrow container app: uvicorn (PID 1) reloads only on changes under {0}/sub, but files are synced to {0}/other; those changes are never loaded",
            narrow.dir.display()
        )
    );

    // --selector narrows the pods; the others are reported as not found, with the reason.
    let mut narrowed = request(
        &cluster,
        vec![target("slim", &slim, &[]), target("bb", &bb, &[])],
    );
    narrowed.selector = Some("app=slim".into());
    let report = probe::run_async(&narrowed).await.unwrap();
    assert_eq!(report.pods.len(), 1);
    assert_eq!(
        message(&report, "bb", "PROBE001"),
        "no running container uses image `bb`: 1 pod(s) in namespace dev with selector app=slim run other images: slim:dev"
    );

    cluster.options.lock().unwrap().forbid_exec = true;
    let report = probe::run_async(&request(&cluster, vec![target("slim", &slim, &[])]))
        .await
        .unwrap();
    assert!(report.nothing_probed());
    assert_eq!(codes(&report, "slim"), ["PROBE019", "PROBE015"]);
    assert!(message(&report, "slim", "PROBE019").starts_with(
        "pod slim container app: exec forbidden by RBAC: pods \"slim\" is forbidden: User \"dev\" cannot get resource \"pods/exec\""
    ));
    assert!(message(&report, "slim", "PROBE019")
        .ends_with("get and create on pods/exec (create is required from Kubernetes 1.35)"));
    cluster.options.lock().unwrap().forbid_exec = false;

    cluster.options.lock().unwrap().forbid_list = true;
    let err = probe::run_async(&request(&cluster, vec![target("slim", &slim, &[])]))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("list and get on pods, and get and create on pods/exec"),
        "{err}"
    );

    let mut bad = request(&cluster, vec![]);
    bad.kubeconfig = Some(root.path().join("missing-kubeconfig"));
    assert!(matches!(
        probe::run_async(&bad).await,
        Err(probe::ProbeError::NoConfig(_))
    ));

    // A cluster that is not there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = root.path().join("dead-kubeconfig");
    let text = std::fs::read_to_string(&cluster.kubeconfig).unwrap();
    std::fs::write(
        &dead,
        text.replace(&cluster.addr.port().to_string(), &port.to_string()),
    )
    .unwrap();
    let mut unreachable = request(&cluster, vec![]);
    unreachable.kubeconfig = Some(dead);
    assert!(matches!(
        probe::run_async(&unreachable).await,
        Err(probe::ProbeError::Unreachable(_))
    ));
}
