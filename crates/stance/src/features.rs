//! What the classifier reads about one headline and one body: how much of the
//! headline the body (its lead, its closest sentences) repeats, and the
//! refuting, hedging, negating and confirming words of the headline, of the
//! body and of the body's sentences closest to the headline. Words only: it
//! runs the same with the embedding model off.

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

/// The feature names, in the order [`features`] gives them.
pub const NAMES: &[&str] = &[
    "cos_body",
    "cos_lead",
    "cos_best_sentence",
    "cos_top3_mean",
    "cover_body",
    "cover_lead",
    "cover_best_sentence",
    "bigram_cover_body",
    "headline_terms",
    "body_sentences_log",
    "headline_refute",
    "headline_hedge",
    "headline_negation",
    "headline_question",
    "top_refute",
    "top_hedge",
    "top_negation",
    "top_agree",
    "top_negation_near_headline",
    "lead_refute",
    "lead_hedge",
    "lead_negation",
    "body_refute_rate",
    "body_hedge_rate",
    "body_negation_rate",
    "body_agree_rate",
    "related_refute_sentences",
    "first_refute_position",
    "refute_polarity_differs",
    "body_fake",
    "body_hoax",
    "body_false",
    "body_deny",
    "body_debunk",
    "body_satire",
    "body_not_true",
    "body_no_evidence",
    "related_sentence_share",
    "related_hedge_sentences",
    "body_question_rate",
    // Stacked: the body-word regression's probabilities ([`crate::linear`]), appended by the caller.
    "linear_agree",
    "linear_disagree",
    "linear_discuss",
];

/// Features [`read`] computes itself (the rest are the regression's).
pub const OWN: usize = 40;

/// Sentences of a body the features read (the lead and what follows; stance is stated early).
pub const MAX_SENTENCES: usize = 60;

/// Words that refute or cast doubt on a claim.
const REFUTE: &[&str] = &[
    "fake",
    "fakes",
    "faked",
    "fraud",
    "fraudulent",
    "hoax",
    "hoaxes",
    "false",
    "falsely",
    "deny",
    "denies",
    "denied",
    "denying",
    "denial",
    "refute",
    "refutes",
    "refuted",
    "nope",
    "doubt",
    "doubts",
    "doubtful",
    "bogus",
    "debunk",
    "debunks",
    "debunked",
    "debunking",
    "prank",
    "pranks",
    "retract",
    "retracts",
    "retracted",
    "retraction",
    "untrue",
    "misleading",
    "satire",
    "satirical",
    "fabricated",
    "fabrication",
    "myth",
    "baseless",
    "unfounded",
    "dismissed",
    "dismisses",
    "rejected",
    "rejects",
    "wrong",
    "incorrect",
    "lie",
    "lies",
    "lied",
    "scam",
    "photoshopped",
    "doctored",
    "parody",
    "spoof",
    "rumour",
    "rumours",
    "rumor",
    "rumors",
    "nonsense",
    "ridiculous",
    "erroneous",
    "mistaken",
    "inaccurate",
    "disputed",
    "disputes",
    "contrary",
];

/// Words that report a claim without vouching for it.
const HEDGE: &[&str] = &[
    "reportedly",
    "allegedly",
    "alleged",
    "purportedly",
    "purported",
    "apparently",
    "apparent",
    "claims",
    "claimed",
    "claim",
    "claiming",
    "unconfirmed",
    "unverified",
    "may",
    "might",
    "could",
    "possibly",
    "possible",
    "perhaps",
    "appears",
    "appear",
    "appeared",
    "seems",
    "seem",
    "seemingly",
    "believed",
    "suggests",
    "suggested",
    "suggest",
    "speculation",
    "speculate",
    "speculated",
    "rumored",
    "rumoured",
    "if",
    "whether",
    "unclear",
    "supposedly",
    "according",
    "report",
    "reports",
    "reported",
    "likely",
    "unknown",
    "investigating",
    "probe",
];

