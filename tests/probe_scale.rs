//! The probe's cost and limits against the test API server: one exec per container where the
//! image has a lister that can also hash (python3, or sh with sha256sum), the fallbacks for
//! images without, a deadline that keeps the containers already examined, and build contexts
//! outside the checked project that are never read.

mod support;

use skafix::probe::{self, FileDrift, ProbeRequest, ProbeTarget, SyncRule};
use skafix::project::Roots;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{profiles, FakeCluster, PodSpec};

const MAIN_PY: &str = "print('main')\n";
const UTIL_PY: &str = "VALUE = 1\n";

fn sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A build context with two synced Python files and one file no rule syncs.
fn context(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("main.py"), MAIN_PY).unwrap();
    std::fs::write(dir.join("pkg/util.py"), UTIL_PY).unwrap();
    std::fs::write(dir.join("README.txt"), "not synced\n").unwrap();
    dir.to_path_buf()
}

/// A pod's working dir holding the synced files as the container has them: `main.py` equal
/// to the local one, `pkg/util.py` older.
fn container_dir(root: &Path, name: &str) -> PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("main.py"), MAIN_PY).unwrap();
    std::fs::write(dir.join("pkg/util.py"), "VALUE = 0\n").unwrap();
    dir
}

fn sleeper(name: &str, dir: &Path, tools: &[&str]) -> PodSpec {
    PodSpec::new(
        name,
        &format!("{name}:dev"),
        &["/bin/sleep", "600"],
        dir,
        tools,
    )
}

/// An artifact named like its pod whose `**/*.py` files sync to `dest`.
fn target(name: &str, context: &Path, dest: &Path) -> ProbeTarget {
    ProbeTarget {
        image: name.into(),
        config_path: "skaffold.yaml".into(),
        context_dir: context.to_path_buf(),
        sync_rules: vec![SyncRule {
            src: "**/*.py".into(),
            dest: dest.display().to_string(),
            strip: String::new(),
        }],
        ..ProbeTarget::default()
    }
}

fn request(cluster: &FakeCluster, targets: Vec<ProbeTarget>) -> ProbeRequest {
    let mut req = ProbeRequest::new(targets);
    req.kubeconfig = Some(cluster.kubeconfig.clone());
    req.exec_timeout = Duration::from_secs(30);
    req
}

