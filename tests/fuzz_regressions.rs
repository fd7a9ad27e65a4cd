//! Inputs that once exhausted memory or gave an unclear error, replayed through the library
//! entry their fuzz target (`fuzz/fuzz_targets/`) calls first, with the outcome they must
//! have now: a clean error at a location. The inputs live in `tests/fuzz-regressions/`.

use skafix::source::{SourceFile, Span};
use std::path::Path;

fn input(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `line:column` of a span's start, as reports show it.
fn at(text: &str, span: Span) -> String {
    let position = SourceFile::new("input", text).line_col(span.start);
    format!("{}:{}", position.line, position.column)
}

#[test]
fn workdir_lines_after_a_large_environment_stop_at_the_build_budget() {
    // A 25 MiB environment (800 copies of a 32 KiB value), then 200 WORKDIR lines: each gave
    // the build-state replay a new copy of every variable, and a 10 KB file took over 3 GB.
    // WORKDIR and USER now count against the build's 32 MiB; the second WORKDIR crosses it.
    let text = input("workdir-after-large-environment.Dockerfile");
    let error = skafix::dockerfile::parse(&text).expect_err("over the build budget");
    assert_eq!(
        error.message,
        "variable expansion goes over its budget here (a value may reach 64 KiB, a build's variables 32 MiB in all); the Dockerfile is not checked"
    );
    assert_eq!(at(&text, error.span), "16:1");
    assert_eq!(&text[error.span.start..error.span.end], "WORKDIR /w1");
}

#[test]
fn flow_collections_nested_past_the_parser_limit_name_the_limit() {
    // 300 `[`: saphyr-parser stops at its 256th flow level with "recursion limit exceeded",
    // which did not say what to change.
    let text = input("flow-nesting.yaml");
    let error = skafix::yaml::parse(&text).expect_err("too deep");
    assert_eq!(
        error.message,
        "flow collections nested deeper than 255 levels (the nesting limit)"
    );
    assert_eq!(error.span, Span::new(255, 256));
}

#[test]
fn a_dockerfile_error_column_inside_a_character_is_moved_to_its_start() {
    // The fuzz target reads bytes as lossy UTF-8: invalid bytes became U+FFFD (three bytes
    // each), and the crate's error column pointed into the second byte of one.
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz-regressions/error-column-inside-a-character.Dockerfile"),
    )
    .unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let error = skafix::dockerfile::parse(&text).expect_err("unterminated quote");
    assert_eq!(
        error.message,
        "expected end of quoted string (\"), but reached eof"
    );
    assert!(text.is_char_boundary(error.span.start), "{error:?}");
    assert_eq!(at(&text, error.span), "1:30");
    assert!(text[error.span.start..error.span.end].starts_with('\u{FFFD}'));
}

/// The probe target's input: the first byte picks the lister, the rest is its output.
fn probe_input(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz-regressions")
            .join(name),
    )
    .unwrap()
}

#[test]
fn a_listed_process_that_is_its_own_parent_ends_the_walk_up() {
    // A shell-lister record for pid 0 with parent 0 whose command line looks like a
    // multiprocessing spawn child: asking whether it belongs to a server walked up its
    // parents for ever. A container can print any listing (its `ps` is its own).
    let input = probe_input("probe-listing-self-parent.bin");
    let (_, output) = input.split_first().unwrap();
    assert_eq!(
        skafix::fuzzing::probe_listing(skafix::fuzzing::Lister::Shell, output),
        Some(1)
    );
}

#[test]
fn two_init_processes_that_are_each_others_parent_end_signal_forwarding() {
    // Two tini processes, each the other's parent: forwarding a signal from one to its child
    // recursed until the stack overflowed.
    let output = probe_input("probe-ps-tini-cycle.txt");
    assert_eq!(
        skafix::fuzzing::probe_listing(skafix::fuzzing::Lister::Ps, &output),
        Some(2)
    );
}

#[test]
fn relative_workdirs_that_nest_stop_at_the_build_budget() {
    // What an `expansion` input generated: 21,165 lines of `WORKDIR x`. Each nests in the
    // last, so the path grows by two bytes a line and the replay kept every path: quadratic
    // time and memory (24 s and 435 MB for 210 KB). A state's WORKDIR and USER now count
    // towards the build's 32 MiB, and a WORKDIR path may not pass 64 KiB.
    let text = format!("FROM alpine:3.20\n{}", "WORKDIR x\n".repeat(21_165));
    let error = skafix::dockerfile::parse(&text).expect_err("over the build budget");
    assert!(error
        .message
        .starts_with("variable expansion goes over its budget here"));
    assert_eq!(at(&text, error.span), "5795:1");
}

#[test]
fn many_stages_built_on_a_named_stage_resolve_it() {
    // What an `expansion` input generated: 52,984 lines of `FROM base AS sN`. Each FROM
    // looked for its base among all earlier stages: quadratic (over 15 s for 1 MB). The
    // lookup is by name now.
    let mut text = String::from("FROM alpine:3.20 AS base\n");
    for i in 1..52_984 {
        text.push_str(&format!("FROM base AS s{i}\n"));
    }
    let df = skafix::dockerfile::parse(&text).unwrap();
    assert_eq!(df.stages[1].base_stage, Some(0));
    assert_eq!(df.stages[52_983].base_stage, Some(0));
    assert_eq!(df.stages.len(), 52_984);
}
