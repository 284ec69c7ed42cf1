//! The server on a real loopback socket under hostile clients: idle, slowloris,
//! partial-body and idle keep-alive connections are closed while others are
//! served; the connection limit refuses clearly; an impossible Content-Length
//! is refused at once; every answer carries the security headers, and errors
//! come as pages or JSON by route.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dossier_model::{Outlet, OutletBasis};
use dossier_store::{SqliteStore, Store};
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

use super::*;

const TOKEN: &str = "0123456789abcdef-ingest";

fn limits(max_connections: usize) -> Limits {
    Limits { header_read: Duration::from_millis(800), body_read: Duration::from_millis(800), max_connections }
}

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_dir(dir.path()).unwrap();
    let mut a = dossier_store::conformance::article("a1", "A strong earthquake hit Chile on Monday.");
    a.title = "Quake hits Chile".into();
    a.outlet = Outlet { name: "Example".into(), basis: OutletBasis::Given };
    a.source = "t".into();
    a.seen_at = "2025-06-22T00:00:00Z".parse().unwrap();
    s.put_articles(&[a]).unwrap();
    (dir, s)
}

/// A server on 127.0.0.1 with these limits; it stops when the sender is dropped.
async fn serve(limits: Limits) -> (SocketAddr, tempfile::TempDir, tokio::sync::oneshot::Sender<()>) {
    let (dir, s) = store();
    let index = SearchIndex::open(&dir.path().join("index")).unwrap();
    let (router, _) = app(s, index, ServeOptions { ingest_token: Some(TOKEN.into()), limits, ..Default::default() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_listener(listener, router, limits, async {
        let _ = stopped.await;
    }));
    (addr, dir, stop)
}

/// One request on its own connection; the whole answer.
async fn exchange(addr: SocketAddr, raw: &str) -> String {
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(raw.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut out)).await.expect("answered within 5 s").unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

fn get_stories() -> &'static str {
    "GET /api/stories HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
}

