//! DF003 program-not-in-image: the program the container starts is in no layer of the built
//! image. Reported only when that is provable: the base image's programs are known (see
//! `image::contents`), no RUN of the built stage could have installed anything, and no COPY or
//! ADD could have put a file of that name on the PATH. The typical case is a multi-stage
//! Python build that copies only site-packages from the builder, leaving the console scripts
//! pip wrote into the builder's `/usr/local/bin` behind.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::dockerfile::owners::{run_texts, stage_chain_instructions};
use crate::dockerfile::{Args, Command, Dockerfile};
use crate::project::runtime::{BuiltImage, CommandSource, Process};
use crate::project::Pipeline;
use crate::rules::hook::image_runtime;
use crate::rules::sync::{absolute, Watched};
use crate::rules::{Check, FixAvailability, Rule};
use crate::server::ArgPos;

pub static RULE: Rule = Rule {
    code: "DF003",
    name: "program-not-in-image",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary: "The program the container starts is in no layer of the image: it cannot start.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/DF003.md"),
};

/// The default PATH of the Debian-based official images (docker-library `ENV PATH`, Docker's
/// default otherwise).
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Python console scripts whose package also runs as `python -m <module>` (each package
/// ships a `__main__` module).
const RUNNABLE_MODULES: &[(&str, &str)] = &[
    ("uvicorn", "uvicorn"),
    ("gunicorn", "gunicorn"),
    ("hypercorn", "hypercorn"),
    ("flask", "flask"),
    ("fastapi", "fastapi"),
    ("celery", "celery"),
    ("pytest", "pytest"),
];

/// Commands a RUN may run without being able to add a program to the PATH.
const HARMLESS: &[&str] = &[
    "useradd", "adduser", "groupadd", "addgroup", "usermod", "mkdir", "chown", "chmod", "rm",
    "echo", "true", "set", "cd",
];

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(rt) = image_runtime(pipeline, artifact, view) else {
            continue;
        };
        let built = &rt.built;
        let Some(base) = built.base_image.as_deref() else {
            continue;
        };
        let df = built.dockerfile;
        let Some(instructions) = stage_chain_instructions(df, built.stage.index) else {
            continue;
        };
        let mut reported: Vec<String> = Vec::new();
        for process in &rt.processes {
            let Some((program, pos)) = program_of(process) else {
                continue;
            };
            if reported.contains(&program) {
                continue;
            }
            if crate::image::contents::base_has_program(base, &program) != Some(false) {
                continue;
            }
            let path = match built.env().get("PATH") {
                Some(p) => p.clone(),
                None if !declares_path(df, built) => DEFAULT_PATH.into(),
                // Set to something skafix cannot know (`$PATH` of the base).
                None => continue,
            };
            let dirs: Vec<&str> = path.split(':').filter(|d| d.starts_with('/')).collect();
            let Some(watched) = Watched::of(view, df, &built.build_args) else {
                continue;
            };
            if !provably_absent(df, built, &instructions, &watched, &dirs, &program) {
                continue;
            }
            let Some(at) = process.locate(pipeline, built, pos) else {
                continue;
            };
            // Only where another stage could have made the program and it was left there: the
            // mistake this rule is about (a stage that installs or builds, not copied whole).
            let Some(builder) = other_stage_running(df, built.stage.index) else {
                continue;
            };
            reported.push(program.clone());
            let left_behind = if builder.1 {
                format!(" (`pip install` in stage `{}` wrote it into that stage's own bin directory, which this image does not copy)", builder.0)
            } else {
                format!(
                    " (whatever stage `{}` builds stays there unless it is copied)",
                    builder.0
                )
            };
            let mut d = RULE
                .diagnostic(
                    pipeline.path(at.file),
                    at.span,
                    format!(
                        "`{program}` is in no layer of the image: `{base}` does not have it and nothing this Dockerfile runs or copies puts it on the PATH{left_behind}; the container cannot start (\"exec: \\\"{program}\\\": executable file not found in $PATH\")"
                    ),
                )
                .with_artifact(&artifact.image.value)
                .with_help(format!(
                    "copy the program from the stage that installed it, or run it through a program the image has (for a Python package: `python -m {program}`)"
                ));
            if let Some(fix) = module_fix(pipeline, built, process, &program, &instructions) {
                d = d.with_fix(fix);
            }
            out.push(d);
        }
    }
}

