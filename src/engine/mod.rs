//! The engine: runs the rules over the project model, collects and merges their findings, and
//! is what `check`, `fix` and reports call. Data flows one way: the model (`crate::project`)
//! knows neither the rules nor the probe; the rules see only the model; this layer sits above
//! both.

use crate::diagnostic::Diagnostic;
use crate::project::{self, Project};
use crate::rules::{self, Check};
use crate::source::{SourceFile, Span};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

mod scope;

pub use crate::project::{CheckOptions, EngineError};

/// Everything a report needs: the findings and the text of every file they point into.
#[derive(Debug, Default)]
pub struct CheckOutcome {
    pub diagnostics: Vec<Diagnostic>,
    /// Every file read, keyed by its reported path.
    pub sources: BTreeMap<PathBuf, Arc<SourceFile>>,
    /// Number of skaffold config files with at least one document that could be checked. Zero
    /// means nothing could be checked: the diagnostics then say why (exit code 2).
    pub files_checked: usize,
    /// What the check built (the project model, parsed files, context listings), kept alive
    /// with the outcome so that freeing it is the owner's choice: a process about to exit can
    /// skip it with `std::mem::forget`, a long-lived caller frees it when it drops the outcome.
    pub retained: Retained,
}

/// What a check built and no longer needs; freed when dropped (see [`CheckOutcome::retained`]).
#[derive(Default)]
pub struct Retained(Vec<Box<dyn std::any::Any + Send + Sync>>);

impl Retained {
    pub(crate) fn keep(&mut self, value: impl std::any::Any + Send + Sync) {
        self.0.push(Box::new(value));
    }
}

impl std::fmt::Debug for Retained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Retained({} values)", self.0.len())
    }
}

/// Runs every rule over the projects under `options.paths`.
pub fn check(options: &CheckOptions) -> Result<CheckOutcome, EngineError> {
    let project = project::load_project(options)?;
    let selection = crate::skaffold::profiles::ProfileSelection::from_flags(&options.profiles);
    for wanted in &selection.activate {
        if !project::defines_profile(&project, wanted) {
            return Err(EngineError {
                message: format!("profile `{wanted}` is not defined in any checked config (Skaffold fails with \"couldn't find profile {wanted}\")"),
            });
        }
    }
    let mut retained = Retained::default();
    let diagnostics = run_rules(&project, options, &mut retained);
    let files_checked = {
        let mut files: Vec<_> = project.configs.iter().map(|c| c.file).collect();
        files.sort();
        files.dedup();
        files.len()
    };
    let sources = project
        .sources()
        .iter()
        .map(|f| (f.path.clone(), f.clone()))
        .collect();
    retained.keep(project);
    Ok(CheckOutcome {
        files_checked,
        sources,
        diagnostics,
        retained,
    })
}

/// Every rule over every evaluation of the project (base pipeline and each profile, or the
/// `-p` selection), plus the config-file rules and the problems found while loading; sorted,
/// one copy of each finding. What the evaluations built is handed to `retained`.
pub fn run_rules(
    project: &Project,
    options: &CheckOptions,
    retained: &mut Retained,
) -> Vec<Diagnostic> {
    // The config-file rules (the schema walk of every document) do not need the pipelines:
    // they run beside them.
    let ((per_evaluation, built), config_file_findings) = crate::parallel::join(
        project.parallel,
        || evaluate_pipelines(project, options),
        || config_file_rules(project),
    );
    retained.keep(built);
    let mut production = scope::ProductionPlaces {
        profile_blocks: project::profile_blocks(project),
        ..Default::default()
    };
    let per_evaluation: Vec<(Option<String>, Vec<Diagnostic>)> = per_evaluation
        .into_iter()
        .map(|(profile, (found, used))| {
            if let Some((files, regions)) = used {
                production.files.extend(files);
                for (path, span) in regions {
                    production.regions.entry(path).or_default().push(span);
                }
            }
            (profile, found)
        })
        .collect();

    let mut diagnostics: Vec<Diagnostic> = project.load_diagnostics.clone();
    diagnostics.extend(config_file_findings);
    let merged_from = diagnostics.len();
    diagnostics.extend(merge_profiles(per_evaluation));
    scope::confine_profile_fixes(&mut diagnostics[merged_from..], &production);
    for diagnostic in &mut diagnostics {
        stamp(diagnostic);
    }
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
    diagnostics
}

/// What each evaluation's pipeline rules found, per profile, with the places the
/// production pipeline uses (for the base evaluation).
type Evaluated = Vec<(
    Option<String>,
    (
        Vec<Diagnostic>,
        Option<(Vec<PathBuf>, Vec<(PathBuf, Span)>)>,
    ),
)>;

/// The findings of the config-file rules, per file in order, then per rule in order.
fn config_file_rules(project: &Project) -> Vec<Diagnostic> {
    let per_file: Vec<Vec<Diagnostic>> =
        crate::parallel::map(project.parallel, &project.config_files, |file| {
            let mut found = Vec::new();
            for rule in rules::all() {
                if let Check::ConfigFile(check) = rule.check {
                    check(file, &mut found);
                }
            }
            found
        });
    per_file.into_iter().flatten().collect()
}

fn evaluate_pipelines(project: &Project, options: &CheckOptions) -> (Evaluated, project::Built) {
    project::evaluate(project, options, |pipeline, mut found| {
        // Rules are independent: run them in parallel too, since a project often has a
        // single pipeline. Findings are kept in rule order, as a serial run gives them.
        let per_rule: Vec<Vec<Diagnostic>> =
            crate::parallel::map(project.parallel, rules::all(), |rule| match rule.check {
                Check::Pipeline(check) => {
                    let mut out = Vec::new();
                    check(pipeline, &mut out);
                    out
                }
                _ => Vec::new(),
            });
        found.extend(per_rule.into_iter().flatten());
        found.extend(project::unlisted_contexts(pipeline));
        // Findings in rendered manifests point at the file a person edits.
        for d in &mut found {
            crate::render::origin::remap(&pipeline.rendered, d);
        }
        // What the production pipeline (no profile) builds and deploys from: a profile-only
        // finding's fix must not edit it.
        let production = pipeline.profile.is_none().then(|| {
            let (mut files, regions) = project::production_files_of(pipeline);
            // The files rendered into its manifests are production's too: a profile-only
            // finding's fix moved into a shared kustomize base or values file must not edit it.
            files.extend(
                pipeline
                    .rendered
                    .iter()
                    .flat_map(|r| r.inputs.iter().cloned()),
            );
            (files, regions)
        });
        (found, production)
    })
}

/// Gives a finding the model made while loading (a parse error, a missing file) its rule's
/// name and default severity, or the milder severity the model chose: the model does not know
/// the registry.
pub fn stamp(diagnostic: &mut Diagnostic) {
    if diagnostic.name.is_empty() {
        if let Some(rule) = rules::by_code(diagnostic.code) {
            diagnostic.name = rule.name;
            // The model says Error unless it knows the finding is milder (an unmatched
            // manifest glob, which Skaffold only warns about).
            diagnostic.severity = diagnostic.severity.min(rule.severity);
        }
    }
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
