//! Server: the web UI and JSON API over a [`Store`], on loopback by default.
//!
//! A thin layer of routes and serialisation over the store (it never runs the
//! pipeline itself): `/` lists stories, `/stories/{id}` shows a story's brief
//! with citations linking to the articles, `/articles/{id}` shows an article;
//! `/api/stories`, `/api/stories/{id}`, `/api/articles/{id}` and
//! `/api/search` give the same as JSON (lists a page at a time), the CSV
//! exports ([`desk`]) the stories, claims and articles as tables, described by the OpenAPI document at
//! `/api/openapi.json`. Everything that comes from articles is HTML-escaped.
//!
//! It reads and writes through the [`Store`] trait ([`Stores`]: the embedded
//! SQLite store of a data directory, or the PostgreSQL store that scale-out
//! workers fill), on blocking threads. With SQLite the pipeline that writes
//! the store keeps the search index and the server reloads it; with
//! PostgreSQL the server keeps a local index in step with the store itself
//! ([`follow`]).

mod changes;
mod desk;
pub mod follow;
mod html;
mod listen;
mod live;
mod pairs;
mod schema;
mod similar;
mod stores;
mod ui;
mod watches;

pub use changes::ChangesResponse;
pub use desk::{StoriesResponse, StorySummary};
pub use listen::{serve_listener, Limits};
pub use live::{Change, IngestResult, MAX_INGEST_BODY};
pub use pairs::ToneModel;
pub use similar::QueryEmbedder;
pub use stores::{Access, OpenStore, Stores};

use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use dossier_model::{AlignedClaim, Article, ArticleSummary, Brief, Story};
use dossier_search::{parse_date_bound, Mode, SearchIndex, SearchQuery, SearchResults};
use dossier_store::{SqliteStore, Store};
use serde::Serialize;
use stores::Pool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Re-runs the analysis after `POST /api/ingest` stored something new, on the
/// connection that stored it (the pipeline lives outside; the server only calls it).
pub type Analyser = Arc<dyn Fn(&mut dyn Store) -> Result<(), String> + Send + Sync>;

/// How the server is run.
#[derive(Clone, Default)]
pub struct ServeOptions {
    /// Bearer token that `POST /api/ingest` requires; without one, ingest is disabled.
    pub ingest_token: Option<String>,
    /// When set, reading (pages and API) requires this token too.
    pub read_token: Option<String>,
    pub analyse: Option<Analyser>,
    /// Keep the search index in step with the store from here ([`follow`]): for a
    /// store nothing else indexes (PostgreSQL filled by workers). Otherwise the
    /// pipeline that writes the store keeps the index, and the server only reloads it.
    pub follow_index: bool,
    /// The data directory whose writer lock `POST /api/ingest` takes while it stores and
    /// analyses (so it waits for a `dossier ingest` or `watch` writing there), and how long
    /// it waits before answering 503. [`serve`] sets it for a data directory.
    pub writer_lock: Option<(PathBuf, std::time::Duration)>,
    /// Timeouts and the connection limit ([`serve_listener`]); the body deadline applies to every way of serving.
    pub limits: Limits,
    /// How the watches' webhooks are delivered (by [`spawn_watcher`]'s alerts task).
    pub deliver: dossier_alerts::webhook::DeliverConfig,
    /// Embeds search queries for the vector and hybrid modes (none: lexical search only).
    pub embed_query: Option<QueryEmbedder>,
    /// Reads the tone of actor pairs' sentences (none: pairs are counted, their tone not read).
    pub tone: Option<ToneModel>,
}

/// How long `POST /api/ingest` waits for another writer of the data directory before a 503.
pub const WRITER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);

/// The server's state: the store's connections (one writer, a reader per
/// core), the search index (read concurrently; kept by [`follow`] when
/// following), and the change feed.
pub struct App {
    stores: Pool,
    index: SearchIndex,
    follower: Option<Mutex<follow::Follower>>,
    options: ServeOptions,
    changes: tokio::sync::broadcast::Sender<Change>,
    poke: tokio::sync::Notify,
    /// Wakes the index follower (the store changed).
    follow_poke: tokio::sync::Notify,
    /// Wakes the alerts task (this server's ingest changed the store).
    alerts_poke: tokio::sync::Notify,
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

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        tracing::error!("request task: {e}");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
    }
}

