//! Splicing edits into a text, and choosing which fixes of one pass can be applied together.
//!
//! Edits are applied to the original bytes: nothing is re-serialised, so comments, quoting and
//! indentation outside the replaced ranges survive byte for byte.

use crate::diagnostic::{Edit, Fix};
use std::collections::BTreeMap;
use std::path::Path;

const BOM: &str = "\u{feff}";

/// Why a set of edits cannot be applied to a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditError {
    /// The range is past the end of the text or reversed.
    OutOfBounds {
        start: usize,
        end: usize,
        len: usize,
    },
    /// The range cuts a UTF-8 character in two.
    NotCharBoundary { offset: usize },
    /// Two edits of the same file overlap (or touch at one point).
    Overlap {
        first: (usize, usize),
        second: (usize, usize),
    },
}

impl std::fmt::Display for EditError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EditError::OutOfBounds { start, end, len } => {
                write!(
                    f,
                    "edit range {start}..{end} is outside the file ({len} bytes)"
                )
            }
            EditError::NotCharBoundary { offset } => {
                write!(f, "edit offset {offset} is inside a UTF-8 character")
            }
            EditError::Overlap { first, second } => write!(
                f,
                "edits {}..{} and {}..{} overlap",
                first.0, first.1, second.0, second.1
            ),
        }
    }
}

impl std::error::Error for EditError {}

/// Whether the text's lines end in CRLF, judged by its first line break.
pub fn uses_crlf(text: &str) -> bool {
    text.find('\n')
        .is_some_and(|at| at > 0 && text.as_bytes()[at - 1] == b'\r')
}

/// Replacement text in the file's line-ending style: rules write `\n`, a CRLF file gets `\r\n`.
pub fn with_line_endings(content: &str, crlf: bool) -> String {
    if !crlf || !content.contains('\n') {
        return content.to_string();
    }
    let mut out = String::with_capacity(content.len() + 8);
    let mut previous = '\0';
    for c in content.chars() {
        if c == '\n' && previous != '\r' {
            out.push('\r');
        }
        out.push(c);
        previous = c;
    }
    out
}

/// Checks that an edit's range fits the text and falls on character boundaries.
pub fn validate_edit(text: &str, edit: &Edit) -> Result<(), EditError> {
    if edit.start > edit.end || edit.end > text.len() {
        return Err(EditError::OutOfBounds {
            start: edit.start,
            end: edit.end,
            len: text.len(),
        });
    }
    for offset in [edit.start, edit.end] {
        if !text.is_char_boundary(offset) {
            return Err(EditError::NotCharBoundary { offset });
        }
    }
    Ok(())
}

/// Two ranges conflict when they overlap or touch: the order of two insertions at one point,
/// or of an insertion next to a replacement, is ambiguous (ruff defers such fixes too).
fn conflicts(a: &Edit, b: &Edit) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// Applies edits of one file to its text. The `path` of each edit is not looked at. Identical
/// edits are applied once; other overlapping or touching edits are an error. Bare `\n` in the
/// replacement becomes `\r\n` in a CRLF file, and a leading UTF-8 BOM is kept.
pub fn apply_edits(text: &str, edits: &[Edit]) -> Result<String, EditError> {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by(|a, b| (a.start, a.end, &a.content).cmp(&(b.start, b.end, &b.content)));
    sorted.dedup_by(|b, a| a.start == b.start && a.end == b.end && a.content == b.content);
    for edit in &sorted {
        validate_edit(text, edit)?;
    }
    for pair in sorted.windows(2) {
        if conflicts(pair[0], pair[1]) {
            return Err(EditError::Overlap {
                first: (pair[0].start, pair[0].end),
                second: (pair[1].start, pair[1].end),
            });
        }
    }
    let crlf = uses_crlf(text);
    let mut out = String::with_capacity(text.len() + 64);
    let mut copied = 0;
    for edit in sorted {
        out.push_str(&text[copied..edit.start]);
        out.push_str(&with_line_endings(&edit.content, crlf));
        copied = edit.end;
    }
    out.push_str(&text[copied..]);
    if text.starts_with(BOM) && !out.starts_with(BOM) {
        out.insert_str(0, BOM);
    }
    Ok(out)
}

