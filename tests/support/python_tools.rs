//! The Python tools and the local package index of the packaging tests, made by the scripts in
//! tests/support (which ./scripts/test.sh runs first; run here when missing, they are
//! idempotent).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run_script(name: &str, envs: &[(&str, PathBuf)]) {
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("tests/support").join(name));
    for (key, value) in envs {
        cmd.env(key, value);
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A program of target/python-tools (maturin, actionlint).
pub fn tool(name: &str) -> PathBuf {
    let exe = root().join("target/python-tools/bin").join(name);
    if !exe.exists() {
        run_script("setup-python-tools.sh", &[]);
    }
    exe
}

/// target/wheelhouse: the skafix wheel and the build backend of the pre-commit mirror's
/// package, for `pip --no-index --find-links`.
pub fn wheelhouse() -> PathBuf {
    let house = root().join("target/wheelhouse");
    if skafix_wheel(&house).is_none() {
        // A target directory of its own: the one this test runs from may be locked by cargo.
        run_script(
            "build-wheel.sh",
            &[("CARGO_TARGET_DIR", root().join("target/wheel-build"))],
        );
    }
    house
}

/// The skafix wheel in a wheelhouse.
pub fn skafix_wheel(house: &Path) -> Option<PathBuf> {
    std::fs::read_dir(house)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("skafix-") && n.ends_with(".whl"))
        })
}
