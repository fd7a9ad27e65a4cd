//! The `skafix` command line: parses arguments, makes one engine call, post-processes the
//! findings (inline suppressions, then `skafix.toml` and the selection flags), renders them
//! and maps the outcome to an exit code. All printing and exiting happens here.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use skafix::config::{apply_suppressions, ConfigError, Resolver, RuleSelection};
use skafix::diagnostic::Severity;
use skafix::report::{self, terminal_safe, Format, RenderOptions, Report};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const CHECK_EXAMPLES: &str = "Examples:
  skafix check                       check every skaffold*.yaml under the current directory
  skafix check services/api -p dev   check one project with the `dev` profile active
  skafix check --format sarif --output-file skafix.sarif
  skafix check --select SYNC,RELOAD --ignore SYNC004";

#[derive(Parser, Debug)]
#[command(
    name = "skafix",
    version,
    about = "Finds out why code changes do not reach Kubernetes pods under Skaffold, and fixes it",
    after_help = "Examples:\n  skafix check\n  skafix fix --diff\n  skafix rule SCHEMA001\n\nExit codes: 0 no warning or error, 1 warnings or errors found, 2 usage, config or internal error."
)]
struct Cli {
    /// When to use colours: auto (a terminal and NO_COLOR unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    /// Print findings only: no summary line.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check Skaffold projects and report findings.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// Apply the fixes of findings (safe ones; unsafe ones with --unsafe-fixes).
    #[command(
        after_help = "Examples:\n  skafix fix --diff            show what would change, write nothing\n  skafix fix --unsafe-fixes    also apply fixes that may change behaviour"
    )]
    Fix(FixArgs),
    /// Inspect the pods of a running `skaffold dev` session (read-only).
    #[command(
        after_help = "Examples:\n  skafix probe --context kind-dev -n shop\n  skafix probe --selector app=api -p dev"
    )]
    Probe(ProbeArgs),
    /// Explain what `skaffold dev` does when these files change: sync (where to) or rebuild (why).
    #[command(
        after_help = "Examples:\n  skafix explain app/main.py\n  skafix explain --project services/api src/index.js -p dev --format json"
    )]
    Explain(ExplainArgs),
    /// Explain one rule: what it finds, why, examples, fix safety.
    #[command(
        after_help = "Examples:\n  skafix rule SCHEMA001\n  skafix rule SCHEMA001 --format json"
    )]
    Rule(RuleArgs),
    /// List every rule: code, name, severity, fix.
    #[command(after_help = "Examples:\n  skafix rules\n  skafix rules --format json")]
    Rules(RulesArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  skafix completions bash > /etc/bash_completion.d/skafix\n  skafix completions zsh > \"${fpath[1]}/_skafix\"\n  skafix completions fish > ~/.config/fish/completions/skafix.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: CompletionShell,
    },
}

