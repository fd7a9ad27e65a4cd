//! Builds `Document`s from saphyr-parser events, correcting the parser's measured quirks:
//! - markers count characters, not bytes;
//! - a block scalar's span starts at its content instead of its `|`/`>` indicator and runs on
//!   into the next token's indentation;
//! - a quoted scalar's span, and a flow collection's end, run on over trailing blanks and
//!   comments (`"x"  # c`);
//! - a block collection's end points at the next token, and an indentless sequence (`key:` then
//!   `- a`) starts at its first item's content instead of its `-`;
//! - an unwritten empty value is placed at the next token;
//! - the start of a node with an anchor or tag covers those properties, not the node itself;
//! - comments are not reported; `comment_spans` finds them in the gaps between scalars.

use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle as ParserStyle, ScanError};

use super::{
    Document, DuplicateKey, Entry, Node, NodeId, NodeValue, ScalarStyle, YamlError,
    MAX_NESTING_DEPTH,
};
use crate::source::Span;

pub(super) fn parse_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    // saphyr-parser is not known to panic (0 panics on the yaml-test-suite and our fuzzing), but
    // one bad file must never take the whole run down, so a panic becomes an ordinary error.
    std::panic::catch_unwind(|| Builder::new(text).run()).unwrap_or_else(|_| {
        Err(YamlError {
            message: "internal error in the YAML parser".into(),
            span: Span::empty(0),
        })
    })
}

/// Converts the parser's character indices to byte offsets. For ASCII text they are equal; for
/// anything else one byte offset is kept per `STRIDE` characters, so a lookup walks at most
/// `STRIDE - 1` characters and the table stays small even for a text without ASCII.
struct CharOffsets<'a> {
    text: &'a str,
    checkpoints: Option<Vec<usize>>,
}

const STRIDE: usize = 64;

/// The deepest flow nesting saphyr-parser scans (its flow level is a `u8`).
const MAX_FLOW_DEPTH: usize = u8::MAX as usize;

/// Up to this many entries, duplicate keys are found by comparing pairs.
const SMALL_MAPPING: usize = 16;

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str) -> Self {
        let checkpoints = (!text.is_ascii()).then(|| {
            text.char_indices()
                .step_by(STRIDE)
                .map(|(byte, _)| byte)
                .collect()
        });
        CharOffsets { text, checkpoints }
    }

    fn byte(&self, char_index: usize) -> usize {
        let Some(checkpoints) = &self.checkpoints else {
            return char_index.min(self.text.len());
        };
        let Some(&base) = checkpoints.get(char_index / STRIDE) else {
            return self.text.len();
        };
        self.text[base..]
            .char_indices()
            .nth(char_index % STRIDE)
            .map_or(self.text.len(), |(offset, _)| base + offset)
    }
}

/// An open mapping or sequence.
struct Frame {
    id: NodeId,
    is_mapping: bool,
    flow: bool,
    /// The key waiting for its value (mappings only).
    pending_key: Option<NodeId>,
    /// Where the collection's properties (anchor, tag) start, for the document span.
    outer_start: usize,
    /// The furthest end of any child so far: a block collection ends there.
    children_end: usize,
}

/// The document being built.
#[derive(Default)]
struct DocState {
    nodes: Vec<Node>,
    stack: Vec<Frame>,
    /// saphyr-parser's anchor ids (unique in the stream) to the anchored node.
    anchors: HashMap<usize, NodeId>,
    root: Option<NodeId>,
    root_outer_start: Option<usize>,
    /// The `---` marker, if the document has one.
    start_marker: Option<Span>,
    duplicate_keys: Vec<DuplicateKey>,
}

/// Anchor and tag written before a node, and where the node itself starts.
struct Props {
    anchor: Option<String>,
    tag: Option<String>,
    content: usize,
}

