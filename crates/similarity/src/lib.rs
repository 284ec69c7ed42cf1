//! Do two news sentences state the same thing? A score from 0 (unrelated) to
//! 5 (same meaning), for aligning claims across outlets.
//!
//! Each sentence goes through all-MiniLM-L6-v2 once ([`dossier_embed`]); a
//! pair is then described by [`features::NAMES`]: the sentence cosine, a
//! soft alignment of the two sentences' wordpieces (BERTScore-style, plain
//! and IDF-weighted), word, stem and character-trigram overlap, word order
//! and length, whether numbers, names and negation agree, and a ridge
//! regression on the two sentence vectors' interaction ([`ridge`]).
//! Gradient-boosted trees ([`gbdt`]) trained on the STS Benchmark's news
//! pairs turn those into a score. That score is blended with a
//! cross-encoder's ([`cross`]: the same model tuned to read both sentences at
//! once) and a tuned bi-encoder's ([`bi`]: the same model tuned so that the
//! cosine of the two sentences' vectors ranks pairs as people do), each
//! shipped as two 1.4 MB low-rank adapters, in the proportions that ranked
//! held-out training pairs best. The trained combiner and adapters ship inside
//! the crate (`model/combiner.json`, made by `dossier train similarity`;
//! `model/{cross,bi}-adapter-*.safetensors`, made by `scripts/tune_similarity.py`).
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let dir = dossier_embed::locate().expect("model installed");
//! let sim = dossier_similarity::Similarity::load(&dir)?;
//! let s = sim.score("Quake of magnitude 7 hits Chile", "A 7.0 earthquake struck Chile")?;
//! assert!((0.0..=5.0).contains(&s));
//! # Ok(()) }
//! ```

pub mod bi;
pub mod cross;
pub mod data;
pub mod features;
pub mod gbdt;
pub mod ridge;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use dossier_embed::Embedder;
use serde::{Deserialize, Serialize};

use crate::bi::BiEncoder;
use crate::cross::CrossEncoder;
use crate::data::{spearman, Pair};
use crate::features::{pair_features, Idf, Prepared, NAMES};
use crate::gbdt::{Forest, Params};
use crate::ridge::{interaction, Ridge};

/// Format tag of a combiner file.
pub const FORMAT: &str = "dossier-similarity/1";
/// Pairs scored together (sentences shared within a chunk run through the model once).
pub const CHUNK: usize = 4096;
/// Highest score (STS-B's scale).
pub const MAX_SCORE: f32 = 5.0;

const BUNDLED: &str = include_str!("../model/combiner.json");

/// What training learned: wordpiece IDF over the training sentences, and the
/// trees that map features to a score.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Combiner {
    pub format: String,
    /// The embedding model the features were computed with.
    pub model: String,
    pub features: Vec<String>,
    /// How it was made: training file's pairs, chosen settings and cross-validated Spearman.
    pub training: Training,
    pub idf: Idf,
    /// Ridge regression on the sentence vectors' interaction; its output is the last feature.
    pub ridge: Ridge,
    pub forest: Forest,
    /// How the cross-encoder's score is mixed in ([`cross`]); trees alone without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blend: Option<Blend>,
    /// The blend without the cross-encoder: trees and the tuned bi-encoder
    /// only, weighed and calibrated on the same held-out pairs. It costs
    /// model passes per distinct sentence instead of per pair (the
    /// cross-encoder reads each pair in both orders with each tuned copy),
    /// which is what a streaming analysis can afford ([`Variant::WithoutCross`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blend_without_cross: Option<Blend>,
    /// Trees and the first bundled bi-encoder copy alone (seed 7), weighed
    /// and calibrated on the same held-out pairs with that copy's held-out
    /// scores: two model passes per distinct sentence instead of four, for
    /// a held-out Spearman a few thousandths lower ([`Variant::OneBi`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blend_one_bi: Option<Blend>,
}

/// Which of the combiner's blends a [`Similarity`] scores with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Trees, the cross-encoder and the bi-encoder (`Combiner::blend`): the best ranking, and the dearest.
    Full,
    /// Trees and the bi-encoder (`Combiner::blend_without_cross`), when the
    /// combiner has that blend; model passes per sentence only.
    WithoutCross,
    /// Trees and one tuned bi-encoder copy (`Combiner::blend_one_bi`), when
    /// the combiner has that blend: two model passes per distinct sentence.
    OneBi,
}

