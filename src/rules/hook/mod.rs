//! HOOK: sync hooks that do nothing, fail, or throw the synced files away.
//!
//! The helpers here read a container hook's argv the way the container runs it: either a
//! plain argv, or `sh -c SCRIPT` whose script is split into simple commands (words with their
//! bytes in skaffold.yaml), and find the signals those commands send (`kill`, `pkill`,
//! `killall`) and to whom.

pub mod command_is_string;
pub mod hup_does_not_reload;
pub mod no_shell_in_image;
pub mod pkill_matches_own_shell;
pub mod restarts_container;
pub mod signal_not_handled;
pub mod tool_missing_in_image;

use crate::image::ShellKind;
use crate::project::runtime::{scalar_offset, BuiltImage, Process};
use crate::project::{ArtifactView, Pipeline};
use crate::server::{self, ServerCommand, Signal, SignalOutcome, Wrapper};
use crate::skaffold::model::{Artifact, Hook, HookCommand};
use crate::skaffold::tree::FileId;
use crate::source::Span;

/// A word of a hook command and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HookWord {
    pub text: String,
    pub span: Span,
}

/// A `sh -c` wrapper around the hook's commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HookShell {
    /// argv[0] as written (`sh`, `/bin/bash`).
    pub program: HookWord,
    /// The script argument.
    pub script: HookWord,
}

/// A container hook split into simple commands.
#[derive(Debug, Clone)]
pub(crate) struct ParsedHook<'h> {
    pub hook: &'h Hook,
    pub file: FileId,
    pub shell: Option<HookShell>,
    /// Simple commands in order; for a plain argv, the argv itself.
    pub commands: Vec<Vec<HookWord>>,
    /// Only `&&`, `;` and newlines separate the commands (no pipes, background jobs, `||`,
    /// subshells or compound commands).
    pub plain_list: bool,
}

const SHELLS: &[&str] = &["sh", "bash", "dash", "ash", "zsh"];

/// The container hooks of an artifact's sync, parsed; host hooks and non-list commands are
/// left out.
pub(crate) fn container_hooks<'a>(
    pipeline: &Pipeline,
    artifact: &'a Artifact,
) -> Vec<ParsedHook<'a>> {
    let Some(sync) = &artifact.sync else {
        return Vec::new();
    };
    sync.before
        .iter()
        .chain(&sync.after)
        .filter(|h| h.in_container)
        .filter_map(|h| parse_hook(pipeline, h))
        .collect()
}

fn parse_hook<'h>(pipeline: &Pipeline, hook: &'h Hook) -> Option<ParsedHook<'h>> {
    let HookCommand::Argv { args, origin } = &hook.command else {
        return None;
    };
    let first = args.first()?;
    let words: Vec<HookWord> = args
        .iter()
        .map(|a| HookWord {
            text: a.value.clone(),
            span: a.origin.span,
        })
        .collect();
    let program = basename(&first.value);
    let c_at = args.iter().position(|a| a.value == "-c");
    if SHELLS.contains(&program) && c_at == Some(1) && args.len() >= 3 {
        let script = &args[2];
        let raw = pipeline
            .source(script.origin.file)
            .slice(script.origin.span)
            .to_string();
        let base = scalar_offset(&raw, &script.value).map(|o| script.origin.span.start + o);
        let (commands, plain_list) = split_script(&script.value, base, script.origin.span)?;
        return Some(ParsedHook {
            hook,
            file: origin.file,
            shell: Some(HookShell {
                program: words[0].clone(),
                script: words[2].clone(),
            }),
            commands,
            plain_list,
        });
    }
    Some(ParsedHook {
        hook,
        file: origin.file,
        shell: None,
        commands: vec![words],
        plain_list: true,
    })
}

