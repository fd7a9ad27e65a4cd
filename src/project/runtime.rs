//! What an artifact's containers run: the built stage, its base image and what that image
//! contains, the final WORKDIR and USER, and per deployed container the effective command (the
//! stage's ENTRYPOINT/CMD, overridden by the manifest's `command`/`args` as Kubernetes does),
//! its environment, and the server that command starts.

use super::pipeline::{ArtifactView, ContainerRef, Pipeline};
use crate::dockerfile::{Args, Command, Dockerfile, Instruction, Stage, VarValue};
use crate::image::{self, ImageFacts, ShellKind};
use crate::k8s::Text;
use crate::server::{self, ServerCommand};
use crate::skaffold::model::{Artifact, Builder, DockerBuild};
use crate::skaffold::tree::FileId;
use crate::source::Span;
use std::collections::HashMap;
use std::sync::Arc;

/// The image an artifact builds, as far as its Dockerfile tells.
pub struct BuiltImage<'a> {
    pub docker: &'a DockerBuild,
    pub dockerfile: &'a Dockerfile,
    pub dockerfile_file: FileId,
    pub stage: &'a Stage,
    /// The external image the built stage starts from (following `FROM <stage>` chains), with
    /// the artifact's build args applied; None when it cannot be known.
    pub base_image: Option<String>,
    pub facts: Option<ImageFacts>,
    /// The artifact's build args with values (templates left as written).
    pub build_args: std::sync::Arc<HashMap<String, String>>,
}

/// Where a command comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandSource {
    /// A CMD or ENTRYPOINT instruction (index into the Dockerfile's instructions).
    Dockerfile { instruction: usize },
    /// A container's `command` or `args` list in a manifest.
    Manifest {
        file: FileId,
        list: Span,
        items: Vec<Text>,
    },
}

/// What a container runs as PID 1.
pub struct Process {
    /// The manifest container; None for the image's own default (no container found).
    pub container: Option<ContainerRef>,
    /// The full argv of PID 1 (shell forms wrapped in `/bin/sh -c`).
    pub argv: Vec<String>,
    pub entrypoint: Option<CommandSource>,
    pub cmd: Option<CommandSource>,
    /// Dockerfile ENV with the manifest's `env` values on top.
    pub env: HashMap<String, String>,
    pub server: Option<ServerCommand>,
    /// The container's working directory (manifest `workingDir`, else the image's WORKDIR).
    pub workdir: String,
    /// The package script the server was found in (see [`ServerCommand::package_script`]).
    pub package_script: Option<PackageScript>,
    /// How many trailing argv words come from CMD/`args`.
    cmd_len: usize,
}

/// A `scripts` entry of the `package.json` the container's package manager reads: the file in
/// the build context that a COPY puts at `<working dir>/package.json`.
#[derive(Debug, Clone)]
pub struct PackageScript {
    pub file: FileId,
    pub name: String,
    /// The command text.
    pub command: String,
    /// The JSON string holding the command, quotes included.
    pub span: Span,
}

impl Process {
    /// The source that holds the server's words: the command list a fix would edit.
    pub fn server_source(&self) -> Option<&CommandSource> {
        let server = self.server.as_ref()?;
        self.source_of(argv_index(server.insert_after))
            .map(|(source, _)| source)
    }

    /// Number of argv words that come from the ENTRYPOINT (or the manifest's `command`).
    fn entry_len(&self) -> usize {
        self.argv.len() - self.cmd_len
    }

    /// Which source holds `argv[index]`, and the word's index within that source's list (for a
    /// shell-form instruction, `argv` is `[shell.., script]` and the index is into that).
    pub fn source_of(&self, index: usize) -> Option<(&CommandSource, usize)> {
        let entry_len = self.entry_len();
        if index < entry_len {
            Some((self.entrypoint.as_ref()?, index))
        } else if index < self.argv.len() {
            Some((self.cmd.as_ref()?, index - entry_len))
        } else {
            None
        }
    }

