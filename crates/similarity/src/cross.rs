//! The cross-encoder: all-MiniLM-L6-v2 reading both sentences at once
//! (`[CLS] a [SEP] b [SEP]`), so every layer can compare their words, with a
//! linear head on the mean of the last layer's states (sigmoid, times 5).
//!
//! What tuning learned ships as low-rank adapters
//! (`model/cross-adapter-SEED.safetensors`, made by `scripts/tune_similarity.py`
//! on the STS Benchmark's news training pairs, one per seed): for every linear map of the
//! six layers two thin matrices `A` (rank × in) and `B` (out × rank) whose
//! product is added to the published weight, new layer norms, and the head.
//! [`CrossEncoder::load`] merges each into its own copy of the published
//! weights once, so scoring costs one plain BERT pass per pair, order and copy.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor};
use candle_transformers::models::bert::BertModel;
use dossier_embed::ModelParts;
use tokenizers::Tokenizer;

/// Format tag in the adapter's metadata.
pub const FORMAT: &str = "dossier-cross-adapter/1";
/// Pairs per forward pass at most, and padded wordpieces per pass at most.
const BATCH: usize = 32;
const BATCH_TOKENS: usize = 4096;

/// The shipped adapters: the same tuning run with three seeds; the
/// cross-encoder's score is the mean of the three models' (an ensemble
/// differs less from the truth than any one, as their errors only partly agree:
/// cross-validated on the training pairs, one copy ranks them at 0.824, three at 0.834).
pub const BUNDLED: [&[u8]; 3] =
    [include_bytes!("../model/cross-adapter-7.safetensors"), include_bytes!("../model/cross-adapter-8.safetensors"), include_bytes!("../model/cross-adapter-9.safetensors")];

/// The tuned cross-encoder: one or more tuned copies of the model, whose scores are averaged.
pub struct CrossEncoder {
    members: Vec<Member>,
    tokenizer: Tokenizer,
}

struct Member {
    model: BertModel,
    head_w: Tensor,
    head_b: f32,
}

impl CrossEncoder {
    /// The published model in `model_dir` (see [`dossier_embed::locate`]) with the bundled adapters.
    pub fn load(model_dir: &Path) -> anyhow::Result<CrossEncoder> {
        CrossEncoder::bundled(&ModelParts::read(model_dir)?)
    }

    /// The model read into `parts` with the bundled adapters.
    pub fn bundled(parts: &ModelParts) -> anyhow::Result<CrossEncoder> {
        CrossEncoder::from_parts(parts, &BUNDLED).context("the bundled cross-encoder adapters (crates/similarity/model/cross-adapter-*.safetensors)")
    }

    /// The published model with one adapter file's bytes merged in.
    pub fn with_adapter(model_dir: &Path, adapter: &[u8]) -> anyhow::Result<CrossEncoder> {
        CrossEncoder::with_adapters(model_dir, &[adapter])
    }

    /// One tuned copy of the published model per adapter file (bytes).
    pub fn with_adapters(model_dir: &Path, adapters: &[&[u8]]) -> anyhow::Result<CrossEncoder> {
        CrossEncoder::from_parts(&ModelParts::read(model_dir)?, adapters)
    }

    /// One tuned copy of the model read into `parts` per adapter file (bytes).
    pub fn from_parts(parts: &ModelParts, adapters: &[&[u8]]) -> anyhow::Result<CrossEncoder> {
        let mut members = Vec::with_capacity(adapters.len());
        for (n, (tensors, head)) in merged(parts, adapters, FORMAT)?.into_iter().enumerate() {
            let (head_w, head_b) = head.with_context(|| format!("adapter {} of {}: the adapter has no head", n + 1, adapters.len()))?;
            members.push(Member { model: parts.model(tensors)?, head_w, head_b });
        }
        Ok(CrossEncoder { members, tokenizer: parts.tokenizer.clone() })
    }

    /// How much `a` and `b` state the same thing, 0..=5, for each pair: the
    /// mean of the scores for both orders (the model reads "a then b"
    /// differently from "b then a") and over the tuned copies.
    pub fn score_pairs(&self, pairs: &[(&str, &str)]) -> anyhow::Result<Vec<f32>> {
        let both: Vec<(&str, &str)> = pairs.iter().flat_map(|&(a, b)| [(a, b), (b, a)]).collect();
        let enc = self.tokenizer.encode_batch(both.iter().map(|&(a, b)| (a, b)).collect::<Vec<_>>(), true).map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
        let mut order: Vec<usize> = (0..enc.len()).collect();
        order.sort_by_key(|&i| (enc[i].get_ids().len(), i));
        let mut raw = vec![0f32; enc.len()];
        let mut start = 0;
        while start < order.len() {
            let mut end = start + 1;
            while end < order.len() && end - start < BATCH && (end - start + 1) * enc[order[end]].get_ids().len() <= BATCH_TOKENS {
                end += 1;
            }
            let batch: Vec<&tokenizers::Encoding> = order[start..end].iter().map(|&i| &enc[i]).collect();
            let (ids, types, mask) = inputs(&batch)?;
            for m in &self.members {
                for (&i, s) in order[start..end].iter().zip(m.forward(&ids, &types, &mask)?) {
                    raw[i] += s / self.members.len() as f32;
                }
            }
            start = end;
        }
        Ok(raw.chunks(2).map(|s| (s[0] + s[1]) / 2.0 * crate::MAX_SCORE).collect())
    }
}

