//! kustomize as Skaffold's kustomize renderer runs it
//! (`pkg/skaffold/render/renderer/kustomize/kustomize.go`): `kustomize build [buildArgs] PATH`
//! when a `kustomize` binary is on PATH, else `kubectl kustomize [buildArgs] PATH`; each
//! buildArgs entry is split on spaces (`kustomizeBuildArgs`); paths are resolved against the
//! config's directory, and a config without paths renders `.`.
//!
//! The user's kustomization is wrapped in a temporary one (outside the project) that adds
//! `buildMetadata: [originAnnotations]`, so each resource says which file it came from.

use super::{inside, NotAnalysed, RenderCache, RenderKey, Rendered};
use crate::yaml;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// kustomization file names, in kustomize's lookup order (`konfig.RecognizedKustomizationFileNames`).
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// At most this many files are followed through a kustomization tree before rendering.
const MAX_WALK: usize = 2000;

/// What a kustomization tree is made of, read before the tool runs.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    /// Patch files, the top kustomization's first (later kustomizations patch over bases).
    pub patch_files: Vec<PathBuf>,
    /// The top kustomization file.
    pub kustomization: Option<PathBuf>,
    /// The top kustomization is a `kind: Component`, which can only be wrapped as a component.
    pub component: bool,
    /// Every file the tree is made of (kustomization files and the files they name).
    pub inputs: Vec<PathBuf>,
    /// Patches that name their target (`patches:` with `target:`, `patchesJson6902`), the top
    /// kustomization's first: they may be JSON 6902 op lists.
    pub targeted_patches: Vec<TargetedPatch>,
}

/// A patch entry with a `target`: its op list is in `file`, or inline in the kustomization
/// file as the string at `inline`.
#[derive(Debug, Clone)]
pub struct TargetedPatch {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub file: PathBuf,
    pub inline: Option<crate::source::Span>,
}

/// The kustomization file of a directory.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

fn is_remote(reference: &str) -> bool {
    reference.contains("://")
        || reference.starts_with("github.com/")
        || reference.starts_with("git@")
        || reference.starts_with("gitlab.com/")
        || reference.starts_with("bitbucket.org/")
}

fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A path as messages show it: relative to the checked root (never an absolute path of the
/// machine running the check).
fn shown(root: &Path, path: &Path) -> String {
    std::fs::canonicalize(path)
        .ok()
        .and_then(|p| p.strip_prefix(root).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.file_name().map(PathBuf::from).unwrap_or_default())
        .display()
        .to_string()
}

/// Follows every local file a kustomization refers to: remote references and files outside
/// the root stop rendering (kustomize would fetch them, or read outside the checked roots).
pub fn walk(dir: &Path, root: &Path) -> Result<Tree, NotAnalysed> {
    let mut tree = Tree::default();
    // `..` must be resolved from the real directory, not popped from a relative path.
    let start = std::fs::canonicalize(dir).map_err(|e| NotAnalysed {
        reason: format!("`{}` cannot be read: {e}", shown(root, dir)),
    })?;
    let mut pending = vec![start];
    let mut seen = std::collections::HashSet::new();
    let not = |reason: String| NotAnalysed { reason };
    while let Some(dir) = pending.pop() {
        if !seen.insert(dir.clone()) {
            continue;
        }
        if seen.len() > MAX_WALK {
            return Err(not("the kustomization tree is too large to follow".into()));
        }
        let Some(file) = kustomization_file(&dir) else {
            return Err(not(format!(
                "`{}` has no kustomization.yaml",
                shown(root, &dir)
            )));
        };
        if !inside(root, &file) {
            return Err(not(format!(
                "`{}` is outside the checked project, which skafix does not read",
                shown(root, &file)
            )));
        }
        if tree.kustomization.is_none() {
            tree.kustomization = Some(file.clone());
        }
        tree.inputs.push(file.clone());
        let text = std::fs::read_to_string(&file)
            .map_err(|e| not(format!("`{}` cannot be read: {e}", shown(root, &file))))?;
        let docs = yaml::parse(&text).map_err(|e| {
            not(format!(
                "`{}` is not valid YAML: {}",
                shown(root, &file),
                e.message
            ))
        })?;
        let Some(top) = docs.first().and_then(|d| d.root_ref()) else {
            continue;
        };
        if tree.kustomization.as_ref() == Some(&file) {
            tree.component = top.get("kind").and_then(|k| k.as_str()) == Some("Component");
        }
        let mut references: Vec<(String, bool)> = Vec::new();
        let strings = |key: &str| -> Vec<String> {
            top.get(key)
                .into_iter()
                .flat_map(|l| l.items())
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        };
        for key in ["resources", "bases", "components"] {
            references.extend(strings(key).into_iter().map(|r| (r, false)));
        }
        for key in [
            "crds",
            "configurations",
            "generators",
            "transformers",
            "validators",
        ] {
            references.extend(strings(key).into_iter().map(|r| (r, false)));
        }
        // Inline patches are YAML text, not paths.
        references.extend(
            strings("patchesStrategicMerge")
                .into_iter()
                .filter(|r| !r.contains('\n'))
                .map(|r| (r, true)),
        );
        // Other fields that name a file kustomize reads.
        if let Some(path) = top.path(&["openapi", "path"]).and_then(|v| v.as_str()) {
            references.push((path.to_string(), false));
        }
        for r in top.get("replacements").into_iter().flat_map(|l| l.items()) {
            if let Some(path) = r.get("path").and_then(|v| v.as_str()) {
                references.push((path.to_string(), false));
            }
        }
        for key in ["patches", "patchesJson6902"] {
            for p in top.get(key).into_iter().flat_map(|l| l.items()) {
                let path = p.get("path").and_then(|v| v.as_str());
                if let Some(path) = path {
                    references.push((path.to_string(), true));
                }
                if let Some(target) = p.get("target") {
                    let field =
                        |k: &str| target.get(k).and_then(|v| v.as_str()).map(str::to_string);
                    let inline = p.get("patch").filter(|v| v.as_str().is_some());
                    let file = match path {
                        Some(path) => normalize(&dir.join(path)),
                        None if inline.is_some() => file.clone(),
                        None => continue,
                    };
                    tree.targeted_patches.push(TargetedPatch {
                        kind: field("kind"),
                        name: field("name"),
                        file,
                        inline: inline.map(|v| v.span()),
                    });
                }
            }
        }
        for key in ["configMapGenerator", "secretGenerator"] {
            for g in top.get(key).into_iter().flat_map(|l| l.items()) {
                for list in ["files", "envs"] {
                    for f in g.get(list).into_iter().flat_map(|l| l.items()) {
                        if let Some(f) = f.as_str() {
                            let path = f.split_once('=').map_or(f, |(_, p)| p);
                            references.push((path.to_string(), false));
                        }
                    }
                }
                if let Some(env) = g.get("env").and_then(|v| v.as_str()) {
                    references.push((env.to_string(), false));
                }
            }
        }
        if top.get("helmCharts").is_some() || top.get("helmChartInflationGenerator").is_some() {
            return Err(not(format!(
                "`{}` inflates Helm charts, which needs `--enable-helm`; skafix never passes it (it runs Helm with the user's plugins and can fetch charts)",
                shown(root, &file)
            )));
        }
        for (reference, is_patch) in references {
            if is_remote(&reference) {
                return Err(not(format!(
                    "`{}` refers to the remote `{reference}`; skafix never fetches over the network",
                    shown(root, &file)
                )));
            }
            let target = normalize(&dir.join(&reference));
            if !target.exists() {
                // kustomize reports it; the render error says so.
                continue;
            }
            if !inside(root, &target) {
                return Err(not(format!(
                    "`{reference}` in `{}` is outside the checked project, which skafix does not read",
                    shown(root, &file)
                )));
            }
            if target.is_dir() {
                pending.push(target);
            } else {
                tree.inputs.push(target.clone());
                if is_patch {
                    tree.patch_files.push(target);
                }
            }
        }
    }
    Ok(tree)
}

/// kustomize build flags that only change ordering or labels. Everything else (plugins,
/// `--enable-helm`, `--helm-command`, `--load-restrictor` overrides, `--mount`, `--network`,
/// `--output`) is refused.
fn allowed_flags(build_args: &[String]) -> Result<Vec<String>, NotAnalysed> {
    let mut args = Vec::new();
    let mut words = build_args
        .iter()
        .flat_map(|a| a.split(' '))
        .filter(|w| !w.is_empty());
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (word, None),
        };
        match flag {
            "--enable-managedby-label" if inline.is_none() => args.push(word.to_string()),
            "--reorder" | "--load-restrictor" => {
                let value = match inline {
                    Some(v) => v.to_string(),
                    None => words.next().unwrap_or_default().to_string(),
                };
                let ok = match flag {
                    "--reorder" => ["legacy", "none"].contains(&value.as_str()),
                    _ => value == "LoadRestrictionsRootOnly",
                };
                if !ok {
                    return Err(refused(word));
                }
                args.push(format!("{flag}={value}"));
            }
            _ => return Err(refused(word)),
        }
    }
    Ok(args)
}

