//! Article vectors beside the index: one contiguous `f32` matrix in memory,
//! searched by brute force (a dot product per article: at 100,000 articles
//! of 384 numbers, a scan of 150 MB, well under the latency budget, and exact).
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

use std::collections::{HashMap, HashSet};
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
}

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
        self.row_of.get(&key).map(|&r| &self.data[r * self.dim..(r + 1) * self.dim])
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
        match self.row_of.get(&key) {
            Some(&r) => self.data[r * self.dim..(r + 1) * self.dim].copy_from_slice(v),
            None => {
                self.row_of.insert(key, self.keys.len());
                self.keys.push(key);
                self.data.extend_from_slice(v);
            }
        }
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
        }
        self.keys.pop();
        self.data.truncate(last * self.dim);
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
        // A min-heap of the best so far: one pass, no score vector of every row.
        let mut heap = std::collections::BinaryHeap::with_capacity(depth + 1);
        for (r, row) in self.data.chunks_exact(self.dim).enumerate() {
            let key = self.keys[r];
            if allowed.is_some_and(|a| !a.contains(&key)) {
                continue;
            }
            let s = dot(query, row);
            if s < floor || heap.len() == depth && s <= heap.peek().map_or(f32::MIN, |m: &std::cmp::Reverse<Scored>| m.0 .0) {
                continue;
            }
            heap.push(std::cmp::Reverse(Scored(s, key)));
            if heap.len() > depth {
                heap.pop();
            }
        }
        let mut out: Vec<(u64, f32)> = heap.into_iter().map(|std::cmp::Reverse(Scored(s, k))| (k, s)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
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
