//! The BERT encoder's forward pass on the CPU, written for this model's size.
//!
//! candle's general `BertModel` pads every batch to its longest text, splits
//! the heads with copies, and runs the exact GELU's `erf` and softmax's `exp`
//! one number at a time; on two cores that held all-MiniLM-L6-v2 to about
//! 1,500 wordpieces a second, a fifth of it in those two functions. Here the
//! texts of a group are laid end to end as one matrix (no padding: the
//! linear maps do not care where a text ends, and attention is worked out
//! text by text), the linear maps are one `gemm` call each with the bias and
//! the residual already in the output, and `erf` and `exp` are polynomials
//! the compiler vectorises (checked against the exact ones below: under 1e-6
//! apart). Groups of texts run on all cores. In f32 the numbers are the
//! published model's: the tests hold the output to candle's within float
//! rounding. On processors with AVX-512 VNNI the linear maps run in int8
//! instead ([`crate::int8`]), about twice as fast end to end.

use std::collections::HashMap;

use anyhow::{bail, Context};
use candle_core::{DType, Tensor};
use gemm::{gemm, Parallelism};
use rayon::prelude::*;

/// Wordpieces per group: a group's matrices (its 1,536-wide middle layer
/// above all) stay in the cache's reach, and there are enough groups to keep
/// every core busy on a few hundred sentences.
pub(crate) const GROUP_TOKENS: usize = 1024;

/// A linear map `x · w + b`, the weight stored input-major (`in × out`).
struct Linear {
    w: Vec<f32>,
    b: Vec<f32>,
    inp: usize,
    out: usize,
    /// The weight in int8 for the AVX-512 VNNI kernels, where the processor has them.
    packed: Option<crate::int8::Packed>,
}

impl Linear {
    /// The map from PyTorch's layout (`w` output-major, `out × inp`): in
    /// int8 where asked and the processor can (`input` is the layer norm
    /// whose output the map reads, if any), else turned input-major for f32
    /// `gemm`. The int8 weight is packed straight from PyTorch's layout, and
    /// no f32 copy of it is kept.
    fn from_pytorch(w: Vec<f32>, b: Vec<f32>, inp: usize, out: usize, int8: bool, input: Option<&Norm>) -> Linear {
        if int8 {
            let size: Option<Vec<f32>> = input.map(|n| n.w.iter().zip(&n.b).map(|(g, b)| 3.0 * g.abs() + b.abs()).collect());
            if let Some(packed) = crate::int8::Packed::new(&w, inp, out, size.as_deref()) {
                return Linear { w: Vec::new(), b, inp, out, packed: Some(packed) };
            }
        }
        let mut wt = vec![0f32; inp * out];
        for (o, row) in w.chunks_exact(inp).enumerate() {
            for (i, &v) in row.iter().enumerate() {
                wt[i * out + o] = v;
            }
        }
        Linear { w: wt, b, inp, out, packed: None }
    }
}

#[derive(Clone)]
struct Norm {
    w: Vec<f32>,
    b: Vec<f32>,
}

struct Layer {
    /// Query, key and value side by side (`dim × 3·dim`), one pass for all three.
    qkv: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    up: Linear,
    down: Linear,
    out_norm: Norm,
}

/// The published weights, laid out for the forward pass.
pub(crate) struct Encoder {
    word: Vec<f32>,
    position: Vec<f32>,
    /// Token type 0's row: every text here is a single segment.
    segment: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<Layer>,
    dim: usize,
    heads: usize,
    max_positions: usize,
    eps: f32,
}

fn tensor(t: &HashMap<String, Tensor>, key: &str, dims: &[usize]) -> anyhow::Result<Vec<f32>> {
    let v = t.get(key).with_context(|| format!("the model has no tensor {key}"))?;
    if v.dims() != dims {
        bail!("{key}: shape {:?}, expected {dims:?}", v.dims());
    }
    Ok(v.to_dtype(DType::F32)?.flatten_all()?.to_vec1()?)
}

