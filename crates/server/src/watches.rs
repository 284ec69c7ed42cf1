//! Saved watches over HTTP: `/api/watches` (list, add, one with its alerts, remove),
//! each watch's Atom feed, and the background task that evaluates the watches against
//! the change log and delivers their webhooks while the server runs.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use dossier_alerts::webhook;
use dossier_model::{Alert, Watch, WatchKind};
use serde::{Deserialize, Serialize};

use crate::live::{require_ingest_token, Change};
use crate::{bad_request, not_found, read, ApiError, ErrorBody, Shared};

/// Most alerts `GET /api/watches/{id}` and the feed give.
const RECENT: usize = 100;

/// A new watch.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWatchBody {
    pub kind: WatchKind,
    /// The entity, outlet, query, story id or claim id to follow (1-500 characters).
    #[schema(min_length = 1, max_length = 500)]
    pub target: String,
    /// An http(s) URL to POST each alert to, signed (`X-Dossier-Signature`).
    #[schema(max_length = 2000)]
    pub webhook: Option<String>,
}

/// The watches.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WatchesResponse {
    /// Oldest first; secrets are never shown after creation.
    pub watches: Vec<Watch>,
}

/// One watch and its most recent alerts (newest first), each with its webhook delivery.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WatchResponse {
    pub watch: Watch,
    pub alerts: Vec<Alert>,
}

fn hide(mut w: Watch) -> Watch {
    w.secret.clear();
    w
}

/// Saved watches, oldest first.
#[utoipa::path(get, path = "/api/watches", responses((status = 200, body = WatchesResponse), (status = 500, body = ErrorBody)))]
pub async fn list(State(s): State<Shared>) -> Result<Json<WatchesResponse>, ApiError> {
    let watches = read(&s, |store| Ok(store.watches()?)).await?;
    Ok(Json(WatchesResponse { watches: watches.into_iter().map(hide).collect() }))
}

/// Saves a watch: it alerts on changes from now on. The answer holds the webhook
/// secret, the only time it is shown. Needs `Authorization: Bearer <ingest token>`.
#[utoipa::path(post, path = "/api/watches", request_body = NewWatchBody,
    responses((status = 201, body = Watch, description = "The watch, with its secret"), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn add(State(s): State<Shared>, headers: HeaderMap, body: axum::body::Bytes) -> Result<Response, ApiError> {
    require_ingest_token(&s, &headers, "POST /api/watches")?;
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if !content_type.starts_with("application/json") {
        return Err(ApiError(StatusCode::UNSUPPORTED_MEDIA_TYPE, format!("Content-Type {content_type:?}: send application/json")));
    }
    let new: NewWatchBody = serde_json::from_slice(&body).map_err(|e| bad_request(format!("body: {e}")))?;
    let state = s.clone();
    let watch = tokio::task::spawn_blocking(move || {
        state.stores.write(|store| dossier_alerts::add_watch(store, dossier_alerts::NewWatch { kind: new.kind, target: new.target, webhook: new.webhook }, Utc::now()))
    })
    .await??
    .map_err(|e| match e {
        dossier_alerts::Error::Invalid(m) => ApiError(StatusCode::UNPROCESSABLE_ENTITY, m),
        dossier_alerts::Error::Store(e) => e.into(),
    })?;
    Ok((StatusCode::CREATED, Json(watch)).into_response())
}

/// One watch with its most recent alerts and their webhook deliveries (state, attempts, last error).
#[utoipa::path(get, path = "/api/watches/{id}", params(("id" = String, Path, description = "Watch id")),
    responses((status = 200, body = WatchResponse), (status = 404, body = ErrorBody)))]
pub async fn one(State(s): State<Shared>, Path(id): Path<String>) -> Result<Json<WatchResponse>, ApiError> {
    let key = id.clone();
    let found = read(&s, move |store| {
        Ok(match store.watch(&key)? {
            Some(w) => Some(WatchResponse { alerts: store.alerts(Some(&w.id), RECENT)?, watch: hide(w) }),
            None => None,
        })
    })
    .await?;
    found.map(Json).ok_or_else(|| not_found("watch", &id))
}

/// Removes a watch and its alerts. Needs `Authorization: Bearer <ingest token>`.
#[utoipa::path(delete, path = "/api/watches/{id}", params(("id" = String, Path, description = "Watch id")),
    responses((status = 204, description = "Removed"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn remove(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Result<StatusCode, ApiError> {
    require_ingest_token(&s, &headers, "DELETE /api/watches/{id}")?;
    let (state, key) = (s.clone(), id.clone());
    let removed = tokio::task::spawn_blocking(move || state.stores.write(|store| store.remove_watch(&key))).await???;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(not_found("watch", &id))
    }
}

/// A watch's alerts as an Atom feed, newest first.
#[utoipa::path(get, path = "/api/watches/{id}/feed.atom", params(("id" = String, Path, description = "Watch id")),
    responses((status = 200, description = "An Atom feed (RFC 4287)", content_type = "application/atom+xml", body = String), (status = 404, body = ErrorBody)))]
