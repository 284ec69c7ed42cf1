//! The scorer with the real model and the shipped combiner. These need the
//! model installed (`dossier model fetch`, or `$DOSSIER_MODEL`); the test
//! script installs it, and under CI a missing model is a failure, not a skip.

use std::path::Path;

use dossier_embed::Precision;

use dossier_similarity::data::{read_pairs, spearman};
use dossier_similarity::{Combiner, Similarity, Variant};

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

/// The blends the shipped combiner has: the full one, the one without the
/// cross-encoder, and the one with a single bi-encoder copy that the
/// analysis scores claims with.
fn scorers() -> Vec<(Variant, Similarity)> {
    let Some(full) = scorer() else { return Vec::new() };
    let dir = dossier_embed::locate().expect("located above");
    let combiner = Combiner::bundled().unwrap();
    let b = combiner.blend_without_cross.clone().expect("the shipped combiner has a blend without the cross-encoder");
    assert_eq!(b.weight, 0.0);
    assert!(b.bi_weight > 0.0, "{b:?}");
    let one = combiner.blend_one_bi.clone().expect("the shipped combiner has a blend with one bi-encoder copy");
    assert_eq!(one.weight, 0.0);
    assert!(one.bi_weight > 0.0, "{one:?}");
    let cheap = Similarity::with_variant(dossier_embed::Embedder::load(&dir).unwrap(), combiner.clone(), Variant::WithoutCross, &dir).unwrap();
    let cheapest = Similarity::with_variant(dossier_embed::Embedder::load(&dir).unwrap(), combiner, Variant::OneBi, &dir).unwrap();
    vec![(Variant::Full, full), (Variant::WithoutCross, cheap), (Variant::OneBi, cheapest)]
}

#[test]
fn paraphrase_above_related_above_unrelated() {
    for (variant, s) in scorers() {
        paraphrase_order(&s, variant);
    }
}

fn paraphrase_order(s: &Similarity, variant: Variant) {
    let base = "The Federal Reserve raised interest rates by a quarter point on Wednesday.";
    let scores = s
        .score_pairs(&[
            (base, "On Wednesday the Federal Reserve lifted interest rates by a quarter of a percentage point."),
            (base, "The Federal Reserve left interest rates unchanged on Wednesday."),
            (base, "Heavy rain flooded roads across the north of England."),
        ])
        .unwrap();
    assert!(scores.iter().all(|x| (0.0..=5.0).contains(x)), "{variant:?} {scores:?}");
    assert!(scores[0] > scores[1] && scores[1] > scores[2], "{variant:?} {scores:?}");
    assert!(scores[0] > 3.0 && scores[2] < 1.0, "{variant:?} {scores:?}");
    // Symmetric, and the batch form agrees with the single one.
    let one = s.score("Heavy rain flooded roads across the north of England.", base).unwrap();
    assert!((one - scores[2]).abs() < 1e-3, "{variant:?} {one} vs {}", scores[2]);
}

#[test]
fn a_different_number_lowers_the_score() {
    for (variant, s) in scorers() {
        let a = "The earthquake killed 250 people and injured more than 1,000 in the province.";
        let same = s.score(a, "The quake in the province left 250 dead and over 1,000 injured.").unwrap();
        let other = s.score(a, "The quake in the province left 25 dead and over 100 injured.").unwrap();
        assert!(same > other + 0.3, "{variant:?}: same numbers {same}, other numbers {other}");
    }
}

