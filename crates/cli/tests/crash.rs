//! Crash safety: an ingest of 10,000 articles killed with SIGKILL at several
//! random points; after each restart the store is intact, and after the last
//! run it holds every article exactly once.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dossier_store::{SqliteStore, Store};

const N: usize = 10_000;

fn write_corpus(path: &Path) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..N {
        let rec = serde_json::json!({
            "url": format!("https://outlet{}.example/news/{i}?utm_source=feed", i % 40),
            "title": format!("Report {i} on the council budget vote"),
            "text": format!("The council said on day {} that item {i} of the budget passed by {} votes.\nA spokesperson confirmed the figure.", i % 30, i % 17 + 3),
            "published": format!("2024-02-{:02}", i % 28 + 1),
            "outlet": format!("Outlet {}", i % 40),
        });
        writeln!(f, "{rec}").unwrap();
    }
}

fn ingest(data: &Path, corpus: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_dossier")).arg("--data").arg(data).args(["ingest", "--no-analyse", "--quiet"]).arg(corpus).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

/// The store opens, passes SQLite's own integrity check, and its articles are distinct.
fn check_intact(data: &Path) -> usize {
    let store = SqliteStore::open_dir(data).expect("store opens after a kill");
    let conn = rusqlite::Connection::open(data.join("dossier.sqlite")).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let urls: Vec<String> = store.articles().unwrap().into_iter().map(|a| a.url.unwrap()).collect();
    let distinct: HashSet<&String> = urls.iter().collect();
    assert_eq!(distinct.len(), urls.len(), "an article stored twice");
    assert!(urls.iter().all(|u| !u.contains("utm_")), "tracking parameters dropped");
    urls.len()
}

#[test]
fn sigkill_at_random_points_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    write_corpus(&corpus);
    let data = dir.path().join("data");

    // How long a full run takes here, to spread the kills over it.
    let probe = dir.path().join("probe");
    let t = Instant::now();
    assert!(ingest(&probe, &corpus).wait().unwrap().success());
    let full = t.elapsed();
    assert_eq!(check_intact(&probe), N);

    // Deterministic "random" points: a simple LCG seeded per run.
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut counts = Vec::new();
    for _ in 0..5 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let frac = 0.1 + (seed >> 33) as f64 / (1u64 << 31) as f64 * 0.8;
        let mut child = ingest(&data, &corpus);
        std::thread::sleep(Duration::from_secs_f64(full.as_secs_f64() * frac));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();
        counts.push(check_intact(&data));
    }
    eprintln!("full run {full:?}; articles stored after each kill: {counts:?}");
    // Progress is kept across kills (batches commit as they go), never lost.
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(ingest(&data, &corpus).wait().unwrap().success());
    assert_eq!(check_intact(&data), N, "after kills {counts:?}");
}

/// A run killed after the analysis committed and before the search index did
/// (here: the same steps through an engine that keeps no index) owes the index
/// those articles: the next `ingest`, with nothing new, and `serve` repair it.
#[test]
fn the_index_a_killed_run_owed_is_repaired_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/corpus");
    let mut articles = Vec::new();
    for f in std::fs::read_dir(&corpus).unwrap() {
        articles.extend(dossier_ingest::ingest_file(&f.unwrap().path()).articles);
    }
    let mut store = SqliteStore::open_dir(&data).unwrap();
    dossier_engine::Engine::new(dossier_engine::Embeddings::Off).ingest(&mut store, &articles, &dossier_engine::Silent).unwrap();
    drop(store);
    let dossier = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_dossier")).args(["--embeddings", "off", "--data"]).arg(&data).args(args).output().unwrap();
    let search = || dossier(&["search", "--json", "memo"]);
    let before = search();
    assert!(!before.status.success() && String::from_utf8_lossy(&before.stderr).contains("index"), "an empty index is said, not served as no results");

    let again = dossier(&["ingest", "--json", corpus.to_str().unwrap()]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    let sum: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(sum["new_articles"], 0);
    let after = search();
    assert!(after.status.success(), "{}", String::from_utf8_lossy(&after.stderr));
    let hits: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert!(hits["total"].as_u64().unwrap() >= 1, "{hits}");
}
