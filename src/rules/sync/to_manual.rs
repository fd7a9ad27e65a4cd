//! `sync.manual` rules derived from the Dockerfile, for the fixes that replace `infer` or
//! `auto`: each rule is checked file by file so that Skaffold's manual mapping
//! (`path.Join(dest, TrimPrefix(rel, strip))`, `pkg/skaffold/sync/sync.go:251-274`) puts every
//! file it matches exactly where the built image has it. Files reach the image through a
//! context COPY in the built stage's chain, or through a context COPY in another stage followed
//! by a `COPY --from` of that stage. Anything unresolved gives no rule, so no fix.

use super::{absolute, manual_destination, stage_chain, ContextCopy, Watched};
use crate::diagnostic::{Applicability, Edit, Fix};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::skaffold::tree::Val;

/// A `sync.manual` entry; `dest` is absolute so the image's WORKDIR does not matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ManualRule {
    pub src: String,
    pub dest: String,
    pub strip: Option<String>,
}

/// Where the built image has each context file.
pub(crate) struct Layout<'w> {
    watched: &'w Watched,
    /// Per file of `watched.files`: every absolute path the image holds it at; `None` when
    /// a COPY covers it but where it lands is uncertain.
    places: Vec<Option<Vec<String>>>,
}

impl<'w> Layout<'w> {
    /// `None` when a `COPY --from` of the built chain cannot be resolved.
    pub fn of(built: &BuiltImage, watched: &'w Watched) -> Option<Layout<'w>> {
        let df = built.dockerfile;
        let chain = stage_chain(df, built.stage.index)?;
        let mut places: Vec<Option<Vec<String>>> = vec![Some(Vec::new()); watched.files.len()];
        let mut add = |i: usize, place: Option<String>| match (&mut places[i], place) {
            (Some(list), Some(p)) => {
                if !list.contains(&p) {
                    list.push(p);
                }
            }
            (slot, _) => *slot = None,
        };
        for (i, file) in watched.files.iter().enumerate() {
            for copy in watched.copies.iter().filter(|c| chain.contains(&c.stage)) {
                if copy.covers(file).is_some() {
                    add(i, copy.target(file));
                }
            }
        }
        for ins in super::chain_instructions(df, &chain) {
            let (Some(args), Some(from)) = (ins.copy_args(), ins.flag("from")) else {
                continue;
            };
            let state = df.state_at(ins.index, Some(&built.build_args))?;
            let reference = state.expand(from.value.as_deref()?).known()?.to_string();
            // An external image brings no context files.
            let Some(stage) = df.stage_by_name_or_index(&reference) else {
                continue;
            };
            let source_chain = stage_chain(df, stage.index)?;
            let from_copies = stage_copies(&state, args)?;
            for (i, file) in watched.files.iter().enumerate() {
                for copy in watched
                    .copies
                    .iter()
                    .filter(|c| source_chain.contains(&c.stage))
                {
                    if copy.covers(file).is_none() {
                        continue;
                    }
                    let Some(in_stage) = copy.target(file) else {
                        // Where the builder stage has it is unknown, so whether this COPY
                        // brings it is too.
                        add(i, None);
                        continue;
                    };
                    let rel = in_stage.trim_start_matches('/');
                    for from_copy in &from_copies {
                        if from_copy.covers(rel).is_some() {
                            add(i, from_copy.target(rel));
                        }
                    }
                }
            }
        }
        Some(Layout { watched, places })
    }

    /// The manual rule for `pattern` that puts each watched file it matches where the image
    /// has it: `None` when a matched file is not in the image, its place is uncertain, or no
    /// single `dest`/`strip` pair fits every file.
    pub fn rule_for(&self, pattern: &str) -> Option<ManualRule> {
        let files: Vec<usize> = self
            .watched
            .matching(pattern)?
            .into_iter()
            .filter(|&i| self.watched.is_watched(i))
            .collect();
        let first = *files.first()?;
        if files
            .iter()
            .any(|&i| self.places[i].as_ref().is_none_or(|p| p.is_empty()))
        {
            return None;
        }
        let rel = &self.watched.files[first];
        // Longest strip first, so the rule reads like the COPY (`strip: src/`, `dest: /app/src`).
        let mut strips: Vec<Option<&str>> = rel
            .match_indices('/')
            .map(|(at, _)| Some(&rel[..=at]))
            .collect();
        strips.reverse();
        strips.push(None);
        for place in self.places[first].as_deref().unwrap_or_default() {
            for &strip in &strips {
                // Skaffold rejects a strip that is not a prefix of src (validation.go:552-571).
                if strip.is_some_and(|s| !pattern.starts_with(s)) {
                    continue;
                }
                let rest = strip.map_or(rel.as_str(), |s| &rel[s.len()..]);
                let Some(dest) = place.strip_suffix(rest).and_then(|d| d.strip_suffix('/')) else {
                    continue;
                };
                let dest = if dest.is_empty() { "/" } else { dest };
                let fits = files.iter().all(|&i| {
                    let at = manual_destination("/", dest, strip, &self.watched.files[i]);
                    self.places[i].as_ref().is_some_and(|p| p.contains(&at))
                });
                if fits {
                    return Some(ManualRule {
                        src: pattern.to_string(),
                        dest: dest.to_string(),
                        strip: strip.map(str::to_string),
                    });
                }
            }
        }
        None
    }

    /// One rule per context COPY whose files the image holds (a directory source becomes
    /// `dir/**/*`), dropping rules another rule already covers with the same destinations.
    /// COPYs whose files cannot be mapped exactly are left out: those files rebuild.
    pub fn rules_for_copies(&self) -> Vec<ManualRule> {
        let mut rules: Vec<ManualRule> = Vec::new();
        for copy in &self.watched.copies {
            if copy.unpacked {
                continue;
            }
            let pattern = if copy.source == "." {
                "**/*".to_string()
            } else if copy.wildcard || self.watched.files.contains(&copy.source) {
                copy.source.clone()
            } else {
                format!("{}/**/*", copy.source)
            };
            if let Some(rule) = self.rule_for(&pattern) {
                if !rules.contains(&rule) {
                    rules.push(rule);
                }
            }
        }
        let mut kept: Vec<ManualRule> = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let others: Vec<&ManualRule> = kept.iter().chain(&rules[i + 1..]).collect();
            if !self.covered_by(rule, &others) {
                kept.push(rule.clone());
            }
        }
        kept
    }

