//! What the live process table means: which processes are web servers, whether they reload
//! on file changes, and what a signal does to a given process (from its real SigCgt mask and
//! the server's documented handlers). Facts: research/kube-probe.md §5 and §6.
//!
//! This is the probe's single call site for server semantics; argv-level meaning lives in
//! `crate::server` for the static rules, and this module only adds what needs the live tree
//! (children, environment, signal masks).

use super::facts::ProcInfo;
use super::signals::{self, SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM};
use serde::Serialize;

/// What a process is, from its argv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Shell,
    Tini,
    DumbInit,
    Uvicorn,
    Gunicorn,
    GunicornWorker,
    Hypercorn,
    Flask,
    Django,
    FastApi,
    /// A multiprocessing "spawn" child (uvicorn/hypercorn workers and reload children).
    SpawnChild,
    ResourceTracker,
    Other,
}

fn base(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// The word naming the program: `python -m uvicorn` and `python /venv/bin/uvicorn` both give
/// `uvicorn`.
fn program(argv: &[String]) -> (&str, usize) {
    let Some(first) = argv.first() else {
        return ("", 0);
    };
    let b = base(first);
    if b.starts_with("python") {
        let mut i = 1;
        while i < argv.len() {
            let a = &argv[i];
            if a == "-m" {
                return (argv.get(i + 1).map(String::as_str).unwrap_or(""), i + 1);
            }
            if a == "-c" {
                return ("-c", i);
            }
            if a.starts_with('-') {
                i += 1;
                continue;
            }
            return (base(a), i);
        }
        return (b, 0);
    }
    (b, 0)
}

pub fn role(p: &ProcInfo) -> Role {
    let argv = &p.argv;
    if argv.len() == 1 && argv[0].starts_with("gunicorn: ") {
        // setproctitle rewrote the command line.
        return if argv[0].starts_with("gunicorn: master") {
            Role::Gunicorn
        } else {
            Role::GunicornWorker
        };
    }
    let joined = argv.join(" ");
    if joined.contains("multiprocessing.spawn import spawn_main") {
        return Role::SpawnChild;
    }
    if joined.contains("multiprocessing.resource_tracker") {
        return Role::ResourceTracker;
    }
    let (prog, at) = program(argv);
    let rest = &argv[(at + 1).min(argv.len())..];
    match prog {
        "sh" | "dash" | "bash" | "ash" | "zsh" if argv.iter().any(|a| a == "-c") => Role::Shell,
        "busybox" if argv.get(1).map(String::as_str) == Some("sh") => Role::Shell,
        "tini" | "tini-static" => Role::Tini,
        "dumb-init" => Role::DumbInit,
        "uvicorn" => Role::Uvicorn,
        "gunicorn" => Role::Gunicorn,
        "hypercorn" => Role::Hypercorn,
        "flask" if rest.iter().any(|a| a == "run") => Role::Flask,
        "fastapi" if rest.first().is_some_and(|a| a == "dev" || a == "run") => Role::FastApi,
        "manage.py" | "django-admin" if rest.iter().any(|a| a == "runserver") => Role::Django,
        _ => Role::Other,
    }
}

fn has_flag(argv: &[String], flag: &str) -> bool {
    argv.iter()
        .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
}

fn flag_value(argv: &[String], flag: &str) -> Option<String> {
    let prefix = format!("{flag}=");
    for (i, a) in argv.iter().enumerate() {
        if a == flag {
            return argv.get(i + 1).cloned();
        }
        if let Some(v) = a.strip_prefix(&prefix) {
            return Some(v.to_string());
        }
    }
    None
}

fn env<'a>(p: &'a ProcInfo, key: &str) -> Option<&'a str> {
    p.env
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn truthy(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "on" | "t"
    )
}

/// A server found in the table, with its reload mode and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerView {
    pub kind: Role,
    /// The server's top process (master or supervisor).
    pub pid: i32,
    /// `None` when the table cannot tell (setproctitle hid gunicorn's flags).
    pub reload: Option<bool>,
    pub evidence: String,
    pub workers: usize,
    pub preload: bool,
    /// Absolute directories a uvicorn reloader watches (its `--reload-dir`s, else its cwd);
    /// empty when not known or not uvicorn.
    pub watch_dirs: Vec<String>,
}

fn children(procs: &[ProcInfo], pid: i32) -> impl Iterator<Item = &ProcInfo> {
    procs.iter().filter(move |p| p.ppid == pid && p.pid != pid)
}

