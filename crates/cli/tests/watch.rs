//! `dossier watch` against a real HTTP server on loopback started by the test:
//! a feed, a sitemap index with a news sitemap, a URL list, robots.txt that
//! forbids a path, a 404, a 500-then-success page, a malformed feed, and an
//! article that changes between rounds.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use dossier_store::{SqliteStore, Store};

#[derive(Clone, Default)]
struct Site {
    round: Arc<AtomicUsize>,
    flaky: Arc<AtomicUsize>,
    not_modified: Arc<AtomicUsize>,
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><title>{title}</title><meta property=\"og:site_name\" content=\"Loopback News\"></head>\
         <body><nav><a href=/>Home</a></nav><article><h1>{title}</h1><p>{body}</p><p>The second paragraph adds detail about the same event for the reader.</p></article></body></html>"
    )
}

async fn feed(State(s): State<Site>, headers: HeaderMap) -> impl IntoResponse {
    let round = s.round.load(Ordering::SeqCst);
    let etag = format!("\"feed-{round}\"");
    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v.to_str().unwrap() == etag) {
        s.not_modified.fetch_add(1, Ordering::SeqCst);
        return StatusCode::NOT_MODIFIED.into_response();
    }
    // In round 2 the story at /a is updated, and the feed says so.
    let a_date = if round >= 2 { "Wed, 21 Feb 2024 12:00:00 GMT" } else { "Tue, 20 Feb 2024 09:00:00 GMT" };
    let xml = format!(
        r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback</title><link>/</link>
<item><title>A</title><link>/a</link><pubDate>{a_date}</pubDate></item>
<item><title>Forbidden</title><link>/private/b</link><pubDate>Tue, 20 Feb 2024 09:00:00 GMT</pubDate></item>
<item><title>Gone</title><link>/missing</link><pubDate>Tue, 20 Feb 2024 09:00:00 GMT</pubDate></item>
</channel></rss>"#
    );
    ([(header::CONTENT_TYPE, "application/rss+xml"), (header::ETAG, etag.as_str())], xml).into_response()
}

async fn serve(site: Site) -> SocketAddr {
    let app = Router::new()
        .route("/robots.txt", get(|| async { "User-agent: *\nDisallow: /private/\n" }))
        .route("/feed.xml", get(feed))
        .route("/broken.xml", get(|| async { "<rss><channel><item><link>unclosed" }))
        .route(
            "/sitemap.xml",
            get(|| async { r#"<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>/news-sitemap.xml</loc></sitemap></sitemapindex>"# }),
        )
        .route(
            "/a",
            get(|State(s): State<Site>| async move {
                let body = if s.round.load(Ordering::SeqCst) >= 2 {
                    "The council approved the budget on Tuesday by 31 votes to 9, correcting an earlier count."
                } else {
                    "The council approved the budget on Tuesday by 30 votes to 10, officials said."
                };
                page("Council approves budget", body)
            }),
        )
        .route("/c", get(|| async { page("Storm closes the harbour", "Harbour authorities closed the port on Monday as the storm reached the coast.") }))
        .route("/private/b", get(|| async { page("Forbidden", "This page must never be fetched by a polite crawler at all.") }))
        .route(
            "/flaky",
            get(|State(s): State<Site>| async move {
                if s.flaky.fetch_add(1, Ordering::SeqCst) == 0 {
                    StatusCode::INTERNAL_SERVER_ERROR.into_response()
                } else {
                    page("Bridge reopens after repairs", "The bridge reopened to traffic on Wednesday after three weeks of repairs.").into_response()
                }
            }),
        )
        .with_state(site);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let app = app.route(
        "/news-sitemap.xml",
        get(move || {
            let base = base.clone();
            async move {
                format!(
                    r#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{base}/c</loc><news:news><news:publication><news:name>Loopback News</news:name><news:language>en</news:language></news:publication><news:publication_date>2024-02-20T10:00:00Z</news:publication_date><news:title>Storm closes the harbour</news:title></news:news></url>
<url><loc>{base}/a?utm_source=sitemap#top</loc></url>
</urlset>"#
                )
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn watch(data: &Path, config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier")).arg("--data").arg(data).args(["watch", "--once"]).arg(config).output().unwrap()
}

#[test]
fn watch_rounds_over_a_loopback_site() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let site = Site::default();
    site.round.store(1, Ordering::SeqCst);
    let addr = rt.block_on(serve(site.clone()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("urls.txt"), format!("# hand-picked\nhttp://{addr}/flaky\nnot a url\n")).unwrap();
    let config = dir.path().join("watch.toml");
    std::fs::write(
        &config,
        format!(
            r#"user_agent = "dossier-test/1.0"
per_host_delay_ms = 10
allow_private = true
[[source]]
name = "feed"
feed = "http://{addr}/feed.xml"
[[source]]
name = "sitemap"
sitemap = "http://{addr}/sitemap.xml"
[[source]]
name = "broken"
feed = "http://{addr}/broken.xml"
[[source]]
name = "list"
urls = "urls.txt"
[[source]]
name = "nowhere"
feed = "http://nonexistent.invalid/feed.xml"
"#
        ),
    )
    .unwrap();
    let data = dir.path().join("data");

    let out = watch(&data, &config);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "errors make the exit code 1\n{stdout}\n{stderr}");
    // Every failure names its source and reason, and the others went on.
    assert!(stderr.contains("disallowed by robots.txt"), "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    assert!(stderr.contains("broken.xml"), "{stderr}");
    assert!(stderr.contains("nonexistent.invalid"), "a DNS failure is reported with its source: {stderr}");
    assert!(stderr.contains("line 3"), "the bad URL-list line is named: {stderr}");
    let store = SqliteStore::open_dir(&data).unwrap();
    let mut urls: Vec<String> = store.articles().unwrap().into_iter().filter_map(|a| a.url).collect();
    urls.sort();
    assert_eq!(urls, [format!("http://{addr}/a"), format!("http://{addr}/c"), format!("http://{addr}/flaky")], "{stdout}");
    assert!(!store.stories().unwrap().is_empty(), "new items flow through the whole pipeline");
    drop(store);

    // Round 2: the feed changed (new ETag) and says /a was updated; /a's text changed.
    site.round.store(2, Ordering::SeqCst);
    let out = watch(&data, &config);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 new, 1 revised"), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let store = SqliteStore::open_dir(&data).unwrap();
    assert_eq!(store.article_count().unwrap(), 3, "a revision, not a new article");
    let a = store.articles().unwrap().into_iter().find(|a| a.url.as_deref() == Some(&format!("http://{addr}/a"))).unwrap();
    let revs = store.revisions(&a.id).unwrap();
    assert_eq!(revs.len(), 2);
    assert!(revs[1].article.text.contains("31 votes"));
    drop(store);

    // Round 3: nothing changed; the feed answers 304 to the conditional GET.
    let before = site.not_modified.load(Ordering::SeqCst);
    let out = watch(&data, &config);
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 new, 0 revised"));
    assert!(site.not_modified.load(Ordering::SeqCst) > before, "conditional GET sent with the remembered ETag");
}