/// PyTorch linear layers of one input (`out × in` weights), their outputs
/// side by side (query, key and value make one map): the weights' rows and
/// the biases end to end.
fn linear(t: &HashMap<String, Tensor>, prefixes: &[String], inp: usize, out: usize, int8: bool, input: Option<&Norm>) -> anyhow::Result<Linear> {
    let (mut w, mut b) = (Vec::with_capacity(prefixes.len() * out * inp), Vec::with_capacity(prefixes.len() * out));
    for p in prefixes {
        w.extend(tensor(t, &format!("{p}.weight"), &[out, inp])?);
        b.extend(tensor(t, &format!("{p}.bias"), &[out])?);
    }
    Ok(Linear::from_pytorch(w, b, inp, prefixes.len() * out, int8, input))
}

fn norm(t: &HashMap<String, Tensor>, prefix: &str, dim: usize) -> anyhow::Result<Norm> {
    Ok(Norm { w: tensor(t, &format!("{prefix}.weight"), &[dim])?, b: tensor(t, &format!("{prefix}.bias"), &[dim])? })
}

impl Encoder {
    /// The encoder from a BERT checkpoint's tensors (names as published, with
    /// or without a `bert.` prefix) and its config.
    /// With `int8`, the linear maps run in 8-bit integers where the
    /// processor has AVX-512 VNNI ([`crate::int8`]), in f32 elsewhere.
    pub(crate) fn new(t: &HashMap<String, Tensor>, config: &candle_transformers::models::bert::Config, layers: usize, int8: bool) -> anyhow::Result<Encoder> {
        let unprefixed;
        let t = if t.contains_key("bert.embeddings.word_embeddings.weight") {
            unprefixed = t.iter().filter_map(|(k, v)| k.strip_prefix("bert.").map(|k| (k.to_string(), v.clone()))).collect::<HashMap<_, _>>();
            &unprefixed
        } else {
            t
        };
        let (dim, inter, heads) = (config.hidden_size, config.intermediate_size, config.num_attention_heads);
        if heads == 0 || dim % heads != 0 {
            bail!("hidden size {dim} does not split into {heads} heads");
        }
        let vocab = config.vocab_size;
        let segments = tensor(t, "embeddings.token_type_embeddings.weight", &[config.type_vocab_size, dim])?;
        let emb_norm = norm(t, "embeddings.LayerNorm", dim)?;
        let norms: Vec<(Norm, Norm)> = (0..layers)
            .map(|l| Ok((norm(t, &format!("encoder.layer.{l}.attention.output.LayerNorm"), dim)?, norm(t, &format!("encoder.layer.{l}.output.LayerNorm"), dim)?)))
            .collect::<anyhow::Result<_>>()?;
        // Layers are built (and packed) on all cores: a model loads in the
        // time a story's first scoring waits for.
        let out_layers: Vec<Layer> = (0..layers)
            .into_par_iter()
            .map(|l| {
                let p = format!("encoder.layer.{l}");
                let (attn_norm, out_norm) = norms[l].clone();
                // A layer's attention reads the previous layer's output norm
                // (the embeddings' for the first), its feed-forward block the
                // attention's norm; the other two maps read no norm.
                let before = if l == 0 { &emb_norm } else { &norms[l - 1].1 };
                let qkv = ["query", "key", "value"].map(|m| format!("{p}.attention.self.{m}"));
                Ok(Layer {
                    qkv: linear(t, &qkv, dim, dim, int8, Some(before))?,
                    attn_out: linear(t, &[format!("{p}.attention.output.dense")], dim, dim, int8, None)?,
                    up: linear(t, &[format!("{p}.intermediate.dense")], dim, inter, int8, Some(&attn_norm))?,
                    down: linear(t, &[format!("{p}.output.dense")], inter, dim, int8, None)?,
                    attn_norm,
                    out_norm,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        if out_layers.is_empty() {
            bail!("the model has no layers");
        }
        Ok(Encoder {
            word: tensor(t, "embeddings.word_embeddings.weight", &[vocab, dim])?,
            position: tensor(t, "embeddings.position_embeddings.weight", &[config.max_position_embeddings, dim])?,
            segment: segments[..dim].to_vec(),
            emb_norm,
            layers: out_layers,
            dim,
            heads,
            max_positions: config.max_position_embeddings,
            eps: config.layer_norm_eps as f32,
        })
    }

    pub(crate) fn dim(&self) -> usize {
        self.dim
    }

    /// The last layer's state of every wordpiece of `texts` (ids), the texts
    /// end to end: `Σ len × dim`.
    pub(crate) fn forward(&self, texts: &[&[u32]]) -> anyhow::Result<Vec<f32>> {
        let d = self.dim;
        let rows: usize = texts.iter().map(|t| t.len()).sum();
        let mut x = vec![0f32; rows * d];
        self.embed(texts, &mut x)?;
        let mut qkv = vec![0f32; rows * 3 * d];
        let mut ctx = vec![0f32; rows * d];
        let mut mid = vec![0f32; rows * self.layers[0].up.out];
        let mut scores = Vec::new();
        for layer in &self.layers {
            // Self-attention, then its output map with the residual, normed.
            fill_bias(&mut qkv, &layer.qkv.b);
            matmul_add(&x, &layer.qkv, &mut qkv, rows);
            self.attend(texts, &qkv, &mut ctx, &mut scores);
            fill_bias_plus(&mut qkv[..rows * d], &layer.attn_out.b, &x);
            let (attn, _) = qkv.split_at_mut(rows * d);
            matmul_add(&ctx, &layer.attn_out, attn, rows);
            layer_norm(attn, &layer.attn_norm, d, self.eps);
            // The feed-forward block, with the residual, normed.
            fill_bias(&mut mid, &layer.up.b);
            matmul_add(attn, &layer.up, &mut mid, rows);
            gelu(&mut mid);
            fill_bias_plus(&mut x, &layer.down.b, attn);
            matmul_add(&mid, &layer.down, &mut x, rows);
            layer_norm(&mut x, &layer.out_norm, d, self.eps);
        }
        Ok(x)
    }

    /// Word, position and segment embeddings of each wordpiece, normed.
    fn embed(&self, texts: &[&[u32]], x: &mut [f32]) -> anyhow::Result<()> {
        let d = self.dim;
        let vocab = self.word.len() / d;
        let mut row = 0;
        for t in texts {
            if t.len() > self.max_positions {
                bail!("a text of {} wordpieces is longer than the model's {} positions", t.len(), self.max_positions);
            }
            for (pos, &id) in t.iter().enumerate() {
                let id = id as usize;
                if id >= vocab {
                    bail!("wordpiece id {id} is outside the vocabulary ({vocab})");
                }
                let out = &mut x[row * d..(row + 1) * d];
                let (w, p) = (&self.word[id * d..(id + 1) * d], &self.position[pos * d..(pos + 1) * d]);
                for k in 0..d {
                    out[k] = w[k] + p[k] + self.segment[k];
                }
                row += 1;
            }
        }
        layer_norm(x, &self.emb_norm, d, self.eps);
        Ok(())
    }

    /// Each text's heads attend within the text: `ctx = softmax(q·kᵀ/√h)·v`.
    fn attend(&self, texts: &[&[u32]], qkv: &[f32], ctx: &mut [f32], scores: &mut Vec<f32>) {
        let d = self.dim;
        let hd = d / self.heads;
        let stride = 3 * d;
        let scale = 1.0 / (hd as f32).sqrt();
        let mut start = 0;
        for t in texts {
            let n = t.len();
            scores.resize(n * n, 0.0);
            for h in 0..self.heads {
                let q = &qkv[start * stride + h * hd..];
                let k = &qkv[start * stride + d + h * hd..];
                let v = &qkv[start * stride + 2 * d + h * hd..];
                // SAFETY: every index the calls reach is inside the slices:
                // rows start..start+n of qkv (stride 3·dim) and of ctx (stride
                // dim), columns of head h, and the n × n scores.
                unsafe {
                    gemm(n, n, hd, scores.as_mut_ptr(), 1, n as isize, false, q.as_ptr(), 1, stride as isize, k.as_ptr(), stride as isize, 1, 0.0, scale, false, false, false, Parallelism::None);
                }
                for row in scores.chunks_exact_mut(n) {
                    softmax(row);
                }
                let out = &mut ctx[start * d + h * hd..];
                unsafe {
                    gemm(n, hd, n, out.as_mut_ptr(), 1, d as isize, false, scores.as_ptr(), 1, n as isize, v.as_ptr(), 1, stride as isize, 0.0, 1.0, false, false, false, Parallelism::None);
                }
            }
            start += n;
        }
    }
}

/// `out += x · w` for `rows` rows (`out` holds the bias, and the residual where there is one).
fn matmul_add(x: &[f32], w: &Linear, out: &mut [f32], rows: usize) {
    if let Some(packed) = &w.packed {
        return packed.matmul_add(x, out, rows);
    }
    assert!(x.len() >= rows * w.inp && out.len() >= rows * w.out && w.w.len() == w.inp * w.out);
    // SAFETY: the assert above bounds every index gemm reaches (row-major,
    // rows × inp times inp × out into rows × out).
    unsafe {
        gemm(rows, w.out, w.inp, out.as_mut_ptr(), 1, w.out as isize, true, x.as_ptr(), 1, w.inp as isize, w.w.as_ptr(), 1, w.out as isize, 1.0, 1.0, false, false, false, Parallelism::None);
    }
}

fn fill_bias(out: &mut [f32], b: &[f32]) {
    for row in out.chunks_exact_mut(b.len()) {
        row.copy_from_slice(b);
    }
}

fn fill_bias_plus(out: &mut [f32], b: &[f32], residual: &[f32]) {
    for (row, r) in out.chunks_exact_mut(b.len()).zip(residual.chunks_exact(b.len())) {
        for ((o, &b), &r) in row.iter_mut().zip(b).zip(r) {
            *o = b + r;
        }
    }
}

fn layer_norm(x: &mut [f32], n: &Norm, d: usize, eps: f32) {
    wide!(layer_norm_plain(x, n, d, eps))
}

#[inline(always)]
fn layer_norm_plain(x: &mut [f32], n: &Norm, d: usize, eps: f32) {
    for row in x.chunks_exact_mut(d) {
        let mean = lane_sum(row, |v| v) / d as f32;
        let var = lane_sum(row, |v| (v - mean) * (v - mean)) / d as f32;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, &w), &b) in row.iter_mut().zip(&n.w).zip(&n.b) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

// The element-wise kernels: plain loops over slices, compiled again for
// AVX-512 and for AVX2 with FMA and chosen at run time, so one binary runs
// everywhere and uses the widest registers the processor has. Sums and
// maxima run in `LANES` separate accumulators: a single running sum is a
// chain the compiler may not reorder, and would stay scalar.

/// Calls `$f(args)` compiled for the widest vector unit this processor has.
macro_rules! wide {
    ($f:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f")]
            unsafe fn on_avx512<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            #[target_feature(enable = "avx2,fma")]
            unsafe fn on_avx2<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the processor has the features the function is compiled for.
                return unsafe { on_avx512(|| $f($($arg),*)) };
            }
            if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: as above.
                return unsafe { on_avx2(|| $f($($arg),*)) };
            }
        }
        $f($($arg),*)
    }};
}
use wide;

