//! Attribution speed: `cargo run --release -p dossier-enrich --example attribution_speed -- DIR [PASSES]`
//! reads every DIR/text/*.txt into memory, then runs `attributions_in` over all of them PASSES
//! times (default 5) on one thread and prints documents/s and MB/s of the median pass.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: attribution_speed DIR [PASSES]");
        std::process::exit(2);
    };
    let passes: usize = args.next().and_then(|p| p.parse().ok()).unwrap_or(5);
    let text_dir = std::path::Path::new(&dir).join("text");
    let mut files: Vec<_> =
        std::fs::read_dir(&text_dir).unwrap_or_else(|e| panic!("{}: {e}", text_dir.display())).filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|e| e == "txt")).collect();
    files.sort();
    let texts: Vec<String> = files.iter().map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..passes.max(1) {
        let t = Instant::now();
        found = texts.iter().map(|t| dossier_enrich::attributions_in(t).len()).sum::<usize>();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{} documents, {:.1} MB, {found} attributions; median pass {median:.3} s: {:.0} documents/s, {:.2} MB/s",
        texts.len(),
        bytes as f64 / 1e6,
        texts.len() as f64 / median,
        bytes as f64 / 1e6 / median
    );
}
