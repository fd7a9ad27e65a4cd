//! Resource bounds through the real CLI: inputs far past anything real (deep nesting, huge
//! lines, many documents, a million-line Dockerfile, a huge build context, alias bombs) end
//! with their exact outcome while the process runs under an address-space limit and a time
//! limit. Going over either fails the test (the child is killed or aborts) instead of hanging
//! or swapping; no test measures how long a run takes. Linux only: the limit is `ulimit -v`.
#![cfg(target_os = "linux")]

use assert_cmd::Command;
use std::path::Path;
use std::time::Duration;

/// The child's address space (`ulimit -v`, KiB): a few times what the largest case needs.
const ADDRESS_SPACE_KIB: u64 = 1536 * 1024;

/// Generous for an unoptimized build on a busy machine; only a runaway run reaches it.
const TIME_LIMIT: Duration = Duration::from_secs(600);

/// `skafix check --format concise -q` in `dir` under the limits: (exit code, stdout).
fn bounded_check(dir: &Path) -> (i32, String) {
    let output = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v \"$1\" || exit 99; shift; exec \"$@\"")
        .arg("sh")
        .arg(ADDRESS_SPACE_KIB.to_string())
        .arg(env!("CARGO_BIN_EXE_skafix"))
        .args(["check", "--format", "concise", "-q"])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        // The address-space limit counts reserved memory: keep thread stacks and malloc arenas
        // from scaling with the test machine's core count.
        .env("RAYON_NUM_THREADS", "2")
        .env("MALLOC_ARENA_MAX", "2")
        .timeout(TIME_LIMIT)
        .output()
        .expect("skafix finished within the time limit");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "{stderr}"
    );
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal (out of memory?): {stderr}"));
    assert_ne!(code, 99, "the shell could not set the limit");
    (code, stdout)
}

fn write(path: &Path, content: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

const CONFIG: &str = "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\nmanifests:\n  rawYaml:\n    - k8s/*.yaml\n";
const DOCKERFILE: &str = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"uvicorn\", \"app:app\", \"--reload\", \"--host\", \"0.0.0.0\"]\n";
/// A Deployment whose hostPath volume is the one finding of the project (VOL001, line 19).
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app\n          volumeMounts:\n            - name: src\n              mountPath: /code\n      volumes:\n        - name: src\n          hostPath:\n            path: /src/app\n";

fn vol001(line: usize) -> String {
    format!("k8s/deployment.yaml:{line}:19: warning: VOL001 hostPath volume `src` mounts `/src/app` from the node that runs the pod, and this pipeline is not restricted to a local kube context: on a remote cluster that is the node's directory, not your files\n")
}

/// The config, Dockerfile and Deployment above, each with `extra` appended where given.
fn project(config_extra: &str, dockerfile_extra: &str, deployment: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("skaffold.yaml"),
        format!("{CONFIG}{config_extra}").as_bytes(),
    );
    write(
        &dir.path().join("Dockerfile"),
        format!("{DOCKERFILE}{dockerfile_extra}").as_bytes(),
    );
    write(&dir.path().join("app.py"), b"app = None\n");
    write(
        &dir.path().join("k8s/deployment.yaml"),
        deployment.as_bytes(),
    );
    dir
}

#[test]
fn yaml_nested_a_hundred_thousand_deep_stops_at_the_nesting_limit() {
    // Flow: `[[[...x...]]]`; block: `- - - ... x` (compact nested sequences, one line).
    let flow = format!("{}x{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let dir = project(&format!("metadata:\n  labels: {flow}"), "", DEPLOYMENT);
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 2, "{out}");
    // The 256th `[`: the parser counts flow levels up to 255.
    assert_eq!(
        out,
        "skaffold.yaml:10:266: error: SCHEMA001 invalid YAML: flow collections nested deeper than 255 levels (the nesting limit)\n"
    );

    let block = format!("{}x\n", "- ".repeat(100_000));
    let dir = project(
        &format!("metadata:\n  labels:\n    {block}"),
        "",
        DEPLOYMENT,
    );
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 2, "{out}");
    // Under `labels:` (two levels), the 255th `-` opens the 257th collection.
    assert_eq!(
        out,
        format!(
            "skaffold.yaml:11:{}: error: SCHEMA001 invalid YAML: nesting deeper than 256 levels\n",
            4 + 2 * 254 + 1
        )
    );
}

