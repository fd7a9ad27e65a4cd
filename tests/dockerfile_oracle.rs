//! Conformance of the Dockerfile adapter with buildkit's parser (v0.12.5), using the
//! corpus and its oracle (`oracle-buildkit-v0.12.5.jsonl`, one row per file). For every file
//! the oracle accepts, the keyword sequence, each instruction's first and last line, its flags,
//! its exec/shell form, the command text or argv of RUN/CMD/ENTRYPOINT and the heredoc bodies
//! must match, except for the listed known exceptions. Files the
//! oracle rejects must not make the parser panic; what it does with them is pinned too.

use std::collections::HashMap;
use std::panic;

use serde_json::Value;
use skafix::dockerfile::{self, Args, Command, Dockerfile, Instruction};
use skafix::source::SourceFile;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/dockerfiles");

/// Files buildkit's parser accepts where the adapter knowingly differs, with the reason.
const KNOWN_EXCEPTIONS: &[(&str, &str)] = &[
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles__flags__Dockerfile",
        "parse-dockerfile does not split flags off CMD (`CMD --doit [\"a\"]` becomes shell form); \
         buildkit's instruction stage rejects flags on CMD anyway",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles__health__Dockerfile",
        "bare `HEALTHCHECK` and `HEALTHCHECK CONNECT TCP 7000` make parse-dockerfile reject the file; \
         buildkit's instruction stage rejects them too",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles__trailing-backslash__Dockerfile",
        "parse-dockerfile treats a line ending in an escaped escape (`\\\\`) as a continuation, \
         so `ENV C ...\\\\` swallows the next ENV",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles__jeztah-invalid-json-json-inside-string-double__Dockerfile",
        "no FROM: parse-dockerfile rejects it (buildkit's instruction stage does too)",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles__jeztah-invalid-json-json-inside-string__Dockerfile",
        "no FROM: parse-dockerfile rejects it (buildkit's instruction stage does too)",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles__jeztah-invalid-json-single-quotes__Dockerfile",
        "no FROM: parse-dockerfile rejects it (buildkit's instruction stage does too)",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles__jeztah-invalid-json-unterminated-bracket__Dockerfile",
        "no FROM: parse-dockerfile rejects it (buildkit's instruction stage does too)",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles__jeztah-invalid-json-unterminated-string__Dockerfile",
        "no FROM: parse-dockerfile rejects it (buildkit's instruction stage does too)",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles__json__Dockerfile",
        "no FROM: parse-dockerfile rejects it (buildkit's instruction stage does too)",
    ),
    (
        "files/skaffold/docs-v1__content__en__samples__builders__artifact-dependencies__Dockerfile.app",
        "a docs snippet with a `...` line: unknown instruction, rejected by buildkit's instruction stage too",
    ),
    (
        "files/docker__compose/pkg__e2e__fixtures__wrong-composefile__service1__Dockerfile",
        "a deliberately broken fixture (`WRONG` instruction), rejected by buildkit's instruction stage too",
    ),
    (
        "files/skafix-probes/p03-heredoc-multi",
        "two heredocs in one instruction (`RUN <<A ... <<B`) are not supported by parse-dockerfile",
    ),
];

/// Files the oracle rejects, and what the adapter does with them (`Ok` or the error message).
const REJECTED: &[(&str, &str)] = &[
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles-negative__empty_dockerfile__Dockerfile",
        "expected at least one FROM instruction",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles-negative__env_no_value__Dockerfile",
        "ENV must have two arguments",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles-negative__only_comments__Dockerfile",
        "expected at least one FROM instruction",
    ),
    (
        "files/buildkit-parser-testfiles/frontend__dockerfile__parser__testfiles-negative__shykes-nested-json__Dockerfile",
        "expected FROM",
    ),
];

