//! The rule registry: every rule's metadata and check function, one file per rule under
//! `rules/<family>/`. Docs live in `rules/<CODE>.md` at the repository root and are embedded.

use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::project::{ConfigFile, Pipeline};

/// Whether and how a rule can fix what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    /// Some findings carry a fix of this applicability.
    Sometimes(Applicability),
    Always(Applicability),
}

#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Runs once per skaffold config file, on its raw documents.
    ConfigFile(fn(&ConfigFile, &mut Vec<Diagnostic>)),
    /// Runs once per effective pipeline (the base config and each profile).
    Pipeline(fn(&Pipeline, &mut Vec<Diagnostic>)),
    /// Emitted by the engine itself while loading (parse errors, missing files, ...).
    Engine,
    /// Emitted by `skafix probe` from what runs in a pod; the static engine never runs it.
    Probe,
}

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub fix: FixAvailability,
    /// One line: what the rule finds.
    pub summary: &'static str,
    pub check: Check,
    /// The rule's doc, `rules/<CODE>.md`.
    pub doc: &'static str,
}

impl Rule {
    /// A diagnostic of this rule with its code, name and default severity.
    pub fn diagnostic(
        &self,
        path: impl Into<std::path::PathBuf>,
        span: crate::source::Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(self.code, self.name, self.severity, path, span, message)
    }
}

/// Where rules point: their findings at the place of a config value.
impl Pipeline<'_> {
    /// A diagnostic of `rule` at a config value's bytes.
    pub fn at(
        &self,
        rule: &Rule,
        origin: crate::skaffold::tree::Origin,
        message: impl Into<String>,
    ) -> Diagnostic {
        rule.diagnostic(self.path(origin.file), origin.span, message)
    }

    /// A diagnostic at a config value's key (`sync:` rather than its whole block).
    pub fn at_key(
        &self,
        rule: &Rule,
        origin: crate::skaffold::tree::Origin,
        message: impl Into<String>,
    ) -> Diagnostic {
        rule.diagnostic(
            self.path(origin.file),
            origin.key_span.unwrap_or(origin.span),
            message,
        )
    }
}

/// Every rule: the static rules, then the probe's.
pub fn all() -> &'static [&'static Rule] {
    ALL
}

pub fn by_code(code: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code))
}

pub mod cache;
pub mod df;
pub mod hook;
pub mod probe;
pub mod proc;
pub mod reload;
pub mod schema;
pub mod sync;
pub mod vol;

static ALL: &[&Rule] = &[
    &schema::parse_error::RULE,
    &schema::unknown_key::RULE,
    &schema::wrong_type::RULE,
    &schema::unquoted_template::RULE,
    &schema::api_version::RULE,
    &schema::duplicate_key::RULE,
    &schema::missing_file::RULE,
    &schema::invalid_profile::RULE,
    &schema::not_analysed::RULE,
    &schema::unknown_api_version::RULE,
    &schema::path_outside_root::RULE,
    &schema::profile_overrides_profile::RULE,
    &cache::template_no_value::RULE,
    &cache::try_import_stable_tag::RULE,
    &hook::signal_not_handled::RULE,
    &hook::restarts_container::RULE,
    &hook::tool_missing_in_image::RULE,
    &hook::hup_does_not_reload::RULE,
    &hook::pkill_matches_own_shell::RULE,
    &hook::command_is_string::RULE,
    &hook::no_shell_in_image::RULE,
    &reload::not_reloading::RULE,
    &reload::misses_dest::RULE,
    &reload::with_workers::RULE,
    &reload::preload_blocks_reload::RULE,
    &reload::jib_auto_without_devtools::RULE,
    &reload::compiled_sources_synced::RULE,
    &proc::shell_form_cmd::RULE,
    &vol::hostpath_not_local::RULE,
    &vol::hostpath_home_dir::RULE,
    &vol::volume_over_sync_dest::RULE,
    &sync::strip_not_prefix::RULE,
    &sync::auto_unsupported::RULE,
    &sync::synced_artifact_required::RULE,
    &sync::artifact_not_deployed::RULE,
    &sync::profile_drops_artifacts::RULE,
    &sync::infer_non_last_target::RULE,
    &sync::infer_copy_from::RULE,
    &sync::rule_never_fires::RULE,
    &sync::src_never_matches::RULE,
    &sync::rebuild_triggers::RULE,
    &sync::dest_mismatch::RULE,
    &sync::no_tar_in_image::RULE,
    &sync::dest_not_writable::RULE,
    &sync::read_only_root::RULE,
    &cache::build_arg_not_declared::RULE,
    &cache::dockerignore_excludes_needed::RULE,
    &df::copy_from_unknown_stage::RULE,
    &df::site_packages_mismatch::RULE,
    &df::program_not_in_image::RULE,
    &probe::no_matching_pods::RULE,
    &probe::server_not_reloading::RULE,
    &probe::hook_signal_ignored::RULE,
    &probe::hook_restarts_container::RULE,
    &probe::hook_stops_server::RULE,
    &probe::hook_keeps_old_code::RULE,
    &probe::missing_tool::RULE,
    &probe::synced_files_differ::RULE,
    &probe::sync_dest_not_writable::RULE,
    &probe::restart_discarded_sync::RULE,
    &probe::traffic_intercepted::RULE,
    &probe::devspace_restart_helper::RULE,
    &probe::hostpath_mount::RULE,
    &probe::image_not_skaffold_tag::RULE,
    &probe::cannot_list_processes::RULE,
    &probe::pod_gone::RULE,
    &probe::hook_kills_itself::RULE,
    &probe::hook_matches_nothing::RULE,
    &probe::exec_failed::RULE,
];
