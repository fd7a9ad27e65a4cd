//! The local side of the sync drift check: which local files a `sync.manual` rule maps to
//! which container paths (Skaffold's mapping: dest + path relative to the context with the
//! `strip` prefix removed; a relative dest is taken against the container's working dir), and
//! their SHA-256.

use super::SyncRule;
use globset::GlobBuilder;
use sha2::{Digest, Sha256};
use std::path::Path;

/// At most this many files are compared per container, so a huge context stays cheap.
pub const MAX_FILES: usize = 200;

/// A local file and where Skaffold would put it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub local: String,
    pub container: String,
    pub sha256: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lists the context's files (relative, `/`-separated), skipping VCS and cache dirs.
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

/// Every (local file, container path, hash) the rules produce, first rule winning per file.
pub fn expected(context: &Path, rules: &[SyncRule], workdir: Option<&str>) -> Vec<Expected> {
    let mut files = Vec::new();
    let mut budget = 20_000;
    walk(context, "", &mut files, &mut budget);
    let mut out: Vec<Expected> = Vec::new();
    for rel in files {
        for rule in rules {
            let Ok(glob) = GlobBuilder::new(&rule.src).literal_separator(true).build() else {
                continue;
            };
            if !glob.compile_matcher().is_match(&rel) {
                continue;
            }
            let Some(container) = container_path(rule, &rel, workdir) else {
                continue;
            };
            // Regular files of bounded size only, like every other read of the project.
            let Ok(bytes) = crate::project::read_regular_file(&context.join(&rel)) else {
                continue;
            };
            out.push(Expected {
                local: rel.clone(),
                container,
                sha256: sha256_hex(&bytes),
            });
            break;
        }
        if out.len() >= MAX_FILES {
            break;
        }
    }
    out
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
    fn expected_matches_globs_and_hashes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("src/pkg")).unwrap();
        std::fs::write(dir.path().join("src/pkg/a.py"), "x = 1\n").unwrap();
        std::fs::write(dir.path().join("src/b.txt"), "b").unwrap();
        std::fs::write(dir.path().join("top.py"), "t").unwrap();
        let got = expected(dir.path(), &[rule("src/**/*.py", "/app", "src/")], None);
        assert_eq!(
            got,
            vec![Expected {
                local: "src/pkg/a.py".into(),
                container: "/app/pkg/a.py".into(),
                sha256: sha256_hex(b"x = 1\n"),
            }]
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
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
