//! Measures each feature alone and the trained combiner on a held-out file,
//! training only on the training file:
//! `cargo run --release -p dossier-similarity --example ablation -- TRAIN.tsv DEV.tsv [CACHE.json]`
//! Features are cached in CACHE.json (delete it after changing them).
use std::path::Path;

use dossier_similarity::data::{read_pairs, spearman};
use dossier_similarity::features::{Idf, NAMES};
use dossier_similarity::{feature_names, fit, pair_matrix, Grid};

#[derive(serde::Serialize, serde::Deserialize)]
struct Cache {
    train: (Vec<Vec<f32>>, Vec<Vec<f32>>),
    dev: (Vec<Vec<f32>>, Vec<Vec<f32>>),
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [train_path, dev_path, rest @ ..] = &args[..] else { anyhow::bail!("usage: ablation TRAIN.tsv DEV.tsv [CACHE.json]") };
    let train = read_pairs(Path::new(train_path))?;
    let dev = read_pairs(Path::new(dev_path))?;
    let cache_path = rest.first();
    let cache: Cache = match cache_path.and_then(|p| std::fs::read_to_string(p).ok()) {
        Some(text) => serde_json::from_str(&text)?,
        None => {
            let dir = dossier_embed::locate().ok_or_else(|| anyhow::anyhow!("no model installed"))?;
            let e = dossier_embed::Embedder::load(&dir)?;
            let t = std::time::Instant::now();
            let mut seen = std::collections::HashSet::new();
            let texts: Vec<&str> = train.iter().flat_map(|p| [p.a.as_str(), p.b.as_str()]).filter(|t| seen.insert(*t)).collect();
            let emb = e.embed_tokens(&texts)?;
            let idf = Idf::count(emb.iter().map(|e| &e.ids[1..e.ids.len() - 1]));
            eprintln!("idf over {} sentences in {:.1}s", texts.len(), t.elapsed().as_secs_f64());
            let refs = |v: &[dossier_similarity::data::Pair]| v.iter().map(|p| (p.a.clone(), p.b.clone())).collect::<Vec<_>>();
            let tr = refs(&train);
            let dv = refs(&dev);
            let t = std::time::Instant::now();
            let c = Cache {
                train: pair_matrix(&e, &idf, &tr.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect::<Vec<_>>())?,
                dev: pair_matrix(&e, &idf, &dv.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect::<Vec<_>>())?,
            };
            eprintln!("features in {:.1}s", t.elapsed().as_secs_f64());
            if let Some(p) = cache_path {
                std::fs::write(p, serde_json::to_string(&c)?)?;
            }
            c
        }
    };
    let ytr: Vec<f32> = train.iter().map(|p| p.score).collect();
    let ydev: Vec<f32> = dev.iter().map(|p| p.score).collect();
    for (k, name) in NAMES.iter().enumerate() {
        let col = |m: &[Vec<f32>]| m.iter().map(|r| r[k]).collect::<Vec<f32>>();
        println!("{name:>24}  train {:+.4}  dev {:+.4}", spearman(&col(&cache.train.0), &ytr), spearman(&col(&cache.dev.0), &ydev));
    }
    let grid = Grid::default();
    let f = fit(cache.train.0.clone(), &cache.train.1, &ytr, &grid, &mut |s: &str| eprintln!("{s}"));
    let ridge_dev: Vec<f32> = cache.dev.1.iter().map(|z| f.ridge.predict(z)).collect();
    println!("{:>24}  dev {:+.4}", feature_names().last().unwrap(), spearman(&ridge_dev, &ydev));
    let pred: Vec<f32> = cache.dev.0.iter().zip(&ridge_dev).map(|(r, &z)| f.forest.predict(&[&r[..], &[z]].concat())).collect();
    println!("combiner: depth {} min_leaf {} rate {} trees {}; cv {:.4}; dev spearman {:.4}", f.params.depth, f.params.min_leaf, f.params.rate, f.params.trees, f.cv_spearman, spearman(&pred, &ydev));
    Ok(())
}
