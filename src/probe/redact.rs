//! Hides secrets in what pods run before anything is shown: a probe report is read by more
//! people than the cluster's secrets are meant for (CI logs, issues, pull requests).
//!
//! Covered forms: flags with an attached or a separate value (`--password=x`, `--pass x`,
//! `--token x`, `--api-key x`, `-pSECRET` as mysql takes it, `-u user:pw` as curl takes it),
//! env-style assignments (`MYSQL_PWD=x`, `*_TOKEN=x`, `*_SECRET=x`, `*_KEY=x`), credentials in
//! URLs (`https://user:pw@host`, `https://TOKEN@host`), Authorization, Cookie and API-key
//! headers, `Bearer`/`Basic` credentials, well-known token shapes (GitHub `ghp_`/`gho_`/
//! `github_pat_`, Stripe `sk_live_`, Slack `xoxb-`, AWS `AKIA…`, GitLab `glpat-`, Google `AIza…`,
//! JWTs `eyJ…`, PEM private keys) and all of these inside `sh -c` scripts, word by word.
//! Redaction errs on the side of hiding: a masked harmless value costs less than a leak.

use regex::{Captures, Regex};
use std::sync::OnceLock;

/// Name parts that mark a secret when they are a whole word of a flag or variable name
/// (`--api-key`, `SECRET_KEY`, `MYSQL_PWD`), so that `keyfile` or `monkey` stay visible.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "passphrase",
    "pwd",
    "pw",
    "secret",
    "token",
    "apikey",
    "key",
    "credential",
    "credentials",
    "auth",
    "private",
    "pat",
    "bearer",
    "cookie",
    "session",
    "signature",
    "sig",
    "cert",
    "dsn",
];

/// Secret words long enough to be recognised inside a longer name (`PGPASSWORD`, `dbpassword`,
/// `APITOKEN`, `clientsecret`).
const SECRET_INFIXES: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "credential",
    "privatekey",
    "accesskey",
];

pub const MASK: &str = "***";

fn looks_secret(name: &str) -> bool {
    let lower = name
        .trim_start_matches('-')
        .trim_matches(['"', '\''])
        .to_ascii_lowercase();
    if lower.is_empty() {
        return false;
    }
    let mut words = lower.split(['-', '_', '.']);
    words.any(|w| SECRET_WORDS.contains(&w)) || SECRET_INFIXES.iter().any(|w| lower.contains(w))
}

/// Patterns that mask wherever they appear, in an argument or inside a script.
fn patterns() -> &'static [(Regex, &'static str)] {
    static PATTERNS: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            // Headers: everything after the colon up to the end of the quoted word or line.
            (
                r#"(?i)\b((?:proxy-)?authorization|cookie|set-cookie|x-[a-z0-9-]*(?:token|key|secret|auth)[a-z0-9-]*|private-token)(\s*:\s*)[^'"\r\n]+"#,
                "${1}${2}***",
            ),
            (
                r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=-]{8,}",
                "${1}${2}***",
            ),
            // URL credentials: user:password@ keeps the user; a lone token@ is masked whole.
            (
                r#"(?i)\b([a-z][a-z0-9+.-]*://)([^/@\s:'"]*):[^/@\s'"]*@"#,
                "${1}${2}:***@",
            ),
            (r#"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s:'"]+@"#, "${1}***@"),
            // Well-known token shapes.
            (r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{16,}", MASK),
            (r"\bgithub_pat_[A-Za-z0-9_]{16,}", MASK),
            (r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}", MASK),
            (r"\bsk-[A-Za-z0-9_-]{20,}", MASK),
            (r"\bxox[abposr]-[A-Za-z0-9-]{8,}", MASK),
            (r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", MASK),
            (r"\bglpat-[A-Za-z0-9_-]{16,}", MASK),
            (r"\bAIza[0-9A-Za-z_-]{30,}", MASK),
            (r"\bnpm_[A-Za-z0-9]{30,}", MASK),
            (
                r"\beyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]*",
                MASK,
            ),
            (
                r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
                MASK,
            ),
        ]
        .into_iter()
        .map(|(re, to)| (Regex::new(re).expect("redaction pattern"), to))
        .collect()
    })
}

