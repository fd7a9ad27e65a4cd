//! Walking wrappers down to the server word, and each server's own command-line semantics.

use super::shell::{lex, shlex_split, Token};
use super::{Arg, ArgPos, ReloadMode, ReloadVia, ServerCommand, ServerKind, Wrapper};

/// Wrappers nest only so deep in practice; this bounds hostile inputs.
const MAX_DEPTH: usize = 16;

pub(super) struct Ctx<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    /// Variables set by the command line itself (`env A=b`, `A=b cmd`, `export A=b`); later
    /// entries win.
    overlay: Vec<(String, String)>,
    wrappers: Vec<Wrapper>,
    depth: usize,
    /// The package-script lookup and the argv index a script's words are placed at.
    pub(super) scripts: Option<(super::ScriptLookup<'a>, usize)>,
    /// Inside a package script: a script running another one is not followed.
    in_script: bool,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(env: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Ctx {
            env,
            overlay: Vec::new(),
            wrappers: Vec::new(),
            depth: 0,
            scripts: None,
            in_script: false,
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        self.overlay
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| (self.env)(name))
    }

    fn child(&self, wrapper: Option<Wrapper>, vars: &[(String, String)]) -> Ctx<'a> {
        let mut wrappers = self.wrappers.clone();
        wrappers.extend(wrapper);
        let mut overlay = self.overlay.clone();
        overlay.extend_from_slice(vars);
        Ctx {
            env: self.env,
            overlay,
            wrappers,
            depth: self.depth + 1,
            scripts: self.scripts,
            in_script: self.in_script,
        }
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_python(name: &str) -> bool {
    let rest = name
        .strip_prefix("python")
        .or_else(|| name.strip_prefix("pypy"));
    rest.is_some_and(|r| r.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// click's boolean parsing for flag env vars (`auto_envvar_prefix`): empty means unset.
fn click_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
        "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
        _ => None,
    }
}

fn wrap(name: &str, kind: fn(String) -> Wrapper) -> Option<Wrapper> {
    Some(kind(name.to_string()))
}

fn exec_wrapper(name: String) -> Wrapper {
    Wrapper::Exec { name }
}
fn spawn_wrapper(name: String) -> Wrapper {
    Wrapper::Spawn { name }
}
fn init_wrapper(name: String) -> Wrapper {
    Wrapper::Init { name }
}

/// Finds the server in `args` (args[0] is the program).
pub(super) fn walk(args: &[Arg], ctx: &mut Ctx) -> Option<ServerCommand> {
    if ctx.depth > MAX_DEPTH {
        return None;
    }
    let first = args.first()?;
    let name = basename(&first.text);
    let rest = &args[1..];
    match name {
        "sh" | "bash" | "dash" | "ash" | "zsh" => shell(name, rest, ctx),
        "busybox"
            if rest
                .first()
                .is_some_and(|a| matches!(a.text.as_str(), "sh" | "ash")) =>
        {
            shell(&rest[0].text.clone(), &rest[1..], ctx)
        }
        "env" => env_cmd(rest, ctx),
        "tini" | "tini-static" => {
            let skip = skip_options(rest, &["-e", "-p"], true);
            walk(&rest[skip..], &mut ctx.child(wrap(name, init_wrapper), &[]))
        }
        "dumb-init" => {
            let skip = skip_options(rest, &["-r", "--rewrite"], true);
            walk(&rest[skip..], &mut ctx.child(wrap(name, init_wrapper), &[]))
        }
        "gosu" | "su-exec" => walk(
            rest.get(1..)?,
            &mut ctx.child(wrap(name, exec_wrapper), &[]),
        ),
        "nice" => {
            let skip = skip_options(rest, &["-n"], true);
            walk(&rest[skip..], &mut ctx.child(wrap(name, exec_wrapper), &[]))
        }
        "ddtrace-run" => walk(rest, &mut ctx.child(wrap(name, exec_wrapper), &[])),
        "opentelemetry-instrument" => {
            // Its options all take a value (`--traces_exporter console`).
            let mut i = 0;
            while rest.get(i).is_some_and(|a| a.text.starts_with("--")) {
                i += if rest[i].text.contains('=') { 1 } else { 2 };
            }
            walk(
                rest.get(i..)?,
                &mut ctx.child(wrap(name, exec_wrapper), &[]),
            )
        }
        // poetry and pipenv exec the command on POSIX: poetry's `Env.execute` calls
        // `os.execvpe` unless on Windows (python-poetry/poetry `utils/env`), pipenv's
        // `do_run_posix` calls `os.execve` (pypa/pipenv `routines/shell.py`; it spawns instead
        // when PIPENV_IS_CI is set). uv, pdm and hatch keep a parent process.
        "poetry" | "pipenv" | "uv" | "pdm" | "hatch" => {
            let run = rest.iter().position(|a| a.text == "run")?;
            let after = &rest[run + 1..];
            let skip = match name {
                "uv" => skip_options(
                    after,
                    &[
                        "--with",
                        "--with-requirements",
                        "--with-editable",
                        "--python",
                        "-p",
                        "--project",
                        "--directory",
                        "--env-file",
                        "--extra",
                        "--group",
                        "--package",
                        "--index",
                        "--index-url",
                        "--default-index",
                    ],
                    true,
                ),
                _ => skip_options(after, &["-e", "--environment"], true),
            };
            let wrapper = if matches!(name, "poetry" | "pipenv") {
                wrap(name, exec_wrapper)
            } else {
                wrap(name, spawn_wrapper)
            };
            walk(&after[skip..], &mut ctx.child(wrapper, &[]))
        }
        // cross-env sets variables and spawns the command (kentcdodds/cross-env README),
        // common in package.json scripts.
        "cross-env" => {
            let mut vars = Vec::new();
            let mut i = 0;
            while let Some((k, v)) = rest.get(i).and_then(|a| a.text.split_once('=')) {
                if k.is_empty() || k.starts_with('-') {
                    break;
                }
                vars.push((k.to_string(), v.to_string()));
                i += 1;
            }
            walk(
                rest.get(i..)?,
                &mut ctx.child(wrap(name, spawn_wrapper), &vars),
            )
        }
        "npx" => {
            let skip = skip_options(rest, &["-p", "--package"], true);
            walk(
                &rest[skip..],
                &mut ctx.child(wrap(name, spawn_wrapper), &[]),
            )
        }
        // Skaffold debug's launcher: `/dbg/python/launcher --mode debugpy --port 5678 -- CMD`.
        "launcher" if first.text.contains("/dbg/") => {
            let dd = rest.iter().position(|a| a.text == "--")?;
            walk(
                &rest[dd + 1..],
                &mut ctx.child(wrap("launcher", exec_wrapper), &[]),
            )
        }
        "npm" | "yarn" | "pnpm" => package_script(name, rest, ctx),
        n if is_python(n) => python(args, ctx),
        _ if first.text.starts_with("gunicorn: ") => Some(gunicorn_title(args, ctx)),
        "manage.py" => django(args, 1, ctx),
        _ => server(name, args, ctx),
    }
}

/// Number of leading option words (and their values) before the wrapped command. Options in
/// `with_value` take the next word; `--` ends the options and is skipped.
fn skip_options(args: &[Arg], with_value: &[&str], stop_at_dd: bool) -> usize {
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let t = a.text.as_str();
        if stop_at_dd && t == "--" {
            return i + 1;
        }
        if !t.starts_with('-') || t == "-" {
            break;
        }
        i += if with_value.contains(&t) { 2 } else { 1 };
    }
    i.min(args.len())
}

