//! VOL001 hostpath-not-local: a hostPath volume of project files in manifests that a pipeline
//! deploys without being restricted to a local kube context: on a remote cluster the path is
//! the node's directory, not the developer's files.

use super::host_paths;
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::tree::Val;

pub static RULE: Rule = Rule {
    code: "VOL001",
    name: "hostpath-not-local",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A hostPath volume is deployed by a pipeline not restricted to a local cluster.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/VOL001.md"),
};

/// Kube contexts of clusters that run on the developer's machine.
pub(crate) fn is_local_context(name: &str) -> bool {
    let n = name
        .trim_start_matches('^')
        .trim_end_matches('$')
        .to_ascii_lowercase();
    [
        "minikube",
        "docker-desktop",
        "docker-for-desktop",
        "rancher-desktop",
        "colima",
        "orbstack",
        "microk8s",
    ]
    .iter()
    .any(|c| n == *c || n.starts_with(&format!("{c}-")))
        || n.starts_with("kind-")
        || n.starts_with("k3d-")
}

/// Paths of the node itself that agents mount on purpose (sockets, logs, kernel files).
const NODE_PATHS: &[&str] = &[
    "/var", "/sys", "/proc", "/dev", "/etc", "/run", "/lib", "/lib64", "/usr", "/boot", "/bin",
    "/sbin", "/opt", "/tmp", "/root", "/mnt", "/data",
];

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    if restricted_to_local(pipeline) {
        return;
    }
    for (file, volume, path) in host_paths(pipeline) {
        let p = path.value.as_str();
        if !p.starts_with('/')
            || NODE_PATHS
                .iter()
                .any(|n| p == *n || p.starts_with(&format!("{n}/")))
        {
            continue;
        }
        out.push(
            pipeline
                .at(&RULE, crate::skaffold::tree::Origin { file, span: path.span, key_span: None }, format!(
                    "hostPath volume `{}` mounts `{p}` from the node that runs the pod, and this pipeline is not restricted to a local kube context: on a remote cluster that is the node's directory, not your files",
                    volume.name
                ))
                .with_help("activate the manifest only in a profile with `activation: [{kubeContext: minikube}]` (or your local cluster), or sync the files instead"),
        );
    }
}

/// `deploy.kubeContext` or the evaluated profile's `activation[].kubeContext` names a local
/// cluster.
fn restricted_to_local(pipeline: &Pipeline) -> bool {
    if pipeline
        .model
        .deploy_kube_context
        .as_ref()
        .is_some_and(|c| is_local_context(&c.value))
    {
        return true;
    }
    let Some(names) = &pipeline.profile else {
        return false;
    };
    let profiles = pipeline
        .config
        .tree
        .get("profiles")
        .map(Val::items)
        .unwrap_or(&[]);
    names.split(',').any(|name| {
        profiles
            .iter()
            .filter(|p| p.get("name").and_then(Val::as_str) == Some(name))
            .flat_map(|p| p.get("activation").map(Val::items).unwrap_or(&[]))
            .filter_map(|a| a.get("kubeContext").and_then(Val::as_str))
            .any(is_local_context)
    })
}

#[cfg(test)]
mod tests {
    use super::is_local_context;

    #[test]
    fn local_contexts() {
        for c in [
            "minikube",
            "kind-dev",
            "docker-desktop",
            "k3d-mycluster",
            "rancher-desktop",
            "colima",
            "orbstack",
            "microk8s",
        ] {
            assert!(is_local_context(c), "{c}");
        }
        for c in [
            "gke_project_zone_cluster",
            "prod",
            "arn:aws:eks:x",
            "kindly",
        ] {
            assert!(!is_local_context(c), "{c}");
        }
    }
}
