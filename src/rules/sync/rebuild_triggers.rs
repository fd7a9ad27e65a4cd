//! SYNC014 rebuild-trigger-watched: a COPY source of a synced artifact that also covers paths
//! written while `skaffold dev` runs (the repository's `.git/`, and what the project's
//! `.gitignore` lists: `node_modules/`, `dist/`, `__pycache__/`, `*.log`, ..., and the output
//! directories its build files announce: `node_modules/`, `target/`, `build/`) and that
//! `.dockerignore` does not exclude. Skaffold watches them, no sync rule matches them, so writing one rebuilds the
//! image instead of syncing. Judged from patterns: a CI clone has none of these files.

use super::{infer_maps_nothing, infer_patterns, sync_glob};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::{ArtifactView, Pipeline};
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;
use std::path::Path;

pub static RULE: Rule = Rule {
    code: "SYNC014",
    name: "rebuild-trigger-watched",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A COPY source of a synced artifact covers files written during `skaffold dev` (.git, .gitignore'd outputs such as node_modules, dist, __pycache__, logs) that .dockerignore keeps: writing them rebuilds the image.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC014.md"),
};

/// A kind of path written while developing, with a sample file below a COPY source.
struct Trigger {
    /// As the message names it (`__pycache__/`).
    label: String,
    /// A file of that kind relative to the context (`app/__pycache__/main.cpython-312.pyc`).
    sample: String,
    /// Who writes it.
    writer: &'static str,
    /// The `.dockerignore` line that leaves it out.
    ignore: String,
}

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let patterns: Vec<String> = match &sync.mode {
            SyncMode::Manual(rules) => rules.iter().map(|r| r.src.value.clone()).collect(),
            SyncMode::Infer(_) | SyncMode::DefaultInfer => infer_patterns(sync).unwrap_or_default(),
            SyncMode::Auto(_) => continue,
        };
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        if infer_patterns(sync).is_some_and(|p| infer_maps_nothing(&p, view, &built)) {
            continue;
        }
        let Some(copies) = super::context_copies(built.dockerfile, &built.build_args) else {
            continue;
        };
        let source = pipeline.source(built.dockerfile_file);
        let mut reported_instruction = Vec::new();
        for copy in &copies {
            if reported_instruction.contains(&copy.instruction) || copy.wildcard {
                continue;
            }
            if !is_directory_source(&view.context_dir, &copy.source) {
                continue;
            }
            let found: Vec<Trigger> = triggers(view, &copy.source, &pipeline.config.dir)
                .into_iter()
                .filter(|t| {
                    let path = &t.sample;
                    copy.covers(path).is_some()
                        && !copied_on_purpose(&copies, copy, t)
                        && !view
                            .dockerignore
                            .as_ref()
                            .is_some_and(|i| i.parsed.is_excluded(path))
                        && !patterns
                            .iter()
                            .any(|p| sync_glob(p).is_some_and(|g| g.is_match(path)))
                })
                .collect();
            if found.is_empty() {
                continue;
            }
            reported_instruction.push(copy.instruction);
            let instruction = &built.dockerfile.instructions[copy.instruction];
            let text = source.text[instruction.span.start..instruction.span.end]
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            let listed = found
                .iter()
                .map(|t| format!("`{}` ({})", t.label, t.writer))
                .collect::<Vec<_>>()
                .join(", ");
            let lines = found
                .iter()
                .map(|t| format!("`{}`", t.ignore))
                .collect::<Vec<_>>()
                .join(", ");
            out.push(
                RULE.diagnostic(pipeline.path(built.dockerfile_file), instruction.span, format!(
                    "`{text}` makes Skaffold watch paths that are written while `skaffold dev` runs: {listed}; no sync rule of `{}` matches them and .dockerignore keeps them, so each write rebuilds the image instead of syncing",
                    artifact.image.value
                ))
                .with_artifact(&artifact.image.value)
                .with_help(format!("add them to .dockerignore: {lines}")),
            );
        }
    }
}

/// `source/rest`, or `rest` for the context root.
fn join(source: &str, rest: &str) -> String {
    if source == "." {
        rest.to_string()
    } else {
        format!("{source}/{rest}")
    }
}

