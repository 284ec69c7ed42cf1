//! One function per subcommand.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::Utc;
use dossier_ingest::{collect_inputs, ingest_bytes, Format, IngestError};
use dossier_model::{Article, ChangeKind, Story};
use dossier_store::{SqliteStore, Store};
use serde_json::json;

use crate::args::{Bench, Cli, Command, Eval, Model, Train};
use crate::embeddings::Embedding;
use crate::extract_cmd::{self, Output};

/// The sample corpus, embedded so `dossier demo` works from the binary alone.
const SAMPLE_CORPUS: &[(&str, &[u8])] = &[
    ("000_d6bffa9cee783423.txt", include_bytes!("../../../examples/corpus/000_d6bffa9cee783423.txt")),
    ("001_4e4791946bcd72aa.txt", include_bytes!("../../../examples/corpus/001_4e4791946bcd72aa.txt")),
    ("002_6d44a654a7eeca9a.txt", include_bytes!("../../../examples/corpus/002_6d44a654a7eeca9a.txt")),
];

pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let data = |default: &str| cli.data.clone().unwrap_or_else(|| PathBuf::from(default));
    let embedding = crate::embeddings::Embedding(cli.embeddings);
    match cli.command {
        Command::Ingest { paths, json, quiet, queue: Some(queue), stream, .. } => crate::worker::publish(&queue, &stream, &paths, json, quiet),
        Command::Worker(args) => crate::worker::run(args, embedding),
        Command::Ingest { paths, json, quiet, no_analyse, jobs, queue: None, .. } => {
            ingest(&data("dossier-data"), &paths, json, quiet, no_analyse, jobs.unwrap_or_else(crate::extract_cmd::default_jobs), &embedding)
        }
        Command::Analyse { rebuild, json, quiet } => {
            let dir = data("dossier-data");
            let _lock = writer_lock(&dir)?;
            let mut store = SqliteStore::open_dir(&dir)?;
            let mut engine = embedding.engine(&dir);
            let progress = crate::progress::Shown::new(quiet);
            let r = if rebuild { engine.rebuild(&mut store, &progress)? } else { engine.analyse(&mut store, &progress)? };
            note_cut(Some(&r));
            if json {
                println!("{}", serde_json::to_string_pretty(&json!({"analysis": r, "stories": store.stories()?.len(), "last_change": store.last_change()?}))?);
            } else {
                println!(
                    "{} article(s) analysed in {} step(s): {} stories touched ({} new, {} merges), {} changes logged; {} stories in {}",
                    r.articles,
                    r.steps,
                    r.stories_touched,
                    r.stories_created,
                    r.merges,
                    r.changes,
                    store.stories()?.len(),
                    dir.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Pair { a, b, json } => {
            if let Some(msg) = dossier_tone::pairs::check_actors(&a, &b) {
                crate::usage!("{msg}");
            }
            let dir = data("dossier-data");
            let store = open_existing(&dir)?;
            // The index narrows the articles read to those naming both; an empty one (never
            // built) narrows nothing, so every article is read.
            let index = dossier_search::SearchIndex::open(&dossier_engine::index_dir(&dir))?;
            let index = (!index.is_empty()).then_some(&index);
            crate::tone_cmd::pair(&store, index, &a, &b, json, &embedding)
        }
        Command::Changes { since, story, limit, json } => {
            let store = open_existing(&data("dossier-data"))?;
            let story = match story {
                Some(key) => Some(match store.story_alias(&key)? {
                    Some(id) => id,
                    None => resolve_story(&store, &key)?.id,
                }),
                None => None,
            };
            print_changes(&store, since, story.as_deref(), limit, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Alerts { command } => crate::alerts_cmd::run(&data("dossier-data"), command),
        Command::Watch { config, once, quiet } => crate::watch::watch(&data("dossier-data"), &config, once, quiet, &embedding),
        Command::Stories { sort, has, limit, offset, json, csv } => {
            let store = open_existing(&data("dossier-data"))?;
            crate::lists_cmd::stories(&store, crate::lists_cmd::StoriesArgs { sort, has, limit, offset }, crate::lists_cmd::Format::of(json, csv))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Articles { story, json, csv } => {
            let store = open_existing(&data("dossier-data"))?;
            crate::lists_cmd::articles(&store, story.as_deref(), crate::lists_cmd::Format::of(json, csv))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Brief { story, json, markdown, all } => {
            let store = open_existing(&data("dossier-data"))?;
            let s = resolve_story(&store, &story)?;
            let brief = store.brief(&s.id)?.with_context(|| format!("story {} has no brief; re-run `dossier ingest`", s.id))?;
            let brief = if all { brief } else { dossier_brief::glance(&brief, &dossier_brief::Settings::default()) };
            if json {
                println!("{}", serde_json::to_string_pretty(&brief)?);
            } else if markdown {
                print!("{}", dossier_brief::render_markdown(&brief));
            } else {
                print!("{}", dossier_brief::render_text(&brief));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Claims { story, all, status, json, csv } => {
            if story.is_none() && !all {
                crate::usage!("give a STORY (an id, id prefix or number from `dossier stories`), or --all for every story's claims");
            }
            let store = open_existing(&data("dossier-data"))?;
            crate::lists_cmd::claims(&store, story.as_deref(), &status, crate::lists_cmd::Format::of(json, csv))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { store, addr, public, ingest_token, read_token } => {
            check_public(addr, public)?;
            for (name, t) in [("ingest", &ingest_token), ("read", &read_token)] {
                if t.as_ref().is_some_and(|t| t.len() < 16) {
                    crate::usage!("the {name} token is shorter than 16 characters");
                }
            }
            let dir = data("dossier-data");
            let source = match store {
                Some(url) => {
                    let index_dir = postgres_index_dir(&dir, &url)?;
                    // Before serving, with a progress bar (what changed since the last time; all of it the first time).
                    let r = index_postgres(&url, &index_dir, false)?;
                    if r.read > 0 {
                        // On stderr: the first line on stdout stays the address served.
                        eprintln!("search index of {}: {} of {} articles indexed in {}", dossier_store_postgres::describe(&url), r.read, r.articles, index_dir.display());
                    }
                    dossier_server::Source::Postgres { url, index_dir }
                }
                None => {
                    let mut store = open_existing(&dir)?;
                    // A run killed between the analysis and the search index left the index
                    // behind: bring it up to date before serving it (unless a writer is at it).
                    match dossier_store::WriterLock::acquire_within(&dir, std::time::Duration::from_secs(2))? {
                        Ok(_lock) => {
                            let n = embedding.engine(&dir).index_owed(&mut store, &dossier_engine::Silent)?;
                            if n > 0 {
                                eprintln!("search index of {}: {n} article(s) a killed run had not indexed, indexed", dir.display());
                            }
                        }
                        Err(_) => eprintln!("note: another dossier is writing to {}; it brings the search index up to date", dir.display()),
                    }
                    dossier_server::Source::Dir(dir.clone())
                }
            };
            serve(source, addr, ingest_token, read_token, embedding)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { inputs, text, markdown, jobs, out, allow_private } => {
            let output = if text {
                Output::Text
            } else if markdown {
                Output::Markdown
            } else {
                Output::Json
            };
            extract_cmd::extract(&inputs, output, jobs, out.as_deref(), allow_private)
        }
        Command::Eval { what: Eval::Attribution { dir, out } } => eval_attribution(&dir, out.as_deref()),
        Command::Eval { what: Eval::Extraction { dir, jobs, out } } => extract_cmd::eval_extraction(&dir, jobs, out.as_deref()),
        Command::Eval { what: Eval::Stories { file, out, settings, embedding_cache, jobs } } => {
            crate::stories_cmd::eval_stories(&file, out.as_deref(), &settings, &embedding, embedding_cache.as_deref(), jobs)
        }
        Command::Search { query, mode, like, like_claim, outlet, entity, language, status, from, to, limit, offset, json } => {
            let dir = data("dossier-data");
            let store = open_existing(&dir)?;
            if let Some(story) = like {
                return crate::search_cmd::like(&dir, &store, &story, limit, json);
            }
            if let Some(claim) = like_claim {
                return crate::search_cmd::like_claim(&dir, &store, &claim, limit, json, &embedding);
            }
            let statuses = status.iter().map(|s| s.name().to_string()).collect();
            let args = crate::search_cmd::SearchArgs { query, mode, outlets: outlet, entities: entity, languages: language, statuses, from, to, limit, offset, json };
            crate::search_cmd::search(&dir, &store, args, &embedding)
        }
        Command::Reindex { store: Some(url) } => {
            let index_dir = postgres_index_dir(&data("dossier-data"), &url)?;
            let r = index_postgres(&url, &index_dir, true)?;
            println!("search index of {} rebuilt in {}: {} articles", dossier_store_postgres::describe(&url), index_dir.display(), r.read);
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex { store: None } => {
            let dir = data("dossier-data");
            let mut store = open_existing(&dir)?;
            let _lock = writer_lock(&dir)?;
            crate::search_cmd::reindex(&dir, &mut store, &embedding)
        }
        Command::Eval { what: Eval::Similarity { file, out, combiner, without_cross, one_bi } } => {
            let variant = match (without_cross, one_bi) {
                (true, _) => dossier_similarity::Variant::WithoutCross,
                (_, true) => dossier_similarity::Variant::OneBi,
                _ => dossier_similarity::Variant::Full,
            };
            crate::similarity_cmd::eval(&file, out.as_deref(), combiner.as_deref(), variant, &embedding)
        }
        Command::Eval { what: Eval::Stance { stances, bodies, model, out, json } } => crate::stance_cmd::eval(&stances, &bodies, model.as_deref(), out.as_deref(), json),
        Command::Train { what: Train::Stance { stances, bodies, out, folds } } => crate::stance_cmd::train(&stances, &bodies, &out, folds),
        Command::Eval { what: Eval::Tone { file, out, features } } => crate::tone_cmd::eval(&file, out.as_deref(), features.as_deref(), &embedding),
        Command::Train { what: Train::Similarity { file, out, folds, cross_holdout, bi_holdout } } => crate::similarity_cmd::train(&file, &out, folds, &cross_holdout, &bi_holdout, &embedding),
        Command::Model { what: Model::Fetch { dir } } => crate::embeddings::fetch(dir.as_deref()),
        Command::Model { what: Model::Status } => crate::embeddings::status(),
        Command::Bench { what: Bench::Extraction { dir, passes } } => extract_cmd::bench_extraction(&dir, passes),
        Command::Bench { what: Bench::Search { file, index, queries, embedding_cache } } => crate::search_eval::bench(&file, &index, queries, embedding_cache.as_deref(), &embedding),
        Command::Eval { what: Eval::Search { file, truth, embedding_cache, tuning_only, json } } => {
            crate::search_eval::eval(&file, truth.as_deref(), embedding_cache.as_deref(), tuning_only, json, &embedding)
        }
        Command::Demo { addr, public, no_serve } => {
            if !no_serve {
                check_public(addr, public)?;
            }
            demo(&data("dossier-demo-data"), addr, no_serve, &embedding)
        }
    }
}

/// Largest article `eval attribution` reads; longer files are an error, not a slow run.
const MAX_ATTRIBUTION_TEXT: u64 = 16 << 20;

/// `dossier eval attribution DIR`: attribution spans for every DIR/text/*.txt, as JSON Lines with
/// character (Unicode scalar) offsets, one line per document in name order.
fn eval_attribution(dir: &Path, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let text_dir = dir.join("text");
    if !text_dir.is_dir() {
        bail!("no text/ folder in {} (expected {}/text/<doc>.txt)", dir.display(), dir.display());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&text_dir)
        .with_context(|| format!("reading {}", text_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no .txt files in {}", text_dir.display());
    }
    let started = std::time::Instant::now();
    // One line per document, written as it is made.
    let mut sink: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("writing {}", p.display()))?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut relations = 0;
    for path in &files {
        let size = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
        if size > MAX_ATTRIBUTION_TEXT {
            bail!("{} is {size} bytes; the limit is {MAX_ATTRIBUTION_TEXT}", path.display());
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let text = String::from_utf8(bytes).with_context(|| format!("{} is not UTF-8", path.display()))?;
        let doc = path.file_stem().and_then(|s| s.to_str()).with_context(|| format!("{}: file name is not UTF-8", path.display()))?;
        let spans = dossier_enrich::attributions_in(&text);
        relations += spans.len();
        let chars = dossier_enrich::CharOffsets::new(&text);
        let attributions: Vec<serde_json::Value> = spans
            .iter()
            .map(|a| {
                json!({
                    "source": a.source.as_ref().map(|r| chars.range(r)),
                    "cue": chars.range(&a.cue),
                    "content": chars.range(&a.content),
                    "kind": a.kind,
                })
            })
            .collect();
        serde_json::to_writer(&mut sink, &json!({ "doc": doc, "attributions": attributions }))?;
        sink.write_all(b"\n")?;
    }
    sink.flush().context("writing the predictions")?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!("{} documents, {relations} attributions, {:.0} documents/s", files.len(), files.len() as f64 / secs.max(1e-9));
    Ok(ExitCode::SUCCESS)
}

/// Says when articles were too long to analyse whole (the engine logs which).
fn note_cut(analysis: Option<&dossier_engine::AnalysisReport>) {
    if let Some(n) = analysis.map(|a| a.cut).filter(|n| *n > 0) {
        eprintln!(
            "note: {n} article(s) longer than one article's analysis limit ({} KiB of text, {} sentences): analysed and indexed in their first part, stored whole",
            dossier_enrich::MAX_ANALYSED_BYTES / 1024,
            dossier_enrich::MAX_SENTENCES
        );
    }
}

/// Takes the data directory's writer lock (one writing dossier at a time; the
/// others wait their turn), saying so when another dossier holds it.
pub fn writer_lock(dir: &Path) -> anyhow::Result<dossier_store::WriterLock> {
    Ok(dossier_store::WriterLock::acquire(dir, |who| {
        let who = if who.is_empty() { String::new() } else { format!(" ({who})") };
        eprintln!("waiting for another dossier writing to {}{who} to finish ...", dir.display());
    })?)
}

fn open_existing(dir: &Path) -> anyhow::Result<SqliteStore> {
    if !dir.join("dossier.sqlite").exists() {
        bail!("no dossier data in {} (run `dossier ingest PATH...` or pass --data DIR)", dir.display());
    }
    Ok(SqliteStore::open_dir(dir)?)
}

/// Finds a story by id, unique id prefix, or 1-based position in `dossier stories`.
pub(crate) fn resolve_story(store: &dyn Store, key: &str) -> anyhow::Result<Story> {
    // A story merged into another answers as the one it merged into.
    if let Some(s) = store.story_alias(key)?.map(|id| store.story(&id)).transpose()?.flatten() {
        return Ok(s);
    }
    let stories = store.stories()?;
    if let Ok(n) = key.parse::<usize>() {
        if n >= 1 && n <= stories.len() && key.len() < 6 {
            return Ok(stories[n - 1].clone());
        }
    }
    let matches: Vec<&Story> = stories.iter().filter(|s| s.id.starts_with(key)).collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => crate::usage!("no story {key:?} (see `dossier stories`)"),
        many => crate::usage!("{key:?} matches {} stories; give more of the id", many.len()),
    }
}

struct Summary {
    files: usize,
    new_articles: usize,
    new_teasers: usize,
    revised: usize,
    already_stored: usize,
    errors: Vec<IngestError>,
}

fn store_parsed(engine: &mut dossier_engine::Engine, store: &mut SqliteStore, articles: &[Article], sum: &mut Summary) -> anyhow::Result<()> {
    let put = engine.store(store, articles)?;
    let new = put.new;
    sum.revised += put.revised;
    let teasers = articles.iter().filter(|a| a.is_teaser()).count();
    sum.already_stored += put.unchanged;
    // Teasers and main articles of one input land together, so new ones are counted by kind.
    if new == articles.len() {
        sum.new_teasers += teasers;
        sum.new_articles += new - teasers;
    } else {
        sum.new_articles += new;
    }
    Ok(())
}

/// A progress bar on a terminal, hidden otherwise.
pub fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    indicatif::ProgressBar::new(len).with_style(indicatif::ProgressStyle::with_template(&format!("{{bar:30}} {{pos}}/{{len}} {what} {{per_sec}} eta {{eta}}")).expect("valid template"))
}

fn files_style() -> indicatif::ProgressStyle {
    indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} files {per_sec} eta {eta} {msg}").expect("valid template")
}

/// Articles committed per transaction while ingesting.
const STORE_BATCH: usize = 256;

fn ingest(dir: &Path, paths: &[PathBuf], json: bool, quiet: bool, no_analyse: bool, jobs: usize, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    // Held to the end: concurrent ingests run one after the other, as if run in turn.
    let _lock = writer_lock(dir)?;
    let mut store = SqliteStore::open_dir(dir)?;
    let mut engine = embedding.engine(dir);
    let (files, mut errors) = collect_inputs(paths);
    let bar = if quiet || !std::io::stderr().is_terminal() { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(files.len() as u64).with_style(files_style()) };
    let mut sum = Summary { files: files.len(), new_articles: 0, new_teasers: 0, revised: 0, already_stored: 0, errors: vec![] };
    let plain_log = !quiet && !std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut stored = 0usize;
    let mut last_log = 0usize;
    for f in &files {
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        bar.set_message(name.clone());
        // Batches commit one by one, so a killed run keeps what it stored and
        // a rerun skips it (same ids) and carries on.
        let mut take = |parsed: dossier_ingest::Parsed| -> anyhow::Result<()> {
            for chunk in parsed.articles.chunks(STORE_BATCH) {
                store_parsed(&mut engine, &mut store, chunk, &mut sum)?;
                stored += chunk.len();
            }
            for e in parsed.errors {
                bar.suspend(|| eprintln!("error: {e}"));
                sum.errors.push(e);
            }
            bar.set_message(format!("{name}: {stored} articles"));
            if plain_log && stored >= last_log + 1000 {
                last_log = stored;
                let rate = stored as f64 / started.elapsed().as_secs_f64().max(1e-3);
                eprintln!("{stored} articles stored ({rate:.0}/s), at {name}");
            }
            Ok(())
        };
        if dossier_ingest::format_of(f) == Some(Format::Warc) {
            // While an archive is read the bar counts its bytes: rate and ETA that mean something.
            let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let total = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
            let file_pos = bar.position();
            bar.set_style(indicatif::ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}").expect("valid template"));
            bar.set_length(total);
            bar.set_position(0);
            bar.reset_eta();
            let (r2, b2) = (read.clone(), bar.clone());
            let mut take_and_show = |p: dossier_ingest::Parsed| {
                b2.set_position(r2.load(std::sync::atomic::Ordering::Relaxed));
                take(p)
            };
            dossier_ingest::ingest_warc(f, STORE_BATCH, jobs, read, &mut take_and_show)?;
            bar.set_style(files_style());
            bar.set_length(files.len() as u64);
            bar.set_position(file_pos);
        } else {
            // JSON Lines as a stream, a batch of records at a time; other files whole.
            dossier_ingest::ingest_path(f, STORE_BATCH, &mut take)?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    for e in &errors {
        eprintln!("error: {e}");
    }
    errors.append(&mut sum.errors);
    sum.errors = errors;
    // Whatever waits is analysed: this run's articles, and any a killed run stored and never analysed.
    let analysing = std::time::Instant::now();
    // Even with nothing new, the analysis first gives the search index what a killed run owed it.
    let analysis = if no_analyse {
        None
    } else {
        let pending = store.has_pending()?;
        let r = engine.analyse(&mut store, &crate::progress::Shown::new(quiet))?;
        pending.then_some(r)
    };
    let analysis_seconds = analysing.elapsed().as_secs_f64();
    note_cut(analysis.as_ref());
    let stories = store.stories()?.len();
    if json {
        let out = json!({
            "files": sum.files,
            "new_articles": sum.new_articles,
            "new_teasers": sum.new_teasers,
            "revised": sum.revised,
            "already_stored": sum.already_stored,
            "errors": sum.errors.iter().map(|e| json!({"location": e.location, "reason": e.reason})).collect::<Vec<_>>(),
            "stories": stories,
            "reanalysed": analysis.is_some(),
            "analysis": analysis,
            "analysis_seconds": analysis_seconds,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{} file(s): {} new article(s), {} new teaser(s), {} revised, {} already stored, {} error(s); {} stories in {}",
            sum.files,
            sum.new_articles,
            sum.new_teasers,
            sum.revised,
            sum.already_stored,
            sum.errors.len(),
            stories,
            dir.display()
        );
    }
    Ok(if sum.errors.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

fn print_changes(store: &dyn Store, since: dossier_model::Since, story: Option<&str>, limit: usize, json: bool) -> anyhow::Result<()> {
    let since = match since {
        dossier_model::Since::Seq(n) => n,
        dossier_model::Since::Time(t) => store.last_change_before(t)?,
    };
    let changes = store.changes(since, story, limit)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&changes)?);
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    for c in &changes {
        let mut what = c.kind.as_str().replace('_', " ");
        if c.kind == ChangeKind::ClaimCorrected {
            // The sentence before, then (as the entry's text) after.
            let was = c.was.as_deref().unwrap_or_default();
            what = if c.text.is_empty() { format!("{what}, dropped {was:?}") } else { format!("{what} from {was:?}") };
        } else if let (Some(from), Some(to)) = (c.from, c.to) {
            what = format!("{what} {} -> {}", from.as_str(), to.as_str());
        } else if let Some(to) = c.to {
            what = format!("{what} ({})", to.as_str());
        }
        let cite = [
            c.article_id.as_deref().map(|a| format!("article {a}")),
            c.other_story_id.as_deref().map(|s| if c.kind == ChangeKind::StoryCreated { format!("continues story {s}") } else { format!("from story {s}") }),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        writeln!(
            out,
            "{:>6} {} [{}] {what}{}{}",
            c.seq,
            c.at.format("%Y-%m-%d %H:%M:%S"),
            c.story_id,
            if cite.is_empty() { String::new() } else { format!(" ({cite})") },
            if c.text.is_empty() { String::new() } else { format!(": {}", c.text) }
        )?;
    }
    if changes.is_empty() {
        writeln!(out, "no changes after {since}")?;
    }
    Ok(())
}

fn demo(dir: &Path, addr: std::net::SocketAddr, no_serve: bool, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    let lock = writer_lock(dir)?;
    // A fresh store: remove only dossier's own files, never anything else in the folder.
    for f in ["dossier.sqlite", "dossier.sqlite-wal", "dossier.sqlite-shm"] {
        let p = dir.join(f);
        if p.exists() {
            std::fs::remove_file(&p).with_context(|| format!("removing {}", p.display()))?;
        }
    }
    let mut store = SqliteStore::open_dir(dir)?;
    let mut engine = embedding.engine(dir);
    let now = Utc::now();
    let mut articles = Vec::new();
    for (name, bytes) in SAMPLE_CORPUS {
        let parsed = ingest_bytes(&format!("examples/corpus/{name}"), bytes, Format::Text, now);
        for e in &parsed.errors {
            eprintln!("error: {e}");
        }
        articles.extend(parsed.articles);
    }
    engine.ingest(&mut store, &articles, &crate::progress::Shown::new(true))?;
    println!("Stories in the sample corpus:\n");
    let all = crate::lists_cmd::StoriesArgs { sort: dossier_brief::desk::Sort::Size, has: vec![], limit: None, offset: 0 };
    crate::lists_cmd::stories(&store, all, crate::lists_cmd::Format::Text)?;
    if let Some(largest) = store.stories()?.first() {
        if let Some(brief) = store.brief(&largest.id)? {
            println!("\n{}", dossier_brief::render_text(&dossier_brief::glance(&brief, &dossier_brief::Settings::default())));
        }
    }
    drop(lock);
    if !no_serve {
        serve(dossier_server::Source::Dir(dir.to_path_buf()), addr, None, None, *embedding)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the local search index of the PostgreSQL store at `url` lives (`--store`).
fn postgres_index_dir(data: &Path, url: &str) -> anyhow::Result<PathBuf> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        crate::usage!("--store {}: expected a postgres:// URL (without --store, the data directory's SQLite store is used)", dossier_store_postgres::describe(url));
    }
    Ok(dossier_server::postgres_index_dir(data, url))
}

fn index_postgres(url: &str, index_dir: &Path, rebuild: bool) -> anyhow::Result<dossier_server::follow::Refreshed> {
    let bar = progress_bar(0, "articles indexed");
    let r = dossier_server::index_postgres(url, index_dir, rebuild, &mut |done, of| {
        bar.set_length(of as u64);
        bar.set_position(done as u64);
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    Ok(r)
}

/// Whether `addr` answers this machine only (an IPv4-mapped 127.0.0.0/8 address counts).
fn is_loopback(addr: std::net::SocketAddr) -> bool {
    addr.ip().to_canonical().is_loopback()
}

/// Listening where other machines can connect is a choice made out loud: `--public`.
fn check_public(addr: std::net::SocketAddr, public: bool) -> anyhow::Result<()> {
    if !public && !is_loopback(addr) {
        crate::usage!("--addr {addr} is not loopback: every machine that can reach it could connect (and read, unless a read token is set); add --public to listen there anyway");
    }
    Ok(())
}

/// What serving on `addr` exposes, when it is not loopback only.
fn exposure_warning(addr: std::net::SocketAddr, read_token: bool, ingest_token: bool) -> Option<String> {
    if is_loopback(addr) {
        return None;
    }
    let reach = if addr.ip().is_unspecified() { "every network interface" } else { "a network interface" };
    let mut w = format!("warning: listening on {addr}, {reach}: every machine that can reach it can connect");
    if read_token {
        w.push_str(" (reading needs the read token)");
    } else {
        w.push_str("; reading is open to all of them (set DOSSIER_READ_TOKEN to require a token)");
    }
    if ingest_token {
        w.push_str("; the ingest token travels unencrypted over plain HTTP (put a TLS proxy in front)");
    }
    Some(w)
}

fn serve(source: dossier_server::Source, addr: std::net::SocketAddr, ingest_token: Option<String>, read_token: Option<String>, embedding: Embedding) -> anyhow::Result<()> {
    if let Some(w) = exposure_warning(addr, read_token.is_some(), ingest_token.is_some()) {
        eprintln!("{w}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    // SQLite: POST /api/ingest runs the engine, which keeps DATA/index. PostgreSQL: the
    // workers analyse what it stores (as they do for queued input), and the server follows.
    let analyse: Option<dossier_server::Analyser> = match &source {
        dossier_server::Source::Dir(dir) => {
            let engine = std::sync::Mutex::new(embedding.engine(dir));
            Some(std::sync::Arc::new(move |store: &mut dyn Store| {
                let mut engine = engine.lock().map_err(|_| "the engine failed earlier".to_string())?;
                engine.analyse(store, &dossier_engine::Silent).map(|_| ()).map_err(|e| e.to_string())
            }))
        }
        dossier_server::Source::Postgres { .. } => None,
    };
    // Webhooks go only to public addresses unless the one documented setting says otherwise.
    let deliver = dossier_alerts::webhook::DeliverConfig::from_env().map_err(|e| anyhow::Error::new(crate::Usage(e)))?;
    let options = dossier_server::ServeOptions { ingest_token, read_token, analyse, deliver, embed_query: embedding.query_embedder(), tone: embedding.tone_model(), ..Default::default() };
    rt.block_on(dossier_server::serve(source, addr, options, |bound| {
        println!("dossier is serving http://{bound}/  (Ctrl-C to stop)");
        let _ = std::io::stdout().flush();
    }))
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}