pub async fn feed(State(s): State<Shared>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let key = id.clone();
    let found = read(&s, move |store| {
        Ok(match store.watch(&key)? {
            Some(w) => Some((store.alerts(Some(&w.id), RECENT)?, w)),
            None => None,
        })
    })
    .await?;
    let (alerts, watch) = found.ok_or_else(|| not_found("watch", &id))?;
    let xml = dossier_alerts::atom::feed(&watch, &alerts, &format!("/api/watches/{}/feed.atom", watch.id));
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

/// While the server runs: evaluates the watches (every two seconds, or at once after
/// this server's ingest), announces new alerts on `/api/events`, and delivers the
/// webhooks that are due. Each step is its own transaction; an error is logged and
/// the next round tries again.
pub async fn run(s: Shared) {
    let fetcher = match dossier_fetch::Fetcher::new(s.options.deliver.fetch.clone()) {
        Ok(f) => f,
        Err(e) => return tracing::error!("webhooks: {e}; no alerts are evaluated or delivered"),
    };
    loop {
        if let Err(e) = round(&s, &fetcher).await {
            tracing::warn!("alerts: {e}");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
            _ = s.alerts_poke.notified() => {}
        }
    }
}

async fn round(s: &Shared, fetcher: &dossier_fetch::Fetcher) -> Result<(), String> {
    let cfg = s.options.deliver.clone();
    let state = s.clone();
    let (new, jobs) = tokio::task::spawn_blocking(move || {
        state.stores.write(|store| -> dossier_alerts::Result<_> {
            if store.watches()?.is_empty() {
                return Ok((vec![], vec![]));
            }
            let new = dossier_alerts::evaluate(store, Utc::now())?;
            Ok((new, webhook::take_due(store, &cfg, Utc::now())?))
        })
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    for alert in new {
        let _ = s.changes.send(Change::Alert { alert });
    }
    for job in jobs {
        let outcome = webhook::post(fetcher, &job).await;
        if let Err((e, _)) = &outcome {
            tracing::warn!("webhook of alert {}: {e}", job.alert.id);
        }
        let (state, cfg) = (s.clone(), s.options.deliver.clone());
        tokio::task::spawn_blocking(move || state.stores.write(|store| webhook::finish(store, &cfg, job, outcome, Utc::now())))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The watch form's fields (`POST /watches`, form-encoded).
#[derive(Debug, Deserialize)]
pub struct WatchForm {
    kind: String,
    target: String,
    #[serde(default)]
    webhook: String,
    /// The ingest token, typed into the form: writing needs it, and a page on another
    /// site cannot post a watch without knowing it.
    token: String,
}

/// Saves a watch from the watches page's form, with the ingest token typed in; then back
/// to the page at the new watch (or, with a webhook, a page showing its secret once).
pub async fn add_from_form(State(s): State<Shared>, axum::Form(f): axum::Form<WatchForm>) -> Result<Response, ApiError> {
    use crate::html::escape;
    let Some(want) = s.options.ingest_token.as_deref() else {
        return Err(ApiError(StatusCode::FORBIDDEN, "saving watches is disabled: start `dossier serve` with an ingest token ($DOSSIER_INGEST_TOKEN)".into()));
    };
    // Not 401: that answer carries the read-token login form, which is another token.
    if !crate::live::same(f.token.trim(), want) {
        return Err(ApiError(StatusCode::FORBIDDEN, "that is not the ingest token: saving a watch needs it".into()));
    }
    let kind = WatchKind::parse(f.kind.trim()).ok_or_else(|| {
        let valid: Vec<&str> = WatchKind::ALL.iter().map(|k| k.as_str()).collect();
        bad_request(format!("kind: {:?} is not one of {}", f.kind, valid.join(", ")))
    })?;
    let webhook = Some(f.webhook.trim().to_string()).filter(|w| !w.is_empty());
    let state = s.clone();
    let new = dossier_alerts::NewWatch { kind, target: f.target.trim().to_string(), webhook };
    let watch = tokio::task::spawn_blocking(move || state.stores.write(|store| dossier_alerts::add_watch(store, new, Utc::now()))).await??.map_err(|e| match e {
        dossier_alerts::Error::Invalid(m) => ApiError(StatusCode::UNPROCESSABLE_ENTITY, m),
        dossier_alerts::Error::Store(e) => e.into(),
    })?;
    if watch.webhook.is_none() {
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, format!("/watches#watch-{}", watch.id))]).into_response());
    }
    let body = format!(
        "<h1>Watch saved</h1><section class=\"card\"><p>{} {} · watch {}</p><p>Its webhook's secret, shown only now (each POST is signed with it in <code>X-Dossier-Signature</code>):</p><p><code class=\"secret\">{}</code></p><p><a href=\"/watches#watch-{}\">Back to the watches</a></p></section>",
        escape(watch.kind.as_str()),
        escape(&watch.target),
        escape(&watch.id),
        escape(&watch.secret),
        escape(&watch.id)
    );
    Ok((StatusCode::CREATED, crate::html::page("Watch saved", &body)).into_response())
}

/// The form that saves a watch (the ingest token is typed in, never stored by the page).
fn watch_form() -> String {
    let kinds: String = WatchKind::ALL.iter().map(|k| format!("<option value=\"{0}\">{0}</option>", k.as_str())).collect();
    format!(
        "<section class=\"card\"><h2>New watch</h2><form class=\"watch\" method=\"post\" action=\"/watches\"><select name=\"kind\" aria-label=\"Follow\">{kinds}</select> <input name=\"target\" required maxlength=\"500\" placeholder=\"entity, outlet, query, story or claim id\" aria-label=\"What to follow\"> <input name=\"webhook\" type=\"url\" maxlength=\"2000\" placeholder=\"webhook URL (optional)\" aria-label=\"Webhook URL\"> <input name=\"token\" type=\"password\" required autocomplete=\"off\" placeholder=\"ingest token\" aria-label=\"Ingest token\"> <button type=\"submit\">Watch</button></form></section>"
    )
}

/// Where an alert leads: its claim's row on the story page when the claim is still there.
fn alert_href(a: &Alert) -> String {
    match (&a.claim_id, a.kind) {
        (Some(c), k) if k != dossier_model::AlertKind::ClaimRemoved => crate::changes::claim_href(&a.story_id, c),
        _ => format!("/stories/{}", url::form_urlencoded::byte_serialize(a.story_id.as_bytes()).collect::<String>()),
    }
}

/// The watches page: each watch, its webhook's deliveries, and its recent alerts linked to their stories.
pub async fn page(State(s): State<Shared>) -> Result<axum::response::Html<String>, ApiError> {
    use crate::html::escape;
    let all = read(&s, |store| {
        let mut out = Vec::new();
        for w in store.watches()? {
            let alerts = store.alerts(Some(&w.id), 20)?;
            out.push((w, alerts));
        }
        Ok(out)
    })
    .await?;
    let mut body = String::from("<h1>Watches</h1>");
    body.push_str(&watch_form());
    if all.is_empty() {
        body.push_str("<p class=\"meta\">No watches yet: <code>dossier alerts add --entity NAME</code>, or POST /api/watches.</p>");
    }
    for (w, alerts) in &all {
        body.push_str(&format!(
            "<section class=\"card watch\" id=\"watch-{}\"><div class=\"title\">{} {}</div><div class=\"meta\">watch {} · up to change {} · <a href=\"/api/watches/{}/feed.atom\">Atom feed</a></div>",
            escape(&w.id),
            escape(w.kind.as_str()),
            escape(&w.target),
            escape(&w.id),
            w.cursor,
            escape(&w.id)
        ));
        if let Some(url) = &w.webhook {
            body.push_str(&format!("<div class=\"meta\">webhook {}</div>", escape(url)));
        }
        body.push_str("<ul>");
        for a in alerts {
            let delivery = a.delivery.as_ref().map_or(String::new(), |d| {
                let error = d.last_error.as_deref().map_or(String::new(), |e| format!(", last error: {}", escape(e)));
                format!(" <span class=\"meta delivery\">webhook {} after {} attempt(s){error}</span>", d.state.as_str(), d.attempts)
            });
            body.push_str(&format!(
                "<li class=\"alert\"><span class=\"meta\">{} · {}</span> <a href=\"{}\">{}</a>{}{delivery}</li>",
                a.at.format("%Y-%m-%d %H:%M"),
                escape(dossier_alerts::atom::label(a.kind)),
                escape(&alert_href(a)),
                escape(&a.text),
                a.outlet.as_deref().map_or(String::new(), |o| format!(" <span class=\"meta\">({})</span>", escape(o)))
            ));
        }
        if alerts.is_empty() {
            body.push_str("<li class=\"meta\">No alerts yet.</li>");
        }
        body.push_str("</ul></section>");
    }
    Ok(crate::html::page("Watches", &body))
}
