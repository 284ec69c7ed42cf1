//! `dossier eval similarity FILE.tsv` and `dossier train similarity FILE.tsv`:
//! the sentence-similarity scorer on labelled pairs (the STS-B layout,
//! `score<TAB>sentence1<TAB>sentence2` after a header), printing one score per
//! pair in file order, the format `../shared/bench/similarity/score.py` reads.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use dossier_embed::Embedder;
use dossier_similarity::data::{read_pairs, spearman};
use dossier_similarity::{Combiner, Grid, Similarity, Variant};

use crate::embeddings::Embedding;

/// The model and its folder, which both commands need whatever `--embeddings` says.
fn embedder(embedding: &Embedding) -> anyhow::Result<(Embedder, PathBuf)> {
    if embedding.is_off() {
        crate::usage!("sentence similarity needs the embedding model; it cannot run with --embeddings off");
    }
    let Some(dir) = dossier_embed::locate() else {
        bail!("sentence similarity needs the embedding model, and none is installed (run `dossier model fetch`, or point $DOSSIER_MODEL at it)");
    };
    let e = Embedder::load(&dir).with_context(|| format!("loading the embedding model from {}", dir.display()))?;
    Ok((e, dir))
}

/// `index<TAB>score` rows: the cross-encoder's scores for held-out training pairs.
fn read_holdout(path: &Path) -> anyhow::Result<HashMap<usize, f32>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = || format!("{}:{}: expected `index<TAB>score`, found {line:?}", path.display(), n + 1);
        let (i, s) = line.split_once('\t').with_context(bad)?;
        let (i, s): (usize, f32) = (i.trim().parse().with_context(bad)?, s.trim().parse().with_context(bad)?);
        if !(0.0..=dossier_similarity::MAX_SCORE).contains(&s) {
            bail!("{}:{}: score {s} is outside 0..=5", path.display(), n + 1);
        }
        if out.insert(i, s).is_some() {
            bail!("{}:{}: pair {i} appears twice", path.display(), n + 1);
        }
    }
    Ok(out)
}

/// The mean of several adapters' held-out scores (one file each, the same pairs in each), checked against the training file.
fn ensemble_holdout(files: &[PathBuf], train: &Path, pairs: usize) -> anyhow::Result<Option<HashMap<usize, f32>>> {
    let mut mean: Option<HashMap<usize, f32>> = None;
    for path in files {
        let h = read_holdout(path)?;
        if let Some(i) = h.keys().copied().filter(|&i| i >= pairs).min() {
            bail!("{}: pair {i} is not in {} ({pairs} pairs, numbered from 0)", path.display(), train.display());
        }
        match &mut mean {
            None => mean = Some(h),
            Some(m) => {
                if m.len() != h.len() || h.keys().any(|i| !m.contains_key(i)) {
                    bail!("{}: holds other pairs than {}; each adapter's held-out scores must cover the same pairs", path.display(), files[0].display());
                }
                for (i, s) in h {
                    *m.get_mut(&i).expect("same pairs") += s;
                }
            }
        }
    }
    Ok(mean.map(|m| m.into_iter().map(|(i, s)| (i, s / files.len() as f32)).collect()))
}

pub fn eval(file: &Path, out: Option<&Path>, combiner: Option<&Path>, variant: Variant, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    let pairs = read_pairs(file)?;
    let combiner = match combiner {
        Some(p) => Combiner::read(p)?,
        None => Combiner::bundled()?,
    };
    let (e, dir) = embedder(embedding)?;
    let sim = Similarity::with_variant(e, combiner, variant, &dir)?;
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

pub fn train(file: &Path, out: &Path, folds: usize, cross_holdout: &[PathBuf], bi_holdout: &[PathBuf], embedding: &Embedding) -> anyhow::Result<ExitCode> {
    if !(2..=20).contains(&folds) {
        crate::usage!("--folds {folds}: use 2 to 20");
    }
    let pairs = read_pairs(file)?;
    let holdout = ensemble_holdout(cross_holdout, file, pairs.len())?;
    let bi = ensemble_holdout(bi_holdout, file, pairs.len())?;
    // The first file is the first bundled copy's (seed 7): the one-copy blend's.
    let bi_one = ensemble_holdout(&bi_holdout[..bi_holdout.len().min(1)], file, pairs.len())?;
    let (embedder, _) = embedder(embedding)?;
    let grid = Grid { folds, ..Grid::default() };
    let combiner = dossier_similarity::train(&embedder, &pairs, &grid, holdout.as_ref(), bi.as_ref(), bi_one.as_ref(), |line| eprintln!("{line}"))?;
    std::fs::write(out, combiner.to_json() + "\n").with_context(|| format!("writing {}", out.display()))?;
    println!("combiner written to {} ({} pairs, {}-fold cv spearman {:.4})", out.display(), pairs.len(), folds, combiner.training.cv_spearman);
    for (name, b) in [("blend", &combiner.blend), ("blend without the cross-encoder", &combiner.blend_without_cross), ("blend with one bi-encoder copy", &combiner.blend_one_bi)] {
        let Some(b) = b else { continue };
        let h = b.holdout_spearman;
        println!(
            "{name}: cross-encoder weight {:.2}, bi-encoder weight {:.2}, chosen on {} held-out pairs: trees {:.4}, cross-encoder {:.4}, bi-encoder {}, blend {:.4}",
            b.weight,
            b.bi_weight,
            b.holdout_pairs,
            h.trees,
            h.cross,
            h.bi.map_or("-".into(), |s| format!("{s:.4}")),
            h.blend
        );
    }
    Ok(ExitCode::SUCCESS)
}