    /// Every file `rule` syncs is synced to the same place by one of `others`.
    fn covered_by(&self, rule: &ManualRule, others: &[&ManualRule]) -> bool {
        let compiled = |r: &ManualRule| super::sync_glob(&r.src);
        let (Some(glob), Some(other_globs)) = (
            compiled(rule),
            others
                .iter()
                .map(|o| compiled(o))
                .collect::<Option<Vec<_>>>(),
        ) else {
            return false;
        };
        let place =
            |r: &ManualRule, f: &str| manual_destination("/", &r.dest, r.strip.as_deref(), f);
        self.watched
            .files
            .iter()
            .enumerate()
            .filter(|&(i, f)| self.watched.is_watched(i) && glob.is_match(f))
            .all(|(_, f)| {
                let at = place(rule, f);
                others
                    .iter()
                    .zip(&other_globs)
                    .any(|(o, g)| g.is_match(f) && place(o, f) == at)
            })
    }
}

/// The sources of a `COPY --from` as copies out of the source stage's filesystem (sources
/// are relative to its root), with the destination resolved in the current stage.
fn stage_copies(
    state: &crate::dockerfile::BuildState,
    args: &crate::dockerfile::CopyArgs,
) -> Option<Vec<ContextCopy>> {
    let dest_raw = state.expand(&args.dest.value).known()?.to_string();
    let dest = absolute(state.workdir.value.as_deref()?, &dest_raw);
    let several = args.sources.len() > 1;
    let mut copies = Vec::new();
    for source in &args.sources {
        let raw = state.expand(&source.value).known()?.to_string();
        let cleaned = absolute("/", &raw);
        let rel = cleaned.trim_start_matches('/');
        if rel.contains(['{', '\\']) || rel.contains("**") {
            return None;
        }
        let wildcard = rel.contains(['*', '?', '[']);
        copies.push(ContextCopy {
            instruction: 0,
            stage: 0,
            source: if rel.is_empty() {
                ".".into()
            } else {
                rel.into()
            },
            wildcard,
            unpacked: false,
            dest: dest.clone(),
            dest_is_dir: several
                || wildcard
                || dest_raw.ends_with('/')
                || dest_raw == "."
                || dest_raw == ".."
                || dest_raw.ends_with("/.")
                || dest_raw.ends_with("/.."),
        });
    }
    Some(copies)
}

/// The fix that replaces the `key: value` entry `val` (an entry of `sync:`, in block style)
/// with `manual:` and `rules`, at the key's indentation.
pub(crate) fn replace_with_manual(
    pipeline: &Pipeline,
    val: &Val,
    rules: &[ManualRule],
    message: &str,
) -> Option<Fix> {
    if rules.is_empty() {
        return None;
    }
    let key = val.origin.key_span?;
    let source = pipeline.source(val.origin.file);
    let text = &source.text;
    let line_start = text[..key.start].rfind('\n').map_or(0, |i| i + 1);
    let lead = &text[line_start..key.start];
    if !lead.chars().all(|c| c == ' ') {
        return None;
    }
    let indent = lead.len();
    let mut yaml = String::from("manual:");
    for rule in rules {
        yaml.push_str(&format!(
            "\n{:indent$}  - src: {}\n{:indent$}    dest: {}",
            "",
            quoted(&rule.src),
            "",
            plain_or_quoted(&rule.dest)
        ));
        if let Some(strip) = &rule.strip {
            yaml.push_str(&format!("\n{:indent$}    strip: {}", "", quoted(strip)));
        }
    }
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: message.to_string(),
        edits: vec![Edit {
            path: source.path.clone(),
            start: key.start,
            end: val.origin.span.end,
            content: yaml,
        }],
    })
}

fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Paths are written plain, as users write them, unless YAML would read them otherwise.
fn plain_or_quoted(value: &str) -> String {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
    {
        value.to_string()
    } else {
        quoted(value)
    }
}
