//! Feeds, sitemaps and WARC archives as they come from the world.

use std::io::Write;

use chrono::{TimeZone, Utc};
use dossier_sources::feeds::parse_feed;
use dossier_sources::sitemaps::{parse_sitemap, Sitemap};
use dossier_sources::warc::{self, WarcReader};

const RSS2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>World</title><link>https://news.example/</link>
<item><title>Storm closes harbour</title><link>/world/storm?utm_source=rss</link><guid>s1</guid>
<pubDate>Tue, 20 Feb 2024 09:30:00 GMT</pubDate><description>The port shut.</description></item>
<item><title>No link at all</title><guid isPermaLink="false">x</guid></item>
</channel></rss>"#;

const RSS1: &str = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://news.example/"><title>RDF</title><link>https://news.example/</link></channel>
<item rdf:about="https://news.example/a"><title>Budget passes</title><link>https://news.example/a</link><dc:date>2024-02-20T10:00:00Z</dc:date></item>
</rdf:RDF>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title><id>urn:x</id><updated>2024-02-20T10:00:00Z</updated>
<entry><title>Bridge reopens</title><id>urn:e1</id><link rel="alternate" href="https://news.example/bridge"/>
<link rel="enclosure" href="https://news.example/bridge.jpg"/><published>2024-02-19T08:00:00+01:00</published><updated>2024-02-20T10:00:00Z</updated>
<summary>After repairs.</summary></entry></feed>"#;

const JSON_FEED: &str = r#"{"version":"https://jsonfeed.org/version/1.1","title":"JSON","items":[
{"id":"1","url":"https://news.example/j1","title":"Vote delayed","date_published":"2024-02-21T12:00:00Z","content_html":"<p>Delayed.</p>"}]}"#;

#[test]
fn four_feed_formats() {
    let rss = parse_feed(RSS2.as_bytes(), Some("https://news.example/feed.xml")).unwrap();
    assert_eq!(rss.len(), 1, "the item without a link is skipped");
    assert_eq!(rss[0].url, "https://news.example/world/storm?utm_source=rss", "relative link resolved");
    assert_eq!(rss[0].title.as_deref(), Some("Storm closes harbour"));
    assert_eq!(rss[0].published, Some(Utc.with_ymd_and_hms(2024, 2, 20, 9, 30, 0).unwrap()));

    let rdf = parse_feed(RSS1.as_bytes(), None).unwrap();
    assert_eq!(rdf[0].url, "https://news.example/a");
    assert_eq!(rdf[0].published, Some(Utc.with_ymd_and_hms(2024, 2, 20, 10, 0, 0).unwrap()));

    let atom = parse_feed(ATOM.as_bytes(), None).unwrap();
    assert_eq!(atom[0].url, "https://news.example/bridge", "the alternate link, not the enclosure");
    assert_eq!(atom[0].published, Some(Utc.with_ymd_and_hms(2024, 2, 19, 7, 0, 0).unwrap()));

    let json = parse_feed(JSON_FEED.as_bytes(), None).unwrap();
    assert_eq!(json[0].url, "https://news.example/j1");
    assert_eq!(json[0].content_html.as_deref(), Some("<p>Delayed.</p>"));

    let err = parse_feed(b"<rss><channel><item><link>unclosed", Some("https://x/feed")).unwrap_err();
    assert!(err.to_string().starts_with("https://x/feed: "), "{err}");
}

const NEWS_SITEMAP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:n="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/a?x=1&amp;y=2</loc><lastmod>2024-02-20</lastmod>
<n:news><n:publication><n:name>Example News</n:name><n:language>en</n:language></n:publication>
<n:publication_date>2024-02-20T10:00:00+00:00</n:publication_date><n:title>Budget &amp; tax</n:title></n:news></url>
<url><loc>https://news.example/b</loc></url>
</urlset>"#;

