//! The conformance suite every [`Store`] implementation passes: the same
//! functions run against SQLite (this crate's tests) and PostgreSQL
//! (`dossier-store-postgres`'s tests), each on a fresh, empty store.
//!
//! An implementation's tests call [`store_conformance_tests!`](crate::store_conformance_tests)
//! with a closure that makes a fresh store, or gives `None` to skip (a
//! database that is not configured).

use dossier_model::{AlignedClaim, Article, ArticleKind, ArticleSummary, Brief, ClaimStatus, Outlet, OutletBasis, Story};

use crate::{content_hash, snapshot, Analysis, FetchState, Put, Store, StoreError};

/// One `#[test]` per conformance check, each on a store from `$make`
/// (a closure returning `Option<Box<dyn Store>>`; `None` skips).
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@each $make;
            articles_round_trip_and_dedup, changed_content_at_the_same_id_is_a_revision, a_batch_repeating_an_id,
            articles_come_oldest_first_in_byte_order, awkward_text_round_trips, fetch_state_round_trips,
            embeddings_round_trip_per_model_and_replace, analysis_replaced_whole, stories_claims_and_briefs_read_back,
            summaries_match_the_articles_in_the_order_asked, meaning_scores_round_trip_per_model,
            snapshots_read_nest_and_end, article_hashes_follow_content);
    };
    (@each $make:expr; $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                #[allow(clippy::redundant_closure_call)]
                let Some(mut store) = ($make)() else {
                    eprintln!("skipped: no database configured for this store");
                    return;
                };
                $crate::conformance::$name(&mut *store);
            }
        )*
    };
}

/// A plain main article, seen at 2025-06-22 12:00 UTC.
pub fn article(id: &str, text: &str) -> Article {
    Article {
        id: id.into(),
        kind: ArticleKind::Main,
        title: format!("title {id}"),
        text: text.into(),
        outlet: Outlet { name: "Outlet".into(), basis: OutletBasis::Given },
        url: None,
        source: "test".into(),
        published: None,
        seen_at: "2025-06-22T12:00:00Z".parse().unwrap(),
        language: None,
    }
}

pub fn story(id: &str, articles: &[&str]) -> Story {
    Story {
        id: id.into(),
        title: id.into(),
        article_ids: articles.iter().map(|s| s.to_string()).collect(),
        outlets: vec!["Outlet".into()],
        first_seen: "2025-06-22T12:00:00Z".parse().unwrap(),
        last_seen: "2025-06-22T12:00:00Z".parse().unwrap(),
        entities: vec![],
        copies: vec![],
    }
}

fn claim(id: &str, story_id: &str, text: &str) -> AlignedClaim {
    AlignedClaim {
        id: id.into(),
        story_id: story_id.into(),
        text: text.into(),
        status: ClaimStatus::SingleSource,
        outlets: vec!["Outlet".into()],
        first_outlet: "Outlet".into(),
        sources: vec![],
        members: vec![],
        conflict: None,
        checkworthiness: 0.5,
    }
}

fn brief(story_id: &str) -> Brief {
    Brief {
        story_id: story_id.into(),
        title: format!("brief of {story_id}"),
        outlets: vec!["Outlet".into()],
        primary_sources: vec![],
        shared: vec![],
        only_in: vec![],
        unsourced_outlets: vec![],
        timeline: vec![],
    }
}

pub fn articles_round_trip_and_dedup(s: &mut dyn Store) {
    assert_eq!(s.article_count().unwrap(), 0);
    assert_eq!(s.put_articles(&[article("a", "x"), article("b", "y")]).unwrap().new, 2);
    assert_eq!(s.put_articles(&[article("a", "x")]).unwrap(), Put { new: 0, revised: 0, unchanged: 1 });
    assert_eq!(s.put_articles(&[]).unwrap(), Put::default());
    assert_eq!(s.article_count().unwrap(), 2);
    assert_eq!(s.article("a").unwrap().unwrap(), article("a", "x"));
    assert!(s.article("zz").unwrap().is_none());
    assert_eq!(s.articles().unwrap(), [article("a", "x"), article("b", "y")]);
    assert_eq!(s.revisions("a").unwrap().len(), 1);
    assert!(s.revisions("zz").unwrap().is_empty());
}

