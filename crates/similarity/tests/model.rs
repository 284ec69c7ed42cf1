//! The scorer with the real model and the shipped combiner. These need the
//! model installed (`dossier model fetch`, or `$DOSSIER_MODEL`); the test
//! script installs it, and under CI a missing model is a failure, not a skip.

use std::path::Path;

use dossier_similarity::data::{read_pairs, spearman};
use dossier_similarity::Similarity;

fn scorer() -> Option<Similarity> {
    match dossier_embed::locate() {
        Some(dir) => Some(Similarity::load(&dir).expect("model and combiner load")),
        None if std::env::var_os("CI").is_some() => panic!("CI: the embedding model is not installed (scripts/test.sh fetches it)"),
        None => {
            eprintln!("skipped: no embedding model installed (dossier model fetch)");
            None
        }
    }
}

#[test]
fn paraphrase_above_related_above_unrelated() {
    let Some(s) = scorer() else { return };
    let base = "The Federal Reserve raised interest rates by a quarter point on Wednesday.";
    let scores = s
        .score_pairs(&[
            (base, "On Wednesday the Federal Reserve lifted interest rates by a quarter of a percentage point."),
            (base, "The Federal Reserve left interest rates unchanged on Wednesday."),
            (base, "Heavy rain flooded roads across the north of England."),
        ])
        .unwrap();
    assert!(scores.iter().all(|x| (0.0..=5.0).contains(x)), "{scores:?}");
    assert!(scores[0] > scores[1] && scores[1] > scores[2], "{scores:?}");
    assert!(scores[0] > 3.0 && scores[2] < 1.0, "{scores:?}");
    // Symmetric, and the batch form agrees with the single one.
    let one = s.score("Heavy rain flooded roads across the north of England.", base).unwrap();
    assert!((one - scores[2]).abs() < 1e-3, "{one} vs {}", scores[2]);
}

#[test]
fn a_different_number_lowers_the_score() {
    let Some(s) = scorer() else { return };
    let a = "The earthquake killed 250 people and injured more than 1,000 in the province.";
    let same = s.score(a, "The quake in the province left 250 dead and over 1,000 injured.").unwrap();
    let other = s.score(a, "The quake in the province left 25 dead and over 100 injured.").unwrap();
    assert!(same > other + 0.3, "same numbers {same}, other numbers {other}");
}

#[test]
fn negation_lowers_the_score() {
    let Some(s) = scorer() else { return };
    let a = "The minister said the government would raise the fuel tax next year.";
    let same = s.score(a, "The government will raise the fuel tax next year, the minister said.").unwrap();
    let negated = s.score(a, "The minister said the government would not raise the fuel tax next year.").unwrap();
    assert!(same > negated, "same {same}, negated {negated}");
}

/// The dev split of the benchmark, where the shared data sits beside the repository.
#[test]
fn dev_spearman_holds() {
    let dev = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/similarity/stsb-news-dev.tsv");
    if !dev.exists() {
        eprintln!("skipped: {} not present", dev.display());
        return;
    }
    let Some(s) = scorer() else { return };
    let pairs = read_pairs(&dev).unwrap();
    let refs: Vec<(&str, &str)> = pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
    let pred = s.score_pairs(&refs).unwrap();
    let gold: Vec<f32> = pairs.iter().map(|p| p.score).collect();
    let rho = spearman(&pred, &gold);
    eprintln!("dev spearman {rho:.4}");
    assert!(rho >= FLOOR, "dev spearman {rho:.4} fell below {FLOOR}");
}

/// What the shipped combiner measures on dev (see BENCHMARKS.md), less a margin for float differences across machines.
const FLOOR: f64 = 0.805;

/// The last layer run here, on the first five layers' states, gives the model's own vectors.
#[test]
fn the_layer_run_here_reproduces_the_model() {
    use candle_core::{Device, Tensor};
    let Some(dir) = dossier_embed::locate() else { return };
    let texts = ["Stocks fell sharply on Monday.", "The central bank kept its key rate at 4.5 percent, as expected by most economists."];
    let full = dossier_embed::Embedder::load(&dir).unwrap().embed(&texts).unwrap();
    let first = dossier_embed::Embedder::load_layers(&dir, Some(5)).unwrap().embed_tokens(&texts).unwrap();
    let layer = dossier_similarity::head::Layer::from_model(&dossier_embed::weights_file(&dir).unwrap(), 5).unwrap();
    let states: Vec<Tensor> = first.iter().map(|e| Tensor::from_vec(e.tokens.concat(), (e.tokens.len(), dossier_embed::DIM), &Device::Cpu).unwrap()).collect();
    let (x, mask) = dossier_similarity::head::batch(&states.iter().collect::<Vec<_>>()).unwrap();
    let (pooled, _) = layer.pooled(&x, &mask).unwrap();
    for (mine, theirs) in pooled.to_vec2::<f32>().unwrap().iter().zip(&full) {
        let cos: f32 = mine.iter().zip(theirs).map(|(a, b)| a * b).sum();
        assert!(cos > 0.9999, "cosine with the model's own vector {cos}");
    }
    assert!(dossier_embed::Embedder::load_layers(&dir, Some(9)).is_err());
}
