//! Turns one container's live facts into PROBE diagnostics (each with its evidence) and an
//! ordered "what to do now" list for that pod. Every step is added only when the facts say it
//! helps.

use super::cluster::{Match, Selection};
use super::facts::{ContainerFacts, ProcInfo};
use super::redact::{redact_line, show_argv};
use super::servers::{self, Effect, Role};
use super::signals::{self, HookSignal, SignalTarget};
use super::ProbeTarget;
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::probe as probe_rules;
use crate::rules::Rule;

/// The PROBE rules, in code order; code, name and default severity come from the registry.
pub use crate::rules::probe::ALL;
const NO_PODS: &Rule = &probe_rules::no_matching_pods::RULE;
const NOT_RELOADING: &Rule = &probe_rules::server_not_reloading::RULE;
const SIGNAL_IGNORED: &Rule = &probe_rules::hook_signal_ignored::RULE;
const HOOK_RESTARTS: &Rule = &probe_rules::hook_restarts_container::RULE;
const HOOK_STOPS_SERVER: &Rule = &probe_rules::hook_stops_server::RULE;
const HOOK_OLD_CODE: &Rule = &probe_rules::hook_keeps_old_code::RULE;
const MISSING_TOOL: &Rule = &probe_rules::missing_tool::RULE;
const STALE_FILES: &Rule = &probe_rules::synced_files_differ::RULE;
const UNWRITABLE: &Rule = &probe_rules::sync_dest_not_writable::RULE;
const RESTARTED: &Rule = &probe_rules::restart_discarded_sync::RULE;
const INTERCEPTED: &Rule = &probe_rules::traffic_intercepted::RULE;
const DEVSPACE: &Rule = &probe_rules::devspace_restart_helper::RULE;
const HOSTPATH: &Rule = &probe_rules::hostpath_mount::RULE;
const IMAGE_TAG: &Rule = &probe_rules::image_not_skaffold_tag::RULE;
const NO_LISTER: &Rule = &probe_rules::cannot_list_processes::RULE;
const GONE: &Rule = &probe_rules::pod_gone::RULE;
const HOOK_SELF_KILL: &Rule = &probe_rules::hook_kills_itself::RULE;
const HOOK_NO_TARGET: &Rule = &probe_rules::hook_matches_nothing::RULE;
const EXEC_FAILED: &Rule = &probe_rules::exec_failed::RULE;
const OUTSIDE_ROOT: &Rule = &crate::rules::schema::path_outside_root::RULE;

/// A finding of `rule` at its default severity, reported against the artifact's config.
fn diag(target: &ProbeTarget, rule: &Rule, message: String) -> Diagnostic {
    rule.diagnostic(target.config_path.clone(), target.image_span, message)
        .with_artifact(target.image.clone())
}

/// A finding whose severity depends on the evidence (raised or lowered from the default).
fn diag_at(target: &ProbeTarget, rule: &Rule, severity: Severity, message: String) -> Diagnostic {
    let mut d = diag(target, rule, message);
    d.severity = severity;
    d
}

pub fn no_pods(
    target: &ProbeTarget,
    namespace: &str,
    selector: Option<&str>,
    sel: &Selection,
) -> Diagnostic {
    let scope = match selector {
        Some(s) => format!("namespace {namespace} with selector {s}"),
        None => format!("namespace {namespace}"),
    };
    let why = if sel.pods_seen == 0 {
        format!("there are no pods in {scope}")
    } else if !sel.not_running.is_empty() {
        let list: Vec<String> = sel
            .not_running
            .iter()
            .map(|(p, phase)| format!("{p} ({phase})"))
            .collect();
        format!(
            "pods with this image exist but none is Running: {}; Skaffold syncs only into Running pods",
            list.join(", ")
        )
    } else if !sel.init_only.is_empty() {
        format!(
            "only init containers run this image (in {}); Skaffold never syncs into init containers",
            sel.init_only.join(", ")
        )
    } else {
        format!(
            "{} pod(s) in {scope} run other images: {}",
            sel.pods_seen,
            sel.other_images.join(", ")
        )
    };
    diag(target, NO_PODS, format!("no running container uses image `{}`: {why}", target.image),
    )
    .with_help(
        "check the namespace (-n), the kube context (--context) and that the deployment uses the artifact's image name",
    )
}

