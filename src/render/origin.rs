//! Origin maps: where a person edits each part of rendered output. kustomize resources map to
//! the resource file its origin annotation names, field by field where the value is the same
//! there, else to the patch file that sets it; Helm output maps to the template named by its
//! `# Source:` comment, and scalar values to the values-file key that holds them. What cannot
//! be traced points at the renderer's entry in skaffold.yaml.

use crate::diagnostic::Diagnostic;
use crate::k8s::{self, Container, Text, Workload};
use crate::source::{SourceFile, Span};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One traced part: `rendered` bytes of the output come from `span` of `path`.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEntry {
    pub rendered: Span,
    pub path: PathBuf,
    pub span: Span,
    /// The traced bytes are the same text, so positions inside them carry over.
    pub same_text: bool,
}

/// A rendered manifest source as the rules saw it, with its origin map.
#[derive(Debug, Clone)]
pub struct RenderedSource {
    /// The reported path of the rendered text (not a file on disk).
    pub path: PathBuf,
    pub text: Arc<SourceFile>,
    pub label: String,
    /// The renderer entry in skaffold.yaml.
    pub entry_path: PathBuf,
    pub entry_span: Span,
    pub workloads: Vec<Workload>,
    pub map: Vec<MapEntry>,
}

/// Reads a user file (registering it as a source): its reported path and text.
pub type Reader<'a> = dyn Fn(&Path) -> Option<Arc<SourceFile>> + 'a;

struct Mapper<'a> {
    rendered: &'a str,
    map: Vec<MapEntry>,
}

impl Mapper<'_> {
    fn push(&mut self, rendered: Span, file: &SourceFile, span: Span) {
        let same_text = self.rendered.get(rendered.start..rendered.end) == Some(file.slice(span));
        self.map.push(MapEntry {
            rendered,
            path: file.path.clone(),
            span,
            same_text,
        });
    }

    fn text(&mut self, r: &Option<Text>, o: &Option<Text>, file: &SourceFile) -> bool {
        match (r, o) {
            (Some(r), Some(o)) if r.value == o.value => {
                self.push(r.span, file, o.span);
                true
            }
            _ => false,
        }
    }

    fn list(
        &mut self,
        r: &Option<(Vec<Text>, Span)>,
        o: &Option<(Vec<Text>, Span)>,
        file: &SourceFile,
    ) -> bool {
        match (r, o) {
            (Some((ri, rs)), Some((oi, os)))
                if ri.len() == oi.len() && ri.iter().zip(oi).all(|(a, b)| a.value == b.value) =>
            {
                self.push(*rs, file, *os);
                for (a, b) in ri.iter().zip(oi) {
                    self.push(a.span, file, b.span);
                }
                true
            }
            _ => false,
        }
    }

    /// Maps every field of `r` whose value `o` has too; returns whether all mapped that `r`
    /// sets (so a later source need not be asked).
    fn container(&mut self, r: &Container, o: &Container, file: &SourceFile, whole: bool) {
        if whole {
            self.push(r.span, file, o.span);
        }
        if whole {
            // The image may be rewritten (kustomize `images:`); the line stays where to look.
            if let (Some(ri), Some(oi)) = (&r.image, &o.image) {
                self.push(ri.span, file, oi.span);
            }
        }
        self.list(&r.command, &o.command, file);
        self.list(&r.args, &o.args, file);
        self.text(&r.working_dir, &o.working_dir, file);
        for e in &r.env {
            if let Some(oe) = o.env.iter().find(|x| x.name == e.name) {
                if self.text(&e.value, &oe.value, file) {
                    self.push(e.span, file, oe.span);
                }
            }
        }
        for m in &r.volume_mounts {
            if let Some(om) = o
                .volume_mounts
                .iter()
                .find(|x| x.name == m.name && x.mount_path.value == m.mount_path.value)
            {
                self.push(m.span, file, om.span);
                self.push(m.mount_path.span, file, om.mount_path.span);
            }
        }
        self.security(&r.security, &o.security, file);
    }

    fn security(&mut self, r: &k8s::SecurityContext, o: &k8s::SecurityContext, file: &SourceFile) {
        self.text(&r.run_as_user, &o.run_as_user, file);
        self.text(&r.run_as_group, &o.run_as_group, file);
        self.text(&r.run_as_non_root, &o.run_as_non_root, file);
        self.text(&r.fs_group, &o.fs_group, file);
        self.text(
            &r.read_only_root_filesystem,
            &o.read_only_root_filesystem,
            file,
        );
    }

    fn workload(&mut self, r: &Workload, o: &Workload, file: &SourceFile, whole: bool) {
        if whole {
            self.push(r.span, file, o.span);
        }
        for (rl, ol) in [
            (&r.containers, &o.containers),
            (&r.init_containers, &o.init_containers),
        ] {
            for rc in rl {
                if let Some(oc) = ol.iter().find(|c| c.name == rc.name) {
                    self.container(rc, oc, file, whole);
                }
            }
        }
        for v in &r.volumes {
            if let Some(ov) = o.volumes.iter().find(|x| x.name == v.name) {
                self.push(v.span, file, ov.span);
            }
        }
        self.security(&r.security, &o.security, file);
    }
}

