//! Build-state evaluation: replays a Dockerfile the way buildkit dispatches it to know, at
//! every instruction, which variables are set and to what, and which WORKDIR and USER are in
//! force. Values skafix cannot know (a base image's ENV, platform ARGs) are tracked as
//! unknown rather than guessed.
//!
//! buildkit facts this follows (`dockerfile2llb/convert.go`): global ARGs are expanded in
//! order with build-arg overrides (`buildMetaArgs`); the platform ARGs (BUILDPLATFORM,
//! TARGETARCH, …) are predefined in the global scope; a stage ARG takes the build arg, else
//! its expanded default, else the global value (`dispatchArg`); ARG and ENV both set the
//! variable for later instructions; a stage built `FROM` an earlier stage starts from that
//! stage's state (`dispatchState.init`); a relative WORKDIR is joined to the current one and
//! cleaned (`system.NormalizeWorkdir`).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use super::expand::{expand_word, Expanded, Lookup};
use super::ignore::{clean_path, clean_path_owned};
use super::{ArgDecl, Args, Dockerfile};

/// The value of a variable in a build state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarValue {
    Known(String),
    /// Set, but to something skafix cannot know (platform ARGs, expansions of unknowns).
    Unknown,
}

/// A WORKDIR or USER in force.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Setting {
    /// The expanded value. `None` when it cannot be known, and for USER also when no USER
    /// was set (the base image's user applies, root unless the image says otherwise).
    /// WORKDIR defaults to `/` when never set (the base image may set another one).
    pub value: Option<String>,
    /// Index of the instruction that set it (possibly in a parent stage); `None` when it is
    /// the base image's default.
    pub set_by: Option<usize>,
}

/// Variables, WORKDIR and USER in force at one point of the build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildState {
    vars: HashMap<String, VarValue>,
    /// What the variables weigh, for [`MAX_BUILD_BYTES`]: names, values and a per-entry share.
    weight: usize,
    /// Names not set here may still come from the base image's ENV.
    base_may_define: bool,
    escape: char,
    pub workdir: Setting,
    pub user: Setting,
}

/// Platform arguments buildkit predefines in the global scope (`defaultArgs`).
const PLATFORM_ARGS: [&str; 11] = [
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDOSVERSION",
    "BUILDARCH",
    "BUILDVARIANT",
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETOSVERSION",
    "TARGETARCH",
    "TARGETVARIANT",
    "TARGETSTAGE",
];

impl BuildState {
    fn new(escape: char, base_may_define: bool) -> Self {
        BuildState {
            vars: HashMap::new(),
            weight: 0,
            base_may_define,
            escape,
            workdir: Setting {
                value: Some("/".into()),
                set_by: None,
            },
            user: Setting::default(),
        }
    }

    /// The value of a variable set in this Dockerfile (or predefined), if any.
    pub fn var(&self, name: &str) -> Option<&VarValue> {
        self.vars.get(name)
    }

    /// All variables set, sorted by name.
    pub fn vars(&self) -> Vec<(&str, &VarValue)> {
        let mut v: Vec<_> = self.vars.iter().map(|(k, v)| (k.as_str(), v)).collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v
    }

    fn lookup(&self, name: &str) -> Lookup {
        match self.vars.get(name) {
            Some(VarValue::Known(v)) => Lookup::Set(v.clone()),
            Some(VarValue::Unknown) => Lookup::Unknown,
            None if self.base_may_define => Lookup::Unknown,
            None => Lookup::Unset,
        }
    }

    /// Expands a word (quotes, escapes, variables) as buildkit would in this state.
    pub fn expand(&self, word: &str) -> Expanded {
        expand_word(word, self.escape, &|name| self.lookup(name))
    }

    /// The value of an expanded word; `Err` when it went over [`MAX_VALUE_BYTES`].
    fn expand_to_var(&self, word: &str) -> Result<VarValue, OverBudget> {
        let e = self.expand(word);
        if e.over_budget {
            return Err(OverBudget);
        }
        Ok(match e.known() {
            Some(v) => VarValue::Known(v.to_string()),
            None => VarValue::Unknown,
        })
    }

    /// What a copy of this state holds: its variables' weight and its WORKDIR and USER texts
    /// (relative WORKDIRs nest, so a path grows with each one).
    fn retained(&self) -> usize {
        let text = |s: &Setting| s.value.as_ref().map_or(0, String::len);
        self.weight + text(&self.workdir) + text(&self.user)
    }

