//! `skafix fix`: applies the fixes rules attach to their findings, in a bounded loop of
//! collect, sort, skip overlaps, apply, re-parse and re-check, until nothing is left to fix
//! (ruff's model: `ruff_linter/src/fix/mod.rs::apply_fixes` and `linter.rs::lint_fix`).
//!
//! Edits splice the original bytes, so comments, order, quoting, indentation, line endings and
//! a BOM outside the replaced ranges are kept; writes are atomic, keep permissions and go
//! through symlinks. A pass that makes a file unparseable or undecodable, or adds an error to
//! it without removing one, is rolled back for that file, and the fix responsible is reported
//! and not tried again. (A fix that removes an error may reveal findings the broken value hid;
//! those are real and stay reported.) `--diff` runs the same loop on a shadow copy of the
//! files and writes nothing of the user's.

mod diff;
mod edit;
mod mirror;
pub mod scope;
mod write;

pub use diff::unified_diff;
pub use edit::{apply_edits, select_non_overlapping, uses_crlf, validate_edit, EditError};
pub use mirror::Checker;
pub use write::write_atomic;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::{CheckOptions, CheckOutcome, EngineError};
use mirror::{InPlace, Shadow, Workspace};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The most passes of apply and re-check before giving up on convergence. Deferred overlaps
/// and a rolled-back file (whose fixes are then retried one per pass) each cost a pass.
pub const MAX_PASSES: usize = 32;

/// What `skafix fix` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct FixOptions {
    pub check: CheckOptions,
    /// Also apply fixes marked [`Applicability::Unsafe`].
    pub unsafe_fixes: bool,
    /// Write nothing; return the unified diff of what would change.
    pub diff_only: bool,
}

/// The result of fixing.
#[derive(Debug)]
pub struct FixOutcome {
    /// Fixes applied: the finding's path, the fix message, its applicability.
    pub applied: Vec<(PathBuf, String, Applicability)>,
    /// Fixes that could not be applied: the finding's path, the fix message, why.
    pub failed: Vec<(PathBuf, String, String)>,
    /// The findings after fixing (after the would-be fixes with `diff_only`).
    pub remaining: CheckOutcome,
    /// With `diff_only`: the unified diff of every file that would change (empty if none).
    pub diff: Option<String>,
    /// Files whose text changed (or would change with `diff_only`).
    pub files_changed: usize,
}

/// Post-processes each check's findings before fixes are chosen from them (inline
/// suppressions, `skafix.toml` selection): a suppressed finding's fix is not applied.
pub type Filter<'a> = dyn FnMut(&mut CheckOutcome) -> Result<(), EngineError> + 'a;

/// Fixes the projects under `options.check.paths` with [`crate::project::check`].
pub fn run(options: &FixOptions) -> Result<FixOutcome, EngineError> {
    run_with(options, &mut crate::project::check, &mut |_| Ok(()))
}

/// [`run`] with the check and the findings' post-processing supplied by the caller. `checker`
/// gets the options to check (with `diff_only`, paths inside a shadow copy); the outcome's
/// paths are mapped back before `filter` sees them. Rolling back looks at the unfiltered
/// outcome, so a suppressed parse error still stops a breaking fix.
pub fn run_with(
    options: &FixOptions,
    checker: &mut Checker<'_>,
    filter: &mut Filter<'_>,
) -> Result<FixOutcome, EngineError> {
    let mut in_place = InPlace {
        options: &options.check,
    };
    let first = in_place.check(checker)?;
    let mut fixer = Fixer {
        unsafe_fixes: options.unsafe_fixes,
        filter,
        blocked: HashSet::new(),
        isolated: BTreeSet::new(),
        originals: BTreeMap::new(),
        current: BTreeMap::new(),
        applied: Vec::new(),
        failed: Vec::new(),
    };
    let shown = fixer.filtered(&first)?;
    let nothing_to_do = fixer.candidates(&first, &shown).is_empty();
    let last = if nothing_to_do {
        shown
    } else if options.diff_only {
        let mut shadow = Shadow::build(&options.check, &first).map_err(|e| EngineError {
            message: format!("cannot prepare a copy of the files to compute the diff: {e}"),
        })?;
        // Checked again inside the copy, so every pass compares like with like.
        let raw = shadow.check(checker)?;
        fixer.fix(&mut shadow, checker, raw)?
    } else {
        fixer.fix(&mut in_place, checker, first)?
    };
    let mut diff = String::new();
    let mut files_changed = 0;
    for (path, original) in &fixer.originals {
        let Some(now) = fixer.current.get(path) else {
            continue;
        };
        if now.as_str() != original.as_str() {
            files_changed += 1;
            if options.diff_only {
                diff.push_str(&unified_diff(path, original, now));
            }
        }
    }
    Ok(FixOutcome {
        applied: fixer.applied,
        failed: fixer.failed,
        remaining: last,
        diff: options.diff_only.then_some(diff),
        files_changed,
    })
}

