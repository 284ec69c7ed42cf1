//! What one article may cost the analysis is bounded: a long text is analysed
//! in its first part (cut at a paragraph end), with at most MAX_SENTENCES
//! sentences, and the article itself is left whole.

use dossier_enrich::{enrich, Enriched, MAX_ANALYSED_BYTES, MAX_SENTENCES};
use dossier_model::{Article, ArticleKind, Outlet, OutletBasis};

fn article(text: String) -> Article {
    Article {
        id: "big".into(),
        kind: ArticleKind::Main,
        title: "Council and cabinet clash over the harbour budget".into(),
        text,
        outlet: Outlet { name: "Example".into(), basis: OutletBasis::Given },
        url: None,
        source: "test".into(),
        published: None,
        seen_at: "2025-06-22T00:00:00Z".parse().unwrap(),
        language: None,
    }
}

fn paragraphs(bytes: usize) -> String {
    let mut text = String::new();
    let mut i = 0;
    while text.len() < bytes {
        text.push_str(&format!(
            "The harbour budget in Riverton rose to {i} million dollars on Monday after a long debate in the council chamber that ran late into the evening, the mayor said. \"We will not cut the school budget, whatever the cabinet decides about the harbour,\" Maria Lopez told reporters in Chile, adding that item {i} passed by {} votes.\n\n",
            i % 17 + 3
        ));
        i += 1;
    }
    text
}

#[test]
fn a_long_text_is_analysed_in_its_first_part_at_a_paragraph_end() {
    let stored = article(paragraphs(3 * MAX_ANALYSED_BYTES));
    let e = enrich(&stored);
    assert!(e.cut());
    assert_eq!(e.stored_bytes, stored.text.len());
    assert!(e.article.text.len() <= MAX_ANALYSED_BYTES && e.article.text.len() > MAX_ANALYSED_BYTES - 300, "{}", e.article.text.len());
    assert!(stored.text[e.article.text.len()..].starts_with("\n\n"), "cut at a paragraph end");
    assert!(stored.text.starts_with(&e.article.text));
    let last = e.sentences.last().unwrap();
    assert!(last.sentence.end <= e.article.text.len() && e.article.text.len() - last.sentence.end < 4);
    assert!(e.entities.iter().flat_map(|x| &x.mentions).all(|m| m.end <= e.article.text.len()));
    // Kept and read again, it is the same analysed part.
    assert!(Enriched::fits(&stored.text, &e.sentences));
    let again = Enriched::kept(stored.clone(), e.sentences.clone(), e.entities.clone());
    assert_eq!(again, e);
    // Facts made before the limits (the whole text) do not fit: the analysis redoes them.
    let whole = dossier_enrich::split_sentences(&stored.text);
    let facts: Vec<_> = whole.into_iter().map(|s| dossier_enrich::SentenceFacts { sentence: s, entities: vec![], quantities: vec![], attribution: None, is_heading: false }).collect();
    assert!(!Enriched::fits(&stored.text, &facts));
    // A short article is read whole.
    let short = enrich(&article(paragraphs(2000)));
    assert!(!short.cut());
}

#[test]
fn sentences_per_article_are_bounded() {
    let stored = article("Yes. ".repeat(3 * MAX_SENTENCES));
    assert!(stored.text.len() < MAX_ANALYSED_BYTES);
    let e = enrich(&stored);
    assert_eq!(e.sentences.len(), MAX_SENTENCES);
    assert!(e.cut());
    assert_eq!(e.article.text.len(), e.sentences.last().unwrap().sentence.end);
    assert_eq!(Enriched::kept(stored, e.sentences.clone(), e.entities.clone()), e);
}
