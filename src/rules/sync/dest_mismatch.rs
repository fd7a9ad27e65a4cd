//! SYNC004 sync-dest-mismatch: a manual sync rule that puts a file somewhere else than the
//! built stage's COPY put the same file, so the running app never sees the synced copy.

use super::{final_state, manual_destination, requote, stage_chain, ContextCopy, Watched};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::{SyncMode, SyncRule};

pub static RULE: Rule = Rule {
    code: "SYNC004",
    name: "sync-dest-mismatch",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary: "A manual sync rule copies a file to another path than the one the built stage's COPY gave it.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC004.md"),
};

/// One file whose synced path differs from where the image has it.
struct Mismatch<'w> {
    file: &'w str,
    synced_to: String,
    copied_to: String,
    copy: &'w ContextCopy,
}

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(SyncMode::Manual(rules)) = artifact.sync.as_ref().map(|s| &s.mode) else {
            continue;
        };
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        let Some(chain) = stage_chain(built.dockerfile, built.stage.index) else {
            continue;
        };
        let Some(watched) = Watched::of(view, built.dockerfile, &built.build_args) else {
            continue;
        };
        // A WORKDIR the Dockerfile never sets is the base image's, which skafix cannot see.
        let Some(workdir) = final_state(&built).map(|s| s.workdir) else {
            continue;
        };
        let copies: Vec<&ContextCopy> = watched
            .copies
            .iter()
            .filter(|c| chain.contains(&c.stage))
            .collect();
        // Where other stages' files land: a synced path there may be what the app runs.
        let Some(from_dests) = from_destinations(&built, &chain) else {
            continue;
        };
        for rule in rules {
            // An invalid strip is SYNC005's finding; Skaffold rejects the config.
            if rule
                .strip
                .as_ref()
                .is_some_and(|s| !rule.src.value.starts_with(&s.value))
            {
                continue;
            }
            let relative_dest = !rule.dest.value.starts_with('/');
            let wd = match (&workdir, relative_dest) {
                (Some(w), _) => w.clone(),
                (None, false) => "/".to_string(),
                (None, true) => continue,
            };
            let Some(matched) = watched.matching(&rule.src.value) else {
                continue;
            };
            let strip = rule.strip.as_ref().map(|s| s.value.as_str());
            let mut mismatches = Vec::new();
            let mut any_match = false;
            for &i in matched.iter().filter(|&&i| watched.is_watched(i)) {
                let file = watched.files[i].as_str();
                let covering: Vec<&&ContextCopy> =
                    copies.iter().filter(|c| c.covers(file).is_some()).collect();
                let targets: Vec<(String, &ContextCopy)> = covering
                    .iter()
                    .filter_map(|c| Some((c.target(file)?, **c)))
                    .collect();
                // Only files every COPY of the built stage places exactly.
                if covering.is_empty() || targets.len() != covering.len() {
                    continue;
                }
                let synced_to = manual_destination(&wd, &rule.dest.value, strip, file);
                let under_from = from_dests.iter().any(|d| {
                    synced_to == *d
                        || synced_to.starts_with(&format!("{}/", d.trim_end_matches('/')))
                });
                if under_from || targets.iter().any(|(t, _)| *t == synced_to) {
                    any_match = true;
                    continue;
                }
                let (copied_to, copy) = targets.into_iter().last().expect("non-empty");
                mismatches.push(Mismatch {
                    file,
                    synced_to,
                    copied_to,
                    copy,
                });
            }
            // Some files land right: the rule fits part of the layout; which part is meant is unclear.
            if any_match {
                continue;
            }
            let Some(first) = mismatches.first() else {
                continue;
            };
            let dockerfile_path = pipeline.path(built.dockerfile_file);
            let copy_span = built.dockerfile.instructions[first.copy.instruction].span;
            let mut d = pipeline
                .at(&RULE, rule.dest.origin, format!(
                    "this rule syncs `{}` to `{}`, but the built stage's COPY put it at `{}`; the app keeps running the copied file and never sees the synced one",
                    first.file, first.synced_to, first.copied_to
                ))
                .with_artifact(&artifact.image.value)
                .with_related(dockerfile_path, copy_span, "COPY puts the file here");
            d.help = Some(format!(
                "set `dest` (and `strip`) so that `{}` maps to `{}`: dest = COPY destination, strip = COPY source directory",
                first.file, first.copied_to
            ));
            if let Some(fix) = corrected(pipeline, rule, &wd, &mismatches) {
                d = d.with_fix(fix);
            }
            out.push(d);
        }
    }
}

