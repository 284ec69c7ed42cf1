//! What is compared between two sentences: the model's view (sentence
//! cosine, soft alignment of wordpieces à la BERTScore, plain and
//! IDF-weighted) and the wording (words, stems, character trigrams, order,
//! length), plus the details a paraphrase must keep: numbers, names and
//! negation. Every feature is symmetric in the two sentences.

use std::collections::{BTreeMap, HashMap, HashSet};

use dossier_embed::TokenEmbedding;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};

/// Feature names, in the order [`pair_features`] returns them.
pub const NAMES: [&str; 28] = [
    "cosine",
    "align_f",
    "align_min",
    "align_max",
    "align_idf_f",
    "align_idf_min",
    "align_idf_max",
    "idf_mean_cosine",
    "worst_match_min",
    "worst_match_max",
    "weak_share_min",
    "weak_share_max",
    "word_jaccard",
    "stem_jaccard",
    "stem_containment",
    "stems_unmatched_min",
    "stems_unmatched_max",
    "wordpiece_idf_overlap",
    "trigram_cosine",
    "length_ratio",
    "length_mean",
    "lcs_ratio",
    "numbers_any",
    "numbers_unmatched",
    "names_any",
    "names_unmatched",
    "negation_mismatch",
    "negation_any",
];

/// A wordpiece whose best match in the other sentence is below this has no counterpart there.
const WEAK_MATCH: f32 = 0.5;

/// Longest sentence compared word by word (longer ones are cut here).
const MAX_WORDS: usize = 200;

/// Inverse document frequency of wordpieces, counted over the training
/// sentences (each sentence one document).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Idf {
    pub documents: u32,
    /// (wordpiece id, number of sentences holding it), sorted by id.
    pub counts: Vec<(u32, u32)>,
}

impl Idf {
    /// Counts wordpiece document frequencies over sentences' ids.
    pub fn count<'a>(sentences: impl IntoIterator<Item = &'a [u32]>) -> Idf {
        let mut df: HashMap<u32, u32> = HashMap::new();
        let mut documents = 0;
        for ids in sentences {
            documents += 1;
            for id in ids.iter().copied().collect::<HashSet<u32>>() {
                *df.entry(id).or_default() += 1;
            }
        }
        let mut counts: Vec<(u32, u32)> = df.into_iter().collect();
        counts.sort_unstable();
        Idf { documents, counts }
    }

    /// ln((N + 1) / (df + 1)): rare wordpieces weigh most, unseen ones most of all.
    pub fn weight(&self, id: u32) -> f32 {
        let df = self.counts.binary_search_by_key(&id, |c| c.0).map(|i| self.counts[i].1).unwrap_or(0);
        ((self.documents as f32 + 1.0) / (df as f32 + 1.0)).ln()
    }
}

/// One sentence, prepared once however many pairs it is in.
#[derive(Debug, Clone)]
pub struct Prepared {
    vector: Vec<f32>,
    /// Unit-length hidden states of the wordpieces, `[CLS]`/`[SEP]` dropped.
    tokens: Vec<Vec<f32>>,
    /// IDF weight of each of `tokens`.
    weights: Vec<f32>,
    ids: Vec<u32>,
    /// IDF-weighted mean of the hidden states, unit length.
    idf_mean: Vec<f32>,
    words: Vec<String>,
    stems: HashSet<String>,
    trigrams: BTreeMap<String, f32>,
    numbers: HashSet<String>,
    names: HashSet<String>,
    negations: usize,
}

impl Prepared {
    /// The sentence vector (unit length).
    pub fn vector(&self) -> &[f32] {
        &self.vector
    }

    /// Prepares a sentence from its text and the model's output for it.
    pub fn new(text: &str, emb: TokenEmbedding, idf: &Idf) -> Prepared {
        let inner = emb.ids.len().saturating_sub(2);
        let (ids, tokens): (Vec<u32>, Vec<Vec<f32>>) = emb.ids.iter().copied().zip(emb.tokens).skip(1).take(inner).map(|(i, t)| (i, unit(t))).unzip();
        let weights: Vec<f32> = ids.iter().map(|&i| idf.weight(i)).collect();
        let mut idf_mean = vec![0.0; emb.vector.len()];
        for (t, w) in tokens.iter().zip(&weights) {
            idf_mean.iter_mut().zip(t).for_each(|(m, x)| *m += w * x);
        }
        let lex = Lexical::new(text);
        Prepared {
            vector: emb.vector,
            tokens,
            weights,
            ids,
            idf_mean: unit(idf_mean),
            words: lex.words,
            stems: lex.stems,
            trigrams: lex.trigrams,
            numbers: lex.numbers,
            names: lex.names,
            negations: lex.negations,
        }
    }
}

