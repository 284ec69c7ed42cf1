//! The article-body metric of the public extraction benchmark (and of
//! `../shared/bench/extraction/score.py`): each text is cut into word 4-gram
//! shingles; per page, true/false positives and false negatives are counted
//! over the shingle multisets; precision and recall are averaged over pages
//! and F1 is their harmonic mean.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

fn shingles(text: &str) -> HashMap<Vec<&str>, i64> {
    static WORD: OnceLock<Regex> = OnceLock::new();
    let word = WORD.get_or_init(|| Regex::new(r"\w+").unwrap());
    let words: Vec<&str> = word.find_iter(text).map(|m| m.as_str()).collect();
    let mut out = HashMap::new();
    if words.len() < 4 {
        if !words.is_empty() {
            out.insert(words, 1);
        }
        return out;
    }
    for w in words.windows(4) {
        *out.entry(w.to_vec()).or_insert(0) += 1;
    }
    out
}

/// (tp, fp, fn) of one page, normalised to sum 1.
pub fn page_counts(truth: &str, predicted: &str) -> (f64, f64, f64) {
    let (t, p) = (shingles(truth), shingles(predicted));
    let mut tp = 0;
    let mut fp = 0;
    for (k, &n) in &p {
        let m = t.get(k).copied().unwrap_or(0);
        tp += n.min(m);
        fp += (n - m).max(0);
    }
    let fneg: i64 = t.iter().map(|(k, &m)| (m - p.get(k).copied().unwrap_or(0)).max(0)).sum();
    let total = (tp + fp + fneg) as f64;
    if total == 0.0 {
        return (0.0, 0.0, 0.0);
    }
    (tp as f64 / total, fp as f64 / total, fneg as f64 / total)
}

/// Precision, recall and F1 over pages of (truth, predicted) bodies.
pub fn score<'a>(pages: impl IntoIterator<Item = (&'a str, &'a str)>) -> (f64, f64, f64) {
    let (mut ps, mut rs) = (Vec::new(), Vec::new());
    for (truth, pred) in pages {
        let (tp, fp, fneg) = page_counts(truth, pred);
        let perfect = fp == 0.0 && fneg == 0.0;
        if tp + fp > 0.0 {
            ps.push(if perfect { 1.0 } else { tp / (tp + fp) });
        }
        if tp + fneg > 0.0 {
            rs.push(if perfect { 1.0 } else { tp / (tp + fneg) });
        }
    }
    let mean = |v: &[f64]| if v.is_empty() { 0.0 } else { v.iter().sum::<f64>() / v.len() as f64 };
    let (p, r) = (mean(&ps), mean(&rs));
    let f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
    (p, r, f1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_metric() {
        let truth = "one two three four five six";
        assert_eq!(page_counts(truth, truth), (1.0, 0.0, 0.0));
        // Half the 4-grams found, none extra.
        let (tp, fp, fneg) = page_counts(truth, "one two three four five");
        assert!((tp - 2.0 / 3.0).abs() < 1e-9 && fp == 0.0 && (fneg - 1.0 / 3.0).abs() < 1e-9);
        let (p, r, f1) = score([(truth, "one two three four five six extra words here")]);
        assert_eq!(r, 1.0);
        assert!(p < 1.0 && f1 < 1.0 && f1 > 0.5);
        // An empty prediction counts against recall only.
        assert_eq!(score([(truth, "")]), (0.0, 0.0, 0.0));
    }
}
