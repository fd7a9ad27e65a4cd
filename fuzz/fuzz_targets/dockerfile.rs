//! The Dockerfile model: parse, then every question the rules ask of it (build state per
//! instruction and stage with and without build args, commands, stage chains, ownership).
#![no_main]

use libfuzzer_sys::fuzz_target;
use skafix::dockerfile;
use skafix::dockerfile::owners::{self, BaseDir};
use skafix::source::Span;
use std::collections::HashMap;

fn assert_slices(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && text.get(span.start..span.end).is_some(),
        "{what} span {span:?} does not slice a text of {} bytes",
        text.len()
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let df = match dockerfile::parse(text) {
        Ok(df) => df,
        Err(error) => {
            assert_slices(text, error.span, "error");
            return;
        }
    };
    let build_args: HashMap<String, String> = df
        .global_args
        .iter()
        .map(|a| (a.name.clone(), "x".to_string()))
        .collect();
    for ins in &df.instructions {
        assert_slices(text, ins.span, "instruction");
        assert_slices(text, ins.keyword_span, "keyword");
        for flag in &ins.flags {
            assert_slices(text, flag.span, "flag");
        }
        if let Some(command) = ins.command() {
            assert_slices(text, command.span(), "command");
        }
        if let Some(copy) = ins.copy_args() {
            assert_slices(text, copy.dest.span, "destination");
            for source in &copy.sources {
                assert_slices(text, source.span, "source");
            }
        }
        // A state is a copy of the whole environment: ask where rules ask, not everywhere.
        if ins.index < 64 || ins.index + 1 == df.instructions.len() {
            std::hint::black_box(df.state_at(ins.index, None));
            std::hint::black_box(df.expand(ins.index, "$HOME/${PATH:-/bin}", Some(&build_args)));
        }
        std::hint::black_box(owners::run_texts(ins));
        std::hint::black_box(df.stage_of(ins.index));
    }
    let base_dir = |dir: &str| {
        if dir == "/" {
            BaseDir::Root
        } else {
            BaseDir::Absent
        }
    };
    let copies_below = |_: usize, _: &str| None;
    for stage in &df.stages {
        let i = stage.index;
        std::hint::black_box(df.state_after(i, None));
        std::hint::black_box(df.state_after(i, Some(&build_args)));
        std::hint::black_box(df.stage_command(i));
        std::hint::black_box(df.base_with_build_args(i, Some(&build_args)));
        std::hint::black_box(df.stage_by_name_or_index(&stage.reference()));
        std::hint::black_box(owners::stage_chain_instructions(&df, i));
        let query = owners::OwnerQuery {
            build_args: None,
            base_dir: &base_dir,
            base_user: Some(None),
            copies_below: &copies_below,
        };
        for dir in ["/app", "/", "/home/app/src"] {
            std::hint::black_box(owners::dir_owner(&df, i, dir, &query));
        }
        std::hint::black_box(owners::user_created_by(&df, i, "app"));
        std::hint::black_box(owners::user_exists_at(
            &df,
            i,
            "app",
            stage.instructions.end,
        ));
    }
    std::hint::black_box(df.target_stage(None));
});
