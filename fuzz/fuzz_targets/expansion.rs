//! Expansion-heavy Dockerfiles from a generator: chains of ARG and ENV that refer to each
//! other through every buildkit modifier, used in FROM, WORKDIR, USER, COPY and commands, with
//! build args passed or not. Raw bytes seldom write a valid `${a:-$b$b}`; this writes little
//! else, so the value and build budgets are what gets exercised.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use std::fmt::Write;

/// The expansion budget of one word (64 KiB) and of a build's variables (32 MiB).
const MAX_VALUE_BYTES: usize = 64 * 1024;

const NAMES: [&str; 8] = ["a", "b", "c", "d", "HOME", "PATH", "TARGETARCH", "e"];
const LITERALS: [&str; 10] = [
    "x",
    "0123456789abcdef",
    "/srv",
    " ",
    "\"",
    "'",
    "\\",
    ":",
    "}",
    "app",
];

#[derive(Arbitrary, Debug)]
enum Modifier {
    Plain,
    Braced,
    Default(Vec<Piece>),
    DefaultIfUnset(Vec<Piece>),
    Alternate(Vec<Piece>),
    AlternateIfSet(Vec<Piece>),
    Required(Vec<Piece>),
    TrimPrefix(bool, Vec<Piece>),
    TrimSuffix(bool, Vec<Piece>),
}

#[derive(Arbitrary, Debug)]
enum Piece {
    Literal(u8),
    Var(u8, Box<Modifier>),
}

#[derive(Arbitrary, Debug)]
enum Line {
    Arg(Vec<(u8, Option<Vec<Piece>>)>),
    Env(Vec<(u8, Vec<Piece>)>),
    /// The line written this many times: long runs of cheap lines over a large state.
    Repeat(u8, Box<Line>),
    From(Vec<Piece>, bool),
    Workdir(Vec<Piece>),
    User(Vec<Piece>),
    Copy(Vec<Piece>, Vec<Piece>),
    Cmd(Vec<Piece>),
    Run(Vec<Piece>),
}

#[derive(Arbitrary, Debug)]
struct Build {
    global_args: Vec<(u8, Option<Vec<Piece>>)>,
    lines: Vec<Line>,
    build_args: Vec<(u8, Vec<Piece>)>,
    pass_build_args: bool,
}

fn name(i: u8) -> &'static str {
    NAMES[usize::from(i) % NAMES.len()]
}

fn word(out: &mut String, pieces: &[Piece]) {
    for piece in pieces {
        match piece {
            Piece::Literal(i) => out.push_str(LITERALS[usize::from(*i) % LITERALS.len()]),
            Piece::Var(i, modifier) => {
                let n = name(*i);
                let inner = |out: &mut String, op: &str, pieces: &[Piece]| {
                    write!(out, "${{{n}{op}").unwrap();
                    word(out, pieces);
                    out.push('}');
                };
                match modifier.as_ref() {
                    Modifier::Plain => write!(out, "${n}").unwrap(),
                    Modifier::Braced => write!(out, "${{{n}}}").unwrap(),
                    Modifier::Default(p) => inner(out, ":-", p),
                    Modifier::DefaultIfUnset(p) => inner(out, "-", p),
                    Modifier::Alternate(p) => inner(out, ":+", p),
                    Modifier::AlternateIfSet(p) => inner(out, "+", p),
                    Modifier::Required(p) => inner(out, ":?", p),
                    Modifier::TrimPrefix(longest, p) => {
                        inner(out, if *longest { "##" } else { "#" }, p)
                    }
                    Modifier::TrimSuffix(longest, p) => {
                        inner(out, if *longest { "%%" } else { "%" }, p)
                    }
                }
            }
        }
    }
}

fn text_of(build: &Build) -> String {
    let mut text = String::new();
    let pieces = |pieces: &[Piece]| {
        let mut out = String::new();
        word(&mut out, pieces);
        out
    };
    for (n, default) in &build.global_args {
        match default {
            Some(d) => writeln!(text, "ARG {}={}", name(*n), pieces(d)).unwrap(),
            None => writeln!(text, "ARG {}", name(*n)).unwrap(),
        }
    }
    text.push_str("FROM alpine:3.20 AS base\n");
    let mut stage = 0;
    for line in &build.lines {
        write_line(&mut text, line, &mut stage);
    }
    text
}

