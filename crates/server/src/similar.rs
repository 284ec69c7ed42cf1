//! Semantic search in the server: the search mode (lexical, vector, hybrid)
//! resolved and the query embedded once per request, and "more like this" for
//! a story (`/api/stories/{id}/similar`, and a section of the story page) and
//! for a claim (`/api/claims/{id}/similar`, and the page `/claims/{id}/similar`
//! each claim of a story page links to).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use dossier_search::{Hit, Mode, SearchQuery, SearchResults};
use serde::Serialize;

use crate::{bad_request, not_found, read, ApiError, ErrorBody, Shared};

/// Embeds a query's words with the model the articles were embedded with (one model
/// pass); the face that starts the server gives it when the model is installed.
pub type QueryEmbedder = Arc<dyn Fn(&str) -> Result<Vec<f32>, String> + Send + Sync>;

impl From<dossier_search::SearchError> for ApiError {
    fn from(e: dossier_search::SearchError) -> Self {
        match e {
            // A query of the documented shape that does not parse: its content, not its form, is wrong.
            dossier_search::SearchError::Query { .. } => ApiError(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
            // A valid mode this index or server cannot run (no article vectors, no model to
            // embed the query): the request's form is right, what it asks for is not here.
            dossier_search::SearchError::Mode(m) => ApiError(StatusCode::UNPROCESSABLE_ENTITY, format!("parameter mode: {m}")),
            other => {
                tracing::error!("search: {other}");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "search index error".into())
            }
        }
    }
}

/// Reads the `mode` parameter: an unknown one is a 400 that lists the valid ones.
pub(crate) fn parse_mode(v: &str) -> Result<Mode, ApiError> {
    Mode::parse(v).map_err(|e| bad_request(format!("parameter mode: {e}")))
}

/// Runs a search in the mode asked for (by default hybrid when the index has vectors and
/// the query can be embedded, lexical otherwise), embedding the query when the mode needs it.
pub(crate) async fn run_search(s: &Shared, mut q: SearchQuery, asked: Option<Mode>) -> Result<SearchResults, ApiError> {
    crate::index_ready(s).await?;
    let s = s.clone();
    tokio::task::spawn_blocking(move || {
        q.mode = s.index.resolve_mode(asked, s.options.embed_query.is_some())?;
        if q.mode != Mode::Lexical && !q.text.trim().is_empty() {
            let embed = s.options.embed_query.as_ref().expect("resolve_mode checked");
            q.vector = Some(embed(&dossier_search::plain_words(&q.text)).map_err(|e| {
                tracing::error!("embedding a query: {e}");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "embedding the query failed".into())
            })?);
        }
        Ok(s.index.search(&q)?)
    })
    .await?
}

/// A story like another.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimilarStoryOut {
    pub id: String,
    pub title: String,
    pub outlets: Vec<String>,
    pub article_count: usize,
    /// Fused score of its best article (reciprocal-rank fusion: higher is more similar).
    pub score: f32,
    /// Its article most like the story asked about.
    pub article: Hit,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimilarResponse {
    /// `hybrid` (article vectors and the title's words) or `lexical` (no vectors in the index).
    pub mode: Mode,
    pub stories: Vec<SimilarStoryOut>,
}

/// The stories most like a story, with the stored rows of each: its articles' mean sentence
/// vector against every other article's, fused with its title's words (BM25); best first.
pub(crate) async fn similar_stories(s: &Shared, id: &str, limit: usize) -> Result<Option<SimilarResponse>, ApiError> {
    let key = id.to_string();
    let Some(story) = read(s, move |store| Ok(store.story(&key)?)).await? else { return Ok(None) };
    let shared = s.clone();
    let (mode, found) = tokio::task::spawn_blocking(move || shared.index.similar_stories(&story.id, &story.title, limit)).await??;
    let stories = with_rows(s, found).await?;
    Ok(Some(SimilarResponse { mode, stories }))
}

/// The stored rows of the stories found, in the order found (stories gone meanwhile left out).
async fn with_rows(s: &Shared, found: Vec<dossier_search::SimilarStory>) -> Result<Vec<SimilarStoryOut>, ApiError> {
    let ids: Vec<String> = found.iter().map(|f| f.story.clone()).collect();
    let rows = read(s, move |store| ids.iter().map(|id| Ok(store.story(id)?)).collect::<Result<Vec<_>, ApiError>>()).await?;
    Ok(found
        .into_iter()
        .zip(rows)
        .filter_map(|(f, row)| row.map(|st| SimilarStoryOut { id: st.id, title: st.title, outlets: st.outlets, article_count: st.article_ids.len(), score: f.score, article: f.article }))
        .collect())
}

/// Stories like this one ("more like this"): by meaning where the index holds article
/// vectors (the story's mean vector), fused with its title's words; other stories only.
#[utoipa::path(get, path = "/api/stories/{id}/similar",
    params(
        ("id" = String, Path, description = "Story id (a merged story's old id redirects)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 50, description = "At most this many stories, 1-50 (default 10)")
    ),
    responses((status = 200, body = SimilarResponse), (status = 308, description = "A merged story: its new address"),
        (status = 400, body = ErrorBody, description = "A parameter breaks the rules above"), (status = 404, body = ErrorBody)))]
pub(crate) async fn api_similar(State(s): State<Shared>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let limit = similar_limit(raw.as_deref())?;
    match similar_stories(&s, &id, limit).await? {
        Some(r) => Ok(Json(r).into_response()),
        None => {
            let key = id.clone();
            match read(&s, move |store| Ok(store.story_alias(&key)?)).await? {
                Some(to) => Ok(crate::moved(&format!("/api/stories/{to}/similar"))),
                None => Err(not_found("story", &id)),
            }
        }
    }
}

