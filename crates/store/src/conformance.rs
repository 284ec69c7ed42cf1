//! The conformance suite every [`Store`] implementation passes: the same
//! functions run against SQLite (this crate's tests) and PostgreSQL
//! (`dossier-store-postgres`'s tests), each on a fresh, empty store.
//!
//! An implementation's tests call [`store_conformance_tests!`](crate::store_conformance_tests)
//! with a closure that makes a fresh store, or gives `None` to skip (a
//! database that is not configured).

use std::collections::HashMap;

use dossier_model::{Alert, AlignedClaim, Article, ArticleKind, ArticleSummary, Brief, ChangeEntry, ChangeKind, ClaimStatus, Outlet, OutletBasis, StatusCounts, Story};
use dossier_model::{AlertKind, Delivery, DeliveryState, Watch, WatchKind};

use crate::{content_hash, snapshot, Analysis, AnalysisStep, Arrival, FetchState, Put, Store, StoreError, StoryAnalysis};

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
            articles_and_embeddings_by_id_in_the_order_asked, arrivals_recorded_for_new_and_revised_articles_in_order,
            commit_step_writes_the_analysis_and_takes_the_arrivals, a_failing_step_writes_nothing, merged_stories_leave_aliases_that_follow,
            changes_are_numbered_and_filtered, changes_are_read_from_a_time, reset_analysis_keeps_the_log_and_replays_the_batches, stories_of_the_articles,
            engine_state_by_key_and_prefix, a_batch_revising_a_stored_article_again_and_back,
            snapshots_read_nest_and_end, article_hashes_follow_content, story_analyses_are_written_only_under_the_mark_they_read,
            claim_status_counts_per_story,
            watches_and_alerts_are_kept_once_and_delivered_once);
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
        continues: None,
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
        // Stored and read back as it was (a brief stored before aliases existed reads with none).
        outlet_aliases: vec![dossier_model::OutletAliases { name: "Outlet".into(), site: Some("outlet.example".into()), aliases: vec!["OUT".into()] }],
        timeline: vec![],
        left_out: 0,
        // Stored and read back with the brief (both stores keep the brief as one JSON document).
        stances: vec![dossier_model::OutletStance {
            outlet: "Other".into(),
            article_id: "b".into(),
            toward_outlet: "Outlet".into(),
            toward_article_id: "a".into(),
            headline: "Ministry confirms talks".into(),
            stance: dossier_model::Stance::Disagree,
            confidence: 0.75,
        }],
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

