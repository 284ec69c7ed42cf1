//! Sentence embeddings of articles: computed once per article (from its title
//! and lead) and kept in the store beside the hash of the text they came from.

use std::collections::HashMap;

use dossier_embed::{Embedder, ModelParts};
use dossier_enrich::Enriched;
use dossier_store::Store;

use crate::error::{Error, Result};
use crate::progress::{Phase, Progress};

/// Whether to use the sentence-embedding model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Embeddings {
    /// Use the model when it is installed; the lexical path when not.
    #[default]
    Auto,
    /// Insist on the model: without one, analysing is an error.
    On,
    /// Never load it.
    Off,
}

impl Embeddings {
    pub fn is_off(self) -> bool {
        self == Embeddings::Off
    }

    /// The model to use, if any: `Auto` uses an installed model and runs the
    /// lexical path without one; `On` fails without one.
    pub fn load(self) -> Result<Option<Embedder>> {
        Ok(self.load_parts()?.map(|(_, e)| e))
    }

    /// As [`Embeddings::load`], with the model folder's parts the model was
    /// built from (the scorer builds its tuned copy from the same parts).
    pub(crate) fn load_parts(self) -> Result<Option<(ModelParts, Embedder)>> {
        match (self, dossier_embed::locate()) {
            (Embeddings::Off, _) => Ok(None),
            (_, Some(dir)) => {
                let loaded = ModelParts::read(&dir).and_then(|parts| Ok((Embedder::from_parts(&parts, parts.tensors.clone())?, parts)));
                let (embedder, parts) = loaded.map_err(|e| Error::internal_anyhow(format!("loading the embedding model from {}", dir.display()), &e))?;
                Ok(Some((parts, embedder)))
            }
            (Embeddings::On, None) => Err(Error::Usage("--embeddings on: no model installed (run `dossier model fetch`, or point $DOSSIER_MODEL at it)".into())),
            (Embeddings::Auto, None) => Ok(None),
        }
    }

    /// Whether the model will be used (installed and not off).
    pub fn active(self) -> bool {
        !self.is_off() && dossier_embed::locate().is_some()
    }
}

/// The hash stored beside an embedding: of the model and the text it was computed from.
pub fn embedding_key(text: &str) -> String {
    dossier_model::stable_id(&[dossier_embed::MODEL, text])
}

/// The model, loaded on first use and kept.
#[derive(Default)]
pub(crate) struct LazyEmbedder {
    loaded: Option<Option<Embedder>>,
    /// The model folder's parts it was built from, kept until the meaning
    /// scorer builds its tuned copy from them: the folder is read and the
    /// plain model built once per process, not once per user.
    parts: Option<ModelParts>,
}

impl LazyEmbedder {
    pub(crate) fn get(&mut self, mode: Embeddings) -> Result<Option<&Embedder>> {
        if self.loaded.is_none() {
            let (parts, embedder) = mode.load_parts()?.unzip();
            (self.parts, self.loaded) = (parts, Some(embedder));
        }
        Ok(self.loaded.as_ref().and_then(|o| o.as_ref()))
    }

    /// The plain model (shared) and the folder's parts, handed over once for
    /// building a tuned copy (read again if they were handed over before).
    pub(crate) fn for_tuning(&mut self, mode: Embeddings) -> Result<Option<(Embedder, ModelParts)>> {
        let Some(embedder) = self.get(mode)?.cloned() else { return Ok(None) };
        let parts = match self.parts.take() {
            Some(p) => p,
            None => match dossier_embed::locate() {
                Some(dir) => ModelParts::read(&dir).map_err(|e| Error::internal_anyhow(format!("loading the embedding model from {}", dir.display()), &e))?,
                None => return Ok(None),
            },
        };
        Ok(Some((embedder, parts)))
    }
}

/// Embeddings of these articles, or none at all: stored ones whose text is
/// unchanged are reused, the rest computed and stored. Without the model
/// (`Off`, or `Auto` with none installed) every article goes without, so the
/// result never depends on what happened to be computed before.
pub(crate) fn embeddings_of(store: &mut dyn Store, docs: &[&Enriched], mode: Embeddings, model: &mut LazyEmbedder, progress: &dyn Progress) -> Result<Vec<Option<Vec<f32>>>> {
    if mode.is_off() || docs.is_empty() || !mode.active() && mode == Embeddings::Auto {
        if mode == Embeddings::On {
            model.get(mode)?;
        }
        return Ok(vec![None; docs.len()]);
    }
    let texts: Vec<String> = docs.iter().map(|e| dossier_stories::embedding_text(e)).collect();
    let hashes: Vec<String> = texts.iter().map(|t| embedding_key(t)).collect();
    let ids: Vec<String> = docs.iter().map(|e| e.article.id.clone()).collect();
    let mut stored: HashMap<String, (String, Vec<u8>)> = store.embeddings_of(dossier_embed::MODEL, &ids)?;
    let mut out: Vec<Option<Vec<f32>>> = Vec::with_capacity(docs.len());
    let mut missing = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        match stored.remove(id) {
            Some((h, bytes)) if h == hashes[i] => out.push(Some(dossier_embed::from_bytes(&bytes).map_err(|e| Error::internal_anyhow(format!("stored embedding of {id}"), &e))?)),
            _ => {
                out.push(None);
                missing.push(i);
            }
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let Some(embedder) = model.get(mode)? else { return Ok(vec![None; docs.len()]) };
    progress.start(Phase::Embedding, missing.len() as u64);
    for chunk in missing.chunks(256) {
        let refs: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
        let vectors = embedder.embed(&refs).map_err(|e| Error::internal_anyhow("embedding articles", &e))?;
        let rows: Vec<(String, String, Vec<u8>)> = chunk.iter().zip(&vectors).map(|(&i, v)| (ids[i].clone(), hashes[i].clone(), dossier_embed::to_bytes(v))).collect();
        // Stored as they are made: an interrupted run keeps what it computed.
        store.put_embeddings(dossier_embed::MODEL, &rows)?;
        for (&i, v) in chunk.iter().zip(vectors) {
            out[i] = Some(v);
        }
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    Ok(out)
}
