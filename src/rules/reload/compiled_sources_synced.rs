//! RELOAD006 compiled-sources-synced: a manual sync rule that copies Go sources into a
//! container whose program is a compiled binary and where nothing watches or recompiles them
//! (no air, reflex, CompileDaemon, watchexec, ...). Go compiles ahead of time: the running
//! binary never reads its `.go` files, so the synced change does nothing until a rebuild.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::hook::runtime;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;

pub static RULE: Rule = Rule {
    code: "RELOAD006",
    name: "compiled-sources-synced",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "Go sources are synced into a container that runs a compiled binary and has no watcher to rebuild it.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/RELOAD006.md"),
};

/// Programs that watch sources and rebuild or restart (air, reflex, CompileDaemon, gow,
/// watchexec, entr, modd, nodemon, skaffold's own debug helpers are not among them).
const WATCHERS: &[&str] = &[
    "air",
    "reflex",
    "CompileDaemon",
    "gow",
    "watchexec",
    "entr",
    "modd",
    "nodemon",
    "realize",
    "fresh",
    "gin",
    "wgo",
];

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let SyncMode::Manual(rules) = &sync.mode else {
            continue;
        };
        // A hook may rebuild the program after the copy.
        if !sync.before.is_empty() || !sync.after.is_empty() {
            continue;
        }
        let go_rules: Vec<_> = rules
            .iter()
            .filter(|r| r.src.value.ends_with(".go"))
            .collect();
        if go_rules.is_empty() {
            continue;
        }
        let Some(rt) = runtime(pipeline, artifact, view) else {
            continue;
        };
        if rt.processes.is_empty() || rt.processes.iter().any(|p| p.argv.is_empty()) {
            continue;
        }
        // Any watcher or `go` itself anywhere in the command (a shell script, `go run`)
        // might recompile: only a plain binary is certain.
        let may_rebuild = rt.processes.iter().any(|p| {
            p.argv.iter().any(|word| {
                word.split(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == '|')
                    .map(|w| w.rsplit('/').next().unwrap_or(w))
                    .any(|w| WATCHERS.contains(&w) || w == "go" || w == "dlv")
            }) || p.server.is_some()
        });
        if may_rebuild {
            continue;
        }
        let program = rt.processes[0].argv.join(" ");
        for rule in go_rules {
            out.push(
                pipeline
                    .at(&RULE, rule.src.origin, format!(
                        "sync copies Go sources (`{}`) into `{}`, whose container runs the compiled program `{}`: Go compiles ahead of time and nothing in the container watches or rebuilds the sources, so the synced change never runs until the next image build",
                        rule.src.value,
                        artifact.image.value,
                        crate::rules::hook::short(&program)
                    ))
                    .with_artifact(&artifact.image.value)
                    .with_help("run a watcher that rebuilds on change (for example `air` with a dev target that has the Go toolchain), or drop the rule and let Skaffold rebuild"),
            );
        }
    }
}
