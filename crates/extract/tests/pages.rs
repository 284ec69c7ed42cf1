//! Real pages from the extraction benchmark's development set (MIT licence,
//! `tests/pages/LICENSE`): metadata the pages state, and the body scored with
//! the benchmark's own metric against its hand-labelled ground truth.

use std::io::Read;
use std::path::{Path, PathBuf};

use dossier_extract::{extract_html, Extracted};

fn pages_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pages")
}

fn read_gz(path: &Path) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut out).unwrap();
    out
}

fn page(prefix: &str) -> Extracted {
    let dir = pages_dir();
    let file = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix)).unwrap_or_else(|| panic!("no page {prefix}"));
    extract_html(&read_gz(&file)).unwrap_or_else(|e| panic!("{prefix}: {e}"))
}

fn day_time(ex: &Extracted) -> String {
    ex.main.published.map(|d| d.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()
}

#[test]
fn wsj_metadata_from_json_ld() {
    let ex = page("042bb7b5fe");
    assert_eq!(ex.main.title.as_deref(), Some("Google Stadia, Microsoft xCloud, Apple Arcade: So Many Ways to Play…and Pay"));
    assert_eq!(day_time(&ex), "2019-11-19 13:03");
    assert_eq!(ex.main.authors, vec!["Sarah E. Needleman"]);
    assert_eq!(ex.site_name.as_deref(), Some("WSJ"));
    assert_eq!(ex.main.language.as_deref(), Some("en"));
    assert!(ex.main.url.as_deref().unwrap().starts_with("https://www.wsj.com/articles/google-stadia"));
}

#[test]
fn techcrunch_title_without_site_suffix() {
    let ex = page("1ace8c85aa");
    assert_eq!(ex.main.title.as_deref(), Some("New York State Attorney General reportedly investigating WeWork"));
    assert_eq!(day_time(&ex), "2019-11-19 04:58");
    assert_eq!(ex.main.authors, vec!["Catherine Shu"]);
    assert_eq!(ex.site_name.as_deref(), Some("TechCrunch"));
}

#[test]
fn nypost_body_after_the_closing_html_tag() {
    let ex = page("a1fca19b88");
    assert_eq!(ex.main.title.as_deref(), Some("Taliban say they freed US, Australian hostages for 3 terrorist figures"));
    assert_eq!(day_time(&ex), "2019-11-19 09:20");
    assert_eq!(ex.main.modified.unwrap().format("%Y-%m-%d").to_string(), "2019-11-20");
    assert_eq!(ex.main.authors, vec!["Lia Eustachewich", "Yaron Steinbuch"]);
    assert!(ex.main.body().starts_with("Two hostages — an American and an Australian"), "{}", ex.main.body());
}

#[test]
fn jpost_date_without_seconds_and_unmarked_language() {
    let ex = page("e372e42c0a");
    assert_eq!(day_time(&ex), "2019-11-20 10:43");
    assert_eq!(ex.main.title.as_deref(), Some("Son of former German president stabbed to death in Berlin"));
    // The page names no language; it is detected from the text.
    assert_eq!(ex.main.language.as_deref(), Some("en"));
}

#[test]
fn japanese_and_russian_pages() {
    let ja = page("f105de6e63");
    assert_eq!(ja.main.title.as_deref(), Some("Kindle for PCをCtrl＋Alt＋Kのショートカットキーで立ち上がらなくする方法"));
    assert_eq!(ja.main.language.as_deref(), Some("ja"));
    assert_eq!(day_time(&ja), "2018-08-16 10:29");
    let ru = page("c4a3637c66");
    assert_eq!(ru.main.title.as_deref(), Some("Скайрим (skyrim) скорость бега как увеличить"));
    assert_eq!(ru.main.language.as_deref(), Some("ru"));
    // 19:41:33+04:00 in the page, kept in UTC.
    assert_eq!(day_time(&ru), "2018-10-03 15:41");
}

#[test]
fn guardian_title_and_offset_date() {
    let ex = page("5fa3154ec0");
    assert_eq!(ex.main.title.as_deref(), Some("The Guardian view on Hong Kong: a city on the brink"));
    assert_eq!(day_time(&ex), "2019-11-18 18:54");
    assert_eq!(ex.site_name.as_deref(), Some("the Guardian"));
}

#[test]
fn portuguese_blog_and_table_page() {
    let pt = page("23aaecd141");
    assert_eq!(pt.main.title.as_deref(), Some("Uma palinha das brincadeiras musicais do grupo Serelepe"));
    assert_eq!(pt.main.authors, vec!["Carlos Nadalim"]);
    assert_eq!(pt.main.language.as_deref(), Some("pt"));
    let table = page("11ea381ad9");
    assert_eq!(table.main.title.as_deref(), Some("Classificação NASCAR"));
    let body = table.main.body();
    // The standings table is part of the article, one row per line.
    assert!(body.contains("1 Kyle Busch 5040 5 1 17 27"), "{body}");
}

/// The fixture pages scored with the benchmark metric against their labels.
#[test]
fn bodies_score_against_ground_truth() {
    let truth: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(pages_dir().join("ground-truth.json")).unwrap()).unwrap();
    let truth = truth.as_object().unwrap();
    assert_eq!(truth.len(), 12);
    let mut pairs = Vec::new();
    for (id, v) in truth {
        let ex = extract_html(&read_gz(&pages_dir().join(format!("{id}.html.gz")))).unwrap();
        let body = ex.main.body();
        let gold = v["articleBody"].as_str().unwrap().to_string();
        let (_, _, f1) = dossier_extract::score::score([(gold.as_str(), body.as_str())]);
        assert!(f1 > 0.8, "{id}: F1 {f1:.3}");
        pairs.push((gold, body));
    }
    let (p, r, f1) = dossier_extract::score::score(pairs.iter().map(|(g, b)| (g.as_str(), b.as_str())));
    assert!(f1 >= 0.95, "fixture pages: P {p:.3} R {r:.3} F1 {f1:.3}");
}

/// The whole development set, when the shared benchmark folder sits beside
/// the checkout (it does in CI). The bar is F1 0.975.
#[test]
fn development_set_score() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/extraction");
    let Ok(raw) = std::fs::read_to_string(dir.join("ground-truth.json")) else {
        eprintln!("skipped: {} not present", dir.display());
        return;
    };
    let truth: serde_json::Value = serde_json::from_str(&raw).unwrap();
    let mut pairs = Vec::new();
    for (id, v) in truth.as_object().unwrap() {
        let body = extract_html(&read_gz(&dir.join("html").join(format!("{id}.html.gz")))).map(|e| e.main.body()).unwrap_or_default();
        pairs.push((v["articleBody"].as_str().unwrap().to_string(), body));
    }
    let (p, r, f1) = dossier_extract::score::score(pairs.iter().map(|(g, b)| (g.as_str(), b.as_str())));
    eprintln!("development set: {} pages, P {p:.4} R {r:.4} F1 {f1:.4}", pairs.len());
    assert!(f1 >= 0.975, "development set F1 {f1:.4} < 0.975");
}
