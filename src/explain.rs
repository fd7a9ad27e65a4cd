//! `skafix explain PATH...`: what `skaffold dev` does when a local file changes. For each file
//! and each artifact of each effective pipeline: whether the artifact watches the file (its
//! context, the Dockerfile's COPY/ADD sources, `.dockerignore`), and if so whether the change
//! is synced (by which rule, to which container path) or rebuilds the image, and why.
//!
//! The model is Skaffold's dev loop: a change to a watched file is matched against the sync
//! rules with `doublestar.PathMatch(pattern, relPath)` (`pkg/skaffold/sync/sync.go`); when any
//! file of a batch matches no rule, or infer has no destination for it, the whole batch is
//! rebuilt instead. Watched files are the COPY/ADD sources of every stage walked through
//! `.dockerignore`, plus the Dockerfile (`pkg/skaffold/docker/dependencies.go`).

use crate::project::runtime::BuiltImage;
use crate::project::{normalize, ArtifactView, Pipeline};
use crate::rules::sync as sync_model;
use crate::skaffold::model::{Artifact, Builder, SyncMode};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What happens to a change of one file, for one artifact of one pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    /// The file as asked.
    pub file: String,
    /// The skaffold config declaring the artifact.
    pub config: String,
    /// The profile(s) of the pipeline; `None` for the dev pipeline without `-p`.
    pub profile: Option<String>,
    pub artifact: String,
    pub outcome: Outcome,
    /// The COPY/ADD instructions that bring the file into the image (`Dockerfile:3 COPY app/ /app/`).
    pub copied_by: Vec<String>,
    /// The `.dockerignore` pattern that leaves the file out (`.dockerignore:2 *.log`).
    pub ignored_by: Option<String>,
    /// The sync rule or infer pattern that maps the file (`skaffold.yaml:9 app/**/*.py`).
    pub sync_rule: Option<String>,
    /// Where the file lands in the container when synced.
    pub container_path: Option<String>,
    /// One sentence: why.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Copied into the running container.
    Synced,
    /// The image is rebuilt and the pods redeployed.
    Rebuild,
    /// No event: the artifact does not watch the file.
    NotWatched,
    /// skafix cannot tell (unknown builder, unresolvable COPY).
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Synced => "synced",
            Outcome::Rebuild => "rebuild",
            Outcome::NotWatched => "not watched",
            Outcome::Unknown => "unknown",
        }
    }
}

/// Answers for `files` on every pipeline of the project under `options.paths`: the dev
/// pipeline first, then each profile whose answer differs from it.
pub fn explain(
    options: &crate::project::CheckOptions,
    files: &[PathBuf],
) -> Result<Vec<Answer>, crate::project::EngineError> {
    let project = crate::project::load_project(options)?;
    let per_pipeline =
        crate::project::map_pipelines(&project, options, |p| explain_pipeline(p, files));
    let mut answers: Vec<Answer> = Vec::new();
    for answer in per_pipeline.into_iter().flatten() {
        let same_elsewhere = answers.iter().any(|known| {
            known.file == answer.file
                && known.config == answer.config
                && known.artifact == answer.artifact
                && Answer {
                    profile: None,
                    ..known.clone()
                } == Answer {
                    profile: None,
                    ..answer.clone()
                }
        });
        if !same_elsewhere {
            answers.push(answer);
        }
    }
    Ok(answers)
}