    /// Where a word of the argv (or a word inside its `sh -c` script) is written: the manifest
    /// list item or the Dockerfile CMD/ENTRYPOINT word. `exact` is false when only the
    /// enclosing place is known (a shell-form instruction's implicit `/bin/sh -c`, a script
    /// whose text differs from its source because of escapes).
    pub fn locate(
        &self,
        pipeline: &Pipeline,
        built: &BuiltImage,
        pos: server::ArgPos,
    ) -> Option<Located> {
        let (index, script) = match pos {
            server::ArgPos::Argv { index } => (index, None),
            server::ArgPos::Script {
                script_index,
                start,
                end,
            } => (script_index, Some((start, end))),
        };
        if index == self.argv.len() {
            return self.locate_in_package_script(pipeline, script);
        }
        let (source, j) = self.source_of(index)?;
        let (file, word_span, value) = match source {
            CommandSource::Manifest { file, items, .. } => {
                let item = items.get(j)?;
                (*file, item.span, item.value.as_str())
            }
            CommandSource::Dockerfile { instruction } => {
                let file = built.dockerfile_file;
                match built.dockerfile.instructions.get(*instruction)?.command()? {
                    Command::Exec { argv, .. } => {
                        let word = argv.get(j)?;
                        (file, word.span, word.value.as_str())
                    }
                    Command::Shell { text, span } => {
                        // argv is `[shell..., text]`; only the last word is written.
                        if j + 1 != self.source_len(source) {
                            return Some(Located {
                                file,
                                span: *span,
                                exact: false,
                            });
                        }
                        (file, *span, text.as_str())
                    }
                }
            }
        };
        let Some((start, end)) = script else {
            return Some(Located {
                file,
                span: word_span,
                exact: true,
            });
        };
        let raw = pipeline.source(file).slice(word_span).to_string();
        match scalar_offset(&raw, value) {
            Some(offset) if end <= value.len() => Some(Located {
                file,
                span: Span::new(
                    word_span.start + offset + start,
                    word_span.start + offset + end,
                ),
                exact: true,
            }),
            _ => Some(Located {
                file,
                span: word_span,
                exact: false,
            }),
        }
    }

    /// A word of the package script the server was found in: exact when the JSON string holds
    /// the command without escapes.
    fn locate_in_package_script(
        &self,
        pipeline: &Pipeline,
        word: Option<(usize, usize)>,
    ) -> Option<Located> {
        let script = self.package_script.as_ref()?;
        let raw = pipeline.source(script.file).slice(script.span).to_string();
        let whole = Located {
            file: script.file,
            span: script.span,
            exact: false,
        };
        let Some((start, end)) = word else {
            return Some(whole);
        };
        match scalar_offset(&raw, &script.command) {
            Some(offset) if end <= script.command.len() => Some(Located {
                file: script.file,
                span: Span::new(
                    script.span.start + offset + start,
                    script.span.start + offset + end,
                ),
                exact: true,
            }),
            _ => Some(whole),
        }
    }

    /// How many argv words `source` contributes.
    fn source_len(&self, source: &CommandSource) -> usize {
        if self.entrypoint.as_ref() == Some(source) {
            self.entry_len()
        } else {
            self.cmd_len
        }
    }

    /// What PID 1 is when it is a shell that stays the parent of the command it runs: the
    /// argv is `<shell> -c SCRIPT`, the shell is dash (`/bin/sh` on Debian and Ubuntu, which
    /// does not exec even a single command; research `kube-probe.md` §6) and the script never
    /// says `exec`. `sh` is the image's `/bin/sh`. `None` when PID 1 is something else or
    /// not known (bash and busybox ash exec the last command of simple scripts).
    pub fn pid1_shell(&self, sh: Option<ShellKind>) -> Option<String> {
        let program = self.argv.first()?;
        let kind = match program.rsplit('/').next()? {
            "dash" => ShellKind::Dash,
            "sh" => sh?,
            _ => return None,
        };
        if kind != ShellKind::Dash {
            return None;
        }
        let c = self.argv.iter().position(|a| a == "-c")?;
        if c != 1 {
            return None;
        }
        let script = self.argv.get(2)?;
        let words = server::shell_words(script)?;
        if words.iter().any(|w| w == "exec") || words.is_empty() {
            return None;
        }
        Some(program.clone())
    }
}

