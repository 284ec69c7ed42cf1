//! The encoder's linear maps in 8-bit integers, on processors with AVX-512 VNNI.
//!
//! Nearly all of a forward pass is its four linear maps per layer, and f32
//! `gemm` already runs them near the FMA units' peak. AVX-512 VNNI's
//! `vpdpbusd` multiplies 64 pairs of bytes and adds them into 16 i32 sums in
//! one instruction: on the processors measured here three to five times the
//! multiply-adds per second of f32 FMA (`vdpbf16ps`, bfloat16, gave fewer
//! than f32 and was dropped). So the linear maps run in int8, the way
//! dynamically quantised BERT models run in ONNX Runtime and PyTorch:
//!
//! - each weight column is scaled to ±127 once, when the model loads
//!   (symmetric, per output column);
//! - each input row is scaled to ±127 as the map starts (per row, from its
//!   largest magnitude) and shifted by 128 into the unsigned bytes the
//!   instruction takes; the shift comes back out exactly through the
//!   column's sum of weights;
//! - the i32 sums are scaled back to f32 and added to the output, which
//!   already holds the bias and the residual.
//!
//! The norms, the attention, GELU and everything between the maps stay f32.
//! The sentence vectors move by about a hundredth of their length at worst
//! (the tests bound it against the f32 pass, which stays the reference and
//! the path on other processors; [`crate::Precision::F32`] or
//! `DOSSIER_ENCODER=f32` asks for it).

use rayon::prelude::*;

/// Columns per block: one 512-bit register of i32 sums.
const COLS: usize = 16;
/// Inputs per 32-bit lane of `vpdpbusd`.
const QUAD: usize = 4;
/// Rows a micro-kernel call works on (6 rows × 4 column blocks = 24 sums in
/// registers, with 4 weight vectors and a broadcast: 29 of the 32).
const ROWS: usize = 6;
/// Column blocks per micro-kernel call.
const BLOCKS: usize = 4;

/// A weight in int8, laid out column block by column block: for block `b` and input quad `q`, 64 bytes
/// `w[4q..4q + 4][16b + j]` for `j` in 0..16.
pub(crate) struct Packed {
    data: Vec<i8>,
    /// Per output column: the factor back to the weight's scale.
    scale: Vec<f32>,
    /// Per output column: 128 × the column's sum of quantised weights (what
    /// the inputs' shift by 128 added to each sum).
    shift: Vec<f32>,
    /// Per input channel: what the input is multiplied by before it is
    /// quantised (the inverse of the factor folded into the weight's row).
    unsmooth: Option<Vec<f32>>,
    inp: usize,
    out: usize,
}

/// Whether this processor runs the int8 kernels.
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// 1.5 · 2²³: adding it rounds an f32 below 2²² to an integer (ties to
/// even), which then sits in the low bits of the sum's representation.
const MAGIC: f32 = 12_582_912.0;

/// `v` rounded to the nearest integer, for |v| ≤ 127, as its low byte
/// (integer arithmetic on the bits vectorises; `as i8` saturates and does not).
#[inline(always)]
fn round_to_byte(v: f32) -> u8 {
    (v + MAGIC).to_bits() as u8
}

impl Packed {
    /// The weight laid out for the kernel, from PyTorch's layout (`out ×
    /// inp`, output-major: each output column's weights side by side, so a
    /// column's scale and its quads are read in order); None when this
    /// processor lacks the instructions or the shape does not fit the blocks
    /// (an input width not a multiple of 4, an output width not a multiple
    /// of 16).
    ///
    /// `input_size`, when given, is how large each input channel runs (for
    /// a map reading a layer norm's output, `3·|γ| + |β|`): the inputs are
    /// divided and the weight's rows multiplied by `√(input size / row's
    /// largest weight)` (SmoothQuant's balance, α = ½), so a few loud
    /// channels do not take all of a row's 8 bits from the quiet ones.
    pub(crate) fn new(w: &[f32], inp: usize, out: usize, input_size: Option<&[f32]>) -> Option<Packed> {
        if !available() || !inp.is_multiple_of(QUAD) || !out.is_multiple_of(COLS) || w.len() != inp * out || input_size.is_some_and(|a| a.len() != inp) {
            return None;
        }
        let smooth: Option<Vec<f32>> = input_size.map(|a| {
            let mut largest = vec![0f32; inp];
            for column in w.chunks_exact(inp) {
                for (m, v) in largest.iter_mut().zip(column) {
                    *m = m.max(v.abs());
                }
            }
            largest.iter().zip(a).map(|(&m, &a)| if m > 0.0 && a > 0.0 { (a / m).sqrt() } else { 1.0 }).collect()
        });
        let quads = inp / QUAD;
        let block_len = quads * QUAD * COLS;
        let mut data = vec![0i8; inp * out];
        let mut scale = vec![0f32; out];
        let mut sums = vec![0i32; out];
        // A block of 16 columns fills its own stretch of `data`: blocks on all cores.
        data.par_chunks_mut(block_len).zip(scale.par_chunks_mut(COLS)).zip(sums.par_chunks_mut(COLS)).enumerate().for_each(|(b, ((block, scale), sums))| {
            let mut column = vec![0f32; inp];
            for j in 0..COLS {
                let src = &w[(b * COLS + j) * inp..][..inp];
                match &smooth {
                    Some(f) => column.iter_mut().zip(src).zip(f).for_each(|((c, &v), &f)| *c = v * f),
                    None => column.copy_from_slice(src),
                }
                let largest = column.iter().fold(0f32, |m, v| m.max(v.abs()));
                let s = if largest > 0.0 { largest / 127.0 } else { 1.0 };
                let mut sum = 0i32;
                for (q, four) in column.chunks_exact(QUAD).enumerate() {
                    let at = q * QUAD * COLS + QUAD * j;
                    for (t, &v) in four.iter().enumerate() {
                        let x = (v / s).round().clamp(-127.0, 127.0) as i8;
                        block[at + t] = x;
                        sum += x as i32;
                    }
                }
                scale[j] = s;
                sums[j] = sum;
            }
        });
        let shift: Vec<f32> = sums.iter().map(|&n| 128.0 * n as f32).collect();
        let unsmooth = smooth.map(|f| f.iter().map(|v| 1.0 / v).collect());
        Some(Packed { data, scale, shift, unsmooth, inp, out })
    }

