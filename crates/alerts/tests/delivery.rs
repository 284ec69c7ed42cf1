//! Watches end to end: real articles through the engine into a real SQLite store,
//! alerts evaluated from its change log, delivered to a real HTTP receiver on
//! loopback (started by the test), and the Atom feed read back by an XML parser.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use dossier_alerts::webhook::{self, DeliverConfig, ALERT_ID_HEADER, SIGNATURE_HEADER};
use dossier_alerts::{add_watch, atom, evaluate, NewWatch};
use dossier_engine::{Embeddings, Engine, Silent};
use dossier_fetch::Fetcher;
use dossier_model::{AlertKind, Article, ClaimStatus, DeliveryState, WatchKind};
use dossier_store::{SqliteStore, Store};
use hmac::{KeyInit, Mac};
use quick_xml::XmlVersion::Implicit1_0 as V10;

/// What the receiver got: (alert id header, signature header, body).
type Got = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A webhook receiver on loopback that answers the statuses given, in turn (the last one after).
async fn receiver(statuses: Vec<u16>) -> (String, Got) {
    let got: Got = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let seen = seen.clone();
            let statuses = statuses.clone();
            async move {
                let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                let mut seen = seen.lock().unwrap();
                seen.push((h(ALERT_ID_HEADER), h(SIGNATURE_HEADER), body.to_vec()));
                let status = statuses.get(seen.len() - 1).or(statuses.last()).copied().unwrap_or(200);
                StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got)
}

fn article(url: &str, outlet: &str, title: &str, text: &str) -> Article {
    let line = serde_json::json!({"url": url, "title": title, "text": text, "outlet": outlet, "published": "2026-03-02"}).to_string();
    let parsed = dossier_ingest::ingest_bytes("test.jsonl", line.as_bytes(), dossier_ingest::Format::JsonLines, "2026-03-02T12:00:00Z".parse().unwrap());
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed.articles.into_iter().next().unwrap()
}

const FIRST: &str = "A fire destroyed a warehouse in the Riverton port district on Monday. \
    The fire destroyed 40 homes near the harbour, the fire chief said. Firefighters fought the blaze for six hours.";
const SECOND: &str = "Fire crews battled a blaze in Riverton's port district on Monday. \
    The fire destroyed 40 homes near the harbour, the fire chief said. Residents were moved to a school gym.";

/// A store holding the first report, and the single-source claim it makes about the homes.
fn store_with_first_report(dir: &std::path::Path) -> (SqliteStore, Engine, String) {
    let mut store = SqliteStore::open_dir(dir).unwrap();
    let mut engine = Engine::new(Embeddings::Off);
    engine.ingest(&mut store, &[article("https://riverton-post.example/fire", "Riverton Post", "Fire destroys warehouse in Riverton port", FIRST)], &Silent).unwrap();
    let story = store.stories().unwrap().pop().expect("a story");
    let claim = store.aligned_claims(&story.id).unwrap().into_iter().find(|c| c.text.contains("40 homes")).expect("the homes claim");
    assert_eq!(claim.status, ClaimStatus::SingleSource);
    (store, engine, claim.id)
}

fn second_report() -> Article {
    article("https://harbour-herald.example/blaze", "Harbour Herald", "Blaze in Riverton port district destroys homes", SECOND)
}

