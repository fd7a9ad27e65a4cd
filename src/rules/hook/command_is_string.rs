//! HOOK006 command-is-string: a hook `command` written as one string; Skaffold requires an argv
//! list, so the config does not load. Also a list whose program is a whole command line
//! (`command: ["kill -HUP 1"]`): the list is exec'ed word for word, so the program named
//! `kill -HUP 1` is not found.

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
            if let HookCommand::Argv { args, origin } = &hook.command {
                if let Some(d) = program_is_command_line(pipeline, args, *origin) {
                    out.push(d.with_artifact(&artifact.image.value));
                }
                continue;
            }
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

/// HOOK006 for an argv list whose first item holds spaces. Skaffold appends the list as it is
/// to `kubectl exec <pod> -c <container> --` for a container hook
/// (`pkg/skaffold/hooks/container.go`) and runs `exec.Command(command[0], command[1:]...)` for a
/// host hook (`pkg/skaffold/hooks/host.go`): no shell splits the item, so the program looked up
/// is the whole line.
fn program_is_command_line(
    pipeline: &Pipeline,
    args: &[crate::skaffold::model::Spanned<String>],
    list: crate::skaffold::tree::Origin,
) -> Option<Diagnostic> {
    let program = args.first()?;
    if !program.value.trim().contains(char::is_whitespace) {
        return None;
    }
    let mut argv = argv_for(program.value.trim());
    argv.extend(args[1..].iter().map(|a| a.value.clone()));
    let words = argv
        .iter()
        .map(|a| serde_json::to_string(a).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(", ");
    let source = pipeline.source(program.origin.file);
    let mut d = pipeline
        .at(&RULE, program.origin, format!(
            "hook `command` runs a program named {:?}: Skaffold passes each list item as one argv word, with no shell to split it, so the hook fails (\"executable file not found\")",
            program.value
        ))
        .with_help(format!("give each word its own item: `command: [{words}]`"));
    // Only a flow list can take the extra items in place of the first.
    if source.text.as_bytes().get(list.span.start) == Some(&b'[') {
        d = d.with_fix(Fix {
            applicability: Applicability::Safe,
            message: format!("split the command into the list [{words}]"),
            edits: vec![Edit {
                path: source.path.clone(),
                start: list.span.start,
                end: list.span.end,
                content: format!("[{words}]"),
            }],
        });
    }
    Some(d)
}

/// Plain words become the argv; anything needing a shell runs under `sh -c`.
fn argv_for(command: &str) -> Vec<String> {
    crate::server::exec_form(command)
        .unwrap_or_else(|| vec!["sh".into(), "-c".into(), command.to_string()])
}
