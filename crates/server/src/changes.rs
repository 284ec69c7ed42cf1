//! What changed: the change log as JSON (`/api/changes`), as the "since your last
//! visit" page (`/changes`, across the desk or one story's), and as the story page's
//! "What changed" section. Each change is cited to the articles and claims behind it.
//!
//! The page is rendered with minijinja templates (`templates/`), which escape every
//! value by construction. The browser remembers the last change it showed (in
//! `localStorage`, by a small inline script allowed by its hash); without scripts the
//! page works from `?since=`.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use dossier_model::{ChangeEntry, ChangeKind, Since};
use dossier_store::Store;
use minijinja::Environment;
use serde::Serialize;

use crate::{bad_request, read, ApiError, ErrorBody, Shared};

/// The change log read back: what changed after `since`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChangesResponse {
    pub changes: Vec<ChangeEntry>,
    /// The last sequence number in the log: pass it as `since` next time.
    pub last: i64,
}

const SINCE_DOC: &str = "Entries after this sequence number (default 0), or written at or after this time: an RFC 3339 time (2025-06-22T12:00:00Z) or a date (2025-06-22, midnight UTC)";

/// The query the API and the page share.
struct ChangesQuery {
    since: Option<Since>,
    /// `since` as given (the page shows it back).
    since_given: String,
    story: Option<String>,
    limit: usize,
}

/// Reads `since`, `story` and `limit`; the error names the parameter and what it accepts.
/// An empty `since` is no `since` for the page's form, a 400 for the API.
fn parse_query(raw: Option<String>, default_limit: usize, empty_since_ok: bool) -> Result<ChangesQuery, ApiError> {
    let mut q = ChangesQuery { since: None, since_given: String::new(), story: None, limit: default_limit };
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "since" if v.trim().is_empty() && empty_since_ok => {}
            "since" => {
                q.since = Some(Since::parse(&v).map_err(|e| bad_request(format!("since: {e}")))?);
                q.since_given = v.trim().to_string();
            }
            "story" => q.story = Some(v.into_owned()),
            "limit" => q.limit = v.parse::<usize>().ok().filter(|n| (1..=5000).contains(n)).ok_or_else(|| bad_request(format!("limit: {v:?} is not a whole number from 1 to 5000")))?,
            other => return Err(bad_request(format!("unknown parameter {other:?} (since, story, limit)"))),
        }
    }
    Ok(q)
}

/// The sequence number to read after: a time becomes the last entry written before it.
fn resolve(store: &dyn Store, since: Since) -> Result<i64, ApiError> {
    Ok(match since {
        Since::Seq(n) => n,
        Since::Time(t) => store.last_change_before(t)?,
    })
}

/// What changed since a sequence number or a time, from the change log: stories created,
/// articles joined, merges, claims added, removed, corrected or changed status, briefs rewritten.
#[utoipa::path(get, path = "/api/changes",
    params(
        ("since" = Option<crate::schema::SinceParam>, Query, description = SINCE_DOC),
        ("story" = Option<String>, Query, description = "Only this story's entries (an old id of a merged story works too)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 5000, description = "At most this many entries, 1-5000 (default 500)")
    ),
    responses((status = 200, body = ChangesResponse), (status = 400, body = ErrorBody, description = "A parameter is unknown or breaks the rules above; the message says what is valid")))]
