//! What Skaffold accepts in a skaffold.yaml, per apiVersion: the list of every apiVersion
//! Skaffold knows, key tables for each version from `skaffold/v2beta19` on (generated from
//! Skaffold's own JSON schemas and schema Go sources by `tools/gen_skaffold_schema.py`, see
//! `tables.rs`), and a walker that checks a parsed YAML document against them the way
//! Skaffold's decoder does.
//!
//! Facts the walker rests on (GoogleContainerTools/skaffold@359a940c, gopkg.in/yaml.v3):
//! - Skaffold decodes with `KnownFields(true)`, so an unknown key is a hard error
//!   (`pkg/skaffold/schema/versions.go`), except inside `build.cluster` and `kaniko`, whose
//!   custom decoders re-decode without it and so drop unknown keys silently
//!   (`pkg/skaffold/schema/util/yaml.go`).
//! - Top-level keys starting with `.` are removed before decoding (anchor holders), and
//!   aliases and `<<` merge keys are resolved by that first pass (`removeYamlAnchors`).
//! - yaml.v3 decodes any scalar into a string field, only numbers into an int field, and
//!   `true`/`false` plus the YAML 1.1 words (`yes`, `on`, `n`, ...) into a bool field; `null`
//!   leaves any field at its zero value (`decode.go`, `(*decoder).scalar`).
//! - `required` and `oneOf` come from `yamltags`, checked after decoding
//!   (`pkg/skaffold/yamltags/tags.go`): a required key must not be empty, and at most one key
//!   of a oneOf group may be set.

// Generated, one field per line; rustfmt would triple its length.
#[rustfmt::skip]
mod tables;

use std::collections::HashSet;

use crate::source::Span;
use crate::yaml::{Document, NodeId, NodeRef, NodeValue, ScalarStyle};

/// Every apiVersion Skaffold knows, oldest first (`pkg/skaffold/schema/versions.go`).
const VERSION_NAMES: &[&str] = &[
    "skaffold/v1alpha1",
    "skaffold/v1alpha2",
    "skaffold/v1alpha3",
    "skaffold/v1alpha4",
    "skaffold/v1alpha5",
    "skaffold/v1beta1",
    "skaffold/v1beta2",
    "skaffold/v1beta3",
    "skaffold/v1beta4",
    "skaffold/v1beta5",
    "skaffold/v1beta6",
    "skaffold/v1beta7",
    "skaffold/v1beta8",
    "skaffold/v1beta9",
    "skaffold/v1beta10",
    "skaffold/v1beta11",
    "skaffold/v1beta12",
    "skaffold/v1beta13",
    "skaffold/v1beta14",
    "skaffold/v1beta15",
    "skaffold/v1beta16",
    "skaffold/v1beta17",
    "skaffold/v1",
    "skaffold/v2alpha1",
    "skaffold/v2alpha2",
    "skaffold/v2alpha3",
    "skaffold/v2alpha4",
    "skaffold/v2beta1",
    "skaffold/v2beta2",
    "skaffold/v2beta3",
    "skaffold/v2beta4",
    "skaffold/v2beta5",
    "skaffold/v2beta6",
    "skaffold/v2beta7",
    "skaffold/v2beta8",
    "skaffold/v2beta9",
    "skaffold/v2beta10",
    "skaffold/v2beta11",
    "skaffold/v2beta12",
    "skaffold/v2beta13",
    "skaffold/v2beta14",
    "skaffold/v2beta15",
    "skaffold/v2beta16",
    "skaffold/v2beta17",
    "skaffold/v2beta18",
    "skaffold/v2beta19",
    "skaffold/v2beta20",
    "skaffold/v2beta21",
    "skaffold/v2beta22",
    "skaffold/v2beta23",
    "skaffold/v2beta24",
    "skaffold/v2beta25",
    "skaffold/v2beta26",
    "skaffold/v2beta27",
    "skaffold/v2beta28",
    "skaffold/v2beta29",
    "skaffold/v3alpha1",
    "skaffold/v3",
    "skaffold/v4beta1",
    "skaffold/v4beta2",
    "skaffold/v4beta3",
    "skaffold/v4beta4",
    "skaffold/v4beta5",
    "skaffold/v4beta6",
    "skaffold/v4beta7",
    "skaffold/v4beta8",
    "skaffold/v4beta9",
    "skaffold/v4beta10",
    "skaffold/v4beta11",
    "skaffold/v4beta12",
    "skaffold/v4beta13",
    "skaffold/v4beta14",
];

