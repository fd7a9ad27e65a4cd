//! Inline suppressions: `# skafix: ignore[CODE, ...] reason` on the line before a finding or
//! at the end of its line, `# skafix: ignore-file[CODE, ...]` for a whole file, and in
//! Dockerfiles hadolint's `# hadolint ignore=DLxxxx` for the hadolint codes we map. A
//! suppression that suppresses nothing (SUP001) or names an unknown code (SUP002) is itself
//! reported, so stale ones do not pile up.
//!
//! Comments are found with a line scanner that knows where YAML has no comments (inside quoted
//! scalars and block scalars) and where Dockerfiles have them (whole lines only, outside
//! heredoc bodies; the end-of-line form is recognised by its `# skafix:` marker).

use super::Selector;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::ConfigFile;
use crate::rules::{Check, FixAvailability, Rule};
use crate::source::{SourceFile, Span};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// hadolint codes whose meaning one of our rules covers, so `# hadolint ignore=` also
/// silences ours. Unmapped hadolint codes are left to hadolint and never reported.
pub const HADOLINT_CODES: &[(&str, &str)] = &[
    // DL3025: "Use arguments JSON notation for CMD and ENTRYPOINT arguments".
    ("DL3025", "PROC001"),
];

fn reported_by_the_suppression_pass(_: &ConfigFile, _: &mut Vec<Diagnostic>) {}

pub static UNUSED_SUPPRESSION: Rule = Rule {
    code: "SUP001",
    name: "unused-suppression",
    severity: Severity::Warning,
    fix: FixAvailability::Always(Applicability::Safe),
    summary: "A suppression comment that suppresses no finding",
    check: Check::ConfigFile(reported_by_the_suppression_pass),
    doc: include_str!("../../rules/SUP001.md"),
};

pub static UNKNOWN_CODE: Rule = Rule {
    code: "SUP002",
    name: "unknown-code",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A suppression comment naming a rule code that does not exist",
    check: Check::ConfigFile(reported_by_the_suppression_pass),
    doc: include_str!("../../rules/SUP002.md"),
};

/// The rules this module reports.
pub static RULES: &[&Rule] = &[&UNUSED_SUPPRESSION, &UNKNOWN_CODE];

pub fn rule_by_code(code: &str) -> Option<&'static Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Yaml,
    Dockerfile,
}

fn file_kind(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".yaml") || name.ends_with(".yml") {
        Some(FileKind::Yaml)
    } else if (name.contains("dockerfile") || name.contains("containerfile"))
        && !name.ends_with(".dockerignore")
    {
        Some(FileKind::Dockerfile)
    } else {
        None
    }
}

/// A comment: from its `#` to the end of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    /// 1-based line.
    pub line: usize,
    /// Nothing but whitespace before the `#`.
    pub own_line: bool,
}

/// The comments of a YAML text: a `#` at the start of a line or after whitespace, outside
/// quoted scalars and block scalars.
pub fn yaml_comments(text: &str) -> Vec<Comment> {
    #[derive(PartialEq)]
    enum Quote {
        None,
        Single,
        Double,
    }
    let mut comments = Vec::new();
    let mut quote = Quote::None;
    // Indentation of the line that opened a block scalar: deeper lines are its content.
    let mut block_parent: Option<usize> = None;
    let mut offset = 0;
    for (index, raw_line) in text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(parent) = block_parent {
            if line.trim().is_empty() || indent > parent {
                continue;
            }
            block_parent = None;
        }
        let mut comment_at = None;
        let mut prev: Option<char> = None;
        let mut prev_non_space: Option<char> = None;
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match quote {
                Quote::Double => {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        quote = Quote::None;
                    }
                }
                Quote::Single => {
                    if c == '\'' {
                        if chars.peek().map(|(_, n)| *n) == Some('\'') {
                            chars.next();
                        } else {
                            quote = Quote::None;
                        }
                    }
                }
                Quote::None => {
                    let after_space = prev.is_none_or(|p| p.is_whitespace());
                    if c == '#' && after_space {
                        comment_at = Some(i);
                        break;
                    }
                    let token_start = prev.is_none_or(|p| p.is_whitespace() || "[{,".contains(p))
                        && prev_non_space.is_none_or(|p| ":-[{,?".contains(p));
                    if (c == '"' || c == '\'') && token_start {
                        quote = if c == '"' {
                            Quote::Double
                        } else {
                            Quote::Single
                        };
                    }
                }
            }
            if !c.is_whitespace() {
                prev_non_space = Some(c);
            }
            prev = Some(c);
        }
        let code_part = &line[..comment_at.unwrap_or(line.len())];
        if let Some(at) = comment_at {
            comments.push(Comment {
                span: Span::new(line_start + at, line_start + line.len()),
                line: index + 1,
                own_line: code_part.trim().is_empty(),
            });
        }
        if quote == Quote::None && opens_block_scalar(code_part) {
            block_parent = Some(indent);
        }
    }
    comments
}