/// The final score is `weight × cross-encoder + bi_weight × bi-encoder +
/// (1 − weight − bi_weight) × trees`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Blend {
    /// Which adapters the blend goes with ([`bundled_adapters_id`]).
    pub adapter: String,
    /// The cross-encoder's share, 0..=1.
    pub weight: f32,
    /// The tuned bi-encoder's share ([`bi`]), 0..=1 − `weight`.
    #[serde(default)]
    pub bi_weight: f32,
    /// Knots `(blended, human)` of a non-decreasing map from the blended
    /// score back to the human scale, linear between knots and flat beyond
    /// them: isotonic regression of the held-out pairs' human scores on their
    /// blended ones. The bi-encoder's cosines are not on that scale (a pair
    /// about unrelated things still has a cosine well above 0), and claim
    /// alignment reads the score against fixed thresholds; ranks are kept.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calibration: Vec<(f32, f32)>,
    /// How the weight was chosen: training pairs held out of a cross-encoder
    /// tuned the same way on the rest (and of the trees fitted for the
    /// choice), and the Spearman there of the trees, the cross-encoder and the blend.
    pub holdout_pairs: usize,
    pub holdout_spearman: HoldoutSpearman,
}

impl Blend {
    /// The blended score from the trees', the cross-encoder's and the bi-encoder's, calibrated.
    pub fn mix(&self, trees: f32, cross: f32, bi: f32) -> f32 {
        calibrate(&self.calibration, self.raw(trees, cross, bi)).clamp(0.0, MAX_SCORE)
    }

    /// The weighted sum, before calibration.
    fn raw(&self, trees: f32, cross: f32, bi: f32) -> f32 {
        self.weight * cross + self.bi_weight * bi + (1.0 - self.weight - self.bi_weight) * trees
    }
}

/// `x` through the knots (linear between them, flat beyond); `x` itself without knots.
fn calibrate(knots: &[(f32, f32)], x: f32) -> f32 {
    let Some(&(x0, y0)) = knots.first() else { return x };
    let &(xn, yn) = knots.last().expect("non-empty");
    if x <= x0 {
        return y0;
    }
    if x >= xn {
        return yn;
    }
    let k = knots.partition_point(|&(kx, _)| kx <= x);
    let ((xa, ya), (xb, yb)) = (knots[k - 1], knots[k]);
    ya + (yb - ya) * (x - xa) / (xb - xa)
}

/// Isotonic regression of `y` on `x` (pool adjacent violators): the knots
/// `(mean x, mean y)` of the pooled blocks, strictly increasing in x.
fn isotonic(x: &[f32], y: &[f32]) -> Vec<(f32, f32)> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    // Blocks as (sum x, sum y, count); equal x values always share a block.
    let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
    for &i in &order {
        let (xi, yi) = (x[i] as f64, y[i] as f64);
        match blocks.last_mut() {
            Some(b) if b.0 / b.2 == xi => *b = (b.0 + xi, b.1 + yi, b.2 + 1.0),
            _ => blocks.push((xi, yi, 1.0)),
        }
        while blocks.len() > 1 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.1 / a.2 < b.1 / b.2 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    let mut knots: Vec<(f32, f32)> = Vec::with_capacity(blocks.len());
    for (sx, sy, n) in blocks {
        let (kx, ky) = ((sx / n) as f32, ((sy / n) as f32).clamp(0.0, MAX_SCORE));
        match knots.last() {
            Some(&(px, _)) if kx <= px => {}
            _ => knots.push((kx, ky)),
        }
    }
    knots
}

/// Spearman on the held-out training pairs.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct HoldoutSpearman {
    pub trees: f64,
    pub cross: f64,
    /// The bi-encoder's, where it was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bi: Option<f64>,
    pub blend: f64,
}

/// SHA-256 (hex) over the bundled adapters' own SHA-256s (cross-encoder's,
/// then bi-encoder's), which a combiner's blend names.
pub fn bundled_adapters_id() -> String {
    use sha2::{Digest, Sha256};
    let mut all = Sha256::new();
    for a in cross::BUNDLED.iter().chain(&bi::BUNDLED) {
        all.update(Sha256::digest(a));
    }
    all.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// All features the trees read: [`features::NAMES`], then the ridge regression's output.
pub fn feature_names() -> Vec<String> {
    NAMES.iter().map(|s| s.to_string()).chain(["interaction_ridge".to_string()]).collect()
}

/// Provenance of a combiner.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Training {
    pub pairs: usize,
    pub folds: usize,
    pub params: Params,
    pub cv_spearman: f64,
}

impl Combiner {
    /// The combiner shipped with dossier.
    pub fn bundled() -> anyhow::Result<Combiner> {
        Combiner::from_json(BUNDLED).context("the bundled similarity combiner (crates/similarity/model/combiner.json)")
    }

