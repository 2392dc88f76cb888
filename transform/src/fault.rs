//! Fault injection for the crash tests (the bottom layer: it imports nothing of the crate, so any
//! module may call it). `TRANSFORM_SYNC_FAULT=<point>[:<n>]` aborts the process the n-th time
//! (default 1st) the program reaches `point(<point>)`. The points are `before_state_save` (sync rows
//! appended, state not yet saved, transaction open) and `after_commit` (a batch committed, before the
//! next one). Without the variable a point costs one environment lookup.

use std::sync::atomic::{AtomicU64, Ordering};

/// Aborts here when `TRANSFORM_SYNC_FAULT` names this point and its hit count is reached.
pub fn point(name: &str) {
    static HITS: AtomicU64 = AtomicU64::new(0);
    let Ok(spec) = std::env::var("TRANSFORM_SYNC_FAULT") else { return };
    let (wanted, nth) = spec.split_once(':').map_or((spec.as_str(), 1), |(n, k)| (n, k.parse().unwrap_or(1)));
    if wanted == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 == nth {
        eprintln!("transform sync: fault injection: aborting at {name} #{nth}");
        std::process::abort();
    }
}
