//! Tone towards a target: how a news sentence speaks of one actor in it
//! (negative, neutral, positive), not the sentence's overall mood. "Putin
//! praised China while attacking the West" is positive towards China and
//! negative towards the West.
//!
//! The model is all-MiniLM-L6-v2 (the embedding model dossier already ships)
//! with a tuned adapter (`model/tone-adapter.safetensors`, made by
//! `scripts/tune_tone.py` from NewsMTSC's training sentences): low-rank
//! updates to every linear map, new layer norms, merged into a copy of the
//! published weights at load time, and a head. It reads the sentence with
//! the actor's mention between two marker wordpieces, cropped around the
//! mention, and the head reads means of the last layer's states: over the
//! whole input, over the marked mention, and over a few wordpieces on each
//! side of it.

use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

use anyhow::{bail, Context};
use candle_core::Tensor;
use dossier_embed::{Embedder, ModelParts, Precision};
use serde::Serialize;
use tokenizers::Tokenizer;

pub mod data;
pub mod pairs;

/// Format tag in the adapter's metadata.
pub const FORMAT: &str = "dossier-tone-adapter/1";
/// The shipped adapter.
pub const BUNDLED: &[u8] = include_bytes!("../model/tone-adapter.safetensors");
/// The marker wordpieces around the mention (both in the model's vocabulary).
const OPEN: &str = "«";
const CLOSE: &str = "»";
/// Longest sentence, in bytes, the classifier reads; longer ones are refused
/// (a sentence splitter's runaway, not a sentence).
pub const MAX_SENTENCE_BYTES: usize = 16384;

/// How a sentence speaks of its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Polarity {
    Negative,
    Neutral,
    Positive,
}

impl Polarity {
    /// -1, 0 or 1 (NewsMTSC's labels).
    pub fn value(self) -> i8 {
        match self {
            Polarity::Negative => -1,
            Polarity::Neutral => 0,
            Polarity::Positive => 1,
        }
    }

    pub fn from_value(v: i64) -> Option<Polarity> {
        match v {
            -1 => Some(Polarity::Negative),
            0 => Some(Polarity::Neutral),
            1 => Some(Polarity::Positive),
            _ => None,
        }
    }
}

/// One target in one sentence: `span` is the byte range of the mention in `sentence`.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub sentence: &'a str,
    pub span: Range<usize>,
}

/// What the classifier says of one target: its label and the head's three
/// scores (negative, neutral, positive; before softmax).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub polarity: Polarity,
    pub logits: [f32; 3],
}

/// The tuned model.
pub struct Tone {
    embedder: Embedder,
    tokenizer: Tokenizer,
    /// The head: dense maps on the pooled features, a ReLU between them; the last gives the three scores.
    head: Vec<Dense>,
    /// Wordpieces read at most, `[CLS]` and `[SEP]` included (the adapter's `max_len`).
    max_len: usize,
    cls: u32,
    sep: u32,
    open: u32,
    close: u32,
}

impl Tone {
    /// The published model in `model_dir` (see [`dossier_embed::locate`]) with the bundled adapter.
    pub fn load(model_dir: &Path) -> anyhow::Result<Tone> {
        Tone::bundled(&ModelParts::read(model_dir)?)
    }

    /// The model read into `parts` with the bundled adapter.
    pub fn bundled(parts: &ModelParts) -> anyhow::Result<Tone> {
        Tone::from_parts(parts, BUNDLED, Precision::from_env()).context("the bundled tone adapter (crates/tone/model/tone-adapter.safetensors)")
    }

    /// The model read into `parts` with an adapter file's bytes merged in, in the given arithmetic.
    pub fn from_parts(parts: &ModelParts, adapter: &[u8], precision: Precision) -> anyhow::Result<Tone> {
        let max_len = adapter_max_len(adapter)?;
        let mut tensors = parts.tensors.clone();
        let mut rest = dossier_embed::adapter::merge(&mut tensors, adapter, parts.layers, FORMAT)?;
        let head = head(&mut rest)?;
        dossier_embed::adapter::nothing_left(&rest)?;
        let mut tokenizer = parts.tokenizer.clone();
        // The crop around the mention is the only limit: each part is tokenized whole.
        tokenizer.with_truncation(None).map_err(|e| anyhow::anyhow!("tokenizer truncation: {e}"))?;
        let id = |t: &str| tokenizer.token_to_id(t).with_context(|| format!("the tokenizer has no wordpiece {t:?}"));
        let (cls, sep, open, close) = (id("[CLS]")?, id("[SEP]")?, id(OPEN)?, id(CLOSE)?);
        Ok(Tone { embedder: Embedder::from_parts_in(parts, tensors, precision)?, tokenizer, head, max_len, cls, sep, open, close })
    }

