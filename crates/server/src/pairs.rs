//! Actor pairs: `GET /api/pairs?a=&b=` and the page `/pairs?a=&b=`, with a
//! chart of the days the two are mentioned together and, per outlet, the
//! tone of its sentences towards each where the other is present
//! ([`dossier_tone::pairs`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::Json;
use dossier_model::{ActorPair, PairOutlet};

use crate::html::{escape, page};
use crate::{bad_request, read, ApiError, ErrorBody, Shared};

/// Gives the tone model, loading it on first use; the face that starts the
/// server gives it when the embedding model is installed (without it, pairs
/// are counted and their tone is not read).
pub type ToneModel = Arc<dyn Fn() -> Result<Arc<dossier_tone::Tone>, String> + Send + Sync>;

/// The `a` and `b` parameters, checked: a 400 names what is wrong.
fn actors(raw: Option<&str>) -> Result<(String, String), ApiError> {
    let (mut a, mut b) = (None, None);
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match k.as_ref() {
            "a" => a = Some(v.into_owned()),
            "b" => b = Some(v.into_owned()),
            other => return Err(bad_request(format!("unknown parameter {other:?} (a, b)"))),
        }
    }
    let (Some(a), Some(b)) = (a, b) else { return Err(bad_request("parameters a and b (two actors) are required")) };
    if let Some(msg) = dossier_tone::pairs::check_actors(&a, &b) {
        // Two well-formed names that are one actor: understood, but not a pair (422).
        let same = !a.trim().is_empty() && a.trim().to_lowercase() == b.trim().to_lowercase();
        return Err(if same { ApiError(StatusCode::UNPROCESSABLE_ENTITY, msg) } else { bad_request(msg) });
    }
    Ok((a, b))
}

/// The pair over the stored articles the search index says may name both (the store's
/// rows of those only), the tone read when the model is there.
async fn compute(s: &Shared, a: String, b: String) -> Result<ActorPair, ApiError> {
    crate::index_ready(s).await?;
    let loader = s.options.tone.clone();
    let shared = s.clone();
    let (ka, kb) = (a.clone(), b.clone());
    let candidates = tokio::task::spawn_blocking(move || shared.index.articles_naming_all(&[&ka, &kb])).await??;
    read(s, move |store| {
        let tone = match loader {
            Some(load) => Some(load().map_err(|e| {
                tracing::error!("loading the tone model: {e}");
                ApiError(StatusCode::INTERNAL_SERVER_ERROR, "loading the tone model failed".into())
            })?),
            None => None,
        };
        dossier_tone::pairs::pair_among(store, &candidates, &a, &b, tone.as_deref()).map_err(|e| {
            tracing::error!("pair {a:?} {b:?}: {e:#}");
            ApiError(StatusCode::INTERNAL_SERVER_ERROR, "reading the pair failed".into())
        })
    })
    .await
}

/// Two actors (entities, by canonical name or a mention's wording, case-insensitive) over the
/// stored articles: the days they are mentioned together in one sentence, and per outlet the tone
/// of those sentences towards each (-1 negative, 0 neutral, 1 positive), read where the other is
/// present. `tone` is false when the tone model is not loaded (counts only). Only the articles the
/// search index says may name both are read from the store.
#[utoipa::path(get, path = "/api/pairs",
    params(
        ("a" = String, Query, min_length = 1, max_length = 100, pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]", example = "Russia", description = "The first actor: an entity's canonical name or a mention's wording (1-100 characters, not all white space)"),
        ("b" = String, Query, min_length = 1, max_length = 100, pattern = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]", example = "China", description = "The second actor, not the same as a (1-100 characters, not all white space)")
    ),
    responses((status = 200, body = ActorPair), (status = 400, body = ErrorBody, description = "a or b missing, empty or too long, or an unknown parameter"), (status = 422, body = ErrorBody, description = "a and b name the same actor"), (status = 503, body = ErrorBody, description = "The search index is empty while the store holds articles")))]
