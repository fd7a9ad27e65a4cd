//! Profiles as Skaffold applies them: which profiles are active (activation by env, kubeContext
//! and command, with `!` negation and unanchored regexes; `-p` names, `-p -NAME`), and the
//! overlay of a profile's pipeline onto the config (`pkg/skaffold/schema/profiles.go`):
//! structs merge field by field, one-of groups are replaced as a unit, lists are replaced
//! wholesale when the profile's list is non-empty, pointers when set, scalars when non-zero.

use super::tree::{Kind, Val};
use regex::Regex;

/// The pipeline sections a profile may carry (`latest/config.go` Pipeline).
pub const PIPELINE_KEYS: &[&str] = &[
    "build",
    "test",
    "manifests",
    "deploy",
    "portForward",
    "resourceSelector",
    "verify",
    "customActions",
];

/// How a field overlays, keyed by its path from the pipeline root.
enum FieldKind {
    /// A Go struct: merge field by field.
    Struct,
    /// A Go struct whose fields form one-of groups: a member set in the profile replaces the
    /// whole group.
    OneOf(&'static [&'static [&'static str]]),
}

const BUILD_TYPES: &[&str] = &["local", "googleCloudBuild", "cluster"];
const TAGGERS: &[&str] = &[
    "gitCommit",
    "sha256",
    "envTemplate",
    "dateTime",
    "customTemplate",
    "inputDigest",
];

fn field_kind(path: &[&str]) -> Option<FieldKind> {
    Some(match path {
        // BuildConfig is a struct whose inline BuildType is a one-of group.
        ["build"] => FieldKind::OneOf(&[BUILD_TYPES]),
        ["build", "tagPolicy"] => FieldKind::OneOf(&[TAGGERS]),
        ["build", "hooks"]
        | ["manifests"]
        | ["manifests", "hooks"]
        | ["deploy"]
        | ["deploy", "logs"]
        | ["resourceSelector"] => FieldKind::Struct,
        _ => return None,
    })
}

/// A copy of `config` with `profile` overlaid, as [`overlay`] on a clone makes it, without
/// first copying the values the profile replaces: a profile that lists a monorepo's artifacts
/// would otherwise copy the config's whole artifact list only to drop it.
pub fn overlaid(config: &Val, profile: &Val) -> Val {
    let replaced: std::collections::HashSet<String> = written_paths(profile)
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    let mut tree = clone_keeping(config, &replaced, &mut String::new());
    overlay(&mut tree, profile);
    tree
}

/// `value` copied, except the map entries at the `/`-joined key paths in `replaced` (below
/// `path`), which are left null for the overlay to set.
fn clone_keeping(
    value: &Val,
    replaced: &std::collections::HashSet<String>,
    path: &mut String,
) -> Val {
    let Kind::Map(entries) = &value.kind else {
        return value.clone();
    };
    let entries = entries
        .iter()
        .map(|(key, child)| {
            let parent_len = path.len();
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(key);
            let copied = if replaced.contains(path.as_str()) {
                Val::null(child.origin)
            } else {
                clone_keeping(child, replaced, path)
            };
            path.truncate(parent_len);
            (key.clone(), copied)
        })
        .collect();
    Val {
        kind: Kind::Map(entries),
        origin: value.origin,
    }
}

/// Overlays one profile's pipeline sections onto a config document (both as trees).
pub fn overlay(config: &mut Val, profile: &Val) {
    for key in PIPELINE_KEYS {
        if let Some(value) = profile.get(key) {
            overlay_field(config, key, value, &mut vec![key]);
        }
    }
}

fn overlay_field<'a>(parent: &mut Val, key: &'a str, profile: &'a Val, path: &mut Vec<&'a str>) {
    match field_kind(path) {
        Some(kind) if profile.is_map() => {
            if !parent.get(key).is_some_and(Val::is_map) {
                set(parent, key, Val::null(profile.origin));
                if let Some(slot) = parent.get_mut(key) {
                    slot.kind = Kind::Map(Vec::new());
                }
            }
            let Some(target) = parent.get_mut(key) else {
                return;
            };
            if let FieldKind::OneOf(groups) = kind {
                for group in groups {
                    if let Some(member) = group
                        .iter()
                        .find(|m| profile.get(m).is_some_and(|v| !v.is_null()))
                    {
                        if let Kind::Map(entries) = &mut target.kind {
                            entries.retain(|(k, _)| !group.contains(&k.as_str()));
                        }
                        set(
                            target,
                            member,
                            profile
                                .get(member)
                                .cloned()
                                .unwrap_or(Val::null(profile.origin)),
                        );
                    }
                }
            }
            for (child_key, child) in profile.entries() {
                if let FieldKind::OneOf(groups) = kind {
                    if groups.iter().any(|g| g.contains(&child_key.as_str())) {
                        continue;
                    }
                }
                path.push(child_key);
                overlay_field(target, child_key, child, path);
                path.pop();
            }
        }
        _ => {
            // Slices, pointers and scalars: the profile's value wins unless it is Go's zero.
            if !profile.is_zero() {
                set(parent, key, profile.clone());
            }
        }
    }
}

/// The fields a profile's overlay replaces, as `/`-joined key paths with where the profile
/// writes them: structs are merged field by field, so only their non-struct fields are
/// written (`pkg/skaffold/schema/profiles.go`, overlayProfileField); Go zero values are not.
pub fn written_paths(profile: &Val) -> Vec<(String, crate::skaffold::tree::Origin)> {
    fn walk<'a>(
        value: &'a Val,
        path: &mut Vec<&'a str>,
        out: &mut Vec<(String, crate::skaffold::tree::Origin)>,
    ) {
        match field_kind(path) {
            Some(_) if value.is_map() => {
                for (child_key, child) in value.entries() {
                    path.push(child_key);
                    walk(child, path, out);
                    path.pop();
                }
            }
            _ => {
                if !value.is_zero() {
                    out.push((path.join("/"), value.origin));
                }
            }
        }
    }
    let mut out = Vec::new();
    for key in PIPELINE_KEYS {
        if let Some(value) = profile.get(key) {
            walk(value, &mut vec![key], &mut out);
        }
    }
    out
}