/// The newest apiVersion (`pkg/skaffold/schema/latest/config.go`).
pub const LATEST: &str = "skaffold/v4beta14";

/// The oldest apiVersion with key tables.
pub const OLDEST_WITH_SCHEMA: &str = "skaffold/v2beta19";

/// A known apiVersion. Ordering is Skaffold's release order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(u8);

/// Skaffold v1 binaries read `skaffold/v1*`/`v2*` configs, Skaffold v2 binaries also read
/// `skaffold/v3*`/`v4*`; mixing the two in one run is an error (`versions.go`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Track {
    V1,
    V2,
}

impl Version {
    /// The apiVersion string, e.g. `skaffold/v2beta29`.
    pub fn name(self) -> &'static str {
        VERSION_NAMES[self.0 as usize]
    }
    pub fn track(self) -> Track {
        if self.name().starts_with("skaffold/v1") || self.name().starts_with("skaffold/v2") {
            Track::V1
        } else {
            Track::V2
        }
    }
    /// Whether `skaffold fix` would upgrade this version.
    pub fn is_outdated(self) -> bool {
        self != latest()
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The version for an exact apiVersion string (Skaffold compares exactly, no trimming).
pub fn known_version(api_version: &str) -> Option<Version> {
    VERSION_NAMES
        .iter()
        .position(|name| *name == api_version)
        .map(|index| Version(index as u8))
}

pub fn latest() -> Version {
    Version((VERSION_NAMES.len() - 1) as u8)
}

/// Every known version, oldest first.
pub fn all_versions() -> impl Iterator<Item = Version> {
    (0..VERSION_NAMES.len()).map(|index| Version(index as u8))
}

/// Whether `api_version` is known and older than [`LATEST`].
pub fn is_outdated(api_version: &str) -> bool {
    known_version(api_version).is_some_and(Version::is_outdated)
}

/// The key tables of a version; None for versions older than [`OLDEST_WITH_SCHEMA`].
pub fn schema_for(version: Version) -> Option<&'static Schema> {
    tables::SCHEMAS
        .iter()
        .find(|schema| schema.version == version.name())
}

