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
//! original text. docs/yaml-differences.md lists every known difference.

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
    use super::{flow_reindent, original_offset};

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
