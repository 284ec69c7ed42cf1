//! The server over a real PostgreSQL store, filled as scale-out workers fill it
//! (`DOSSIER_TEST_POSTGRES`; skipped with a note when it is not set).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dossier_model::{AlignedClaim, Article, ArticleKind, ClaimStatus, Outlet, OutletBasis, Story};
use dossier_store::{Analysis, Store};
use dossier_store_postgres::{create_test_database, test_server, PgStore};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;

const TOKEN: &str = "0123456789abcdef-ingest";

fn art(id: &str, outlet: &str, day: u32, text: &str) -> Article {
    let t: chrono::DateTime<chrono::Utc> = format!("2025-06-{day:02}T10:00:00Z").parse().unwrap();
    Article {
        id: id.into(),
        kind: ArticleKind::Main,
        title: format!("Quake report {id}"),
        text: text.into(),
        outlet: Outlet { name: outlet.into(), basis: OutletBasis::Given },
        url: Some(format!("https://example.org/{id}")),
        source: "t".into(),
        published: Some(t),
        seen_at: t,
        language: Some("en".into()),
    }
}

fn analysis(arts: &[Article], status: ClaimStatus) -> Analysis {
    let story = Story {
        id: "s1".into(),
        title: "Quake in Chile".into(),
        article_ids: arts.iter().map(|a| a.id.clone()).collect(),
        outlets: vec!["Alpha".into(), "Beta".into()],
        first_seen: arts[0].time(),
        last_seen: arts[arts.len() - 1].time(),
        entities: vec!["Chile".into()],
        copies: vec![],
        continues: None,
    };
    let member = |a: &str| dossier_model::Claim {
        id: format!("m-{a}"),
        article_id: a.into(),
        sentence: 0,
        start: 0,
        end: 10,
        text: "A strong earthquake hit Chile".into(),
        entities: vec![],
        quantities: vec![],
        attribution: None,
        checkworthiness: 0.5,
    };
    let claim = AlignedClaim {
        id: "c1".into(),
        story_id: "s1".into(),
        text: "A strong earthquake hit Chile".into(),
        status,
        outlets: vec!["Alpha".into(), "Beta".into()],
        first_outlet: "Alpha".into(),
        sources: vec![],
        members: vec![member("a1"), member("a2")],
        conflict: None,
        checkworthiness: 0.5,
    };
    Analysis { stories: vec![story], claims: vec![claim], briefs: vec![] }
}

/// A worker's writes, from its own connection (opened and closed off the async runtime).
async fn as_worker(url: &str, f: impl FnOnce(&mut PgStore) + Send + 'static) {
    let url = url.to_string();
    tokio::task::spawn_blocking(move || f(&mut PgStore::connect(&url).unwrap())).await.unwrap();
}

async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
    let resp = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    (status, String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap())
}