fn loopback(cfg: DeliverConfig) -> DeliverConfig {
    DeliverConfig { fetch: dossier_fetch::FetchConfig { allow_loopback: true, ..cfg.fetch }, ..cfg }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_corroborated_by_an_ingest_fires_one_signed_webhook_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, mut engine, claim) = store_with_first_report(dir.path());
    let (url, got) = receiver(vec![200]).await;
    let watch = add_watch(&mut store, NewWatch { kind: WatchKind::Claim, target: claim.clone(), webhook: Some(url) }, chrono::Utc::now()).unwrap();
    assert!(evaluate(&mut store, chrono::Utc::now()).unwrap().is_empty(), "nothing changed since the watch was made");

    engine.ingest(&mut store, &[second_report()], &Silent).unwrap();
    let alerts = evaluate(&mut store, chrono::Utc::now()).unwrap();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].kind, AlertKind::ClaimCorroborated);
    assert_ne!(alerts[0].claim_id.as_deref(), Some(claim.as_str()), "the claim has a new id with its new member, and was followed to it");
    assert_eq!(store.watch(&watch.id).unwrap().unwrap().target, alerts[0].claim_id.clone().unwrap());

    let cfg = loopback(DeliverConfig::default());
    let fetcher = Fetcher::new(cfg.fetch.clone()).unwrap();
    let done = webhook::deliver(&mut store, &fetcher, &cfg).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].delivery.as_ref().unwrap().state, DeliveryState::Delivered);
    {
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1);
        let (id, signature, body) = &got[0];
        assert_eq!(id, &alerts[0].id);
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(watch.secret.as_bytes()).unwrap();
        mac.update(body);
        let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(signature, &want, "the signature verifies under the watch's secret");
        let payload: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(payload["alert"]["kind"], "claim_corroborated");
        assert_eq!(payload["watch"]["id"], watch.id.as_str());
        assert!(payload["alert"]["text"].as_str().unwrap().contains("40 homes"));
    }

    // A restart (a new store connection and deliverer) evaluates and delivers again: nothing more is sent.
    drop(store);
    let mut store = SqliteStore::open_dir(dir.path()).unwrap();
    assert!(evaluate(&mut store, chrono::Utc::now()).unwrap().is_empty());
    let again = webhook::deliver(&mut store, &Fetcher::new(cfg.fetch.clone()).unwrap(), &cfg).await.unwrap();
    assert!(again.is_empty());
    // Evaluating from the start again (a cursor lost) makes the same alert id: stored once, sent once.
    let mut w = store.watch(&watch.id).unwrap().unwrap();
    w.cursor = 0;
    store.put_watch(&w).unwrap();
    evaluate(&mut store, chrono::Utc::now()).unwrap();
    webhook::deliver(&mut store, &fetcher, &cfg).await.unwrap();
    assert_eq!(store.alerts(Some(&watch.id), 10).unwrap().len(), 1);
    assert_eq!(got.lock().unwrap().len(), 1, "no duplicate after a restart or redelivery");
}

