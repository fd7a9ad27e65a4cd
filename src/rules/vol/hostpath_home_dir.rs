//! VOL002 hostpath-home-dir: a hostPath volume pointing into one developer's home directory
//! (`/home/<user>/...`, `/Users/<user>/...`): it only exists on that machine's cluster node.

use super::host_paths;
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "VOL002",
    name: "hostpath-home-dir",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "A hostPath volume points into one developer's home directory.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/VOL002.md"),
};

/// The user directory of a path under `/home/<user>` or `/Users/<user>`.
pub(crate) fn home_dir(path: &str) -> Option<String> {
    let mut parts = path.trim_start_matches('/').split('/');
    let root = parts.next()?;
    if root != "home" && root != "Users" {
        return None;
    }
    let user = parts
        .next()
        .filter(|u| !u.is_empty() && !u.contains(['$', '{']))?;
    Some(format!("/{root}/{user}"))
}

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (file, volume, path) in host_paths(pipeline) {
        let Some(home) = home_dir(&path.value) else {
            continue;
        };
        out.push(
            pipeline
                .at(&RULE, crate::skaffold::tree::Origin { file, span: path.span, key_span: None }, format!(
                    "hostPath volume `{}` mounts `{}`, inside the home directory `{home}` of one machine: on any other developer's cluster the directory does not exist or holds something else",
                    volume.name, path.value
                ))
                .with_help("sync the files into the container instead (Skaffold `sync`), or mount a path every developer's cluster node has"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::home_dir;

    #[test]
    fn home_directories() {
        assert_eq!(
            home_dir("/home/alice/src/app").as_deref(),
            Some("/home/alice")
        );
        assert_eq!(home_dir("/Users/bob/code").as_deref(), Some("/Users/bob"));
        assert_eq!(home_dir("/home"), None);
        assert_eq!(home_dir("/var/home/x"), None);
        assert_eq!(home_dir("/home/$USER/x"), None);
    }
}
