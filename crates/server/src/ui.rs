//! The analyst's pages beyond the brief: the ranked feed, the claim × outlet
//! matrix and timeline, entity, outlet and search pages, with charts drawn
//! as inline SVG on the server (no scripts, no build step, works on a phone).
//! Everything from articles is escaped.

use std::collections::{BTreeMap, HashMap};

use axum::extract::{Path, RawQuery, State};
use axum::response::Html;
use chrono::{DateTime, Utc};
use dossier_model::{AlignedClaim, Story};
use dossier_search::{parse_date_bound, SearchQuery};
use dossier_store::Store;

use crate::desk::{desk_page, DeskParams, MAX_EXPORT, MAX_PAGE};
use crate::html::{escape, page};
use crate::{bad_request, read, ApiError, Shared};
use dossier_brief::desk::{Sort, StoryRow};
use dossier_model::ClaimStatus;

pub(crate) fn url_part(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn entity_link(name: &str) -> String {
    format!("<a class=\"chip\" href=\"/entities/{}\">{}</a>", url_part(name), escape(name))
}

fn outlet_link(name: &str) -> String {
    format!("<a href=\"/outlets/{}\">{}</a>", url_part(name), escape(name))
}

/// A horizontal bar chart: one labelled bar per value.
pub fn bar_chart(title: &str, rows: &[(String, u64, Option<String>)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let h = 22 * rows.len() + 8;
    let mut svg = format!("<figure class=\"chart\"><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 600 {h}\" width=\"100%\">", escape(title), escape(title));
    for (i, (label, n, href)) in rows.iter().enumerate() {
        let y = 4 + i * 22;
        let w = (*n as f64 / max * 380.0).max(2.0);
        let text = format!("<text x=\"0\" y=\"{}\" class=\"lbl\">{}</text>", y + 15, escape(&label.chars().take(28).collect::<String>()));
        let text = match href {
            Some(h) => format!("<a href=\"{}\">{text}</a>", escape(h)),
            None => text,
        };
        svg.push_str(&format!(
            "{text}<rect class=\"bar\" x=\"200\" y=\"{y}\" width=\"{w:.1}\" height=\"16\" rx=\"3\"><title>{}: {n}</title></rect><text x=\"{:.1}\" y=\"{}\" class=\"num\">{n}</text>",
            escape(label),
            206.0 + w,
            y + 13
        ));
    }
    svg.push_str("</svg></figure>");
    svg
}

/// A column chart of counts per day.
pub fn day_chart(title: &str, per_day: &BTreeMap<chrono::NaiveDate, u64>) -> String {
    let (Some(first), Some(last)) = (per_day.keys().next().copied(), per_day.keys().last().copied()) else {
        return format!("<figure class=\"chart\"><figcaption>{}</figcaption><p class=\"meta\">no dated mentions</p></figure>", escape(title));
    };
    // A year at most, the latest: older days are left off, never the newest.
    let first = first.max(last - chrono::Duration::days(365));
    let days = ((last - first).num_days() + 1).clamp(1, 366) as usize;
    let max = per_day.range(first..).map(|(_, n)| *n).max().unwrap_or(1).max(1) as f64;
    // Bars no wider than 40: a day or two of data should not look like a wall.
    let bw = (580.0 / days as f64).min(40.0);
    let mut svg = format!("<figure class=\"chart\"><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 600 160\" width=\"100%\">", escape(title), escape(title));
    for d in 0..days {
        let day = first + chrono::Duration::days(d as i64);
        let n = per_day.get(&day).copied().unwrap_or(0);
        let hgt = n as f64 / max * 105.0;
        svg.push_str(&format!(
            "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{hgt:.1}\"><title>{day}: {n}</title></rect>",
            10.0 + d as f64 * bw,
            130.0 - hgt,
            (bw - 1.0).max(1.0)
        ));
    }
    svg.push_str(&format!("<text x=\"10\" y=\"150\" class=\"lbl\">{first}</text><text x=\"590\" y=\"150\" text-anchor=\"end\" class=\"lbl\">{last}</text><text x=\"590\" y=\"12\" text-anchor=\"end\" class=\"num\">highest: {max} a day</text></svg></figure>"));
    svg
}

/// A timeline: one row per outlet, a dot per report at its time.
fn timeline_chart(points: &[(DateTime<Utc>, String, String, String)]) -> String {
    let (Some(t0), Some(t1)) = (points.iter().map(|p| p.0).min(), points.iter().map(|p| p.0).max()) else { return String::new() };
    let mut outlets: Vec<&str> = Vec::new();
    for p in points {
        if !outlets.contains(&p.1.as_str()) {
            outlets.push(&p.1);
        }
    }
    let span = (t1 - t0).num_seconds().max(1) as f64;
    let h = 26 * outlets.len() + 30;
    let mut svg = format!("<figure class=\"chart\"><figcaption>Timeline</figcaption><svg role=\"img\" aria-label=\"Timeline of reports\" viewBox=\"0 0 600 {h}\" width=\"100%\">");
    for (i, o) in outlets.iter().enumerate() {
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" class=\"lbl\">{}</text><line x1=\"180\" x2=\"590\" y1=\"{}\" y2=\"{}\" class=\"axis\"/>",
            18 + i * 26,
            escape(&o.chars().take(24).collect::<String>()),
            14 + i * 26,
            14 + i * 26
        ));
    }
    for (t, o, id, title) in points {
        let row = outlets.iter().position(|x| x == o).unwrap_or(0);
        let x = 185.0 + (*t - t0).num_seconds() as f64 / span * 400.0;
        svg.push_str(&format!(
            "<a href=\"/articles/{}\"><circle class=\"dot\" cx=\"{x:.1}\" cy=\"{}\" r=\"6\"><title>{} — {}</title></circle></a>",
            escape(id),
            14 + row * 26,
            t.format("%Y-%m-%d %H:%M"),
            escape(title)
        ));
    }
    svg.push_str(&format!(
        "<text x=\"185\" y=\"{}\" class=\"lbl\">{}</text><text x=\"590\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text></svg></figure>",
        h - 4,
        t0.format("%Y-%m-%d %H:%M"),
        h - 4,
        t1.format("%Y-%m-%d %H:%M")
    ));
    svg
}