pub fn changed_content_at_the_same_id_is_a_revision(s: &mut dyn Store) {
    let mut a = article("u", "first text");
    a.url = Some("https://example.com/story".into());
    s.put_articles(&[a.clone()]).unwrap();
    assert!(s.has_url("https://example.com/story").unwrap());
    assert!(!s.has_url("https://example.com/other").unwrap());
    let mut b = a.clone();
    b.text = "corrected text".into();
    assert_eq!(s.put_articles(&[b.clone()]).unwrap(), Put { new: 0, revised: 1, unchanged: 0 });
    assert_eq!(s.put_articles(&[b.clone()]).unwrap(), Put { new: 0, revised: 0, unchanged: 1 });
    assert_eq!(s.article_count().unwrap(), 1, "one article, two revisions");
    assert_eq!(s.article("u").unwrap().unwrap().text, "corrected text");
    let revs = s.revisions("u").unwrap();
    assert_eq!(revs.iter().map(|r| (r.number, r.article.text.as_str())).collect::<Vec<_>>(), [(1, "first text"), (2, "corrected text")]);
    assert_eq!(revs[0].content_hash, crate::content_hash(&a));
    assert_eq!(revs[1].content_hash, crate::content_hash(&b));
    // Going back to the first text is a third revision, not a no-op.
    assert_eq!(s.put_articles(&[a.clone()]).unwrap().revised, 1);
    assert_eq!(s.revisions("u").unwrap().len(), 3);
}

/// One batch carrying the same id twice: the second copy is compared with the first.
pub fn a_batch_repeating_an_id(s: &mut dyn Store) {
    let put = s.put_articles(&[article("a", "x"), article("a", "x"), article("a", "x2"), article("b", "y")]).unwrap();
    assert_eq!(put, Put { new: 2, revised: 1, unchanged: 1 });
    assert_eq!(s.article("a").unwrap().unwrap().text, "x2");
    assert_eq!(s.article_count().unwrap(), 2);
}

/// Oldest first, ties by id in byte order (not a locale's collation): the
/// analysis reads articles in this order, so every store must agree on it.
pub fn articles_come_oldest_first_in_byte_order(s: &mut dyn Store) {
    let mut batch = Vec::new();
    for (id, day) in [("b", 2), ("B", 2), ("a", 2), ("_z", 2), ("Z", 1), ("é", 2), ("a-1", 2), ("a1", 2)] {
        let mut a = article(id, id);
        a.published = Some(format!("2025-06-{day:02}T08:00:00Z").parse().unwrap());
        batch.push(a);
    }
    let mut late = article("0", "later");
    late.published = Some("2025-06-02T08:00:00.5Z".parse().unwrap());
    batch.push(late);
    s.put_articles(&batch).unwrap();
    let ids: Vec<String> = s.articles().unwrap().into_iter().map(|a| a.id).collect();
    assert_eq!(ids, ["Z", "B", "_z", "a", "a-1", "a1", "b", "é", "0"]);
}

/// Text a database might mangle: NUL characters, quotes, non-BMP characters, long text.
pub fn awkward_text_round_trips(s: &mut dyn Store) {
    let mut a = article("weird", &format!("nul \u{0} quote ' \" backslash \\ emoji 🦀 {}", "long ".repeat(20_000)));
    a.title = "title with \u{0} and 'quotes'".into();
    a.outlet.name = "Outlet \u{0}".into();
    a.url = Some("https://example.com/a?q='1'".into());
    assert_eq!(s.put_articles(&[a.clone()]).unwrap().new, 1);
    assert_eq!(s.article("weird").unwrap().unwrap(), a);
    assert_eq!(s.put_articles(&[a.clone()]).unwrap().unchanged, 1);
    assert!(s.has_url("https://example.com/a?q='1'").unwrap());
}

pub fn fetch_state_round_trips(s: &mut dyn Store) {
    assert_eq!(s.fetch_state("https://x/feed").unwrap(), None);
    let st = FetchState { etag: Some("\"v1\"".into()), last_modified: None, status: Some(200), fetched_at: "2025-06-22T12:00:00Z".into(), listed: None };
    s.put_fetch_state("https://x/feed", &st).unwrap();
    assert_eq!(s.fetch_state("https://x/feed").unwrap(), Some(st.clone()));
    let st2 = FetchState { etag: Some("\"v2\"".into()), last_modified: Some("Sun, 22 Jun 2025 10:00:00 GMT".into()), status: Some(304), listed: Some("2025-06-22".into()), ..st.clone() };
    s.put_fetch_state("https://x/feed", &st2).unwrap();
    assert_eq!(s.fetch_state("https://x/feed").unwrap(), Some(st2));
}

