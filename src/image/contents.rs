//! What the filesystem of a well-known base image holds: which directories exist before a
//! Dockerfile runs (and belong to root), and which programs are on its PATH. Used to decide
//! who owns a sync destination (an existing directory keeps its owner) and whether the
//! container's program can be in the image at all. `None` whenever skafix does not know.
//!
//! Sources:
//! - Debian-based images (`debian:*`, `ubuntu:*`, the `*-slim` language images): the Filesystem
//!   Hierarchy Standard 3.0 top-level directories as Debian's `base-files` creates them
//!   (`/srv`, `/opt`, `/mnt`, `/media`, `/home`, `/usr/local/*` empty), and the programs of a
//!   debuerreotype minbase: the `Priority: required` packages of bookworm
//!   ([`DEBIAN_MINBASE_PROGRAMS`]).
//! - `python:*-slim`: docker-library/python `3.12/slim-bookworm/Dockerfile` builds CPython into
//!   `/usr/local` and links `python`, `pip`, `pydoc`, `idle`, `python-config`; pip is the only
//!   package installed, so no other console script is in `/usr/local/bin` (pip installs the
//!   console scripts of later packages into the interpreter's `bin` directory, `sysconfig`'s
//!   `scripts` path: `/usr/local/bin` there).
//! - `alpine:*`: the same FHS directories from `alpine-baselayout`.
//! - `scratch`: only `/`.

use super::ShellKind;

/// Top-level and `/usr` directories every Debian, Ubuntu and Alpine base image has, owned by
/// root (FHS 3.0; Debian `base-files`, Alpine `alpine-baselayout`).
const FHS_DIRS: &[&str] = &[
    "/",
    "/bin",
    "/etc",
    "/home",
    "/lib",
    "/media",
    "/mnt",
    "/opt",
    "/root",
    "/run",
    "/sbin",
    "/srv",
    "/usr",
    "/usr/bin",
    "/usr/lib",
    "/usr/local",
    "/usr/local/bin",
    "/usr/local/lib",
    "/usr/local/sbin",
    "/usr/local/share",
    "/usr/local/src",
    "/usr/sbin",
    "/usr/share",
    "/usr/src",
    "/var",
    "/var/lib",
    "/var/log",
];

/// FHS directories that a base image ships empty: a path right under one of them does not
/// exist before the Dockerfile creates it.
const EMPTY_DIRS: &[&str] = &["/srv", "/opt", "/mnt", "/media", "/usr/local/src"];

/// Which family an image reference belongs to, for its filesystem.
fn family(image_ref: &str) -> Option<Family> {
    let facts = super::lookup(image_ref)?;
    let repo = image_ref
        .split('@')
        .next()?
        .rsplit_once(':')
        .map_or(
            image_ref,
            |(r, t)| if t.contains('/') { image_ref } else { r },
        )
        .to_ascii_lowercase();
    let repo = repo
        .trim_start_matches("docker.io/")
        .trim_start_matches("library/");
    if repo == "scratch" {
        return Some(Family::Scratch);
    }
    if repo.contains('/') {
        // distroless, chainguard, chiseled: their filesystems are not listed here.
        return None;
    }
    match facts.shell {
        Some(ShellKind::Dash) => Some(Family::Debian),
        Some(ShellKind::BusyboxAsh) if repo == "alpine" || repo == "busybox" => {
            Some(Family::Alpine)
        }
        Some(ShellKind::BusyboxAsh) => Some(Family::Alpine),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Scratch,
    Debian,
    Alpine,
}

/// What a base image has at a directory path before any instruction runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseDir {
    /// Not there.
    Absent,
    /// There, owned by root.
    Root,
    /// Perhaps there (system directories the list does not cover); root's if it is.
    MaybeRoot,
    /// Not known (the image is not a well-known one, or the directory may belong to a user:
    /// home directories, `/tmp`, golang's world-writable `/go`).
    Unknown,
}

