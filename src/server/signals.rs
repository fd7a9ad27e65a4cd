//! What a signal does to a recognized server: reload, nothing, or exit; per server, mode,
//! version, and whether the process is PID 1 of its PID namespace.
//!
//! The PID-1 rule (pid_namespaces(7)): the init of a namespace only receives signals it has
//! installed a handler for, when they come from inside the namespace (as `kubectl exec` does);
//! SIGKILL and SIGSTOP too are ignored then. Observed for uvicorn, gunicorn, dash, node, tini and
//! dumb-init (research `kube-probe.md` §6).

use super::{ReloadMode, ServerCommand, ServerKind, Wrapper};
use crate::image::ShellKind;

/// A signal, by its Linux number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Hup,
    Int,
    Quit,
    Kill,
    Usr1,
    Usr2,
    Pipe,
    Alrm,
    Term,
    Chld,
    Cont,
    Stop,
    Tstp,
    Ttin,
    Ttou,
    Winch,
    /// Any other signal number.
    Other(i32),
}

const TABLE: [(Signal, i32, &str); 16] = [
    (Signal::Hup, 1, "HUP"),
    (Signal::Int, 2, "INT"),
    (Signal::Quit, 3, "QUIT"),
    (Signal::Kill, 9, "KILL"),
    (Signal::Usr1, 10, "USR1"),
    (Signal::Usr2, 12, "USR2"),
    (Signal::Pipe, 13, "PIPE"),
    (Signal::Alrm, 14, "ALRM"),
    (Signal::Term, 15, "TERM"),
    (Signal::Chld, 17, "CHLD"),
    (Signal::Cont, 18, "CONT"),
    (Signal::Stop, 19, "STOP"),
    (Signal::Tstp, 20, "TSTP"),
    (Signal::Ttin, 21, "TTIN"),
    (Signal::Ttou, 22, "TTOU"),
    (Signal::Winch, 28, "WINCH"),
];

impl Signal {
    /// The signal for a Linux (x86_64/arm64) signal number.
    pub fn from_number(n: i32) -> Signal {
        TABLE
            .iter()
            .find(|(_, num, _)| *num == n)
            .map_or(Signal::Other(n), |(s, _, _)| *s)
    }

    /// The Linux signal number.
    pub fn number(self) -> i32 {
        match self {
            Signal::Other(n) => n,
            s => TABLE
                .iter()
                .find(|(t, _, _)| *t == s)
                .map_or(0, |(_, n, _)| *n),
        }
    }

    /// Parses what `kill`/`pkill` accept: `HUP`, `SIGHUP`, `sighup`, `-HUP`, `1`, `-1`, `-s HUP`'s
    /// `HUP`. `None` for unknown names.
    pub fn parse(text: &str) -> Option<Signal> {
        let t = text.strip_prefix('-').unwrap_or(text);
        if let Ok(n) = t.parse::<i32>() {
            return (n > 0 && n < 65).then(|| Signal::from_number(n));
        }
        let upper = t.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        TABLE
            .iter()
            .find(|(_, _, nm)| *nm == name)
            .map(|(s, _, _)| *s)
    }
}

/// A dotted version like `0.30.1` (pre-release suffixes ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
}

impl Version {
    pub const fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parses `1`, `0.30`, `0.30.1`, `v0.30.1`, `0.30.1rc2`; `None` when it does not start with
    /// a number.
    pub fn parse(text: &str) -> Option<Version> {
        let t = text.trim().trim_start_matches('v');
        let mut parts = [0u64; 3];
        let mut seen = 0;
        for (i, part) in t.split('.').take(3).enumerate() {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            parts[i] = digits.parse().ok()?;
            seen += 1;
            if digits.len() != part.len() {
                break;
            }
        }
        (seen > 0).then(|| Version::new(parts[0], parts[1], parts[2]))
    }
}

