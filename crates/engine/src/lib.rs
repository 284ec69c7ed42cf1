//! Engine: the pipeline as a library, incremental.
//!
//! Takes batches of [`Article`]s and a [`Store`]; gives stories, aligned
//! claims, briefs, the search index and a change log, kept up to date one
//! batch at a time; never parses arguments, prints, draws progress bars or
//! serves HTTP (the faces — `dossier` on the command line, `dossier serve`,
//! `watch` and `worker` — do that over it).
//!
//! Data flows one way: [`Engine::ingest`] stores a batch (each new or
//! revised article becomes an *arrival*), then [`Engine::analyse`] takes the
//! waiting arrivals in batches. Each batch is one step of two phases, each
//! committed in one transaction, so a killed run loses nothing and
//! re-running it finishes the work:
//!
//! - **placing** ([`Engine::place`]): its articles are enriched and embedded
//!   once, placed into stories by the streaming clusterer (whose window of
//!   open stories and vocabulary persist in the store between runs), the
//!   rows of the stories they touched are rewritten and those stories are
//!   marked as *owing analysis*, with the clusterer's state and the story
//!   change log;
//! - **story analysis** ([`Engine::analyse_stories`]): each story owing
//!   analysis gets its claims re-aligned and its brief rebuilt from its
//!   members as they are now, committed with the claim change log and
//!   clearing its mark, unless a placing step marked it again meanwhile.
//!
//! Placing is cheap and serial (one writer at a time: the embedded store's
//! file lock, or the scaled-out workers' analysis lock); story analysis is
//! the costly part, and writers sharing a store lease different stories
//! ([`Store::lease_stories`]) to do it side by side. The embedded faces run
//! both phases back to back. A story's id comes from the article that started it and never
//! changes; a story merged into an older one keeps answering as an alias.
//! [`Engine::rebuild`] recomputes everything by replaying the recorded
//! batches, and gives what the incremental runs gave.

mod analyse;
mod embedding;
pub mod error;
mod index;
mod meaning;
pub mod pause;
pub mod progress;
mod state;
mod story_analysis;

use std::path::{Path, PathBuf};

use dossier_model::Article;
use dossier_search::SearchIndex;
use dossier_store::{Put, Store};

pub use embedding::{embedding_key, Embeddings};
pub use error::{Error, Result};
pub use index::{attach_vectors, index_dir, index_docs};
pub use progress::{Phase, Progress, Silent};

use meaning::Meaning;
use state::ClusterState;

/// Arrivals taken per step at most: bounds a step's memory (a larger backlog
/// is several steps, each committed).
const STEP_ARRIVALS: usize = 4096;

/// What an analysis did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct AnalysisReport {
    /// Arrivals analysed (new and revised articles).
    pub articles: usize,
    /// Steps committed.
    pub steps: usize,
    /// Stories whose rows were rewritten.
    pub stories_touched: usize,
    pub stories_created: usize,
    pub merges: usize,
    /// Stories whose claims and brief were analysed (and their owing mark cleared).
    pub stories_analysed: usize,
    /// Stories analysed but not written: placed again meanwhile (they still owe an
    /// analysis, of their new members) or no longer stored.
    pub stories_refused: usize,
    /// Change log entries written.
    pub changes: usize,
    /// Arrivals too long to analyse whole, analysed (and indexed) in their first part and
    /// stored whole ([`dossier_enrich::MAX_ANALYSED_BYTES`], [`dossier_enrich::MAX_SENTENCES`]).
    pub cut: usize,
}

/// What [`Engine::ingest`] did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Ingested {
    pub put: Put,
    pub analysis: AnalysisReport,
}

/// Whether the store holds work for the analysis: arrivals to place, or stories
/// placed and owing analysis.
pub fn analysis_owed(store: &dyn Store) -> Result<bool> {
    Ok(store.has_pending()? || !store.engine_state_prefix(state::OWED)?.is_empty())
}

