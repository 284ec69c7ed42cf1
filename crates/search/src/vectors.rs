//! Article vectors beside the index: one contiguous `f32` matrix in memory,
//! searched by brute force in two passes. The first scans an int8 copy of every
//! row (each row scaled to ±127 by its own largest component: at 100,000
//! articles of 384 numbers, 38 MB instead of the f32 rows' 150 MB, so a quarter
//! of the memory traffic) for a shortlist of twice the depth asked; the second
//! scores the shortlist exactly in f32. The int8 scores are off by a few
//! thousandths, so an article the exact order would place in the depth asked is
//! not left off the shortlist in practice, and the order returned is exact.
//!
//! On disk (`dossier-vectors.bin` in the index folder) they are an append-only
//! log of fixed-size records after a header: a record puts an article's vector
//! or deletes it, the last one for a key wins. A writer appends only vectors
//! that changed (a story's re-analysis rewrites its members' documents, not
//! their vectors) and rewrites the file whole, under a new generation number,
//! when dead records outnumber live ones. A reader in another process (the
//! server, while `dossier ingest` writes) reads only the records appended
//! since it last looked, or everything again when the generation changed;
//! it never reads past the last whole record, so a record being appended is
//! read next time.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 4] = b"DVEC";
const HEADER: u64 = 24;
const PUT: u32 = 1;
const DELETE: u32 = 0;
/// Dead records tolerated beyond the live ones before the file is rewritten.
const SLACK: usize = if cfg!(test) { 8 } else { 1024 };

/// A vector's key: a hash of its article id, also kept in the index (a fast field), so the
/// documents a filter lets through map to rows without reading stored fields.
pub fn key_of(id: &str) -> u64 {
    // FNV-1a: stable across versions and platforms (the keys are on disk).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The vectors of an index, as last read from (or written to) its file.
#[derive(Default)]
pub(crate) struct Vectors {
    path: PathBuf,
    dim: usize,
    generation: u64,
    /// Bytes of the file taken in so far.
    read_to: u64,
    /// Records in the file (live or not): when they reach twice the live ones, it is rewritten.
    records: usize,
    keys: Vec<u64>,
    row_of: HashMap<u64, usize>,
    data: Vec<f32>,
    /// The rows in int8, row-major like `data`: the first pass's scan.
    quantised: Vec<i8>,
    /// Per row, what one int8 step is worth (its largest component / 127).
    steps: Vec<f32>,
}

/// A row in int8: each component over `step` (the largest component / 127), rounded.
fn quantise(v: &[f32], out: &mut [i8]) -> f32 {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    let step = if max > 0.0 { max / 127.0 } else { 1.0 };
    for (o, x) in out.iter_mut().zip(v) {
        *o = (x / step).round().clamp(-127.0, 127.0) as i8;
    }
    step
}

/// The shortlist the int8 pass keeps, for `depth` asked: twice as many, so the exact
/// pass still finds the depth's best where the int8 order differs a little from the exact.
fn shortlist(depth: usize) -> usize {
    depth.saturating_mul(2).max(depth + 32)
}

/// How far an int8 score may fall below the exact one: each component is off by half a
/// step at most, so a dot product by at most about (step_a ‖b‖₁ + step_b ‖a‖₁) / 2, about
/// 0.05 for sentence vectors of 384 numbers (largest component about 0.3, ‖v‖₁ under 20;
/// the errors' signs differ, so a few thousandths in practice). The first pass keeps rows
/// down to the floor less this, so none the exact floor would keep is dropped there.
const INT8_SLACK: f32 = 0.05;

fn new_generation() -> u64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}