/// Stories per page of the feed unless `limit` says otherwise.
const FEED_PAGE: usize = 50;
/// Outlets a story's card names.
const FEED_OUTLETS: usize = 12;

/// The feed: stories ranked by breadth of coverage and recency (or as `sort` says), those
/// carrying claims of the `has` statuses only, a page at a time, each with its claim
/// statuses counted; links to the previous and next pages and to the same list as CSV.
pub async fn feed(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Html<String>, ApiError> {
    // Parameters a page does not know (a tracking tag, say) are ignored; known ones must be valid.
    let raw: Option<String> = raw.map(|r| {
        let known = url::form_urlencoded::parse(r.as_bytes()).filter(|(k, _)| ["sort", "has", "limit", "offset"].contains(&k.as_ref()));
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(known).finish()
    });
    let p = DeskParams::parse(raw.as_deref(), Sort::Rank, FEED_PAGE, MAX_PAGE, &[], |_, _| Ok(()))?;
    let list = desk_page(&s, &p).await?;
    let mut body = String::from(
        "<h1>Stories</h1><form class=\"search\" action=\"/search\"><input name=\"q\" type=\"search\" placeholder=\"Search articles\" aria-label=\"Search articles\"><button>Search</button></form>",
    );
    body.push_str(&feed_controls(&p));
    for row in &list.rows {
        body.push_str(&story_card(row));
    }
    if list.total == 0 {
        let note = if p.has.is_empty() { "No stories yet: ingest some articles (<code>dossier ingest</code> or POST /api/ingest)." } else { "No story carries claims of every status chosen." };
        body.push_str(&format!("<p class=\"meta\">{note}</p>"));
    }
    body.push_str(&feed_pages(&p, list.rows.len(), list.total));
    Ok(page("Stories", &body))
}

/// The sort and status filter of the feed, as a form that GETs the feed again (no script).
fn feed_controls(p: &DeskParams) -> String {
    let mut html = String::from("<form class=\"controls\" action=\"/\"><label>Sort <select name=\"sort\">");
    for sort in Sort::ALL {
        let label = match sort {
            Sort::Rank => "coverage and recency",
            Sort::Size => "most articles",
            Sort::Recent => "latest report",
            Sort::Outlets => "most outlets",
            Sort::Contested => "most contested claims",
            Sort::Corroborated => "most corroborated claims",
        };
        html.push_str(&format!("<option value=\"{}\"{}>{label}</option>", sort.name(), if sort == p.sort { " selected" } else { "" }));
    }
    html.push_str("</select></label> <span class=\"has\">with claims:");
    for status in ClaimStatus::ALL {
        html.push_str(&format!(" <label><input type=\"checkbox\" name=\"has\" value=\"{0}\"{1}> {0}</label>", status.name(), if p.has.contains(&status) { " checked" } else { "" }));
    }
    html.push_str("</span>");
    if p.limit != FEED_PAGE {
        html.push_str(&format!("<input type=\"hidden\" name=\"limit\" value=\"{}\">", p.limit));
    }
    // The export holds the whole list as filtered and sorted here, not this page of it.
    let csv = DeskParams { limit: MAX_EXPORT, ..p.clone() }.query(0, Sort::Size, MAX_EXPORT);
    html.push_str(&format!(
        " <button>Apply</button> <a class=\"csv\" href=\"/api/stories.csv{}\" download>Download CSV</a> <a class=\"csv\" href=\"/api/claims.csv{}\" download>Claims CSV</a></form>",
        escape(&question(&csv)),
        escape(&question(&csv))
    ));
    html
}

fn question(query: &str) -> String {
    if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    }
}

