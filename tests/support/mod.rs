//! Test-only support for the live probe: a protocol-faithful Kubernetes API server (discovery,
//! pods get/list, exec over websocket with the v5 and v4 channel protocols, real status frames
//! and close handshake) whose pods are real process trees, each in its own PID and mount
//! namespace (`unshare --pid --fork --mount-proc`), with execs run inside them via `nsenter`.
//! Image contents are emulated by a per-pod directory of allowed tools used as PATH.

#![allow(dead_code)]

use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

pub const NAMESPACE: &str = "dev";

/// The Python venv made by tests/support/setup-probe-deps.sh.
pub fn venv() -> PathBuf {
    let dir = std::env::var_os("SKAFIX_PROBE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/target/probe-venv"))
        });
    assert!(
        dir.join("bin/python").exists(),
        "the probe tests need the venv at {}: run tests/support/setup-probe-deps.sh first",
        dir.display()
    );
    dir
}

/// Tool sets emulating images: names resolved on the host and linked into the pod's PATH dir.
pub mod profiles {
    pub const DEBIAN_FULL: &[&str] = &[
        "sh",
        "cat",
        "tar",
        "ps",
        "pkill",
        "pgrep",
        "kill",
        "sha256sum",
        "python3",
        "readlink",
        "head",
        "sleep",
        "ls",
        "id",
        "true",
    ];
    /// A Debian image without python.
    pub const DEBIAN_NO_PYTHON: &[&str] = &[
        "sh",
        "cat",
        "tar",
        "ps",
        "pkill",
        "pgrep",
        "kill",
        "sha256sum",
        "readlink",
        "head",
        "sleep",
        "ls",
        "id",
        "true",
    ];
    /// python:*-slim: no procps (ps, pkill, pgrep, kill).
    pub const DEBIAN_SLIM: &[&str] = &["sh", "cat", "tar", "sha256sum", "python3", "ls"];
    /// distroless python: the interpreter only.
    pub const DISTROLESS: &[&str] = &["python3"];
    /// busybox applets, no python.
    pub const BUSYBOX: &[&str] = &[
        "busybox:sh",
        "busybox:ps",
        "busybox:cat",
        "busybox:tar",
        "busybox:kill",
        "busybox:sha256sum",
    ];
    /// busybox ps only: no shell, no python.
    pub const PS_ONLY: &[&str] = &["busybox:ps", "busybox:cat"];
    pub const SCRATCH: &[&str] = &[];
}

/// A fake pod's main container.
#[derive(Clone, Debug)]
pub struct PodSpec {
    pub name: String,
    pub image: String,
    pub labels: BTreeMap<String, String>,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: PathBuf,
    pub tools: Vec<String>,
    /// Run the container (and execs) as this uid/gid instead of root.
    pub user: Option<u32>,
    /// Extra pod-spec content shown by the API only (sidecars, volumes, mounts of `app`).
    pub sidecars: Vec<Value>,
    pub volumes: Vec<Value>,
    pub mounts: Vec<Value>,
}

