//! Alerts: saved watches evaluated against the change log, and their delivery.
//!
//! Takes the change log the engine writes (`Store::changes`) and the saved
//! [`Watch`]es; gives [`Alert`]s, each stored once per (watch, change seq), then
//! delivers them: a signed webhook POST ([`webhook`]) and an Atom feed per watch
//! ([`atom`]). Each watch keeps a cursor (the last change seq it evaluated), so
//! evaluation resumes where it stopped and a change is never evaluated into two
//! alerts. It never runs the pipeline and never writes anything but watches and alerts.
//!
//! What matches (the story as stored when the watch is evaluated):
//! - **claim** watch: the claim's status became corroborated (`claim_corroborated`:
//!   it gained a second independent source) or contested (`claim_contested`), or the
//!   claim left its story (`claim_removed`). The claim is followed through
//!   re-alignment by its member sentences (an aligned claim's id changes when it
//!   gains a member) and through story merges.
//! - **story** watch: `new_article` / `new_outlet` (an article joined; `new_outlet`
//!   when the story holds no other article of that outlet), `new_claim`,
//!   `claim_corroborated`, `claim_contested`, `story_merged`.
//! - **entity**, **outlet**, **query** watches, on the stories they match:
//!   `new_story`, `new_outlet`, `claim_corroborated`, `claim_contested` (the moves,
//!   not every article or claim: a busy entity would otherwise alert on each line).
//!   An entity matches a story whose most-mentioned entities include it; an outlet
//!   one it reports in; a query one where every word of the query appears in the
//!   story's title, the changed claim's text or the joined article's title (whole
//!   words, case-insensitively).

pub mod atom;
pub mod webhook;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use dossier_model::{Alert, AlertKind, AlignedClaim, ChangeEntry, ChangeKind, ClaimStatus, Delivery, DeliveryState, OutletKey, Story, Watch, WatchKind};
use dossier_store::{Store, StoreError};

/// Longest target (entity, outlet, query, id) a watch takes.
pub const MAX_TARGET: usize = 500;
/// Longest webhook URL a watch takes.
pub const MAX_WEBHOOK: usize = 2000;
/// Most watches a store keeps (each is evaluated against every change).
pub const MAX_WATCHES: usize = 1000;
/// Change log entries read at a time per watch.
const BATCH: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's fault: what was asked cannot be a watch.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T> = std::result::Result<T, Error>;

/// What a new watch is asked to follow.
#[derive(Debug, Clone)]
pub struct NewWatch {
    pub kind: WatchKind,
    pub target: String,
    pub webhook: Option<String>,
}

/// Checks a new watch and stores it, with a fresh id and webhook secret; its cursor is
/// the change log's end, so it alerts on what changes from now on. A story or claim
/// watch must name one that is stored.
pub fn add_watch(store: &mut dyn Store, new: NewWatch, now: DateTime<Utc>) -> Result<Watch> {
    let target = new.target.trim().to_string();
    if target.is_empty() {
        return Err(Error::Invalid(format!("{} watch: the target is empty", new.kind.as_str())));
    }
    if target.chars().count() > MAX_TARGET {
        return Err(Error::Invalid(format!("{} watch: the target is longer than {MAX_TARGET} characters", new.kind.as_str())));
    }
    if new.kind == WatchKind::Query && words(&target).is_empty() {
        return Err(Error::Invalid(format!("query watch {target:?}: no words to match")));
    }
    if let Some(url) = &new.webhook {
        check_webhook(url)?;
    }
    if store.watches()?.len() >= MAX_WATCHES {
        return Err(Error::Invalid(format!("there are {MAX_WATCHES} watches already: remove some first")));
    }
    let mut watch = Watch { id: random_hex(8), kind: new.kind, target, webhook: new.webhook, secret: random_hex(32), created: now, cursor: store.last_change()?, story_id: None, members: vec![] };
    match watch.kind {
        WatchKind::Story => {
            if store.story(&watch.target)?.is_none() && store.story_alias(&watch.target)?.is_none() {
                return Err(Error::Invalid(format!("story watch: no story {:?}", watch.target)));
            }
        }
        WatchKind::Claim => {
            let claim = store.aligned_claim(&watch.target)?.ok_or_else(|| Error::Invalid(format!("claim watch: no claim {:?}", watch.target)))?;
            watch.story_id = Some(claim.story_id);
            watch.members = claim.members.into_iter().map(|m| m.id).collect();
        }
        WatchKind::Entity | WatchKind::Outlet | WatchKind::Query => {}
    }
    store.put_watch(&watch)?;
    Ok(watch)
}