/// The story page's "Similar stories" section (empty when there are none, or the index fails:
/// the page shows the story regardless).
pub(crate) async fn similar_section(s: &Shared, id: &str) -> String {
    let found = match similar_stories(s, id, 5).await {
        Ok(Some(r)) if !r.stories.is_empty() => r,
        _ => return String::new(),
    };
    use crate::html::escape;
    let mut html = format!("<section class=\"card similar\" data-mode=\"{}\"><h2>Similar stories</h2><ul>", found.mode);
    for st in &found.stories {
        html.push_str(&format!(
            "<li><a href=\"/stories/{}\">{}</a> <span class=\"meta\">{} article(s) · {}</span></li>",
            escape(&st.id),
            escape(&st.title),
            st.article_count,
            escape(&st.outlets.join(", "))
        ));
    }
    html.push_str("</ul></section>");
    html
}

/// The claim "more like this" is asked of.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimRef {
    pub id: String,
    pub story_id: String,
    pub text: String,
}

/// Stories like a claim.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimilarToClaimResponse {
    pub claim: ClaimRef,
    /// `hybrid` (the claim's wording embedded, against the article vectors, and its words) or
    /// `lexical` (its words only: no vectors in the index, or no model to embed it).
    pub mode: Mode,
    pub stories: Vec<SimilarStoryOut>,
}

/// The stories (other than its own) most like a claim, with the stored rows of each; `None`
/// for an unknown claim.
pub(crate) async fn similar_to_claim(s: &Shared, id: &str, limit: usize) -> Result<Option<SimilarToClaimResponse>, ApiError> {
    let key = id.to_string();
    let Some(claim) = read(s, move |store| Ok(store.aligned_claim(&key)?)).await? else { return Ok(None) };
    crate::index_ready(s).await?;
    let shared = s.clone();
    let (text, story) = (claim.text.clone(), claim.story_id.clone());
    let (mode, found) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let vector = match &shared.options.embed_query {
            Some(embed) if shared.index.has_vectors() => Some(embed(&dossier_search::plain_words(&text)).map_err(|e| {
                tracing::error!("embedding a claim: {e}");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "embedding the claim failed".into())
            })?),
            _ => None,
        };
        Ok(shared.index.stories_like_text(&story, &text, vector.as_deref(), limit)?)
    })
    .await??;
    let stories = with_rows(s, found).await?;
    Ok(Some(SimilarToClaimResponse { claim: ClaimRef { id: claim.id, story_id: claim.story_id, text: claim.text }, mode, stories }))
}

/// Reads the `limit` parameter of a "more like this" (1-50, default 10); anything else is a 400.
fn similar_limit(raw: Option<&str>) -> Result<usize, ApiError> {
    let mut limit = 10;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match &*k {
            "limit" => limit = v.parse::<usize>().ok().filter(|n| (1..=50).contains(n)).ok_or_else(|| bad_request(format!("parameter limit: {v:?} is not a whole number from 1 to 50")))?,
            other => return Err(bad_request(format!("unknown parameter {other:?} (limit)"))),
        }
    }
    Ok(limit)
}

/// Stories like this claim ("more like this"): other stories whose articles say something like
/// its wording, by meaning where the index holds article vectors and the model is loaded (the
/// wording embedded), fused with its words; one article per story, the claim's own story left out.
#[utoipa::path(get, path = "/api/claims/{id}/similar",
    params(
        ("id" = String, Path, description = "Claim id (an aligned claim's, as `/api/stories/{id}` lists them)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 50, description = "At most this many stories, 1-50 (default 10)")
    ),
    responses((status = 200, body = SimilarToClaimResponse),
        (status = 400, body = ErrorBody, description = "A parameter breaks the rules above"), (status = 404, body = ErrorBody, description = "No claim of this id"),
        (status = 503, body = ErrorBody, description = "The search index is empty while the store holds articles")))]
pub(crate) async fn api_claim_similar(State(s): State<Shared>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Json<SimilarToClaimResponse>, ApiError> {
    let limit = similar_limit(raw.as_deref())?;
    similar_to_claim(&s, &id, limit).await?.map(Json).ok_or_else(|| not_found("claim", &id))
}

/// The page of stories like a claim: the claim (linked back to its row on its story's page),
/// then the stories, each with its article most like the claim.
pub(crate) async fn page_claim_similar(State(s): State<Shared>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Html<String>, ApiError> {
    use crate::html::{escape, page};
    let limit = similar_limit(raw.as_deref())?;
    let r = similar_to_claim(&s, &id, limit).await?.ok_or_else(|| not_found("claim", &id))?;
    let c = &r.claim;
    let mut html = format!(
        "<h1>Like this claim</h1><blockquote class=\"card claim\">{}</blockquote><p class=\"meta\"><a href=\"/stories/{}#claim-{}\">its story</a> · ranked {}</p><section class=\"card similar\" data-mode=\"{}\"><h2>Stories saying something like it</h2><ul>",
        escape(&c.text),
        escape(&c.story_id),
        escape(&c.id),
        r.mode,
        r.mode
    );
    for st in &r.stories {
        html.push_str(&format!(
            "<li><a href=\"/stories/{}\">{}</a> <span class=\"meta\">{} article(s) · {}</span><br><span class=\"meta\">{} — <a href=\"/articles/{}\">{}</a></span></li>",
            escape(&st.id),
            escape(&st.title),
            st.article_count,
            escape(&st.outlets.join(", ")),
            escape(&st.article.outlet),
            escape(&st.article.id),
            escape(&st.article.title)
        ));
    }
    if r.stories.is_empty() {
        html.push_str("<li class=\"meta\">None found.</li>");
    }
    html.push_str("</ul></section>");
    Ok(page("Like this claim", &html))
}
