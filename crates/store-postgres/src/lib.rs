//! PostgreSQL behind the [`Store`] trait: the shared store of the scale-out
//! mode, where many `dossier worker` processes on many machines write to one
//! database. It passes the same conformance suite as the embedded SQLite
//! store (`dossier_store::conformance`).
//!
//! - Schema migrations are versioned (table `dossier_schema`) and applied on
//!   connect, in one transaction under an advisory lock, so workers starting
//!   together never race; a database newer than this build is refused.
//! - Writes are idempotent and keyed by content-derived ids: storing the same
//!   article twice, from two workers at once or from a redelivered message,
//!   is a no-op (`INSERT .. ON CONFLICT DO NOTHING`, then a row lock to
//!   compare content), so effects are exactly-once when a caller commits
//!   before it acknowledges.
//! - Every write that adds or revises an article bumps `articles_version`
//!   in the same transaction; the analysis records the version it covered
//!   ([`PgStore::mark_analysed`]), so workers know when the stored analysis
//!   is stale, and [`PgStore::try_lock_analysis`] (a session advisory lock,
//!   released by the server if the worker dies) lets one of them at a time
//!   recompute it.
//! - The incremental engine's tables (arrivals, engine state, story aliases, the
//!   change log) follow the SQLite store's semantics. Arrivals and change log
//!   entries are numbered in commit order (each write that appends holds a lock
//!   until it commits: the `analysis_state` row, an advisory lock), so a reader
//!   resuming after the last seq it saw never skips one committed late.
//!   [`PgStore::lock_stories`] (session advisory locks, one per story) lets
//!   scaled-out workers analyse different stories at once, never one story twice.
//! - Text columns compare in byte order (`COLLATE "C"`), so reads come back in
//!   the same order as from SQLite whatever the database's locale.
//!
//! Connections are plain TCP or a unix socket (no TLS in this build): keep the
//! database on a private network or put a TLS tunnel in front.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dossier_model::{Alert, AlignedClaim, Article, ArticleSummary, Brief, ChangeEntry, ClaimStatus, StatusCounts, Story, Watch};
use dossier_store::{content_hash, snapshot, Analysis, AnalysisStep, Arrival, FetchState, Put, Result, Revision, Store, StoreError, StoryAnalysis};
use postgres::{Client, NoTls, Row};

/// Schema versions this build applies, in order; the index + 1 is the version.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE articles (
    id TEXT COLLATE "C" PRIMARY KEY,
    kind TEXT NOT NULL,
    found_on TEXT,
    title TEXT NOT NULL,
    outlet TEXT NOT NULL,
    url TEXT,
    source TEXT NOT NULL,
    time TEXT COLLATE "C" NOT NULL,
    json TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX articles_time ON articles(time, id);
CREATE INDEX articles_url ON articles(url);
CREATE TABLE revisions (
    article_id TEXT COLLATE "C" NOT NULL REFERENCES articles(id),
    revision INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (article_id, revision)
);
CREATE TABLE fetch_state (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    status INTEGER,
    fetched_at TEXT NOT NULL,
    listed TEXT
);
CREATE TABLE embeddings (
    article_id TEXT COLLATE "C" NOT NULL REFERENCES articles(id),
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BYTEA NOT NULL,
    PRIMARY KEY (article_id, model)
);
CREATE TABLE stories (
    id TEXT COLLATE "C" PRIMARY KEY,
    title TEXT NOT NULL,
    article_count INTEGER NOT NULL,
    last_seen TEXT COLLATE "C" NOT NULL,
    json TEXT NOT NULL
);
CREATE TABLE story_articles (
    story_id TEXT COLLATE "C" NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    article_id TEXT COLLATE "C" NOT NULL REFERENCES articles(id),
    PRIMARY KEY (story_id, article_id)
);
CREATE INDEX story_articles_article ON story_articles(article_id);
CREATE TABLE aligned_claims (
    id TEXT COLLATE "C" PRIMARY KEY,
    story_id TEXT COLLATE "C" NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    status TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX aligned_claims_story ON aligned_claims(story_id, rank);
CREATE TABLE briefs (
    story_id TEXT COLLATE "C" PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    json TEXT NOT NULL
);
CREATE TABLE analysis_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    articles_version BIGINT NOT NULL,
    analysed_version BIGINT NOT NULL,
    analysed_at TIMESTAMPTZ
);
INSERT INTO analysis_state (id, articles_version, analysed_version) VALUES (1, 0, 0);
"#,
    r#"
CREATE TABLE meaning_scores (
    pair TEXT COLLATE "C" NOT NULL,
    model TEXT COLLATE "C" NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (pair, model)
);
"#,
    // The incremental engine: arrivals (what waits for the analysis, and the batches a
    // rebuild replays), its state between runs, merged stories' ids, and the change log.
    // Articles stored before wait for the analysis in publication order (numbered
    // explicitly: the order of a serial column filled by INSERT .. SELECT is not promised).
    r#"
