//! A search index kept in step with a store from the outside: for a
//! PostgreSQL store that scale-out workers fill (they keep no index), the
//! server keeps its own in a local folder.
//!
//! What an article's document holds depends on its content (title, text,
//! outlet, date, and the entities enrichment finds in it) and on the analysis
//! (its story, the statuses of the claims it carries). A refresh reads, in one
//! snapshot, every article's content hash and the analysis, and gives each
//! article a key of its content hash, story and statuses; only articles whose
//! key changed are read whole, enriched and rewritten, and vanished ones are
//! deleted. The keys are kept beside the index (`dossier-follow.json`), so a
//! restarted server rewrites only what changed while it was away.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use dossier_search::{IndexDoc, SearchIndex};
use dossier_store::Store;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The index being kept, and the key of every article it holds.
pub struct Follower {
    index: SearchIndex,
    keys: HashMap<String, String>,
}

/// What one refresh did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    /// Articles read whole and (re)written or found unchanged by the index.
    pub read: usize,
    /// Documents written or deleted.
    pub changed: usize,
    /// Articles in the store.
    pub articles: usize,
}

/// Articles read whole at a time.
const CHUNK: usize = 256;

impl Follower {
    /// Opens (creating if needed) the index in `dir` and the keys kept beside it.
    pub fn open(dir: &Path) -> Result<Follower, Error> {
        let index = SearchIndex::open(dir)?;
        let keys = std::fs::read(keys_path(dir)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        Ok(Follower { index, keys })
    }

    /// Empties the index (the next [`refresh`](Self::refresh) writes every article).
    pub fn clear(&mut self) -> Result<(), Error> {
        self.index.rebuild(&[])?;
        self.keys.clear();
        self.save_keys()?;
        Ok(())
    }

    pub fn index_dir(&self) -> &Path {
        self.index.dir()
    }

    fn save_keys(&self) -> Result<(), Error> {
        let path = keys_path(self.index.dir());
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec(&self.keys)?)?;
        std::fs::rename(&tmp, &path)?;
        Ok(())
    }

    /// Brings the index up to date with `store`; `progress` hears (done, of) as articles are read.
    pub fn refresh(&mut self, store: &dyn Store, progress: &mut dyn FnMut(usize, usize)) -> Result<Refreshed, Error> {
        // One snapshot: the hashes and the analysis agree with each other.
        let (hashes, story_of, statuses) = dossier_store::snapshot(store, |s| {
            let hashes = s.article_hashes()?;
            let mut story_of: HashMap<String, String> = HashMap::new();
            let mut statuses: HashMap<String, BTreeSet<String>> = HashMap::new();
            for st in s.stories()? {
                for c in s.aligned_claims(&st.id)? {
                    let status = serde_json::to_value(c.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                    for m in c.members {
                        statuses.entry(m.article_id).or_default().insert(status.clone());
                    }
                }
                for a in st.article_ids {
                    story_of.insert(a, st.id.clone());
                }
            }
            Ok((hashes, story_of, statuses))
        })?;
        let key = |id: &str, hash: &str| -> String {
            let mut parts: Vec<&str> = vec![hash, story_of.get(id).map_or("", String::as_str)];
            parts.extend(statuses.get(id).into_iter().flatten().map(String::as_str));
            dossier_model::stable_id(&parts)
        };
        let stale: Vec<&str> = hashes.iter().filter(|(id, hash)| self.keys.get(id) != Some(&key(id, hash))).map(|(id, _)| id.as_str()).collect();
        let present: std::collections::HashSet<&str> = hashes.iter().map(|(id, _)| id.as_str()).collect();
        let gone: Vec<String> = self.keys.keys().filter(|id| !present.contains(id.as_str())).cloned().collect();
        let mut out = Refreshed { articles: hashes.len(), ..Default::default() };
        for chunk in stale.chunks(CHUNK) {
            let mut docs = Vec::with_capacity(chunk.len());
            let mut keys = Vec::with_capacity(chunk.len());
            for id in chunk {
                // Revised or removed since the snapshot: the next refresh sees it.
                let Some(a) = store.article(id)? else { continue };
                let id = a.id.clone();
                keys.push((id.clone(), key(&id, &dossier_store::content_hash(&a))));
                let entities = dossier_enrich::enrich(&a).entities.into_iter().map(|e| e.name).collect();
                let published = a.time();
                docs.push(IndexDoc {
                    title: a.title,
                    body: a.text,
                    outlet: a.outlet.name,
                    language: a.language,
                    published,
                    entities,
                    statuses: statuses.get(&id).into_iter().flatten().cloned().collect(),
                    story: story_of.get(&id).cloned(),
                    vector: None,
                    id,
                });
            }
            // The workers' stored sentence vectors, for the vector and hybrid searches.
            let ids: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
            let mut vectors = store.embeddings_of(dossier_embed::MODEL, &ids)?;
            for d in &mut docs {
                d.vector = vectors.remove(&d.id).and_then(|(_, bytes)| dossier_embed::from_bytes(&bytes).ok());
            }
            out.read += docs.len();
            out.changed += self.index.apply(&docs, &[])?;
            self.keys.extend(keys);
            self.save_keys()?;
            progress(out.read, stale.len());
        }
        if !gone.is_empty() {
            out.changed += self.index.apply(&[], &gone)?;
            for id in &gone {
                self.keys.remove(id);
            }
            self.save_keys()?;
        }
        Ok(out)
    }
}

fn keys_path(dir: &Path) -> PathBuf {
    dir.join("dossier-follow.json")
}
