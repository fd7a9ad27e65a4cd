//! What an artifact's containers run: the built stage, its base image and what that image
//! contains, the final WORKDIR and USER, and per deployed container the effective command (the
//! stage's ENTRYPOINT/CMD, overridden by the manifest's `command`/`args` as Kubernetes does),
//! its environment, and the server that command starts.

use super::pipeline::{ArtifactView, ContainerRef, Pipeline};
use crate::dockerfile::{Args, Command, Dockerfile, Instruction, Stage, VarValue};
use crate::image::{self, ImageFacts};
use crate::k8s::Text;
use crate::server::{self, ServerCommand};
use crate::skaffold::model::{Artifact, Builder, DockerBuild};
use crate::skaffold::tree::FileId;
use crate::source::Span;
use std::collections::HashMap;

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
    pub build_args: HashMap<String, String>,
}

/// Where a command comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandSource {
    /// A CMD or ENTRYPOINT instruction (index into the Dockerfile's instructions).
    Dockerfile { instruction: usize },
    /// A container's `command` or `args` list in a manifest.
    Manifest { file: FileId, list: Span, items: Vec<Text> },
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
    /// How many trailing argv words come from CMD/`args`.
    cmd_len: usize,
}

impl Process {
    /// The source that holds the server's words: the argv element a fix would edit.
    pub fn server_source(&self) -> Option<&CommandSource> {
        let cmd_len = self.cmd_argv_len();
        let server = self.server.as_ref()?;
        let first = match server.insert_after {
            server::ArgPos::Argv { index } | server::ArgPos::Script { script_index: index, .. } => index,
        };
        let entry_len = self.argv.len() - cmd_len;
        if first >= entry_len {
            self.cmd.as_ref()
        } else {
            self.entrypoint.as_ref()
        }
    }

    fn cmd_argv_len(&self) -> usize {
        self.cmd_len
    }
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
        let build_args: HashMap<String, String> = docker
            .build_args
            .iter()
            .filter_map(|a| Some((a.name.clone(), a.value.as_ref()?.value.clone())))
            .collect();
        let base_image = external_base(dockerfile, stage.index, &build_args);
        let facts = base_image.as_deref().and_then(image::lookup);
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

    /// The state after the built stage's last instruction.
    fn last_instruction(&self) -> usize {
        self.stage.instructions.end.saturating_sub(1)
    }

    /// The final WORKDIR of the built image (`/` unless set; a base image's own WORKDIR is
    /// unknown and reported as None when no WORKDIR instruction set it).
    pub fn workdir(&self) -> Option<String> {
        let state = self.dockerfile.state_at(self.last_instruction(), Some(&self.build_args))?;
        if state.workdir.set_by.is_none() && self.facts.is_none() && self.base_image.is_none() {
            return None;
        }
        state.workdir.value
    }

    /// The final USER: Some(user) when set by the Dockerfile, None when the base image's user
    /// applies (root unless the image says otherwise).
    pub fn user(&self) -> Option<(String, usize)> {
        let state = self.dockerfile.state_at(self.last_instruction(), Some(&self.build_args))?;
        Some((state.user.value?, state.user.set_by?))
    }

    /// Variables known at the end of the built stage (ENV and ARG values).
    pub fn env(&self) -> HashMap<String, String> {
        let Some(state) = self.dockerfile.state_at(self.last_instruction(), Some(&self.build_args)) else {
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

    /// The CMD and ENTRYPOINT in force for the built stage (inherited through `FROM <stage>`).
    /// An ENTRYPOINT set in a later stage resets an inherited CMD, as Docker does.
    pub fn entrypoint_and_cmd(&self) -> (Option<&'a Instruction>, Option<&'a Instruction>) {
        let dockerfile = self.dockerfile;
        let mut entrypoint = None;
        let mut cmd = None;
        let mut stage = Some(self.stage);
        while let Some(s) = stage {
            let body = &dockerfile.instructions[s.instructions.clone()];
            let own_entry = body.iter().rev().find(|i| matches!(i.args, Args::Entrypoint(_)));
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
fn external_base(dockerfile: &Dockerfile, stage: usize, build_args: &HashMap<String, String>) -> Option<String> {
    let mut current = dockerfile.stages.get(stage)?;
    for _ in 0..dockerfile.stages.len() + 1 {
        if let Some(parent) = current.base_stage {
            current = dockerfile.stages.get(parent)?;
            continue;
        }
        let expanded = dockerfile.base_with_build_args(current.index, Some(build_args))?;
        let name = expanded.known()?.to_string();
        // A reference to an earlier stage only known after applying build args.
        if let Some(s) = dockerfile.stage_by_name_or_index(&name).filter(|s| s.index < current.index) {
            current = s;
            continue;
        }
        return Some(name);
    }
    None
}

fn command_argv(command: &Command) -> Vec<String> {
    match command {
        Command::Exec { argv, .. } => argv.iter().map(|w| w.value.clone()).collect(),
        Command::Shell { text, .. } => vec!["/bin/sh".into(), "-c".into(), text.clone()],
    }
}

/// What each deployed container of the artifact runs; when no manifest container runs it, the
/// image's own default command.
pub fn processes(pipeline: &Pipeline, artifact: &Artifact, view: &ArtifactView, built: &BuiltImage) -> Vec<Process> {
    let (entry_instr, cmd_instr) = built.entrypoint_and_cmd();
    let image_entry = entry_instr.and_then(|i| i.command()).map(command_argv);
    let image_cmd = cmd_instr.and_then(|i| i.command()).map(command_argv);
    let image_env = built.env();
    let image_workdir = built.workdir().unwrap_or_else(|| "/".into());
    let _ = artifact;
    let make = |container: Option<ContainerRef>| -> Process {
        let mut entrypoint = image_entry.clone().map(|a| (a, CommandSource::Dockerfile { instruction: entry_instr.map(|i| i.index).unwrap_or(0) }));
        let mut cmd = image_cmd.clone().map(|a| (a, CommandSource::Dockerfile { instruction: cmd_instr.map(|i| i.index).unwrap_or(0) }));
        let mut env = image_env.clone();
        let mut workdir = image_workdir.clone();
        if let Some(r) = container {
            let (manifest, _, c) = pipeline.container(r);
            if let Some((items, list)) = &c.command {
                // Kubernetes: `command` replaces ENTRYPOINT and drops the image's CMD.
                entrypoint = Some((items.iter().map(|t| t.value.clone()).collect(), CommandSource::Manifest { file: manifest.file, list: *list, items: items.clone() }));
                cmd = None;
            }
            if let Some((items, list)) = &c.args {
                cmd = Some((items.iter().map(|t| t.value.clone()).collect(), CommandSource::Manifest { file: manifest.file, list: *list, items: items.clone() }));
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
        let mut argv: Vec<String> = entrypoint.as_ref().map(|(a, _)| a.clone()).unwrap_or_default();
        argv.extend(cmd.as_ref().map(|(a, _)| a.clone()).unwrap_or_default());
        let server = server::recognize(&argv, &|name| env.get(name).cloned());
        Process {
            container,
            argv,
            entrypoint: entrypoint.map(|(_, s)| s),
            cmd: cmd.map(|(_, s)| s),
            env,
            server,
            workdir,
            cmd_len,
        }
    };
    let deployed: Vec<ContainerRef> = view.containers.iter().copied().filter(|c| !c.init).collect();
    if deployed.is_empty() {
        vec![make(None)]
    } else {
        deployed.into_iter().map(|c| make(Some(c))).collect()
    }
}
