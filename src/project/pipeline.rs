//! Effective pipelines and the rule run. Each config document is evaluated as its base pipeline
//! and once per profile (base + that profile, with its patches); with `-p` only the selected
//! combination is evaluated. A finding that appears only under profiles says which.

use super::load::{engine_diagnostic, normalize, ConfigDoc, Project};
use super::memo::{remember, remember_text, CheckMemo, Parsed};
use super::CheckOptions;
use crate::diagnostic::Diagnostic;
use crate::dockerfile::{self, Dockerfile};
use crate::k8s::{self, Workload};
use crate::skaffold::model::{self, Artifact, Builder, PipelineModel, Spanned};
use crate::skaffold::patch;
use crate::skaffold::profiles::{self, ActivationContext, ProfileSelection};
use crate::skaffold::tree::{FileId, Origin, Val};
use crate::source::{SourceFile, Span};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// One effective pipeline: a config document with the profiles of one evaluation applied.
pub struct Pipeline<'p> {
    pub project: &'p Project,
    pub config: &'p ConfigDoc,
    /// None for the base pipeline, else the profile(s) evaluated.
    pub profile: Option<String>,
    /// The config with the evaluated profiles applied (the config's own tree, shared, when
    /// none is).
    pub tree: Arc<Val>,
    pub model: PipelineModel,
    /// One view per `model.artifacts` entry, same order.
    pub artifacts: Vec<ArtifactView>,
    pub manifests: Vec<ManifestFile>,
    /// Rendered manifest sources among `manifests`, with their origin maps.
    pub rendered: Vec<crate::render::origin::RenderedSource>,
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
    /// The context's file list and watched sets, made on first use and shared by every
    /// artifact (in every pipeline) with the same context: many rules need them, and walking
    /// the context again for each of them dominated a check.
    pub(crate) context: Arc<ContextState>,
    /// What the context's COPY/ADD instructions watch, computed once for the Dockerfile and
    /// build args it was first asked for (see [`super::watch::Watched::of`]).
    pub(crate) watched: OnceLock<(WatchedKey, Option<Arc<super::watch::Watched>>)>,
    /// The built image's external base and what it contains, resolved once: every rule that
    /// looks at the image asks for it.
    pub(crate) base_image: OnceLock<(Option<String>, Option<crate::image::ImageFacts>)>,
    /// The artifact's build args with values, collected once: every rule that looks at the
    /// built image asks for them.
    pub(crate) build_args: OnceLock<Arc<HashMap<String, String>>>,
    /// What the deployed containers run, made once (see [`super::runtime::shared_processes`]).
    pub(crate) processes: OnceLock<super::runtime::Processes>,
}

/// What is known of one build context directory.
#[derive(Default)]
pub(crate) struct ContextState {
    /// The file list, made on first use.
    listing: OnceLock<Result<Arc<Vec<String>>, super::watch::Unlisted>>,
    /// Watched sets made from the listing, by what they were made from (artifacts of one
    /// context built with different Dockerfiles, targets or build args differ).
    pub(crate) watched: Mutex<Vec<super::watch::WatchedEntry>>,
}

/// What a cached watched set was computed from: the Dockerfile (by address: it is shared for
/// the whole run) and the build args.
pub(crate) type WatchedKey = (usize, HashMap<String, String>);

impl ArtifactView {
    /// Every file under the context, relative with `/` separators, sorted; `None` when the
    /// context cannot be read or is too large (see [`super::watch::context_files`]).
    pub fn context_files(&self) -> Option<Arc<Vec<String>>> {
        self.context
            .listing
            .get_or_init(|| super::watch::context_files(&self.context_dir).map(Arc::new))
            .clone()
            .ok()
    }