/// The program the container execs, and where its name is written: `argv[0]`, or the first
/// word of a plain `sh -c` script.
fn program_of(process: &Process) -> Option<(String, ArgPos)> {
    let first = process.argv.first()?;
    let is_shell = matches!(first.as_str(), "/bin/sh" | "sh" | "/bin/bash" | "bash");
    if is_shell && process.argv.get(1).map(String::as_str) == Some("-c") {
        let script = process.argv.get(2)?;
        let words = crate::server::exec_form(script)?;
        let program = words.first()?.clone();
        let start = script.find(program.as_str())?;
        if script[..start].trim() != "" && script[..start].trim() != "exec" {
            return None;
        }
        let pos = ArgPos::Script {
            script_index: 2,
            start,
            end: start + program.len(),
        };
        return (!program.contains('/')).then_some((program, pos));
    }
    (!first.contains('/') && !first.is_empty()).then(|| (first.clone(), ArgPos::Argv { index: 0 }))
}

/// Whether the Dockerfile sets PATH anywhere in the built stage's chain (then an unknown value
/// means the program may be anywhere).
fn declares_path(df: &Dockerfile, built: &BuiltImage) -> bool {
    stage_chain_instructions(df, built.stage.index).is_none_or(|chain| {
        chain.iter().any(|i| match &i.args {
            Args::Env(pairs) => pairs.iter().any(|kv| kv.key == "PATH"),
            _ => false,
        })
    })
}

/// Nothing in the built stage's chain can have put `program` into one of `dirs`.
fn provably_absent(
    df: &Dockerfile,
    built: &BuiltImage,
    instructions: &[&crate::dockerfile::Instruction],
    watched: &Watched,
    dirs: &[&str],
    program: &str,
) -> bool {
    let targets: Vec<String> = dirs
        .iter()
        .map(|d| format!("{}/{program}", d.trim_end_matches('/')))
        .collect();
    for ins in instructions {
        match &ins.args {
            Args::Run { .. } if !run_is_harmless(ins) => return false,
            Args::Copy(c) | Args::Add(c) => {
                let context_copies: Vec<_> = watched
                    .copies
                    .iter()
                    .filter(|cc| cc.instruction == ins.index)
                    .collect();
                let from_context = ins.flag("from").is_none()
                    && c.heredocs.is_empty()
                    && !c.sources.iter().any(|s| s.value.contains("://"));
                if from_context && !context_copies.is_empty() {
                    // Exactly the files it copies are known.
                    let lands = context_copies.iter().any(|cc| {
                        watched
                            .files
                            .iter()
                            .any(|f| cc.target(f).is_some_and(|t| targets.contains(&t)))
                    });
                    if lands || context_copies.iter().any(|cc| cc.unpacked) {
                        return false;
                    }
                    continue;
                }
                // From another stage, a URL or a heredoc: only where it writes is known.
                let Some(state) = df.state_at(ins.index, Some(&built.build_args)) else {
                    return false;
                };
                let Some(dest) = state.expand(&c.dest.value).known().map(str::to_string) else {
                    return false;
                };
                let Some(workdir) = state.workdir.value.clone() else {
                    return false;
                };
                let dest = absolute(&workdir, &dest);
                let covers =
                    |d: &str| dest == "/" || d == dest || d.starts_with(&format!("{dest}/"));
                if dirs.iter().any(|d| covers(d)) || targets.contains(&dest) {
                    return false;
                }
            }
            Args::Onbuild(_) => return false,
            _ => {}
        }
    }
    true
}