/// A place in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub file: FileId,
    pub span: Span,
    /// The span is the word itself (false: only the enclosing value or instruction).
    pub exact: bool,
}

/// The argv element an [`server::ArgPos`] lies in.
pub fn argv_index(pos: server::ArgPos) -> usize {
    match pos {
        server::ArgPos::Argv { index }
        | server::ArgPos::Script {
            script_index: index,
            ..
        } => index,
    }
}

/// Where a scalar's value starts within its raw text, when the value is written verbatim:
/// plain, or inside quotes without escapes (YAML and JSON scalars). `None` otherwise.
pub fn scalar_offset(raw: &str, value: &str) -> Option<usize> {
    if raw == value {
        return Some(0);
    }
    let quoted = raw.len() >= 2
        && ((raw.starts_with('"') && raw.ends_with('"'))
            || (raw.starts_with('\'') && raw.ends_with('\'')));
    (quoted && &raw[1..raw.len() - 1] == value).then_some(1)
}

impl<'a> BuiltImage<'a> {
    /// The built image of a Dockerfile artifact, when its Dockerfile parsed and the target exists.
    pub fn of(artifact: &'a Artifact, view: &'a ArtifactView) -> Option<BuiltImage<'a>> {
        let Builder::Dockerfile(docker) = &artifact.builder else {
            return None;
        };
        let dockerfile_view = view.dockerfile.as_ref()?;
        let dockerfile = dockerfile_view.parsed.as_ref();
        let stage = dockerfile.target_stage(docker.target.as_ref().map(|t| t.value.as_str()))?;
        let build_args = view
            .build_args
            .get_or_init(|| {
                let args = docker
                    .build_args
                    .iter()
                    .filter_map(|a| Some((a.name.clone(), a.value.as_ref()?.value.clone())));
                std::sync::Arc::new(args.collect())
            })
            .clone();
        let (base_image, facts) = view
            .base_image
            .get_or_init(|| {
                let base = external_base(dockerfile, stage.index, &build_args);
                let facts = base.as_deref().and_then(image::lookup);
                (base, facts)
            })
            .clone();
        Some(BuiltImage {
            docker,
            dockerfile,
            dockerfile_file: dockerfile_view.file,
            stage,
            base_image,
            facts,
            build_args,
        })
    }

    /// The final WORKDIR of the built image (`/` unless set; a base image's own WORKDIR is
    /// unknown and reported as None when no WORKDIR instruction set it).
    pub fn workdir(&self) -> Option<String> {
        let state = self
            .dockerfile
            .state_after(self.stage.index, Some(&self.build_args))?;
        if state.workdir.set_by.is_none() && self.facts.is_none() && self.base_image.is_none() {
            return None;
        }
        state.workdir.value.clone()
    }

    /// The final USER: Some(user) when set by the Dockerfile, None when the base image's user
    /// applies (root unless the image says otherwise).
    pub fn user(&self) -> Option<(String, usize)> {
        let state = self
            .dockerfile
            .state_after(self.stage.index, Some(&self.build_args))?;
        Some((state.user.value.clone()?, state.user.set_by?))
    }

    /// Variables known at the end of the built stage (ENV and ARG values).
    pub fn env(&self) -> HashMap<String, String> {
        let Some(state) = self
            .dockerfile
            .state_after(self.stage.index, Some(&self.build_args))
        else {
            return HashMap::new();
        };
        state
            .vars()
            .into_iter()
            .filter_map(|(k, v)| match v {
                VarValue::Known(v) => Some((k.to_string(), v.clone())),
                VarValue::Unknown => None,
            })
            .collect()
    }

    /// The built stage and the stages it is built `FROM`, innermost (the built stage) first.
    fn stage_chain(&self) -> Vec<&'a Stage> {
        let mut chain = vec![self.stage];
        let mut current = self.stage;
        while let Some(parent) = current.base_stage.filter(|&p| p < current.index) {
            let Some(s) = self.dockerfile.stages.get(parent) else {
                break;
            };
            chain.push(s);
            current = s;
        }
        chain
    }

    /// The instructions that make up the built image, in build order.
    pub fn image_instructions(&self) -> impl Iterator<Item = &'a Instruction> + '_ {
        let dockerfile = self.dockerfile;
        self.stage_chain()
            .into_iter()
            .rev()
            .flat_map(move |s| dockerfile.instructions[s.instructions.clone()].iter())
    }

    /// The shell a shell-form instruction at `index` runs under: the last SHELL before it in
    /// the image, else `/bin/sh -c`.
    pub fn shell_at(&self, index: usize) -> Vec<String> {
        self.image_instructions()
            .take_while(|i| i.index < index)
            .filter_map(|i| match &i.args {
                Args::Shell(Command::Exec { argv, .. }) => {
                    Some(argv.iter().map(|w| w.value.clone()).collect())
                }
                _ => None,
            })
            .last()
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()])
    }

    /// Whether the built image has `tool` (`sh`, `bash`, `tar`, `ps`, `pgrep`, `pkill`,
    /// `killall`): the base image's facts, unless the Dockerfile may add it. A RUN that
    /// installs packages naming the tool or the package that ships it (procps, psmisc,
    /// busybox, bash) or a `COPY --from` whose source names it makes the answer unknown.
    /// `None` when not known.
    pub fn tool(&self, tool: &str) -> Option<bool> {
        let facts = self.facts?;
        let known = match tool {
            "bash" => match facts.has_shell {
                Some(false) => Some(false),
                _ => None,
            },
            "/bin/sh" => facts.has_bin_sh,
            _ => facts.has_tool(tool),
        };
        if known != Some(false) {
            return known;
        }
        let name = tool.rsplit('/').next().unwrap_or(tool);
        let providers: &[&str] = match name {
            "ps" | "pgrep" | "pkill" => &["procps", "busybox"],
            "killall" => &["psmisc", "busybox"],
            "sh" | "bash" => &["bash", "busybox", "dash"],
            "tar" => &["tar", "busybox"],
            _ => &[],
        };
        let mentions =
            |text: &str| text.contains(name) || providers.iter().any(|p| text.contains(p));
        let added = self.image_instructions().any(|i| match &i.args {
            Args::Run { command, heredocs } => {
                let text = match command {
                    Command::Exec { argv, .. } => argv
                        .iter()
                        .map(|w| w.value.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                    Command::Shell { text, .. } => text.clone(),
                };
                providers.iter().any(|p| text.contains(p))
                    || heredocs
                        .iter()
                        .any(|h| providers.iter().any(|p| h.body.contains(p)))
            }
            Args::Copy(c) | Args::Add(c) => {
                i.flag("from").is_some()
                    && c.sources
                        .iter()
                        .chain([&c.dest])
                        .any(|w| mentions(&w.value))
            }
            _ => false,
        });
        if added {
            None
        } else {
            Some(false)
        }
    }

    /// The CMD and ENTRYPOINT in force for the built stage (inherited through `FROM <stage>`).
    /// An ENTRYPOINT set in a later stage resets an inherited CMD, as Docker does.
    pub fn entrypoint_and_cmd(&self) -> (Option<&'a Instruction>, Option<&'a Instruction>) {
        let dockerfile = self.dockerfile;
        let mut entrypoint = None;
        let mut cmd = None;
        let mut stage = Some(self.stage);
        while let Some(s) = stage {
            let body = &dockerfile.instructions[s.instructions.clone()];
            let own_entry = body
                .iter()
                .rev()
                .find(|i| matches!(i.args, Args::Entrypoint(_)));
            let own_cmd = body.iter().rev().find(|i| matches!(i.args, Args::Cmd(_)));
            if entrypoint.is_none() {
                entrypoint = own_entry;
                if own_entry.is_some() && cmd.is_none() {
                    // ENTRYPOINT resets the CMD inherited from below this stage.
                    cmd = own_cmd;
                    return (entrypoint, cmd);
                }
            }
            if cmd.is_none() {
                cmd = own_cmd;
            }
            if entrypoint.is_some() && cmd.is_some() {
                break;
            }
            stage = s.base_stage.and_then(|b| dockerfile.stages.get(b));
        }
        (entrypoint, cmd)
    }
}

