//! The fix loop end to end through the library: real rules on fixtures (byte-exact results,
//! line endings, BOM, symlinks, idempotence, --diff) and synthetic rules injected through
//! `run_with` for the conflict and rollback paths.

use skafix::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use skafix::engine::{self as project, CheckOptions, CheckOutcome, EngineError};
use skafix::fix::{self, FixOptions, FixOutcome};
use skafix::source::Span;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/fix");

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of `fixtures/fix/<name>/input`.
fn project(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&Path::new(FIXTURES).join(name).join("input"), dir.path());
    dir
}

fn expected(name: &str, file: &str) -> String {
    fs::read_to_string(Path::new(FIXTURES).join(name).join("expected").join(file)).unwrap()
}

fn options(root: &Path, unsafe_fixes: bool, diff_only: bool) -> FixOptions {
    FixOptions {
        check: CheckOptions {
            paths: vec![root.to_path_buf()],
            ..Default::default()
        },
        unsafe_fixes,
        diff_only,
    }
}

fn messages(outcome: &FixOutcome) -> Vec<String> {
    outcome.applied.iter().map(|a| a.message.clone()).collect()
}

/// Every file under `dir` with its bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let meta = fs::symlink_metadata(entry.path()).unwrap();
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                let bytes = fs::read(entry.path()).unwrap_or_default();
                out.push((entry.path(), bytes, meta.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn comments_and_formatting_survive_byte_for_byte() {
    let dir = project("formatting");
    let outcome = fix::run(&options(dir.path(), false, false)).unwrap();
    let config = dir.path().join("skaffold.yaml");
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        expected("formatting", "skaffold.yaml")
    );
    assert_eq!(
        messages(&outcome),
        vec![
            "replace `{{.TIMESTAMP}}` with `{{ now | unixEpoch }}`",
            "replace `{{.UUID}}` with `{{ uuidv4 }}`",
            "write the command as the list [\"touch\", \"/tmp/synced\"]",
        ]
    );
    assert!(outcome
        .applied
        .iter()
        .all(|a| a.path == config && a.applicability == Applicability::Safe));
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.files_changed, 1);
    assert_eq!(outcome.diff, None);
    for d in &outcome.remaining.diagnostics {
        assert!(!matches!(d.code, "CACHE001" | "HOOK006"), "left: {d:?}");
    }
    // Files without findings are untouched.
    assert_eq!(
        fs::read(dir.path().join("Dockerfile")).unwrap(),
        fs::read(Path::new(FIXTURES).join("formatting/input/Dockerfile")).unwrap()
    );
}

#[test]
fn fixing_twice_equals_fixing_once() {
    let dir = project("formatting");
    fix::run(&options(dir.path(), true, false)).unwrap();
    let once = snapshot(dir.path());
    let second = fix::run(&options(dir.path(), true, false)).unwrap();
    assert!(second.applied.is_empty(), "{:?}", second.applied);
    assert_eq!(second.files_changed, 0);
    assert_eq!(snapshot(dir.path()), once);
}

#[test]
fn crlf_line_endings_are_kept() {
    let dir = project("formatting");
    let config = dir.path().join("skaffold.yaml");
    let lf = fs::read_to_string(&config).unwrap();
    fs::write(&config, lf.replace('\n', "\r\n")).unwrap();
    let outcome = fix::run(&options(dir.path(), false, false)).unwrap();
    assert_eq!(outcome.applied.len(), 3);
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        expected("formatting", "skaffold.yaml").replace('\n', "\r\n")
    );
}