/// A COPY source that is a directory: one on disk, or a name without an extension that is
/// not on disk (a clone may lack generated folders).
fn is_directory_source(context: &Path, source: &str) -> bool {
    if source == "." {
        return true;
    }
    let on_disk = context.join(source);
    if on_disk.exists() {
        return on_disk.is_dir();
    }
    !source.rsplit('/').next().unwrap_or(source).contains('.')
}

/// What is written below a directory COPY source while developing, only with evidence that
/// this project writes it: the repository's `.git` inside the source, and what the project's
/// `.gitignore` lists (`node_modules/`, `dist/`, `__pycache__/`, `*.log`, ...): files a
/// project ignores in git are the ones its tools write locally. Generic guesses (swap files,
/// bytecode of a project that never lists it) are left out: a project without such files
/// would be reported wrongly. Build outputs that the project's build files announce (see
/// [`tool_outputs`]) count as such evidence. Samples are relative to the context.
fn triggers(view: &ArtifactView, source: &str, project_dir: &Path) -> Vec<Trigger> {
    let dir = if source == "." {
        view.context_dir.clone()
    } else {
        view.context_dir.join(source)
    };
    let under = |name: &str| dir.join(name).exists();
    let mut found = Vec::new();
    let mut push = |label: &str, sample: String, writer: &'static str, ignore: String| {
        if !found.iter().any(|t: &Trigger| t.label == label) {
            found.push(Trigger {
                label: label.to_string(),
                sample,
                writer,
                ignore,
            });
        }
    };
    if under(".git") {
        push(
            ".git/",
            join(source, ".git/index"),
            "git rewrites it on status, add and commit",
            join(source, ".git"),
        );
    }
    // The source's own .gitignore, then those of its parents up to the config's directory
    // (the project as Skaffold sees it) or the repository root, whichever comes first; their
    // patterns without a `/` inside apply at any depth below them.
    let mut ignore_files = vec![(dir.clone(), true)];
    let top = std::path::absolute(project_dir).ok();
    let mut current = std::path::absolute(&dir).ok();
    for _ in 0..8 {
        let Some(here) = current else { break };
        if here.join(".git").exists() || Some(&here) == top.as_ref() {
            break;
        }
        current = here.parent().map(Path::to_path_buf);
        if let Some(parent) = &current {
            if top.as_ref().is_some_and(|t| parent.starts_with(t)) {
                ignore_files.push((parent.clone(), false));
            } else {
                break;
            }
        }
    }
    let listed = ignore_files.into_iter().flat_map(|(d, own)| {
        gitignored(&d)
            .into_iter()
            .filter(move |(_, _, ignore)| own || written_in_any_directory(ignore))
    });
    for (label, sample, writer, ignore) in tool_outputs(view, source) {
        push(&label, join(source, &sample), writer, join(source, &ignore));
    }
    for (pattern, sample, ignore) in
        listed.filter(|(_, sample, _)| !declares_dependencies(sample) && !kept_secret(sample))
    {
        push(
            &pattern,
            join(source, &sample),
            "listed in .gitignore",
            if ignore.starts_with("**/") {
                ignore
            } else {
                join(source, &ignore)
            },
        );
    }
    found
}

/// Whether a pattern of a parent directory's `.gitignore` (as its `.dockerignore` line) names
/// files that tools write in every directory, so also inside the COPY source: a wildcard
/// (`*.log`, `*.pyc`) or a per-directory file (`__pycache__`, `.DS_Store`). A plain name such
/// as `node_modules` or `setup.yml` in the root `.gitignore` is written where its tool runs
/// (next to the root `package.json`, at the root), not inside `src/`; outputs that the source's
/// own build files announce are found by [`tool_outputs`].
fn written_in_any_directory(ignore: &str) -> bool {
    const PER_DIRECTORY: [&str; 5] = [
        "__pycache__",
        ".DS_Store",
        "Thumbs.db",
        "desktop.ini",
        ".ipynb_checkpoints",
    ];
    let Some(body) = ignore.strip_prefix("**/") else {
        return false;
    };
    body.contains(['*', '?']) || PER_DIRECTORY.contains(&body)
}

