//! POSIX shell tokenizing for `sh -c` scripts and shell-form CMDs: words with their byte
//! ranges, operators, and the syntax features that stop a script from being a plain argv.
//!
//! This follows the token recognition rules of POSIX XCU 2.3 (quoting 2.2, operators, comments)
//! without performing any expansion: words keep `$x`, globs and `~` literally and are flagged,
//! so callers can tell "this is just an argv" from "this needs a shell".

/// A word of a script: its text after quote removal and where it sits in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub text: String,
    /// Byte range of the raw word (quotes included) in the script.
    pub start: usize,
    pub end: usize,
    /// Contains an unquoted or double-quoted `$` or a backquote: the shell would expand it.
    pub expands: bool,
    /// Contains an unquoted `*`, `?` or `[`: the shell would glob it.
    pub globs: bool,
    /// Starts with an unquoted `~`.
    pub tilde: bool,
    /// Some part of the word was quoted or escaped.
    pub quoted: bool,
}

impl Word {
    /// `NAME=value` with an unquoted name: a variable assignment when it precedes the command.
    pub fn assignment(&self, raw: &str) -> Option<(String, String)> {
        let eq = raw.find('=')?;
        let name = &raw[..eq];
        let mut chars = name.chars();
        let first = chars.next()?;
        if !(first.is_ascii_alphabetic() || first == '_')
            || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return None;
        }
        let value = self.text.get(eq + 1..).unwrap_or("").to_string();
        Some((name.to_string(), value))
    }
}

/// A token: a word or an operator (`&&`, `|`, `;`, `>`, newline, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    Word(Word),
    Op {
        op: String,
        start: usize,
        end: usize,
    },
}

/// Result of lexing a whole script.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    pub comment: bool,
}

const OPERATORS: [&str; 16] = [
    "&&", "||", ";;", "<<-", "<<", ">>", "<&", ">&", "<>", ">|", "&>", ";", "&", "|", "<", ">",
];

fn is_op_start(c: char) -> bool {
    matches!(c, '&' | '|' | ';' | '<' | '>' | '(' | ')')
}

struct Builder {
    start: usize,
    text: String,
    expands: bool,
    globs: bool,
    tilde: bool,
    quoted: bool,
}

impl Builder {
    fn new(start: usize) -> Self {
        Builder {
            start,
            text: String::new(),
            expands: false,
            globs: false,
            tilde: false,
            quoted: false,
        }
    }
}

/// Skips a `$(...)`, `${...}` or backquoted span starting at byte `at` (which holds `$` or
/// `` ` ``) and returns the byte index just after it, or `None` when it is unterminated.
fn skip_substitution(s: &str, at: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    if bytes[at] == b'`' {
        let mut i = at + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'`' => return Some(i + 1),
                _ => i += 1,
            }
        }
        return None;
    }
    let (open, close) = match bytes.get(at + 1) {
        Some(b'(') => (b'(', b')'),
        Some(b'{') => (b'{', b'}'),
        _ => return Some(at + 1),
    };
    let mut depth = 0usize;
    let mut i = at + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\\' {
            i += 2;
            continue;
        }
        if b == b'\'' && open == b'(' {
            let close_quote = s[i + 1..].find('\'')?;
            i += close_quote + 2;
            continue;
        }
        if b == open {
            depth += 1;
        } else if b == close {
            depth -= 1;
            if depth == 0 {
                return Some(i + 1);
            }
        }
        i += 1;
    }
    None
}