/// One story of the feed: headline, coverage, outlets, entities and its claims counted by status.
pub(crate) fn story_card(row: &StoryRow) -> String {
    let st = &row.story;
    let ents: Vec<String> = st.entities.iter().take(5).map(|e| entity_link(e)).collect();
    // A wire story can run in hundreds of outlets: the card names the first dozen, the story page all.
    let mut outlets: Vec<String> = st.outlets.iter().take(FEED_OUTLETS).map(|o| outlet_link(o)).collect();
    if st.outlets.len() > FEED_OUTLETS {
        outlets.push(format!("<span class=\"meta\">and {} more</span>", st.outlets.len() - FEED_OUTLETS));
    }
    let counts: Vec<String> = ClaimStatus::ALL
        .into_iter()
        .filter(|c| row.claims.get(*c) > 0)
        .map(|c| format!("<span class=\"badge {}\" title=\"{} claim(s) {}\">{} {}</span>", c.as_str(), row.claims.get(c), c.name(), row.claims.get(c), c.name()))
        .collect();
    format!(
        "<div class=\"card story\"><a class=\"title\" href=\"/stories/{}\">{}</a><div class=\"meta\">{} outlet(s) · {} independent report(s){} · {} – {}</div><div class=\"statuses\">{}</div><div class=\"meta\">{}</div><div>{}</div></div>",
        escape(&st.id),
        escape(&st.title),
        st.outlets.len(),
        row.independent_reports(),
        if st.copies.is_empty() { String::new() } else { format!(", {} copies", st.copies.len()) },
        st.first_seen.format("%Y-%m-%d %H:%M"),
        st.last_seen.format("%Y-%m-%d %H:%M"),
        counts.join(" "),
        outlets.join(", "),
        ents.join(" ")
    )
}

/// Where this page is in the list, and links to the pages before and after it.
fn feed_pages(p: &DeskParams, shown: usize, total: usize) -> String {
    if total == 0 {
        return String::new();
    }
    let mut html = String::from("<nav class=\"pages\" aria-label=\"Pages\">");
    if p.offset > 0 {
        let prev = p.offset.saturating_sub(p.limit);
        html.push_str(&format!("<a rel=\"prev\" href=\"/{}\">← Previous</a> ", escape(&question(&p.query(prev, Sort::Rank, FEED_PAGE)))));
    }
    let (from, to) = if shown == 0 { (0, 0) } else { (p.offset + 1, p.offset + shown) };
    html.push_str(&format!("<span class=\"meta\">{from}–{to} of {total}</span>"));
    if p.offset + shown < total && shown > 0 {
        html.push_str(&format!(" <a rel=\"next\" href=\"/{}\">Next →</a>", escape(&question(&p.query(p.offset + shown, Sort::Rank, FEED_PAGE)))));
    }
    html.push_str("</nav>");
    html
}

