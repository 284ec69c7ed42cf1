//! Server: the web UI and JSON API over a [`Store`], on loopback by default.
//!
//! A thin layer of routes and serialisation over the store (it never runs the
//! pipeline itself): `/` lists stories, `/stories/{id}` shows a story's brief
//! with citations linking to the articles, `/articles/{id}` shows an article;
//! `/api/stories` and `/api/stories/{id}` give the same as JSON. Everything
//! that comes from articles is HTML-escaped.

mod html;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use dossier_store::{SqliteStore, Store};
use serde_json::json;

type Shared = Arc<Mutex<SqliteStore>>;

/// Errors served as JSON with a status, never as a bare 500 page.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
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

/// The application's routes over an open store.
pub fn router(store: SqliteStore) -> Router {
    let state: Shared = Arc::new(Mutex::new(store));
    Router::new()
        .route("/", get(html::index))
        .route("/stories/{id}", get(html::story))
        .route("/articles/{id}", get(html::article))
        .route("/api/stories", get(api_stories))
        .route("/api/stories/{id}", get(api_story))
        .route("/api/articles/{id}", get(api_article))
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such page".into()) })
        .with_state(state)
}

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, SqliteStore> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

async fn api_stories(State(s): State<Shared>) -> Result<Json<serde_json::Value>, ApiError> {
    let store = lock(&s);
    let stories: Vec<_> = store
        .stories()?
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id, "title": s.title, "outlets": s.outlets, "article_count": s.article_ids.len(),
                "independent_reports": s.article_ids.len() - s.copies.len(), "copies": s.copies.len(),
                "first_seen": s.first_seen, "last_seen": s.last_seen, "entities": s.entities,
            })
        })
        .collect();
    Ok(Json(json!({ "stories": stories })))
}

async fn api_story(State(s): State<Shared>, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let store = lock(&s);
    let story = store.story(&id)?.ok_or_else(|| not_found("story", &id))?;
    let brief = store.brief(&id)?;
    let claims = store.aligned_claims(&id)?;
    let mut articles = Vec::new();
    for a in &story.article_ids {
        if let Some(a) = store.article(a)? {
            articles.push(json!({
                "id": a.id, "title": a.title, "outlet": a.outlet, "url": a.url, "time": a.time(), "kind": a.kind, "source": a.source,
            }));
        }
    }
    Ok(Json(json!({ "story": story, "brief": brief, "claims": claims, "articles": articles })))
}

async fn api_article(State(s): State<Shared>, Path(id): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let store = lock(&s);
    let a = store.article(&id)?.ok_or_else(|| not_found("article", &id))?;
    Ok(Json(serde_json::to_value(a).expect("article serialises")))
}

/// Binds `addr`, calls `on_ready` with the bound address, and serves until Ctrl-C.
pub async fn serve(dir: PathBuf, addr: SocketAddr, on_ready: impl FnOnce(SocketAddr)) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let store = SqliteStore::open_dir(&dir)?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    on_ready(listener.local_addr()?);
    axum::serve(listener, router(store))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}


#[cfg(test)]
mod tests;
