//! Tests for server recognition, wrappers, shell scripts and signal outcomes, including real
//! Dockerfile commands from the corpus.

use super::*;
use crate::image::ShellKind;

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|s| s.to_string()).collect()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn rec(words: &[&str]) -> ServerCommand {
    recognize(&argv(words), &no_env).expect("recognized")
}

fn rec_env(words: &[&str], vars: &[(&str, &str)]) -> Option<ServerCommand> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let env = move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    recognize(&argv(words), &env)
}

fn on_flag(f: &str) -> ReloadMode {
    ReloadMode::On {
        via: ReloadVia::Flag(f.into()),
    }
}

fn on_env(v: &str) -> ReloadMode {
    ReloadMode::On {
        via: ReloadVia::Env(v.into()),
    }
}

const ON_DEFAULT: ReloadMode = ReloadMode::On {
    via: ReloadVia::Default,
};

fn script_pos(script: &str, word: &str) -> ArgPos {
    let start = script.find(word).expect("word in script");
    ArgPos::Script {
        script_index: 2,
        start,
        end: start + word.len(),
    }
}

#[test]
fn uvicorn_plain_and_reload() {
    let c = rec(&[
        "uvicorn",
        "app.main:app",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]);
    assert_eq!(c.kind, ServerKind::Uvicorn);
    assert_eq!(c.reload, ReloadMode::Off);
    assert_eq!(c.app.as_deref(), Some("app.main:app"));
    assert_eq!(c.insert_after, ArgPos::Argv { index: 0 });
    assert_eq!(c.workers, None);

    let c = rec(&[
        "/usr/local/bin/uvicorn",
        "--reload",
        "--reload-dir",
        "src",
        "--reload-dir=lib",
        "--reload-include",
        "*.html",
        "--reload-exclude",
        "*.tmp",
        "--app-dir",
        "/srv",
        "m:app",
    ]);
    assert_eq!(c.reload, on_flag("--reload"));
    assert_eq!(c.reload_dirs, ["src", "lib"]);
    assert_eq!(c.reload_includes, ["*.html"]);
    assert_eq!(c.reload_excludes, ["*.tmp"]);
    assert_eq!(c.app_dir.as_deref(), Some("/srv"));
    assert_eq!(c.app.as_deref(), Some("m:app"));
}

#[test]
fn uvicorn_env_switches() {
    let c = rec_env(
        &["uvicorn", "m:app"],
        &[("UVICORN_RELOAD", "true"), ("UVICORN_RELOAD_DIRS", "/a:/b")],
    )
    .unwrap();
    assert_eq!(c.reload, on_env("UVICORN_RELOAD"));
    assert_eq!(c.reload_dirs, ["/a", "/b"]);
    let c = rec_env(&["uvicorn", "m:app"], &[("UVICORN_RELOAD", "0")]).unwrap();
    assert_eq!(c.reload, ReloadMode::Off);
    let c = rec_env(&["uvicorn", "m:app"], &[("WEB_CONCURRENCY", "4")]).unwrap();
    assert_eq!(c.workers, Some(4));
    let c = rec_env(
        &["uvicorn", "m:app", "--workers", "2"],
        &[("WEB_CONCURRENCY", "4")],
    )
    .unwrap();
    assert_eq!(c.workers, Some(2));
    let c = rec_env(
        &["uvicorn"],
        &[("UVICORN_APP", "x:y"), ("UVICORN_WORKERS", "3")],
    )
    .unwrap();
    assert_eq!((c.app.as_deref(), c.workers), (Some("x:y"), Some(3)));
}

#[test]
fn python_module_and_interpreter_options() {
    let c = rec(&[
        "python3",
        "-u",
        "-X",
        "dev",
        "-m",
        "uvicorn",
        "m:app",
        "--workers",
        "4",
    ]);
    assert_eq!(c.kind, ServerKind::Uvicorn);
    assert_eq!(c.workers, Some(4));
    assert_eq!(c.insert_after, ArgPos::Argv { index: 5 });
    assert_eq!(c.args[0].text, "uvicorn");

    let c = rec(&[
        "/usr/local/bin/python",
        "/usr/local/bin/gunicorn",
        "app:app",
    ]);
    assert_eq!(c.kind, ServerKind::Gunicorn { worker_class: None });
    assert_eq!(c.insert_after, ArgPos::Argv { index: 1 });

    assert_eq!(recognize(&argv(&["python", "app.py"]), &no_env), None);
    assert_eq!(
        recognize(&argv(&["python", "-c", "import uvicorn"]), &no_env),
        None
    );
    assert_eq!(
        recognize(&argv(&["python", "-m", "http.server"]), &no_env),
        None
    );
}