/// The claim × outlet matrix: a row per aligned claim with its status, a
/// column per outlet, a mark where the outlet carries the claim; hovering a
/// mark shows that outlet's own wording (`outlet_of`: article id → outlet).
pub fn claim_matrix(story: &Story, claims: &[AlignedClaim], outlet_of: &HashMap<String, String>) -> String {
    if claims.is_empty() {
        return String::new();
    }
    let mut html = String::from("<section class=\"card\"><h2>Claims × outlets</h2><div class=\"scroll\"><table class=\"matrix\"><thead><tr><th>Claim</th><th>Status</th>");
    for o in &story.outlets {
        html.push_str(&format!("<th class=\"o\">{}</th>", outlet_link(o)));
    }
    html.push_str("</tr></thead><tbody>");
    for c in claims {
        // The row is the claim's anchor: alerts and the change log link here.
        html.push_str(&format!(
            "<tr id=\"claim-{}\" data-claim=\"{}\"><td>{} <a class=\"like\" href=\"/claims/{}/similar\" title=\"Stories saying something like this claim\">more like this</a></td><td><span class=\"badge {}\">{}</span></td>",
            escape(&c.id),
            escape(&c.id),
            escape(&c.text),
            url_part(&c.id),
            c.status.as_str(),
            c.status.name()
        ));
        for o in &story.outlets {
            if !c.outlets.contains(o) {
                html.push_str("<td class=\"no\" title=\"does not carry it\">·</td>");
                continue;
            }
            let (class, what) = if &c.first_outlet == o { ("has first", "carries it (first)") } else { ("has", "carries it") };
            let wording = c.members.iter().find(|m| outlet_of.get(&m.article_id) == Some(o)).map(|m| format!(": “{}”", m.text)).unwrap_or_default();
            html.push_str(&format!("<td class=\"{class}\" title=\"{}\">●</td>", escape(&format!("{what}{wording}"))));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div><p class=\"meta\">● carries the claim (bold ring: first to publish; hover for the outlet's wording) · · does not</p></section>");
    html
}

/// The story page's extra sections: matrix, timeline and articles.
pub fn story_sections(store: &dyn Store, story: &Story) -> Result<String, ApiError> {
    let claims = store.aligned_claims(&story.id)?;
    let summaries = store.article_summaries(&story.article_ids)?;
    let outlet_of: HashMap<String, String> = summaries.iter().map(|a| (a.id.clone(), a.outlet.name.clone())).collect();
    let mut html = claim_matrix(story, &claims, &outlet_of);
    let mut points = Vec::new();
    let mut list = String::from("<section class=\"card\"><h2>Articles</h2><ul class=\"articles\">");
    for a in summaries {
        {
            let copy = story.original_of(&a.id).map(|o| format!(" <span class=\"meta\">(copy of <a href=\"/articles/{}\">{}</a>)</span>", escape(o), escape(o))).unwrap_or_default();
            list.push_str(&format!(
                "<li><a href=\"/articles/{}\">{}</a> — {} <span class=\"meta\">{}</span>{copy}</li>",
                escape(&a.id),
                escape(&a.title),
                outlet_link(&a.outlet.name),
                a.time.format("%Y-%m-%d %H:%M")
            ));
            points.push((a.time, a.outlet.name.clone(), a.id.clone(), a.title.clone()));
        }
    }
    list.push_str("</ul></section>");
    html.push_str(&format!("<section class=\"card\">{}</section>", timeline_chart(&points)));
    html.push_str(&list);
    if !story.entities.is_empty() {
        let ents: Vec<String> = story.entities.iter().map(|e| entity_link(e)).collect();
        html.push_str(&format!("<p>About: {}</p>", ents.join(" ")));
    }
    Ok(html)
}

fn per_day(hits: &[dossier_search::Hit]) -> BTreeMap<chrono::NaiveDate, u64> {
    let mut m = BTreeMap::new();
    for h in hits {
        *m.entry(h.published.date_naive()).or_insert(0) += 1;
    }
    m
}

/// How many articles the charts look at, at most (the newest).
const CHART_ARTICLES: usize = 1000;

/// Articles per day.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DayCount {
    pub date: chrono::NaiveDate,
    pub count: u64,
}