/// Tokenizes `script`; `None` when a quote or substitution is unterminated.
pub(crate) fn lex(script: &str) -> Option<Lexed> {
    let mut out = Lexed::default();
    let mut word: Option<Builder> = None;
    let bytes = script.as_bytes();
    let mut i = 0;
    let finish = |word: &mut Option<Builder>, end: usize, tokens: &mut Vec<Token>| {
        if let Some(b) = word.take() {
            tokens.push(Token::Word(Word {
                text: b.text,
                start: b.start,
                end,
                expands: b.expands,
                globs: b.globs,
                tilde: b.tilde,
                quoted: b.quoted,
            }));
        }
    };
    while i < bytes.len() {
        let c = script[i..].chars().next()?;
        let len = c.len_utf8();
        match c {
            ' ' | '\t' => {
                finish(&mut word, i, &mut out.tokens);
                i += 1;
            }
            '\n' => {
                finish(&mut word, i, &mut out.tokens);
                out.tokens.push(Token::Op {
                    op: "\n".into(),
                    start: i,
                    end: i + 1,
                });
                i += 1;
            }
            '#' if word.is_none() => {
                out.comment = true;
                i = script[i..].find('\n').map_or(bytes.len(), |n| i + n);
            }
            '\\' => {
                let w = word.get_or_insert_with(|| Builder::new(i));
                match script[i + 1..].chars().next() {
                    Some('\n') => i += 2,
                    Some(next) => {
                        w.text.push(next);
                        w.quoted = true;
                        i += 1 + next.len_utf8();
                    }
                    None => {
                        w.text.push('\\');
                        i += 1;
                    }
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(|| Builder::new(i));
                let close = script[i + 1..].find('\'')?;
                w.text.push_str(&script[i + 1..i + 1 + close]);
                w.quoted = true;
                i += close + 2;
            }
            '"' => {
                let w = word.get_or_insert_with(|| Builder::new(i));
                w.quoted = true;
                i += 1;
                loop {
                    let d = script[i..].chars().next()?;
                    match d {
                        '"' => {
                            i += 1;
                            break;
                        }
                        '\\' => match script[i + 1..].chars().next() {
                            Some(n @ ('$' | '`' | '"' | '\\')) => {
                                w.text.push(n);
                                i += 2;
                            }
                            Some('\n') => i += 2,
                            _ => {
                                w.text.push('\\');
                                i += 1;
                            }
                        },
                        '$' | '`' => {
                            w.expands = true;
                            let end = skip_substitution(script, i)?;
                            w.text.push_str(&script[i..end]);
                            i = end;
                        }
                        _ => {
                            w.text.push(d);
                            i += d.len_utf8();
                        }
                    }
                }
            }
            '$' | '`' => {
                let w = word.get_or_insert_with(|| Builder::new(i));
                w.expands = true;
                let end = skip_substitution(script, i)?;
                w.text.push_str(&script[i..end]);
                i = end;
            }
            c if is_op_start(c) => {
                // A word made only of digits right before a redirection is its IO number.
                if matches!(c, '<' | '>') {
                    if let Some(w) = &word {
                        if !w.quoted && w.text.bytes().all(|b| b.is_ascii_digit()) {
                            let start = w.start;
                            word = None;
                            let op = OPERATORS
                                .iter()
                                .find(|op| script[i..].starts_with(**op))
                                .map_or(c.to_string(), |op| (*op).to_string());
                            let end = i + op.len();
                            out.tokens.push(Token::Op {
                                op: format!("{}{op}", &script[start..i]),
                                start,
                                end,
                            });
                            i = end;
                            continue;
                        }
                    }
                }
                finish(&mut word, i, &mut out.tokens);
                let op = OPERATORS
                    .iter()
                    .find(|op| script[i..].starts_with(**op))
                    .map_or(c.to_string(), |op| (*op).to_string());
                let end = i + op.len();
                out.tokens.push(Token::Op { op, start: i, end });
                i = end;
            }
            _ => {
                let w = word.get_or_insert_with(|| Builder::new(i));
                if w.text.is_empty() && !w.quoted && c == '~' {
                    w.tilde = true;
                }
                if matches!(c, '*' | '?' | '[') {
                    w.globs = true;
                }
                w.text.push(c);
                i += len;
            }
        }
    }
    finish(&mut word, bytes.len(), &mut out.tokens);
    Some(out)
}

/// Splits `script` the way a POSIX shell tokenizes it, with quote removal and no expansion.
///
/// Operators (`&&`, `|`, `;`, `>`, ...) come back as words of their own, newlines as `"\n"`;
/// comments are dropped. `None` when a quote or a `$(`/`` ` `` substitution is unterminated.
pub fn shell_words(script: &str) -> Option<Vec<String>> {
    let lexed = lex(script)?;
    Some(
        lexed
            .tokens
            .into_iter()
            .map(|t| match t {
                Token::Word(w) => w.text,
                Token::Op { op, .. } => op,
            })
            .collect(),
    )
}

/// Splits like Python's `shlex.split` (POSIX mode, no comments): whitespace-separated words
/// with quotes, no operators. gunicorn reads `GUNICORN_CMD_ARGS` this way
/// (benoitc/gunicorn@65ac1a3 `gunicorn/config.py:85-88`).
pub(crate) fn shlex_split(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = cur.take() {
                    words.push(w);
                }
            }
            '\\' => {
                let w = cur.get_or_insert_with(String::new);
                if let Some(n) = chars.next() {
                    w.push(n);
                }
            }
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        d => w.push(d),
                    }
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            n @ ('"' | '\\') => w.push(n),
                            n => {
                                w.push('\\');
                                w.push(n);
                            }
                        },
                        d => w.push(d),
                    }
                }
            }
            _ => cur.get_or_insert_with(String::new).push(c),
        }
    }
    if let Some(w) = cur {
        words.push(w);
    }
    Some(words)
}