#[test]
fn gunicorn_flags_and_env_args() {
    let c = rec(&[
        "gunicorn",
        "-w4",
        "-k",
        "uvicorn.workers.UvicornWorker",
        "--reload",
        "--preload",
        "--reload-extra-file",
        "t.html",
        "--chdir",
        "/app",
        "-b",
        ":8000",
        "app:app",
    ]);
    assert_eq!(
        c.kind,
        ServerKind::Gunicorn {
            worker_class: Some("uvicorn.workers.UvicornWorker".into())
        }
    );
    assert_eq!(c.reload, on_flag("--reload"));
    assert!(c.preload);
    assert_eq!(c.workers, Some(4));
    assert_eq!(c.extra_files, ["t.html"]);
    assert_eq!(c.app_dir.as_deref(), Some("/app"));
    assert_eq!(c.app.as_deref(), Some("app:app"));

    let c = rec_env(
        &["gunicorn", "app:app"],
        &[(
            "GUNICORN_CMD_ARGS",
            "--reload --workers=3 --bind '0.0.0.0:80'",
        )],
    )
    .unwrap();
    assert_eq!(c.reload, on_env("GUNICORN_CMD_ARGS"));
    assert_eq!(c.workers, Some(3));

    let c = rec(&["gunicorn", "-c", "gunicorn.conf.py", "app:app"]);
    assert_eq!(c.reload, ReloadMode::Unknown);
    assert_eq!(c.config_file.as_deref(), Some("gunicorn.conf.py"));
    let c = rec(&["gunicorn", "app:app"]);
    assert_eq!(
        (c.reload, c.preload, c.workers),
        (ReloadMode::Off, false, None)
    );
}

#[test]
fn gunicorn_process_title() {
    let c = rec(&["gunicorn: master [app.wsgi:application]"]);
    assert_eq!(c.kind, ServerKind::Gunicorn { worker_class: None });
    assert_eq!(c.reload, ReloadMode::Unknown);
    assert_eq!(c.app.as_deref(), Some("app.wsgi:application"));
    let c = rec_env(
        &["gunicorn: worker [a:b]", ""],
        &[("GUNICORN_CMD_ARGS", "--reload")],
    )
    .unwrap();
    assert_eq!(c.reload, on_env("GUNICORN_CMD_ARGS"));
}

#[test]
fn hypercorn() {
    let c = rec(&["hypercorn", "--reload", "-w", "2", "app:app"]);
    assert_eq!(c.kind, ServerKind::Hypercorn);
    assert_eq!(c.reload, on_flag("--reload"));
    assert_eq!(c.workers, Some(2));
    assert_eq!(
        rec(&["hypercorn", "--config", "h.toml", "a:b"]).reload,
        ReloadMode::Unknown
    );
}

#[test]
fn flask_reload_sources() {
    let c = rec(&["flask", "run", "--host=0.0.0.0"]);
    assert_eq!(c.kind, ServerKind::Flask);
    assert_eq!(c.reload, ReloadMode::Off);
    assert_eq!(c.insert_after, ArgPos::Argv { index: 1 });
    assert_eq!(
        rec(&["flask", "--app", "x", "--debug", "run"]).reload,
        on_flag("--debug")
    );
    assert_eq!(rec(&["flask", "run", "--debug"]).reload, on_flag("--debug"));
    assert_eq!(
        rec(&["flask", "run", "--debug", "--no-reload"]).reload,
        ReloadMode::Off
    );
    assert_eq!(
        rec(&["flask", "run", "--reload"]).reload,
        on_flag("--reload")
    );
    let env = |v: &[(&str, &str)]| {
        rec_env(&["python", "-m", "flask", "run"], v)
            .unwrap()
            .reload
    };
    assert_eq!(env(&[("FLASK_DEBUG", "1")]), on_env("FLASK_DEBUG"));
    assert_eq!(env(&[("FLASK_DEBUG", "False")]), ReloadMode::Off);
    assert_eq!(env(&[("FLASK_DEBUG", "")]), ReloadMode::Off);
    assert_eq!(
        env(&[("FLASK_DEBUG", "1"), ("FLASK_RUN_RELOAD", "false")]),
        ReloadMode::Off
    );
    assert_eq!(
        env(&[("FLASK_RUN_RELOAD", "yes")]),
        on_env("FLASK_RUN_RELOAD")
    );
    assert_eq!(
        env(&[("WERKZEUG_RUN_MAIN", "true")]),
        on_env("WERKZEUG_RUN_MAIN")
    );
    assert_eq!(env(&[("FLASK_ENV", "development")]), ReloadMode::Unknown);
    assert_eq!(
        rec_env(&["flask", "run", "--no-debug"], &[("FLASK_DEBUG", "1")])
            .unwrap()
            .reload,
        ReloadMode::Off
    );
    assert_eq!(recognize(&argv(&["flask", "db", "upgrade"]), &no_env), None);
    let c = rec_env(
        &[
            "flask",
            "-A",
            "a.py",
            "run",
            "--extra-files",
            "a.html:b.txt",
        ],
        &[("FLASK_APP", "z")],
    )
    .unwrap();
    assert_eq!(c.extra_files, ["a.html", "b.txt"]);
    assert_eq!(c.app.as_deref(), Some("a.py"));
}

