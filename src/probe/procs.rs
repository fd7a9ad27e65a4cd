//! Process listing inside a container without assuming `ps`: the fixed listers (a POSIX `sh`
//! script that runs the `python3` /proc walker when the image has python3 and otherwise loops
//! over /proc itself, the walker alone for images without a shell, and `ps -eo pid,ppid,args`),
//! and parsers for their output (procps and busybox `ps` both).
//!
//! The python and shell listers also hash the synced files they are given, so one exec per
//! container yields both the process table and the drift check; their output puts the hashes
//! after [`HASHES_SEPARATOR`], printed only when hashing was done.
//!
//! The scripts are constants; project strings (sync destinations, synced paths) reach them only
//! as positional arguments, never spliced into script text.

use super::facts::{DestAccess, ProcInfo};
use std::collections::BTreeMap;

/// Marks the probe's own lister processes so they can be left out of the process table.
const MARKER: &str = "skafix-probe-lister";

/// The tools whose presence is reported.
pub const TOOLS: &[&str] = &[
    "sh",
    "tar",
    "ps",
    "pgrep",
    "pkill",
    "kill",
    "killall",
    "sha256sum",
    "python3",
    "cat",
];

/// Environment variables that switch reloading or worker counts; no other value is kept.
pub fn is_reload_env(key: &str) -> bool {
    key.starts_with("UVICORN_")
        || matches!(
            key,
            "GUNICORN_CMD_ARGS"
                | "WERKZEUG_RUN_MAIN"
                | "RUN_MAIN"
                | "FLASK_DEBUG"
                | "FLASK_RUN_RELOAD"
                | "WEB_CONCURRENCY"
        )
}

/// Starts the hash section of a lister's output (`sha256sum` lines). The listing before it
/// never holds it: the python lister's JSON escapes control characters, and the split is at
/// the last occurrence, after everything the shell lister copies from /proc.
pub const HASHES_SEPARATOR: &[u8] = b"\x1e\x1eskafix-probe-hashes\x1e\x1e\n";

const PY_LISTER: &str = r#"# skafix-probe-lister
import os,sys,json,shutil,hashlib
K=(b"UVICORN_",b"GUNICORN_CMD_ARGS=",b"WERKZEUG_RUN_MAIN=",b"RUN_MAIN=",b"FLASK_DEBUG=",b"FLASK_RUN_RELOAD=",b"WEB_CONCURRENCY=")
def rd(p):
    try:
        with open(p,"rb") as f:
            return f.read()
    except Exception:
        return None
P=[]
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    b="/proc/"+d
    s=rd(b+"/stat")
    if s is None:
        continue
    s=s.decode("utf-8","replace")
    m={}
    for l in (rd(b+"/status") or b"").decode("utf-8","replace").splitlines():
        k,_,v=l.partition(":")
        m[k]=v.strip()
    try:
        cwd=os.readlink(b+"/cwd")
    except Exception:
        cwd=None
    e=rd(b+"/environ") or b""
    P.append({"pid":int(d),"stat":s,"cmdline":(rd(b+"/cmdline") or b"").decode("utf-8","replace"),"cwd":cwd,"env":[x.decode("utf-8","replace") for x in e.split(b"\0") if x.startswith(K)],"sigcgt":m.get("SigCgt"),"sigblk":m.get("SigBlk"),"uid":m.get("Uid")})
T={t:shutil.which(t) is not None for t in sys.argv[1].split(",")}
try:
    c1=os.readlink("/proc/1/cwd")
except Exception:
    c1=None
n=int(sys.argv[2])
D=[]
for x in sys.argv[3:3+n]:
    p=os.path.normpath(x if x.startswith("/") else os.path.join(c1 or "/",x))
    t=p
    while not os.path.exists(t) and t!="/":
        t=os.path.dirname(t)
    D.append({"dest":x,"path":p,"exists":os.path.exists(p),"checked":t,"writable":os.access(t,os.W_OK)})