/// A fix as it can be recognised again in a later pass, whose offsets have moved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FixKey {
    code: &'static str,
    message: String,
    /// Per edit: file, the text it replaces, the replacement.
    edits: Vec<(PathBuf, String, String)>,
}

struct Candidate<'a> {
    diagnostic: &'a Diagnostic,
    fix: &'a Fix,
    key: FixKey,
}

struct Fixer<'f, 'g> {
    unsafe_fixes: bool,
    filter: &'f mut Filter<'g>,
    /// Fixes that failed; never tried again.
    blocked: HashSet<FixKey>,
    /// Files where a pass with several fixes broke something: one fix per pass from now on.
    isolated: BTreeSet<PathBuf>,
    /// Text of each written file before its first change.
    originals: BTreeMap<PathBuf, String>,
    /// Text of each written file now.
    current: BTreeMap<PathBuf, String>,
    applied: Vec<(PathBuf, String, Applicability)>,
    failed: Vec<(PathBuf, String, String)>,
}

impl Fixer<'_, '_> {
    fn filtered(&mut self, raw: &CheckOutcome) -> Result<CheckOutcome, EngineError> {
        let mut copy = CheckOutcome {
            diagnostics: raw.diagnostics.clone(),
            sources: raw.sources.clone(),
            files_checked: raw.files_checked,
        };
        (self.filter)(&mut copy)?;
        Ok(copy)
    }

    fn wanted(&self, applicability: Applicability) -> bool {
        match applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }

