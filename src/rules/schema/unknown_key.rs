//! SCHEMA002 unknown-key: a key the config's apiVersion does not have, with a did-you-mean.

use super::validation;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::ConfigFile;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::schema::SchemaIssue;

pub static RULE: Rule = Rule {
    code: "SCHEMA002",
    name: "unknown-key",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary:
        "A key that this apiVersion does not have; Skaffold's strict decoder rejects the file.",
    check: Check::ConfigFile(check),
    doc: include_str!("../../../rules/SCHEMA002.md"),
};

fn check(file: &ConfigFile, out: &mut Vec<Diagnostic>) {
    for issue in validation::issues(file) {
        let SchemaIssue::UnknownKey {
            span,
            path,
            key,
            object,
            did_you_mean,
            cli_flag,
            known_in,
            ignored_by_skaffold,
        } = issue
        else {
            continue;
        };
        let consequence = if ignored_by_skaffold {
            "Skaffold ignores it"
        } else {
            "Skaffold rejects the file (unknown fields are errors)"
        };
        let mut message = format!("unknown key `{key}` in {object} (`{path}`): {consequence}");
        let help = if let Some(flag) = cli_flag {
            message = format!(
                "`{key}` is not a skaffold.yaml key but the command-line flag `{flag}` (`{path}`): {consequence}"
            );
            Some(format!(
                "remove it and pass `{flag}` (or set SKAFFOLD_{}) on the command line",
                flag.trim_start_matches('-')
                    .replace('-', "_")
                    .to_uppercase()
            ))
        } else if let Some((first, last)) = known_in {
            Some(format!("`{key}` exists in {object} from {first} to {last}; change the key or the apiVersion"))
        } else {
            match did_you_mean.as_slice() {
                [] => None,
                [one] => Some(format!("did you mean `{one}`?")),
                many => Some(format!(
                    "did you mean one of {}?",
                    many.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        };
        let mut d = RULE.diagnostic(&file.source.path, span, message);
        d.severity = if ignored_by_skaffold {
            Severity::Warning
        } else {
            Severity::Error
        };
        d.help = help;
        if let ([candidate], None) = (did_you_mean.as_slice(), cli_flag) {
            d = d.with_fix(Fix {
                applicability: Applicability::Unsafe,
                message: format!("rename `{key}` to `{candidate}`"),
                edits: vec![Edit {
                    path: file.source.path.clone(),
                    start: span.start,
                    end: span.end,
                    content: candidate.to_string(),
                }],
            });
        }
        out.push(d);
    }
}
