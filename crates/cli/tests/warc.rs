//! `dossier ingest` of a WARC archive the test writes, and URL identity:
//! the same canonical URL is one article, changed text a new revision.

use std::io::Write;
use std::process::Command;

use chrono::{TimeZone, Utc};
use dossier_sources::warc;
use dossier_store::{SqliteStore, Store};

fn page(title: &str, body: &str) -> String {
    format!("<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{body}</p><p>A second paragraph gives the background of the event.</p></article></body></html>")
}

#[test]
fn warc_archive_with_a_broken_record_and_a_revision() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("news.warc.gz");
    let mut f = std::fs::File::create(&path).unwrap();
    let date = Utc.with_ymd_and_hms(2024, 2, 20, 10, 0, 0).unwrap();
    let html = [("Content-Type", "text/html; charset=utf-8")];
    for i in 0..50 {
        let body = page(&format!("Story {i}"), &format!("The council met on day {i} and approved item {i} of the plan."));
        warc::write_response_record_gz(&mut f, &format!("https://news.example/{i}?utm_campaign=x"), date, &html, body.as_bytes()).unwrap();
    }
    // A record with a broken header, then a non-HTML response, then a later copy of story 7 with corrected text.
    let mut gz = flate2::write::GzEncoder::new(&mut f, flate2::Compression::fast());
    gz.write_all(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: lots\r\n\r\n").unwrap();
    gz.finish().unwrap();
    warc::write_response_record_gz(&mut f, "https://news.example/logo.png", date, &[("Content-Type", "image/png")], b"\x89PNG").unwrap();
    let fixed = page("Story 7", "The council met on day 7 and approved item 7 of the plan, not item 8 as first reported.");
    warc::write_response_record_gz(&mut f, "https://news.example/7#comments", date, &html, fixed.as_bytes()).unwrap();
    drop(f);

    let data = dir.path().join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_dossier")).arg("--data").arg(&data).args(["ingest", "--json"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the broken record makes the exit code 1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("news.warc.gz@") && stderr.contains("Content-Length"), "error names the archive and offset: {stderr}");
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(sum["new_articles"], 50);
    assert_eq!(sum["revised"], 1);
    let store = SqliteStore::open_dir(&data).unwrap();
    assert_eq!(store.article_count().unwrap(), 50);
    let seven = store.articles().unwrap().into_iter().find(|a| a.url.as_deref() == Some("https://news.example/7")).unwrap();
    let revs = store.revisions(&seven.id).unwrap();
    assert_eq!(revs.len(), 2);
    assert!(revs[1].article.text.contains("not item 8"));
    assert!(!store.stories().unwrap().is_empty());
}
