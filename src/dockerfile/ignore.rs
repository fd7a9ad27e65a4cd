//! `.dockerignore` matching with Docker's semantics, as implemented by moby/patternmatcher
//! (`ignorefile.ReadAll` + `PatternMatcher.MatchesOrParentMatches`), which both BuildKit and
//! Skaffold (`pkg/skaffold/docker/dockerignore.go`) use:
//! - lines starting with `#` are comments; each pattern is trimmed, cleaned like Go's
//!   `filepath.Clean`, and a leading `/` is dropped; `!` marks an exception;
//! - `*` and `?` do not cross `/`, `**` matches any number of directories, `[...]` is a
//!   character class, `\` escapes the next character;
//! - patterns are tried in order and the last one that matches decides;
//! - a pattern that matches a parent directory of a path matches the path too.
//!
//! Which file applies: `<Dockerfile path>.dockerignore` if it exists, else
//! `<context>/.dockerignore` (Skaffold `readDockerignore`, BuildKit's dockerui).

use std::path::{Path, PathBuf};

use crate::source::Span;

/// One pattern of an ignore file.
#[derive(Debug, Clone)]
pub struct IgnorePattern {
    /// The cleaned pattern without the `!`.
    pub pattern: String,
    /// `!pattern`: re-includes what earlier patterns excluded.
    pub exclusion: bool,
    /// The pattern's text in the ignore file (trimmed line).
    pub span: Span,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
enum Matcher {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Regex(regex::Regex),
    /// A pattern Go's `filepath.Match` rejects; Docker refuses the whole build.
    Invalid,
}

impl IgnorePattern {
    fn matches(&self, path: &str) -> bool {
        match &self.matcher {
            Matcher::Exact(p) => path == p,
            Matcher::Prefix(p) => path.starts_with(p.as_str()),
            Matcher::Suffix(suffix) => {
                path.ends_with(suffix.as_str())
                    || suffix.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            Matcher::Regex(re) => re.is_match(path),
            Matcher::Invalid => false,
        }
    }
}

/// A parsed ignore file.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<IgnorePattern>,
    /// Problems Docker would reject the build for (bad pattern syntax, a lone `!`).
    pub errors: Vec<(String, Span)>,
}

impl DockerIgnore {
    /// Parses the text of a `.dockerignore` file.
    pub fn parse(text: &str) -> DockerIgnore {
        let mut ignore = DockerIgnore::default();
        let mut offset = 0;
        for (n, raw_line) in text.split('\n').enumerate() {
            let line_start = offset;
            offset += raw_line.len() + 1;
            let mut line = raw_line;
            let mut start = line_start;
            if n == 0 {
                if let Some(rest) = line.strip_prefix('\u{feff}') {
                    line = rest;
                    start += '\u{feff}'.len_utf8();
                }
            }
            // Go's bufio.ScanLines drops a trailing \r.
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with('#') {
                continue;
            }
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            let lead = line.len() - line.trim_start().len();
            let span = Span::new(start + lead, start + lead + trimmed.len());
            let (exclusion, body) = match trimmed.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, trimmed),
            };
            let mut pattern = String::new();
            if !body.is_empty() {
                pattern = clean_path(body);
                if pattern.len() > 1 && pattern.starts_with('/') {
                    pattern.remove(0);
                }
            }
            if exclusion && pattern.is_empty() {
                ignore
                    .errors
                    .push(("illegal exclusion pattern: \"!\"".to_string(), span));
                continue;
            }
            // patternmatcher.New cleans again, with the `!` still attached.
            let full = if exclusion {
                format!("!{pattern}")
            } else {
                pattern
            };
            let full = clean_path(&full);
            let (exclusion, pattern) = match full.strip_prefix('!') {
                Some(rest) => (true, rest.to_string()),
                None => (false, full),
            };
            let matcher = compile(&pattern);
            if matches!(matcher, Matcher::Invalid) {
                ignore
                    .errors
                    .push((format!("syntax error in pattern: {pattern}"), span));
            }
            ignore.patterns.push(IgnorePattern {
                pattern,
                exclusion,
                span,
                matcher,
            });
        }
        ignore
    }

    pub fn patterns(&self) -> &[IgnorePattern] {
        &self.patterns
    }

    /// Whether a path relative to the build context (with `/` separators) is left out of
    /// the context.
    pub fn is_excluded(&self, rel_path: &str) -> bool {
        self.deciding_pattern(rel_path)
            .is_some_and(|p| !p.exclusion)
    }

    /// The last pattern that decided the outcome for `rel_path`: an excluding pattern when
    /// the path is excluded, an exception (`!`) when it was re-included, `None` when no
    /// pattern applies.
    pub fn deciding_pattern(&self, rel_path: &str) -> Option<&IgnorePattern> {
        let cleaned;
        let file = if is_clean(rel_path) {
            rel_path
        } else {
            cleaned = clean_unclean(rel_path);
            &cleaned
        };
        let file = file.trim_start_matches('/');
        let parent = match file.rfind('/') {
            Some(i) => &file[..i],
            None => ".",
        };
        let mut matched = false;
        let mut decider = None;
        for pattern in &self.patterns {
            // As in patternmatcher: an inclusion is only tried while the path is not yet
            // excluded, an exception only once it is.
            if pattern.exclusion != matched {
                continue;
            }
            let mut hit = pattern.matches(file);
            if !hit && parent != "." {
                let ends = parent
                    .match_indices('/')
                    .map(|(i, _)| i)
                    .chain(std::iter::once(parent.len()));
                hit = ends.into_iter().any(|end| pattern.matches(&parent[..end]));
            }
            if hit {
                matched = !pattern.exclusion;
                decider = Some(pattern);
            }
        }
        decider
    }
}

