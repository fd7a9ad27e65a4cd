//! k8s (under construction).