/// Nested repeats multiply: the generated file stops growing here, well past where the
/// budgets act on these lines.
const MAX_TEXT_BYTES: usize = 1 << 20;

fn write_line(text: &mut String, line: &Line, stage: &mut usize) {
    if text.len() > MAX_TEXT_BYTES {
        return;
    }
    let pieces = |pieces: &[Piece]| {
        let mut out = String::new();
        word(&mut out, pieces);
        out
    };
    match line {
        Line::Arg(decls) => {
            text.push_str("ARG");
            for (n, default) in decls {
                match default {
                    Some(d) => write!(text, " {}={}", name(*n), pieces(d)).unwrap(),
                    None => write!(text, " {}", name(*n)).unwrap(),
                }
            }
            text.push('\n');
        }
        Line::Env(pairs) => {
            text.push_str("ENV");
            for (n, value) in pairs {
                write!(text, " {}={}", name(*n), pieces(value)).unwrap();
            }
            text.push('\n');
        }
        Line::Repeat(times, line) => {
            // Stop the loop too, not only the writing: nested repeats of lines that write
            // nothing would otherwise spin through 255^depth iterations.
            for _ in 0..*times {
                if text.len() > MAX_TEXT_BYTES {
                    break;
                }
                let before = text.len();
                write_line(text, line, stage);
                if text.len() == before {
                    break;
                }
            }
        }
        Line::From(base, from_stage) => {
            *stage += 1;
            if *from_stage {
                writeln!(text, "FROM base AS s{stage}").unwrap();
            } else {
                writeln!(text, "FROM {} AS s{stage}", pieces(base)).unwrap();
            }
        }
        Line::Workdir(p) => writeln!(text, "WORKDIR {}", pieces(p)).unwrap(),
        Line::User(p) => writeln!(text, "USER {}", pieces(p)).unwrap(),
        Line::Copy(from, to) => writeln!(text, "COPY {} {}", pieces(from), pieces(to)).unwrap(),
        Line::Cmd(p) => writeln!(text, "CMD {}", pieces(p)).unwrap(),
        Line::Run(p) => writeln!(text, "RUN echo {}", pieces(p)).unwrap(),
    }
}

fn check_expanded(expanded: Option<skafix::dockerfile::Expanded>) {
    if let Some(expanded) = expanded {
        assert!(
            expanded.value.len() <= MAX_VALUE_BYTES + 64,
            "a word expanded to {} bytes",
            expanded.value.len()
        );
    }
}

fuzz_target!(|build: Build| {
    let text = text_of(&build);
    // To see what a saved input generates: SKAFIX_FUZZ_PRINT=1 target/.../expansion FILE
    if std::env::var_os("SKAFIX_FUZZ_PRINT").is_some() {
        eprintln!("{text}");
    }
    let Ok(df) = skafix::dockerfile::parse(&text) else {
        return;
    };
    let mut args = HashMap::new();
    for (n, value) in &build.build_args {
        let mut out = String::new();
        word(&mut out, value);
        args.insert(name(*n).to_string(), out);
    }
    let passed = build.pass_build_args.then_some(&args);
    // Each state asked for is a copy of the whole environment (up to the 32 MiB budget):
    // rules ask at a few instructions, so asking at every one of a generated million would
    // only measure copying.
    for ins in df
        .instructions
        .iter()
        .take(64)
        .chain(df.instructions.last())
    {
        check_expanded(df.expand(ins.index, "$a${b}${c:-$d}$HOME", passed));
    }
    for stage in &df.stages {
        check_expanded(df.base_with_build_args(stage.index, passed));
        if let Some(state) = df.state_after(stage.index, passed) {
            for (_, value) in state.vars() {
                if let skafix::dockerfile::VarValue::Known(v) = value {
                    assert!(v.len() <= MAX_VALUE_BYTES + 64, "{} bytes", v.len());
                }
            }
        }
        std::hint::black_box(df.stage_command(stage.index));
    }
});
