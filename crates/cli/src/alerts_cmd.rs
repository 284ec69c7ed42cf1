//! `dossier alerts`: saved watches, their alerts and webhook deliveries.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use dossier_alerts::webhook::{self, DeliverConfig};
use dossier_alerts::{NewWatch, MAX_WATCHES};
use dossier_model::{Alert, DeliveryState, Watch, WatchKind};
use dossier_store::{SqliteStore, Store};
use serde::Serialize;

use crate::args::Alerts;

pub fn run(dir: &Path, command: Alerts) -> anyhow::Result<ExitCode> {
    match command {
        Alerts::Add { entity, outlet, query, story, claim, webhook, json } => {
            let target = [(WatchKind::Entity, entity), (WatchKind::Outlet, outlet), (WatchKind::Query, query), (WatchKind::Story, story), (WatchKind::Claim, claim)]
                .into_iter()
                .find_map(|(k, t)| t.map(|t| (k, t)));
            let Some((kind, target)) = target else { crate::usage!("give what to watch: --entity, --outlet, --query, --story or --claim") };
            add(dir, NewWatch { kind, target, webhook }, json)
        }
        Alerts::List { json } => list(dir, json),
        Alerts::Show { id, limit, json } => show(dir, &id, limit, json),
        Alerts::Remove { id } => {
            let mut store = open(dir)?;
            if !store.remove_watch(&id)? {
                crate::usage!("no watch {id:?} (see `dossier alerts list`)");
            }
            println!("removed watch {id} and its alerts");
            Ok(ExitCode::SUCCESS)
        }
        Alerts::Test { id, json } => test(dir, &id, json),
        Alerts::Run { json } => run_once(dir, json),
    }
}

fn open(dir: &Path) -> anyhow::Result<SqliteStore> {
    if !dir.join("dossier.sqlite").exists() {
        anyhow::bail!("no dossier data in {} (run `dossier ingest PATH...` or pass --data DIR)", dir.display());
    }
    Ok(SqliteStore::open_dir(dir)?)
}

fn add(dir: &Path, new: NewWatch, json: bool) -> anyhow::Result<ExitCode> {
    let mut store = open(dir)?;
    let watch = match dossier_alerts::add_watch(&mut store, new, Utc::now()) {
        Ok(w) => w,
        Err(dossier_alerts::Error::Invalid(e)) => crate::usage!("{e}"),
        Err(e) => return Err(e.into()),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&watch)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("watch {} on {} {:?}, from change {}", watch.id, watch.kind.as_str(), watch.target, watch.cursor);
    if let Some(url) = &watch.webhook {
        println!("webhook {url}");
        println!("secret {} (shown once: receivers check X-Dossier-Signature with it)", watch.secret);
    }
    Ok(ExitCode::SUCCESS)
}

/// A watch as listed: no secret, with its alerts' delivery counts.
#[derive(Debug, Serialize)]
struct Listed {
    #[serde(flatten)]
    watch: Watch,
    alerts: usize,
    pending: usize,
    delivered: usize,
    failed: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
}

/// Counts over a watch's most recent alerts (at most this many).
const COUNTED: usize = 10_000;

fn listed(store: &dyn Store) -> anyhow::Result<Vec<Listed>> {
    let mut out = Vec::new();
    for mut watch in store.watches()? {
        watch.secret.clear();
        let alerts = store.alerts(Some(&watch.id), COUNTED)?;
        let count = |s: DeliveryState| alerts.iter().filter(|a| a.delivery.as_ref().is_some_and(|d| d.state == s)).count();
        // The newest error of an alert not delivered since.
        let last_error = alerts.iter().filter_map(|a| a.delivery.as_ref()).filter(|d| d.state != DeliveryState::Delivered).find_map(|d| d.last_error.clone());
        out.push(Listed { alerts: alerts.len(), pending: count(DeliveryState::Pending), delivered: count(DeliveryState::Delivered), failed: count(DeliveryState::Failed), last_error, watch });
    }
    Ok(out)
}

