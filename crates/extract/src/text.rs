//! Scraped plain text (one line per block, as text scrapers emit) -> items.
//!
//! The rules look at the *shape* of lines: prose lines are long and end a
//! sentence; page furniture is short, all-caps, URL-like, or a call to action;
//! teaser cards of other stories are an outlet line followed by a relative age.

use std::sync::OnceLock;

use regex::Regex;

use crate::{Block, ExtractError, Extracted, Item};

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).expect("valid regex"))
}

fn relative_age_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)^(?:(?:about|over|almost|nearly)\s+)?(?:\d+|an?|one|a few|few)\s+(?:sec(?:ond)?s?|mins?|minutes?|hrs?|hours?|days?|weeks?|months?|years?)\s+ago$|^(?:just now|yesterday)$")
}

/// Furniture vocabulary: calls to action and section chrome that pages glue
/// around articles. Only applied to short lines.
fn furniture_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?i)\b(?:comments?|share(?:\s+this)?|subscribe|newsletters?|sign\s?up|sign\s?in|log\s?in|follow\s+us|hashtags?|tags|advertisements?|sponsored|related\s+(?:articles?|stories|posts|news|content|topics)|recommended|you\s+may\s+also\s+like|more\s+from|trending|download\s+(?:our|the)\s+app|cookies?|privacy\s+policy|terms\s+of\s+(?:use|service)|all\s+rights\s+reserved|copyright|features|explore|click\s+here|read\s+more|see\s+more|load\s+more|continue\s+reading|print|email)\b",
    )
}

/// A heading that introduces links to *other* stories.
fn other_stories_heading_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?i)^(?:related(?:\s+\w+)?|more\s+(?:from|on|stories|news)(?:\s+.*)?|recommended(?:\s+\w+)?|you\s+may\s+also\s+like|also\s+read|trending(?:\s+\w+)?|top\s+stories|latest(?:\s+news)?|read\s+next|most\s+read)\s*:?$",
    )
}

/// "Explore what Daily8 AI can do", "© 2024 Example News": a page naming itself.
fn self_reference_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(
        &R,
        r"(?:©|(?i:copyright))\s*(?:\d{4}\s*)?(?:©\s*)?(?P<a>[A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*){0,2})|\b(?:what|Welcome to|Subscribe to|Download the|Follow)\s+(?P<b>[A-Z][A-Za-z0-9.&'-]*(?:\s+[A-Z][A-Za-z0-9.&'-]*){0,2})",
    )
}

/// Trailing link cues that scrapers leave glued to a paragraph.
fn trailing_cue_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)(?:\s*(?:\.\.\.|…))?\s*\b(?:read\s+more|continue\s+reading|full\s+story|see\s+more)\s*(?:»|›|→)?$")
}

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Ends a sentence: terminal punctuation, possibly inside closing quotes/brackets.
fn ends_sentence(s: &str) -> bool {
    let t = s.trim_end_matches(['"', '\'', '”', '’', ')', ']', '»', ' ']);
    t.ends_with(['.', '!', '?', '…'])
}

fn is_prose(s: &str) -> bool {
    let n = word_count(s);
    (n >= 8 && ends_sentence(s)) || n >= 25
}

/// A token with no spaces that looks like part of a URL or query string.
fn is_url_fragment(s: &str) -> bool {
    if s.contains(char::is_whitespace) {
        return false;
    }
    let letters = s.chars().filter(|c| c.is_alphabetic()).count();
    s.contains(['=', '&', '/', '?']) || s.starts_with("http") || letters * 2 < s.chars().count()
}

/// All-caps short line: an ad marker or page chrome ("STORY CONTINUES BELOW THIS AD").
fn is_caps_marker(s: &str) -> bool {
    let letters: Vec<char> = s.chars().filter(|c| c.is_alphabetic()).collect();
    letters.len() >= 4 && letters.iter().all(|c| !c.is_lowercase()) && word_count(s) <= 12
}

/// "Watch a report: ...", "VIDEO: ...": a label for an embedded player, not text.
fn media_label_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    re(&R, r"(?i)^(?:watch|listen|video|audio|photos?|gallery|podcast)(?:\s+\w+){0,2}\s*:")
}

fn is_furniture(s: &str) -> bool {
    media_label_re().is_match(s) && word_count(s) <= 16 || word_count(s) <= 10 && (furniture_re().is_match(s) || s.trim_end().ends_with(':') && !is_prose(s))
}

fn is_noise(s: &str) -> bool {
    is_url_fragment(s) || is_caps_marker(s) || is_furniture(s) || s.trim_end().ends_with("...") && word_count(s) <= 6
}

fn strip_trailing_cue(s: &str) -> String {
    trailing_cue_re().replace(s.trim(), "").trim().to_string()
}

