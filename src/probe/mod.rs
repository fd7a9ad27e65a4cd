//! `skafix probe`: looks inside the running pods of a project's artifacts and reports what is
//! really there (server mode, PID 1 and the signals it catches, tools, sync drift, restarts,
//! interceptors) as PROBE diagnostics, plus an ordered "what to do now" per pod.
//!
//! Only read-only commands run in containers, always as argv lists (never a shell line built
//! from project strings), each under a timeout, with bounded concurrency across pods. The
//! library is async inside; [`run`] is the blocking entry point the CLI calls.
//!
//! Cost at scale: one exec per container where the image has python3, or sh with sha256sum
//! (the lister also hashes the synced files); the local files are walked and hashed once per
//! artifact on a blocking thread while the cluster is reached. When the overall deadline
//! passes, the containers already examined are reported and one finding names the rest.

mod cluster;
mod conclude;
mod facts;
pub(crate) mod hash;
pub(crate) mod procs;
pub mod redact;
pub(crate) mod servers;
pub(crate) mod signals;
mod targets;
mod transport;

use crate::diagnostic::Diagnostic;
use crate::project::Roots;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

pub use cluster::{ImageMatch, Match, Termination};
/// Every PROBE code and its kebab-case name.
pub use conclude::ALL as CODES;
pub use facts::{ContainerFacts, DestAccess, FileDrift, ProcInfo, ServerConfig, ToolPresence};
pub use procs::ListMethod;
pub use targets::load_probe_targets;
pub use transport::{outcome_from_status, ExecOutcome, ExecOutput};

/// What to probe and how to reach the cluster. Built by the CLI from flags and the project
/// model; nothing here is read from the environment except what kubeconfig loading reads.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    /// An explicit kubeconfig file (`--kubeconfig`); otherwise `$KUBECONFIG`, `~/.kube/config`,
    /// then in-cluster configuration, like kubectl.
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (`--context`, or skaffold's `kubeContext`).
    pub context: Option<String>,
    /// The namespace (`-n`); otherwise the context's namespace, else `default`.
    pub namespace: Option<String>,
    /// A label selector (`--selector`) narrowing the pods considered.
    pub selector: Option<String>,
    /// Upper bound for one exec, from connect to exit status.
    pub exec_timeout: Duration,
    /// Upper bound for one other API call (listing pods).
    pub api_timeout: Duration,
    /// Upper bound for the whole probe, from reading the kubeconfig to the last exec. Passing
    /// it before the pods are listed is an error; after, the containers examined by then are
    /// reported and one finding names the others.
    pub deadline: Duration,
    /// How many containers are probed at the same time (at least 1).
    pub concurrency: usize,
    /// Where local files may be read: a build context outside is not hashed (the default has
    /// no bounds; the CLI passes the checked roots and `--allow-outside`).
    pub roots: Roots,
    pub targets: Vec<ProbeTarget>,
}

/// How many containers `skafix probe` examines at the same time unless told otherwise. Each
/// costs one exec (a websocket) at a time, so this bounds the connections to the API server.
pub const DEFAULT_CONCURRENCY: usize = 16;

impl ProbeRequest {
    pub fn new(targets: Vec<ProbeTarget>) -> Self {
        ProbeRequest {
            kubeconfig: None,
            context: None,
            namespace: None,
            selector: None,
            exec_timeout: Duration::from_secs(20),
            api_timeout: Duration::from_secs(20),
            deadline: Duration::from_secs(120),
            concurrency: DEFAULT_CONCURRENCY,
            roots: Roots::default(),
            targets,
        }
    }
}

/// One artifact of the (profile-resolved) Skaffold config.
#[derive(Debug, Clone, Default)]
pub struct ProbeTarget {
    /// The artifact's image name without tag or digest (`app`, `registry.io/team/app`).
    pub image: String,
    /// The tag Skaffold last built for this artifact, when known; pods whose image string
    /// differs from it are not synced by Skaffold.
    pub expected_image: Option<String>,
    /// The skaffold.yaml the artifact comes from; diagnostics are reported against it.
    pub config_path: PathBuf,
    /// Where the artifact's `image` is written in `config_path` (empty: the file's start).
    pub image_span: crate::source::Span,
    /// The artifact's build context on this machine, for content hashes of synced files.
    pub context_dir: PathBuf,
    /// `sync.manual` rules.
    pub sync_rules: Vec<SyncRule>,
    /// Container directories files are synced to (manual, inferred or auto); used for the
    /// writability check. Relative entries are taken against the container's working dir.
    pub sync_dests: Vec<String>,
    /// Container sync hooks (`before`/`after`), each an argv list.
    pub hooks: Vec<Vec<String>>,
}

