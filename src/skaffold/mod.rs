//! Skaffold configuration: a span-keeping value tree (`tree`), profile activation and overlay
//! with Skaffold's exact merge semantics (`profiles`), JSON patches (`patch`), Go template
//! analysis of templated fields (`template`), and the typed pipeline model rules read (`model`).

pub mod model;
pub mod patch;
pub mod profiles;
pub mod schema;
pub mod template;
pub mod tree;
