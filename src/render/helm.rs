//! Helm as Skaffold's Helm renderer runs it (`pkg/skaffold/render/renderer/helm/args.go`
//! `templateArgs`, `pkg/skaffold/helm/args.go` `ConstructOverrideArgs`): `helm template NAME
//! CHART [flags.template] --set k=v (setValues, sorted) --set-file k=path (setFiles, sorted)
//! --set k=v (setValueTemplates, sorted, rendered) -f FILE (valuesFiles) [-f overrides]
//! [--version V] [--namespace NS] [--skip-tests]`.
//!
//! setValueTemplates see, per artifact, the names `envVarForImage` makes (IMAGE_NAME, DIGEST,
//! IMAGE_REPO, IMAGE_TAG, IMAGE_DIGEST, DIGEST_ALGO, DIGEST_HEX, IMAGE_DOMAIN,
//! IMAGE_REPO_NO_DOMAIN, IMAGE_FULLY_QUALIFIED), suffixed with the artifact's position (none for
//! the first, `2`, `3`, ...) and with `_<image>` where `.`, `-`, `/` and `:` become `_`
//! (`util.SanitizeHelmTemplateValue`). Images are not built here, so a stand-in tag is used.
//!
//! Never contacted: chart repositories and OCI registries (`remoteChart`, `repo`, `oci://`),
//! and `helm dependency build`, which Skaffold runs first unless `skipBuildDependencies`
//! (dependencies must already be in the chart's `charts/`). Skaffold's post-renderer
//! (`skaffold filter`) only replaces artifact images, which the image matching does itself.

use super::{expand_template, inside, NotAnalysed, RenderCache, RenderKey, Rendered};
use crate::skaffold::tree::Val;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The tag standing in for the one Skaffold's build would produce.
pub const STAND_IN_TAG: &str = "skafix-stand-in";

/// `helm template` flags from `flags.template`/`flags.global` that only shape the output.
/// Everything else (`--post-renderer`, plugins, `--repo`, `--kubeconfig`, `--validate`,
/// `--dependency-update`, `--output-dir`, ...) is refused.
const ALLOWED_FLAGS: &[&str] = &[
    "--include-crds",
    "--skip-crds",
    "--skip-tests",
    "--no-hooks",
    "--is-upgrade",
    "--api-versions",
    "--kube-version",
    "--create-namespace",
    "--wait",
    "--atomic",
    "--debug",
];
/// Of those, the ones that take a value.
const FLAGS_WITH_VALUE: &[&str] = &["--api-versions", "--kube-version"];

/// A release as `helm template` sees it, with what the origin map needs.
pub struct Prepared {
    pub key: RenderKey,
    pub chart_dir: PathBuf,
    pub values_files: Vec<PathBuf>,
    /// Every file the render reads (chart, values files, setFiles).
    pub inputs: Vec<PathBuf>,
    pub label: String,
    /// The checked root, scrubbed from error messages.
    pub root: PathBuf,
}

fn not(reason: impl Into<String>) -> NotAnalysed {
    NotAnalysed {
        reason: reason.into(),
    }
}

/// Names Skaffold gives setValueTemplates for the artifacts built in this pipeline.
pub fn image_values(images: &[String]) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for (index, image) in images.iter().enumerate() {
        let tag = format!("{image}:{STAND_IN_TAG}");
        let domain = match image.split_once('/') {
            Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
            _ => "docker.io",
        };
        let no_domain = image
            .strip_prefix(&format!("{domain}/"))
            .unwrap_or(image)
            .to_string();
        let (algo, hex) = tag.split_once(':').unwrap_or(("", &tag));
        let own = [
            ("IMAGE_NAME", image.clone()),
            ("DIGEST", tag.clone()),
            ("IMAGE_REPO", image.clone()),
            ("IMAGE_TAG", STAND_IN_TAG.to_string()),
            ("IMAGE_DIGEST", String::new()),
            ("DIGEST_ALGO", algo.to_string()),
            ("DIGEST_HEX", hex.to_string()),
            ("IMAGE_DOMAIN", domain.to_string()),
            ("IMAGE_REPO_NO_DOMAIN", no_domain),
            ("IMAGE_FULLY_QUALIFIED", tag.clone()),
        ];
        let index_suffix = if index == 0 {
            String::new()
        } else {
            (index + 1).to_string()
        };
        let name_suffix: String = image
            .chars()
            .map(|c| if ".-/:".contains(c) { '_' } else { c })
            .collect();
        for (k, v) in own {
            values.insert(format!("{k}{index_suffix}"), v.clone());
            values.insert(format!("{k}_{name_suffix}"), v);
        }
    }
    values
}

fn scalar(v: &Val) -> Option<String> {
    v.as_str().map(str::to_string)
}

