//! What a server command line means: which server (uvicorn, gunicorn, hypercorn, flask, django,
//! fastapi-cli, node, nodemon, air), whether it reloads on code changes and what it watches,
//! worker count, and where in the original argv a fix would insert a flag. Also what signals do
//! to it. Used by the static rules (Dockerfile CMD/ENTRYPOINT + manifest command/args) and by the
//! live probe (`/proc/PID/cmdline` + `environ`), so the input is an argv plus an env lookup.
//!
//! Wrappers are looked through: `sh -c "<script>"` (the last server command of the script wins,
//! `exec` and `VAR=x` prefixes and `export VAR=x` understood), `python -m X`, interpreter paths,
//! `tini`, `dumb-init`, `env`, `gosu`, `su-exec`, `poetry run`, `pipenv run`, `uv run`,
//! `pdm run`, `hatch run`, `npx`, `cross-env`, `ddtrace-run`, `opentelemetry-instrument`,
//! debugpy and ptvsd, Skaffold's `/dbg/.../launcher ... --`. `npm start`, `npm run NAME`,
//! `yarn NAME` and `pnpm NAME` are resolved through a lookup of the package's scripts when the
//! caller has one ([`recognize_with_scripts`]): the package manager runs the script with
//! `sh -c`.
//!
//! Facts come from the research notes (`kube-probe.md` §5-6, `skaffold-facts.md` §7) and from
//! the servers' sources, cited where each behaviour is encoded (see `servers.rs`).

mod servers;
mod shell;
mod signals;

pub use shell::{exec_form, is_simple_command, shell_features, shell_words, ShellFeature};
pub use signals::{
    hup_behaviour, pid1_signal_behaviour, signal_behaviour, Signal, SignalOutcome, Version,
};

/// Where a word of the server command sits in the original argv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArgPos {
    /// The element `argv[index]`.
    Argv { index: usize },
    /// A word inside the shell script held by `argv[script_index]` (as in `sh -c SCRIPT`):
    /// byte range `start..end` of the raw word (quotes included) within that script string.
    Script {
        script_index: usize,
        start: usize,
        end: usize,
    },
}

/// One word of the server command (after quote removal) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub text: String,
    pub pos: ArgPos,
}

/// Which server a command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerKind {
    Uvicorn,
    /// `worker_class` is `-k`/`--worker-class` when given (e.g. `uvicorn.workers.UvicornWorker`).
    Gunicorn {
        worker_class: Option<String>,
    },
    Hypercorn,
    /// `flask run`.
    Flask,
    /// `manage.py runserver` / `django-admin runserver` / `runserver_plus`.
    Django,
    /// `fastapi dev` (`dev: true`) or `fastapi run`; runs uvicorn in-process.
    FastApiCli {
        dev: bool,
    },
    /// `node script.js` (reload only with `--watch`/`--watch-path`).
    Node,
    Nodemon,
    /// Quarkus: dev mode (`quarkus dev`, `mvn quarkus:dev`, `gradle quarkusDev`) recompiles
    /// and restarts the application when a source file changed, or the packaged application
    /// (`java -jar quarkus-run.jar`), which loads its classes once.
    Quarkus {
        dev: bool,
    },
    /// Go's `air` live reloader.
    Air,
    /// A Node dev tool by its command: `ts-node-dev` (restarts on changes of the files it
    /// required), `next dev|start`, `vite [dev|serve]|preview`.
    NodeTool {
        name: String,
    },
}

/// What turned reload on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadVia {
    /// A command-line flag, as written (`--reload`, `--debug`, `--watch`, `--watch-path`).
    Flag(String),
    /// An environment variable (`UVICORN_RELOAD`, `FLASK_DEBUG`, `FLASK_RUN_RELOAD`,
    /// `GUNICORN_CMD_ARGS`, `WERKZEUG_RUN_MAIN`, `RUN_MAIN`).
    Env(String),
    /// The server reloads unless told not to (`fastapi dev`, `runserver`, nodemon, air).
    Default,
    /// A setting in a config file the command names (`reload = True` in gunicorn's `-c` file),
    /// as the file's path.
    Config(String),
}

/// Whether the server reloads code by itself when files change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadMode {
    On {
        via: ReloadVia,
    },
    Off,
    /// Decided somewhere the command line does not show (a config file given with `-c`,
    /// `FLASK_ENV=development` which only old Flask honours).
    Unknown,
}

/// A program the server runs under, outermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wrapper {
    /// `sh -c SCRIPT` (also bash, dash, ash, zsh). `shell` is argv0's basename; `exec` when the
    /// script says `exec` before the server. `tail_call` says whether the server is the last
    /// command of a list that bash and busybox ash run by exec (dash never does): `Some(true)`
    /// for a single command or an `&&` list (verified in the research), `Some(false)` when the
    /// server is not last or the script pipes, backgrounds, branches or uses a subshell, `None`
    /// for the last command of a `;`/newline list (not verified).
    Shell {
        shell: String,
        exec: bool,
        tail_call: Option<bool>,
    },
    /// An init that forwards signals to its child and exits with it (`tini`, `dumb-init`).
    Init { name: String },
    /// Replaces itself with the command (`env`, `gosu`, `su-exec`, `nice`, `poetry run`,
    /// `pipenv run`, `ddtrace-run`, `opentelemetry-instrument`, `debugpy`, `ptvsd`, Skaffold's
    /// debug launcher): the server runs in the same process.
    Exec { name: String },
    /// Stays the parent of the command (`uv run`, `npx`, `pdm run`, `hatch run`).
    Spawn { name: String },
}

