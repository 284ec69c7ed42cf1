//! The incremental engine on the sample corpus plus realistic arrivals:
//! stable story ids, untouched stories left alone, a change log, and a
//! rebuild that gives what the incremental runs gave.

use std::collections::BTreeMap;
use std::path::PathBuf;

use dossier_engine::{Embeddings, Engine, Silent};
use dossier_model::{Article, ChangeKind};
use dossier_store::{SqliteStore, Store};

fn corpus() -> Vec<Article> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "txt")).collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let parsed = dossier_ingest::ingest_file(&f);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        out.extend(parsed.articles);
    }
    out
}

fn jsonl(records: &[(&str, &str, &str, &str, &str)]) -> Vec<Article> {
    let lines: Vec<String> =
        records.iter().map(|(url, title, text, outlet, published)| serde_json::json!({"url": url, "title": title, "text": text, "outlet": outlet, "published": published}).to_string()).collect();
    let parsed = dossier_ingest::ingest_bytes("test.jsonl", lines.join("\n").as_bytes(), dossier_ingest::Format::JsonLines, "2026-01-01T00:00:00Z".parse().unwrap());
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.articles
}

/// Five short articles from another year, on other subjects.
fn unrelated() -> Vec<Article> {
    jsonl(&[
        (
            "https://example.org/quake",
            "Earthquake strikes Chile coast",
            "A magnitude 7 earthquake struck the coast of Chile on Monday, officials said. Tsunami warnings were issued for the Pacific coast.",
            "Wire",
            "2019-03-04",
        ),
        (
            "https://example.org/league",
            "Football club wins league title",
            "The club won the league title after a late goal on Sunday. Fans celebrated in the streets of the city until morning.",
            "Sports Daily",
            "2019-05-12",
        ),
        (
            "https://example.org/rates",
            "Central bank raises interest rates",
            "The central bank raised interest rates by half a point to fight inflation. Markets fell after the announcement.",
            "Money News",
            "2019-06-20",
        ),
        (
            "https://example.org/fire",
            "Fire destroys warehouse in Riverton port",
            "A fire destroyed a warehouse in the Riverton port district on Monday. Firefighters fought the blaze for six hours.",
            "Riverton Post",
            "2019-08-02",
        ),
        (
            "https://example.org/storm",
            "Storm cuts power to thousands",
            "A winter storm cut power to thousands of homes across the region overnight, the utility said on Tuesday.",
            "Weather Desk",
            "2019-12-10",
        ),
    ])
}

/// A report of the memo story dated a day before the stories' first reports
/// (the sample corpus's scraped pages are dated when they were read).
fn earlier_memo_report() -> Vec<Article> {
    let day_before = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    jsonl(&[(
        "https://example.org/fsb-memo",
        "Leaked FSB memo labels China 'the enemy'",
        "A leaked FSB intelligence memo brands China \"the enemy\" and warns of Chinese espionage targeting Russia's military and scientific sectors. \
         The eight-page document, dated late 2023 or early 2024, was obtained through the Ares Leaks platform. \
         The memo describes Chinese recruitment of Russian scientists and the theft of data on drones, Arctic strategy and research tied to the war in Ukraine.",
        "Example Wire",
        &day_before,
    )])
}

type Snapshot = BTreeMap<String, (Vec<String>, String, Vec<(String, String)>)>;

/// Every story: members, title, and claims (id, status).
fn snapshot(store: &dyn Store) -> Snapshot {
    let mut out = BTreeMap::new();
    for s in store.stories().unwrap() {
        let claims = store.aligned_claims(&s.id).unwrap().into_iter().map(|c| (c.id, c.status.as_str().to_string())).collect();
        out.insert(s.id.clone(), (s.article_ids.clone(), s.title.clone(), claims));
    }
    out
}

fn setup() -> (tempfile::TempDir, SqliteStore, Engine) {
    setup_with(Embeddings::Off)
}

