//! The rule registry: every rule's metadata and check function, one file per rule under
//! `rules/<family>/`. Docs live in `rules/<CODE>.md` at the repository root and are embedded.

use crate::diagnostic::{Applicability, Diagnostic, Severity};
use crate::project::{ConfigFile, Pipeline};

/// Whether and how a rule can fix what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    /// Some findings carry a fix of this applicability.
    Sometimes(Applicability),
    Always(Applicability),
}

#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Runs once per skaffold config file, on its raw documents.
    ConfigFile(fn(&ConfigFile, &mut Vec<Diagnostic>)),
    /// Runs once per effective pipeline (the base config and each profile).
    Pipeline(fn(&Pipeline, &mut Vec<Diagnostic>)),
}

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub fix: FixAvailability,
    /// One line: what the rule finds.
    pub summary: &'static str,
    pub check: Check,
    /// The rule's doc, `rules/<CODE>.md`.
    pub doc: &'static str,
}

impl Rule {
    /// A diagnostic of this rule with its code, name and default severity.
    pub fn diagnostic(
        &self,
        path: impl Into<std::path::PathBuf>,
        span: crate::source::Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::new(self.code, self.name, self.severity, path, span, message)
    }
}

/// Every rule, in code order.
pub fn all() -> &'static [&'static Rule] {
    ALL
}

pub fn by_code(code: &str) -> Option<&'static Rule> {
    ALL.iter().copied().find(|r| r.code.eq_ignore_ascii_case(code))
}

static ALL: &[&Rule] = &[];
