//! Claims: a story's enriched articles -> [`AlignedClaim`]s with provenance.
//!
//! Takes the enriched articles of one story and gives its claims aligned
//! across outlets: check-worthy sentences are cut into clauses (one fact
//! each, roughly); clauses from different outlets that state the same thing
//! (weighted term overlap, rare terms counting most) are linked; the linked
//! facts become aligned claims carrying the outlets that state them, the
//! sources they are attributed to, the first outlet, and a status:
//! corroborated, single-source, unattributed or contested (numbers that
//! disagree). With a meaning scorer, sentences in other words align too; the
//! scorer (a model pass per sentence or pair) sees only the pairs closest in
//! wording, within a budget that grows linearly with the story. It never
//! writes storage and never invents text: every claim's text is a source
//! sentence.

mod sources;

use std::collections::{BTreeSet, HashMap};

use dossier_enrich::{is_stopword, quantities_in, terms, Enriched};
use dossier_model::{stable_id, AlignedClaim, Attribution, Claim, ClaimStatus, EntityKind, OutletNames, SourceKind, Story};
pub use sources::SourceNames;

/// Alignment settings; the defaults are what dossier uses everywhere.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Weighted share of the smaller clause's terms that must match.
    pub clause_match: f64,
    /// Distinct content terms two clauses must share.
    pub min_shared_terms: usize,
    /// Below this a sentence is framing or opinion, not a claim.
    pub min_checkworthiness: f32,
    /// Two claims from different outlets whose meaning scores at least this (0-5) state the same
    /// thing, when each is the other's best match in that outlet.
    pub meaning_link: f32,
    /// At most this many sentence pairs are scored per story, whatever its size.
    pub max_meaning_pairs: usize,
    /// Each claim's candidates for meaning in each other outlet: the this many closest in wording
    /// (only a claim's best match per outlet can link, and a paraphrase still shares rare words).
    pub meaning_candidates: usize,
    /// A story's meaning budget: at most this many scored pairs per claim (the closest in wording
    /// first), so the model's cost grows with the story's claims, not with their pairs.
    pub meaning_pairs_per_claim: f64,
    /// Pairs whose wording is less close than this (rarity-weighted share of the lighter sentence's
    /// terms, 0..1) are not worth a model pass.
    pub meaning_min_closeness: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            clause_match: 0.6,
            min_shared_terms: 2,
            min_checkworthiness: 0.3,
            meaning_link: 3.0,
            max_meaning_pairs: 20_000,
            meaning_candidates: 2,
            meaning_pairs_per_claim: 0.5,
            meaning_min_closeness: 0.0,
        }
    }
}

/// Scores sentence pairs for meaning on the STS scale, 0 (unrelated) to 5 (same meaning).
pub type MeaningScorer<'a> = &'a mut dyn FnMut(&[(&str, &str)]) -> Result<Vec<f32>, String>;

const HEDGES: &[&str] = &[
    "could",
    "might",
    "may",
    "would",
    "should",
    "perhaps",
    "interpret",
    "suggest",
    "appears",
    "seems",
    "remains to be seen",
    "opinion",
    "i think",
    "we believe",
    "arguably",
    "interestingly",
    "ironically",
    "imagine",
    "feel like",
];
const EVENT_WORDS: &[&str] = &[
    "obtained",
    "confirmed",
    "launched",
    "tracked",
    "struck",
    "killed",
    "signed",
    "announced",
    "visited",
    "met",
    "soared",
    "supplied",
    "leaked",
    "drafted",
    "reviewed",
    "authenticated",
    "arrested",
    "attacked",
    "agreed",
    "deployed",
    "intercepted",
    "subjected",
    "labels",
    "labeled",
    "labelled",
    "brands",
    "warns",
    "warned",
    "claimed",
    "accused",
    "hacking",
    "recruit",
    "reported",
    "provided",
    "shipped",
    "surfaced",
    "dated",
    "arrived",
    "travelled",
    "traveled",
    "won",
    "lost",
    "rose",
    "fell",
    // A denial is as checkable as the confirmation it answers.
    "denied",
    "denies",
    "disputed",
    "rejected",
];
const ALLEGATION_WORDS: &[&str] = &["allegedly", "reportedly", "alleges", "allegations", "accused", "suspected", "believed to"];

/// Whether `hay[start..end]` stands as whole words (no letter or digit
/// runs on into it on either side).
fn bounded(hay: &str, start: usize, end: usize) -> bool {
    let before = hay[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
    let after = hay[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
    before && after
}

/// A list of words and phrases searched for as whole words, all at once
/// (one pass of an Aho-Corasick automaton over the text instead of one
/// search per entry: these lists are read for every sentence of every story).
struct Phrases {
    list: &'static [&'static str],
    automaton: aho_corasick::AhoCorasick,
}

impl Phrases {
    fn new(list: &'static [&'static str]) -> Phrases {
        Phrases { list, automaton: aho_corasick::AhoCorasick::new(list).expect("the phrase lists are small") }
    }

    /// The first entry of the list (in the list's order) that `hay` holds as whole words.
    fn first_in(&self, hay: &str) -> Option<&'static str> {
        // Overlapping matches: an entry that fails the word test must not hide one that passes.
        self.automaton.find_overlapping_iter(hay).filter(|m| bounded(hay, m.start(), m.end())).map(|m| m.pattern().as_usize()).min().map(|i| self.list[i])
    }

    fn any_in(&self, hay: &str) -> bool {
        self.automaton.find_overlapping_iter(hay).any(|m| bounded(hay, m.start(), m.end()))
    }
}

/// The lists' automata, built on first use.
macro_rules! phrases {
    ($list:expr) => {{
        static P: std::sync::LazyLock<Phrases> = std::sync::LazyLock::new(|| Phrases::new($list));
        &*P
    }};
}

/// How much a sentence is a checkable statement (facts, numbers, dates,
/// events, allegations) rather than framing or opinion: 0..1.
/// `quantities` counts numbers, money and dates; a hedged sentence that states
/// a number is still checkable, so hedging costs it less.
pub fn checkworthiness(text: &str, entities: usize, quantities: usize, attributed: bool) -> f32 {
    let lower = text.to_lowercase();
    let words = text.split_whitespace().count();
    if words < 6 || text.trim_end().ends_with('?') {
        return 0.0;
    }
    let has = |list: &Phrases| list.any_in(&lower);
    let mut s = 0.1f32;
    s += 0.3 * (quantities.min(2) as f32);
    s += match entities {
        0 => 0.0,
        1 => 0.15,
        2 => 0.25,
        _ => 0.3,
    };
    if attributed {
        s += 0.15;
    }
    if has(phrases!(EVENT_WORDS)) {
        s += 0.15;
    }
    if has(phrases!(ALLEGATION_WORDS)) {
        s += 0.1;
    }
    if has(phrases!(HEDGES)) {
        s -= if quantities > 0 { 0.1 } else { 0.3 };
    }
    if has(phrases!(&["you", "your", "we", "our", "us"])) {
        s -= 0.25;
    }
    if words > 50 {
        s -= 0.1;
    }
    s.clamp(0.0, 1.0)
}

/// Words by which a sentence relays what someone else says or believes without naming them.
const RELAY_WORDS: &[&str] = &[
    "reportedly",
    "allegedly",
    "alleged",
    "allegations",
    "is believed",
    "are believed",
    "was believed",
    "were believed",
    "is said",
    "are said",
    "is thought",
    "are thought",
    "suspected",
    "rumoured",
    "rumored",
    "purportedly",
    "sources say",
    "sources said",
    "it is understood",
    "claims",
    "according to sources",
    "unconfirmed",
];

/// True when a sentence relays a claim from an unnamed somebody ("Chinese operatives allegedly infiltrate ...").
pub fn relays_unnamed(text: &str) -> bool {
    let lower = text.to_lowercase();
    phrases!(RELAY_WORDS).any_in(&lower)
}

/// The sources an article attributes its reporting to (publications,
/// organisations, people, documents), most cited first, with the first cue.
pub fn article_sources(e: &Enriched) -> Vec<Attribution> {
    article_sources_named(e, 0, &SourceNames::of(&[e]))
}

/// [`article_sources`] under the story's one name per source (`doc` is the article's index in
/// the docs `names` was built from).
fn article_sources_named(e: &Enriched, doc: usize, names: &SourceNames) -> Vec<Attribution> {
    let mut seen: Vec<(Attribution, usize)> = Vec::new();
    for s in &e.sentences {
        let Some(a) = &s.attribution else { continue };
        if a.kind == SourceKind::Unnamed {
            continue;
        }
        let a = &names.canonical(doc, a);
        let key = source_key(&a.source, a.kind);
        match seen.iter_mut().find(|(x, _)| source_key(&x.source, x.kind) == key) {
            Some((_, n)) => *n += 1,
            None => seen.push((a.clone(), 1)),
        }
    }
    seen.sort_by_key(|b| std::cmp::Reverse(b.1));
    let publication = seen.iter().find(|(a, _)| a.kind == SourceKind::Publication).map(|(a, _)| a.clone());
    seen.into_iter().map(|(a, _)| a).filter(|a| publication.is_none() || !is_reporting_anaphor(a)).collect()
}

