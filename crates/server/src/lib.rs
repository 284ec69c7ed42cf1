//! Server: the web UI and JSON API over a [`Store`], on loopback by default.
//!
//! A thin layer of routes and serialisation over the store (it never runs the
//! pipeline itself): `/` lists stories, `/stories/{id}` shows a story's brief
//! with citations linking to the articles, `/articles/{id}` shows an article;
//! `/api/stories`, `/api/stories/{id}`, `/api/articles/{id}` and
//! `/api/search` give the same as JSON, described by the OpenAPI document at
//! `/api/openapi.json`. Everything that comes from articles is HTML-escaped.

mod html;
mod live;
mod ui;

pub use live::{Change, IngestResult, MAX_INGEST_BODY};

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use dossier_model::{AlignedClaim, Article, ArticleSummary, Brief, Story};
use dossier_search::{parse_date_bound, SearchIndex, SearchQuery, SearchResults};
use dossier_store::{SqliteStore, Store};
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Re-runs the analysis after `POST /api/ingest` stored something new
/// (the pipeline lives with the command line; the server only calls it).
pub type Analyser = Arc<dyn Fn(&mut SqliteStore) -> Result<(), String> + Send + Sync>;

/// How the server is run.
#[derive(Clone, Default)]
pub struct ServeOptions {
    /// Bearer token that `POST /api/ingest` requires; without one, ingest is disabled.
    pub ingest_token: Option<String>,
    /// When set, reading (pages and API) requires this token too.
    pub read_token: Option<String>,
    pub analyse: Option<Analyser>,
}

/// The server's state: the store (one connection, serialised), the search
/// index (read concurrently), and the change feed.
pub struct App {
    /// The writing connection (ingest).
    store: Mutex<SqliteStore>,
    /// Reading connections, one per core (SQLite in WAL mode lets them read while another writes).
    readers: Vec<Mutex<SqliteStore>>,
    next_reader: std::sync::atomic::AtomicUsize,
    index: SearchIndex,
    options: ServeOptions,
    changes: tokio::sync::broadcast::Sender<Change>,
    poke: tokio::sync::Notify,
}

type Shared = Arc<App>;

/// An error answer: `{"error": "..."}` with its status, never a bare 500 page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, and where.
    pub error: String,
}

struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

impl From<dossier_store::StoreError> for ApiError {
    fn from(e: dossier_store::StoreError) -> Self {
        tracing::error!("store: {e}");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, "storage error".into())
    }
}

impl From<dossier_search::SearchError> for ApiError {
    fn from(e: dossier_search::SearchError) -> Self {
        match e {
            dossier_search::SearchError::Query { .. } => ApiError(StatusCode::BAD_REQUEST, e.to_string()),
            other => {
                tracing::error!("search: {other}");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "search index error".into())
            }
        }
    }
}

fn not_found(what: &str, id: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("no {what} {id:?}"))
}

fn bad_request(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "dossier", description = "News intelligence: stories, claims with provenance, briefs, search."),
    components(schemas(ErrorBody)),
    modifiers(&BearerScheme)
)]
struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        api.components.get_or_insert_with(Default::default).add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// The application's routes over an open store and search index. The JSON
/// API's routes and the OpenAPI document at `/api/openapi.json` come from the
/// same declarations, so they cannot drift apart.
pub fn router(store: SqliteStore, index: SearchIndex, options: ServeOptions) -> Router {
    app(store, index, options).0
}

