//! The full format (the default): each finding rendered by miette with its code, message, the
//! source snippet with the labelled span, help, and what fix is available; then a summary.
//! miette only renders here: our Diagnostic stays the one type the engine deals in.

use super::escape::{terminal_safe, SafeSource};
use super::{display_path, fix_note, position, summary_line, RenderOptions, Report};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::SourceFile;
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceSpan, SpanContents,
};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A file as miette reads it: only the lines around a span, found through the file's line
/// index, so rendering many findings in a big file does not rescan it from the start each time.
struct Window {
    name: String,
    file: Arc<SourceFile>,
}

impl miette::SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let text = &self.file.text;
        let start = span.offset();
        let end = start + span.len();
        if end > text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first_line = self.file.line_col(start).line - 1;
        // A span ending right after a newline does not reach into the next line.
        let last_line = self.file.line_col(end.saturating_sub(1).max(start)).line - 1;
        let from_line = first_line.saturating_sub(context_lines_before);
        let to_line = (last_line + context_lines_after).min(self.file.line_count() - 1);
        let from = self.file.line_start(from_line + 1).unwrap_or(0);
        let to = self
            .file
            .line_start(to_line + 2)
            .map_or(text.len(), |next| next.saturating_sub(1));
        let to = if text[..to].ends_with('\r') {
            to - 1
        } else {
            to
        };
        // Without context lines miette asks where the span itself starts (the header's
        // line:column): the contents then begin at the span, as miette's own sources do.
        let (from, column) = if context_lines_before == 0 {
            // Columns count characters, as in every other format.
            (start, self.file.line_col(start).column - 1)
        } else {
            (from, 0)
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &text.as_bytes()[from..to.max(from)],
            SourceSpan::from(from..to.max(from)),
            from_line,
            column,
            to_line - from_line + 1,
        )))
    }
}

/// Adapter that lets miette render one of our diagnostics.
struct Rendered<'a> {
    diagnostic: &'a Diagnostic,
    /// The message, terminal-safe.
    message: String,
    source: Option<Window>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field("code", &self.diagnostic.code)
            .finish()
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{} {}",
            self.diagnostic.code, self.diagnostic.name
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// Each file's terminal-safe text, made once per report: a big config with many findings would
/// otherwise be scanned (and its escaped copy indexed) once per finding.
#[derive(Default)]
struct EscapedSources<'r> {
    by_path: HashMap<&'r Path, Option<(SafeSource, Arc<SourceFile>)>>,
}

impl<'r> EscapedSources<'r> {
    /// The escaped text and its offset map, or `None` when the file has nothing to escape.
    fn of(&mut self, original: &'r SourceFile) -> Option<&(SafeSource, Arc<SourceFile>)> {
        self.by_path
            .entry(original.path.as_path())
            .or_insert_with(|| {
                let safe = SafeSource::of(&original.text)?;
                let file = Arc::new(SourceFile::new(original.path.clone(), safe.text.clone()));
                Some((safe, file))
            })
            .as_ref()
    }
}

fn prepare<'a, 'r>(
    diagnostic: &'a Diagnostic,
    report: &Report<'r>,
    escaped: &mut EscapedSources<'r>,
) -> Rendered<'a> {
    // A snippet shows the file's own bytes: its control characters are escaped like any
    // other untrusted text, and the spans moved to match.
    let original = report.sources.get(&diagnostic.path);
    let escaped = original.and_then(|s| escaped.of(s));
    let safe = escaped.map(|(safe, _)| safe);
    let source_file = escaped.map(|(_, file)| file).or(original);
    let clamp = |span: crate::source::Span, len: usize| {
        let (start, end) = match &safe {
            Some(safe) => (safe.offset(span.start), safe.offset(span.end)),
            None => (span.start, span.end),
        };
        let start = start.min(len);
        let end = end.clamp(start, len);
        SourceSpan::from(start..end)
    };
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    if let Some(help) = &diagnostic.help {
        notes.push(terminal_safe(help).into_owned());
    }
    if let Some(fix) = &diagnostic.fix {
        notes.push(terminal_safe(&fix_note(fix)).into_owned());
    }
    if let Some(profile) = &diagnostic.profile {
        notes.push(format!("only under profile `{}`", terminal_safe(profile)));
    }
    if let Some(source) = source_file {
        let len = source.text.len();
        labels.push(LabeledSpan::new_primary_with_span(
            None,
            clamp(diagnostic.span, len),
        ));
        for related in &diagnostic.related {
            if related.path == diagnostic.path {
                labels.push(LabeledSpan::new_with_span(
                    Some(terminal_safe(&related.message).into_owned()),
                    clamp(related.span, len),
                ));
            }
        }
    }
    for related in &diagnostic.related {
        if related.path != diagnostic.path || source_file.is_none() {
            let pos = position(report.sources, &related.path, related.span);
            notes.push(format!(
                "see {}:{}:{}: {}",
                terminal_safe(&display_path(&related.path)),
                pos.start.line,
                pos.start.column,
                terminal_safe(&related.message)
            ));
        }
    }
    let source = source_file.map(|s| Window {
        name: terminal_safe(&display_path(&diagnostic.path)).into_owned(),
        file: Arc::clone(s),
    });
    // Without a source, miette would show no location at all; put it in the notes.
    if source_file.is_none() {
        notes.insert(
            0,
            format!("in {}", terminal_safe(&display_path(&diagnostic.path))),
        );
    }
    Rendered {
        diagnostic,
        message: terminal_safe(&diagnostic.message).into_owned(),
        source,
        labels,
        help: if notes.is_empty() {
            None
        } else {
            Some(notes.join("\n"))
        },
    }
}

pub(super) fn render(report: &Report<'_>, options: &RenderOptions) -> String {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false)
        .without_syntax_highlighting();
    let mut text = String::new();
    let mut escaped = EscapedSources::default();
    for diagnostic in report.diagnostics {
        let rendered = prepare(diagnostic, report, &mut escaped);
        let mut one = String::new();
        if handler.render_report(&mut one, &rendered).is_err() {
            // miette failing on a span is no reason to lose the finding.
            let pos = position(report.sources, &diagnostic.path, diagnostic.span);
            one = format!(
                "{}:{}:{}: {} {}\n",
                terminal_safe(&display_path(&diagnostic.path)),
                pos.start.line,
                pos.start.column,
                diagnostic.code,
                terminal_safe(&diagnostic.message)
            );
        }
        text.push_str(one.trim_end());
        text.push_str("\n\n");
    }
    if options.summary {
        text.push_str(&summary_line(report));
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn renders_snippet_help_fix_and_summary() {
        let sources = sources();
        let diags = diagnostics();
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 2,
        };
        let text = render(&report, &RenderOptions::default());
        let expected = include_str!("testdata/full.txt");
        assert_eq!(text, expected, "got:\n{text}");
    }

    #[test]
    fn missing_source_still_names_the_file() {
        let sources = std::collections::BTreeMap::new();
        let diag = Diagnostic::new(
            "SCHEMA001",
            "parse-error",
            Severity::Error,
            "gone.yaml",
            crate::source::Span::new(3, 4),
            "cannot parse",
        );
        let report = Report {
            diagnostics: std::slice::from_ref(&diag),
            sources: &sources,
            files_checked: 1,
        };
        let options = RenderOptions {
            summary: false,
            ..RenderOptions::default()
        };
        let text = render(&report, &options);
        assert!(text.contains("SCHEMA001 parse-error"), "{text}");
        assert!(text.contains("cannot parse"), "{text}");
        assert!(text.contains("help: in gone.yaml"), "{text}");
    }
}