const LANES: usize = 16;

/// `Σ f(v)` over `x`, in `LANES` accumulators.
#[inline(always)]
fn lane_sum(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            acc[i] += f(c[i]);
        }
    }
    acc.iter().sum::<f32>() + rest.iter().map(|&v| f(v)).sum::<f32>()
}

/// The largest value of `x` (−∞ when empty), in `LANES` accumulators.
#[inline(always)]
fn lane_max(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for i in 0..LANES {
            acc[i] = if c[i] > acc[i] { c[i] } else { acc[i] };
        }
    }
    acc.iter().chain(rest).fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}

fn gelu(x: &mut [f32]) {
    wide!(gelu_plain(x))
}

/// The exact GELU, `x·Φ(x) = x/2·(1 + erf(x/√2))`, as BERT's "gelu" is.
#[inline(always)]
fn gelu_plain(x: &mut [f32]) {
    for v in x.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

fn softmax(row: &mut [f32]) {
    wide!(softmax_plain(row))
}

#[inline(always)]
fn softmax_plain(row: &mut [f32]) {
    let max = lane_max(row);
    for v in row.iter_mut() {
        *v = exp(*v - max);
    }
    let inv = 1.0 / lane_sum(row, |v| v);
    row.iter_mut().for_each(|v| *v *= inv);
}

/// `eˣ` to within 2e-7 (relative) for every finite `x`; 0 below −87.
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    // Round x·log₂e to the nearest integer by the float trick (vectorises;
    // `round` does not everywhere), then take n·ln2 off in two parts (Cody
    // and Waite) so the remainder keeps its precision for large x.
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2²³
    let shifted = x * std::f32::consts::LOG2_E + MAGIC;
    let n = shifted - MAGIC;
    let f = (x - n * 0.693_359_4) + n * 2.121_944_4e-4; // |f| ≤ ln2/2
                                                        // eᶠ by its Taylor series to the seventh power (error under 1e-8 here).
    let p = 1.0 + f * (1.0 + f * (0.5 + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f * (1.0 / 720.0 + f * (1.0 / 5040.0)))))));
    // 2ⁿ from n's bits, which sit in the low mantissa bits of `shifted`
    // (integer arithmetic on the bits vectorises; `n as i32` saturates and does not).
    let n_int = shifted.to_bits().wrapping_sub(MAGIC.to_bits());
    let scale = f32::from_bits(n_int.wrapping_add(127) << 23);
    p * scale
}

