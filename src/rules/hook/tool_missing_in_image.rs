//! HOOK003 tool-missing-in-image: a container sync hook runs `pkill`, `pgrep`, `killall` or `ps`
//! in an image that does not have it, so the hook fails with "not found" and the sync fails.

use super::{basename, hooked, Hooked};
use crate::diagnostic::{Diagnostic, Severity};
use crate::image::ShellKind;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::tree::Origin;

pub static RULE: Rule = Rule {
    code: "HOOK003",
    name: "tool-missing-in-image",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A container sync hook runs pkill/pgrep/killall/ps, which the image does not have.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/HOOK003.md"),
};

const TOOLS: &[(&str, &str)] = &[
    ("pkill", "procps"),
    ("pgrep", "procps"),
    ("ps", "procps"),
    ("killall", "psmisc"),
];

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for Hooked {
        artifact,
        hooks,
        rt,
    } in hooked(pipeline, false)
    {
        let Some(image) = rt.built.base_image.clone() else {
            continue;
        };
        for hook in &hooks {
            // Without the shell itself the hook fails earlier (HOOK007).
            if let Some(shell) = &hook.shell {
                let program = basename(&shell.program.text);
                if rt.built.tool(program) == Some(false) {
                    continue;
                }
            }
            let last = hook.commands.len().saturating_sub(1);
            for (k, command) in hook.commands.iter().enumerate() {
                let Some(first) = command.first() else {
                    continue;
                };
                let name = basename(&first.text);
                // Outside a shell, `kill` is the procps binary (a builtin only inside `sh -c`).
                let (tool, package, probe) = if name == "kill" && hook.shell.is_none() {
                    ("kill", "procps", "pkill")
                } else {
                    match TOOLS.iter().find(|(t, _)| *t == name) {
                        Some((t, p)) => (*t, *p, *t),
                        None => continue,
                    }
                };
                if rt.built.tool(probe) != Some(false) {
                    continue;
                }
                out.push(
                    pipeline
                        .at(&RULE, Origin { span: first.span, ..hook.hook.origin }, format!(
                            "`{tool}` is not in the built image (`{image}` has no {package}): the hook runs through `kubectl exec` in the container, where `{tool}` fails with \"not found\"{}",
                            // Only the last command of a plain list decides the hook's exit status.
                            if k == last && hook.plain_list { ", which fails the hook and the sync" } else { ", so it does nothing" }
                        ))
                        .with_artifact(&artifact.image.value)
                        .with_help(if rt.built.facts.and_then(|f| f.shell) == Some(ShellKind::Dash) {
                            format!("install it (`RUN apt-get update && apt-get install -y --no-install-recommends {package}`), or let the server reload by itself and drop the hook")
                        } else {
                            "let the server reload by itself (e.g. `--reload`) and drop the hook".to_string()
                        }),
                );
            }
        }
    }
}
