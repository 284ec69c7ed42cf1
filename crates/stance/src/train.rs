//! Training: features of every labelled pair, then k-fold cross-validation
//! grouped by body (a body's pairs are all in one fold, so every validation
//! body is unseen) to choose the tree depth, the number of trees of each
//! stage, how much `disagree` rows weigh, the related threshold and the class
//! offsets, by the macro-F1 of the out-of-fold predictions; then both stages
//! fitted on all pairs with those settings.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Result};
use dossier_model::Stance;
use dossier_similarity::gbdt::{Forest, Params};
use serde::{Deserialize, Serialize};

use crate::linear::Linear;
use crate::{decide_class, features, fnc, Body, Idf, Model, Text, CLASSES, FORMAT};

/// Bodies read once each, by body ID; a row naming a body the file lacks is refused.
pub fn bodies_of<'a>(rows: &[fnc::Row], texts: &'a HashMap<String, String>, stances: &Path) -> Result<HashMap<&'a str, Body>> {
    let mut out = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let Some((id, text)) = texts.get_key_value(&r.body_id) else { bail!("{}: row {}: body ID {:?} is not in the bodies file", stances.display(), i + 2, r.body_id) };
        out.entry(id.as_str()).or_insert_with(|| Body::of_text(text));
    }
    Ok(out)
}

/// A model from labelled FNC-1 files (every row labelled), `folds`-fold cross-validated by body.
pub fn from_files(stances: &Path, bodies: &Path, folds: usize, mut log: impl FnMut(&str)) -> Result<Model> {
    let rows = fnc::read_stances(stances)?;
    let texts = fnc::read_bodies(bodies)?;
    if let Some(i) = rows.iter().position(|r| r.stance.is_none()) {
        bail!("{}: row {} has no stance; training needs every row labelled", stances.display(), i + 2);
    }
    let read = bodies_of(&rows, &texts, stances)?;
    // IDF over the bodies used and the distinct headlines: what a training pair could know.
    let mut headlines: Vec<&str> = rows.iter().map(|r| r.headline.as_str()).collect();
    headlines.sort_unstable();
    headlines.dedup();
    let headline_terms: Vec<Vec<String>> = headlines.iter().map(|h| Text::new(h).terms).collect();
    let body_terms: Vec<Vec<String>> = read.values().map(|b| b.sentences.iter().flat_map(|s| s.terms.iter().cloned()).collect()).collect();
    let idf = Idf::fit(headline_terms.iter().chain(&body_terms).map(Vec::as_slice), 2);
    // Fold groups: the body ID (a number in FNC-1; otherwise its place).
    let ids: HashMap<&str, u64> = read.keys().enumerate().map(|(i, k)| (*k, k.parse::<u64>().unwrap_or(i as u64 + (1 << 40)))).collect();
    let labelled: Vec<Labelled> = rows
        .iter()
        .map(|r| {
            let (features, bag) = features::read(&idf, &Text::new(&r.headline), &read[r.body_id.as_str()]);
            Labelled { features, bag, stance: r.stance.expect("checked above"), body: ids[r.body_id.as_str()] }
        })
        .collect();
    log(&format!("{} pairs, {} bodies, {} features; cross-validating in {folds} folds by body", labelled.len(), read.len(), features::NAMES.len()));
    Ok(train(labelled, idf, folds, log))
}

/// What training chose and how it did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Training {
    pub pairs: usize,
    pub bodies: usize,
    pub folds: usize,
    pub depth: usize,
    pub related_trees: usize,
    pub class_trees: usize,
    /// Times each `disagree` pair counts in the second stage.
    pub disagree_weight: usize,
    /// Cross-validated macro-F1 over the four stances, and per stance (agree, disagree, discuss, unrelated).
    pub cv_macro_f1: f32,
    pub cv_f1: Vec<f32>,
}

/// One labelled pair: its features, its stance, and its body (the fold group).
#[derive(Debug, Clone)]
pub struct Labelled {
    /// The first [`features::OWN`] features; training appends the regression's.
    pub features: Vec<f32>,
    pub bag: Vec<u32>,
    pub stance: Stance,
    pub body: u64,
}

/// The settings tried.
const DEPTHS: [usize; 2] = [4, 6];
const WEIGHTS: [usize; 3] = [1, 3, 6];
/// Trees are counted at these checkpoints of one fit.
const CHECKPOINTS: [usize; 4] = [100, 200, 300, 400];

