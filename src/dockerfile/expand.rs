//! buildkit's word processing (`shell.Lex.ProcessWord`): quote removal, escapes and `$VAR`,
//! `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:+x}`, `${VAR+x}`, `${VAR:?x}`, `${VAR?x}`,
//! `${VAR#p}`, `${VAR##p}`, `${VAR%p}`, `${VAR%%p}` expansion. Unlike buildkit, a variable can
//! also be *unknown* (set by a base image skafix cannot see, or a platform argument); the
//! result then records which names it depends on instead of guessing a value.

/// What a variable lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Set(String),
    Unset,
    Unknown,
}

/// The result of expanding a word.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expanded {
    /// The expanded text. References to unknown variables are kept as written (`$HOME`,
    /// `${HOME:-x}`), so the text stays readable in messages.
    pub value: String,
    /// Names of the unknown variables the value depends on, in order of first use.
    pub unknown: Vec<String>,
    /// buildkit would fail on this word (bad substitution, unmatched quote, `${X:?msg}`).
    pub error: Option<String>,
    /// The expansion was stopped at [`MAX_VALUE_BYTES`] (`error` says so too).
    pub over_budget: bool,
}

/// The most bytes one expanded word may reach. Variables that repeat earlier ones
/// (`ARG b=$a$a`, line after line) double a value per line; no real build needs values this
/// long, and without a bound a few hundred bytes of Dockerfile would take all memory.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

const OVER_BUDGET: &str = "the expanded value is longer than 64 KiB";

impl Expanded {
    /// The value when it is fully determined: no unknown variable and no error.
    pub fn known(&self) -> Option<&str> {
        (self.unknown.is_empty() && self.error.is_none()).then_some(self.value.as_str())
    }
}

/// Expands `word` like buildkit's `ProcessWord` with the given escape character.
pub fn expand_word(word: &str, escape: char, lookup: &dyn Fn(&str) -> Lookup) -> Expanded {
    // Most words (paths, image names) hold nothing to expand: they mean themselves.
    if !word.contains(['$', '\'', '"', escape]) {
        return Expanded {
            value: word.to_string(),
            unknown: Vec::new(),
            error: None,
            over_budget: false,
        };
    }
    lex_word(word, escape, lookup)
}

fn lex_word(word: &str, escape: char, lookup: &dyn Fn(&str) -> Lookup) -> Expanded {
    let mut lexer = Lexer {
        chars: word.chars().collect(),
        pos: 0,
        escape,
        lookup,
        unknown: Vec::new(),
        substituted: 0,
    };
    match lexer.process_until(None, false) {
        Ok(value) => Expanded {
            value,
            unknown: lexer.unknown,
            error: None,
            over_budget: false,
        },
        Err(message) => Expanded {
            over_budget: message == OVER_BUDGET,
            value: word.to_string(),
            unknown: lexer.unknown,
            error: Some(format!("failed to process \"{word}\": {message}")),
        },
    }
}