/// The expected shape of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// Any scalar (yaml.v3 decodes numbers and booleans into string fields as written).
    String,
    Bool,
    Int,
    /// Skaffold's `IntOrString`: any scalar.
    IntOrString,
    /// Free-form (Kubernetes objects, patch values): not checked.
    Any,
    /// A mapping whose values are scalars (`map[string]string`, `map[string]*string`).
    StringMap,
    /// A mapping with values of any shape (Helm `setValues`, `overrides`).
    AnyMap,
    /// A mapping checked against the named object type of the same schema.
    Object(&'static str),
    List(&'static ValueType),
}

impl ValueType {
    /// For messages: "a boolean", "a list of SyncRule", ...
    pub fn describe(self) -> String {
        match self {
            ValueType::String => "a string".into(),
            ValueType::Bool => "a boolean".into(),
            ValueType::Int => "an integer".into(),
            ValueType::IntOrString => "an integer or a string".into(),
            ValueType::Any => "any value".into(),
            ValueType::StringMap => "a mapping of strings".into(),
            ValueType::AnyMap => "a mapping".into(),
            ValueType::Object(name) => format!("a mapping ({name})"),
            ValueType::List(item) => format!("a list of {}", item.describe_plural()),
        }
    }

    fn describe_plural(self) -> String {
        match self {
            ValueType::String => "strings".into(),
            ValueType::Bool => "booleans".into(),
            ValueType::Int => "integers".into(),
            ValueType::IntOrString => "integers or strings".into(),
            ValueType::Any => "values".into(),
            ValueType::StringMap => "mappings of strings".into(),
            ValueType::AnyMap => "mappings".into(),
            ValueType::Object(name) => format!("mappings ({name})"),
            ValueType::List(item) => format!("lists of {}", item.describe_plural()),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub ty: ValueType,
}

/// Keys of which at most one may be set (`yamltags:"oneOf=<name>"`).
#[derive(Debug, PartialEq, Eq)]
pub struct OneOf {
    pub name: &'static str,
    pub keys: &'static [&'static str],
}

/// One object type (a Go struct of Skaffold's schema, with inlined structs flattened).
#[derive(Debug, PartialEq, Eq)]
pub struct ObjectType {
    /// The Go/JSON-schema name, e.g. `DockerArtifact`.
    pub name: &'static str,
    /// Sorted by key.
    pub fields: &'static [Field],
    pub required: &'static [&'static str],
    pub one_of: &'static [OneOf],
    /// Skaffold decodes this type without strict key checking: unknown keys are dropped
    /// silently instead of failing the parse. Applies to everything nested inside, too.
    pub lenient: bool,
}

impl ObjectType {
    pub fn field(&self, key: &str) -> Option<&'static Field> {
        let fields: &'static [Field] = self.fields;
        fields
            .binary_search_by(|field| field.key.cmp(key))
            .ok()
            .map(|index| &fields[index])
    }
    pub fn keys(&self) -> impl Iterator<Item = &'static str> {
        let fields: &'static [Field] = self.fields;
        fields.iter().map(|field| field.key)
    }
}

/// The key tables of one apiVersion.
#[derive(Debug)]
pub struct Schema {
    pub version: &'static str,
    /// Sorted by name.
    pub types: &'static [&'static ObjectType],
}

/// The object type of a whole skaffold.yaml document.
pub const ROOT_TYPE: &str = "SkaffoldConfig";

/// The object type of a `profiles[]` item.
pub const PROFILE_TYPE: &str = "Profile";

impl Schema {
    pub fn object(&self, name: &str) -> Option<&'static ObjectType> {
        let types: &'static [&'static ObjectType] = self.types;
        types
            .binary_search_by(|object| object.name.cmp(name))
            .ok()
            .map(|index| types[index])
    }
    /// The document's type (`SkaffoldConfig`). Every generated schema has it.
    pub fn root(&self) -> Option<&'static ObjectType> {
        self.object(ROOT_TYPE)
    }
    /// The expected type at a path of keys from the document root; list levels are stepped
    /// through implicitly, so `["build", "artifacts", "sync", "auto"]` is `Bool`.
    pub fn type_at(&self, keys: &[&str]) -> Option<ValueType> {
        let mut current = ValueType::Object(ROOT_TYPE);
        for key in keys {
            while let ValueType::List(item) = current {
                current = *item;
            }
            let ValueType::Object(name) = current else {
                return None;
            };
            current = self.object(name)?.field(key)?.ty;
        }
        Some(current)
    }
}

/// First and last apiVersion (among those with tables) in which an object type has a key.
pub fn key_versions(object: &str, key: &str) -> Option<(&'static str, &'static str)> {
    let mut found = tables::SCHEMAS
        .iter()
        .filter(|schema| {
            schema
                .object(object)
                .is_some_and(|o| o.field(key).is_some())
        })
        .map(|schema| schema.version);
    let first = found.next()?;
    Some((first, found.next_back().unwrap_or(first)))
}

