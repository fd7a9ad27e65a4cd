//! SCHEMA003 wrong-type: a value whose shape Skaffold cannot decode (a mapping where a bool is
//! required, a missing required key, two members of a one-of group).

use super::validation;
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::ConfigFile;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::schema::SchemaIssue;

pub static RULE: Rule = Rule {
    code: "SCHEMA003",
    name: "wrong-type",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A value of the wrong type, a missing required key, or two members of a one-of group.",
    check: Check::ConfigFile(check),
    doc: include_str!("../../../rules/SCHEMA003.md"),
};

fn check(file: &ConfigFile, out: &mut Vec<Diagnostic>) {
    for issue in validation::issues(file) {
        let d = match issue {
            // A hook command written as one string is HOOK006's, which also fixes it.
            SchemaIssue::WrongType {
                ref path,
                found: "a string",
                ..
            } if path.ends_with(".command") => continue,
            SchemaIssue::WrongType {
                span,
                path,
                expected,
                found,
            } => {
                let mut d = RULE.diagnostic(
                    &file.source.path,
                    span,
                    format!(
                        "`{path}` must be {}, found {found}: Skaffold fails to decode the file",
                        expected.describe()
                    ),
                );
                if path.ends_with("sync.auto") {
                    d.help = Some(
                        "`sync.auto` is a boolean since skaffold/v2beta9: write `auto: true`"
                            .into(),
                    );
                }
                d
            }
            SchemaIssue::MissingRequired {
                span,
                path,
                key,
                object,
            } => RULE.diagnostic(
                &file.source.path,
                span,
                format!(
                    "{object} at `{path}` requires `{key}`: Skaffold rejects the config without it"
                ),
            ),
            SchemaIssue::OneOfConflict {
                span,
                path,
                object,
                keys,
                ..
            } => {
                let names: Vec<String> = keys.iter().map(|(k, _)| format!("`{k}`")).collect();
                let mut d = RULE.diagnostic(
                    &file.source.path,
                    keys.get(1).map_or(span, |(_, s)| *s),
                    format!(
                        "{object} at `{path}` sets {}, but only one of them may be set",
                        names.join(" and ")
                    ),
                );
                if let Some((first, first_span)) = keys.first() {
                    d = d.with_related(
                        &file.source.path,
                        *first_span,
                        format!("`{first}` set here"),
                    );
                }
                d
            }
            _ => continue,
        };
        out.push(d);
    }
}
