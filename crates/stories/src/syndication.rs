//! Syndication: wire copies and republished articles (the same text with
//! light edits, under different outlets or the same one) are found with
//! MinHash signatures over word 5-shingles and LSH banding, confirmed by the
//! exact shingle Jaccard, and linked to the earliest copy.

use std::collections::{HashMap, HashSet};

use dossier_enrich::Enriched;

/// Hash functions in a signature, and how they are banded for LSH.
const HASHES: usize = 64;
const BANDS: usize = 16;
const ROWS: usize = HASHES / BANDS;
/// Shingle Jaccard at or above which two texts are one text.
pub const COPY_JACCARD: f64 = 0.7;
/// Texts shorter than this many words are compared whole, not by shingles.
const MIN_WORDS: usize = 40;

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn word_hash(w: &str) -> u64 {
    // FNV-1a: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in w.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn words(text: &str) -> Vec<u64> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| word_hash(&w.to_lowercase())).collect()
}

fn shingles(ws: &[u64]) -> HashSet<u64> {
    ws.windows(5).map(|w| w.iter().fold(0u64, |acc, &x| mix(acc ^ x))).collect()
}

fn jaccard(a: &HashSet<u64>, b: &HashSet<u64>) -> f64 {
    let inter = a.iter().filter(|x| b.contains(x)).count();
    let union = a.len() + b.len() - inter;
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

/// For every article that copies an earlier one: (copy index, original index).
/// The original of a group of near-identical texts is its earliest article
/// (publication time, then id). Deterministic; cost near-linear (LSH buckets).
pub fn copies<E: std::borrow::Borrow<Enriched>>(docs: &[E]) -> Vec<(usize, usize)> {
    let docs: Vec<&Enriched> = docs.iter().map(|d| d.borrow()).collect();
    let texts: Vec<Vec<u64>> = docs.iter().map(|d| words(&format!("{}\n{}", d.article.title, d.article.text))).collect();
    let sets: Vec<Option<HashSet<u64>>> = texts.iter().map(|w| (w.len() >= MIN_WORDS).then(|| shingles(w))).collect();
    let mut parent: Vec<usize> = (0..docs.len()).collect();
    fn find(p: &mut [usize], x: usize) -> usize {
        let mut r = x;
        while p[r] != r {
            p[r] = p[p[r]];
            r = p[r];
        }
        r
    }
    let union = |p: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(p, a), find(p, b));
        if ra != rb {
            p[ra.max(rb)] = ra.min(rb);
        }
    };
    // Short texts: identical word sequences only.
    let mut exact: HashMap<&[u64], usize> = HashMap::new();
    for (i, w) in texts.iter().enumerate() {
        if sets[i].is_none() && w.len() >= 8 {
            match exact.get(w.as_slice()) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    exact.insert(w.as_slice(), i);
                }
            }
        }
    }
    // Long texts: MinHash signatures, banded into buckets; candidates confirmed exactly.
    let mut buckets: HashMap<(usize, u64), Vec<usize>> = HashMap::new();
    let salts: [u64; HASHES] = std::array::from_fn(|k| mix(k as u64 + 1));
    for (i, s) in sets.iter().enumerate() {
        let Some(s) = s else { continue };
        // One pass over the shingles, every hash function's minimum kept at once.
        let mut sig = [u64::MAX; HASHES];
        for &x in s {
            for (m, salt) in sig.iter_mut().zip(&salts) {
                *m = (*m).min(mix(x ^ salt));
            }
        }
        for b in 0..BANDS {
            let key = sig[b * ROWS..(b + 1) * ROWS].iter().fold(b as u64, |acc, &x| mix(acc ^ x));
            buckets.entry((b, key)).or_default().push(i);
        }
    }
    let mut keys: Vec<&(usize, u64)> = buckets.keys().collect();
    keys.sort_unstable();
    let mut checked: HashSet<(usize, usize)> = HashSet::new();
    for k in keys {
        let members = &buckets[k];
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if checked.insert((a, b)) && jaccard(sets[a].as_ref().unwrap(), sets[b].as_ref().unwrap()) >= COPY_JACCARD {
                    union(&mut parent, a, b);
                }
            }
        }
    }
    // Each group's original is its earliest member.
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..docs.len() {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out = Vec::new();
    for (_, mut g) in groups {
        if g.len() < 2 {
            continue;
        }
        g.sort_by(|&a, &b| docs[a].article.time().cmp(&docs[b].article.time()).then_with(|| docs[a].article.id.cmp(&docs[b].article.id)));
        out.extend(g[1..].iter().map(|&c| (c, g[0])));
    }
    out.sort_unstable();
    out
}
