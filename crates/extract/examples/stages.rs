//! Time per stage over a folder of pages: `cargo run --release --example stages -- DIR`.
use std::io::Read;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: stages DIR");
    let mut pages = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(&dir).expect("dir").map(|e| e.unwrap().path()).collect();
    paths.sort();
    for p in paths {
        let raw = std::fs::read(&p).unwrap();
        if p.extension().is_some_and(|e| e == "gz") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out).unwrap();
            pages.push(out);
        } else {
            pages.push(raw);
        }
    }
    for _ in 0..3 {
        let t = dossier_extract::stage_times(&pages);
        println!("decode {:.3}s parse {:.3}s meta {:.3}s body {:.3}s", t[0], t[1], t[2], t[3]);
    }
}
