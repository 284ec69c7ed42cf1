//! `dossier eval stories FILE.jsonl`: the story clustering on its own, over a
//! labelled or unlabelled set of articles, printing `{"id", "story"}` lines
//! that `../shared/bench/stories/score.py` (or any B-cubed scorer) reads.
//!
//! It streams: a first pass reads the file for document frequencies and
//! publication times (16 bytes per article kept), a second reads the articles
//! again in publication order and feeds the clusterer, and each story is
//! printed as soon as it closes. Memory is bounded by the window of active
//! stories, not by the size of the file.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use dossier_enrich::Enriched;
use dossier_model::{Article, ArticleKind, Outlet, OutletBasis};
use dossier_stories::{Clusterer, Settings, Vocabulary};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::embeddings::Embedding;

#[derive(Deserialize)]
struct Record {
    id: serde_json::Value,
    title: Option<String>,
    text: Option<String>,
    url: Option<String>,
    outlet: Option<String>,
    published: Option<String>,
}

fn id_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn parse_record(file: &Path, line_no: usize, line: &str) -> anyhow::Result<Article> {
    let r: Record = serde_json::from_str(line).with_context(|| format!("{}:{line_no}: malformed record", file.display()))?;
    let published = match r.published.as_deref() {
        Some(p) => Some(dossier_extract::parse_date(p).with_context(|| format!("{}:{line_no}: unreadable date {p:?}", file.display()))?),
        None => None,
    };
    Ok(Article {
        id: id_string(&r.id),
        kind: ArticleKind::Main,
        title: r.title.unwrap_or_default(),
        text: r.text.unwrap_or_default(),
        outlet: Outlet { name: r.outlet.unwrap_or_else(|| "unknown".into()), basis: OutletBasis::Given },
        url: r.url,
        source: format!("{}:{line_no}", file.display()),
        published,
        // Undated records count as published at the epoch: deterministic, and first.
        seen_at: published.unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
        language: None,
    })
}

/// Enriches a batch of lines on `jobs` threads, keeping their order.
fn enrich_lines(file: &Path, lines: &[(usize, String)], jobs: usize) -> anyhow::Result<Vec<Enriched>> {
    let per = lines.len().div_ceil(jobs.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> =
            lines.chunks(per).map(|part| s.spawn(move || part.iter().map(|(n, l)| parse_record(file, *n, l).map(|a| dossier_enrich::enrich(&a))).collect::<anyhow::Result<Vec<_>>>())).collect();
        let mut out = Vec::with_capacity(lines.len());
        for h in handles {
            out.extend(h.join().expect("enrichment thread panicked")?);
        }
        Ok(out)
    })
}

/// Applies `--set key=value` overrides.
pub fn apply_settings(mut s: Settings, overrides: &[String]) -> anyhow::Result<Settings> {
    for o in overrides {
        let (k, v) = o.split_once('=').with_context(|| format!("--set {o}: expected KEY=VALUE"))?;
        let x: f64 = v.trim().parse().with_context(|| format!("--set {o}: {v:?} is not a number"))?;
        let field = match k.trim() {
            "join_threshold" => &mut s.join_threshold,
            "half_life_days" => &mut s.half_life_days,
            "title_weight" => &mut s.title_weight,
            "lead_weight" => &mut s.lead_weight,
            "entity_weight" => &mut s.entity_weight,
            "merge_threshold" => &mut s.merge_threshold,
            "embedding_weight" => &mut s.embedding_weight,
            "embedding_floor" => &mut s.embedding_floor,
            "short_text_terms" => &mut s.short_text_terms,
            other => crate::usage!(
                "--set: unknown setting {other:?} (join_threshold, half_life_days, title_weight, lead_weight, entity_weight, merge_threshold, embedding_weight, embedding_floor, short_text_terms)"
            ),
        };
        *field = x;
    }
    Ok(s)
}

