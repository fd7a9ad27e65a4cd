//! Benchmark of `fix --diff` against `check` on a generated repository of 15,000 files (sizes
//! via SKAFIX_BENCH_FILES): one config, three Python services whose contexts hold the files,
//! and two fixable findings (an outdated apiVersion and a `{{.TIMESTAMP}}` build arg). The fix
//! loop works on texts in memory, so `fix --diff` should cost a small multiple of `check`: the
//! first check, one re-check that proves the fixes, nothing copied. Prints the medians and
//! their ratio. Run with `cargo bench --bench fix`.

use skafix::engine::{check, CheckOptions};
use skafix::fix::{run, FixOptions};
use std::path::Path;
use std::time::{Duration, Instant};

const SERVICES: usize = 3;

fn generate(root: &Path, files: usize) {
    let mut config =
        String::from("apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n");
    for s in 0..SERVICES {
        let service = format!("svc{s}");
        let dir = root.join(&service);
        std::fs::create_dir_all(dir.join("app")).unwrap();
        std::fs::write(
            dir.join("Dockerfile"),
            "FROM python:3.12-slim\nARG CACHEBUST\nWORKDIR /srv\nCOPY app/ /srv/app/\nCMD [\"uvicorn\", \"app.main:app\", \"--reload\"]\n",
        )
        .unwrap();
        // Sources in a tree of directories of 100 files each, as a real package has them.
        for i in 0..files / SERVICES {
            let sub = dir.join(format!("app/pkg{}", i / 100));
            if i % 100 == 0 {
                std::fs::create_dir_all(&sub).unwrap();
            }
            std::fs::write(sub.join(format!("m{i}.py")), "\n").unwrap();
        }
        config.push_str(&format!(
            "  - image: example/{service}\n    context: {service}\n    docker:\n      buildArgs:\n        CACHEBUST: \"{{{{.TIMESTAMP}}}}\"\n    sync:\n      manual:\n        - src: \"app/**/*.py\"\n          dest: /srv\n"
        ));
    }
    config.push_str("manifests:\n  rawYaml:\n    - k8s.yaml\n");
    std::fs::write(root.join("skaffold.yaml"), config).unwrap();
    let mut manifest = String::new();
    for s in 0..SERVICES {
        manifest.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{s}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: example/svc{s}\n"
        ));
    }
    std::fs::write(root.join("k8s.yaml"), manifest).unwrap();
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    // Under `cargo test --all-targets` the bench runs once on a small project, as a smoke test.
    let bench = std::env::args().any(|a| a == "--bench");
    let files: usize = std::env::var("SKAFIX_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 15_000 } else { 300 });
    let runs = std::env::var("SKAFIX_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if bench { 9 } else { 1 });
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), files);
    let options = CheckOptions {
        paths: vec![dir.path().to_path_buf()],
        ..Default::default()
    };
    let fix_options = FixOptions {
        check: options.clone(),
        unsafe_fixes: false,
        diff_only: true,
    };
    let mut checks = Vec::new();
    let mut diffs = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let outcome = check(&options).unwrap();
        checks.push(start.elapsed());
        assert!(!outcome.diagnostics.is_empty());
        let start = Instant::now();
        let fixed = run(&fix_options).unwrap();
        diffs.push(start.elapsed());
        assert!(fixed.files_changed > 0, "the generated project has fixes");
    }
    let check = median(checks);
    let diff = median(diffs);
    println!(
        "{files} files: check {:.1} ms, fix --diff {:.1} ms (median of {runs}), ratio {:.2}",
        check.as_secs_f64() * 1e3,
        diff.as_secs_f64() * 1e3,
        diff.as_secs_f64() / check.as_secs_f64()
    );
}
