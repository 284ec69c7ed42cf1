//! A linear reading of the body's own words: hashed words of the whole body,
//! and words and word pairs of its lead and of its sentences closest to the
//! headline, into a multinomial logistic regression over agree / disagree /
//! discuss. Its three probabilities are features for the trees (stacked: in
//! training they come from regressions that never saw the row's body).

use serde::{Deserialize, Serialize};

/// Hashed word buckets.
pub const BUCKETS: usize = 1 << 16;

/// A word's bucket: FNV-1a, stable across builds and platforms (a shipped model depends on it).
pub fn bucket(region: u8, a: &str, b: Option<&str>) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: u8| {
        h ^= x as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(region);
    a.bytes().for_each(&mut eat);
    if let Some(b) = b {
        eat(b' ');
        b.bytes().for_each(&mut eat);
    }
    (h % BUCKETS as u64) as u32
}

/// A fitted regression: `weights[class][bucket]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Linear {
    pub bias: Vec<f32>,
    pub weights: Vec<Vec<f32>>,
}

impl Linear {
    /// Class probabilities of one bag of buckets (sorted, distinct).
    pub fn predict(&self, bag: &[u32]) -> Vec<f32> {
        let scale = 1.0 / (bag.len().max(1) as f32).sqrt();
        let z: Vec<f32> = self.weights.iter().zip(&self.bias).map(|(w, b)| b + scale * bag.iter().map(|&i| w.get(i as usize).copied().unwrap_or(0.0)).sum::<f32>()).collect();
        softmax(&z)
    }

    /// Stochastic gradient descent on the cross-entropy with an L2 penalty: `bags` with their
    /// class (index) and weight, `epochs` passes in a fixed shuffled order.
    pub fn fit(bags: &[&[u32]], class: &[usize], weight: &[f32], classes: usize, epochs: usize) -> Linear {
        let mut m = Linear { bias: vec![0.0; classes], weights: vec![vec![0.0; BUCKETS]; classes] };
        let mut order: Vec<usize> = (0..bags.len()).collect();
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let (rate0, l2) = (0.5f32, 1e-6f32);
        let mut step = 0usize;
        for _ in 0..epochs {
            for i in (1..order.len()).rev() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                order.swap(i, (rng % (i as u64 + 1)) as usize);
            }
            for &r in &order {
                let rate = rate0 / (1.0 + step as f32 * 1e-4);
                step += 1;
                let p = m.predict(bags[r]);
                let scale = 1.0 / (bags[r].len().max(1) as f32).sqrt();
                for (k, pk) in p.iter().enumerate() {
                    let g = weight[r] * (pk - (k == class[r]) as u8 as f32);
                    m.bias[k] -= rate * g;
                    let w = &mut m.weights[k];
                    for &i in bags[r] {
                        let x = &mut w[i as usize];
                        *x -= rate * (g * scale + l2 * *x);
                    }
                }
            }
        }
        // Four decimals are plenty, and keep the shipped file small.
        m.weights.iter_mut().flatten().for_each(|x| *x = (*x * 1e4).round() / 1e4);
        m
    }
}

fn softmax(z: &[f32]) -> Vec<f32> {
    let max = z.iter().copied().fold(f32::MIN, f32::max);
    let e: Vec<f32> = z.iter().map(|x| (x - max).exp()).collect();
    let s: f32 = e.iter().sum();
    e.iter().map(|x| x / s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_which_words_go_with_which_class() {
        let (a, b, c) = ([bucket(0, "hoax", None), bucket(0, "x", None)], [bucket(0, "confirmed", None)], [bucket(0, "reportedly", None)]);
        let bags: Vec<&[u32]> = (0..60)
            .map(|i| match i % 3 {
                0 => &a[..],
                1 => &b[..],
                _ => &c[..],
            })
            .collect();
        let class: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let m = Linear::fit(&bags, &class, &vec![1.0; 60], 3, 20);
        for (k, bag) in [&a[..], &b[..], &c[..]].iter().enumerate() {
            let p = m.predict(bag);
            assert!(p[k] > 0.8, "{k}: {p:?}");
        }
    }
}
