//! The clusterer's state between runs, kept in the store's engine state:
//! the clock, the vocabulary (document frequencies), one row per open story
//! (only the window of stories that can still be joined), and each clustered
//! article's TF-IDF vector (for its story's title). A step rewrites only
//! the rows it changed.

use std::collections::HashMap;

use dossier_store::Store;
use dossier_stories::{Clock, Clusterer, Open, Settings, Vector, Vocabulary};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::{Error, Result};

pub(crate) const CLOCK: &str = "clock";
pub(crate) const VOCAB: &str = "vocab";
pub(crate) const GENERATION: &str = "generation";
pub(crate) const OPEN: &str = "open:";
pub(crate) const VECTOR: &str = "vector:";
/// What enrichment found in an article of an open story (JSON: sentences and entities),
/// kept while its story can still be touched, so a member is enriched once.
pub(crate) const ENRICHED: &str = "enriched:";
/// Articles whose search documents a committed step changed and the index has not yet taken.
pub(crate) const UNINDEXED: &str = "unindexed:";
/// Stories whose members a placing step changed and whose claims and brief are not yet
/// analysed again: `owed:STORY` holds an [`Owed`] (JSON).
pub(crate) const OWED: &str = "owed:";

pub(crate) fn owed_key(story: &str) -> String {
    format!("{OWED}{story}")
}

/// A story owing analysis, as the placing step that marked it left it. Any later placing
/// step that touches the story rewrites the mark (another generation), so a story
/// analysis can tell, when it commits, whether what it analysed is still the story.
#[derive(Serialize, Deserialize)]
pub(crate) struct Owed {
    /// The clustering state's generation of the placing step that wrote the mark.
    pub generation: u64,
    /// Its members, in the order the clusterer keeps them (the order they are aligned in).
    pub members: Vec<String>,
    /// Claims of stories merged into it since it was last analysed: its claims as the
    /// change log follows them (they left the store with the merged stories' rows).
    pub absorbed: Vec<dossier_model::AlignedClaim>,
    /// It closed (no later article can join it): its members' kept enrichment goes
    /// once it is analysed.
    pub closed: bool,
}

impl Owed {
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an owing mark serialises")
    }

    pub(crate) fn decode(key: &str, bytes: &[u8]) -> Result<Owed> {
        serde_json::from_slice(bytes).map_err(|e| Error::internal(format!("engine state {key}"), e))
    }
}

pub(crate) fn open_key(k: u32) -> String {
    format!("{OPEN}{k:010}")
}

pub(crate) fn vector_key(id: &str) -> String {
    format!("{VECTOR}{id}")
}

pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_stdvec(v).expect("engine state always serialises")
}

pub(crate) fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| Error::internal(format!("engine state {key}"), e))
}

#[derive(Serialize, Deserialize)]
struct VocabParts {
    docs: u64,
    terms: Vec<(String, u32)>,
}

/// The engine's clustering state, as loaded.
pub(crate) struct ClusterState {
    pub generation: u64,
    pub vocab: Vocabulary,
    pub clusterer: Clusterer<String>,
    pub next_batch: i64,
}

#[derive(Serialize, Deserialize, Default)]
struct Header {
    clock: Clock,
    next_batch: i64,
}

impl ClusterState {
    /// The store's generation: bumped by every committed step, so a cached state can tell it is current.
    pub(crate) fn stored_generation(store: &dyn Store) -> Result<u64> {
        let got = store.engine_state(&[GENERATION.to_string()])?;
        got.get(GENERATION).map(|b| decode::<u64>(GENERATION, b)).transpose().map(|g| g.unwrap_or(0))
    }

