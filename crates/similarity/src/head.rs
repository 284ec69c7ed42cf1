//! The model's last transformer layer, run here on the first five layers'
//! states ([`dossier_embed::Embedder::load_layers`]) so that a copy of it can
//! be tuned for similarity with the CoSENT loss (the cosine of mean-pooled
//! outputs ranks pairs in the order of their human scores), only its 1.8 M
//! numbers learned. Written with plain tensor operations so candle can
//! differentiate all of it (candle's fused layer norm has no backward pass).
//!
//! An experiment, not part of the shipped scorer: on two shared cores one
//! epoch over the 3,299 training pairs takes about six minutes, and two
//! epochs lifted the plain cosine on dev from 0.723 to 0.754 — less than
//! the features and trees already gain, at the price of a model-sized
//! training run (`examples/tune.rs` reproduces it; BENCHMARKS.md).

use std::path::Path;

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

/// Tensor names of one layer (after `encoder.layer.N.`), in the order [`Layer`] keeps them.
const PARTS: [&str; 16] = [
    "attention.self.query.weight",
    "attention.self.query.bias",
    "attention.self.key.weight",
    "attention.self.key.bias",
    "attention.self.value.weight",
    "attention.self.value.bias",
    "attention.output.dense.weight",
    "attention.output.dense.bias",
    "attention.output.LayerNorm.weight",
    "attention.output.LayerNorm.bias",
    "intermediate.dense.weight",
    "intermediate.dense.bias",
    "output.dense.weight",
    "output.dense.bias",
    "output.LayerNorm.weight",
    "output.LayerNorm.bias",
];
const HEADS: usize = 12;
const EPS: f64 = 1e-12;

/// One BERT layer's weights.
#[derive(Debug, Clone)]
pub struct Layer {
    t: Vec<Tensor>,
}

impl Layer {
    /// Layer `index` (0-based) of the published model's weights file.
    pub fn from_model(weights: &Path, index: usize) -> anyhow::Result<Layer> {
        let all = candle_core::safetensors::load(weights, &Device::Cpu).with_context(|| format!("reading {}", weights.display()))?;
        let mut t = Vec::new();
        for p in PARTS {
            let name = format!("encoder.layer.{index}.{p}");
            t.push(all.get(&name).with_context(|| format!("{}: no tensor {name}", weights.display()))?.to_dtype(DType::F32)?);
        }
        Layer::checked(t)
    }

    /// A layer saved by [`Layer::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Layer> {
        let all = candle_core::safetensors::load_buffer(bytes, &Device::Cpu).context("not a safetensors file")?;
        let t = PARTS.iter().map(|p| Ok(all.get(*p).with_context(|| format!("no tensor {p}"))?.to_dtype(DType::F32)?)).collect::<anyhow::Result<Vec<_>>>()?;
        Layer::checked(t)
    }

    /// The weights as f16 safetensors.
    pub fn to_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let named: Vec<(String, Tensor)> = PARTS.iter().zip(&self.t).map(|(p, t)| Ok((p.to_string(), t.to_dtype(DType::F16)?))).collect::<anyhow::Result<_>>()?;
        let dir = std::env::temp_dir().join(format!("dossier-layer-{}-{:?}", std::process::id(), std::thread::current().id()));
        candle_core::safetensors::save(&named.into_iter().collect(), &dir)?;
        let bytes = std::fs::read(&dir)?;
        let _ = std::fs::remove_file(&dir);
        Ok(bytes)
    }

    fn checked(t: Vec<Tensor>) -> anyhow::Result<Layer> {
        let d = t[0].dim(0)?;
        let inner = t[10].dim(0)?;
        let want: [&[usize]; 16] = [&[d, d], &[d], &[d, d], &[d], &[d, d], &[d], &[d, d], &[d], &[d], &[d], &[inner, d], &[inner], &[d, inner], &[d], &[d], &[d]];
        for ((p, x), w) in PARTS.iter().zip(&t).zip(want) {
            if x.dims() != w {
                bail!("{p}: shape {:?}, expected {w:?}", x.dims());
            }
        }
        if d % HEADS != 0 {
            bail!("hidden size {d} is not a multiple of {HEADS} heads");
        }
        Ok(Layer { t })
    }

    /// Runs the layer on states `(batch, tokens, dim)` whose real tokens are
    /// marked 1 in `mask` `(batch, tokens)` (padding 0).
    pub fn forward(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, n, d) = x.dims3()?;
        let hd = d / HEADS;
        let w = &self.t;
        let lin = |x: &Tensor, wi: usize| -> candle_core::Result<Tensor> {
            let (b, n, k) = x.dims3()?;
            x.reshape((b * n, k))?.matmul(&w[wi].t()?)?.broadcast_add(&w[wi + 1])?.reshape((b, n, ()))
        };
        let split = |x: Tensor| x.reshape((b, n, HEADS, hd))?.transpose(1, 2)?.contiguous();
        let q = split(lin(x, 0)?)?;
        let k = split(lin(x, 2)?)?;
        let v = split(lin(x, 4)?)?;
        let scores = (q.matmul(&k.t()?.contiguous()?)? / (hd as f64).sqrt())?;
        let pad = ((mask.to_dtype(DType::F32)? - 1.0)? * 10000.0)?.reshape((b, 1, 1, n))?;
        let probs = candle_nn::ops::softmax(&scores.broadcast_add(&pad)?, D::Minus1)?;
        let ctx = probs.matmul(&v)?.transpose(1, 2)?.contiguous()?.reshape((b, n, d))?;
        let a = layer_norm(&(lin(&ctx, 6)? + x)?, &w[8], &w[9])?;
        let i = lin(&a, 10)?.gelu_erf()?;
        layer_norm(&(lin(&i, 12)? + &a)?, &w[14], &w[15])
    }

    /// Mean-pooled, unit-length sentence vectors `(batch, dim)` and the unit-length token states
    /// `(batch, tokens, dim)` for a batch of states.
    pub fn pooled(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let h = self.forward(x, mask)?;
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let mean = h.broadcast_mul(&m)?.sum(1)?.broadcast_div(&m.sum(1)?.clamp(1e-9, f64::MAX)?)?;
        Ok((unit_rows(&mean)?, unit_rows(&h)?))
    }
}

