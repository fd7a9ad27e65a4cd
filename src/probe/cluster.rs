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

pub async fn connect(req: &ProbeRequest) -> Result<(Client, String), ProbeError> {
    let options = KubeConfigOptions {
        context: req.context.clone(),
        ..KubeConfigOptions::default()
    };
    let mut config = match &req.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path).map_err(|e| {
                ProbeError::NoConfig(format!("cannot read {}: {e}", path.display()))
            })?;
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| ProbeError::NoConfig(e.to_string()))?
        }
        None => match Config::from_kubeconfig(&options).await {
            Ok(c) => c,
            Err(kubeconfig_err) if req.context.is_none() => {
                Config::incluster().map_err(|incluster_err| {
                    ProbeError::NoConfig(format!(
                        "{kubeconfig_err}; not in a cluster either ({incluster_err})"
                    ))
                })?
            }
            Err(e) => return Err(ProbeError::NoConfig(e.to_string())),
        },
    };
    // A dead endpoint should fail in seconds, not after the 30 s default.
    config.connect_timeout = Some(Duration::from_secs(10));
    let namespace = config.default_namespace.clone();
    let client = Client::try_from(config).map_err(|e| ProbeError::Other(e.to_string()))?;
    Ok((client, namespace))
}

pub async fn list_pods(
    client: &Client,
    namespace: &str,
    selector: Option<&str>,
    timeout: Duration,
) -> Result<Vec<Pod>, ProbeError> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut params = ListParams::default();
    if let Some(s) = selector {
        params = params.labels(s);
    }
    // An API server that accepts the connection and never answers must not hang the probe.
    let Ok(listed) = tokio::time::timeout(timeout, api.list(&params)).await else {
        return Err(ProbeError::Unreachable(format!(
            "listing pods in namespace {namespace} got no answer within {}s",
            timeout.as_secs()
        )));
    };
    match listed {
        Ok(list) => Ok(list.items),
        Err(kube::Error::Api(status)) if status.code == 403 => Err(ProbeError::Forbidden {
            message: status.message.clone(),
            needed: NEEDED_VERBS.to_string(),
        }),
        Err(kube::Error::Api(status)) => Err(ProbeError::Other(format!(
            "listing pods in namespace {namespace} failed: {} ({})",
            status.message, status.code
        ))),
        Err(e) => Err(ProbeError::Unreachable(error_chain(&e))),
    }
}

/// An error with its causes (`client error (Connect): tcp connect error: Connection refused`),
/// since the outermost message alone rarely says what went wrong.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = inner.source();
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
