//! The desk's lists and exports over a real SQLite store: paging without gaps or
//! repeats, status counts, sorts and filters, 400s that list the valid values, CSV.

use std::collections::HashSet;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Utc};
use dossier_model::{AlignedClaim, Article, ArticleKind, Claim, ClaimStatus, Outlet, OutletBasis, Story};
use dossier_store::{Analysis, SqliteStore, Store};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;

const STORIES: usize = 23;

fn t(hour: i64) -> DateTime<Utc> {
    "2025-06-20T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::hours(hour)
}

/// 23 stories of 1-4 articles over 1-3 outlets, several with equal sizes and times (ties the
/// order must break the same way every time); story 7 has a headline and a claim that would run
/// as spreadsheet formulas. Claims: every third story one contested, every second two corroborated.
fn desk() -> (tempfile::TempDir, Router) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_dir(dir.path()).unwrap();
    let (mut articles, mut stories, mut claims) = (vec![], vec![], vec![]);
    for i in 0..STORIES {
        let n = 1 + i % 4;
        let ids: Vec<String> = (0..n).map(|j| format!("a{i:02}-{j}")).collect();
        for (j, id) in ids.iter().enumerate() {
            articles.push(Article {
                id: id.clone(),
                kind: ArticleKind::Main,
                title: if i == 7 { "=HYPERLINK(\"http://evil.example\",\"x\"), \"quoted\"".into() } else { format!("Story {i} report {j}") },
                text: format!("Report {j} of story {i}."),
                outlet: Outlet { name: format!("Outlet {}", j % 3), basis: OutletBasis::Given },
                url: Some(format!("https://o{}.example/{id}", j % 3)),
                source: "t".into(),
                published: Some(t((i % 5) as i64 + j as i64)),
                seen_at: t(0),
                language: None,
            });
        }
        let id = format!("s{i:02}");
        let title = if i == 7 { "=HYPERLINK(\"http://evil.example\",\"x\"), \"quoted\"".to_string() } else { format!("Story {i}") };
        let mut claim = |k: usize, status: ClaimStatus, text: &str| {
            claims.push(AlignedClaim {
                id: format!("c{i:02}-{k}"),
                story_id: id.clone(),
                text: text.into(),
                status,
                outlets: vec!["Outlet 0".into()],
                first_outlet: "Outlet 0".into(),
                sources: vec![],
                members: vec![Claim {
                    id: format!("m{i:02}-{k}"),
                    article_id: ids[0].clone(),
                    sentence: 0,
                    start: 0,
                    end: 1,
                    text: text.into(),
                    entities: vec![],
                    quantities: vec![],
                    attribution: None,
                    checkworthiness: 0.5,
                }],
                conflict: None,
                checkworthiness: 0.5,
            })
        };
        if i % 3 == 0 {
            claim(0, ClaimStatus::Contested, if i == 6 { "-12 people, said @officials" } else { "A number in dispute." });
        }
        if i % 2 == 0 {
            claim(1, ClaimStatus::Corroborated, "Both said so.");
            claim(2, ClaimStatus::Corroborated, "And this.");
        }
        claim(3, ClaimStatus::SingleSource, "One said so.");
        stories.push(Story {
            id,
            title,
            outlets: (0..n.min(3)).map(|j| format!("Outlet {j}")).collect(),
            article_ids: ids,
            first_seen: t((i % 5) as i64),
            last_seen: t((i % 5) as i64 + n as i64 - 1),
            entities: vec![],
            copies: vec![],
            continues: None,
        });
    }
    s.put_articles(&articles).unwrap();
    s.replace_analysis(&Analysis { stories, claims, briefs: vec![] }).unwrap();
    let mut index = SearchIndex::open(&dir.path().join("index")).unwrap();
    let docs: Vec<dossier_search::IndexDoc> = articles
        .into_iter()
        .map(|a| dossier_search::IndexDoc {
            published: a.time(),
            story: Some(format!("s{}", &a.id[1..3])),
            id: a.id,
            title: a.title,
            body: a.text,
            outlet: a.outlet.name,
            language: a.language,
            entities: vec![],
            statuses: vec!["single_source".into()],
            vector: None,
        })
        .collect();
    index.sync(&docs).unwrap();
    let app = router(s, index, ServeOptions::default());
    (dir, app)
}