#[test]
fn a_bom_is_kept() {
    let dir = project("formatting");
    let config = dir.path().join("skaffold.yaml");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(&config, format!("\u{feff}{text}")).unwrap();
    let outcome = fix::run(&options(dir.path(), false, false)).unwrap();
    assert_eq!(outcome.applied.len(), 3);
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        format!("\u{feff}{}", expected("formatting", "skaffold.yaml"))
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_stays_a_link_and_its_target_is_fixed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project("formatting");
    fs::create_dir(dir.path().join("shared")).unwrap();
    let real = dir.path().join("shared/skaffold.yaml");
    fs::rename(dir.path().join("skaffold.yaml"), &real).unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.path().join("skaffold.yaml");
    std::os::unix::fs::symlink("shared/skaffold.yaml", &link).unwrap();
    let outcome = fix::run(&options(&link, false, false)).unwrap();
    assert_eq!(outcome.applied.len(), 3);
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        fs::read_link(&link).unwrap(),
        PathBuf::from("shared/skaffold.yaml")
    );
    assert_eq!(
        fs::read_to_string(&real).unwrap(),
        expected("formatting", "skaffold.yaml")
    );
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    // No temporary file is left next to the target or the link.
    let mut names: Vec<_> = fs::read_dir(dir.path().join("shared"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, vec!["skaffold.yaml"]);
}

#[test]
fn diff_mode_writes_nothing_and_shows_the_same_result() {
    let dir = project("formatting");
    let before = snapshot(dir.path());
    let outcome = fix::run(&options(dir.path(), false, true)).unwrap();
    assert_eq!(snapshot(dir.path()), before);
    let config = dir.path().join("skaffold.yaml");
    let original = fs::read_to_string(&config).unwrap();
    let want = fix::unified_diff(&config, &original, &expected("formatting", "skaffold.yaml"));
    assert!(!want.is_empty());
    assert_eq!(outcome.diff.as_deref(), Some(want.as_str()));
    assert_eq!(outcome.files_changed, 1);
    assert_eq!(outcome.applied.len(), 3);
    // Paths are the user's, not the shadow copy's.
    assert!(outcome.applied.iter().all(|a| a.path == config));
    assert!(outcome.remaining.sources.contains_key(&config));
    assert!(outcome
        .remaining
        .diagnostics
        .iter()
        .all(|d| d.path.starts_with(dir.path())));
}

#[test]
fn diff_mode_with_nothing_to_fix_is_an_empty_diff() {
    let dir = project("formatting");
    fix::run(&options(dir.path(), false, false)).unwrap();
    let outcome = fix::run(&options(dir.path(), false, true)).unwrap();
    assert_eq!(outcome.diff.as_deref(), Some(""));
    assert_eq!(outcome.files_changed, 0);
}

// ---- synthetic rules ----------------------------------------------------------------------

/// A minimal config the real loader accepts, which synthetic rules edit, and a second config
/// they leave alone (so the check still has something to load when the first one breaks).
fn tiny_project(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("skaffold.yaml");
    fs::write(&config, text).unwrap();
    fs::write(
        dir.path().join("skaffold-base.yaml"),
        "apiVersion: skaffold/v4beta11\nkind: Config\nmetadata:\n  name: base\n",
    )
    .unwrap();
    (dir, config)
}

fn synthetic(
    path: &Path,
    code: &'static str,
    start: usize,
    end: usize,
    content: &str,
) -> Diagnostic {
    Diagnostic::new(
        code,
        "synthetic",
        Severity::Warning,
        path,
        Span::new(start, end),
        "synthetic",
    )
    .with_fix(Fix {
        applicability: Applicability::Safe,
        message: format!("{code}: {start}..{end} -> {content:?}"),
        edits: vec![Edit {
            path: path.to_path_buf(),
            start,
            end,
            content: content.to_string(),
        }],
    })
}

/// The real check with its own findings replaced by those `rules` derive from each file text.
fn checker_with<'a>(
    calls: &'a mut usize,
    rules: impl Fn(&Path, &str) -> Vec<Diagnostic> + 'a,
) -> impl FnMut(&CheckOptions) -> Result<CheckOutcome, EngineError> + 'a {
    move |opts: &CheckOptions| {
        *calls += 1;
        let mut outcome = project::check(opts)?;
        outcome.diagnostics.retain(|d| d.code == "SCHEMA001");
        for (path, source) in &outcome.sources {
            if path.file_name().is_some_and(|n| n == "skaffold.yaml") {
                outcome.diagnostics.extend(rules(path, &source.text));
            }
        }
        Ok(outcome)
    }
}