impl Vectors {
    pub(crate) fn open(dir: &Path) -> std::io::Result<Vectors> {
        let mut v = Vectors { path: dir.join("dossier-vectors.bin"), ..Default::default() };
        v.refresh()?;
        Ok(v)
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn dim(&self) -> usize {
        self.dim
    }

    pub(crate) fn get(&self, key: u64) -> Option<&[f32]> {
        self.row_of.get(&key).map(|&r| self.row(r))
    }

    fn row(&self, r: usize) -> &[f32] {
        &self.data[r * self.dim..(r + 1) * self.dim]
    }

    fn record_len(&self) -> u64 {
        16 + 4 * self.dim as u64
    }

    fn forget(&mut self) {
        let path = std::mem::take(&mut self.path);
        *self = Vectors { path, ..Default::default() };
    }

    /// Takes in what was appended since the last look, or everything when the file was
    /// rewritten (a new generation) or removed.
    pub(crate) fn refresh(&mut self) -> std::io::Result<()> {
        let mut file = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.forget();
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        let mut header = [0u8; HEADER as usize];
        if len < HEADER || file.read_exact(&mut header).is_err() || &header[..4] != MAGIC {
            self.forget();
            return Ok(());
        }
        let dim = u32::from_le_bytes(header[8..12].try_into().expect("4 bytes")) as usize;
        let generation = u64::from_le_bytes(header[16..24].try_into().expect("8 bytes"));
        if generation != self.generation || dim != self.dim || len < self.read_to {
            self.forget();
            self.dim = dim;
            self.generation = generation;
            self.read_to = HEADER;
        }
        if self.dim == 0 {
            return Ok(());
        }
        let whole = (len - self.read_to) / self.record_len();
        if whole == 0 {
            return Ok(());
        }
        file.seek(SeekFrom::Start(self.read_to))?;
        let mut bytes = vec![0u8; (whole * self.record_len()) as usize];
        file.read_exact(&mut bytes)?;
        for rec in bytes.chunks_exact(self.record_len() as usize) {
            let key = u64::from_le_bytes(rec[..8].try_into().expect("8 bytes"));
            let kind = u32::from_le_bytes(rec[8..12].try_into().expect("4 bytes"));
            if kind == PUT {
                let v: Vec<f32> = rec[16..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes"))).collect();
                self.put_in_memory(key, &v);
            } else {
                self.delete_in_memory(key);
            }
            self.records += 1;
        }
        self.read_to += whole * self.record_len();
        Ok(())
    }

    fn put_in_memory(&mut self, key: u64, v: &[f32]) {
        let r = match self.row_of.get(&key) {
            Some(&r) => r,
            None => {
                let r = self.keys.len();
                self.row_of.insert(key, r);
                self.keys.push(key);
                self.data.resize((r + 1) * self.dim, 0.0);
                self.quantised.resize((r + 1) * self.dim, 0);
                self.steps.push(1.0);
                r
            }
        };
        let span = r * self.dim..(r + 1) * self.dim;
        self.data[span.clone()].copy_from_slice(v);
        self.steps[r] = quantise(v, &mut self.quantised[span]);
    }

    fn delete_in_memory(&mut self, key: u64) {
        let Some(r) = self.row_of.remove(&key) else { return };
        let last = self.keys.len() - 1;
        if r != last {
            let moved = self.keys[last];
            self.keys[r] = moved;
            self.row_of.insert(moved, r);
            let (head, tail) = self.data.split_at_mut(last * self.dim);
            head[r * self.dim..(r + 1) * self.dim].copy_from_slice(&tail[..self.dim]);
            let (head, tail) = self.quantised.split_at_mut(last * self.dim);
            head[r * self.dim..(r + 1) * self.dim].copy_from_slice(&tail[..self.dim]);
            self.steps[r] = self.steps[last];
        }
        self.keys.pop();
        self.data.truncate(last * self.dim);
        self.quantised.truncate(last * self.dim);
        self.steps.pop();
    }

    fn header(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(HEADER as usize);
        h.extend_from_slice(MAGIC);
        h.extend_from_slice(&1u32.to_le_bytes());
        h.extend_from_slice(&(self.dim as u32).to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&self.generation.to_le_bytes());
        h
    }

    fn record(&self, out: &mut Vec<u8>, key: u64, v: Option<&[f32]>) {
        out.extend_from_slice(&key.to_le_bytes());
        out.extend_from_slice(&(if v.is_some() { PUT } else { DELETE }).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        match v {
            Some(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            None => out.resize(out.len() + 4 * self.dim, 0),
        }
    }

    /// Writes the whole file afresh from memory, under a new generation (atomically: a
    /// reader has the old file or the new one).
    fn rewrite(&mut self) -> std::io::Result<()> {
        self.generation = new_generation();
        let mut bytes = self.header();
        for (r, &key) in self.keys.iter().enumerate() {
            self.record(&mut bytes, key, Some(&self.data[r * self.dim..(r + 1) * self.dim]));
        }
        let tmp = self.path.with_extension("bin.tmp");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_data()?;
        std::fs::rename(&tmp, &self.path)?;
        self.records = self.keys.len();
        self.read_to = bytes.len() as u64;
        Ok(())
    }

    /// Empties the file.
    pub(crate) fn clear(&mut self) -> std::io::Result<()> {
        self.forget();
        self.rewrite()
    }

    /// Puts these vectors and deletes these keys, appending only what changes. Vectors of
    /// another length than those held are refused (another model: rebuild the index).
    pub(crate) fn apply(&mut self, puts: &[(u64, &[f32])], deletes: &[u64]) -> std::io::Result<()> {
        self.refresh()?;
        if self.dim == 0 {
            if let Some((_, v)) = puts.first() {
                self.dim = v.len();
                self.rewrite()?;
            }
        }
        let mut bytes = Vec::new();
        for &(key, v) in puts {
            if v.len() != self.dim {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a vector of {} numbers where the index holds {}: rebuild it (`dossier reindex`)", v.len(), self.dim)));
            }
            if self.get(key) != Some(v) {
                self.record(&mut bytes, key, Some(v));
                self.put_in_memory(key, v);
            }
        }
        for &key in deletes {
            if self.row_of.contains_key(&key) {
                self.record(&mut bytes, key, None);
                self.delete_in_memory(key);
            }
        }
        if bytes.is_empty() {
            return Ok(());
        }
        self.records += bytes.len() / self.record_len() as usize;
        if self.records > 2 * self.keys.len() + SLACK {
            return self.rewrite();
        }
        let mut f = std::fs::OpenOptions::new().append(true).open(&self.path)?;
        f.write_all(&bytes)?;
        f.sync_data()?;
        self.read_to += bytes.len() as u64;
        Ok(())
    }

    /// The `depth` rows most similar to `query` (dot product: the vectors are unit
    /// length, so cosine) at `floor` or above, among `allowed` keys when given; best first.
    pub(crate) fn nearest(&self, query: &[f32], allowed: Option<&HashSet<u64>>, depth: usize, floor: f32) -> Vec<(u64, f32)> {
        if self.dim == 0 || query.len() != self.dim || depth == 0 {
            return Vec::new();
        }
        let mut q8 = vec![0i8; self.dim];
        let q_step = quantise(query, &mut q8);
        let rough = self.shortlisted(&q8, q_step, allowed, shortlist(depth), floor - INT8_SLACK);
        let mut exact: Vec<(u64, f32)> = rough.into_iter().map(|r| (self.keys[r], dot(query, self.row(r)))).filter(|(_, s)| *s >= floor).collect();
        exact.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        exact.truncate(depth);
        exact
    }

    /// The first pass: rows of the `keep` best int8 scores at `floor` or above (unordered).
    fn shortlisted(&self, q8: &[i8], q_step: f32, allowed: Option<&HashSet<u64>>, keep: usize, floor: f32) -> Vec<usize> {
        // A min-heap of the best so far: one pass, no score vector of every row.
        let mut heap: BinaryHeap<Reverse<Scored>> = BinaryHeap::with_capacity(keep + 1);
        let mut consider = |r: usize, s: f32| {
            if s < floor || heap.len() == keep && s <= heap.peek().map_or(f32::MIN, |m| m.0 .0) {
                return;
            }
            heap.push(Reverse(Scored(s, r as u64)));
            if heap.len() > keep {
                heap.pop();
            }
        };
        match allowed {
            // A filter: few rows, looked up one by one.
            Some(a) if a.len() < self.keys.len() / 4 => {
                for r in a.iter().filter_map(|k| self.row_of.get(k)) {
                    let row = &self.quantised[r * self.dim..(r + 1) * self.dim];
                    consider(*r, dot_i8(q8, row) as f32 * q_step * self.steps[*r]);
                }
            }
            _ => scan_i8(q8, &self.quantised, self.dim, &mut |r, s| {
                if allowed.is_none_or(|a| a.contains(&self.keys[r])) {
                    consider(r, s as f32 * q_step * self.steps[r]);
                }
            }),
        }
        heap.into_iter().map(|Reverse(Scored(_, r))| r as usize).collect()
    }
}

#[derive(PartialEq)]
struct Scored(f32, u64);

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(other.1.cmp(&self.1))
    }
}

/// Dot product in 16 independent lanes, which the compiler turns into SIMD (a plain
/// running sum must be added in order, so it is not vectorised).
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let (ca, cb) = (a.chunks_exact(16), b.chunks_exact(16));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        // Arrays of known length: no bounds checks, so the loop is vectorised.
        let (x, y): (&[f32; 16], &[f32; 16]) = (x.try_into().expect("16"), y.try_into().expect("16"));
        for i in 0..16 {
            lanes[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}

/// Integer dot product of int8 rows, in 32 lanes of i32: products of two int8 fit
/// an i16, and the compiler pairs them into multiply-adds (pmaddwd) when the
/// lanes are independent.
#[inline(always)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut lanes = [0i32; 32];
    let (ca, cb) = (a.chunks_exact(32), b.chunks_exact(32));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        let (x, y): (&[i8; 32], &[i8; 32]) = (x.try_into().expect("32"), y.try_into().expect("32"));
        for i in 0..32 {
            lanes[i] += i32::from(i16::from(x[i]) * i16::from(y[i]));
        }
    }
    let tail: i32 = ra.iter().zip(rb).map(|(x, y)| i32::from(*x) * i32::from(*y)).sum();
    lanes.iter().sum::<i32>() + tail
}

/// Calls `each(row, score)` for every row of `rows` (int8, `dim` a row) against `q8`,
/// with the widest multiply-adds the processor has (chosen at run time: the crate is
/// built for baseline x86-64). Integer sums are exact, so every path gives the same scores.
fn scan_i8(q8: &[i8], rows: &[i8], dim: usize, each: &mut dyn FnMut(usize, i32)) {
    #[cfg(target_arch = "x86_64")]
    {
        if dim.is_multiple_of(32) && q8.len() == dim && std::arch::is_x86_feature_detected!("avx512bw") {
            // SAFETY: the processor has AVX-512BW; the query and every row are `dim` long, a multiple of 32.
            return unsafe { x86::scan_avx512(q8, rows, dim, each) };
        }
        if dim.is_multiple_of(16) && q8.len() == dim && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2; the query and every row are `dim` long, a multiple of 16.
            return unsafe { x86::scan_avx2(q8, rows, dim, each) };
        }
    }
    for (r, row) in rows.chunks_exact(dim).enumerate() {
        each(r, dot_i8(q8, row));
    }
}

