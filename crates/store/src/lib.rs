//! Store: where articles, stories and aligned claims live.
//!
//! The [`Store`] trait is the seam every other part uses; [`SqliteStore`] is
//! the embedded default (one SQLite file in WAL mode inside the data
//! directory); `dossier-store-postgres` is the shared store of the scale-out
//! mode. Both pass the same [`conformance`] suite. Writes are transactional: a batch lands whole or not at all, so a failure
//! never leaves half an input stored. The store never computes anything.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use dossier_model::{Alert, AlignedClaim, Article, ArticleKind, ArticleSummary, Brief, ChangeEntry, ClaimStatus, Outlet, OutletBasis, StatusCounts, Story, Watch};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

pub mod conformance;
mod lock;

pub use lock::{WriterLock, LOCK_FILE};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Sqlite { path: String, source: rusqlite::Error },
    #[error("corrupt record {what} {id}: {source}")]
    Decode { what: &'static str, id: String, source: serde_json::Error },
    #[error("data directory {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("database {path} has schema version {found}, newer than this dossier understands ({supported})")]
    TooNew { path: String, found: i64, supported: i64 },
    #[error("corrupt record {what}")]
    Corrupt { what: String },
    /// A store that does not keep this kind of record (a test double).
    #[error("this store keeps no {0}")]
    Unsupported(&'static str),
    /// An error of another database engine (PostgreSQL); `db` names the database without credentials.
    #[error("database {db}: {source}")]
    Backend { db: String, source: Box<dyn std::error::Error + Send + Sync> },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The result of analysing the whole corpus: replaces the previous one atomically.
#[derive(Debug, Default, Clone)]
pub struct Analysis {
    pub stories: Vec<Story>,
    pub claims: Vec<AlignedClaim>,
    pub briefs: Vec<Brief>,
}

/// An article waiting for (or replayed by) the analysis: every stored new or
/// revised article gets one, in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// Arrival order, monotonic.
    pub seq: i64,
    pub article_id: String,
    /// The analysis batch that took it, once one has (kept through a rebuild,
    /// so a rebuild replays the same batches).
    pub batch: Option<i64>,
}

/// What one incremental analysis step writes, in one transaction: the
/// stories it touched (with their claims and briefs), the stories merged
/// away, the engine's state, the arrivals it took and the change log.
#[derive(Debug, Default, Clone)]
pub struct AnalysisStep {
    /// The batch number recorded on the arrivals taken.
    pub batch: i64,
    /// Arrival seqs analysed by this step.
    pub arrivals: Vec<i64>,
    /// Stories created or changed: their rows, members, claims and brief are replaced.
    pub stories: Vec<Story>,
    /// Each story's claims, most check-worthy first (for the stories above).
    pub claims: Vec<(String, Vec<AlignedClaim>)>,
    pub briefs: Vec<Brief>,
    /// Stories merged into others: (merged id, surviving id). Their rows go;
    /// the merged id keeps answering as an alias of the survivor.
    pub merged: Vec<(String, String)>,
    /// Engine state to put (Some) or delete (None), by key.
    pub state: Vec<(String, Option<Vec<u8>>)>,
    /// Entries for the change log (their `seq` is assigned on commit).
    pub changes: Vec<ChangeEntry>,
}

/// What analysing one story that owed analysis writes (see [`Store::commit_story_analyses`]):
/// its claims, brief, change log entries and engine state, guarded by its owing mark.
#[derive(Debug, Clone)]
pub struct StoryAnalysis {
    pub story_id: String,
    /// The engine state key marking the story as owing analysis, and the value it held
    /// when the analysis read the story: the analysis is written, and the key deleted,
    /// only if the key still holds it (a story placed again meanwhile keeps its mark).
    pub mark: (String, Vec<u8>),
    /// The story's claims, most check-worthy first: they replace its claims.
    pub claims: Vec<AlignedClaim>,
    /// None when the analysis found the story no longer stored: only its mark goes.
    pub brief: Option<Brief>,
    /// Engine state to put (Some) or delete (None), by key.
    pub state: Vec<(String, Option<Vec<u8>>)>,
    /// Entries for the change log (their `seq` is assigned on commit).
    pub changes: Vec<ChangeEntry>,
}

/// What storing a batch of articles did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Put {
    /// Articles not stored before.
    pub new: usize,
    /// Articles stored before (same id: same canonical URL) whose content changed: kept as a new revision.
    pub revised: usize,
    /// Articles stored before with the same content.
    pub unchanged: usize,
}

/// One version of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// 1 for the first version seen.
    pub number: u32,
    pub content_hash: String,
    pub article: Article,
}

/// What the fetcher remembers about a URL between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchState {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub status: Option<u16>,
    pub fetched_at: String,
    /// For a page: the date its feed or sitemap gave when it was fetched, so
    /// a later, different date there means the page changed.
    pub listed: Option<String>,
}

/// The hash that decides whether an article's content changed.
pub fn content_hash(a: &Article) -> String {
    dossier_model::stable_id(&["content", &a.title, &a.text])
}

