//! Gathers the live facts of one container through exec: the process table (sh, which runs
//! the python3 walker when there is python3; python3 alone; then ps), PID 1's caught signals,
//! tool presence, the exec user and the writability of sync destinations, and content hashes
//! of synced files. The python and shell listers hash the synced files in the same exec, so a
//! container with either costs one exec; separate execs are left for images without them (and
//! for a gunicorn config file).

use super::cluster::Match;
use super::hash::{self, LocalFiles, Planned};
use super::procs::{self, ListMethod, Listing};
use super::transport::{Exec, ExecError, ExecOutcome, ExecOutput};
use super::ProbeTarget;
use serde::Serialize;

/// One process in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub comm: String,
    pub argv: Vec<String>,
    /// False when argv came from `ps` (words joined by spaces, boundaries lost).
    pub argv_exact: bool,
    pub cwd: Option<String>,
    /// Only the reload switches (see `procs::is_reload_env`); no other variable is kept.
    pub env: Vec<(String, String)>,
    /// The SigCgt mask: bit n-1 set means a handler for signal n.
    pub sig_caught: Option<u64>,
    /// The SigBlk mask: blocked signals stay pending, which is how tini and dumb-init wait
    /// for them (sigwait) without installing handlers.
    pub sig_blocked: Option<u64>,
    pub uid: Option<u32>,
    /// What the server's config file switches on (gunicorn.conf.py), when one was read.
    pub config: Option<ServerConfig>,
}

/// Settings read from a server's config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerConfig {
    pub path: String,
    pub reload: bool,
    pub preload: bool,
}

/// Whether a sync destination can be written by the container's user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DestAccess {
    pub dest: String,
    /// The absolute path it resolves to.
    pub path: String,
    pub exists: bool,
    /// The nearest existing directory that was checked.
    pub checked: String,
    pub writable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolPresence {
    pub name: String,
    /// `None` when it could not be checked.
    pub present: Option<bool>,
}

/// A synced file whose container copy differs from the local one or is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDrift {
    pub local: String,
    pub container: String,
    /// `None` when the file is missing in the container.
    pub container_sha256: Option<String>,
    pub local_sha256: String,
}

/// Everything learned about one container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerFacts {
    pub pod: Match,
    pub list_method: Option<ListMethod>,
    /// Why no lister worked, when none did.
    pub list_error: Option<String>,
    /// The pod or container disappeared while probing.
    pub gone: Option<String>,
    pub processes: Vec<ProcInfo>,
    pub tools: Vec<ToolPresence>,
    pub uid: Option<u32>,
    pub dests: Vec<DestAccess>,
    /// How many synced files were compared, and with what (`sha256sum`, `python3`).
    pub hashed: usize,
    pub hash_method: Option<String>,
    pub drift: Vec<FileDrift>,
    /// Exec failures worth reporting (timeouts, RBAC), in order.
    pub exec_errors: Vec<String>,
}

impl ContainerFacts {
    pub fn processes_listed(&self) -> bool {
        self.list_method.is_some()
    }

    pub fn tool(&self, name: &str) -> Option<bool> {
        self.tools
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.present)
    }

    pub fn pid1(&self) -> Option<&ProcInfo> {
        self.processes.iter().find(|p| p.pid == 1)
    }

    /// The container's working directory as Skaffold sees it for relative sync dests.
    pub fn workdir(&self) -> Option<String> {
        self.pod
            .working_dir
            .clone()
            .or_else(|| self.pid1().and_then(|p| p.cwd.clone()))
    }
}

fn all_dests(target: &ProbeTarget) -> Vec<String> {
    let mut dests: Vec<String> = Vec::new();
    for d in target
        .sync_dests
        .iter()
        .chain(target.sync_rules.iter().map(|r| &r.dest))
    {
        if !dests.contains(d) {
            dests.push(d.clone());
        }
    }
    dests
}

/// Parses one lister's stdout, saying which lister really ran.
type Parser = fn(&[u8]) -> Option<(Listing, ListMethod)>;