/// The features of a pair, in the order of [`NAMES`].
pub fn pair_features(a: &Prepared, b: &Prepared) -> Vec<f32> {
    let (best_a, best_b) = best_matches(a, b);
    let (p, r) = (mean(&best_a, &a.weights, false), mean(&best_b, &b.weights, false));
    let (pi, ri) = (mean(&best_a, &a.weights, true), mean(&best_b, &b.weights, true));
    let worst = |best: &[f32]| best.iter().copied().fold(1.0f32, f32::min);
    let (wa, wb) = (worst(&best_a), worst(&best_b));
    let weak = |best: &[f32], w: &[f32]| {
        let total: f32 = w.iter().sum();
        if total > 0.0 {
            best.iter().zip(w).filter(|(s, _)| **s < WEAK_MATCH).map(|(_, w)| w).sum::<f32>() / total
        } else {
            0.0
        }
    };
    let (ka, kb) = (weak(&best_a, &a.weights), weak(&best_b, &b.weights));
    let (ua, ub) = (a.stems.difference(&b.stems).count() as f32, b.stems.difference(&a.stems).count() as f32);
    let (la, lb) = (a.words.len() as f32, b.words.len() as f32);
    let (na, nb) = (a.negations > 0, b.negations > 0);
    vec![
        dot(&a.vector, &b.vector),
        harmonic(p, r),
        p.min(r),
        p.max(r),
        harmonic(pi, ri),
        pi.min(ri),
        pi.max(ri),
        dot(&a.idf_mean, &b.idf_mean),
        wa.min(wb),
        wa.max(wb),
        ka.min(kb),
        ka.max(kb),
        jaccard(&a.words.iter().collect(), &b.words.iter().collect()),
        jaccard(&a.stems, &b.stems),
        containment(&a.stems, &b.stems),
        ua.min(ub),
        ua.max(ub),
        idf_overlap(a, b),
        count_cosine(&a.trigrams, &b.trigrams),
        if la.max(lb) > 0.0 { la.min(lb) / la.max(lb) } else { 1.0 },
        (la + lb) / 2.0,
        lcs(&a.words, &b.words) as f32 / la.max(lb).max(1.0),
        f(!a.numbers.is_empty() || !b.numbers.is_empty()),
        unmatched(&a.numbers, &b.numbers),
        f(!a.names.is_empty() || !b.names.is_empty()),
        unmatched(&a.names, &b.names),
        f(a.negations % 2 != b.negations % 2),
        f(na || nb),
    ]
}

