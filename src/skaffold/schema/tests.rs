use super::*;
use crate::yaml;

fn check(text: &str, version: &str) -> Vec<SchemaIssue> {
    let docs = yaml::parse(text).expect("fixture parses");
    let schema =
        schema_for(known_version(version).expect("known version")).expect("tabled version");
    docs.iter()
        .flat_map(|doc| validate(doc, text, schema))
        .collect()
}

/// The span of the `nth` (0-based) occurrence of `needle`.
fn span_of(text: &str, needle: &str, nth: usize) -> Span {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .map(|(index, _)| index)
        .expect("needle in fixture");
    Span::new(start, start + needle.len())
}

#[test]
fn versions_are_ordered_and_tracked() {
    let v2beta19 = known_version("skaffold/v2beta19").unwrap();
    let v2beta29 = known_version("skaffold/v2beta29").unwrap();
    let v3alpha1 = known_version("skaffold/v3alpha1").unwrap();
    let v4beta9 = known_version("skaffold/v4beta9").unwrap();
    let v4beta10 = known_version("skaffold/v4beta10").unwrap();
    assert!(v2beta19 < v2beta29 && v2beta29 < v3alpha1 && v3alpha1 < v4beta9 && v4beta9 < v4beta10);
    assert_eq!(v2beta29.track(), Track::V1);
    assert_eq!(v3alpha1.track(), Track::V2);
    assert_eq!(known_version("skaffold/v1").unwrap().track(), Track::V1);
    assert_eq!(known_version("skaffold/v1alpha1"), all_versions().next());
    assert_eq!(latest().name(), LATEST);
    assert_eq!(all_versions().count(), 72);
    assert!(!is_outdated("skaffold/v4beta14"));
    assert!(is_outdated("skaffold/v4beta13"));
    assert!(!is_outdated("skaffold/v9"));
    assert_eq!(known_version("skaffold/v4beta15"), None);
    assert_eq!(known_version(" skaffold/v4beta14"), None);
    assert_eq!(
        known_version("skaffold/v2beta29").unwrap().to_string(),
        "skaffold/v2beta29"
    );
}

#[test]
fn tables_cover_v2beta19_to_latest() {
    let tabled: Vec<&str> = all_versions()
        .filter(|v| schema_for(*v).is_some())
        .map(Version::name)
        .collect();
    assert_eq!(tabled.first(), Some(&OLDEST_WITH_SCHEMA));
    assert_eq!(tabled.last(), Some(&LATEST));
    assert_eq!(tabled.len(), 27);
    assert!(schema_for(known_version("skaffold/v2beta18").unwrap()).is_none());
    for version in all_versions().filter_map(schema_for) {
        let root = version.root().expect("root type");
        assert_eq!(
            root.required,
            &["apiVersion", "kind"],
            "{}",
            version.version
        );
        assert!(version.types.windows(2).all(|w| w[0].name < w[1].name));
        for object in version.types {
            assert!(
                object.fields.windows(2).all(|w| w[0].key < w[1].key),
                "{}",
                object.name
            );
            for field in object.fields {
                let mut ty = field.ty;
                while let ValueType::List(item) = ty {
                    ty = *item;
                }
                if let ValueType::Object(name) = ty {
                    assert!(
                        version.object(name).is_some(),
                        "{} -> {name}",
                        version.version
                    );
                }
            }
        }
    }
}

