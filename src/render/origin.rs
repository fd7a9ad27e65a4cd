//! Origin maps: where a person edits each part of rendered output. kustomize resources map to
//! the resource file its origin annotation names, field by field where the value is the same
//! there, else to the patch file that sets it; Helm output maps to the template named by its
//! `# Source:` comment, and scalar values to the values-file key that holds them. What cannot
//! be traced points at the renderer's entry in skaffold.yaml.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
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
    /// For a value traced to a Helm values file: its key (`image.tag`, `args[0]`).
    pub key: Option<String>,
    /// Said in the message when the trace is only approximate.
    pub note: Option<&'static str>,
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
    /// Every file the map points into.
    pub files: Vec<Arc<SourceFile>>,
    /// The files a fix of a finding in the output may edit (reported paths): the project's
    /// kustomize resources, patches and kustomizations, a Helm release's own values files;
    /// never a chart's templates or defaults.
    pub editable: Vec<PathBuf>,
    /// Every file the render read (reported paths).
    pub inputs: Vec<PathBuf>,
}

/// Reads a user file (registering it as a source): its reported path and text.
pub type Reader<'a> = dyn Fn(&Path) -> Option<Arc<SourceFile>> + 'a;

struct Mapper<'a> {
    rendered: &'a str,
    map: Vec<MapEntry>,
    files: Vec<Arc<SourceFile>>,
}

