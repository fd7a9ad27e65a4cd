//! SCHEMA: problems with skaffold.yaml itself, found while loading and validating it.

pub mod duplicate_key;
pub mod invalid_profile;
pub mod missing_file;
pub mod not_analysed;
pub mod parse_error;