impl From<dossier_store::StoreError> for ApiError {
    fn from(e: dossier_store::StoreError) -> Self {
        tracing::error!("store: {e}");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, "storage error".into())
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
    components(schemas(ErrorBody, schema::DateBound, schema::SinceParam, desk::SortParam, desk::StatusParam)),
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

/// The application's routes over a store and a search index. The JSON
/// API's routes and the OpenAPI document at `/api/openapi.json` come from the
/// same declarations, so they cannot drift apart.
pub fn router(stores: impl Into<Stores>, index: SearchIndex, options: ServeOptions) -> Router {
    app(stores, index, options).0
}

/// The routes, and the shared state (for the store watcher that feeds `/api/events`
/// and the index follower). With `options.follow_index`, the index's folder is the
/// follower's; call [`App::refresh_index`] (or [`spawn_watcher`]) to fill it.
pub fn app(stores: impl Into<Stores>, index: SearchIndex, options: ServeOptions) -> (Router, Arc<App>) {
    let (changes, _) = tokio::sync::broadcast::channel(1024);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 16);
    let follower = if options.follow_index {
        match follow::Follower::open(index.dir()) {
            Ok(f) => Some(Mutex::new(f)),
            Err(e) => {
                tracing::error!("search index {}: {e}; search answers from it as it is", index.dir().display());
                None
            }
        }
    } else {
        None
    };
    let state: Shared = Arc::new(App {
        stores: Pool::new(stores.into(), cores),
        index,
        follower,
        options,
        changes,
        poke: tokio::sync::Notify::new(),
        follow_poke: tokio::sync::Notify::new(),
        alerts_poke: tokio::sync::Notify::new(),
    });
    let (api_routes, api) = OpenApiRouter::with_openapi(<ApiDoc as utoipa::OpenApi>::openapi())
        .routes(routes!(desk::api_stories))
        .routes(routes!(desk::stories_csv))
        .routes(routes!(desk::claims_csv))
        .routes(routes!(desk::story_claims_csv))
        .routes(routes!(desk::articles_csv))
        .routes(routes!(api_story))
        .routes(routes!(similar::api_similar))
        .routes(routes!(similar::api_claim_similar))
        .routes(routes!(api_article))
        .routes(routes!(api_search))
        .routes(routes!(api_entity))
        .routes(routes!(api_outlet))
        .routes(routes!(live::ingest))
        .routes(routes!(live::events))
        .routes(routes!(changes::api_changes))
        .routes(routes!(pairs::api_pairs))
        .routes(routes!(watches::list, watches::add))
        .routes(routes!(watches::one, watches::remove))
        .routes(routes!(watches::feed))
        .split_for_parts();
    let router = Router::new()
        .route("/", get(ui::feed))
        .route("/stories/{id}", get(html::story))
        .route("/articles/{id}", get(html::article))
        .route("/entities/{name}", get(ui::entity))
        .route("/outlets/{name}", get(ui::outlet))
        .route("/search", get(ui::search))
        .route("/changes", get(changes::page))
        .route("/pairs", get(pairs::page_pairs))
        .route("/claims/{id}/similar", get(similar::page_claim_similar))
        .route("/watches", get(watches::page).post(watches::add_from_form))
        .route("/login", get(live::login_form).post(live::login))
        .merge(api_routes)
        .route("/api/openapi.json", get(move || async move { Json(api) }))
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such page".into()) })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_INGEST_BODY))
        // A Content-Length over the limit is refused before any of the body is read.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_INGEST_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), live::require_read_token))
        .layer(axum::middleware::from_fn(error_pages))
        .with_state(state.clone());
    (security_headers(router), state)
}

