//! Effective pipelines and the rule run. Each config document is evaluated as its base pipeline
//! and once per profile (base + that profile, with its patches); with `-p` only the selected
//! combination is evaluated. A finding that appears only under profiles says which.

use super::load::{engine_diagnostic, normalize, ConfigDoc, Project};
use super::CheckOptions;
use crate::diagnostic::Diagnostic;
use crate::dockerfile::{self, Dockerfile};
use crate::k8s::{self, Workload};
use crate::rules::{self, Check};
use crate::skaffold::model::{self, Artifact, Builder, PipelineModel, Spanned};
use crate::skaffold::patch;
use crate::skaffold::profiles::{self, ActivationContext, ProfileSelection};
use crate::skaffold::tree::{FileId, Origin, Val};
use crate::source::{SourceFile, Span};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// One effective pipeline: a config document with the profiles of one evaluation applied.
pub struct Pipeline<'p> {
    pub project: &'p Project,
    pub config: &'p ConfigDoc,
    /// None for the base pipeline, else the profile(s) evaluated.
    pub profile: Option<String>,
    pub tree: Val,
    pub model: PipelineModel,
    /// One view per `model.artifacts` entry, same order.
    pub artifacts: Vec<ArtifactView>,
    pub manifests: Vec<ManifestFile>,
}

/// An artifact with what it resolves to on disk and in the manifests.
pub struct ArtifactView {
    /// The artifact's build context directory.
    pub context_dir: PathBuf,
    pub dockerfile: Option<DockerfileView>,
    /// The `.dockerignore` in force (`<Dockerfile>.dockerignore` first, then the context's).
    pub dockerignore: Option<DockerIgnoreView>,
    /// Manifest containers whose image is this artifact's image.
    pub containers: Vec<ContainerRef>,
    /// The context's file list, listed on first use and shared by every artifact (in every
    /// pipeline) with the same context: many rules need it, and walking the context again
    /// for each of them dominated a check.
    context_listing: Arc<ContextListing>,
    /// What the context's COPY/ADD instructions watch, computed once for the Dockerfile and
    /// build args it was first asked for (see [`crate::rules::sync::Watched::of`]).
    pub(crate) watched: OnceLock<(WatchedKey, Option<Arc<crate::rules::sync::Watched>>)>,
    /// The built image's external base and what it contains, resolved once: every rule that
    /// looks at the image asks for it.
    pub(crate) base_image: OnceLock<(Option<String>, Option<crate::image::ImageFacts>)>,
}

/// A context's file list, made on first use (`None`: unreadable or too large).
type ContextListing = OnceLock<Option<Arc<Vec<String>>>>;

/// What a cached watched set was computed from: the Dockerfile (by address: it is shared for
/// the whole run) and the build args.
pub(crate) type WatchedKey = (usize, HashMap<String, String>);

impl ArtifactView {
    /// Every file under the context, relative with `/` separators, sorted; `None` when the
    /// context cannot be read or is too large (see [`crate::rules::sync::context_files`]).
    pub fn context_files(&self) -> Option<Arc<Vec<String>>> {
        self.context_listing
            .get_or_init(|| crate::rules::sync::context_files(&self.context_dir).map(Arc::new))
            .clone()
    }
}

pub struct DockerIgnoreView {
    pub file: FileId,
    pub parsed: Arc<dockerfile::ignore::DockerIgnore>,
}

pub struct DockerfileView {
    pub file: FileId,
    pub path: PathBuf,
    pub parsed: Arc<Dockerfile>,
}

pub struct ManifestFile {
    pub file: FileId,
    pub workloads: Vec<Workload>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerRef {
    pub manifest: usize,
    pub workload: usize,
    pub container: usize,
    pub init: bool,
}

impl<'p> Pipeline<'p> {
    pub fn source(&self, file: FileId) -> Arc<SourceFile> {
        self.project.file(file)
    }

    /// The reported path of a file.
    pub fn path(&self, file: FileId) -> PathBuf {
        self.project.file(file).path.clone()
    }

