//! Hides secret-looking command-line arguments before anything is shown: `--password x`,
//! `--token=x`, `API_KEY=x`, `-p secret` after a password flag, URLs with credentials.

const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api-key",
    "api_key",
    "key",
    "credential",
    "auth",
    "private",
];

pub const MASK: &str = "***";

fn looks_secret(name: &str) -> bool {
    let lower = name.trim_start_matches('-').to_ascii_lowercase();
    if lower.is_empty() {
        return false;
    }
    // Whole words separated by - _ . so that "keyfile" or "monkey" stay visible but
    // "--api-key" and "SECRET_KEY" do not.
    let words: Vec<&str> = lower.split(['-', '_', '.']).collect();
    SECRET_WORDS
        .iter()
        .any(|w| words.contains(w) || (w.len() > 4 && lower.contains(w) && !w.contains(['-', '_'])))
}

/// Redacts one argv list: `NAME=value` and `--name=value` keep the name, and a bare secret
/// flag (`--password`) masks the argument after it.
pub fn redact_argv(argv: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut mask_next = false;
    for arg in argv {
        if mask_next {
            out.push(MASK.to_string());
            mask_next = false;
            continue;
        }
        out.push(redact_word(arg, &mut mask_next));
    }
    out
}

fn redact_word(arg: &str, mask_next: &mut bool) -> String {
    if let Some(url) = redact_url_credentials(arg) {
        return url;
    }
    if let Some((name, _value)) = arg.split_once('=') {
        if looks_secret(name) {
            return format!("{name}={MASK}");
        }
        return arg.to_string();
    }
    if arg.starts_with('-') && looks_secret(arg) {
        *mask_next = true;
    }
    arg.to_string()
}

/// `scheme://user:pass@host` becomes `scheme://user:***@host`.
fn redact_url_credentials(arg: &str) -> Option<String> {
    let scheme_end = arg.find("://")?;
    let rest = &arg[scheme_end + 3..];
    let at = rest.find('@')?;
    let userinfo = &rest[..at];
    if userinfo.contains('/') {
        return None;
    }
    let (user, _) = userinfo.split_once(':')?;
    Some(format!(
        "{}{user}:{MASK}{}",
        &arg[..scheme_end + 3],
        &rest[at..]
    ))
}

/// Redacts a command line given as one string (a `sh -c` script, `GUNICORN_CMD_ARGS`), word
/// by word on whitespace.
pub fn redact_line(line: &str) -> String {
    let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    redact_argv(&words).join(" ")
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
}
