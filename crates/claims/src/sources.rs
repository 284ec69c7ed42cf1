//! One name per source in a story: "Peter Carr", "Carr", "the spokesman" and "a spokesman for the
//! special counsel" are one person; "Representative Adam B. Schiff", "Mr. Schiff" and "Schiff" are
//! another. Resolution only joins names the story itself ties together (a full name that ends in
//! the surname, an apposition that gives a role its name), and only when exactly one candidate
//! fits: an ambiguous name keeps its own wording rather than lend its claims to the wrong person.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use dossier_enrich::Enriched;
use dossier_model::{Attribution, EntityKind, SourceKind};
use regex::Regex;

/// Titles and honorifics before a name, which the name is compared without.
const TITLES: &[&str] = &[
    "mr",
    "mrs",
    "ms",
    "dr",
    "rep",
    "representative",
    "sen",
    "senator",
    "president",
    "gov",
    "governor",
    "judge",
    "justice",
    "secretary",
    "gen",
    "general",
    "speaker",
    "attorney",
    "deputy",
    "special",
    "counsel",
    "former",
    "chairman",
    "chairwoman",
    "leader",
    "minister",
    "prime",
    "ambassador",
    "mayor",
    "sheriff",
    "director",
    "chief",
    "lt",
    "col",
    "sgt",
    "capt",
    "prof",
    "rev",
    "congressman",
    "congresswoman",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "reporter",
    "correspondent",
    "strategist",
    "aide",
    "adviser",
    "advisor",
    "lawyer",
    "professor",
    "officer",
    "commissioner",
    "candidate",
    "nominee",
    "founder",
];

/// Role nouns an apposition gives a name ("Peter Carr, a spokesman for …", "his lawyer, Ty Cobb").
const ROLES: &str = "spokesman|spokeswoman|spokesperson|lawyer|attorney|counsel|press secretary|secretary|adviser|advisor|prosecutor|judge|senator|congressman|congresswoman|chairman|chairwoman|director|minister|ambassador|governor|mayor|sheriff|representative";

/// A person's name as the story writes it at its fullest (compared by first and last name: see the indexes).
#[derive(Debug, Clone)]
struct Person {
    full: String,
}

/// A role one article ties to a person: the role noun, the words around it ("for the special
/// counsel"), and the person's full name.
#[derive(Debug, Clone)]
struct Role {
    doc: usize,
    head: String,
    context: BTreeSet<String>,
    person: String,
}

/// The sources of one story under one name each. Built from the story's articles (their sentence
/// attributions, person entities and appositions); [`SourceNames::canonical`] renames one attribution.
#[derive(Debug, Clone, Default)]
pub struct SourceNames {
    people: Vec<Person>,
    /// Index of `people` by (first, last) and by last name: a story of hundreds of articles names thousands.
    by_name: HashMap<(String, String), usize>,
    by_last: HashMap<String, Vec<usize>>,
    roles: Vec<Role>,
    /// Named bodies and publications (kind, lower-case words without "the"), for "the Times" -> "The New York Times".
    bodies: Vec<(SourceKind, String, String)>,
}

/// The words of a name without leading titles, determiners or a possessive ("Mr. Schiff's" -> ["Schiff"]).
fn name_words(name: &str) -> Vec<&str> {
    let mut words: Vec<&str> = name.split_whitespace().map(|w| w.trim_end_matches("’s").trim_end_matches("'s").trim_matches([',', ';', ':'])).filter(|w| !w.is_empty()).collect();
    // "Transport Minister Elena Varga", "Mail reporter Josh Wingrove": the name after the last title.
    if let Some(t) = words[..words.len().saturating_sub(1)].iter().rposition(|w| TITLES.contains(&w.trim_end_matches('.').to_lowercase().as_str())) {
        words.drain(..=t);
    }
    words
}

/// The surname of a name's words, past a generational suffix ("Donald Trump Jr." -> "trump").
fn surname(words: &[&str]) -> String {
    let mut w = words.iter().rev().map(|w| w.trim_end_matches([',', '.']).to_lowercase());
    let last = w.next().unwrap_or_default();
    if matches!(last.as_str(), "jr" | "sr" | "ii" | "iii" | "iv") {
        w.next().unwrap_or(last)
    } else {
        last
    }
}