/// The servers in a process table: one entry per top process (a server whose parent is not
/// a server of the same kind).
pub fn servers(procs: &[ProcInfo]) -> Vec<ServerView> {
    let mut out = Vec::new();
    for p in procs {
        let kind = role(p);
        if !matches!(
            kind,
            Role::Uvicorn
                | Role::Gunicorn
                | Role::Hypercorn
                | Role::Flask
                | Role::Django
                | Role::FastApi
        ) {
            continue;
        }
        if let Some(parent) = procs.iter().find(|q| q.pid == p.ppid) {
            if role(parent) == kind {
                continue;
            }
        }
        out.push(view(procs, p, kind));
    }
    out
}

/// What the argv itself says, from `crate::server` (shared with the static rules): reload
/// switched on by a flag, an environment variable or the command's default; worker count;
/// preload. The live tree adds what argv cannot show (reload children, setproctitle).
struct ArgvMeaning {
    reload_via: Option<String>,
    workers: Option<u32>,
    preload: bool,
    reload_dirs: Vec<String>,
}

fn argv_meaning(p: &ProcInfo) -> Option<ArgvMeaning> {
    use crate::server::{recognize, ReloadMode, ReloadVia};
    let lookup = |key: &str| env(p, key).map(str::to_string);
    let cmd = recognize(&p.argv, &lookup)?;
    let reload_via = match &cmd.reload {
        ReloadMode::On { via } => Some(match via {
            ReloadVia::Flag(f) => format!("the {f} flag"),
            ReloadVia::Env(e) => format!("{e} in its environment"),
            ReloadVia::Default => "the command's default".to_string(),
            ReloadVia::Config(file) => format!("the `reload` setting in {file}"),
        }),
        ReloadMode::Off | ReloadMode::Unknown => None,
    };
    Some(ArgvMeaning {
        reload_via,
        workers: cmd.workers,
        preload: cmd.preload,
        reload_dirs: cmd.reload_dirs,
    })
}

fn view(procs: &[ProcInfo], p: &ProcInfo, kind: Role) -> ServerView {
    let mut v = view_from_tree(procs, p, kind);
    let meaning = argv_meaning(p);
    if matches!(kind, Role::Uvicorn | Role::FastApi) && p.argv_exact {
        // Relative reload dirs are resolved against the process's cwd, the default dir.
        if let Some(cwd) = &p.cwd {
            let dirs = meaning
                .as_ref()
                .map(|m| m.reload_dirs.clone())
                .unwrap_or_default();
            v.watch_dirs = if dirs.is_empty() {
                vec![cwd.clone()]
            } else {
                dirs.iter()
                    .map(|d| {
                        let joined = if d.starts_with('/') {
                            d.clone()
                        } else {
                            format!("{cwd}/{d}")
                        };
                        super::procs::normalize(&joined)
                    })
                    .collect()
            };
        }
    }
    if let Some(meaning) = meaning {
        if v.reload != Some(true) {
            if let Some(via) = meaning.reload_via {
                v.reload = Some(true);
                v.evidence = via;
            }
        }
        v.preload |= meaning.preload;
        // gunicorn's count comes from its live workers; uvicorn's from what it was told.
        if let Some(w) = meaning.workers.filter(|_| kind != Role::Gunicorn) {
            v.workers = v.workers.max(w as usize);
        }
    }
    v
}

