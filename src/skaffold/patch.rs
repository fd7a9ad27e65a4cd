//! JSON patches of profiles (`profiles[].patches`), applied to the value tree after the overlay
//! as Skaffold does (op defaults to `replace`; a path that does not exist aborts with
//! "invalid path", `pkg/skaffold/schema/profiles.go`). Patched-in values keep the origin of the
//! patch's `value`, so findings on them point at the patch.

use super::tree::{Kind, Val, CONVERSION_BUDGET};

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
                let total = node_count(config, CONVERSION_BUDGET + 1)
                    + node_count(copied, CONVERSION_BUDGET + 1);
                if total > CONVERSION_BUDGET {
                    return Err(PatchError {
                        message: format!(
                            "copying {from} would make the config larger than {CONVERSION_BUDGET} values"
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
            format!("copying /build would make the config larger than {CONVERSION_BUDGET} values")
        );
        assert!(node_count(&config, usize::MAX) <= CONVERSION_BUDGET);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
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
