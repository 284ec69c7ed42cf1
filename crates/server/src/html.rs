//! Server-rendered pages: no build step, no scripts, everything escaped.

use axum::extract::{Path, State};
use axum::response::Html;
use dossier_model::{Bullet, ClaimStatus};
use dossier_store::Store;

use crate::{not_found, read, ApiError, Shared};

/// Escapes text for HTML element content and quoted attribute values (the
/// same escaping the search index uses for its snippets).
pub use dossier_search::html_escape as escape;

pub(crate) const STYLE: &str = r#"
body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
header{background:#1d232a;color:#fff;padding:.6rem 1rem}header a{color:#fff;text-decoration:none;font-weight:600}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1,h2,h3,.pair-sentences{overflow-wrap:break-word}
.card{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:.8rem 1rem;margin:.6rem 0}
.meta{color:#5b6670;font-size:.9rem}
.badge{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.8rem;font-weight:600;color:#fff}
.corroborated{background:#2e7d32}.single-source{background:#1565c0}.unattributed{background:#b26a00}.contested{background:#c62828}
li{margin:.4rem 0}a{color:#0b57d0}
.cite{font-size:.85rem}
header nav{display:inline;margin-left:1rem}header nav a{font-weight:400;margin-right:.8rem}
.chip{display:inline-block;background:#e8eef7;border-radius:12px;padding:0 .5rem;margin:.1rem;font-size:.85rem;text-decoration:none}
.title{font-weight:600;font-size:1.05rem}
.chart{margin:0}.chart figcaption{font-weight:600;margin-bottom:.3rem}
.chart .bar{fill:#4a7fd4}.chart .lbl{font-size:12px;fill:#34404b}.chart .num{font-size:11px;fill:#5b6670}
.chart .dot{fill:#c2410c;stroke:#fff;stroke-width:1.5}.chart .axis{stroke:#dde1e6}
.scroll{overflow-x:auto}.matrix{border-collapse:collapse;font-size:.9rem}.matrix td,.matrix th{border-bottom:1px solid #eef0f3;padding:.3rem .4rem;text-align:left;vertical-align:top}
.matrix td.has,.matrix td.no{text-align:center;font-size:1.1rem}.matrix td.has{color:#2e7d32}.matrix td.first{font-weight:700;outline:2px solid #2e7d32;outline-offset:-4px}.matrix td.no{color:#b0b8c0}
.matrix th.o{writing-mode:vertical-rl;transform:rotate(180deg);max-height:10rem;font-weight:400}
form.search{display:flex;flex-wrap:wrap;gap:.4rem;margin:.5rem 0}form.search input[type=search]{flex:1 1 16rem;padding:.4rem;font-size:1rem}
.searchgrid{display:grid;grid-template-columns:14rem 1fr;gap:1rem}.facet ul{list-style:none;padding:0;margin:0 0 .8rem}.facet a.on{font-weight:700}
.facet a.on::before{content:"✓ "}.snippet{color:#34404b;font-size:.9rem}.snippet b{background:#fff3bf}
form.controls{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem .8rem;margin:.5rem 0;font-size:.9rem}form.controls select,form.controls button{font-size:.95rem;padding:.2rem .3rem}
.has label{white-space:nowrap;margin-left:.3rem}.statuses{margin:.2rem 0}.statuses .badge{margin-right:.3rem}
nav.pages{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:center;margin:1rem 0}nav.pages a{padding:.3rem .6rem;border:1px solid #dde1e6;border-radius:6px;background:#fff;text-decoration:none}
ol.changes{list-style:none;padding:0;margin:.3rem 0}.change{border-top:1px solid #eef0f3;padding:.35rem 0;overflow-wrap:anywhere}.change .kind{display:inline-block;border-radius:4px;padding:0 .4rem;font-size:.8rem;font-weight:600;background:#e8eef7;color:#1d232a}
.change.claim_corrected .kind{background:#c62828;color:#fff}.change.claim_status_changed .kind{background:#2e7d32;color:#fff}.fix del{color:#8a1c1c}.fix ins{color:#1b5e20;text-decoration:none;font-weight:600}.fix ins::before{content:"→ ";color:#5b6670}
.matrix tr:target,.change:target{background:#fff3bf}form.controls input{font-size:.95rem;padding:.2rem .3rem;max-width:100%}form.watch{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center}form.watch input,form.watch select{font-size:.95rem;padding:.25rem;max-width:100%}
@media (max-width:600px){main{padding:.5rem}body{font-size:15px}.searchgrid{grid-template-columns:1fr}header nav{margin-left:.4rem}form.controls{gap:.3rem .6rem}}
"#;

pub fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} · dossier</title><style>{STYLE}</style></head><body><header><a href=\"/\">dossier</a> <nav><a href=\"/\">Stories</a> <a href=\"/changes\">Changes</a> <a href=\"/search\">Search</a> <a href=\"/pairs\">Pairs</a> <a href=\"/watches\">Watches</a></nav></header><main>{body}</main></body></html>",
        escape(title)
    ))
}

/// The Content-Security-Policy source of the pages' stylesheet (the only inline thing they have).
pub fn style_hash() -> String {
    use base64::Engine;
    use sha2::Digest;
    format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(STYLE.as_bytes())))
}

/// An error answered as a page (the routes outside `/api/`); a 401 carries the login form.
pub fn error_page(status: axum::http::StatusCode, message: &str) -> Html<String> {
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or("Error"));
    let mut body = format!("<h1>{}</h1><p>{}</p>", escape(&title), escape(message));
    if status == axum::http::StatusCode::UNAUTHORIZED {
        body.push_str(&login_form(""));
    } else {
        body.push_str("<p><a href=\"/\">Back to the stories</a></p>");
    }
    page(&title, &body)
}

/// The read-token form: posted, so the token never lands in a URL.
pub fn login_form(note: &str) -> String {
    let note = if note.is_empty() { String::new() } else { format!("<p class=\"meta\">{}</p>", escape(note)) };
    format!(
        "<section class=\"card\"><h2>Log in</h2>{note}<form class=\"search\" method=\"post\" action=\"/login\"><input type=\"password\" name=\"token\" autocomplete=\"current-password\" aria-label=\"Read token\" placeholder=\"Read token\" required> <button type=\"submit\">Log in</button></form></section>"
    )
}

fn badge(s: ClaimStatus) -> String {
    format!("<span class=\"badge {}\">{}</span>", s.as_str(), s.name())
}

fn bullet_html(b: &Bullet) -> String {
    let cites: Vec<String> =
        b.citations.iter().map(|c| format!("<a class=\"cite\" href=\"/articles/{}\" title=\"{}\">{}</a>", escape(&c.article_id), escape(&c.sentence), escape(&c.outlet))).collect();
    let mut li = format!("<li>{} {} <span class=\"meta\">— {}", badge(b.status), escape(&b.text), cites.join(", "));
    if !b.sources.is_empty() {
        let s: Vec<String> = b.sources.iter().map(|s| escape(&s.source)).collect();
        li.push_str(&format!("; source: {}", s.join(", ")));
    }
    li.push_str("</span>");
    if let Some(c) = &b.conflict {
        li.push_str(&format!("<div class=\"meta\">contested: {}</div>", escape(c)));
    }
    li.push_str("</li>");
    li
}

pub async fn story(State(s): State<Shared>, Path(id): Path<String>, axum::extract::RawQuery(raw): axum::extract::RawQuery) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    // A page is lenient with what follows `?` (links carry anything); only `all=true` counts.
    let all = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).any(|(k, v)| k == "all" && v == "true");
    let key = id.clone();
    // A story merged into another answers as that one.
    let alias = read(&s, move |store| Ok(if store.story(&key)?.is_none() { store.story_alias(&key)? } else { None })).await?;
    if let Some(to) = alias {
        return Ok((axum::http::StatusCode::PERMANENT_REDIRECT, [(axum::http::header::LOCATION, format!("/stories/{to}"))]).into_response());
    }
    let similar = crate::similar::similar_section(&s, &id).await;
    Ok(read(&s, move |store| dossier_store::snapshot(store, |store| Ok(story_page(store, &id, &similar, all)))?).await?.into_response())
}

fn story_page(store: &dyn Store, id: &str, similar: &str, all: bool) -> Result<Html<String>, ApiError> {
    let st = store.story(id)?.ok_or_else(|| not_found("story", id))?;
    let mut body = format!("<h1>{}</h1><p class=\"meta\">{} · {} article(s)</p>", escape(&st.title), escape(&st.outlets.join(", ")), st.article_ids.len());
    if let Some(prev) = &st.continues {
        // A follow-up: the earlier story was full when this one began.
        let title = store.story(prev)?.map(|p| p.title).unwrap_or_else(|| prev.clone());
        body.push_str(&format!("<p class=\"meta continues\">Follows up <a href=\"/stories/{}\">{}</a></p>", escape(prev), escape(&title)));
    }
    if let Some(b) = store.brief(id)?.map(|b| if all { b } else { dossier_brief::glance(&b, &dossier_brief::Settings::default()) }) {
        body.push_str("<section class=\"card brief\"><h2>At a Glance</h2>");
        if !b.primary_sources.is_empty() {
            body.push_str("<p><strong>Primary sources:</strong> ");
            let ps: Vec<String> =
                b.primary_sources.iter().map(|p| format!("{} <span class=\"meta\">({} claim(s); cited by {})</span>", escape(&p.name), p.claims, escape(&p.cited_by.join(", ")))).collect();
            body.push_str(&ps.join("; "));
            body.push_str("</p>");
        }
        if !b.stances.is_empty() {
            body.push_str(&stances_html(&b.stances));
        }
        if !b.shared.is_empty() {
            body.push_str("<h3>Carried by several outlets</h3><ul>");
            b.shared.iter().for_each(|x| body.push_str(&bullet_html(x)));
            body.push_str("</ul>");
        }
        for (outlet, bullets) in &b.only_in {
            body.push_str(&format!("<h3>Only in {}</h3><ul>", escape(outlet)));
            bullets.iter().for_each(|x| body.push_str(&bullet_html(x)));
            body.push_str("</ul>");
        }
        if !b.unsourced_outlets.is_empty() {
            body.push_str(&format!("<p class=\"meta\">Cites no source: {}</p>", escape(&b.unsourced_outlets.join(", "))));
        }
        if b.left_out > 0 {
            body.push_str(&format!("<p class=\"meta\"><a href=\"/stories/{}?all=true\">{} more bullet(s)</a></p>", escape(id), b.left_out));
        }
        body.push_str("<h3>Timeline</h3><ul>");
        for t in &b.timeline {
            body.push_str(&format!(
                "<li><span class=\"meta\">{}</span> {} — <a href=\"/articles/{}\">{}</a></li>",
                t.time.format("%Y-%m-%d %H:%M"),
                escape(&t.outlet),
                escape(&t.article_id),
                escape(&t.title)
            ));
        }
        body.push_str("</ul></section>");
    }
    body.push_str(&crate::ui::story_sections(store, &st)?);
    body.push_str(&crate::changes::story_section(store, &st.id)?);
    body.push_str(similar);
    Ok(page(&st.title, &body))
}

/// Which outlets' articles dispute, agree with or only report another outlet's headline, each
/// linked to the article taking the stance.
fn stances_html(stances: &[dossier_model::OutletStance]) -> String {
    use dossier_model::Stance;
    let mut out = String::from("<h3>Stances towards other outlets' headlines</h3><ul class=\"stances\">");
    for x in stances {
        let (class, verb) = match x.stance {
            Stance::Disagree => ("disagree", "disputes"),
            Stance::Agree => ("agree", "agrees with"),
            Stance::Discuss => ("discuss", "reports, without taking a side,"),
            Stance::Unrelated => ("unrelated", "does not address"),
        };
        out.push_str(&format!(
            "<li class=\"stance {class}\"><a href=\"/articles/{}\">{}</a> {verb} {}'s headline <a href=\"/articles/{}\">“{}”</a></li>",
            escape(&x.article_id),
            escape(&x.outlet),
            escape(&x.toward_outlet),
            escape(&x.toward_article_id),
            escape(&x.headline)
        ));
    }
    out.push_str("</ul>");
    out
}

pub async fn article(State(s): State<Shared>, Path(id): Path<String>) -> Result<Html<String>, ApiError> {
    let a = read(&s, move |store| store.article(&id)?.ok_or_else(|| not_found("article", &id))).await?;
    let mut body = format!("<h1>{}</h1><p class=\"meta\">{} · {}", escape(&a.title), escape(&a.outlet.name), a.time().format("%Y-%m-%d %H:%M"));
    if let dossier_model::ArticleKind::Teaser { age, .. } = &a.kind {
        body.push_str(&format!(" · teaser found on another page{}", age.as_ref().map(|g| format!(" ({})", escape(g))).unwrap_or_default()));
    }
    if let Some(u) = a.url.as_ref().filter(|u| u.starts_with("http://") || u.starts_with("https://")) {
        body.push_str(&format!(" · <a href=\"{}\" rel=\"noopener noreferrer\">original</a>", escape(u)));
    }
    body.push_str("</p><div class=\"card\">");
    for p in a.text.split("\n\n") {
        body.push_str(&format!("<p>{}</p>", escape(p)));
    }
    body.push_str("</div>");
    Ok(page(&a.title, &body))
}