#[derive(Args, Debug, Clone)]
struct CommonArgs {
    /// Activate profiles like Skaffold's -p (repeatable, or comma-separated; `-NAME` deactivates).
    #[arg(
        short = 'p',
        long = "profile",
        value_name = "NAME",
        allow_hyphen_values = true
    )]
    profiles: Vec<String>,
    /// Output format (default: full; github when GITHUB_ACTIONS=true).
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "PATH")]
    output_file: Option<PathBuf>,
    /// Exit 0 even when findings are reported (errors still exit 2).
    #[arg(long)]
    exit_zero: bool,
    /// Also read this file or directory outside the checked project (repeatable); it is never
    /// written. Paths a config names outside the git work tree are otherwise refused.
    #[arg(long, value_name = "PATH")]
    allow_outside: Vec<PathBuf>,
    /// Check without running kustomize or Helm (their manifests are then not analysed).
    #[arg(long)]
    no_render: bool,
    /// Use this config file for every checked file instead of the nearest skafix.toml.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Only these codes or prefixes (comma-separated), replacing the config's selection.
    #[arg(long, value_name = "CODES", help_heading = "Rule selection", value_parser = RuleCodes { selectors: true }, hide_possible_values = true)]
    select: Option<Vec<String>>,
    /// Also these codes or prefixes.
    #[arg(long, value_name = "CODES", help_heading = "Rule selection", value_parser = RuleCodes { selectors: true }, hide_possible_values = true)]
    extend_select: Vec<String>,
    /// Not these codes or prefixes.
    #[arg(long, value_name = "CODES", help_heading = "Rule selection", value_parser = RuleCodes { selectors: true }, hide_possible_values = true)]
    ignore: Vec<String>,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Files or directories to check (default: the current directory).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct FixArgs {
    /// Files or directories to fix (default: the current directory).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Print a unified diff of the fixes and write nothing.
    #[arg(long)]
    diff: bool,
    /// Also apply fixes marked unsafe.
    #[arg(long)]
    unsafe_fixes: bool,
    /// Exit 1 when anything was fixed, even if nothing is left.
    #[arg(long, conflicts_with = "exit_zero")]
    exit_non_zero_on_fix: bool,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct ProbeArgs {
    /// The project whose artifacts are probed (default: the current directory).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    context: Option<String>,
    /// Namespace of the pods.
    #[arg(short = 'n', long, value_name = "NAMESPACE")]
    namespace: Option<String>,
    /// Label selector of the pods, e.g. app=api.
    #[arg(long, value_name = "SELECTOR")]
    selector: Option<String>,
    /// Stop after this many seconds in all, reporting the containers examined by then; each API
    /// call and exec also times out on its own (after 20 seconds, or this if shorter).
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    timeout: u64,
    /// How many containers are examined at the same time (each runs one exec at a time).
    #[arg(long, value_name = "N", default_value_t = skafix::probe::DEFAULT_CONCURRENCY, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    concurrency: usize,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct RuleArgs {
    /// The rule's code, e.g. SCHEMA001.
    #[arg(value_parser = RuleCodes { selectors: false }, hide_possible_values = true)]
    code: String,
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    format: DocFormat,
}

#[derive(Args, Debug)]
struct ExplainArgs {
    /// Local files whose change to explain.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Where to look for skaffold*.yaml files (default: the current directory).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// Activate profiles like Skaffold's -p (repeatable, or comma-separated; `-NAME` deactivates).
    #[arg(
        short = 'p',
        long = "profile",
        value_name = "NAME",
        allow_hyphen_values = true
    )]
    profiles: Vec<String>,
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    format: DocFormat,
}

#[derive(Args, Debug)]
struct RulesArgs {
    #[arg(long, value_enum, default_value_t = DocFormat::Text)]
    format: DocFormat,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum DocFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum OutputFormat {
    Full,
    Concise,
    Json,
    JsonLines,
    Sarif,
    Github,
    Gitlab,
    Junit,
}

impl From<OutputFormat> for Format {
    fn from(format: OutputFormat) -> Format {
        match format {
            OutputFormat::Full => Format::Full,
            OutputFormat::Concise => Format::Concise,
            OutputFormat::Json => Format::Json,
            OutputFormat::JsonLines => Format::JsonLines,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Github => Format::Github,
            OutputFormat::Gitlab => Format::Gitlab,
            OutputFormat::Junit => Format::Junit,
        }
    }
}

/// Rule codes as the candidates shell completion offers for `rule`, and with the families and
/// `ALL` for `--select`, `--extend-select` and `--ignore`. Any text is accepted here: selectors
/// (comma-separated lists, prefixes, any case) are checked by the config layer, which names the
/// unknown one, and `rule` says how to list the codes.
#[derive(Clone)]
struct RuleCodes {
    selectors: bool,
}

impl clap::builder::TypedValueParser for RuleCodes {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let codes = all_rules()
            .into_iter()
            .map(|r| clap::builder::PossibleValue::new(r.code).help(r.summary));
        let families = skafix::config::FAMILIES
            .iter()
            .chain(["ALL"].iter())
            .filter(|_| self.selectors)
            .map(|f| clap::builder::PossibleValue::new(*f));
        Some(Box::new(codes.chain(families)))
    }
}

/// What ends a run early with exit code 2.
#[derive(Debug)]
struct CliError(String);

impl From<ConfigError> for CliError {
    fn from(err: ConfigError) -> Self {
        CliError(err.to_string())
    }
}

