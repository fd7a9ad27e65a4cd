//! RELOAD001 server-not-reloading: sync is configured, but the server the container runs does
//! not reload code (uvicorn without `--reload`, `fastapi run`, gunicorn without `--reload`,
//! flask without debug/reload, `runserver --noreload`, node without `--watch`): the synced
//! files are copied and the process keeps running the old code.

use super::{is_under, reload_flag, rule_destination, sync_carries_code};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::runtime::{BuiltImage, CommandSource, Process};
use crate::project::Pipeline;
use crate::rules::hook::hup_does_not_reload::targets_server;
use crate::rules::hook::{
    basename, container_hooks, runtime, server_is_pid1, server_name, signal_send, ParsedHook,
};
use crate::rules::{Check, FixAvailability, Rule};
use crate::server::{self, ArgPos, ReloadMode, ServerCommand, ServerKind, SignalOutcome};
use crate::skaffold::model::SyncMode;
use crate::skaffold::tree::Origin;

pub static RULE: Rule = Rule {
    code: "RELOAD001",
    name: "server-not-reloading",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary: "Sync is configured but the server does not reload: synced files are copied, the old code keeps running.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/RELOAD001.md"),
};

/// Hook commands that neither reload nor restart anything.
const INERT: &[&str] = &[
    "echo", "printf", "sleep", "true", "false", "cd", "set", "ls", "cat", "date", "ps", "pgrep",
    "test", "[",
];

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        if matches!(sync.mode, SyncMode::Auto(_)) {
            continue;
        }
        // No pattern can match (SYNC013): nothing is ever copied, so reloading is moot.
        if crate::rules::sync::src_never_matches::sync_is_dead(pipeline, artifact, view) {
            continue;
        }
        let Some(rt) = runtime(pipeline, artifact, view) else {
            continue;
        };
        let hooks = container_hooks(pipeline, artifact);
        let sh = rt.built.facts.and_then(|f| f.shell);
        let mut reported = Vec::new();
        for process in &rt.processes {
            let Some(server) = &process.server else {
                continue;
            };
            if server.reload != ReloadMode::Off || !sync_carries_code(sync, server) {
                continue;
            }
            if matches!(server.kind, ServerKind::Gunicorn { .. }) && has_gunicorn_conf(view) {
                continue;
            }
            if hooks
                .iter()
                .any(|h| hook_may_reload(h, server, process, sh))
            {
                continue;
            }
            // Django is off because of `--noreload`: point at it.
            let word = match server.kind {
                ServerKind::Django => server
                    .find_args("--noreload")
                    .next()
                    .or(server.args.first()),
                _ => server.args.first(),
            };
            let Some(at) = process.locate(
                pipeline,
                &rt.built,
                word.map_or(server.insert_after, |a| a.pos),
            ) else {
                continue;
            };
            if reported.contains(&(at.file, at.span)) {
                continue;
            }
            reported.push((at.file, at.span));
            let name = server_name(server);
            if let Some(script) = compiled_script_with_ts_sync(server, sync) {
                out.push(
                    pipeline
                        .at(&RULE, Origin { file: at.file, span: at.span, key_span: None }, format!(
                            "{name} runs the compiled `{script}`, but sync for `{}` copies only TypeScript sources: node never loads them, so neither the synced files nor `--watch` change what runs until the image is rebuilt",
                            artifact.image.value
                        ))
                        .with_artifact(&artifact.image.value)
                        .with_related(pipeline.path(sync.origin.file), sync.origin.key_span.unwrap_or(sync.origin.span), "sync configured here")
                        .with_help("for the dev pipeline, run the sources with a watcher that compiles them (`tsx watch src/index.ts`, `ts-node-dev --respawn src/index.ts`), or run `tsc --watch` in the container beside `node --watch`"),
                );
                continue;
            }
            let how = match &server.kind {
                ServerKind::Django => "`runserver` with `--noreload`".to_string(),
                ServerKind::FastApiCli { dev: false } => {
                    "as `fastapi run`, which does not reload".to_string()
                }
                ServerKind::Flask => "without `--debug` or `--reload`".to_string(),
                ServerKind::NodeTool { name } if name == "next" => {
                    "as `next start`, which serves the production build and never recompiles"
                        .to_string()
                }
                ServerKind::NodeTool { name } if name == "vite" => {
                    "as `vite preview`, which serves the built files and never rebuilds".to_string()
                }
                ServerKind::Quarkus { .. } => {
                    "as the packaged application (`quarkus-run.jar`), which loads its classes once"
                        .to_string()
                }
                ServerKind::Gunicorn { .. } if server.config_file.is_some() => format!(
                    "without `--reload`, and its config file `{}` does not set `reload = True`,",
                    server.config_file.as_deref().unwrap_or_default()
                ),
                kind => format!("without `{}`", reload_flag(kind).unwrap_or("reload")),
            };
            let mut d = pipeline
                .at(&RULE, Origin { file: at.file, span: at.span, key_span: None }, format!(
                    "{name} runs {how} although sync is configured for `{}`: Skaffold copies the changed files into the container, but the running process keeps the code it loaded at start",
                    artifact.image.value
                ))
                .with_artifact(&artifact.image.value)
                .with_related(pipeline.path(sync.origin.file), sync.origin.key_span.unwrap_or(sync.origin.span), "sync configured here")
                .with_help(match (reload_flag(&server.kind), &server.kind) {
                    (Some(flag), _) => format!("add `{flag}` to the server command for the dev pipeline"),
                    (None, ServerKind::NodeTool { name }) if name == "next" => "run `next dev` for the dev pipeline".to_string(),
                    (None, ServerKind::NodeTool { .. }) => "run the dev server (`vite`) for the dev pipeline".to_string(),
                    (None, ServerKind::Quarkus { .. }) => "run Quarkus dev mode (`quarkus dev`, `./mvnw quarkus:dev` or `./gradlew quarkusDev`) for the dev pipeline".to_string(),
                    (None, _) => "remove `--noreload` for the dev pipeline".to_string(),
                });
            if let Some(fix) = fix(pipeline, &rt.built, process, server, sync) {
                d = d.with_fix(fix);
            }
            out.push(d);
        }
    }
}

