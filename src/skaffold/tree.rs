//! A config value tree that remembers where every value was written. Profiles are overlaid and
//! JSON patches applied on this tree, so after both steps each value still points at the file
//! and bytes it came from: the base config, the profile that replaced it, or a patch's `value`.

use crate::source::Span;
use crate::yaml::{NodeRef, NodeValue, MAX_NESTING_DEPTH};
use std::collections::HashMap;

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

/// Values a conversion may copy through aliases before it gives up: aliases are shared in YAML
/// but copied here, so an alias bomb must stop early instead of expanding. Values written out
/// in the file are not counted (the file size bounds them).
pub const ALIAS_EXPANSION_LIMIT: usize = 200_000;

/// Why a YAML document could not be copied into a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversionError {
    /// Expanding the alias written at `alias` copied more than [`ALIAS_EXPANSION_LIMIT`] values.
    AliasExpansion { alias: Span },
    /// Aliases nest a value deeper than [`MAX_NESTING_DEPTH`] levels; `at` is the outermost
    /// alias on the way down.
    TooDeep { at: Span },
}

impl ConversionError {
    pub fn span(self) -> Span {
        match self {
            ConversionError::AliasExpansion { alias } => alias,
            ConversionError::TooDeep { at } => at,
        }
    }
}

impl Val {
    pub fn null(origin: Origin) -> Val {
        Val {
            kind: Kind::Null,
            origin,
        }
    }

    /// Copies a YAML node (following aliases) into a tree. `alias_budget` is how many values
    /// may still be copied through aliases (see [`ALIAS_EXPANSION_LIMIT`]).
    pub fn from_yaml(
        node: NodeRef<'_>,
        file: FileId,
        alias_budget: &mut usize,
    ) -> Result<Val, ConversionError> {
        let mut conversion = Conversion {
            file,
            alias_budget,
            outer_alias: None,
        };
        conversion.convert(node, None, 0)
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

/// One document's copy: the budget left and the alias being expanded, if any.
struct Conversion<'b> {
    file: FileId,
    alias_budget: &'b mut usize,
    /// The outermost alias the walk is inside: every value below it is a copy, and a bomb is
    /// reported there (where the user wrote it), not deep inside the anchors it multiplies.
    outer_alias: Option<Span>,
}

impl Conversion<'_> {
    fn convert(
        &mut self,
        node: NodeRef<'_>,
        key_span: Option<Span>,
        depth: usize,
    ) -> Result<Val, ConversionError> {
        let entered_alias =
            self.outer_alias.is_none() && matches!(node.node().value, NodeValue::Alias(_));
        if entered_alias {
            self.outer_alias = Some(node.span());
        }
        let result = self.convert_inside(node, key_span, depth);
        if entered_alias {
            self.outer_alias = None;
        }
        result
    }

    fn convert_inside(
        &mut self,
        node: NodeRef<'_>,
        key_span: Option<Span>,
        depth: usize,
    ) -> Result<Val, ConversionError> {
        // The parser bounds nesting written out; aliases can stack one anchor's depth on
        // another's, so the recursion is bounded here too.
        if depth > MAX_NESTING_DEPTH {
            return Err(ConversionError::TooDeep {
                at: self.outer_alias.unwrap_or(node.span()),
            });
        }
        if let Some(alias) = self.outer_alias {
            *self.alias_budget = self
                .alias_budget
                .checked_sub(1)
                .ok_or(ConversionError::AliasExpansion { alias })?;
        }
        let origin = Origin {
            file: self.file,
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
                // Key positions, so a mapping with many keys is not quadratic to copy.
                let mut positions: HashMap<String, usize> = HashMap::new();
                for (k, v) in resolved.entries() {
                    let key = k.as_str().unwrap_or_default().to_string();
                    let value = self.convert(v, Some(k.span()), depth + 1)?;
                    // Later duplicates win, as in Skaffold's decoder.
                    match positions.get(&key) {
                        Some(&at) => entries[at].1 = value,
                        None => {
                            positions.insert(key.clone(), entries.len());
                            entries.push((key, value));
                        }
                    }
                }
                Kind::Map(entries)
            }
            NodeValue::Sequence(_) => Kind::Seq(
                resolved
                    .items()
                    .map(|item| self.convert(item, None, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            NodeValue::Alias(_) => unreachable!("aliases are resolved"),
        };
        Ok(Val { kind, origin })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn convert(text: &str, budget: usize) -> (Result<Val, ConversionError>, usize) {
        let docs = crate::yaml::parse(text).unwrap();
        let mut left = budget;
        let result = Val::from_yaml(docs[0].root_ref().unwrap(), FileId(0), &mut left);
        (result, left)
    }

    fn span_of(text: &str, needle: &str, nth: usize) -> Span {
        let start = text.match_indices(needle).nth(nth).unwrap().0;
        Span {
            start,
            end: start + needle.len(),
        }
    }

    #[test]
    fn only_values_copied_through_aliases_count_against_the_alias_budget() {
        // `*a` copies the sequence and its two items: three values, whatever the rest holds.
        let text = "a: &a [1, 2]\nb: *a\nc: [3, 4, 5, 6]\n";
        let (tree, left) = convert(text, 3);
        assert_eq!(left, 0);
        let tree = tree.unwrap();
        assert_eq!(tree.get("b").unwrap().to_json(), serde_json::json!([1, 2]));
        assert_eq!(
            convert(text, 2).0,
            Err(ConversionError::AliasExpansion {
                alias: span_of(text, "*a", 0)
            })
        );
        // Without aliases nothing is counted, however many values the document holds.
        let many: String = (0..210_000).map(|i| format!("- v{i}\n")).collect();
        let (tree, left) = convert(&many, 0);
        assert_eq!(left, 0);
        assert_eq!(tree.unwrap().items().len(), 210_000);
    }

    #[test]
    fn a_bomb_is_reported_at_the_outermost_alias_being_expanded() {
        let mut text = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..=9 {
            let aliases = vec![format!("*l{}", level - 1); 10].join(", ");
            text.push_str(&format!("l{level}: &l{level} [{aliases}]\n"));
        }
        let started = std::time::Instant::now();
        let (result, _) = convert(&text, ALIAS_EXPANSION_LIMIT);
        // l1..l4 copy 123,440 values; the first `*l4` in l5 would copy 111,111 more.
        assert_eq!(
            result,
            Err(ConversionError::AliasExpansion {
                alias: span_of(&text, "*l4", 0)
            })
        );
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn alias_chains_deeper_than_the_nesting_limit_are_refused_at_the_outer_alias() {
        let mut text = String::from("a0: &a0 [x]\n");
        for level in 1..=MAX_NESTING_DEPTH + 1 {
            text.push_str(&format!("a{level}: &a{level} [*a{}]\n", level - 1));
        }
        let (result, _) = convert(&text, ALIAS_EXPANSION_LIMIT);
        let Err(ConversionError::TooDeep { at }) = result else {
            panic!("converted: {result:?}");
        };
        // Root mapping, a255's sequence, then 255 aliased sequences and `x`: one level too many.
        assert_eq!(at, {
            let span = span_of(&text, "*a254]", 0);
            Span::new(span.start, span.end - 1)
        });
    }
}
