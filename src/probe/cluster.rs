//! Reaching the cluster like kubectl (explicit kubeconfig, `$KUBECONFIG`, `~/.kube/config`,
//! then in-cluster), listing pods, and matching containers to artifact images the way
//! Skaffold's sync does (regular containers only, any tag or digest), with pod-level facts:
//! restarts, interceptors, hostPath mounts.

use super::{ProbeError, ProbeRequest, ProbeTarget, NEEDED_VERBS};
use k8s_openapi::api::core::v1::{Container, Pod};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde::Serialize;
use std::time::Duration;

/// The API server the probe talks to, as error messages name it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// The server URL (`https://127.0.0.1:6443`).
    pub server: String,
    /// The kubeconfig context, when one was used (none in a cluster).
    pub context: Option<String>,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.context {
            Some(context) => write!(f, "{} (context {context})", self.server),
            None => write!(f, "{} (in-cluster configuration)", self.server),
        }
    }
}

/// The kubeconfig file kubectl would read: `--kubeconfig`, else the first `KUBECONFIG` entry,
/// else `~/.kube/config`.
fn kubeconfig_path(req: &ProbeRequest) -> Option<std::path::PathBuf> {
    if let Some(path) = &req.kubeconfig {
        return Some(path.clone());
    }
    if let Some(list) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        return std::env::split_paths(&list).next();
    }
    std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".kube/config"))
}

/// A kubeconfig problem in words, naming the file once, and what to try next.
fn kubeconfig_problem(
    error: &kube::config::KubeconfigError,
    path: Option<&std::path::Path>,
) -> (String, &'static str) {
    use kube::config::KubeconfigError as E;
    let file = path
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "the kubeconfig".to_string());
    match error {
        E::ReadConfig(io, read) => (
            format!(
                "cannot read the kubeconfig {}: {}",
                read.display(),
                io_reason(io)
            ),
            "pass an existing file with --kubeconfig or KUBECONFIG",
        ),
        E::Parse(_) => (
            format!("{file} is not a valid kubeconfig ({error})"),
            "`kubectl config view` shows what kubectl reads",
        ),
        E::LoadContext(context) => (
            format!("context {context} is not in {file}"),
            "`kubectl config get-contexts` lists the contexts; pick one with --context",
        ),
        E::CurrentContextNotSet => (
            format!("{file} sets no current-context"),
            "pick a context with --context",
        ),
        other => (
            format!("{file}: {other}"),
            "`kubectl config view --minify` shows the selected context",
        ),
    }
}

fn no_config((problem, hint): (String, &'static str)) -> ProbeError {
    ProbeError::NoConfig(format!("{problem}; {hint}"))
}

pub async fn connect(req: &ProbeRequest) -> Result<(Client, String, Endpoint), ProbeError> {
    let options = KubeConfigOptions {
        context: req.context.clone(),
        ..KubeConfigOptions::default()
    };
    let path = kubeconfig_path(req);
    let loaded = match &req.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    };
    let (mut config, context) = match loaded {
        Ok(kubeconfig) => {
            let context = req
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone());
            let config = Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| no_config(kubeconfig_problem(&e, path.as_deref())))?;
            (config, context)
        }
        // No kubeconfig at all and none asked for: maybe skafix runs in a pod.
        Err(kubeconfig_err) if req.kubeconfig.is_none() && req.context.is_none() => {
            let config = Config::incluster().map_err(|_| {
                let (problem, hint) = kubeconfig_problem(&kubeconfig_err, path.as_deref());
                no_config((
                    format!("{problem}, and skafix is not running inside a cluster"),
                    hint,
                ))
            })?;
            (config, None)
        }
        Err(e) => return Err(no_config(kubeconfig_problem(&e, path.as_deref()))),
    };
    // A dead endpoint should fail in seconds, not after the 30 s default.
    config.connect_timeout = Some(Duration::from_secs(10));
    let namespace = config.default_namespace.clone();
    let endpoint = Endpoint {
        server: config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string(),
        context,
    };
    let client = Client::try_from(config).map_err(|e| ProbeError::Other(error_chain(&e)))?;
    Ok((client, namespace, endpoint))
}

