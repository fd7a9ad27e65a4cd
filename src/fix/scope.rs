//! Keeps the fix of a finding that exists only under a profile inside that profile: such a fix
//! may edit the profile's own place (its block under `profiles:`, a Dockerfile stage or a
//! manifest that only profiles use), never what the production pipeline (no profile) builds or
//! deploys from. A fix that would is made display-only and says why: applying it would change the
//! production image or deployment to cure a development-only problem.

use crate::diagnostic::{Applicability, Diagnostic};
use crate::source::Span;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// What the production pipelines use.
#[derive(Debug, Default)]
pub struct ProductionPlaces {
    /// Files the pipelines without a profile use whole (manifests).
    pub files: HashSet<PathBuf>,
    /// Per Dockerfile, the byte ranges the production images are built from (global ARGs,
    /// the built stages and the stages they copy from); other stages belong to profiles.
    pub regions: HashMap<PathBuf, Vec<Span>>,
    /// Per config file, the byte ranges of its `profiles` lists (the profiles' own place);
    /// everything else in a config file is production configuration.
    pub profile_blocks: HashMap<PathBuf, Vec<Span>>,
}

impl ProductionPlaces {
    /// Whether an edit of `path` at `start..end` changes what production uses.
    fn touches(&self, path: &PathBuf, start: usize, end: usize) -> bool {
        if let Some(blocks) = self.profile_blocks.get(path) {
            return !blocks.iter().any(|b| b.start <= start && end <= b.end);
        }
        if self.files.contains(path) {
            return true;
        }
        self.regions.get(path).is_some_and(|regions| {
            regions.iter().any(|r| {
                if start == end {
                    // An insertion: inside the region, or right at its start.
                    r.start <= start && start < r.end.max(r.start + 1)
                } else {
                    start < r.end && r.start < end
                }
            })
        })
    }
}

/// Makes display-only every fix of a profile-only finding that edits a production place.
pub fn confine_profile_fixes(diagnostics: &mut [Diagnostic], production: &ProductionPlaces) {
    for d in diagnostics {
        let Some(profile) = d.profile.clone() else {
            continue;
        };
        let Some(fix) = &mut d.fix else { continue };
        if fix.applicability == Applicability::DisplayOnly {
            continue;
        }
        if fix
            .edits
            .iter()
            .any(|e| production.touches(&e.path, e.start, e.end))
        {
            fix.applicability = Applicability::DisplayOnly;
            fix.message = format!(
                "{} (not applied: it would change the production pipeline too; make the change in profile `{profile}`'s own target stage, manifests or patch)",
                fix.message
            );
        }
    }
}