/// The publication an article relays, if it relays exactly one: cited as reporting ("according
/// to a report by The New York Times", "As The New York Times notes"), in a sentence that does
/// not deny it ("The New York Times has not independently confirmed" frames nothing).
fn frame_of(claims: &StoryClaims, article_id: &str) -> Option<Attribution> {
    let mut found: Vec<&Attribution> = Vec::new();
    for (c, _, _) in claims.iter().filter(|(c, _, _)| c.article_id == article_id) {
        let Some(a) = c.attribution.as_ref().filter(|a| a.kind == SourceKind::Publication) else { continue };
        let cue = a.cue.to_lowercase();
        let reporting = ["according to", "report", "note", "reveal", "wrote", "writes", "first"].iter().any(|w| cue.contains(w));
        if reporting && negations(&c.text).is_empty() && !found.iter().any(|f| source_key(&f.source, f.kind) == source_key(&a.source, a.kind)) {
            found.push(a);
        }
    }
    match found.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// "the report", "the article": a reference back to a publication's reporting, not a source of its own.
fn is_reporting_anaphor(a: &Attribution) -> bool {
    // "yesterday's New Yorker story" names its publication: only a report named by nothing else refers back.
    let unnamed = a.source.split_whitespace().skip(1).all(|w| !w.starts_with(char::is_uppercase));
    a.kind == SourceKind::Document && unnamed && matches!(source_key(&a.source, a.kind).as_str(), "report" | "article" | "story" | "investigation")
}

/// Documents are named loosely ("The memo", "the eight-page memo"): compare by kind word.
fn source_key(name: &str, kind: SourceKind) -> String {
    let lower = name.to_lowercase();
    match kind {
        SourceKind::Document => lower.split_whitespace().last().unwrap_or("").to_string(),
        _ => lower.trim_start_matches("the ").to_string(),
    }
}

/// The check-worthy claims one article makes.
pub fn claims_of(e: &Enriched, settings: &Settings) -> Vec<Claim> {
    e.sentences
        .iter()
        .filter(|s| !s.is_heading)
        .filter_map(|s| {
            let cw = checkworthiness(&s.sentence.text, s.entities.len(), s.quantities.len(), s.attribution.is_some());
            (cw >= settings.min_checkworthiness).then(|| Claim {
                id: stable_id(&["claim", &e.article.id, &s.sentence.index.to_string(), &s.sentence.text]),
                article_id: e.article.id.clone(),
                sentence: s.sentence.index,
                start: s.sentence.start,
                end: s.sentence.end,
                text: s.sentence.text.clone(),
                entities: s.entities.clone(),
                quantities: s.quantities.clone(),
                attribution: s.attribution.clone(),
                checkworthiness: cw,
            })
        })
        .collect()
}

/// Cuts a sentence into clauses: at commas, dashes, semicolons and colons, and
/// at "and"/"while"/"but" when both sides carry content.
pub fn clauses(sentence: &str) -> Vec<String> {
    let mut parts: Vec<String> = sentence.split([',', ';', ':', '—', '–', '(', ')']).map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect();
    let mut out = Vec::new();
    for p in parts.drain(..) {
        let mut rest = p.as_str();
        loop {
            let cut = [" and ", " while ", " but ", " whereas "].iter().filter_map(|c| rest.find(c).map(|i| (i, c.len()))).min();
            match cut {
                Some((i, n)) if term_count(&rest[..i]) >= 2 && term_count(&rest[i + n..]) >= 2 => {
                    out.push(rest[..i].trim().to_string());
                    rest = &rest[i + n..];
                }
                _ => {
                    out.push(rest.trim().to_string());
                    break;
                }
            }
        }
    }
    out.retain(|c| term_count(c) >= 2);
    out
}

/// A clause that only says who speaks ("A spokesman for the ministry", "” said Karl Brandt"):
/// two outlets naming the same spokesman do not state the same fact.
fn is_frame(clause: &str) -> bool {
    let words: Vec<String> = clause.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()).filter(|w| !w.is_empty()).collect();
    let role = |w: &str| {
        matches!(
            w,
            "spokesman" | "spokeswoman" | "spokesperson" | "lawyer" | "attorney" | "adviser" | "advisor" | "director" | "secretary" | "minister" | "official" | "aide" | "chairman" | "chairwoman"
        )
    };
    let said = |w: &str| matches!(w, "said" | "says" | "told" | "added" | "wrote" | "according");
    let role_phrase = words.len() <= 8 && words.first().is_some_and(|w| matches!(w.as_str(), "a" | "an" | "the" | "his" | "her" | "its" | "their")) && words.iter().any(|w| role(w));
    let raw: Vec<&str> = clause.split_whitespace().skip_while(|w| !said(&w.to_lowercase())).skip(1).collect();
    let speaker = words.len() <= 6 && words.first().is_some_and(|w| said(w)) && !raw.is_empty() && raw.iter().all(|w| w.starts_with(char::is_uppercase));
    // "according to the inspector general", "the ministry said": who, and nothing of what.
    let source_only = (words.len() <= 6 && words.first().is_some_and(|w| w == "according")) || (words.len() <= 5 && words.last().is_some_and(|w| said(w)));
    role_phrase || speaker || source_only
}

/// `terms(text).len()` without stemming the words (stemming keeps one term per word).
fn term_count(text: &str) -> usize {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .map(|w| w.trim_matches(['\'', '’']).to_lowercase())
        .filter(|w| {
            let w = w.strip_suffix("'s").or_else(|| w.strip_suffix("’s")).unwrap_or(w);
            w.chars().count() >= 2 && !is_stopword(w)
        })
        .count()
}

struct ClauseNode {
    claim: usize,
    outlet: String,
    terms: BTreeSet<String>,
    text: String,
    /// Its sentence states what it says as fact: no attribution, no hedge, nothing relayed.
    as_fact: bool,
    /// Who its sentence quotes: the named person a quotation in it is attributed to.
    speaker: Option<String>,
}

/// The named person a sentence's quotation is attributed to ("“…,” said Karl Brandt"), if any.
fn speaker_of(c: &Claim) -> Option<String> {
    let quoted = c.text.contains(['“', '"']);
    c.attribution.as_ref().filter(|a| quoted && a.kind == SourceKind::Person && a.source.starts_with(char::is_uppercase)).map(|a| a.source.clone())
}

/// Whether a claim's sentence states its content as fact rather than as someone's word or a belief.
fn stated_as_fact(c: &Claim) -> bool {
    c.attribution.is_none() && hedge_in(&c.text).is_none() && !relays_unnamed(&c.text)
}

fn find(parent: &mut [usize], x: usize) -> usize {
    let mut r = x;
    while parent[r] != r {
        r = parent[r];
    }
    let mut y = x;
    while parent[y] != r {
        let next = parent[y];
        parent[y] = r;
        y = next;
    }
    r
}

/// Stories with more clauses than this find candidate pairs through an
/// inverted index instead of comparing every pair.
const INDEX_ABOVE: usize = 1500;

/// Terms (sorted ids) shared by two clauses: how many and their idf weight.
fn shared_terms(a: &[u32], b: &[u32], idf: &[f64]) -> (usize, f64) {
    let (mut i, mut j, mut n, mut w) = (0, 0, 0usize, 0f64);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                w += idf[a[i] as usize];
                i += 1;
                j += 1;
            }
        }
    }
    (n, w)
}

/// Pairs (a < b, different outlets) of clauses that state the same thing:
/// enough shared terms, whose rarity-weighted share of the lighter clause
/// reaches `clause_match`. Every pair is compared up to `index_above`
/// clauses; beyond, candidates come from an inverted index over the rarer
/// terms (a pair sharing only very common terms is weak evidence), so the
/// cost stays near-linear. Pairs come in (a, b) order either way.
fn matching_pairs(ids: &[Vec<u32>], outlet: &[u32], idf: &[f64], settings: &Settings, index_above: usize) -> Vec<(usize, usize)> {
    let n = ids.len();
    let weights: Vec<f64> = ids.iter().map(|v| v.iter().map(|&t| idf[t as usize]).sum()).collect();
    let index: Option<Vec<Vec<u32>>> = (n > index_above).then(|| {
        let mut df = vec![0usize; idf.len()];
        for v in ids {
            for &t in v {
                df[t as usize] += 1;
            }
        }
        let common = (n / 20).max(50);
        let mut postings = vec![Vec::new(); idf.len()];
        for (i, v) in ids.iter().enumerate() {
            for &t in v {
                if df[t as usize] <= common {
                    postings[t as usize].push(i as u32);
                }
            }
        }
        postings
    });
    let mut out = Vec::new();
    let mut seen = vec![usize::MAX; n];
    let mut cands: Vec<usize> = Vec::new();
    for a in 0..n {
        cands.clear();
        match &index {
            None => cands.extend(a + 1..n),
            Some(postings) => {
                for &t in &ids[a] {
                    for &b in &postings[t as usize] {
                        let b = b as usize;
                        if b > a && seen[b] != a {
                            seen[b] = a;
                            cands.push(b);
                        }
                    }
                }
                cands.sort_unstable();
            }
        }
        for &b in &cands {
            if outlet[a] == outlet[b] {
                continue;
            }
            let (k, w) = shared_terms(&ids[a], &ids[b], idf);
            if k >= settings.min_shared_terms && w / weights[a].min(weights[b]) >= settings.clause_match {
                out.push((a, b));
            }
        }
    }
    out
}

/// Aligns the claims of one story's articles across outlets, by wording alone.
pub fn align(story: &Story, docs: &[&Enriched], settings: &Settings) -> Vec<AlignedClaim> {
    align_with(story, docs, settings, None).expect("wording alone cannot fail")
}

/// Like [`align`], and claims that state the same thing in other words are aligned too:
/// `meaning` scores cross-outlet sentence pairs (for instance MiniLM features and a
/// learned combiner); a pair at or above `settings.meaning_link` that is mutually the
/// best match between its two outlets is one claim.
///
/// The phases, in order: `collect_claims` (the check-worthy sentences),
/// `lexical_links` (clauses in the same words), `meaning_candidates` and
/// `meaning_links` (whole sentences in other words, when a scorer is given),
/// `facts_of` (linked clauses and sentences become facts) and
/// `assemble_claim` (status, outlets and sources of each).
pub fn align_with(story: &Story, docs: &[&Enriched], settings: &Settings, meaning: Option<MeaningScorer>) -> Result<Vec<AlignedClaim>, String> {
    align_named(story, docs, settings, meaning, &SourceNames::of(docs))
}