    /// The wordpiece ids the model reads for a target (as `scripts/tune_tone.py`
    /// builds them): the text before, the mention and the text after, each
    /// tokenized alone, the mention between the markers, cropped to the
    /// adapter's length around the mention; and the positions of the two markers.
    pub fn wordpieces(&self, t: &Target) -> anyhow::Result<(Vec<u32>, usize, usize)> {
        let s = t.sentence;
        if s.len() > MAX_SENTENCE_BYTES {
            bail!("a sentence of {} bytes; the tone model reads at most {MAX_SENTENCE_BYTES}", s.len());
        }
        if t.span.start >= t.span.end || t.span.end > s.len() || !s.is_char_boundary(t.span.start) || !s.is_char_boundary(t.span.end) {
            bail!("target span {:?} is not a non-empty range of whole characters in a sentence of {} bytes", t.span, s.len());
        }
        let part = |x: &str| -> anyhow::Result<Vec<u32>> { Ok(self.tokenizer.encode(x, false).map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?.get_ids().to_vec()) };
        let (left, mut target, right) = (part(&s[..t.span.start])?, part(&s[t.span.clone()])?, part(&s[t.span.end..])?);
        let room = self.max_len - 4;
        target.truncate(room);
        let rest = room - target.len();
        let keep_l = left.len().min((rest / 2).max(rest.saturating_sub(right.len())));
        let keep_r = right.len().min(rest - keep_l);
        let mut ids = Vec::with_capacity(self.max_len);
        ids.push(self.cls);
        ids.extend_from_slice(&left[left.len() - keep_l..]);
        let open = ids.len();
        ids.push(self.open);
        ids.extend_from_slice(&target);
        let close = ids.len();
        ids.push(self.close);
        ids.extend_from_slice(&right[..keep_r]);
        ids.push(self.sep);
        Ok((ids, open, close))
    }

    /// The verdict for each target, in order.
    pub fn classify(&self, targets: &[Target]) -> anyhow::Result<Vec<Verdict>> {
        Ok(self.features(targets)?.iter().map(|f| self.verdict(f)).collect())
    }

    /// What the head reads for each target ([`FEATURES`] numbers): means of
    /// the last layer's states over the whole input, the marked mention and
    /// its near context on each side (see `pooled`).
    pub fn features(&self, targets: &[Target]) -> anyhow::Result<Vec<Vec<f32>>> {
        let inputs = targets.iter().map(|t| self.wordpieces(t)).collect::<anyhow::Result<Vec<_>>>()?;
        let seqs: Vec<&[u32]> = inputs.iter().map(|(ids, _, _)| ids.as_slice()).collect();
        let states = self.embedder.embed_ids_tokens(&seqs)?;
        Ok(inputs.iter().zip(&states).map(|((_, open, close), st)| pooled(&st.tokens, *open, *close)).collect())
    }

    /// The verdict for features computed by [`Tone::features`].
    pub fn verdict(&self, features: &[f32]) -> Verdict {
        let mut x = features.to_vec();
        for (n, d) in self.head.iter().enumerate() {
            x = d.apply(&x);
            if n + 1 < self.head.len() {
                x.iter_mut().for_each(|v| *v = v.max(0.0));
            }
        }
        let logits = [x[0], x[1], x[2]];
        let best = (0..3).fold(0, |b, c| if logits[c] > logits[b] { c } else { b });
        Verdict { polarity: [Polarity::Negative, Polarity::Neutral, Polarity::Positive][best], logits }
    }
}

/// Wordpieces on each side of the mention whose states make its near context.
const NEAR: usize = 8;
/// Numbers the head reads: four means of [`dossier_embed::DIM`] each.
pub const FEATURES: usize = 4 * dossier_embed::DIM;