/// The workload of `candidates` that a rendered one came from: same kind, and the same name
/// or one a name prefix/suffix grew from it.
fn same_workload<'w>(rendered: &Workload, candidates: &'w [Workload]) -> Option<&'w Workload> {
    let of_kind: Vec<&Workload> = candidates
        .iter()
        .filter(|w| w.kind == rendered.kind)
        .collect();
    of_kind
        .iter()
        .find(|w| w.name == rendered.name)
        .or_else(|| {
            of_kind.iter().find(|w| match (&w.name, &rendered.name) {
                (Some(o), Some(r)) => r.contains(o.as_str()),
                _ => false,
            })
        })
        .copied()
}

/// The start offset of the document holding `offset`, from a sorted list of starts.
fn document_of<T: Clone>(starts: &[(usize, T)], offset: usize) -> Option<T> {
    starts
        .iter()
        .rev()
        .find(|(start, _)| *start <= offset)
        .map(|(_, v)| v.clone())
}

/// Traces kustomize output: resources to their origin files, patched fields to patch files.
pub fn map_kustomize(
    rendered: &str,
    workloads: &[Workload],
    document_origins: &[(usize, PathBuf)],
    patch_files: &[PathBuf],
    read: &Reader<'_>,
) -> Vec<MapEntry> {
    let mut mapper = Mapper {
        rendered,
        map: Vec::new(),
    };
    let parse = |path: &Path| -> Option<(Arc<SourceFile>, Vec<Workload>)> {
        let file = read(path)?;
        let workloads = k8s::workloads(&file.text).ok()?;
        Some((file, workloads))
    };
    let patches: Vec<(Arc<SourceFile>, Vec<Workload>)> =
        patch_files.iter().filter_map(|p| parse(p)).collect();
    for w in workloads {
        if let Some(path) = document_of(document_origins, w.span.start) {
            if let Some((file, originals)) = parse(&path) {
                if let Some(o) = same_workload(w, &originals) {
                    mapper.workload(w, o, &file, true);
                }
            }
        }
        // Patched fields: the first patch (overlays come before their bases) that sets the
        // rendered value. Values the resource file already has are mapped there.
        for (file, patched) in &patches {
            if let Some(o) = same_workload(w, patched) {
                mapper.workload(w, o, file, false);
            }
        }
    }
    dedupe(mapper.map)
}

/// Keeps the first entry per rendered span: the resource file's own value wins, and among
/// patches the overlay's.
fn dedupe(entries: Vec<MapEntry>) -> Vec<MapEntry> {
    let mut seen = std::collections::HashSet::new();
    entries
        .into_iter()
        .filter(|e| seen.insert((e.rendered.start, e.rendered.end)))
        .collect()
}

