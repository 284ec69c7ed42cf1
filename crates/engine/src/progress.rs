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
