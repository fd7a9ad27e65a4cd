//! Kubernetes manifests: the workloads in raw or rendered YAML manifests, their containers
//! (image, command, args, env, working directory, volume mounts, security context) and volumes,
//! each with its byte span.

use crate::source::Span;
use crate::yaml::{self, NodeRef};

#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    pub value: String,
    pub span: Span,
}

fn text(node: NodeRef<'_>) -> Option<Text> {
    node.as_str().map(|s| Text {
        value: s.to_string(),
        span: node.span(),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub kind: String,
    pub name: Option<String>,
    /// The kind's value bytes, a stable place to point at.
    pub span: Span,
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub volumes: Vec<Volume>,
    /// The pod's `securityContext` (its user fields are defaults for every container).
    pub security: SecurityContext,
}

/// The user fields of a pod or container `securityContext`. Each value keeps its span; a
/// container's own value wins over the pod's (Kubernetes `PodSecurityContext` docs: "the value
/// specified in SecurityContext takes precedence").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecurityContext {
    pub run_as_user: Option<Text>,
    pub run_as_group: Option<Text>,
    pub run_as_non_root: Option<Text>,
    /// Pod only.
    pub fs_group: Option<Text>,
    /// Container only.
    pub read_only_root_filesystem: Option<Text>,
}

impl SecurityContext {
    fn read(node: Option<NodeRef<'_>>) -> SecurityContext {
        let Some(node) = node else {
            return SecurityContext::default();
        };
        let field = |key: &str| node.get(key).and_then(text);
        SecurityContext {
            run_as_user: field("runAsUser"),
            run_as_group: field("runAsGroup"),
            run_as_non_root: field("runAsNonRoot"),
            fs_group: field("fsGroup"),
            read_only_root_filesystem: field("readOnlyRootFilesystem"),
        }
    }
}

/// A container's user as Kubernetes runs it: its own `securityContext` over the pod's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EffectiveSecurity {
    pub run_as_user: Option<Text>,
    pub run_as_group: Option<Text>,
    pub fs_group: Option<Text>,
    /// `readOnlyRootFilesystem: true` on the container.
    pub read_only_root: Option<Text>,
}

