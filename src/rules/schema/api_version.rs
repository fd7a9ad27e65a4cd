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
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary: "The config uses an older apiVersion than the newest Skaffold schema.",
    check: Check::ConfigFile(check),
    doc: include_str!("../../../rules/SCHEMA005.md"),
};

/// The first Skaffold release whose newest apiVersion is `api_version`: the `Version` constant
/// of `pkg/skaffold/schema/latest/config.go` at each release tag of
/// GoogleContainerTools/skaffold.
fn first_release(api_version: &str) -> Option<&'static str> {
    const RELEASES: [(&str, &str); 9] = [
        ("skaffold/v4beta6", "v2.6.0"),
        ("skaffold/v4beta7", "v2.8.0"),
        ("skaffold/v4beta8", "v2.9.0"),
        ("skaffold/v4beta9", "v2.10.0"),
        ("skaffold/v4beta10", "v2.11.0"),
        ("skaffold/v4beta11", "v2.12.0"),
        ("skaffold/v4beta12", "v2.14.0"),
        ("skaffold/v4beta13", "v2.15.0"),
        ("skaffold/v4beta14", "v2.19.0"),
    ];
    RELEASES
        .iter()
        .find(|(version, _)| *version == api_version)
        .map(|(_, release)| *release)
}

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
                // Older Skaffold binaries reject a newer apiVersion: the bump is only right
                // for a team that all runs a Skaffold that reads it.
                let needs = first_release(latest.name())
                    .map(|r| format!(" (needs Skaffold {r} or newer)"))
                    .unwrap_or_default();
                d = d.with_fix(Fix {
                    applicability: Applicability::Unsafe,
                    message: format!("set apiVersion to `{}`{needs}", latest.name()),
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
