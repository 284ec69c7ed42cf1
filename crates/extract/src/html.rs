//! HTML -> item: charset decoding, the arena DOM, metadata and the body.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use regex::Regex;

use crate::body;
use crate::dom::{self, Limits};
use crate::meta;
use crate::prefilter::prefilter;
use crate::{check_text_bytes, ExtractError, Extracted, Item};

pub use crate::meta::parse_date;

/// Limits and context for one page.
#[derive(Debug, Clone)]
pub struct HtmlOptions {
    /// The HTTP `Content-Type` header, when the page came over HTTP.
    pub content_type: Option<String>,
    /// Where the page came from (used for dates in the URL and as a fallback canonical URL).
    pub url: Option<String>,
    /// Wall-clock budget for parsing; the rest of a slower page is dropped.
    pub time_budget: Duration,
    /// Bytes beyond this are not parsed.
    pub max_bytes: usize,
    /// Parsing stops after this many DOM nodes.
    pub max_nodes: usize,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions { content_type: None, url: None, time_budget: Duration::from_secs(3), max_bytes: 32 << 20, max_nodes: 2_000_000 }
    }
}

fn charset_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r#"(?i)charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)"#).unwrap())
}

/// Decodes HTML bytes: BOM, then the HTTP header's charset, then a `<meta>`
/// declaration in the first 4 KiB, then valid UTF-8, then detection from the
/// content (chardetng). Returns the text and the encoding used.
pub fn decode_html_with(bytes: &[u8], content_type: Option<&str>) -> Result<(String, &'static encoding_rs::Encoding), ExtractError> {
    decode_declared(bytes, content_type).map(|(s, enc)| (repair_mojibake(s), enc))
}

/// The bytes of a character as Windows-1252 (a superset of Latin-1's
/// printable range) would write it, when it has one.
fn cp1252_byte(c: char) -> Option<u8> {
    const HIGH: [char; 32] =
        ['€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ'];
    match c as u32 {
        0x80..=0xff => Some(c as u32 as u8),
        _ => HIGH.iter().position(|&h| h == c).map(|i| 0x80 + i as u8),
    }
}

/// Text that was UTF-8 read as Windows-1252 or Latin-1 before the page was
/// written ("Earthâ€™s", "cafÃ©"), a common fault of CMS exports: each such
/// run is turned back into the character it spelled. A run is repaired only
/// when its bytes are one whole UTF-8 character, which legitimate Latin-1
/// text ("Â" then "°" as two letters) practically never is.
fn repair_mojibake(s: String) -> String {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = R.get_or_init(|| Regex::new("[\u{c2}-\u{f4}][\u{80}-\u{bf}€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]{1,3}").unwrap());
    if !may_hold_mojibake(s.as_bytes()) {
        return s;
    }
    let mut out: Option<String> = None;
    let mut last = 0;
    for m in r.find_iter(&s) {
        let bytes: Option<Vec<u8>> = m.as_str().chars().map(cp1252_byte).collect();
        let Some(bytes) = bytes else { continue };
        // The lead byte says how long the character is; the run may hold more.
        let len = match bytes[0] {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        let Some(fixed) = bytes.get(..len).and_then(|b| std::str::from_utf8(b).ok()) else { continue };
        // Two bytes spell a Latin, Greek or Cyrillic letter or sign; German's
        // "ß“" would spell an N'Ko letter and is left alone.
        if len == 2 && fixed.chars().next().is_some_and(|c| c as u32 > 0x52f) {
            continue;
        }
        let end = m.start() + m.as_str().char_indices().nth(len).map_or(m.as_str().len(), |(i, _)| i);
        let o = out.get_or_insert_with(|| String::with_capacity(s.len()));
        o.push_str(&s[last..m.start()]);
        o.push_str(fixed);
        last = end;
    }
    match out {
        Some(mut o) => {
            o.push_str(&s[last..]);
            o
        }
        None => s,
    }
}

/// A cheap first look for [`repair_mojibake`]: a character U+00C2..U+00F4
/// (bytes C3 82..C3 B4) followed by one that starts with the byte of a
/// Latin-1 sign or a Windows-1252 one (C2, C5, C6, CB, E2). Most pages have none.
fn may_hold_mojibake(b: &[u8]) -> bool {
    memchr::memchr_iter(0xc3, b).any(|i| b.get(i + 1).is_some_and(|x| (0x82..=0xb4).contains(x)) && b.get(i + 2).is_some_and(|x| matches!(x, 0xc2 | 0xc5 | 0xc6 | 0xcb | 0xe2)))
}

fn decode_declared(bytes: &[u8], content_type: Option<&str>) -> Result<(String, &'static encoding_rs::Encoding), ExtractError> {
    check_text_bytes(bytes)?;
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return Ok((enc.decode_without_bom_handling(&bytes[bom_len..]).0.into_owned(), enc));
    }
    let declared = content_type
        .and_then(|ct| charset_re().captures(ct).map(|c| c[1].to_string()))
        .or_else(|| {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
            charset_re().captures(&head).map(|c| c[1].to_string())
        })
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
    // A page that declares UTF-16 in ASCII-compatible markup is not UTF-16.
    let declared = declared.map(|e| if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE { encoding_rs::UTF_8 } else { e });
    if let Some(enc) = declared {
        if enc != encoding_rs::UTF_8 || std::str::from_utf8(bytes).is_ok() {
            return Ok((enc.decode_without_bom_handling(bytes).0.into_owned(), enc));
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), encoding_rs::UTF_8));
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(&bytes[..bytes.len().min(1 << 20)], bytes.len() <= 1 << 20);
    let enc = det.guess(None, chardetng::Utf8Detection::Allow);
    Ok((enc.decode_without_bom_handling(bytes).0.into_owned(), enc))
}

