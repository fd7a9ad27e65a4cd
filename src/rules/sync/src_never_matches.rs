//! SYNC013 sync-src-never-matches: a sync pattern (manual `src` or an `infer` pattern) that no
//! changed file can ever match, judged from the pattern alone. Skaffold matches each pattern
//! with `doublestar.PathMatch(pattern, relPath)`, where `relPath` is the changed file's path
//! relative to the artifact context (`pkg/skaffold/sync/sync.go`, matchSyncRules and the infer
//! loop): a relative path of a file, split into components and compared component by component.
//! So `.`, a leading `/` or `./`, `../`, a trailing `/`, or a directory's bare name never match.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::{ArtifactView, Pipeline};
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::{Spanned, SyncMode};
use std::path::Path;

pub static RULE: Rule = Rule {
    code: "SYNC013",
    name: "sync-src-never-matches",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A sync pattern that no changed file can match (`.`, a leading `/` or `./`, `../`, a trailing `/`, a bare directory name).",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC013.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let patterns: Vec<&Spanned<String>> = match &sync.mode {
            SyncMode::Manual(rules) => rules.iter().map(|r| &r.src).collect(),
            SyncMode::Infer(patterns) => patterns.iter().collect(),
            _ => continue,
        };
        let context = context_label(pipeline, artifact, view);
        for pattern in patterns {
            let why = never_matches(&pattern.value, view)
                .or_else(|| repeats_context(&pattern.value, &context, view));
            if let Some(why) = why {
                out.push(
                    pipeline
                        .at(&RULE, pattern.origin, format!(
                            "sync pattern `{}` never matches: Skaffold compares it with each changed file's path relative to the context `{}` (such as `{}`), {}",
                            pattern.value,
                            context,
                            why.example,
                            why.reason
                        ))
                        .with_artifact(&artifact.image.value)
                        .with_help(why.help),
                );
            }
        }
    }
}

/// Whether every pattern of the artifact's `manual` or `infer` sync never matches (this rule's
/// findings): then no file is ever synced, and findings that assume synced files are moot.
pub(crate) fn sync_is_dead(
    pipeline: &Pipeline,
    artifact: &crate::skaffold::model::Artifact,
    view: &ArtifactView,
) -> bool {
    let Some(sync) = &artifact.sync else {
        return false;
    };
    let patterns: Vec<&str> = match &sync.mode {
        SyncMode::Manual(rules) => rules.iter().map(|r| r.src.value.as_str()).collect(),
        SyncMode::Infer(patterns) => patterns.iter().map(|p| p.value.as_str()).collect(),
        _ => return false,
    };
    let context = context_label(pipeline, artifact, view);
    !patterns.is_empty()
        && patterns.iter().all(|p| {
            never_matches(p, view).is_some() || repeats_context(p, &context, view).is_some()
        })
}

struct NeverMatches {
    /// What Skaffold compares the pattern with, for this pattern's files.
    example: String,
    reason: String,
    help: String,
}

/// A pattern written relative to the config's directory instead of the context: it starts with
/// the context's own path (`apps/api/src/**` for context `apps/api`), and the context has no
/// directory of that name, so no path relative to the context starts that way.
fn repeats_context(pattern: &str, context: &str, view: &ArtifactView) -> Option<NeverMatches> {
    if context == "." || context.starts_with("..") {
        return None;
    }
    let rest = pattern.trim().strip_prefix(context)?.strip_prefix('/')?;
    let first = context.split('/').next()?;
    if rest.is_empty() || view.context_dir.join(first).exists() {
        return None;
    }
    Some(NeverMatches {
        example: example_path(rest),
        reason: format!(
            "and that path does not start with `{context}/`: the pattern is written relative to the config's directory, but sync patterns are relative to the context"
        ),
        help: format!("drop the context's path from the pattern: `{rest}`"),
    })
}