fn list(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let store = open(dir)?;
    let all = listed(&store)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
        return Ok(ExitCode::SUCCESS);
    }
    if all.is_empty() {
        println!("no watches (add one with `dossier alerts add --entity NAME`; at most {MAX_WATCHES})");
    }
    for l in &all {
        let w = &l.watch;
        println!("{} {} {:?}: {} alert(s), up to change {}", w.id, w.kind.as_str(), w.target, l.alerts, w.cursor);
        if let Some(url) = &w.webhook {
            println!("    webhook {url}: {} delivered, {} pending, {} failed", l.delivered, l.pending, l.failed);
        }
        if let Some(e) = &l.last_error {
            println!("    last error: {e}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn show(dir: &Path, id: &str, limit: usize, json: bool) -> anyhow::Result<ExitCode> {
    let store = open(dir)?;
    if store.watch(id)?.is_none() {
        crate::usage!("no watch {id:?} (see `dossier alerts list`)");
    }
    let alerts = store.alerts(Some(id), limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&alerts)?);
        return Ok(ExitCode::SUCCESS);
    }
    for a in &alerts {
        println!("{}", describe(a));
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(a: &Alert) -> String {
    let mut line = format!("{:>6} {} {} [{}] {}", a.seq, a.at.format("%Y-%m-%d %H:%M:%S"), a.kind.as_str(), a.story_id, a.text);
    if let Some(o) = &a.outlet {
        line.push_str(&format!(" ({o})"));
    }
    if let Some(d) = &a.delivery {
        line.push_str(&format!("\n       webhook: {} after {} attempt(s)", d.state.as_str(), d.attempts));
        if let Some(e) = &d.last_error {
            line.push_str(&format!(", last error: {e}"));
        }
    }
    line
}

fn deliver_config() -> anyhow::Result<DeliverConfig> {
    DeliverConfig::from_env().map_err(|e| anyhow::Error::new(crate::Usage(e)))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("starting the async runtime")
}

fn test(dir: &Path, id: &str, json: bool) -> anyhow::Result<ExitCode> {
    let store = open(dir)?;
    let Some(watch) = store.watch(id)? else { crate::usage!("no watch {id:?} (see `dossier alerts list`)") };
    let Some(url) = watch.webhook.clone() else { crate::usage!("watch {id} has no webhook") };
    let cfg = deliver_config()?;
    let fetcher = dossier_fetch::Fetcher::new(cfg.fetch.clone())?;
    let alert = Alert {
        id: format!("test-{}", dossier_model::stable_id(&["test", id, &Utc::now().to_rfc3339()])),
        watch_id: watch.id.clone(),
        seq: 0,
        at: Utc::now(),
        kind: dossier_model::AlertKind::NewStory,
        story_id: String::new(),
        claim_id: None,
        article_id: None,
        outlet: None,
        text: "dossier test alert".into(),
        delivery: None,
    };
    let body = serde_json::to_vec(&webhook::Payload { id: &alert.id, watch: webhook::WatchRef { id: &watch.id, kind: watch.kind.as_str(), target: &watch.target }, alert: &alert })?;
    let job = webhook::Job { alert, url: url.clone(), secret: watch.secret.clone(), body };
    let outcome = runtime()?.block_on(webhook::post(&fetcher, &job));
    if json {
        let v = match &outcome {
            Ok(status) => serde_json::json!({"ok": true, "status": status, "alert_id": job.alert.id}),
            Err((e, _)) => serde_json::json!({"ok": false, "error": e, "alert_id": job.alert.id}),
        };
        println!("{}", serde_json::to_string_pretty(&v)?);
    }
    match outcome {
        Ok(status) => {
            if !json {
                println!("{url} answered {status} to test alert {}", job.alert.id);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err((e, _)) if json => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
        Err((e, _)) => anyhow::bail!("webhook of watch {id}: {e}"),
    }
}

fn run_once(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let mut store = open(dir)?;
    let cfg = deliver_config()?;
    let fetcher = dossier_fetch::Fetcher::new(cfg.fetch.clone())?;
    let new = dossier_alerts::evaluate(&mut store, Utc::now())?;
    let delivered = runtime()?.block_on(webhook::deliver(&mut store, &fetcher, &cfg))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"alerts": new, "deliveries": delivered}))?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} new alert(s); {} delivery attempt(s)", new.len(), delivered.len());
    for a in new.iter().chain(delivered.iter().filter(|d| d.delivery.as_ref().is_some_and(|d| d.state != DeliveryState::Delivered))) {
        println!("{}", describe(a));
    }
    Ok(ExitCode::SUCCESS)
}