/// The artifact's build context leaves the checked project: the probe, like `check`, does not
/// read it, so its synced files are not compared with the containers' copies.
pub fn context_outside(target: &ProbeTarget) -> Diagnostic {
    diag(
        target,
        OUTSIDE_ROOT,
        format!(
            "context `{}` of artifact `{}` leads outside the checked project; it is not read, so its synced files are not compared with the containers' (allow it with --allow-outside)",
            target.context_dir.display(),
            target.image
        ),
    )
}

/// The overall deadline passed before these containers were examined: one finding naming
/// them all, reported against the first one's artifact.
pub fn deadline_passed(unexamined: &[(&ProbeTarget, &Match)], limit: &str) -> Diagnostic {
    let (first, _) = unexamined[0];
    // A long list is cut: the finding is one line in the concise formats.
    const SHOWN: usize = 10;
    let mut names: Vec<String> = unexamined
        .iter()
        .take(SHOWN)
        .map(|(_, m)| where_(m))
        .collect();
    if unexamined.len() > SHOWN {
        names.push(format!("and {} more", unexamined.len() - SHOWN));
    }
    let mut d = diag(
        first,
        EXEC_FAILED,
        format!(
            "the probe reached its time limit ({limit}) before it had examined {}; nothing is reported about them",
            names.join(", ")
        ),
    )
    .with_help("raise the limit with --timeout, or probe fewer pods with --selector");
    if unexamined.iter().any(|(t, _)| t.image != first.image) {
        d.artifact = None;
    }
    d
}

fn where_(m: &Match) -> String {
    format!("pod {} container {}", m.pod, m.container)
}

fn show_proc(p: &ProcInfo) -> String {
    if p.argv.is_empty() {
        format!("[{}]", p.comm)
    } else {
        show_argv(&p.argv)
    }
}

fn step(steps: &mut Vec<String>, s: String) {
    if !steps.contains(&s) {
        steps.push(s);
    }
}