const TINY: &str = "apiVersion: skaffold/v4beta11\nkind: Config\nmetadata:\n  name: ab # keep\n";

#[test]
fn overlapping_fixes_are_deferred_to_the_next_pass() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        let mut out = Vec::new();
        // X: `ab` -> `Ab`; Y: the `b` after `a`/`A` -> `B`. The edits touch, so not together.
        if let Some(at) = text.find("name: ab") {
            out.push(synthetic(path, "TESTX", at + 6, at + 7, "A"));
        }
        for pattern in ["name: ab", "name: Ab"] {
            if let Some(at) = text.find(pattern) {
                out.push(synthetic(path, "TESTY", at + 7, at + 8, "B"));
            }
        }
        out
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    drop(checker);
    let at = TINY.find("name: ab").unwrap();
    assert_eq!(
        messages(&outcome),
        vec![
            format!("TESTX: {}..{} -> \"A\"", at + 6, at + 7),
            format!("TESTY: {}..{} -> \"B\"", at + 7, at + 8),
        ]
    );
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        TINY.replace("name: ab", "name: AB")
    );
    // The initial check, one after each of the two passes.
    assert_eq!(calls, 3);
}

#[test]
fn duplicate_findings_apply_their_fix_once() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| match text.find("ab #") {
        Some(at) => vec![
            synthetic(path, "TESTD", at, at + 2, "cd"),
            synthetic(path, "TESTD", at, at + 2, "cd"),
        ],
        None => vec![],
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert_eq!(outcome.applied.len(), 1);
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        TINY.replace("ab #", "cd #")
    );
}

#[test]
fn a_fix_that_breaks_the_yaml_is_rolled_back_and_reported() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        let mut out = vec![synthetic(path, "BREAK", 0, 0, "broken: [unclosed\n")];
        if let Some(at) = text.find("ab #") {
            out.push(synthetic(path, "GOOD", at, at + 2, "fine"));
        }
        out
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    let at = TINY.find("ab #").unwrap();
    assert_eq!(
        messages(&outcome),
        vec![format!("GOOD: {at}..{} -> \"fine\"", at + 2)]
    );
    assert_eq!(outcome.failed.len(), 1, "{:?}", outcome.failed);
    let (path, message, reason) = &outcome.failed[0];
    assert_eq!(path, &config);
    assert_eq!(message, "BREAK: 0..0 -> \"broken: [unclosed\\n\"");
    assert!(
        reason.starts_with("the fix made the file unparseable (SCHEMA001: invalid YAML"),
        "{reason}"
    );
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        TINY.replace("ab #", "fine #")
    );
    // The breaking fix stays reported as available, and nothing else is pending.
    let left: Vec<_> = outcome
        .remaining
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(left, vec!["BREAK"]);
}

#[test]
fn a_fix_that_adds_an_error_is_rolled_back() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        let mut out = Vec::new();
        if let Some(at) = text.find("ab #") {
            out.push(synthetic(path, "MAKEERR", at, at + 2, "err"));
        }
        if let Some(at) = text.find("err #") {
            out.push(Diagnostic::new(
                "TESTERR",
                "synthetic-error",
                Severity::Error,
                path,
                Span::new(at, at + 3),
                "this name is an error",
            ));
        }
        out
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert!(outcome.applied.is_empty());
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(
        outcome.failed[0].2,
        "the fix introduced a new error (TESTERR: this name is an error); the file was restored"
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), TINY);
    assert_eq!(outcome.files_changed, 0);
}