/// A story an entity or outlet appears in.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct StoryRef {
    pub id: String,
    pub title: String,
    pub outlets: usize,
}

/// What the entity and outlet pages show (the newest 1,000 articles make the per-day counts).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Profile {
    pub name: String,
    /// Articles naming the entity, or published by the outlet.
    pub articles: usize,
    pub per_day: Vec<DayCount>,
    /// Entities in those articles (for an entity: the ones it appears with).
    pub entities: Vec<dossier_search::FacetValue>,
    pub outlets: Vec<dossier_search::FacetValue>,
    /// Claim statuses those articles carry.
    pub statuses: Vec<dossier_search::FacetValue>,
    /// A page of those stories (largest first; `limit` and `offset` choose the page).
    pub stories: Vec<StoryRef>,
    /// Those stories on all pages.
    pub stories_total: usize,
    /// The newest articles.
    pub latest: Vec<dossier_search::Hit>,
}

#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Entity,
    Outlet,
}

pub async fn profile(s: &Shared, kind: Kind, name: String, offset: usize, limit: usize) -> Result<Profile, ApiError> {
    let mut q = SearchQuery { limit: CHART_ARTICLES, ..Default::default() };
    match kind {
        Kind::Entity => q.entities.push(name.clone()),
        Kind::Outlet => q.outlets.push(name.clone()),
    }
    let r = s.index.search(&q)?;
    if r.total == 0 {
        return Err(crate::not_found(if kind == Kind::Entity { "entity" } else { "outlet" }, &name));
    }
    let story_ids: std::collections::HashSet<String> = r.hits.iter().filter_map(|h| h.story.clone()).collect();
    let stories: Vec<StoryRef> =
        read(s, move |store| Ok(store.stories()?.into_iter().filter(|st| story_ids.contains(&st.id)).map(|st| StoryRef { outlets: st.outlets.len(), id: st.id, title: st.title }).collect())).await?;
    let stories_total = stories.len();
    let stories = stories.into_iter().skip(offset).take(limit).collect();
    Ok(Profile {
        name: name.clone(),
        articles: r.total,
        per_day: per_day(&r.hits).into_iter().map(|(date, count)| DayCount { date, count }).collect(),
        entities: r.facets.entity.into_iter().filter(|f| !(kind == Kind::Entity && f.value == name)).collect(),
        outlets: r.facets.outlet,
        statuses: r.facets.status,
        stories,
        stories_total,
        latest: r.hits.into_iter().take(20).collect(),
    })
}

fn bars(values: &[dossier_search::FacetValue], link: Option<&str>) -> Vec<(String, u64, Option<String>)> {
    values.iter().take(12).map(|f| (f.value.clone(), f.count, link.map(|l| format!("/{l}/{}", url_part(&f.value))))).collect()
}

fn profile_page(p: &Profile, kind: Kind) -> Html<String> {
    let days: BTreeMap<chrono::NaiveDate, u64> = p.per_day.iter().map(|d| (d.date, d.count)).collect();
    let mut body = format!("<h1>{}</h1><p class=\"meta\">{} article(s) in {} story(ies)</p>", escape(&p.name), p.articles, p.stories_total);
    let (per, with) = match kind {
        Kind::Entity => ("Articles mentioning it, per day", "Appears with"),
        Kind::Outlet => ("Articles per day", "What it covers"),
    };
    body.push_str(&format!("<section class=\"card\">{}</section>", day_chart(per, &days)));
    body.push_str(&format!("<section class=\"card\">{}</section>", bar_chart(with, &bars(&p.entities, Some("entities")))));
    match kind {
        Kind::Entity => body.push_str(&format!("<section class=\"card\">{}</section>", bar_chart("Outlets", &bars(&p.outlets, Some("outlets"))))),
        Kind::Outlet => body.push_str(&format!("<section class=\"card\">{}</section>", bar_chart("Its articles by the status of the claims they carry", &bars(&p.statuses, None)))),
    }
    body.push_str("<section class=\"card\"><h2>Stories</h2><ul>");
    for st in p.stories.iter().take(30) {
        body.push_str(&format!("<li><a href=\"/stories/{}\">{}</a> <span class=\"meta\">{} outlet(s)</span></li>", escape(&st.id), escape(&st.title), st.outlets));
    }
    body.push_str("</ul></section>");
    body.push_str(&hit_list(&p.latest));
    page(&p.name, &body)
}