#[test]
fn key_tables_match_skaffold() {
    let latest = schema_for(latest()).unwrap();
    let v2beta19 = schema_for(known_version("skaffold/v2beta19").unwrap()).unwrap();
    assert_eq!(
        latest.type_at(&["build", "artifacts", "sync", "auto"]),
        Some(ValueType::Bool)
    );
    assert_eq!(
        v2beta19.type_at(&["build", "artifacts", "sync", "auto"]),
        Some(ValueType::Bool)
    );
    assert_eq!(
        latest.type_at(&["build", "artifacts", "sync", "manual"]),
        Some(ValueType::List(&ValueType::Object("SyncRule")))
    );
    assert_eq!(
        latest.object("SyncRule").unwrap().required,
        &["src", "dest"]
    );
    assert_eq!(
        latest.object("Sync").unwrap().keys().collect::<Vec<_>>(),
        ["auto", "hooks", "infer", "manual"]
    );
    assert_eq!(
        latest.object("Sync").unwrap().one_of,
        &[OneOf {
            name: "sync",
            keys: &["auto", "infer", "manual"]
        }]
    );
    assert_eq!(
        latest.type_at(&["build", "artifacts", "docker", "buildArgs"]),
        Some(ValueType::StringMap)
    );
    assert_eq!(
        latest.type_at(&[
            "build",
            "artifacts",
            "sync",
            "hooks",
            "after",
            "container",
            "command"
        ]),
        Some(ValueType::List(&ValueType::String))
    );
    assert_eq!(
        latest.type_at(&["portForward", "port"]),
        Some(ValueType::IntOrString)
    );
    assert_eq!(
        latest.type_at(&["build", "local", "concurrency"]),
        Some(ValueType::Int)
    );
    assert_eq!(
        latest.type_at(&["profiles", "patches", "value"]),
        Some(ValueType::Any)
    );
    assert_eq!(
        latest.type_at(&["deploy", "helm", "releases", "setValues"]),
        Some(ValueType::AnyMap)
    );
    assert_eq!(
        latest.type_at(&["manifests", "transform"]),
        Some(ValueType::List(&ValueType::Object("Transformer")))
    );
    assert_eq!(
        latest.type_at(&["build", "hooks", "before", "command"]),
        Some(ValueType::List(&ValueType::String))
    );
    assert_eq!(
        latest.type_at(&["build", "artifacts", "buildpacks", "buildArgs"]),
        Some(ValueType::List(&ValueType::String))
    );
    let v4beta13 = schema_for(known_version("skaffold/v4beta13").unwrap()).unwrap();
    assert_eq!(
        v4beta13.type_at(&["build", "artifacts", "buildpacks", "buildArgs"]),
        None
    );
    assert_eq!(v2beta19.type_at(&["manifests"]), None);
    assert_eq!(
        v2beta19.type_at(&["deploy", "kubectl", "manifests"]),
        Some(ValueType::List(&ValueType::String))
    );
    assert_eq!(latest.type_at(&["deploy", "kubectl", "manifests"]), None);
    // Hooks were `yaml:"-"` (not decodable) in v2beta19; artifact hooks arrive in v2beta20.
    assert_eq!(
        v2beta19.type_at(&["build", "artifacts", "sync", "hooks"]),
        None
    );
    assert_eq!(
        key_versions("Sync", "hooks"),
        Some(("skaffold/v2beta20", LATEST))
    );
    assert_eq!(
        key_versions("KubectlDeploy", "hooks"),
        Some(("skaffold/v2beta21", LATEST))
    );
    assert_eq!(
        key_versions("BuildConfig", "hooks"),
        Some(("skaffold/v4beta7", LATEST))
    );
    assert_eq!(
        key_versions("KubectlDeploy", "manifests"),
        Some(("skaffold/v2beta19", "skaffold/v2beta29"))
    );
    // yaml.v3 reads json-only-tagged Go fields under their lower-cased names, which the JSON
    // schemas of v4beta4..v4beta11 leave out.
    let v4beta4 = schema_for(known_version("skaffold/v4beta4").unwrap()).unwrap();
    assert_eq!(
        v4beta4.type_at(&["verify", "container", "env", "value"]),
        Some(ValueType::String)
    );
    assert_eq!(v4beta4.object("VerifyEnvVar").unwrap().required, &["name"]);
    let artifact = latest.object("Artifact").unwrap();
    assert_eq!(artifact.required, &["image"]);
    assert_eq!(
        artifact.one_of,
        &[OneOf {
            name: "artifact",
            keys: &[
                "bazel",
                "buildpacks",
                "custom",
                "docker",
                "jib",
                "kaniko",
                "ko"
            ]
        }]
    );
    assert!(latest.object("KanikoArtifact").unwrap().lenient);
    assert!(latest.object("ClusterDetails").unwrap().lenient);
    assert!(!latest.object("DockerArtifact").unwrap().lenient);
    let top: Vec<&str> = latest.root().unwrap().keys().collect();
    assert_eq!(
        top,
        [
            "apiVersion",
            "build",
            "customActions",
            "deploy",
            "kind",
            "manifests",
            "metadata",
            "portForward",
            "profiles",
            "requires",
            "resourceSelector",
            "test",
            "verify"
        ]
    );
}