    /// Reads a combiner file written by [`Combiner::to_json`].
    pub fn read(path: &Path) -> anyhow::Result<Combiner> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Combiner::from_json(&text).with_context(|| format!("{}", path.display()))
    }

    pub fn from_json(text: &str) -> anyhow::Result<Combiner> {
        let c: Combiner = serde_json::from_str(text).context("not a similarity combiner")?;
        if c.format != FORMAT {
            bail!("format {:?}, expected {FORMAT:?}", c.format);
        }
        if c.model != dossier_embed::MODEL {
            bail!("made for the model {:?}, not {:?}", c.model, dossier_embed::MODEL);
        }
        if c.features != feature_names() {
            bail!("made for other features ({}); retrain with `dossier train similarity`", c.features.join(", "));
        }
        if c.forest.features != NAMES.len() + 1 {
            bail!("trees read {} features, expected {}", c.forest.features, NAMES.len() + 1);
        }
        if c.ridge.weights.len() != 2 * dossier_embed::DIM || c.ridge.mean.len() != 2 * dossier_embed::DIM || !c.ridge.weights.iter().chain(&c.ridge.mean).all(|x| x.is_finite()) {
            bail!("the ridge regression's weights are malformed");
        }
        c.forest.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        if c.blend_without_cross.iter().chain(&c.blend_one_bi).any(|b| b.weight != 0.0) {
            bail!("a blend without the cross-encoder gives the cross-encoder a share");
        }
        for b in c.blend.iter().chain(&c.blend_without_cross).chain(&c.blend_one_bi) {
            if !(0.0..=1.0).contains(&b.weight) || !(0.0..=1.0).contains(&b.bi_weight) || b.weight + b.bi_weight > 1.0 + 1e-6 {
                bail!("blend weights {} and {} are not shares of 1", b.weight, b.bi_weight);
            }
            let k = &b.calibration;
            if !k.iter().all(|&(x, y)| x.is_finite() && (0.0..=MAX_SCORE).contains(&y)) || k.windows(2).any(|w| w[1].0 <= w[0].0 || w[1].1 < w[0].1) {
                bail!("the blend's calibration is not a non-decreasing map onto 0..=5");
            }
        }
        Ok(c)
    }

    /// Compact JSON, rounded to what f32 holds.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("serialisable")
    }

    /// Score for one pair's features (all of [`feature_names`]), clamped to 0..=5.
    pub fn predict(&self, features: &[f32]) -> f32 {
        self.forest.predict(features).clamp(0.0, MAX_SCORE)
    }

    /// The features of pairs as [`pair_matrix`] gives them, completed with the ridge regression's output.
    pub fn complete(&self, base: Vec<Vec<f32>>, interactions: &[Vec<f32>]) -> Vec<Vec<f32>> {
        base.into_iter()
            .zip(interactions)
            .map(|(mut f, z)| {
                f.push(self.ridge.predict(z));
                f
            })
            .collect()
    }
}

/// Pairs whose trees' score is below this are left at that score by
/// [`Similarity::with_gate`] scorers, without the cross-encoder's pass.
pub const GATE: f32 = 1.5;
/// ... and so are pairs that are not among the best this many (by the
/// trees) for either of their sentences.
pub const GATE_BEST: usize = 3;

/// The scorer: the embedding model, a trained combiner and, where the
/// combiner has a blend, the cross-encoder and the tuned bi-encoder.
pub struct Similarity {
    embedder: Embedder,
    combiner: Combiner,
    /// The blend scored with (one of the combiner's), and the encoders it needs.
    blend: Option<Blend>,
    cross: Option<CrossEncoder>,
    bi: Option<BiEncoder>,
    gate: Option<f32>,
}

impl Similarity {
    /// Loads the embedding model from `model_dir` (see [`dossier_embed::locate`]) with the bundled
    /// combiner and, as it blends one in, the cross-encoder.
    pub fn load(model_dir: &Path) -> anyhow::Result<Similarity> {
        // The folder is read once for the plain model and the tuned copies.
        let parts = dossier_embed::ModelParts::read(model_dir).with_context(|| format!("loading the embedding model from {}", model_dir.display()))?;
        let embedder = Embedder::from_parts(&parts, parts.tensors.clone())?;
        Similarity::with_parts(embedder, Combiner::bundled()?, Variant::Full, || Ok(parts))
    }

    /// A scorer from a loaded model and a combiner; the cross- and
    /// bi-encoders (built from the model files in `model_dir` and the bundled
    /// adapters) are loaded when the combiner blends them in, and must be the
    /// adapters it was made for.
    pub fn new(embedder: Embedder, combiner: Combiner, model_dir: &Path) -> anyhow::Result<Similarity> {
        Similarity::with_variant(embedder, combiner, Variant::Full, model_dir)
    }

    /// [`Similarity::new`] scoring with the combiner's blend `variant`
    /// (`WithoutCross` falls back to the trees alone when the combiner has no such blend).
    pub fn with_variant(embedder: Embedder, combiner: Combiner, variant: Variant, model_dir: &Path) -> anyhow::Result<Similarity> {
        Similarity::with_parts(embedder, combiner, variant, || dossier_embed::ModelParts::read(model_dir))
    }

    /// [`Similarity::with_variant`] with the model folder's parts already read
    /// (the ones `embedder` was built from).
    pub fn from_parts(embedder: Embedder, combiner: Combiner, variant: Variant, parts: dossier_embed::ModelParts) -> anyhow::Result<Similarity> {
        Similarity::with_parts(embedder, combiner, variant, || Ok(parts))
    }