#[test]
fn django_runserver() {
    let c = rec(&["python", "manage.py", "runserver", "0.0.0.0:8000"]);
    assert_eq!(c.kind, ServerKind::Django);
    assert_eq!(c.reload, ON_DEFAULT);
    assert_eq!(c.insert_after, ArgPos::Argv { index: 2 });
    let c = rec(&[
        "python",
        "manage.py",
        "runserver",
        "--noreload",
        "0.0.0.0:8000",
    ]);
    assert_eq!(c.reload, ReloadMode::Off);
    let flag: Vec<ArgPos> = c.find_args("--noreload").map(|a| a.pos).collect();
    assert_eq!(flag, [ArgPos::Argv { index: 3 }]);
    assert_eq!(
        rec(&["django-admin", "--settings", "s", "runserver"]).reload,
        ON_DEFAULT
    );
    assert_eq!(
        rec_env(
            &["python", "manage.py", "runserver", "--noreload"],
            &[("RUN_MAIN", "true")]
        )
        .unwrap()
        .reload,
        on_env("RUN_MAIN")
    );
    assert_eq!(
        recognize(&argv(&["python", "manage.py", "migrate"]), &no_env),
        None
    );
}

#[test]
fn fastapi_cli() {
    let c = rec(&["fastapi", "dev", "app/main.py", "--reload-dir", "app"]);
    assert_eq!(c.kind, ServerKind::FastApiCli { dev: true });
    assert_eq!(c.reload, ON_DEFAULT);
    assert_eq!(c.reload_dirs, ["app"]);
    assert_eq!(c.app.as_deref(), Some("app/main.py"));
    assert_eq!(
        rec(&["fastapi", "dev", "--no-reload"]).reload,
        ReloadMode::Off
    );
    let c = rec(&["fastapi", "run", "--workers", "4", "main.py"]);
    assert_eq!((c.reload, c.workers), (ReloadMode::Off, Some(4)));
    assert_eq!(c.insert_after, ArgPos::Argv { index: 1 });
    assert_eq!(
        rec(&["fastapi", "run", "--reload"]).reload,
        on_flag("--reload")
    );
    assert_eq!(recognize(&argv(&["fastapi", "login"]), &no_env), None);
}

#[test]
fn node_and_nodemon() {
    let c = rec(&["node", "--watch", "server.js", "--watch"]);
    assert_eq!(c.kind, ServerKind::Node);
    assert_eq!(c.reload, on_flag("--watch"));
    assert_eq!(c.app.as_deref(), Some("server.js"));
    let c = rec(&["node", "-r", "dotenv/config", "server.js", "--watch"]);
    assert_eq!(c.reload, ReloadMode::Off);
    let c = rec(&["node", "--watch-path=./src", "index.js"]);
    assert_eq!(
        (c.reload, c.reload_dirs),
        (on_flag("--watch-path"), vec!["./src".to_string()])
    );
    assert_eq!(recognize(&argv(&["node", "-e", "1"]), &no_env), None);
    assert_eq!(recognize(&argv(&["node"]), &no_env), None);

    let c = rec(&[
        "npx", "nodemon", "-w", "src", "-e", "js,json", "--signal", "SIGTERM", "app.js",
    ]);
    assert_eq!(c.kind, ServerKind::Nodemon);
    assert_eq!(c.reload, ON_DEFAULT);
    assert_eq!(c.reload_dirs, ["src"]);
    assert_eq!(c.reload_includes, ["*.js", "*.json"]);
    assert_eq!(c.app.as_deref(), Some("app.js"));
    assert_eq!(c.wrappers, [Wrapper::Spawn { name: "npx".into() }]);
    assert_eq!(recognize(&argv(&["npm", "run", "dev"]), &no_env), None);
    assert_eq!(recognize(&argv(&["npm", "start"]), &no_env), None);
}

fn rec_scripts(words: &[&str], scripts: &[(&str, &str)]) -> Option<ServerCommand> {
    let lookup = |name: &str| {
        scripts
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| c.to_string())
    };
    recognize_with_scripts(&argv(words), &no_env, Some(&lookup))
}

