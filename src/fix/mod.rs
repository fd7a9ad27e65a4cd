//! `skafix fix`: applies the fixes rules attach to their findings, in a bounded loop of
//! collect, sort, skip overlaps, apply, re-parse and re-check, until nothing is left to fix
//! (ruff's model: `ruff_linter/src/fix/mod.rs::apply_fixes` and `linter.rs::lint_fix`).
//!
//! Edits splice the original bytes, so comments, order, quoting, indentation, line endings and
//! a BOM outside the replaced ranges are kept; writes are atomic, keep permissions and go
//! through symlinks. The loop works on texts in memory (an [`Overlay`] the check reads instead
//! of the disk): nothing is written until it ends, and `--diff` writes nothing at all.
//!
//! Every fix is proven before it is kept: after applying it, every pipeline and profile is
//! checked again, and the fix stays only if its finding is gone and no finding as severe as
//! the one it fixes appears anywhere else (a finding inside the replaced text is one the
//! broken value hid, and is real). A pass that makes a file unparseable or undecodable, or
//! adds an error to it without removing one, is rolled back for that file too. A fix that
//! fails its proof is reported with the finding it would cause and not tried again.

mod diff;
mod edit;
mod write;

pub use diff::unified_diff;
pub use edit::{apply_edits, select_non_overlapping, uses_crlf, validate_edit, EditError};
pub use write::{remove_stale_temp_files, write_atomic};

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::engine::{CheckOptions, CheckOutcome, EngineError};
use crate::project::{Overlay, Roots};
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

/// Runs one check; [`crate::engine::check`] or a test double.
pub type Checker<'a> = dyn FnMut(&CheckOptions) -> Result<CheckOutcome, EngineError> + 'a;

/// The files the loop works on: the user's, with the loop's edits held in memory.
struct Workspace<'o> {
    options: &'o CheckOptions,
    overlay: Overlay,
}

impl Workspace<'_> {
    fn check(&mut self, checker: &mut Checker<'_>) -> Result<CheckOutcome, EngineError> {
        if self.overlay.is_empty() {
            return checker(self.options);
        }
        let mut options = self.options.clone();
        options.overlay = self.overlay.clone();
        checker(&options)
    }

    /// Replaces the text of a file named by its reported path.
    fn write(&mut self, reported: &Path, text: &str) {
        self.overlay.set(reported, text.to_string());
    }
}

/// A fix that was applied: where its finding was (line in the text before the fix), which
/// rule, what the fix did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedFix {
    pub path: PathBuf,
    pub line: usize,
    pub code: &'static str,
    pub message: String,
    pub applicability: Applicability,
}