async fn get(app: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

async fn json(app: &Router, uri: &str) -> serde_json::Value {
    let (status, _, body) = get(app, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    v["stories"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn pages_of_every_sort_cover_the_list_once_in_its_order() {
    let (_d, app) = desk();
    for sort in ["rank", "size", "recent", "outlets", "contested", "corroborated"] {
        let whole = json(&app, &format!("/api/stories?sort={sort}&limit=500")).await;
        let all = ids(&whole);
        assert_eq!(all.len(), STORIES, "{sort}");
        assert_eq!(whole["total"], STORIES);
        assert!(whole.get("next_offset").is_none(), "one page holds them all");
        // Follow next_offset from the first page of 5 to the last.
        let (mut paged, mut offset, mut pages) = (vec![], Some(0u64), 0);
        while let Some(o) = offset {
            let page = json(&app, &format!("/api/stories?sort={sort}&limit=5&offset={o}")).await;
            assert_eq!(page["total"], STORIES);
            paged.extend(ids(&page));
            offset = page["next_offset"].as_u64();
            pages += 1;
        }
        assert_eq!(pages, STORIES.div_ceil(5), "{sort}");
        assert_eq!(paged, all, "{sort}: the pages, in turn, are the whole list: no story twice, none missing");
        assert_eq!(paged.iter().collect::<HashSet<_>>().len(), STORIES);
    }
    let size = json(&app, "/api/stories").await;
    assert_eq!(size["limit"], 100, "the default page");
    let first = &size["stories"][0];
    // Largest first (4 articles: 3, 7, 11, 15, 19), ties by last report then id.
    assert_eq!(first["article_count"], 4);
    let past = json(&app, "/api/stories?offset=23").await;
    assert_eq!(ids(&past), Vec::<String>::new());
    assert!(past.get("next_offset").is_none());
}

#[tokio::test]
async fn stories_carry_status_counts_and_filter_and_sort_by_them() {
    let (_d, app) = desk();
    let all = json(&app, "/api/stories?limit=500").await;
    let s06 = all["stories"].as_array().unwrap().iter().find(|s| s["id"] == "s06").unwrap();
    assert_eq!(s06["claims"], serde_json::json!({"contested": 1, "corroborated": 2, "single_source": 1, "unattributed": 0}));
    let contested = json(&app, "/api/stories?has=contested&limit=500").await;
    assert_eq!(contested["total"], 8, "stories 0, 3, ..., 21");
    assert!(ids(&contested).iter().all(|id| id[1..].parse::<usize>().unwrap() % 3 == 0));
    let both = json(&app, "/api/stories?has=contested&has=corroborated&limit=500").await;
    let mut both = ids(&both);
    both.sort();
    assert_eq!(both, ["s00", "s06", "s12", "s18"], "contested and corroborated");
    let none = json(&app, "/api/stories?has=unattributed").await;
    assert_eq!(none["total"], 0);
    let by_contested = json(&app, "/api/stories?sort=contested&limit=500").await;
    let first8: Vec<i64> = by_contested["stories"].as_array().unwrap().iter().take(9).map(|s| s["claims"]["contested"].as_i64().unwrap()).collect();
    assert_eq!(first8, [1, 1, 1, 1, 1, 1, 1, 1, 0]);
    // The stored spelling is taken too.
    assert_eq!(json(&app, "/api/stories?has=single-source").await["total"], STORIES);
}

#[tokio::test]
async fn unknown_values_are_400s_that_list_the_valid_ones() {
    let (_d, app) = desk();
    for (uri, says) in [
        ("/api/stories?sort=newest", "rank, size, recent, outlets, contested, corroborated"),
        ("/api/stories?has=disputed", "contested, corroborated, single_source, unattributed"),
        ("/api/stories?limit=0", "from 1 to 500"),
        ("/api/stories?limit=501", "from 1 to 500"),
        ("/api/stories?offset=-1", "from 0 to 100000"),
        ("/api/stories?page=2", "(sort, has, limit, offset)"),
        ("/api/search?status=disputed", "contested, corroborated, single_source, unattributed"),
        ("/api/stories.csv?sort=big", "rank, size"),
        ("/api/claims.csv?status=true", "single_source"),
        ("/api/stories/s00/claims.csv?status=x", "single_source"),
        ("/api/articles.csv?outlet=x", "(story)"),
        ("/api/entities/X?limit=1000", "from 1 to 500"),
    ] {
        let (status, headers, body) = get(&app, uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert!(headers["content-type"].to_str().unwrap().starts_with("application/json"), "{uri}");
        assert!(body.contains(says), "{uri}: {body}");
    }
    let (status, _, body) = get(&app, "/?has=disputed").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("single_source") && body.starts_with("<!doctype html>"), "the feed says it on a page: {body}");
}

fn csv_rows(body: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
    r.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
}

#[tokio::test]
async fn csv_exports_download_with_headers_rows_and_defused_formulas() {
    let (_d, app) = desk();
    let (status, headers, body) = get(&app, "/api/stories.csv?sort=size").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"dossier-stories.csv\"");
    let rows = csv_rows(&body);
    assert_eq!(rows[0][..4], ["story_id", "title", "outlet_count", "outlets"]);
    assert_eq!(rows.len(), STORIES + 1);
    let api = json(&app, "/api/stories?sort=size&limit=500").await;
    assert_eq!(rows[1..].iter().map(|r| r[0].clone()).collect::<Vec<_>>(), ids(&api), "the API's order");
    let s07 = rows.iter().find(|r| r[0] == "s07").unwrap();
    assert_eq!(s07[1], "'=HYPERLINK(\"http://evil.example\",\"x\"), \"quoted\"", "quoted, and no formula");
    let s06 = rows.iter().find(|r| r[0] == "s06").unwrap();
    assert_eq!(s06[9..13], ["1", "2", "1", "0"]);
    let (_, _, filtered) = get(&app, "/api/stories.csv?has=contested&limit=3").await;
    assert_eq!(csv_rows(&filtered).len(), 4);

    let (status, headers, body) = get(&app, "/api/stories/s06/claims.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-disposition"], "attachment; filename=\"dossier-claims-s06.csv\"");
    let rows = csv_rows(&body);
    assert_eq!(rows[0], export_columns(dossier_brief::export::CLAIM_COLUMNS.as_slice()));
    assert_eq!(rows[1][..9], ["s06", "c06-0", "'-12 people, said @officials", "contested", "Outlet 0", "", "Outlet 0", "2025-06-20T01:00:00Z", "a06-0"]);
    assert_eq!(rows.len(), 5);
    let (_, _, only) = get(&app, "/api/stories/s06/claims.csv?status=corroborated").await;
    assert_eq!(csv_rows(&only).len(), 3);
    assert_eq!(get(&app, "/api/stories/nope/claims.csv").await.0, StatusCode::NOT_FOUND);

    let (_, headers, body) = get(&app, "/api/claims.csv?status=contested").await;
    assert_eq!(headers["content-disposition"], "attachment; filename=\"dossier-claims.csv\"");
    let rows = csv_rows(&body);
    assert_eq!(rows.len(), 9, "a header and the 8 contested claims");
    assert!(rows[1..].iter().all(|r| r[3] == "contested"));

    let (_, headers, body) = get(&app, "/api/articles.csv").await;
    assert_eq!(headers["content-disposition"], "attachment; filename=\"dossier-articles.csv\"");
    let rows = csv_rows(&body);
    assert_eq!(rows[0], export_columns(dossier_brief::export::ARTICLE_COLUMNS.as_slice()));
    assert_eq!(rows.len(), 1 + (0..STORIES).map(|i| 1 + i % 4).sum::<usize>());
    let (_, _, one) = get(&app, "/api/articles.csv?story=s07").await;
    let rows = csv_rows(&one);
    assert_eq!(rows.len(), 5);
    assert!(rows[1..].iter().all(|r| r[1] == "s07" && r[3].starts_with("'=")), "{rows:?}");
}

fn export_columns(c: &[&str]) -> Vec<String> {
    c.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn the_feed_pages_with_links_and_shows_counts_and_controls() {
    let (_d, app) = desk();
    let (status, _, first) = get(&app, "/?limit=10").await;
    assert_eq!(status, StatusCode::OK);
    assert!(first.contains("1–10 of 23"), "{first}");
    assert!(first.contains("rel=\"next\" href=\"/?limit=10&amp;offset=10\""), "{first}");
    assert!(!first.contains("rel=\"prev\""));
    assert!(first.contains("<select name=\"sort\">") && first.contains("name=\"has\" value=\"contested\""));
    assert!(first.contains("href=\"/api/stories.csv?sort=rank\""), "the export of what the feed lists: {first}");
    let cards = |html: &str| html.matches("class=\"card story\"").count();
    assert_eq!(cards(&first), 10);
    let (_, _, last) = get(&app, "/?limit=10&offset=20").await;
    assert_eq!(cards(&last), 3);
    assert!(last.contains("21–23 of 23") && last.contains("rel=\"prev\" href=\"/?limit=10&amp;offset=10\"") && !last.contains("rel=\"next\""));
    let hrefs = |html: &str| html.match_indices("class=\"title\" href=\"/stories/").map(|(i, _)| html[i + 29..i + 32].to_string()).collect::<Vec<_>>();
    let mut seen = hrefs(&first);
    seen.extend(hrefs(&get(&app, "/?limit=10&offset=10").await.2));
    seen.extend(hrefs(&last));
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), STORIES, "{seen:?}");
    // Counts at a glance, a filter kept in the links, and the feed's markup escaped.
    let (_, _, contested) = get(&app, "/?has=contested&sort=contested&limit=5").await;
    assert!(contested.contains("1 contested</span>") && contested.contains("2 corroborated</span>"), "{contested}");
    assert!(contested.contains("name=\"has\" value=\"contested\" checked"));
    assert!(contested.contains("<option value=\"contested\" selected>"));
    assert!(contested.contains("href=\"/?sort=contested&amp;has=contested&amp;limit=5&amp;offset=5\""), "{contested}");
    let (_, _, all) = get(&app, "/?limit=500&utm_source=x").await;
    assert!(all.contains("=HYPERLINK(&quot;http://evil.example&quot;") && !all.contains("\"http://evil.example\""));
}

#[tokio::test]
async fn the_search_page_pages_its_hits() {
    let (_d, app) = desk();
    let (status, _, first) = get(&app, "/search?q=report&outlet=Outlet+0").await;
    assert_eq!(status, StatusCode::OK);
    // A report from Outlet 0 in every story, two in the five of four articles: 28 hits, 20 a page.
    assert!(first.contains("1–20 of 28") && first.contains("rel=\"next\" href=\"/search?q=report&amp;outlet=Outlet+0&amp;offset=20\""), "{first}");
    let (_, _, second) = get(&app, "/search?q=report&outlet=Outlet+0&offset=20").await;
    assert!(second.contains("21–28 of 28") && second.contains("rel=\"prev\" href=\"/search?q=report&amp;outlet=Outlet+0\"") && !second.contains("rel=\"next\""), "{second}");
    assert_eq!(second.matches("<li><a href=\"/articles/").count(), 8);
    assert!(!second.contains("name=\"offset\""), "a new search starts at the first page");
    assert_eq!(get(&app, "/search?q=report&offset=10001").await.0, StatusCode::BAD_REQUEST);
}

#[test]
fn a_card_names_a_dozen_outlets_and_counts_the_rest() {
    let story = Story {
        id: "s".into(),
        title: "Wire story".into(),
        article_ids: vec!["a".into()],
        outlets: (0..20).map(|i| format!("Outlet <{i}>")).collect(),
        first_seen: t(0),
        last_seen: t(1),
        entities: vec![],
        copies: vec![],
        continues: None,
    };
    let card = crate::ui::story_card(&dossier_brief::desk::StoryRow { story, claims: Default::default() });
    assert_eq!(card.matches("href=\"/outlets/").count(), 12, "{card}");
    assert!(card.contains(">Outlet &lt;11&gt;</a>") && !card.contains("Outlet &lt;12&gt;") && card.contains("and 8 more"), "{card}");
}
