//! What well-known base images contain: tar (Skaffold sync needs it), a shell, process tools
//! (ps, pgrep/pkill, killall) for sync hooks, which shell `/bin/sh` is, the Python version of
//! `python:*` tags, and the default non-root USER. Keyed by image reference patterns; an image
//! not in the table yields `None`, and unknown facts are `None`, so rules stay silent on them.
//!
//! Every entry names its source. Facts marked "research" were checked in the project's research
//! notes (`kube-probe.md` §4.1, §6).

pub mod contents;

/// Which program `/bin/sh` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShellKind {
    /// Debian's and Ubuntu's `/bin/sh`: does not exec the last command of `sh -c`.
    Dash,
    /// busybox ash (Alpine, busybox images): execs the last command of `sh -c`.
    BusyboxAsh,
    Bash,
}

/// What an image is known to contain. `None` means not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageFacts {
    /// `tar` on PATH (Skaffold's sync runs `tar xmf - -C /` through `kubectl exec`).
    pub has_tar: Option<bool>,
    /// An `sh` on PATH (for `sh -c` hooks through `kubectl exec`).
    pub has_shell: Option<bool>,
    /// `/bin/sh` exists (a shell-form CMD/RUN needs it). Distroless `:debug` images have a shell
    /// only under `/busybox`.
    pub has_bin_sh: Option<bool>,
    /// `ps`.
    pub has_ps: Option<bool>,
    /// `pgrep` and `pkill` (procps, or busybox applets on Alpine; Debian's busybox has neither).
    pub has_pkill: Option<bool>,
    /// `killall` (psmisc on Debian, not part of procps; a busybox applet on Alpine).
    pub has_killall: Option<bool>,
    /// What `/bin/sh` is.
    pub shell: Option<ShellKind>,
    /// Python `(major, minor)` for Python images whose tag or name pins it.
    pub python_version: Option<(u32, u32)>,
    /// The default USER when it is not root.
    pub default_user: Option<&'static str>,
    /// Where these facts come from.
    pub source: &'static str,
}

impl ImageFacts {
    /// Whether `tool` (`tar`, `sh`, `ps`, `pgrep`, `pkill`, `killall`) is available; `None` when
    /// not known or for other tools.
    pub fn has_tool(&self, tool: &str) -> Option<bool> {
        match tool {
            "tar" => self.has_tar,
            "sh" => self.has_shell,
            "ps" => self.has_ps,
            "pgrep" | "pkill" => self.has_pkill,
            "killall" => self.has_killall,
            _ => None,
        }
    }

    /// ps, pgrep and pkill all present (what "has procps" usually means for hooks).
    pub fn has_procps(&self) -> Option<bool> {
        match (self.has_ps, self.has_pkill) {
            (Some(true), Some(true)) => Some(true),
            (Some(false), _) | (_, Some(false)) => Some(false),
            _ => None,
        }
    }
}

const NOTHING: ImageFacts = ImageFacts {
    has_tar: Some(false),
    has_shell: Some(false),
    has_bin_sh: Some(false),
    has_ps: Some(false),
    has_pkill: Some(false),
    has_killall: Some(false),
    shell: None,
    python_version: None,
    default_user: None,
    source: "",
};

const BUSYBOX_FULL: ImageFacts = ImageFacts {
    has_tar: Some(true),
    has_shell: Some(true),
    has_bin_sh: Some(true),
    has_ps: Some(true),
    has_pkill: Some(true),
    has_killall: Some(true),
    shell: Some(ShellKind::BusyboxAsh),
    python_version: None,
    default_user: None,
    source: "",
};

/// Debian without procps: `debian:*` images are minbase builds (Essential packages: tar, dash)
/// and the `*-slim` language images install only a few packages on top.
const DEBIAN_NO_PROCPS: ImageFacts = ImageFacts {
    has_tar: Some(true),
    has_shell: Some(true),
    has_bin_sh: Some(true),
    has_ps: Some(false),
    has_pkill: Some(false),
    has_killall: Some(false),
    shell: Some(ShellKind::Dash),
    python_version: None,
    default_user: None,
    source: "",
};