fn view_from_tree(procs: &[ProcInfo], p: &ProcInfo, kind: Role) -> ServerView {
    let argv = &p.argv;
    let spawn_children = children(procs, p.pid)
        .filter(|c| role(c) == Role::SpawnChild)
        .count();
    let mut preload = false;
    let mut workers = spawn_children;
    let (reload, evidence) = match kind {
        Role::Uvicorn | Role::FastApi => {
            let workers_flag = flag_value(argv, "--workers")
                .or_else(|| env(p, "UVICORN_WORKERS").map(str::to_string))
                .or_else(|| env(p, "WEB_CONCURRENCY").map(str::to_string))
                .and_then(|w| w.parse::<usize>().ok());
            if let Some(w) = workers_flag {
                workers = workers.max(w);
            }
            let is_fastapi_dev = kind == Role::FastApi && argv.iter().any(|a| a == "dev");
            if has_flag(argv, "--reload") {
                (Some(true), "the --reload flag".to_string())
            } else if is_fastapi_dev && !has_flag(argv, "--no-reload") {
                (
                    Some(true),
                    "`fastapi dev` (reload is on by default)".to_string(),
                )
            } else if let Some(v) = env(p, "UVICORN_RELOAD").filter(|v| truthy(v)) {
                (Some(true), format!("UVICORN_RELOAD={v} in its environment"))
            } else if spawn_children == 1 && workers_flag.unwrap_or(1) <= 1 {
                (
                    Some(true),
                    "one multiprocessing spawn child (a reload supervisor)".to_string(),
                )
            } else {
                (
                    Some(false),
                    "no --reload flag, no UVICORN_RELOAD, no reload child".to_string(),
                )
            }
        }
        Role::Gunicorn => {
            let cmd_args = env(p, "GUNICORN_CMD_ARGS").unwrap_or("");
            let cmd_words: Vec<String> = cmd_args.split_whitespace().map(str::to_string).collect();
            let config = p.config.as_ref();
            preload = has_flag(argv, "--preload")
                || has_flag(&cmd_words, "--preload")
                || config.is_some_and(|c| c.preload);
            workers = children(procs, p.pid)
                .filter(|c| matches!(role(c), Role::Gunicorn | Role::GunicornWorker))
                .count();
            let hidden = argv.len() == 1 && argv[0].starts_with("gunicorn: ");
            if has_flag(argv, "--reload") {
                (Some(true), "the --reload flag".to_string())
            } else if has_flag(&cmd_words, "--reload") {
                (Some(true), "--reload in GUNICORN_CMD_ARGS".to_string())
            } else if let Some(c) = config.filter(|c| c.reload) {
                (Some(true), format!("reload = True in {}", c.path))
            } else if hidden {
                (
                    None,
                    "setproctitle rewrote the command line, so its flags cannot be seen"
                        .to_string(),
                )
            } else {
                (
                    Some(false),
                    match config {
                        Some(c) => format!(
                            "no --reload flag, no --reload in GUNICORN_CMD_ARGS, no reload = True in {}",
                            c.path
                        ),
                        None => "no --reload flag, no --reload in GUNICORN_CMD_ARGS, no gunicorn.conf.py"
                            .to_string(),
                    },
                )
            }
        }
        Role::Hypercorn => {
            if has_flag(argv, "--reload") {
                (Some(true), "the --reload flag".to_string())
            } else {
                (Some(false), "no --reload flag".to_string())
            }
        }
        Role::Flask => {
            let child_main = children(procs, p.pid).any(|c| env(c, "WERKZEUG_RUN_MAIN").is_some());
            if has_flag(argv, "--no-reload") {
                (Some(false), "the --no-reload flag".to_string())
            } else if has_flag(argv, "--reload") || has_flag(argv, "--debug") {
                let f = if has_flag(argv, "--reload") {
                    "--reload"
                } else {
                    "--debug"
                };
                (Some(true), format!("the {f} flag"))
            } else if let Some(v) = env(p, "FLASK_DEBUG").filter(|v| truthy(v)) {
                (Some(true), format!("FLASK_DEBUG={v} in its environment"))
            } else if child_main {
                (
                    Some(true),
                    "a reloader child with WERKZEUG_RUN_MAIN".to_string(),
                )
            } else {
                (
                    Some(false),
                    "no --debug/--reload flag, no FLASK_DEBUG, no reloader child".to_string(),
                )
            }
        }
        Role::Django => {
            if has_flag(argv, "--noreload") {
                (Some(false), "the --noreload flag".to_string())
            } else {
                (Some(true), "runserver without --noreload".to_string())
            }
        }
        _ => (None, String::new()),
    };
    ServerView {
        kind,
        pid: p.pid,
        reload,
        evidence,
        workers,
        preload,
        watch_dirs: Vec::new(),
    }
}

/// What one signal does to one process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "effect")]
pub enum Effect {
    /// PID 1 has no handler: the kernel drops the signal.
    Ignored,
    /// The process ends (default action, or its handler exits).
    Terminates,
    /// New workers load the current code.
    ReloadsCode,
    /// Workers are replaced but keep the code loaded before (gunicorn --preload).
    RestartsWorkersOldCode,
    /// An init (tini, dumb-init) passes the signal to its child; the child's effect follows.
    Forwarded { to: i32, then: Box<Effect> },
    /// The process catches the signal but what it does is not known.
    Unknown,
    /// No signal mask could be read (the table came from `ps`).
    NoMask,
}