/// The external base image of a stage, following stage references.
fn external_base(
    dockerfile: &Dockerfile,
    stage: usize,
    build_args: &HashMap<String, String>,
) -> Option<String> {
    let mut current = dockerfile.stages.get(stage)?;
    for _ in 0..dockerfile.stages.len() + 1 {
        if let Some(parent) = current.base_stage {
            current = dockerfile.stages.get(parent)?;
            continue;
        }
        let expanded = dockerfile.base_with_build_args(current.index, Some(build_args))?;
        let name = expanded.known()?.to_string();
        // A reference to an earlier stage only known after applying build args.
        if let Some(s) = dockerfile
            .stage_by_name_or_index(&name)
            .filter(|s| s.index < current.index)
        {
            current = s;
            continue;
        }
        return Some(name);
    }
    None
}

fn command_argv(command: &Command, shell: Vec<String>) -> Vec<String> {
    match command {
        Command::Exec { argv, .. } => argv.iter().map(|w| w.value.clone()).collect(),
        Command::Shell { text, .. } => {
            let mut argv = shell;
            argv.push(text.clone());
            argv
        }
    }
}

/// [`processes`], made once per artifact of a pipeline and shared: about ten rules ask for it.
/// `built` must be the artifact's own [`BuiltImage::of`], as for every rule.
pub fn shared_processes(
    pipeline: &Pipeline,
    artifact: &Artifact,
    view: &ArtifactView,
    built: &BuiltImage,
) -> Processes {
    view.processes
        .get_or_init(|| Processes(Arc::new(processes(pipeline, artifact, view, built))))
        .clone()
}

