//! Scale-out mode over real servers: PostgreSQL (`DOSSIER_TEST_POSTGRES`) and
//! NATS JetStream (`DOSSIER_TEST_NATS`), which scripts/test.sh starts. Skipped
//! when they are not configured, except under CI=true, where that fails.
//!
//! - Several workers, killed with SIGKILL at random moments and restarted,
//!   with every input published twice (deduplicated by the stream) and part
//!   of it again under new message ids (past the duplicate window): the store
//!   ends with every article once, no spurious revisions, and exactly the
//!   stories, claims and briefs the embedded mode computes from the same corpus.
//! - Workers report health and metrics, and stop cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dossier_store::{SqliteStore, Store};
use dossier_store_postgres::PgStore;

fn servers() -> Option<(String, String)> {
    let pg = std::env::var("DOSSIER_TEST_POSTGRES").ok().filter(|v| !v.is_empty());
    let nats = std::env::var("DOSSIER_TEST_NATS").ok().filter(|v| !v.is_empty());
    match (pg, nats) {
        (Some(p), Some(n)) => Some((p, n)),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("CI=true but DOSSIER_TEST_POSTGRES / DOSSIER_TEST_NATS are not set (scripts/test.sh starts the servers)"),
        _ => {
            eprintln!("skipped: DOSSIER_TEST_POSTGRES and DOSSIER_TEST_NATS not set");
            None
        }
    }
}

/// A corpus with real story structure: events reported by several outlets,
/// with attributed, numeric claims that sometimes disagree; plus exact
/// duplicates of some records (same URL) and a few broken lines.
fn write_corpus(path: &Path, events: usize, outlets: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let places = ["Lisbon", "Porto", "Braga", "Coimbra", "Faro", "Evora", "Aveiro", "Leiria", "Viseu", "Tomar", "Sintra", "Cascais"];
    let topics = [
        ("budget", "approved a budget of {n} million euros for road repairs", "the mayor"),
        ("strike", "said {n} percent of bus drivers joined the strike on Monday", "the transport union"),
        ("flood", "reported that {n} homes were flooded after the storm", "the civil protection agency"),
        ("school", "announced {n} new schools will open next year", "the education ministry"),
    ];
    for e in 0..events {
        let place = places[e % places.len()];
        let (topic, claim, source) = topics[e % topics.len()];
        let firsts = ["Ana", "Rui", "Marta", "Joao", "Ines", "Pedro", "Sofia"];
        let lasts = ["Almeida", "Barros", "Carvalho", "Duarte", "Esteves", "Ferreira", "Gomes", "Henriques", "Igreja", "Jardim", "Lopes"];
        let person = format!("{} {}", firsts[e % firsts.len()], lasts[(e / firsts.len()) % lasts.len()]);
        for o in 0..outlets {
            if (e + o) % 3 == 2 {
                continue; // not every outlet covers every event
            }
            // Outlets mostly agree on the number; one in five reports another.
            let n = 10 + e * 3 + if o % 5 == 4 { 7 } else { 0 };
            let text = format!(
                "The council of {place} {} on Tuesday, according to {source}. Councillor {person} led the {place} {topic} vote, outlet {o} reported.\n\
                 \"We acted quickly,\" {source} said in a statement about the {place} {topic}. Opposition members in {place} criticised the decision.",
                claim.replace("{n}", &n.to_string())
            );
            let rec = serde_json::json!({
                "url": format!("https://outlet{o}.example/{place}/{topic}/{e}?utm_source=feed"),
                "title": format!("{place} {topic}: {person} wins council vote, {source} says"),
                "text": text,
                "published": format!("2024-03-{:02}T{:02}:{:02}:00Z", e % 27 + 1, o % 24, e % 60),
                "outlet": format!("Outlet {o}"),
            });
            writeln!(f, "{rec}").unwrap();
            if (e * outlets + o).is_multiple_of(11) {
                writeln!(f, "{rec}").unwrap(); // the same record twice in the feed
            }
        }
        if e % 9 == 0 {
            writeln!(f, "{{\"title\": \"broken record {e}\"").unwrap();
        }
    }
}

fn dossier() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dossier"));
    c.env_remove("DOSSIER_DATA").env("DOSSIER_LOG", "error");
    c
}