fn stale_util(dest: &Path) -> Vec<FileDrift> {
    vec![FileDrift {
        local: "pkg/util.py".into(),
        container: dest.join("pkg/util.py").display().to_string(),
        container_sha256: Some(sha256("VALUE = 0\n")),
        local_sha256: sha256(UTIL_PY),
    }]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_exec_lists_processes_and_hashes_where_the_image_allows() {
    let root = tempfile::tempdir().unwrap();
    let ctx = context(&root.path().join("ctx"));
    let images: [(&str, &[&str]); 6] = [
        ("debian", profiles::DEBIAN_FULL),
        ("distroless", profiles::DISTROLESS),
        ("no-python", profiles::DEBIAN_NO_PYTHON),
        ("busybox", profiles::BUSYBOX),
        (
            "ps-hasher",
            &["busybox:ps", "busybox:cat", "busybox:sha256sum"],
        ),
        ("ps-only", profiles::PS_ONLY),
    ];
    let dirs: Vec<PathBuf> = images
        .iter()
        .map(|(name, _)| container_dir(root.path(), name))
        .collect();
    let cluster = FakeCluster::start(
        images
            .iter()
            .zip(&dirs)
            .map(|((name, tools), dir)| sleeper(name, dir, tools))
            .collect(),
    )
    .await;
    for (name, _) in &images {
        cluster.wait_ready(name, 1).await;
    }
    let targets = images
        .iter()
        .zip(&dirs)
        .map(|((name, _), dir)| target(name, &ctx, dir))
        .collect();
    let report = probe::run_async(&request(&cluster, targets)).await.unwrap();

    let execs: Vec<(&str, Vec<String>)> = images
        .iter()
        .map(|(name, _)| (*name, cluster.execs(name)))
        .collect();
    assert_eq!(
        execs,
        vec![
            // The shell runs the python lister when there is python3, else lists itself.
            ("debian", vec!["sh".to_string()]),
            // No shell: python3 is asked directly.
            ("distroless", ["sh", "python3"].map(String::from).to_vec()),
            ("no-python", vec!["sh".to_string()]),
            ("busybox", vec!["sh".to_string()]),
            // No python, no shell: ps lists, cat reads PID 1's signal masks, and sha256sum
            // is tried; without it in the image nothing is compared.
            (
                "ps-hasher",
                ["sh", "python3", "ps", "cat", "sha256sum"]
                    .map(String::from)
                    .to_vec()
            ),
            (
                "ps-only",
                ["sh", "python3", "ps", "cat", "sha256sum"]
                    .map(String::from)
                    .to_vec()
            ),
        ]
    );
    let facts = |name: &str| {
        &report
            .pods
            .iter()
            .find(|p| p.pod == name)
            .unwrap_or_else(|| panic!("{name} was not probed"))
            .facts
    };
    for ((name, _), dir) in images.iter().zip(&dirs).take(5) {
        let f = facts(name);
        assert_eq!(f.hashed, 2, "{name}");
        assert_eq!(f.drift, stale_util(dir), "{name}");
    }
    assert_eq!(facts("debian").list_method, Some(probe::ListMethod::Python));
    assert_eq!(facts("debian").hash_method.as_deref(), Some("python3"));
    assert_eq!(facts("distroless").hash_method.as_deref(), Some("python3"));
    assert_eq!(facts("no-python").hash_method.as_deref(), Some("sha256sum"));
    assert_eq!(facts("ps-hasher").hash_method.as_deref(), Some("sha256sum"));
    assert_eq!(
        (facts("ps-only").hashed, facts("ps-only").drift.len()),
        (0, 0)
    );
    let stale: Vec<&str> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "PROBE008")
        .filter_map(|d| d.artifact.as_deref())
        .collect();
    assert_eq!(
        stale,
        vec!["debian", "distroless", "no-python", "busybox", "ps-hasher"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_reports_the_finished_containers_and_names_the_rest() {
    let root = tempfile::tempdir().unwrap();
    let ctx = context(&root.path().join("ctx"));
    let names = ["first", "stuck", "last"];
    let dirs: Vec<PathBuf> = names
        .iter()
        .map(|name| container_dir(root.path(), name))
        .collect();
    let cluster = FakeCluster::start(
        names
            .iter()
            .zip(&dirs)
            .map(|(name, dir)| sleeper(name, dir, profiles::DEBIAN_NO_PYTHON))
            .collect(),
    )
    .await;
    for name in names {
        cluster.wait_ready(name, 1).await;
    }
    cluster.options.lock().unwrap().hang_exec = vec!["stuck".into()];
    let targets = names
        .iter()
        .zip(&dirs)
        .map(|(name, dir)| target(name, &ctx, dir))
        .collect();
    let mut req = request(&cluster, targets);
    req.deadline = Duration::from_secs(4);
    let report = probe::run_async(&req).await.unwrap();

    let examined: Vec<&str> = report.pods.iter().map(|p| p.pod.as_str()).collect();
    assert_eq!(examined, vec!["first", "last"]);
    assert_eq!(report.probed, 2);
    let findings: Vec<(&str, Option<&str>, &str)> = report
        .diagnostics
        .iter()
        .map(|d| (d.code, d.artifact.as_deref(), d.message.as_str()))
        .collect();
    assert_eq!(
        findings.last(),
        Some(&(
            "PROBE019",
            Some("stuck"),
            "the probe reached its time limit (4s) before it had examined pod stuck container app; nothing is reported about them"
        ))
    );
    // The finished containers' own findings are all there.
    let stale: Vec<Option<&str>> = findings
        .iter()
        .filter(|f| f.0 == "PROBE008")
        .map(|f| f.1)
        .collect();
    assert_eq!(stale, vec![Some("first"), Some("last")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_outside_the_roots_is_not_read_unless_allowed() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    let shared = context(&root.path().join("shared"));
    let dirs: Vec<PathBuf> = ["api", "worker"]
        .iter()
        .map(|name| container_dir(root.path(), name))
        .collect();
    let cluster = FakeCluster::start(vec![
        sleeper("api", &dirs[0], profiles::DEBIAN_NO_PYTHON),
        sleeper("worker", &dirs[1], profiles::DEBIAN_NO_PYTHON),
    ])
    .await;
    cluster.wait_ready("api", 1).await;
    cluster.wait_ready("worker", 1).await;
    // Both artifacts build from the same context beside the project.
    let targets = vec![
        target("api", &shared, &dirs[0]),
        target("worker", &shared, &dirs[1]),
    ];
    let mut req = request(&cluster, targets);
    req.roots = Roots::of_paths(std::slice::from_ref(&project), &[]);
    let report = probe::run_async(&req).await.unwrap();
    let outside: Vec<(&str, &str)> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "SCHEMA011")
        .map(|d| (d.artifact.as_deref().unwrap(), d.message.as_str()))
        .collect();
    let message = format!(
        "context `{}` of artifact `api` leads outside the checked project; it is not read, so its synced files are not compared with the containers' (allow it with --allow-outside)",
        shared.display()
    );
    assert_eq!(outside, vec![("api", message.as_str())]);
    for pod in &report.pods {
        assert_eq!((pod.facts.hashed, pod.facts.drift.len()), (0, 0));
    }
    assert!(report.diagnostics.iter().all(|d| d.code != "PROBE008"));
    // Only the lister ran: nothing was asked about files.
    assert_eq!(cluster.execs("api"), vec!["sh".to_string()]);

    req.roots = Roots::of_paths(
        std::slice::from_ref(&project),
        std::slice::from_ref(&shared),
    );
    let report = probe::run_async(&req).await.unwrap();
    assert!(report.diagnostics.iter().all(|d| d.code != "SCHEMA011"));
    for (pod, dir) in report.pods.iter().zip(&dirs) {
        assert_eq!(pod.facts.drift, stale_util(dir));
    }
}