/// Debian images built on `buildpack-deps:*-scm`, which installs procps (not psmisc).
const DEBIAN_PROCPS: ImageFacts = ImageFacts {
    has_ps: Some(true),
    has_pkill: Some(true),
    ..DEBIAN_NO_PROCPS
};

const DISTROLESS_SRC: &str = "https://github.com/GoogleContainerTools/distroless README.md \
     (no shell; :debug adds busybox); static/static.bzl (debug: busybox under /busybox on PATH, \
     nonroot uid 65532 from common/variables.bzl); experimental/busybox/commands.bzl \
     (applets sh, tar, ps, pgrep, pkill, killall)";
const CHAINGUARD_SRC: &str = "https://edu.chainguard.dev/chainguard/containers/about/\
     differences-development-production/ (standard images: no shell or package manager; \
     -dev variants and wolfi-base use busybox)";
const CHISELED_SRC: &str = "https://github.com/dotnet/dotnet-docker/blob/main/documentation/\
     ubuntu-chiseled.md (no shell, no package manager, non-root app user 1654); \
     skaffold issue #1814 (no tar, sync fails)";
const PYTHON_SRC: &str = "docker-library/python@4f07059 3.12/*/Dockerfile: slim FROM \
     debian:bookworm-slim installs ca-certificates netbase tzdata only; full FROM \
     buildpack-deps (debian/*/scm/Dockerfile installs procps); alpine FROM alpine \
     (busybox); research kube-probe.md §4.1 (slim has no procps)";
const NODE_SRC: &str = "nodejs/docker-node@f27d936 22/*/Dockerfile: bookworm FROM \
     buildpack-deps:bookworm (procps), bookworm-slim FROM debian:bookworm-slim (build tools \
     purged), alpine FROM alpine (busybox)";
const GOLANG_SRC: &str = "docker-library/golang Dockerfiles: Debian variants FROM \
     buildpack-deps:*-scm (procps), alpine FROM alpine (busybox)";
const DEBIAN_SRC: &str = "docker-library/official-images debian (debuerreotype minbase: \
     Essential packages incl. tar and dash, no procps)";
const ALPINE_SRC: &str = "https://hub.docker.com/_/alpine (busybox: ash, tar, ps, pgrep, \
     pkill, killall)";
const BUSYBOX_SRC: &str = "https://hub.docker.com/_/busybox";
const SCRATCH_SRC: &str =
    "https://docs.docker.com/build/building/base-images/#create-a-minimal-base-image-using-scratch \
     (empty filesystem)";

/// A parsed image reference: registry-less, `library/`-less repository and tag.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ref {
    repo: String,
    tag: String,
}

/// Splits `[registry/]repo[:tag][@digest]`; Docker Hub prefixes (`docker.io/`, `library/`, its
/// mirrors) are dropped, other registries kept in `repo`.
fn parse_ref(image: &str) -> Option<Ref> {
    let image = image.trim();
    let image = image.split('@').next()?;
    if image.is_empty() || image.contains(char::is_whitespace) {
        return None;
    }
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match image[last_slash..].rfind(':') {
        Some(i) => (&image[..last_slash + i], &image[last_slash + i + 1..]),
        None => (image, "latest"),
    };
    let repo = repo.to_ascii_lowercase();
    // Docker Hub itself and registries that mirror its official images under the same names
    // (mirror.gcr.io is Google's Docker Hub cache; public.ecr.aws/docker/library is the ECR
    // Public copy of the official images).
    let repo = [
        "docker.io/",
        "index.docker.io/",
        "registry-1.docker.io/",
        "mirror.gcr.io/",
        "public.ecr.aws/docker/library/",
    ]
    .iter()
    .find_map(|prefix| repo.strip_prefix(prefix))
    .unwrap_or(&repo)
    .to_string();
    let repo = repo.strip_prefix("library/").unwrap_or(&repo).to_string();
    Some(Ref {
        repo,
        tag: tag.to_string(),
    })
}

