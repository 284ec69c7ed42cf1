//! Named entities with aliases resolved to one canonical name.
//!
//! Reference data: an embedded gazetteer of countries (with demonyms, capitals
//! and seats of government used as metonyms: "Beijing" and "Chinese" -> China,
//! "the Kremlin" -> Russia), international organisations, security services
//! and leaders with their common aliases. Anything else that is a run of
//! capitalised words is found by rule: after a title ("President", "Minister",
//! "Gen") it is a person; with an organisation word ("Service", "Agency") an
//! organisation; with a press word ("Times", "Post") a publication. A lone
//! surname resolves to the full name used earlier in the same text.

use std::collections::HashMap;
use std::sync::OnceLock;

use dossier_model::{Entity, EntityKind, Mention};

/// (canonical, kind, aliases). Aliases are matched case-sensitively on word boundaries.
const GAZETTEER: &[(&str, EntityKind, &[&str])] = {
    use EntityKind::*;
    &[
        ("Russia", Country, &["Russia", "Russian", "Russians", "Moscow", "Kremlin", "Russian Federation"]),
        ("China", Country, &["China", "Chinese", "Beijing", "Sino", "People's Republic of China", "PRC"]),
        ("United States", Country, &["United States", "U.S.", "US", "USA", "America", "American", "Americans", "Washington", "White House"]),
        ("United Kingdom", Country, &["United Kingdom", "UK", "U.K.", "Britain", "British", "London", "Downing Street"]),
        ("Ukraine", Country, &["Ukraine", "Ukrainian", "Ukrainians", "Kyiv", "Kiev"]),
        ("India", Country, &["India", "Indian", "Indians", "New Delhi", "Delhi"]),
        ("Pakistan", Country, &["Pakistan", "Pakistani", "Islamabad"]),
        ("Iran", Country, &["Iran", "Iranian", "Iranians", "Tehran"]),
        ("Israel", Country, &["Israel", "Israeli", "Israelis"]),
        ("France", Country, &["France", "French", "Paris", "Élysée"]),
        ("Germany", Country, &["Germany", "German", "Germans", "Berlin"]),
        ("Poland", Country, &["Poland", "Polish", "Warsaw"]),
        ("Japan", Country, &["Japan", "Japanese", "Tokyo"]),
        ("Taiwan", Country, &["Taiwan", "Taiwanese", "Taipei"]),
        ("Turkey", Country, &["Turkey", "Turkish", "Türkiye", "Ankara"]),
        ("North Korea", Country, &["North Korea", "North Korean", "Pyongyang", "DPRK"]),
        ("South Korea", Country, &["South Korea", "South Korean", "Seoul"]),
        ("Syria", Country, &["Syria", "Syrian", "Damascus"]),
        ("Iraq", Country, &["Iraq", "Iraqi", "Baghdad"]),
        ("Afghanistan", Country, &["Afghanistan", "Afghan", "Kabul"]),
        ("Saudi Arabia", Country, &["Saudi Arabia", "Saudi", "Riyadh"]),
        ("Belarus", Country, &["Belarus", "Belarusian", "Minsk"]),
        ("Italy", Country, &["Italy", "Italian", "Rome"]),
        ("Spain", Country, &["Spain", "Spanish", "Madrid"]),
        ("Canada", Country, &["Canada", "Canadian", "Ottawa"]),
        ("Australia", Country, &["Australia", "Australian", "Canberra"]),
        ("Brazil", Country, &["Brazil", "Brazilian", "Brasília"]),
        ("Egypt", Country, &["Egypt", "Egyptian", "Cairo"]),
        ("Qatar", Country, &["Qatar", "Qatari", "Doha"]),
        ("Bangladesh", Country, &["Bangladesh", "Bangladeshi", "Dhaka"]),
        ("Kazakhstan", Country, &["Kazakhstan", "Kazakh", "Astana"]),
        ("Europe", Place, &["Europe", "European", "Europeans"]),
        ("Arctic", Place, &["Arctic"]),
        ("the West", Place, &["the West", "West", "Western"]),
        ("Baltic states", Place, &["Baltic states", "Baltics"]),
        ("Middle East", Place, &["Middle East"]),
        ("Federal Security Service", Organisation, &["Federal Security Service", "FSB", "Russia's domestic security service", "Russia's Federal Security Service", "Lubyanka"]),
        ("North Atlantic Treaty Organization", Organisation, &["NATO", "North Atlantic Treaty Organization", "North Atlantic Treaty Organisation"]),
        ("United Nations", Organisation, &["United Nations", "UN", "U.N."]),
        ("UN Security Council", Organisation, &["UN Security Council", "Security Council"]),
        ("International Atomic Energy Agency", Organisation, &["International Atomic Energy Agency", "IAEA"]),
        ("European Union", Organisation, &["European Union", "EU"]),
        ("G7", Organisation, &["G7", "Group of Seven"]),
        ("Shanghai Cooperation Organisation", Organisation, &["Shanghai Cooperation Organisation", "Shanghai Cooperation Organization", "SCO"]),
        ("BRICS", Organisation, &["BRICS"]),
        ("Rosatom", Organisation, &["Rosatom"]),
        ("Central Intelligence Agency", Organisation, &["Central Intelligence Agency", "CIA"]),
        ("MI6", Organisation, &["MI6", "Secret Intelligence Service"]),
        ("Ares Leaks", Organisation, &["Ares Leaks"]),
        ("The New York Times", Publication, &["The New York Times", "New York Times", "NYT"]),
        ("Reuters", Publication, &["Reuters"]),
        ("Associated Press", Publication, &["Associated Press", "AP"]),
        ("BBC", Publication, &["BBC"]),
        ("Vladimir Putin", Person, &["Vladimir Putin", "Putin", "Russian President Vladimir Putin"]),
        ("Xi Jinping", Person, &["Xi Jinping", "Xi"]),
        ("Narendra Modi", Person, &["Narendra Modi", "Modi"]),
        ("Donald Trump", Person, &["Donald Trump", "Trump"]),
        ("Volodymyr Zelensky", Person, &["Volodymyr Zelensky", "Zelensky", "Zelenskyy"]),
    ]
};

