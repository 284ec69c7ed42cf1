//! The engine's two phases over PostgreSQL (`DOSSIER_TEST_POSTGRES`; skipped when it
//! is not configured, except under CI=true): stories placed by one writer are analysed
//! by several at once, each on the stories it leases, never one story twice, and end
//! as one writer's analysis ends; a writer that dies between the phases, or while it
//! holds leases, leaves the stories owing analysis to the next.

use std::sync::{Arc, Barrier};

use dossier_engine::{AnalysisReport, Embeddings, Engine, Silent};
use dossier_model::{Article, Outlet, OutletBasis};
use dossier_store::{SqliteStore, Store};
use dossier_store_postgres::{create_test_database, test_server, PgStore};

/// Reports of `events` news events by `per` outlets each, with sources and figures
/// (one outlet in five gives another figure): many stories, each with claims.
fn reports(events: usize, per: usize) -> Vec<Article> {
    const TOPICS: [(&str, &str, &str); 6] = [
        ("harbour", "the harbour expansion", "Port Authority"),
        ("rail", "the northern rail line", "Transport Ministry"),
        ("school", "the school meals scheme", "Education Board"),
        ("flood", "the river flood defences", "Environment Agency"),
        ("hospital", "the new city hospital", "Health Trust"),
        ("tram", "the tram extension", "City Council"),
    ];
    const PLACES: [&str; 24] = [
        "Aberdeen",
        "Bristol",
        "Cardiff",
        "Dundee",
        "Exeter",
        "Falkirk",
        "Glasgow",
        "Hereford",
        "Inverness",
        "Jarrow",
        "Kendal",
        "Leeds",
        "Margate",
        "Norwich",
        "Oxford",
        "Perth",
        "Quorn",
        "Reading",
        "Salford",
        "Truro",
        "Ullapool",
        "Wakefield",
        "York",
        "Zennor",
    ];
    let mut out = Vec::new();
    for e in 0..events {
        let (word, what, who) = TOPICS[e % TOPICS.len()];
        let place = PLACES[e % PLACES.len()];
        for o in 0..per {
            let cost = 100 + e * 7 + if o % 5 == 4 { 30 } else { 0 };
            let mut a = dossier_store::conformance::article(&format!("e{e}o{o}"), "");
            a.url = Some(format!("https://outlet{o}.example/{word}/{place}"));
            a.title = format!("{place}: {who} approves {what}, outlet {o} reports");
            a.text = format!(
                "The {who} approved {what} in {place} on Tuesday, officials in {place} said.\n\
                 The {place} project will cost {cost} million pounds, according to a spokesperson for the {who}.\n\
                 Work on {what} in {place} is expected to start in {} and last three years, the {who} said in a statement.\n\
                 Residents of {place} reportedly raised concerns about noise from the {word} works.",
                2025 + e % 3
            );
            a.outlet = Outlet { name: format!("Outlet {o}"), basis: OutletBasis::Given };
            // A month per event: beyond the clusterer's window, so events never merge.
            a.published = Some(format!("{}-{:02}-10T{:02}:00:00Z", 2020 + e / 12, e % 12 + 1, o % 24).parse().unwrap());
            out.push(a);
        }
    }
    out
}

fn fresh_db() -> Option<String> {
    Some(create_test_database(&test_server()?).unwrap())
}

/// The embedded engine over the same batch, for comparison.
fn embedded(dir: &std::path::Path, articles: &[Article]) -> SqliteStore {
    let mut store = SqliteStore::open_dir(dir).unwrap();
    Engine::new(Embeddings::Off).ingest(&mut store, articles, &Silent).unwrap();
    store
}

