//! The YAML span tree: any text either parses into documents whose every span slices the
//! text, or fails with an error span inside it; walks that follow aliases stay bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skafix::source::{SourceFile, Span};
use skafix::yaml;

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
    match yaml::parse(text) {
        Ok(documents) => {
            for document in &documents {
                assert_slices(text, document.span, "document");
                for node in &document.nodes {
                    assert_slices(text, node.span, "node");
                }
                for duplicate in &document.duplicate_keys {
                    assert_slices(text, duplicate.first, "duplicate key");
                    assert_slices(text, duplicate.second, "duplicate key");
                }
                if let Some(root) = document.root_ref() {
                    let mut budget = yaml::DEFAULT_WALK_BUDGET;
                    std::hint::black_box(root.to_json(&mut budget));
                    std::hint::black_box(root.kind_name());
                }
            }
            for span in yaml::comment_spans(text, &documents) {
                assert_slices(text, span, "comment");
            }
        }
        Err(error) => {
            assert!(error.span.end <= text.len(), "{error:?}");
            std::hint::black_box(SourceFile::new("f.yaml", text).line_col(error.span.start));
        }
    }
    std::hint::black_box(skafix::k8s::workloads(text).ok());
    for comment in skafix::config::suppression::yaml_comments(text) {
        assert_slices(text, comment.span, "suppression comment");
    }
});