/// Why `pattern` can match no file path relative to the context, if it cannot.
fn never_matches(pattern: &str, view: &ArtifactView) -> Option<NeverMatches> {
    let context = &view.context_dir;
    let trimmed = pattern.trim();
    // A real file of the context shows best what is compared, when there is one.
    let some_file = || {
        view.context_files()
            .and_then(|files| {
                files
                    .iter()
                    .find(|f| !f.starts_with('.') && f.contains('/'))
                    .or(files.first())
                    .cloned()
            })
            .unwrap_or_else(|| "app/main.py".into())
    };
    if trimmed == "." || trimmed == "./" {
        return Some(NeverMatches {
            example: some_file(),
            reason: "and `.` matches only a file named `.`; a pattern names files, not the directory they are in".into(),
            help: "match every file of the context with `**/*`, or name the files: `app/**/*.py`".into(),
        });
    }
    if let Some(rest) = trimmed.strip_prefix('/') {
        // An absolute host path under the context: the author meant the relative rest.
        let absolute_context = std::path::absolute(context).ok();
        let inside = absolute_context.as_deref().and_then(|c| {
            Path::new(trimmed)
                .strip_prefix(c)
                .ok()
                .map(|r| r.to_string_lossy().replace('\\', "/"))
        });
        let (example, help) = match inside {
            Some(relative) if !relative.is_empty() => (
                relative.clone(),
                format!("write the path relative to the context: `{relative}`"),
            ),
            _ => (
                rest.to_string(),
                format!(
                    "write the pattern relative to the context, without the leading `/`: `{rest}`"
                ),
            ),
        };
        // `/**`: no literal part to show, so show a real file of the context.
        let all_wildcards = example
            .split('/')
            .all(|c| c.is_empty() || c.chars().all(|ch| matches!(ch, '*' | '?')));
        return Some(NeverMatches {
            example: if all_wildcards {
                some_file()
            } else {
                example_path(&example)
            },
            reason: "and that path never starts with `/`".into(),
            help,
        });
    }
    if let Some(rest) = trimmed.strip_prefix("./") {
        return Some(NeverMatches {
            example: example_path(rest),
            reason:
                "and the `.` component matches no component of that path (patterns are not cleaned)"
                    .into(),
            help: format!("drop the leading `./`: `{rest}`"),
        });
    }
    if trimmed == ".." || trimmed.starts_with("../") {
        return Some(NeverMatches {
            example: some_file(),
            reason: "and files outside the context are neither in the image nor synced, so no path starts with `..`".into(),
            help: "move the files into the artifact's context (or widen `context`) and match them relative to it".into(),
        });
    }
    if trimmed.ends_with('/') {
        let dir = trimmed.trim_end_matches('/');
        return Some(NeverMatches {
            example: format!("{dir}/main.py"),
            reason: "and a file's path never ends with `/`".into(),
            help: format!("match the files below the directory: `{dir}/**`"),
        });
    }
    let literal = !trimmed.contains(['*', '?', '[', '{', '\\']);
    if literal && !trimmed.is_empty() && context.join(trimmed).is_dir() {
        return Some(NeverMatches {
            example: format!("{trimmed}/main.py"),
            reason: format!("and `{trimmed}` is a directory: a pattern without wildcards matches only a file with exactly that path, not the files in the directory"),
            help: format!("match the files below the directory: `{trimmed}/**`"),
        });
    }
    None
}

/// A plausible file path for a pattern, to show what Skaffold compares it with.
fn example_path(pattern: &str) -> String {
    let cleaned: Vec<&str> = pattern
        .split('/')
        .filter(|c| !c.is_empty() && *c != "." && *c != "**")
        .collect();
    let mut parts: Vec<String> = cleaned
        .iter()
        .map(|c| {
            if c.contains(['*', '?', '[']) {
                let ext = c
                    .rsplit_once('.')
                    .map(|(_, e)| e)
                    .filter(|e| !e.contains(['*', '?', '[']));
                match ext {
                    Some(e) => format!("main.{e}"),
                    None => "main.py".into(),
                }
            } else {
                c.to_string()
            }
        })
        .collect();
    if parts.is_empty() {
        parts.push("main.py".into());
    }
    parts.join("/")
}

/// The context as the message shows it: relative to the config's directory.
fn context_label(
    pipeline: &Pipeline,
    artifact: &crate::skaffold::model::Artifact,
    view: &ArtifactView,
) -> String {
    let rel = view
        .context_dir
        .strip_prefix(&pipeline.config.dir)
        .ok()
        .map(|p| p.to_string_lossy().replace('\\', "/"));
    match rel {
        Some(rel) if rel.is_empty() => ".".into(),
        Some(rel) => rel,
        // A context beside or above the config's directory (`../api`): as written.
        None => match artifact.context.trim_end_matches('/') {
            "" => ".".into(),
            written => written.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::example_path;

    #[test]
    fn examples_replace_wildcards_with_a_file_name() {
        assert_eq!(example_path("app/*.py"), "app/main.py");
        assert_eq!(example_path("src/**/*.js"), "src/main.js");
        assert_eq!(example_path("./static/index.html"), "static/index.html");
        assert_eq!(example_path("**/*"), "main.py");
    }
}
