//! Wordpieces per second of the encoder in int8 (where the processor has
//! AVX-512 VNNI), in f32, and of candle's `BertModel`, on the same sentences
//! (lines of stdin), with how far the int8 vectors are from the f32 ones.
//! `cargo run --release -p dossier-embed --example throughput < sentences.txt`
//! (`CANDLE=0` leaves candle out).
use std::io::BufRead;
use std::time::Instant;

use dossier_embed::{Embedder, ModelParts, Precision};

fn timed<T>(f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<(T, f64)> {
    let t = Instant::now();
    let out = f()?;
    Ok((out, t.elapsed().as_secs_f64()))
}

fn main() -> anyhow::Result<()> {
    let dir = dossier_embed::locate().ok_or_else(|| anyhow::anyhow!("no model installed (dossier model fetch)"))?;
    let parts = ModelParts::read(&dir)?;
    let int8 = Embedder::from_parts_in(&parts, parts.tensors.clone(), Precision::Int8)?;
    let f32 = Embedder::from_parts_in(&parts, parts.tensors.clone(), Precision::F32)?;
    let lines: Vec<String> = std::io::stdin().lock().lines().collect::<Result<_, _>>()?;
    let refs: Vec<&str> = lines.iter().map(|s| s.as_str()).collect();
    let pieces: usize = refs.iter().map(|t| int8.wordpieces(t).map(|w| w.len()).unwrap_or(0)).sum();
    let (fast, fast_s) = timed(|| int8.embed(&refs))?;
    let (exact, exact_s) = timed(|| f32.embed(&refs))?;
    let cosines: Vec<f32> = fast.iter().zip(&exact).map(|(a, b)| dossier_embed::dot(a, b)).collect();
    let worst = cosines.iter().copied().fold(1f32, f32::min);
    let mean = cosines.iter().sum::<f32>() / cosines.len().max(1) as f32;
    println!(
        "{} texts, {pieces} wordpieces: int8 {fast_s:.2} s ({:.0}/s), f32 {exact_s:.2} s ({:.0}/s), x{:.2}; cosine int8/f32 mean {mean:.5}, lowest {worst:.5}",
        refs.len(),
        pieces as f64 / fast_s,
        pieces as f64 / exact_s,
        exact_s / fast_s
    );
    if std::env::var("CANDLE").as_deref() != Ok("0") {
        let (theirs, theirs_s) = timed(|| dossier_embed::candle_reference(&parts, &refs))?;
        let largest = exact.iter().zip(&theirs).flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs())).fold(0f32, f32::max);
        println!("candle {theirs_s:.2} s ({:.0}/s); f32 x{:.2} candle's speed, largest difference {largest:.2e}", pieces as f64 / theirs_s, theirs_s / exact_s);
    }
    Ok(())
}