/// The same stories, claims and briefs.
fn assert_same_analysis(got: &dyn Store, want: &dyn Store) {
    let stories = want.stories().unwrap();
    assert!(stories.len() >= 10, "{}", stories.len());
    assert_eq!(got.stories().unwrap(), stories);
    let mut claims = 0;
    for s in &stories {
        let c = want.aligned_claims(&s.id).unwrap();
        claims += c.len();
        assert_eq!(got.aligned_claims(&s.id).unwrap(), c, "claims of {}", s.id);
        assert_eq!(got.brief(&s.id).unwrap(), want.brief(&s.id).unwrap(), "brief of {}", s.id);
    }
    assert!(claims > 0);
}

/// Two writers analysing the stories one placing step marked, at once, on two
/// connections: between them they analyse each story once (none is analysed by both:
/// the second would find its mark gone and be refused), clear every mark, and leave
/// what one embedded run leaves.
#[test]
fn two_writers_analyse_different_stories_at_once_and_together_what_one_would() {
    let Some(url) = fresh_db() else { return };
    let articles = reports(24, 5);
    let mut placer = PgStore::connect(&url).unwrap();
    let mut engine = Engine::new(Embeddings::Off);
    engine.store(&mut placer, &articles).unwrap();
    let placed = engine.place(&mut placer, &Silent).unwrap();
    let owed = dossier_engine::stories_owing_analysis(&placer).unwrap();
    assert_eq!(owed.len(), placed.stories_touched);
    assert!(owed.len() >= 20, "{}", owed.len());

    let start = Arc::new(Barrier::new(2));
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let (url, start) = (url.clone(), start.clone());
            std::thread::spawn(move || -> AnalysisReport {
                let mut store = PgStore::connect(&url).unwrap();
                let mut engine = Engine::new(Embeddings::Off);
                start.wait();
                // Two stories a chunk: many chunks, so the writers interleave.
                engine.analyse_stories(&mut store, 2, None, &Silent).unwrap()
            })
        })
        .collect();
    let reports: Vec<AnalysisReport> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    eprintln!("stories analysed by each writer: {:?}", reports.iter().map(|r| r.stories_analysed).collect::<Vec<_>>());
    assert_eq!(reports.iter().map(|r| r.stories_analysed).sum::<usize>(), owed.len(), "each story analysed once: {reports:?}");
    assert_eq!(reports.iter().map(|r| r.stories_refused).sum::<usize>(), 0, "no story analysed by both: {reports:?}");
    assert!(!dossier_engine::analysis_owed(&placer).unwrap(), "every mark cleared");

    let dir = tempfile::tempdir().unwrap();
    assert_same_analysis(&placer, &embedded(dir.path(), &articles));
}

/// A writer that dies after placing (its connection ends), or while it holds leases on
/// stories, leaves them owing analysis; the next writer analyses them all.
#[test]
fn stories_a_dead_writer_placed_or_leased_are_analysed_by_the_next() {
    let Some(url) = fresh_db() else { return };
    let articles = reports(12, 4);
    {
        let mut dying = PgStore::connect(&url).unwrap();
        let mut engine = Engine::new(Embeddings::Off);
        engine.store(&mut dying, &articles).unwrap();
        engine.place(&mut dying, &Silent).unwrap();
        // It leased some stories and died before committing their analysis.
        let owed = dossier_engine::stories_owing_analysis(&dying).unwrap();
        assert_eq!(dying.lease_stories(&owed[..3]).unwrap().len(), 3);
    }
    let mut next = PgStore::connect(&url).unwrap();
    let owed = dossier_engine::stories_owing_analysis(&next).unwrap();
    assert!(owed.len() >= 10, "{}", owed.len());
    // The dead writer's session may take a moment to end on the server.
    let mut engine = Engine::new(Embeddings::Off);
    let mut analysed = 0;
    for _ in 0..100 {
        analysed += engine.analyse_stories(&mut next, 4, None, &Silent).unwrap().stories_analysed;
        if !dossier_engine::analysis_owed(&next).unwrap() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(analysed, owed.len());
    assert!(!dossier_engine::analysis_owed(&next).unwrap());
    let dir = tempfile::tempdir().unwrap();
    assert_same_analysis(&next, &embedded(dir.path(), &articles));
}
