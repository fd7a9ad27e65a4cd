//! Every fix a rule offers on its own failing fixture is proven by the fix loop: applied in
//! memory, every pipeline and profile re-checked, kept only when the rule's finding is gone and
//! nothing as severe appears elsewhere. Each failing fixture of a fixable rule is copied and
//! fixed; every fix offered for that rule's findings must be applied, and none of them may be
//! refused (a refusal would mean `check` offers a fix that makes things worse).

mod common;

use common::copy_tree;
use skafix::diagnostic::Applicability;
use skafix::engine::{check, CheckOptions};
use skafix::fix::{run, FixOptions};
use std::path::Path;

#[test]
fn every_offered_fix_of_a_failing_fixture_is_proven_and_applied() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut checked = 0;
    let mut problems = Vec::new();
    let mut codes: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("fail").is_dir())
        .collect();
    codes.sort();
    for rule_dir in codes {
        let code = rule_dir.file_name().unwrap().to_string_lossy().to_string();
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&rule_dir.join("fail"), dir.path());
        let options = CheckOptions {
            paths: vec![dir.path().to_path_buf()],
            ..Default::default()
        };
        let before = check(&options).unwrap();
        let offered = before
            .diagnostics
            .iter()
            .filter(|d| d.code == code)
            .filter(|d| {
                d.fix
                    .as_ref()
                    .is_some_and(|f| f.applicability != Applicability::DisplayOnly)
            })
            .count();
        if offered == 0 {
            continue;
        }
        checked += 1;
        let outcome = run(&FixOptions {
            check: options,
            unsafe_fixes: true,
            diff_only: false,
        })
        .unwrap();
        for (path, message, why) in &outcome.failed {
            problems.push(format!(
                "{code}: {}: fix not applied ({message}): {why}",
                path.display()
            ));
        }
        let applied = outcome.applied.iter().filter(|a| a.code == code).count();
        if applied < offered {
            problems.push(format!(
                "{code}: {offered} fixes offered, {applied} applied"
            ));
        }
    }
    assert!(checked >= 10, "only {checked} fixable rules have fixtures");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
