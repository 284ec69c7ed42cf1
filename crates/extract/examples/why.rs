//! Shows how the extractor chose a page's body: `cargo run --example why -- PAGE.html[.gz]`.
use std::io::Read;

fn main() {
    let path = std::env::args().nth(1).expect("usage: why PAGE.html[.gz]");
    let raw = std::fs::read(&path).expect("readable file");
    let bytes = if path.ends_with(".gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out).expect("gzip");
        out
    } else {
        raw
    };
    print!("{}", dossier_extract::explain(&bytes));
}
