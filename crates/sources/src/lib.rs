//! Sources: the places news comes from, parsed — feeds, sitemaps, URL lists
//! and WARC archives — and URL canonicalisation.
//!
//! Takes bytes (or a reader, for archives) and gives URLs with what the
//! listing says about them, or HTTP responses from an archive. Everything is
//! bounded (input size, item counts, record size) and streaming where inputs
//! can be large. It never fetches anything and never touches storage.

pub mod canonical;
pub mod feeds;
pub mod sitemaps;
pub mod urllist;
pub mod warc;

/// A source that could not be read, with where and why.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {reason}")]
pub struct SourceError {
    /// The source, with a line or byte offset when there is one.
    pub location: String,
    pub reason: String,
}

impl SourceError {
    pub fn new(location: impl Into<String>, reason: impl std::fmt::Display) -> SourceError {
        SourceError { location: location.into(), reason: reason.to_string() }
    }
}

/// Parses the date forms listings use: RFC 3339 / W3C datetime, RFC 2822, plain dates.
pub fn parse_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    if let Some(t) = s.strip_suffix('Z') {
        for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
            if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
                return Some(d.and_utc());
            }
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc());
        }
    }
    NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|d| d.and_utc())
}