/// A webhook must be an absolute http(s) URL of reasonable length (where it may
/// connect is the delivery's guard's business, checked at every attempt).
pub fn check_webhook(url: &str) -> Result<()> {
    if url.len() > MAX_WEBHOOK {
        return Err(Error::Invalid(format!("webhook: longer than {MAX_WEBHOOK} characters")));
    }
    let parsed = url::Url::parse(url).map_err(|e| Error::Invalid(format!("webhook {url:?}: not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(Error::Invalid(format!("webhook {url:?}: not an http(s) URL with a host")));
    }
    Ok(())
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    hex::encode(buf)
}

/// Evaluates every watch against the change log entries after its cursor, stores the
/// alerts (once each) and moves the cursors. Gives the alerts that were new.
pub fn evaluate(store: &mut dyn Store, now: DateTime<Utc>) -> Result<Vec<Alert>> {
    let mut out = Vec::new();
    let mut stories = Stories::default();
    for mut watch in store.watches()? {
        loop {
            let entries = store.changes(watch.cursor, None, BATCH)?;
            let Some(last) = entries.last().map(|e| e.seq) else { break };
            let mut alerts = Vec::new();
            for e in &entries {
                if let Some(a) = alert_for(&*store, &mut stories, &mut watch, e, now)? {
                    alerts.push(a);
                }
            }
            watch.cursor = last;
            let new = store.record_alerts(&watch, &alerts)?;
            // Fewer new than made: another evaluator stored some first (they are the same alerts).
            if new == alerts.len() {
                out.extend(alerts);
            }
            if entries.len() < BATCH {
                break;
            }
        }
    }
    Ok(out)
}

/// Stories read during one evaluation (several watches look at the same ones).
#[derive(Default)]
struct Stories(HashMap<String, Option<Story>>);

impl Stories {
    fn get(&mut self, store: &dyn Store, id: &str) -> Result<Option<&Story>> {
        if !self.0.contains_key(id) {
            let story = match store.story(id)? {
                Some(s) => Some(s),
                None => match store.story_alias(id)? {
                    Some(to) => store.story(&to)?,
                    None => None,
                },
            };
            self.0.insert(id.to_string(), story);
        }
        Ok(self.0[id].as_ref())
    }
}

/// The alert a watch raises for one change log entry, if any.
fn alert_for(store: &dyn Store, stories: &mut Stories, watch: &mut Watch, e: &ChangeEntry, now: DateTime<Utc>) -> Result<Option<Alert>> {
    let status_move = || match (e.kind, e.to) {
        (ChangeKind::ClaimStatusChanged, Some(ClaimStatus::Corroborated)) => Some(AlertKind::ClaimCorroborated),
        (ChangeKind::ClaimStatusChanged, Some(ClaimStatus::Contested)) => Some(AlertKind::ClaimContested),
        _ => None,
    };
    let mut outlet = None;
    let kind = match watch.kind {
        WatchKind::Claim => claim_alert(store, watch, e)?,
        WatchKind::Story => {
            let id = store.story_alias(&watch.target)?.unwrap_or_else(|| watch.target.clone());
            if e.story_id != id && e.story_id != watch.target {
                return Ok(None);
            }
            match e.kind {
                ChangeKind::ArticleJoined => {
                    let (new_outlet, name) = joined_outlet(store, stories, e)?;
                    outlet = name;
                    Some(if new_outlet { AlertKind::NewOutlet } else { AlertKind::NewArticle })
                }
                ChangeKind::ClaimAdded => Some(AlertKind::NewClaim),
                ChangeKind::StoriesMerged => Some(AlertKind::StoryMerged),
                ChangeKind::ClaimCorrected => Some(AlertKind::ClaimCorrected),
                _ => status_move(),
            }
        }
        WatchKind::Entity | WatchKind::Outlet | WatchKind::Query => {
            let kind = match e.kind {
                ChangeKind::StoryCreated => Some(AlertKind::NewStory),
                ChangeKind::ArticleJoined => {
                    let (new_outlet, name) = joined_outlet(store, stories, e)?;
                    outlet = name;
                    new_outlet.then_some(AlertKind::NewOutlet)
                }
                _ => status_move(),
            };
            match kind {
                Some(k) if story_matches(store, stories, watch, e)? => Some(k),
                _ => None,
            }
        }
    };
    let Some(kind) = kind else { return Ok(None) };
    let delivery = watch.webhook.as_ref().map(|_| Delivery { state: DeliveryState::Pending, attempts: 0, last_error: None, next_attempt: Some(now), delivered_at: None });
    let text = match (&e.was, e.text.is_empty()) {
        // A dropped claim: what it said.
        (Some(was), true) => format!("dropped: {was}"),
        (_, true) => stories.get(store, &e.story_id)?.map(|s| s.title.clone()).unwrap_or_default(),
        (_, false) => e.text.clone(),
    };
    Ok(Some(Alert {
        id: Alert::id_for(&watch.id, e.seq),
        watch_id: watch.id.clone(),
        seq: e.seq,
        at: e.at,
        kind,
        story_id: e.story_id.clone(),
        claim_id: e.claim_id.clone(),
        article_id: e.article_id.clone(),
        outlet,
        text,
        delivery,
    }))
}

/// A claim watch: whether the entry is about its claim (by id, or by a member sentence
/// of the claim the entry names), following the claim to its new id and members.
fn claim_alert(store: &dyn Store, watch: &mut Watch, e: &ChangeEntry) -> Result<Option<AlertKind>> {
    let Some(claim_id) = e.claim_id.as_deref() else { return Ok(None) };
    let story = watch.story_id.clone().unwrap_or_default();
    let story_now = store.story_alias(&story)?.unwrap_or_else(|| story.clone());
    if e.story_id != story && e.story_id != story_now {
        return Ok(None);
    }
    if e.kind == ChangeKind::ClaimRemoved {
        return Ok((claim_id == watch.target).then_some(AlertKind::ClaimRemoved));
    }
    if e.kind == ChangeKind::ClaimCorrected {
        // Ours when the sentence was, or now is, in our claim.
        if claim_id != watch.target && e.was_claim_id.as_deref() != Some(watch.target.as_str()) {
            return Ok(None);
        }
        // Corrected into another claim, and ours is gone: that one is ours now.
        if e.to.is_some() && claim_id != watch.target && store.aligned_claim(&watch.target)?.is_none() {
            if let Some(claim) = store.aligned_claim(claim_id)? {
                follow(watch, claim);
            }
        }
        return Ok(Some(AlertKind::ClaimCorrected));
    }
    let kind = match (e.kind, e.to) {
        (ChangeKind::ClaimStatusChanged, Some(ClaimStatus::Corroborated)) => AlertKind::ClaimCorroborated,
        (ChangeKind::ClaimStatusChanged, Some(ClaimStatus::Contested)) => AlertKind::ClaimContested,
        _ => return Ok(None),
    };
    if claim_id == watch.target {
        return Ok(Some(kind));
    }
    // The entry names the claim as it is now; it is ours if it keeps one of our sentences.
    let Some(claim) = store.aligned_claim(claim_id)? else { return Ok(None) };
    let ours: BTreeSet<&str> = watch.members.iter().map(String::as_str).collect();
    if !claim.members.iter().any(|m| ours.contains(m.id.as_str())) {
        return Ok(None);
    }
    follow(watch, claim);
    Ok(Some(kind))
}

/// A claim watch follows its claim to the claim it is now (a new id, more sentences).
fn follow(watch: &mut Watch, claim: AlignedClaim) {
    watch.target = claim.id;
    watch.story_id = Some(claim.story_id);
    let mut members: BTreeSet<String> = watch.members.drain(..).collect();
    members.extend(claim.members.into_iter().map(|m| m.id));
    watch.members = members.into_iter().collect();
}

/// For an `article_joined` entry: whether the story holds no other article of the
/// joined article's outlet, and that outlet's name.
fn joined_outlet(store: &dyn Store, stories: &mut Stories, e: &ChangeEntry) -> Result<(bool, Option<String>)> {
    let Some(article_id) = e.article_id.as_deref() else { return Ok((false, None)) };
    let Some(story) = stories.get(store, &e.story_id)? else { return Ok((false, None)) };
    let others: Vec<String> = story.article_ids.iter().filter(|a| *a != article_id).cloned().collect();
    let Some(joined) = store.article_summaries(&[article_id.to_string()])?.pop() else { return Ok((false, None)) };
    let key = OutletKey::of(&joined.outlet, joined.url.as_deref());
    let seen = store.article_summaries(&others)?.iter().any(|a| OutletKey::of(&a.outlet, a.url.as_deref()) == key);
    Ok((!seen, Some(joined.outlet.name)))
}

/// Whether an entity, outlet or query watch matches the entry's story.
fn story_matches(store: &dyn Store, stories: &mut Stories, watch: &Watch, e: &ChangeEntry) -> Result<bool> {
    let Some(story) = stories.get(store, &e.story_id)? else { return Ok(false) };
    let same = |a: &String| a.to_lowercase() == watch.target.to_lowercase();
    Ok(match watch.kind {
        WatchKind::Entity => story.entities.iter().any(same),
        WatchKind::Outlet => story.outlets.iter().any(same),
        WatchKind::Query => {
            let mut text = format!("{} {}", story.title, e.text);
            if let (ChangeKind::ArticleJoined | ChangeKind::StoryCreated, Some(a)) = (e.kind, &e.article_id) {
                if let Some(a) = store.article_summaries(std::slice::from_ref(a))?.pop() {
                    text.push(' ');
                    text.push_str(&a.title);
                }
            }
            let have: BTreeSet<String> = words(&text).into_iter().collect();
            words(&watch.target).iter().all(|w| have.contains(w))
        }
        WatchKind::Story | WatchKind::Claim => false,
    })
}

/// Lower-cased alphanumeric words.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_words_are_whole_and_case_blind() {
        assert_eq!(words("Oil-price CAP, 2025!"), ["oil", "price", "cap", "2025"]);
    }

    #[test]
    fn webhooks_must_be_http_urls() {
        assert!(check_webhook("https://hooks.example/a?b=c").is_ok());
        for bad in ["", "ftp://x/y", "hooks.example/a", "http://", "javascript:alert(1)"] {
            assert!(matches!(check_webhook(bad), Err(Error::Invalid(_))), "{bad:?}");
        }
        assert!(check_webhook(&format!("https://a.example/{}", "x".repeat(MAX_WEBHOOK))).is_err());
    }
}