    /// Whether a rule asked for the context's file list and the context was too large to list.
    fn context_too_large(&self) -> bool {
        matches!(
            self.context.listing.get(),
            Some(Err(super::watch::Unlisted::TooLarge))
        )
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

/// What the rules could not analyse in `pipeline` because of a limit: a build context with too
/// many files to list (SCHEMA009, at the artifact's image). The listing is made when a rule
/// first needs it, so this is asked after the rules ran.
pub fn unlisted_contexts(pipeline: &Pipeline) -> Vec<Diagnostic> {
    pipeline
        .artifacts()
        .filter(|(_, view)| view.context_too_large())
        .map(|(artifact, _)| {
            engine_diagnostic(
                "SCHEMA009",
                &pipeline.path(artifact.image.origin.file),
                artifact.image.origin.span,
                format!(
                    "the build context `{}` of `{}` is not analysed: it holds more than {} files (counting those .dockerignore leaves out), the most skafix lists; checks that need its files (sync rules, .dockerignore, rebuild triggers, reload watch) are skipped for it",
                    artifact.context,
                    artifact.image.value,
                    super::watch::MAX_CONTEXT_FILES
                ),
            )
        })
        .collect()
}

/// What the evaluations parsed and listed, handed back so that freeing it is the caller's
/// choice (see [`crate::engine::CheckOutcome::retained`]).
pub struct Built(#[allow(dead_code)] Cache);

/// Parsed Dockerfiles, `.dockerignore` files and manifests, and context listings, shared by
/// all pipelines: profiles mostly repeat the base pipeline's artifacts. With a memo (the fix
/// loop's checks), what does not depend on this check's texts comes from earlier checks.
#[derive(Default)]
struct Cache {
    dockerfiles: Slots<Parsed<Dockerfile>>,
    dockerignores: Slots<Arc<dockerfile::ignore::DockerIgnore>>,
    manifests: Slots<Parsed<Vec<Workload>>>,
    contexts: Mutex<HashMap<PathBuf, Arc<ContextState>>>,
    /// Renderer runs, and the generated sources made from their output.
    render: crate::render::RenderCache,
    generated: Mutex<HashMap<(PathBuf, String), FileId>>,
    memo: CheckMemo,
}

impl Cache {
    fn new(options: &CheckOptions) -> Cache {
        Cache {
            render: crate::render::RenderCache::new(options.render.clone(), &options.paths)
                .with_overlay(options.overlay.clone()),
            memo: options.memo.clone(),
            ..Cache::default()
        }
    }

    fn context(&self, dir: &Path) -> Arc<ContextState> {
        let contexts = match self.memo.get() {
            Some(memo) => &memo.contexts,
            None => &self.contexts,
        };
        contexts
            .lock()
            .expect("cache")
            .entry(dir.to_path_buf())
            .or_default()
            .clone()
    }

    fn dockerfile(&self, project: &Project, file: FileId) -> Parsed<Dockerfile> {
        cached(&self.dockerfiles, file, || {
            let source = project.file(file);
            let parse = || {
                dockerfile::parse(&source.text)
                    .map(Arc::new)
                    .map_err(|e| (e.span, e.message))
            };
            match self.memo.get() {
                Some(memo) => remember_text(&memo.dockerfiles, &source.text, parse),
                None => parse(),
            }
        })
    }

    fn dockerignore(
        &self,
        project: &Project,
        file: FileId,
    ) -> Arc<dockerfile::ignore::DockerIgnore> {
        cached(&self.dockerignores, file, || {
            let source = project.file(file);
            let parse = || Arc::new(dockerfile::ignore::DockerIgnore::parse(&source.text));
            match self.memo.get() {
                Some(memo) => remember_text(&memo.dockerignores, &source.text, parse),
                None => parse(),
            }
        })
    }

    fn manifest(&self, project: &Project, file: FileId) -> Parsed<Vec<Workload>> {
        cached(&self.manifests, file, || {
            let source = project.file(file);
            let parse = || {
                k8s::workloads(&source.text)
                    .map(Arc::new)
                    .map_err(|e| (e.span, e.message))
            };
            match self.memo.get() {
                Some(memo) => remember_text(&memo.manifests, &source.text, parse),
                None => parse(),
            }
        })
    }

    fn manifest_files(&self, dir: &Path, pattern: &str) -> Vec<PathBuf> {
        match self.memo.get() {
            Some(memo) => remember(
                &memo.manifest_globs,
                (dir.to_path_buf(), pattern.to_string()),
                || glob_files(dir, pattern),
            ),
            None => glob_files(dir, pattern),
        }
    }

    fn ignore_file(&self, context: &Path, dockerfile: &Path) -> Option<PathBuf> {
        match self.memo.get() {
            Some(memo) => remember(
                &memo.ignore_files,
                (context.to_path_buf(), dockerfile.to_path_buf()),
                || dockerfile::ignore::find_ignore_file(context, dockerfile),
            ),
            None => dockerfile::ignore::find_ignore_file(context, dockerfile),
        }
    }
}

struct Evaluation {
    config: usize,
    profile: Option<String>,
    /// The profiles applied, in order (see [`apply_profiles`]).
    chosen: Vec<usize>,
    /// Problems building this evaluation (bad patch paths, unknown -p names).
    problems: Vec<Diagnostic>,
}

/// Builds every evaluation of every config document (the base pipeline and each profile, or
/// only the `-p` selection) in parallel and hands each pipeline, with the problems found while
/// building it, to `visit`. Returns each evaluation's profile (None for the base or the chosen
/// selection) with what `visit` made of it.
pub fn evaluate<T, F>(
    project: &Project,
    options: &CheckOptions,
    visit: F,
) -> (Vec<(Option<String>, T)>, Built)
where
    T: Send,
    F: Fn(&Pipeline, Vec<Diagnostic>) -> T + Sync,
{
    let selection = ProfileSelection::from_flags(&options.profiles);
    let ctx = activation_context(options);
    let evaluations: Vec<Evaluation> = project
        .configs
        .iter()
        .enumerate()
        .flat_map(|(i, config)| evaluations(project, i, config, &selection, &ctx))
        .collect();
    let cache = Cache::new(options);
    let built = crate::parallel::map_owned(project.parallel, evaluations, |evaluation| {
        let config = &project.configs[evaluation.config];
        let mut problems = evaluation.problems;
        let tree = apply_profiles(project, config, &evaluation.chosen, &mut problems);
        let pipeline = build(
            project,
            config,
            evaluation.profile.clone(),
            tree,
            &cache,
            &mut problems,
        );
        (evaluation.profile, pipeline, problems)
    });
    watch_synced_contexts(
        project.parallel,
        built.iter().map(|(_, pipeline, _)| pipeline),
    );
    let made =
        crate::parallel::map_owned(project.parallel, built, |(profile, pipeline, problems)| {
            (profile, visit(&pipeline, problems))
        });
    (made, Built(cache))
}

/// Lists each synced build context and makes its watched set, once and side by side, before
/// the rules run. Evaluations run together check the same artifacts in the same order: left to
/// the rules, they would reach a context at the same moment, one thread waiting for the other's
/// listing and both making the same watched set.
fn watch_synced_contexts<'a, 'p: 'a>(
    parallel: bool,
    pipelines: impl Iterator<Item = &'a Pipeline<'p>>,
) {
    let mut seen = HashSet::new();
    let synced: Vec<(&Artifact, &ArtifactView)> = pipelines
        .flat_map(Pipeline::artifacts)
        .filter(|(artifact, view)| {
            artifact.sync.is_some() && seen.insert(Arc::as_ptr(&view.context))
        })
        .collect();
    crate::parallel::map(parallel, &synced, |(artifact, view)| {
        if let Some(built) = super::runtime::BuiltImage::of(artifact, view) {
            super::watch::Watched::of(view, built.dockerfile, &built.build_args);
        }
    });
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
            let tree = apply_profiles(project, config, &evaluation.chosen, &mut ignored);
            let pipeline = build(
                project,
                config,
                evaluation.profile,
                tree,
                &cache,
                &mut ignored,
            );
            answers.push(query(&pipeline));
        }
    }
    answers
}