/// The comments of a YAML file: from the YAML module's span tree when the file parses (exact
/// about every scalar), else from the line scanner (a broken file can still carry
/// suppressions, e.g. for its parse error).
fn yaml_comment_list(source: &SourceFile) -> Vec<Comment> {
    let text: &str = &source.text;
    match crate::yaml::parse(text) {
        Ok(documents) => crate::yaml::comment_spans(text, &documents)
            .into_iter()
            .map(|span| {
                let line = source.line_col(span.start).line;
                let line_start = source.line_start(line).unwrap_or(span.start);
                Comment {
                    span,
                    line,
                    own_line: text[line_start..span.start].trim().is_empty(),
                }
            })
            .collect(),
        Err(_) => yaml_comments(text),
    }
}

/// `key: |`, `- >-`, `key: |2+` ...: the line's value is a block scalar.
fn opens_block_scalar(code: &str) -> bool {
    let trimmed = code.trim_end();
    let indicator_start =
        trimmed.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
    let Some(before) = indicator_start
        .strip_suffix('|')
        .or_else(|| indicator_start.strip_suffix('>'))
    else {
        return false;
    };
    let before = before.trim_end();
    before.is_empty() || before.ends_with(':') || before.ends_with('-') || before.ends_with("---")
}

/// Dockerfile structure the suppressions need: comments, and each line's instruction.
struct DockerfileLines {
    comments: Vec<Comment>,
    /// For each 0-based line, the 1-based first and last line of its instruction.
    instruction: Vec<Option<(usize, usize)>>,
}

fn dockerfile_lines(text: &str) -> DockerfileLines {
    let lines: Vec<(usize, &str)> = {
        let mut offset = 0;
        text.split_inclusive('\n')
            .map(|raw| {
                let start = offset;
                offset += raw.len();
                (start, raw.trim_end_matches(['\n', '\r']))
            })
            .collect()
    };
    let mut escape = '\\';
    for (_, line) in &lines {
        let trimmed = line.trim();
        let Some(directive) = trimmed.strip_prefix('#') else {
            break;
        };
        let directive = directive.trim().to_ascii_lowercase();
        if let Some(value) = directive.strip_prefix("escape=") {
            if value.trim() == "`" {
                escape = '`';
            }
        } else if !directive.contains('=') {
            break;
        }
    }
    let mut comments = Vec::new();
    let mut instruction = vec![None; lines.len()];
    let mut index = 0;
    while index < lines.len() {
        let (start, line) = lines[index];
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            index += 1;
            continue;
        }
        if trimmed.starts_with('#') {
            comments.push(Comment {
                span: Span::new(start + (line.len() - trimmed.len()), start + line.len()),
                line: index + 1,
                own_line: true,
            });
            index += 1;
            continue;
        }
        let first = index;
        let mut heredocs: Vec<(String, bool)> = Vec::new();
        loop {
            let (start, line) = lines[index];
            heredocs.extend(heredoc_markers(line));
            if let Some(at) = line.find("# skafix:").or_else(|| line.find("#skafix:")) {
                if at > 0 && line[..at].ends_with(char::is_whitespace) {
                    comments.push(Comment {
                        span: Span::new(start + at, start + line.len()),
                        line: index + 1,
                        own_line: false,
                    });
                }
            }
            let continued = line.trim_end().ends_with(escape);
            index += 1;
            if !continued {
                break;
            }
            // Comment and blank lines inside a continued instruction do not end it.
            while index < lines.len() {
                let next = lines[index].1.trim_start();
                if next.is_empty() || next.starts_with('#') {
                    index += 1;
                } else {
                    break;
                }
            }
            if index >= lines.len() {
                break;
            }
        }
        for (marker, strip_tabs) in heredocs {
            while index < lines.len() {
                let body = lines[index].1;
                let body = if strip_tabs {
                    body.trim_start_matches('\t')
                } else {
                    body
                };
                index += 1;
                if body == marker {
                    break;
                }
            }
        }
        let last = index;
        for slot in instruction.iter_mut().take(last).skip(first) {
            *slot = Some((first + 1, last));
        }
    }
    DockerfileLines {
        comments,
        instruction,
    }
}

