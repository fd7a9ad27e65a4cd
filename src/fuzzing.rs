//! Entry points for the fuzz targets in `fuzz/`: thin wrappers over parsers that are not
//! public API (the probe's output parsers), so a target exercises exactly the code the engine
//! runs. Not a stable interface; hidden from the documentation.

use crate::probe::{hash, procs, servers, signals};

/// Which lister printed a process table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lister {
    Python,
    Shell,
    Ps,
}

/// Parses a lister's output as the probe does, then runs the process-tree questions the
/// probe asks of it (servers, roles, signal effects, restarts by a parent, redaction).
/// Returns the number of processes listed, `None` when the output is not a listing.
pub fn probe_listing(lister: Lister, stdout: &[u8]) -> Option<usize> {
    let listing = match lister {
        Lister::Python => procs::parse_python(stdout),
        Lister::Shell => procs::parse_shell(stdout),
        Lister::Ps => procs::parse_ps(stdout),
    }?;
    let table = &listing.procs;
    let found = servers::servers(table);
    std::hint::black_box(&found);
    for process in table {
        std::hint::black_box(servers::role(process));
        for signal in [signals::SIGHUP, signals::SIGTERM, signals::SIGKILL] {
            std::hint::black_box(servers::predict(table, process.pid, signal));
        }
        std::hint::black_box(servers::respawned_by_parent(table, process.pid));
        std::hint::black_box(servers::is_server_process(table, process.pid));
        std::hint::black_box(crate::probe::redact::show_argv(&process.argv));
    }
    Some(table.len())
}

/// `/proc/PID/status`, `/proc/PID/stat` and `/proc/PID/cmdline` texts as the probe reads them.
pub fn probe_proc_files(text: &[u8]) {
    std::hint::black_box(procs::parse_status(text));
    let lossy = String::from_utf8_lossy(text);
    std::hint::black_box(procs::parse_stat(&lossy));
    std::hint::black_box(procs::split_cmdline(&lossy));
    std::hint::black_box(procs::normalize(&lossy));
}

/// `sha256sum` output: the (path, lowercase hex) pairs the drift check compares.
pub fn probe_hashes(stdout: &[u8]) -> Vec<(String, String)> {
    hash::parse_sha256sum(stdout)
}

/// The signals a sync hook's argv sends, as the probe matches them against PID 1's mask.
pub fn hook_signals(argv: &[String]) -> usize {
    std::hint::black_box(signals::simple_commands(argv));
    signals::hook_signals(argv).len()
}