#[test]
fn news_sitemaps_and_indexes() {
    let Sitemap::Urls(urls) = parse_sitemap(NEWS_SITEMAP.as_bytes()).unwrap() else { panic!("a urlset") };
    assert_eq!(urls.len(), 2);
    assert_eq!(urls[0].loc, "https://news.example/a?x=1&y=2");
    assert_eq!(urls[0].news_publication_name.as_deref(), Some("Example News"));
    assert_eq!(urls[0].news_publication_language.as_deref(), Some("en"));
    assert_eq!(urls[0].news_title.as_deref(), Some("Budget & tax"));
    assert_eq!(urls[0].news_publication_date, Some(Utc.with_ymd_and_hms(2024, 2, 20, 10, 0, 0).unwrap()));
    assert_eq!(urls[0].lastmod, Some(Utc.with_ymd_and_hms(2024, 2, 20, 0, 0, 0).unwrap()));
    assert_eq!(urls[1].news_title, None);

    let index = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://news.example/s1.xml</loc></sitemap><sitemap><loc>https://news.example/s2.xml.gz</loc></sitemap></sitemapindex>"#;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(index.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    assert_eq!(parse_sitemap(&gz).unwrap(), Sitemap::Index(vec!["https://news.example/s1.xml".into(), "https://news.example/s2.xml.gz".into()]));

    assert!(parse_sitemap(b"<html><body>not a sitemap</body></html>").unwrap_err().to_string().contains("neither urlset nor sitemapindex"));
    assert!(parse_sitemap(b"<urlset><url><loc>x</loc></url>").is_ok(), "a truncated sitemap keeps what it read");
}

fn page(i: usize) -> String {
    format!("<html><head><title>Page {i}</title></head><body><article><p>Body of page {i}, long enough to be prose.</p></article></body></html>")
}

fn date() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 2, 20, 10, 0, 0).unwrap()
}

#[test]
fn thousand_records_plain_and_gzip() {
    let dir = tempfile::tempdir().unwrap();
    for gz in [false, true] {
        let path = dir.path().join(if gz { "a.warc.gz" } else { "a.warc" });
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        if gz {
            let mut member = flate2::write::GzEncoder::new(&mut f, flate2::Compression::fast());
            warc::write_warcinfo(&mut member).unwrap();
            member.finish().unwrap();
        } else {
            warc::write_warcinfo(&mut f).unwrap();
        }
        for i in 0..1000 {
            let uri = format!("https://news.example/{i}");
            let body = page(i);
            let headers = [("Content-Type", "text/html; charset=utf-8")];
            if gz {
                warc::write_response_record_gz(&mut f, &uri, date(), &headers, body.as_bytes()).unwrap();
            } else {
                warc::write_response_record(&mut f, &uri, date(), &headers, body.as_bytes()).unwrap();
            }
        }
        drop(f);
        let records: Vec<_> = warc::open(&path).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
        assert_eq!(records.len(), 1001);
        assert_eq!(records[0].record_type, "warcinfo");
        assert!(records[0].http.is_none());
        for (i, r) in records[1..].iter().enumerate() {
            assert_eq!(r.target_uri.as_deref(), Some(format!("https://news.example/{i}").as_str()));
            let http = r.http.as_ref().unwrap();
            assert_eq!(http.status, 200);
            assert_eq!(http.header("content-type"), Some("text/html; charset=utf-8"));
            assert_eq!(http.body, page(i).as_bytes());
            assert_eq!(r.date, Some(date()));
        }
    }
}

fn raw_record(uri: &str, http: &[u8]) -> Vec<u8> {
    let mut out = format!("WARC/1.1\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\nContent-Type: application/http;msgtype=response\r\nContent-Length: {}\r\n\r\n", http.len()).into_bytes();
    out.extend_from_slice(http);
    out.extend_from_slice(b"\r\n\r\n");
    out
}

#[test]
fn chunked_and_gzip_encoded_bodies() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"<p>inflated body</p>").unwrap();
    let gz = gz.finish().unwrap();
    let mut http = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    http.extend_from_slice(format!("{:x}\r\n", 5).as_bytes());
    http.extend_from_slice(&gz[..5]);
    http.extend_from_slice(format!("\r\n{:x}\r\n", gz.len() - 5).as_bytes());
    http.extend_from_slice(&gz[5..]);
    http.extend_from_slice(b"\r\n0\r\n\r\n");
    let recs: Vec<_> = WarcReader::new(&raw_record("https://x/c", &http)[..]).collect();
    assert_eq!(recs[0].as_ref().unwrap().http.as_ref().unwrap().body, b"<p>inflated body</p>");
}