pub async fn list_pods(
    client: &Client,
    endpoint: &Endpoint,
    namespace: &str,
    selector: Option<&str>,
    timeout: Duration,
) -> Result<Vec<Pod>, ProbeError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut params = ListParams::default();
    if let Some(s) = selector {
        params = params.labels(s);
    }
    let check = match &endpoint.context {
        Some(context) => format!("`kubectl --context {context} get pods -n {namespace}`"),
        None => format!("`kubectl get pods -n {namespace}`"),
    };
    // An API server that accepts the connection and never answers must not hang the probe.
    let Ok(listed) = tokio::time::timeout(timeout, api.list(&params)).await else {
        return Err(ProbeError::Unreachable(format!(
            "listing pods in namespace {namespace} at {endpoint} got no answer within {}s; check the cluster answers with {check}",
            timeout.as_secs()
        )));
    };
    match listed {
        Ok(list) => Ok(list.items),
        Err(kube::Error::Api(status)) if status.code == 403 => Err(ProbeError::Forbidden {
            message: format!("{} (at {endpoint})", one_line(&status.message)),
            needed: NEEDED_VERBS.to_string(),
        }),
        Err(kube::Error::Api(status)) if looks_like_html(&status.message) => {
            Err(ProbeError::Other(format!(
                "{endpoint} is not a Kubernetes API server: listing pods got HTTP {} and an HTML page{}; check the server URL of the context ({check} uses the same)",
                status.code,
                html_title(&status.message)
                    .map(|t| format!(" titled \"{t}\""))
                    .unwrap_or_default()
            )))
        }
        Err(kube::Error::Api(status)) => Err(ProbeError::Other(format!(
            "listing pods in namespace {namespace} at {endpoint} failed with HTTP {}: {}; try {check}",
            status.code,
            one_line(&status.message)
        ))),
        Err(kube::Error::SerdeError(_)) => Err(ProbeError::Other(format!(
            "{endpoint} is not a Kubernetes API server: its answer to listing pods is not Kubernetes JSON; check the server URL of the context ({check} uses the same)"
        ))),
        Err(e) => Err(ProbeError::Unreachable(format!(
            "{endpoint}: {}; check that the cluster is running and that {check} works",
            error_chain(&e)
        ))),
    }
}

/// `no such file or directory`, without Rust's `(os error 2)`.
fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text,
    }
}

fn looks_like_html(text: &str) -> bool {
    let start = text.trim_start().get(..200).unwrap_or(text.trim_start());
    let lower = start.to_ascii_lowercase();
    lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.contains("<head")
}

/// The `<title>` of an HTML page, whitespace collapsed.
fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title")?;
    let open_end = start + lower[start..].find('>')? + 1;
    let end = open_end + lower[open_end..].find("</title")?;
    let title = one_line(&html[open_end..end]);
    (!title.is_empty()).then_some(title)
}

/// Text on one line (whitespace runs collapsed), cut at 200 characters.
fn one_line(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    match joined.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &joined[..cut]),
        None => joined,
    }
}

/// An error with its causes (`client error (Connect): tcp connect error: Connection refused`),
/// since the outermost message alone rarely says what went wrong.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    // kube's Display of an API error appends the status's Debug form; the chain below gives
    // the causes in words instead.
    if let Some(i) = text.find(" (Status {") {
        text.truncate(i);
    }
    let mut cause = error.source();
    while let Some(inner) = cause {
        let part = inner.to_string();
        let part = match part.find(" (os error") {
            Some(i) => part[..i].to_string(),
            None => part,
        };
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = inner.source();
    }
    // Rust's `(os error 111)` says nothing the words before it do not.
    while let Some(start) = text.find(" (os error ") {
        match text[start..].find(')') {
            Some(len) => text.replace_range(start..start + len + 1, ""),
            None => break,
        }
    }
    text
}

/// The repository part of an image reference: tag and digest removed.
pub fn repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rfind(':') {
        Some(colon) if !no_digest[colon..].contains('/') => &no_digest[..colon],
        _ => no_digest,
    }
}

