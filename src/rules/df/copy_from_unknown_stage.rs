//! DF001 copy-from-unknown-stage: a `COPY --from` that names no usable stage in a way that is
//! provably wrong: an index past the last stage, the COPY's own stage (a cycle), or a plain
//! name that is one or two typos away from a stage name. buildkit reads any other unknown
//! name as an image to pull, so those are left alone.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};

pub static RULE: Rule = Rule {
    code: "DF001",
    name: "copy-from-unknown-stage",
    severity: Severity::Error,
    fix: FixAvailability::None,
    summary:
        "`COPY --from` names a stage index out of range, its own stage, or a misspelt stage name.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/DF001.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        let df = built.dockerfile;
        for ins in &df.instructions {
            let (Some(flag), Some(own)) = (ins.flag("from"), ins.stage) else {
                continue;
            };
            if ins.copy_args().is_none() {
                continue;
            }
            let (Some(value), Some(span)) = (&flag.value, flag.value_span) else {
                continue;
            };
            // buildkit does not expand variables in `--from` (it rejects them): read it as written.
            if value.contains('$') {
                continue;
            }
            let name = value.as_str();
            let message = if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
                match name.parse::<usize>() {
                    Ok(i) if i < df.stages.len() && i != own => continue,
                    Ok(i) if i == own => format!(
                        "`--from={name}` is the COPY's own stage; buildkit fails with \"circular dependency detected on stage\""
                    ),
                    _ => format!(
                        "`--from={name}` is past the last stage (the Dockerfile has {} stages, numbered from 0); buildkit fails with \"invalid stage index {name}\"",
                        df.stages.len()
                    ),
                }
            } else if let Some(stage) = df.stage_by_name_or_index(name) {
                if stage.index != own {
                    continue;
                }
                format!("`--from={name}` is the COPY's own stage; buildkit fails with \"circular dependency detected on stage\"")
            } else {
                // Anything that looks like an image reference is pulled as one.
                if name.contains(['/', ':', '.', '@'])
                    || crate::image::lookup(name).is_some()
                    || OFFICIAL_IMAGES.contains(&name.to_lowercase().as_str())
                {
                    continue;
                }
                let lower = name.to_lowercase();
                let Some(close) = df
                    .stages
                    .iter()
                    .filter_map(|s| s.name.as_ref())
                    .find(|n| lower.len() >= 4 && distance(&lower, &n.value) <= 2)
                else {
                    continue;
                };
                format!(
                    "`--from={name}` names no stage, so buildkit pulls it as image `docker.io/library/{lower}`; did you mean stage `{}`?",
                    close.value
                )
            };
            out.push(
                RULE.diagnostic(pipeline.path(built.dockerfile_file), span, message)
                    .with_artifact(&artifact.image.value)
                    .with_help("name an earlier stage (`FROM ... AS <name>`) or its index"),
            );
        }
    }
}

/// Docker Hub official images often used as `COPY --from` sources (`COPY --from=composer
/// /usr/bin/composer ...`); a stage name close to one of them is not a typo.
const OFFICIAL_IMAGES: &[&str] = &[
    "nginx",
    "composer",
    "redis",
    "postgres",
    "mysql",
    "mariadb",
    "mongo",
    "node",
    "python",
    "golang",
    "alpine",
    "busybox",
    "debian",
    "ubuntu",
    "rust",
    "ruby",
    "php",
    "openjdk",
    "maven",
    "gradle",
    "tomcat",
    "httpd",
    "caddy",
    "traefik",
    "docker",
    "registry",
    "bash",
    "gcc",
    "eclipse-temurin",
    "amazoncorretto",
    "elixir",
    "erlang",
    "perl",
    "swift",
    "haproxy",
    "memcached",
    "rabbitmq",
    "centos",
    "fedora",
    "rockylinux",
    "almalinux",
    "amazonlinux",
    "consul",
    "vault",
    "envoy",
    "kong",
    "influxdb",
    "telegraf",
    "jenkins",
    "sonarqube",
    "dart",
    "julia",
    "haskell",
    "clojure",
    "groovy",
];

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for j in 0..b.len() {
            let current = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != b[j]))
                .min(row[j] + 1)
                .min(current + 1);
            prev = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn distance_counts_edits() {
        assert_eq!(super::distance("buidler", "builder"), 2);
        assert_eq!(super::distance("builder", "builder"), 0);
        assert_eq!(super::distance("build", "builder"), 2);
        assert_eq!(super::distance("node", "deps"), 4);
    }
}
