//! The demo's README "before and after" is true: after `fix --unsafe-fixes`, the demo service
//! would really start and reload. No registry is reachable to build a Python image, so this is
//! shown through skafix's model of the fixed files: the image has the program the container
//! starts, its packages are built by the Python that runs them, the sync destination belongs
//! to the container's user, the server reloads, and no hook signals or restarts anything.

use skafix::dockerfile::owners::{dir_owner, Owner, OwnerQuery};
use skafix::dockerfile::Command;
use skafix::fix::{self, FixOptions};
use skafix::project::CheckOptions;
use skafix::server::{recognize, ReloadMode, ServerKind};
use std::collections::HashMap;
use std::path::Path;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else if entry.file_name() != "expected.txt" {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

#[test]
fn fixed_demo_starts_and_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("demo");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo"),
        &root,
    );
    let options = CheckOptions {
        paths: vec![root.clone()],
        ..Default::default()
    };
    fix::run(&FixOptions {
        check: options.clone(),
        unsafe_fixes: true,
        diff_only: false,
    })
    .unwrap();

    // What is left: only the dev profile's undeclared cache-bust arg, whose fix would change
    // the production Dockerfile and is therefore not applied.
    let after = skafix::engine::check(&options).unwrap();
    let codes: Vec<&str> = after.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, vec!["CACHE002"], "{:#?}", after.diagnostics);
    assert_eq!(after.diagnostics[0].profile.as_deref(), Some("dev"));

    let text = std::fs::read_to_string(root.join("api/Dockerfile")).unwrap();
    let df = skafix::dockerfile::parse(&text).unwrap();
    let runtime = df.stages.last().unwrap();
    let args = HashMap::new();
    let runtime_base = df
        .base_with_build_args(runtime.index, Some(&args))
        .unwrap()
        .known()
        .unwrap()
        .to_string();
    assert_eq!(runtime_base, "python:3.12-slim");

    // The packages are built by the runtime's Python and copied where it looks.
    let builder = df.stage_by_name_or_index("builder").unwrap();
    let builder_base = builder.base_expanded.clone().unwrap();
    let version = |image: &str| skafix::image::lookup(image).unwrap().python_version;
    assert_eq!(version(&builder_base), version(&runtime_base));
    assert!(text.contains(
        "COPY --from=builder /usr/local/lib/python3.12/site-packages /usr/local/lib/python3.12/site-packages"
    ));

    // The container starts a program the image has: the base's own `python`, running the
    // copied uvicorn package as a module, with reload on.
    let cmd = df
        .instructions
        .iter()
        .rev()
        .find(|i| i.keyword == "CMD")
        .unwrap();
    let Some(Command::Exec { argv, .. }) = cmd.command() else {
        panic!("CMD is not in exec form: {text}");
    };
    let argv: Vec<String> = argv.iter().map(|w| w.value.clone()).collect();
    assert_eq!(&argv[..3], ["python", "-m", "uvicorn"]);
    assert_eq!(
        skafix::image::contents::base_has_program(&runtime_base, "python"),
        Some(true)
    );
    let server = recognize(&argv, &|_| None).expect("a server");
    assert_eq!(server.kind, ServerKind::Uvicorn);
    assert!(matches!(server.reload, ReloadMode::On { .. }), "{server:?}");

    // The sync destination belongs to the container's user, so tar can replace files there.
    let state = df.state_after(runtime.index, Some(&args)).unwrap();
    assert_eq!(state.user.value.as_deref(), Some("app"));
    let base_dir = |d: &str| skafix::image::contents::base_dir(&runtime_base, d);
    let below = |_: usize, _: &str| Some(false);
    let query = OwnerQuery {
        build_args: Some(&args),
        base_dir: &base_dir,
        base_user: Some(None),
        copies_below: &below,
    };
    assert_eq!(
        dir_owner(&df, runtime.index, "/app", &query).owner,
        Owner::User("app".into())
    );

    // No sync hook is left to signal or restart the container.
    let yaml = std::fs::read_to_string(root.join("skaffold.yaml")).unwrap();
    assert!(!yaml.contains("hooks:"), "{yaml}");
}