pub(crate) fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Splits a script into simple commands. Word spans are found by locating each word's text in
/// the script in order (`base` is where the script's value starts in the file, when written
/// verbatim); a word that cannot be located gets the whole script's span.
fn split_script(
    script: &str,
    base: Option<usize>,
    whole: Span,
) -> Option<(Vec<Vec<HookWord>>, bool)> {
    let tokens = server::shell_words(script)?;
    let mut commands: Vec<Vec<HookWord>> = vec![Vec::new()];
    let mut plain = true;
    let mut cursor = 0;
    let mut skip_next = false;
    for token in tokens {
        match token.as_str() {
            ";" | "&&" | "\n" => {
                if !commands.last().is_some_and(Vec::is_empty) {
                    commands.push(Vec::new());
                }
                continue;
            }
            "||" | "|" | "&" | "(" | ")" | ";;" => {
                plain = false;
                if !commands.last().is_some_and(Vec::is_empty) {
                    commands.push(Vec::new());
                }
                continue;
            }
            ">" | ">>" | "<" | "<<" | "<<-" | ">&" | "<&" | "<>" | ">|" | "&>" => {
                skip_next = true;
                continue;
            }
            _ => {}
        }
        let found = script[cursor..].find(token.as_str()).map(|i| cursor + i);
        let span = match (found, base) {
            (Some(at), Some(base)) if !token.is_empty() => {
                cursor = at + token.len();
                Span::new(base + at, base + at + token.len())
            }
            _ => whole,
        };
        if std::mem::take(&mut skip_next) {
            continue;
        }
        if let Some(c) = commands.last_mut() {
            if c.is_empty()
                && matches!(
                    token.as_str(),
                    "if" | "then" | "else" | "elif" | "do" | "while" | "for" | "until" | "case"
                )
            {
                plain = false;
                if matches!(token.as_str(), "if" | "while" | "until" | "case" | "for") {
                    // The keyword itself is not a command word.
                    continue;
                }
                continue;
            }
            c.push(HookWord { text: token, span });
        }
    }
    commands.retain(|c| !c.is_empty());
    Some((commands, plain))
}

/// A process-signalling command of a hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignalSend {
    /// `kill`, `pkill`, `pgrep` or `killall`.
    pub tool: String,
    /// TERM when not given. pgrep sends nothing: `None`.
    pub signal: Option<Signal>,
    /// The word that names the signal, when given.
    pub signal_word: Option<HookWord>,
    /// PIDs or `$(...)` for kill; the pattern for pkill/pgrep; names for killall.
    pub targets: Vec<HookWord>,
    /// pkill/pgrep `-f`/`--full`: the pattern is matched against the whole command line.
    pub full: Option<HookWord>,
    /// pkill/pgrep `-x`, killall `-r` (regex) is the opposite.
    pub exact: bool,
    pub regex: bool,
    /// The command's first word.
    pub command: HookWord,
}