/// A RUN whose every command is one that cannot add a program (`useradd`, `mkdir`, ...).
fn run_is_harmless(ins: &crate::dockerfile::Instruction) -> bool {
    let Args::Run { command, heredocs } = &ins.args else {
        return true;
    };
    if !heredocs.is_empty() || ins.flag("mount").is_some() {
        return false;
    }
    let text = match command {
        Command::Shell { text, .. } => text.clone(),
        Command::Exec { .. } => run_texts(ins).join(" "),
    };
    if text.contains(['`', '$', '>', '|', '(']) {
        return false;
    }
    text.split(['&', ';'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .all(|part| {
            let first = part.split_whitespace().next().unwrap_or("");
            HARMLESS.contains(&first)
        })
}

/// Another stage (not in the built chain) that runs commands, by name, and whether it runs
/// `pip install`; the one that installs is preferred.
fn other_stage_running(df: &Dockerfile, built: usize) -> Option<(String, bool)> {
    let chain = stage_chain_instructions(df, built)?;
    // A set, not a scan of the chain per instruction: a long Dockerfile would be quadratic.
    let chain: std::collections::HashSet<usize> = chain.iter().map(|c| c.index).collect();
    let in_chain = |i: usize| chain.contains(&i);
    let mut found: Option<(String, bool)> = None;
    for s in &df.stages {
        let body = &df.instructions[s.instructions.clone()];
        let runs: Vec<_> = body
            .iter()
            .filter(|i| !in_chain(i.index) && matches!(i.args, Args::Run { .. }))
            .collect();
        if runs.is_empty() || s.index == built {
            continue;
        }
        let pip = runs.iter().any(|i| {
            run_texts(i)
                .iter()
                .any(|t| t.contains("pip install") || t.contains("pip3 install"))
        });
        if pip {
            return Some((s.reference(), true));
        }
        found.get_or_insert((s.reference(), false));
    }
    found
}

/// `python -m <module>` in place of a console script, when the image gets the package: a COPY
/// of a site-packages directory from another stage into the built stage.
fn module_fix(
    pipeline: &Pipeline,
    built: &BuiltImage,
    process: &Process,
    program: &str,
    instructions: &[&crate::dockerfile::Instruction],
) -> Option<Fix> {
    let module = RUNNABLE_MODULES
        .iter()
        .find(|(script, _)| *script == program)
        .map(|(_, m)| *m)?;
    let has_packages = instructions.iter().any(|i| {
        i.flag("from").is_some()
            && i.copy_args().is_some_and(|c| {
                c.dest.value.contains("site-packages") || c.dest.value.contains("dist-packages")
            })
    });
    let python_in_base = built
        .base_image
        .as_deref()
        .and_then(|b| crate::image::contents::base_has_program(b, "python"));
    if !has_packages || python_in_base != Some(true) {
        return None;
    }
    // Only where the program's name is written in the Dockerfile (a manifest override keeps
    // its own text).
    let source = match process.source_of(0)? {
        (CommandSource::Dockerfile { instruction }, _) => *instruction,
        _ => return None,
    };
    let ins = &built.dockerfile.instructions[source];
    let path = pipeline.source(built.dockerfile_file).path.clone();
    let text = &pipeline.source(built.dockerfile_file).text;
    let (span, content) = match ins.command()? {
        Command::Exec { argv, .. } => {
            let word = argv.first()?;
            // The quoted item as written: `"uvicorn"` becomes `"python", "-m", "uvicorn"`.
            if text.get(word.span.start.checked_sub(1)?..word.span.start)? != "\""
                || text.get(word.span.end..word.span.end + 1)? != "\""
                || text.get(word.span.start..word.span.end)? != program
            {
                return None;
            }
            (
                crate::source::Span::new(word.span.start, word.span.end),
                format!("python\", \"-m\", \"{module}"),
            )
        }
        Command::Shell { span, .. } => {
            let raw = text.get(span.start..span.end)?;
            let offset = raw.len() - raw.trim_start().len();
            if !raw[offset..].starts_with(program) {
                return None;
            }
            let start = span.start + offset;
            (
                crate::source::Span::new(start, start + program.len()),
                format!("python -m {module}"),
            )
        }
    };
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: format!("run it as `python -m {module}` (the copied packages hold the module)"),
        edits: vec![Edit {
            path,
            start: span.start,
            end: span.end,
            content,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::run_is_harmless;

    fn harmless(run: &str) -> bool {
        let df = crate::dockerfile::parse(&format!("FROM x\n{run}\n")).unwrap();
        run_is_harmless(&df.instructions[1])
    }

    #[test]
    fn only_runs_that_cannot_install_are_harmless() {
        assert!(harmless("RUN useradd --create-home app && mkdir -p /data"));
        assert!(harmless("RUN [\"useradd\", \"app\"]"));
        assert!(!harmless("RUN pip install uvicorn"));
        assert!(!harmless("RUN apt-get update && apt-get install -y curl"));
        assert!(!harmless(
            "RUN useradd app && curl -o /usr/local/bin/x https://x"
        ));
        assert!(!harmless("RUN echo x > /usr/local/bin/uvicorn"));
        assert!(!harmless(
            "RUN --mount=type=bind,from=builder,target=/b useradd app"
        ));
    }
}
