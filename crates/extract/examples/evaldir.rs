//! Predictions for a benchmark folder, with the detected language:
//! `cargo run --release --example evaldir -- DIR OUT.json` writes
//! `{id: {"articleBody", "language"}}` for every DIR/html/*.html[.gz].
use std::io::Read;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: evaldir DIR OUT.json"));
    let out = args.next().expect("usage: evaldir DIR OUT.json");
    let html = if dir.join("html").is_dir() { dir.join("html") } else { dir };
    let mut files: Vec<_> = std::fs::read_dir(&html).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut map = serde_json::Map::new();
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
        let (body, lang) = match dossier_extract::extract_html(&bytes) {
            Ok(ex) => (ex.main.body(), ex.main.language.unwrap_or_default()),
            Err(_) => (String::new(), String::new()),
        };
        map.insert(id.to_string(), serde_json::json!({ "articleBody": body, "language": lang }));
    }
    std::fs::write(out, serde_json::to_string(&map).unwrap()).unwrap();
}