/// Predicts what `sig` does to process `pid`, from its real SigCgt mask first.
pub fn predict(procs: &[ProcInfo], pid: i32, sig: i32) -> Effect {
    predict_forwarded(procs, pid, sig, 0)
}

/// [`predict`] after `hops` forwardings. The listing comes from inside the container and may
/// be garbled (a `ps` that prints anything): parent links that loop must end, so a signal is
/// forwarded at most once per process.
fn predict_forwarded(procs: &[ProcInfo], pid: i32, sig: i32, hops: usize) -> Effect {
    let Some(p) = procs.iter().find(|p| p.pid == pid) else {
        return Effect::Unknown;
    };
    if hops > procs.len() {
        return Effect::Unknown;
    }
    let forward = |child: &ProcInfo| Effect::Forwarded {
        to: child.pid,
        then: Box::new(predict_forwarded(procs, child.pid, sig, hops + 1)),
    };
    if sig == SIGKILL {
        // Within its own namespace PID 1 cannot be killed; any other process always can.
        return if pid == 1 {
            Effect::Ignored
        } else {
            Effect::Terminates
        };
    }
    if matches!(role(p), Role::Tini | Role::DumbInit) {
        // They wait in sigtimedwait/sigwait, which clears SigBlk while waiting and installs
        // no handler, so /proc shows nothing; both forward every catchable signal.
        return children(procs, pid).next().map_or(Effect::Unknown, forward);
    }
    let Some(mask) = p.sig_caught else {
        return Effect::NoMask;
    };
    let blocked = p.sig_blocked.is_some_and(|b| signals::caught(b, sig));
    let waits = matches!(role(p), Role::Tini | Role::DumbInit);
    if blocked && !signals::caught(mask, sig) && !waits {
        // Pending until the process unblocks it; what happens then is not known.
        return Effect::Unknown;
    }
    if !signals::caught(mask, sig) && !blocked {
        return if pid == 1 || !signals::default_terminates(sig) {
            Effect::Ignored
        } else {
            Effect::Terminates
        };
    }
    let exits = matches!(sig, SIGTERM | SIGINT | SIGQUIT);
    match role(p) {
        Role::Tini | Role::DumbInit => children(procs, pid).next().map_or(Effect::Unknown, forward),
        Role::Gunicorn if sig == SIGHUP => {
            let preload = servers(procs)
                .iter()
                .find(|s| s.pid == pid)
                .map(|s| s.preload)
                .unwrap_or(false);
            if preload {
                Effect::RestartsWorkersOldCode
            } else {
                Effect::ReloadsCode
            }
        }
        Role::Hypercorn if sig == SIGHUP => Effect::ReloadsCode,
        Role::Uvicorn | Role::FastApi if sig == SIGHUP => {
            // Only the multiprocess supervisor (--workers N>1, uvicorn 0.30+) handles HUP.
            Effect::ReloadsCode
        }
        Role::Uvicorn
        | Role::FastApi
        | Role::Gunicorn
        | Role::GunicornWorker
        | Role::Hypercorn
        | Role::Flask
        | Role::Django
        | Role::SpawnChild
            if exits =>
        {
            Effect::Terminates
        }
        _ => Effect::Unknown,
    }
}

/// Whether the parent of `pid` replaces it when it dies (gunicorn's arbiter, uvicorn's
/// multiprocess supervisor).
pub fn respawned_by_parent(procs: &[ProcInfo], pid: i32) -> Option<&ProcInfo> {
    let p = procs.iter().find(|p| p.pid == pid)?;
    let parent = procs.iter().find(|q| q.pid == p.ppid)?;
    let view = servers(procs).into_iter().find(|s| s.pid == parent.pid)?;
    match view.kind {
        Role::Gunicorn => Some(parent),
        Role::Uvicorn | Role::FastApi | Role::Hypercorn
            if view.reload != Some(true) && view.workers > 1 =>
        {
            Some(parent)
        }
        _ => None,
    }
}