/// The JavaScript file a plain `node` runs (`dist/index.js`), when every sync pattern that can
/// carry code names TypeScript sources only (`src/**/*.ts`): node runs the compiled output,
/// and nothing in the container compiles the synced `.ts` files. `None` when node loads
/// TypeScript itself (`-r ts-node/register`, `--import tsx`, a `.ts` script) or when a pattern
/// may carry JavaScript.
fn compiled_script_with_ts_sync(
    server: &ServerCommand,
    sync: &crate::skaffold::model::Sync,
) -> Option<String> {
    if server.kind != ServerKind::Node {
        return None;
    }
    if server.args.iter().any(|a| {
        matches!(
            a.text.as_str(),
            "-r" | "--require" | "--import" | "--loader" | "--experimental-loader"
        ) || a.text.starts_with("--require=")
            || a.text.starts_with("--import=")
            || a.text.starts_with("--loader=")
            || a.text.starts_with("--experimental")
    }) {
        return None;
    }
    let script = server.app.as_deref()?;
    if !["js", "mjs", "cjs"]
        .iter()
        .any(|e| script.rsplit_once('.').is_some_and(|(_, x)| x == *e))
    {
        return None;
    }
    let patterns: Vec<&str> = match &sync.mode {
        SyncMode::Manual(rules) => rules.iter().map(|r| r.src.value.as_str()).collect(),
        SyncMode::Infer(patterns) => patterns.iter().map(|p| p.value.as_str()).collect(),
        _ => return None,
    };
    const TS: &[&str] = &["ts", "tsx", "mts", "cts"];
    let mut any = false;
    for pattern in patterns {
        let last = pattern.rsplit('/').next().unwrap_or(pattern);
        match last.rsplit_once('.') {
            Some((_, ext)) if TS.iter().any(|t| t.eq_ignore_ascii_case(ext)) => any = true,
            // A pattern that cannot carry code (`*.html`, `*.css`) does not matter here.
            Some((_, ext))
                if !ext.contains(['*', '?', '[', '{'])
                    && !super::pattern_may_match(pattern, &["js", "mjs", "cjs", "json", "jsx"]) => {
            }
            _ => return None,
        }
    }
    any.then(|| script.to_string())
}

/// A hook that may be how the code is reloaded: a signal that reloads the server (or whose
/// effect is unknown), or any command skafix does not know to be inert.
fn hook_may_reload(
    hook: &ParsedHook,
    server: &ServerCommand,
    process: &Process,
    sh: Option<crate::image::ShellKind>,
) -> bool {
    hook.commands.iter().any(|command| {
        let Some(first) = command.first() else {
            return false;
        };
        if let Some(send) = signal_send(command) {
            let Some(sig) = send.signal else { return false };
            if send.tool == "kill" && send.targets.iter().any(|t| t.text == "1") {
                return crate::rules::hook::pid1_outcome(process, sig, sh)
                    .is_none_or(|o| matches!(o, SignalOutcome::Reload | SignalOutcome::Unknown));
            }
            return match targets_server(&send, server, process) {
                Some(false) => false,
                Some(true) => match server_is_pid1(server, sh) {
                    Some(pid1) => matches!(
                        server::signal_behaviour(server, sig, pid1, None),
                        SignalOutcome::Reload
                            | SignalOutcome::RestartOldCode
                            | SignalOutcome::Unknown
                    ),
                    None => true,
                },
                None => true,
            };
        }
        !INERT.contains(&basename(&first.text))
    })
}