/// A `sync.manual` rule: `src` is a doublestar glob relative to the context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRule {
    pub src: String,
    pub dest: String,
    pub strip: String,
}

/// The probe's result: diagnostics plus per-container facts and next steps.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    pub namespace: String,
    pub diagnostics: Vec<Diagnostic>,
    pub pods: Vec<PodReport>,
    /// Containers whose processes could be listed. When zero, nothing could be probed and
    /// the CLI exits 2.
    pub probed: usize,
}

impl ProbeReport {
    pub fn nothing_probed(&self) -> bool {
        self.probed == 0
    }
}

/// One probed container and what the user should do now, in order.
#[derive(Debug, Clone, Serialize)]
pub struct PodReport {
    pub pod: String,
    pub container: String,
    pub image: String,
    /// The artifact image this container was matched to.
    pub artifact: String,
    pub facts: ContainerFacts,
    pub steps: Vec<String>,
}

/// Failures that stop the whole probe. Problems with one pod or container are diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeError {
    /// No kubeconfig could be loaded and no in-cluster configuration exists.
    NoConfig(String),
    /// The API server could not be reached.
    Unreachable(String),
    /// RBAC refused a call; `needed` names the verbs and resources the user needs.
    Forbidden { message: String, needed: String },
    /// Any other API or runtime failure.
    Other(String),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeError::NoConfig(m) => write!(f, "no Kubernetes configuration: {m}"),
            ProbeError::Unreachable(m) => write!(f, "the cluster cannot be reached: {m}"),
            ProbeError::Forbidden { message, needed } => {
                write!(f, "forbidden by RBAC: {message}; the probe needs {needed}")
            }
            ProbeError::Other(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for ProbeError {}

/// The verbs the probe needs, named in RBAC errors.
pub const NEEDED_VERBS: &str =
    "list and get on pods, and get and create on pods/exec (create is required from Kubernetes 1.35)";

/// Runs the probe to completion on its own tokio runtime. Blocking; for synchronous callers.
pub fn run(req: &ProbeRequest) -> Result<ProbeReport, ProbeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ProbeError::Other(format!("cannot start the async runtime: {e}")))?;
    let result = runtime.block_on(run_async(req));
    // A local hashing still running after a failed connect is not waited for.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

/// The async form of [`run`], for callers that already have a runtime. Every API call has its
/// own timeout, and the whole probe ends at `req.deadline`: before the pods are listed that
/// is an error; after, the containers examined by then are reported.
pub async fn run_async(req: &ProbeRequest) -> Result<ProbeReport, ProbeError> {
    let deadline = tokio::time::Instant::now() + req.deadline;
    let local = {
        let targets = req.targets.clone();
        let roots = req.roots.clone();
        tokio::task::spawn_blocking(move || local_sides(&targets, &roots))
    };
    let reach = async {
        let (client, default_ns, endpoint) = cluster::connect(req).await?;
        let namespace = req.namespace.clone().unwrap_or(default_ns);
        let api_timeout = req.api_timeout.min(req.deadline);
        let pods = cluster::list_pods(
            &client,
            &endpoint,
            &namespace,
            req.selector.as_deref(),
            api_timeout,
        )
        .await?;
        let exec_timeout = req.exec_timeout.min(req.deadline);
        let exec = transport::KubeExec::new(client.clone(), &namespace, exec_timeout);
        Ok::<_, ProbeError>((namespace, pods, exec))
    };
    let timed_out = || {
        ProbeError::Other(format!(
            "the probe did not finish within {} (raise it with --timeout)",
            show_duration(req.deadline)
        ))
    };
    let (namespace, pods, exec) = tokio::time::timeout_at(deadline, reach)
        .await
        .map_err(|_| timed_out())??;
    let local = tokio::time::timeout_at(deadline, local)
        .await
        .map_err(|_| timed_out())?
        .map_err(|e| ProbeError::Other(format!("hashing the local files failed: {e}")))?;
    probe_pods(&exec, &namespace, &pods, req, &local, Some(deadline)).await
}

