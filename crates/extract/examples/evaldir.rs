//! Predictions for a benchmark folder, with the detected language and the
//! metadata: `cargo run --release --example evaldir -- DIR OUT.json` writes
//! `{id: {"articleBody", "language", "title", "author", "publish_date",
//! "teasers"}}` for every DIR/html/*.html[.gz], each page given its URL from
//! DIR/ground-truth.json when that states one (as `dossier eval extraction` does).
use std::io::Read;

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(args.next().expect("usage: evaldir DIR OUT.json"));
    let out = args.next().expect("usage: evaldir DIR OUT.json");
    let truth: serde_json::Value = std::fs::read(dir.join("ground-truth.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
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
        let url = truth.get(id).and_then(|t| t.get("url")).and_then(|u| u.as_str()).map(str::to_string);
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
        map.insert(id.to_string(), pred);
    }
    std::fs::write(out, serde_json::to_string(&map).unwrap()).unwrap();
}
