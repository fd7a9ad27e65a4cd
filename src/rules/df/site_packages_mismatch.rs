//! DF002 site-packages-version-mismatch: `COPY --from` of Python packages into a
//! `pythonX.Y/site-packages` directory of a stage whose Python is another version. Python
//! only searches its own version's site-packages, so the packages are not importable.

use super::external_base;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::project::runtime::BuiltImage;
use crate::project::Pipeline;
use crate::rules::{Check, FixAvailability, Rule};
use crate::source::Span;

pub static RULE: Rule = Rule {
    code: "DF002",
    name: "site-packages-version-mismatch",
    severity: Severity::Error,
    fix: FixAvailability::Sometimes(Applicability::Unsafe),
    summary:
        "Python packages copied into another Python version's site-packages than the stage runs.",
    check: Check::Pipeline(check),
    doc: include_str!("../../../rules/DF002.md"),
};

/// `(major, minor, byte range of "pythonX.Y")` of the first `pythonX.Y/site-packages` or
/// `pythonX.Y/dist-packages` in a path.
fn packages_dir(path: &str) -> Option<(u32, u32, std::ops::Range<usize>)> {
    // Compiled once: compiling per COPY cost more than the rest of the rule.
    static PACKAGES_DIR: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| {
            regex::Regex::new(r"python(\d+)\.(\d+)/(?:site|dist)-packages(?:/|$)").ok()
        });
    let c = PACKAGES_DIR.as_ref()?.captures(path)?;
    let whole = c.get(0)?;
    let minor = c.get(2)?;
    Some((
        c[1].parse().ok()?,
        c[2].parse().ok()?,
        whole.start()..minor.end(),
    ))
}

fn check(pipeline: &Pipeline, out: &mut Vec<Diagnostic>) {
    for (artifact, view) in pipeline.artifacts() {
        let Some(built) = BuiltImage::of(artifact, view) else {
            continue;
        };
        let df = built.dockerfile;
        for ins in &df.instructions {
            let (Some(from), Some(stage), Some(args)) =
                (ins.flag("from"), ins.stage, ins.copy_args())
            else {
                continue;
            };
            if !args
                .sources
                .iter()
                .any(|s| packages_dir(&s.value).is_some())
            {
                continue;
            }
            let dest = &args.dest;
            // The dest as written must be literal so the fix can edit it in place.
            let Some((major, minor, range)) = packages_dir(&dest.value) else {
                continue;
            };
            if dest.value.contains('$') || dest.span.len() != dest.value.len() {
                continue;
            }
            let Some(runtime) = external_base(df, stage, &built.build_args) else {
                continue;
            };
            let Some((rt_major, rt_minor)) =
                crate::image::lookup(&runtime).and_then(|f| f.python_version)
            else {
                continue;
            };
            if (rt_major, rt_minor) == (major, minor) {
                continue;
            }
            let from_name = from.value.clone().unwrap_or_default();
            let span = Span::new(dest.span.start + range.start, dest.span.start + range.end);
            let right = format!("python{rt_major}.{rt_minor}");
            let edit_path = pipeline.source(built.dockerfile_file).path.clone();
            let fix = builder_fix(df, ins, &from_name, (rt_major, rt_minor), &built.build_args)
                .map(|(message, edits)| Fix {
                    applicability: Applicability::Unsafe,
                    message,
                    edits: edits
                        .into_iter()
                        .map(|(span, content)| Edit {
                            path: edit_path.clone(),
                            start: span.start,
                            end: span.end,
                            content,
                        })
                        .collect(),
                })
                .unwrap_or_else(|| Fix {
                    applicability: Applicability::DisplayOnly,
                    message: format!(
                        "build the packages in a stage on the runtime's Python {rt_major}.{rt_minor} and copy its `{right}` site-packages"
                    ),
                    edits: Vec::new(),
                });
            out.push(
                RULE.diagnostic(pipeline.path(built.dockerfile_file), span, format!(
                    "packages from stage `{from_name}` are copied into the site-packages of Python {major}.{minor}, but this stage runs `{runtime}` (Python {rt_major}.{rt_minor}), which only searches python{rt_major}.{rt_minor}'s site-packages: the packages are not importable"
                ))
                .with_artifact(&artifact.image.value)
                .with_help(format!(
                    "install the packages with the same Python as the runtime (a `{runtime}`-based builder); packages with compiled extensions only work with the version they were built for"
                ))
                .with_fix(fix),
            );
        }
    }
}