pub async fn api_changes(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Json<ChangesResponse>, ApiError> {
    let q = parse_query(raw, 500, false)?;
    let r = read(&s, move |store| {
        let since = q.since.map(|x| resolve(store, x)).transpose()?.unwrap_or(0);
        Ok(ChangesResponse { changes: store.changes(since, q.story.as_deref(), q.limit)?, last: store.last_change()? })
    })
    .await?;
    Ok(Json(r))
}

/// Remembers, per browser, the last change the page showed; a visit without `?since=`
/// comes back to the changes after it. Only ever moves the mark forward.
const LAST_VISIT_JS: &str = r#"(function(){var s=document.getElementById("changes");if(!s)return;var k="dossier.seen"+(s.dataset.story?"."+s.dataset.story:""),v=null;try{v=localStorage.getItem(k)}catch(e){return}if(!s.dataset.since&&v&&/^\d+$/.test(v)){var q=new URLSearchParams(location.search);q.set("since",v);location.replace("/changes?"+q.toString());return}if(!v||!/^\d+$/.test(v)||+s.dataset.seen>+v){try{localStorage.setItem(k,s.dataset.seen)}catch(e){}}})();"#;

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut e = Environment::new();
        // `.html` names: every value is HTML-escaped unless marked safe.
        for (name, source) in [
            ("base.html", include_str!("../templates/base.html")),
            ("change_list.html", include_str!("../templates/change_list.html")),
            ("changes.html", include_str!("../templates/changes.html")),
            ("story_changes.html", include_str!("../templates/story_changes.html")),
        ] {
            e.add_template(name, source).expect("the page templates parse");
        }
        e
    })
}