#[test]
fn unknown_keys_get_suggestions() {
    let text = "apiVersion: skaffold/v4beta14
kind: Config
build:
  artefacts:
    - image: app
  local:
    cacheArtifacts: true
    useBuildKit: true
";
    assert_eq!(
        check(text, "skaffold/v4beta14"),
        vec![
            SchemaIssue::UnknownKey {
                span: span_of(text, "artefacts", 0),
                path: "build.artefacts".into(),
                key: "artefacts".into(),
                object: "BuildConfig",
                did_you_mean: vec!["artifacts"],
                cli_flag: None,
                known_in: None,
                ignored_by_skaffold: false,
            },
            SchemaIssue::UnknownKey {
                span: span_of(text, "cacheArtifacts", 0),
                path: "build.local.cacheArtifacts".into(),
                key: "cacheArtifacts".into(),
                object: "LocalBuild",
                did_you_mean: vec![],
                cli_flag: Some("--cache-artifacts"),
                known_in: None,
                ignored_by_skaffold: false,
            },
            SchemaIssue::UnknownKey {
                span: span_of(text, "useBuildKit", 0),
                path: "build.local.useBuildKit".into(),
                key: "useBuildKit".into(),
                object: "LocalBuild",
                did_you_mean: vec!["useBuildkit"],
                cli_flag: None,
                known_in: None,
                ignored_by_skaffold: false,
            },
        ]
    );
}

#[test]
fn sync_auto_must_be_a_bool() {
    let text = "apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - image: app
      sync:
        auto: {}
    - image: other
      sync:
        auto: yes
";
    assert_eq!(
        check(text, "skaffold/v4beta14"),
        vec![SchemaIssue::WrongType {
            span: span_of(text, "{}", 0),
            path: "build.artifacts[0].sync.auto".into(),
            expected: ValueType::Bool,
            found: "a mapping",
        }]
    );
}

#[test]
fn scalar_types_follow_yaml_v3() {
    let text = "apiVersion: skaffold/v4beta14
kind: Config
build:
  local:
    concurrency: \"2\"
    push: \"true\"
    useDockerCLI: on
  artifacts:
    - image: 123
      context: [a]
      sync:
        infer: '**/*.py'
portForward:
  - resourceType: service
    resourceName: web
    port: 8080
    localPort: 9000
";
    assert_eq!(
        check(text, "skaffold/v4beta14"),
        vec![
            SchemaIssue::WrongType {
                span: span_of(text, "\"2\"", 0),
                path: "build.local.concurrency".into(),
                expected: ValueType::Int,
                found: "a string",
            },
            SchemaIssue::WrongType {
                span: span_of(text, "\"true\"", 0),
                path: "build.local.push".into(),
                expected: ValueType::Bool,
                found: "a string",
            },
            SchemaIssue::WrongType {
                span: span_of(text, "[a]", 0),
                path: "build.artifacts[0].context".into(),
                expected: ValueType::String,
                found: "a list",
            },
            SchemaIssue::WrongType {
                span: span_of(text, "'**/*.py'", 0),
                path: "build.artifacts[0].sync.infer".into(),
                expected: ValueType::List(&ValueType::String),
                found: "a string",
            },
        ]
    );
}

#[test]
fn unquoted_templates_are_flow_mappings() {
    let text = "apiVersion: skaffold/v4beta14
kind: Config
build:
  tagPolicy:
    envTemplate:
      template: {{ .IMAGE_NAME }}
  artifacts:
    - image: app
      docker:
        buildArgs:
          CACHEBUST: {{.TIMESTAMP}}
          OK: \"{{ now | unixEpoch }}\"
";
    assert_eq!(
        check(text, "skaffold/v4beta14"),
        vec![
            SchemaIssue::UnquotedTemplate {
                span: span_of(text, "{{ .IMAGE_NAME }}", 0),
                path: "build.tagPolicy.envTemplate.template".into(),
                template: "{{ .IMAGE_NAME }}".into(),
            },
            SchemaIssue::UnquotedTemplate {
                span: span_of(text, "{{.TIMESTAMP}}", 0),
                path: "build.artifacts[0].docker.buildArgs.CACHEBUST".into(),
                template: "{{.TIMESTAMP}}".into(),
            },
        ]
    );
}