CREATE TABLE arrivals (
    seq BIGSERIAL PRIMARY KEY,
    article_id TEXT COLLATE "C" NOT NULL REFERENCES articles(id),
    batch BIGINT,
    analysed BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX arrivals_pending ON arrivals(batch, seq) WHERE NOT analysed;
INSERT INTO arrivals (seq, article_id) SELECT row_number() OVER (ORDER BY time, id), id FROM articles;
SELECT setval(pg_get_serial_sequence('arrivals', 'seq'), coalesce(max(seq), 0) + 1, false) FROM arrivals;
CREATE TABLE engine_state (
    key TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);
CREATE TABLE story_aliases (
    id TEXT COLLATE "C" PRIMARY KEY,
    story_id TEXT COLLATE "C" NOT NULL
);
CREATE INDEX story_aliases_story ON story_aliases(story_id);
CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    story_id TEXT COLLATE "C" NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX changes_story ON changes(story_id, seq);
"#,
    // Saved watches and their alerts; `state` and `due_ms` (unix milliseconds) pick the
    // webhook deliveries that are due (`state` is NULL for a watch without a webhook).
    r#"
CREATE TABLE watches (
    id TEXT COLLATE "C" PRIMARY KEY,
    created TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE TABLE alerts (
    id TEXT COLLATE "C" PRIMARY KEY,
    watch_id TEXT COLLATE "C" NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    state TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    due_ms BIGINT,
    json TEXT NOT NULL
);
CREATE INDEX alerts_watch ON alerts(watch_id, seq);
CREATE INDEX alerts_due ON alerts(state, due_ms);
"#,
    // Reading the change log from a time (`--since 2025-06-22`): RFC 3339 text, compared bytewise.
    r#"CREATE INDEX changes_at ON changes(at COLLATE "C");"#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Advisory lock keys ("dossier" + a number), shared by every worker of a database.
const MIGRATION_LOCK: i64 = 0x646f_7373_6965_7201;
const ANALYSIS_LOCK: i64 = 0x646f_7373_6965_7202;
/// Taken (for the transaction) by every write that appends to the change log, just
/// before it appends: seqs are then handed out in commit order, so a reader that
/// resumes after the last seq it saw never skips an entry committed late.
const CHANGES_LOCK: i64 = 0x646f_7373_6965_7203;
/// The first key of the two-key advisory locks on stories ("doss"); the second is a
/// hash of the story id. (Two-key locks never collide with the one-key locks above.)
const STORY_LOCK_CLASS: i32 = 0x646f_7373;

/// How often a write is retried after a deadlock or serialization failure.
const RETRIES: usize = 5;

/// A PostgreSQL database holding dossier's data.
pub struct PgStore {
    client: RefCell<Client>,
    db: String,
    /// Inside [`Store::in_snapshot`]: reads run in its transaction rather than their own.
    in_snapshot: Cell<bool>,
}

/// `host:port/dbname` of a connection string, without user or password.
pub fn describe(url: &str) -> String {
    match url.parse::<postgres::Config>() {
        Ok(c) => {
            let host = match c.get_hosts().first() {
                Some(postgres::config::Host::Tcp(h)) => h.clone(),
                #[cfg(unix)]
                Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
                None => "localhost".into(),
            };
            let port = c.get_ports().first().copied().unwrap_or(5432);
            format!("postgres://{host}:{port}/{}", c.get_dbname().or(c.get_user()).unwrap_or("postgres"))
        }
        Err(_) => "postgres (unreadable connection string)".into(),
    }
}

/// PostgreSQL rejects NUL in text; the JSON columns escape it, the columns kept
/// beside them for indexing and sorting drop it.
fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        s.replace('\0', "").into()
    } else {
        s.into()
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("model types always serialise")
}

fn is_retryable(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    matches!(e.code(), Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED || *c == SqlState::T_R_SERIALIZATION_FAILURE)
}

impl PgStore {
    /// Connects (a `postgres://` URL or `key=value` string) and applies migrations.
    pub fn connect(url: &str) -> Result<Self> {
        let db = describe(url);
        let client = Client::connect(url, NoTls).map_err(|e| StoreError::Backend { db: db.clone(), source: Box::new(e) })?;
        let s = PgStore { client: RefCell::new(client), db, in_snapshot: Cell::new(false) };
        s.migrate()?;
        Ok(s)
    }

    /// Whether the connection to the server is gone (server restart, network);
    /// a closed store fails every call: connect again.
    pub fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    /// `postgres://host:port/dbname`, for messages (no credentials).
    pub fn db(&self) -> &str {
        &self.db
    }

    fn e(&self) -> impl Fn(postgres::Error) -> StoreError + '_ {
        move |source| StoreError::Backend { db: self.db.clone(), source: Box::new(source) }
    }

    fn decode<T: serde::de::DeserializeOwned>(what: &'static str, id: &str, json: &str) -> Result<T> {
        serde_json::from_str(json).map_err(|source| StoreError::Decode { what, id: id.to_string(), source })
    }

    fn migrate(&self) -> Result<()> {
        let mut c = self.client.borrow_mut();
        let mut tx = c.transaction().map_err(self.e())?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(self.e())?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS dossier_schema (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())").map_err(self.e())?;
        let found: i64 = tx.query_one("SELECT coalesce(max(version), 0) FROM dossier_schema", &[]).map_err(self.e())?.get(0);
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path: self.db.clone(), found, supported: SCHEMA_VERSION });
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            tx.batch_execute(m).map_err(self.e())?;
            tx.execute("INSERT INTO dossier_schema (version) VALUES ($1)", &[&(i as i64 + 1)]).map_err(self.e())?;
        }
        tx.commit().map_err(self.e())
    }

    /// The schema version of the database.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.client.borrow_mut().query_one("SELECT max(version) FROM dossier_schema", &[]).map_err(self.e())?.get(0))
    }

    /// Bumped by every write that adds or revises an article.
    pub fn articles_version(&self) -> Result<i64> {
        Ok(self.client.borrow_mut().query_one("SELECT articles_version FROM analysis_state", &[]).map_err(self.e())?.get(0))
    }

    /// The `articles_version` the stored analysis covers.
    pub fn analysed_version(&self) -> Result<i64> {
        Ok(self.client.borrow_mut().query_one("SELECT analysed_version FROM analysis_state", &[]).map_err(self.e())?.get(0))
    }

    /// Whether articles were added or revised since the stored analysis was computed.
    pub fn analysis_stale(&self) -> Result<bool> {
        let r = self.client.borrow_mut().query_one("SELECT articles_version > analysed_version FROM analysis_state", &[]).map_err(self.e())?;
        Ok(r.get(0))
    }

    /// Records that the stored analysis covers every article write up to `version`
    /// (read with [`articles_version`](Self::articles_version) before the articles were read).
    pub fn mark_analysed(&mut self, version: i64) -> Result<()> {
        self.client.get_mut().execute("UPDATE analysis_state SET analysed_version = greatest(analysed_version, $1), analysed_at = now()", &[&version]).map_err(self.e())?;
        Ok(())
    }

    /// Takes the analysis lock if no other session holds it. A session lock:
    /// held until [`unlock_analysis`](Self::unlock_analysis) or until this
    /// connection ends (a killed worker releases it).
    pub fn try_lock_analysis(&mut self) -> Result<bool> {
        Ok(self.client.get_mut().query_one("SELECT pg_try_advisory_lock($1)", &[&ANALYSIS_LOCK]).map_err(self.e())?.get(0))
    }

    pub fn unlock_analysis(&mut self) -> Result<()> {
        self.client.get_mut().execute("SELECT pg_advisory_unlock($1)", &[&ANALYSIS_LOCK]).map_err(self.e())?;
        Ok(())
    }

    /// Takes the engine's lock on each of these stories, waiting while another session
    /// holds any of them: a scaled-out worker holds the stories its batch touches while it
    /// reads, analyses and commits them ([`commit_step`](Store::commit_step)), so no two
    /// workers analyse one story at once. Session locks, like the analysis lock: held until
    /// [`unlock_stories`](Self::unlock_stories) with the same ids, or until this connection
    /// ends (a killed worker releases them). Take all the stories a step needs in one call
    /// (the locks are taken in one fixed order, so two workers cannot deadlock); the locks
    /// are by a 32-bit hash of the id, so two stories may rarely share one (a wait, never
    /// a wrong answer).
    pub fn lock_stories(&mut self, ids: &[String]) -> Result<()> {
        let keys = story_lock_keys(ids);
        if !keys.is_empty() {
            self.client.get_mut().execute("SELECT pg_advisory_lock($1, k) FROM unnest($2::int4[]) AS k", &[&STORY_LOCK_CLASS, &keys]).map_err(self.e())?;
        }
        Ok(())
    }

    /// Takes the locks of all these stories if no other session holds any of them (and
    /// then `true`); otherwise takes none and answers `false`.
    pub fn try_lock_stories(&mut self, ids: &[String]) -> Result<bool> {
        let keys = story_lock_keys(ids);
        if keys.is_empty() {
            return Ok(true);
        }
        let c = self.client.get_mut();
        let rows = c
            .query("SELECT k, pg_try_advisory_lock($1, k) FROM unnest($2::int4[]) AS k", &[&STORY_LOCK_CLASS, &keys])
            .map_err(|source| StoreError::Backend { db: self.db.clone(), source: Box::new(source) })?;
        let taken: Vec<i32> = rows.iter().filter(|r| r.get::<_, bool>(1)).map(|r| r.get(0)).collect();
        if taken.len() == keys.len() {
            return Ok(true);
        }
        c.execute("SELECT pg_advisory_unlock($1, k) FROM unnest($2::int4[]) AS k", &[&STORY_LOCK_CLASS, &taken])
            .map_err(|source| StoreError::Backend { db: self.db.clone(), source: Box::new(source) })?;
        Ok(false)
    }

    /// Releases the locks of these stories taken by [`lock_stories`](Self::lock_stories)
    /// or [`try_lock_stories`](Self::try_lock_stories).
    pub fn unlock_stories(&mut self, ids: &[String]) -> Result<()> {
        let keys = story_lock_keys(ids);
        if !keys.is_empty() {
            self.client.get_mut().execute("SELECT pg_advisory_unlock($1, k) FROM unnest($2::int4[]) AS k", &[&STORY_LOCK_CLASS, &keys]).map_err(self.e())?;
        }
        Ok(())
    }

    /// Runs a write transaction, retrying it after deadlocks and serialization failures.
    fn write<T>(&mut self, mut f: impl FnMut(&mut postgres::Transaction<'_>) -> std::result::Result<T, postgres::Error>) -> Result<T> {
        let mut tries = 0;
        loop {
            let attempt = (|| {
                let c = self.client.get_mut();
                let mut tx = c.transaction()?;
                let out = f(&mut tx)?;
                tx.commit()?;
                Ok(out)
            })();
            match attempt {
                Err(e) if is_retryable(&e) && tries + 1 < RETRIES => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10 << tries));
                }
                Err(e) => return Err(StoreError::Backend { db: self.db.clone(), source: Box::new(e) }),
                Ok(v) => return Ok(v),
            }
        }
    }

    fn query_json<T: serde::de::DeserializeOwned>(&self, what: &'static str, sql: &str, args: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<Vec<T>> {
        let rows = self.client.borrow_mut().query(sql, args).map_err(self.e())?;
        rows.iter().map(|r| Self::decode(what, r.get::<_, &str>(0), r.get::<_, &str>(1))).collect()
    }
}

