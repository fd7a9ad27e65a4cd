//! RELOAD004 preload-blocks-reload: gunicorn `--preload` with `--reload` or with a SIGHUP sync
//! hook: the app is loaded once in the master, so new workers keep running the old code.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::hook::hup_does_not_reload::targets_server;
use crate::rules::hook::{container_hooks, runtime, server_is_pid1, signal_send};
use crate::rules::{Check, FixAvailability, Rule};
use crate::server::{ReloadMode, ServerKind, Signal};
use crate::skaffold::tree::Origin;

pub static RULE: Rule = Rule {
    code: "RELOAD004",
    name: "preload-blocks-reload",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "gunicorn `--preload` with `--reload` or a SIGHUP hook: the code is not reloaded.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/RELOAD004.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        if artifact.sync.is_none() {
            continue;
        }
        let Some(rt) = runtime(pipeline, artifact, view) else {
            continue;
        };
        let hooks = container_hooks(pipeline, artifact);
        let mut reported = Vec::new();
        for process in &rt.processes {
            let Some(server) = &process.server else {
                continue;
            };
            if !matches!(server.kind, ServerKind::Gunicorn { .. }) || !server.preload {
                continue;
            }
            let sh = rt.built.facts.and_then(|f| f.shell);
            // `kill -HUP 1` reaches gunicorn itself when its master is PID 1.
            let master_is_pid1 = server_is_pid1(server, sh) == Some(true);
            let hup_hook = hooks.iter().any(|h| {
                h.commands.iter().filter_map(|c| signal_send(c)).any(|s| {
                    let to_pid1 = s.tool == "kill" && s.targets.iter().any(|t| t.text == "1");
                    s.signal == Some(Signal::Hup)
                        && (targets_server(&s, server, process) == Some(true)
                            || (to_pid1 && master_is_pid1))
                })
            });
            let reload = matches!(server.reload, ReloadMode::On { .. });
            if !reload && !hup_hook {
                continue;
            }
            let arg = server.find_args("--preload").next().or(server.args.first());
            let Some(arg) = arg else { continue };
            let Some(at) = process.locate(pipeline, &rt.built, arg.pos) else {
                continue;
            };
            if reported.contains(&(at.file, at.span)) {
                continue;
            }
            reported.push((at.file, at.span));
            let with = if reload {
                "`--reload`"
            } else {
                "the SIGHUP sync hook"
            };
            let (what, help) = match (
                &server.config_file,
                server.preload_in_config && server.find_args("--preload").next().is_none(),
            ) {
                (Some(file), true) => (
                    format!("`preload_app = True` in gunicorn's config file `{file}`"),
                    format!("set `preload_app = False` in `{file}` for the dev pipeline"),
                ),
                _ => (
                    "gunicorn `--preload`".to_string(),
                    "drop `--preload` from the dev command".to_string(),
                ),
            };
            let with = match (&server.reload, reload) {
                (
                    ReloadMode::On {
                        via: crate::server::ReloadVia::Config(file),
                    },
                    true,
                ) => {
                    format!("`reload = True` in {file}")
                }
                _ => with.to_string(),
            };
            out.push(
                pipeline
                    .at(&RULE, Origin { file: at.file, span: at.span, key_span: None }, format!(
                        "{what} loads the app once in the master, so with {with} the new workers are forked from it and keep running the old code"
                    ))
                    .with_artifact(&artifact.image.value)
                    .with_help(help),
            );
        }
    }
}
