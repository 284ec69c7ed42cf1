//! Content terms: lowercase, stopwords dropped, Snowball-stemmed. Shared by
//! story clustering and claim alignment so both see words the same way.

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "even",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yet",
    "may",
    "might",
    "must",
    "said",
    "says",
    "say",
    "s",
    "t",
    "one",
    "new",
    "like",
    "upon",
    "via",
    "within",
    "without",
    "among",
    "amid",
    "despite",
    "though",
    "whether",
    "according",
    "reportedly",
    "however",
    "still",
    "already",
    "since",
    "well",
];

pub fn is_stopword(w: &str) -> bool {
    // The list reads best grouped by kind; a hash set of it, made once, is looked up (every
    // word of every article comes here, so the hash is a fast one).
    static SET: OnceLock<rustc_hash::FxHashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOPWORDS.iter().copied().collect()).contains(w)
}

/// Stems one lowercase word with the Snowball English stemmer.
pub fn stem(word: &str) -> String {
    static S: OnceLock<Stemmer> = OnceLock::new();
    // News repeats its words: each thread remembers the stems it made (up to
    // STEM_CACHE words, then starts over), which costs a hash lookup instead
    // of the Snowball rules.
    thread_local! {
        static SEEN: std::cell::RefCell<rustc_hash::FxHashMap<String, String>> = Default::default();
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(s) = seen.get(word) {
            return s.clone();
        }
        if seen.len() >= STEM_CACHE {
            seen.clear();
        }
        let s = S.get_or_init(|| Stemmer::create(Algorithm::English)).stem(word).into_owned();
        seen.insert(word.to_string(), s.clone());
        s
    })
}

/// Words whose stems one thread keeps (about 10 MB at most).
const STEM_CACHE: usize = 100_000;

/// The content terms of a text, in order.
///
/// ```
/// assert_eq!(dossier_enrich::terms("The memo was authenticated by agencies"), ["memo", "authent", "agenc"]);
/// ```
pub fn terms(text: &str) -> Vec<String> {
    // Every word of every article passes here: one buffer is reused for the lower-case
    // form, so a term costs one allocation (its stem) instead of three.
    let mut lower = String::new();
    let mut out = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’') {
        let word = word.trim_matches(['\'', '’']);
        if word.is_empty() {
            continue;
        }
        lower.clear();
        if word.is_ascii() {
            lower.push_str(word);
            lower.make_ascii_lowercase();
        } else {
            lower.push_str(&word.to_lowercase());
        }
        let w = lower.strip_suffix("'s").or_else(|| lower.strip_suffix("’s")).unwrap_or(&lower);
        if w.chars().count() >= 2 && !is_stopword(w) {
            out.push(stem(w));
        }
    }
    out
}
