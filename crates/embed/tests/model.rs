//! Tests against the real model. They need it installed (`dossier model
//! fetch`, or `$DOSSIER_MODEL`); the test script installs it, and under CI a
//! missing model is a failure, not a skip.

use dossier_embed::{dot, locate, Embedder, DIM};

fn embedder() -> Option<Embedder> {
    match locate() {
        Some(dir) => Some(Embedder::load(&dir).expect("installed model loads")),
        None if std::env::var_os("CI").is_some() => panic!("CI: the embedding model is not installed (scripts/test.sh fetches it)"),
        None => {
            eprintln!("skipped: no embedding model installed (dossier model fetch)");
            None
        }
    }
}

#[test]
fn reproduces_the_published_similarity() {
    let Some(e) = embedder() else { return };
    let v = e.embed(&["A man is eating food.", "A man is eating a piece of bread.", "The new movie is awesome."]).unwrap();
    assert!(v.iter().all(|x| x.len() == DIM));
    for x in &v {
        let norm: f32 = x.iter().map(|a| a * a).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "unit length: {norm}");
    }
    // sentence-transformers gives 0.7553 for this pair.
    let c = dot(&v[0], &v[1]);
    assert!((c - 0.755).abs() < 0.005, "cosine {c}");
    assert!(dot(&v[0], &v[2]) < 0.2, "unrelated: {}", dot(&v[0], &v[2]));
}

#[test]
fn padding_is_masked_so_batch_mates_do_not_matter() {
    let Some(e) = embedder() else { return };
    let short = "Stocks fall after Fed official hints at faster tapering";
    let long = "The Federal Reserve Bank of Philadelphia's president said on Monday that weak economic data in recent months \
        was largely caused by the unusually cold winter weather and should not slow the pace at which the central bank winds down \
        its bond purchases, a view that sent stocks lower in early trading in New York.";
    let alone = e.embed(&[short]).unwrap().remove(0);
    let batched = e.embed(&[long, short, "Fed", long]).unwrap();
    let diff = alone.iter().zip(&batched[1]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(diff < 2e-3, "padding leaked into the short text's vector: max difference {diff}");
    assert!(dot(&alone, &batched[1]) > 0.9999);
    // Order of results follows the input, not the length sort.
    assert_eq!(batched[0], batched[3]);
    assert!(dot(&batched[0], &batched[2]) < 0.9);
}

#[test]
fn paraphrases_score_above_different_events() {
    let Some(e) = embedder() else { return };
    let v = e
        .embed(&["Earthquake of magnitude 7 strikes off the coast of Chile", "Powerful quake hits Chilean coastline, tsunami alert issued", "Central bank raises interest rates by half a point"])
        .unwrap();
    assert!(dot(&v[0], &v[1]) > 0.6, "paraphrase {}", dot(&v[0], &v[1]));
    assert!(dot(&v[0], &v[2]) < 0.3, "different event {}", dot(&v[0], &v[2]));
}