/// Headers every answer carries: a Content-Security-Policy that allows the
/// pages' own stylesheet (by its hash) and nothing else — no script at all, no
/// framing, forms only to this server — and no MIME sniffing, framing or referrer.
fn security_headers(router: Router) -> Router {
    use axum::http::{header, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer;
    let csp = format!("default-src 'none'; style-src '{}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", html::style_hash());
    let csp = HeaderValue::from_str(&csp).expect("a CSP is ASCII");
    router
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
}

/// Errors in the form of the route that failed: JSON (`{"error": ...}`) under
/// `/api/`, an HTML page elsewhere, whoever made them (a handler, an
/// extractor's rejection, a layer such as the body limit).
async fn error_pages(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
    let api = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !(res.status().is_client_error() || res.status().is_server_error()) {
        return res;
    }
    let content_type = res.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let json = content_type.starts_with("application/json");
    if (api && json) || (!api && content_type.starts_with("text/html")) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.unwrap_or_default();
    let said = if json { serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| v["error"].as_str().map(str::to_string)) } else { None };
    let mut message = said.unwrap_or_else(|| String::from_utf8_lossy(&bytes).trim().to_string());
    if message.is_empty() {
        message = parts.status.canonical_reason().unwrap_or("error").to_lowercase();
    }
    parts.headers.remove(CONTENT_TYPE);
    parts.headers.remove(CONTENT_LENGTH);
    let answer = if api { Json(ErrorBody { error: message }).into_response() } else { html::error_page(parts.status, &message).into_response() };
    let (new_parts, body) = answer.into_parts();
    parts.headers.extend(new_parts.headers);
    Response::from_parts(parts, body)
}

/// Watches the store and feeds `/api/events` until the runtime stops; evaluates the
/// saved watches and delivers their webhooks; when following, keeps the search index
/// in step too.
pub fn spawn_watcher(state: Arc<App>) -> Watching {
    let mut tasks = vec![];
    if state.follower.is_some() {
        tasks.push(tokio::spawn(live::follow_store(state.clone())));
    }
    tasks.push(tokio::spawn(watches::run(state.clone())));
    tasks.push(tokio::spawn(live::watch_store(state)));
    Watching(tasks)
}

/// The tasks [`spawn_watcher`] started; they run until the runtime stops, or [`stop`](Watching::stop).
pub struct Watching(Vec<tokio::task::JoinHandle<()>>);

impl Watching {
    /// Stops watching (a refresh of the index already under way finishes on its thread).
    pub fn stop(self) {
        self.0.iter().for_each(|t| t.abort());
    }
}

/// How often a following server refreshes its index when it saw no change
/// (a claim's status can change without a story's articles changing).
pub const FOLLOW_SWEEP: std::time::Duration = std::time::Duration::from_secs(60);

impl App {
    /// Brings the followed search index up to date with the store (blocks; `Ok(None)`
    /// when this server does not follow). Searches see the result when it returns.
    pub fn refresh_index(&self) -> Result<Option<follow::Refreshed>, follow::Error> {
        self.refresh_index_with(&mut |_, _| {})
    }

    /// [`refresh_index`](Self::refresh_index), telling `progress` (done, of) as articles are read.
    pub fn refresh_index_with(&self, progress: &mut dyn FnMut(usize, usize)) -> Result<Option<follow::Refreshed>, follow::Error> {
        let Some(f) = &self.follower else { return Ok(None) };
        let mut f = f.lock().unwrap_or_else(|p| p.into_inner());
        let r = self.stores.read(|store| f.refresh(store, progress))??;
        self.index.reload()?;
        Ok(Some(r))
    }
}

/// Runs `f` on a reading connection, on a blocking thread.
async fn read<T: Send + 'static>(s: &Shared, f: impl FnOnce(&dyn Store) -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    let s = s.clone();
    tokio::task::spawn_blocking(move || s.stores.read(f)?).await?
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoryResponse {
    pub story: Story,
    pub brief: Option<Brief>,
    pub claims: Vec<AlignedClaim>,
    pub articles: Vec<ArticleSummary>,
}