/// A capitalised word that opens a sentence before a name ("Meanwhile Peter Carr, a spokesman"), dropped.
fn strip_opener(name: &str) -> &str {
    match name.split_once(char::is_whitespace) {
        Some((first, rest))
            if rest.contains(char::is_whitespace)
                && matches!(
                    first.to_lowercase().as_str(),
                    "the" | "but" | "and" | "meanwhile" | "however" | "in" | "on" | "at" | "also" | "then" | "when" | "while" | "after" | "before" | "as" | "said" | "says" | "told" | "yet" | "so"
                ) =>
        {
            rest.trim_start()
        }
        _ => name,
    }
}

/// Whether words look like one person's name: two to four capitalised words (initials allowed).
fn looks_like_person(words: &[&str]) -> bool {
    (2..=4).contains(&words.len()) && words.iter().all(|w| w.chars().next().is_some_and(char::is_uppercase)) && !words.iter().any(|w| w.chars().all(|c| c.is_uppercase() || c == '.') && w.len() > 2)
}

fn role_patterns() -> &'static (Regex, Regex) {
    static R: OnceLock<(Regex, Regex)> = OnceLock::new();
    R.get_or_init(|| {
        let name = r"((?:\p{Lu}[\p{L}.'’-]*\s+){1,3}\p{Lu}[\p{L}'’-]+)";
        // "Peter Carr, a spokesman for the special counsel," / "Ty Cobb, the president's lawyer,"
        let after = Regex::new(&format!(r"{name},\s+(?:a|an|the|his|her|their|its)\s+([^,.;]{{0,60}}?(?-u:\b)(?:{ROLES})(?-u:\b)[^,.;]{{0,60}})")).expect("valid regex");
        // "special counsel spokesman Peter Carr" / "his lawyer, Ty Cobb"
        let before = Regex::new(&format!(r"(?-u:\b)([a-z’'\s]{{0,40}}(?-u:\b)(?:{ROLES})(?:,|\s+(?:for|of|at|to)\s+[\p{{L}}’'\s]{{1,40}}?,)?)\s+{name}")).expect("valid regex");
        (after, before)
    })
}

/// Content words of a phrase, lower case, for matching a role's context.
fn context_words(phrase: &str) -> BTreeSet<String> {
    phrase
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.len() > 2 && !matches!(w.as_str(), "the" | "for" | "and" | "his" | "her" | "their" | "its" | "who" | "with" | "from"))
        .collect()
}

fn role_head(phrase: &str) -> Option<String> {
    static HEAD: OnceLock<Regex> = OnceLock::new();
    let re = HEAD.get_or_init(|| Regex::new(&format!(r"(?-u:\b)({ROLES})(?-u:\b)")).expect("valid regex"));
    re.find(phrase).map(|m| m.as_str().to_string())
}

/// The one person all these roles name, if they name one.
fn unique_person(rs: Vec<&Role>) -> Option<&str> {
    let first = rs.first()?.person.as_str();
    rs.iter().all(|r| r.person == first).then_some(first)
}

impl SourceNames {
    /// Gathers the names, roles and bodies of a story's articles.
    pub fn of(docs: &[&Enriched]) -> SourceNames {
        let mut names = SourceNames::default();
        for (di, d) in docs.iter().enumerate() {
            for e in d.entities.iter().filter(|e| e.kind == EntityKind::Person) {
                names.add_person(&e.name);
            }
            for a in d.sentences.iter().filter_map(|s| s.attribution.as_ref()) {
                match a.kind {
                    SourceKind::Person => names.add_person(&a.source),
                    SourceKind::Publication | SourceKind::Organisation | SourceKind::GovernmentBody => {
                        let key = body_key(&a.source);
                        if key.contains(' ') && !names.bodies.iter().any(|b| b.1 == key) {
                            names.bodies.push((a.kind, key, a.source.trim_start_matches("the ").to_string()));
                        }
                    }
                    _ => {}
                }
            }
            names.add_roles(di, &d.article.text);
        }
        names
    }

