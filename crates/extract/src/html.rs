//! HTML -> item: charset decoding, metadata, and a text-density body scorer.
//!
//! A first, real version on html5ever (via scraper): containers are scored by
//! the paragraph text they hold, furniture (nav, aside, footer, forms, and
//! elements whose class or id names comments, sharing, related links, ads...)
//! is skipped. The extraction issue raises this to state of the art.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, Utc};
use regex::Regex;
use scraper::{ElementRef, Html, Selector};

use crate::{check_text_bytes, Block, ExtractError, Extracted, Item};

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("valid selector")
}

fn furniture_attr_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)comment|share|social|related|promo|newsletter|subscribe|advert|(?:^|[\s_-])ads?(?:$|[\s_-])|cookie|banner|sidebar|breadcrumb|popup|modal|teaser|recommend|outbrain|taboola|footer|(?:^|[\s_-])nav|menu")
            .expect("valid regex")
    })
}

/// Decodes HTML bytes: BOM, then a declared charset, then UTF-8, then the HTML
/// standard's fallback (windows-1252).
pub fn decode_html(bytes: &[u8]) -> Result<String, ExtractError> {
    check_text_bytes(bytes)?;
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        return Ok(enc.decode_without_bom_handling(&bytes[bom_len..]).0.into_owned());
    }
    static CHARSET: OnceLock<Regex> = OnceLock::new();
    let charset = CHARSET.get_or_init(|| Regex::new(r#"(?i)charset\s*=\s*["']?([A-Za-z0-9_:.-]+)"#).unwrap());
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    if let Some(enc) = charset
        .captures(&head)
        .and_then(|c| encoding_rs::Encoding::for_label(c[1].as_bytes()))
    {
        return Ok(enc.decode_without_bom_handling(bytes).0.into_owned());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(_) => Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned()),
    }
}

fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn meta(doc: &Html, keys: &[&str]) -> Option<String> {
    let s = sel("meta");
    for key in keys {
        for m in doc.select(&s) {
            let v = m.value();
            let k = v.attr("property").or_else(|| v.attr("name")).or_else(|| v.attr("itemprop"));
            if k.is_some_and(|k| k.eq_ignore_ascii_case(key)) {
                if let Some(c) = v.attr("content").map(clean).filter(|c| !c.is_empty()) {
                    return Some(c);
                }
            }
        }
    }
    None
}

/// Parses the date formats pages use in metadata.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc());
        }
    }
    let day = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc())
}

