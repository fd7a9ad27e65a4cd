//! The concise format: one line per finding, `path:line:col: severity: CODE message`, the
//! compilers' layout that editors' problem matchers and `grep` understand.

use super::escape::terminal_safe;
use super::{display_path, position, summary_line, RenderOptions, Report};

pub(super) fn render(report: &Report<'_>, options: &RenderOptions) -> String {
    let mut text = String::new();
    for diagnostic in report.diagnostics {
        let pos = position(report.sources, &diagnostic.path, diagnostic.span);
        let path = display_path(&diagnostic.path);
        let path = terminal_safe(&path);
        let code = if options.color {
            let colour = match diagnostic.severity {
                crate::diagnostic::Severity::Error => "31",
                crate::diagnostic::Severity::Warning => "33",
                crate::diagnostic::Severity::Info => "36",
            };
            format!("\x1b[1;{colour}m{}\x1b[0m", diagnostic.code)
        } else {
            diagnostic.code.to_string()
        };
        // Escaped: a newline would break the one-line-per-finding contract (and forge a
        // finding), other controls would act on the terminal.
        let message = terminal_safe(&diagnostic.message);
        text.push_str(&format!(
            "{path}:{}:{}: {}: {code} {message}",
            pos.start.line,
            pos.start.column,
            diagnostic.severity.as_str()
        ));
        if let Some(profile) = &diagnostic.profile {
            text.push_str(&format!(" [profile: {}]", terminal_safe(profile)));
        }
        text.push('\n');
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
    fn one_line_per_finding_then_the_summary() {
        let sources = sources();
        let mut diags = diagnostics();
        diags[1].profile = Some("dev".to_string());
        let report = Report {
            diagnostics: &diags,
            sources: &sources,
            files_checked: 2,
        };
        let options = RenderOptions::default();
        assert_eq!(
            render(&report, &options),
            "app/Dockerfile:2:1: error: PROC001 shell-form CMD: PID 1 is /bin/sh, signals are not forwarded\n\
             skaffold.yaml:6:9: warning: SYNC001 `sync.infer` for image `app`, but the server does not reload [profile: dev]\n\
             Found 1 error, 1 warning in 2 files (2 files checked). 1 fixable with `skafix fix`.\n"
        );
        let quiet = RenderOptions {
            summary: false,
            ..RenderOptions::default()
        };
        assert_eq!(render(&report, &quiet).lines().count(), 2);
    }

    #[test]
    fn colour_wraps_only_the_code() {
        let sources = sources();
        let diags = diagnostics();
        let report = Report {
            diagnostics: &diags[..1],
            sources: &sources,
            files_checked: 1,
        };
        let options = RenderOptions {
            color: true,
            summary: false,
            width: 80,
        };
        assert_eq!(
            render(&report, &options),
            "app/Dockerfile:2:1: error: \x1b[1;31mPROC001\x1b[0m shell-form CMD: PID 1 is /bin/sh, signals are not forwarded\n"
        );
    }
}
