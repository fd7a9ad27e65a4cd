//! Gathers rendered manifests for a pipeline: finds its kustomize paths and Helm releases
//! (`manifests.*`, and `deploy.*` of older configs), renders them in parallel through
//! [`crate::render`], and turns each output into a manifest source with its origin map.

use super::load::{normalize, required_config_path, ConfigDoc, Project};
use super::ManifestFile;
use crate::k8s;
use crate::render::origin::{self, RenderedSource};
use crate::render::{helm, kustomize, NotAnalysed, RenderCache, Rendered};
use crate::skaffold::model::{PipelineModel, Spanned};
use crate::skaffold::tree::{FileId, Origin, Val};
use crate::source::SourceFile;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) struct Rendering {
    pub manifests: Vec<ManifestFile>,
    pub sources: Vec<RenderedSource>,
    /// Renderer kinds whose every entry was rendered or reported in `failures`.
    pub rendered_kinds: Vec<&'static str>,
    /// Entries that could not be seen, with why.
    pub failures: Vec<(Spanned<String>, String)>,
}

enum Job<'t> {
    Kustomize {
        path: &'t Val,
        build_args: Vec<String>,
    },
    /// A kustomize section without `paths`: Skaffold renders `.`.
    KustomizeDefault { at: Origin, build_args: Vec<String> },
    Helm {
        release: &'t Val,
        flags: Vec<String>,
    },
}

impl Job<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Job::Kustomize { .. } | Job::KustomizeDefault { .. } => "kustomize",
            Job::Helm { .. } => "helm",
        }
    }

    /// Where findings about this entry point: the path value, or the release's name.
    fn origin(&self) -> Origin {
        let key_or_value = |o: Origin| Origin {
            span: o.key_span.unwrap_or(o.span),
            ..o
        };
        match self {
            Job::Kustomize { path, .. } => path.origin,
            Job::KustomizeDefault { at, .. } => key_or_value(*at),
            Job::Helm { release, .. } => release
                .get("name")
                .map(|n| n.origin)
                .unwrap_or_else(|| key_or_value(release.origin)),
        }
    }
}

fn strings(v: Option<&Val>) -> Vec<String> {
    v.map(Val::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|i| i.as_str().map(str::to_string))
        .collect()
}

fn jobs(tree: &Val) -> Vec<Job<'_>> {
    let mut jobs = Vec::new();
    for section in ["manifests", "deploy"] {
        if let Some(k) = tree.path(&[section, "kustomize"]).filter(|v| !v.is_zero()) {
            let build_args = strings(k.get("buildArgs"));
            let paths = k.get("paths").map(Val::items).unwrap_or(&[]);
            if paths.is_empty() {
                jobs.push(Job::KustomizeDefault {
                    at: k.origin,
                    build_args: build_args.clone(),
                });
            }
            for path in paths {
                jobs.push(Job::Kustomize {
                    path,
                    build_args: build_args.clone(),
                });
            }
        }
        if let Some(h) = tree.path(&[section, "helm"]).filter(|v| !v.is_zero()) {
            let flags = strings(h.path(&["flags", "template"]));
            for release in h.get("releases").map(Val::items).unwrap_or(&[]) {
                jobs.push(Job::Helm {
                    release,
                    flags: flags.clone(),
                });
            }
        }
    }
    jobs
}

/// A finished render: its output and how to trace it.
struct Done {
    rendered: Arc<Rendered>,
    trace: Trace,
    /// The files the render read.
    inputs: Vec<PathBuf>,
}

enum Trace {
    Kustomize(kustomize::Tree),
    Helm {
        chart_dir: PathBuf,
        values_files: Vec<PathBuf>,
    },
}