/// A trigger that another COPY names itself (`COPY target/app.jar /app/`, `COPY dist/
/// /usr/share/nginx/html`): the build needs those files, so they are inputs on purpose and
/// `.dockerignore` must not exclude them.
fn copied_on_purpose(
    copies: &[super::ContextCopy],
    broad: &super::ContextCopy,
    trigger: &Trigger,
) -> bool {
    let dir = trigger
        .sample
        .rsplit_once('/')
        .map_or("", |(dir, _)| dir)
        .to_string();
    let ignored = trigger.ignore.trim_start_matches("**/");
    copies.iter().any(|c| {
        c.instruction != broad.instruction
            && c.source != "."
            && (c.source == dir
                || c.source.starts_with(&format!("{dir}/"))
                || c.source.split('/').any(|part| part == ignored))
    })
}

/// Output directories that the project's own build files say its tools write, found below
/// the COPY source in the context listing (files a clone has): `node_modules/` next to a
/// `package.json` with a lock file or not inside another package (npm, yarn and pnpm install
/// into it; not under Yarn's Plug'n'Play, so none is reported when a `.yarnrc.yml` is there),
/// `target/` next to a
/// `Cargo.lock` (the workspace root, where cargo and rust-analyzer's `cargo check` on save
/// write, unless `.cargo/config.toml` may move it) and next to a `pom.xml` (Maven's build
/// directory, also where IDEs compile on save), `build/` next to a `build.gradle[.kts]`.
/// Returned as (label, sample, writer, `.dockerignore` line), relative to the source.
fn tool_outputs(view: &ArtifactView, source: &str) -> Vec<(String, String, &'static str, String)> {
    let Some(files) = view.context_files() else {
        return Vec::new();
    };
    let below = |f: &'_ str| -> Option<String> {
        if source == "." {
            Some(f.to_string())
        } else {
            f.strip_prefix(source)?
                .strip_prefix('/')
                .map(str::to_string)
        }
    };
    let inside: Vec<String> = files.iter().filter_map(|f| below(f)).collect();
    let lookup: std::collections::HashSet<&str> = inside.iter().map(String::as_str).collect();
    let has = |path: &str| lookup.contains(path);
    let yarn_pnp = files.iter().any(|f| {
        let name = f.rsplit('/').next().unwrap_or(f);
        name == ".yarnrc.yml" || name == ".pnp.cjs"
    });
    let cargo_config = files
        .iter()
        .any(|f| f.ends_with(".cargo/config.toml") || f.ends_with(".cargo/config"));
    // A package inside another one may be a workspace member whose dependencies are
    // installed at the root.
    let nested_package = |dir: &str| {
        let mut d = dir;
        while let Some((parent, _)) = d.rsplit_once('/') {
            if has(&format!("{parent}/package.json")) {
                return true;
            }
            d = parent;
        }
        !dir.is_empty() && has("package.json")
    };
    let mut out = Vec::new();
    for file in &inside {
        let (dir, name) = match file.rsplit_once('/') {
            Some((dir, name)) => (dir, name),
            None => ("", file.as_str()),
        };
        // Build files inside outputs or dependencies are not the project's.
        if dir.split('/').any(|c| {
            matches!(c, "node_modules" | "target" | "build" | "vendor" | "dist")
                || c.starts_with('.')
        }) {
            continue;
        }
        let at = |rest: &str| {
            if dir.is_empty() {
                rest.to_string()
            } else {
                format!("{dir}/{rest}")
            }
        };
        let lock = [
            "package-lock.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "npm-shrinkwrap.json",
        ]
        .iter()
        .any(|l| has(&at(l)));
        let (output, writer) = match name {
            "package.json" if (lock || !nested_package(dir)) && !yarn_pnp => (
                "node_modules",
                "`npm install`, `yarn` or `pnpm install` writes it next to package.json",
            ),
            "Cargo.lock" if !cargo_config => (
                "target",
                "cargo writes it, and rust-analyzer runs `cargo check` on every save",
            ),
            "pom.xml" => (
                "target",
                "Maven writes it, and IDEs compile into it on save",
            ),
            "build.gradle" | "build.gradle.kts" => ("build", "Gradle writes it"),
            _ => continue,
        };
        out.push((
            format!("{}/", at(output)),
            at(&format!("{output}/x")),
            writer,
            at(output),
        ));
    }
    out
}

