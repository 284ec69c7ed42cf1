//! `dossier extract` and `dossier eval extraction`: the extractor on its own.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::{bail, Context};
use dossier_extract::{extract_html_with, Block, Extracted, HtmlOptions};
use serde_json::{json, Value};

/// How one extracted article is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Json,
    Text,
    Markdown,
}

/// Largest input read from a file or stdin.
const MAX_INPUT: u64 = 64 << 20;

/// One input's bytes and what is known about where they came from.
struct Source {
    bytes: Vec<u8>,
    content_type: Option<String>,
    url: Option<String>,
}

fn read_source(src: &str, allow_private: bool) -> anyhow::Result<Source> {
    if src == "-" {
        let mut buf = Vec::new();
        std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut buf).context("reading stdin")?;
        if buf.len() as u64 > MAX_INPUT {
            bail!("stdin: larger than {} MiB", MAX_INPUT >> 20);
        }
        return Ok(Source { bytes: buf, content_type: None, url: None });
    }
    if src.starts_with("http://") || src.starts_with("https://") {
        let cfg = dossier_fetch::FetchConfig { allow_private, allow_loopback: allow_private, ..Default::default() };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let page = rt.block_on(async { dossier_fetch::Fetcher::new(cfg)?.get(src).await })?;
        return Ok(Source { bytes: page.body, content_type: page.content_type, url: Some(page.url) });
    }
    let bytes = dossier_ingest::read_input(Path::new(src)).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Source { bytes, content_type: None, url: None })
}

pub fn article_json(source: &str, ex: &Extracted) -> Value {
    let m = &ex.main;
    let blocks: Vec<Value> = m
        .blocks
        .iter()
        .map(|b| {
            let kind = match b {
                Block::Paragraph(_) => "paragraph",
                Block::Heading(_) => "heading",
                Block::ListItem(_) => "list_item",
                Block::Quote(_) => "quote",
            };
            json!({"kind": kind, "text": b.text()})
        })
        .collect();
    json!({
        "source": source,
        "title": m.title,
        "authors": m.authors,
        "published": m.published.map(|d| d.to_rfc3339()),
        "modified": m.modified.map(|d| d.to_rfc3339()),
        "site_name": ex.site_name,
        "url": m.url,
        "language": m.language,
        "image": m.image,
        "description": m.description,
        "body": m.body(),
        "blocks": blocks,
    })
}

pub fn markdown(ex: &Extracted) -> String {
    let m = &ex.main;
    let mut out = String::new();
    if let Some(t) = &m.title {
        out.push_str(&format!("# {t}\n\n"));
    }
    let mut byline = Vec::new();
    if !m.authors.is_empty() {
        byline.push(m.authors.join(", "));
    }
    if let Some(s) = &ex.site_name {
        byline.push(s.clone());
    }
    if let Some(d) = m.published {
        byline.push(d.format("%Y-%m-%d").to_string());
    }
    if !byline.is_empty() {
        out.push_str(&format!("*{}*\n\n", byline.join(" · ")));
    }
    for b in &m.blocks {
        match b {
            Block::Paragraph(t) => out.push_str(t),
            Block::Heading(t) => out.push_str(&format!("## {t}")),
            Block::ListItem(t) => out.push_str(&format!("- {t}")),
            Block::Quote(t) => out.push_str(&format!("> {t}")),
        }
        out.push_str("\n\n");
    }
    out.trim_end().to_string() + "\n"
}

fn extract_one(source: &str, src: &Source) -> Result<Extracted, String> {
    let opts = HtmlOptions { url: src.url.clone(), content_type: src.content_type.clone(), ..HtmlOptions::default() };
    extract_html_with(&src.bytes, &opts).map_err(|e| format!("{source}: {e}"))
}

/// Runs `f` over `items` on `jobs` threads; results come back in input order.
pub fn par_map<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let jobs = jobs.max(1).min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() {
                    break;
                }
                let r = f(&items[i]);
                out.lock().unwrap()[i] = Some(r);
            });
        }
    });
    out.into_inner().unwrap().into_iter().map(|r| r.expect("every item processed")).collect()
}

pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

fn html_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".html") || n.ends_with(".htm") || n.ends_with(".html.gz") || n.ends_with(".htm.gz")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// `dossier extract`: one input prints one article; several (or a folder) print JSON Lines.
pub fn extract(inputs: &[String], output: Output, jobs: Option<usize>, out: Option<&Path>, allow_private: bool) -> anyhow::Result<ExitCode> {
    let mut sources: Vec<String> = Vec::new();
    for i in inputs {
        let p = Path::new(i);
        if p.is_dir() {
            sources.extend(html_files(p)?.into_iter().map(|p| p.display().to_string()));
        } else {
            sources.push(i.clone());
        }
    }
    if sources.is_empty() {
        bail!("no HTML files found in {}", inputs.join(", "));
    }
    let batch = sources.len() > 1 || inputs.iter().any(|i| Path::new(i).is_dir());
    if !batch {
        let src = &sources[0];
        let source = read_source(src, allow_private)?;
        let ex = extract_one(src, &source).map_err(anyhow::Error::msg)?;
        let text = match output {
            Output::Json => serde_json::to_string_pretty(&article_json(src, &ex))? + "\n",
            Output::Text => {
                let mut s = ex.main.title.clone().map(|t| t + "\n\n").unwrap_or_default();
                s.push_str(&ex.main.body());
                s + "\n"
            }
            Output::Markdown => markdown(&ex),
        };
        write_out(out, text.as_bytes())?;
        return Ok(ExitCode::SUCCESS);
    }
    if output != Output::Json {
        crate::usage!("batch mode writes JSON Lines; --text and --markdown take a single input");
    }
    let jobs = jobs.unwrap_or_else(default_jobs);
    let mut failed = 0usize;
    let mut buf = Vec::new();
    // Chunks bound memory on huge batches while keeping input order.
    for chunk in sources.chunks(1024) {
        let lines = par_map(chunk, jobs, |src| {
            let (v, ok) = match read_source(src, allow_private).map_err(|e| format!("{e:#}")).and_then(|b| extract_one(src, &b)) {
                Ok(ex) => (article_json(src, &ex), true),
                Err(e) => (json!({"source": src, "error": e}), false),
            };
            (serde_json::to_string(&v).expect("json"), ok)
        });
        for (l, ok) in lines {
            if !ok {
                failed += 1;
            }
            buf.extend_from_slice(l.as_bytes());
            buf.push(b'\n');
        }
    }
    write_out(out, &buf)?;
    if failed > 0 {
        eprintln!("{failed} of {} inputs failed (see their \"error\" lines)", sources.len());
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_out(out: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match out {
        Some(p) => std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display())),
        None => {
            let mut so = std::io::stdout().lock();
            so.write_all(bytes)?;
            so.flush()?;
            Ok(())
        }
    }
}

