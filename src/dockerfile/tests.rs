//! Unit tests of the Dockerfile adapter: spans, quirk fixes, stages, expansion and the
//! WORKDIR/USER tracking.

use std::collections::HashMap;

use super::*;

fn df(text: &str) -> Dockerfile {
    parse(text).unwrap_or_else(|e| panic!("{e} at {:?}", e.span))
}

fn slice(text: &str, span: Span) -> &str {
    &text[span.start..span.end]
}

fn keywords(d: &Dockerfile) -> Vec<&str> {
    d.instructions.iter().map(|i| i.keyword.as_str()).collect()
}

#[test]
fn instruction_spans_cover_continuations_and_keywords_are_uppercased() {
    let text = "from alpine\nrun apk add \\\n    # comment\n    curl\nCMD [\"a\"]\n";
    let d = df(text);
    assert_eq!(keywords(&d), vec!["FROM", "RUN", "CMD"]);
    assert_eq!(
        slice(text, d.instructions[1].span),
        "run apk add \\\n    # comment\n    curl"
    );
    assert_eq!(slice(text, d.instructions[1].keyword_span), "run");
    match &d.instructions[1].args {
        Args::Run {
            command: Command::Shell { text: t, span },
            heredocs,
        } => {
            assert_eq!(t, "apk add     curl");
            assert_eq!(slice(text, *span), "apk add \\\n    # comment\n    curl");
            assert!(heredocs.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn exec_form_argv_is_json_decoded_with_spans() {
    let text = "FROM a\nENTRYPOINT [\"uvicorn\", \"app:app\", \"--reload\\u0021\"]\n";
    let d = df(text);
    let Some(Command::Exec { argv, span }) = d.instructions[1].command() else {
        panic!("not exec");
    };
    let values: Vec<&str> = argv.iter().map(|w| w.value.as_str()).collect();
    assert_eq!(values, vec!["uvicorn", "app:app", "--reload!"]);
    assert_eq!(slice(text, argv[1].span), "app:app");
    assert_eq!(
        slice(text, *span),
        "[\"uvicorn\", \"app:app\", \"--reload\\u0021\"]"
    );
}

#[test]
fn invalid_json_is_shell_form() {
    let d = df("FROM a\nCMD ['single']\nCMD [ \"$X\" == 1 ] || true\n");
    assert!(!d.instructions[1].command().unwrap().is_exec());
    assert!(!d.instructions[2].command().unwrap().is_exec());
}

#[test]
fn shell_instruction_is_exec_with_array_span() {
    let text = "FROM a\nSHELL [\"/bin/bash\", \"-c\"]\n";
    let d = df(text);
    let Some(Command::Exec { argv, span }) = d.instructions[1].command() else {
        panic!("not exec");
    };
    assert_eq!(argv.len(), 2);
    assert_eq!(slice(text, *span), "[\"/bin/bash\", \"-c\"]");
}

#[test]
fn flags_have_names_values_and_spans() {
    let text = "FROM a AS b\nFROM a\nCOPY --from=b --chown=app:app --link src/ /app/\n";
    let d = df(text);
    let copy = &d.instructions[2];
    let flags: Vec<(&str, Option<&str>, &str)> = copy
        .flags
        .iter()
        .map(|f| (f.name.as_str(), f.value.as_deref(), slice(text, f.span)))
        .collect();
    assert_eq!(
        flags,
        vec![
            ("from", Some("b"), "--from=b"),
            ("chown", Some("app:app"), "--chown=app:app"),
            ("link", None, "--link"),
        ]
    );
    let from = copy.flag("from").unwrap();
    assert_eq!(slice(text, from.name_span), "from");
    assert_eq!(slice(text, from.value_span.unwrap()), "b");
    let c = copy.copy_args().unwrap();
    assert_eq!(
        c.sources
            .iter()
            .map(|w| w.value.as_str())
            .collect::<Vec<_>>(),
        vec!["src/"]
    );
    assert_eq!(slice(text, c.dest.span), "/app/");
    assert!(!c.json_form);
}

#[test]
fn json_copy_is_detected() {
    let d = df("FROM a\nCOPY [\"a b\", \"/dst/\"]\n");
    let c = d.instructions[1].copy_args().unwrap();
    assert!(c.json_form);
    assert_eq!(c.sources[0].value, "a b");
    assert_eq!(c.dest.value, "/dst/");
}

#[test]
fn heredoc_instruction_span_reaches_the_terminator_line() {
    let text = "FROM a\nRUN <<EOF\necho hi\nEOF\nCOPY <<-'X' /etc/conf\n\tkey=1\n\tX\nCMD x\n";
    let d = df(text);
    assert_eq!(keywords(&d), vec!["FROM", "RUN", "COPY", "CMD"]);
    assert_eq!(
        slice(text, d.instructions[1].span),
        "RUN <<EOF\necho hi\nEOF"
    );
    let Args::Run { heredocs, .. } = &d.instructions[1].args else {
        panic!()
    };
    assert_eq!(heredocs.len(), 1);
    assert_eq!(heredocs[0].body, "echo hi\n");
    assert!(heredocs[0].expand);
    assert_eq!(slice(text, heredocs[0].span), "echo hi\n");
    assert_eq!(
        slice(text, d.instructions[2].span),
        "COPY <<-'X' /etc/conf\n\tkey=1\n\tX"
    );
    let c = d.instructions[2].copy_args().unwrap();
    assert!(c.sources.is_empty());
    assert_eq!(c.heredocs[0].body, "key=1\n");
    assert!(!c.heredocs[0].expand);
    assert_eq!(c.dest.value, "/etc/conf");
}

#[test]
fn bom_offsets_are_corrected() {
    let text = "\u{feff}FROM alpine AS Base\nWORKDIR /app\n";
    let d = df(text);
    assert!(d.has_bom);
    assert_eq!(d.instructions[0].span, Span::new(3, 22));
    assert_eq!(slice(text, d.instructions[0].span), "FROM alpine AS Base");
    assert_eq!(slice(text, d.instructions[1].span), "WORKDIR /app");
    let name = d.stages[0].name.as_ref().unwrap();
    assert_eq!(name.value, "base");
    assert_eq!(slice(text, name.span), "Base");
}

#[test]
fn crlf_line_endings() {
    let text = "FROM a\r\nRUN x \\\r\n  y\r\nENV A=1 \\\r\n  B=2\r\n";
    let d = df(text);
    assert_eq!(slice(text, d.instructions[1].span), "RUN x \\\r\n  y");
    let Some(Command::Shell { text: t, .. }) = d.instructions[1].command() else {
        panic!()
    };
    assert_eq!(t, "x   y");
    let Args::Env(pairs) = &d.instructions[2].args else {
        panic!()
    };
    let kv: Vec<(&str, &str)> = pairs
        .iter()
        .map(|p| (p.key.as_str(), p.value.value.as_str()))
        .collect();
    assert_eq!(kv, vec![("A", "1"), ("B", "2")]);
    assert_eq!(slice(text, pairs[1].span), "B=2");
}

#[test]
fn escape_directive_backtick() {
    let text = "# escape=`\nFROM a\nRUN dir `\n  c:\\\nENV P=c:\\x\nRUN x\n";
    let d = df(text);
    assert_eq!(d.escape, '`');
    let Some(Command::Shell { text: t, .. }) = d.instructions[1].command() else {
        panic!()
    };
    assert_eq!(t, "dir   c:\\");
    assert_eq!(d.expand(2, "$P", None).unwrap().known(), None);
    assert_eq!(
        d.state_at(3, None).unwrap().var("P"),
        Some(&VarValue::Known("c:\\x".into()))
    );
}

#[test]
fn env_forms_and_errors() {
    let d = df("FROM a\nENV LEGACY some value here\nENV A=\"x y\" B=c\\ d\nLABEL k=v\n");
    let Args::Env(legacy) = &d.instructions[1].args else {
        panic!()
    };
    assert_eq!(legacy.len(), 1);
    assert_eq!(
        (legacy[0].key.as_str(), legacy[0].value.value.as_str()),
        ("LEGACY", "some value here")
    );
    let Args::Env(pairs) = &d.instructions[2].args else {
        panic!()
    };
    assert_eq!(pairs[0].value.value, "\"x y\"");
    let state = d.state_at(3, None).unwrap();
    assert_eq!(state.var("A"), Some(&VarValue::Known("x y".into())));
    assert_eq!(state.var("B"), Some(&VarValue::Known("c d".into())));
    assert_eq!(
        state.var("LEGACY"),
        Some(&VarValue::Known("some value here".into()))
    );

    let e = parse("FROM a\nENV A=1 B\n").unwrap_err();
    assert_eq!(
        e.message,
        "Syntax error - can't find = in \"B\". Must be of the form: name=value"
    );
    assert_eq!(e.span, Span::new(7, 16));
    let e = parse("FROM a\nENV ONLYKEY\n").unwrap_err();
    assert_eq!(e.message, "ENV must have two arguments");
}

#[test]
fn parse_errors_carry_the_line() {
    let text = "FROM a\nRUN x\nBOGUS y\n";
    let e = parse(text).unwrap_err();
    assert_eq!(e.message, "unknown instruction 'BOGUS'");
    assert_eq!(slice(text, e.span), "BOGUS y");
    let e = parse("").unwrap_err();
    assert_eq!(e.message, "expected at least one FROM instruction");
    assert_eq!(e.span, Span::empty(0));
    let e = parse("\u{feff}RUN x\n").unwrap_err();
    assert_eq!(e.message, "expected FROM");
    assert_eq!(e.span, Span::new(3, 8));
}

#[test]
fn binary_and_odd_input_does_not_panic() {
    for text in [
        "\0\0\0",
        "FROM\n",
        "FROM a\nRUN <<EOF\n",
        "FROM a\nCOPY\n",
        "ARG\n",
        "FROM a\nENV =x\n",
        "FROM a\nUSER :\n",
    ] {
        let _ = parse(text);
    }
}

const MULTI: &str = "\
ARG PY=3.12
ARG BASE=python:${PY}-slim
ARG TARGETARCH
FROM ${BASE} AS Builder
WORKDIR /src
ARG PY
RUN echo $PY
FROM builder AS test
WORKDIR tests
FROM scratch
COPY --from=Builder /src /src
";

#[test]
fn stages_names_bases_and_global_args() {
    let d = df(MULTI);
    assert_eq!(
        d.global_args
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        vec!["PY", "BASE", "TARGETARCH"]
    );
    assert_eq!(
        d.global_args[1].default.as_ref().unwrap().value,
        "python:${PY}-slim"
    );
    assert_eq!(d.stages.len(), 3);
    let s0 = &d.stages[0];
    assert_eq!(s0.name.as_ref().unwrap().value, "builder");
    assert_eq!(s0.base.value, "${BASE}");
    assert_eq!(s0.base_expanded.as_deref(), Some("python:3.12-slim"));
    assert_eq!(s0.base_stage, None);
    assert_eq!(s0.instructions, 3..7);
    assert_eq!(d.stages[1].base_stage, Some(0));
    assert_eq!(d.stages[1].instructions, 7..9);
    assert_eq!(d.stages[2].base_expanded.as_deref(), Some("scratch"));
    assert_eq!(d.stages[2].instructions, 9..11);
    assert_eq!(d.instructions[0].stage, None);
    // A global ARG without default makes a base that uses it unresolvable.
    let d2 = df("ARG IMAGE\nFROM $IMAGE\n");
    assert_eq!(d2.stages[0].base_expanded, None);
    let args = HashMap::from([("IMAGE".to_string(), "alpine".to_string())]);
    assert_eq!(
        d2.base_with_build_args(0, Some(&args)).unwrap().known(),
        Some("alpine")
    );
    assert_eq!(d.instructions[4].stage, Some(0));
    assert_eq!(d.stage_of(10).map(|s| s.index), Some(2));

    assert_eq!(
        d.stage_by_name_or_index("BUILDER").map(|s| s.index),
        Some(0)
    );
    assert_eq!(d.stage_by_name_or_index("2").map(|s| s.index), Some(2));
    assert_eq!(d.stage_by_name_or_index("9").map(|s| s.index), None);
    assert_eq!(
        d.stage_by_name_or_index("nginx:latest").map(|s| s.index),
        None
    );
    assert_eq!(d.target_stage(None).map(|s| s.index), Some(2));
    assert_eq!(d.target_stage(Some("Test")).map(|s| s.index), Some(1));
    assert_eq!(d.target_stage(Some("nope")).map(|s| s.index), None);
    assert_eq!(d.stages[0].reference(), "builder");
    assert_eq!(d.stages[2].reference(), "2");
}

#[test]
fn global_args_are_visible_in_a_stage_only_after_redeclaration() {
    let d = df(MULTI);
    // `RUN echo $PY` comes after `ARG PY`.
    assert_eq!(d.expand(6, "$PY", None).unwrap().known(), Some("3.12"));
    // Before the re-declaration, PY may only come from the base image: unknown.
    let e = d.expand(4, "$PY", None).unwrap();
    assert_eq!(e.known(), None);
    assert_eq!(e.unknown, vec!["PY".to_string()]);
    // In FROM lines the global values apply.
    assert_eq!(
        d.expand(3, "$BASE", None).unwrap().known(),
        Some("python:3.12-slim")
    );
    // Platform ARGs are not knowable without overrides.
    assert_eq!(d.expand(3, "$TARGETARCH", None).unwrap().known(), None);
}

#[test]
fn build_args_override_defaults() {
    let d = df(MULTI);
    let args = HashMap::from([
        ("PY".to_string(), "3.11".to_string()),
        ("TARGETARCH".to_string(), "arm64".to_string()),
    ]);
    assert_eq!(
        d.expand(6, "${PY}", Some(&args)).unwrap().known(),
        Some("3.11")
    );
    assert_eq!(
        d.base_with_build_args(0, Some(&args)).unwrap().known(),
        Some("python:3.11-slim")
    );
    assert_eq!(
        d.expand(3, "$TARGETARCH", Some(&args)).unwrap().known(),
        Some("arm64")
    );
    // An override of BASE itself wins over its default.
    let args = HashMap::from([("BASE".to_string(), "debian".to_string())]);
    assert_eq!(
        d.base_with_build_args(0, Some(&args)).unwrap().known(),
        Some("debian")
    );
}

#[test]
fn workdir_and_user_tracking_with_inheritance() {
    let text = "\
FROM python:3.12 AS base
RUN a
ENV APP=/srv/app
WORKDIR $APP
USER app:app
WORKDIR ../lib/./x
FROM base AS child
COPY . .
WORKDIR $HOME
RUN b
FROM scratch
RUN c
";
    let d = df(text);
    let wd = |i: usize| d.instructions[i].workdir.clone();
    let user = |i: usize| d.instructions[i].user.clone();
    assert_eq!(
        wd(1),
        Setting {
            value: Some("/".into()),
            set_by: None
        }
    );
    assert_eq!(
        user(1),
        Setting {
            value: None,
            set_by: None
        }
    );
    assert_eq!(
        wd(4),
        Setting {
            value: Some("/srv/app".into()),
            set_by: Some(3)
        }
    );
    assert_eq!(
        wd(6),
        Setting {
            value: Some("/srv/lib/x".into()),
            set_by: Some(5)
        }
    );
    // The child stage starts from the parent's state (FROM itself shows the initial state).
    assert_eq!(wd(6).value.as_deref(), Some("/srv/lib/x"));
    assert_eq!(
        wd(7),
        Setting {
            value: Some("/srv/lib/x".into()),
            set_by: Some(5)
        }
    );
    assert_eq!(
        user(7),
        Setting {
            value: Some("app:app".into()),
            set_by: Some(4)
        }
    );
    assert_eq!(
        d.expand(7, "$APP/x", None).unwrap().known(),
        Some("/srv/app/x")
    );
    // $HOME comes from the python image: unknown.
    assert_eq!(
        wd(9),
        Setting {
            value: None,
            set_by: Some(8)
        }
    );
    // scratch starts fresh and defines no variables.
    assert_eq!(
        wd(11),
        Setting {
            value: Some("/".into()),
            set_by: None
        }
    );
    assert_eq!(
        user(11),
        Setting {
            value: None,
            set_by: None
        }
    );
    assert_eq!(d.expand(11, "[$HOME]", None).unwrap().known(), Some("[]"));
}

#[test]
fn arg_and_env_precedence_follow_instruction_order() {
    let text = "\
FROM a
ARG V=from-arg
ENV V=from-env
RUN one
ARG V
RUN two
ARG W=${V}-w X=$W
RUN three
";
    let d = df(text);
    assert_eq!(d.expand(3, "$V", None).unwrap().known(), Some("from-env"));
    // With the exact build args known, `ARG V` without default, build arg or global value
    // leaves V as it was.
    let none = HashMap::new();
    assert_eq!(
        d.expand(5, "$V", Some(&none)).unwrap().known(),
        Some("from-env")
    );
    assert_eq!(
        d.expand(7, "$W|$X", Some(&none)).unwrap().known(),
        Some("from-env-w|from-env-w")
    );
    let args = HashMap::from([("V".to_string(), "cli".to_string())]);
    assert_eq!(d.expand(5, "$V", Some(&args)).unwrap().known(), Some("cli"));
    assert_eq!(
        d.expand(7, "$W", Some(&args)).unwrap().known(),
        Some("cli-w")
    );
    // Without them, V may be passed in: unknown, and so is everything derived from it.
    assert_eq!(
        d.expand(5, "$V", None).unwrap().unknown,
        vec!["V".to_string()]
    );
    assert_eq!(d.expand(7, "$X", None).unwrap().known(), None);
    // ENV values are all expanded with the state before the instruction.
    let d = df("FROM scratch\nENV A=1\nENV A=2 B=$A\nRUN x\n");
    assert_eq!(d.expand(3, "$A$B", None).unwrap().known(), Some("21"));
}

#[test]
fn user_args_split_user_and_group() {
    let text = "FROM scratch\nUSER ${U:-app}:staff\nUSER 1000\n";
    let d = df(text);
    let Args::User { user, group } = &d.instructions[1].args else {
        panic!()
    };
    assert_eq!(user.value, "${U:-app}");
    assert_eq!(slice(text, group.as_ref().unwrap().span), "staff");
    assert_eq!(d.instructions[2].user.value.as_deref(), Some("app:staff"));
    let Args::User { group, .. } = &d.instructions[2].args else {
        panic!()
    };
    assert_eq!(group, &None);
    // On an image skafix cannot see, U may be set by the image: the user is unknown.
    let d = df("FROM python\nUSER ${U:-app}:staff\nRUN x\n");
    assert_eq!(
        d.instructions[2].user,
        Setting {
            value: None,
            set_by: Some(1)
        }
    );
}

#[test]
fn onbuild_wraps_an_instruction() {
    let text = "FROM a\nONBUILD COPY --chown=x . /app\n";
    let d = df(text);
    let ins = &d.instructions[1];
    assert_eq!(ins.keyword, "ONBUILD");
    assert!(ins.flags.is_empty());
    let Args::Onbuild(inner) = &ins.args else {
        panic!()
    };
    assert_eq!(inner.keyword, "COPY");
    assert_eq!(
        inner.flag("chown").and_then(|f| f.value.as_deref()),
        Some("x")
    );
    assert_eq!(slice(text, ins.span), "ONBUILD COPY --chown=x . /app");
}

#[test]
fn arg_declarations_with_spans() {
    let text = "ARG A B=\"two words\"\nFROM x\n";
    let d = df(text);
    let names: Vec<(&str, Option<&str>)> = d
        .global_args
        .iter()
        .map(|a| {
            (
                a.name.as_str(),
                a.default.as_ref().map(|w| w.value.as_str()),
            )
        })
        .collect();
    assert_eq!(names, vec![("A", None), ("B", Some("\"two words\""))]);
    assert_eq!(slice(text, d.global_args[1].span), "B=\"two words\"");
    assert_eq!(slice(text, d.global_args[1].name_span), "B");
    assert_eq!(d.expand(1, "$B", None).unwrap().known(), Some("two words"));
}

#[test]
fn stage_command_follows_parents_and_entrypoint_clears_cmd() {
    let text = "\
FROM python:3.12 AS base
CMD [\"python\"]
FROM base AS app
SHELL [\"/bin/bash\", \"-c\"]
ENTRYPOINT uvicorn app:app
FROM base AS other
CMD [\"serve\"]
ENTRYPOINT [\"tini\", \"--\"]
FROM scratch
COPY x /x
FROM node
";
    let d = df(text);
    let sc = |s: usize| d.stage_command(s).unwrap();
    assert_eq!(
        sc(0),
        StageCommand {
            entrypoint: Origin::BaseImage,
            cmd: Origin::Set(1),
            shell: Origin::BaseImage
        }
    );
    // ENTRYPOINT without a CMD in the same stage clears the inherited CMD.
    assert_eq!(
        sc(1),
        StageCommand {
            entrypoint: Origin::Set(4),
            cmd: Origin::Unset,
            shell: Origin::Set(3)
        }
    );
    // A CMD set earlier in the same stage survives the ENTRYPOINT.
    assert_eq!(
        sc(2),
        StageCommand {
            entrypoint: Origin::Set(7),
            cmd: Origin::Set(6),
            shell: Origin::BaseImage
        }
    );
    assert_eq!(
        sc(3),
        StageCommand {
            entrypoint: Origin::Unset,
            cmd: Origin::Unset,
            shell: Origin::Unset
        }
    );
    assert_eq!(
        sc(4),
        StageCommand {
            entrypoint: Origin::BaseImage,
            cmd: Origin::BaseImage,
            shell: Origin::BaseImage
        }
    );
    assert_eq!(d.stage_command(5), None);
}

mod generated {
    use super::*;
    use proptest::prelude::*;

    fn piece() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "FROM a\n",
            "FROM b AS x\n",
            "\u{feff}",
            "RUN ",
            "COPY ",
            "ENV ",
            "ARG ",
            "USER ",
            "WORKDIR ",
            "CMD ",
            "ONBUILD ",
            "<<EOF\n",
            "EOF\n",
            "<<-X\n",
            "\tX\n",
            "[\"a\", \"b\"]",
            "\\\n",
            "`\n",
            "# escape=`\n",
            "# c\n",
            "\n",
            "\r\n",
            " ",
            "$A",
            "${A:-x}",
            "=",
            "\"",
            "'",
            "é",
            "--from=x ",
            "--link ",
            "a",
            "/dst",
            ":",
        ])
    }

    proptest! {
        #[test]
        fn spans_stay_inside_the_text(pieces in proptest::collection::vec(piece(), 0..40)) {
            let tail: String = pieces.concat();
            for text in [tail.clone(), format!("FROM a\n{tail}")] {
                let Ok(d) = parse(&text) else { continue };
                for ins in &d.instructions {
                    prop_assert!(ins.span.end <= text.len());
                    prop_assert!(text.is_char_boundary(ins.span.start));
                    prop_assert!(text.is_char_boundary(ins.span.end));
                    prop_assert!(ins.span.contains(ins.keyword_span));
                    let first = text[ins.span.start..].chars().next().map(|c| c.to_ascii_uppercase());
                    prop_assert_eq!(first, ins.keyword.chars().next());
                    for f in &ins.flags {
                        prop_assert!(ins.span.contains(f.span));
                    }
                    let _ = d.expand(ins.index, "$A ${A:-x} 'q' \"$B\"", None);
                }
            }
        }
    }
}

#[test]
fn a_doubling_bomb_fed_by_build_args_stops_and_leaves_later_states_unknown() {
    // Without build args `v0` is unknown and nothing grows; with one, each line doubles.
    let mut text = String::from("FROM alpine\nARG v0\n");
    for i in 1..60 {
        text.push_str(&format!("ARG v{i}=$v{}$v{}\n", i - 1, i - 1));
    }
    text.push_str("RUN true\n");
    let d = df(&text);
    let args = HashMap::from([("v0".to_string(), "x".repeat(16))]);
    let started = std::time::Instant::now();
    let last = d.instructions.len() - 1;
    assert!(d.state_at(last, Some(&args)).is_none());
    assert!(d.state_at(5, Some(&args)).is_some());
    assert!(d.state_after(0, Some(&args)).is_none());
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn a_doubling_bomb_is_a_parse_error_at_the_line_that_crosses_the_budget() {
    let mut text = String::from("FROM alpine\nARG v0=xxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        text.push_str(&format!("ENV v{i}=$v{}$v{}\n", i - 1, i - 1));
    }
    let err = parse(&text).unwrap_err();
    assert_eq!(slice(&text, err.span), "ENV v13=$v12$v12");
    assert!(
        err.message.contains("goes over its budget"),
        "{}",
        err.message
    );
}

#[test]
fn a_stage_does_not_see_the_previous_stage_state_after_a_run() {
    // The replay shares the state across instructions that change nothing; a FROM after
    // such an instruction starts from the global scope again.
    let d =
        df("ARG G=g\nFROM alpine AS one\nENV X=1\nWORKDIR /one\nRUN true\nFROM alpine\nRUN true\n");
    let from = d.state_at(5, None).unwrap();
    assert_eq!(from.var("X"), None);
    assert_eq!(from.var("G"), Some(&VarValue::Known("g".into())));
    let run = d.state_at(6, None).unwrap();
    assert_eq!(run.var("X"), None);
    assert_eq!(run.workdir.value.as_deref(), Some("/"));
    let first_run = d.state_at(4, None).unwrap();
    assert_eq!(first_run.var("X"), Some(&VarValue::Known("1".into())));
    assert_eq!(first_run.workdir.value.as_deref(), Some("/one"));
}