    /// [`Similarity::with_variant`] with the model folder's parts from `parts`, called only when the blend needs an encoder.
    fn with_parts(embedder: Embedder, combiner: Combiner, variant: Variant, parts: impl FnOnce() -> anyhow::Result<dossier_embed::ModelParts>) -> anyhow::Result<Similarity> {
        let blend = match variant {
            Variant::Full => combiner.blend.clone(),
            Variant::WithoutCross => combiner.blend_without_cross.clone(),
            Variant::OneBi => combiner.blend_one_bi.clone(),
        };
        let (mut cross, mut bi) = (None, None);
        if let Some(b) = &blend {
            if b.adapter != bundled_adapters_id() {
                bail!("the combiner's blend was made for other cross- and bi-encoder adapters ({}); retrain it with `dossier train similarity`", b.adapter);
            }
            if b.weight > 0.0 || b.bi_weight > 0.0 {
                let parts = parts()?;
                if b.weight > 0.0 {
                    cross = Some(CrossEncoder::bundled(&parts)?);
                }
                if b.bi_weight > 0.0 {
                    bi = Some(match variant {
                        Variant::OneBi => BiEncoder::first(&parts)?,
                        _ => BiEncoder::bundled(&parts)?,
                    });
                }
            }
        }
        Ok(Similarity { embedder, combiner, blend, cross, bi, gate: None })
    }

    /// Runs the cross-encoder only on pairs whose trees' score reaches
    /// `gate` and that are among the [`GATE_BEST`] best-scored pairs of one of
    /// their sentences (others keep the trees' score): for callers that only
    /// care about each sentence's best matches and have many pairs that are
    /// clearly not, so the cross-encoder's cost (a model pass per pair) stays
    /// proportional to the sentences, not to the pairs.
    pub fn with_gate(mut self, gate: f32) -> Similarity {
        self.gate = Some(gate);
        self
    }

    pub fn combiner(&self) -> &Combiner {
        &self.combiner
    }

    /// How much `a` and `b` state the same thing, 0 (unrelated) to 5 (same meaning).
    pub fn score(&self, a: &str, b: &str) -> anyhow::Result<f32> {
        Ok(self.score_pairs(&[(a, b)])?[0])
    }

    /// Scores many pairs: the trees on features (the model runs once per
    /// distinct sentence), blended with the cross-encoder (once per pair and
    /// order) and the tuned bi-encoder (once per distinct sentence).
    pub fn score_pairs(&self, pairs: &[(&str, &str)]) -> anyhow::Result<Vec<f32>> {
        let mut out: Vec<f32> = self.features(pairs)?.iter().map(|f| self.combiner.predict(f)).collect();
        let Some(blend) = &self.blend else {
            return Ok(out);
        };
        // The gate spares the cross-encoder's per-pair passes; the
        // bi-encoder's cost is per distinct sentence, so without the
        // cross-encoder every pair is blended.
        let todo: Vec<usize> = match (self.gate, &self.cross) {
            (Some(g), Some(_)) => gated(pairs, &out, g, GATE_BEST),
            _ => (0..pairs.len()).collect(),
        };
        tracing::debug!(pairs = pairs.len(), blended = todo.len(), cross_encoder = self.cross.is_some(), "similarity: encoders on {} of {} pairs", todo.len(), pairs.len());
        for chunk in todo.chunks(CHUNK) {
            let some: Vec<(&str, &str)> = chunk.iter().map(|&i| pairs[i]).collect();
            let ce = match &self.cross {
                Some(cross) => cross.score_pairs(&some)?,
                None => vec![0.0; some.len()],
            };
            let be = match &self.bi {
                Some(bi) => bi.score_pairs(&some)?,
                None => vec![0.0; some.len()],
            };
            for ((&i, c), b) in chunk.iter().zip(ce).zip(be) {
                out[i] = blend.mix(out[i], c, b);
            }
        }
        Ok(out)
    }

    /// Scores pairs for a caller that acts only on pairs scoring at least
    /// `link` (claim alignment links a pair when it reaches the threshold
    /// and is each sentence's best in the other's outlet; a pair below the
    /// threshold can neither link nor outrank one that does). Without the
    /// cross-encoder, the tuned bi-encoder runs first (a pass per distinct
    /// sentence); a pair that stays below `link` even with the trees' best
    /// possible score gets that bound, which is below `link`, and only the
    /// other pairs' sentences go through the model again for the trees'
    /// features. Every pair at or above `link` gets exactly
    /// [`Similarity::score_pairs`]'s score, and every pair below it a score
    /// below it: the same decisions for fewer model passes.
    pub fn score_pairs_against(&self, pairs: &[(&str, &str)], link: f32) -> anyhow::Result<Vec<f32>> {
        let (Some(blend), Some(bi), None) = (&self.blend, &self.bi, &self.cross) else {
            return self.score_pairs(pairs);
        };
        let be = bi.score_pairs(pairs)?;
        // The blend is non-decreasing in the trees' score, which lies in 0..=5.
        let mut out: Vec<f32> = be.iter().map(|&b| blend.mix(MAX_SCORE, 0.0, b)).collect();
        let todo: Vec<usize> = (0..pairs.len()).filter(|&i| out[i] >= link).collect();
        tracing::debug!(pairs = pairs.len(), featured = todo.len(), "similarity: trees on {} of {} pairs (the rest cannot reach {link})", todo.len(), pairs.len());
        let some: Vec<(&str, &str)> = todo.iter().map(|&i| pairs[i]).collect();
        for (&i, f) in todo.iter().zip(self.features(&some)?) {
            out[i] = blend.mix(self.combiner.predict(&f), 0.0, be[i]);
        }
        Ok(out)
    }