fn json_ld_date(doc: &Html) -> Option<DateTime<Utc>> {
    let s = sel(r#"script[type="application/ld+json"]"#);
    static R: OnceLock<Regex> = OnceLock::new();
    let r = R.get_or_init(|| Regex::new(r#""datePublished"\s*:\s*"([^"]+)""#).unwrap());
    doc.select(&s).find_map(|e| r.captures(&e.inner_html()).and_then(|c| parse_date(&c[1])))
}

fn in_furniture(e: &ElementRef) -> bool {
    e.ancestors().filter_map(ElementRef::wrap).chain(std::iter::once(*e)).any(|a| {
        let v = a.value();
        matches!(v.name(), "nav" | "aside" | "footer" | "header" | "form" | "script" | "style" | "noscript" | "figcaption" | "button")
            || v.attr("class").is_some_and(|c| furniture_attr_re().is_match(c))
            || v.attr("id").is_some_and(|c| furniture_attr_re().is_match(c))
            || v.attr("role").is_some_and(|r| matches!(r, "navigation" | "complementary" | "banner" | "contentinfo"))
    })
}

/// Extracts the main article from an HTML page.
pub fn extract_html(bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let text = decode_html(bytes)?;
    let doc = Html::parse_document(&text);

    let title = meta(&doc, &["og:title", "twitter:title"])
        .or_else(|| doc.select(&sel("h1")).map(|h| clean(&h.text().collect::<String>())).find(|t| !t.is_empty()))
        .or_else(|| doc.select(&sel("title")).next().map(|t| clean(&t.text().collect::<String>())))
        .filter(|t| !t.is_empty());
    let site_name = meta(&doc, &["og:site_name", "application-name"]);
    let url = doc
        .select(&sel(r#"link[rel="canonical"]"#))
        .find_map(|l| l.value().attr("href").map(str::to_string))
        .or_else(|| meta(&doc, &["og:url"]));
    let published = json_ld_date(&doc)
        .or_else(|| meta(&doc, &["article:published_time", "datePublished", "pubdate", "publishdate", "date", "dc.date"]).and_then(|d| parse_date(&d)))
        .or_else(|| doc.select(&sel("time[datetime]")).find_map(|t| t.value().attr("datetime").and_then(parse_date)));
    let language = doc
        .select(&sel("html"))
        .next()
        .and_then(|h| h.value().attr("lang"))
        .map(|l| l.split(['-', '_']).next().unwrap_or(l).to_lowercase())
        .filter(|l| !l.is_empty());

    // Score containers by the paragraph text they hold (parent full, grandparent half).
    let p_sel = sel("p");
    let mut scores: HashMap<ego_tree::NodeId, (f64, ElementRef)> = HashMap::new();
    for p in doc.select(&p_sel) {
        if in_furniture(&p) {
            continue;
        }
        let len = clean(&p.text().collect::<String>()).len() as f64;
        if len < 25.0 {
            continue;
        }
        for (depth, anc) in p.ancestors().filter_map(ElementRef::wrap).take(2).enumerate() {
            let w = if depth == 0 { 1.0 } else { 0.5 };
            scores.entry(anc.id()).or_insert((0.0, anc)).0 += len * w;
        }
    }
    let best = scores.into_values().max_by(|a, b| a.0.total_cmp(&b.0)).map(|(_, e)| e);
    let root = match best {
        Some(e) => e,
        None => return Err(ExtractError::NoContent),
    };

    let block_sel = sel("p, h2, h3, h4, li, blockquote");
    let mut blocks = Vec::new();
    for e in root.select(&block_sel) {
        if in_furniture(&e) {
            continue;
        }
        // A block nested inside another collected block is already covered.
        if e.ancestors().filter_map(ElementRef::wrap).take_while(|a| a.id() != root.id()).any(|a| matches!(a.value().name(), "p" | "li" | "blockquote")) {
            continue;
        }
        let t = clean(&e.text().collect::<String>());
        if t.is_empty() {
            continue;
        }
        blocks.push(match e.value().name() {
            "h2" | "h3" | "h4" => Block::Heading(t),
            "li" => Block::ListItem(t),
            "blockquote" => Block::Quote(t),
            _ => Block::Paragraph(t),
        });
    }
    if blocks.is_empty() {
        return Err(ExtractError::NoContent);
    }
    Ok(Extracted {
        main: Item { title, blocks, outlet: site_name.clone(), age: None, published, url, language },
        teasers: Vec::new(),
        site_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>Fallback title</title><meta property="og:title" content="Real Title">
<meta property="og:site_name" content="Example News"><link rel="canonical" href="https://example.com/a">
<meta property="article:published_time" content="2025-06-22T10:00:00Z"></head><body>
<nav><p>Home News Sport and a long navigation paragraph that should never count</p></nav>
<article><h1>Real Title</h1><p>The first paragraph of the article with enough words to count as body.</p>
<h2>A section</h2><p>The second paragraph of the article also has enough words to count.</p>
<div class="share-bar"><p>Share this article on every social network you can think of</p></div>
<ul><li>A list item</li></ul></article>
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
    fn decodes_declared_charset() {
        let mut bytes = b"<html><head><meta charset=\"iso-8859-1\"></head><body><p>Caf\xe9 society is a paragraph long enough to be the body.</p></body></html>".to_vec();
        let ex = extract_html(&bytes).unwrap();
        assert!(ex.main.body().contains("Café"));
        bytes.insert(10, 0);
        assert_eq!(extract_html(&bytes), Err(ExtractError::Binary));
    }
}