    pub(crate) fn load(store: &dyn Store, settings: Settings) -> Result<ClusterState> {
        let got = store.engine_state(&[CLOCK.to_string(), VOCAB.to_string(), GENERATION.to_string()])?;
        let header: Header = got.get(CLOCK).map(|b| decode(CLOCK, b)).transpose()?.unwrap_or_default();
        let vocab = match got.get(VOCAB) {
            Some(b) => {
                let p: VocabParts = decode(VOCAB, b)?;
                Vocabulary::from_parts(p.docs, p.terms)
            }
            None => Vocabulary::default(),
        };
        let generation = got.get(GENERATION).map(|b| decode::<u64>(GENERATION, b)).transpose()?.unwrap_or(0);
        let mut open = Vec::new();
        for (key, bytes) in store.engine_state_prefix(OPEN)? {
            let k: u32 = key[OPEN.len()..].parse().map_err(|e| Error::internal(format!("engine state {key}"), e))?;
            open.push((k, decode::<Open<String>>(&key, &bytes)?));
        }
        Ok(ClusterState { generation, vocab, clusterer: Clusterer::restore(settings, header.clock, open), next_batch: header.next_batch.max(1) })
    }

    /// The rows to write after a step: header, vocabulary, generation, and
    /// the open stories in `changed` (written, or deleted when no longer open).
    pub(crate) fn rows(&self, changed: &[u32]) -> Vec<(String, Option<Vec<u8>>)> {
        let mut out = Vec::with_capacity(changed.len() + 3);
        out.push((CLOCK.to_string(), Some(encode(&Header { clock: self.clusterer.clock().clone(), next_batch: self.next_batch }))));
        let (docs, terms) = self.vocab.to_parts();
        let parts = VocabParts { docs, terms: terms.into_iter().map(|(t, d)| (t.to_string(), d)).collect() };
        out.push((VOCAB.to_string(), Some(encode(&parts))));
        out.push((GENERATION.to_string(), Some(encode(&self.generation))));
        for &k in changed {
            out.push((open_key(k), self.clusterer.open_story(k).map(encode)));
        }
        out
    }
}

pub(crate) fn enriched_key(id: &str) -> String {
    format!("{ENRICHED}{id}")
}

#[derive(Serialize, Deserialize)]
struct Facts {
    sentences: Vec<dossier_enrich::SentenceFacts>,
    entities: Vec<dossier_model::Entity>,
}

/// The state row keeping what enrichment found in an article.
pub(crate) fn enriched_row(e: &dossier_enrich::Enriched) -> (String, Option<Vec<u8>>) {
    let facts = serde_json::json!({"sentences": e.sentences, "entities": e.entities});
    (enriched_key(&e.article.id), Some(serde_json::to_vec(&facts).expect("enrichment serialises")))
}

/// These articles enriched: from the kept rows where there is one, else afresh; also
/// which ones were enriched afresh (their rows are worth keeping).
pub(crate) fn enriched_of(store: &dyn Store, articles: Vec<dossier_model::Article>) -> Result<(Vec<dossier_enrich::Enriched>, Vec<String>)> {
    let keys: Vec<String> = articles.iter().map(|a| enriched_key(&a.id)).collect();
    let kept = store.engine_state(&keys)?;
    let mut out = Vec::with_capacity(articles.len());
    let mut fresh = Vec::new();
    for (a, k) in articles.into_iter().zip(&keys) {
        match kept.get(k).and_then(|b| serde_json::from_slice::<Facts>(b).ok()) {
            Some(f) if dossier_enrich::Enriched::fits(&a.text, &f.sentences) => out.push(dossier_enrich::Enriched::kept(a, f.sentences, f.entities)),
            _ => fresh.push(a),
        }
    }
    let afresh = fresh.iter().map(|a| a.id.clone()).collect();
    out.extend(crate::analyse::enrich_all(&fresh));
    Ok((out, afresh))
}

/// Stored TF-IDF vectors of these articles (as computed when each was clustered).
pub(crate) fn vectors_of(store: &dyn Store, ids: &[String]) -> Result<HashMap<String, Vector>> {
    let keys: Vec<String> = ids.iter().map(|id| vector_key(id)).collect();
    let got = store.engine_state(&keys)?;
    let mut out = HashMap::with_capacity(got.len());
    for (k, b) in got {
        out.insert(k[VECTOR.len()..].to_string(), decode::<Vector>(&k, &b)?);
    }
    Ok(out)
}
