//! What only the PostgreSQL store does: versioned migrations shared by many
//! processes, the staleness counter, the analysis and story locks, concurrent
//! writers (of articles and of the change log).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dossier_model::{ChangeEntry, ChangeKind};
use dossier_store::conformance::article;
use dossier_store::{AnalysisStep, Store, StoreError};
use dossier_store_postgres::{create_test_database, describe, test_server, PgStore, SCHEMA_VERSION};

fn fresh_url() -> Option<String> {
    Some(create_test_database(&test_server()?).unwrap())
}

#[test]
fn migrations_are_versioned_and_applied_once_by_concurrent_openers() {
    let Some(url) = fresh_url() else { return };
    let handles: Vec<_> = (0..6)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || PgStore::connect(&url).map(|s| s.schema_version().unwrap()))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), SCHEMA_VERSION);
    }
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let n: i64 = c.query_one("SELECT count(*) FROM dossier_schema", &[]).unwrap().get(0);
    assert_eq!(n, SCHEMA_VERSION);
    // A database from a newer dossier is refused, not touched.
    c.execute("INSERT INTO dossier_schema (version) VALUES (99)", &[]).unwrap();
    assert!(matches!(PgStore::connect(&url), Err(StoreError::TooNew { found: 99, .. })));
}

#[test]
fn staleness_counter_and_analysis_lock() {
    let Some(url) = fresh_url() else { return };
    let mut a = PgStore::connect(&url).unwrap();
    let mut b = PgStore::connect(&url).unwrap();
    assert!(!a.analysis_stale().unwrap());
    a.put_articles(&[article("x", "one")]).unwrap();
    assert!(b.analysis_stale().unwrap());
    let v = b.articles_version().unwrap();
    // Unchanged content does not make the analysis stale.
    b.put_articles(&[article("x", "one")]).unwrap();
    assert_eq!(b.articles_version().unwrap(), v);
    assert!(a.try_lock_analysis().unwrap());
    assert!(!b.try_lock_analysis().unwrap(), "one analyser at a time");
    a.mark_analysed(v).unwrap();
    assert!(!b.analysis_stale().unwrap());
    // An older version never moves the mark back.
    a.mark_analysed(v - 1).unwrap();
    assert_eq!(b.analysed_version().unwrap(), v);
    a.unlock_analysis().unwrap();
    assert!(b.try_lock_analysis().unwrap());
    // A session that ends (a killed worker) releases the lock.
    drop(b);
    let mut tries = 0;
    while !a.try_lock_analysis().unwrap() {
        tries += 1;
        assert!(tries < 50, "lock not released when its session ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn concurrent_writers_of_the_same_articles_store_each_once() {
    let Some(url) = fresh_url() else { return };
    PgStore::connect(&url).unwrap();
    let batch: Vec<_> = (0..200).map(|i| article(&format!("a{i:03}"), &format!("text {i}"))).collect();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let (url, mut batch) = (url.clone(), batch.clone());
            if t % 2 == 1 {
                batch.reverse();
            }
            std::thread::spawn(move || {
                let mut s = PgStore::connect(&url).unwrap();
                let mut total = dossier_store::Put::default();
                for chunk in batch.chunks(17) {
                    let p = s.put_articles(chunk).unwrap();
                    total.new += p.new;
                    total.unchanged += p.unchanged;
                    total.revised += p.revised;
                }
                total
            })
        })
        .collect();
    let puts: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(puts.iter().map(|p| p.new).sum::<usize>(), 200, "{puts:?}");
    assert_eq!(puts.iter().map(|p| p.unchanged).sum::<usize>(), 600);
    assert_eq!(puts.iter().map(|p| p.revised).sum::<usize>(), 0);
    let s = PgStore::connect(&url).unwrap();
    assert_eq!(s.article_count().unwrap(), 200);
    assert!(s.revisions("a007").unwrap().len() == 1);
    // Each article arrived once, from whichever worker stored it.
    let mut arrived: Vec<String> = s.pending_arrivals(1000).unwrap().into_iter().map(|a| a.article_id).collect();
    arrived.sort();
    assert_eq!(arrived, batch.iter().map(|a| a.id.clone()).collect::<Vec<_>>());
}

