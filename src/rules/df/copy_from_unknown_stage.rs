//! DF001 copy-from-unknown-stage: a `COPY --from` that names no usable stage in a way that is
//! provably wrong: an index past the last stage, the COPY's own stage (a cycle), a plain name
//! that is one or two typos away from a stage name, a name that is no valid image reference,
//! or a plain name that is neither an official image nor an image the project builds. buildkit
//! reads any other unknown name as an image to pull, so those are left alone.

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
        "`COPY --from` names a stage index out of range, its own stage, a misspelt stage name, or no stage and no plausible image.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/DF001.md"),
};

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        let df = built.dockerfile;
        let reachable = stages_reachable(df, built.stage.index);
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
                let lower = name.to_lowercase();
                let plain = !name.contains(['/', ':', '.', '@']);
                let close = df
                    .stages
                    .iter()
                    .filter_map(|s| s.name.as_ref())
                    .find(|n| lower.len() >= 4 && distance(&lower, &n.value) <= 2);
                let known_image = crate::image::lookup(name).is_some()
                    || OFFICIAL_IMAGES.contains(&lower.as_str())
                    || built_by_project(pipeline, name);
                if !is_image_reference(name) {
                    // buildkit parses an unknown name with ParseNormalizedNamed before pulling.
                    format!(
                        "`--from={name}` names no stage and is not a valid image reference either; buildkit fails with `failed to parse stage name \"{name}\": invalid reference format`{}",
                        close.map(|c| format!("; did you mean stage `{}`?", c.value)).unwrap_or_default()
                    )
                } else if !plain || known_image {
                    // Anything that looks like an image reference is pulled as one.
                    continue;
                } else if !reachable.get(own).copied().unwrap_or(true) {
                    // buildkit parses every stage, but pulls and builds only the stages the
                    // target needs: a stage the build never reaches pulls nothing.
                    continue;
                } else if let Some(close) = close {
                    format!(
                        "`--from={name}` names no stage, so buildkit pulls it as image `docker.io/library/{lower}`; did you mean stage `{}`?",
                        close.value
                    )
                } else {
                    format!(
                        "`--from={name}` names no stage, so buildkit pulls it as image `docker.io/library/{lower}`, which is not a Docker official image: the build fails (\"pull access denied\") unless a local image of that name exists"
                    )
                }
            };
            out.push(
                RULE.diagnostic(pipeline.path(built.dockerfile_file), span, message)
                    .with_artifact(&artifact.image.value)
                    .with_help("name an earlier stage (`FROM ... AS <name>`) or its index"),
            );
        }
    }
}

/// Which stages a build of `target` runs: the target, the stages it is built on, and those it
/// copies or mounts from, transitively. buildkit resolves and builds only these (`isReachable`
/// in `dockerfile2llb/convert.go`); the other stages are parsed but never pulled or run.
fn stages_reachable(df: &crate::dockerfile::Dockerfile, target: usize) -> Vec<bool> {
    let mut reachable = vec![false; df.stages.len()];
    let mut todo = vec![target];
    while let Some(index) = todo.pop() {
        let Some(stage) = df.stages.get(index) else {
            continue;
        };
        if std::mem::replace(&mut reachable[index], true) {
            continue;
        }
        todo.extend(stage.base_stage);
        for ins in df
            .instructions
            .get(stage.instructions.clone())
            .unwrap_or_default()
        {
            for flag in &ins.flags {
                let Some(value) = flag.value.as_deref() else {
                    continue;
                };
                let from = match flag.name.as_str() {
                    "from" => Some(value),
                    "mount" => value
                        .split(',')
                        .find_map(|kv| kv.trim().strip_prefix("from=")),
                    _ => None,
                };
                if let Some(dep) = from.and_then(|f| df.stage_by_name_or_index(f)) {
                    todo.push(dep.index);
                }
            }
        }
    }
    reachable
}