fn setup_with(mode: Embeddings) -> (tempfile::TempDir, SqliteStore, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    let engine = Engine::new(mode).with_index(&dossier_engine::index_dir(dir.path()));
    (dir, store, engine)
}

/// Whether the embedding model is installed (CI installs it: there it must be).
fn model_installed() -> bool {
    let found = dossier_embed::locate().is_some();
    assert!(found || std::env::var_os("CI").is_none(), "CI: the embedding model is not installed");
    found
}

fn memo_story(store: &dyn Store) -> String {
    store.stories().unwrap().into_iter().find(|s| s.title.contains("no-limits")).expect("the memo story").id
}

#[test]
fn ids_are_stable_and_stories_an_arrival_does_not_join_are_left_alone() {
    stable_ids_with(Embeddings::Off);
}

#[test]
fn ids_are_stable_and_stories_an_arrival_does_not_join_are_left_alone_with_the_model() {
    if model_installed() {
        stable_ids_with(Embeddings::On);
    }
}

#[test]
fn a_rebuild_with_the_model_gives_what_the_incremental_runs_gave() {
    if !model_installed() {
        return;
    }
    let (_dir, mut store, mut engine) = setup_with(Embeddings::On);
    engine.ingest(&mut store, &corpus(), &Silent).unwrap();
    engine.ingest(&mut store, &unrelated(), &Silent).unwrap();
    engine.ingest(&mut store, &earlier_memo_report(), &Silent).unwrap();
    let incremental = snapshot(&store);
    Engine::new(Embeddings::On).rebuild(&mut store, &Silent).unwrap();
    assert_eq!(snapshot(&store), incremental);
}

fn stable_ids_with(mode: Embeddings) {
    let (_dir, mut store, mut engine) = setup_with(mode);
    engine.ingest(&mut store, &corpus(), &Silent).unwrap();
    let first = snapshot(&store);
    let memo = memo_story(&store);
    assert_eq!(first[&memo].0.len(), 2, "the memo reports are one story: {first:#?}");

    // Unrelated articles from another year: new stories, nothing else changes.
    let r = engine.ingest(&mut store, &unrelated(), &Silent).unwrap();
    assert_eq!(r.put.new, 5);
    assert_eq!(r.analysis.stories_created, 5);
    assert_eq!(r.analysis.stories_touched, 5, "only the new stories are rewritten");
    let second = snapshot(&store);
    for (id, s) in &first {
        assert_eq!(second.get(id), Some(s), "story {id} changed though no article joined it");
    }

    // A report dated before the memo story's first one joins it; its id stays.
    let r = engine.ingest(&mut store, &earlier_memo_report(), &Silent).unwrap();
    assert_eq!(r.analysis.stories_touched, 1, "{r:?}");
    let third = snapshot(&store);
    let joined = store.story(&memo).unwrap().expect("the memo story keeps its id");
    assert_eq!(joined.article_ids.len(), 3);
    assert!(joined.first_seen < first[&memo].0.iter().map(|id| store.article(id).unwrap().unwrap().time()).min().unwrap(), "the earlier report is now its first");
    for (id, s) in &second {
        if *id != memo {
            assert_eq!(third.get(id), Some(s), "story {id} changed though the report joined another");
        }
    }
}

#[test]
fn a_rebuild_gives_what_the_incremental_runs_gave() {
    let (_dir, mut store, mut engine) = setup();
    engine.ingest(&mut store, &corpus(), &Silent).unwrap();
    engine.ingest(&mut store, &unrelated()[..2], &Silent).unwrap();
    engine.ingest(&mut store, &earlier_memo_report(), &Silent).unwrap();
    engine.ingest(&mut store, &unrelated()[2..], &Silent).unwrap();
    let incremental = snapshot(&store);
    let log = store.last_change().unwrap();

    let r = engine.rebuild(&mut store, &Silent).unwrap();
    assert_eq!(r.steps, 4, "the four batches are replayed");
    assert_eq!(snapshot(&store), incremental);
    // A fresh engine (another process) rebuilds the same too.
    Engine::new(Embeddings::Off).rebuild(&mut store, &Silent).unwrap();
    assert_eq!(snapshot(&store), incremental);
    assert!(store.last_change().unwrap() > log, "a rebuild is logged like any analysis");
}

