//! The desk's lists and exports: `/api/stories` paged, sorted and filtered by
//! claim status, and the CSV exports (`/api/stories.csv`, `/api/claims.csv`,
//! `/api/stories/{id}/claims.csv`, `/api/articles.csv`). The feed (`/`) reads
//! its parameters with the same rules ([`DeskParams`]).

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use dossier_brief::desk::{self, Sort, StoryRow};
use dossier_brief::export;
use dossier_model::{ClaimStatus, StatusCounts};
use dossier_store::Store;
use serde::Serialize;

use crate::{bad_request, moved, not_found, read, ApiError, ErrorBody, Shared};

/// The most stories one page of `/api/stories` or the feed holds.
pub const MAX_PAGE: usize = 500;
/// The most rows one CSV export holds.
pub const MAX_EXPORT: usize = 100_000;

/// How a list of stories is asked for: its order, the statuses its stories must carry, and the page.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskParams {
    pub sort: Sort,
    pub has: Vec<ClaimStatus>,
    pub limit: usize,
    pub offset: usize,
}

impl DeskParams {
    /// Reads `sort`, `has`, `limit` (1 to `max_limit`) and `offset` from a query string; any
    /// other parameter is refused unless `others` names it (those are passed to `other`).
    pub fn parse(raw: Option<&str>, default_sort: Sort, default_limit: usize, max_limit: usize, others: &[&str], mut other: impl FnMut(&str, &str) -> Result<(), ApiError>) -> Result<Self, ApiError> {
        let mut p = DeskParams { sort: default_sort, has: vec![], limit: default_limit, offset: 0 };
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
            let number = |min: usize, max: usize| -> Result<usize, ApiError> {
                v.parse::<usize>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| bad_request(format!("parameter {k}: {v:?} is not a whole number from {min} to {max}")))
            };
            match &*k {
                "sort" => p.sort = Sort::parse(&v).map_err(|e| bad_request(format!("parameter sort: {e}")))?,
                "has" => {
                    let s = desk::parse_status(&v).map_err(|e| bad_request(format!("parameter has: {e}")))?;
                    if !p.has.contains(&s) {
                        p.has.push(s);
                    }
                }
                "limit" => p.limit = number(1, max_limit)?,
                "offset" => p.offset = number(0, MAX_EXPORT)?,
                k if others.contains(&k) => other(k, &v)?,
                k => {
                    let known: Vec<&str> = ["sort", "has", "limit", "offset"].into_iter().chain(others.iter().copied()).collect();
                    return Err(bad_request(format!("unknown parameter {k:?} ({})", known.join(", "))));
                }
            }
        }
        Ok(p)
    }

    /// The query string of these parameters, at another offset (for a page's links).
    pub fn query(&self, offset: usize, default_sort: Sort, default_limit: usize) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if self.sort != default_sort {
            q.append_pair("sort", self.sort.name());
        }
        for s in &self.has {
            q.append_pair("has", s.name());
        }
        if self.limit != default_limit {
            q.append_pair("limit", &self.limit.to_string());
        }
        if offset > 0 {
            q.append_pair("offset", &offset.to_string());
        }
        q.finish()
    }
}

/// The stories that match, in order, and how many matched in all.
pub struct DeskPage {
    pub rows: Vec<StoryRow>,
    pub total: usize,
}

/// Reads the desk (stories and their status counts, in one snapshot) and cuts the page asked for.
pub async fn desk_page(s: &Shared, p: &DeskParams) -> Result<DeskPage, ApiError> {
    let (stories, counts) = read(s, |store| Ok(dossier_store::snapshot(store, |st| Ok((st.stories()?, st.claim_status_counts()?)))?)).await?;
    let rows = desk::arrange(stories, &counts, p.sort, &p.has);
    let total = rows.len();
    Ok(DeskPage { rows: rows.into_iter().skip(p.offset).take(p.limit).collect(), total })
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
    /// How many of its aligned claims have each status.
    pub claims: StatusCounts,
}

impl From<StoryRow> for StorySummary {
    fn from(r: StoryRow) -> Self {
        let s = r.story;
        StorySummary {
            independent_reports: s.article_ids.len().saturating_sub(s.copies.len()),
            copies: s.copies.len(),
            article_count: s.article_ids.len(),
            id: s.id,
            title: s.title,
            outlets: s.outlets,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
            entities: s.entities,
            claims: r.claims,
        }
    }
}

/// One page of stories.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StoriesResponse {
    pub stories: Vec<StorySummary>,
    /// Stories that match the filters, on all pages.
    pub total: usize,
    pub offset: usize,
    pub limit: usize,
    /// The `offset` of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
}

const SORT_DOC: &str = "Order: rank (breadth of independent coverage fading with age; the feed's), size (most articles, then most recent), recent (latest report), outlets, contested, corroborated (most claims of that status). Ties go to the story id, so pages neither repeat nor skip a story.";