/// Reads `kill`, `pkill`, `pgrep` and `killall` commands (procps-ng and psmisc options).
/// `None` for other commands and for forms that send nothing (`kill -l`).
pub(crate) fn signal_send(words: &[HookWord]) -> Option<SignalSend> {
    let first = words.first()?;
    let tool = basename(&first.text).to_string();
    let mut send = SignalSend {
        tool: tool.clone(),
        signal: if tool == "pgrep" {
            None
        } else {
            Some(Signal::Term)
        },
        signal_word: None,
        targets: Vec::new(),
        full: None,
        exact: false,
        regex: false,
        command: first.clone(),
    };
    let with_value: &[&str] = match tool.as_str() {
        "kill" => &["-s", "-n", "--signal"],
        "pkill" | "pgrep" => &[
            "-g",
            "-G",
            "-P",
            "-s",
            "-t",
            "-u",
            "-U",
            "-F",
            "-d",
            "--signal",
            "--pidfile",
            "--ns",
            "--nslist",
            "--group",
            "--parent",
            "--session",
            "--terminal",
            "--euid",
            "--uid",
            "--pgroup",
            "--delimiter",
            "-q",
            "--queue",
        ],
        "killall" => &[
            "-s",
            "--signal",
            "-u",
            "--user",
            "-o",
            "--older-than",
            "-y",
            "--younger-than",
            "-Z",
            "--context",
        ],
        _ => return None,
    };
    let mut i = 1;
    let mut options_done = false;
    while let Some(w) = words.get(i) {
        let t = w.text.as_str();
        i += 1;
        if options_done || !t.starts_with('-') || t == "-" {
            send.targets.push(w.clone());
            continue;
        }
        if t == "--" {
            options_done = true;
            continue;
        }
        if matches!(t, "-l" | "-L" | "--list" | "--table") && tool != "pgrep" && tool != "pkill" {
            return None;
        }
        let (name, inline) = match t.split_once('=') {
            Some((n, v)) if t.starts_with("--") => (n, Some(v)),
            _ => (t, None),
        };
        if with_value.contains(&name) {
            let value = match inline {
                Some(v) => Some(HookWord {
                    text: v.to_string(),
                    span: w.span,
                }),
                None => {
                    i += 1;
                    words.get(i - 1).cloned()
                }
            };
            let is_signal = match tool.as_str() {
                "pkill" | "pgrep" => name == "--signal",
                _ => matches!(name, "-s" | "-n" | "--signal"),
            };
            if is_signal {
                let value = value?;
                send.signal = Some(Signal::parse(&value.text)?);
                send.signal_word = Some(value);
            }
            continue;
        }
        match (tool.as_str(), t) {
            ("pkill" | "pgrep", "-f" | "--full") => send.full = Some(w.clone()),
            ("pkill" | "pgrep", "-x" | "--exact") => send.exact = true,
            ("killall", "-r" | "--regexp") => send.regex = true,
            _ => {
                if let Some(sig) = signal_option(t) {
                    if tool != "pgrep" {
                        send.signal = Some(sig);
                        send.signal_word = Some(w.clone());
                    }
                } else if t[1..].chars().all(|c| c.is_ascii_digit()) {
                    // `kill -0 1` probes without signalling; unknown numbers are not a send
                    // skafix can judge.
                    return None;
                } else if !t.starts_with("--") && t.len() > 2 {
                    // Clustered short flags (`-fx`).
                    let letters = &t[1..];
                    if matches!(tool.as_str(), "pkill" | "pgrep")
                        && letters.chars().all(|c| "fxnoviceaAlwrh".contains(c))
                    {
                        if letters.contains('f') {
                            send.full = Some(w.clone());
                        }
                        send.exact |= letters.contains('x');
                    }
                }
            }
        }
    }
    Some(send)
}

/// `-HUP`, `-SIGHUP`, `-1`, `-9`: a signal given as an option (not a flag letter).
fn signal_option(t: &str) -> Option<Signal> {
    let rest = t.strip_prefix('-')?;
    let looks_like = rest.chars().all(|c| c.is_ascii_digit())
        || (rest.len() >= 3
            && rest
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
    if !looks_like {
        return None;
    }
    Signal::parse(rest)
}

/// The words inside a `$(...)` or backquoted target (`kill -HUP $(pgrep -f uvicorn)`), split
/// as a command; spans are the target word's.
pub(crate) fn substitution_command(word: &HookWord) -> Option<Vec<HookWord>> {
    let inner = word
        .text
        .strip_prefix("$(")
        .and_then(|t| t.strip_suffix(')'))
        .or_else(|| {
            word.text
                .strip_prefix('`')
                .and_then(|t| t.strip_suffix('`'))
        })?;
    let words = server::shell_words(inner)?;
    Some(
        words
            .into_iter()
            .map(|text| HookWord {
                text,
                span: word.span,
            })
            .collect(),
    )
}

/// The shell a hook's `sh -c` runs: from argv[0], or the image's `/bin/sh` for `sh`.
pub(crate) fn hook_shell_kind(shell: &HookShell, image_sh: Option<ShellKind>) -> Option<ShellKind> {
    match basename(&shell.program.text) {
        "bash" => Some(ShellKind::Bash),
        "dash" => Some(ShellKind::Dash),
        "ash" => Some(ShellKind::BusyboxAsh),
        "sh" => image_sh,
        _ => None,
    }
}

/// Whether the recognized server runs as PID 1: every wrapper replaces itself (`exec`,
/// `gosu`, ...), or is a shell known to exec its last command. `None` when not known.
pub(crate) fn server_is_pid1(server: &ServerCommand, image_sh: Option<ShellKind>) -> Option<bool> {
    for wrapper in &server.wrappers {
        match wrapper {
            Wrapper::Exec { .. } => {}
            Wrapper::Init { .. } | Wrapper::Spawn { .. } => return Some(false),
            Wrapper::Shell { exec: true, .. } => {}
            Wrapper::Shell {
                shell, tail_call, ..
            } => {
                let kind = match shell.as_str() {
                    "bash" => Some(ShellKind::Bash),
                    "dash" => Some(ShellKind::Dash),
                    "ash" => Some(ShellKind::BusyboxAsh),
                    _ => image_sh,
                };
                match kind? {
                    ShellKind::Dash => return Some(false),
                    ShellKind::Bash | ShellKind::BusyboxAsh => {
                        if !(*tail_call)? {
                            return Some(false);
                        }
                    }
                }
            }
        }
    }
    Some(true)
}

/// What runs in each deployed container of an artifact, with the built image.
pub(crate) struct Runtime<'a> {
    pub built: BuiltImage<'a>,
    pub processes: crate::project::runtime::Processes,
}

