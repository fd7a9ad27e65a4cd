//! Work spread over threads only when there is enough of it. A check of a small project (the
//! pre-commit case: one config, a Dockerfile, a manifest) is over in a few milliseconds, and
//! starting the thread pool and handing work between threads would cost more than it saves;
//! a monorepo's check is dominated by work that parallelises. The project decides once, when
//! it is loaded (see [`crate::project::Project::parallel`]).

use rayon::prelude::*;

/// `f` over `items`, in order; on the thread pool when `parallel`.
pub fn map<T, R, F>(parallel: bool, items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    if parallel {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// `f` over owned `items`, in order; on the thread pool when `parallel`.
pub fn map_owned<T, R, F>(parallel: bool, items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync + Send,
{
    if parallel {
        items.into_par_iter().map(f).collect()
    } else {
        items.into_iter().map(f).collect()
    }
}

/// Both closures' results; side by side when `parallel`.
pub fn join<A, B, RA, RB>(parallel: bool, a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA + Send,
    B: FnOnce() -> RB + Send,
    RA: Send,
    RB: Send,
{
    if parallel {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}