/// A `LIMIT` for a count (`usize::MAX`: no limit).
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The least string after every string that starts with `prefix` (code point order, which
/// is UTF-8 byte order, `COLLATE "C"`); `None` when there is none (no upper bound).
fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last as u32 + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A 32-bit hash of a story id for its advisory lock (FNV-1a: the same in every process).
fn story_lock_key(id: &str) -> i32 {
    let h = id.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ b as u32).wrapping_mul(0x0100_0193));
    h as i32
}

/// The lock keys of these stories: sorted (every session takes them in the same order, so
/// two cannot deadlock) and each once (a session lock taken twice needs two unlocks).
fn story_lock_keys(ids: &[String]) -> Vec<i32> {
    let mut keys: Vec<i32> = ids.iter().map(|id| story_lock_key(id)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// An [`AnalysisStep`] as the columns of its batch statements. Where a step repeats
/// itself (a story, claim, brief or state key twice), the rows are those that writing it
/// one row at a time, in order, would leave (the SQLite store's reference semantics):
/// the last one wins.
struct StepRows<'a> {
    merged: Vec<(&'a str, &'a str)>,
    gone: Vec<&'a str>,
    story_ids: Vec<&'a str>,
    story_titles: Vec<String>,
    story_counts: Vec<i32>,
    story_last_seen: Vec<String>,
    story_json: Vec<String>,
    /// Every article a story of the step lists: out of whichever story held it before.
    listed: Vec<&'a str>,
    member_story: Vec<&'a str>,
    member_article: Vec<&'a str>,
    /// The stories whose claims are replaced.
    claim_stories: Vec<&'a str>,
    claim_ids: Vec<&'a str>,
    claim_story: Vec<&'a str>,
    claim_rank: Vec<i32>,
    claim_status: Vec<&'static str>,
    claim_json: Vec<String>,
    brief_story: Vec<&'a str>,
    brief_json: Vec<String>,
    state_keys: Vec<&'a str>,
    state_values: Vec<&'a [u8]>,
    state_deleted: Vec<&'a str>,
    batch: i64,
    arrivals: &'a [i64],
    change_at: Vec<String>,
    change_kind: Vec<&'static str>,
    change_story: Vec<&'a str>,
    change_json: Vec<String>,
}

/// The positions of the last item of each key, in order.
fn last_of_each<'a, T>(items: &'a [T], key: impl Fn(&'a T) -> &'a str) -> Vec<usize> {
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    keep
}

impl<'a> StepRows<'a> {
    fn new(step: &'a AnalysisStep) -> Self {
        let mut rows = StepRows {
            merged: step.merged.iter().map(|(gone, keep)| (gone.as_str(), keep.as_str())).collect(),
            gone: step.merged.iter().map(|(gone, _)| gone.as_str()).collect(),
            story_ids: vec![],
            story_titles: vec![],
            story_counts: vec![],
            story_last_seen: vec![],
            story_json: vec![],
            listed: vec![],
            member_story: vec![],
            member_article: vec![],
            claim_stories: vec![],
            claim_ids: vec![],
            claim_story: vec![],
            claim_rank: vec![],
            claim_status: vec![],
            claim_json: vec![],
            brief_story: vec![],
            brief_json: vec![],
            state_keys: vec![],
            state_values: vec![],
            state_deleted: vec![],
            batch: step.batch,
            arrivals: &step.arrivals,
            change_at: step.changes.iter().map(|c| c.at.to_rfc3339()).collect(),
            change_kind: step.changes.iter().map(|c| c.kind.as_str()).collect(),
            change_story: step.changes.iter().map(|c| c.story_id.as_str()).collect(),
            change_json: step.changes.iter().map(to_json).collect(),
        };
        for i in last_of_each(&step.stories, |s| s.id.as_str()) {
            let s = &step.stories[i];
            rows.story_ids.push(&s.id);
            rows.story_titles.push(clean(&s.title).into_owned());
            rows.story_counts.push(s.article_ids.len() as i32);
            rows.story_last_seen.push(s.last_seen.to_rfc3339());
            rows.story_json.push(to_json(s));
        }
        // Members: a story written again drops the members it was given before; an article
        // listed again moves to the story that lists it last.
        let mut owner: HashMap<&str, &str> = HashMap::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut listed: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for s in &step.stories {
            if !seen.insert(&s.id) {
                owner.retain(|_, story| *story != s.id);
            }
            for a in &s.article_ids {
                owner.insert(a, &s.id);
                if listed.insert(a) {
                    rows.listed.push(a);
                }
            }
        }
        let mut members: Vec<(&str, &str)> = owner.into_iter().map(|(a, s)| (s, a)).collect();
        members.sort_unstable();
        (rows.member_story, rows.member_article) = members.into_iter().unzip();
        // Claims: each entry replaces the claims of its story (those written earlier in the
        // step included); a claim id written again takes the last row.
        let mut claims: HashMap<&str, (usize, i32, &AlignedClaim)> = HashMap::new();
        let mut claim_stories: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut written_for: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut n = 0;
        for (story, list) in &step.claims {
            if claim_stories.insert(story) {
                rows.claim_stories.push(story);
            }
            if written_for.contains(story.as_str()) {
                claims.retain(|_, (_, _, c)| c.story_id != *story);
            }
            for (rank, c) in list.iter().enumerate() {
                claims.insert(&c.id, (n, rank as i32, c));
                written_for.insert(&c.story_id);
                n += 1;
            }
        }
        let mut claims: Vec<(usize, i32, &AlignedClaim)> = claims.into_values().collect();
        claims.sort_unstable_by_key(|c| c.0);
        for (_, rank, c) in claims {
            rows.claim_ids.push(&c.id);
            rows.claim_story.push(&c.story_id);
            rows.claim_rank.push(rank);
            rows.claim_status.push(c.status.as_str());
            rows.claim_json.push(to_json(c));
        }
        for i in last_of_each(&step.briefs, |b| b.story_id.as_str()) {
            rows.brief_story.push(&step.briefs[i].story_id);
            rows.brief_json.push(to_json(&step.briefs[i]));
        }
        for i in last_of_each(&step.state, |(k, _)| k.as_str()) {
            match &step.state[i] {
                (k, Some(v)) => {
                    rows.state_keys.push(k);
                    rows.state_values.push(v);
                }
                (k, None) => rows.state_deleted.push(k),
            }
        }
        rows
    }

    fn write(&self, tx: &mut postgres::Transaction<'_>) -> std::result::Result<(), postgres::Error> {
        if !self.gone.is_empty() {
            // Their members, claims and briefs go with the rows (ON DELETE CASCADE).
            tx.execute("DELETE FROM stories WHERE id = ANY($1)", &[&self.gone])?;
            // One pair at a time, in order (merges are few): older aliases of a merged story
            // follow it to the survivor, also along a chain merged within this step.
            let follow = tx.prepare("UPDATE story_aliases SET story_id = $2 WHERE story_id = $1")?;
            let alias = tx.prepare("INSERT INTO story_aliases (id, story_id) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET story_id = excluded.story_id")?;
            for (gone, keep) in &self.merged {
                tx.execute(&follow, &[gone, keep])?;
                tx.execute(&alias, &[gone, keep])?;
            }
        }
        if !self.story_ids.is_empty() {
            tx.execute("DELETE FROM story_articles WHERE story_id = ANY($1) OR article_id = ANY($2)", &[&self.story_ids, &self.listed])?;
            tx.execute(
                "INSERT INTO stories (id, title, article_count, last_seen, json) SELECT * FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::text[])
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, article_count = excluded.article_count, last_seen = excluded.last_seen, json = excluded.json",
                &[&self.story_ids, &self.story_titles, &self.story_counts, &self.story_last_seen, &self.story_json],
            )?;
            // A story that got its id back (merged away before) is no alias any more.
            tx.execute("DELETE FROM story_aliases WHERE id = ANY($1)", &[&self.story_ids])?;
            tx.execute("INSERT INTO story_articles (story_id, article_id) SELECT * FROM unnest($1::text[], $2::text[])", &[&self.member_story, &self.member_article])?;
        }
        if !self.claim_stories.is_empty() {
            tx.execute("DELETE FROM aligned_claims WHERE story_id = ANY($1)", &[&self.claim_stories])?;
            tx.execute(
                "INSERT INTO aligned_claims (id, story_id, rank, status, json) SELECT * FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::text[])
                 ON CONFLICT (id) DO UPDATE SET story_id = excluded.story_id, rank = excluded.rank, status = excluded.status, json = excluded.json",
                &[&self.claim_ids, &self.claim_story, &self.claim_rank, &self.claim_status, &self.claim_json],
            )?;
        }
        if !self.brief_story.is_empty() {
            tx.execute(
                "INSERT INTO briefs (story_id, json) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (story_id) DO UPDATE SET json = excluded.json",
                &[&self.brief_story, &self.brief_json],
            )?;
        }
        if !self.state_deleted.is_empty() {
            tx.execute("DELETE FROM engine_state WHERE key = ANY($1)", &[&self.state_deleted])?;
        }
        if !self.state_keys.is_empty() {
            tx.execute(
                "INSERT INTO engine_state (key, value) SELECT * FROM unnest($1::text[], $2::bytea[]) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&self.state_keys, &self.state_values],
            )?;
        }
        if !self.arrivals.is_empty() {
            tx.execute("UPDATE arrivals SET analysed = true, batch = $2 WHERE seq = ANY($1)", &[&self.arrivals, &self.batch])?;
        }
        if !self.change_json.is_empty() {
            // Last, and under the change log's lock until commit: seqs in commit order.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGES_LOCK])?;
            tx.execute(
                "INSERT INTO changes (at, kind, story_id, json)
                 SELECT at, kind, story_id, json FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(at, kind, story_id, json, i) ORDER BY i",
                &[&self.change_at, &self.change_kind, &self.change_story, &self.change_json],
            )?;
        }
        Ok(())
    }
}

/// An article's row as stored: what its columns hold.
struct ArticleRow<'a> {
    kind: &'static str,
    found_on: Option<std::borrow::Cow<'a, str>>,
    title: std::borrow::Cow<'a, str>,
    outlet: std::borrow::Cow<'a, str>,
    url: Option<std::borrow::Cow<'a, str>>,
    source: std::borrow::Cow<'a, str>,
    time: String,
    json: String,
    hash: String,
}

