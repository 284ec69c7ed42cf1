//! Enrich: an [`Article`]'s clean text -> sentences, entities, quantities and
//! attributions, with offsets back into the text.
//!
//! Takes articles from extraction and gives [`Enriched`] articles to the story
//! and claim stages. Reference data (countries, demonyms, capitals, well-known
//! organisations and people with their aliases) is a small embedded gazetteer
//! in `entities.rs`; rules handle the rest. It never changes article text and
//! never looks across articles: cross-article work belongs to later stages.

mod attribution;
mod entities;
mod quantities;
mod sentences;
mod terms;

use dossier_model::{Article, Attribution, Entity, Quantity, Sentence};

pub use attribution::{attribution_in, attributions_in, char_offsets, is_speech_cue, sentence_attributions, AttributionSpan, CharOffsets};
pub use entities::{entities_in, publication_like};
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

/// An article with everything enrichment found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Enriched {
    pub article: Article,
    pub sentences: Vec<SentenceFacts>,
    pub entities: Vec<Entity>,
}

/// Enriches one article.
pub fn enrich(article: &Article) -> Enriched {
    let entities = entities_in(&article.text);
    let sentences = split_sentences(&article.text);
    let ranges: Vec<std::ops::Range<usize>> = sentences.iter().map(|s| s.start..s.end).collect();
    let mut attributions = sentence_attributions(&article.text, &ranges).into_iter();
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
    Enriched { article: article.clone(), sentences, entities }
}
