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
    fix: FixAvailability::Always(Applicability::Unsafe),
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
            out.push(
                RULE.diagnostic(pipeline.path(built.dockerfile_file), span, format!(
                    "packages from stage `{from_name}` are copied into the site-packages of Python {major}.{minor}, but this stage runs `{runtime}` (Python {rt_major}.{rt_minor}), which only searches python{rt_major}.{rt_minor}'s site-packages: the packages are not importable"
                ))
                .with_artifact(&artifact.image.value)
                .with_help(format!(
                    "install the packages with the same Python as the runtime (a `{runtime}`-based builder); packages with compiled extensions only work with the version they were built for"
                ))
                .with_fix(Fix {
                    applicability: Applicability::Unsafe,
                    message: format!("copy into the runtime's `{right}` site-packages"),
                    edits: vec![Edit {
                        path: pipeline.source(built.dockerfile_file).path.clone(),
                        start: span.start,
                        end: span.end,
                        content: right.clone(),
                    }],
                }),
            );
        }
    }
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