impl Workload {
    pub fn effective_security(&self, container: &Container) -> EffectiveSecurity {
        let own = &container.security;
        let pod = &self.security;
        EffectiveSecurity {
            run_as_user: own.run_as_user.clone().or_else(|| pod.run_as_user.clone()),
            run_as_group: own
                .run_as_group
                .clone()
                .or_else(|| pod.run_as_group.clone()),
            fs_group: pod.fs_group.clone(),
            read_only_root: own
                .read_only_root_filesystem
                .clone()
                .filter(|t| t.value == "true"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    pub name: Option<String>,
    pub image: Option<Text>,
    /// `command` (replaces the image's ENTRYPOINT), with the list's span.
    pub command: Option<(Vec<Text>, Span)>,
    /// `args` (replace the image's CMD), with the list's span.
    pub args: Option<(Vec<Text>, Span)>,
    pub env: Vec<EnvVar>,
    pub working_dir: Option<Text>,
    pub volume_mounts: Vec<VolumeMount>,
    /// The container's own `securityContext`.
    pub security: SecurityContext,
    /// The container mapping.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvVar {
    pub name: String,
    /// None when the value comes from `valueFrom`.
    pub value: Option<Text>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: Text,
    /// `readOnly: true`.
    pub read_only: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Volume {
    pub name: String,
    /// `hostPath.path` when the volume is a hostPath.
    pub host_path: Option<Text>,
    /// The volume is an `emptyDir`.
    pub empty_dir: bool,
    pub span: Span,
}

/// Workload kinds and where their pod template sits.
fn pod_spec<'a>(kind: &str, root: NodeRef<'a>) -> Option<NodeRef<'a>> {
    match kind {
        "Pod" => root.get("spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => root.path(&["spec", "template", "spec"]),
        "CronJob" => root.path(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// Reads the workloads from a manifest file's text. YAML errors are returned for the caller to
/// report; documents that are not workloads are skipped.
pub fn workloads(text: &str) -> Result<Vec<Workload>, yaml::YamlError> {
    let docs = yaml::parse(text)?;
    let mut found = Vec::new();
    for doc in &docs {
        let Some(root) = doc.root_ref() else { continue };
        collect(root, &mut found);
    }
    Ok(found)
}

fn collect(root: NodeRef<'_>, found: &mut Vec<Workload>) {
    let Some(kind_node) = root.get("kind") else {
        return;
    };
    let Some(kind) = kind_node.as_str() else {
        return;
    };
    if kind == "List" {
        for item in root.get("items").into_iter().flat_map(|i| i.items()) {
            collect(item, found);
        }
        return;
    }
    let Some(spec) = pod_spec(kind, root) else {
        return;
    };
    let containers = |key: &str| -> Vec<Container> {
        spec.get(key)
            .into_iter()
            .flat_map(|c| c.items())
            .map(container)
            .collect()
    };
    let volumes = spec
        .get("volumes")
        .into_iter()
        .flat_map(|v| v.items())
        .map(|v| Volume {
            name: v
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_string(),
            host_path: v.path(&["hostPath", "path"]).and_then(text),
            empty_dir: v.get("emptyDir").is_some(),
            span: v.span(),
        })
        .collect();
    found.push(Workload {
        kind: kind.to_string(),
        name: root
            .path(&["metadata", "name"])
            .and_then(|n| n.as_str())
            .map(str::to_string),
        span: kind_node.span(),
        containers: containers("containers"),
        init_containers: containers("initContainers"),
        volumes,
        security: SecurityContext::read(spec.get("securityContext")),
    });
}

fn container(c: NodeRef<'_>) -> Container {
    // An empty list is "not provided": the API omits it (`omitempty` on Container.Command and
    // Container.Args in k8s.io/api core/v1 types.go), so the image's ENTRYPOINT/CMD still run.
    let list = |key: &str| {
        c.get(key)
            .filter(|l| l.is_sequence())
            .map(|l| (l.items().filter_map(text).collect::<Vec<_>>(), l.span()))
            .filter(|(items, _)| !items.is_empty())
    };
    Container {
        name: c.get("name").and_then(|n| n.as_str()).map(str::to_string),
        image: c.get("image").and_then(text),
        command: list("command"),
        args: list("args"),
        env: c
            .get("env")
            .into_iter()
            .flat_map(|e| e.items())
            .filter_map(|e| {
                Some(EnvVar {
                    name: e.get("name")?.as_str()?.to_string(),
                    value: e.get("value").and_then(text),
                    span: e.span(),
                })
            })
            .collect(),
        working_dir: c.get("workingDir").and_then(text),
        volume_mounts: c
            .get("volumeMounts")
            .into_iter()
            .flat_map(|m| m.items())
            .filter_map(|m| {
                Some(VolumeMount {
                    name: m.get("name")?.as_str()?.to_string(),
                    mount_path: text(m.get("mountPath")?)?,
                    read_only: m.get("readOnly").and_then(|r| r.as_str()) == Some("true"),
                    span: m.span(),
                })
            })
            .collect(),
        security: SecurityContext::read(c.get("securityContext")),
        span: c.span(),
    }
}

/// The repository part of an image reference: without tag or digest (`repo:tag@sha256:...`).
pub fn image_name(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    match without_digest.rfind(':') {
        // A colon after the last slash is a tag; before it, a registry port.
        Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
        _ => without_digest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names() {
        assert_eq!(image_name("app"), "app");
        assert_eq!(image_name("app:1.0"), "app");
        assert_eq!(image_name("localhost:5000/app:dev"), "localhost:5000/app");
        assert_eq!(image_name("localhost:5000/app"), "localhost:5000/app");
        assert_eq!(image_name("gcr.io/p/app@sha256:abc"), "gcr.io/p/app");
    }
}