/// Decodes HTML bytes (see [`decode_html_with`]).
pub fn decode_html(bytes: &[u8]) -> Result<String, ExtractError> {
    decode_html_with(bytes, None).map(|(s, _)| s)
}

/// The page's JSON-LD article text as a guide, when it looks complete: at
/// least 70% as long as what the page-structure alone would choose. Some
/// sites put only a teaser there.
fn trusted_reference(dom: &dom::Dom, page: &body::Page, article_body: Option<&str>) -> Option<std::collections::HashSet<u64>> {
    let text = article_body?;
    let plain = body::choose_root(dom, page, None).map_or(0, |r| body::root_chars(page, r));
    let own: usize = text.chars().filter(|c| !c.is_whitespace()).count();
    (own * 10 >= plain * 7).then(|| body::shingles(text))
}

/// The language of the body text, when the page does not say and detection is confident.
fn detect_language(blocks: &[crate::Block]) -> Option<String> {
    let mut sample = String::new();
    for b in blocks {
        sample.push_str(b.text());
        sample.push(' ');
        if sample.len() > 3000 {
            break;
        }
    }
    let info = whatlang::detect(&sample).filter(|i| i.is_reliable())?;
    let code = info.lang().code();
    const TWO: &[(&str, &str)] = &[
        ("eng", "en"),
        ("deu", "de"),
        ("fra", "fr"),
        ("spa", "es"),
        ("por", "pt"),
        ("ita", "it"),
        ("rus", "ru"),
        ("jpn", "ja"),
        ("cmn", "zh"),
        ("kor", "ko"),
        ("ara", "ar"),
        ("hin", "hi"),
        ("ind", "id"),
        ("nld", "nl"),
        ("tur", "tr"),
        ("pol", "pl"),
        ("ukr", "uk"),
        ("swe", "sv"),
        ("dan", "da"),
        ("nob", "nb"),
        ("fin", "fi"),
        ("ces", "cs"),
        ("ell", "el"),
        ("heb", "he"),
        ("hun", "hu"),
        ("ron", "ro"),
        ("vie", "vi"),
        ("tha", "th"),
        ("pes", "fa"),
        ("urd", "ur"),
        ("ben", "bn"),
        ("tam", "ta"),
        ("bul", "bg"),
        ("hrv", "hr"),
        ("srp", "sr"),
        ("slk", "sk"),
        ("slv", "sl"),
        ("lit", "lt"),
        ("lav", "lv"),
        ("est", "et"),
        ("cat", "ca"),
        ("zsm", "ms"),
    ];
    Some(TWO.iter().find(|(three, _)| *three == code).map_or(code, |(_, two)| two).to_string())
}