/// The heredoc terminators a line opens (`<<EOF`, `<<-"EOF"`), with whether tabs are stripped.
fn heredoc_markers(line: &str) -> Vec<(String, bool)> {
    let mut markers = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("<<") {
        rest = &rest[at + 2..];
        let (strip, after) = match rest.strip_prefix('-') {
            Some(after) => (true, after),
            None => (false, rest),
        };
        let unquoted = after.trim_start_matches(['"', '\'']);
        let word: String = unquoted
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty()
            && word
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        {
            markers.push((word, strip));
        }
    }
    markers
}

#[derive(Debug)]
struct CodeRef {
    text: String,
    span: Span,
    /// What it suppresses: the code itself, or the skafix code a hadolint code maps to.
    selector: Option<Selector>,
    used: bool,
}

#[derive(Debug)]
struct Directive {
    /// None: the whole file.
    lines: Option<(usize, usize)>,
    codes: Vec<CodeRef>,
    comment: Comment,
    /// The bytes between the brackets, for the fix that drops unused codes.
    list_span: Span,
    /// hadolint's pragma: belongs to hadolint too, so never reported as unused or unknown.
    foreign: bool,
}

fn directives(
    source: &SourceFile,
    kind: FileKind,
    seen_codes: &[&str],
    problems: &mut Vec<Diagnostic>,
) -> Vec<Directive> {
    let text: &str = &source.text;
    let (comments, instruction) = match kind {
        FileKind::Yaml => (yaml_comment_list(source), None),
        FileKind::Dockerfile => {
            let lines = dockerfile_lines(text);
            (lines.comments, Some(lines.instruction))
        }
    };
    let instruction_of = |line: usize| {
        instruction
            .as_ref()
            .and_then(|lines| lines.get(line - 1).copied().flatten())
            .unwrap_or((line, line))
    };
    // The line an own-line comment applies to: the next one that is neither blank nor a comment.
    let next_code_line = |after: usize| {
        (after + 1..=source.line_count()).find(|&line| {
            let start = source.line_start(line).unwrap_or(text.len());
            let end = source.line_start(line + 1).unwrap_or(text.len());
            let content = text[start..end].trim();
            !content.is_empty() && !content.starts_with('#')
        })
    };
    let mut found = Vec::new();
    for comment in comments {
        let body = &text[comment.span.start..comment.span.end];
        let after_hash = body[1..].trim_start();
        let target = |file_level: bool| {
            if file_level {
                None
            } else if comment.own_line {
                Some(
                    next_code_line(comment.line)
                        .map(instruction_of)
                        .unwrap_or((usize::MAX, usize::MAX)),
                )
            } else {
                Some(instruction_of(comment.line))
            }
        };
        if let Some(rest) = strip_keyword(after_hash, "skafix") {
            let Some(rest) = rest.trim_start().strip_prefix(':') else {
                continue;
            };
            let rest = rest.trim_start();
            let (file_level, list) = if let Some(list) = rest.strip_prefix("ignore-file") {
                (true, list)
            } else if let Some(list) = rest.strip_prefix("ignore") {
                (false, list)
            } else {
                problems.push(malformed(source, comment.span));
                continue;
            };
            let list = list.trim_start();
            let (Some(inner), true) = (list.strip_prefix('['), list.contains(']')) else {
                problems.push(malformed(source, comment.span));
                continue;
            };
            let close = inner.find(']').unwrap_or(inner.len());
            let inner_start = comment.span.end - inner.len();
            let list_span = Span::new(inner_start, inner_start + close);
            let codes = code_list(&inner[..close], inner_start, |code| {
                Selector::parse(code).ok().or_else(|| {
                    let upper = code.to_ascii_uppercase();
                    seen_codes
                        .iter()
                        .any(|seen| seen.starts_with(&upper))
                        .then_some(Selector(upper))
                })
            });
            if codes.is_empty() {
                problems.push(malformed(source, comment.span));
                continue;
            }
            found.push(Directive {
                lines: target(file_level),
                codes,
                comment,
                list_span,
                foreign: false,
            });
        } else if kind == FileKind::Dockerfile {
            let Some(rest) = strip_keyword(after_hash, "hadolint") else {
                continue;
            };
            let rest = rest.trim_start();
            let (file_level, rest) = match strip_keyword(rest, "global") {
                Some(rest) => (true, rest.trim_start()),
                None => (false, rest),
            };
            let Some(rest) = strip_keyword(rest, "ignore") else {
                continue;
            };
            let Some(list) = rest.trim_start().strip_prefix('=') else {
                continue;
            };
            let list = list.trim_start();
            let list_len = list
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == ',' || c == ' '))
                .unwrap_or(list.len());
            let start = comment.span.end - list.len();
            let codes = code_list(&list[..list_len], start, |code| {
                HADOLINT_CODES
                    .iter()
                    .find(|(hadolint, _)| hadolint.eq_ignore_ascii_case(code))
                    .map(|(_, ours)| Selector(ours.to_string()))
            });
            found.push(Directive {
                lines: target(file_level),
                codes,
                comment,
                list_span: Span::new(start, start + list_len),
                foreign: true,
            });
        }
    }
    found
}

