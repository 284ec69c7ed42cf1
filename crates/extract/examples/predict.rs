//! Predictions for a benchmark folder, as `dossier eval extraction` writes
//! them, without building the CLI (for quick development of this crate):
//! `cargo run --release -p dossier-extract --example predict -- DIR > pred.json`.
//! Each page gets its URL from DIR/ground-truth.json when that names one.

use std::path::Path;

use dossier_extract::{extract_html_with, HtmlOptions};
use serde_json::{json, Map, Value};

#[path = "support/bench_pages.rs"]
mod bench_pages;

fn main() {
    let dir = std::env::args().nth(1).expect("usage: predict DIR");
    let mut out = Map::new();
    for bench_pages::Page { id, bytes, url } in bench_pages::pages(Path::new(&dir)) {
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
