//! CACHE002 build-arg-not-declared: a `docker.buildArgs` key that no `ARG` of the stages the
//! build runs declares. Docker ignores such an arg ("One or more build-args were not
//! consumed"), so it changes nothing in the image, although it still changes Skaffold's cache
//! key. The classic case is a `CACHEBUST` arg meant to force a rebuild.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::dockerfile::{Args, Dockerfile};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use std::collections::HashMap;

pub static RULE: Rule = Rule {
    code: "CACHE002",
    name: "build-arg-not-declared",
    severity: Severity::Warning,
    fix: FixAvailability::Always(Applicability::Unsafe),
    summary: "A build arg that no ARG of the built stages declares: Docker ignores it.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/CACHE002.md"),
};

/// Args Docker accepts without an ARG (proxy settings, buildkit switches, platform args).
fn predefined(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "FTP_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "SOURCE_DATE_EPOCH",
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
    ];
    NAMES.contains(&name.to_ascii_uppercase().as_str()) || name.starts_with("BUILDKIT_")
}

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        if built.docker.build_args.is_empty() {
            continue;
        }
        let df = built.dockerfile;
        let stages = build_set(df, built.stage.index, &built.build_args);
        let from_texts: Vec<&str> = df
            .stages
            .iter()
            .filter(|s| stages[s.index])
            .map(|s| s.base.value.as_str())
            .chain(
                df.global_args
                    .iter()
                    .filter_map(|a| a.default.as_ref().map(|d| d.value.as_str())),
            )
            .collect();
        for arg in &built.docker.build_args {
            let name = arg.name.as_str();
            if predefined(name) {
                continue;
            }
            let in_stage = df.instructions.iter().any(|i| {
                i.stage.is_some_and(|s| stages[s])
                    && matches!(&i.args, Args::Arg(decls) if decls.iter().any(|d| d.name == name))
            });
            let global_used = df.global_args.iter().any(|d| d.name == name)
                && from_texts
                    .iter()
                    .any(|t| t.contains(&format!("${name}")) || t.contains(&format!("${{{name}")));
            if in_stage || global_used {
                continue;
            }
            let stage = crate::rules::sync::stage_label(built.stage);
            let in_other_stage = df.instructions.iter().any(|i| {
                i.stage.is_some()
                    && matches!(&i.args, Args::Arg(decls) if decls.iter().any(|d| d.name == name))
            });
            let global = df.global_args.iter().any(|d| d.name == name);
            let where_ = match (in_other_stage, global) {
                (true, _) => format!("only in stages that building {stage} does not run"),
                (false, true) => format!("only before the first FROM, and no FROM uses it nor does {stage} re-declare it"),
                (false, false) => "nowhere in the Dockerfile".to_string(),
            };
            let from = &df.instructions[built.stage.from_index()];
            let dockerfile_path = pipeline.source(built.dockerfile_file).path.clone();
            out.push(
                pipeline
                    .at(&RULE, arg.key, format!(
                        "build arg `{name}` is declared by `ARG` {where_}; Docker ignores an undeclared build arg, so it has no effect on the {stage} image (it only changes Skaffold's cache key)"
                    ))
                    .with_artifact(&artifact.image.value)
                    .with_related(dockerfile_path.clone(), from.span, "the built stage")
                    .with_help(format!("declare it in the built stage (`ARG {name}` after its FROM) before the instructions it should affect, or remove it"))
                    .with_fix(Fix {
                        applicability: Applicability::Unsafe,
                        message: format!("declare `ARG {name}` right after the FROM of stage {stage}"),
                        edits: vec![Edit {
                            path: dockerfile_path,
                            start: from.span.end,
                            end: from.span.end,
                            content: format!("\nARG {name}"),
                        }],
                    }),
            );
        }
    }
}

/// The stages a build of `target` runs (buildkit builds only what the target depends on): the
/// target, its `FROM` parents, and the stages named by `COPY --from` / `RUN --mount from=`.
/// All stages when a reference cannot be resolved.
pub(crate) fn build_set(
    df: &Dockerfile,
    target: usize,
    build_args: &HashMap<String, String>,
) -> Vec<bool> {
    let all = vec![true; df.stages.len()];
    let mut set = vec![false; df.stages.len()];
    let mut todo = vec![target];
    while let Some(s) = todo.pop() {
        if set[s] {
            continue;
        }
        set[s] = true;
        let stage = &df.stages[s];
        let Some(base) = df.base_with_build_args(s, Some(build_args)) else {
            return all;
        };
        let Some(base) = base.known() else { return all };
        if let Some(parent) = df.stage_by_name_or_index(base).filter(|p| p.index < s) {
            todo.push(parent.index);
        }
        for ins in &df.instructions[stage.instructions.clone()] {
            let mut refs: Vec<String> = ins
                .flag("from")
                .and_then(|f| f.value.clone())
                .into_iter()
                .collect();
            for mount in ins.flags.iter().filter(|f| f.name == "mount") {
                let value = mount.value.as_deref().unwrap_or("");
                refs.extend(
                    value
                        .split(',')
                        .filter_map(|kv| kv.strip_prefix("from="))
                        .map(str::to_string),
                );
            }
            for r in refs {
                let Some(state) = df.state_at(ins.index, Some(build_args)) else {
                    return all;
                };
                let expanded = state.expand(&r);
                let Some(name) = expanded.known() else {
                    return all;
                };
                if let Some(dep) = df.stage_by_name_or_index(name) {
                    todo.push(dep.index);
                }
            }
        }
    }
    set
}