#[test]
fn keys_depend_on_the_version() {
    let text = "apiVersion: skaffold/v2beta19
kind: Config
build:
  hooks:
    before:
      - command: [\"make\"]
  artifacts:
    - image: app
manifests:
  rawYaml: [k8s/*.yaml]
";
    let unknown = |issue: &SchemaIssue| match issue {
        SchemaIssue::UnknownKey { key, known_in, .. } => Some((key.clone(), *known_in)),
        _ => None,
    };
    let old: Vec<_> = check(text, "skaffold/v2beta19")
        .iter()
        .filter_map(unknown)
        .collect();
    assert_eq!(
        old,
        [
            ("hooks".to_string(), Some(("skaffold/v4beta7", LATEST))),
            ("manifests".to_string(), Some(("skaffold/v3alpha1", LATEST))),
        ]
    );
    let v2beta29: Vec<_> = check(text, "skaffold/v2beta29")
        .iter()
        .filter_map(unknown)
        .collect();
    assert_eq!(v2beta29.len(), 2);
    let v4beta6: Vec<_> = check(text, "skaffold/v4beta6")
        .iter()
        .filter_map(unknown)
        .collect();
    assert_eq!(
        v4beta6,
        [("hooks".to_string(), Some(("skaffold/v4beta7", LATEST)))]
    );
    assert_eq!(check(text, "skaffold/v4beta7"), vec![]);
    assert_eq!(check(text, LATEST), vec![]);
    let issues = check(text, "skaffold/v2beta19");
    assert_eq!(issues[0].span(), span_of(text, "hooks", 0));
    assert_eq!(issues[1].span(), span_of(text, "manifests", 0));
}

#[test]
fn required_keys_and_one_of_groups() {
    let text = "apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
    - context: app
      sync:
        manual:
          - src: '*.py'
        infer: ['**/*.txt']
    - image: \"\"
";
    let artifact0 = {
        let start = text.find("- context").unwrap() + 2;
        let end = text.find("\n    - image").unwrap();
        Span::new(start, end)
    };
    let sync = {
        let start = text.find("manual:").unwrap();
        let end = text.find("['**/*.txt']").unwrap() + "['**/*.txt']".len();
        Span::new(start, end)
    };
    let rule = {
        let start = text.find("src:").unwrap();
        Span::new(start, start + "src: '*.py'".len())
    };
    assert_eq!(
        check(text, "skaffold/v4beta14"),
        vec![
            SchemaIssue::MissingRequired {
                span: rule,
                path: "build.artifacts[0].sync.manual[0]".into(),
                key: "dest",
                object: "SyncRule",
            },
            SchemaIssue::OneOfConflict {
                span: sync,
                path: "build.artifacts[0].sync".into(),
                object: "Sync",
                group: "sync",
                keys: vec![
                    ("manual".into(), span_of(text, "manual", 0)),
                    ("infer".into(), span_of(text, "infer", 0)),
                ],
            },
            SchemaIssue::MissingRequired {
                span: artifact0,
                path: "build.artifacts[0]".into(),
                key: "image",
                object: "Artifact",
            },
            SchemaIssue::MissingRequired {
                span: span_of(text, "image", 0),
                path: "build.artifacts[1]".into(),
                key: "image",
                object: "Artifact",
            },
        ]
    );
}

#[test]
fn anchors_and_merge_keys_are_followed() {
    let text = "apiVersion: skaffold/v4beta14
kind: Config
.common: &common
  context: app
  dockerr: {}
build:
  artifacts:
    - <<: *common
      image: one
    - <<: *common
      image: two
";
    assert_eq!(
        check(text, "skaffold/v4beta14"),
        vec![SchemaIssue::UnknownKey {
            span: span_of(text, "dockerr", 0),
            path: "build.artifacts[0].dockerr".into(),
            key: "dockerr".into(),
            object: "Artifact",
            did_you_mean: vec!["docker"],
            cli_flag: None,
            known_in: None,
            ignored_by_skaffold: false,
        }]
    );
}

#[test]
fn lenient_types_flag_unknown_keys_as_ignored() {
    let text = "apiVersion: skaffold/v4beta14
kind: Config
build:
  cluster:
    namespace: ci
    nameSpace: typo
  artifacts:
    - image: app
      kaniko:
        cache:
          repoo: x
";
    let ignored: Vec<(String, bool)> = check(text, LATEST)
        .into_iter()
        .filter_map(|issue| match issue {
            SchemaIssue::UnknownKey {
                path,
                ignored_by_skaffold,
                ..
            } => Some((path, ignored_by_skaffold)),
            _ => None,
        })
        .collect();
    assert_eq!(
        ignored,
        [
            ("build.cluster.nameSpace".to_string(), true),
            ("build.artifacts[0].kaniko.cache.repoo".to_string(), true),
        ]
    );
}

#[test]
fn non_mapping_document_is_a_wrong_type() {
    let text = "- apiVersion: skaffold/v4beta14\n";
    assert_eq!(
        check(text, LATEST),
        vec![SchemaIssue::WrongType {
            span: Span::new(0, text.len() - 1),
            path: String::new(),
            expected: ValueType::Object(ROOT_TYPE),
            found: "a list",
        }]
    );
}

#[test]
fn edit_distance_counts_transpositions() {
    let chars = |s: &str| s.chars().collect::<Vec<_>>();
    assert_eq!(edit_distance(&chars("infre"), &chars("infer")), 1);
    assert_eq!(edit_distance(&chars(""), &chars("abc")), 3);
    assert_eq!(edit_distance(&chars("kitten"), &chars("sitting")), 3);
}

fn corpus_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus directory")
        .flatten()
        .collect();
    entries.sort_by_key(|entry| entry.path());
    for entry in entries {
        let path = entry.path();
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name().to_string_lossy().into_owned();
        if file_type.is_dir() {
            corpus_files(&path, out);
        } else if file_type.is_file()
            && name.starts_with("skaffold")
            && (name.ends_with(".yaml") || name.ends_with(".yml"))
        {
            out.push(path);
        }
    }
}

/// Every skaffold*.yaml of the real-project corpus, checked against its own apiVersion. Each
/// finding below was reviewed against Skaffold's sources (see the module docs of the rules).
#[test]
fn corpus_findings() {
    let root = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/skaffold"
    ));
    let mut files = Vec::new();
    corpus_files(root, &mut files);
    let mut findings = Vec::new();
    let (mut checked, mut untabled, mut not_skaffold) = (0, 0, 0);
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let name = file.strip_prefix(root).unwrap().display().to_string();
        let docs = yaml::parse(&text).unwrap_or_else(|e| panic!("{name}: {}", e.message));
        for doc in &docs {
            let version = doc
                .root_ref()
                .and_then(|r| r.get("apiVersion"))
                .and_then(|v| v.as_str());
            let Some(version) = version.and_then(known_version) else {
                not_skaffold += 1;
                continue;
            };
            let Some(schema) = schema_for(version) else {
                untabled += 1;
                continue;
            };
            checked += 1;
            for issue in validate(doc, &text, schema) {
                let detail = match &issue {
                    SchemaIssue::UnknownKey {
                        did_you_mean,
                        known_in,
                        ..
                    } => {
                        format!("unknown key, did you mean {did_you_mean:?}, known in {known_in:?}")
                    }
                    other => format!("{other:?}"),
                };
                findings.push(format!("{name}: {}: {detail}", issue.path()));
            }
        }
    }
    assert_eq!(
        (files.len(), checked, untabled, not_skaffold),
        (255, 229, 26, 2)
    );
    assert_eq!(
        findings,
        [
            "GoogleContainerTools__skaffold/examples/kustomize/skaffold-kustomize-args.yaml: deploy.kustomize: \
             unknown key, did you mean [], known in Some((\"skaffold/v2beta19\", \"skaffold/v2beta29\"))",
            "GoogleContainerTools__skaffold/integration/examples/kustomize/skaffold-kustomize-args.yaml: \
             deploy.kustomize: unknown key, did you mean [], known in Some((\"skaffold/v2beta19\", \"skaffold/v2beta29\"))",
            "GoogleContainerTools__skaffold/integration/testdata/build/secret/skaffold.yaml: \
             build.artifacts[0].docker.secret: unknown key, did you mean [\"secrets\"], known in \
             Some((\"skaffold/v2beta19\", \"skaffold/v2beta22\"))",
        ]
    );
}

#[test]
fn profile_objects_may_take_required_keys_from_the_base() {
    let text = "apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
      - name: app
profiles:
  - name: ci
    deploy:
      helm:
        flags:
          upgrade: [--atomic]
    build:
      artifacts:
        - context: app
  - activation: [{command: dev}]
";
    let profile1 = {
        let start = text.find("- activation").unwrap() + 2;
        Span::new(start, text.len() - 1)
    };
    let artifact = {
        let start = text.find("context: app").unwrap();
        Span::new(start, start + "context: app".len())
    };
    assert_eq!(
        check(text, "skaffold/v2beta29"),
        vec![
            SchemaIssue::MissingRequired {
                span: artifact,
                path: "profiles[0].build.artifacts[0]".into(),
                key: "image",
                object: "Artifact",
            },
            SchemaIssue::MissingRequired {
                span: profile1,
                path: "profiles[1]".into(),
                key: "name",
                object: "Profile",
            },
        ]
    );
}