/// What a signal does to the process that receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalOutcome {
    /// The server restarts its workers or child and they load the current code.
    Reload,
    /// Workers are restarted but keep the code loaded at start (gunicorn `--preload`).
    RestartOldCode,
    /// Handled without reloading and without exiting (e.g. log reopening, worker count).
    Handled,
    /// Nothing happens: no handler and the process is PID 1, or a handler that ignores it.
    Ignored,
    /// The process exits. As the container's PID 1 that restarts the container, which throws
    /// away synced files.
    Terminates,
    /// Not known (unknown version, unknown wrapper, app-installed handlers decide).
    Unknown,
}

/// What `sig` does to the kernel's default disposition for a process without a handler.
fn default_action(sig: Signal, is_pid1: bool) -> SignalOutcome {
    match sig {
        Signal::Chld | Signal::Winch | Signal::Cont => SignalOutcome::Ignored,
        Signal::Stop | Signal::Tstp | Signal::Ttin | Signal::Ttou => {
            if is_pid1 {
                SignalOutcome::Ignored
            } else {
                SignalOutcome::Unknown
            }
        }
        _ if is_pid1 => SignalOutcome::Ignored,
        _ => SignalOutcome::Terminates,
    }
}

/// A CPython process without handlers of its own: the interpreter installs a SIGINT handler
/// (KeyboardInterrupt) and ignores SIGPIPE; everything else has the default action.
fn python_default(sig: Signal, is_pid1: bool) -> SignalOutcome {
    match sig {
        Signal::Int => SignalOutcome::Terminates,
        Signal::Pipe => SignalOutcome::Ignored,
        _ => default_action(sig, is_pid1),
    }
}

fn reload_on(cmd: &ServerCommand) -> Option<bool> {
    match cmd.reload {
        ReloadMode::On { .. } => Some(true),
        ReloadMode::Off => Some(false),
        ReloadMode::Unknown => None,
    }
}

/// uvicorn. Single process (`server.py`) and `--reload` supervisor (`supervisors/basereload.py`)
/// handle only INT and TERM (encode/uvicorn@e6c7ce7 `uvicorn/server.py:32-37`,
/// `supervisors/basereload.py:19-21`). The multiprocess supervisor (`--workers N>1`, new in
/// 0.30.0, PR #2183) catches INT TERM BREAK HUP QUIT TTIN TTOU USR1 USR2 WINCH and restarts all
/// workers on HUP (`supervisors/multiprocess.py:16-20,119-120,181-214`); signals without a
/// `handle_*` method are caught and dropped. `--reload` wins over `--workers`
/// (`main.py:575-580`).
fn uvicorn(
    cmd: &ServerCommand,
    sig: Signal,
    is_pid1: bool,
    version: Option<&Version>,
) -> SignalOutcome {
    if matches!(sig, Signal::Int | Signal::Term) {
        return SignalOutcome::Terminates;
    }
    let multiprocess = cmd.workers.is_some_and(|w| w > 1);
    match reload_on(cmd) {
        Some(true) => return python_default(sig, is_pid1),
        None if multiprocess => return SignalOutcome::Unknown,
        _ => {}
    }
    if !multiprocess {
        return python_default(sig, is_pid1);
    }
    let caught = matches!(
        sig,
        Signal::Hup
            | Signal::Quit
            | Signal::Ttin
            | Signal::Ttou
            | Signal::Usr1
            | Signal::Usr2
            | Signal::Winch
    );
    if !caught {
        return python_default(sig, is_pid1);
    }
    match version {
        None => SignalOutcome::Unknown,
        Some(v) if *v < Version::new(0, 30, 0) => python_default(sig, is_pid1),
        Some(_) => match sig {
            Signal::Hup => SignalOutcome::Reload,
            Signal::Ttin | Signal::Ttou => SignalOutcome::Handled,
            _ => SignalOutcome::Ignored,
        },
    }
}

