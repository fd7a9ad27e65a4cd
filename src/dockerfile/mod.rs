//! Dockerfile model for skafix's rules, built over the `parse-dockerfile` crate.
//!
//! The crate does the lexing; this adapter turns its tree into skafix's model with exact byte
//! spans into the original text and adds what rules need: stages, ARG/ENV expansion, and the
//! WORKDIR/USER in force at every instruction. It also fixes two measured quirks of the crate
//! (see `research/dockerfile-parser-eval.md`): offsets after a UTF-8 BOM are 3 bytes low, and
//! a heredoc instruction's span stops before the terminator line.
//!
//! Semantics follow buildkit (`frontend/dockerfile/dockerfile2llb/convert.go`,
//! `frontend/dockerfile/parser/line_parsers.go`): stage names are lowercased; a FROM names an
//! earlier stage only when its expanded text equals that stage's (lowercased) name; a child
//! stage inherits its parent stage's variables, WORKDIR and USER; global ARGs are visible in
//! FROM lines and inside a stage only after `ARG NAME`.

mod eval;
mod expand;
pub mod ignore;
pub mod owners;
mod words;

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use parse_dockerfile as pd;

use crate::source::Span;
pub use eval::{BuildState, Origin, Setting, StageCommand, VarValue};
pub use expand::Expanded;

/// A Dockerfile the adapter could not parse, with the location of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileError {
    pub message: String,
    /// The line where the problem was detected (or an empty span at 0 for whole-file errors).
    pub span: Span,
}

impl fmt::Display for DockerfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DockerfileError {}

/// A piece of text with its span. `value` is the text with line continuations removed;
/// quotes and escapes are kept as written unless the field's doc says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub value: String,
    pub span: Span,
}

/// An instruction flag such as `--from=builder` or `--link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// The name without the leading `--`.
    pub name: String,
    pub value: Option<String>,
    /// The whole flag, from `--` to the end of the value.
    pub span: Span,
    pub name_span: Span,
    pub value_span: Option<Span>,
}

/// The command of RUN, CMD, ENTRYPOINT, SHELL and HEALTHCHECK CMD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// JSON array form; each argument JSON-decoded, spans cover the text inside the quotes.
    Exec { argv: Vec<Word>, span: Span },
    /// Shell form; `text` is the logical line (continuations, and comment or blank lines
    /// inside them, removed), `span` the raw text in the file.
    Shell { text: String, span: Span },
}

impl Command {
    pub fn is_exec(&self) -> bool {
        matches!(self, Command::Exec { .. })
    }

    pub fn span(&self) -> Span {
        match self {
            Command::Exec { span, .. } | Command::Shell { span, .. } => *span,
        }
    }
}

/// A here-document body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The body as the crate reports it (for `<<-`, leading tabs already removed).
    pub body: String,
    /// The body lines, up to (not including) the terminator line.
    pub span: Span,
    /// False when the delimiter was quoted, so the body is not expanded.
    pub expand: bool,
}

/// Sources and destination of COPY and ADD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyArgs {
    /// Path or URL sources as written (quotes kept); heredoc sources are in `heredocs`.
    pub sources: Vec<Word>,
    pub dest: Word,
    pub heredocs: Vec<Heredoc>,
    /// Written as a JSON array (`COPY ["a", "b"]`).
    pub json_form: bool,
}

/// One `NAME[=default]` of an ARG instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    pub name: String,
    pub name_span: Span,
    /// The default as written (quotes kept, not expanded).
    pub default: Option<Word>,
    /// The whole `NAME=default` word.
    pub span: Span,
    /// Index of the ARG instruction in [`Dockerfile::instructions`].
    pub instruction: usize,
}

/// One `key=value` of ENV or LABEL (also the legacy `ENV key value` form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub key_span: Span,
    /// The value as written (quotes kept, not expanded).
    pub value: Word,
    pub span: Span,
}