/// What the base image `image_ref` has at the absolute, cleaned directory `dir`.
pub fn base_dir(image_ref: &str, dir: &str) -> BaseDir {
    let Some(family) = family(image_ref) else {
        return BaseDir::Unknown;
    };
    if family == Family::Scratch {
        return if dir == "/" {
            BaseDir::Root
        } else {
            BaseDir::Absent
        };
    }
    if FHS_DIRS.contains(&dir) {
        return BaseDir::Root;
    }
    if dir.starts_with("/home/") || dir == "/tmp" || dir.starts_with("/tmp/") {
        return BaseDir::Unknown;
    }
    let top = dir.trim_start_matches('/').split('/').next().unwrap_or("");
    if image_ref.contains("golang") && top == "go" {
        return BaseDir::Unknown;
    }
    if !FHS_DIRS.contains(&format!("/{top}").as_str()) {
        // Application directories (/app, /code, /workspace, ...): official images create none.
        return BaseDir::Absent;
    }
    match dir.rsplit_once('/') {
        Some((parent, _)) if EMPTY_DIRS.contains(&parent) => BaseDir::Absent,
        Some((parent, _)) if !parent.is_empty() => match base_dir(image_ref, parent) {
            BaseDir::Absent => BaseDir::Absent,
            BaseDir::Unknown => BaseDir::Unknown,
            BaseDir::Root | BaseDir::MaybeRoot => BaseDir::MaybeRoot,
        },
        _ => BaseDir::MaybeRoot,
    }
}

/// Users of Debian's `base-passwd` (`/etc/passwd` of every Debian and Ubuntu image).
const DEBIAN_USERS: &[&str] = &[
    "root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy",
    "www-data", "backup", "list", "irc", "_apt", "nobody",
];

/// Users of Alpine's `alpine-baselayout` `/etc/passwd`.
const ALPINE_USERS: &[&str] = &[
    "root",
    "bin",
    "daemon",
    "adm",
    "lp",
    "sync",
    "shutdown",
    "halt",
    "mail",
    "news",
    "uucp",
    "operator",
    "man",
    "postmaster",
    "cron",
    "ftp",
    "sshd",
    "at",
    "squid",
    "xfs",
    "games",
    "cyrus",
    "vpopmail",
    "ntp",
    "smmsp",
    "guest",
    "nobody",
];

/// Whether `user` (`name[:group]`, or numeric ids) resolves in the base image before any
/// instruction runs: numeric ids always do; names by the image's `/etc/passwd`, including
/// `node` in the official node images (docker-library/node: `useradd --uid 1000 ... node`).
/// `None` when the image is not known.
pub fn base_has_user(image_ref: &str, user: &str) -> Option<bool> {
    let name = user.split(':').next().unwrap_or(user);
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        return Some(true);
    }
    let family = family(image_ref)?;
    let repo = super::lookup(image_ref).map(|_| image_ref.split(':').next().unwrap_or(""))?;
    let repo = repo
        .trim_start_matches("docker.io/")
        .trim_start_matches("library/");
    if repo == "node" && name == "node" {
        return Some(true);
    }
    Some(match family {
        Family::Scratch => false,
        Family::Debian => DEBIAN_USERS.contains(&name),
        Family::Alpine => ALPINE_USERS.contains(&name),
    })
}