fn render(name: &str, ctx: impl Serialize) -> Result<String, ApiError> {
    env().get_template(name).and_then(|t| t.render(minijinja::value::Serde(&ctx))).map_err(|e| {
        tracing::error!("template {name}: {e:#}");
        ApiError(axum::http::StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
    })
}

fn url_part(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Where a claim is shown: its row in the story page's claim matrix.
pub fn claim_href(story_id: &str, claim_id: &str) -> String {
    format!("/stories/{}#claim-{}", url_part(story_id), url_part(claim_id))
}

#[derive(Serialize)]
struct Link {
    href: String,
    title: String,
}

#[derive(Serialize)]
struct Cite {
    href: String,
    outlet: String,
    title: String,
}

/// One change as the page shows it.
#[derive(Serialize)]
struct EntryView {
    seq: i64,
    at: String,
    kind: &'static str,
    label: &'static str,
    text: String,
    was: Option<String>,
    status: Option<String>,
    claim_href: Option<String>,
    other: Option<Link>,
    other_label: &'static str,
    cites: Vec<Cite>,
}

/// One story's changes on the page.
#[derive(Serialize)]
struct Group {
    id: String,
    href: String,
    title: String,
    summary: String,
    entries: Vec<EntryView>,
}

/// What the entries point at, read once per page: stories' titles (through merges) and cited articles.
struct Lookups {
    story: HashMap<String, (String, String)>,
    article: HashMap<String, (String, String)>,
}

impl Lookups {
    fn read(store: &dyn Store, entries: &[ChangeEntry]) -> Result<Lookups, ApiError> {
        let mut story = HashMap::new();
        for id in entries.iter().flat_map(|e| std::iter::once(&e.story_id).chain(e.other_story_id.as_ref())) {
            if story.contains_key(id) {
                continue;
            }
            // A merged-away story is shown as the story it is part of now.
            let now = store.story_alias(id)?.unwrap_or_else(|| id.clone());
            let title = store.story(&now)?.map(|s| s.title).unwrap_or_else(|| id.clone());
            story.insert(id.clone(), (now, title));
        }
        let mut ids: Vec<String> = entries.iter().filter_map(|e| e.article_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let article = store.article_summaries(&ids)?.into_iter().map(|a| (a.id, (a.outlet.name, a.title))).collect();
        Ok(Lookups { story, article })
    }

    fn story(&self, id: &str) -> (String, String) {
        self.story.get(id).cloned().unwrap_or_else(|| (id.to_string(), id.to_string()))
    }
}

fn entry_view(e: &ChangeEntry, look: &Lookups) -> EntryView {
    let (story_now, _) = look.story(&e.story_id);
    let status = match (e.kind, e.from, e.to) {
        (ChangeKind::ClaimStatusChanged | ChangeKind::ClaimCorrected, Some(f), Some(t)) if f != t => Some(format!("{} → {}", f.name(), t.name())),
        (ChangeKind::ClaimRemoved, Some(f), _) | (ChangeKind::ClaimCorrected, Some(f), None) => Some(format!("was {}", f.name())),
        (_, _, Some(t)) => Some(t.name().to_string()),
        _ => None,
    };
    let other = e.other_story_id.as_ref().map(|o| {
        let (now, title) = look.story(o);
        Link { href: format!("/stories/{}", url_part(&now)), title }
    });
    let other_label = if e.kind == ChangeKind::StoryCreated { "follows up" } else { "merged in" };
    // A claim still in the story links to its row there; a claim gone has no row to link to.
    let claim_href = e.claim_id.as_ref().filter(|_| !(e.kind == ChangeKind::ClaimRemoved || (e.kind == ChangeKind::ClaimCorrected && e.to.is_none()))).map(|c| claim_href(&story_now, c));
    let cites = e
        .article_id
        .iter()
        .map(|a| {
            let (outlet, title) = look.article.get(a).cloned().unwrap_or_else(|| (String::new(), a.clone()));
            Cite { href: format!("/articles/{}", url_part(a)), outlet, title }
        })
        .collect();
    // A story's own entries repeat its title as their text: the group heading says it already.
    let text = if matches!(e.kind, ChangeKind::StoryCreated | ChangeKind::ArticleJoined | ChangeKind::StoriesMerged | ChangeKind::BriefChanged) { String::new() } else { e.text.clone() };
    EntryView { seq: e.seq, at: e.at.format("%Y-%m-%d %H:%M UTC").to_string(), kind: e.kind.as_str(), label: e.kind.label(), text, was: e.was.clone(), status, claim_href, other, other_label, cites }
}

/// "3 new claim · 1 correction": what a story's changes add up to.
fn summary(entries: &[&ChangeEntry]) -> String {
    let mut n: BTreeMap<usize, (&str, usize)> = BTreeMap::new();
    for e in entries {
        let i = ChangeKind::ALL.iter().position(|k| *k == e.kind).unwrap_or(0);
        n.entry(i).or_insert((e.kind.label(), 0)).1 += 1;
    }
    n.values().map(|(l, c)| format!("{c} × {l}")).collect::<Vec<_>>().join(" · ")
}

/// The changes grouped by story (as it is now, through merges): the story changed
/// most recently first, each story's changes oldest first.
fn groups(entries: &[ChangeEntry], look: &Lookups) -> Vec<Group> {
    let mut by: Vec<(String, Vec<&ChangeEntry>)> = Vec::new();
    for e in entries {
        let (now, _) = look.story(&e.story_id);
        match by.iter_mut().find(|(id, _)| *id == now) {
            Some((_, v)) => v.push(e),
            None => by.push((now, vec![e])),
        }
    }
    by.sort_by_key(|(_, v)| std::cmp::Reverse(v.last().map_or(0, |e| e.seq)));
    by.into_iter()
        .map(|(id, v)| {
            let title = look.story(&id).1;
            Group { href: format!("/stories/{}", url_part(&id)), summary: summary(&v), entries: v.iter().map(|e| entry_view(e, look)).collect(), title, id }
        })
        .collect()
}

/// How many of the latest changes a first visit (no `since`, nothing remembered) shows.
const FIRST_VISIT: i64 = 200;

#[derive(Serialize)]
struct PageView {
    title: String,
    heading: String,
    style: minijinja::Value,
    script: minijinja::Value,
    since_given: String,
    story_id: String,
    seen: i64,
    window: String,
    groups: Vec<Group>,
    more_href: Option<String>,
    newer_href: Option<String>,
}

fn page_href(story: Option<&str>, since: i64) -> String {
    match story {
        Some(id) => format!("/changes?story={}&since={since}", url_part(id)),
        None => format!("/changes?since={since}"),
    }
}

/// The "since your last visit" page: `?since=` a change number, a time or a date
/// (a 400 page says which forms are valid), or the latest changes on a first visit;
/// `?story=` for one story's. The browser remembers what it has seen.
pub async fn page(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let q = parse_query(raw, 500, true)?;
    let html = read(&s, move |store| dossier_store::snapshot(store, |store| Ok(changes_page(store, &q)))?).await?;
    let csp = format!("default-src 'none'; style-src '{}'; script-src '{}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'", crate::html::style_hash(), script_hash());
    let mut res = Html(html).into_response();
    res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_str(&csp).expect("a CSP is ASCII"));
    Ok(res)
}

fn script_hash() -> String {
    use base64::Engine;
    use sha2::Digest;
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(LAST_VISIT_JS.as_bytes())))
}

