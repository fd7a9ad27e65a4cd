//! Gathers rendered manifests for a pipeline: finds its kustomize paths and Helm releases
//! (`manifests.*`, and `deploy.*` of older configs), renders them in parallel through
//! [`crate::render`], and turns each output into a manifest source with its origin map.

use super::load::{normalize, ConfigDoc, Project};
use super::ManifestFile;
use crate::k8s;
use crate::render::origin::{self, RenderedSource};
use crate::render::{helm, kustomize, NotAnalysed, RenderCache, Rendered};
use crate::skaffold::model::{PipelineModel, Spanned};
use crate::skaffold::tree::{FileId, Origin, Val};
use crate::source::SourceFile;
use rayon::prelude::*;
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

fn run_job(
    job: &Job<'_>,
    cache: &RenderCache,
    config_dir: &Path,
    root: &Path,
    images: &[String],
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
    let images: Vec<String> = model
        .artifacts
        .iter()
        .map(|a| a.image.value.clone())
        .collect();
    let results: Vec<Result<Done, NotAnalysed>> = jobs
        .par_iter()
        .map(|job| run_job(job, cache, config_dir, &root, &images))
        .collect();
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
        let map = match &done.trace {
            Trace::Kustomize(tree) => origin::map_kustomize(
                &done.rendered.text,
                &workloads,
                &done.rendered.document_origins,
                &tree.patch_files,
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
        let file = register(path.clone(), done.rendered.text.clone());
        out.sources.push(RenderedSource {
            path,
            text: project.file(file),
            label: done.rendered.label.clone(),
            entry_path: project.file(origin.file).path.clone(),
            entry_span: origin.span,
            workloads: workloads.clone(),
            map,
        });
        out.manifests.push(ManifestFile { file, workloads });
    }
    out
}
