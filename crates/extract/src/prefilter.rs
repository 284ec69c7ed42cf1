//! A byte-level pass that shrinks a page before the HTML5 parser sees it.
//!
//! Half the bytes of a news page are script and style bodies, and most of the
//! rest are attributes no extractor reads (srcset, data-*, event handlers).
//! The parser's tokenizer pays for every byte, so this pass drops
//! - the contents of `<script>` (JSON-LD kept), `<style>`, `<svg>`,
//!   `<noscript>`, `<iframe>`, `<noembed>`, `<noframes>` and `<xmp>`;
//! - attributes outside a short allow-list.
//!
//! It never changes which elements exist or what text they hold: tags stay
//! (only their unused attributes go), comments and `<title>`/`<textarea>`
//! bodies are copied untouched, and wherever the markup is unterminated the
//! rest is copied verbatim for the real parser to handle. A test parses
//! original and filtered pages and compares the trees' text.

/// Attributes some later stage reads.
fn keep_attr(name: &[u8]) -> bool {
    const KEEP: &[&[u8]] = &[
        b"class",
        b"id",
        b"role",
        b"style",
        b"hidden",
        b"aria-hidden",
        b"itemprop",
        b"itemtype",
        b"itemscope",
        b"rel",
        b"href",
        b"content",
        b"name",
        b"property",
        b"http-equiv",
        b"charset",
        b"type",
        b"datetime",
        b"lang",
        b"xml:lang",
        b"dir",
    ];
    KEEP.iter().any(|k| k.eq_ignore_ascii_case(name))
}

/// Elements whose contents never reach the article (dropped whole).
fn drops_contents(name: &[u8]) -> bool {
    const DROP: &[&[u8]] = &[b"script", b"style", b"svg", b"noscript", b"iframe", b"noembed", b"noframes", b"xmp"];
    DROP.iter().any(|k| k.eq_ignore_ascii_case(name))
}

/// Elements whose contents are text to the parser (copied untouched).
fn raw_text(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"title") || name.eq_ignore_ascii_case(b"textarea")
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Finds `</name` (any case) at or after `from`.
fn find_end_tag(b: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut k = from;
    loop {
        let o = memchr::memmem::find(&b[k..], b"</")?;
        let at = k + o;
        let after = at + 2 + name.len();
        if b.len() >= after && b[at + 2..after].eq_ignore_ascii_case(name) && b.get(after).is_none_or(|&c| is_ws(c) || c == b'>' || c == b'/') {
            return Some(at);
        }
        k = at + 2;
    }
}

struct StartTag {
    name_end: usize,
    /// Index of the closing `>`.
    gt: usize,
    self_closing: bool,
    /// (start, end, keep) of each attribute.
    attrs: Vec<(usize, usize, bool)>,
}

/// Reads a start tag beginning at `at` (`<` then a letter), the way the HTML
/// tokenizer does; None when the input ends inside it.
fn read_start_tag(b: &[u8], at: usize, attrs: &mut Vec<(usize, usize, bool)>) -> Option<StartTag> {
    attrs.clear();
    let mut j = at + 1;
    while j < b.len() && !is_ws(b[j]) && b[j] != b'/' && b[j] != b'>' {
        j += 1;
    }
    let name_end = j;
    let self_closing;
    loop {
        let mut slash = false;
        while j < b.len() && (is_ws(b[j]) || b[j] == b'/') {
            slash = b[j] == b'/';
            j += 1;
        }
        if j >= b.len() {
            return None;
        }
        if b[j] == b'>' {
            self_closing = slash;
            break;
        }
        let start = j;
        j += 1;
        while j < b.len() && !is_ws(b[j]) && b[j] != b'/' && b[j] != b'>' && b[j] != b'=' {
            j += 1;
        }
        let name = &b[start..j];
        let mut k = j;
        while k < b.len() && is_ws(b[k]) {
            k += 1;
        }
        if k < b.len() && b[k] == b'=' {
            k += 1;
            while k < b.len() && is_ws(b[k]) {
                k += 1;
            }
            if k >= b.len() {
                return None;
            }
            if b[k] == b'"' || b[k] == b'\'' {
                let q = b[k];
                let close = memchr::memchr(q, &b[k + 1..])?;
                k = k + 1 + close + 1;
            } else {
                while k < b.len() && !is_ws(b[k]) && b[k] != b'>' {
                    k += 1;
                }
            }
            j = k;
        }
        attrs.push((start, j, keep_attr(name)));
    }
    Some(StartTag { name_end, gt: j, self_closing, attrs: std::mem::take(attrs) })
}

