//! The attribution each sentence's claim would carry, for every `DIR/text/*.txt`:
//! `doc<TAB>sentence start<TAB>sentence end<TAB>source<TAB>cue` (character offsets), one row
//! per sentence that has one. Scored by `scripts/score_sentence_attribution.py`:
//!
//!     cargo run --release -p dossier-enrich --example sentence_attribution -- ../shared/bench/attribution/train > sent.tsv
//!     python3 scripts/score_sentence_attribution.py sent.tsv ../shared/bench/attribution/train

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: sentence_attribution DIR (a folder with text/*.txt)");
        std::process::exit(2);
    };
    let mut files: Vec<_> = std::fs::read_dir(std::path::Path::new(&dir).join("text")).expect("DIR/text").map(|e| e.expect("a directory entry").path()).collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("a UTF-8 text file");
        let ranges: Vec<_> = dossier_enrich::split_sentences(&text).iter().map(|s| s.start..s.end).collect();
        let chars = |b: usize| text[..b].chars().count();
        for (r, a) in ranges.iter().zip(dossier_enrich::sentence_attributions(&text, &ranges)) {
            if let Some(a) = a {
                let clean = |s: &str| s.replace(['\t', '\n'], " ");
                println!("{}\t{}\t{}\t{}\t{}", f.file_stem().unwrap_or_default().to_string_lossy(), chars(r.start), chars(r.end), clean(&a.source), clean(&a.cue));
            }
        }
    }
}