fn params(depth: usize, trees: usize) -> Params {
    Params { trees, depth, rate: 0.05, min_leaf: 10, subsample: 0.8, lambda: 1.0, seed: 7 }
}

/// Out-of-fold scores at each checkpoint: `[checkpoint][row]`.
type Oof = Vec<Vec<f32>>;

/// Fits `y` on the rows `fit` (each `repeat(row)` times) and returns the scores of the rows
/// `score` at each checkpoint.
fn fit_scored(x: &[Labelled], fit: &[usize], repeat: &dyn Fn(&Labelled) -> usize, y: &dyn Fn(&Labelled) -> f32, score: &[usize], depth: usize) -> Oof {
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for &i in fit {
        for _ in 0..repeat(&x[i]) {
            xs.push(x[i].features.clone());
            ys.push(y(&x[i]));
        }
    }
    let mut running = vec![0f32; score.len()];
    let mut out = Vec::new();
    let mut seen = 0;
    Forest::fit(&xs, &ys, &params(depth, *CHECKPOINTS.last().unwrap()), |forest| {
        let t = forest.trees.last().expect("a tree was just added");
        for (r, &i) in running.iter_mut().zip(score) {
            *r += t.predict(&x[i].features);
        }
        seen += 1;
        if CHECKPOINTS.contains(&seen) {
            out.push(running.iter().map(|r| r + forest.base).collect());
        }
    });
    out
}

/// Per-stance F1 (in [`Stance::ALL`] order) and their mean.
pub fn f1s(gold: &[Stance], pred: &[Stance]) -> (Vec<f32>, f32) {
    let f: Vec<f32> = Stance::ALL
        .iter()
        .map(|&c| {
            let tp = gold.iter().zip(pred).filter(|(g, p)| **g == c && **p == c).count() as f32;
            let fp = gold.iter().zip(pred).filter(|(g, p)| **g != c && **p == c).count() as f32;
            let fn_ = gold.iter().zip(pred).filter(|(g, p)| **g == c && **p != c).count() as f32;
            if tp == 0.0 {
                0.0
            } else {
                2.0 * tp / (2.0 * tp + fp + fn_)
            }
        })
        .collect();
    let m = f.iter().sum::<f32>() / f.len() as f32;
    (f, m)
}

/// The best decision settings found on out-of-fold scores.
#[derive(Debug, Clone, Copy)]
struct Choice {
    macro_f1: f32,
    depth: usize,
    weight: usize,
    related_trees: usize,
    class_trees: usize,
    threshold: f32,
    offsets: [f32; 3],
}