const TITLES: &[&str] = &[
    "President", "Prime", "Minister", "Secretary", "Chancellor", "Gen", "Gen.", "General", "Lt", "Lt.", "Col", "Col.",
    "Dr", "Dr.", "Mr", "Mr.", "Mrs", "Mrs.", "Ms", "Ms.", "Advisor", "Adviser", "NSA", "Director", "chief", "Chief",
    "Senator", "Sen.", "Governor", "King", "Queen", "Premier", "Ambassador", "spokesperson", "spokesman", "spokeswoman",
    "leader", "Editor",
];
const ORG_WORDS: &[&str] = &[
    "Service", "Agency", "Ministry", "Department", "Group", "Company", "Corporation", "University", "Institute",
    "Council", "Party", "Bank", "Organisation", "Organization", "Forces", "Army", "Navy", "Committee", "Commission",
    "Office", "Fund", "Foundation", "Association", "Union", "Court", "Parliament", "Congress",
];
const PRESS_WORDS: &[&str] = &["Times", "Post", "Journal", "News", "Guardian", "Telegraph", "Herald", "Tribune", "Express", "Gazette", "Press", "Daily", "Reuters", "Observer", "Economist", "Insider", "Wire"];

/// True when a name looks like a newspaper, agency or broadcaster.
pub fn publication_like(name: &str) -> bool {
    gazetteer_entry(name).is_some_and(|(_, k)| k == EntityKind::Publication)
        || name.split_whitespace().any(|w| PRESS_WORDS.contains(&w))
        || name.ends_with(".com")
}

fn alias_index() -> &'static HashMap<&'static str, (&'static str, EntityKind)> {
    static I: OnceLock<HashMap<&str, (&str, EntityKind)>> = OnceLock::new();
    I.get_or_init(|| {
        let mut m = HashMap::new();
        for (canon, kind, aliases) in GAZETTEER {
            m.insert(*canon, (*canon, *kind));
            for a in *aliases {
                m.insert(*a, (*canon, *kind));
            }
        }
        m
    })
}

fn gazetteer_entry(name: &str) -> Option<(&'static str, EntityKind)> {
    alias_index().get(name).copied()
}

/// Longest alias length in words, to bound the lookup window.
const MAX_ALIAS_WORDS: usize = 5;