/// One batch changing a stored article twice, repeating a version and going back to the
/// first: each copy is compared with the one before it, each change is a revision and an arrival.
pub fn a_batch_revising_a_stored_article_again_and_back(s: &mut dyn Store) {
    s.put_articles(&[article("a", "v1"), article("b", "w1")]).unwrap();
    let before = s.pending_arrivals(100).unwrap().len();
    let batch = [article("a", "v2"), article("b", "w1"), article("a", "v2"), article("c", "new"), article("a", "v3"), article("a", "v1")];
    assert_eq!(s.put_articles(&batch).unwrap(), Put { new: 1, revised: 3, unchanged: 2 });
    let revs = s.revisions("a").unwrap();
    assert_eq!(revs.iter().map(|r| (r.number, r.article.text.as_str())).collect::<Vec<_>>(), [(1, "v1"), (2, "v2"), (3, "v3"), (4, "v1")]);
    assert_eq!(s.article("a").unwrap().unwrap().text, "v1");
    assert_eq!(s.revisions("b").unwrap().len(), 1);
    let arrived: Vec<String> = s.pending_arrivals(100).unwrap().into_iter().skip(before).map(|a| a.article_id).collect();
    assert_eq!(arrived, ["a", "c", "a", "a"]);
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

/// Status counts per story agree with the claims stored (every status counted, stories without claims absent).
pub fn claim_status_counts_per_story(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x"), article("b", "y")]).unwrap();
    let with = |id: &str, story: &str, status: ClaimStatus| AlignedClaim { status, ..claim(id, story, id) };
    let claims = vec![
        with("c1", "s1", ClaimStatus::Contested),
        with("c2", "s1", ClaimStatus::Corroborated),
        with("c3", "s1", ClaimStatus::Corroborated),
        with("c4", "s1", ClaimStatus::SingleSource),
        with("c5", "s1", ClaimStatus::Unattributed),
        with("c6", "s2", ClaimStatus::SingleSource),
    ];
    let stories = vec![story("s1", &["a"]), story("s2", &["b"]), story("s3", &["a", "b"])];
    s.replace_analysis(&Analysis { stories, claims, briefs: vec![] }).unwrap();
    let counts = s.claim_status_counts().unwrap();
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert_eq!(counts["s1"], StatusCounts { contested: 1, corroborated: 2, single_source: 1, unattributed: 1 });
    assert_eq!(counts["s2"], StatusCounts { single_source: 1, ..Default::default() });
    for (story, n) in &counts {
        let stored = s.aligned_claims(story).unwrap();
        assert_eq!(*n, StatusCounts::of(stored.iter().map(|c| &c.status)), "story {story}");
    }
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

// ---- the incremental analysis (dossier-engine) ----

fn change(kind: ChangeKind, story: &str) -> ChangeEntry {
    ChangeEntry::new("2025-06-22T12:00:00Z".parse().unwrap(), kind, story)
}

/// Pending arrivals as (article id, batch).
fn pending(s: &dyn Store) -> Vec<(String, Option<i64>)> {
    s.pending_arrivals(1000).unwrap().into_iter().map(|a| (a.article_id, a.batch)).collect()
}

/// The seq of each article's (latest) arrival.
fn arrival_seqs(s: &dyn Store) -> HashMap<String, i64> {
    s.pending_arrivals(1000).unwrap().into_iter().map(|a| (a.article_id, a.seq)).collect()
}

fn ids<'a>(v: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    v.into_iter().map(String::from).collect()
}

/// Articles and embeddings fetched by id: in the order asked, repeats kept, unknown ids skipped.
pub fn articles_and_embeddings_by_id_in_the_order_asked(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x"), article("b", "y"), article("c", "z")]).unwrap();
    let got = s.articles_by_id(&ids(["c", "missing", "a", "c"])).unwrap();
    assert_eq!(got, [article("c", "z"), article("a", "x"), article("c", "z")]);
    assert!(s.articles_by_id(&[]).unwrap().is_empty());
    s.put_embeddings("m1", &[("a".into(), "h1".into(), vec![1]), ("b".into(), "h2".into(), vec![2])]).unwrap();
    s.put_embeddings("m2", &[("c".into(), "h3".into(), vec![3])]).unwrap();
    let got = s.embeddings_of("m1", &ids(["b", "c", "missing"])).unwrap();
    assert_eq!(got, HashMap::from([("b".to_string(), ("h2".to_string(), vec![2]))]));
    assert!(s.embeddings_of("m1", &[]).unwrap().is_empty());
}

/// Every new or revised article waits for the analysis, in the order stored (the order
/// given within a batch); an unchanged one does not.
pub fn arrivals_recorded_for_new_and_revised_articles_in_order(s: &mut dyn Store) {
    assert!(!s.has_pending().unwrap());
    assert!(s.pending_arrivals(10).unwrap().is_empty());
    s.put_articles(&[article("b", "x"), article("a", "y")]).unwrap();
    assert!(s.has_pending().unwrap());
    s.put_articles(&[article("b", "x")]).unwrap();
    s.put_articles(&[article("c", "z"), article("a", "y2"), article("b", "x")]).unwrap();
    // One batch repeating an id: the new copy and the revision each arrive.
    s.put_articles(&[article("d", "1"), article("d", "1"), article("d", "2")]).unwrap();
    let got = s.pending_arrivals(100).unwrap();
    let order: Vec<&str> = got.iter().map(|a| a.article_id.as_str()).collect();
    assert_eq!(order, ["b", "a", "c", "a", "d", "d"]);
    assert!(got.windows(2).all(|w| w[0].seq < w[1].seq), "{got:?}");
    assert!(got.iter().all(|a| a.batch.is_none()));
    assert_eq!(s.pending_arrivals(2).unwrap(), got[..2]);
}

/// A step writes its stories, claims, briefs and state, takes its arrivals (marked with
/// its batch) and appends to the change log; a later step replaces what it touches.
pub fn commit_step_writes_the_analysis_and_takes_the_arrivals(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x"), article("b", "y"), article("c", "z")]).unwrap();
    let seq = arrival_seqs(s);
    let mut created = change(ChangeKind::StoryCreated, "s1");
    created.article_id = Some("a".into());
    created.text = "title \u{0} of s1 🦀".into();
    let mut added = change(ChangeKind::ClaimAdded, "s1");
    added.claim_id = Some("c1".into());
    added.to = Some(ClaimStatus::SingleSource);
    let step = AnalysisStep {
        batch: 1,
        arrivals: vec![seq["a"], seq["b"]],
        stories: vec![story("s1", &["a", "b"])],
        claims: vec![("s1".into(), vec![claim("c1", "s1", "first"), claim("c2", "s1", "second")])],
        briefs: vec![brief("s1")],
        merged: vec![],
        state: vec![("k1".into(), Some(vec![1])), ("k2".into(), Some(vec![2, 0, 255])), ("k3".into(), Some(vec![]))],
        changes: vec![created.clone(), added.clone()],
    };
    s.commit_step(&step).unwrap();
    assert_eq!(s.story("s1").unwrap().unwrap(), story("s1", &["a", "b"]));
    assert_eq!(s.stories().unwrap().len(), 1);
    assert_eq!(s.aligned_claims("s1").unwrap(), [claim("c1", "s1", "first"), claim("c2", "s1", "second")]);
    assert_eq!(s.brief("s1").unwrap().unwrap(), brief("s1"));
    assert_eq!(pending(s), [("c".to_string(), None)]);
    assert!(s.has_pending().unwrap());
    assert_eq!(s.stories_of(&ids(["a", "b", "c"])).unwrap(), HashMap::from([("a".to_string(), "s1".to_string()), ("b".to_string(), "s1".to_string())]));
    let state = s.engine_state(&ids(["k1", "k2", "k3", "k4"])).unwrap();
    assert_eq!(state, HashMap::from([("k1".to_string(), vec![1]), ("k2".to_string(), vec![2, 0, 255]), ("k3".to_string(), vec![])]));
    let log = s.changes(0, None, 100).unwrap();
    assert_eq!(log.len(), 2);
    assert!(log[0].seq > 0 && log[0].seq < log[1].seq, "{log:?}");
    assert_eq!(log[0], ChangeEntry { seq: log[0].seq, ..created });
    assert_eq!(log[1], ChangeEntry { seq: log[1].seq, ..added });
    assert_eq!(s.last_change().unwrap(), log[1].seq);

    // The next step: s1 changes, b moves to a new story s2, claims and state are replaced.
    let step = AnalysisStep {
        batch: 2,
        arrivals: vec![seq["c"]],
        stories: vec![story("s1", &["a"]), story("s2", &["c", "b"])],
        claims: vec![("s1".into(), vec![claim("c3", "s1", "third")]), ("s2".into(), vec![claim("c4", "s2", "fourth")])],
        briefs: vec![brief("s2")],
        merged: vec![],
        state: vec![("k1".into(), None), ("k2".into(), Some(vec![3])), ("k4".into(), None)],
        changes: vec![change(ChangeKind::StoryCreated, "s2")],
    };
    s.commit_step(&step).unwrap();
    assert_eq!(s.story("s1").unwrap().unwrap(), story("s1", &["a"]));
    assert_eq!(s.stories().unwrap().into_iter().map(|s| s.id).collect::<Vec<_>>(), ["s2", "s1"]);
    assert_eq!(s.aligned_claims("s1").unwrap(), [claim("c3", "s1", "third")]);
    assert_eq!(s.aligned_claims("s2").unwrap(), [claim("c4", "s2", "fourth")]);
    assert_eq!(s.brief("s1").unwrap().unwrap(), brief("s1"), "a brief the step does not give stays");
    assert!(s.brief("s2").unwrap().is_some());
    assert!(!s.has_pending().unwrap());
    assert!(s.pending_arrivals(10).unwrap().is_empty());
    let of = s.stories_of(&ids(["a", "b", "c"])).unwrap();
    assert_eq!((of["a"].as_str(), of["b"].as_str(), of["c"].as_str()), ("s1", "s2", "s2"));
    assert_eq!(s.engine_state(&ids(["k1", "k2", "k3"])).unwrap(), HashMap::from([("k2".to_string(), vec![3]), ("k3".to_string(), vec![])]));
    let log = s.changes(0, None, 100).unwrap();
    assert_eq!(log.len(), 3);
    assert!(log[1].seq < log[2].seq);
    assert_eq!(s.last_change().unwrap(), log[2].seq);

    // A step that only moves state and takes nothing is fine too; an empty one changes nothing.
    s.commit_step(&AnalysisStep { batch: 3, state: vec![("k9".into(), Some(vec![9]))], ..Default::default() }).unwrap();
    s.commit_step(&AnalysisStep::default()).unwrap();
    assert_eq!(s.engine_state(&ids(["k9"])).unwrap()["k9"], [9]);
    assert_eq!(s.last_change().unwrap(), log[2].seq);
}

/// A story analysis is written, and its mark deleted, only where the mark still holds the
/// value the analysis read: a story marked again meanwhile keeps its new mark and its old
/// claims; a story no longer stored only loses its mark. A writer alone leases every story.
pub fn story_analyses_are_written_only_under_the_mark_they_read(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x"), article("b", "y")]).unwrap();
    let mark = |id: &str| format!("owed:{id}");
    s.commit_step(&AnalysisStep {
        batch: 1,
        stories: vec![story("s1", &["a"]), story("s2", &["b"])],
        state: vec![(mark("s1"), Some(vec![1])), (mark("s2"), Some(vec![1])), (mark("s3"), Some(vec![7]))],
        ..Default::default()
    })
    .unwrap();
    let analysis = |id: &str, read: u8, claim_id: &str| StoryAnalysis {
        story_id: id.into(),
        mark: (mark(id), vec![read]),
        claims: vec![claim(claim_id, id, "analysed")],
        brief: Some(brief(id)),
        state: vec![(format!("done:{id}"), Some(vec![]))],
        changes: vec![change(ChangeKind::ClaimAdded, id)],
    };
    // s2 is marked again after its analysis read the mark.
    s.commit_step(&AnalysisStep { state: vec![(mark("s2"), Some(vec![2]))], ..Default::default() }).unwrap();
    let before = s.last_change().unwrap();
    let written = s.commit_story_analyses(&[analysis("s1", 1, "c1"), analysis("s2", 1, "c2"), analysis("s3", 7, "c3")]).unwrap();
    assert_eq!(written, ["s1"]);
    assert_eq!(s.aligned_claims("s1").unwrap(), [claim("c1", "s1", "analysed")]);
    assert_eq!(s.brief("s1").unwrap().unwrap(), brief("s1"));
    assert!(s.aligned_claims("s2").unwrap().is_empty() && s.brief("s2").unwrap().is_none(), "a story marked again is left alone");
    assert!(s.story("s3").unwrap().is_none());
    let state = s.engine_state(&ids(["owed:s1", "owed:s2", "owed:s3", "done:s1", "done:s2", "done:s3"])).unwrap();
    assert_eq!(state, HashMap::from([("owed:s2".to_string(), vec![2]), ("done:s1".to_string(), vec![])]));
    let log = s.changes(before, None, 100).unwrap();
    assert_eq!(log.iter().map(|c| c.story_id.as_str()).collect::<Vec<_>>(), ["s1"]);
    // Analysed again under its new mark, it is written.
    assert_eq!(s.commit_story_analyses(&[analysis("s2", 2, "c2")]).unwrap(), ["s2"]);
    assert_eq!(s.aligned_claims("s2").unwrap(), [claim("c2", "s2", "analysed")]);
    assert!(s.engine_state_prefix("owed:").unwrap().is_empty());
    assert!(s.commit_story_analyses(&[analysis("s2", 2, "c2")]).unwrap().is_empty(), "a mark cleared is not cleared twice");

    let leased = s.lease_stories(&ids(["s1", "s2"])).unwrap();
    assert_eq!(leased, ids(["s1", "s2"]));
    s.release_stories(&leased).unwrap();
}

/// A step that cannot be written (a story listing an article not stored) writes nothing of itself.
pub fn a_failing_step_writes_nothing(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x"), article("b", "y")]).unwrap();
    let seq = arrival_seqs(s);
    s.commit_step(&AnalysisStep {
        batch: 1,
        arrivals: vec![seq["a"]],
        stories: vec![story("s1", &["a"])],
        state: vec![("k".into(), Some(vec![1]))],
        changes: vec![change(ChangeKind::StoryCreated, "s1")],
        ..Default::default()
    })
    .unwrap();
    let last = s.last_change().unwrap();
    let bad = AnalysisStep {
        batch: 2,
        arrivals: vec![seq["b"]],
        stories: vec![story("s1", &["a", "b"]), story("s2", &["missing"])],
        claims: vec![("s1".into(), vec![claim("c1", "s1", "t")])],
        briefs: vec![brief("s1")],
        merged: vec![],
        state: vec![("k".into(), None), ("k2".into(), Some(vec![2]))],
        changes: vec![change(ChangeKind::ArticleJoined, "s1")],
    };
    assert!(s.commit_step(&bad).is_err());
    assert_eq!(s.story("s1").unwrap().unwrap(), story("s1", &["a"]));
    assert!(s.story("s2").unwrap().is_none());
    assert!(s.aligned_claims("s1").unwrap().is_empty());
    assert!(s.brief("s1").unwrap().is_none());
    assert_eq!(s.engine_state(&ids(["k", "k2"])).unwrap(), HashMap::from([("k".to_string(), vec![1])]));
    assert_eq!(pending(s), [("b".to_string(), None)]);
    assert_eq!(s.last_change().unwrap(), last);
    assert_eq!(s.stories_of(&ids(["b"])).unwrap(), HashMap::new());
    // The store still works after a refused step.
    s.commit_step(&AnalysisStep { batch: 2, arrivals: vec![seq["b"]], stories: vec![story("s1", &["a", "b"])], ..Default::default() }).unwrap();
    assert!(!s.has_pending().unwrap());
}

/// A merged story's rows go and its id answers as an alias of the survivor; the aliases
/// of a story merged later follow it; a story that gets an old id back is no alias.
pub fn merged_stories_leave_aliases_that_follow(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x"), article("b", "y"), article("c", "z"), article("d", "w")]).unwrap();
    let step = AnalysisStep {
        batch: 1,
        stories: vec![story("s1", &["a"]), story("s2", &["b"]), story("s3", &["c"]), story("s4", &["d"])],
        claims: vec![("s2".into(), vec![claim("c2", "s2", "two")])],
        briefs: vec![brief("s2"), brief("s1")],
        changes: ["s1", "s2", "s3", "s4"].into_iter().map(|id| change(ChangeKind::StoryCreated, id)).collect(),
        ..Default::default()
    };
    s.commit_step(&step).unwrap();
    let mut merged = change(ChangeKind::StoriesMerged, "s1");
    merged.other_story_id = Some("s2".into());
    s.commit_step(&AnalysisStep {
        batch: 2,
        stories: vec![story("s1", &["a", "b"])],
        claims: vec![("s1".into(), vec![claim("c2", "s1", "two")])],
        merged: vec![("s2".into(), "s1".into())],
        changes: vec![merged],
        ..Default::default()
    })
    .unwrap();
    assert!(s.story("s2").unwrap().is_none());
    assert!(s.brief("s2").unwrap().is_none());
    assert!(s.aligned_claims("s2").unwrap().is_empty());
    assert_eq!(s.aligned_claims("s1").unwrap(), [claim("c2", "s1", "two")]);
    assert_eq!(s.stories().unwrap().into_iter().map(|s| s.id).collect::<Vec<_>>(), ["s1", "s3", "s4"]);
    assert_eq!(s.story_alias("s2").unwrap().as_deref(), Some("s1"));
    assert_eq!(s.story_alias("s1").unwrap(), None, "a live story is no alias");
    assert_eq!(s.story_alias("nope").unwrap(), None);
    assert_eq!(s.stories_of(&ids(["b"])).unwrap()["b"], "s1");
    // s1 merges into s3: s2 now answers s3 too.
    s.commit_step(&AnalysisStep {
        batch: 3,
        stories: vec![story("s3", &["c", "a", "b"])],
        merged: vec![("s1".into(), "s3".into())],
        changes: vec![change(ChangeKind::StoriesMerged, "s3")],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.story_alias("s1").unwrap().as_deref(), Some("s3"));
    assert_eq!(s.story_alias("s2").unwrap().as_deref(), Some("s3"));
    assert!(s.brief("s1").unwrap().is_none());
    assert_eq!(s.stories().unwrap().into_iter().map(|s| s.id).collect::<Vec<_>>(), ["s3", "s4"]);
    // The log of a story includes that of the stories merged into it, asked by any of its ids.
    let story_log = |s: &dyn Store, id: &str| s.changes(0, Some(id), 100).unwrap().into_iter().map(|c| (c.story_id, c.kind)).collect::<Vec<_>>();
    let expected = vec![
        ("s1".to_string(), ChangeKind::StoryCreated),
        ("s2".to_string(), ChangeKind::StoryCreated),
        ("s3".to_string(), ChangeKind::StoryCreated),
        ("s1".to_string(), ChangeKind::StoriesMerged),
        ("s3".to_string(), ChangeKind::StoriesMerged),
    ];
    assert_eq!(story_log(s, "s3"), expected);
    assert_eq!(story_log(s, "s2"), expected);
    assert_eq!(story_log(s, "s1"), expected);
    assert_eq!(story_log(s, "s4"), [("s4".to_string(), ChangeKind::StoryCreated)]);
    // Two merges in one step, along a chain: s4 into s3, then s3 into s5 (a new story).
    s.put_articles(&[article("e", "v")]).unwrap();
    s.commit_step(&AnalysisStep { batch: 4, stories: vec![story("s5", &["a", "b", "c", "d", "e"])], merged: vec![("s4".into(), "s3".into()), ("s3".into(), "s5".into())], ..Default::default() })
        .unwrap();
    for old in ["s1", "s2", "s3", "s4"] {
        assert_eq!(s.story_alias(old).unwrap().as_deref(), Some("s5"), "{old}");
    }
    assert_eq!(s.stories().unwrap().into_iter().map(|s| s.id).collect::<Vec<_>>(), ["s5"]);
    assert_eq!(s.changes(0, Some("s2"), 100).unwrap().len(), 6, "every entry is s5's now");
    // A story that takes a merged-away id again is that story, no alias.
    s.commit_step(&AnalysisStep { batch: 5, stories: vec![story("s5", &["a", "b", "c", "d"]), story("s2", &["e"])], ..Default::default() }).unwrap();
    assert_eq!(s.story_alias("s2").unwrap(), None);
    assert_eq!(s.story_alias("s1").unwrap().as_deref(), Some("s5"));
    assert_eq!(s.stories_of(&ids(["e", "a"])).unwrap(), HashMap::from([("e".to_string(), "s2".to_string()), ("a".to_string(), "s5".to_string())]));
}

/// The change log read from a time: the last seq before it, fractions of a second
/// included; a correction keeps the sentence it replaced.
pub fn changes_are_read_from_a_time(s: &mut dyn Store) {
    let at = |t: &str| -> chrono::DateTime<chrono::Utc> { t.parse().unwrap() };
    assert_eq!(s.last_change_before(at("2030-01-01T00:00:00Z")).unwrap(), 0, "an empty log");
    let times = ["2025-06-22T12:00:00Z", "2025-06-22T12:00:00.250Z", "2025-06-22T12:00:01Z", "2025-06-23T00:00:00Z"];
    let mut fix = change(ChangeKind::ClaimCorrected, "s1");
    fix.was = Some("12 people died".into());
    fix.text = "15 people died".into();
    fix.article_id = Some("a1".into());
    fix.claim_id = Some("c2".into());
    fix.from = Some(ClaimStatus::SingleSource);
    fix.to = Some(ClaimStatus::SingleSource);
    for (i, t) in times.iter().enumerate() {
        let mut e = if i == 2 { fix.clone() } else { change(ChangeKind::BriefChanged, "s1") };
        e.at = at(t);
        s.commit_step(&AnalysisStep { batch: i as i64, changes: vec![e], ..Default::default() }).unwrap();
    }
    let all = s.changes(0, None, 100).unwrap();
    assert_eq!(all[2], ChangeEntry { seq: all[2].seq, at: at(times[2]), ..fix });
    let before = |t: &str| s.last_change_before(at(t)).unwrap();
    assert_eq!(before("2025-06-22T11:59:59Z"), 0);
    assert_eq!(before("2025-06-22T12:00:00Z"), 0, "an entry at the time itself is after it");
    assert_eq!(before("2025-06-22T12:00:00.1Z"), all[0].seq);
    assert_eq!(before("2025-06-22T12:00:00.250Z"), all[0].seq);
    assert_eq!(before("2025-06-22T12:00:00.5+00:00"), all[1].seq);
    assert_eq!(before("2025-06-22T14:00:01+02:00"), all[1].seq, "an offset is the same instant in UTC");
    assert_eq!(before("2025-06-22T23:59:59.999Z"), all[2].seq);
    assert_eq!(before("2026-01-01T00:00:00Z"), all[3].seq);
}

/// The change log: increasing seqs across steps, read after a seq, a page at a time, per story.
pub fn changes_are_numbered_and_filtered(s: &mut dyn Store) {
    assert_eq!(s.last_change().unwrap(), 0);
    assert!(s.changes(0, None, 10).unwrap().is_empty());
    let mut status = change(ChangeKind::ClaimStatusChanged, "s1");
    status.claim_id = Some("c1".into());
    status.from = Some(ClaimStatus::SingleSource);
    status.to = Some(ClaimStatus::Contested);
    status.text = "it's a \"claim\"".into();
    status.at = "2025-06-23T08:30:00Z".parse().unwrap();
    let written = [change(ChangeKind::StoryCreated, "s1"), change(ChangeKind::StoryCreated, "s2"), status, change(ChangeKind::BriefChanged, "s2"), change(ChangeKind::ClaimRemoved, "s1")];
    s.commit_step(&AnalysisStep { batch: 1, changes: written[..2].to_vec(), ..Default::default() }).unwrap();
    s.commit_step(&AnalysisStep { batch: 2, changes: written[2..].to_vec(), ..Default::default() }).unwrap();
    let all = s.changes(0, None, 100).unwrap();
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
    for (got, want) in all.iter().zip(&written) {
        assert_eq!(*got, ChangeEntry { seq: got.seq, ..want.clone() });
    }
    assert_eq!(s.last_change().unwrap(), all[4].seq);
    assert_eq!(s.changes(0, None, 2).unwrap(), all[..2]);
    assert_eq!(s.changes(all[1].seq, None, 100).unwrap(), all[2..]);
    assert_eq!(s.changes(all[1].seq, None, 1).unwrap(), all[2..3]);
    assert!(s.changes(all[4].seq, None, 100).unwrap().is_empty());
    assert_eq!(s.changes(0, None, usize::MAX).unwrap(), all, "no limit");
    let of = |s: &dyn Store, since: i64, id: &str| s.changes(since, Some(id), 100).unwrap();
    assert_eq!(of(s, 0, "s1"), [all[0].clone(), all[2].clone(), all[4].clone()]);
    assert_eq!(of(s, all[2].seq, "s1"), [all[4].clone()]);
    assert_eq!(of(s, 0, "s2"), [all[1].clone(), all[3].clone()]);
    assert!(of(s, 0, "nope").is_empty());
    assert_eq!(s.changes(0, Some("s1"), 1).unwrap(), all[..1]);
}

/// A rebuild: the analysis (stories, claims, briefs, aliases, state) is forgotten, the change
/// log and the articles stay, and every arrival waits again, batch by batch as first taken.
pub fn reset_analysis_keeps_the_log_and_replays_the_batches(s: &mut dyn Store) {
    s.put_articles(&[article("a", "1"), article("b", "2"), article("c", "3"), article("d", "4")]).unwrap();
    let seq = arrival_seqs(s);
    s.commit_step(&AnalysisStep {
        batch: 1,
        arrivals: vec![seq["a"], seq["c"]],
        stories: vec![story("s1", &["a"]), story("s2", &["c"])],
        claims: vec![("s1".into(), vec![claim("c1", "s1", "t")])],
        briefs: vec![brief("s1")],
        state: vec![("k".into(), Some(vec![1]))],
        changes: vec![change(ChangeKind::StoryCreated, "s1"), change(ChangeKind::StoryCreated, "s2")],
        ..Default::default()
    })
    .unwrap();
    s.commit_step(&AnalysisStep {
        batch: 2,
        arrivals: vec![seq["b"]],
        stories: vec![story("s1", &["a", "b", "c"])],
        merged: vec![("s2".into(), "s1".into())],
        changes: vec![change(ChangeKind::StoriesMerged, "s1")],
        ..Default::default()
    })
    .unwrap();
    let log = s.changes(0, None, 100).unwrap();
    s.reset_analysis().unwrap();
    assert!(s.stories().unwrap().is_empty());
    assert!(s.story("s1").unwrap().is_none());
    assert!(s.aligned_claims("s1").unwrap().is_empty());
    assert!(s.brief("s1").unwrap().is_none());
    assert_eq!(s.story_alias("s2").unwrap(), None);
    assert!(s.engine_state(&ids(["k"])).unwrap().is_empty());
    assert!(s.engine_state_prefix("").unwrap().is_empty());
    assert!(s.stories_of(&ids(["a", "b", "c"])).unwrap().is_empty());
    assert_eq!(s.changes(0, None, 100).unwrap(), log, "the change log stays");
    assert_eq!(s.last_change().unwrap(), log[2].seq);
    assert_eq!(s.article_count().unwrap(), 4);
    // Batch 1 (a, c), batch 2 (b), then d, never taken: a rebuild replays the same batches.
    let replay = s.pending_arrivals(10).unwrap();
    assert_eq!(
        replay,
        [
            Arrival { seq: seq["a"], article_id: "a".into(), batch: Some(1) },
            Arrival { seq: seq["c"], article_id: "c".into(), batch: Some(1) },
            Arrival { seq: seq["b"], article_id: "b".into(), batch: Some(2) },
            Arrival { seq: seq["d"], article_id: "d".into(), batch: None },
        ]
    );
    assert_eq!(s.pending_arrivals(2).unwrap(), replay[..2]);
    // The rebuild goes on as before; new changes number after the old ones.
    s.commit_step(&AnalysisStep { batch: 1, arrivals: vec![seq["a"], seq["c"]], stories: vec![story("s1", &["a", "c"])], changes: vec![change(ChangeKind::StoryCreated, "s1")], ..Default::default() })
        .unwrap();
    assert_eq!(pending(s), [("b".to_string(), Some(2)), ("d".to_string(), None)]);
    assert!(s.last_change().unwrap() > log[2].seq);
    // A reset with nothing analysed is harmless.
    s.reset_analysis().unwrap();
    s.reset_analysis().unwrap();
    assert_eq!(s.pending_arrivals(10).unwrap(), replay);
}

/// The story each article is in, from either way of writing the analysis.
pub fn stories_of_the_articles(s: &mut dyn Store) {
    s.put_articles(&[article("a", "x"), article("b", "y"), article("c", "z")]).unwrap();
    assert!(s.stories_of(&ids(["a"])).unwrap().is_empty());
    assert!(s.stories_of(&[]).unwrap().is_empty());
    s.replace_analysis(&Analysis { stories: vec![story("s1", &["a"]), story("s2", &["b"])], claims: vec![], briefs: vec![] }).unwrap();
    assert_eq!(s.stories_of(&ids(["a", "b", "c", "missing"])).unwrap(), HashMap::from([("a".to_string(), "s1".to_string()), ("b".to_string(), "s2".to_string())]));
    s.commit_step(&AnalysisStep { batch: 1, stories: vec![story("s2", &["b", "c"])], ..Default::default() }).unwrap();
    assert_eq!(s.stories_of(&ids(["c", "b"])).unwrap(), HashMap::from([("b".to_string(), "s2".to_string()), ("c".to_string(), "s2".to_string())]));
    // An article listed by another story moves there, out of the one that held it.
    s.commit_step(&AnalysisStep { batch: 2, stories: vec![story("s3", &["a", "b"])], ..Default::default() }).unwrap();
    assert_eq!(s.stories_of(&ids(["a", "b", "c"])).unwrap(), HashMap::from([("a".to_string(), "s3".to_string()), ("b".to_string(), "s3".to_string()), ("c".to_string(), "s2".to_string())]));
}

/// Engine state by key and by key prefix: byte order, no pattern characters, empty values kept.
pub fn engine_state_by_key_and_prefix(s: &mut dyn Store) {
    assert!(s.engine_state(&ids(["x"])).unwrap().is_empty());
    assert!(s.engine_state(&[]).unwrap().is_empty());
    assert!(s.engine_state_prefix("").unwrap().is_empty());
    let keys = ["cluster", "clusterer/window", "clusterer/terms", "clusterer0", "clusterer/é", "clusterer/Z", "clusterer", "stories/x", "a%_1", "a%x", "ab_1", "a%_"];
    let state: Vec<(String, Option<Vec<u8>>)> = keys.iter().enumerate().map(|(i, k)| (k.to_string(), Some(vec![i as u8]))).collect();
    s.commit_step(&AnalysisStep { batch: 1, state, ..Default::default() }).unwrap();
    let prefix = |s: &dyn Store, p: &str| s.engine_state_prefix(p).unwrap().into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(prefix(s, "clusterer/"), ["clusterer/Z", "clusterer/terms", "clusterer/window", "clusterer/é"]);
    assert_eq!(prefix(s, "clusterer"), ["clusterer", "clusterer/Z", "clusterer/terms", "clusterer/window", "clusterer/é", "clusterer0"]);
    assert_eq!(prefix(s, "a%_"), ["a%_", "a%_1"]);
    assert_eq!(prefix(s, "clusterer/é"), ["clusterer/é"]);
    assert!(prefix(s, "nothing").is_empty());
    assert!(prefix(s, "Clusterer").is_empty(), "case matters");
    let all = s.engine_state_prefix("").unwrap();
    let mut sorted: Vec<&str> = keys.to_vec();
    sorted.sort_unstable();
    assert_eq!(all.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), sorted);
    assert_eq!(all.iter().find(|(k, _)| k == "stories/x").unwrap().1, [7]);
    // A step repeating a key: the last write wins, a delete included.
    s.commit_step(&AnalysisStep {
        batch: 2,
        state: vec![("cluster".into(), Some(vec![10])), ("cluster".into(), None), ("stories/x".into(), None), ("stories/x".into(), Some(vec![]))],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(s.engine_state(&ids(["cluster", "stories/x"])).unwrap(), HashMap::from([("stories/x".to_string(), vec![])]));
    assert_eq!(s.engine_state_prefix("stories/").unwrap(), [("stories/x".to_string(), vec![])]);
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

fn watch(id: &str, created: &str) -> Watch {
    Watch {
        id: id.into(),
        kind: WatchKind::Story,
        target: "s1".into(),
        webhook: Some("https://hooks.example/x".into()),
        secret: "00ff".into(),
        created: created.parse().unwrap(),
        cursor: 0,
        story_id: None,
        members: vec![],
    }
}

fn alert(watch: &str, seq: i64, due: &str) -> Alert {
    Alert {
        id: Alert::id_for(watch, seq),
        watch_id: watch.into(),
        seq,
        at: "2025-06-22T12:00:00Z".parse().unwrap(),
        kind: AlertKind::NewArticle,
        story_id: "s1".into(),
        claim_id: None,
        article_id: Some("a1".into()),
        outlet: Some("Outlet".into()),
        text: "A \"title\" <b>&</b>".into(),
        delivery: Some(Delivery { state: DeliveryState::Pending, attempts: 0, last_error: None, next_attempt: Some(due.parse().unwrap()), delivered_at: None }),
    }
}

/// Watches round-trip; an alert is stored once however often it is recorded; a due
/// delivery is taken by one deliverer only; removing a watch removes its alerts.
pub fn watches_and_alerts_are_kept_once_and_delivered_once(s: &mut dyn Store) {
    let (mut w1, w2) = (watch("w1", "2025-06-22T10:00:00Z"), watch("w2", "2025-06-22T11:00:00Z"));
    s.put_watch(&w2).unwrap();
    s.put_watch(&w1).unwrap();
    assert_eq!(s.watches().unwrap(), [w1.clone(), w2.clone()], "oldest first");
    assert_eq!(s.watch("w2").unwrap(), Some(w2.clone()));
    assert_eq!(s.watch("nope").unwrap(), None);

    w1.cursor = 7;
    let first = [alert("w1", 3, "2025-06-22T12:00:00Z"), alert("w1", 7, "2025-06-22T12:00:05Z")];
    assert_eq!(s.record_alerts(&w1, &first).unwrap(), 2);
    assert_eq!(s.watch("w1").unwrap().unwrap().cursor, 7, "the cursor moves with the alerts");
    // Recording the same changes again (a restart that evaluated them again) adds nothing.
    assert_eq!(s.record_alerts(&w1, &first).unwrap(), 0);
    assert_eq!(s.alerts(Some("w1"), 10).unwrap(), [first[1].clone(), first[0].clone()], "newest first, text intact");
    assert_eq!(s.alerts(None, 1).unwrap().len(), 1);
    assert!(s.alerts(Some("w2"), 10).unwrap().is_empty());

    let due = s.due_alerts("2025-06-22T12:00:01Z".parse().unwrap(), 10).unwrap();
    assert_eq!(due.iter().map(|a| a.seq).collect::<Vec<_>>(), [3], "only the one due");
    let lease = "2025-06-22T12:01:00Z".parse().unwrap();
    assert!(s.begin_delivery(&due[0].id, 0, lease).unwrap());
    assert!(!s.begin_delivery(&due[0].id, 0, lease).unwrap(), "a second deliverer does not take it");
    assert!(s.due_alerts("2025-06-22T12:00:30Z".parse().unwrap(), 10).unwrap().iter().all(|a| a.seq != 3), "leased");
    let taken = s.alerts(Some("w1"), 10).unwrap().into_iter().find(|a| a.seq == 3).unwrap();
    assert_eq!(taken.delivery.as_ref().unwrap().attempts, 1, "the attempt counts before it ends");

    let mut done = taken.clone();
    done.delivery = Some(Delivery { state: DeliveryState::Delivered, attempts: 1, last_error: None, next_attempt: None, delivered_at: Some(lease) });
    s.end_delivery(&done).unwrap();
    assert!(s.due_alerts("2030-01-01T00:00:00Z".parse().unwrap(), 10).unwrap().iter().all(|a| a.seq != 3), "delivered: never due again");
    assert!(!s.begin_delivery(&done.id, 1, lease).unwrap(), "nor taken again");
    let mut failed = first[1].clone();
    failed.delivery = Some(Delivery { state: DeliveryState::Failed, attempts: 0, last_error: Some("HTTP 500".into()), next_attempt: None, delivered_at: None });
    s.end_delivery(&failed).unwrap();
    assert!(s.due_alerts("2030-01-01T00:00:00Z".parse().unwrap(), 10).unwrap().is_empty());
    assert_eq!(s.alerts(Some("w1"), 10).unwrap()[0].delivery.as_ref().unwrap().last_error.as_deref(), Some("HTTP 500"));

    assert!(s.remove_watch("w1").unwrap());
    assert!(!s.remove_watch("w1").unwrap());
    assert!(s.alerts(None, 10).unwrap().is_empty(), "its alerts went with it");
    // Alerts for a watch removed meanwhile are not written.
    assert_eq!(s.record_alerts(&w1, &first).unwrap(), 0);
    assert_eq!(s.watches().unwrap(), [w2]);
}
