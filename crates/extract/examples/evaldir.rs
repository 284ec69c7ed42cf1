//! Predictions for a benchmark folder, with the detected language and the
//! metadata: `cargo run --release --example evaldir -- DIR OUT.json` writes
//! `{id: {"articleBody", "language", "title", "author", "publish_date",
//! "teasers"}}` for every DIR/html/*.html[.gz], each page given its URL from
//! DIR/ground-truth.json when that states one (as `dossier eval extraction` does).
#[path = "support/bench_pages.rs"]
mod bench_pages;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: evaldir DIR OUT.json"));
    let out = args.next().expect("usage: evaldir DIR OUT.json");
    let mut map = serde_json::Map::new();
    for bench_pages::Page { id, bytes, url } in bench_pages::pages(&dir) {
        let opts = dossier_extract::HtmlOptions { url, ..Default::default() };
        let pred = match dossier_extract::extract_html_with(&bytes, &opts) {
            Ok(ex) => serde_json::json!({
                "articleBody": ex.main.body(),
                "language": ex.main.language.clone().unwrap_or_default(),
                "title": ex.main.title,
                "author": ex.main.authors,
                "publish_date": ex.main.published_day.or(ex.main.published.map(|d| d.date_naive())).map(|d| d.format("%Y-%m-%d").to_string()),
                "teasers": ex.teasers.iter().map(|t| serde_json::json!({"title": t.title_or_lead(), "url": t.url, "outlet": t.outlet, "body": t.body()})).collect::<Vec<_>>(),
            }),
            Err(_) => serde_json::json!({ "articleBody": "", "language": "" }),
        };
        map.insert(id, pred);
    }
    std::fs::write(out, serde_json::to_string(&map).unwrap()).unwrap();
}
