//! The tuned bi-encoder: all-MiniLM-L6-v2 with a low-rank update to its
//! weights (tuned in full, then cut to rank 32) so that the cosine of two
//! sentences' vectors ranks pairs as people score them (CoSENT loss on the
//! STS Benchmark's news training pairs). Each sentence is read alone, once,
//! so it costs one model pass per sentence rather than per pair; it errs
//! differently from the cross-encoder ([`crate::cross`]) and the features'
//! trees, which is why the three are blended.
//!
//! The adapters (`model/bi-adapter-SEED.safetensors`, made by
//! `scripts/tune_similarity.py --kind bi --full`) have the cross-encoder's
//! layout without the head (factors in half precision); [`BiEncoder::load`]
//! merges each into its own copy of the published weights, and the score is
//! the mean over the copies.

use std::path::Path;

use anyhow::{bail, Context};
use dossier_embed::{Embedder, ModelParts, Precision};

/// Format tag in the adapter's metadata.
pub const FORMAT: &str = "dossier-bi-adapter/1";

/// The shipped adapters: the same tuning run with three seeds.
pub const BUNDLED: [&[u8]; 3] = [include_bytes!("../model/bi-adapter-7.safetensors"), include_bytes!("../model/bi-adapter-8.safetensors"), include_bytes!("../model/bi-adapter-9.safetensors")];

/// One tuned copy of the embedding model per adapter.
pub struct BiEncoder {
    members: Vec<Embedder>,
}

impl BiEncoder {
    /// The published model in `model_dir` with the bundled adapters.
    pub fn load(model_dir: &Path) -> anyhow::Result<BiEncoder> {
        BiEncoder::bundled(&ModelParts::read(model_dir)?)
    }

    /// The model read into `parts` with the bundled adapters.
    pub fn bundled(parts: &ModelParts) -> anyhow::Result<BiEncoder> {
        BiEncoder::from_parts(parts, &BUNDLED).context("the bundled bi-encoder adapters (crates/similarity/model/bi-adapter-*.safetensors)")
    }

    /// The model read into `parts` with the first bundled adapter alone (seed
    /// 7): the copy `Combiner::blend_one_bi` was weighed with.
    pub fn first(parts: &ModelParts) -> anyhow::Result<BiEncoder> {
        BiEncoder::from_parts(parts, &BUNDLED[..1]).context("the first bundled bi-encoder adapter (crates/similarity/model/bi-adapter-7.safetensors)")
    }

    /// One tuned copy of the model read into `parts` per adapter file
    /// (bytes), in the embedder's default arithmetic ([`Precision::from_env`]).
    pub fn from_parts(parts: &ModelParts, adapters: &[&[u8]]) -> anyhow::Result<BiEncoder> {
        BiEncoder::from_parts_in(parts, adapters, Precision::from_env())
    }

    /// As [`BiEncoder::from_parts`], in the given arithmetic.
    pub fn from_parts_in(parts: &ModelParts, adapters: &[&[u8]], precision: Precision) -> anyhow::Result<BiEncoder> {
        let mut members = Vec::with_capacity(adapters.len());
        for (n, (tensors, head)) in crate::cross::merged(parts, adapters, FORMAT)?.into_iter().enumerate() {
            if head.is_some() {
                bail!("adapter {} of {}: has a cross-encoder's head; a bi-encoder adapter has none", n + 1, adapters.len());
            }
            members.push(Embedder::from_parts_in(parts, tensors, precision)?);
        }
        Ok(BiEncoder { members })
    }

    /// For each pair, the cosine of its sentences' tuned vectors (below 0
    /// counts as 0) times 5, averaged over the tuned copies. Each distinct
    /// sentence is embedded once per copy.
    pub fn score_pairs(&self, pairs: &[(&str, &str)]) -> anyhow::Result<Vec<f32>> {
        let (texts, index) = crate::distinct(pairs);
        tracing::debug!(pairs = pairs.len(), sentences = texts.len(), "bi-encoder pass");
        let mut out = vec![0f32; pairs.len()];
        for m in &self.members {
            let v = m.embed(&texts)?;
            for (o, &(i, j)) in out.iter_mut().zip(&index) {
                *o += dossier_embed::dot(&v[i], &v[j]).clamp(0.0, 1.0) * crate::MAX_SCORE / self.members.len() as f32;
            }
        }
        Ok(out)
    }
}