/// `NAME=value` and `--name=value` anywhere in a string (an argument, a script, a header).
fn assignment() -> &'static Regex {
    static ASSIGNMENT: OnceLock<Regex> = OnceLock::new();
    ASSIGNMENT.get_or_init(|| {
        Regex::new(
            r#"(^|[\s'"`;&|(])(-{0,2}[A-Za-z_][A-Za-z0-9_.-]*)=("[^"]*"|'[^']*'|[^\s'"`;&|)]*)"#,
        )
        .expect("assignment pattern")
    })
}

/// Masks what the patterns and assignments find in one string.
fn redact_text(text: &str) -> String {
    let mut out = assignment()
        .replace_all(text, |c: &Captures| {
            if looks_secret(&c[2]) && !c[3].is_empty() {
                format!("{}{}={MASK}", &c[1], &c[2])
            } else {
                c[0].to_string()
            }
        })
        .into_owned();
    for (re, to) in patterns() {
        if re.is_match(&out) {
            out = re.replace_all(&out, *to).into_owned();
        }
    }
    out
}

/// What a word does to the word after it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Next {
    Keep,
    Mask,
    /// `-u user:pw`, `--user user:pw`: mask after the colon.
    MaskAfterColon,
}

/// mysql-family `-pSECRET` (attached) against flags that merely start with `-p`: a port
/// mapping (`-p8080:80`) or a compiler flag (`-pthread`) stays visible.
fn is_attached_short_password(word: &str) -> bool {
    let Some(value) = word.strip_prefix("-p") else {
        return false;
    };
    !value.is_empty()
        && !value.starts_with('-')
        && !value
            .chars()
            .all(|c| c.is_ascii_digit() || ":./-".contains(c))
        && !["ipe", "thread", "edantic", "g", "ie"].contains(&value)
}

/// The masking decision for one whitespace-separated word, given what came before.
fn redact_word(word: &str, next: &mut Next) -> String {
    let bare = word.trim_matches(['"', '\'']);
    let this = *next;
    *next = Next::Keep;
    match this {
        Next::Mask => return MASK.to_string(),
        Next::MaskAfterColon => {
            if let Some((user, _)) = bare.split_once(':') {
                return format!("{user}:{MASK}");
            }
        }
        Next::Keep => {}
    }
    if is_attached_short_password(bare) {
        return format!("-p{MASK}");
    }
    if bare.starts_with('-') && !bare.contains('=') {
        if looks_secret(bare) {
            *next = Next::Mask;
        } else if bare == "-u" || bare == "--user" || bare == "--proxy-user" {
            *next = Next::MaskAfterColon;
        } else if bare == "-H" || bare == "--header" {
            // The header's value is masked by the header pattern.
        }
    }
    redact_text(word)
}

/// Redacts one argv list. An argument holding a script (`sh -c '...'`) is redacted word by word
/// like a command line of its own.
pub fn redact_argv(argv: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut next = Next::Keep;
    for arg in argv {
        if arg.contains(char::is_whitespace) && next == Next::Keep {
            out.push(redact_line(arg));
            continue;
        }
        out.push(redact_word(arg, &mut next));
    }
    out
}

