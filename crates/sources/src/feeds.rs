//! Feeds: RSS 2.0, RSS 1.0, Atom and JSON Feed, via feed-rs.

use chrono::{DateTime, Utc};

use crate::SourceError;

/// Largest feed document read.
pub const MAX_FEED_BYTES: usize = 32 << 20;
/// Most items taken from one feed.
pub const MAX_ITEMS: usize = 10_000;

/// One item of a feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedItem {
    pub url: String,
    pub title: Option<String>,
    /// Published, else updated.
    pub published: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    pub content_html: Option<String>,
    pub id: Option<String>,
}

/// The items of a feed that link to an http(s) page; relative links are
/// resolved against `base_url`.
pub fn parse_feed(bytes: &[u8], base_url: Option<&str>) -> Result<Vec<FeedItem>, SourceError> {
    let loc = base_url.unwrap_or("feed");
    if bytes.len() > MAX_FEED_BYTES {
        return Err(SourceError::new(loc, format!("feed larger than {} MiB", MAX_FEED_BYTES >> 20)));
    }
    let feed = feed_rs::parser::Builder::new().base_uri(base_url).build().parse(bytes).map_err(|e| SourceError::new(loc, format!("not a readable feed: {e}")))?;
    let base = base_url.and_then(|b| url::Url::parse(b).ok());
    let mut items = Vec::new();
    for e in feed.entries.into_iter().take(MAX_ITEMS) {
        // The alternate (or first) link; feed-rs resolves xml:base, we resolve the rest.
        let link = e.links.iter().find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate")).or(e.links.first()).map(|l| l.href.clone());
        let link = link.or_else(|| Some(e.id.clone()).filter(|id| id.starts_with("http")));
        let Some(link) = link else { continue };
        let resolved = match &base {
            Some(b) => b.join(link.trim()).map(|u| u.to_string()).unwrap_or(link),
            None => link,
        };
        if !(resolved.starts_with("http://") || resolved.starts_with("https://")) {
            continue;
        }
        items.push(FeedItem {
            url: resolved,
            title: e.title.map(|t| t.content.trim().to_string()).filter(|t| !t.is_empty()),
            published: e.published.or(e.updated),
            summary: e.summary.map(|t| t.content),
            content_html: e.content.and_then(|c| c.body),
            id: Some(e.id).filter(|i| !i.is_empty()),
        });
    }
    Ok(items)
}
