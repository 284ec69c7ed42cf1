//! The change log over HTTP: `/api/changes` from a sequence number or a time, the
//! "since your last visit" page and the story page's section, grouped, cited and escaped.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dossier_model::{AlignedClaim, ChangeEntry, ChangeKind, Claim, ClaimStatus};
use dossier_store::{Analysis, AnalysisStep, Store};
use tower::ServiceExt;

use super::tests::{app, get, store_with_hostile_article};

fn entry(at: &str, kind: ChangeKind, story: &str) -> ChangeEntry {
    ChangeEntry { article_id: Some("a1".into()), ..ChangeEntry::new(at.parse().unwrap(), kind, story) }
}

/// Story s1 (hostile title, article a1) with claim c1; a day of changes, then a correction
/// the next day (hostile sentences) and a change in a story that is not stored (s9).
fn store_with_log() -> (tempfile::TempDir, dossier_store::SqliteStore) {
    let (d, mut s) = store_with_hostile_article();
    let member =
        Claim { id: "m1".into(), article_id: "a1".into(), sentence: 0, start: 0, end: 4, text: "15 died".into(), entities: vec![], quantities: vec![], attribution: None, checkworthiness: 0.9 };
    let claim = AlignedClaim {
        id: "c1".into(),
        story_id: "s1".into(),
        text: "15 died".into(),
        status: ClaimStatus::SingleSource,
        outlets: vec!["O\"utlet".into()],
        first_outlet: "O\"utlet".into(),
        sources: vec![],
        members: vec![member],
        conflict: None,
        checkworthiness: 0.9,
    };
    let story = s.story("s1").unwrap().unwrap();
    s.replace_analysis(&Analysis { stories: vec![story], claims: vec![claim], briefs: vec![] }).unwrap();
    let day1 = "2025-06-22T08:00:00Z";
    let mut added = entry(day1, ChangeKind::ClaimAdded, "s1");
    (added.claim_id, added.to, added.text) = (Some("c1".into()), Some(ClaimStatus::SingleSource), "12 died <b>x</b>".into());
    s.commit_step(&AnalysisStep { batch: 1, changes: vec![entry(day1, ChangeKind::StoryCreated, "s1"), added], ..Default::default() }).unwrap();
    let day2 = "2025-06-23T09:30:00Z";
    let mut fixed = entry(day2, ChangeKind::ClaimCorrected, "s1");
    (fixed.claim_id, fixed.from, fixed.to, fixed.was, fixed.text) =
        (Some("c1".into()), Some(ClaimStatus::SingleSource), Some(ClaimStatus::SingleSource), Some("12 died <script>alert(9)</script>".into()), "15 died".into());
    let mut dropped = entry(day2, ChangeKind::ClaimCorrected, "s1");
    (dropped.claim_id, dropped.from, dropped.was) = (Some("c0".into()), Some(ClaimStatus::Unattributed), Some("The mayor resigned.".into()));
    let mut other = entry(day2, ChangeKind::ArticleJoined, "s9");
    other.article_id = None;
    s.commit_step(&AnalysisStep { batch: 2, changes: vec![fixed, dropped, other], ..Default::default() }).unwrap();
    (d, s)
}

fn seqs(body: &str) -> Vec<i64> {
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    v["changes"].as_array().unwrap().iter().map(|c| c["seq"].as_i64().unwrap()).collect()
}

/// minijinja also escapes `/` in values; a browser reads `&#x2f;` as `/`.
fn unslash(html: &str) -> String {
    html.replace("&#x2f;", "/")
}

