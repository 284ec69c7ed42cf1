//! The scale-out mode: `dossier ingest --queue` publishes raw inputs to NATS
//! JetStream; `dossier worker` consumes them into PostgreSQL and keeps the
//! analysis (stories, claims, briefs) up to date. Design and limits:
//! docs/scale-out.md.

use std::collections::VecDeque;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use async_nats::jetstream::{self, AckKind};
use dossier_embed::Embedder;
use dossier_model::Article;
use dossier_queue::{Queue, RawInput};
use dossier_store::{Put, Store};
use dossier_store_postgres::PgStore;
use futures_util::StreamExt;
use serde_json::json;

use crate::embeddings::Embedding;

#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// NATS server with JetStream: nats://HOST:PORT.
    #[arg(long, env = "DOSSIER_QUEUE")]
    pub queue: String,
    /// PostgreSQL database: postgres://USER[:PASSWORD]@HOST:PORT/DBNAME (schema created or migrated on start).
    #[arg(long, env = "DOSSIER_STORE", hide_env_values = true)]
    pub store: String,
    /// The JetStream stream (its subject is STREAM.raw).
    #[arg(long, env = "DOSSIER_STREAM", default_value = dossier_queue::DEFAULT_STREAM)]
    pub stream: String,
    /// Where to serve /healthz and /metrics (Prometheus text). Port 0 picks a free port; the address is printed.
    #[arg(long, env = "DOSSIER_METRICS_ADDR", default_value = "127.0.0.1:9464")]
    pub metrics_addr: SocketAddr,
    /// Messages taken, stored in one transaction, and acknowledged together.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Seconds between analyses while messages keep coming; an idle worker analyses at once.
    /// A busy worker also waits three times as long as its last analysis took, so
    /// analysing never takes more than a quarter of its time away from storing.
    #[arg(long, default_value_t = 10.0)]
    pub analyse_interval: f64,
    /// Seconds a taken message may stay unacknowledged before it goes to another worker
    /// (applies when the shared consumer is first created).
    #[arg(long, default_value_t = 30.0)]
    pub ack_wait: f64,
    /// Never run the analysis in this worker; leave it to the others.
    #[arg(long)]
    pub no_analyse: bool,
}

// ---------------------------------------------------------------- publishing