/// Storage behind dossier. Implementations must make each call atomic.
pub trait Store {
    /// Stores a batch in one transaction: new ids are inserted; a known id
    /// whose content changed becomes a new revision (the article shows the
    /// latest); a known id with the same content is left alone.
    fn put_articles(&mut self, articles: &[Article]) -> Result<Put>;
    /// Every version of an article, oldest first.
    fn revisions(&self, id: &str) -> Result<Vec<Revision>>;
    /// Whether an article with this URL is stored.
    fn has_url(&self, url: &str) -> Result<bool>;
    fn fetch_state(&self, url: &str) -> Result<Option<FetchState>>;
    fn put_fetch_state(&mut self, url: &str, state: &FetchState) -> Result<()>;
    fn article(&self, id: &str) -> Result<Option<Article>>;
    /// All articles, oldest first.
    fn articles(&self) -> Result<Vec<Article>>;
    /// Summaries (no text) of these articles, in the order given; ids not stored are skipped.
    fn article_summaries(&self, ids: &[String]) -> Result<Vec<ArticleSummary>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(a) = self.article(id)? {
                out.push(a.into());
            }
        }
        Ok(out)
    }
    fn article_count(&self) -> Result<usize>;
    fn replace_analysis(&mut self, analysis: &Analysis) -> Result<()>;
    /// Stories, largest first, then most recent.
    fn stories(&self) -> Result<Vec<Story>>;
    fn story(&self, id: &str) -> Result<Option<Story>>;
    /// A story's aligned claims, most check-worthy first.
    fn aligned_claims(&self, story_id: &str) -> Result<Vec<AlignedClaim>>;
    /// How many aligned claims of each status every story has (stories without claims are
    /// absent): the feed's at-a-glance counts, without reading every claim whole.
    fn claim_status_counts(&self) -> Result<HashMap<String, StatusCounts>> {
        let mut out = HashMap::new();
        for s in self.stories()? {
            let claims = self.aligned_claims(&s.id)?;
            if !claims.is_empty() {
                out.insert(s.id, StatusCounts::of(claims.iter().map(|c| &c.status)));
            }
        }
        Ok(out)
    }
    fn brief(&self, story_id: &str) -> Result<Option<Brief>>;
    /// Stored embeddings of one model: article id -> (hash of the text it was computed from, vector bytes).
    fn embeddings(&self, model: &str) -> Result<HashMap<String, (String, Vec<u8>)>>;
    /// Stored embeddings of one model for these articles only.
    fn embeddings_of(&self, model: &str, ids: &[String]) -> Result<HashMap<String, (String, Vec<u8>)>> {
        let mut all = self.embeddings(model)?;
        Ok(ids.iter().filter_map(|id| all.remove_entry(id)).collect())
    }
    /// Stores embeddings `(article id, text hash, vector bytes)` in one transaction, replacing older ones.
    fn put_embeddings(&mut self, model: &str, rows: &[(String, String, Vec<u8>)]) -> Result<()>;
    /// Meaning scores of sentence pairs computed before, by pair key (a hash of the two
    /// sentences), for one scoring model. (The default keeps none; both stores keep them.)
    fn meaning_scores(&self, model: &str, pairs: &[String]) -> Result<HashMap<String, f32>> {
        let _ = (model, pairs);
        Ok(HashMap::new())
    }
    fn put_meaning_scores(&mut self, model: &str, rows: &[(String, f32)]) -> Result<()> {
        let _ = (model, rows);
        Ok(())
    }

    // ---- the incremental analysis (dossier-engine) ----

    /// These articles, in the order given; ids not stored are skipped.
    fn articles_by_id(&self, ids: &[String]) -> Result<Vec<Article>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(a) = self.article(id)? {
                out.push(a);
            }
        }
        Ok(out)
    }
    /// Arrivals not analysed yet: those with a batch first, by batch (a
    /// rebuild replays them), then the rest in arrival order; at most `limit`.
    fn pending_arrivals(&self, limit: usize) -> Result<Vec<Arrival>>;
    /// Whether any arrival waits for the analysis.
    fn has_pending(&self) -> Result<bool> {
        Ok(!self.pending_arrivals(1)?.is_empty())
    }
    /// Engine state values by key (missing keys are absent from the answer).
    fn engine_state(&self, keys: &[String]) -> Result<HashMap<String, Vec<u8>>>;
    /// Every engine state value whose key starts with `prefix`.
    fn engine_state_prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>>;
    /// Writes one analysis step atomically (see [`AnalysisStep`]).
    fn commit_step(&mut self, step: &AnalysisStep) -> Result<()>;
    /// Writes the analyses of stories that owed one, in one transaction: each whose mark
    /// still holds the value read (see [`StoryAnalysis::mark`]) and whose story is still
    /// stored; the others are left alone, except that the mark of a story no longer stored
    /// is deleted (it owes nothing). Gives the ids of the stories written, in order.
    fn commit_story_analyses(&mut self, done: &[StoryAnalysis]) -> Result<Vec<String>>;
    /// Takes the analysis lease of each of these stories that no other writer holds, and
    /// gives those taken: writers sharing a store (scaled-out workers) analyse different
    /// stories at once, never one story twice. A lease ends with
    /// [`release_stories`](Self::release_stories) or when the writer's connection does.
    /// An embedded store has one writer at a time (its file lock), so it leases every id.
    fn lease_stories(&mut self, ids: &[String]) -> Result<Vec<String>> {
        Ok(ids.to_vec())
    }
    /// Ends the leases of these stories taken by [`lease_stories`](Self::lease_stories).
    fn release_stories(&mut self, ids: &[String]) -> Result<()> {
        let _ = ids;
        Ok(())
    }
    /// Forgets the analysis (stories, claims, briefs, aliases, engine state)
    /// and marks every arrival pending again, keeping its batch, for a rebuild.
    /// The change log stays.
    fn reset_analysis(&mut self) -> Result<()>;
    /// The story an old (merged-away) story id now belongs to.
    fn story_alias(&self, id: &str) -> Result<Option<String>>;
    /// The story each of these articles is in (articles in none are absent).
    fn stories_of(&self, article_ids: &[String]) -> Result<HashMap<String, String>>;
    /// Change log entries after `since`, oldest first, at most `limit`;
    /// only one story's (or an alias of it) when `story` is given.
    fn changes(&self, since: i64, story: Option<&str>, limit: usize) -> Result<Vec<ChangeEntry>>;
    /// The last change log seq (0 when empty).
    fn last_change(&self) -> Result<i64>;
    /// The last change log seq written before `at` (0 when none): reading
    /// [`Store::changes`] after it gives the entries written at or after `at`.
    fn last_change_before(&self, at: DateTime<Utc>) -> Result<i64>;
    /// Runs `f` inside one read transaction: everything it reads through the store it is given
    /// comes from the same state, even while another connection commits (a story, its claims and
    /// its brief from one analysis). A snapshot inside a snapshot is the outer one. Use
    /// [`snapshot`] for a closure that returns a value.
    fn in_snapshot(&self, f: &mut dyn FnMut(&dyn Store) -> Result<()>) -> Result<()>;
    /// Every stored article's id and [`content_hash`], by id: what changed since a copy
    /// (a search index) was made, without reading the texts.
    fn article_hashes(&self) -> Result<Vec<(String, String)>> {
        let mut out: Vec<(String, String)> = self.articles()?.iter().map(|a| (a.id.clone(), content_hash(a))).collect();
        out.sort();
        Ok(out)
    }
    /// Whether the connection is gone for good (a database server restart): every later call
    /// fails, so a pool drops it and opens another. An embedded store never closes.
    fn is_closed(&self) -> bool {
        false
    }

    /// One aligned claim by its id, in whichever story it is.
    fn aligned_claim(&self, id: &str) -> Result<Option<AlignedClaim>> {
        for story in self.stories()? {
            if let Some(c) = self.aligned_claims(&story.id)?.into_iter().find(|c| c.id == id) {
                return Ok(Some(c));
            }
        }
        Ok(None)
    }

    // ---- saved watches and their alerts (dossier-alerts) ----
    // The defaults keep nothing (a test double); both real stores keep them.

    /// Saved watches, oldest first.
    fn watches(&self) -> Result<Vec<Watch>> {
        Ok(Vec::new())
    }
    fn watch(&self, id: &str) -> Result<Option<Watch>> {
        Ok(self.watches()?.into_iter().find(|w| w.id == id))
    }
    /// Adds a watch, or replaces the stored one of the same id.
    fn put_watch(&mut self, watch: &Watch) -> Result<()> {
        let _ = watch;
        Err(StoreError::Unsupported("watches"))
    }
    /// Removes a watch and its alerts; false when there was no such watch.
    fn remove_watch(&mut self, id: &str) -> Result<bool> {
        let _ = id;
        Ok(false)
    }
    /// In one transaction: stores the watch (its advanced cursor, the claim it follows) and
    /// those alerts whose id is not stored yet, so evaluating a change again never raises its
    /// alert twice. Gives how many alerts were new. A watch removed meanwhile stays removed
    /// (nothing is written, 0).
    fn record_alerts(&mut self, watch: &Watch, alerts: &[Alert]) -> Result<usize> {
        let _ = (watch, alerts);
        Err(StoreError::Unsupported("alerts"))
    }
    /// Alerts, newest first, of one watch (or of all), at most `limit`.
    fn alerts(&self, watch_id: Option<&str>, limit: usize) -> Result<Vec<Alert>> {
        let _ = (watch_id, limit);
        Ok(Vec::new())
    }
    /// Alerts whose webhook delivery is pending and due at `now`, oldest first, at most `limit`.
    fn due_alerts(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Alert>> {
        let _ = (now, limit);
        Ok(Vec::new())
    }
    /// Takes a due alert for one delivery attempt: counts the attempt and puts its next one
    /// off until `lease` (so no other deliverer takes it meanwhile), but only if it is still
    /// pending with `attempts` attempts made. False when another deliverer took it first.
    fn begin_delivery(&mut self, alert_id: &str, attempts: u32, lease: DateTime<Utc>) -> Result<bool> {
        let _ = (alert_id, attempts, lease);
        Ok(false)
    }
    /// Records an attempt's outcome: the alert's delivery as given.
    fn end_delivery(&mut self, alert: &Alert) -> Result<()> {
        let _ = alert;
        Err(StoreError::Unsupported("alerts"))
    }
}

