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

use crate::body::{ends_like_prose, Blk, Fate, Kind, Page};
use crate::dom::{Dom, NONE};

mod trees {
    include!("block_trees.rs");
}
// A block dropped and kept at once would be a retraining's typo.
const _: () = assert!(trees::DROP < trees::KEEP);

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

/// The rules' decisions, revised by the trees where they are confident.
pub fn revise(dom: &Dom, page: &Page, fates: &[Fate]) -> Vec<bool> {
    let blocks = &page.blocks;
    let mut keep: Vec<bool> = fates.iter().map(|&f| f == Fate::Kept).collect();
    if !fates.iter().any(|&f| f != Fate::OutsideRoot) {
        return keep;
    }
    let mut repeats: HashMap<&str, u32> = HashMap::new();
    for b in blocks {
        *repeats.entry(b.text.as_str()).or_default() += 1;
    }
    let mut x = [0f64; FEATURES];
    let mut words = String::new();
    for i in 0..blocks.len() {
        // The headline stays out: the title is held apart from the body.
        if matches!(fates[i], Fate::OutsideRoot | Fate::Headline) {
            continue;
        }
        features(dom, blocks, fates, i, repeats[blocks[i].text.as_str()], &mut words, &mut x);
        let p = probability(&x);
        if keep[i] && p < trees::DROP {
            keep[i] = false;
        } else if !keep[i] && p > trees::KEEP {
            keep[i] = true;
        }
    }
    keep
}

fn link_density(b: &Blk) -> f64 {
    b.link_chars as f64 / b.chars.max(1) as f64
}

fn features(dom: &Dom, blocks: &[Blk], fates: &[Fate], i: usize, repeats: u32, words: &mut String, x: &mut [f64; FEATURES]) {
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
    let w = b.text.split_whitespace().count();
    x[17] = (b.chars as f64).ln_1p() / 8.0;
    x[18] = link_density(b);
    x[19] = ends_like_prose(&b.text) as u8 as f64;
    x[20] = (w < 10) as u8 as f64;
    x[21] = (b.text.matches(',').count() as f64 / w.max(1) as f64 * 5.0).min(1.0);
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
    while el != NONE && levels < 3 {
        if dom.tag(el).is_some() {
            for v in [dom.attr(el, "id"), dom.attr(el, "class")].into_iter().flatten() {
                crate::body::class_words(v, words, |t| {
                    if let Some(k) = VOCAB.iter().position(|&v| v == t) {
                        x[29 + k] = 1.0;
                    }
                });
            }
            levels += 1;
        }
        el = dom.node(el).parent;
    }
}

fn probability(x: &[f64; FEATURES]) -> f64 {
    let mut f = 0.0;
    for &root in &trees::ROOTS {
        let mut i = root as usize;
        loop {
            let (feat, v, l, r) = trees::NODES[i];
            if feat < 0 {
                f += v;
                break;
            }
            i = if x[feat as usize] < v { l as usize } else { r as usize };
        }
    }
    1.0 / (1.0 + (-f).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The generated trees are whole: every split names a feature the
    /// features fill and children inside the array, every tree ends in leaves.
    #[test]
    fn trees_are_well_formed() {
        for &root in &trees::ROOTS {
            let mut stack = vec![root as usize];
            while let Some(i) = stack.pop() {
                let (feat, v, l, r) = trees::NODES[i];
                assert!(v.is_finite(), "node {i}");
                if feat >= 0 {
                    assert!((feat as usize) < FEATURES, "node {i} feature {feat}");
                    assert!((l as usize) < trees::NODES.len() && (r as usize) < trees::NODES.len() && l as usize > i && r as usize > i, "node {i}");
                    stack.extend([l as usize, r as usize]);
                }
            }
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