const EXIT_CLEAN: u8 = 0;
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_exit(err),
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(CliError(message)) => {
            // Errors name paths and values from the input: shown escaped like findings.
            let _ = writeln!(
                std::io::stderr(),
                "skafix: error: {}",
                terminal_safe(&message)
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Help and version go to stdout with 0; usage errors to stderr with 2, worded like our own
/// errors.
fn clap_exit(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            ExitCode::from(EXIT_CLEAN)
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = write!(std::io::stderr(), "{}", err.render());
            ExitCode::from(EXIT_ERROR)
        }
        _ => {
            let rendered = err.render().to_string();
            let text = rendered.strip_prefix("error: ").unwrap_or(&rendered);
            let _ = write!(std::io::stderr(), "skafix: error: {text}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli) -> Result<u8, CliError> {
    let color = use_color(cli.color);
    match cli.command {
        Command::Check(args) => check(&args, color, cli.quiet),
        Command::Fix(args) => fix(&args, color, cli.quiet),
        Command::Probe(args) => probe(&args, color, cli.quiet),
        Command::Explain(args) => explain(&args),
        Command::Rule(args) => rule(&args),
        Command::Rules(args) => rules(&args),
        Command::Completions { shell } => {
            let shell = match shell {
                CompletionShell::Bash => clap_complete::Shell::Bash,
                CompletionShell::Zsh => clap_complete::Shell::Zsh,
                CompletionShell::Fish => clap_complete::Shell::Fish,
            };
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "skafix", &mut script);
            write_stdout(&String::from_utf8_lossy(&script))?;
            Ok(EXIT_CLEAN)
        }
    }
}

/// `--color auto` means colour on a terminal unless NO_COLOR is set to something non-empty
/// (no-color.org); an explicit `--color always` wins over NO_COLOR.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            !no_color && std::io::stdout().is_terminal()
        }
    }
}

/// The format asked for, or github inside GitHub Actions, or full.
fn output_format(common: &CommonArgs) -> Format {
    match common.format {
        Some(format) => format.into(),
        None if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") => Format::Github,
        None => Format::Full,
    }
}