    /// The features of each pair (see [`feature_names`]). Pairs are taken
    /// [`CHUNK`] at a time, so memory (every wordpiece's state of the
    /// chunk's sentences) stays bounded however many there are.
    pub fn features(&self, pairs: &[(&str, &str)]) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(pairs.len());
        for chunk in pairs.chunks(CHUNK) {
            let (base, z) = pair_matrix(&self.embedder, &self.combiner.idf, chunk)?;
            out.extend(self.combiner.complete(base, &z));
        }
        Ok(out)
    }
}

/// Indices of the pairs scoring at least `gate` that are among the `best`
/// highest-scoring pairs of their first or their second sentence.
fn gated(pairs: &[(&str, &str)], scores: &[f32], gate: f32, best: usize) -> Vec<usize> {
    let mut by_sentence: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, &(a, b)) in pairs.iter().enumerate() {
        if scores[i] >= gate {
            by_sentence.entry(a).or_default().push(i);
            if b != a {
                by_sentence.entry(b).or_default().push(i);
            }
        }
    }
    let mut keep = vec![false; pairs.len()];
    for list in by_sentence.values_mut() {
        list.sort_by(|&x, &y| scores[y].total_cmp(&scores[x]).then(x.cmp(&y)));
        for &i in list.iter().take(best) {
            keep[i] = true;
        }
    }
    (0..pairs.len()).filter(|&i| keep[i]).collect()
}

/// One row of numbers per pair.
pub type Features = Vec<Vec<f32>>;

/// [`features::NAMES`] for each pair, and its sentence vectors' interaction
/// (for the ridge regression); each distinct sentence is embedded and
/// prepared once.
pub fn pair_matrix(embedder: &Embedder, idf: &Idf, pairs: &[(&str, &str)]) -> anyhow::Result<(Features, Features)> {
    let (texts, index) = distinct(pairs);
    tracing::debug!(pairs = pairs.len(), sentences = texts.len(), "features pass");
    let emb = embedder.embed_tokens(&texts)?;
    let prepared: Vec<Prepared> = texts.iter().zip(emb).map(|(t, e)| Prepared::new(t, e, idf)).collect();
    Ok(index.iter().map(|&(i, j)| (pair_features(&prepared[i], &prepared[j]), interaction(prepared[i].vector(), prepared[j].vector()))).unzip())
}

/// Distinct sentences of the pairs, and each pair as indices into them.
fn distinct<'a>(pairs: &[(&'a str, &'a str)]) -> (Vec<&'a str>, Vec<(usize, usize)>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut texts = Vec::new();
    let mut id = |s: &'a str| {
        *seen.entry(s).or_insert_with(|| {
            texts.push(s);
            texts.len() - 1
        })
    };
    let index: Vec<(usize, usize)> = pairs.iter().map(|&(a, b)| (id(a), id(b))).collect();
    (texts, index)
}

/// Settings tried in cross-validation, and the tree counts checked for each.
#[derive(Debug, Clone)]
pub struct Grid {
    pub params: Vec<Params>,
    pub folds: usize,
    /// Evaluate every this many trees, up to each entry's `trees`.
    pub every: usize,
}

impl Default for Grid {
    fn default() -> Self {
        let mut params = Vec::new();
        for depth in [3, 4, 5, 6] {
            for min_leaf in [8, 24] {
                for rate in [0.05, 0.02] {
                    params.push(Params { trees: if rate < 0.03 { 1000 } else { 500 }, depth, min_leaf, rate, ..Params::default() });
                }
            }
        }
        Grid { params, folds: 5, every: 50 }
    }
}