fn list_item(s: &str) -> Option<&str> {
    ["- ", "• ", "* ", "– ", "· "].iter().find_map(|m| s.strip_prefix(m)).map(str::trim)
}

/// Extracts the main article and any teasers from scraped plain text.
///
/// ```
/// let page = "SOME AD MARKER HERE\nA headline about things\nThe first paragraph of the article says something quite long and useful.\nComments\n";
/// let ex = dossier_extract::extract_text(page).unwrap();
/// assert_eq!(ex.main.title.as_deref(), Some("A headline about things"));
/// assert_eq!(ex.main.blocks.len(), 1);
/// ```
pub fn extract_text(raw: &str) -> Result<Extracted, ExtractError> {
    let lines: Vec<String> = raw.lines().map(|l| strip_trailing_cue(l.trim())).collect();
    if lines.iter().all(|l| l.is_empty()) {
        return Err(ExtractError::Empty);
    }
    let first_prose = lines.iter().position(|l| is_prose(l)).ok_or(ExtractError::NoContent)?;

    // Teaser zone: starts at the first card (outlet line + relative age) after the body begins.
    let card_at = |i: usize| -> bool { i + 1 < lines.len() && !lines[i].is_empty() && word_count(&lines[i]) <= 6 && !is_prose(&lines[i]) && relative_age_re().is_match(&lines[i + 1]) };
    let cards: Vec<usize> = (first_prose..lines.len()).filter(|&i| card_at(i)).collect();
    let mut zone_start = cards.first().copied().unwrap_or(lines.len());

    // Without age-stamped cards, a heading for other stories after the body starts the zone.
    let mut heading_zone = None;
    if cards.is_empty() {
        if let Some(h) = (first_prose..lines.len()).find(|&i| other_stories_heading_re().is_match(&lines[i])) {
            heading_zone = Some(h);
            zone_start = h;
        }
    }

    let last_prose = (first_prose..zone_start).rev().find(|&i| is_prose(&lines[i]) && !is_noise(&lines[i])).unwrap_or(first_prose);

    // Title: the last plausible headline line before the body.
    let title = (0..first_prose).rev().map(|i| &lines[i]).find(|l| !l.is_empty() && !is_noise(l) && word_count(l) >= 3).cloned();

    let mut blocks = Vec::new();
    for i in first_prose..=last_prose {
        let l = &lines[i];
        if l.is_empty() || is_url_fragment(l) || is_caps_marker(l) {
            continue;
        }
        if let Some(item) = list_item(l) {
            blocks.push(Block::ListItem(item.to_string()));
        } else if is_prose(l) {
            if !(is_furniture(l)) {
                blocks.push(Block::Paragraph(l.clone()));
            }
        } else if !is_noise(l) {
            let next_is_body = lines[i + 1..=last_prose].iter().find(|n| !n.is_empty() && !is_caps_marker(n)).is_some_and(|n| is_prose(n) || list_item(n).is_some());
            if next_is_body && !ends_sentence(l) {
                blocks.push(Block::Heading(l.clone()));
            } else {
                blocks.push(Block::Paragraph(l.clone()));
            }
        }
    }

    let teasers = match heading_zone {
        Some(h) => teasers_from_groups(&lines[h + 1..]),
        None => teasers_from_cards(&lines, &cards),
    };

    // The page names itself somewhere in its furniture, if anywhere.
    let site_name = lines.iter().enumerate().filter(|(i, _)| *i < first_prose || *i > last_prose).filter(|(i, _)| !cards.iter().any(|&c| c == *i || c + 1 == *i)).find_map(|(_, l)| site_name_in(l));

    Ok(Extracted { main: Item { title, blocks, ..Item::default() }, teasers, site_name, partial: false })
}

fn site_name_in(line: &str) -> Option<String> {
    let caps = self_reference_re().captures(line)?;
    let raw = caps.name("a").or_else(|| caps.name("b"))?.as_str();
    let generic = ["AI", "App", "Apps", "Premium", "Plus", "Pro", "Features", "Ltd", "Inc", "All"];
    let mut words: Vec<&str> = raw.split_whitespace().collect();
    while words.len() > 1 && generic.contains(words.last()?) {
        words.pop();
    }
    let name = words.join(" ").trim_end_matches(['.', ',']).to_string();
    (name.len() >= 2).then_some(name)
}

