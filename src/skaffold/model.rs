//! The typed pipeline model the rules read, extracted from an effective config tree (profiles
//! already applied). Every value keeps its origin so findings point at the right bytes.

use super::tree::{Origin, Val};

#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub origin: Origin,
}

impl Spanned<String> {
    fn from_val(val: &Val) -> Option<Self> {
        val.as_str().map(|s| Spanned {
            value: s.to_string(),
            origin: val.origin,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineModel {
    pub artifacts: Vec<Artifact>,
    /// The tagger in `build.tagPolicy` (`gitCommit`, `inputDigest`, ...), default gitCommit.
    pub tag_policy: Option<Spanned<String>>,
    /// `build.local.tryImportMissing: true`.
    pub try_import_missing: Option<Origin>,
    /// Whether the build runs in the cluster or Cloud Build (no local docker daemon).
    pub build_type: BuildType,
    /// Raw manifest paths or globs (`manifests.rawYaml`, or `deploy.kubectl.manifests` before v3).
    pub raw_manifests: Vec<Spanned<String>>,
    /// Renderers and deployers skafix does not analyse (helm, kustomize, kpt, ...).
    pub unanalysed: Vec<Spanned<String>>,
    /// `deploy.kubeContext`, when pinned.
    pub deploy_kube_context: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildType {
    Local,
    GoogleCloudBuild,
    Cluster,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Artifact {
    pub index: usize,
    pub image: Spanned<String>,
    /// The artifact's mapping in the config.
    pub origin: Origin,
    /// `context`, default `.`.
    pub context: String,
    pub builder: Builder,
    pub sync: Option<Sync>,
    /// Images this artifact depends on (`requires[].image`).
    pub requires: Vec<Spanned<String>>,
}

// One per artifact, matched everywhere: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Builder {
    /// `docker` (the default) or `kaniko`: both build a Dockerfile.
    Dockerfile(DockerBuild),
    /// Any other builder (`jib`, `buildpacks`, `ko`, `bazel`, `custom`), by its key.
    Other(Spanned<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DockerBuild {
    /// `docker` or `kaniko`.
    pub kind: &'static str,
    /// Where the builder section is (or the artifact, when defaulted).
    pub origin: Origin,
    /// `dockerfile`, relative to the context (default `Dockerfile`).
    pub dockerfile: Spanned<String>,
    pub target: Option<Spanned<String>>,
    pub build_args: Vec<BuildArg>,
    /// `cacheFrom` as written (present even when an empty list).
    pub cache_from: Option<Origin>,
    pub no_cache: Option<Origin>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BuildArg {
    pub name: String,
    /// The key's bytes.
    pub key: Origin,
    /// None for `NAME:` with no value (passed as `--build-arg NAME`).
    pub value: Option<Spanned<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sync {
    pub origin: Origin,
    pub mode: SyncMode,
    pub before: Vec<Hook>,
    pub after: Vec<Hook>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SyncMode {
    Manual(Vec<SyncRule>),
    Infer(Vec<Spanned<String>>),
    /// `auto: true|false`; Skaffold takes the auto path even when false (`sync.go:55-83`).
    Auto(Origin),
    /// `sync: {}` or only hooks: Skaffold defaults to `infer: ["**/*"]` for Dockerfile builders.
    DefaultInfer,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyncRule {
    pub origin: Origin,
    pub src: Spanned<String>,
    pub dest: Spanned<String>,
    pub strip: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookPhase {
    Before,
    After,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hook {
    pub phase: HookPhase,
    /// The hook item.
    pub origin: Origin,
    /// `container` hooks run in the pod; `host` hooks on the developer's machine.
    pub in_container: bool,
    pub command: HookCommand,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HookCommand {
    /// The documented form: an argv list.
    Argv {
        args: Vec<Spanned<String>>,
        origin: Origin,
    },
    /// A single string where a list is required.
    Scalar(Spanned<String>),
    Missing,
}

impl HookCommand {
    pub fn argv(&self) -> Option<Vec<String>> {
        match self {
            HookCommand::Argv { args, .. } => Some(args.iter().map(|a| a.value.clone()).collect()),
            _ => None,
        }
    }
}

/// Builders Skaffold knows; the first present decides (`latest/config.go` ArtifactType).
const BUILDERS: &[&str] = &[
    "docker",
    "bazel",
    "ko",
    "jib",
    "kaniko",
    "buildpacks",
    "custom",
];

/// Reads the pipeline of one effective config document.
pub fn extract(config: &Val) -> PipelineModel {
    let build = config.get("build");
    let build_type = match build {
        Some(b) if b.get("googleCloudBuild").is_some() => BuildType::GoogleCloudBuild,
        Some(b) if b.get("cluster").is_some() => BuildType::Cluster,
        _ => BuildType::Local,
    };
    let artifacts = build
        .and_then(|b| b.get("artifacts"))
        .map(Val::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter_map(|(i, a)| artifact(i, a, build_type))
        .collect();
    let tag_policy = build
        .and_then(|b| b.get("tagPolicy"))
        .and_then(|t| {
            t.entries()
                .iter()
                .find(|(_, v)| !v.is_null() || v.origin.key_span.is_some())
        })
        .map(|(k, v)| Spanned {
            value: k.clone(),
            origin: v.origin,
        });
    let try_import_missing = build
        .and_then(|b| b.path(&["local", "tryImportMissing"]))
        .filter(|v| v.as_bool() == Some(true))
        .map(|v| v.origin);

    let mut raw_manifests = Vec::new();
    let mut unanalysed = Vec::new();
    if let Some(manifests) = config.get("manifests") {
        raw_manifests.extend(strings(manifests.get("rawYaml")));
        for kind in ["kustomize", "helm", "kpt", "remoteManifests"] {
            if let Some(v) = manifests.get(kind).filter(|v| !v.is_zero()) {
                unanalysed.push(key_of(kind, v));
            }
        }
    }
    if let Some(deploy) = config.get("deploy") {
        if let Some(kubectl) = deploy.get("kubectl") {
            // Before v3 the manifests were listed under deploy.kubectl (default k8s/*.yaml).
            raw_manifests.extend(strings(kubectl.get("manifests")));
        }
        for kind in ["kustomize", "helm", "kpt"] {
            if let Some(v) = deploy.get(kind).filter(|v| !v.is_zero()) {
                unanalysed.push(key_of(kind, v));
            }
        }
    }
    let deploy_kube_context = config
        .path(&["deploy", "kubeContext"])
        .and_then(Spanned::from_val);
    PipelineModel {
        artifacts,
        tag_policy,
        try_import_missing,
        build_type,
        raw_manifests,
        unanalysed,
        deploy_kube_context,
    }
}

fn key_of(kind: &str, v: &Val) -> Spanned<String> {
    let mut origin = v.origin;
    if let Some(key) = origin.key_span {
        origin.span = key;
    }
    Spanned {
        value: kind.to_string(),
        origin,
    }
}

fn strings(list: Option<&Val>) -> Vec<Spanned<String>> {
    list.map(Val::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Spanned::from_val)
        .collect()
}

fn artifact(index: usize, a: &Val, build_type: BuildType) -> Option<Artifact> {
    let image = Spanned::from_val(a.get("image")?)?;
    let context = a
        .get("context")
        .and_then(Val::as_str)
        .filter(|c| !c.is_empty())
        .unwrap_or(".")
        .to_string();
    let chosen = BUILDERS.iter().find(|b| a.get(b).is_some());
    let builder = match chosen {
        Some(&kind @ ("docker" | "kaniko")) => {
            Builder::Dockerfile(docker_build(kind, a.get(kind)?))
        }
        Some(other) => Builder::Other(key_of(other, a.get(other)?)),
        // No builder key: docker, or kaniko when the build runs in the cluster (defaults.go:59-63).
        None => {
            let kind = if build_type == BuildType::Cluster {
                "kaniko"
            } else {
                "docker"
            };
            let mut defaulted = docker_build(kind, &Val::null(a.origin));
            defaulted.origin = a.origin;
            Builder::Dockerfile(defaulted)
        }
    };
    let sync = a.get("sync").map(|s| sync(s, &builder));
    let requires = a
        .get("requires")
        .map(Val::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|r| r.get("image").and_then(Spanned::from_val))
        .collect();
    Some(Artifact {
        index,
        image,
        origin: a.origin,
        context,
        builder,
        sync,
        requires,
    })
}

fn docker_build(kind: &'static str, d: &Val) -> DockerBuild {
    let dockerfile = d
        .get("dockerfile")
        .and_then(Spanned::from_val)
        .filter(|s| !s.value.is_empty())
        .unwrap_or_else(|| Spanned {
            value: "Dockerfile".to_string(),
            origin: d.origin,
        });
    let build_args = d
        .get("buildArgs")
        .map(Val::entries)
        .unwrap_or(&[])
        .iter()
        .map(|(name, v)| BuildArg {
            name: name.clone(),
            key: Origin {
                span: v.origin.key_span.unwrap_or(v.origin.span),
                ..v.origin
            },
            value: if v.is_null() {
                None
            } else {
                Spanned::from_val(v).or(Some(Spanned {
                    value: String::new(),
                    origin: v.origin,
                }))
            },
        })
        .collect();
    DockerBuild {
        kind,
        origin: d.origin,
        dockerfile,
        target: d
            .get("target")
            .and_then(Spanned::from_val)
            .filter(|t| !t.value.is_empty()),
        build_args,
        cache_from: d.get("cacheFrom").map(|v| v.origin),
        no_cache: d
            .get("noCache")
            .filter(|v| v.as_bool() == Some(true))
            .map(|v| v.origin),
    }
}

fn sync(s: &Val, builder: &Builder) -> Sync {
    let manual: Vec<SyncRule> = s
        .get("manual")
        .map(Val::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(|r| {
            Some(SyncRule {
                origin: r.origin,
                src: Spanned::from_val(r.get("src")?)?,
                dest: Spanned::from_val(r.get("dest")?)?,
                strip: r
                    .get("strip")
                    .and_then(Spanned::from_val)
                    .filter(|s| !s.value.is_empty()),
            })
        })
        .collect();
    let infer = strings(s.get("infer"));
    let mode = if !manual.is_empty() {
        SyncMode::Manual(manual)
    } else if let Some(auto) = s.get("auto").filter(|v| !v.is_null()) {
        SyncMode::Auto(auto.origin)
    } else if !infer.is_empty() {
        SyncMode::Infer(infer)
    } else {
        match builder {
            Builder::Dockerfile(_) => SyncMode::DefaultInfer,
            Builder::Other(_) => SyncMode::Auto(s.origin),
        }
    };
    let hooks = |phase: HookPhase, key: &str| -> Vec<Hook> {
        s.path(&["hooks", key])
            .map(Val::items)
            .unwrap_or(&[])
            .iter()
            .filter_map(|item| {
                let (in_container, body) = match (item.get("container"), item.get("host")) {
                    (Some(c), _) => (true, c),
                    (None, Some(h)) => (false, h),
                    _ => return None,
                };
                let command = match body.get("command") {
                    Some(cmd) if cmd.as_str().is_some() => {
                        HookCommand::Scalar(Spanned::from_val(cmd).expect("scalar"))
                    }
                    Some(cmd) => HookCommand::Argv {
                        args: cmd.items().iter().filter_map(Spanned::from_val).collect(),
                        origin: cmd.origin,
                    },
                    None => HookCommand::Missing,
                };
                Some(Hook {
                    phase,
                    origin: item.origin,
                    in_container,
                    command,
                })
            })
            .collect()
    };
    Sync {
        origin: s.origin,
        mode,
        before: hooks(HookPhase::Before, "before"),
        after: hooks(HookPhase::After, "after"),
    }
}
