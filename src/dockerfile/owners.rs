//! Who owns a directory of a built image: replays the WORKDIR, COPY/ADD and RUN instructions of
//! a stage (and the stages it is built `FROM`) directory by directory, the way current BuildKit
//! creates them, and names the instruction that decided the owner.
//!
//! BuildKit facts this follows (`moby/buildkit`, `frontend/dockerfile/dockerfile2llb/convert.go`
//! and `solver/llbsolver/file/backend.go`):
//! - WORKDIR makes its directory with `llb.Mkdir(..., WithParents(true), WithUser(USER))`: every
//!   component that did not exist is created owned by the USER in force (root when none is
//!   set and the base image sets none); an existing directory keeps its owner.
//! - COPY/ADD create the destination and its missing parents, and every file and directory they
//!   copy, owned by `--chown` (uid and gid 0 without it: USER does not apply to COPY); a
//!   directory that already existed keeps its owner. The `--chown` user must exist in the stage
//!   at that point: current BuildKit fails the build with "unable to find user" (Docker 20.10's
//!   BuildKit silently used root).
//! - RUN runs as the USER and may create, chown or chmod anything: a RUN that mentions the
//!   directory (or changes owners or modes at all) makes its owner unknown.
//!
//! Whether a directory already existed in the external base image is asked of the caller (the
//! base's contents are known only for well-known images); `None` makes the answer unknown.

use super::eval::BuildState;
use super::{Args, Command, Dockerfile, Instruction};
use crate::dockerfile::ignore::{clean_path, clean_path_owned};
pub use crate::image::contents::BaseDir;
use std::collections::HashMap;

/// The owner of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// uid 0.
    Root,
    /// A non-root user, as the Dockerfile names it (`web`, `1000`, `app:app`).
    User(String),
    /// Not known (a RUN may have changed it, an unresolvable variable, an unknown base image).
    Unknown,
}

/// What decided a directory's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decider {
    /// The directory existed in the external base image before the Dockerfile ran.
    BaseImage,
    /// This WORKDIR, COPY, ADD or RUN (index into the instructions).
    Instruction(usize),
    /// Nothing known decided it.
    Unknown,
}

/// A directory's owner and what decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    pub owner: Owner,
    pub decided_by: Decider,
}

impl Ownership {
    fn unknown() -> Self {
        Ownership {
            owner: Owner::Unknown,
            decided_by: Decider::Unknown,
        }
    }
}

/// How an owner model asks what it cannot see.
pub struct OwnerQuery<'a> {
    /// The exact build args (as [`Dockerfile::state_at`] takes them).
    pub build_args: Option<&'a HashMap<String, String>>,
    /// What the external base image has at an absolute, cleaned directory.
    pub base_dir: &'a dyn Fn(&str) -> BaseDir,
    /// The base image's own user when no USER is set: `Some(None)` for root, `Some(Some(u))`
    /// for a non-root default user, `None` when not known.
    pub base_user: Option<Option<&'a str>>,
    /// Whether the COPY/ADD at this instruction puts something at or below `dir`, a
    /// directory strictly under its destination (a subdirectory of a directory source):
    /// `Some(true)`/`Some(false)`, `None` when not known. Destinations and their parents are
    /// known without asking.
    pub copies_below: &'a dyn Fn(usize, &str) -> Option<bool>,
}

/// The instructions of `stage` and the stages it is built `FROM`, outermost first; `None` when
/// the chain cannot be followed.
pub fn stage_chain_instructions(df: &Dockerfile, stage: usize) -> Option<Vec<&Instruction>> {
    let mut chain = Vec::new();
    let mut current = df.stages.get(stage)?;
    loop {
        chain.push(current.index);
        match current.base_stage {
            Some(parent) if parent < current.index => current = df.stages.get(parent)?,
            Some(_) => return None,
            None => break,
        }
    }
    chain.reverse();
    Some(
        chain
            .iter()
            .flat_map(|&s| {
                let range = df.stages[s].instructions.clone();
                df.instructions[range].iter().skip(1)
            })
            .collect(),
    )
}

fn absolute(workdir: &str, path: &str) -> String {
    if path.starts_with('/') {
        clean_path(path)
    } else {
        clean_path_owned(format!("{}/{}", workdir.trim_end_matches('/'), path))
    }
}

/// `dir` is `base` or lies under it.
fn at_or_under(dir: &str, base: &str) -> bool {
    base == "/" || dir == base || dir.starts_with(&format!("{}/", base.trim_end_matches('/')))
}

/// `dir` appears in `text` as a whole path (not as a prefix of a longer name).
pub fn mentions_path(text: &str, dir: &str) -> bool {
    text.match_indices(dir).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + dir.len()..].chars().next();
        let boundary_before = before.is_none_or(|c| c.is_whitespace() || "\"'=:".contains(c));
        let boundary_after = after.is_none_or(|c| c.is_whitespace() || "/\"';&|)".contains(c));
        boundary_before && boundary_after
    })
}