/// Trains a combiner on labelled pairs: IDF from their sentences, then the
/// tree settings (and tree count) with the best `folds`-fold cross-validated
/// Spearman, refitted on all pairs. `log` hears each setting's figure.
///
/// With `cross_holdout` — the cross-encoder's scores for training pairs
/// (by index) that a cross-encoder tuned the same way on the other pairs
/// never saw (`scripts/tune_similarity.py --holdout`) — the trees are also
/// fitted once without those pairs, and the blend weight is the one whose
/// blend ranks the held-out pairs best (Spearman; steps of 0.05). With
/// `bi_holdout` too (the tuned bi-encoder's scores for the same pairs), the
/// blend has the bi-encoder's weight as well, chosen the same way.
pub fn train(
    embedder: &Embedder,
    pairs: &[Pair],
    grid: &Grid,
    cross_holdout: Option<&HashMap<usize, f32>>,
    bi_holdout: Option<&HashMap<usize, f32>>,
    bi_one_holdout: Option<&HashMap<usize, f32>>,
    mut log: impl FnMut(&str),
) -> anyhow::Result<Combiner> {
    if pairs.len() < grid.folds.max(2) * 10 {
        bail!("{} pairs: too few to train on (at least {})", pairs.len(), grid.folds.max(2) * 10);
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
    let (texts, _) = distinct(&refs);
    log(&format!("embedding {} distinct sentences", texts.len()));
    let emb = embedder.embed_tokens(&texts)?;
    let idf = Idf::count(emb.iter().map(|e| &e.ids[1..e.ids.len().saturating_sub(1).max(1)]));
    let (base, z): (Vec<Vec<f32>>, Vec<Vec<f32>>) = {
        let prepared: HashMap<&str, Prepared> = texts.iter().zip(emb).map(|(t, e)| (*t, Prepared::new(t, e, &idf))).collect();
        refs.iter().map(|(a, b)| (pair_features(&prepared[a], &prepared[b]), interaction(prepared[a].vector(), prepared[b].vector()))).unzip()
    };
    let y: Vec<f32> = pairs.iter().map(|p| p.score).collect();
    let fitted = fit(base, &z, &y, grid, &mut log);
    let (blend, blend_without_cross) = match (cross_holdout, bi_holdout) {
        (None, None) => (None, None),
        (Some(h), bi) => {
            let full = choose_blend(&fitted, &y, h, bi, true, &mut log)?;
            let without = match bi {
                Some(_) => Some(choose_blend(&fitted, &y, h, bi, false, &mut log)?),
                None => None,
            };
            (Some(full), without)
        }
        (None, Some(_)) => bail!("the bi-encoder's held-out scores are blended beside the cross-encoder's; give those too"),
    };
    let blend_one_bi = match (cross_holdout, bi_one_holdout) {
        (Some(h), Some(one)) => {
            log("the blend with the first bi-encoder copy alone:");
            Some(choose_blend(&fitted, &y, h, Some(one), false, &mut log)?)
        }
        _ => None,
    };
    Ok(Combiner {
        format: FORMAT.into(),
        model: dossier_embed::MODEL.into(),
        features: feature_names(),
        training: Training { pairs: pairs.len(), folds: grid.folds, params: fitted.params, cv_spearman: fitted.cv_spearman },
        idf,
        ridge: fitted.ridge,
        forest: fitted.forest,
        blend,
        blend_without_cross,
        blend_one_bi,
    })
}

/// The cross- and bi-encoders' shares of the final score, chosen on held-out training pairs (see [`train`]).
/// With `with_cross` false the cross-encoder's share stays 0 (the blend of [`Variant::WithoutCross`]).
fn choose_blend(fitted: &Fitted, y: &[f32], holdout: &HashMap<usize, f32>, bi: Option<&HashMap<usize, f32>>, with_cross: bool, log: &mut impl FnMut(&str)) -> anyhow::Result<Blend> {
    if let Some(i) = holdout.keys().find(|&&i| i >= y.len()) {
        bail!("the cross-encoder's held-out predictions name pair {i}; the training file has {}", y.len());
    }
    if holdout.len() < 50 {
        bail!("{} held-out pairs: too few to choose a blend on (at least 50)", holdout.len());
    }
    if let Some(bi) = bi {
        if bi.len() != holdout.len() || holdout.keys().any(|i| !bi.contains_key(i)) {
            bail!("the bi-encoder's held-out scores cover other pairs ({}) than the cross-encoder's ({}); they must be the same", bi.len(), holdout.len());
        }
    }
    let mut held: Vec<usize> = holdout.keys().copied().collect();
    held.sort_unstable();
    let rest: Vec<usize> = (0..y.len()).filter(|i| !holdout.contains_key(i)).collect();
    let forest = Forest::fit(&rest.iter().map(|&i| fitted.features[i].clone()).collect::<Vec<_>>(), &rest.iter().map(|&i| y[i]).collect::<Vec<_>>(), &fitted.params, |_| {});
    let trees: Vec<f32> = held.iter().map(|&i| forest.predict(&fitted.features[i]).clamp(0.0, MAX_SCORE)).collect();
    let cross: Vec<f32> = held.iter().map(|i| holdout[i]).collect();
    let bis: Vec<f32> = held.iter().map(|i| bi.map_or(0.0, |b| b[i])).collect();
    let gold: Vec<f32> = held.iter().map(|&i| y[i]).collect();
    let mut best = (
        Blend {
            adapter: bundled_adapters_id(),
            weight: 0.0,
            bi_weight: 0.0,
            calibration: Vec::new(),
            holdout_pairs: held.len(),
            holdout_spearman: HoldoutSpearman { trees: 0.0, cross: 0.0, bi: None, blend: f64::MIN },
        },
        f64::MIN,
    );
    for step in 0..=if with_cross { 20 } else { 0 } {
        for bi_step in 0..=if bi.is_some() { 20 - step } else { 0 } {
            let (weight, bi_weight) = (step as f32 / 20.0, bi_step as f32 / 20.0);
            let b = Blend { weight, bi_weight, ..best.0.clone() };
            let mixed: Vec<f32> = (0..held.len()).map(|k| b.raw(trees[k], cross[k], bis[k])).collect();
            let s = spearman(&mixed, &gold);
            log(&format!("blend weights cross-encoder {weight:.2} bi-encoder {bi_weight:.2}: held-out spearman {s:.4}"));
            if s > best.1 + 1e-9 {
                best = (b, s);
            }
        }
    }
    let (mut blend, _) = best;
    let raw: Vec<f32> = (0..held.len()).map(|k| blend.raw(trees[k], cross[k], bis[k])).collect();
    blend.calibration = isotonic(&raw, &gold);
    let s = spearman(&(0..held.len()).map(|k| blend.mix(trees[k], cross[k], bis[k])).collect::<Vec<_>>(), &gold);
    blend.holdout_spearman = HoldoutSpearman { trees: spearman(&trees, &gold), cross: spearman(&cross, &gold), bi: bi.map(|_| spearman(&bis, &gold)), blend: s };
    let h = blend.holdout_spearman;
    log(&format!(
        "calibration: {} knots, blended {:.2} → {:.2} … {:.2} → {:.2}",
        blend.calibration.len(),
        blend.calibration.first().map_or(0.0, |k| k.0),
        blend.calibration.first().map_or(0.0, |k| k.1),
        blend.calibration.last().map_or(0.0, |k| k.0),
        blend.calibration.last().map_or(0.0, |k| k.1)
    ));
    log(&format!(
        "chosen blend{} weights cross-encoder {:.2} bi-encoder {:.2} on {} held-out pairs (trees {:.4}, cross-encoder {:.4}, bi-encoder {}, blend {:.4})",
        if with_cross { "" } else { " without the cross-encoder" },
        blend.weight,
        blend.bi_weight,
        held.len(),
        h.trees,
        h.cross,
        h.bi.map_or("-".into(), |b| format!("{b:.4}")),
        h.blend
    ));
    Ok(blend)
}

/// What [`fit`] learns.
pub struct Fitted {
    /// Each pair's features, the ridge's out-of-fold prediction last.
    pub features: Vec<Vec<f32>>,
    pub ridge: Ridge,
    pub forest: Forest,
    pub params: Params,
    pub cv_spearman: f64,
}

/// Ridge penalties tried.
const LAMBDAS: [f64; 5] = [1.0, 3.0, 10.0, 30.0, 100.0];

/// Learns from pairs' features and interactions: the ridge penalty with the
/// best cross-validated Spearman; the ridge's out-of-fold predictions as the
/// last feature (so the trees learn how far to trust it on pairs it has not
/// seen); the trees' settings by cross-validation; then both refitted on all pairs.
pub fn fit(mut base: Vec<Vec<f32>>, z: &[Vec<f32>], y: &[f32], grid: &Grid, log: &mut impl FnMut(&str)) -> Fitted {
    let folds = grid.folds.max(2);
    let fold_of = fold_assignment(y.len(), folds);
    let oof = |lambda: f64| {
        let mut pred = vec![0f32; y.len()];
        for k in 0..folds {
            let train: Vec<usize> = (0..y.len()).filter(|&i| fold_of[i] != k).collect();
            let r = Ridge::fit(&train.iter().map(|&i| z[i].clone()).collect::<Vec<_>>(), &train.iter().map(|&i| y[i]).collect::<Vec<_>>(), lambda);
            for i in (0..y.len()).filter(|&i| fold_of[i] == k) {
                pred[i] = r.predict(&z[i]);
            }
        }
        pred
    };
    let mut best = (LAMBDAS[0], f64::MIN, Vec::new());
    for lambda in LAMBDAS {
        let pred = oof(lambda);
        let s = spearman(&pred, y);
        log(&format!("ridge lambda {lambda}: cv spearman {s:.4}"));
        if s > best.1 {
            best = (lambda, s, pred);
        }
    }
    let (lambda, _, pred) = best;
    for (f, p) in base.iter_mut().zip(pred) {
        f.push(p);
    }
    let (params, cv_spearman) = cross_validate(&base, y, grid, log);
    log(&format!("chosen: ridge lambda {lambda}; trees depth {} min_leaf {} rate {} trees {} (cv spearman {cv_spearman:.4})", params.depth, params.min_leaf, params.rate, params.trees));
    let forest = Forest::fit(&base, y, &params, |_| {});
    Fitted { features: base, ridge: Ridge::fit(z, y, lambda), forest, params, cv_spearman }
}

/// Rows dealt to folds in a fixed shuffled order.
fn fold_assignment(n: usize, folds: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut state = 0x5EED_u64;
    for i in (1..order.len()).rev() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        order.swap(i, (state >> 33) as usize % (i + 1));
    }
    let mut fold_of = vec![0; n];
    for (k, &i) in order.iter().enumerate() {
        fold_of[i] = k % folds;
    }
    fold_of
}