struct Builder<'a> {
    text: &'a str,
    bytes: &'a [u8],
    offsets: CharOffsets<'a>,
    docs: Vec<Document>,
    doc: DocState,
    /// The byte after the last token consumed; only whitespace, comments, indicators and node
    /// properties lie between it and the next node.
    cursor: usize,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str) -> Self {
        Builder {
            text,
            bytes: text.as_bytes(),
            offsets: CharOffsets::new(text),
            docs: Vec::new(),
            doc: DocState::default(),
            cursor: 0,
        }
    }

    fn run(mut self) -> Result<Vec<Document>, YamlError> {
        let mut parser = Parser::new_from_str(self.text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| self.scan_error(&e))?;
            let start = self.byte(span.start);
            let end = self.byte(span.end).max(start);
            match event {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => break,
                Event::DocumentStart(explicit) => self.start_document(explicit, start, end),
                Event::DocumentEnd => self.end_document(start, end),
                Event::Scalar(value, style, anchor_id, tag) => self.scalar(
                    value.into_owned(),
                    style,
                    anchor_id,
                    tag.is_some(),
                    start,
                    end,
                )?,
                Event::Alias(anchor_id) => self.alias(anchor_id, start, end)?,
                Event::SequenceStart(anchor_id, tag) => {
                    self.open_collection(false, anchor_id, tag.is_some(), start, end)?
                }
                Event::MappingStart(anchor_id, tag) => {
                    self.open_collection(true, anchor_id, tag.is_some(), start, end)?
                }
                Event::SequenceEnd | Event::MappingEnd => self.close_collection(start),
            }
        }
        Ok(self.docs)
    }

    fn byte(&self, marker: Marker) -> usize {
        self.offsets.byte(marker.index())
    }

    fn scan_error(&self, error: &ScanError) -> YamlError {
        let at = self.byte(*error.marker());
        let span = if self.bytes.get(at) == Some(&b'*') {
            // An unknown anchor: point at the whole `*name`.
            Span::new(at, self.property_end(at, self.bytes.len()).max(at + 1))
        } else {
            self.char_span_at(at)
        };
        let message = match error.info() {
            // saphyr-parser counts flow levels in a u8; say which limit was hit.
            "recursion limit exceeded" => {
                format!("flow collections nested deeper than {MAX_FLOW_DEPTH} levels (the nesting limit)")
            }
            info => info.to_string(),
        };
        YamlError { message, span }
    }

    fn error_at(&self, at: usize, message: String) -> YamlError {
        YamlError {
            message,
            span: self.char_span_at(at),
        }
    }

    /// The one character at `at` (empty at the end of the text).
    fn char_span_at(&self, at: usize) -> Span {
        let at = at.min(self.text.len());
        let len = self.text[at..].chars().next().map_or(0, char::len_utf8);
        Span::new(at, at + len)
    }

    fn start_document(&mut self, explicit: bool, start: usize, end: usize) {
        self.doc = DocState::default();
        if explicit {
            self.doc.start_marker = Some(Span::new(start, end));
            self.cursor = end;
        }
    }

    fn end_document(&mut self, start: usize, end: usize) {
        let doc = std::mem::take(&mut self.doc);
        let root_span = doc.root.map(|id| doc.nodes[id.0 as usize].span);
        let doc_start = doc
            .start_marker
            .map(|marker| marker.start)
            .or(doc.root_outer_start)
            .unwrap_or(self.cursor);
        // The parser reports the next document's `---` as this one's end when there is no `...`.
        let explicit_end = self.text.get(start..end) == Some("...");
        let doc_end = if explicit_end {
            end
        } else {
            root_span
                .map(|span| span.end)
                .or(doc.start_marker.map(|marker| marker.end))
                .unwrap_or(doc_start)
        };
        let span = Span::new(doc_start, doc_end.max(doc_start));
        self.cursor = self.cursor.max(span.end);
        self.docs.push(Document {
            nodes: doc.nodes,
            root: doc.root,
            span,
            duplicate_keys: doc.duplicate_keys,
        });
    }

    fn scalar(
        &mut self,
        value: String,
        style: ParserStyle,
        anchor_id: usize,
        has_tag: bool,
        start: usize,
        end: usize,
    ) -> Result<(), YamlError> {
        let has_anchor = anchor_id != 0;
        let props = self.read_props(start, end, has_anchor, has_tag);
        let implicit_empty =
            style == ParserStyle::Plain && value.is_empty() && !has_anchor && !has_tag;
        if implicit_empty && self.doc.stack.is_empty() {
            // A document with no content: its root stays None.
            return Ok(());
        }
        let span = match style {
            ParserStyle::Literal | ParserStyle::Folded => {
                let search_from = if has_anchor || has_tag {
                    start
                } else {
                    self.after_role_indicator()
                        .unwrap_or(self.cursor)
                        .min(start)
                };
                self.block_scalar_span(search_from, start, end)
            }
            ParserStyle::Plain if value.is_empty() => {
                if implicit_empty {
                    Span::empty(self.implicit_empty_position())
                } else {
                    // Only properties were written (`key: !!str`): the empty node follows them.
                    Span::empty(end)
                }
            }
            ParserStyle::SingleQuoted | ParserStyle::DoubleQuoted => {
                let content = props.content.min(end);
                Span::new(content, self.quoted_end(content, end).unwrap_or(end))
            }
            ParserStyle::Plain => Span::new(props.content.min(end), end),
        };
        let style = match style {
            ParserStyle::Plain => ScalarStyle::Plain,
            ParserStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            ParserStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            ParserStyle::Literal => ScalarStyle::Literal,
            ParserStyle::Folded => ScalarStyle::Folded,
        };
        let id = self.push_node(
            Node {
                value: NodeValue::Scalar { value, style },
                span,
                tag: props.tag,
                anchor: props.anchor,
            },
            span.start,
        )?;
        if anchor_id != 0 {
            self.doc.anchors.insert(anchor_id, id);
        }
        self.cursor = span.end;
        self.attach(id, span.end, start);
        Ok(())
    }

    fn alias(&mut self, anchor_id: usize, start: usize, end: usize) -> Result<(), YamlError> {
        let name = self.text.get(start..end).unwrap_or("*");
        let Some(&target) = self.doc.anchors.get(&anchor_id) else {
            return Err(YamlError {
                message: format!("unknown anchor in alias {name}"),
                span: Span::new(start, end),
            });
        };
        // `&a [*a]` would make the tree a cycle; Go's yaml.v3 rejects it too ("anchor 'a' value
        // contains itself").
        if self.doc.stack.iter().any(|frame| frame.id == target) {
            return Err(YamlError {
                message: format!("alias {name} refers to a node that contains it"),
                span: Span::new(start, end),
            });
        }
        let span = Span::new(start, end);
        let id = self.push_node(
            Node {
                value: NodeValue::Alias(target),
                span,
                tag: None,
                anchor: None,
            },
            start,
        )?;
        self.cursor = end;
        self.attach(id, end, start);
        Ok(())
    }

    fn open_collection(
        &mut self,
        is_mapping: bool,
        anchor_id: usize,
        has_tag: bool,
        start: usize,
        end: usize,
    ) -> Result<(), YamlError> {
        let props = self.read_props(start, end, anchor_id != 0, has_tag);
        let mut content = props.content.min(end);
        if !is_mapping && self.bytes.get(content) != Some(&b'[') {
            // An indentless sequence (`key:` then `- a` at the key's column) is reported from
            // its first item's content, or from the next item when the first is empty.
            if let Some(dash) = self.find_block_sequence_start(start, anchor_id != 0 || has_tag) {
                content = dash;
            }
        }
        if self.doc.stack.len() >= MAX_NESTING_DEPTH {
            return Err(self.error_at(
                content,
                format!("nesting deeper than {MAX_NESTING_DEPTH} levels"),
            ));
        }
        let open_bracket = if is_mapping { b'{' } else { b'[' };
        // A block collection's start event is empty at its first entry, even when that entry is
        // itself a flow collection (`{a: b}: c`); a flow one's covers its bracket.
        let flow = end > content && self.bytes.get(content) == Some(&open_bracket);
        let value = if is_mapping {
            NodeValue::Mapping(Vec::new())
        } else {
            NodeValue::Sequence(Vec::new())
        };
        let id = self.push_node(
            Node {
                value,
                span: Span::empty(content),
                tag: props.tag,
                anchor: props.anchor,
            },
            content,
        )?;
        if anchor_id != 0 {
            self.doc.anchors.insert(anchor_id, id);
        }
        self.doc.stack.push(Frame {
            id,
            is_mapping,
            flow,
            pending_key: None,
            outer_start: start,
            children_end: content,
        });
        self.cursor = if flow { content + 1 } else { content };
        Ok(())
    }

    /// `start` is where the parser's end event starts: a flow collection's closing bracket or
    /// its trailing `,` (the event then runs on over blanks and comments), or the next token
    /// after a block collection.
    fn close_collection(&mut self, start: usize) {
        let Some(frame) = self.doc.stack.pop() else {
            return;
        };
        let close_bracket = if frame.is_mapping { b'}' } else { b']' };
        let bracket = self.skip_gap_and_commas(start);
        let node_end = if frame.flow && self.bytes.get(bracket) == Some(&close_bracket) {
            (bracket + 1).max(frame.children_end)
        } else {
            frame.children_end
        };
        self.doc.nodes[frame.id.0 as usize].span.end = node_end;
        if frame.is_mapping {
            self.record_duplicate_keys(frame.id);
        }
        self.cursor = node_end;
        self.attach(frame.id, node_end, frame.outer_start);
    }

    fn push_node(&mut self, node: Node, at: usize) -> Result<NodeId, YamlError> {
        let index = u32::try_from(self.doc.nodes.len())
            .map_err(|_| self.error_at(at, "too many YAML nodes in one document".into()))?;
        self.doc.nodes.push(node);
        Ok(NodeId(index))
    }

    /// Hangs a finished node under the open collection (or makes it the root).
    fn attach(&mut self, id: NodeId, end: usize, outer_start: usize) {
        let Some(frame) = self.doc.stack.last_mut() else {
            self.doc.root = Some(id);
            let node_start = self.doc.nodes[id.0 as usize].span.start;
            self.doc.root_outer_start = Some(outer_start.min(node_start));
            return;
        };
        frame.children_end = frame.children_end.max(end);
        let parent = frame.id.0 as usize;
        if frame.is_mapping {
            match frame.pending_key.take() {
                None => frame.pending_key = Some(id),
                Some(key) => {
                    if let NodeValue::Mapping(entries) = &mut self.doc.nodes[parent].value {
                        entries.push(Entry { key, value: id });
                    }
                }
            }
        } else if let NodeValue::Sequence(items) = &mut self.doc.nodes[parent].value {
            items.push(id);
        }
    }

    fn record_duplicate_keys(&mut self, mapping: NodeId) {
        let nodes = &self.doc.nodes;
        let NodeValue::Mapping(entries) = &nodes[mapping.0 as usize].value else {
            return;
        };
        let scalar_key = |key: NodeId| -> Option<&str> {
            let mut id = key;
            while let NodeValue::Alias(target) = nodes[id.0 as usize].value {
                id = target;
            }
            match &nodes[id.0 as usize].value {
                NodeValue::Scalar { value, .. } => Some(value.as_str()),
                _ => None,
            }
        };
        let mut found = Vec::new();
        if entries.len() <= SMALL_MAPPING {
            // Most mappings are small: comparing pairs is cheaper than hashing.
            for (index, entry) in entries.iter().enumerate() {
                let Some(key) = scalar_key(entry.key) else {
                    continue;
                };
                let first = entries[..index]
                    .iter()
                    .find(|earlier| scalar_key(earlier.key) == Some(key));
                if let Some(first) = first {
                    found.push(DuplicateKey {
                        key: key.to_string(),
                        first: nodes[first.key.0 as usize].span,
                        second: nodes[entry.key.0 as usize].span,
                    });
                }
            }
            self.doc.duplicate_keys.extend(found);
            return;
        }
        let mut first_seen: HashMap<&str, Span> = HashMap::new();
        for entry in entries {
            let Some(key) = scalar_key(entry.key) else {
                continue;
            };
            let span = nodes[entry.key.0 as usize].span;
            match first_seen.get(key) {
                Some(&first) => found.push(DuplicateKey {
                    key: key.to_string(),
                    first,
                    second: span,
                }),
                None => {
                    first_seen.insert(key, span);
                }
            }
        }
        self.doc.duplicate_keys.extend(found);
    }

    /// Reads the anchor and tag written from `start` on, and finds where the node begins.
    fn read_props(&self, start: usize, limit: usize, has_anchor: bool, has_tag: bool) -> Props {
        let mut props = Props {
            anchor: None,
            tag: None,
            content: start,
        };
        let mut wanted = usize::from(has_anchor) + usize::from(has_tag);
        let mut pos = start;
        while wanted > 0 {
            pos = self.skip_gap(pos, limit);
            let token_end = self.property_end(pos, limit);
            let Some(token) = self.text.get(pos..token_end).filter(|t| !t.is_empty()) else {
                break;
            };
            match token.as_bytes()[0] {
                b'&' => props.anchor = Some(token[1..].to_string()),
                b'!' => props.tag = Some(token.to_string()),
                _ => break,
            }
            pos = token_end;
            wanted -= 1;
        }
        if has_anchor || has_tag {
            props.content = self.skip_gap(pos, limit);
        }
        props
    }

    /// The end of an `&anchor` or `!tag` token starting at `pos`.
    fn property_end(&self, pos: usize, limit: usize) -> usize {
        let limit = limit.min(self.bytes.len());
        if pos >= limit {
            return pos;
        }
        if self.bytes[pos] == b'!' && self.bytes.get(pos + 1) == Some(&b'<') {
            // A verbatim tag `!<...>` runs to its closing `>`.
            return self.bytes[pos..limit]
                .iter()
                .position(|&b| b == b'>')
                .map_or(limit, |i| pos + i + 1);
        }
        self.bytes[pos..limit]
            .iter()
            .position(|&b| {
                matches!(
                    b,
                    b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'
                )
            })
            .map_or(limit, |i| pos + i)
    }

    /// Skips whitespace, line breaks, comments and a byte order mark.
    fn skip_gap(&self, mut pos: usize, limit: usize) -> usize {
        let limit = limit.min(self.bytes.len());
        while pos < limit {
            match self.bytes[pos] {
                b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
                b'#' => {
                    pos = self.bytes[pos..limit]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(limit, |i| pos + i)
                }
                0xEF if self.text[pos..].starts_with('\u{feff}') => pos += 3,
                _ => break,
            }
        }
        pos
    }

    /// Like `skip_gap`, also stepping over flow separators (`,`).
    fn skip_gap_and_commas(&self, mut pos: usize) -> usize {
        loop {
            pos = self.skip_gap(pos, self.bytes.len());
            if self.bytes.get(pos) == Some(&b',') {
                pos += 1;
            } else {
                return pos;
            }
        }
    }

    /// Where an empty scalar that was not written at all goes: right after its `:`, `-` or `?`
    /// indicator, so a fix can insert ` value` there and a diagnostic points at the entry.
    fn implicit_empty_position(&self) -> usize {
        match self.after_role_indicator() {
            Some(pos) => pos,
            // An empty key without `?` sits where its `:` is.
            None if self.in_key_role() => self.skip_gap_and_commas(self.cursor),
            None => self.cursor,
        }
    }

    fn in_key_role(&self) -> bool {
        self.doc
            .stack
            .last()
            .is_some_and(|frame| frame.is_mapping && frame.pending_key.is_none())
    }

    /// The byte after the indicator that introduces the next node in the open collection: `:`
    /// before a value, `?` before an explicit key, `-` before a block sequence item. None when
    /// that indicator is not written (implicit keys, flow items, the document root).
    fn after_role_indicator(&self) -> Option<usize> {
        let frame = self.doc.stack.last()?;
        let (pos, indicator) = if frame.is_mapping && frame.pending_key.is_some() {
            (self.skip_gap(self.cursor, self.bytes.len()), b':')
        } else if frame.is_mapping {
            (self.skip_gap_and_commas(self.cursor), b'?')
        } else if frame.flow {
            return None;
        } else {
            (self.skip_gap(self.cursor, self.bytes.len()), b'-')
        };
        if self.bytes.get(pos) != Some(&indicator) {
            return None;
        }
        // `-1` and `?x` are plain scalars; the indicators need a blank after them.
        let blank_after = matches!(
            self.bytes.get(pos + 1),
            None | Some(b' ' | b'\t' | b'\r' | b'\n')
        );
        (indicator == b':' || blank_after).then_some(pos + 1)
    }

    /// The end of a quoted scalar that starts at `start`: the parser's end runs on over trailing
    /// blanks and comments, so the closing quote is looked up in the text.
    fn quoted_end(&self, start: usize, limit: usize) -> Option<usize> {
        let quote = *self.bytes.get(start)?;
        let limit = limit.min(self.bytes.len());
        let mut pos = start + 1;
        while pos < limit {
            match self.bytes[pos] {
                b'\\' if quote == b'"' => pos += 2,
                b'\'' if quote == b'\'' && self.bytes.get(pos + 1) == Some(&b'\'') => pos += 2,
                b if b == quote => return Some(pos + 1),
                _ => pos += 1,
            }
        }
        None
    }

    /// From the `|`/`>` indicator to the end of the last content line. The parser's own span
    /// starts at the content and ends at the next token's indentation; it already stops before
    /// trailing comment lines, so only trailing whitespace and line breaks are dropped here.
    fn block_scalar_span(
        &self,
        search_from: usize,
        parser_start: usize,
        parser_end: usize,
    ) -> Span {
        let trimmed_end = |from: usize| {
            let mut end = parser_end.max(from);
            while end > from && matches!(self.bytes[end - 1], b' ' | b'\t' | b'\r' | b'\n') {
                end -= 1;
            }
            end
        };
        let Some(indicator) = self.find_block_indicator(search_from, parser_end) else {
            return Span::new(parser_start, trimmed_end(parser_start));
        };
        let mut header_end = indicator + 1;
        while header_end < self.bytes.len()
            && matches!(self.bytes[header_end], b'0'..=b'9' | b'+' | b'-')
        {
            header_end += 1;
        }
        let header_line_end = self.bytes[header_end..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.bytes.len(), |i| header_end + i);
        let end = trimmed_end(header_line_end);
        let end = if end <= header_line_end {
            header_end
        } else {
            end
        };
        Span::new(indicator, end)
    }

    /// The first `-` of a block sequence: after the indicator that introduces the sequence and
    /// after its properties.
    fn find_block_sequence_start(&self, props_start: usize, has_props: bool) -> Option<usize> {
        let from = if has_props {
            props_start
        } else {
            self.after_role_indicator().unwrap_or(self.cursor)
        };
        let mut pos = from;
        loop {
            pos = self.skip_gap(pos, self.bytes.len());
            match self.bytes.get(pos)? {
                b'-' => return Some(pos),
                b'&' | b'!' => pos = self.property_end(pos, self.bytes.len()).max(pos + 1),
                _ => return None,
            }
        }
    }

    fn find_block_indicator(&self, from: usize, limit: usize) -> Option<usize> {
        let mut pos = from;
        loop {
            pos = self.skip_gap(pos, limit);
            if pos >= limit {
                return None;
            }
            match self.bytes[pos] {
                b'|' | b'>' => return Some(pos),
                b':' | b'-' | b'?' => pos += 1,
                // A root block scalar can follow the previous document's end marker.
                b'.' if self.text[pos..].starts_with("...") => pos += 3,
                b'&' | b'!' => pos = self.property_end(pos, limit).max(pos + 1),
                _ => return None,
            }
        }
    }
}

