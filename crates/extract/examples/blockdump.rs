//! Every block of every page in a benchmark folder, with what became of it:
//! `cargo run --release --example blockdump -- DIR OUT.jsonl` writes one
//! JSON line per page, `{"id", "blocks": [...]}` (see `block_report`), each
//! page given its URL from DIR/ground-truth.json. For the error analysis
//! (`scripts/wcxb_blocks.py`).
use std::io::{Read, Write};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: blockdump DIR OUT.jsonl"));
    let out = args.next().expect("usage: blockdump DIR OUT.jsonl");
    let truth: serde_json::Value = std::fs::read(dir.join("ground-truth.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let html = if dir.join("html").is_dir() { dir.join("html") } else { dir };
    let mut files: Vec<_> = std::fs::read_dir(&html).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    for p in files {
        let name = p.file_name().unwrap().to_str().unwrap().to_string();
        let Some(id) = name.strip_suffix(".html.gz").or_else(|| name.strip_suffix(".html")) else { continue };
        let raw = std::fs::read(&p).unwrap();
        let bytes = if name.ends_with(".gz") {
            let mut o = Vec::new();
            flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut o).unwrap();
            o
        } else {
            raw
        };
        let url = truth.get(id).and_then(|t| t.get("url")).and_then(|u| u.as_str());
        let blocks = dossier_extract::block_report(&bytes, url);
        writeln!(w, "{}", serde_json::json!({"id": id, "blocks": blocks})).unwrap();
    }
}
