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
//! - Text columns compare in byte order (`COLLATE "C"`), so reads come back in
//!   the same order as from SQLite whatever the database's locale.
//!
//! Connections are plain TCP or a unix socket (no TLS in this build): keep the
//! database on a private network or put a TLS tunnel in front.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use dossier_model::{AlignedClaim, Article, Brief, Story};
use dossier_store::{content_hash, snapshot, Analysis, FetchState, Put, Result, Revision, Store, StoreError};
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
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Advisory lock keys ("dossier" + a number), shared by every worker of a database.
const MIGRATION_LOCK: i64 = 0x646f_7373_6965_7201;
const ANALYSIS_LOCK: i64 = 0x646f_7373_6965_7202;

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

/// Outcome of one article inside [`put_articles`](Store::put_articles), before commit.
enum Effect {
    New,
    Revised,
    Unchanged,
}

fn put_one(tx: &mut postgres::Transaction<'_>, a: &Article) -> std::result::Result<Effect, postgres::Error> {
    let (kind, found_on) = match &a.kind {
        dossier_model::ArticleKind::Main => ("main", None),
        dossier_model::ArticleKind::Teaser { found_on, .. } => ("teaser", Some(clean(found_on).into_owned())),
    };
    let hash = content_hash(a);
    let json = to_json(a);
    let (title, outlet, url, source, time) = (clean(&a.title), clean(&a.outlet.name), a.url.as_deref().map(clean), clean(&a.source), a.time().to_rfc3339());
    let inserted = tx.execute(
        "INSERT INTO articles (id, kind, found_on, title, outlet, url, source, time, json, content_hash, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1) ON CONFLICT (id) DO NOTHING",
        &[&a.id, &kind, &found_on, &title, &outlet, &url, &source, &time, &json, &hash],
    )?;
    if inserted == 1 {
        return Ok(Effect::New);
    }
    // Stored already (perhaps a moment ago by another worker): lock the row and compare content.
    let row = tx.query_one("SELECT content_hash, revision, json FROM articles WHERE id = $1 FOR UPDATE", &[&a.id])?;
    let (old_hash, revision, old_json): (String, i32, String) = (row.get(0), row.get(1), row.get(2));
    if old_hash == hash {
        return Ok(Effect::Unchanged);
    }
    tx.execute("INSERT INTO revisions (article_id, revision, content_hash, json) VALUES ($1, $2, $3, $4)", &[&a.id, &revision, &old_hash, &old_json])?;
    tx.execute(
        "UPDATE articles SET title = $2, outlet = $3, url = $4, source = $5, time = $6, json = $7, content_hash = $8, revision = $9 WHERE id = $1",
        &[&a.id, &title, &outlet, &url, &source, &time, &json, &hash, &(revision + 1)],
    )?;
    Ok(Effect::Revised)
}

impl Store for PgStore {
    fn put_articles(&mut self, articles: &[Article]) -> Result<Put> {
        // Rows are locked in id order (stable: copies of one id keep their
        // order), so concurrent batches cannot deadlock on each other.
        let mut order: Vec<&Article> = articles.iter().collect();
        order.sort_by(|a, b| a.id.cmp(&b.id));
        self.write(|tx| {
            let mut put = Put::default();
            for a in &order {
                match put_one(tx, a)? {
                    Effect::New => put.new += 1,
                    Effect::Revised => put.revised += 1,
                    Effect::Unchanged => put.unchanged += 1,
                }
            }
            if put.new + put.revised > 0 {
                // Last, so the one hot row is held only for the commit.
                tx.execute("UPDATE analysis_state SET articles_version = articles_version + 1", &[])?;
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
