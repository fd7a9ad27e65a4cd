//! Tests of the YAML span tree: exact spans for every scalar style and collection kind, the
//! parser quirks the adapter corrects, documents, duplicates, aliases, errors, comments, and
//! the real Skaffold corpus.

use super::*;
use crate::source::SourceFile;
use proptest::prelude::*;

fn slice(text: &str, span: Span) -> &str {
    &text[span.start..span.end]
}

fn only_doc(text: &str) -> Document {
    let mut docs = parse(text).expect("valid YAML");
    assert_eq!(docs.len(), 1, "one document expected");
    docs.remove(0)
}

/// The root mapping's entries as (key as written, value as written).
fn root_entries<'t>(text: &'t str, doc: &Document) -> Vec<(&'t str, &'t str)> {
    doc.root_ref()
        .expect("a root")
        .entries()
        .map(|(k, v)| (slice(text, k.span()), slice(text, v.span())))
        .collect()
}

/// The span of the `n`th occurrence of `needle` in `text`.
fn nth_span(text: &str, needle: &str, n: usize) -> Span {
    let start = text
        .match_indices(needle)
        .nth(n)
        .map(|(i, _)| i)
        .expect("needle present");
    Span::new(start, start + needle.len())
}

#[test]
fn scalar_and_collection_spans_with_non_ascii_text() {
    let text = "名前: café au lait\n\
                quoted: \"héllo\\twörld 👋\"\n\
                single: 'it''s ü'\n\
                literal: |\n  línea 1 🚀\n  línea 2\n\n\
                folded: >-\n  plié\n  pas\n\
                flow: {ä: [x, \"ÿ\", 'z'], b: ö}\n\
                two: first line\n  ñ second\n\
                last: ñ\n";
    let doc = only_doc(text);
    assert_eq!(
        root_entries(text, &doc),
        vec![
            ("名前", "café au lait"),
            ("quoted", "\"héllo\\twörld 👋\""),
            ("single", "'it''s ü'"),
            ("literal", "|\n  línea 1 🚀\n  línea 2"),
            ("folded", ">-\n  plié\n  pas"),
            ("flow", "{ä: [x, \"ÿ\", 'z'], b: ö}"),
            ("two", "first line\n  ñ second"),
            ("last", "ñ"),
        ]
    );
    let root = doc.root_ref().unwrap();
    assert_eq!(slice(text, root.span()), text.trim_end());
    let values: Vec<(&str, Option<ScalarStyle>)> =
        ["名前", "quoted", "single", "literal", "folded", "two"]
            .iter()
            .map(|key| {
                let value = root.get(key).unwrap();
                (value.as_str().unwrap(), value.style())
            })
            .collect();
    assert_eq!(
        values,
        vec![
            ("café au lait", Some(ScalarStyle::Plain)),
            ("héllo\twörld 👋", Some(ScalarStyle::DoubleQuoted)),
            ("it's ü", Some(ScalarStyle::SingleQuoted)),
            ("línea 1 🚀\nlínea 2\n", Some(ScalarStyle::Literal)),
            ("plié pas", Some(ScalarStyle::Folded)),
            ("first line ñ second", Some(ScalarStyle::Plain)),
        ]
    );
    let flow = root.get("flow").unwrap();
    let inner = flow.get("ä").unwrap();
    assert_eq!(slice(text, inner.span()), "[x, \"ÿ\", 'z']");
    let items: Vec<&str> = inner.items().map(|i| slice(text, i.span())).collect();
    assert_eq!(items, vec!["x", "\"ÿ\"", "'z'"]);
    // Line and column of a node after many multi-byte characters.
    let file = SourceFile::new("s.yaml", text);
    let last = root.get("last").unwrap().span();
    assert_eq!(
        file.line_col(last.start),
        crate::source::LineCol {
            line: 14,
            column: 7
        }
    );
}