/// What an artifact's containers run, shared (see [`shared_processes`]).
#[derive(Clone)]
pub struct Processes(Arc<Vec<Process>>);

impl std::ops::Deref for Processes {
    type Target = [Process];
    fn deref(&self) -> &[Process] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Processes {
    type Item = &'a Process;
    type IntoIter = std::slice::Iter<'a, Process>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// What each deployed container of the artifact runs; when no manifest container runs it, the
/// image's own default command.
pub fn processes(
    pipeline: &Pipeline,
    artifact: &Artifact,
    view: &ArtifactView,
    built: &BuiltImage,
) -> Vec<Process> {
    let (entry_instr, cmd_instr) = built.entrypoint_and_cmd();
    let image_entry =
        entry_instr.and_then(|i| Some(command_argv(i.command()?, built.shell_at(i.index))));
    let image_cmd =
        cmd_instr.and_then(|i| Some(command_argv(i.command()?, built.shell_at(i.index))));
    let image_env = built.env();
    let image_workdir = built.workdir().unwrap_or_else(|| "/".into());
    let _ = artifact;
    let make = |container: Option<ContainerRef>| -> Process {
        let mut entrypoint = image_entry.clone().map(|a| {
            (
                a,
                CommandSource::Dockerfile {
                    instruction: entry_instr.map(|i| i.index).unwrap_or(0),
                },
            )
        });
        let mut cmd = image_cmd.clone().map(|a| {
            (
                a,
                CommandSource::Dockerfile {
                    instruction: cmd_instr.map(|i| i.index).unwrap_or(0),
                },
            )
        });
        let mut env = image_env.clone();
        let mut workdir = image_workdir.clone();
        if let Some(r) = container {
            let (manifest, _, c) = pipeline.container(r);
            if let Some((items, list)) = &c.command {
                // Kubernetes: `command` replaces ENTRYPOINT and drops the image's CMD.
                entrypoint = Some((
                    items.iter().map(|t| t.value.clone()).collect(),
                    CommandSource::Manifest {
                        file: manifest.file,
                        list: *list,
                        items: items.clone(),
                    },
                ));
                cmd = None;
            }
            if let Some((items, list)) = &c.args {
                cmd = Some((
                    items.iter().map(|t| t.value.clone()).collect(),
                    CommandSource::Manifest {
                        file: manifest.file,
                        list: *list,
                        items: items.clone(),
                    },
                ));
            }
            for e in &c.env {
                match &e.value {
                    Some(v) => {
                        env.insert(e.name.clone(), v.value.clone());
                    }
                    None => {
                        env.remove(&e.name);
                    }
                }
            }
            if let Some(w) = &c.working_dir {
                workdir = w.value.clone();
            }
        }
        let cmd_len = cmd.as_ref().map_or(0, |(a, _)| a.len());
        let mut argv: Vec<String> = entrypoint
            .as_ref()
            .map(|(a, _)| a.clone())
            .unwrap_or_default();
        argv.extend(cmd.as_ref().map(|(a, _)| a.clone()).unwrap_or_default());
        let found_script = std::cell::RefCell::new(None);
        let lookup = |name: &str| -> Option<String> {
            let script = package_script(pipeline, view, built, &workdir, name)?;
            let command = script.command.clone();
            *found_script.borrow_mut() = Some(script);
            Some(command)
        };
        let mut server =
            server::recognize_with_scripts(&argv, &|name| env.get(name).cloned(), Some(&lookup));
        if let Some(s) = server.as_mut() {
            gunicorn_config(pipeline, view, built, &workdir, s);
        }
        let package_script = server
            .as_ref()
            .and_then(|s| s.package_script.as_ref())
            .and_then(|name| {
                found_script
                    .take()
                    .filter(|found: &PackageScript| &found.name == name)
            });
        Process {
            container,
            argv,
            entrypoint: entrypoint.map(|(_, s)| s),
            cmd: cmd.map(|(_, s)| s),
            env,
            server,
            workdir,
            package_script,
            cmd_len,
        }
    };
    let deployed: Vec<ContainerRef> = view
        .containers
        .iter()
        .copied()
        .filter(|c| !c.init)
        .collect();
    if deployed.is_empty() {
        vec![make(None)]
    } else {
        deployed.into_iter().map(|c| make(Some(c))).collect()
    }
}

/// The context file that the built image has at `container_path`: the one the last COPY
/// writing that path copies, when `.dockerignore` keeps it and no later `COPY --from` may
/// replace it. Only files named like the target are considered (a COPY that renames a file is
/// not followed).
pub fn context_file_at(
    view: &ArtifactView,
    built: &BuiltImage,
    container_path: &str,
) -> Option<String> {
    let name = container_path.rsplit('/').next()?;
    let files = view.context_files()?;
    let copies = super::watch::context_copies(built.dockerfile, &built.build_args)?;
    let in_image: std::collections::HashSet<usize> =
        built.image_instructions().map(|i| i.index).collect();
    let mut best: Option<(usize, &String)> = None;
    for file in files.iter().filter(|f| f.rsplit('/').next() == Some(name)) {
        if view
            .dockerignore
            .as_ref()
            .is_some_and(|i| i.parsed.is_excluded(file))
        {
            continue;
        }
        for copy in copies.iter().filter(|c| in_image.contains(&c.instruction)) {
            if copy.target(file).as_deref() == Some(container_path)
                && best.is_none_or(|(at, _)| copy.instruction > at)
            {
                best = Some((copy.instruction, file));
            }
        }
    }
    let (at, file) = best?;
    // A later copy from another stage or image may replace the file with one the context
    // does not show.
    let replaced = built
        .image_instructions()
        .any(|i| i.index > at && i.copy_args().is_some() && i.flag("from").is_some());
    (!replaced).then(|| file.clone())
}

/// gunicorn's `-c FILE` settings that decide reloading, when the build context provides the
/// file at the path the container reads it from (relative to the working directory): `reload`
/// (off unless set; the command line's `--reload` wins) and `preload_app`. gunicorn executes
/// the file as Python (`gunicorn/config.py`, `get_config_from_filename`); only plain top-level
/// `reload = True|False` and `preload_app = True|False` lines are understood, and a file that
/// sets them any other way, or may set them indirectly (`import *`, `exec`, `globals()`), leaves
/// the mode unknown.
fn gunicorn_config(
    pipeline: &Pipeline,
    view: &ArtifactView,
    built: &BuiltImage,
    workdir: &str,
    server: &mut ServerCommand,
) {
    if !matches!(server.kind, server::ServerKind::Gunicorn { .. }) {
        return;
    }
    let Some(path) = server.config_file.clone() else {
        return;
    };
    if path.starts_with("python:") || path.contains('$') {
        return;
    }
    let container_path = crate::rules::sync::absolute(workdir, &path);
    let Some(rel) = context_file_at(view, built, &container_path) else {
        return;
    };
    let Ok(file) = pipeline.project.read(&view.context_dir.join(&rel)) else {
        return;
    };
    let Some(settings) = gunicorn_settings(&pipeline.source(file).text) else {
        return;
    };
    if server.reload == server::ReloadMode::Unknown {
        server.reload = match settings.reload {
            Some(true) => server::ReloadMode::On {
                via: server::ReloadVia::Config(format!("`{path}`")),
            },
            _ => server::ReloadMode::Off,
        };
    }
    if settings.preload == Some(true) {
        server.preload = true;
        server.preload_in_config = true;
    }
}

/// The `reload` and `preload_app` settings of a gunicorn config file, or None when the file
/// may set them in a way a line scan cannot follow.
pub(crate) struct GunicornSettings {
    pub reload: Option<bool>,
    pub preload: Option<bool>,
}

pub(crate) fn gunicorn_settings(text: &str) -> Option<GunicornSettings> {
    let mut settings = GunicornSettings {
        reload: None,
        preload: None,
    };
    for line in text.lines() {
        let code = line.split('#').next().unwrap_or("").trim_end();
        if code.contains("import *")
            || code.contains("exec(")
            || code.contains("globals(")
            || code.contains("locals(")
            || code.contains("setattr(")
        {
            return None;
        }
        for (name, slot) in [
            ("reload", &mut settings.reload),
            ("preload_app", &mut settings.preload),
        ] {
            let mentioned = code
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|w| w == name);
            if !mentioned {
                continue;
            }
            let Some((left, right)) = code.split_once('=') else {
                continue;
            };
            let plain = !line.starts_with([' ', '\t']) && left.trim() == name;
            match (plain, right.trim()) {
                (true, "True") => *slot = Some(true),
                (true, "False") => *slot = Some(false),
                // Assigned from an expression, conditionally, or compared: unknown.
                _ if left.trim() == name || left.trim_end().ends_with(name) => return None,
                _ => {}
            }
        }
    }
    Some(settings)
}

/// The `scripts.NAME` entry of the `package.json` in the container's working directory.
fn package_script(
    pipeline: &Pipeline,
    view: &ArtifactView,
    built: &BuiltImage,
    workdir: &str,
    name: &str,
) -> Option<PackageScript> {
    let target = crate::project::watch::absolute(workdir, "package.json");
    let rel = context_file_at(view, built, &target)?;
    let file = pipeline.project.read(&view.context_dir.join(rel)).ok()?;
    let source = pipeline.source(file);
    let json: serde_json::Value = serde_json::from_str(&source.text).ok()?;
    let command = json.get("scripts")?.get(name)?.as_str()?.to_string();
    let span = script_span(&source.text, name, &command)
        .unwrap_or_else(|| Span::new(0, source.text.len().min(1)));
    Some(PackageScript {
        file,
        name: name.to_string(),
        command,
        span,
    })
}

/// Where `"name": "command"` of the `scripts` object is written: the span of the command's
/// JSON string. `None` when the text is not found as written (unusual escapes).
fn script_span(text: &str, name: &str, command: &str) -> Option<Span> {
    let scripts = text.find("\"scripts\"")?;
    let key = serde_json::to_string(name).ok()?;
    let value = serde_json::to_string(command).ok()?;
    let mut from = scripts;
    while let Some(found) = text[from..].find(&key) {
        let after_key = from + found + key.len();
        let rest = &text[after_key..];
        let colon = rest.len() - rest.trim_start().len();
        if rest[colon..].starts_with(':') {
            let after_colon = &rest[colon + 1..];
            let blank = after_colon.len() - after_colon.trim_start().len();
            if after_colon[blank..].starts_with(&value) {
                let start = after_key + colon + 1 + blank;
                return Some(Span::new(start, start + value.len()));
            }
        }
        from = after_key;
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn gunicorn_config_lines_are_read_only_when_plain() {
        let s = super::gunicorn_settings("bind = ':8000'\n# reload = True\npreload_app = True\n")
            .unwrap();
        assert_eq!((s.reload, s.preload), (None, Some(true)));
        let s = super::gunicorn_settings("reload=True\n").unwrap();
        assert_eq!(s.reload, Some(true));
        assert!(super::gunicorn_settings("reload = os.environ.get('DEV') == '1'\n").is_none());
        assert!(super::gunicorn_settings("if DEV:\n    reload = True\n").is_none());
        assert!(super::gunicorn_settings("from settings import *\n").is_none());
        let s = super::gunicorn_settings("reload_extra_files = ['a']\n").unwrap();
        assert_eq!(s.reload, None);
    }

    use super::*;

    #[test]
    fn scalar_offsets_only_for_verbatim_values() {
        assert_eq!(scalar_offset("kill 1", "kill 1"), Some(0));
        assert_eq!(scalar_offset("\"kill 1\"", "kill 1"), Some(1));
        assert_eq!(scalar_offset("'kill 1'", "kill 1"), Some(1));
        // Escapes change the text: positions inside it are not known.
        assert_eq!(scalar_offset("\"a \\\"b\\\"\"", "a \"b\""), None);
        assert_eq!(scalar_offset("\"", ""), None);
    }

    #[test]
    fn package_script_spans_cover_the_json_string() {
        let text = "{\n  \"name\": \"dev\",\n  \"scripts\": {\n    \"start\": \"node app.js\",\n    \"dev\" : \"nodemon app.js\"\n  }\n}\n";
        let span = script_span(text, "dev", "nodemon app.js").unwrap();
        assert_eq!(&text[span.start..span.end], "\"nodemon app.js\"");
        let span = script_span(text, "start", "node app.js").unwrap();
        assert_eq!(&text[span.start..span.end], "\"node app.js\"");
        assert_eq!(script_span(text, "test", "jest"), None);
    }

    #[test]
    fn argv_index_of_positions() {
        assert_eq!(argv_index(server::ArgPos::Argv { index: 3 }), 3);
        assert_eq!(
            argv_index(server::ArgPos::Script {
                script_index: 2,
                start: 0,
                end: 4
            }),
            2
        );
    }
}
