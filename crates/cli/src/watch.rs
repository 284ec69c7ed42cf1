//! `dossier watch CONFIG`: poll feeds, news sitemaps and URL lists; fetch new
//! items politely; extract, store and analyse them. The config format is
//! documented in `examples/watch.toml`.

use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use dossier_fetch::{CrawlConfig, Crawler, FetchConfig, Outcome, Validators};
use dossier_ingest::{article_from_page, PageHints};
use dossier_model::Article;
use dossier_sources::sitemaps::Sitemap;
use dossier_store::{FetchState, SqliteStore, Store};

use crate::embeddings::Embedding;
use serde::Deserialize;

fn default_user_agent() -> String {
    FetchConfig::default().user_agent
}
fn default_interval() -> u64 {
    15
}
fn default_delay() -> u64 {
    1000
}
fn default_concurrency() -> usize {
    8
}
fn default_max_items() -> usize {
    200
}
fn default_max_body_mb() -> usize {
    10
}
fn yes() -> bool {
    true
}

/// The watch configuration (TOML).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchConfig {
    #[serde(default = "default_user_agent")]
    pub user_agent: String,
    /// Minutes between rounds.
    #[serde(default = "default_interval")]
    pub interval_minutes: u64,
    /// Pause between two requests to the same host.
    #[serde(default = "default_delay")]
    pub per_host_delay_ms: u64,
    /// Pages fetched at once (across hosts; one per host at a time).
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// New items taken from one source per round.
    #[serde(default = "default_max_items")]
    pub max_items_per_source: usize,
    #[serde(default = "default_max_body_mb")]
    pub max_body_mb: usize,
    #[serde(default = "yes")]
    pub respect_robots: bool,
    /// Let fetches reach private, loopback and link-local addresses.
    #[serde(default)]
    pub allow_private: bool,
    #[serde(rename = "source", default)]
    pub sources: Vec<SourceConfig>,
}

/// One place to poll: exactly one of `feed`, `sitemap`, `urls`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    pub name: Option<String>,
    pub feed: Option<String>,
    pub sitemap: Option<String>,
    /// A file of URLs, one per line (relative to the config file).
    pub urls: Option<PathBuf>,
    /// The outlet to credit, when the pages do not name themselves.
    pub outlet: Option<String>,
}

impl SourceConfig {
    fn label(&self) -> String {
        self.name.clone().or_else(|| self.feed.clone()).or_else(|| self.sitemap.clone()).or_else(|| self.urls.as_ref().map(|p| p.display().to_string())).unwrap_or_default()
    }
}

pub fn load_config(path: &Path) -> anyhow::Result<WatchConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut cfg: WatchConfig = toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if cfg.sources.is_empty() {
        bail!("{}: no [[source]] entries", path.display());
    }
    let base = path.parent().unwrap_or(Path::new("."));
    for (i, s) in cfg.sources.iter_mut().enumerate() {
        let n = [s.feed.is_some(), s.sitemap.is_some(), s.urls.is_some()].iter().filter(|b| **b).count();
        if n != 1 {
            bail!("{}: source {} ({}) needs exactly one of feed, sitemap, urls", path.display(), i + 1, s.label());
        }
        if let Some(u) = &s.urls {
            if u.is_relative() {
                s.urls = Some(base.join(u));
            }
        }
    }
    if cfg.concurrency == 0 || cfg.interval_minutes == 0 {
        bail!("{}: concurrency and interval_minutes must be at least 1", path.display());
    }
    Ok(cfg)
}

/// An item found in a source, not fetched yet.
#[derive(Debug, Clone)]
struct Candidate {
    url: String,
    source: String,
    hints: PageHints,
}

/// What one source gave in a round.
#[derive(Default)]
struct Discovered {
    items: Vec<Candidate>,
    states: Vec<(String, FetchState)>,
    errors: Vec<String>,
}

fn state_of(page: &dossier_fetch::Fetched) -> FetchState {
    FetchState { etag: page.etag.clone(), last_modified: page.last_modified.clone(), status: Some(page.status), fetched_at: Utc::now().to_rfc3339(), listed: None }
}

/// Resolves a listing's link against the listing's own URL.
fn resolve(base: &str, link: &str) -> String {
    url::Url::parse(base).and_then(|b| b.join(link)).map(|u| u.to_string()).unwrap_or_else(|_| link.to_string())
}