/// The dest/strip that reproduce the COPY's layout, when one directory COPY explains every
/// mismatched file and the new `strip` stays a prefix of `src`.
fn corrected(
    pipeline: &Pipeline,
    rule: &SyncRule,
    workdir: &str,
    mismatches: &[Mismatch],
) -> Option<Fix> {
    let copy = mismatches[0].copy;
    if copy.wildcard {
        return None;
    }
    let fixes_all = |dest: &str, strip: Option<&str>| {
        mismatches.iter().all(|m| {
            std::ptr::eq(m.copy, copy)
                && manual_destination(workdir, dest, strip, m.file) == m.copied_to
        })
    };
    // dest = the COPY's destination and strip = its source directory; or, when the COPY keeps
    // the source path (`COPY packages/common ./packages/common/`) and `src` is wider than it
    // (`packages/**/*`), dest = the directory the kept path starts in, without a strip.
    let stripped = (copy.source != ".").then(|| format!("{}/", copy.source));
    let kept = copy
        .dest
        .trim_end_matches('/')
        .strip_suffix(copy.source.trim_end_matches('/'))
        .filter(|base| copy.source != "." && (base.is_empty() || base.ends_with('/')))
        .map(|base| match base.trim_end_matches('/') {
            "" if copy.dest.starts_with('/') => "/".to_string(),
            "" => ".".to_string(),
            b => b.to_string(),
        });
    let (new_dest, new_strip) = if stripped
        .as_deref()
        .is_none_or(|s| rule.src.value.starts_with(s))
        && fixes_all(&copy.dest, stripped.as_deref())
    {
        (copy.dest.clone(), stripped)
    } else if let Some(base) = kept.filter(|b| fixes_all(b, None)) {
        (base, None)
    } else {
        return None;
    };
    let source = pipeline.source(rule.dest.origin.file);
    let dest_raw = source.slice(rule.dest.origin.span);
    // One edit for `dest` (with a new `strip:` line after it when needed): edits that touch
    // each other could not be applied together.
    let mut dest_content = requote(dest_raw, &new_dest);
    let mut edits = Vec::new();
    match (&rule.strip, &new_strip) {
        (Some(old), Some(new)) if old.value != *new => edits.push(Edit {
            path: source.path.clone(),
            start: old.origin.span.start,
            end: old.origin.span.end,
            content: requote(source.slice(old.origin.span), new),
        }),
        (Some(old), None) => edits.push(Edit {
            path: source.path.clone(),
            start: old.origin.span.start,
            end: old.origin.span.end,
            content: "\"\"".into(),
        }),
        (None, Some(new)) => {
            // A new `strip:` line under `dest:`, at the same indentation (block mappings only).
            let key = rule.dest.origin.key_span?;
            let text = &source.text;
            let line_start = text[..key.start].rfind('\n').map_or(0, |i| i + 1);
            let lead = &text[line_start..key.start];
            if !lead.chars().all(|c| c == ' ' || c == '-') {
                return None;
            }
            let end = rule.dest.origin.span.end;
            if text[end..]
                .split('\n')
                .next()
                .is_some_and(|rest| !rest.trim().is_empty())
            {
                return None;
            }
            dest_content.push_str(&format!(
                "\n{}strip: {}",
                " ".repeat(lead.len()),
                requote(dest_raw, new)
            ));
        }
        _ => {}
    }
    if dest_content != dest_raw {
        edits.push(Edit {
            path: source.path.clone(),
            start: rule.dest.origin.span.start,
            end: rule.dest.origin.span.end,
            content: dest_content,
        });
    }
    if edits.is_empty() {
        return None;
    }
    let message = match new_strip.as_deref() {
        Some(strip) => {
            format!("sync to `dest: {new_dest}` with `strip: {strip}`, the layout of the COPY")
        }
        None if rule.strip.is_some() => {
            format!("sync to `dest: {new_dest}` without `strip`, the layout of the COPY")
        }
        None => format!("sync to `dest: {new_dest}`, the layout of the COPY"),
    };
    Some(Fix {
        applicability: Applicability::Unsafe,
        message,
        edits,
    })
}

/// The resolved destinations of the `COPY --from` instructions of the built stage's chain;
/// `None` when one cannot be resolved.
fn from_destinations(built: &BuiltImage, chain: &[usize]) -> Option<Vec<String>> {
    let df = built.dockerfile;
    let mut dests = Vec::new();
    for ins in super::chain_instructions(df, chain) {
        let Some(args) = ins.copy_args() else {
            continue;
        };
        if ins.flag("from").is_none() {
            continue;
        }
        let state = df.state_at(ins.index, Some(&built.build_args))?;
        let dest = state.expand(&args.dest.value).known()?.to_string();
        dests.push(super::absolute(state.workdir.value.as_deref()?, &dest));
    }
    Some(dests)
}
