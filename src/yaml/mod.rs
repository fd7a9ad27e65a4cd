//! A YAML span tree built from saphyr-parser events. Every key and value keeps its exact byte
//! span in the original text, so rules can point at it and fixes can replace it without
//! re-serialising. Aliases stay references to their anchored node and are never expanded
//! eagerly, which makes alias bombs harmless; walks that follow aliases carry a budget.
//!
//! The public API in this file is the contract the rest of skafix codes against.

mod goyaml;
mod parse;
#[cfg(test)]
mod tests;

pub use parse::comment_spans;

use crate::source::Span;

/// Index of a node inside its document's arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// A scalar with its decoded text (a plain `null`, `~` or empty value is still a scalar
    /// here; see `Node::is_null`).
    Scalar {
        value: String,
        style: ScalarStyle,
    },
    Mapping(Vec<Entry>),
    Sequence(Vec<NodeId>),
    /// `*name`: the node the anchor was set on.
    Alias(NodeId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub key: NodeId,
    pub value: NodeId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: NodeValue,
    /// Bytes of the node itself: for a block scalar from the `|`/`>` indicator to the end of
    /// its content, for a collection from its first to its last byte (no trailing newline or
    /// comment), for a flow collection including the brackets.
    pub span: Span,
    pub tag: Option<String>,
    pub anchor: Option<String>,
}

/// A key that appears twice in one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    pub first: Span,
    pub second: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub nodes: Vec<Node>,
    /// None for an empty document (only comments or nothing between `---` markers).
    pub root: Option<NodeId>,
    /// The document's bytes including its `---` marker.
    pub span: Span,
    pub duplicate_keys: Vec<DuplicateKey>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    /// Where the parser stopped: a byte span (usually one character) in the text.
    pub span: Span,
}

/// Parse every document in `text`. A syntax error anywhere fails the whole file, as Skaffold does.
///
/// A text without documents (empty, or only comments) gives an empty list. A node with an
/// anchor or tag is spanned without them (`&a !t x` spans `x`). An empty value that is not
/// written at all (`key:`, `- `) is a plain empty scalar with a zero-length span right after its
/// `:`/`-`/`?` indicator. Nesting deeper than [`MAX_NESTING_DEPTH`] is an error, so recursive
/// walks over the tree cannot overflow the stack.
pub fn parse(text: &str) -> Result<Vec<Document>, YamlError> {
    // Skaffold reads the file with go-yaml v3, which is stricter than YAML 1.2 in places and
    // laxer in others (`goyaml`): what it rejects is rejected here, what it accepts is
    // accepted, with spans in the original text.
    if let Some(error) = goyaml::rejected(text) {
        return Err(error);
    }
    let error = match parse::parse_documents(text) {
        Ok(documents) => return Ok(documents),
        Err(error) => error,
    };
    let detabbed = goyaml::colon_tabs_to_spaces(text);
    let lax = detabbed.as_deref().unwrap_or(text);
    let (rewritten, insertions) = match (goyaml::flow_reindent(lax), detabbed.as_ref()) {
        (Some(reindented), _) => reindented,
        (None, Some(detabbed)) => (detabbed.clone(), Vec::new()),
        (None, None) => return Err(error),
    };
    let Ok(mut documents) = parse::parse_documents(&rewritten) else {
        return Err(error);
    };
    let map = |span: &mut Span| {
        span.start = goyaml::original_offset(&insertions, span.start);
        span.end = goyaml::original_offset(&insertions, span.end);
    };
    for document in &mut documents {
        map(&mut document.span);
        for node in &mut document.nodes {
            map(&mut node.span);
        }
        for duplicate in &mut document.duplicate_keys {
            map(&mut duplicate.first);
            map(&mut duplicate.second);
        }
    }
    Ok(documents)
}

/// How many nodes a walk that follows aliases may visit before it gives up (alias bombs).
pub const DEFAULT_WALK_BUDGET: usize = 1_000_000;

/// The deepest nesting of collections `parse` accepts. saphyr-parser already stops flow
/// collections at 255 levels; block collections need our own limit. Real configuration files
/// stay far below it.
pub const MAX_NESTING_DEPTH: usize = 256;

impl Document {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// Follows aliases (bounded: a chain of aliases cannot loop, anchors precede their use).
    pub fn resolve(&self, id: NodeId) -> NodeId {
        let mut id = id;
        while let NodeValue::Alias(target) = self.node(id).value {
            id = target;
        }
        id
    }

    pub fn root_ref(&self) -> Option<NodeRef<'_>> {
        self.root.map(|id| NodeRef { doc: self, id })
    }

    pub fn get(&self, id: NodeId) -> NodeRef<'_> {
        NodeRef { doc: self, id }
    }
}

/// A node together with its document, the handle rules work with.
#[derive(Debug, Clone, Copy)]
pub struct NodeRef<'a> {
    pub doc: &'a Document,
    pub id: NodeId,
}