#[test]
fn block_scalar_spans_stop_before_trailing_comments_and_blank_lines() {
    let text = "a: |-\n  x\n  # content, not a comment\n # a comment\nb: >+\n  keep\n\n\n\
                c: | # header comment\n  y\nd: |\ne: |2\n    indented\n # less indented comment\n\
                f:\n  |\n  on the next line\n";
    let doc = only_doc(text);
    assert_eq!(
        root_entries(text, &doc),
        vec![
            ("a", "|-\n  x\n  # content, not a comment"),
            ("b", ">+\n  keep"),
            ("c", "| # header comment\n  y"),
            ("d", "|"),
            ("e", "|2\n    indented"),
            ("f", "|\n  on the next line"),
        ]
    );
    let root = doc.root_ref().unwrap();
    let values: Vec<&str> = ["a", "b", "c", "d", "e", "f"]
        .iter()
        .map(|key| root.get(key).unwrap().as_str().unwrap())
        .collect();
    assert_eq!(
        values,
        vec![
            "x\n# content, not a comment",
            "keep\n\n\n",
            "y\n",
            "",
            "  indented\n",
            "on the next line\n"
        ]
    );
}

#[test]
fn anchors_and_tags_are_kept_as_written_and_excluded_from_spans() {
    let text = "a: &an !!str 1\nb: !custom &m\n  k: v\nc: *an\nd: !<tag:x,2000:t> [x]\ne: !!null\nf: &only\n";
    let doc = only_doc(text);
    let root = doc.root_ref().unwrap();
    let described: Vec<(&str, Option<&str>, Option<&str>)> = root
        .entries()
        .map(|(_, v)| {
            let node = v.node();
            (
                slice(text, node.span),
                node.tag.as_deref(),
                node.anchor.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        described,
        vec![
            ("1", Some("!!str"), Some("an")),
            ("k: v", Some("!custom"), Some("m")),
            ("*an", None, None),
            ("[x]", Some("!<tag:x,2000:t>"), None),
            ("", Some("!!null"), None),
            ("", None, Some("only")),
        ]
    );
    // Empty nodes with properties sit right after those properties.
    assert_eq!(
        root.get("e").unwrap().span(),
        Span::empty(nth_span(text, "!!null", 0).end)
    );
    assert_eq!(
        root.get("f").unwrap().span(),
        Span::empty(nth_span(text, "&only", 0).end)
    );
    let alias = root.get("c").unwrap();
    assert_eq!(
        doc.node(alias.id).value,
        NodeValue::Alias(root.get("a").unwrap().id)
    );
    assert_eq!(alias.as_str(), Some("1"));
    assert_eq!(alias.resolved().id, root.get("a").unwrap().id);
}

#[test]
fn unwritten_empty_values_sit_right_after_their_indicator() {
    let text = "a:\nb: # comment\nseq:\n- \n-\n- x\nflow: {k, j: , : v}\n? q\n";
    let doc = only_doc(text);
    let root = doc.root_ref().unwrap();
    let after = |needle: &str, n: usize| Span::empty(nth_span(text, needle, n).end);
    assert_eq!(root.get("a").unwrap().span(), after("a:", 0));
    assert_eq!(root.get("b").unwrap().span(), after("b:", 0));
    let items: Vec<Span> = root.get("seq").unwrap().items().map(|i| i.span()).collect();
    assert_eq!(
        items,
        vec![after("\n-", 0), after("\n-", 1), nth_span(text, "x", 0)]
    );
    assert!(root.get("a").unwrap().is_null());
    let flow: Vec<(Span, Span)> = root
        .get("flow")
        .unwrap()
        .entries()
        .map(|(k, v)| (k.span(), v.span()))
        .collect();
    let k = nth_span(text, "k,", 0);
    let empty_key_at = nth_span(text, ": v", 0).start;
    assert_eq!(
        flow,
        vec![
            (Span::new(k.start, k.start + 1), Span::empty(k.start + 1)),
            (nth_span(text, "j", 0), after("j:", 0)),
            (
                Span::empty(empty_key_at),
                Span::new(empty_key_at + 2, empty_key_at + 3)
            ),
        ]
    );
    let (q_key, q_value) = root.entries().last().unwrap();
    assert_eq!(slice(text, q_key.span()), "q");
    assert_eq!(q_value.span(), Span::empty(q_key.span().end));
    // The mapping ends where its last child ends, not at the next token.
    assert_eq!(root.span(), Span::new(0, text.len() - 1));
}

#[test]
fn block_collections_end_at_their_last_child() {
    let text = "outer:\n  inner:\n    - a\n    - b\n\n  # trailing comment\nnext: 1\n";
    let doc = only_doc(text);
    let root = doc.root_ref().unwrap();
    let outer = root.get("outer").unwrap();
    assert_eq!(slice(text, outer.span()), "inner:\n    - a\n    - b");
    assert_eq!(
        slice(text, outer.get("inner").unwrap().span()),
        "- a\n    - b"
    );
    let indentless = only_doc("k:\n- a\n- b\nz: 1\n");
    let seq = indentless.root_ref().unwrap().get("k").unwrap();
    assert_eq!(seq.span(), Span::new(3, 10));
}

#[test]
fn multiple_documents_and_empty_ones() {
    let text = "# leading comment\na: 1\n---\n---\n# only a comment\n--- |\n  text\n...\n--- [b]\n";
    let docs = parse(text).unwrap();
    let described: Vec<(&str, Option<&str>)> = docs
        .iter()
        .map(|doc| {
            (
                slice(text, doc.span),
                doc.root_ref().map(|root| slice(text, root.span())),
            )
        })
        .collect();
    assert_eq!(
        described,
        vec![
            ("a: 1", Some("a: 1")),
            ("---", None),
            ("---", None),
            ("--- |\n  text\n...", Some("|\n  text")),
            ("--- [b]", Some("[b]")),
        ]
    );
    assert!(docs[1].nodes.is_empty());
    assert_eq!(parse("").unwrap(), Vec::<Document>::new());
    assert_eq!(
        parse("# nothing but a comment\n").unwrap(),
        Vec::<Document>::new()
    );
    // A quoted empty string is content, not an empty document.
    let quoted = parse("--- ''\n").unwrap();
    assert_eq!(quoted[0].root_ref().map(|r| r.as_str()), Some(Some("")));
}

#[test]
fn crlf_line_endings_and_byte_order_mark() {
    let text = "a: b\r\nc: |\r\n  x\r\n  y\r\nd: e # c\r\n";
    let doc = only_doc(text);
    assert_eq!(
        root_entries(text, &doc),
        vec![("a", "b"), ("c", "|\r\n  x\r\n  y"), ("d", "e")]
    );
    assert_eq!(comment_spans(text, &[doc]), vec![nth_span(text, "# c", 0)]);
    let bom = "\u{feff}é: ü\n";
    let doc = only_doc(bom);
    assert_eq!(root_entries(bom, &doc), vec![("é", "ü")]);
    assert_eq!(doc.span, Span::new(3, bom.len() - 1));
}

#[test]
fn duplicate_keys_are_reported_with_both_spans() {
    let text = "build:\n  artifacts:\n    - image: app\n      docker:\n        dockerfile: A\n        dockerfile: B\n\
                build: {}\nflow: {kubectl: {}, kubectl: {flags: {}}, \"kubectl\": 1}\n";
    let doc = only_doc(text);
    let dup = |key: &str, first: Span, second: Span| DuplicateKey {
        key: key.to_string(),
        first,
        second,
    };
    let kubectl = |n| nth_span(text, "kubectl", n);
    assert_eq!(
        doc.duplicate_keys,
        vec![
            dup(
                "dockerfile",
                nth_span(text, "dockerfile", 0),
                nth_span(text, "dockerfile", 1)
            ),
            dup("kubectl", kubectl(0), kubectl(1)),
            dup(
                "kubectl",
                kubectl(0),
                Span::new(kubectl(2).start - 1, kubectl(2).end + 1)
            ),
            dup(
                "build",
                nth_span(text, "build", 0),
                nth_span(text, "build", 1)
            ),
        ]
    );
    // `get` returns the last one, as Skaffold's loader would keep it.
    assert_eq!(
        doc.root_ref().unwrap().get("build").unwrap().span(),
        nth_span(text, "{}", 0)
    );
    assert!(only_doc("a: 1\nb: {a: 1}\n").duplicate_keys.is_empty());
}

/// `levels` anchors, each a sequence of `fan_out` aliases to the previous one.
fn alias_bomb(levels: usize, fan_out: usize) -> String {
    let mut text = String::from("a0: &a0 [\"lol\"]\n");
    for level in 1..levels {
        let aliases = vec![format!("*a{}", level - 1); fan_out].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{aliases}]\n"));
    }
    text
}

#[test]
fn alias_bombs_are_not_expanded_and_budgeted_walks_give_up() {
    let text = alias_bomb(10, 9);
    let doc = only_doc(&text);
    // root + 10 keys + 10 sequences + "lol" + 9 levels of 9 aliases.
    assert_eq!(doc.nodes.len(), 1 + 10 + 10 + 1 + 9 * 9);
    let root = doc.root_ref().unwrap();
    let mut budget = DEFAULT_WALK_BUDGET;
    assert_eq!(root.to_json(&mut budget), None);
    assert_eq!(budget, 0);
    // a2 expands to itself, 9 copies of a1, 81 copies of a0 and 81 of "lol": exactly that
    // budget suffices, one less does not.
    let a2 = root.get("a2").unwrap();
    assert_eq!(a2.to_json(&mut 171), None);
    let mut exact = 172;
    let json = a2.to_json(&mut exact).unwrap();
    assert_eq!(exact, 0);
    assert_eq!(json.as_array().unwrap().len(), 9);
    assert_eq!(json[8][8], serde_json::json!(["lol"]));

    // The same through mapping values and complex keys.
    let mut keyed = String::from("k0: &k0 {x: lol}\n");
    for level in 1..10 {
        let entries: Vec<String> = (0..9)
            .map(|i| format!("? [*k{}, {i}] : {i}", level - 1))
            .collect();
        keyed.push_str(&format!(
            "k{level}: &k{level}\n  {}\n",
            entries.join("\n  ")
        ));
    }
    let doc = only_doc(&keyed);
    assert_eq!(doc.root_ref().unwrap().to_json(&mut 100_000), None);
}

#[test]
fn alias_chains_deeper_than_the_nesting_limit_stop_the_json_walk() {
    let mut text = String::from("a0: &a0 [x]\n");
    for level in 1..=MAX_NESTING_DEPTH + 1 {
        text.push_str(&format!("a{level}: &a{level} [*a{}]\n", level - 1));
    }
    let doc = only_doc(&text);
    let root = doc.root_ref().unwrap();
    let deepest = format!("a{}", MAX_NESTING_DEPTH + 1);
    assert_eq!(
        root.get(&deepest)
            .unwrap()
            .to_json(&mut DEFAULT_WALK_BUDGET.clone()),
        None
    );
    let shallow = root
        .get("a3")
        .unwrap()
        .to_json(&mut DEFAULT_WALK_BUDGET.clone());
    assert_eq!(shallow, Some(serde_json::json!([[[["x"]]]])));
}

fn error(text: &str) -> (String, &str, Span) {
    let err = parse(text).expect_err("invalid YAML");
    (err.message.clone(), slice(text, err.span), err.span)
}

#[test]
fn syntax_errors_carry_the_parser_message_and_a_byte_span() {
    assert_eq!(
        error("{"),
        (
            "while parsing a node, did not find expected node content".to_string(),
            "",
            Span::empty(1)
        )
    );
    assert_eq!(
        error("a:\n\tb: 1\n"),
        (
            "tabs disallowed within this context (block indentation)".to_string(),
            "b",
            Span::new(4, 5)
        )
    );
    // The parser counts characters; the span must be in bytes.
    let text = "é: ü: b\n";
    assert_eq!(
        error(text),
        (
            "mapping values are not allowed in this context".to_string(),
            ":",
            Span::new(6, 7)
        )
    );
    let text = "ok: 1\nbad: \"ünterminated\n";
    assert_eq!(
        error(text).0,
        "while scanning a quoted scalar, found unexpected end of stream"
    );
    assert_eq!(error(text).2, nth_span(text, "\"", 0));
    // A syntax error in a later document fails the whole file.
    assert_eq!(
        error("a: 1\n---\nb: [\n").0,
        "while parsing a node, did not find expected node content"
    );
}

#[test]
fn bad_aliases_are_errors_at_the_alias() {
    assert_eq!(
        error("a: 1\nb: *nope\n"),
        (
            "while parsing node, found unknown anchor".to_string(),
            "*nope",
            Span::new(8, 13)
        )
    );
    // Anchors do not carry over to the next document.
    assert_eq!(error("a: &x 1\n---\nb: *x\n").1, "*x");
    assert_eq!(
        error("a: &x [1, *x]\n"),
        (
            "alias *x refers to a node that contains it".to_string(),
            "*x",
            Span::new(10, 12)
        )
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let flow = "[".repeat(100_000);
    assert_eq!(
        error(&flow),
        (
            "flow collections nested deeper than 255 levels (the nesting limit)".to_string(),
            "[",
            Span::new(255, 256)
        )
    );
    assert_eq!(
        error(&"{".repeat(100_000)).0,
        "flow collections nested deeper than 255 levels (the nesting limit)"
    );
    let block = format!("{}x", "- ".repeat(100_000));
    let limit_at = 2 * MAX_NESTING_DEPTH;
    assert_eq!(
        error(&block),
        (
            format!("nesting deeper than {MAX_NESTING_DEPTH} levels"),
            "-",
            Span::new(limit_at, limit_at + 1)
        )
    );
    let at_limit = format!("{}x", "- ".repeat(MAX_NESTING_DEPTH));
    let doc = only_doc(&at_limit);
    assert_eq!(doc.nodes.len(), MAX_NESTING_DEPTH + 1);
    let json = doc
        .root_ref()
        .unwrap()
        .to_json(&mut DEFAULT_WALK_BUDGET.clone());
    assert!(json.is_some());
    let mut nested_mappings = String::new();
    for depth in 0..1_000 {
        nested_mappings.push_str(&" ".repeat(depth));
        nested_mappings.push_str("k:\n");
    }
    assert_eq!(
        error(&nested_mappings).0,
        format!("nesting deeper than {MAX_NESTING_DEPTH} levels")
    );
}

#[test]
fn comments_are_found_outside_scalars_only() {
    let text = "# skafix: ignore[SYNC001] reason\n\
                apiVersion: v1 # trailing\n\
                url: \"http://x/#frag\" #after-quote\n\
                plain: a#b\n\
                single: 'x # y'\n\
                script: | # header\n  echo hi # inside the script\n  # also content\n\
                # col0 comment\n\
                list:\n  - a # item\n  # between\n  - b # crlf\r\n\
                tabbed: c\t# tab\n\
                --- # document comment\n\
                multi: \"line one\n  # still quoted\"\n";
    let docs = parse(text).unwrap();
    let found: Vec<&str> = comment_spans(text, &docs)
        .into_iter()
        .map(|span| slice(text, span))
        .collect();
    assert_eq!(
        found,
        vec![
            "# skafix: ignore[SYNC001] reason",
            "# trailing",
            "#after-quote",
            "# header",
            "# col0 comment",
            "# item",
            "# between",
            "# crlf",
            "# tab",
            "# document comment",
        ]
    );
}

#[test]
fn a_few_megabytes_parse_to_the_same_spans_as_the_parts() {
    let files = corpus_files();
    let mut big = String::new();
    let mut parts = Vec::new();
    while big.len() < 3_000_000 {
        for (_, text) in files {
            // Non-ASCII before every part keeps the character-to-byte conversion busy.
            big.push_str("--- # ünïcødé\n");
            let offset = big.len();
            big.push_str(text);
            if !text.ends_with('\n') {
                big.push('\n');
            }
            parts.push((offset, text.as_str()));
        }
    }
    let docs = parse(&big).unwrap();
    let mut expected = Vec::new();
    for (offset, text) in &parts {
        for doc in parse(text).unwrap() {
            for node in doc.nodes {
                expected.push(Span::new(node.span.start + offset, node.span.end + offset));
            }
        }
    }
    let actual: Vec<Span> = docs
        .iter()
        .flat_map(|doc| doc.nodes.iter().map(|node| node.span))
        .collect();
    assert_eq!(actual.len(), expected.len());
    assert!(actual == expected, "spans differ in the concatenated file");
}

fn corpus_files() -> &'static [(std::path::PathBuf, String)] {
    static FILES: std::sync::OnceLock<Vec<(std::path::PathBuf, String)>> =
        std::sync::OnceLock::new();
    FILES.get_or_init(read_corpus_files)
}

fn read_corpus_files() -> Vec<(std::path::PathBuf, String)> {
    let root = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/skaffold"
    ));
    let mut pending = vec![root.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus directory") {
            let path = entry.expect("directory entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                pending.push(path);
            } else if name.starts_with("skaffold") && name.ends_with(".yaml") {
                let text = std::fs::read_to_string(&path).expect("UTF-8 file");
                files.push((path, text));
            }
        }
    }
    files.sort();
    assert!(
        !files.is_empty(),
        "no skaffold*.yaml under {}",
        root.display()
    );
    files
}