#[test]
fn negation_lowers_the_score() {
    for (variant, s) in scorers() {
        let a = "The minister said the government would raise the fuel tax next year.";
        let same = s.score(a, "The government will raise the fuel tax next year, the minister said.").unwrap();
        let negated = s.score(a, "The minister said the government would not raise the fuel tax next year.").unwrap();
        assert!(same > negated, "{variant:?}: same {same}, negated {negated}");
    }
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

/// Issue 7's goal for dev. The shipped scorer (trees blended with the cross-
/// and bi-encoders) measures 0.8511 (see BENCHMARKS.md); float differences
/// across machines move it by far less than the 0.001 above this floor.
const FLOOR: f64 = 0.850;

/// The eight probe pairs of `probe` (the tuning script's `probe` lines) score
/// what the script printed, within 0.01.
fn reproduces(probe: &Path, score: impl Fn(&[(&str, &str)]) -> Vec<f32>) {
    reproduces_within(probe, 0.01, score)
}

fn reproduces_within(probe: &Path, within: f32, score: impl Fn(&[(&str, &str)]) -> Vec<f32>) {
    let probe_pairs = read_pairs(probe).unwrap();
    let refs: Vec<(&str, &str)> = probe_pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
    let mine = score(&refs);
    assert_eq!(mine.len(), 8);
    for (m, p) in mine.iter().zip(&probe_pairs) {
        assert!((m - p.score).abs() < within, "{}: {m} here, {} in the script, for {:?} / {:?}", probe.display(), p.score, p.a, p.b);
    }
}

/// Each cross-encoder built here (published weights with one bundled
/// adapter merged in) gives the scores the tuning script printed for the
/// first training pairs when it wrote that adapter (`probe` lines of
/// `scripts/tune_similarity.py`, kept in `tests/data/probe-SEED.tsv`).
#[test]
fn the_cross_encoder_reproduces_the_tuning_script() {
    let Some(dir) = dossier_embed::locate() else { return };
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for seed in [7, 8, 9] {
        let adapter = std::fs::read(here.join(format!("model/cross-adapter-{seed}.safetensors"))).unwrap();
        let cross = dossier_similarity::cross::CrossEncoder::with_adapter(&dir, &adapter).unwrap();
        reproduces(&here.join(format!("tests/data/probe-{seed}.tsv")), |refs| cross.score_pairs(refs).unwrap());
    }
}

/// Each tuned bi-encoder built here gives the scores the tuning script
/// printed when it wrote that adapter (`--kind bi`; `tests/data/probe-bi-SEED.tsv`).
#[test]
fn the_bi_encoder_reproduces_the_tuning_script() {
    let Some(dir) = dossier_embed::locate() else { return };
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let parts = dossier_embed::ModelParts::read(&dir).unwrap();
    for seed in [7, 8, 9] {
        let adapter = std::fs::read(here.join(format!("model/bi-adapter-{seed}.safetensors"))).unwrap();
        let probe = here.join(format!("tests/data/probe-bi-{seed}.tsv"));
        // In f32 the merge is checked to float rounding; the int8 arithmetic
        // the analysis runs on VNNI processors (the f32 one elsewhere) moves
        // a score on the 0-5 scale by a few hundredths.
        let exact = dossier_similarity::bi::BiEncoder::from_parts_in(&parts, &[&adapter], Precision::F32).unwrap();
        reproduces(&probe, |refs| exact.score_pairs(refs).unwrap());
        let fast = dossier_similarity::bi::BiEncoder::from_parts_in(&parts, &[&adapter], Precision::Int8).unwrap();
        reproduces_within(&probe, 0.1, |refs| fast.score_pairs(refs).unwrap());
    }
    // The two kinds of adapter are not interchangeable.
    let cross = std::fs::read(here.join("model/cross-adapter-7.safetensors")).unwrap();
    let err = dossier_similarity::bi::BiEncoder::from_parts(&parts, &[&cross]).err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(err.contains("format") && err.contains("dossier-bi-adapter/1"), "{err}");
    let bi = std::fs::read(here.join("model/bi-adapter-7.safetensors")).unwrap();
    let err = dossier_similarity::cross::CrossEncoder::from_parts(&parts, &[&bi]).err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(err.contains("format"), "{err}");
}

/// A damaged or foreign adapter is refused with what is wrong, never half-merged.
#[test]
fn a_bad_adapter_is_refused() {
    let Some(dir) = dossier_embed::locate() else { return };
    let err = |bytes: &[u8]| dossier_similarity::cross::CrossEncoder::with_adapter(&dir, bytes).err().map(|e| format!("{e:#}")).unwrap_or_default();
    assert!(err(b"not a tensor file").contains("safetensors"));
    let good = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("model/cross-adapter-7.safetensors")).unwrap();
    assert!(dossier_similarity::cross::CrossEncoder::with_adapter(&dir, &good).is_ok());
    let tensors = candle_core::safetensors::load_buffer(&good, &candle_core::Device::Cpu).unwrap();
    let meta = || Some(std::collections::HashMap::from([("format".to_string(), dossier_similarity::cross::FORMAT.to_string())]));
    let without = |drop: &str| safetensors::serialize(tensors.iter().filter(|(k, _)| !k.starts_with(drop)), meta()).unwrap();
    // Everything but the head, and everything but one layer's query update.
    assert!(err(&without("head.")).contains("no head"), "{}", err(&without("head.")));
    assert!(err(&without("head.bias")).contains("partial"), "{}", err(&without("head.bias")));
    assert!(err(&without("encoder.layer.3.attention.self.query.lora_a")).contains("encoder.layer.3.attention.self.query.lora_a"));
    // No format tag (candle writes no metadata).
    let untagged = safetensors::serialize(tensors.iter(), None).unwrap();
    assert!(err(&untagged).contains("format"), "{}", err(&untagged));
}

