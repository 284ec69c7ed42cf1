//! Extract: raw page bytes (HTML or scraped plain text) -> clean article items.
//!
//! Takes the bytes of one page and gives the main article (title, clean body
//! blocks, outlet, dates) plus any teasers of *other* stories that the page
//! carried, as separate items. Noise is removed by general rules about the
//! shape of page furniture (ad markers, URL fragments, short trailing link
//! lines, relative-age teaser cards), never by matching one site's strings.
//! It never touches storage and never guesses at facts it cannot see.

mod blockmodel;
mod body;
mod dom;
mod html;
mod meta;
mod prefilter;
pub mod score;
mod shown;
mod teasers;
mod text;

use chrono::{DateTime, NaiveDate, Utc};

#[doc(hidden)]
pub use html::{block_report, explain, prefiltered, stage_times, visible_text};
pub use html::{decode_html, decode_html_with, extract_html, extract_html_with, parse_date, HtmlOptions};
pub use meta::url_date;
pub use text::extract_text;

/// A block of body text, kept with its role so headings and lists survive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(String),
    Heading(String),
    ListItem(String),
    Quote(String),
}

impl Block {
    pub fn text(&self) -> &str {
        match self {
            Block::Paragraph(t) | Block::Heading(t) | Block::ListItem(t) | Block::Quote(t) => t,
        }
    }
}

/// One extracted item: the page's article or a teaser found on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item {
    pub title: Option<String>,
    pub blocks: Vec<Block>,
    /// The outlet the page names for this item, when it names one.
    pub outlet: Option<String>,
    /// For teasers: the relative age shown ("an hour ago").
    pub age: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// The calendar day of `published` as the page shows it, in the page's
    /// own time zone (the UTC day of `published` can be the next or previous one).
    pub published_day: Option<NaiveDate>,
    pub modified: Option<DateTime<Utc>>,
    pub url: Option<String>,
    pub language: Option<String>,
    pub authors: Vec<String>,
    /// The lead image's URL.
    pub image: Option<String>,
    pub description: Option<String>,
}

impl Item {
    /// The body as text: blocks separated by a blank line, list items marked "- ".
    pub fn body(&self) -> String {
        let mut out = String::new();
        for b in &self.blocks {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            if let Block::ListItem(t) = b {
                out.push_str("- ");
                out.push_str(t);
            } else {
                out.push_str(b.text());
            }
        }
        out
    }

    /// A title for display: the stated one, or the lead sentence shortened.
    pub fn title_or_lead(&self) -> String {
        if let Some(t) = self.title.as_ref().filter(|t| !t.trim().is_empty()) {
            return t.clone();
        }
        let body = self.body();
        let first = body.split_inclusive(['.', '!', '?']).next().unwrap_or("").trim().trim_start_matches("- ");
        shorten(first, 14)
    }
}

/// Shortens to at most `max_words` words, adding an ellipsis when cut.
pub fn shorten(s: &str, max_words: usize) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() <= max_words {
        return words.join(" ");
    }
    format!("{}…", words[..max_words].join(" "))
}

/// What one page yields.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    pub main: Item,
    pub teasers: Vec<Item>,
    /// The site the page belongs to, when the page names itself.
    pub site_name: Option<String>,
    /// True when the page was cut short (size, node or time limit) and this is
    /// the article as far as it was read.
    pub partial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtractError {
    Empty,
    Binary,
    InvalidUtf8 { byte_offset: usize },
    NoContent,
}

impl std::fmt::Display for ExtractError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExtractError::Empty => write!(f, "empty input"),
            ExtractError::Binary => write!(f, "binary data, not text or HTML (NUL bytes found)"),
            ExtractError::InvalidUtf8 { byte_offset } => {
                write!(f, "invalid UTF-8 at byte {byte_offset} and no charset declared")
            }
            ExtractError::NoContent => write!(f, "no article text found"),
        }
    }
}

impl std::error::Error for ExtractError {}

/// Rejects inputs that are not text at all, before any parsing.
pub fn check_text_bytes(bytes: &[u8]) -> Result<(), ExtractError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ExtractError::Empty);
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err(ExtractError::Binary);
    }
    Ok(())
}

/// Decodes text that must be UTF-8 (a BOM is dropped).
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, ExtractError> {
    check_text_bytes(bytes)?;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| ExtractError::InvalidUtf8 { byte_offset: e.valid_up_to() })
}
