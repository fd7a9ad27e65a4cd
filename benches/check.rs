//! Benchmark of `check` on a generated monorepo: N artifacts, each with its own multi-stage
//! Dockerfile, manual sync rules, hooks, a dev profile and a Deployment manifest. Prints the
//! median and spread of repeated runs and the time per artifact, so linear scaling can be read
//! off two sizes. Run with `cargo bench --bench check` (sizes via SKAFIX_BENCH_SIZES=200,2000).

use skafix::project::{check, CheckOptions};
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

fn generate(root: &Path, artifacts: usize) {
    let mut config =
        String::from("apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n");
    let mut profile = String::from("profiles:\n  - name: dev\n    build:\n      artifacts:\n");
    for i in 0..artifacts {
        let service = format!("svc{i}");
        let dir = root.join(&service);
        std::fs::create_dir_all(dir.join("app")).unwrap();
        std::fs::write(
            dir.join("Dockerfile"),
            "ARG BASE=python:3.12-slim\nFROM python:3.12-slim AS builder\nWORKDIR /build\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n\nFROM ${BASE}\nCOPY --from=builder /usr/local/lib/python3.12/site-packages /usr/local/lib/python3.12/site-packages\nWORKDIR /srv\nCOPY app/ /srv/app/\nCMD [\"uvicorn\", \"app.main:app\", \"--reload\", \"--host\", \"0.0.0.0\"]\n",
        )
        .unwrap();
        std::fs::write(dir.join("requirements.txt"), "uvicorn\n").unwrap();
        std::fs::write(dir.join("app/main.py"), "").unwrap();
        let artifact = format!(
            "  - image: example/{service}\n    context: {service}\n    sync:\n      manual:\n        - src: \"app/**/*.py\"\n          dest: /srv\n"
        );
        config.push_str(&artifact);
        for line in artifact.lines() {
            writeln!(profile, "    {line}").unwrap();
        }
        writeln!(profile, "          hooks:\n            after:\n              - container:\n                  command: [\"sh\", \"-c\", \"true\"]").unwrap();
        std::fs::create_dir_all(root.join("k8s")).unwrap();
        std::fs::write(
            root.join(format!("k8s/{service}.yaml")),
            format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {service}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: example/{service}\n"),
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

fn main() {
    let sizes: Vec<usize> = std::env::var("SKAFIX_BENCH_SIZES")
        .unwrap_or_else(|_| "200,2000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    // `cargo test --all-targets` runs benches once as a smoke test with --bench absent.
    let runs = if std::env::args().any(|a| a == "--bench") {
        9
    } else {
        1
    };
    for size in sizes {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), size);
        let options = CheckOptions {
            paths: vec![dir.path().to_path_buf()],
            ..Default::default()
        };
        let mut samples = Vec::new();
        let mut findings = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let outcome = check(&options).expect("generated project checks");
            samples.push(start.elapsed());
            findings = outcome.diagnostics.len();
        }
        let (min, med, max) = median(samples);
        println!(
            "check {size:>5} artifacts: median {:>8.1} ms (min {:.1}, max {:.1}, {runs} runs), {:.1} us/artifact, {findings} findings",
            med.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            med.as_secs_f64() * 1e6 / size as f64
        );
    }
}