pub async fn api_pairs(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Json<ActorPair>, ApiError> {
    let (a, b) = actors(raw.as_deref())?;
    Ok(Json(compute(&s, a, b).await?))
}

/// The pair page: a form, then (with `a` and `b`) the days chart and one tone chart per outlet.
pub async fn page_pairs(State(s): State<Shared>, RawQuery(raw): RawQuery) -> Result<Html<String>, ApiError> {
    let given = raw.as_deref().is_some_and(|r| !r.is_empty());
    let (a, b) = if given { actors(raw.as_deref())? } else { (String::new(), String::new()) };
    let form = format!(
        "<h1>Actor pair</h1><form class=\"search\" action=\"/pairs\"><input name=\"a\" value=\"{}\" placeholder=\"Russia\" aria-label=\"First actor\" required> <input name=\"b\" value=\"{}\" placeholder=\"China\" aria-label=\"Second actor\" required> <button>Compare</button></form>",
        escape(&a),
        escape(&b)
    );
    if !given {
        return Ok(page("Actor pair", &format!("{form}<p class=\"meta\">Two actors mentioned in one sentence: when, and how each outlet speaks of each where the other is present.</p>")));
    }
    let p = compute(&s, a, b).await?;
    Ok(page(&format!("{} and {}", p.a, p.b), &format!("{form}{}", body(&p))))
}

fn body(p: &ActorPair) -> String {
    let more = if p.truncated { " (the newest; more mention both)" } else { "" };
    let mut out = format!("<p class=\"meta pair-summary\">{} sentence(s) in {} article(s) mention both{more}</p>", p.sentences, p.articles);
    let per_day: BTreeMap<chrono::NaiveDate, u64> = p.days.iter().filter_map(|d| Some((chrono::NaiveDate::parse_from_str(&d.day, "%Y-%m-%d").ok()?, d.sentences as u64))).collect();
    out.push_str(&crate::ui::day_chart("Sentences mentioning both, per day", &per_day));
    if !p.tone {
        out.push_str("<p class=\"meta\">Tone not read: the embedding model is not installed (<code>dossier model fetch</code>).</p>");
    }
    for o in &p.outlets {
        out.push_str(&format!("<section class=\"pair-outlet\"><h2>{}</h2><p class=\"meta\">{} sentence(s) in {} article(s)</p>", escape(&o.outlet), o.sentences, o.articles));
        if p.tone {
            out.push_str(&tone_chart(p, o));
        }
        out.push_str("</section>");
    }
    out.push_str("<h2>Sentences</h2><ul class=\"pair-sentences\">");
    for s in &p.examples {
        let mark = |v: Option<i8>| match v {
            Some(-1) => " <span class=\"tone neg\">negative</span>",
            Some(0) => " <span class=\"tone neu\">neutral</span>",
            Some(_) => " <span class=\"tone pos\">positive</span>",
            None => "",
        };
        out.push_str(&format!(
            "<li><span class=\"meta\">{} · {}</span> <a href=\"/articles/{}\">{}</a><br><span class=\"meta\">{}:{} · {}:{}</span></li>",
            s.time.format("%Y-%m-%d"),
            escape(&s.outlet),
            crate::ui::url_part(&s.article),
            escape(&s.text),
            escape(&s.mention_a),
            mark(s.toward_a),
            escape(&s.mention_b),
            mark(s.toward_b)
        ));
    }
    out.push_str("</ul>");
    out
}

/// One outlet's mean tone per day towards each actor, on -1..1: a line per
/// actor with a dot per day (its title gives the counts), the zero line across.
fn tone_chart(p: &ActorPair, o: &PairOutlet) -> String {
    let title = format!("{}: tone towards {} and {} per day", o.outlet, p.a, p.b);
    let n = o.days.len().max(1);
    let x = |i: usize| if n == 1 { 300.0 } else { 40.0 + i as f64 * 520.0 / (n - 1) as f64 };
    let y = |m: f32| 80.0 - m as f64 * 60.0;
    let mut svg = format!(
        "<figure class=\"chart tone-chart\"><figcaption>{}</figcaption><svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 600 170\" width=\"100%\"><line x1=\"30\" x2=\"570\" y1=\"80\" y2=\"80\" class=\"axis\" stroke=\"#999\"/><text x=\"2\" y=\"24\" class=\"lbl\">+1</text><text x=\"2\" y=\"84\" class=\"lbl\">0</text><text x=\"2\" y=\"144\" class=\"lbl\">-1</text>",
        escape(&title),
        escape(&title)
    );
    for (k, (who, colour)) in [(&p.a, "#1f6feb"), (&p.b, "#d1242f")].into_iter().enumerate() {
        let points: Vec<(f64, f64, String)> = o
            .days
            .iter()
            .enumerate()
            .filter_map(|(i, d)| {
                let c = if k == 0 { &d.toward_a } else { &d.toward_b };
                c.mean.map(|m| (x(i), y(m), format!("{}: towards {who} {m:+.2} ({} negative, {} neutral, {} positive)", d.day, c.negative, c.neutral, c.positive)))
            })
            .collect();
        let line: Vec<String> = points.iter().map(|(px, py, _)| format!("{px:.1},{py:.1}")).collect();
        svg.push_str(&format!("<polyline class=\"series\" data-actor=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>", if k == 0 { "a" } else { "b" }, line.join(" ")));
        for (px, py, tip) in &points {
            svg.push_str(&format!("<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"4\" fill=\"{colour}\"><title>{}</title></circle>", escape(tip)));
        }
        svg.push_str(&format!("<text x=\"{}\" y=\"165\" class=\"lbl\" fill=\"{colour}\">towards {}</text>", 40 + k * 260, escape(&who.chars().take(30).collect::<String>())));
    }
    if let (Some(first), Some(last)) = (o.days.first(), o.days.last()) {
        svg.push_str(&format!("<text x=\"40\" y=\"152\" class=\"lbl\">{}</text><text x=\"560\" y=\"152\" text-anchor=\"end\" class=\"lbl\">{}</text>", escape(&first.day), escape(&last.day)));
    }
    svg.push_str("</svg></figure>");
    svg
}