/// Traces Helm output: each document to the template its `# Source:` comment names (the key
/// of a field in that template), and scalar values to the one values-file entry holding them.
pub fn map_helm(
    rendered: &str,
    workloads: &[Workload],
    chart_dir: &Path,
    values_files: &[PathBuf],
    read: &Reader<'_>,
) -> Vec<MapEntry> {
    let mut mapper = Mapper {
        rendered,
        map: Vec::new(),
    };
    let mut sources: Vec<(usize, String)> = Vec::new();
    let mut offset = 0;
    let mut doc_start = 0;
    for line in rendered.split_inclusive('\n') {
        if line.trim_end() == "---" {
            doc_start = offset + line.len();
        }
        if let Some(source) = line.strip_prefix("# Source: ") {
            sources.push((doc_start, source.trim().to_string()));
        }
        offset += line.len();
    }
    let scalars: Vec<ValuesScalars> = values_files
        .iter()
        .filter_map(|p| {
            let file = read(p)?;
            let mut found = Vec::new();
            for doc in crate::yaml::parse(&file.text).ok()? {
                if let Some(root) = doc.root_ref() {
                    collect_scalars(root, &mut found, 0);
                }
            }
            Some((file, found))
        })
        .collect();
    let value_of = |value: &str| -> Option<(Arc<SourceFile>, Span)> {
        let mut hits = scalars.iter().flat_map(|(f, s)| {
            s.iter()
                .filter(|(v, _)| v == value)
                .map(|(_, sp)| (f.clone(), *sp))
        });
        let first = hits.next()?;
        // Only a value found once is traced: a repeated one could come from either place.
        hits.next().is_none().then_some(first)
    };
    for w in workloads {
        let Some(source) = document_of(&sources, w.span.start) else {
            continue;
        };
        // `# Source: <chart name>/templates/x.yaml`; the chart name need not be the directory's.
        let relative: PathBuf = Path::new(&source).components().skip(1).collect();
        let Some(template) = read(&chart_dir.join(relative)) else {
            continue;
        };
        let key = |name: &str| -> Option<Span> {
            let text = &template.text;
            let needle = format!("{name}:");
            text.match_indices(&needle)
                .find(|(at, _)| {
                    text[..*at]
                        .chars()
                        .next_back()
                        .is_none_or(|c| c.is_whitespace() || c == '-')
                })
                .map(|(at, _)| Span {
                    start: at,
                    end: at + name.len(),
                })
        };
        if let Some(k) = key("kind") {
            mapper.push(w.span, &template, k);
        }
        let scalar = |mapper: &mut Mapper, t: &Text, field: &str| {
            if let Some((file, span)) = value_of(&t.value) {
                mapper.push(t.span, &file, span);
            } else if let Some(k) = key(field) {
                mapper.push(t.span, &template, k);
            }
        };
        for c in w.containers.iter().chain(&w.init_containers) {
            if let Some(k) = key("containers") {
                mapper.push(c.span, &template, k);
            }
            if let Some(image) = &c.image {
                scalar(&mut mapper, image, "image");
            }
            for (field, list) in [("command", &c.command), ("args", &c.args)] {
                if let Some((items, span)) = list {
                    if let Some(k) = key(field) {
                        mapper.push(*span, &template, k);
                    }
                    for item in items {
                        scalar(&mut mapper, item, field);
                    }
                }
            }
            for (field, t) in security_fields(&c.security) {
                scalar(&mut mapper, t, field);
            }
        }
        for (field, t) in security_fields(&w.security) {
            scalar(&mut mapper, t, field);
        }
    }
    dedupe(mapper.map)
}

/// A values file with every scalar in it.
type ValuesScalars = (Arc<SourceFile>, Vec<(String, Span)>);

