//! Writing and watching: `POST /api/ingest` (bearer token), `GET /api/events`
//! (Server-Sent Events), and the optional read token.

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use dossier_ingest::Format;
use serde::{Deserialize, Serialize};
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::{Stream, StreamExt};

use crate::{bad_request, ApiError, ErrorBody, Shared};

/// Largest request body `POST /api/ingest` takes.
pub const MAX_INGEST_BODY: usize = 10 * 1024 * 1024;

/// What changed, as announced on `/api/events`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// New or revised articles were stored.
    Articles { new: usize, total: usize },
    /// A story appeared or its membership changed.
    Story { id: String, title: String, article_count: usize },
    /// An entry of the change log, as the analysis wrote it (see `/api/changes`).
    Log { entry: dossier_model::ChangeEntry },
    /// A saved watch raised an alert (see `/api/watches/{id}`).
    Alert { alert: dossier_model::Alert },
}

/// What `POST /api/ingest` did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestResult {
    pub new: usize,
    pub revised: usize,
    pub unchanged: usize,
    /// Records that could not be read, each saying where and why; the others were stored.
    pub errors: Vec<String>,
    /// Stories after the analysis.
    pub stories: usize,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

fn cookie_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::COOKIE)?.to_str().ok()?.split(';').find_map(|c| c.trim().strip_prefix("dossier_token="))
}

/// Compares without an early exit, so timing does not tell how much of a guess was right.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// When a read token is configured, every page and API call needs it: as a
/// bearer token, or the `dossier_token` cookie that the login form (`/login`) sets.
pub async fn require_read_token(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let Some(want) = s.options.read_token.as_deref() else { return next.run(req).await };
    let path = req.uri().path();
    if path == "/login" {
        return next.run(req).await;
    }
    let given = bearer(req.headers()).or_else(|| cookie_token(req.headers()));
    // The ingest token is checked by its own route.
    if given.is_some_and(|g| same(g, want)) || path == "/api/ingest" {
        return next.run(req).await;
    }
    ApiError(StatusCode::UNAUTHORIZED, "a read token is required: log in at /login, or send Authorization: Bearer TOKEN".into()).into_response()
}

#[derive(Deserialize)]
pub struct Login {
    token: String,
}

/// The login form: the token is posted, never put in a URL (where history and logs keep it).
pub async fn login_form(State(s): State<Shared>) -> Response {
    match s.options.read_token {
        Some(_) => crate::html::page("Log in", &crate::html::login_form("")).into_response(),
        None => (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response(),
    }
}

/// Checks the posted read token, sets the cookie and goes to the feed.
pub async fn login(State(s): State<Shared>, axum::Form(l): axum::Form<Login>) -> Response {
    match s.options.read_token.as_deref() {
        Some(want) if same(&l.token, want) => {
            (StatusCode::SEE_OTHER, [(header::SET_COOKIE, format!("dossier_token={}; HttpOnly; SameSite=Strict; Path=/", l.token)), (header::LOCATION, "/".to_string())]).into_response()
        }
        Some(_) => (StatusCode::UNAUTHORIZED, crate::html::page("Log in", &crate::html::login_form("That is not the read token."))).into_response(),
        None => (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response(),
    }
}

/// Writing (ingest, watches) needs the ingest token as a bearer token; without one
/// configured, writing is disabled.
pub fn require_ingest_token(s: &Shared, headers: &HeaderMap, what: &str) -> Result<(), ApiError> {
    let Some(want) = s.options.ingest_token.as_deref() else {
        return Err(ApiError(StatusCode::FORBIDDEN, format!("{what} is disabled: start `dossier serve` with an ingest token ($DOSSIER_INGEST_TOKEN)")));
    };
    if !bearer(headers).is_some_and(|g| same(g, want)) {
        return Err(ApiError(StatusCode::UNAUTHORIZED, format!("{what} needs Authorization: Bearer <ingest token>")));
    }
    Ok(())
}

/// Stores articles and re-analyses. Send JSON (one article object or an
/// array of them: `url`, `title`, `text` or `html`, `published`, `outlet`) or
/// an HTML page (`Content-Type: text/html`, with `?url=` naming where it is
/// from). Needs `Authorization: Bearer <ingest token>`. A body that breaks the
/// documented rules is refused whole (400, every bad article named); one that
/// follows them but holds nothing to store (an HTML page without an article,
/// an HTML body without `?url=`) is 422; articles whose page holds no article
/// are named in `errors` and the others stored.
#[utoipa::path(post, path = "/api/ingest",
    params(("url" = Option<String>, Query, pattern = "^https?://", description = "For an HTML body (where it is required): the page's http(s) URL; checked whatever the body")),
    request_body(description = "JSON article(s), or an HTML page (with `?url=`)", content(
        (crate::schema::IngestBody = "application/json"),
        (inline(crate::schema::HtmlPage) = "text/html")
    )),
    responses(
        (status = 200, body = IngestResult),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 408, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody), (status = 500, body = ErrorBody), (status = 503, body = ErrorBody)
    ),
    security(("bearer" = [])))]
