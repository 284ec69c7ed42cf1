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

/// Parses the date forms listings use (see [`dossier_model::parse_timestamp`]).
pub use dossier_model::parse_timestamp as parse_date;