/// Negations.
const NEGATION: &[&str] = &["not", "no", "never", "none", "nothing", "neither", "nor", "cannot", "without", "nobody", "nowhere"];

/// Words that vouch for a claim.
const AGREE: &[&str] = &[
    "confirmed",
    "confirms",
    "confirm",
    "confirming",
    "confirmation",
    "announced",
    "announces",
    "official",
    "officially",
    "revealed",
    "reveals",
    "indeed",
    "verified",
    "true",
    "actually",
    "proof",
    "proved",
    "proves",
    "evidence",
    "statement",
    "footage",
    "shows",
    "showed",
];

/// One text read for features: its lower-case words and its content stems.
#[derive(Debug, Clone, Default)]
pub struct Text {
    pub words: Vec<String>,
    pub terms: Vec<String>,
    cues: Cues,
}

/// How many cue words of each kind a text has.
#[derive(Debug, Clone, Copy, Default)]
struct Cues {
    refute: f32,
    hedge: f32,
    negation: f32,
    agree: f32,
    question: f32,
}

const REFUTES: u8 = 1;
const HEDGES: u8 = 2;
const NEGATES: u8 = 4;
const AGREES: u8 = 8;

/// Each cue word's kinds, as bits: one lookup per word instead of a scan of every list
/// (the lists hold some 150 words, and a story's bodies thousands).
fn cue_kinds() -> &'static FxHashMap<&'static str, u8> {
    static K: std::sync::OnceLock<FxHashMap<&'static str, u8>> = std::sync::OnceLock::new();
    K.get_or_init(|| {
        let mut k: FxHashMap<&'static str, u8> = FxHashMap::default();
        for (list, bit) in [(REFUTE, REFUTES), (HEDGE, HEDGES), (NEGATION, NEGATES), (AGREE, AGREES)] {
            for w in list {
                *k.entry(w).or_default() |= bit;
            }
        }
        k
    })
}

impl Text {
    pub fn new(text: &str) -> Text {
        let words: Vec<String> = text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’').map(|w| w.trim_matches(['\'', '’']).to_lowercase()).filter(|w| !w.is_empty()).collect();
        let terms = words.iter().filter(|w| !dossier_enrich::is_stopword(w) && w.chars().any(char::is_alphabetic)).map(|w| dossier_enrich::stem(w)).collect();
        let mut cues = Cues { question: text.matches('?').count() as f32, ..Cues::default() };
        let kinds = cue_kinds();
        for w in &words {
            let w = w.as_str();
            let k = kinds.get(w).copied().unwrap_or(0);
            cues.refute += (k & REFUTES != 0) as u8 as f32;
            cues.hedge += (k & HEDGES != 0) as u8 as f32;
            cues.negation += (k & NEGATES != 0 || w.ends_with("n't") || w.ends_with("n’t")) as u8 as f32;
            cues.agree += (k & AGREES != 0) as u8 as f32;
        }
        Text { words, terms, cues }
    }
}

/// Inverse document frequency of stems, learned from the training bodies and headlines.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Idf {
    /// For a stem not in `of` (a rare one).
    pub unseen: f32,
    pub of: FxHashMap<String, f32>,
}

impl Idf {
    /// From documents' stem lists; keeps stems seen in `min_df` documents or more.
    pub fn fit<'a>(docs: impl Iterator<Item = &'a [String]>, min_df: usize) -> Idf {
        let mut df: FxHashMap<&str, usize> = FxHashMap::default();
        let mut n = 0usize;
        for d in docs {
            n += 1;
            let seen: FxHashSet<&str> = d.iter().map(String::as_str).collect();
            for t in seen {
                *df.entry(t).or_default() += 1;
            }
        }
        // Two decimals are plenty, and keep the shipped table small.
        let idf = |df: usize| ((((n + 1) as f32 / (df + 1) as f32).ln() + 1.0) * 100.0).round() / 100.0;
        Idf { unseen: idf(min_df.saturating_sub(1)), of: df.into_iter().filter(|&(_, d)| d >= min_df).map(|(t, d)| (t.to_string(), idf(d))).collect() }
    }

    fn get(&self, term: &str) -> f32 {
        self.of.get(term).copied().unwrap_or(self.unseen)
    }

    /// The unit TF-IDF vector of some stems.
    fn vector<'a>(&self, terms: impl Iterator<Item = &'a String>) -> FxHashMap<&'a str, f32> {
        let mut v: FxHashMap<&str, f32> = FxHashMap::default();
        for t in terms {
            *v.entry(t.as_str()).or_default() += 1.0;
        }
        for (t, x) in v.iter_mut() {
            *x = (1.0 + x.ln()) * self.get(t);
        }
        let norm = v.values().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            v.values_mut().for_each(|x| *x /= norm);
        }
        v
    }
}

