//! Benchmark of `check` on a generated monorepo: N artifacts, each with its own multi-stage
//! Dockerfile, `.dockerignore`, build args, manual sync rules, sync hooks in a dev profile and
//! a Deployment + Service manifest. Prints the median and spread of repeated runs, the ratio
//! to the I/O floor (listing the tree and reading what a check reads), the CPU time per
//! artifact and its ratio between the two largest sizes (linear scaling), the same check through
//! the CLI with its report, and a one-file check through the CLI against `skafix --version`. Run with `cargo bench --bench check` (sizes via
//! SKAFIX_BENCH_SIZES=200,2000,20000, runs via SKAFIX_BENCH_RUNS).

use skafix::engine::{check, CheckOptions};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

/// Writes a monorepo of `artifacts` Python services. Each context holds a dozen files (some
/// copied, some not, some `.dockerignore`d) so the sync rules have a context to list and
/// match; every tenth artifact also has a sync rule that never fires and a mismatched `dest`,
/// so findings are built and merged across profiles as in a real run.
fn generate(root: &Path, artifacts: usize) {
    let mut config =
        String::from("apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n");
    let mut profile = String::from("profiles:\n  - name: dev\n    build:\n      artifacts:\n");
    std::fs::create_dir_all(root.join("k8s")).unwrap();
    for i in 0..artifacts {
        let service = format!("svc{i}");
        let dir = root.join(&service);
        for sub in ["app/routes", "app/models", "tests", "docs", "scripts"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        std::fs::write(
            dir.join("Dockerfile"),
            "ARG BASE=python:3.12-slim\nFROM python:3.12-slim AS builder\nWORKDIR /build\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n\nFROM ${BASE}\nARG APP_HOME=/srv\nENV PYTHONUNBUFFERED=1\nCOPY --from=builder /usr/local/lib/python3.12/site-packages /usr/local/lib/python3.12/site-packages\nWORKDIR ${APP_HOME}\nCOPY app/ ${APP_HOME}/app/\nCOPY scripts/*.sh /usr/local/bin/\nRUN useradd -m app && chown -R app ${APP_HOME}\nUSER app\nCMD [\"uvicorn\", \"app.main:app\", \"--reload\", \"--host\", \"0.0.0.0\"]\n",
        )
        .unwrap();
        std::fs::write(dir.join(".dockerignore"), "**/__pycache__\ntests/\n*.md\n").unwrap();
        for file in [
            "requirements.txt",
            "app/__init__.py",
            "app/main.py",
            "app/routes/__init__.py",
            "app/routes/items.py",
            "app/routes/users.py",
            "app/models/__init__.py",
            "app/models/item.py",
            "tests/test_main.py",
            "docs/index.md",
            "scripts/entrypoint.sh",
            "README.md",
        ] {
            std::fs::write(dir.join(file), "\n").unwrap();
        }
        let mut artifact = format!(
            "  - image: example/{service}\n    context: {service}\n    docker:\n      buildArgs:\n        APP_HOME: /srv\n    sync:\n      manual:\n        - src: \"app/**/*.py\"\n          dest: {}\n",
            if i % 10 == 9 { "/app" } else { "/srv" }
        );
        if i % 10 == 9 {
            artifact.push_str("        - src: \"docs/*.md\"\n          dest: /srv/docs\n");
        }
        config.push_str(&artifact);
        for line in artifact.lines() {
            writeln!(profile, "    {line}").unwrap();
        }
        writeln!(profile, "          hooks:\n            after:\n              - container:\n                  command: [\"sh\", \"-c\", \"true\"]").unwrap();
        std::fs::write(
            root.join(format!("k8s/{service}.yaml")),
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {service}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: example/{service}\n          ports:\n            - containerPort: 8000\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {service}\nspec:\n  ports:\n    - port: 80\n      targetPort: 8000\n"),
        )
        .unwrap();
    }
    config.push_str("manifests:\n  rawYaml:\n    - k8s/*.yaml\n");
    config.push_str(&profile);
    std::fs::write(root.join("skaffold.yaml"), config).unwrap();
}

fn median(mut samples: Vec<Duration>) -> (Duration, Duration, Duration) {
    samples.sort();
    (
        samples[0],
        samples[samples.len() / 2],
        samples[samples.len() - 1],
    )
}

/// The I/O a check cannot avoid, on one thread: list every entry of the tree and read every
/// file `check` reads (skaffold.yaml, the Dockerfiles, the `.dockerignore` files and the
/// manifests). Returns the bytes read, so the work cannot be optimised away.
fn io_floor(root: &Path) -> usize {
    let mut bytes = 0;
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let in_manifests = dir.file_name().is_some_and(|n| n == "k8s");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                dirs.push(entry.path());
                continue;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let read = name == "skaffold.yaml"
                || name == "Dockerfile"
                || name == ".dockerignore"
                || (in_manifests && name.ends_with(".yaml"));
            if read {
                bytes += std::fs::read(entry.path()).unwrap().len();
            }
        }
    }
    bytes
}

/// CPU time (user + system, every thread) the process has used so far, from `/proc`; `None`
/// where there is no `/proc/self/stat`.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) end with `)`.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports these in USER_HZ, 100 per second on every architecture it supports.
    Some(Duration::from_millis(ticks * 10))
}