fn refused(word: &str) -> NotAnalysed {
    NotAnalysed {
        reason: format!(
            "`{word}` in `buildArgs` is not passed: skafix runs kustomize only with `--reorder`, `--enable-managedby-label` and the default load restrictor"
        ),
    }
}

/// A path from the temporary wrapping directory (`<temp>/<one level>`) to `target`.
fn from_temp(target: &Path) -> Option<String> {
    let base = std::fs::canonicalize(std::env::temp_dir()).ok()?;
    let depth = base.components().count(); // counts the root, so this is one level deeper
    let mut rel = "../".repeat(depth);
    let target = std::fs::canonicalize(target).ok()?;
    let tail: PathBuf = target.components().skip(1).collect();
    rel.push_str(&tail.to_string_lossy());
    Some(rel)
}

/// Renders one kustomize path (already resolved and checked) with `buildArgs`.
pub fn render(
    cache: &RenderCache,
    dir: &Path,
    shown_path: &str,
    root: &Path,
    build_args: &[String],
) -> Result<(Arc<Rendered>, Tree), NotAnalysed> {
    let tree = walk(dir, root)?;
    let flags = allowed_flags(build_args)?;
    let (program, tool, mut args) = if let Some(tool) = cache.find_tool("kustomize") {
        ("kustomize", tool, vec!["build".to_string()])
    } else if let Some(tool) = cache.find_tool("kubectl") {
        ("kubectl", tool, vec!["kustomize".to_string()])
    } else {
        return Err(NotAnalysed {
            reason: "neither `kustomize` nor `kubectl` is on PATH (Skaffold runs `kustomize build`, or `kubectl kustomize` without it); install kubectl (https://kubernetes.io/docs/tasks/tools/) or kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/), or pass --no-render".into(),
        });
    };
    args.extend(flags);
    args.push("{TMP}".into());
    let Some(rel) = from_temp(dir) else {
        return Err(NotAnalysed {
            reason: "the temporary directory cannot be resolved".into(),
        });
    };
    let key = RenderKey {
        program: program.to_string(),
        args: args.clone(),
        dir: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
        files: vec![(
            "kustomization.yaml".into(),
            format!(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n{}:\n- {rel}\nbuildMetadata: [originAnnotations]\n",
                if tree.component { "components" } else { "resources" }
            ),
        )],
        copy: None,
    };
    let shown = format!("{program} {}", args[..args.len() - 1].join(" "));
    let text = cache
        .run_inputs(&key, &tool, root, &tree.inputs)
        .map_err(|e| NotAnalysed {
            reason: format!("`{shown} {shown_path}` failed: {}", super::scrub(&e, root)),
        })?;
    let temp_anchor = std::fs::canonicalize(std::env::temp_dir())
        .unwrap_or_else(|_| std::env::temp_dir())
        .join("skafix-render");
    let document_origins = origins(&text)
        .into_iter()
        .map(|(offset, path)| (offset, normalize(&temp_anchor.join(path))))
        .collect();
    Ok((
        Arc::new(Rendered {
            label: format!("{shown} {shown_path}"),
            text,
            document_origins,
        }),
        tree,
    ))
}

/// The `config.kubernetes.io/origin` path of each document, by the document's start offset.
fn origins(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut doc_start = 0;
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let here = offset;
        offset += line.len();
        if line.trim_end() == "---" {
            doc_start = offset;
            continue;
        }
        if line
            .trim_start()
            .starts_with("config.kubernetes.io/origin:")
        {
            if let Some(next) = lines.peek() {
                if let Some(path) = next.trim().strip_prefix("path: ") {
                    found.push((doc_start, path.trim().trim_matches('"').to_string()));
                }
            }
        }
        let _ = here;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_harmless_flags_pass() {
        assert_eq!(
            allowed_flags(&["--reorder none".into()]).unwrap(),
            vec!["--reorder=none"]
        );
        assert!(allowed_flags(&["--enable-helm".into()]).is_err());
        assert!(allowed_flags(&["--load-restrictor=LoadRestrictionsNone".into()]).is_err());
        assert!(allowed_flags(&["--enable-alpha-plugins".into()]).is_err());
        assert!(allowed_flags(&["-o out.yaml".into()]).is_err());
    }

    #[test]
    fn origin_annotations_are_read_per_document() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    config.kubernetes.io/origin: |\n      path: ../a/pod.yaml\n---\nkind: Service\n";
        assert_eq!(origins(text), vec![(0, "../a/pod.yaml".to_string())]);
    }
}
