//! RELOAD002 reload-misses-dest: uvicorn reloads, but not on the synced files: the sync
//! destination is outside every `--reload-dir` (default: the working directory), or the synced
//! files are not `*.py` and not in `--reload-include`. Flask (Werkzeug) reloads, but the synced
//! files are neither Python modules, `--extra-files`, templates nor static files.

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
            if server.kind == ServerKind::Flask && matches!(server.reload, ReloadMode::On { .. }) {
                flask_misses(pipeline, artifact, rules, server, &mut reported, out);
                continue;
            }
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

/// Flask's reloader is Werkzeug's: the stat reloader looks only at `.py`/`.pyc` files of
/// the loaded modules and `sys.path`, the watchdog one at `*.py`, `*.pyc`, `*.zip` (werkzeug
/// `_reloader.py`, `_find_stat_paths` and `WatchdogReloaderLoop`), both plus `--extra-files`.
/// Templates need no restart in debug mode (Flask's `TEMPLATES_AUTO_RELOAD` follows `debug`)
/// and static files are read on each request, so only other synced files are reported.
fn flask_misses(
    pipeline: &Pipeline,
    artifact: &crate::skaffold::model::Artifact,
    rules: &[crate::skaffold::model::SyncRule],
    server: &crate::server::ServerCommand,
    reported: &mut Vec<crate::skaffold::tree::Origin>,
    out: &mut Vec<Diagnostic>,
) {
    for rule in rules {
        let Some(ext) = literal_extension(&rule.src.value) else {
            continue;
        };
        let served_live = rule
            .src
            .value
            .split('/')
            .any(|c| c == "templates" || c == "static");
        let extra = server.extra_files.iter().any(|f| {
            f.ends_with(&format!(".{ext}"))
                || crate::rules::sync::sync_glob(f).is_some_and(|g| g.is_match(format!("x.{ext}")))
        });
        if matches!(ext.as_str(), "py" | "pyc" | "zip")
            || pattern_may_match(&rule.src.value, &["py"])
            || served_live
            || extra
            || reported.contains(&rule.src.origin)
        {
            continue;
        }
        reported.push(rule.src.origin);
        out.push(
            pipeline
                .at(&RULE, rule.src.origin, format!(
                    "the synced `*.{ext}` files do not trigger a reload: Flask's reloader (Werkzeug) watches only Python modules and `--extra-files`; only templates and static files are read again without a restart"
                ))
                .with_artifact(&artifact.image.value)
                .with_help("list the files in `flask run --extra-files` (or `FLASK_RUN_EXTRA_FILES`), or read them on each request"),
        );
    }
}

/// The extension a pattern's last component pins (`templates/*.html` -> `html`).
fn literal_extension(pattern: &str) -> Option<String> {
    let last = pattern.rsplit('/').next()?;
    let (_, ext) = last.rsplit_once('.')?;
    (!ext.is_empty() && !ext.contains(['*', '?', '[', '{'])).then(|| ext.to_ascii_lowercase())
}