/// The built image and what its deployed containers run. `None` when the artifact is not a
/// Dockerfile build, and when no seen manifest runs the image while manifests that could not
/// be seen (not rendered, kpt, remote; SCHEMA009) may run it with another command.
pub(crate) fn runtime<'a>(
    pipeline: &Pipeline,
    artifact: &'a Artifact,
    view: &'a ArtifactView,
) -> Option<Runtime<'a>> {
    let built = image_runtime(pipeline, artifact, view)?;
    if view.containers.iter().all(|c| c.init) && !pipeline.model.unanalysed.is_empty() {
        return None;
    }
    Some(built)
}

/// Like [`runtime`], but also for the image's own default command when the deployed
/// containers are unknown: for findings about the image itself (its Dockerfile CMD).
pub(crate) fn image_runtime<'a>(
    pipeline: &Pipeline,
    artifact: &'a Artifact,
    view: &'a ArtifactView,
) -> Option<Runtime<'a>> {
    let built = BuiltImage::of(artifact, view)?;
    let processes = crate::project::runtime::shared_processes(pipeline, artifact, view, &built);
    Some(Runtime { built, processes })
}

/// An artifact with container sync hooks, and what its containers run.
pub(crate) struct Hooked<'a> {
    pub artifact: &'a Artifact,
    pub hooks: Vec<ParsedHook<'a>>,
    pub rt: Runtime<'a>,
}

/// The artifacts of a pipeline that have container sync hooks and a known runtime:
/// [`runtime`] when the finding is about the deployed containers, [`image_runtime`] when it is
/// about the image itself.
pub(crate) fn hooked<'a>(pipeline: &'a Pipeline, deployed_only: bool) -> Vec<Hooked<'a>> {
    pipeline
        .artifacts()
        .filter_map(|(artifact, view)| {
            let hooks = container_hooks(pipeline, artifact);
            if hooks.is_empty() {
                return None;
            }
            let rt = if deployed_only {
                runtime(pipeline, artifact, view)
            } else {
                image_runtime(pipeline, artifact, view)
            }?;
            Some(Hooked {
                artifact,
                hooks,
                rt,
            })
        })
        .collect()
}

/// A name for what PID 1 is, for messages: `/bin/sh (dash)` or the server's word.
pub(crate) fn describe_pid1(process: &Process, image_sh: Option<ShellKind>) -> Option<String> {
    if let Some(shell) = process.pid1_shell(image_sh) {
        let script = process.argv.last().map(String::as_str).unwrap_or_default();
        return Some(format!(
            "`{shell}` (dash, running `{}` as its child)",
            short(script)
        ));
    }
    let server = process.server.as_ref()?;
    if let Some(Wrapper::Init { name }) = server.wrappers.first() {
        return Some(format!(
            "`{name}`, the init that runs {}",
            server_name(server)
        ));
    }
    (server_is_pid1(server, image_sh) == Some(true)).then(|| server_name(server))
}