pub async fn ingest(State(s): State<Shared>, Query(params): Query<HashMap<String, String>>, headers: HeaderMap, body: axum::body::Body) -> Result<Json<IngestResult>, ApiError> {
    require_ingest_token(&s, &headers, "POST /api/ingest")?;
    if let Some(other) = params.keys().find(|k| *k != "url") {
        return Err(bad_request(format!("unknown parameter {other:?} (url)")));
    }
    let url = params.get("url");
    if let Some(url) = url.filter(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
        return Err(bad_request(format!("url {url:?}: not an http(s) URL")));
    }
    let body = read_body(body, s.options.limits.body_read).await?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let now = Utc::now();
    let parsed = if content_type.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| bad_request(format!("body: not JSON: {e}")))?;
        let records: Vec<serde_json::Value> = match value {
            serde_json::Value::Array(a) => a,
            o @ serde_json::Value::Object(_) => vec![o],
            _ => return Err(bad_request("body: expected an article object or an array of them")),
        };
        if records.is_empty() {
            return Err(bad_request("body: no articles"));
        }
        // Every article is checked before any is stored: a body breaking the rules is refused whole.
        let mut wrong = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let problem = if r.is_object() {
                serde_json::from_value::<crate::schema::IngestArticle>(r.clone()).map_or_else(|e| Some(e.to_string()), |a| a.check())
            } else {
                Some("expected an object with url, title, text or html, published, outlet".to_string())
            };
            wrong.extend(problem.map(|p| format!("article {}: {p}", i + 1)));
        }
        if !wrong.is_empty() {
            return Err(bad_request(format!("nothing stored: {}", wrong.join("; "))));
        }
        let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
        dossier_ingest::ingest_bytes("api", lines.join("\n").as_bytes(), Format::JsonLines, now)
    } else if content_type.starts_with("text/html") {
        let url = url.ok_or_else(|| unprocessable("an HTML body needs ?url= (where the page is from)"))?;
        match dossier_ingest::article_from_page(url, &body, Some(&content_type), now, Default::default()) {
            Ok(articles) => dossier_ingest::Parsed { articles, errors: vec![] },
            Err(e) => return Err(unprocessable(e.to_string())),
        }
    } else {
        return Err(ApiError(StatusCode::UNSUPPORTED_MEDIA_TYPE, format!("Content-Type {content_type:?}: send application/json or text/html")));
    };
    // Records are named by their place in the body: "article 2: field `outlet` is empty ...".
    let errors: Vec<String> = parsed.errors.iter().map(|e| e.location.strip_prefix("api:").map_or_else(|| e.to_string(), |n| format!("article {n}: {}", e.reason))).collect();
    if parsed.articles.is_empty() {
        return Err(unprocessable(if errors.is_empty() { "no articles in the body".to_string() } else { errors.join("; ") }));
    }
    let state = s.clone();
    let result = tokio::task::spawn_blocking(move || -> Result<IngestResult, ApiError> {
        // One writer of a data directory at a time (a `dossier ingest` or `watch` may hold it).
        let _lock = match &state.options.writer_lock {
            Some((dir, patience)) => Some(dossier_store::WriterLock::acquire_within(dir, *patience)?.map_err(|who| {
                let who = if who.is_empty() { String::new() } else { format!(" ({who})") };
                ApiError(StatusCode::SERVICE_UNAVAILABLE, format!("another dossier is writing to the data directory{who}; nothing was stored, try again later"))
            })?),
            None => None,
        };
        let (put, stories) = state.stores.write(|store| -> Result<_, ApiError> {
            let put = store.put_articles(&parsed.articles)?;
            if put.new + put.revised > 0 {
                if let Some(analyse) = &state.options.analyse {
                    analyse(store).map_err(|e| {
                        tracing::error!("analysis after ingest: {e}");
                        ApiError(StatusCode::INTERNAL_SERVER_ERROR, "the articles were stored; the analysis failed (see the server log)".into())
                    })?;
                }
            }
            Ok((put, store.stories()?.len()))
        })??;
        // Read-your-writes: searches after this answer see the new articles.
        if put.new + put.revised > 0 {
            state.refresh_index().map_err(|e| {
                tracing::error!("search index after ingest: {e}");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "the articles were stored; updating the search index failed (see the server log)".into())
            })?;
        }
        state.index.reload()?;
        Ok(IngestResult { new: put.new, revised: put.revised, unchanged: put.unchanged, errors, stories })
    })
    .await
    .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "ingest task failed".into()))??;
    // Tell watchers now rather than at the next poll.
    s.poke.notify_one();
    s.alerts_poke.notify_one();
    Ok(Json(result))
}

/// A request of the documented shape whose content cannot be used.
fn unprocessable(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::UNPROCESSABLE_ENTITY, msg.into())
}