/// Whether `pid` is part of a server (its top process, a worker or a reload child).
pub fn is_server_process(procs: &[ProcInfo], pid: i32) -> bool {
    let mut pid = pid;
    // Up the spawn chain, one step per process at most: a garbled listing's parent links may
    // loop (a process its own parent).
    for _ in 0..=procs.len() {
        let Some(p) = procs.iter().find(|p| p.pid == pid) else {
            return false;
        };
        match role(p) {
            Role::Other | Role::Shell | Role::Tini | Role::DumbInit | Role::ResourceTracker => {
                return false
            }
            Role::SpawnChild => pid = p.ppid,
            _ => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proc_(pid: i32, ppid: i32, argv: &[&str], mask: u64) -> ProcInfo {
        ProcInfo {
            pid,
            ppid,
            comm: String::new(),
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
    const SPAWN: &str =
        "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)";
    // uvicorn's master: INT and TERM.
    const UV: u64 = (1 << 1) | (1 << 14);
    // uvicorn's multiprocess master adds HUP, TTIN, TTOU.
    const UVM: u64 = UV | 1 | (1 << 20) | (1 << 21);

    #[test]
    fn uvicorn_modes() {
        let plain = vec![proc_(
            1,
            0,
            &["/v/bin/python", "/v/bin/uvicorn", "app:app"],
            UV,
        )];
        let s = servers(&plain);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].kind, s[0].reload), (Role::Uvicorn, Some(false)));
        assert_eq!(predict(&plain, 1, SIGHUP), Effect::Ignored);
        assert_eq!(predict(&plain, 1, SIGTERM), Effect::Terminates);

        let reload = vec![
            proc_(1, 0, &["uvicorn", "app:app", "--reload"], UV),
            proc_(
                8,
                1,
                &["python", "-B", "-c", SPAWN, "--multiprocessing-fork"],
                UV,
            ),
        ];
        assert_eq!(servers(&reload)[0].reload, Some(true));
        assert!(is_server_process(&reload, 8));
        assert_eq!(respawned_by_parent(&reload, 8), None);

        let workers = vec![
            proc_(1, 0, &["uvicorn", "app:app", "--workers", "2"], UVM),
            proc_(8, 1, &["python", "-c", SPAWN], UV),
            proc_(9, 1, &["python", "-c", SPAWN], UV),
        ];
        let s = servers(&workers);
        assert_eq!((s[0].reload, s[0].workers), (Some(false), 2));
        assert_eq!(predict(&workers, 1, SIGHUP), Effect::ReloadsCode);
        assert_eq!(respawned_by_parent(&workers, 9).map(|p| p.pid), Some(1));
    }

    #[test]
    fn shells_and_inits() {
        let dash = vec![
            proc_(1, 0, &["/bin/sh", "-c", "uvicorn app:app"], 1 << 16),
            proc_(7, 1, &["uvicorn", "app:app"], UV),
        ];
        assert_eq!(predict(&dash, 1, SIGTERM), Effect::Ignored);
        assert_eq!(predict(&dash, 7, SIGHUP), Effect::Terminates);
        let tini = vec![
            proc_(1, 0, &["tini", "--", "uvicorn", "app:app"], 0x7ffbfeff),
            proc_(7, 1, &["uvicorn", "app:app"], UV),
        ];
        assert_eq!(
            predict(&tini, 1, SIGHUP),
            Effect::Forwarded {
                to: 7,
                then: Box::new(Effect::Terminates)
            }
        );
    }

    #[test]
    fn gunicorn_preload_and_env() {
        let mut master = proc_(1, 0, &["gunicorn", "app:app", "-w", "2"], 0xffff);
        master.env = vec![("GUNICORN_CMD_ARGS".into(), "--preload --reload".into())];
        let t = vec![master, proc_(5, 1, &["gunicorn", "app:app", "-w", "2"], 0)];
        let s = servers(&t);
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].reload, s[0].preload, s[0].workers),
            (Some(true), true, 1)
        );
        assert_eq!(predict(&t, 1, SIGHUP), Effect::RestartsWorkersOldCode);
        let hidden = vec![proc_(1, 0, &["gunicorn: master [app:app]"], 0xffff)];
        assert_eq!(servers(&hidden)[0].reload, None);
    }

    #[test]
    fn flask_and_django() {
        let mut child = proc_(9, 1, &["python", "/v/bin/flask", "run"], 0);
        child.env = vec![("WERKZEUG_RUN_MAIN".into(), "true".into())];
        let t = vec![proc_(1, 0, &["python", "/v/bin/flask", "run"], 0), child];
        let s = servers(&t);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].reload, Some(true));
        let d = vec![proc_(
            1,
            0,
            &["python", "manage.py", "runserver", "--noreload"],
            0,
        )];
        assert_eq!(servers(&d)[0].reload, Some(false));
    }
}