/// Workers storing different versions of the same articles at once: every change is one
/// revision, numbered without gaps, and one arrival; nothing deadlocks for good.
#[test]
fn concurrent_writers_of_different_versions_keep_every_revision_once() {
    let Some(url) = fresh_url() else { return };
    PgStore::connect(&url).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut s = PgStore::connect(&url).unwrap();
                let mut batch: Vec<_> = (0..60).map(|i| article(&format!("a{i:03}"), &format!("version {} of {i}", (i + t) % 3))).collect();
                if t % 2 == 1 {
                    batch.reverse();
                }
                let mut total = dossier_store::Put::default();
                for chunk in batch.chunks(7) {
                    let p = s.put_articles(chunk).unwrap();
                    total.new += p.new;
                    total.revised += p.revised;
                    total.unchanged += p.unchanged;
                }
                total
            })
        })
        .collect();
    let puts: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let s = PgStore::connect(&url).unwrap();
    assert_eq!(puts.iter().map(|p| p.new).sum::<usize>(), 60);
    assert_eq!(puts.iter().map(|p| p.new + p.revised + p.unchanged).sum::<usize>(), 240);
    let mut revisions = 0;
    for i in 0..60 {
        let revs = s.revisions(&format!("a{i:03}")).unwrap();
        assert_eq!(revs.iter().map(|r| r.number).collect::<Vec<_>>(), (1..=revs.len() as u32).collect::<Vec<_>>());
        assert!(revs.windows(2).all(|w| w[0].content_hash != w[1].content_hash), "a revision changes the content");
        revisions += revs.len() - 1;
    }
    assert_eq!(revisions, puts.iter().map(|p| p.revised).sum::<usize>());
    assert_eq!(s.pending_arrivals(1000).unwrap().len(), 60 + revisions, "one arrival per new article and per revision");
}