/// The Python minor version a `python:*` tag pins: `3.12`, `3.12.4-slim`, `3.11-alpine3.20`.
fn python_tag_version(tag: &str) -> Option<(u32, u32)> {
    let version = tag.split('-').next()?;
    let mut parts = version.split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor_part = parts.next()?;
    let digits: String = minor_part
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        return None;
    }
    Some((major, digits.parse().ok()?))
}

/// Official Debian/Alpine language image variant from its tag.
fn language_image(tag: &str, full: ImageFacts, source: &'static str) -> Option<ImageFacts> {
    if tag.contains("windowsservercore") || tag.contains("nanoserver") {
        return None;
    }
    let facts = if tag.contains("alpine") {
        BUSYBOX_FULL
    } else if tag.contains("slim") {
        DEBIAN_NO_PROCPS
    } else {
        full
    };
    Some(ImageFacts { source, ..facts })
}

fn distroless(r: &Ref) -> Option<ImageFacts> {
    let name = r.repo.strip_prefix("gcr.io/distroless/")?;
    let nonroot = r.tag.contains("nonroot");
    let mut facts = if r.tag.starts_with("debug") {
        ImageFacts {
            has_bin_sh: Some(false),
            shell: None,
            ..BUSYBOX_FULL
        }
    } else {
        NOTHING
    };
    facts.default_user = nonroot.then_some("65532");
    facts.python_version = match name {
        "python3-debian11" => Some((3, 9)),
        "python3-debian12" => Some((3, 11)),
        "python3-debian13" => Some((3, 13)),
        _ => None,
    };
    facts.source = DISTROLESS_SRC;
    Some(facts)
}

fn chainguard(r: &Ref) -> Option<ImageFacts> {
    let name = r.repo.strip_prefix("cgr.dev/chainguard/")?;
    let dev = r.tag.ends_with("-dev") || r.tag == "dev";
    let facts = if dev || matches!(name, "wolfi-base" | "chainguard-base" | "busybox") {
        ImageFacts {
            has_tar: None,
            has_shell: Some(true),
            has_bin_sh: Some(true),
            has_ps: None,
            has_pkill: None,
            has_killall: None,
            shell: Some(ShellKind::BusyboxAsh),
            python_version: None,
            default_user: None,
            source: CHAINGUARD_SRC,
        }
    } else if name == "static" {
        // `images/static/configs/latest.apko.yaml` in chainguard-images/images installs only
        // baselayout data, release files, CA certificates and tzdata.
        ImageFacts {
            source: CHAINGUARD_SRC,
            ..NOTHING
        }
    } else {
        ImageFacts {
            has_tar: None,
            has_shell: Some(false),
            has_bin_sh: Some(false),
            has_ps: None,
            has_pkill: None,
            has_killall: None,
            shell: None,
            python_version: None,
            default_user: None,
            source: CHAINGUARD_SRC,
        }
    };
    Some(facts)
}

fn chiseled(r: &Ref) -> Option<ImageFacts> {
    let marked = |s: &str| s.contains("chiseled") || s.contains("chiselled");
    if !(marked(&r.repo) || marked(&r.tag)) {
        return None;
    }
    let dotnet = r.repo.starts_with("mcr.microsoft.com/dotnet/");
    Some(ImageFacts {
        default_user: dotnet.then_some("1654"),
        source: CHISELED_SRC,
        ..NOTHING
    })
}