/// Decodes a single-line scalar as written, independently of the parser.
fn decode_single_line(written: &str, style: ScalarStyle) -> Option<String> {
    match style {
        ScalarStyle::Plain => Some(written.to_string()),
        ScalarStyle::SingleQuoted => Some(
            written
                .strip_prefix('\'')?
                .strip_suffix('\'')?
                .replace("''", "'"),
        ),
        ScalarStyle::DoubleQuoted => {
            let inner = written.strip_prefix('"')?.strip_suffix('"')?;
            let mut out = String::new();
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    out.push(c);
                    continue;
                }
                let escaped = chars.next()?;
                let hex = |chars: &mut std::str::Chars, n: usize| {
                    let digits: String = chars.take(n).collect();
                    u32::from_str_radix(&digits, 16)
                        .ok()
                        .and_then(char::from_u32)
                };
                out.push(match escaped {
                    '0' => '\0',
                    'a' => '\x07',
                    'b' => '\x08',
                    't' | '\t' => '\t',
                    'n' => '\n',
                    'v' => '\x0b',
                    'f' => '\x0c',
                    'r' => '\r',
                    'e' => '\x1b',
                    'N' => '\u{85}',
                    '_' => '\u{a0}',
                    'L' => '\u{2028}',
                    'P' => '\u{2029}',
                    'x' => hex(&mut chars, 2)?,
                    'u' => hex(&mut chars, 4)?,
                    'U' => hex(&mut chars, 8)?,
                    other => other,
                });
            }
            Some(out)
        }
        ScalarStyle::Literal | ScalarStyle::Folded => None,
    }
}