impl<'a> ArticleRow<'a> {
    fn new(a: &'a Article) -> Self {
        let (kind, found_on) = match &a.kind {
            dossier_model::ArticleKind::Main => ("main", None),
            dossier_model::ArticleKind::Teaser { found_on, .. } => ("teaser", Some(clean(found_on))),
        };
        ArticleRow {
            kind,
            found_on,
            title: clean(&a.title),
            outlet: clean(&a.outlet.name),
            url: a.url.as_deref().map(clean),
            source: clean(&a.source),
            time: a.time().to_rfc3339(),
            json: to_json(a),
            hash: content_hash(a),
        }
    }
}

/// Writes a batch of articles inside a transaction, a handful of statements whatever its
/// size: what [`put_articles`](Store::put_articles) does, less the arrivals. Answers what
/// it did and the positions (in the order given) of the articles stored new or revised.
///
/// Copies of one id are compared in the order given, each with the one before (the first
/// with the stored row), as if written one by one. Rows are taken in id order (the new
/// ones inserted, then the stored ones locked and compared), so concurrent batches
/// cannot deadlock on each other; an id another worker is inserting at the same moment
/// waits for it, then counts as stored.
fn put_batch(tx: &mut postgres::Transaction<'_>, articles: &[Article]) -> std::result::Result<(Put, Vec<usize>), postgres::Error> {
    let rows: Vec<ArticleRow> = articles.iter().map(ArticleRow::new).collect();
    let mut copies: std::collections::BTreeMap<&str, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, a) in articles.iter().enumerate() {
        copies.entry(a.id.as_str()).or_default().push(i);
    }
    let mut put = Put::default();
    let mut arrived = Vec::new();
    if copies.is_empty() {
        return Ok((put, arrived));
    }
    // The first copy of each id, inserted unless stored.
    let first: Vec<&ArticleRow> = copies.values().map(|c| &rows[c[0]]).collect();
    let ids: Vec<&str> = copies.keys().copied().collect();
    let col = |f: for<'r> fn(&'r ArticleRow<'r>) -> Option<&'r str>| first.iter().map(|r| f(r)).collect::<Vec<Option<&str>>>();
    let inserted: std::collections::HashSet<String> = tx
        .query(
            "INSERT INTO articles (id, kind, found_on, title, outlet, url, source, time, json, content_hash, revision)
             SELECT *, 1 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
             ON CONFLICT (id) DO NOTHING RETURNING id",
            &[
                &ids,
                &col(|r| Some(r.kind)),
                &col(|r| r.found_on.as_deref()),
                &col(|r| Some(&r.title)),
                &col(|r| Some(&r.outlet)),
                &col(|r| r.url.as_deref()),
                &col(|r| Some(&r.source)),
                &col(|r| Some(&r.time)),
                &col(|r| Some(&r.json)),
                &col(|r| Some(&r.hash)),
            ],
        )?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    // The others are stored (perhaps a moment ago by another worker): lock them and compare.
    let stored_ids: Vec<&str> = ids.iter().copied().filter(|id| !inserted.contains(*id)).collect();
    let stored: HashMap<String, (String, i32, String)> = if stored_ids.is_empty() {
        HashMap::new()
    } else {
        tx.query("SELECT id, content_hash, revision, json FROM articles WHERE id = ANY($1) ORDER BY id FOR UPDATE", &[&stored_ids])?
            .into_iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3))))
            .collect()
    };
    // Each copy against the one before: the versions it replaces become revisions.
    let mut revisions: Vec<(&str, i32, &str, &str)> = Vec::new();
    let mut updates: Vec<(usize, i32)> = Vec::new();
    for (id, copies) in &copies {
        let (mut hash, mut revision, mut json, rest) = if inserted.contains(*id) {
            put.new += 1;
            arrived.push(copies[0]);
            (rows[copies[0]].hash.as_str(), 1, rows[copies[0]].json.as_str(), &copies[1..])
        } else {
            // Articles are never deleted: a row not inserted is stored.
            let Some((h, r, j)) = stored.get(*id) else { continue };
            (h.as_str(), *r, j.as_str(), &copies[..])
        };
        let mut last = None;
        for &i in rest {
            if rows[i].hash == hash {
                put.unchanged += 1;
                continue;
            }
            revisions.push((id, revision, hash, json));
            (hash, revision, json) = (&rows[i].hash, revision + 1, &rows[i].json);
            last = Some(i);
            put.revised += 1;
            arrived.push(i);
        }
        if let Some(i) = last {
            updates.push((i, revision));
        }
    }
    if !revisions.is_empty() {
        let ids: Vec<&str> = revisions.iter().map(|r| r.0).collect();
        let numbers: Vec<i32> = revisions.iter().map(|r| r.1).collect();
        let hashes: Vec<&str> = revisions.iter().map(|r| r.2).collect();
        let json: Vec<&str> = revisions.iter().map(|r| r.3).collect();
        tx.execute("INSERT INTO revisions (article_id, revision, content_hash, json) SELECT * FROM unnest($1::text[], $2::int4[], $3::text[], $4::text[])", &[&ids, &numbers, &hashes, &json])?;
    }
    if !updates.is_empty() {
        let col = |f: for<'r> fn(&'r ArticleRow<'r>) -> Option<&'r str>| updates.iter().map(|&(i, _)| f(&rows[i])).collect::<Vec<Option<&str>>>();
        let ids: Vec<&str> = updates.iter().map(|&(i, _)| articles[i].id.as_str()).collect();
        let numbers: Vec<i32> = updates.iter().map(|u| u.1).collect();
        tx.execute(
            "UPDATE articles AS a SET kind = t.kind, found_on = t.found_on, title = t.title, outlet = t.outlet, url = t.url, source = t.source, time = t.time,
                 json = t.json, content_hash = t.hash, revision = t.revision
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int4[])
                 AS t(id, kind, found_on, title, outlet, url, source, time, json, hash, revision)
             WHERE a.id = t.id",
            &[
                &ids,
                &col(|r| Some(r.kind)),
                &col(|r| r.found_on.as_deref()),
                &col(|r| Some(&r.title)),
                &col(|r| Some(&r.outlet)),
                &col(|r| r.url.as_deref()),
                &col(|r| Some(&r.source)),
                &col(|r| Some(&r.time)),
                &col(|r| Some(&r.json)),
                &col(|r| Some(&r.hash)),
                &numbers,
            ],
        )?;
    }
    arrived.sort_unstable();
    Ok((put, arrived))
}

