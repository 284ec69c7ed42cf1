//! Teasers from HTML: the related-story cards that the body drops as
//! furniture (repeated siblings, each with a headline that is all link and
//! text beside it, see `body::teaser_cards`) become items of their own when
//! they carry a headline *and* a summary line, as the text path's teasers do.
//!
//! A card's parts are read by shape, never by a site's strings: the headline
//! is its first block that is almost all link; its summary is the prose
//! beside it; a short line that is a relative age ("3 hours ago") is the age,
//! one that is a date is the date; a short line naming the site the card links to
//! is the outlet the card states. Without one, a card linking to the page's
//! own site is that site's story; otherwise the outlet is left unknown.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

use crate::body::{Blk, Page};
use crate::dom::Dom;
use crate::meta::parse_date;
use crate::{Block, Item};

/// Most teasers taken from one page.
const MAX_TEASERS: usize = 30;

fn age_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?i)^(?:just now|yesterday|(?:about |over |almost |nearly )?(?:\d+|an?|one|few)\s+(?:sec|second|min|minute|hr|hour|day|week|month|year)s?\s+ago)$").unwrap())
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

fn is_link(b: &Blk) -> bool {
    b.chars >= 15 && b.link_chars * 10 >= b.chars * 7
}

/// Prose: a sentence or two, mostly outside links; not a product's list of
/// specifications ("Resolution: 8MP | Features: … | Best for: …").
fn is_summary(b: &Blk) -> bool {
    b.link_chars * 2 < b.chars && words(&b.text) >= 8 && b.chars >= 40 && b.text.matches(" | ").count() < 2
}

/// A story's headline, not a call to action ("Read more about …", "Get a quote").
fn is_headline(t: &str) -> bool {
    const ACTIONS: &[&str] = &[
        "read",
        "learn",
        "view",
        "explore",
        "get",
        "shop",
        "discover",
        "browse",
        "book",
        "see",
        "download",
        "sign",
        "subscribe",
        "join",
        "watch",
        "listen",
        "contact",
        "request",
        "try",
        "start",
        "find",
        "call",
        "report",
        "more",
        "image",
        "photo",
        "register",
        "buy",
    ];
    let first = t.split_whitespace().next().unwrap_or("").trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    // A price ("$15.30 with code …") is no headline.
    let price = t.trim_start().starts_with(['$', '£', '€', '¥']);
    words(t) >= 4 && words(t) <= 30 && !ACTIONS.contains(&first.as_str()) && !t.contains(" | ") && !price && !person_label(t)
}

/// A person named with a role or credentials ("Robert Tschudi - Author/Reviewer",
/// "Melissa Mitri, MS RD"): an author box or a commenter, not a story.
fn person_label(t: &str) -> bool {
    let Some((name, rest)) = t.split_once(" - ").or_else(|| t.split_once(", ")) else { return false };
    let name_words: Vec<&str> = name.split_whitespace().collect();
    (2..=3).contains(&name_words.len())
        && name_words.iter().all(|w| w.chars().next().is_some_and(char::is_uppercase) && w.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '.'))
        && words(rest) <= 3
        && rest.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).all(|w| {
            const ROLES: &[&str] = &["author", "reviewer", "editor", "writer", "contributor", "expert", "founder", "ceo"];
            // Credentials in capitals ("MS", "RD", "PhD" aside) or a role.
            (w.len() <= 4 && w.chars().all(|c| c.is_uppercase())) || ROLES.contains(&w.to_lowercase().as_str())
        })
}

/// Path parts that name what is not a story: a shop's products and
/// collections, a profile or author page, an uploaded file, an affiliate
/// redirect, a site's listing, service or account pages.
const NOT_STORY_PARTS: &[&str] = &[
    "product",
    "products",
    "shop",
    "store",
    "collection",
    "collections",
    "cart",
    "checkout",
    "dp",
    "gp",
    "item",
    "items",
    "category",
    "categories",
    "tag",
    "tags",
    "author",
    "authors",
    "profile",
    "profiles",
    "user",
    "users",
    "member",
    "members",
    "people",
    "wp-content",
    "uploads",
    "download",
    "downloads",
    "files",
    "go",
    "out",
    "recommends",
    "refer",
    "affiliate",
    "pricing",
    "contact",
    "careers",
    "jobs",
    "login",
    "signup",
    "account",
    "search",
];