O=[json.dumps({"uid":os.getuid(),"self":os.getpid(),"procs":P,"tools":T,"dests":D}),"\n"]
H=sys.argv[3+n:]
if H:
    O.append("\x1e\x1eskafix-probe-hashes\x1e\x1e\n")
    for x in H:
        p=x if x.startswith("/") else (os.path.join(c1,x) if c1 else None)
        if p is None:
            continue
        try:
            h=hashlib.sha256()
            with open(p,"rb") as f:
                for b in iter(lambda:f.read(65536),b""):
                    h.update(b)
            O.append(h.hexdigest()+"  "+x+"\n")
        except Exception:
            pass
sys.stdout.write("".join(O))
"#;

// Builtins wherever they do (`read` for stat and status, `cd -P` for the working dir; only
// the NUL-separated cmdline and environ need `cat`): each fork runs in the user's container,
// and the process table is read for every pod.
const SH_LISTER: &str = r#"# skafix-probe-lister
py=$1; shift
base=
if command -v python3 >/dev/null 2>&1 && python3 -S -c "$py" "$@"; then exit 0; fi
for d in /proc/[0-9]*; do
  [ -r "$d/stat" ] || continue
  printf '\036P\037%s\037S' "${d#/proc/}"
  # Every line: comm (inside the stat line) may itself hold a newline.
  { while IFS= read -r l || [ -n "$l" ]; do printf '%s\n' "$l"; done < "$d/stat"; } 2>/dev/null
  printf '\037T'
  { while IFS= read -r l; do
      case $l in SigCgt:*|SigBlk:*|Uid:*) printf '%s\n' "$l" ;; esac
    done < "$d/status"; } 2>/dev/null
  # The lister itself is dropped from the table; only its uid (in status) is used.
  [ "${d#/proc/}" = "$$" ] && continue
  printf '\037C'; cat "$d/cmdline" 2>/dev/null
  printf '\037E'; cat "$d/environ" 2>/dev/null
  printf '\037W'
  # POSIX sets PWD to what `pwd -P` prints after `cd -P`.
  if cd -P "$d/cwd" 2>/dev/null; then
    printf '%s\n' "$PWD"
    [ "$d" = /proc/1 ] && base=$PWD
  fi
done
cd /
printf '\036U\037%s' "$$"
tools=$1; n=$2; shift 2
IFS=,
for b in $tools; do
  if command -v "$b" >/dev/null 2>&1; then printf '\036X\037%s\037y' "$b"; else printf '\036X\037%s\037n' "$b"; fi
