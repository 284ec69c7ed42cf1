//! Webhook delivery: each alert of a watch with a webhook is POSTed as JSON, signed
//! with HMAC-SHA256 under the watch's secret, retried with exponential backoff up to
//! a cap, through the fetcher's guard against private addresses (SSRF).
//!
//! Once per alert: an attempt is begun in the store before the POST (a lease that
//! keeps every other deliverer off it), and its outcome recorded after. A delivered
//! alert is never sent again, whatever restarts. A crash between a receiver's 2xx
//! and the record of it is the one case that sends again (after the lease): the
//! `X-Dossier-Alert-Id` header, the same on every attempt, lets a receiver drop it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use dossier_fetch::{FetchConfig, FetchError, Fetcher};
use dossier_model::{Alert, Delivery, DeliveryState, Watch};
use dossier_store::Store;
use hmac::{KeyInit, Mac};
use serde::Serialize;

use crate::Result;

/// The header carrying the signature: `sha256=` and the hex HMAC-SHA256 of the body,
/// keyed with the watch's secret (its text, as `dossier alerts add` printed it).
pub const SIGNATURE_HEADER: &str = "x-dossier-signature";
/// The header carrying the alert's id (the same on every attempt): for idempotency.
pub const ALERT_ID_HEADER: &str = "x-dossier-alert-id";
/// Set to [`ALLOW_PRIVATE_VALUE`] exactly, this lets webhooks reach private and loopback
/// addresses: for tests and intranets only. Any other value is refused, so a typo
/// cannot open the guard by accident, nor a stray `=1`.
pub const ALLOW_PRIVATE_ENV: &str = "DOSSIER_WEBHOOKS_TO_PRIVATE_ADDRESSES";
pub const ALLOW_PRIVATE_VALUE: &str = "i-know-this-allows-ssrf";

/// How deliveries are made.
#[derive(Debug, Clone)]
pub struct DeliverConfig {
    /// Timeouts, body cap, redirects and which addresses may be reached.
    pub fetch: FetchConfig,
    /// Attempts before an alert's delivery is marked failed.
    pub max_attempts: u32,
    /// The wait after the first failure; doubled after each next one ...
    pub first_retry: Duration,
    /// ... up to this.
    pub max_retry: Duration,
    /// How long an attempt keeps other deliverers off an alert (longer than a POST can take).
    pub lease: Duration,
    /// Most alerts taken in one round.
    pub batch: usize,
}

impl Default for DeliverConfig {
    fn default() -> Self {
        DeliverConfig {
            fetch: FetchConfig { connect_timeout: Duration::from_secs(5), timeout: Duration::from_secs(10), max_body: 64 * 1024, max_redirects: 3, ..FetchConfig::default() },
            max_attempts: 8,
            first_retry: Duration::from_secs(10),
            max_retry: Duration::from_secs(3600),
            lease: Duration::from_secs(60),
            batch: 100,
        }
    }
}

impl DeliverConfig {
    /// The defaults, with private addresses allowed when [`ALLOW_PRIVATE_ENV`] says so.
    pub fn from_env() -> std::result::Result<DeliverConfig, String> {
        let mut cfg = DeliverConfig::default();
        match std::env::var(ALLOW_PRIVATE_ENV) {
            Err(_) => {}
            Ok(v) if v == ALLOW_PRIVATE_VALUE => {
                tracing::warn!("{ALLOW_PRIVATE_ENV} is set: webhooks may reach private and loopback addresses");
                cfg.fetch.allow_private = true;
                cfg.fetch.allow_loopback = true;
            }
            Ok(v) => return Err(format!("{ALLOW_PRIVATE_ENV}={v:?}: the only value it takes is {ALLOW_PRIVATE_VALUE:?} (webhooks to private addresses, for tests and intranets)")),
        }
        Ok(cfg)
    }

    /// The wait after the `attempts`-th failed attempt.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 1u32.checked_shl(attempts.saturating_sub(1)).unwrap_or(u32::MAX);
        self.first_retry.saturating_mul(factor).min(self.max_retry)
    }
}

/// The signature header's value for a body.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// What a receiver is sent.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    /// The alert's id (also in [`ALERT_ID_HEADER`]).
    pub id: &'a str,
    pub watch: WatchRef<'a>,
    pub alert: &'a Alert,
}

#[derive(Debug, Serialize)]
pub struct WatchRef<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub target: &'a str,
}

/// One delivery attempt, begun in the store.
#[derive(Debug, Clone)]
pub struct Job {
    pub alert: Alert,
    pub url: String,
    pub secret: String,
    pub body: Vec<u8>,
}