/// A file of embeddings keyed by the SHA-256 of the text they were computed from.
pub(crate) struct EmbeddingCache {
    path: std::path::PathBuf,
    known: HashMap<[u8; 32], Vec<f32>>,
    fresh: Vec<([u8; 32], Vec<f32>)>,
}

const CACHE_RECORD: usize = 32 + dossier_embed::DIM * 2;

impl EmbeddingCache {
    pub(crate) fn open(path: &Path) -> anyhow::Result<Self> {
        let mut known = HashMap::new();
        if path.exists() {
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            // A torn last record (an interrupted write) is ignored.
            for rec in bytes.chunks_exact(CACHE_RECORD) {
                let key: [u8; 32] = rec[..32].try_into().unwrap();
                known.insert(key, dossier_embed::from_bytes(&rec[32..])?);
            }
        }
        Ok(EmbeddingCache { path: path.to_path_buf(), known, fresh: Vec::new() })
    }

    fn key(text: &str) -> [u8; 32] {
        Sha256::digest(format!("{}\n{text}", dossier_embed::MODEL).as_bytes()).into()
    }

    pub(crate) fn save(&mut self) -> anyhow::Result<()> {
        if self.fresh.is_empty() {
            return Ok(());
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.path).with_context(|| format!("writing {}", self.path.display()))?;
        let len = f.metadata()?.len();
        if len % CACHE_RECORD as u64 != 0 {
            f.set_len(len - len % CACHE_RECORD as u64)?;
        }
        for (k, v) in self.fresh.drain(..) {
            f.write_all(&k)?;
            f.write_all(&dossier_embed::to_bytes(&v))?;
        }
        Ok(())
    }
}

/// Embeddings for a batch, from the cache where it has them.
pub(crate) fn embed_batch(embedder: &dossier_embed::Embedder, cache: &mut Option<EmbeddingCache>, texts: &[String]) -> anyhow::Result<Vec<Option<Vec<f32>>>> {
    let keys: Vec<[u8; 32]> = texts.iter().map(|t| EmbeddingCache::key(t)).collect();
    let mut out: Vec<Option<Vec<f32>>> = keys.iter().map(|k| cache.as_ref().and_then(|c| c.known.get(k).cloned())).collect();
    let missing: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
    if !missing.is_empty() {
        let refs: Vec<&str> = missing.iter().map(|&i| texts[i].as_str()).collect();
        for (&i, v) in missing.iter().zip(embedder.embed(&refs)?) {
            if let Some(c) = cache.as_mut() {
                c.fresh.push((keys[i], v.clone()));
            }
            out[i] = Some(v);
        }
    }
    Ok(out)
}

/// Stories printed as they close: `{"id", "story"}` per member.
struct Printer<W: Write> {
    out: W,
    ids: HashMap<usize, String>,
    stories: usize,
    articles: usize,
}

impl<W: Write> Printer<W> {
    fn emit(&mut self, formed: Vec<dossier_stories::Formed>) -> anyhow::Result<()> {
        for f in formed {
            let story = dossier_stories::story_id(&self.ids[&f.creator]);
            for m in &f.members {
                let id = self.ids.remove(m).expect("each article is in one story");
                writeln!(self.out, "{}", serde_json::json!({"id": id, "story": story}))?;
                self.articles += 1;
            }
            self.stories += 1;
        }
        Ok(())
    }
}

const CHUNK: usize = 2048;