/// Trains a model on labelled pairs with `folds`-fold cross-validation grouped by body;
/// `log` hears progress and each setting's cross-validated figure.
pub fn train(mut rows: Vec<Labelled>, idf: Idf, folds: usize, mut log: impl FnMut(&str)) -> Model {
    let folds = folds.max(2);
    let fold_of = |r: &Labelled| (r.body.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize % folds;
    // The body-word regression, stacked: each row's three probabilities come from a
    // regression fitted on the other folds' bodies, the shipped one on all of them.
    let fold: Vec<usize> = rows.iter().map(fold_of).collect();
    let mut stacked = vec![Vec::new(); rows.len()];
    for k in 0..folds {
        let fit: Vec<usize> = (0..rows.len()).filter(|&i| fold[i] != k && rows[i].stance != Stance::Unrelated).collect();
        let m = fit_linear(&rows, &fit);
        for i in (0..rows.len()).filter(|&i| fold[i] == k) {
            stacked[i] = m.predict(&rows[i].bag);
        }
    }
    for (r, p) in rows.iter_mut().zip(stacked) {
        r.features.extend(p);
    }
    let linear = fit_linear(&rows, &(0..rows.len()).filter(|&i| rows[i].stance != Stance::Unrelated).collect::<Vec<_>>());
    log("body-word regression stacked");
    let rows = &rows[..];
    let gold: Vec<Stance> = rows.iter().map(|r| r.stance).collect();
    let mut best: Option<Choice> = None;
    for depth in DEPTHS {
        // Stage one, out of fold.
        let mut related: Oof = vec![vec![0.0; rows.len()]; CHECKPOINTS.len()];
        let mut classes: Vec<Vec<Oof>> = vec![vec![vec![vec![0.0; rows.len()]; CHECKPOINTS.len()]; CLASSES.len()]; WEIGHTS.len()];
        for k in 0..folds {
            let fit: Vec<usize> = (0..rows.len()).filter(|&i| fold_of(&rows[i]) != k).collect();
            let held: Vec<usize> = (0..rows.len()).filter(|&i| fold_of(&rows[i]) == k).collect();
            let got = fit_scored(rows, &fit, &|_| 1, &|r| (r.stance != Stance::Unrelated) as u8 as f32, &held, depth);
            scatter(&mut related, &got, &held);
            let fit_related: Vec<usize> = fit.iter().copied().filter(|&i| rows[i].stance != Stance::Unrelated).collect();
            for (w, &weight) in WEIGHTS.iter().enumerate() {
                for (c, &class) in CLASSES.iter().enumerate() {
                    let got = fit_scored(rows, &fit_related, &|r| if r.stance == Stance::Disagree { weight } else { 1 }, &|r| (r.stance == class) as u8 as f32, &held, depth);
                    scatter(&mut classes[w][c], &got, &held);
                }
            }
            log(&format!("depth {depth}: fold {} of {folds} done", k + 1));
        }
        for (w, &weight) in WEIGHTS.iter().enumerate() {
            let c = choose(&gold, &related, &classes[w], depth, weight);
            log(&format!(
                "depth {depth}, disagree weight {weight}: cross-validated macro-F1 {:.4} ({} + {} trees, threshold {}, offsets {:?})",
                c.macro_f1, c.related_trees, c.class_trees, c.threshold, c.offsets
            ));
            if best.is_none_or(|b| c.macro_f1 > b.macro_f1) {
                best = Some(c);
            }
        }
    }
    let c = best.expect("settings were tried");
    // The figures of the chosen settings, per class, from the same out-of-fold predictions.
    log(&format!("chosen: depth {}, disagree weight {}, {} + {} trees; fitting on all {} pairs", c.depth, c.weight, c.related_trees, c.class_trees, rows.len()));
    let all: Vec<usize> = (0..rows.len()).collect();
    let xs: Vec<Vec<f32>> = rows.iter().map(|r| r.features.clone()).collect();
    let ys: Vec<f32> = rows.iter().map(|r| (r.stance != Stance::Unrelated) as u8 as f32).collect();
    let related = Forest::fit(&xs, &ys, &params(c.depth, c.related_trees), |_| {});
    let fit_related: Vec<usize> = all.into_iter().filter(|&i| rows[i].stance != Stance::Unrelated).collect();
    let class_forests = CLASSES
        .iter()
        .map(|&class| {
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            for &i in &fit_related {
                for _ in 0..if rows[i].stance == Stance::Disagree { c.weight } else { 1 } {
                    xs.push(rows[i].features.clone());
                    ys.push((rows[i].stance == class) as u8 as f32);
                }
            }
            Forest::fit(&xs, &ys, &params(c.depth, c.class_trees), |_| {})
        })
        .collect();
    let bodies = rows.iter().map(|r| r.body).collect::<std::collections::HashSet<_>>().len();
    let mut model = Model {
        format: FORMAT.into(),
        features: features::NAMES.iter().map(|s| s.to_string()).collect(),
        training: Training {
            pairs: rows.len(),
            bodies,
            folds,
            depth: c.depth,
            related_trees: c.related_trees,
            class_trees: c.class_trees,
            disagree_weight: c.weight,
            cv_macro_f1: c.macro_f1,
            cv_f1: Vec::new(),
        },
        idf,
        linear,
        related,
        threshold: c.threshold,
        classes: class_forests,
        offsets: c.offsets.to_vec(),
    };
    model.training.cv_f1 = cv_f1(&gold, &c, rows, folds, fold_of);
    model
}

/// The chosen settings' per-stance F1, out of fold (refitted at the chosen tree counts).
fn cv_f1(gold: &[Stance], c: &Choice, rows: &[Labelled], folds: usize, fold_of: impl Fn(&Labelled) -> usize) -> Vec<f32> {
    let mut pred = vec![Stance::Unrelated; rows.len()];
    let r = CHECKPOINTS.iter().position(|&t| t == c.related_trees).expect("a checkpoint");
    let k2 = CHECKPOINTS.iter().position(|&t| t == c.class_trees).expect("a checkpoint");
    for k in 0..folds {
        let fit: Vec<usize> = (0..rows.len()).filter(|&i| fold_of(&rows[i]) != k).collect();
        let held: Vec<usize> = (0..rows.len()).filter(|&i| fold_of(&rows[i]) == k).collect();
        let rel = &fit_scored(rows, &fit, &|_| 1, &|r| (r.stance != Stance::Unrelated) as u8 as f32, &held, c.depth)[r];
        let fit_related: Vec<usize> = fit.iter().copied().filter(|&i| rows[i].stance != Stance::Unrelated).collect();
        let scores: Vec<Vec<f32>> = CLASSES
            .iter()
            .map(|&class| fit_scored(rows, &fit_related, &|r| if r.stance == Stance::Disagree { c.weight } else { 1 }, &|r| (r.stance == class) as u8 as f32, &held, c.depth)[k2].clone())
            .collect();
        for (j, &i) in held.iter().enumerate() {
            pred[i] = if rel[j] < c.threshold { Stance::Unrelated } else { CLASSES[decide_class(&[scores[0][j], scores[1][j], scores[2][j]], &c.offsets).0] };
        }
    }
    f1s(gold, &pred).0
}

/// How much a `disagree` pair weighs in the body-word regression (a sixth as many as `agree`, a
/// tenth as many as `discuss`).
const LINEAR_DISAGREE_WEIGHT: f32 = 3.0;
const LINEAR_EPOCHS: usize = 4;

fn fit_linear(rows: &[Labelled], fit: &[usize]) -> Linear {
    let bags: Vec<&[u32]> = fit.iter().map(|&i| rows[i].bag.as_slice()).collect();
    let class: Vec<usize> = fit.iter().map(|&i| CLASSES.iter().position(|c| *c == rows[i].stance).expect("a related pair")).collect();
    let weight: Vec<f32> = fit.iter().map(|&i| if rows[i].stance == Stance::Disagree { LINEAR_DISAGREE_WEIGHT } else { 1.0 }).collect();
    Linear::fit(&bags, &class, &weight, CLASSES.len(), LINEAR_EPOCHS)
}

fn scatter(into: &mut Oof, got: &Oof, rows: &[usize]) {
    for (dst, src) in into.iter_mut().zip(got) {
        for (&i, &v) in rows.iter().zip(src) {
            dst[i] = v;
        }
    }
}

/// The tree counts, related threshold and class offsets that give the best out-of-fold macro-F1.
fn choose(gold: &[Stance], related: &Oof, classes: &[Oof], depth: usize, weight: usize) -> Choice {
    let thresholds: Vec<f32> = (6..=14).map(|k| k as f32 * 0.05).collect();
    let offsets: Vec<f32> = (-4..=12).map(|k| k as f32 * 0.05).collect();
    let mut best = Choice { macro_f1: -1.0, depth, weight, related_trees: 0, class_trees: 0, threshold: 0.5, offsets: [0.0; 3] };
    // Stage one first (by how well it tells related from unrelated), then stage two given it.
    let related_gold: Vec<bool> = gold.iter().map(|g| *g != Stance::Unrelated).collect();
    let mut stage1 = (f32::MIN, 0, 0.5);
    for (r, scores) in related.iter().enumerate() {
        for &t in &thresholds {
            let pred: Vec<bool> = scores.iter().map(|&s| s >= t).collect();
            let acc = pred.iter().zip(&related_gold).filter(|(p, g)| p == g).count() as f32;
            if acc > stage1.0 {
                stage1 = (acc, r, t);
            }
        }
    }
    let (_, r, t) = stage1;
    for (k, _) in CHECKPOINTS.iter().enumerate() {
        for &oa in &offsets {
            for &od in &offsets {
                let off = [oa, od, 0.0];
                let pred: Vec<Stance> =
                    (0..gold.len()).map(|i| if related[r][i] < t { Stance::Unrelated } else { CLASSES[decide_class(&[classes[0][k][i], classes[1][k][i], classes[2][k][i]], &off).0] }).collect();
                let (_, m) = f1s(gold, &pred);
                if m > best.macro_f1 {
                    best = Choice { macro_f1: m, depth, weight, related_trees: CHECKPOINTS[r], class_trees: CHECKPOINTS[k], threshold: t, offsets: off };
                }
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f1_per_class_and_macro() {
        use Stance::*;
        let (f, m) = f1s(&[Agree, Agree, Disagree, Unrelated], &[Agree, Disagree, Disagree, Unrelated]);
        assert!((f[0] - 2.0 / 3.0).abs() < 1e-6 && (f[1] - 2.0 / 3.0).abs() < 1e-6 && f[2] == 0.0 && f[3] == 1.0);
        assert!((m - (4.0 / 3.0 + 1.0) / 4.0).abs() < 1e-6);
    }
}
