//! JSON patches of profiles (`profiles[].patches`), applied to the value tree after the overlay
//! as Skaffold does (op defaults to `replace`; a path that does not exist aborts with
//! "invalid path", `pkg/skaffold/schema/profiles.go`). Patched-in values keep the origin of the
//! patch's `value`, so findings on them point at the patch.

use super::tree::{Kind, Val};

/// The most values a config may hold after `copy` patches: each copy can double it, so a few
/// dozen patches would otherwise exhaust memory.
pub const PATCH_COPY_LIMIT: usize = 200_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    pub message: String,
}

/// Applies one patch entry (a `{op, path, from, value}` mapping).
pub fn apply(config: &mut Val, patch: &Val) -> Result<(), PatchError> {
    let op = patch
        .get("op")
        .and_then(Val::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("replace");
    let path = patch.get("path").and_then(Val::as_str).unwrap_or_default();
    let invalid = || PatchError {
        message: format!("invalid path: {path}"),
    };
    let tokens = pointer_tokens(path).ok_or_else(invalid)?;
    match op {
        "add" | "replace" => {
            let value = patch
                .get("value")
                .cloned()
                .unwrap_or_else(|| Val::null(patch.origin));
            put(config, &tokens, value, op == "add").ok_or_else(invalid)
        }
        "remove" => take(config, &tokens).map(|_| ()).ok_or_else(invalid),
        "move" | "copy" => {
            let from = patch.get("from").and_then(Val::as_str).unwrap_or_default();
            let from_tokens = pointer_tokens(from).ok_or_else(invalid)?;
            if op == "copy" {
                // Copies can double the config patch after patch (`copy` of `/build` into
                // itself, forty times): the result is bounded like alias expansion is.
                let copied = lookup(config, &from_tokens).ok_or_else(invalid)?;
                let total = node_count(config, PATCH_COPY_LIMIT + 1)
                    + node_count(copied, PATCH_COPY_LIMIT + 1);
                if total > PATCH_COPY_LIMIT {
                    return Err(PatchError {
                        message: format!(
                            "copying {from} would make the config larger than {PATCH_COPY_LIMIT} values (the patch copy limit)"
                        ),
                    });
                }
            }
            let value = if op == "move" {
                take(config, &from_tokens)
            } else {
                lookup(config, &from_tokens).cloned()
            }
            .ok_or_else(invalid)?;
            put(config, &tokens, value, true).ok_or_else(invalid)
        }
        "test" => {
            let expected = patch.get("value").map(Val::to_json).unwrap_or_default();
            match lookup(config, &tokens) {
                Some(actual) if actual.to_json() == expected => Ok(()),
                _ => Err(PatchError {
                    message: format!("test failed at {path}"),
                }),
            }
        }
        other => Err(PatchError {
            message: format!("unknown patch op `{other}`"),
        }),
    }
}

/// The number of values in a tree, counting stopped at `limit`.
fn node_count(root: &Val, limit: usize) -> usize {
    let mut count = 0;
    let mut pending = vec![root];
    while let Some(node) = pending.pop() {
        count += 1;
        if count >= limit {
            return count;
        }
        match &node.kind {
            Kind::Map(entries) => pending.extend(entries.iter().map(|(_, v)| v)),
            Kind::Seq(items) => pending.extend(items.iter()),
            _ => {}
        }
    }
    count
}

/// Drops empty lists and empty maps of Go maps, as Skaffold's re-marshalling does before it
/// patches: it turns the overlaid config back into YAML with `yaml.Marshal`, and every list
/// and map field is tagged `omitempty` (`pkg/skaffold/schema/profiles.go`, applyProfile;
/// `pkg/skaffold/schema/latest/config.go`), so `artifacts: []` is not there to `add` to.
/// Mappings that are Go structs behind pointers (`sync: {}`, `local: {}`) are kept.
pub fn drop_empty_collections(config: &mut Val) {
    const GO_MAPS: &[&str] = &[
        "buildArgs",
        "labels",
        "env",
        "setValues",
        "setValueTemplates",
        "setFiles",
        "overrides",
        "annotations",
    ];
    fn walk(value: &mut Val) {
        match &mut value.kind {
            Kind::Map(entries) => {
                for (_, child) in entries.iter_mut() {
                    walk(child);
                }
                entries.retain(|(key, child)| match &child.kind {
                    Kind::Seq(items) => !items.is_empty(),
                    Kind::Map(items) => !(items.is_empty() && GO_MAPS.contains(&key.as_str())),
                    _ => true,
                });
            }
            Kind::Seq(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(config);
}

/// Whether a collection on `path` (or its parent, for `.../-` and indexes) is an empty list or
/// map in `config`: the reason a patch fails once Skaffold has dropped it.
pub fn path_is_empty_collection(config: &Val, path: &str) -> bool {
    let Some(tokens) = pointer_tokens(path) else {
        return false;
    };
    (0..=tokens.len()).rev().any(|n| {
        lookup(config, &tokens[..n]).is_some_and(|v| match &v.kind {
            Kind::Seq(items) => items.is_empty(),
            Kind::Map(entries) => entries.is_empty() && n > 0,
            _ => false,
        })
    })
}

/// Whether a patch's value has the type the schema expects at its path; the message when not.
/// After patching, Skaffold decodes the YAML into its Go structs with go-yaml v3, which fails
/// on a string where a boolean or number belongs (`cannot unmarshal !!str into bool`).
/// yaml.v3 reads `yes`/`no`/`on`/`off` (any quoting) into a bool field, but not a quoted
/// `"true"` (`decode.go`, the `reflect.Bool` case).
pub fn value_type_problem(
    schema: &super::schema::Schema,
    path: &str,
    value: &Val,
) -> Option<String> {
    use super::schema::ValueType;
    let tokens = pointer_tokens(path)?;
    let keys: Vec<&str> = tokens
        .iter()
        .map(String::as_str)
        .filter(|t| *t != "-" && t.parse::<usize>().is_err())
        .collect();
    let mut expected = schema.type_at(&keys)?;
    // `/build/artifacts/-` adds one item: the item's type.
    let last = tokens.last().map(String::as_str);
    if last == Some("-") || last.is_some_and(|t| t.parse::<usize>().is_ok()) {
        if let ValueType::List(item) = expected {
            expected = *item;
        }
    }
    let found = match &value.kind {
        Kind::Null => return None,
        Kind::Scalar { text, plain } => {
            let bool_word = crate::skaffold::schema::is_yaml11_bool_word(text);
            let plain_bool = *plain
                && matches!(
                    text.as_str(),
                    "true" | "True" | "TRUE" | "false" | "False" | "FALSE"
                );
            let plain_int = *plain && text.parse::<i64>().is_ok();
            match expected {
                ValueType::Bool if plain_bool || bool_word => return None,
                ValueType::Int if plain_int => return None,
                ValueType::Bool | ValueType::Int => {
                    if *plain {
                        "the string"
                    } else {
                        "the quoted string"
                    }
                }
                ValueType::String | ValueType::IntOrString | ValueType::Any => return None,
                _ => "the scalar",
            }
        }
        Kind::Map(_) => match expected {
            ValueType::Object(_) | ValueType::StringMap | ValueType::AnyMap | ValueType::Any => {
                return None
            }
            _ => "a mapping",
        },
        Kind::Seq(_) => match expected {
            ValueType::List(_) | ValueType::Any => return None,
            _ => "a list",
        },
    };
    let shown = match &value.kind {
        Kind::Scalar { text, plain } if *plain => format!(" `{text}`"),
        Kind::Scalar { text, .. } => format!(" `\"{text}\"`"),
        _ => String::new(),
    };
    Some(format!(
        "patch value at {path} is {found}{shown} where Skaffold expects {}; decoding the patched config fails",
        expected.describe()
    ))
}

fn pointer_tokens(path: &str) -> Option<Vec<String>> {
    if path.is_empty() {
        return Some(Vec::new());
    }
    let rest = path.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

fn lookup<'a>(root: &'a Val, tokens: &[String]) -> Option<&'a Val> {
    tokens
        .iter()
        .try_fold(root, |node, token| match &node.kind {
            Kind::Map(_) => node.get(token),
            Kind::Seq(items) => items.get(token.parse::<usize>().ok()?),
            _ => None,
        })
}

fn parent_of<'a>(root: &'a mut Val, tokens: &[String]) -> Option<&'a mut Val> {
    let mut node = root;
    for token in tokens {
        node = match &mut node.kind {
            Kind::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k == token)
                .map(|(_, v)| v)?,
            Kind::Seq(items) => items.get_mut(token.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn put(root: &mut Val, tokens: &[String], value: Val, add: bool) -> Option<()> {
    let (last, parents) = tokens.split_last()?;
    let parent = parent_of(root, parents)?;
    match &mut parent.kind {
        Kind::Map(entries) => {
            if let Some(slot) = entries.iter_mut().find(|(k, _)| k == last) {
                slot.1 = value;
            } else if add {
                entries.push((last.clone(), value));
            } else {
                return None;
            }
        }
        Kind::Seq(items) => {
            if add {
                let index = if last == "-" {
                    items.len()
                } else {
                    last.parse().ok()?
                };
                if index > items.len() {
                    return None;
                }
                items.insert(index, value);
            } else {
                let index: usize = last.parse().ok()?;
                *items.get_mut(index)? = value;
            }
        }
        _ => return None,
    }
    Some(())
}

fn take(root: &mut Val, tokens: &[String]) -> Option<Val> {
    let (last, parents) = tokens.split_last()?;
    let parent = parent_of(root, parents)?;
    match &mut parent.kind {
        Kind::Map(entries) => {
            let index = entries.iter().position(|(k, _)| k == last)?;
            Some(entries.remove(index).1)
        }
        Kind::Seq(items) => {
            let index: usize = last.parse().ok()?;
            (index < items.len()).then(|| items.remove(index))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::skaffold::tree::FileId;

    fn tree(text: &str) -> Val {
        let docs = crate::yaml::parse(text).unwrap();
        let mut budget = 10_000;
        Val::from_yaml(docs[0].root_ref().unwrap(), FileId(0), &mut budget).unwrap()
    }

    #[test]
    fn copies_that_double_the_config_stop_at_the_budget() {
        let mut config = tree("build:\n  artifacts:\n  - image: a\n    context: x\n");
        let started = std::time::Instant::now();
        let mut failed = None;
        for round in 0..60 {
            let copy = tree(&format!("op: copy\nfrom: /build\npath: /build/m{round}\n"));
            if let Err(e) = apply(&mut config, &copy) {
                failed = Some((round, e.message));
                break;
            }
        }
        let (round, message) = failed.expect("the doubling is stopped");
        assert!(round < 20, "{round}");
        assert_eq!(
            message,
            format!("copying /build would make the config larger than {PATCH_COPY_LIMIT} values (the patch copy limit)")
        );
        assert!(node_count(&config, usize::MAX) <= PATCH_COPY_LIMIT);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn empty_lists_and_go_maps_are_dropped_before_patching_but_pointer_structs_stay() {
        let mut config = tree(
            "build:\n  artifacts: []\n  local: {}\n  tagPolicy:\n    envTemplate: {}\nmanifests:\n  rawYaml: []\nx:\n  buildArgs: {}\n",
        );
        drop_empty_collections(&mut config);
        assert!(config.path(&["build", "artifacts"]).is_none());
        assert!(config.path(&["build", "local"]).is_some());
        assert!(config.path(&["manifests", "rawYaml"]).is_none());
        assert!(config.path(&["x", "buildArgs"]).is_none());
        let patch = tree("op: add\npath: /build/artifacts/-\nvalue: {image: a}\n");
        assert!(apply(&mut config, &patch).is_err());
    }

    #[test]
    fn patch_values_are_typed_like_go_yaml_decodes_them() {
        let schema =
            crate::skaffold::schema::schema_for(crate::skaffold::schema::latest()).unwrap();
        let value = |text: &str| tree(&format!("v: {text}\n")).get("v").unwrap().clone();
        let problem = |path: &str, text: &str| value_type_problem(schema, path, &value(text));
        assert!(problem("/build/local/push", "\"true\"").is_some());
        assert!(problem("/build/local/push", "true").is_none());
        assert!(problem("/build/local/push", "yes").is_none());
        assert!(problem("/build/local/push", "'off'").is_none());
        assert!(problem("/build/local/concurrency", "\"2\"").is_some());
        assert!(problem("/build/artifacts/0/image", "app").is_none());
        assert!(problem("/build/artifacts/-", "{image: app}").is_none());
        assert!(problem("/build/artifacts", "app").is_some());
    }

    #[test]
    fn replace_add_remove() {
        let mut config =
            tree("build:\n  artifacts:\n  - image: a\n    docker:\n      dockerfile: Dockerfile\n");
        apply(
            &mut config,
            &tree("path: /build/artifacts/0/docker/dockerfile\nvalue: Dockerfile.dev\n"),
        )
        .unwrap();
        assert_eq!(
            config.path(&["build", "artifacts"]).unwrap().items()[0]
                .path(&["docker", "dockerfile"])
                .unwrap()
                .as_str(),
            Some("Dockerfile.dev")
        );
        apply(
            &mut config,
            &tree("op: add\npath: /build/artifacts/0/sync\nvalue:\n  infer: ['**/*']\n"),
        )
        .unwrap();
        assert!(config.path(&["build", "artifacts"]).unwrap().items()[0]
            .get("sync")
            .is_some());
        apply(
            &mut config,
            &tree("op: remove\npath: /build/artifacts/0/sync\n"),
        )
        .unwrap();
        assert!(config.path(&["build", "artifacts"]).unwrap().items()[0]
            .get("sync")
            .is_none());
        let err = apply(
            &mut config,
            &tree("path: /build/artifacts/3/image\nvalue: x\n"),
        )
        .unwrap_err();
        assert_eq!(err.message, "invalid path: /build/artifacts/3/image");
    }
}