/// Extracts the main article from an HTML page with default limits.
pub fn extract_html(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    extract_html_with(bytes, &HtmlOptions::default())
}

/// Extracts the main article from an HTML page.
pub fn extract_html_with(bytes: &[u8], opts: &HtmlOptions) -> Result<Extracted, ExtractError> {
    let start = Instant::now();
    let cut = bytes.len() > opts.max_bytes;
    let bytes = &bytes[..bytes.len().min(opts.max_bytes)];
    let (text, _) = decode_html_with(bytes, opts.content_type.as_deref())?;
    let dom = dom::parse(&prefilter(&text), Limits { deadline: Some(start + opts.time_budget), max_nodes: opts.max_nodes });
    drop(text);
    let m = meta::read(&dom, opts.url.as_deref());
    let page = body::analyse(&dom);
    let reference = trusted_reference(&dom, &page, m.article_body.as_deref());
    let root = body::choose_root(&dom, &page, reference.as_ref()).ok_or(ExtractError::NoContent)?;
    let blocks = body::body_blocks(&dom, &page, root, reference.as_ref(), m.title.as_deref());
    if blocks.is_empty() {
        return Err(ExtractError::NoContent);
    }
    let language = m.language.clone().or_else(|| detect_language(&blocks));
    let teasers = crate::teasers::from_cards(&dom, &page, m.url.as_deref().or(opts.url.as_deref()), m.site_name.as_deref(), m.title.as_deref());
    Ok(Extracted {
        main: Item {
            title: m.title,
            blocks,
            outlet: m.site_name.clone(),
            age: None,
            published: m.published,
            published_day: m.published_day,
            modified: m.modified,
            url: m.url,
            language,
            authors: m.authors,
            image: m.image,
            description: m.description,
        },
        teasers,
        site_name: m.site_name,
        partial: cut || dom.truncated,
    })
}

/// A report of how the body was chosen (for development: `examples/why.rs`).
#[doc(hidden)]
pub fn explain(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let (text, enc) = match decode_html_with(bytes, None) {
        Ok(x) => x,
        Err(e) => return e.to_string(),
    };
    let dom = dom::parse(&prefilter(&text), Limits { deadline: None, max_nodes: usize::MAX });
    let m = meta::read(&dom, None);
    let page = body::analyse(&dom);
    let reference = trusted_reference(&dom, &page, m.article_body.as_deref());
    let mut out = String::new();
    let _ = writeln!(out, "encoding {} nodes {} blocks {} json-ld body {}", enc.name(), dom.nodes.len(), page.blocks.len(), m.article_body.as_ref().map_or(0, |b| b.len()));
    let _ = writeln!(out, "title {:?} published {:?}", m.title, m.published);
    let root = body::choose_root(&dom, &page, reference.as_ref());
    let describe = |n: u32| element_path(&dom, n, 6);
    let _ = writeln!(out, "root {:?}", root.map(describe));
    let mut origins = Vec::new();
    for &n in &page.order {
        let p = dom.node(n).parent;
        if page.flags[n as usize] & body::FURNITURE != 0 && page.flags[n as usize] & body::INVISIBLE == 0 && (p == dom::NONE || page.flags[p as usize] & body::FURNITURE == 0) {
            let chars: usize = page.blocks.iter().filter(|b| page.inside(b.owner, n)).map(|b| b.chars).sum();
            if chars >= 200 {
                let d = describe(n);
                origins.push(format!("furniture {chars:>6} {}", d.rsplit(" > ").next().unwrap_or("")));
            }
        }
    }
    for o in origins {
        let _ = writeln!(out, "{o}");
    }
    for b in &page.blocks {
        let inside = root.is_some_and(|r| page.inside(b.owner, r));
        let _ = writeln!(
            out,
            "{} {:>5.0} {:?} f{} l{}/{} [{}] {}",
            if inside { "+" } else { " " },
            body::value_of(b, reference.as_ref()),
            b.kind,
            b.furniture as u8,
            b.link_chars,
            b.chars,
            describe(b.owner),
            b.text.chars().take(90).collect::<String>()
        );
    }
    out
}