/// `keyword` at the start of `text` as a whole word; the rest after it.
fn strip_keyword<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = text.strip_prefix(keyword)?;
    match rest.chars().next() {
        Some(c) if c.is_ascii_alphanumeric() || c == '_' || c == '-' => None,
        _ => Some(rest),
    }
}

/// Splits `A, B C` into codes with their byte spans (`offset` is where `list` starts).
fn code_list(
    list: &str,
    offset: usize,
    resolve: impl Fn(&str) -> Option<Selector>,
) -> Vec<CodeRef> {
    let mut codes = Vec::new();
    let mut position = 0;
    for piece in list.split(|c: char| c == ',' || c.is_whitespace()) {
        let start = position;
        position += piece.len() + 1;
        if piece.is_empty() {
            continue;
        }
        codes.push(CodeRef {
            text: piece.to_string(),
            span: Span::new(offset + start, offset + start + piece.len()),
            selector: resolve(piece),
            used: false,
        });
    }
    codes
}

fn malformed(source: &SourceFile, span: Span) -> Diagnostic {
    UNKNOWN_CODE
        .diagnostic(source.path.clone(), span, "malformed suppression comment")
        .with_help(
            "write `# skafix: ignore[CODE, ...] reason` or `# skafix: ignore-file[CODE, ...]`",
        )
}