#[test]
fn ten_megabyte_lines_are_read_and_checked() {
    let line = "x".repeat(10 * 1024 * 1024);
    let dir = project(
        &format!("# {line}\n"),
        &format!("RUN echo {line}\n"),
        &format!("{DEPLOYMENT}# {line}\n"),
    );
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert_eq!(out, vol001(17));
}

#[test]
fn ten_thousand_documents_in_one_manifest_are_each_checked() {
    let documents: Vec<String> = (0..10_000)
        .map(|i| DEPLOYMENT.replacen("name: app\n", &format!("name: app{i}\n"), 1))
        .collect();
    let manifest = documents.join("---\n");
    let dir = project("", "", &manifest);
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 1, "{}", &out[..out.len().min(2000)]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 10_000);
    // Each document is 17 lines plus its `---`: the last finding is on line 17 + 9,999 * 18.
    assert_eq!(format!("{}\n", lines[0]), vol001(17));
    assert_eq!(format!("{}\n", lines[9_999]), vol001(17 + 9_999 * 18));
}

#[test]
fn a_million_line_dockerfile_is_checked_to_its_last_line() {
    let mut dockerfile = String::with_capacity(16 * 1024 * 1024);
    for i in 0..1_000_000 {
        dockerfile.push_str("RUN echo ");
        dockerfile.push_str(&i.to_string());
        dockerfile.push('\n');
    }
    // A finding on the very last line proves every instruction before it was modelled.
    dockerfile.push_str("COPY --from=nowhere /a /b\n");
    let dir = project("", &dockerfile, DEPLOYMENT);
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with("Dockerfile:1000005:13: error: DF001 `--from=nowhere` names no stage"),
        "{out}"
    );
    assert_eq!(format!("{}\n", lines[1]), vol001(17));
}

#[test]
fn a_build_context_of_a_hundred_thousand_files_is_walked() {
    // Ten directories of 10,000 names each; the names are hard links to one file per
    // directory (a file system allows some 65,000 links to one file), which keeps making the
    // context cheap while the walk still sees 100,000 entries.
    let dir = project("", "", DEPLOYMENT);
    for d in 0..10 {
        let sub = dir.path().join(format!("src/d{d}"));
        std::fs::create_dir_all(&sub).unwrap();
        let first = sub.join("f0.py");
        std::fs::write(&first, "x = 1\n").unwrap();
        for f in 1..10_000 {
            std::fs::hard_link(&first, sub.join(format!("f{f}.py"))).unwrap();
        }
    }
    // A sync rule for files .dockerignore leaves out: only a walk of the context finds that
    // every one of its files is ignored.
    write(
        &dir.path().join("skaffold.yaml"),
        b"apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n      sync:\n        manual:\n          - src: \"src/d9/*.py\"\n            dest: /app\nmanifests:\n  rawYaml:\n    - k8s/*.yaml\n",
    );
    write(&dir.path().join(".dockerignore"), b"src/d9\n");
    // Past the 50,000 files a context may have to be analysed, the walk stops there: the
    // context rules say nothing rather than guess, and the check says what it skipped.
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out,
        format!(
            "{}skaffold.yaml:5:14: info: SCHEMA009 the build context `.` of `app` is not analysed: it holds more than 50000 files (counting those .dockerignore leaves out), the most skafix lists; checks that need its files (sync rules, .dockerignore, rebuild triggers, reload watch) are skipped for it\n",
            vol001(17)
        )
    );
    // Under the limit, the same walk finds what the rules need.
    for d in 0..6 {
        std::fs::remove_dir_all(dir.path().join(format!("src/d{d}"))).unwrap();
    }
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out,
        format!(
            ".dockerignore:1:1: warning: CACHE004 `src/d9` excludes every copied file that sync rule `src/d9/*.py` matches (e.g. `src/d9/f0.py`); Skaffold does not watch ignored files, so the rule never fires\n{}skaffold.yaml:8:18: warning: SYNC003 every file `src/d9/*.py` matches is excluded by .dockerignore (e.g. `src/d9/f0.py`), so Skaffold does not watch it and this sync rule never fires\n",
            vol001(17)
        )
    );
}