/// An element's place in the page for development reports: its last `depth` elements from the
/// root, each as `tag#id.class.class`, joined by " > ".
fn element_path(dom: &dom::Dom, n: u32, depth: usize) -> String {
    let mut path: Vec<String> = dom
        .ancestors(n)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .chain(std::iter::once(n))
        .filter_map(|a| {
            let t = dom.tag(a)?;
            let c = dom.attr(a, "class").unwrap_or("");
            let i = dom.attr(a, "id").unwrap_or("");
            Some(format!(
                "{t}{}{}",
                if i.is_empty() { String::new() } else { format!("#{i}") },
                if c.is_empty() { String::new() } else { format!(".{}", c.split_whitespace().collect::<Vec<_>>().join(".")) }
            ))
        })
        .collect();
    if path.len() > depth {
        path.drain(..path.len() - depth);
    }
    path.join(" > ")
}

/// Every block of a page with what became of it and where it sits, as JSON
/// rows (for development: `examples/blockdump.rs`, the error analysis and
/// the block classifier's training data).
#[doc(hidden)]
pub fn block_report(bytes: &[u8], url: Option<&str>) -> Vec<serde_json::Value> {
    let Ok((text, _)) = decode_html_with(bytes, None) else { return Vec::new() };
    let dom = dom::parse(&prefilter(&text), Limits { deadline: None, max_nodes: usize::MAX });
    let m = meta::read(&dom, url);
    let page = body::analyse(&dom);
    let reference = trusted_reference(&dom, &page, m.article_body.as_deref());
    let Some(root) = body::choose_root(&dom, &page, reference.as_ref()) else { return Vec::new() };
    let fates = body::block_fates(&page, root, reference.as_ref(), m.title.as_deref());
    let keep = crate::blockmodel::revise(&dom, &page, &fates);
    let parent = dom.node(root).parent;
    let names = |n: u32| element_path(&dom, n, 8);
    page.blocks
        .iter()
        .zip(&fates)
        .zip(&keep)
        .map(|((b, f), k)| {
            serde_json::json!({
                "text": b.text,
                "kind": format!("{:?}", b.kind),
                // The rules' decision (the classifier's input) and the final one.
                "fate": format!("{f:?}"),
                "kept": k,
                "near": parent != dom::NONE && page.inside(b.owner, parent),
                "furniture": b.furniture,
                "chars": b.chars,
                "link_chars": b.link_chars,
                "row": b.row,
                "path": names(b.owner),
            })
        })
        .collect()
}

/// Times the stages over pages (for development: `examples/stages.rs`).
#[doc(hidden)]
pub fn stage_times(pages: &[Vec<u8>]) -> [f64; 4] {
    let mut t = [0f64; 4];
    for p in pages {
        let s = Instant::now();
        let (text, _) = decode_html_with(p, None).unwrap();
        t[0] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let dom = dom::parse(&prefilter(&text), Limits { deadline: None, max_nodes: usize::MAX });
        t[1] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let m = meta::read(&dom, None);
        t[2] += s.elapsed().as_secs_f64();
        let s = Instant::now();
        let page = body::analyse(&dom);
        let reference = trusted_reference(&dom, &page, m.article_body.as_deref());
        if let Some(root) = body::choose_root(&dom, &page, reference.as_ref()) {
            let _ = body::body_blocks(&dom, &page, root, reference.as_ref(), m.title.as_deref());
        }
        t[3] += s.elapsed().as_secs_f64();
    }
    t
}

/// The prefiltered page (for the property tests in `tests/robustness.rs`).
#[doc(hidden)]
pub fn prefiltered(html: &str) -> String {
    prefilter(html)
}

