//! Unified diffs of fixed files, for `skafix fix --diff` (git's `a/` and `b/` header style, three
//! lines of context).

use similar::TextDiff;
use std::path::{Component, Path};

/// The unified diff turning `old` into `new`, or an empty string when they are equal.
pub fn unified_diff(path: &Path, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let shown = header_path(path);
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{shown}"), &format!("b/{shown}"))
        .to_string()
}

/// The path with `/` separators and without a leading root, so `a/` and `b/` prefix it cleanly.
fn header_path(path: &Path) -> String {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_has_git_style_headers_and_hunks() {
        let old = "a\nb\nc\n";
        let new = "a\nB\nc\n";
        assert_eq!(
            unified_diff(Path::new("./app/skaffold.yaml"), old, new),
            "--- a/app/skaffold.yaml\n+++ b/app/skaffold.yaml\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }

    #[test]
    fn equal_texts_give_no_diff() {
        assert_eq!(unified_diff(Path::new("x"), "same\n", "same\n"), "");
    }

    #[test]
    fn absolute_paths_lose_their_root_in_headers() {
        let diff = unified_diff(Path::new("/srv/p/skaffold.yaml"), "x\n", "y\n");
        assert!(diff.starts_with("--- a/srv/p/skaffold.yaml\n+++ b/srv/p/skaffold.yaml\n"));
    }

    #[test]
    fn a_missing_final_newline_is_marked() {
        let diff = unified_diff(Path::new("f"), "x", "y");
        assert_eq!(
            diff,
            "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n\\ No newline at end of file\n"
        );
    }
}