    /// The fixes this pass may apply: wanted, not blocked, valid, not a no-op, one per key.
    /// Invalid ones are reported (once: they are blocked too).
    fn candidates<'a>(
        &mut self,
        raw: &CheckOutcome,
        shown: &'a CheckOutcome,
    ) -> Vec<Candidate<'a>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for diagnostic in &shown.diagnostics {
            let Some(fix) = &diagnostic.fix else { continue };
            if !self.wanted(fix.applicability) || fix.edits.is_empty() {
                continue;
            }
            let key = match fix_key(diagnostic, fix, raw) {
                Ok(key) => key,
                Err(reason) => {
                    let key = FixKey {
                        code: diagnostic.code,
                        message: fix.message.clone(),
                        edits: fix
                            .edits
                            .iter()
                            .map(|e| {
                                (
                                    e.path.clone(),
                                    format!("{}..{}", e.start, e.end),
                                    e.content.clone(),
                                )
                            })
                            .collect(),
                    };
                    if self.blocked.insert(key) {
                        self.failed
                            .push((diagnostic.path.clone(), fix.message.clone(), reason));
                    }
                    continue;
                }
            };
            if self.blocked.contains(&key) || is_no_op(&key, raw) || !seen.insert(key.clone()) {
                continue;
            }
            out.push(Candidate {
                diagnostic,
                fix,
                key,
            });
        }
        out
    }

    /// The loop; returns the filtered outcome of the last check.
    fn fix(
        &mut self,
        workspace: &mut dyn Workspace,
        checker: &mut Checker<'_>,
        mut raw: CheckOutcome,
    ) -> Result<CheckOutcome, EngineError> {
        let mut pass = 0;
        loop {
            let shown = self.filtered(&raw)?;
            let candidates = self.candidates(&raw, &shown);
            if candidates.is_empty() {
                return Ok(shown);
            }
            if pass == MAX_PASSES {
                for c in &candidates {
                    self.failed.push((
                        c.diagnostic.path.clone(),
                        c.fix.message.clone(),
                        format!("the fixes did not settle after {MAX_PASSES} passes"),
                    ));
                }
                return Ok(shown);
            }
            let fixes: Vec<&Fix> = candidates.iter().map(|c| c.fix).collect();
            let chosen: Vec<&Candidate> = edit::select(&fixes, &self.isolated)
                .into_iter()
                .map(|i| &candidates[i])
                .collect();
            raw = self.pass(workspace, checker, raw, &chosen)?;
            pass += 1;
        }
    }

    /// Applies the chosen fixes, re-checks, rolls back the files they broke. Returns the raw
    /// outcome of the files as they now are.
    fn pass(
        &mut self,
        workspace: &mut dyn Workspace,
        checker: &mut Checker<'_>,
        raw: CheckOutcome,
        chosen: &[&Candidate],
    ) -> Result<CheckOutcome, EngineError> {
        let mut per_file: BTreeMap<&Path, Vec<Edit>> = BTreeMap::new();
        for candidate in chosen {
            for edit in &candidate.fix.edits {
                per_file
                    .entry(edit.path.as_path())
                    .or_default()
                    .push(edit.clone());
            }
        }
        let mut new_texts: BTreeMap<PathBuf, String> = BTreeMap::new();
        for (path, edits) in &per_file {
            let Some(source) = raw.sources.get(*path) else {
                continue;
            };
            match apply_edits(&source.text, edits) {
                Ok(text) => {
                    new_texts.insert(path.to_path_buf(), text);
                }
                Err(e) => {
                    // Selection should have prevented this; give up on the fixes of this file.
                    self.fail_touching(chosen, path, &e.to_string());
                    return Ok(raw);
                }
            }
        }
        let mut written: Vec<PathBuf> = Vec::new();
        for (path, text) in &new_texts {
            let old = &raw.sources[path.as_path()].text;
            if let Err(e) = workspace.write(path, text) {
                for done in &written {
                    self.restore(workspace, done, &raw.sources[done.as_path()].text)?;
                }
                self.fail_touching(chosen, path, &format!("cannot write the file: {e}"));
                return Ok(raw);
            }
            self.originals
                .entry(path.clone())
                .or_insert_with(|| old.to_string());
            self.current.insert(path.clone(), text.clone());
            written.push(path.clone());
        }
        let after = workspace.check(checker);
        let mut broken: BTreeMap<PathBuf, String> = BTreeMap::new();
        match &after {
            Ok(after) => {
                for path in &written {
                    if let Some(reason) = new_error(&raw, after, path) {
                        broken.insert(path.clone(), reason);
                    }
                }
                if broken.is_empty() {
                    // An error in a file nobody wrote (a Dockerfile the config now points at
                    // differently, ...) cannot be pinned on one file: undo them all; retrying
                    // one fix per pass finds the culprit.
                    if let Some(reason) = new_error_elsewhere(&raw, after, &written) {
                        for path in &written {
                            broken.insert(path.clone(), reason.clone());
                        }
                    }
                }
            }
            Err(e) => {
                for path in &written {
                    broken.insert(
                        path.clone(),
                        format!(
                            "the fixed files could not be checked ({}); the file was restored",
                            e.message
                        ),
                    );
                }
            }
        }
        if broken.is_empty() {
            for c in chosen {
                self.applied.push((
                    c.diagnostic.path.clone(),
                    c.fix.message.clone(),
                    c.fix.applicability,
                ));
            }
            return after;
        }
        // A fix spanning several files is undone in all of them.
        loop {
            let mut grew = false;
            for c in chosen {
                if let Some(reason) = touched(c.fix).find_map(|p| broken.get(p).cloned()) {
                    for path in touched(c.fix) {
                        if !broken.contains_key(path) && new_texts.contains_key(path) {
                            broken.insert(path.to_path_buf(), reason.clone());
                            grew = true;
                        }
                    }
                }
            }
            if !grew {
                break;
            }
        }
        for path in broken.keys() {
            self.restore(workspace, path, &raw.sources[path.as_path()].text)?;
        }
        let fixes_in = |path: &Path| {
            chosen
                .iter()
                .filter(|c| touched(c.fix).any(|p| p == path))
                .count()
        };
        for c in chosen {
            let reason = touched(c.fix).find_map(|p| broken.get(p));
            match reason {
                None => self.applied.push((
                    c.diagnostic.path.clone(),
                    c.fix.message.clone(),
                    c.fix.applicability,
                )),
                Some(reason) if touched(c.fix).all(|p| fixes_in(p) <= 1) => {
                    self.blocked.insert(c.key.clone());
                    self.failed.push((
                        c.diagnostic.path.clone(),
                        c.fix.message.clone(),
                        reason.clone(),
                    ));
                }
                Some(_) => {
                    // Several fixes shared the broken file: retry them one at a time to find
                    // the one responsible.
                    self.isolated.extend(touched(c.fix).map(Path::to_path_buf));
                }
            }
        }
        workspace.check(checker)
    }

    fn restore(
        &mut self,
        workspace: &mut dyn Workspace,
        path: &Path,
        text: &str,
    ) -> Result<(), EngineError> {
        workspace.write(path, text).map_err(|e| EngineError {
            message: format!(
                "{}: a fix broke the file and restoring its previous text failed: {e}",
                path.display()
            ),
        })?;
        self.current.insert(path.to_path_buf(), text.to_string());
        Ok(())
    }

    fn fail_touching(&mut self, chosen: &[&Candidate], path: &Path, reason: &str) {
        for c in chosen {
            if touched(c.fix).any(|p| p == path) && self.blocked.insert(c.key.clone()) {
                self.failed.push((
                    c.diagnostic.path.clone(),
                    c.fix.message.clone(),
                    reason.to_string(),
                ));
            }
        }
    }
}