/// `dossier ingest --queue URL PATH...`: one message per raw input.
pub fn publish(queue: &str, stream: &str, paths: &[PathBuf], json: bool, quiet: bool) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let (published, errors) = rt.block_on(async {
        let q = Queue::connect(queue, stream).await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<RawInput>(256);
        let paths = paths.to_vec();
        // Files are read on a blocking thread while the messages go out.
        let reader = tokio::task::spawn_blocking(move || {
            let mut errors = Vec::new();
            let _ = dossier_queue::read_inputs(&paths, |r| match r {
                Ok(raw) => tx.blocking_send(raw).map_err(|_| ()),
                Err(e) => {
                    if !quiet {
                        eprintln!("error: {e}");
                    }
                    errors.push(e);
                    Ok(())
                }
            });
            errors
        });
        let mut p = q.publisher(512);
        let mut too_large = Vec::new();
        while let Some(raw) = rx.recv().await {
            match p.send(&raw, &raw.id()).await {
                Err(dossier_queue::QueueError::TooLarge { location, bytes, message }) => {
                    let e = dossier_ingest::IngestError { location, reason: format!("{bytes}-byte message too large for the queue: {message}") };
                    if !quiet {
                        eprintln!("error: {e}");
                    }
                    too_large.push(e);
                }
                other => other?,
            }
        }
        let published = p.finish().await?;
        let mut errors = reader.await?;
        errors.append(&mut too_large);
        anyhow::Ok((published, errors))
    })?;
    if json {
        let out = json!({
            "published": published.published,
            "duplicates": published.duplicates,
            "errors": errors.iter().map(|e| json!({"location": e.location, "reason": e.reason})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{} input(s) published to stream {stream} on {queue}, {} already queued before (dropped as duplicates), {} error(s)", published.published, published.duplicates, errors.len());
    }
    Ok(if errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

// ---------------------------------------------------------------- metrics

/// What `/metrics` reports.
struct Metrics {
    started: Instant,
    messages_stored: AtomicU64,
    messages_invalid: AtomicU64,
    input_errors: AtomicU64,
    articles_new: AtomicU64,
    articles_revised: AtomicU64,
    articles_unchanged: AtomicU64,
    store_errors: AtomicU64,
    queue_errors: AtomicU64,
    analysis_errors: AtomicU64,
    analyses: AtomicU64,
    stories_analysed: AtomicU64,
    analysis_ms_last: AtomicU64,
    in_flight: AtomicU64,
    pending: AtomicU64,
    ack_pending: AtomicU64,
    store_ok: AtomicBool,
    /// (when, articles) of recent batches, for articles/s over the last minute.
    recent: Mutex<VecDeque<(Instant, u64)>>,
}

const RATE_WINDOW: Duration = Duration::from_secs(60);

impl Metrics {
    fn new() -> Metrics {
        Metrics {
            started: Instant::now(),
            messages_stored: AtomicU64::new(0),
            messages_invalid: AtomicU64::new(0),
            input_errors: AtomicU64::new(0),
            articles_new: AtomicU64::new(0),
            articles_revised: AtomicU64::new(0),
            articles_unchanged: AtomicU64::new(0),
            store_errors: AtomicU64::new(0),
            queue_errors: AtomicU64::new(0),
            analysis_errors: AtomicU64::new(0),
            analyses: AtomicU64::new(0),
            stories_analysed: AtomicU64::new(0),
            analysis_ms_last: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            ack_pending: AtomicU64::new(0),
            store_ok: AtomicBool::new(true),
            recent: Mutex::new(VecDeque::new()),
        }
    }

    fn stored(&self, put: Put) {
        self.articles_new.fetch_add(put.new as u64, Relaxed);
        self.articles_revised.fetch_add(put.revised as u64, Relaxed);
        self.articles_unchanged.fetch_add(put.unchanged as u64, Relaxed);
        let mut r = self.recent.lock().expect("metrics lock");
        r.push_back((Instant::now(), (put.new + put.revised + put.unchanged) as u64));
    }

    fn rate(&self) -> f64 {
        let mut r = self.recent.lock().expect("metrics lock");
        while r.front().is_some_and(|(t, _)| t.elapsed() > RATE_WINDOW) {
            r.pop_front();
        }
        let n: u64 = r.iter().map(|(_, n)| n).sum();
        n as f64 / self.started.elapsed().min(RATE_WINDOW).as_secs_f64().max(1.0)
    }

    fn render(&self) -> String {
        let g = |a: &AtomicU64| a.load(Relaxed);
        let mut o = String::new();
        let mut metric = |name: &str, kind: &str, help: &str, rows: &[(&str, String)]| {
            o.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
            for (labels, v) in rows {
                o.push_str(&format!("{name}{labels} {v}\n"));
            }
        };
        metric("dossier_worker_up", "gauge", "1 while the worker runs.", &[("", "1".into())]);
        metric("dossier_worker_uptime_seconds", "gauge", "Seconds since the worker started.", &[("", format!("{:.1}", self.started.elapsed().as_secs_f64()))]);
        metric(
            "dossier_worker_messages_total",
            "counter",
            "Queue messages handled: stored (committed, then acknowledged) or invalid (undecodable, terminated).",
            &[("{outcome=\"stored\"}", g(&self.messages_stored).to_string()), ("{outcome=\"invalid\"}", g(&self.messages_invalid).to_string())],
        );
        metric(
            "dossier_worker_articles_total",
            "counter",
            "Articles stored, by effect (unchanged: already stored with the same content, e.g. a redelivery).",
            &[
                ("{effect=\"new\"}", g(&self.articles_new).to_string()),
                ("{effect=\"revised\"}", g(&self.articles_revised).to_string()),
                ("{effect=\"unchanged\"}", g(&self.articles_unchanged).to_string()),
            ],
        );
        metric("dossier_worker_articles_per_second", "gauge", "Articles stored per second over the last minute.", &[("", format!("{:.2}", self.rate()))]);
        metric(
            "dossier_worker_input_errors_total",
            "counter",
            "Inputs that could not be read as articles (bad HTML, JSON, dates); logged with their location.",
            &[("", g(&self.input_errors).to_string())],
        );
        metric(
            "dossier_worker_errors_total",
            "counter",
            "Failures: store (batch not committed, messages returned to the queue), queue, analysis.",
            &[("{kind=\"store\"}", g(&self.store_errors).to_string()), ("{kind=\"queue\"}", g(&self.queue_errors).to_string()), ("{kind=\"analysis\"}", g(&self.analysis_errors).to_string())],
        );
        metric("dossier_worker_queue_pending", "gauge", "Queue lag: messages of the shared consumer not yet delivered to any worker.", &[("", g(&self.pending).to_string())]);
        metric("dossier_worker_queue_ack_pending", "gauge", "Messages delivered to workers and not yet acknowledged.", &[("", g(&self.ack_pending).to_string())]);
        metric("dossier_worker_in_flight", "gauge", "Messages this worker holds now.", &[("", g(&self.in_flight).to_string())]);
        metric("dossier_worker_analyses_total", "counter", "Analyses (placing what waits, then the stories it leased) this worker ran.", &[("", g(&self.analyses).to_string())]);
        metric("dossier_worker_stories_analysed_total", "counter", "Stories whose claims and brief this worker analysed.", &[("", g(&self.stories_analysed).to_string())]);
        metric("dossier_worker_analysis_seconds", "gauge", "Duration of this worker's last analysis.", &[("", format!("{:.3}", g(&self.analysis_ms_last) as f64 / 1000.0))]);
        o
    }
}

#[derive(Clone)]
struct HttpState {
    metrics: Arc<Metrics>,
    consumer: jetstream::consumer::PullConsumer,
    client: async_nats::Client,
}

async fn refresh_lag(consumer: &mut jetstream::consumer::PullConsumer, m: &Metrics) -> bool {
    match tokio::time::timeout(Duration::from_secs(2), consumer.info()).await {
        Ok(Ok(info)) => {
            m.pending.store(info.num_pending, Relaxed);
            m.ack_pending.store(info.num_ack_pending as u64, Relaxed);
            true
        }
        _ => false,
    }
}

async fn metrics_page(axum::extract::State(s): axum::extract::State<HttpState>) -> impl axum::response::IntoResponse {
    let mut c = s.consumer.clone();
    if !refresh_lag(&mut c, &s.metrics).await {
        s.metrics.queue_errors.fetch_add(1, Relaxed);
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], s.metrics.render())
}

async fn healthz(axum::extract::State(s): axum::extract::State<HttpState>) -> (axum::http::StatusCode, String) {
    let queue_ok = matches!(s.client.connection_state(), async_nats::connection::State::Connected);
    let store_ok = s.metrics.store_ok.load(Relaxed);
    if queue_ok && store_ok {
        (axum::http::StatusCode::OK, "ok\n".into())
    } else {
        let word = |ok: bool| if ok { "ok" } else { "failing" };
        (axum::http::StatusCode::SERVICE_UNAVAILABLE, format!("queue {}, store {}\n", word(queue_ok), word(store_ok)))
    }
}

// ---------------------------------------------------------------- the worker

pub fn run(args: WorkerArgs, embedding: Embedding) -> anyhow::Result<ExitCode> {
    if !(args.store.starts_with("postgres://") || args.store.starts_with("postgresql://")) {
        crate::usage!("--store must be a PostgreSQL URL (postgres://USER@HOST:PORT/DBNAME); the embedded mode needs no worker");
    }
    if args.batch == 0 {
        crate::usage!("--batch must be at least 1");
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let out = rt.block_on(worker(args, embedding));
    // An abandoned analysis thread is not waited for: its transaction rolls back when the process ends.
    rt.shutdown_timeout(Duration::from_secs(1));
    out
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// The store, dropped on a plain thread: the blocking PostgreSQL client may
/// not be closed from inside the async runtime.
struct Slot(Option<PgStore>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            let _ = std::thread::spawn(move || drop(s)).join();
        }
    }
}

impl std::ops::Deref for Slot {
    type Target = Option<PgStore>;
    fn deref(&self) -> &Option<PgStore> {
        &self.0
    }
}

impl std::ops::DerefMut for Slot {
    fn deref_mut(&mut self) -> &mut Option<PgStore> {
        &mut self.0
    }
}

/// Runs `f` with the store on a blocking thread (the PostgreSQL client blocks).
async fn with_store<T: Send + 'static>(slot: &mut Option<PgStore>, f: impl FnOnce(&mut PgStore) -> T + Send + 'static) -> T {
    let mut store = slot.take().expect("store is back after each use");
    let (store, out) = tokio::task::spawn_blocking(move || {
        let out = f(&mut store);
        (store, out)
    })
    .await
    .expect("store task panicked");
    *slot = Some(store);
    out
}

/// Embeds articles just stored, so the analysis finds their vectors (computed
/// here, in parallel across workers, rather than in the one analysing worker).
fn embed_and_store(store: &mut PgStore, articles: &[Article], embedder: &Embedder) -> anyhow::Result<()> {
    let enriched: Vec<dossier_enrich::Enriched> = articles.iter().map(dossier_enrich::enrich).collect();
    let texts: Vec<String> = enriched.iter().map(dossier_stories::embedding_text).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let vectors = embedder.embed(&refs)?;
    let rows: Vec<(String, String, Vec<u8>)> = articles.iter().zip(&texts).zip(&vectors).map(|((a, t), v)| (a.id.clone(), dossier_engine::embedding_key(t), dossier_embed::to_bytes(v))).collect();
    store.put_embeddings(dossier_embed::MODEL, &rows)?;
    Ok(())
}

async fn worker(args: WorkerArgs, embedding: Embedding) -> anyhow::Result<ExitCode> {
    let metrics = Arc::new(Metrics::new());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        stop_signal().await;
        let _ = stop_tx.send(true);
    });
    let url = args.store.clone();
    let store = Slot(Some(tokio::task::spawn_blocking(move || PgStore::connect(&url)).await?.context("opening the store")?));
    let db = store.as_ref().map(|s| s.db().to_string()).unwrap_or_default();
    let queue = Queue::connect(&args.queue, &args.stream).await?;
    let consumer = queue.consumer(Duration::from_secs_f64(args.ack_wait.max(1.0))).await?;
    let embedder: Option<Arc<Embedder>> = tokio::task::spawn_blocking(move || embedding.load()).await??.map(Arc::new);

    let listener = tokio::net::TcpListener::bind(args.metrics_addr).await.with_context(|| format!("serving metrics on {}", args.metrics_addr))?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route("/healthz", axum::routing::get(healthz)).route("/metrics", axum::routing::get(metrics_page)).with_state(HttpState {
        metrics: metrics.clone(),
        consumer: consumer.clone(),
        client: queue.client.clone(),
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    println!("dossier worker: stream {} on {} into {db}; metrics on http://{bound}/metrics", args.stream, args.queue);
    let _ = std::io::stdout().flush();

    let mut w = Loop {
        metrics,
        slot: store,
        // One engine for the worker's life: it keeps the clusterer's state between analyses
        // (reloaded when another worker committed meanwhile) and the models once loaded.
        engine: Some(dossier_engine::Engine::new(embedding.mode())),
        embedder,
        queue,
        consumer,
        db,
        failures: 0,
        last_analysis: None,
        interval: Duration::from_secs_f64(args.analyse_interval.max(0.0)),
        stop_rx,
        args,
    };
    while !w.stopped() {
        let Some(batch) = w.take_batch().await else { continue };
        let idle = batch.is_empty();
        if !idle && w.store_batch(batch).await == Flow::Stop {
            break;
        }
        // The analysis: when idle, or while busy as `analysis_due` paces it.
        if w.args.no_analyse || !analysis_due(idle, w.last_analysis, w.interval, Instant::now()) || w.stopped() {
            continue;
        }
        // Busy, a worker spends at most the interval on story analysis before storing again.
        let budget = (!idle).then_some(w.interval);
        if w.analyse(budget).await == Flow::Stop {
            return Ok(ExitCode::SUCCESS);
        }
    }
    eprintln!("dossier worker: stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

/// Whether the worker loop goes on.
#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// The worker loop's state: a phase per method (take a batch, store it, analyse when due).
struct Loop {
    args: WorkerArgs,
    metrics: Arc<Metrics>,
    slot: Slot,
    engine: Option<dossier_engine::Engine>,
    embedder: Option<Arc<Embedder>>,
    queue: Queue,
    consumer: jetstream::consumer::PullConsumer,
    db: String,
    /// Store failures in a row (backoff).
    failures: u32,
    last_analysis: Option<(Instant, Duration)>,
    interval: Duration,
    stop_rx: tokio::sync::watch::Receiver<bool>,
}

impl Loop {
    fn stopped(&self) -> bool {
        *self.stop_rx.borrow()
    }

    /// Up to `--batch` messages (waiting at most a second); None after a queue error.
    async fn take_batch(&mut self) -> Option<Vec<jetstream::Message>> {
        let mut batch = Vec::with_capacity(self.args.batch);
        match self.consumer.fetch().max_messages(self.args.batch).expires(Duration::from_secs(1)).messages().await {
            Ok(mut msgs) => {
                while let Some(m) = msgs.next().await {
                    match m {
                        Ok(m) => batch.push(m),
                        Err(e) => {
                            self.metrics.queue_errors.fetch_add(1, Relaxed);
                            tracing::warn!("queue: {e}");
                        }
                    }
                }
                Some(batch)
            }
            Err(e) => {
                self.metrics.queue_errors.fetch_add(1, Relaxed);
                eprintln!("error: queue {}: {e}", self.args.queue);
                tokio::time::sleep(Duration::from_secs(1)).await;
                None
            }
        }
    }

    /// Decodes, stores (one transaction) and embeds a batch, then acknowledges it; a
    /// failed store hands the messages back with a growing delay. Stop: asked to stop
    /// before starting, the messages went straight back.
    async fn store_batch(&mut self, batch: Vec<jetstream::Message>) -> Flow {
        let metrics = self.metrics.clone();
        metrics.in_flight.store(batch.len() as u64, Relaxed);
        if self.stopped() {
            // Not started: hand them straight back.
            for m in &batch {
                let _ = m.ack_with(AckKind::Nak(None)).await;
            }
            metrics.in_flight.store(0, Relaxed);
            return Flow::Stop;
        }
        let (raws, held) = decode_batch(batch, &metrics).await;
        let emb = self.embedder.clone();
        let result = with_store(&mut self.slot, move |store| -> anyhow::Result<(Put, Vec<dossier_ingest::IngestError>)> {
            let mut articles = Vec::new();
            let mut errors = Vec::new();
            for r in &raws {
                let p = r.to_articles();
                articles.extend(p.articles);
                errors.extend(p.errors);
            }
            // One transaction for the batch; acknowledged only after it commits.
            let put = store.put_articles(&articles)?;
            if put.new + put.revised > 0 {
                if let Some(e) = emb {
                    // Derived data: if it fails, the analysis computes what is missing.
                    if let Err(err) = embed_and_store(store, &articles, &e) {
                        tracing::warn!("embedding: {err:#}");
                    }
                }
            }
            Ok((put, errors))
        })
        .await;
        match result {
            Ok((put, errors)) => {
                self.failures = 0;
                metrics.store_ok.store(true, Relaxed);
                for e in &errors {
                    eprintln!("error: {e}");
                }
                metrics.input_errors.fetch_add(errors.len() as u64, Relaxed);
                for m in &held {
                    if let Err(e) = m.ack().await {
                        // Redelivered later and found stored: harmless.
                        metrics.queue_errors.fetch_add(1, Relaxed);
                        tracing::warn!("ack: {e}");
                    }
                }
                let _ = self.queue.client.flush().await;
                metrics.messages_stored.fetch_add(held.len() as u64, Relaxed);
                metrics.stored(put);
            }
            Err(e) => {
                self.failures += 1;
                metrics.store_ok.store(false, Relaxed);
                metrics.store_errors.fetch_add(1, Relaxed);
                eprintln!("error: storing a batch of {} message(s) in {}: {e:#}; returned to the queue", held.len(), self.db);
                let delay = Duration::from_secs((1u64 << self.failures.min(5)).min(30));
                for m in &held {
                    let _ = m.ack_with(AckKind::Nak(Some(delay))).await;
                }
                tokio::time::sleep(delay.min(Duration::from_secs(5))).await;
                reconnect_if_closed(&mut self.slot, &self.args.store, &self.db).await;
            }
        }
        metrics.in_flight.store(0, Relaxed);
        if !refresh_lag(&mut self.consumer, &metrics).await {
            metrics.queue_errors.fetch_add(1, Relaxed);
        }
        Flow::Continue
    }

    /// Runs the engine over what waits, on a blocking thread; Stop: asked to stop meanwhile
    /// (the step in progress rolls back; another worker redoes it).
    async fn analyse(&mut self, budget: Option<Duration>) -> Flow {
        let started = Instant::now();
        let mut store = self.slot.take().expect("store is back after each use");
        let mut eng = self.engine.take().expect("engine is back after each use");
        let task = tokio::task::spawn_blocking(move || {
            let out = analyse_pending(&mut store, &mut eng, budget);
            (store, out, eng)
        });
        let mut stop_rx = self.stop_rx.clone();
        let out = tokio::select! {
            r = task => {
                let (store, out, eng) = r.expect("analysis task panicked");
                self.engine = Some(eng);
                self.slot = Slot(Some(store));
                out
            }
            _ = stop_rx.wait_for(|s| *s) => {
                eprintln!("dossier worker: stopping; the analysis in progress is abandoned (it rolls back; another worker redoes it)");
                return Flow::Stop;
            }
        };
        self.last_analysis = Some((Instant::now(), started.elapsed()));
        match out {
            Ok(Some((took, stories))) => {
                self.metrics.analyses.fetch_add(1, Relaxed);
                self.metrics.stories_analysed.fetch_add(stories as u64, Relaxed);
                self.metrics.analysis_ms_last.store(took.as_millis() as u64, Relaxed);
                self.metrics.store_ok.store(true, Relaxed);
            }
            Ok(None) => {}
            Err(e) => {
                self.metrics.analysis_errors.fetch_add(1, Relaxed);
                self.metrics.store_ok.store(false, Relaxed);
                eprintln!("error: analysis in {}: {e:#}", self.db);
                reconnect_if_closed(&mut self.slot, &self.args.store, &self.db).await;
            }
        }
        Flow::Continue
    }
}

/// Raw inputs of a batch, with the messages they came in; a message that cannot be
/// decoded is terminated (redelivering cannot fix it) and counted.
async fn decode_batch(batch: Vec<jetstream::Message>, metrics: &Metrics) -> (Vec<RawInput>, Vec<jetstream::Message>) {
    let mut raws = Vec::with_capacity(batch.len());
    let mut held = Vec::with_capacity(batch.len());
    for m in batch {
        match RawInput::decode(&m.payload) {
            Ok(r) => {
                raws.push(r);
                held.push(m);
            }
            Err(e) => {
                eprintln!("error: message {}: {e}", m.info().map(|i| i.stream_sequence).unwrap_or_default());
                metrics.messages_invalid.fetch_add(1, Relaxed);
                let _ = m.ack_with(AckKind::Term).await;
            }
        }
    }
    (raws, held)
}

/// Whether to run the analysis now: at once when idle; while messages keep
/// coming, once `interval` has passed since the last analysis ended and also
/// three times as long as that analysis took, so that analysing a growing
/// store never starves storing (at most a quarter of a busy worker's time).
fn analysis_due(idle: bool, last: Option<(Instant, Duration)>, interval: Duration, now: Instant) -> bool {
    let Some((ended, took)) = last else { return true };
    idle || now.saturating_duration_since(ended) >= interval.max(took * 3)
}

/// Opens the store again if its connection is gone (database restart, failover, network).
async fn reconnect_if_closed(slot: &mut Slot, url: &str, db: &str) {
    if !slot.as_ref().is_some_and(PgStore::is_closed) {
        return;
    }
    let url = url.to_string();
    match tokio::task::spawn_blocking(move || PgStore::connect(&url)).await {
        Ok(Ok(fresh)) => {
            eprintln!("dossier worker: reconnected to {db}");
            let old = slot.replace(fresh);
            // Closed from a plain thread, as the blocking client requires.
            let _ = std::thread::spawn(move || drop(old)).join();
        }
        Ok(Err(e)) => eprintln!("error: reconnecting to {db}: {e}"),
        Err(e) => eprintln!("error: reconnecting to {db}: {e}"),
    }
}

/// Stories a worker leases, analyses and commits together: enough for full batches of
/// the meaning scorer, few enough that workers share a backlog between them.
const STORY_CHUNK: usize = 16;

/// Analyses what waits, in the engine's two phases; `Some(duration, stories analysed)` when
/// it did anything. Placing (cheap) runs in one worker at a time, under the analysis lock:
/// if another worker holds it, that worker places. Story analysis (the costly part) runs in
/// every worker, each on the stories it leases (a session advisory lock per story), so N
/// workers analyse N chunks of stories at once; with `budget`, no chunk starts after it
/// is spent (a busy worker goes back to storing, the stories left wait for its next
/// analysis or another worker's). Each step and each chunk commits on its own, so an
/// abandoned analysis keeps what it finished and the next worker takes the rest.
fn analyse_pending(store: &mut PgStore, engine: &mut dossier_engine::Engine, budget: Option<Duration>) -> anyhow::Result<Option<(Duration, usize)>> {
    let t = Instant::now();
    let mut placed = 0;
    if store.has_pending()? && store.try_lock_analysis()? {
        let result = engine.place(store, &dossier_engine::Silent);
        let unlocked = store.unlock_analysis();
        placed = result?.steps;
        unlocked?;
    }
    let until = budget.map(|b| t + b);
    let analysed = engine.analyse_stories(store, STORY_CHUNK, until, &dossier_engine::Silent)?.stories_analysed;
    Ok((placed + analysed > 0).then(|| (t.elapsed(), analysed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_worker_spaces_analyses_by_the_interval_and_by_their_cost() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let interval = s(10);
        // First time, or idle: at once.
        assert!(analysis_due(false, None, interval, t0));
        assert!(analysis_due(true, Some((t0, s(30))), interval, t0));
        // Busy, cheap analyses: the interval, counted from when the last one ended.
        assert!(!analysis_due(false, Some((t0, s(1))), interval, t0 + s(9)));
        assert!(analysis_due(false, Some((t0, s(1))), interval, t0 + s(10)));
        // Busy, costly analyses: three times their cost, so storing keeps three quarters of the time.
        assert!(!analysis_due(false, Some((t0, s(6))), interval, t0 + s(17)));
        assert!(analysis_due(false, Some((t0, s(6))), interval, t0 + s(18)));
    }
}
