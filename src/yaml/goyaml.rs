//! Where Skaffold's YAML library (go-yaml v3) accepts text that YAML 1.2, and so
//! saphyr-parser, rejects: go-yaml's scanner does not check indentation inside flow collections
//! at all (`scannerc.go`, `yaml_parser_unroll_indent` returns at once when `flow_level > 0`, and
//! `yaml_parser_scan_plain_scalar` checks the column only when `flow_level == 0`). So
//!
//! ```yaml
//! command: ["sh", "-c",
//!   "kill -HUP 1"
//! ]
//! ```
//!
//! loads in Skaffold although its `]` sits at the key's column. When saphyr rejects a text,
//! [`flow_reindent`] indents every line that starts inside a flow collection past the block
//! indentation around it; leading blanks of such lines are never part of a value (flow scalars
//! fold them away), so the documents are the same, and every span is mapped back to the
//! original text.
//!
//! go-yaml also differs on tabs after block indicators (`scannerc.go`,
//! `yaml_parser_scan_to_next_token` skips a tab in block context only while a simple key is
//! not allowed): `key:\tvalue` loads, `-\tvalue` does not, where YAML 1.2 says the reverse
//! of the first and saphyr agrees with it. It rejects control characters anywhere in the text
//! (`readerc.go`, "control characters are not allowed") and a `%YAML` directive other than
//! 1.1 (`parserc.go`, "found incompatible YAML document"). [`rejected`] reports what go-yaml
//! rejects and saphyr accepts; [`colon_tabs_to_spaces`] makes saphyr accept what go-yaml
//! accepts. docs/yaml-differences.md lists every known difference.

use super::YamlError;
use crate::source::Span;

/// What go-yaml v3 rejects although YAML 1.2 (saphyr) accepts it: a control character, a
/// `%YAML` directive other than 1.1, a tab in the blanks after a block sequence's `-`.
pub(super) fn rejected(text: &str) -> Option<YamlError> {
    // Most texts are ASCII: one byte scan decides; only other texts need decoding.
    let bad_ascii = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7F;
    let suspect = text.bytes().any(|b| bad_ascii(b) || !b.is_ascii());
    if let Some((at, c)) = suspect
        .then(|| text.char_indices().find(|&(_, c)| !go_yaml_printable(c)))
        .flatten()
    {
        return Some(YamlError {
            message: format!(
                "control character U+{:04X}: Skaffold's YAML library (go-yaml v3) rejects the file (\"control characters are not allowed\")",
                c as u32
            ),
            span: Span::new(at, at + c.len_utf8()),
        });
    }
    let mut offset = 0;
    let directives = if text.contains("%YAML") { text } else { "" };
    for line in directives.split_inclusive('\n') {
        if let Some(version) = line.strip_prefix("%YAML") {
            let version = version.split('#').next().unwrap_or("").trim();
            if version != "1.1" {
                return Some(YamlError {
                    message: format!(
                        "`%YAML {version}`: Skaffold's YAML library (go-yaml v3) reads only YAML 1.1 documents and rejects the file (\"found incompatible YAML document\"); remove the directive"
                    ),
                    span: Span::new(offset, offset + line.trim_end().len()),
                });
            }
        }
        offset += line.len();
    }
    if let Some(error) = bare_document_after_end(text) {
        return Some(error);
    }
    if !text.contains('\t') {
        return None;
    }
    let at = block_tabs(text).after_dash.first().copied()?;
    Some(YamlError {
        message: "a tab after a sequence entry's `-`: Skaffold's YAML library (go-yaml v3) rejects the file (\"found character that cannot start any token\"); use spaces".into(),
        span: Span::new(at, at + 1),
    })
}

/// Content after a `...` document end that does not start with `---`: go-yaml lets only the
/// first document of a stream start without `---` (`parserc.go`,
/// `yaml_parser_parse_document_start` is called with `implicit` only for the first), "did not
/// find expected <document start>"; YAML 1.2 allows a bare document there.
fn bare_document_after_end(text: &str) -> Option<YamlError> {
    if !text.contains("\n...") && !text.starts_with("...") {
        return None;
    }
    let mut ended = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let is_marker = |marker: &str| {
            line.strip_prefix(marker)
                .is_some_and(|rest| rest.trim().is_empty() || rest.starts_with([' ', '\t']))
        };
        let content = line.trim();
        if is_marker("...") {
            ended = true;
        } else if is_marker("---") || line.starts_with('%') {
            ended = false;
        } else if ended && !content.is_empty() && !content.starts_with('#') {
            return Some(YamlError {
                message: "a document after `...` without `---`: Skaffold's YAML library (go-yaml v3) rejects the file (\"did not find expected <document start>\"); start the document with `---`".into(),
                span: Span::new(offset, offset + line.trim_end().len()),
            });
        }
        offset += line.len();
    }
    None
}