#[tokio::test]
async fn changes_since_a_sequence_number_a_time_or_a_date() {
    let (d, s) = store_with_log();
    let app = app(&d, s);
    for (since, want) in [
        ("", vec![1, 2, 3, 4, 5]),
        ("?since=2", vec![3, 4, 5]),
        ("?since=2025-06-22", vec![1, 2, 3, 4, 5]),
        ("?since=2025-06-23", vec![3, 4, 5]),
        ("?since=2025-06-23T09:30:00Z", vec![3, 4, 5]),
        ("?since=2025-06-23T11:30:00.001%2B02:00", vec![]),
        ("?since=2025-06-22T10:00:00%2B02:00&story=s1", vec![1, 2, 3, 4]),
    ] {
        let (status, body) = get(&app, &format!("/api/changes{since}")).await;
        assert_eq!(status, StatusCode::OK, "{since}: {body}");
        assert_eq!(seqs(&body), want, "{since}");
    }
    let (_, body) = get(&app, "/api/changes?since=2").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["changes"][0]["kind"], "claim_corrected");
    assert_eq!(v["changes"][0]["was"], "12 died <script>alert(9)</script>");
    assert_eq!(v["changes"][0]["text"], "15 died");
    for bad in ["x", "-1", "2025-06-32", "2025-06-22%2010:00", ""] {
        let (status, body) = get(&app, &format!("/api/changes?since={bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert!(body.contains("RFC 3339") && body.contains("sequence number"), "the answer says what is valid: {body}");
    }
}

#[tokio::test]
async fn the_since_view_groups_by_story_cites_and_escapes() {
    let (d, s) = store_with_log();
    let app = app(&d, s);
    let resp = app.clone().oneshot(Request::get("/changes").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
    let html = String::from_utf8(http_body_util::BodyExt::collect(resp.into_body()).await.unwrap().to_bytes().to_vec()).unwrap();
    let html = unslash(&html);
    // The one script is the page's own, allowed by its hash, and nothing else is.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    let script = html.split("<script>").nth(1).unwrap().split("</script>").next().unwrap();
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()));
    assert!(csp.contains(&format!("script-src 'sha256-{hash}'")) && csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(html.contains(&format!("<style>{}</style>", crate::html::STYLE)) && csp.contains(&format!("style-src '{}'", crate::html::style_hash())), "the stylesheet every page has");
    assert!(html.contains("&lt;script&gt;alert(9)&lt;/script&gt;") && html.contains("&lt;b&gt;x&lt;/b&gt;"), "claim text escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; title"), "the cited article's title, escaped");
    assert!(html.contains("data-seen=\"5\""), "the last change shown is what the browser remembers");
    // Grouped: the story changed last comes first; each story's changes oldest first.
    let (s9, s1) = (html.find("data-story=\"s9\"").unwrap(), html.find("data-story=\"s1\"").unwrap());
    assert!(s9 < s1, "s9 changed last");
    let order: Vec<usize> = (1..=4).map(|n| html.find(&format!("data-seq=\"{n}\"")).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // The correction: the sentence before and after, linked to the claim's row, cited to the revised article.
    let fix = &html[order[2]..order[3]];
    assert!(fix.contains("<del>12 died &lt;script&gt;") && fix.contains("<ins>15 died</ins>"), "{fix}");
    assert!(fix.contains("href=\"/stories/s1#claim-c1\"") && fix.contains("href=\"/articles/a1\""), "{fix}");
    let dropped = &html[order[3]..];
    let dropped = &dropped[..dropped.find("</li>").unwrap()];
    assert!(dropped.contains("dropped: <del>The mayor resigned.</del>") && !dropped.contains("#claim-c0"), "a dropped claim has no row to link: {dropped}");

    // From a sequence number or a time: only what came after.
    let (status, after) = get(&app, "/changes?since=2").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!after.contains("data-seq=\"2\"") && after.contains("data-seq=\"3\"") && after.contains("data-since=\"2\""), "{after}");
    let (_, by_day) = get(&app, "/changes?since=2025-06-23").await;
    assert!(!by_day.contains("data-seq=\"2\"") && by_day.contains("data-seq=\"5\""), "{by_day}");
    let (_, none) = get(&app, "/changes?since=5").await;
    assert!(none.contains("Nothing changed since then"), "{none}");
    // One story's, under its title.
    let one = unslash(&get(&app, "/changes?story=s1").await.1);
    assert!(one.contains("Changes: &lt;script&gt;x&lt;/script&gt;") && !one.contains("data-story=\"s9\"") && one.contains("data-seq=\"4\""), "{one}");
    for bad in ["/changes?since=yesterday", "/changes?limit=0", "/changes?x=1"] {
        let (status, body) = get(&app, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(body.starts_with("<!doctype html>"), "a page: {body}");
    }
    assert!(get(&app, "/changes?since=yesterday").await.1.contains("RFC 3339"));
    assert_eq!(get(&app, "/changes?story=nope").await.0, StatusCode::NOT_FOUND);

    // The story page: its latest changes, and the claim's row the links lead to.
    let (_, story) = get(&app, "/stories/s1").await;
    let story = unslash(&story);
    assert!(story.contains("<h2>What changed</h2>") && story.contains("<ins>15 died</ins>") && story.contains("href=\"/changes?story=s1\""), "{story}");
    assert!(story.contains("<tr id=\"claim-c1\""), "{story}");
    assert!(!story.contains("<script"), "no script on the story page");
}
