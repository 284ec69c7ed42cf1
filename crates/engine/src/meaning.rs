//! Meaning scores for claim alignment: computed once per sentence pair and
//! kept in the store (keyed by a hash of the scoring model and both
//! sentences), so a re-analysis needs the model only for pairs it has not
//! scored before.

use std::collections::HashMap;

use dossier_store::Store;

use crate::embedding::{Embeddings, LazyEmbedder};
use crate::error::{Error, Result};
use crate::progress::{Phase, Progress};

/// Pairs per call of the scorer: big enough for full model batches, small
/// enough that progress moves every few seconds.
const SCORE_CHUNK: usize = 512;

/// The learned sentence-pair scorer, loaded when first needed.
pub(crate) struct Meaning {
    model: String,
    /// The score at which claim alignment links two sentences: the scorer
    /// works out exact scores only for pairs that may reach it.
    link: f32,
    /// The learned combiner until the model is needed, then the loaded scorer.
    combiner: Option<dossier_similarity::Combiner>,
    similarity: Option<dossier_similarity::Similarity>,
    mode: Embeddings,
}

fn needs_model() -> Error {
    Error::Usage("aligning claims by meaning needs the embedding model (run `dossier model fetch`)".into())
}

impl Meaning {
    /// None when alignment by meaning is off: `Off`, or `Auto` without a model.
    pub(crate) fn new(mode: Embeddings, link: f32) -> Result<Option<Meaning>> {
        if mode.is_off() || mode == Embeddings::Auto && dossier_embed::locate().is_none() {
            return Ok(None);
        }
        let combiner = dossier_similarity::Combiner::bundled().map_err(|e| Error::internal_anyhow("the bundled similarity combiner", &e))?;
        // Scores below `link` are bounds, not exact: the threshold is part of what they mean.
        let model = dossier_model::stable_id(&["meaning", dossier_embed::MODEL, &combiner.to_json(), &format!("below {link} bounded")]);
        Ok(Some(Meaning { model, link, combiner: Some(combiner), similarity: None, mode }))
    }

    /// Scores of `pairs`, from the store where known; the rest scored (the
    /// scorer built on first need from `models`' plain model and parts) and stored.
    pub(crate) fn score(&mut self, store: &mut dyn Store, models: &mut LazyEmbedder, pairs: &[(&str, &str)], progress: &dyn Progress) -> Result<Vec<f32>> {
        let keys: Vec<String> = pairs.iter().map(|(a, b)| dossier_model::stable_id(&[&self.model, a, b])).collect();
        let known = store.meaning_scores(&self.model, &keys)?;
        let missing: Vec<usize> = (0..pairs.len()).filter(|&i| !known.contains_key(&keys[i])).collect();
        let mut out: Vec<f32> = keys.iter().map(|k| known.get(k).copied().unwrap_or(f32::NAN)).collect();
        if missing.is_empty() {
            return Ok(out);
        }
        if let Some(combiner) = self.combiner.take() {
            let (embedder, parts) = models.for_tuning(self.mode)?.ok_or_else(needs_model)?;
            // The blend of the trees and one tuned bi-encoder copy: two model
            // passes per distinct sentence (the features' and the copy's),
            // never per pair, so a story's cost grows with its sentences.
            // (The three copies' blend ranks held-out pairs a few
            // thousandths better for twice the passes.)
            let variant = match combiner.blend_one_bi {
                Some(_) => dossier_similarity::Variant::OneBi,
                None => dossier_similarity::Variant::WithoutCross,
            };
            let sim = dossier_similarity::Similarity::from_parts(embedder, combiner, variant, parts).map_err(|e| Error::internal_anyhow("loading the similarity model", &e))?;
            self.similarity = Some(sim);
        }
        let sim = self.similarity.as_ref().ok_or_else(needs_model)?;
        // Each distinct pair is scored once (two claims may share a sentence).
        let mut first: HashMap<&str, usize> = HashMap::new();
        let todo: Vec<usize> = missing.iter().copied().filter(|&i| first.insert(keys[i].as_str(), i).is_none()).collect();
        // In chunks, so a long scoring shows how far it got.
        progress.start(Phase::Scoring, todo.len() as u64);
        let mut scores = Vec::with_capacity(todo.len());
        for chunk in todo.chunks(SCORE_CHUNK) {
            let some: Vec<(&str, &str)> = chunk.iter().map(|&i| pairs[i]).collect();
            scores.extend(sim.score_pairs_against(&some, self.link).map_err(|e| Error::internal_anyhow("scoring sentence pairs", &e))?);
            progress.advance(chunk.len() as u64);
        }
        progress.finish();
        let rows: Vec<(String, f32)> = todo.iter().zip(&scores).map(|(&i, &s)| (keys[i].clone(), s)).collect();
        store.put_meaning_scores(&self.model, &rows)?;
        let scored: HashMap<&str, f32> = rows.iter().map(|(k, s)| (k.as_str(), *s)).collect();
        for &i in &missing {
            out[i] = scored[keys[i].as_str()];
        }
        Ok(out)
    }
}