pub fn embeddings_round_trip_per_model_and_replace(s: &mut dyn Store) {
    s.put_articles(&[article("a", "text a"), article("b", "text b")]).unwrap();
    assert!(s.embeddings("m1").unwrap().is_empty());
    s.put_embeddings("m1", &[("a".into(), "h1".into(), vec![1, 2]), ("b".into(), "h2".into(), vec![3, 4])]).unwrap();
    s.put_embeddings("m2", &[("a".into(), "h9".into(), vec![9])]).unwrap();
    s.put_embeddings("m1", &[("a".into(), "h3".into(), vec![5, 6])]).unwrap();
    let m1 = s.embeddings("m1").unwrap();
    assert_eq!(m1.len(), 2);
    assert_eq!(m1["a"], ("h3".to_string(), vec![5, 6]));
    assert_eq!(m1["b"], ("h2".to_string(), vec![3, 4]));
    assert_eq!(s.embeddings("m2").unwrap()["a"].1, vec![9]);
    // An embedding of an article that is not stored is refused, and the batch with it.
    assert!(s.put_embeddings("m1", &[("b".into(), "new".into(), vec![0]), ("missing".into(), "h".into(), vec![0])]).is_err());
    assert_eq!(s.embeddings("m1").unwrap()["b"].0, "h2");
    // The store still works after a refused batch.
    s.put_embeddings("m1", &[("b".into(), "h4".into(), vec![0, 255])]).unwrap();
    assert_eq!(s.embeddings("m1").unwrap()["b"], ("h4".to_string(), vec![0, 255]));
}

pub fn analysis_replaced_whole(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x"), article("b", "y")]).unwrap();
    assert!(s.stories().unwrap().is_empty());
    s.replace_analysis(&Analysis { stories: vec![story("s1", &["a"]), story("s2", &["a", "b"])], claims: vec![], briefs: vec![] }).unwrap();
    let ids: Vec<String> = s.stories().unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(ids, ["s2", "s1"]);
    // A failing replacement (unknown article) leaves the previous analysis intact.
    let bad = Analysis { stories: vec![story("s3", &["missing"])], claims: vec![], briefs: vec![] };
    assert!(s.replace_analysis(&bad).is_err());
    assert_eq!(s.stories().unwrap().len(), 2);
    assert!(s.story("s2").unwrap().is_some());
    // A claim of a story that is not in the analysis is refused too.
    let bad = Analysis { stories: vec![story("s4", &["a"])], claims: vec![claim("c", "nope", "t")], briefs: vec![] };
    assert!(s.replace_analysis(&bad).is_err());
    assert_eq!(s.stories().unwrap().len(), 2);
    // An empty analysis clears everything.
    s.replace_analysis(&Analysis::default()).unwrap();
    assert!(s.stories().unwrap().is_empty());
    assert!(s.story("s2").unwrap().is_none());
}

/// Stories largest first, then most recent, then by id in byte order; claims in the order given; briefs by story.
pub fn stories_claims_and_briefs_read_back(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x"), article("b", "y"), article("c", "z")]).unwrap();
    let mut recent = story("r", &["c"]);
    recent.last_seen = "2025-06-23T12:00:00Z".parse().unwrap();
    let stories = vec![story("s", &["a"]), story("S", &["b"]), recent, story("big", &["a", "b", "c"])];
    let claims = vec![claim("c2", "big", "second"), claim("c1", "big", "first \u{0} nul"), claim("c3", "s", "other")];
    let briefs = vec![brief("big"), brief("s")];
    s.replace_analysis(&Analysis { stories: stories.clone(), claims: claims.clone(), briefs: briefs.clone() }).unwrap();
    let ids: Vec<String> = s.stories().unwrap().into_iter().map(|s| s.id).collect();
    assert_eq!(ids, ["big", "r", "S", "s"]);
    assert_eq!(s.story("big").unwrap().unwrap(), stories[3]);
    assert_eq!(s.aligned_claims("big").unwrap(), claims[..2]);
    assert_eq!(s.aligned_claims("s").unwrap(), claims[2..]);
    assert!(s.aligned_claims("r").unwrap().is_empty());
    assert_eq!(s.brief("big").unwrap().unwrap(), briefs[0]);
    assert!(s.brief("r").unwrap().is_none());
}

