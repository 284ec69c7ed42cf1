//! The pages of a benchmark folder, for the development examples: every
//! DIR/html/*.html[.gz] (or DIR/*.html[.gz] when there is no html/), in name
//! order, each read (gunzipped) with its id and the URL DIR/ground-truth.json
//! states for it, as a crawler knows the URL it fetched.
use std::io::Read;
use std::path::Path;

pub struct Page {
    pub id: String,
    pub bytes: Vec<u8>,
    pub url: Option<String>,
}

pub fn pages(dir: &Path) -> impl Iterator<Item = Page> {
    let truth: serde_json::Value = std::fs::read(dir.join("ground-truth.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let html = if dir.join("html").is_dir() { dir.join("html") } else { dir.to_path_buf() };
    let mut files: Vec<_> = std::fs::read_dir(&html).expect("a benchmark folder").map(|e| e.expect("a folder entry").path()).collect();
    files.sort();
    files.into_iter().filter_map(move |p| {
        let name = p.file_name()?.to_str()?.to_string();
        let id = name.strip_suffix(".html.gz").or_else(|| name.strip_suffix(".html"))?.to_string();
        let raw = std::fs::read(&p).expect("a page");
        let bytes = if name.ends_with(".gz") {
            let mut o = Vec::new();
            flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut o).expect("a gzip page");
            o
        } else {
            raw
        };
        let url = truth.get(&id).and_then(|t| t.get("url")).and_then(|u| u.as_str()).map(str::to_string);
        Some(Page { id, bytes, url })
    })
}
