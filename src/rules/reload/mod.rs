//! RELOAD: servers that do not load synced code by themselves.
//!
//! Helpers: where a sync rule puts files (so reload dirs and volumes can be compared with it),
//! and whether a sync can carry code a server would have to reload.

pub mod compiled_sources_synced;
pub mod jib_auto_without_devtools;
pub mod misses_dest;
pub mod not_reloading;
pub mod preload_blocks_reload;
pub mod with_workers;

use crate::dockerfile::ignore::clean_path;
use crate::server::{ServerCommand, ServerKind};
use crate::skaffold::model::{Sync, SyncMode, SyncRule};

/// The directory every file of a manual rule lands under: `path.Join(WORKDIR, dest,
/// TrimPrefix(rel, strip))` (Skaffold `pkg/skaffold/sync/sync.go:251-274`) for the literal
/// directories the `src` glob starts with. `None` when the WORKDIR is needed and unknown.
pub(crate) fn rule_destination(rule: &SyncRule, workdir: Option<&str>) -> Option<String> {
    let dest = rule.dest.value.as_str();
    let base = if dest.starts_with('/') {
        dest.to_string()
    } else {
        format!("{}/{}", workdir?.trim_end_matches('/'), dest)
    };
    let literal: Vec<&str> = rule
        .src
        .value
        .split('/')
        .take_while(|c| !c.contains(['*', '?', '[', '{']))
        .collect();
    // The last literal component may be the file itself; keep directories only.
    let dirs = if literal.len() == rule.src.value.split('/').count() {
        &literal[..literal.len().saturating_sub(1)]
    } else {
        &literal[..]
    };
    let prefix = if dirs.is_empty() {
        String::new()
    } else {
        format!("{}/", dirs.join("/"))
    };
    let rest = match rule.strip.as_ref().map(|s| s.value.as_str()) {
        Some(strip) => match prefix.strip_prefix(strip) {
            Some(rest) => rest.to_string(),
            // Files under the strip lose it, others keep it: only the base is common.
            None if strip.starts_with(&prefix) => String::new(),
            None => prefix.clone(),
        },
        None => prefix.clone(),
    };
    Some(clean_path(&format!(
        "{}/{}",
        base.trim_end_matches('/'),
        rest
    )))
}

/// Whether `path` is `dir` or below it (both absolute and clean).
pub(crate) fn is_under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    dir.is_empty() || path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// The file extensions a server loads as code.
fn code_extensions(kind: &ServerKind) -> &'static [&'static str] {
    match kind {
        ServerKind::Node | ServerKind::Nodemon | ServerKind::NodeTool { .. } => {
            &["js", "mjs", "cjs", "ts", "mts", "cts", "jsx", "tsx", "json"]
        }
        ServerKind::Air => &["go"],
        // Quarkus dev mode watches sources and resources (`src/main/java`, `src/main/resources`);
        // a packaged application loads classes and its configuration once.
        ServerKind::Quarkus { .. } => &[
            "java",
            "kt",
            "scala",
            "class",
            "properties",
            "yaml",
            "yml",
            "html",
        ],
        _ => &["py"],
    }
}

/// Whether a sync `src`/infer pattern can match a file with one of `exts`: its last component
/// has no literal extension (`*`, `**`, `src/*`) or one of them.
pub(crate) fn pattern_may_match(pattern: &str, exts: &[&str]) -> bool {
    let last = pattern.rsplit('/').next().unwrap_or(pattern);
    match last.rsplit_once('.') {
        None => last.contains(['*', '?', '[']),
        Some((_, ext)) => {
            if ext.contains(['*', '?', '[', '{']) {
                return true;
            }
            exts.iter().any(|e| e.eq_ignore_ascii_case(ext))
        }
    }
}

/// Whether a sync can bring code files the server loads.
pub(crate) fn sync_carries_code(sync: &Sync, server: &ServerCommand) -> bool {
    let exts = code_extensions(&server.kind);
    match &sync.mode {
        SyncMode::Manual(rules) => rules.iter().any(|r| pattern_may_match(&r.src.value, exts)),
        SyncMode::Infer(patterns) => patterns.iter().any(|p| pattern_may_match(&p.value, exts)),
        SyncMode::DefaultInfer => true,
        SyncMode::Auto(_) => false,
    }
}

/// The flag that turns reload on for this server, when there is one to add.
pub(crate) fn reload_flag(kind: &ServerKind) -> Option<&'static str> {
    match kind {
        ServerKind::Uvicorn
        | ServerKind::FastApiCli { .. }
        | ServerKind::Gunicorn { .. }
        | ServerKind::Hypercorn
        | ServerKind::Flask => Some("--reload"),
        ServerKind::Node => Some("--watch"),
        ServerKind::Django
        | ServerKind::Nodemon
        | ServerKind::Air
        | ServerKind::Quarkus { .. }
        | ServerKind::NodeTool { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skaffold::model::Spanned;
    use crate::skaffold::tree::{FileId, Origin};
    use crate::source::Span;

    /// A value at no place in particular, for tests of the reload rules.
    pub(super) fn spanned(v: &str) -> Spanned<String> {
        Spanned {
            value: v.into(),
            origin: Origin {
                file: FileId::default(),
                span: Span::default(),
                key_span: None,
            },
        }
    }

    fn rule(src: &str, dest: &str, strip: Option<&str>) -> SyncRule {
        SyncRule {
            origin: spanned("").origin,
            src: spanned(src),
            dest: spanned(dest),
            strip: strip.map(spanned),
        }
    }

    #[test]
    fn destinations_follow_skaffold_join() {
        assert_eq!(
            rule_destination(&rule("api/**/*.py", "/app", Some("api/")), None).as_deref(),
            Some("/app")
        );
        assert_eq!(
            rule_destination(&rule("src/**/*.js", ".", None), Some("/usr/src/app")).as_deref(),
            Some("/usr/src/app/src")
        );
        assert_eq!(
            rule_destination(&rule("*.py", ".", None), Some("/app")).as_deref(),
            Some("/app")
        );
        assert_eq!(
            rule_destination(&rule("static/app.css", "/srv", None), None).as_deref(),
            Some("/srv/static")
        );
        assert_eq!(rule_destination(&rule("x/*.py", "rel", None), None), None);
    }

    #[test]
    fn code_patterns() {
        assert!(pattern_may_match("api/**/*.py", &["py"]));
        assert!(pattern_may_match("**/*", &["py"]));
        assert!(pattern_may_match("src/**", &["py"]));
        assert!(!pattern_may_match("static/**/*.css", &["py"]));
        assert!(!pattern_may_match("templates/index.html", &["py"]));
        assert!(is_under("/app/x", "/app"));
        assert!(!is_under("/application", "/app"));
        assert!(is_under("/anything", "/"));
    }
}
