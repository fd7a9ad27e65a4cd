//! SCHEMA004 unquoted-template: `{{ ... }}` written unquoted, which YAML reads as a nested flow
//! mapping instead of a template string.

use super::validation;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::ConfigFile;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::schema::SchemaIssue;

pub static RULE: Rule = Rule {
    code: "SCHEMA004",
    name: "unquoted-template",
    severity: Severity::Error,
    fix: FixAvailability::Always(Applicability::Safe),
    summary: "An unquoted `{{ ... }}` template, which YAML reads as a flow mapping.",
    check: Check::ConfigFile(check),
    doc: include_str!("../../../rules/SCHEMA004.md"),
};

fn check(file: &ConfigFile, out: &mut Vec<Diagnostic>) {
    for issue in validation::issues(file) {
        let SchemaIssue::UnquotedTemplate {
            span,
            path,
            template,
        } = issue
        else {
            continue;
        };
        let quoted = serde_json::to_string(&template).unwrap_or_default();
        out.push(
            RULE.diagnostic(
                &file.source.path,
                span,
                format!("`{path}`: the unquoted template `{template}` is a YAML flow mapping, not a string, so Skaffold fails to decode the file"),
            )
            .with_help(format!("quote it: {quoted}"))
            .with_fix(Fix {
                applicability: Applicability::Safe,
                message: format!("quote the template as {quoted}"),
                edits: vec![Edit {
                    path: file.source.path.clone(),
                    start: span.start,
                    end: span.end,
                    content: quoted,
                }],
            }),
        );
    }
}