struct Lexer<'a> {
    chars: Vec<char>,
    pos: usize,
    escape: char,
    lookup: &'a dyn Fn(&str) -> Lookup,
    unknown: Vec<String>,
    /// Bytes substituted for variables so far: all a word grows by beyond its own length.
    substituted: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn raw(&self, from: usize) -> String {
        self.chars[from..self.pos].iter().collect()
    }

    fn note_unknown(&mut self, name: &str) {
        if !self.unknown.iter().any(|n| n == name) {
            self.unknown.push(name.to_string());
        }
    }

    fn process_until(&mut self, stop: Option<char>, raw_escapes: bool) -> Result<String, String> {
        let mut result = String::new();
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                self.pos += 1;
                return Ok(result);
            }
            match ch {
                '$' => result.push_str(&self.dollar()?),
                '\'' => result.push_str(&self.single_quote()?),
                '"' => result.push_str(&self.double_quote(raw_escapes)?),
                _ => {
                    self.pos += 1;
                    if ch == self.escape {
                        if raw_escapes {
                            result.push(ch);
                        }
                        match self.next() {
                            Some(next) => result.push(next),
                            None => break,
                        }
                    } else {
                        result.push(ch);
                    }
                }
            }
        }
        match stop {
            Some(stop) => Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            )),
            None => Ok(result),
        }
    }

    fn single_quote(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut result = String::new();
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .into(),
                    )
                }
                Some('\'') => return Ok(result),
                Some(c) => result.push(c),
            }
        }
    }

    fn double_quote(&mut self, raw_escapes: bool) -> Result<String, String> {
        self.pos += 1;
        let mut result = String::new();
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .into(),
                    )
                }
                Some('"') => {
                    self.pos += 1;
                    return Ok(result);
                }
                Some('$') => result.push_str(&self.dollar()?),
                Some(mut ch) => {
                    self.pos += 1;
                    if ch == self.escape {
                        if raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.escape => {
                                ch = n;
                                self.pos += 1;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    name.push(d);
                    self.pos += 1;
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.pos += 1;
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            name.push(ch);
            self.pos += 1;
        }
        name
    }

    /// A `$` reference, counted against [`MAX_VALUE_BYTES`].
    fn dollar(&mut self) -> Result<String, String> {
        let value = self.substitution()?;
        self.substituted += value.len();
        if self.substituted > MAX_VALUE_BYTES {
            return Err(OVER_BUDGET.into());
        }
        Ok(value)
    }

    fn substitution(&mut self) -> Result<String, String> {
        let start = self.pos;
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match (self.lookup)(&name) {
                Lookup::Set(v) => v,
                Lookup::Unset => String::new(),
                Lookup::Unknown => {
                    self.note_unknown(&name);
                    self.raw(start)
                }
            });
        }
        self.pos += 1;
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            Some(_) => {}
        }
        let name = self.name();
        let Some(mut modifier) = self.next() else {
            return Err("syntax error: missing '}'".into());
        };
        let lookup = (self.lookup)(&name);
        match modifier {
            '}' => Ok(match lookup {
                Lookup::Set(v) => v,
                Lookup::Unset => String::new(),
                Lookup::Unknown => {
                    self.note_unknown(&name);
                    self.raw(start)
                }
            }),
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let null_is_unset = modifier == ':';
                if null_is_unset {
                    modifier = self.next().unwrap_or('\0');
                }
                let raw_escapes = modifier == '#' || modifier == '%';
                if null_is_unset && raw_escapes {
                    return Err(format!(
                        "unsupported modifier (:{modifier}) in substitution"
                    ));
                }
                let unknown_before = self.unknown.len();
                let word = self.process_until(Some('}'), raw_escapes).map_err(|e| {
                    if self.peek().is_none() {
                        "syntax error: missing '}'".to_string()
                    } else {
                        e
                    }
                })?;
                let value = match lookup {
                    Lookup::Unknown => {
                        self.unknown.truncate(unknown_before);
                        self.note_unknown(&name);
                        return Ok(self.raw(start));
                    }
                    Lookup::Set(v) => Some(v),
                    Lookup::Unset => None,
                };
                let empty = value.as_deref().is_none_or(str::is_empty);
                let unset = if null_is_unset {
                    empty
                } else {
                    value.is_none()
                };
                match modifier {
                    '-' => {
                        if unset {
                            Ok(word)
                        } else {
                            self.unknown.truncate(unknown_before);
                            Ok(value.unwrap_or_default())
                        }
                    }
                    '+' => {
                        if unset {
                            self.unknown.truncate(unknown_before);
                            Ok(String::new())
                        } else {
                            Ok(word)
                        }
                    }
                    '?' => match value {
                        None => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be unset"
                            } else {
                                &word
                            }
                        )),
                        Some(v) if null_is_unset && v.is_empty() => Err(format!(
                            "{name}: {}",
                            if word.is_empty() {
                                "is not allowed to be empty"
                            } else {
                                &word
                            }
                        )),
                        Some(v) => Ok(v),
                    },
                    '#' | '%' => {
                        let value = value.unwrap_or_default();
                        let (pattern, greedy) = match word.strip_prefix(modifier) {
                            Some(rest) => (rest.to_string(), true),
                            None => (word, false),
                        };
                        if modifier == '#' {
                            trim_prefix(&pattern, &value, greedy)
                        } else {
                            trim_suffix(&pattern, &value, greedy)
                        }
                    }
                    other => Err(format!("unsupported modifier ({other}) in substitution")),
                }
            }
            '/' => {
                // Pattern replacement is newer than the buildkit the oracle embeds; its regex
                // semantics are not reproduced, so the result is reported as unknown.
                let _ = self.process_until(Some('}'), true);
                self.note_unknown(&name);
                Ok(self.raw(start))
            }
            other => Err(format!("unsupported modifier ({other}) in substitution")),
        }
    }
}

/// Converts a `${VAR#pattern}` shell pattern to a regex the way buildkit does.
fn shell_pattern_regex(pattern: &str, greedy: bool) -> Result<regex::Regex, String> {
    let mut out = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(tok) = chars.next() {
        match tok {
            '*' => out.push_str(if greedy { ".*" } else { ".*?" }),
            '?' => out.push('.'),
            '\\' => {
                if matches!(chars.peek(), Some('}' | '/')) {
                    continue;
                }
                match chars.next() {
                    Some(c @ ('*' | '?' | '\\')) => {
                        out.push('\\');
                        out.push(c);
                    }
                    Some(c) => return Err(format!("invalid escape '\\{c}'")),
                    None => return Err("invalid escape '\\'".into()),
                }
            }
            '[' | ']' | '{' | '}' | '.' | '+' | '(' | ')' | '|' | '^' | '$' => {
                out.push('\\');
                out.push(tok);
            }
            _ => out.push(tok),
        }
    }
    regex::Regex::new(&out).map_err(|e| e.to_string())
}