/// The evaluations of one config document, each with the profiles it applies; their trees are
/// made later, by [`apply_profiles`].
fn evaluations(
    project: &Project,
    index: usize,
    config: &ConfigDoc,
    selection: &ProfileSelection,
    ctx: &ActivationContext,
) -> Vec<Evaluation> {
    let profiles: &[Val] = config.tree.get("profiles").map_or(&[], Val::items);
    let path = project.file(config.file).path.clone();
    let name_of = |i: usize| {
        profiles[i]
            .get("name")
            .and_then(Val::as_str)
            .unwrap_or("")
            .to_string()
    };
    if !selection.is_empty() {
        let (chosen, _unknown) = profiles::active_profiles(profiles, selection, ctx);
        // The user chose this pipeline: its findings are not "only under a profile".
        return vec![Evaluation {
            config: index,
            profile: None,
            chosen,
            problems: Vec::new(),
        }];
    }
    // Without `-p`, Skaffold still applies the profiles auto-activated for the command (`dev`),
    // first and in file order (`pkg/skaffold/schema/profiles.go`, ApplyProfiles): that is the
    // pipeline `skaffold dev` runs, and each other profile is evaluated on top of them.
    let (auto, _) = profiles::active_profiles(profiles, &ProfileSelection::default(), ctx);
    let base_problems: Vec<Diagnostic> = profiles::auto_profiles_overriding(profiles, &auto)
        .into_iter()
        .map(|(span, message)| engine_diagnostic("SCHEMA012", &path, span, message))
        .collect();
    let mut out = vec![Evaluation {
        config: index,
        profile: None,
        chosen: auto.clone(),
        problems: base_problems,
    }];
    for i in (0..profiles.len()).filter(|i| !auto.contains(i)) {
        out.push(Evaluation {
            config: index,
            profile: Some(name_of(i)),
            chosen: auto.iter().copied().chain([i]).collect(),
            problems: Vec::new(),
        });
    }
    out
}