/// A finding of the schema walker. `path` is where it is, as `build.artifacts[0].sync.auto`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaIssue {
    /// A key the object type does not have.
    UnknownKey {
        /// The key's span.
        span: Span,
        path: String,
        key: String,
        object: &'static str,
        /// Allowed keys of the object that are close to `key`, closest first.
        did_you_mean: Vec<&'static str>,
        /// The key is a Skaffold command-line flag, not a config key (`cacheArtifacts`).
        cli_flag: Option<&'static str>,
        /// First and last apiVersion in which this object type has the key, if any.
        known_in: Option<(&'static str, &'static str)>,
        /// Skaffold drops this key silently instead of failing (non-strict decoder).
        ignored_by_skaffold: bool,
    },
    /// A value of the wrong shape: Skaffold fails to decode the file.
    WrongType {
        /// The value's span.
        span: Span,
        path: String,
        expected: ValueType,
        /// `NodeRef::kind_name` of the value: "a mapping", "a string", ...
        found: &'static str,
    },
    /// A required key that is absent or empty; Skaffold rejects the config.
    MissingRequired {
        /// The key's span if it is present but empty, else the object's span.
        span: Span,
        path: String,
        key: &'static str,
        object: &'static str,
    },
    /// `{{ ... }}` written unquoted where a string is expected: YAML reads it as a flow mapping.
    UnquotedTemplate {
        /// The flow mapping's span, `{{` to `}}`.
        span: Span,
        path: String,
        /// The source text of that span.
        template: String,
    },
    /// More than one key of a oneOf group is set.
    OneOfConflict {
        /// The object's span.
        span: Span,
        path: String,
        object: &'static str,
        group: &'static str,
        /// The keys that are set, with their spans, in document order.
        keys: Vec<(String, Span)>,
    },
}

impl SchemaIssue {
    pub fn span(&self) -> Span {
        match self {
            SchemaIssue::UnknownKey { span, .. }
            | SchemaIssue::WrongType { span, .. }
            | SchemaIssue::MissingRequired { span, .. }
            | SchemaIssue::UnquotedTemplate { span, .. }
            | SchemaIssue::OneOfConflict { span, .. } => *span,
        }
    }
    pub fn path(&self) -> &str {
        match self {
            SchemaIssue::UnknownKey { path, .. }
            | SchemaIssue::WrongType { path, .. }
            | SchemaIssue::MissingRequired { path, .. }
            | SchemaIssue::UnquotedTemplate { path, .. }
            | SchemaIssue::OneOfConflict { path, .. } => path,
        }
    }
}

/// Command-line flags people write into skaffold.yaml as if they were keys (matched ignoring
/// case, `-` and `_`). `--cache-artifacts`: `cmd/skaffold/app/cmd/flags.go`.
const CLI_ONLY_KEYS: &[(&str, &str)] = &[("cacheartifacts", "--cache-artifacts")];

/// Nesting deeper than this is not walked (recursive types such as tagger components could
/// otherwise follow arbitrarily deep YAML).
const MAX_DEPTH: usize = 128;

/// Checks one parsed document against `schema`. `text` is the whole file the document was
/// parsed from (spans index into it). Issues come in document order of discovery; a node
/// reached through several aliases is reported once.
pub fn validate(doc: &Document, text: &str, schema: &Schema) -> Vec<SchemaIssue> {
    let Some(root) = doc.root_ref() else {
        return Vec::new();
    };
    let mut walker = Walker {
        text,
        schema,
        issues: Vec::new(),
        visited: HashSet::new(),
        path: String::new(),
    };
    walker.check_value(root, ValueType::Object(ROOT_TYPE), Ctx::default(), 0);
    walker.issues
}

struct Walker<'t> {
    text: &'t str,
    schema: &'t Schema,
    issues: Vec<SchemaIssue>,
    /// Nodes already checked (as a type, in a context) through an alias or merge.
    visited: HashSet<(NodeId, ValueType, Ctx)>,
    path: String,
}

/// What surrounds the value being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
struct Ctx {
    /// Inside a type Skaffold decodes without strict key checking.
    lenient: bool,
    /// Inside a profile, outside any list: merged into the base config field by field.
    overlay: bool,
}

