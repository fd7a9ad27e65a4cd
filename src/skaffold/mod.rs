//! skaffold (under construction).