/// A story with its brief, aligned claims and articles. The brief is a glance (the seven most
/// important bullets, the five sources most claims rest on; `left_out` counts the rest) unless `all=true`.
#[utoipa::path(get, path = "/api/stories/{id}", params(("id" = String, Path, description = "Story id"),
        ("all" = Option<bool>, Query, description = "The full brief: every bullet and every primary source (default false: a glance)")),
    responses((status = 200, body = StoryResponse), (status = 400, body = ErrorBody, description = "An unknown parameter, or `all` not true or false"), (status = 404, body = ErrorBody)))]
async fn api_story(State(s): State<Shared>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let all = all_param(raw.as_deref())?;
    let key = id.clone();
    let response = read(&s, move |store| {
        Ok(dossier_store::snapshot(store, |store| {
            let Some(story) = store.story(&key)? else { return Ok(Err(store.story_alias(&key)?)) };
            let brief = store.brief(&key)?.map(|b| if all { b } else { dossier_brief::glance(&b, &dossier_brief::Settings::default()) });
            let claims = store.aligned_claims(&key)?;
            let articles = store.article_summaries(&story.article_ids)?;
            Ok(Ok(StoryResponse { story, brief, claims, articles }))
        })?)
    })
    .await?;
    match response {
        Ok(r) => Ok(Json(r).into_response()),
        // A story merged into another answers as that one.
        Err(Some(to)) => Ok(moved(&format!("/api/stories/{to}"))),
        Err(None) => Err(not_found("story", &id)),
    }
}

/// The story's `all` parameter (true: the full brief), nothing else.
pub(crate) fn all_param(raw: Option<&str>) -> Result<bool, ApiError> {
    let mut all = false;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match (&*k, &*v) {
            ("all", "true") => all = true,
            ("all", "false") => all = false,
            ("all", other) => return Err(bad_request(format!("parameter all: {other:?} is neither true nor false"))),
            (other, _) => return Err(bad_request(format!("unknown parameter {other:?} (all)"))),
        }
    }
    Ok(all)
}

/// A permanent redirect (a merged story's old address).
fn moved(to: &str) -> Response {
    (StatusCode::PERMANENT_REDIRECT, [(axum::http::header::LOCATION, to.to_string())]).into_response()
}

/// One article, whole.
#[utoipa::path(get, path = "/api/articles/{id}", params(("id" = String, Path, description = "Article id")),
    responses((status = 200, body = Article), (status = 404, body = ErrorBody)))]
async fn api_article(State(s): State<Shared>, Path(id): Path<String>) -> Result<Json<Article>, ApiError> {
    let a = read(&s, move |store| store.article(&id)?.ok_or_else(|| not_found("article", &id))).await?;
    Ok(Json(a))
}

/// An entity: articles per day, the entities it appears with, outlets, claim statuses, a page of its stories, newest articles.
#[utoipa::path(get, path = "/api/entities/{name}", params(("name" = String, Path, example = "China", description = "Entity name, as in a story's entities"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Stories per page, 1-500 (default 100)"),
        ("offset" = Option<u32>, Query, minimum = 0, maximum = 100000, description = "Stories to skip, 0-100000 (default 0)")),
    responses((status = 200, body = ui::Profile), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_entity(State(s): State<Shared>, Path(name): Path<String>, RawQuery(raw): RawQuery) -> Result<Json<ui::Profile>, ApiError> {
    let (offset, limit) = profile_page_params(raw.as_deref())?;
    Ok(Json(ui::profile(&s, ui::Kind::Entity, name, offset, limit).await?))
}

/// An outlet: articles per day, what it covers, claim statuses, a page of its stories, newest articles.
#[utoipa::path(get, path = "/api/outlets/{name}", params(("name" = String, Path, description = "Outlet name"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Stories per page, 1-500 (default 100)"),
        ("offset" = Option<u32>, Query, minimum = 0, maximum = 100000, description = "Stories to skip, 0-100000 (default 0)")),
    responses((status = 200, body = ui::Profile), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn api_outlet(State(s): State<Shared>, Path(name): Path<String>, RawQuery(raw): RawQuery) -> Result<Json<ui::Profile>, ApiError> {
    let (offset, limit) = profile_page_params(raw.as_deref())?;
    Ok(Json(ui::profile(&s, ui::Kind::Outlet, name, offset, limit).await?))
}

/// The page of a profile's stories: `offset` and `limit`, nothing else.
fn profile_page_params(raw: Option<&str>) -> Result<(usize, usize), ApiError> {
    let (mut offset, mut limit) = (0, 100);
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let number = |min: usize, max: usize| -> Result<usize, ApiError> {
            v.parse::<usize>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| bad_request(format!("parameter {k}: {v:?} is not a whole number from {min} to {max}")))
        };
        match &*k {
            "limit" => limit = number(1, desk::MAX_PAGE)?,
            "offset" => offset = number(0, desk::MAX_EXPORT)?,
            other => return Err(bad_request(format!("unknown parameter {other:?} (limit, offset)"))),
        }
    }
    Ok((offset, limit))
}

