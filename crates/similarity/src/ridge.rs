//! Ridge regression on the two sentence vectors' interaction (|u − v| and
//! u ⊙ v, 768 numbers): a learned, per-dimension generalisation of the cosine
//! (whose value is the sum of u ⊙ v). Its out-of-fold prediction is one more
//! feature for the trees.

use serde::{Deserialize, Serialize};

/// A fitted ridge regression.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ridge {
    pub lambda: f64,
    pub mean: Vec<f32>,
    pub bias: f32,
    pub weights: Vec<f32>,
}

/// The interaction of two unit sentence vectors: |u − v| then u ⊙ v.
pub fn interaction(u: &[f32], v: &[f32]) -> Vec<f32> {
    u.iter().zip(v).map(|(a, b)| (a - b).abs()).chain(u.iter().zip(v).map(|(a, b)| a * b)).collect()
}

impl Ridge {
    /// Least squares with an L2 penalty `lambda` on the weights (columns centred, bias unpenalised).
    pub fn fit(z: &[Vec<f32>], y: &[f32], lambda: f64) -> Ridge {
        let d = z.first().map_or(0, |r| r.len());
        let n = z.len().max(1) as f64;
        let mean: Vec<f64> = (0..d).map(|j| z.iter().map(|r| r[j] as f64).sum::<f64>() / n).collect();
        let ym = y.iter().map(|&v| v as f64).sum::<f64>() / n;
        let mut a = vec![0f64; d * d];
        let mut b = vec![0f64; d];
        let mut c = vec![0f64; d];
        for (r, &t) in z.iter().zip(y) {
            for (j, x) in c.iter_mut().enumerate() {
                *x = r[j] as f64 - mean[j];
            }
            for i in 0..d {
                b[i] += c[i] * (t as f64 - ym);
                let ci = c[i];
                let row = &mut a[i * d..i * d + i + 1];
                for (j, x) in row.iter_mut().enumerate() {
                    *x += ci * c[j];
                }
            }
        }
        for i in 0..d {
            a[i * d + i] += lambda;
        }
        let w = cholesky_solve(&mut a, &b, d);
        Ridge { lambda, mean: mean.iter().map(|&m| m as f32).collect(), bias: ym as f32, weights: w.iter().map(|&x| x as f32).collect() }
    }

    pub fn predict(&self, z: &[f32]) -> f32 {
        self.bias + z.iter().zip(&self.mean).zip(&self.weights).map(|((x, m), w)| (x - m) * w).sum::<f32>()
    }
}

/// Solves A x = b for symmetric positive definite A (lower triangle filled, overwritten).
fn cholesky_solve(a: &mut [f64], b: &[f64], d: usize) -> Vec<f64> {
    for j in 0..d {
        let mut s = a[j * d + j];
        for k in 0..j {
            s -= a[j * d + k] * a[j * d + k];
        }
        let l = s.max(1e-12).sqrt();
        a[j * d + j] = l;
        for i in j + 1..d {
            let mut s = a[i * d + j];
            for k in 0..j {
                s -= a[i * d + k] * a[j * d + k];
            }
            a[i * d + j] = s / l;
        }
    }
    let mut y = vec![0f64; d];
    for i in 0..d {
        let s: f64 = (0..i).map(|k| a[i * d + k] * y[k]).sum();
        y[i] = (b[i] - s) / a[i * d + i];
    }
    let mut x = vec![0f64; d];
    for i in (0..d).rev() {
        let s: f64 = (i + 1..d).map(|k| a[k * d + i] * x[k]).sum();
        x[i] = (y[i] - s) / a[i * d + i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_linear_rule() {
        let z: Vec<Vec<f32>> = (0..200).map(|i| vec![(i % 7) as f32, (i % 11) as f32 / 3.0, ((i * 13) % 17) as f32]).collect();
        let y: Vec<f32> = z.iter().map(|r| 1.0 + 2.0 * r[0] - 0.5 * r[1]).collect();
        let r = Ridge::fit(&z, &y, 1e-6);
        assert!((r.weights[0] - 2.0).abs() < 1e-3 && (r.weights[1] + 0.5).abs() < 1e-3 && r.weights[2].abs() < 1e-3, "{:?}", r.weights);
        assert!((r.predict(&[3.0, 3.0, 5.0]) - 5.5).abs() < 1e-3);
        // A heavy penalty shrinks the weights towards zero.
        assert!(Ridge::fit(&z, &y, 1e6).weights[0].abs() < 0.5);
        assert_eq!(interaction(&[1.0, 0.0], &[0.0, 1.0]), vec![1.0, 1.0, 0.0, 0.0]);
    }
}
