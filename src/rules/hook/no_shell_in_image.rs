//! HOOK007 no-shell-in-image: a container sync hook runs a shell (`sh -c ...`) in an image that
//! has none (distroless, scratch, chainguard non-dev), so `kubectl exec` fails and so does the
//! sync.

use super::{basename, hooked, Hooked, SHELLS};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::tree::Origin;

pub static RULE: Rule = Rule {
    code: "HOOK007",
    name: "no-shell-in-image",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A container sync hook runs a shell, but the image has no shell.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/HOOK007.md"),
};

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
            let program = match &hook.shell {
                Some(shell) => &shell.program,
                None => match hook.commands.first().and_then(|c| c.first()) {
                    Some(first) => first,
                    None => continue,
                },
            };
            let name = basename(&program.text);
            if !SHELLS.contains(&name) {
                continue;
            }
            let tool = if program.text == "/bin/sh" {
                "/bin/sh"
            } else {
                name
            };
            if rt.built.tool(tool) != Some(false) {
                continue;
            }
            out.push(
                pipeline
                    .at(&RULE, Origin { span: program.span, ..hook.hook.origin }, format!(
                        "the hook runs `{}`, but the built image (`{image}`) has no {}: `kubectl exec` fails with \"executable file not found\" and the sync fails",
                        program.text,
                        if tool == "/bin/sh" { "`/bin/sh`" } else { "shell" }
                    ))
                    .with_artifact(&artifact.image.value)
                    .with_help("run a program the image has directly (an argv without a shell), use the image's debug variant while developing, or drop the hook"),
            );
        }
    }
}