/// The scan in x86 intrinsics: int8 widened to i16, multiplied and added in pairs into
/// i32 lanes (`pmaddwd`), which the compiler does not find from the plain loop.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// # Safety
    /// The processor must have AVX-512F and AVX-512BW; `q8.len() == dim`, `dim` a multiple of 32.
    #[target_feature(enable = "avx512f,avx512bw")]
    pub(super) unsafe fn scan_avx512(q8: &[i8], rows: &[i8], dim: usize, each: &mut dyn FnMut(usize, i32)) {
        // The query widened once.
        let q: Vec<__m512i> = q8.chunks_exact(32).map(|c| _mm512_cvtepi8_epi16(_mm256_loadu_si256(c.as_ptr().cast()))).collect();
        for (r, row) in rows.chunks_exact(dim).enumerate() {
            let mut acc = _mm512_setzero_si512();
            for (c, qv) in row.chunks_exact(32).zip(&q) {
                let x = _mm512_cvtepi8_epi16(_mm256_loadu_si256(c.as_ptr().cast()));
                acc = _mm512_add_epi32(acc, _mm512_madd_epi16(x, *qv));
            }
            each(r, _mm512_reduce_add_epi32(acc));
        }
    }

    /// # Safety
    /// The processor must have AVX2; `q8.len() == dim`, `dim` a multiple of 16.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn scan_avx2(q8: &[i8], rows: &[i8], dim: usize, each: &mut dyn FnMut(usize, i32)) {
        let q: Vec<__m256i> = q8.chunks_exact(16).map(|c| _mm256_cvtepi8_epi16(_mm_loadu_si128(c.as_ptr().cast()))).collect();
        for (r, row) in rows.chunks_exact(dim).enumerate() {
            let mut acc = _mm256_setzero_si256();
            for (c, qv) in row.chunks_exact(16).zip(&q) {
                let x = _mm256_cvtepi8_epi16(_mm_loadu_si128(c.as_ptr().cast()));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(x, *qv));
            }
            let half = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256::<1>(acc));
            let pairs = _mm_hadd_epi32(half, half);
            each(r, _mm_cvtsi128_si32(_mm_hadd_epi32(pairs, pairs)));
        }
    }
}