/// [`Store::in_snapshot`] for a closure that gives a value.
pub fn snapshot<T>(store: &dyn Store, f: impl FnOnce(&dyn Store) -> Result<T>) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    store.in_snapshot(&mut |s| {
        let f = f.take().expect("a snapshot runs its closure once");
        out = Some(f(s)?);
        Ok(())
    })?;
    Ok(out.expect("a snapshot that succeeded ran its closure"))
}

const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    found_on TEXT,
    title TEXT NOT NULL,
    outlet TEXT NOT NULL,
    url TEXT,
    source TEXT NOT NULL,
    time TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX articles_time ON articles(time);
CREATE TABLE stories (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    article_count INTEGER NOT NULL,
    last_seen TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE TABLE story_articles (
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    article_id TEXT NOT NULL REFERENCES articles(id),
    PRIMARY KEY (story_id, article_id)
);
CREATE TABLE aligned_claims (
    id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    status TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX aligned_claims_story ON aligned_claims(story_id, rank);
CREATE TABLE briefs (
    story_id TEXT PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    json TEXT NOT NULL
);
"#,
    r#"
ALTER TABLE articles ADD COLUMN content_hash TEXT;
ALTER TABLE articles ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
CREATE INDEX articles_url ON articles(url);
CREATE TABLE revisions (
    article_id TEXT NOT NULL REFERENCES articles(id),
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
"#,
    r#"
CREATE TABLE embeddings (
    article_id TEXT NOT NULL REFERENCES articles(id),
    model TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (article_id, model)
);
"#,
    r#"
ALTER TABLE articles ADD COLUMN outlet_basis TEXT;
ALTER TABLE articles ADD COLUMN teaser_age TEXT;
UPDATE articles SET outlet_basis = json_extract(json, '$.outlet.basis'), teaser_age = json_extract(json, '$.kind.age');
"#,
    r#"
CREATE TABLE meaning_scores (
    pair TEXT NOT NULL,
    model TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (pair, model)
);
"#,
    // The incremental engine: arrivals (what waits for the analysis, and the batches a
    // rebuild replays), its state between runs, merged stories' ids, and the change log.
    // Articles stored before wait for the analysis in publication order.
    r#"
CREATE TABLE arrivals (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id),
    batch INTEGER,
    analysed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX arrivals_pending ON arrivals(analysed, batch, seq);
INSERT INTO arrivals (article_id) SELECT id FROM articles ORDER BY time, id;
CREATE TABLE engine_state (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE story_aliases (id TEXT PRIMARY KEY, story_id TEXT NOT NULL);
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    story_id TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX changes_story ON changes(story_id, seq);
CREATE INDEX story_articles_article ON story_articles(article_id);
"#,
    // Saved watches and their alerts; `state` and `due_ms` (unix milliseconds) pick the
    // webhook deliveries that are due (`state` is NULL for a watch without a webhook).
    r#"
CREATE TABLE watches (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    watch_id TEXT NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    state TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_ms INTEGER,
    json TEXT NOT NULL
);
CREATE INDEX alerts_watch ON alerts(watch_id, seq);
CREATE INDEX alerts_due ON alerts(state, due_ms);
"#,
    // Reading the change log from a time (`--since 2025-06-22`).
    "CREATE INDEX changes_at ON changes(at);",
];

/// How long a connection waits for another one's write lock before "database is locked".
const BUSY_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// The embedded store: `DIR/dossier.sqlite` in WAL mode.
pub struct SqliteStore {
    conn: Connection,
    path: String,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in a data directory and applies migrations.
    pub fn open_dir(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io { path: dir.display().to_string(), source })?;
        Self::open(&dir.join("dossier.sqlite"))
    }

    pub fn open(path: &Path) -> Result<Self> {
        let p = path.display().to_string();
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite { path: p.clone(), source })?;
        let mut s = SqliteStore { conn, path: p };
        s.init()?;
        Ok(s)
    }

    /// A second connection for reading only (a server keeps one per core): writes are refused,
    /// the file is memory-mapped and the page cache is larger, so reads stay off system calls.
    pub fn open_reader(path: &Path) -> Result<Self> {
        let s = Self::open(path)?;
        s.conn.execute_batch("PRAGMA query_only = ON; PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -32768;").map_err(s.e())?;
        Ok(s)
    }

    /// Runs `f` inside one read transaction: everything it reads comes from the same snapshot
    /// of the database, even while a writer commits (and the file locks are taken once).
    pub fn snapshot<T>(&self, f: impl FnOnce(&Self) -> Result<T>) -> Result<T> {
        let tx = self.conn.unchecked_transaction().map_err(self.e())?;
        let out = f(self);
        tx.rollback().map_err(self.e())?;
        out
    }

    pub fn path(&self) -> PathBuf {
        PathBuf::from(&self.path)
    }

    fn e(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        move |source| StoreError::Sqlite { path: self.path.clone(), source }
    }

    fn init(&mut self) -> Result<()> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        self.conn.execute_batch(&format!("PRAGMA busy_timeout={}; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", BUSY_PATIENCE.as_millis())).map_err(wrap)?;
        // Switching a new file to WAL can meet another process doing the same, and
        // SQLite then answers "busy" at once instead of waiting: so wait here.
        let give_up = std::time::Instant::now() + BUSY_PATIENCE;
        loop {
            match self.conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
                Ok(_) => break,
                Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy && std::time::Instant::now() < give_up => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(e) => return Err(wrap(e)),
            }
        }
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(wrap)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path: self.path.clone(), found: version, supported: SCHEMA_VERSION });
        }
        if version == SCHEMA_VERSION {
            return Ok(());
        }
        // Each migration reads the version again under the write lock, so processes
        // opening a fresh or older store at once apply each migration exactly once.
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(wrap)?;
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(wrap)?;
            if now > i as i64 {
                continue;
            }
            tx.execute_batch(m).map_err(wrap)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1)).map_err(wrap)?;
            tx.commit().map_err(wrap)?;
        }
        Ok(())
    }

    fn decode<T: serde::de::DeserializeOwned>(what: &'static str, id: &str, json: &str) -> Result<T> {
        serde_json::from_str(json).map_err(|source| StoreError::Decode { what, id: id.to_string(), source })
    }

    fn query_json<T: serde::de::DeserializeOwned>(&self, what: &'static str, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<T>> {
        let mut st = self.conn.prepare_cached(sql).map_err(self.e())?;
        let rows = st.query_map(args, |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(self.e())?.collect::<rusqlite::Result<Vec<_>>>().map_err(self.e())?;
        rows.iter().map(|(id, json)| Self::decode(what, id, json)).collect()
    }
}

