//! An Atom feed (RFC 4287) of one watch's alerts, newest first. Written with an XML
//! writer that escapes every text and attribute it is given, so a hostile title
//! cannot break out of its element.

use dossier_model::{Alert, AlertKind, Watch};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

/// What an alert kind is called in a feed entry's title.
pub fn label(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::ClaimCorroborated => "Corroborated",
        AlertKind::ClaimContested => "Contested",
        AlertKind::ClaimRemoved => "Claim removed",
        AlertKind::NewClaim => "New claim",
        AlertKind::NewStory => "New story",
        AlertKind::NewArticle => "New article",
        AlertKind::NewOutlet => "New outlet",
        AlertKind::StoryMerged => "Stories merged",
        AlertKind::ClaimCorrected => "Correction",
    }
}

/// The feed. Links are relative to the server (`/stories/ID`), as is the feed's own
/// (`self_path`): a feed reader resolves them against the feed's URL.
pub fn feed(watch: &Watch, alerts: &[Alert], self_path: &str) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 1);
    let updated = alerts.iter().map(|a| a.at).max().unwrap_or(watch.created).to_rfc3339();
    let title = format!("dossier watch: {} {}", watch.kind.as_str(), watch.target);
    let write = |w: &mut Writer<Vec<u8>>| -> std::io::Result<()> {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        w.write_event(Event::Start(BytesStart::new("feed").with_attributes([("xmlns", "http://www.w3.org/2005/Atom")])))?;
        text(w, "id", &format!("urn:dossier:watch:{}", watch.id))?;
        text(w, "title", &title)?;
        text(w, "updated", &updated)?;
        w.write_event(Event::Empty(BytesStart::new("link").with_attributes([("rel", "self"), ("href", self_path)])))?;
        w.write_event(Event::Start(BytesStart::new("author")))?;
        text(w, "name", "dossier")?;
        w.write_event(Event::End(BytesEnd::new("author")))?;
        for a in alerts {
            entry(w, a)?;
        }
        w.write_event(Event::End(BytesEnd::new("feed")))
    };
    write(&mut w).expect("writing to memory does not fail");
    String::from_utf8(w.into_inner()).expect("the writer writes the UTF-8 it was given")
}

fn entry(w: &mut Writer<Vec<u8>>, a: &Alert) -> std::io::Result<()> {
    w.write_event(Event::Start(BytesStart::new("entry")))?;
    text(w, "id", &format!("urn:dossier:alert:{}", a.id))?;
    text(w, "title", &format!("{}: {}", label(a.kind), a.text))?;
    text(w, "updated", &a.at.to_rfc3339())?;
    let href = format!("/stories/{}", a.story_id);
    w.write_event(Event::Empty(BytesStart::new("link").with_attributes([("href", href.as_str())])))?;
    let mut summary = format!("{} in story {}", label(a.kind), a.story_id);
    if let Some(o) = &a.outlet {
        summary.push_str(&format!(", from {o}"));
    }
    if let Some(c) = &a.claim_id {
        summary.push_str(&format!(", claim {c}"));
    }
    summary.push_str(&format!(" (change {})", a.seq));
    text(w, "summary", &summary)?;
    w.write_event(Event::End(BytesEnd::new("entry")))
}

/// `<name>text</name>`, the text escaped by the writer; characters XML 1.0 cannot
/// hold at all (control characters), which no escaping makes legal, are dropped.
fn text(w: &mut Writer<Vec<u8>>, name: &str, content: &str) -> std::io::Result<()> {
    let legal: String = content.chars().filter(|&c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)).collect();
    w.write_event(Event::Start(BytesStart::new(name)))?;
    w.write_event(Event::Text(BytesText::new(&legal)))?;
    w.write_event(Event::End(BytesEnd::new(name)))
}