/// The tree of `config` with the `chosen` profiles applied in order (overlay, then patches),
/// with the patches' problems; the config's own tree, shared, when none is chosen. Made on the
/// thread that evaluates it: a profile copies the whole config.
fn apply_profiles(
    project: &Project,
    config: &ConfigDoc,
    chosen: &[usize],
    problems: &mut Vec<Diagnostic>,
) -> Arc<Val> {
    if chosen.is_empty() {
        return config.tree.clone();
    }
    let profiles: &[Val] = config.tree.get("profiles").map_or(&[], Val::items);
    let path = project.file(config.file).path.clone();
    let schema = config
        .api_version
        .as_deref()
        .and_then(crate::skaffold::schema::known_version)
        .and_then(crate::skaffold::schema::schema_for);
    let mut tree = profiles::overlaid(&config.tree, &profiles[chosen[0]]);
    for (n, &i) in chosen.iter().enumerate() {
        let profile = &profiles[i];
        if n > 0 {
            profiles::overlay(&mut tree, profile);
        }
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
    Arc::new(tree)
}

/// What a pipeline builds and deploys from: its manifests whole, and of each Dockerfile the
/// global ARGs and the stages the built image is made of (its `FROM` chain and every stage it
/// copies from, transitively), as byte ranges.
pub fn production_files_of(pipeline: &Pipeline) -> (Vec<PathBuf>, Vec<(PathBuf, Span)>) {
    let mut files = Vec::new();
    let mut regions = Vec::new();
    for (artifact, view) in pipeline.artifacts() {
        let Some(df_view) = &view.dockerfile else {
            continue;
        };
        let path = pipeline.path(df_view.file);
        let Some(built) = super::runtime::BuiltImage::of(artifact, view) else {
            files.push(path);
            continue;
        };
        let df = built.dockerfile;
        let mut used = vec![built.stage.index];
        let mut next = 0;
        while next < used.len() {
            let stage = &df.stages[used[next]];
            next += 1;
            let mut refs: Vec<usize> = stage.base_stage.into_iter().collect();
            for ins in &df.instructions[stage.instructions.clone()] {
                if let Some(from) = ins.flag("from").and_then(|f| f.value.as_deref()) {
                    match df.stage_by_name_or_index(from) {
                        Some(s) => refs.push(s.index),
                        // Not a stage (an image, or a variable): keep the whole file.
                        None if from.contains('$') => refs.extend(0..df.stages.len()),
                        None => {}
                    }
                }
            }
            for r in refs {
                if !used.contains(&r) {
                    used.push(r);
                }
            }
        }
        if let Some(first) = df.stages.first() {
            let from = df.instructions[first.from_index()].span.start;
            regions.push((path.clone(), Span::new(0, from)));
        }
        for index in used {
            let stage = &df.stages[index];
            let start = df.instructions[stage.instructions.start].span.start;
            let end = df.instructions[stage.instructions.end - 1].span.end;
            regions.push((path.clone(), Span::new(start, end)));
        }
    }
    for manifest in &pipeline.manifests {
        files.push(pipeline.path(manifest.file));
    }
    (files, regions)
}

/// Per config file, the bytes of each document's `profiles` list, up to the next top-level
/// key or document (so trailing newlines and comments of the last profile count too).
pub fn profile_blocks(project: &Project) -> HashMap<PathBuf, Vec<Span>> {
    let mut blocks: HashMap<PathBuf, Vec<Span>> = HashMap::new();
    for config in &project.configs {
        let source = project.file(config.file);
        let entry = blocks.entry(source.path.clone()).or_default();
        if let Some(profiles) = config.tree.get("profiles") {
            let span = profiles.origin.span;
            let text = &source.text;
            let mut end = text.len();
            let mut at = text[span.end.min(text.len())..]
                .find('\n')
                .map_or(text.len(), |i| span.end + i + 1);
            while at < text.len() {
                let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
                let line = &text[at..line_end];
                if !line.starts_with([' ', '\t', '#', '\n', '\r']) {
                    end = at;
                    break;
                }
                at = line_end;
            }
            entry.push(Span::new(span.start, end));
        }
    }
    blocks
}

fn build<'p>(
    project: &'p Project,
    config: &'p ConfigDoc,
    profile: Option<String>,
    tree: Arc<Val>,
    cache: &Cache,
    problems: &mut Vec<Diagnostic>,
) -> Pipeline<'p> {
    let mut model = model::extract(&tree);
    let config_path = project.file(config.file).path.clone();
    let mut manifests = Vec::new();
    let mut manifest_paths = Vec::new();
    let mut seen_paths = HashSet::new();
    for pattern in &model.raw_manifests {
        // URLs and `gs://` are downloaded; `{{ }}` is expanded from the environment first.
        if pattern.value.contains("://") || pattern.value.contains("{{") {
            continue;
        }
        let literal = glob_literal_prefix(&normalize(&config.dir.join(&pattern.value)));
        if !project.roots.may_read(&literal) {
            problems.push(engine_diagnostic(
                "SCHEMA011",
                &config_path,
                pattern.origin.span,
                format!(
                    "manifest path `{}` leads outside the checked project; it is not read (allow it with --allow-outside)",
                    pattern.value
                ),
            ));
            continue;
        }
        let matched = cache.manifest_files(&config.dir, &pattern.value);
        if matched.is_empty() {
            problems.push(unmatched_manifest(&config_path, pattern));
        }
        for path in matched {
            if seen_paths.insert(path.clone()) {
                manifest_paths.push(path);
            }
        }
    }
    // Read and parsed in parallel (a monorepo deploys thousands), kept in path order.
    let loaded: Vec<Option<(FileId, Parsed<Vec<Workload>>)>> =
        crate::parallel::map(project.parallel, &manifest_paths, |path| {
            // A glob under the project may still match a file that leads out (through a
            // symlinked directory); it is skipped like an unreadable one.
            let file = project.read(path).ok()?;
            Some((file, cache.manifest(project, file)))
        });
    for (file, parsed) in loaded.into_iter().flatten() {
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
    let rendering = super::render::manifests(
        project,
        config,
        &tree,
        &model,
        &cache.render,
        |path, text| {
            *cache
                .generated
                .lock()
                .expect("cache")
                .entry((path.clone(), text.clone()))
                .or_insert_with(|| project.register_generated(path, text))
        },
    );
    let rendered_kinds = rendering.rendered_kinds;
    model
        .unanalysed
        .retain(|u| !rendered_kinds.contains(&u.value.as_str()));
    // Never silence: say which manifests the container checks could not see.
    for unanalysed in &model.unanalysed {
        let why = if cache.render.options.enabled
            || !["kustomize", "helm"].contains(&unanalysed.value.as_str())
        {
            "skafix renders kustomize and local Helm charts only"
        } else {
            "rendering is turned off (`--no-render`, or `enabled = false` under `[render]` in skafix.toml)"
        };
        problems.push(engine_diagnostic(
            "SCHEMA009",
            &project.file(unanalysed.origin.file).path,
            unanalysed.origin.span,
            format!(
                "`{}` manifests are not analysed: {why}, so checks that need the deployed containers (commands, volumes, which pods run the image) are skipped for them",
                unanalysed.value
            ),
        ));
    }
    for (entry, reason) in rendering.failures {
        problems.push(engine_diagnostic(
            "SCHEMA009",
            &project.file(entry.origin.file).path,
            entry.origin.span,
            format!(
                "`{}` manifests here are not analysed: {reason}; checks that need the deployed containers are skipped for them",
                entry.value
            ),
        ));
        model.unanalysed.push(entry);
    }
    manifests.extend(rendering.manifests);
    let rendered = rendering.sources;
    let containers = containers_by_image(&manifests);
    // Each view reads and parses its own files; problems stay in artifact order.
    let (artifacts, view_problems): (Vec<ArtifactView>, Vec<Vec<Diagnostic>>) =
        crate::parallel::map(project.parallel, &model.artifacts, |artifact| {
            let mut found = Vec::new();
            let view = artifact_view(
                project,
                config,
                artifact,
                &tree,
                &containers,
                cache,
                &mut found,
            );
            (view, found)
        })
        .into_iter()
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
        rendered,
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
    tree: &Val,
    containers: &HashMap<String, Vec<ContainerRef>>,
    cache: &Cache,
    problems: &mut Vec<Diagnostic>,
) -> ArtifactView {
    let context_dir = normalize(&config.dir.join(&artifact.context));
    let context = cache.context(&context_dir);
    let context_outside = !project.roots.may_read(&context_dir);
    if context_outside {
        // Not even the names of its files are listed.
        let _ = context.listing.set(Err(super::watch::Unlisted::Unreadable));
        let at = tree
            .path(&["build", "artifacts"])
            .map(Val::items)
            .and_then(|items| items.get(artifact.index))
            .and_then(|a| a.get("context"))
            .map_or(artifact.image.origin, |c| c.origin);
        problems.push(engine_diagnostic(
            "SCHEMA011",
            &project.file(at.file).path,
            at.span,
            format!(
                "context `{}` of artifact `{}` leads outside the checked project; it is not read (allow it with --allow-outside)",
                artifact.context, artifact.image.value
            ),
        ));
    }
    let mut view = ArtifactView {
        context_dir: context_dir.clone(),
        dockerfile: None,
        dockerignore: None,
        containers: containers
            .get(artifact.image.value.as_str())
            .cloned()
            .unwrap_or_default(),
        context,
        watched: OnceLock::new(),
        base_image: OnceLock::new(),
        build_args: OnceLock::new(),
        processes: OnceLock::new(),
    };
    let Builder::Dockerfile(docker) = &artifact.builder else {
        return view;
    };
    let dockerfile_path = normalize(&context_dir.join(&docker.dockerfile.value));
    if !project.roots.may_read(&dockerfile_path) {
        let at = artifact_point(docker.dockerfile.origin, &docker.dockerfile);
        // Under a context already reported, the Dockerfile is not a second finding.
        if context_outside {
            return view;
        }
        problems.push(engine_diagnostic(
            "SCHEMA011",
            &project.file(at.file).path,
            at.span,
            format!(
                "Dockerfile `{}` of artifact `{}` leads outside the checked project; it is not read (allow it with --allow-outside)",
                docker.dockerfile.value, artifact.image.value
            ),
        ));
        return view;
    }
    match project.read(&dockerfile_path) {
        Ok(file) => match cache.dockerfile(project, file) {
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
        },
        Err(reason) => {
            let at = artifact_point(docker.dockerfile.origin, &docker.dockerfile);
            let shown = relative_to(&dockerfile_path, &config.dir);
            let mut d = engine_diagnostic(
                "SCHEMA007",
                &project.file(at.file).path,
                at.span,
                format!(
                    "Dockerfile `{}` of artifact `{}` cannot be read: {reason}",
                    shown.display(),
                    artifact.image.value
                ),
            );
            let config_path = project.file(config.file).path.clone();
            if let Some(hint) = run_from_parent(project, &config_path, &shown) {
                d.message = format!(
                    "Dockerfile `{}` of artifact `{}` is not beside this config, but {hint}; this artifact is not analysed",
                    shown.display(),
                    artifact.image.value
                );
                d.severity = crate::diagnostic::Severity::Info;
            }
            problems.push(d);
        }
    }
    let ignore_path = cache.ignore_file(&context_dir, &dockerfile_path);
    if let Some(path) = ignore_path
        .as_ref()
        .filter(|path| !project.roots.may_read(path))
    {
        let at = artifact_point(docker.dockerfile.origin, &docker.dockerfile);
        problems.push(engine_diagnostic(
            "SCHEMA011",
            &project.file(at.file).path,
            at.span,
            format!(
                "ignore file `{}` of artifact `{}` leads outside the checked project; it is not read (allow it with --allow-outside)",
                relative_to(path, &config.dir).display(),
                artifact.image.value
            ),
        ));
    }
    view.dockerignore = ignore_path
        .and_then(|path| project.read(&path).ok())
        .map(|file| DockerIgnoreView {
            file,
            parsed: cache.dockerignore(project, file),
        });
    view
}