fn basis_name(b: OutletBasis) -> &'static str {
    match b {
        OutletBasis::Given => "given",
        OutletBasis::Page => "page",
        OutletBasis::FileName => "file_name",
    }
}

/// Writes one analysis step inside a transaction (see [`AnalysisStep`]).
fn write_step(tx: &rusqlite::Transaction<'_>, step: &AnalysisStep) -> rusqlite::Result<()> {
    for (gone, keep) in &step.merged {
        tx.execute("DELETE FROM briefs WHERE story_id = ?1", [gone])?;
        tx.execute("DELETE FROM aligned_claims WHERE story_id = ?1", [gone])?;
        tx.execute("DELETE FROM story_articles WHERE story_id = ?1", [gone])?;
        tx.execute("DELETE FROM stories WHERE id = ?1", [gone])?;
        // Older aliases of the merged story follow it to the survivor.
        tx.execute("UPDATE story_aliases SET story_id = ?2 WHERE story_id = ?1", params![gone, keep])?;
        tx.execute("INSERT OR REPLACE INTO story_aliases (id, story_id) VALUES (?1, ?2)", params![gone, keep])?;
    }
    for s in &step.stories {
        tx.execute("DELETE FROM story_articles WHERE story_id = ?1", [&s.id])?;
        tx.execute(
            "INSERT INTO stories (id, title, article_count, last_seen, json) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(id) DO UPDATE SET title = excluded.title, article_count = excluded.article_count, last_seen = excluded.last_seen, json = excluded.json",
            params![s.id, s.title, s.article_ids.len() as i64, s.last_seen.to_rfc3339(), to_json(s)],
        )?;
        // A story that got this id back (merged away before) is no alias any more.
        tx.execute("DELETE FROM story_aliases WHERE id = ?1", [&s.id])?;
        let mut ins = tx.prepare_cached("INSERT OR REPLACE INTO story_articles (story_id, article_id) VALUES (?1, ?2)")?;
        for a in &s.article_ids {
            // An article moves: out of whichever story held it before.
            tx.prepare_cached("DELETE FROM story_articles WHERE article_id = ?1 AND story_id <> ?2")?.execute(params![a, s.id])?;
            ins.execute(params![s.id, a])?;
        }
    }
    for (story, claims) in &step.claims {
        tx.execute("DELETE FROM aligned_claims WHERE story_id = ?1", [story])?;
        let mut ins = tx.prepare_cached("INSERT OR REPLACE INTO aligned_claims (id, story_id, rank, status, json) VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for (rank, c) in claims.iter().enumerate() {
            ins.execute(params![c.id, c.story_id, rank as i64, c.status.as_str(), to_json(c)])?;
        }
    }
    for b in &step.briefs {
        tx.execute("INSERT OR REPLACE INTO briefs (story_id, json) VALUES (?1, ?2)", params![b.story_id, to_json(b)])?;
    }
    {
        let mut put = tx.prepare_cached("INSERT OR REPLACE INTO engine_state (key, value) VALUES (?1, ?2)")?;
        let mut del = tx.prepare_cached("DELETE FROM engine_state WHERE key = ?1")?;
        for (k, v) in &step.state {
            match v {
                Some(v) => put.execute(params![k, v])?,
                None => del.execute([k])?,
            };
        }
        let mut took = tx.prepare_cached("UPDATE arrivals SET analysed = 1, batch = ?2 WHERE seq = ?1")?;
        for seq in &step.arrivals {
            took.execute(params![seq, step.batch])?;
        }
        let mut log = tx.prepare_cached("INSERT INTO changes (at, kind, story_id, json) VALUES (?1, ?2, ?3, ?4)")?;
        for c in &step.changes {
            log.execute(params![c.at.to_rfc3339(), c.kind.as_str(), c.story_id, to_json(c)])?;
        }
    }
    Ok(())
}

fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("model types always serialise")
}