impl<'a> NodeRef<'a> {
    /// The node with aliases followed.
    pub fn resolved(self) -> NodeRef<'a> {
        NodeRef {
            doc: self.doc,
            id: self.doc.resolve(self.id),
        }
    }
    pub fn node(self) -> &'a Node {
        self.doc.node(self.id)
    }
    /// Span of the node as written here (an alias's span is the `*name` text).
    pub fn span(self) -> Span {
        self.node().span
    }
    pub fn value(self) -> &'a NodeValue {
        &self.resolved().node().value
    }
    /// The scalar's text, if this is (an alias to) a scalar.
    pub fn as_str(self) -> Option<&'a str> {
        match self.value() {
            NodeValue::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }
    pub fn style(self) -> Option<ScalarStyle> {
        match self.value() {
            NodeValue::Scalar { style, .. } => Some(*style),
            _ => None,
        }
    }
    /// YAML 1.2 core-schema null: an untagged plain `null`, `Null`, `NULL`, `~` or empty scalar.
    pub fn is_null(self) -> bool {
        let resolved = self.resolved().node();
        match &resolved.value {
            NodeValue::Scalar {
                value,
                style: ScalarStyle::Plain,
            } => {
                resolved.tag.is_none()
                    && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }
    /// YAML 1.2 core-schema bool (`true`/`false` in their three casings).
    pub fn as_bool(self) -> Option<bool> {
        match self.value() {
            NodeValue::Scalar {
                value,
                style: ScalarStyle::Plain,
            } => match value.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
    pub fn is_mapping(self) -> bool {
        matches!(self.value(), NodeValue::Mapping(_))
    }
    pub fn is_sequence(self) -> bool {
        matches!(self.value(), NodeValue::Sequence(_))
    }
    /// Mapping entries as (key, value) handles; empty for anything else.
    pub fn entries(self) -> impl Iterator<Item = (NodeRef<'a>, NodeRef<'a>)> + 'a {
        let doc = self.doc;
        let entries: &'a [Entry] = match self.value() {
            NodeValue::Mapping(entries) => entries,
            _ => &[],
        };
        entries
            .iter()
            .map(move |e| (NodeRef { doc, id: e.key }, NodeRef { doc, id: e.value }))
    }
    /// Sequence items; empty for anything else.
    pub fn items(self) -> impl Iterator<Item = NodeRef<'a>> + 'a {
        let doc = self.doc;
        let items: &'a [NodeId] = match self.value() {
            NodeValue::Sequence(items) => items,
            _ => &[],
        };
        items.iter().map(move |&id| NodeRef { doc, id })
    }
    /// The value under a scalar key of a mapping (the last one if the key is duplicated).
    pub fn get(self, key: &str) -> Option<NodeRef<'a>> {
        self.entry(key).map(|(_, v)| v)
    }
    /// The (key, value) pair under a scalar key of a mapping.
    pub fn entry(self, key: &str) -> Option<(NodeRef<'a>, NodeRef<'a>)> {
        self.entries()
            .filter(|(k, _)| k.as_str() == Some(key))
            .last()
    }
    /// Walk a path of mapping keys.
    pub fn path(self, keys: &[&str]) -> Option<NodeRef<'a>> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }
    /// A short name for the node's kind, for messages ("a mapping", "a string", ...).
    pub fn kind_name(self) -> &'static str {
        match self.value() {
            NodeValue::Mapping(_) => "a mapping",
            NodeValue::Sequence(_) => "a list",
            NodeValue::Alias(_) => "an alias",
            NodeValue::Scalar { .. } if self.is_null() => "null",
            NodeValue::Scalar { .. } if self.as_bool().is_some() => "a boolean",
            NodeValue::Scalar {
                value,
                style: ScalarStyle::Plain,
            } if value.parse::<f64>().is_ok() => "a number",
            NodeValue::Scalar { .. } => "a string",
        }
    }
    /// Converts to JSON following aliases, visiting at most `budget` nodes (None past it, or
    /// when aliases nest the value deeper than [`MAX_NESTING_DEPTH`]).
    /// Plain scalars are typed by the YAML 1.2 core schema.
    pub fn to_json(self, budget: &mut usize) -> Option<serde_json::Value> {
        self.to_json_at_depth(budget, 0)
    }

    fn to_json_at_depth(self, budget: &mut usize, depth: usize) -> Option<serde_json::Value> {
        // Each alias level can add the depth of its target, so nesting is bounded here as well
        // as in the parser: the recursion must not overflow the stack.
        if *budget == 0 || depth > MAX_NESTING_DEPTH {
            return None;
        }
        *budget -= 1;
        let node = self.resolved();
        Some(match node.value() {
            NodeValue::Mapping(_) => {
                let mut map = serde_json::Map::new();
                for (k, v) in node.entries() {
                    let key = match k.as_str() {
                        Some(s) => s.to_string(),
                        None => k.to_json_at_depth(budget, depth + 1)?.to_string(),
                    };
                    map.insert(key, v.to_json_at_depth(budget, depth + 1)?);
                }
                serde_json::Value::Object(map)
            }
            NodeValue::Sequence(_) => serde_json::Value::Array(
                node.items()
                    .map(|i| i.to_json_at_depth(budget, depth + 1))
                    .collect::<Option<Vec<_>>>()?,
            ),
            NodeValue::Scalar { value, style } => {
                if node.is_null() {
                    serde_json::Value::Null
                } else if let Some(b) = node.as_bool() {
                    serde_json::Value::Bool(b)
                } else if *style == ScalarStyle::Plain && node.node().tag.is_none() {
                    plain_number(value).unwrap_or_else(|| serde_json::Value::String(value.clone()))
                } else {
                    serde_json::Value::String(value.clone())
                }
            }
            // `resolved()` never stops on an alias.
            NodeValue::Alias(_) => return None,
        })
    }
}

fn plain_number(text: &str) -> Option<serde_json::Value> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(serde_json::Value::from(i));
    }
    let looks_numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && text.chars().any(|c| c.is_ascii_digit());
    if looks_numeric {
        text.parse::<f64>().ok().map(serde_json::Value::from)
    } else {
        None
    }
}