fn env_cmd(rest: &[Arg], ctx: &mut Ctx) -> Option<ServerCommand> {
    let mut i = skip_options(rest, &["-u", "--unset", "-C", "--chdir", "-S"], true);
    let mut vars = Vec::new();
    while let Some(a) = rest.get(i) {
        match a.text.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.starts_with('-') => {
                vars.push((k.to_string(), v.to_string()));
                i += 1;
            }
            _ => break,
        }
    }
    walk(&rest[i..], &mut ctx.child(wrap("env", exec_wrapper), &vars))
}

/// The less exec-friendly of two list levels: `Some(false)` < `None` < `Some(true)`.
fn worse(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    let rank = |x: Option<bool>| match x {
        Some(false) => 0,
        None => 1,
        Some(true) => 2,
    };
    if rank(a) <= rank(b) {
        a
    } else {
        b
    }
}

/// `sh [-opts] -c SCRIPT [name args...]`.
fn shell(shell_name: &str, rest: &[Arg], ctx: &mut Ctx) -> Option<ServerCommand> {
    let mut c_mode = false;
    let mut i = 0;
    while let Some(a) = rest.get(i) {
        let t = a.text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if t == "-o" || t == "+o" {
            i += 2;
            continue;
        }
        if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
            c_mode |= t.starts_with('-') && t.contains('c');
            i += 1;
            continue;
        }
        break;
    }
    if !c_mode {
        return None;
    }
    let script_arg = rest.get(i)?;
    // A script inside a script would need nested positions; such commands are rare.
    let ArgPos::Argv {
        index: script_index,
    } = script_arg.pos
    else {
        return None;
    };
    let script = script_arg.text.as_str();
    let lexed = lex(script)?;

    struct Cmd {
        words: Vec<Arg>,
        assignments: Vec<(String, String)>,
    }
    let mut commands: Vec<Cmd> = vec![Cmd {
        words: Vec::new(),
        assignments: Vec::new(),
    }];
    // Some(true): only `&&` between commands; None: also `;`/newline; Some(false): anything
    // else. A separator counts once a command follows it (a trailing newline is harmless).
    let mut plain_list = Some(true);
    let mut pending: Option<Option<bool>> = None;
    let mut skip_next_word = false;
    let mut commands_started = false;
    for tok in &lexed.tokens {
        match tok {
            Token::Op { op, .. } => match op.as_str() {
                ";" | "&&" | "\n" | "||" | "|" | "&" | "(" | ")" | ";;" => {
                    let level = match op.as_str() {
                        "&&" => Some(true),
                        ";" | "\n" => None,
                        _ => Some(false),
                    };
                    pending = Some(worse(pending.unwrap_or(Some(true)), level));
                    if commands
                        .last()
                        .is_some_and(|c| !c.words.is_empty() || !c.assignments.is_empty())
                    {
                        commands.push(Cmd {
                            words: Vec::new(),
                            assignments: Vec::new(),
                        });
                    }
                }
                _ => skip_next_word = true,
            },
            Token::Word(w) => {
                if std::mem::take(&mut skip_next_word) {
                    continue;
                }
                let cmd = commands.last_mut()?;
                if cmd.words.is_empty() && cmd.assignments.is_empty() {
                    // Separators before the first command join nothing.
                    if let Some(level) = pending.take().filter(|_| commands_started) {
                        plain_list = worse(plain_list, level);
                    }
                }
                commands_started = true;
                let raw = &script[w.start..w.end];
                if cmd.words.is_empty() {
                    if let Some(kv) = w.assignment(raw) {
                        if !w.expands {
                            cmd.assignments.push(kv);
                        }
                        continue;
                    }
                }
                cmd.words.push(Arg {
                    text: w.text.clone(),
                    pos: ArgPos::Script {
                        script_index,
                        start: w.start,
                        end: w.end,
                    },
                });
            }
        }
    }
    if pending.is_some_and(|level| level == Some(false)) {
        plain_list = Some(false);
    }
    commands.retain(|c| !c.words.is_empty());
    if commands.iter().any(|c| {
        matches!(
            c.words[0].text.as_str(),
            "trap" | "if" | "for" | "while" | "case"
        )
    }) {
        plain_list = Some(false);
    }
    // `export A=b` earlier in the list sets the environment of later commands.
    let mut exported: Vec<Vec<(String, String)>> = Vec::with_capacity(commands.len());
    let mut acc: Vec<(String, String)> = Vec::new();
    for c in &commands {
        exported.push(acc.clone());
        if c.words[0].text == "export" {
            for w in &c.words[1..] {
                if let Some((k, v)) = w.text.split_once('=') {
                    acc.push((k.to_string(), v.to_string()));
                }
            }
        }
    }
    let last = commands.len().checked_sub(1)?;
    for (n, c) in commands.iter().enumerate().rev() {
        let mut words = c.words.as_slice();
        let exec = words[0].text == "exec";
        if exec {
            words = &words[1..];
            if words.is_empty() {
                continue;
            }
        }
        let mut vars = exported[n].clone();
        vars.extend(c.assignments.iter().cloned());
        let wrapper = Wrapper::Shell {
            shell: shell_name.to_string(),
            exec,
            tail_call: if n == last { plain_list } else { Some(false) },
        };
        if let Some(found) = walk(words, &mut ctx.child(Some(wrapper), &vars)) {
            return Some(found);
        }
    }
    None
}

