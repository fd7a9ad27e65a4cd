//! Benchmark of `skafix probe` at scale: 100 pods (SKAFIX_BENCH_PODS) behind the test API
//! server, which holds every exec 100 ms (SKAFIX_BENCH_LATENCY_MS) as a remote cluster's
//! round trips do, each pod syncing 20 files that are hashed in the container. The goal is
//! the whole probe within 1.5 s with the default concurrency. Prints the median wall time,
//! its ratio to the goal and the execs issued per run. The pods are images with a shell and
//! sha256sum but no python (SKAFIX_BENCH_IMAGE=python for python3 too; that needs the venv of
//! tests/support/setup-probe-deps.sh). SKAFIX_BENCH_CONCURRENCY overrides the default
//! concurrency. Run with `cargo bench --bench probe`.

#[path = "../tests/support/mod.rs"]
mod support;

use skafix::probe::{self, ProbeRequest, ProbeTarget, SyncRule};
use std::path::Path;
use std::time::{Duration, Instant};
use support::{profiles, FakeCluster, PodSpec};

const GOAL: Duration = Duration::from_millis(1500);
const FILES: usize = 20;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The sources, the same in the build context and in every container.
fn sources(dir: &Path) {
    std::fs::create_dir_all(dir.join("app")).unwrap();
    for i in 0..FILES {
        std::fs::write(dir.join(format!("app/m{i}.py")), format!("VALUE = {i}\n")).unwrap();
    }
}

/// CPU time (user + system) from a /proc stat line: this process's own (every thread, live
/// or ended) and that of the children it waited for (the test cluster's execs).
fn cpu(stat: &str) -> (Duration, Duration) {
    let fields: Vec<u64> = stat[stat.rfind(')').unwrap() + 2..]
        .split(' ')
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // Clock ticks of 10 ms (USER_HZ is 100 on Linux).
    let ticks = |n: u64| Duration::from_millis(n * 10);
    (
        ticks(fields[11] + fields[12]),
        ticks(fields[13] + fields[14]),
    )
}

/// The CPU of the test cluster's own thread (its API server), to tell it from the probe's.
fn thread_cpu(name: &str) -> Duration {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .filter(|stat| stat.contains(&format!("({name})")))
        .map(|stat| cpu(&stat).0)
        .sum()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    // Under `cargo test --all-targets` the bench runs once on a few pods, as a smoke test.
    let bench = std::env::args().any(|a| a == "--bench");
    let pods = env_or("SKAFIX_BENCH_PODS", if bench { 100 } else { 4 }) as usize;
    let latency = Duration::from_millis(env_or("SKAFIX_BENCH_LATENCY_MS", 100));
    let runs = if bench { 5 } else { 1 };
    let tools = match std::env::var("SKAFIX_BENCH_IMAGE").as_deref() {
        Ok("python") => profiles::DEBIAN_FULL,
        _ => profiles::DEBIAN_NO_PYTHON,
    };

    let dir = tempfile::tempdir().unwrap();
    let context = dir.path().join("context");
    let container = dir.path().join("container");
    sources(&context);
    sources(&container);
    // The test API server and its pods run on their own runtime, as a cluster would.
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("fake-cluster")
        .enable_all()
        .build()
        .unwrap();
    let specs = (0..pods)
        .map(|i| {
            let mut spec = PodSpec::new(
                &format!("web-{i}"),
                "example/web:dev",
                &["/bin/sleep", "600"],
                &container,
                tools,
            );
            spec.labels.insert("app".into(), "web".into());
            spec
        })
        .collect();
    let cluster = server.block_on(async {
        let cluster = FakeCluster::start(specs).await;
        for i in 0..pods {
            cluster.wait_ready(&format!("web-{i}"), 1).await;
        }
        cluster.options.lock().unwrap().exec_latency = Some(latency);
        cluster
    });

    let mut req = ProbeRequest::new(vec![ProbeTarget {
        image: "example/web".into(),
        config_path: "skaffold.yaml".into(),
        context_dir: context.clone(),
        sync_rules: vec![SyncRule {
            src: "app/**/*.py".into(),
            dest: container.join("app").display().to_string(),
            strip: "app/".into(),
        }],
        ..ProbeTarget::default()
    }]);
    req.kubeconfig = Some(cluster.kubeconfig.clone());
    if let Ok(n) = std::env::var("SKAFIX_BENCH_CONCURRENCY") {
        req.concurrency = n.parse().expect("SKAFIX_BENCH_CONCURRENCY is a number");
    }

    let exec_count = || {
        cluster
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("/exec?"))
            .count()
    };
    let mut times = Vec::new();
    let mut execs = Vec::new();
    let mut probe_cpu = Vec::new();
    let mut exec_cpu = Vec::new();
    for _ in 0..runs {
        let before = exec_count();
        let (own, children) = cpu(&std::fs::read_to_string("/proc/self/stat").unwrap());
        let server = thread_cpu("fake-cluster");
        let start = Instant::now();
        let report = probe::run(&req).unwrap();
        times.push(start.elapsed());
        execs.push(exec_count() - before);
        let (own_after, children_after) = cpu(&std::fs::read_to_string("/proc/self/stat").unwrap());
        let server = thread_cpu("fake-cluster").saturating_sub(server);
        probe_cpu.push((own_after - own).saturating_sub(server));
        exec_cpu.push(children_after - children + server);
        assert_eq!(report.probed, pods, "every pod is examined");
        assert!(
            report
                .pods
                .iter()
                .all(|p| p.facts.hashed == FILES && p.facts.drift.is_empty()),
            "every pod's synced files are compared and equal"
        );
    }
    let wall = median(times);
    println!(
        "probe: {pods} pods, {} ms per exec, concurrency {}: median {:.3} s of {runs} runs ({:.2} of the {:.1} s goal), {} execs per run ({:.2} per pod)",
        latency.as_millis(),
        req.concurrency,
        wall.as_secs_f64(),
        wall.as_secs_f64() / GOAL.as_secs_f64(),
        GOAL.as_secs_f64(),
        execs[0],
        execs[0] as f64 / pods as f64
    );
    println!(
        "  CPU per run (median): the probe {:.0} ms, the test cluster (API server and execs, which a real cluster runs on its nodes) {:.0} ms",
        median(probe_cpu).as_secs_f64() * 1e3,
        median(exec_cpu).as_secs_f64() * 1e3
    );
    assert!(execs.iter().all(|&n| n == pods), "one exec per pod");
    cluster.stop();
}