done
unset IFS
i=0
while [ "$i" -lt "$n" ]; do
  x=$1; shift; i=$((i+1))
  case $x in /*) p=$x ;; *) p=$base/$x ;; esac
  t=$p
  while [ -n "$t" ] && [ "$t" != / ] && [ ! -e "$t" ]; do t=${t%/*}; done
  [ -n "$t" ] || t=/
  if [ -e "$p" ]; then e=y; else e=n; fi
  if [ -w "$t" ]; then w=y; else w=n; fi
  printf '\036D\037%s\037%s\037%s\037%s\037%s' "$x" "$p" "$e" "$t" "$w"
done
if [ "$#" -gt 0 ] && command -v sha256sum >/dev/null 2>&1; then
  printf '\036\036skafix-probe-hashes\036\036\n'
  if [ -n "$base" ]; then cd "$base"; fi
  sha256sum -- "$@" 2>/dev/null
fi
exit 0
"#;

/// Which lister produced a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ListMethod {
    Python,
    Shell,
    Ps,
}

/// What a lister found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub procs: Vec<ProcInfo>,
    pub tools: BTreeMap<String, bool>,
    /// The uid execs run as (the container's user).
    pub uid: Option<u32>,
    pub dests: Vec<DestAccess>,
}

/// The python lister: the writability of `dests`, then the hashes of `hash` (absolute, or
/// relative to PID 1's working directory). `-S`: only the standard library is used, so the
/// image's site packages and `sitecustomize` are neither loaded nor run (and start-up, paid
/// once per container, is shorter).
pub fn python_argv(dests: &[String], hash: &[String]) -> Vec<String> {
    let mut argv = vec![
        "python3".to_string(),
        "-S".to_string(),
        "-c".to_string(),
        PY_LISTER.to_string(),
        TOOLS.join(","),
        dests.len().to_string(),
    ];
    argv.extend(dests.iter().cloned());
    argv.extend(hash.iter().cloned());
    argv
}

/// The shell lister, with the same arguments as [`python_argv`]: it runs the python lister
/// when the image has python3 (so an image with a shell costs one exec either way), else
/// walks /proc itself and hashes with `sha256sum` when the image has it.
pub fn shell_argv(dests: &[String], hash: &[String]) -> Vec<String> {
    let mut argv = vec![
        "sh".to_string(),
        "-c".to_string(),
        SH_LISTER.to_string(),
        "sh".to_string(),
        PY_LISTER.to_string(),
        TOOLS.join(","),
        dests.len().to_string(),
    ];
    argv.extend(dests.iter().cloned());
    argv.extend(hash.iter().cloned());
    argv
}

/// Splits a lister's output into the listing and, when the hash section is there, the
/// `sha256sum` lines after it.
pub fn split_hashes(stdout: &[u8]) -> (&[u8], Option<&[u8]>) {
    let sep = HASHES_SEPARATOR;
    match stdout.windows(sep.len()).rposition(|w| w == sep) {
        Some(at) => (&stdout[..at], Some(&stdout[at + sep.len()..])),
        None => (stdout, None),
    }
}

pub fn ps_argv() -> Vec<String> {
    ["ps", "-eo", "pid,ppid,args"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Splits /proc/PID/cmdline: NUL-separated, with setproctitle-style NUL padding dropped.
pub fn split_cmdline(raw: &str) -> Vec<String> {
    let mut parts: Vec<String> = raw.split('\0').map(str::to_string).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// `(comm, ppid)` from /proc/PID/stat: comm sits between the first `(` and the LAST `)`,
/// because comm itself may contain both.
pub fn parse_stat(stat: &str) -> Option<(String, i32)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    if close < open {
        return None;
    }
    let comm = stat[open + 1..close].to_string();
    let mut rest = stat[close + 1..].split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, ppid))
}

fn parse_sigcgt(v: Option<&str>) -> Option<u64> {
    u64::from_str_radix(v?.trim(), 16).ok()
}

fn parse_uid(v: Option<&str>) -> Option<u32> {
    // "Uid:\treal\teffective\tsaved\tfs": the effective uid decides permissions.
    let mut it = v?.split_whitespace();
    let real = it.next()?;
    it.next().unwrap_or(real).parse().ok()
}

fn status_field<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k == key).then_some(v.trim())
    })
}

fn env_pairs(entries: impl Iterator<Item = String>) -> Vec<(String, String)> {
    entries
        .filter_map(|e| {
            let (k, v) = e.split_once('=')?;
            is_reload_env(k).then(|| (k.to_string(), v.to_string()))
        })
        .collect()
}

/// Drops the lister's own processes (the marked one and everything under it). Linear in the
/// number of processes: a pod may run thousands, and this runs outside every timeout.
fn without_lister(mut procs: Vec<ProcInfo>, self_pid: Option<i32>) -> Vec<ProcInfo> {
    use std::collections::{HashMap, HashSet};
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for p in &procs {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut pending: Vec<i32> = procs
        .iter()
        .filter(|p| p.argv.iter().any(|a| a.contains(MARKER)) || Some(p.pid) == self_pid)
        .map(|p| p.pid)
        .collect();
    let mut drop: HashSet<i32> = HashSet::new();
    while let Some(pid) = pending.pop() {
        if drop.insert(pid) {
            pending.extend(children.get(&pid).into_iter().flatten().copied());
        }
    }
    procs.retain(|p| !drop.contains(&p.pid));
    procs.sort_by_key(|p| p.pid);
    procs
}

/// Parses the output of the shell lister, which is the python lister's when python3 ran.
pub fn parse_lister(stdout: &[u8]) -> Option<(Listing, ListMethod)> {
    if stdout.trim_ascii_start().starts_with(b"{") {
        parse_python(stdout).map(|l| (l, ListMethod::Python))
    } else {
        parse_shell(stdout).map(|l| (l, ListMethod::Shell))
    }
}

/// Parses the python lister's JSON.
pub fn parse_python(stdout: &[u8]) -> Option<Listing> {
    let v: serde_json::Value = serde_json::from_slice(stdout).ok()?;
    let mut procs = Vec::new();
    for p in v.get("procs")?.as_array()? {
        let pid = p.get("pid")?.as_i64()? as i32;
        let Some((comm, ppid)) = p.get("stat").and_then(|s| s.as_str()).and_then(parse_stat) else {
            continue;
        };
        let argv = split_cmdline(p.get("cmdline").and_then(|c| c.as_str()).unwrap_or(""));
        let env = env_pairs(
            p.get("env")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_str().map(str::to_string)),
        );
        procs.push(ProcInfo {
            pid,
            ppid,
            comm,
            argv,
            argv_exact: true,
            cwd: p.get("cwd").and_then(|c| c.as_str()).map(str::to_string),
            env,
            sig_caught: parse_sigcgt(p.get("sigcgt").and_then(|s| s.as_str())),
            sig_blocked: parse_sigcgt(p.get("sigblk").and_then(|s| s.as_str())),
            uid: parse_uid(p.get("uid").and_then(|s| s.as_str())),
            config: None,
        });
    }
    let self_pid = v.get("self").and_then(|s| s.as_i64()).map(|s| s as i32);
    let tools = v
        .get("tools")
        .and_then(|t| t.as_object())
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.clone(), v.as_bool().unwrap_or(false)))
                .collect()
        })
        .unwrap_or_default();
    let dests = v
        .get("dests")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter_map(|d| {
            Some(DestAccess {
                dest: d.get("dest")?.as_str()?.to_string(),
                path: d.get("path")?.as_str()?.to_string(),
                exists: d.get("exists")?.as_bool()?,
                checked: d.get("checked")?.as_str()?.to_string(),
                writable: d.get("writable")?.as_bool()?,
            })
        })
        .collect();
    Some(Listing {
        procs: without_lister(procs, self_pid),
        tools,
        uid: v.get("uid").and_then(|u| u.as_u64()).map(|u| u as u32),
        dests,
    })
}

/// Parses the shell lister's records (`\x1e` starts a record, `\x1f` separates fields).
pub fn parse_shell(stdout: &[u8]) -> Option<Listing> {
    let text = String::from_utf8_lossy(stdout);
    let mut listing = Listing::default();
    let mut self_pid = None;
    let mut saw_proc = false;
    for record in text.split('\u{1e}').filter(|r| !r.is_empty()) {
        let fields: Vec<&str> = record.split('\u{1f}').collect();
        match fields[0] {
            "P" if fields.len() >= 2 => {
                let Ok(pid) = fields[1].parse::<i32>() else {
                    continue;
                };
                let mut stat = "";
                let mut status = "";
                let mut cmdline = "";
                let mut environ = "";
                let mut cwd = "";
                for f in &fields[2..] {
                    let (tag, body) = if f.is_char_boundary(1) {
                        f.split_at(1)
                    } else {
                        ("", *f)
                    };
                    match tag {
                        "S" => stat = body,
                        "T" => status = body,
                        "C" => cmdline = body,
                        "E" => environ = body,
                        "W" => cwd = body,
                        _ => {}
                    }
                }
                let Some((comm, ppid)) = parse_stat(stat) else {
                    continue;
                };
                saw_proc = true;
                let cwd = cwd.trim_end_matches('\n');
                listing.procs.push(ProcInfo {
                    pid,
                    ppid,
                    comm,
                    argv: split_cmdline(cmdline),
                    argv_exact: true,
                    cwd: (!cwd.is_empty()).then(|| cwd.to_string()),
                    env: env_pairs(environ.split('\0').map(str::to_string)),
                    sig_caught: parse_sigcgt(status_field(status, "SigCgt")),
                    sig_blocked: parse_sigcgt(status_field(status, "SigBlk")),
                    uid: parse_uid(status_field(status, "Uid")),
                    config: None,
                });
            }
            "U" if fields.len() >= 2 => self_pid = fields[1].trim().parse::<i32>().ok(),
            "X" if fields.len() >= 3 => {
                listing
                    .tools
                    .insert(fields[1].to_string(), fields[2].starts_with('y'));
            }
            "D" if fields.len() >= 6 => listing.dests.push(DestAccess {
                dest: fields[1].to_string(),
                path: normalize(fields[2]),
                exists: fields[3] == "y",
                checked: normalize(fields[4]),
                writable: fields[5].starts_with('y'),
            }),
            _ => {}
        }
    }
    if !saw_proc {
        return None;
    }
    listing.uid = self_pid.and_then(|s| listing.procs.iter().find(|p| p.pid == s)?.uid);
    listing.procs = without_lister(listing.procs, self_pid);
    Some(listing)
}

/// Lexically normalizes an absolute path (`/app/./src/../x` to `/app/x`).
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Parses `ps -eo pid,ppid,args` from procps or busybox. Argument boundaries are lost (both
/// join argv with spaces), and busybox prefixes `{comm} ` when comm differs from argv0.
pub fn parse_ps(stdout: &[u8]) -> Option<Listing> {
    let text = String::from_utf8_lossy(stdout);
    let mut procs = Vec::new();
    for line in text.lines() {
        let mut rest = line.trim_start();
        let Some((pid, r)) = rest.split_once(char::is_whitespace) else {
            continue;
        };
        let Ok(pid) = pid.parse::<i32>() else {
            // The header line (PID PPID COMMAND).
            continue;
        };
        rest = r.trim_start();
        let (ppid, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let Ok(ppid) = ppid.parse::<i32>() else {
            continue;
        };
        let mut args = args.trim_start();
        let mut comm = None;
        if let Some(stripped) = args.strip_prefix('{') {
            if let Some((c, after)) = stripped.split_once("} ") {
                comm = Some(c.to_string());
                args = after;
            }
        }
        let argv: Vec<String> = if args.starts_with('[') && args.ends_with(']') {
            Vec::new()
        } else {
            args.split_whitespace().map(str::to_string).collect()
        };
        let comm = comm.unwrap_or_else(|| {
            if argv.is_empty() {
                args.trim_matches(['[', ']']).to_string()
            } else {
                argv[0].rsplit('/').next().unwrap_or("").to_string()
            }
        });
        procs.push(ProcInfo {
            pid,
            ppid,
            comm,
            argv,
            argv_exact: false,
            cwd: None,
            env: Vec::new(),
            sig_caught: None,
            sig_blocked: None,
            uid: None,
            config: None,
        });
    }
    if procs.is_empty() {
        return None;
    }
    procs.retain(|p| p.argv != ps_argv());
    Some(Listing {
        procs,
        ..Listing::default()
    })
}

/// The SigCgt and SigBlk masks and effective uid of PID 1 from `/proc/1/status`.
pub fn parse_status(text: &[u8]) -> (Option<u64>, Option<u64>, Option<u32>) {
    let text = String::from_utf8_lossy(text);
    (
        parse_sigcgt(status_field(&text, "SigCgt")),
        parse_sigcgt(status_field(&text, "SigBlk")),
        parse_uid(status_field(&text, "Uid")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_comm_may_hold_parens_and_spaces() {
        assert_eq!(
            parse_stat("42 (my (odd) name) S 7 42 42 0 -1"),
            Some(("my (odd) name".to_string(), 7))
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn cmdline_padding_is_dropped() {
        assert_eq!(
            split_cmdline("gunicorn: master [app:app]\0\0\0"),
            vec!["gunicorn: master [app:app]"]
        );
        assert_eq!(split_cmdline("a\0b c\0"), vec!["a", "b c"]);
        assert!(split_cmdline("").is_empty());
    }

    #[test]
    fn procps_and_busybox_ps_agree() {
        let procps = b"  PID  PPID COMMAND\n    1     0 /usr/bin/tini -- uvicorn app:app\n    7     1 /venv/bin/python /venv/bin/flask run --debug\n   12     2 [kworker/0:1]\n";
        let busybox = b"PID   PPID  COMMAND\n    1     0 /usr/bin/tini -- uvicorn app:app\n    7     1 {flask} /venv/bin/python /venv/bin/flask run --debug\n   12     2 [kworker/0:1]\n";
        let a = parse_ps(procps).unwrap();
        let b = parse_ps(busybox).unwrap();
        let key = |l: &Listing| {
            l.procs
                .iter()
                .map(|p| (p.pid, p.ppid, p.argv.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
        assert_eq!(
            a.procs[1].argv,
            vec!["/venv/bin/python", "/venv/bin/flask", "run", "--debug"]
        );
        assert_eq!(b.procs[1].comm, "flask");
        assert_eq!(a.procs[2].comm, "kworker/0:1");
        assert!(a.procs[2].argv.is_empty());
        assert!(!a.procs[0].argv_exact);
    }

    #[test]
    fn shell_records_parse_and_the_lister_is_dropped() {
        let out = "\u{1e}P\u{1f}1\u{1f}S1 (sh) S 0 1 1\u{1f}TName:\tsh\nSigCgt:\t0000000000010000\nUid:\t0\t1000\t0\t0\n\u{1f}Csh\0-c\0uvicorn app:app\0\u{1f}EPATH=/bin\0UVICORN_RELOAD=true\0SECRET=x\0\u{1f}W/app\n\
\u{1e}P\u{1f}9\u{1f}S9 (sh) S 0 9 9\u{1f}TUid:\t1000\t1000\t1000\t1000\n\u{1f}Csh\0-c\0# skafix-probe-lister\nfor\0\u{1f}E\u{1f}W/\n\
\u{1e}P\u{1f}10\u{1f}S10 (cat) R 9 9 9\u{1f}T\u{1f}Ccat\0/proc/10/stat\0\u{1f}E\u{1f}W/\n\
\u{1e}U\u{1f}9\u{1e}X\u{1f}tar\u{1f}y\u{1e}X\u{1f}pkill\u{1f}n\u{1e}D\u{1f}src\u{1f}/app/./src\u{1f}n\u{1f}/app\u{1f}y";
        let l = parse_shell(out.as_bytes()).unwrap();
        assert_eq!(l.procs.len(), 1);
        let p = &l.procs[0];
        assert_eq!((p.pid, p.ppid, p.comm.as_str()), (1, 0, "sh"));
        assert_eq!(p.argv, vec!["sh", "-c", "uvicorn app:app"]);
        assert_eq!(
            p.env,
            vec![("UVICORN_RELOAD".to_string(), "true".to_string())]
        );
        assert_eq!(p.sig_caught, Some(0x10000));
        assert_eq!(p.uid, Some(1000));
        assert_eq!(p.cwd.as_deref(), Some("/app"));
        assert_eq!(l.uid, Some(1000));
        assert_eq!(l.tools.get("tar"), Some(&true));
        assert_eq!(l.tools.get("pkill"), Some(&false));
        assert_eq!(
            l.dests,
            vec![DestAccess {
                dest: "src".into(),
                path: "/app/src".into(),
                exists: false,
                checked: "/app".into(),
                writable: true
            }]
        );
    }

    #[test]
    fn the_lister_filter_is_linear_in_the_process_count() {
        // 8,000 processes in one chain under the lister, plus as many unrelated ones: the old
        // fixed-point loop took seconds here.
        let proc_info = |pid: i32, ppid: i32, argv: &str| ProcInfo {
            pid,
            ppid,
            comm: String::new(),
            argv: vec![argv.to_string()],
            argv_exact: true,
            cwd: None,
            env: Vec::new(),
            sig_caught: None,
            sig_blocked: None,
            uid: None,
            config: None,
        };
        let mut procs = vec![proc_info(10, 1, MARKER)];
        for pid in 11..8_011 {
            procs.push(proc_info(pid, pid - 1, "child"));
        }
        for pid in 20_000..28_000 {
            procs.push(proc_info(pid, 1, "app"));
        }
        procs.reverse();
        let started = std::time::Instant::now();
        let kept = without_lister(procs, None);
        assert_eq!(kept.len(), 8_000);
        assert!(kept.iter().all(|p| p.pid >= 20_000));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn python_json_parses() {
        let out = br#"{"uid":0,"self":5,"procs":[{"pid":1,"stat":"1 (gunicorn) S 0 1 1","cmdline":"/v/bin/python\u0000/v/bin/gunicorn\u0000--reload\u0000","cwd":"/app","env":["GUNICORN_CMD_ARGS=--preload"],"sigcgt":"0000000008014a07","uid":"0\t0\t0\t0"},{"pid":5,"stat":"5 (python3) R 0 5 5","cmdline":"python3\u0000-c\u0000x","cwd":"/","env":[],"sigcgt":"0","uid":"0\t0\t0\t0"}],"tools":{"tar":true,"ps":false},"dests":[]}"#;
        let l = parse_python(out).unwrap();
        assert_eq!(l.procs.len(), 1);
        assert_eq!(
            l.procs[0].argv,
            vec!["/v/bin/python", "/v/bin/gunicorn", "--reload"]
        );
        assert_eq!(l.procs[0].sig_caught, Some(0x8014a07));
        assert_eq!(l.tools.get("ps"), Some(&false));
        assert_eq!(l.uid, Some(0));
        assert!(parse_python(b"not json").is_none());
    }

    #[test]
    fn the_hash_section_follows_the_last_separator() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        // A process printing the separator in its own cmdline cannot move the split.
        let mut out = b"\x1eP\x1f7\x1fS7 (x) S 1\x1fC".to_vec();
        out.extend_from_slice(HASHES_SEPARATOR);
        out.extend_from_slice(b"\x1eU\x1f9");
        out.extend_from_slice(HASHES_SEPARATOR);
        out.extend_from_slice(format!("{hex}  /app/a.py\n").as_bytes());
        let (listing, hashes) = split_hashes(&out);
        assert!(listing.ends_with(b"\x1eU\x1f9"));
        assert_eq!(hashes, Some(format!("{hex}  /app/a.py\n").as_bytes()));
        // No section: the lister did not hash (no sha256sum), which is not "every file missing".
        assert_eq!(split_hashes(b"\x1eU\x1f9"), (&b"\x1eU\x1f9"[..], None));
    }

    #[test]
    fn the_shell_lister_output_says_which_lister_ran() {
        let json = br#"{"uid":0,"self":5,"procs":[{"pid":1,"stat":"1 (sleep) S 0 1 1","cmdline":"sleep\u0000","cwd":"/","env":[],"sigcgt":"0","uid":"0"}],"tools":{},"dests":[]}
"#;
        assert_eq!(parse_lister(json).map(|l| l.1), Some(ListMethod::Python));
        let records = b"\x1eP\x1f1\x1fS1 (sleep) S 0 1 1\n\x1fT\x1fCsleep\x00\x1fE\x1fW/\n";
        assert_eq!(parse_lister(records).map(|l| l.1), Some(ListMethod::Shell));
        assert!(parse_lister(b"").is_none());
    }

    #[test]
    fn reload_env_allow_list() {
        assert!(is_reload_env("UVICORN_RELOAD"));
        assert!(is_reload_env("GUNICORN_CMD_ARGS"));
        assert!(!is_reload_env("DATABASE_PASSWORD"));
        assert!(!is_reload_env("PATH"));
    }

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("/app/./src/../x/"), "/app/x");
        assert_eq!(normalize("/"), "/");
    }
}
