//! Wordpieces per second of the embedder against candle's `BertModel` on
//! the same sentences (lines of stdin, embedded `ROUNDS` times).
//! `cargo run --release -p dossier-embed --example throughput < sentences.txt`
use std::io::BufRead;
use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let dir = dossier_embed::locate().ok_or_else(|| anyhow::anyhow!("no model installed (dossier model fetch)"))?;
    let parts = dossier_embed::ModelParts::read(&dir)?;
    let e = dossier_embed::Embedder::from_parts(&parts, parts.tensors.clone())?;
    let lines: Vec<String> = std::io::stdin().lock().lines().collect::<Result<_, _>>()?;
    let refs: Vec<&str> = lines.iter().map(|s| s.as_str()).collect();
    let pieces: usize = refs.iter().map(|t| e.wordpieces(t).map(|w| w.len()).unwrap_or(0)).sum();
    let t = Instant::now();
    let ours = e.embed(&refs)?;
    let ours_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let theirs = dossier_embed::candle_reference(&parts, &refs)?;
    let theirs_s = t.elapsed().as_secs_f64();
    let worst = ours.iter().zip(&theirs).flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs())).fold(0f32, f32::max);
    println!(
        "{} texts, {pieces} wordpieces: encoder {ours_s:.2} s ({:.0}/s), candle {theirs_s:.2} s ({:.0}/s), x{:.2}; largest difference {worst:.2e}",
        refs.len(),
        pieces as f64 / ours_s,
        pieces as f64 / theirs_s,
        theirs_s / ours_s
    );
    Ok(())
}