/// Redacts a command line given as one string (a `sh -c` script, `GUNICORN_CMD_ARGS`): the
/// whole-string patterns first (a header or a key spans words), then word by word, keeping
/// the spacing.
pub fn redact_line(line: &str) -> String {
    let text = redact_text(line);
    let mut out = String::with_capacity(text.len());
    let mut next = Next::Keep;
    let mut rest = text.as_str();
    while !rest.is_empty() {
        let space = rest.len() - rest.trim_start().len();
        out.push_str(&rest[..space]);
        rest = &rest[space..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        if end > 0 {
            out.push_str(&redact_word(&rest[..end], &mut next));
        }
        rest = &rest[end..];
    }
    out
}

/// Joins an argv for display, redacted, quoting words with spaces.
pub fn show_argv(argv: &[String]) -> String {
    redact_argv(argv)
        .iter()
        .map(|a| {
            if a.is_empty() || a.contains([' ', '\t', '"', '\'']) {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn masks_values_of_secret_flags_and_assignments() {
        assert_eq!(
            redact_argv(&v(&[
                "app",
                "--password",
                "hunter2",
                "--token=abc",
                "SECRET_KEY=xyz",
                "--port",
                "8000",
                "api_key=1"
            ])),
            v(&[
                "app",
                "--password",
                "***",
                "--token=***",
                "SECRET_KEY=***",
                "--port",
                "8000",
                "api_key=***"
            ])
        );
    }

    #[test]
    fn keeps_ordinary_words() {
        let argv = v(&[
            "uvicorn",
            "app.main:app",
            "--reload",
            "--keyfile-dir=/x",
            "monkey",
            "-p8080:80",
            "-pthread",
            "--host=0.0.0.0",
            "PATH=/usr/bin",
            "https://example.com/path?q=1",
            "--workers",
            "4",
        ]);
        assert_eq!(redact_argv(&argv), argv);
    }

    #[test]
    fn masks_url_passwords() {
        assert_eq!(
            redact_argv(&v(&["--db", "postgres://u:p4ss@db:5432/x"])),
            v(&["--db", "postgres://u:***@db:5432/x"])
        );
    }

    #[test]
    fn show_quotes_words_with_spaces() {
        assert_eq!(
            show_argv(&v(&["sh", "-c", "kill -HUP 1", "--api-key", "k"])),
            "sh -c 'kill -HUP 1' --api-key ***"
        );
        assert_eq!(
            redact_line("gunicorn --reload --password=x"),
            "gunicorn --reload --password=***"
        );
    }

    /// The secret in each form, as argv; the secret text must not survive redaction, and what
    /// is around it should.
    const FORMS: &[(&[&str], &str)] = &[
        (&["mysql", "-uroot", "-pS3cretValue"], "S3cretValue"),
        (&["mysql", "-u", "root", "-phunter2x"], "hunter2x"),
        (&["app", "--pass", "hunter2x"], "hunter2x"),
        (&["app", "--pass=hunter2x"], "hunter2x"),
        (&["app", "--password", "hunter2x"], "hunter2x"),
        (&["app", "--password=hunter2x"], "hunter2x"),
        (&["app", "--passwd=hunter2x"], "hunter2x"),
        (&["app", "--passphrase=hunter2x"], "hunter2x"),
        (&["app", "--passphrase", "hunter2x"], "hunter2x"),
        (&["app", "--token", "tok123456"], "tok123456"),
        (&["app", "--token=tok123456"], "tok123456"),
        (&["app", "--api-key", "k3y123456"], "k3y123456"),
        (&["app", "--api-key=k3y123456"], "k3y123456"),
        (&["app", "--apikey=k3y123456"], "k3y123456"),
        (&["app", "--api_key", "k3y123456"], "k3y123456"),
        (&["app", "--secret", "s3cr3tval"], "s3cr3tval"),
        (&["app", "--client-secret=s3cr3tval"], "s3cr3tval"),
        (&["app", "--auth-token", "tok123456"], "tok123456"),
        (&["app", "--access-key", "k3y123456"], "k3y123456"),
        (&["app", "--private-key=k3y123456"], "k3y123456"),
        (
            &["redis-cli", "-a", "x", "--pass", "r3dispass"],
            "r3dispass",
        ),
        (&["env", "MYSQL_PWD=hunter2x", "mysql"], "hunter2x"),
        (&["env", "PGPASSWORD=hunter2x", "psql"], "hunter2x"),
        (&["env", "GITHUB_TOKEN=tok123456", "gh"], "tok123456"),
        (&["env", "API_SECRET=s3cr3tval", "app"], "s3cr3tval"),
        (&["env", "STRIPE_KEY=k3y123456", "app"], "k3y123456"),
        (&["env", "AWS_SECRET_ACCESS_KEY=k3y123456"], "k3y123456"),
        (&["env", "DB_PASSWORD=hunter2x"], "hunter2x"),
        (&["env", "SESSION_COOKIE=c00kieval"], "c00kieval"),
        (
            &["git", "clone", "https://user:hunter2x@github.com/o/r"],
            "hunter2x",
        ),
        (
            &["git", "clone", "https://tok123456@github.com/o/r"],
            "tok123456",
        ),
        (&["app", "--db=postgres://app:hunter2x@db/x"], "hunter2x"),
        (&["app", "redis://:hunter2x@cache:6379"], "hunter2x"),
        (
            &["curl", "-H", "Authorization: Bearer tok123456789"],
            "tok123456789",
        ),
        (
            &["curl", "-H", "authorization: Basic dXNlcjpwYXNz"],
            "dXNlcjpwYXNz",
        ),
        (
            &["curl", "--header", "Cookie: session=c00kieval"],
            "c00kieval",
        ),
        (&["curl", "-H", "X-Api-Key: k3y123456"], "k3y123456"),
        (&["curl", "-H", "PRIVATE-TOKEN: tok123456"], "tok123456"),
        (&["curl", "-u", "admin:hunter2x", "http://x"], "hunter2x"),
        (
            &["curl", "--user", "admin:hunter2x", "http://x"],
            "hunter2x",
        ),
        (
            &["sh", "-c", "mysql -uroot -pS3cretValue db"],
            "S3cretValue",
        ),
        (
            &["sh", "-c", "exec app --password hunter2x --port 80"],
            "hunter2x",
        ),
        (&["sh", "-c", "MYSQL_PWD=hunter2x mysqldump db"], "hunter2x"),
        (
            &["sh", "-c", "export API_TOKEN='tok123456'; app"],
            "tok123456",
        ),
        (
            &[
                "sh",
                "-c",
                "curl -H 'Authorization: Bearer tok123456789' http://x",
            ],
            "tok123456789",
        ),
        (
            &["sh", "-c", "git push https://u:hunter2x@host/r"],
            "hunter2x",
        ),
        (
            &["bash", "-lc", "app --token=tok123456 && echo ok"],
            "tok123456",
        ),
        (
            &["app", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
            "ghp_abcdefghijklmnop",
        ),
        (
            &["app", "gho_abcdefghijklmnopqrstuvwxyz0123456789"],
            "gho_abcdefghijklmnop",
        ),
        (
            &["app", "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuv"],
            "github_pat_11ABCDEFG",
        ),
        (
            &["app", "sk_live_abcdefghijklmnop1234"],
            "sk_live_abcdefghijkl",
        ),
        (&["app", "xoxb-1234567890-abcdefghijkl"], "xoxb-1234567890"),
        (&["app", "AKIAIOSFODNN7EXAMPLE"], "AKIAIOSFODNN7EXAMPLE"),
        (&["app", "glpat-abcdefghijklmnopqrst"], "glpat-abcdefghijkl"),
        (
            &["app", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"],
            "eyJhbGciOiJIUzI1NiJ9",
        ),
        (
            &["app", "--config", "x", "Bearer tok123456789"],
            "tok123456789",
        ),
        (
            &[
                "sh",
                "-c",
                "echo ghp_abcdefghijklmnopqrstuvwxyz0123456789 | gh auth login",
            ],
            "ghp_abcdefghijklmnop",
        ),
        (&["app", "--key", "k3y123456"], "k3y123456"),
        (
            &[
                "java",
                "-Djavax.net.ssl.keyStorePassword=hunter2x",
                "-jar",
                "a.jar",
            ],
            "hunter2x",
        ),
        (&["app", "--dsn=mysql://u:hunter2x@tcp(db)/x"], "hunter2x"),
    ];

    #[test]
    fn every_common_secret_form_is_masked() {
        assert!(FORMS.len() >= 50, "{} forms", FORMS.len());
        let mut leaks = Vec::new();
        for (argv, secret) in FORMS {
            let shown = show_argv(&v(argv));
            if shown.contains(secret) || !shown.contains(MASK) {
                leaks.push(format!("{argv:?} -> {shown}"));
            }
            let line = redact_line(&argv.join(" "));
            if line.contains(secret) {
                leaks.push(format!("line {argv:?} -> {line}"));
            }
        }
        assert!(leaks.is_empty(), "secrets shown:\n{}", leaks.join("\n"));
    }

    #[test]
    fn what_surrounds_a_secret_stays() {
        assert_eq!(
            show_argv(&v(&[
                "sh",
                "-c",
                "mysql -uroot -pS3cret db && app --port 80"
            ])),
            "sh -c 'mysql -uroot -p*** db && app --port 80'"
        );
        assert_eq!(
            show_argv(&v(&[
                "curl",
                "-H",
                "Authorization: Bearer abcdefghij",
                "http://x"
            ])),
            "curl -H 'Authorization: ***' http://x"
        );
        assert_eq!(
            redact_argv(&v(&["git", "clone", "https://tok123456@github.com/o/r"])),
            v(&["git", "clone", "https://***@github.com/o/r"])
        );
    }
}