impl Store for PgStore {
    fn put_articles(&mut self, articles: &[Article]) -> Result<Put> {
        self.write(|tx| {
            let (put, arrived) = put_batch(tx, articles)?;
            if !arrived.is_empty() {
                // Last, so the one hot row is held only for the commit.
                tx.execute("UPDATE analysis_state SET articles_version = articles_version + 1", &[])?;
                // Each new or revised article waits for the analysis, in the order given. Numbered
                // while holding that row, so arrivals are numbered in commit order.
                let ids: Vec<&str> = arrived.iter().map(|&i| articles[i].id.as_str()).collect();
                tx.execute("INSERT INTO arrivals (article_id) SELECT a FROM unnest($1::text[]) WITH ORDINALITY AS t(a, i) ORDER BY i", &[&ids])?;
            }
            Ok(put)
        })
    }

    fn revisions(&self, id: &str) -> Result<Vec<Revision>> {
        let (old, current) = snapshot(self, |_| {
            let mut c = self.client.borrow_mut();
            let old = c.query("SELECT revision, content_hash, json FROM revisions WHERE article_id = $1 ORDER BY revision", &[&id]).map_err(self.e())?;
            let current = c.query_opt("SELECT revision, content_hash, json FROM articles WHERE id = $1", &[&id]).map_err(self.e())?;
            Ok((old, current))
        })?;
        let mut out = Vec::with_capacity(old.len() + 1);
        for r in old.iter().chain(current.iter()) {
            let (n, hash, json): (i32, String, &str) = (r.get(0), r.get(1), r.get(2));
            out.push(Revision { number: n as u32, content_hash: hash, article: Self::decode("revision", id, json)? });
        }
        Ok(out)
    }

    fn has_url(&self, url: &str) -> Result<bool> {
        let r = self.client.borrow_mut().query_one("SELECT EXISTS(SELECT 1 FROM articles WHERE url = $1)", &[&clean(url)]).map_err(self.e())?;
        Ok(r.get(0))
    }

    fn fetch_state(&self, url: &str) -> Result<Option<FetchState>> {
        let row = self.client.borrow_mut().query_opt("SELECT etag, last_modified, status, fetched_at, listed FROM fetch_state WHERE url = $1", &[&url]).map_err(self.e())?;
        Ok(row.map(|r: Row| FetchState { etag: r.get(0), last_modified: r.get(1), status: r.get::<_, Option<i32>>(2).map(|s| s as u16), fetched_at: r.get(3), listed: r.get(4) }))
    }

    fn put_fetch_state(&mut self, url: &str, state: &FetchState) -> Result<()> {
        let status = state.status.map(i32::from);
        self.write(|tx| {
            tx.execute(
                "INSERT INTO fetch_state (url, etag, last_modified, status, fetched_at, listed) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, status = excluded.status,
                 fetched_at = excluded.fetched_at, listed = excluded.listed",
                &[&url, &state.etag, &state.last_modified, &status, &state.fetched_at, &state.listed],
            )
            .map(|_| ())
        })
    }

    fn article(&self, id: &str) -> Result<Option<Article>> {
        let row = self.client.borrow_mut().query_opt("SELECT json FROM articles WHERE id = $1", &[&id]).map_err(self.e())?;
        row.map(|r| Self::decode("article", id, r.get::<_, &str>(0))).transpose()
    }

    fn articles(&self) -> Result<Vec<Article>> {
        self.query_json("article", "SELECT id, json FROM articles ORDER BY time, id", &[])
    }

    fn article_count(&self) -> Result<usize> {
        let r = self.client.borrow_mut().query_one("SELECT count(*) FROM articles", &[]).map_err(self.e())?;
        Ok(r.get::<_, i64>(0) as usize)
    }

