//! Sentence similarity as a user runs it: `dossier eval similarity` and
//! `dossier train similarity`. Tests that need the embedding model run when
//! it is installed; under CI (where the test script installs it) a missing
//! model is a failure.

use std::path::Path;

mod common;
use common::dossier;

fn model_installed() -> bool {
    common::model_installed("the model tests")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

const PAIRS: &str = "score\tsentence1\tsentence2
4.8\tThe central bank raised interest rates by half a point on Tuesday.\tOn Tuesday the central bank lifted interest rates by 0.5 percentage points.
0.2\tThe central bank raised interest rates by half a point on Tuesday.\tA storm flooded hundreds of homes along the coast.
3.0\tThe central bank raised interest rates by half a point on Tuesday.\tOn Tuesday the central bank lifted interest rates by 1.5 percentage points.
";

#[test]
fn malformed_files_are_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.tsv", "score\tsentence1\tsentence2\n1.0\tone\ttwo\n2.5\tonly two columns\n");
    let out = dossier(&["eval", "similarity", &bad]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.tsv") && err.contains("line 3") && err.contains("columns"), "{err}");
    let bad = write(dir.path(), "score.tsv", "score\tsentence1\tsentence2\nabout four\tone\ttwo\n");
    let err = String::from_utf8_lossy(&dossier(&["eval", "similarity", &bad]).stderr).to_string();
    assert!(err.contains("line 2") && err.contains("not a number"), "{err}");
    let err = String::from_utf8_lossy(&dossier(&["eval", "similarity", &dir.path().join("absent.tsv").to_string_lossy()]).stderr).to_string();
    assert!(err.contains("absent.tsv"), "{err}");
}

#[test]
fn needs_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "pairs.tsv", PAIRS);
    let out = dossier(&["--embeddings", "off", "eval", "similarity", &f]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs the embedding model"));
}

