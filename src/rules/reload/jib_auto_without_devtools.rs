//! RELOAD005 jib-auto-without-devtools: `sync: {auto: true}` on a Jib artifact of a Spring Boot
//! project whose build files never mention spring-boot-devtools. Jib's auto sync copies the
//! compiled classes and resources into the running container, but a plain Spring Boot JVM never
//! loads changed classes again: only devtools restarts the application on such a change.

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::{Builder, SyncMode};

pub static RULE: Rule = Rule {
    code: "RELOAD005",
    name: "jib-auto-without-devtools",
    severity: Severity::Warning,
    fix: FixAvailability::None,
    summary: "Jib `sync: auto` on a Spring Boot project without spring-boot-devtools: synced classes are never reloaded.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/RELOAD005.md"),
};

/// Build files that declare a Maven or Gradle project's dependencies.
const BUILD_FILES: &[&str] = &["pom.xml", "build.gradle", "build.gradle.kts"];

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Builder::Other(builder) = &artifact.builder else {
            continue;
        };
        if builder.value != "jib" {
            continue;
        }
        let Some(sync) = &artifact.sync else { continue };
        let SyncMode::Auto(origin) = sync.mode else {
            continue;
        };
        // Every build file of the context: a multi-module project may declare devtools in a
        // module's own file.
        let Some(files) = view.context_files() else {
            continue;
        };
        let texts: Vec<(String, String)> = files
            .iter()
            .filter(|f| {
                BUILD_FILES.contains(&f.rsplit('/').next().unwrap_or(f))
                    && !f
                        .split('/')
                        .any(|c| c == "target" || c == "build" || c == "node_modules")
            })
            .filter_map(|f| {
                std::fs::read_to_string(view.context_dir.join(f))
                    .ok()
                    .map(|t| (f.clone(), t))
            })
            .collect();
        if texts.is_empty() {
            continue;
        }
        let spring_boot = texts.iter().any(|(_, t)| {
            t.contains("org.springframework.boot") || t.contains("spring-boot-starter")
        });
        let devtools = texts
            .iter()
            .any(|(_, t)| t.contains("spring-boot-devtools"));
        if !spring_boot || devtools {
            continue;
        }
        let listed = texts
            .iter()
            .map(|(f, _)| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            pipeline
                .at_key(&RULE, origin, format!(
                    "Jib's auto sync copies changed classes and resources of `{}` into the running container, but this Spring Boot project has no spring-boot-devtools (not in {listed}): the running JVM never loads the synced classes, so code changes do not take effect until the next rebuild",
                    artifact.image.value
                ))
                .with_artifact(&artifact.image.value)
                .with_help("add `org.springframework.boot:spring-boot-devtools` to the dependencies used for `skaffold dev` (for example in a `sync` Maven/Gradle profile passed with `jib.args: [-Psync]`)"),
        );
    }
}