/// `python [interpreter options] (-m MODULE | SCRIPT) args...`
fn python(args: &[Arg], ctx: &mut Ctx) -> Option<ServerCommand> {
    let mut i = 1;
    while let Some(a) = args.get(i) {
        let t = a.text.as_str();
        if t == "-m" {
            return python_module(&args[i + 1..], ctx);
        }
        // `-muvicorn` and `-c CODE`: no module word of its own, or code to evaluate.
        if t.starts_with("-m") || t.starts_with("-c") || t == "-" {
            return None;
        }
        if matches!(t, "-W" | "-X" | "--check-hash-based-pycs") {
            i += 2;
            continue;
        }
        if t.starts_with('-') {
            i += 1;
            continue;
        }
        break;
    }
    let script = args.get(i)?;
    let name = basename(&script.text);
    match name {
        "manage.py" => django(&args[i..], 1, ctx),
        _ => server(name, &args[i..], ctx),
    }
}

/// `python -m MODULE args`: `args[0]` is the module word.
fn python_module(args: &[Arg], ctx: &mut Ctx) -> Option<ServerCommand> {
    let module = args.first()?.text.as_str();
    match module {
        "debugpy" | "ptvsd" => debugger(module, args, ctx),
        "django" => django(args, 1, ctx),
        "uvicorn" | "gunicorn" | "hypercorn" | "flask" | "fastapi" => server(module, args, ctx),
        _ => None,
    }
}

/// `python -m debugpy [opts] (-m MODULE | SCRIPT) args` and the older ptvsd. The target runs
/// in the same process (runpy).
fn debugger(name: &str, args: &[Arg], ctx: &mut Ctx) -> Option<ServerCommand> {
    let mut i = 1;
    let mut child = ctx.child(wrap(name, exec_wrapper), &[]);
    while let Some(a) = args.get(i) {
        let t = a.text.as_str();
        match t {
            "-m" => return python_module(&args[i + 1..], &mut child),
            "-c" | "--pid" => return None,
            "--listen" | "--connect" | "--log-to" | "--host" | "--port" | "--log-dir" => i += 2,
            t if t.starts_with("--configure-") => i += 2,
            t if t.starts_with('-') => i += 1,
            _ => {
                let script = basename(t);
                return match script {
                    "manage.py" => django(&args[i..], 1, &child),
                    _ => server(script, &args[i..], &mut child),
                };
            }
        }
    }
    None
}

/// Options of a server's command line: name, value, index into the server's words.
struct Parsed {
    opts: Vec<(String, Option<String>, usize)>,
    positionals: Vec<usize>,
}

impl Parsed {
    fn has(&self, name: &str) -> bool {
        self.opts.iter().any(|(n, _, _)| n == name)
    }
    /// The last of `names` that occurs, with its value.
    fn last(&self, names: &[&str]) -> Option<(&str, Option<&str>)> {
        self.opts
            .iter()
            .rev()
            .find(|(n, _, _)| names.contains(&n.as_str()))
            .map(|(n, v, _)| (n.as_str(), v.as_deref()))
    }
    fn values(&self, names: &[&str]) -> Vec<String> {
        self.opts
            .iter()
            .filter(|(n, _, _)| names.contains(&n.as_str()))
            .filter_map(|(_, v, _)| v.clone())
            .collect()
    }
}

/// Parses `words` as getopt/click-style options. Long `--name=value` and `--name value`;
/// short `-wVALUE` and `-w VALUE` for options in `with_value`; everything else starting with
/// `-` is a flag. `offset` is added to recorded indices.
fn parse_opts(words: &[String], with_value: &[&str], offset: usize) -> Parsed {
    let mut parsed = Parsed {
        opts: Vec::new(),
        positionals: Vec::new(),
    };
    let mut i = 0;
    while i < words.len() {
        let t = words[i].as_str();
        let at = i + offset;
        if t == "--" {
            parsed
                .positionals
                .extend((i + 1..words.len()).map(|j| j + offset));
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (format!("--{n}"), Some(v.to_string())),
                None => (t.to_string(), None),
            };
            let value = if inline.is_some() {
                inline
            } else if with_value.contains(&name.as_str()) {
                i += 1;
                words.get(i).cloned()
            } else {
                None
            };
            parsed.opts.push((name, value, at));
        } else if t.starts_with('-') && t.len() > 1 {
            let short: String = t.chars().take(2).collect();
            if with_value.contains(&short.as_str()) {
                let value = if t.len() > short.len() {
                    Some(t[short.len()..].to_string())
                } else {
                    i += 1;
                    words.get(i).cloned()
                };
                parsed.opts.push((short, value, at));
            } else {
                parsed.opts.push((t.to_string(), None, at));
            }
        } else {
            parsed.positionals.push(i + offset);
        }
        i += 1;
    }
    parsed
}

fn texts(args: &[Arg]) -> Vec<String> {
    args.iter().map(|a| a.text.clone()).collect()
}

fn parse_u32(v: Option<&str>) -> Option<u32> {
    v?.trim().parse().ok()
}

fn base(kind: ServerKind, args: &[Arg], insert_after: ArgPos, ctx: &Ctx) -> ServerCommand {
    ServerCommand {
        kind,
        reload: ReloadMode::Off,
        reload_dirs: Vec::new(),
        reload_includes: Vec::new(),
        reload_excludes: Vec::new(),
        extra_files: Vec::new(),
        workers: None,
        preload: false,
        preload_in_config: false,
        app: None,
        app_dir: None,
        config_file: None,
        insert_after,
        args: args.to_vec(),
        wrappers: ctx.wrappers.clone(),
        package_script: None,
    }
}