/// The cosine of a headline's vector and a body's (the headline's few terms looked up).
fn cosine(h: &FxHashMap<&str, f32>, b: &FxHashMap<u64, f32>) -> f32 {
    h.iter().filter_map(|(t, x)| b.get(&term_hash(t)).map(|y| x * y)).sum()
}

/// A body's vector kept by its terms' hashes: no copy of every term's string.
fn hashed(v: FxHashMap<&str, f32>) -> FxHashMap<u64, f32> {
    v.into_iter().map(|(t, x)| (term_hash(t), x)).collect()
}

/// What a body gives every headline alike, worked out at its first pairing: its sentences'
/// TF-IDF vectors, the whole body's and the lead's, its bag of words and its cue counts.
#[derive(Debug, Clone)]
struct Prepared {
    per: Vec<FxHashMap<u64, f32>>,
    whole: FxHashMap<u64, f32>,
    lead: FxHashMap<u64, f32>,
    bag: Vec<u32>,
    counts: [f32; 8],
}

impl Prepared {
    fn new(idf: &Idf, s: &[Text]) -> Prepared {
        let lead_n = s.len().min(LEAD);
        let count = |ws: &[&str]| s.iter().flat_map(|x| x.words.iter()).filter(|w| ws.contains(&w.as_str())).count() as f32;
        let phrase = |a: &str, b: &str| s.iter().map(|x| x.words.windows(2).filter(|w| w[0] == a && w[1] == b).count()).sum::<usize>() as f32;
        Prepared {
            per: s.iter().map(|x| hashed(idf.vector(x.terms.iter()))).collect(),
            whole: hashed(idf.vector(s.iter().flat_map(|x| x.terms.iter()))),
            lead: hashed(idf.vector(s[..lead_n].iter().flat_map(|x| x.terms.iter()))),
            bag: {
                // Sorted and unique once, so each pairing only merges in its own few words.
                let mut bag: Vec<u32> = s.iter().flat_map(|x| x.words.iter().map(|w| crate::linear::bucket(b'b', w, None))).collect();
                bag.sort_unstable();
                bag.dedup();
                bag
            },
            counts: [
                count(&["fake", "fakes", "faked"]),
                count(&["hoax", "hoaxes", "prank", "pranks"]),
                count(&["false", "falsely", "untrue"]),
                count(&["deny", "denies", "denied", "denying", "denial"]),
                count(&["debunk", "debunks", "debunked", "debunking"]),
                count(&["satire", "satirical", "parody", "spoof"]),
                phrase("not", "true") + phrase("isn't", "true"),
                phrase("no", "evidence") + phrase("no", "proof"),
            ],
        }
    }
}

/// A body read once for all the headlines it is paired with.
#[derive(Debug, Clone)]
pub struct Body {
    pub sentences: Vec<Text>,
    terms: FxHashSet<String>,
    /// Stem pairs, hashed: looked up by pair, never read back.
    bigrams: FxHashSet<u64>,
    /// Made with the IDF of the first pairing: a body is read with one model.
    prepared: std::sync::OnceLock<Prepared>,
}

/// Sentences that make up the lead.
const LEAD: usize = 3;