fn layer_norm(x: &Tensor, w: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    let mean = x.mean_keepdim(D::Minus1)?;
    let c = x.broadcast_sub(&mean)?;
    let var = c.sqr()?.mean_keepdim(D::Minus1)?;
    c.broadcast_div(&(var + EPS)?.sqrt()?)?.broadcast_mul(w)?.broadcast_add(b)
}

fn unit_rows(x: &Tensor) -> candle_core::Result<Tensor> {
    x.broadcast_div(&x.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?.clamp(1e-9, f64::MAX)?)
}

/// Stacks per-sentence states `(tokens, dim)` into a zero-padded batch and its mask.
pub fn batch(states: &[&Tensor]) -> candle_core::Result<(Tensor, Tensor)> {
    let n = states.iter().map(|s| s.dim(0)).collect::<candle_core::Result<Vec<_>>>()?;
    let width = n.iter().copied().max().unwrap_or(1).max(1);
    let padded = states.iter().zip(&n).map(|(s, &k)| if k < width { s.pad_with_zeros(0, 0, width - k) } else { Ok((*s).clone()) }).collect::<candle_core::Result<Vec<_>>>()?;
    let mask: Vec<f32> = n.iter().flat_map(|&k| (0..width).map(move |i| if i < k { 1.0 } else { 0.0 })).collect();
    Ok((Tensor::stack(&padded, 0)?, Tensor::from_vec(mask, (states.len(), width), &Device::Cpu)?))
}

/// Tuning settings.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tuning {
    pub epochs: usize,
    /// Pairs per step.
    pub batch: usize,
    pub rate: f64,
    /// CoSENT's scale on cosine differences.
    pub scale: f64,
    pub seed: u64,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning { epochs: 3, batch: 32, rate: 5e-5, scale: 20.0, seed: 11 }
    }
}

/// Tunes a copy of `layer` so that the cosine of its pooled outputs ranks the
/// pairs (`(sentence, sentence, score)`, indices into `states`) as their
/// scores do: the CoSENT loss, AdamW, pairs shuffled each epoch.
/// `each_epoch` hears the epoch (from 1), its mean loss and the layer so far.
pub fn tune(layer: &Layer, states: &[Tensor], pairs: &[(usize, usize, f32)], p: &Tuning, mut each_epoch: impl FnMut(usize, f64, &Layer)) -> anyhow::Result<Layer> {
    let vars: Vec<Var> = layer.t.iter().map(Var::from_tensor).collect::<candle_core::Result<_>>()?;
    let live = Layer { t: vars.iter().map(|v| v.as_tensor().clone()).collect() };
    let mut opt = AdamW::new(vars.clone(), ParamsAdamW { lr: p.rate, weight_decay: 0.01, ..Default::default() })?;
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    let mut state = p.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for epoch in 0..p.epochs {
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let (mut total, mut steps) = (0.0, 0);
        for chunk in order.chunks(p.batch.max(2)) {
            // Each distinct sentence of the step once.
            let mut ids: Vec<usize> = chunk.iter().flat_map(|&k| [pairs[k].0, pairs[k].1]).collect();
            ids.sort_unstable();
            ids.dedup();
            let pos = |s: usize| ids.binary_search(&s).expect("in the step") as u32;
            let (x, mask) = batch(&ids.iter().map(|&i| &states[i]).collect::<Vec<_>>())?;
            let (v, _) = live.pooled(&x, &mask)?;
            let ia = Tensor::from_vec(chunk.iter().map(|&k| pos(pairs[k].0)).collect::<Vec<u32>>(), chunk.len(), &Device::Cpu)?;
            let ib = Tensor::from_vec(chunk.iter().map(|&k| pos(pairs[k].1)).collect::<Vec<u32>>(), chunk.len(), &Device::Cpu)?;
            let cos = (v.index_select(&ia, 0)? * v.index_select(&ib, 0)?)?.sum(1)?; // (pairs)
            // CoSENT: log(1 + sum over (i, j) with y_i > y_j of exp(scale * (cos_j - cos_i))).
            let y: Vec<f32> = chunk.iter().map(|&k| pairs[k].2).collect();
            let m = chunk.len();
            let above: Vec<f32> = (0..m * m).map(|k| if y[k / m] > y[k % m] { 1.0 } else { 0.0 }).collect();
            let above = Tensor::from_vec(above, (m, m), &Device::Cpu)?;
            let diff = cos.unsqueeze(0)?.broadcast_sub(&cos.unsqueeze(1)?)?; // [i][j] = cos_j - cos_i
            let loss = ((diff * p.scale)?.exp()? * above)?.sum_all()?.affine(1.0, 1.0)?.log()?;
            total += loss.to_scalar::<f32>()? as f64;
            steps += 1;
            opt.backward_step(&loss)?;
        }
        each_epoch(epoch + 1, total / steps.max(1) as f64, &live);
    }
    Ok(Layer { t: vars.iter().map(|v| v.as_tensor().copy()).collect::<candle_core::Result<_>>()? })
}