    /// Sets a variable, keeping the state's weight.
    fn set(&mut self, name: &str, value: VarValue) {
        let weigh = |name: &str, value: &VarValue| {
            name.len()
                + ENTRY_WEIGHT
                + match value {
                    VarValue::Known(v) => v.len(),
                    VarValue::Unknown => 0,
                }
        };
        let added = weigh(name, &value);
        if let Some(old) = self.vars.insert(name.to_string(), value) {
            self.weight -= weigh(name, &old);
        }
        self.weight += added;
    }

    fn apply_arg(
        &mut self,
        decl: &ArgDecl,
        build_args: Option<&HashMap<String, String>>,
        global: Option<&BuildState>,
    ) -> Result<(), OverBudget> {
        let value = if let Some(v) = build_args.and_then(|b| b.get(&decl.name)) {
            Some(VarValue::Known(v.clone()))
        } else if let Some(default) = &decl.default {
            Some(self.expand_to_var(&default.value)?)
        } else if let Some(value) = global.and_then(|g| g.vars.get(&decl.name)) {
            Some(value.clone())
        } else if build_args.is_none() {
            // Without a known set of build args, an ARG without default is whatever the
            // build passes in.
            Some(VarValue::Unknown)
        } else {
            None
        };
        if let Some(value) = value {
            self.set(&decl.name, value);
        }
        Ok(())
    }
}

/// An expansion went over a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OverBudget;

/// The most a replay may weigh in all: the weight of the state in force, summed over the
/// instructions (each instruction's state is kept for the rules). Many ENV lines make this grow
/// with the square of their number; real Dockerfiles stay far below it.
pub const MAX_BUILD_BYTES: usize = 32 * 1024 * 1024;

/// The weight of one variable beyond its name and value: what a map entry costs.
const ENTRY_WEIGHT: usize = 48;

/// Why evaluation stopped early, for the parse error at the instruction that crossed a budget.
pub(crate) fn over_budget_message() -> String {
    format!(
        "variable expansion goes over its budget here (a value may reach {} KiB, a build's variables {} MiB in all); the Dockerfile is not checked",
        super::expand::MAX_VALUE_BYTES / 1024,
        MAX_BUILD_BYTES / (1024 * 1024)
    )
}

/// Where an image-config value (ENTRYPOINT, CMD, SHELL) of a stage comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Set by this instruction (possibly in a parent stage).
    Set(usize),
    /// Inherited from a base image skafix cannot see.
    BaseImage,
    /// Known to be empty: `scratch`, or CMD cleared by a later ENTRYPOINT.
    Unset,
}

/// The ENTRYPOINT, CMD and SHELL a stage's image ends up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageCommand {
    pub entrypoint: Origin,
    pub cmd: Origin,
    /// The SHELL that shell-form ENTRYPOINT/CMD were wrapped with (`Set` only when a SHELL
    /// instruction came before them; otherwise the image default, `/bin/sh -c` on Linux).
    pub shell: Origin,
}

/// buildkit's dispatch of CMD/ENTRYPOINT/SHELL (`dispatchCmd`, `dispatchEntrypoint`): a
/// stage starts from its parent stage's image config, and an ENTRYPOINT clears the CMD
/// unless a CMD was set earlier in the same stage.
pub(crate) fn stage_command(df: &Dockerfile, stage: usize) -> Option<StageCommand> {
    let s = df.stages.get(stage)?;
    let mut result = match s.base_stage.filter(|&b| b < stage) {
        Some(parent) => stage_command(df, parent)?,
        None => {
            let origin = if s.base_expanded.as_deref() == Some("scratch") {
                Origin::Unset
            } else {
                Origin::BaseImage
            };
            StageCommand {
                entrypoint: origin,
                cmd: origin,
                shell: origin,
            }
        }
    };
    let mut cmd_set = false;
    for index in s.instructions.clone() {
        match df.instructions.get(index).map(|i| &i.args) {
            Some(Args::Cmd(_)) => {
                result.cmd = Origin::Set(index);
                cmd_set = true;
            }
            Some(Args::Entrypoint(_)) => {
                result.entrypoint = Origin::Set(index);
                if !cmd_set {
                    result.cmd = Origin::Unset;
                }
            }
            Some(Args::Shell(_)) => result.shell = Origin::Set(index),
            _ => {}
        }
    }
    Some(result)
}

/// What the walk found about each stage's base.
pub(crate) struct StageBase {
    pub expanded: Option<String>,
    pub stage: Option<usize>,
}

