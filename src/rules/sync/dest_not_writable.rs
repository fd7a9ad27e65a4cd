//! SYNC009 dest-not-writable: the container runs as a non-root USER, but the directory sync
//! writes into was created by root (a WORKDIR before USER, or a COPY without `--chown`).
//! Skaffold's `tar` runs as the container user and fails with "Permission denied" or GNU tar's
//! "Cannot open: File exists" (issues #1950, #2479, #7079).

use super::{final_state, manual_destination, stage_chain, Watched};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::dockerfile::owners::{
    dir_owner, user_created_by, user_exists_at, BaseDir, Decider, Owner, OwnerQuery, Ownership,
};
use crate::dockerfile::{Args, Command, Dockerfile, Instruction};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::SyncMode;
use std::collections::{HashMap, HashSet};

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
        // Kubernetes runs the container as `securityContext.runAsUser` (container over pod)
        // when set, whatever the Dockerfile's USER says; tar runs as that user.
        let pod_users: Vec<(String, std::path::PathBuf, crate::source::Span)> = view
            .containers
            .iter()
            .filter(|c| !c.init)
            .filter_map(|&c| {
                let (manifest, workload, container) = pipeline.container(c);
                let user = workload.effective_security(container).run_as_user?;
                Some((user.value, pipeline.path(manifest.file), user.span))
            })
            .collect();
        let deployed = view.containers.iter().filter(|c| !c.init).count();
        let (user, user_from): (String, UserFrom) = if pod_users.is_empty() {
            let Some((user, user_at)) = end.user else {
                continue;
            };
            (user, UserFrom::Dockerfile(user_at))
        } else {
            // Only when every deployed container runs as the same user is it known.
            let (first, path, span) = pod_users[0].clone();
            if pod_users.len() != deployed || pod_users.iter().any(|(u, _, _)| *u != first) {
                continue;
            }
            (first, UserFrom::Pod(path, span))
        };
        if is_root_or_unknown(&user) {
            continue;
        }
        let df = built.dockerfile;
        let Some(chain) = stage_chain(df, built.stage.index) else {
            continue;
        };
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
        let base = built.base_image.clone();
        let base_dir = |dir: &str| match base.as_deref() {
            Some(b) => crate::image::contents::base_dir(b, dir),
            None => BaseDir::Unknown,
        };
        // Which directories each context COPY writes into: the parents of every watched file
        // it copies (computed once: a context may hold tens of thousands of files).
        let mut copied_dirs: HashMap<usize, HashSet<String>> = HashMap::new();
        for c in &watched.copies {
            let dirs = copied_dirs.entry(c.instruction).or_default();
            for (i, f) in watched.files.iter().enumerate() {
                if !watched.is_watched(i) {
                    continue;
                }
                let Some(target) = c.target(f) else { continue };
                let mut at = target.as_str();
                while let Some((parent, _)) = at.rsplit_once('/') {
                    if parent.is_empty() || !dirs.insert(parent.to_string()) {
                        break;
                    }
                    at = parent;
                }
            }
        }
        let copies_below = |instruction: usize, dir: &str| -> Option<bool> {
            // COPY --from or a URL: what it brings is not known.
            copied_dirs.get(&instruction).map(|dirs| dirs.contains(dir))
        };
        let query = OwnerQuery {
            build_args: Some(&built.build_args),
            base_dir: &base_dir,
            base_user: built.facts.map(|f| f.default_user),
            copies_below: &copies_below,
        };
        let text = &pipeline.source(built.dockerfile_file).text;
        let mut reported: Vec<Decider> = Vec::new();
        let mut owners: HashMap<String, Ownership> = HashMap::new();
        for (_, target) in targets {
            let Some((dir, _)) = target.rsplit_once('/') else {
                continue;
            };
            if dir.is_empty() || dir == "/tmp" || dir.starts_with("/tmp/") {
                continue;
            }
            let ownership = owners
                .entry(dir.to_string())
                .or_insert_with(|| dir_owner(df, built.stage.index, dir, &query))
                .clone();
            if ownership.owner != Owner::Root {
                continue;
            }
            // A volume mounted there replaces the directory with one of its own ownership.
            let mounted = view.containers.iter().any(|&c| {
                let (_, _, container) = pipeline.container(c);
                container.volume_mounts.iter().any(|m| {
                    let path = m.mount_path.value.trim_end_matches('/');
                    dir == path || dir.starts_with(&format!("{path}/"))
                })
            });
            if mounted || reported.contains(&ownership.decided_by) {
                continue;
            }
            let (at, what) = match ownership.decided_by {
                Decider::Instruction(i) => {
                    let ins = &df.instructions[i];
                    let what = if ins.keyword == "WORKDIR" {
                        format!("this WORKDIR creates `{dir}` owned by root (no non-root USER is in force yet)")
                    } else {
                        format!(
                            "this {} without `--chown` creates `{dir}` owned by root",
                            ins.keyword
                        )
                    };
                    (ins, what)
                }
                Decider::BaseImage => {
                    let Some(from) = chain
                        .first()
                        .map(|&s| &df.instructions[df.stages[s].from_index()])
                    else {
                        continue;
                    };
                    let base = base.as_deref().unwrap_or("the base image");
                    (from, format!("`{dir}` already exists in `{base}`, owned by root (WORKDIR and COPY keep an existing directory's owner)"))
                }
                Decider::Unknown => continue,
            };
            reported.push(ownership.decided_by);
            let path = pipeline.path(built.dockerfile_file);
            let runs_as = match &user_from {
                UserFrom::Dockerfile(_) => format!("`USER {user}`"),
                UserFrom::Pod(..) => format!("user {user} (`securityContext.runAsUser`)"),
            };
            let mut d = RULE
                .diagnostic(path.clone(), at.span, format!(
                    "{what}, but the container runs as {runs_as}: Skaffold's sync extracts files with `tar` as that user, which cannot replace or create files in `{dir}` (\"Permission denied\" or \"Cannot open: File exists\")"
                ))
                .with_artifact(&artifact.image.value);
            d = match &user_from {
                UserFrom::Dockerfile(user_at) => d.with_related(
                    path.clone(),
                    df.instructions[*user_at].span,
                    "the container's user",
                ),
                UserFrom::Pod(manifest, span) => {
                    d.with_related(manifest.clone(), *span, "the container's user")
                }
            };
            if let Some(sync_at) = sync_point(sync) {
                d = d.with_related(
                    pipeline.path(sync_at.file),
                    sync_at.span,
                    "sync destination",
                );
            }
            d.help = Some(format!(
                "make `{dir}` itself the user's: create it after `USER {user}` (a WORKDIR), with `COPY --chown={user}` when the COPY creates it, or `RUN chown {user} {dir}` once the user exists; `--chown` on a COPY into an existing directory leaves the directory's owner as it was"
            ));
            // The Dockerfile fixes hand the directory to its USER; a pod's runAsUser is
            // another matter (the help says what to do).
            let UserFrom::Dockerfile(user_at) = user_from else {
                out.push(d);
                continue;
            };
            let edit_path = pipeline.source(built.dockerfile_file).path.clone();
            let plan = FixPlan {
                df,
                stage: built.stage.index,
                text,
                user: &user,
                user_at,
                dir,
                has_shell: built.facts.and_then(|f| f.has_bin_sh) == Some(true),
                base: base.as_deref(),
            };
            d = d.with_fix(plan.fix(at, edit_path));
            out.push(d);
        }
    }
}