/// The filtered page (see the module docs).
pub fn prefilter(html: &str) -> String {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len() / 2);
    let mut copy_from = 0;
    let mut i = 0;
    let mut scratch = Vec::new();
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        if b[at..].starts_with(b"<!--") {
            // Comments are copied as they are; a comment that never ends runs to the end.
            match memchr::memmem::find(&b[at + 2..], b"-->") {
                Some(e) => i = at + 2 + e + 3,
                None => break,
            }
            continue;
        }
        match b.get(at + 1) {
            Some(c) if c.is_ascii_alphabetic() => {}
            Some(b'/') if b.get(at + 2).is_some_and(u8::is_ascii_alphabetic) => {
                // An end tag: copied as it is, but read whole (its quotes may hide a '<').
                let Some(end) = read_start_tag(b, at + 1, &mut scratch) else { break };
                i = end.gt + 1;
                scratch = end.attrs;
                continue;
            }
            Some(b'!') | Some(b'?') | Some(b'/') => {
                // Doctypes and bogus comments run to the next '>'.
                match memchr::memchr(b'>', &b[at + 1..]) {
                    Some(e) => i = at + 1 + e + 1,
                    None => break,
                }
                continue;
            }
            _ => {
                i = at + 1;
                continue;
            }
        }
        let Some(tag) = read_start_tag(b, at, &mut scratch) else { break };
        let name = &b[at + 1..tag.name_end];
        let dropped_attr = tag.attrs.iter().any(|a| !a.2);
        let json_ld = name.eq_ignore_ascii_case(b"script") && tag.attrs.iter().any(|&(s, e, _)| b[s..e].to_ascii_lowercase().windows(7).any(|w| w == b"ld+json"));
        if dropped_attr {
            out.push_str(&html[copy_from..at]);
            out.push('<');
            out.push_str(&html[at + 1..tag.name_end]);
            for &(s, e, keep) in &tag.attrs {
                if keep {
                    out.push(' ');
                    out.push_str(&html[s..e]);
                }
            }
            out.push_str(if tag.self_closing { "/>" } else { ">" });
            copy_from = tag.gt + 1;
        }
        i = tag.gt + 1;
        scratch = tag.attrs;
        if name.eq_ignore_ascii_case(b"plaintext") {
            break;
        }
        let svg_closed = tag.self_closing && name.eq_ignore_ascii_case(b"svg");
        if drops_contents(name) && !json_ld && !svg_closed {
            let Some(close) = find_end_tag(b, i, name) else { break };
            out.push_str(&html[copy_from..i]);
            copy_from = close;
            i = close;
        } else if raw_text(name) || json_ld {
            let Some(close) = find_end_tag(b, i, name) else { break };
            i = close;
        }
        // End tags and other markup after this point are scanned as usual.
    }
    out.push_str(&html[copy_from..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dom::{parse, Limits, ROOT};

    #[test]
    fn drops_raw_contents_and_unused_attributes() {
        let html = r#"<p class="a" data-x="1" onclick='x()'>a</p><!-- <script> --><SCRIPT src="x.js">var s = "</p>";</SCRIPT><style>p{}</style><svg viewBox="0"><path d="M0"/></svg><svg/><script type="application/ld+json">{"a":"<b>"}</script><p title='>'>b</p><img srcset="a 1x" alt=x/>"#;
        assert_eq!(prefilter(html), r#"<p class="a">a</p><!-- <script> --><SCRIPT></SCRIPT><style></style><svg></svg><svg/><script type="application/ld+json">{"a":"<b>"}</script><p>b</p><img>"#);
        assert_eq!(prefilter("<p>no change</p>"), "<p>no change</p>");
    }

    #[test]
    fn unterminated_markup_is_left_to_the_parser() {
        assert_eq!(prefilter("<script>var a"), "<script>var a");
        assert_eq!(prefilter("<p data-a=\"x"), "<p data-a=\"x");
        assert_eq!(prefilter("<!-- open"), "<!-- open");
        assert_eq!(prefilter("a < b and c<d"), "a < b and c<d");
    }

    #[test]
    fn title_and_textarea_bodies_are_text() {
        let html = "<title>A <b data-x=1> title</title><textarea><i data-y=2></textarea><i data-y=2>x</i>";
        assert_eq!(prefilter(html), "<title>A <b data-x=1> title</title><textarea><i data-y=2></textarea><i>x</i>");
    }

    /// Parsing the filtered page gives the same visible text as the original.
    #[test]
    fn same_text_after_parsing() {
        let pages = [
            r#"<html><head><title>T</title><style>x</style></head><body><div class="a" data-q='1 > 0'><p>One <a href="/x" data-t="y">link</a> two.</p><script>document.write("<p>no</p>")</script><ul><li>i<li>j</ul><table><td data-c=1>cell</table><p>unclosed <b>bold<p>next</body></html>"#,
            "<p>a<!-- c --> b</p><svg><text>x</text></svg><p>c</p><noscript><p>ns</p></noscript>",
            "<div id=x class=y data-z=w>t</div><img src=a.png><br/><input value=\"v\">",
        ];
        let limits = Limits { deadline: None, max_nodes: usize::MAX };
        let visible = |html: &str| {
            let dom = parse(html, limits);
            let mut out = String::new();
            for n in dom.descendants(ROOT) {
                let skip = dom.ancestors(n).any(|a| ["script", "style", "svg", "noscript", "title"].iter().any(|t| dom.is(a, t)));
                if let Some(t) = dom.text(n).filter(|_| !skip) {
                    out.push_str(t);
                    out.push('|');
                }
            }
            out
        };
        for p in pages {
            assert_eq!(visible(&prefilter(p)), visible(p), "{p}");
        }
    }
}
