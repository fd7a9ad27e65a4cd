//! SYNC001 infer-non-last-target: `sync.infer` with a `docker.target` that is not the last
//! stage. Skaffold builds the target but derives the infer sync map from the last stage of the
//! file, so syncs go to the wrong paths or turn into rebuilds (issues #6524, #3136).

use super::{stage_chain, Watched};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::Artifact;
use crate::skaffold::model::{Builder, SyncMode};
use crate::skaffold::tree::Val;

pub static RULE: Rule = Rule {
    code: "SYNC001",
    name: "infer-non-last-target",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary: "`sync.infer` with a `docker.target` that is not the last stage: infer reads the last stage, not the target.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC001.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let infer_at = match &sync.mode {
            SyncMode::Infer(patterns) => patterns.first().map_or(sync.origin, |p| p.origin),
            SyncMode::DefaultInfer => sync.origin,
            _ => continue,
        };
        let Builder::Dockerfile(docker) = &artifact.builder else {
            continue;
        };
        let Some(target) = &docker.target else {
            continue;
        };
        let Some(dockerfile) = &view.dockerfile else {
            continue;
        };
        let parsed = &dockerfile.parsed;
        let Some(stage) = parsed.target_stage(Some(&target.value)) else {
            continue;
        };
        let Some(last) = parsed.stages.last() else {
            continue;
        };
        if stage.index == last.index {
            continue;
        }
        let fix = manual_rules_fix(pipeline, artifact, view);
        let mut d = pipeline
                .at(&RULE, target.origin, format!(
                    "`target: {}` builds stage {}, but `sync.infer` reads only the last stage of the Dockerfile ({}); Skaffold ignores `docker.target` for infer, so changed files are mapped from the wrong stage or rebuilt instead of synced",
                    target.value,
                    super::stage_label(stage),
                    super::stage_label(last)
                ))
                .with_artifact(&artifact.image.value)
                .with_related(pipeline.path(infer_at.file), infer_at.span, "infer sync configured here")
                .with_help("use `sync.manual` rules whose `dest` is where the target stage's COPY puts the files");
        if let Some(fix) = fix {
            d = d.with_fix(fix);
        }
        out.push(d);
    }
}

/// Manual rules equivalent to the infer patterns for the target stage: each pattern's files
/// must all come from one directory COPY of the target stage whose source the pattern starts
/// with (so it can be the rule's `strip`). The `infer:` entry is replaced in place.
fn manual_rules_fix(
    pipeline: &Pipeline,
    artifact: &Artifact,
    view: &crate::project::ArtifactView,
) -> Option<Fix> {
    let built = BuiltImage::of(artifact, view)?;
    let chain = stage_chain(built.dockerfile, built.stage.index)?;
    let watched = Watched::of(view, built.dockerfile, &built.build_args)?;
    let infer = pipeline
        .tree
        .path(&["build", "artifacts"])
        .map(Val::items)?
        .get(artifact.index)?
        .path(&["sync", "infer"])?;
    let mut rules = Vec::new();
    for pattern in infer.items() {
        let pattern = pattern.as_str()?;
        let files: Vec<&str> = watched
            .matching(pattern)?
            .into_iter()
            .filter(|&i| watched.is_watched(i))
            .map(|i| watched.files[i].as_str())
            .collect();
        let copy = watched.copies.iter().find(|c| {
            chain.contains(&c.stage)
                && !c.wildcard
                && files.first().is_some_and(|f| c.covers(f).is_some())
        })?;
        let strip = (copy.source != ".").then(|| format!("{}/", copy.source));
        if strip
            .as_ref()
            .is_some_and(|s| !pattern.starts_with(s.as_str()))
        {
            return None;
        }
        // Every file must land where this COPY puts it.
        for f in &files {
            let target = copy.target(f)?;
            if super::manual_destination("/", &copy.dest, strip.as_deref(), f) != target {
                return None;
            }
        }
        rules.push((pattern.to_string(), copy.dest.clone(), strip));
    }
    if rules.is_empty() {
        return None;
    }
    let key = infer.origin.key_span?;
    let source = pipeline.source(infer.origin.file);
    let text = &source.text;
    let line_start = text[..key.start].rfind('\n').map_or(0, |i| i + 1);
    let lead = &text[line_start..key.start];
    if !lead.chars().all(|c| c == ' ') {
        return None;
    }
    let indent = lead.len();
    let mut yaml = String::from("manual:");
    for (src, dest, strip) in &rules {
        yaml.push_str(&format!(
            "\n{:indent$}  - src: \"{src}\"\n{:indent$}    dest: {dest}",
            "", ""
        ));
        if let Some(strip) = strip {
            yaml.push_str(&format!("\n{:indent$}    strip: \"{strip}\"", ""));
        }
    }
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: "replace `infer` with `manual` rules matching the target stage's COPY".into(),
        edits: vec![Edit {
            path: source.path.clone(),
            start: key.start,
            end: infer.origin.span.end,
            content: yaml,
        }],
    })
}