/// Whether another config requires the config file at `path` (`requires[].path`): Skaffold
/// resolves a required config's paths against its own directory, a root config's against the
/// working directory.
pub(crate) fn is_required(project: &Project, path: &Path) -> bool {
    let wanted = std::path::absolute(normalize(path)).unwrap_or_else(|_| path.to_path_buf());
    project.configs.iter().any(|other| {
        other
            .tree
            .get("requires")
            .map(Val::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(|r| r.get("path").and_then(Val::as_str))
            .any(|rel| {
                let p = super::load::required_config_path(&other.dir, rel);
                std::path::absolute(normalize(&p)).unwrap_or(p) == wanted
            })
    })
}

/// When `path` exists relative to a parent of `base` inside `root`: why (Skaffold resolves a
/// root config's paths against the working directory), for a message; else empty.
fn found_from_parent(base: &Path, path: &str, root: &Path) -> String {
    for (depth, parent) in base.ancestors().enumerate().skip(1).take(4) {
        if !parent.starts_with(root) {
            break;
        }
        // Only a path that names the config's own directory (`svc/k8s` in `svc/skaffold.yaml`).
        let Ok(from) = base.strip_prefix(parent) else {
            break;
        };
        let candidate = normalize(&parent.join(path));
        if Path::new(path).starts_with(from) && candidate.starts_with(parent) && candidate.exists()
        {
            let up = vec![".."; depth].join("/");
            return format!(
                "; it exists relative to `{up}`, where this config is run from (Skaffold resolves a root config's paths against the working directory; skafix resolves them against the config's own directory)"
            );
        }
    }
    String::new()
}

fn run_job(
    job: &Job<'_>,
    cache: &RenderCache,
    config_dir: &Path,
    root: &Path,
    images: &[String],
    required: bool,
) -> Result<Done, NotAnalysed> {
    let kustomize_dir = |path: &str| -> Result<PathBuf, NotAnalysed> {
        if path.contains("{{") {
            return Err(NotAnalysed {
                reason: format!("the path `{path}` is a template that depends on the environment, which skafix does not read"),
            });
        }
        if path.contains("://") || path.starts_with("github.com/") {
            return Err(NotAnalysed {
                reason: format!(
                    "`{path}` is a remote kustomization; skafix never fetches over the network"
                ),
            });
        }
        let base = std::fs::canonicalize(config_dir).unwrap_or_else(|_| config_dir.to_path_buf());
        let dir = normalize(&base.join(path));
        if !dir.exists() && dir.starts_with(root) {
            return Err(NotAnalysed {
                reason: format!(
                    "`{path}` does not exist beside this config{}",
                    if required {
                        String::new()
                    } else {
                        found_from_parent(&base, path, root)
                    }
                ),
            });
        }
        if !crate::render::inside(root, &dir) {
            return Err(NotAnalysed {
                reason: format!(
                    "`{path}` is outside the checked project, which skafix does not read"
                ),
            });
        }
        Ok(dir)
    };
    match job {
        Job::Kustomize { path, build_args } => {
            let shown = path.as_str().unwrap_or_default();
            let dir = kustomize_dir(shown)?;
            let (rendered, tree) = kustomize::render(cache, &dir, shown, root, build_args)?;
            Ok(Done {
                rendered,
                inputs: tree.inputs.clone(),
                trace: Trace::Kustomize(tree),
            })
        }
        Job::KustomizeDefault { build_args, .. } => {
            let dir = kustomize_dir(".")?;
            let (rendered, tree) = kustomize::render(cache, &dir, ".", root, build_args)?;
            Ok(Done {
                rendered,
                inputs: tree.inputs.clone(),
                trace: Trace::Kustomize(tree),
            })
        }
        Job::Helm { release, flags } => {
            let prepared = helm::prepare(cache, config_dir, root, release, flags, images)?;
            let rendered = helm::render(cache, &prepared)?;
            Ok(Done {
                rendered,
                inputs: prepared.inputs,
                trace: Trace::Helm {
                    chart_dir: prepared.chart_dir,
                    values_files: prepared.values_files,
                },
            })
        }
    }
}

/// Renders every kustomize path and Helm release of the pipeline (nothing when rendering is
/// off or the config uses neither). `register` keeps a rendered text as a source.
pub(super) fn manifests(
    project: &Project,
    config: &ConfigDoc,
    tree: &Val,
    model: &PipelineModel,
    cache: &RenderCache,
    register: impl Fn(PathBuf, String) -> FileId + Sync,
) -> Rendering {
    let mut out = Rendering {
        manifests: Vec::new(),
        sources: Vec::new(),
        rendered_kinds: Vec::new(),
        failures: Vec::new(),
    };
    if !cache.options.enabled {
        return out;
    }
    let jobs = jobs(tree);
    if jobs.is_empty() {
        return out;
    }
    out.rendered_kinds = vec!["kustomize", "helm"];
    // A config in the working directory has an empty directory path.
    let config_dir = if config.dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        config.dir.as_path()
    };
    let root = cache.root_for(config_dir);
    let required = is_required(project, &project.file(config.file).path);
    let images = run_images(project, config, model);
    let results: Vec<Result<Done, NotAnalysed>> =
        crate::parallel::map(project.parallel, &jobs, |job| {
            run_job(job, cache, config_dir, &root, &images, required)
        });
    let config_path = project.file(config.file).path.clone();
    let reader = |path: &Path| -> Option<Arc<SourceFile>> {
        project.read(path).ok().map(|id| project.file(id))
    };
    for (index, (job, result)) in jobs.iter().zip(results).enumerate() {
        let origin = job.origin();
        let entry = Spanned {
            value: job.kind().to_string(),
            origin,
        };
        let done = match result {
            Ok(done) => {
                // Kept as sources: a check of a copy of the project (`fix --diff`) then
                // renders from the same files.
                for input in &done.inputs {
                    let _ = project.read(input);
                }
                done
            }
            Err(e) => {
                out.failures.push((entry, e.reason));
                continue;
            }
        };
        let workloads = match k8s::workloads(&done.rendered.text) {
            Ok(w) => w,
            Err(e) => {
                out.failures.push((
                    entry,
                    format!(
                        "the output of `{}` is not valid YAML: {}",
                        done.rendered.label, e.message
                    ),
                ));
                continue;
            }
        };
        let (map, files) = match &done.trace {
            Trace::Kustomize(tree) => origin::map_kustomize(
                &done.rendered.text,
                &workloads,
                &done.rendered.document_origins,
                &tree.patch_files,
                &tree.targeted_patches,
                &reader,
            ),
            Trace::Helm {
                chart_dir,
                values_files,
            } => origin::map_helm(
                &done.rendered.text,
                &workloads,
                chart_dir,
                values_files,
                &reader,
            ),
        };
        let path = config_path
            .parent()
            .unwrap_or(Path::new(""))
            .join(format!("<rendered {} {index}>", job.kind()));
        let reported = |p: &PathBuf| reader(p).map(|f| f.path.clone());
        // A fix may edit the project's kustomization tree, and a Helm release's own values
        // files, never a chart's templates or defaults (other releases render them too).
        let editable = match &done.trace {
            Trace::Kustomize(_) => done.inputs.iter().filter_map(reported).collect(),
            Trace::Helm {
                chart_dir,
                values_files,
            } => values_files
                .iter()
                .filter(|p| **p != chart_dir.join("values.yaml"))
                .filter_map(reported)
                .collect(),
        };
        let file = register(path.clone(), done.rendered.text.clone());
        out.sources.push(RenderedSource {
            path,
            text: project.file(file),
            label: done.rendered.label.clone(),
            entry_path: project.file(origin.file).path.clone(),
            entry_span: origin.span,
            workloads: workloads.clone(),
            map,
            files,
            editable,
            inputs: done.inputs.iter().filter_map(reported).collect(),
        });
        out.manifests.push(ManifestFile { file, workloads });
    }
    out
}

