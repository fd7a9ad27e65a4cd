//! CACHE: stale images and build args that do not do what they seem to.

pub mod build_arg_not_declared;
pub mod dockerignore_excludes_needed;
pub mod template_no_value;
pub mod try_import_stable_tag;