enum Try {
    /// The listing, and the `sha256sum` lines when the lister hashed the synced files.
    Parsed(Listing, ListMethod, Option<Vec<u8>>),
    Absent,
    Unusable(String),
    Gone(String),
    /// RBAC refused the exec; every other exec would be refused too.
    Forbidden(String),
}

async fn try_lister<E: Exec>(
    exec: &E,
    m: &Match,
    argv: Vec<String>,
    parse: Parser,
    // Whether this lister prints a hash section; only then is its output split.
    hashes: bool,
    errors: &mut Vec<String>,
) -> Try {
    match exec.exec(&m.pod, &m.container, &argv).await {
        Ok(ExecOutput {
            stdout,
            outcome: ExecOutcome::Exited(0),
            ..
        }) => {
            let (listing, hashes) = if hashes {
                procs::split_hashes(&stdout)
            } else {
                (&stdout[..], None)
            };
            match parse(listing) {
                Some((l, method)) => Try::Parsed(l, method, hashes.map(<[u8]>::to_vec)),
                None => Try::Unusable(format!("`{}` printed nothing usable", argv[0])),
            }
        }
        Ok(ExecOutput {
            outcome: ExecOutcome::NotFound(_),
            ..
        }) => Try::Absent,
        Ok(ExecOutput {
            outcome, stderr, ..
        }) => Try::Unusable(format!(
            "`{}` failed ({outcome}): {}",
            argv[0],
            String::from_utf8_lossy(&stderr).trim()
        )),
        Err(ExecError::Gone(msg)) => Try::Gone(msg),
        Err(e @ ExecError::Forbidden(_)) => {
            errors.push(e.to_string());
            Try::Forbidden(e.to_string())
        }
        Err(e) => {
            errors.push(e.to_string());
            Try::Unusable(e.to_string())
        }
    }
}

