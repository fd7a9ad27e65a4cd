//! Fix invariants over the real projects of the corpus, each copied to a temporary directory:
//! after `fix --unsafe-fixes` every YAML file that parsed still parses, every finding whose fix
//! was applied is gone, no new error appears, a second run changes nothing, and `--diff`
//! predicts exactly what `fix` writes.

mod common;

use common::copy_tree;
use skafix::diagnostic::Severity;
use skafix::engine::CheckOptions;
use skafix::fix::{self, FixOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/skaffold");

fn files(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            files(&entry.path(), out);
        } else {
            out.insert(entry.path(), fs::read(entry.path()).unwrap());
        }
    }
}

fn is_yaml(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn yaml_parses(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|text| skafix::yaml::parse(text).is_ok())
}

fn options(root: &Path, diff_only: bool) -> FixOptions {
    FixOptions {
        check: CheckOptions {
            paths: vec![root.to_path_buf()],
            ..Default::default()
        },
        unsafe_fixes: true,
        diff_only,
    }
}

#[test]
fn fixing_the_corpus_keeps_every_invariant() {
    let mut projects: Vec<PathBuf> = fs::read_dir(CORPUS)
        .expect("corpus directory")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n != "LICENSES"))
        .collect();
    projects.sort();
    assert!(projects.len() >= 4, "corpus projects: {projects:?}");
    let mut fixed_somewhere = 0;
    for source in &projects {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join(source.file_name().unwrap());
        copy_tree(source, &root);
        let mut before = BTreeMap::new();
        files(&root, &mut before);
        let initial = skafix::engine::check(&options(&root, false).check).unwrap();

        let predicted = fix::run(&options(&root, true)).unwrap();
        let mut untouched = BTreeMap::new();
        files(&root, &mut untouched);
        assert!(
            untouched == before,
            "{}: --diff wrote files",
            source.display()
        );

        let outcome = fix::run(&options(&root, false)).unwrap();
        let mut after = BTreeMap::new();
        files(&root, &mut after);
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>()
        );
        let mut real_diff = String::new();
        for (path, old) in &before {
            let new = &after[path];
            if old != new {
                real_diff.push_str(&fix::unified_diff(
                    path,
                    std::str::from_utf8(old).unwrap(),
                    std::str::from_utf8(new).unwrap(),
                ));
            }
            if is_yaml(path) && yaml_parses(old) {
                assert!(yaml_parses(new), "{} no longer parses", path.display());
            }
        }
        assert_eq!(
            predicted.diff.as_deref(),
            Some(real_diff.as_str()),
            "{}",
            source.display()
        );
        assert_eq!(predicted.files_changed, outcome.files_changed);
        fixed_somewhere += outcome.applied.len();

        let failed: BTreeSet<(&Path, &str)> = outcome
            .failed
            .iter()
            .map(|(p, m, _)| (p.as_path(), m.as_str()))
            .collect();
        let remaining = &outcome.remaining.diagnostics;
        for d in &initial.diagnostics {
            let Some(f) = &d.fix else { continue };
            if f.applicability == skafix::diagnostic::Applicability::DisplayOnly
                || failed.contains(&(d.path.as_path(), f.message.as_str()))
            {
                continue;
            }
            assert!(
                !remaining
                    .iter()
                    .any(|r| r.code == d.code && r.path == d.path && r.message == d.message),
                "{}: fixed finding still there: {} {}",
                d.path.display(),
                d.code,
                d.message
            );
        }
        let errors_before: BTreeSet<(&str, &Path, &str)> = initial
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| (d.code, d.path.as_path(), d.message.as_str()))
            .collect();
        for d in remaining.iter().filter(|d| d.severity == Severity::Error) {
            assert!(
                errors_before.contains(&(d.code, d.path.as_path(), d.message.as_str())),
                "new error after fixing: {} {} {}",
                d.path.display(),
                d.code,
                d.message
            );
        }

        let again = fix::run(&options(&root, false)).unwrap();
        assert!(
            again.applied.is_empty(),
            "{}: {:?}",
            source.display(),
            again.applied
        );
        let mut twice = BTreeMap::new();
        files(&root, &mut twice);
        assert!(
            twice == after,
            "{}: a second run changed files",
            source.display()
        );
    }
    // The corpus has findings with fixes (HOOK006 and CACHE001 at least); if none were
    // applied, the loop did not run at all.
    assert!(fixed_somewhere > 0);
}
