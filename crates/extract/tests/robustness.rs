//! Hostile and broken input: the extractor returns an article or a clear
//! error, in bounded time, and never panics.

use std::time::{Duration, Instant};

use dossier_extract::{extract_html, extract_html_with, ExtractError, HtmlOptions};
use proptest::prelude::*;

const PARA: &str = "The council voted on Tuesday to approve the new budget, which raises spending on schools by four percent. ";

fn article(body: &str) -> String {
    format!("<!doctype html><html><head><title>T</title></head><body><article><h1>Headline</h1>{body}</article></body></html>")
}

#[test]
fn fifty_megabyte_page_is_bounded() {
    let mut html = String::from("<!doctype html><html><body><article>");
    while html.len() < 50 << 20 {
        html.push_str("<p>");
        html.push_str(PARA);
        html.push_str("</p>\n");
    }
    let start = Instant::now();
    let opts = HtmlOptions { time_budget: Duration::from_secs(2), ..HtmlOptions::default() };
    let ex = extract_html_with(html.as_bytes(), &opts).expect("a best-effort article from the part read in time");
    assert!(ex.main.body().contains("approve the new budget"));
    // Parsing stops at the byte cap or the deadline; the rest of the work is linear.
    assert!(start.elapsed() < Duration::from_secs(60), "took {:?}", start.elapsed());
}

#[test]
fn ten_thousand_deep_nesting() {
    let body = "<div>".repeat(10_000) + "<p>" + PARA + "</p>" + &"</div>".repeat(10_000);
    let start = Instant::now();
    let ex = extract_html(article(&body).as_bytes()).unwrap();
    assert!(ex.main.body().contains("approve the new budget"));
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
}

#[test]
fn quadratic_nesting_is_cut_by_the_time_budget() {
    let body = "<span>".repeat(300_000) + PARA;
    let start = Instant::now();
    let opts = HtmlOptions { time_budget: Duration::from_millis(500), ..HtmlOptions::default() };
    let _ = extract_html_with(article(&body).as_bytes(), &opts);
    assert!(start.elapsed() < Duration::from_secs(30), "took {:?}", start.elapsed());
}

#[test]
fn broken_tags_still_yield_the_text() {
    let html = format!("<html><body><div <p class=x>{PARA}<p title=\"a>b\">{PARA}</b></i></table><<>><p>{PARA}<!-- unclosed");
    let ex = extract_html(html.as_bytes()).unwrap();
    assert!(ex.main.body().contains("approve the new budget"), "{}", ex.main.body());
}

#[test]
fn binary_garbage_is_a_clear_error() {
    let mut bytes: Vec<u8> = (0..100_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    bytes[5] = 0;
    assert_eq!(extract_html(&bytes), Err(ExtractError::Binary));
    assert_eq!(extract_html(b"   \n "), Err(ExtractError::Empty));
    assert_eq!(extract_html(b"<html><body><nav><a href=x>Home</a></nav></body></html>"), Err(ExtractError::NoContent));
}

#[test]
fn mixed_encodings_decode_without_loss_of_the_rest() {
    // A UTF-8 page with one stray windows-1252 byte: decoded, text kept.
    let mut bytes = article(&format!("<p>Caf\u{e9} {PARA}</p><p>{PARA}</p>")).into_bytes();
    let pos = bytes.windows(3).position(|w| w == b"<p>").unwrap() + 3;
    bytes.insert(pos, 0x93);
    let ex = extract_html(&bytes).unwrap();
    assert!(ex.main.body().contains("approve the new budget"));
    // A windows-1252 page that says it is UTF-8 is read as windows-1252 rather than mangled.
    let latin =
        b"<html><head><meta charset=utf-8></head><body><article><p>Le caf\xe9 du march\xe9 est ferm\xe9 depuis l'\xe9t\xe9 dernier, disent les habitu\xe9s du quartier.</p></article></body></html>";
    let ex = extract_html(latin).unwrap();
    assert!(ex.main.body().contains("march"), "{}", ex.main.body());
}

fn html_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<p>".to_string()),
        Just("</p>".to_string()),
        Just("<div class=\"article-body\">".to_string()),
        Just("<div class='share social'>".to_string()),
        Just("</div>".to_string()),
        Just("<table><tr><td>".to_string()),
        Just("</table>".to_string()),
        Just("<li>".to_string()),
        Just("<a href=\"/x\" data-x=\"1\">".to_string()),
        Just("</a>".to_string()),
        Just("<script>var x = '</p>';</script>".to_string()),
        Just("<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"headline\":\"H\"}</script>".to_string()),
        Just("<style>p{}</style>".to_string()),
        Just("<svg><text>s</text></svg>".to_string()),
        Just("<!-- c -->".to_string()),
        Just("<br/>".to_string()),
        Just("<h2>".to_string()),
        Just("<title>t".to_string()),
        Just("<textarea>".to_string()),
        Just("<".to_string()),
        Just(">".to_string()),
        Just("\"".to_string()),
        Just("<p data-a='unterminated".to_string()),
        Just(PARA.to_string()),
        "[a-zA-Z ,.<>/=\"'!-]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = extract_html(&bytes);
    }

    #[test]
    fn any_markup_never_panics(pieces in proptest::collection::vec(html_piece(), 0..80)) {
        let html = pieces.concat();
        let _ = extract_html(html.as_bytes());
    }

    /// The prefilter must not change what the parser makes of a page.
    #[test]
    fn prefilter_keeps_the_visible_text(pieces in proptest::collection::vec(html_piece(), 0..60)) {
        let html = pieces.concat();
        prop_assert_eq!(dossier_extract::visible_text(&dossier_extract::prefiltered(&html)), dossier_extract::visible_text(&html));
    }
}