/// The arguments of an instruction, by keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Args {
    From {
        /// The base image or stage as written.
        image: Word,
        /// `AS name`, with the name lowercased as buildkit does (span of the name as written).
        name: Option<Word>,
    },
    Copy(CopyArgs),
    Add(CopyArgs),
    Run {
        command: Command,
        heredocs: Vec<Heredoc>,
    },
    Cmd(Command),
    Entrypoint(Command),
    Shell(Command),
    /// `None` for `HEALTHCHECK NONE`.
    Healthcheck(Option<Command>),
    Arg(Vec<ArgDecl>),
    Env(Vec<KeyValue>),
    Label(Vec<KeyValue>),
    Workdir {
        path: Word,
    },
    /// `USER user[:group]`, split at the first `:` as written.
    User {
        user: Word,
        group: Option<Word>,
    },
    Expose(Vec<Word>),
    Volume(Vec<Word>),
    Stopsignal(Word),
    Maintainer(Word),
    Onbuild(Box<Instruction>),
}

/// One instruction with its spans and the build state in force when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Position in [`Dockerfile::instructions`] (an ONBUILD's inner instruction shares it).
    pub index: usize,
    /// The keyword in upper case.
    pub keyword: String,
    pub keyword_span: Span,
    /// The whole instruction: continuation lines and heredoc bodies up to the end of the
    /// terminator line. Ends before the final newline.
    pub span: Span,
    pub flags: Vec<Flag>,
    /// The stage the instruction belongs to; `None` for ARGs before the first FROM.
    pub stage: Option<usize>,
    pub args: Args,
    /// WORKDIR in force when this instruction runs (for FROM: the stage's initial one; for
    /// global ARGs: none), evaluated with the Dockerfile's own ARG defaults (no build-arg
    /// overrides; use [`Dockerfile::state_at`] for those).
    pub workdir: Setting,
    /// USER in force when this instruction runs, evaluated like `workdir`.
    pub user: Setting,
}

impl Instruction {
    /// The first flag with this name (without `--`).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|f| f.name == name)
    }

    /// The command of RUN, CMD, ENTRYPOINT, SHELL or HEALTHCHECK CMD.
    pub fn command(&self) -> Option<&Command> {
        match &self.args {
            Args::Run { command, .. }
            | Args::Cmd(command)
            | Args::Entrypoint(command)
            | Args::Shell(command)
            | Args::Healthcheck(Some(command)) => Some(command),
            _ => None,
        }
    }

    /// COPY/ADD sources and destination.
    pub fn copy_args(&self) -> Option<&CopyArgs> {
        match &self.args {
            Args::Copy(c) | Args::Add(c) => Some(c),
            _ => None,
        }
    }
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, lowercased as buildkit does; the span is the name as written.
    pub name: Option<Word>,
    /// The base image (or earlier stage) as written.
    pub base: Word,
    /// `base` with global ARG defaults expanded; `None` when it depends on something skafix
    /// cannot know (a platform ARG, an ARG without default) or would fail to expand. See
    /// [`Dockerfile::base_with_build_args`] to evaluate it with build args.
    pub base_expanded: Option<String>,
    /// The earlier stage this one is built on, when `base_expanded` names one.
    pub base_stage: Option<usize>,
    /// Indices into [`Dockerfile::instructions`]: the FROM first, then the stage's body.
    pub instructions: Range<usize>,
}

impl Stage {
    /// Index of the stage's FROM instruction.
    pub fn from_index(&self) -> usize {
        self.instructions.start
    }

    /// The stage name when it has one, else its index as text: what `COPY --from` accepts.
    pub fn reference(&self) -> String {
        match &self.name {
            Some(name) => name.value.clone(),
            None => self.index.to_string(),
        }
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
    pub stages: Vec<Stage>,
    /// ARG declarations before the first FROM, in order.
    pub global_args: Vec<ArgDecl>,
    /// The escape character (`\` or from `# escape=`).
    pub escape: char,
    /// The `# syntax=` directive's value.
    pub syntax: Option<Word>,
    /// The text starts with a UTF-8 byte order mark (all spans account for it).
    pub has_bom: bool,
    /// Build-state replays already made, so `state_at`/`state_after` replay once.
    replays: eval::Replays,
}

impl Dockerfile {
    /// The stage a `COPY --from` / `RUN --mount from=` value refers to: a stage index (any
    /// stage, as buildkit allows) or a stage name (case-insensitive).
    pub fn stage_by_name_or_index(&self, reference: &str) -> Option<&Stage> {
        if !reference.is_empty() && reference.bytes().all(|b| b.is_ascii_digit()) {
            return reference
                .parse::<usize>()
                .ok()
                .and_then(|i| self.stages.get(i));
        }
        let wanted = reference.to_lowercase();
        self.stages
            .iter()
            .find(|s| s.name.as_ref().is_some_and(|n| n.value == wanted))
    }

