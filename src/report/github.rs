//! GitHub Actions workflow commands (`::error file=...::message`), which the runner turns into
//! annotations on the pull request. Escaping follows the runner's rules: data escapes `%`, CR
//! and LF; property values also escape `:` and `,`. GitHub rejects columns on a range that
//! crosses lines, so those drop `col` and `endColumn`.

use super::{display_path, position, Report};
use crate::diagnostic::Severity;

pub(super) fn render(report: &Report<'_>) -> String {
    let mut text = String::new();
    for diagnostic in report.diagnostics {
        let pos = position(report.sources, &diagnostic.path, diagnostic.span);
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut properties = vec![
            ("file", display_path(&diagnostic.path)),
            ("line", pos.start.line.to_string()),
        ];
        let single_line = pos.start.line == pos.end.line;
        if single_line {
            properties.push(("col", pos.start.column.to_string()));
        }
        properties.push(("endLine", pos.end.line.to_string()));
        if single_line {
            properties.push(("endColumn", pos.end.column.to_string()));
        }
        properties.push(("title", format!("{} {}", diagnostic.code, diagnostic.name)));
        let properties: Vec<String> = properties
            .into_iter()
            .map(|(key, value)| format!("{key}={}", escape_property(&value)))
            .collect();
        let mut message = diagnostic.message.clone();
        if let Some(profile) = &diagnostic.profile {
            message.push_str(&format!(" (profile `{profile}`)"));
        }
        if let Some(help) = &diagnostic.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        text.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            escape_data(&message)
        ));
    }
    text
}

/// Escapes the message part of a workflow command. Other control characters are shown
/// escaped (`\x1b`): the workflow log renders ANSI sequences, so a raw ESC from a file name
/// or key could restyle or hide log lines.
pub(crate) fn escape_data(value: &str) -> String {
    let escaped = value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    super::escape::terminal_safe(&escaped).into_owned()
}

/// Escapes a property value, where `:` and `,` are separators.
pub(crate) fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::source::Span;

    #[test]
    fn annotations_with_columns_only_on_single_line_ranges() {
        let sources = sources();
        let diags = diagnostics();
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 2,
        };
        assert_eq!(
            render(&report),
            "::error file=app/Dockerfile,line=2,endLine=3,title=PROC001 shell-form-cmd::shell-form CMD: PID 1 is /bin/sh, signals are not forwarded\n\
             ::warning file=skaffold.yaml,line=6,col=9,endLine=6,endColumn=14,title=SYNC001 infer-without-reload::`sync.infer` for image `app`, but the server does not reload%0Ahelp: add `--reload` to the uvicorn command\n"
        );
    }

    #[test]
    fn escapes_percent_newlines_and_property_separators() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("x\u{1b}[2Jy\u{7}"), "x\\x1b[2Jy\\x07");
        let sources = sources();
        let diag = Diagnostic::new(
            "SCHEMA001",
            "parse-error",
            Severity::Info,
            "dir,with:odd/skaffold.yaml",
            Span::new(0, 1),
            "100% broken\nsecond line",
        );
        let report = Report {
            diagnostics: std::slice::from_ref(&diag),
            sources: &sources,
            files_checked: 1,
        };
        assert_eq!(
            render(&report),
            "::notice file=dir%2Cwith%3Aodd/skaffold.yaml,line=1,col=1,endLine=1,endColumn=1,title=SCHEMA001 parse-error::100%25 broken%0Asecond line\n"
        );
    }
}