fn trim_prefix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let re = shell_pattern_regex(pattern, greedy)
        .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
    Ok(match re.find(value) {
        Some(m) => value[m.end()..].to_string(),
        None => value.to_string(),
    })
}

/// Shortest or longest suffix removal: like buildkit, reverse both value and pattern and
/// remove a prefix, because a regex cannot find the shortest rightmost match directly.
fn trim_suffix(pattern: &str, value: &str, greedy: bool) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut reversed = vec!['\0'; chars.len()];
    let last = chars.len().saturating_sub(1);
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i != last {
            reversed[last - i - 1] = '\\';
            reversed[last - i] = chars[i + 1];
            i += 2;
        } else {
            reversed[last - i] = chars[i];
            i += 1;
        }
    }
    let reversed: String = reversed.into_iter().collect();
    let value_rev: String = value.chars().rev().collect();
    Ok(trim_prefix(&reversed, &value_rev, greedy)?
        .chars()
        .rev()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Lookup {
        match name {
            "A" => Lookup::Set("alpha".into()),
            "EMPTY" => Lookup::Set(String::new()),
            "P" => Lookup::Set("/usr/local/lib.tar.gz".into()),
            "HOME" => Lookup::Unknown,
            _ => Lookup::Unset,
        }
    }

    #[test]
    fn words_without_anything_to_expand_skip_the_lexer_with_the_same_answer() {
        for word in [
            "/srv/app",
            "app/",
            "python:3.12-slim",
            "a b",
            "",
            "ü/ñ",
            "~/x",
        ] {
            for escape in ['\\', '`'] {
                assert_eq!(
                    expand_word(word, escape, &env),
                    lex_word(word, escape, &env),
                    "{word}"
                );
            }
        }
    }

    fn x(word: &str) -> Expanded {
        expand_word(word, '\\', &env)
    }

    #[test]
    fn plain_and_braced_references() {
        assert_eq!(x("$A/${A}_$B.").value, "alpha/alpha_.");
        assert_eq!(x("$A").known(), Some("alpha"));
        assert_eq!(x("a$").value, "a$");
    }

    #[test]
    fn default_and_alternative_modifiers() {
        assert_eq!(x("${B:-dflt}").value, "dflt");
        assert_eq!(x("${EMPTY:-dflt}").value, "dflt");
        assert_eq!(x("${EMPTY-dflt}").value, "");
        assert_eq!(x("${A:-dflt}").value, "alpha");
        assert_eq!(x("${A:+set}").value, "set");
        assert_eq!(x("${B:+set}").value, "");
        assert_eq!(x("${EMPTY+set}").value, "set");
        assert_eq!(x("${B:-$A}").value, "alpha");
    }

    #[test]
    fn quotes_and_escapes_are_removed() {
        assert_eq!(x(r#""$A b"'$A'"#).value, "alpha b$A");
        assert_eq!(x(r"a\ b\$A").value, "a b$A");
        assert_eq!(x(r#""a\"b\c""#).value, r#"a"b\c"#);
    }

    #[test]
    fn unknown_variables_are_reported_and_kept_as_written() {
        let e = x("$HOME/app");
        assert_eq!(e.value, "$HOME/app");
        assert_eq!(e.unknown, vec!["HOME".to_string()]);
        assert_eq!(e.known(), None);
        let e = x("${HOME:-/root}/x");
        assert_eq!(e.value, "${HOME:-/root}/x");
        assert_eq!(e.unknown, vec!["HOME".to_string()]);
        // An unused default does not make the result unknown.
        assert_eq!(x("${A:-$HOME}").known(), Some("alpha"));
    }

    #[test]
    fn errors_like_buildkit() {
        assert_eq!(
            x("${B:?must be set}").error.as_deref(),
            Some("failed to process \"${B:?must be set}\": B: must be set")
        );
        assert_eq!(
            x("${}").error.as_deref(),
            Some("failed to process \"${}\": syntax error: bad substitution")
        );
        assert_eq!(
            x("'abc").error.as_deref(),
            Some("failed to process \"'abc\": unexpected end of statement while looking for matching single-quote")
        );
    }

    #[test]
    fn prefix_and_suffix_removal() {
        assert_eq!(x("${P#*/}").value, "usr/local/lib.tar.gz");
        assert_eq!(x("${P##*/}").value, "lib.tar.gz");
        assert_eq!(x("${P%.*}").value, "/usr/local/lib.tar");
        assert_eq!(x("${P%%.*}").value, "/usr/local/lib");
    }

    #[test]
    fn backtick_escape() {
        assert_eq!(expand_word("a` b`$A", '`', &env).value, "a b$A");
    }
}