    /// The stage a build produces: the named target (case-insensitive), else the last stage.
    /// `None` when the target names no stage.
    pub fn target_stage(&self, target: Option<&str>) -> Option<&Stage> {
        match target {
            Some(t) => {
                let wanted = t.to_lowercase();
                self.stages
                    .iter()
                    .find(|s| s.name.as_ref().is_some_and(|n| n.value == wanted))
            }
            None => self.stages.last(),
        }
    }

    /// The stage an instruction belongs to.
    pub fn stage_of(&self, instruction: usize) -> Option<&Stage> {
        self.instructions
            .get(instruction)
            .and_then(|i| i.stage)
            .and_then(|s| self.stages.get(s))
    }

    /// The variables, WORKDIR and USER in force when `instruction` runs. `Some(build_args)`
    /// is the exact set of build args passed (`--build-arg`, Skaffold's `buildArgs`): they
    /// override ARG defaults, and an ARG without default that is not passed is unset. With
    /// `None` the build args are not known: defaults are used and an ARG without default is
    /// unknown. For a FROM or a global ARG, the variables are the global ARGs. `None` for an
    /// index out of range.
    pub fn state_at(
        &self,
        instruction: usize,
        build_args: Option<&HashMap<String, String>>,
    ) -> Option<Arc<BuildState>> {
        eval::state_at(self, instruction, build_args)
    }

    /// The variables, WORKDIR and USER a stage's image ends with (after its last instruction),
    /// with `build_args` as in [`Dockerfile::state_at`].
    pub fn state_after(
        &self,
        stage: usize,
        build_args: Option<&HashMap<String, String>>,
    ) -> Option<Arc<BuildState>> {
        eval::state_after(self, stage, build_args)
    }

    /// Expands `word` as buildkit would when running `instruction` (quotes removed, escapes
    /// and variables processed); `build_args` as in [`Dockerfile::state_at`].
    pub fn expand(
        &self,
        instruction: usize,
        word: &str,
        build_args: Option<&HashMap<String, String>>,
    ) -> Option<Expanded> {
        Some(self.state_at(instruction, build_args)?.expand(word))
    }

    /// The ENTRYPOINT, CMD and SHELL the image of `stage` ends up with, following parent
    /// stages. `None` for a stage index out of range.
    pub fn stage_command(&self, stage: usize) -> Option<StageCommand> {
        eval::stage_command(self, stage)
    }

