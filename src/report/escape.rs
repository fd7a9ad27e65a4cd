//! Terminal-safe text: the human formats show strings that come from untrusted input (YAML keys
//! and values, Dockerfile lines, directory names, pod names, process arguments), and a raw
//! control character there would act on the reader's terminal (ESC sequences that clear the
//! screen, set the title or write the clipboard with OSC 52; CR that hides what came before; a
//! newline that forges another finding line). Every control character is shown escaped
//! instead, visibly and unambiguously: `\n`, `\r`, `\t`, `\x1b`, `\x9b`.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal raw: C0 controls, DEL and C1 controls.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// The visible form of one control character.
fn escaped(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `text` with every control character escaped (newlines included: the result is one line).
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_control(c) {
            escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether `text` holds a control character that [`terminal_safe_lines`] escapes, decided on
/// the UTF-8 bytes (this runs over whole source files): C0 controls other than a newline, a
/// tab or a CR before a newline; DEL; and C1 controls, which UTF-8 writes as `0xC2 0x80..=0x9F`.
fn needs_line_escapes(text: &[u8]) -> bool {
    text.iter().enumerate().any(|(i, &b)| match b {
        b'\n' | b'\t' => false,
        b'\r' => text.get(i + 1) != Some(&b'\n'),
        0x00..=0x1f | 0x7f => true,
        0xc2 => text
            .get(i + 1)
            .is_some_and(|next| (0x80..=0x9f).contains(next)),
        _ => false,
    })
}

/// Like [`terminal_safe`] but keeps line breaks (`\n`, and `\r` right before one) and tabs: for
/// multi-line text such as source snippets and help notes.
pub fn terminal_safe_lines(text: &str) -> Cow<'_, str> {
    let keep =
        |c: char, next: Option<char>| c == '\n' || c == '\t' || (c == '\r' && next == Some('\n'));
    if !needs_line_escapes(text.as_bytes()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_control(c) && !keep(c, chars.peek().copied()) {
            escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A source text made terminal-safe for snippets, with the map from the original byte offsets
/// to the escaped text's (escaping lengthens the text, so spans must move with it).
pub(crate) struct SafeSource {
    pub text: String,
    /// `(original offset, growth before it)` for each escaped character, in order.
    shifts: Vec<(usize, usize)>,
}

impl SafeSource {
    /// `None` when the text has nothing to escape.
    pub fn of(text: &str) -> Option<SafeSource> {
        if let Cow::Borrowed(_) = terminal_safe_lines(text) {
            return None;
        }
        let mut out = String::with_capacity(text.len() + 16);
        let mut shifts = Vec::new();
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            let next = chars.peek().map(|&(_, n)| n);
            let keep = c == '\n' || c == '\t' || (c == '\r' && next == Some('\n'));
            if is_control(c) && !keep {
                let before = out.len();
                escaped(c, &mut out);
                let grown = (out.len() - before) - c.len_utf8();
                let total = shifts.last().map_or(0, |&(_, g)| g) + grown;
                // Offsets after this character move by `total`.
                shifts.push((at + c.len_utf8(), total));
            } else {
                out.push(c);
            }
        }
        Some(SafeSource { text: out, shifts })
    }

    /// Where an original offset lands in the escaped text.
    pub fn offset(&self, original: usize) -> usize {
        let i = self.shifts.partition_point(|&(at, _)| at <= original);
        original + if i == 0 { 0 } else { self.shifts[i - 1].1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_visibly() {
        assert_eq!(terminal_safe("plain"), "plain");
        assert_eq!(
            terminal_safe("a\x1b]52;c;aGk=\x07b\r\nc\u{9b}2J\x7f"),
            "a\\x1b]52;c;aGk=\\x07b\\r\\nc\\x9b2J\\x7f"
        );
        assert_eq!(
            terminal_safe_lines("x\r\ny\x1b[2J\tz\rw"),
            "x\r\ny\\x1b[2J\tz\\rw"
        );
    }

    #[test]
    fn the_byte_scan_finds_exactly_the_characters_to_escape() {
        // Every character of the first 0x200 code points, alone and before a newline.
        for code in 0..0x200u32 {
            let c = char::from_u32(code).unwrap();
            for text in [format!("a{c}b"), format!("a{c}\n"), format!("{c}")] {
                let by_chars = {
                    let mut chars = text.chars().peekable();
                    let mut needs = false;
                    while let Some(c) = chars.next() {
                        let next = chars.peek().copied();
                        let keep = c == '\n' || c == '\t' || (c == '\r' && next == Some('\n'));
                        needs |= is_control(c) && !keep;
                    }
                    needs
                };
                assert_eq!(needs_line_escapes(text.as_bytes()), by_chars, "{text:?}");
            }
        }
        assert!(!needs_line_escapes("é ü € 𝄞 ¡\r\n".as_bytes()));
        assert!(needs_line_escapes("x\r".as_bytes()));
    }

    #[test]
    fn source_offsets_follow_the_escapes() {
        let text = "key\x1b: v\nnext\x07: w\n";
        let safe = SafeSource::of(text).unwrap();
        assert_eq!(safe.text, "key\\x1b: v\nnext\\x07: w\n");
        let v = text.find('v').unwrap();
        assert_eq!(&safe.text[safe.offset(v)..safe.offset(v) + 1], "v");
        let w = text.find('w').unwrap();
        assert_eq!(&safe.text[safe.offset(w)..safe.offset(w) + 1], "w");
        assert_eq!(safe.offset(0), 0);
        assert!(SafeSource::of("clean\n").is_none());
    }
}