/// Compiles a cleaned pattern the way patternmatcher's `Pattern.compile` does, keeping its
/// exact/prefix/suffix shortcuts because they are not always equivalent to the regex.
fn compile(pattern: &str) -> Matcher {
    if !go_match_pattern_valid(pattern) {
        return Matcher::Invalid;
    }
    #[derive(PartialEq)]
    enum Kind {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut re = String::from("^");
    let mut kind = Kind::Exact;
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut first = true;
    while i < chars.len() {
        let ch = chars[i];
        i += 1;
        if ch == '*' {
            if chars.get(i) == Some(&'*') {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        re.push_str(".*");
                        kind = Kind::Regex;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = Kind::Regex;
                }
                if first {
                    kind = Kind::Suffix;
                }
            } else {
                re.push_str("[^/]*");
                kind = Kind::Regex;
            }
        } else if ch == '?' {
            re.push_str("[^/]");
            kind = Kind::Regex;
        } else if ".+()|{}$".contains(ch) {
            re.push('\\');
            re.push(ch);
        } else if ch == '\\' {
            match chars.get(i) {
                Some(&next) => {
                    i += 1;
                    re.push_str(&regex::escape(&next.to_string()));
                    kind = Kind::Regex;
                }
                None => re.push_str("\\\\"),
            }
        } else if ch == '[' || ch == ']' {
            re.push(ch);
            kind = Kind::Regex;
        } else {
            // Like patternmatcher, other characters go into the regex as they are (inside a
            // `[...]` class they keep their class meaning, e.g. ranges).
            re.push(ch);
        }
        first = false;
    }
    match kind {
        Kind::Exact => Matcher::Exact(pattern.to_string()),
        Kind::Prefix => Matcher::Prefix(pattern[..pattern.len() - 2].to_string()),
        Kind::Suffix => Matcher::Suffix(pattern[2..].to_string()),
        Kind::Regex => {
            re.push('$');
            match cached_regex(&re) {
                Some(r) => Matcher::Regex(r),
                None => Matcher::Invalid,
            }
        }
    }
}

/// Compiles a pattern's regex once per run: monorepos repeat the same `.dockerignore` in every
/// service, and compiling dominated reading them. Bounded so odd inputs cannot grow it forever.
fn cached_regex(source: &str) -> Option<regex::Regex> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex::Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(source).cloned()) {
        return found;
    }
    let compiled = regex::Regex::new(source).ok();
    if let Ok(mut c) = cache.lock() {
        if c.len() >= 4096 {
            c.clear();
        }
        c.insert(source.to_string(), compiled.clone());
    }
    compiled
}

/// The syntax check Go's `filepath.Match(pattern, ".")` performs: character classes must be
/// closed and non-empty, ranges well formed, and `\` must escape something.
fn go_match_pattern_valid(pattern: &str) -> bool {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if i + 1 >= chars.len() {
                    return false;
                }
                i += 2;
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut count = 0;
                loop {
                    let Some(&c) = chars.get(i) else {
                        return false;
                    };
                    if c == ']' && count > 0 {
                        i += 1;
                        break;
                    }
                    let lo = match c {
                        '\\' => {
                            i += 1;
                            match chars.get(i) {
                                Some(&e) => e,
                                None => return false,
                            }
                        }
                        '-' | ']' => return false,
                        c => c,
                    };
                    i += 1;
                    if chars.get(i) == Some(&'-') {
                        i += 1;
                        let hi = match chars.get(i) {
                            Some('\\') => {
                                i += 1;
                                match chars.get(i) {
                                    Some(&e) => e,
                                    None => return false,
                                }
                            }
                            Some(&']') | Some(&'-') | None => return false,
                            Some(&h) => h,
                        };
                        if hi < lo {
                            return false;
                        }
                        i += 1;
                    }
                    count += 1;
                }
            }
            ']' => i += 1,
            _ => i += 1,
        }
    }
    true
}

