//! Every block of every page in a benchmark folder, with what became of it:
//! `cargo run --release --example blockdump -- DIR OUT.jsonl` writes one
//! JSON line per page, `{"id", "blocks": [...]}` (see `block_report`), each
//! page given its URL from DIR/ground-truth.json. For the error analysis
//! (`scripts/wcxb_blocks.py`).
use std::io::Write;

#[path = "support/bench_pages.rs"]
mod bench_pages;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: blockdump DIR OUT.jsonl"));
    let out = args.next().expect("usage: blockdump DIR OUT.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    for page in bench_pages::pages(&dir) {
        let blocks = dossier_extract::block_report(&page.bytes, page.url.as_deref());
        writeln!(w, "{}", serde_json::json!({"id": page.id, "blocks": blocks})).unwrap();
    }
}