fn read_jsonl(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

/// Our view of one instruction in the oracle's terms.
#[derive(Debug, PartialEq)]
struct Row {
    keyword: String,
    start_line: usize,
    end_line: usize,
    flags: Vec<String>,
    exec_form: Option<bool>,
    /// For RUN (without heredocs), CMD and ENTRYPOINT: the exec argv or the joined shell text.
    value: Option<Vec<String>>,
    /// Heredoc bodies, with leading tabs removed from every line: the crate strips them for
    /// `<<-` while buildkit's parser leaves that to a later stage.
    heredocs: Vec<String>,
}

fn untabbed(body: &str) -> String {
    body.split_inclusive('\n')
        .map(|l| l.trim_start_matches('\t'))
        .collect()
}

fn heredocs(ins: &Instruction) -> Vec<String> {
    let bodies = match &ins.args {
        Args::Onbuild(inner) => return heredocs(inner),
        Args::Run { heredocs, .. } => heredocs,
        Args::Copy(c) | Args::Add(c) => &c.heredocs,
        _ => return Vec::new(),
    };
    bodies.iter().map(|h| untabbed(&h.body)).collect()
}

fn command_value(ins: &Instruction) -> Option<Vec<String>> {
    let command = match &ins.args {
        Args::Run { command, heredocs } if heredocs.is_empty() => command,
        Args::Cmd(command) | Args::Entrypoint(command) => command,
        _ => return None,
    };
    Some(match command {
        Command::Exec { argv, .. } => argv.iter().map(|w| w.value.clone()).collect(),
        // buildkit's node has no value at all for an empty command (bare `RUN`).
        Command::Shell { text, .. } if text.is_empty() => Vec::new(),
        Command::Shell { text, .. } => vec![text.clone()],
    })
}

fn exec_form(ins: &Instruction) -> Option<bool> {
    match &ins.args {
        Args::Onbuild(inner) => exec_form(inner),
        Args::Copy(c) | Args::Add(c) => Some(c.json_form),
        Args::Run { command, .. }
        | Args::Cmd(command)
        | Args::Entrypoint(command)
        | Args::Shell(command) => Some(command.is_exec()),
        _ => None,
    }
}

fn ours(file: &SourceFile, df: &Dockerfile) -> Vec<Row> {
    df.instructions
        .iter()
        .map(|ins| Row {
            keyword: ins.keyword.clone(),
            start_line: file.line_col(ins.span.start).line,
            // The line of the last byte: a span that ended just after a newline would otherwise
            // be counted on the next line.
            end_line: file
                .line_col(ins.span.end.saturating_sub(1).max(ins.span.start))
                .line,
            flags: ins
                .flags
                .iter()
                .map(|f| match &f.value {
                    Some(v) => format!("--{}={}", f.name, v),
                    None => format!("--{}", f.name),
                })
                .collect(),
            exec_form: exec_form(ins),
            value: command_value(ins),
            heredocs: heredocs(ins),
        })
        .collect()
}

fn theirs(instructions: &[Value], like: &[Row]) -> Vec<Row> {
    instructions
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let keyword = o["keyword"].as_str().unwrap_or_default().to_uppercase();
            // Only compare the form where ours has one (commands and COPY/ADD).
            let exec_form = like
                .get(i)
                .and_then(|r| r.exec_form)
                .map(|_| o["exec_form"].as_bool().unwrap_or(false));
            Row {
                keyword,
                start_line: o["start_line"].as_u64().unwrap_or(0) as usize,
                end_line: o["end_line"].as_u64().unwrap_or(0) as usize,
                flags: o["flags"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|f| f.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                exec_form,
                value: like.get(i).and_then(|r| r.value.as_ref()).map(|_| {
                    o["value"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default()
                }),
                heredocs: o["heredocs"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|h| untabbed(h["content"].as_str().unwrap_or_default()))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[test]
fn adapter_agrees_with_buildkit_on_the_corpus() {
    let manifest = read_jsonl(&format!("{CORPUS}/manifest.jsonl"));
    let oracle: HashMap<String, Value> =
        read_jsonl(&format!("{CORPUS}/oracle-buildkit-v0.12.5.jsonl"))
            .into_iter()
            .map(|row| (row["file"].as_str().unwrap_or_default().to_string(), row))
            .collect();
    assert_eq!(manifest.len(), 450, "corpus size changed");

    let exceptions: HashMap<&str, &str> = KNOWN_EXCEPTIONS.iter().copied().collect();
    let rejected_expected: HashMap<&str, &str> = REJECTED.iter().copied().collect();
    let mut mismatches = Vec::new();
    let mut rejected_seen = Vec::new();
    let mut compared_instructions = 0;
    let mut compared_files = 0;

    for entry in &manifest {
        let name = entry["file"].as_str().expect("file name");
        let expected = oracle
            .get(name)
            .unwrap_or_else(|| panic!("{name}: no oracle row"));
        let bytes = std::fs::read(format!("{CORPUS}/{name}")).expect("corpus file");
        let Ok(text) = String::from_utf8(bytes) else {
            mismatches.push(format!("{name}: not UTF-8"));
            continue;
        };
        let result = panic::catch_unwind(|| dockerfile::parse(&text));
        let Ok(result) = result else {
            mismatches.push(format!("{name}: parser panicked"));
            continue;
        };

        if !expected["ok"].as_bool().unwrap_or(false) {
            let outcome = match &result {
                Ok(_) => "Ok".to_string(),
                Err(e) => e.message.clone(),
            };
            match rejected_expected.get(name) {
                Some(want) if *want == outcome => {}
                _ => mismatches.push(format!("{name}: oracle rejects; ours: {outcome:?}")),
            }
            rejected_seen.push(name);
            continue;
        }

        let file = SourceFile::new(name, text.as_str());
        let problem = match &result {
            Err(e) => Some(format!("rejected: {} at {:?}", e.message, e.span)),
            Ok(df) => {
                let ours = ours(&file, df);
                let theirs = theirs(
                    expected["instructions"].as_array().expect("instructions"),
                    &ours,
                );
                if ours.len() != theirs.len() {
                    Some(format!(
                        "{} instructions, oracle {}: ours {:?} oracle {:?}",
                        ours.len(),
                        theirs.len(),
                        ours.iter().map(|r| &r.keyword).collect::<Vec<_>>(),
                        theirs.iter().map(|r| &r.keyword).collect::<Vec<_>>()
                    ))
                } else {
                    let diffs: Vec<String> = ours
                        .iter()
                        .zip(&theirs)
                        .filter(|(a, b)| a != b)
                        .map(|(a, b)| format!("ours {a:?} oracle {b:?}"))
                        .collect();
                    compared_instructions += ours.len();
                    (!diffs.is_empty()).then(|| diffs.join("; "))
                }
            }
        };
        compared_files += 1;
        match (problem, exceptions.contains_key(name)) {
            (None, false) => {}
            (None, true) => mismatches.push(format!("{name}: listed as exception but now matches")),
            (Some(_), true) => {}
            (Some(p), false) => mismatches.push(format!("{name}: {p}")),
        }
    }
    for (n, _) in KNOWN_EXCEPTIONS {
        if !oracle.contains_key(*n) {
            mismatches.push(format!("exception for unknown file {n}"));
        }
    }
    for (n, _) in REJECTED {
        if !rejected_seen.contains(n) {
            mismatches.push(format!(
                "{n}: listed as rejected but the oracle accepts it or it is missing"
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(compared_files, 446);
    assert!(
        compared_instructions > 5000,
        "compared only {compared_instructions} instructions"
    );
}