/// The whole body, within [`MAX_INGEST_BODY`] and `deadline` (a client trickling it is cut off with a 408).
async fn read_body(body: axum::body::Body, deadline: Duration) -> Result<axum::body::Bytes, ApiError> {
    use http_body_util::BodyExt;
    let limited = http_body_util::Limited::new(body, MAX_INGEST_BODY);
    match tokio::time::timeout(deadline, limited.collect()).await {
        Err(_) => Err(ApiError(StatusCode::REQUEST_TIMEOUT, format!("the request body did not arrive within {} s", deadline.as_secs_f64()))),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() || std::iter::successors(e.source(), |e| e.source()).any(|e| e.is::<http_body_util::LengthLimitError>()) => {
            Err(ApiError(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is larger than the {MAX_INGEST_BODY}-byte limit")))
        }
        Ok(Err(e)) => Err(bad_request(format!("reading the body: {e}"))),
    }
}

/// Server-Sent Events: `change` events (JSON: new articles, stories that
/// appeared or changed) as the store changes, from this server's ingest or
/// any other writer (the store is looked at every two seconds).
#[utoipa::path(get, path = "/api/events", responses((status = 200,
    description = "A stream that does not end: each event is `event: change` and `data:` one Change as JSON (ChangeEvent); a comment line every 15 s keeps an idle stream open",
    body = crate::schema::ChangeEvent, content_type = "text/event-stream")))]
pub async fn events(State(s): State<Shared>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = s.changes.subscribe();
    let stream = BroadcastStream::new(rx).filter_map(|c| c.ok()).map(|c: Change| Ok(Event::default().event("change").json_data(&c).expect("changes serialise")));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Snapshot of what watchers are told about.
#[derive(Default, PartialEq)]
pub struct Snapshot {
    articles: usize,
    stories: HashMap<String, usize>,
}

/// What one look at the store found: the heads (article count, last log seq), and when they
/// moved, the stories and the new log entries.
type Look = ((usize, i64), Option<(Snapshot, Vec<dossier_model::Story>, Vec<dossier_model::ChangeEntry>)>);

/// Looks at the store (every two seconds, or at once when this server's ingest pokes it) and
/// broadcasts what changed: the change log's new entries as they were written, and the
/// articles and stories that changed. Between changes a look costs two small queries (the
/// article count and the log's last sequence number); the stories are read only when one moved.
pub async fn watch_store(s: Shared) {
    let mut last: Option<Snapshot> = None;
    let mut heads: Option<(usize, i64)> = None;
    loop {
        let state = s.clone();
        let seen = heads;
        let looked = tokio::task::spawn_blocking(move || -> Option<Look> {
            let now = state
                .stores
                .read(|store| Ok::<_, dossier_store::StoreError>((store.article_count()?, store.last_change()?)))
                .and_then(|r| r)
                .map_err(|e| tracing::warn!("watching the store: {e}"))
                .ok()?;
            if seen == Some(now) {
                return Some((now, None));
            }
            let since = seen.map_or(now.1, |(_, l)| l);
            let (articles, stories, log) = state
                .stores
                .read(|store| dossier_store::snapshot(store, |store| Ok((store.article_count()?, store.stories()?, store.changes(since, None, 5000)?))))
                .and_then(|r| r)
                .map_err(|e| tracing::warn!("watching the store: {e}"))
                .ok()?;
            let head = log.last().map_or(now.1, |c| c.seq);
            Some(((articles, head), Some((Snapshot { articles, stories: stories.iter().map(|st| (st.id.clone(), st.article_ids.len())).collect() }, stories, log))))
        })
        .await
        .ok()
        .flatten();
        if let Some((now, changed)) = looked {
            heads = Some(now);
            if let Some((snap, stories, log)) = changed {
                for entry in log {
                    let _ = s.changes.send(Change::Log { entry });
                }
                if let Some(prev) = &last {
                    if snap != *prev {
                        s.follow_poke.notify_one();
                    }
                    if snap.articles != prev.articles {
                        let _ = s.changes.send(Change::Articles { new: snap.articles.saturating_sub(prev.articles), total: snap.articles });
                    }
                    for st in &stories {
                        if prev.stories.get(&st.id) != Some(&st.article_ids.len()) {
                            let _ = s.changes.send(Change::Story { id: st.id.clone(), title: st.title.clone(), article_count: st.article_ids.len() });
                        }
                    }
                }
                last = Some(snap);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = s.poke.notified() => {}
        }
    }
}

/// Keeps a followed search index in step with the store: refreshes it when the
/// watcher saw the store change, and every [`FOLLOW_SWEEP`](crate::FOLLOW_SWEEP) in any case.
pub async fn follow_store(s: Shared) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(crate::FOLLOW_SWEEP) => {}
            _ = s.follow_poke.notified() => {}
        }
        let state = s.clone();
        let started = std::time::Instant::now();
        match tokio::task::spawn_blocking(move || state.refresh_index()).await {
            Ok(Ok(Some(r))) if r.changed > 0 => tracing::info!("search index: {} article(s) read, {} document(s) changed in {:.2} s", r.read, r.changed, started.elapsed().as_secs_f64()),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!("search index: {e}"),
            Err(e) => tracing::error!("search index task: {e}"),
        }
    }
}