/// Ids of the stories owing analysis (placed, their claims and brief not yet redone).
pub fn stories_owing_analysis(store: &dyn Store) -> Result<Vec<String>> {
    Ok(store.engine_state_prefix(state::OWED)?.into_iter().map(|(k, _)| k[state::OWED.len()..].to_string()).collect())
}

/// The pipeline over a store. Long-lived faces keep one: it caches the
/// clusterer's state (reloaded when another writer committed meanwhile) and
/// the models once loaded.
pub struct Engine {
    mode: Embeddings,
    index_dir: Option<PathBuf>,
    stories: dossier_stories::Settings,
    claims: dossier_claims::Settings,
    cache: Option<ClusterState>,
    /// The last placing step's enriched articles (its batch and its stories' members), for
    /// the story analysis that follows it in this process: read back from the store they
    /// would be decoded again.
    handoff: Option<analyse::Handoff>,
    embedder: embedding::LazyEmbedder,
    meaning: Option<Option<Meaning>>,
    index: Option<SearchIndex>,
}

impl Engine {
    pub fn new(mode: Embeddings) -> Engine {
        Engine {
            mode,
            index_dir: None,
            stories: dossier_stories::Settings::default(),
            claims: dossier_claims::Settings::default(),
            cache: None,
            handoff: None,
            embedder: Default::default(),
            meaning: None,
            index: None,
        }
    }

    /// Keeps the search index in `dir` up to date too (a data directory's `index/`).
    pub fn with_index(mut self, dir: &Path) -> Engine {
        self.index_dir = Some(dir.to_path_buf());
        self
    }

    pub fn embeddings(&self) -> Embeddings {
        self.mode
    }

    /// Stores a batch in one transaction (new and revised articles wait for the analysis).
    pub fn store(&mut self, store: &mut dyn Store, articles: &[Article]) -> Result<Put> {
        let put = store.put_articles(articles)?;
        pause::point("stored-batch");
        Ok(put)
    }

    /// Stores a batch, then analyses what waits: the one way in for every face.
    pub fn ingest(&mut self, store: &mut dyn Store, articles: &[Article], progress: &dyn Progress) -> Result<Ingested> {
        let put = self.store(store, articles)?;
        let analysis = self.analyse(store, progress)?;
        Ok(Ingested { put, analysis })
    }

    /// Analyses every waiting arrival, a step per batch, each placed and then its
    /// stories analysed; first gives the search index what an interrupted run owed
    /// it, and analyses the stories an interrupted run placed but did not analyse.
    pub fn analyse(&mut self, store: &mut dyn Store, progress: &dyn Progress) -> Result<AnalysisReport> {
        pause::point("before-analysis");
        dossier_stance::Model::preload();
        self.index_owed(store, progress)?;
        let mut report = AnalysisReport::default();
        self.analyse_owed(store, usize::MAX, None, progress, &mut report)?;
        while self.place_next(store, progress, &mut report)? {
            self.analyse_owed(store, usize::MAX, None, progress, &mut report)?;
        }
        Ok(report)
    }

    /// The placing phase alone, over every waiting arrival, a step per batch: the
    /// stories touched are rewritten and marked as owing analysis, which
    /// [`analyse_stories`](Self::analyse_stories) does. One writer at a time places
    /// (the clusterer's state is one sequence of steps).
    pub fn place(&mut self, store: &mut dyn Store, progress: &dyn Progress) -> Result<AnalysisReport> {
        let mut report = AnalysisReport::default();
        while self.place_next(store, progress, &mut report)? {}
        Ok(report)
    }

    /// The story analysis phase alone: the claims and briefs of the stories owing
    /// analysis, `chunk` stories per transaction, each chunk leased from the store
    /// ([`Store::lease_stories`]), so writers sharing a store analyse different stories
    /// at once; stories another writer holds are left to it. After the first chunk, none
    /// starts after `until` (when given): the stories left wait for the next call.
    pub fn analyse_stories(&mut self, store: &mut dyn Store, chunk: usize, until: Option<std::time::Instant>, progress: &dyn Progress) -> Result<AnalysisReport> {
        let mut report = AnalysisReport::default();
        self.analyse_owed(store, chunk, until, progress, &mut report)?;
        Ok(report)
    }