/// Answers for `files` (absolute or relative to the working directory) on one pipeline: one per
/// artifact whose context holds the file or whose Dockerfile it is.
pub fn explain_pipeline(pipeline: &Pipeline, files: &[PathBuf]) -> Vec<Answer> {
    let mut answers = Vec::new();
    for file in files {
        let absolute = normalize(&absolute(file));
        for (artifact, view) in pipeline.artifacts() {
            if let Some(answer) = explain_one(pipeline, artifact, view, file, &absolute) {
                answers.push(answer);
            }
        }
    }
    answers
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn explain_one(
    pipeline: &Pipeline,
    artifact: &Artifact,
    view: &ArtifactView,
    asked: &Path,
    file: &Path,
) -> Option<Answer> {
    let context = normalize(&absolute(&view.context_dir));
    let dockerfile_path = view
        .dockerfile
        .as_ref()
        .map(|d| normalize(&absolute(&d.path)));
    let is_dockerfile = dockerfile_path.as_deref() == Some(file);
    let rel = file
        .strip_prefix(&context)
        .ok()
        .map(|r| r.to_string_lossy().replace('\\', "/"));
    if rel.is_none() && !is_dockerfile {
        return None;
    }
    let mut answer = Answer {
        file: asked.display().to_string(),
        config: pipeline.path(pipeline.config.file).display().to_string(),
        profile: pipeline.profile.clone(),
        artifact: artifact.image.value.clone(),
        outcome: Outcome::Unknown,
        copied_by: Vec::new(),
        ignored_by: None,
        sync_rule: None,
        container_path: None,
        reason: String::new(),
    };
    if is_dockerfile {
        answer.outcome = Outcome::Rebuild;
        answer.reason =
            "the Dockerfile is always a dependency of its artifact: any change rebuilds".into();
        return Some(answer);
    }
    let rel = rel.unwrap_or_default();
    if let Builder::Other(key) = &artifact.builder {
        let builder = &key.value;
        answer.reason = format!(
            "the file is in the context of a `{builder}` artifact; skafix models the dependencies of Dockerfile builds only"
        );
        return Some(answer);
    }
    let Some(built) = BuiltImage::of(artifact, view) else {
        answer.reason = "the Dockerfile cannot be read or has no such target stage".into();
        return Some(answer);
    };
    let Some(copies) = sync_model::context_copies(built.dockerfile, &built.build_args) else {
        answer.reason =
            "a COPY/ADD source cannot be resolved (unknown variable, --exclude, --parents)".into();
        return Some(answer);
    };
    let dockerfile_label = pipeline.path(built.dockerfile_file).display().to_string();
    let source = pipeline.source(built.dockerfile_file);
    let covering: Vec<&sync_model::ContextCopy> =
        copies.iter().filter(|c| c.covers(&rel).is_some()).collect();
    answer.copied_by = covering
        .iter()
        .map(|c| {
            let ins = &built.dockerfile.instructions[c.instruction];
            let line = source.line_col(ins.span.start).line;
            let text = source.text[ins.span.start..ins.span.end]
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            format!("{dockerfile_label}:{line} {text}")
        })
        .collect();
    if let Some(ignore) = &view.dockerignore {
        if ignore.parsed.is_excluded(&rel) {
            let ignore_source = pipeline.source(ignore.file);
            answer.ignored_by = ignore.parsed.deciding_pattern(&rel).map(|p| {
                format!(
                    "{}:{} {}",
                    ignore_source.path.display(),
                    ignore_source.line_col(p.span.start).line,
                    p.pattern
                )
            });
            answer.outcome = Outcome::NotWatched;
            answer.reason = "`.dockerignore` leaves the file out of the build context: Skaffold does not watch it, so a change neither syncs nor rebuilds".into();
            return Some(answer);
        }
    }
    if covering.is_empty() {
        answer.outcome = Outcome::NotWatched;
        answer.reason = "no COPY/ADD of the Dockerfile copies the file: Skaffold does not watch it, so a change neither syncs nor rebuilds".into();
        return Some(answer);
    }
    answer.outcome = Outcome::Rebuild;
    let Some(sync) = &artifact.sync else {
        answer.reason =
            "the artifact has no `sync`: every change to a watched file rebuilds the image".into();
        return Some(answer);
    };
    let config_source = |origin: crate::skaffold::tree::Origin| {
        let s = pipeline.source(origin.file);
        format!(
            "{}:{}",
            s.path.display(),
            s.line_col(origin.span.start).line
        )
    };
    match &sync.mode {
        SyncMode::Manual(rules) => {
            let workdir = sync_model::final_state(&built)
                .and_then(|s| s.workdir)
                .unwrap_or_else(|| "/".into());
            let matching: Vec<_> = rules
                .iter()
                .filter(|r| sync_model::sync_glob(&r.src.value).is_some_and(|g| g.is_match(&rel)))
                .collect();
            let Some(rule) = matching.first() else {
                answer.reason = format!(
                    "no manual sync rule matches `{rel}` (Skaffold matches each `src` against the path relative to the context): the change rebuilds the image"
                );
                return Some(answer);
            };
            answer.outcome = Outcome::Synced;
            answer.sync_rule = Some(format!(
                "{} {}",
                config_source(rule.src.origin),
                rule.src.value
            ));
            answer.container_path = Some(sync_model::manual_destination(
                &workdir,
                &rule.dest.value,
                rule.strip.as_ref().map(|s| s.value.as_str()),
                &rel,
            ));
            answer.reason = format!(
                "manual rule `{}` matches `{rel}`{}",
                rule.src.value,
                if matching.len() > 1 {
                    format!("; {} more rules match and copy it too", matching.len() - 1)
                } else {
                    String::new()
                }
            );
        }
        SyncMode::Infer(_) | SyncMode::DefaultInfer => {
            let patterns = sync_model::infer_patterns(sync).unwrap_or_default();
            let Some(pattern) = patterns
                .iter()
                .find(|p| sync_model::sync_glob(p).is_some_and(|g| g.is_match(&rel)))
            else {
                answer.reason =
                    format!("no infer pattern matches `{rel}`: the change rebuilds the image");
                return Some(answer);
            };
            answer.sync_rule = Some(match &sync.mode {
                SyncMode::Infer(list) => list
                    .iter()
                    .find(|p| &p.value == pattern)
                    .map(|p| format!("{} {}", config_source(p.origin), p.value))
                    .unwrap_or_else(|| pattern.clone()),
                _ => format!("{} (default infer `**/*`)", config_source(sync.origin)),
            });
            let last = built.dockerfile.stages.len().saturating_sub(1);
            let in_last: Option<&&sync_model::ContextCopy> =
                covering.iter().find(|c| c.stage == last);
            let Some(copy) = in_last else {
                answer.reason = format!(
                    "infer pattern `{pattern}` matches, but infer maps only the COPY/ADD of the Dockerfile's last stage and the file is copied by an earlier stage: the change rebuilds the image"
                );
                return Some(answer);
            };
            let Some(target) = copy.target(&rel) else {
                answer.reason = format!(
                    "infer pattern `{pattern}` matches, but where the last stage's COPY puts the file is not certain"
                );
                answer.outcome = Outcome::Unknown;
                return Some(answer);
            };
            answer.outcome = Outcome::Synced;
            answer.container_path = Some(target);
            answer.reason = if built.stage.index != last {
                format!(
                    "infer pattern `{pattern}` matches and the last stage copies the file there, but the build target is stage {}: the path is the last stage's, which the running image may not have",
                    sync_model::stage_label(built.stage)
                )
            } else {
                format!("infer pattern `{pattern}` matches and the last stage's COPY puts the file there")
            };
        }
        SyncMode::Auto(_) => {
            answer.reason = "`sync.auto` is supported only by jib and buildpacks: on a Dockerfile artifact it syncs nothing, so every change rebuilds".into();
        }
    }
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn outcomes_read_as_words() {
        assert_eq!(Outcome::NotWatched.as_str(), "not watched");
        assert_eq!(
            serde_json::to_string(&Outcome::NotWatched).unwrap(),
            "\"not-watched\""
        );
    }
}