#[test]
fn the_change_log_records_each_step() {
    let (_dir, mut store, mut engine) = setup();
    engine.ingest(&mut store, &corpus(), &Silent).unwrap();
    let after_corpus = store.last_change().unwrap();
    let all = store.changes(0, None, 10_000).unwrap();
    assert_eq!(all.len() as i64, after_corpus);
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq), "sequence numbers increase");
    let created = all.iter().filter(|c| c.kind == ChangeKind::StoryCreated).count();
    assert_eq!(created, store.stories().unwrap().len(), "one story_created per story");
    assert!(all.iter().any(|c| c.kind == ChangeKind::ArticleJoined), "the second memo report joined the first");
    assert!(all.iter().any(|c| c.kind == ChangeKind::ClaimAdded && c.to == Some(dossier_model::ClaimStatus::Corroborated)), "corroborated claims are logged");

    // The next arrival's entries come after, and are about its story only.
    let memo = memo_story(&store);
    engine.ingest(&mut store, &earlier_memo_report(), &Silent).unwrap();
    let new = store.changes(after_corpus, None, 10_000).unwrap();
    assert!(!new.is_empty());
    assert!(new.iter().all(|c| c.story_id == memo), "{new:#?}");
    let joined = new.iter().find(|c| c.kind == ChangeKind::ArticleJoined).expect("article_joined");
    assert_eq!(joined.article_id.as_deref(), Some(earlier_memo_report()[0].id.as_str()));
    assert!(new.iter().any(|c| c.kind == ChangeKind::BriefChanged));
    assert_eq!(store.changes(after_corpus, Some(&memo), 10_000).unwrap(), new);
    assert!(store.changes(store.last_change().unwrap(), None, 10).unwrap().is_empty());
    // Nothing new, nothing logged.
    let before = store.last_change().unwrap();
    let r = engine.ingest(&mut store, &earlier_memo_report(), &Silent).unwrap();
    assert_eq!((r.put.unchanged, r.analysis.articles), (1, 0));
    assert_eq!(store.last_change().unwrap(), before);
}

#[test]
fn articles_stored_by_a_run_that_died_are_analysed_by_the_next() {
    let (dir, mut store, mut engine) = setup();
    engine.ingest(&mut store, &corpus(), &Silent).unwrap();
    // Stored, then killed before the analysis: the arrivals wait.
    engine.store(&mut store, &unrelated()).unwrap();
    assert!(store.has_pending().unwrap());
    drop((store, engine));
    let mut store = SqliteStore::open_dir(dir.path()).unwrap();
    let r = Engine::new(Embeddings::Off).with_index(&dossier_engine::index_dir(dir.path())).analyse(&mut store, &Silent).unwrap();
    assert_eq!(r.articles, 5);
    assert!(!store.has_pending().unwrap());
    let fire = store.stories().unwrap().into_iter().find(|s| s.title.contains("Riverton")).expect("the late articles are in stories");
    // ... and in the search index.
    let ix = dossier_search::SearchIndex::open(&dossier_engine::index_dir(dir.path())).unwrap();
    let hits = ix.search(&dossier_search::SearchQuery { text: "warehouse".into(), limit: 10, ..Default::default() }).unwrap();
    assert!(hits.hits.iter().any(|h| fire.article_ids.contains(&h.id)), "{:?}", hits.hits.iter().map(|h| &h.id).collect::<Vec<_>>());
}