fn touched(fix: &Fix) -> impl Iterator<Item = &Path> {
    fix.edits.iter().map(|e| e.path.as_path())
}

fn fix_key(diagnostic: &Diagnostic, fix: &Fix, raw: &CheckOutcome) -> Result<FixKey, String> {
    let mut edits = Vec::with_capacity(fix.edits.len());
    for edit in &fix.edits {
        let Some(source) = raw.sources.get(&edit.path) else {
            return Err(format!(
                "the fix edits {}, a file the check did not read",
                edit.path.display()
            ));
        };
        validate_edit(&source.text, edit).map_err(|e| format!("invalid fix: {e}"))?;
        edits.push((
            edit.path.clone(),
            source.text[edit.start..edit.end].to_string(),
            edit.content.clone(),
        ));
    }
    Ok(FixKey {
        code: diagnostic.code,
        message: fix.message.clone(),
        edits,
    })
}

/// A fix that replaces text with itself would be "applied" forever.
fn is_no_op(key: &FixKey, raw: &CheckOutcome) -> bool {
    key.edits.iter().all(|(path, old, new)| {
        let crlf = raw.sources.get(path).is_some_and(|s| uses_crlf(&s.text));
        *old == edit::with_line_endings(new, crlf)
    })
}

/// Errors of one file, counted by code and message (offsets move when text changes).
fn errors_in<'a>(
    outcome: &'a CheckOutcome,
    path: &Path,
) -> HashMap<(&'static str, &'a str), usize> {
    let mut counts = HashMap::new();
    for d in &outcome.diagnostics {
        if d.severity == Severity::Error && d.path == path {
            *counts.entry((d.code, d.message.as_str())).or_insert(0) += 1;
        }
    }
    counts
}

/// How a file's errors changed in a pass.
struct ErrorChange {
    /// Errors it has now and did not have, schema errors (parse errors first) before others.
    added: Vec<(&'static str, String)>,
    /// Whether some error it had is gone.
    removed_some: bool,
}

fn error_change(before: &CheckOutcome, after: &CheckOutcome, path: &Path) -> ErrorChange {
    let old = errors_in(before, path);
    let new = errors_in(after, path);
    let removed_some = old
        .iter()
        .any(|(key, count)| new.get(key).copied().unwrap_or(0) < *count);
    let mut added: Vec<(&'static str, String)> = new
        .iter()
        .filter(|(key, count)| old.get(*key).copied().unwrap_or(0) < **count)
        .map(|((code, message), _)| (*code, message.to_string()))
        .collect();
    added.sort_by(|a, b| {
        (a.0 != "SCHEMA001", !is_schema(a.0), a.0, &a.1).cmp(&(
            b.0 != "SCHEMA001",
            !is_schema(b.0),
            b.0,
            &b.1,
        ))
    });
    ErrorChange {
        added,
        removed_some,
    }
}

/// Schema errors mean the file is no longer a config Skaffold can load.
fn is_schema(code: &str) -> bool {
    code.starts_with("SCHEMA")
}

/// Whether an added error breaks the file. A file that no longer parses or decodes always
/// does. Another new error counts only when the pass removed no error from the file: a fix
/// that makes a config decodable (a hook command string turned into a list) lets the rules see
/// what the broken value hid, and those findings are real, not caused by the fix.
fn breaking_error(change: &ErrorChange) -> Option<&(&'static str, String)> {
    let first = change.added.first()?;
    (is_schema(first.0) || !change.removed_some).then_some(first)
}

/// Why the written file is worse after the pass, if it is.
fn new_error(before: &CheckOutcome, after: &CheckOutcome, path: &Path) -> Option<String> {
    let change = error_change(before, after, path);
    let (code, message) = breaking_error(&change)?;
    Some(if *code == "SCHEMA001" {
        format!("the fix made the file unparseable ({code}: {message}); the file was restored")
    } else {
        format!("the fix introduced a new error ({code}: {message}); the file was restored")
    })
}

/// A new error in a file the pass did not write, when the written files lost no error.
fn new_error_elsewhere(
    before: &CheckOutcome,
    after: &CheckOutcome,
    written: &[PathBuf],
) -> Option<String> {
    let fixed_an_error = written
        .iter()
        .any(|path| error_change(before, after, path).removed_some);
    let others: BTreeSet<&Path> = after
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error && !written.contains(&d.path))
        .map(|d| d.path.as_path())
        .collect();
    others.into_iter().find_map(|other| {
        let mut change = error_change(before, after, other);
        change.removed_some |= fixed_an_error;
        let (code, message) = breaking_error(&change)?;
        Some(format!(
            "the fix introduced a new error in {} ({code}: {message}); the fixed files were restored",
            other.display()
        ))
    })
}