/// [`align_with`] under the story's source names already gathered ([`SourceNames::of`] the same
/// docs), which [`primary_sources_named`] shares: gathering them scans every article's text.
pub fn align_named(story: &Story, docs: &[&Enriched], settings: &Settings, meaning: Option<MeaningScorer>, sources: &SourceNames) -> Result<Vec<AlignedClaim>, String> {
    let names = OutletNames::of_articles(docs.iter().map(|d| &d.article));
    let claims = collect_claims(docs, &names, sources, settings);
    let mut links = lexical_links(&claims, settings);
    if let Some(score) = meaning {
        let cands = meaning_candidates(&claims, settings);
        let pairs: Vec<(&str, &str)> = cands.iter().map(|&(a, b)| (claims[a].0.text.as_str(), claims[b].0.text.as_str())).collect();
        // One call per story, so the caller can batch the model's passes and reuse stored scores.
        let scores = if pairs.is_empty() { Vec::new() } else { score(&pairs)? };
        if scores.len() != pairs.len() {
            return Err(format!("the meaning scorer gave {} scores for {} pairs", scores.len(), pairs.len()));
        }
        meaning_links(&claims, &cands, &scores, &mut links, settings);
    }
    let groups = facts_of(&claims, &mut links);
    let sources: HashMap<&str, Vec<Attribution>> = docs.iter().enumerate().map(|(i, d)| (d.article.id.as_str(), article_sources_named(d, i, sources))).collect();
    let frames: HashMap<&str, Attribution> = docs.iter().filter_map(|d| frame_of(&claims, &d.article.id).map(|f| (d.article.id.as_str(), f))).collect();
    let outlet_of: HashMap<&str, &str> = docs.iter().map(|d| (d.article.id.as_str(), names.of_article(&d.article))).collect();
    let mut out: Vec<AlignedClaim> = groups.into_iter().map(|(members, conflict)| assemble_claim(story, &claims, &members, conflict, &sources, &frames, &outlet_of)).collect();
    out.sort_by(|a, b| b.outlets.len().cmp(&a.outlets.len()).then(b.checkworthiness.total_cmp(&a.checkworthiness)).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// A story's claims, each with the article it comes from and the name of its
/// outlet (one name per outlet identity: see [`OutletNames`]).
type StoryClaims<'a> = [(Claim, &'a Enriched, &'a str)];

/// Phase 1: every article's check-worthy sentences, in article order.
/// Each claim's attribution carries the story's one name for its source.
fn collect_claims<'a>(docs: &[&'a Enriched], names: &'a OutletNames, sources: &SourceNames, settings: &Settings) -> Vec<(Claim, &'a Enriched, &'a str)> {
    docs.iter()
        .enumerate()
        .flat_map(|(i, d)| {
            claims_of(d, settings).into_iter().map(move |mut c| {
                c.attribution = c.attribution.map(|a| sources.canonical(i, &a));
                (c, *d, names.of_article(&d.article))
            })
        })
        .collect()
}

/// The link graph of a story: clause nodes (and, once meaning is looked at,
/// one node per whole claim) joined by union-find, with the number
/// conflicts found on the links.
struct Links {
    nodes: Vec<ClauseNode>,
    parent: Vec<usize>,
    conflicts: Vec<(usize, String)>,
}

impl Links {
    /// Joins two nodes; linked statements that cannot both hold (different numbers or
    /// dates, opposite polarity, a hedge stated elsewhere as fact, another actor named for
    /// the same deed) make their fact contested.
    fn join(&mut self, a: usize, b: usize, claims: &StoryClaims) {
        let (ra, rb) = (find(&mut self.parent, a), find(&mut self.parent, b));
        self.parent[ra] = rb;
        let (na, nb) = (&self.nodes[a], &self.nodes[b]);
        if let Some(c) = conflict(na, nb).or_else(|| actor_conflict(na, nb, claims)) {
            self.conflicts.push((a, c));
        }
    }
}

/// Phase 2: clauses (one fact each, roughly) from different outlets that
/// share enough rare terms are linked. Rarer terms across the story's clauses
/// count for more; terms are interned once, so the pair test is a merge of
/// sorted integer lists.
fn lexical_links(claims: &StoryClaims, settings: &Settings) -> Links {
    let mut nodes: Vec<ClauseNode> = Vec::new();
    for (ci, (c, _, outlet)) in claims.iter().enumerate() {
        for cl in clauses(&c.text).into_iter().filter(|cl| !is_frame(cl)) {
            nodes.push(ClauseNode { claim: ci, outlet: outlet.to_string(), terms: terms(&cl).into_iter().collect(), text: cl, as_fact: stated_as_fact(c), speaker: speaker_of(c) });
        }
    }
    let (ids, idf) = interned(nodes.iter().map(|n| &n.terms));
    let mut outlet_ids: HashMap<&str, u32> = HashMap::new();
    let outlet: Vec<u32> = nodes
        .iter()
        .map(|n| {
            let next = outlet_ids.len() as u32;
            *outlet_ids.entry(n.outlet.as_str()).or_insert(next)
        })
        .collect();
    let pairs = matching_pairs(&ids, &outlet, &idf, settings, INDEX_ABOVE);
    let parent = (0..nodes.len()).collect();
    let mut links = Links { nodes, parent, conflicts: Vec::new() };
    for (a, b) in pairs {
        links.join(a, b, claims);
    }
    links
}

/// Term sets as sorted ids into one vocabulary, in the order given, and each
/// id's rarity over those sets: ln(1 + sets / sets holding it).
fn interned<'t>(sets: impl Iterator<Item = &'t BTreeSet<String>>) -> (Vec<Vec<u32>>, Vec<f64>) {
    let mut vocab: HashMap<&str, u32> = HashMap::new();
    let ids: Vec<Vec<u32>> = sets
        .map(|set| {
            let mut v: Vec<u32> = set
                .iter()
                .map(|t| {
                    let next = vocab.len() as u32;
                    *vocab.entry(t.as_str()).or_insert(next)
                })
                .collect();
            v.sort_unstable();
            v
        })
        .collect();
    let mut df = vec![0usize; vocab.len()];
    for v in &ids {
        for &t in v {
            df[t as usize] += 1;
        }
    }
    let total = ids.len().max(1) as f64;
    let idf = df.iter().map(|&d| (1.0 + total / d.max(1) as f64).ln()).collect();
    (ids, idf)
}

/// Phase 3: the cross-outlet sentence pairs worth the meaning scorer's
/// model passes, (a, b) with a < b, the closest in wording first. A pair is
/// eligible on cheap signals: at least two shared content terms, or a shared
/// entity. (Pairs that wording already linked are scored too: a sentence
/// may state several facts, and wording may have found only one.) A link needs each sentence to be the other's best match in its
/// outlet, and a restatement still shares some rarer words, so a pair is a
/// candidate only when it is among the `meaning_candidates` closest in
/// wording (rarity-weighted shared terms) of one of its sentences in the
/// other's outlet and at least `meaning_min_closeness` close. The story's
/// budget, `meaning_pairs_per_claim` times its claims (at most
/// `max_meaning_pairs`), takes the closest candidates: the model's cost
/// grows linearly with a story, however many outlets tell it.
fn meaning_candidates(claims: &StoryClaims, settings: &Settings) -> Vec<(usize, usize)> {
    let claim_terms: Vec<BTreeSet<String>> = claims.iter().map(|(c, _, _)| terms(&c.text).into_iter().collect()).collect();
    let (ids, idf) = interned(claim_terms.iter());
    let weights: Vec<f64> = ids.iter().map(|v| v.iter().map(|&t| idf[t as usize]).sum()).collect();
    let mut outlet_ids: HashMap<&str, usize> = HashMap::new();
    let outlet: Vec<usize> = claims
        .iter()
        .map(|(_, _, outlet)| {
            let next = outlet_ids.len();
            *outlet_ids.entry(outlet).or_insert(next)
        })
        .collect();
    // Eligible pairs and their closeness.
    let mut eligible: Vec<(f64, usize, usize)> = Vec::new();
    let entities: Vec<&[String]> = claims.iter().map(|(c, _, _)| c.entities.as_slice()).collect();
    for (a, b) in sharing_pairs(&entities, &ids, INDEX_ABOVE) {
        if outlet[a] == outlet[b] {
            continue;
        }
        let (shared, w) = shared_terms(&ids[a], &ids[b], &idf);
        let entities = claims[a].0.entities.iter().any(|e| claims[b].0.entities.contains(e));
        let closeness = w / weights[a].min(weights[b]).max(f64::MIN_POSITIVE);
        if (shared >= 2 || entities) && closeness >= settings.meaning_min_closeness {
            eligible.push((closeness, a, b));
        }
    }
    // The closest first; ties in claim order, so the choice is deterministic.
    eligible.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut taken: HashMap<(usize, usize), usize> = HashMap::new();
    let mut keep: Vec<bool> = vec![false; eligible.len()];
    for (i, &(_, a, b)) in eligible.iter().enumerate() {
        for slot in [(a, outlet[b]), (b, outlet[a])] {
            let n = taken.entry(slot).or_insert(0);
            if *n < settings.meaning_candidates {
                *n += 1;
                keep[i] = true;
            }
        }
    }
    let budget = ((settings.meaning_pairs_per_claim * claims.len() as f64).ceil() as usize).min(settings.max_meaning_pairs);
    eligible.into_iter().zip(keep).filter(|(_, k)| *k).map(|((_, a, b), _)| (a, b)).take(budget).collect()
}

/// Pairs (a < b) of claims that may share two terms or an entity: every pair
/// up to `index_above` claims; beyond, those sharing one of the rarer terms
/// or entities (the story's common ones are too weak a signal to pair on),
/// found through an inverted index so the cost stays near-linear.
fn sharing_pairs(entities: &[&[String]], ids: &[Vec<u32>], index_above: usize) -> Vec<(usize, usize)> {
    let n = ids.len();
    if n <= index_above {
        return (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).collect();
    }
    // Entities join the terms as keys of their own, past the term ids.
    let vocab = ids.iter().flatten().map(|&t| t as usize + 1).max().unwrap_or(0);
    let mut entity_ids: HashMap<&str, usize> = HashMap::new();
    let keys: Vec<Vec<usize>> = entities
        .iter()
        .zip(ids)
        .map(|(es, v)| {
            let mut k: Vec<usize> = v.iter().map(|&t| t as usize).collect();
            for e in es.iter() {
                let next = vocab + entity_ids.len();
                k.push(*entity_ids.entry(e.as_str()).or_insert(next));
            }
            k.sort_unstable();
            k.dedup();
            k
        })
        .collect();
    let mut postings: Vec<Vec<usize>> = vec![Vec::new(); vocab + entity_ids.len()];
    for (i, k) in keys.iter().enumerate() {
        for &t in k {
            postings[t].push(i);
        }
    }
    let common = (n / 20).max(50);
    let mut out = Vec::new();
    let mut seen = vec![usize::MAX; n];
    for (a, k) in keys.iter().enumerate() {
        let start = out.len();
        for &t in k {
            if postings[t].len() > common {
                continue;
            }
            for &b in &postings[t] {
                if b > a && seen[b] != a {
                    seen[b] = a;
                    out.push((a, b));
                }
            }
        }
        out[start..].sort_unstable();
    }
    out
}

