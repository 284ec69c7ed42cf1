//! Crash safety: an ingest of 10,000 articles killed with SIGKILL at several
//! random points; after each restart the store is intact, and after the last
//! run it holds every article exactly once. An ingest into a store that has
//! stories killed at each point between its commits (`DOSSIER_TEST_PAUSE_AT`,
//! `dossier_engine::pause`), then rerun, leaves what an uninterrupted run leaves.

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

/// Reports of `events` news events (`per` outlets each, events numbered from
/// `first`), with named sources, agreeing figures and one disputed figure per event.
fn write_reports(path: &Path, first: usize, events: usize, per: usize) {
    const TOPICS: [(&str, &str, &str); 6] = [
        ("harbour", "the harbour expansion", "Port Authority"),
        ("rail", "the northern rail line", "Transport Ministry"),
        ("school", "the school meals scheme", "Education Board"),
        ("flood", "the river flood defences", "Environment Agency"),
        ("hospital", "the new city hospital", "Health Trust"),
        ("tram", "the tram extension", "City Council"),
    ];
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for e in first..first + events {
        let (word, what, who) = TOPICS[e % TOPICS.len()];
        for o in 0..per {
            let cost = 100 + e * 7 + if o % 5 == 4 { 30 } else { 0 };
            let rec = serde_json::json!({
                "url": format!("https://outlet{o}.example/{word}/{e}"),
                "title": format!("{} approves {what} in district {e}, outlet {o} reports", who),
                "text": format!(
                    "The {who} approved {what} in district {e} on Tuesday, officials said.\n\
                     The project will cost {cost} million pounds, according to a spokesperson for the {who}.\n\
                     Work on {what} is expected to start in {} and last three years, the {who} said in a statement.\n\
                     Residents of district {e} reportedly raised concerns about noise from the {word} works.\n\
                     Outlet {o} spoke to {} people living nearby.",
                    2025 + e % 3,
                    o + 3
                ),
                "published": format!("2024-05-{:02}T{:02}:00:00Z", e % 20 + 1, o % 24),
                "outlet": format!("Outlet {o}"),
            });
            writeln!(f, "{rec}").unwrap();
        }
    }
}

/// Everything a run leaves that a reader sees: articles, stories, claims,
/// briefs, aliases, the change log (less its clock) and the search index.
#[derive(Debug, PartialEq)]
struct Outcome {
    articles: Vec<serde_json::Value>,
    stories: Vec<serde_json::Value>,
    claims: Vec<serde_json::Value>,
    briefs: Vec<serde_json::Value>,
    changes: Vec<serde_json::Value>,
    index: Vec<serde_json::Value>,
    index_by_status: Vec<(String, Vec<String>)>,
    index_facets: serde_json::Value,
    index_len: u64,
}

