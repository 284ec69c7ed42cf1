//! Probe: how well static wordpiece vectors distilled from the model rank STS pairs.
use dossier_embed::Embedder;
use dossier_similarity::data::{read_pairs, spearman};

fn main() -> anyhow::Result<()> {
    let dir = dossier_embed::locate().expect("model");
    let e = Embedder::load(&dir)?;
    let pairs = read_pairs(std::path::Path::new(&std::env::args().nth(1).unwrap()))?;
    let combiner = dossier_similarity::Combiner::bundled()?;
    let n = e.vocab_size();
    let t = std::time::Instant::now();
    let seqs: Vec<[u32; 3]> = (0..n as u32).map(|i| [101, i, 102]).collect();
    let refs: Vec<&[u32]> = seqs.iter().map(|s| &s[..]).collect();
    let table = e.embed_ids(&refs)?;
    eprintln!("distilled {n} in {:.1}s", t.elapsed().as_secs_f64());
    let gold: Vec<f32> = pairs.iter().map(|p| p.score).collect();
    let texts: Vec<&str> = pairs.iter().flat_map(|p| [p.a.as_str(), p.b.as_str()]).collect();
    let t = std::time::Instant::now();
    let mini = e.embed(&texts)?;
    eprintln!("minilm {} texts in {:.1}s", texts.len(), t.elapsed().as_secs_f64());
    let cos = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let s_mini: Vec<f32> = (0..pairs.len()).map(|i| cos(&mini[2 * i], &mini[2 * i + 1])).collect();
    println!("minilm cosine spearman {:.4}", spearman(&s_mini, &gold));
    let ids: Vec<Vec<u32>> = texts.iter().map(|t| e.wordpieces(t).unwrap()).collect();
    // mean of all static vectors: the common direction
    let dim = table[0].len();
    let mut common = vec![0f32; dim];
    for v in &table {
        for k in 0..dim {
            common[k] += v[k] / n as f32;
        }
    }
    for (name, weighted, remove) in [("mean", false, false), ("idf", true, false), ("idf-common", true, true), ("mean-common", false, true)] {
        let t = std::time::Instant::now();
        let vecs: Vec<Vec<f32>> = ids
            .iter()
            .map(|w| {
                let mut v = vec![0f32; dim];
                for &id in &w[1..w.len() - 1] {
                    let wt = if weighted { combiner.idf.weight(id) } else { 1.0 };
                    for k in 0..dim {
                        v[k] += wt * (table[id as usize][k] - if remove { common[k] } else { 0.0 });
                    }
                }
                let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
                v.iter().map(|x| x / norm).collect()
            })
            .collect();
        let s: Vec<f32> = (0..pairs.len()).map(|i| cos(&vecs[2 * i], &vecs[2 * i + 1])).collect();
        println!("static {name}: spearman {:.4} ({:.3}s)", spearman(&s, &gold), t.elapsed().as_secs_f64());
    }
    Ok(())
}
