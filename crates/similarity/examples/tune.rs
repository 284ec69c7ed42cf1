//! Tunes the last layer on TRAIN.tsv and prints the plain cosine's Spearman on DEV.tsv after each epoch:
//! `cargo run -p dossier-similarity --example tune -- TRAIN.tsv DEV.tsv [EPOCHS] [RATE]`
use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};
use dossier_similarity::data::{read_pairs, spearman, Pair};
use dossier_similarity::head::{batch, tune, Layer, Tuning};

fn states(e: &dossier_embed::Embedder, pairs: &[Pair]) -> anyhow::Result<(Vec<Tensor>, Vec<(usize, usize, f32)>)> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut texts = Vec::new();
    let mut ids = Vec::new();
    for p in pairs {
        let mut id = |s: &str| *index.entry(s.to_string()).or_insert_with(|| { texts.push(s.to_string()); texts.len() - 1 });
        let (a, b) = (id(p.a.as_str()), id(p.b.as_str()));
        ids.push((a, b, p.score));
    }
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    let out = e.embed_tokens(&refs)?;
    let t = out.into_iter().map(|o| { let n = o.tokens.len(); Tensor::from_vec(o.tokens.concat(), (n, dossier_embed::DIM), &Device::Cpu) }).collect::<candle_core::Result<Vec<_>>>()?;
    Ok((t, ids))
}

fn dev_spearman(layer: &Layer, st: &[Tensor], pairs: &[(usize, usize, f32)]) -> anyhow::Result<f64> {
    let mut vecs = Vec::new();
    for chunk in st.chunks(64) {
        let (x, m) = batch(&chunk.iter().collect::<Vec<_>>())?;
        let (v, _) = layer.pooled(&x, &m)?;
        vecs.extend(v.to_vec2::<f32>()?);
    }
    let cos: Vec<f32> = pairs.iter().map(|&(a, b, _)| vecs[a].iter().zip(&vecs[b]).map(|(x, y)| x * y).sum()).collect();
    let gold: Vec<f32> = pairs.iter().map(|p| p.2).collect();
    Ok(spearman(&cos, &gold))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = dossier_embed::locate().ok_or_else(|| anyhow::anyhow!("no model"))?;
    let e = dossier_embed::Embedder::load_layers(&dir, Some(5))?;
    let t0 = std::time::Instant::now();
    let (tr_states, tr_pairs) = states(&e, &read_pairs(Path::new(&args[0]))?)?;
    let (dv_states, dv_pairs) = states(&e, &read_pairs(Path::new(&args[1]))?)?;
    eprintln!("states in {:.0}s", t0.elapsed().as_secs_f64());
    let layer = Layer::from_model(&dossier_embed::weights_file(&dir).unwrap(), 5)?;
    println!("published layer: dev cosine spearman {:.4}", dev_spearman(&layer, &dv_states, &dv_pairs)?);
    let p = Tuning { epochs: args.get(2).map_or(Ok(3), |s| s.parse())?, rate: args.get(3).map_or(Ok(5e-5), |s| s.parse())?, ..Tuning::default() };
    let t0 = std::time::Instant::now();
    tune(&layer, &tr_states, &tr_pairs, &p, |epoch, loss, l| {
        let s = dev_spearman(l, &dv_states, &dv_pairs).unwrap();
        println!("epoch {epoch}: loss {loss:.4}, dev cosine spearman {s:.4} ({:.0}s)", t0.elapsed().as_secs_f64());
    })?;
    Ok(())
}