/// How a container's image relates to the artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageMatch {
    /// Same repository.
    Exact,
    /// The artifact name under a registry prefix (Skaffold's default-repo rewriting).
    Prefixed,
}

pub fn image_match(container_image: &str, artifact: &str) -> Option<ImageMatch> {
    let repo = repository(container_image);
    let artifact = repository(artifact);
    if repo == artifact {
        Some(ImageMatch::Exact)
    } else if repo.ends_with(&format!("/{artifact}")) {
        Some(ImageMatch::Prefixed)
    } else {
        None
    }
}

/// The last termination of a container, from its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Termination {
    pub exit_code: i32,
    pub signal: Option<i32>,
    pub reason: Option<String>,
    pub finished_at: Option<String>,
}

/// One container to probe, with what the API says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Match {
    pub pod: String,
    pub container: String,
    pub image: String,
    pub image_match: ImageMatch,
    pub restart_count: i32,
    pub last_termination: Option<Termination>,
    pub restart_policy: Option<String>,
    /// Name and image of a Telepresence traffic-agent sidecar.
    pub traffic_agent: Option<String>,
    /// Evidence of a DevSpace restart helper.
    pub devspace_helper: Option<String>,
    /// `(volume, host path, mount path in this container)`.
    pub host_paths: Vec<(String, String, String)>,
    /// Any `workingDir` set in the pod spec.
    pub working_dir: Option<String>,
}

/// Why no container matched, for the "no pods" diagnostic.
#[derive(Debug, Default)]
pub struct Selection {
    pub matches: Vec<Match>,
    pub pods_seen: usize,
    /// Images of regular containers in the pods seen.
    pub other_images: Vec<String>,
    /// Matching pods not in phase Running: (pod, phase).
    pub not_running: Vec<(String, String)>,
    /// Pods where only an init container runs the image.
    pub init_only: Vec<String>,
}

fn is_traffic_agent(c: &Container) -> bool {
    c.name == "traffic-agent"
        || c.image
            .as_deref()
            .is_some_and(|i| i.contains("tel2") || i.contains("telepresence"))
}

fn devspace_helper(c: &Container) -> Option<String> {
    let words = c.command.iter().flatten().chain(c.args.iter().flatten());
    for w in words {
        if w.contains("devspace-restart-helper") || w.contains(".devspace/") {
            return Some(format!("container {} runs {w}", c.name));
        }
    }
    None
}