/// Fetches a feed or sitemap conditionally. None when unchanged since last time.
async fn fetch_listing(crawler: &Crawler, url: &str, known: &HashMap<String, Validators>, out: &mut Discovered) -> Option<Vec<u8>> {
    let v = known.get(url).cloned().unwrap_or_default();
    match crawler.get(url, &v).await {
        Ok(Outcome::NotModified) => None,
        Ok(Outcome::Fetched(page)) => {
            out.states.push((url.to_string(), state_of(&page)));
            Some(page.body)
        }
        Err(e) => {
            out.errors.push(e.to_string());
            None
        }
    }
}

async fn discover(crawler: Crawler, src: SourceConfig, known: Arc<HashMap<String, Validators>>) -> Discovered {
    let mut out = Discovered::default();
    let label = src.label();
    let hint = |title: Option<String>, published: Option<DateTime<Utc>>, outlet: Option<String>| PageHints { title, published, outlet: src.outlet.clone().or(outlet) };
    if let Some(feed) = &src.feed {
        if let Some(body) = fetch_listing(&crawler, feed, &known, &mut out).await {
            match dossier_sources::feeds::parse_feed(&body, Some(feed)) {
                Ok(items) => out.items.extend(items.into_iter().map(|i| Candidate { url: i.url, source: label.clone(), hints: hint(i.title, i.published, None) })),
                Err(e) => out.errors.push(format!("{feed}: {e}")),
            }
        }
    } else if let Some(sitemap) = &src.sitemap {
        let mut queue = vec![sitemap.clone()];
        let mut seen = HashSet::new();
        // An index may list more sitemaps; follow at most 20 of them, one level deep or more.
        while let Some(url) = queue.pop() {
            if !seen.insert(url.clone()) || seen.len() > 21 {
                continue;
            }
            let Some(body) = fetch_listing(&crawler, &url, &known, &mut out).await else { continue };
            match dossier_sources::sitemaps::parse_sitemap(&body) {
                Ok(Sitemap::Index(children)) => queue.extend(children.iter().map(|c| resolve(&url, c))),
                Ok(Sitemap::Urls(urls)) => out.items.extend(urls.into_iter().map(|u| Candidate {
                    url: resolve(&url, &u.loc),
                    source: label.clone(),
                    hints: hint(u.news_title, u.news_publication_date.or(u.lastmod), u.news_publication_name),
                })),
                Err(e) => out.errors.push(format!("{url}: {e}")),
            }
        }
    } else if let Some(path) = &src.urls {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let (urls, errors) = dossier_sources::urllist::parse_url_list(&text);
                out.errors.extend(errors.into_iter().map(|e| format!("{}: {e}", path.display())));
                out.items.extend(urls.into_iter().map(|u| Candidate { url: u, source: label.clone(), hints: hint(None, None, None) }));
            }
            Err(e) => out.errors.push(format!("{}: {e}", path.display())),
        }
    }
    out
}

/// Counts of one round.
#[derive(Debug, Default)]
pub struct Round {
    pub discovered: usize,
    pub fetched: usize,
    pub new: usize,
    pub revised: usize,
    pub errors: Vec<String>,
}