fn changes_page(store: &dyn Store, q: &ChangesQuery) -> Result<String, ApiError> {
    let story = match &q.story {
        Some(id) => {
            let now = store.story_alias(id)?.unwrap_or_else(|| id.clone());
            Some(store.story(&now)?.ok_or_else(|| crate::not_found("story", id))?)
        }
        None => None,
    };
    let last = store.last_change()?;
    let after = match q.since {
        Some(x) => resolve(store, x)?,
        None if story.is_some() => 0,
        None => (last - FIRST_VISIT).max(0),
    };
    let entries = store.changes(after, story.as_ref().map(|s| s.id.as_str()), q.limit)?;
    let look = Lookups::read(store, &entries)?;
    // The last change shown is what the browser has seen: a page cut short by `limit` goes on from there.
    let seen = entries.last().map_or(after, |e| e.seq);
    let more = entries.len() == q.limit && seen < last;
    let window = match (q.since, entries.is_empty()) {
        (None, _) if story.is_none() && after > 0 => format!("The latest {} change(s), up to #{seen}: a first visit (or a browser that remembers none) starts here.", entries.len()),
        (Some(Since::Time(t)), _) => format!("{} change(s) written since {} (after #{after}), up to #{seen}.", entries.len(), t.format("%Y-%m-%d %H:%M:%S UTC")),
        (_, true) => format!("No changes after #{after}; the log ends at #{last}."),
        _ => format!("{} change(s) after #{after}, up to #{seen}.", entries.len()),
    };
    let story_id = story.as_ref().map(|s| s.id.clone()).unwrap_or_default();
    let title = match &story {
        Some(s) => format!("Changes: {}", s.title),
        None => "Since your last visit".to_string(),
    };
    let view = PageView {
        heading: title.clone(),
        title,
        style: minijinja::Value::from_safe_string(crate::html::STYLE.to_string()),
        script: minijinja::Value::from_safe_string(LAST_VISIT_JS.to_string()),
        since_given: q.since_given.clone(),
        seen,
        window,
        groups: groups(&entries, &look),
        more_href: more.then(|| page_href(story.as_ref().map(|s| s.id.as_str()), seen)),
        newer_href: (seen > after || q.since.is_none()).then(|| page_href(story.as_ref().map(|s| s.id.as_str()), seen)),
        story_id,
    };
    render("changes.html", view)
}

/// How many of a story's latest changes its page shows.
const STORY_SECTION: usize = 12;

/// The story page's "What changed" section: its latest changes, cited.
pub fn story_section(store: &dyn Store, story_id: &str) -> Result<String, ApiError> {
    let all = store.changes(0, Some(story_id), 5000)?;
    let latest = &all[all.len().saturating_sub(STORY_SECTION)..];
    let look = Lookups::read(store, latest)?;
    #[derive(Serialize)]
    struct View {
        entries: Vec<EntryView>,
        total: usize,
        all_href: String,
    }
    render("story_changes.html", View { entries: latest.iter().map(|e| entry_view(e, &look)).collect(), total: all.len(), all_href: format!("/changes?story={}", url_part(story_id)) })
}