/// The programs found on the default PATH of a minimal Debian bookworm image (`debian:*-slim`,
/// the Debian-based `*-slim` language images): the executables in `/bin`, `/sbin`, `/usr/bin`
/// and `/usr/sbin` of bookworm's Essential and `Priority: required` packages (apt, base-files,
/// base-passwd, bash, bsdutils, coreutils, dash, debconf, debianutils, diffutils, dpkg,
/// e2fsprogs, findutils, grep, gzip, hostname, init-system-helpers, libc-bin, login, mawk,
/// mount, ncurses-bin, passwd, perl-base, sed, sensible-utils, sysvinit-utils, tar, tzdata,
/// util-linux and their required libraries) as `dpkg -L` lists them, plus ca-certificates'
/// `update-ca-certificates` (installed by the slim language images).
pub const DEBIAN_MINBASE_PROGRAMS: &[&str] = &[
    "[",
    "add-shell",
    "addpart",
    "agetty",
    "apt",
    "apt-cache",
    "apt-cdrom",
    "apt-config",
    "apt-
    get",
    "apt-key",
    "apt-mark",
    "arch",
    "b2sum",
    "badblocks",
    "base32",
    "base64",
    "basename",
    "basenc",
    "bash",
    "bashbug",
    "blkdiscard",
    "blkid",
    "blkzone",
    "blockdev",
    "captoinfo",
    "cat",
    "chage",
    "chattr",
    "chcon",
    "chcpu",
    "chfn",
    "chgpasswd",
    "chgrp",
    "chmem",
    "chmod",
    "choom",
    "chown",
    "chpasswd",
    "chroot",
    "chrt",
    "chsh",
    "cksum",
    "clear",
    "clear_console",
    "cmp",
    "comm",
    "cp",
    "cpgr",
    "cppw",
    "csplit",
    "ctrlaltdel",
    "cut",
    "dash",
    "date",
    "dd",
    "deb-systemd-helper",
    "deb-systemd-invoke",
    "debconf",
    "debconf-apt-progress",
    "debconf-
    communicate",
    "debconf-copydb",
    "debconf-escape",
    "debconf-set-selections",
    "debconf-show",
    "debugfs",
    "delpart",
    "df",
    "diff",
    "diff3",
    "dir",
    "dircolors",
    "dirname",
    "dmesg",
    "dnsdomainname",
    "domainname",
    "dpkg",
    "dpkg-deb",
    "dpkg-divert",
    "dpkg-fsys-usrunmess",
    "dpkg-maintscript-helper",
    "dpkg-preconfigure",
    "dpkg-query",
    "dpkg-realpath",
    "dpkg-
    reconfigure",
    "dpkg-split",
    "dpkg-statoverride",
    "dpkg-trigger",
    "du",
    "dumpe2fs",
    "e2freefrag",
    "e2fsck",
    "e2image",
    "e2label",
    "e2mmpstatus",
    "e2scrub",
    "e2scrub_all",
    "e2undo",
    "e4crypt",
    "e4defrag",
    "echo",
    "egrep",
    "env",
    "expand",
    "expiry",
    "expr",
    "factor",
    "faillock",
    "faillog",
    "fallocate",
    "false",
    "fgrep",
    "filefrag",
    "find",
    "findfs",
    "findmnt",
    "flock",
    "fmt",
    "fold",
    "fsck",
    "fsck.cramfs",
    "fsck.ext2",
    "fsck.ext3",
    "fsck.ext4",
    "fsck.minix",
    "fsfreeze",
    "fstab-decode",
    "fstrim",
    "getconf",
    "getent",
    "getopt",
    "getty",
    "gpasswd",
    "grep",
    "groupadd",
    "groupdel",
    "groupmems",
    "groupmod",
    "groups",
    "grpck",
    "grpconv",
    "grpunconv",
    "gunzip",
    "gzexe",
    "gzip",
    "hardlink",
    "head",
    "hostid",
    "hostname",
    "i386",
    "iconv",
    "iconvconfig",
    "id",
    "infocmp",
    "infotocap",
    "install",
    "installkernel",
    "invoke-rc.d",
    "ionice",
    "ipcmk",
    "ipcrm",
    "ipcs",
    "ischroot",
    "isosize",
    "join",
    "killall5",
    "last",
    "lastb",
    "lastlog",
    "ld.so",
    "ldattach",
    "ldconfig",
    "ldd",
    "link",
    "linux32",
    "linux64",
    "ln",
    "locale",
    "localedef",
    "logger",
    "login",
    "logname",
    "losetup",
    "ls",
    "lsattr",
    "lsblk",
    "lscpu",
    "lsipc",
    "lslocks",
    "lslogins",
    "lsmem",
    "lsns",
    "mawk",
    "mcookie",
    "md5sum",
    "md5sum.textutils",
    "mesg",
    "mkdir",
    "mke2fs",
    "mkfifo",
    "mkfs",
    "mkfs.bfs",
    "mkfs.cramfs",
    "mkfs.ext2",
    "mkfs.ext3",
    "mkfs.ext4",
    "mkfs.minix",
    "mkhomedir_helper",
    "mklost+found",
    "mknod",
    "mkswap",
    "mktemp",
    "more",
    "mount",
    "mountpoint",
    "mv",
    "namei",
    "newgrp",
    "newusers",
    "nice",
    "nisdomainname",
    "nl",
    "nohup",
    "nologin",
    "nproc",
    "nsenter",
    "numfmt",
    "od",
    "pam-auth-
    update",
    "pam_getenv",
    "pam_namespace_helper",
    "pam_timestamp_check",
    "partx",
    "passwd",
    "paste",
    "pathchk",
    "perl",
    "perl5.36.0",
    "pidof",
    "pinky",
    "pivot_root",
    "pldd",
    "pr",
    "printenv",
    "printf",
    "prlimit",
    "ptx",
    "pwck",
    "pwconv",
    "pwd",
    "pwhistory_helper",
    "pwunconv",
    "rbash",
    "readlink",
    "readprofile",
    "realpath",
    "remove-shell",
    "rename.ul",
    "renice",
    "reset",
    "resize2fs",
    "resizepart",
    "rev",
    "rgrep",
    "rm",
    "rmdir",
    "rmt-tar",
    "rtcwake",
    "run-parts",
    "runcon",
    "runuser",
    "savelog",
    "script",
    "scriptlive",
    "scriptreplay",
    "sdiff",
    "sed",
    "select-editor",
    "sensible-browser",
    "sensible-editor",
    "sensible-pager",
    "seq",
    "service",
    "setarch",
    "setpriv",
    "setsid",
    "setterm",
    "sg",
    "sh",
    "sha1sum",
    "sha224sum",
    "sha256sum",
    "sha384sum",
    "sha512sum",
    "shadowconfig",
    "shred",
    "shuf",
    "sleep",
    "sort",
    "split",
    "start-stop-daemon",
    "stat",
    "stdbuf",
    "stty",
    "su",
    "sulogin",
    "sum",
    "swaplabel",
    "swapoff",
    "swapon",
    "switch_root",
    "sync",
    "tabs",
    "tac",
    "tail",
    "tar",
    "tarcat",
    "taskset",
    "tee",
    "tempfile",
    "test",
    "tic",
    "timeout",
    "toe",
    "touch",
    "tput",
    "tr",
    "true",
    "truncate",
    "tset",
    "tsort",
    "tty",
    "tune2fs",
    "tzselect",
    "uclampset",
    "umount",
    "uname",
    "uncompress",
    "unexpand",
    "uniq",
    "unix_chkpwd",
    "unix_update",
    "unlink",
    "unshare",
    "update-alternatives",
    "update-ca-certificates",
    "update-passwd",
    "update-rc.d",
    "update-shells",
    "useradd",
    "userdel",
    "usermod",
    "users",
    "utmpdump",
    "vdir",
    "vigr",
    "vipw",
    "wall",
    "wc",
    "wdctl",
    "whereis",
    "which.debianutils",
    "who",
    "whoami",
    "wipefs",
    "x86_64",
    "xargs",
    "yes",
    "ypdomainname",
    "zcat",
    "zcmp",
    "zdiff",
    "zdump",
    "zegrep",
    "zfgrep",
    "zforce",
    "zgrep",
    "zic",
    "zless",
    "zmore",
    "znew",
    "zramctl",
];