/// Diagnostics and steps for one probed container.
pub fn conclude(
    target: &ProbeTarget,
    m: &Match,
    facts: &ContainerFacts,
    namespace: &str,
) -> (Vec<Diagnostic>, Vec<String>) {
    let mut out = Vec::new();
    let mut steps = Vec::new();
    let at = where_(m);
    let syncs = !target.sync_rules.is_empty() || !target.sync_dests.is_empty();

    if let Some(agent) = &m.traffic_agent {
        out.push(diag(target, INTERCEPTED, format!(
                "{at}: pod {} runs a Telepresence traffic agent {agent}; intercepted requests go to a workstation, not to this container",
                m.pod
            ),
        ));
        step(
            &mut steps,
            "Leave the Telepresence intercept (`telepresence leave <intercept>`) or test against the intercepting process".into(),
        );
    }
    if let Some(helper) = &m.devspace_helper {
        out.push(diag(target, DEVSPACE, format!("{at}: a DevSpace restart helper is in this pod ({helper}); DevSpace, not Skaffold, may restart the process"),
        ));
    }
    for (vol, host, mount) in &m.host_paths {
        let covers = target
            .sync_dests
            .iter()
            .chain(target.sync_rules.iter().map(|r| &r.dest))
            .any(|d| d.starts_with(mount.as_str()));
        let (sev, extra) = if covers {
            (
                Severity::Warning,
                "; it covers a sync destination, so synced files land in the node's directory",
            )
        } else {
            (Severity::Info, "")
        };
        out.push(diag_at(
            target,
            HOSTPATH,
            sev,
            format!("{at}: hostPath volume {vol} ({host}) is mounted at {mount}{extra}"),
        ));
    }
    if let Some(expected) = &target.expected_image {
        if expected != &m.image {
            out.push(diag(target, IMAGE_TAG, format!(
                    "{at} runs image `{}` but Skaffold built `{expected}`; Skaffold syncs only into containers whose image equals the built tag",
                    m.image
                ),
            ));
            step(
                &mut steps,
                "Redeploy with Skaffold (`skaffold dev` or `skaffold run`) so the pod runs the tag Skaffold syncs to".into(),
            );
        }
    }

    if let Some(msg) = &facts.gone {
        out.push(diag(
            target,
            GONE,
            format!("{at} disappeared while probing: {msg}"),
        ));
        step(
            &mut steps,
            "Run the probe again: the pod was replaced while it ran".into(),
        );
        return (out, steps);
    }
    for e in &facts.exec_errors {
        out.push(diag(target, EXEC_FAILED, format!("{at}: {e}")));
    }
    if let Some(why) = &facts.list_error {
        out.push(
            diag(target, NO_LISTER, format!("{at}: cannot list processes ({why})"),
            )
            .with_help(format!(
                "an ephemeral debug container sees the processes: `kubectl debug -it {} -n {namespace} --image=busybox --target={}` (it stays in the pod until the pod is deleted)",
                m.pod, m.container
            )),
        );
    }

    // Tools sync and hooks need.
    let mut missing: Vec<(String, String)> = Vec::new();
    if syncs && facts.tool("tar") == Some(false) {
        missing.push((
            "tar".into(),
            "Skaffold copies synced files with `tar`".into(),
        ));
    }
    for hook in &target.hooks {
        for tool in hook_tools(hook) {
            if facts.tool(&tool) == Some(false) && !missing.iter().any(|(t, _)| *t == tool) {
                missing.push((tool, format!("hook `{}` runs it", show_argv(hook))));
            }
        }
    }
    for (tool, why) in &missing {
        out.push(diag(
            target,
            MISSING_TOOL,
            format!("{at}: the image has no `{tool}`, but {why}"),
        ));
        let pkg = match tool.as_str() {
            "ps" | "pkill" | "pgrep" | "kill" => "procps",
            "killall" => "psmisc",
            "sh" => "a shell",
            other => other,
        };
        step(
            &mut steps,
            format!(
                "Add {pkg} to the dev image (for `{tool}`) and rebuild, or change what needs it"
            ),
        );
    }

    for d in &facts.dests {
        if !d.writable {
            let user = facts
                .uid
                .map(|u| format!("uid {u}"))
                .unwrap_or_else(|| "the container user".into());
            out.push(diag(target, UNWRITABLE, format!(
                    "{at}: sync destination {} ({}) is not writable by {user} (checked {}); sync fails there",
                    d.dest, d.path, d.checked
                ),
            ));
            step(
                &mut steps,
                format!("Make {} writable by {user} in the Dockerfile (`COPY --chown=…` or `chown`) and rebuild", d.path),
            );
        }
    }

    // Hooks: what each signal really does here.
    let mut some_hook_reloads = false;
    if facts.processes_listed() {
        for hook in &target.hooks {
            // A hook that cannot start sends nothing; its missing tool is reported above.
            if hook_tools(hook)
                .iter()
                .any(|t| facts.tool(t) == Some(false))
            {
                continue;
            }
            for hs in signals::hook_signals(hook) {
                let r = judge_hook(target, &at, hook, &hs, &facts.processes, &mut steps);
                some_hook_reloads |= r.reloads;
                out.extend(r.diagnostics);
            }
        }
    }

    // Server reload mode.
    if syncs && !some_hook_reloads {
        for s in servers::servers(&facts.processes) {
            if s.reload == Some(true) && !s.watch_dirs.is_empty() {
                let outside: Vec<&str> = facts
                    .dests
                    .iter()
                    .map(|d| d.path.as_str())
                    .filter(|dest| !s.watch_dirs.iter().any(|w| overlaps(w, dest)))
                    .collect();
                if !outside.is_empty() {
                    out.push(diag(target, NOT_RELOADING, format!(
                            "{at}: uvicorn (PID {}) reloads only on changes under {}, but files are synced to {}; those changes are never loaded",
                            s.pid,
                            s.watch_dirs.join(", "),
                            outside.join(", ")
                        ),
                    ));
                    step(
                        &mut steps,
                        format!(
                            "Add `--reload-dir {}` to the uvicorn command and redeploy",
                            outside[0]
                        ),
                    );
                }
            }
            if s.reload == Some(false) {
                let p = facts.processes.iter().find(|p| p.pid == s.pid);
                let cmd = p.map(show_proc).unwrap_or_default();
                out.push(diag(target, NOT_RELOADING, format!(
                        "{at}: files are synced but the server does not reload: PID {} `{cmd}` ({}); synced code is on disk but never loaded",
                        s.pid, s.evidence
                    ),
                ));
                step(&mut steps, reload_step(s.kind));
                step(
                    &mut steps,
                    "To run the current code now, let Skaffold rebuild and redeploy (`skaffold run`); deleting the pod or `kubectl rollout restart` starts the image's code and drops synced files".into(),
                );
            }
        }
    }

    // Drift and restarts.
    let restarted = m.restart_count > 0;
    if !facts.drift.is_empty() {
        let missing_n = facts
            .drift
            .iter()
            .filter(|d| d.container_sha256.is_none())
            .count();
        let differ = facts.drift.len() - missing_n;
        let sample: Vec<String> = facts
            .drift
            .iter()
            .take(5)
            .map(|d| match &d.container_sha256 {
                Some(h) => format!(
                    "{} -> {} (container {}, local {})",
                    d.local,
                    d.container,
                    &h[..12.min(h.len())],
                    &d.local_sha256[..12]
                ),
                None => format!("{} -> {} (missing)", d.local, d.container),
            })
            .collect();
        out.push(diag(target, STALE_FILES, format!(
                "{at}: of {} synced files compared ({}), {differ} differ from the local files and {missing_n} are missing: {}",
                facts.hashed,
                facts.hash_method.as_deref().unwrap_or("hash"),
                sample.join("; ")
            ),
        ));
        if restarted {
            step(
                &mut steps,
                "The container restarted, so it runs the image's files and the image is older than your files: rebuild without Skaffold's cache (`skaffold build --cache-artifacts=false`, then `skaffold deploy`), or save the changed files again while `skaffold dev` runs".into(),
            );
        } else {
            step(
                &mut steps,
                "Save the changed files again while `skaffold dev` runs; if they still differ, check the sync rule's dest and strip".into(),
            );
        }
    }
    if restarted && syncs {
        let last = m
            .last_termination
            .as_ref()
            .map(|t| {
                let mut s = format!("last exit code {}", t.exit_code);
                if let Some(r) = &t.reason {
                    s.push_str(&format!(", reason {r}"));
                }
                if let Some(sig) = t.signal {
                    s.push_str(&format!(", signal {sig}"));
                }
                if let Some(at) = &t.finished_at {
                    s.push_str(&format!(", at {at}"));
                }
                s
            })
            .unwrap_or_else(|| "no termination record".into());
        let sev = if facts.drift.is_empty() {
            Severity::Info
        } else {
            Severity::Warning
        };
        out.push(diag_at(target, RESTARTED, sev, format!(
                "{at}: the container restarted {} time(s) ({last}); a restart starts from the image and discards every file synced before it",
                m.restart_count
            ),
        ));
    }
    (out, steps)
}