#[derive(Debug)]
struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word_char = c.is_alphanumeric() || matches!(c, '.' | '\'' | '’' | '-');
        match (word_char, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(Token { text: &text[s..i], start: s, end: i });
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(Token { text: &text[s..], start: s, end: text.len() });
    }
    // Trailing sentence dots and possessives are not part of a name ("U.S." keeps its dots).
    for t in &mut out {
        let mut s = t.text;
        if let Some(x) = s.strip_suffix("'s").or_else(|| s.strip_suffix("’s")) {
            s = x;
        }
        if s.ends_with('.') && !s[..s.len() - 1].contains('.') && !TITLES.contains(&s) {
            s = &s[..s.len() - 1];
        }
        s = s.trim_end_matches(['\'', '’', '-']);
        t.end = t.start + s.len();
        t.text = s;
    }
    out.retain(|t| !t.text.is_empty());
    out
}

fn capitalised(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

/// Capitalised words that start sentences or clauses but never names.
const FUNCTION_WORDS: &[&str] = &[
    "The", "A", "An", "This", "That", "These", "Those", "In", "On", "At", "But", "And", "While", "As", "For", "If",
    "When", "Despite", "Since", "After", "Before", "It", "He", "She", "They", "We", "Its", "Their", "His", "Her",
    "Some", "Others", "Yet", "Though", "Although", "Among", "Inside", "Further", "Interestingly", "Now", "Both",
    "Unlike", "Together", "Whether", "What", "For", "Earlier", "Later", "Then", "There", "Here", "Once", "With",
];
/// Words that may precede a title ("Defence Minister", "Foreign Minister").
const ORG_TITLE_PREFIXES: &[&str] = &["Defence", "Defense", "Foreign", "Prime", "Interior", "Finance", "Deputy", "Vice", "National", "Security", "Diplomatic"];

const CONNECTORS: &[&str] = &["of", "for", "de", "al"];

/// Finds entities in a text, canonicalised, with every mention's offsets.
///
/// ```
/// use dossier_enrich::entities_in;
/// let e = entities_in("Russia's Federal Security Service (FSB) met Beijing. President Xi Jinping smiled.");
/// let names: Vec<&str> = e.iter().map(|e| e.name.as_str()).collect();
/// assert_eq!(names, ["Federal Security Service", "China", "Xi Jinping"]);
/// assert_eq!(e[0].mentions.len(), 2);
/// ```
pub fn entities_in(text: &str) -> Vec<Entity> {
    let toks = tokens(text);
    let mut found: Vec<(String, EntityKind, Mention)> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        // Longest gazetteer alias first.
        let mut matched = None;
        for n in (1..=MAX_ALIAS_WORDS.min(toks.len() - i)).rev() {
            let span = &text[toks[i].start..toks[i + n - 1].end];
            if span.contains(['\n']) {
                continue;
            }
            let tokens_joined = toks[i..i + n].iter().map(|t| t.text).collect::<Vec<_>>().join(" ");
            if let Some((canon, kind)) = gazetteer_entry(&tokens_joined).or_else(|| gazetteer_entry(span)) {
                matched = Some((n, canon.to_string(), kind));
                break;
            }
        }
        if let Some((n, canon, kind)) = matched {
            let m = Mention { text: text[toks[i].start..toks[i + n - 1].end].to_string(), start: toks[i].start, end: toks[i + n - 1].end };
            found.push((canon, kind, m));
            i += n;
            continue;
        }
        // A run of capitalised words (connectors allowed inside).
        if capitalised(toks[i].text) {
            let mut j = i + 1;
            while j < toks.len() && !text[toks[j - 1].end..toks[j].start].contains(['\n', ',', ';', ':', '(', ')', '"', '“', '”', '.', '!', '?']) {
                let t = toks[j].text;
                let bridge = CONNECTORS.contains(&t) && toks.get(j + 1).is_some_and(|n| capitalised(n.text));
                if capitalised(t) || bridge {
                    j += 1;
                } else {
                    break;
                }
            }
            let words: Vec<&str> = toks[i..j].iter().map(|t| t.text).collect();
            let named_body = words.iter().any(|w| PRESS_WORDS.contains(w) || ORG_WORDS.contains(w));
            // Without a press or organisation word, a gazetteer name inside the run ends it.
            if !named_body {
                if let Some(k) = (i + 1..j).find(|&k| gazetteer_entry(toks[k].text).is_some()) {
                    // "Time of India", "Bank of England": a place after a connector belongs to the name.
                    if !CONNECTORS.contains(&toks[k - 1].text) {
                        j = k;
                    }
                }
            }
            // Leading function words and titles are not part of a name.
            let mut s = i;
            let mut after_title = false;
            while s < j {
                let w = toks[s].text;
                if TITLES.contains(&w) || ORG_TITLE_PREFIXES.contains(&w) && toks[s + 1..j].iter().any(|t| TITLES.contains(&t.text)) {
                    after_title |= TITLES.contains(&w);
                    s += 1;
                } else if FUNCTION_WORDS.contains(&w) && !(w == "The" && named_body) {
                    s += 1;
                } else {
                    break;
                }
            }
            after_title |= s > 0 && TITLES.contains(&toks[s - 1].text);
            if s >= j {
                i = j.max(i + 1);
                continue;
            }
            if s > i {
                // Look again from the name itself: it may be a gazetteer name.
                i = s;
                continue;
            }
            let words: Vec<&str> = toks[s..j].iter().map(|t| t.text).collect();
            let sentence_initial = s == 0 || text[..toks[s].start].trim_end().ends_with(['.', '!', '?', '\n', '"', '“', '-']);
            let single = words.len() == 1;
            let name = text[toks[s].start..toks[j - 1].end].to_string();
            let kind = if words.iter().any(|w| PRESS_WORDS.contains(w)) {
                EntityKind::Publication
            } else if words.iter().any(|w| ORG_WORDS.contains(w) || CONNECTORS.contains(w)) || (single && words[0].len() >= 2 && words[0].chars().all(|c| c.is_uppercase() || c.is_ascii_digit())) {
                EntityKind::Organisation
            } else if after_title || (words.len() >= 2 && words.len() <= 3) {
                EntityKind::Person
            } else {
                EntityKind::Other
            };
            let keep = !(sentence_initial && single && !after_title);
            if keep {
                found.push((name.clone(), kind, Mention { text: name, start: toks[s].start, end: toks[j - 1].end }));
            }
            i = j;
            continue;
        }
        i += 1;
    }
    // A lone surname (or first word) resolves to a fuller person name found in the same text.
    let people: Vec<String> = found.iter().filter(|f| f.1 == EntityKind::Person && f.0.contains(' ')).map(|f| f.0.clone()).collect();
    for f in found.iter_mut() {
        if !f.0.contains(' ') {
            if let Some(full) = people.iter().find(|p| p.split_whitespace().last() == Some(f.0.as_str())) {
                f.0 = full.clone();
                f.1 = EntityKind::Person;
            }
        }
    }
    let mut out: Vec<Entity> = Vec::new();
    for (name, kind, m) in found {
        match out.iter_mut().find(|e| e.name == name) {
            Some(e) => e.mentions.push(m),
            None => out.push(Entity { name, kind, mentions: vec![m] }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &str) -> Vec<(String, EntityKind)> {
        entities_in(t).into_iter().map(|e| (e.name, e.kind)).collect()
    }

    #[test]
    fn aliases_resolve() {
        let e = names("The FSB and the Federal Security Service are one. Putin and Vladimir Putin too; the Kremlin is Russia.");
        assert_eq!(e, [("Federal Security Service".into(), EntityKind::Organisation), ("Vladimir Putin".into(), EntityKind::Person), ("Russia".into(), EntityKind::Country)]);
    }

    #[test]
    fn rules_find_people_orgs_publications() {
        let e = names("Defence Minister Rajnath Singh met officials, said The Indian Express. Later Singh left the Atomic Energy Agency.");
        assert!(e.contains(&("Rajnath Singh".into(), EntityKind::Person)), "{e:?}");
        assert!(e.contains(&("The Indian Express".into(), EntityKind::Publication)), "{e:?}");
        assert!(e.contains(&("Atomic Energy Agency".into(), EntityKind::Organisation)), "{e:?}");
        // "Singh" alone resolved to the full name, not a new entity.
        assert_eq!(e.iter().filter(|(n, _)| n.contains("Singh")).count(), 1);
    }

    #[test]
    fn offsets_point_into_text() {
        let t = "Talks in Beijing, then the U.S. replied.";
        for e in entities_in(t) {
            for m in e.mentions {
                assert_eq!(&t[m.start..m.end], m.text);
            }
        }
        assert_eq!(names(t), [("China".into(), EntityKind::Country), ("United States".into(), EntityKind::Country)]);
    }
}
