//! The whole `check` and `fix --diff` pipeline over a small project made from the input: the
//! parts between NUL bytes are skaffold.yaml, the Dockerfile, a manifest and .dockerignore
//! (a missing part keeps a minimal valid file). The project's files exist on disk once per
//! process so discovery finds them; each input reaches the engine through the in-memory
//! overlay, the way `fix` hands the engine its edited texts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skafix::engine::{self, CheckOptions};
use skafix::project::Overlay;
use skafix::report::{self, Format, RenderOptions, Report};
use std::path::PathBuf;
use std::sync::OnceLock;

const FILES: [(&str, &str); 4] = [
    (
        "skaffold.yaml",
        "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      sync:\n        manual:\n          - src: \"app/**/*.py\"\n            dest: /srv\nmanifests:\n  rawYaml:\n    - k8s/*.yaml\n",
    ),
    (
        "Dockerfile",
        "FROM python:3.12-slim\nWORKDIR /srv\nCOPY app app\nCMD [\"uvicorn\", \"app.main:app\", \"--reload\"]\n",
    ),
    (
        "k8s/app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app\n",
    ),
    (".dockerignore", "*.pyc\n"),
];

struct Project {
    // Kept alive for the process: the files discovery walks.
    _dir: tempfile::TempDir,
    root: PathBuf,
}

fn project() -> &'static Project {
    static PROJECT: OnceLock<Project> = OnceLock::new();
    PROJECT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path().to_path_buf();
        for (name, text) in FILES {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        std::fs::create_dir_all(root.join("app")).unwrap();
        std::fs::write(root.join("app/main.py"), "app = None\n").unwrap();
        Project { _dir: dir, root }
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let project = project();
    let mut overlay = Overlay::default();
    let mut parts = text.split('\0');
    for (name, default) in FILES {
        let part = parts.next().unwrap_or(default);
        overlay.set(&project.root.join(name), part.to_string());
    }
    let options = CheckOptions {
        paths: vec![project.root.clone()],
        overlay,
        render: skafix::render::RenderOptions {
            enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let Ok(outcome) = engine::check(&options) else {
        return;
    };
    let mut diagnostics = skafix::config::apply_suppressions(outcome.diagnostics, &outcome.sources);
    report::sort_diagnostics(&mut diagnostics);
    // A finding about a file that could not be read has no source; any other points into
    // the text it was made on.
    for d in &diagnostics {
        if let Some(source) = outcome.sources.get(&d.path) {
            assert!(
                source.text.get(d.span.start..d.span.end).is_some(),
                "finding outside its file: {d:?}"
            );
        }
    }
    let report = Report {
        diagnostics: &diagnostics,
        sources: &outcome.sources,
        files_checked: outcome.sources.len(),
    };
    for format in [Format::Full, Format::Concise, Format::Json, Format::Sarif] {
        std::hint::black_box(report::render(format, &report, &RenderOptions::default()));
    }
    let fix = skafix::fix::FixOptions {
        check: options,
        unsafe_fixes: true,
        diff_only: true,
    };
    std::hint::black_box(skafix::fix::run(&fix).ok());
});