/// Files a link can point at that are not pages.
const FILE_EXTENSIONS: &[&str] = &["pdf", "jpg", "jpeg", "png", "gif", "webp", "svg", "zip", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "mp3", "mp4"];

/// A link to one story: its last path part is a slug of several words or a
/// number, as story URLs are; not a section, product, profile or contact
/// page, a file, a comment or a user's review (an opaque hexadecimal id).
fn story_url(url: &str) -> bool {
    if url.contains('#') {
        return false; // a place on a page (a comment, a section), not a story
    }
    let (path, query) = {
        let p = url.split_once("://").map_or(url, |(_, r)| r.find('/').map_or("", |i| &r[i..]));
        p.split_once('?').unwrap_or((p, ""))
    };
    if query.to_ascii_lowercase().contains("comment") {
        return false;
    }
    let parts: Vec<String> = path.split('/').filter(|p| !p.is_empty()).map(str::to_ascii_lowercase).collect();
    let Some(last) = parts.last() else { return false };
    if parts.iter().any(|p| NOT_STORY_PARTS.contains(&p.as_str())) {
        return false;
    }
    let (stem, ext) = last.rsplit_once('.').filter(|(_, e)| e.len() <= 4).unwrap_or((last, ""));
    if FILE_EXTENSIONS.contains(&ext) {
        return false;
    }
    let words: Vec<&str> = stem.split(['-', '_', '+']).filter(|w| !w.is_empty()).collect();
    if words.last().is_some_and(|w| *w == "collection" || *w == "collections") {
        return false;
    }
    let longest_number = stem.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
    let opaque_id = words.len() == 1 && stem.len() >= 16 && stem.chars().all(|c| c.is_ascii_hexdigit()) && stem.chars().any(|c| c.is_ascii_alphabetic());
    (words.len() >= 3 || longest_number >= 5) && !opaque_id
}

fn norm(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// "https://a.example.com/x" -> "a.example.com" without a leading "www.".
fn host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let h = rest.split(['/', '?', '#']).next()?.split('@').next_back()?.split(':').next()?;
    Some(h.strip_prefix("www.").unwrap_or(h)).filter(|h| !h.is_empty())
}

/// An href made absolute against the page's URL, when it can be.
fn absolute(href: &str, page_url: Option<&str>) -> Option<String> {
    let href = href.trim();
    if href.starts_with("http://") || href.starts_with("https://") {
        return Some(href.to_string());
    }
    if href.is_empty() || href.starts_with('#') || href.starts_with("javascript:") || href.starts_with("mailto:") {
        return None;
    }
    let page = page_url?;
    let (scheme, rest) = page.split_once("://")?;
    let origin_end = rest.find('/').unwrap_or(rest.len());
    let origin = &rest[..origin_end];
    if let Some(h) = href.strip_prefix("//") {
        return Some(format!("{scheme}://{h}"));
    }
    if href.starts_with('/') {
        return Some(format!("{scheme}://{origin}{href}"));
    }
    let path = &rest[origin_end..];
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    Some(format!("{scheme}://{origin}{dir}{href}"))
}

/// The first link target inside `n`.
fn first_href(dom: &Dom, n: u32) -> Option<&str> {
    dom.descendants(n).find(|&d| dom.is(d, "a") && dom.attr(d, "href").is_some()).and_then(|a| dom.attr(a, "href"))
}