impl Walker<'_> {
    fn check_value(&mut self, node: NodeRef<'_>, expected: ValueType, ctx: Ctx, depth: usize) {
        if depth > MAX_DEPTH || expected == ValueType::Any {
            return;
        }
        let resolved = node.resolved();
        if resolved.id != node.id && !self.visited.insert((resolved.id, expected, ctx)) {
            return;
        }
        if resolved.is_null() {
            return;
        }
        match expected {
            ValueType::Any => {}
            ValueType::String | ValueType::IntOrString => self.check_scalar(resolved, expected),
            ValueType::Bool => {
                if !is_yaml_bool(resolved) {
                    self.wrong_type(resolved, expected);
                }
            }
            ValueType::Int => {
                if !is_yaml_number(resolved) {
                    self.wrong_type(resolved, expected);
                }
            }
            ValueType::StringMap => {
                if !resolved.is_mapping() {
                    self.wrong_type(resolved, expected);
                    return;
                }
                for (key, value) in self.entries_to_check(resolved, expected, ctx) {
                    let mark = self.push_key(key);
                    self.check_value(value, ValueType::String, ctx, depth + 1);
                    self.path.truncate(mark);
                }
            }
            ValueType::AnyMap => {
                if !resolved.is_mapping() {
                    self.wrong_type(resolved, expected);
                }
            }
            ValueType::Object(name) => {
                if !resolved.is_mapping() {
                    self.wrong_type(resolved, expected);
                    return;
                }
                if let Some(object) = self.schema.object(name) {
                    let ctx = Ctx {
                        lenient: ctx.lenient || object.lenient,
                        ..ctx
                    };
                    self.check_object(resolved, object, ctx, depth);
                }
            }
            ValueType::List(item) => {
                if !resolved.is_sequence() {
                    self.wrong_type(resolved, expected);
                    return;
                }
                for (index, value) in resolved.items().enumerate() {
                    let mark = self.path.len();
                    self.path.push_str(&format!("[{index}]"));
                    // A profile's list replaces the base list whole: its items stand alone.
                    let ctx = Ctx {
                        overlay: false,
                        ..ctx
                    };
                    self.check_value(value, *item, ctx, depth + 1);
                    self.path.truncate(mark);
                }
            }
        }
    }

    fn check_scalar(&mut self, node: NodeRef<'_>, expected: ValueType) {
        match node.value() {
            NodeValue::Scalar { .. } => {}
            NodeValue::Mapping(_) if self.starts_template(node) => {
                let span = node.span();
                self.issues.push(SchemaIssue::UnquotedTemplate {
                    span,
                    path: self.path.clone(),
                    template: self
                        .text
                        .get(span.start..span.end)
                        .unwrap_or("")
                        .to_string(),
                });
            }
            _ => self.wrong_type(node, expected),
        }
    }

    fn starts_template(&self, node: NodeRef<'_>) -> bool {
        self.text
            .get(node.span().start..)
            .is_some_and(|rest| rest.starts_with("{{"))
    }

    fn wrong_type(&mut self, node: NodeRef<'_>, expected: ValueType) {
        self.issues.push(SchemaIssue::WrongType {
            span: node.span(),
            path: self.path.clone(),
            expected,
            found: node.kind_name(),
        });
    }

    fn check_object(
        &mut self,
        node: NodeRef<'_>,
        object: &'static ObjectType,
        ctx: Ctx,
        depth: usize,
    ) {
        let is_root = depth == 0;
        // A profile's objects are merged field by field into the base config's
        // (`overlayProfileField`), so their required keys may come from the base.
        let child_ctx = if object.name == PROFILE_TYPE {
            Ctx {
                overlay: true,
                ..ctx
            }
        } else {
            ctx
        };
        let mut present: Vec<(NodeRef<'_>, NodeRef<'_>)> = Vec::new();
        let entries = merged_entries(node);
        let fresh = self.fresh_sources(node, &entries, ValueType::Object(object.name), ctx);
        for (key, value, source) in entries {
            if !fresh.contains(&source) {
                present.push((key, value));
                continue;
            }
            let Some(name) = key.as_str() else {
                self.unknown_key(key, key.kind_name(), object, ctx.lenient);
                continue;
            };
            if is_root && name.starts_with('.') {
                continue;
            }
            let mark = self.push_key(key);
            match object.field(name) {
                Some(field) => {
                    self.check_value(value, field.ty, child_ctx, depth + 1);
                    present.push((key, value));
                }
                None => self.unknown_key(key, name, object, ctx.lenient),
            }
            self.path.truncate(mark);
        }
        let required_keys = if ctx.overlay {
            &[][..]
        } else {
            object.required
        };
        for required in required_keys {
            let found = present
                .iter()
                .rev()
                .find(|(key, _)| key.as_str() == Some(required));
            let span = match found {
                None => node.span(),
                Some((key, value)) if is_empty(*value) => key.span(),
                Some(_) => continue,
            };
            self.issues.push(SchemaIssue::MissingRequired {
                span,
                path: self.path.clone(),
                key: required,
                object: object.name,
            });
        }
        for group in object.one_of {
            let mut set: Vec<(String, Span)> = Vec::new();
            for (key, value) in &present {
                let Some(name) = key.as_str() else { continue };
                if group.keys.contains(&name)
                    && !is_empty(*value)
                    && !set.iter().any(|(k, _)| k == name)
                {
                    set.push((name.to_string(), key.span()));
                }
            }
            if set.len() > 1 {
                self.issues.push(SchemaIssue::OneOfConflict {
                    span: node.span(),
                    path: self.path.clone(),
                    object: object.name,
                    group: group.name,
                    keys: set,
                });
            }
        }
    }

    fn unknown_key(
        &mut self,
        key: NodeRef<'_>,
        name: &str,
        object: &'static ObjectType,
        lenient: bool,
    ) {
        let path = self.path.clone();
        let normalized: String = name
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        let cli_flag = CLI_ONLY_KEYS
            .iter()
            .find(|(written, _)| *written == normalized)
            .map(|(_, flag)| *flag);
        let did_you_mean = if cli_flag.is_some() {
            Vec::new()
        } else {
            similar_keys(name, object)
        };
        self.issues.push(SchemaIssue::UnknownKey {
            span: key.span(),
            path,
            key: name.to_string(),
            object: object.name,
            did_you_mean,
            cli_flag,
            known_in: key_versions(object.name, name),
            ignored_by_skaffold: lenient,
        });
    }

    /// The sources (the mapping itself and the mappings merged into it with `<<`) whose
    /// entries have not been checked as `expected` yet: a merged anchor is checked once.
    fn fresh_sources(
        &mut self,
        node: NodeRef<'_>,
        entries: &[MergedEntry<'_>],
        expected: ValueType,
        ctx: Ctx,
    ) -> Vec<NodeId> {
        let mut fresh = vec![node.id];
        for (_, _, source) in entries {
            if !fresh.contains(source) && self.visited.insert((*source, expected, ctx)) {
                fresh.push(*source);
            }
        }
        fresh
    }

    fn entries_to_check<'a>(
        &mut self,
        node: NodeRef<'a>,
        expected: ValueType,
        ctx: Ctx,
    ) -> Vec<(NodeRef<'a>, NodeRef<'a>)> {
        let entries = merged_entries(node);
        let fresh = self.fresh_sources(node, &entries, expected, ctx);
        entries
            .into_iter()
            .filter(|(_, _, source)| fresh.contains(source))
            .map(|(key, value, _)| (key, value))
            .collect()
    }

    /// Appends `.key` to the path and returns the length to truncate back to.
    fn push_key(&mut self, key: NodeRef<'_>) -> usize {
        let mark = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key.as_str().unwrap_or("?"));
        mark
    }
}