/// Replays the Dockerfile, calling `visit` with the state in force before each instruction.
pub(crate) fn walk(
    df: &Dockerfile,
    build_args: Option<&HashMap<String, String>>,
    mut visit: impl FnMut(usize, &BuildState),
) -> Walked {
    let mut global = BuildState::new(df.escape, false);
    global.workdir = Setting::default();
    for name in PLATFORM_ARGS {
        let value = match build_args.and_then(|b| b.get(name)) {
            Some(v) => VarValue::Known(v.clone()),
            None => VarValue::Unknown,
        };
        global.set(name, value);
    }
    let mut spent = 0usize;
    let mut over_budget = None;
    let mut finals: Vec<BuildState> = Vec::with_capacity(df.stages.len());
    let mut bases = Vec::with_capacity(df.stages.len());
    let mut current: Option<BuildState> = None;
    let mut earlier_stages: HashMap<&str, usize> = HashMap::new();
    for (index, ins) in df.instructions.iter().enumerate() {
        // What a replay keeps grows where the state changes (instructions in between share
        // the state before them): a WORKDIR or USER copies every variable as ENV does.
        if changes_state(&ins.args) {
            spent += current.as_ref().unwrap_or(&global).retained();
            if spent > MAX_BUILD_BYTES {
                over_budget = Some(index);
                break;
            }
        }
        let Some(stage) = ins.stage else {
            visit(index, &global);
            if let Args::Arg(decls) = &ins.args {
                if decls
                    .iter()
                    .any(|d| global.apply_arg(d, build_args, None).is_err())
                {
                    over_budget = Some(index);
                    break;
                }
            }
            continue;
        };
        if let Args::From { image, .. } = &ins.args {
            if let Some(done) = current.take() {
                finals.push(done);
            }
            let expanded = global.expand(&image.value).known().map(str::to_string);
            // buildkit looks the expanded base up, as written, among earlier stage names
            // (which are stored lowercased).
            let base_stage = expanded
                .as_ref()
                .and_then(|b| earlier_stages.get(b.as_str()).copied());
            // Looked up by name, not by scanning the earlier stages: thousands of stages made
            // that quadratic. A later stage of the same name replaces an earlier one.
            if let Some(name) = df.stages.get(stage).and_then(|s| s.name.as_ref()) {
                earlier_stages.insert(name.value.as_str(), stage);
            }
            let state = match base_stage.and_then(|s| finals.get(s)) {
                Some(parent) => parent.clone(),
                None => BuildState::new(df.escape, expanded.as_deref() != Some("scratch")),
            };
            let mut at_from = global.clone();
            at_from.workdir = state.workdir.clone();
            at_from.user = state.user.clone();
            visit(index, &at_from);
            bases.push(StageBase {
                expanded,
                stage: base_stage,
            });
            current = Some(state);
            continue;
        }
        let Some(state) = current.as_mut() else {
            continue;
        };
        visit(index, state);
        match &ins.args {
            Args::Env(pairs) => {
                let values: Result<Vec<VarValue>, OverBudget> = pairs
                    .iter()
                    .map(|p| state.expand_to_var(&p.value.value))
                    .collect();
                let Ok(values) = values else {
                    over_budget = Some(index);
                    break;
                };
                for (p, v) in pairs.iter().zip(values) {
                    state.set(&p.key, v);
                }
            }
            Args::Arg(decls)
                if decls
                    .iter()
                    .any(|d| state.apply_arg(d, build_args, Some(&global)).is_err()) =>
            {
                over_budget = Some(index);
                break;
            }
            Args::Workdir { path } => {
                let e = state.expand(&path.value);
                let value = match (e.known(), state.workdir.value.as_deref()) {
                    (Some(p), _) if p.starts_with('/') => Some(clean_path(p)),
                    (Some(p), Some(current)) => Some(clean_path_owned(format!("{current}/{p}"))),
                    _ => None,
                };
                if value
                    .as_ref()
                    .is_some_and(|v| v.len() > super::expand::MAX_VALUE_BYTES)
                {
                    over_budget = Some(index);
                    break;
                }
                state.workdir = Setting {
                    value,
                    set_by: Some(index),
                };
            }
            Args::User { user, group } => {
                let raw = match group {
                    Some(g) => format!("{}:{}", user.value, g.value),
                    None => user.value.clone(),
                };
                state.user = Setting {
                    value: state.expand(&raw).known().map(str::to_string),
                    set_by: Some(index),
                };
            }
            _ => {}
        }
    }
    // A stage cut short by a budget has no final state: what it would end with is unknown.
    if over_budget.is_none() {
        finals.extend(current);
    }
    Walked {
        bases,
        finals,
        over_budget,
    }
}

/// Whether an instruction changes the build state the next one sees (variables, WORKDIR,
/// USER, or a new stage).
fn changes_state(args: &Args) -> bool {
    matches!(
        args,
        Args::Env(_) | Args::Arg(_) | Args::From { .. } | Args::Workdir { .. } | Args::User { .. }
    )
}