/// Spans of the real `#` comments in `text` (from `#` to the end of its line, without the line
/// break). A `#` starts a comment only outside scalars and after whitespace or at a line start,
/// so the scan skips every scalar's span and checks the character before each `#`. For a block
/// scalar only the header line is scanned (`key: | # comment`), its content is skipped.
pub fn comment_spans(text: &str, docs: &[Document]) -> Vec<Span> {
    let bytes = text.as_bytes();
    // Spans from another text must not make the scan slice out of bounds.
    let clamp = |span: Span| {
        let end = span.end.min(bytes.len());
        Span::new(span.start.min(end), end)
    };
    let mut opaque: Vec<Span> = docs
        .iter()
        .flat_map(|doc| doc.nodes.iter())
        .filter_map(|node| match &node.value {
            NodeValue::Scalar {
                style: ScalarStyle::Literal | ScalarStyle::Folded,
                ..
            } => {
                let span = clamp(node.span);
                let header_end = bytes[span.start..span.end]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(span.end, |i| span.start + i);
                Some(Span::new(header_end, span.end))
            }
            NodeValue::Scalar { .. } | NodeValue::Alias(_) => Some(clamp(node.span)),
            _ => None,
        })
        .filter(|span| !span.is_empty())
        .collect();
    if !opaque.windows(2).all(|pair| pair[0].start <= pair[1].start) {
        opaque.sort_unstable();
    }

    let mut comments = Vec::new();
    let mut pos = 0;
    let mut next_opaque = opaque.iter().peekable();
    while pos < bytes.len() {
        while next_opaque.peek().is_some_and(|span| span.end <= pos) {
            next_opaque.next();
        }
        let gap_end = match next_opaque.peek() {
            Some(span) if span.start <= pos => {
                pos = span.end;
                continue;
            }
            Some(span) => span.start,
            None => bytes.len(),
        };
        match bytes[pos..gap_end].iter().position(|&b| b == b'#') {
            None => pos = gap_end,
            Some(i) => {
                let hash = pos + i;
                let starts_comment = hash == 0
                    || matches!(bytes[hash - 1], b' ' | b'\t' | b'\n' | b'\r')
                    || (hash == 3 && text.starts_with('\u{feff}'));
                if starts_comment {
                    let line_end = bytes[hash..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(bytes.len(), |j| hash + j);
                    let end = if line_end > hash && bytes[line_end - 1] == b'\r' {
                        line_end - 1
                    } else {
                        line_end
                    };
                    comments.push(Span::new(hash, end));
                    pos = line_end;
                } else {
                    pos = hash + 1;
                }
            }
        }
    }
    comments
}
