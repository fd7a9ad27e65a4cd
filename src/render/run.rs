//! Starts one render tool: a cleared environment, a private temporary directory (deleted
//! afterwards), no stdin, bounded output and a time bound after which the tool is killed.

use super::{RenderKey, RenderOptions};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Rendered output larger than this is refused (no real project comes close).
const MAX_OUTPUT: usize = 64 * 1024 * 1024;
/// Only the start of the tool's error output is kept for the message.
const MAX_ERROR: usize = 64 * 1024;

static RUNS: AtomicUsize = AtomicUsize::new(0);

/// A private directory for one run, removed when dropped.
pub(crate) struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub(crate) fn new() -> std::io::Result<TempDir> {
        let base = std::fs::canonicalize(std::env::temp_dir())?;
        let dir = base.join(format!(
            "skafix-render-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `tool` with the key's arguments (`{TMP}` stands for the private directory, where the
/// key's files are written first); the standard output on success, else a short reason.
pub(crate) fn run_tool(
    tool: &Path,
    key: &RenderKey,
    options: &RenderOptions,
) -> Result<String, String> {
    let temp = TempDir::new().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let tmp = temp.0.to_string_lossy().to_string();
    // With a copy, every path of the project in the arguments, the working directory and the
    // written files points into the copy instead (absolute, or relative from the temporary
    // directory as the kustomize wrapper spells it: the root without its leading `/`).
    let moved = match &key.copy {
        Some(copy) => Some(make_copy(copy, &temp.0)?),
        None => None,
    };
    let relocate = |text: &str| -> String {
        match &moved {
            Some((root, copy)) => text.replace(root.as_str(), copy),
            None => text.to_string(),
        }
    };
    for (name, contents) in &key.files {
        std::fs::write(temp.0.join(name), relocate(contents))
            .map_err(|e| format!("cannot write a temporary file: {e}"))?;
    }
    let args: Vec<String> = key
        .args
        .iter()
        .map(|a| relocate(a).replace("{TMP}", &tmp))
        .collect();
    let dir = std::path::PathBuf::from(relocate(&key.dir.to_string_lossy()));
    let mut command = Command::new(tool);
    command
        .args(&args)
        .current_dir(&dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Only what the tools need to start: their own search path, and homes and caches in the
    // private directory, so no user config, credential, plugin or kube context is read.
    if let Some(path) = options
        .search_path
        .clone()
        .or_else(|| std::env::var_os("PATH"))
    {
        command.env("PATH", path);
    }
    for var in [
        "HOME",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "XDG_DATA_HOME",
        "HELM_CACHE_HOME",
        "HELM_CONFIG_HOME",
        "HELM_DATA_HOME",
        "HELM_PLUGINS",
    ] {
        command.env(var, &temp.0);
    }
    command.env("KUBECONFIG", temp.0.join("no-kubeconfig"));
    command.env("HELM_REGISTRY_CONFIG", temp.0.join("no-registry.json"));
    command.env(
        "HELM_REPOSITORY_CONFIG",
        temp.0.join("no-repositories.yaml"),
    );
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start it: {e}"))?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let read = (&mut stdout)
            .take(MAX_OUTPUT as u64 + 1)
            .read_to_end(&mut buf);
        // Drain the rest so the tool never blocks on a full pipe.
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        read.map(|_| buf)
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stderr).take(MAX_ERROR as u64).read_to_end(&mut buf);
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
        buf
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > options.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                let _ = out_reader.join();
                let _ = err_reader.join();
                return Err(format!(
                    "it did not finish within {} seconds and was stopped",
                    options.timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) => return Err(format!("cannot wait for it: {e}")),
        }
    };
    let out = out_reader
        .join()
        .map_err(|_| "its output could not be read".to_string())?
        .map_err(|e| format!("its output could not be read: {e}"))?;
    let err = err_reader.join().unwrap_or_default();
    if !status.success() {
        let text = String::from_utf8_lossy(&err).replace(&tmp, "<temporary directory>");
        return Err(short_error(&text));
    }
    if out.len() > MAX_OUTPUT {
        return Err(format!(
            "its output is larger than {} MB",
            MAX_OUTPUT / (1024 * 1024)
        ));
    }
    let text = String::from_utf8(out).map_err(|_| "its output is not UTF-8 text".to_string())?;
    Ok(match &moved {
        Some((root, copy)) => text.replace(copy.as_str(), root),
        None => text,
    })
}

/// Copies a render's inputs below `temp`, the held texts in place of the files; the root's
/// and the copy's paths without their leading `/`.
fn make_copy(copy: &super::Copy, temp: &Path) -> Result<(String, String), String> {
    let base = temp.join("copy");
    for input in &copy.inputs {
        let Ok(relative) = input.strip_prefix(&copy.root) else {
            return Err("an input lies outside the checked project".into());
        };
        let target = base.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot write a temporary file: {e}"))?;
        }
        let held = copy.held.iter().find(|(p, _)| p == input);
        let written = match held {
            Some((_, text)) => std::fs::write(&target, text),
            None => std::fs::copy(input, &target).map(|_| ()),
        };
        written.map_err(|e| format!("cannot write a temporary file: {e}"))?;
    }
    let strip = |p: &Path| p.to_string_lossy().trim_start_matches('/').to_string();
    Ok((strip(&copy.root), strip(&base)))
}

/// The first lines of a tool's error output, trimmed to a message's length.
fn short_error(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(5)
        .collect();
    let joined = lines.join(" ");
    if joined.is_empty() {
        return "it failed without a message".to_string();
    }
    joined
}