/// `dossier eval extraction DIR`: predictions JSON ({id: {"articleBody"}}) for DIR/html/*.
pub fn eval_extraction(dir: &Path, jobs: Option<usize>, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let html = if dir.join("html").is_dir() { dir.join("html") } else { dir.to_path_buf() };
    let files = html_files(&html)?;
    if files.is_empty() {
        bail!("no .html or .html.gz files in {}", html.display());
    }
    let jobs = jobs.unwrap_or_else(default_jobs);
    // With the folder's ground truth beside it, each page's URL is known (as a
    // crawler knows the URL it fetched), and the score is reported.
    let truth_path = dir.join("ground-truth.json");
    let truth: Option<Value> = match std::fs::read_to_string(&truth_path) {
        Ok(raw) => Some(serde_json::from_str(&raw).with_context(|| format!("reading {}", truth_path.display()))?),
        Err(_) => None,
    };
    let url_of = |id: &str| truth.as_ref().and_then(|t| t.get(id)).and_then(|v| v.get("url")).and_then(Value::as_str).map(str::to_string);
    let results = par_map(&files, jobs, |p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let id = name.trim_end_matches(".gz").trim_end_matches(".html").trim_end_matches(".htm").to_string();
        let url = url_of(&id);
        let ex = dossier_ingest::read_input(p).map_err(|e| e.to_string()).and_then(|bytes| extract_one(&p.display().to_string(), &Source { bytes, content_type: None, url }));
        (id, ex)
    });
    let mut map = serde_json::Map::new();
    let mut failed = 0;
    for (id, ex) in results {
        let pred = match ex {
            Ok(ex) => prediction(&ex),
            Err(e) => {
                eprintln!("{e}");
                failed += 1;
                json!({ "articleBody": "" })
            }
        };
        map.insert(id, pred);
    }
    if let Some(truth) = &truth {
        if let Some(t) = truth.as_object() {
            let pairs: Vec<(&str, &str)> = t
                .iter()
                .map(|(id, v)| {
                    let gold = v.get("articleBody").and_then(Value::as_str).unwrap_or("");
                    let pred = map.get(id).and_then(|p| p.get("articleBody")).and_then(Value::as_str).unwrap_or("");
                    (gold, pred)
                })
                .collect();
            let (p, r, f1) = dossier_extract::score::score(pairs);
            eprintln!("score against {}: precision {p:.4} recall {r:.4} F1 {f1:.4}", truth_path.display());
        }
    }
    let text = serde_json::to_string_pretty(&Value::Object(map))? + "\n";
    write_out(out, text.as_bytes())?;
    eprintln!("extracted {} pages ({failed} without an article)", files.len());
    Ok(ExitCode::SUCCESS)
}

/// One page's prediction in the benchmark's shape: the body, and the title,
/// authors, publication day (as the page states it) and teaser headlines.
fn prediction(ex: &Extracted) -> Value {
    json!({
        "articleBody": ex.main.body(),
        "title": ex.main.title,
        "author": ex.main.authors,
        "publish_date": ex.main.published_day.or(ex.main.published.map(|d| d.date_naive())).map(|d| d.format("%Y-%m-%d").to_string()),
        "teasers": ex.teasers.iter().map(|t| t.title_or_lead()).collect::<Vec<_>>(),
    })
}

/// Peak resident memory of this process in bytes (Linux), if known.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `dossier bench extraction DIR`: one thread, pages already in memory, median of `passes`.
pub fn bench_extraction(dir: &Path, passes: usize) -> anyhow::Result<ExitCode> {
    let html = if dir.join("html").is_dir() { dir.join("html") } else { dir.to_path_buf() };
    let files = html_files(&html)?;
    if files.is_empty() {
        bail!("no .html or .html.gz files in {}", html.display());
    }
    let pages: Vec<Vec<u8>> = files.iter().map(|p| dossier_ingest::read_input(p).map_err(|e| anyhow::anyhow!("{e}"))).collect::<anyhow::Result<_>>()?;
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let rss_before = peak_rss();
    let mut times = Vec::new();
    let mut words = 0usize;
    for _ in 0..passes.max(1) {
        let start = std::time::Instant::now();
        words = 0;
        for p in &pages {
            if let Ok(ex) = extract_html_with(p, &HtmlOptions::default()) {
                words += ex.main.body().split_whitespace().count();
            }
        }
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let v = json!({
        "extractor": "dossier",
        "pages": pages.len(),
        "megabytes": bytes as f64 / 1e6,
        "passes": times.len(),
        "median_seconds": median,
        "pages_per_second": pages.len() as f64 / median,
        "megabytes_per_second": bytes as f64 / 1e6 / median,
        "words_extracted": words,
        "peak_rss_mb": peak_rss().map(|b| b as f64 / 1e6),
        "rss_before_extraction_mb": rss_before.map(|b| b as f64 / 1e6),
    });
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(ExitCode::SUCCESS)
}