impl Store for SqliteStore {
    fn put_articles(&mut self, articles: &[Article]) -> Result<Put> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(wrap)?;
        let mut put = Put::default();
        for a in articles {
            let (kind, found_on, age) = match &a.kind {
                ArticleKind::Main => ("main", None, None),
                ArticleKind::Teaser { found_on, age } => ("teaser", Some(found_on.as_str()), age.as_deref()),
            };
            let hash = content_hash(a);
            let stored: Option<(Option<String>, i64, String)> = tx
                .prepare_cached("SELECT content_hash, revision, json FROM articles WHERE id = ?1")
                .map_err(wrap)?
                .query_row([&a.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
                .map_err(wrap)?;
            match stored {
                None => {
                    tx.prepare_cached("INSERT INTO articles (id, kind, found_on, title, outlet, url, source, time, json, content_hash, revision, outlet_basis, teaser_age) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12)")
                        .map_err(wrap)?
                        .execute(params![a.id, kind, found_on, a.title, a.outlet.name, a.url, a.source, a.time().to_rfc3339(), to_json(a), hash, basis_name(a.outlet.basis), age])
                        .map_err(wrap)?;
                    tx.prepare_cached("INSERT INTO arrivals (article_id) VALUES (?1)").map_err(wrap)?.execute([&a.id]).map_err(wrap)?;
                    put.new += 1;
                }
                Some((old_hash, revision, old_json)) => {
                    let old_hash = match old_hash {
                        Some(h) => h,
                        None => content_hash(&Self::decode::<Article>("article", &a.id, &old_json)?),
                    };
                    if old_hash == hash {
                        put.unchanged += 1;
                        continue;
                    }
                    tx.prepare_cached("INSERT INTO revisions (article_id, revision, content_hash, json) VALUES (?1, ?2, ?3, ?4)")
                        .map_err(wrap)?
                        .execute(params![a.id, revision, old_hash, old_json])
                        .map_err(wrap)?;
                    tx.prepare_cached("UPDATE articles SET title = ?2, outlet = ?3, url = ?4, source = ?5, time = ?6, json = ?7, content_hash = ?8, revision = ?9, kind = ?10, found_on = ?11, outlet_basis = ?12, teaser_age = ?13 WHERE id = ?1")
                        .map_err(wrap)?
                        .execute(params![a.id, a.title, a.outlet.name, a.url, a.source, a.time().to_rfc3339(), to_json(a), hash, revision + 1, kind, found_on, basis_name(a.outlet.basis), age])
                        .map_err(wrap)?;
                    tx.prepare_cached("INSERT INTO arrivals (article_id) VALUES (?1)").map_err(wrap)?.execute([&a.id]).map_err(wrap)?;
                    put.revised += 1;
                }
            }
        }
        tx.commit().map_err(wrap)?;
        Ok(put)
    }

    fn revisions(&self, id: &str) -> Result<Vec<Revision>> {
        let mut out = Vec::new();
        let mut st = self.conn.prepare_cached("SELECT revision, content_hash, json FROM revisions WHERE article_id = ?1 ORDER BY revision").map_err(self.e())?;
        let rows = st.query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))).map_err(self.e())?.collect::<rusqlite::Result<Vec<_>>>().map_err(self.e())?;
        for (n, hash, json) in rows {
            out.push(Revision { number: n as u32, content_hash: hash, article: Self::decode("revision", id, &json)? });
        }
        let current: Option<(i64, Option<String>, String)> =
            self.conn.query_row("SELECT revision, content_hash, json FROM articles WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional().map_err(self.e())?;
        if let Some((n, hash, json)) = current {
            let article: Article = Self::decode("article", id, &json)?;
            let hash = hash.unwrap_or_else(|| content_hash(&article));
            out.push(Revision { number: n as u32, content_hash: hash, article });
        }
        Ok(out)
    }

    fn has_url(&self, url: &str) -> Result<bool> {
        self.conn.query_row("SELECT EXISTS(SELECT 1 FROM articles WHERE url = ?1)", [url], |r| r.get::<_, bool>(0)).map_err(self.e())
    }

    fn fetch_state(&self, url: &str) -> Result<Option<FetchState>> {
        self.conn
            .query_row("SELECT etag, last_modified, status, fetched_at, listed FROM fetch_state WHERE url = ?1", [url], |r| {
                Ok(FetchState { etag: r.get(0)?, last_modified: r.get(1)?, status: r.get::<_, Option<i64>>(2)?.map(|s| s as u16), fetched_at: r.get(3)?, listed: r.get(4)? })
            })
            .optional()
            .map_err(self.e())
    }

    fn put_fetch_state(&mut self, url: &str, state: &FetchState) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO fetch_state (url, etag, last_modified, status, fetched_at, listed) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified, status = excluded.status,
                 fetched_at = excluded.fetched_at, listed = excluded.listed",
                params![url, state.etag, state.last_modified, state.status.map(i64::from), state.fetched_at, state.listed],
            )
            .map(|_| ())
            .map_err(self.e())
    }

    fn article(&self, id: &str) -> Result<Option<Article>> {
        let json: Option<String> = self.conn.query_row("SELECT json FROM articles WHERE id = ?1", [id], |r| r.get(0)).optional().map_err(self.e())?;
        json.map(|j| Self::decode("article", id, &j)).transpose()
    }

    fn articles(&self) -> Result<Vec<Article>> {
        self.query_json("article", "SELECT id, json FROM articles ORDER BY time, id", &[])
    }

    fn article_summaries(&self, ids: &[String]) -> Result<Vec<ArticleSummary>> {
        let mut st = self.conn.prepare_cached("SELECT kind, found_on, teaser_age, title, outlet, outlet_basis, url, source, time FROM articles WHERE id = ?1").map_err(self.e())?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let row = st
                .query_row([id], |r| {
                    Ok((
                        (r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?),
                        (r.get::<_, String>(3)?, r.get::<_, String>(4)?, r.get::<_, Option<String>>(5)?),
                        (r.get::<_, Option<String>>(6)?, r.get::<_, String>(7)?, r.get::<_, String>(8)?),
                    ))
                })
                .optional()
                .map_err(self.e())?;
            let Some(((kind, found_on, age), (title, outlet, basis), (url, source, time))) = row else { continue };
            let bad = |what: &str, value: &str| StoreError::Corrupt { what: format!("article {id}: {what} {value:?}") };
            let kind = match (kind.as_str(), found_on) {
                ("main", _) => ArticleKind::Main,
                ("teaser", Some(found_on)) => ArticleKind::Teaser { found_on, age },
                (k, _) => return Err(bad("kind", k)),
            };
            let basis = match basis.as_deref() {
                Some("given") => OutletBasis::Given,
                Some("page") => OutletBasis::Page,
                Some("file_name") => OutletBasis::FileName,
                other => return Err(bad("outlet basis", other.unwrap_or("NULL"))),
            };
            let time = chrono::DateTime::parse_from_rfc3339(&time).map_err(|_| bad("time", &time))?.with_timezone(&chrono::Utc);
            out.push(ArticleSummary { id: id.clone(), title, outlet: Outlet { name: outlet, basis }, url, time, kind, source });
        }
        Ok(out)
    }

    fn article_count(&self) -> Result<usize> {
        self.conn.query_row("SELECT count(*) FROM articles", [], |r| r.get::<_, i64>(0)).map(|n| n as usize).map_err(self.e())
    }

    fn replace_analysis(&mut self, analysis: &Analysis) -> Result<()> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(wrap)?;
        tx.execute_batch("DELETE FROM briefs; DELETE FROM aligned_claims; DELETE FROM story_articles; DELETE FROM stories;").map_err(wrap)?;
        for s in &analysis.stories {
            tx.execute(
                "INSERT INTO stories (id, title, article_count, last_seen, json) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![s.id, s.title, s.article_ids.len() as i64, s.last_seen.to_rfc3339(), to_json(s)],
            )
            .map_err(wrap)?;
            for a in &s.article_ids {
                tx.execute("INSERT INTO story_articles (story_id, article_id) VALUES (?1, ?2)", params![s.id, a]).map_err(wrap)?;
            }
        }
        for (rank, c) in analysis.claims.iter().enumerate() {
            tx.execute("INSERT INTO aligned_claims (id, story_id, rank, status, json) VALUES (?1, ?2, ?3, ?4, ?5)", params![c.id, c.story_id, rank as i64, c.status.as_str(), to_json(c)])
                .map_err(wrap)?;
        }
        for b in &analysis.briefs {
            tx.execute("INSERT INTO briefs (story_id, json) VALUES (?1, ?2)", params![b.story_id, to_json(b)]).map_err(wrap)?;
        }
        tx.commit().map_err(wrap)
    }

    fn stories(&self) -> Result<Vec<Story>> {
        self.query_json("story", "SELECT id, json FROM stories ORDER BY article_count DESC, last_seen DESC, id", &[])
    }

    fn story(&self, id: &str) -> Result<Option<Story>> {
        Ok(self.query_json("story", "SELECT id, json FROM stories WHERE id = ?1", &[&id])?.pop())
    }

    fn aligned_claims(&self, story_id: &str) -> Result<Vec<AlignedClaim>> {
        self.query_json("aligned claim", "SELECT id, json FROM aligned_claims WHERE story_id = ?1 ORDER BY rank", &[&story_id])
    }

    fn embeddings(&self, model: &str) -> Result<HashMap<String, (String, Vec<u8>)>> {
        let mut st = self.conn.prepare_cached("SELECT article_id, text_hash, vector FROM embeddings WHERE model = ?1").map_err(self.e())?;
        let rows = st
            .query_map([model], |r| Ok((r.get::<_, String>(0)?, (r.get::<_, String>(1)?, r.get::<_, Vec<u8>>(2)?))))
            .map_err(self.e())?
            .collect::<rusqlite::Result<HashMap<_, _>>>()
            .map_err(self.e())?;
        Ok(rows)
    }

    fn put_embeddings(&mut self, model: &str, rows: &[(String, String, Vec<u8>)]) -> Result<()> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(wrap)?;
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO embeddings (article_id, model, text_hash, vector) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(article_id, model) DO UPDATE SET text_hash = excluded.text_hash, vector = excluded.vector",
                )
                .map_err(wrap)?;
            for (id, hash, v) in rows {
                st.execute(params![id, model, hash, v]).map_err(wrap)?;
            }
        }
        tx.commit().map_err(wrap)
    }

    fn meaning_scores(&self, model: &str, pairs: &[String]) -> Result<HashMap<String, f32>> {
        let mut st = self.conn.prepare_cached("SELECT score FROM meaning_scores WHERE pair = ?1 AND model = ?2").map_err(self.e())?;
        let mut out = HashMap::new();
        for p in pairs {
            if let Some(score) = st.query_row(params![p, model], |r| r.get::<_, f64>(0)).optional().map_err(self.e())? {
                out.insert(p.clone(), score as f32);
            }
        }
        Ok(out)
    }

    fn put_meaning_scores(&mut self, model: &str, rows: &[(String, f32)]) -> Result<()> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(wrap)?;
        {
            let mut st = tx.prepare_cached("INSERT OR REPLACE INTO meaning_scores (pair, model, score) VALUES (?1, ?2, ?3)").map_err(wrap)?;
            for (p, score) in rows {
                st.execute(params![p, model, *score as f64]).map_err(wrap)?;
            }
        }
        tx.commit().map_err(wrap)
    }

    fn brief(&self, story_id: &str) -> Result<Option<Brief>> {
        Ok(self.query_json("brief", "SELECT story_id, json FROM briefs WHERE story_id = ?1", &[&story_id])?.pop())
    }

    fn embeddings_of(&self, model: &str, ids: &[String]) -> Result<HashMap<String, (String, Vec<u8>)>> {
        let mut st = self.conn.prepare_cached("SELECT text_hash, vector FROM embeddings WHERE article_id = ?1 AND model = ?2").map_err(self.e())?;
        let mut out = HashMap::new();
        for id in ids {
            if let Some(row) = st.query_row(params![id, model], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).optional().map_err(self.e())? {
                out.insert(id.clone(), row);
            }
        }
        Ok(out)
    }

    fn articles_by_id(&self, ids: &[String]) -> Result<Vec<Article>> {
        let mut st = self.conn.prepare_cached("SELECT json FROM articles WHERE id = ?1").map_err(self.e())?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(json) = st.query_row([id], |r| r.get::<_, String>(0)).optional().map_err(self.e())? {
                out.push(Self::decode("article", id, &json)?);
            }
        }
        Ok(out)
    }

    fn pending_arrivals(&self, limit: usize) -> Result<Vec<Arrival>> {
        let mut st = self.conn.prepare_cached("SELECT seq, article_id, batch FROM arrivals WHERE analysed = 0 ORDER BY batch IS NULL, batch, seq LIMIT ?1").map_err(self.e())?;
        let rows = st.query_map([limit as i64], |r| Ok(Arrival { seq: r.get(0)?, article_id: r.get(1)?, batch: r.get(2)? })).map_err(self.e())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.e())
    }

    fn has_pending(&self) -> Result<bool> {
        self.conn.query_row("SELECT EXISTS(SELECT 1 FROM arrivals WHERE analysed = 0)", [], |r| r.get::<_, bool>(0)).map_err(self.e())
    }

    fn engine_state(&self, keys: &[String]) -> Result<HashMap<String, Vec<u8>>> {
        let mut st = self.conn.prepare_cached("SELECT value FROM engine_state WHERE key = ?1").map_err(self.e())?;
        let mut out = HashMap::new();
        for k in keys {
            if let Some(v) = st.query_row([k], |r| r.get::<_, Vec<u8>>(0)).optional().map_err(self.e())? {
                out.insert(k.clone(), v);
            }
        }
        Ok(out)
    }

    fn engine_state_prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        // A range over the primary key: prefix <= key < prefix + U+10FFFF.
        let end = format!("{prefix}\u{10FFFF}");
        let mut st = self.conn.prepare_cached("SELECT key, value FROM engine_state WHERE key >= ?1 AND key < ?2 ORDER BY key").map_err(self.e())?;
        let rows = st.query_map([prefix, end.as_str()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))).map_err(self.e())?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(self.e())
    }

    fn commit_step(&mut self, step: &AnalysisStep) -> Result<()> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(wrap)?;
        write_step(&tx, step).map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    fn commit_story_analyses(&mut self, done: &[StoryAnalysis]) -> Result<Vec<String>> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(wrap)?;
        let mut step = AnalysisStep::default();
        let mut written = Vec::new();
        for a in done {
            let mark: Option<Vec<u8>> = tx.query_row("SELECT value FROM engine_state WHERE key = ?1", [&a.mark.0], |r| r.get(0)).optional().map_err(wrap)?;
            if mark.as_ref() != Some(&a.mark.1) {
                continue;
            }
            let stored: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM stories WHERE id = ?1)", [&a.story_id], |r| r.get(0)).map_err(wrap)?;
            step.state.push((a.mark.0.clone(), None));
            let Some(brief) = a.brief.as_ref().filter(|_| stored) else { continue };
            step.claims.push((a.story_id.clone(), a.claims.clone()));
            step.briefs.push(brief.clone());
            step.state.extend(a.state.iter().cloned());
            step.changes.extend(a.changes.iter().cloned());
            written.push(a.story_id.clone());
        }
        write_step(&tx, &step).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(written)
    }

    fn reset_analysis(&mut self) -> Result<()> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(wrap)?;
        tx.execute_batch(
            "DELETE FROM briefs; DELETE FROM aligned_claims; DELETE FROM story_articles; DELETE FROM stories;
             DELETE FROM story_aliases; DELETE FROM engine_state; UPDATE arrivals SET analysed = 0;",
        )
        .map_err(wrap)?;
        tx.commit().map_err(wrap)
    }

    fn story_alias(&self, id: &str) -> Result<Option<String>> {
        self.conn.query_row("SELECT story_id FROM story_aliases WHERE id = ?1", [id], |r| r.get(0)).optional().map_err(self.e())
    }

    fn claim_status_counts(&self) -> Result<HashMap<String, StatusCounts>> {
        let mut st = self.conn.prepare_cached("SELECT story_id, status, COUNT(*) FROM aligned_claims GROUP BY story_id, status").map_err(self.e())?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))).map_err(self.e())?;
        let mut out: HashMap<String, StatusCounts> = HashMap::new();
        for row in rows {
            let (story, status, n) = row.map_err(self.e())?;
            let status = ClaimStatus::parse(&status).ok_or_else(|| StoreError::Corrupt { what: format!("aligned claim of story {story}: status {status:?}") })?;
            out.entry(story).or_default().add(status, n as usize);
        }
        Ok(out)
    }

    fn stories_of(&self, article_ids: &[String]) -> Result<HashMap<String, String>> {
        let mut st = self.conn.prepare_cached("SELECT story_id FROM story_articles WHERE article_id = ?1").map_err(self.e())?;
        let mut out = HashMap::new();
        for a in article_ids {
            if let Some(s) = st.query_row([a], |r| r.get::<_, String>(0)).optional().map_err(self.e())? {
                out.insert(a.clone(), s);
            }
        }
        Ok(out)
    }

    fn changes(&self, since: i64, story: Option<&str>, limit: usize) -> Result<Vec<ChangeEntry>> {
        let rows: Vec<(i64, String)> = match story {
            Some(id) => {
                let id = self.story_alias(id)?.unwrap_or_else(|| id.to_string());
                let mut st = self
                    .conn
                    .prepare_cached("SELECT seq, json FROM changes WHERE seq > ?1 AND (story_id = ?2 OR story_id IN (SELECT id FROM story_aliases WHERE story_id = ?2)) ORDER BY seq LIMIT ?3")
                    .map_err(self.e())?;
                let r = st.query_map(params![since, id, limit as i64], |r| Ok((r.get(0)?, r.get(1)?))).map_err(self.e())?.collect::<rusqlite::Result<Vec<_>>>();
                r.map_err(self.e())?
            }
            None => {
                let mut st = self.conn.prepare_cached("SELECT seq, json FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2").map_err(self.e())?;
                let r = st.query_map(params![since, limit as i64], |r| Ok((r.get(0)?, r.get(1)?))).map_err(self.e())?.collect::<rusqlite::Result<Vec<_>>>();
                r.map_err(self.e())?
            }
        };
        rows.into_iter()
            .map(|(seq, json)| {
                let mut c: ChangeEntry = Self::decode("change", &seq.to_string(), &json)?;
                c.seq = seq;
                Ok(c)
            })
            .collect()
    }

    fn last_change(&self) -> Result<i64> {
        self.conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes", [], |r| r.get(0)).map_err(self.e())
    }

    fn last_change_before(&self, at: DateTime<Utc>) -> Result<i64> {
        // `at` is stored as RFC 3339 in UTC, which sorts as text in time order.
        self.conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM changes WHERE at < ?1", [at.to_rfc3339()], |r| r.get(0)).map_err(self.e())
    }
    fn in_snapshot(&self, f: &mut dyn FnMut(&dyn Store) -> Result<()>) -> Result<()> {
        if !self.conn.is_autocommit() {
            // Inside a transaction already (an outer snapshot): that is the snapshot.
            return f(self);
        }
        self.snapshot(|s| f(s))
    }

    fn article_hashes(&self) -> Result<Vec<(String, String)>> {
        let mut st = self.conn.prepare_cached("SELECT id, content_hash, CASE WHEN content_hash IS NULL THEN json END FROM articles ORDER BY id").map_err(self.e())?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?)))
            .map_err(self.e())?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.e())?;
        rows.into_iter()
            .map(|(id, hash, json)| match hash {
                Some(h) => Ok((id, h)),
                // A row from before content hashes were kept.
                None => {
                    let a: Article = Self::decode("article", &id, json.as_deref().unwrap_or_default())?;
                    Ok((id, content_hash(&a)))
                }
            })
            .collect()
    }

    fn aligned_claim(&self, id: &str) -> Result<Option<AlignedClaim>> {
        Ok(self.query_json("aligned claim", "SELECT id, json FROM aligned_claims WHERE id = ?1", &[&id])?.pop())
    }

    fn watches(&self) -> Result<Vec<Watch>> {
        self.query_json("watch", "SELECT id, json FROM watches ORDER BY created, id", &[])
    }

    fn watch(&self, id: &str) -> Result<Option<Watch>> {
        Ok(self.query_json("watch", "SELECT id, json FROM watches WHERE id = ?1", &[&id])?.pop())
    }

    fn put_watch(&mut self, watch: &Watch) -> Result<()> {
        self.conn
            .execute("INSERT INTO watches (id, created, json) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET json = excluded.json", params![watch.id, watch.created.to_rfc3339(), to_json(watch)])
            .map(|_| ())
            .map_err(self.e())
    }

    fn remove_watch(&mut self, id: &str) -> Result<bool> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(wrap)?;
        tx.execute("DELETE FROM alerts WHERE watch_id = ?1", [id]).map_err(wrap)?;
        let n = tx.execute("DELETE FROM watches WHERE id = ?1", [id]).map_err(wrap)?;
        tx.commit().map_err(wrap)?;
        Ok(n > 0)
    }

    fn record_alerts(&mut self, watch: &Watch, alerts: &[Alert]) -> Result<usize> {
        let path = self.path.clone();
        let wrap = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(wrap)?;
        if tx.execute("UPDATE watches SET json = ?2 WHERE id = ?1", params![watch.id, to_json(watch)]).map_err(wrap)? == 0 {
            return Ok(0);
        }
        let mut new = 0;
        {
            let mut ins = tx.prepare_cached("INSERT INTO alerts (id, watch_id, seq, state, attempts, due_ms, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO NOTHING").map_err(wrap)?;
            for a in alerts {
                let (state, attempts, due) = delivery_columns(a);
                new += ins.execute(params![a.id, a.watch_id, a.seq, state, attempts, due, to_json(a)]).map_err(wrap)?;
            }
        }
        tx.commit().map_err(wrap)?;
        Ok(new)
    }

    fn alerts(&self, watch_id: Option<&str>, limit: usize) -> Result<Vec<Alert>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows: Vec<(String, i64, String)> = {
            let (sql, args): (&str, Vec<&dyn rusqlite::ToSql>) = match &watch_id {
                Some(w) => ("SELECT id, attempts, json FROM alerts WHERE watch_id = ?1 ORDER BY seq DESC, id LIMIT ?2", vec![w, &limit]),
                None => ("SELECT id, attempts, json FROM alerts ORDER BY seq DESC, id LIMIT ?1", vec![&limit]),
            };
            let mut st = self.conn.prepare_cached(sql).map_err(self.e())?;
            let rows = st.query_map(args.as_slice(), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(self.e())?.collect::<rusqlite::Result<Vec<_>>>().map_err(self.e())?;
            rows
        };
        rows.iter().map(|(id, attempts, json)| decode_alert(id, *attempts, json)).collect()
    }

    fn due_alerts(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<Alert>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut st = self.conn.prepare_cached("SELECT id, attempts, json FROM alerts WHERE state = 'pending' AND due_ms <= ?1 ORDER BY due_ms, seq LIMIT ?2").map_err(self.e())?;
        let rows: Vec<(String, i64, String)> =
            st.query_map(params![now.timestamp_millis(), limit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(self.e())?.collect::<rusqlite::Result<Vec<_>>>().map_err(self.e())?;
        rows.iter().map(|(id, attempts, json)| decode_alert(id, *attempts, json)).collect()
    }

    fn begin_delivery(&mut self, alert_id: &str, attempts: u32, lease: DateTime<Utc>) -> Result<bool> {
        let n = self
            .conn
            .execute("UPDATE alerts SET attempts = attempts + 1, due_ms = ?3 WHERE id = ?1 AND state = 'pending' AND attempts = ?2", params![alert_id, i64::from(attempts), lease.timestamp_millis()])
            .map_err(self.e())?;
        Ok(n == 1)
    }

    fn end_delivery(&mut self, alert: &Alert) -> Result<()> {
        let (state, attempts, due) = delivery_columns(alert);
        self.conn.execute("UPDATE alerts SET state = ?2, attempts = ?3, due_ms = ?4, json = ?5 WHERE id = ?1", params![alert.id, state, attempts, due, to_json(alert)]).map(|_| ()).map_err(self.e())
    }
}

/// The columns that pick due deliveries: state (NULL without a webhook), attempts, due time (unix ms).
pub fn delivery_columns(a: &Alert) -> (Option<&'static str>, i64, Option<i64>) {
    match &a.delivery {
        None => (None, 0, None),
        Some(d) => (Some(d.state.as_str()), i64::from(d.attempts), d.next_attempt.map(|t| t.timestamp_millis())),
    }
}

/// An alert as stored; its attempts are the column's (an attempt begun and never ended counts).
pub fn decode_alert(id: &str, attempts: i64, json: &str) -> Result<Alert> {
    let mut a: Alert = serde_json::from_str(json).map_err(|source| StoreError::Decode { what: "alert", id: id.to_string(), source })?;
    if let Some(d) = &mut a.delivery {
        d.attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::article;

    crate::store_conformance_tests!(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_dir(dir.path()).unwrap();
        // The folder lives as long as the test process; each test gets its own.
        std::mem::forget(dir);
        Some(Box::new(store) as Box<dyn Store>)
    });

    #[test]
    fn many_opening_a_fresh_store_at_once_all_succeed() {
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let go = std::sync::Arc::new(std::sync::Barrier::new(8));
            let opened: Vec<_> = (0..8)
                .map(|_| {
                    let (d, go) = (dir.path().to_path_buf(), go.clone());
                    std::thread::spawn(move || {
                        go.wait();
                        SqliteStore::open_dir(&d).map(|mut s| s.put_articles(&[article("a", "x")]).map(|_| ()))
                    })
                })
                .collect();
            for t in opened {
                t.join().unwrap().expect("opens").expect("writes");
            }
            let s = SqliteStore::open_dir(dir.path()).unwrap();
            let v: i64 = s.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
            assert_eq!((v, s.articles().unwrap().len()), (SCHEMA_VERSION, 1));
        }
    }

    #[test]
    fn wal_mode_in_a_real_file_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open_dir(dir.path()).unwrap();
        s.put_articles(&[article("a", "x"), article("b", "y")]).unwrap();
        let mode: String = s.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        drop(s);
        let s = SqliteStore::open_dir(dir.path()).unwrap();
        assert_eq!(s.articles().unwrap().len(), 2);
    }

    #[test]
    fn a_reader_snapshot_does_not_see_a_commit_made_during_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SqliteStore::open_dir(dir.path()).unwrap();
        w.put_articles(&[article("a", "x")]).unwrap();
        let r = SqliteStore::open_reader(&w.path()).unwrap();
        let seen = r
            .snapshot(|r| {
                let before = r.article_count()?;
                w.put_articles(&[article("b", "y")]).unwrap();
                Ok((before, r.article_count()?, r.article("b")?.is_some()))
            })
            .unwrap();
        assert_eq!(seen, (1, 1, false), "one snapshot throughout");
        assert_eq!(r.article_count().unwrap(), 2, "the next read sees the commit");
        // The reader refuses to write.
        let mut r = r;
        assert!(r.put_articles(&[article("c", "z")]).is_err());
    }

    #[test]
    fn migrates_a_version_one_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dossier.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(MIGRATIONS[0]).unwrap();
            c.execute_batch("PRAGMA user_version = 1").unwrap();
            let a = article("old", "old text");
            c.execute(
                "INSERT INTO articles (id, kind, title, outlet, source, time, json) VALUES (?1, 'main', ?2, 'Outlet', 'test', ?3, ?4)",
                params![a.id, a.title, a.time().to_rfc3339(), to_json(&a)],
            )
            .unwrap();
        }
        let mut s = SqliteStore::open(&path).unwrap();
        assert_eq!(s.article_count().unwrap(), 1);
        // Summary columns added later were filled from the stored JSON.
        assert_eq!(s.article_summaries(&["old".into()]).unwrap(), vec![ArticleSummary::from(article("old", "old text"))]);
        // A row from before content hashes were kept still compares by content.
        assert_eq!(s.put_articles(&[article("old", "old text")]).unwrap().unchanged, 1);
        assert_eq!(s.put_articles(&[article("old", "new text")]).unwrap().revised, 1);
        // Later migrations ran too: embeddings can be stored.
        s.put_embeddings("m", &[("old".into(), "h".into(), vec![1, 2])]).unwrap();
        let v: i64 = s.conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn refuses_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dossier.sqlite");
        Connection::open(&path).unwrap().execute_batch("PRAGMA user_version = 99").unwrap();
        assert!(matches!(SqliteStore::open(&path), Err(StoreError::TooNew { found: 99, .. })));
    }
}
