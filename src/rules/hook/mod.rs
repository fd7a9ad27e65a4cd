//! HOOK: sync hooks that do nothing, fail, or throw the synced files away.

pub mod command_is_string;