/// Shell syntax that a plain argv (exec form) cannot express.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ShellFeature {
    /// `;`, `&&`, `||` or a newline between commands.
    Sequence,
    /// `|` between commands.
    Pipe,
    /// `&` at the end of a command.
    Background,
    /// `<`, `>`, `2>&1`, heredocs.
    Redirect,
    /// `(...)` subshell or grouping.
    Subshell,
    /// `$VAR`, `${VAR}`, `$(cmd)`, `` `cmd` `` (also inside double quotes).
    Expansion,
    /// Unquoted `*`, `?` or `[`.
    Glob,
    /// Unquoted leading `~`.
    Tilde,
    /// `NAME=value` before the command.
    Assignment,
    /// A `#` comment.
    Comment,
    /// A reserved word in command position (`if`, `for`, `while`, `{`, `!`, ...).
    Keyword(String),
    /// A shell builtin in command position that has no executable equivalent (`cd`, `export`,
    /// `.`, `source`, `set`, `trap`, `eval`, `ulimit`, `umask`, ...).
    Builtin(String),
    /// A leading `exec`: dropping it keeps the meaning of the exec form.
    Exec,
}

const KEYWORDS: [&str; 16] = [
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
    "in", "{", "}", "!",
];
const BUILTINS: [&str; 16] = [
    "cd", "export", ".", "source", "set", "unset", "trap", "eval", "ulimit", "umask", "alias",
    "readonly", "shift", "wait", "return", "exit",
];