/// go-yaml's readable characters (`readerc.go`, `yaml_parser_update_buffer`).
fn go_yaml_printable(c: char) -> bool {
    matches!(c as u32,
        0x09 | 0x0A | 0x0D | 0x20..=0x7E | 0x85 | 0xA0..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

/// The text with every tab in the blanks after a block mapping's `:` turned into a space
/// (same length, so spans stay valid); `None` when there is none.
pub(super) fn colon_tabs_to_spaces(text: &str) -> Option<String> {
    if !text.contains('\t') {
        return None;
    }
    let tabs = block_tabs(text).after_colon;
    if tabs.is_empty() {
        return None;
    }
    let mut bytes = text.as_bytes().to_vec();
    for at in tabs {
        bytes[at] = b' ';
    }
    String::from_utf8(bytes).ok()
}

/// Tabs in block context, by the indicator they follow (byte offsets into the text).
#[derive(Default)]
struct BlockTabs {
    after_dash: Vec<usize>,
    after_colon: Vec<usize>,
}

/// Finds the tabs that directly follow a block `-` or `:` (with only blanks between),
/// outside quoted scalars, block scalar bodies, comments and flow collections.
fn block_tabs(text: &str) -> BlockTabs {
    let mut found = BlockTabs::default();
    let mut scanner = Scanner::default();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if scanner.flow_depth == 0 && scanner.quote.is_none() {
            if scanner
                .block_scalar_indent
                .is_some_and(|i| blank || indent > i)
            {
                offset += line.len();
                continue;
            }
            scanner.block_scalar_indent = None;
            scanner.line_indent = indent;
        }
        scanner.tabs = Some(BlockTabs::default());
        scanner.scan_line(line);
        if let Some(tabs) = scanner.tabs.take() {
            found
                .after_dash
                .extend(tabs.after_dash.iter().map(|t| offset + t));
            found
                .after_colon
                .extend(tabs.after_colon.iter().map(|t| offset + t));
        }
        offset += line.len();
    }
    found
}

/// The text with the flow lines indented, and where blanks were inserted: `(offset in the
/// original text, count)`, in order. `None` when no line needed it.
pub(super) fn flow_reindent(text: &str) -> Option<(String, Vec<(usize, usize)>)> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut insertions = Vec::new();
    let mut scanner = Scanner::default();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim_start_matches(' ');
        let blank = content.trim().is_empty();
        if scanner.flow_depth > 0 && scanner.quote.is_none() || scanner.quote.is_some() {
            // A line continuing a flow collection (or a quoted scalar inside one).
            if !blank && scanner.flow_depth > 0 && indent <= scanner.flow_block_indent {
                let missing = scanner.flow_block_indent + 1 - indent;
                insertions.push((offset, missing));
                out.extend(std::iter::repeat_n(' ', missing));
            }
        } else if scanner
            .block_scalar_indent
            .is_some_and(|i| blank || indent > i)
        {
            // The body of a `|` or `>` scalar: nothing in it is syntax.
            out.push_str(line);
            offset += line.len();
            continue;
        } else {
            scanner.block_scalar_indent = None;
            scanner.line_indent = indent;
        }
        scanner.scan_line(line);
        out.push_str(line);
        offset += line.len();
    }
    (!insertions.is_empty()).then_some((out, insertions))
}

/// Maps an offset of the re-indented text back to the original text; an offset inside
/// inserted blanks maps to where they were inserted.
pub(super) fn original_offset(insertions: &[(usize, usize)], rewritten: usize) -> usize {
    let mut shift = 0;
    for &(at, count) in insertions {
        let start = at + shift;
        if rewritten < start {
            break;
        }
        if rewritten < start + count {
            return at;
        }
        shift += count;
    }
    rewritten - shift
}

#[derive(Default)]
struct Scanner {
    flow_depth: usize,
    /// The indentation of the line where the outermost open flow collection started, plus
    /// the width of the `- ` and `key: ` prefixes before it: flow lines must go deeper.
    flow_block_indent: usize,
    /// Inside a quoted scalar that spans lines: its quote character.
    quote: Option<char>,
    /// After a `|`/`>` indicator in block context: the indentation of its line.
    block_scalar_indent: Option<usize>,
    /// The indentation of the current block line.
    line_indent: usize,
    /// When set, the tabs after block `-` and `:` indicators on the line are recorded here.
    tabs: Option<BlockTabs>,
}

