//! SCHEMA005 outdated-api-version: a config on an older apiVersion than the newest Skaffold
//! reads; the version is bumped when the document is already valid under the newest tables.

use super::validation;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::ConfigFile;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::schema;

pub static RULE: Rule = Rule {
    code: "SCHEMA005",
    name: "outdated-api-version",
    severity: Severity::Info,
    fix: FixAvailability::Sometimes(Applicability::Safe),
    summary: "The config uses an older apiVersion than the newest Skaffold schema.",
    check: Check::ConfigFile(check),
    doc: include_str!("../../../rules/SCHEMA005.md"),
};

fn check(file: &ConfigFile, out: &mut Vec<Diagnostic>) {
    let _ = validation::document_schema;
    for doc in &file.documents {
        let Some(node) = doc.root_ref().and_then(|r| r.get("apiVersion")) else {
            continue;
        };
        let Some(text) = node.as_str() else { continue };
        let Some(version) = schema::known_version(text) else {
            continue;
        };
        if !version.is_outdated() {
            continue;
        }
        let latest = schema::latest();
        let mut d = RULE.diagnostic(
            &file.source.path,
            node.span(),
            format!(
                "apiVersion `{text}` is outdated; the newest is `{}`",
                latest.name()
            ),
        );
        let tables = schema::schema_for(latest).expect("latest has tables");
        // Bumping is only safe when nothing in the document changed shape since this version.
        let same_track = version.track() == latest.track();
        if same_track && schema::validate(doc, &file.source.text, tables).is_empty() {
            let raw = file.source.slice(node.span());
            if let Some(at) = raw.find(text) {
                d = d.with_fix(Fix {
                    applicability: Applicability::Safe,
                    message: format!("set apiVersion to `{}`", latest.name()),
                    edits: vec![Edit {
                        path: file.source.path.clone(),
                        start: node.span().start + at,
                        end: node.span().start + at + text.len(),
                        content: latest.name().to_string(),
                    }],
                });
            }
            d.help = Some(format!(
                "the document is valid under `{}`: bump the version",
                latest.name()
            ));
        } else {
            d.help = Some("run `skaffold fix --overwrite` to upgrade (it rewrites the file without comments), or update the changed keys by hand".to_string());
        }
        out.push(d);
    }
}
