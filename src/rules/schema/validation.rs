//! Shared by the SCHEMA rules: each config document checked against the key tables of its
//! apiVersion (`crate::skaffold::schema`).

use crate::project::ConfigFile;
use crate::skaffold::schema::{self, SchemaIssue};
use crate::yaml::Document;

/// The apiVersion text of a document and its key tables, when the version has tables.
pub fn document_schema(doc: &Document) -> Option<&'static schema::Schema> {
    let version = doc.root_ref()?.get("apiVersion")?.as_str()?;
    schema::schema_for(schema::known_version(version)?)
}

/// Every schema issue of every document of the file, in document order. The walk is made
/// once per file; each rule gets its own copy.
pub fn issues(file: &ConfigFile) -> Vec<SchemaIssue> {
    file.schema_issues
        .get_or_init(|| {
            file.documents
                .iter()
                .filter_map(|doc| {
                    Some(schema::validate(
                        doc,
                        &file.source.text,
                        document_schema(doc)?,
                    ))
                })
                .flatten()
                .collect()
        })
        .clone()
}