    /// Places the next waiting batch, if any (whether one was).
    fn place_next(&mut self, store: &mut dyn Store, progress: &dyn Progress, report: &mut AnalysisReport) -> Result<bool> {
        let pending = store.pending_arrivals(STEP_ARRIVALS)?;
        let Some(first) = pending.first() else { return Ok(false) };
        let batch = first.batch;
        let take: Vec<_> = pending.iter().take_while(|a| a.batch == batch).cloned().collect();
        self.place_step(store, &take, batch, progress, report)?;
        if take.len() >= 1000 {
            tracing::info!(articles = report.articles, steps = report.steps, "analysis progress");
        }
        Ok(true)
    }

    /// Forgets the analysis and recomputes it from scratch, replaying the
    /// recorded batches in order; the search index is rebuilt too.
    pub fn rebuild(&mut self, store: &mut dyn Store, progress: &dyn Progress) -> Result<AnalysisReport> {
        store.reset_analysis()?;
        self.cache = None;
        if let Some(ix) = self.search_index()? {
            ix.rebuild(&[])?;
        }
        self.analyse(store, progress)
    }

    /// Rebuilds the search index from the store (every article). The ids are read
    /// first and the texts a chunk of whole stories at a time, so memory is a chunk's,
    /// not the corpus's (it held every text and document at once: 1.5 GB at 112,000).
    pub fn reindex(&mut self, store: &mut dyn Store, progress: &dyn Progress) -> Result<usize> {
        match self.search_index()? {
            Some(ix) => ix.rebuild(&[])?,
            None => return Ok(0),
        };
        let ids: Vec<String> = store.article_hashes()?.into_iter().map(|(id, _)| id).collect();
        progress.start(Phase::Indexing, ids.len() as u64);
        let mut written = 0;
        for chunk in story_chunks(store, ids, REINDEX_CHUNK)? {
            let articles = store.articles_by_id(&chunk)?;
            let docs = self.docs_for(store, &articles)?;
            if let Some(ix) = self.search_index()? {
                written += ix.apply(&docs, &[])?;
            }
            progress.advance(chunk.len() as u64);
        }
        progress.finish();
        Ok(written)
    }

    fn meaning(&mut self) -> Result<Option<&mut Meaning>> {
        if self.meaning.is_none() {
            self.meaning = Some(Meaning::new(self.mode, self.claims.meaning_link)?);
        }
        Ok(self.meaning.as_mut().and_then(|m| m.as_mut()))
    }

    fn search_index(&mut self) -> Result<Option<&mut SearchIndex>> {
        if self.index.is_none() {
            if let Some(dir) = &self.index_dir {
                self.index = Some(SearchIndex::open(dir)?);
            }
        }
        Ok(self.index.as_mut())
    }

    /// Search documents for these articles, from the store's analysis.
    fn docs_for(&self, store: &dyn Store, articles: &[Article]) -> Result<Vec<dossier_search::IndexDoc>> {
        let ids: Vec<String> = articles.iter().map(|a| a.id.clone()).collect();
        let story_of = store.stories_of(&ids)?;
        let mut stories: Vec<&String> = story_of.values().collect();
        stories.sort();
        stories.dedup();
        let mut claims = Vec::new();
        for s in stories {
            claims.extend(store.aligned_claims(s)?);
        }
        let enriched = analyse::enrich_all(articles);
        let refs: Vec<&dossier_enrich::Enriched> = enriched.iter().collect();
        let mut docs = index_docs(&refs, &story_of, &claims.iter().collect::<Vec<_>>());
        index::attach_vectors(store, &refs, &mut docs)?;
        Ok(docs)
    }