struct Worker {
    child: Child,
    metrics: String,
    /// Kept open so the worker's stdout stays writable.
    _stdout: BufReader<std::process::ChildStdout>,
}

fn start_worker(nats: &str, stream: &str, pg: &str, embeddings: &str) -> Worker {
    let mut child = dossier()
        .args(["--embeddings", embeddings, "worker", "--queue", nats, "--stream", stream, "--store", pg])
        .args(["--metrics-addr", "127.0.0.1:0", "--batch", "8", "--analyse-interval", "0.5", "--ack-wait", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let metrics = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("worker printed no metrics address: {line:?}")).to_string();
    Worker { child, metrics, _stdout: stdout }
}

fn http_get(url: &str) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut s, &mut out).unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

fn metric(body: &str, name: &str) -> f64 {
    body.lines().find(|l| l.starts_with(name) && l[name.len()..].starts_with(' ')).and_then(|l| l.rsplit(' ').next()).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no {name} in:\n{body}"))
}

fn publish(nats: &str, stream: &str, corpus: &Path) -> serde_json::Value {
    let out = dossier().args(["ingest", "--queue", nats, "--stream", stream, "--json"]).arg(corpus).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// Embedded mode on the same corpus.
fn embedded(corpus: &Path, data: &Path, embeddings: &str) -> SqliteStore {
    let out = dossier().arg("--data").arg(data).args(["--embeddings", embeddings, "ingest", "--quiet"]).arg(corpus).output().unwrap();
    assert!(out.status.code() == Some(1) || out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    SqliteStore::open_dir(data).unwrap()
}

/// Waits until the queue is drained and the analysis covers every article.
fn wait_settled(pg: &str, workers: &[Worker], expected_articles: usize, limit: Duration) {
    let started = Instant::now();
    let store = PgStore::connect(pg).unwrap();
    loop {
        let (_, body) = http_get(&workers[0].metrics);
        let drained = metric(&body, "dossier_worker_queue_pending") == 0.0 && metric(&body, "dossier_worker_queue_ack_pending") == 0.0;
        if drained && store.article_count().unwrap() >= expected_articles && !dossier_engine::analysis_owed(&store).unwrap() {
            return;
        }
        assert!(started.elapsed() < limit, "not settled after {limit:?}: {} articles of {expected_articles}; metrics:\n{body}", store.article_count().unwrap());
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The embedded engine over the same arrivals: the articles the workers stored, analysed
/// in the batches the workers' analysis took them in (PostgreSQL's arrivals), on SQLite.
fn replay_embedded(pg: &str, scaled: &PgStore, data: &Path, mode: dossier_engine::Embeddings) -> SqliteStore {
    let mut c = postgres::Client::connect(pg, postgres::NoTls).unwrap();
    let rows = c.query("SELECT article_id, batch FROM arrivals ORDER BY batch, seq", &[]).unwrap();
    let mut batches: Vec<(Option<i64>, Vec<String>)> = Vec::new();
    for r in rows {
        let (id, batch): (String, Option<i64>) = (r.get(0), r.get(1));
        assert!(batch.is_some(), "every arrival was analysed: {id}");
        match batches.last_mut() {
            Some((b, ids)) if *b == batch => ids.push(id),
            _ => batches.push((batch, vec![id])),
        }
    }
    let mut store = SqliteStore::open_dir(data).unwrap();
    let mut engine = dossier_engine::Engine::new(mode);
    for (_, ids) in &batches {
        let articles = scaled.articles_by_id(ids).unwrap();
        engine.ingest(&mut store, &articles, &dossier_engine::Silent).unwrap();
    }
    store
}

/// Exactly-once effects: the scaled-out mode stored the same articles as the embedded mode
/// (none lost, none twice), and its incremental analysis, spread over workers that were
/// killed and restarted, equals the embedded engine's over the same arrivals: the same
/// stories, claims and briefs.
fn assert_same_results(embedded: &SqliteStore, scaled: &PgStore, pg: &str, replay_dir: &Path, mode: dossier_engine::Embeddings) {
    let ids = |s: &dyn Store| s.articles().unwrap().into_iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids(scaled), ids(embedded), "the same articles, in the same order");
    let replayed = replay_embedded(pg, scaled, replay_dir, mode);
    let (es, ss) = (replayed.stories().unwrap(), scaled.stories().unwrap());
    assert!(es.len() >= 5, "the corpus makes stories: {}", es.len());
    assert_eq!(ss, es, "the same stories");
    let mut claims = 0;
    for s in &es {
        let c = replayed.aligned_claims(&s.id).unwrap();
        claims += c.len();
        assert_eq!(scaled.aligned_claims(&s.id).unwrap(), c, "the same claims in story {}", s.id);
        assert_eq!(scaled.brief(&s.id).unwrap(), replayed.brief(&s.id).unwrap(), "the same brief of story {}", s.id);
    }
    assert!(claims > 0, "the corpus makes claims");
    // Every article is in exactly one story, in both.
    let members = |s: &dyn Store| {
        let mut m: Vec<String> = s.stories().unwrap().into_iter().flat_map(|st| st.article_ids).collect();
        m.sort();
        m
    };
    let mut all = ids(scaled);
    all.sort();
    assert_eq!(members(scaled), all, "each article in exactly one story");
}

fn stream_name(tag: &str) -> String {
    format!("T{}{}", tag, std::process::id())
}

#[test]
fn workers_killed_at_random_keep_effects_exactly_once_and_match_embedded_mode() {
    let Some((pg_server, nats)) = servers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    write_corpus(&corpus, 300, 12);
    let pg = dossier_store_postgres::create_test_database(&pg_server).unwrap();
    let stream = stream_name("KILL");

    let first = publish(&nats, &stream, &corpus);
    let inputs = first["published"].as_u64().unwrap();
    assert!(inputs > 400, "{first}");
    // Broken records travel too: the worker that reads one reports it (log and metric) and moves on.
    assert!(first["errors"].as_array().unwrap().is_empty(), "{first}");
    // Publishing the same inputs again: the stream drops every one as a duplicate.
    let again = publish(&nats, &stream, &corpus);
    assert_eq!((again["published"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(inputs)), "{again}");

    let mut workers: Vec<Worker> = (0..3).map(|_| start_worker(&nats, &stream, &pg, "off")).collect();
    // Deterministic "random" kills: a simple LCG.
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let mut kills = 0;
    let watcher = PgStore::connect(&pg).unwrap();
    let mut stored_at_kills = Vec::new();
    for round in 0..8 {
        // Kills close together: the workers store a few thousand articles a
        // second, and most kills must land before the last is stored.
        std::thread::sleep(Duration::from_millis(40 + next(160)));
        let i = next(workers.len() as u64) as usize;
        stored_at_kills.push(watcher.article_count().unwrap());
        workers[i].child.kill().unwrap(); // SIGKILL
        workers[i].child.wait().unwrap();
        kills += 1;
        workers[i] = start_worker(&nats, &stream, &pg, "off");
        if round == 3 {
            // A duplicate publish beyond the stream's duplicate window (new
            // message ids): only the store's idempotence stands between it
            // and duplicates.
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let q = dossier_queue::Queue::connect(&nats, &stream).await.unwrap();
                let mut raws = Vec::new();
                dossier_queue::read_inputs::<()>(std::slice::from_ref(&corpus), |r| {
                    if let Ok(r) = r {
                        raws.push(r);
                    }
                    Ok(())
                })
                .unwrap();
                let republished = raws.into_iter().step_by(3).map(|r| {
                    let id = format!("{}-again", r.id());
                    (r, id)
                });
                let p = q.publish_all(republished, 64).await.unwrap();
                assert!(p.published > 100 && p.duplicates == 0, "{p:?}");
            });
        }
    }
    let embedded_store = embedded(&corpus, &dir.path().join("embedded"), "off");
    let expected = embedded_store.article_count().unwrap();
    eprintln!("{expected} articles; stored when each kill came: {stored_at_kills:?}");
    assert!(stored_at_kills.iter().filter(|&&n| n < expected).count() >= 4, "most kills land mid-run: {stored_at_kills:?} of {expected}");
    wait_settled(&pg, &workers, expected, Duration::from_secs(240));

    // Metrics and health of a live worker.
    let (status, body) = http_get(&workers[0].metrics.replace("/metrics", "/healthz"));
    assert_eq!((status, body.trim()), (200, "ok"));
    let (_, body) = http_get(&workers[0].metrics);
    assert_eq!(metric(&body, "dossier_worker_up"), 1.0);
    assert_eq!(metric(&body, "dossier_worker_queue_pending"), 0.0);
    assert!(body.contains("dossier_worker_articles_total{effect=\"new\"}"), "{body}");

    // SIGTERM: every worker stops cleanly, promptly.
    for w in &mut workers {
        sigterm(w.child.id());
    }
    for w in &mut workers {
        let t = Instant::now();
        let status = loop {
            if let Some(s) = w.child.try_wait().unwrap() {
                break s;
            }
            assert!(t.elapsed() < Duration::from_secs(15), "worker ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "graceful stop exits 0: {status:?}");
    }

    let scaled = PgStore::connect(&pg).unwrap();
    assert_eq!(scaled.article_count().unwrap(), expected, "no article lost or duplicated after {kills} kills");
    let mut c = postgres::Client::connect(&pg, postgres::NoTls).unwrap();
    let revisions: i64 = c.query_one("SELECT count(*) FROM revisions", &[]).unwrap().get(0);
    assert_eq!(revisions, 0, "redeliveries and duplicate publishes make no revisions");
    let (memberships, distinct): (i64, i64) = {
        let r = c.query_one("SELECT count(*), count(DISTINCT (story_id, article_id)) FROM story_articles", &[]).unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(memberships, distinct);
    let listed: usize = scaled.stories().unwrap().iter().map(|s| s.article_ids.len()).sum();
    assert_eq!(memberships as usize, listed, "one membership row per story member");
    assert_same_results(&embedded_store, &scaled, &pg, &dir.path().join("replay"), dossier_engine::Embeddings::Off);
}

/// With sentence embeddings (computed by the workers as they store), two
/// workers and the embedded mode still agree on stories and claims.
#[test]
fn two_workers_with_embeddings_match_embedded_mode() {
    let Some((pg_server, nats)) = servers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let corpus_dir = dir.path().join("corpus");
    std::fs::create_dir_all(&corpus_dir).unwrap();
    write_corpus(&corpus_dir.join("feed.jsonl"), 16, 6);
    let samples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/corpus");
    for f in std::fs::read_dir(&samples).unwrap() {
        let f = f.unwrap().path();
        if f.extension().is_some_and(|e| e == "txt") {
            std::fs::copy(&f, corpus_dir.join(f.file_name().unwrap())).unwrap();
        }
    }
    // And a WARC archive: HTML response records (one message each) and a non-HTML one (skipped).
    {
        use dossier_sources::warc;
        let mut f = std::fs::File::create(corpus_dir.join("crawl.warc.gz")).unwrap();
        let html = [("Content-Type", "text/html; charset=utf-8")];
        for e in 0..10 {
            for o in 0..3 {
                let date = chrono::DateTime::parse_from_rfc3339(&format!("2024-03-{:02}T{:02}:00:00Z", e + 1, o + 8)).unwrap().with_timezone(&chrono::Utc);
                let body = format!(
                    "<html><head><title>Harbour {e} reopens after repairs</title></head><body><article><h1>Harbour {e} reopens after repairs</h1>\
                     <p>The port authority said harbour {e} reopened on Monday after repairs costing {} million euros.</p>\
                     <p>Fishermen in harbour {e} welcomed the news, site {o} reported.</p></article></body></html>",
                    e + 2
                );
                warc::write_response_record_gz(&mut f, &format!("https://site{o}.example/harbour/{e}"), date, &html, body.as_bytes()).unwrap();
            }
        }
        let date = chrono::DateTime::parse_from_rfc3339("2024-03-01T00:00:00Z").unwrap().with_timezone(&chrono::Utc);
        warc::write_response_record_gz(&mut f, "https://site0.example/logo.png", date, &[("Content-Type", "image/png")], b"\x89PNG").unwrap();
    }
    let pg = dossier_store_postgres::create_test_database(&pg_server).unwrap();
    let stream = stream_name("EMB");
    let published = publish(&nats, &stream, &corpus_dir);
    assert!(published["published"].as_u64().unwrap() > 50, "{published}");
    let workers: Vec<Worker> = (0..2).map(|_| start_worker(&nats, &stream, &pg, "auto")).collect();
    let embedded_store = embedded(&corpus_dir, &dir.path().join("embedded"), "auto");
    wait_settled(&pg, &workers, embedded_store.article_count().unwrap(), Duration::from_secs(240));
    for mut w in workers {
        sigterm(w.child.id());
        assert!(w.child.wait().unwrap().success());
    }
    let scaled = PgStore::connect(&pg).unwrap();
    let from_warc = scaled.articles().unwrap().iter().filter(|a| a.url.as_deref().is_some_and(|u| u.contains("/harbour/"))).count();
    assert_eq!(from_warc, 30, "every HTML record of the archive travelled as its own message");
    assert_same_results(&embedded_store, &scaled, &pg, &dir.path().join("replay"), dossier_engine::Embeddings::Auto);
}

fn sigterm(pid: u32) {
    let ok = Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap().success();
    assert!(ok, "kill -TERM {pid}");
}

#[test]
fn an_input_too_large_for_the_queue_is_reported_and_the_rest_published() {
    let Some((_, nats)) = servers() else { return };
    let dir = tempfile::tempdir().unwrap();
    // ~3 MB of pseudo-random hex: still over NATS's default 1 MiB max_payload after gzip.
    let mut seed: u64 = 7;
    let noise: String = (0..3_000_000)
        .map(|_| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from_digit(((seed >> 33) % 16) as u32, 16).unwrap()
        })
        .collect();
    std::fs::write(dir.path().join("huge.html"), format!("<html><body><article><p>{noise}</p></article></body></html>")).unwrap();
    std::fs::write(dir.path().join("small.html"), "<html><body><article><p>A short page of an article that is long enough to be prose.</p></article></body></html>").unwrap();
    let out = dossier().args(["ingest", "--queue", &nats, "--stream", &stream_name("BIG"), "--json"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "an error exits 1");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["published"], 1, "{v}");
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    assert!(errors[0]["location"].as_str().unwrap().ends_with("huge.html"), "{v}");
    assert!(errors[0]["reason"].as_str().unwrap().contains("too large for the queue"), "{v}");
}

/// The database drops the worker's connection (a restart, a failover, an
/// operator terminating backends) while it works: the batch in flight goes
/// back to the queue, the worker connects again, and nothing is lost.
#[test]
fn a_worker_reconnects_when_the_database_drops_its_connection() {
    let Some((pg_server, nats)) = servers() else { return };
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus.jsonl");
    write_corpus(&corpus, 120, 8);
    let pg = dossier_store_postgres::create_test_database(&pg_server).unwrap();
    let db = pg.rsplit('/').next().unwrap().to_string();
    let stream = stream_name("RECONNECT");
    publish(&nats, &stream, &corpus);
    let workers = vec![start_worker(&nats, &stream, &pg, "off")];
    let mut admin = postgres::Client::connect(&pg_server, postgres::NoTls).unwrap();
    let mut terminated = 0;
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(300));
        let rows = admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", &[&db]).unwrap();
        terminated += rows.len();
    }
    assert!(terminated >= 1, "the worker's connection was dropped");
    let embedded_store = embedded(&corpus, &dir.path().join("embedded"), "off");
    wait_settled(&pg, &workers, embedded_store.article_count().unwrap(), Duration::from_secs(240));
    let (status, _) = http_get(&workers[0].metrics.replace("/metrics", "/healthz"));
    assert_eq!(status, 200, "healthy again after reconnecting");
    let (_, body) = http_get(&workers[0].metrics);
    let failures = metric(&body, "dossier_worker_errors_total{kind=\"store\"}") + metric(&body, "dossier_worker_errors_total{kind=\"analysis\"}");
    assert!(failures >= 1.0, "the dropped connection was noticed:\n{body}");
    for mut w in workers {
        sigterm(w.child.id());
        assert!(w.child.wait().unwrap().success());
    }
    assert_same_results(&embedded_store, &PgStore::connect(&pg).unwrap(), &pg, &dir.path().join("replay"), dossier_engine::Embeddings::Off);
}
