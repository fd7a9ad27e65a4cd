//! A config value tree that remembers where every value was written. Profiles are overlaid and
//! JSON patches applied on this tree, so after both steps each value still points at the file
//! and bytes it came from: the base config, the profile that replaced it, or a patch's `value`.

use crate::source::Span;
use crate::yaml::{NodeRef, NodeValue};

/// Index of a config file in the project's file table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// Where a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Origin {
    pub file: FileId,
    /// The value's bytes.
    pub span: Span,
    /// The bytes of the mapping key this value sits under, if any.
    pub key_span: Option<Span>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    /// Any scalar; `plain` tells an unquoted scalar (which YAML may read as bool/number).
    Scalar {
        text: String,
        plain: bool,
    },
    Map(Vec<(String, Val)>),
    Seq(Vec<Val>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    pub kind: Kind,
    pub origin: Origin,
}

/// Nodes a conversion may visit before it gives up: aliases are shared in YAML but copied
/// here, so an alias bomb must stop early instead of expanding.
pub const CONVERSION_BUDGET: usize = 200_000;

impl Val {
    pub fn null(origin: Origin) -> Val {
        Val {
            kind: Kind::Null,
            origin,
        }
    }

    /// Copies a YAML node (following aliases) into a tree; None when the budget runs out.
    pub fn from_yaml(node: NodeRef<'_>, file: FileId, budget: &mut usize) -> Option<Val> {
        Self::convert(node, file, None, budget)
    }

    fn convert(
        node: NodeRef<'_>,
        file: FileId,
        key_span: Option<Span>,
        budget: &mut usize,
    ) -> Option<Val> {
        *budget = budget.checked_sub(1)?;
        let origin = Origin {
            file,
            span: node.span(),
            key_span,
        };
        let resolved = node.resolved();
        let kind = match resolved.value() {
            NodeValue::Scalar { value, style } => {
                if node.is_null() {
                    Kind::Null
                } else {
                    Kind::Scalar {
                        text: value.clone(),
                        plain: *style == crate::yaml::ScalarStyle::Plain,
                    }
                }
            }
            NodeValue::Mapping(_) => {
                let mut entries: Vec<(String, Val)> = Vec::new();
                for (k, v) in resolved.entries() {
                    let key = k.as_str().unwrap_or_default().to_string();
                    let value = Self::convert(v, file, Some(k.span()), budget)?;
                    // Later duplicates win, as in Skaffold's decoder.
                    if let Some(slot) = entries.iter_mut().find(|(name, _)| *name == key) {
                        slot.1 = value;
                    } else {
                        entries.push((key, value));
                    }
                }
                Kind::Map(entries)
            }
            NodeValue::Sequence(_) => Kind::Seq(
                resolved
                    .items()
                    .map(|item| Self::convert(item, file, None, budget))
                    .collect::<Option<Vec<_>>>()?,
            ),
            NodeValue::Alias(_) => unreachable!("aliases are resolved"),
        };
        Some(Val { kind, origin })
    }

    pub fn get(&self, key: &str) -> Option<&Val> {
        match &self.kind {
            Kind::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Val> {
        match &mut self.kind {
            Kind::Map(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn path(&self, keys: &[&str]) -> Option<&Val> {
        keys.iter().try_fold(self, |v, k| v.get(k))
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// YAML 1.2 core-schema boolean (plain `true`/`false`), as Go's YAML decoder reads it.
    pub fn as_bool(&self) -> Option<bool> {
        match &self.kind {
            Kind::Scalar { text, plain: true } => match text.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn entries(&self) -> &[(String, Val)] {
        match &self.kind {
            Kind::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Val] {
        match &self.kind {
            Kind::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    /// Go's zero value test as the overlay uses it: empty string, `0`, empty list, null.
    pub fn is_zero(&self) -> bool {
        match &self.kind {
            Kind::Null => true,
            Kind::Scalar { text, plain } => text.is_empty() || (*plain && text == "0"),
            Kind::Seq(items) => items.is_empty(),
            Kind::Map(_) => false,
        }
    }

    /// Plain JSON (for patches and hashing), without origins.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            Kind::Null => serde_json::Value::Null,
            Kind::Scalar { text, plain } => {
                if *plain {
                    if let Some(b) = self.as_bool() {
                        return serde_json::Value::Bool(b);
                    }
                    if let Ok(i) = text.parse::<i64>() {
                        return serde_json::Value::from(i);
                    }
                }
                serde_json::Value::String(text.clone())
            }
            Kind::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Kind::Seq(items) => serde_json::Value::Array(items.iter().map(Val::to_json).collect()),
        }
    }
}
