//! SYNC008 no-tar-in-image: sync configured for an image whose base has no `tar` (scratch,
//! distroless, chiseled) and that no later instruction adds. Skaffold copies synced files by
//! running `tar` in the container, so every sync fails.

use super::{chain_instructions, stage_chain};
use crate::diagnostic::{Diagnostic, Severity};
use crate::dockerfile::{Args, Command, Instruction};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;

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
            continue;
        };
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