/// A revised report corrects the watched claim's figure: one `claim_corrected` alert (not
/// a removal), and the watch follows the claim to its corrected sentence; dropping that
/// sentence in a later revision alerts once more, saying what it said.
#[test]
fn a_claim_watch_follows_its_claim_through_a_correction() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, mut engine, claim) = store_with_first_report(dir.path());
    let watch = add_watch(&mut store, NewWatch { kind: WatchKind::Claim, target: claim.clone(), webhook: None }, chrono::Utc::now()).unwrap();
    let mut revised = article("https://riverton-post.example/fire", "Riverton Post", "Fire destroys warehouse in Riverton port", &FIRST.replace("40 homes", "42 homes"));
    engine.ingest(&mut store, std::slice::from_ref(&revised), &Silent).unwrap();
    let alerts = evaluate(&mut store, chrono::Utc::now()).unwrap();
    assert_eq!(alerts.iter().map(|a| a.kind).collect::<Vec<_>>(), [AlertKind::ClaimCorrected], "{alerts:#?}");
    assert!(alerts[0].text.contains("42 homes"), "{}", alerts[0].text);
    let now = store.watch(&watch.id).unwrap().unwrap();
    assert_ne!(now.target, claim, "followed to the corrected claim");
    assert!(store.aligned_claim(&now.target).unwrap().unwrap().text.contains("42 homes"));

    revised.text = FIRST.replace(" The fire destroyed 40 homes near the harbour, the fire chief said.", "");
    engine.ingest(&mut store, &[revised], &Silent).unwrap();
    let alerts = evaluate(&mut store, chrono::Utc::now()).unwrap();
    assert_eq!(alerts.iter().map(|a| a.kind).collect::<Vec<_>>(), [AlertKind::ClaimCorrected], "{alerts:#?}");
    assert_eq!(alerts[0].text, "dropped: The fire destroyed 42 homes near the harbour, the fire chief said.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_is_retried_with_backoff_and_the_failure_shows() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, mut engine, _) = store_with_first_report(dir.path());
    let story = store.stories().unwrap().pop().unwrap().id;
    // Fails twice, then takes it.
    let (url, got) = receiver(vec![500, 503, 200]).await;
    let watch = add_watch(&mut store, NewWatch { kind: WatchKind::Story, target: story, webhook: Some(url) }, chrono::Utc::now()).unwrap();
    engine.ingest(&mut store, &[second_report()], &Silent).unwrap();
    let alerts = evaluate(&mut store, chrono::Utc::now()).unwrap();
    assert!(alerts.iter().any(|a| a.kind == AlertKind::NewOutlet && a.outlet.as_deref() == Some("Harbour Herald")), "{alerts:#?}");
    assert!(alerts.iter().any(|a| a.kind == AlertKind::ClaimCorroborated), "{alerts:#?}");
    let n = alerts.len();

    let cfg = loopback(DeliverConfig { first_retry: Duration::from_millis(200), max_retry: Duration::from_millis(400), ..DeliverConfig::default() });
    let fetcher = Fetcher::new(cfg.fetch.clone()).unwrap();
    let first = webhook::deliver(&mut store, &fetcher, &cfg).await.unwrap();
    assert_eq!(first.len(), n);
    let failed = first.iter().find(|a| a.delivery.as_ref().unwrap().last_error.is_some()).expect("the first attempt failed");
    let d = failed.delivery.as_ref().unwrap();
    assert_eq!((d.state, d.attempts), (DeliveryState::Pending, 1));
    assert!(d.last_error.as_deref().unwrap().contains("HTTP 500"), "{d:?}");
    // The failure is visible where the desk looks: the stored alert.
    let stored = store.alerts(Some(&watch.id), 100).unwrap();
    assert!(stored.iter().any(|a| a.delivery.as_ref().unwrap().last_error.as_deref().is_some_and(|e| e.contains("HTTP 500"))));
    // Not due again before the backoff.
    assert!(webhook::deliver(&mut store, &fetcher, &cfg).await.unwrap().is_empty());

    let give_up = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        webhook::deliver(&mut store, &fetcher, &cfg).await.unwrap();
        let all = store.alerts(Some(&watch.id), 100).unwrap();
        if all.iter().all(|a| a.delivery.as_ref().unwrap().state == DeliveryState::Delivered) {
            break;
        }
        assert!(std::time::Instant::now() < give_up, "{all:#?}");
    }
    // Each alert reached the receiver once with a 200; the failed tries were the first two requests.
    let got = got.lock().unwrap();
    assert_eq!(got.len(), n + 2);
    let ids: std::collections::BTreeSet<&str> = got.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids.len(), n);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_refuses_loopback_unless_configured_and_gives_up_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, mut engine, claim) = store_with_first_report(dir.path());
    let (url, got) = receiver(vec![500]).await;
    let guarded = add_watch(&mut store, NewWatch { kind: WatchKind::Claim, target: claim.clone(), webhook: Some(url.clone()) }, chrono::Utc::now()).unwrap();
    let failing = add_watch(&mut store, NewWatch { kind: WatchKind::Claim, target: claim, webhook: Some(url) }, chrono::Utc::now()).unwrap();
    engine.ingest(&mut store, &[second_report()], &Silent).unwrap();
    assert_eq!(evaluate(&mut store, chrono::Utc::now()).unwrap().len(), 2);

    // The default guard: loopback is refused, for good (trying again would not help).
    let cfg = DeliverConfig { batch: 1, ..DeliverConfig::default() };
    let done = webhook::deliver(&mut store, &Fetcher::new(cfg.fetch.clone()).unwrap(), &cfg).await.unwrap();
    let d = done[0].delivery.clone().unwrap();
    assert_eq!(d.state, DeliveryState::Failed, "{d:?}");
    assert!(d.last_error.unwrap().contains("not a public address"));
    assert_eq!(done[0].watch_id, guarded.id);
    assert!(got.lock().unwrap().is_empty(), "nothing reached the receiver");

    // Allowed, but the receiver always fails: two attempts, then failed with the last error.
    let cfg = loopback(DeliverConfig { max_attempts: 2, first_retry: Duration::from_millis(50), ..DeliverConfig::default() });
    let fetcher = Fetcher::new(cfg.fetch.clone()).unwrap();
    webhook::deliver(&mut store, &fetcher, &cfg).await.unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    webhook::deliver(&mut store, &fetcher, &cfg).await.unwrap();
    let a = store.alerts(Some(&failing.id), 10).unwrap().pop().unwrap();
    let d = a.delivery.unwrap();
    assert_eq!((d.state, d.attempts), (DeliveryState::Failed, 2), "{d:?}");
    assert!(d.last_error.unwrap().contains("HTTP 500"));
    assert_eq!(got.lock().unwrap().len(), 2);
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert!(webhook::deliver(&mut store, &fetcher, &cfg).await.unwrap().is_empty(), "failed for good: not tried again");
}