#[test]
fn oversized_and_broken_records_are_reported_and_skipped() {
    let mut data = b"garbage line that is not a header\r\nmore garbage\r\n".to_vec();
    data.extend(raw_record("https://x/big", &[b"HTTP/1.1 200 OK\r\n\r\n".as_slice(), &vec![b'x'; 5000]].concat()));
    data.extend_from_slice(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: nope\r\n\r\n");
    data.extend(raw_record("https://x/good", b"HTTP/1.1 200 OK\r\n\r\n<p>good</p>"));
    let mut r = WarcReader::new(&data[..]);
    r.max_record_bytes = 1000;
    let recs: Vec<_> = r.collect();
    assert_eq!(recs.len(), 4, "{recs:?}");
    let e0 = recs[0].as_ref().unwrap_err().to_string();
    assert!(e0.contains("broken record header") && e0.starts_with("warc@0"), "{e0}");
    let e1 = recs[1].as_ref().unwrap_err().to_string();
    assert!(e1.contains("5019 bytes skipped") && e1.starts_with("warc@49:"), "{e1}");
    assert!(recs[2].as_ref().unwrap_err().to_string().contains("Content-Length"));
    let good = recs[3].as_ref().unwrap();
    assert_eq!(good.target_uri.as_deref(), Some("https://x/good"));
    assert_eq!(good.http.as_ref().unwrap().body, b"<p>good</p>");
}

/// A length that fits in 64 bits but not in the archive used to end the
/// stream as "truncated": the records after it are read now.
#[test]
fn a_record_with_an_impossible_length_is_skipped_and_the_next_ones_read() {
    let dir = tempfile::tempdir().unwrap();
    for gz in [false, true] {
        let path = dir.path().join(if gz { "lie.warc.gz" } else { "lie.warc" });
        let mut f = std::fs::File::create(&path).unwrap();
        let write = |f: &mut std::fs::File, i: usize| {
            let headers = [("Content-Type", "text/html")];
            if gz {
                warc::write_response_record_gz(f, &format!("https://x/{i}"), date(), &headers, page(i).as_bytes()).unwrap();
            } else {
                warc::write_response_record(f, &format!("https://x/{i}"), date(), &headers, page(i).as_bytes()).unwrap();
            }
        };
        write(&mut f, 0);
        // Content-Length near u64::MAX, a body of a few bytes, and a line longer than any header.
        let mut liar = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: 18446744073709551000\r\n\r\nHTTP/1.1 200 OK\r\n\r\n".to_vec();
        liar.extend(vec![b'z'; 100_000]);
        liar.extend_from_slice(b"\r\n\r\n");
        if gz {
            let mut member = flate2::write::GzEncoder::new(&mut f, flate2::Compression::fast());
            member.write_all(&liar).unwrap();
            member.finish().unwrap();
        } else {
            f.write_all(&liar).unwrap();
        }
        for i in 1..4 {
            write(&mut f, i);
        }
        drop(f);
        let recs: Vec<_> = warc::open(&path).unwrap().collect();
        assert_eq!(recs.len(), 5, "{recs:?}");
        let e = recs[1].as_ref().unwrap_err().to_string();
        assert!(e.contains("18446744073709551000 bytes skipped") && e.contains("resumes at the next record"), "{e}");
        let uris: Vec<&str> = recs.iter().filter_map(|r| r.as_ref().ok()?.target_uri.as_deref()).collect();
        assert_eq!(uris, ["https://x/0", "https://x/1", "https://x/2", "https://x/3"], "gzip: {gz}");
    }
}

#[test]
fn truncated_gzip_archive_errs_then_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.warc.gz");
    let mut buf = Vec::new();
    for i in 0..20 {
        warc::write_response_record_gz(&mut buf, &format!("https://x/{i}"), date(), &[], page(i).as_bytes()).unwrap();
    }
    buf.truncate(buf.len() * 2 / 3);
    std::fs::write(&path, &buf).unwrap();
    let recs: Vec<_> = warc::open(&path).unwrap().collect();
    let (ok, err): (Vec<_>, Vec<_>) = recs.iter().partition(|r| r.is_ok());
    assert!(ok.len() >= 10 && ok.len() < 20, "{}", ok.len());
    assert_eq!(err.len(), 1, "one error, then the stream ends");
    assert!(recs.last().unwrap().is_err());
}