fn flag(name: &str) -> ReloadMode {
    ReloadMode::On {
        via: ReloadVia::Flag(name.to_string()),
    }
}

fn env_on(name: &str) -> ReloadMode {
    ReloadMode::On {
        via: ReloadVia::Env(name.to_string()),
    }
}

/// A server executable (or module / console-script path) `name` with `args[0]` its word.
fn server(name: &str, args: &[Arg], ctx: &mut Ctx) -> Option<ServerCommand> {
    match name {
        "uvicorn" => Some(uvicorn(args, ctx)),
        "gunicorn" => Some(gunicorn(args, ctx)),
        "hypercorn" => Some(hypercorn(args, ctx)),
        "flask" => flask(args, ctx),
        "fastapi" => fastapi(args, ctx),
        "django-admin" | "django-admin.py" => django(args, 1, ctx),
        "node" | "nodejs" => node(args, ctx),
        "nodemon" => Some(nodemon(args, ctx)),
        "ts-node-dev" | "tsnd" | "next" | "vite" => node_tool(name, args, ctx),
        "quarkus" | "mvn" | "mvnw" | "gradle" | "gradlew" => quarkus_dev(name, args, ctx),
        "java" => quarkus_jar(args, ctx),
        "air" => {
            let mut cmd = base(ServerKind::Air, args, args[0].pos, ctx);
            cmd.reload = ReloadMode::On {
                via: ReloadVia::Default,
            };
            let parsed = parse_opts(&texts(&args[1..]), &["-c"], 1);
            cmd.config_file = parsed
                .last(&["-c"])
                .and_then(|(_, v)| v.map(str::to_string));
            Some(cmd)
        }
        _ => None,
    }
}

const UVICORN_VALUE_OPTS: &[&str] = &[
    "--host",
    "--port",
    "--uds",
    "--fd",
    "--reload-dir",
    "--reload-include",
    "--reload-exclude",
    "--reload-delay",
    "--workers",
    "--loop",
    "--http",
    "--ws",
    "--ws-max-size",
    "--ws-max-queue",
    "--ws-ping-interval",
    "--ws-ping-timeout",
    "--ws-per-message-deflate",
    "--lifespan",
    "--interface",
    "--env-file",
    "--log-config",
    "--log-level",
    "--forwarded-allow-ips",
    "--root-path",
    "--limit-concurrency",
    "--backlog",
    "--limit-max-requests",
    "--timeout-keep-alive",
    "--timeout-graceful-shutdown",
    "--ssl-keyfile",
    "--ssl-certfile",
    "--ssl-keyfile-password",
    "--ssl-version",
    "--ssl-cert-reqs",
    "--ssl-ca-certs",
    "--ssl-ciphers",
    "--header",
    "--app-dir",
    "--h11-max-incomplete-event-size",
];