fn f(b: bool) -> f32 {
    if b {
        1.0
    } else {
        0.0
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn unit(mut v: Vec<f32>) -> Vec<f32> {
    let n = dot(&v, &v).sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
    v
}

fn harmonic(p: f32, r: f32) -> f32 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

/// Soft alignment: each wordpiece of one sentence matched to its most
/// similar wordpiece of the other; the best similarity of each of a's
/// wordpieces, and of each of b's.
fn best_matches(a: &Prepared, b: &Prepared) -> (Vec<f32>, Vec<f32>) {
    if a.tokens.is_empty() || b.tokens.is_empty() {
        return (vec![0.0; a.tokens.len()], vec![0.0; b.tokens.len()]);
    }
    let mut best_a = vec![f32::MIN; a.tokens.len()];
    let mut best_b = vec![f32::MIN; b.tokens.len()];
    for (i, x) in a.tokens.iter().enumerate() {
        for (j, y) in b.tokens.iter().enumerate() {
            let s = dot(x, y);
            best_a[i] = best_a[i].max(s);
            best_b[j] = best_b[j].max(s);
        }
    }
    (best_a, best_b)
}

/// Mean of best matches, IDF-weighted when asked (BERTScore's precision or recall).
fn mean(best: &[f32], w: &[f32], weighted: bool) -> f32 {
    if best.is_empty() {
        return 0.0;
    }
    if weighted {
        let total: f32 = w.iter().sum();
        if total > 0.0 {
            return best.iter().zip(w).map(|(s, w)| s * w).sum::<f32>() / total;
        }
    }
    best.iter().sum::<f32>() / best.len() as f32
}

/// IDF-weighted Jaccard of the two wordpiece sets.
fn idf_overlap(a: &Prepared, b: &Prepared) -> f32 {
    weighted_jaccard(&a.ids, &a.weights, &b.ids, &b.weights)
}

/// Jaccard of two sets of ids, each id weighing its weight (the last one given for it).
fn weighted_jaccard(a: &[u32], a_weights: &[f32], b: &[u32], b_weights: &[f32]) -> f32 {
    // Ordered maps: the sums below then add in the same order on every run.
    let wa: BTreeMap<u32, f32> = a.iter().copied().zip(a_weights.iter().copied()).collect();
    let wb: BTreeMap<u32, f32> = b.iter().copied().zip(b_weights.iter().copied()).collect();
    let both: f32 = wa.iter().filter(|(k, _)| wb.contains_key(k)).map(|(_, w)| w).sum();
    let all: f32 = wa.values().sum::<f32>() + wb.values().sum::<f32>() - both;
    if all > 0.0 {
        both / all
    } else {
        1.0
    }
}

fn jaccard<T: Eq + std::hash::Hash>(a: &HashSet<T>, b: &HashSet<T>) -> f32 {
    let union = a.union(b).count();
    if union == 0 {
        1.0
    } else {
        a.intersection(b).count() as f32 / union as f32
    }
}

fn containment<T: Eq + std::hash::Hash>(a: &HashSet<T>, b: &HashSet<T>) -> f32 {
    let small = a.len().min(b.len());
    if small == 0 {
        0.0
    } else {
        a.intersection(b).count() as f32 / small as f32
    }
}

/// Share of the items on either side that the other side lacks (0 when neither has any).
fn unmatched(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    let union = a.union(b).count();
    if union == 0 {
        0.0
    } else {
        a.symmetric_difference(b).count() as f32 / union as f32
    }
}

fn count_cosine(a: &BTreeMap<String, f32>, b: &BTreeMap<String, f32>) -> f32 {
    let num: f32 = a.iter().filter_map(|(k, x)| b.get(k).map(|y| x * y)).sum();
    let na = a.values().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.values().map(|x| x * x).sum::<f32>().sqrt();
    if na > 0.0 && nb > 0.0 {
        num / (na * nb)
    } else {
        0.0
    }
}

/// Length of the longest common subsequence of words.
fn lcs(a: &[String], b: &[String]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    for x in a {
        let mut cur = vec![0usize; b.len() + 1];
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y { prev[j] + 1 } else { prev[j + 1].max(cur[j]) };
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The wording of one sentence.
#[derive(Debug, Clone, Default)]
pub struct Lexical {
    /// Lower-cased words and numbers, in order.
    pub words: Vec<String>,
    /// Stems of the words that are not stop words.
    pub stems: HashSet<String>,
    /// Character trigram counts (ordered, so sums over them are the same bits on every run).
    pub trigrams: BTreeMap<String, f32>,
    /// Numbers, written plainly (`1,650` and `1650` alike; `two` as `2`).
    pub numbers: HashSet<String>,
    /// Capitalised words not at the start of the sentence, and all-capital abbreviations, lower-cased.
    pub names: HashSet<String>,
    /// Negating words: not, n't, no, never, ...
    pub negations: usize,
}

const STOP: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "he", "her",
    "his", "i", "if", "in", "into", "is", "it", "its", "it's", "may", "more", "most", "mr", "ms", "of", "on", "one", "or", "other", "our", "out", "over", "said", "says", "say", "she", "so", "some",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "up", "was", "we", "were", "what", "when", "which", "while", "who", "will", "with", "would",
    "you", "s",
];

const NEGATIONS: &[&str] = &["not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "nowhere", "without", "cannot"];

const NUMBER_WORDS: &[(&str, &str)] = &[
    ("zero", "0"),
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("quarter", "0.25"),
    ("half", "0.5"),
    ("twenty", "20"),
    ("hundred", "100"),
    ("thousand", "1000"),
    ("million", "1000000"),
    ("billion", "1000000000"),
];

impl Lexical {
    pub fn new(text: &str) -> Lexical {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut lex = Lexical::default();
        let mut first = true;
        for raw in split_words(text).into_iter().take(MAX_WORDS) {
            let lower = raw.to_lowercase();
            let starts_upper = raw.chars().next().is_some_and(char::is_uppercase);
            let all_caps = raw.chars().filter(|c| c.is_alphabetic()).count() >= 2 && raw.chars().all(|c| !c.is_lowercase());
            if raw.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                let plain: String = raw.chars().filter(|&c| c != ',').collect();
                let plain = plain.trim_end_matches('.').to_string();
                lex.numbers.insert(plain.parse::<f64>().map(|n| n.to_string()).unwrap_or(plain));
            } else if let Some((_, n)) = NUMBER_WORDS.iter().find(|(w, _)| *w == lower) {
                lex.numbers.insert(n.to_string());
            }
            if NEGATIONS.contains(&lower.as_str()) || lower.ends_with("n't") {
                lex.negations += 1;
            }
            let stop = STOP.contains(&lower.as_str());
            if (starts_upper && !first && !stop) || all_caps {
                lex.names.insert(lower.clone());
            }
            if !stop && !NEGATIONS.contains(&lower.as_str()) {
                lex.stems.insert(stemmer.stem(lower.trim_end_matches("'s")).into_owned());
            }
            lex.words.push(lower);
            first = false;
        }
        let flat: Vec<char> = format!(" {} ", lex.words.join(" ")).chars().collect();
        for w in flat.windows(3) {
            *lex.trigrams.entry(w.iter().collect()).or_default() += 1.0;
        }
        lex
    }
}

/// Words (letters and digits, with inner apostrophes, hyphens, and the commas
/// and points of numbers) in order; punctuation dropped.
fn split_words(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = chars[i].0;
        let mut j = i + 1;
        while j < chars.len() {
            let c = chars[j].1;
            let next_alnum = chars.get(j + 1).is_some_and(|n| n.1.is_alphanumeric());
            let next_digit = chars.get(j + 1).is_some_and(|n| n.1.is_ascii_digit());
            let prev_digit = chars[j - 1].1.is_ascii_digit();
            if c.is_alphanumeric() || ((c == '\'' || c == '’' || c == '-') && next_alnum) || ((c == ',' || c == '.') && prev_digit && next_digit) {
                j += 1;
            } else {
                break;
            }
        }
        let end = chars.get(j).map_or(text.len(), |c| c.0);
        out.push(&text[start..end]);
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_numbers_names_and_negation() {
        let l = Lexical::new("Shares of Apple Inc. didn't rise 1,650 points, or 0.11 percent, said two U.S. analysts.");
        assert_eq!(l.words[..4], ["shares", "of", "apple", "inc"]);
        assert!(l.words.contains(&"didn't".to_string()));
        assert_eq!(l.numbers, ["1650", "0.11", "2"].into_iter().map(String::from).collect());
        assert!(l.names.contains("apple") && l.names.contains("inc") && !l.names.contains("shares"), "{:?}", l.names);
        assert_eq!(l.negations, 1);
        assert!(l.stems.contains("analyst") && !l.stems.contains("of"));
    }

    /// Sums over maps go in a fixed order, so that a pair's features, and the
    /// trees trained on them, are the same bits on every run (a hash map's
    /// order differs between maps, and a float sum depends on its order).
    #[test]
    fn weighted_overlaps_do_not_depend_on_map_order() {
        let a = "The quarterly report said 1,650 analysts at Apple, Microsoft and Alphabet expected revenue to rise across every regional market.";
        let b = "Analysts at Apple and Microsoft expected quarterly revenue in every regional market to rise, the report said, while Alphabet's fell.";
        let first = count_cosine(&Lexical::new(a).trigrams, &Lexical::new(b).trigrams);
        let ids = |t: &str| t.bytes().map(u32::from).collect::<Vec<u32>>();
        let weights = |t: &str| t.bytes().map(|c| 1.0 / (1.0 + c as f32).sqrt()).collect::<Vec<f32>>();
        let first_idf = weighted_jaccard(&ids(a), &weights(a), &ids(b), &weights(b));
        for _ in 0..50 {
            assert_eq!(count_cosine(&Lexical::new(a).trigrams, &Lexical::new(b).trigrams).to_bits(), first.to_bits());
            assert_eq!(weighted_jaccard(&ids(a), &weights(a), &ids(b), &weights(b)).to_bits(), first_idf.to_bits());
        }
    }

    #[test]
    fn set_measures() {
        let a: HashSet<String> = ["5", "7"].into_iter().map(String::from).collect();
        let b: HashSet<String> = ["5"].into_iter().map(String::from).collect();
        assert_eq!(unmatched(&a, &b), 0.5);
        assert_eq!(unmatched(&HashSet::new(), &HashSet::new()), 0.0);
        assert_eq!(containment(&a, &b), 1.0);
        assert_eq!(jaccard(&a, &b), 0.5);
        let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert_eq!(lcs(&w("the cat sat on the mat"), &w("the cat was on a mat")), 4);
    }

    #[test]
    fn idf_weighs_rare_wordpieces_more() {
        let idf = Idf::count([&[1u32, 2][..], &[1, 3], &[1, 2]]);
        assert_eq!(idf.documents, 3);
        assert!(idf.weight(1) < idf.weight(2) && idf.weight(2) < idf.weight(3) && idf.weight(3) < idf.weight(99));
    }
}