/// Ids, type ids and mask `(pairs, longest)` for a batch of encoded pairs, zero-padded.
fn inputs(batch: &[&tokenizers::Encoding]) -> anyhow::Result<(Tensor, Tensor, Tensor)> {
    let width = batch.iter().map(|e| e.get_ids().len()).max().unwrap_or(0).max(1);
    let (mut ids, mut types, mut mask) = (Vec::new(), Vec::new(), Vec::new());
    for e in batch {
        let n = e.get_ids().len();
        ids.extend_from_slice(e.get_ids());
        types.extend_from_slice(e.get_type_ids());
        mask.extend(std::iter::repeat_n(1u32, n));
        for v in [&mut ids, &mut types, &mut mask] {
            v.extend(std::iter::repeat_n(0u32, width - n));
        }
    }
    let shape = (batch.len(), width);
    Ok((Tensor::from_vec(ids, shape, &Device::Cpu)?, Tensor::from_vec(types, shape, &Device::Cpu)?, Tensor::from_vec(mask, shape, &Device::Cpu)?))
}

impl Member {
    /// Sigmoid of the head's output for each pair of a batch.
    fn forward(&self, ids: &Tensor, types: &Tensor, mask: &Tensor) -> anyhow::Result<Vec<f32>> {
        let hidden = self.model.forward(ids, types, Some(mask))?;
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let mean = hidden.broadcast_mul(&m)?.sum(1)?.broadcast_div(&m.sum(1)?.clamp(1e-9, f64::MAX)?)?;
        let logits: Vec<f32> = mean.matmul(&self.head_w.t()?)?.squeeze(1)?.to_vec1()?;
        Ok(logits.into_iter().map(|z| 1.0 / (1.0 + (-(z + self.head_b)).exp())).collect())
    }
}

/// One tuned copy's weights by name, and its head (weights, bias) where the adapter has one.
pub(crate) type TunedCopy = (HashMap<String, Tensor>, Option<(Tensor, f32)>);

/// The weights of one tuned copy of `parts`' model per adapter (bytes; at
/// least one), and each adapter's head where it has one. Tensors an adapter
/// does not change are shared between the copies, not copied.
pub(crate) fn merged(parts: &ModelParts, adapters: &[&[u8]], format: &str) -> anyhow::Result<Vec<TunedCopy>> {
    if adapters.is_empty() {
        bail!("a tuned model needs at least one adapter");
    }
    adapters
        .iter()
        .enumerate()
        .map(|(n, adapter)| {
            let mut tensors = parts.tensors.clone();
            let head = merge(&mut tensors, adapter, parts.layers, format).with_context(|| format!("adapter {} of {}", n + 1, adapters.len()))?;
            Ok((tensors, head))
        })
        .collect()
}

/// Adds the adapter's low-rank updates to `base`'s weights
/// ([`dossier_embed::adapter::merge`]); returns its head (weight `(1, dim)`,
/// bias) where it has one. `format` is the tag its metadata must carry.
fn merge(base: &mut HashMap<String, Tensor>, adapter: &[u8], layers: usize, format: &str) -> anyhow::Result<Option<(Tensor, f32)>> {
    let mut rest = dossier_embed::adapter::merge(base, adapter, layers, format)?;
    let head = match (rest.remove("head.weight"), rest.remove("head.bias")) {
        (None, None) => None,
        (Some(w), Some(b)) => {
            if w.dims() != [1, dossier_embed::DIM] || b.dims() != [1] {
                bail!("head shapes {:?} and {:?}, expected [1, {}] and [1]", w.dims(), b.dims(), dossier_embed::DIM);
            }
            let bias = b.to_vec1::<f32>()?[0];
            if !w.flatten_all()?.to_vec1::<f32>()?.iter().all(|x| x.is_finite()) || !bias.is_finite() {
                bail!("the head's weights are not finite");
            }
            Some((w, bias))
        }
        _ => bail!("the adapter's head is partial (head.weight and head.bias go together)"),
    };
    dossier_embed::adapter::nothing_left(&rest)?;
    Ok(head)
}