#[test]
fn prints_one_score_per_pair_in_order() {
    if !model_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "pairs.tsv", PAIRS);
    let out = dossier(&["eval", "similarity", &f]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let scores: Vec<f32> = String::from_utf8(out.stdout).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(scores.len(), 3);
    assert!(scores.iter().all(|s| (0.0..=5.0).contains(s)), "{scores:?}");
    assert!(scores[0] > scores[1] + 2.0, "paraphrase above unrelated: {scores:?}");
    assert!(scores[2] < scores[0], "the same pair with a changed number scores lower: {scores:?}");
    // -o writes the same numbers to a file.
    let o = dir.path().join("scores.txt");
    assert!(dossier(&["eval", "similarity", &f, "-o", o.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read_to_string(&o).unwrap().lines().count(), 3);
}

#[test]
fn train_writes_a_combiner_that_eval_reads() {
    if !model_installed() {
        return;
    }
    // A small made-up training set: a sentence with itself, with a number changed, and with an unrelated one.
    let subjects = ["The council", "The company", "Police", "The ministry", "The union", "Investors", "The court", "Researchers", "The army", "Voters"];
    let verbs = ["approved a plan for", "reported losses of", "counted", "announced cuts of", "demanded pay rises for"];
    let mut text = String::from("score\tsentence1\tsentence2\n");
    for (i, s) in subjects.iter().enumerate() {
        for (j, v) in verbs.iter().enumerate() {
            let a = format!("{s} {v} {} people on Monday.", 10 * (i + j + 1));
            text.push_str(&format!("5.0\t{a}\t{s} {v} {} people on Monday.\n", 10 * (i + j + 1)));
            text.push_str(&format!("2.5\t{a}\t{s} {v} {} people on Monday.\n", 10 * (i + j + 1) + 7));
            text.push_str(&format!("0.0\t{a}\t{} {} {} people on Monday.\n", subjects[(i + 3) % 10], verbs[(j + 2) % 5], 10 * (i + j + 3)));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let train = write(dir.path(), "train.tsv", &text);
    let combiner = dir.path().join("combiner.json");
    let out = dossier(&["train", "similarity", &train, "-o", combiner.to_str().unwrap(), "--folds", "3"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&combiner).unwrap()).unwrap();
    assert_eq!(json["training"]["pairs"], 150);
    let out = dossier(&["eval", "similarity", &train, "--combiner", combiner.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let scores: Vec<f32> = String::from_utf8(out.stdout).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(scores.len(), 150);
    assert!(scores[0] > scores[1] && scores[1] > scores[2], "{:?}", &scores[..3]);
    // With cross-encoder scores for held-out pairs: where they are the human scores, the blend leans on them;
    // where they are noise, it leaves them out.
    let gold: Vec<f32> = text.lines().skip(1).map(|l| l.split('\t').next().unwrap().parse().unwrap()).collect();
    let holdout = |f: &dyn Fn(usize) -> f32| (0..150).step_by(2).map(|i| format!("{i}\t{}\n", f(i))).collect::<String>();
    for (name, rows, heavy) in [("perfect", holdout(&|i| gold[i]), true), ("noise", holdout(&|i| ((i * 37) % 11) as f32 / 2.2), false)] {
        let h = write(dir.path(), &format!("{name}.tsv"), &rows);
        let blended = dir.path().join(format!("{name}.json"));
        let out = dossier(&["train", "similarity", &train, "-o", blended.to_str().unwrap(), "--folds", "3", "--cross-holdout", &h]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&blended).unwrap()).unwrap();
        let w = json["blend"]["weight"].as_f64().unwrap();
        assert_eq!(json["blend"]["holdout_pairs"], 75);
        assert!(if heavy { w >= 0.5 } else { w <= 0.2 }, "{name}: weight {w}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("cross-encoder weight"));
    }
    // Two adapters' scores are averaged: perfect and noise together still lean on the cross-encoder, and
    // files covering different pairs are refused.
    let (p, n) = (dir.path().join("perfect.tsv"), dir.path().join("noise.tsv"));
    let out =
        dossier(&["train", "similarity", &train, "-o", dir.path().join("two.json").to_str().unwrap(), "--folds", "3", "--cross-holdout", p.to_str().unwrap(), "--cross-holdout", n.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fewer = write(dir.path(), "fewer.tsv", &holdout(&|i| gold[i]).lines().skip(1).map(|l| format!("{l}\n")).collect::<String>());
    let out = dossier(&["train", "similarity", &train, "-o", dir.path().join("x.json").to_str().unwrap(), "--cross-holdout", p.to_str().unwrap(), "--cross-holdout", &fewer]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("same pairs"), "{}", String::from_utf8_lossy(&out.stderr));
    // The tuned bi-encoder's held-out scores get their own weight: perfect ones beside a noisy cross-encoder
    // carry the blend; without the cross-encoder's, or for other pairs, they are refused.
    let bi_json = dir.path().join("bi.json");
    let out = dossier(&["train", "similarity", &train, "-o", bi_json.to_str().unwrap(), "--folds", "3", "--cross-holdout", n.to_str().unwrap(), "--bi-holdout", p.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&bi_json).unwrap()).unwrap();
    let (w, bw) = (json["blend"]["weight"].as_f64().unwrap(), json["blend"]["bi_weight"].as_f64().unwrap());
    assert!(bw >= 0.5 && w <= 0.2, "cross-encoder {w}, bi-encoder {bw}");
    assert!(json["blend"]["holdout_spearman"]["bi"].as_f64().unwrap() > 0.95, "{}", json["blend"]);
    let out = dossier(&["train", "similarity", &train, "-o", dir.path().join("x.json").to_str().unwrap(), "--folds", "3", "--bi-holdout", p.to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("cross-encoder"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = dossier(&["train", "similarity", &train, "-o", dir.path().join("x.json").to_str().unwrap(), "--folds", "3", "--cross-holdout", p.to_str().unwrap(), "--bi-holdout", &fewer]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("other pairs"), "{}", String::from_utf8_lossy(&out.stderr));
    // The blended combiners run the cross-encoder (and bi-encoder) too.
    let out = dossier(&["eval", "similarity", &train, "--combiner", bi_json.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 150);
    let out = dossier(&["eval", "similarity", &train, "--combiner", dir.path().join("perfect.json").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 150);
    // Held-out rows that are not `index<TAB>score`, or name a pair the file lacks, are refused before any work.
    for (rows, want) in [("0\t4.0\n1\tfour\n", "bad.tsv:2"), ("0\t4.0\n0\t3.0\n", "twice"), ("0\t9.0\n", "outside"), (&*holdout(&|i| gold[i]).replace("148\t", "1480\t"), "1480")] {
        let h = write(dir.path(), "bad.tsv", rows);
        let out = dossier(&["train", "similarity", &train, "-o", dir.path().join("x.json").to_str().unwrap(), "--folds", "3", "--cross-holdout", &h]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{want}: {err}");
    }
    // A damaged combiner is refused with its name.
    std::fs::write(&combiner, "{\"format\": \"something else\"}").unwrap();
    let err = String::from_utf8_lossy(&dossier(&["eval", "similarity", &train, "--combiner", combiner.to_str().unwrap()]).stderr).to_string();
    assert!(err.contains("combiner.json"), "{err}");
}