/// Go's `path.Clean`: collapse `//`, drop `.` elements, resolve `..`, drop a trailing `/`.
pub(crate) fn clean_path(path: &str) -> String {
    if is_clean(path) {
        return path.to_string();
    }
    clean_unclean(path)
}

/// [`clean_path`] of a string the caller owns: kept as it is when already clean, which is how
/// nearly every joined context path and destination comes (rules clean one per context file).
pub(crate) fn clean_path_owned(path: String) -> String {
    if is_clean(&path) {
        return path;
    }
    clean_unclean(&path)
}

/// Whether [`clean_path`] would return `path` unchanged: not empty, no empty, `.` or `..`
/// element, no trailing `/` (except the root itself).
fn is_clean(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    let body = path.strip_prefix('/').unwrap_or(path);
    !body.is_empty()
        && body
            .as_bytes()
            .split(|&b| b == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
}

fn clean_unclean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// The ignore files that may apply to a build, in the order BuildKit and Skaffold try them:
/// `<dockerfile>.dockerignore`, then `<context>/.dockerignore`.
pub fn ignore_file_candidates(context: &Path, dockerfile: &Path) -> [PathBuf; 2] {
    let mut specific = dockerfile.as_os_str().to_owned();
    specific.push(".dockerignore");
    [PathBuf::from(specific), context.join(".dockerignore")]
}

/// The ignore file that applies to a build: the first candidate that exists.
pub fn find_ignore_file(context: &Path, dockerfile: &Path) -> Option<PathBuf> {
    ignore_file_candidates(context, dockerfile)
        .into_iter()
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(ignore: &str, paths: &[&str]) -> Vec<bool> {
        let di = DockerIgnore::parse(ignore);
        paths.iter().map(|p| di.is_excluded(p)).collect()
    }

    proptest::proptest! {
        // The shortcut for paths that are already clean must not change a single answer.
        #[test]
        fn the_clean_shortcut_agrees_with_path_clean(parts in proptest::collection::vec(
            proptest::sample::select(vec!["", ".", "..", "a", "bc", "d.py"]), 0..6),
            rooted in proptest::bool::ANY) {
            let path = format!("{}{}", if rooted { "/" } else { "" }, parts.join("/"));
            let slow = clean_unclean(&path);
            proptest::prop_assert_eq!(&clean_path(&path), &slow);
            proptest::prop_assert_eq!(&clean_path_owned(path.clone()), &slow);
        }
    }

    #[test]
    fn clean_path_is_go_path_clean() {
        for (path, clean) in [
            ("", "."),
            ("/", "/"),
            ("a/b", "a/b"),
            ("/a/b/", "/a/b"),
            ("a//b/./c/..", "a/b"),
            ("../a", "../a"),
            ("/../a", "/a"),
        ] {
            assert_eq!(clean_path(path), clean, "{path}");
        }
    }

    #[test]
    fn directory_pattern_excludes_everything_below() {
        assert_eq!(
            excluded(
                "node_modules\n",
                &[
                    "node_modules",
                    "node_modules/a/b.js",
                    "src/node_modules",
                    "node_modulesx"
                ]
            ),
            vec![true, true, false, false]
        );
    }

    #[test]
    fn leading_slash_and_dot_slash_are_cleaned() {
        assert_eq!(
            excluded("/build\n./dist/\n", &["build/x", "dist/y", "a/build"]),
            vec![true, true, false]
        );
    }

    #[test]
    fn star_does_not_cross_slash_but_double_star_does() {
        assert_eq!(
            excluded("*.pyc\n", &["a.pyc", "src/a.pyc"]),
            vec![true, false]
        );
        assert_eq!(
            excluded("**/*.pyc\n", &["a.pyc", "src/a.pyc", "a/b/c.pyc", "a.py"]),
            vec![true, true, true, false]
        );
        assert_eq!(
            excluded("src/**/test\n", &["src/test", "src/a/b/test/x", "srctest"]),
            vec![true, true, false]
        );
        assert_eq!(excluded("?.txt\n", &["a.txt", "ab.txt"]), vec![true, false]);
    }

    #[test]
    fn exceptions_and_last_match_wins() {
        let text = "*.md\n!README.md\n";
        assert_eq!(
            excluded(text, &["CHANGES.md", "README.md"]),
            vec![true, false]
        );
        let text = "*.md\n!README*.md\nREADME-secret.md\n";
        assert_eq!(
            excluded(text, &["a.md", "README.md", "README-secret.md"]),
            vec![true, false, true]
        );
        let di = DockerIgnore::parse(text);
        assert_eq!(
            di.deciding_pattern("README.md").map(|p| p.pattern.as_str()),
            Some("README*.md")
        );
        assert_eq!(
            di.deciding_pattern("other.txt").map(|p| p.pattern.as_str()),
            None
        );
    }

    #[test]
    fn exception_inside_excluded_directory() {
        let text = "docs\n!docs/keep.md\n";
        assert_eq!(
            excluded(text, &["docs/a.md", "docs/keep.md", "docs"]),
            vec![true, false, true]
        );
    }

    #[test]
    fn everything_except() {
        let text = "*\n!app\n!requirements.txt\n";
        assert_eq!(
            excluded(
                text,
                &["app/main.py", "requirements.txt", "tests/t.py", ".git/HEAD"]
            ),
            vec![false, false, true, true]
        );
    }

    #[test]
    fn comments_blank_lines_crlf_and_spans() {
        let text = "\u{feff}# comment\r\n\r\n  *.log  \r\n!keep.log\r\n";
        let di = DockerIgnore::parse(text);
        let pats: Vec<(&str, bool, Span)> = di
            .patterns()
            .iter()
            .map(|p| (p.pattern.as_str(), p.exclusion, p.span))
            .collect();
        assert_eq!(
            pats,
            vec![
                ("*.log", false, Span::new(18, 23)),
                ("keep.log", true, Span::new(27, 36))
            ]
        );
        assert_eq!(&text[18..23], "*.log");
        assert_eq!(&text[27..36], "!keep.log");
        assert!(di.is_excluded("x.log"));
        assert!(!di.is_excluded("keep.log"));
    }

    #[test]
    fn character_classes_and_escapes() {
        assert_eq!(
            excluded("file[0-9].txt\n", &["file1.txt", "filea.txt"]),
            vec![true, false]
        );
        assert_eq!(excluded("a\\*b\n", &["a*b", "axb"]), vec![true, false]);
        let di = DockerIgnore::parse("file[.txt\n");
        assert_eq!(di.errors.len(), 1);
        assert_eq!(di.errors[0].0, "syntax error in pattern: file[.txt");
        let di = DockerIgnore::parse("!\n");
        assert_eq!(di.errors[0].0, "illegal exclusion pattern: \"!\"");
    }

    #[test]
    fn trailing_double_star_is_a_prefix_match() {
        // patternmatcher's prefix shortcut: "foo**" matches anything starting with "foo".
        assert_eq!(
            excluded("foo**\n", &["foobar", "foo/x", "fo"]),
            vec![true, true, false]
        );
    }

    #[test]
    fn go_path_clean() {
        assert_eq!(clean_path("./a//b/../c/"), "a/c");
        assert_eq!(clean_path("/../a"), "/a");
        assert_eq!(clean_path("../a"), "../a");
        assert_eq!(clean_path(""), ".");
        assert_eq!(clean_path("/"), "/");
    }

    #[test]
    fn candidate_files_prefer_the_dockerfile_specific_one() {
        let [first, second] =
            ignore_file_candidates(Path::new("ctx"), Path::new("ctx/docker/Dockerfile.dev"));
        assert_eq!(
            first,
            PathBuf::from("ctx/docker/Dockerfile.dev.dockerignore")
        );
        assert_eq!(second, PathBuf::from("ctx/.dockerignore"));
    }

    #[test]
    fn find_ignore_file_uses_the_first_existing_candidate() {
        let dir = tempfile::tempdir().unwrap();
        let dockerfile = dir.path().join("Dockerfile");
        assert_eq!(find_ignore_file(dir.path(), &dockerfile), None);
        std::fs::write(dir.path().join(".dockerignore"), "x\n").unwrap();
        assert_eq!(
            find_ignore_file(dir.path(), &dockerfile),
            Some(dir.path().join(".dockerignore"))
        );
        std::fs::write(dir.path().join("Dockerfile.dockerignore"), "y\n").unwrap();
        assert_eq!(
            find_ignore_file(dir.path(), &dockerfile),
            Some(dir.path().join("Dockerfile.dockerignore"))
        );
    }
}