/// uvicorn's CLI is click with `auto_envvar_prefix="UVICORN"` (encode/uvicorn@e6c7ce7
/// `uvicorn/main.py:61`): `--reload` (`:79`) is also `UVICORN_RELOAD`, `--workers` (`:111-117`)
/// also `UVICORN_WORKERS`, and without either `WEB_CONCURRENCY` sets the workers
/// (`config.py:330-331`). `--reload-dir` is a `click.Path` list (env split on `:`),
/// `--reload-include`/`--reload-exclude` string lists (env split on whitespace). Without
/// `--reload-dir` the cwd is watched (`config.py:310-317`).
fn uvicorn(args: &[Arg], ctx: &Ctx) -> ServerCommand {
    let parsed = parse_opts(&texts(&args[1..]), UVICORN_VALUE_OPTS, 1);
    let mut cmd = base(ServerKind::Uvicorn, args, args[0].pos, ctx);
    cmd.reload = if parsed.has("--reload") {
        flag("--reload")
    } else if ctx.var("UVICORN_RELOAD").and_then(|v| click_bool(&v)) == Some(true) {
        env_on("UVICORN_RELOAD")
    } else {
        ReloadMode::Off
    };
    cmd.workers = parse_u32(parsed.last(&["--workers"]).and_then(|(_, v)| v))
        .or_else(|| parse_u32(ctx.var("UVICORN_WORKERS").as_deref()))
        .or_else(|| parse_u32(ctx.var("WEB_CONCURRENCY").as_deref()));
    cmd.reload_dirs = parsed.values(&["--reload-dir"]);
    if cmd.reload_dirs.is_empty() {
        if let Some(v) = ctx.var("UVICORN_RELOAD_DIRS") {
            cmd.reload_dirs = v
                .split(':')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
    }
    let env_list = |name: &str| -> Vec<String> {
        ctx.var(name)
            .map(|v| v.split_whitespace().map(String::from).collect())
            .unwrap_or_default()
    };
    cmd.reload_includes = parsed.values(&["--reload-include"]);
    if cmd.reload_includes.is_empty() {
        cmd.reload_includes = env_list("UVICORN_RELOAD_INCLUDES");
    }
    cmd.reload_excludes = parsed.values(&["--reload-exclude"]);
    if cmd.reload_excludes.is_empty() {
        cmd.reload_excludes = env_list("UVICORN_RELOAD_EXCLUDES");
    }
    cmd.app = parsed
        .positionals
        .first()
        .map(|&i| args[i].text.clone())
        .or_else(|| ctx.var("UVICORN_APP"));
    cmd.app_dir = parsed
        .last(&["--app-dir"])
        .and_then(|(_, v)| v.map(str::to_string));
    cmd
}

const GUNICORN_VALUE_OPTS: &[&str] = &[
    "-c",
    "--config",
    "-b",
    "--bind",
    "-w",
    "--workers",
    "-k",
    "--worker-class",
    "--threads",
    "--worker-connections",
    "--max-requests",
    "--max-requests-jitter",
    "-t",
    "--timeout",
    "--graceful-timeout",
    "--keep-alive",
    "--limit-request-line",
    "--limit-request-fields",
    "--limit-request-field_size",
    "--reload-engine",
    "--reload-extra-file",
    "--chdir",
    "-e",
    "--env",
    "-p",
    "--pid",
    "--worker-tmp-dir",
    "-u",
    "--user",
    "-g",
    "--group",
    "-m",
    "--umask",
    "--forwarded-allow-ips",
    "--access-logfile",
    "--access-logformat",
    "--error-logfile",
    "--log-file",
    "--log-level",
    "--logger-class",
    "--log-config",
    "--log-config-json",
    "--log-syslog-to",
    "--log-syslog-prefix",
    "--log-syslog-facility",
    "--statsd-host",
    "--statsd-prefix",
    "--dogstatsd-tags",
    "-n",
    "--name",
    "--pythonpath",
    "--paste",
    "--paster",
    "--proxy-allow-from",
    "--keyfile",
    "--certfile",
    "--ssl-version",
    "--cert-reqs",
    "--ca-certs",
    "--ciphers",
    "--backlog",
];

/// gunicorn (benoitc/gunicorn@65ac1a3 `gunicorn/config.py`): `--reload` (`:973-979`),
/// `--preload` (`:1103`), `-w/--workers` defaulting to `WEB_CONCURRENCY` (`:719-723`),
/// `-k/--worker-class` (`:740`), `-c/--config` (`:627`), `--reload-extra-file` (`:1030`).
/// `GUNICORN_CMD_ARGS` is split with `shlex.split` and applied before the command line
/// (`config.py:85-88`, `app/base.py:170-182`).
fn gunicorn(args: &[Arg], ctx: &Ctx) -> ServerCommand {
    let parsed = parse_opts(&texts(&args[1..]), GUNICORN_VALUE_OPTS, 1);
    let env_words = ctx
        .var("GUNICORN_CMD_ARGS")
        .and_then(|v| shlex_split(&v))
        .unwrap_or_default();
    let env = parse_opts(&env_words, GUNICORN_VALUE_OPTS, 0);
    let pick = |names: &[&str]| -> Option<String> {
        parsed
            .last(names)
            .or_else(|| env.last(names))
            .and_then(|(_, v)| v.map(str::to_string))
    };
    let worker_class = pick(&["-k", "--worker-class"]);
    let mut cmd = base(
        ServerKind::Gunicorn { worker_class },
        args,
        args[0].pos,
        ctx,
    );
    cmd.config_file = pick(&["-c", "--config"]);
    cmd.reload = if parsed.has("--reload") {
        flag("--reload")
    } else if env.has("--reload") {
        env_on("GUNICORN_CMD_ARGS")
    } else if cmd.config_file.is_some() {
        ReloadMode::Unknown
    } else {
        ReloadMode::Off
    };
    cmd.preload = parsed.has("--preload") || env.has("--preload");
    cmd.workers = parse_u32(pick(&["-w", "--workers"]).as_deref())
        .or_else(|| parse_u32(ctx.var("WEB_CONCURRENCY").as_deref()));
    cmd.extra_files = env.values(&["--reload-extra-file"]);
    cmd.extra_files
        .extend(parsed.values(&["--reload-extra-file"]));
    cmd.app = parsed.positionals.last().map(|&i| args[i].text.clone());
    cmd.app_dir = pick(&["--chdir"]);
    cmd
}

/// A gunicorn process whose title was set by setproctitle (`gunicorn: master [APP]`,
/// `gunicorn: worker [APP]`, gunicorn `util._setproctitle`): the real argv is overwritten, so
/// only `GUNICORN_CMD_ARGS` can show `--reload`; otherwise the mode is unknown (research
/// `kube-probe.md` §5.1).
fn gunicorn_title(args: &[Arg], ctx: &Ctx) -> ServerCommand {
    let title = &args[0].text;
    let mut cmd = gunicorn(&args[..1], ctx);
    if cmd.reload == ReloadMode::Off {
        cmd.reload = ReloadMode::Unknown;
    }
    cmd.app = title
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(app, _)| app.to_string());
    cmd
}

const HYPERCORN_VALUE_OPTS: &[&str] = &[
    "-c",
    "--config",
    "-b",
    "--bind",
    "--insecure-bind",
    "--quic-bind",
    "-w",
    "--workers",
    "-k",
    "--worker-class",
    "--access-logfile",
    "--access-log-format",
    "--error-logfile",
    "--log-file",
    "--log-config",
    "--log-level",
    "-p",
    "--pid",
    "--root-path",
    "--server-name",
    "--keyfile",
    "--certfile",
    "--ca-certs",
    "--ciphers",
    "--backlog",
    "-g",
    "--group",
    "-u",
    "--user",
    "-m",
    "--umask",
    "--keep-alive",
    "--graceful-timeout",
    "--read-timeout",
    "--max-requests",
    "--max-requests-jitter",
    "--statsd-host",
    "--statsd-prefix",
    "--websocket-ping-interval",
    "--keyfile-password",
    "--cert-reqs",
    "--debug-level",
];

/// hypercorn (pgjones/hypercorn@0e2311f `src/hypercorn/__main__.py`): `--reload` (`:165`),
/// `-w/--workers` (`:217`), `-k/--worker-class` (`:115`), `-c/--config` (`:59`), which may set
/// `use_reloader`.
fn hypercorn(args: &[Arg], ctx: &Ctx) -> ServerCommand {
    let parsed = parse_opts(&texts(&args[1..]), HYPERCORN_VALUE_OPTS, 1);
    let mut cmd = base(ServerKind::Hypercorn, args, args[0].pos, ctx);
    cmd.config_file = parsed
        .last(&["-c", "--config"])
        .and_then(|(_, v)| v.map(str::to_string));
    cmd.reload = if parsed.has("--reload") {
        flag("--reload")
    } else if cmd.config_file.is_some() {
        ReloadMode::Unknown
    } else {
        ReloadMode::Off
    };
    cmd.workers = parse_u32(parsed.last(&["-w", "--workers"]).and_then(|(_, v)| v));
    cmd.app = parsed.positionals.first().map(|&i| args[i].text.clone());
    cmd
}