/// Reads until the server closes the connection (what it sent, or None if still open after `within`).
async fn closed_within(c: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let end = Instant::now() + within;
    loop {
        match tokio::time::timeout_at(end.into(), c.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&out).into_owned()),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_slowloris_partial_body_and_keep_alive_sockets_are_closed_while_others_are_served() {
    let (addr, _dir, _stop) = serve(limits(256)).await;
    let started = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..60 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    // Slowloris: a header line every 200 ms, never the blank line that ends the head.
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET /api/stories HTTP/1.1\r\nHost: t\r\n").await.unwrap();
        slow.push(tokio::spawn(async move {
            let mut n = 0;
            while c.write_all(format!("X-Slow-{n}: 1\r\n").as_bytes()).await.is_ok() && n < 50 {
                n += 1;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            closed_within(&mut c, Duration::from_secs(3)).await
        }));
    }
    // Bodies announced at 1000 bytes, 10 sent.
    let mut partial = Vec::new();
    for _ in 0..10 {
        let mut c = TcpStream::connect(addr).await.unwrap();
        let head = format!("POST /api/ingest HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"url\": \"h");
        c.write_all(head.as_bytes()).await.unwrap();
        partial.push(c);
    }
    // Kept alive after one answer, then silent.
    let mut kept = Vec::new();
    for _ in 0..10 {
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET /api/stories HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 4096];
        let n = c.read(&mut buf).await.unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
        kept.push(c);
    }
    // Meanwhile everyone else is served at once.
    for _ in 0..5 {
        let t = Instant::now();
        let answer = exchange(addr, get_stories()).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(t.elapsed() < Duration::from_millis(500), "served in {:?}", t.elapsed());
    }
    // And every hostile socket is closed by the server soon after the limits.
    for c in idle.iter_mut().chain(kept.iter_mut()) {
        assert!(closed_within(c, Duration::from_secs(3)).await.is_some(), "an idle connection stayed open");
    }
    for c in partial.iter_mut() {
        let said = closed_within(c, Duration::from_secs(3)).await.expect("a partial body's connection stayed open");
        assert!(said.starts_with("HTTP/1.1 408"), "{said}");
        assert!(said.contains("did not arrive within"), "{said}");
    }
    for s in slow {
        assert!(s.await.unwrap().is_some(), "a slowloris connection stayed open");
    }
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
    assert!(exchange(addr, get_stories()).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_connection_limit_a_client_is_told_and_later_served() {
    let (addr, _dir, _stop) = serve(limits(8)).await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = exchange(addr, get_stories()).await;
    assert!(refused.starts_with("HTTP/1.1 503") && refused.contains("limit of 8 connections"), "{refused}");
    // The idle ones time out, and the next client is served.
    for c in held.iter_mut() {
        assert!(closed_within(c, Duration::from_secs(3)).await.is_some());
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(exchange(addr, get_stories()).await.starts_with("HTTP/1.1 200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impossible_content_length_is_refused_at_once() {
    let (addr, _dir, _stop) = serve(Limits { body_read: Duration::from_secs(30), ..limits(64) }).await;
    for auth in [format!("Authorization: Bearer {TOKEN}\r\n"), String::new()] {
        let t = Instant::now();
        let answer = exchange(addr, &format!("POST /api/ingest HTTP/1.1\r\nHost: t\r\n{auth}Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n{{}}")).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.to_ascii_lowercase().contains("content-type: application/json") && answer.contains("{\"error\":"), "{answer}");
        assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_outlives_the_header_timeout() {
    let (addr, _dir, _stop) = serve(limits(64)).await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"GET /api/events HTTP/1.1\r\nHost: t\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = c.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).contains("text/event-stream"));
    assert!(closed_within(&mut c, Duration::from_millis(2000)).await.is_none(), "the stream was cut");
}

async fn answer(app: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let (parts, body) = resp.into_parts();
    (parts.status, parts.headers, String::from_utf8_lossy(&body.collect().await.unwrap().to_bytes()).into_owned())
}

#[tokio::test]
async fn security_headers_on_every_answer_and_errors_in_the_routes_form() {
    let (dir, s) = store();
    let index = SearchIndex::open(&dir.path().join("index")).unwrap();
    let app = router(s, index, ServeOptions::default());
    let (_, _, page) = answer(&app, "/").await;
    let style = page.split("<style>").nth(1).and_then(|r| r.split("</style>").next()).expect("the page's stylesheet");
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style.as_bytes()))
    };
    for uri in ["/", "/stories/nope", "/api/stories", "/api/stories/nope", "/nope", "/api/search?limit=x", "/articles/%FF", "/api/articles/%FF", "/login"] {
        let (status, h, body) = answer(&app, uri).await;
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains(&format!("style-src 'sha256-{hash}'")) && csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(!csp.contains("script-src") && !csp.contains("unsafe-inline"), "{uri}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(h["x-frame-options"], "DENY", "{uri}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{uri}");
        let ct = h.get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        if status.is_client_error() {
            if uri.starts_with("/api/") {
                assert!(ct.starts_with("application/json") && serde_json::from_str::<serde_json::Value>(&body).unwrap()["error"].is_string(), "{uri}: {ct} {body}");
            } else {
                assert!(ct.starts_with("text/html") && body.contains(&format!("<h1>{}", status.as_u16())), "{uri}: {ct} {body}");
            }
        }
    }
    assert_eq!(answer(&app, "/stories/nope").await.0, StatusCode::NOT_FOUND);
    assert_eq!(answer(&app, "/articles/%FF").await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_empty_index_over_stored_articles_is_not_served_as_no_results() {
    let (dir, s) = store();
    let index = SearchIndex::open(&dir.path().join("index")).unwrap();
    let app = router(s, index, ServeOptions::default());
    let (status, h, body) = answer(&app, "/api/search?q=quake").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(h["content-type"].to_str().unwrap().starts_with("application/json") && body.contains("dossier reindex"), "{body}");
    let (status, h, body) = answer(&app, "/search?q=quake").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(h["content-type"].to_str().unwrap().starts_with("text/html") && body.contains("dossier reindex"), "{body}");
}
