//! Tests of config parsing, rule selection layers, per-file ignores and discovery.

use super::*;
use crate::diagnostic::{Applicability, Edit, Fix};
use crate::source::Span;

fn diag(code: &'static str, path: &str) -> Diagnostic {
    Diagnostic::new(
        code,
        "name",
        Severity::Warning,
        path,
        Span::new(0, 1),
        "message",
    )
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("/project/skafix.toml"), text)
}

#[test]
fn unknown_key_is_an_error_with_its_line() {
    let err = parse("select = [\"SUP\"]\nslect = [\"SUP001\"]\n").unwrap_err();
    assert_eq!(err.path.as_deref(), Some(Path::new("/project/skafix.toml")));
    assert_eq!(err.line, Some(2));
    assert_eq!(err.column, Some(1));
    assert!(
        err.message.starts_with("unknown field `slect`"),
        "{}",
        err.message
    );
    assert!(err
        .to_string()
        .starts_with("/project/skafix.toml:2:1: unknown field `slect`"));
}

#[test]
fn unknown_code_is_an_error_at_the_code() {
    let err = parse("ignore = [\"SUP001\",\n  \"SNYC001\"]\n").unwrap_err();
    assert_eq!((err.line, err.column), (Some(2), Some(3)));
    assert_eq!(err.message, "unknown rule code or prefix `SNYC001`");
    let err = parse("[severity]\nZZZ123 = \"error\"\n").unwrap_err();
    assert_eq!(
        (err.line, err.message.as_str()),
        (Some(2), "unknown rule code or prefix `ZZZ123`")
    );
    let err = parse("[per-file-ignores]\n\"a/**\" = [\"SUP\", \"NOPE\"]\n").unwrap_err();
    assert_eq!(err.line, Some(2));
    assert_eq!(err.message, "unknown rule code or prefix `NOPE`");
}

#[test]
fn bad_severity_and_glob_are_errors() {
    let err = parse("[severity]\nSUP001 = \"fatal\"\n").unwrap_err();
    assert_eq!(err.line, Some(2));
    assert_eq!(
        err.message,
        "unknown severity `fatal` (expected error, warning or info)"
    );
    let err = parse("[per-file-ignores]\n\"a/[\" = [\"SUP\"]\n").unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(
        err.message.starts_with("invalid glob `a/[`"),
        "{}",
        err.message
    );
    let err = parse("select = \"SUP\"\n").unwrap_err();
    assert_eq!(err.line, Some(1));
}

#[test]
fn selectors_accept_codes_families_prefixes_and_all() {
    assert_eq!(Selector::parse("sup001").unwrap().as_str(), "SUP001");
    assert!(
        Selector::parse("SYNC").is_ok(),
        "families are valid before their rules exist"
    );
    assert!(Selector::parse("SUP00").is_ok());
    assert!(Selector::parse("ALL").unwrap().matches("SYNC001"));
    assert!(Selector::parse("SU").is_ok(), "a prefix of a known code");
    assert!(Selector::parse("SX").is_err());
    assert!(Selector::parse("").is_err());
}

#[test]
fn more_specific_selector_wins_and_ties_disable() {
    let config = parse("select = [\"SUP001\"]\nignore = [\"SUP\"]\n").unwrap();
    let cli = RuleSelection::default();
    assert!(is_enabled(Some(&config), &cli, "SUP001"));
    assert!(!is_enabled(Some(&config), &cli, "SUP002"));
    assert!(
        !is_enabled(Some(&config), &cli, "SCHEMA001"),
        "select narrows"
    );
    let config = parse("ignore = [\"SUP001\"]\nextend-select = [\"SUP001\"]\n").unwrap();
    assert!(!is_enabled(Some(&config), &cli, "SUP001"));
    assert!(
        is_enabled(Some(&config), &cli, "SCHEMA001"),
        "default is every rule"
    );
}

