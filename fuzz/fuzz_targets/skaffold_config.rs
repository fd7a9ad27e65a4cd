//! skaffold.yaml as the model reads it: each document copied into a tree (aliases followed
//! under their budget), the pipeline model extracted, every profile overlaid and its JSON
//! patches applied, activation evaluated, and the templates of every string scanned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skafix::skaffold::profiles::{self, ActivationContext, ProfileSelection};
use skafix::skaffold::tree::{FileId, Kind, Val, ALIAS_EXPANSION_LIMIT};
use skafix::skaffold::{model, patch, template};

fn scan_templates(val: &Val, depth: usize) {
    match &val.kind {
        Kind::Scalar { text, .. } => {
            for action in template::actions(text) {
                assert!(text.get(action.range.clone()).is_some(), "{action:?}");
            }
            for field in template::field_refs(text) {
                assert!(text.get(field.range.clone()).is_some(), "{field:?}");
            }
            std::hint::black_box(template::calls_varying_function(text));
        }
        Kind::Map(entries) => entries
            .iter()
            .for_each(|(_, v)| scan_templates(v, depth + 1)),
        Kind::Seq(items) => items.iter().for_each(|v| scan_templates(v, depth + 1)),
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(documents) = skafix::yaml::parse(&text) else {
        return;
    };
    for document in &documents {
        let Some(root) = document.root_ref() else {
            continue;
        };
        let mut alias_budget = ALIAS_EXPANSION_LIMIT;
        let Ok(tree) = Val::from_yaml(root, FileId(0), &mut alias_budget) else {
            continue;
        };
        std::hint::black_box(model::extract(&tree));
        scan_templates(&tree, 0);
        let profile_list = tree.get("profiles").map(Val::items).unwrap_or(&[]);
        let ctx = ActivationContext {
            command: Some("dev".into()),
            kube_context: Some("kind-dev".into()),
            env: Some(Default::default()),
        };
        std::hint::black_box(profiles::active_profiles(
            profile_list,
            &ProfileSelection::default(),
            &ctx,
        ));
        for profile in profile_list {
            let mut applied = tree.clone();
            profiles::overlay(&mut applied, profile);
            std::hint::black_box(profiles::written_paths(profile));
            let patches = profile.get("patches").map(Val::items).unwrap_or(&[]);
            if !patches.is_empty() {
                patch::drop_empty_collections(&mut applied);
            }
            for p in patches {
                let _ = patch::apply(&mut applied, p);
            }
            std::hint::black_box(model::extract(&applied));
        }
    }
});