/// A local file of the release, resolved against the config's directory and checked to lie
/// inside the root.
fn local_file(
    config_dir: &Path,
    root: &Path,
    path: &str,
    what: &str,
) -> Result<PathBuf, NotAnalysed> {
    if path.contains("://") || path.starts_with("gs://") {
        return Err(not(format!(
            "{what} `{path}` is remote; skafix never fetches over the network"
        )));
    }
    if path.starts_with('~') {
        return Err(not(format!(
            "{what} `{path}` is in the home directory, outside the checked project"
        )));
    }
    let base = std::fs::canonicalize(config_dir).unwrap_or_else(|_| config_dir.to_path_buf());
    let full = crate::project::normalize(&base.join(path));
    if !full.exists() {
        return Err(not(format!("{what} `{path}` does not exist")));
    }
    if !inside(root, &full) {
        return Err(not(format!(
            "{what} `{path}` is outside the checked project, which skafix does not read"
        )));
    }
    // Helm reads a relative chart path that does not exist as `repo/chart`: pass it whole.
    std::fs::canonicalize(&full).map_err(|e| not(format!("{what} `{path}` cannot be read: {e}")))
}

/// Every file of a chart lies inside the root (a symlink could point anywhere); its files.
fn chart_files(chart: &Path, root: &Path) -> Option<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut count = 0;
    let walker = ignore::WalkBuilder::new(chart)
        .standard_filters(false)
        .follow_links(false)
        .build();
    for entry in walker.flatten() {
        count += 1;
        if count > 5000 {
            return None;
        }
        if entry.path_is_symlink() && !inside(root, entry.path()) {
            return None;
        }
        if entry.file_type().is_some_and(|t| t.is_file()) {
            files.push(entry.into_path());
        }
    }
    Some(files)
}

