//! The test API server speaks the real Kubernetes protocol: the machine's kubectl lists pods
//! and execs through it (websocket v5, stdin CLOSE, exit codes, missing binaries), and kube-rs
//! execs over both v5 and v4.

mod support;

use std::path::Path;
use support::{profiles, FakeCluster, PodSpec};

/// The kubectl on PATH (or `SKAFIX_KUBECTL`).
fn kubectl_path() -> std::path::PathBuf {
    if let Some(p) = std::env::var_os("SKAFIX_KUBECTL") {
        return p.into();
    }
    std::env::var("PATH")
        .unwrap_or_default()
        .split(':')
        .map(|d| Path::new(d).join("kubectl"))
        .find(|p| p.is_file())
        .expect("kubectl must be installed (on PATH or in SKAFIX_KUBECTL) for the protocol test")
}

fn sleeper(name: &str, dir: &Path) -> PodSpec {
    PodSpec::new(name, "app:1", &["sleep", "600"], dir, profiles::DEBIAN_FULL)
}

async fn kubectl(
    cluster: &FakeCluster,
    args: &[&str],
    stdin: Option<&[u8]>,
) -> (i32, String, String) {
    use tokio::io::AsyncWriteExt;
    let home = cluster.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let mut cmd = tokio::process::Command::new(kubectl_path());
    cmd.arg("--kubeconfig")
        .arg(&cluster.kubeconfig)
        .arg("--cache-dir")
        .arg(cluster.dir.path().join("cache"))
        .args(args)
        .env("HOME", &home)
        .env_remove("KUBECONFIG")
        .stdin(if stdin.is_some() {
            std::process::Stdio::piped()
        } else {
            std::process::Stdio::null()
        })
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("kubectl runs");
    if let Some(input) = stdin {
        let mut s = child.stdin.take().unwrap();
        s.write_all(input).await.unwrap();
        drop(s);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("kubectl finished")
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_kubectl_gets_pods_and_execs() {
    kubectl_path();
    let dir = tempfile::tempdir().unwrap();
    let cluster = FakeCluster::start(vec![
        sleeper("web-1", dir.path()),
        sleeper("other", dir.path()),
    ])
    .await;
    cluster.wait_ready("web-1", 1).await;
    cluster.wait_ready("other", 1).await;

    let (code, out, err) = kubectl(&cluster, &["get", "pods", "-l", "app=web-1"], None).await;
    assert_eq!(code, 0, "{err} {:?}", cluster.log.lock().unwrap());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("NAME"), "{out}");
    assert!(
        lines[0].contains("READY") && lines[0].contains("RESTARTS"),
        "{out}"
    );
    assert!(lines[1].starts_with("web-1 "), "{out}");
    assert!(lines[1].contains("1/1"), "{out}");

    let (code, out, err) = kubectl(
        &cluster,
        &["exec", "web-1", "--", "cat", "/proc/1/cmdline"],
        None,
    )
    .await;
    assert_eq!((code, out.as_str()), (0, "sleep\u{0}600\u{0}"), "{err}");

    // The process runs in the pod's own PID namespace.
    let (code, out, _) = kubectl(
        &cluster,
        &["exec", "web-1", "--", "sh", "-c", "echo $$; echo err >&2"],
        None,
    )
    .await;
    assert_eq!(code, 0);
    let pid: i32 = out.trim().parse().unwrap();
    assert!(pid > 1 && pid < 100, "namespaced pid, got {pid}");

    let (code, _, err) = kubectl(
        &cluster,
        &["exec", "web-1", "--", "sh", "-c", "exit 3"],
        None,
    )
    .await;
    assert_eq!(code, 3);
    assert!(err.contains("command terminated with exit code 3"), "{err}");

    let (code, _, err) = kubectl(&cluster, &["exec", "web-1", "--", "pkill-nope"], None).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("exec: \"pkill-nope\": executable file not found in $PATH"),
        "{err}"
    );

    // stdin ends with the v5 CLOSE signal; cat sees EOF and exits.
    let (code, out, err) = kubectl(
        &cluster,
        &["exec", "-i", "web-1", "--", "cat"],
        Some(b"hello\n"),
    )
    .await;
    assert_eq!((code, out.as_str()), (0, "hello\n"), "{err}");

    let (code, _, err) = kubectl(&cluster, &["exec", "gone", "--", "true"], None).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("pods \"gone\" not found"),
        "{err} {:?}",
        cluster.log.lock().unwrap()
    );

    let log = cluster.log.lock().unwrap().clone();
    assert!(
        log.iter().any(
            |l| l.starts_with("GET /api/v1/namespaces/dev/pods/web-1/exec?")
                && l.contains("command=cat")
        ),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|l| l.starts_with("POST")),
        "kubectl fell back to SPDY: {log:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_execs_over_v5_and_v4() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = FakeCluster::start(vec![sleeper("web-1", dir.path())]).await;
    cluster.wait_ready("web-1", 1).await;
    for prefer_v4 in [false, true] {
        cluster.options.lock().unwrap().prefer_v4 = prefer_v4;
        let (out, err, status) = support::kube_exec(
            &cluster,
            "web-1",
            &["sh", "-c", "head -c 300000 /dev/zero; echo e >&2; exit 4"],
        )
        .await;
        assert_eq!(out.len(), 300000, "v4={prefer_v4}");
        assert_eq!(err, b"e\n");
        let status = status.expect("status frame");
        assert_eq!(status.reason.as_deref(), Some("NonZeroExitCode"));
        assert_eq!(
            skafix::probe::outcome_from_status(Some(&status), &err),
            skafix::probe::ExecOutcome::Exited(4)
        );
        let (_, _, status) = support::kube_exec(&cluster, "web-1", &["true"]).await;
        assert_eq!(status.unwrap().status.as_deref(), Some("Success"));
        let (_, _, status) = support::kube_exec(&cluster, "web-1", &["nope"]).await;
        assert!(matches!(
            skafix::probe::outcome_from_status(status.as_ref(), b""),
            skafix::probe::ExecOutcome::NotFound(m) if m.contains("exec: \"nope\": executable file not found")
        ));
    }
}