/// Where the user the container runs as is set.
enum UserFrom {
    /// The USER instruction's index.
    Dockerfile(usize),
    /// The manifest's `runAsUser` value.
    Pod(std::path::PathBuf, crate::source::Span),
}

/// How SYNC009 makes a destination directory writable, given what decided its owner.
struct FixPlan<'a> {
    df: &'a Dockerfile,
    stage: usize,
    text: &'a str,
    user: &'a str,
    /// The USER instruction the container runs as.
    user_at: usize,
    dir: &'a str,
    /// `/bin/sh` and `chown` exist in the image (a `RUN chown` can run).
    has_shell: bool,
    /// The external base image.
    base: Option<&'a str>,
}

impl FixPlan<'_> {
    fn fix(&self, decider: &Instruction, path: std::path::PathBuf) -> Fix {
        let (user, dir) = (self.user, self.dir);
        let unsafe_fix = |message: String, edits: Vec<(usize, usize, String)>| Fix {
            applicability: Applicability::Unsafe,
            message,
            edits: edits
                .into_iter()
                .map(|(start, end, content)| Edit {
                    path: path.clone(),
                    start,
                    end,
                    content,
                })
                .collect(),
        };
        let exists_at = |at: usize| {
            user_exists_at(self.df, self.stage, user, at).or_else(|| {
                self.base
                    .and_then(|b| crate::image::contents::base_has_user(b, user))
            })
        };
        match decider.keyword.as_str() {
            "WORKDIR"
                if self.movable_user(decider.index) && exists_at(decider.index) == Some(true) =>
            {
                let user_line = self.line(self.user_at);
                let moved = self.text[user_line.clone()].to_string();
                let at = self.line(decider.index).start;
                return unsafe_fix(
                    format!("move `USER {user}` above this WORKDIR, which then creates `{dir}` as `{user}`"),
                    vec![(at, at, ensure_newline(moved)), (user_line.start, user_line.end, String::new())],
                );
            }
            "COPY" | "ADD" => {
                let chown = (
                    decider.keyword_span.end,
                    decider.keyword_span.end,
                    format!(" --chown={user}"),
                );
                match exists_at(decider.index) {
                    Some(true) => {
                        return unsafe_fix(
                            format!(
                                "add `--chown={user}` to the {}, which creates `{dir}`",
                                decider.keyword
                            ),
                            vec![chown],
                        );
                    }
                    Some(false) => {
                        // `--chown` names a user that must exist there: move its creation up
                        // when that RUN does nothing else.
                        if let Some(creator) = user_created_by(self.df, self.stage, user)
                            .filter(|&r| self.only_creates_users(r))
                        {
                            let run_line = self.line(creator);
                            let moved = self.text[run_line.clone()].to_string();
                            let at = self.line(decider.index).start;
                            return unsafe_fix(
                                format!("create the user before the {} and add `--chown={user}` to it, which creates `{dir}`", decider.keyword),
                                vec![(at, at, ensure_newline(moved)), chown, (run_line.start, run_line.end, String::new())],
                            );
                        }
                    }
                    None => {}
                }
            }
            _ => {}
        }
        // Give the directory away once the user exists, right before `USER`.
        if self.has_shell
            && exists_at(self.user_at) == Some(true)
            && !dir.contains(['$', '\'', '"', ' '])
        {
            let at = self.line(self.user_at).start;
            return unsafe_fix(
                format!("add `RUN chown {user} {dir}` before `USER {user}`"),
                vec![(at, at, format!("RUN chown {user} {dir}\n"))],
            );
        }
        Fix {
            applicability: Applicability::DisplayOnly,
            message: format!("make `{dir}` owned by `{user}` where the user already exists (skafix cannot tell where `{user}` is created)"),
            edits: Vec::new(),
        }
    }

    /// The byte range of an instruction's whole lines, with the final newline.
    fn line(&self, index: usize) -> std::ops::Range<usize> {
        let span = self.df.instructions[index].span;
        let start = self.text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let end = self.text[span.end..]
            .find('\n')
            .map_or(self.text.len(), |i| span.end + i + 1);
        start..end
    }

    /// `USER` can move above `workdir`: it comes later in the same stage, and nothing between
    /// runs a command (COPY and ADD ignore USER; a RUN would change who runs it).
    fn movable_user(&self, workdir: usize) -> bool {
        let (Some(w), Some(u)) = (
            self.df.instructions.get(workdir),
            self.df.instructions.get(self.user_at),
        ) else {
            return false;
        };
        w.stage == u.stage
            && workdir < self.user_at
            && self.df.instructions[workdir + 1..self.user_at]
                .iter()
                .all(|i| {
                    !matches!(
                        i.args,
                        Args::Run { .. } | Args::User { .. } | Args::Onbuild(_)
                    )
                })
    }

    /// The RUN only creates users and groups (safe to run earlier).
    fn only_creates_users(&self, run: usize) -> bool {
        let ins = &self.df.instructions[run];
        let Args::Run {
            command: Command::Shell { text, .. },
            heredocs,
        } = &ins.args
        else {
            return false;
        };
        heredocs.is_empty()
            && text.split("&&").all(|part| {
                let first = part.split_whitespace().next().unwrap_or("");
                matches!(first, "useradd" | "adduser" | "groupadd" | "addgroup")
                    && !part.contains(['$', '`', ';', '|', '>', '<'])
            })
    }
}

fn ensure_newline(mut line: String) -> String {
    if !line.ends_with('\n') {
        line.push('\n');
    }
    line
}

fn sync_point(sync: &crate::skaffold::model::Sync) -> Option<crate::skaffold::tree::Origin> {
    match &sync.mode {
        SyncMode::Manual(rules) => rules.first().map(|r| r.dest.origin),
        SyncMode::Infer(p) => p.first().map(|p| p.origin),
        _ => Some(sync.origin),
    }
}

#[cfg(test)]
mod tests {
    use super::is_root_or_unknown;

    #[test]
    fn root_and_unknown_users() {
        assert!(is_root_or_unknown("root"));
        assert!(is_root_or_unknown("0:0"));
        assert!(is_root_or_unknown("${APP_USER}"));
        assert!(!is_root_or_unknown("app"));
        assert!(!is_root_or_unknown("1000:1000"));
    }
}