async fn json(app: &Router, uri: &str) -> serde_json::Value {
    let (status, body) = get(app, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    serde_json::from_str(&body).unwrap()
}

async fn refresh(state: &Arc<App>) -> follow::Refreshed {
    let s = state.clone();
    tokio::task::spawn_blocking(move || s.refresh_index()).await.unwrap().unwrap().expect("the server follows")
}

#[tokio::test]
async fn serves_ui_api_search_and_events_from_a_postgres_store() {
    let Some(server) = test_server() else {
        eprintln!("skipped: DOSSIER_TEST_POSTGRES is not set (scripts/test.sh starts a PostgreSQL server and sets it)");
        return;
    };
    let url = tokio::task::spawn_blocking(move || create_test_database(&server).unwrap()).await.unwrap();
    let quake = "A strong earthquake hit Chile on Monday. Officials in Santiago said damage was limited.";
    let arts = vec![art("a1", "Alpha", 1, quake), art("a2", "Beta", 2, quake)];
    let (a, an) = (arts.clone(), analysis(&arts, ClaimStatus::Corroborated));
    as_worker(&url, move |pg| {
        pg.put_articles(&a).unwrap();
        pg.replace_analysis(&an).unwrap();
    })
    .await;

    let dir = tempfile::tempdir().unwrap();
    let index = SearchIndex::open(&postgres_index_dir(dir.path(), &url)).unwrap();
    let (app, state) = super::app(Stores::postgres(&url), index, ServeOptions { follow_index: true, ingest_token: Some(TOKEN.into()), ..Default::default() });
    let r = refresh(&state).await;
    assert_eq!((r.articles, r.read, r.changed), (2, 2, 2), "{r:?}");

    // The UI and the JSON API answer with what the workers stored.
    let v = json(&app, "/api/stories").await;
    assert_eq!(v["stories"][0]["id"], "s1");
    assert_eq!(v["stories"][0]["article_count"], 2);
    let v = json(&app, "/api/stories/s1").await;
    assert_eq!(v["claims"][0]["status"], "corroborated");
    assert_eq!(v["articles"].as_array().unwrap().len(), 2);
    let (status, page) = get(&app, "/stories/s1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Quake in Chile") && page.contains("Claims × outlets") && page.contains("href=\"/articles/a2\""), "{page}");
    assert_eq!(get(&app, "/").await.0, StatusCode::OK);
    assert_eq!(json(&app, "/api/articles/a1").await["outlet"]["name"], "Alpha");
    assert_eq!(get(&app, "/api/stories/nope").await.0, StatusCode::NOT_FOUND);
    // Search: the follower indexed the articles, their story, claim statuses and entities.
    let v = json(&app, "/api/search?q=earthquake").await;
    assert_eq!(v["total"], 2, "{v}");
    assert_eq!(v["hits"][0]["story"], "s1");
    assert_eq!(v["facets"]["status"][0]["value"], "corroborated", "{v}");
    assert!(v["facets"]["entity"].as_array().unwrap().iter().any(|f| f["value"] == "Chile"), "{v}");
    let (status, page) = get(&app, "/entities/Chile").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("href=\"/stories/s1\""));
    assert!(get(&app, "/search?q=earthquake&outlet=Beta").await.1.contains("1 match(es)"));
    // A claim's "more like this" and an actor pair read their rows from the PostgreSQL store.
    let v = json(&app, "/api/claims/c1/similar").await;
    assert_eq!((v["claim"]["story_id"].as_str(), v["claim"]["text"].as_str()), (Some("s1"), Some("A strong earthquake hit Chile")), "{v}");
    assert_eq!(v["stories"], serde_json::json!([]), "one story: none other is like it");
    assert_eq!(get(&app, "/api/claims/nope/similar").await.0, StatusCode::NOT_FOUND);
    let v = json(&app, "/api/pairs?a=Chile&b=Santiago").await;
    assert_eq!((v["articles"].as_u64(), v["sentences"].as_u64()), (Some(0), Some(0)), "no sentence names both: {v}");

    // /api/events: the watcher polls the PostgreSQL store like the SQLite one.
    let mut events = state.changes.subscribe();
    let watching = spawn_watcher(state.clone());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // A worker stores a third report and a new analysis (the claim is now contested).
    let more = vec![arts[0].clone(), arts[1].clone(), art("a3", "Gamma", 3, "Aftershocks rattled Valparaiso overnight, the navy said.")];
    let (a, an) = (more.clone(), analysis(&more, ClaimStatus::Contested));
    as_worker(&url, move |pg| {
        pg.put_articles(&a).unwrap();
        pg.replace_analysis(&an).unwrap();
    })
    .await;
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !(seen.iter().any(|c| matches!(c, Change::Articles { new: 1, total: 3 })) && seen.iter().any(|c| matches!(c, Change::Story { article_count: 3, .. }))) {
        seen.push(tokio::time::timeout_at(deadline, events.recv()).await.expect("changes within 10 s").unwrap());
    }
    // The follower saw the change too: the new article is found, the status facet moved,
    // and only what changed was read again.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let v = json(&app, "/api/search?q=aftershocks").await;
        if v["total"] == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the follower did not index the new article: {v}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let v = json(&app, "/api/search?q=earthquake&status=contested").await;
    assert_eq!(v["total"], 2, "{v}");
    assert_eq!(refresh(&state).await.read, 0, "nothing changed since");

    // POST /api/ingest stores into PostgreSQL (the analysis is the workers'); search sees it at once.
    let body = r#"{"url": "https://example.org/x", "title": "Bridge reopens", "text": "The Riverton bridge reopened to traffic on Friday after repairs.", "outlet": "Delta"}"#;
    let req = Request::post("/api/ingest").header("content-type", "application/json").header("authorization", format!("Bearer {TOKEN}")).body(Body::from(body)).unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(json(&app, "/api/search?q=bridge").await["total"], 1);
    let count_url = url.clone();
    let n = tokio::task::spawn_blocking(move || PgStore::connect(&count_url).unwrap().article_count().unwrap()).await.unwrap();
    assert_eq!(n, 4);

    // The database drops every connection (a restart, a failover): the server opens new ones.
    let admin = url.clone();
    tokio::task::spawn_blocking(move || {
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()", &[]).unwrap();
    })
    .await
    .unwrap();
    // Each pooled connection fails at most its next call, then is replaced.
    let mut answers = Vec::new();
    for _ in 0..15 {
        answers.push(get(&app, "/api/stories/s1").await.0);
    }
    assert!(answers.iter().all(|s| [StatusCode::OK, StatusCode::INTERNAL_SERVER_ERROR].contains(s)), "{answers:?}");
    assert!(answers[10..].iter().all(|s| *s == StatusCode::OK), "{answers:?}");

    // A server started again rereads nothing; a rebuild reads everything. (This one stops
    // first: one follower per index folder; a refresh takes the follower's lock.)
    watching.stop();
    refresh(&state).await;
    drop((app, state));
    let index_dir = postgres_index_dir(dir.path(), &url);
    let (again, state) = super::app(Stores::postgres(&url), SearchIndex::open(&index_dir).unwrap(), ServeOptions { follow_index: true, ..Default::default() });
    assert_eq!(refresh(&state).await.read, 0);
    assert_eq!(json(&again, "/api/search?q=earthquake").await["total"], 2);
    drop((again, state));
    let (u, d) = (url.clone(), index_dir.clone());
    let r = tokio::task::spawn_blocking(move || index_postgres(&u, &d, true, &mut |_, _| {})).await.unwrap().unwrap();
    assert_eq!((r.articles, r.read), (4, 4));
}