/// A recognized server command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCommand {
    pub kind: ServerKind,
    pub reload: ReloadMode,
    /// Watched directories as given (relative ones are relative to the process cwd); empty means
    /// the server's default (uvicorn and fastapi: the cwd; werkzeug, django, gunicorn: the
    /// loaded modules).
    pub reload_dirs: Vec<String>,
    /// Watched patterns (uvicorn `--reload-include`; nodemon `--ext` as `*.ext`); empty means
    /// the default (`*.py` for uvicorn).
    pub reload_includes: Vec<String>,
    pub reload_excludes: Vec<String>,
    /// Extra watched files (gunicorn `--reload-extra-file`, flask `--extra-files`).
    pub extra_files: Vec<String>,
    /// Worker processes when set by a flag or env (`WEB_CONCURRENCY`, `UVICORN_WORKERS`).
    pub workers: Option<u32>,
    /// gunicorn `--preload` (or `preload_app = True` in its config file).
    pub preload: bool,
    /// `preload` comes from the config file, not the command line.
    pub preload_in_config: bool,
    /// The app: import string, module path or script, when visible.
    pub app: Option<String>,
    /// uvicorn `--app-dir`, gunicorn `--chdir`.
    pub app_dir: Option<String>,
    /// A config file given with `-c`/`--config`. gunicorn also reads `./gunicorn.conf.py` when it
    /// exists (`gunicorn/config.py:627-630`), which the command line does not show.
    pub config_file: Option<String>,
    /// The word after which a new flag goes (`--reload`, `--watch`): the server executable or
    /// module word, or its subcommand (`run`, `dev`, `runserver`). For a `Script` position,
    /// insert `" --reload"` at byte `end` of the script.
    pub insert_after: ArgPos,
    /// The server's words, from the executable/module word to the end, with positions.
    pub args: Vec<Arg>,
    /// Wrappers around the server, outermost first.
    pub wrappers: Vec<Wrapper>,
    /// The package script the server was found in (`dev` for `npm run dev`). Its words are
    /// then `ArgPos::Script` positions in that script's text, with `script_index` one past the
    /// end of the argv (no argv element holds them).
    pub package_script: Option<String>,
}

impl ServerCommand {
    /// The value of the last occurrence of any of `names` (`--opt value`, `--opt=value`,
    /// `-ovalue`) among the server's words.
    pub fn option_value(&self, names: &[&str]) -> Option<String> {
        let mut found = None;
        let mut i = 1;
        while i < self.args.len() {
            let t = &self.args[i].text;
            if t == "--" {
                break;
            }
            for name in names {
                if t == name {
                    found = self.args.get(i + 1).map(|a| a.text.clone());
                } else if let Some(v) = t.strip_prefix(name) {
                    if name.starts_with("--") {
                        if let Some(v) = v.strip_prefix('=') {
                            found = Some(v.to_string());
                        }
                    } else if !v.is_empty() {
                        found = Some(v.to_string());
                    }
                }
            }
            i += 1;
        }
        found
    }

    /// The server's words equal to `text` (e.g. `--noreload`, `--preload`), for fixes.
    pub fn find_args<'a>(&'a self, text: &'a str) -> impl Iterator<Item = &'a Arg> + 'a {
        self.args.iter().filter(move |a| a.text == text)
    }
}

/// Recognizes the server an argv runs, looking through wrappers. `env` answers environment
/// lookups for the process (only reload-related variables are asked). `None` when no known
/// server is found, including `npm run`, `python app.py` and scripts that need evaluation.
/// For a Dockerfile shell-form CMD pass `["/bin/sh", "-c", TEXT]`: `ArgPos::Script` offsets
/// are then byte offsets into `TEXT`.
pub fn recognize(argv: &[String], env: &dyn Fn(&str) -> Option<String>) -> Option<ServerCommand> {
    recognize_with_scripts(argv, env, None)
}

/// Answers a package script's name with its command text.
pub type ScriptLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// [`recognize`], also looking into package scripts: `scripts` answers a script name with its
/// command text (`package.json` `scripts`), or `None` when the package or the script is
/// unknown.
pub fn recognize_with_scripts(
    argv: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    scripts: Option<ScriptLookup>,
) -> Option<ServerCommand> {
    let args: Vec<Arg> = argv
        .iter()
        .enumerate()
        .map(|(index, text)| Arg {
            text: text.clone(),
            pos: ArgPos::Argv { index },
        })
        .collect();
    let mut ctx = servers::Ctx::new(env);
    ctx.scripts = scripts.map(|lookup| (lookup, argv.len()));
    servers::walk(&args, &mut ctx)
}

#[cfg(test)]
mod tests;