/// Stories with their claim statuses counted, a page at a time; sorted, and filtered by the statuses they carry.
#[utoipa::path(get, path = "/api/stories",
    params(
        ("sort" = Option<SortParam>, Query, description = SORT_DOC),
        ("has" = Option<Vec<StatusParam>>, Query, description = "Only stories carrying a claim of each of these statuses (repeatable: has=contested&has=corroborated means both)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Stories per page, 1-500 (default 100)"),
        ("offset" = Option<u32>, Query, minimum = 0, maximum = 100000, description = "Stories to skip, 0-100000 (default 0); `next_offset` of the answer gives the next page's")
    ),
    responses((status = 200, body = StoriesResponse), (status = 400, body = ErrorBody, description = "A parameter is unknown or breaks the rules above; the message lists the valid values"), (status = 500, body = ErrorBody)))]
pub async fn api_stories(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Json<StoriesResponse>, ApiError> {
    let p = DeskParams::parse(raw.as_deref(), Sort::Size, 100, MAX_PAGE, &[], |_, _| Ok(()))?;
    let page = desk_page(&s, &p).await?;
    let next_offset = Some(p.offset + page.rows.len()).filter(|n| *n < page.total && !page.rows.is_empty());
    Ok(Json(StoriesResponse { stories: page.rows.into_iter().map(StorySummary::from).collect(), total: page.total, offset: p.offset, limit: p.limit, next_offset }))
}

/// A sort of the story lists (documented for the OpenAPI document; parsed by [`Sort::parse`]).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum SortParam {
    Rank,
    Size,
    Recent,
    Outlets,
    Contested,
    Corroborated,
}

/// A claim status as filters take it ([`ClaimStatus::parse`] also takes `single-source`).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum StatusParam {
    Contested,
    Corroborated,
    SingleSource,
    Unattributed,
}

/// A CSV answer, downloaded as `filename`.
fn csv_response(filename: &str, body: Vec<u8>) -> Response {
    let safe: String = filename.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{safe}\""))], body).into_response()
}

fn csv_error(e: csv::Error) -> ApiError {
    tracing::error!("csv: {e}");
    ApiError(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
}

/// The stories export: a row per story (the filters and order of `/api/stories`), with its claims counted by status.
#[utoipa::path(get, path = "/api/stories.csv",
    params(
        ("sort" = Option<SortParam>, Query, description = SORT_DOC),
        ("has" = Option<Vec<StatusParam>>, Query, description = "Only stories carrying a claim of each of these statuses (repeatable)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100000, description = "At most this many rows, 1-100000 (default 100000)"),
        ("offset" = Option<u32>, Query, minimum = 0, maximum = 100000, description = "Stories to skip, 0-100000 (default 0)")
    ),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "Header story_id,title,outlet_count,outlets,articles,independent_reports,copies,first_seen,last_seen,contested,corroborated,single_source,unattributed,entities,continues; a cell that would start a formula (= + - @) begins with '",
            headers(("Content-Disposition" = String, description = "attachment; filename=\"dossier-stories.csv\""))),
        (status = 400, body = ErrorBody, description = "A parameter is unknown or breaks the rules above; the message lists the valid values")))]
pub async fn stories_csv(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let p = DeskParams::parse(raw.as_deref(), Sort::Size, MAX_EXPORT, MAX_EXPORT, &[], |_, _| Ok(()))?;
    let page = desk_page(&s, &p).await?;
    let mut out = Vec::new();
    export::write_stories(&mut out, &page.rows).map_err(csv_error)?;
    Ok(csv_response("dossier-stories.csv", out))
}

/// Writes the claims of these stories (in this order) as CSV, those of `statuses` only when given.
fn claims_csv_of(store: &dyn Store, story_ids: &[String], statuses: &[ClaimStatus]) -> Result<Vec<u8>, ApiError> {
    let mut claims = Vec::new();
    let mut articles = Vec::new();
    dossier_store::snapshot(store, |store| {
        for id in story_ids {
            let Some(story) = store.story(id)? else { continue };
            let mut cs = store.aligned_claims(id)?;
            cs.retain(|c| statuses.is_empty() || statuses.contains(&c.status));
            if !cs.is_empty() {
                articles.push(store.article_summaries(&story.article_ids)?);
                claims.push(cs);
            }
        }
        Ok(())
    })?;
    let rows = claims.iter().zip(&articles).flat_map(|(cs, arts)| export::claim_rows(cs, arts));
    let mut out = Vec::new();
    export::write_claims(&mut out, rows).map_err(csv_error)?;
    Ok(out)
}

fn statuses_param(k: &str, v: &str, into: &mut Vec<ClaimStatus>) -> Result<(), ApiError> {
    let s = desk::parse_status(v).map_err(|e| bad_request(format!("parameter {k}: {e}")))?;
    if !into.contains(&s) {
        into.push(s);
    }
    Ok(())
}

const CLAIMS_CSV_DOC: &str = "Header story_id,claim_id,claim,status,outlets,sources,first_outlet,first_seen,cited_articles,conflict,checkworthiness (lists joined with \"; \"; first_seen: when the first outlet published it); a cell that would start a formula (= + - @) begins with '";