#[test]
fn package_scripts_are_followed() {
    let scripts = [
        ("dev", "nodemon --watch src src/app.js"),
        ("start", "node src/app.js"),
        ("serve", "NODE_ENV=development next dev -p 3000"),
        ("both", "npm run build && npm run start"),
        ("install", "node-gyp rebuild"),
    ];
    let c = rec_scripts(&["npm", "run", "dev"], &scripts).unwrap();
    assert_eq!(c.kind, ServerKind::Nodemon);
    assert_eq!(c.package_script.as_deref(), Some("dev"));
    // The script's words sit one past the argv, at their byte ranges in the script text.
    assert_eq!(
        c.args[0].pos,
        ArgPos::Script {
            script_index: 3,
            start: 0,
            end: 7
        }
    );
    assert_eq!(c.wrappers[0], Wrapper::Spawn { name: "npm".into() });
    assert!(matches!(&c.wrappers[1], Wrapper::Shell { shell, .. } if shell == "sh"));

    let c = rec_scripts(&["npm", "start"], &scripts).unwrap();
    assert_eq!((c.kind, c.reload), (ServerKind::Node, ReloadMode::Off));
    let c = rec_scripts(&["npm", "--silent", "run-script", "start"], &scripts).unwrap();
    assert_eq!(c.kind, ServerKind::Node);
    let c = rec_scripts(&["yarn", "serve"], &scripts).unwrap();
    assert_eq!(
        c.kind,
        ServerKind::NodeTool {
            name: "next".into()
        }
    );
    assert_eq!(c.reload, ON_DEFAULT);
    let c = rec_scripts(&["tini", "--", "pnpm", "run", "dev"], &scripts).unwrap();
    assert_eq!(c.package_script.as_deref(), Some("dev"));
    let c = rec_scripts(
        &["npm", "start"],
        &[("start", "cross-env UVICORN_RELOAD=true uvicorn app:app")],
    )
    .unwrap();
    assert_eq!(c.reload, on_env("UVICORN_RELOAD"));
    let c = rec_scripts(&["sh", "-c", "exec yarn start"], &scripts).unwrap();
    assert_eq!(c.kind, ServerKind::Node);
    // The script named by a variable, as Skaffold's own Node examples do (`npm run $NODE_ENV`).
    let lookup = |name: &str| (name == "dev").then(|| "nodemon app.js".to_string());
    let env = |name: &str| (name == "NODE_ENV").then(|| "dev".to_string());
    let c = recognize_with_scripts(
        &argv(&["sh", "-c", "npm run $NODE_ENV"]),
        &env,
        Some(&lookup),
    );
    assert_eq!(c.map(|c| c.package_script), Some(Some("dev".to_string())));
    assert_eq!(
        recognize_with_scripts(
            &argv(&["sh", "-c", "npm run $NODE_ENV"]),
            &no_env,
            Some(&lookup)
        ),
        None
    );

    // Not followed: unknown scripts, extra arguments, other packages, built-in commands,
    // npm's own commands, a script running other scripts, and no lookup at all.
    for words in [
        &["npm", "run", "missing"][..],
        &["npm", "run", "dev", "--", "--inspect"],
        &["npm", "start", "extra"],
        &["npm", "--workspace", "api", "run", "dev"],
        &["pnpm", "--filter", "api", "dev"],
        &["yarn", "install"],
        &["npm", "dev"],
        &["npm", "run", "both"],
    ] {
        assert_eq!(rec_scripts(words, &scripts), None, "{words:?}");
    }
    assert_eq!(recognize(&argv(&["npm", "run", "dev"]), &no_env), None);
}

#[test]
fn quarkus_dev_mode_and_packaged_jar() {
    for words in [
        &["quarkus", "dev"][..],
        &["./mvnw", "quarkus:dev", "-Dquarkus.http.host=0.0.0.0"],
        &[
            "mvn",
            "-B",
            "io.quarkus.platform:quarkus-maven-plugin:3.15.1:dev",
        ],
        &["./gradlew", "quarkusDev"],
    ] {
        let c = rec(words);
        assert_eq!(c.kind, ServerKind::Quarkus { dev: true }, "{words:?}");
        assert_eq!(c.reload, ON_DEFAULT);
    }
    let c = rec(&["java", "-Xmx256m", "-jar", "/deployments/quarkus-run.jar"]);
    assert_eq!(
        (c.kind, c.reload),
        (ServerKind::Quarkus { dev: false }, ReloadMode::Off)
    );
    let remote = rec_env(
        &["java", "-jar", "quarkus-run.jar"],
        &[("QUARKUS_LAUNCH_DEVMODE", "true")],
    )
    .unwrap();
    assert_eq!(remote.reload, ReloadMode::Unknown);
    for words in [
        &["java", "-jar", "app.jar"][..],
        &["mvn", "package"],
        &["quarkus", "build"],
        &["./gradlew", "build"],
    ] {
        assert_eq!(recognize(&argv(words), &no_env), None, "{words:?}");
    }
}

