//! Sitemaps, sitemap indexes and the Google News extension, read as a
//! stream with quick-xml (gzip accepted).

use std::io::Read;

use chrono::{DateTime, Utc};
use quick_xml::events::Event;

use crate::{parse_date, SourceError};

/// The protocol's limit on URLs per sitemap; more are not read.
pub const MAX_URLS: usize = 50_000;
/// Largest sitemap after inflation.
pub const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Clone, PartialEq)]
pub enum Sitemap {
    /// A sitemap index: the sitemaps it lists.
    Index(Vec<String>),
    Urls(Vec<SitemapUrl>),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SitemapUrl {
    pub loc: String,
    pub lastmod: Option<DateTime<Utc>>,
    pub news_title: Option<String>,
    pub news_publication_name: Option<String>,
    pub news_publication_language: Option<String>,
    pub news_publication_date: Option<DateTime<Utc>>,
}

/// Parses a sitemap or sitemap index (plain or gzip).
pub fn parse_sitemap(bytes: &[u8]) -> Result<Sitemap, SourceError> {
    let inflated;
    let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes).take(MAX_BYTES + 1).read_to_end(&mut out).map_err(|e| SourceError::new("sitemap", format!("bad gzip: {e}")))?;
        if out.len() as u64 > MAX_BYTES {
            return Err(SourceError::new("sitemap", format!("inflates beyond {} MiB", MAX_BYTES >> 20)));
        }
        inflated = out;
        &inflated[..]
    } else {
        bytes
    };
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut index: Option<bool> = None;
    let mut children = Vec::new();
    let mut urls = Vec::new();
    let mut cur = SitemapUrl::default();
    let mut text = String::new();
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| SourceError::new("sitemap", format!("malformed XML at byte {}: {e}", reader.buffer_position())))?;
        match ev {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                if path.is_empty() {
                    index = match name.as_str() {
                        "sitemapindex" => Some(true),
                        "urlset" => Some(false),
                        other => return Err(SourceError::new("sitemap", format!("root element <{other}> is neither urlset nor sitemapindex"))),
                    };
                }
                if name == "url" {
                    cur = SitemapUrl::default();
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => {
                let raw: &str = t.as_ref();
                text.push_str(&quick_xml::escape::unescape(raw).map(|c| c.into_owned()).unwrap_or_else(|_| raw.to_string()));
            }
            Event::CData(t) => text.push_str(&t.into_inner()),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                } else {
                    let name: &str = r.as_ref();
                    text.push_str(match name {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let parent = path.last().map(String::as_str).unwrap_or("");
                let value = text.trim().to_string();
                match (name.as_str(), parent) {
                    ("loc", "sitemap") if !value.is_empty() => children.push(value),
                    ("loc", "url") => cur.loc = value,
                    ("lastmod", "url") => cur.lastmod = parse_date(&value),
                    ("title", "news") => cur.news_title = Some(value).filter(|v| !v.is_empty()),
                    ("publication_date", "news") => cur.news_publication_date = parse_date(&value),
                    ("name", "publication") => cur.news_publication_name = Some(value).filter(|v| !v.is_empty()),
                    ("language", "publication") => cur.news_publication_language = Some(value).filter(|v| !v.is_empty()),
                    ("url", _) => {
                        if !cur.loc.is_empty() {
                            urls.push(std::mem::take(&mut cur));
                        }
                        if urls.len() >= MAX_URLS {
                            break;
                        }
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        if children.len() >= MAX_URLS {
            break;
        }
        buf.clear();
    }
    match index {
        Some(true) => Ok(Sitemap::Index(children)),
        Some(false) => Ok(Sitemap::Urls(urls)),
        None => Err(SourceError::new("sitemap", "empty document")),
    }
}