/// Cards of the shape: outlet, relative age, optional "- outlet" byline, title, text.
fn teasers_from_cards(lines: &[String], cards: &[usize]) -> Vec<Item> {
    let mut out = Vec::new();
    for (k, &start) in cards.iter().enumerate() {
        let end = cards.get(k + 1).copied().unwrap_or(lines.len());
        let outlet = lines[start].clone();
        let age = lines[start + 1].clone();
        let mut rest: Vec<&String> = lines[start + 2..end].iter().filter(|l| !l.is_empty()).collect();
        if let Some(first) = rest.first() {
            let byline = list_item(first).or_else(|| first.strip_prefix("By ")).map(str::trim);
            if byline.is_some_and(|b| b.eq_ignore_ascii_case(&outlet) || word_count(b) <= 4) {
                rest.remove(0);
            }
        }
        let Some(title) = rest.first().map(|t| t.to_string()) else { continue };
        let blocks = rest[1..].iter().filter(|l| !is_noise(l)).map(|l| Block::Paragraph(l.to_string())).collect();
        out.push(Item { title: Some(title), blocks, outlet: Some(outlet), age: Some(age), ..Item::default() });
    }
    out
}

/// Groups separated by blank lines under an "other stories" heading: title, then text.
fn teasers_from_groups(lines: &[String]) -> Vec<Item> {
    let mut out = Vec::new();
    for group in lines.split(|l| l.is_empty()) {
        let useful: Vec<&String> = group.iter().filter(|l| !is_noise(l)).collect();
        let Some(title) = useful.first() else { continue };
        if word_count(title) < 3 {
            continue;
        }
        let blocks = useful[1..].iter().map(|l| Block::Paragraph(l.to_string())).collect();
        out.push(Item { title: Some(title.to_string()), blocks, ..Item::default() });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "img.jpg?w=300&q=80)\nA Headline That Is Not A Sentence\nThe first paragraph is long enough to be prose and ends properly. read more\nADVERTISEMENT BELOW\nSecond paragraph of the article keeps going with real content here.\nShare this\nNewsletter\n\nRelated\n\nSome Outlet\n3 hours ago\n- Some Outlet\nOther story title\nOther story text that is a sentence of its own with several words.\n\nAnother Outlet\nyesterday\nThird story title\n";

    #[test]
    fn strips_furniture_and_keeps_body() {
        let ex = extract_text(PAGE).unwrap();
        assert_eq!(ex.main.title.as_deref(), Some("A Headline That Is Not A Sentence"));
        let body = ex.main.body();
        assert!(body.starts_with("The first paragraph"), "{body}");
        assert!(!body.contains("read more"));
        assert!(!body.contains("ADVERTISEMENT"));
        assert!(!body.contains("Share this"));
        assert!(!body.contains("Related"));
        assert!(body.ends_with("real content here."));
    }

    #[test]
    fn splits_teaser_cards() {
        let ex = extract_text(PAGE).unwrap();
        assert_eq!(ex.teasers.len(), 2);
        let t = &ex.teasers[0];
        assert_eq!(t.outlet.as_deref(), Some("Some Outlet"));
        assert_eq!(t.age.as_deref(), Some("3 hours ago"));
        assert_eq!(t.title.as_deref(), Some("Other story title"));
        assert_eq!(t.blocks.len(), 1);
        assert_eq!(ex.teasers[1].title.as_deref(), Some("Third story title"));
        assert!(ex.teasers[1].blocks.is_empty());
    }

    #[test]
    fn teasers_under_heading_without_ages() {
        let page = "Title words here\nBody paragraph that is long enough to count as prose here.\nMore from us\n\nFirst other story title\nIts text that is also prose of some length.\n\nSecond other story title\n";
        let ex = extract_text(page).unwrap();
        assert_eq!(ex.teasers.len(), 2);
        assert_eq!(ex.main.blocks.len(), 1);
    }

    #[test]
    fn headings_and_lists_survive() {
        let page = "A lead paragraph that is long enough to be prose in this test.\nAt a Glance\n- first point of the list\n- second point\nSection Heading\nA paragraph under the heading that is prose as well, fine.\n";
        let ex = extract_text(page).unwrap();
        assert_eq!(ex.main.title, None);
        assert_eq!(ex.main.blocks[1], Block::Heading("At a Glance".into()));
        assert_eq!(ex.main.blocks[2], Block::ListItem("first point of the list".into()));
        assert_eq!(ex.main.blocks[4], Block::Heading("Section Heading".into()));
    }

    #[test]
    fn finds_self_reference() {
        assert_eq!(site_name_in("Explore what Example AI can do for you:").as_deref(), Some("Example"));
        assert_eq!(site_name_in("© 2024 Daily Planet. All rights reserved").as_deref(), Some("Daily Planet"));
        assert_eq!(site_name_in("nothing here"), None);
    }

    #[test]
    fn no_prose_is_an_error() {
        assert_eq!(extract_text("just\nshort\nlines"), Err(ExtractError::NoContent));
        assert_eq!(extract_text("\n\n"), Err(ExtractError::Empty));
    }
}