/// Pairs of auto-activated profiles (in the order Skaffold applies them) where the later one
/// replaces a field the earlier one wrote, by overlay or patch: with both active the earlier
/// value is lost. The span is where the later profile writes it.
pub fn auto_profiles_overriding(
    profiles: &[Val],
    auto: &[usize],
) -> Vec<(crate::source::Span, String)> {
    let writes = |i: usize| -> Vec<(String, crate::skaffold::tree::Origin)> {
        let mut out = written_paths(&profiles[i]);
        for p in profiles[i].get("patches").map(Val::items).unwrap_or(&[]) {
            let op = p.get("op").and_then(Val::as_str).unwrap_or("replace");
            if op == "test" {
                continue;
            }
            if let Some(path) = p.get("path") {
                let text = path.as_str().unwrap_or_default();
                // `add .../-` appends: it keeps what the list had.
                if op == "add" && text.ends_with("/-") {
                    continue;
                }
                out.push((text.trim_start_matches('/').to_string(), path.origin));
            }
        }
        out
    };
    let covers = |a: &str, b: &str| {
        a == b || b.starts_with(&format!("{a}/")) || a.starts_with(&format!("{b}/"))
    };
    let name = |i: usize| {
        profiles[i]
            .get("name")
            .and_then(Val::as_str)
            .unwrap_or("")
            .to_string()
    };
    let mut found = Vec::new();
    for (n, &later) in auto.iter().enumerate() {
        for (path, origin) in writes(later) {
            let earlier = auto[..n].iter().find_map(|&e| {
                writes(e)
                    .into_iter()
                    .find(|(p, _)| covers(p, &path))
                    .map(|(p, _)| (e, p))
            });
            if let Some((e, earlier_path)) = earlier {
                found.push((
                    origin.key_span.unwrap_or(origin.span),
                    format!(
                        "profiles `{}` and `{}` are both activated automatically, and `{}` (applied later) replaces `{}`, which `{}` sets: with both active, `{}`'s value is lost",
                        name(e),
                        name(later),
                        name(later),
                        earlier_path.replace('/', "."),
                        name(e),
                        name(e)
                    ),
                ));
            }
        }
    }
    // Profiles that are not active here but share an activation entry (the same kube context
    // or env criteria, with `requiresAllActivations` off): wherever one activates, so does the
    // other, and the later one's overlay wins there, even with `-p <earlier>`.
    for later in 0..profiles.len() {
        for earlier in 0..later {
            if auto.contains(&earlier) && auto.contains(&later) {
                continue;
            }
            let Some(entry) = shared_activation(&profiles[earlier], &profiles[later]) else {
                continue;
            };
            let earlier_writes = writes(earlier);
            for (path, origin) in writes(later) {
                let Some((earlier_path, _)) = earlier_writes.iter().find(|(p, _)| covers(p, &path))
                else {
                    continue;
                };
                found.push((
                    origin.key_span.unwrap_or(origin.span),
                    format!(
                        "profiles `{}` and `{}` are both activated automatically by {entry}, and `{}` (applied later) replaces `{}`, which `{}` sets: there `{}`'s value is lost, even with `-p {}` (unless `-p -{}`)",
                        name(earlier),
                        name(later),
                        name(later),
                        earlier_path.replace('/', "."),
                        name(earlier),
                        name(earlier),
                        name(earlier),
                        name(later)
                    ),
                ));
            }
        }
    }
    found
}