/// An entity: mentions over time, the entities it appears with, outlets, stories, latest articles.
pub async fn entity(State(s): State<Shared>, Path(name): Path<String>) -> Result<Html<String>, ApiError> {
    Ok(profile_page(&profile(&s, Kind::Entity, name, 0, 30).await?, Kind::Entity))
}

/// An outlet: its articles over time, what it covers, its claim statuses, stories, latest articles.
pub async fn outlet(State(s): State<Shared>, Path(name): Path<String>) -> Result<Html<String>, ApiError> {
    Ok(profile_page(&profile(&s, Kind::Outlet, name, 0, 30).await?, Kind::Outlet))
}

fn hit_list(hits: &[dossier_search::Hit]) -> String {
    let mut html = String::from("<section class=\"card\"><h2>Articles</h2><ul class=\"hits\">");
    for h in hits {
        html.push_str(&format!(
            "<li><a href=\"/articles/{}\">{}</a> — {} <span class=\"meta\">{}</span>{}<div class=\"snippet\">{}</div></li>",
            escape(&h.id),
            escape(&h.title),
            outlet_link(&h.outlet),
            h.published.format("%Y-%m-%d %H:%M"),
            h.story.as_ref().map(|st| format!(" · <a href=\"/stories/{}\">story</a>", escape(st))).unwrap_or_default(),
            // Built by the index with every character of the article escaped; only <b> marks are added.
            h.snippet_html
        ));
    }
    html.push_str("</ul></section>");
    html
}

/// Previous and next links of a search's hits, keeping its query and filters.
fn search_pages(pairs: &[(String, String)], offset: usize, shown: usize, total: usize) -> String {
    if total <= shown && offset == 0 {
        return String::new();
    }
    let at = |o: usize| {
        let mut p: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "offset").cloned().collect();
        if o > 0 {
            p.push(("offset".into(), o.to_string()));
        }
        format!("/search?{}", url::form_urlencoded::Serializer::new(String::new()).extend_pairs(p.iter()).finish())
    };
    let mut html = String::from("<nav class=\"pages\" aria-label=\"Pages\">");
    if offset > 0 {
        html.push_str(&format!("<a rel=\"prev\" href=\"{}\">← Previous</a> ", escape(&at(offset.saturating_sub(20)))));
    }
    let (from, to) = if shown == 0 { (0, 0) } else { (offset + 1, offset + shown) };
    html.push_str(&format!("<span class=\"meta\">{from}–{to} of {total}</span>"));
    if offset + shown < total && shown > 0 && offset + shown <= 10_000 {
        html.push_str(&format!(" <a rel=\"next\" href=\"{}\">Next →</a>", escape(&at(offset + shown))));
    }
    html.push_str("</nav>");
    html
}

/// Search with facets: each facet value is a link that adds (or removes) it as a filter.
/// The search form's choice of ranking (the default picks hybrid where it can).
fn mode_select(current: &str) -> String {
    let mut html = String::from("<select name=\"mode\" aria-label=\"Ranking\">");
    for (value, label) in [("", "best available"), ("lexical", "words"), ("vector", "meaning"), ("hybrid", "words + meaning")] {
        html.push_str(&format!("<option value=\"{value}\"{}>{label}</option>", if value == current { " selected" } else { "" }));
    }
    html.push_str("</select>");
    html
}

