//! HOOK004 hup-does-not-reload: a sync hook sends SIGHUP to a server that does not reload on
//! it (uvicorn outside its multiprocess mode, flask, Django, node): the signal is dropped or
//! kills the server, and the synced code is not loaded.

use super::{
    basename, hooked, server_is_pid1, server_name, signal_send, substitution_command, HookWord,
    Hooked, SignalSend,
};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::project::runtime::Process;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::server::{self, ServerCommand, ServerKind, Signal, SignalOutcome};
use crate::skaffold::tree::Origin;

pub static RULE: Rule = Rule {
    code: "HOOK004",
    name: "hup-does-not-reload",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary: "A sync hook sends SIGHUP to a server that does not reload its code on SIGHUP.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/HOOK004.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for Hooked {
        artifact,
        hooks,
        rt,
    } in hooked(pipeline, true)
    {
        let sh = rt.built.facts.and_then(|f| f.shell);
        for hook in &hooks {
            for command in &hook.commands {
                let Some(send) = signal_send(command) else {
                    continue;
                };
                if send.signal != Some(Signal::Hup) {
                    continue;
                }
                let mut findings: Vec<(SignalOutcome, String)> = Vec::new();
                let mut unknown = false;
                for process in &rt.processes {
                    let Some(server) = &process.server else {
                        unknown = true;
                        continue;
                    };
                    match targets_server(&send, server, process) {
                        Some(true) => {}
                        Some(false) => continue,
                        None => {
                            unknown = true;
                            continue;
                        }
                    }
                    let Some(pid1) = server_is_pid1(server, sh) else {
                        unknown = true;
                        continue;
                    };
                    match server::hup_behaviour(server, pid1, None) {
                        outcome @ (SignalOutcome::Ignored
                        | SignalOutcome::Terminates
                        | SignalOutcome::Handled) => {
                            findings.push((outcome, why(server, outcome, pid1)));
                        }
                        _ => unknown = true,
                    }
                }
                findings.dedup();
                if unknown || findings.len() != 1 {
                    continue;
                }
                let (_, reason) = &findings[0];
                let at = send.signal_word.as_ref().unwrap_or(&send.command);
                let mut d = pipeline
                        .at(&RULE, Origin { span: at.span, ..hook.hook.origin }, format!("SIGHUP does not reload {reason}"))
                        .with_artifact(&artifact.image.value)
                        .with_help("run the server with its reload flag (e.g. `uvicorn --reload`) so it picks up synced files itself, and drop the hook");
                if let Some(fix) =
                    super::remove_hook_fix(pipeline, hook.hook, "SIGHUP does not reload the server")
                {
                    d = d.with_fix(fix);
                }
                out.push(d);
            }
        }
    }
}

/// Why HUP does not reload this server, and what it does instead.
fn why(server: &ServerCommand, outcome: SignalOutcome, pid1: bool) -> String {
    let name = server_name(server);
    let reason = match &server.kind {
        ServerKind::Uvicorn | ServerKind::FastApiCli { .. } => {
            if matches!(server.reload, server::ReloadMode::On { .. }) {
                format!("{name}: its `--reload` supervisor handles only SIGINT and SIGTERM")
            } else {
                format!("{name}: it handles SIGHUP only in its multiprocess mode (`--workers` > 1, uvicorn 0.30+), otherwise only SIGINT and SIGTERM")
            }
        }
        ServerKind::Flask => format!("{name}: flask's server installs no SIGHUP handler"),
        ServerKind::Django => format!("{name}: Django's runserver installs no SIGHUP handler"),
        ServerKind::Node => format!("{name}: node installs no SIGHUP handler"),
        _ => format!("{name}: it has no SIGHUP handler in this mode"),
    };
    match outcome {
        SignalOutcome::Terminates => format!(
            "{reason}, so the signal kills the server process{}",
            if pid1 { "" } else { " (it is not PID 1, so the kernel delivers the signal)" }
        ),
        SignalOutcome::Ignored => format!(
            "{reason}; as PID 1 it does not receive signals it has no handler for, so the old code keeps running"
        ),
        _ => format!("{reason}; the old code keeps running"),
    }
}

/// Whether the send reaches the recognized server's process; `None` when it cannot be told.
pub(crate) fn targets_server(
    send: &SignalSend,
    server: &ServerCommand,
    process: &Process,
) -> Option<bool> {
    match send.tool.as_str() {
        "pkill" => pattern_matches(send, server, process),
        "killall" => {
            if send.regex {
                return None;
            }
            let comm = comm(server, process)?;
            Some(send.targets.iter().any(|t| t.text == comm))
        }
        "kill" => {
            let mut any = false;
            for target in &send.targets {
                if target.text == "1" {
                    // Signalling PID 1 is HOOK001/HOOK002's subject.
                    return Some(false);
                }
                let inner = substitution_command(target)?;
                let pgrep = signal_send(&inner).filter(|s| s.tool == "pgrep")?;
                any |= pattern_matches(&pgrep, server, process)?;
            }
            Some(any)
        }
        _ => None,
    }
}

/// pkill/pgrep's pattern (an extended regex) against the server's command line (`-f`) or
/// process name.
fn pattern_matches(send: &SignalSend, server: &ServerCommand, process: &Process) -> Option<bool> {
    let pattern: &HookWord = send.targets.first()?;
    if send.targets.len() != 1 || pattern.text.contains(['^', '$', '\\']) {
        return None;
    }
    let regex = regex::Regex::new(&pattern.text).ok()?;
    if send.full.is_some() {
        // The server's words are a part of its command line; an unanchored match on them is a
        // match on the whole line.
        let words: Vec<&str> = server.args.iter().map(|a| a.text.as_str()).collect();
        if regex.is_match(&words.join(" ")) {
            return Some(true);
        }
        return None;
    }
    let comm = comm(server, process)?;
    Some(if send.exact {
        regex
            .find(&comm)
            .is_some_and(|m| m.start() == 0 && m.end() == comm.len())
    } else {
        regex.is_match(&comm)
    })
}

/// The server process's name (`/proc/PID/comm`): its executable's base name, cut to 15
/// bytes. `None` for `python -m X`, whose name is the interpreter's.
fn comm(server: &ServerCommand, process: &Process) -> Option<String> {
    let first = server.args.first()?;
    let joined = process.argv.join(" ");
    if joined.contains(&format!("-m {}", first.text)) {
        return None;
    }
    Some(basename(&first.text).chars().take(15).collect())
}
