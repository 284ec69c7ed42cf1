//! Gradient-boosted regression trees (squared loss), small enough to read:
//! features are cut into quantile bins once, each tree grows depth-first on
//! bin histograms, leaves are shrunk by the learning rate and an L2 penalty.
//! Deterministic for a given seed.

use serde::{Deserialize, Serialize};

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Params {
    pub trees: usize,
    pub depth: usize,
    pub rate: f32,
    /// Fewest training rows in a leaf.
    pub min_leaf: usize,
    /// Share of rows each tree sees (drawn afresh per tree).
    pub subsample: f32,
    /// L2 penalty on leaf values.
    pub lambda: f32,
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params { trees: 400, depth: 4, rate: 0.05, min_leaf: 10, subsample: 0.8, lambda: 1.0, seed: 7 }
    }
}

/// A trained ensemble.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Forest {
    pub base: f32,
    pub features: usize,
    pub trees: Vec<Tree>,
}

/// One tree as a node list; node 0 is the root.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tree(pub Vec<Node>);

/// `(feature, threshold, left, right)` for a split (rows with `x[feature] <=
/// threshold` go left); `(-1, value, 0, 0)` for a leaf.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Node(pub i32, pub f32, pub u32, pub u32);

const BINS: usize = 64;

impl Forest {
    /// Predicts one row.
    pub fn predict(&self, x: &[f32]) -> f32 {
        self.base + self.trees.iter().map(|t| t.predict(x)).sum::<f32>()
    }

    /// Checks that a forest read from a file is well formed (node links in
    /// range and pointing forward, features in range), so prediction cannot
    /// index out of bounds or loop.
    pub fn validate(&self) -> Result<(), String> {
        for (k, t) in self.trees.iter().enumerate() {
            if t.0.is_empty() {
                return Err(format!("tree {k} has no nodes"));
            }
            for (i, n) in t.0.iter().enumerate() {
                if n.0 >= 0 && (n.0 as usize >= self.features || n.2 as usize <= i || n.3 as usize <= i || n.2 as usize >= t.0.len() || n.3 as usize >= t.0.len()) {
                    return Err(format!("tree {k} node {i} is malformed"));
                }
                if !n.1.is_finite() {
                    return Err(format!("tree {k} node {i} holds a non-finite number"));
                }
            }
        }
        Ok(())
    }

    /// Fits `trees` trees to rows `x` with targets `y`. `on_tree` is called
    /// after each tree with the forest so far (for checkpointed evaluation).
    pub fn fit(x: &[Vec<f32>], y: &[f32], p: &Params, mut on_tree: impl FnMut(&Forest)) -> Forest {
        let n = x.len();
        let d = x.first().map_or(0, |r| r.len());
        let cuts: Vec<Vec<f32>> = (0..d).map(|f| quantile_cuts(x.iter().map(|r| r[f]))).collect();
        let bins: Vec<Vec<u8>> = x.iter().map(|r| r.iter().zip(&cuts).map(|(&v, c)| c.partition_point(|&t| t < v) as u8).collect()).collect();
        let base = if n > 0 { y.iter().sum::<f32>() / n as f32 } else { 0.0 };
        let mut forest = Forest { base, features: d, trees: Vec::new() };
        let mut pred = vec![base; n];
        let mut rng = p.seed ^ 0x9E37_79B9_7F4A_7C15;
        for _ in 0..p.trees {
            let residual: Vec<f32> = y.iter().zip(&pred).map(|(y, p)| y - p).collect();
            let rows: Vec<usize> = (0..n).filter(|_| ((next(&mut rng) >> 11) as f64 / (1u64 << 53) as f64) < p.subsample as f64).collect();
            let mut nodes = Vec::new();
            grow(&mut nodes, &rows, &bins, &cuts, &residual, p, 0);
            let tree = Tree(nodes);
            for (i, r) in x.iter().enumerate() {
                pred[i] += tree.predict(r);
            }
            forest.trees.push(tree);
            on_tree(&forest);
        }
        forest
    }
}

impl Tree {
    /// This tree's contribution for one row.
    pub fn predict(&self, x: &[f32]) -> f32 {
        let mut i = 0;
        loop {
            let Node(f, t, l, r) = self.0[i];
            if f < 0 {
                return t;
            }
            i = if x[f as usize] <= t { l as usize } else { r as usize };
        }
    }
}