/// A mapping entry with the mapping it was written in (differs from the mapping being read
/// when it came in through a `<<` merge key).
type MergedEntry<'a> = (NodeRef<'a>, NodeRef<'a>, NodeId);

/// A mapping's entries with `<<` merge keys expanded (merged entries first, as yaml.v3 lets
/// the mapping's own keys override them). Merge chains are followed a bounded number of times.
fn merged_entries(node: NodeRef<'_>) -> Vec<MergedEntry<'_>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    collect_entries(node, &mut out, &mut seen, 0);
    out
}

fn collect_entries<'a>(
    node: NodeRef<'a>,
    out: &mut Vec<MergedEntry<'a>>,
    seen: &mut HashSet<NodeId>,
    depth: usize,
) {
    let node = node.resolved();
    if depth > MAX_DEPTH || !seen.insert(node.id) {
        return;
    }
    let mut own = Vec::new();
    for (key, value) in node.entries() {
        let is_merge = key.as_str() == Some("<<") && key.style() == Some(ScalarStyle::Plain);
        if is_merge && value.is_mapping() {
            collect_entries(value, out, seen, depth + 1);
        } else if is_merge && value.is_sequence() {
            for item in value.items() {
                collect_entries(item, out, seen, depth + 1);
            }
        } else {
            own.push((key, value, node.id));
        }
    }
    out.extend(own);
}

