//! What only the PostgreSQL store does: versioned migrations shared by many
//! processes, the staleness counter, the analysis lock, concurrent writers.

use dossier_store::conformance::article;
use dossier_store::{Store, StoreError};
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