/// The programs CPython's official image puts in `/usr/local/bin` for Python `major.minor`
/// (docker-library/python: `make install`, then the `idle`, `pip`, `pydoc`, `python`,
/// `python-config` links; pip installed with `--no-setuptools --no-wheel` since 3.12).
fn python_programs(major: u32, minor: u32) -> Vec<String> {
    let v = format!("{major}.{minor}");
    let mut out: Vec<String> = [
        "idle",
        "pip",
        "pydoc",
        "python",
        "python-config",
        "idle3",
        "pip3",
        "pydoc3",
        "python3",
        "python3-config",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for stem in ["idle", "pip", "pydoc", "python"] {
        out.push(format!("{stem}{v}"));
    }
    out.push(format!("python{v}-config"));
    if (major, minor) < (3, 12) {
        out.extend(["wheel".to_string(), "2to3".to_string(), format!("2to3-{v}")]);
    } else if (major, minor) == (3, 12) {
        out.extend(["2to3".to_string(), format!("2to3-{v}")]);
    }
    out
}

/// Whether the program named `name` (no `/`) is on the base image's default PATH. `None` when
/// the image's programs are not listed here: only `python:X.Y*-slim*` and `debian:*-slim` on
/// bookworm are.
pub fn base_has_program(image_ref: &str, name: &str) -> Option<bool> {
    let facts = super::lookup(image_ref)?;
    let tag = image_ref.rsplit_once(':').map(|(_, t)| t)?;
    let repo = image_ref.rsplit_once(':').map(|(r, _)| r)?;
    let repo = repo
        .trim_start_matches("docker.io/")
        .trim_start_matches("library/");
    // Only bookworm slims (the default slim of the pinned tags) are listed.
    let debian_slim = tag.contains("slim")
        && !["bullseye", "buster", "trixie"]
            .iter()
            .any(|d| tag.contains(d));
    match repo {
        "python" if debian_slim => {
            let (major, minor) = facts.python_version?;
            Some(
                DEBIAN_MINBASE_PROGRAMS.contains(&name)
                    || python_programs(major, minor).iter().any(|p| p == name),
            )
        }
        "debian" if debian_slim => Some(DEBIAN_MINBASE_PROGRAMS.contains(&name)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_of_debian_bases() {
        assert_eq!(base_dir("python:3.12-slim", "/srv"), BaseDir::Root);
        assert_eq!(base_dir("python:3.12-slim", "/app"), BaseDir::Absent);
        assert_eq!(base_dir("python:3.12-slim", "/srv/app"), BaseDir::Absent);
        assert_eq!(
            base_dir("python:3.12-slim", "/srv/app/src"),
            BaseDir::Absent
        );
        assert_eq!(base_dir("python:3.12-slim", "/home/app"), BaseDir::Unknown);
        assert_eq!(base_dir("python:3.12-slim", "/etc/app"), BaseDir::MaybeRoot);
        assert_eq!(base_dir("node:20", "/home/node"), BaseDir::Unknown);
        assert_eq!(base_dir("golang:1.22", "/go/src"), BaseDir::Unknown);
        assert_eq!(base_dir("scratch", "/app"), BaseDir::Absent);
        assert_eq!(base_dir("myorg/base:1", "/app"), BaseDir::Unknown);
        assert_eq!(
            base_dir("gcr.io/distroless/static", "/app"),
            BaseDir::Unknown
        );
    }

    #[test]
    fn users_of_bases() {
        assert_eq!(base_has_user("node:20-slim", "node"), Some(true));
        assert_eq!(base_has_user("python:3.12-slim", "node"), Some(false));
        assert_eq!(base_has_user("python:3.12-slim", "www-data"), Some(true));
        assert_eq!(base_has_user("python:3.12-slim", "1000:1000"), Some(true));
        assert_eq!(base_has_user("myorg/base", "app"), None);
    }

    #[test]
    fn programs_of_python_slim() {
        assert_eq!(base_has_program("python:3.12-slim", "python"), Some(true));
        assert_eq!(
            base_has_program("python:3.12-slim", "python3.12"),
            Some(true)
        );
        assert_eq!(base_has_program("python:3.12-slim", "sh"), Some(true));
        assert_eq!(base_has_program("python:3.12-slim", "uvicorn"), Some(false));
        assert_eq!(
            base_has_program("python:3.12-slim", "gunicorn"),
            Some(false)
        );
        assert_eq!(base_has_program("python:3.12", "uvicorn"), None);
        assert_eq!(base_has_program("python:3.12-slim-trixie", "uvicorn"), None);
        assert_eq!(base_has_program("node:20-slim", "node"), None);
    }
}