/// gunicorn's arbiter handles HUP QUIT INT TERM TTIN TTOU USR1 USR2 WINCH (benoitc/gunicorn@65ac1a3
/// `gunicorn/arbiter.py:46-47`). HUP reloads the config and replaces the workers
/// (`arbiter.py:306-317`); with `--preload` the app is loaded once in the master, so new workers
/// run the old code (`app/base.py`, docs `signals.md`). WINCH only acts when daemonized
/// (`arbiter.py:371-378`).
fn gunicorn(cmd: &ServerCommand, sig: Signal, is_pid1: bool) -> SignalOutcome {
    match sig {
        Signal::Hup if cmd.preload => SignalOutcome::RestartOldCode,
        Signal::Hup => SignalOutcome::Reload,
        Signal::Int | Signal::Term | Signal::Quit => SignalOutcome::Terminates,
        Signal::Ttin | Signal::Ttou | Signal::Usr1 | Signal::Usr2 => SignalOutcome::Handled,
        Signal::Winch | Signal::Chld => SignalOutcome::Ignored,
        _ => python_default(sig, is_pid1),
    }
}

/// hypercorn with workers (default 1) installs `shutdown` for INT/TERM/BREAK and, since 0.18.0
/// (pgjones/hypercorn commit fcc93c8 "Reload workers on SIGHUP"), `reload` for HUP, which stops
/// and respawns the workers (`src/hypercorn/run.py:57-83` @0e2311f). `-w 0` serves in-process.
fn hypercorn(
    cmd: &ServerCommand,
    sig: Signal,
    is_pid1: bool,
    version: Option<&Version>,
) -> SignalOutcome {
    if matches!(sig, Signal::Int | Signal::Term) {
        return SignalOutcome::Terminates;
    }
    if cmd.workers == Some(0) || sig != Signal::Hup {
        return python_default(sig, is_pid1);
    }
    match version {
        None => SignalOutcome::Unknown,
        Some(v) if *v < Version::new(0, 18, 0) => python_default(sig, is_pid1),
        Some(_) => SignalOutcome::Reload,
    }
}

/// werkzeug's and Django's reloaders install a SIGTERM handler that exits
/// (pallets/werkzeug@1b00618 `src/werkzeug/_reloader.py:387-389`; django
/// `django/utils/autoreload.py` `run_with_reloader`); neither handles HUP. Without the reloader
/// neither installs handlers.
fn reloader_python(cmd: &ServerCommand, sig: Signal, is_pid1: bool) -> SignalOutcome {
    match (sig, reload_on(cmd)) {
        (Signal::Term, Some(true)) => SignalOutcome::Terminates,
        (Signal::Term, None) if is_pid1 => SignalOutcome::Unknown,
        _ => python_default(sig, is_pid1),
    }
}

/// node installs no handlers for HUP or TERM by default (as PID 1 `kill 1` is ignored,
/// research `kube-probe.md` §5.3, §6), ignores SIGPIPE and uses SIGUSR1 to start the inspector
/// (nodejs.org/api/process.html "Signal events"). `node --watch`'s parent installs TERM and INT
/// handlers that stop the child and exit (nodejs/node@09a4e30
/// `lib/internal/main/watch_mode.js`, last lines) and dies on HUP (verified in the research).
/// App code may add handlers: these are the defaults.
fn node(cmd: &ServerCommand, sig: Signal, is_pid1: bool) -> SignalOutcome {
    match sig {
        Signal::Pipe => SignalOutcome::Ignored,
        Signal::Usr1 => SignalOutcome::Handled,
        Signal::Int | Signal::Term if reload_on(cmd) == Some(true) => SignalOutcome::Terminates,
        _ => default_action(sig, is_pid1),
    }
}

/// nodemon restarts its child on SIGHUP while its kill signal is the default SIGUSR2, and on
/// SIGUSR2 otherwise (`lib/nodemon.js`, verified with nodemon 3.1.14 in the research); it exits
/// on INT and TERM.
fn nodemon(cmd: &ServerCommand, sig: Signal) -> SignalOutcome {
    let custom = cmd
        .option_value(&["--signal", "-s"])
        .and_then(|s| Signal::parse(&s))
        .filter(|s| *s != Signal::Usr2);
    match sig {
        Signal::Int | Signal::Term => SignalOutcome::Terminates,
        Signal::Hup if custom.is_none() => SignalOutcome::Reload,
        Signal::Usr2 if custom.is_some() => SignalOutcome::Reload,
        _ => SignalOutcome::Unknown,
    }
}