/// Whether files synced under `dest` can be under the watched dir `watch` (either contains
/// the other).
fn overlaps(watch: &str, dest: &str) -> bool {
    let under = |a: &str, b: &str| {
        let b = b.trim_end_matches('/');
        a == b || b.is_empty() || a.starts_with(&format!("{b}/"))
    };
    under(dest, watch) || under(watch, dest)
}

fn reload_step(kind: Role) -> String {
    let how = match kind {
        Role::Uvicorn => "add `--reload` to uvicorn (and `--reload-dir` for the synced directory)",
        Role::FastApi => "use `fastapi dev` or add `--reload`",
        Role::Gunicorn => "add `--reload` to gunicorn (without `--preload`)",
        Role::Hypercorn => "add `--reload` to hypercorn",
        Role::Flask => "run `flask run --debug` (or `--reload`)",
        Role::Django => "drop `--noreload` from runserver",
        _ => "run the server in reload mode",
    };
    format!("Make the dev command reload: {how}; then redeploy")
}

/// Binaries a hook needs in the image.
fn hook_tools(hook: &[String]) -> Vec<String> {
    let (commands, script) = signals::simple_commands(hook);
    let mut tools = Vec::new();
    if script.is_some() {
        if let Some(sh) = hook.first() {
            tools.push(sh.rsplit('/').next().unwrap_or(sh).to_string());
        }
    }
    for cmd in commands {
        let Some(first) = cmd.first() else { continue };
        let name = first.rsplit('/').next().unwrap_or(first).to_string();
        // Inside a shell, `kill` is a builtin.
        if script.is_some() && name == "kill" {
            continue;
        }
        if super::procs::TOOLS.contains(&name.as_str()) && !tools.contains(&name) {
            tools.push(name);
        }
    }
    tools
}