fn next(state: &mut u64) -> u64 {
    // splitmix64
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Up to BINS - 1 thresholds between distinct values at quantile positions.
fn quantile_cuts(values: impl Iterator<Item = f32>) -> Vec<f32> {
    let mut v: Vec<f32> = values.filter(|x| x.is_finite()).collect();
    v.sort_by(f32::total_cmp);
    v.dedup();
    if v.len() <= BINS {
        return v.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    }
    let mut cuts: Vec<f32> = (1..BINS).map(|k| k * v.len() / BINS).map(|i| (v[i - 1] + v[i]) / 2.0).collect();
    cuts.dedup();
    cuts
}

/// Grows the subtree for `rows` and returns its root's index in `nodes`.
fn grow(nodes: &mut Vec<Node>, rows: &[usize], bins: &[Vec<u8>], cuts: &[Vec<f32>], g: &[f32], p: &Params, depth: usize) -> u32 {
    let here = nodes.len();
    let sum: f32 = rows.iter().map(|&i| g[i]).sum();
    let leaf = Node(-1, p.rate * sum / (rows.len() as f32 + p.lambda), 0, 0);
    nodes.push(leaf);
    if depth >= p.depth || rows.len() < 2 * p.min_leaf {
        return here as u32;
    }
    let n = rows.len() as f32;
    let parent = sum * sum / (n + p.lambda);
    let mut best: Option<(f32, usize, usize)> = None; // gain, feature, bin
    for (f, c) in cuts.iter().enumerate() {
        if c.is_empty() {
            continue;
        }
        let mut hs = [0f32; BINS];
        let mut hn = [0usize; BINS];
        for &i in rows {
            let b = bins[i][f] as usize;
            hs[b] += g[i];
            hn[b] += 1;
        }
        let (mut ls, mut ln) = (0f32, 0usize);
        for b in 0..c.len() {
            ls += hs[b];
            ln += hn[b];
            let rn = rows.len() - ln;
            if ln < p.min_leaf || rn < p.min_leaf {
                continue;
            }
            let rs = sum - ls;
            let gain = ls * ls / (ln as f32 + p.lambda) + rs * rs / (rn as f32 + p.lambda) - parent;
            if gain > best.map_or(1e-6, |b| b.0) {
                best = Some((gain, f, b));
            }
        }
    }
    let Some((_, f, b)) = best else { return here as u32 };
    let (left, right): (Vec<usize>, Vec<usize>) = rows.iter().partition(|&&i| bins[i][f] as usize <= b);
    let l = grow(nodes, &left, bins, cuts, g, p, depth + 1);
    let r = grow(nodes, &right, bins, cuts, g, p, depth + 1);
    nodes[here] = Node(f as i32, cuts[f][b], l, r);
    here as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_step_and_an_interaction() {
        // y = 3 when x0 > 0.5 and x1 > 0.5, else 0: needs depth 2.
        let x: Vec<Vec<f32>> = (0..400).map(|i| vec![(i % 20) as f32 / 20.0, (i / 20) as f32 / 20.0, ((i * 7) % 13) as f32]).collect();
        let y: Vec<f32> = x.iter().map(|r| if r[0] > 0.5 && r[1] > 0.5 { 3.0 } else { 0.0 }).collect();
        let forest = Forest::fit(&x, &y, &Params { trees: 200, depth: 2, rate: 0.2, min_leaf: 5, subsample: 1.0, lambda: 0.0, seed: 1 }, |_| {});
        forest.validate().unwrap();
        assert!((forest.predict(&[0.9, 0.9, 3.0]) - 3.0).abs() < 0.1);
        assert!(forest.predict(&[0.9, 0.1, 3.0]).abs() < 0.1);
        assert!(forest.predict(&[0.1, 0.9, 3.0]).abs() < 0.1);
        let json = serde_json::to_string(&forest).unwrap();
        let back: Forest = serde_json::from_str(&json).unwrap();
        assert_eq!(back.predict(&[0.9, 0.9, 3.0]), forest.predict(&[0.9, 0.9, 3.0]));
    }

    #[test]
    fn malformed_forests_are_refused() {
        let f = Forest { base: 0.0, features: 2, trees: vec![Tree(vec![Node(0, 0.5, 0, 0)])] };
        assert!(f.validate().is_err());
        let f = Forest { base: 0.0, features: 2, trees: vec![Tree(vec![Node(5, 0.5, 1, 2), Node(-1, 1.0, 0, 0), Node(-1, 2.0, 0, 0)])] };
        assert!(f.validate().is_err());
    }
}