/// Phase 4: scored pairs become links between whole sentences (one extra node
/// per claim) when they reach `meaning_link` and each sentence is the other's
/// best match in the other's outlet: a sentence states one thing, so only its
/// best paraphrase per outlet is the same claim.
fn meaning_links(claims: &StoryClaims, cands: &[(usize, usize)], scores: &[f32], links: &mut Links, settings: &Settings) {
    let outlet_of_claim: Vec<&str> = claims.iter().map(|(_, _, outlet)| *outlet).collect();
    // Each claim's best score against each other outlet.
    let mut best: HashMap<(usize, &str), f32> = HashMap::new();
    for (&(a, b), &s) in cands.iter().zip(scores) {
        for (x, y) in [(a, b), (b, a)] {
            let e = best.entry((x, outlet_of_claim[y])).or_insert(f32::MIN);
            *e = e.max(s);
        }
    }
    let base = links.nodes.len();
    for (ci, (c, _, outlet)) in claims.iter().enumerate() {
        links.nodes.push(ClauseNode { claim: ci, outlet: outlet.to_string(), terms: BTreeSet::new(), text: c.text.clone(), as_fact: stated_as_fact(c), speaker: speaker_of(c) });
        links.parent.push(base + ci);
    }
    for (&(a, b), &s) in cands.iter().zip(scores) {
        let mutual = best[&(a, outlet_of_claim[b])] <= s && best[&(b, outlet_of_claim[a])] <= s;
        if s >= settings.meaning_link && mutual {
            links.join(base + a, base + b, claims);
        }
    }
}

/// Phase 5: a fact is a component of linked nodes; a fact stated by two or
/// more outlets is one aligned claim (facts with the same sentences are one
/// claim, contested when any of their links disagree on a number), and every
/// sentence in no such fact is a claim of its own.
fn facts_of(claims: &StoryClaims, links: &mut Links) -> Vec<(BTreeSet<usize>, Option<String>)> {
    let mut facts: HashMap<usize, BTreeSet<usize>> = HashMap::new();
    for i in 0..links.nodes.len() {
        let r = find(&mut links.parent, i);
        facts.entry(r).or_default().insert(links.nodes[i].claim);
    }
    let mut groups: Vec<(BTreeSet<usize>, Option<String>)> = Vec::new();
    let mut in_shared: BTreeSet<usize> = BTreeSet::new();
    let roots: Vec<usize> = links.conflicts.iter().map(|(n, _)| *n).collect::<Vec<_>>().into_iter().map(|n| find(&mut links.parent, n)).collect();
    let mut fact_list: Vec<(usize, BTreeSet<usize>)> = facts.into_iter().collect();
    fact_list.sort();
    for (root, members) in fact_list {
        let outlets: BTreeSet<&str> = members.iter().map(|&c| claims[c].2).collect();
        if outlets.len() < 2 {
            continue;
        }
        // Every pair of outlets that disagree, each explained once.
        let mut found: Vec<&str> = Vec::new();
        for ((_, c), _) in links.conflicts.iter().zip(&roots).filter(|(_, r)| **r == root) {
            if !found.contains(&c.as_str()) {
                found.push(c);
            }
        }
        let conflict = (!found.is_empty()).then(|| found.join(" | "));
        in_shared.extend(members.iter().copied());
        match groups.iter_mut().find(|(m, _)| *m == members) {
            Some(g) => match (&mut g.1, conflict) {
                (Some(have), Some(more)) => {
                    for part in more.split(" | ") {
                        if !have.split(" | ").any(|h| h == part) {
                            have.push_str(" | ");
                            have.push_str(part);
                        }
                    }
                }
                (have @ None, more) => *have = more,
                (Some(_), None) => {}
            },
            None => groups.push((members, conflict)),
        }
    }
    for ci in 0..claims.len() {
        if !in_shared.contains(&ci) {
            groups.push((BTreeSet::from([ci]), None));
        }
    }
    groups
}

/// Phase 6: one fact's aligned claim: its sentences in publication order
/// (the first is the claim's text), the outlets stating it, the sources they
/// attribute it to, and its status.
fn assemble_claim(
    story: &Story,
    claims: &StoryClaims,
    members: &BTreeSet<usize>,
    conflict: Option<String>,
    sources: &HashMap<&str, Vec<Attribution>>,
    frames: &HashMap<&str, Attribution>,
    outlet_of: &HashMap<&str, &str>,
) -> AlignedClaim {
    let mut ms: Vec<&(Claim, &Enriched, &str)> = members.iter().map(|&c| &claims[c]).collect();
    ms.sort_by(|a, b| a.1.article.time().cmp(&b.1.article.time()).then(a.1.article.id.cmp(&b.1.article.id)).then(a.0.sentence.cmp(&b.0.sentence)));
    let mut outlets: Vec<String> = Vec::new();
    for (_, _, outlet) in &ms {
        if !outlets.iter().any(|o| o == outlet) {
            outlets.push(outlet.to_string());
        }
    }
    let mut srcs: Vec<Attribution> = Vec::new();
    for (c, d, _) in &ms {
        // A claim rests on what its own sentence names, nothing else the article cites; but
        // "according to the report" in an article that names one publication means that publication.
        let publications: Vec<&Attribution> = sources[d.article.id.as_str()].iter().filter(|a| a.kind == SourceKind::Publication).collect();
        let own = c.attribution.iter().filter(|a| a.kind != SourceKind::Unnamed).map(|a| match publications.as_slice() {
            [p] if is_reporting_anaphor(a) => (*p).clone(),
            _ => a.clone(),
        });
        // A sentence that names nobody, in an article that relays one publication's report, rests on that report.
        let framed = c.attribution.as_ref().is_none_or(|a| a.kind == SourceKind::Unnamed).then(|| frames.get(d.article.id.as_str()).cloned()).flatten();
        for a in own.chain(framed) {
            if !srcs.iter().any(|x| source_key(&x.source, x.kind) == source_key(&a.source, a.kind)) {
                srcs.push(a);
            }
        }
    }
    // Corroboration counts independent reports: a copy speaks with its original's voice.
    let independent: BTreeSet<&str> = ms
        .iter()
        .map(|(_, d, own)| {
            let own = *own;
            story.original_of(&d.article.id).and_then(|o| outlet_of.get(o).copied()).unwrap_or(own)
        })
        .collect();
    let status = if conflict.is_some() {
        ClaimStatus::Contested
    } else if independent.len() >= 2 {
        ClaimStatus::Corroborated
    } else if srcs.is_empty() && ms.iter().all(|(c, _, _)| relays_unnamed(&c.text)) {
        // "Reportedly", "allegedly", "is believed": the outlet passes on what someone said, and names nobody.
        ClaimStatus::Unattributed
    } else {
        ClaimStatus::SingleSource
    };
    let member_claims: Vec<Claim> = ms.iter().map(|(c, _, _)| c.clone()).collect();
    let ids: Vec<&str> = member_claims.iter().map(|c| c.id.as_str()).collect();
    let mut key = vec!["aligned", story.id.as_str()];
    key.extend(ids);
    AlignedClaim {
        id: stable_id(&key),
        story_id: story.id.clone(),
        text: ms[0].0.text.clone(),
        status,
        first_outlet: outlets[0].clone(),
        outlets,
        sources: srcs,
        checkworthiness: member_claims.iter().map(|c| c.checkworthiness).fold(0.0, f32::max),
        members: member_claims,
        conflict,
    }
}

/// What makes two linked statements (of two outlets) unable to both hold, explained
/// per outlet: numbers or dates, polarity, or a hedge one outlet states as fact.
fn conflict(a: &ClauseNode, b: &ClauseNode) -> Option<String> {
    quantity_conflict(a, b).or_else(|| comparable(a, b).then(|| polarity_conflict(a, b).or_else(|| hedge_conflict(a, b)).or_else(|| speaker_conflict(a, b))).flatten())
}

/// The same words quoted as two different people's: one outlet has the wrong speaker (names
/// are compared as the story resolves them, so "Mr. Brandt" and "Karl Brandt" are one person).
fn speaker_conflict(a: &ClauseNode, b: &ClauseNode) -> Option<String> {
    let (sa, sb) = (a.speaker.as_ref()?, b.speaker.as_ref()?);
    (sa != sb && a.text.contains(['“', '"']) && b.text.contains(['“', '"'])).then(|| format!("{}: quoted as {sa}'s ({:?}); {}: quoted as {sb}'s ({:?})", a.outlet, a.text, b.outlet, b.text))
}

/// A person, an organisation or a country a clause names: the name its article gives it,
/// whether it is a person (unknown for a source named only by its attribution), and the
/// words the clause writes it with.
struct Actor {
    name: String,
    person: Option<bool>,
    written: String,
}

/// Verbs that only report speech: two outlets may each quote another person saying the
/// same thing, which is no contradiction ("claimed responsibility" is a deed, not these).
const REPORTING: &[&str] = &["said", "says", "say", "told", "tells", "according to", "stated", "added", "wrote", "writes", "noted", "explained", "reported", "announced", "confirmed"];

/// The actors a clause names (looked up only for linked clauses: most never are).
fn actors_in(node: &ClauseNode, claims: &StoryClaims) -> Vec<Actor> {
    let (claim, doc, _) = &claims[node.claim];
    let mut out: Vec<Actor> = claim
        .entities
        .iter()
        .filter_map(|name| {
            let e = doc.entities.iter().find(|e| e.name == *name)?;
            let person = match e.kind {
                EntityKind::Person => true,
                EntityKind::Organisation | EntityKind::Country => false,
                _ => return None,
            };
            let m = e.mentions.iter().find(|m| node.text.contains(m.text.as_str()))?;
            Some(Actor { name: e.name.clone(), person: Some(person), written: m.text.clone() })
        })
        .collect();
    // Who the sentence says did it, when the verb is a deed ("Hamas claimed responsibility").
    if let Some(a) = claim.attribution.as_ref().filter(|a| !REPORTING.contains(&a.cue.to_lowercase().as_str()) && a.source.starts_with(char::is_uppercase)) {
        if node.text.contains(a.source.as_str()) && !out.iter().any(|x| x.written.contains(a.source.as_str()) || a.source.contains(x.written.as_str())) {
            out.push(Actor { name: a.source.clone(), person: None, written: a.source.clone() });
        }
    }
    out
}

/// Whether two outlets' names can be one actor: the same name, one person's surname
/// ("Peter Carr", "Carr"), or most of the shorter name's terms ("Justice Department",
/// "Department of Justice").
fn same_actor(x: &Actor, y: &Actor) -> bool {
    if x.name == y.name {
        return true;
    }
    if x.person == Some(true) && y.person == Some(true) {
        let last = |n: &str| n.split_whitespace().last().map(str::to_lowercase);
        return last(&x.name) == last(&y.name);
    }
    let (tx, ty): (BTreeSet<String>, BTreeSet<String>) = (terms(&x.name).into_iter().collect(), terms(&y.name).into_iter().collect());
    2 * tx.intersection(&ty).count() > tx.len().min(ty.len())
}