/// Takes the alerts whose delivery is due: begins an attempt of each (those another
/// deliverer took first are left to it). An alert whose watch lost its webhook is failed.
pub fn take_due(store: &mut dyn Store, cfg: &DeliverConfig, now: DateTime<Utc>) -> Result<Vec<Job>> {
    let lease = now + chrono::Duration::from_std(cfg.lease).unwrap_or(chrono::Duration::MAX);
    let mut jobs = Vec::new();
    let mut watches: std::collections::HashMap<String, Option<Watch>> = Default::default();
    for mut alert in store.due_alerts(now, cfg.batch)? {
        let Some(d) = alert.delivery.clone() else { continue };
        if !watches.contains_key(&alert.watch_id) {
            watches.insert(alert.watch_id.clone(), store.watch(&alert.watch_id)?);
        }
        let Some((url, secret)) = watches[&alert.watch_id].as_ref().and_then(|w| Some((w.webhook.clone()?, w.secret.clone()))) else {
            alert.delivery = Some(Delivery { state: DeliveryState::Failed, last_error: Some("the watch has no webhook any more".into()), next_attempt: None, ..d });
            store.end_delivery(&alert)?;
            continue;
        };
        if !store.begin_delivery(&alert.id, d.attempts, lease)? {
            continue;
        }
        alert.delivery = Some(Delivery { attempts: d.attempts + 1, next_attempt: Some(lease), ..d });
        let w = watches[&alert.watch_id].as_ref().expect("checked above");
        let mut sent = alert.clone();
        sent.delivery = None;
        let body = serde_json::to_vec(&Payload { id: &alert.id, watch: WatchRef { id: &w.id, kind: w.kind.as_str(), target: &w.target }, alert: &sent }).expect("alerts serialise");
        jobs.push(Job { alert, url, secret, body });
    }
    Ok(jobs)
}

/// POSTs one job; `Err` says why it failed, and whether trying again may help.
pub async fn post(fetcher: &Fetcher, job: &Job) -> std::result::Result<u16, (String, bool)> {
    let headers = [(SIGNATURE_HEADER, sign(&job.secret, &job.body)), (ALERT_ID_HEADER, job.alert.id.clone())];
    fetcher.post(&job.url, "application/json", &headers, job.body.clone()).await.map_err(|e| {
        let retry = !matches!(e, FetchError::InvalidUrl { .. } | FetchError::Refused { .. });
        (e.to_string(), retry)
    })
}

/// Records an attempt's outcome: delivered, due again after the backoff, or failed for good.
pub fn finish(store: &mut dyn Store, cfg: &DeliverConfig, job: Job, outcome: std::result::Result<u16, (String, bool)>, now: DateTime<Utc>) -> Result<Alert> {
    let mut alert = job.alert;
    let d = alert.delivery.take().expect("a job's alert has a delivery");
    alert.delivery = Some(match outcome {
        Ok(_) => Delivery { state: DeliveryState::Delivered, delivered_at: Some(now), next_attempt: None, ..d },
        Err((error, retry)) if retry && d.attempts < cfg.max_attempts => {
            let next = now + chrono::Duration::from_std(cfg.backoff(d.attempts)).unwrap_or(chrono::Duration::MAX);
            Delivery { state: DeliveryState::Pending, last_error: Some(error), next_attempt: Some(next), ..d }
        }
        Err((error, _)) => Delivery { state: DeliveryState::Failed, last_error: Some(error), next_attempt: None, ..d },
    });
    store.end_delivery(&alert)?;
    Ok(alert)
}

/// One round on a store held by the caller: takes the due alerts, POSTs each, records
/// each outcome. Gives the alerts as recorded.
pub async fn deliver(store: &mut dyn Store, fetcher: &Fetcher, cfg: &DeliverConfig) -> Result<Vec<Alert>> {
    let jobs = take_due(store, cfg, Utc::now())?;
    let mut out = Vec::with_capacity(jobs.len());
    for job in jobs {
        let outcome = post(fetcher, &job).await;
        if let Err((e, _)) = &outcome {
            tracing::warn!("webhook of alert {}: {e}", job.alert.id);
        }
        out.push(finish(store, cfg, job, outcome, Utc::now())?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let cfg = DeliverConfig { first_retry: Duration::from_secs(10), max_retry: Duration::from_secs(60), ..Default::default() };
        let waits: Vec<u64> = (1..=6).map(|n| cfg.backoff(n).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60, 60]);
        assert_eq!(cfg.backoff(200).as_secs(), 60, "no overflow");
    }

    #[test]
    fn signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(sign("Jefe", b"what do ya want for nothing?"), "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn the_guard_opens_only_with_the_exact_value() {
        // Set and unset in one test: the environment is the process's.
        std::env::remove_var(ALLOW_PRIVATE_ENV);
        assert!(!DeliverConfig::from_env().unwrap().fetch.permits("127.0.0.1".parse().unwrap()));
        for wrong in ["1", "true", "yes", ""] {
            std::env::set_var(ALLOW_PRIVATE_ENV, wrong);
            assert!(DeliverConfig::from_env().is_err(), "{wrong:?}");
        }
        std::env::set_var(ALLOW_PRIVATE_ENV, ALLOW_PRIVATE_VALUE);
        assert!(DeliverConfig::from_env().unwrap().fetch.permits("10.0.0.1".parse().unwrap()));
        std::env::remove_var(ALLOW_PRIVATE_ENV);
    }
}