/// The result of fixing.
#[derive(Debug)]
pub struct FixOutcome {
    /// Fixes applied, in the order they were applied.
    pub applied: Vec<AppliedFix>,
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

/// Fixes the projects under `options.check.paths` with [`crate::engine::check`].
pub fn run(options: &FixOptions) -> Result<FixOutcome, EngineError> {
    run_with(options, &mut crate::engine::check, &mut |_| Ok(()))
}

/// [`run`] with the check and the findings' post-processing supplied by the caller. `checker`
/// gets the options to check, with the loop's texts in their overlay. Rolling back and proofs
/// look at the unfiltered outcome, so a suppressed parse error still stops a breaking fix.
pub fn run_with(
    options: &FixOptions,
    checker: &mut Checker<'_>,
    filter: &mut Filter<'_>,
) -> Result<FixOutcome, EngineError> {
    // Fixes change texts, never which files exist: every check of the run shares what the
    // tree alone decides (discovery, context listings, parsed unchanged texts).
    let mut check_options = options.check.clone();
    if !check_options.memo.is_on() {
        check_options.memo = crate::project::CheckMemo::new();
    }
    let mut workspace = Workspace {
        options: &check_options,
        overlay: options.check.overlay.clone(),
    };
    let first = workspace.check(checker)?;
    // Only files inside the checked roots are written; `--allow-outside` places are read only.
    let roots = Roots::of_paths(&options.check.paths, &[]);
    if !options.diff_only {
        let dirs: BTreeSet<&Path> = first
            .sources
            .keys()
            .filter(|path| roots.may_write(path))
            .filter_map(|path| path.parent())
            .map(|dir| {
                if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                }
            })
            .collect();
        remove_stale_temp_files(dirs);
    }
    let mut fixer = Fixer {
        roots,
        unsafe_fixes: options.unsafe_fixes,
        filter,
        blocked: HashSet::new(),
        one_at_a_time: false,
        originals: BTreeMap::new(),
        current: BTreeMap::new(),
        applied: Vec::new(),
        failed: Vec::new(),
    };
    let shown = fixer.filtered(&first)?;
    let nothing_to_do = fixer.candidates(&first, &shown).is_empty();
    let last = if nothing_to_do {
        shown
    } else {
        fixer.fix(&mut workspace, checker, first)?
    };
    let mut diff = String::new();
    let mut files_changed = 0;
    for (path, original) in &fixer.originals {
        let Some(now) = fixer.current.get(path) else {
            continue;
        };
        if now.as_str() == original.as_str() {
            continue;
        }
        if options.diff_only {
            files_changed += 1;
            diff.push_str(&unified_diff(path, original, now));
            continue;
        }
        match write_atomic(path, now.as_bytes()) {
            Ok(()) => files_changed += 1,
            Err(e) => {
                let reason = format!("cannot write the file: {e}");
                fixer.applied.retain(|a| {
                    let lost = &a.path == path;
                    if lost {
                        fixer
                            .failed
                            .push((a.path.clone(), a.message.clone(), reason.clone()));
                    }
                    !lost
                });
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
    /// Where fixes may write.
    roots: Roots,
    unsafe_fixes: bool,
    filter: &'f mut Filter<'g>,
    /// Fixes that failed; never tried again.
    blocked: HashSet<FixKey>,
    /// A pass with several fixes failed its proof: one fix per pass from now on, so each is
    /// proven on its own.
    one_at_a_time: bool,
    /// Text of each written file before its first change.
    originals: BTreeMap<PathBuf, String>,
    /// Text of each written file now.
    current: BTreeMap<PathBuf, String>,
    applied: Vec<AppliedFix>,
    failed: Vec<(PathBuf, String, String)>,
}

impl Fixer<'_, '_> {
    fn filtered(&mut self, raw: &CheckOutcome) -> Result<CheckOutcome, EngineError> {
        let mut copy = CheckOutcome {
            diagnostics: raw.diagnostics.clone(),
            sources: raw.sources.clone(),
            files_checked: raw.files_checked,
            retained: Default::default(),
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
        workspace: &mut Workspace,
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
            let mut chosen: Vec<&Candidate> = select_non_overlapping(&fixes)
                .into_iter()
                .map(|i| &candidates[i])
                .collect();
            if self.one_at_a_time {
                chosen.truncate(1);
            }
            raw = self.pass(workspace, checker, raw, &shown, &chosen)?;
            pass += 1;
        }
    }

    /// Applies the chosen fixes, re-checks, rolls back the files they broke. Returns the raw
    /// outcome of the files as they now are.
    fn pass(
        &mut self,
        workspace: &mut Workspace,
        checker: &mut Checker<'_>,
        raw: CheckOutcome,
        shown: &CheckOutcome,
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
        // A fix touching a file outside the checked roots is not applied at all (not even its
        // edits inside): the next pass goes on without it.
        let outside: Vec<&Path> = per_file
            .keys()
            .copied()
            .filter(|path| !self.roots.may_write(path))
            .collect();
        if !outside.is_empty() {
            for path in outside {
                self.fail_touching(
                    chosen,
                    path,
                    "the file is outside the checked project (or reached through a symlink leading out of it); fixes never write there",
                );
            }
            return Ok(raw);
        }
        for path in per_file.keys() {
            if let Err(e) = write::replaceable(path) {
                self.fail_touching(chosen, path, &format!("cannot write the file: {e}"));
                return Ok(raw);
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
            workspace.write(path, text);
            self.originals
                .entry(path.clone())
                .or_insert_with(|| old.to_string());
            self.current.insert(path.clone(), text.clone());
            written.push(path.clone());
        }
        let after = workspace.check(checker);
        let verdict = match &after {
            Err(e) => Some(format!(
                "the fixed files could not be checked ({}); {}",
                e.message,
                if written.len() == 1 {
                    "the file was restored"
                } else {
                    "the files were restored"
                }
            )),
            Ok(after) => match written
                .iter()
                .find_map(|path| new_error(&raw, after, path))
                .or_else(|| new_error_elsewhere(&raw, after, &written))
            {
                Some(reason) => Some(reason),
                // Proven on what the user sees: a suppressed finding neither blocks a fix
                // nor counts as fixed.
                None => disproof(chosen, shown, &self.filtered(after)?),
            },
        };
        let Some(reason) = verdict else {
            for c in chosen {
                self.applied.push(applied(c, &raw));
            }
            return after;
        };
        // Undo the whole pass: which of several fixes is responsible is unknown, so from now
        // on each fix is applied and proven on its own.
        for path in &written {
            self.restore(workspace, path, &raw.sources[path.as_path()].text);
        }
        if chosen.len() > 1 {
            self.one_at_a_time = true;
        } else {
            self.blocked.insert(chosen[0].key.clone());
            self.failed.push((
                chosen[0].diagnostic.path.clone(),
                chosen[0].fix.message.clone(),
                reason,
            ));
        }
        Ok(raw)
    }

    fn restore(&mut self, workspace: &mut Workspace, path: &Path, text: &str) {
        workspace.write(path, text);
        self.current.insert(path.to_path_buf(), text.to_string());
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

fn applied(candidate: &Candidate, before: &CheckOutcome) -> AppliedFix {
    let d = candidate.diagnostic;
    AppliedFix {
        path: d.path.clone(),
        line: before
            .sources
            .get(&d.path)
            .map_or(0, |s| s.line_col(d.span.start).line),
        code: d.code,
        message: candidate.fix.message.clone(),
        applicability: candidate.fix.applicability,
    }
}

/// A finding as it can be recognised after edits moved its offsets.
type FindingKey<'a> = (&'static str, &'a Path, &'a str, Option<&'a str>);

fn finding_key(d: &Diagnostic) -> FindingKey<'_> {
    (d.code, &d.path, &d.message, d.profile.as_deref())
}

fn finding_counts(outcome: &CheckOutcome) -> HashMap<FindingKey<'_>, usize> {
    let mut counts = HashMap::new();
    for d in &outcome.diagnostics {
        *counts.entry(finding_key(d)).or_insert(0) += 1;
    }
    counts
}

/// Why the fixes of a pass are not proven by the check after them, if they are not: a fixed
/// finding is still there, or a finding at least as severe as the least severe fixed one
/// appeared outside the text the fixes replaced (inside it, it is one the old value hid).
fn disproof(chosen: &[&Candidate], before: &CheckOutcome, after: &CheckOutcome) -> Option<String> {
    let old = finding_counts(before);
    let new = finding_counts(after);
    for c in chosen {
        let key = finding_key(c.diagnostic);
        if new.get(&key).copied().unwrap_or(0) >= old.get(&key).copied().unwrap_or(0) {
            return Some(format!(
                "the finding is still reported after the fix ({}: {})",
                c.diagnostic.code, c.diagnostic.message
            ));
        }
    }
    let threshold = chosen.iter().map(|c| c.diagnostic.severity).min()?;
    let replaced = replaced_ranges(chosen, before);
    let mut seen: HashMap<FindingKey<'_>, usize> = HashMap::new();
    for d in &after.diagnostics {
        let key = finding_key(d);
        let count = seen.entry(key).or_insert(0);
        *count += 1;
        if *count <= old.get(&key).copied().unwrap_or(0) || d.severity < threshold {
            continue;
        }
        let inside = replaced.get(&d.path).is_some_and(|ranges| {
            ranges
                .iter()
                .any(|&(start, end)| d.span.start <= end && d.span.end >= start)
        });
        if inside {
            continue;
        }
        let line = after
            .sources
            .get(&d.path)
            .map_or(0, |s| s.line_col(d.span.start).line);
        let profile = d
            .profile
            .as_deref()
            .map(|p| format!(" [{p}]"))
            .unwrap_or_default();
        return Some(format!(
            "it would cause {} {}{profile} at {}:{line}: {}",
            d.severity.as_str(),
            d.code,
            d.path.display(),
            d.message
        ));
    }
    None
}

/// Per file, the byte ranges the fixes' replacements occupy in the text after them.
fn replaced_ranges(
    chosen: &[&Candidate],
    before: &CheckOutcome,
) -> HashMap<PathBuf, Vec<(usize, usize)>> {
    let mut per_file: BTreeMap<&Path, Vec<&Edit>> = BTreeMap::new();
    for c in chosen {
        for e in &c.fix.edits {
            per_file.entry(&e.path).or_default().push(e);
        }
    }
    let mut out = HashMap::new();
    for (path, mut edits) in per_file {
        let crlf = before.sources.get(path).is_some_and(|s| uses_crlf(&s.text));
        edits.sort_by_key(|e| (e.start, e.end));
        let mut shift: isize = 0;
        let mut ranges = Vec::new();
        for e in edits {
            let len = edit::with_line_endings(&e.content, crlf).len();
            let start = (e.start as isize + shift).max(0) as usize;
            ranges.push((start, start + len));
            shift += len as isize - (e.end - e.start) as isize;
        }
        out.insert(path.to_path_buf(), ranges);
    }
    out
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
