//! What the page shows its reader next to the headline: the date under the
//! headline and the byline. These beat most of the page's machine metadata
//! when the two disagree, because the metadata is often a template's (the
//! first publication of a page since rewritten, a CMS's import date), while
//! the shown date is the one the page stands by ("Updated October 8, 2025");
//! only OpenGraph's publication time and a date in the URL go first (see `meta`).
//!
//! Only the neighbourhood of the page's first visible `<h1>` is read (a few
//! hundred characters of text after it, a little before it), never navigation
//! or footers, so dates of other stories and copyright lines are not taken;
//! [`first_visible_date`] is the last resort that reads further.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, NaiveDate};
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
    // Year first with dots or slashes: "2025.12.17", "2025/12/17".
    static YMD: OnceLock<Regex> = OnceLock::new();
    let ymd = YMD.get_or_init(|| Regex::new(r"\b((?:19|20)\d{2})[./](0?[1-9]|1[0-2])[./](0?[1-9]|[12]\d|3[01])\b").unwrap());
    if let Some(c) = ymd.captures(t) {
        return NaiveDate::from_ymd_opt(c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
    }
    // Month/day/year as the US writes it, or day/month/year where the first
    // number cannot be a month ("24/02/2026").
    static SLASH: OnceLock<Regex> = OnceLock::new();
    let slash = SLASH.get_or_init(|| Regex::new(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b").unwrap());
    if let Some(c) = slash.captures(t) {
        let (a, b, y): (u32, u32, i32) = (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
        return if a > 12 { NaiveDate::from_ymd_opt(y, b, a) } else { NaiveDate::from_ymd_opt(y, a, b) };
    }
    crate::meta::text_date(t).map(|d| d.date_naive())
}

fn hidden_tag(tag: &str) -> bool {
    matches!(tag, "head" | "script" | "style" | "noscript" | "template" | "nav" | "footer" | "aside" | "select" | "option" | "button" | "svg" | "form")
}

/// The first date written anywhere in the page's visible text, outside
/// navigation, asides and footers: the last resort when neither the
/// metadata, the URL nor the headline's neighbourhood states one (a
/// dateline, "RAJSHAHI, Dec 20, 2025 (BSS) -", opening the article).
/// Only the start of each text is read, where datelines and date lines stand.
pub fn first_visible_date(dom: &Dom) -> Option<NaiveDate> {
    let mut hidden = vec![false; dom.nodes.len()];
    for id in dom.descendants(ROOT) {
        let p = dom.node(id).parent;
        let mut h = p != NONE && hidden[p as usize];
        if let Some(tag) = dom.tag(id) {
            h |= hidden_tag(tag) || dom.attr(id, "hidden").is_some();
        }
        hidden[id as usize] = h;
        if h {
            continue;
        }
        if let Some(t) = dom.text(id) {
            let t = t.trim_start();
            let mut end = t.len().min(100);
            while !t.is_char_boundary(end) {
                end -= 1;
            }
            if let Some(d) = text_day(&t[..end]).filter(|d| (1990..=2100).contains(&d.year())) {
                return Some(d);
            }
        }
    }
    None
}

/// The page near its headline: visible text pieces in order, with their offsets.
pub struct Near {
    /// (text offset, node, text) of visible text nodes and `<time>` elements.
    pieces: Vec<(usize, u32, Piece)>,
    h1: Option<usize>,
}

enum Piece {
    Text(String),
    /// A `<time>` element's day, and whether its class or itemprop names it
    /// an update ("updated", "modified").
    Time(NaiveDate, bool),
}

/// The date the page shows next to its headline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    pub day: NaiveDate,
    /// The page labels it as an update ("Last updated", `class="updated"`),
    /// not as the publication.
    pub update: bool,
}

/// A label saying the date beside it is an update, not the publication.
fn update_label(t: &str) -> bool {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = R.get_or_init(|| Regex::new(r"(?i)\b(?:updated|modified|reviewed|edited|refreshed)\b").unwrap());
    static P: OnceLock<Regex> = OnceLock::new();
    let p = P.get_or_init(|| Regex::new(r"(?i)\b(?:published|posted|written|created)\b").unwrap());
    r.is_match(t) && !p.is_match(t)
}

/// Whether an element's class or itemprop marks its date as an update.
fn update_marked(dom: &Dom, id: u32) -> bool {
    let v = format!("{} {}", dom.attr(id, "class").unwrap_or(""), dom.attr(id, "itemprop").unwrap_or("")).to_ascii_lowercase();
    (v.contains("updated") || v.contains("modified")) && !v.contains("publish")
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
                        pieces.push((pos, id, Piece::Time(d, update_marked(dom, id))));
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

    /// The date shown next to the headline, if one is. When the first one
    /// is labelled an update and the publication is shown right beside it
    /// ("Updated May 21, 2025 · April 24, 2025"), the publication.
    pub fn date(&self, dom: &Dom) -> Option<Shown> {
        let h = self.h1?;
        let pieces = &self.pieces;
        // The label of a date: the text just before it ("Updated", "Published on"),
        // or a `<time>` element's own text ("Last Updated: Dec 17, 2025").
        let labelled = |k: usize| {
            let before = k.checked_sub(1).map(|j| &pieces[j].2);
            let own = match pieces.get(k + 1) {
                Some((_, id, Piece::Text(t))) if matches!(pieces[k].2, Piece::Time(..)) && dom.node(*id).parent == pieces[k].1 => update_label(t),
                _ => false,
            };
            own || matches!(before, Some(Piece::Text(t)) if t.len() <= 30 && update_label(t))
        };
        let dated = |k: usize| match &pieces[k].2 {
            Piece::Time(d, marked) => Some(Shown { day: *d, update: *marked || labelled(k) }),
            Piece::Text(t) if t.len() < 80 => text_day(t).map(|d| Shown { day: d, update: update_label(t) || labelled(k) }),
            Piece::Text(_) => None,
        };
        let after = (0..pieces.len()).filter(|&k| pieces[k].0 >= h && pieces[k].0 <= h.saturating_add(AFTER));
        let before = (0..pieces.len()).rev().filter(|&k| pieces[k].0 < h && pieces[k].0 + BEFORE >= h);
        let (k, first) = after.chain(before).find_map(|k| dated(k).map(|s| (k, s)))?;
        if !first.update {
            return Some(first);
        }
        let beside = (k.saturating_sub(3)..pieces.len().min(k + 4)).filter(|&j| j != k).filter_map(dated).find(|s| !s.update && s.day != first.day);
        Some(beside.unwrap_or(first))
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
                Piece::Time(..) => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_dates_in_many_shapes() {
        let d = |s: &str| text_day(s).map(|d| d.to_string());
        assert_eq!(d("Essay - Published: 2025.12.17 |").as_deref(), Some("2025-12-17"));
        assert_eq!(d("2/24/2026").as_deref(), Some("2026-02-24"));
        assert_eq!(d("24/02/2026").as_deref(), Some("2026-02-24"));
        assert_eq!(d("12.05.2024").as_deref(), Some("2024-05-12"));
        assert_eq!(d("Received 2022 Oct 12").as_deref(), Some("2022-10-12"));
        assert_eq!(d("13/13/2026"), None);
        assert_eq!(d("Version 2.24.2026"), None);
    }

    #[test]
    fn update_labels() {
        assert!(update_label("Last Updated:"));
        assert!(update_label("Updated on November 18, 2025"));
        assert!(!update_label("Published"));
        assert!(!update_label("Published, updated"));
        assert!(!update_label("December 22, 2022"));
    }
}