    fn add_person(&mut self, name: &str) {
        let words = name_words(name);
        if !looks_like_person(&words) {
            return;
        }
        let (first, last) = (words[0].to_lowercase(), surname(&words));
        let full = words.join(" ");
        match self.by_name.get(&(first.clone(), last.clone())) {
            // The fullest form names the person ("Adam B. Schiff" over "Adam Schiff").
            Some(&i) if full.len() > self.people[i].full.len() => self.people[i].full = full,
            Some(_) => {}
            None => {
                self.by_name.insert((first.clone(), last.clone()), self.people.len());
                self.by_last.entry(last).or_default().push(self.people.len());
                self.people.push(Person { full });
            }
        }
    }

    /// Appositions that give a role a name. The patterns run only on a window around each role
    /// word (found by its literal), so a story's texts are scanned once by a cheap search.
    fn add_roles(&mut self, doc: usize, text: &str) {
        let (after, before) = role_patterns();
        static WORD: OnceLock<Regex> = OnceLock::new();
        let word = WORD.get_or_init(|| Regex::new(&format!(r"(?-u:\b)(?:{ROLES})(?-u:\b)")).expect("valid regex"));
        for m in word.find_iter(text) {
            let mut lo = m.start().saturating_sub(160);
            while !text.is_char_boundary(lo) {
                lo -= 1;
            }
            let mut hi = (m.end() + 120).min(text.len());
            while !text.is_char_boundary(hi) {
                hi += 1;
            }
            let window = &text[lo..hi];
            let at = m.start() - lo;
            let around = |g: Option<regex::Match>| g.is_some_and(|g| g.start() <= at && at < g.end());
            for c in after.captures_iter(window).filter(|c| around(c.get(2))) {
                let words = name_words(strip_opener(&c[1]));
                if let (true, Some(head)) = (looks_like_person(&words), role_head(&c[2])) {
                    let person = words.join(" ");
                    self.add_person(&person);
                    self.roles.push(Role { doc, head, context: context_words(&c[2]), person });
                }
            }
            for c in before.captures_iter(window).filter(|c| around(c.get(1))) {
                let words = name_words(&c[2]);
                if let (true, Some(head)) = (looks_like_person(&words), role_head(&c[1])) {
                    let person = words.join(" ");
                    self.add_person(&person);
                    self.roles.push(Role { doc, head, context: context_words(&c[1]), person });
                }
            }
        }
    }

    /// The person a name stands for: its full form, or the one full name that ends with its surname.
    fn person(&self, name: &str) -> Option<&Person> {
        let words = name_words(name);
        if words.is_empty() || !words.iter().all(|w| w.chars().next().is_some_and(char::is_uppercase)) {
            return None;
        }
        let first = words[0].to_lowercase();
        let last = surname(&words);
        if words.len() >= 2 {
            return self.by_name.get(&(first, last)).map(|&i| &self.people[i]);
        }
        let mut fits = self.by_last.get(&last)?.iter().map(|&i| &self.people[i]);
        let one = fits.next()?;
        fits.all(|p| p.full == one.full).then_some(one)
    }

    /// The person a role names ("the spokesman", "a spokesman for the special counsel"): the one
    /// person this article, else the story, gives that role (and the role's words, when it has any).
    fn role_person(&self, doc: usize, phrase: &str) -> Option<&str> {
        let head = role_head(phrase)?;
        let words = context_words(phrase);
        let fits = |r: &&Role| r.head == head && words.iter().filter(|w| **w != head).all(|w| r.context.contains(w) || head.contains(w.as_str()));
        unique_person(self.roles.iter().filter(|r| r.doc == doc).filter(fits).collect()).or_else(|| unique_person(self.roles.iter().filter(fits).collect()))
    }

