//! Low-level text helpers for the Dockerfile adapter: joining an instruction's physical lines
//! into buildkit's logical line while remembering where every byte came from, and buildkit's
//! quote-aware word splitting used by ENV, LABEL and ARG.

use std::ops::Range;

/// Text with line continuations removed, plus the source offset of every byte of it, so words
/// found in the joined text can be given exact spans in the file.
#[derive(Debug, Clone, Default)]
pub(crate) struct Logical {
    pub text: String,
    /// `offsets[i]` is the source offset of `text.as_bytes()[i]`.
    offsets: Vec<usize>,
    /// Source offset just past the joined range, used for empty trailing ranges.
    end: usize,
}

impl Logical {
    /// Source range of the joined-text byte range `range`.
    pub fn source_range(&self, range: Range<usize>) -> Range<usize> {
        if range.start >= self.offsets.len() {
            return self.end..self.end;
        }
        let start = self.offsets[range.start];
        if range.end <= range.start {
            return start..start;
        }
        start..self.offsets[range.end - 1] + 1
    }
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\x0B' | b'\x0C')
}

/// If `at` holds the escape byte that starts a line continuation (escape, optional spaces or
/// tabs, newline or end of text), returns the offset just past that newline.
fn continuation_end(bytes: &[u8], at: usize, escape: u8) -> Option<usize> {
    if bytes.get(at) != Some(&escape) {
        return None;
    }
    let mut i = at + 1;
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if bytes.get(i) == Some(&b'\r') {
        i += 1;
    }
    match bytes.get(i) {
        Some(b'\n') => Some(i + 1),
        // buildkit also drops an escape on the last line of the file.
        None => Some(i),
        _ => None,
    }
}

/// After a continuation, buildkit (and parse-dockerfile) skip blank lines and comment lines
/// without ending the instruction.
fn skip_ignored_lines(bytes: &[u8], mut at: usize, limit: usize) -> usize {
    loop {
        let mut i = at;
        while i < limit && is_blank(bytes[i]) {
            i += 1;
        }
        if i >= limit {
            return at;
        }
        match bytes[i] {
            b'\n' => at = i + 1,
            b'#' => {
                while i < limit && bytes[i] != b'\n' {
                    i += 1;
                }
                if i >= limit {
                    return i;
                }
                at = i + 1;
            }
            _ => return at,
        }
    }
}

/// Joins the physical lines of `range` in `src` the way buildkit builds a logical line:
/// each continuation (escape + optional blanks + newline) is removed together with any
/// blank or comment lines that follow it; everything else is kept byte for byte.
pub(crate) fn join(src: &str, range: Range<usize>, escape: u8) -> Logical {
    let bytes = src.as_bytes();
    let limit = range.end.min(bytes.len());
    let mut text = Vec::with_capacity(limit.saturating_sub(range.start));
    let mut offsets = Vec::with_capacity(text.capacity());
    let mut i = range.start;
    while i < limit {
        if let Some(next) = continuation_end(bytes, i, escape) {
            i = skip_ignored_lines(bytes, next, limit);
            continue;
        }
        text.push(bytes[i]);
        offsets.push(i);
        i += 1;
    }
    // Removing whole ASCII sequences (escape, blanks, newlines, comment lines) keeps the rest
    // valid UTF-8; the lossy conversion only guards against an impossible case.
    let text = String::from_utf8(text)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    Logical {
        text,
        offsets,
        end: limit,
    }
}

/// buildkit's `parseWords`: splits on whitespace outside quotes; quotes and escapes are kept
/// in the word (they are removed later, when the word is expanded), except that an escape at
/// the very end of the text is dropped. Returns byte ranges into `text`.
pub(crate) fn split_words(text: &str, escape: char) -> Vec<Range<usize>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut words = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].1.is_whitespace() {
            i += 1;
            continue;
        }
        let start = chars[i].0;
        let mut end = start;
        let mut quote: Option<char> = None;
        let mut blank_ok = false;
        while i < chars.len() {
            let ch = chars[i].1;
            let last = i + 1 == chars.len();
            match quote {
                None => {
                    if ch.is_whitespace() {
                        break;
                    }
                    if ch == '\'' || ch == '"' {
                        quote = Some(ch);
                        blank_ok = true;
                    } else if ch == escape {
                        if last {
                            i += 1;
                            continue;
                        }
                        i += 1;
                    }
                }
                Some(q) => {
                    if ch == q {
                        quote = None;
                    } else if ch == escape && q != '\'' {
                        if last {
                            i += 1;
                            continue;
                        }
                        i += 1;
                    }
                }
            }
            end = chars[i].0 + chars[i].1.len_utf8();
            i += 1;
        }
        if end > start || blank_ok {
            words.push(start..end);
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_removes_continuations_comments_and_blank_lines() {
        let src = "RUN a \\\n# note\n\n  b \\  \r\n  c";
        let l = join(src, 4..src.len(), b'\\');
        assert_eq!(l.text, "a   b   c");
        let b = l.text.find('b').unwrap();
        assert_eq!(l.source_range(b..b + 1), 18..19);
        assert_eq!(&src[l.source_range(0..l.text.len())], &src[4..]);
    }

    #[test]
    fn join_honours_backtick_escape() {
        let src = "a `\nb";
        assert_eq!(join(src, 0..src.len(), b'`').text, "a b");
        assert_eq!(join(src, 0..src.len(), b'\\').text, "a `\nb");
    }

    #[test]
    fn split_words_keeps_quotes_and_escapes() {
        let text = r#"A="x y" B=c\ d  'e f'"#;
        let words: Vec<&str> = split_words(text, '\\')
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(words, vec![r#"A="x y""#, r"B=c\ d", "'e f'"]);
    }

    #[test]
    fn split_words_keeps_empty_quoted_word() {
        let text = r#"A="" """#;
        let words: Vec<&str> = split_words(text, '\\')
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(words, vec![r#"A="""#, r#""""#]);
    }
}
