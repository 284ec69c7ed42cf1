//! Progress of long work, reported through a small trait so that a face can
//! draw a bar on a terminal, log lines, or nothing.

/// The phases the engine reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Articles read, split into sentences, entities and attributions found.
    Enriching,
    /// Sentence embeddings of new articles computed.
    Embedding,
    /// Articles placed into stories.
    Clustering,
    /// Sentence pairs that claim alignment asks about scored for meaning by the model (new pairs only).
    Scoring,
    /// Claims aligned and briefs written, story by story.
    Aligning,
    /// The search index brought up to date.
    Indexing,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Enriching => "enriching",
            Phase::Embedding => "embedding",
            Phase::Clustering => "clustering",
            Phase::Scoring => "scoring sentence pairs",
            Phase::Aligning => "aligning claims",
            Phase::Indexing => "indexing",
        }
    }
}

/// Receives progress. Every method has a default that does nothing.
pub trait Progress: Sync {
    /// A phase begins with `total` units of work.
    fn start(&self, phase: Phase, total: u64) {
        let _ = (phase, total);
    }
    /// `n` more units of the current phase are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }
    /// The current phase is done.
    fn finish(&self) {}
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {}

/// Where a step's time goes: each lap is logged at debug level
/// (`DOSSIER_LOG=dossier_engine::timing=debug`), so a slow run can be read
/// phase by phase without a profiler.
pub(crate) struct Laps {
    step: &'static str,
    last: std::time::Instant,
}

impl Laps {
    pub(crate) fn start(step: &'static str) -> Laps {
        Laps { step, last: std::time::Instant::now() }
    }

    /// Logs the time since the last lap under `what`.
    pub(crate) fn lap(&mut self, what: &str) {
        let now = std::time::Instant::now();
        tracing::debug!(target: "dossier_engine::timing", step = self.step, ms = format!("{:.1}", (now - self.last).as_secs_f64() * 1e3), "{what}");
        self.last = now;
    }
}