#[cfg(test)]
mod scan_tests {
    use super::*;

    #[test]
    fn every_scan_path_gives_the_plain_dot_product() {
        // Extremes included: -128 never occurs in a quantised row, but ±127 products summed
        // over 384 numbers must not overflow an i16 lane.
        for dim in [16, 32, 48, 384] {
            let mut s: u64 = 5;
            let mut next = || {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 33) % 255) as i32 - 127
            };
            let q: Vec<i8> = (0..dim).map(|i| if i % 7 == 0 { 127 } else { next() as i8 }).collect();
            let rows: Vec<i8> = (0..dim * 9)
                .map(|i| {
                    if i % 5 == 0 {
                        -127
                    } else if i % 11 == 0 {
                        127
                    } else {
                        next() as i8
                    }
                })
                .collect();
            let mut got = Vec::new();
            scan_i8(&q, &rows, dim, &mut |r, v| got.push((r, v)));
            let want: Vec<(usize, i32)> = rows.chunks_exact(dim).map(|row| q.iter().zip(row).map(|(a, b)| i32::from(*a) * i32::from(*b)).sum()).enumerate().collect();
            assert_eq!(got, want, "dim {dim}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                let mut avx2 = Vec::new();
                // SAFETY: AVX2 is there; the rows are `dim` long, a multiple of 16.
                unsafe { x86::scan_avx2(&q, &rows, dim, &mut |r, v| avx2.push((r, v))) };
                assert_eq!(avx2, want, "AVX2, dim {dim}");
            }
        }
    }
}