/// The edits that build the packages with the runtime's Python: the builder stage's `FROM
/// python:X.Y...` gets the runtime's version, and the COPY's source and destination name the
/// runtime's `pythonX.Y`. `None` when that cannot be done by editing text alone: the builder's
/// base is not a literal `python:` tag naming its version, or another instruction of the
/// builder names its Python version (it would then need the same change).
fn builder_fix(
    df: &crate::dockerfile::Dockerfile,
    copy: &crate::dockerfile::Instruction,
    from: &str,
    (major, minor): (u32, u32),
    build_args: &std::collections::HashMap<String, String>,
) -> Option<(String, Vec<(Span, String)>)> {
    let args = copy.copy_args()?;
    let builder = df.stage_by_name_or_index(from)?;
    if builder.base_stage.is_some() {
        return None;
    }
    let base = &builder.base;
    let base_ref = df
        .base_with_build_args(builder.index, Some(build_args))?
        .known()?
        .to_string();
    let (b_major, b_minor) = crate::image::lookup(&base_ref)?.python_version?;
    let right = format!("python{major}.{minor}");
    let mut edits = Vec::new();
    let mut builder_changed = None;
    if (b_major, b_minor) != (major, minor) {
        // The version must be written in the FROM itself, in the tag.
        let old = format!("{b_major}.{b_minor}");
        let colon = base.value.rfind(':')?;
        let tag_at = base.value[colon + 1..].find(&old)? + colon + 1;
        if base.value.contains('$')
            || base.span.len() != base.value.len()
            || !base.value[..colon].ends_with("python")
            || base.value[tag_at + old.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit())
        {
            return None;
        }
        let body = &df.instructions[builder.instructions.clone()];
        let names_version = |text: &str| {
            text.contains(&format!("python{old}")) || text.contains(&format!(":{old}"))
        };
        if body.iter().skip(1).any(|i| {
            crate::dockerfile::owners::run_texts(i)
                .iter()
                .any(|t| names_version(t))
                || i.copy_args().is_some_and(|c| {
                    c.sources.iter().any(|w| names_version(&w.value))
                        || names_version(&c.dest.value)
                })
        }) {
            return None;
        }
        let start = base.span.start + tag_at;
        edits.push((
            Span::new(start, start + old.len()),
            format!("{major}.{minor}"),
        ));
        builder_changed = Some(format!(
            "{}{major}.{minor}{}",
            &base.value[..tag_at],
            &base.value[tag_at + old.len()..]
        ));
    }
    for word in args.sources.iter().chain(std::iter::once(&args.dest)) {
        let Some((m, n, range)) = packages_dir(&word.value) else {
            continue;
        };
        if (m, n) == (major, minor) {
            continue;
        }
        if word.value.contains('$') || word.span.len() != word.value.len() {
            return None;
        }
        edits.push((
            Span::new(word.span.start + range.start, word.span.start + range.end),
            right.clone(),
        ));
    }
    let message = match builder_changed {
        Some(new_base) => format!(
            "build the packages on `{new_base}` (the runtime's Python {major}.{minor}) and copy its `{right}` site-packages"
        ),
        None => format!("name the runtime's `{right}` site-packages in the COPY"),
    };
    Some((message, edits))
}

#[cfg(test)]
mod tests {
    use super::packages_dir;

    #[test]
    fn finds_versioned_package_dirs() {
        assert_eq!(
            packages_dir("/usr/local/lib/python3.11/site-packages"),
            Some((3, 11, 15..25))
        );
        assert_eq!(
            packages_dir("/usr/lib/python3.9/dist-packages/"),
            Some((3, 9, 9..18))
        );
        assert_eq!(packages_dir("/usr/lib/python3/dist-packages"), None);
        assert_eq!(
            packages_dir("/usr/local/lib/python3.11/site-packages-old"),
            None
        );
    }
}
