//! Embeds lines of stdin (or the published check pair) and prints cosines to the first.
//! `cargo run --release -p dossier-embed --example embed < sentences.txt`
use std::io::BufRead;

fn main() -> anyhow::Result<()> {
    let dir = dossier_embed::locate().ok_or_else(|| anyhow::anyhow!("no model installed (dossier model fetch)"))?;
    let e = dossier_embed::Embedder::load(&dir)?;
    let mut lines: Vec<String> = std::io::stdin().lock().lines().collect::<Result<_, _>>()?;
    if lines.is_empty() {
        lines = vec!["A man is eating food.".into(), "A man is eating a piece of bread.".into()];
    }
    let refs: Vec<&str> = lines.iter().map(|s| s.as_str()).collect();
    let t = std::time::Instant::now();
    let v = e.embed(&refs)?;
    let secs = t.elapsed().as_secs_f64();
    for (l, x) in lines.iter().zip(&v) {
        println!("{:.4}\t{l}", dossier_embed::dot(&v[0], x));
    }
    eprintln!("{} texts in {secs:.2}s ({:.0}/s)", v.len(), v.len() as f64 / secs);
    Ok(())
}
