//! One very long article is stored whole but analysed in its first part, with
//! a note saying so: it does not make its story's later analyses slow.

use std::process::Command;

use dossier_store::{SqliteStore, Store};

fn ingest(data: &std::path::Path, path: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dossier")).args(["--embeddings", "off", "--data"]).arg(data).args(["ingest", "--json", "--quiet"]).arg(path).output().unwrap()
}

#[test]
fn a_very_long_article_is_stored_whole_and_analysed_in_part_with_a_note() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("Council and cabinet clash over the harbour budget\n\n");
    let mut i = 0;
    while text.len() < 600_000 {
        text.push_str(&format!(
            "The harbour budget in Riverton rose to {i} million dollars on Monday after a long debate, the mayor said. \"We will not cut the school budget,\" Maria Lopez told reporters, adding that item {i} passed by {} votes.\n\n",
            i % 17 + 3
        ));
        i += 1;
    }
    let big = tmp.path().join("harbour.txt");
    std::fs::write(&big, &text).unwrap();
    let data = tmp.path().join("data");
    let out = ingest(&data, &big);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["analysis"]["cut"], 1, "{sum}");
    assert!(stderr.contains("note: 1 article(s) longer than one article's analysis limit (256 KiB of text, 3000 sentences)"), "{stderr}");
    assert!(stderr.contains("analysed in its first") && stderr.contains("stored whole"), "{stderr}");
    let store = SqliteStore::open_dir(&data).unwrap();
    let stored = store.articles().unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].text.len() > 590_000, "stored whole: {}", stored[0].text.len());
    drop(store);

    // A later report of the same story joins it; no note for it.
    let later = tmp.path().join("later.jsonl");
    let rec = serde_json::json!({"url": "https://later.example/1", "title": "Council and cabinet clash over the harbour budget", "outlet": "Later",
        "text": "The harbour budget in Riverton rose to 7 million dollars on Monday after a long debate, the mayor said. \"We will not cut the school budget,\" Maria Lopez told reporters."});
    std::fs::write(&later, format!("{rec}\n")).unwrap();
    let out = ingest(&data, &later);
    assert!(out.status.success());
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["analysis"]["cut"], 0, "{sum}");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("note:"));
    let store = SqliteStore::open_dir(&data).unwrap();
    assert_eq!(store.stories().unwrap().len(), 1, "the later report joined the story");
}