#[test]
fn a_revision_rewrites_the_kept_columns_too() {
    let Some(url) = fresh_url() else { return };
    let mut s = PgStore::connect(&url).unwrap();
    let mut teaser = article("t", "teaser");
    teaser.kind = dossier_model::ArticleKind::Teaser { found_on: "https://example.com/".into(), age: None };
    s.put_articles(&[teaser.clone()]).unwrap();
    let mut full = teaser;
    full.kind = dossier_model::ArticleKind::Main;
    full.text = "the whole article".into();
    full.title = "a new title".into();
    s.put_articles(&[full]).unwrap();
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let r = c.query_one("SELECT kind, found_on, title, revision FROM articles WHERE id = 't'", &[]).unwrap();
    assert_eq!((r.get::<_, &str>(0), r.get::<_, Option<&str>>(1), r.get::<_, &str>(2), r.get::<_, i32>(3)), ("main", None, "a new title", 2));
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Waits until `f` answers true (a lock freed by a session the server is still closing).
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let mut tries = 0;
    while !f() {
        tries += 1;
        assert!(tries < 100, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn story_locks_are_per_story_all_or_none_and_released_with_the_session() {
    let Some(url) = fresh_url() else { return };
    let mut a = PgStore::connect(&url).unwrap();
    let mut b = PgStore::connect(&url).unwrap();
    // Repeating an id takes its lock once (one unlock frees it).
    a.lock_stories(&strings(&["s1", "s2", "s1"])).unwrap();
    assert!(!b.try_lock_stories(&strings(&["s3", "s2"])).unwrap(), "s2 is held");
    // ... and b kept none of them: s3 is free.
    assert!(a.try_lock_stories(&strings(&["s3"])).unwrap());
    a.unlock_stories(&strings(&["s3"])).unwrap();
    assert!(b.try_lock_stories(&strings(&["s3", "s4"])).unwrap());
    assert!(b.try_lock_stories(&[]).unwrap());
    // Story locks and the analysis lock are independent.
    assert!(b.try_lock_analysis().unwrap());
    b.unlock_analysis().unwrap();
    // A blocking lock waits until the holder lets go.
    let waiter = {
        let url = url.clone();
        std::thread::spawn(move || {
            let mut c = PgStore::connect(&url).unwrap();
            let t = Instant::now();
            c.lock_stories(&strings(&["s2"])).unwrap();
            t.elapsed()
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    a.unlock_stories(&strings(&["s1", "s2", "s1"])).unwrap();
    assert!(waiter.join().unwrap() >= Duration::from_millis(250), "lock_stories waited for the holder");
    // The waiter's session ended with its thread: s1 and s2 are free again.
    eventually("s2 not released when its session ended", || a.try_lock_stories(&strings(&["s1", "s2"])).unwrap());
    // A killed worker (its session ends) releases its story locks.
    drop(b);
    eventually("s3, s4 not released when their session ended", || a.try_lock_stories(&strings(&["s3", "s4"])).unwrap());
}

/// Story leases: each story is leased by one session at a time; a session takes those no
/// other holds and skips the rest (not all or none); a session that ends releases its leases.
#[test]
fn story_leases_skip_stories_another_session_holds_and_end_with_the_session() {
    let Some(url) = fresh_url() else { return };
    let mut a = PgStore::connect(&url).unwrap();
    let mut b = PgStore::connect(&url).unwrap();
    assert_eq!(a.lease_stories(&strings(&["s1", "s2"])).unwrap(), strings(&["s1", "s2"]));
    assert_eq!(b.lease_stories(&strings(&["s1", "s3", "s2", "s4"])).unwrap(), strings(&["s3", "s4"]), "b skips what a holds");
    assert!(b.lease_stories(&strings(&["s2"])).unwrap().is_empty());
    a.release_stories(&strings(&["s2"])).unwrap();
    assert_eq!(b.lease_stories(&strings(&["s2"])).unwrap(), strings(&["s2"]));
    // Leases and the analysis lock are independent: placing goes on while stories are analysed.
    assert!(a.try_lock_analysis().unwrap());
    a.unlock_analysis().unwrap();
    // A killed worker (its session ends) releases its leases.
    drop(b);
    eventually("b's leases not released when its session ended", || a.lease_stories(&strings(&["s3", "s4", "s2"])).unwrap().len() == 3);
}

/// Workers committing steps at once: a reader that follows the change log from the last
/// seq it saw sees every entry exactly once, each worker's in the order it wrote them.
#[test]
fn a_reader_following_the_change_log_misses_nothing_while_workers_commit() {
    let Some(url) = fresh_url() else { return };
    PgStore::connect(&url).unwrap();
    let (workers, steps, per_step) = (4, 40, 3);
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (url, done) = (url.clone(), done.clone());
        std::thread::spawn(move || {
            let r = PgStore::connect(&url).unwrap();
            let (mut since, mut seen) = (0, Vec::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                let got = r.changes(since, None, 50).unwrap();
                if finished && got.is_empty() {
                    return seen;
                }
                for c in got {
                    assert!(c.seq > since);
                    since = c.seq;
                    seen.push(c);
                }
            }
        })
    };
    let writers: Vec<_> = (0..workers)
        .map(|w| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut s = PgStore::connect(&url).unwrap();
                for i in 0..steps {
                    let changes = (0..per_step)
                        .map(|j| ChangeEntry {
                            seq: 0,
                            at: "2025-06-22T12:00:00Z".parse().unwrap(),
                            kind: ChangeKind::BriefChanged,
                            story_id: format!("w{w}"),
                            article_id: None,
                            claim_id: None,
                            other_story_id: None,
                            from: None,
                            to: None,
                            text: format!("{:04}", i * per_step + j),
                            was: None,
                            was_claim_id: None,
                        })
                        .collect();
                    let state = vec![(format!("w{w}/step"), Some(vec![i as u8]))];
                    s.commit_step(&AnalysisStep { batch: i as i64, changes, state, ..Default::default() }).unwrap();
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.join().unwrap();
    assert_eq!(seen.len(), workers * steps * per_step, "the reader skipped entries committed after a later seq");
    for w in 0..workers {
        let texts: Vec<&str> = seen.iter().filter(|c| c.story_id == format!("w{w}")).map(|c| c.text.as_str()).collect();
        let mut sorted = texts.clone();
        sorted.sort_unstable();
        assert_eq!(texts, sorted, "worker {w}'s entries in the order written");
    }
}

#[test]
fn errors_name_the_database_without_the_password() {
    assert_eq!(describe("postgres://user:secret@db.example:6543/news"), "postgres://db.example:6543/news");
    let err = PgStore::connect("postgres://user:secret@127.0.0.1:1/news?connect_timeout=2").err().expect("nothing listens on port 1");
    let msg = err.to_string();
    assert!(msg.starts_with("database postgres://127.0.0.1:1/news:"), "{msg}");
    assert!(!msg.contains("secret"), "{msg}");
}

#[test]
fn a_snapshot_does_not_see_a_commit_made_during_it() {
    let Some(url) = fresh_url() else { return };
    let mut w = PgStore::connect(&url).unwrap();
    let r = PgStore::connect(&url).unwrap();
    w.put_articles(&[article("a", "x")]).unwrap();
    let seen = dossier_store::snapshot(&r, |r| {
        let before = r.article_count()?;
        w.put_articles(&[article("b", "y")]).unwrap();
        Ok((before, r.article_count()?, r.article("b")?.is_some(), r.revisions("a")?.len()))
    })
    .unwrap();
    assert_eq!(seen, (1, 1, false, 1), "one snapshot throughout");
    assert_eq!(r.article_count().unwrap(), 2, "the next read sees the commit");
}
