//! RELOAD002 reload-misses-dest: uvicorn reloads, but not on the synced files: the sync
//! destination is outside every `--reload-dir` (default: the working directory), or the synced
//! files are not `*.py` and not in `--reload-include`.

use super::{is_under, pattern_may_match, rule_destination};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::hook::{runtime, server_name};
use crate::rules::{Check, FixAvailability, Rule};
use crate::server::{ReloadMode, ServerKind};
use crate::skaffold::model::SyncMode;

pub static RULE: Rule = Rule {
    code: "RELOAD002",
    name: "reload-misses-dest",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "The server reloads, but does not watch where (or what) sync writes.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/RELOAD002.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let SyncMode::Manual(rules) = &sync.mode else {
            continue;
        };
        let Some(rt) = runtime(pipeline, artifact, view) else {
            continue;
        };
        let workdir = rt.built.workdir();
        let mut reported = Vec::new();
        for process in &rt.processes {
            let Some(server) = &process.server else {
                continue;
            };
            if server.kind != ServerKind::Uvicorn || !matches!(server.reload, ReloadMode::On { .. })
            {
                continue;
            }
            let name = server_name(server);
            let dirs: Vec<String> = if server.reload_dirs.is_empty() {
                vec![process.workdir.clone()]
            } else {
                server
                    .reload_dirs
                    .iter()
                    .map(|d| crate::rules::sync::absolute(&process.workdir, d))
                    .collect()
            };
            let watched = if server.reload_dirs.is_empty() {
                format!("its working directory `{}`", process.workdir)
            } else {
                format!(
                    "`--reload-dir` {}",
                    dirs.iter()
                        .map(|d| format!("`{d}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            for rule in rules {
                let Some(dest) = rule_destination(rule, workdir.as_deref()) else {
                    continue;
                };
                // A watched dir below the destination watches part of it: not certain.
                let outside = dirs
                    .iter()
                    .all(|d| !is_under(&dest, d) && !is_under(d, &dest));
                if outside && !reported.contains(&rule.dest.origin) {
                    reported.push(rule.dest.origin);
                    out.push(
                        pipeline
                            .at(&RULE, rule.dest.origin, format!(
                                "sync writes to `{dest}`, but {name} watches only {watched}: the synced files are copied and never trigger a reload"
                            ))
                            .with_artifact(&artifact.image.value)
                            .with_help(format!("add `--reload-dir {dest}` to the server command")),
                    );
                    continue;
                }
                let includes_cover = |ext: &str| {
                    server.reload_includes.iter().any(|p| {
                        crate::rules::sync::sync_glob(p)
                            .is_some_and(|g| g.is_match(format!("x.{ext}")))
                    })
                };
                let Some(ext) = literal_extension(&rule.src.value) else {
                    continue;
                };
                if ext == "py"
                    || pattern_may_match(&rule.src.value, &["py"])
                    || includes_cover(&ext)
                {
                    continue;
                }
                if !reported.contains(&rule.src.origin) {
                    reported.push(rule.src.origin);
                    out.push(
                        pipeline
                            .at(&RULE, rule.src.origin, format!(
                                "the synced `*.{ext}` files do not trigger a reload: {name} watches only `*.py` files unless `--reload-include` names others"
                            ))
                            .with_artifact(&artifact.image.value)
                            .with_help(format!("add `--reload-include '*.{ext}'` to the server command (needs the watchfiles package)")),
                    );
                }
            }
        }
    }
}

/// The extension a pattern's last component pins (`templates/*.html` -> `html`).
fn literal_extension(pattern: &str) -> Option<String> {
    let last = pattern.rsplit('/').next()?;
    let (_, ext) = last.rsplit_once('.')?;
    (!ext.is_empty() && !ext.contains(['*', '?', '[', '{'])).then(|| ext.to_ascii_lowercase())
}