    /// The base image (or stage) of `stage` with `build_args` applied to the global ARGs.
    pub fn base_with_build_args(
        &self,
        stage: usize,
        build_args: Option<&HashMap<String, String>>,
    ) -> Option<Expanded> {
        let stage = self.stages.get(stage)?;
        self.expand(stage.from_index(), &stage.base.value, build_args)
    }
}

/// Parses a Dockerfile.
pub fn parse(text: &str) -> Result<Dockerfile, DockerfileError> {
    const BOM: &str = "\u{feff}";
    let has_bom = text.starts_with(BOM);
    // The crate parses the text after the BOM and reports offsets relative to it.
    let shift = if has_bom { BOM.len() } else { 0 };
    let body = &text[shift..];
    let parsed = pd::parse(body).map_err(|e| crate_error(body, shift, &e))?;
    let escape = parsed
        .parser_directives
        .escape
        .as_ref()
        .map_or('\\', |d| d.value.value);
    let mut conv = Conv {
        body,
        shift,
        escape,
        max_end: 0,
    };
    let syntax = parsed.parser_directives.syntax.as_ref().map(|d| Word {
        value: d.value.value.to_string(),
        span: conv.sp(&d.value.span),
    });

    let mut instructions = Vec::with_capacity(parsed.instructions.len());
    let mut stages: Vec<Stage> = Vec::new();
    let mut global_args = Vec::new();
    for (index, ins) in parsed.instructions.iter().enumerate() {
        let stage = match ins {
            pd::Instruction::From(_) => Some(stages.len()),
            _ => stages.len().checked_sub(1),
        };
        let converted = conv.instruction(ins, index, stage)?;
        if let Args::From { image, name } = &converted.args {
            if let Some(last) = stages.last_mut() {
                last.instructions.end = index;
            }
            stages.push(Stage {
                index: stages.len(),
                name: name.clone(),
                base: image.clone(),
                base_expanded: None,
                base_stage: None,
                instructions: index..index + 1,
            });
        }
        if stage.is_none() {
            if let Args::Arg(decls) = &converted.args {
                global_args.extend(decls.iter().cloned());
            }
        }
        instructions.push(converted);
    }
    if let Some(last) = stages.last_mut() {
        last.instructions.end = instructions.len();
    }
    let mut dockerfile = Dockerfile {
        instructions,
        stages,
        global_args,
        escape,
        syntax,
        has_bom,
        replays: eval::Replays::default(),
    };
    if let Some(index) = eval::fill_defaults(&mut dockerfile) {
        return Err(DockerfileError {
            message: eval::over_budget_message(),
            span: dockerfile.instructions[index].span,
        });
    }
    Ok(dockerfile)
}

/// Turns a crate error into ours. The crate reports a 1-based line (its column is only
/// reliable on line 1), so the span is the offending line.
fn crate_error(body: &str, shift: usize, e: &pd::Error) -> DockerfileError {
    let message = format!("{e:#}");
    if e.line() == 0 {
        return DockerfileError {
            message,
            span: Span::empty(shift),
        };
    }
    let line_start = body
        .match_indices('\n')
        .nth(e.line().saturating_sub(2))
        .map_or(0, |(i, _)| i + 1);
    let line_start = if e.line() == 1 { 0 } else { line_start };
    let line_end = body[line_start..]
        .find('\n')
        .map_or(body.len(), |i| line_start + i);
    let line_end = if body[..line_end].ends_with('\r') {
        line_end - 1
    } else {
        line_end
    };
    let mut start = if e.line() == 1 {
        (line_start + e.column().saturating_sub(1)).min(line_end)
    } else {
        line_start
    };
    // The crate's column can land inside a multi-byte character; a span must not.
    while !body.is_char_boundary(start) {
        start -= 1;
    }
    DockerfileError {
        message,
        span: Span::new(start + shift, line_end + shift),
    }
}

/// Converts crate nodes to the model, tracking the furthest offset each instruction covers.
struct Conv<'a> {
    body: &'a str,
    shift: usize,
    escape: char,
    max_end: usize,
}