/// The first dependency in `Chart.yaml` that is not in the chart's `charts/` directory, as a
/// chart directory or a packaged `<name>-<version>.tgz` (Helm's `CheckDependencies` compares
/// the names of the loaded subcharts with `dependencies`, before rendering anything).
fn missing_dependency(chart_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(chart_dir.join("Chart.yaml")).ok()?;
    let docs = crate::yaml::parse(&text).ok()?;
    let root = docs.first()?.root_ref()?;
    let wanted: Vec<String> = root
        .get("dependencies")?
        .items()
        .filter_map(|d| d.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .collect();
    let mut present: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(chart_dir.join("charts"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let path = entry.path();
        let file_name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            let name = std::fs::read_to_string(path.join("Chart.yaml"))
                .ok()
                .and_then(|t| {
                    let docs = crate::yaml::parse(&t).ok()?;
                    let root = docs.first()?.root_ref()?;
                    root.get("name")?.as_str().map(str::to_string)
                });
            present.extend(name);
        } else if let Some(stem) = file_name.strip_suffix(".tgz") {
            // `<name>-<version>.tgz`: the name is what precedes the version's first digit.
            let mut name = stem;
            while let Some((head, tail)) = name.rsplit_once('-') {
                name = head;
                if tail.starts_with(|c: char| c.is_ascii_digit()) {
                    break;
                }
            }
            present.push(name.to_string());
        }
    }
    wanted.into_iter().find(|w| !present.contains(w))
}

/// The `helm template` run for one release, or why it is not rendered.
pub fn prepare(
    cache: &RenderCache,
    config_dir: &Path,
    root: &Path,
    release: &Val,
    flags: &[String],
    images: &[String],
) -> Result<Prepared, NotAnalysed> {
    let env = cache.options.environment;
    let values = image_values(images);
    let expand = |text: &str, what: &str| -> Result<String, NotAnalysed> {
        let expanded = expand_template(text, &values, env).ok_or_else(|| {
            not(format!(
                "{what} `{text}` is a template skafix does not evaluate"
            ))
        })?;
        if !env && expanded.contains('$') && !text.contains('$') {
            return Err(not(format!(
                "{what} `{text}` depends on the environment, which skafix does not read (set `render.environment = true` in skafix.toml to use it)"
            )));
        }
        Ok(expanded)
    };
    // A release name or namespace from the environment changes no container: a DNS-safe
    // placeholder stands in (`{{.TEST_NS}}` -> `test-ns`).
    let placeholder_name = |text: &str| -> Option<String> {
        let mut out = String::new();
        let mut last = 0;
        for action in crate::skaffold::template::actions(text) {
            out.push_str(&text[last..action.range.start]);
            let body = action.body.trim();
            let name = body.strip_prefix('.')?;
            match values.get(name) {
                Some(v) => out.push_str(v),
                None if env => out.push_str(&std::env::var(name).unwrap_or_default()),
                None => out.push_str(&name.to_ascii_lowercase().replace('_', "-")),
            }
            last = action.range.end;
        }
        out.push_str(&text[last..]);
        Some(out)
    };
    let name = release.get("name").and_then(scalar).unwrap_or_default();
    let name = placeholder_name(&name).ok_or_else(|| {
        not(format!(
            "the release name `{name}` is a template skafix does not evaluate"
        ))
    })?;
    if release.get("remoteChart").is_some_and(|v| !v.is_zero())
        || release.get("repo").is_some_and(|v| !v.is_zero())
    {
        return Err(not(
            "it uses a remote chart; skafix never fetches charts over the network",
        ));
    }
    // `values` is what older schemas (up to v2beta9) called `artifactOverrides`.
    if let Some(key) = ["artifactOverrides", "values"]
        .into_iter()
        .find(|key| release.get(key).is_some_and(|v| !v.is_zero()))
    {
        return Err(not(format!(
            "its `{key}` (an older schema) are turned into image values by Skaffold's schema upgrade, which skafix does not model"
        )));
    }
    if release.get("useHelmSecrets").and_then(Val::as_bool) == Some(true) {
        return Err(not(
            "it uses the helm-secrets plugin (`useHelmSecrets`), which skafix never runs",
        ));
    }
    let Some(chart_path) = release.get("chartPath").and_then(scalar) else {
        return Err(not("it has no `chartPath`"));
    };
    let chart_path = expand(&chart_path, "chartPath")?;
    if chart_path.starts_with("oci://") || chart_path.contains("://") {
        return Err(not(
            "it uses a remote chart; skafix never fetches charts over the network",
        ));
    }
    let chart_dir = local_file(config_dir, root, &chart_path, "chartPath")?;
    if !chart_dir.is_dir() {
        return Err(not(format!(
            "chartPath `{chart_path}` is a packaged chart, not a directory; skafix renders chart directories only"
        )));
    }
    if let Some(missing) = missing_dependency(&chart_dir) {
        return Err(not(format!(
            "chart `{chart_path}` depends on `{missing}`, which is not in its `charts/` directory; Skaffold runs `helm dependency build` before rendering (unless `skipBuildDependencies`), which skafix never does (it fetches over the network): run `helm dependency build {chart_path}` once, or vendor the dependency under `{chart_path}/charts/`"
        )));
    }
    let Some(mut inputs) = chart_files(&chart_dir, root) else {
        return Err(not(format!(
            "chart `{chart_path}` links to files outside the checked project, which skafix does not read"
        )));
    };
    let mut args = vec![
        "template".to_string(),
        name.clone(),
        chart_dir.to_string_lossy().to_string(),
    ];
    let mut words = flags.iter();
    while let Some(flag) = words.next() {
        let bare = flag.split_once('=').map_or(flag.as_str(), |(f, _)| f);
        if !ALLOWED_FLAGS.contains(&bare) {
            return Err(not(format!(
                "the Helm flag `{flag}` is not passed: skafix runs `helm template` only with {}",
                ALLOWED_FLAGS.join(", ")
            )));
        }
        args.push(flag.clone());
        if FLAGS_WITH_VALUE.contains(&bare) && !flag.contains('=') {
            if let Some(value) = words.next() {
                args.push(value.clone());
            }
        }
    }
    let sorted = |key: &str| -> Vec<(String, String)> {
        let mut pairs: Vec<(String, String)> = release
            .get(key)
            .map(Val::entries)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| (k.clone(), scalar(v).unwrap_or_default()))
            .collect();
        pairs.sort();
        pairs
    };
    for (k, v) in sorted("setValues") {
        args.push("--set".into());
        args.push(format!("{k}={v}"));
    }
    for (k, v) in sorted("setFiles") {
        let file = local_file(config_dir, root, &v, "setFiles")?;
        inputs.push(file.clone());
        args.push("--set-file".into());
        args.push(format!("{k}={}", file.display()));
    }
    // Values (unlike file paths) render with an environment placeholder: `$VAR` stands in
    // for what CI would put there, and never a secret's value.
    let template = |text: &str| {
        expand_template(text, &values, env).ok_or_else(|| {
            not(format!(
                "setValueTemplates `{text}` is a template skafix does not evaluate"
            ))
        })
    };
    for (k, v) in sorted("setValueTemplates") {
        let value = template(&v)?;
        let key = template(&k)?;
        args.push("--set".into());
        args.push(format!(
            "{key}={}",
            value.strip_suffix('@').unwrap_or(&value)
        ));
    }
    let mut values_files = Vec::new();
    for v in release.get("valuesFiles").map(Val::items).unwrap_or(&[]) {
        let Some(v) = scalar(v) else { continue };
        let v = expand(&v, "valuesFiles")?;
        let file = local_file(config_dir, root, &v, "valuesFiles")?;
        args.push("-f".into());
        args.push(file.to_string_lossy().to_string());
        values_files.push(file);
    }
    let mut files = Vec::new();
    if let Some(overrides) = release.get("overrides").filter(|o| !o.is_zero()) {
        // JSON is YAML: the overrides file Skaffold writes holds the same values.
        files.push((
            "overrides.yaml".to_string(),
            overrides.to_json().to_string(),
        ));
        args.push("-f".into());
        args.push("{TMP}/overrides.yaml".into());
    }
    if let Some(version) = release
        .get("version")
        .and_then(scalar)
        .filter(|v| !v.is_empty())
    {
        args.push("--version".into());
        args.push(version);
    }
    if let Some(ns) = release
        .get("namespace")
        .and_then(scalar)
        .filter(|v| !v.is_empty())
    {
        args.push("--namespace".into());
        args.push(placeholder_name(&ns).ok_or_else(|| {
            not(format!(
                "the namespace `{ns}` is a template skafix does not evaluate"
            ))
        })?);
    }
    if release.get("skipTests").and_then(Val::as_bool) == Some(true) {
        args.push("--skip-tests".into());
    }
    // The chart's own defaults, for tracing values.
    let chart_values = chart_dir.join("values.yaml");
    inputs.extend(values_files.iter().cloned());
    let mut traced = values_files.clone();
    traced.reverse(); // later -f files win in Helm
    if chart_values.is_file() {
        traced.push(chart_values);
    }
    Ok(Prepared {
        label: format!("helm template {name} {chart_path}"),
        key: RenderKey {
            program: "helm".into(),
            args,
            dir: std::fs::canonicalize(config_dir).unwrap_or_else(|_| config_dir.to_path_buf()),
            files,
            copy: None,
        },
        chart_dir,
        values_files: traced,
        inputs,
        root: root.to_path_buf(),
    })
}

