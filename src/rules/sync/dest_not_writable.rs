//! SYNC009 dest-not-writable: the container runs as a non-root USER, but the directory sync
//! writes into was created by root (a WORKDIR before USER, or a COPY without `--chown`).
//! Skaffold's `tar` runs as the container user and fails with "Permission denied" or GNU tar's
//! "Cannot open: File exists" (issues #1950, #2479, #7079).

use super::{absolute, chain_instructions, final_state, manual_destination, stage_chain, Watched};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::dockerfile::{Args, Command, Dockerfile, Instruction};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;
use std::collections::HashMap;

pub static RULE: Rule = Rule {
    code: "SYNC009",
    name: "dest-not-writable",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary:
        "A sync destination directory is owned by root while the container runs as a non-root USER.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/SYNC009.md"),
};

/// Root, or a user skafix cannot resolve.
fn is_root_or_unknown(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user);
    name.is_empty() || name == "root" || name == "0" || name.contains('$')
}

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(sync) = &artifact.sync else { continue };
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        let Some(end) = final_state(&built) else {
            continue;
        };
        let Some((user, user_at)) = end.user else {
            continue;
        };
        if is_root_or_unknown(&user) {
            continue;
        }
        // A pod securityContext may run the container as another user than USER.
        let overridden = view.containers.iter().any(|&c| {
            let (manifest, _, _) = pipeline.container(c);
            pipeline.source(manifest.file).text.contains("runAsUser")
        });
        if overridden {
            continue;
        }
        let df = built.dockerfile;
        let Some(chain) = stage_chain(df, built.stage.index) else {
            continue;
        };
        let instructions = chain_instructions(df, &chain);
        let Some(watched) = Watched::of(view, df, &built.build_args) else {
            continue;
        };
        let workdir = end.workdir;
        // (file, where sync writes it)
        let mut targets: Vec<(usize, String)> = Vec::new();
        match &sync.mode {
            SyncMode::Manual(rules) => {
                for rule in rules {
                    let wd = match (&workdir, rule.dest.value.starts_with('/')) {
                        (Some(w), _) => w.clone(),
                        (None, true) => "/".into(),
                        (None, false) => continue,
                    };
                    let Some(matched) = watched.matching(&rule.src.value) else {
                        continue;
                    };
                    let strip = rule.strip.as_ref().map(|s| s.value.as_str());
                    for i in matched.into_iter().filter(|&i| watched.is_watched(i)) {
                        targets.push((
                            i,
                            manual_destination(&wd, &rule.dest.value, strip, &watched.files[i]),
                        ));
                    }
                }
            }
            SyncMode::Infer(_) | SyncMode::DefaultInfer => {
                let last = df.stages.len().saturating_sub(1);
                if built.stage.index != last {
                    continue;
                }
                let patterns: Vec<String> = match &sync.mode {
                    SyncMode::Infer(p) => p.iter().map(|p| p.value.clone()).collect(),
                    _ => vec!["**/*".into()],
                };
                for pattern in &patterns {
                    let Some(matched) = watched.matching(pattern) else {
                        continue;
                    };
                    for i in matched.into_iter().filter(|&i| watched.is_watched(i)) {
                        let file = &watched.files[i];
                        if let Some(t) = watched
                            .copies
                            .iter()
                            .filter(|c| c.stage == last)
                            .find_map(|c| c.target(file))
                        {
                            targets.push((i, t));
                        }
                    }
                }
            }
            SyncMode::Auto(_) => continue,
        }
        let mut reported: Vec<usize> = Vec::new();
        for (file_index, target) in targets {
            let file = watched.files[file_index].as_str();
            let Some((dir, _)) = target.rsplit_once('/') else {
                continue;
            };
            if dir.is_empty() {
                continue;
            }
            let Some(creator) = root_creator(df, &instructions, dir, &built.build_args) else {
                continue;
            };
            // A volume mounted there replaces the directory with one of its own ownership.
            let mounted = view.containers.iter().any(|&c| {
                let (_, _, container) = pipeline.container(c);
                container.volume_mounts.iter().any(|m| {
                    let path = m.mount_path.value.trim_end_matches('/');
                    dir == path || dir.starts_with(&format!("{path}/"))
                })
            });
            if mounted {
                continue;
            }
            // buildkit creates a WORKDIR as the image's user, which a base image may set.
            let known_base = built.facts.is_some_and(|f| f.default_user.is_none());
            // A home directory exists before the Dockerfile runs and belongs to its user.
            let home = dir.starts_with("/home/") && dir.matches('/').count() == 2;
            if home || (creator.keyword == "WORKDIR" && !known_base) {
                continue;
            }
            // A COPY into a directory the base image may already have keeps that directory's
            // owner; only the image table tells that it does not exist there.
            if creator.keyword != "WORKDIR"
                && creator_dest(df, creator, &built.build_args).as_deref() == Some(dir)
                && (!known_base || dir == "/root")
            {
                continue;
            }
            // Point at the COPY that put this very file there when it is root-owned, else at
            // whatever created the directory.
            let copy = watched
                .copies
                .iter()
                .filter(|c| {
                    chain.contains(&c.stage) && c.target(file).as_deref() == Some(target.as_str())
                })
                .map(|c| &df.instructions[c.instruction])
                .find(|i| i.flag("chown").is_none() && i.flag("chmod").is_none());
            let at = copy.unwrap_or(creator);
            if reported.contains(&at.index) {
                continue;
            }
            reported.push(at.index);
            let what = if at.keyword == "WORKDIR" {
                format!("this WORKDIR creates `{dir}` as root, before any non-root USER")
            } else {
                format!(
                    "this {} without `--chown` leaves `{target}` and `{dir}` owned by root",
                    at.keyword
                )
            };
            let path = pipeline.path(built.dockerfile_file);
            let mut d = RULE
                .diagnostic(path.clone(), at.span, format!(
                    "{what}, but the container runs as `USER {user}`: Skaffold's sync extracts files with `tar` as that user, which cannot replace or create files in `{dir}` (\"Permission denied\" or \"Cannot open: File exists\")"
                ))
                .with_artifact(&artifact.image.value)
                .with_related(path.clone(), df.instructions[user_at].span, "the container's user");
            if let Some(sync_at) = sync_point(sync) {
                d = d.with_related(
                    pipeline.path(sync_at.file),
                    sync_at.span,
                    "sync destination",
                );
            }
            d.help = Some(format!(
                "give the files and directories to the user: `COPY --chown={user} ...`, or create the directory after `USER {user}`"
            ));
            if at.keyword == "COPY" || at.keyword == "ADD" {
                d = d.with_fix(Fix {
                    applicability: Applicability::Unsafe,
                    message: format!("add `--chown={user}` to the {}", at.keyword),
                    edits: vec![Edit {
                        path: pipeline.source(built.dockerfile_file).path.clone(),
                        start: at.keyword_span.end,
                        end: at.keyword_span.end,
                        content: format!(" --chown={user}"),
                    }],
                });
            }
            out.push(d);
        }
    }
}

