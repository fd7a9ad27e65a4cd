//! `.dockerignore` matching: patterns from the first part of the input, paths (one a line)
//! from the part after the first NUL byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skafix::dockerfile::ignore::DockerIgnore;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (patterns, paths) = text.split_once('\0').unwrap_or((&text, "app/main.py\nsrc"));
    let ignore = DockerIgnore::parse(patterns);
    for pattern in ignore.patterns() {
        assert!(patterns.get(pattern.span.start..pattern.span.end).is_some());
    }
    for (_, span) in &ignore.errors {
        assert!(patterns.get(span.start..span.end).is_some());
    }
    for path in paths.lines().take(64) {
        std::hint::black_box(ignore.is_excluded(path));
    }
});