#[test]
fn a_revised_article_realigns_its_story_and_logs_what_its_claims_did() {
    let (_dir, mut store, mut engine) = setup();
    let mut arts = unrelated();
    engine.ingest(&mut store, &arts, &Silent).unwrap();
    let fire = arts.iter().position(|a| a.title.contains("Riverton")).unwrap();
    let story = store.stories_of(&[arts[fire].id.clone()]).unwrap()[&arts[fire].id].clone();
    let before = store.last_change().unwrap();
    arts[fire].text = "A fire destroyed a warehouse in the Riverton port district on Monday. The fire caused damage estimated at $2 million, the port authority said on Tuesday.".into();
    let r = engine.ingest(&mut store, &arts[fire..fire + 1], &Silent).unwrap();
    assert_eq!((r.put.revised, r.analysis.stories_touched), (1, 1));
    assert_eq!(store.stories_of(&[arts[fire].id.clone()]).unwrap()[&arts[fire].id], story, "a revision stays in its story");
    let log = store.changes(before, None, 100).unwrap();
    assert!(log.iter().any(|c| c.kind == ChangeKind::ClaimAdded && c.text.contains("$2 million")), "{log:#?}");
    // The sentence the revision took out: a correction that dropped its claim.
    assert!(log.iter().any(|c| c.kind == ChangeKind::ClaimCorrected && c.text.is_empty() && c.was.as_deref().is_some_and(|w| w.contains("six hours"))), "{log:#?}");
}

/// A run killed after placing a batch and before analysing its stories (here: the placing
/// phase alone, then a new engine) leaves those stories owing analysis; the next run
/// analyses them and ends where an uninterrupted run ends.
#[test]
fn a_run_killed_between_placing_and_story_analysis_is_finished_by_the_next() {
    let (_ref_dir, mut reference, mut uninterrupted) = setup();
    uninterrupted.ingest(&mut reference, &corpus(), &Silent).unwrap();
    uninterrupted.ingest(&mut reference, &unrelated(), &Silent).unwrap();

    let (dir, mut store, mut engine) = setup();
    engine.ingest(&mut store, &corpus(), &Silent).unwrap();
    engine.store(&mut store, &unrelated()).unwrap();
    let placed = engine.place(&mut store, &Silent).unwrap();
    assert!(placed.stories_touched > 0 && placed.stories_analysed == 0, "{placed:?}");
    let owed = dossier_engine::stories_owing_analysis(&store).unwrap();
    assert_eq!(owed.len(), placed.stories_touched);
    assert!(!store.has_pending().unwrap() && dossier_engine::analysis_owed(&store).unwrap());
    drop((store, engine));

    let mut store = SqliteStore::open_dir(dir.path()).unwrap();
    let r = Engine::new(Embeddings::Off).with_index(&dossier_engine::index_dir(dir.path())).analyse(&mut store, &Silent).unwrap();
    assert_eq!((r.articles, r.stories_analysed, r.stories_refused), (0, owed.len(), 0));
    assert!(!dossier_engine::analysis_owed(&store).unwrap());
    assert_eq!(snapshot(&store), snapshot(&reference));
    for s in store.stories().unwrap() {
        assert_eq!(store.brief(&s.id).unwrap(), reference.brief(&s.id).unwrap(), "the brief of {}", s.id);
    }
    let log = |s: &dyn Store| s.changes(0, None, 10_000).unwrap().into_iter().map(|c| (c.kind, c.story_id, c.article_id, c.claim_id, c.text)).collect::<Vec<_>>();
    assert_eq!(log(&store), log(&reference), "the same change log, in the same order");
    // ... and the search index has the late articles in their stories.
    let ix = dossier_search::SearchIndex::open(&dossier_engine::index_dir(dir.path())).unwrap();
    let hits = ix.search(&dossier_search::SearchQuery { text: "warehouse".into(), limit: 10, ..Default::default() }).unwrap();
    assert!(!hits.hits.is_empty());
}

/// What another writer does to the store meanwhile.
type Meanwhile<'a> = Box<dyn FnOnce(&mut SqliteStore) + 'a>;