fn sync_point(sync: &crate::skaffold::model::Sync) -> Option<crate::skaffold::tree::Origin> {
    match &sync.mode {
        SyncMode::Manual(rules) => rules.first().map(|r| r.dest.origin),
        SyncMode::Infer(p) => p.first().map(|p| p.origin),
        _ => Some(sync.origin),
    }
}

/// The WORKDIR or COPY that created `dir` as root, when nothing else may have given it to
/// another user (a RUN that mentions it, chown/chmod, a later `COPY --chown` into it).
fn root_creator<'d>(
    df: &'d Dockerfile,
    instructions: &[&'d Instruction],
    dir: &str,
    build_args: &HashMap<String, String>,
) -> Option<&'d Instruction> {
    if dir == "/tmp" || dir.starts_with("/tmp/") || dir.starts_with("/var/tmp") {
        return None;
    }
    let mut creator: Option<&Instruction> = None;
    let mut given_away = false;
    let covers =
        |base: &str| dir == base || dir.starts_with(&format!("{}/", base.trim_end_matches('/')));
    for ins in instructions {
        let state = df.state_at(ins.index, Some(build_args))?;
        match &ins.args {
            Args::Workdir { path } => {
                let before = state.workdir.value.clone()?;
                let resolved = absolute(&before, state.expand(&path.value).known()?);
                // WORKDIR creates every missing component of its path.
                if creator.is_none()
                    && (resolved == dir || resolved.starts_with(&format!("{dir}/")))
                {
                    // buildkit creates a WORKDIR as the USER in force at that point.
                    match (&state.user.value, state.user.set_by) {
                        (None, None) => {}
                        (Some(u), _) if !u.contains('$') && is_root_or_unknown(u) => {}
                        _ => return None,
                    }
                    creator = Some(ins);
                }
            }
            Args::Copy(c) | Args::Add(c) => {
                let before = state.workdir.value.clone()?;
                let dest = absolute(&before, state.expand(&c.dest.value).known()?);
                if !covers(&dest) {
                    continue;
                }
                let owned = ins.flag("chown").is_some() || ins.flag("chmod").is_some();
                if creator.is_none() {
                    if owned {
                        return None;
                    }
                    creator = Some(ins);
                } else if owned && dest == dir {
                    given_away = true;
                }
            }
            Args::Run { command, heredocs } => {
                let text = match command {
                    Command::Exec { argv, .. } => argv
                        .iter()
                        .map(|w| w.value.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    Command::Shell { text, .. } => text.clone(),
                };
                let all =
                    std::iter::once(text.as_str()).chain(heredocs.iter().map(|h| h.body.as_str()));
                for t in all {
                    if t.contains("chown") || t.contains("chmod") || mentions_path(t, dir) {
                        return None;
                    }
                    if dir.starts_with("/home/") && (t.contains("useradd") || t.contains("adduser"))
                    {
                        return None;
                    }
                }
            }
            _ => {}
        }
    }
    if given_away {
        return None;
    }
    creator
}

