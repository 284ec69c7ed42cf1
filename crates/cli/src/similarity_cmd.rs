//! `dossier eval similarity FILE.tsv` and `dossier train similarity FILE.tsv`:
//! the sentence-similarity scorer on labelled pairs (the STS-B layout,
//! `score<TAB>sentence1<TAB>sentence2` after a header), printing one score per
//! pair in file order, the format `../shared/bench/similarity/score.py` reads.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use dossier_embed::Embedder;
use dossier_similarity::data::{read_pairs, spearman};
use dossier_similarity::{Combiner, Grid, Similarity};

use crate::embeddings::Embedding;

/// The model, which both commands need whatever `--embeddings` says.
fn embedder(embedding: &Embedding) -> anyhow::Result<Embedder> {
    if embedding.is_off() {
        bail!("sentence similarity needs the embedding model; it cannot run with --embeddings off");
    }
    let Some(dir) = dossier_embed::locate() else {
        bail!("sentence similarity needs the embedding model, and none is installed (run `dossier model fetch`, or point $DOSSIER_MODEL at it)");
    };
    Embedder::load(&dir).with_context(|| format!("loading the embedding model from {}", dir.display()))
}

pub fn eval(file: &Path, out: Option<&Path>, combiner: Option<&Path>, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    let pairs = read_pairs(file)?;
    let combiner = match combiner {
        Some(p) => Combiner::read(p)?,
        None => Combiner::bundled()?,
    };
    let sim = Similarity::new(embedder(embedding)?, combiner);
    let started = std::time::Instant::now();
    let refs: Vec<(&str, &str)> = pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
    let scores = sim.score_pairs(&refs)?;
    let secs = started.elapsed().as_secs_f64();
    let mut text = String::with_capacity(scores.len() * 8);
    for s in &scores {
        text.push_str(&format!("{s:.4}\n"));
    }
    match out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes()).context("writing to stdout")?,
    }
    let gold: Vec<f32> = pairs.iter().map(|p| p.score).collect();
    eprintln!("{} pairs scored in {secs:.1}s ({:.0} pairs/s); spearman against the file's scores {:.4}", pairs.len(), pairs.len() as f64 / secs.max(1e-9), spearman(&scores, &gold));
    Ok(ExitCode::SUCCESS)
}

pub fn train(file: &Path, out: &Path, folds: usize, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    if !(2..=20).contains(&folds) {
        bail!("--folds {folds}: use 2 to 20");
    }
    let pairs = read_pairs(file)?;
    let embedder = embedder(embedding)?;
    let grid = Grid { folds, ..Grid::default() };
    let combiner = dossier_similarity::train(&embedder, &pairs, &grid, |line| eprintln!("{line}"))?;
    std::fs::write(out, combiner.to_json() + "\n").with_context(|| format!("writing {}", out.display()))?;
    println!("combiner written to {} ({} pairs, {}-fold cv spearman {:.4})", out.display(), pairs.len(), folds, combiner.training.cv_spearman);
    Ok(ExitCode::SUCCESS)
}
