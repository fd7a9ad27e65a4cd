//! Signals on Linux and what a sync hook sends: parses `kill`, `pkill` and `killall` hooks
//! (directly or inside `sh -c`) into a signal and a target (a PID or a process pattern).

/// Linux x86/arm signal numbers by name, as `kill -l` lists them.
const SIGNALS: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("WINCH", 28),
];

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;

pub fn number(name: &str) -> Option<i32> {
    if let Ok(n) = name.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("SIG").unwrap_or(&upper);
    SIGNALS.iter().find(|(n, _)| *n == bare).map(|(_, v)| *v)
}

pub fn name(sig: i32) -> String {
    SIGNALS
        .iter()
        .find(|(_, v)| *v == sig)
        .map(|(n, _)| format!("SIG{n}"))
        .unwrap_or_else(|| format!("signal {sig}"))
}

/// Whether the SigCgt mask says a handler is installed for `sig`.
pub fn caught(mask: u64, sig: i32) -> bool {
    (1..=64).contains(&sig) && mask & (1u64 << (sig - 1)) != 0
}

/// Whether the default action of `sig` ends the process (everything but CHLD, CONT, STOP-like,
/// WINCH and URG).
pub fn default_terminates(sig: i32) -> bool {
    !matches!(sig, 17 | 18 | 19 | 20 | 21 | 22 | 23 | 28)
}

/// Which processes a signalling command addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalTarget {
    Pid(i32),
    /// `pkill PATTERN` (regex against comm) or `pkill -f PATTERN` (against the full command
    /// line).
    Pattern {
        pattern: String,
        full: bool,
    },
    /// `killall NAME` (exact comm).
    Name(String),
}

/// How messages name a target: `PID 1`, the pattern `uvicorn` (full command lines), ...
impl std::fmt::Display for SignalTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignalTarget::Pid(pid) => write!(f, "PID {pid}"),
            SignalTarget::Pattern {
                pattern,
                full: true,
            } => write!(f, "the pattern `{pattern}` (against full command lines)"),
            SignalTarget::Pattern {
                pattern,
                full: false,
            } => write!(f, "the pattern `{pattern}` (against process names)"),
            SignalTarget::Name(name) => write!(f, "the process name `{name}`"),
        }
    }
}

/// One signal a hook sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSignal {
    pub signal: i32,
    pub target: SignalTarget,
    /// The tool that sends it (`kill`, `pkill`, `killall`).
    pub tool: String,
    /// The shell script text when the hook runs through `sh -c`, since `pkill -f` may match
    /// the hook's own shell.
    pub via_shell: Option<String>,
}

/// Simple commands of a hook: the argv itself, or the commands of its `sh -c` script split on
/// `;`, `&&`, `||`, `|` and newlines (enough for hooks; quoting is honoured for words).
pub fn simple_commands(hook: &[String]) -> (Vec<Vec<String>>, Option<String>) {
    let is_shell = hook
        .first()
        .map(|a| matches!(base(a), "sh" | "bash" | "dash" | "ash" | "busybox"))
        .unwrap_or(false);
    if is_shell {
        if let Some(i) = hook.iter().position(|a| a == "-c") {
            if let Some(script) = hook.get(i + 1) {
                return (split_script(script), Some(script.clone()));
            }
        }
    }
    (vec![hook.to_vec()], None)
}

fn base(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

fn split_script(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = script.chars().peekable();
    let flush_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c == '\\' && q == '"' {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            } else {
                word.push(c);
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                in_word = true;
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    word.push(n);
                    in_word = true;
                }
            }
            ' ' | '\t' => flush_word(&mut words, &mut word, &mut in_word),
            ';' | '\n' | '&' | '|' => {
                flush_word(&mut words, &mut word, &mut in_word);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
                if matches!(chars.peek(), Some('&') | Some('|')) {
                    chars.next();
                }
            }
            _ => {
                word.push(c);
                in_word = true;
            }
        }
    }
    flush_word(&mut words, &mut word, &mut in_word);
    if !words.is_empty() {
        commands.push(words);
    }
    commands
}

/// The signals a hook sends, in order. Commands that send nothing are skipped.
pub fn hook_signals(hook: &[String]) -> Vec<HookSignal> {
    let (commands, script) = simple_commands(hook);
    commands
        .iter()
        .filter_map(|cmd| parse_signal_command(cmd, script.clone()))
        .collect()
}