/// Median time of `runs` runs of a command, each waited for.
fn time_command(command: &mut std::process::Command, runs: usize) -> Duration {
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = command.output().expect("runs").status;
            assert!(status.code().is_some_and(|c| c <= 1), "{status}");
            start.elapsed()
        })
        .collect();
    median(samples).1
}

/// A one-file project (skaffold.yaml, a Dockerfile and one raw manifest) checked by the CLI,
/// against `skafix --version`: what a pre-commit hook adds to a commit.
fn one_file(runs: usize) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("skaffold.yaml"),
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: example/app\n      sync:\n        manual:\n          - src: \"app/**/*.py\"\n            dest: /srv\nmanifests:\n  rawYaml:\n    - k8s.yaml\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM python:3.12-slim\nWORKDIR /srv\nCOPY app/ /srv/app/\nCMD [\"uvicorn\", \"app.main:app\", \"--reload\"]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("k8s.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: example/app\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("app")).unwrap();
    std::fs::write(dir.path().join("app/main.py"), "\n").unwrap();
    let binary = env!("CARGO_BIN_EXE_skafix");
    let version = time_command(std::process::Command::new(binary).arg("--version"), runs);
    let check = time_command(
        std::process::Command::new(binary)
            .arg("check")
            .arg(dir.path())
            .current_dir(dir.path()),
        runs,
    );
    println!(
        "one-file check {:.2} ms, --version {:.2} ms (median of {runs}): ratio {:.2} (goal <= 2)",
        check.as_secs_f64() * 1e3,
        version.as_secs_f64() * 1e3,
        check.as_secs_f64() / version.as_secs_f64()
    );
}

fn main() {
    // `SKAFIX_BENCH_PROJECT=DIR` only writes the project (first size) to DIR, to time the CLI.
    if let Ok(dir) = std::env::var("SKAFIX_BENCH_PROJECT") {
        let size = std::env::var("SKAFIX_BENCH_SIZES")
            .ok()
            .and_then(|s| s.split(',').next()?.trim().parse().ok())
            .unwrap_or(2000);
        std::fs::create_dir_all(&dir).unwrap();
        generate(Path::new(&dir), size);
        return;
    }
    let bench = std::env::args().any(|a| a == "--bench");
    // Under `cargo test --all-targets` the bench runs once on small projects, as a smoke test.
    let default_sizes = if bench { "200,2000,20000" } else { "30,150" };
    let sizes: Vec<usize> = std::env::var("SKAFIX_BENCH_SIZES")
        .unwrap_or_else(|_| default_sizes.into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs_wanted: Option<usize> = std::env::var("SKAFIX_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok());
    one_file(runs_wanted.unwrap_or(if bench { 21 } else { 3 }));
    let mut cpu_per_artifact: Vec<(usize, Duration)> = Vec::new();
    for size in sizes {
        // Fewer runs of the largest projects: each takes seconds.
        let runs = runs_wanted.unwrap_or(match (bench, size) {
            (false, _) => 1,
            (true, 0..10_000) => 9,
            (true, _) => 3,
        });
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), size);
        let options = CheckOptions {
            paths: vec![dir.path().to_path_buf()],
            ..Default::default()
        };
        let mut samples = Vec::new();
        let mut floors = Vec::new();
        let mut cpu = Duration::ZERO;
        let mut findings = 0;
        for _ in 0..runs {
            // The floor and the check alternate, so both see the same load on the machine.
            let start = Instant::now();
            std::hint::black_box(io_floor(dir.path()));
            floors.push(start.elapsed());
            let cpu_before = cpu_time();
            let start = Instant::now();
            let outcome = check(&options).expect("generated project checks");
            samples.push(start.elapsed());
            if let (Some(before), Some(after)) = (cpu_before, cpu_time()) {
                cpu += after - before;
            }
            findings = outcome.diagnostics.len();
        }
        let (min, med, max) = median(samples);
        let floor = median(floors).1;
        let cpu = cpu / runs as u32;
        println!(
            "check {size:>5} artifacts: median {:>8.1} ms (min {:.1}, max {:.1}, {runs} runs), {:.1} us/artifact, CPU {:.1} us/artifact, {findings} findings; I/O floor {:.1} ms, ratio {:.2} (goal <= 1.5)",
            med.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            med.as_secs_f64() * 1e6 / size as f64,
            cpu.as_secs_f64() * 1e6 / size as f64,
            floor.as_secs_f64() * 1e3,
            med.as_secs_f64() / floor.as_secs_f64()
        );
        cpu_per_artifact.push((size, cpu));
        // The CLI adds the report: every finding rendered with its source snippet.
        let cli = time_command(
            std::process::Command::new(env!("CARGO_BIN_EXE_skafix"))
                .arg("check")
                .arg(dir.path())
                .current_dir(dir.path()),
            runs,
        );
        println!(
            "skafix check {size:>5} artifacts (CLI, {findings} findings rendered): median {:>8.1} ms, {:.2}x the library check",
            cli.as_secs_f64() * 1e3,
            cli.as_secs_f64() / med.as_secs_f64()
        );
    }
    // Linear scaling: the CPU per artifact of the largest size against the next smaller one.
    if let [.., (small, small_cpu), (large, large_cpu)] = cpu_per_artifact[..] {
        let per = |cpu: Duration, n: usize| cpu.as_secs_f64() / n as f64;
        println!(
            "CPU per artifact, {large} against {small} artifacts: ratio {:.2} (goal <= 1.3)",
            per(large_cpu, large) / per(small_cpu, small)
        );
    }
}