#[test]
fn command_line_layer_overrides_the_config() {
    let config = parse("ignore = [\"SUP001\"]\n").unwrap();
    let select = vec!["SUP".to_string()];
    let cli = RuleSelection::from_flags(Some(&select), &[], &[]).unwrap();
    assert!(
        is_enabled(Some(&config), &cli, "SUP001"),
        "--select resets the config's layer"
    );
    assert!(!is_enabled(Some(&config), &cli, "SCHEMA001"));
    let ignore = vec!["SCHEMA,SUP002".to_string()];
    let cli = RuleSelection::from_flags(None, &[], &ignore).unwrap();
    assert!(
        !is_enabled(Some(&config), &cli, "SUP001"),
        "config ignore kept"
    );
    assert!(!is_enabled(Some(&config), &cli, "SUP002"));
    assert!(!is_enabled(None, &cli, "SCHEMA001"));
    let extend = vec!["SUP001".to_string()];
    let cli = RuleSelection::from_flags(None, &extend, &[]).unwrap();
    assert!(is_enabled(Some(&config), &cli, "SUP001"));
    let bad = vec!["NOPE1".to_string()];
    let err = RuleSelection::from_flags(Some(&bad), &[], &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "--select: unknown rule code or prefix `NOPE1`"
    );
}

#[test]
fn per_file_ignores_match_relative_to_the_config_and_by_name() {
    let config = parse(
        "[per-file-ignores]\n\"legacy/**\" = [\"SUP001\"]\n\"Dockerfile.*\" = [\"SUP002\"]\n\"!keep/*.yaml\" = [\"SCHEMA\"]\n",
    )
    .unwrap();
    let cli = RuleSelection::default();
    let keep = |code: &'static str, path: &str| {
        apply_config(diag(code, path), Path::new(path), Some(&config), &cli).is_some()
    };
    assert!(!keep("SUP001", "/project/legacy/a/skaffold.yaml"));
    assert!(keep("SUP001", "/project/new/skaffold.yaml"));
    assert!(!keep("SUP002", "/project/svc/Dockerfile.dev"));
    assert!(keep("SUP002", "/project/svc/Dockerfile"));
    assert!(
        keep("SCHEMA001", "/project/keep/skaffold.yaml"),
        "negated glob matches"
    );
    assert!(!keep("SCHEMA001", "/project/other/skaffold.yaml"));
}

#[test]
fn severity_overrides_and_unfixable_codes() {
    let config = parse(
        "unfixable = [\"SUP\"]\nfixable = [\"ALL\"]\n[severity]\nSUP = \"info\"\nSUP001 = \"error\"\n",
    )
    .unwrap();
    let cli = RuleSelection::default();
    let mut d = diag("SUP001", "/project/a.yaml");
    d.fix = Some(Fix {
        applicability: Applicability::Safe,
        message: "drop".into(),
        edits: vec![Edit {
            path: "a.yaml".into(),
            start: 0,
            end: 1,
            content: String::new(),
        }],
    });
    let adjusted =
        apply_config(d.clone(), Path::new("/project/a.yaml"), Some(&config), &cli).unwrap();
    assert_eq!(
        adjusted.severity,
        Severity::Error,
        "most specific entry wins"
    );
    assert_eq!(adjusted.fix, None);
    d.code = "SUP002";
    let adjusted =
        apply_config(d.clone(), Path::new("/project/a.yaml"), Some(&config), &cli).unwrap();
    assert_eq!(adjusted.severity, Severity::Info);
    let config = parse("fixable = [\"SUP001\"]\n").unwrap();
    assert!(config.is_fixable("SUP001"));
    assert!(!config.is_fixable("SUP002"));
    let unchanged = apply_config(d, Path::new("/x/a.yaml"), None, &cli).unwrap();
    assert_eq!(unchanged.severity, Severity::Warning);
    assert!(unchanged.fix.is_some());
}

#[test]
fn nearest_config_wins_without_merging() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::write(root.join("skafix.toml"), "ignore = [\"SUP001\"]\n").unwrap();
    std::fs::write(root.join("sub/skafix.toml"), "ignore = [\"SUP002\"]\n").unwrap();
    let mut resolver = Resolver::new(root, None, RuleSelection::default()).unwrap();
    let kept = resolver
        .apply(vec![
            diag("SUP001", "a.yaml"),
            diag("SUP002", "a.yaml"),
            diag("SUP001", "sub/deeper/b.yaml"),
            diag("SUP002", "sub/deeper/b.yaml"),
        ])
        .unwrap();
    let got: Vec<(&str, String)> = kept
        .iter()
        .map(|d| (d.code, d.path.display().to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("SUP002", "a.yaml".to_string()),
            ("SUP001", "sub/deeper/b.yaml".to_string())
        ]
    );
    let found = resolver
        .config_for(Path::new("sub/./deeper/../deeper"))
        .unwrap()
        .unwrap();
    assert_eq!(found.path, root.join("sub/skafix.toml"));
}