/// `flask [-A APP] [-e FILE] [--debug] run [options]` (pallets/flask@2ac8988
/// `src/flask/cli.py`). The reloader defaults to the debug flag (`:973-976`); debug comes from
/// `--debug/--no-debug` on the group or on `run` (`:468-490`, `:996`) or `FLASK_DEBUG`, truthy
/// unless empty, `0`, `false` or `no` (`helpers.py:28-33`). `--reload/--no-reload` (`:898-903`)
/// also reads `FLASK_RUN_RELOAD` through `auto_envvar_prefix="FLASK"` (`:585`). The reloader's
/// child has `WERKZEUG_RUN_MAIN=true` (werkzeug `_reloader.py:215`). `FLASK_ENV=development`
/// enabled debug before Flask 2.3 only, so it makes the mode unknown. `.env`/`.flaskenv`
/// files (loaded when python-dotenv is installed) are not seen here.
fn flask(args: &[Arg], ctx: &Ctx) -> Option<ServerCommand> {
    const GROUP_VALUE: &[&str] = &["-A", "--app", "-e", "--env-file"];
    const RUN_VALUE: &[&str] = &[
        "-h",
        "--host",
        "-p",
        "--port",
        "--cert",
        "--key",
        "--extra-files",
        "--exclude-patterns",
    ];
    let words = texts(&args[1..]);
    let group_end = {
        let mut i = 0;
        while i < words.len() && words[i].starts_with('-') {
            i += if GROUP_VALUE.contains(&words[i].as_str()) {
                2
            } else {
                1
            };
        }
        i
    };
    if words.get(group_end).map(String::as_str) != Some("run") {
        return None;
    }
    let group = parse_opts(&words[..group_end], GROUP_VALUE, 1);
    let run = parse_opts(&words[group_end + 1..], RUN_VALUE, group_end + 2);
    let run_at = args[group_end + 1].pos;
    let mut cmd = base(ServerKind::Flask, args, run_at, ctx);

    let debug_flag = run
        .last(&["--debug", "--no-debug"])
        .or_else(|| group.last(&["--debug", "--no-debug"]))
        .map(|(n, _)| n == "--debug");
    let debug_env = ctx.var("FLASK_DEBUG").is_some_and(|v| {
        !v.is_empty() && !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "no")
    });
    let reload_flag = run
        .last(&["--reload", "--no-reload"])
        .map(|(n, _)| n == "--reload");
    let reload_env = ctx.var("FLASK_RUN_RELOAD").and_then(|v| click_bool(&v));
    cmd.reload = if ctx.var("WERKZEUG_RUN_MAIN").as_deref() == Some("true") {
        env_on("WERKZEUG_RUN_MAIN")
    } else {
        match (reload_flag, reload_env, debug_flag) {
            (Some(true), _, _) => flag("--reload"),
            (Some(false), _, _) => ReloadMode::Off,
            (None, Some(true), _) => env_on("FLASK_RUN_RELOAD"),
            (None, Some(false), _) => ReloadMode::Off,
            (None, None, Some(true)) => flag("--debug"),
            (None, None, Some(false)) => ReloadMode::Off,
            (None, None, None) if debug_env => env_on("FLASK_DEBUG"),
            _ if ctx.var("FLASK_ENV").as_deref() == Some("development") => ReloadMode::Unknown,
            _ => ReloadMode::Off,
        }
    };
    cmd.extra_files = run
        .values(&["--extra-files"])
        .iter()
        .flat_map(|v| v.split(':').map(String::from).collect::<Vec<_>>())
        .collect();
    if cmd.extra_files.is_empty() {
        if let Some(v) = ctx.var("FLASK_RUN_EXTRA_FILES") {
            cmd.extra_files = v
                .split(':')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
        }
    }
    cmd.reload_excludes = run
        .values(&["--exclude-patterns"])
        .iter()
        .flat_map(|v| v.split(':').map(String::from).collect::<Vec<_>>())
        .collect();
    cmd.app = group
        .last(&["-A", "--app"])
        .and_then(|(_, v)| v.map(str::to_string))
        .or_else(|| ctx.var("FLASK_APP"));
    Some(cmd)
}

/// `fastapi dev|run [PATH] [options]` (fastapi/fastapi-cli@b4411ec `src/fastapi_cli/cli.py`):
/// `dev` reloads by default (`reload: bool = True`, `:324-329`), `run` does not (`:443-448`);
/// both take `--reload/--no-reload`, `dev` takes `--reload-dir`, `run` takes `--workers`
/// (`:449-453`). Both call `uvicorn.run`, so `WEB_CONCURRENCY` applies when `--workers` is
/// absent.
fn fastapi(args: &[Arg], ctx: &Ctx) -> Option<ServerCommand> {
    const VALUE: &[&str] = &[
        "--host",
        "--port",
        "--reload-dir",
        "--root-path",
        "--app",
        "--entrypoint",
        "-e",
        "--workers",
        "--forwarded-allow-ips",
    ];
    let sub = args.get(1)?;
    let dev = match sub.text.as_str() {
        "dev" => true,
        "run" => false,
        _ => return None,
    };
    let parsed = parse_opts(&texts(&args[2..]), VALUE, 2);
    let mut cmd = base(ServerKind::FastApiCli { dev }, args, sub.pos, ctx);
    cmd.reload = match parsed.last(&["--reload", "--no-reload"]) {
        Some(("--reload", _)) => flag("--reload"),
        Some(_) => ReloadMode::Off,
        None if dev => ReloadMode::On {
            via: ReloadVia::Default,
        },
        None => ReloadMode::Off,
    };
    cmd.reload_dirs = parsed.values(&["--reload-dir"]);
    cmd.workers = parse_u32(parsed.last(&["--workers"]).and_then(|(_, v)| v))
        .or_else(|| parse_u32(ctx.var("WEB_CONCURRENCY").as_deref()));
    cmd.app = parsed.positionals.first().map(|&i| args[i].text.clone());
    Some(cmd)
}