/// Article summaries (what story pages list) agree with the articles, in the order asked,
/// skipping unknown ids, and follow a revision.
pub fn summaries_match_the_articles_in_the_order_asked(s: &mut dyn Store) {
    let mut teaser = article("t", "teaser text");
    teaser.kind = ArticleKind::Teaser { found_on: "a".into(), age: Some("22 minutes ago".into()) };
    teaser.outlet = Outlet { name: "Wire".into(), basis: OutletBasis::Page };
    teaser.published = Some("2025-06-21T08:30:00Z".parse().unwrap());
    let mut a = article("a", "main text");
    a.url = Some("https://example.com/a".into());
    a.outlet.basis = OutletBasis::FileName;
    s.put_articles(&[a.clone(), teaser.clone()]).unwrap();
    let ids = ["t".to_string(), "missing".into(), "a".into()];
    assert_eq!(s.article_summaries(&ids).unwrap(), vec![ArticleSummary::from(teaser.clone()), ArticleSummary::from(a)]);
    let mut revised = teaser;
    revised.kind = ArticleKind::Main;
    revised.text = "the full article now".into();
    assert_eq!(s.put_articles(&[revised.clone()]).unwrap().revised, 1);
    assert_eq!(s.article_summaries(&["t".into()]).unwrap(), vec![ArticleSummary::from(revised)]);
}

/// Meaning scores of sentence pairs, kept per scoring model; a pair scored again takes the new score.
pub fn meaning_scores_round_trip_per_model(s: &mut dyn Store) {
    s.put_meaning_scores("m1", &[("p1".into(), 3.25), ("p2".into(), 0.5)]).unwrap();
    s.put_meaning_scores("m2", &[("p1".into(), 1.0)]).unwrap();
    // A batch repeating a pair: the last row wins.
    s.put_meaning_scores("m1", &[("p2".into(), 2.0), ("p2".into(), 4.0)]).unwrap();
    let got = s.meaning_scores("m1", &["p1".into(), "p2".into(), "p3".into()]).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!((got["p1"], got["p2"]), (3.25, 4.0));
    assert_eq!(s.meaning_scores("m2", &["p1".into()]).unwrap()["p1"], 1.0);
    assert!(s.meaning_scores("m1", &[]).unwrap().is_empty());
}

/// A snapshot reads what is stored, nests (the inner one is the outer one), gives back the
/// closure's error, and ends: the store writes and reads as before afterwards.
pub fn snapshots_read_nest_and_end(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x")]).unwrap();
    s.replace_analysis(&Analysis { stories: vec![story("s", &["a"])], claims: vec![claim("c", "s", "said")], briefs: vec![brief("s")] }).unwrap();
    let (count, story_, claims, inner) = snapshot(s, |r| {
        let inner = snapshot(r, |r2| Ok(r2.brief("s")?.is_some()))?;
        Ok((r.article_count()?, r.story("s")?, r.aligned_claims("s")?, inner))
    })
    .unwrap();
    assert_eq!((count, story_.map(|st| st.id), claims.len(), inner), (1, Some("s".to_string()), 1, true));
    let failed = snapshot(s, |r| -> crate::Result<()> {
        r.article("a")?;
        Err(StoreError::Corrupt { what: "on purpose".into() })
    });
    assert!(matches!(failed, Err(StoreError::Corrupt { .. })));
    // Ended: a write lands and is read back, in a snapshot and outside one.
    assert_eq!(s.put_articles(&[article("b", "y")]).unwrap().new, 1);
    assert_eq!(snapshot(s, |r| r.article_count()).unwrap(), 2);
    assert_eq!(s.article_count().unwrap(), 2);
    assert!(!s.is_closed());
}

/// Every article's id and content hash, by id; a revision changes its hash.
pub fn article_hashes_follow_content(s: &mut dyn Store) {
    assert!(s.article_hashes().unwrap().is_empty());
    s.put_articles(&[article("b", "y"), article("a", "x")]).unwrap();
    let want = |a: &[(&str, &str)]| a.iter().map(|(id, t)| (id.to_string(), content_hash(&article(id, t)))).collect::<Vec<_>>();
    assert_eq!(s.article_hashes().unwrap(), want(&[("a", "x"), ("b", "y")]));
    s.put_articles(&[article("b", "revised")]).unwrap();
    assert_eq!(s.article_hashes().unwrap(), want(&[("a", "x"), ("b", "revised")]));
}