#[test]
fn explicit_config_applies_everywhere_and_errors_carry_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("sub/skafix.toml"), "ignore = [\"SUP002\"]\n").unwrap();
    std::fs::write(root.join("ci.toml"), "ignore = [\"SUP001\"]\n").unwrap();
    let mut resolver =
        Resolver::new(root, Some(Path::new("ci.toml")), RuleSelection::default()).unwrap();
    let kept = resolver
        .apply(vec![
            diag("SUP001", "sub/a.yaml"),
            diag("SUP002", "sub/a.yaml"),
        ])
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].code, "SUP002");

    std::fs::write(root.join("sub/skafix.toml"), "\n\nbogus = 1\n").unwrap();
    let mut resolver = Resolver::new(root, None, RuleSelection::default()).unwrap();
    let err = resolver
        .apply(vec![diag("SUP001", "sub/a.yaml")])
        .unwrap_err();
    assert_eq!(err.path, Some(PathBuf::from("sub/skafix.toml")));
    assert_eq!(err.line, Some(3));
    let err = Resolver::new(
        root,
        Some(Path::new("missing.toml")),
        RuleSelection::default(),
    )
    .unwrap_err();
    assert!(
        err.message.starts_with("cannot read config:"),
        "{}",
        err.message
    );
}

#[test]
fn render_table_turns_rendering_off_and_rejects_unknown_keys() {
    let config = parse("[render]\nenabled = false\ntimeout-seconds = 5\n").unwrap();
    assert_eq!(
        config.render,
        RenderSettings {
            enabled: Some(false),
            environment: None,
            timeout_seconds: Some(5),
        }
    );
    let err = parse("[render]\nenable-helm = true\n").unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(
        err.message.contains("unknown field `enable-helm`"),
        "{}",
        err.message
    );
}

#[test]
fn a_config_above_the_checked_root_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let outer = dir.path();
    std::fs::write(outer.join("skafix.toml"), "ignore = [\"SUP001\"]\n").unwrap();
    // Outside git, the checked path is its own root: the config above it is not read.
    let project = outer.join("project");
    std::fs::create_dir_all(project.join("k8s")).unwrap();
    let mut resolver = Resolver::new(outer, None, RuleSelection::default())
        .unwrap()
        .within_roots_of(&[PathBuf::from("project")]);
    assert!(resolver
        .config_for(Path::new("project/k8s"))
        .unwrap()
        .is_none());
    let kept = resolver
        .apply(vec![diag("SUP001", "project/k8s/a.yaml")])
        .unwrap();
    assert_eq!(kept.len(), 1);

    // In a git work tree, the work tree is the root: its config applies to a checked
    // subdirectory, the one above it does not.
    let repo = outer.join("repo");
    std::fs::create_dir_all(repo.join("services/app")).unwrap();
    std::fs::write(repo.join(".git"), "gitdir: elsewhere\n").unwrap();
    let mut resolver = Resolver::new(outer, None, RuleSelection::default())
        .unwrap()
        .within_roots_of(&[PathBuf::from("repo/services/app")]);
    assert!(resolver
        .config_for(Path::new("repo/services/app"))
        .unwrap()
        .is_none());
    std::fs::write(repo.join("skafix.toml"), "ignore = [\"SUP002\"]\n").unwrap();
    let mut resolver = Resolver::new(outer, None, RuleSelection::default())
        .unwrap()
        .within_roots_of(&[PathBuf::from("repo/services/app")]);
    let found = resolver
        .config_for(Path::new("repo/services/app"))
        .unwrap()
        .unwrap();
    assert_eq!(found.path, repo.join("skafix.toml"));
}