/// Removes suppressed findings and adds SUP001/SUP002 findings for suppressions that
/// suppress nothing or name unknown codes. `sources` are the texts the diagnostics point
/// into (keyed by the diagnostics' paths); YAML files and Dockerfiles among them are scanned.
pub fn apply_suppressions(
    diagnostics: Vec<Diagnostic>,
    sources: &BTreeMap<PathBuf, Arc<SourceFile>>,
) -> Vec<Diagnostic> {
    let seen_codes: Vec<&str> = {
        let mut codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    };
    let mut problems = Vec::new();
    let mut by_file: BTreeMap<&Path, Vec<Directive>> = BTreeMap::new();
    for (path, source) in sources {
        let Some(kind) = file_kind(path) else {
            continue;
        };
        // Cheap pre-check: most files have no suppression at all.
        if !source.text.contains("skafix") && !source.text.contains("hadolint") {
            continue;
        }
        let found = directives(source, kind, &seen_codes, &mut problems);
        if !found.is_empty() {
            by_file.insert(path.as_path(), found);
        }
    }
    let mut kept = Vec::with_capacity(diagnostics.len());
    for diagnostic in diagnostics {
        let suppressed = match (
            by_file.get_mut(diagnostic.path.as_path()),
            sources.get(&diagnostic.path),
        ) {
            (Some(directives), Some(source)) if rule_by_code(diagnostic.code).is_none() => {
                let line = source.line_col(diagnostic.span.start).line;
                let mut hit = false;
                for directive in directives.iter_mut() {
                    let applies = match directive.lines {
                        None => true,
                        Some((first, last)) => (first..=last).contains(&line),
                    };
                    if !applies {
                        continue;
                    }
                    for code in &mut directive.codes {
                        if code
                            .selector
                            .as_ref()
                            .is_some_and(|s| s.matches(diagnostic.code))
                        {
                            code.used = true;
                            hit = true;
                        }
                    }
                }
                hit
            }
            _ => false,
        };
        if !suppressed {
            kept.push(diagnostic);
        }
    }
    for (path, directives) in by_file {
        let Some(source) = sources.get(path) else {
            continue;
        };
        for directive in directives.iter().filter(|d| !d.foreign) {
            report_directive(source, directive, &mut problems);
        }
    }
    kept.extend(problems);
    kept
}

fn report_directive(source: &SourceFile, directive: &Directive, problems: &mut Vec<Diagnostic>) {
    let used: Vec<&str> = directive
        .codes
        .iter()
        .filter(|c| c.used)
        .map(|c| c.text.as_str())
        .collect();
    let fix = if used.is_empty() {
        Fix {
            applicability: Applicability::Safe,
            message: "remove the suppression comment".to_string(),
            edits: vec![Edit {
                path: source.path.clone(),
                start: comment_removal(source, directive.comment).start,
                end: comment_removal(source, directive.comment).end,
                content: String::new(),
            }],
        }
    } else {
        Fix {
            applicability: Applicability::Safe,
            message: "remove the unused codes".to_string(),
            edits: vec![Edit {
                path: source.path.clone(),
                start: directive.list_span.start,
                end: directive.list_span.end,
                content: used.join(", "),
            }],
        }
    };
    let scope = if directive.lines.is_none() {
        "in this file"
    } else {
        "on the line it applies to"
    };
    for code in &directive.codes {
        if code.selector.is_none() {
            problems.push(
                UNKNOWN_CODE
                    .diagnostic(
                        source.path.clone(),
                        code.span,
                        format!("unknown rule code `{}` in a suppression comment", code.text),
                    )
                    .with_help("`skafix rules` lists every code"),
            );
        } else if !code.used {
            problems.push(
                UNUSED_SUPPRESSION
                    .diagnostic(
                        source.path.clone(),
                        code.span,
                        format!("unused suppression: no `{}` finding {scope}", code.text),
                    )
                    .with_fix(fix.clone()),
            );
        }
    }
}

/// The bytes to delete to drop a comment: its whole line when it stands alone, else the
/// comment and the whitespace before it.
fn comment_removal(source: &SourceFile, comment: Comment) -> Span {
    let text: &str = &source.text;
    if comment.own_line {
        let start = source
            .line_start(comment.line)
            .unwrap_or(comment.span.start);
        let end = source.line_start(comment.line + 1).unwrap_or(text.len());
        Span::new(start, end)
    } else {
        let before = text[..comment.span.start].trim_end_matches([' ', '\t']);
        Span::new(before.len(), comment.span.end)
    }
}

#[cfg(test)]
#[path = "suppression_tests.rs"]
mod tests;