/// Search with facets: lexical (BM25), vector (sentence vectors) or hybrid (both, fused by
/// reciprocal rank). Filters may repeat (`outlet=A&outlet=B` means either) and apply to every mode.
#[utoipa::path(get, path = "/api/search",
    params(
        ("q" = Option<String>, Query, max_length = 2000, description = "Words, \"phrases\", AND/OR/NOT, +must -not, title:word; empty for everything (newest first); at most 2000 characters"),
        ("mode" = Option<Mode>, Query, description = "lexical (every word required), vector (nearest by meaning) or hybrid (any word, fused with the vector ranking); default hybrid when the index holds article vectors and the model is loaded, else lexical. The answer's `mode` says which ran"),
        ("outlet" = Option<Vec<String>>, Query, description = "Only these outlets"),
        ("entity" = Option<Vec<String>>, Query, description = "Only articles naming all these entities"),
        ("language" = Option<Vec<String>>, Query, description = "Only these languages"),
        ("status" = Option<Vec<desk::StatusParam>>, Query, description = "Only articles carrying claims of these statuses (an unknown one is a 400 that lists the valid ones)"),
        ("from" = Option<schema::DateBound>, Query, description = "Published on or after (YYYY-MM-DD or RFC 3339)"),
        ("to" = Option<schema::DateBound>, Query, description = "Published on or before (a plain date includes the whole day)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Hits per page, 1-100 (default 20)"),
        ("offset" = Option<u32>, Query, minimum = 0, maximum = 10000, description = "Hits to skip, 0-10000"),
    ),
    responses((status = 200, body = SearchResults), (status = 400, body = ErrorBody, description = "A parameter breaks the rules above"),
        (status = 422, body = ErrorBody, description = "`q` does not parse as a query, or the mode asked for cannot run here (no article vectors, or no model to embed the query)"), (status = 503, body = ErrorBody)))]
async fn api_search(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Json<SearchResults>, ApiError> {
    let mut q = SearchQuery { limit: 20, ..Default::default() };
    let mut mode = None;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let number = |min: usize, max: usize| -> Result<usize, ApiError> {
            v.parse::<usize>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| bad_request(format!("parameter {k}: {v:?} is not a whole number from {min} to {max}")))
        };
        match &*k {
            "q" => q.text = v.into_owned(),
            "mode" => mode = Some(similar::parse_mode(&v)?),
            "outlet" => q.outlets.push(v.into_owned()),
            "entity" => q.entities.push(v.into_owned()),
            "language" => q.languages.push(v.into_owned()),
            "status" => q.statuses.push(dossier_brief::desk::parse_status(&v).map_err(|e| bad_request(format!("parameter status: {e}")))?.name().to_string()),
            "from" => q.from = Some(parse_date_bound(&v, false).map_err(|e| bad_request(format!("parameter from: {e}")))?),
            "to" => q.to = Some(parse_date_bound(&v, true).map_err(|e| bad_request(format!("parameter to: {e}")))?),
            "limit" => q.limit = number(1, 100)?,
            "offset" => q.offset = number(0, 10_000)?,
            other => return Err(bad_request(format!("unknown parameter {other:?} (q, mode, outlet, entity, language, status, from, to, limit, offset)"))),
        }
    }
    if q.text.chars().count() > 2000 {
        return Err(bad_request("parameter q: longer than 2000 characters"));
    }
    Ok(Json(similar::run_search(&s, q, mode).await?))
}