/// The settings (tree count included) with the best mean Spearman over the folds.
pub fn cross_validate(x: &[Vec<f32>], y: &[f32], grid: &Grid, log: &mut impl FnMut(&str)) -> (Params, f64) {
    let folds = grid.folds.max(2);
    let fold_of = fold_assignment(x.len(), folds);
    let mut best = (grid.params[0], f64::MIN);
    for p in &grid.params {
        let checks = p.trees / grid.every.max(1);
        let mut sums = vec![0f64; checks];
        for k in 0..folds {
            let train: Vec<usize> = (0..x.len()).filter(|&i| fold_of[i] != k).collect();
            let test: Vec<usize> = (0..x.len()).filter(|&i| fold_of[i] == k).collect();
            let tx: Vec<Vec<f32>> = train.iter().map(|&i| x[i].clone()).collect();
            let ty: Vec<f32> = train.iter().map(|&i| y[i]).collect();
            let gold: Vec<f32> = test.iter().map(|&i| y[i]).collect();
            let mut pred: Vec<f32> = Vec::new();
            Forest::fit(&tx, &ty, p, |f| {
                let last = f.trees.last().expect("a tree");
                if pred.is_empty() {
                    pred = vec![f.base; test.len()];
                }
                for (v, &i) in pred.iter_mut().zip(&test) {
                    *v += last.predict(&x[i]);
                }
                if f.trees.len() % grid.every.max(1) == 0 && f.trees.len() / grid.every.max(1) <= checks {
                    sums[f.trees.len() / grid.every.max(1) - 1] += spearman(&pred, &gold);
                }
            });
        }
        for (c, s) in sums.iter().enumerate() {
            let mean = s / folds as f64;
            if mean > best.1 {
                best = (Params { trees: (c + 1) * grid.every.max(1), ..*p }, mean);
            }
        }
        let (c, s) = sums.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap_or((0, &0.0));
        log(&format!("depth {} min_leaf {} rate {}: cv spearman {:.4} at {} trees", p.depth, p.min_leaf, p.rate, s / folds as f64, (c + 1) * grid.every.max(1)));
    }
    best
}