pub fn select(pods: &[Pod], target: &ProbeTarget) -> Selection {
    let mut sel = Selection {
        pods_seen: pods.len(),
        ..Selection::default()
    };
    for pod in pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let Some(spec) = &pod.spec else { continue };
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".into());
        if pod.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let agent = spec
            .containers
            .iter()
            .find(|c| is_traffic_agent(c))
            .map(|c| format!("{} ({})", c.name, c.image.clone().unwrap_or_default()));
        let helper = spec
            .containers
            .iter()
            .find_map(devspace_helper)
            .or_else(|| {
                spec.init_containers
                    .iter()
                    .flatten()
                    .find_map(devspace_helper)
            });
        let mut any = false;
        for c in &spec.containers {
            let image = c.image.clone().unwrap_or_default();
            let Some(how) = image_match(&image, &target.image) else {
                if !sel.other_images.contains(&image) {
                    sel.other_images.push(image);
                }
                continue;
            };
            any = true;
            if phase != "Running" {
                continue;
            }
            let status = pod
                .status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref())
                .and_then(|cs| cs.iter().find(|s| s.name == c.name));
            let last_termination = status
                .and_then(|s| s.last_state.as_ref())
                .and_then(|l| l.terminated.as_ref())
                .map(|t| Termination {
                    exit_code: t.exit_code,
                    signal: t.signal,
                    reason: t.reason.clone(),
                    finished_at: t.finished_at.as_ref().map(|f| f.0.to_string()),
                });
            let host_paths = c
                .volume_mounts
                .iter()
                .flatten()
                .filter_map(|m| {
                    let vol = spec.volumes.iter().flatten().find(|v| v.name == m.name)?;
                    let hp = vol.host_path.as_ref()?;
                    Some((vol.name.clone(), hp.path.clone(), m.mount_path.clone()))
                })
                .collect();
            sel.matches.push(Match {
                pod: name.clone(),
                container: c.name.clone(),
                image,
                image_match: how,
                restart_count: status.map(|s| s.restart_count).unwrap_or(0),
                last_termination,
                restart_policy: spec.restart_policy.clone(),
                traffic_agent: agent.clone(),
                devspace_helper: helper.clone(),
                host_paths,
                working_dir: c.working_dir.clone(),
            });
        }
        if any && phase != "Running" {
            sel.not_running.push((name.clone(), phase.clone()));
        }
        if !any {
            let init =
                spec.init_containers.iter().flatten().any(|c| {
                    image_match(c.image.as_deref().unwrap_or(""), &target.image).is_some()
                });
            if init {
                sel.init_only.push(name.clone());
            }
        }
    }
    sel
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_strips_tag_and_digest() {
        assert_eq!(repository("app:1.2"), "app");
        assert_eq!(repository("localhost:5000/app:abc"), "localhost:5000/app");
        assert_eq!(repository("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(repository("app@sha256:00ff"), "app");
        assert_eq!(repository("r.io/app:t@sha256:00ff"), "r.io/app");
    }

    #[test]
    fn image_matching() {
        assert_eq!(image_match("app:abc", "app"), Some(ImageMatch::Exact));
        assert_eq!(
            image_match("gcr.io/p/app:abc", "app"),
            Some(ImageMatch::Prefixed)
        );
        assert_eq!(image_match("gcr.io/p/webapp:abc", "app"), None);
        assert_eq!(image_match("other", "app"), None);
    }

    fn pod(json: serde_json::Value) -> Pod {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn selection_reports_why_nothing_matched() {
        let pods = vec![
            pod(
                serde_json::json!({"metadata":{"name":"a"},"spec":{"containers":[{"name":"c","image":"web:1"}],"initContainers":[{"name":"i","image":"app:1"}]},"status":{"phase":"Running"}}),
            ),
            pod(
                serde_json::json!({"metadata":{"name":"b"},"spec":{"containers":[{"name":"c","image":"app:2"}]},"status":{"phase":"Pending"}}),
            ),
        ];
        let target = ProbeTarget {
            image: "app".into(),
            ..ProbeTarget::default()
        };
        let sel = select(&pods, &target);
        assert!(sel.matches.is_empty());
        assert_eq!(sel.other_images, vec!["web:1"]);
        assert_eq!(
            sel.not_running,
            vec![("b".to_string(), "Pending".to_string())]
        );
        assert_eq!(sel.init_only, vec!["a"]);
    }

    #[test]
    fn selection_collects_pod_facts() {
        let pods = vec![pod(serde_json::json!({
            "metadata":{"name":"p"},
            "spec":{"containers":[
                {"name":"app","image":"r.io/app:abc","volumeMounts":[{"name":"src","mountPath":"/app"}]},
                {"name":"traffic-agent","image":"docker.io/datawire/tel2:2.19"}],
              "volumes":[{"name":"src","hostPath":{"path":"/home/me/src"}}]},
            "status":{"phase":"Running","containerStatuses":[{"name":"app","image":"r.io/app:abc","imageID":"","ready":true,"restartCount":2,
              "lastState":{"terminated":{"exitCode":0,"reason":"Completed"}}}]}}))];
        let target = ProbeTarget {
            image: "app".into(),
            ..ProbeTarget::default()
        };
        let sel = select(&pods, &target);
        assert_eq!(sel.matches.len(), 1);
        let m = &sel.matches[0];
        assert_eq!(m.restart_count, 2);
        assert_eq!(
            m.last_termination.as_ref().unwrap().reason.as_deref(),
            Some("Completed")
        );
        assert_eq!(
            m.traffic_agent.as_deref(),
            Some("traffic-agent (docker.io/datawire/tel2:2.19)")
        );
        assert_eq!(
            m.host_paths,
            vec![("src".into(), "/home/me/src".into(), "/app".into())]
        );
        assert_eq!(m.image_match, ImageMatch::Prefixed);
    }
}