#[test]
fn the_atom_feed_parses_and_escapes_hostile_titles() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, _, claim) = store_with_first_report(dir.path());
    let mut watch = add_watch(&mut store, NewWatch { kind: WatchKind::Claim, target: claim, webhook: None }, chrono::Utc::now()).unwrap();
    watch.target = "</title><script>alert(1)</script>&amp;".into();
    let hostile = "Fire \"destroys\" <b>homes</b> & ]]> <!-- x --> \u{1}done";
    let alert = dossier_model::Alert {
        id: dossier_model::Alert::id_for(&watch.id, 9),
        watch_id: watch.id.clone(),
        seq: 9,
        at: "2026-03-02T12:00:00Z".parse().unwrap(),
        kind: AlertKind::ClaimContested,
        story_id: "s\"1<".into(),
        claim_id: None,
        article_id: None,
        outlet: Some("A&B <News>".into()),
        text: hostile.into(),
        delivery: None,
    };
    let xml = atom::feed(&watch, &[alert], "/api/watches/x/feed.atom");
    // Read back with a real XML parser: every title is the text given, unescaped.
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut path, mut titles, mut links) = (Vec::<String>::new(), Vec::<String>::new(), Vec::new());
    loop {
        match reader.read_event().expect("the feed is well-formed XML") {
            quick_xml::events::Event::Start(e) => {
                if e.name().as_ref() == "title" {
                    titles.push(String::new());
                }
                path.push(e.name().as_ref().to_string())
            }
            quick_xml::events::Event::Empty(e) if e.name().as_ref() == "link" => {
                let href = e.try_get_attribute("href").unwrap().unwrap();
                links.push(href.normalized_value(V10).unwrap().into_owned());
            }
            quick_xml::events::Event::End(_) => {
                path.pop();
            }
            quick_xml::events::Event::Text(t) if path.last().map(String::as_str) == Some("title") => titles.last_mut().unwrap().push_str(&t.xml_content(V10)),
            quick_xml::events::Event::GeneralRef(r) if path.last().map(String::as_str) == Some("title") => {
                let name = r.xml_content(V10);
                let c = r.resolve_char_ref().unwrap().map(String::from).unwrap_or_else(|| quick_xml::escape::resolve_predefined_entity(&name).expect("a predefined entity").to_string());
                titles.last_mut().unwrap().push_str(&c);
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert!(!xml.contains("<script>") && !xml.contains("<b>"), "{xml}");
    assert_eq!(titles.len(), 2, "{xml}");
    assert_eq!(titles[0], "dossier watch: claim </title><script>alert(1)</script>&amp;");
    assert_eq!(titles[1], "Contested: Fire \"destroys\" <b>homes</b> & ]]> <!-- x --> done", "a control character, illegal in XML, is dropped");
    assert!(links.contains(&"/stories/s\"1<".to_string()), "{links:?}");
}
