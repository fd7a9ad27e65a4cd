//! SCHEMA010 unknown-api-version: a config document without `apiVersion`, or with one Skaffold
//! does not know; Skaffold refuses to read it.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::ConfigFile;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::schema;

pub static RULE: Rule = Rule {
    code: "SCHEMA010",
    name: "unknown-api-version",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary: "A config document without `apiVersion`, or with a version Skaffold does not know.",
    check: Check::ConfigFile(check),
    doc: include_str!("../../../rules/SCHEMA010.md"),
};

fn check(file: &ConfigFile, out: &mut Vec<Diagnostic>) {
    if file.documents.iter().all(|d| d.root.is_none()) {
        out.push(
            RULE.diagnostic(
                &file.source.path,
                crate::source::Span::empty(0),
                "config file has no documents: Skaffold refuses a config without `apiVersion`",
            )
            .with_help(format!(
                "add `apiVersion: {}` and `kind: Config`, or delete the file",
                schema::LATEST
            )),
        );
        return;
    }
    for doc in &file.documents {
        let Some(root) = doc.root_ref() else { continue };
        if !root.is_mapping() {
            continue;
        }
        match root.get("apiVersion") {
            None => out.push(RULE.diagnostic(
                &file.source.path,
                root.entries().next().map_or(root.span(), |(k, _)| k.span()),
                "config document has no `apiVersion`: Skaffold cannot tell which schema to read it with",
            ).with_help(format!("add `apiVersion: {}` and `kind: Config`", schema::LATEST))),
            Some(node) => {
                let text = node.as_str().unwrap_or_default();
                // Every document of a config file must be a config, or Skaffold fails
                // (`pkg/skaffold/schema/versions.go`, configFactoryFromAPIVersion).
                if schema::known_version(text).is_none() {
                    out.push(RULE.diagnostic(
                        &file.source.path,
                        node.span(),
                        format!("unknown apiVersion `{text}`: Skaffold knows skaffold/v1alpha1 to {}", schema::LATEST),
                    ).with_help(format!("use `{}`", schema::LATEST)));
                }
            }
        }
    }
}