    /// A diagnostic of `rule` at a config value's bytes.
    pub fn at(&self, rule: &rules::Rule, origin: Origin, message: impl Into<String>) -> Diagnostic {
        rule.diagnostic(self.path(origin.file), origin.span, message)
    }

    /// A diagnostic at a config value's key (`sync:` rather than its whole block).
    pub fn at_key(
        &self,
        rule: &rules::Rule,
        origin: Origin,
        message: impl Into<String>,
    ) -> Diagnostic {
        rule.diagnostic(
            self.path(origin.file),
            origin.key_span.unwrap_or(origin.span),
            message,
        )
    }

    /// Artifacts with their views.
    pub fn artifacts(&self) -> impl Iterator<Item = (&Artifact, &ArtifactView)> {
        self.model.artifacts.iter().zip(&self.artifacts)
    }

    pub fn container(&self, r: ContainerRef) -> (&ManifestFile, &Workload, &k8s::Container) {
        let manifest = &self.manifests[r.manifest];
        let workload = &manifest.workloads[r.workload];
        let list = if r.init {
            &workload.init_containers
        } else {
            &workload.containers
        };
        (manifest, workload, &list[r.container])
    }
}

/// A parsed file, or where and why parsing failed.
type Parsed<T> = Result<Arc<T>, (Span, String)>;

/// Parsed Dockerfiles, `.dockerignore` files and manifests, and context listings, shared by
/// all pipelines: profiles mostly repeat the base pipeline's artifacts.
#[derive(Default)]
struct Cache {
    dockerfiles: Mutex<HashMap<FileId, Parsed<Dockerfile>>>,
    dockerignores: Mutex<HashMap<FileId, Arc<dockerfile::ignore::DockerIgnore>>>,
    manifests: Mutex<HashMap<FileId, Parsed<Vec<Workload>>>>,
    contexts: Mutex<HashMap<PathBuf, Arc<ContextListing>>>,
}

struct Evaluation {
    config: usize,
    profile: Option<String>,
    tree: Val,
    /// Problems building this evaluation (bad patch paths, unknown -p names).
    problems: Vec<Diagnostic>,
}

pub fn run_rules(project: &Project, options: &CheckOptions) -> Vec<Diagnostic> {
    let selection = ProfileSelection::from_flags(&options.profiles);
    let ctx = ActivationContext {
        command: Some(options.command.clone().unwrap_or_else(|| "dev".to_string())),
        kube_context: options.kube_context.clone(),
        env: None,
    };
    let evaluations: Vec<Evaluation> = project
        .configs
        .iter()
        .enumerate()
        .flat_map(|(i, config)| evaluations(project, i, config, &selection, &ctx))
        .collect();
    let cache = Cache::default();
    let per_evaluation: Vec<(Option<String>, Vec<Diagnostic>)> = evaluations
        .into_par_iter()
        .map(|evaluation| {
            let config = &project.configs[evaluation.config];
            let mut found = evaluation.problems;
            let pipeline = build(
                project,
                config,
                evaluation.profile.clone(),
                evaluation.tree,
                &cache,
                &mut found,
            );
            // Rules are independent: run them in parallel too, since a project often has a
            // single pipeline. Findings are kept in rule order, as a serial run gives them.
            let per_rule: Vec<Vec<Diagnostic>> = rules::all()
                .par_iter()
                .filter_map(|rule| match rule.check {
                    Check::Pipeline(check) => {
                        let mut out = Vec::new();
                        check(&pipeline, &mut out);
                        Some(out)
                    }
                    _ => None,
                })
                .collect();
            found.extend(per_rule.into_iter().flatten());
            (evaluation.profile, found)
        })
        .collect();

    let mut diagnostics: Vec<Diagnostic> = project.load_diagnostics.clone();
    for file in &project.config_files {
        for rule in rules::all() {
            if let Check::ConfigFile(check) = rule.check {
                check(file, &mut diagnostics);
            }
        }
    }
    diagnostics.extend(merge_profiles(per_evaluation));
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
    diagnostics
}

/// Calls `query` on every effective pipeline `run_rules` would check (the dev pipeline of each
/// config document, then each profile on top of it; with `-p` only the selected one), in
/// order. For queries on the model such as `explain`.
pub fn map_pipelines<T>(
    project: &Project,
    options: &CheckOptions,
    mut query: impl FnMut(&Pipeline) -> T,
) -> Vec<T> {
    let selection = ProfileSelection::from_flags(&options.profiles);
    let ctx = ActivationContext {
        command: Some(options.command.clone().unwrap_or_else(|| "dev".to_string())),
        kube_context: options.kube_context.clone(),
        env: None,
    };
    let cache = Cache::default();
    let mut answers = Vec::new();
    for (i, config) in project.configs.iter().enumerate() {
        for evaluation in evaluations(project, i, config, &selection, &ctx) {
            let mut ignored = Vec::new();
            let pipeline = build(
                project,
                config,
                evaluation.profile,
                evaluation.tree,
                &cache,
                &mut ignored,
            );
            answers.push(query(&pipeline));
        }
    }
    answers
}

fn evaluations(
    project: &Project,
    index: usize,
    config: &ConfigDoc,
    selection: &ProfileSelection,
    ctx: &ActivationContext,
) -> Vec<Evaluation> {
    let profiles: Vec<Val> = config
        .tree
        .get("profiles")
        .map(|p| p.items().to_vec())
        .unwrap_or_default();
    let path = project.file(config.file).path.clone();
    let schema = config
        .api_version
        .as_deref()
        .and_then(crate::skaffold::schema::known_version)
        .and_then(crate::skaffold::schema::schema_for);
    let apply = |chosen: &[usize], problems: &mut Vec<Diagnostic>| -> Val {
        let mut tree = config.tree.clone();
        for &i in chosen {
            let profile = &profiles[i];
            profiles::overlay(&mut tree, profile);
            let patches = profile.get("patches").map(Val::items).unwrap_or(&[]);
            let before_drop = (!patches.is_empty()).then(|| tree.clone());
            if !patches.is_empty() {
                patch::drop_empty_collections(&mut tree);
            }
            for p in patches {
                let value_problem = schema.and_then(|schema| {
                    let path = p.get("path").and_then(Val::as_str)?;
                    let op = p.get("op").and_then(Val::as_str).unwrap_or("replace");
                    let value = p.get("value").filter(|_| op == "add" || op == "replace")?;
                    patch::value_type_problem(schema, path, value).map(|m| (value.origin.span, m))
                });
                if let Some((span, message)) = value_problem {
                    problems.push(engine_diagnostic(
                        "SCHEMA008",
                        &path,
                        span,
                        format!("profile {message} when this profile is active"),
                    ));
                }
                if let Err(e) = patch::apply(&mut tree, p) {
                    let span = p.get("path").map_or(p.origin.span, |v| v.origin.span);
                    problems.push(engine_diagnostic(
                        "SCHEMA008",
                        &path,
                        span,
                        format!(
                            "profile patch fails: {}{}; Skaffold aborts when this profile is active",
                            e.message,
                            if before_drop.as_ref().is_some_and(|t| {
                                p.get("path").and_then(Val::as_str).is_some_and(|path| patch::path_is_empty_collection(t, path))
                            }) {
                                " (the config has an empty list or map there, which Skaffold drops before patching: it re-marshals the config with `omitempty`)"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            }
        }
        tree
    };
    let name_of = |i: usize| {
        profiles[i]
            .get("name")
            .and_then(Val::as_str)
            .unwrap_or("")
            .to_string()
    };
    if !selection.is_empty() {
        let (chosen, _unknown) = profiles::active_profiles(&profiles, selection, ctx);
        let mut problems = Vec::new();
        let tree = apply(&chosen, &mut problems);
        // The user chose this pipeline: its findings are not "only under a profile".
        return vec![Evaluation {
            config: index,
            profile: None,
            tree,
            problems,
        }];
    }
    // Without `-p`, Skaffold still applies the profiles auto-activated for the command (`dev`),
    // first and in file order (`pkg/skaffold/schema/profiles.go`, ApplyProfiles): that is the
    // pipeline `skaffold dev` runs, and each other profile is evaluated on top of them.
    let (auto, _) = profiles::active_profiles(&profiles, &ProfileSelection::default(), ctx);
    let mut base_problems: Vec<Diagnostic> = profiles::auto_profiles_overriding(&profiles, &auto)
        .into_iter()
        .map(|(span, message)| engine_diagnostic("SCHEMA012", &path, span, message))
        .collect();
    let base_tree = if auto.is_empty() {
        config.tree.clone()
    } else {
        apply(&auto, &mut base_problems)
    };
    let mut out = vec![Evaluation {
        config: index,
        profile: None,
        tree: base_tree,
        problems: base_problems,
    }];
    for i in (0..profiles.len()).filter(|i| !auto.contains(i)) {
        let mut problems = Vec::new();
        let chosen: Vec<usize> = auto.iter().copied().chain([i]).collect();
        let tree = apply(&chosen, &mut problems);
        out.push(Evaluation {
            config: index,
            profile: Some(name_of(i)),
            tree,
            problems,
        });
    }
    out
}

/// Keeps one copy of each finding; one found only under profiles names them.
fn merge_profiles(per_evaluation: Vec<(Option<String>, Vec<Diagnostic>)>) -> Vec<Diagnostic> {
    let mut merged: Vec<Diagnostic> = Vec::new();
    let mut index: HashMap<(String, PathBuf, Span, String), usize> = HashMap::new();
    for (profile, found) in per_evaluation {
        for mut d in found {
            let key = (
                d.code.to_string(),
                d.path.clone(),
                d.span,
                d.message.clone(),
            );
            match index.get(&key) {
                Some(&i) => {
                    let existing = &mut merged[i];
                    match (&mut existing.profile, &profile) {
                        (_, None) => existing.profile = None,
                        (Some(names), Some(p)) if !names.split(',').any(|n| n == p) => {
                            names.push(',');
                            names.push_str(p);
                        }
                        _ => {}
                    }
                }
                None => {
                    d.profile = profile.clone();
                    index.insert(key, merged.len());
                    merged.push(d);
                }
            }
        }
    }
    merged
}

fn build<'p>(
    project: &'p Project,
    config: &'p ConfigDoc,
    profile: Option<String>,
    tree: Val,
    cache: &Cache,
    problems: &mut Vec<Diagnostic>,
) -> Pipeline<'p> {
    let model = model::extract(&tree);
    let config_path = project.file(config.file).path.clone();
    let mut manifests = Vec::new();
    let mut manifest_paths = Vec::new();
    let mut seen_paths = HashSet::new();
    for pattern in &model.raw_manifests {
        // URLs and `gs://` are downloaded; `{{ }}` is expanded from the environment first.
        if pattern.value.contains("://") || pattern.value.contains("{{") {
            continue;
        }
        let matched = glob_files(&config.dir, &pattern.value);
        if matched.is_empty() {
            problems.push(unmatched_manifest(&config_path, pattern));
        }
        for path in matched {
            if seen_paths.insert(path.clone()) {
                manifest_paths.push(path);
            }
        }
    }
    for path in manifest_paths {
        let Ok(file) = project.read(&path) else {
            continue;
        };
        let parsed = cache
            .manifests
            .lock()
            .expect("cache")
            .entry(file)
            .or_insert_with(|| {
                k8s::workloads(&project.file(file).text)
                    .map(Arc::new)
                    .map_err(|e| (e.span, e.message))
            })
            .clone();
        match parsed {
            Ok(workloads) => manifests.push(ManifestFile {
                file,
                workloads: workloads.as_ref().clone(),
            }),
            Err((span, message)) => problems.push(engine_diagnostic(
                "SCHEMA001",
                &project.file(file).path,
                span,
                format!("invalid YAML: {message}"),
            )),
        }
    }
    // Never silence: say which manifests the container checks could not see.
    for unanalysed in &model.unanalysed {
        problems.push(engine_diagnostic(
            "SCHEMA009",
            &project.file(unanalysed.origin.file).path,
            unanalysed.origin.span,
            format!(
                "`{}` manifests are not analysed: skafix reads raw Kubernetes YAML only, so checks that need the deployed containers (commands, volumes, which pods run the image) are skipped for them",
                unanalysed.value
            ),
        ));
    }
    let containers = containers_by_image(&manifests);
    // Each view reads and parses its own files; problems stay in artifact order.
    let (artifacts, view_problems): (Vec<ArtifactView>, Vec<Vec<Diagnostic>>) = model
        .artifacts
        .par_iter()
        .map(|artifact| {
            let mut found = Vec::new();
            let view = artifact_view(project, config, artifact, &containers, cache, &mut found);
            (view, found)
        })
        .unzip();
    problems.extend(view_problems.into_iter().flatten());
    Pipeline {
        project,
        config,
        profile,
        tree,
        model,
        artifacts,
        manifests,
    }
}

/// Every manifest container by the image name it runs, in manifest order, so each artifact
/// finds its containers without scanning every manifest.
fn containers_by_image(manifests: &[ManifestFile]) -> HashMap<String, Vec<ContainerRef>> {
    let mut by_image: HashMap<String, Vec<ContainerRef>> = HashMap::new();
    for (m, manifest) in manifests.iter().enumerate() {
        for (w, workload) in manifest.workloads.iter().enumerate() {
            for (init, list) in [
                (false, &workload.containers),
                (true, &workload.init_containers),
            ] {
                for (c, container) in list.iter().enumerate() {
                    let Some(image) = container.image.as_ref() else {
                        continue;
                    };
                    by_image
                        .entry(k8s::image_name(&image.value).to_string())
                        .or_default()
                        .push(ContainerRef {
                            manifest: m,
                            workload: w,
                            container: c,
                            init,
                        });
                }
            }
        }
    }
    by_image
}

fn artifact_view(
    project: &Project,
    config: &ConfigDoc,
    artifact: &Artifact,
    containers: &HashMap<String, Vec<ContainerRef>>,
    cache: &Cache,
    problems: &mut Vec<Diagnostic>,
) -> ArtifactView {
    let context_dir = normalize(&config.dir.join(&artifact.context));
    let context_listing = cache
        .contexts
        .lock()
        .expect("cache")
        .entry(context_dir.clone())
        .or_default()
        .clone();
    let mut view = ArtifactView {
        context_dir: context_dir.clone(),
        dockerfile: None,
        dockerignore: None,
        containers: containers
            .get(artifact.image.value.as_str())
            .cloned()
            .unwrap_or_default(),
        context_listing,
        watched: OnceLock::new(),
        base_image: OnceLock::new(),
    };
    let Builder::Dockerfile(docker) = &artifact.builder else {
        return view;
    };
    let dockerfile_path = normalize(&context_dir.join(&docker.dockerfile.value));
    match project.read(&dockerfile_path) {
        Ok(file) => {
            let parsed = cached(&cache.dockerfiles, file, || {
                dockerfile::parse(&project.file(file).text)
                    .map(Arc::new)
                    .map_err(|e| (e.span, e.message))
            });
            match parsed {
                Ok(parsed) => {
                    view.dockerfile = Some(DockerfileView {
                        file,
                        path: dockerfile_path.clone(),
                        parsed,
                    })
                }
                Err((span, message)) => problems.push(engine_diagnostic(
                    "SCHEMA001",
                    &project.file(file).path,
                    span,
                    format!("invalid Dockerfile: {message}"),
                )),
            }
        }
        Err(reason) => {
            let at = artifact_point(docker.dockerfile.origin, &docker.dockerfile);
            problems.push(engine_diagnostic(
                "SCHEMA007",
                &project.file(at.file).path,
                at.span,
                format!(
                    "Dockerfile `{}` of artifact `{}` cannot be read: {reason}",
                    relative_to(&dockerfile_path, &config.dir).display(),
                    artifact.image.value
                ),
            ));
        }
    }
    view.dockerignore = dockerfile::ignore::find_ignore_file(&context_dir, &dockerfile_path)
        .and_then(|path| project.read(&path).ok())
        .map(|file| DockerIgnoreView {
            file,
            parsed: cached(&cache.dockerignores, file, || {
                Arc::new(dockerfile::ignore::DockerIgnore::parse(
                    &project.file(file).text,
                ))
            }),
        });
    view
}

/// The cached value for `file`, made outside the lock so views built in parallel do not wait
/// on each other's parsing (two may parse the same file; the first one stored is kept).
fn cached<T: Clone>(map: &Mutex<HashMap<FileId, T>>, file: FileId, make: impl FnOnce() -> T) -> T {
    if let Some(known) = map.lock().expect("cache").get(&file) {
        return known.clone();
    }
    let made = make();
    map.lock()
        .expect("cache")
        .entry(file)
        .or_insert(made)
        .clone()
}

/// Where to point for a defaulted value: the value if written, else its parent's key.
fn artifact_point(origin: Origin, value: &Spanned<String>) -> Origin {
    let _ = value;
    Origin {
        span: origin
            .key_span
            .filter(|_| origin.span.is_empty())
            .unwrap_or(origin.span),
        ..origin
    }
}

/// SCHEMA007 for a manifest path or glob that names no file. Skaffold only warns ("did not
/// match any file", `pkg/skaffold/util/util.go` ExpandPathsGlob) and deploys the rest, so this
/// is a warning; a path under a build output folder is usually written by a build step.
fn unmatched_manifest(config_path: &Path, pattern: &Spanned<String>) -> Diagnostic {
    let mut d = engine_diagnostic(
        "SCHEMA007",
        config_path,
        pattern.origin.span,
        format!(
            "no manifest file matches `{}`: Skaffold only warns (\"did not match any file\") and deploys none of it",
            pattern.value
        ),
    );
    d.severity = crate::diagnostic::Severity::Warning;
    if let Some(folder) = build_output_folder(&pattern.value) {
        d.message.push_str(&format!(
            "; `{folder}/` is a build output folder, so these files may be generated at build time and exist only after that build step runs"
        ));
    }
    d
}

/// The first component of a relative path that names a folder build tools write their output
/// to (Maven/Gradle/JKube `target`/`build`, npm `dist`/`out`, Skaffold's own hydration dir).
fn build_output_folder(pattern: &str) -> Option<&str> {
    const OUTPUT_FOLDERS: &[&str] = &[
        "target",
        "build",
        "dist",
        "out",
        "output",
        "generated",
        ".skaffold",
        "_output",
    ];
    pattern
        .trim_start_matches("./")
        .split('/')
        .take_while(|part| !part.contains(['*', '?', '[', '{']))
        .find(|part| OUTPUT_FOLDERS.contains(part))
}

/// Whether a file found through a glob or directory is deployed: Skaffold refuses files
/// without a Kubernetes extension unless they are named directly
/// (`pkg/skaffold/render/generate/generate.go`, HasKubernetesFileExtension).
fn has_kubernetes_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
}

/// Files a manifest entry deploys, like Skaffold's ExpandPathsGlob: an existing path is taken
/// as it is (a directory brings every file below it), else the `filepath.Glob` matches, each
/// matched directory bringing its files too.
fn glob_files(dir: &Path, pattern: &str) -> Vec<PathBuf> {
    let full = normalize(&dir.join(pattern));
    if full.is_file() {
        return vec![full];
    }
    if full.is_dir() {
        return files_below(&full);
    }
    if !pattern.contains(['*', '?', '[']) {
        return Vec::new();
    }
    let Ok(glob) = globset::GlobBuilder::new(&full.to_string_lossy())
        .literal_separator(true)
        .build()
    else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    // Walk only below the pattern's literal prefix.
    let literal: PathBuf = full
        .components()
        .take_while(|c| {
            !c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{'])
        })
        .collect();
    let mut found: Vec<PathBuf> = files_below(&literal)
        .into_iter()
        .filter(|p| p.ancestors().any(|a| matcher.is_match(a)))
        .collect();
    found.sort();
    found
}

/// Every Kubernetes-extension file below `dir`, sorted.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(|e| normalize(e.path()))
        .filter(|p| has_kubernetes_extension(p))
        .collect();
    found.sort();
    found
}

/// `path` relative to `base` (`../app/Dockerfile` when it is beside it; both are normalized).
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let path_parts: Vec<_> = path.components().collect();
    let base_parts: Vec<_> = base.components().collect();
    let common = path_parts
        .iter()
        .zip(&base_parts)
        .take_while(|(a, b)| a == b)
        .count();
    // Paths on different roots (or a base with `..` left) have no relative form.
    if common == 0 && (path.is_absolute() || base.is_absolute()) {
        return path.to_path_buf();
    }
    let mut relative = PathBuf::new();
    for part in &base_parts[common..] {
        if matches!(part, std::path::Component::ParentDir) {
            return path.to_path_buf();
        }
        relative.push("..");
    }
    for part in &path_parts[common..] {
        relative.push(part.as_os_str());
    }
    relative
}

/// What `skafix probe` looks for in the cluster: every artifact of the profile-resolved configs
/// (auto-activated profiles for `dev` plus `-p`), with its sync rules, destinations and
/// container hooks.
pub fn probe_targets(project: &Project, options: &CheckOptions) -> Vec<crate::probe::ProbeTarget> {
    use crate::skaffold::model::{HookCommand, SyncMode};
    let selection = ProfileSelection::from_flags(&options.profiles);
    let ctx = ActivationContext {
        command: Some(options.command.clone().unwrap_or_else(|| "dev".to_string())),
        kube_context: options.kube_context.clone(),
        env: None,
    };
    let cache = Cache::default();
    let mut targets = Vec::new();
    for config in &project.configs {
        let profiles: Vec<Val> = config
            .tree
            .get("profiles")
            .map(|p| p.items().to_vec())
            .unwrap_or_default();
        let (chosen, _) = profiles::active_profiles(&profiles, &selection, &ctx);
        let mut tree = config.tree.clone();
        for i in chosen {
            profiles::overlay(&mut tree, &profiles[i]);
            for p in profiles[i].get("patches").map(Val::items).unwrap_or(&[]) {
                // A failing patch is reported by `check`; the probe uses what applies.
                let _ = patch::apply(&mut tree, p);
            }
        }
        let mut ignored = Vec::new();
        let pipeline = build(project, config, None, tree, &cache, &mut ignored);
        for (artifact, view) in pipeline.artifacts() {
            let workdir = super::runtime::BuiltImage::of(artifact, view).and_then(|b| b.workdir());
            let mut target = crate::probe::ProbeTarget {
                image: artifact.image.value.clone(),
                config_path: project.file(config.file).path.clone(),
                image_span: artifact.image.origin.span,
                context_dir: view.context_dir.clone(),
                ..Default::default()
            };
            if let Some(sync) = &artifact.sync {
                match &sync.mode {
                    SyncMode::Manual(rules) => {
                        for rule in rules {
                            target.sync_rules.push(crate::probe::SyncRule {
                                src: rule.src.value.clone(),
                                dest: rule.dest.value.clone(),
                                strip: rule
                                    .strip
                                    .as_ref()
                                    .map(|s| s.value.clone())
                                    .unwrap_or_default(),
                            });
                            let dest = match (&workdir, rule.dest.value.starts_with('/')) {
                                (Some(w), false) => {
                                    format!("{}/{}", w.trim_end_matches('/'), rule.dest.value)
                                }
                                _ => rule.dest.value.clone(),
                            };
                            if !target.sync_dests.contains(&dest) {
                                target.sync_dests.push(dest);
                            }
                        }
                    }
                    SyncMode::Infer(_) | SyncMode::DefaultInfer | SyncMode::Auto(_) => {
                        if let Some(w) = &workdir {
                            target.sync_dests.push(w.clone());
                        }
                    }
                }
                for hook in sync
                    .before
                    .iter()
                    .chain(&sync.after)
                    .filter(|h| h.in_container)
                {
                    if let HookCommand::Argv { .. } = hook.command {
                        target.hooks.extend(hook.command.argv());
                    }
                }
            }
            targets.push(target);
        }
    }
    targets
}
