//! Story clustering as a user runs it (`dossier eval stories`, `dossier
//! model status`), with and without the embedding model. Tests that need the
//! model run when it is installed, and under CI (where the test script
//! installs it) a missing model is a failure.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::dossier;

fn model_installed() -> bool {
    common::model_installed("the embedding half")
}

fn eval(file: &Path, embeddings: &str, extra: &[&str]) -> HashMap<String, String> {
    let mut args = vec!["--embeddings", embeddings, "eval", "stories", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = dossier(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v["story"].as_str().unwrap().to_string())
        })
        .collect()
}

/// B-cubed F1 of predicted against true groups (as `bench/stories/score.py`).
fn bcubed(pred: &HashMap<String, String>, truth: &HashMap<String, String>) -> f64 {
    let mut by_pred: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut by_true: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, s) in pred {
        by_pred.entry(s).or_default().push(id);
        by_true.entry(&truth[id]).or_default().push(id);
    }
    let (mut p, mut r) = (0.0, 0.0);
    for (id, s) in pred {
        let same_pred = &by_pred[s.as_str()];
        let same_true = &by_true[truth[id].as_str()];
        let both = same_pred.iter().filter(|o| truth[**o] == truth[id]).count() as f64;
        p += both / same_pred.len() as f64;
        r += both / same_true.len() as f64;
    }
    let n = pred.len() as f64;
    let (p, r) = (p / n, r / n);
    2.0 * p * r / (p + r)
}

fn write_jsonl(dir: &Path, rows: &[serde_json::Value]) -> PathBuf {
    let file = dir.join("in.jsonl");
    std::fs::write(&file, rows.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("\n")).unwrap();
    file
}

#[test]
fn same_event_in_other_words_joins_only_with_meaning() {
    let dir = tempfile::tempdir().unwrap();
    let row = |id: &str, title: &str, hour: u32| serde_json::json!({"id": id, "title": title, "outlet": format!("outlet {id}"), "published": format!("2014-03-10T{hour:02}:00:00Z")});
    // Background headlines give the rare words their weight, as in a real stream.
    let mut rows = vec![
        row("quake1", "Earthquake of magnitude 7 strikes off northern Chile", 1),
        row("quake2", "Powerful quake hits Chilean coastline, tsunami alert issued", 3),
        row("rates", "Central bank raises interest rates by half a point", 2),
        row("vote", "City council approves new school budget", 4),
    ];
    for (i, t) in [
        "Apple unveils new iPhone at Cupertino event",
        "Heavy snow closes schools across the Midwest",
        "Oil prices climb on supply worries",
        "Film festival opens with drama premiere",
        "Football club sacks manager after defeat",
    ]
    .iter()
    .enumerate()
    {
        rows.push(row(&format!("bg{i}"), t, 5 + i as u32));
    }
    let file = write_jsonl(dir.path(), &rows);
    let lexical = eval(&file, "off", &[]);
    assert_ne!(lexical["quake1"], lexical["quake2"], "no shared words: wording alone keeps them apart");
    if !model_installed() {
        return;
    }
    let meaning = eval(&file, "on", &[]);
    assert_eq!(meaning["quake1"], meaning["quake2"], "the same event in other words");
    for other in ["rates", "vote", "bg0", "bg1", "bg2", "bg3", "bg4"] {
        assert_ne!(meaning["quake1"], meaning[other], "{other} is another event");
    }
}