    /// `out += x · w` for `rows` rows (row-major, `inp` and `out` wide).
    pub(crate) fn matmul_add(&self, x: &[f32], out: &mut [f32], rows: usize) {
        assert!(x.len() >= rows * self.inp && out.len() >= rows * self.out);
        let (xq, row_scale) = quantise_rows(&x[..rows * self.inp], self.inp, self.unsmooth.as_deref());
        // SAFETY: `available()` held when the weight was packed (`new`), and
        // the assert above bounds every row the kernels read and write.
        #[cfg(target_arch = "x86_64")]
        unsafe {
            kernels::matmul_add(self, &xq, &row_scale, out, rows)
        }
    }
}

/// Each row (times `unsmooth`, channel by channel, when given) scaled to
/// ±127 by its largest magnitude and shifted by 128 into a byte; and each
/// row's factor back.
fn quantise_rows(x: &[f32], width: usize, unsmooth: Option<&[f32]>) -> (Vec<u8>, Vec<f32>) {
    let mut q = vec![0u8; x.len()];
    let mut scales = Vec::with_capacity(x.len() / width);
    let mut row_buf = vec![0f32; width];
    for (row, out) in x.chunks_exact(width).zip(q.chunks_exact_mut(width)) {
        let row = match unsmooth {
            Some(f) => {
                for ((b, &v), &f) in row_buf.iter_mut().zip(row).zip(f) {
                    *b = v * f;
                }
                &row_buf[..]
            }
            None => row,
        };
        let largest = row.iter().fold(0f32, |m, v| m.max(v.abs()));
        let s = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        let inv = 1.0 / s;
        for (o, &v) in out.iter_mut().zip(row) {
            *o = round_to_byte(v * inv).wrapping_add(128);
        }
        scales.push(s);
    }
    (q, scales)
}

#[cfg(target_arch = "x86_64")]
mod kernels {
    use std::arch::x86_64::*;

    use super::{Packed, BLOCKS, COLS, QUAD, ROWS};

    /// All rows against all column blocks: for each group of `BLOCKS`
    /// column blocks (their weights stay in the cache), every row, `ROWS`
    /// at a time.
    #[target_feature(enable = "avx512f,avx512vnni")]
    pub(super) unsafe fn matmul_add(w: &Packed, x: &[u8], row_scale: &[f32], out: &mut [f32], rows: usize) {
        let (inp, out_w) = (w.inp, w.out);
        let quads = inp / QUAD;
        let block_len = quads * QUAD * COLS;
        let blocks = out_w / COLS;
        let mut b = 0;
        while b < blocks {
            let nb = (blocks - b).min(BLOCKS);
            let t = Tile { w: w.data.as_ptr().add(b * block_len), block_len, quads, scale: w.scale.as_ptr().add(b * COLS), shift: w.shift.as_ptr().add(b * COLS), out_w, inp };
            let mut r = 0;
            while r < rows {
                let mr = (rows - r).min(ROWS);
                let xp = x.as_ptr().add(r * inp);
                let sp = row_scale.as_ptr().add(r);
                let op = out.as_mut_ptr().add(r * out_w + b * COLS);
                macro_rules! call {
                    ($($m:literal),*) => {
                        match (mr, nb) {
                            $(($m, 4) => tile::<$m, 4>(&t, xp, sp, op),
                              ($m, 3) => tile::<$m, 3>(&t, xp, sp, op),
                              ($m, 2) => tile::<$m, 2>(&t, xp, sp, op),
                              ($m, _) => tile::<$m, 1>(&t, xp, sp, op),)*
                            _ => unreachable!("rows per tile are 1..=ROWS"),
                        }
                    };
                }
                call!(1, 2, 3, 4, 5, 6);
                r += mr;
            }
            b += nb;
        }
    }