/// Everything the probe learns about one container. `local` is the artifact's synced files,
/// hashed once for all its pods (`None`: nothing to compare).
pub async fn gather<E: Exec>(
    exec: &E,
    m: &Match,
    target: &ProbeTarget,
    local: Option<&LocalFiles>,
) -> ContainerFacts {
    let mut facts = ContainerFacts {
        pod: m.clone(),
        list_method: None,
        list_error: None,
        gone: None,
        processes: Vec::new(),
        tools: Vec::new(),
        uid: None,
        dests: Vec::new(),
        hashed: 0,
        hash_method: None,
        drift: Vec::new(),
        exec_errors: Vec::new(),
    };
    let dests = all_dests(target);
    let planned = local
        .map(|l| hash::plan(l, &target.sync_rules, m.working_dir.as_deref()))
        .unwrap_or_default();
    let hash_args: Vec<String> = planned.iter().map(|p| p.arg.clone()).collect();
    let mut absent: Vec<&str> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    // The shell first: it runs python3 itself when the image has it, so every image with a
    // shell costs one exec; python3 alone is tried for images without a shell (distroless).
    let attempts: [(&str, Vec<String>, Parser); 3] = [
        (
            "sh",
            procs::shell_argv(&dests, &hash_args),
            procs::parse_lister,
        ),
        (
            "python3",
            procs::python_argv(&dests, &hash_args),
            procs::parse_lister,
        ),
        ("ps", procs::ps_argv(), |out| {
            procs::parse_ps(out).map(|l| (l, ListMethod::Ps))
        }),
    ];
    let mut listing = None;
    let mut hashed_by_lister = None;
    for (program, argv, parse) in attempts {
        let hashes = program != "ps" && !hash_args.is_empty();
        match try_lister(exec, m, argv, parse, hashes, &mut facts.exec_errors).await {
            Try::Parsed(l, method, hashes) => {
                facts.list_method = Some(method);
                listing = Some(l);
                hashed_by_lister = hashes.map(|h| (method, h));
                break;
            }
            Try::Absent => {
                absent.push(program);
                reasons.push(format!("no `{program}`"));
            }
            Try::Unusable(why) => reasons.push(why),
            Try::Gone(msg) => {
                facts.gone = Some(msg);
                return facts;
            }
            Try::Forbidden(why) => {
                reasons.push(why);
                break;
            }
        }
    }
    let Some(mut listing) = listing else {
        facts.list_error = Some(reasons.join("; "));
        facts.tools = absent
            .iter()
            .map(|t| ToolPresence {
                name: t.to_string(),
                present: Some(false),
            })
            .collect();
        return facts;
    };
    if facts.list_method == Some(ListMethod::Ps) {
        // ps gives no signal masks; PID 1's comes from its status file if `cat` exists.
        let argv = vec!["cat".to_string(), "/proc/1/status".to_string()];
        if let Ok(ExecOutput {
            stdout,
            outcome: ExecOutcome::Exited(0),
            ..
        }) = exec.exec(&m.pod, &m.container, &argv).await
        {
            let (mask, blocked, uid) = procs::parse_status(&stdout);
            if let Some(p1) = listing.procs.iter_mut().find(|p| p.pid == 1) {
                p1.sig_caught = mask;
                p1.sig_blocked = blocked;
                p1.uid = uid;
            }
        }
        listing.tools.insert("ps".into(), true);
    }
    for t in &absent {
        listing.tools.insert(t.to_string(), false);
    }
    facts.tools = procs::TOOLS
        .iter()
        .map(|name| ToolPresence {
            name: name.to_string(),
            present: listing.tools.get(*name).copied(),
        })
        .collect();
    // Facts may be printed (JSON output), so secret-looking arguments are masked here, once.
    facts.processes = listing
        .procs
        .into_iter()
        .map(|mut p| {
            p.argv = super::redact::redact_argv(&p.argv);
            for (_, value) in p.env.iter_mut() {
                *value = super::redact::redact_line(value);
            }
            p
        })
        .collect();
    facts.uid = listing.uid;
    read_server_configs(exec, m, &mut facts).await;
    facts.dests = listing.dests;
    if !planned.is_empty() {
        match hashed_by_lister {
            Some((lister, lines)) => {
                let method = match lister {
                    ListMethod::Python => "python3",
                    _ => "sha256sum",
                };
                compare(&planned, &hash::parse_sha256sum(&lines), method, &mut facts);
            }
            None => hash_separately(exec, m, &planned, &mut facts).await,
        }
    }
    facts
}

/// gunicorn reads `./gunicorn.conf.py` (or `-c FILE`) from its cwd, where `reload = True`
/// and `preload_app = True` switch modes without any flag; read it with `cat` or python.
async fn read_server_configs<E: Exec>(exec: &E, m: &Match, facts: &mut ContainerFacts) {
    let masters: Vec<(usize, String)> = facts
        .processes
        .iter()
        .enumerate()
        .filter(|(_, p)| p.argv_exact && super::servers::role(p) == super::servers::Role::Gunicorn)
        .filter(|(_, p)| {
            // Workers carry the same argv; only the master (parent not gunicorn) counts.
            !facts.processes.iter().any(|q| {
                q.pid == p.ppid && super::servers::role(q) == super::servers::Role::Gunicorn
            })
        })
        .filter_map(|(i, p)| {
            let cwd = p.cwd.as_deref()?;
            let mut file = "gunicorn.conf.py".to_string();
            for (k, a) in p.argv.iter().enumerate() {
                if a == "-c" || a == "--config" {
                    file = p.argv.get(k + 1)?.clone();
                } else if let Some(v) = a.strip_prefix("--config=") {
                    file = v.to_string();
                }
            }
            if file.starts_with("python:") {
                return None;
            }
            let path = if file.starts_with('/') {
                file
            } else {
                super::procs::normalize(&format!("{cwd}/{file}"))
            };
            Some((i, path))
        })
        .collect();
    for (i, path) in masters {
        let argv = if facts.tool("cat") == Some(true) {
            vec!["cat".to_string(), path.clone()]
        } else if facts.tool("python3") == Some(true) {
            vec![
                "python3".to_string(),
                "-c".to_string(),
                "import sys;sys.stdout.write(open(sys.argv[1]).read())".to_string(),
                path.clone(),
            ]
        } else {
            continue;
        };
        let Ok(ExecOutput {
            stdout,
            outcome: ExecOutcome::Exited(0),
            ..
        }) = exec.exec(&m.pod, &m.container, &argv).await
        else {
            continue;
        };
        let text = String::from_utf8_lossy(&stdout);
        let set = |key: &str| {
            text.lines().any(|l| {
                let l = l.trim();
                l.strip_prefix(key)
                    .map(|rest| rest.trim_start())
                    .and_then(|rest| rest.strip_prefix('='))
                    .is_some_and(|v| v.trim().starts_with("True"))
            })
        };
        facts.processes[i].config = Some(ServerConfig {
            path,
            reload: set("reload"),
            preload: set("preload_app"),
        });
    }
}

