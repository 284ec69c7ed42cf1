//! `dossier eval tone FILE.jsonl`: the tone classifier on NewsMTSC-style rows
//! (`{"sentence", "mention", "from", "to", "polarity"}`), printing -1, 0 or 1
//! per row in file order, the format `../shared/bench/tone/score.py` reads.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context};
use dossier_tone::data::read_rows;
use dossier_tone::{macro_f1, Target, Tone};

use crate::embeddings::Embedding;

/// The tuned tone model, which needs the embedding model whatever `--embeddings` says.
pub fn load(embedding: &Embedding) -> anyhow::Result<Tone> {
    if embedding.is_off() {
        crate::usage!("tone needs the embedding model; it cannot run with --embeddings off");
    }
    let Some(dir) = dossier_embed::locate() else {
        bail!("tone needs the embedding model, and none is installed (run `dossier model fetch`, or point $DOSSIER_MODEL at it)");
    };
    Tone::load(&dir).with_context(|| format!("loading the tone model from {}", dir.display()))
}

/// The tone model for the pair report: none with `--embeddings off`, or
/// (`auto`) when no model is installed; `on` requires it.
fn optional(embedding: &Embedding) -> anyhow::Result<Option<Tone>> {
    if embedding.is_off() || (embedding.0 == crate::args::Embeddings::Auto && dossier_embed::locate().is_none()) {
        return Ok(None);
    }
    load(embedding).map(Some)
}

/// `dossier pair A B [--json]`: over the articles the search index says may name both
/// (`index`), or every stored article without one.
pub fn pair(store: &dyn dossier_store::Store, index: Option<&dossier_search::SearchIndex>, a: &str, b: &str, json: bool, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    let tone = optional(embedding)?;
    let p = match index {
        Some(ix) => dossier_tone::pairs::pair_among(store, &ix.articles_naming_all(&[a, b])?, a, b, tone.as_ref())?,
        None => dossier_tone::pairs::pair(store, a, b, tone.as_ref())?,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&p)?);
        return Ok(ExitCode::SUCCESS);
    }
    let more = if p.truncated { " (the newest; more mention both)" } else { "" };
    println!("{} and {}: {} sentence(s) in {} article(s) mention both{more}", p.a, p.b, p.sentences, p.articles);
    for d in &p.days {
        println!("  {}  {} article(s), {} sentence(s)", d.day, d.articles, d.sentences);
    }
    if !p.tone {
        println!("(tone not read: no embedding model; run `dossier model fetch`)");
    }
    for o in &p.outlets {
        println!("{}: {} sentence(s) in {} article(s)", o.outlet, o.sentences, o.articles);
        if p.tone {
            println!("  towards {}: {}", p.a, counts(&o.toward_a));
            println!("  towards {}: {}", p.b, counts(&o.toward_b));
        }
    }
    for s in p.examples.iter().take(10) {
        let mark = |v: Option<i8>| v.map_or(String::new(), |v| format!(" {v:+}"));
        println!("- [{} {}] {}{} / {}{}: {}", s.time.format("%Y-%m-%d"), s.outlet, s.mention_a, mark(s.toward_a), s.mention_b, mark(s.toward_b), s.text.replace('\n', " "));
    }
    Ok(ExitCode::SUCCESS)
}

fn counts(c: &dossier_model::ToneCounts) -> String {
    let mean = c.mean.map_or("-".into(), |m| format!("{m:+.2}"));
    format!("{} negative, {} neutral, {} positive (mean {mean})", c.negative, c.neutral, c.positive)
}

pub fn eval(file: &Path, out: Option<&Path>, features: Option<&Path>, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    let rows = read_rows(file)?;
    let started = Instant::now();
    let tone = load(embedding)?;
    let loaded = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let targets: Vec<Target> = rows.iter().map(|r| Target { sentence: &r.sentence, span: r.start..r.end }).collect();
    let feats = tone.features(&targets)?;
    let verdicts: Vec<_> = feats.iter().map(|f| tone.verdict(f)).collect();
    let secs = started.elapsed().as_secs_f64();
    if let Some(path) = features {
        let bytes: Vec<u8> = feats.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
        std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let text: String = verdicts.iter().map(|v| format!("{}\n", v.polarity.value())).collect();
    match out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes()).context("writing to stdout")?,
    }
    eprint!("{} rows classified in {secs:.2}s ({:.0} rows/s; model loaded in {loaded:.2}s)", rows.len(), rows.len() as f64 / secs.max(1e-9));
    let gold: Vec<_> = rows.iter().filter_map(|r| r.polarity).collect();
    if gold.len() == rows.len() {
        let pred: Vec<_> = verdicts.iter().map(|v| v.polarity).collect();
        eprint!("; macro-F1 against the file's labels {:.4}", macro_f1(&gold, &pred));
    }
    eprintln!();
    Ok(ExitCode::SUCCESS)
}