/// `-p a,b -p c` as the engine takes it: one entry per profile.
fn split_profiles(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

fn check(args: &CheckArgs, color: bool, quiet: bool) -> Result<u8, CliError> {
    let common = &args.common;
    let (mut resolver, options) = prepare(&args.paths, common)?;
    let outcome = skafix::engine::check(&options).map_err(|err| CliError(err.to_string()))?;
    let diagnostics = apply_suppressions(outcome.diagnostics, &outcome.sources);
    let mut diagnostics = resolver.apply(diagnostics)?;
    report::sort_diagnostics(&mut diagnostics);
    let format = output_format(common);
    let writes_file = common.output_file.is_some();
    let options = RenderOptions {
        color: color && !writes_file,
        summary: !quiet,
        width: terminal_width(),
    };
    let text = report::render(
        format,
        &Report {
            diagnostics: &diagnostics,
            sources: &outcome.sources,
            files_checked: files_checked(&outcome.sources, &diagnostics),
        },
        &options,
    );
    emit(&text, common.output_file.as_deref())?;
    // The process exits next: freeing what the check built (a monorepo's parsed files and
    // listings) would only add time.
    std::mem::forget(outcome.retained);
    std::mem::forget(outcome.sources);
    // Every config was unreadable or unparseable: the findings say why, and nothing was checked.
    if outcome.files_checked == 0 {
        return Ok(EXIT_ERROR);
    }
    let failing = diagnostics
        .iter()
        .any(|d| matches!(d.severity, Severity::Warning | Severity::Error));
    Ok(if failing && !common.exit_zero {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// The config resolver (configs of the checked paths loaded up front, so a broken config is
/// an error even when there are no findings to filter) and the engine's options.
fn prepare(
    paths: &[PathBuf],
    common: &CommonArgs,
) -> Result<(Resolver, skafix::engine::CheckOptions), CliError> {
    let cwd = std::env::current_dir()
        .map_err(|err| CliError(format!("cannot read the working directory: {err}")))?;
    let selection = RuleSelection::from_flags(
        common.select.as_deref(),
        &common.extend_select,
        &common.ignore,
    )?;
    let roots = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut resolver =
        Resolver::new(&cwd, common.config.as_deref(), selection)?.within_roots_of(&roots);
    let mut render = skafix::render::RenderOptions {
        enabled: !common.no_render,
        ..Default::default()
    };
    for path in &roots {
        if let Some(config) = resolver.config_for(path)? {
            let settings = &config.render;
            if settings.enabled == Some(false) {
                render.enabled = false;
            }
            if settings.environment == Some(true) {
                render.environment = true;
            }
            if let Some(seconds) = settings.timeout_seconds {
                render.timeout = std::time::Duration::from_secs(seconds.clamp(1, 600));
            }
        }
    }
    let options = skafix::engine::CheckOptions {
        paths: paths.to_vec(),
        profiles: split_profiles(&common.profiles),
        allow_outside: common.allow_outside.clone(),
        render,
        ..Default::default()
    };
    Ok((resolver, options))
}

/// `skafix fix`: the fix loop sees findings after suppressions and the config, so a
/// suppressed or unfixable finding is never fixed. Prints the diff (`--diff`) or the findings
/// left, in the chosen format.
fn fix(args: &FixArgs, color: bool, quiet: bool) -> Result<u8, CliError> {
    let common = &args.common;
    let (mut resolver, check_options) = prepare(&args.paths, common)?;
    let options = skafix::fix::FixOptions {
        check: check_options,
        unsafe_fixes: args.unsafe_fixes,
        diff_only: args.diff,
    };
    let mut filter = |outcome: &mut skafix::engine::CheckOutcome| {
        let found = std::mem::take(&mut outcome.diagnostics);
        let found = apply_suppressions(found, &outcome.sources);
        outcome.diagnostics = resolver
            .apply(found)
            .map_err(|err| skafix::engine::EngineError {
                message: err.to_string(),
            })?;
        Ok(())
    };
    let outcome = skafix::fix::run_with(&options, &mut skafix::engine::check, &mut filter)
        .map_err(|err| CliError(err.to_string()))?;
    let mut stderr = std::io::stderr().lock();
    if !quiet {
        let verb = if outcome.diff.is_some() {
            "would fix"
        } else {
            "fixed"
        };
        for fixed in &outcome.applied {
            let _ = writeln!(
                stderr,
                "{verb} {}:{} {} {}",
                fixed.path.display(),
                fixed.line,
                fixed.code,
                fixed.message
            );
        }
    }
    for (path, message, why) in &outcome.failed {
        let _ = writeln!(
            stderr,
            "skafix: warning: {}: fix not applied ({}): {}",
            terminal_safe(&path.display().to_string()),
            terminal_safe(message),
            terminal_safe(why)
        );
    }
    if let Some(diff) = &outcome.diff {
        emit(diff, common.output_file.as_deref())?;
        if !quiet {
            let _ = writeln!(
                stderr,
                "Would fix {} in {}.",
                count(outcome.applied.len(), "finding", "findings"),
                count(outcome.files_changed, "file", "files")
            );
        }
        return Ok(if outcome.files_changed > 0 && !common.exit_zero {
            EXIT_FINDINGS
        } else {
            EXIT_CLEAN
        });
    }
    let mut remaining = outcome.remaining.diagnostics.clone();
    report::sort_diagnostics(&mut remaining);
    let format = output_format(common);
    let text = report::render(
        format,
        &Report {
            diagnostics: &remaining,
            sources: &outcome.remaining.sources,
            files_checked: files_checked(&outcome.remaining.sources, &remaining),
        },
        &RenderOptions {
            color: color && common.output_file.is_none(),
            summary: !quiet,
            width: terminal_width(),
        },
    );
    emit(&text, common.output_file.as_deref())?;
    if !quiet {
        let _ = writeln!(
            stderr,
            "Fixed {} in {}.",
            count(outcome.applied.len(), "finding", "findings"),
            count(outcome.files_changed, "file", "files")
        );
    }
    let failing = remaining
        .iter()
        .any(|d| matches!(d.severity, Severity::Warning | Severity::Error));
    let fixed = outcome.files_changed > 0 && args.exit_non_zero_on_fix;
    Ok(if (failing || fixed) && !common.exit_zero {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// The summary's number of files checked: every file read (configs, Dockerfiles,
/// `.dockerignore` files, manifests), and any file a finding names although it could not be
/// read (a symlink loop, say).
fn files_checked(
    sources: &std::collections::BTreeMap<PathBuf, std::sync::Arc<skafix::source::SourceFile>>,
    diagnostics: &[skafix::diagnostic::Diagnostic],
) -> usize {
    let mut files: std::collections::BTreeSet<&Path> =
        sources.keys().map(PathBuf::as_path).collect();
    files.extend(diagnostics.iter().map(|d| d.path.as_path()));
    files.len()
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `skafix probe`: the artifacts of the profile-resolved project, looked for in the cluster;
/// the findings are rendered like `check`'s, then each pod's "what to do now" steps.
fn probe(args: &ProbeArgs, color: bool, quiet: bool) -> Result<u8, CliError> {
    let common = &args.common;
    let (mut resolver, options) = prepare(&args.paths, common)?;
    let targets =
        skafix::probe::load_probe_targets(&options).map_err(|err| CliError(err.to_string()))?;
    if targets.is_empty() {
        // Without artifacts there is no image to look for; connecting would prove nothing.
        let place = if args.paths.is_empty() {
            ".".to_string()
        } else {
            args.paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let profiles = if common.profiles.is_empty() {
            ""
        } else {
            " with the selected profiles"
        };
        return Err(CliError(format!(
            "nothing to probe: the Skaffold config in {place} has no build artifacts{profiles}"
        )));
    }
    let mut request = skafix::probe::ProbeRequest::new(targets);
    request.kubeconfig = args.kubeconfig.clone();
    request.context = args.context.clone();
    request.namespace = args.namespace.clone();
    request.selector = args.selector.clone();
    request.deadline = std::time::Duration::from_secs(args.timeout);
    request.concurrency = args.concurrency;
    // Build contexts outside the checked project are not read, exactly as for `check`.
    request.roots = skafix::project::Roots::of_paths(&options.paths, &options.allow_outside);
    let probed = skafix::probe::run(&request).map_err(|err| CliError(err.to_string()))?;
    let sources: std::collections::BTreeMap<PathBuf, std::sync::Arc<skafix::source::SourceFile>> =
        probed
            .diagnostics
            .iter()
            .filter_map(|d| {
                let text = skafix::project::read_text(&d.path).ok()?;
                Some((
                    d.path.clone(),
                    std::sync::Arc::new(skafix::source::SourceFile::new(d.path.clone(), text)),
                ))
            })
            .collect();
    let mut diagnostics = resolver.apply(probed.diagnostics.clone())?;
    report::sort_diagnostics(&mut diagnostics);
    let text = report::render(
        output_format(common),
        &Report {
            diagnostics: &diagnostics,
            sources: &sources,
            files_checked: files_checked(&sources, &diagnostics),
        },
        &RenderOptions {
            color: color && common.output_file.is_none(),
            summary: !quiet,
            width: terminal_width(),
        },
    );
    emit(&text, common.output_file.as_deref())?;
    if !quiet && output_format(common).is_human() {
        let mut stdout = std::io::stdout().lock();
        for pod in probed.pods.iter().filter(|p| !p.steps.is_empty()) {
            // Pod and container names and the steps (which quote what pods print) come from
            // the cluster: shown escaped.
            let _ = writeln!(
                stdout,
                "\nWhat to do now for pod {} (container {}):",
                terminal_safe(&pod.pod),
                terminal_safe(&pod.container)
            );
            for (i, step) in pod.steps.iter().enumerate() {
                let _ = writeln!(stdout, "  {}. {}", i + 1, terminal_safe(step));
            }
        }
    }
    if probed.nothing_probed() {
        let _ = writeln!(
            std::io::stderr(),
            "skafix: error: nothing could be probed: no container of the project's artifacts could be examined (see the findings above)"
        );
        return Ok(EXIT_ERROR);
    }
    let failing = diagnostics
        .iter()
        .any(|d| matches!(d.severity, Severity::Warning | Severity::Error));
    Ok(if failing && !common.exit_zero {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

fn all_rules() -> Vec<&'static skafix::rules::Rule> {
    let mut rules: Vec<&'static skafix::rules::Rule> = skafix::rules::all().to_vec();
    for rule in skafix::config::suppression::RULES {
        if !rules.iter().any(|r| r.code == rule.code) {
            rules.push(rule);
        }
    }
    rules.sort_by_key(|r| r.code);
    rules
}

fn find_rule(code: &str) -> Option<&'static skafix::rules::Rule> {
    all_rules()
        .into_iter()
        .find(|r| r.code.eq_ignore_ascii_case(code))
}

fn fix_label(fix: skafix::rules::FixAvailability) -> &'static str {
    use skafix::diagnostic::Applicability::{DisplayOnly, Safe, Unsafe};
    use skafix::rules::FixAvailability::{Always, None, Sometimes};
    match fix {
        None => "none",
        Sometimes(Safe) | Always(Safe) => "safe",
        Sometimes(Unsafe) | Always(Unsafe) => "unsafe",
        Sometimes(DisplayOnly) | Always(DisplayOnly) => "display-only",
    }
}

fn rule_json(rule: &skafix::rules::Rule) -> serde_json::Value {
    serde_json::json!({
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.as_str(),
        "fix": fix_label(rule.fix),
        "summary": rule.summary,
        "doc": rule.doc,
    })
}

fn explain(args: &ExplainArgs) -> Result<u8, CliError> {
    let options = skafix::project::CheckOptions {
        paths: args.project.iter().cloned().collect(),
        profiles: args.profiles.clone(),
        ..Default::default()
    };
    for file in &args.files {
        if !file.exists() {
            return Err(CliError(format!(
                "{}: no such file or directory",
                file.display()
            )));
        }
    }
    let answers =
        skafix::explain::explain(&options, &args.files).map_err(|e| CliError(e.message))?;
    let text = match args.format {
        DocFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&answers).unwrap_or_default()
        ),
        DocFormat::Text => explain_text(&args.files, &answers),
    };
    write_stdout(&text)?;
    Ok(EXIT_CLEAN)
}

/// The answers grouped by file; names from the project are escaped for the terminal.
fn explain_text(files: &[PathBuf], answers: &[skafix::explain::Answer]) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .flat_map(|c| {
                if c.is_control() {
                    c.escape_default().collect::<Vec<_>>()
                } else {
                    vec![c]
                }
            })
            .collect()
    };
    let mut out = String::new();
    for file in files {
        let asked = file.display().to_string();
        out.push_str(&format!("{}\n", safe(&asked)));
        let mine: Vec<_> = answers.iter().filter(|a| a.file == asked).collect();
        if mine.is_empty() {
            out.push_str("  no artifact watches it: it is in no artifact's context\n");
        }
        for a in mine {
            let profile = a
                .profile
                .as_ref()
                .map(|p| format!(" [profile {}]", safe(p)))
                .unwrap_or_default();
            out.push_str(&format!(
                "  artifact `{}` ({}){profile}: {}\n",
                safe(&a.artifact),
                safe(&a.config),
                a.outcome.as_str()
            ));
            for copy in &a.copied_by {
                out.push_str(&format!("    copied by   {}\n", safe(copy)));
            }
            if let Some(ignored) = &a.ignored_by {
                out.push_str(&format!("    ignored by  {}\n", safe(ignored)));
            }
            if let Some(rule) = &a.sync_rule {
                out.push_str(&format!("    sync rule   {}\n", safe(rule)));
            }
            if let Some(dest) = &a.container_path {
                out.push_str(&format!("    synced to   {}\n", safe(dest)));
            }
            out.push_str(&format!("    why         {}\n", safe(&a.reason)));
        }
    }
    out
}

fn rule(args: &RuleArgs) -> Result<u8, CliError> {
    let Some(rule) = find_rule(&args.code) else {
        return Err(CliError(format!(
            "unknown rule code `{}` (`skafix rules` lists every rule)",
            args.code
        )));
    };
    let text = match args.format {
        DocFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&rule_json(rule)).unwrap_or_default()
        ),
        DocFormat::Text => {
            let mut doc = rule.doc.trim_end().to_string();
            if doc.is_empty() {
                doc = format!("# {}: {}\n\n{}", rule.code, rule.name, rule.summary);
            }
            doc.push('\n');
            doc
        }
    };
    write_stdout(&text)?;
    Ok(EXIT_CLEAN)
}

fn rules(args: &RulesArgs) -> Result<u8, CliError> {
    let rules = all_rules();
    let text = match args.format {
        DocFormat::Json => {
            let list: Vec<serde_json::Value> = rules.iter().map(|r| rule_json(r)).collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            )
        }
        DocFormat::Text => {
            let name_width = rules.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
            let mut text = format!(
                "{:<10} {:<name_width$} {:<8} {:<12} SUMMARY\n",
                "CODE", "NAME", "SEVERITY", "FIX"
            );
            for rule in &rules {
                text.push_str(&format!(
                    "{:<10} {:<name_width$} {:<8} {:<12} {}\n",
                    rule.code,
                    rule.name,
                    rule.severity.as_str(),
                    fix_label(rule.fix),
                    rule.summary
                ));
            }
            text
        }
    };
    write_stdout(&text)?;
    Ok(EXIT_CLEAN)
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|w: &usize| *w >= 40)
        .unwrap_or(100)
}

fn emit(text: &str, output_file: Option<&Path>) -> Result<(), CliError> {
    match output_file {
        Some(path) => std::fs::write(path, text)
            .map_err(|err| CliError(format!("cannot write {}: {err}", path.display()))),
        None => write_stdout(text),
    }
}

/// Writes to stdout; a closed pipe (`skafix check | head`) is not an error.
fn write_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(CliError(format!("cannot write output: {err}"))),
    }
}