/// A store whose story analysis commit first runs `before_commit` (once): another writer
/// placing a batch while this one analyses. It notes the stories owing analysis after
/// each such commit.
struct PlacedMeanwhile<'a> {
    inner: &'a mut SqliteStore,
    before_commit: Option<Meanwhile<'a>>,
    owing_after: Vec<Vec<String>>,
}

impl Store for PlacedMeanwhile<'_> {
    fn commit_story_analyses(&mut self, done: &[dossier_store::StoryAnalysis]) -> dossier_store::Result<Vec<String>> {
        if let Some(f) = self.before_commit.take() {
            f(self.inner);
        }
        let written = self.inner.commit_story_analyses(done)?;
        self.owing_after.push(dossier_engine::stories_owing_analysis(self.inner).unwrap());
        Ok(written)
    }
    fn put_articles(&mut self, articles: &[Article]) -> dossier_store::Result<dossier_store::Put> {
        self.inner.put_articles(articles)
    }
    fn revisions(&self, id: &str) -> dossier_store::Result<Vec<dossier_store::Revision>> {
        self.inner.revisions(id)
    }
    fn has_url(&self, url: &str) -> dossier_store::Result<bool> {
        self.inner.has_url(url)
    }
    fn fetch_state(&self, url: &str) -> dossier_store::Result<Option<dossier_store::FetchState>> {
        self.inner.fetch_state(url)
    }
    fn put_fetch_state(&mut self, url: &str, state: &dossier_store::FetchState) -> dossier_store::Result<()> {
        self.inner.put_fetch_state(url, state)
    }
    fn article(&self, id: &str) -> dossier_store::Result<Option<Article>> {
        self.inner.article(id)
    }
    fn articles(&self) -> dossier_store::Result<Vec<Article>> {
        self.inner.articles()
    }
    fn article_count(&self) -> dossier_store::Result<usize> {
        self.inner.article_count()
    }
    fn replace_analysis(&mut self, analysis: &dossier_store::Analysis) -> dossier_store::Result<()> {
        self.inner.replace_analysis(analysis)
    }
    fn stories(&self) -> dossier_store::Result<Vec<dossier_model::Story>> {
        self.inner.stories()
    }
    fn story(&self, id: &str) -> dossier_store::Result<Option<dossier_model::Story>> {
        self.inner.story(id)
    }
    fn aligned_claims(&self, story_id: &str) -> dossier_store::Result<Vec<dossier_model::AlignedClaim>> {
        self.inner.aligned_claims(story_id)
    }
    fn brief(&self, story_id: &str) -> dossier_store::Result<Option<dossier_model::Brief>> {
        self.inner.brief(story_id)
    }
    fn embeddings(&self, model: &str) -> dossier_store::Result<std::collections::HashMap<String, (String, Vec<u8>)>> {
        self.inner.embeddings(model)
    }
    fn put_embeddings(&mut self, model: &str, rows: &[(String, String, Vec<u8>)]) -> dossier_store::Result<()> {
        self.inner.put_embeddings(model, rows)
    }
    fn pending_arrivals(&self, limit: usize) -> dossier_store::Result<Vec<dossier_store::Arrival>> {
        self.inner.pending_arrivals(limit)
    }
    fn engine_state(&self, keys: &[String]) -> dossier_store::Result<std::collections::HashMap<String, Vec<u8>>> {
        self.inner.engine_state(keys)
    }
    fn engine_state_prefix(&self, prefix: &str) -> dossier_store::Result<Vec<(String, Vec<u8>)>> {
        self.inner.engine_state_prefix(prefix)
    }
    fn commit_step(&mut self, step: &dossier_store::AnalysisStep) -> dossier_store::Result<()> {
        self.inner.commit_step(step)
    }
    fn reset_analysis(&mut self) -> dossier_store::Result<()> {
        self.inner.reset_analysis()
    }
    fn story_alias(&self, id: &str) -> dossier_store::Result<Option<String>> {
        self.inner.story_alias(id)
    }
    fn stories_of(&self, article_ids: &[String]) -> dossier_store::Result<std::collections::HashMap<String, String>> {
        self.inner.stories_of(article_ids)
    }
    fn changes(&self, since: i64, story: Option<&str>, limit: usize) -> dossier_store::Result<Vec<dossier_model::ChangeEntry>> {
        self.inner.changes(since, story, limit)
    }
    fn last_change(&self) -> dossier_store::Result<i64> {
        self.inner.last_change()
    }
    fn last_change_before(&self, at: chrono::DateTime<chrono::Utc>) -> dossier_store::Result<i64> {
        self.inner.last_change_before(at)
    }
    fn in_snapshot(&self, f: &mut dyn FnMut(&dyn Store) -> dossier_store::Result<()>) -> dossier_store::Result<()> {
        self.inner.in_snapshot(f)
    }
}

