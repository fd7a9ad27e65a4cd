//! PROC001 shell-form-cmd: a shell-form CMD/ENTRYPOINT that the container runs as
//! `/bin/sh -c "..."` on an image whose `/bin/sh` is dash, which stays PID 1: it forwards no
//! signals and ignores SIGTERM, so every stop waits for the grace period.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::dockerfile::Command;
use crate::project::runtime::CommandSource;
use crate::project::Pipeline;
use crate::rules::hook::{image_runtime, short};
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "PROC001",
    name: "shell-form-cmd",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes(Applicability::Safe),
    summary:
        "A shell-form CMD/ENTRYPOINT leaves /bin/sh (dash) as PID 1: signals are not forwarded.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/PROC001.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        // Manifests that could not be seen may replace the command: no guess.
        if view.containers.is_empty() && !pipeline.model.unanalysed.is_empty() {
            continue;
        }
        let Some(rt) = image_runtime(pipeline, artifact, view) else {
            continue;
        };
        let sh = rt.built.facts.and_then(|f| f.shell);
        let mut reported = Vec::new();
        for process in &rt.processes {
            let Some(shell) = process.pid1_shell(sh) else {
                continue;
            };
            // The shell is PID 1 only when the shell form is what starts the argv.
            let Some((CommandSource::Dockerfile { instruction }, 0)) = process.source_of(0) else {
                continue;
            };
            if reported.contains(instruction) {
                continue;
            }
            reported.push(*instruction);
            let Some(ins) = rt.built.dockerfile.instructions.get(*instruction) else {
                continue;
            };
            let Some(Command::Shell { text, span }) = ins.command() else {
                continue;
            };
            let image = rt.built.base_image.as_deref().unwrap_or("the base image");
            let mut d = pipeline
                .at(&RULE, crate::skaffold::tree::Origin { file: rt.built.dockerfile_file, span: *span, key_span: None }, format!(
                    "shell-form {} runs as `{shell} -c \"{}\"`; on `{image}` `/bin/sh` is dash, which does not exec the command and stays PID 1 with no signal handlers: SIGTERM at shutdown is ignored (the pod waits out its grace period, then is killed) and no signal reaches the program",
                    ins.keyword.to_ascii_uppercase(),
                    short(text)
                ))
                .with_artifact(&artifact.image.value)
                .with_help("use the exec form (a JSON array), so the program itself is PID 1");
            if let Some(argv) = crate::server::exec_form(text) {
                let list = format!(
                    "[{}]",
                    argv.iter()
                        .map(|a| serde_json::to_string(a).unwrap_or_default())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                d = d.with_fix(Fix {
                    applicability: Applicability::Safe,
                    message: format!("use the exec form `{list}`"),
                    edits: vec![Edit {
                        path: pipeline.path(rt.built.dockerfile_file),
                        start: span.start,
                        end: span.end,
                        content: list,
                    }],
                });
            }
            out.push(d);
        }
    }
}