impl PodSpec {
    pub fn new(name: &str, image: &str, argv: &[&str], cwd: &Path, tools: &[&str]) -> Self {
        PodSpec {
            name: name.into(),
            image: image.into(),
            labels: BTreeMap::from([("app".to_string(), name.to_string())]),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
            cwd: cwd.to_path_buf(),
            tools: tools.iter().map(|s| s.to_string()).collect(),
            user: None,
            sidecars: Vec::new(),
            volumes: Vec::new(),
            mounts: Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct PodState {
    pub spec: PodSpec,
    pub bin_dir: PathBuf,
    /// Host PID of the namespace's PID 1 (the unshare child), while running.
    pub init_pid: Option<u32>,
    pub restart_count: i32,
    pub last_exit: Option<i32>,
    pub started: u64,
}

#[derive(Default)]
pub struct Options {
    pub forbid_exec: bool,
    pub forbid_list: bool,
    /// Pick v4.channel.k8s.io even when v5 is offered.
    pub prefer_v4: bool,
    /// Accept pod list requests and never answer them (a stuck API server).
    pub hang_list: bool,
    /// Answer every exec with this many bytes of stdout (a container printing without end)
    /// instead of running the command.
    pub flood_exec: Option<usize>,
    /// Hold every exec request this long before answering it: the round trips through the
    /// API server and the kubelet of a remote cluster.
    pub exec_latency: Option<Duration>,
    /// Pods whose execs are accepted and then never answered (a hung container runtime).
    pub hang_exec: Vec<String>,
}

pub struct FakeCluster {
    pub addr: std::net::SocketAddr,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub pods: Arc<Mutex<Vec<PodState>>>,
    pub log: Arc<Mutex<Vec<String>>>,
    pub options: Arc<Mutex<Options>>,
    shutdown: Arc<std::sync::atomic::AtomicBool>,
}

fn host_path_of(tool: &str) -> Option<PathBuf> {
    if tool == "python3" {
        return Some(venv().join("bin/python3"));
    }
    std::env::var("PATH").ok()?.split(':').find_map(|d| {
        let p = Path::new(d).join(tool);
        p.is_file().then_some(p)
    })
}

impl FakeCluster {
    pub async fn start(pods: Vec<PodSpec>) -> FakeCluster {
        let dir = tempfile::tempdir().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{addr}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: dev\n    namespace: {NAMESPACE}\ncurrent-context: fake\nusers:\n- name: dev\n  user:\n    token: not-a-real-token\n"
            ),
        )
        .unwrap();
        let cluster = FakeCluster {
            addr,
            dir,
            kubeconfig,
            pods: Arc::new(Mutex::new(Vec::new())),
            log: Arc::new(Mutex::new(Vec::new())),
            options: Arc::new(Mutex::new(Options::default())),
            shutdown: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        };
        for spec in pods {
            cluster.add_pod(spec);
        }
        let state = Shared {
            pods: cluster.pods.clone(),
            log: cluster.log.clone(),
            options: cluster.options.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(handle(state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                });
            }
        });
        cluster
    }

    fn add_pod(&self, spec: PodSpec) {
        let bin_dir = self.dir.path().join("images").join(&spec.name);
        std::fs::create_dir_all(&bin_dir).unwrap();
        for tool in &spec.tools {
            let (target, name) = match tool.split_once(':') {
                Some((bb, applet)) => (host_path_of(bb), applet.to_string()),
                None => (host_path_of(tool), tool.clone()),
            };
            let target =
                target.unwrap_or_else(|| panic!("{tool} is not installed on this machine"));
            std::os::unix::fs::symlink(target, bin_dir.join(name)).unwrap();
        }
        let mut pods = self.pods.lock().unwrap();
        pods.push(PodState {
            spec,
            bin_dir,
            init_pid: None,
            restart_count: 0,
            last_exit: None,
            started: 0,
        });
        let index = pods.len() - 1;
        drop(pods);
        supervise(self.pods.clone(), index, self.shutdown.clone());
    }

    /// Waits until pod `name` runs at least `min` processes (its tree is up).
    pub async fn wait_ready(&self, name: &str, min: usize) {
        for _ in 0..300 {
            if let Some(pid) = self.init_pid(name) {
                if descendants(pid).len() + 1 >= min {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("pod {name} did not start {min} processes");
    }

    pub fn init_pid(&self, name: &str) -> Option<u32> {
        self.pods
            .lock()
            .unwrap()
            .iter()
            .find(|p| p.spec.name == name)
            .and_then(|p| p.init_pid)
    }

    pub fn restart_count(&self, name: &str) -> i32 {
        self.pods
            .lock()
            .unwrap()
            .iter()
            .find(|p| p.spec.name == name)
            .map(|p| p.restart_count)
            .unwrap_or(-1)
    }

    /// The program (argv[0]) of every exec into pod `name` so far, in order.
    pub fn execs(&self, name: &str) -> Vec<String> {
        let prefix = format!("GET /api/v1/namespaces/{NAMESPACE}/pods/{name}/exec?");
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter_map(|line| line.strip_prefix(&prefix))
            .filter_map(|query| {
                query_pairs(query)
                    .into_iter()
                    .find(|(k, _)| k == "command")
                    .map(|(_, v)| v)
            })
            .collect()
    }

    pub fn stop(&self) {
        self.shutdown
            .store(true, std::sync::atomic::Ordering::SeqCst);
        for p in self.pods.lock().unwrap().iter() {
            if let Some(pid) = p.init_pid {
                // SIGKILL from the parent namespace ends the whole pod.
                unsafe_kill(pid);
            }
        }
    }
}

impl Drop for FakeCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

fn unsafe_kill(pid: u32) {
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Host PIDs under `pid` (from /proc/PID/task/*/children).
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{p}/task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let Ok(children) = std::fs::read_to_string(t.path().join("children")) else {
                continue;
            };
            for c in children
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok())
            {
                out.push(c);
                todo.push(c);
            }
        }
    }
    out
}

/// The fake kubelet: runs the pod's container, restarts it when PID 1 exits (restartPolicy
/// Always), counting restarts.
fn supervise(
    pods: Arc<Mutex<Vec<PodState>>>,
    index: usize,
    shutdown: Arc<std::sync::atomic::AtomicBool>,
) {
    tokio::spawn(async move {
        loop {
            if shutdown.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            let (spec, bin_dir) = {
                let p = &pods.lock().unwrap()[index];
                (p.spec.clone(), p.bin_dir.clone())
            };
            let mut cmd = tokio::process::Command::new("/usr/bin/unshare");
            // --kill-child: if the test ends abruptly, the pod dies with its unshare.
            cmd.args(["--pid", "--fork", "--mount-proc", "--kill-child", "--"]);
            if let Some(uid) = spec.user {
                cmd.args([
                    "/usr/bin/setpriv",
                    &format!("--reuid={uid}"),
                    &format!("--regid={uid}"),
                    "--clear-groups",
                    "--",
                ]);
            }
            cmd.args(&spec.argv)
                .env_clear()
                .env("PATH", &bin_dir)
                .envs(spec.env.iter().cloned())
                .current_dir(&spec.cwd)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true);
            let mut child = cmd.spawn().expect("unshare");
            let unshare_pid = child.id().unwrap();
            let mut init = None;
            for _ in 0..100 {
                if let Ok(c) = std::fs::read_to_string(format!(
                    "/proc/{unshare_pid}/task/{unshare_pid}/children"
                )) {
                    if let Some(p) = c.split_whitespace().next().and_then(|p| p.parse().ok()) {
                        init = Some(p);
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            {
                let p = &mut pods.lock().unwrap()[index];
                p.init_pid = init;
                p.started = now();
            }
            let status = child.wait().await.ok();
            {
                let p = &mut pods.lock().unwrap()[index];
                p.init_pid = None;
                p.last_exit = status.and_then(|s| {
                    use std::os::unix::process::ExitStatusExt;
                    s.code().or_else(|| s.signal().map(|sig| 128 + sig))
                });
            }
            if shutdown.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            pods.lock().unwrap()[index].restart_count += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[derive(Clone)]
struct Shared {
    pods: Arc<Mutex<Vec<PodState>>>,
    log: Arc<Mutex<Vec<String>>>,
    options: Arc<Mutex<Options>>,
}

type Body = Full<Bytes>;

fn json_response(code: StatusCode, v: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(v.to_string())))
        .unwrap()
}

fn status_error(code: u16, reason: &str, message: &str) -> Response<Body> {
    json_response(
        StatusCode::from_u16(code).unwrap(),
        &json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                "message":message,"reason":reason,"code":code}),
    )
}

fn rfc3339(secs: u64) -> String {
    // Days-from-civil for a UTC timestamp without a date crate.
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn pod_json(p: &PodState) -> Value {
    let running = p.init_pid.is_some();
    let mut status = json!({"name":"app","image":p.spec.image,"imageID":format!("docker-pullable://{}@sha256:{}", p.spec.image.split(':').next().unwrap(), "0".repeat(64)),
        "ready":running,"started":running,"restartCount":p.restart_count,
        "state": if running { json!({"running":{"startedAt":rfc3339(p.started)}}) } else { json!({"waiting":{"reason":"ContainerCreating"}}) }});
    if let Some(code) = p.last_exit {
        status["lastState"] = json!({"terminated":{"exitCode":code,"reason": if code == 0 {"Completed"} else {"Error"},
            "startedAt":rfc3339(p.started),"finishedAt":rfc3339(p.started)}});
    }
    let mut containers = vec![
        json!({"name":"app","image":p.spec.image,"workingDir":p.spec.cwd,"volumeMounts":p.spec.mounts}),
    ];
    containers.extend(p.spec.sidecars.iter().cloned());
    json!({"kind":"Pod","apiVersion":"v1",
        "metadata":{"name":p.spec.name,"namespace":NAMESPACE,"uid":format!("uid-{}",p.spec.name),
            "labels":p.spec.labels,"creationTimestamp":"2026-01-01T00:00:00Z","resourceVersion":"1"},
        "spec":{"containers":containers,"volumes":p.spec.volumes,
            "restartPolicy":"Always","nodeName":"fake-node"},
        "status":{"phase":"Running","podIP":"10.0.0.1","containerStatuses":[status]}})
}

fn selector_matches(selector: &str, labels: &BTreeMap<String, String>) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        if let Some((k, v)) = term.split_once("!=") {
            labels.get(k).map(String::as_str) != Some(v)
        } else if let Some((k, v)) = term.split_once('=') {
            let v = v.trim_start_matches('=');
            labels.get(k).map(String::as_str) == Some(v)
        } else {
            labels.contains_key(term)
        }
    })
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(state: Shared, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    state.log.lock().unwrap().push(format!(
        "{} {}{}{}",
        req.method(),
        path,
        if query.is_empty() { "" } else { "?" },
        query
    ));
    let accept = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["version"] => json_response(
            StatusCode::OK,
            &json!({"major":"1","minor":"32","gitVersion":"v1.32.5","gitCommit":"fake","gitTreeState":"clean",
                "buildDate":"2026-01-01T00:00:00Z","goVersion":"go1.23","compiler":"gc","platform":"linux/amd64"}),
        ),
        ["api"] => json_response(
            StatusCode::OK,
            &json!({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]}),
        ),
        ["apis"] => json_response(
            StatusCode::OK,
            &json!({"kind":"APIGroupList","apiVersion":"v1","groups":[]}),
        ),
        ["api", "v1"] => json_response(
            StatusCode::OK,
            &json!({"kind":"APIResourceList","groupVersion":"v1","resources":[
                {"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["get","list","watch"],"shortNames":["po"]},
                {"name":"pods/exec","singularName":"","namespaced":true,"kind":"PodExecOptions","verbs":["create","get"]}]}),
        ),
        ["api", "v1", "namespaces", ns] => {
            if *ns == NAMESPACE {
                json_response(
                    StatusCode::OK,
                    &json!({"kind":"Namespace","apiVersion":"v1","metadata":{"name":ns},"status":{"phase":"Active"}}),
                )
            } else {
                status_error(404, "NotFound", &format!("namespaces \"{ns}\" not found"))
            }
        }
        ["api", "v1", "namespaces", ns, "pods"] => {
            let hang = state.options.lock().unwrap().hang_list;
            if hang {
                std::future::pending::<()>().await;
            }
            if state.options.lock().unwrap().forbid_list {
                return status_error(403, "Forbidden", &format!("pods is forbidden: User \"dev\" cannot list resource \"pods\" in API group \"\" in the namespace \"{ns}\""));
            }
            let q = query_pairs(&query);
            let label = q
                .iter()
                .find(|(k, _)| k == "labelSelector")
                .map(|(_, v)| v.clone());
            let field = q
                .iter()
                .find(|(k, _)| k == "fieldSelector")
                .map(|(_, v)| v.clone());
            let pods = state.pods.lock().unwrap();
            let items: Vec<Value> = pods
                .iter()
                .filter(|_| *ns == NAMESPACE)
                .filter(|p| {
                    label
                        .as_deref()
                        .is_none_or(|s| selector_matches(s, &p.spec.labels))
                })
                .filter(|_| field.as_deref().is_none_or(|f| f == "status.phase=Running"))
                .map(pod_json)
                .collect();
            if accept.contains("as=Table") {
                let rows: Vec<Value> = items
                    .iter()
                    .map(|p| {
                        let restarts = p["status"]["containerStatuses"][0]["restartCount"].clone();
                        let ready = if p["status"]["containerStatuses"][0]["ready"] == json!(true) { "1/1" } else { "0/1" };
                        json!({"cells":[p["metadata"]["name"], ready, "Running", restarts, "1m"],
                            "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":p["metadata"]}})
                    })
                    .collect();
                return json_response(
                    StatusCode::OK,
                    &json!({"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":{"resourceVersion":"1"},
                        "columnDefinitions":[
                            {"name":"Name","type":"string","format":"name","description":"","priority":0},
                            {"name":"Ready","type":"string","format":"","description":"","priority":0},
                            {"name":"Status","type":"string","format":"","description":"","priority":0},
                            {"name":"Restarts","type":"integer","format":"","description":"","priority":0},
                            {"name":"Age","type":"string","format":"","description":"","priority":0}],
                        "rows":rows}),
                );
            }
            json_response(
                StatusCode::OK,
                &json!({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":items}),
            )
        }
        ["api", "v1", "namespaces", ns, "pods", name] => {
            let pods = state.pods.lock().unwrap();
            match pods
                .iter()
                .find(|p| p.spec.name == *name && *ns == NAMESPACE)
            {
                Some(p) => json_response(StatusCode::OK, &pod_json(p)),
                None => status_error(404, "NotFound", &format!("pods \"{name}\" not found")),
            }
        }
        ["api", "v1", "namespaces", ns, "pods", name, "exec"] => {
            let name = name.to_string();
            let ns = ns.to_string();
            exec(state, req, &ns, &name, &query).await
        }
        _ => status_error(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ),
    }
}

async fn exec(
    state: Shared,
    req: Request<Incoming>,
    ns: &str,
    name: &str,
    query: &str,
) -> Response<Body> {
    let latency = state.options.lock().unwrap().exec_latency;
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    if state.options.lock().unwrap().forbid_exec {
        return status_error(403, "Forbidden", &format!("pods \"{name}\" is forbidden: User \"dev\" cannot get resource \"pods/exec\" in API group \"\" in the namespace \"{ns}\""));
    }
    let (init_pid, bin_dir, cwd, user) = {
        let pods = state.pods.lock().unwrap();
        let Some(p) = pods.iter().find(|p| p.spec.name == name && ns == NAMESPACE) else {
            return status_error(404, "NotFound", &format!("pods \"{name}\" not found"));
        };
        (
            p.init_pid,
            p.bin_dir.clone(),
            p.spec.cwd.clone(),
            p.spec.user,
        )
    };
    let q = query_pairs(query);
    let command: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "command")
        .map(|(_, v)| v.clone())
        .collect();
    let flag = |k: &str| q.iter().any(|(n, v)| n == k && (v == "true" || v == "1"));
    if let Some((_, c)) = q.iter().find(|(k, _)| k == "container") {
        if c != "app" {
            return status_error(
                400,
                "BadRequest",
                &format!("container {c} is not valid for pod {name}"),
            );
        }
    }
    if req.method() == hyper::Method::POST {
        // SPDY is not spoken here; answer as the apiserver answers an unusable upgrade.
        return status_error(
            400,
            "BadRequest",
            "this test server speaks only websocket exec (v5/v4.channel.k8s.io)",
        );
    }
    let Some(init_pid) = init_pid else {
        return status_error(
            400,
            "BadRequest",
            &format!("container app is not running in pod {name}"),
        );
    };
    let Some(key) = req.headers().get("sec-websocket-key").cloned() else {
        return status_error(400, "BadRequest", "exec needs a websocket upgrade");
    };
    let offered: Vec<String> = req
        .headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|s| s.trim().to_string()))
        .collect();
    let prefer_v4 = state.options.lock().unwrap().prefer_v4;
    let protocol = if prefer_v4 && offered.iter().any(|p| p == "v4.channel.k8s.io") {
        Some("v4.channel.k8s.io".to_string())
    } else {
        offered
            .iter()
            .find(|p| *p == "v5.channel.k8s.io" || *p == "v4.channel.k8s.io")
            .cloned()
    };
    let Some(protocol) = protocol else {
        return status_error(
            400,
            "BadRequest",
            "no supported websocket subprotocol offered",
        );
    };
    let accept = derive_accept_key(key.as_bytes());
    let want = (flag("stdin"), flag("stdout"), flag("stderr"));
    let proto = protocol.clone();
    let flood = state.options.lock().unwrap().flood_exec;
    let hang = state
        .options
        .lock()
        .unwrap()
        .hang_exec
        .iter()
        .any(|p| p == name);
    tokio::spawn(async move {
        let Ok(upgraded) = hyper::upgrade::on(req).await else {
            return;
        };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        if hang {
            // The stream stays open and silent until the client gives up.
            let (mut sink, mut stream) = ws.split();
            let _ = sink.send(Message::Binary(vec![1u8].into())).await;
            while let Some(Ok(_)) = stream.next().await {}
            return;
        }
        if let Some(bytes) = flood {
            flood_exec(ws, bytes).await;
            return;
        }
        run_exec(
            ws,
            init_pid,
            &bin_dir,
            &cwd,
            user,
            command,
            want,
            proto == "v5.channel.k8s.io",
        )
        .await;
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Accept", accept)
        .header("Sec-WebSocket-Protocol", protocol)
        .body(Full::new(Bytes::new()))
        .unwrap()
}

/// Sends `bytes` of stdout in 1 MiB frames, then success, as long as the client reads.
async fn flood_exec<S>(ws: WebSocketStream<S>, bytes: usize)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, _stream) = ws.split();
    let _ = sink.send(Message::Binary(vec![1u8].into())).await;
    let mut frame = vec![b'x'; 1024 * 1024 + 1];
    frame[0] = 1;
    let mut sent = 0;
    while sent < bytes {
        if sink
            .send(Message::Binary(frame.clone().into()))
            .await
            .is_err()
        {
            return;
        }
        sent += frame.len() - 1;
    }
    let mut status = vec![3u8];
    status.extend(exit_status_json(0).to_string().into_bytes());
    let _ = sink.send(Message::Binary(status.into())).await;
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        })))
        .await;
}

fn exit_status_json(code: i32) -> Value {
    if code == 0 {
        json!({"metadata":{},"status":"Success"})
    } else {
        json!({"metadata":{},"status":"Failure","message":format!("command terminated with non-zero exit code: error executing command, exit code {code}"),
            "reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":code.to_string()}]}})
    }
}

#[allow(clippy::too_many_arguments)]
async fn run_exec<S>(
    ws: WebSocketStream<S>,
    init_pid: u32,
    bin_dir: &Path,
    cwd: &Path,
    user: Option<u32>,
    command: Vec<String>,
    (want_stdin, want_stdout, want_stderr): (bool, bool, bool),
    v5: bool,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    // "Connection established": an empty message on the lowest writable channel.
    let first = if want_stdout {
        1u8
    } else if want_stderr {
        2
    } else {
        3
    };
    let _ = sink.send(Message::Binary(vec![first].into())).await;

    // Resolve argv[0] the way runc does, against the container's PATH.
    let resolved = command.first().and_then(|c| {
        if c.contains('/') {
            Path::new(c).exists().then(|| PathBuf::from(c))
        } else {
            let p = bin_dir.join(c);
            p.exists().then_some(p)
        }
    });
    let Some(program) = resolved else {
        let c = command.first().cloned().unwrap_or_default();
        let msg = format!("Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \"0123abcd\": OCI runtime exec failed: exec failed: unable to start container process: exec: \"{c}\": executable file not found in $PATH: unknown");
        let status = json!({"metadata":{},"status":"Failure","message":msg,"reason":"InternalError","details":{"causes":[{"message":msg}]},"code":500});
        let mut frame = vec![3u8];
        frame.extend(status.to_string().into_bytes());
        let _ = sink.send(Message::Binary(frame.into())).await;
        let _ = sink
            .send(Message::Close(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            })))
            .await;
        return;
    };
    let mut cmd = tokio::process::Command::new("/usr/bin/nsenter");
    cmd.arg("-t")
        .arg(init_pid.to_string())
        .args(["-p", "-m"])
        .arg(format!("--wd={}", cwd.display()));
    if let Some(uid) = user {
        cmd.arg(format!("--setuid={uid}"))
            .arg(format!("--setgid={uid}"));
    }
    cmd.arg("--")
        .arg(&program)
        .args(&command[1..])
        .env_clear()
        .env("PATH", bin_dir)
        .stdin(if want_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let status = json!({"metadata":{},"status":"Failure","message":e.to_string(),"reason":"InternalError","code":500});
            let mut frame = vec![3u8];
            frame.extend(status.to_string().into_bytes());
            let _ = sink.send(Message::Binary(frame.into())).await;
            return;
        }
    };
    let mut stdin = child.stdin.take();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u8, Vec<u8>)>(16);
    let tx2 = tx.clone();
    let out_task = tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        while let Ok(n) = stdout.read(&mut buf).await {
            if n == 0 {
                break;
            }
            if tx.send((1, buf[..n].to_vec())).await.is_err() {
                break;
            }
        }
    });
    let err_task = tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf).await {
            if n == 0 {
                break;
            }
            if tx2.send((2, buf[..n].to_vec())).await.is_err() {
                break;
            }
        }
    });
    // Client frames: stdin data, the v5 CLOSE signal, pings (answered by tungstenite).
    let in_task = tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            match msg {
                Message::Binary(b) if !b.is_empty() => match b[0] {
                    0 => {
                        if let Some(s) = stdin.as_mut() {
                            let _ = s.write_all(&b[1..]).await;
                        }
                    }
                    255 if v5 && b.get(1) == Some(&0) => {
                        stdin = None;
                    }
                    _ => {}
                },
                Message::Close(_) => break,
                _ => {}
            }
        }
        stream
    });
    while let Some((ch, data)) = rx.recv().await {
        let wanted = (ch == 1 && want_stdout) || (ch == 2 && want_stderr);
        if wanted {
            let mut frame = vec![ch];
            frame.extend(data);
            if sink.send(Message::Binary(frame.into())).await.is_err() {
                break;
            }
        }
    }
    let _ = out_task.await;
    let _ = err_task.await;
    let status = child.wait().await.ok();
    let code = status
        .map(|s| {
            use std::os::unix::process::ExitStatusExt;
            s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))
        })
        .unwrap_or(1);
    let mut frame = vec![3u8];
    frame.extend(exit_status_json(code).to_string().into_bytes());
    let _ = sink.send(Message::Binary(frame.into())).await;
    let _ = sink
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        })))
        .await;
    // Give the client a moment to answer the close before the socket goes away.
    let _ = tokio::time::timeout(Duration::from_secs(2), in_task).await;
}

/// A kube client for the fake cluster.
pub async fn kube_client(cluster: &FakeCluster) -> kube::Client {
    let kc = kube::config::Kubeconfig::read_from(&cluster.kubeconfig).unwrap();
    let config =
        kube::Config::from_custom_kubeconfig(kc, &kube::config::KubeConfigOptions::default())
            .await
            .unwrap();
    kube::Client::try_from(config).unwrap()
}

/// Runs argv in a pod through kube-rs and returns (stdout, stderr, status).
pub async fn kube_exec(
    cluster: &FakeCluster,
    pod: &str,
    argv: &[&str],
) -> (
    Vec<u8>,
    Vec<u8>,
    Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>,
) {
    use k8s_openapi::api::core::v1::Pod;
    let api: kube::Api<Pod> = kube::Api::namespaced(kube_client(cluster).await, NAMESPACE);
    let mut p = api
        .exec(
            pod,
            argv.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            &kube::api::AttachParams::default().container("app"),
        )
        .await
        .expect("exec");
    let mut so = p.stdout().unwrap();
    let mut se = p.stderr().unwrap();
    let status = p.take_status().unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let _ = tokio::join!(so.read_to_end(&mut a), se.read_to_end(&mut b));
    let st = status.await;
    let _ = p.join().await;
    (a, b, st)
}

/// Sends `GET /` over a unix socket and returns the body.
pub async fn http_get_unix(socket: &Path) -> Option<String> {
    let mut s = tokio::net::UnixStream::connect(socket).await.ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: app\r\n\r\n")
        .await
        .ok()?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&out).into_owned();
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// Waits for the socket to answer.
pub async fn wait_http(socket: &Path) -> String {
    for _ in 0..300 {
        if let Some(b) = http_get_unix(socket).await {
            return b;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never answered", socket.display());
}

/// The bytes of a response body without hyper's body type noise.
pub async fn body_text(b: Incoming) -> String {
    String::from_utf8_lossy(&b.collect().await.unwrap().to_bytes()).into_owned()
}