#[test]
fn sh_c_scripts() {
    let script = "cd /app && exec uvicorn main:app --host 0.0.0.0";
    let c = rec(&["/bin/sh", "-c", script]);
    assert_eq!(c.kind, ServerKind::Uvicorn);
    assert_eq!(c.insert_after, script_pos(script, "uvicorn"));
    assert_eq!(
        c.wrappers,
        [Wrapper::Shell {
            shell: "sh".into(),
            exec: true,
            tail_call: Some(true)
        }]
    );

    let script = "pip install -r req.txt; UVICORN_RELOAD=1 'uvicorn' m:app";
    let c = rec(&["bash", "-ec", script]);
    assert_eq!(c.reload, on_env("UVICORN_RELOAD"));
    assert_eq!(c.insert_after, script_pos(script, "'uvicorn'"));

    let c = rec(&["sh", "-c", "UVICORN_RELOAD=\"true\" uvicorn a:b"]);
    assert_eq!(c.reload, on_env("UVICORN_RELOAD"));

    let script = "export FLASK_DEBUG=1\nflask run --host 0.0.0.0 2>&1 | tee log";
    let c = rec(&["sh", "-c", script]);
    assert_eq!(c.reload, on_env("FLASK_DEBUG"));
    assert_eq!(c.insert_after, script_pos(script, "run"));
    assert_eq!(
        c.wrappers,
        [Wrapper::Shell {
            shell: "sh".into(),
            exec: false,
            tail_call: Some(false)
        }]
    );

    // The last server of the list wins; a later non-server command does not hide it.
    let c = rec(&["sh", "-c", "gunicorn a:b & uvicorn c:d; echo done"]);
    assert_eq!(c.kind, ServerKind::Uvicorn);

    assert_eq!(recognize(&argv(&["sh", "script.sh"]), &no_env), None);
    assert_eq!(
        recognize(&argv(&["sh", "-c", "echo 'unterminated"]), &no_env),
        None
    );
    assert_eq!(
        recognize(&argv(&["sh", "-c", "npm run dev"]), &no_env),
        None
    );
    // Nested scripts are not followed.
    assert_eq!(
        recognize(&argv(&["sh", "-c", "sh -c 'uvicorn a:b'"]), &no_env),
        None
    );
}

#[test]
fn process_wrappers() {
    let c = rec(&["/usr/bin/tini", "--", "gunicorn", "app:app"]);
    assert_eq!(
        c.wrappers,
        [Wrapper::Init {
            name: "tini".into()
        }]
    );
    assert_eq!(c.insert_after, ArgPos::Argv { index: 2 });
    let c = rec(&[
        "dumb-init",
        "--single-child",
        "poetry",
        "run",
        "uvicorn",
        "a:b",
    ]);
    assert_eq!(
        c.wrappers,
        [
            Wrapper::Init {
                name: "dumb-init".into()
            },
            Wrapper::Exec {
                name: "poetry".into()
            }
        ]
    );
    let c = rec(&["uv", "run", "--with", "x", "fastapi", "dev"]);
    assert_eq!(c.wrappers, [Wrapper::Spawn { name: "uv".into() }]);
    assert_eq!(c.kind, ServerKind::FastApiCli { dev: true });
    let c = rec(&["pipenv", "run", "python", "manage.py", "runserver"]);
    assert_eq!(c.kind, ServerKind::Django);
    let c = rec_env(&["env", "-i", "UVICORN_RELOAD=true", "uvicorn", "a:b"], &[]).unwrap();
    assert_eq!(c.reload, on_env("UVICORN_RELOAD"));
    assert_eq!(c.insert_after, ArgPos::Argv { index: 3 });
}

#[test]
fn debugger_wrappers() {
    let c = rec(&[
        "python",
        "-m",
        "debugpy",
        "--listen",
        "0.0.0.0:5678",
        "--wait-for-client",
        "-m",
        "flask",
        "run",
        "--debug",
    ]);
    assert_eq!(c.kind, ServerKind::Flask);
    assert_eq!(c.reload, on_flag("--debug"));
    assert_eq!(
        c.wrappers,
        [Wrapper::Exec {
            name: "debugpy".into()
        }]
    );
    assert_eq!(c.insert_after, ArgPos::Argv { index: 8 });
    let c = rec(&[
        "python",
        "-m",
        "ptvsd",
        "--host",
        "0.0.0.0",
        "--port",
        "3000",
        "/usr/local/bin/uvicorn",
        "m:app",
    ]);
    assert_eq!(c.kind, ServerKind::Uvicorn);
    assert_eq!(c.insert_after, ArgPos::Argv { index: 7 });
    let c = rec(&[
        "/dbg/python/launcher",
        "--mode",
        "debugpy",
        "--",
        "python",
        "manage.py",
        "runserver",
    ]);
    assert_eq!(c.kind, ServerKind::Django);
}

#[test]
fn option_value_lookup() {
    let c = rec(&["nodemon", "--signal=SIGHUP", "-s", "SIGINT", "app.js"]);
    assert_eq!(
        c.option_value(&["--signal", "-s"]).as_deref(),
        Some("SIGINT")
    );
    let c = rec(&["gunicorn", "-w8", "a:b"]);
    assert_eq!(c.option_value(&["-w", "--workers"]).as_deref(), Some("8"));
    assert_eq!(c.option_value(&["--bind"]), None);
}

