//! RELOAD003 reload-with-workers: uvicorn with `--reload` and `--workers`: the reloader runs a
//! single worker, so the worker count is ignored.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::hook::{runtime, server_name};
use crate::rules::{Check, FixAvailability, Rule};
use crate::server::{ReloadMode, ServerKind};
use crate::skaffold::tree::Origin;

pub static RULE: Rule = Rule {
    code: "RELOAD003",
    name: "reload-with-workers",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "uvicorn `--reload` together with `--workers`: the workers setting is ignored.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/RELOAD003.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        if artifact.sync.is_none() {
            continue;
        }
        let Some(rt) = runtime(pipeline, artifact, view) else {
            continue;
        };
        let mut reported = Vec::new();
        for process in &rt.processes {
            let Some(server) = &process.server else {
                continue;
            };
            if server.kind != ServerKind::Uvicorn || !matches!(server.reload, ReloadMode::On { .. })
            {
                continue;
            }
            let Some(workers) = server.workers.filter(|&w| w > 1) else {
                continue;
            };
            let arg = server
                .args
                .iter()
                .find(|a| a.text == "--workers" || a.text.starts_with("--workers="))
                .or(server.args.first());
            let Some(arg) = arg else { continue };
            let Some(at) = process.locate(pipeline, &rt.built, arg.pos) else {
                continue;
            };
            if reported.contains(&(at.file, at.span)) {
                continue;
            }
            reported.push((at.file, at.span));
            out.push(
                pipeline
                    .at(&RULE, Origin { file: at.file, span: at.span, key_span: None }, format!(
                        "{} runs with `--reload` and {workers} workers: with `--reload` uvicorn starts its reloader with one worker and ignores `--workers` (\"Not valid with --reload\")",
                        server_name(server)
                    ))
                    .with_artifact(&artifact.image.value)
                    .with_help("drop `--workers` from the dev command (or `--reload` from the production one)"),
            );
        }
    }
}