/// The text a parser makes of a page outside elements whose contents are
/// never shown (for the property tests in `tests/robustness.rs`).
#[doc(hidden)]
pub fn visible_text(html: &str) -> String {
    let dom = dom::parse(html, Limits { deadline: None, max_nodes: usize::MAX });
    let hidden = ["script", "style", "svg", "noscript", "iframe", "noembed", "noframes", "xmp"];
    let mut out = String::new();
    for n in dom.descendants(dom::ROOT) {
        if let Some(t) = dom.text(n) {
            if !dom.ancestors(n).any(|a| hidden.iter().any(|h| dom.is(a, h))) {
                out.push_str(t);
                out.push('|');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mojibake_is_repaired() {
        let r = |s: &str| repair_mojibake(s.to_string());
        assert_eq!(r("the Earthâ€™s systems â€” and cafÃ© Â£5"), "the Earth’s systems — and café £5");
        // Latin-1 read of the same bytes (C1 controls instead of Windows-1252 signs).
        assert_eq!(r("letâ\u{80}\u{99}s"), "let’s");
        assert_eq!(r("in 2024.Â\u{a0}Next"), "in 2024.\u{a0}Next");
        // Text that only looks like it is kept.
        assert_eq!(r("die Straße“ und Ärger"), "die Straße“ und Ärger");
        assert_eq!(r("déjà vu, naïve, São Paulo, Æsir"), "déjà vu, naïve, São Paulo, Æsir");
    }

    const PAGE: &str = r#"<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>Fallback title</title><meta property="og:title" content="Real Title">
<meta property="og:site_name" content="Example News"><link rel="canonical" href="https://example.com/a">
<meta property="article:published_time" content="2025-06-22T10:00:00Z"></head><body>
<nav><p>Home News Sport and a long navigation paragraph that should never count</p></nav>
<article><h1>Real Title</h1><p>The first paragraph of the article with enough words to count as body.</p>
<h2>A section</h2><p>The second paragraph of the article also has enough words to count.</p>
<div class="share-bar"><p>Share this article on every social network you can think of</p></div>
<ul><li>A list item that carries enough words to be kept as part of the body.</li></ul>
<p>The last paragraph closes the article with a sentence of its own.</p></article>
<div class="related-stories"><p>Another story that is only a teaser with a long enough text</p></div>
<footer><p>Copyright Example News, all rights reserved, with a long footer text.</p></footer>
</body></html>"#;

    #[test]
    fn extracts_metadata_and_body() {
        let ex = extract_html(PAGE.as_bytes()).unwrap();
        let m = &ex.main;
        assert_eq!(m.title.as_deref(), Some("Real Title"));
        assert_eq!(ex.site_name.as_deref(), Some("Example News"));
        assert_eq!(m.url.as_deref(), Some("https://example.com/a"));
        assert_eq!(m.language.as_deref(), Some("en"));
        assert_eq!(m.published.unwrap().to_rfc3339(), "2025-06-22T10:00:00+00:00");
        let body = m.body();
        assert!(body.starts_with("The first paragraph"), "{body}");
        assert!(body.contains("A section"));
        assert!(body.contains("- A list item"));
        assert!(!body.contains("Share this"));
        assert!(!body.contains("teaser"));
        assert!(!body.contains("Copyright"));
        assert!(!body.contains("navigation"));
    }

    #[test]
    fn decodes_declared_and_undeclared_charsets() {
        let mut bytes = b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf\xe9 society is a paragraph long enough to be the body, and it says so.</p></body></html>".to_vec();
        let ex = extract_html(&bytes).unwrap();
        assert!(ex.main.body().contains("Café"));
        // No declaration, not UTF-8: detected from the content.
        let plain = b"<html><body><p>Le caf\xe9 du march\xe9 est ferm\xe9 depuis l'\xe9t\xe9 dernier, disent les habitu\xe9s du quartier.</p></body></html>";
        let ex = extract_html(plain).unwrap();
        assert!(ex.main.body().contains("marché"), "{}", ex.main.body());
        // The HTTP header wins over the content.
        let (s, enc) = decode_html_with("<p>é</p>".as_bytes(), Some("text/html; charset=utf-8")).unwrap();
        assert_eq!((s.as_str(), enc.name()), ("<p>é</p>", "UTF-8"));
        bytes.insert(10, 0);
        assert_eq!(extract_html(&bytes), Err(ExtractError::Binary));
    }
}