/// Lock files and dependency manifests that some projects keep out of git (Skaffold's own Node
/// examples ignore `package-lock.json`). They change when a person installs a dependency, not
/// while tools run, and then a rebuild is what is wanted: the image's install step must run
/// again, which no sync can do.
fn declares_dependencies(sample: &str) -> bool {
    const DEPENDENCY_FILES: [&str; 20] = [
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
        "requirements.txt",
        "Pipfile",
        "Pipfile.lock",
        "poetry.lock",
        "uv.lock",
        "pyproject.toml",
        "go.mod",
        "go.sum",
        "Cargo.toml",
        "Cargo.lock",
        "Gemfile.lock",
        "composer.lock",
        "mix.lock",
    ];
    let name = sample.rsplit('/').next().unwrap_or(sample);
    DEPENDENCY_FILES.contains(&name)
        || (name.starts_with("requirements") && name.ends_with(".txt"))
        // Lock-file patterns as written in a .gitignore (`*.lock`, `**/*-lock.yaml`).
        || name.ends_with(".lock")
        || name.ends_with("-lock.yaml")
        || name.ends_with("-lock.json")
}

/// Secrets and local settings that projects keep out of git (`.env*.local`, `*.pem`, `*.key`):
/// a person writes them, no tool rewrites them during `skaffold dev`, and when one is edited
/// the image that reads it should be rebuilt.
fn kept_secret(sample: &str) -> bool {
    let name = sample.rsplit('/').next().unwrap_or(sample);
    name.starts_with(".env")
        || [".pem", ".key", ".p12", ".pfx", ".crt"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

/// The patterns of `dir/.gitignore` with a sample path each and the `.dockerignore` line that
/// matches the same paths (both relative to `dir`). A pattern without a `/` in its middle
/// matches at any depth in git, so its samples sit at the top and its line gets `**/`.
/// Negations, character classes and comments are skipped.
fn gitignored(dir: &Path) -> Vec<(String, String, String)> {
    let Ok(text) = std::fs::read_to_string(dir.join(".gitignore")) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter(|l| !l.contains(['[', '\\']))
        .take(200)
        .filter_map(|pattern| {
            let anchored = pattern.trim_start_matches('/');
            let dir_only = anchored.ends_with('/');
            let body = anchored.trim_end_matches('/');
            if body.is_empty() || body == "*" || body == "**" {
                return None;
            }
            let mut sample = body.replace("**", "x").replace(['*', '?'], "x");
            if dir_only {
                sample.push_str("/x");
            }
            let any_depth = !pattern.starts_with('/') && !body.contains('/');
            let ignore = if any_depth {
                format!("**/{body}")
            } else {
                body.to_string()
            };
            Some((pattern.to_string(), sample, ignore))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{declares_dependencies, gitignored, kept_secret, written_in_any_directory};

    #[test]
    fn parent_patterns_count_only_when_written_in_every_directory() {
        assert!(written_in_any_directory("**/*.log"));
        assert!(written_in_any_directory("**/__pycache__"));
        assert!(written_in_any_directory("**/.DS_Store"));
        assert!(!written_in_any_directory("**/node_modules"));
        assert!(!written_in_any_directory("**/setup.yml"));
        assert!(!written_in_any_directory("dist"));
    }

    #[test]
    fn secrets_and_local_settings_are_not_tool_outputs() {
        assert!(kept_secret("x.pem"));
        assert!(kept_secret(".envx.local"));
        assert!(kept_secret("certs/server.key"));
        assert!(!kept_secret("npm-debug.logx"));
        assert!(!kept_secret("next-env.d.ts"));
    }

    #[test]
    fn lock_files_and_manifests_are_not_tool_outputs() {
        assert!(declares_dependencies("x-lock.yaml"));
        assert!(declares_dependencies("x.lock"));
        for name in [
            "package-lock.json",
            "app/yarn.lock",
            "requirements-dev.txt",
            "go.sum",
        ] {
            assert!(declares_dependencies(name), "{name}");
        }
        for name in ["x.log", "dist/x", "package-lock.json.bak", ".env"] {
            assert!(!declares_dependencies(name), "{name}");
        }
    }

    #[test]
    fn gitignore_patterns_get_sample_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".gitignore"),
            "# build\n/coverage/\n*.log\n!keep.log\n.env\n[Bb]in/\n",
        )
        .unwrap();
        assert_eq!(
            gitignored(dir.path()),
            [
                ("/coverage/".into(), "coverage/x".into(), "coverage".into()),
                ("*.log".into(), "x.log".into(), "**/*.log".into()),
                (".env".into(), ".env".into(), "**/.env".into()),
            ]
            .map(|(a, b, c): (String, String, String)| (a, b, c))
        );
    }
}
