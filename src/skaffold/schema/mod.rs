//! Skaffold schema tables (under construction).
