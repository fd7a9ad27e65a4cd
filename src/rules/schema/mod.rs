//! SCHEMA: problems with skaffold.yaml itself, found while loading and validating it against the
//! key tables of its apiVersion.

pub mod api_version;
pub mod duplicate_key;
pub mod invalid_profile;
pub mod missing_file;
pub mod not_analysed;
pub mod parse_error;
pub mod path_outside_root;
pub mod profile_overrides_profile;
pub mod unknown_api_version;
pub mod unknown_key;
pub mod unquoted_template;
mod validation;
pub mod wrong_type;