/// One polling round over every source.
pub async fn round(cfg: &WatchConfig, store: &mut SqliteStore, crawler: &Crawler, quiet: bool, engine: &mut dossier_engine::Engine) -> anyhow::Result<Round> {
    let mut r = Round::default();
    // Conditional-GET validators of every listing URL we know.
    let mut known = HashMap::new();
    for s in &cfg.sources {
        for u in [&s.feed, &s.sitemap].into_iter().flatten() {
            if let Some(st) = store.fetch_state(u)? {
                known.insert(u.clone(), Validators { etag: st.etag, last_modified: st.last_modified });
            }
        }
    }
    let known = Arc::new(known);
    let mut tasks = tokio::task::JoinSet::new();
    for s in cfg.sources.clone() {
        tasks.spawn(discover(crawler.clone(), s, known.clone()));
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut per_source: HashMap<String, usize> = HashMap::new();
    let mut wanted = HashSet::new();
    while let Some(d) = tasks.join_next().await {
        let d = d.context("a discovery task failed")?;
        for (url, st) in &d.states {
            store.put_fetch_state(url, st)?;
        }
        for e in d.errors {
            log(quiet, &format!("error: {e}"));
            r.errors.push(e);
        }
        for c in d.items {
            r.discovered += 1;
            let canon = dossier_sources::canonical::canonical_url(&c.url, None);
            let n = per_source.entry(c.source.clone()).or_default();
            if *n >= cfg.max_items_per_source || wanted.contains(&canon) {
                continue;
            }
            // A known page is fetched again only when its listing now gives it a different date.
            if store.has_url(&canon)? {
                let listed = c.hints.published.map(|d| d.to_rfc3339());
                let before = store.fetch_state(&canon)?.and_then(|s| s.listed);
                if listed.is_none() || before.is_none() || listed == before {
                    continue;
                }
            }
            wanted.insert(canon.clone());
            *n += 1;
            candidates.push(Candidate { url: canon, ..c });
        }
    }
    // Fetch and extract the new pages, at most `concurrency` at once.
    let bar = progress(quiet, candidates.len());
    let sem = Arc::new(tokio::sync::Semaphore::new(cfg.concurrency));
    let mut fetches = tokio::task::JoinSet::new();
    for c in candidates {
        let (crawler, sem) = (crawler.clone(), sem.clone());
        fetches.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore open");
            let mut state = None;
            let res = match crawler.get(&c.url, &Validators::default()).await {
                Ok(Outcome::Fetched(page)) => {
                    let mut st = state_of(&page);
                    st.listed = c.hints.published.map(|d| d.to_rfc3339());
                    state = Some(st);
                    article_from_page(&page.url, &page.body, page.content_type.as_deref(), Utc::now(), c.hints.clone()).map_err(|e| format!("{}: {e}", c.source))
                }
                Ok(Outcome::NotModified) => Ok(vec![]),
                Err(e) => Err(format!("{}: {e}", c.source)),
            };
            (c.url, state, res)
        });
    }
    let mut batch: Vec<Article> = Vec::new();
    while let Some(done) = fetches.join_next().await {
        let (url, state, res) = done.context("a fetch task failed")?;
        bar.inc(1);
        if let Some(st) = state {
            store.put_fetch_state(&url, &st)?;
        }
        match res {
            Ok(arts) => {
                r.fetched += 1;
                batch.extend(arts);
            }
            Err(e) => {
                bar.suspend(|| log(quiet, &format!("error: {e}")));
                r.errors.push(e);
            }
        }
        if batch.len() >= 64 {
            let put = engine.store(store, &batch)?;
            (r.new, r.revised) = (r.new + put.new, r.revised + put.revised);
            batch.clear();
        }
        if bar.is_hidden() && !quiet && r.fetched % 50 == 0 && r.fetched > 0 {
            log(quiet, &format!("fetched {} pages ({url})", r.fetched));
        }
    }
    let put = engine.store(store, &batch)?;
    (r.new, r.revised) = (r.new + put.new, r.revised + put.revised);
    bar.finish_and_clear();
    if dossier_engine::analysis_owed(store)? {
        engine.analyse(store, &crate::progress::Shown::new(quiet))?;
    }
    Ok(r)
}

fn log(quiet: bool, line: &str) {
    if !quiet {
        eprintln!("{line}");
    }
}

fn progress(quiet: bool, len: usize) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    indicatif::ProgressBar::new(len as u64).with_style(indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} pages {per_sec} eta {eta}").expect("valid template"))
}

/// `dossier watch`: rounds until interrupted (or one with `--once`).
pub fn watch(data: &Path, config: &Path, once: bool, quiet: bool, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    let cfg = load_config(config)?;
    let mut store = SqliteStore::open_dir(data)?;
    let crawler = Crawler::new(CrawlConfig {
        fetch: FetchConfig { user_agent: cfg.user_agent.clone(), max_body: cfg.max_body_mb << 20, allow_private: cfg.allow_private, allow_loopback: cfg.allow_private, ..FetchConfig::default() },
        per_host_delay: Duration::from_millis(cfg.per_host_delay_ms),
        respect_robots: cfg.respect_robots,
        ..CrawlConfig::default()
    })?;
    let mut engine = embedding.engine(data);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        let mut n = 0;
        loop {
            n += 1;
            // A round stores and analyses as it goes: one writer at a time; let go between rounds.
            let lock = crate::commands::writer_lock(data)?;
            let r = round(&cfg, &mut store, &crawler, quiet, &mut engine).await?;
            drop(lock);
            let stories = store.stories()?.len();
            println!(
                "round {n}: {} sources, {} items discovered, {} pages fetched, {} new, {} revised, {} errors; {} stories in {}",
                cfg.sources.len(),
                r.discovered,
                r.fetched,
                r.new,
                r.revised,
                r.errors.len(),
                stories,
                data.display()
            );
            if once {
                return Ok(if r.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(cfg.interval_minutes * 60)) => {}
                _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
            }
        }
    })
}
