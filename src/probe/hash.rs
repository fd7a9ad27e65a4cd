//! The local side of the sync drift check: which local files a `sync.manual` rule maps to
//! which container paths (Skaffold's mapping: dest + path relative to the context with the
//! `strip` prefix removed; a relative dest is taken against the container's working dir), and
//! their SHA-256. The context is walked and hashed once per artifact, before any pod is
//! probed; each pod only maps the result to its own container paths.

use super::SyncRule;
use globset::{GlobBuilder, GlobSetBuilder};
use sha2::{Digest, Sha256};
use std::path::Path;

/// At most this many files are compared per container, so a huge context stays cheap.
pub const MAX_FILES: usize = 200;

/// A context file some sync rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// Relative to the context, `/`-separated.
    pub rel: String,
    /// The indices of the rules matching it, in rule order.
    pub rules: Vec<usize>,
    pub sha256: String,
}

/// Every synced file of one artifact's context, hashed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalFiles {
    pub files: Vec<LocalFile>,
}

/// A file to hash in the container: `arg` is what the container is asked for, either the
/// absolute container path or, for a relative dest when the pod spec names no working dir, a
/// path relative to PID 1's working directory (resolved in the container).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub local: String,
    pub arg: String,
    pub sha256: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lists the context's files (relative, `/`-separated), skipping VCS and cache dirs. Symlinks
/// are not followed: a link leading out of the context is not read.
fn walk(dir: &Path, rel: &str, out: &mut Vec<String>, budget: &mut usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if *budget == 0 {
            return;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if matches!(
            name.as_str(),
            ".git" | "__pycache__" | "node_modules" | ".venv"
        ) {
            continue;
        }
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&entry.path(), &path, out, budget);
        } else if kind.is_file() {
            *budget -= 1;
            out.push(path);
        }
    }
}

/// The container path for a matched file; `None` for a relative dest when the working dir
/// is unknown.
pub fn container_path(rule: &SyncRule, rel: &str, workdir: Option<&str>) -> Option<String> {
    let dest = if rule.dest.starts_with('/') {
        rule.dest.clone()
    } else {
        format!("{}/{}", workdir?, rule.dest)
    };
    let stripped = rel.strip_prefix(rule.strip.as_str()).unwrap_or(rel);
    Some(super::procs::normalize(&format!("{dest}/{stripped}")))
}

/// Walks `context` once and hashes every file a rule matches, with all globs compiled into
/// one set. Blocking: callers run it off the async threads.
pub fn local_files(context: &Path, rules: &[SyncRule]) -> LocalFiles {
    let mut builder = GlobSetBuilder::new();
    // The set numbers only the globs that compiled; this maps them back to rules.
    let mut rule_of_glob = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if let Ok(glob) = GlobBuilder::new(&rule.src).literal_separator(true).build() {
            builder.add(glob);
            rule_of_glob.push(i);
        }
    }
    let set = match builder.build() {
        Ok(set) if !set.is_empty() => set,
        _ => return LocalFiles::default(),
    };
    let mut paths = Vec::new();
    let mut budget = 20_000;
    walk(context, "", &mut paths, &mut budget);
    let mut files = Vec::new();
    let mut matched = Vec::new();
    for rel in paths {
        set.matches_into(&rel, &mut matched);
        if matched.is_empty() {
            continue;
        }
        let mut rules: Vec<usize> = matched.iter().map(|&g| rule_of_glob[g]).collect();
        rules.sort_unstable();
        // Regular files of bounded size only, like every other read of the project.
        let Ok(bytes) = crate::project::read_regular_file(&context.join(&rel)) else {
            continue;
        };
        files.push(LocalFile {
            rel,
            rules,
            sha256: sha256_hex(&bytes),
        });
        if files.len() >= MAX_FILES {
            break;
        }
    }
    LocalFiles { files }
}

/// Names a line-oriented hasher cannot print unambiguously (sha256sum escapes them); they are
/// not compared rather than reported missing.
fn printable(path: &str) -> bool {
    !path.contains(['\n', '\\', '\u{1e}'])
}