/// The cached value for `file`, made once: pipelines built in parallel ask for the same files
/// in the same order, so a second asker waits for the first one's parse rather than repeating
/// it. The map's lock is not held while parsing, so different files are parsed in parallel.
fn cached<T: Clone>(map: &Slots<T>, file: FileId, make: impl FnOnce() -> T) -> T {
    let slot = map.lock().expect("cache").entry(file).or_default().clone();
    slot.get_or_init(make).clone()
}

/// Per file, the value made from it once.
type Slots<T> = Mutex<HashMap<FileId, Arc<OnceLock<T>>>>;

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

/// The part of a glob path before its first wildcard component: the directory a walk starts in.
fn glob_literal_prefix(full: &Path) -> PathBuf {
    full.components()
        .take_while(|c| {
            !c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{'])
        })
        .collect()
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

/// When `relative` (missing beside the config in `config_dir`) exists from a parent directory:
/// the explanation that the config is run from there, for messages.
pub(crate) fn run_from_parent(
    project: &Project,
    config_path: &Path,
    relative: &Path,
) -> Option<String> {
    // A required config's paths are relative to its own directory in Skaffold too.
    if super::render::is_required(project, config_path) {
        return None;
    }
    let config_dir = config_path.parent()?;
    let name = config_path.file_name()?.to_string_lossy();
    let (_, from) = project.roots.found_from_parent(config_dir, relative)?;
    let up = from
        .components()
        .map(|_| "..")
        .collect::<Vec<_>>()
        .join("/");
    Some(format!(
        "it exists relative to `{up}`: Skaffold resolves a root config's paths against the working directory, so this config is run from there (`skaffold -f {}/{name}`), while skafix resolves them against the config's own directory",
        from.display()
    ))
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

/// The pipeline of each config document as `skaffold dev` would run it: auto-activated profiles
/// for the command plus `-p`, patches that fail left out (`check` reports them).
pub fn active_pipelines<'p>(project: &'p Project, options: &CheckOptions) -> Vec<Pipeline<'p>> {
    let selection = ProfileSelection::from_flags(&options.profiles);
    let ctx = activation_context(options);
    let cache = Cache::new(options);
    let mut pipelines = Vec::new();
    for config in &project.configs {
        let profiles: &[Val] = config.tree.get("profiles").map_or(&[], Val::items);
        let (chosen, _) = profiles::active_profiles(profiles, &selection, &ctx);
        let mut tree = Val::clone(&config.tree);
        for i in chosen {
            profiles::overlay(&mut tree, &profiles[i]);
            for p in profiles[i].get("patches").map(Val::items).unwrap_or(&[]) {
                let _ = patch::apply(&mut tree, p);
            }
        }
        let mut ignored = Vec::new();
        pipelines.push(build(
            project,
            config,
            None,
            Arc::new(tree),
            &cache,
            &mut ignored,
        ));
    }
    pipelines
}

fn activation_context(options: &CheckOptions) -> ActivationContext {
    ActivationContext {
        command: Some(options.command.clone().unwrap_or_else(|| "dev".to_string())),
        kube_context: options.kube_context.clone(),
        env: None,
    }
}