#[test]
fn signal_names_and_versions() {
    assert_eq!(Signal::parse("HUP"), Some(Signal::Hup));
    assert_eq!(Signal::parse("-SIGHUP"), Some(Signal::Hup));
    assert_eq!(Signal::parse("sigterm"), Some(Signal::Term));
    assert_eq!(Signal::parse("9"), Some(Signal::Kill));
    assert_eq!(Signal::parse("-34"), Some(Signal::Other(34)));
    assert_eq!(Signal::parse("NOPE"), None);
    assert_eq!(Signal::Usr2.number(), 12);
    assert_eq!(Version::parse("0.30.1"), Some(Version::new(0, 30, 1)));
    assert_eq!(Version::parse("v0.29"), Some(Version::new(0, 29, 0)));
    assert_eq!(Version::parse("0.30.0rc1"), Some(Version::new(0, 30, 0)));
    assert_eq!(Version::parse("x"), None);
}

#[test]
fn uvicorn_signals() {
    let v29 = Version::new(0, 29, 0);
    let v30 = Version::new(0, 30, 0);
    let single = rec(&["uvicorn", "a:b"]);
    assert_eq!(
        hup_behaviour(&single, false, Some(&v30)),
        SignalOutcome::Terminates
    );
    assert_eq!(
        hup_behaviour(&single, true, Some(&v30)),
        SignalOutcome::Ignored
    );
    assert_eq!(
        signal_behaviour(&single, Signal::Term, true, None),
        SignalOutcome::Terminates
    );
    assert_eq!(
        signal_behaviour(&single, Signal::Kill, true, None),
        SignalOutcome::Ignored
    );
    let multi = rec(&["uvicorn", "a:b", "--workers", "2"]);
    assert_eq!(
        hup_behaviour(&multi, true, Some(&v30)),
        SignalOutcome::Reload
    );
    assert_eq!(
        hup_behaviour(&multi, false, Some(&v29)),
        SignalOutcome::Terminates
    );
    assert_eq!(hup_behaviour(&multi, true, None), SignalOutcome::Unknown);
    assert_eq!(
        signal_behaviour(&multi, Signal::Usr1, false, Some(&v30)),
        SignalOutcome::Ignored
    );
    assert_eq!(
        signal_behaviour(&multi, Signal::Ttin, false, Some(&v30)),
        SignalOutcome::Handled
    );
    let reload = rec(&["uvicorn", "a:b", "--reload", "--workers", "2"]);
    assert_eq!(
        hup_behaviour(&reload, false, Some(&v30)),
        SignalOutcome::Terminates
    );
    assert_eq!(
        hup_behaviour(&reload, true, Some(&v30)),
        SignalOutcome::Ignored
    );
}

#[test]
fn other_server_signals() {
    let g = rec(&["gunicorn", "a:b"]);
    assert_eq!(hup_behaviour(&g, true, None), SignalOutcome::Reload);
    assert_eq!(
        signal_behaviour(&g, Signal::Usr1, true, None),
        SignalOutcome::Handled
    );
    let gp = rec(&["gunicorn", "--preload", "a:b"]);
    assert_eq!(
        hup_behaviour(&gp, true, None),
        SignalOutcome::RestartOldCode
    );

    let h = rec(&["hypercorn", "a:b"]);
    assert_eq!(
        hup_behaviour(&h, true, Some(&Version::new(0, 18, 0))),
        SignalOutcome::Reload
    );
    assert_eq!(
        hup_behaviour(&h, true, Some(&Version::new(0, 17, 3))),
        SignalOutcome::Ignored
    );
    assert_eq!(hup_behaviour(&h, false, None), SignalOutcome::Unknown);
    assert_eq!(
        hup_behaviour(&rec(&["hypercorn", "-w", "0", "a:b"]), false, None),
        SignalOutcome::Terminates
    );

    let f = rec(&["flask", "run", "--debug"]);
    assert_eq!(
        signal_behaviour(&f, Signal::Term, true, None),
        SignalOutcome::Terminates
    );
    assert_eq!(hup_behaviour(&f, true, None), SignalOutcome::Ignored);
    let f = rec(&["flask", "run"]);
    assert_eq!(
        signal_behaviour(&f, Signal::Term, true, None),
        SignalOutcome::Ignored
    );
    assert_eq!(
        signal_behaviour(&f, Signal::Int, true, None),
        SignalOutcome::Terminates
    );

    let w = rec(&["node", "--watch", "server.js"]);
    assert_eq!(
        signal_behaviour(&w, Signal::Term, true, None),
        SignalOutcome::Terminates
    );
    assert_eq!(hup_behaviour(&w, false, None), SignalOutcome::Terminates);
    let n = rec(&["node", "server.js"]);
    assert_eq!(
        signal_behaviour(&n, Signal::Term, true, None),
        SignalOutcome::Ignored
    );
    assert_eq!(
        signal_behaviour(&n, Signal::Term, false, None),
        SignalOutcome::Terminates
    );
    assert_eq!(
        hup_behaviour(&rec(&["nodemon", "app.js"]), true, None),
        SignalOutcome::Reload
    );
    let custom = rec(&["nodemon", "--signal", "SIGTERM", "app.js"]);
    assert_eq!(hup_behaviour(&custom, true, None), SignalOutcome::Unknown);
    assert_eq!(
        signal_behaviour(&custom, Signal::Usr2, true, None),
        SignalOutcome::Reload
    );
}