/// What to ask a container for, before its working directory is known: the first rule per
/// file wins; a relative dest is resolved against `pod_workdir` (the pod spec's workingDir)
/// or left relative for the container to resolve against PID 1's working directory.
pub fn plan(local: &LocalFiles, rules: &[SyncRule], pod_workdir: Option<&str>) -> Vec<Planned> {
    local
        .files
        .iter()
        .filter_map(|file| {
            let rule = rules.get(*file.rules.first()?)?;
            let arg = match container_path(rule, &file.rel, pod_workdir) {
                Some(path) => path,
                None => {
                    let stripped = file
                        .rel
                        .strip_prefix(rule.strip.as_str())
                        .unwrap_or(&file.rel);
                    format!("{}/{stripped}", rule.dest)
                }
            };
            printable(&arg).then(|| Planned {
                local: file.rel.clone(),
                arg,
                sha256: file.sha256.clone(),
            })
        })
        .collect()
}

/// Where a planned file is in the container once the working directory is known; `None` for a
/// relative one when it is not.
pub fn resolve(planned: &Planned, workdir: Option<&str>) -> Option<String> {
    if planned.arg.starts_with('/') {
        Some(planned.arg.clone())
    } else {
        Some(super::procs::normalize(&format!(
            "{}/{}",
            workdir?, planned.arg
        )))
    }
}

/// Parses `sha256sum` output (`HEX  path`, same in coreutils and busybox; a leading `\` marks
/// escaped names, which are skipped).
pub fn parse_sha256sum(stdout: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| {
            let (hex, path) = l.split_once("  ").or_else(|| l.split_once(" *"))?;
            (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| (path.to_string(), hex.to_ascii_lowercase()))
        })
        .collect()
}

/// A python fallback printing the same format as `sha256sum`; paths come as arguments.
pub const PY_HASHER: &str = r#"# skafix-probe-lister
import sys,hashlib
for p in sys.argv[1:]:
    try:
        with open(p,"rb") as f:
            print(hashlib.sha256(f.read()).hexdigest()+"  "+p)
    except Exception:
        pass
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(src: &str, dest: &str, strip: &str) -> SyncRule {
        SyncRule {
            src: src.into(),
            dest: dest.into(),
            strip: strip.into(),
        }
    }

    #[test]
    fn mapping_follows_skaffold() {
        assert_eq!(
            container_path(&rule("src/**/*.py", "/app", "src/"), "src/pkg/a.py", None),
            Some("/app/pkg/a.py".into())
        );
        assert_eq!(
            container_path(&rule("*.py", ".", ""), "main.py", Some("/srv")),
            Some("/srv/main.py".into())
        );
        assert_eq!(
            container_path(&rule("*.py", ".", ""), "main.py", None),
            None
        );
    }

    #[test]
    fn local_files_match_globs_once_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/pkg")).unwrap();
        std::fs::write(dir.path().join("src/pkg/a.py"), "x = 1\n").unwrap();
        std::fs::write(dir.path().join("src/b.txt"), "b").unwrap();
        std::fs::write(dir.path().join("top.py"), "t").unwrap();
        let rules = [
            rule("[", "/bad", ""),
            rule("src/**/*.py", "/app", "src/"),
            rule("**/*.py", "rel", ""),
        ];
        let local = local_files(dir.path(), &rules);
        assert_eq!(
            local.files,
            vec![
                LocalFile {
                    rel: "src/pkg/a.py".into(),
                    rules: vec![1, 2],
                    sha256: sha256_hex(b"x = 1\n"),
                },
                LocalFile {
                    rel: "top.py".into(),
                    rules: vec![2],
                    sha256: sha256_hex(b"t"),
                },
            ]
        );
        // Without a pod working dir the relative dest is left to the container.
        let planned = plan(&local, &rules, None);
        let args: Vec<&str> = planned.iter().map(|p| p.arg.as_str()).collect();
        assert_eq!(args, vec!["/app/pkg/a.py", "rel/top.py"]);
        assert_eq!(
            resolve(&planned[1], Some("/srv")),
            Some("/srv/rel/top.py".into())
        );
        assert_eq!(resolve(&planned[1], None), None);
        let planned = plan(&local, &rules, Some("/w"));
        assert_eq!(planned[1].arg, "/w/rel/top.py");
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn names_a_hasher_cannot_print_are_not_planned() {
        let local = LocalFiles {
            files: vec![LocalFile {
                rel: "a\nb.py".into(),
                rules: vec![0],
                sha256: String::new(),
            }],
        };
        assert_eq!(plan(&local, &[rule("*.py", "/app", "")], None), vec![]);
    }

    #[test]
    fn sha256sum_lines() {
        let out = b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /app/a b.py\nsha256sum: /app/x: No such file or directory\n";
        assert_eq!(
            parse_sha256sum(out),
            vec![(
                "/app/a b.py".to_string(),
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string()
            )]
        );
    }
}
