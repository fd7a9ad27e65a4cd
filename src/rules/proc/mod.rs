//! PROC: what runs as PID 1 and how it handles signals.

pub mod shell_form_cmd;