impl Body {
    /// From the body's sentences (the first [`MAX_SENTENCES`] are read).
    pub fn new<'a>(sentences: impl IntoIterator<Item = &'a str>) -> Body {
        let sentences: Vec<Text> = sentences.into_iter().filter(|s| !s.trim().is_empty()).take(MAX_SENTENCES).map(Text::new).collect();
        let terms = sentences.iter().flat_map(|s| s.terms.iter().cloned()).collect();
        let bigrams = sentences.iter().flat_map(|s| s.terms.windows(2).map(|w| pair_hash(&w[0], &w[1]))).collect();
        Body { sentences, terms, bigrams, prepared: std::sync::OnceLock::new() }
    }

    /// From plain text, split into sentences.
    pub fn of_text(text: &str) -> Body {
        let split = dossier_enrich::split_sentences(text);
        Body::new(split.iter().map(|s| s.text.as_str()))
    }
}

/// The first [`OWN`] features of a headline against a body (in [`NAMES`] order), and the
/// body's bag of hashed words for the regression: every word of the body, and the words
/// and word pairs of its lead and of the three sentences closest to the headline.
pub fn read(idf: &Idf, headline: &Text, body: &Body) -> (Vec<f32>, Vec<u32>) {
    let h = idf.vector(headline.terms.iter());
    let h_terms: FxHashSet<&str> = headline.terms.iter().map(String::as_str).collect();
    let h_weight: f32 = h_terms.iter().map(|t| idf.get(t)).sum::<f32>().max(1e-6);
    let cover = |terms: &dyn Fn(&str) -> bool| h_terms.iter().filter(|t| terms(t)).map(|t| idf.get(t)).sum::<f32>() / h_weight;

    let s = &body.sentences;
    let prep = body.prepared.get_or_init(|| Prepared::new(idf, s));
    let lead_n = s.len().min(LEAD);

    let per: Vec<f32> = prep.per.iter().map(|v| cosine(&h, v)).collect();
    let mut order: Vec<usize> = (0..s.len()).collect();
    order.sort_by(|&a, &b| per[b].total_cmp(&per[a]).then(a.cmp(&b)));
    let top: Vec<usize> = order.iter().copied().take(3).filter(|&i| per[i] > 0.0).collect();
    let best = order.first().copied();
    let lead_terms: FxHashSet<&str> = s[..lead_n].iter().flat_map(|x| x.terms.iter().map(String::as_str)).collect();
    let best_terms: FxHashSet<&str> = best.map(|i| s[i].terms.iter().map(String::as_str).collect()).unwrap_or_default();
    let h_bigrams: Vec<u64> = headline.terms.windows(2).map(|w| pair_hash(&w[0], &w[1])).collect();
    let bigram_cover = if h_bigrams.is_empty() { 0.0 } else { h_bigrams.iter().filter(|h| body.bigrams.contains(h)).count() as f32 / h_bigrams.len() as f32 };

    let sum = |idx: &mut dyn Iterator<Item = usize>| {
        idx.fold(Cues::default(), |mut c, i| {
            let x = s[i].cues;
            c.refute += x.refute;
            c.hedge += x.hedge;
            c.negation += x.negation;
            c.agree += x.agree;
            c.question += x.question;
            c
        })
    };
    let top_c = sum(&mut top.iter().copied());
    let lead_c = sum(&mut (0..lead_n));
    let all_c = sum(&mut (0..s.len()));
    let n = s.len().max(1) as f32;
    // Sentences that share enough of the headline to be about its claim.
    let related: Vec<usize> = (0..s.len()).filter(|&i| per[i] >= 0.2).collect();
    let near = top.iter().map(|&i| negation_near(&s[i], &h_terms)).sum::<f32>();
    let first_refute = s.iter().position(|x| x.cues.refute > 0.0).map_or(1.0, |i| i as f32 / n);
    let hc = headline.cues;
    let mut near_words: Vec<u32> = Vec::new();
    for i in top.iter().copied().chain(0..lead_n) {
        let w = &s[i].words;
        near_words.extend(w.iter().map(|w| crate::linear::bucket(b't', w, None)));
        near_words.extend(w.windows(2).map(|p| crate::linear::bucket(b't', &p[0], Some(&p[1]))));
    }
    near_words.sort_unstable();
    near_words.dedup();
    let bag = merge_sorted(&prep.bag, &near_words);
    let dense = vec![
        cosine(&h, &prep.whole),
        cosine(&h, &prep.lead),
        best.map_or(0.0, |i| per[i]),
        if top.is_empty() { 0.0 } else { top.iter().map(|&i| per[i]).sum::<f32>() / top.len() as f32 },
        cover(&|t| body.terms.contains(t)),
        cover(&|t| lead_terms.contains(t)),
        cover(&|t| best_terms.contains(t)),
        bigram_cover,
        h_terms.len() as f32,
        (1.0 + s.len() as f32).ln(),
        hc.refute,
        hc.hedge,
        hc.negation,
        hc.question,
        top_c.refute,
        top_c.hedge,
        top_c.negation,
        top_c.agree,
        near,
        lead_c.refute,
        lead_c.hedge,
        lead_c.negation,
        all_c.refute / n,
        all_c.hedge / n,
        all_c.negation / n,
        all_c.agree / n,
        related.iter().filter(|&&i| s[i].cues.refute > 0.0).count() as f32,
        first_refute,
        ((hc.refute > 0.0) != (top_c.refute > 0.0)) as u8 as f32,
        prep.counts[0],
        prep.counts[1],
        prep.counts[2],
        prep.counts[3],
        prep.counts[4],
        prep.counts[5],
        prep.counts[6],
        prep.counts[7],
        related.len() as f32 / n,
        related.iter().filter(|&&i| s[i].cues.hedge > 0.0).count() as f32,
        all_c.question / n,
    ];
    (dense, bag)
}

