//! RELOAD002 reload-misses-dest: uvicorn reloads, but not on the synced files: the sync
//! destination is outside every `--reload-dir` (default: the working directory), or the synced
//! files are not `*.py` and not in `--reload-include`. Flask (Werkzeug) reloads, but the synced
//! files are neither Python modules, `--extra-files`, templates nor static files. air
//! rebuilds, but its `.air.toml` (`include_ext`, `include_dir`, `exclude_dir`) leaves out the
//! synced Go files.

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
            if server.kind == ServerKind::Air {
                let Some(config) = AirConfig::of(pipeline, view, &rt.built, process, server) else {
                    continue;
                };
                for rule in rules {
                    if reported.contains(&rule.src.origin) {
                        continue;
                    }
                    let Some(reason) = config.misses(rule, workdir.as_deref()) else {
                        continue;
                    };
                    reported.push(rule.src.origin);
                    let mut d = pipeline
                        .at(&RULE, rule.src.origin, format!(
                            "the synced Go files never trigger a rebuild: {reason}, so `air` keeps running the binary it built at start"
                        ))
                        .with_artifact(&artifact.image.value)
                        .with_help(config.remedy.clone());
                    if let Some((file, span)) = config.written {
                        d = d.with_related(pipeline.path(file), span, "air's watch settings");
                    }
                    out.push(d);
                }
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

/// What air watches (air-verse/air `runner/config.go`: `defaultConfigBase` sets
/// `include_ext = ["go", "tpl", "tmpl", "html"]`, `exclude_dir = ["assets", "tmp", "vendor",
/// "testdata"]`, no `include_dir`; a list written in the file replaces the default, an empty
/// one keeps it, `sliceTransformer`). The watcher (`runner/engine.go`, `watching`) walks the
/// root and skips hidden directories, the tmp dir, `testdata` and every `exclude_dir` entry
/// (compared with the path relative to the root), and with `include_dir` set only watches
/// directories under one of them (`checkIncludeDir`); a changed file counts only when its
/// extension is in `include_ext` (`isIncludeExt`, `*` for all) or it is an `include_file`.
struct AirConfig {
    /// The root as a container path.
    root: String,
    include_ext: Vec<String>,
    include_dir: Vec<String>,
    exclude_dir: Vec<String>,
    tmp_dir: String,
    /// The `.air.toml` the settings come from, and where its `[build]` table is.
    written: Option<(crate::skaffold::tree::FileId, crate::source::Span)>,
    remedy: String,
}

impl AirConfig {
    /// The settings of the air the process runs; `None` when they cannot be known: a `-c`
    /// file or an `air_wd` that the image does not get from the context, settings given as
    /// `--build.*`/`--root` flags, rules (`[[build.rules]]`), or an unreadable file.
    fn of(
        pipeline: &Pipeline,
        view: &crate::project::ArtifactView,
        built: &crate::project::runtime::BuiltImage,
        process: &crate::project::runtime::Process,
        server: &crate::server::ServerCommand,
    ) -> Option<AirConfig> {
        if server.args[1..].iter().any(|a| {
            a.text.starts_with("--build.")
                || a.text.starts_with("--root")
                || a.text.starts_with("--tmp_dir")
        }) {
            return None;
        }
        let wd = match process.env.get("air_wd") {
            Some(wd) => crate::rules::sync::absolute(&process.workdir, wd),
            None => process.workdir.clone(),
        };
        let candidates: Vec<String> = match &server.config_file {
            Some(path) => vec![crate::rules::sync::absolute(&process.workdir, path)],
            None => vec![
                format!("{}/.air.toml", wd.trim_end_matches('/')),
                format!("{}/.config/air.toml", wd.trim_end_matches('/')),
            ],
        };
        let mut found = None;
        for path in &candidates {
            if let Some(rel) = crate::project::runtime::context_file_at(view, built, path) {
                found = Some(rel);
                break;
            }
        }
        let mut config = AirConfig {
            root: wd.clone(),
            include_ext: vec!["go".into(), "tpl".into(), "tmpl".into(), "html".into()],
            include_dir: Vec::new(),
            exclude_dir: vec!["assets".into(), "tmp".into(), "vendor".into(), "testdata".into()],
            tmp_dir: "tmp".into(),
            written: None,
            remedy: "add the synced directories and `go` to the watch settings in `.air.toml` (`include_dir`, `include_ext`), or take them out of `exclude_dir`".into(),
        };
        let Some(rel) = found else {
            // A `-c` file the context does not provide may come from a volume.
            if server.config_file.is_some() {
                return None;
            }
            config.remedy =
                "write an `.air.toml` whose `[build]` settings watch the synced directories".into();
            return Some(config);
        };
        let file = pipeline.project.read(&view.context_dir.join(&rel)).ok()?;
        let source = pipeline.source(file);
        let table: toml::Table = source.text.parse().ok()?;
        let list = |build: &toml::Table, key: &str| -> Option<Vec<String>> {
            let items = build.get(key)?.as_array()?;
            let out: Vec<String> = items
                .iter()
                .filter_map(|v| {
                    v.as_str()
                        .map(|s| s.trim().trim_end_matches('/').to_string())
                })
                .collect();
            (!out.is_empty()).then_some(out)
        };
        if let Some(root) = table.get("root").and_then(|v| v.as_str()) {
            if !root.is_empty() && !process.env.contains_key("air_wd") {
                config.root = crate::rules::sync::absolute(&wd, root);
            }
        }
        if let Some(tmp) = table
            .get("tmp_dir")
            .and_then(|v| v.as_str())
            .filter(|t| !t.is_empty())
        {
            config.tmp_dir = tmp.trim_end_matches('/').to_string();
        }
        if let Some(build) = table.get("build").and_then(|v| v.as_table()) {
            if build.contains_key("rules") || list(build, "include_file").is_some() {
                return None;
            }
            if let Some(v) = list(build, "include_ext") {
                config.include_ext = v
                    .iter()
                    .map(|e| e.trim_start_matches('.').to_string())
                    .collect();
            }
            if let Some(v) = list(build, "include_dir") {
                config.include_dir = v;
            }
            if let Some(v) = list(build, "exclude_dir") {
                config.exclude_dir = v;
            }
            let at = source.text.find("[build]").unwrap_or(0);
            config.written = Some((
                file,
                crate::source::Span::new(at, at + "[build]".len().min(source.text.len() - at)),
            ));
        }
        Some(config)
    }

    /// Why the files of a `.go` sync rule never reach air's watcher; `None` when they do, or
    /// when the rule may sync other files too.
    fn misses(
        &self,
        rule: &crate::skaffold::model::SyncRule,
        workdir: Option<&str>,
    ) -> Option<String> {
        if literal_extension(&rule.src.value).as_deref() != Some("go") {
            return None;
        }
        if !self.include_ext.iter().any(|e| e == "go" || e == "*") {
            return Some(format!(
                "air rebuilds only on {} files (`include_ext`)",
                self.include_ext
                    .iter()
                    .map(|e| format!("`.{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let dest = rule_destination(rule, workdir)?;
        let root = self.root.trim_end_matches('/');
        if !is_under(&dest, root) {
            return Some(format!(
                "sync writes to `{dest}`, outside air's root `{root}`"
            ));
        }
        let rel = dest[root.len()..].trim_start_matches('/');
        let dirs: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
        for n in 1..=dirs.len() {
            let prefix = dirs[..n].join("/");
            let last = dirs[n - 1];
            if last.starts_with('.') {
                return Some(format!("air skips hidden directories such as `{prefix}`"));
            }
            if self.exclude_dir.contains(&prefix) || prefix == self.tmp_dir || last == "testdata" {
                return Some(format!(
                    "air does not watch `{prefix}` (`exclude_dir`, its tmp dir or `testdata`)"
                ));
            }
        }
        if !self.include_dir.is_empty() {
            let covered = self.include_dir.iter().any(|d| {
                let d = format!("/{}", d.trim_start_matches("./"));
                let r = format!("/{rel}");
                is_under(&r, &d) || is_under(&d, &r)
            });
            if !covered {
                return Some(format!(
                    "sync writes to `{dest}`, and air watches only its `include_dir` {}",
                    self.include_dir
                        .iter()
                        .map(|d| format!("`{d}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::spanned;
    use super::AirConfig;
    use crate::skaffold::model::SyncRule;

    fn rule(src: &str, dest: &str) -> SyncRule {
        SyncRule {
            origin: spanned("").origin,
            src: spanned(src),
            dest: spanned(dest),
            strip: None,
        }
    }

    fn defaults() -> AirConfig {
        AirConfig {
            root: "/src".into(),
            include_ext: vec!["go".into(), "tpl".into(), "tmpl".into(), "html".into()],
            include_dir: Vec::new(),
            exclude_dir: vec![
                "assets".into(),
                "tmp".into(),
                "vendor".into(),
                "testdata".into(),
            ],
            tmp_dir: "tmp".into(),
            written: None,
            remedy: String::new(),
        }
    }

    #[test]
    fn air_watch_settings_decide_which_synced_go_files_rebuild() {
        let air = defaults();
        let wd = Some("/src");
        assert_eq!(air.misses(&rule("**/*.go", "."), wd), None);
        assert_eq!(air.misses(&rule("internal/**/*.go", "."), wd), None);
        // Not Go files: whether they need a rebuild is the program's business.
        assert_eq!(air.misses(&rule("static/*.css", "."), wd), None);
        assert!(air
            .misses(&rule("vendor/**/*.go", "."), wd)
            .unwrap()
            .contains("`vendor`"));
        assert!(air
            .misses(&rule("pkg/x/testdata/*.go", "."), wd)
            .unwrap()
            .contains("testdata"));
        assert!(air
            .misses(&rule(".hidden/*.go", "."), wd)
            .unwrap()
            .contains("hidden"));
        assert!(air
            .misses(&rule("*.go", "/elsewhere"), wd)
            .unwrap()
            .contains("outside air's root"));

        let mut templates_only = defaults();
        templates_only.include_ext = vec!["tmpl".into()];
        assert!(templates_only
            .misses(&rule("**/*.go", "."), wd)
            .unwrap()
            .contains("`include_ext`"));
        let mut all = defaults();
        all.include_ext = vec!["*".into()];
        assert_eq!(all.misses(&rule("**/*.go", "."), wd), None);

        let mut only_cmd = defaults();
        only_cmd.include_dir = vec!["cmd".into()];
        assert_eq!(only_cmd.misses(&rule("cmd/api/*.go", "."), wd), None);
        // A destination above an included dir holds it: not certain, not reported.
        assert_eq!(only_cmd.misses(&rule("**/*.go", "."), wd), None);
        assert!(only_cmd.misses(&rule("pkg/**/*.go", "."), wd).is_some());
    }
}