/// The routes, and the shared state (for the store watcher that feeds `/api/events`).
pub fn app(store: SqliteStore, index: SearchIndex, options: ServeOptions) -> (Router, Arc<App>) {
    let (changes, _) = tokio::sync::broadcast::channel(1024);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 16);
    let readers = (0..cores)
        .filter_map(|_| match SqliteStore::open_reader(&store.path()) {
            Ok(r) => Some(Mutex::new(r)),
            Err(e) => {
                tracing::warn!("extra read connection: {e}");
                None
            }
        })
        .collect();
    let state: Shared = Arc::new(App { store: Mutex::new(store), readers, next_reader: 0.into(), index, options, changes, poke: tokio::sync::Notify::new() });
    let (api_routes, api) = OpenApiRouter::with_openapi(<ApiDoc as utoipa::OpenApi>::openapi())
        .routes(routes!(api_stories))
        .routes(routes!(api_story))
        .routes(routes!(api_article))
        .routes(routes!(api_search))
        .routes(routes!(api_entity))
        .routes(routes!(api_outlet))
        .routes(routes!(live::ingest))
        .routes(routes!(live::events))
        .split_for_parts();
    let router = Router::new()
        .route("/", get(ui::feed))
        .route("/stories/{id}", get(html::story))
        .route("/articles/{id}", get(html::article))
        .route("/entities/{name}", get(ui::entity))
        .route("/outlets/{name}", get(ui::outlet))
        .route("/search", get(ui::search))
        .route("/login", get(live::login))
        .merge(api_routes)
        .route("/api/openapi.json", get(move || async move { Json(api) }))
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such page".into()) })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_INGEST_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), live::require_read_token))
        .with_state(state.clone());
    (router, state)
}

/// Watches the store and feeds `/api/events` until the runtime stops.
pub fn spawn_watcher(state: Arc<App>) {
    tokio::spawn(live::watch_store(state));
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, SqliteStore> {
    s.store.lock().unwrap_or_else(|p| p.into_inner())
}

/// A free reading connection (or the next one in turn; the writer if there are none).
fn read(s: &Shared) -> std::sync::MutexGuard<'_, SqliteStore> {
    for r in &s.readers {
        if let Ok(g) = r.try_lock() {
            return g;
        }
    }
    if s.readers.is_empty() {
        return lock(s);
    }
    let i = s.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % s.readers.len();
    s.readers[i].lock().unwrap_or_else(|p| p.into_inner())
}

/// One story in the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StorySummary {
    pub id: String,
    /// The most representative headline.
    pub title: String,
    pub outlets: Vec<String>,
    pub article_count: usize,
    /// Articles that are not copies of another (syndication counted once).
    pub independent_reports: usize,
    pub copies: usize,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The most mentioned entities.
    pub entities: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoriesResponse {
    pub stories: Vec<StorySummary>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoryResponse {
    pub story: Story,
    pub brief: Option<Brief>,
    pub claims: Vec<AlignedClaim>,
    pub articles: Vec<ArticleSummary>,
}

/// Stories, largest first, then most recent.
#[utoipa::path(get, path = "/api/stories", responses((status = 200, body = StoriesResponse), (status = 500, body = ErrorBody)))]
async fn api_stories(State(s): State<Shared>) -> Result<Json<StoriesResponse>, ApiError> {
    let store = read(&s);
    let stories = store
        .stories()?
        .into_iter()
        .map(|s| StorySummary {
            independent_reports: s.article_ids.len() - s.copies.len(),
            copies: s.copies.len(),
            article_count: s.article_ids.len(),
            id: s.id,
            title: s.title,
            outlets: s.outlets,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
            entities: s.entities,
        })
        .collect();
    Ok(Json(StoriesResponse { stories }))
}

/// A story with its brief, aligned claims and articles.
#[utoipa::path(get, path = "/api/stories/{id}", params(("id" = String, Path, description = "Story id")),
    responses((status = 200, body = StoryResponse), (status = 404, body = ErrorBody)))]
async fn api_story(State(s): State<Shared>, Path(id): Path<String>) -> Result<Json<StoryResponse>, ApiError> {
    let store = read(&s);
    let response = store.snapshot(|store| {
        let Some(story) = store.story(&id)? else { return Ok(None) };
        let brief = store.brief(&id)?;
        let claims = store.aligned_claims(&id)?;
        let articles = store.article_summaries(&story.article_ids)?;
        Ok(Some(StoryResponse { story, brief, claims, articles }))
    })?;
    Ok(Json(response.ok_or_else(|| not_found("story", &id))?))
}

/// One article, whole.
#[utoipa::path(get, path = "/api/articles/{id}", params(("id" = String, Path, description = "Article id")),
    responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
