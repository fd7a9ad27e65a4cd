//! HOOK001 signal-not-handled: a container sync hook signals PID 1 (`kill 1`, `kill -HUP 1`)
//! but PID 1 has no handler for that signal, so the kernel drops it and the hook does nothing.

use super::{describe_pid1, hooked, kills_pid1, pid1_outcome, short, signal_name, Hooked};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::server::SignalOutcome;

pub static RULE: Rule = Rule {
    code: "HOOK001",
    name: "signal-not-handled",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary:
        "A sync hook signals PID 1, which has no handler for that signal: the signal is dropped.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/HOOK001.md"),
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
            for (send, span) in kills_pid1(hook) {
                let Some(sig) = send.signal else { continue };
                // Every container running the image gets the hook; report when all agree.
                let described: Option<Vec<String>> = rt
                    .processes
                    .iter()
                    .map(|p| {
                        (pid1_outcome(p, sig, sh) == Some(SignalOutcome::Ignored))
                            .then(|| describe_pid1(p, sh))
                            .flatten()
                    })
                    .collect();
                let Some(mut described) = described else {
                    continue;
                };
                described.dedup();
                let Some(pid1) = described.first().filter(|_| described.len() == 1) else {
                    continue;
                };
                let mut d = pipeline
                        .at(&RULE, crate::skaffold::tree::Origin { span, ..hook.hook.origin }, format!(
                            "`{}` sends {} to PID 1, which is {pid1} with no handler for it: the kernel drops signals to a namespace's init that it does not handle, so the hook does nothing; had it ended PID 1, the container restart would discard every synced file",
                            short(pipeline.source(hook.file).slice(span)),
                            signal_name(sig)
                        ))
                        .with_artifact(&artifact.image.value)
                        .with_help("reload the code inside the container instead: run the server with its reload flag (e.g. `uvicorn --reload`) and drop the hook");
                if let Some(fix) = super::remove_hook_fix(pipeline, hook.hook, "it does nothing") {
                    d = d.with_fix(fix);
                }
                out.push(d);
            }
        }
    }
}
