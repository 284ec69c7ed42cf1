use axum::body::Body;
use axum::http::{Request, StatusCode};
use dossier_model::{Article, ArticleKind, Outlet, OutletBasis, Story};
use dossier_store::{Analysis, SqliteStore, Store};
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;

pub(super) fn store_with_hostile_article() -> (tempfile::TempDir, SqliteStore) {
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
    let story = Story {
        id: "s1".into(),
        title: "<script>x</script>".into(),
        article_ids: vec!["a1".into()],
        outlets: vec!["O\"utlet".into()],
        first_seen: t,
        last_seen: t,
        entities: vec![],
        copies: vec![],
        continues: None,
    };
    s.replace_analysis(&Analysis { stories: vec![story], claims: vec![], briefs: vec![] }).unwrap();
    (dir, s)
}

pub(super) fn app(dir: &tempfile::TempDir, s: SqliteStore) -> Router {
    let mut index = SearchIndex::open(&dir.path().join("index")).unwrap();
    let docs: Vec<dossier_search::IndexDoc> = s
        .articles()
        .unwrap()
        .into_iter()
        .map(|a| dossier_search::IndexDoc {
            published: a.time(),
            id: a.id,
            title: a.title,
            body: a.text,
            outlet: a.outlet.name,
            language: a.language,
            entities: vec!["Chile".into()],
            statuses: vec!["single_source".into()],
            story: Some("s1".into()),
            vector: None,
        })
        .collect();
    index.sync(&docs).unwrap();
    router(s, index, ServeOptions::default())
}

pub(super) const TOKEN: &str = "0123456789abcdef-ingest";

pub(super) fn app_with(dir: &tempfile::TempDir, s: SqliteStore, options: ServeOptions) -> (Router, Arc<App>) {
    let index = SearchIndex::open(&dir.path().join("index")).unwrap();
    super::app(s, index, options)
}

pub(super) async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn post(uri: &str, token: Option<&str>, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    let mut r = Request::post(uri).header("content-type", content_type);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    r.body(body.into()).unwrap()
}