struct HookJudgement {
    diagnostics: Vec<Diagnostic>,
    reloads: bool,
}

/// Matches pkill/killall targets against the table (pkill never signals itself).
fn resolve_targets(hs: &HookSignal, procs: &[ProcInfo]) -> Vec<i32> {
    match &hs.target {
        SignalTarget::Pid(pid) => procs
            .iter()
            .filter(|p| p.pid == *pid)
            .map(|p| p.pid)
            .collect(),
        SignalTarget::Pattern { pattern, full } => {
            let Ok(re) = regex::Regex::new(pattern) else {
                return Vec::new();
            };
            procs
                .iter()
                .filter(|p| {
                    if *full {
                        re.is_match(&p.argv.join(" "))
                    } else {
                        let comm: String = p.comm.chars().take(15).collect();
                        re.is_match(&comm)
                    }
                })
                .map(|p| p.pid)
                .collect()
        }
        SignalTarget::Name(name) => procs
            .iter()
            .filter(|p| {
                p.comm == *name
                    || p.argv
                        .first()
                        .is_some_and(|a| a.rsplit('/').next() == Some(name))
            })
            .map(|p| p.pid)
            .collect(),
    }
}

fn judge_hook(
    target: &ProbeTarget,
    at: &str,
    hook: &[String],
    hs: &HookSignal,
    procs: &[ProcInfo],
    steps: &mut Vec<String>,
) -> HookJudgement {
    let mut diagnostics = Vec::new();
    let mut reloads = false;
    let hook_text = show_argv(hook);
    let sig = signals::name(hs.signal);

    // `sh -c '... pkill -f X'`: the hook's own shell has X on its command line.
    if let (
        Some(script),
        SignalTarget::Pattern {
            pattern,
            full: true,
        },
    ) = (&hs.via_shell, &hs.target)
    {
        let shell_line = format!("{} -c {script}", hook[0]);
        if regex::Regex::new(pattern).is_ok_and(|re| re.is_match(&shell_line))
            && signals::default_terminates(hs.signal)
        {
            diagnostics.push(diag(target, HOOK_SELF_KILL, format!(
                    "{at}: hook `{hook_text}`: the pattern `{pattern}` also matches the hook's own shell `{}`, so pkill sends it {sig} and the hook fails",
                    redact_line(&shell_line)
                ),
            ));
            step(
                steps,
                "Make the pkill pattern unable to match the hook's own shell (e.g. `pkill -f '[u]vicorn'`) or run pkill without `sh -c`".into(),
            );
        }
    }

    let pids = resolve_targets(hs, procs);
    if pids.is_empty() {
        diagnostics.push(diag(target, HOOK_NO_TARGET, format!("{at}: hook `{hook_text}` sends {sig} to no process here ({} matches nothing), so it exits non-zero", hs.target),
        ));
        return HookJudgement {
            diagnostics,
            reloads,
        };
    }
    let show_pid = |pid: i32| -> String {
        procs
            .iter()
            .find(|p| p.pid == pid)
            .map(|p| format!("PID {pid} `{}`", show_proc(p)))
            .unwrap_or_else(|| format!("PID {pid}"))
    };
    let mask = |pid: i32| -> String {
        procs
            .iter()
            .find(|p| p.pid == pid)
            .map(|p| match (p.sig_caught, p.sig_blocked) {
                (Some(c), Some(b)) if b != 0 => format!("SigCgt {c:016x}, SigBlk {b:016x}"),
                (Some(c), _) => format!("SigCgt {c:016x}"),
                _ => "no mask".into(),
            })
            .unwrap_or_else(|| "no mask".into())
    };
    for pid in pids {
        let effect = servers::predict(procs, pid, hs.signal);
        // Follow forwarding inits down to the process that decides.
        let mut chain = vec![pid];
        let mut last = effect.clone();
        while let Effect::Forwarded { to, then } = last {
            chain.push(to);
            last = *then;
        }
        let decider = *chain.last().unwrap_or(&pid);
        let via = if chain.len() > 1 {
            format!(", which forwards it to {}", show_pid(decider))
        } else {
            String::new()
        };
        match last {
            Effect::Ignored if pid == 1 || decider == 1 => {
                diagnostics.push(diag(target, SIGNAL_IGNORED, format!(
                        "{at}: hook `{hook_text}` sends {sig} to {}{via}, which has no handler for it ({}); PID 1 ignores such signals, so the hook does nothing",
                        show_pid(pid),
                        mask(decider)
                    ),
                ));
                step(
                    steps,
                    "Replace the signal hook: run the server in reload mode instead of signalling PID 1".into(),
                );
            }
            Effect::Terminates if pid == 1 => {
                diagnostics.push(diag(target, HOOK_RESTARTS, format!(
                        "{at}: hook `{hook_text}` sends {sig} to {}{via}, which exits on it ({}); PID 1 exits, the container restarts from the image and every synced file is discarded",
                        show_pid(pid),
                        mask(decider)
                    ),
                ));
                step(
                    steps,
                    "Remove the hook that ends PID 1: a restart undoes the sync; use a reloading server instead".into(),
                );
            }
            Effect::Terminates => {
                if let Some(parent) = servers::respawned_by_parent(procs, decider) {
                    let _ = parent;
                    reloads = true;
                } else if servers::is_server_process(procs, decider) {
                    diagnostics.push(diag(target, HOOK_STOPS_SERVER, format!(
                            "{at}: hook `{hook_text}` sends {sig} to {}{via}, which has no handler that survives it ({}); the process ends and nothing starts it again, while the pod still shows Running",
                            show_pid(decider),
                            mask(decider)
                        ),
                    ));
                    step(
                        steps,
                        "Remove the signal hook; a reloading server picks up synced files by itself".into(),
                    );
                }
            }
            Effect::ReloadsCode => reloads = true,
            Effect::RestartsWorkersOldCode => {
                diagnostics.push(diag(target, HOOK_OLD_CODE, format!(
                        "{at}: hook `{hook_text}` sends {sig} to {}{via}; gunicorn replaces its workers, but with --preload they keep the code loaded in the master, so synced changes are not picked up",
                        show_pid(decider)
                    ),
                ));
                step(
                    steps,
                    "Drop `--preload` from the dev gunicorn command so HUP reloads code".into(),
                );
            }
            _ => {}
        }
    }
    HookJudgement {
        diagnostics,
        reloads,
    }
}