/// The shell syntax `script` uses beyond simple words, in order of first appearance without
/// duplicates; `None` when the script cannot be tokenized (unterminated quote).
pub fn shell_features(script: &str) -> Option<Vec<ShellFeature>> {
    let lexed = lex(script)?;
    let mut found: Vec<ShellFeature> = Vec::new();
    let mut add = |f: ShellFeature| {
        if !found.contains(&f) {
            found.push(f);
        }
    };
    if lexed.comment {
        add(ShellFeature::Comment);
    }
    let mut command_start = true;
    let mut after_redirect = false;
    let last = lexed.tokens.len().saturating_sub(1);
    for (n, tok) in lexed.tokens.iter().enumerate() {
        match tok {
            Token::Op { op, .. } => {
                let f = match op.trim_start_matches(|c: char| c.is_ascii_digit()) {
                    "\n" if n == last => None,
                    "\n" | ";" | "&&" | "||" | ";;" => Some(ShellFeature::Sequence),
                    "|" => Some(ShellFeature::Pipe),
                    "&" => Some(ShellFeature::Background),
                    "(" | ")" => Some(ShellFeature::Subshell),
                    _ => Some(ShellFeature::Redirect),
                };
                after_redirect = f == Some(ShellFeature::Redirect);
                if !after_redirect {
                    command_start = true;
                }
                if let Some(f) = f {
                    add(f);
                }
            }
            Token::Word(w) => {
                if w.expands {
                    add(ShellFeature::Expansion);
                }
                if w.globs {
                    add(ShellFeature::Glob);
                }
                if w.tilde {
                    add(ShellFeature::Tilde);
                }
                if after_redirect {
                    after_redirect = false;
                    continue;
                }
                if command_start {
                    let raw = &script[w.start..w.end];
                    if w.assignment(raw).is_some() {
                        add(ShellFeature::Assignment);
                        continue;
                    }
                    command_start = false;
                    if w.quoted {
                        continue;
                    }
                    if KEYWORDS.contains(&raw) {
                        add(ShellFeature::Keyword(raw.to_string()));
                        command_start = true;
                    } else if BUILTINS.contains(&raw) {
                        add(ShellFeature::Builtin(raw.to_string()));
                    } else if raw == "exec" {
                        add(ShellFeature::Exec);
                        command_start = true;
                    }
                }
            }
        }
    }
    Some(found)
}

/// The exec-form argv that means the same as the shell-form `script`, when there is one:
/// only plain words (a leading `exec` is dropped). `None` when the script needs a shell
/// (see [`shell_features`]), is empty, or cannot be tokenized.
pub fn exec_form(script: &str) -> Option<Vec<String>> {
    let features = shell_features(script)?;
    if features.iter().any(|f| *f != ShellFeature::Exec) {
        return None;
    }
    let mut words = shell_words(script)?;
    words.retain(|w| w != "\n");
    if words.first().map(String::as_str) == Some("exec") {
        words.remove(0);
    }
    (!words.is_empty()).then_some(words)
}