/// An empty search index over a store that holds articles is not "no results": a 503 says so.
async fn index_ready(s: &Shared) -> Result<(), ApiError> {
    if !s.index.is_empty() {
        return Ok(());
    }
    match read(s, |store| Ok(store.article_count()?)).await? {
        0 => Ok(()),
        n => Err(ApiError(StatusCode::SERVICE_UNAVAILABLE, format!("the search index is empty while the store holds {n} articles: run `dossier reindex` (a following server fills it itself)"))),
    }
}

/// The store a server serves.
#[derive(Debug, Clone)]
pub enum Source {
    /// A data directory: its SQLite store and its search index (`DIR/index`, kept by the pipeline).
    Dir(PathBuf),
    /// A PostgreSQL store (`postgres://USER@HOST:PORT/DB`), with the folder of the local
    /// search index the server keeps in step with it ([`postgres_index_dir`]).
    Postgres { url: String, index_dir: PathBuf },
}

/// Where a data directory keeps the followed search index of a PostgreSQL store:
/// `DATA/index-postgres/HOST_PORT_DB` (one folder per database, so several can be served).
pub fn postgres_index_dir(data: &FsPath, url: &str) -> PathBuf {
    let db = dossier_store_postgres::describe(url);
    let name: String = db.trim_start_matches("postgres://").chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
    data.join("index-postgres").join(name)
}

/// Brings the followed search index of a PostgreSQL store up to date, or with `rebuild`
/// builds it from scratch (`dossier reindex --store postgres://...`); `progress` hears
/// (done, of). Blocks: call it off the async runtime.
pub fn index_postgres(url: &str, index_dir: &FsPath, rebuild: bool, progress: &mut dyn FnMut(usize, usize)) -> Result<follow::Refreshed, follow::Error> {
    let store = dossier_store_postgres::PgStore::connect(url)?;
    let mut f = follow::Follower::open(index_dir)?;
    if rebuild {
        f.clear()?;
    }
    f.refresh(&store, progress)
}

/// Binds `addr`, calls `on_ready` with the bound address, and serves until Ctrl-C.
/// A PostgreSQL store's search index is brought up to date before serving (only
/// what changed since the last time), then followed.
pub async fn serve(source: Source, addr: SocketAddr, mut options: ServeOptions, on_ready: impl FnOnce(SocketAddr)) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (stores, index) = match source {
        Source::Dir(dir) => {
            options.writer_lock.get_or_insert_with(|| (dir.clone(), WRITER_PATIENCE));
            (Stores::sqlite(SqliteStore::open_dir(&dir)?), SearchIndex::open(&dir.join("index"))?)
        }
        Source::Postgres { url, index_dir } => {
            // Connect once now, so a wrong URL or a database that is down is said at once.
            let check = url.clone();
            tokio::task::spawn_blocking(move || dossier_store_postgres::PgStore::connect(&check).map(drop)).await??;
            options.follow_index = true;
            (Stores::postgres(&url), SearchIndex::open(&index_dir)?)
        }
    };
    let (router, state) = app(stores, index, options);
    let st = state.clone();
    let started = std::time::Instant::now();
    if let Some(r) = tokio::task::spawn_blocking(move || st.refresh_index()).await?? {
        tracing::info!("search index: {} of {} articles read and indexed in {:.1} s", r.read, r.articles, started.elapsed().as_secs_f64());
    }
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    on_ready(listener.local_addr()?);
    spawn_watcher(state.clone());
    serve_listener(listener, router, state.options.limits, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    Ok(())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod tests_postgres;

#[cfg(test)]
mod tests_sockets;

#[cfg(test)]
mod tests_desk;

#[cfg(test)]
mod tests_changes;