pub fn eval_stories(file: &Path, out: Option<&Path>, overrides: &[String], embedding: &Embedding, cache: Option<&Path>, jobs: Option<usize>) -> anyhow::Result<ExitCode> {
    let settings = apply_settings(Settings::default(), overrides)?;
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())).max(1);
    let embedder = embedding.load()?;
    let started = std::time::Instant::now();

    // Pass 1: document frequencies, and each record's time and place in the file.
    let mut vocab = Vocabulary::default();
    let mut index: Vec<(i64, u64, usize)> = Vec::new(); // (published, byte offset, line number)
    {
        let f = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
        let mut r = BufReader::with_capacity(1 << 20, f);
        let mut offset = 0u64;
        let mut line_no = 0usize;
        let mut batch: Vec<(usize, String)> = Vec::new();
        let mut offsets: Vec<u64> = Vec::new();
        loop {
            let mut line = String::new();
            let n = r.read_line(&mut line).with_context(|| format!("{}:{}", file.display(), line_no + 1))?;
            line_no += 1;
            if n > 0 && !line.trim().is_empty() {
                offsets.push(offset);
                batch.push((line_no, line));
            }
            offset += n as u64;
            if batch.len() >= CHUNK || (n == 0 && !batch.is_empty()) {
                for ((e, (ln, _)), off) in enrich_lines(file, &batch, jobs)?.iter().zip(&batch).zip(&offsets) {
                    vocab.add(&dossier_stories::counts(e, &settings));
                    index.push((e.article.time().timestamp_micros(), *off, *ln));
                }
                batch.clear();
                offsets.clear();
            }
            if n == 0 {
                break;
            }
        }
    }
    if index.is_empty() {
        bail!("{}: no records", file.display());
    }
    let in_order = index.windows(2).all(|w| w[0].0 <= w[1].0);
    // Ties in time keep file order.
    index.sort_by_key(|&(t, off, _)| (t, off));

    // Pass 2: the articles again, in publication order, into the clusterer.
    let writer: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("writing {}", p.display()))?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut printer = Printer { out: writer, ids: HashMap::new(), stories: 0, articles: 0 };
    let mut cache = match (cache, &embedder) {
        (Some(p), Some(_)) => Some(EmbeddingCache::open(p)?),
        _ => None,
    };
    let mut clusterer = Clusterer::new(settings);
    let f = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
    let mut r = BufReader::with_capacity(1 << 20, f);
    let mut embed_secs = 0.0;
    for (chunk_no, chunk) in index.chunks(CHUNK).enumerate() {
        let mut lines = Vec::with_capacity(chunk.len());
        for &(_, off, ln) in chunk {
            if !in_order {
                r.seek(SeekFrom::Start(off))?;
            }
            let mut line = String::new();
            loop {
                line.clear();
                if r.read_line(&mut line)? == 0 {
                    bail!("{}: changed while being read", file.display());
                }
                if !line.trim().is_empty() {
                    break;
                }
            }
            lines.push((ln, line));
        }
        let docs = enrich_lines(file, &lines, jobs)?;
        let meanings = match &embedder {
            Some(e) => {
                let t = std::time::Instant::now();
                let texts: Vec<String> = docs.iter().map(dossier_stories::embedding_text).collect();
                let v = embed_batch(e, &mut cache, &texts)?;
                embed_secs += t.elapsed().as_secs_f64();
                v
            }
            None => vec![None; docs.len()],
        };
        for (k, (d, m)) in docs.iter().zip(&meanings).enumerate() {
            let pos = chunk_no * CHUNK + k;
            printer.ids.insert(pos, d.article.id.clone());
            let v = vocab.vector(&dossier_stories::counts(d, &settings));
            let closed = clusterer.push(&vocab, pos, d.article.time(), &v, m.as_deref()).closed;
            printer.emit(closed)?;
        }
        if let Some(c) = cache.as_mut() {
            c.save()?;
        }
    }
    let peak = clusterer.peak_open();
    printer.emit(clusterer.finish())?;
    printer.out.flush()?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} articles -> {} stories in {secs:.2}s ({:.0} articles/s; embeddings {}; peak {} open stories; {} terms){}",
        printer.articles,
        printer.stories,
        printer.articles as f64 / secs,
        if embedder.is_some() { format!("{embed_secs:.1}s") } else { "off".into() },
        peak,
        vocab.terms(),
        if overrides.is_empty() { String::new() } else { format!("; settings {settings:?}") }
    );
    Ok(ExitCode::SUCCESS)
}
