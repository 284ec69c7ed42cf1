//! End-to-end: drives the real `dossier` binary over the bundled sample corpus.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use dossier_store::{SqliteStore, Store};
use serde_json::Value;

/// The sample corpus, copied once with its files' times set a minute apart
/// in name order (2025-06-10 10:00 UTC on). An undated article's time is its
/// file's, and a checkout can give every file the same one; the order of the
/// seeds' reports (which outlet's wording leads a claim) would then fall to
/// their ids instead of following the files as they arrived.
fn corpus() -> PathBuf {
    static COPY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/corpus");
        let dir = tempfile::Builder::new().prefix("dossier-e2e-corpus").tempdir().unwrap().keep();
        let mut names: Vec<_> = std::fs::read_dir(&src).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        for (i, name) in names.iter().enumerate() {
            let to = dir.join(name);
            std::fs::copy(src.join(name), &to).unwrap();
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_749_549_600 + 60 * i as u64);
            std::fs::File::options().write(true).open(&to).unwrap().set_modified(at).unwrap();
        }
        dir
    })
    .clone()
}

fn dossier(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier")).arg("--data").arg(data).args(args).output().expect("run dossier")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

fn ingested() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = dossier(dir.path(), &["ingest", corpus().to_str().unwrap()]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    dir
}

#[test]
fn ingest_is_idempotent() {
    let dir = ingested();
    let stories_before = stdout(&dossier(dir.path(), &["stories", "--json"]));
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    let articles_before = store.articles().unwrap();
    drop(store);
    assert_eq!(articles_before.iter().filter(|a| !a.is_teaser()).count(), 3);
    assert_eq!(articles_before.iter().filter(|a| a.is_teaser()).count(), 3);

    let again = json(&dossier(dir.path(), &["ingest", "--json", corpus().to_str().unwrap()]));
    assert_eq!(again["new_articles"], 0);
    assert_eq!(again["new_teasers"], 0);
    assert_eq!(again["already_stored"], 6);
    assert_eq!(again["reanalysed"], false);
    assert_eq!(stdout(&dossier(dir.path(), &["stories", "--json"])), stories_before);
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    assert_eq!(store.articles().unwrap(), articles_before);
}

/// `dossier changes --since` takes a sequence number, an RFC 3339 time or a date; anything
/// else is a usage error (exit 2) that says what is valid.
#[test]
fn changes_since_a_sequence_number_a_time_or_a_date() {
    let dir = ingested();
    let all = json(&dossier(dir.path(), &["changes", "--json"]));
    let all = all.as_array().unwrap();
    assert!(all.len() >= 3, "{all:?}");
    assert!(all.iter().any(|c| c["kind"] == "story_created"));
    let since = |arg: &str| json(&dossier(dir.path(), &["changes", "--json", "--since", arg])).as_array().unwrap().clone();
    assert_eq!(&since("2000-01-01"), all, "everything was written after 2000");
    assert_eq!(&since("2000-01-01T00:00:00+02:00"), all);
    assert!(since("2999-01-01T00:00:00Z").is_empty(), "nothing after 2999");
    let last = all.last().unwrap()["seq"].as_i64().unwrap();
    assert_eq!(since(&(last - 1).to_string()), all[all.len() - 1..]);
    for bad in ["yesterday", "2025-13-01", "-1", "12abc"] {
        let o = dossier(dir.path(), &["changes", "--since", bad]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("RFC 3339") || bad == "-1", "{bad}: {err}");
    }
}

#[test]
fn bad_inputs_are_reported_and_skipped() {
    let input = tempfile::tempdir().unwrap();
    let p = input.path();
    std::fs::copy(corpus().join("002_6d44a654a7eeca9a.txt"), p.join("good.txt")).unwrap();
    std::fs::write(p.join("binary.txt"), b"\x7fELF\x00\x00\x01binary").unwrap();
    std::fs::write(p.join("empty.txt"), b"").unwrap();
    std::fs::write(p.join("latin1.txt"), b"Caf\xe9 society is a long enough sentence to be prose here.").unwrap();
    std::fs::write(
        p.join("feed.jsonl"),
        "{\"url\":\"https://x.example/a\",\"title\":\"Flood hits town\",\"text\":\"A flood hit the town of Riverton on Monday, officials said.\",\"outlet\":\"X News\",\"published\":\"2025-06-20T10:00:00Z\"}\n{\"title\": broken\n",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = dossier(data.path(), &["ingest", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for (path, reason) in [("binary.txt", "binary"), ("empty.txt", "empty"), ("latin1.txt", "invalid UTF-8"), ("feed.jsonl:2", "malformed JSON")] {
        let line = err.lines().find(|l| l.contains(path)).unwrap_or_else(|| panic!("no error for {path} in {err}"));
        assert!(line.contains(reason), "{line}");
    }
    let store = SqliteStore::open_dir(data.path()).unwrap();
    let arts = store.articles().unwrap();
    assert_eq!(arts.len(), 2, "the good text file and the good JSONL line are stored");
    let x = arts.iter().find(|a| a.outlet.name == "X News").unwrap();
    assert_eq!(x.source, format!("{}:1", p.join("feed.jsonl").display()));
}

#[test]
fn seed_000_noise_is_not_stored_and_teasers_are() {
    let dir = ingested();
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    let arts = store.articles().unwrap();
    let main = arts.iter().find(|a| a.source.ends_with("000_d6bffa9cee783423.txt") && !a.is_teaser()).unwrap();
    for noise in ["&w=3840&q=100)", "STORY CONTINUES BELOW THIS AD", "Hashtags", "Try Our AI Features", "Explore what Daily8 AI can do for you", "Comments", "No comments yet...", "Related Articles"] {
        assert!(!main.text.contains(noise) && !main.title.contains(noise), "stored article has {noise:?}");
    }
    assert_eq!(main.outlet.name, "Daily8");
    let teasers: Vec<_> = arts.iter().filter(|a| a.is_teaser()).collect();
    let mut outlets: Vec<&str> = teasers.iter().map(|t| t.outlet.name.as_str()).collect();
    outlets.sort();
    assert_eq!(outlets, ["India.com", "Indian Express", "Time of India"]);
    for t in &teasers {
        match &t.kind {
            dossier_model::ArticleKind::Teaser { found_on, age } => {
                assert_eq!(found_on, &main.id);
                assert!(age.as_deref().unwrap().ends_with("ago"));
            }
            _ => unreachable!(),
        }
        assert!(!main.text.contains(&t.title), "teaser {:?} leaked into the main article", t.title);
    }
}

#[test]
fn stories_group_the_memo_reports() {
    let dir = ingested();
    let stories = json(&dossier(dir.path(), &["stories", "--json"]));
    let stories = stories.as_array().unwrap();
    assert_eq!(stories.len(), 5, "{stories:#?}");
    let memo = &stories[0];
    assert_eq!(memo["article_count"], 2);
    let mut outlets: Vec<&str> = memo["outlets"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
    outlets.sort();
    assert_eq!(outlets, ["001_4e4791946bcd72aa", "Daily8"]);
    let title_of = |needle: &str| stories.iter().find(|s| s["title"].as_str().unwrap().contains(needle)).unwrap_or_else(|| panic!("no story titled {needle:?}"));
    let assessment = title_of("convergence of Russian and Chinese");
    assert_eq!(assessment["article_count"], 1);
    assert_eq!(assessment["outlets"][0], "002_6d44a654a7eeca9a");
    for (title, outlet) in [("Chernobyl", "India.com"), ("Iran foreign minister to visit Moscow", "Time of India"), ("Rajnath, Doval", "Indian Express")] {
        let s = title_of(title);
        assert_eq!(s["article_count"], 1, "{title}");
        assert_eq!(s["outlets"][0], outlet);
    }
    // The plain listing shows title, outlets, count and span.
    let text = stdout(&dossier(dir.path(), &["stories"]));
    assert!(text.contains("2 article(s) · Daily8, 001_4e4791946bcd72aa") || text.contains("2 article(s) · 001_4e4791946bcd72aa, Daily8"), "{text}");
}

fn csv_rows(o: &Output) -> Vec<Vec<String>> {
    assert!(o.status.success(), "stderr: {}", String::from_utf8_lossy(&o.stderr));
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(o.stdout.as_slice());
    r.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

/// The desk's lists as CSV and JSON, sorted and filtered by claim status; the status
/// `dossier claims` prints is one the filters take; a value outside a filter's set is a usage error.
#[test]
fn stories_claims_and_articles_export_and_filter() {
    let dir = ingested();
    let stories = csv_rows(&dossier(dir.path(), &["stories", "--csv"]));
    assert_eq!(stories[0][..3], ["story_id", "title", "outlet_count"]);
    assert_eq!(stories.len(), 6, "a header and the 5 stories");
    let listed = json(&dossier(dir.path(), &["stories", "--json"]));
    assert_eq!(stories[1][0], listed[0]["id"].as_str().unwrap(), "the same order");
    let memo = &listed[0];
    assert!(memo["claims"]["contested"].as_u64().unwrap() >= 1 && memo["claims"]["corroborated"].as_u64().unwrap() >= 1, "{memo:#}");
    assert_eq!(stories[1][9], memo["claims"]["contested"].to_string());
    let contested = json(&dossier(dir.path(), &["stories", "--has", "contested", "--json"]));
    assert_eq!(contested.as_array().unwrap().len(), 1, "only the memo story has a contested claim");
    let paged = json(&dossier(dir.path(), &["stories", "--sort", "recent", "--limit", "2", "--offset", "1", "--json"]));
    let recent = json(&dossier(dir.path(), &["stories", "--sort", "recent", "--json"]));
    assert_eq!(paged.as_array().unwrap()[..], recent.as_array().unwrap()[1..3]);

    let claims = csv_rows(&dossier(dir.path(), &["claims", "1", "--csv"]));
    assert_eq!(claims[0][..4], ["story_id", "claim_id", "claim", "status"]);
    assert_eq!(claims.len() - 1, json(&dossier(dir.path(), &["claims", "1", "--json"])).as_array().unwrap().len());
    assert!(claims[1..].iter().all(|r| r[0] == claims[1][0] && r[6] == r[4].split("; ").next().unwrap()), "first outlet leads the outlets: {claims:?}");
    let all = csv_rows(&dossier(dir.path(), &["claims", "--all", "--csv", "--status", "single_source"]));
    assert!(all.len() > claims.len() / 2 && all[1..].iter().all(|r| r[3] == "single_source"), "{all:?}");
    assert!(all[1..].iter().map(|r| &r[0]).collect::<std::collections::HashSet<_>>().len() >= 4, "every story's claims");

    // Whatever status `dossier claims` prints, `search --status` and `stories --has` take.
    let text = stdout(&dossier(dir.path(), &["claims", "--all"]));
    let printed: std::collections::BTreeSet<&str> = text.lines().filter_map(|l| l.strip_prefix('[')?.split(']').next()).collect();
    assert!(printed.contains("single_source") && printed.contains("contested"), "{printed:?}");
    for status in printed {
        assert!(json(&dossier(dir.path(), &["search", "--status", status, "--json"]))["total"].as_u64().unwrap() >= 1, "{status}");
        assert!(!json(&dossier(dir.path(), &["stories", "--has", status, "--json"])).as_array().unwrap().is_empty(), "{status}");
    }
    for (args, says) in [
        (&["stories", "--has", "disputed"][..], "contested, corroborated, single_source, unattributed"),
        (&["stories", "--sort", "newest"][..], "rank, size, recent, outlets, contested, corroborated"),
        (&["claims", "--all", "--status", "true"][..], "single_source"),
        (&["claims"][..], "--all"),
    ] {
        let out = dossier(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    let articles = csv_rows(&dossier(dir.path(), &["articles", "--csv"]));
    assert_eq!(articles[0], ["article_id", "story_id", "outlet", "title", "url", "published", "kind", "copy_of"]);
    assert_eq!(articles.len(), 7, "a header and the 6 articles (teasers too)");
    let of_memo = json(&dossier(dir.path(), &["articles", "--story", "1", "--json"]));
    assert_eq!(of_memo.as_array().unwrap().len(), 2);
    assert!(of_memo.as_array().unwrap().iter().all(|a| a["story_id"] == memo["id"]));
}

fn bullets_with<'a>(list: &'a [Value], needle: &str) -> Vec<&'a Value> {
    list.iter().filter(|b| b["text"].as_str().unwrap().contains(needle) || b["citations"].as_array().unwrap().iter().any(|c| c["sentence"].as_str().unwrap().contains(needle))).collect()
}

fn cited_outlets(b: &Value) -> Vec<String> {
    let mut v: Vec<String> = b["citations"].as_array().unwrap().iter().map(|c| c["outlet"].as_str().unwrap().to_string()).collect();
    v.sort();
    v
}

#[test]
fn brief_shows_shared_single_and_primary_source() {
    let dir = ingested();
    let brief = json(&dossier(dir.path(), &["brief", "1", "--json", "--all"]));
    let shared = brief["shared"].as_array().unwrap();
    let both = ["001_4e4791946bcd72aa".to_string(), "Daily8".to_string()];
    for needle in ["eight-page", "Ares Leaks", "Western intelligence"] {
        let hits = bullets_with(shared, needle);
        assert!(hits.iter().any(|b| cited_outlets(b) == both), "no shared bullet for {needle:?}: {shared:#?}");
    }
    let only: Vec<(String, Vec<Value>)> = serde_json::from_value(brief["only_in"].clone()).unwrap();
    let only_in = |outlet: &str| only.iter().find(|(o, _)| o == outlet).map(|(_, b)| b.clone()).unwrap_or_default();
    for (outlet, needle) in [("001_4e4791946bcd72aa", "$240 billion"), ("Daily8", "40 meetings"), ("Daily8", "polygraph")] {
        let list = only_in(outlet);
        let hit = bullets_with(&list, needle);
        assert_eq!(hit.len().min(1), 1, "{needle:?} not shown as only in {outlet}: {list:#?}");
        assert_eq!(cited_outlets(hit[0]), [outlet.to_string()]);
        // And no other outlet claims it.
        let shared_hits = bullets_with(shared, needle);
        assert!(shared_hits.is_empty(), "{needle:?} shown as shared: {shared_hits:?}");
    }
    let primary = brief["primary_sources"].as_array().unwrap();
    let nyt = primary.iter().find(|p| p["name"] == "The New York Times").expect("NYT named as primary source");
    assert_eq!(nyt["kind"], "publication");
    assert_eq!(nyt["cited_by"], serde_json::json!(["Daily8"]));
    // 001 names no person, body or publication, but it cites the memo itself ("this memo", "The
    // document"), as its bullets show: "Cites no source" would contradict them.
    assert_eq!(brief["unsourced_outlets"], serde_json::json!([]));

    let text = stdout(&dossier(dir.path(), &["brief", "1"]));
    assert!(text.starts_with("At a Glance — "), "{text}");
    assert!(text.contains("The New York Times (publication) — ") && text.contains(" — cited by Daily8"), "{text}");
    let md = stdout(&dossier(dir.path(), &["brief", "1", "--markdown"]));
    assert!(md.starts_with("# At a Glance"));
    let missing = dossier(dir.path(), &["brief", "ffffffffffff"]);
    assert_eq!(missing.status.code(), Some(2), "an unknown story id is a usage mistake");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no story"));
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let (head, body) = buf.split_once("\r\n\r\n").unwrap();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_pages_and_api_on_loopback() {
    let dir = ingested();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dossier")).arg("--data").arg(dir.path()).args(["serve", "--addr", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
    let out = child.stdout.take().unwrap();
    let _server = Server(child);
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line).unwrap();
    let addr = line.split("http://").nth(1).unwrap().split('/').next().unwrap().to_string();

    let (status, list) = http_get(&addr, "/api/stories");
    assert_eq!(status, 200);
    let list: Value = serde_json::from_str(&list).unwrap();
    let memo = &list["stories"][0];
    assert_eq!(memo["article_count"], 2);
    let id = memo["id"].as_str().unwrap();

    let (status, story) = http_get(&addr, &format!("/api/stories/{id}"));
    assert_eq!(status, 200);
    let story: Value = serde_json::from_str(&story).unwrap();
    assert!(story["brief"]["shared"].as_array().unwrap().len() >= 3);
    assert_eq!(story["articles"].as_array().unwrap().len(), 2);

    let (status, index) = http_get(&addr, "/");
    assert_eq!(status, 200);
    assert!(index.contains(&format!("/stories/{id}")));
    assert!(index.contains("Rajnath, Doval likely to visit China"));
    let (status, page) = http_get(&addr, &format!("/stories/{id}"));
    assert_eq!(status, 200);
    assert!(page.contains("At a Glance"));
    assert!(page.contains("The New York Times"));
    // Citations link to the articles, which are served.
    let first_link = page.split("href=\"/articles/").nth(1).unwrap().split('"').next().unwrap();
    let (status, article) = http_get(&addr, &format!("/articles/{first_link}"));
    assert_eq!(status, 200);
    assert!(article.contains("<p>"));
    assert_eq!(http_get(&addr, "/api/stories/nope").0, 404);
}

#[test]
fn demo_prints_stories_and_the_largest_brief() {
    let dir = tempfile::tempdir().unwrap();
    let out = dossier(&dir.path().join("demo"), &["demo", "--no-serve"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    assert!(text.contains("Stories in the sample corpus"));
    assert!(text.contains("Iran foreign minister to visit Moscow today"));
    let brief = text.split("At a Glance — ").nth(1).expect("a brief is printed");
    assert!(brief.starts_with("Behind the ‘no-limits' partnership"), "{brief}");
    assert!(brief.contains("$240 billion"));
    // Running it again starts afresh and gives the same result.
    let again = dossier(&dir.path().join("demo"), &["demo", "--no-serve"]);
    assert_eq!(stdout(&again).lines().filter(|l| l.contains("article(s) ·")).count(), 5);
}

#[test]
fn sample_corpus_groups_alike_with_meaning_and_embeds_each_article_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = |env_model: Option<&Path>, args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_dossier"));
        if let Some(m) = env_model {
            c.env("DOSSIER_MODEL", m);
        }
        c.arg("--data").arg(dir.path()).args(args).output().unwrap()
    };
    let groups = |o: &Output| -> Vec<Vec<String>> {
        let mut g: Vec<Vec<String>> = json(o).as_array().unwrap().iter().map(|s| s["article_ids"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()).collect();
        g.sort();
        g
    };
    let out = run(None, &["--embeddings", "off", "ingest", corpus().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lexical = groups(&run(None, &["stories", "--json"]));
    if !run(None, &["model", "status"]).status.success() {
        assert!(std::env::var_os("CI").is_none(), "CI: the embedding model is not installed");
        return;
    }
    // Another mode is another analysis: a rebuild recomputes it all with the model.
    let out = run(None, &["--embeddings", "on", "analyse", "--rebuild"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The memo reports stay together and the British assessment (same
    // topic, another event) stays apart, with meaning as without it.
    assert_eq!(groups(&run(None, &["stories", "--json"])), lexical);
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    let stored = store.embeddings(dossier_embed::MODEL).unwrap();
    assert_eq!(stored.len(), store.articles().unwrap().len(), "one embedding per article");
    drop(store);
    let claims = stdout(&run(None, &["claims", "1", "--json"]));
    // Computed once: with the model gone, `--embeddings on` still works from the stored vectors
    // and the stored meaning scores of claim pairs, and gives the same stories and claims.
    let out = run(Some(&dir.path().join("no-model-here")), &["--embeddings", "on", "analyse", "--rebuild"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(groups(&run(None, &["stories", "--json"])), lexical);
    assert_eq!(stdout(&run(None, &["claims", "1", "--json"])), claims);
    // A new article needs the model, and says so.
    let extra = dir.path().join("extra.jsonl");
    std::fs::write(&extra, r#"{"url": "https://example.org/a", "title": "Riverton warehouse fire", "text": "A fire destroyed a warehouse in Riverton on Monday.", "outlet": "Example"}"#).unwrap();
    let out = run(Some(&dir.path().join("no-model-here")), &["--embeddings", "on", "ingest", extra.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("dossier model fetch"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn search_finds_phrases_with_facets_and_the_index_rebuilds() {
    let dir = ingested();
    let r = json(&dossier(dir.path(), &["search", "\"eight-page document\"", "--json"]));
    assert_eq!(r["total"], 1, "{r:#}");
    assert!(r["hits"][0]["snippet_html"].as_str().unwrap().contains("<b>eight</b>-<b>page</b> <b>document</b>"), "{r:#}");
    // Lexical: with the model installed the default is hybrid, whose results are ranked candidates.
    let memo = json(&dossier(dir.path(), &["search", "memo", "--mode", "lexical", "--json"]));
    assert_eq!((memo["total"].as_u64(), memo["mode"].as_str()), (Some(2), Some("lexical")));
    let outlets: Vec<&str> = memo["facets"]["outlet"].as_array().unwrap().iter().map(|f| f["value"].as_str().unwrap()).collect();
    assert!(outlets.contains(&"Daily8"), "{outlets:?}");
    let only = json(&dossier(dir.path(), &["search", "memo", "--mode", "lexical", "--outlet", "Daily8", "--json"]));
    assert_eq!(only["total"], 1);
    assert_eq!(only["hits"][0]["outlet"], "Daily8");
    let by_entity = json(&dossier(dir.path(), &["search", "--entity", "Federal Security Service", "--json"]));
    assert!(by_entity["total"].as_u64().unwrap() >= 2);
    let corroborated = json(&dossier(dir.path(), &["search", "--status", "corroborated", "--json"]));
    assert!(corroborated["total"].as_u64().unwrap() >= 2, "{corroborated:#}");
    assert_eq!(json(&dossier(dir.path(), &["search", "memo", "--to", "2000-01-01", "--json"]))["total"], 0);
    // The plain listing, and a clear error for a bad date.
    let text = stdout(&dossier(dir.path(), &["search", "memo", "--mode", "lexical"]));
    assert!(text.starts_with("2 match(es), ranked lexical") && text.contains("outlets:"), "{text}");
    let bad = dossier(dir.path(), &["search", "memo", "--from", "yesterday-ish"]);
    assert!(!bad.status.success());
    // A misspelt status is refused, naming the ones there are, rather than matching nothing.
    let typo = dossier(dir.path(), &["search", "--status", "corroborate"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("corroborated"), "{}", String::from_utf8_lossy(&typo.stderr));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--from"));
    // Rebuilt from the store after the index is lost.
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let out = dossier(dir.path(), &["search", "memo"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("dossier reindex"));
    assert!(stdout(&dossier(dir.path(), &["reindex"])).contains("6 articles"));
    let rebuilt = json(&dossier(dir.path(), &["search", "memo", "--mode", "lexical", "--json"]));
    assert_eq!(rebuilt["total"], 2);
    // The same documents and facets as the index the analysis wrote (a reindex reads a chunk of whole stories at a time).
    assert_eq!(rebuilt["facets"], memo["facets"], "{rebuilt:#} / {memo:#}");
    // A mode that is not one is a usage error naming those there are.
    let typo = dossier(dir.path(), &["search", "memo", "--mode", "semantic"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("lexical, vector, hybrid"), "{}", String::from_utf8_lossy(&typo.stderr));
}

/// With the model: a query in other words than the articles' finds the memo reports
/// (hybrid and vector) where words alone find nothing, and "more like this" for the memo
/// story puts the British assessment of the Russia-China alliance first.
#[test]
fn hybrid_search_finds_a_paraphrase_and_like_finds_the_related_story() {
    let dir = ingested();
    if !dossier(dir.path(), &["model", "status"]).status.success() {
        assert!(std::env::var_os("CI").is_none(), "CI: the embedding model is not installed");
        return;
    }
    let q = "Moscow spies regard Beijing as a foe";
    let lexical = json(&dossier(dir.path(), &["search", q, "--mode", "lexical", "--json"]));
    assert_eq!(lexical["total"], 0, "{lexical:#}");
    let hybrid = json(&dossier(dir.path(), &["search", q, "--json"]));
    assert_eq!(hybrid["mode"], "hybrid", "the default with vectors and the model");
    let top = hybrid["hits"][0]["title"].as_str().unwrap();
    assert!(top.contains("adversary") || top.contains("no-limits"), "{hybrid:#}");
    let memo_story = hybrid["hits"][0]["story"].as_str().unwrap().to_string();
    let vector = json(&dossier(dir.path(), &["search", q, "--mode", "vector", "--json"]));
    assert_eq!(vector["hits"][0]["story"], memo_story.as_str(), "{vector:#}");
    // Filters apply to every mode.
    let none = json(&dossier(dir.path(), &["search", q, "--mode", "vector", "--to", "2000-01-01", "--json"]));
    assert_eq!(none["total"], 0);
    let like = json(&dossier(dir.path(), &["search", "--like", &memo_story, "--json"]));
    assert_eq!(like["mode"], "hybrid");
    let first = like["stories"][0]["title"].as_str().unwrap();
    assert!(first.starts_with("The convergence of Russian and Chinese strategic interests"), "{like:#}");
    assert!(like["stories"].as_array().unwrap().iter().all(|s| s["id"] != memo_story.as_str()), "never itself");
    // More like a claim of the memo story: by its wording's meaning, other stories only.
    let claims = json(&dossier(dir.path(), &["claims", &memo_story, "--json"]));
    let claim = claims[0]["id"].as_str().unwrap();
    let like = json(&dossier(dir.path(), &["search", "--like-claim", claim, "--json"]));
    assert_eq!((like["mode"].as_str(), like["claim"]["story_id"].as_str()), (Some("hybrid"), Some(memo_story.as_str())), "{like:#}");
    let others = like["stories"].as_array().unwrap();
    assert!(!others.is_empty() && others.iter().all(|s| s["id"] != memo_story.as_str()), "{like:#}");
    assert_eq!(json(&dossier(dir.path(), &["--embeddings", "off", "search", "--like-claim", claim, "--json"]))["mode"], "lexical");
    let unknown = dossier(dir.path(), &["search", "--like-claim", "nope"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no claim \"nope\""), "{}", String::from_utf8_lossy(&unknown.stderr));
    // Without the model, vectors cannot be asked for; the default falls back to lexical and says so.
    let off = dossier(dir.path(), &["--embeddings", "off", "search", q, "--mode", "vector"]);
    assert_eq!(off.status.code(), Some(2), "{}", String::from_utf8_lossy(&off.stderr));
    assert!(String::from_utf8_lossy(&off.stderr).contains("embedding model"), "{}", String::from_utf8_lossy(&off.stderr));
    assert_eq!(json(&dossier(dir.path(), &["--embeddings", "off", "search", q, "--json"]))["mode"], "lexical");
}

/// The FSB-memo story's aligned claims: what both outlets state is corroborated, with the
/// first publisher and the primary source; what one outlet alone states is single-source;
/// what it relays from nobody named is unattributed.
#[test]
fn memo_story_claims_have_statuses_and_provenance() {
    let dir = ingested();
    let claims = json(&dossier(dir.path(), &["claims", "1", "--json"]));
    let claims = claims.as_array().unwrap();
    let members = |c: &Value| c["members"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let outlets = |c: &Value| {
        let mut v: Vec<String> = c["outlets"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    let both = ["001_4e4791946bcd72aa".to_string(), "Daily8".to_string()];
    // Each of these is stated by both outlets, in different words, and aligned into one claim.
    // Daily8's memo is "believed to have been drafted in late 2023 or early 2024"; 001 states it
    // is "dated late 2023 or early 2024": a hedge hardened into fact, so that sentence's claim is
    // contested, both versions shown; the rest both state alike.
    for (daily8, other, status) in [
        ("eight-page FSB memo", "eight-page document", "contested"),
        ("obtained by Ares Leaks", "Ares Leaks platform", "contested"),
        ("authenticity of which has been confirmed", "authenticated by Western intelligence", "corroborated"),
    ] {
        let c = claims
            .iter()
            .find(|c| members(c).iter().any(|m| m.contains(daily8)) && members(c).iter().any(|m| m.contains(other)))
            .unwrap_or_else(|| panic!("{daily8:?} and {other:?} not aligned: {claims:#?}"));
        assert_eq!(c["status"], status, "{c:#?}");
        if status == "contested" {
            assert_eq!(
                c["conflict"],
                "Daily8: hedged, \"believed to\" (\"believed to have been drafted in late 2023 or early 2024\"); 001_4e4791946bcd72aa: as fact (\"dated late 2023 or early 2024\")"
            );
        }
        assert_eq!(outlets(c), both);
        assert_eq!(c["first_outlet"], c["outlets"][0]);
        // A sentence that names its source rests on it (Daily8's "a secret planning document …
        // reveals"); one that names none rests on the report Daily8 relays ("according to a report
        // by The New York Times").
        let (name, kind) = if daily8.starts_with("authenticity") { ("a secret planning document", "document") } else { ("The New York Times", "publication") };
        assert!(c["sources"].as_array().unwrap().iter().any(|s| s["source"] == name && s["kind"] == kind), "{c:#?}");
    }
    let only = |needle: &str| {
        let hits: Vec<&Value> = claims.iter().filter(|c| members(c).iter().any(|m| m.contains(needle))).collect();
        assert!(!hits.is_empty(), "no claim with {needle:?}");
        hits
    };
    for c in only("Trade between the two soared to $240 billion") {
        assert_eq!(c["status"], "single_source", "{c:#?}");
        assert_eq!(outlets(c), ["001_4e4791946bcd72aa"]);
        let q = &c["members"][0]["quantities"];
        assert!(q.as_array().unwrap().iter().any(|q| q["value"] == 240e9 && q["unit"] == "USD"), "{q}");
    }
    for c in only("polygraph tests") {
        assert_eq!(c["status"], "single_source");
        assert_eq!(c["sources"][0]["source"], "The New York Times", "the report Daily8 relays is its primary source");
    }
    for c in only("Chinese operatives allegedly infiltrate") {
        assert_eq!(c["status"], "unattributed", "an allegation relayed from nobody named: {c:#?}");
        assert!(c["sources"].as_array().unwrap().is_empty());
    }
    // The memo's date is one normalised range.
    let eight = only("eight-page FSB memo")[0];
    let date = eight["members"].as_array().unwrap().iter().flat_map(|m| m["quantities"].as_array().unwrap()).find(|q| q["unit"] == "date").expect("a date");
    assert_eq!(date["span"], serde_json::json!({"from": "2023-09-01", "to": "2024-04-30"}));
    // With the model, claims in other words align by meaning: 001's summary line and Daily8's
    // account of the memo's espionage concerns share few words.
    if dossier(dir.path(), &["model", "status"]).status.success() {
        let c = claims
            .iter()
            .find(|c| members(c).iter().any(|m| m.contains("A leaked FSB memo brands China")) && members(c).iter().any(|m| m.contains("mounting concerns over Chinese espionage")))
            .unwrap_or_else(|| panic!("not aligned by meaning: {claims:#?}"));
        assert_eq!(c["status"], "corroborated");
    }
    // Every claim's text is a sentence of one of its articles.
    for c in claims {
        assert!(members(c).contains(&c["text"].as_str().unwrap().to_string()));
    }
    // Daily8's "While Putin has portrayed …, a secret planning document—… confirmed by Western
    // agencies—reveals that …": the document is that claim's source, not Putin nor the agencies.
    for c in only("a secret planning document") {
        let names: Vec<&str> = c["sources"].as_array().unwrap().iter().map(|s| s["source"].as_str().unwrap()).collect();
        assert!(names.contains(&"a secret planning document") && !names.iter().any(|n| n.contains("Putin") || n.contains("agencies")), "{names:?}");
    }
    // The text listing shows, under an aligned claim, the other outlet's own wording, named by outlet.
    let text = stdout(&dossier(dir.path(), &["claims", "1"]));
    let head = text.lines().position(|l| l.starts_with("[contested]") && l.contains("eight-page FSB memo")).expect("the memo claim");
    let block: Vec<&str> = text.lines().skip(head + 1).take_while(|l| l.starts_with("    ")).collect();
    assert!(block.iter().any(|l| l.starts_with("    001_4e4791946bcd72aa: ") && l.contains("eight-page document")), "{block:#?}");
}

/// `dossier claims 1 | head`: a reader that goes away ends the listing as it
/// ends other tools (SIGPIPE), with no panic and no backtrace.
#[test]
fn a_reader_that_goes_away_ends_the_listing_quietly() {
    let dir = ingested();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dossier")).arg("--data").arg(dir.path()).args(["claims", "1"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // The read end closes before the listing is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{err}");
    use std::os::unix::process::ExitStatusExt;
    assert!(out.status.success() || out.status.signal() == Some(13), "{:?}", out.status);
}

/// The touched stories are analysed on all cores: one thread or two must give
/// the same stories, claims and briefs, with the model and without.
#[test]
fn analysis_does_not_depend_on_the_thread_count() {
    let snapshot = |threads: &str, embeddings: &str| {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dossier"))
            .env("RAYON_NUM_THREADS", threads)
            .arg("--data")
            .arg(dir.path())
            .args(["--embeddings", embeddings, "ingest", corpus().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        let mut stories = store.stories().unwrap();
        stories.sort_by(|a, b| a.id.cmp(&b.id));
        assert!(stories.len() >= 2, "{} stories", stories.len());
        let claims: Vec<_> = stories.iter().map(|s| store.aligned_claims(&s.id).unwrap()).collect();
        assert!(claims.iter().any(|c| c.iter().any(|c| c.outlets.len() >= 2)), "no claim told by two outlets: the comparison would prove little");
        let briefs: Vec<_> = stories.iter().map(|s| store.brief(&s.id).unwrap()).collect();
        serde_json::to_string(&(stories, claims, briefs)).unwrap()
    };
    assert_eq!(snapshot("1", "off"), snapshot("2", "off"));
    if dossier(Path::new("."), &["model", "status"]).status.success() {
        assert_eq!(snapshot("1", "on"), snapshot("2", "on"));
    } else {
        assert!(std::env::var_os("CI").is_none(), "CI: the embedding model is not installed");
    }
}

/// One outlet under two names (a feed's "FOX", another's "Fox News", both foxnews.com) is one
/// outlet: its two reports do not corroborate each other; a second site's report does. The
/// article stored first keeps its stored name and reads as the same outlet when the second arrives.
#[test]
fn one_outlet_under_two_names_does_not_corroborate_itself() {
    let input = tempfile::tempdir().unwrap();
    let rec = |url: &str, outlet: &str, hour: u32, text: &str| {
        serde_json::json!({"url": url, "outlet": outlet, "published": format!("2025-06-22T{hour:02}:00:00Z"),
            "title": "Navy sends two destroyers to the Riverton Strait after collision", "text": text})
        .to_string()
    };
    let fact = "The Navy sent two destroyers to the Riverton Strait on Tuesday after a tanker collided with a patrol boat, the Pentagon said.";
    let more = "The tanker was carrying crude oil from the port of Eastmouth when it struck the patrol boat near the strait.";
    std::fs::write(input.path().join("fox.jsonl"), rec("https://www.foxnews.com/politics/navy-destroyers-riverton", "FOX", 8, &format!("{fact}\n{more}")) + "\n").unwrap();
    std::fs::write(
        input.path().join("foxnews.jsonl"),
        rec("https://foxnews.com/us/riverton-strait-collision?utm_source=rss", "Fox News", 9, &format!("{fact} Officials gave no casualty figures.\n{more}")) + "\n",
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    for file in ["fox.jsonl", "foxnews.jsonl"] {
        let out = dossier(data.path(), &["ingest", input.path().join(file).to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let stories = json(&dossier(data.path(), &["stories", "--json"]));
    assert_eq!(stories.as_array().unwrap().len(), 1, "{stories:#}");
    assert_eq!(stories[0]["outlets"], serde_json::json!(["Fox News"]), "one site, one outlet, named by its fuller name");
    let claims = json(&dossier(data.path(), &["claims", "1", "--json"]));
    let claims = claims.as_array().unwrap();
    assert!(!claims.is_empty());
    for c in claims {
        assert_ne!(c["status"], "corroborated", "an outlet does not corroborate itself: {c:#}");
        assert_eq!(c["outlets"], serde_json::json!(["Fox News"]));
    }
    let brief = stdout(&dossier(data.path(), &["brief", "1"]));
    assert!(brief.contains("from 1 outlet(s): Fox News") && brief.contains("Also named: Fox News (foxnews.com) as FOX"), "{brief}");
    // Another site's report of the same fact corroborates it.
    std::fs::write(input.path().join("nyt.jsonl"), rec("https://www.nytimes.com/2025/06/22/us/riverton-strait.html", "NYT", 10, fact) + "\n").unwrap();
    let out = dossier(data.path(), &["ingest", input.path().join("nyt.jsonl").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let claims = json(&dossier(data.path(), &["claims", "1", "--json"]));
    let c = claims.as_array().unwrap().iter().find(|c| c["text"].as_str().unwrap().starts_with("The Navy sent")).unwrap_or_else(|| panic!("{claims:#}"));
    assert_eq!(c["status"], "corroborated", "{c:#}");
    assert_eq!(c["outlets"], serde_json::json!(["Fox News", "NYT"]));
}

/// "Confirmed" against "denied" by two outlets is one claim, contested, with each outlet's
/// version, in the claims listing and the brief; never corroborated.
#[test]
fn confirmed_against_denied_is_contested() {
    let input = tempfile::tempdir().unwrap();
    let rec = |url: &str, outlet: &str, hour: u32, text: &str| {
        serde_json::json!({"url": url, "outlet": outlet, "published": format!("2025-06-22T{hour:02}:00:00Z"),
            "title": "Ministry and rebel commanders: secret talks in Geneva", "text": text})
        .to_string()
    };
    let lines = [
        rec(
            "https://www.capitalpost.example/world/geneva-talks",
            "Capital Post",
            8,
            "The Interior Ministry confirmed on Tuesday that secret talks with rebel commanders took place in Geneva last month.\nThe talks were brokered by Swiss diplomats, officials said.",
        ),
        rec(
            "https://valleytimes.example/news/geneva",
            "Valley Times",
            9,
            "The Interior Ministry denied on Tuesday that secret talks with rebel commanders took place in Geneva last month.\nThe talks were brokered by Swiss diplomats, officials said.",
        ),
    ];
    std::fs::write(input.path().join("feed.jsonl"), lines.join("\n") + "\n").unwrap();
    let data = tempfile::tempdir().unwrap();
    let out = dossier(data.path(), &["ingest", input.path().join("feed.jsonl").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let claims = json(&dossier(data.path(), &["claims", "1", "--json"]));
    let c = claims.as_array().unwrap().iter().find(|c| c["text"].as_str().unwrap().contains("secret talks")).unwrap_or_else(|| panic!("{claims:#}"));
    assert_eq!(c["status"], "contested", "{c:#}");
    assert_eq!(c["members"].as_array().unwrap().len(), 2);
    let why = c["conflict"].as_str().unwrap();
    assert!(why.starts_with("Capital Post: confirmed (") && why.contains("; Valley Times: denied ("), "{why}");
    let brief = stdout(&dossier(data.path(), &["brief", "1"]));
    assert!(brief.contains("[contested: Capital Post, Valley Times") && brief.contains("⚠ contested: Capital Post: confirmed"), "{brief}");
}

/// A story told by three outlets in the style of real reporting (`examples/multi-outlet/`): a
/// confirmation against a denial, a figure that differs, one quotation given to two people, a
/// republished copy that drops who said what, a hedge stated elsewhere as fact, and one outlet
/// under two names. Statuses, sources and the brief, through the binary.
#[test]
fn a_three_outlet_story_gets_statuses_sources_and_a_short_brief() {
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/multi-outlet/rail-talks.jsonl");
    let data = tempfile::tempdir().unwrap();
    let out = dossier(data.path(), &["--embeddings", "off", "ingest", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The five reports of the talks are one story (the desk's other news, five more articles, apart).
    let stories = json(&dossier(data.path(), &["stories", "--json"]));
    assert_eq!(stories.as_array().unwrap().len(), 6, "{stories:#}");
    assert_eq!(stories[0]["article_count"], 5, "{stories:#}");
    let mut outlets: Vec<&str> = stories[0]["outlets"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
    outlets.sort();
    assert_eq!(outlets, ["The Capital Post", "Union Press", "Valley Times"], "VT is the Valley Times' site");

    let claims = json(&dossier(data.path(), &["claims", "1", "--json"]));
    let claims = claims.as_array().unwrap();
    let claim = |needle: &str| {
        claims.iter().find(|c| c["members"].as_array().unwrap().iter().any(|m| m["text"].as_str().unwrap().contains(needle))).unwrap_or_else(|| panic!("no claim with {needle:?}: {claims:#?}"))
    };
    let conflict = |needle: &str| claim(needle)["conflict"].as_str().unwrap_or_default().to_string();
    for needle in ["The ministry denied that secret talks", "60 million euros", "said Karl Brandt", "were launched on February 24"] {
        assert_eq!(claim(needle)["status"], "contested", "{needle}: {:#}", claim(needle));
    }
    assert!(conflict("The ministry denied").contains("The Capital Post: confirmed") && conflict("The ministry denied").contains("Valley Times: denied"), "{}", conflict("The ministry denied"));
    assert!(conflict("60 million").contains("45 million") && conflict("60 million").contains("60 million"));
    assert!(conflict("said Karl Brandt").contains("quoted as Elena Varga's") && conflict("said Karl Brandt").contains("quoted as Karl Brandt's"), "{}", conflict("said Karl Brandt"));
    // A sentence can stand in more than one fact: the hedge is contested in the one it shares with its hardening.
    let hedged = claims.iter().filter_map(|c| c["conflict"].as_str()).find(|w| w.contains("hedged")).unwrap_or_else(|| panic!("no hedge contested: {claims:#?}"));
    assert!(hedged.contains("Valley Times: hedged, \"believed to\"") && hedged.contains("Union Press: as fact (\"the national rail union were launched on February 24"), "{hedged}");
    // The copy that dropped "according to a letter seen by The Capital Post" is no second outlet's
    // report: the claim rests on the letter, and only the Capital Post stands behind it.
    let pay = claim("9 percent pay rise");
    assert_ne!(pay["status"], "corroborated", "{pay:#}");
    assert_eq!(pay["sources"][0]["kind"], "document", "{pay:#}");
    // A claim's sources are what its own sentence names: the spokesman, under one name.
    let brandt = claim("never met union leaders in private");
    assert_eq!(brandt["sources"], serde_json::json!([{"source": "Karl Brandt", "kind": "person", "cue": "said"}]), "{brandt:#}");
    assert_eq!(claim("4 percent rise")["sources"][0]["source"], "Karl Brandt", "Mr. Brandt is Karl Brandt");
    assert!(claim("not be blackmailed")["sources"].as_array().unwrap().iter().all(|s| s["source"] != "The Capital Post"));

    let brief = json(&dossier(data.path(), &["brief", "1", "--json"]));
    let bullets: Vec<&Value> = brief["shared"].as_array().unwrap().iter().chain(brief["only_in"].as_array().unwrap().iter().flat_map(|o| o[1].as_array().unwrap())).collect();
    assert!(bullets.len() <= 7, "{brief:#}");
    assert!(brief["left_out"].as_u64().unwrap() > 0);
    assert!(bullets.iter().all(|b| !b["citations"].as_array().unwrap().is_empty()));
    // Contested first.
    let first_other = bullets.iter().position(|b| b["status"] != "contested").unwrap_or(bullets.len());
    assert!(first_other >= 3 && bullets[first_other..].iter().all(|b| b["status"] != "contested"), "{bullets:#?}");
    // No two bullets state the same fact (the copy repeats the Capital Post's every sentence).
    let texts: Vec<&str> = bullets.iter().map(|b| b["text"].as_str().unwrap()).collect();
    assert_eq!(texts.iter().collect::<std::collections::HashSet<_>>().len(), texts.len(), "{texts:#?}");
    // Sources: one entry per person, with the claims resting on each, the most first.
    let primary = brief["primary_sources"].as_array().unwrap();
    let names: Vec<&str> = primary.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(primary.len() <= 5, "{names:?}");
    assert_eq!(names[0], "Karl Brandt", "the spokesman most claims rest on: {primary:#?}");
    assert!(primary[0]["claims"].as_u64().unwrap() >= 3, "{primary:#?}");
    assert!(primary.windows(2).all(|w| w[0]["claims"].as_u64() >= w[1]["claims"].as_u64()), "{names:?}");
    let full = json(&dossier(data.path(), &["brief", "1", "--json", "--all"]));
    assert_eq!(full["left_out"], 0);
    let all_primary = full["primary_sources"].as_array().unwrap();
    let all_names: Vec<&str> = all_primary.iter().map(|p| p["name"].as_str().unwrap()).collect();
    for (name, kind) in [("Karl Brandt", "person"), ("Elena Varga", "person"), ("Daniel J. Okafor", "person"), ("Mara Lind", "person"), ("The Ministry of Transport", "government_body")] {
        let p = all_primary.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name} not among {all_names:?}"));
        assert_eq!(p["kind"], kind, "{p:#}");
        assert!(p["claims"].as_u64().unwrap() >= 1, "{p:#}");
    }
    for alias in
        ["Brandt", "Mr. Brandt", "The spokesman", "the spokesman", "Okafor", "Mr. Okafor", "Representative Daniel J. Okafor", "Lind", "Ms. Lind", "The ministry", "Transport Minister Elena Varga"]
    {
        assert!(!all_names.contains(&alias), "{alias} listed apart: {all_names:?}");
    }
    // "Cites no source" never names an outlet that a bullet shows citing one.
    let unsourced: Vec<&str> = brief["unsourced_outlets"].as_array().unwrap().iter().map(|o| o.as_str().unwrap()).collect();
    for b in &bullets {
        if !b["sources"].as_array().unwrap().is_empty() && b["citations"].as_array().unwrap().len() == 1 {
            assert!(!unsourced.contains(&b["citations"][0]["outlet"].as_str().unwrap()), "{unsourced:?} against {b:#}");
        }
    }
    let text = stdout(&dossier(data.path(), &["brief", "1"]));
    assert!(text.contains("Also named: Valley Times (valleytimes.example) as VT") && text.contains("more bullet(s): dossier brief --all"), "{text}");
    // Stance, with the model off: the Valley Times' denial disputes the Capital Post's headline
    // claim of secret talks, shown first; the Union Press copy of the Capital Post takes no stance.
    let stances = brief["stances"].as_array().unwrap_or_else(|| panic!("no stances: {brief:#}"));
    assert_eq!((stances[0]["outlet"].as_str(), stances[0]["stance"].as_str()), (Some("Valley Times"), Some("disagree")), "{stances:#?}");
    assert!(
        stances.iter().any(|s| s["outlet"] == "Valley Times"
            && s["toward_outlet"] == "The Capital Post"
            && s["stance"] == "disagree"
            && s["headline"] == "Ministry held secret rail talks with union before strike"),
        "{stances:#?}"
    );
    assert!(stances.iter().all(|s| s["stance"] != "unrelated" && s["outlet"] != s["toward_outlet"]), "{stances:#?}");
    assert!(text.contains("✗ Valley Times disputes The Capital Post's headline “Ministry held secret rail talks with union before strike”"), "{text}");
}

#[test]
fn pair_and_eval_tone_read_the_corpus_and_newsmtsc_rows() {
    let dir = ingested();
    let p = json(&dossier(dir.path(), &["pair", "Russia", "China", "--json"]));
    let n = p["sentences"].as_u64().unwrap();
    assert!(n >= 3, "{p}");
    assert_eq!(p["outlets"].as_array().unwrap().iter().map(|o| o["sentences"].as_u64().unwrap()).sum::<u64>(), n);
    let same = dossier(dir.path(), &["pair", "Russia", "russia"]);
    assert_eq!(same.status.code(), Some(2), "the same actor twice is a usage error");
    let rows = dir.path().join("rows.jsonl");
    let good = r#"{"sentence": "Putin praised China as a reliable partner.", "mention": "China", "from": 14, "to": 19, "polarity": 1}"#;
    std::fs::write(&rows, format!("{good}\n{{\"sentence\": \"abc\", \"from\": 1, \"to\": 9}}\n")).unwrap();
    let bad = dossier(dir.path(), &["eval", "tone", rows.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("rows.jsonl:2"), "{}", String::from_utf8_lossy(&bad.stderr));
    if dossier_embed::locate().is_some() {
        std::fs::write(&rows, format!("{good}\n{good}\n")).unwrap();
        let out = dossier(dir.path(), &["eval", "tone", rows.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let labels: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
        assert_eq!(labels.len(), 2);
        assert!(labels.iter().all(|l| ["-1", "0", "1"].contains(&l.as_str())) && labels[0] == labels[1], "{labels:?}");
    }
}

/// `dossier eval stance` on FNC-1-style files: one label per row in file order (what the
/// bench's score.py reads), JSON rows with --json, and a clear error for a body the file lacks.
#[test]
fn eval_stance_labels_rows_in_order_and_names_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let bodies = dir.path().join("bodies.csv");
    std::fs::write(
        &bodies,
        "Body ID,articleBody\n\
         7,\"The Ministry of Transport on Monday denied a report that it had held secret talks with the rail union before the strike. \"\"These claims are false,\"\" a spokesman said. The minister has never met union leaders in private.\"\n\
         8,\"The city's harbour museum reopened on Monday after a two-year restoration, its director said.\nVisitors will be admitted free of charge.\"\n",
    )
    .unwrap();
    let stances = dir.path().join("stances.csv");
    std::fs::write(&stances, "Headline,Body ID,Stance\nMinistry held secret talks with rail union before strike,7,disagree\n\"Ministry held secret talks, union says\",8,unrelated\n").unwrap();
    let out = dossier(dir.path(), &["eval", "stance", stances.to_str().unwrap(), bodies.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout(&out), "disagree\nunrelated\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("pairs/s on one thread"));
    let rows: Vec<Value> = stdout(&dossier(dir.path(), &["eval", "stance", "--json", stances.to_str().unwrap(), bodies.to_str().unwrap()])).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!((rows[1]["body_id"].as_str(), rows[1]["stance"].as_str()), (Some("8"), Some("unrelated")));
    std::fs::write(&stances, "Headline,Body ID\nA headline,9\n").unwrap();
    let out = dossier(dir.path(), &["eval", "stance", stances.to_str().unwrap(), bodies.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("row 2: body ID \"9\" is not in the bodies file"), "{}", String::from_utf8_lossy(&out.stderr));
}