/// Ten strings, then eight levels of ten aliases each: 10^9 strings if expanded.
fn billion_laughs(indent: &str) -> String {
    let mut text = format!("{indent}a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..=8u8 {
        let prev = (b'a' + level - 1) as char;
        let name = (b'a' + level) as char;
        let refs = vec![format!("*{prev}"); 10].join(", ");
        text.push_str(&format!("{indent}{name}: &{name} [{refs}]\n"));
    }
    text
}

#[test]
fn a_billion_laughs_stops_at_the_alias_within_bounds() {
    let dir = project(
        &format!("metadata:\n  labels:\n{}", billion_laughs("    ")),
        "",
        DEPLOYMENT,
    );
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 2, "{out}");
    // .b to .e copy 123,440 values through aliases; the first `*e` of .f would copy 111,111
    // more, past the budget. The mappings that are not strings are reported where they stand.
    let not_a_string = |line: usize, key: char| {
        format!("skaffold.yaml:{line}:11: error: SCHEMA003 `metadata.labels.{key}` must be a string, found a list: Skaffold fails to decode the file\n")
    };
    let mut expected: String = (11..=16)
        .zip('a'..='f')
        .map(|(line, key)| not_a_string(line, key))
        .collect();
    expected.push_str("skaffold.yaml:16:12: error: SCHEMA001 alias `*e` expands to more than 200000 values (the alias expansion limit); document not checked\n");
    expected.extend(
        (17..=19)
            .zip('g'..='i')
            .map(|(line, key)| not_a_string(line, key)),
    );
    assert_eq!(out, expected);

    // In a manifest, aliases are followed lazily where a value is read, never expanded whole.
    let manifest = format!(
        "{}  labels:\n{}{}",
        &DEPLOYMENT[..DEPLOYMENT.find("spec:").unwrap()],
        billion_laughs("    "),
        DEPLOYMENT[DEPLOYMENT.find("spec:").unwrap()..].replace(
            "          image: app\n",
            "          image: app\n          args: *i\n"
        )
    );
    let dir = project("", "", &manifest);
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert_eq!(out, vol001(28));
}

const BUILD_ONLY: &str =
    "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: app\n";

/// ENV lines doubling a value to 32 KiB, then one ENV copying it into 800 variables: a
/// 25 MiB environment from a few kilobytes of Dockerfile, all within the per-value budget.
fn large_environment() -> String {
    let mut dockerfile = String::from("FROM alpine:3.20\nENV a0=xxxxxxxxxxxxxxxx\n");
    for i in 1..12 {
        dockerfile.push_str(&format!("ENV a{i}=$a{}$a{}\n", i - 1, i - 1));
    }
    let copies: Vec<String> = (0..800).map(|j| format!("b{j}=$a11")).collect();
    dockerfile.push_str(&format!("ENV {}\n", copies.join(" ")));
    dockerfile
}

#[test]
fn workdir_lines_after_a_large_environment_stop_at_the_build_budget() {
    // Each WORKDIR (or USER) gives the next instructions a new state holding every variable:
    // they count against the build's 32 MiB like ENV does (uncounted, 200 of them took over
    // 3 GB). The second one crosses it.
    let mut dockerfile = large_environment();
    for k in 0..200 {
        dockerfile.push_str(&format!("WORKDIR /w{}\n", k % 2));
    }
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("skaffold.yaml"), BUILD_ONLY.as_bytes());
    write(&dir.path().join("Dockerfile"), dockerfile.as_bytes());
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out,
        "Dockerfile:16:1: error: SCHEMA001 invalid Dockerfile: variable expansion goes over its budget here (a value may reach 64 KiB, a build's variables 32 MiB in all); the Dockerfile is not checked\n"
    );
}

#[test]
fn run_lines_after_a_large_environment_are_checked() {
    // The state before each RUN is the one before the previous RUN: it is shared, not compared
    // again (comparing 25 MiB per line took 20 ms a line, hours for these).
    let mut dockerfile = large_environment();
    for _ in 0..100_000 {
        dockerfile.push_str("RUN true\n");
    }
    dockerfile.push_str("COPY --from=nowhere /a /b\n");
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("skaffold.yaml"), BUILD_ONLY.as_bytes());
    write(&dir.path().join("Dockerfile"), dockerfile.as_bytes());
    let (code, out) = bounded_check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("Dockerfile:100015:13: error: DF001 `--from=nowhere` names no stage"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1, "{out}");
}