#[test]
fn pid1_through_wrappers() {
    let v = Version::new(0, 35, 0);
    let sh = rec(&["/bin/sh", "-c", "cd /app && uvicorn a:b --workers 2"]);
    // dash stays PID 1 without handlers.
    assert_eq!(
        pid1_signal_behaviour(&sh, Signal::Hup, Some(ShellKind::Dash), Some(&v)),
        SignalOutcome::Ignored
    );
    // busybox ash execs the last command: uvicorn's multiprocess supervisor is PID 1.
    assert_eq!(
        pid1_signal_behaviour(&sh, Signal::Hup, Some(ShellKind::BusyboxAsh), Some(&v)),
        SignalOutcome::Reload
    );
    assert_eq!(
        pid1_signal_behaviour(&sh, Signal::Hup, None, Some(&v)),
        SignalOutcome::Unknown
    );
    let semi = rec(&["sh", "-c", "cd /app; uvicorn a:b"]);
    assert_eq!(
        semi.wrappers,
        [Wrapper::Shell {
            shell: "sh".into(),
            exec: false,
            tail_call: None
        }]
    );
    assert_eq!(
        pid1_signal_behaviour(&semi, Signal::Hup, Some(ShellKind::BusyboxAsh), None),
        SignalOutcome::Unknown
    );
    assert_eq!(
        pid1_signal_behaviour(&semi, Signal::Hup, Some(ShellKind::Dash), None),
        SignalOutcome::Ignored
    );
    let trailing = rec(&["sh", "-c", "\n cd /app &&\n  uvicorn a:b\n"]);
    assert_eq!(
        trailing.wrappers,
        [Wrapper::Shell {
            shell: "sh".into(),
            exec: false,
            tail_call: None
        }]
    );
    let and_list = rec(&["sh", "-c", "; cd /app && uvicorn a:b\n"]);
    assert_eq!(
        pid1_signal_behaviour(&and_list, Signal::Hup, Some(ShellKind::Bash), None),
        SignalOutcome::Ignored
    );
    let bg = rec(&["sh", "-c", "uvicorn a:b &"]);
    assert_eq!(
        pid1_signal_behaviour(&bg, Signal::Hup, Some(ShellKind::Bash), None),
        SignalOutcome::Ignored
    );
    let not_last = rec(&["sh", "-c", "uvicorn a:b && echo bye"]);
    assert_eq!(
        pid1_signal_behaviour(&not_last, Signal::Term, Some(ShellKind::BusyboxAsh), None),
        SignalOutcome::Ignored
    );
    let exec = rec(&["sh", "-c", "exec uvicorn a:b"]);
    assert_eq!(
        pid1_signal_behaviour(&exec, Signal::Term, Some(ShellKind::Dash), None),
        SignalOutcome::Terminates
    );
    assert_eq!(
        pid1_signal_behaviour(&exec, Signal::Hup, Some(ShellKind::Dash), None),
        SignalOutcome::Ignored
    );

    let tini = rec(&["tini", "--", "uvicorn", "a:b"]);
    assert_eq!(
        pid1_signal_behaviour(&tini, Signal::Hup, None, None),
        SignalOutcome::Terminates
    );
    assert_eq!(
        pid1_signal_behaviour(&tini, Signal::Kill, None, None),
        SignalOutcome::Ignored
    );
    let tini_g = rec(&["tini", "gunicorn", "a:b"]);
    assert_eq!(
        pid1_signal_behaviour(&tini_g, Signal::Hup, None, None),
        SignalOutcome::Reload
    );
    let uv = rec(&["uv", "run", "uvicorn", "a:b"]);
    assert_eq!(
        pid1_signal_behaviour(&uv, Signal::Hup, None, None),
        SignalOutcome::Unknown
    );
    let direct = rec(&["uvicorn", "a:b"]);
    assert_eq!(
        pid1_signal_behaviour(&direct, Signal::Hup, None, None),
        SignalOutcome::Ignored
    );
    let bash = rec(&["bash", "-c", "uvicorn a:b | tee log"]);
    assert_eq!(
        pid1_signal_behaviour(&bash, Signal::Term, None, None),
        SignalOutcome::Ignored
    );
}

