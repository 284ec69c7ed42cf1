//! Named points between the pipeline's commits, where a crash test stops the
//! process to kill it (SIGKILL) exactly there: `DOSSIER_TEST_PAUSE_AT=NAME`
//! makes the first pass through point NAME say so on stderr and wait for
//! the kill. Unset (always, outside tests) it costs one look at a cached
//! variable. The points, in the order an ingest passes them:
//!
//! - `stored-batch`: a batch of articles committed (an ingest stores in batches of 256);
//! - `before-analysis`: everything stored, nothing of it analysed;
//! - `placing`: a step's articles placed and its stories' rows worked out, not committed;
//! - `placed`: the placing committed, the stories it marked not yet analysed;
//! - `analysing`: the claims and briefs of those stories worked out, not committed;
//! - `before-index`: the story analysis committed; the search index, written alongside, perhaps not yet;
//! - `before-index-done`: the index committed, the store not yet told it is.

use std::sync::OnceLock;

/// The environment variable naming the point to pause at.
pub const PAUSE_AT: &str = "DOSSIER_TEST_PAUSE_AT";

/// Every point, in the order an ingest passes them.
pub const POINTS: [&str; 7] = ["stored-batch", "before-analysis", "placing", "placed", "analysing", "before-index", "before-index-done"];

pub(crate) fn point(name: &str) {
    static AT: OnceLock<Option<String>> = OnceLock::new();
    debug_assert!(POINTS.contains(&name), "an unlisted pause point {name}");
    if AT.get_or_init(|| std::env::var(PAUSE_AT).ok()).as_deref() == Some(name) {
        // Printed, not logged: the test waits for this line whatever the log filter.
        eprintln!("{PAUSE_AT}: paused at {name} (pid {}), waiting to be killed", std::process::id());
        loop {
            std::thread::park();
        }
    }
}