/// Node dev tools whose reload is decided by the subcommand: `ts-node-dev` restarts the
/// process when a file it required changes (wclr/ts-node-dev README, "restarts target node
/// process when any of required files changes"); `next dev` runs the development server that
/// recompiles on change, `next start` serves the production build of `next build` (Next.js
/// CLI docs); `vite`/`vite dev`/`vite serve` is the dev server with hot updates, `vite
/// preview` serves the built `dist` (Vite CLI docs). Other subcommands (`build`, `lint`) are no
/// servers.
fn node_tool(name: &str, args: &[Arg], ctx: &Ctx) -> Option<ServerCommand> {
    let tool = match name {
        "tsnd" => "ts-node-dev",
        other => other,
    };
    // The subcommand comes first (`next dev -p 3000`, `vite preview --port 8080`).
    let sub = args
        .get(1)
        .map(|a| a.text.as_str())
        .filter(|w| !w.starts_with('-'));
    let reload = match (tool, sub) {
        ("ts-node-dev", _) => ReloadMode::On {
            via: ReloadVia::Default,
        },
        ("next", Some("dev")) | ("vite", None | Some("dev" | "serve")) => ReloadMode::On {
            via: ReloadVia::Default,
        },
        ("next", Some("start")) | ("vite", Some("preview")) => ReloadMode::Off,
        ("vite", Some(path)) if !matches!(path, "build" | "optimize") => {
            // `vite <root>`: a root directory runs the dev server too.
            ReloadMode::On {
                via: ReloadVia::Default,
            }
        }
        _ => return None,
    };
    let mut cmd = base(
        ServerKind::NodeTool {
            name: tool.to_string(),
        },
        args,
        args[0].pos,
        ctx,
    );
    cmd.reload = reload;
    Some(cmd)
}

/// `manage.py runserver [addrport] [--noreload]` (also `runserver_plus` from
/// django-extensions): reload is on unless `--noreload`; the reloader's child has
/// `RUN_MAIN=true` (django `utils/autoreload.py`, `DJANGO_AUTORELOAD_ENV`). `sub_from` is the
/// index of the first word after the program.
fn django(args: &[Arg], sub_from: usize, ctx: &Ctx) -> Option<ServerCommand> {
    const VALUE: &[&str] = &["--settings", "--pythonpath", "-v", "--verbosity"];
    let words = texts(&args[sub_from..]);
    let parsed = parse_opts(&words, VALUE, sub_from);
    let &sub = parsed.positionals.first()?;
    if !matches!(args[sub].text.as_str(), "runserver" | "runserver_plus") {
        return None;
    }
    let mut cmd = base(ServerKind::Django, args, args[sub].pos, ctx);
    cmd.reload = if ctx.var("RUN_MAIN").as_deref() == Some("true") {
        env_on("RUN_MAIN")
    } else if parsed.has("--noreload") {
        ReloadMode::Off
    } else {
        ReloadMode::On {
            via: ReloadVia::Default,
        }
    };
    Some(cmd)
}

/// `node [options] SCRIPT`: `--watch` and `--watch-path` turn on watch mode
/// (nodejs.org/api/cli.html `--watch`, `--watch-path`: "starts Node.js in watch mode").
/// `-e`/`-p` evaluate code and are not recognized.
fn node(args: &[Arg], ctx: &Ctx) -> Option<ServerCommand> {
    const VALUE: &[&str] = &[
        "-r",
        "--require",
        "--import",
        "--loader",
        "--experimental-loader",
        "--watch-path",
        "--env-file",
        "-C",
        "--conditions",
        "--title",
        "--inspect-port",
        "--input-type",
    ];
    let words = texts(&args[1..]);
    // Node's own options end at the script; the rest belongs to the script.
    let script_at = {
        let mut i = 0;
        while i < words.len() && words[i].starts_with('-') {
            if matches!(
                words[i].as_str(),
                "-e" | "--eval" | "-p" | "--print" | "-i" | "--interactive"
            ) {
                return None;
            }
            if words[i] == "--" {
                i += 1;
                break;
            }
            i += if VALUE.contains(&words[i].as_str()) {
                2
            } else {
                1
            };
        }
        i
    };
    let parsed = parse_opts(&words[..script_at.min(words.len())], VALUE, 1);
    let mut cmd = base(ServerKind::Node, args, args[0].pos, ctx);
    cmd.reload_dirs = parsed.values(&["--watch-path"]);
    cmd.reload = if parsed.has("--watch") {
        flag("--watch")
    } else if parsed.has("--watch-path") {
        flag("--watch-path")
    } else {
        ReloadMode::Off
    };
    cmd.app = words.get(script_at).cloned();
    cmd.app.as_ref()?;
    Some(cmd)
}

/// nodemon always restarts on changes: `-w/--watch` dirs, `-e/--ext` extensions,
/// `-i/--ignore` patterns (nodemon docs, research `kube-probe.md` §5.3).
fn nodemon(args: &[Arg], ctx: &Ctx) -> ServerCommand {
    const VALUE: &[&str] = &[
        "-w", "--watch", "-e", "--ext", "-i", "--ignore", "-x", "--exec", "-s", "--signal", "-d",
        "--delay", "--config", "--cwd",
    ];
    let parsed = parse_opts(&texts(&args[1..]), VALUE, 1);
    let mut cmd = base(ServerKind::Nodemon, args, args[0].pos, ctx);
    cmd.reload = ReloadMode::On {
        via: ReloadVia::Default,
    };
    cmd.reload_dirs = parsed.values(&["-w", "--watch"]);
    cmd.reload_includes = parsed
        .values(&["-e", "--ext"])
        .iter()
        .flat_map(|v| {
            v.split([',', ' '])
                .filter(|e| !e.is_empty())
                .map(|e| format!("*.{}", e.trim_start_matches('.')))
                .collect::<Vec<_>>()
        })
        .collect();
    cmd.reload_excludes = parsed.values(&["-i", "--ignore"]);
    cmd.config_file = parsed
        .last(&["--config"])
        .and_then(|(_, v)| v.map(str::to_string));
    cmd.app = parsed.positionals.first().map(|&i| args[i].text.clone());
    cmd
}