/// Chooses the fixes one pass applies: by position (the first edit's path, then its start),
/// skipping any fix with an edit that overlaps or touches an edit already taken in the same
/// file (it is picked up by a later pass, against fresh offsets). A fix with edits in several
/// files is taken whole or not at all. Returns indices into `fixes`, in application order.
pub fn select_non_overlapping(fixes: &[&Fix]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..fixes.len()).collect();
    order.sort_by_key(|&i| position_key(fixes[i]));
    let mut taken_edits: BTreeMap<&Path, Vec<&Edit>> = BTreeMap::new();
    let mut taken = Vec::new();
    'fixes: for i in order {
        let fix = fixes[i];
        if fix.edits.is_empty() {
            continue;
        }
        for (a, edit) in fix.edits.iter().enumerate() {
            // A fix whose own edits conflict cannot be applied at all.
            let self_conflict = fix.edits[a + 1..]
                .iter()
                .any(|other| other.path == edit.path && other != edit && conflicts(edit, other));
            if self_conflict {
                continue 'fixes;
            }
            if let Some(existing) = taken_edits.get(edit.path.as_path()) {
                if existing
                    .iter()
                    .any(|other| *other != edit && conflicts(edit, other))
                {
                    continue 'fixes;
                }
            }
        }
        for edit in &fix.edits {
            taken_edits
                .entry(edit.path.as_path())
                .or_default()
                .push(edit);
        }
        taken.push(i);
    }
    taken
}

