//! skafix.toml and the inline suppression comments: the input is a config file, and the same
//! text is also scanned as a YAML file and as a Dockerfile for `# skafix: ignore[...]`
//! directives, with one finding on every line so directives are matched against findings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skafix::config::{apply_suppressions, Config};
use skafix::diagnostic::{Diagnostic, Severity};
use skafix::source::{SourceFile, Span};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    if let Ok(config) = Config::parse(Path::new("skafix.toml"), text) {
        for code in ["SYNC001", "HOOK002", "SCHEMA001", "SUP001"] {
            std::hint::black_box(config.is_ignored_for(code, Path::new("svc/skaffold.yaml")));
            std::hint::black_box(config.severity_for(code));
            std::hint::black_box(config.is_fixable(code));
        }
    }
    let mut sources = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for name in ["skaffold.yaml", "Dockerfile"] {
        let path = PathBuf::from(name);
        let mut line_start = 0;
        for line in text.split_inclusive('\n').take(200) {
            for code in ["SYNC001", "PROC001"] {
                diagnostics.push(Diagnostic::new(
                    code,
                    "",
                    Severity::Error,
                    &path,
                    Span::new(line_start, line_start + line.trim_end().len()),
                    "finding",
                ));
            }
            line_start += line.len();
        }
        sources.insert(path.clone(), Arc::new(SourceFile::new(path, text)));
    }
    for kept in apply_suppressions(diagnostics, &sources) {
        assert!(
            text.get(kept.span.start..kept.span.end).is_some(),
            "{kept:?}"
        );
        if let Some(fix) = &kept.fix {
            for edit in &fix.edits {
                assert!(text.get(edit.start..edit.end).is_some(), "{edit:?}");
            }
        }
    }
});