    /// Writes documents to the index, then clears what the store said was owed for `owed`.
    fn index_docs(&mut self, store: &mut dyn Store, docs: &[dossier_search::IndexDoc], owed: &[String], progress: &dyn Progress) -> Result<()> {
        let Some(ix) = self.search_index()? else { return Ok(()) };
        progress.start(Phase::Indexing, docs.len() as u64);
        ix.upsert(docs)?;
        progress.advance(docs.len() as u64);
        progress.finish();
        pause::point("before-index-done");
        self.index_done(store, owed)
    }

    /// Tells the store the index has these articles (clears what it owed for them).
    fn index_done(&mut self, store: &mut dyn Store, owed: &[String]) -> Result<()> {
        if self.index_dir.is_none() || owed.is_empty() {
            return Ok(());
        }
        let done = dossier_store::AnalysisStep { state: owed.iter().map(|id| (format!("{}{}", state::UNINDEXED, id), None)).collect(), ..Default::default() };
        store.commit_step(&done)?;
        Ok(())
    }

    /// Commits story analyses and, at the same time on another thread, gives the index
    /// their articles' documents: the two writes are independent, and the index is a copy
    /// the store's owed marks keep honest (a document of a story whose commit is refused
    /// stays owed, so it is written again). The stories written.
    fn commit_and_index(&mut self, store: &mut dyn Store, done: &[dossier_store::StoryAnalysis], docs: &[&dossier_search::IndexDoc], progress: &dyn Progress) -> Result<Vec<String>> {
        let Some(ix) = self.search_index()? else {
            let written = store.commit_story_analyses(done)?;
            pause::point("before-index");
            return Ok(written);
        };
        progress.start(Phase::Indexing, docs.len() as u64);
        let (written, indexed) = std::thread::scope(|s| {
            let indexing = s.spawn(|| ix.upsert(docs));
            let written = store.commit_story_analyses(done);
            pause::point("before-index");
            (written, indexing.join().expect("the indexing thread does not panic"))
        });
        let written = written?;
        indexed?;
        progress.advance(docs.len() as u64);
        progress.finish();
        Ok(written)
    }

    /// Indexes the articles a committed step changed but a killed run never
    /// indexed (what [`analyse`](Self::analyse) does first); how many. A face that
    /// serves the index calls it before serving, so a stale index is not served.
    pub fn index_owed(&mut self, store: &mut dyn Store, progress: &dyn Progress) -> Result<usize> {
        if self.index_dir.is_none() {
            return Ok(0);
        }
        let owed: Vec<String> = store.engine_state_prefix(state::UNINDEXED)?.into_iter().map(|(k, _)| k[state::UNINDEXED.len()..].to_string()).collect();
        if owed.is_empty() {
            return Ok(0);
        }
        let articles = store.articles_by_id(&owed)?;
        let docs = self.docs_for(store, &articles)?;
        // Owed ids no longer stored are simply forgotten.
        self.index_docs(store, &docs, &owed, progress)?;
        Ok(owed.len())
    }
}

/// Articles a reindex reads and writes at a time (whole stories, so each story's one
/// name per person is worked out from all its articles).
const REINDEX_CHUNK: usize = 8192;

/// Article ids grouped by story (an article in no story alone), in chunks of whole
/// stories of about `size` articles.
fn story_chunks(store: &dyn Store, ids: Vec<String>, size: usize) -> Result<Vec<Vec<String>>> {
    let story_of = store.stories_of(&ids)?;
    let mut by_story: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for id in ids {
        let key = story_of.get(&id).cloned().unwrap_or_else(|| format!("\u{0}{id}"));
        by_story.entry(key).or_default().push(id);
    }
    let mut chunks = Vec::new();
    let mut chunk: Vec<String> = Vec::new();
    for (_, mut members) in by_story {
        if !chunk.is_empty() && chunk.len() + members.len() > size {
            chunks.push(std::mem::take(&mut chunk));
        }
        chunk.append(&mut members);
    }
    if !chunk.is_empty() {
        chunks.push(chunk);
    }
    Ok(chunks)
}