impl Conv<'_> {
    fn sp(&mut self, r: &Range<usize>) -> Span {
        self.max_end = self.max_end.max(r.end);
        Span::new(r.start + self.shift, r.end + self.shift)
    }

    fn error(&self, message: String, at: usize) -> DockerfileError {
        let line_start = self.body[..at].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.body[at..]
            .find('\n')
            .map_or(self.body.len(), |i| at + i);
        let line_end = if self.body[..line_end].ends_with('\r') {
            line_end - 1
        } else {
            line_end
        };
        DockerfileError {
            message,
            span: Span::new(
                line_start + self.shift,
                line_end.max(line_start) + self.shift,
            ),
        }
    }

    fn escape_byte(&self) -> u8 {
        if self.escape == '`' {
            b'`'
        } else {
            b'\\'
        }
    }

    fn word(&mut self, s: &pd::UnescapedString<'_>) -> Word {
        Word {
            value: s.value.to_string(),
            span: self.sp(&s.span),
        }
    }

    fn logical(&mut self, r: &Range<usize>) -> words::Logical {
        self.max_end = self.max_end.max(r.end);
        words::join(self.body, r.clone(), self.escape_byte())
    }

    fn word_in(&mut self, l: &words::Logical, r: Range<usize>) -> Word {
        let src = l.source_range(r.clone());
        Word {
            value: l.text[r].to_string(),
            span: self.sp(&src),
        }
    }

    fn flags(&mut self, flags: &[pd::Flag<'_>]) -> Vec<Flag> {
        // buildkit drops a bare `--` (it ends the flags); the crate keeps it as a flag.
        flags
            .iter()
            .filter(|f| !f.name.value.is_empty() || f.value.is_some())
            .map(|f| Flag {
                name: f.name.value.to_string(),
                value: f.value.as_ref().map(|v| v.value.to_string()),
                span: self.sp(&f.span()),
                name_span: self.sp(&f.name.span),
                value_span: f.value.as_ref().map(|v| self.sp(&v.span)),
            })
            .collect()
    }

    fn command(&mut self, c: &pd::Command<'_>) -> Command {
        match c {
            pd::Command::Exec(argv) => Command::Exec {
                argv: argv.value.iter().map(|a| self.word(a)).collect(),
                span: self.sp(&argv.span),
            },
            pd::Command::Shell(s) => self.shell_command(&s.span),
            #[allow(unreachable_patterns)]
            _ => Command::Shell {
                text: String::new(),
                span: Span::empty(self.shift),
            },
        }
    }

    fn shell_command(&mut self, span: &Range<usize>) -> Command {
        let l = self.logical(span);
        Command::Shell {
            text: l.text.trim_end().to_string(),
            span: self.sp(span),
        }
    }

    fn heredoc(&mut self, h: &pd::HereDoc<'_>) -> Heredoc {
        // The crate's span stops at the start of the terminator line; the instruction goes on
        // to the end of that line.
        let terminator_end = self.body[h.span.end..]
            .find('\n')
            .map_or(self.body.len(), |i| h.span.end + i);
        let terminator_end = if self.body[..terminator_end].ends_with('\r') {
            terminator_end - 1
        } else {
            terminator_end
        };
        self.max_end = self.max_end.max(terminator_end);
        Heredoc {
            body: h.value.to_string(),
            span: self.sp(&h.span),
            expand: h.expand,
        }
    }

    fn copy_args(&mut self, src: &[pd::Source<'_>], dest: &pd::UnescapedString<'_>) -> CopyArgs {
        let mut sources = Vec::new();
        let mut heredocs = Vec::new();
        for s in src {
            match s {
                pd::Source::Path(p) => sources.push(self.word(p)),
                pd::Source::HereDoc(h) => heredocs.push(self.heredoc(h)),
                #[allow(unreachable_patterns)]
                _ => {}
            }
        }
        let dest_word = self.word(dest);
        // JSON form: the raw text right after the flags starts with `[`.
        let first = src
            .iter()
            .filter_map(|s| match s {
                pd::Source::Path(p) => Some(p.span.start),
                _ => None,
            })
            .min()
            .unwrap_or(dest.span.start);
        // In JSON form the first source's span starts inside `["`.
        let before = &self.body[..first];
        let json_form =
            before.ends_with('"') && before[..before.len() - 1].trim_end().ends_with('[');
        CopyArgs {
            sources,
            dest: dest_word,
            heredocs,
            json_form,
        }
    }

    fn key_values(
        &mut self,
        keyword: &str,
        arguments: &pd::UnescapedString<'_>,
    ) -> Result<Vec<KeyValue>, DockerfileError> {
        let l = self.logical(&arguments.span);
        let trimmed_end = l.text.trim_end().len();
        let words = words::split_words(&l.text[..trimmed_end], self.escape);
        let Some(first) = words.first() else {
            return Err(self.error(
                format!("{keyword} requires at least one argument"),
                arguments.span.start,
            ));
        };
        if !l.text[first.clone()].contains('=') {
            // Legacy `KEY value…`: the value is the rest after the first run of whitespace.
            let text = &l.text[..trimmed_end];
            let key_end = text
                .find([' ', '\t', '\r', '\x0B', '\x0C'])
                .unwrap_or(text.len());
            let value_start = text[key_end..]
                .find(|c: char| !matches!(c, ' ' | '\t' | '\r' | '\x0B' | '\x0C'))
                .map(|i| key_end + i);
            let Some(value_start) = value_start else {
                return Err(self.error(
                    format!("{keyword} must have two arguments"),
                    arguments.span.start,
                ));
            };
            let key = self.word_in(&l, 0..key_end);
            let value = self.word_in(&l, value_start..trimmed_end);
            let span = key.span.cover(value.span);
            return Ok(vec![KeyValue {
                key: key.value,
                key_span: key.span,
                value,
                span,
            }]);
        }
        let mut pairs = Vec::with_capacity(words.len());
        for w in words {
            let text = &l.text[w.clone()];
            let Some(eq) = text.find('=') else {
                return Err(self.error(
                    format!(
                        "Syntax error - can't find = in \"{text}\". Must be of the form: name=value"
                    ),
                    l.source_range(w).start,
                ));
            };
            if eq == 0 {
                return Err(self.error(
                    format!("{keyword} names can not be blank"),
                    l.source_range(w).start,
                ));
            }
            let key = self.word_in(&l, w.start..w.start + eq);
            let value = self.word_in(&l, w.start + eq + 1..w.end);
            let whole = self.word_in(&l, w);
            pairs.push(KeyValue {
                key: key.value,
                key_span: key.span,
                value,
                span: whole.span,
            });
        }
        Ok(pairs)
    }

    fn arg_decls(
        &mut self,
        arguments: &pd::UnescapedString<'_>,
        index: usize,
    ) -> Result<Vec<ArgDecl>, DockerfileError> {
        let l = self.logical(&arguments.span);
        let trimmed_end = l.text.trim_end().len();
        let mut decls = Vec::new();
        for w in words::split_words(&l.text[..trimmed_end], self.escape) {
            let text = &l.text[w.clone()];
            let (name_range, default) = match text.find('=') {
                Some(eq) => (w.start..w.start + eq, Some(w.start + eq + 1..w.end)),
                None => (w.clone(), None),
            };
            if name_range.is_empty() {
                return Err(self.error(
                    "ARG names can not be blank".to_string(),
                    l.source_range(w).start,
                ));
            }
            let name = self.word_in(&l, name_range);
            let default = default.map(|r| self.word_in(&l, r));
            let whole = self.word_in(&l, w);
            decls.push(ArgDecl {
                name: name.value,
                name_span: name.span,
                default,
                span: whole.span,
                instruction: index,
            });
        }
        Ok(decls)
    }

    fn instruction(
        &mut self,
        ins: &pd::Instruction<'_>,
        index: usize,
        stage: Option<usize>,
    ) -> Result<Instruction, DockerfileError> {
        use pd::Instruction as I;
        let outer_max = self.max_end;
        self.max_end = 0;
        let (keyword, flags, args) = match ins {
            I::Add(a) => (
                &a.add,
                self.flags(&a.options),
                Args::Add(self.copy_args(&a.src, &a.dest)),
            ),
            I::Copy(c) => (
                &c.copy,
                self.flags(&c.options),
                Args::Copy(self.copy_args(&c.src, &c.dest)),
            ),
            I::Arg(a) => (
                &a.arg,
                Vec::new(),
                Args::Arg(self.arg_decls(&a.arguments, index)?),
            ),
            I::Cmd(c) => (&c.cmd, Vec::new(), Args::Cmd(self.command(&c.arguments))),
            I::Entrypoint(e) => (
                &e.entrypoint,
                Vec::new(),
                Args::Entrypoint(self.command(&e.arguments)),
            ),
            I::Env(e) => (
                &e.env,
                Vec::new(),
                Args::Env(self.key_values("ENV", &e.arguments)?),
            ),
            I::Label(l) => (
                &l.label,
                Vec::new(),
                Args::Label(self.key_values("LABEL", &l.arguments)?),
            ),
            I::Expose(e) => (
                &e.expose,
                Vec::new(),
                Args::Expose(e.arguments.iter().map(|w| self.word(w)).collect()),
            ),
            I::From(f) => {
                let flags = self.flags(&f.options);
                let image = self.word(&f.image);
                let name = f.as_.as_ref().map(|(as_kw, name)| {
                    self.sp(&as_kw.span);
                    let mut w = self.word(name);
                    w.value = w.value.to_lowercase();
                    w
                });
                (&f.from, flags, Args::From { image, name })
            }
            I::Healthcheck(h) => {
                let flags = self.flags(&h.options);
                let cmd = match &h.arguments {
                    pd::HealthcheckArguments::Cmd { cmd, arguments, .. } => {
                        self.sp(&cmd.span);
                        Some(self.command(arguments))
                    }
                    pd::HealthcheckArguments::None { none, .. } => {
                        self.sp(&none.span);
                        None
                    }
                    #[allow(unreachable_patterns)]
                    _ => None,
                };
                (&h.healthcheck, flags, Args::Healthcheck(cmd))
            }
            I::Maintainer(m) => (
                &m.maintainer,
                Vec::new(),
                Args::Maintainer(self.raw_word(&m.name)),
            ),
            I::Onbuild(o) => {
                let inner = self.instruction(&o.instruction, index, stage)?;
                self.max_end = self.max_end.max(inner.span.end - self.shift);
                (&o.onbuild, Vec::new(), Args::Onbuild(Box::new(inner)))
            }
            I::Run(r) => {
                let flags = self.flags(&r.options);
                let command = self.command(&r.arguments);
                let heredocs = r.here_docs.iter().map(|h| self.heredoc(h)).collect();
                (&r.run, flags, Args::Run { command, heredocs })
            }
            I::Shell(s) => {
                let argv: Vec<Word> = s.arguments.iter().map(|a| self.word(a)).collect();
                // The crate drops the array's own span; the brackets lie around the arguments.
                let span = match (argv.first(), argv.last()) {
                    (Some(first), Some(last)) => {
                        let open = self.body[..first.span.start - self.shift]
                            .rfind('[')
                            .unwrap_or(first.span.start - self.shift);
                        let close = self.body[last.span.end - self.shift..]
                            .find(']')
                            .map_or(last.span.end - self.shift, |i| {
                                last.span.end - self.shift + i + 1
                            });
                        self.sp(&(open..close))
                    }
                    _ => Span::empty(s.shell.span.end + self.shift),
                };
                (
                    &s.shell,
                    Vec::new(),
                    Args::Shell(Command::Exec { argv, span }),
                )
            }
            I::Stopsignal(s) => (
                &s.stopsignal,
                Vec::new(),
                Args::Stopsignal(self.raw_word(&s.arguments)),
            ),
            I::User(u) => {
                let l = self.logical(&u.arguments.span);
                let text_end = l.text.trim_end().len();
                let args = match user_group_colon(&l.text[..text_end]) {
                    Some(colon) => Args::User {
                        user: self.word_in(&l, 0..colon),
                        group: Some(self.word_in(&l, colon + 1..text_end)),
                    },
                    None => Args::User {
                        user: self.word_in(&l, 0..text_end),
                        group: None,
                    },
                };
                (&u.user, Vec::new(), args)
            }
            I::Volume(v) => {
                let paths = match &v.arguments {
                    pd::JsonOrStringArray::Json(a) => {
                        self.sp(&a.span);
                        a.value.iter().map(|w| self.word(w)).collect()
                    }
                    pd::JsonOrStringArray::String(a) => a.iter().map(|w| self.word(w)).collect(),
                };
                (&v.volume, Vec::new(), Args::Volume(paths))
            }
            I::Workdir(w) => (
                &w.workdir,
                Vec::new(),
                Args::Workdir {
                    path: self.raw_word(&w.arguments),
                },
            ),
            #[allow(unreachable_patterns)]
            _ => {
                return Err(self.error("unsupported instruction".into(), 0));
            }
        };
        let keyword_logical = self.logical(&keyword.span);
        let keyword_span = self.sp(&keyword.span);
        let end = self.max_end.max(keyword.span.end);
        self.max_end = outer_max.max(end);
        Ok(Instruction {
            index,
            keyword: keyword_logical.text.to_uppercase(),
            keyword_span,
            span: Span::new(keyword.span.start + self.shift, end + self.shift),
            flags,
            stage,
            args,
            workdir: Setting::default(),
            user: Setting::default(),
        })
    }

    /// A raw-string argument (WORKDIR, MAINTAINER, STOPSIGNAL): the logical text.
    fn raw_word(&mut self, s: &pd::UnescapedString<'_>) -> Word {
        let l = self.logical(&s.span);
        let end = l.text.trim_end().len();
        self.word_in(&l, 0..end)
    }
}

/// The `:` separating user and group, skipping any inside `${...}` (for `${U:-app}:staff`).
fn user_group_colon(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' if i > 0 && bytes[i - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests;