/// Whether two names stand in the same place of their statements: the word before them
/// or the word after them is the same ("by Peter Strzok in" / "by Lisa Page in"), so one
/// is not the doer and the other the owner of something ("ISIL's claim").
fn same_slot(a: &ClauseNode, x: &Actor, b: &ClauseNode, y: &Actor) -> bool {
    let around = |n: &ClauseNode, w: &str| -> Option<(Option<String>, Option<String>)> {
        let at = n.text.find(w)?;
        let before = n.text[..at].split_whitespace().last().map(str::to_lowercase);
        let after = n.text[at + w.len()..].split_whitespace().next().map(|t| t.to_lowercase());
        Some((before, after))
    };
    let (Some((ba, aa)), Some((bb, ab))) = (around(a, &x.written), around(b, &y.written)) else { return false };
    (ba.is_some() && ba == bb) || (aa.is_some() && aa == ab)
}

/// The same deed given to different actors: two linked statements alike but for who
/// ("Hamas claimed the attack" / "Islamic Jihad claimed the attack"; another name for the
/// same spokesman). Each names someone the other does not, of the same sort (a person
/// against a person, a body against a body), and what is left once the names are taken
/// out is nearly all shared, so the names are the difference.
fn actor_conflict(a: &ClauseNode, b: &ClauseNode, claims: &StoryClaims) -> Option<String> {
    let (xa, xb) = (actors_in(a, claims), actors_in(b, claims));
    let only = |xs: &[Actor], ys: &[Actor], other: &ClauseNode| -> Vec<usize> {
        (0..xs.len()).filter(|&i| !ys.iter().any(|y| same_actor(&xs[i], y)) && !other.text.contains(xs[i].written.as_str())).collect()
    };
    let (only_a, only_b) = (only(&xa, &xb, b), only(&xb, &xa, a));
    let kin = |x: &Actor, y: &Actor| x.person.is_none() || y.person.is_none() || x.person == y.person;
    let (x, y) = only_a.iter().flat_map(|&i| only_b.iter().map(move |&j| (i, j))).map(|(i, j)| (&xa[i], &xb[j])).find(|(x, y)| kin(x, y) && same_slot(a, x, b, y))?;
    let rest = |n: &ClauseNode, xs: &[Actor]| -> BTreeSet<String> {
        let text = xs.iter().fold(n.text.clone(), |t, x| t.replace(x.written.as_str(), " "));
        terms(&text).into_iter().collect()
    };
    let (ra, rb) = (rest(a, &xa), rest(b, &xb));
    let shared = ra.intersection(&rb).count();
    (ra.len().min(rb.len()) >= 3 && 5 * shared >= 4 * ra.len().max(rb.len())).then(|| format!("{}: {} ({:?}); {}: {} ({:?})", a.outlet, x.name, a.text, b.outlet, y.name, b.text))
}

/// Two statements say the same thing but for a negation or a hedge only when most of each
/// one's terms are the other's: a name or a place in common ("North Korea" against a
/// sentence about it) links a fact, but is not one statement set against another.
fn comparable(a: &ClauseNode, b: &ClauseNode) -> bool {
    let (ta, tb) = (terms_of(a), terms_of(b));
    let shared = ta.intersection(&tb).count();
    ta.len().min(tb.len()) >= 4 && 5 * shared >= 3 * ta.len().max(tb.len())
}

fn terms_of(n: &ClauseNode) -> BTreeSet<String> {
    if n.terms.is_empty() {
        terms(&n.text).into_iter().collect()
    } else {
        n.terms.clone()
    }
}

/// Whether what a negation at word `at` of `text` negates is what the other statement says:
/// the first content terms after it are among the other's ("does not have the symptom
/// profile" denies nothing of "the patient came to the emergency department").
fn negates_shared(text: &str, at: usize, other: &BTreeSet<String>) -> bool {
    let ws = words_of(text);
    // "denied a report that it had negotiated in secret": what is denied is the report's content.
    let reported = |t: &String| matches!(t.as_str(), "report" | "claim" | "allegation" | "suggestion" | "account" | "stori" | "rumour" | "rumor");
    let after: Vec<String> = ws.iter().skip(at + 1).take(7).flat_map(|w| terms(w)).filter(|t| !reported(t)).take(2).collect();
    after.is_empty() || after.iter().any(|t| other.contains(t))
}

/// Words that turn a statement into its denial. "n't" forms are found by their ending.
const NEGATORS: &[&str] = &[
    "not",
    "no",
    "never",
    "none",
    "nobody",
    "nothing",
    "neither",
    "nor",
    "cannot",
    "without",
    "undated",
    "unsigned",
    "unfounded",
    "untrue",
    "false",
    "inaccurate",
    "baseless",
    "declined",
    "refused",
    "failed",
];
/// Verbs by which an outlet reports a denial: "the ministry denied that ...".
const DENIALS: &[&str] = &["deny", "denies", "denied", "denying", "denial", "refute", "refutes", "refuted", "rejected", "rejects", "disputed", "disputes", "dismissed"];
/// Negated, these say nothing of the fact itself ("did not say when", "declined to comment").
const SILENCE: &[&str] = &[
    "say",
    "said",
    "comment",
    "commented",
    "respond",
    "responded",
    "reply",
    "replied",
    "elaborate",
    "specify",
    "disclose",
    "identify",
    "name",
    "immediately",
    "return",
    "returned",
    "know",
    "known",
    "clear",
    "provide",
    "give",
];
/// Negations that do not negate: "not only", "whether or not", "no doubt".
const NOT_NEGATING: &[&str] =
    &["not only", "or not", "no doubt", "not just", "no matter", "nothing but", "not least", "no later than", "not far", "not the first", "not for the first", "not the only"];

fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')).filter(|w| !w.is_empty()).map(|w| w.to_lowercase().replace('’', "'")).collect()
}

/// The negations in a statement that bear on what it states, each with the word after it
/// ("did not" is shown as "did not"; "denied" as itself).
fn negations(text: &str) -> Vec<(String, usize)> {
    let lower = text.to_lowercase().replace('’', "'");
    let ws = words_of(&lower);
    let mut out = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        let contracted = w.ends_with("n't");
        if !(contracted || NEGATORS.contains(&w.as_str()) || DENIALS.contains(&w.as_str())) {
            continue;
        }
        let next = ws.get(i + 1).map(String::as_str).unwrap_or("");
        let pair = format!("{w} {next}");
        let prev = if i > 0 { format!("{} {w}", ws[i - 1]) } else { String::new() };
        let next3 = ws.iter().skip(i + 1).take(3).map(String::as_str).collect::<Vec<_>>().join(" ");
        if NOT_NEGATING.iter().any(|p| pair.starts_with(p) || prev == *p || format!("{w} {next3}").starts_with(p)) || ws.iter().skip(i + 1).take(2).any(|x| x == "first") {
            continue;
        }
        // "did not immediately respond", "would not say": silence, not denial.
        if !DENIALS.contains(&w.as_str()) && ws.iter().skip(i + 1).take(3).any(|x| SILENCE.contains(&x.as_str())) {
            continue;
        }
        // "No. 10", "no 2 official": a number, not a negation.
        if w == "no" && next.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        // "not a partner but an adversary": a contrast, not a denial.
        if ws.iter().skip(i + 1).take(6).any(|x| x == "but") {
            continue;
        }
        let cue = match (w.as_str(), i.checked_sub(1).map(|p| ws[p].as_str())) {
            ("not", Some(aux)) if AUXILIARIES.contains(&aux) => format!("{aux} not {next}"),
            ("not", _) => format!("not {next}"),
            (nt, _) if nt.ends_with("n't") => format!("{nt} {next}"),
            _ => w.clone(),
        };
        out.push((cue.trim().to_string(), i));
    }
    out
}

const AUXILIARIES: &[&str] = &["did", "does", "do", "was", "were", "is", "are", "will", "would", "has", "have", "had", "could", "can", "should", "be", "been"];
/// Words by which a statement affirms what its denial would deny, for the explanation.
const AFFIRMS: &[&str] = &["confirmed", "confirms", "confirm", "acknowledged", "admitted", "accurate", "true", "dated", "signed"];

/// How a statement affirms what the other denies: the denied word where it says it
/// ("will close" against "will not close"), else its affirming verb, else "states it".
fn affirmation(text: &str, denial: &str) -> String {
    let ws = words_of(text);
    if let Some(last) = denial.split(' ').next_back().filter(|l| !l.is_empty() && !NEGATORS.contains(l) && !DENIALS.contains(l)) {
        if let Some(j) = ws.iter().position(|w| w == last) {
            return match j.checked_sub(1).map(|p| ws[p].as_str()) {
                Some(aux) if AUXILIARIES.contains(&aux) => format!("{aux} {last}"),
                _ => last.to_string(),
            };
        }
    }
    ws.into_iter().find(|w| AFFIRMS.contains(&w.as_str())).unwrap_or_else(|| "states it".into())
}

/// Opposite polarity: one statement says what the other denies ("confirmed" / "denied",
/// "did" / "did not", "will" / "will not", "accurate" / "not accurate", "dated" / "undated").
fn polarity_conflict(a: &ClauseNode, b: &ClauseNode) -> Option<String> {
    let (na, nb) = (negations(&a.text), negations(&b.text));
    if na.len() % 2 == nb.len() % 2 {
        return None;
    }
    let (denying, denial, other) = if na.len() % 2 == 1 { (a, &na[0], b) } else { (b, &nb[0], a) };
    if !negates_shared(&denying.text, denial.1, &terms_of(other)) {
        return None;
    }
    let denial = &denial.0;
    let cue = |n: &[(String, usize)], text: &str| if n.len() % 2 == 1 { n[0].0.clone() } else { affirmation(text, denial) };
    Some(format!("{}: {} ({:?}); {}: {} ({:?})", a.outlet, cue(&na, &a.text), a.text, b.outlet, cue(&nb, &b.text), b.text))
}

/// Words by which a statement is given as a belief, an allegation or a likelihood, not as fact.
const HEDGE_MARKERS: &[&str] = &[
    "believed to",
    "is believed",
    "are believed",
    "was believed",
    "were believed",
    "thought to",
    "allegedly",
    "alleged",
    "reportedly",
    "purportedly",
    "supposedly",
    "apparently",
    "possibly",
    "probably",
    "presumably",
    "may have",
    "might have",
    "could have",
    "suspected",
    "unconfirmed",
    "unverified",
    "rumoured",
    "rumored",
    "appears to",
    "appeared to",
    "seems to",
    "seemed to",
    "said to be",
    "said to have",
    "is likely",
    "was likely",
];