#[test]
fn every_corpus_scalar_span_slices_to_its_value() {
    let mut checked_single_line = 0;
    let mut checked_block = 0;
    for (path, text) in corpus_files() {
        let docs = parse(text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        for doc in &docs {
            assert!(doc.span.end <= text.len());
            for (index, node) in doc.nodes.iter().enumerate() {
                let written = slice(text, node.span);
                let at = format!("{} node {index} {:?}", path.display(), node.span);
                assert!(doc.span.contains(node.span), "{at}: outside its document");
                match &node.value {
                    NodeValue::Scalar { value, style } => {
                        if written.is_empty() {
                            assert_eq!(value, "", "{at}");
                            continue;
                        }
                        assert_eq!(written.trim(), written, "{at}: span has whitespace");
                        if !written.contains('\n')
                            && !matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                        {
                            assert_eq!(
                                decode_single_line(written, *style).as_deref(),
                                Some(value.as_str()),
                                "{at}"
                            );
                            checked_single_line += 1;
                        }
                        if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                            // On its own the block scalar is a document of its own.
                            let alone = parse(written).unwrap();
                            assert_eq!(
                                alone[0].root_ref().and_then(|r| r.as_str()),
                                Some(value.as_str()),
                                "{at}"
                            );
                            checked_block += 1;
                        }
                    }
                    NodeValue::Mapping(_) | NodeValue::Sequence(_) => {
                        let node_ref = doc.get(NodeId(index as u32));
                        let children: Vec<Span> = node_ref
                            .entries()
                            .flat_map(|(k, v)| [k.span(), v.span()])
                            .chain(node_ref.items().map(|i| i.span()))
                            .collect();
                        for child in &children {
                            assert!(node.span.contains(*child), "{at}: child {child:?} outside");
                        }
                        let last_end = children
                            .iter()
                            .map(|c| c.end)
                            .max()
                            .unwrap_or(node.span.end);
                        if !written.starts_with(['[', '{']) {
                            assert_eq!(node.span.end, last_end, "{at}: block end");
                        }
                    }
                    NodeValue::Alias(_) => assert!(written.starts_with('*'), "{at}"),
                }
            }
        }
    }
    assert!(checked_single_line > 0 && checked_block > 0);
}