    fn replace_analysis(&mut self, analysis: &Analysis) -> Result<()> {
        // Whole columns at a time (unnest), so a large analysis is a handful of statements.
        let (mut sid, mut stitle, mut scount, mut slast, mut sjson) = (vec![], vec![], vec![], vec![], vec![]);
        let (mut msid, mut maid) = (vec![], vec![]);
        for s in &analysis.stories {
            sid.push(s.id.clone());
            stitle.push(clean(&s.title).into_owned());
            scount.push(s.article_ids.len() as i32);
            slast.push(s.last_seen.to_rfc3339());
            sjson.push(to_json(s));
            for a in &s.article_ids {
                msid.push(s.id.clone());
                maid.push(a.clone());
            }
        }
        let (mut cid, mut cstory, mut crank, mut cstatus, mut cjson) = (vec![], vec![], vec![], vec![], vec![]);
        for (rank, c) in analysis.claims.iter().enumerate() {
            cid.push(c.id.clone());
            cstory.push(c.story_id.clone());
            crank.push(rank as i32);
            cstatus.push(c.status.as_str().to_string());
            cjson.push(to_json(c));
        }
        let bstory: Vec<String> = analysis.briefs.iter().map(|b| b.story_id.clone()).collect();
        let bjson: Vec<String> = analysis.briefs.iter().map(to_json).collect();
        self.write(|tx| {
            tx.batch_execute("DELETE FROM briefs; DELETE FROM aligned_claims; DELETE FROM story_articles; DELETE FROM stories;")?;
            tx.execute(
                "INSERT INTO stories (id, title, article_count, last_seen, json) SELECT * FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::text[])",
                &[&sid, &stitle, &scount, &slast, &sjson],
            )?;
            tx.execute("INSERT INTO story_articles (story_id, article_id) SELECT * FROM unnest($1::text[], $2::text[])", &[&msid, &maid])?;
            tx.execute(
                "INSERT INTO aligned_claims (id, story_id, rank, status, json) SELECT * FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::text[])",
                &[&cid, &cstory, &crank, &cstatus, &cjson],
            )?;
            tx.execute("INSERT INTO briefs (story_id, json) SELECT * FROM unnest($1::text[], $2::text[])", &[&bstory, &bjson])?;
            Ok(())
        })
    }

    fn stories(&self) -> Result<Vec<Story>> {
        self.query_json("story", "SELECT id, json FROM stories ORDER BY article_count DESC, last_seen DESC, id", &[])
    }

    fn story(&self, id: &str) -> Result<Option<Story>> {
        Ok(self.query_json("story", "SELECT id, json FROM stories WHERE id = $1", &[&id])?.pop())
    }

    fn aligned_claims(&self, story_id: &str) -> Result<Vec<AlignedClaim>> {
        self.query_json("aligned claim", "SELECT id, json FROM aligned_claims WHERE story_id = $1 ORDER BY rank", &[&story_id])
    }

    fn brief(&self, story_id: &str) -> Result<Option<Brief>> {
        Ok(self.query_json("brief", "SELECT story_id, json FROM briefs WHERE story_id = $1", &[&story_id])?.pop())
    }

    fn embeddings(&self, model: &str) -> Result<HashMap<String, (String, Vec<u8>)>> {
        let rows = self.client.borrow_mut().query("SELECT article_id, text_hash, vector FROM embeddings WHERE model = $1", &[&model]).map_err(self.e())?;
        Ok(rows.into_iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect())
    }