/// gunicorn reads `./gunicorn.conf.py` from its working directory, where `reload = True` may
/// be set (`gunicorn/config.py`); any such file in the context makes the mode unknown.
fn has_gunicorn_conf(view: &crate::project::ArtifactView) -> bool {
    match view.context_files() {
        Some(files) => files.iter().any(|f| basename(f) == "gunicorn.conf.py"),
        None => true,
    }
}

/// Inserts the reload flag (and `--reload-dir` for destinations outside the working dir) after
/// the server word; display-only when the place cannot be edited exactly.
fn fix(
    pipeline: &Pipeline,
    built: &BuiltImage,
    process: &Process,
    server: &ServerCommand,
    sync: &crate::skaffold::model::Sync,
) -> Option<Fix> {
    let flag = reload_flag(&server.kind)?;
    let mut words = vec![flag.to_string()];
    if matches!(server.kind, ServerKind::Uvicorn) {
        if let SyncMode::Manual(rules) = &sync.mode {
            let workdir = built.workdir();
            let mut dests: Vec<String> = rules
                .iter()
                .filter_map(|r| rule_destination(r, workdir.as_deref()))
                .collect();
            dests.sort();
            dests.dedup();
            if dests.iter().any(|d| !is_under(d, &process.workdir)) {
                for d in dests {
                    words.push("--reload-dir".into());
                    words.push(d);
                }
            }
        }
    }
    let after = server
        .args
        .iter()
        .find(|a| a.pos == server.insert_after)
        .map_or_else(|| server_name(server), |a| format!("`{}`", a.text));
    let message = format!("add `{}` after {after}", words.join(" "));
    let at = process.locate(pipeline, built, server.insert_after)?;
    let source = pipeline.source(at.file);
    let text = &source.text;
    let display_only = || Fix {
        applicability: Applicability::DisplayOnly,
        message: message.clone(),
        edits: Vec::new(),
    };
    if !at.exact {
        return Some(display_only());
    }
    // With `--preload` the reloaded workers fork from the master's old code (RELOAD004), so
    // adding `--reload` alone would not help: only suggest the whole change.
    if server.preload {
        return Some(Fix {
            applicability: Applicability::DisplayOnly,
            message: format!("{message} and remove `--preload`"),
            edits: Vec::new(),
        });
    }
    let (insert_at, content) = match server.insert_after {
        ArgPos::Script { .. } => (at.span.end, format!(" {}", words.join(" "))),
        ArgPos::Argv { index } => match process.source_of(index)?.0 {
            CommandSource::Dockerfile { .. } => {
                if text.as_bytes().get(at.span.end) != Some(&b'"') {
                    return Some(display_only());
                }
                let quoted: Vec<String> = words
                    .iter()
                    .map(|w| serde_json::to_string(w).unwrap_or_default())
                    .collect();
                (at.span.end + 1, format!(", {}", quoted.join(", ")))
            }
            CommandSource::Manifest { list, .. } => {
                // Written like the word it follows: quoted after a quoted item.
                let quoted = matches!(text.as_bytes().get(at.span.start), Some(b'"' | b'\''));
                let words: Vec<String> = words.iter().map(|w| yaml_item(w, quoted)).collect();
                if source.slice(*list).starts_with('[') {
                    (at.span.end, format!(", {}", words.join(", ")))
                } else {
                    let line_start = text[..at.span.start].rfind('\n').map_or(0, |i| i + 1);
                    let prefix = &text[line_start..at.span.start];
                    let dash = prefix.rfind('-')?;
                    let indent = &prefix[..dash];
                    if !indent.chars().all(|c| c == ' ') {
                        return Some(display_only());
                    }
                    let lines: String = words.iter().map(|w| format!("\n{indent}- {w}")).collect();
                    let line_end = text[at.span.end..]
                        .find('\n')
                        .map_or(text.len(), |i| at.span.end + i);
                    if text[at.span.end..line_end].trim().is_empty() {
                        (line_end, lines)
                    } else {
                        return Some(display_only());
                    }
                }
            }
        },
    };
    Some(Fix {
        applicability: Applicability::Unsafe,
        message,
        edits: vec![Edit {
            path: source.path.clone(),
            start: insert_at,
            end: insert_at,
            content,
        }],
    })
}

/// A list item as YAML text: plain when it is a simple word and its neighbours are plain,
/// else double-quoted (JSON string syntax is valid YAML).
fn yaml_item(word: &str, quoted: bool) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=+".contains(c))
        && !word.starts_with(['.', '='])
        && word != "-";
    if plain && !quoted {
        word.to_string()
    } else {
        serde_json::to_string(word).unwrap_or_default()
    }
}