#[test]
fn rollback_also_works_in_diff_mode_and_nothing_is_written() {
    let (dir, config) = tiny_project(TINY);
    let before = snapshot(dir.path());
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        let mut out = vec![synthetic(path, "BREAK", 0, 0, "broken: [unclosed\n")];
        if let Some(at) = text.find("ab #") {
            out.push(synthetic(path, "GOOD", at, at + 2, "fine"));
        }
        out
    });
    let outcome = fix::run_with(&options(dir.path(), false, true), &mut checker, &mut |_| {
        Ok(())
    })
    .unwrap();
    assert_eq!(snapshot(dir.path()), before);
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(outcome.failed[0].0, config);
    assert_eq!(
        outcome.diff.as_deref(),
        Some(fix::unified_diff(&config, TINY, &TINY.replace("ab #", "fine #")).as_str())
    );
}

#[test]
fn crlf_is_applied_to_inserted_lines() {
    let text = TINY.replace('\n', "\r\n");
    let (dir, config) = tiny_project(&text);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        if text.contains("description") {
            return vec![];
        }
        let at = text.find("metadata:").unwrap();
        vec![synthetic(
            path,
            "INSERT",
            at,
            at,
            "# description\n# two lines\n",
        )]
    });
    fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        text.replace("metadata:", "# description\r\n# two lines\r\nmetadata:")
    );
}

#[test]
fn unsafe_and_display_only_fixes_follow_the_flag() {
    for (unsafe_fixes, want) in [(false, "ab"), (true, "unsafe")] {
        let (dir, config) = tiny_project(TINY);
        let mut calls = 0;
        let mut checker = checker_with(&mut calls, |path, text| {
            let Some(at) = text.find("ab #") else {
                return vec![];
            };
            let mut unsafe_fix = synthetic(path, "UNSAFE", at, at + 2, "unsafe");
            unsafe_fix.fix.as_mut().unwrap().applicability = Applicability::Unsafe;
            let mut shown = synthetic(path, "SHOWN", 0, 0, "# never\n");
            shown.fix.as_mut().unwrap().applicability = Applicability::DisplayOnly;
            vec![unsafe_fix, shown]
        });
        let outcome = fix::run_with(
            &options(dir.path(), unsafe_fixes, false),
            &mut checker,
            &mut |_| Ok(()),
        )
        .unwrap();
        assert_eq!(
            fs::read_to_string(&config).unwrap(),
            TINY.replace("ab #", &format!("{want} #"))
        );
        assert_eq!(outcome.applied.len(), usize::from(unsafe_fixes));
    }
}

#[test]
fn a_filtered_out_finding_is_not_fixed() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| match text.find("ab #") {
        Some(at) => vec![synthetic(path, "SUPPRESSED", at, at + 2, "cd")],
        None => vec![],
    });
    let mut filter = |outcome: &mut CheckOutcome| {
        outcome.diagnostics.retain(|d| d.code != "SUPPRESSED");
        Ok(())
    };
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut filter,
    )
    .unwrap();
    assert!(outcome.applied.is_empty());
    assert!(outcome.remaining.diagnostics.is_empty());
    assert_eq!(fs::read_to_string(&config).unwrap(), TINY);
}

#[test]
fn an_invalid_edit_is_reported_not_applied() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, _| {
        vec![synthetic(path, "OOB", 5, 9999, "x")]
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert_eq!(
        outcome.failed,
        vec![(
            config.clone(),
            "OOB: 5..9999 -> \"x\"".to_string(),
            format!(
                "invalid fix: edit range 5..9999 is outside the file ({} bytes)",
                TINY.len()
            )
        )]
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), TINY);
}

