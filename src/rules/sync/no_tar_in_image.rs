//! SYNC008 no-tar-in-image: sync configured for an image whose base has no `tar` (scratch,
//! distroless, chiseled) and that no later instruction adds. Skaffold copies synced files by
//! running `tar` in the container, so every sync fails.

use super::{chain_instructions, infer_maps_nothing, infer_patterns, stage_chain};
use crate::diagnostic::{Diagnostic, Severity};
use crate::dockerfile::{Args, Command, Instruction};
use crate::project::runtime::BuiltImage;
use crate::project::{ArtifactView, Pipeline};
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::{Artifact, Builder, SyncMode};

pub static RULE: Rule = Rule {
    code: "SYNC008",
    name: "no-tar-in-image",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "Sync is configured but the built image has no `tar`, which Skaffold runs in the container to copy files.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC008.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        // `auto` on a Dockerfile builder never syncs (SYNC006); there is no copy to fail.
        if matches!(sync.mode, SyncMode::Auto(_)) {
            continue;
        }
        let Some(built) = BuiltImage::of(artifact, view) else {
            ko_base_without_tar(pipeline, artifact, view, out);
            continue;
        };
        // An infer sync that maps no file never copies one (SYNC002 says why): every change
        // rebuilds, and tar is never run.
        if infer_patterns(sync).is_some_and(|p| infer_maps_nothing(&p, view, &built)) {
            continue;
        }
        let Some(facts) = built.facts else { continue };
        if facts.has_tar != Some(false) {
            continue;
        }
        let Some(chain) = stage_chain(built.dockerfile, built.stage.index) else {
            continue;
        };
        let instructions = chain_instructions(built.dockerfile, &chain);
        if instructions.iter().any(|i| may_add_tar(i)) {
            continue;
        }
        let Some(base) = built.base_image.as_deref() else {
            continue;
        };
        let root = &built.dockerfile.stages[chain[0]];
        out.push(
            RULE
                .diagnostic(pipeline.path(built.dockerfile_file), root.base.span, format!(
                    "`{base}` has no `tar`: Skaffold syncs files by running `tar xmf - -C / --no-same-owner` in the container through kubectl exec, so every sync of `{}` fails",
                    artifact.image.value
                ))
                .with_artifact(&artifact.image.value)
                .with_related(pipeline.path(sync.origin.file), sync.origin.key_span.unwrap_or(sync.origin.span), "sync configured here")
                .with_help("sync into an image that has tar (a `:debug` distroless tag, a slim Debian or Alpine base for the dev target), or drop sync for this artifact"),
        );
    }
}

/// A RUN that mentions tar or busybox, or a COPY --from that brings binaries or a tar.
fn may_add_tar(instruction: &Instruction) -> bool {
    let mentions = |text: &str| {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .any(|w| w == "tar" || w == "bsdtar" || w == "busybox")
    };
    match &instruction.args {
        Args::Run { command, heredocs } => {
            let text = match command {
                Command::Exec { argv, .. } => argv
                    .iter()
                    .map(|w| w.value.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
                Command::Shell { text, .. } => text.clone(),
            };
            mentions(&text) || heredocs.iter().any(|h| mentions(&h.body))
        }
        Args::Copy(c) | Args::Add(c) if instruction.flag("from").is_some() => {
            c.sources.iter().any(|s| {
                let v = s.value.trim_end_matches('/');
                mentions(v) || v.is_empty() || v.ends_with("/bin") || v == "/usr" || v.contains('$')
            })
        }
        _ => false,
    }
}

/// ko's base image when neither `ko.fromImage` nor a `.ko.yaml` chooses one
/// (`pkg/commands/options/build.go` in ko, `configDefaultBaseImage`; Skaffold passes
/// `fromImage` as ko's `BaseImage`, `pkg/skaffold/build/ko/builder.go`).
const KO_DEFAULT_BASE: &str = "cgr.dev/chainguard/static:latest";

/// SYNC008 for a ko artifact: ko syncs `kodata` files with the same `tar` copy
/// (`pkg/skaffold/sync/sync.go`), into the image ko built on its base; ko adds only the Go
/// binary and `kodata` to it, so the base decides whether tar exists.
fn ko_base_without_tar(
    pipeline: &Pipeline,
    artifact: &Artifact,
    view: &ArtifactView,
    out: &mut Vec<Diagnostic>,
) {
    let Builder::Other(key) = &artifact.builder else {
        return;
    };
    if key.value != "ko" {
        return;
    }
    let Some(sync) = &artifact.sync else { return };
    let ko = pipeline
        .tree
        .get("build")
        .and_then(|b| b.get("artifacts"))
        .and_then(|a| a.items().get(artifact.index))
        .and_then(|a| a.get("ko"));
    let from_image = ko.and_then(|k| k.get("fromImage"));
    let (base, origin) = match from_image.and_then(|v| v.as_str().map(|s| (s, v.origin))) {
        Some((image, origin)) if !image.contains("{{") => (image.to_string(), origin),
        Some(_) => return,
        None => {
            let dir = ko
                .and_then(|k| k.get("dir"))
                .and_then(|v| v.as_str())
                .unwrap_or(".");
            // A `.ko.yaml` may set `defaultBaseImage`; ko reads it from its working directory.
            let config_dir = view.context_dir.join(dir);
            if config_dir.join(".ko.yaml").exists() || config_dir.join(".ko.yml").exists() {
                return;
            }
            (KO_DEFAULT_BASE.to_string(), key.origin)
        }
    };
    let Some(facts) = crate::image::lookup(&base) else {
        return;
    };
    if facts.has_tar != Some(false) {
        return;
    }
    let defaulted = from_image.is_none();
    let span = if defaulted {
        origin.key_span.unwrap_or(origin.span)
    } else {
        origin.span
    };
    out.push(
        RULE.diagnostic(pipeline.path(origin.file), span, format!(
            "`{base}`{} has no `tar`: Skaffold syncs files by running `tar xmf - -C / --no-same-owner` in the container through kubectl exec, so every sync of `{}` fails",
            if defaulted { " (ko's default base image)" } else { "" },
            artifact.image.value
        ))
        .with_artifact(&artifact.image.value)
        .with_related(pipeline.path(sync.origin.file), sync.origin.key_span.unwrap_or(sync.origin.span), "sync configured here")
        .with_help("set `ko.fromImage` to a base with tar (for example a `:debug` distroless tag or a `-dev` Chainguard tag), or drop sync for this artifact"),
    );
}
