//! Predictions for a benchmark folder, as `dossier eval extraction` writes
//! them, without building the CLI (for quick development of this crate):
//! `cargo run --release -p dossier-extract --example predict -- DIR > pred.json`.
//! Each page gets its URL from DIR/ground-truth.json when that names one.

use std::io::Read;
use std::path::Path;

use dossier_extract::{extract_html_with, HtmlOptions};
use serde_json::{json, Map, Value};

fn main() {
    let dir = std::env::args().nth(1).expect("usage: predict DIR");
    let dir = Path::new(&dir);
    let truth: Value = std::fs::read_to_string(dir.join("ground-truth.json")).ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null);
    let mut files: Vec<_> = std::fs::read_dir(dir.join("html")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut out = Map::new();
    for f in files {
        let name = f.file_name().unwrap().to_str().unwrap().to_string();
        let id = name.split('.').next().unwrap().to_string();
        let raw = std::fs::read(&f).unwrap();
        let mut bytes = Vec::new();
        if name.ends_with(".gz") {
            flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut bytes).unwrap();
        } else {
            bytes = raw;
        }
        let url = truth.get(&id).and_then(|v| v.get("url")).and_then(Value::as_str).map(str::to_string);
        let pred = match extract_html_with(&bytes, &HtmlOptions { url, ..HtmlOptions::default() }) {
            Ok(ex) => json!({
                "articleBody": ex.main.body(),
                "title": ex.main.title,
                "author": ex.main.authors,
                "publish_date": ex.main.published_day.or(ex.main.published.map(|d| d.date_naive())).map(|d| d.format("%Y-%m-%d").to_string()),
                "teasers": ex.teasers.iter().map(|t| json!({"title": t.title, "text": t.body(), "outlet": t.outlet, "url": t.url})).collect::<Vec<_>>(),
            }),
            Err(_) => json!({"articleBody": ""}),
        };
        out.insert(id, pred);
    }
    println!("{}", serde_json::to_string_pretty(&Value::Object(out)).unwrap());
}