/// Scoring against a threshold gives every pair that reaches it its exact
/// score and every other pair a score below it, so alignment decides the same.
#[test]
fn scoring_against_a_threshold_keeps_every_decision() {
    let Some(dir) = dossier_embed::locate() else {
        let _ = scorer();
        return;
    };
    let s = Similarity::with_variant(dossier_embed::Embedder::load(&dir).unwrap(), Combiner::bundled().unwrap(), Variant::OneBi, &dir).unwrap();
    let sentences = [
        "The Federal Reserve raised interest rates by a quarter point on Wednesday.",
        "On Wednesday the Federal Reserve lifted interest rates by a quarter of a percentage point.",
        "The Federal Reserve left interest rates unchanged on Wednesday.",
        "Heavy rain flooded roads across the north of England.",
        "Roads in northern England were flooded after heavy rain.",
        "The ministry confirmed that secret talks took place.",
        "The ministry denied that secret talks took place.",
        "Officials said secret negotiations had been held, the ministry confirmed.",
        "Shares of the company fell 4.5% on Tuesday after the regulator's report.",
        "The company's stock dropped 4.5 percent Tuesday following a report by the regulator.",
        "The minister said the government would raise the fuel tax next year.",
        "The government will raise the fuel tax next year, the minister said.",
    ];
    let pairs: Vec<(&str, &str)> = (0..sentences.len()).flat_map(|i| (i + 1..sentences.len()).map(move |j| (sentences[i], sentences[j]))).collect();
    let exact = s.score_pairs(&pairs).unwrap();
    for link in [2.0, 3.0, 4.0] {
        let against = s.score_pairs_against(&pairs, link).unwrap();
        let mut bounded = 0;
        for (k, (e, a)) in exact.iter().zip(&against).enumerate() {
            if *e >= link {
                assert!((e - a).abs() < 1e-5, "{link}: {:?} exact {e}, against {a}", pairs[k]);
            } else {
                assert!(*a < link, "{link}: {:?} exact {e} below, against {a} not", pairs[k]);
                bounded += (e != a) as usize;
            }
        }
        assert!(exact.iter().any(|&e| e >= link) && exact.iter().any(|&e| e < link), "{link}: both sides exercised");
        eprintln!("link {link}: {bounded} of {} pairs bounded", pairs.len());
    }
}