fn position_key(fix: &Fix) -> (Option<(&Path, usize, usize)>, &str) {
    let first = fix
        .edits
        .iter()
        .map(|e| (e.path.as_path(), e.start, e.end))
        .min();
    (first, fix.message.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Applicability;
    use std::path::PathBuf;

    fn edit(start: usize, end: usize, content: &str) -> Edit {
        edit_in("a.yaml", start, end, content)
    }

    fn edit_in(path: &str, start: usize, end: usize, content: &str) -> Edit {
        Edit {
            path: PathBuf::from(path),
            start,
            end,
            content: content.to_string(),
        }
    }

    fn fix(message: &str, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Safe,
            message: message.to_string(),
            edits,
        }
    }

    #[test]
    fn splices_replacements_insertions_and_deletions() {
        let text = "a: 1 # keep\nb: 2\nc: 3\n";
        let out = apply_edits(
            text,
            &[edit(3, 4, "10"), edit(17, 22, ""), edit(12, 12, "z: 0\n")],
        )
        .unwrap();
        assert_eq!(out, "a: 10 # keep\nz: 0\nb: 2\n");
    }

    #[test]
    fn edits_are_applied_whatever_their_order() {
        let text = "x y z";
        let out = apply_edits(text, &[edit(4, 5, "Z"), edit(0, 1, "X")]).unwrap();
        assert_eq!(out, "X y Z");
    }

    #[test]
    fn identical_edits_are_applied_once() {
        let out = apply_edits("ab", &[edit(1, 1, "-"), edit(1, 1, "-")]).unwrap();
        assert_eq!(out, "a-b");
    }

    #[test]
    fn overlapping_or_touching_edits_are_refused() {
        assert_eq!(
            apply_edits("abcdef", &[edit(0, 3, "x"), edit(2, 4, "y")]),
            Err(EditError::Overlap {
                first: (0, 3),
                second: (2, 4)
            })
        );
        assert_eq!(
            apply_edits("abcdef", &[edit(2, 2, "x"), edit(2, 2, "y")]),
            Err(EditError::Overlap {
                first: (2, 2),
                second: (2, 2)
            })
        );
    }

    #[test]
    fn bad_ranges_are_errors_not_panics() {
        assert_eq!(
            apply_edits("abc", &[edit(2, 9, "")]),
            Err(EditError::OutOfBounds {
                start: 2,
                end: 9,
                len: 3
            })
        );
        assert_eq!(
            apply_edits("abc", &[edit(3, 2, "")]),
            Err(EditError::OutOfBounds {
                start: 3,
                end: 2,
                len: 3
            })
        );
        assert_eq!(
            apply_edits("é", &[edit(1, 2, "")]),
            Err(EditError::NotCharBoundary { offset: 1 })
        );
    }

    #[test]
    fn crlf_files_get_crlf_in_inserted_text() {
        let text = "a: 1\r\nb: 2\r\n";
        let out = apply_edits(text, &[edit(6, 6, "x: 1\ny: 2\r\n")]).unwrap();
        assert_eq!(out, "a: 1\r\nx: 1\r\ny: 2\r\nb: 2\r\n");
        // An LF file is left alone.
        let out = apply_edits("a\nb\n", &[edit(2, 2, "x\r\ny\n")]).unwrap();
        assert_eq!(out, "a\nx\r\ny\nb\n");
    }

    #[test]
    fn line_ending_detection_uses_the_first_break() {
        assert!(uses_crlf("a\r\nb\n"));
        assert!(!uses_crlf("a\nb\r\n"));
        assert!(!uses_crlf("no break"));
        assert!(!uses_crlf("\n"));
    }

    #[test]
    fn bom_survives_an_edit_at_the_start() {
        let text = "\u{feff}a: 1\n";
        let out = apply_edits(text, &[edit(0, 4, "b")]).unwrap();
        assert_eq!(out, "\u{feff}b: 1\n");
        let out = apply_edits(text, &[edit(3, 4, "c")]).unwrap();
        assert_eq!(out, "\u{feff}c: 1\n");
    }

    #[test]
    fn selection_takes_fixes_in_position_order_and_defers_overlaps() {
        let late = fix("late", vec![edit(20, 25, "x")]);
        let early = fix("early", vec![edit(0, 5, "x")]);
        let overlapping = fix("overlapping", vec![edit(3, 8, "y")]);
        let touching = fix("touching", vec![edit(25, 25, "z")]);
        let fixes = [&late, &early, &overlapping, &touching];
        assert_eq!(select_non_overlapping(&fixes), vec![1, 0]);
    }

    #[test]
    fn selection_allows_a_shared_identical_edit() {
        let a = fix("a", vec![edit(0, 1, "x"), edit(10, 10, "shared")]);
        let b = fix("b", vec![edit(10, 10, "shared"), edit(20, 21, "y")]);
        assert_eq!(select_non_overlapping(&[&a, &b]), vec![0, 1]);
    }

    #[test]
    fn multi_file_fix_is_taken_whole_or_not_at_all() {
        let first = fix("first", vec![edit_in("b.yaml", 5, 6, "x")]);
        let both = fix(
            "both",
            vec![edit_in("a.yaml", 0, 1, "x"), edit_in("b.yaml", 5, 7, "y")],
        );
        let other = fix("other", vec![edit_in("a.yaml", 0, 1, "q")]);
        // `both` sorts first (a.yaml) and is taken; `first` overlaps it in b.yaml, `other` in a.yaml.
        assert_eq!(select_non_overlapping(&[&first, &both, &other]), vec![1]);
        let blocker = fix("blocker", vec![edit_in("a.yaml", 0, 0, "q")]);
        let later = fix("later", vec![edit_in("c.yaml", 0, 1, "z")]);
        assert_eq!(
            select_non_overlapping(&[&both, &blocker, &later]),
            vec![1, 2]
        );
    }

    #[test]
    fn a_fix_whose_own_edits_conflict_is_never_taken() {
        let broken = fix("broken", vec![edit(0, 4, "x"), edit(2, 6, "y")]);
        let fine = fix("fine", vec![edit(10, 11, "z")]);
        assert_eq!(select_non_overlapping(&[&broken, &fine]), vec![1]);
    }
}