/// What `sig` does to the server process itself (the process whose argv was recognized, e.g.
/// uvicorn's supervisor or gunicorn's master), given whether that process is PID 1 and the
/// server's version when known. `None` version makes version-dependent answers `Unknown`.
pub fn signal_behaviour(
    cmd: &ServerCommand,
    sig: Signal,
    is_pid1: bool,
    version: Option<&Version>,
) -> SignalOutcome {
    match &cmd.kind {
        ServerKind::Uvicorn | ServerKind::FastApiCli { .. } => uvicorn(cmd, sig, is_pid1, version),
        ServerKind::Gunicorn { .. } => gunicorn(cmd, sig, is_pid1),
        ServerKind::Hypercorn => hypercorn(cmd, sig, is_pid1, version),
        ServerKind::Flask | ServerKind::Django => reloader_python(cmd, sig, is_pid1),
        ServerKind::Node => node(cmd, sig, is_pid1),
        ServerKind::Nodemon => nodemon(cmd, sig),
        ServerKind::Air | ServerKind::NodeTool { .. } | ServerKind::Quarkus { .. } => match sig {
            Signal::Int | Signal::Term => SignalOutcome::Terminates,
            _ => SignalOutcome::Unknown,
        },
    }
}

/// What SIGHUP does to the server process itself; see [`signal_behaviour`].
pub fn hup_behaviour(
    cmd: &ServerCommand,
    is_pid1: bool,
    version: Option<&Version>,
) -> SignalOutcome {
    signal_behaviour(cmd, Signal::Hup, is_pid1, version)
}

/// What `sig` sent to PID 1 (`kill -SIG 1` in a hook) does when `cmd` (as recognized from the
/// container's full argv, wrappers included) is what the container runs. `sh` is the image's
/// `/bin/sh` when known, used for `sh -c` wrappers.
///
/// - `sh -c`: dash does not exec even a single command, so the shell stays PID 1 with no handlers
///   and every signal is ignored; bash and busybox ash exec the last command of a plain `&&`/`;`
///   list (research `kube-probe.md` §6), and `exec` always does.
/// - tini and dumb-init forward the signal to the child and exit when it exits (§6).
/// - `env`, `gosu`, `su-exec`, `poetry run`, `pipenv run`, `ddtrace-run`, debuggers: the server
///   ends up in the same process.
/// - Wrappers that keep a parent process (`uv run`, `npx`, ...): `Unknown`.
pub fn pid1_signal_behaviour(
    cmd: &ServerCommand,
    sig: Signal,
    sh: Option<ShellKind>,
    version: Option<&Version>,
) -> SignalOutcome {
    let mut forwarded = false;
    for wrapper in &cmd.wrappers {
        match wrapper {
            Wrapper::Exec { .. } => {}
            Wrapper::Spawn { .. } => return SignalOutcome::Unknown,
            Wrapper::Init { .. } => {
                if forwarded {
                    continue;
                }
                if matches!(sig, Signal::Kill | Signal::Stop) {
                    return SignalOutcome::Ignored;
                }
                forwarded = true;
            }
            Wrapper::Shell {
                shell,
                exec,
                tail_call,
            } => {
                if *exec {
                    continue;
                }
                let kind = match shell.as_str() {
                    "bash" => Some(ShellKind::Bash),
                    "dash" => Some(ShellKind::Dash),
                    "ash" => Some(ShellKind::BusyboxAsh),
                    _ => sh,
                };
                let execs_tail = match kind {
                    Some(ShellKind::Dash) => false,
                    Some(ShellKind::Bash | ShellKind::BusyboxAsh) => match tail_call {
                        Some(t) => *t,
                        None => return SignalOutcome::Unknown,
                    },
                    None => return SignalOutcome::Unknown,
                };
                if execs_tail {
                    continue;
                }
                // The shell stays the parent. As PID 1 it has no handlers: every signal is
                // ignored. Behind an init that forwards, the shell itself dies of most signals
                // while the server keeps running: not a reload.
                return if forwarded {
                    default_action(sig, false)
                } else {
                    SignalOutcome::Ignored
                };
            }
        }
    }
    signal_behaviour(cmd, sig, !forwarded, version)
}
