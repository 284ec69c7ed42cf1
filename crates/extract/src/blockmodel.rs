//! A learned second look at the body's blocks: gradient-boosted trees over
//! per-block features (the rules' decision, kind, length, link density,
//! punctuation, repeats on the page, position, the neighbours' decisions,
//! and words in the class/id names of the block's element and its two
//! parents) that drop a kept block or keep a dropped one inside the chosen
//! element. Trained on WCXB half A only by `scripts/wcxb_train_blocks.py`
//! (which holds the same features in Python; the trees are
//! `block_trees.rs`), its settings chosen by 5-fold cross-validation inside
//! half A. The features here must stay the script's, value for value.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::body::{ends_like_prose, Blk, Fate, Kind, Page};
use crate::dom::{Dom, NONE};

mod trees {
    include!("block_trees.rs");
}
// A block dropped and kept at once would be a retraining's typo; the
// class/id words are bits of a u128.
const _: () = assert!(trees::DROP < trees::KEEP && VOCAB.len() <= 128);

/// Class/id words the model looks at (the script's `VOCAB`, same order).
const VOCAB: [&str; 79] = [
    "comment",
    "comments",
    "author",
    "bio",
    "related",
    "share",
    "social",
    "newsletter",
    "subscribe",
    "promo",
    "ad",
    "ads",
    "sponsor",
    "sponsored",
    "cta",
    "caption",
    "credit",
    "tooltip",
    "popup",
    "modal",
    "faq",
    "toc",
    "disclaimer",
    "footer",
    "sidebar",
    "widget",
    "card",
    "callout",
    "button",
    "btn",
    "meta",
    "date",
    "byline",
    "tag",
    "tags",
    "category",
    "breadcrumb",
    "content",
    "article",
    "body",
    "entry",
    "post",
    "text",
    "summary",
    "box",
    "banner",
    "note",
    "wp",
    "block",
    "list",
    "table",
    "code",
    "highlight",
    "review",
    "product",
    "price",
    "form",
    "hidden",
    "hover",
    "title",
    "heading",
    "intro",
    "lead",
    "excerpt",
    "info",
    "alert",
    "embed",
    "quote",
    "footnote",
    "nav",
    "menu",
    "link",
    "links",
    "more",
    "read",
    "recommended",
    "signup",
    "cookie",
    "affiliate",
];
/// Then two flags: a block of the chosen element's parent outside the element
/// (always 0 here: the script's `--near` candidates, tried and left out) and
/// a block inside furniture.
const FEATURES: usize = 31 + VOCAB.len();