/// What a walk over the whole Dockerfile found: each stage's base and its state at its end.
pub(crate) struct Walked {
    pub bases: Vec<StageBase>,
    pub finals: Vec<BuildState>,
    /// The instruction where a budget was crossed; the walk stopped before its state changed.
    /// Later instructions were not visited and stages after it have no final state.
    pub over_budget: Option<usize>,
}

/// The state a stage's image ends with: after its last instruction.
pub(crate) fn state_after(
    df: &Dockerfile,
    stage: usize,
    build_args: Option<&HashMap<String, String>>,
) -> Option<Arc<BuildState>> {
    replay(df, build_args).finals.get(stage).cloned()
}

/// A whole replay of a Dockerfile for one set of build args: the state before each
/// instruction and each stage's final state.
struct Replay {
    /// Consecutive instructions with the same state share one copy.
    before: Vec<Option<Arc<BuildState>>>,
    finals: Vec<Arc<BuildState>>,
}

/// Replays already made, by build-arg set. Rules ask for the state at many instructions of
/// the same Dockerfile, and replaying it from the top for each question made a check
/// quadratic in the Dockerfile's length. A clone starts empty; it never affects equality.
#[derive(Default)]
pub struct Replays(Mutex<Vec<(BuildArgs, Arc<Replay>)>>);

/// The build args a replay was made with (`None`: not known).
type BuildArgs = Option<HashMap<String, String>>;

/// Distinct build-arg sets remembered per Dockerfile (an artifact uses one; the Dockerfile's
/// own defaults are another).
const MAX_REPLAYS: usize = 8;

impl Clone for Replays {
    fn clone(&self) -> Self {
        Replays::default()
    }
}

impl PartialEq for Replays {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Replays {}

impl fmt::Debug for Replays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Replays")
    }
}

fn replay(df: &Dockerfile, build_args: Option<&HashMap<String, String>>) -> Arc<Replay> {
    if let Ok(known) = df.replays.0.lock() {
        if let Some((_, found)) = known.iter().find(|(args, _)| args.as_ref() == build_args) {
            return found.clone();
        }
    }
    let mut before: Vec<Option<Arc<BuildState>>> = vec![None; df.instructions.len()];
    let mut last: Option<(usize, Arc<BuildState>)> = None;
    let finals = walk(df, build_args, |i, state| {
        // After an instruction that leaves the state alone, within a stage, the state is the
        // same: comparing it anyway costs its whole size per instruction (a large environment
        // and many RUN lines made that quadratic). Comparisons only happen where the budget
        // is charged. A FROM sees the global scope, not the previous stage.
        let unchanged = |previous: &BuildState, at: usize| {
            let kept = at + 1 == i
                && df
                    .instructions
                    .get(at)
                    .is_some_and(|p| !changes_state(&p.args))
                && df
                    .instructions
                    .get(i)
                    .is_some_and(|ins| !matches!(ins.args, Args::From { .. }));
            kept || *previous == *state
        };
        let shared = match &last {
            Some((at, previous)) if unchanged(previous, *at) => previous.clone(),
            _ => Arc::new(state.clone()),
        };
        last = Some((i, shared.clone()));
        if let Some(slot) = before.get_mut(i) {
            *slot = Some(shared);
        }
    })
    .finals
    .into_iter()
    .map(Arc::new)
    .collect();
    let made = Arc::new(Replay { before, finals });
    if let Ok(mut known) = df.replays.0.lock() {
        if known.len() >= MAX_REPLAYS {
            known.remove(0);
        }
        known.push((build_args.cloned(), made.clone()));
    }
    made
}

/// Fills the per-instruction WORKDIR/USER and the stages' base resolution with the
/// Dockerfile's own defaults. Returns the instruction where the walk went over a budget.
pub(crate) fn fill_defaults(df: &mut Dockerfile) -> Option<usize> {
    let mut settings = vec![(Setting::default(), Setting::default()); df.instructions.len()];
    let walked = walk(df, None, |i, state| {
        settings[i] = (state.workdir.clone(), state.user.clone());
    });
    let bases = walked.bases;
    for (ins, (workdir, user)) in df.instructions.iter_mut().zip(settings) {
        if let Args::Onbuild(inner) = &mut ins.args {
            inner.workdir = workdir.clone();
            inner.user = user.clone();
        }
        ins.workdir = workdir;
        ins.user = user;
    }
    for (stage, base) in df.stages.iter_mut().zip(bases) {
        stage.base_expanded = base.expanded;
        stage.base_stage = base.stage;
    }
    walked.over_budget
}

pub(crate) fn state_at(
    df: &Dockerfile,
    instruction: usize,
    build_args: Option<&HashMap<String, String>>,
) -> Option<Arc<BuildState>> {
    replay(df, build_args)
        .before
        .get(instruction)
        .and_then(Option::clone)
}
