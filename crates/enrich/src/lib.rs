//! Enrich: an [`Article`]'s clean text -> sentences, entities, quantities and
//! attributions, with offsets back into the text.
//!
//! Takes articles from extraction and gives [`Enriched`] articles to the story
//! and claim stages. Reference data (countries, demonyms, capitals, well-known
//! organisations and people with their aliases) is a small embedded gazetteer
//! in `entities.rs`; rules handle the rest. It never changes the stored
//! article and never looks across articles: cross-article work belongs to
//! later stages. What one article may cost is bounded: the analysis reads at
//! most [`MAX_ANALYSED_BYTES`] of its text and [`MAX_SENTENCES`] sentences
//! (an [`Enriched`] article carries the part read, and says when it was cut).

mod attribution;
mod entities;
mod quantities;
mod sentences;
mod terms;

use dossier_model::{Article, Attribution, Entity, Quantity, Sentence};

pub use attribution::{attribution_in, attributions_in, char_offsets, is_speech_cue, sentence_attributions, AttributionSpan, CharOffsets};
pub use entities::{entities_in, publication_like, story_entity_names};
pub use quantities::quantities_in;
pub use sentences::split_sentences;
pub use terms::{is_stopword, stem, terms};

/// What enrichment learns about one sentence.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SentenceFacts {
    pub sentence: Sentence,
    /// Canonical names of the entities mentioned in the sentence.
    pub entities: Vec<String>,
    pub quantities: Vec<Quantity>,
    pub attribution: Option<Attribution>,
    /// The sentence is a heading or a short label rather than prose.
    pub is_heading: bool,
}

/// Most of one article's text the analysis reads, in bytes: a longer text is
/// analysed (and indexed) in its first part, cut at a paragraph, sentence or
/// word end, and stored whole. Without a bound, one article of many megabytes
/// costs minutes and gigabytes in every analysis step of its story.
pub const MAX_ANALYSED_BYTES: usize = 256 * 1024;

/// Most sentences of one article the analysis reads (claims are aligned
/// sentence by sentence across a story's articles).
pub const MAX_SENTENCES: usize = 3000;

/// An article with everything enrichment found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Enriched {
    /// The article as analysed: its text is the part read (all of it, unless [`Enriched::cut`]).
    pub article: Article,
    pub sentences: Vec<SentenceFacts>,
    pub entities: Vec<Entity>,
    /// The length in bytes of the stored text.
    pub stored_bytes: usize,
}

impl Enriched {
    /// Whether enrichment kept from an earlier analysis is what [`enrich`] gives
    /// now: false for facts made before the limits, which the analysis redoes.
    pub fn fits(text: &str, sentences: &[SentenceFacts]) -> bool {
        sentences.len() <= MAX_SENTENCES && sentences.last().is_none_or(|s| s.sentence.end <= analysed_end(text))
    }

    /// Enrichment kept from an earlier analysis (that [`fits`](Self::fits)), for the article as
    /// stored: the text is cut where [`enrich`] cut it, so every stage reads the same part again.
    pub fn kept(mut article: Article, sentences: Vec<SentenceFacts>, entities: Vec<Entity>) -> Enriched {
        let stored_bytes = article.text.len();
        let end = match sentences.last() {
            Some(last) if sentences.len() >= MAX_SENTENCES => last.sentence.end,
            _ => analysed_end(&article.text),
        };
        article.text.truncate(end.min(stored_bytes));
        Enriched { article, sentences, entities, stored_bytes }
    }

    /// Whether the text was too long to analyse whole (the analysis read its first part).
    pub fn cut(&self) -> bool {
        self.article.text.len() < self.stored_bytes
    }
}

/// Where the analysed part of a text ends: the whole text within
/// [`MAX_ANALYSED_BYTES`], else the last paragraph end before the limit (or
/// sentence end, or word end, when the last paragraph is very long).
pub fn analysed_end(text: &str) -> usize {
    if text.len() <= MAX_ANALYSED_BYTES {
        return text.len();
    }
    let mut cap = MAX_ANALYSED_BYTES;
    while !text.is_char_boundary(cap) {
        cap -= 1;
    }
    let head = &text[..cap];
    let floor = cap / 2;
    head.rfind("\n\n").filter(|&i| i >= floor).or_else(|| head.rfind(". ").map(|i| i + 1).filter(|&i| i >= floor)).or_else(|| head.rfind(char::is_whitespace).filter(|&i| i >= floor)).unwrap_or(cap)
}

/// Enriches one article (at most [`MAX_ANALYSED_BYTES`] and [`MAX_SENTENCES`] of it).
pub fn enrich(article: &Article) -> Enriched {
    let mut end = analysed_end(&article.text);
    let mut sentences = split_sentences(&article.text[..end]);
    if sentences.len() >= MAX_SENTENCES {
        sentences.truncate(MAX_SENTENCES);
        end = sentences.last().map_or(end, |s| s.end);
    }
    let text = &article.text[..end];
    let entities = entities_in(text);
    let ranges: Vec<std::ops::Range<usize>> = sentences.iter().map(|s| s.start..s.end).collect();
    let mut attributions = sentence_attributions(text, &ranges).into_iter();
    let sentences = sentences
        .into_iter()
        .map(|s| {
            let mut names: Vec<String> = entities.iter().filter(|e| e.mentions.iter().any(|m| m.start >= s.start && m.end <= s.end)).map(|e| e.name.clone()).collect();
            names.dedup();
            let words = s.text.split_whitespace().count();
            let is_heading = words < 6 && !s.text.trim_end().ends_with(['.', '!', '?', '"', '”', '’', '\'']);
            SentenceFacts { quantities: quantities_in(&s.text), attribution: attributions.next().flatten(), entities: names, is_heading, sentence: s }
        })
        .collect();
    let mut analysed = article.clone();
    analysed.text.truncate(end);
    Enriched { article: analysed, sentences, entities, stored_bytes: article.text.len() }
}