/// erf by Abramowitz and Stegun 7.1.26 (absolute error under 1.5e-7 in exact
/// arithmetic, under 1e-6 in f32).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_and_erf_match_the_exact_ones() {
        let mut worst_exp = 0f64;
        let mut worst_erf = 0f64;
        for i in -200_000..=200_000 {
            let x = i as f32 / 2_000.0; // -100 ..= 100
            let want = (x as f64).exp();
            if want > 1e-37 && want < 1e38 {
                worst_exp = worst_exp.max(((exp(x) as f64 - want) / want).abs());
            }
            let x = i as f32 / 20_000.0; // -10 ..= 10
            worst_erf = worst_erf.max((erf(x) as f64 - libm_erf(x as f64)).abs());
        }
        assert!(worst_exp < 2e-7, "exp: relative error {worst_exp}");
        assert!(worst_erf < 1e-6, "erf: absolute error {worst_erf}");
        assert_eq!(exp(-1000.0), exp(-87.0));
        assert!(exp(-87.0) > 0.0 && exp(-87.0) < 2e-38);
    }

    /// erf in f64 by its series and continued fraction, for the test only.
    fn libm_erf(x: f64) -> f64 {
        let a = x.abs();
        let v = if a < 3.0 {
            // Maclaurin series: converges fast enough below 3 in f64.
            let mut sum: f64 = 0.0;
            let mut term = a;
            let mut n = 0.0;
            while term.abs() > 1e-17 * sum.abs().max(1e-300) {
                sum += term / (2.0 * n + 1.0);
                n += 1.0;
                term *= -a * a / n;
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc by Lentz's continued fraction.
            let mut f = 0.0;
            for k in (1..60).rev() {
                f = (k as f64 / 2.0) / (a + f);
            }
            1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / (a + f)
        };
        v.copysign(x)
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut row = vec![1.0, 3.0, -2.0, 3.0, 50.0, -100.0];
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(row[4] > 0.999 && row[1] == row[3] && row[0] > row[2] && row[5] >= 0.0);
    }
}
