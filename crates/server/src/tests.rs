use axum::body::Body;
use axum::http::{Request, StatusCode};
use dossier_model::{Article, ArticleKind, Outlet, OutletBasis, Story};
use dossier_store::{Analysis, SqliteStore, Store};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;

fn store_with_hostile_article() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_dir(dir.path()).unwrap();
    let t = "2025-06-22T00:00:00Z".parse().unwrap();
    let a = Article {
        id: "a1".into(),
        kind: ArticleKind::Main,
        title: "<script>alert(1)</script> title".into(),
        text: "Body <img src=x onerror=alert(2)> and <a href=\"javascript:alert(3)\">link</a>.".into(),
        outlet: Outlet { name: "O\"utlet".into(), basis: OutletBasis::Given },
        url: Some("javascript:alert(4)".into()),
        source: "t".into(),
        published: None,
        seen_at: t,
        language: None,
    };
    s.put_articles(&[a]).unwrap();
    let story = Story { id: "s1".into(), title: "<script>x</script>".into(), article_ids: vec!["a1".into()], outlets: vec!["O\"utlet".into()], first_seen: t, last_seen: t, entities: vec![], copies: vec![] };
    s.replace_analysis(&Analysis { stories: vec![story], claims: vec![], briefs: vec![] }).unwrap();
    (dir, s)
}

async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
    let resp = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn pages_escape_article_content() {
    let (_d, s) = store_with_hostile_article();
    let app = router(s);
    for uri in ["/", "/stories/s1", "/articles/a1"] {
        let (status, body) = get(&app, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(!body.contains("<script>"), "{uri}: {body}");
        assert!(!body.contains("<img"), "{uri}");
        assert!(!body.contains("href=\"javascript:"), "{uri}");
    }
    let (_, body) = get(&app, "/articles/a1").await;
    assert!(body.contains("&lt;img src=x onerror=alert(2)&gt;"));
}

#[tokio::test]
async fn api_json_and_not_found() {
    let (_d, s) = store_with_hostile_article();
    let app = router(s);
    let (status, body) = get(&app, "/api/stories").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["stories"][0]["id"], "s1");
    assert_eq!(v["stories"][0]["article_count"], 1);
    let (status, body) = get(&app, "/api/stories/s1").await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["articles"][0]["id"], "a1");
    let (status, body) = get(&app, "/api/stories/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no story"));
}