#[cfg(test)]
mod tests {
    use super::super::cluster::ImageMatch;
    use super::super::facts::ToolPresence;
    use super::*;

    fn proc_(pid: i32, ppid: i32, argv: &[&str], mask: u64) -> ProcInfo {
        ProcInfo {
            pid,
            ppid,
            comm: argv
                .first()
                .map(|a| a.rsplit('/').next().unwrap().to_string())
                .unwrap_or_default(),
            argv: argv.iter().map(|s| s.to_string()).collect(),
            argv_exact: true,
            cwd: Some("/app".into()),
            env: Vec::new(),
            sig_caught: Some(mask),
            sig_blocked: None,
            uid: Some(0),
            config: None,
        }
    }

    fn m() -> Match {
        Match {
            pod: "web-1".into(),
            container: "app".into(),
            image: "app:abc".into(),
            image_match: ImageMatch::Exact,
            restart_count: 0,
            last_termination: None,
            restart_policy: Some("Always".into()),
            traffic_agent: None,
            devspace_helper: None,
            host_paths: Vec::new(),
            working_dir: None,
        }
    }

    fn facts(procs: Vec<ProcInfo>, tools: &[(&str, bool)]) -> ContainerFacts {
        ContainerFacts {
            pod: m(),
            list_method: Some(super::super::procs::ListMethod::Python),
            list_error: None,
            gone: None,
            processes: procs,
            tools: tools
                .iter()
                .map(|(n, p)| ToolPresence {
                    name: n.to_string(),
                    present: Some(*p),
                })
                .collect(),
            uid: Some(1000),
            dests: Vec::new(),
            hashed: 0,
            hash_method: None,
            drift: Vec::new(),
            exec_errors: Vec::new(),
        }
    }

    fn target(hooks: &[&[&str]]) -> ProbeTarget {
        ProbeTarget {
            image: "app".into(),
            config_path: "skaffold.yaml".into(),
            sync_dests: vec!["/app".into()],
            hooks: hooks
                .iter()
                .map(|h| h.iter().map(|s| s.to_string()).collect())
                .collect(),
            ..ProbeTarget::default()
        }
    }