fn security_fields(s: &k8s::SecurityContext) -> Vec<(&'static str, &Text)> {
    [
        ("runAsUser", &s.run_as_user),
        ("runAsGroup", &s.run_as_group),
        ("runAsNonRoot", &s.run_as_non_root),
        ("fsGroup", &s.fs_group),
        ("readOnlyRootFilesystem", &s.read_only_root_filesystem),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|t| (k, t)))
    .collect()
}

fn collect_scalars(node: crate::yaml::NodeRef<'_>, out: &mut Vec<(String, Span)>, depth: usize) {
    if depth > 64 || out.len() > 100_000 {
        return;
    }
    if node.is_mapping() {
        for (_, v) in node.entries() {
            collect_scalars(v, out, depth + 1);
        }
    } else if node.is_sequence() {
        for v in node.items() {
            collect_scalars(v, out, depth + 1);
        }
    } else if let Some(s) = node.as_str() {
        if !s.is_empty() {
            out.push((s.to_string(), node.span()));
        }
    }
}

impl RenderedSource {
    /// Where `span` of the rendered text is edited, if traced.
    fn trace(&self, span: Span) -> Option<(PathBuf, Span)> {
        let entry = self
            .map
            .iter()
            .filter(|e| e.rendered.contains(span))
            .min_by_key(|e| e.rendered.len())?;
        if entry.same_text {
            let start = entry.span.start + (span.start - entry.rendered.start);
            return Some((
                entry.path.clone(),
                Span {
                    start,
                    end: start + span.len(),
                },
            ));
        }
        Some((entry.path.clone(), entry.span))
    }

    /// The rendered workload and container holding `span`, for messages.
    fn describe(&self, span: Span) -> String {
        for w in &self.workloads {
            for c in w.containers.iter().chain(&w.init_containers) {
                if c.span.contains(span) {
                    return format!(
                        "{} `{}`, container `{}`",
                        w.kind,
                        w.name.as_deref().unwrap_or("?"),
                        c.name.as_deref().unwrap_or("?")
                    );
                }
            }
        }
        self.workloads
            .iter()
            .rev()
            .find(|w| w.span.start <= span.start)
            .map(|w| format!("{} `{}`", w.kind, w.name.as_deref().unwrap_or("?")))
            .unwrap_or_else(|| "the rendered output".to_string())
    }
}

/// Points a finding made on rendered output at the files a person edits, names the rendered
/// resource in its message, and keeps its fix only as a suggestion (a rendered file cannot be
/// edited).
pub fn remap(sources: &[RenderedSource], d: &mut Diagnostic) {
    if sources.is_empty() {
        return;
    }
    let mut label = None;
    if let Some(source) = sources.iter().find(|s| s.path == d.path) {
        let what = source.describe(d.span);
        label = Some(source.label.clone());
        match source.trace(d.span) {
            Some((path, span)) => {
                d.path = path;
                d.span = span;
                d.message
                    .push_str(&format!(" (rendered by `{}`: {what})", source.label));
            }
            None => {
                d.path = source.entry_path.clone();
                d.span = source.entry_span;
                d.message.push_str(&format!(
                    " (in the output of `{}`: {what}; the place that sets it is not known)",
                    source.label
                ));
            }
        }
    }
    for r in &mut d.related {
        if let Some(s) = sources.iter().find(|s| s.path == r.path) {
            let (path, span) = s
                .trace(r.span)
                .unwrap_or((s.entry_path.clone(), s.entry_span));
            r.path = path;
            r.span = span;
        }
    }
    if let Some(fix) = d.fix.take() {
        let rendered = fix
            .edits
            .iter()
            .find_map(|e| sources.iter().find(|s| s.path == e.path));
        match rendered {
            Some(source) => {
                let how = format!(
                    "the manifest is rendered by `{}`; make this change where it is set: {}",
                    label.as_deref().unwrap_or(&source.label),
                    fix.message
                );
                d.help = Some(match d.help.take() {
                    Some(h) => format!("{h}; {how}"),
                    None => how,
                });
            }
            None => d.fix = Some(fix),
        }
    }
}