pub(super) async fn get(app: &Router, uri: &str) -> (StatusCode, String) {
    let resp = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn pages_escape_article_content() {
    let (d, s) = store_with_hostile_article();
    let app = app(&d, s);
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
    let (d, s) = store_with_hostile_article();
    let app = app(&d, s);
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

#[tokio::test]
async fn search_api_and_clear_400s() {
    let (d, s) = store_with_hostile_article();
    let app = app(&d, s);
    let (status, body) = get(&app, "/api/search?q=body&outlet=O%22utlet&entity=Chile&status=single_source&from=2025-06-01&to=2025-06-30&limit=5").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["id"], "a1");
    assert!(!v["hits"][0]["snippet_html"].as_str().unwrap().contains("<img"), "snippets are escaped");
    assert_eq!(v["facets"]["entity"][0]["value"], "Chile");
    // What breaks a documented rule is a 400 naming the parameter; a query of the right
    // form that does not parse is a 422.
    let long = format!("/api/search?q={}", "é".repeat(2001));
    for (uri, want, says) in [
        ("/api/search?limit=abc", 400, "limit"),
        ("/api/search?limit=0", 400, "from 1 to 100"),
        ("/api/search?limit=101", 400, "from 1 to 100"),
        ("/api/search?offset=-1", 400, "offset"),
        ("/api/search?offset=10001", 400, "from 0 to 10000"),
        ("/api/search?from=yesterday", 400, "from"),
        ("/api/search?from=2025-6-1", 400, "from"),
        ("/api/search?to=2025-06-01%2010:00", 400, "to"),
        ("/api/search?colour=red", 400, "unknown parameter"),
        ("/api/search?q=body&mode=semantic", 400, "(valid: lexical, vector, hybrid)"),
        ("/api/search?q=body&mode=vector", 422, "needs article vectors"),
        ("/api/search?q=body&mode=hybrid", 422, "needs article vectors"),
        ("/api/stories/s1/similar?limit=0", 400, "from 1 to 50"),
        ("/api/stories/s1/similar?colour=red", 400, "unknown parameter"),
        ("/api/stories/nope/similar", 404, "no story"),
        (&long, 400, "2000 characters"),
        ("/api/search?q=nosuchfield:x", 422, "bad query"),
        ("/api/search?q=%22unclosed", 0, ""),
        ("/api/changes?limit=0", 400, "from 1 to 5000"),
        ("/api/changes?limit=5001", 400, "from 1 to 5000"),
        ("/api/changes?since=-1", 400, "since"),
    ] {
        let (status, body) = get(&app, uri).await;
        if says.is_empty() {
            assert!(status == StatusCode::OK || status == StatusCode::UNPROCESSABLE_ENTITY, "{uri}: {status}");
            continue;
        }
        assert_eq!(status.as_u16(), want, "{uri}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(v["error"].as_str().unwrap().contains(says), "{uri}: {body}");
    }
    // Without vectors the default is lexical, and the answer says so.
    let (_, body) = get(&app, "/api/search?q=body").await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["mode"], "lexical");
    let (status, body) = get(&app, "/api/search?q=body&mode=lexical").await;
    assert_eq!((status, serde_json::from_str::<serde_json::Value>(&body).unwrap()["total"].as_u64()), (StatusCode::OK, Some(1)), "{body}");
    let (status, body) = get(&app, &format!("/api/search?q={}&limit=100&offset=10000&from=2025-06-01T00:00:00%2B02:00&to=2025-06-30", "é".repeat(2000))).await;
    assert_eq!(status, StatusCode::OK, "at the limits: {body}");
    assert_eq!(get(&app, "/api/changes?limit=5000&since=0").await.0, StatusCode::OK);
}

/// Checks a JSON value against an OpenAPI 3.1 schema (the subset utoipa
/// writes: $ref, type, properties/required, items, prefixItems, enum,
/// oneOf/anyOf/allOf, additionalProperties). Objects may not carry
/// properties the schema does not name, so an undocumented field is caught.
fn check(doc: &serde_json::Value, schema: &serde_json::Value, v: &serde_json::Value, at: &str) -> Result<(), String> {
    use serde_json::Value as J;
    if let Some(r) = schema.get("$ref").and_then(J::as_str) {
        let name = r.strip_prefix("#/components/schemas/").ok_or(format!("{at}: unsupported $ref {r}"))?;
        return check(doc, &doc["components"]["schemas"][name], v, at);
    }
    if let Some(all) = schema.get("allOf").and_then(J::as_array) {
        for s in all {
            check(doc, s, v, at)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema.get(key).and_then(J::as_array) {
            let errors: Vec<String> = alts.iter().filter_map(|s| check(doc, s, v, at).err()).collect();
            if errors.len() == alts.len() {
                return Err(format!("{at}: matches none of {key}: {errors:?}"));
            }
        }
    }
    if let Some(e) = schema.get("enum").and_then(J::as_array) {
        if !e.contains(v) {
            return Err(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            J::String(s) => vec![s.as_str()],
            J::Array(a) => a.iter().filter_map(J::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "null" => v.is_null(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "array" => v.is_array(),
            "object" => v.is_object(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: {v} is not {types:?}"));
        }
    }
    if let (Some(obj), true) = (v.as_object(), schema.get("properties").is_some() || schema.get("additionalProperties").is_some()) {
        let props = schema.get("properties").and_then(J::as_object);
        for req in schema.get("required").and_then(J::as_array).into_iter().flatten().filter_map(J::as_str) {
            if !obj.contains_key(req) {
                return Err(format!("{at}: required {req} missing"));
            }
        }
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(doc, s, x, &format!("{at}.{k}"))?,
                None => match schema.get("additionalProperties") {
                    Some(J::Bool(true)) => {}
                    Some(s) if s.is_object() => check(doc, s, x, &format!("{at}.{k}"))?,
                    _ => return Err(format!("{at}: property {k} is not in the schema")),
                },
            }
        }
    }
    if let Some(a) = v.as_array() {
        if let Some(prefix) = schema.get("prefixItems").and_then(J::as_array) {
            for (i, (s, x)) in prefix.iter().zip(a).enumerate() {
                check(doc, s, x, &format!("{at}[{i}]"))?;
            }
        } else if let Some(items) = schema.get("items").filter(|i| i.is_object()) {
            for (i, x) in a.iter().enumerate() {
                check(doc, items, x, &format!("{at}[{i}]"))?;
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn served_responses_match_the_served_openapi_document() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_dir(dir.path()).unwrap();
    // A real analysis, so briefs, claims, quantities and teasers appear in the answers.
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/corpus");
    let mut articles = Vec::new();
    for e in std::fs::read_dir(&corpus).unwrap() {
        let p = e.unwrap().path();
        let parsed = dossier_ingest::ingest_bytes(&p.display().to_string(), &std::fs::read(&p).unwrap(), dossier_ingest::Format::Text, "2025-06-22T00:00:00Z".parse().unwrap());
        articles.extend(parsed.articles);
    }
    s.put_articles(&articles).unwrap();
    let enriched: Vec<_> = articles.iter().map(dossier_enrich::enrich).collect();
    let stories = dossier_stories::cluster(&enriched, &dossier_stories::Settings::default());
    let mut analysis = Analysis { stories: stories.clone(), ..Default::default() };
    for st in &stories {
        let docs: Vec<&dossier_enrich::Enriched> = enriched.iter().filter(|e| st.article_ids.contains(&e.article.id)).collect();
        let claims = dossier_claims::align(st, &docs, &dossier_claims::Settings::default());
        let primary = dossier_claims::primary_sources(&docs);
        let mut brief = dossier_brief::build(st, &articles, &claims, &primary);
        // A stance as the engine adds one, so the story's JSON is checked against its schema with it.
        if st.outlets.len() >= 2 {
            brief.stances.push(dossier_model::OutletStance {
                outlet: st.outlets[1].clone(),
                article_id: st.article_ids[1].clone(),
                toward_outlet: st.outlets[0].clone(),
                toward_article_id: st.article_ids[0].clone(),
                headline: "<b>Memo</b> was dated".into(),
                stance: dossier_model::Stance::Disagree,
                confidence: 0.7,
            });
        }
        analysis.briefs.push(brief);
        analysis.claims.extend(claims);
    }
    s.replace_analysis(&analysis).unwrap();
    let app = app(&dir, s);
    let story = &stories.iter().max_by_key(|s| s.article_ids.len()).unwrap().id;
    let (_, page) = get(&app, &format!("/stories/{story}")).await;
    assert!(page.contains("Stances towards other outlets' headlines") && page.contains(" disputes ") && page.contains("“&lt;b&gt;Memo&lt;/b&gt; was dated”"), "{page}");
    let (_, json) = get(&app, &format!("/api/stories/{story}")).await;
    assert!(json.contains("\"stance\":\"disagree\""), "{json}");
    let (status, body) = get(&app, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let teaser = articles.iter().find(|a| a.is_teaser()).unwrap();
    let claim = &analysis.claims[0].id;
    let mut uris = vec![
        ("/api/stories".to_string(), "/api/stories", 200),
        (format!("/api/stories/{story}"), "/api/stories/{id}", 200),
        (format!("/api/articles/{}", articles[0].id), "/api/articles/{id}", 200),
        (format!("/api/articles/{}", teaser.id), "/api/articles/{id}", 200),
        ("/api/articles/nope".to_string(), "/api/articles/{id}", 404),
        ("/api/stories/nope".to_string(), "/api/stories/{id}", 404),
        ("/api/search?q=memo".to_string(), "/api/search", 200),
        ("/api/search".to_string(), "/api/search", 200),
        ("/api/search?limit=x".to_string(), "/api/search", 400),
        ("/api/search?q=memo&mode=lexical".to_string(), "/api/search", 200),
        ("/api/search?q=memo&mode=words".to_string(), "/api/search", 400),
        (format!("/api/stories/{story}/similar"), "/api/stories/{id}/similar", 200),
        ("/api/stories/nope/similar".to_string(), "/api/stories/{id}/similar", 404),
        (format!("/api/stories/{story}/similar?limit=51"), "/api/stories/{id}/similar", 400),
        ("/api/entities/Chile".to_string(), "/api/entities/{name}", 200),
        ("/api/entities/Atlantis".to_string(), "/api/entities/{name}", 404),
        (format!("/api/outlets/{}", articles[0].outlet.name.replace(' ', "%20")), "/api/outlets/{name}", 200),
        ("/api/pairs?a=Russia&b=China".to_string(), "/api/pairs", 200),
        ("/api/pairs?a=Russia".to_string(), "/api/pairs", 400),
        (format!("/api/claims/{claim}/similar"), "/api/claims/{id}/similar", 200),
        (format!("/api/claims/{claim}/similar?limit=0"), "/api/claims/{id}/similar", 400),
        ("/api/claims/nope/similar".to_string(), "/api/claims/{id}/similar", 404),
    ];
    uris.dedup();
    let mut checked_claims = false;
    for (uri, path, want) in uris {
        let (status, body) = get(&app, &uri).await;
        assert_eq!(status.as_u16(), want, "{uri}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        let schema = &doc["paths"][path]["get"]["responses"][want.to_string()]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{path} {want} is not documented");
        check(&doc, schema, &v, &uri).unwrap_or_else(|e| panic!("{e}"));
        checked_claims |= v["claims"].as_array().is_some_and(|c| !c.is_empty());
    }
    assert!(checked_claims, "a story with aligned claims was checked");
    // The checker itself catches drift: an undocumented field, a wrong type, a missing field.
    let (_, body) = get(&app, "/api/stories").await;
    let good: serde_json::Value = serde_json::from_str(&body).unwrap();
    let schema = &doc["paths"]["/api/stories"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    for (field, value) in [("surprise", serde_json::json!(1)), ("article_count", serde_json::json!("three")), ("first_seen", serde_json::Value::Null)] {
        let mut bad = good.clone();
        bad["stories"][0][field] = value;
        assert!(check(&doc, schema, &bad, "bad").is_err(), "{field} drift not caught");
    }
    let mut bad = good.clone();
    bad["stories"][0].as_object_mut().unwrap().remove("title");
    assert!(check(&doc, schema, &bad, "bad").is_err(), "missing field not caught");
    // Every documented path and method is served (statuses only: the event stream never ends).
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let uri = path.replace("{id}", "nope").replace("{name}", "nope");
            let req = Request::builder().method(method.to_uppercase().as_str()).uri(&uri).header("content-type", "application/json").body(Body::from("{}")).unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            assert!(![StatusCode::METHOD_NOT_ALLOWED, StatusCode::INTERNAL_SERVER_ERROR].contains(&status), "{method} {path}: {status}");
            assert!(item[method]["responses"][status.as_u16().to_string()].is_object(), "{method} {path}: {status} is not documented");
        }
    }
}

#[tokio::test]
async fn ingest_needs_its_token_and_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = calls.clone();
    let analyse: Analyser = Arc::new(move |_store: &mut dyn Store| {
        c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    });
    let (app, _) = app_with(&dir, s, ServeOptions { ingest_token: Some(TOKEN.into()), analyse: Some(analyse), ..Default::default() });
    let two = r#"[{"url": "https://example.org/a", "title": "Quake hits Chile", "text": "A strong earthquake hit Chile on Monday.", "outlet": "Example", "published": "2025-06-22"},
                 {"url": "https://example.org/b", "title": "Rates rise", "text": "The central bank raised rates.", "outlet": "Example"}]"#;
    let (status, body) = send(&app, post("/api/ingest", None, "application/json", two)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = send(&app, post("/api/ingest", Some("0123456789abcdef-wrong!"), "application/json", two)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = send(&app, post("/api/ingest", Some(TOKEN), "application/json", two)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["new"], 2);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1, "analysed once");
    let (_, body) = send(&app, post("/api/ingest", Some(TOKEN), "application/json", two)).await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["unchanged"], 2);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1, "nothing new, no analysis");
    let page = "<html><head><title>Fire in Riverton</title></head><body><article><h1>Fire in Riverton</h1><p>A fire destroyed a warehouse in the Riverton port district on Monday, officials said, and firefighters fought the blaze for six hours before it was under control.</p></article></body></html>";
    let (status, body) = send(&app, post("/api/ingest?url=https://example.org/fire", Some(TOKEN), "text/html; charset=utf-8", page)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (uri, ct, body, want, says) in [
        ("/api/ingest", "application/json", "{not json".to_string(), StatusCode::BAD_REQUEST, "not JSON"),
        ("/api/ingest", "application/json", "[1]".to_string(), StatusCode::BAD_REQUEST, "article 1"),
        ("/api/ingest", "application/json", "[]".to_string(), StatusCode::BAD_REQUEST, "no articles"),
        ("/api/ingest", "application/json", r#"{"title": "no text"}"#.to_string(), StatusCode::BAD_REQUEST, "article 1: record has neither"),
        (
            "/api/ingest",
            "application/json",
            r#"{"url": "https://example.org/e", "text": "An article with a blank outlet.", "outlet": "  "}"#.to_string(),
            StatusCode::BAD_REQUEST,
            "article 1: field `outlet` is empty",
        ),
        ("/api/ingest", "application/json", r#"{"text": "A body.", "published": "yesterday"}"#.to_string(), StatusCode::BAD_REQUEST, "article 1: field `published`"),
        ("/api/ingest", "application/json", r#"{"text": "A body.", "title": 7}"#.to_string(), StatusCode::BAD_REQUEST, "article 1: invalid type"),
        ("/api/ingest", "application/json", r#"{"text": " \u3000", "html": "\n"}"#.to_string(), StatusCode::BAD_REQUEST, "record has neither"),
        ("/api/ingest", "text/html", page.to_string(), StatusCode::UNPROCESSABLE_ENTITY, "?url="),
        ("/api/ingest?url=https://example.org/empty", "text/html", "<html><body></body></html>".to_string(), StatusCode::UNPROCESSABLE_ENTITY, ""),
        (
            "/api/ingest?url=https://example.org/empty",
            "application/json",
            r#"{"url": "https://example.org/x", "html": "<html><body></body></html>"}"#.to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "article 1",
        ),
        ("/api/ingest?url=file:///etc/passwd", "text/html", page.to_string(), StatusCode::BAD_REQUEST, "not an http"),
        ("/api/ingest?url=file:///etc/passwd", "application/json", two.to_string(), StatusCode::BAD_REQUEST, "not an http"),
        ("/api/ingest?colour=red", "application/json", two.to_string(), StatusCode::BAD_REQUEST, "unknown parameter \\\"colour"),
        ("/api/ingest", "text/plain", "hello".to_string(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type"),
        ("/api/ingest", "application/json", "x".repeat(MAX_INGEST_BODY + 1), StatusCode::PAYLOAD_TOO_LARGE, ""),
    ] {
        let (status, text) = send(&app, post(uri, Some(TOKEN), ct, body)).await;
        assert_eq!(status, want, "{uri} {ct}: {text}");
        assert!(text.contains(says), "{uri} {ct}: {text}");
    }
    // A batch breaking the documented rules is refused whole, every bad article named.
    let mixed = r#"[{"url": "https://example.org/c", "text": "Council approves the budget.", "outlet": "Example"},
                    {"url": "https://example.org/d", "text": "Storm closes the port.", "outlet": ""},
                    {"url": "https://example.org/e", "outlet": "Example"}]"#;
    let (status, body) = send(&app, post("/api/ingest", Some(TOKEN), "application/json", mixed)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("nothing stored") && body.contains("article 2: field `outlet` is empty") && body.contains("article 3: record has neither"), "{body}");
    assert!(!SqliteStore::open_dir(dir.path()).unwrap().has_url("https://example.org/c").unwrap(), "nothing of the refused batch stored");
    // One that follows them: an article whose page holds no article is named, the others stored.
    let mixed = r#"[{"url": "https://example.org/c", "text": "Council approves the budget.", "outlet": "Example"},
                    {"url": "https://example.org/d", "html": "<html><body></body></html>", "outlet": "Example"}]"#;
    let (status, body) = send(&app, post("/api/ingest", Some(TOKEN), "application/json", mixed)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["new"], 1, "{body}");
    assert!(v["errors"][0].as_str().unwrap().starts_with("article 2:"), "{body}");
    // While another process holds the data directory's writer lock, ingest waits, then says so.
    let held = dossier_store::WriterLock::acquire(dir.path(), |_| {}).unwrap();
    let (locked, _) = app_with(
        &dir,
        SqliteStore::open_dir(dir.path()).unwrap(),
        ServeOptions { ingest_token: Some(TOKEN.into()), writer_lock: Some((dir.path().to_path_buf(), std::time::Duration::from_millis(300))), ..Default::default() },
    );
    let fresh = r#"{"url": "https://example.org/locked", "text": "Written while the directory is locked.", "outlet": "Example"}"#;
    let (status, body) = send(&locked, post("/api/ingest", Some(TOKEN), "application/json", fresh)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("another dossier is writing") && body.contains(&format!("pid {}", std::process::id())), "{body}");
    drop(held);
    let (status, body) = send(&locked, post("/api/ingest", Some(TOKEN), "application/json", fresh)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Without an ingest token configured, ingest is off.
    let dir2 = tempfile::tempdir().unwrap();
    let (off, _) = app_with(&dir2, SqliteStore::open_dir(dir2.path()).unwrap(), ServeOptions::default());
    let (status, body) = send(&off, post("/api/ingest", Some(TOKEN), "application/json", two)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn read_token_guards_pages_and_api_when_set() {
    let (d, s) = store_with_hostile_article();
    let (app, _) = app_with(&d, s, ServeOptions { read_token: Some("read-token-0123456789".into()), ..Default::default() });
    let (status, body) = get(&app, "/api/stories").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(get(&app, "/").await.0, StatusCode::UNAUTHORIZED);
    let (status, _) = send(&app, Request::get("/api/stories").header("authorization", "Bearer read-token-0123456789").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    // A page asks for the token with a form that posts it: the token never goes in a URL.
    let (status, page) = get(&app, "/stories/s1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("<form") && page.contains("method=\"post\" action=\"/login\"") && page.contains("type=\"password\" name=\"token\""), "{page}");
    let form = |token: &str| Request::post("/login").header("content-type", "application/x-www-form-urlencoded").body(Body::from(format!("token={token}"))).unwrap();
    let resp = app.clone().oneshot(form("read-token-0123456789")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let (status, _) = send(&app, Request::get("/").header("cookie", cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, page) = send(&app, form("nope")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("not the read token") && page.contains("<form"), "{page}");
    // The old way, a token in the query string, logs nobody in.
    let resp = app.clone().oneshot(Request::get("/login?token=read-token-0123456789").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn events_announce_new_articles_and_stories() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteStore::open_dir(dir.path()).unwrap();
    // A stand-in analysis that makes one story of everything (the real pipeline lives in the CLI).
    let analyse: Analyser = Arc::new(|store: &mut dyn Store| {
        let arts = store.articles().map_err(|e| e.to_string())?;
        let t = arts[0].time();
        let story = Story {
            id: "st".into(),
            title: arts[0].title.clone(),
            article_ids: arts.iter().map(|a| a.id.clone()).collect(),
            outlets: vec![],
            first_seen: t,
            last_seen: t,
            entities: vec![],
            copies: vec![],
            continues: None,
        };
        store.replace_analysis(&Analysis { stories: vec![story], ..Default::default() }).map_err(|e| e.to_string())
    });
    let (app, state) = app_with(&dir, s, ServeOptions { ingest_token: Some(TOKEN.into()), analyse: Some(analyse), ..Default::default() });
    spawn_watcher(state);
    let doc: serde_json::Value = serde_json::from_str(&get(&app, "/api/openapi.json").await.1).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut sse = tokio::net::TcpStream::connect(addr).await.unwrap();
    sse.write_all(b"GET /api/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n").await.unwrap();
    let mut lines = BufReader::new(sse).lines();
    assert!(lines.next_line().await.unwrap().unwrap().contains("200"));
    // Let the watcher take its first look before anything changes.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let body = r#"{"url": "https://example.org/a", "title": "Quake hits Chile", "text": "A strong earthquake hit Chile on Monday.", "outlet": "Example"}"#;
    let mut post = tokio::net::TcpStream::connect(addr).await.unwrap();
    post.write_all(
        format!("POST /api/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            .as_bytes(),
    )
    .await
    .unwrap();
    // Every event is as the document says (ChangeEvent): `event: change`, then `data:` a Change.
    let event = &doc["paths"]["/api/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]["schema"];
    assert!(!event.is_null(), "the event stream is documented");
    let mut seen = Vec::new();
    let mut name = None;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !(seen.iter().any(|l: &String| l.contains("\"type\":\"articles\"")) && seen.iter().any(|l| l.contains("\"type\":\"story\""))) {
        let line = tokio::time::timeout_at(deadline, lines.next_line()).await.expect("events within 10 s").unwrap().unwrap();
        if let Some(n) = line.strip_prefix("event: ") {
            name = Some(n.to_string());
        } else if let Some(data) = line.strip_prefix("data: ") {
            let sent = serde_json::json!({"event": name.take().expect("data after its event line"), "data": serde_json::from_str::<serde_json::Value>(data).unwrap()});
            check(&doc, event, &sent, "event").unwrap_or_else(|e| panic!("{e}"));
            seen.push(line);
        }
    }
    assert!(seen.iter().any(|l| l.contains("\"new\":1") && l.contains("\"total\":1")), "{seen:?}");
    assert!(seen.iter().any(|l| l.contains("Quake hits Chile") && l.contains("\"article_count\":1")), "{seen:?}");
}

#[tokio::test]
async fn ui_pages_draw_charts_matrix_and_facets_and_escape() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_dir(dir.path()).unwrap();
    let t = |d: u32| -> chrono::DateTime<chrono::Utc> { format!("2025-06-{d:02}T10:00:00Z").parse().unwrap() };
    let art = |id: &str, outlet: &str, d: u32| Article {
        id: id.into(),
        kind: ArticleKind::Main,
        title: format!("<script>alert('{id}')</script> Quake report {id}"),
        text: "A strong earthquake hit Chile. <img src=x onerror=alert(1)> Officials said damage was limited.".into(),
        outlet: Outlet { name: outlet.into(), basis: OutletBasis::Given },
        url: None,
        source: "t".into(),
        published: Some(t(d)),
        seen_at: t(d),
        language: Some("en".into()),
    };
    let arts = vec![art("a1", "Alpha <News>", 1), art("a2", "Beta", 2), art("a3", "Beta", 3)];
    s.put_articles(&arts).unwrap();
    let story = Story {
        id: "s1".into(),
        title: "<b>Quake</b>".into(),
        article_ids: vec!["a1".into(), "a2".into(), "a3".into()],
        outlets: vec!["Alpha <News>".into(), "Beta".into()],
        first_seen: t(1),
        last_seen: t(3),
        entities: vec!["Chile".into()],
        continues: None,
        copies: vec![("a3".into(), "a2".into())],
    };
    let claim = |text: &str, status: dossier_model::ClaimStatus, outlets: &[&str]| AlignedClaim {
        id: text.into(),
        story_id: "s1".into(),
        text: text.into(),
        status,
        outlets: outlets.iter().map(|o| o.to_string()).collect(),
        first_outlet: outlets[0].into(),
        sources: vec![],
        members: vec![],
        conflict: None,
        checkworthiness: 0.5,
    };
    let mut quake = claim("Quake <hit> Chile", dossier_model::ClaimStatus::Corroborated, &["Alpha <News>", "Beta"]);
    quake.members = vec![dossier_model::Claim {
        id: "m1".into(),
        article_id: "a2".into(),
        sentence: 0,
        start: 0,
        end: 10,
        text: "A \"strong\" <b>quake</b> hit Chile".into(),
        entities: vec![],
        quantities: vec![],
        attribution: None,
        checkworthiness: 0.5,
    }];
    let claims = vec![quake, claim("Damage limited", dossier_model::ClaimStatus::SingleSource, &["Beta"])];
    s.replace_analysis(&Analysis { stories: vec![story], claims, briefs: vec![] }).unwrap();
    let mut index = SearchIndex::open(&dir.path().join("index")).unwrap();
    let docs: Vec<dossier_search::IndexDoc> = arts
        .iter()
        .map(|a| dossier_search::IndexDoc {
            id: a.id.clone(),
            title: a.title.clone(),
            body: a.text.clone(),
            outlet: a.outlet.name.clone(),
            language: a.language.clone(),
            published: a.time(),
            entities: vec!["Chile".into(), "Santiago".into()],
            statuses: vec!["corroborated".into()],
            story: Some("s1".into()),
            vector: None,
        })
        .collect();
    index.sync(&docs).unwrap();
    let app = router(s, index, ServeOptions::default());
    let pages = ["/", "/stories/s1", "/entities/Chile", "/outlets/Beta", "/outlets/Alpha%20%3CNews%3E", "/search?q=earthquake&outlet=Beta", "/articles/a1"];
    for uri in pages {
        let (status, body) = get(&app, uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        assert!(!body.contains("<script>alert"), "{uri}: unescaped title");
        assert!(!body.contains("<img src=x"), "{uri}: unescaped body");
        assert!(!body.contains("<News>"), "{uri}: unescaped outlet");
        assert!(body.contains("name=\"viewport\""), "{uri}: phone-sized screens");
    }
    let (_, feed) = get(&app, "/").await;
    assert!(feed.contains("href=\"/stories/s1\"") && feed.contains("2 independent report(s), 1 copies") && feed.contains("href=\"/entities/Chile\""), "{feed}");
    let (_, story) = get(&app, "/stories/s1").await;
    assert!(story.contains("Claims × outlets"), "the matrix");
    assert_eq!(story.matches("class=\"has").count(), 3, "three outlet cells carry a claim");
    assert_eq!(story.matches("class=\"no\"").count(), 1, "one does not");
    assert!(story.contains("badge corroborated") && story.contains("<span class=\"badge single-source\">single_source</span>"), "shown as filters take it: {story}");
    assert!(story.contains("Quake &lt;hit&gt; Chile"));
    // Hovering an outlet's mark shows its own wording, escaped.
    assert!(story.contains("title=\"carries it: “A &quot;strong&quot; &lt;b&gt;quake&lt;/b&gt; hit Chile”\""), "{story}");
    assert!(story.contains("aria-label=\"Timeline of reports\"") && story.matches("<circle").count() == 3, "a dot per report");
    assert!(story.contains("(copy of <a href=\"/articles/a2\">"), "copies are marked");
    let (_, entity) = get(&app, "/entities/Chile").await;
    assert!(entity.contains("Articles mentioning it, per day") && entity.matches("class=\"bar\"").count() >= 3 + 1 + 2, "{entity}");
    assert!(entity.contains("href=\"/entities/Santiago\""), "co-occurring entities link on");
    let (status, _) = get(&app, "/entities/Atlantis").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, json) = get(&app, "/api/entities/Chile").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["articles"], 3);
    assert_eq!(v["per_day"].as_array().unwrap().len(), 3, "{json}");
    assert_eq!(v["entities"][0]["value"], "Santiago", "itself is not among the entities it appears with");
    assert_eq!(v["stories"][0]["id"], "s1");
    let (_, search) = get(&app, "/search?q=earthquake&outlet=Beta").await;
    assert!(search.contains("2 match(es)"), "{search}");
    assert!(search.contains("class=\"on\" href=\"/search?q=earthquake\""), "an active facet links to its removal: {search}");
    assert!(search.contains("<b>earthquake</b>"), "highlighted snippet");
    let (status, body) = get(&app, "/search?from=nonsense").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn changes_read_back_and_merged_stories_redirect() {
    let (d, mut s) = store_with_hostile_article();
    let t: chrono::DateTime<chrono::Utc> = "2025-06-22T00:00:00Z".parse().unwrap();
    let entry = |kind, story: &str| dossier_model::ChangeEntry { article_id: Some("a1".into()), ..dossier_model::ChangeEntry::new(t, kind, story) };
    // Story s0 merged into s1: its id answers as s1's.
    let mut merged = entry(dossier_model::ChangeKind::StoriesMerged, "s1");
    merged.other_story_id = Some("s0".into());
    let step = dossier_store::AnalysisStep {
        batch: 1,
        merged: vec![("s0".into(), "s1".into())],
        changes: vec![entry(dossier_model::ChangeKind::StoryCreated, "s0"), entry(dossier_model::ChangeKind::ArticleJoined, "s1"), merged],
        ..Default::default()
    };
    s.commit_step(&step).unwrap();
    let app = app(&d, s);
    let (status, body) = get(&app, "/api/changes").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["last"], 3);
    let kinds: Vec<&str> = v["changes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["story_created", "article_joined", "stories_merged"]);
    let (_, body) = get(&app, "/api/changes?since=1&limit=1").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["changes"].as_array().unwrap().len(), 1);
    assert_eq!(v["changes"][0]["seq"], 2);
    // One story's entries, by its id or by the id of a story merged into it.
    let (_, by_alias) = get(&app, "/api/changes?story=s0").await;
    let (_, by_id) = get(&app, "/api/changes?story=s1").await;
    assert_eq!(by_alias, by_id);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&by_id).unwrap()["changes"].as_array().unwrap().len(), 3);
    for bad in ["/api/changes?since=x", "/api/changes?since=-1", "/api/changes?limit=0x", "/api/changes?what=1"] {
        let (status, body) = get(&app, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    for (old, new) in [("/stories/s0", "/stories/s1"), ("/api/stories/s0", "/api/stories/s1")] {
        let resp = app.clone().oneshot(Request::get(old).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT, "{old}");
        assert_eq!(resp.headers()["location"], new);
    }
    assert_eq!(get(&app, "/api/stories/nope").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&app, "/stories/nope").await.0, StatusCode::NOT_FOUND);
}

/// "More like this" without vectors: by the story's title words; on the story page and in the API.
#[tokio::test]
async fn similar_stories_in_the_api_and_on_the_story_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_dir(dir.path()).unwrap();
    let t: chrono::DateTime<chrono::Utc> = "2025-06-22T00:00:00Z".parse().unwrap();
    let art = |id: &str, title: &str, text: &str| Article {
        id: id.into(),
        kind: ArticleKind::Main,
        title: title.into(),
        text: text.into(),
        outlet: Outlet { name: "Wire".into(), basis: OutletBasis::Given },
        url: None,
        source: "t".into(),
        published: None,
        seen_at: t,
        language: None,
    };
    let articles = vec![
        art("a1", "FSB memo calls China the enemy", "A leaked memo of the Russian security service calls China the enemy."),
        art("b1", "Kremlin spies see China as an enemy <b>", "Russian counterintelligence regards China as an enemy, the memo says."),
        art("c1", "Football club wins the league", "The club won the title on Sunday."),
    ];
    s.put_articles(&articles).unwrap();
    let story = |id: &str, a: &Article| Story {
        id: id.into(),
        title: a.title.clone(),
        article_ids: vec![a.id.clone()],
        outlets: vec!["Wire".into()],
        first_seen: t,
        last_seen: t,
        entities: vec![],
        copies: vec![],
        continues: None,
    };
    let stories: Vec<Story> = ["sa", "sb", "sc"].iter().zip(&articles).map(|(id, a)| story(id, a)).collect();
    // A claim of story sa, in other words than sb's title: "more like this" finds sb by them.
    let text = "Russian counterintelligence regards China as an enemy <i>";
    let member = dossier_model::Claim {
        id: "m1".into(),
        article_id: "a1".into(),
        sentence: 0,
        start: 0,
        end: 10,
        text: text.into(),
        entities: vec![],
        quantities: vec![],
        attribution: None,
        checkworthiness: 0.5,
    };
    let claim = AlignedClaim {
        id: "c-1".into(),
        story_id: "sa".into(),
        text: text.into(),
        status: dossier_model::ClaimStatus::Unattributed,
        outlets: vec!["Wire".into()],
        first_outlet: "Wire".into(),
        sources: vec![],
        members: vec![member],
        conflict: None,
        checkworthiness: 0.5,
    };
    s.replace_analysis(&Analysis { stories, claims: vec![claim], briefs: vec![] }).unwrap();
    let mut index = SearchIndex::open(&dir.path().join("index")).unwrap();
    let docs: Vec<dossier_search::IndexDoc> = articles
        .iter()
        .zip(["sa", "sb", "sc"])
        .map(|(a, st)| dossier_search::IndexDoc { id: a.id.clone(), title: a.title.clone(), body: a.text.clone(), outlet: "Wire".into(), published: t, story: Some(st.into()), ..Default::default() })
        .collect();
    index.sync(&docs).unwrap();
    let app = router(s, index, ServeOptions::default());
    let (status, body) = get(&app, "/api/stories/sa/similar").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["mode"], "lexical");
    assert_eq!(v["stories"][0]["id"], "sb", "{body}");
    assert_eq!(v["stories"][0]["article"]["id"], "b1");
    assert!(v["stories"].as_array().unwrap().iter().all(|x| x["id"] != "sa"), "never itself: {body}");
    let (status, page) = get(&app, "/stories/sa").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<h2>Similar stories</h2>"), "{page}");
    assert!(page.contains("href=\"/stories/sb\">Kremlin spies see China as an enemy &lt;b&gt;</a>"), "linked and escaped: {page}");
    // Each claim links to the stories like it.
    assert!(page.contains("<a class=\"like\" href=\"/claims/c-1/similar\""), "{page}");
    let (status, body) = get(&app, "/api/claims/c-1/similar").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["mode"], "lexical", "no vectors: by the claim's words");
    assert_eq!(v["claim"]["story_id"], "sa");
    assert_eq!(v["stories"][0]["id"], "sb", "{body}");
    assert_eq!(v["stories"][0]["article"]["id"], "b1");
    assert!(v["stories"].as_array().unwrap().iter().all(|x| x["id"] != "sa"), "never its own story: {body}");
    let (status, page) = get(&app, "/claims/c-1/similar").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Russian counterintelligence regards China as an enemy &lt;i&gt;"), "the claim, escaped: {page}");
    assert!(page.contains("href=\"/stories/sa#claim-c-1\""), "back to its row: {page}");
    assert!(page.contains("href=\"/stories/sb\">Kremlin spies see China as an enemy &lt;b&gt;</a>"), "{page}");
    for (uri, status, why) in [
        ("/api/claims/nope/similar", StatusCode::NOT_FOUND, "no claim"),
        ("/claims/nope/similar", StatusCode::NOT_FOUND, "no claim"),
        ("/api/claims/c-1/similar?limit=51", StatusCode::BAD_REQUEST, "from 1 to 50"),
        ("/api/claims/c-1/similar?colour=red", StatusCode::BAD_REQUEST, "unknown parameter"),
    ] {
        let (got, body) = get(&app, uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert!(body.contains(why), "{uri}: {body}");
    }
}

/// The sample corpus as stored articles (text files, dated as the seeds' test dates them).
fn corpus_articles() -> Vec<Article> {
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/corpus");
    let mut articles = Vec::new();
    for e in std::fs::read_dir(&corpus).unwrap() {
        let p = e.unwrap().path();
        let parsed = dossier_ingest::ingest_bytes(&p.display().to_string(), &std::fs::read(&p).unwrap(), dossier_ingest::Format::Text, "2025-06-22T00:00:00Z".parse().unwrap());
        articles.extend(parsed.articles);
    }
    articles
}

#[tokio::test]
async fn actor_pairs_count_sentences_and_read_their_tone() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open_dir(dir.path()).unwrap();
    s.put_articles(&corpus_articles()).unwrap();
    let tone: Option<crate::ToneModel> = dossier_embed::locate().map(|d| {
        let t = Arc::new(dossier_tone::Tone::load(&d).unwrap());
        Arc::new(move || Ok(t.clone())) as crate::ToneModel
    });
    // The pair reads only the articles the search index says may name both: index them as
    // the pipeline does (title, text, enrichment's entities).
    let articles = corpus_articles();
    let docs: Vec<dossier_search::IndexDoc> = articles
        .iter()
        .map(|a| dossier_search::IndexDoc {
            id: a.id.clone(),
            title: a.title.clone(),
            body: a.text.clone(),
            outlet: a.outlet.name.clone(),
            published: a.time(),
            entities: dossier_enrich::enrich(a).entities.iter().map(|e| e.name.clone()).collect(),
            ..Default::default()
        })
        .collect();
    SearchIndex::open(&dir.path().join("index")).unwrap().sync(&docs).unwrap();
    let candidates = SearchIndex::open(&dir.path().join("index")).unwrap().articles_naming_all(&["russia", "China"]).unwrap();
    assert!(candidates.len() < articles.len(), "the index narrows: {} of {}", candidates.len(), articles.len());
    // Over every stored article, the same answer.
    let whole = dossier_tone::pairs::pair(&s, "russia", "China", tone.as_ref().map(|t| t().unwrap()).as_deref()).unwrap();
    let (app, _) = app_with(&dir, s, ServeOptions { tone: tone.clone(), ..Default::default() });
    let (status, body) = get(&app, "/api/pairs?a=russia&b=China").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    // (Through text, as the API writes it: f32 means print short.)
    let whole: serde_json::Value = serde_json::from_str(&serde_json::to_string(&whole).unwrap()).unwrap();
    assert!(v == whole, "the index's candidates give what reading every article gives:\n{v}\n{whole}");
    let n = v["sentences"].as_u64().unwrap();
    assert!(n >= 3, "the memo reports mention Russia and China together: {body}");
    assert_eq!(v["tone"], tone.is_some());
    let outlets = v["outlets"].as_array().unwrap();
    assert_eq!(outlets.iter().map(|o| o["sentences"].as_u64().unwrap()).sum::<u64>(), n);
    assert_eq!(v["days"].as_array().unwrap().iter().map(|d| d["sentences"].as_u64().unwrap()).sum::<u64>(), n);
    for e in v["examples"].as_array().unwrap() {
        let text = e["text"].as_str().unwrap();
        assert!(text.contains(e["mention_a"].as_str().unwrap()) && text.contains(e["mention_b"].as_str().unwrap()), "{e}");
        for k in ["toward_a", "toward_b"] {
            match tone {
                Some(_) => assert!([-1, 0, 1].contains(&e[k].as_i64().unwrap()), "{e}"),
                None => assert!(e[k].is_null()),
            }
        }
    }
    if tone.is_some() {
        let c = &outlets[0]["toward_a"];
        let total = ["negative", "neutral", "positive"].iter().map(|k| c[k].as_u64().unwrap()).sum::<u64>();
        assert_eq!(total, outlets[0]["sentences"].as_u64().unwrap());
    }
    let (status, html) = get(&app, "/pairs?a=Russia&b=China").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Sentences mentioning both, per day") && html.contains("<svg"), "{html}");
    assert_eq!(html.contains("tone-chart"), tone.is_some());
    // Bad pairs are 400s that say why (one actor named twice is understood but no pair: 422);
    // what the page echoes back is escaped.
    let bad = [
        ("/api/pairs?a=Russia", "required", StatusCode::BAD_REQUEST),
        ("/api/pairs?a=China&b=china", "the same", StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/pairs?a=&b=China", "empty", StatusCode::BAD_REQUEST),
        ("/api/pairs?a=%0D&b=China", "empty", StatusCode::BAD_REQUEST),
        ("/api/pairs?a=x&b=y&c=z", "unknown parameter", StatusCode::BAD_REQUEST),
    ];
    for (uri, why, want) in bad {
        let (status, body) = get(&app, uri).await;
        assert_eq!(status, want, "{uri}");
        assert!(body.contains(why), "{uri}: {body}");
    }
    let (status, html) = get(&app, "/pairs?a=%3Cscript%3Ex&b=China").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("<script>x") && html.contains("&lt;script&gt;x"));
    assert!(html.contains("0 sentence(s)"));
}