/// The server as a short name (`uvicorn`, `gunicorn`).
pub(crate) fn server_name(server: &ServerCommand) -> String {
    let name = server
        .args
        .first()
        .map(|a| basename(&a.text))
        .unwrap_or("server");
    match &server.package_script {
        Some(script) => format!("`{name}` (package.json script `{script}`)"),
        None => format!("`{name}`"),
    }
}

/// `text` cut to a readable length for messages.
pub(crate) fn short(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX).collect();
    format!("{cut}...")
}

/// What `sig` sent to PID 1 does in `process`: a dash PID 1 ignores everything; otherwise the
/// server's own behaviour (through tini/dumb-init and exec wrappers). `None` when not known.
pub(crate) fn pid1_outcome(
    process: &Process,
    sig: Signal,
    image_sh: Option<ShellKind>,
) -> Option<SignalOutcome> {
    if process.pid1_shell(image_sh).is_some() {
        return Some(SignalOutcome::Ignored);
    }
    let server = process.server.as_ref()?;
    match server::pid1_signal_behaviour(server, sig, image_sh, None) {
        SignalOutcome::Unknown => None,
        outcome => Some(outcome),
    }
}

/// The `kill ... 1` commands of a hook: (the send, the span from `kill` to the `1`).
pub(crate) fn kills_pid1(hook: &ParsedHook) -> Vec<(SignalSend, Span)> {
    hook.commands
        .iter()
        .filter_map(|c| signal_send(c))
        .filter(|s| s.tool == "kill")
        .filter_map(|s| {
            let one = s.targets.iter().find(|t| t.text == "1")?.clone();
            let span = if one.span.start >= s.command.span.start && one.span != s.command.span {
                s.command.span.cover(one.span)
            } else {
                s.command.span
            };
            Some((s, span))
        })
        .collect()
}

/// Signal names for messages (`SIGHUP`).
pub(crate) fn signal_name(sig: Signal) -> String {
    match sig {
        Signal::Hup => "SIGHUP".into(),
        Signal::Int => "SIGINT".into(),
        Signal::Quit => "SIGQUIT".into(),
        Signal::Kill => "SIGKILL".into(),
        Signal::Usr1 => "SIGUSR1".into(),
        Signal::Usr2 => "SIGUSR2".into(),
        Signal::Term => "SIGTERM".into(),
        other => format!("signal {}", other.number()),
    }
}

/// Removes a hook item from its block list when it is written as `- container:` with a flow
/// `command: [...]` list (whole lines, nothing else on them); `None` otherwise. Removing a
/// hook changes what the sync does, so the fix is unsafe.
pub(crate) fn remove_hook_fix(
    pipeline: &Pipeline,
    hook: &Hook,
    why: &str,
) -> Option<crate::diagnostic::Fix> {
    let HookCommand::Argv {
        origin: command, ..
    } = &hook.command
    else {
        return None;
    };
    let source = pipeline.source(hook.origin.file);
    let text: &str = &source.text;
    let start = hook.origin.span.start;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let lead = &text[line_start..start];
    if lead.trim() != "-" || !text[..command.span.end].ends_with(']') {
        return None;
    }
    let line_end = text[command.span.end..]
        .find('\n')
        .map_or(text.len(), |i| command.span.end + i + 1);
    let rest = text[command.span.end..line_end].trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    // Only the `container:` and `command:` keys may sit in between.
    let body = &text[start..command.span.start];
    if body.lines().count() > 2 || !body.contains("command") {
        return None;
    }
    let start = emptied_parents_start(text, line_start, line_end);
    Some(crate::diagnostic::Fix {
        applicability: crate::diagnostic::Applicability::Unsafe,
        message: format!("remove this hook ({why})"),
        edits: vec![crate::diagnostic::Edit {
            path: source.path.clone(),
            start,
            end: line_end,
            content: String::new(),
        }],
    })
}