/// For images whose lister could not hash (no python3, no sha256sum next to sh): one more exec
/// with whichever hasher the image has, on paths resolved here.
async fn hash_separately<E: Exec>(
    exec: &E,
    m: &Match,
    planned: &[Planned],
    facts: &mut ContainerFacts,
) {
    let workdir = facts.workdir();
    let resolved: Vec<Planned> = planned
        .iter()
        .filter_map(|p| {
            Some(Planned {
                arg: hash::resolve(p, workdir.as_deref())?,
                ..p.clone()
            })
        })
        .collect();
    if resolved.is_empty() {
        return;
    }
    // After `ps` the image's hashers are unknown (ps says nothing about tools): a hasher not
    // known to be absent is tried, and what the attempt shows is recorded.
    for method in ["sha256sum", "python3"] {
        if facts.tool(method) == Some(false) {
            continue;
        }
        let mut argv = match method {
            "sha256sum" => vec!["sha256sum".to_string(), "--".to_string()],
            _ => vec![
                "python3".to_string(),
                "-S".to_string(),
                "-c".to_string(),
                hash::PY_HASHER.to_string(),
            ],
        };
        argv.extend(resolved.iter().map(|p| p.arg.clone()));
        match exec.exec(&m.pod, &m.container, &argv).await {
            // sha256sum exits 1 when some files are missing; its output is still complete.
            Ok(out) if matches!(out.outcome, ExecOutcome::Exited(0 | 1)) => {
                set_tool(facts, method, true);
                compare(
                    &resolved,
                    &hash::parse_sha256sum(&out.stdout),
                    method,
                    facts,
                );
                return;
            }
            Ok(ExecOutput {
                outcome: ExecOutcome::NotFound(_),
                ..
            }) => set_tool(facts, method, false),
            Ok(_) => return,
            Err(e) => {
                facts.exec_errors.push(e.to_string());
                return;
            }
        }
    }
}

fn set_tool(facts: &mut ContainerFacts, name: &str, present: bool) {
    if let Some(t) = facts.tools.iter_mut().find(|t| t.name == name) {
        t.present = Some(present);
    }
}

/// Records which planned files differ from the container's copies (`remote`: path as asked,
/// hash). A relative one whose container path cannot be known is not compared.
fn compare(
    planned: &[Planned],
    remote: &[(String, String)],
    method: &str,
    facts: &mut ContainerFacts,
) {
    let workdir = facts.workdir();
    let remote: std::collections::HashMap<&str, &str> = remote
        .iter()
        .map(|(path, hex)| (path.as_str(), hex.as_str()))
        .collect();
    let mut compared = 0;
    for p in planned {
        let Some(container) = hash::resolve(p, workdir.as_deref()) else {
            continue;
        };
        compared += 1;
        let found = remote.get(p.arg.as_str()).map(|h| h.to_string());
        if found.as_deref() != Some(p.sha256.as_str()) {
            facts.drift.push(FileDrift {
                local: p.local.clone(),
                container,
                container_sha256: found,
                local_sha256: p.sha256.clone(),
            });
        }
    }
    if compared > 0 {
        facts.hash_method = Some(method.to_string());
        facts.hashed = compared;
    }
}
