//! The WCXB fixture pages (`tests/pages-wcxb/`, CC-BY-4.0) shared by the
//! real-page tests: the raw page, its labels, and the page as a crawler
//! extracts it.

#![allow(dead_code)] // each test file uses its own part of it

use std::io::Read;
use std::path::{Path, PathBuf};

use dossier_extract::{extract_html_with, Extracted, HtmlOptions};
use serde_json::Value;

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pages-wcxb")
}

/// The page's labels (`ground-truth.json`).
pub fn truth(id: &str) -> Value {
    let all: Value = serde_json::from_str(&std::fs::read_to_string(dir().join("ground-truth.json")).unwrap()).unwrap();
    all[id].clone()
}

/// The page's HTML, unzipped.
pub fn html(id: &str) -> Vec<u8> {
    let raw = std::fs::read(dir().join(format!("{id}.html.gz"))).unwrap();
    let mut html = Vec::new();
    flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut html).unwrap();
    html
}

/// The page extracted as a crawler would: with the URL it was fetched from.
pub fn page(id: &str) -> Extracted {
    let url = truth(id)["url"].as_str().map(str::to_string);
    extract_html_with(&html(id), &HtmlOptions { url, ..HtmlOptions::default() }).unwrap()
}