/// The first hedge in a text ("believed to"), if any.
fn hedge_in(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    phrases!(HEDGE_MARKERS).first_in(&lower)
}

/// A hedge hardened into fact: one outlet gives it as believed or alleged, the other
/// states it outright (and attributes it to nobody).
fn hedge_conflict(a: &ClauseNode, b: &ClauseNode) -> Option<String> {
    let (ha, hb) = (hedge_in(&a.text), hedge_in(&b.text));
    let (hedged, fact, cue) = match (ha, hb) {
        (Some(h), None) if b.as_fact => (a, b, h),
        (None, Some(h)) if a.as_fact => (b, a, h),
        _ => return None,
    };
    // What is hedged must be what the other states ("believed to have been drafted in late
    // 2023" against "dated late 2023"), not something beside it.
    let lower = hedged.text.to_lowercase();
    let after = lower.find(cue).map_or("", |i| &lower[i + cue.len()..]);
    let next: Vec<String> = after.split_whitespace().take(6).flat_map(terms).take(2).collect();
    let other = terms_of(fact);
    if !next.is_empty() && !next.iter().any(|t| other.contains(t)) {
        return None;
    }
    Some(format!("{}: hedged, {cue:?} ({:?}); {}: as fact ({:?})", hedged.outlet, hedged.text, fact.outlet, fact.text))
}

/// Two matched clauses that give different numbers for the same unit disagree.
fn quantity_conflict(a: &ClauseNode, b: &ClauseNode) -> Option<String> {
    let qa = quantities_in(&a.text);
    let qb = quantities_in(&b.text);
    // One date each, for the same fact, that cannot both be right.
    let da: Vec<_> = qa.iter().filter_map(|q| q.span.map(|s| (q, s))).collect();
    let db: Vec<_> = qb.iter().filter_map(|q| q.span.map(|s| (q, s))).collect();
    if let ([(x, sx)], [(y, sy)]) = (da.as_slice(), db.as_slice()) {
        if !sx.overlaps(sy) {
            return Some(format!("{} says {:?}; {} says {:?}", a.outlet, x.text, b.outlet, y.text));
        }
    }
    for x in &qa {
        for y in &qb {
            if x.unit == y.unit && x.span.is_none() && (x.value - y.value).abs() > 0.01 * x.value.abs().max(y.value.abs()) {
                let shared = qa.iter().chain(&qb).filter(|q| q.unit == x.unit).count();
                if shared >= 2 && !qb.iter().any(|z| z.unit == x.unit && (z.value - x.value).abs() < 1e-9) {
                    return Some(format!("{} says {:?}; {} says {:?}", a.outlet, x.text, b.outlet, y.text));
                }
            }
        }
    }
    None
}

/// The story's primary sources: who its outlets attribute the reporting to,
/// and which outlets do. An outlet citing itself (under any of its names) is not a primary source.
pub fn primary_sources(docs: &[&Enriched]) -> Vec<dossier_model::PrimarySource> {
    primary_sources_named(docs, &SourceNames::of(docs))
}