/// `dir` appears in `text` as a whole path (not as a prefix of a longer name).
fn mentions_path(text: &str, dir: &str) -> bool {
    text.match_indices(dir).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + dir.len()..].chars().next();
        let boundary_before = before.is_none_or(|c| c.is_whitespace() || "\"'=:".contains(c));
        let boundary_after = after.is_none_or(|c| c.is_whitespace() || "/\"';&|)".contains(c));
        boundary_before && boundary_after
    })
}

/// The resolved destination of a COPY/ADD.
fn creator_dest(
    df: &Dockerfile,
    ins: &Instruction,
    build_args: &HashMap<String, String>,
) -> Option<String> {
    let state = df.state_at(ins.index, Some(build_args))?;
    let dest = state
        .expand(&ins.copy_args()?.dest.value)
        .known()?
        .to_string();
    Some(absolute(state.workdir.value.as_deref()?, &dest))
}

#[cfg(test)]
mod tests {
    use super::{is_root_or_unknown, mentions_path};

    #[test]
    fn root_and_unknown_users() {
        assert!(is_root_or_unknown("root"));
        assert!(is_root_or_unknown("0:0"));
        assert!(is_root_or_unknown("${APP_USER}"));
        assert!(!is_root_or_unknown("app"));
        assert!(!is_root_or_unknown("1000:1000"));
    }

    #[test]
    fn path_mentions_are_whole_paths() {
        assert!(mentions_path("mkdir -p /app && chown app /app", "/app"));
        assert!(mentions_path("useradd -d /app app", "/app"));
        assert!(mentions_path("cp x /app/", "/app"));
        assert!(!mentions_path("useradd --create-home app", "/app"));
        assert!(!mentions_path("ls /application", "/app"));
        assert!(!mentions_path("ls /home/app", "/app"));
    }
}