/// Four means of the states: all of them; the marked mention's (`open` to
/// `close`, markers included); the [`NEAR`] wordpieces before it and the
/// [`NEAR`] after it (`[CLS]` and `[SEP]` left out; zeros where there are none).
fn pooled(tokens: &[Vec<f32>], open: usize, close: usize) -> Vec<f32> {
    let d = dossier_embed::DIM;
    let last = tokens.len().saturating_sub(1);
    let parts = [0..tokens.len(), open..close + 1, open.saturating_sub(NEAR).max(1)..open, (close + 1).min(last)..(close + 1 + NEAR).min(last)];
    let mut feats = vec![0f32; FEATURES];
    for (k, r) in parts.into_iter().enumerate() {
        let n = r.len().max(1) as f32;
        for row in &tokens[r] {
            for (f, v) in feats[k * d..(k + 1) * d].iter_mut().zip(row) {
                *f += v / n;
            }
        }
    }
    feats
}

/// A dense map: `w` is `(out, inp)`, row-major.
struct Dense {
    w: Vec<f32>,
    b: Vec<f32>,
    inp: usize,
}

impl Dense {
    fn apply(&self, x: &[f32]) -> Vec<f32> {
        self.w.chunks_exact(self.inp).zip(&self.b).map(|(row, b)| b + row.iter().zip(x).map(|(w, v)| w * v).sum::<f32>()).collect()
    }
}

/// The crop length the adapter was tuned with (its `max_len` metadata).
fn adapter_max_len(adapter: &[u8]) -> anyhow::Result<usize> {
    let meta = safetensors::SafeTensors::read_metadata(adapter).context("not a safetensors file")?.1;
    let v = meta.metadata().as_ref().and_then(|m| m.get("max_len")).context("the adapter's metadata has no max_len")?;
    let n: usize = v.parse().with_context(|| format!("the adapter's max_len {v:?} is not a number"))?;
    if !(8..=dossier_embed::MAX_TOKENS).contains(&n) {
        bail!("the adapter's max_len {n} is outside 8..={}", dossier_embed::MAX_TOKENS);
    }
    Ok(n)
}

/// The head's maps, checked: `head.hidden` (`(h, FEATURES)`) where the
/// adapter has one, then `head` (`(3, h)`, or `(3, FEATURES)` without a hidden map).
fn head(rest: &mut HashMap<String, Tensor>) -> anyhow::Result<Vec<Dense>> {
    let mut maps = Vec::new();
    let mut inp = FEATURES;
    for (name, last) in [("head.hidden", false), ("head", true)] {
        let (w, b) = (rest.remove(&format!("{name}.weight")), rest.remove(&format!("{name}.bias")));
        let (w, b) = match (w, b) {
            (None, None) if !last => continue,
            (Some(w), Some(b)) => (w, b),
            _ => bail!("the adapter's {name} is missing or partial ({name}.weight and {name}.bias go together)"),
        };
        let out = w.dim(0)?;
        if w.dims() != [out, inp] || b.dims() != [out] || (last && out != 3) {
            bail!("{name} shapes {:?} and {:?} do not fit {inp} inputs{}", w.dims(), b.dims(), if last { " and 3 outputs" } else { "" });
        }
        let (w, b) = (w.flatten_all()?.to_vec1::<f32>()?, b.to_vec1::<f32>()?);
        if !w.iter().chain(&b).all(|x| x.is_finite()) {
            bail!("{name}'s weights are not finite");
        }
        maps.push(Dense { w, b, inp });
        inp = out;
    }
    Ok(maps)
}

/// Macro-F1 over the three classes (NewsMTSC's measure; `score.py`'s `F1m`).
pub fn macro_f1(gold: &[Polarity], pred: &[Polarity]) -> f64 {
    let f1 = |c: Polarity| {
        let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
        for (&g, &p) in gold.iter().zip(pred) {
            tp += usize::from(g == c && p == c);
            fp += usize::from(g != c && p == c);
            fn_ += usize::from(g == c && p != c);
        }
        if tp == 0 {
            0.0
        } else {
            2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
        }
    };
    [Polarity::Negative, Polarity::Neutral, Polarity::Positive].into_iter().map(f1).sum::<f64>() / 3.0
}