/// Runs a prepared release.
pub fn render(cache: &RenderCache, prepared: &Prepared) -> Result<Arc<Rendered>, NotAnalysed> {
    let Some(tool) = cache.find_tool("helm") else {
        return Err(not(
            "`helm` is not on PATH (Skaffold runs `helm template`); install Helm (https://helm.sh/docs/intro/install/), or pass --no-render",
        ));
    };
    let text = cache
        .run_inputs(&prepared.key, &tool, &prepared.root, &prepared.inputs)
        .map_err(|e| {
            not(format!(
                "`{}` failed: {}",
                prepared.label,
                super::scrub(&e, &prepared.root)
            ))
        })?;
    Ok(Arc::new(Rendered {
        label: prepared.label.clone(),
        text,
        document_origins: Vec::new(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_values_follow_skaffold_names() {
        let v = image_values(&["gcr.io/p/api".into(), "web-app".into()]);
        assert_eq!(v["IMAGE_FULLY_QUALIFIED"], "gcr.io/p/api:skafix-stand-in");
        assert_eq!(v["IMAGE_REPO_gcr_io_p_api"], "gcr.io/p/api");
        assert_eq!(v["IMAGE_DOMAIN_gcr_io_p_api"], "gcr.io");
        assert_eq!(v["IMAGE_REPO_NO_DOMAIN"], "p/api");
        assert_eq!(v["IMAGE_TAG2"], "skafix-stand-in");
        assert_eq!(v["IMAGE_REPO_web_app"], "web-app");
        assert_eq!(v["IMAGE_DOMAIN2"], "docker.io");
    }
}

#[cfg(test)]
mod dependency_tests {
    use super::missing_dependency;

    #[test]
    fn dependencies_are_found_as_chart_directories_or_packages() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path();
        std::fs::write(
            chart.join("Chart.yaml"),
            "apiVersion: v2\nname: shop\nversion: 0.1.0\ndependencies:\n  - name: redis-ha\n    version: 4.2.0\n  - name: worker\n    version: 0.1.0\n",
        )
        .unwrap();
        assert_eq!(missing_dependency(chart).as_deref(), Some("redis-ha"));
        std::fs::create_dir_all(chart.join("charts/vendored-worker")).unwrap();
        std::fs::write(chart.join("charts/redis-ha-4.2.0.tgz"), b"").unwrap();
        assert_eq!(missing_dependency(chart).as_deref(), Some("worker"));
        // A directory counts by the name in its Chart.yaml, not its own name.
        std::fs::write(
            chart.join("charts/vendored-worker/Chart.yaml"),
            "apiVersion: v2\nname: worker\nversion: 0.1.0\n",
        )
        .unwrap();
        assert_eq!(missing_dependency(chart), None);
    }
}