/// The images of every artifact Skaffold builds in the run that deploys `config`, in build
/// order: Helm's setValueTemplates get IMAGE_* values for all of them, not only the config's
/// own (`pkg/skaffold/helm/args.go` `ConstructOverrideArgs` ranges over the run's builds;
/// `runcontext.Pipelines.Artifacts` concatenates every pipeline's). The run is that of the
/// config file no other config requires, its configs in Skaffold's load order: each
/// document's required configs first, depth first, each once (`parser.processEachConfig`).
/// The evaluated pipeline's own artifacts are taken after its profiles; required configs'
/// from their base.
fn run_images(project: &Project, config: &ConfigDoc, model: &PipelineModel) -> Vec<String> {
    let own: Vec<String> = model
        .artifacts
        .iter()
        .map(|a| a.image.value.clone())
        .collect();
    let same = |a: &ConfigDoc, b: &ConfigDoc| a.file == b.file && a.index == b.index;
    // Each document's required documents, as indices into `project.configs`.
    let requires = |doc: &ConfigDoc| -> Vec<usize> {
        let mut out = Vec::new();
        for required in doc.tree.get("requires").map(Val::items).unwrap_or(&[]) {
            let names: Vec<&str> = required
                .get("configs")
                .map(Val::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(Val::as_str)
                .collect();
            let file = match required.get("path").and_then(Val::as_str) {
                Some(rel) => match project.read(&required_config_path(&doc.dir, rel)) {
                    Ok(id) => id,
                    Err(_) => continue,
                },
                // A `configs` list without a path names documents of the same file.
                None => doc.file,
            };
            out.extend(project.configs.iter().enumerate().filter_map(|(i, c)| {
                let named = c.name.as_deref().is_some_and(|n| names.contains(&n));
                (c.file == file && (names.is_empty() || named) && !same(c, doc)).then_some(i)
            }));
        }
        out
    };
    let edges: Vec<Vec<usize>> = project.configs.iter().map(requires).collect();
    let required: std::collections::HashSet<usize> = edges.iter().flatten().copied().collect();
    fn visit(at: usize, edges: &[Vec<usize>], seen: &mut Vec<bool>, order: &mut Vec<usize>) {
        if seen[at] {
            return;
        }
        seen[at] = true;
        for &next in &edges[at] {
            visit(next, edges, seen, order);
        }
        order.push(at);
    }
    let Some(this) = project.configs.iter().position(|c| same(c, config)) else {
        return own;
    };
    // Top-level documents grouped by file, in file order: one `skaffold dev` each.
    let mut tops: Vec<FileId> = Vec::new();
    for (i, c) in project.configs.iter().enumerate() {
        if !required.contains(&i) && !tops.contains(&c.file) {
            tops.push(c.file);
        }
    }
    for file in tops {
        let mut seen = vec![false; project.configs.len()];
        let mut order = Vec::new();
        for (i, c) in project.configs.iter().enumerate() {
            if c.file == file {
                visit(i, &edges, &mut seen, &mut order);
            }
        }
        if !order.contains(&this) {
            continue;
        }
        let mut images = Vec::new();
        for i in order {
            if i == this {
                images.extend(own.iter().cloned());
                continue;
            }
            for artifact in project.configs[i]
                .tree
                .path(&["build", "artifacts"])
                .map(Val::items)
                .unwrap_or(&[])
            {
                if let Some(image) = artifact.get("image").and_then(Val::as_str) {
                    images.push(image.to_string());
                }
            }
        }
        return images;
    }
    own
}