impl Mapper<'_> {
    fn new(rendered: &str) -> Mapper<'_> {
        Mapper {
            rendered,
            map: Vec::new(),
            files: Vec::new(),
        }
    }

    fn push(&mut self, rendered: Span, file: &Arc<SourceFile>, span: Span) {
        self.push_key(rendered, file, span, None);
    }

    fn push_key(
        &mut self,
        rendered: Span,
        file: &Arc<SourceFile>,
        span: Span,
        key: Option<String>,
    ) {
        let same_text = self.rendered.get(rendered.start..rendered.end) == Some(file.slice(span));
        if !self.files.iter().any(|f| f.path == file.path) {
            self.files.push(file.clone());
        }
        self.map.push(MapEntry {
            rendered,
            path: file.path.clone(),
            span,
            same_text,
            key,
            note: None,
        });
    }

    /// The map without repeats, and the files it points into.
    fn finish(self) -> (Vec<MapEntry>, Vec<Arc<SourceFile>>) {
        (dedupe(self.map), self.files)
    }

    fn text(&mut self, r: &Option<Text>, o: &Option<Text>, file: &Arc<SourceFile>) -> bool {
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
        file: &Arc<SourceFile>,
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
    fn container(&mut self, r: &Container, o: &Container, file: &Arc<SourceFile>, whole: bool) {
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

    fn security(
        &mut self,
        r: &k8s::SecurityContext,
        o: &k8s::SecurityContext,
        file: &Arc<SourceFile>,
    ) {
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

    fn workload(&mut self, r: &Workload, o: &Workload, file: &Arc<SourceFile>, whole: bool) {
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
    targeted: &[crate::render::kustomize::TargetedPatch],
    read: &Reader<'_>,
) -> (Vec<MapEntry>, Vec<Arc<SourceFile>>) {
    let mut mapper = Mapper::new(rendered);
    let ops: Vec<(&crate::render::kustomize::TargetedPatch, OpList)> = targeted
        .iter()
        .filter_map(|t| Some((t, OpList::read(t, read)?)))
        .collect();
    let parse = |path: &Path| -> Option<(Arc<SourceFile>, Vec<Workload>)> {
        let file = read(path)?;
        let workloads = k8s::workloads(&file.text).ok()?;
        Some((file, workloads))
    };
    let patches: Vec<(Arc<SourceFile>, Vec<Workload>)> =
        patch_files.iter().filter_map(|p| parse(p)).collect();
    for w in workloads {
        // A field a JSON 6902 op sets is edited at that op, not in the resource it patches.
        for (target, list) in &ops {
            if target.kind.as_ref().is_none_or(|k| *k == w.kind)
                && target
                    .name
                    .as_ref()
                    .is_none_or(|n| w.name.as_deref().is_some_and(|r| r.contains(n.as_str())))
            {
                list.map(&mut mapper, w);
            }
        }
        // Patched fields: the first patch (overlays come before their bases) that sets the
        // rendered value, even one equal to the resource's (an edit of the resource would be
        // patched over). Everything else maps to the resource file.
        for (file, patched) in &patches {
            if let Some(o) = same_workload(w, patched) {
                mapper.workload(w, o, file, false);
            }
        }
        if let Some(path) = document_of(document_origins, w.span.start) {
            if let Some((file, originals)) = parse(&path) {
                if let Some(o) = same_workload(w, &originals) {
                    mapper.workload(w, o, &file, true);
                }
            }
        }
    }
    mapper.finish()
}

/// A JSON 6902 op list (`[{op, path, value}]`), from a patch file or a kustomization's inline
/// patch, with how its offsets map into the file.
struct OpList {
    file: Arc<SourceFile>,
    /// The op list parsed (from the file, or from an inline patch's text).
    docs: Vec<crate::yaml::Document>,
    /// Inline patches: per line of the patch text, its start there and in the file.
    lines: Option<Vec<(usize, usize)>>,
}

impl OpList {
    fn read(target: &crate::render::kustomize::TargetedPatch, read: &Reader<'_>) -> Option<OpList> {
        let file = read(&target.file)?;
        let Some(span) = target.inline else {
            return Some(OpList {
                docs: crate::yaml::parse(&file.text).ok()?,
                file,
                lines: None,
            });
        };
        // The block scalar's lines follow its `|` header; the first one's indentation is the
        // scalar's.
        let whole = &file.text;
        let mut first_line = whole[..span.start].rfind('\n').map_or(0, |i| i + 1);
        if whole[span.start..].starts_with(['|', '>']) {
            first_line = whole[span.start..]
                .find('\n')
                .map_or(whole.len(), |i| span.start + i + 1);
        }
        let first = whole[first_line..].lines().next().unwrap_or_default();
        let indent = first.len() - first.trim_start_matches(' ').len();
        let mut text = String::new();
        let mut lines = Vec::new();
        let mut at = first_line;
        while at < span.end.min(whole.len()) {
            let end = whole[at..].find('\n').map_or(whole.len(), |i| at + i);
            let line = &whole[at..end];
            let cut = line.len().min(indent);
            let (Some(margin), Some(content)) = (line.get(..cut), line.get(cut..)) else {
                break;
            };
            if !margin.chars().all(|c| c == ' ') {
                break;
            }
            lines.push((text.len(), at + cut));
            text.push_str(content);
            text.push('\n');
            at = end + 1;
        }
        Some(OpList {
            docs: crate::yaml::parse(&text).ok()?,
            file,
            lines: Some(lines),
        })
    }

    fn outer(&self, span: Span) -> Span {
        let Some(lines) = &self.lines else {
            return span;
        };
        let at = |offset: usize| {
            let (inner, outer) = lines
                .iter()
                .rev()
                .find(|(inner, _)| *inner <= offset)
                .copied()
                .unwrap_or((0, 0));
            outer + (offset - inner)
        };
        Span {
            start: at(span.start),
            end: at(span.end),
        }
    }

    /// Maps the rendered fields of `w` that an add/replace op of this list sets.
    fn map(&self, mapper: &mut Mapper, w: &Workload) {
        let Some(root) = self.docs.first().and_then(|d| d.root_ref()) else {
            return;
        };
        if !root.is_sequence() {
            return;
        }
        for op in root.items() {
            if !matches!(
                op.get("op").and_then(|o| o.as_str()),
                Some("add" | "replace")
            ) {
                continue;
            }
            let (Some(path), Some(value)) =
                (op.get("path").and_then(|p| p.as_str()), op.get("value"))
            else {
                continue;
            };
            let steps: Vec<&str> = path.split('/').skip(1).collect();
            let list = steps
                .iter()
                .position(|s| *s == "containers" || *s == "initContainers");
            match list {
                Some(at) => {
                    let containers = if steps[at] == "containers" {
                        &w.containers
                    } else {
                        &w.init_containers
                    };
                    let Some(c) = steps
                        .get(at + 1)
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| containers.get(i))
                    else {
                        continue;
                    };
                    self.container(mapper, c, &steps[at + 2..], value);
                }
                None => {
                    if let Some(at) = steps.iter().rposition(|s| *s == "securityContext") {
                        self.security(mapper, &w.security, &steps[at + 1..], value);
                    }
                }
            }
        }
    }

    fn push(&self, mapper: &mut Mapper, rendered: Span, value: crate::yaml::NodeRef<'_>) {
        mapper.push(rendered, &self.file, self.outer(value.span()));
    }

    fn scalar(&self, mapper: &mut Mapper, t: &Option<Text>, value: crate::yaml::NodeRef<'_>) {
        if let Some(t) = t {
            if value.as_str() == Some(t.value.as_str()) {
                self.push(mapper, t.span, value);
            }
        }
    }

    fn container(
        &self,
        mapper: &mut Mapper,
        c: &Container,
        fields: &[&str],
        value: crate::yaml::NodeRef<'_>,
    ) {
        match fields {
            [] if value.is_mapping() => {
                for (k, v) in value.entries() {
                    if let Some(k) = k.as_str() {
                        self.container(mapper, c, &[k], v);
                    }
                }
            }
            [list @ ("args" | "command"), rest @ ..] => {
                let Some((items, span)) = (if *list == "args" { &c.args } else { &c.command })
                else {
                    return;
                };
                match rest {
                    [] if value.is_sequence() => {
                        let given: Vec<_> = value.items().collect();
                        if given.len() == items.len()
                            && given
                                .iter()
                                .zip(items)
                                .all(|(g, i)| g.as_str() == Some(&i.value))
                        {
                            self.push(mapper, *span, value);
                            for (g, i) in given.into_iter().zip(items) {
                                self.push(mapper, i.span, g);
                            }
                        }
                    }
                    [index] => {
                        let item = match *index {
                            "-" => items.last(),
                            n => n.parse::<usize>().ok().and_then(|n| items.get(n)),
                        };
                        self.scalar(mapper, &item.cloned(), value);
                    }
                    _ => {}
                }
            }
            ["image"] => self.scalar(mapper, &c.image, value),
            ["workingDir"] => self.scalar(mapper, &c.working_dir, value),
            ["securityContext", rest @ ..] => self.security(mapper, &c.security, rest, value),
            _ => {}
        }
    }

    fn security(
        &self,
        mapper: &mut Mapper,
        s: &k8s::SecurityContext,
        fields: &[&str],
        value: crate::yaml::NodeRef<'_>,
    ) {
        match fields {
            [] if value.is_mapping() => {
                for (k, v) in value.entries() {
                    if let Some(k) = k.as_str() {
                        self.security(mapper, s, &[k], v);
                    }
                }
            }
            [field] => {
                if let Some((_, t)) = security_fields(s).into_iter().find(|(f, _)| f == field) {
                    self.scalar(mapper, &Some(t.clone()), value);
                }
            }
            _ => {}
        }
    }
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
/// of a field in that template), and a scalar value to the values-file key that set it when
/// that is certain: the value appears verbatim at exactly one key that is in force (not
/// replaced by a file of higher precedence) and that the template reads (`.Values.<key>` or
/// a parent of it). Otherwise the value points at the template's field, and says so.
pub fn map_helm(
    rendered: &str,
    workloads: &[Workload],
    chart_dir: &Path,
    values_files: &[PathBuf],
    read: &Reader<'_>,
) -> (Vec<MapEntry>, Vec<Arc<SourceFile>>) {
    let mut mapper = Mapper::new(rendered);
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
    // Highest precedence first (later `-f` files, then the chart's defaults).
    let mut in_force: Vec<(Arc<SourceFile>, ValuesScalar)> = Vec::new();
    for path in values_files {
        let Some(file) = read(path) else { continue };
        let Ok(docs) = crate::yaml::parse(&file.text) else {
            continue;
        };
        let mut found = Vec::new();
        for doc in &docs {
            if let Some(root) = doc.root_ref() {
                collect_scalars(root, &mut Vec::new(), &mut found, 0);
            }
        }
        // A key a file of higher precedence sets replaces this one (a list as a whole).
        let shadowed: std::collections::HashSet<String> =
            in_force.iter().map(|(_, v)| v.owner.clone()).collect();
        in_force.extend(
            found
                .into_iter()
                .filter(|v| !shadowed.contains(&v.owner))
                .map(|v| (file.clone(), v)),
        );
    }
    for w in workloads {
        let Some(source) = document_of(&sources, w.span.start) else {
            continue;
        };
        // `# Source: <chart name>/templates/x.yaml`; the chart name need not be the directory's.
        let relative: PathBuf = Path::new(&source).components().skip(1).collect();
        let Some(template) = read(&chart_dir.join(&relative)) else {
            continue;
        };
        // A subchart's template (`charts/<name>/templates/..`) reads the parent's values
        // under `<name>.`.
        let parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().to_string())
            .collect();
        let scope: Vec<String> = parts
            .chunks(2)
            .take_while(|pair| pair.len() == 2 && pair[0] == "charts")
            .map(|pair| pair[1].clone())
            .collect();
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
        let value_of = |value: &str| -> Option<(&Arc<SourceFile>, &ValuesScalar)> {
            let mut hits = in_force
                .iter()
                .filter(|(_, v)| {
                    v.value == value
                        && v.segments.starts_with(&scope)
                        && reads_value(&template.text, &v.segments[scope.len()..])
                })
                .map(|(f, v)| (f, v));
            let first = hits.next()?;
            // A value at two keys could come from either.
            hits.next().is_none().then_some(first)
        };
        if let Some(k) = key("kind") {
            mapper.push(w.span, &template, k);
        }
        let scalar = |mapper: &mut Mapper, t: &Text, field: &str| {
            if let Some((file, v)) = value_of(&t.value) {
                mapper.push_key(t.span, file, v.span, Some(v.key.clone()));
            } else if let Some(k) = key(field) {
                mapper.push_key(t.span, &template, k, None);
                if let Some(last) = mapper.map.last_mut() {
                    last.note = Some(TEMPLATE_NOTE);
                }
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
    mapper.finish()
}

/// Said of a Helm value traced only to its template.
const TEMPLATE_NOTE: &str = "the value is written in the chart template, or no single values key in force that the template reads holds it, so this points at the template's field";

/// One scalar of a values file: its text, where it is, its key (`args[0]`), the key's map
/// segments up to the first list (what a template names after `.Values.`), and the key a
/// file of higher precedence replaces it by (the list as a whole, or the scalar's own key).
struct ValuesScalar {
    value: String,
    span: Span,
    key: String,
    segments: Vec<String>,
    owner: String,
}

/// Whether a template reads the value at `segments`, or a parent map of it whole (`toYaml
/// .Values.a`): `.Values.a.b` followed by neither more of a name nor a deeper key.
fn reads_value(template: &str, segments: &[String]) -> bool {
    (1..=segments.len()).any(|n| {
        let needle = format!(".Values.{}", segments[..n].join("."));
        template.match_indices(&needle).any(|(at, m)| {
            template[at + m.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '.'))
        })
    })
}

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

/// A step of a values key: a map key, or a list index.
enum Step {
    Key(String),
    Index(usize),
}

fn collect_scalars(
    node: crate::yaml::NodeRef<'_>,
    path: &mut Vec<Step>,
    out: &mut Vec<ValuesScalar>,
    depth: usize,
) {
    if depth > 64 || out.len() > 100_000 {
        return;
    }
    if node.is_mapping() {
        for (k, v) in node.entries() {
            let Some(k) = k.as_str() else { continue };
            path.push(Step::Key(k.to_string()));
            collect_scalars(v, path, out, depth + 1);
            path.pop();
        }
    } else if node.is_sequence() {
        for (i, v) in node.items().enumerate() {
            path.push(Step::Index(i));
            collect_scalars(v, path, out, depth + 1);
            path.pop();
        }
    } else if let Some(s) = node.as_str() {
        if !s.is_empty() {
            let mut key = String::new();
            let mut segments = Vec::new();
            let mut owner = None;
            for step in path.iter() {
                match step {
                    Step::Key(k) => {
                        if !key.is_empty() {
                            key.push('.');
                        }
                        key.push_str(k);
                        if owner.is_none() {
                            segments.push(k.clone());
                        }
                    }
                    Step::Index(i) => {
                        owner.get_or_insert_with(|| key.clone());
                        key.push_str(&format!("[{i}]"));
                    }
                }
            }
            out.push(ValuesScalar {
                value: s.to_string(),
                span: node.span(),
                owner: owner.unwrap_or_else(|| key.clone()),
                key,
                segments,
            });
        }
    }
}

impl RenderedSource {
    /// The most precise map entry covering `span` of the rendered text.
    fn entry(&self, span: Span) -> Option<&MapEntry> {
        self.map
            .iter()
            .filter(|e| e.rendered.contains(span))
            .min_by_key(|e| e.rendered.len())
    }

    /// Where `span` of the rendered text is edited, if traced, with the entry that says so.
    fn trace(&self, span: Span) -> Option<(PathBuf, Span, &MapEntry)> {
        let entry = self.entry(span)?;
        if entry.same_text {
            let start = entry.span.start + (span.start - entry.rendered.start);
            return Some((
                entry.path.clone(),
                Span {
                    start,
                    end: start + span.len(),
                },
                entry,
            ));
        }
        Some((entry.path.clone(), entry.span, entry))
    }

    fn file(&self, path: &Path) -> Option<&Arc<SourceFile>> {
        self.files.iter().find(|f| f.path == path)
    }

    /// Where a person makes a change at `span`, for a message: file, line and values key.
    fn place(&self, span: Span) -> String {
        let Some((path, at, entry)) = self.trace(span) else {
            return format!("in the input of `{}` that sets it (not traced)", self.label);
        };
        let line = self
            .file(&path)
            .map(|f| format!(" line {}", f.line_col(at.start).line))
            .unwrap_or_default();
        match (&entry.key, entry.note) {
            (Some(key), _) => format!("at key `{key}` of `{}`{line}", path.display()),
            (None, Some(_)) => format!("in the chart template `{}`{line}", path.display()),
            (None, None) => format!("in `{}`{line}", path.display()),
        }
    }

    /// The same edit in the file a person edits: only inside a value traced there, in a file
    /// a fix may edit. List items added after a traced item are written in that list's own
    /// style and indentation (kustomize and Helm print block lists, the user's file may use
    /// flow lists). `fix` then proves the edit by rendering again with it.
    fn translate(&self, edit: &Edit) -> Option<Edit> {
        let span = Span {
            start: edit.start,
            end: edit.end,
        };
        let entry = self
            .map
            .iter()
            .filter(|e| e.rendered.contains(span))
            .filter(|e| e.same_text || (span.is_empty() && span.start == e.rendered.end))
            .min_by_key(|e| e.rendered.len())?;
        if !self.editable.contains(&entry.path) {
            return None;
        }
        let file = self.file(&entry.path)?;
        let rendered = &self.text.text;
        let text = &file.text;
        let (start, end) = if span.is_empty() && span.start == entry.rendered.end {
            (entry.span.end, entry.span.end)
        } else {
            (
                entry.span.start + (edit.start - entry.rendered.start),
                entry.span.start + (edit.end - entry.rendered.start),
            )
        };
        let plain = |content: &str| Edit {
            path: entry.path.clone(),
            start,
            end,
            content: content.to_string(),
        };
        if !span.is_empty() || !(edit.content.starts_with('\n') || edit.content.starts_with(", ")) {
            return (!edit.content.contains('\n')).then(|| plain(&edit.content));
        }
        // New list items after the traced one.
        let items: Vec<&str> = if edit.content.starts_with('\n') {
            let indent = line_indent(rendered, span.start);
            edit.content
                .split('\n')
                .skip(1)
                .map(|l| l.strip_prefix(indent)?.strip_prefix("- "))
                .collect::<Option<Vec<&str>>>()?
        } else {
            edit.content.strip_prefix(", ")?.split(", ").collect()
        };
        // Written like the item they follow: quoted after a quoted one.
        let quoted = matches!(text.as_bytes().get(entry.span.start), Some(b'"' | b'\''));
        let items: Vec<String> = items
            .into_iter()
            .map(|i| {
                let plain = serde_json::from_str::<String>(i)
                    .ok()
                    .filter(|word| is_plain_word(word));
                match (quoted, plain) {
                    (true, _) if !i.starts_with(['"', '\'']) => {
                        serde_json::to_string(i).unwrap_or_else(|_| i.to_string())
                    }
                    (false, Some(word)) => word,
                    _ => i.to_string(),
                }
            })
            .collect();
        let line_start = text[..entry.span.start].rfind('\n').map_or(0, |i| i + 1);
        let before = text[line_start..entry.span.start].trim_end();
        if before.ends_with(['[', ',']) {
            let content: String = items.iter().map(|i| format!(", {i}")).collect();
            return Some(Edit {
                path: entry.path.clone(),
                start: entry.span.end,
                end: entry.span.end,
                content,
            });
        }
        let dash = before.strip_suffix('-')?;
        if !dash.chars().all(|c| c == ' ') {
            return None;
        }
        // After the item's line, comment included; nothing else may follow the item there.
        let line_end = text[entry.span.end..]
            .find('\n')
            .map_or(text.len(), |i| entry.span.end + i);
        let rest = text[entry.span.end..line_end].trim();
        if !(rest.is_empty() || rest.starts_with('#')) {
            return None;
        }
        let content: String = items.iter().map(|i| format!("\n{dash}- {i}")).collect();
        Some(Edit {
            path: entry.path.clone(),
            start: line_end,
            end: line_end,
            content,
        })
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

/// A word that reads the same unquoted in a block or flow list (no `:`, `#`, `,`, brackets,
/// quotes or spaces, and not a YAML keyword or number).
fn is_plain_word(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=".contains(c))
        && word.starts_with(|c: char| c.is_ascii_alphabetic() || c == '-' || c == '/')
        && !word.starts_with("- ")
        && !["true", "false", "null", "yes", "no", "on", "off", "-"]
            .contains(&word.to_ascii_lowercase().as_str())
}

/// The leading spaces of the line holding `offset`.
fn line_indent(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches(' ').len()]
}

/// Points a finding made on rendered output at the files a person edits and names the
/// rendered resource in its message. Its fix is moved to the file a person edits when every
/// edit lands inside a value traced there (`fix` applies it only once rendering again with it
/// shows the finding gone); otherwise it becomes a suggestion that says where to make it.
pub fn remap(sources: &[RenderedSource], d: &mut Diagnostic) {
    if sources.is_empty() {
        return;
    }
    let mut found_in = None;
    if let Some(source) = sources.iter().find(|s| s.path == d.path) {
        let what = source.describe(d.span);
        found_in = Some((source, d.span));
        match source.trace(d.span) {
            Some((path, span, entry)) => {
                d.path = path;
                d.span = span;
                d.message
                    .push_str(&format!(" (rendered by `{}`: {what}", source.label));
                if let Some(note) = entry.note {
                    d.message.push_str(&format!("; {note}"));
                }
                d.message.push(')');
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
                .map(|(p, sp, _)| (p, sp))
                .unwrap_or((s.entry_path.clone(), s.entry_span));
            r.path = path;
            r.span = span;
        }
    }
    let Some(fix) = d.fix.take() else { return };
    let on_rendered = fix
        .edits
        .iter()
        .find_map(|e| sources.iter().find(|s| s.path == e.path).map(|s| (s, e)));
    if on_rendered.is_none() && found_in.is_none() {
        d.fix = Some(fix);
        return;
    }
    if fix.applicability != Applicability::DisplayOnly && !fix.edits.is_empty() {
        let translated: Option<Vec<Edit>> = fix
            .edits
            .iter()
            .map(|e| match sources.iter().find(|s| s.path == e.path) {
                Some(s) => s.translate(e),
                None => Some(e.clone()),
            })
            .collect();
        if let Some(edits) = translated {
            d.fix = Some(Fix { edits, ..fix });
            return;
        }
    }
    let (source, at) = match on_rendered {
        Some((s, e)) => (s, Span::new(e.start, e.end)),
        None => found_in.expect("found on a rendered source"),
    };
    d.fix = Some(Fix {
        applicability: Applicability::DisplayOnly,
        message: format!(
            "{} (the manifest is rendered by `{}`: make this change {})",
            fix.message,
            source.label,
            source.place(at)
        ),
        edits: Vec::new(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_reads_a_value_by_its_key_or_a_parent_map() {
        let template =
            "image: {{ .Values.image.repository }}\npull: {{ .Values.imagePullPolicy }}\n";
        let key = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(reads_value(template, &key(&["image", "repository"])));
        assert!(!reads_value(template, &key(&["image", "tag"])));
        assert!(!reads_value(template, &key(&["imagePull"])));
        assert!(reads_value(
            "{{ toYaml .Values.image }}",
            &key(&["image", "tag"])
        ));
    }

    /// A rendered source whose one list item `uvicorn` is traced to `user`'s item at `span`.
    fn traced(rendered: &str, user: &str, editable: bool) -> RenderedSource {
        let text = Arc::new(SourceFile::new("<rendered>", rendered.to_string()));
        let file = Arc::new(SourceFile::new("patch.yaml", user.to_string()));
        let at = |t: &str| {
            let start = t.find("uvicorn").unwrap();
            let quoted = t.as_bytes()[start - 1] == b'"';
            let start = if quoted { start - 1 } else { start };
            Span::new(start, start + "uvicorn".len() + if quoted { 2 } else { 0 })
        };
        let rendered_span = at(rendered);
        RenderedSource {
            path: "<rendered>".into(),
            label: "kustomize build k8s".into(),
            entry_path: "skaffold.yaml".into(),
            entry_span: Span::new(0, 0),
            workloads: Vec::new(),
            map: vec![MapEntry {
                rendered: rendered_span,
                path: "patch.yaml".into(),
                span: at(user),
                same_text: text.slice(rendered_span) == file.slice(at(user)),
                key: None,
                note: None,
            }],
            text,
            files: vec![file],
            editable: if editable {
                vec!["patch.yaml".into()]
            } else {
                Vec::new()
            },
            inputs: Vec::new(),
        }
    }

    fn insert_after_item(source: &RenderedSource, content: &str) -> Option<String> {
        let end = source.map[0].rendered.end;
        let edit = Edit {
            path: source.path.clone(),
            start: end,
            end,
            content: content.to_string(),
        };
        let moved = source.translate(&edit)?;
        let mut text = source.files[0].text.to_string();
        text.replace_range(moved.start..moved.end, &moved.content);
        Some(text)
    }

    #[test]
    fn block_items_become_flow_items_in_the_users_style() {
        let source = traced(
            "    args:\n    - uvicorn\n    - main:app\n",
            "args: [\"uvicorn\", \"main:app\"]\n",
            true,
        );
        assert_eq!(
            insert_after_item(&source, "\n    - --reload").as_deref(),
            Some("args: [\"uvicorn\", \"--reload\", \"main:app\"]\n")
        );
    }

    #[test]
    fn flow_items_become_block_items_after_a_trailing_comment() {
        let source = traced(
            "args: [\"uvicorn\", \"main:app\"]\n",
            "args:\n  - uvicorn # server\n  - main:app\n",
            true,
        );
        assert_eq!(
            insert_after_item(&source, ", \"--reload\"").as_deref(),
            Some("args:\n  - uvicorn # server\n  - --reload\n  - main:app\n")
        );
    }

    #[test]
    fn an_inline_op_list_maps_its_offsets_into_the_kustomization() {
        let text = "patchesJson6902:\n  - target: {kind: Deployment}\n    patch: |-\n      - op: add\n        path: /spec/x\n        value: true\n   ééé: stop\n";
        let file = Arc::new(SourceFile::new("kustomization.yaml", text.to_string()));
        let start = text.find("|-").unwrap();
        let patch = crate::render::kustomize::TargetedPatch {
            kind: Some("Deployment".into()),
            name: None,
            file: "kustomization.yaml".into(),
            inline: Some(Span::new(start, text.find("   ééé").unwrap())),
        };
        let read = |_: &Path| Some(file.clone());
        let ops = OpList::read(&patch, &read).unwrap();
        let root = ops.docs[0].root_ref().unwrap();
        let value = root.items().next().unwrap().get("value").unwrap();
        assert_eq!(file.slice(ops.outer(value.span())), "true");
        // A margin that cuts a multi-byte character ends the text; it does not panic.
        let patch = crate::render::kustomize::TargetedPatch {
            inline: Some(Span::new(start, text.len())),
            ..patch
        };
        assert!(OpList::read(&patch, &read).is_some());
    }

    #[test]
    fn a_file_no_fix_may_edit_gets_no_edit() {
        let source = traced("- uvicorn\n", "- uvicorn\n", false);
        assert_eq!(insert_after_item(&source, "\n- --reload"), None);
        // Something else after the item on its line: no safe place for a new line.
        let source = traced("- uvicorn\n", "- uvicorn: x\n", true);
        assert_eq!(insert_after_item(&source, "\n- --reload"), None);
    }
}