pub async fn search(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Html<String>, ApiError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
    let mut q = SearchQuery { limit: 20, ..Default::default() };
    let mut mode = None;
    for (k, v) in &pairs {
        match k.as_str() {
            "q" => q.text = v.clone(),
            "mode" if !v.is_empty() => mode = Some(crate::similar::parse_mode(v)?),
            "outlet" => q.outlets.push(v.clone()),
            "entity" => q.entities.push(v.clone()),
            "language" => q.languages.push(v.clone()),
            "status" => q.statuses.push(dossier_brief::desk::parse_status(v).map_err(|e| bad_request(format!("status: {e}")))?.name().to_string()),
            "from" if !v.is_empty() => q.from = Some(parse_date_bound(v, false).map_err(|e| bad_request(format!("from: {e}")))?),
            "to" if !v.is_empty() => q.to = Some(parse_date_bound(v, true).map_err(|e| bad_request(format!("to: {e}")))?),
            "offset" => q.offset = v.parse().ok().filter(|n| *n <= 10_000).ok_or_else(|| bad_request(format!("offset: {v:?} is not a whole number from 0 to 10000")))?,
            _ => {}
        }
    }
    let offset = q.offset;
    let r = crate::similar::run_search(&s, q, mode).await?;
    let link = |toggle: (&str, &str)| -> String {
        let mut p: Vec<(String, String)> = pairs.clone();
        let had = p.iter().any(|(k, v)| k == toggle.0 && v == toggle.1);
        // A new filter starts at the first page.
        p.retain(|(k, v)| !(k == toggle.0 && v == toggle.1) && k != "offset");
        if !had {
            p.push((toggle.0.to_string(), toggle.1.to_string()));
        }
        let qs: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(p.iter()).finish();
        format!("/search?{qs}")
    };
    let active = |k: &str, v: &str| pairs.iter().any(|(a, b)| a == k && b == v);
    let mut facets = String::new();
    for (label, key, values) in
        [("Outlet", "outlet", &r.facets.outlet), ("Entity", "entity", &r.facets.entity), ("Language", "language", &r.facets.language), ("Claim status", "status", &r.facets.status)]
    {
        if values.is_empty() {
            continue;
        }
        facets.push_str(&format!("<div class=\"facet\" data-facet=\"{key}\"><h3>{label}</h3><ul>"));
        for f in values.iter().take(12) {
            facets.push_str(&format!(
                "<li><a class=\"{}\" href=\"{}\">{}</a> <span class=\"meta\">{}</span></li>",
                if active(key, &f.value) { "on" } else { "" },
                escape(&link((key, &f.value))),
                escape(&f.value),
                f.count
            ));
        }
        facets.push_str("</ul></div>");
    }
    let val = |k: &str| pairs.iter().find(|(a, _)| a == k).map(|(_, v)| escape(v)).unwrap_or_default();
    let mut hidden = String::new();
    for (k, v) in pairs.iter().filter(|(k, _)| !["q", "from", "to", "offset", "mode"].contains(&k.as_str())) {
        hidden.push_str(&format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(k), escape(v)));
    }
    let body = format!(
        "<h1>Search</h1><form class=\"search\" action=\"/search\"><input name=\"q\" type=\"search\" value=\"{}\" placeholder='words, \"a phrase\", AND OR NOT' aria-label=\"Search\"> <label>from <input name=\"from\" type=\"date\" value=\"{}\"></label> <label>to <input name=\"to\" type=\"date\" value=\"{}\"></label> {}{hidden}<button>Search</button></form><p class=\"meta results\" data-mode=\"{}\">{} match(es) · ranked {}</p><div class=\"searchgrid\"><aside class=\"facets\">{facets}</aside><div>{}</div></div>",
        val("q"),
        val("from"),
        val("to"),
        mode_select(pairs.iter().find(|(k, _)| k == "mode").map(|(_, v)| v.as_str()).unwrap_or("")),
        r.mode,
        r.total,
        match r.mode {
            dossier_search::Mode::Lexical => "by words (lexical)",
            dossier_search::Mode::Vector => "by meaning (vector)",
            dossier_search::Mode::Hybrid => "by words and meaning (hybrid)",
        },
        hit_list(&r.hits)
    );
    Ok(page("Search", &format!("{body}{}", search_pages(&pairs, offset, r.hits.len(), r.total))))
}