    const UV: u64 = (1 << 1) | (1 << 14);

    #[test]
    fn hup_to_uvicorn_pid1_is_ignored_and_server_does_not_reload() {
        let t = target(&[&["kill", "-HUP", "1"]]);
        let f = facts(
            vec![proc_(
                1,
                0,
                &["/v/bin/python", "/v/bin/uvicorn", "app:app"],
                UV,
            )],
            &[("kill", true), ("tar", true)],
        );
        let (d, steps) = conclude(&t, &m(), &f, "dev");
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["PROBE003", "PROBE002"]);
        assert_eq!(
            d[0].message,
            "pod web-1 container app: hook `kill -HUP 1` sends SIGHUP to PID 1 `/v/bin/python /v/bin/uvicorn app:app`, which has no handler for it (SigCgt 0000000000004002); PID 1 ignores such signals, so the hook does nothing"
        );
        assert_eq!(steps.len(), 3);
        assert!(steps[1].starts_with("Make the dev command reload: add `--reload` to uvicorn"));
    }

    #[test]
    fn a_hook_whose_tool_is_missing_is_reported_and_not_judged() {
        let t = target(&[&["kill", "1"]]);
        let f = facts(
            vec![proc_(1, 0, &["uvicorn", "app:app", "--reload"], UV)],
            &[("kill", false), ("tar", false)],
        );
        let (d, _) = conclude(&t, &m(), &f, "dev");
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        // Without a `kill` binary the hook never runs, so its signal is not judged.
        assert_eq!(codes, vec!["PROBE007", "PROBE007"]);
        assert_eq!(
            d[0].message,
            "pod web-1 container app: the image has no `tar`, but Skaffold copies synced files with `tar`"
        );
        assert_eq!(
            d[1].message,
            "pod web-1 container app: the image has no `kill`, but hook `kill 1` runs it"
        );
    }

    #[test]
    fn gunicorn_hup_reloads_so_no_reload_warning() {
        let t = target(&[&["kill", "-HUP", "1"]]);
        let f = facts(
            vec![
                proc_(1, 0, &["gunicorn", "app:app", "-w", "2"], 0xffff),
                proc_(7, 1, &["gunicorn", "app:app", "-w", "2"], 0),
            ],
            &[("kill", true), ("tar", true)],
        );
        let (d, _) = conclude(&t, &m(), &f, "dev");
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn pkill_in_shell_matches_itself_and_kills_reload_supervisor() {
        let t = target(&[&["sh", "-c", "pkill -HUP -f uvicorn"]]);
        let f = facts(
            vec![
                proc_(
                    1,
                    0,
                    &["/bin/sh", "-c", "cd /app && exec tini -- x"],
                    1 << 16,
                ),
                proc_(5, 1, &["uvicorn", "app:app", "--reload"], UV),
                proc_(
                    6,
                    5,
                    &[
                        "python",
                        "-c",
                        "from multiprocessing.spawn import spawn_main; spawn_main()",
                    ],
                    UV,
                ),
            ],
            &[("sh", true), ("pkill", true), ("tar", true)],
        );
        let (d, _) = conclude(&t, &m(), &f, "dev");
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        assert_eq!(codes, vec!["PROBE017", "PROBE005"]);
        assert!(d[1].message.contains("PID 5 `uvicorn app:app --reload`"));
    }

    #[test]
    fn pod_level_findings_and_fallback_steps() {
        let mut t = target(&[]);
        t.expected_image = Some("app:def".into());
        let mut pod = m();
        pod.traffic_agent = Some("traffic-agent (tel2:2.19)".into());
        pod.host_paths = vec![("src".into(), "/home/me/src".into(), "/app".into())];
        pod.restart_count = 2;
        pod.last_termination = Some(super::super::cluster::Termination {
            exit_code: 137,
            signal: None,
            reason: Some("OOMKilled".into()),
            finished_at: None,
        });
        let mut f = facts(vec![], &[("tar", true)]);
        f.pod = pod.clone();
        f.hashed = 2;
        f.hash_method = Some("sha256sum".into());
        f.drift = vec![super::super::facts::FileDrift {
            local: "main.py".into(),
            container: "/app/main.py".into(),
            container_sha256: Some("a".repeat(64)),
            local_sha256: "b".repeat(64),
        }];
        let (d, steps) = conclude(&t, &pod, &f, "dev");
        let got: Vec<(&str, Severity)> = d.iter().map(|d| (d.code, d.severity)).collect();
        assert_eq!(
            got,
            vec![
                ("PROBE011", Severity::Warning),
                ("PROBE013", Severity::Warning),
                ("PROBE014", Severity::Warning),
                ("PROBE008", Severity::Warning),
                ("PROBE010", Severity::Warning),
            ]
        );
        assert_eq!(
            d[3].message,
            "pod web-1 container app: of 2 synced files compared (sha256sum), 1 differ from the local files and 0 are missing: main.py -> /app/main.py (container aaaaaaaaaaaa, local bbbbbbbbbbbb)"
        );
        assert_eq!(
            d[4].message,
            "pod web-1 container app: the container restarted 2 time(s) (last exit code 137, reason OOMKilled); a restart starts from the image and discards every file synced before it"
        );
        assert_eq!(steps.len(), 3);
        assert!(steps[0].starts_with("Leave the Telepresence intercept"));
        assert!(steps[1].starts_with("Redeploy with Skaffold"));
        assert!(steps[2].starts_with("The container restarted, so it runs the image's files"));
    }

    #[test]
    fn secrets_in_argv_are_redacted_in_messages() {
        let t = target(&[]);
        let f = facts(
            vec![proc_(
                1,
                0,
                &["uvicorn", "app:app", "--ssl-keyfile-password", "hunter2"],
                UV,
            )],
            &[("tar", true)],
        );
        let (d, _) = conclude(&t, &m(), &f, "dev");
        assert_eq!(d.len(), 1);
        assert!(
            d[0].message
                .contains("`uvicorn app:app --ssl-keyfile-password ***`"),
            "{}",
            d[0].message
        );
        assert!(!d[0].message.contains("hunter2"));
    }

    #[test]
    fn codes_are_numbered_in_order_with_kebab_names_and_registered() {
        for (i, rule) in ALL.iter().enumerate() {
            assert_eq!(rule.code, format!("PROBE{:03}", i + 1));
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                rule.name
            );
            assert!(matches!(rule.check, crate::rules::Check::Probe));
            assert!(std::ptr::eq(
                crate::rules::by_code(rule.code).unwrap(),
                *rule
            ));
        }
        let mut names: Vec<&str> = ALL.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        let registered = crate::rules::all()
            .iter()
            .filter(|r| matches!(r.check, crate::rules::Check::Probe))
            .count();
        assert_eq!(registered, ALL.len());
    }

    #[test]
    fn watched_dir_overlap() {
        assert!(overlaps("/app", "/app/src"));
        assert!(overlaps("/app/src", "/app"));
        assert!(overlaps("/app/", "/app"));
        assert!(!overlaps("/app/sub", "/app/other"));
        assert!(!overlaps("/app", "/application"));
        assert!(overlaps("/", "/srv"));
    }

    #[test]
    fn the_deadline_finding_names_at_most_ten_containers() {
        let api = target(&[]);
        let worker = ProbeTarget {
            image: "worker".into(),
            ..target(&[])
        };
        let pods: Vec<Match> = (1..=12)
            .map(|i| Match {
                pod: format!("web-{i}"),
                ..m()
            })
            .collect();
        let one: Vec<(&ProbeTarget, &Match)> = vec![(&api, &pods[0])];
        let d = deadline_passed(&one, "3s");
        assert_eq!(
            (d.code, d.artifact.as_deref(), d.message.as_str()),
            (
                "PROBE019",
                Some("app"),
                "the probe reached its time limit (3s) before it had examined pod web-1 container app; nothing is reported about them"
            )
        );
        // Containers of several artifacts: the finding belongs to none of them.
        let many: Vec<(&ProbeTarget, &Match)> = pods
            .iter()
            .enumerate()
            .map(|(i, p)| (if i < 6 { &api } else { &worker }, p))
            .collect();
        let d = deadline_passed(&many, "3s");
        assert_eq!(d.artifact, None);
        assert!(
            d.message.ends_with(
                "pod web-9 container app, pod web-10 container app, and 2 more; nothing is reported about them"
            ),
            "{}",
            d.message
        );
    }
}