/// Checks that a parse result is consistent: spans inside the text on character boundaries.
fn check_consistent(text: &str) {
    let in_text = |span: Span| {
        span.start <= span.end
            && span.end <= text.len()
            && text.is_char_boundary(span.start)
            && text.is_char_boundary(span.end)
    };
    match parse(text) {
        Err(err) => {
            assert!(in_text(err.span), "error span {:?}", err.span);
            assert!(!err.message.is_empty());
        }
        Ok(docs) => {
            for doc in &docs {
                assert!(in_text(doc.span), "document span {:?}", doc.span);
                for node in &doc.nodes {
                    assert!(in_text(node.span), "node span {:?}", node.span);
                    let written = slice(text, node.span);
                    if let NodeValue::Scalar { value, style } = &node.value {
                        match style {
                            ScalarStyle::Plain
                                if !written.contains(['\n', '\r']) && !value.contains('\n') =>
                            {
                                assert_eq!(written, value)
                            }
                            ScalarStyle::SingleQuoted => assert!(
                                written.starts_with('\'')
                                    && written.ends_with('\'')
                                    && written.len() >= 2,
                                "{written:?}"
                            ),
                            ScalarStyle::DoubleQuoted => assert!(
                                written.starts_with('"')
                                    && written.ends_with('"')
                                    && written.len() >= 2,
                                "{written:?}"
                            ),
                            ScalarStyle::Literal => {
                                assert!(written.starts_with('|'), "{written:?}")
                            }
                            ScalarStyle::Folded => assert!(written.starts_with('>'), "{written:?}"),
                            ScalarStyle::Plain => {}
                        }
                    }
                }
            }
            for comment in comment_spans(text, &docs) {
                assert!(in_text(comment));
                let written = slice(text, comment);
                assert!(
                    written.starts_with('#') && !written.contains('\n'),
                    "{written:?}"
                );
            }
        }
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        check_consistent(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn yaml_like_text_never_panics(text in "[ \t\r\n:?,#&*!|>'\"%@`{}\\[\\]a-cé😀0-9.~\\\\-]{0,160}") {
        check_consistent(&text);
    }

    #[test]
    fn mutated_corpus_files_never_panic(
        file_index in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), "[ \t\n:?,#&*!|>'\"{}\\[\\]é-]{0,3}"), 1..4),
    ) {
        let files = corpus_files();
        let mut text = files[file_index.index(files.len())].1.clone();
        for (at, insert) in edits {
            let mut at = at.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, &insert);
        }
        check_consistent(&text);
    }
}