/// Where the removal of the lines `start..end` (a hook, the only item of its list) should
/// begin so that no empty `after:`/`before:` key, and then no empty `hooks:` key, is left.
/// A key goes only when its block is exactly the removed lines (no other entry, comment or
/// blank line inside it), and `hooks:` only when its parent keeps other content: `sync:`
/// holding nothing would turn sync off instead of defaulting to infer.
fn emptied_parents_start(text: &str, start: usize, end: usize) -> usize {
    let Some(list_key) = parent_key_line(text, start, end, &["after", "before"]) else {
        return start;
    };
    match parent_key_line(text, list_key, end, &["hooks"]) {
        Some(hooks_key) if has_other_content(text, hooks_key, end) => hooks_key,
        _ => list_key,
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// The start of the line just before `start` when it is a bare `<key>:` (one of `keys`) whose
/// block is exactly the lines `start..end`.
fn parent_key_line(text: &str, start: usize, end: usize, keys: &[&str]) -> Option<usize> {
    let key_end = start.checked_sub(1)?;
    let key_start = text[..key_end].rfind('\n').map_or(0, |i| i + 1);
    let line = text[key_start..key_end].trim_end_matches('\r');
    let indent = indent_of(line);
    let name = line[indent..].strip_suffix(':')?;
    if !keys.contains(&name) {
        return None;
    }
    let first = text[start..end].lines().next()?;
    if first.trim().is_empty() || indent_of(first) < indent {
        return None;
    }
    // The next line with content must close the block, and a comment there might belong to it.
    let after = text[end..]
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| (indent_of(l), l.trim_start().starts_with('#')));
    match after {
        None => Some(key_start),
        Some((next, comment)) if next <= indent && !comment => {
            // A sibling `- item` at the key's own indentation would still belong to the list.
            let next_line = text[end..].lines().find(|l| !l.trim().is_empty())?;
            (!(next == indent && next_line.trim_start().starts_with('-'))).then_some(key_start)
        }
        _ => None,
    }
}

/// The mapping holding the key line at `key_start` has another entry besides the lines
/// `key_start..end`.
fn has_other_content(text: &str, key_start: usize, end: usize) -> bool {
    let indent = indent_of(&text[key_start..]);
    let content = |l: &&str| !l.trim().is_empty() && !l.trim_start().starts_with('#');
    let before = text[..key_start].lines().rev().find(content);
    let after = text[end..].lines().find(content);
    // Lines after the parent's own key line and indented at least as deep are its entries.
    before.is_some_and(|l| indent_of(l) >= indent) || after.is_some_and(|l| indent_of(l) == indent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<HookWord> {
        text.split(' ')
            .map(|t| HookWord {
                text: t.to_string(),
                span: Span::default(),
            })
            .collect()
    }

    #[test]
    fn reads_kill_pkill_and_killall_options() {
        let s = signal_send(&words("kill -HUP 1")).unwrap();
        assert_eq!(
            (s.signal, s.targets[0].text.as_str()),
            (Some(Signal::Hup), "1")
        );
        let s = signal_send(&words("kill -s TERM 1")).unwrap();
        assert_eq!(s.signal, Some(Signal::Term));
        assert_eq!(s.signal_word.unwrap().text, "TERM");
        let s = signal_send(&words("kill 1")).unwrap();
        assert_eq!((s.signal, s.signal_word), (Some(Signal::Term), None));
        let s = signal_send(&words("pkill -HUP -f uvicorn")).unwrap();
        assert_eq!(s.signal, Some(Signal::Hup));
        assert!(s.full.is_some());
        assert_eq!(s.targets[0].text, "uvicorn");
        let s = signal_send(&words("pkill --signal=USR2 -u app node")).unwrap();
        assert_eq!((s.signal, s.targets.len()), (Some(Signal::Usr2), 1));
        let s = signal_send(&words("pgrep -fx gunicorn")).unwrap();
        assert_eq!((s.signal, s.exact, s.full.is_some()), (None, true, true));
        let s = signal_send(&words("killall -s HUP gunicorn")).unwrap();
        assert_eq!(
            (s.signal, s.targets[0].text.as_str()),
            (Some(Signal::Hup), "gunicorn")
        );
        assert!(signal_send(&words("kill -l")).is_none());
        assert!(signal_send(&words("kill -0 1")).is_none());
        assert_eq!(
            signal_send(&words("kill -9 1")).unwrap().signal,
            Some(Signal::Kill)
        );
        assert!(signal_send(&words("echo 1")).is_none());
    }

    #[test]
    fn splits_scripts_into_commands_with_spans() {
        let (cmds, plain) = split_script(
            "cd /app && pkill -f 'uvicorn app' || true",
            Some(100),
            Span::new(0, 1),
        )
        .unwrap();
        assert!(!plain);
        assert_eq!(cmds.len(), 3);
        assert_eq!(cmds[1][2].text, "uvicorn app");
        assert_eq!(cmds[1][2].span, Span::new(100 + 21, 100 + 32));
        let (cmds, plain) = split_script("kill 1", None, Span::new(5, 13)).unwrap();
        assert!(plain);
        assert_eq!(cmds[0][1].span, Span::new(5, 13));
    }

    #[test]
    fn substitutions_are_split() {
        let w = HookWord {
            text: "$(pgrep -f uvicorn)".into(),
            span: Span::new(1, 2),
        };
        let inner = substitution_command(&w).unwrap();
        assert_eq!(
            inner.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
            ["pgrep", "-f", "uvicorn"]
        );
    }

    /// The text left after removing the hook item (the line holding `HOOK` and the next one)
    /// the way `remove_hook_fix` does.
    fn removed(text: &str) -> String {
        let item = text.find("- container").unwrap();
        let start = text[..item].rfind('\n').map_or(0, |i| i + 1);
        let command = text[start..].find("command").unwrap() + start;
        let end = text[command..]
            .find('\n')
            .map_or(text.len(), |i| command + i + 1);
        let from = emptied_parents_start(text, start, end);
        format!("{}{}", &text[..from], &text[end..])
    }

    const HOOK: &str = "          - container:\n              command: [\"kill\", \"1\"]\n";

    #[test]
    fn removing_the_only_hook_removes_the_emptied_keys() {
        let head = "sync:\n  manual:\n    - src: a\n      dest: /\n";
        let text = format!("{head}  hooks:\n    after:\n{HOOK}deploy: {{}}\n");
        assert_eq!(removed(&text), format!("{head}deploy: {{}}\n"));
        // At the end of the file, and with the list items at the key's indentation.
        let text =
            format!("{head}  hooks:\n    after:\n    - container:\n        command: [\"kill\"]");
        assert_eq!(removed(&text), head);
        // `hooks:` before the other entries of `sync:`.
        let text = format!("sync:\n  hooks:\n    after:\n{HOOK}  manual: []\n");
        assert_eq!(removed(&text), "sync:\n  manual: []\n");
    }

    #[test]
    fn keys_with_other_content_are_kept() {
        // Another hook list under `hooks:`: only `after:` goes.
        let text = format!("sync:\n  manual: []\n  hooks:\n    before:\n{HOOK}    after:\n{HOOK}");
        let item = text.rfind("- container").unwrap();
        let start = text[..item].rfind('\n').unwrap() + 1;
        assert_eq!(
            emptied_parents_start(&text, start, text.len()),
            text.rfind("    after:").unwrap()
        );
        // Another item, a comment, or a trailing comment on the key: nothing but the item.
        for text in [
            format!("sync:\n  hooks:\n    after:\n{HOOK}{HOOK}"),
            format!("sync:\n  hooks:\n    after:\n{HOOK}      # keep me\n"),
            format!("sync:\n  hooks:\n    after:\n      # keep me\n{HOOK}"),
            format!("sync:\n  hooks:\n    after: # keep me\n{HOOK}"),
        ] {
            let item = text.find("- container").unwrap();
            let start = text[..item].rfind('\n').unwrap() + 1;
            let end = start + HOOK.len();
            assert_eq!(emptied_parents_start(&text, start, end), start, "{text}");
        }
        // `hooks:` is all `sync:` holds: removing it would turn sync off, so it stays.
        let text = format!("sync:\n  hooks:\n    after:\n{HOOK}build: {{}}\n");
        assert_eq!(removed(&text), "sync:\n  hooks:\nbuild: {}\n");
    }
}
