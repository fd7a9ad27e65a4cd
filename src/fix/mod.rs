//! fix (under construction).