/// The union of two sorted, unique lists, sorted and unique.
fn merge_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => {
                out.push(a[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(b[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// A stem's hash, for a body's vectors.
fn term_hash(t: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    t.hash(&mut h);
    h.finish()
}

/// A stem pair's hash, for the body's set of pairs.
fn pair_hash(a: &str, b: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    (a, b).hash(&mut h);
    h.finish()
}

/// Negations within four words before a word whose stem the headline has.
fn negation_near(s: &Text, h_terms: &FxHashSet<&str>) -> f32 {
    let negated: Vec<usize> = s.words.iter().enumerate().filter(|(_, w)| NEGATION.contains(&w.as_str()) || w.ends_with("n't") || w.ends_with("n’t")).map(|(i, _)| i).collect();
    if negated.is_empty() {
        return 0.0;
    }
    negated.iter().filter(|&&i| s.words[i + 1..].iter().take(4).any(|w| !dossier_enrich::is_stopword(w) && h_terms.contains(dossier_enrich::stem(w).as_str()))).count() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_per_name() {
        let idf = Idf::fit(std::iter::empty(), 1);
        let b = Body::of_text("The ministry denied the report. It said no talks took place.");
        let (f, bag) = read(&idf, &Text::new("Ministry confirms secret talks"), &b);
        assert_eq!(f.len(), OWN);
        assert!(!bag.is_empty() && bag.windows(2).all(|w| w[0] < w[1]));
        assert!(f.iter().all(|x| x.is_finite()));
        // "denied" refutes and "no" negates "talks", a headline word.
        assert_eq!(f[NAMES.iter().position(|n| *n == "body_deny").unwrap()], 1.0);
        assert_eq!(f[NAMES.iter().position(|n| *n == "top_negation_near_headline").unwrap()], 1.0);
    }

    #[test]
    fn an_empty_body_or_headline_gives_zeros_not_nans() {
        let idf = Idf::fit(std::iter::empty(), 1);
        let (f, _) = read(&idf, &Text::new(""), &Body::of_text(""));
        assert!(f.iter().all(|x| x.is_finite()));
    }
}
