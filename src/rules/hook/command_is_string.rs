//! HOOK006 command-is-string: a hook `command` written as one string; Skaffold requires an argv
//! list, so the config does not load.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::HookCommand;

pub static RULE: Rule = Rule {
    code: "HOOK006",
    name: "command-is-string",
    severity: Severity::Error,
    fix: FixAvailability::Always(Applicability::Safe),
    summary: "A hook `command` is one string; it must be an argv list.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/HOOK006.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for artifact in &pipeline.model.artifacts {
        let Some(sync) = &artifact.sync else { continue };
        for hook in sync.before.iter().chain(&sync.after) {
            let HookCommand::Scalar(command) = &hook.command else {
                continue;
            };
            let argv = argv_for(&command.value);
            let list = format!(
                "[{}]",
                argv.iter()
                    .map(|a| serde_json::to_string(a).unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let source = pipeline.source(command.origin.file);
            out.push(
                pipeline
                    .at(&RULE, command.origin, format!(
                        "hook `command` is the string {}; Skaffold reads `command` as an argv list and fails to load the config (\"cannot unmarshal !!str into []string\")",
                        serde_json::to_string(&command.value).unwrap_or_default()
                    ))
                    .with_artifact(&artifact.image.value)
                    .with_help(format!("write it as a list: `command: {list}`"))
                    .with_fix(Fix {
                        applicability: Applicability::Safe,
                        message: format!("write the command as the list {list}"),
                        edits: vec![Edit {
                            path: source.path.clone(),
                            start: command.origin.span.start,
                            end: command.origin.span.end,
                            content: list,
                        }],
                    }),
            );
        }
    }
}

/// Plain words become the argv; anything needing a shell runs under `sh -c`.
fn argv_for(command: &str) -> Vec<String> {
    crate::server::exec_form(command)
        .unwrap_or_else(|| vec!["sh".into(), "-c".into(), command.to_string()])
}