/// [`primary_sources`] under the story's source names already gathered ([`SourceNames::of`] the same docs).
pub fn primary_sources_named(docs: &[&Enriched], sources: &SourceNames) -> Vec<dossier_model::PrimarySource> {
    let mut out: Vec<dossier_model::PrimarySource> = Vec::new();
    let names = OutletNames::of_articles(docs.iter().map(|d| &d.article));
    for (i, d) in docs.iter().enumerate() {
        let outlet = &names.of_article(&d.article).to_string();
        for a in article_sources_named(d, i, sources) {
            // Under any of its names ("NYT" citing "The New York Times").
            if names.all_names(outlet).any(|n| source_key(&a.source, a.kind) == source_key(n, SourceKind::Publication)) {
                continue;
            }
            let key = source_key(&a.source, a.kind);
            match out.iter_mut().find(|p| source_key(&p.name, p.kind) == key) {
                Some(p) => {
                    if !p.cited_by.contains(outlet) {
                        p.cited_by.push(outlet.clone());
                    }
                }
                None => {
                    // Documents are named by what they are ("the memo"), however each outlet phrased it.
                    let name = if a.kind == SourceKind::Document { format!("the {key}") } else { a.source.clone() };
                    out.push(dossier_model::PrimarySource { name, kind: a.kind, cited_by: vec![outlet.clone()], cue: a.cue.clone(), claims: 0 })
                }
            }
        }
    }
    // Publications and named bodies before documents; more citing outlets first.
    out.sort_by_key(|p| (p.kind == SourceKind::Document, std::cmp::Reverse(p.cited_by.len())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_enrich::enrich;
    use dossier_model::{Article, ArticleKind, Outlet, OutletBasis};

    fn doc(id: &str, outlet: &str, text: &str, hour: u32) -> Enriched {
        enrich(&Article {
            id: id.into(),
            kind: ArticleKind::Main,
            title: id.into(),
            text: text.into(),
            outlet: Outlet { name: outlet.into(), basis: OutletBasis::Given },
            url: None,
            source: id.into(),
            published: Some(format!("2025-06-22T{hour:02}:00:00Z").parse().unwrap()),
            seen_at: "2025-06-23T00:00:00Z".parse().unwrap(),
            language: None,
        })
    }

    fn story() -> Story {
        Story {
            id: "s".into(),
            title: "t".into(),
            article_ids: vec![],
            outlets: vec![],
            first_seen: "2025-06-22T00:00:00Z".parse().unwrap(),
            last_seen: "2025-06-22T00:00:00Z".parse().unwrap(),
            entities: vec![],
            copies: vec![],
            continues: None,
        }
    }

    #[test]
    fn clause_cutting() {
        assert_eq!(
            clauses("The eight-page document, dated late 2023, was obtained through the Ares Leaks platform and authenticated by Western intelligence."),
            ["The eight-page document", "dated late 2023", "was obtained through the Ares Leaks platform", "authenticated by Western intelligence."]
        );
    }

    #[test]
    fn aligns_paraphrases_and_flags_conflicts() {
        let a = doc("a", "Alpha", "The ministry said 40 people were killed in the flood in Northern Province on Monday. A secret report, the authenticity of which has been confirmed by Western intelligence agencies, describes the plan. The Mayor of Riverton announced new flood barriers costing $3 million.", 1);
        let b = doc("b", "Beta", "Officials said 55 people were killed in the flood in Northern Province. The report was leaked online and authenticated by Western intelligence. Rescue teams from the Red Cross reportedly arrived in Riverton after the storm. The storm destroyed 300 homes across Riverton county on Sunday.", 2);
        let out = align(&story(), &[&a, &b], &Settings::default());
        let killed = out.iter().find(|c| c.text.contains("were killed")).unwrap();
        assert_eq!(killed.status, ClaimStatus::Contested, "{out:#?}");
        assert!(killed.conflict.as_ref().unwrap().contains("40 people"));
        let auth = out.iter().find(|c| c.text.contains("authenticity")).unwrap_or_else(|| panic!("{out:#?}"));
        assert_eq!(auth.status, ClaimStatus::Corroborated);
        assert_eq!(auth.outlets, ["Alpha", "Beta"]);
        assert_eq!(auth.first_outlet, "Alpha");
        let barriers = out.iter().find(|c| c.text.contains("barriers")).unwrap();
        assert_eq!(barriers.outlets, ["Alpha"]);
        assert_eq!(barriers.status, ClaimStatus::SingleSource);
        assert_eq!(barriers.sources[0].source, "The Mayor of Riverton");
        let rescue = out.iter().find(|c| c.text.contains("Rescue teams")).unwrap_or_else(|| panic!("{out:#?}"));
        assert_eq!(rescue.status, ClaimStatus::Unattributed, "relayed ('reportedly') from nobody named");
        let homes = out.iter().find(|c| c.text.contains("300 homes")).unwrap_or_else(|| panic!("{out:#?}"));
        assert_eq!(homes.status, ClaimStatus::SingleSource, "a plain statement by one outlet");
        assert!(homes.sources.is_empty());
    }

    /// A claim rests on what its own sentence names, under the story's one name for it; the same
    /// quotation given to two people is contested.
    #[test]
    fn claim_sources_are_their_own_and_a_quote_has_one_speaker() {
        let a = doc("a", "Alpha", "The New York Times has not independently confirmed the account of the meeting in Riverton. “This government will not be blackmailed by a union that holds the whole country hostage,” said Transport Minister Elena Varga. The strike halted 400 trains across the northern region on Friday.", 1);
        let b = doc("b", "Beta", "“This government will not be blackmailed by a union that holds the whole country hostage,” said Karl Brandt, a spokesman for the ministry. Mr. Brandt said the minister had never met the union leaders in private.", 2);
        let out = align(&story(), &[&a, &b], &Settings::default());
        let trains = out.iter().find(|c| c.text.contains("400 trains")).unwrap_or_else(|| panic!("{out:#?}"));
        assert!(trains.sources.is_empty(), "the Times is named in another sentence: {trains:#?}");
        let quote = out.iter().find(|c| c.members.iter().any(|m| m.text.contains("blackmailed"))).unwrap_or_else(|| panic!("{out:#?}"));
        assert_eq!(quote.status, ClaimStatus::Contested, "{quote:#?}");
        assert!(quote.conflict.as_ref().unwrap().contains("Alpha: quoted as Elena Varga's"), "{quote:#?}");
        let met = out.iter().find(|c| c.text.contains("never met")).unwrap();
        assert_eq!(met.sources[0].source, "Karl Brandt");
        let primary = primary_sources(&[&a, &b]);
        let names: Vec<&str> = primary.iter().map(|p| p.name.as_str()).collect();
        assert!(names.contains(&"Karl Brandt") && !names.contains(&"Brandt") && !names.contains(&"Mr. Brandt"), "{names:?}");
        assert!(names.contains(&"The New York Times") && !names.iter().any(|n| n.contains("independently")), "{names:?}");
    }

    #[test]
    fn meaning_aligns_other_words_mutual_best_only() {
        let a = doc("a", "Alpha", "A leaked FSB memo brands China the enemy of Russian security. Officials in Riverton counted 40 homes damaged after the storm.", 1);
        let b = doc("b", "Beta", "Inside Lubyanka a covert unit labels Beijing not as a partner but as an adversary. The Riverton storm damaged 55 homes, officials counted.", 2);
        // A stand-in for the learned scorer: high for the two pairs that mean the same, a near miss for another.
        let mut calls = 0;
        let mut scorer = |pairs: &[(&str, &str)]| -> Result<Vec<f32>, String> {
            calls += 1;
            Ok(pairs
                .iter()
                .map(|(x, y)| match (x.contains("FSB memo"), y.contains("Lubyanka"), x.contains("Riverton") && y.contains("Riverton")) {
                    (true, true, _) => 4.2,
                    (_, _, true) => 4.0,
                    (true, false, _) => 3.7,
                    _ => 1.0,
                })
                .collect())
        };
        let out = align_with(&story(), &[&a, &b], &Settings::default(), Some(&mut scorer)).unwrap();
        assert_eq!(calls, 1, "one batch per story");
        let memo = out.iter().find(|c| c.members.iter().any(|m| m.text.contains("FSB memo"))).unwrap();
        assert_eq!(memo.status, ClaimStatus::Corroborated, "{out:#?}");
        assert_eq!(memo.members.len(), 2);
        assert!(memo.members[1].text.contains("Lubyanka"));
        // The storm pair means the same but states different numbers.
        let storm = out.iter().find(|c| c.members.iter().any(|m| m.text.contains("40 homes"))).unwrap();
        assert_eq!(storm.status, ClaimStatus::Contested, "{out:#?}");
        // Without meaning, wording alone does not align the paraphrase.
        let lexical = align(&story(), &[&a, &b], &Settings::default());
        assert!(lexical.iter().filter(|c| c.members.iter().any(|m| m.text.contains("FSB memo"))).all(|c| c.outlets.len() == 1), "{lexical:#?}");
        // A scorer that fails is an error, not a silent fallback.
        let mut broken = |_: &[(&str, &str)]| -> Result<Vec<f32>, String> { Err("model gone".into()) };
        assert_eq!(align_with(&story(), &[&a, &b], &Settings::default(), Some(&mut broken)).unwrap_err(), "model gone");
    }

    /// The scorer sees a budget of pairs that grows with the story's claims, not with their pairs.
    #[test]
    fn meaning_cost_grows_linearly_with_the_story() {
        let text = |o: usize, n: usize| {
            // Every sentence shares two terms with every other outlet's, and little else.
            (0..n).map(|i| format!("The Riverton council said that zq{o}x{i}a and zq{o}x{i}b costs rose {} percent.", i + 3 * o)).collect::<Vec<_>>().join(" ")
        };
        let settings = Settings::default();
        let unbounded = Settings { meaning_candidates: usize::MAX, meaning_pairs_per_claim: f64::INFINITY, ..settings };
        for n in [10, 40] {
            let docs: Vec<Enriched> = (0..3).map(|o| doc(&format!("d{o}"), ["Alpha", "Beta", "Gamma"][o], &text(o, n), o as u32 + 1)).collect();
            let refs: Vec<&Enriched> = docs.iter().collect();
            let claims: usize = docs.iter().map(|d| claims_of(d, &settings).len()).sum();
            assert_eq!(claims, 3 * n);
            let scored = |settings: &Settings| {
                let mut pairs: Vec<(String, String)> = Vec::new();
                let mut scorer = |ps: &[(&str, &str)]| -> Result<Vec<f32>, String> {
                    pairs.extend(ps.iter().map(|(a, b)| (a.to_string(), b.to_string())));
                    Ok(vec![0.0; ps.len()])
                };
                align_with(&story(), &refs, settings, Some(&mut scorer)).unwrap();
                pairs
            };
            let pairs = scored(&settings);
            assert!(!pairs.is_empty() && pairs.len() <= claims, "{} pairs for {claims} claims", pairs.len());
            assert_eq!(pairs.iter().collect::<BTreeSet<_>>().len(), pairs.len(), "each pair once");
            assert!(scored(&unbounded).len() >= 3 * n * n, "every pair shares names: quadratic without the budget");
        }
    }

    /// Through the inverted index, the pairs that share a term or an entity are all there.
    #[test]
    fn indexed_sharing_pairs_cover_all_sharing_pairs() {
        let ids: Vec<Vec<u32>> = (0..60u32).map(|i| vec![i % 7, 10 + i % 11, 30 + i]).collect();
        let names: Vec<Vec<String>> = (0..60).map(|i| if i % 13 == 0 { vec!["Riverton".to_string()] } else { vec![] }).collect();
        let entities: Vec<&[String]> = names.iter().map(Vec::as_slice).collect();
        let all = sharing_pairs(&entities, &ids, usize::MAX);
        assert_eq!(all.len(), 60 * 59 / 2);
        let shares = |&(a, b): &(usize, usize)| ids[a].iter().any(|t| ids[b].contains(t)) || entities[a].iter().any(|e| entities[b].contains(e));
        let want: Vec<(usize, usize)> = all.into_iter().filter(shares).collect();
        let indexed = sharing_pairs(&entities, &ids, 0);
        assert_eq!(indexed, want);
    }

    #[test]
    fn different_dates_for_the_same_fact_are_contested() {
        let a = doc("a", "Alpha", "The Riverton dam inspection report was completed in March 2023 by the state engineers.", 1);
        let b = doc("b", "Beta", "The Riverton dam inspection report was completed in late 2024 by the state engineers.", 2);
        let out = align(&story(), &[&a, &b], &Settings::default());
        let dam = out.iter().find(|c| c.text.contains("dam inspection")).unwrap();
        assert_eq!(dam.status, ClaimStatus::Contested, "{out:#?}");
        assert!(dam.conflict.as_ref().unwrap().contains("March 2023") && dam.conflict.as_ref().unwrap().contains("late 2024"));
        let c = doc("c", "Gamma", "The Riverton dam inspection report was completed in 2023 by the state engineers.", 3);
        let agree = align(&story(), &[&a, &c], &Settings::default());
        assert_eq!(agree.iter().find(|c| c.text.contains("dam inspection")).unwrap().status, ClaimStatus::Corroborated, "March 2023 lies within 2023");
    }

    #[test]
    fn primary_sources_resolve_anaphors_and_name_documents() {
        let a = doc(
            "a",
            "Alpha",
            "A secret plan exists, according to a report by The Daily Planet. Since then, according to the report, officials have moved. The memo alleges that spies were active in Riverton.",
            1,
        );
        let b = doc("b", "Beta", "This memo reveals that spies were active in Riverton in 2024.", 2);
        let p = primary_sources(&[&a, &b]);
        let names: Vec<(&str, Vec<&str>)> = p.iter().map(|p| (p.name.as_str(), p.cited_by.iter().map(String::as_str).collect())).collect();
        assert_eq!(names, [("The Daily Planet", vec!["Alpha"]), ("the memo", vec!["Alpha", "Beta"])]);
        assert_eq!(p[0].cue, "according to a report by");
    }

    #[test]
    fn a_copy_does_not_corroborate_its_original() {
        let text = "Officials said the new bridge across the Riverton estuary will cost $40 million and open in 2026.";
        let a = doc("a", "Alpha", text, 1);
        let b = doc("b", "Beta", text, 2);
        let status = |story: &Story| align(story, &[&a, &b], &Settings::default()).into_iter().find(|c| c.text.contains("bridge")).unwrap().status;
        assert_eq!(status(&story()), ClaimStatus::Corroborated, "two independent outlets");
        let mut copied = story();
        copied.copies = vec![("b".into(), "a".into())];
        assert_ne!(status(&copied), ClaimStatus::Corroborated, "a wire copy is one voice, not two");
    }

    fn at(id: &str, outlet: &str, url: &str, text: &str, hour: u32) -> Enriched {
        let mut d = doc(id, outlet, text, hour);
        d.article.url = Some(url.into());
        d
    }

    /// "FOX" and "Fox News" are one site: one outlet, which cannot corroborate itself.
    #[test]
    fn one_outlet_under_two_names_is_one_voice() {
        let text = "The Pentagon said two destroyers were sent to the Riverton strait on Tuesday after the collision.";
        let fox = at("a", "FOX", "https://www.foxnews.com/politics/destroyers", text, 1);
        let fox_news = at("b", "Fox News", "https://foxnews.com/us/riverton-strait", "Two destroyers were sent to the Riverton strait on Tuesday, the Pentagon said.", 2);
        let out = align(&story(), &[&fox, &fox_news], &Settings::default());
        assert!(out.iter().all(|c| c.status != ClaimStatus::Corroborated && c.outlets == ["Fox News"]), "{out:#?}");
        // Another site stating it is a second outlet.
        let nyt = at("c", "NYT", "https://www.nytimes.com/2025/06/22/us/strait.html", text, 3);
        let out = align(&story(), &[&fox, &fox_news, &nyt], &Settings::default());
        let c = out.iter().find(|c| c.outlets.len() == 2).unwrap_or_else(|| panic!("{out:#?}"));
        assert_eq!(c.status, ClaimStatus::Corroborated);
        assert_eq!(c.outlets, ["Fox News", "NYT"]);
        // An outlet citing itself under another name is not its own primary source.
        let cites = at("d", "NYT", "https://nytimes.com/2025/06/22/x.html", "The ships left port, according to a report by The New York Times.", 4);
        let mut page = at("e", "The New York Times", "https://www.nytimes.com/2025/06/22/y.html", "The ships left port on Monday night.", 5);
        page.article.outlet.basis = dossier_model::OutletBasis::Page;
        assert!(primary_sources(&[&cites, &page]).is_empty(), "{:?}", primary_sources(&[&cites, &page]));
    }

    /// The aligned claim holding a sentence that contains `needle`.
    fn claim_with<'a>(out: &'a [AlignedClaim], needle: &str) -> &'a AlignedClaim {
        out.iter().find(|c| c.members.iter().any(|m| m.text.contains(needle))).unwrap_or_else(|| panic!("no claim with {needle:?}: {out:#?}"))
    }

    /// Statements of opposite polarity are one claim, contested, with each outlet's version.
    #[test]
    fn opposite_polarity_is_contested_per_pair_of_outlets() {
        let pairs = [
            (
                "The Interior Ministry confirmed on Tuesday that secret talks with rebel commanders took place in Geneva last month.",
                "The Interior Ministry denied on Tuesday that secret talks with rebel commanders took place in Geneva last month.",
                ("confirmed", "denied"),
            ),
            (
                "Senator Reyes met the Russian ambassador twice during the campaign, according to visitor logs obtained by the newspaper.",
                "Senator Reyes did not meet the Russian ambassador during the campaign, her office said in a statement.",
                ("states it", "did not meet"),
            ),
            (
                "Halvorsen Steel will close its Riverton plant in March, cutting 400 jobs, the company said.",
                "Halvorsen Steel will not close its Riverton plant, a company spokeswoman said on Friday.",
                ("will close", "will not close"),
            ),
            (
                "The BuzzFeed News report describing the testimony of Mr. Cohen to the special counsel was accurate, the site's editor said.",
                "A spokesman for the special counsel said the BuzzFeed News report describing the testimony of Mr. Cohen was not accurate.",
                ("was accurate", "was not accurate"),
            ),
        ];
        for (yes, no, (cue_yes, cue_no)) in pairs {
            let a = doc("a", "Alpha", yes, 1);
            let b = doc("b", "Beta", no, 2);
            let out = align(&story(), &[&a, &b], &Settings::default());
            let c = claim_with(&out, &yes[..20]);
            assert_eq!(c.status, ClaimStatus::Contested, "{yes:?} / {no:?}: {out:#?}");
            assert_eq!(c.members.len(), 2, "both versions are shown: {c:#?}");
            let why = c.conflict.as_deref().unwrap();
            assert!(why.starts_with(&format!("Alpha: {cue_yes} (")) && why.contains(&format!("; Beta: {cue_no} (")), "{why}");
        }
        // Three outlets: two confirm, one denies. The claim is contested and the disagreeing pairs are named;
        // the two that agree are not set against each other.
        let a = doc("a", "Alpha", "The Interior Ministry confirmed on Tuesday that secret talks with rebel commanders took place in Geneva.", 1);
        let b = doc("b", "Beta", "Secret talks with rebel commanders took place in Geneva, the Interior Ministry confirmed on Tuesday.", 2);
        let g = doc("g", "Gamma", "The Interior Ministry on Tuesday denied that any secret talks with rebel commanders took place in Geneva.", 3);
        let out = align(&story(), &[&a, &b, &g], &Settings::default());
        let c = claim_with(&out, "denied that any");
        assert_eq!(c.status, ClaimStatus::Contested, "{out:#?}");
        assert_eq!(c.outlets.len(), 3, "{c:#?}");
        let why = c.conflict.as_deref().unwrap();
        assert!(
            why.contains("Gamma: denied") && !why.contains("Alpha: confirmed (\"The Interior Ministry confirmed on Tuesday that secret talks with rebel commanders took place in Geneva.\"); Beta"),
            "{why}"
        );
    }

    /// The same deed given to different actors is contested; another name for the same actor is not.
    #[test]
    fn different_actors_for_the_same_deed_are_contested() {
        let pairs = [
            (
                "Hamas claimed responsibility on Tuesday for the rocket attack on the border crossing at Kerem Shalom.",
                "Islamic Jihad claimed responsibility on Tuesday for the rocket attack on the border crossing at Kerem Shalom.",
                ("Hamas", "Islamic Jihad"),
            ),
            (
                "The contract for the new Riverton bridge was awarded to Halvorsen Steel after a closed tender in March.",
                "The contract for the new Riverton bridge was awarded to Brennan Construction after a closed tender in March.",
                ("Halvorsen Steel", "Brennan Construction"),
            ),
            (
                "The text messages about the investigation were sent by Peter Strzok in the weeks before the November election, according to the inspector general.",
                "The text messages about the investigation were sent by Lisa Page in the weeks before the November election, according to the inspector general.",
                ("Peter Strzok", "Lisa Page"),
            ),
        ];
        for (x, y, (who_x, who_y)) in pairs {
            let a = doc("a", "Alpha", x, 1);
            let b = doc("b", "Beta", y, 2);
            let out = align(&story(), &[&a, &b], &Settings::default());
            let c = claim_with(&out, &x[..30]);
            assert_eq!(c.status, ClaimStatus::Contested, "{x:?} / {y:?}: {out:#?}");
            assert_eq!(c.members.len(), 2, "both versions are shown: {c:#?}");
            let why = c.conflict.as_deref().unwrap();
            assert!(why.starts_with(&format!("Alpha: {who_x} (")) && why.contains(&format!("; Beta: {who_y} (")), "{why}");
        }
        // One actor under two names, or one outlet naming one more actor: no conflict.
        let same = [
            (
                "The text messages about the investigation were sent by Peter Strzok in the weeks before the November election, according to the inspector general.",
                "The text messages about the investigation were sent by Mr. Strzok in the weeks before the November election, according to the inspector general.",
            ),
            (
                "The Justice Department opened a criminal inquiry on Friday into the leak of the 12-page memo to three reporters.",
                "The Department of Justice opened a criminal inquiry on Friday into the leak of the 12-page memo to three reporters.",
            ),
            (
                "Russia vetoed the resolution on the ceasefire in the Security Council on Monday evening.",
                "Russia and China vetoed the resolution on the ceasefire in the Security Council on Monday evening.",
            ),
        ];
        for (x, y) in same {
            let a = doc("a", "Alpha", x, 1);
            let b = doc("b", "Beta", y, 2);
            let out = align(&story(), &[&a, &b], &Settings::default());
            let c = claim_with(&out, &x[..30]);
            assert_eq!(c.status, ClaimStatus::Corroborated, "{x:?} / {y:?}: {out:#?}");
        }
    }

    /// A belief or an allegation one outlet reports, stated by another as fact, is contested.
    #[test]
    fn a_hedge_stated_elsewhere_as_fact_is_contested() {
        let a = doc("a", "Daily8", "The eight-page memo, believed to have been drafted in late 2023 or early 2024, was obtained by a hacking group.", 1);
        let b = doc("b", "Beta", "The eight-page memo, dated late 2023 or early 2024, was obtained through a hacking group's leak site.", 2);
        let out = align(&story(), &[&a, &b], &Settings::default());
        let c = claim_with(&out, "eight-page memo");
        assert_eq!(c.status, ClaimStatus::Contested, "{out:#?}");
        let why = c.conflict.as_deref().unwrap();
        assert!(why.starts_with("Daily8: hedged, \"believed to\"") && why.contains("Beta: as fact (\"dated late 2023 or early 2024\")"), "{why}");
        let a = doc("a", "Alpha", "The former treasurer allegedly transferred $2 million from the party's accounts to a company in Cyprus.", 1);
        let b = doc("b", "Beta", "The former treasurer transferred $2 million from the party's accounts to a company in Cyprus.", 2);
        let out = align(&story(), &[&a, &b], &Settings::default());
        assert_eq!(claim_with(&out, "former treasurer").status, ClaimStatus::Contested, "{out:#?}");
        // Both outlets hedge, or the plain one gives it as someone's word: no one hardened anything.
        let c = doc("c", "Gamma", "Prosecutors said the former treasurer transferred $2 million from the party's accounts to a company in Cyprus.", 3);
        let d = doc("d", "Delta", "The former treasurer is suspected of having transferred $2 million from the party's accounts to a company in Cyprus.", 4);
        for (x, y) in [(&a, &c), (&a, &d)] {
            let out = align(&story(), &[x, y], &Settings::default());
            assert_eq!(claim_with(&out, "former treasurer").status, ClaimStatus::Corroborated, "{out:#?}");
        }
    }

    /// Ordinary retellings are not contradictions: both sides negated, negations that say nothing
    /// of the fact ("did not say when"), and negations that do not negate ("not only").
    #[test]
    fn paraphrases_are_not_contested() {
        let pairs = [
            (
                "Riverton police did not release the name of the driver of the bus that crashed on Sunday, killing 12 people.",
                "Riverton police have not released the name of the driver of the bus that crashed on Sunday, killing 12 people.",
            ),
            ("The ministry did not say when the talks with rebel commanders in Geneva took place.", "The talks with rebel commanders in Geneva took place on Monday, the ministry said."),
            (
                "The dockworkers' strike closed not only the Riverton port but also the Riverton airport on Monday, stranding 3,000 passengers.",
                "The dockworkers' strike closed the Riverton port and the Riverton airport on Monday, stranding 3,000 passengers.",
            ),
            (
                "The Interior Ministry confirmed that secret talks with rebel commanders took place in Geneva.",
                "Secret talks with rebel commanders took place in Geneva, the Interior Ministry acknowledged.",
            ),
            ("Officials at Downing Street's No. 10 said the Riverton summit was postponed until June.", "The Riverton summit was postponed until June, officials said."),
        ];
        for (x, y) in pairs {
            let a = doc("a", "Alpha", x, 1);
            let b = doc("b", "Beta", y, 2);
            let out = align(&story(), &[&a, &b], &Settings::default());
            let c = claim_with(&out, &x[..16]);
            assert_eq!(c.status, ClaimStatus::Corroborated, "{x:?} / {y:?}: {out:#?}");
        }
    }

    #[test]
    fn term_count_counts_terms() {
        for t in ["The memo's authors, it's said, met O'Brien's aides — twice", "’Tis a a I x 42 the Kremlin’s ‘men’", "", "and and", "Don't stop: the U.S. said 'no'"] {
            assert_eq!(term_count(t), terms(t).len(), "{t:?}");
        }
    }

    #[test]
    fn opinion_is_not_a_claim() {
        assert!(checkworthiness("Some experts think this might perhaps change everything for you.", 0, 0, false) < 0.3);
        assert!(checkworthiness("Trade between Russia and China soared to $240 billion in 2023.", 2, 2, false) > 0.6);
    }

    /// The inverted-index path finds the same matches as comparing every pair
    /// whenever the matching clauses share a rarer term.
    #[test]
    fn indexed_pairs_match_all_pairs() {
        // 2,000 clauses: 400 events told by 5 outlets each; an event's clauses share
        // its two rare terms and draw the rest from 30 common ones.
        let mut ids = Vec::new();
        let mut outlet = Vec::new();
        let mut seed = 7u64;
        let mut rnd = |m: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        for i in 0..2000u32 {
            let event = i / 5;
            let mut v = vec![1000 + 2 * event, 1001 + 2 * event];
            for _ in 0..4 {
                v.push(rnd(30) as u32);
            }
            v.sort_unstable();
            v.dedup();
            ids.push(v);
            outlet.push(i % 5);
        }
        let vocab = 1000 + 2 * 400;
        let mut df = vec![0usize; vocab];
        for v in &ids {
            for &t in v {
                df[t as usize] += 1;
            }
        }
        let idf: Vec<f64> = df.iter().map(|&d| (1.0 + 2000.0 / d.max(1) as f64).ln()).collect();
        let settings = Settings::default();
        let all = matching_pairs(&ids, &outlet, &idf, &settings, usize::MAX);
        let indexed = matching_pairs(&ids, &outlet, &idf, &settings, 0);
        assert!(!all.is_empty());
        assert_eq!(indexed, all);
    }
}