/// The teasers on a page: one per card with a headline and a summary, in page order.
pub fn from_cards(dom: &Dom, page: &Page, page_url: Option<&str>, site_name: Option<&str>, main_title: Option<&str>) -> Vec<Item> {
    let mut out = Vec::new();
    if page.cards.is_empty() {
        return out;
    }
    let main = main_title.map(norm).unwrap_or_default();
    let page_host = page_url.and_then(host);
    let mut seen: HashSet<String> = HashSet::new();
    // Blocks are in document order, and so are the cards: one pass.
    let mut bi = 0;
    for &card in &page.cards {
        while bi < page.blocks.len() && page.pre[page.blocks[bi].owner as usize] < page.pre[card as usize] {
            bi += 1;
        }
        let mut parts: Vec<&Blk> = Vec::new();
        let mut j = bi;
        while j < page.blocks.len() && page.inside(page.blocks[j].owner, card) {
            parts.push(&page.blocks[j]);
            j += 1;
        }
        let Some(hi) = parts.iter().position(|b| is_link(b)) else { continue };
        let headline = &parts[hi];
        let title = headline.text.trim().to_string();
        let key = norm(&title);
        if !is_headline(&title) || parse_date(&title).is_some() || key == main || !seen.insert(key) {
            continue;
        }
        let summary: Vec<Block> = parts.iter().enumerate().filter(|&(k, b)| k != hi && is_summary(b)).map(|(_, b)| Block::Paragraph(b.text.trim().to_string())).collect();
        if summary.is_empty() {
            continue;
        }
        let url = first_href(dom, headline.owner).or_else(|| first_href(dom, card)).and_then(|h| absolute(h, page_url));
        if !url.as_deref().is_some_and(story_url) {
            continue;
        }
        let link_host = url.as_deref().and_then(host).map(|h| h.replace(['.', '-'], ""));
        let (mut age, mut published, mut outlet) = (None, None, None);
        for (k, b) in parts.iter().enumerate() {
            let t = b.text.trim();
            if k == hi || is_summary(b) || t.is_empty() || words(t) > 4 {
                continue;
            }
            if age_re().is_match(t) {
                age.get_or_insert_with(|| t.to_string());
            } else if let Some(d) = parse_date(t) {
                published.get_or_insert(d);
            } else {
                // A short line names the outlet when the link goes to that outlet's site.
                let squashed: String = norm(t).replace(' ', "");
                if squashed.len() >= 3 && link_host.as_deref().is_some_and(|h| h.contains(&squashed)) {
                    outlet.get_or_insert_with(|| t.to_string());
                }
            }
        }
        if outlet.is_none() && url.as_deref().and_then(host).is_some_and(|h| Some(h) == page_host) {
            outlet = site_name.map(str::to_string);
        }
        out.push(Item { title: Some(title), blocks: summary, outlet, age, published, url, ..Item::default() });
        if out.len() >= MAX_TEASERS {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_against_the_page() {
        assert_eq!(absolute("/a/b", Some("https://x.org/news/1")).as_deref(), Some("https://x.org/a/b"));
        assert_eq!(absolute("b.html", Some("https://x.org/news/1")).as_deref(), Some("https://x.org/news/b.html"));
        assert_eq!(absolute("//y.org/c", Some("https://x.org/")).as_deref(), Some("https://y.org/c"));
        assert_eq!(absolute("#top", Some("https://x.org/")), None);
        assert_eq!(host("https://www.x.org:443/a?b"), Some("x.org"));
    }

    #[test]
    fn story_links_and_headlines() {
        assert!(story_url("https://x.org/2019/11/19/council-approves-budget"));
        assert!(story_url("https://x.org/news/story-14848164.php"));
        assert!(story_url("https://x.org/a/123456"));
        assert!(!story_url("https://x.org/contact"));
        assert!(!story_url("https://x.org/services/ai-solutions/"));
        assert!(!story_url("https://shop.example/product/bogle-vineyard-chardonnay-2023-en.aspx"));
        assert!(!story_url("https://x.org/wp-content/uploads/2024/03/Backpacking-Itinerary-List.pdf"));
        assert!(!story_url("https://x.org/go/shopify-ecom-pricing-offer"));
        assert!(!story_url("https://reviews.example/reviews/69ace518149a5a406cb9138f"));
        assert!(!story_url("https://x.org/en/nespresso-compatible-collection"));
        assert!(!story_url("https://x.org/pulse/a-b-c?trk=details_comments-action"));
        assert!(story_url("https://x.org/blog/2022/08/how-post-hoc-fallacy-can-cost.html"));
        assert!(!is_headline("Robert Tschudi - Author/Reviewer"));
        assert!(!is_headline("Melissa Mitri, MS RD"));
        assert!(is_headline("Bekins Van Lines, Inc."));
        assert!(!is_headline("$1/month for 3 months"));
        assert!(is_headline("Council approves the budget"));
        assert!(!is_headline("Read more about recent LG innovations."));
        assert!(!is_headline("Get a Quote"));
    }

    #[test]
    fn ages_are_relative_times() {
        assert!(age_re().is_match("3 hours ago"));
        assert!(age_re().is_match("an hour ago"));
        assert!(!age_re().is_match("Politics"));
    }
}