/// What `yamltags` treats as not set: null, an empty string, an empty list or mapping.
fn is_empty(node: NodeRef<'_>) -> bool {
    if node.is_null() {
        return true;
    }
    match node.value() {
        NodeValue::Scalar { value, .. } => value.is_empty(),
        NodeValue::Mapping(entries) => entries.is_empty(),
        NodeValue::Sequence(items) => items.is_empty(),
        NodeValue::Alias(_) => false,
    }
}

/// yaml.v3 decodes into a bool: `true`/`false` (core schema) and, only for bool targets, the
/// YAML 1.1 words, even quoted.
fn is_yaml_bool(node: NodeRef<'_>) -> bool {
    node.as_bool().is_some() || node.as_str().is_some_and(is_yaml11_bool_word)
}

/// The YAML 1.1 bool words that yaml.v3 still decodes into a bool target, quoted or not
/// (`decode.go`, its YAML 1.1 compatibility case for bool fields).
pub(crate) fn is_yaml11_bool_word(text: &str) -> bool {
    matches!(
        text,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// yaml.v3 decodes a plain integer or float (truncated) into an int; quoted text fails.
fn is_yaml_number(node: NodeRef<'_>) -> bool {
    if node.style() != Some(ScalarStyle::Plain) {
        return false;
    }
    let Some(text) = node.as_str() else {
        return false;
    };
    let cleaned = text.replace('_', "");
    let unsigned = cleaned.trim_start_matches(['+', '-']);
    let radix_parse = |prefix: &str, radix: u32| {
        unsigned
            .strip_prefix(prefix)
            .is_some_and(|digits| !digits.is_empty() && i64::from_str_radix(digits, radix).is_ok())
    };
    if cleaned.parse::<i64>().is_ok()
        || radix_parse("0x", 16)
        || radix_parse("0o", 8)
        || radix_parse("0b", 2)
    {
        return true;
    }
    cleaned.chars().any(|c| c.is_ascii_digit())
        && cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && cleaned.parse::<f64>().is_ok_and(f64::is_finite)
}

/// Allowed keys of `object` close to `key` (case-insensitive optimal-string-alignment
/// distance within about a third of the key's length), closest first, at most three.
fn similar_keys(key: &str, object: &ObjectType) -> Vec<&'static str> {
    let wanted: Vec<char> = key.chars().flat_map(char::to_lowercase).collect();
    let limit = (wanted.len() / 3).clamp(1, 3);
    let mut scored: Vec<(usize, &'static str)> = object
        .keys()
        .filter_map(|candidate| {
            let lowered: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
            let distance = edit_distance(&wanted, &lowered);
            (distance <= limit).then_some((distance, candidate))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, candidate)| candidate)
        .collect()
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    for (i, row) in rows.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[(i - 1) * width + j] + 1)
                .min(rows[i * width + j - 1] + 1)
                .min(rows[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[(i - 2) * width + j - 2] + 1);
            }
            rows[i * width + j] = best;
        }
    }
    rows[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests;