/// A story placed again (here: a revision of one of its articles) while its analysis
/// runs keeps owing analysis: the analysis of what it was is not written; the next pass
/// analyses what it is now, and the end equals analysing the batches one after the other.
#[test]
fn a_story_placed_again_while_it_is_analysed_keeps_owing_analysis() {
    let arts = unrelated();
    let fire = arts.iter().position(|a| a.title.contains("Riverton")).unwrap();
    let mut revised = arts[fire].clone();
    revised.text = "A fire destroyed a warehouse in the Riverton port district on Monday. The fire caused damage estimated at $2 million, the port authority said on Tuesday.".into();

    let (_ref_dir, mut reference, mut one_by_one) = setup();
    for batch in [corpus(), arts.clone(), vec![revised.clone()]] {
        one_by_one.ingest(&mut reference, &batch, &Silent).unwrap();
    }

    let (_dir, mut store, mut engine) = setup();
    engine.ingest(&mut store, &corpus(), &Silent).unwrap();
    engine.store(&mut store, &arts).unwrap();
    engine.place(&mut store, &Silent).unwrap();
    let owed = dossier_engine::stories_owing_analysis(&store).unwrap();
    let story = store.stories_of(&[arts[fire].id.clone()]).unwrap()[&arts[fire].id].clone();
    assert!(owed.contains(&story));
    let late = revised.clone();
    let mut meanwhile = PlacedMeanwhile {
        inner: &mut store,
        before_commit: Some(Box::new(move |s: &mut SqliteStore| {
            let mut other = Engine::new(Embeddings::Off);
            other.store(s, &[late]).unwrap();
            assert_eq!(other.place(s, &Silent).unwrap().stories_touched, 1);
        })),
        owing_after: Vec::new(),
    };
    let r = engine.analyse_stories(&mut meanwhile, usize::MAX, None, &Silent).unwrap();
    // The first commit refused the story placed again and kept its new mark; the next
    // pass analysed it over its new text.
    assert_eq!(meanwhile.owing_after, [vec![story.clone()], vec![]]);
    drop(meanwhile);
    assert_eq!((r.stories_analysed, r.stories_refused), (owed.len(), 1), "{r:?}");
    assert!(!dossier_engine::analysis_owed(&store).unwrap());
    assert!(store.aligned_claims(&story).unwrap().iter().any(|c| c.text.contains("$2 million")));
    let r = engine.analyse(&mut store, &Silent).unwrap();
    assert_eq!((r.stories_analysed, r.stories_refused), (0, 0));
    assert_eq!(snapshot(&store), snapshot(&reference));
}