    fn meaning_scores(&self, model: &str, pairs: &[String]) -> Result<HashMap<String, f32>> {
        let rows = self.client.borrow_mut().query("SELECT pair, score FROM meaning_scores WHERE model = $1 AND pair = ANY($2)", &[&model, &pairs]).map_err(self.e())?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn put_meaning_scores(&mut self, model: &str, rows: &[(String, f32)]) -> Result<()> {
        // One row per pair (a batch may repeat one: two claims with the same sentence), the last
        // winning as when rows are written one by one; workers scoring the same pair at once agree.
        let mut last: HashMap<&str, f32> = HashMap::new();
        for (p, score) in rows {
            last.insert(p.as_str(), *score);
        }
        let mut rows: Vec<(&str, f32)> = last.into_iter().collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        let pairs: Vec<&str> = rows.iter().map(|r| r.0).collect();
        let scores: Vec<f32> = rows.iter().map(|r| r.1).collect();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meaning_scores (pair, model, score) SELECT p, $1, s FROM unnest($2::text[], $3::real[]) AS t(p, s)
                 ON CONFLICT (pair, model) DO UPDATE SET score = excluded.score",
                &[&model, &pairs, &scores],
            )
            .map(|_| ())
        })
    }

    fn in_snapshot(&self, f: &mut dyn FnMut(&dyn Store) -> Result<()>) -> Result<()> {
        if self.in_snapshot.get() {
            return f(self);
        }
        self.client.borrow_mut().batch_execute("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY").map_err(self.e())?;
        self.in_snapshot.set(true);
        let out = f(self);
        self.in_snapshot.set(false);
        // Read only: nothing to commit (and after a failed statement, only a rollback ends it).
        let ended = self.client.borrow_mut().batch_execute("ROLLBACK").map_err(self.e());
        out.and(ended)
    }

    fn article_hashes(&self) -> Result<Vec<(String, String)>> {
        let rows = self.client.borrow_mut().query("SELECT id, content_hash FROM articles ORDER BY id", &[]).map_err(self.e())?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn is_closed(&self) -> bool {
        self.client.borrow().is_closed()
    }

    fn put_embeddings(&mut self, model: &str, rows: &[(String, String, Vec<u8>)]) -> Result<()> {
        // The last row of an id wins, as when rows are written one by one.
        let mut last: HashMap<&str, usize> = HashMap::new();
        for (i, (id, _, _)) in rows.iter().enumerate() {
            last.insert(id, i);
        }
        let mut keep: Vec<usize> = last.into_values().collect();
        keep.sort_unstable();
        let ids: Vec<&str> = keep.iter().map(|&i| rows[i].0.as_str()).collect();
        let hashes: Vec<&str> = keep.iter().map(|&i| rows[i].1.as_str()).collect();
        let vectors: Vec<&[u8]> = keep.iter().map(|&i| rows[i].2.as_slice()).collect();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO embeddings (article_id, model, text_hash, vector) SELECT a, $1, h, v FROM unnest($2::text[], $3::text[], $4::bytea[]) AS t(a, h, v)
                 ON CONFLICT (article_id, model) DO UPDATE SET text_hash = excluded.text_hash, vector = excluded.vector",
                &[&model, &ids, &hashes, &vectors],
            )
            .map(|_| ())
        })
    }

    fn article_summaries(&self, ids: &[String]) -> Result<Vec<ArticleSummary>> {
        Ok(self.articles_by_id(ids)?.into_iter().map(ArticleSummary::from).collect())
    }

    // ---- the incremental analysis (dossier-engine) ----

    fn articles_by_id(&self, ids: &[String]) -> Result<Vec<Article>> {
        let rows = self.client.borrow_mut().query("SELECT id, json FROM articles WHERE id = ANY($1)", &[&ids]).map_err(self.e())?;
        let json: HashMap<&str, &str> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        // In the order asked (repeats included), as one by one.
        ids.iter().filter_map(|id| json.get(id.as_str()).map(|j| Self::decode("article", id, j))).collect()
    }

    fn embeddings_of(&self, model: &str, ids: &[String]) -> Result<HashMap<String, (String, Vec<u8>)>> {
        let rows = self.client.borrow_mut().query("SELECT article_id, text_hash, vector FROM embeddings WHERE model = $1 AND article_id = ANY($2)", &[&model, &ids]).map_err(self.e())?;
        Ok(rows.into_iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect())
    }

    fn pending_arrivals(&self, limit: usize) -> Result<Vec<Arrival>> {
        let rows = self.client.borrow_mut().query("SELECT seq, article_id, batch FROM arrivals WHERE NOT analysed ORDER BY batch NULLS LAST, seq LIMIT $1", &[&sql_limit(limit)]).map_err(self.e())?;
        Ok(rows.into_iter().map(|r| Arrival { seq: r.get(0), article_id: r.get(1), batch: r.get(2) }).collect())
    }

    fn has_pending(&self) -> Result<bool> {
        Ok(self.client.borrow_mut().query_one("SELECT EXISTS(SELECT 1 FROM arrivals WHERE NOT analysed)", &[]).map_err(self.e())?.get(0))
    }

    fn engine_state(&self, keys: &[String]) -> Result<HashMap<String, Vec<u8>>> {
        let rows = self.client.borrow_mut().query("SELECT key, value FROM engine_state WHERE key = ANY($1)", &[&keys]).map_err(self.e())?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn engine_state_prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        // A range over the primary key (byte order): prefix <= key < the next string after every key with the prefix.
        let rows = match prefix_end(prefix) {
            Some(end) => self.client.borrow_mut().query("SELECT key, value FROM engine_state WHERE key >= $1 AND key < $2 ORDER BY key", &[&prefix, &end]),
            None => self.client.borrow_mut().query("SELECT key, value FROM engine_state WHERE key >= $1 ORDER BY key", &[&prefix]),
        }
        .map_err(self.e())?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn commit_step(&mut self, step: &AnalysisStep) -> Result<()> {
        let rows = StepRows::new(step);
        self.write(|tx| rows.write(tx))
    }

    fn commit_story_analyses(&mut self, done: &[StoryAnalysis]) -> Result<Vec<String>> {
        let ids: Vec<&str> = done.iter().map(|a| a.story_id.as_str()).collect();
        let keys: Vec<&str> = done.iter().map(|a| a.mark.0.as_str()).collect();
        self.write(|tx| {
            // The stories, then their marks, in key order: the order a placing step takes them
            // in (it deletes a merged story before moving its mark), so the two cannot deadlock.
            // A placing step that re-marked a story committed first (we read its mark) or waits
            // for this commit (and marks it again after).
            let stored: std::collections::HashSet<String> = tx.query("SELECT id FROM stories WHERE id = ANY($1) ORDER BY id FOR KEY SHARE", &[&ids])?.iter().map(|r| r.get(0)).collect();
            let marks: HashMap<String, Vec<u8>> = tx.query("SELECT key, value FROM engine_state WHERE key = ANY($1) ORDER BY key FOR UPDATE", &[&keys])?.iter().map(|r| (r.get(0), r.get(1))).collect();
            let mut step = AnalysisStep::default();
            let mut written = Vec::new();
            for a in done {
                if marks.get(&a.mark.0) != Some(&a.mark.1) {
                    continue;
                }
                step.state.push((a.mark.0.clone(), None));
                let Some(brief) = a.brief.as_ref().filter(|_| stored.contains(&a.story_id)) else { continue };
                step.claims.push((a.story_id.clone(), a.claims.clone()));
                step.briefs.push(brief.clone());
                step.state.extend(a.state.iter().cloned());
                step.changes.extend(a.changes.iter().cloned());
                written.push(a.story_id.clone());
            }
            StepRows::new(&step).write(tx)?;
            Ok(written)
        })
    }

    fn lease_stories(&mut self, ids: &[String]) -> Result<Vec<String>> {
        let keys = story_lock_keys(ids);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // Each lock on its own (not all or none, as `try_lock_stories`): a worker analyses
        // the stories no other worker holds and leaves the rest to them.
        let rows = self.client.get_mut().query("SELECT k, pg_try_advisory_lock($1, k) FROM unnest($2::int4[]) AS k", &[&STORY_LOCK_CLASS, &keys]).map_err(self.e())?;
        let taken: std::collections::HashSet<i32> = rows.iter().filter(|r| r.get::<_, bool>(1)).map(|r| r.get(0)).collect();
        Ok(ids.iter().filter(|id| taken.contains(&story_lock_key(id))).cloned().collect())
    }

    fn release_stories(&mut self, ids: &[String]) -> Result<()> {
        self.unlock_stories(ids)
    }

    fn reset_analysis(&mut self) -> Result<()> {
        self.write(|tx| {
            tx.batch_execute(
                "DELETE FROM briefs; DELETE FROM aligned_claims; DELETE FROM story_articles; DELETE FROM stories;
                 DELETE FROM story_aliases; DELETE FROM engine_state; UPDATE arrivals SET analysed = false WHERE analysed;",
            )
        })
    }

    fn story_alias(&self, id: &str) -> Result<Option<String>> {
        Ok(self.client.borrow_mut().query_opt("SELECT story_id FROM story_aliases WHERE id = $1", &[&id]).map_err(self.e())?.map(|r| r.get(0)))
    }

    fn claim_status_counts(&self) -> Result<HashMap<String, StatusCounts>> {
        let rows = self.client.borrow_mut().query("SELECT story_id, status, COUNT(*) FROM aligned_claims GROUP BY story_id, status", &[]).map_err(self.e())?;
        let mut out: HashMap<String, StatusCounts> = HashMap::new();
        for r in rows {
            let (story, status, n): (String, String, i64) = (r.get(0), r.get(1), r.get(2));
            let status = ClaimStatus::parse(&status).ok_or_else(|| StoreError::Corrupt { what: format!("aligned claim of story {story}: status {status:?}") })?;
            out.entry(story).or_default().add(status, n as usize);
        }
        Ok(out)
    }

    fn stories_of(&self, article_ids: &[String]) -> Result<HashMap<String, String>> {
        // An article is in one story (commit_step keeps it so); should an older analysis have
        // put it in several, the first story id in byte order answers.
        let rows = self
            .client
            .borrow_mut()
            .query("SELECT DISTINCT ON (article_id) article_id, story_id FROM story_articles WHERE article_id = ANY($1) ORDER BY article_id, story_id", &[&article_ids])
            .map_err(self.e())?;
        Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    fn changes(&self, since: i64, story: Option<&str>, limit: usize) -> Result<Vec<ChangeEntry>> {
        let rows = match story {
            Some(id) => {
                let id = self.story_alias(id)?.unwrap_or_else(|| id.to_string());
                self.client.borrow_mut().query(
                    "SELECT seq, json FROM changes WHERE seq > $1 AND (story_id = $2 OR story_id IN (SELECT id FROM story_aliases WHERE story_id = $2)) ORDER BY seq LIMIT $3",
                    &[&since, &id, &sql_limit(limit)],
                )
            }
            None => self.client.borrow_mut().query("SELECT seq, json FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2", &[&since, &sql_limit(limit)]),
        }
        .map_err(self.e())?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.get(0);
                let mut c: ChangeEntry = Self::decode("change", &seq.to_string(), r.get(1))?;
                c.seq = seq;
                Ok(c)
            })
            .collect()
    }

    fn last_change(&self) -> Result<i64> {
        Ok(self.client.borrow_mut().query_one("SELECT coalesce(max(seq), 0)::int8 FROM changes", &[]).map_err(self.e())?.get(0))
    }

    fn last_change_before(&self, at: DateTime<Utc>) -> Result<i64> {
        // `at` is stored as RFC 3339 in UTC, which sorts as text in time order (compared bytewise).
        Ok(self.client.borrow_mut().query_one("SELECT coalesce(max(seq), 0)::int8 FROM changes WHERE at COLLATE \"C\" < $1", &[&at.to_rfc3339()]).map_err(self.e())?.get(0))
    }

    fn aligned_claim(&self, id: &str) -> Result<Option<AlignedClaim>> {
        Ok(self.query_json("aligned claim", "SELECT id, json FROM aligned_claims WHERE id = $1", &[&id])?.pop())
    }

    fn watches(&self) -> Result<Vec<Watch>> {
        self.query_json("watch", "SELECT id, json FROM watches ORDER BY created, id", &[])
    }

    fn watch(&self, id: &str) -> Result<Option<Watch>> {
        Ok(self.query_json("watch", "SELECT id, json FROM watches WHERE id = $1", &[&id])?.pop())
    }

    fn put_watch(&mut self, watch: &Watch) -> Result<()> {
        let (created, json) = (watch.created.to_rfc3339(), serde_json::to_string(watch).expect("model types always serialise"));
        self.write(|tx| tx.execute("INSERT INTO watches (id, created, json) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET json = excluded.json", &[&watch.id, &created, &json]).map(|_| ()))
    }

    fn remove_watch(&mut self, id: &str) -> Result<bool> {
        // Its alerts go with it (ON DELETE CASCADE).
        self.write(|tx| Ok(tx.execute("DELETE FROM watches WHERE id = $1", &[&id])? > 0))
    }

    fn record_alerts(&mut self, watch: &Watch, alerts: &[Alert]) -> Result<usize> {
        let json = serde_json::to_string(watch).expect("model types always serialise");
        let rows: Vec<(Option<&'static str>, i64, Option<i64>, String)> = alerts
            .iter()
            .map(|a| {
                let (state, attempts, due) = dossier_store::delivery_columns(a);
                (state, attempts, due, serde_json::to_string(a).expect("model types always serialise"))
            })
            .collect();
        self.write(|tx| {
            if tx.execute("UPDATE watches SET json = $2 WHERE id = $1", &[&watch.id, &json])? == 0 {
                return Ok(0);
            }
            let ins = tx.prepare("INSERT INTO alerts (id, watch_id, seq, state, attempts, due_ms, json) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING")?;
            let mut new = 0;
            for (a, (state, attempts, due, json)) in alerts.iter().zip(&rows) {
                new += tx.execute(&ins, &[&a.id, &a.watch_id, &a.seq, state, attempts, due, json])? as usize;
            }
            Ok(new)
        })
    }

    fn alerts(&self, watch_id: Option<&str>, limit: usize) -> Result<Vec<Alert>> {
        let rows = match watch_id {
            Some(w) => self.client.borrow_mut().query("SELECT id, attempts, json FROM alerts WHERE watch_id = $1 ORDER BY seq DESC, id LIMIT $2", &[&w, &sql_limit(limit)]),
            None => self.client.borrow_mut().query("SELECT id, attempts, json FROM alerts ORDER BY seq DESC, id LIMIT $1", &[&sql_limit(limit)]),
        }
        .map_err(self.e())?;
        rows.iter().map(|r| dossier_store::decode_alert(r.get(0), r.get(1), r.get(2))).collect()
    }

    fn due_alerts(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Alert>> {
        let rows = self
            .client
            .borrow_mut()
            .query("SELECT id, attempts, json FROM alerts WHERE state = 'pending' AND due_ms <= $1 ORDER BY due_ms, seq LIMIT $2", &[&now.timestamp_millis(), &sql_limit(limit)])
            .map_err(self.e())?;
        rows.iter().map(|r| dossier_store::decode_alert(r.get(0), r.get(1), r.get(2))).collect()
    }

    fn begin_delivery(&mut self, alert_id: &str, attempts: u32, lease: DateTime<Utc>) -> Result<bool> {
        let (attempts, lease) = (i64::from(attempts), lease.timestamp_millis());
        self.write(|tx| Ok(tx.execute("UPDATE alerts SET attempts = attempts + 1, due_ms = $3 WHERE id = $1 AND state = 'pending' AND attempts = $2", &[&alert_id, &attempts, &lease])? == 1))
    }

    fn end_delivery(&mut self, alert: &Alert) -> Result<()> {
        let (state, attempts, due) = dossier_store::delivery_columns(alert);
        let json = serde_json::to_string(alert).expect("model types always serialise");
        self.write(|tx| tx.execute("UPDATE alerts SET state = $2, attempts = $3, due_ms = $4, json = $5 WHERE id = $1", &[&alert.id, &state, &attempts, &due, &json]).map(|_| ()))
    }
}

/// For tests: a fresh, empty database on the server of `admin_url` (a URL
/// whose user may create databases); returns its URL.
pub fn create_test_database(admin_url: &str) -> Result<String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let db = describe(admin_url);
    let e = |source: postgres::Error| StoreError::Backend { db: db.clone(), source: Box::new(source) };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let name = format!("dossier_test_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed));
    let mut c = Client::connect(admin_url, NoTls).map_err(e)?;
    c.batch_execute(&format!("CREATE DATABASE {name}")).map_err(e)?;
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    Ok(format!("{base}/{name}{query}"))
}

/// The `DOSSIER_TEST_POSTGRES` server for tests, or `None` to skip them.
/// Under `CI=true` a missing server is a failure, not a skip.
pub fn test_server() -> Option<String> {
    match std::env::var("DOSSIER_TEST_POSTGRES") {
        Ok(u) if !u.is_empty() => Some(u),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!("CI=true but DOSSIER_TEST_POSTGRES is not set (scripts/test.sh starts a PostgreSQL server and sets it)"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_store::conformance::article;

    #[test]
    fn articles_stored_before_the_engine_wait_for_it_in_publication_order() {
        let Some(server) = test_server() else { return };
        let url = create_test_database(&server).unwrap();
        // A database of schema version 2 (before the engine) with articles in it.
        {
            let mut c = Client::connect(&url, NoTls).unwrap();
            let mut tx = c.transaction().unwrap();
            tx.batch_execute("CREATE TABLE dossier_schema (version BIGINT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())").unwrap();
            for (i, m) in MIGRATIONS[..2].iter().enumerate() {
                tx.batch_execute(m).unwrap();
                tx.execute("INSERT INTO dossier_schema (version) VALUES ($1)", &[&(i as i64 + 1)]).unwrap();
            }
            for (id, day) in [("c", 3), ("b", 1), ("d", 2), ("a", 1)] {
                let mut a = article(id, id);
                a.published = Some(format!("2025-06-{day:02}T08:00:00Z").parse().unwrap());
                put_batch(&mut tx, &[a]).unwrap();
            }
            tx.commit().unwrap();
        }
        let mut s = PgStore::connect(&url).unwrap();
        assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
        let order = |s: &PgStore| s.pending_arrivals(100).unwrap().into_iter().map(|a| a.article_id).collect::<Vec<_>>();
        assert_eq!(order(&s), ["a", "b", "d", "c"]);
        // Later arrivals number after them.
        s.put_articles(&[article("e", "e")]).unwrap();
        let got = s.pending_arrivals(100).unwrap();
        assert_eq!(order(&s), ["a", "b", "d", "c", "e"]);
        assert!(got.windows(2).all(|w| w[0].seq < w[1].seq), "{got:?}");
    }

    #[test]
    fn prefix_end_is_the_least_string_after_the_prefix() {
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("ab").as_deref(), Some("ac"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}\u{10FFFF}"), None);
        assert_eq!(prefix_end("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(prefix_end("é").as_deref(), Some("ê"));
    }
}