fn parse_signal_command(cmd: &[String], via_shell: Option<String>) -> Option<HookSignal> {
    let tool = base(cmd.first()?).to_string();
    let args = &cmd[1..];
    let mut signal = SIGTERM;
    let mut full = false;
    let mut operands = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            operands.extend(args[i + 1..].iter().cloned());
            break;
        }
        if a == "-s" || a == "--signal" {
            signal = number(args.get(i + 1)?)?;
            i += 2;
            continue;
        }
        if let Some(v) = a.strip_prefix("--signal=") {
            signal = number(v)?;
        } else if tool == "pkill" && a == "-f" {
            full = true;
        } else if let Some(flag) = a.strip_prefix('-') {
            if let Some(n) = number(flag) {
                // `kill -1 1` sends signal 1; a bare negative PID needs `--` before it.
                signal = n;
            } else if tool == "pkill" && flag.chars().all(|c| c.is_ascii_alphabetic()) {
                full |= flag.contains('f');
            } else if !flag.is_empty() && flag.chars().all(|c| c.is_ascii_alphabetic()) {
                // Other option letters (killall -q) do not change the target.
            } else {
                return None;
            }
        } else {
            operands.push(a.clone());
        }
        i += 1;
    }
    let target = match tool.as_str() {
        "kill" => SignalTarget::Pid(operands.first()?.parse().ok()?),
        "pkill" => SignalTarget::Pattern {
            pattern: operands.first()?.clone(),
            full,
        },
        "killall" => SignalTarget::Name(operands.first()?.clone()),
        _ => return None,
    };
    Some(HookSignal {
        signal,
        target,
        tool,
        via_shell,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_and_masks() {
        assert_eq!(number("HUP"), Some(1));
        assert_eq!(number("SIGTERM"), Some(15));
        assert_eq!(number("9"), Some(9));
        assert_eq!(number("NOPE"), None);
        assert_eq!(name(1), "SIGHUP");
        // dash as PID 1 catches only SIGCHLD.
        assert!(caught(0x10000, 17));
        assert!(!caught(0x10000, SIGHUP));
        assert!(caught(0x4003, SIGHUP));
        assert!(caught(0x4003, SIGTERM));
    }

    #[test]
    fn targets_read_as_words() {
        assert_eq!(SignalTarget::Pid(1).to_string(), "PID 1");
        let pattern = |full| SignalTarget::Pattern {
            pattern: "uvicorn".into(),
            full,
        };
        assert_eq!(
            pattern(true).to_string(),
            "the pattern `uvicorn` (against full command lines)"
        );
        assert_eq!(
            pattern(false).to_string(),
            "the pattern `uvicorn` (against process names)"
        );
        assert_eq!(
            SignalTarget::Name("gunicorn".into()).to_string(),
            "the process name `gunicorn`"
        );
    }

    #[test]
    fn kill_forms() {
        let expect = |hook: &[&str], sig: i32, target: SignalTarget| {
            let got = hook_signals(&v(hook));
            assert_eq!(got.len(), 1, "{hook:?}");
            assert_eq!(
                (got[0].signal, got[0].target.clone()),
                (sig, target),
                "{hook:?}"
            );
        };
        expect(&["kill", "-HUP", "1"], 1, SignalTarget::Pid(1));
        expect(&["kill", "1"], 15, SignalTarget::Pid(1));
        expect(&["/bin/kill", "-s", "USR1", "1"], 10, SignalTarget::Pid(1));
        expect(&["kill", "-1", "1"], 1, SignalTarget::Pid(1));
        expect(
            &["pkill", "-HUP", "-f", "uvicorn"],
            1,
            SignalTarget::Pattern {
                pattern: "uvicorn".into(),
                full: true,
            },
        );
        expect(
            &["killall", "-q", "-HUP", "gunicorn"],
            1,
            SignalTarget::Name("gunicorn".into()),
        );
    }

    #[test]
    fn shell_hooks_split_into_commands() {
        let got = hook_signals(&v(&[
            "sh",
            "-c",
            "echo synced && kill -HUP 1; pkill -f 'gunicorn: master'",
        ]));
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].target, SignalTarget::Pid(1));
        assert_eq!(
            got[1].target,
            SignalTarget::Pattern {
                pattern: "gunicorn: master".into(),
                full: true
            }
        );
        assert_eq!(
            got[1].via_shell.as_deref(),
            Some("echo synced && kill -HUP 1; pkill -f 'gunicorn: master'")
        );
        assert!(hook_signals(&v(&["touch", "/app/reload"])).is_empty());
    }
}
