//! What the probe reads back from a container: the three process listers' outputs (and the
//! process-tree questions asked of them), /proc status/stat/cmdline texts and `sha256sum`
//! output. The first byte picks the parser.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skafix::fuzzing::{self, Lister};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, output)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        0 => drop(fuzzing::probe_listing(Lister::Python, output)),
        1 => drop(fuzzing::probe_listing(Lister::Shell, output)),
        2 => drop(fuzzing::probe_listing(Lister::Ps, output)),
        3 => fuzzing::probe_proc_files(output),
        _ => {
            for (path, hex) in fuzzing::probe_hashes(output) {
                assert_eq!(hex.len(), 64, "{path}");
            }
        }
    }
});