#[test]
fn embeddings_on_without_a_model_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_jsonl(dir.path(), &[serde_json::json!({"id": 1, "title": "x"})]);
    let out =
        Command::new(env!("CARGO_BIN_EXE_dossier")).env("DOSSIER_MODEL", dir.path().join("nothing-here")).args(["--embeddings", "on", "eval", "stories", file.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no model installed") && err.contains("dossier model fetch"), "{err}");
    // auto falls back to wording.
    let out = Command::new(env!("CARGO_BIN_EXE_dossier")).env("DOSSIER_MODEL", dir.path().join("nothing-here")).args(["eval", "stories", file.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("embeddings off"));
}

#[test]
fn unsorted_input_is_clustered_in_publication_order_and_bad_settings_refused() {
    let dir = tempfile::tempdir().unwrap();
    let row = |id: &str, title: &str, text: &str, when: &str| serde_json::json!({"id": id, "title": title, "text": text, "published": when});
    let rows = [
        row(
            "late",
            "Riverton warehouse fire: investigators suspect arson",
            "Investigators said on Tuesday the Riverton port warehouse fire was probably arson. The blaze destroyed the warehouse.",
            "2025-06-23T10:00:00Z",
        ),
        row(
            "early",
            "Fire destroys warehouse in Riverton port",
            "A fire destroyed a warehouse in the Riverton port district on Monday. Firefighters fought the blaze for six hours.",
            "2025-06-22T08:00:00Z",
        ),
        row("vote", "Riverton council votes on new budget", "The Riverton city council voted on the new budget on Monday. The plan raises school spending.", "2025-06-22T09:00:00Z"),
        row("bank", "Central bank raises interest rates", "The central bank raised interest rates by half a point to fight inflation. Markets fell.", "2025-06-22T11:00:00Z"),
        row("league", "Football club wins league title", "The club won the league title after a late goal on Sunday. Fans celebrated in the streets.", "2025-06-22T12:00:00Z"),
    ];
    let file = write_jsonl(dir.path(), &rows);
    let s = eval(&file, "off", &[]);
    assert_eq!(s["late"], s["early"]);
    assert_ne!(s["vote"], s["early"]);
    // The story is named after its first report, whatever the file order.
    let sorted = write_jsonl(dir.path(), &[rows[1].clone(), rows[2].clone(), rows[3].clone(), rows[4].clone(), rows[0].clone()]);
    assert_eq!(eval(&sorted, "off", &[])["late"], s["late"]);
    let out = dossier(&["eval", "stories", file.to_str().unwrap(), "--set", "join_treshold=0.3"]);
    assert_eq!(out.status.code(), Some(2), "a misspelt setting is a usage mistake");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown setting \"join_treshold\""));
}

/// The bar on the UCI headlines (87 stories, 6,365 headlines), with
/// the default settings. Needs `../shared` beside the checkout (as in CI).
#[test]
fn uci_headlines_reach_the_bar() {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/stories");
    if !bench.join("uci-headlines.jsonl").exists() {
        eprintln!("skipped: ../shared/bench/stories is not beside the checkout");
        return;
    }
    let truth: HashMap<String, String> = serde_json::from_str::<HashMap<String, serde_json::Value>>(&std::fs::read_to_string(bench.join("uci-headlines.truth.json")).unwrap())
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    let file = bench.join("uci-headlines.jsonl");
    let lexical = bcubed(&eval(&file, "off", &[]), &truth);
    eprintln!("UCI B-cubed F1, wording only: {lexical:.4}");
    assert!(lexical >= 0.75, "wording-only B-cubed F1 {lexical:.4}");
    if !model_installed() {
        return;
    }
    let both = bcubed(&eval(&file, "on", &[]), &truth);
    eprintln!("UCI B-cubed F1, wording and meaning: {both:.4}");
    assert!(both >= 0.80, "B-cubed F1 {both:.4}");
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<serde_json::Value> = (0..300)
        .map(|i| {
            let topic = ["earthquake Chile tsunami", "central bank rates inflation", "league title football", "warehouse fire Riverton"][i % 4];
            serde_json::json!({"id": i, "title": format!("{topic} update {}", i / 4), "text": format!("Report {i} on the {topic} story, with detail {}.", i % 7), "published": format!("2025-06-{:02}T{:02}:00:00Z", 1 + i / 24, i % 24)})
        })
        .collect();
    let file = write_jsonl(dir.path(), &rows);
    let run = |threads: &str, embeddings: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_dossier"))
            .env("RAYON_NUM_THREADS", threads)
            .args(["--embeddings", embeddings, "eval", "stories", file.to_str().unwrap(), "--jobs", threads])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    assert_eq!(run("1", "off"), run("2", "off"));
    if model_installed() {
        assert_eq!(run("1", "on"), run("2", "on"));
    }
}
