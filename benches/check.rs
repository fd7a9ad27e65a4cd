//! Benchmark of `check` on a generated monorepo: N artifacts, each with its own multi-stage
//! Dockerfile, `.dockerignore`, build args, manual sync rules, sync hooks in a dev profile and
//! a Deployment + Service manifest. Prints the median and spread of repeated runs and the time
//! per artifact, so linear scaling can be read off two sizes. Run with
//! `cargo bench --bench check` (sizes via SKAFIX_BENCH_SIZES=200,2000).

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
    // Under `cargo test --all-targets` the bench runs once on a small project, as a smoke test.
    let default_sizes = if bench { "200,2000" } else { "50" };
    let sizes: Vec<usize> = std::env::var("SKAFIX_BENCH_SIZES")
        .unwrap_or_else(|_| default_sizes.into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs = std::env::var("SKAFIX_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 9 } else { 1 });
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
