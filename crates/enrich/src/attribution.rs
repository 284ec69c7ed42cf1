//! Attribution: who a statement is attributed to, and the cue that says so
//! ("according to a report by The New York Times", "X said", "the memo alleges").

use std::sync::OnceLock;

use dossier_model::{Attribution, SourceKind};
use regex::Regex;

/// A run of capitalised words, "of" allowed inside: "The New York Times", "Bank of England".
const NAME: &str = r"(?:The\s+)?[A-Z][\w.&'’-]*(?:\s+(?:of\s+|for\s+)?[A-Z][\w.&'’-]*)*";
const DOCUMENT: &str = r"(?:memo|memorandum|document|report|assessment|letter|dossier|study|filing|statement|cable|briefing|analysis)";
const SPEECH: &str = r"(?:said|says|told|reported|reports|notes|noted|warned|warns|claimed|claims|alleged|alleges|added|stated|states|announced|confirmed|wrote|writes|argued|insisted|acknowledged|denied)";

fn patterns() -> &'static [(Regex, &'static str); 6] {
    static P: OnceLock<[(Regex, &str); 6]> = OnceLock::new();
    P.get_or_init(|| {
        [
            (Regex::new(&format!(r"(?P<cue>according to (?:a |an |the )?(?:new |recent |latest )?(?:{DOCUMENT}|article|investigation|story)?\s*(?:by|from|in|of)?\s*)(?P<src>{NAME})")).unwrap(), "according"),
            (Regex::new(&format!(r"(?P<cue>according to )(?P<src>(?:the|a|an) (?:{DOCUMENT}|sources?|officials?))")).unwrap(), "according"),
            (Regex::new(&format!(r"(?P<src>(?:[Tt]he|[Tt]his|[Aa]n?) (?:[\w-]+ ){{0,3}}?{DOCUMENT})\s+(?P<cue>alleges|alleged|says|said|warns|warned|notes|noted|outlines|outlined|details|detailed|suggests|suggested|claims|claimed|states|stated|reveals|revealed|shows|showed|finds|found)\b")).unwrap(), "document"),
            (Regex::new(&format!(r"(?:^|\s|,)(?P<src>{NAME})\s+(?P<cue>{SPEECH})\b")).unwrap(), "speech"),
            (Regex::new(&format!(r"(?P<cue>(?:reported|revealed|disclosed|first reported) by )(?P<src>{NAME})")).unwrap(), "reported_by"),
            (Regex::new(&format!(r"(?P<src>\b(?:sources|officials|experts|analysts|diplomats|he|she|they)\b)(?:[\w ]{{0,30}})?,?\s+(?P<cue>{SPEECH}|say)\b")).unwrap(), "unnamed"),
        ]
    })
}

fn kind_of(src: &str, pattern: &str) -> SourceKind {
    let lower = src.to_lowercase();
    if pattern == "unnamed" || matches!(lower.as_str(), "he" | "she" | "they" | "sources" | "officials") {
        return SourceKind::Unnamed;
    }
    if crate::publication_like(src) {
        return SourceKind::Publication;
    }
    static DOC_NAME: OnceLock<Regex> = OnceLock::new();
    let doc_name = DOC_NAME.get_or_init(|| Regex::new(&format!(r"(?i)\b{DOCUMENT}$")).expect("valid regex"));
    if pattern == "document" || doc_name.is_match(&lower) {
        return SourceKind::Document;
    }
    let ents = crate::entities_in(src);
    match ents.first().map(|e| e.kind) {
        Some(dossier_model::EntityKind::Person) => SourceKind::Person,
        _ if src.split_whitespace().count() <= 3 && src.split_whitespace().all(|w| w.chars().next().is_some_and(char::is_uppercase)) && ents.iter().all(|e| e.kind != dossier_model::EntityKind::Organisation) && src.split_whitespace().count() >= 2 => SourceKind::Person,
        _ => SourceKind::Organisation,
    }
}

/// Finds the attribution of one sentence, if it has one.
///
/// ```
/// use dossier_model::SourceKind;
/// let a = dossier_enrich::attribution_in("A document suggests mistrust, according to a report by The New York Times.").unwrap();
/// assert_eq!((a.source.as_str(), a.kind), ("The New York Times", SourceKind::Publication));
/// assert_eq!(a.cue, "according to a report by");
/// let a = dossier_enrich::attribution_in("The memo alleges that researchers are active.").unwrap();
/// assert_eq!((a.source.as_str(), a.kind, a.cue.as_str()), ("The memo", SourceKind::Document, "alleges"));
/// ```
pub fn attribution_in(sentence: &str) -> Option<Attribution> {
    for (re, name) in patterns() {
        if let Some(c) = re.captures(sentence) {
            let mut src = c["src"].trim().trim_end_matches(['.', ',']);
            // Clause-initial function words are not part of a name ("As The New York Times notes").
            while let Some((first, rest)) = src.split_once(char::is_whitespace) {
                if matches!(first, "As" | "While" | "But" | "And" | "Although" | "Though" | "Since" | "If" | "When" | "In" | "On" | "At" | "For" | "Despite" | "Yet" | "So") {
                    src = rest.trim_start();
                } else {
                    break;
                }
            }
            if *name == "speech" && matches!(src, "It" | "This" | "That" | "There" | "He" | "She" | "They" | "We") {
                continue;
            }
            let src = src.to_string();
            return Some(Attribution { kind: kind_of(&src, name), cue: c["cue"].trim().to_string(), source: src });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speech_and_notes() {
        let a = attribution_in("As The New York Times notes, China has become a lifeline.").unwrap();
        assert_eq!((a.source.as_str(), a.cue.as_str(), a.kind), ("The New York Times", "notes", SourceKind::Publication));
        let a = attribution_in("Rosatom chief Alexey Likhachev said any damage could be a disaster.").unwrap();
        assert_eq!(a.cue, "said");
        assert!(a.source.ends_with("Alexey Likhachev"), "{a:?}");
        let a = attribution_in("Doval will travel from June 24-26, sources said.").unwrap();
        assert_eq!((a.source.as_str(), a.kind), ("sources", SourceKind::Unnamed));
        assert_eq!(attribution_in("The sky is blue and the grass is green."), None);
    }
}
