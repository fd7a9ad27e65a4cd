//! A small reader for the Go text/template strings Skaffold evaluates in templated fields
//! (`docker.buildArgs`, `envTemplate.template`, ...): which actions a string has, which
//! `.FIELD` references they make, and whether it changes from one build to the next.

use std::ops::Range;

/// One `{{ ... }}` action: its byte range in the string (braces included) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub range: Range<usize>,
    pub body: String,
}

/// A `.NAME` field reference inside an action, with its byte range in the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    pub name: String,
    pub range: Range<usize>,
    /// The whole action it appears in.
    pub action: Range<usize>,
}

pub fn actions(template: &str) -> Vec<Action> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = template[from..].find("{{").map(|i| i + from) {
        let Some(close) = template[open + 2..].find("}}").map(|i| i + open + 2) else {
            break;
        };
        found.push(Action {
            range: open..close + 2,
            body: template[open + 2..close].to_string(),
        });
        from = close + 2;
    }
    found
}

/// Field references like `.TIMESTAMP` (not inside string literals).
pub fn field_refs(template: &str) -> Vec<FieldRef> {
    let mut refs = Vec::new();
    for action in actions(template) {
        let body_start = action.range.start + 2;
        let body = &template[body_start..action.range.end - 2];
        let bytes = body.as_bytes();
        let mut in_string: Option<u8> = None;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match in_string {
                Some(q) => {
                    if c == b'\\' && q == b'"' {
                        i += 1;
                    } else if c == q {
                        in_string = None;
                    }
                }
                None if c == b'"' || c == b'`' => in_string = Some(c),
                None if c == b'.' => {
                    let prev_is_word = i > 0
                        && (bytes[i - 1].is_ascii_alphanumeric()
                            || matches!(bytes[i - 1], b'_' | b')' | b'$'));
                    let end = body[i + 1..]
                        .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                        .map_or(body.len(), |e| e + i + 1);
                    if !prev_is_word && end > i + 1 {
                        refs.push(FieldRef {
                            name: body[i + 1..end].to_string(),
                            range: body_start + i..body_start + end,
                            action: action.range.clone(),
                        });
                    }
                    i = end.max(i + 1);
                    continue;
                }
                None => {}
            }
            i += 1;
        }
    }
    refs
}

/// Sprig and Skaffold functions whose result differs between builds.
const VARYING_FUNCTIONS: &[&str] = &[
    "now",
    "uuidv4",
    "randAlphaNum",
    "randAlpha",
    "randNumeric",
    "randAscii",
    "randInt",
    "cmd",
];

/// Whether the template calls a function whose result changes from build to build.
pub fn calls_varying_function(template: &str) -> bool {
    actions(template).iter().any(|action| {
        action
            .body
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .any(|word| VARYING_FUNCTIONS.contains(&word))
    })
}

/// Template variables Skaffold itself sets for local Docker builds (`build_args.go` EnvTags).
pub const SKAFFOLD_BUILD_VARIABLES: &[&str] = &["IMAGE_REPO", "IMAGE_NAME", "IMAGE_TAG"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_field_refs_with_ranges() {
        let t = "x-{{.TIMESTAMP}}-{{ .IMAGE_TAG | default \"a.b\" }}";
        let refs = field_refs(t);
        assert_eq!(refs.len(), 2);
        assert_eq!(refs[0].name, "TIMESTAMP");
        assert_eq!(&t[refs[0].range.clone()], ".TIMESTAMP");
        assert_eq!(&t[refs[0].action.clone()], "{{.TIMESTAMP}}");
        assert_eq!(refs[1].name, "IMAGE_TAG");
    }

    #[test]
    fn varying_functions() {
        assert!(calls_varying_function("{{ now | unixEpoch }}"));
        assert!(calls_varying_function("{{uuidv4}}"));
        assert!(!calls_varying_function("{{.TIMESTAMP}}"));
        assert!(!calls_varying_function("now"));
    }
}