#[test]
fn a_fix_that_never_settles_stops_at_the_pass_limit() {
    let (dir, _config) = tiny_project(TINY);
    let mut calls = 0;
    // Always offers to append one more character; each fix removes its finding (the message
    // names the length) and the next one is inside the text it inserted, so each is proven.
    let mut checker = checker_with(&mut calls, |path, text| {
        let at = text.find(" # keep").unwrap();
        let mut grow = synthetic(path, "GROW", at, at, "x");
        grow.message = format!("the value is {at} bytes long");
        vec![grow]
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    drop(checker);
    assert_eq!(outcome.applied.len(), fix::MAX_PASSES);
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(
        outcome.failed[0].2,
        format!("the fixes did not settle after {} passes", fix::MAX_PASSES)
    );
    assert_eq!(calls, fix::MAX_PASSES + 1);
}

#[test]
fn a_fix_that_makes_the_check_fail_is_rolled_back() {
    let (dir, config) = tiny_project(TINY);
    let mut checker = |opts: &CheckOptions| {
        let mut outcome = project::check(opts)?;
        let text = outcome.sources[&config].text.clone();
        if text.contains("broken") {
            return Err(EngineError {
                message: "cannot check a broken file".to_string(),
            });
        }
        outcome.diagnostics = vec![synthetic(&config, "BREAK", 0, 0, "broken: [unclosed\n")];
        Ok(outcome)
    };
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert!(outcome.applied.is_empty());
    assert_eq!(
        outcome.failed,
        vec![(
            config.clone(),
            "BREAK: 0..0 -> \"broken: [unclosed\\n\"".to_string(),
            "the fixed files could not be checked (cannot check a broken file); the file was restored"
                .to_string()
        )]
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), TINY);
}

#[test]
fn a_fix_that_adds_an_error_in_another_file_is_rolled_back() {
    let (dir, config) = tiny_project(TINY);
    let base = dir.path().join("skaffold-base.yaml");
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        let mut out = Vec::new();
        if let Some(at) = text.find("ab #") {
            out.push(synthetic(path, "MAKEERR", at, at + 2, "err"));
        }
        if text.contains("err #") {
            let other = path.with_file_name("skaffold-base.yaml");
            out.push(Diagnostic::new(
                "TESTERR",
                "synthetic-error",
                Severity::Error,
                other,
                Span::new(0, 1),
                "broken by the other file",
            ));
        }
        out
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert!(outcome.applied.is_empty());
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(
        outcome.failed[0].2,
        format!(
            "the fix introduced a new error in {} (TESTERR: broken by the other file); the fixed files were restored",
            base.display()
        )
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), TINY);
}

#[test]
fn an_error_revealed_by_fixing_another_error_is_kept() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        let error = |code: &'static str, at: usize, message: &str| {
            Diagnostic::new(
                code,
                "synthetic-error",
                Severity::Error,
                path,
                Span::new(at, at + 2),
                message,
            )
        };
        let mut out = Vec::new();
        if let Some(at) = text.find("ab #") {
            let mut masked = error("MASK", at, "hides what follows");
            masked.fix = synthetic(path, "MASK", at, at + 2, "cd").fix;
            out.push(masked);
        }
        if let Some(at) = text.find("cd #") {
            out.push(error("REVEALED", at, "visible once decodable"));
        }
        out
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert_eq!(outcome.applied.len(), 1);
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        TINY.replace("ab #", "cd #")
    );
    let left: Vec<_> = outcome
        .remaining
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert_eq!(left, vec!["REVEALED"]);
}