impl Scanner {
    fn scan_line(&mut self, line: &str) {
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        // Whether a scalar or collection may start here: after indentation or an indicator.
        let mut at_value_start = true;
        let mut i = 0;
        while i < chars.len() {
            let (byte, c) = chars[i];
            if let Some(q) = self.quote {
                if q == '"' && c == '\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == '\'' && chars.get(i + 1).is_some_and(|&(_, n)| n == '\'') {
                        i += 2;
                        continue;
                    }
                    self.quote = None;
                    at_value_start = false;
                }
                i += 1;
                continue;
            }
            match c {
                ' ' | '\t' | '\r' | '\n' => {}
                '#' if i == 0 || chars[i - 1].1 == ' ' || chars[i - 1].1 == '\t' => return,
                '"' | '\'' if at_value_start => self.quote = Some(c),
                '[' | '{' if at_value_start || self.flow_depth > 0 => {
                    if self.flow_depth == 0 {
                        self.flow_block_indent = self.line_indent.max(key_column(line, byte));
                    }
                    self.flow_depth += 1;
                    at_value_start = true;
                }
                ']' | '}' if self.flow_depth > 0 => {
                    self.flow_depth -= 1;
                    at_value_start = false;
                }
                ',' if self.flow_depth > 0 => at_value_start = true,
                ':' | '-' | '?'
                    if chars.get(i + 1).is_none_or(|&(_, n)| n.is_whitespace())
                        || (c == ':' && self.flow_depth > 0) =>
                {
                    let block_indicator =
                        self.flow_depth == 0 && (c == ':' || (c == '-' && at_value_start));
                    if let Some(tabs) = self.tabs.as_mut().filter(|_| block_indicator) {
                        let blanks = chars[i + 1..]
                            .iter()
                            .take_while(|&&(_, b)| b == ' ' || b == '\t')
                            .filter(|&&(_, b)| b == '\t')
                            .map(|&(at, _)| at);
                        if c == ':' {
                            tabs.after_colon.extend(blanks);
                        } else {
                            tabs.after_dash.extend(blanks);
                        }
                    }
                    at_value_start = true;
                }
                '|' | '>' if at_value_start && self.flow_depth == 0 => {
                    self.block_scalar_indent = Some(self.line_indent);
                    return;
                }
                '&' | '!' if at_value_start => {
                    // Anchors and tags come before the value: skip the property.
                    while i + 1 < chars.len() && !chars[i + 1].1.is_whitespace() {
                        i += 1;
                    }
                }
                _ => at_value_start = false,
            }
            i += 1;
        }
    }
}

/// The column of the last mapping key or sequence entry before `at` on the line: a flow
/// collection that is the value of `- key: [` belongs to the mapping at `key`'s column.
fn key_column(line: &str, at: usize) -> usize {
    let before = &line[..at];
    let indent = before.len() - before.trim_start_matches([' ', '-']).len();
    // `- - key:` and `- key:`: the key's own column is past every `- `.
    let trimmed = before.trim_start();
    if trimmed.starts_with('-') && before.contains(": ") {
        indent
    } else {
        before.len() - before.trim_start().len()
    }
}

#[cfg(test)]
mod tests {
    use super::{colon_tabs_to_spaces, flow_reindent, original_offset, rejected};

    /// Each text with what go-yaml v3.0.1 does with it, as measured by decoding it with
    /// `yaml.NewDecoder` (the way Skaffold reads skaffold.yaml): `true` when it loads.
    const GO_YAML: &[(&str, bool)] = &[
        ("a:\tb\n", true),
        ("a:\t\tb\n", true),
        ("a: \tb\n", true),
        ("a:\t{x: 1}\n", true),
        ("a:\t\"b\"\n", true),
        ("a:\t|\n  x\n", true),
        ("a:\t# c\n", true),
        ("a:\t\n  b: 1\n", true),
        ("a:\n  b:\tc\n", true),
        ("- a:\tb\n", true),
        ("a\t: b\n", true),
        ("a: b\t# c\n", true),
        ("a: [1,\t2]\n", true),
        ("a: \"x:\ty\"\n", true),
        ("-\tb\n", false),
        ("- \tb\n", false),
        ("k:\n  -\ta: 1\n", false),
        ("- -\tb\n", false),
        ("a: 1\n# \u{1}\n", false),
        ("a: \"\u{7f}\"\n", false),
        ("a: \"\u{85}\u{a0}\u{feff}\"\n", true),
        ("%YAML 1.1\n---\na: 1\n", true),
        ("%YAML 1.2\n---\na: 1\n", false),
        ("a: 1\n...\n# c\n---\nb: 2\n", true),
        ("a: 1\n...\n%YAML 1.1\n---\nb: 2\n", true),
        ("a: 1\n... # end\n", true),
        ("a: 1\n...\n\nb: 2\n", false),
        ("a: 1\n---\nb: 2\n...\nc: 3\n", false),
        ("a: |\n  -\tx\n", true),
    ];