/// Whether `name` parses as an image reference (`distribution/reference` grammar, as buildkit's
/// `reference.ParseNormalizedNamed`): an optional domain, lowercase path components joined by
/// `.`, `_`, `__` or dashes, an optional `:tag` and `@algorithm:hex` digest.
fn is_image_reference(name: &str) -> bool {
    static COMPONENT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$").expect("valid regex")
    });
    static TAG: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$").expect("valid regex")
    });
    static DOMAIN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$")
            .expect("valid regex")
    });
    let (rest, digest) = match name.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (name, None),
    };
    if digest.is_some_and(|d| {
        d.split_once(':').is_none_or(|(alg, hex)| {
            alg.is_empty() || hex.len() < 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit())
        })
    }) {
        return false;
    }
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match rest[last_slash..].find(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if tag.is_some_and(|t| !TAG.is_match(t)) {
        return false;
    }
    let mut components: Vec<&str> = path.split('/').collect();
    if components.len() > 1 {
        let first = components[0];
        if first.contains(['.', ':'])
            || first == "localhost"
            || first.chars().any(|c| c.is_ascii_uppercase())
        {
            if !DOMAIN.is_match(first) {
                return false;
            }
            components.remove(0);
        }
    }
    !components.is_empty() && components.iter().all(|c| COMPONENT.is_match(c))
}

/// Whether `name` is the image (or the last part of the image) of an artifact this pipeline
/// builds: with the local Docker daemon, buildkit finds such an image without pulling it.
fn built_by_project(pipeline: &Pipeline, name: &str) -> bool {
    pipeline.model.artifacts.iter().any(|a| {
        let image = a.image.value.as_str();
        let repo = image.split(['@']).next().unwrap_or(image);
        let repo = match repo.rfind(':') {
            Some(i) if !repo[i..].contains('/') => &repo[..i],
            _ => repo,
        };
        repo.eq_ignore_ascii_case(name)
            || repo
                .rsplit('/')
                .next()
                .is_some_and(|last| last.eq_ignore_ascii_case(name))
    })
}

/// Docker Hub official images (the `library/` namespace, docker-library/official-images), the
/// names a plain `--from` can pull (`COPY --from=composer /usr/bin/composer ...`); a stage name
/// close to one of them is not a typo. `scratch` is buildkit's empty image.
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
    "adminer",
    "aerospike",
    "alt",
    "api-firewall",
    "arangodb",
    "archlinux",
    "azul-zulu",
    "backdrop",
    "bonita",
    "buildpack-deps",
    "cassandra",
    "chronograf",
    "cirros",
    "clearlinux",
    "clefos",
    "clickhouse",
    "convertigo",
    "couchbase",
    "couchdb",
    "crate",
    "drupal",
    "eclipse-mosquitto",
    "eggdrop",
    "elasticsearch",
    "emqx",
    "flink",
    "fluentd",
    "friendica",
    "gazebo",
    "geonetwork",
    "ghost",
    "hello-world",
    "hitch",
    "hylang",
    "ibm-semeru-runtimes",
    "ibmjava",
    "irssi",
    "jetty",
    "joomla",
    "jruby",
    "kapacitor",
    "kibana",
    "krakend",
    "liquibase",
    "logstash",
    "mageia",
    "matomo",
    "mediawiki",
    "mongo-express",
    "monica",
    "mono",
    "nats",
    "neo4j",
    "neurodebian",
    "nextcloud",
    "notary",
    "odoo",
    "open-liberty",
    "oraclelinux",
    "orientdb",
    "percona",
    "photon",
    "phpmyadmin",
    "plone",
    "postfixadmin",
    "pypy",
    "r-base",
    "rakudo-star",
    "redmine",
    "rethinkdb",
    "rocket.chat",
    "sapmachine",
    "satosa",
    "silverpeas",
    "solr",
    "spiped",
    "storm",
    "swipl",
    "teamspeak",
    "tomee",
    "unit",
    "varnish",
    "websphere-liberty",
    "wordpress",
    "xwiki",
    "yourls",
    "znc",
    "zookeeper",
    "scratch",
    "hashicorp",
    "ros",
    "sl",
    "swarm",
    "nats-streaming",
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
    fn image_references_follow_the_distribution_grammar() {
        use super::is_image_reference as ok;
        assert!(ok("composer"));
        assert!(ok("composer:2"));
        assert!(ok("ghcr.io/Owner-Org/x".to_lowercase().as_str()));
        assert!(ok("localhost:5000/app:dev"));
        assert!(ok("my_org/build__tools-x:1.0"));
        assert!(ok(&format!("alpine@sha256:{}", "a".repeat(64))));
        assert!(!ok("Builder"));
        assert!(!ok("build stage"));
        assert!(!ok("-build"));
        assert!(!ok("build_"));
        assert!(!ok("app:"));
        assert!(!ok("registry.example.com/App"));
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(super::distance("buidler", "builder"), 2);
        assert_eq!(super::distance("builder", "builder"), 0);
        assert_eq!(super::distance("build", "builder"), 2);
        assert_eq!(super::distance("node", "deps"), 4);
    }
}