#[test]
fn findings_revealed_by_a_fix_are_reported_not_rolled_back() {
    let dir = project("hook-revealed");
    let config = dir.path().join("skaffold.yaml");
    let initial = project::check(&options(dir.path(), false, false).check).unwrap();
    let initial_codes: Vec<_> = initial.diagnostics.iter().map(|d| d.code).collect();
    assert!(initial_codes.contains(&"HOOK006"), "{initial_codes:?}");
    assert!(!initial_codes.contains(&"HOOK003"), "{initial_codes:?}");

    let outcome = fix::run(&options(dir.path(), false, false)).unwrap();
    assert_eq!(
        messages(&outcome),
        vec!["write the command as the list [\"pkill\", \"-HUP\", \"uvicorn\"]"]
    );
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(
        fs::read_to_string(&config).unwrap(),
        expected("hook-revealed", "skaffold.yaml")
    );
    // Once the command is a list, the hook itself is analysed: python:3.12-slim has no pkill.
    let left: Vec<_> = outcome
        .remaining
        .diagnostics
        .iter()
        .map(|d| d.code)
        .collect();
    assert!(left.contains(&"HOOK003"), "{left:?}");
    assert!(!left.contains(&"HOOK006"), "{left:?}");
}

/// `fixtures/fix/<name>`: with `--unsafe-fixes`, exactly the fixes in `messages` are applied,
/// each file of `expected/` gets those bytes and every other file is untouched; without the
/// flag nothing changes; a second run has nothing left to do.
fn unsafe_fix_gives_expected_bytes(name: &str, messages_wanted: &[&str]) {
    let dir = project(name);
    let before = snapshot(dir.path());
    let outcome = fix::run(&options(dir.path(), false, false)).unwrap();
    assert!(outcome.applied.is_empty(), "{:?}", messages(&outcome));
    assert_eq!(snapshot(dir.path()), before);

    let outcome = fix::run(&options(dir.path(), true, false)).unwrap();
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(messages(&outcome), messages_wanted);
    let expected_dir = Path::new(FIXTURES).join(name).join("expected");
    for (path, bytes, _) in snapshot(dir.path()) {
        let rel = path.strip_prefix(dir.path()).unwrap();
        let want = match fs::read(expected_dir.join(rel)) {
            Ok(want) => want,
            Err(_) => fs::read(Path::new(FIXTURES).join(name).join("input").join(rel)).unwrap(),
        };
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            String::from_utf8_lossy(&want),
            "{}",
            rel.display()
        );
    }
    let again = fix::run(&options(dir.path(), true, false)).unwrap();
    assert!(again.applied.is_empty(), "{:?}", messages(&again));
}

#[test]
fn infer_with_copy_from_sources_becomes_manual_rules() {
    unsafe_fix_gives_expected_bytes(
        "sync-copy-from",
        &["replace `infer` with `manual` rules for where the final image has the files"],
    );
}

#[test]
fn sync_dest_follows_a_copy_that_keeps_the_source_path() {
    unsafe_fix_gives_expected_bytes(
        "sync-kept-path",
        &[
            "sync to `dest: /app/apps/server` with `strip: apps/server/`, the layout of the COPY",
            "sync to `dest: /app`, the layout of the COPY",
        ],
    );
}

#[test]
fn auto_on_a_docker_artifact_becomes_manual_rules() {
    unsafe_fix_gives_expected_bytes(
        "sync-auto",
        &["replace `auto` with `manual` rules matching the Dockerfile's COPY instructions"],
    );
}

#[test]
fn reload_flag_goes_into_the_package_json_script_the_container_runs() {
    unsafe_fix_gives_expected_bytes("npm-script", &["add `--watch` after `node`"]);
}

#[test]
fn removing_the_only_hook_removes_its_emptied_keys() {
    unsafe_fix_gives_expected_bytes(
        "hook-tidy",
        &[
            "remove this hook (it undoes the sync)",
            "remove this hook (it undoes the sync)",
        ],
    );
}

#[test]
fn a_fix_whose_finding_stays_is_not_applied() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    // Offers to rename the config, but reports the same finding whatever the name is.
    let mut checker = checker_with(&mut calls, |path, text| {
        let at = text.find("name: ").unwrap() + 6;
        vec![synthetic(path, "STAYS", at, at + 2, "cd")]
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert!(outcome.applied.is_empty());
    assert_eq!(
        outcome.failed,
        vec![(
            config.clone(),
            "STAYS: 61..63 -> \"cd\"".to_string(),
            "the finding is still reported after the fix (STAYS: synthetic)".to_string()
        )]
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), TINY);
}