/// `3s`, or `1500ms` for a deadline that is not whole seconds.
fn show_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The local half of the drift check for one target, made before any pod is probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LocalSide {
    /// No `sync.manual` rules: nothing to compare.
    Nothing,
    /// The build context leaves the readable roots; it is not read.
    Outside,
    Files(hash::LocalFiles),
}

/// Walks and hashes each target's context once. Blocking.
pub(crate) fn local_sides(targets: &[ProbeTarget], roots: &Roots) -> Vec<LocalSide> {
    targets
        .iter()
        .map(|t| {
            if t.sync_rules.is_empty() {
                LocalSide::Nothing
            } else if !roots.may_read(&t.context_dir) {
                LocalSide::Outside
            } else {
                LocalSide::Files(hash::local_files(&t.context_dir, &t.sync_rules))
            }
        })
        .collect()
}

/// Everything after listing the pods; generic over the exec transport so it can be driven by
/// a scripted executor in unit tests. `local` has one entry per `req.targets` entry. At
/// `deadline` the containers not yet examined are dropped and named in one finding.
pub(crate) async fn probe_pods<E: transport::Exec + Sync>(
    exec: &E,
    namespace: &str,
    pods: &[k8s_openapi::api::core::v1::Pod],
    req: &ProbeRequest,
    local: &[LocalSide],
    deadline: Option<tokio::time::Instant>,
) -> Result<ProbeReport, ProbeError> {
    use futures::stream::{self, StreamExt};

    let mut diagnostics = Vec::new();
    let mut jobs = Vec::new();
    let mut outside_reported: Vec<&std::path::Path> = Vec::new();
    for (i, target) in req.targets.iter().enumerate() {
        let selection = cluster::select(pods, target);
        if selection.matches.is_empty() {
            diagnostics.push(conclude::no_pods(
                target,
                namespace,
                req.selector.as_deref(),
                &selection,
            ));
        }
        let side = local.get(i).unwrap_or(&LocalSide::Nothing);
        if *side == LocalSide::Outside && !outside_reported.contains(&target.context_dir.as_path())
        {
            outside_reported.push(&target.context_dir);
            diagnostics.push(conclude::context_outside(target));
        }
        let files = match side {
            LocalSide::Files(files) => Some(files),
            _ => None,
        };
        for m in selection.matches {
            jobs.push((target, m, files));
        }
    }

    let concurrency = req.concurrency.max(1);
    let mut in_flight = stream::iter(jobs.iter().enumerate())
        .map(|(i, (target, m, files))| async move {
            let facts = facts::gather(exec, m, target, *files).await;
            let probed = facts.processes_listed();
            let (diags, steps) = conclude::conclude(target, m, &facts, namespace);
            let report = PodReport {
                pod: m.pod.clone(),
                container: m.container.clone(),
                image: m.image.clone(),
                artifact: target.image.clone(),
                facts,
                steps,
            };
            (i, report, diags, probed)
        })
        .buffer_unordered(concurrency);
    let mut results: Vec<(usize, PodReport, Vec<Diagnostic>, bool)> = Vec::new();
    let mut deadline_passed = false;
    loop {
        let next = match deadline {
            Some(at) => match tokio::time::timeout_at(at, in_flight.next()).await {
                Ok(next) => next,
                Err(_) => {
                    deadline_passed = true;
                    break;
                }
            },
            None => in_flight.next().await,
        };
        match next {
            Some(result) => results.push(result),
            None => break,
        }
    }
    // Dropping the stream ends the execs still running (their websockets close).
    drop(in_flight);
    results.sort_by_key(|r| r.0);

    let unexamined: Vec<(&ProbeTarget, &Match)> = if deadline_passed {
        let done: std::collections::HashSet<usize> = results.iter().map(|r| r.0).collect();
        jobs.iter()
            .enumerate()
            .filter(|(i, _)| !done.contains(i))
            .map(|(_, (target, m, _))| (*target, m))
            .collect()
    } else {
        Vec::new()
    };

    let mut reports = Vec::new();
    let mut probed = 0;
    for (_, report, diags, ok) in results {
        diagnostics.extend(diags);
        if ok {
            probed += 1;
        }
        reports.push(report);
    }
    if !unexamined.is_empty() {
        diagnostics.push(conclude::deadline_passed(
            &unexamined,
            &show_duration(req.deadline),
        ));
    }
    Ok(ProbeReport {
        namespace: namespace.to_string(),
        diagnostics,
        pods: reports,
        probed,
    })
}