/// A writer bounding its story analysis in time analyses at least one chunk, starts no
/// other once the time is up, and leaves the rest owing analysis for its next call.
#[test]
fn a_bounded_story_analysis_does_one_chunk_and_leaves_the_rest() {
    let (_dir, mut store, mut engine) = setup();
    engine.store(&mut store, &corpus()).unwrap();
    engine.place(&mut store, &Silent).unwrap();
    let owed = dossier_engine::stories_owing_analysis(&store).unwrap();
    assert!(owed.len() >= 3, "{owed:?}");
    let r = engine.analyse_stories(&mut store, 1, Some(std::time::Instant::now()), &Silent).unwrap();
    assert_eq!(r.stories_analysed, 1);
    assert_eq!(dossier_engine::stories_owing_analysis(&store).unwrap(), owed[1..]);
    let r = engine.analyse_stories(&mut store, 1, None, &Silent).unwrap();
    assert_eq!(r.stories_analysed, owed.len() - 1);
    assert!(!dossier_engine::analysis_owed(&store).unwrap());
}

/// A running topic reported twice a day for twelve days by two outlets, as
/// records of one feed: more than a story's longest span (7 days). Each
/// outlet words its daily report the same way.
fn running_topic() -> Vec<Article> {
    let days: Vec<(String, String, String, String, String)> = (0..24)
        .map(|i| {
            let day = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap() + chrono::Duration::days(i / 2);
            let (outlet, title, text) = if i % 2 == 0 {
                (
                    "Harbour Herald",
                    "Harbour bridge budget debate continues",
                    "Members of parliament debated the harbour bridge budget again. The finance minister, Maria Lind, said the bridge spending of 40 million euros was necessary.",
                )
            } else {
                (
                    "Coast Courier",
                    "Parliament argues over harbour bridge budget",
                    "The harbour bridge budget was debated in parliament again. Finance minister Maria Lind defended the 40 million euros of bridge spending, opposition members said it had doubled.",
                )
            };
            (format!("https://example.org/bridge/{i}"), title.to_string(), text.to_string(), outlet.to_string(), format!("{day}T{:02}:00:00Z", if i % 2 == 0 { 8 } else { 16 }))
        })
        .collect();
    let refs: Vec<(&str, &str, &str, &str, &str)> = days.iter().map(|(a, b, c, d, e)| (a.as_str(), b.as_str(), c.as_str(), d.as_str(), e.as_str())).collect();
    jsonl(&refs)
}

#[test]
fn a_story_past_its_longest_span_is_followed_up_by_a_linked_story() {
    let (_dir, mut store, mut engine) = setup();
    engine.ingest(&mut store, &unrelated(), &Silent).unwrap();
    let topic = running_topic();
    // Arriving over time, in three batches.
    for part in topic.chunks(8) {
        engine.ingest(&mut store, part, &Silent).unwrap();
    }
    let mut stories: Vec<_> = store.stories().unwrap().into_iter().filter(|s| s.title.contains("bridge")).collect();
    stories.sort_by_key(|s| s.first_seen);
    assert_eq!(stories.len(), 2, "{:#?}", stories.iter().map(|s| (&s.title, s.article_ids.len())).collect::<Vec<_>>());
    let (first, follow_up) = (&stories[0], &stories[1]);
    assert!((first.last_seen - first.first_seen).num_days() <= 7);
    assert_eq!(first.article_ids.len() + follow_up.article_ids.len(), topic.len(), "every report is in one of them");
    assert_eq!(first.continues, None);
    assert_eq!(follow_up.continues.as_deref(), Some(first.id.as_str()));
    assert!(!store.aligned_claims(&first.id).unwrap().is_empty(), "the full story keeps its claims");
    let created = store.changes(0, Some(&follow_up.id), 10_000).unwrap().into_iter().find(|c| c.kind == ChangeKind::StoryCreated).expect("story_created");
    assert_eq!(created.other_story_id.as_deref(), Some(first.id.as_str()), "the log names the story it follows up");

    let incremental = snapshot(&store);
    engine.rebuild(&mut store, &Silent).unwrap();
    assert_eq!(snapshot(&store), incremental);
    assert_eq!(store.story(&follow_up.id).unwrap().unwrap().continues.as_deref(), Some(first.id.as_str()));
}

