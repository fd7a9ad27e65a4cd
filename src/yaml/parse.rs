//! Builds `Document`s from saphyr-parser events, correcting the parser's measured quirks.

use super::{Document, YamlError};

pub(super) fn parse_documents(_text: &str) -> Result<Vec<Document>, YamlError> {
    Err(YamlError {
        message: "YAML parsing is not built yet".into(),
        span: crate::source::Span::empty(0),
    })
}