proptest::proptest! {
    #[test]
    fn recognize_never_panics(words in proptest::collection::vec(
        proptest::sample::select(vec![
            "sh", "-c", "-ec", "uvicorn", "gunicorn", "flask", "run", "--debug", "-m", "python3",
            "fastapi", "dev", "node", "--watch", "--watch-path", "nodemon", "-w", "--workers",
            "--reload", "tini", "--", "env", "A=b", "poetry", "uv", "manage.py", "runserver",
            "debugpy", "--listen", "exec uvicorn a:b && x", "'", "-k", "-c", "gunicorn: master [",
            "hypercorn", "-A", "--app", "npx", "gosu", "",
        ]),
        0..8,
    )) {
        let argv: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        if let Some(cmd) = recognize(&argv, &no_env) {
            for sig in [Signal::Hup, Signal::Term, Signal::Kill, Signal::Other(40)] {
                let _ = pid1_signal_behaviour(&cmd, sig, Some(ShellKind::Dash), None);
                let _ = signal_behaviour(&cmd, sig, false, Some(&Version::new(0, 30, 0)));
            }
        }
    }
}

/// The argv Docker runs for the first `CMD`/`ENTRYPOINT` line of a corpus Dockerfile: JSON
/// exec form as is, shell form under `/bin/sh -c`.
fn corpus_argv(rel: &str, instruction: &str) -> Vec<String> {
    let path = format!("{}/tests/corpus/skaffold/{rel}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("corpus file");
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(instruction).map(str::trim))
        .expect("instruction present");
    if line.starts_with('[') {
        serde_json::from_str(line).expect("exec form is a JSON string array")
    } else {
        argv(&["/bin/sh", "-c", line])
    }
}

#[test]
fn corpus_skaffold_hot_reload_python() {
    let a = corpus_argv(
        "GoogleContainerTools__skaffold/examples/hot-reload/python/Dockerfile",
        "CMD ",
    );
    // The Dockerfile sets FLASK_DEBUG from the DEBUG build arg, 1 in the dev profile.
    let dev = rec_env(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &[("FLASK_DEBUG", "1")],
    )
    .unwrap();
    assert_eq!(dev.kind, ServerKind::Flask);
    assert_eq!(dev.reload, on_env("FLASK_DEBUG"));
    assert_eq!(dev.insert_after, ArgPos::Argv { index: 3 });
    let prod = rec_env(
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
        &[("FLASK_DEBUG", "0")],
    )
    .unwrap();
    assert_eq!(prod.reload, ReloadMode::Off);
}

#[test]
fn corpus_django_noreload() {
    let a = corpus_argv(
        "GoogleCloudPlatform__cloud-code-samples/python/django/python-guestbook/src/Dockerfile",
        "CMD ",
    );
    let c = recognize(&a, &no_env).unwrap();
    assert_eq!(c.kind, ServerKind::Django);
    assert_eq!(c.reload, ReloadMode::Off);
    let at: Vec<ArgPos> = c.find_args("--noreload").map(|x| x.pos).collect();
    assert_eq!(at, [ArgPos::Argv { index: 4 }]);
}

#[test]
fn corpus_shell_forms() {
    let node = corpus_argv(
        "GoogleContainerTools__skaffold/examples/hot-reload/node/Dockerfile",
        "CMD ",
    );
    assert_eq!(node, ["/bin/sh", "-c", "npm run $NODE_ENV"]);
    assert_eq!(recognize(&node, &no_env), None);
    assert_eq!(
        shell_features(&node[2]),
        Some(vec![ShellFeature::Expansion])
    );

    let locust = corpus_argv(
        "GoogleCloudPlatform__microservices-demo/src/loadgenerator/Dockerfile",
        "ENTRYPOINT ",
    );
    assert_eq!(recognize(&locust, &no_env), None);
    assert_eq!(
        shell_features(&locust[2]),
        Some(vec![ShellFeature::Expansion, ShellFeature::Redirect])
    );
    assert_eq!(exec_form(&locust[2]), None);
}

#[test]
fn node_dev_tools_reload_by_subcommand() {
    let on = ReloadMode::On {
        via: ReloadVia::Default,
    };
    assert_eq!(rec(&["npx", "next", "dev"]).reload, on);
    assert_eq!(
        rec(&["next", "start", "-p", "3000"]).reload,
        ReloadMode::Off
    );
    assert_eq!(rec(&["vite"]).reload, on);
    assert_eq!(rec(&["vite", "--host", "0.0.0.0"]).reload, on);
    assert_eq!(rec(&["vite", "preview"]).reload, ReloadMode::Off);
    assert_eq!(rec(&["tsnd", "--respawn", "src/index.ts"]).reload, on);
    assert_eq!(
        rec(&["ts-node-dev", "src/index.ts"]).kind,
        ServerKind::NodeTool {
            name: "ts-node-dev".into()
        }
    );
    assert!(recognize(&argv(&["next", "build"]), &no_env).is_none());
    assert!(recognize(&argv(&["vite", "build"]), &no_env).is_none());
}