/// A multiply-rotate hash (as rustc's FxHash): the maps here are per page and
/// keyed by the page's own text and node ids, where SipHash's resistance to
/// chosen keys buys nothing and costs a tenth of the classifier's time.
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap()));
        }
        for &b in chunks.remainder() {
            self.add(b as u64);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FastHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type Fast = BuildHasherDefault<FastHasher>;

/// The rules' decisions, revised by the trees where they are confident.
pub fn revise(dom: &Dom, page: &Page, fates: &[Fate]) -> Vec<bool> {
    let blocks = &page.blocks;
    let mut keep: Vec<bool> = fates.iter().map(|&f| f == Fate::Kept).collect();
    if !fates.iter().any(|&f| f != Fate::OutsideRoot) {
        return keep;
    }
    // Repeats count only for blocks of 20 characters or more (the feature's
    // domain), which keeps the short labels out of the hashing.
    let mut repeats: HashMap<&str, u32, Fast> = HashMap::default();
    for b in blocks.iter().filter(|b| b.chars >= 20) {
        *repeats.entry(b.text.as_str()).or_default() += 1;
    }
    let mut x = [0f64; FEATURES];
    let mut words = String::new();
    let mut masks: HashMap<u32, u128, Fast> = HashMap::default();
    for i in 0..blocks.len() {
        // The headline stays out: the title is held apart from the body.
        if matches!(fates[i], Fate::OutsideRoot | Fate::Headline) {
            continue;
        }
        features(dom, blocks, fates, i, repeats.get(blocks[i].text.as_str()).copied().unwrap_or(1), &mut words, &mut masks, &mut x);
        let p = probability(&x);
        if keep[i] && p < trees::DROP {
            keep[i] = false;
        } else if !keep[i] && p > trees::KEEP && matches!(blocks[i].kind, Kind::Heading(_) | Kind::Item) {
            // Only headings and list items come back: other short lines the
            // rules dropped at the edges (a bare URL, "Updated 11:21 pm")
            // stay out (same cross-validated F1 on half A).
            keep[i] = true;
        }
    }
    keep
}

fn link_density(b: &Blk) -> f64 {
    b.link_chars as f64 / b.chars.max(1) as f64
}

#[allow(clippy::too_many_arguments)]
fn features(dom: &Dom, blocks: &[Blk], fates: &[Fate], i: usize, repeats: u32, words: &mut String, masks: &mut HashMap<u32, u128, Fast>, x: &mut [f64; FEATURES]) {
    x.fill(0.0);
    let b = &blocks[i];
    let n = blocks.len();
    x[fates[i] as usize] = 1.0;
    x[10 + match b.kind {
        Kind::Heading(_) => 0,
        Kind::Item => 1,
        Kind::Quote => 2,
        Kind::Pre => 3,
        Kind::Caption => 4,
        Kind::Para if b.row => 5,
        Kind::Para => 6,
    }] = 1.0;
    let (w, commas) = words_and_commas(&b.text);
    x[17] = (b.chars as f64).ln_1p() / 8.0;
    x[18] = link_density(b);
    x[19] = ends_like_prose(&b.text) as u8 as f64;
    x[20] = (w < 10) as u8 as f64;
    x[21] = (commas as f64 / w.max(1) as f64 * 5.0).min(1.0);
    x[22] = if b.chars >= 20 { (repeats as f64).ln() } else { 0.0 };
    x[23] = i as f64 / (n.max(2) - 1) as f64;
    x[24] = (i > 0 && fates[i - 1] == Fate::Kept) as u8 as f64;
    x[25] = (i + 1 < n && fates[i + 1] == Fate::Kept) as u8 as f64;
    x[26] = if i > 0 { link_density(&blocks[i - 1]) } else { 0.0 };
    x[27] = if i + 1 < n { link_density(&blocks[i + 1]) } else { 0.0 };
    x[28] = b.text.chars().take(11).flat_map(char::to_lowercase).eq("lorem ipsum".chars()) as u8 as f64;
    x[30 + VOCAB.len()] = b.furniture as u8 as f64;
    // The owner and its two nearest element ancestors.
    let mut el = b.owner;
    let mut levels = 0;
    let mut words_of = 0u128;
    while el != NONE && levels < 3 {
        if dom.tag(el).is_some() {
            words_of |= *masks.entry(el).or_insert_with(|| vocab_mask(dom, el, words));
            levels += 1;
        }
        el = dom.node(el).parent;
    }
    for (k, v) in x[29..29 + VOCAB.len()].iter_mut().enumerate() {
        *v = (words_of >> k & 1) as f64;
    }
}

/// Whitespace-separated words and commas, in one pass over ASCII text.
fn words_and_commas(t: &str) -> (usize, usize) {
    if !t.is_ascii() {
        return (t.split_whitespace().count(), t.matches(',').count());
    }
    let (mut words, mut commas, mut in_word) = (0, 0, false);
    for &c in t.as_bytes() {
        // `char::is_whitespace` on ASCII, as `split_whitespace` splits.
        let space = matches!(c, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r');
        words += usize::from(!space && !in_word);
        commas += usize::from(c == b',');
        in_word = !space;
    }
    (words, commas)
}

/// The VOCAB words in an element's id and class, one bit each (blocks share
/// their parents, so each element is read once per page).
fn vocab_mask(dom: &Dom, el: u32, words: &mut String) -> u128 {
    let mut m = 0u128;
    for v in [dom.attr(el, "id"), dom.attr(el, "class")].into_iter().flatten() {
        crate::body::class_words(v, words, |t| {
            if let Ok(k) = vocab_index().binary_search_by(|&(v, _)| v.cmp(t)) {
                m |= 1 << vocab_index()[k].1;
            }
        });
    }
    m
}

/// VOCAB sorted, with each word's feature index, for binary search.
fn vocab_index() -> &'static [(&'static str, usize)] {
    static INDEX: std::sync::OnceLock<Vec<(&'static str, usize)>> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut v: Vec<_> = VOCAB.iter().enumerate().map(|(i, &w)| (w, i)).collect();
        v.sort_unstable();
        v
    })
}

fn probability(x: &[f64; FEATURES]) -> f64 {
    let splits = (1 << trees::DEPTH) - 1;
    let mut f = 0.0;
    for (feat, thr, leaves) in &trees::TREES {
        // Complete trees: the path is an index computed without branches.
        let mut i = 0;
        for _ in 0..trees::DEPTH {
            i = 2 * i + 1 + usize::from(x[feat[i] as usize] >= thr[i]);
        }
        f += leaves[i - splits];
    }
    1.0 / (1.0 + (-f).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated trees name only features that the features fill, and
    /// hold finite leaves.
    #[test]
    fn trees_are_well_formed() {
        for (feat, thr, leaves) in &trees::TREES {
            assert!(feat.iter().all(|&f| (f as usize) < FEATURES), "{feat:?}");
            assert!(thr.iter().all(|t| !t.is_nan()) && leaves.iter().all(|v| v.is_finite()), "{thr:?} {leaves:?}");
        }
    }

    /// Placeholder text weighs towards dropping, whatever the rules said.
    #[test]
    fn placeholder_text_lowers_the_probability() {
        let mut x = [0f64; FEATURES];
        x[Fate::Kept as usize] = 1.0;
        x[16] = 1.0; // a paragraph
        x[17] = 200f64.ln_1p() / 8.0;
        x[19] = 1.0;
        x[23] = 0.5;
        x[24] = 1.0;
        x[25] = 1.0;
        let plain = probability(&x);
        x[28] = 1.0;
        let lorem = probability(&x);
        assert!(plain > trees::DROP && lorem < plain, "plain {plain:.3} lorem {lorem:.3}");
    }
}
