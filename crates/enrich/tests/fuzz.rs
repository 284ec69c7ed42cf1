//! Enrichment of arbitrary text never panics and keeps sentence offsets exact.

use dossier_enrich::{enrich, split_sentences};
use dossier_model::{Article, ArticleKind, Outlet, OutletBasis};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Words, punctuation and multibyte characters that sentence and entity rules look at.
    proptest::collection::vec(
        prop_oneof![
            "[A-Za-z]{1,8}",
            Just(". ".to_string()),
            Just("… ".to_string()),
            Just("\u{a0}".to_string()),
            Just("“Quoted,” he said. ".to_string()),
            Just("Dr. ".to_string()),
            Just("U.S. ".to_string()),
            Just("$240 billion ".to_string()),
            Just("\n\n- ".to_string()),
            Just("é ü 中文 ".to_string()),
            Just("? ".to_string()),
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn sentences_point_into_the_text(t in text()) {
        for s in split_sentences(&t) {
            prop_assert_eq!(&t[s.start..s.end], s.text.as_str());
        }
    }

    #[test]
    fn enrich_never_panics(title in text(), body in text()) {
        let a = Article {
            id: "x".into(),
            kind: ArticleKind::Main,
            title,
            text: body,
            outlet: Outlet { name: "O".into(), basis: OutletBasis::Given },
            url: None,
            source: "x".into(),
            published: None,
            seen_at: "2025-06-22T12:00:00Z".parse().unwrap(),
            language: None,
        };
        let _ = enrich(&a);
    }
}