#[cfg(test)]
mod tests {
    use super::transport::{Exec, ExecError, ExecOutcome, ExecOutput};
    use super::*;
    use k8s_openapi::api::core::v1::Pod;
    use std::future::Future;

    /// Answers execs from a script keyed by (pod, argv[0]).
    struct Scripted;

    impl Exec for Scripted {
        fn exec(
            &self,
            pod: &str,
            _container: &str,
            argv: &[String],
        ) -> impl Future<Output = Result<ExecOutput, ExecError>> + Send {
            let out = |stdout: &[u8], outcome| {
                Ok(ExecOutput {
                    stdout: stdout.to_vec(),
                    stderr: Vec::new(),
                    outcome,
                })
            };
            let absent = || out(b"", ExecOutcome::NotFound("exec: not found".into()));
            let result = match (pod, argv[0].as_str()) {
                ("gone", _) => Err(ExecError::Gone("pods \"gone\" not found".into())),
                ("slow", "python3") => Err(ExecError::Timeout(Duration::from_secs(3))),
                ("slow", "sh") => absent(),
                ("slow", "ps") => out(
                    b"PID PPID COMMAND\n 1 0 uvicorn app:app\n",
                    ExecOutcome::Exited(0),
                ),
                ("slow", "cat") => out(
                    b"Name:\tuvicorn\nSigBlk:\t0000000000000000\nSigCgt:\t0000000000004002\nUid:\t0\t0\t0\t0\n",
                    ExecOutcome::Exited(0),
                ),
                _ => absent(),
            };
            async move { result }
        }
    }

    fn pod(name: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "app", "image": format!("{name}:1")}]},
            "status": {"phase": "Running"}
        }))
        .unwrap()
    }

    #[test]
    fn gone_pods_timeouts_and_fallbacks_become_diagnostics() {
        let targets = ["gone", "slow"]
            .iter()
            .map(|name| ProbeTarget {
                image: name.to_string(),
                config_path: "skaffold.yaml".into(),
                hooks: vec![vec!["kill".into(), "-HUP".into(), "1".into()]],
                ..ProbeTarget::default()
            })
            .collect();
        let req = ProbeRequest::new(targets);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let report = rt
            .block_on(probe_pods(
                &Scripted,
                "dev",
                &[pod("gone"), pod("slow")],
                &req,
                &[LocalSide::Nothing, LocalSide::Nothing],
                None,
            ))
            .unwrap();
        let got: Vec<(&str, &str)> = report
            .diagnostics
            .iter()
            .map(|d| (d.code, d.message.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "PROBE016",
                    "pod gone container app disappeared while probing: pods \"gone\" not found"
                ),
                (
                    "PROBE019",
                    "pod slow container app: exec timed out after 3s"
                ),
                (
                    "PROBE003",
                    "pod slow container app: hook `kill -HUP 1` sends SIGHUP to PID 1 `uvicorn app:app`, which has no handler for it (SigCgt 0000000000004002); PID 1 ignores such signals, so the hook does nothing"
                ),
            ]
        );
        assert_eq!(report.probed, 1);
        assert!(!report.nothing_probed());
        assert_eq!(
            report.pods[0].steps,
            vec!["Run the probe again: the pod was replaced while it ran"]
        );
        assert_eq!(report.pods[1].facts.list_method, Some(ListMethod::Ps));
        assert_eq!(report.pods[1].facts.tool("sh"), Some(false));
        assert_eq!(report.pods[1].facts.tool("ps"), Some(true));
    }
}