    /// Where a tile's column blocks and their factors are.
    struct Tile {
        w: *const i8,
        block_len: usize,
        quads: usize,
        scale: *const f32,
        shift: *const f32,
        out_w: usize,
        inp: usize,
    }

    /// `MR` rows × `NB` column blocks: i32 sums in registers over all input
    /// quads, then scaled back and added to the output.
    #[target_feature(enable = "avx512f,avx512vnni")]
    #[inline]
    unsafe fn tile<const MR: usize, const NB: usize>(t: &Tile, x: *const u8, row_scale: *const f32, out: *mut f32) {
        let mut acc = [[_mm512_setzero_si512(); NB]; MR];
        for q in 0..t.quads {
            let mut wv = [_mm512_setzero_si512(); NB];
            for (b, v) in wv.iter_mut().enumerate() {
                *v = _mm512_loadu_si512(t.w.add(b * t.block_len + q * QUAD * COLS) as *const _);
            }
            for (r, row) in acc.iter_mut().enumerate() {
                // The row's four inputs 4q..4q + 4, as one 32-bit lane everywhere.
                let quad = std::ptr::read_unaligned(x.add(r * t.inp + QUAD * q) as *const i32);
                let xv = _mm512_set1_epi32(quad);
                for (a, v) in row.iter_mut().zip(&wv) {
                    *a = _mm512_dpbusd_epi32(*a, xv, *v);
                }
            }
        }
        for (r, row) in acc.iter().enumerate() {
            let rs = _mm512_set1_ps(*row_scale.add(r));
            for (b, a) in row.iter().enumerate() {
                let col = b * COLS;
                let unshifted = _mm512_sub_ps(_mm512_cvtepi32_ps(*a), _mm512_loadu_ps(t.shift.add(col)));
                let factor = _mm512_mul_ps(rs, _mm512_loadu_ps(t.scale.add(col)));
                let o = out.add(r * t.out_w + col);
                _mm512_storeu_ps(o, _mm512_fmadd_ps(unshifted, factor, _mm512_loadu_ps(o)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_to_nearest() {
        let back = |v: f32| round_to_byte(v).wrapping_add(128) as i32 - 128;
        assert_eq!([back(0.0), back(1.4), back(1.6), back(-1.6), back(127.0), back(-127.0), back(2.5)], [0, 1, 2, -2, 127, -127, 2]);
    }

    #[test]
    fn matches_an_f32_product_within_int8_rounding() {
        if !available() {
            eprintln!("no AVX-512 VNNI here: the f32 path is the only one");
            return;
        }
        // Shapes with every tail: rows not a multiple of 6, 5 column blocks
        // (one group of 4 and one of 1).
        let (rows, inp, out) = (13, 40, 80);
        // Input-major for the reference sums below; the packer reads PyTorch's output-major layout.
        let w: Vec<f32> = (0..inp * out).map(|i| ((i * 7919 % 1000) as f32 / 500.0 - 1.0) * 0.3).collect();
        let w_out_major: Vec<f32> = (0..out * inp).map(|i| w[(i % inp) * out + i / inp]).collect();
        let x: Vec<f32> = (0..rows * inp).map(|i| (i * 104_729 % 997) as f32 / 498.0 - 1.0).collect();
        let bias: Vec<f32> = (0..rows * out).map(|i| (i % 11) as f32 * 0.1).collect();
        let mut got = bias.clone();
        Packed::new(&w_out_major, inp, out, None).expect("packs").matmul_add(&x, &mut got, rows);
        for r in 0..rows {
            let x_step = x[r * inp..(r + 1) * inp].iter().fold(0f32, |m, v| m.max(v.abs())) as f64 / 127.0;
            for c in 0..out {
                let w_step = (0..inp).map(|k| w[k * out + c].abs()).fold(0f32, f32::max) as f64 / 127.0;
                let want: f64 = bias[r * out + c] as f64 + (0..inp).map(|k| x[r * inp + k] as f64 * w[k * out + c] as f64).sum::<f64>();
                // Each input and weight is off by at most half a step.
                let bound: f64 = (0..inp).map(|k| (x[r * inp + k] as f64).abs() * w_step / 2.0 + (w[k * out + c] as f64).abs() * x_step / 2.0 + x_step * w_step / 4.0).sum();
                let err = (got[r * out + c] as f64 - want).abs();
                assert!(err <= bound + 1e-4, "row {r} col {c}: {} vs {want} (bound {bound})", got[r * out + c]);
            }
        }
        assert!(Packed::new(&w_out_major, inp + 1, out, None).is_none() && Packed::new(&w_out_major[..inp * 72], inp, 72, None).is_none());
    }
}
