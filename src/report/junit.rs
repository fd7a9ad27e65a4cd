//! JUnit XML, which most CI systems show as a test report: one test suite per file, one test
//! case per finding (failing for errors and warnings; an info passes, with its text as output,
//! since infos never fail a run), and one passing case for a file without findings.

use super::{display_path, position, Counts, Report};
use crate::diagnostic::Severity;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn render(report: &Report<'_>) -> String {
    let mut by_file: BTreeMap<&Path, Vec<&crate::diagnostic::Diagnostic>> = BTreeMap::new();
    for path in report.sources.keys() {
        by_file.entry(path.as_path()).or_default();
    }
    for diagnostic in report.diagnostics {
        by_file
            .entry(diagnostic.path.as_path())
            .or_default()
            .push(diagnostic);
    }
    let tests: usize = by_file.values().map(|d| d.len().max(1)).sum();
    let counts = Counts::of(report.diagnostics);
    let is_info = |d: &&crate::diagnostic::Diagnostic| d.severity == Severity::Info;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"skafix\" tests=\"{tests}\" failures=\"{}\" errors=\"0\">\n",
        counts.errors + counts.warnings
    ));
    for (path, diagnostics) in by_file {
        let path = display_path(path);
        xml.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n",
            escape(&path),
            diagnostics.len().max(1),
            diagnostics.iter().filter(|d| !is_info(d)).count()
        ));
        if diagnostics.is_empty() {
            xml.push_str(&format!(
                "    <testcase name=\"skafix\" classname=\"{}\"/>\n",
                escape(&path)
            ));
        }
        for diagnostic in diagnostics {
            let pos = position(report.sources, &diagnostic.path, diagnostic.span);
            let mut body = format!(
                "{path}:{}:{}: {} {}",
                pos.start.line, pos.start.column, diagnostic.code, diagnostic.message
            );
            if let Some(help) = &diagnostic.help {
                body.push_str("\nhelp: ");
                body.push_str(help);
            }
            xml.push_str(&format!(
                "    <testcase name=\"{} {} at line {} column {}\" classname=\"{}\" file=\"{}\" line=\"{}\">\n",
                escape(diagnostic.code),
                escape(diagnostic.name),
                pos.start.line,
                pos.start.column,
                escape(&path),
                escape(&path),
                pos.start.line
            ));
            if is_info(&diagnostic) {
                xml.push_str(&format!(
                    "      <system-out>info: {}</system-out>\n",
                    escape(&body)
                ));
            } else {
                xml.push_str(&format!(
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
                    escape(&diagnostic.message),
                    diagnostic.severity.as_str(),
                    escape(&body)
                ));
            }
            xml.push_str("    </testcase>\n");
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

/// Escapes text for XML content and attribute values. Characters XML 1.0 cannot carry at all
/// (most C0 controls) become U+FFFD; line breaks in attributes are kept as character
/// references so parsers do not normalise them to spaces.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn one_suite_per_file_and_one_case_per_finding() {
        let mut sources = sources();
        sources.insert(
            "clean/skaffold.yaml".into(),
            std::sync::Arc::new(crate::source::SourceFile::new(
                "clean/skaffold.yaml",
                "a: 1\n",
            )),
        );
        let diags = diagnostics();
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 3,
        };
        assert_eq!(
            render(&report),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<testsuites name=\"skafix\" tests=\"3\" failures=\"2\" errors=\"0\">\n\
\x20 <testsuite name=\"app/Dockerfile\" tests=\"1\" failures=\"1\" errors=\"0\">\n\
\x20   <testcase name=\"PROC001 shell-form-cmd at line 2 column 1\" classname=\"app/Dockerfile\" file=\"app/Dockerfile\" line=\"2\">\n\
\x20     <failure message=\"shell-form CMD: PID 1 is /bin/sh, signals are not forwarded\" type=\"error\">app/Dockerfile:2:1: PROC001 shell-form CMD: PID 1 is /bin/sh, signals are not forwarded</failure>\n\
\x20   </testcase>\n\
\x20 </testsuite>\n\
\x20 <testsuite name=\"clean/skaffold.yaml\" tests=\"1\" failures=\"0\" errors=\"0\">\n\
\x20   <testcase name=\"skafix\" classname=\"clean/skaffold.yaml\"/>\n\
\x20 </testsuite>\n\
\x20 <testsuite name=\"skaffold.yaml\" tests=\"1\" failures=\"1\" errors=\"0\">\n\
\x20   <testcase name=\"SYNC001 infer-without-reload at line 6 column 9\" classname=\"skaffold.yaml\" file=\"skaffold.yaml\" line=\"6\">\n\
\x20     <failure message=\"`sync.infer` for image `app`, but the server does not reload\" type=\"warning\">skaffold.yaml:6:9: SYNC001 `sync.infer` for image `app`, but the server does not reload&#10;help: add `--reload` to the uvicorn command</failure>\n\
\x20   </testcase>\n\
\x20 </testsuite>\n\
</testsuites>\n"
        );
    }

    #[test]
    fn an_info_is_a_passing_case_with_its_text_as_output() {
        let sources = sources();
        let mut diags = diagnostics();
        diags[1].severity = crate::diagnostic::Severity::Info;
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 2,
        };
        let xml = render(&report);
        assert!(
            xml.contains("<testsuites name=\"skafix\" tests=\"2\" failures=\"1\" errors=\"0\">"),
            "{xml}"
        );
        assert!(
            xml.contains(
                "<testsuite name=\"skaffold.yaml\" tests=\"1\" failures=\"0\" errors=\"0\">"
            ),
            "{xml}"
        );
        assert!(
            xml.contains("      <system-out>info: skaffold.yaml:6:9: SYNC001 `sync.infer` for image `app`, but the server does not reload&#10;help: add `--reload` to the uvicorn command</system-out>\n    </testcase>"),
            "{xml}"
        );
        assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
    }

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("<a href=\"x\">&'\u{1}\n"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;\u{FFFD}&#10;"
        );
    }
}