/// An activation entry two profiles both carry (the same `env`, `kubeContext` and `command`),
/// described for a message, when neither profile requires all its activations: whenever that
/// entry holds, both profiles are active. Entries with no criterion never activate anything.
fn shared_activation(a: &Val, b: &Val) -> Option<String> {
    let requires_all = |p: &Val| {
        p.get("requiresAllActivations")
            .and_then(Val::as_bool)
            .unwrap_or(false)
    };
    if requires_all(a) || requires_all(b) {
        return None;
    }
    const FIELDS: [&str; 3] = ["kubeContext", "env", "command"];
    let criteria = |entry: &Val| -> Vec<(&'static str, String)> {
        FIELDS
            .iter()
            .filter_map(|&f| {
                let v = entry.get(f).and_then(Val::as_str)?;
                (!v.is_empty()).then(|| (f, v.to_string()))
            })
            .collect()
    };
    let entries = |p: &Val| -> Vec<Vec<(&'static str, String)>> {
        p.get("activation")
            .map(Val::items)
            .unwrap_or(&[])
            .iter()
            .map(criteria)
            .filter(|c| !c.is_empty())
            .collect()
    };
    let theirs = entries(b);
    entries(a)
        .into_iter()
        .find(|c| theirs.contains(c))
        .map(|c| {
            c.iter()
                .map(|(f, v)| format!("{f} `{v}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        })
}

fn set(parent: &mut Val, key: &str, value: Val) {
    if let Kind::Map(entries) = &mut parent.kind {
        if let Some(slot) = entries.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value;
        } else {
            entries.push((key.to_string(), value));
        }
    }
}

/// What activation criteria are compared against.
#[derive(Debug, Clone, Default)]
pub struct ActivationContext {
    /// The Skaffold command (`dev`, `run`, ...).
    pub command: Option<String>,
    pub kube_context: Option<String>,
    /// Environment lookup; None means the process environment.
    pub env: Option<std::collections::HashMap<String, String>>,
}

impl ActivationContext {
    fn env_var(&self, name: &str) -> Option<String> {
        match &self.env {
            Some(map) => map.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }
}

/// Skaffold's `util.RegexEqual`: exact match, else an unanchored regex; a leading `!` negates.
pub fn regex_equal(expected: &str, actual: &str) -> bool {
    if let Some(negated) = expected.strip_prefix('!') {
        return !regex_equal(negated, actual);
    }
    if expected == actual {
        return true;
    }
    Regex::new(expected).is_ok_and(|re| re.is_match(actual))
}

/// Whether one `activation` entry holds (all its criteria, AND). Unknown facts (no kube context
/// given) never match, so a kubeContext-activated profile is not assumed active.
fn activation_holds(entry: &Val, ctx: &ActivationContext) -> bool {
    if let Some(env) = entry.get("env").and_then(Val::as_str) {
        if !env.is_empty() {
            let (key, expected) = env.split_once('=').unwrap_or((env, ""));
            let actual = ctx.env_var(key).unwrap_or_default();
            // `KEY=` matches only when the variable is unset or empty (profiles.go:202-224).
            let holds = if expected.is_empty() {
                actual.is_empty()
            } else {
                regex_equal(expected, &actual)
            };
            if !holds {
                return false;
            }
        }
    }
    if let Some(kube_context) = entry.get("kubeContext").and_then(Val::as_str) {
        if !kube_context.is_empty() {
            match &ctx.kube_context {
                Some(actual) if regex_equal(kube_context, actual) => {}
                _ => return false,
            }
        }
    }
    if let Some(command) = entry.get("command").and_then(Val::as_str) {
        if !command.is_empty() {
            match &ctx.command {
                Some(actual) if regex_equal(command, actual) => {}
                _ => return false,
            }
        }
    }
    true
}

/// Whether a profile activates itself in this context.
pub fn auto_activated(profile: &Val, ctx: &ActivationContext) -> bool {
    let entries = profile.get("activation").map(Val::items).unwrap_or(&[]);
    if entries.is_empty() {
        return false;
    }
    let require_all = profile
        .get("requiresAllActivations")
        .and_then(Val::as_bool)
        .unwrap_or(false);
    if require_all {
        entries.iter().all(|e| activation_holds(e, ctx))
    } else {
        entries.iter().any(|e| activation_holds(e, ctx))
    }
}

/// The names `-p` asks for, split on commas; `-NAME` entries deactivate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileSelection {
    pub activate: Vec<String>,
    pub deactivate: Vec<String>,
}

impl ProfileSelection {
    pub fn from_flags(flags: &[String]) -> Self {
        let mut selection = ProfileSelection::default();
        for name in flags.iter().flat_map(|f| f.split(',')) {
            let name = name.trim();
            if let Some(off) = name.strip_prefix('-') {
                selection.deactivate.push(off.to_string());
            } else if !name.is_empty() {
                selection.activate.push(name.to_string());
            }
        }
        selection
    }

    pub fn is_empty(&self) -> bool {
        self.activate.is_empty() && self.deactivate.is_empty()
    }
}

/// Indices of the profiles to apply, in Skaffold's order: auto-activated ones in file order,
/// then the `-p` names; `-p -NAME` removes one. Unknown `-p` names are returned separately.
pub fn active_profiles(
    profiles: &[Val],
    selection: &ProfileSelection,
    ctx: &ActivationContext,
) -> (Vec<usize>, Vec<String>) {
    let mut active = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let name = p.get("name").and_then(Val::as_str).unwrap_or_default();
        if auto_activated(p, ctx) && !selection.deactivate.iter().any(|d| d == name) {
            active.push(i);
        }
    }
    let mut unknown = Vec::new();
    for wanted in &selection.activate {
        match profiles
            .iter()
            .position(|p| p.get("name").and_then(Val::as_str) == Some(wanted))
        {
            Some(i) if !active.contains(&i) => active.push(i),
            Some(_) => {}
            None => unknown.push(wanted.clone()),
        }
    }
    (active, unknown)
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

    /// Every profile of every real config in `tests/corpus/skaffold` (with its one-of groups,
    /// zero values, free-form maps and unknown keys) overlays to the same tree whether the
    /// config is copied whole first or without the values the profile replaces.
    #[test]
    fn overlaid_is_overlay_on_a_copy_for_every_corpus_profile() {
        fn configs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    configs(&path, out);
                } else if path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("skaffold") && n.ends_with(".yaml"))
                {
                    out.push(path);
                }
            }
        }
        let mut paths = Vec::new();
        configs(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/skaffold"),
            &mut paths,
        );
        let mut compared = 0;
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let Ok(docs) = crate::yaml::parse(&text) else {
                continue;
            };
            for doc in &docs {
                let Some(root) = doc.root_ref() else { continue };
                let mut budget = 200_000;
                let Ok(config) = Val::from_yaml(root, FileId(0), &mut budget) else {
                    continue;
                };
                for profile in config.get("profiles").map_or(&[][..], Val::items) {
                    let mut copied = config.clone();
                    overlay(&mut copied, profile);
                    assert_eq!(overlaid(&config, profile), copied, "{}", path.display());
                    compared += 1;
                }
            }
        }
        assert!(compared > 200, "{compared} profiles compared");
    }

    #[test]
    fn lists_are_replaced_and_structs_merged() {
        let mut config = tree(
            "build:\n  artifacts:\n  - image: a\n  - image: b\n  tagPolicy:\n    gitCommit: {}\n  local:\n    push: false\ndeploy:\n  kubectl: {}\n",
        );
        let profile =
            tree("build:\n  artifacts:\n  - image: c\n  tagPolicy:\n    inputDigest: {}\n");
        overlay(&mut config, &profile);
        let images: Vec<_> = config
            .path(&["build", "artifacts"])
            .unwrap()
            .items()
            .iter()
            .map(|a| a.get("image").unwrap().as_str().unwrap())
            .collect();
        assert_eq!(images, ["c"]);
        let tag_policy = config.path(&["build", "tagPolicy"]).unwrap();
        assert!(tag_policy.get("gitCommit").is_none());
        assert!(tag_policy.get("inputDigest").is_some());
        assert!(config.path(&["build", "local", "push"]).is_some());
        assert!(config.path(&["deploy", "kubectl"]).is_some());
    }

    #[test]
    fn one_of_build_type_replaces_the_group() {
        let mut config = tree("build:\n  local:\n    push: false\n");
        overlay(
            &mut config,
            &tree("build:\n  googleCloudBuild:\n    projectId: p\n"),
        );
        assert!(config.path(&["build", "local"]).is_none());
        assert!(config.path(&["build", "googleCloudBuild"]).is_some());
    }

    #[test]
    fn empty_list_and_empty_string_keep_the_config_value() {
        let mut config =
            tree("build:\n  artifacts:\n  - image: a\ndeploy:\n  kubeContext: minikube\n");
        overlay(
            &mut config,
            &tree("build:\n  artifacts: []\ndeploy:\n  kubeContext: \"\"\n"),
        );
        assert_eq!(
            config.path(&["build", "artifacts"]).unwrap().items().len(),
            1
        );
        assert_eq!(
            config.path(&["deploy", "kubeContext"]).unwrap().as_str(),
            Some("minikube")
        );
    }

    #[test]
    fn activation_semantics() {
        let mut ctx = ActivationContext {
            command: Some("dev".into()),
            kube_context: None,
            env: Some([("ENV".to_string(), "staging".to_string())].into()),
        };
        let p = |t: &str| tree(t);
        assert!(auto_activated(&p("activation:\n- command: dev\n"), &ctx));
        assert!(!auto_activated(
            &p("activation:\n- command: '!dev'\n"),
            &ctx
        ));
        assert!(auto_activated(&p("activation:\n- env: ENV=stag\n"), &ctx));
        assert!(!auto_activated(
            &p("activation:\n- env: ENV=prod\n  command: dev\n"),
            &ctx
        ));
        assert!(auto_activated(&p("activation:\n- env: OTHER=\n"), &ctx));
        assert!(!auto_activated(
            &p("activation:\n- kubeContext: minikube\n"),
            &ctx
        ));
        ctx.kube_context = Some("minikube".into());
        assert!(auto_activated(
            &p("activation:\n- kubeContext: minikube\n"),
            &ctx
        ));
        assert!(!auto_activated(
            &p("requiresAllActivations: true\nactivation:\n- kubeContext: minikube\n- command: run\n"),
            &ctx
        ));
    }

    #[test]
    fn selection_from_flags() {
        let s = ProfileSelection::from_flags(&["dev,gpu".into(), "-auto".into()]);
        assert_eq!(s.activate, ["dev", "gpu"]);
        assert_eq!(s.deactivate, ["auto"]);
    }
}
