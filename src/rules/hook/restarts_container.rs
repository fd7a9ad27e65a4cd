//! HOOK002 hook-restarts-container: a container sync hook whose signal makes PID 1 exit. The
//! kubelet then restarts the container from the image, which discards every synced file.

use super::{describe_pid1, hooked, kills_pid1, pid1_outcome, short, signal_name, Hooked};
use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::server::SignalOutcome;
use crate::skaffold::tree::Origin;

pub static RULE: Rule = Rule {
    code: "HOOK002",
    name: "hook-restarts-container",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary: "A sync hook makes PID 1 exit: the container restarts from the image and the synced files are lost.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/HOOK002.md"),
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
                let described: Option<Vec<String>> = rt
                    .processes
                    .iter()
                    .map(|p| {
                        (pid1_outcome(p, sig, sh) == Some(SignalOutcome::Terminates))
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
                        .at(&RULE, Origin { span, ..hook.hook.origin }, format!(
                            "`{}` sends {} to PID 1 ({pid1}), which exits on it: the kubelet restarts the container from the image with a clean filesystem, so every file Skaffold synced is discarded, and Skaffold does not sync them again",
                            short(pipeline.source(hook.file).slice(span)),
                            signal_name(sig)
                        ))
                        .with_artifact(&artifact.image.value)
                        .with_help("let the server reload the synced code itself (e.g. `uvicorn --reload`, `gunicorn --reload`) instead of restarting the container");
                if let Some(fix) = super::remove_hook_fix(pipeline, hook.hook, "it undoes the sync")
                {
                    d = d.with_fix(fix);
                }
                out.push(d);
            }
        }
    }
}
