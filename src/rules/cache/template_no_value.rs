//! CACHE001 template-no-value: a templated build arg that references a variable Skaffold does
//! not provide, such as `{{.TIMESTAMP}}`, which renders the constant `<no value>`.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::skaffold::model::Builder;
use crate::skaffold::template;
use crate::source::Span;

pub static RULE: Rule = Rule {
    code: "CACHE001",
    name: "template-no-value",
    severity: Severity::Warning,
    fix: FixAvailability::Sometimes(Applicability::Safe),
    summary: "A build arg template references a variable Skaffold does not provide; it renders `<no value>`.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/CACHE001.md"),
};

/// Names the folklore expects Skaffold to provide at build time, and the working template that
/// gives what was meant (sprig's `now`/`uuidv4`, `pkg/skaffold/util/env_template.go`).
const MISTAKEN_VARIABLES: &[(&str, Option<&str>)] = &[
    ("TIMESTAMP", Some("{{ now | unixEpoch }}")),
    ("DATETIME", Some("{{ now | unixEpoch }}")),
    ("DATE", Some("{{ now | unixEpoch }}")),
    ("TIME", Some("{{ now | unixEpoch }}")),
    ("NOW", Some("{{ now | unixEpoch }}")),
    ("EPOCH", Some("{{ now | unixEpoch }}")),
    ("BUILD_TIMESTAMP", Some("{{ now | unixEpoch }}")),
    ("UUID", Some("{{ uuidv4 }}")),
    ("RANDOM", Some("{{ uuidv4 }}")),
    ("DIGEST", None),
    ("IMAGE_DIGEST", None),
];

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for artifact in &pipeline.model.artifacts {
        let Builder::Dockerfile(docker) = &artifact.builder else {
            continue;
        };
        for arg in &docker.build_args {
            let Some(value) = &arg.value else { continue };
            let source = pipeline.source(value.origin.file);
            let raw = source.slice(value.origin.span);
            for field in template::field_refs(&value.value) {
                let Some((_, replacement)) = MISTAKEN_VARIABLES
                    .iter()
                    .find(|(name, _)| *name == field.name)
                else {
                    continue;
                };
                let action_text = &value.value[field.action.clone()];
                // Point at the action as written; quoted scalars keep it verbatim in the source.
                let span = match (raw.matches(action_text).count(), raw.find(action_text)) {
                    (1, Some(at)) => {
                        let start = value.origin.span.start + at;
                        Span::new(start, start + action_text.len())
                    }
                    _ => value.origin.span,
                };
                let mut d = pipeline
                    .at(&RULE, crate::skaffold::tree::Origin { span, ..value.origin }, format!(
                        "`{action_text}` in build arg `{}` renders `<no value>`: Skaffold provides no `{}` template variable, so the arg is a constant and busts no cache",
                        arg.name, field.name
                    ))
                    .with_artifact(&artifact.image.value);
                d.help = Some(match replacement {
                    Some(r) => format!("use `{r}`, which changes on every build"),
                    None => "Skaffold has no image digest at build time; remove the arg or use `{{ now | unixEpoch }}`".to_string(),
                });
                if let (Some(r), true) = (replacement, span != value.origin.span) {
                    d = d.with_fix(Fix {
                        applicability: Applicability::Safe,
                        message: format!("replace `{action_text}` with `{r}`"),
                        edits: vec![Edit {
                            path: source.path.clone(),
                            start: span.start,
                            end: span.end,
                            content: r.to_string(),
                        }],
                    });
                }
                out.push(d);
            }
        }
    }
}