fn outcome(data: &Path) -> Outcome {
    let store = SqliteStore::open_dir(data).unwrap();
    let conn = rusqlite::Connection::open(data.join("dossier.sqlite")).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    assert!(!store.has_pending().unwrap(), "every article analysed");
    let mut articles: Vec<_> = store.articles().unwrap().iter().map(json).collect();
    articles.sort_by_key(|a| a["id"].to_string());
    let mut stories = store.stories().unwrap();
    stories.sort_by(|a, b| a.id.cmp(&b.id));
    let claims = stories.iter().map(|s| json(&store.aligned_claims(&s.id).unwrap())).collect();
    let briefs = stories.iter().map(|s| json(&store.brief(&s.id).unwrap())).collect();
    let changes = store
        .changes(0, None, usize::MAX >> 1)
        .unwrap()
        .iter()
        .map(|c| {
            let mut v = json(c);
            v.as_object_mut().unwrap().remove("at");
            v
        })
        .collect();
    let stories = stories.iter().map(json).collect();
    drop(store);

    let ix = dossier_search::SearchIndex::open(&dossier_engine::index_dir(data)).unwrap();
    let query = |statuses: Vec<String>| dossier_search::SearchQuery { statuses, limit: 1000, ..Default::default() };
    let all = ix.search(&query(vec![])).unwrap();
    let mut index: Vec<_> =
        all.hits.iter().map(|h| serde_json::json!({"id": h.id, "title": h.title, "outlet": h.outlet, "published": h.published, "story": h.story, "language": h.language})).collect();
    index.sort_by_key(|h| h["id"].to_string());
    let index_by_status = ["corroborated", "single_source", "unattributed", "contested"]
        .iter()
        .map(|s| {
            let mut ids: Vec<String> = ix.search(&query(vec![s.to_string()])).unwrap().hits.into_iter().map(|h| h.id).collect();
            ids.sort();
            (s.to_string(), ids)
        })
        .collect();
    Outcome { articles, stories, claims, briefs, changes, index, index_by_status, index_facets: json(&all.facets), index_len: ix.len() }
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn ingest_cmd(data: &Path, input: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dossier"));
    c.args(["--embeddings", "off", "--data"]).arg(data).args(["ingest", "--quiet"]).arg(input).env_remove(dossier_engine::pause::PAUSE_AT);
    c
}

/// What a killed run left, read before the rerun: that it stopped where it was asked to
/// (articles stored, arrivals pending, articles owed to the index, stories owing analysis).
fn left_by_kill(data: &Path, before: usize, input: usize) -> (usize, bool, usize, usize) {
    let conn = rusqlite::Connection::open(data.join("dossier.sqlite")).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    let store = SqliteStore::open_dir(data).unwrap();
    let stored = store.article_count().unwrap();
    assert!((before..=before + input).contains(&stored), "{stored}");
    let owed: i64 = conn.query_row("SELECT count(*) FROM engine_state WHERE key LIKE 'unindexed:%'", [], |r| r.get(0)).unwrap();
    let marked = dossier_engine::stories_owing_analysis(&store).unwrap().len();
    (stored, store.has_pending().unwrap(), owed as usize, marked)
}

/// `dossier ingest` on a store that already has stories, SIGKILLed at each
/// point between its commits; rerun, it leaves what an uninterrupted run leaves.
#[test]
fn sigkill_at_each_phase_then_a_rerun_equals_an_uninterrupted_run() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first.jsonl"), dir.path().join("second.jsonl"));
    // 6 events × 8 outlets already stored; then 300 reports: more on those events and 6 new ones.
    write_reports(&first, 0, 6, 8);
    write_reports(&second, 3, 12, 25);
    let (before, input) = (48, 300);
    let base = dir.path().join("base");
    let out = ingest_cmd(&base, &first).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!SqliteStore::open_dir(&base).unwrap().stories().unwrap().is_empty());

    let reference = dir.path().join("reference");
    copy_dir(&base, &reference);
    let t = Instant::now();
    let out = ingest_cmd(&reference, &second).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("uninterrupted ingest of {input}: {:?}", t.elapsed());
    let want = outcome(&reference);
    assert_eq!(want.articles.len(), 48 + 300 - 3 * 8, "the second input repeats 24 articles of the first");
    assert!(want.claims.iter().any(|c| c.as_array().is_some_and(|c| !c.is_empty())), "the stories have claims");
    assert!(want.index_by_status.iter().filter(|(_, ids)| !ids.is_empty()).count() >= 2, "{:?}", want.index_by_status);

    for point in dossier_engine::pause::POINTS {
        let data = dir.path().join(point);
        copy_dir(&base, &data);
        let mut child = ingest_cmd(&data, &second).env(dossier_engine::pause::PAUSE_AT, point).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
        let mut said = String::new();
        loop {
            let mut line = String::new();
            assert!(std::io::BufRead::read_line(&mut err, &mut line).unwrap() > 0, "{point}: ended without pausing: {said}");
            said.push_str(&line);
            if line.contains(&format!("paused at {point} ")) {
                break;
            }
        }
        child.kill().unwrap(); // SIGKILL
        assert_eq!(std::os::unix::process::ExitStatusExt::signal(&child.wait().unwrap()), Some(9));

        let (stored, pending, owed, marked) = left_by_kill(&data, before, input);
        match point {
            "stored-batch" => assert!(stored > before && stored < before + input - 24 && pending, "{point}: {stored} stored"),
            "before-analysis" | "placing" => assert!(stored == before + input - 24 && pending && owed == 0 && marked == 0, "{point}: {stored} {pending} {owed} {marked}"),
            // Placed, its stories owing analysis (and their articles owed to the index).
            "placed" | "analysing" => assert!(!pending && owed > 0 && marked > 0, "{point}: {pending} {owed} {marked}"),
            "before-index" | "before-index-done" => assert!(!pending && owed > 0 && marked == 0, "{point}: {pending} {owed} {marked}"),
            _ => unreachable!(),
        }
        let again = ingest_cmd(&data, &second).output().unwrap();
        assert!(again.status.success(), "{point}: {}", String::from_utf8_lossy(&again.stderr));
        let got = outcome(&data);
        assert!(got == want, "{point}: the rerun differs from an uninterrupted run:\n{}", diff(&got, &want));
        eprintln!("killed at {point} ({stored} stored, pending {pending}, {owed} owed to the index): rerun equals the uninterrupted run");
    }
}

fn diff(got: &Outcome, want: &Outcome) -> String {
    let g = format!("{got:#?}");
    let w = format!("{want:#?}");
    let (g, w): (Vec<&str>, Vec<&str>) = (g.lines().collect(), w.lines().collect());
    let at = g.iter().zip(&w).position(|(a, b)| a != b).unwrap_or(g.len().min(w.len()));
    let from = |v: &[&str]| v[at.min(v.len())..(at + 4).min(v.len())].join(" ");
    format!("first difference at line {at} of {} (got) and {} (want):\n got: {}\nwant: {}", g.len(), w.len(), from(&g), from(&w))
}