    #[test]
    fn acceptance_matches_go_yaml() {
        for &(text, loads) in GO_YAML {
            assert_eq!(
                crate::yaml::parse(text).is_ok(),
                loads,
                "{text:?}: {:?}",
                crate::yaml::parse(text).err()
            );
        }
    }

    #[test]
    fn rejections_point_at_the_offending_place() {
        let error = rejected("k:\n  -\ta: 1\n").unwrap();
        assert_eq!((error.span.start, error.span.end), (6, 7));
        assert!(error.message.contains("tab after a sequence entry"));
        let error = rejected("a: 1\n# \u{1}\n").unwrap();
        assert_eq!((error.span.start, error.span.end), (7, 8));
        assert!(error.message.contains("U+0001"));
        let error = rejected("%YAML 1.2\n---\na: 1\n").unwrap();
        assert_eq!((error.span.start, error.span.end), (0, 9));
        let error = rejected("a: 1\n...\nb: 2\n").unwrap();
        assert_eq!((error.span.start, error.span.end), (9, 13));
        assert_eq!(rejected("a:\tb\n- \"-\tx\"\n"), None);
    }

    #[test]
    fn colon_tabs_become_spaces_of_the_same_length() {
        let text = "a:\tb\nc: \"d:\te\"\nf: |\n  g:\th\n";
        let detabbed = colon_tabs_to_spaces(text).unwrap();
        assert_eq!(detabbed, "a: b\nc: \"d:\te\"\nf: |\n  g:\th\n");
        let docs = crate::yaml::parse(text).unwrap();
        let doc = &docs[0];
        let root = doc.node(doc.root.unwrap());
        let crate::yaml::NodeValue::Mapping(entries) = &root.value else {
            panic!("mapping")
        };
        let b = doc.node(entries[0].value);
        assert_eq!(&text[b.span.start..b.span.end], "b");
        assert_eq!(colon_tabs_to_spaces("a: b\n"), None);
    }

    #[test]
    fn flow_lines_at_or_left_of_the_key_are_indented_past_it() {
        let text = "a:\n  command: [\"sh\",\n  \"x\"\n  ]\n";
        let (rewritten, insertions) = flow_reindent(text).unwrap();
        assert_eq!(rewritten, "a:\n  command: [\"sh\",\n   \"x\"\n   ]\n");
        assert_eq!(insertions, [(21, 1), (27, 1)]);
        assert_eq!(original_offset(&insertions, 21), 21);
        assert_eq!(original_offset(&insertions, 22), 21);
        assert_eq!(original_offset(&insertions, 29), 27);
        assert_eq!(original_offset(&insertions, 30), 28);
    }

    #[test]
    fn go_yaml_flow_indentation_parses_with_original_spans() {
        let text = "hooks:\n  command: [\"sh\", \"-c\",\n  \"kill -HUP 1\"\n  ]\nnext: [a,\nb]\n";
        let documents = crate::yaml::parse(text).expect("go-yaml accepts it");
        let root = documents[0].root_ref().unwrap();
        let command = root.get("hooks").unwrap().get("command").unwrap();
        let items: Vec<_> = command.items().collect();
        let last = items[2];
        assert_eq!(last.as_str(), Some("kill -HUP 1"));
        assert_eq!(&text[last.span().start..last.span().end], "\"kill -HUP 1\"");
        assert_eq!(
            &text[command.span().start..command.span().end],
            "[\"sh\", \"-c\",\n  \"kill -HUP 1\"\n  ]"
        );
        let next = root.get("next").unwrap();
        assert_eq!(&text[next.span().start..next.span().end], "[a,\nb]");
        // Still an error where go-yaml fails too: an unclosed flow sequence.
        assert!(crate::yaml::parse("a: [b,\n").is_err());
    }

    #[test]
    fn block_scalars_comments_and_quotes_do_not_open_flows() {
        assert_eq!(flow_reindent("a: |\n  [x\nb: \"[\" # [\nc: don't[\n"), None);
        assert_eq!(flow_reindent("a: [x,\n    y]\n"), None);
    }
}
