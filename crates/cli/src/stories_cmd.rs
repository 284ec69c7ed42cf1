//! `dossier eval stories FILE.jsonl`: the story clustering on its own, over a
//! labelled or unlabelled set of articles, printing `{"id", "story"}` lines
//! that `../shared/bench/stories/score.py` (or any B-cubed scorer) reads.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use chrono::Utc;
use dossier_model::{Article, ArticleKind, Outlet, OutletBasis};
use serde::Deserialize;

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

pub fn eval_stories(file: &Path, out: Option<&Path>) -> anyhow::Result<ExitCode> {
    let f = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
    let mut articles = Vec::new();
    for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}", file.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let r: Record = serde_json::from_str(&line).with_context(|| format!("{}:{}: malformed record", file.display(), n + 1))?;
        let published = match r.published.as_deref() {
            Some(p) => Some(dossier_extract::parse_date(p).with_context(|| format!("{}:{}: unreadable date {p:?}", file.display(), n + 1))?),
            None => None,
        };
        articles.push(Article {
            id: id_string(&r.id),
            kind: ArticleKind::Main,
            title: r.title.unwrap_or_default(),
            text: r.text.unwrap_or_default(),
            outlet: Outlet { name: r.outlet.unwrap_or_else(|| "unknown".into()), basis: OutletBasis::Given },
            url: r.url,
            source: format!("{}:{}", file.display(), n + 1),
            published,
            seen_at: published.unwrap_or_else(Utc::now),
            language: None,
        });
    }
    if articles.is_empty() {
        bail!("{}: no records", file.display());
    }
    let enriched: Vec<_> = articles.iter().map(dossier_enrich::enrich).collect();
    let started = std::time::Instant::now();
    let stories = dossier_stories::cluster(&enriched, &dossier_stories::Settings::default());
    let secs = started.elapsed().as_secs_f64();
    let mut buf = Vec::new();
    for s in &stories {
        for a in &s.article_ids {
            writeln!(buf, "{}", serde_json::json!({"id": a, "story": s.id}))?;
        }
    }
    match out {
        Some(p) => std::fs::write(p, &buf).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(&buf)?,
    }
    eprintln!("{} articles -> {} stories in {secs:.2}s (clustering only)", articles.len(), stories.len());
    Ok(ExitCode::SUCCESS)
}