/// The desk's claims export: a row per aligned claim of the stories chosen as in `/api/stories.csv`.
#[utoipa::path(get, path = "/api/claims.csv",
    params(
        ("status" = Option<Vec<StatusParam>>, Query, description = "Only claims of these statuses (repeatable: either)"),
        ("sort" = Option<SortParam>, Query, description = SORT_DOC),
        ("has" = Option<Vec<StatusParam>>, Query, description = "Only stories carrying a claim of each of these statuses (repeatable)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100000, description = "The claims of at most this many stories, 1-100000 (default 100000)"),
        ("offset" = Option<u32>, Query, minimum = 0, maximum = 100000, description = "Stories to skip, 0-100000 (default 0)")
    ),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = CLAIMS_CSV_DOC, headers(("Content-Disposition" = String, description = "attachment; filename=\"dossier-claims.csv\""))),
        (status = 400, body = ErrorBody, description = "A parameter is unknown or breaks the rules above; the message lists the valid values")))]
pub async fn claims_csv(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let mut statuses = Vec::new();
    let p = DeskParams::parse(raw.as_deref(), Sort::Size, MAX_EXPORT, MAX_EXPORT, &["status"], |k, v| statuses_param(k, v, &mut statuses))?;
    let ids: Vec<String> = desk_page(&s, &p).await?.rows.into_iter().map(|r| r.story.id).collect();
    let out = read(&s, move |store| claims_csv_of(store, &ids, &statuses)).await?;
    Ok(csv_response("dossier-claims.csv", out))
}

/// A story's claims export (a merged story's old id redirects to the one it joined).
#[utoipa::path(get, path = "/api/stories/{id}/claims.csv",
    params(("id" = String, Path, description = "Story id"), ("status" = Option<Vec<StatusParam>>, Query, description = "Only claims of these statuses (repeatable: either)")),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = CLAIMS_CSV_DOC, headers(("Content-Disposition" = String, description = "attachment; filename=\"dossier-claims-ID.csv\""))),
        (status = 308, description = "The story was merged into another: Location is that story's claims.csv"),
        (status = 400, body = ErrorBody, description = "A parameter is unknown, or `status` names no status (the message lists the valid ones)"),
        (status = 404, body = ErrorBody)))]
pub async fn story_claims_csv(State(s): State<Shared>, Path(id): Path<String>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let mut statuses = Vec::new();
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match &*k {
            "status" => statuses_param(&k, &v, &mut statuses)?,
            other => return Err(bad_request(format!("unknown parameter {other:?} (status)"))),
        }
    }
    let key = id.clone();
    let found = read(&s, move |store| Ok(if store.story(&key)?.is_some() { Ok(key) } else { Err(store.story_alias(&key)?) })).await?;
    let id = match found {
        Ok(id) => id,
        Err(Some(to)) => return Ok(moved(&format!("/api/stories/{to}/claims.csv"))),
        Err(None) => return Err(not_found("story", &id)),
    };
    let ids = vec![id.clone()];
    let out = read(&s, move |store| claims_csv_of(store, &ids, &statuses)).await?;
    Ok(csv_response(&format!("dossier-claims-{id}.csv"), out))
}

/// The articles export: a row per stored article (oldest first), with its story and the article it copies.
#[utoipa::path(get, path = "/api/articles.csv",
    params(("story" = Option<String>, Query, description = "Only this story's articles (a merged story's old id works too)")),
    responses(
        (status = 200, content_type = "text/csv", body = String, description = "Header article_id,story_id,outlet,title,url,published,kind,copy_of; a cell that would start a formula (= + - @) begins with '",
            headers(("Content-Disposition" = String, description = "attachment; filename=\"dossier-articles.csv\""))),
        (status = 400, body = ErrorBody, description = "A parameter is unknown"),
        (status = 404, body = ErrorBody, description = "No such story")))]
pub async fn articles_csv(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let mut story = None;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match &*k {
            "story" => story = Some(v.into_owned()),
            other => return Err(bad_request(format!("unknown parameter {other:?} (story)"))),
        }
    }
    let out = read(&s, move |store| dossier_store::snapshot(store, |store| Ok(articles_csv_of(store, story.as_deref())))?).await?;
    Ok(csv_response("dossier-articles.csv", out))
}

fn articles_csv_of(store: &dyn Store, story: Option<&str>) -> Result<Vec<u8>, ApiError> {
    let (stories, ids) = match story {
        Some(key) => {
            let id = store.story_alias(key)?.unwrap_or_else(|| key.to_string());
            let s = store.story(&id)?.ok_or_else(|| not_found("story", key))?;
            let ids = s.article_ids.clone();
            (vec![s], ids)
        }
        None => (store.stories()?, store.article_hashes()?.into_iter().map(|(id, _)| id).collect()),
    };
    let mut articles = store.article_summaries(&ids)?;
    articles.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    let rows = export::article_rows(&stories, &articles);
    let mut out = Vec::new();
    export::write_articles(&mut out, rows).map_err(csv_error)?;
    Ok(out)
}