async fn api_article(State(s): State<Shared>, Path(id): Path<String>) -> Result<Json<Article>, ApiError> {
    let store = read(&s);
    let a = store.article(&id)?.ok_or_else(|| not_found("article", &id))?;
    Ok(Json(a))
}

/// An entity: articles per day, the entities it appears with, outlets, claim statuses, stories, newest articles.
#[utoipa::path(get, path = "/api/entities/{name}", params(("name" = String, Path, description = "Entity name, as in a story's entities")),
    responses((status = 200, body = ui::Profile), (status = 404, body = ErrorBody)))]
async fn api_entity(State(s): State<Shared>, Path(name): Path<String>) -> Result<Json<ui::Profile>, ApiError> {
    Ok(Json(ui::profile(&s, ui::Kind::Entity, &name)?))
}

/// An outlet: articles per day, what it covers, claim statuses, stories, newest articles.
#[utoipa::path(get, path = "/api/outlets/{name}", params(("name" = String, Path, description = "Outlet name")),
    responses((status = 200, body = ui::Profile), (status = 404, body = ErrorBody)))]
async fn api_outlet(State(s): State<Shared>, Path(name): Path<String>) -> Result<Json<ui::Profile>, ApiError> {
    Ok(Json(ui::profile(&s, ui::Kind::Outlet, &name)?))
}

/// Full-text search with facets. Filters may repeat (`outlet=A&outlet=B` means either).
#[utoipa::path(get, path = "/api/search",
    params(
        ("q" = Option<String>, Query, description = "Words, \"phrases\", AND/OR/NOT, +must -not, title:word; empty for everything (newest first)"),
        ("outlet" = Option<Vec<String>>, Query, description = "Only these outlets"),
        ("entity" = Option<Vec<String>>, Query, description = "Only articles naming all these entities"),
        ("language" = Option<Vec<String>>, Query, description = "Only these languages"),
        ("status" = Option<Vec<String>>, Query, description = "Only articles carrying claims of these statuses"),
        ("from" = Option<String>, Query, description = "Published on or after (YYYY-MM-DD or RFC 3339)"),
        ("to" = Option<String>, Query, description = "Published on or before (a plain date includes the whole day)"),
        ("limit" = Option<usize>, Query, description = "Hits per page, 1-100 (default 20)"),
        ("offset" = Option<usize>, Query, description = "Hits to skip (at most 10000)"),
    ),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody)))]
async fn api_search(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Json<SearchResults>, ApiError> {
    let mut q = SearchQuery { limit: 20, ..Default::default() };
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let number =
            |max: usize| -> Result<usize, ApiError> { v.parse::<usize>().ok().filter(|n| *n <= max).ok_or_else(|| bad_request(format!("parameter {k}: {v:?} is not a whole number from 0 to {max}"))) };
        match &*k {
            "q" => q.text = v.into_owned(),
            "outlet" => q.outlets.push(v.into_owned()),
            "entity" => q.entities.push(v.into_owned()),
            "language" => q.languages.push(v.into_owned()),
            "status" => q.statuses.push(v.into_owned()),
            "from" => q.from = Some(parse_date_bound(&v, false).map_err(|e| bad_request(format!("parameter from: {e}")))?),
            "to" => q.to = Some(parse_date_bound(&v, true).map_err(|e| bad_request(format!("parameter to: {e}")))?),
            "limit" => q.limit = number(100)?.max(1),
            "offset" => q.offset = number(10_000)?,
            other => return Err(bad_request(format!("unknown parameter {other:?} (q, outlet, entity, language, status, from, to, limit, offset)"))),
        }
    }
    if q.text.len() > 2000 {
        return Err(bad_request("parameter q: longer than 2000 bytes"));
    }
    Ok(Json(s.index.search(&q)?))
}

/// Binds `addr`, calls `on_ready` with the bound address, and serves until Ctrl-C.
pub async fn serve(dir: PathBuf, addr: SocketAddr, options: ServeOptions, on_ready: impl FnOnce(SocketAddr)) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let store = SqliteStore::open_dir(&dir)?;
    let index = SearchIndex::open(&dir.join("index"))?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    on_ready(listener.local_addr()?);
    let (router, state) = app(store, index, options);
    spawn_watcher(state);
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