#[test]
fn a_fix_that_causes_an_equally_severe_finding_elsewhere_is_not_applied() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    // Renaming the config fixes NAME but makes the apiVersion line wrong: a warning elsewhere.
    let mut checker = checker_with(&mut calls, |path, text| {
        let mut out = Vec::new();
        if let Some(at) = text.find("name: ab") {
            out.push(synthetic(path, "NAME", at + 6, at + 8, "cd"));
        } else {
            let mut worse = synthetic(path, "WORSE", 0, 10, "apiVersion");
            worse.message = "the apiVersion no longer fits the name".to_string();
            worse.fix = None;
            out.push(worse);
        }
        out
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert!(outcome.applied.is_empty());
    assert_eq!(outcome.failed.len(), 1);
    assert_eq!(
        outcome.failed[0].2,
        format!(
            "it would cause warning WORSE at {}:1: the apiVersion no longer fits the name",
            config.display()
        )
    );
    assert_eq!(fs::read_to_string(&config).unwrap(), TINY);
}

#[test]
fn a_fix_may_leave_a_less_severe_finding_elsewhere() {
    let (dir, config) = tiny_project(TINY);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        let mut out = Vec::new();
        if let Some(at) = text.find("name: ab") {
            let mut name = synthetic(path, "NAME", at + 6, at + 8, "cd");
            name.severity = Severity::Error;
            out.push(name);
        } else {
            let mut note = synthetic(path, "NOTE", 0, 10, "apiVersion");
            note.fix = None;
            out.push(note);
        }
        out
    });
    let outcome = fix::run_with(
        &options(dir.path(), false, false),
        &mut checker,
        &mut |_| Ok(()),
    )
    .unwrap();
    assert_eq!(outcome.applied.len(), 1);
    assert_eq!(outcome.applied[0].line, 4);
    assert_eq!(outcome.applied[0].code, "NAME");
    assert!(fs::read_to_string(&config)
        .unwrap()
        .contains("name: cd # keep"));
}

#[test]
fn fix_diff_writes_no_file_anywhere() {
    let (dir, _config) = tiny_project(TINY);
    let before = snapshot(dir.path());
    let tmp = tempfile::tempdir().unwrap();
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        text.find("name: ab")
            .map(|at| vec![synthetic(path, "NAME", at + 6, at + 8, "cd")])
            .unwrap_or_default()
    });
    // The loop keeps its texts in memory: neither the project nor the temp dir gets a file.
    let previous = std::env::var_os("TMPDIR");
    std::env::set_var("TMPDIR", tmp.path());
    let outcome = fix::run_with(&options(dir.path(), false, true), &mut checker, &mut |_| {
        Ok(())
    });
    match previous {
        Some(v) => std::env::set_var("TMPDIR", v),
        None => std::env::remove_var("TMPDIR"),
    }
    let outcome = outcome.unwrap();
    assert_eq!(outcome.files_changed, 1);
    assert!(outcome.diff.unwrap().contains("+  name: cd # keep"));
    assert_eq!(snapshot(dir.path()), before);
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn one_fix_costs_two_checks() {
    let (dir, _config) = tiny_project(TINY);
    let mut calls = 0;
    let mut checker = checker_with(&mut calls, |path, text| {
        text.find("name: ab")
            .map(|at| vec![synthetic(path, "NAME", at + 6, at + 8, "cd")])
            .unwrap_or_default()
    });
    let outcome = fix::run_with(&options(dir.path(), false, true), &mut checker, &mut |_| {
        Ok(())
    })
    .unwrap();
    drop(checker);
    assert_eq!(outcome.applied.len(), 1);
    // The first check, and the one after the fix that proves it.
    assert_eq!(calls, 2);
}