/// A revised article on the sample corpus: one claim sentence reworded, another dropped.
/// The change log says so as corrections, cited to the revised article, with the sentence
/// before and after; a second analysis of the same text corrects nothing.
#[test]
fn a_revised_article_that_changes_and_drops_claims_is_logged_as_corrections() {
    let (_dir, mut store, mut engine) = setup();
    let arts = corpus();
    engine.ingest(&mut store, &arts, &Silent).unwrap();
    let memo = memo_story(&store);
    let claims = store.aligned_claims(&memo).unwrap();
    let story = store.story(&memo).unwrap().unwrap();
    // The article of the story with the most claim sentences: two of them change.
    let article = story.article_ids.iter().max_by_key(|a| claims.iter().flat_map(|c| &c.members).filter(|m| &m.article_id == *a).count()).unwrap();
    let mut sentences: Vec<&dossier_model::Claim> = claims.iter().flat_map(|c| &c.members).filter(|m| &m.article_id == article).collect();
    sentences.sort_by_key(|m| m.sentence);
    assert!(sentences.len() >= 2, "{sentences:?}");
    let (changed, dropped) = (sentences[0].text.clone(), sentences[sentences.len() - 1].text.clone());
    let corrected = changed.replacen(' ', " newly ", 1);
    let mut revised = arts.iter().find(|a| &a.id == article).unwrap().clone();
    let text = revised.text.replacen(&changed, &corrected, 1).replacen(&dropped, "", 1);
    assert_ne!(text, revised.text);
    revised.text = text;
    let before = store.last_change().unwrap();
    let r = engine.ingest(&mut store, std::slice::from_ref(&revised), &Silent).unwrap();
    assert_eq!(r.put.revised, 1);
    let log = store.changes(before, None, 1000).unwrap();
    let fixes: Vec<&dossier_model::ChangeEntry> = log.iter().filter(|c| c.kind == ChangeKind::ClaimCorrected).collect();
    assert_eq!(fixes.len(), 2, "{log:#?}");
    for f in &fixes {
        assert_eq!((f.story_id.as_str(), f.article_id.as_deref()), (memo.as_str(), Some(article.as_str())), "{f:?}");
    }
    let reworded = fixes.iter().find(|f| f.was.as_deref() == Some(changed.as_str())).expect("the reworded sentence");
    assert_eq!(reworded.text, corrected);
    let now = store.aligned_claims(&memo).unwrap();
    assert!(now.iter().any(|c| Some(&c.id) == reworded.claim_id.as_ref() && c.members.iter().any(|m| m.text == corrected)), "cited to the claim it is in now");
    let gone = fixes.iter().find(|f| f.was.as_deref() == Some(dropped.as_str())).expect("the dropped sentence");
    assert_eq!((gone.text.as_str(), gone.to), ("", None));
    assert!(claims.iter().any(|c| Some(&c.id) == gone.claim_id.as_ref()), "cited to the claim it was in");
    assert_eq!(gone.was_claim_id, gone.claim_id);
    assert!(claims.iter().any(|c| Some(&c.id) == reworded.was_claim_id.as_ref() && c.members.iter().any(|m| m.text == changed)));
    // Logged as corrections, not as claims removed and added besides.
    for (kind, id) in [(ChangeKind::ClaimAdded, &reworded.claim_id), (ChangeKind::ClaimRemoved, &reworded.was_claim_id), (ChangeKind::ClaimRemoved, &gone.claim_id)] {
        assert!(!log.iter().any(|c| c.kind == kind && &c.claim_id == id), "{kind:?} {id:?}: {log:#?}");
    }

    // The same text again is no revision, and a rebuild-free re-analysis corrects nothing.
    let again = store.last_change().unwrap();
    engine.ingest(&mut store, std::slice::from_ref(&revised), &Silent).unwrap();
    assert!(store.changes(again, None, 1000).unwrap().iter().all(|c| c.kind != ChangeKind::ClaimCorrected));
}
