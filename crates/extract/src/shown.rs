//! What the page shows its reader next to the headline: the date under the
//! headline and the byline. These beat the page's machine metadata when the
//! two disagree, because the metadata is often a template's (the first
//! publication of a page since rewritten, a CMS's import date), while the
//! shown date is the one the page stands by ("Updated October 8, 2025").
//!
//! Only the neighbourhood of the page's first visible `<h1>` is read (a few
//! hundred characters of text after it, a little before it), never navigation
//! or footers, so dates of other stories and copyright lines are not taken.

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate};
use regex::Regex;

use crate::dom::{Dom, NONE, ROOT};

/// Text after the headline searched for a date or byline, in characters.
const AFTER: usize = 1200;
/// Text before the headline searched (dates above the title), in characters.
const BEFORE: usize = 300;

/// The calendar day a machine-readable date states, in its own time zone
/// ("2023-12-20T20:00:04-0500" is the 20th, though it is the 21st in UTC).
pub fn local_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Some(d) = s.get(..10).and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.date_naive());
    }
    crate::meta::parse_date(s).map(|d| d.date_naive())
}

/// A date written in a short piece of visible text.
fn text_day(t: &str) -> Option<NaiveDate> {
    static ISO: OnceLock<Regex> = OnceLock::new();
    let iso = ISO.get_or_init(|| Regex::new(r"\b((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b").unwrap());
    if let Some(c) = iso.captures(t) {
        return NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
    }
    // Day.month.year with dots, as most of Europe writes it.
    static DOTS: OnceLock<Regex> = OnceLock::new();
    let dots = DOTS.get_or_init(|| Regex::new(r"\b(0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])\.((?:19|20)\d{2})\b").unwrap());
    if let Some(c) = dots.captures(t) {
        return NaiveDate::from_ymd_opt(c[3].parse().ok()?, c[2].parse().ok()?, c[1].parse().ok()?);
    }
    crate::meta::text_date(t).map(|d| d.date_naive())
}

fn hidden_tag(tag: &str) -> bool {
    matches!(tag, "head" | "script" | "style" | "noscript" | "template" | "nav" | "footer" | "aside" | "select" | "option" | "button" | "svg" | "form")
}

/// The page near its headline: visible text pieces in order, with their offsets.
pub struct Near {
    /// (text offset, node, text) of visible text nodes and `<time>` elements.
    pieces: Vec<(usize, u32, Piece)>,
    h1: Option<usize>,
}

enum Piece {
    Text(String),
    Time(NaiveDate),
}

impl Near {
    pub fn of(dom: &Dom) -> Near {
        let n = dom.nodes.len();
        let mut hidden = vec![false; n];
        let mut pieces = Vec::new();
        let mut pos = 0usize;
        let mut h1 = None;
        for id in dom.descendants(ROOT) {
            let p = dom.node(id).parent;
            let mut h = p != NONE && hidden[p as usize];
            if let Some(tag) = dom.tag(id) {
                h |= hidden_tag(tag) || dom.attr(id, "hidden").is_some() || dom.attr(id, "aria-hidden").is_some_and(|v| v == "true");
                if !h && h1.is_none() && &**tag == "h1" {
                    h1 = Some(pos);
                }
                if !h && &**tag == "time" {
                    if let Some(d) = dom.attr(id, "datetime").and_then(local_day) {
                        pieces.push((pos, id, Piece::Time(d)));
                    }
                }
            }
            hidden[id as usize] = h;
            if h {
                continue;
            }
            if let Some(t) = dom.text(id) {
                let t = t.trim();
                if !t.is_empty() {
                    pieces.push((pos, id, Piece::Text(t.split_whitespace().collect::<Vec<_>>().join(" "))));
                    pos += t.len() + 1;
                }
            }
            if h1.is_some_and(|h| pos > h + AFTER) {
                break;
            }
        }
        Near { pieces, h1 }
    }

    /// The pieces near the headline: after it first (nearest first), then before it (nearest first).
    fn around(&self) -> impl Iterator<Item = &(usize, u32, Piece)> {
        let h = self.h1.unwrap_or(usize::MAX);
        let after = self.pieces.iter().filter(move |(p, _, _)| *p >= h && *p <= h.saturating_add(AFTER));
        let before = self.pieces.iter().rev().filter(move |(p, _, _)| *p < h && p + BEFORE >= h);
        after.chain(before)
    }

    /// The date shown next to the headline, if one is.
    pub fn date(&self) -> Option<NaiveDate> {
        self.h1?;
        self.around().find_map(|(_, _, piece)| match piece {
            Piece::Time(d) => Some(*d),
            Piece::Text(t) if t.len() < 80 => text_day(t),
            Piece::Text(_) => None,
        })
    }

    /// The names in the byline shown next to the headline: the text after a
    /// "By"/"Written by"/"Author" label, or a short line inside an element
    /// named as the author's. `names` turns a candidate into names; the first
    /// candidate that gives any wins.
    pub fn byline(&self, dom: &Dom, names: impl Fn(&str) -> Vec<String>) -> Vec<String> {
        if self.h1.is_none() {
            return Vec::new();
        }
        static LABEL: OnceLock<Regex> = OnceLock::new();
        let label = LABEL.get_or_init(|| Regex::new(r"(?i)^(?:(?:written|posted|published|reviewed)\s+by|by|authors?|written by)$").unwrap());
        static INLINE: OnceLock<Regex> = OnceLock::new();
        let inline = INLINE.get_or_init(|| Regex::new(r"^(?:By|BY|Written by|Posted by)\s+(\S.*)$").unwrap());
        let texts: Vec<(u32, &str)> = self
            .around()
            .filter_map(|(_, id, p)| match p {
                Piece::Text(t) => Some((*id, t.as_str())),
                Piece::Time(_) => None,
            })
            .collect();
        for (k, (id, t)) in texts.iter().enumerate() {
            let candidate = if label.is_match(t.trim_end_matches(':').trim()) {
                texts.get(k + 1).map(|(_, next)| next.to_string())
            } else if let Some(c) = inline.captures(t) {
                Some(c[1].to_string())
            } else if t.len() <= 60 && dom.ancestors(*id).take(4).any(|a| named_author(dom, a)) {
                Some(t.to_string())
            } else {
                None
            };
            if let Some(c) = candidate {
                let found = names(&c);
                if !found.is_empty() {
                    return found;
                }
            }
        }
        Vec::new()
    }
}

/// An element whose class, id or itemprop names it as the author's or the byline.
fn named_author(dom: &Dom, id: u32) -> bool {
    let name = |k| dom.attr(id, k).unwrap_or("").to_ascii_lowercase();
    let words = format!("{} {} {}", name("class"), name("id"), name("itemprop"));
    words
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == "author" || w == "byline" || w == "authors" || w == "author_name" || w == "authorname" || w == "writer" || (w.starts_with("byline") && w.len() < 14))
        && !words.contains("avatar")
        && !words.contains("bio")
        && !words.contains("img")
        && !words.contains("image")
        && !words.contains("label")
        && !words.contains("title")
}
