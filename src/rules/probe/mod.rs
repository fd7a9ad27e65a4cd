//! PROBE: findings of `skafix probe` from inside running pods. Their checks live in
//! `crate::probe`; these statics are their one source of code, name and severity.

pub mod cannot_list_processes;
pub mod devspace_restart_helper;
pub mod exec_failed;
pub mod hook_keeps_old_code;
pub mod hook_kills_itself;
pub mod hook_matches_nothing;
pub mod hook_restarts_container;
pub mod hook_signal_ignored;
pub mod hook_stops_server;
pub mod hostpath_mount;
pub mod image_not_skaffold_tag;
pub mod missing_tool;
pub mod no_matching_pods;
pub mod pod_gone;
pub mod restart_discarded_sync;
pub mod server_not_reloading;
pub mod sync_dest_not_writable;
pub mod synced_files_differ;
pub mod traffic_intercepted;

use crate::rules::Rule;

/// Every PROBE rule, in code order.
pub static ALL: &[&Rule] = &[
    &no_matching_pods::RULE,
    &server_not_reloading::RULE,
    &hook_signal_ignored::RULE,
    &hook_restarts_container::RULE,
    &hook_stops_server::RULE,
    &hook_keeps_old_code::RULE,
    &missing_tool::RULE,
    &synced_files_differ::RULE,
    &sync_dest_not_writable::RULE,
    &restart_discarded_sync::RULE,
    &traffic_intercepted::RULE,
    &devspace_restart_helper::RULE,
    &hostpath_mount::RULE,
    &image_not_skaffold_tag::RULE,
    &cannot_list_processes::RULE,
    &pod_gone::RULE,
    &hook_kills_itself::RULE,
    &hook_matches_nothing::RULE,
    &exec_failed::RULE,
];