#[cfg(test)]
mod tests {
    #[test]
    fn isotonic_calibration_pools_violators_and_interpolates() {
        let x = [1.0, 2.0, 3.0, 4.0, 5.0, 5.0];
        let y = [0.0, 2.0, 1.0, 3.0, 4.0, 5.0];
        // 2.0 → 2 and 3.0 → 1 violate the order: pooled into (2.5, 1.5); the two 5.0s share a block.
        let k = super::isotonic(&x, &y);
        assert_eq!(k, vec![(1.0, 0.0), (2.5, 1.5), (4.0, 3.0), (5.0, 4.5)]);
        assert_eq!(super::calibrate(&k, 0.0), 0.0);
        assert_eq!(super::calibrate(&k, 3.25), 2.25);
        assert_eq!(super::calibrate(&k, 9.0), 4.5);
        assert_eq!(super::calibrate(&[], 3.3), 3.3);
        // Non-decreasing everywhere.
        let ys: Vec<f32> = (0..100).map(|i| super::calibrate(&k, i as f32 * 0.06)).collect();
        assert!(ys.windows(2).all(|w| w[1] >= w[0]));
    }

    #[test]
    fn the_gate_keeps_each_sentences_best_pairs_above_it() {
        let pairs = [("a", "x"), ("a", "y"), ("a", "z"), ("a", "w"), ("b", "x"), ("c", "v")];
        let scores = [4.0, 3.0, 2.5, 2.0, 1.0, 1.6];
        // b–x is under the gate; every other pair is the best of one of its sentences (x, y, z, w, v).
        assert_eq!(super::gated(&pairs, &scores, 1.5, 3), vec![0, 1, 2, 3, 5]);
        assert_eq!(super::gated(&pairs, &scores, 1.5, 1), vec![0, 1, 2, 3, 5]);
        assert_eq!(super::gated(&pairs, &scores, 3.5, 3), vec![0]);
        // a–x is best for a and x, b–y for b, a–y for y; b–x is nobody's best.
        let crowded = [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")];
        assert_eq!(super::gated(&crowded, &[4.0, 3.0, 2.0, 2.5], 1.5, 1), vec![0, 1, 3]);
        assert_eq!(super::gated(&crowded, &[4.0, 3.0, 2.0, 2.5], 1.5, 2), vec![0, 1, 2, 3]);
    }
}