    /// An attribution of article `doc` (its index among the docs given to [`SourceNames::of`]) under the
    /// story's one name for its source.
    pub fn canonical(&self, doc: usize, a: &Attribution) -> Attribution {
        let renamed = |source: &str, kind: SourceKind| Attribution { source: source.to_string(), kind, cue: a.cue.clone() };
        match a.kind {
            SourceKind::Person => {
                if a.source.starts_with(char::is_lowercase) || ["A ", "An ", "The ", "His ", "Her "].iter().any(|p| a.source.starts_with(p)) {
                    return self.role_person(doc, &a.source.to_lowercase()).map_or_else(|| a.clone(), |p| renamed(p, SourceKind::Person));
                }
                self.person(&a.source).map_or_else(|| a.clone(), |p| renamed(&p.full, SourceKind::Person))
            }
            SourceKind::Publication | SourceKind::Organisation | SourceKind::GovernmentBody => {
                // "the Times" for the story's "The New York Times": the one body of its kind whose name ends so.
                let key = body_key(&a.source);
                // "the ministry" for its "Ministry of Transport": the one body whose name is headed so.
                let mut fits = self.bodies.iter().filter(|b| b.0 == a.kind && (b.1 == key || b.1.ends_with(&format!(" {key}")) || !key.contains(' ') && b.1.starts_with(&format!("{key} of "))));
                match (fits.next(), fits.next()) {
                    (Some(b), None) if b.1 != key => renamed(&b.2, a.kind),
                    _ => a.clone(),
                }
            }
            _ => a.clone(),
        }
    }
}

/// A body's name for comparison: lower case, without a leading "the" or a possessive.
fn body_key(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    let lower = lower.strip_prefix("the ").unwrap_or(&lower);
    lower.trim_end_matches("’s").trim_end_matches("'s").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_enrich::enrich;
    use dossier_model::{Article, ArticleKind, Outlet, OutletBasis};

    fn doc(id: &str, text: &str) -> Enriched {
        enrich(&Article {
            id: id.into(),
            kind: ArticleKind::Main,
            title: id.into(),
            text: text.into(),
            outlet: Outlet { name: id.into(), basis: OutletBasis::Given },
            url: None,
            source: id.into(),
            published: None,
            seen_at: "2025-06-23T00:00:00Z".parse().unwrap(),
            language: None,
        })
    }

    fn person(source: &str) -> Attribution {
        Attribution { source: source.into(), kind: SourceKind::Person, cue: "said".into() }
    }

    #[test]
    fn names_roles_and_surnames_resolve_within_and_across_articles() {
        let a = doc("a", "“BuzzFeed’s description of specific statements to the special counsel’s office is not accurate,” Peter Carr, a spokesman for the special counsel, said in a statement. Representative Adam B. Schiff of California said the committee would investigate.");
        let b = doc("b", "The spokesman declined to comment further. Mr. Schiff said he was troubled. Carr rarely comments on reports.");
        let names = SourceNames::of(&[&a, &b]);
        for (doc, said) in [(0, "Peter Carr"), (1, "Carr"), (1, "the spokesman"), (0, "a spokesman for the special counsel")] {
            assert_eq!(names.canonical(doc, &person(said)).source, "Peter Carr", "{said}");
        }
        for said in ["Representative Adam B. Schiff", "Mr. Schiff", "Schiff", "Adam Schiff"] {
            assert_eq!(names.canonical(1, &person(said)).source, "Adam B. Schiff", "{said}");
        }
        // A name the story does not tie to anyone keeps its wording.
        assert_eq!(names.canonical(1, &person("Mr. Cobb")).source, "Mr. Cobb");
        assert_eq!(names.canonical(1, &person("a lawyer for the campaign")).source, "a lawyer for the campaign");
    }

    #[test]
    fn an_ambiguous_surname_or_role_is_left_alone() {
        let a = doc("a", "Ivana Lane met the lawyer. Eric Lane declined to comment. Sarah Sanders, the White House press secretary, spoke. Hogan Gidley, a White House spokesman, said no. Peter Carr, a spokesman for the special counsel, said nothing.");
        let names = SourceNames::of(&[&a]);
        assert_eq!(names.canonical(0, &person("Lane")).source, "Lane");
        assert_eq!(names.canonical(0, &person("the spokesman")).source, "the spokesman");
        assert_eq!(names.canonical(0, &person("a spokesman for the special counsel")).source, "Peter Carr");
        assert_eq!(names.canonical(0, &person("a White House spokesman")).source, "Hogan Gidley");
    }
}