/// Facts for `image_ref` (`python:3.12-slim`, `docker.io/library/node:20`,
/// `gcr.io/distroless/static-debian12:nonroot`, `name@sha256:...`); `None` when the image is not
/// in the table or the reference is malformed.
///
/// The table, first match wins:
/// - `scratch`: nothing at all.
/// - `gcr.io/distroless/*`: no shell, tar or process tools; `:debug*` tags have busybox under
///   `/busybox` (on PATH, no `/bin/sh`); `*nonroot*` tags run as 65532; `python3-debian11|12|13`
///   carry Python 3.9 / 3.11 / 3.13.
/// - `cgr.dev/chainguard/*`: no shell unless a `-dev` tag, `wolfi-base`, `chainguard-base` or
///   `busybox` (busybox ash); tar and process tools not documented (`None`).
/// - any repository or tag containing `chiseled`/`chiselled` (Ubuntu chiseled, .NET
///   `*-chiseled`): nothing; .NET ones run as 1654.
/// - `python`, `node`, `golang`: `*alpine*` busybox; `*slim*` Debian without procps; other
///   Debian tags built on buildpack-deps with procps (but no killall). Windows tags: `None`.
/// - `alpine`, `busybox`: busybox with ash, tar, ps, pgrep, pkill, killall.
/// - `debian`: dash and tar, no procps (slim or not).
/// - `ubuntu`: dash and tar; process tools not checked (`None`).
pub fn lookup(image_ref: &str) -> Option<ImageFacts> {
    let r = parse_ref(image_ref)?;
    if r.repo == "scratch" {
        return Some(ImageFacts {
            source: SCRATCH_SRC,
            ..NOTHING
        });
    }
    if let Some(f) = distroless(&r)
        .or_else(|| chainguard(&r))
        .or_else(|| chiseled(&r))
    {
        return Some(f);
    }
    match r.repo.as_str() {
        "python" => language_image(&r.tag, DEBIAN_PROCPS, PYTHON_SRC).map(|f| ImageFacts {
            python_version: python_tag_version(&r.tag),
            ..f
        }),
        "node" => language_image(&r.tag, DEBIAN_PROCPS, NODE_SRC),
        "golang" => language_image(&r.tag, DEBIAN_PROCPS, GOLANG_SRC),
        "alpine" => Some(ImageFacts {
            source: ALPINE_SRC,
            ..BUSYBOX_FULL
        }),
        "busybox" => Some(ImageFacts {
            source: BUSYBOX_SRC,
            ..BUSYBOX_FULL
        }),
        "debian" => Some(ImageFacts {
            source: DEBIAN_SRC,
            ..DEBIAN_NO_PROCPS
        }),
        "ubuntu" => Some(ImageFacts {
            has_ps: None,
            has_pkill: None,
            has_killall: None,
            source: "https://hub.docker.com/_/ubuntu (dash as /bin/sh, tar is Essential)",
            ..DEBIAN_NO_PROCPS
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references() {
        let r = |s: &str| parse_ref(s).map(|r| (r.repo, r.tag));
        assert_eq!(
            r("python:3.12-slim"),
            Some(("python".into(), "3.12-slim".into()))
        );
        assert_eq!(
            r("docker.io/library/node"),
            Some(("node".into(), "latest".into()))
        );
        assert_eq!(
            r("localhost:5000/app:dev@sha256:abc"),
            Some(("localhost:5000/app".into(), "dev".into()))
        );
        assert_eq!(
            r("localhost:5000/app"),
            Some(("localhost:5000/app".into(), "latest".into()))
        );
        assert_eq!(
            r("mirror.gcr.io/library/python:3.9-alpine"),
            Some(("python".into(), "3.9-alpine".into()))
        );
        assert_eq!(
            r("public.ecr.aws/docker/library/node:20"),
            Some(("node".into(), "20".into()))
        );
        assert_eq!(r("Python:3.12"), Some(("python".into(), "3.12".into())));
        assert_eq!(r(""), None);
        assert_eq!(r("a b"), None);
    }

    #[test]
    fn python_slim_lacks_procps_but_has_tar() {
        let f = lookup("python:3.12-slim").unwrap();
        assert_eq!(f.has_tar, Some(true));
        assert_eq!(f.has_procps(), Some(false));
        assert_eq!(f.has_tool("pkill"), Some(false));
        assert_eq!(f.shell, Some(ShellKind::Dash));
        assert_eq!(f.python_version, Some((3, 12)));
        assert_eq!(f.source, PYTHON_SRC);
    }

    #[test]
    fn python_full_has_procps_not_killall() {
        let f = lookup("docker.io/library/python:3.11.9-bookworm").unwrap();
        assert_eq!(f.has_procps(), Some(true));
        assert_eq!(f.has_tool("killall"), Some(false));
        assert_eq!(f.python_version, Some((3, 11)));
        assert_eq!(lookup("python:3").unwrap().python_version, None);
        assert_eq!(lookup("python").unwrap().python_version, None);
        assert_eq!(lookup("python:slim").unwrap().has_ps, Some(false));
    }

    #[test]
    fn python_alpine_has_busybox_tools() {
        let f = lookup("python:3.13-alpine3.20").unwrap();
        assert_eq!(f.shell, Some(ShellKind::BusyboxAsh));
        assert_eq!(f.has_procps(), Some(true));
        assert_eq!(f.has_tool("killall"), Some(true));
        assert_eq!(f.python_version, Some((3, 13)));
        assert_eq!(lookup("python:3.12-windowsservercore-ltsc2022"), None);
    }

    #[test]
    fn node_and_golang() {
        assert_eq!(lookup("node:20-slim").unwrap().has_procps(), Some(false));
        assert_eq!(lookup("node:20-bookworm").unwrap().has_procps(), Some(true));
        assert_eq!(
            lookup("node:20-alpine").unwrap().shell,
            Some(ShellKind::BusyboxAsh)
        );
        assert_eq!(lookup("golang:1.22").unwrap().has_ps, Some(true));
        assert_eq!(lookup("golang:1.22-alpine").unwrap().has_tar, Some(true));
        assert_eq!(lookup("node:20").unwrap().python_version, None);
    }

    #[test]
    fn distroless_variants() {
        let f = lookup("gcr.io/distroless/static-debian12").unwrap();
        assert_eq!(
            (f.has_tar, f.has_shell, f.has_ps),
            (Some(false), Some(false), Some(false))
        );
        assert_eq!(f.default_user, None);
        let f = lookup("gcr.io/distroless/static-debian12:nonroot").unwrap();
        assert_eq!(f.default_user, Some("65532"));
        let f = lookup("gcr.io/distroless/java:debug").unwrap();
        assert_eq!(
            (f.has_tar, f.has_shell, f.has_bin_sh),
            (Some(true), Some(true), Some(false))
        );
        assert_eq!(f.has_tool("pkill"), Some(true));
        let f = lookup("gcr.io/distroless/python3-debian12:debug-nonroot").unwrap();
        assert_eq!(f.python_version, Some((3, 11)));
        assert_eq!(f.default_user, Some("65532"));
        assert_eq!(f.has_shell, Some(true));
    }

    #[test]
    fn chainguard_and_chiseled() {
        let f = lookup("cgr.dev/chainguard/python:latest").unwrap();
        assert_eq!((f.has_shell, f.has_tar), (Some(false), None));
        let f = lookup("cgr.dev/chainguard/static:latest").unwrap();
        assert_eq!((f.has_shell, f.has_tar), (Some(false), Some(false)));
        let f = lookup("cgr.dev/chainguard/python:latest-dev").unwrap();
        assert_eq!(
            (f.has_shell, f.shell),
            (Some(true), Some(ShellKind::BusyboxAsh))
        );
        let f = lookup("mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled").unwrap();
        assert_eq!(
            (f.has_tar, f.has_shell, f.default_user),
            (Some(false), Some(false), Some("1654"))
        );
        let f = lookup("ubuntu/python:3.12-24.04_chiselled").unwrap();
        assert_eq!((f.has_tar, f.default_user), (Some(false), None));
    }

    #[test]
    fn plain_bases() {
        let f = lookup("scratch").unwrap();
        assert_eq!(
            (f.has_tar, f.has_shell, f.shell),
            (Some(false), Some(false), None)
        );
        assert_eq!(lookup("alpine:3.20").unwrap().has_tool("pgrep"), Some(true));
        assert_eq!(lookup("busybox").unwrap().has_tar, Some(true));
        let f = lookup("debian:bookworm").unwrap();
        assert_eq!(
            (f.has_tar, f.has_ps, f.shell),
            (Some(true), Some(false), Some(ShellKind::Dash))
        );
        let f = lookup("ubuntu:24.04").unwrap();
        assert_eq!(
            (f.has_tar, f.has_ps, f.shell),
            (Some(true), None, Some(ShellKind::Dash))
        );
        assert_eq!(lookup("myorg/app:1.0"), None);
        assert_eq!(lookup("gcr.io/myproj/python:3.12"), None);
    }
}