/// Commands of yarn and pnpm that are not script names (`yarn install` installs even when a
/// script is called `install`).
const PACKAGE_MANAGER_COMMANDS: &[&str] = &[
    "install",
    "i",
    "add",
    "remove",
    "rm",
    "uninstall",
    "upgrade",
    "up",
    "update",
    "upgrade-interactive",
    "why",
    "workspace",
    "workspaces",
    "dlx",
    "exec",
    "node",
    "set",
    "config",
    "cache",
    "info",
    "init",
    "create",
    "link",
    "unlink",
    "pack",
    "publish",
    "version",
    "global",
    "bin",
    "audit",
    "outdated",
    "licenses",
    "login",
    "logout",
    "import",
    "check",
    "list",
    "ls",
    "owner",
    "tag",
    "team",
    "help",
    "store",
    "prune",
    "rebuild",
    "patch",
    "deploy",
    "fetch",
    "env",
    "setup",
    "test",
    "t",
    "restart",
    "stop",
];

/// `npm start`, `npm run[-script] NAME`, `yarn [run] NAME`, `pnpm [run] NAME`: the package
/// manager stays the parent and runs the script's text with `sh -c` (npm's
/// `@npmcli/run-script`, `lib/make-spawn-args.js`: `spawn(scriptShell, ['-c', cmd])` with
/// `sh` by default; yarn and pnpm run scripts the same way). `npm start` without a `start`
/// script runs `node server.js`, which is left unresolved. Extra arguments after the name are
/// appended to the script and may change its meaning, so such commands stay unresolved, as do
/// `--workspace`/`--prefix` (another package's scripts) and a script that runs another script.
fn package_script(manager: &str, rest: &[Arg], ctx: &Ctx) -> Option<ServerCommand> {
    let (lookup, slot) = ctx.scripts?;
    if ctx.in_script {
        return None;
    }
    let mut i = 0;
    let mut explicit_run = false;
    let mut name = None;
    while let Some(word) = rest.get(i) {
        let t = word.text.as_str();
        i += 1;
        if t.starts_with('-') {
            if t == "--" {
                return None;
            }
            // Options naming another package, directory or workspace.
            if matches!(
                t.split('=').next().unwrap_or(t),
                "-w" | "--workspace"
                    | "--workspaces"
                    | "--prefix"
                    | "-C"
                    | "--dir"
                    | "--filter"
                    | "-F"
                    | "--cwd"
                    | "-ws"
            ) {
                return None;
            }
            continue;
        }
        if !explicit_run && matches!(t, "run" | "run-script" | "rum" | "urn") {
            explicit_run = true;
            continue;
        }
        if !explicit_run && t == "start" {
            name = Some("start");
            break;
        }
        if !explicit_run && (manager == "npm" || PACKAGE_MANAGER_COMMANDS.contains(&t)) {
            return None;
        }
        name = Some(t);
        break;
    }
    let name = name?;
    // `npm run $NODE_ENV`: a script chosen by a variable the environment sets.
    let chosen;
    let name = match name
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .or_else(|| name.strip_prefix('$'))
    {
        Some(var)
            if !var.is_empty() && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            chosen = ctx.var(var)?;
            chosen.as_str()
        }
        _ if name.contains(['$', '`']) => return None,
        _ => name,
    };
    if rest[i..]
        .iter()
        .any(|a| !a.text.starts_with('-') || a.text == "--")
    {
        return None;
    }
    let script = lookup(name)?;
    let at = |text: &str| Arg {
        text: text.to_string(),
        pos: ArgPos::Argv { index: slot },
    };
    let words = [at("-c"), at(&script)];
    let mut child = ctx.child(wrap(manager, spawn_wrapper), &[]);
    child.in_script = true;
    let mut found = shell("sh", &words, &mut child)?;
    found.package_script = Some(name.to_string());
    Some(found)
}

/// Quarkus dev mode (Quarkus "Dev mode" guide: `quarkus dev`, `./mvnw quarkus:dev`,
/// `./gradlew quarkusDev`): a changed source or resource is recompiled and the application
/// restarted on the next HTTP request. Other goals and tasks are not servers.
fn quarkus_dev(name: &str, args: &[Arg], ctx: &Ctx) -> Option<ServerCommand> {
    let words = &args[1..];
    let dev = match name {
        "quarkus" => words
            .iter()
            .find(|a| !a.text.starts_with('-'))
            .is_some_and(|a| a.text == "dev"),
        "mvn" | "mvnw" => words.iter().any(|a| {
            a.text == "quarkus:dev"
                || (a.text.contains(":quarkus-maven-plugin:") && a.text.ends_with(":dev"))
        }),
        _ => words.iter().any(|a| a.text == "quarkusDev"),
    };
    if !dev {
        return None;
    }
    let mut cmd = base(ServerKind::Quarkus { dev: true }, args, args[0].pos, ctx);
    cmd.reload = ReloadMode::On {
        via: ReloadVia::Default,
    };
    Some(cmd)
}

/// `java [options] -jar .../quarkus-run.jar`: the packaged application of Quarkus's fast-jar
/// layout (`target/quarkus-app/quarkus-run.jar`), which never reloads. With
/// `QUARKUS_LAUNCH_DEVMODE=true` a mutable jar runs in remote dev mode instead, fed by
/// `quarkus:remote-dev` on the developer's machine (Quarkus "Remote development mode"), so the
/// mode is unknown then. Other jars are not recognized.
fn quarkus_jar(args: &[Arg], ctx: &Ctx) -> Option<ServerCommand> {
    let jar = args.windows(2).find(|w| w[0].text == "-jar")?[1]
        .text
        .as_str();
    if basename(jar) != "quarkus-run.jar" {
        return None;
    }
    let mut cmd = base(ServerKind::Quarkus { dev: false }, args, args[0].pos, ctx);
    cmd.reload = if ctx
        .var("QUARKUS_LAUNCH_DEVMODE")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        ReloadMode::Unknown
    } else {
        ReloadMode::Off
    };
    cmd.app = Some(jar.to_string());
    Some(cmd)
}
