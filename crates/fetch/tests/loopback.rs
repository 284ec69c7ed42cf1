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
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/bomb",
            get(|| async {
                // 8 MiB of zeros compressed to a few KiB.
                let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                gz.write_all(&vec![0u8; 8 << 20]).unwrap();
                let body = gz.finish().unwrap();
                Response::builder().header(header::CONTENT_ENCODING, "gzip").body(axum::body::Body::from(body)).unwrap().into_response()
            }),
        )
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

mod polite {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use axum::extract::State;
    use axum::http::{header, HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::Router;
    use dossier_fetch::{CrawlConfig, Crawler, FetchConfig, FetchError, Outcome, Validators};

    #[derive(Clone, Default)]
    struct Seen {
        flaky: Arc<AtomicUsize>,
        busy: Arc<AtomicUsize>,
        max_busy: Arc<AtomicUsize>,
        times: Arc<Mutex<Vec<Instant>>>,
    }

    async fn serve(seen: Seen) -> String {
        let app = Router::new()
            .route("/robots.txt", get(|| async { "User-agent: *\nDisallow: /private/\n" }))
            .route("/private/page", get(|| async { "secret" }))
            .route(
                "/flaky",
                get(|State(s): State<Seen>| async move {
                    if s.flaky.fetch_add(1, Ordering::SeqCst) < 2 {
                        StatusCode::SERVICE_UNAVAILABLE.into_response()
                    } else {
                        "third time lucky".into_response()
                    }
                }),
            )
            .route("/down", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
            .route(
                "/etag",
                get(|headers: HeaderMap| async move {
                    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"abc\"") {
                        StatusCode::NOT_MODIFIED.into_response()
                    } else {
                        ([(header::ETAG, "\"abc\""), (header::LAST_MODIFIED, "Tue, 19 Nov 2019 10:00:00 GMT")], "body").into_response()
                    }
                }),
            )
            .route(
                "/slow",
                get(|State(s): State<Seen>| async move {
                    let now = s.busy.fetch_add(1, Ordering::SeqCst) + 1;
                    s.max_busy.fetch_max(now, Ordering::SeqCst);
                    s.times.lock().unwrap().push(Instant::now());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    s.busy.fetch_sub(1, Ordering::SeqCst);
                    "ok"
                }),
            )
            .with_state(seen);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    fn cfg(delay_ms: u64) -> CrawlConfig {
        CrawlConfig {
            fetch: FetchConfig { allow_loopback: true, timeout: Duration::from_secs(5), ..FetchConfig::default() },
            per_host_delay: Duration::from_millis(delay_ms),
            retries: 3,
            backoff: Duration::from_millis(20),
            max_backoff: Duration::from_millis(200),
            respect_robots: true,
        }
    }

    #[tokio::test]
    async fn robots_txt_is_obeyed() {
        let base = serve(Seen::default()).await;
        let c = Crawler::new(cfg(0)).unwrap();
        let err = c.get(&format!("{base}/private/page"), &Validators::default()).await.unwrap_err();
        assert!(matches!(err, FetchError::Disallowed { .. }), "{err}");
        assert!(c.allowed(&format!("{base}/etag")).await.unwrap());
    }

    #[tokio::test]
    async fn transient_errors_are_retried_then_given_up() {
        let base = serve(Seen::default()).await;
        let c = Crawler::new(cfg(0)).unwrap();
        let Outcome::Fetched(page) = c.get(&format!("{base}/flaky"), &Validators::default()).await.unwrap() else { panic!("304?") };
        assert_eq!(page.body, b"third time lucky");
        let err = c.get(&format!("{base}/down"), &Validators::default()).await.unwrap_err();
        assert!(matches!(err, FetchError::Status { status: 500, .. }), "gives up with the last error: {err}");
    }

    #[tokio::test]
    async fn conditional_get_answers_not_modified() {
        let base = serve(Seen::default()).await;
        let c = Crawler::new(cfg(0)).unwrap();
        let Outcome::Fetched(first) = c.get(&format!("{base}/etag"), &Validators::default()).await.unwrap() else { panic!() };
        let v = Validators { etag: first.etag.clone(), last_modified: first.last_modified.clone() };
        assert_eq!(v.etag.as_deref(), Some("\"abc\""));
        assert!(matches!(c.get(&format!("{base}/etag"), &v).await.unwrap(), Outcome::NotModified));
    }

    #[tokio::test]
    async fn one_request_per_host_at_a_time_with_a_delay() {
        let seen = Seen::default();
        let base = serve(seen.clone()).await;
        let c = Crawler::new(cfg(100)).unwrap();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let (c, url) = (c.clone(), format!("{base}/slow"));
                tokio::spawn(async move { c.get(&url, &Validators::default()).await.map(|_| ()) })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        assert_eq!(seen.max_busy.load(Ordering::SeqCst), 1, "never two requests to the host at once");
        let times = seen.times.lock().unwrap().clone();
        for w in times.windows(2) {
            assert!(w[1] - w[0] >= Duration::from_millis(140), "delay between requests: {:?}", w[1] - w[0]);
        }
    }
}
