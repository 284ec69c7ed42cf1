//! Several `dossier ingest` processes on one fresh data directory: they wait
//! their turn (the data directory's writer lock) and all complete, with every
//! article stored once and analysed, as if they had run one after the other.

use std::io::Write;
use std::process::{Command, Stdio};

use dossier_store::{SqliteStore, Store};

const WRITERS: usize = 4;
const EACH: usize = 15;

#[test]
fn four_ingests_on_one_fresh_directory_all_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut files = Vec::new();
    for w in 0..WRITERS {
        let path = tmp.path().join(format!("w{w}.jsonl"));
        let mut f = std::fs::File::create(&path).unwrap();
        for i in 0..EACH {
            let rec = serde_json::json!({
                "url": format!("https://outlet{w}.example/news/{i}"),
                "title": format!("Council vote {i} reported by outlet {w}"),
                "text": format!("The council approved item {i} of the harbour plan on Monday, outlet {w} said.\nThe vote was {} to 2.", i + 5),
                "published": format!("2024-03-{:02}", i % 27 + 1),
                "outlet": format!("Outlet {w}"),
            });
            writeln!(f, "{rec}").unwrap();
        }
        files.push(path);
    }
    // All at once, on a directory that does not exist yet (its initialisation races too).
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            Command::new(env!("CARGO_BIN_EXE_dossier"))
                .args(["--embeddings", "off", "--data"])
                .arg(&data)
                .args(["ingest", "--json", "--quiet"])
                .arg(f)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut waited = 0;
    for c in children {
        let out = c.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "an ingest failed: {stderr}");
        let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(sum["new_articles"], EACH, "{sum}");
        assert_eq!(sum["errors"].as_array().unwrap().len(), 0, "{sum}");
        if stderr.contains("waiting for another dossier writing to") {
            waited += 1;
        }
    }
    assert!(waited >= 1, "the later ones said they were waiting");
    let store = SqliteStore::open_dir(&data).unwrap();
    assert_eq!(store.article_count().unwrap(), WRITERS * EACH);
    assert!(!store.has_pending().unwrap(), "every article analysed");
    let in_stories: usize = store.stories().unwrap().iter().map(|s| s.article_ids.len()).sum();
    assert_eq!(in_stories, WRITERS * EACH, "every article in exactly one story");
}
