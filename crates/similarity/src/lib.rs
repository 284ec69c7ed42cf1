//! Do two news sentences state the same thing? A score from 0 (unrelated) to
//! 5 (same meaning), for aligning claims across outlets.
//!
//! Each sentence goes through all-MiniLM-L6-v2 once ([`dossier_embed`]); a
//! pair is then described by [`features::NAMES`]: the sentence cosine, a
//! soft alignment of the two sentences' wordpieces (BERTScore-style, plain
//! and IDF-weighted), word, stem and character-trigram overlap, word order
//! and length, and whether numbers, names and negation agree. Gradient-boosted
//! trees ([`gbdt`]) trained on the STS Benchmark's news pairs turn those into
//! the score. The trained combiner ships inside the crate
//! (`model/combiner.json`, made by `dossier train similarity`).
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! let dir = dossier_embed::locate().expect("model installed");
//! let sim = dossier_similarity::Similarity::load(&dir)?;
//! let s = sim.score("Quake of magnitude 7 hits Chile", "A 7.0 earthquake struck Chile")?;
//! assert!((0.0..=5.0).contains(&s));
//! # Ok(()) }
//! ```

pub mod data;
pub mod features;
pub mod gbdt;
pub mod head;

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use dossier_embed::Embedder;
use serde::{Deserialize, Serialize};

use crate::data::{spearman, Pair};
use crate::features::{pair_features, Idf, Prepared, NAMES};
use crate::gbdt::{Forest, Params};

/// Format tag of a combiner file.
pub const FORMAT: &str = "dossier-similarity/1";
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
    pub forest: Forest,
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
        if c.features != NAMES {
            bail!("made for other features ({}); retrain with `dossier train similarity`", c.features.join(", "));
        }
        if c.forest.features != NAMES.len() {
            bail!("trees read {} features, expected {}", c.forest.features, NAMES.len());
        }
        c.forest.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(c)
    }

    /// Compact JSON, rounded to what f32 holds.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("serialisable")
    }

    /// Score for one pair's features, clamped to 0..=5.
    pub fn predict(&self, features: &[f32]) -> f32 {
        self.forest.predict(features).clamp(0.0, MAX_SCORE)
    }
}

/// The scorer: the embedding model and a trained combiner.
pub struct Similarity {
    embedder: Embedder,
    combiner: Combiner,
}

impl Similarity {
    /// Loads the embedding model from `model_dir` (see [`dossier_embed::locate`]) with the bundled combiner.
    pub fn load(model_dir: &Path) -> anyhow::Result<Similarity> {
        let embedder = Embedder::load(model_dir).with_context(|| format!("loading the embedding model from {}", model_dir.display()))?;
        Ok(Similarity { embedder, combiner: Combiner::bundled()? })
    }

    pub fn new(embedder: Embedder, combiner: Combiner) -> Similarity {
        Similarity { embedder, combiner }
    }

    pub fn combiner(&self) -> &Combiner {
        &self.combiner
    }

    /// How much `a` and `b` state the same thing, 0 (unrelated) to 5 (same meaning).
    pub fn score(&self, a: &str, b: &str) -> anyhow::Result<f32> {
        Ok(self.score_pairs(&[(a, b)])?[0])
    }

    /// Scores many pairs, running the model once per distinct sentence.
    pub fn score_pairs(&self, pairs: &[(&str, &str)]) -> anyhow::Result<Vec<f32>> {
        Ok(self.features(pairs)?.iter().map(|f| self.combiner.predict(f)).collect())
    }

    /// The features of each pair (see [`features::NAMES`]).
    pub fn features(&self, pairs: &[(&str, &str)]) -> anyhow::Result<Vec<Vec<f32>>> {
        pair_matrix(&self.embedder, &self.combiner.idf, pairs)
    }
}

/// Features for pairs; each distinct sentence is embedded and prepared once.
pub fn pair_matrix(embedder: &Embedder, idf: &Idf, pairs: &[(&str, &str)]) -> anyhow::Result<Vec<Vec<f32>>> {
    let (texts, index) = distinct(pairs);
    let emb = embedder.embed_tokens(&texts)?;
    let prepared: Vec<Prepared> = texts.iter().zip(emb).map(|(t, e)| Prepared::new(t, e, idf)).collect();
    Ok(index.iter().map(|&(i, j)| pair_features(&prepared[i], &prepared[j])).collect())
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
        for depth in [2, 3, 4, 5] {
            for min_leaf in [8, 24] {
                params.push(Params { trees: 1000, depth, min_leaf, ..Params::default() });
            }
        }
        Grid { params, folds: 5, every: 50 }
    }
}

/// Trains a combiner on labelled pairs: IDF from their sentences, then the
/// tree settings (and tree count) with the best `folds`-fold cross-validated
/// Spearman, refitted on all pairs. `log` hears each setting's figure.
pub fn train(embedder: &Embedder, pairs: &[Pair], grid: &Grid, mut log: impl FnMut(&str)) -> anyhow::Result<Combiner> {
    if pairs.len() < grid.folds.max(2) * 10 {
        bail!("{} pairs: too few to train on (at least {})", pairs.len(), grid.folds.max(2) * 10);
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
    let (texts, _) = distinct(&refs);
    log(&format!("embedding {} distinct sentences", texts.len()));
    let emb = embedder.embed_tokens(&texts)?;
    let idf = Idf::count(emb.iter().map(|e| &e.ids[1..e.ids.len().saturating_sub(1).max(1)]));
    let x = {
        let prepared: HashMap<&str, Prepared> = texts.iter().zip(emb).map(|(t, e)| (*t, Prepared::new(t, e, &idf))).collect();
        refs.iter().map(|(a, b)| pair_features(&prepared[a], &prepared[b])).collect::<Vec<_>>()
    };
    let y: Vec<f32> = pairs.iter().map(|p| p.score).collect();
    let (params, cv_spearman) = cross_validate(&x, &y, grid, &mut log);
    log(&format!("chosen: depth {} min_leaf {} trees {} (cv spearman {cv_spearman:.4})", params.depth, params.min_leaf, params.trees));
    let forest = Forest::fit(&x, &y, &params, |_| {});
    Ok(Combiner {
        format: FORMAT.into(),
        model: dossier_embed::MODEL.into(),
        features: NAMES.iter().map(|s| s.to_string()).collect(),
        training: Training { pairs: pairs.len(), folds: grid.folds, params, cv_spearman },
        idf,
        forest,
    })
}

/// The settings (tree count included) with the best mean Spearman over the folds.
pub fn cross_validate(x: &[Vec<f32>], y: &[f32], grid: &Grid, log: &mut impl FnMut(&str)) -> (Params, f64) {
    let folds = grid.folds.max(2);
    // Rows dealt to folds in a fixed shuffled order.
    let mut order: Vec<usize> = (0..x.len()).collect();
    let mut state = 0x5EED_u64;
    for i in (1..order.len()).rev() {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        order.swap(i, (state >> 33) as usize % (i + 1));
    }
    let mut fold_of = vec![0; x.len()];
    for (k, &i) in order.iter().enumerate() {
        fold_of[i] = k % folds;
    }
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
        log(&format!("depth {} min_leaf {}: cv spearman {:.4} at {} trees", p.depth, p.min_leaf, s / folds as f64, (c + 1) * grid.every.max(1)));
    }
    best
}
