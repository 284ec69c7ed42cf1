//! The fetcher against a real HTTP server on loopback, started by the test.

use std::io::Write;
use std::time::Duration;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use dossier_fetch::{FetchConfig, FetchError, Fetcher};

const PAGE: &str = "<html><head><title>T</title></head><body><article><p>Loopback page body.</p></article></body></html>";

async fn serve() -> String {
    let app = Router::new()
        .route("/page", get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::ETAG, "\"v1\"")], PAGE) }))
        .route("/moved", get(|| async { Redirect::permanent("/page") }))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route("/big", get(|| async { "x".repeat(64 * 1024) }))
        .route("/slow", get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }))
        .route("/bomb", get(|| async {
            // 8 MiB of zeros compressed to a few KiB.
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            gz.write_all(&vec![0u8; 8 << 20]).unwrap();
            let body = gz.finish().unwrap();
            Response::builder().header(header::CONTENT_ENCODING, "gzip").body(axum::body::Body::from(body)).unwrap().into_response()
        }))
        .route("/to-private", get(|| async { Redirect::temporary("http://10.0.0.1/secret") }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn loopback_ok() -> FetchConfig {
    FetchConfig { allow_loopback: true, max_body: 32 * 1024, timeout: Duration::from_secs(2), ..FetchConfig::default() }
}

#[tokio::test]
async fn fetches_and_follows_redirects() {
    let base = serve().await;
    let f = Fetcher::new(loopback_ok()).unwrap();
    let page = f.get(&format!("{base}/moved")).await.unwrap();
    assert_eq!(page.url, format!("{base}/page"));
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type.as_deref(), Some("text/html; charset=utf-8"));
    assert_eq!(page.etag.as_deref(), Some("\"v1\""));
    assert_eq!(page.body, PAGE.as_bytes());
}

#[tokio::test]
async fn refuses_private_addresses_unless_allowed() {
    let base = serve().await;
    let strict = Fetcher::new(FetchConfig::default()).unwrap();
    let err = strict.get(&format!("{base}/page")).await.unwrap_err();
    assert!(matches!(err, FetchError::Refused { .. }), "{err}");
    // By name too: the check is made on the resolved address.
    let by_name = base.replace("127.0.0.1", "localhost");
    let err = strict.get(&format!("{by_name}/page")).await.unwrap_err();
    assert!(matches!(err, FetchError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("non-public"), "{err}");
}

#[tokio::test]
async fn refuses_redirects_to_private_addresses() {
    let base = serve().await;
    // Loopback is allowed, other private ranges are not: the redirect to 10.0.0.1 is refused.
    let f = Fetcher::new(loopback_ok()).unwrap();
    let err = f.get(&format!("{base}/to-private")).await.unwrap_err();
    assert!(matches!(err, FetchError::Refused { .. }), "{err}");
    assert!(err.to_string().contains("10.0.0.1"), "{err}");
}

#[tokio::test]
async fn limits_hold() {
    let base = serve().await;
    let f = Fetcher::new(loopback_ok()).unwrap();
    let err = f.get(&format!("{base}/big")).await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { limit: 32768, .. }), "{err}");
    let err = f.get(&format!("{base}/bomb")).await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "gzip bomb stops at the cap: {err}");
    let err = f.get(&format!("{base}/loop")).await.unwrap_err();
    assert!(matches!(err, FetchError::TooManyRedirects { .. }), "{err}");
    let err = f.get(&format!("{base}/missing")).await.unwrap_err();
    assert!(matches!(err, FetchError::Status { status: 404, .. }), "{err}");
    let err = f.get(&format!("{base}/slow")).await.unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err}");
    let err = f.get("ftp://example.com/x").await.unwrap_err();
    assert!(matches!(err, FetchError::InvalidUrl { .. }), "{err}");
}
