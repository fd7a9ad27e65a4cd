//! HOOK005 pkill-matches-own-shell: `sh -c "... pkill -f X"` where the hook's own command line
//! contains X, so pkill signals the hook's shell: the hook dies, the sync counts as failed and
//! Skaffold retries it.

use super::{
    container_hooks, hook_shell_kind, image_runtime, signal_send, substitution_command, HookWord,
    SignalSend,
};
use crate::diagnostic::{Diagnostic, Severity};
use crate::image::ShellKind;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::HookCommand;
use crate::skaffold::tree::Origin;

pub static RULE: Rule = Rule {
    code: "HOOK005",
    name: "pkill-matches-own-shell",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary:
        "`pkill -f X` in a `sh -c` hook whose own command line contains X signals the hook's shell.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/HOOK005.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let hooks = container_hooks(pipeline, artifact);
        if hooks.is_empty() {
            continue;
        }
        let image_sh = image_runtime(pipeline, artifact, view)
            .and_then(|rt| rt.built.facts)
            .and_then(|f| f.shell);
        for hook in &hooks {
            let Some(shell) = &hook.shell else { continue };
            let HookCommand::Argv { args, .. } = &hook.hook.command else {
                continue;
            };
            let own = args
                .iter()
                .map(|a| a.value.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let shown = format!("{} -c \"{}\"", shell.program.text, shell.script.text);
            let last = hook.commands.len().saturating_sub(1);
            for (k, command) in hook.commands.iter().enumerate() {
                let Some(send) = signal_send(command) else {
                    continue;
                };
                let (found, via_kill) = match send.tool.as_str() {
                    "pkill" => (Some(send.clone()), false),
                    "kill" => (
                        send.targets
                            .iter()
                            .filter_map(substitution_command)
                            .filter_map(|inner| signal_send(&inner))
                            .find(|s| s.tool == "pgrep"),
                        true,
                    ),
                    _ => (None, false),
                };
                let Some(matcher) = found else { continue };
                let Some(pattern) = self_matching_pattern(&matcher, &own) else {
                    continue;
                };
                // bash and busybox ash exec the last command of a plain list, so a lone
                // `pkill` replaces the shell and pkill never signals itself.
                let shell_stays = via_kill
                    || k != last
                    || !hook.plain_list
                    || hook_shell_kind(shell, image_sh) == Some(ShellKind::Dash);
                if !shell_stays {
                    continue;
                }
                // Inside `$(...)` the word's span is the whole substitution: narrow it to the
                // pattern when it occurs there once.
                let source = pipeline.source(hook.file);
                let raw = source.slice(pattern.span);
                let span = match (
                    raw.matches(pattern.text.as_str()).count(),
                    raw.find(pattern.text.as_str()),
                ) {
                    (1, Some(at)) if raw.len() > pattern.text.len() => {
                        let start = pattern.span.start + at;
                        crate::source::Span::new(start, start + pattern.text.len())
                    }
                    _ => pattern.span,
                };
                let shown_pattern = if pattern.text.contains(' ') {
                    format!("'{}'", pattern.text)
                } else {
                    pattern.text.clone()
                };
                let what = if via_kill {
                    format!("`pgrep -f {shown_pattern}` lists the hook's own shell, so `kill` signals it")
                } else {
                    format!("`pkill -f {shown_pattern}` signals the hook's own shell")
                };
                out.push(
                    pipeline
                        .at(&RULE, Origin { span, ..hook.hook.origin }, format!(
                            "{what}: the hook runs as `{}`, whose command line contains `{}`; the shell dies, the hook fails, and Skaffold counts the sync as failed and retries it",
                            super::short(&shown),
                            pattern.text
                        ))
                        .with_artifact(&artifact.image.value)
                        .with_help("match the process name instead of the command line (drop `-f`), or write the pattern so it does not match itself (e.g. `[u]vicorn`)"),
                );
            }
        }
    }
}

/// The `-f` pattern when, as an extended regex, it matches the hook's own command line.
fn self_matching_pattern<'s>(send: &'s SignalSend, own: &str) -> Option<&'s HookWord> {
    send.full.as_ref()?;
    let pattern = send.targets.first()?;
    if send.targets.len() != 1 || pattern.text.contains('\\') {
        return None;
    }
    let regex = regex::Regex::new(&pattern.text).ok()?;
    let matched = if send.exact {
        regex
            .find(own)
            .is_some_and(|m| m.start() == 0 && m.end() == own.len())
    } else {
        regex.is_match(own)
    };
    matched.then_some(pattern)
}
