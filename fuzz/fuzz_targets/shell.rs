//! The shell-command parser used for CMD/ENTRYPOINT and sync hooks, and what is read from
//! its words: the server a command line starts and the signals a hook sends.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skafix::server;

fuzz_target!(|data: &[u8]| {
    let script = String::from_utf8_lossy(data);
    let script = script.as_ref();
    std::hint::black_box(server::shell_features(script));
    std::hint::black_box(server::is_simple_command(script));
    std::hint::black_box(server::exec_form(script));
    let words = server::shell_words(script);
    let env = |name: &str| (name == "UVICORN_RELOAD").then(|| "true".to_string());
    if let Some(words) = &words {
        std::hint::black_box(server::recognize(words, &env));
        std::hint::black_box(skafix::fuzzing::hook_signals(words));
    }
    // A hook's `sh -c SCRIPT` form, as skaffold.yaml writes it.
    let hook = vec!["sh".to_string(), "-c".to_string(), script.to_string()];
    std::hint::black_box(skafix::fuzzing::hook_signals(&hook));
    std::hint::black_box(server::recognize(&hook, &env));
});