/// The texts a RUN executes (its command and heredoc bodies).
pub fn run_texts(ins: &Instruction) -> Vec<String> {
    let Args::Run { command, heredocs } = &ins.args else {
        return Vec::new();
    };
    let mut out = vec![match command {
        Command::Exec { argv, .. } => argv
            .iter()
            .map(|w| w.value.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        Command::Shell { text, .. } => text.clone(),
    }];
    out.extend(heredocs.iter().map(|h| h.body.clone()));
    out
}

/// The user a WORKDIR creates directories as: the USER in force.
fn current_user(state: &BuildState, query: &OwnerQuery) -> Owner {
    match (&state.user.value, state.user.set_by) {
        (None, None) => match query.base_user {
            Some(None) => Owner::Root,
            Some(Some(u)) => Owner::User(u.to_string()),
            None => Owner::Unknown,
        },
        (Some(u), _) if u.contains('$') => Owner::Unknown,
        (Some(u), _) => owner_named(u),
        (None, Some(_)) => Owner::Unknown,
    }
}

fn owner_named(user: &str) -> Owner {
    let name = user.split(':').next().unwrap_or(user);
    if name.is_empty() {
        Owner::Unknown
    } else if name == "root" || name == "0" {
        Owner::Root
    } else {
        Owner::User(user.to_string())
    }
}

/// Who owns the absolute directory `dir` at the end of `stage`.
pub fn dir_owner(df: &Dockerfile, stage: usize, dir: &str, query: &OwnerQuery) -> Ownership {
    let dir = clean_path(dir);
    let Some(instructions) = stage_chain_instructions(df, stage) else {
        return Ownership::unknown();
    };
    // None: not (known to be) there yet.
    let base = (query.base_dir)(&dir);
    let mut state: Option<Ownership> = match base {
        BaseDir::Root => Some(Ownership {
            owner: Owner::Root,
            decided_by: Decider::BaseImage,
        }),
        BaseDir::Absent | BaseDir::MaybeRoot => None,
        BaseDir::Unknown => Some(Ownership::unknown()),
    };
    for ins in instructions {
        if matches!(
            state,
            Some(Ownership {
                owner: Owner::Unknown,
                ..
            })
        ) {
            return Ownership::unknown();
        }
        let Some(at) = df.state_at(ins.index, query.build_args) else {
            return Ownership::unknown();
        };
        match &ins.args {
            Args::Workdir { path } => {
                let Some(before) = at.workdir.value.clone() else {
                    return Ownership::unknown();
                };
                let Some(path) = at.expand(&path.value).known().map(str::to_string) else {
                    return Ownership::unknown();
                };
                let made = absolute(&before, &path);
                if state.is_none() && at_or_under(&made, &dir) {
                    state = Some(Ownership {
                        owner: current_user(&at, query),
                        decided_by: Decider::Instruction(ins.index),
                    });
                }
            }
            Args::Copy(c) | Args::Add(c) => {
                let Some(before) = at.workdir.value.clone() else {
                    return Ownership::unknown();
                };
                let Some(dest) = at.expand(&c.dest.value).known().map(str::to_string) else {
                    return Ownership::unknown();
                };
                let dest = absolute(&before, &dest);
                let creates = if at_or_under(&dest, &dir) {
                    // The destination and its missing parents.
                    Some(true)
                } else if at_or_under(&dir, &dest) {
                    (query.copies_below)(ins.index, &dir)
                } else {
                    Some(false)
                };
                if state.is_some() {
                    continue;
                }
                let owner = if ins.flag("chmod").is_some() {
                    Owner::Unknown
                } else {
                    match ins.flag("chown").and_then(|f| f.value.as_deref()) {
                        None => Owner::Root,
                        Some(chown) => match at.expand(chown).known() {
                            Some(u) => owner_named(u),
                            None => Owner::Unknown,
                        },
                    }
                };
                match creates {
                    Some(true) => {
                        state = Some(Ownership {
                            owner,
                            decided_by: Decider::Instruction(ins.index),
                        })
                    }
                    Some(false) => {}
                    None => return Ownership::unknown(),
                }
            }
            Args::Run { .. } => {
                for text in run_texts(ins) {
                    if text.contains("chown")
                        || text.contains("chmod")
                        || mentions_path(&text, &dir)
                    {
                        return Ownership {
                            owner: Owner::Unknown,
                            decided_by: Decider::Instruction(ins.index),
                        };
                    }
                    // useradd/adduser create home directories owned by the new user.
                    let adds_user = text.contains("useradd") || text.contains("adduser");
                    if adds_user && at_or_under(&dir, "/home") {
                        return Ownership::unknown();
                    }
                }
            }
            _ => {}
        }
    }
    match state {
        // Had the directory been in the base image, it would have kept root as its owner.
        Some(Ownership {
            owner: Owner::User(_),
            ..
        }) if base == BaseDir::MaybeRoot => Ownership::unknown(),
        Some(found) => found,
        None => Ownership::unknown(),
    }
}

/// The RUN (at or before `before`, in `stage`'s chain) that creates `user` with
/// useradd/adduser, if any.
pub fn user_created_by(df: &Dockerfile, stage: usize, user: &str) -> Option<usize> {
    let name = user.split(':').next()?;
    stage_chain_instructions(df, stage)?
        .into_iter()
        .find(|ins| {
            run_texts(ins).iter().any(|t| {
                (t.contains("useradd") || t.contains("adduser"))
                    && t.split(|c: char| c.is_whitespace() || c == ';' || c == '&')
                        .any(|w| w == name)
            })
        })
        .map(|ins| ins.index)
}

/// Whether a `--chown` or USER naming `user` resolves at instruction `at` of `stage`: numeric
/// ids and root always do, a name only after the RUN that creates it (`Some(false)` before it);
/// `None` when the Dockerfile never creates it (the base image may have it).
pub fn user_exists_at(df: &Dockerfile, stage: usize, user: &str, at: usize) -> Option<bool> {
    let name = user.split(':').next().unwrap_or(user);
    if name == "root" || (!name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())) {
        return Some(true);
    }
    let created = user_created_by(df, stage, user)?;
    Some(created < at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(text: &str, dir: &str, base: &[&str]) -> Ownership {
        let df = crate::dockerfile::parse(text).unwrap();
        let base: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        let has = move |d: &str| {
            if base.iter().any(|b| b == d) {
                BaseDir::Root
            } else if d.starts_with("/etc/") {
                BaseDir::MaybeRoot
            } else {
                BaseDir::Absent
            }
        };
        let below = |_: usize, _: &str| Some(true);
        let query = OwnerQuery {
            build_args: Some(&HashMap::new()),
            base_dir: &has,
            base_user: Some(None),
            copies_below: &below,
        };
        dir_owner(&df, df.stages.len() - 1, dir, &query)
    }

    const BASE: &[&str] = &["/", "/srv", "/home", "/usr", "/usr/local"];

    #[test]
    fn workdir_after_user_is_the_users() {
        let o = owner("FROM x\nUSER web\nWORKDIR /app/x\n", "/app", BASE);
        assert_eq!(o.owner, Owner::User("web".into()));
        assert_eq!(o.decided_by, Decider::Instruction(2));
    }

    #[test]
    fn copy_chown_into_an_existing_workdir_keeps_its_owner() {
        let o = owner(
            "FROM x\nWORKDIR /app\nCOPY --chown=web src/ ./\nUSER web\n",
            "/app",
            BASE,
        );
        assert_eq!(o.owner, Owner::Root);
        assert_eq!(o.decided_by, Decider::Instruction(1));
        let o = owner(
            "FROM x\nWORKDIR /app\nCOPY --chown=web src/ ./\n",
            "/app/sub",
            BASE,
        );
        assert_eq!(o.owner, Owner::User("web".into()));
        assert_eq!(o.decided_by, Decider::Instruction(2));
    }

    #[test]
    fn existing_base_directory_is_decided_by_the_base() {
        let o = owner("FROM x\nWORKDIR /srv\nCOPY --chown=web . .\n", "/srv", BASE);
        assert_eq!(o.owner, Owner::Root);
        assert_eq!(o.decided_by, Decider::BaseImage);
    }

    #[test]
    fn copy_creates_parents_with_its_chown() {
        let o = owner("FROM x\nCOPY --chown=web a /new/deep/\n", "/new", BASE);
        assert_eq!(o.owner, Owner::User("web".into()));
        let o = owner("FROM x\nCOPY a /new/deep/\n", "/new/deep", BASE);
        assert_eq!(o.owner, Owner::Root);
    }

    #[test]
    fn maybe_existing_directories_are_root_only_when_root_makes_them() {
        let o = owner("FROM x\nWORKDIR /etc/api\nUSER api\n", "/etc/api", BASE);
        assert_eq!(o.owner, Owner::Root);
        let o = owner("FROM x\nUSER api\nWORKDIR /etc/api\n", "/etc/api", BASE);
        assert_eq!(o.owner, Owner::Unknown);
    }

    #[test]
    fn run_touching_the_directory_makes_it_unknown() {
        let o = owner("FROM x\nWORKDIR /app\nRUN chown web /app\n", "/app", BASE);
        assert_eq!(o.owner, Owner::Unknown);
        let o = owner("FROM x\nRUN mkdir -p /app/x\nWORKDIR /app\n", "/app", BASE);
        assert_eq!(o.owner, Owner::Unknown);
    }

    #[test]
    fn parent_stage_instructions_count() {
        let o = owner(
            "FROM x AS base\nUSER web\nWORKDIR /app\nFROM base\nUSER root\nCOPY . /app/\n",
            "/app",
            BASE,
        );
        assert_eq!(o.owner, Owner::User("web".into()));
    }

    #[test]
    fn users_exist_after_their_creation() {
        let df = crate::dockerfile::parse(
            "FROM x\nCOPY a /a\nRUN useradd --create-home web\nUSER web\n",
        )
        .unwrap();
        assert_eq!(user_exists_at(&df, 0, "web", 1), Some(false));
        assert_eq!(user_exists_at(&df, 0, "web", 3), Some(true));
        assert_eq!(user_exists_at(&df, 0, "1000:1000", 1), Some(true));
        assert_eq!(user_exists_at(&df, 0, "other", 3), None);
    }
}