/// Whether `script` is one simple command of plain words, i.e. converting it to exec form
/// keeps its meaning (a leading `exec` excepted).
pub fn is_simple_command(script: &str) -> bool {
    exec_form(script).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        shell_words(s).expect("lexes")
    }

    #[test]
    fn splits_quotes_and_escapes() {
        assert_eq!(
            words(r#"uvicorn 'app:app' --host "0.0.0.0" a\ b"#),
            ["uvicorn", "app:app", "--host", "0.0.0.0", "a b"]
        );
        assert_eq!(words(r#"echo "a\"b\$c\x""#), ["echo", r#"a"b$c\x"#]);
        assert_eq!(words("a''b \"\""), ["ab", ""]);
    }

    #[test]
    fn operators_are_separate_tokens() {
        assert_eq!(
            words("cd /app&&exec uvicorn x >log 2>&1; echo"),
            ["cd", "/app", "&&", "exec", "uvicorn", "x", ">", "log", "2>&", "1", ";", "echo"]
        );
    }

    #[test]
    fn comments_and_continuations() {
        assert_eq!(words("a # b c\nd"), ["a", "\n", "d"]);
        assert_eq!(words("a\\\n b"), ["a", "b"]);
        assert_eq!(words("a#b"), ["a#b"]);
    }

    #[test]
    fn substitutions_stay_one_word() {
        assert_eq!(
            words("echo $(date +%s) `id -u` ${X:-a b}"),
            ["echo", "$(date +%s)", "`id -u`", "${X:-a b}"]
        );
    }

    #[test]
    fn unterminated_is_none() {
        assert_eq!(shell_words("echo 'abc"), None);
        assert_eq!(shell_words("echo \"abc"), None);
        assert_eq!(shell_words("echo $(date"), None);
    }

    #[test]
    fn word_spans_cover_quotes() {
        let lexed = lex("run 'a b' c").unwrap();
        let spans: Vec<(usize, usize)> = lexed
            .tokens
            .iter()
            .map(|t| match t {
                Token::Word(w) => (w.start, w.end),
                Token::Op { start, end, .. } => (*start, *end),
            })
            .collect();
        assert_eq!(spans, [(0, 3), (4, 9), (10, 11)]);
    }

    #[test]
    fn features() {
        use ShellFeature::*;
        assert_eq!(shell_features("uvicorn app:app --reload"), Some(vec![]));
        assert_eq!(shell_features("exec uvicorn app:app"), Some(vec![Exec]));
        assert_eq!(
            shell_features("cd /app && uvicorn app:app --port $PORT"),
            Some(vec![Builtin("cd".into()), Sequence, Expansion])
        );
        assert_eq!(
            shell_features("FOO=1 python *.py | tee log 2>/dev/null &"),
            Some(vec![Assignment, Glob, Pipe, Redirect, Background])
        );
        assert_eq!(
            shell_features("if true; then x; fi # c"),
            Some(vec![
                Comment,
                Keyword("if".into()),
                Sequence,
                Keyword("then".into()),
                Keyword("fi".into())
            ])
        );
        assert_eq!(shell_features("ls ~/x"), Some(vec![Tilde]));
        assert_eq!(shell_features("echo '$HOME' \"*\""), Some(vec![]));
        assert_eq!(shell_features("echo \"$HOME\""), Some(vec![Expansion]));
        assert_eq!(
            shell_features("(cd a)"),
            Some(vec![Subshell, Builtin("cd".into())])
        );
        assert_eq!(shell_features("x 'open"), None);
        assert_eq!(shell_features("a\n"), Some(vec![]));
    }

    #[test]
    fn exec_form_conversion() {
        assert_eq!(
            exec_form("exec uvicorn 'app:app' --host 0.0.0.0"),
            Some(vec![
                "uvicorn".to_string(),
                "app:app".into(),
                "--host".into(),
                "0.0.0.0".into()
            ])
        );
        assert_eq!(exec_form("uvicorn app:app --port $PORT"), None);
        assert_eq!(exec_form("cd /app && uvicorn app:app"), None);
        assert_eq!(exec_form(""), None);
        assert_eq!(exec_form("exec"), None);
        assert!(is_simple_command("python -m flask run"));
        assert!(!is_simple_command("python app.py > log"));
    }

    #[test]
    fn shlex_like_python() {
        assert_eq!(
            shlex_split(r#"--reload -w 3 --bind "0.0.0.0:8000" a;b"#),
            Some(vec![
                "--reload".into(),
                "-w".into(),
                "3".into(),
                "--bind".into(),
                "0.0.0.0:8000".into(),
                "a;b".into()
            ])
        );
        assert_eq!(shlex_split("'x"), None);
        assert_eq!(shlex_split("   "), Some(vec![]));
    }

    proptest::proptest! {
        #[test]
        fn lexing_never_panics(s in "\\PC{0,40}") {
            let _ = shell_words(&s);
            let _ = shell_features(&s);
            let _ = exec_form(&s);
            let _ = shlex_split(&s);
        }

        #[test]
        fn shell_meta_soup_never_panics(s in "[a-z$`'\"\\\\(){}|&;<>#~*= \n0-9é]{0,40}") {
            let _ = shell_words(&s);
            let _ = shell_features(&s);
        }
    }

    #[test]
    fn quoted_assignment_values() {
        assert_eq!(
            shell_features("A=\"x y\" cmd"),
            Some(vec![ShellFeature::Assignment])
        );
        assert_eq!(shell_features("\"A=x\" cmd"), Some(vec![]));
    }

    #[test]
    fn assignment_words() {
        let lexed = lex("UVICORN_RELOAD=true uvicorn").unwrap();
        let Token::Word(w) = &lexed.tokens[0] else {
            panic!("word")
        };
        assert_eq!(
            w.assignment("UVICORN_RELOAD=true"),
            Some(("UVICORN_RELOAD".into(), "true".into()))
        );
        let Token::Word(w) = &lexed.tokens[1] else {
            panic!("word")
        };
        assert_eq!(w.assignment("uvicorn"), None);
    }
}
