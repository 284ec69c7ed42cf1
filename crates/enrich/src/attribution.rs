//! Attribution: who a statement is attributed to, the cue that says so
//! ("said", "according to", "the memo alleges", "reported by"), and the
//! content attributed, as spans over a whole document.
//!
//! Rules over tokens, sentences and paragraph-level quotation marks:
//! - a cue is "according to", "reported by", "asked whether", a headline
//!   colon ("Trump: …"), or a verb from the cue lexicon (`speech_cues.txt`,
//!   explicit; belief verbs; `attribution_cues.tsv`, learned from PolNeAR
//!   train by `scripts/learn_attribution_cues.py`);
//! - the source is the noun phrase before the verb ("Officials said"), after
//!   it when inverted ("…,” said Smith"), or after "according to";
//! - the content is the quotation next to the attribution clause (a quote may
//!   span several sentences, and `“A,” he said. “B.”` is one content), the
//!   clause after the cue ("said (that) …", "told reporters that …"), the
//!   clause before it ("…, sources said."), or both sides around it;
//! - a cue inside a quotation is part of that quotation's content.
//!
//! Offsets are byte offsets (as [`dossier_model::Sentence`]'s);
//! [`char_offsets`] converts them for scorers that count characters.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;

use dossier_model::{Attribution, SourceKind};
use regex::Regex;

const DOCUMENT: &str = r"(?:memo|memorandum|document|report|assessment|letter|dossier|study|filing|statement|cable|briefing|analysis|poll|survey|complaint|lawsuit|indictment|email|e-mail|emails|transcript|order|ruling|affidavit|audit|review|investigation|article|story|book|paper|release|tweet|post|website|records|data|documents|reports|polls|surveys)";

/// Longest sentence, in tokens, that is searched for attributions.
const MAX_SENTENCE_TOKENS: usize = 400;

/// One attribution relation, as byte ranges into the document text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributionSpan {
    /// Who or what the content is attributed to; `None` when nobody is named.
    pub source: Option<Range<usize>>,
    pub cue: Range<usize>,
    pub content: Range<usize>,
    /// What kind of source; `None` when there is no source span.
    pub kind: Option<SourceKind>,
}

/// Cues whose subject is the topic, not a source (PolNeAR counts them as cues of the writer's view).
const APPEARANCE: &[&str] = &["appear", "appears", "appeared", "seem", "seems", "seemed", "look", "looks", "looked"];

fn speech_forms() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&str>> = OnceLock::new();
    S.get_or_init(|| include_str!("speech_cues.txt").lines().filter(|l| !l.starts_with('#')).flat_map(str::split_whitespace).collect())
}

/// Belief and sentiment verbs ("voters think …"): PolNeAR attributes these too.
const BELIEF: &[&str] = &[
    "think", "thinks", "thought", "believe", "believes", "believed", "hope", "hopes", "hoped", "fear", "fears", "feared", "worry", "worries", "worried", "doubt", "doubts", "know", "knows", "knew",
    "agree", "agrees", "agreed", "feel", "feels", "felt",
];

/// Verb cues: the explicit speech list, belief verbs, and the forms learned from train.
fn cue_forms() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&str>> = OnceLock::new();
    S.get_or_init(|| {
        // Adverbs ("reportedly") are cues in PolNeAR but not verbs with a subject.
        let learned = include_str!("attribution_cues.tsv").lines().filter(|l| !l.starts_with('#')).filter_map(|l| l.split('\t').next()).filter(|w| !w.ends_with("ly"));
        speech_forms().iter().copied().chain(learned).chain(BELIEF.iter().copied()).collect()
    })
}

/// Whether a cue's text is reported speech: one of its words is a speech or
/// reporting verb (`speech_cues.txt`), or it contains "according to".
///
/// ```
/// assert!(dossier_enrich::is_speech_cue("also said"));
/// assert!(dossier_enrich::is_speech_cue("According to"));
/// assert!(!dossier_enrich::is_speech_cue("believes"));
/// ```
pub fn is_speech_cue(cue: &str) -> bool {
    let lower = cue.to_lowercase();
    lower.contains("according to") || lower.split(|c: char| !c.is_alphabetic()).any(|w| speech_forms().contains(w))
}

#[derive(Debug, Clone)]
struct Tok {
    start: usize,
    end: usize,
    lower: String,
    word: bool,
    upper: bool,
}

fn tokenize(text: &str, range: Range<usize>) -> Vec<Tok> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r"\p{N}+(?:[.,]\p{N}+)+|[\p{L}\p{N}]+(?:['’.\-&][\p{L}\p{N}]+)*|''|\S").expect("valid regex"));
    let mut out: Vec<Tok> = Vec::new();
    for m in re.find_iter(&text[range.clone()]) {
        let (start, end) = (range.start + m.start(), range.start + m.end());
        let s = m.as_str();
        // "U.S." and "Mr.": the full stop belongs to the word.
        if s == "." {
            if let Some(last) = out.last_mut() {
                let w = &text[last.start..last.end];
                if last.end == start && last.word && (w.contains('.') || is_title(w)) {
                    last.end = end;
                    last.lower.push('.');
                    continue;
                }
            }
        }
        let first = s.chars().next().unwrap_or(' ');
        out.push(Tok { start, end, lower: s.to_lowercase(), word: first.is_alphanumeric(), upper: first.is_uppercase() });
    }
    out
}

fn is_title(w: &str) -> bool {
    matches!(w.to_lowercase().as_str(), "mr" | "mrs" | "ms" | "dr" | "gen" | "lt" | "col" | "gov" | "sen" | "rep" | "st" | "jr" | "sr" | "prof" | "rev" | "capt" | "sgt" | "maj" | "adm" | "no")
}

/// Quotations in one paragraph, as byte ranges including the marks.
fn quotes_in(text: &str, para: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut open: Option<(usize, &str)> = None;
    let p = &text[para.clone()];
    let mut iter = p.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let at = para.start + i;
        let two = c == '\'' && iter.peek().is_some_and(|&(_, n)| n == '\'');
        let mark = match c {
            '“' => "open",
            '”' => "close",
            '"' => "straight",
            '\'' if two => "double",
            _ => continue,
        };
        let width = if two {
            iter.next();
            2
        } else {
            c.len_utf8()
        };
        match (open, mark) {
            (None, "close") => {}
            (None, m) => open = Some((at, m)),
            (Some((s, "open")), "close") | (Some((s, "straight")), "straight") | (Some((s, "double")), "double") | (Some((s, "straight" | "double")), "close") => {
                out.push(s..at + width);
                open = None;
            }
            // Mixed typography: “… closed by a straight mark.
            (Some((s, "open")), "straight") => {
                out.push(s..at + width);
                open = None;
            }
            (Some((s, "open")), "open") => open = Some((s.max(at), "open")),
            _ => {}
        }
    }
    if let Some((s, _)) = open {
        out.push(s..para.end);
    }
    out
}

const SKIP_BEFORE_CUE: &[&str] = &[
    "has",
    "have",
    "had",
    "also",
    "later",
    "previously",
    "recently",
    "reportedly",
    "would",
    "will",
    "could",
    "may",
    "might",
    "repeatedly",
    "then",
    "once",
    "publicly",
    "privately",
    "often",
    "frequently",
    "again",
    "already",
    "just",
    "still",
    "even",
    "never",
    "not",
    "n't",
    "specifically",
    "separately",
    "simply",
    "flatly",
    "further",
    "is",
    "was",
    "are",
    "were",
    "been",
    "did",
    "does",
    "do",
    "first",
    "earlier",
    "subsequently",
    "initially",
    "famously",
    "angrily",
    "bluntly",
    "quietly",
    "openly",
    "explicitly",
    "told",
    "last",
    "week",
    "on",
    "friday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "saturday",
    "sunday",
    "yesterday",
    "today",
    "now",
    "widely",
    "commonly",
    "long",
    "being",
];

/// Lower-case words in -ly that are nouns or adjectives, not adverbs ("the family said").
const LY_NOT_ADVERBS: &[&str] = &[
    "family",
    "ally",
    "rally",
    "assembly",
    "supply",
    "reply",
    "monopoly",
    "anomaly",
    "bully",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "july",
    "italy",
    "early",
    "only",
    "holy",
    "belly",
    "fly",
    "tally",
    "elderly",
    "friendly",
    "likely",
    "deadly",
    "costly",
    "lonely",
    "lovely",
    "ugly",
    "silly",
    "jolly",
    "holly",
    "lily",
    "jelly",
    "folly",
    "gully",
    "burly",
    "orderly",
    "lowly",
    "homily",
    "unlikely",
];

/// An adverb between a subject and its verb ("Mr. Trump vigorously denied", "has not independently
/// confirmed"): part of the verb group, never of the subject.
fn is_adverb(t: &Tok) -> bool {
    t.word && !t.upper && t.lower.len() > 4 && t.lower.ends_with("ly") && !LY_NOT_ADVERBS.contains(&t.lower.as_str())
}

/// Verb-group words that never sit inside a source's name: a span running over one is a clause
/// ("Mueller's team is investigating"), and the name is what comes before it.
const NOT_IN_NAME: &[&str] = &[
    "is",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "will",
    "would",
    "can",
    "could",
    "should",
    "may",
    "might",
    "must",
    "does",
    "did",
    "do",
    "not",
    "n't",
    "never",
    "also",
    "been",
    "being",
    "cannot",
    "don’t",
    "don't",
    "doesn’t",
    "doesn't",
    "didn’t",
    "didn't",
    "can’t",
    "can't",
    "won’t",
    "won't",
    "isn’t",
    "isn't",
    "wasn’t",
    "wasn't",
    "wouldn’t",
    "wouldn't",
];

/// Times that follow a name without being part of it ("Randy Fincham late Wednesday afternoon").
const TIME_WORDS: &[&str] = &["late", "early", "yesterday", "today", "tonight", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

/// Cuts a source span to a noun phrase: leading adverbs dropped ("ultimately Prager"); at the
/// first verb-group word of its head, the head ends ("Mr. Trump vigorously"), unless a comma
/// follows, after which the name comes ("After X did not …, Roberta Lange, the state party
/// chairwoman, said"). An apposition after the head's comma is kept as it is.
fn trim_source(toks: &[Tok], r: Range<usize>) -> Option<Range<usize>> {
    let inside: Vec<&Tok> = toks.iter().filter(|t| r.start <= t.start && t.end <= r.end).collect();
    let bad = |t: &Tok| NOT_IN_NAME.contains(&t.lower.as_str()) || is_adverb(t) || TIME_WORDS.contains(&t.lower.as_str());
    let from = inside.iter().position(|t| !bad(t))?;
    let head_end = inside[from..].iter().position(|t| t.lower == ",").map_or(inside.len(), |p| from + p);
    // An adverb right after a determiner is inside the phrase ("The nearly 90-second ad").
    let cut = (from..head_end).find(|&k| bad(inside[k]) && !(is_adverb(inside[k]) && k > 0 && DETERMINERS.contains(&inside[k - 1].lower.as_str())));
    match cut {
        None => Some(inside[from].start..r.end),
        Some(k) => match (k..inside.len()).find(|&i| inside[i].lower == ",").filter(|&c| c + 1 < inside.len()) {
            Some(c) => trim_source(toks, inside[c + 1].start..r.end),
            None => (k > from).then(|| inside[from].start..inside[k - 1].end),
        },
    }
}

/// Words that end a subject noun phrase when reading backwards from the cue.
const BOUNDARY: &[&str] = &[
    "that", "which", "who", "whom", "whose", "and", "but", "because", "when", "while", "as", "if", "than", "where", "though", "although", "after", "before", "since", "so", "or", "what", "how", "why",
    "whether", "where", "until", "unless", "once", "yet", "nor", "said", "says", "told", "to", "in", "on", "at", "for", "with", "by", "from", "of", "into", "about", "during", "under", "over",
    "against", "despite", "without", "like",
];

const PRONOUNS: &[&str] = &["he", "she", "they", "it", "we", "i", "you", "this", "that"];

/// Prepositions and time words that can follow a cue before its content ("said in a statement that", "told CNN on Sunday").
const AFTER_CUE: &[&str] = &[
    "in",
    "on",
    "at",
    "during",
    "after",
    "before",
    "last",
    "this",
    "earlier",
    "later",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "yesterday",
    "today",
    "recently",
    "previously",
    "repeatedly",
    "also",
    "flatly",
    "via",
    "through",
    "to",
];

struct Sent {
    range: Range<usize>,
    toks: Vec<Tok>,
    para: usize,
}

fn is_open_quote(t: &Tok) -> bool {
    matches!(t.lower.as_str(), "“" | "\"" | "''" | "‘")
}

fn is_close_quote(t: &Tok) -> bool {
    matches!(t.lower.as_str(), "”" | "\"" | "''" | "’")
}

/// Finds every attribution in a document.
///
/// ```
/// let text = "“We will win,” Smith said. The memo alleges that funds were moved.";
/// let a = dossier_enrich::attributions_in(text);
/// assert_eq!(a.len(), 2);
/// assert_eq!(&text[a[0].content.clone()], "“We will win,”");
/// assert_eq!(&text[a[0].source.clone().unwrap()], "Smith");
/// assert_eq!(&text[a[1].cue.clone()], "alleges");
/// assert_eq!(&text[a[1].content.clone()], "that funds were moved");
/// ```
pub fn attributions_in(text: &str) -> Vec<AttributionSpan> {
    let mut paras = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        paras.push(at..at + line.trim_end().len());
        at += line.len();
    }
    let quotes: Vec<Range<usize>> = paras.iter().flat_map(|p| quotes_in(text, p.clone())).collect();
    let sents: Vec<Sent> = crate::split_sentences(text)
        .into_iter()
        .map(|s| {
            let para = paras.partition_point(|p| p.end < s.start).min(paras.len().saturating_sub(1));
            Sent { toks: tokenize(text, s.start..s.end), range: s.start..s.end, para }
        })
        .collect();
    let mut out: Vec<AttributionSpan> = Vec::new();
    let mut contents: HashSet<(usize, usize)> = HashSet::new();
    for (si, s) in sents.iter().enumerate() {
        // A "sentence" of thousands of words is a table or a dump, not prose; skipping it keeps
        // the work per cue bounded.
        if s.toks.len() > MAX_SENTENCE_TOKENS {
            continue;
        }
        let qs = &quotes;
        let next = sents.get(si + 1).filter(|n| n.para == s.para);
        let mut last_source: Option<Range<usize>> = None;
        let mut c = 0;
        while c < s.toks.len() {
            // Speech reported inside a quotation ("“… and I said, ‘No,’” she recalled") is part of its content.
            let quoted = quote_around(qs, s.toks[c].start).is_some_and(|q| s.toks[c].end < q.end && q.end - q.start > 2);
            let found = if quoted { None } else { according_to(text, s, c, qs).or_else(|| asked(s, c)).or_else(|| colon_cue(s, c)).or_else(|| verb_cue(text, s, c, qs, next, last_source.clone())) };
            if let Some(mut a) = found {
                a.source = a.source.and_then(|r| trim_source(&s.toks, r));
                if a.source.is_some() {
                    last_source = a.source.clone();
                }
                trim_content(text, &mut a.content);
                if a.content.end > a.content.start {
                    a.kind = a.source.as_ref().map(|r| kind_of(&text[r.clone()]));
                    // One relation per content: a second cue over the same quotation is dropped.
                    if contents.insert((a.content.start, a.content.end)) {
                        out.push(a);
                    }
                }
            }
            c += 1;
        }
    }
    out
}

fn trim_content(text: &str, r: &mut Range<usize>) {
    let s = &text[r.clone()];
    let t = s.trim_end().trim_end_matches(['.', ';', ',', ':', '—', '–']).trim_end();
    let lead = s.len() - s.trim_start().trim_start_matches([',', ':', ';', '—', '–']).trim_start().len();
    if lead >= t.len() {
        r.end = r.start;
        return;
    }
    r.end = r.start + t.len();
    r.start += lead;
}

// Quotations never overlap and come in text order, so both their starts and their ends are
// sorted: look-ups are binary searches, linear time over a whole document.

fn quote_ending_at(qs: &[Range<usize>], pos: usize) -> Option<Range<usize>> {
    qs.get(qs.partition_point(|q| q.end < pos)).filter(|q| q.end == pos).cloned()
}

fn quote_starting_at(qs: &[Range<usize>], pos: usize) -> Option<Range<usize>> {
    qs.get(qs.partition_point(|q| q.start < pos)).filter(|q| q.start == pos).cloned()
}

/// The quotation that holds `pos` strictly inside it.
fn quote_around(qs: &[Range<usize>], pos: usize) -> Option<&Range<usize>> {
    qs[..qs.partition_point(|q| q.start < pos)].last().filter(|q| pos < q.end)
}

/// "according to X": the content is the rest of the sentence on the other side of the comma.
fn according_to(text: &str, s: &Sent, c: usize, qs: &[Range<usize>]) -> Option<AttributionSpan> {
    let t = &s.toks;
    if t[c].lower != "according" || t.get(c + 1).map(|x| x.lower.as_str()) != Some("to") {
        return None;
    }
    let mut cue_end = c + 2;
    // "according to a new report by The Times": the cue takes the report, the source is who wrote it.
    static DOC_BY: OnceLock<Regex> = OnceLock::new();
    let doc_by = DOC_BY.get_or_init(|| Regex::new(&format!(r"^(?:(?:a|an|the)\s+)?(?:(?:new|recent|latest|separate)\s+)?{DOCUMENT}\s+(?:by|from|in|of)\s+[A-Z]")).expect("valid regex"));
    if cue_end < t.len() && doc_by.is_match(&text[t[cue_end].start..s.range.end]) {
        while cue_end < t.len() && !matches!(t[cue_end].lower.as_str(), "by" | "from" | "in" | "of") {
            cue_end += 1;
        }
        cue_end += 1;
    }
    let mut src_end = cue_end;
    while src_end < t.len() && src_end - cue_end < 14 && (t[src_end].word || matches!(t[src_end].lower.as_str(), "’s" | "'s" | "-" | "&")) {
        src_end += 1;
    }
    if src_end == cue_end {
        return None;
    }
    let source = t[cue_end].start..t[src_end - 1].end;
    let cue = t[c].start..t[cue_end - 1].end;
    let before = &t[..c];
    let lead_words = before.iter().filter(|x| x.word).count();
    let content = if lead_words <= 1 {
        // "According to X, content." — skip to the comma after the source.
        let comma = (src_end..t.len()).find(|&i| t[i].lower == ",").unwrap_or(src_end);
        t.get(comma + 1)?.start..s.range.end
    } else {
        let mut end = c;
        while end > 0 && matches!(t[end - 1].lower.as_str(), "," | "(" | "—" | "–") {
            end -= 1;
        }
        let start = t[0].start;
        // A quotation just before: its opening may be in an earlier sentence.
        let close = t[end - 1].end;
        let quoted = quote_ending_at(qs, close).filter(|q| q.start < start || t[0].start == q.start);
        let start = quoted.map_or(start, |q| q.start);
        let tail = if src_end + 1 < t.len() && t[src_end].lower == "," && t.len() - src_end > 4 && lead_words <= 5 { s.range.end } else { close };
        start..tail
    };
    Some(AttributionSpan { source: Some(source), cue, content, kind: None })
}

/// Forms that are also common nouns ("state ballots", "his remarks"): cues only before "that", a colon, a comma, a quotation or the end.
const AMBIGUOUS: &[&str] = &[
    "state",
    "states",
    "remarks",
    "remark",
    "comment",
    "comments",
    "report",
    "reports",
    "claims",
    "claim",
    "promise",
    "promises",
    "vows",
    "vow",
    "post",
    "reads",
    "notes",
    "note",
    "joke",
    "jokes",
    "stress",
    "recall",
    "recalls",
    "complaints",
    "quip",
    "quips",
    "tweet",
    "tweets",
    "warning",
    "indicate",
    "shows",
    "titled",
    "seeks",
    "finds",
    "sees",
    "cites",
    "reporting",
    "writing",
    "promising",
    "stating",
    "fear",
    "fears",
    "hope",
    "hopes",
    "doubt",
    "doubts",
    "worries",
    "thought",
    "feel",
    "know",
];

const DETERMINERS: &[&str] = &[
    "the", "a", "an", "this", "these", "those", "his", "her", "their", "its", "our", "my", "your", "some", "many", "several", "two", "three", "one", "other", "another", "most", "few", "both", "all",
];

fn np_token(t: &Tok) -> bool {
    t.word || matches!(t.lower.as_str(), "’s" | "'s" | "-" | "&")
}

/// Where the content after a cue stops: before a coordinated second cue ("…, but noted that …",
/// "…, adding that …") or a dash that starts an aside.
fn content_stop(t: &[Tok], from: usize) -> Option<usize> {
    (from + 2..t.len()).find(|&i| {
        let x = t[i].lower.as_str();
        let cue_at = |k: usize| t.get(k).is_some_and(|y| !y.upper && cue_forms().contains(y.lower.as_str()));
        (x == "," && t.get(i + 1).is_some_and(|y| y.lower.ends_with("ing") && cue_at(i + 1)))
            || (matches!(x, "," | "but" | "and") && (cue_at(i + 1) || t.get(i + 1).is_some_and(|y| matches!(y.lower.as_str(), "also" | "later" | "then")) && cue_at(i + 2)) && x != "," || x == "," && t.get(i + 1).is_some_and(|y| matches!(y.lower.as_str(), "but" | "and")) && cue_at(i + 2))
            || matches!(x, "—" | "–") && t.get(i + 1).is_some_and(|y| y.word)
            // "…; 26 percent say …", "…, compared with …", "…, and the ACLU has sued …".
            || x == ";"
            || x == "," && t.get(i + 1).is_some_and(|y| y.lower == "compared")
            || x == "," && t.get(i + 1).is_some_and(|y| y.lower == "and") && t.get(i + 2).is_some_and(|y| matches!(y.lower.as_str(), "the" | "a" | "an"))
            // "…,” saying …": a participle cue after a quotation.
            || is_close_quote(&t[i]) && i > 0 && t[i - 1].lower == "," && t.get(i + 1).is_some_and(|y| y.lower.ends_with("ing") && cue_at(i + 1))
            // "…, when Our Principles launched": a time clause after the content.
            || x == "," && t.get(i + 1).is_some_and(|y| matches!(y.lower.as_str(), "when" | "just" | "while" | "whereas"))
            // "…, he said there is …": a new subject and cue start the next attribution.
            || x == "," && (i + 2..(i + 5).min(t.len())).any(|k| cue_at(k) && !t[k].lower.ends_with("ing") && t.get(k + 1).is_some_and(|y| y.word) && t[i + 1..k].iter().all(|y| y.word && !matches!(y.lower.as_str(), "that" | "which" | "who")))
    })
}

/// "asked whether …", "when asked about …", "Asked by Starnes if …": the question is the content;
/// the source is who asked ("Smith asked whether", "asked by Starnes"), or nobody.
fn asked(s: &Sent, c: usize) -> Option<AttributionSpan> {
    let t = &s.toks;
    if !matches!(t[c].lower.as_str(), "asked" | "asking" | "asks") {
        return None;
    }
    let mut k = c + 1;
    let mut source = None;
    if t.get(k).is_some_and(|x| x.lower == "by") {
        let start = k + 1;
        k = start;
        while k < t.len() && k - start < 8 && np_token(&t[k]) && !matches!(t[k].lower.as_str(), "whether" | "if" | "about" | "how" | "what" | "why") {
            k += 1;
        }
        if k == start {
            return None;
        }
        source = Some(t[start].start..t[k - 1].end);
    }
    let wh = t.get(k).filter(|x| matches!(x.lower.as_str(), "whether" | "if" | "how" | "what" | "why" | "who" | "when" | "where" | "about"))?;
    let mut e = k + 1;
    while e < t.len() && !matches!(t[e].lower.as_str(), "," | ";" | ":" | "?" | "—" | "–") {
        e += 1;
    }
    if e == k + 1 {
        return None;
    }
    let content_start = if wh.lower == "about" { t[k + 1].start } else { wh.start };
    if source.is_none() {
        let mut j = c;
        while j > 0 && matches!(t[j - 1].lower.as_str(), "also" | "then" | "later" | "repeatedly" | "has" | "have" | "had") {
            j -= 1;
        }
        if !(j > 0 && matches!(t[j - 1].lower.as_str(), "was" | "were" | "is" | "when" | "been" | "being" | "if" | "after")) {
            source = subject_before(t, j).map(|(a, b)| t[a].start..t[b - 1].end);
        }
    }
    Some(AttributionSpan { source, cue: t[c].start..t[c].end, content: content_start..t[e - 1].end, kind: None })
}

/// "Trump: We will build the wall": a short name and a colon opening a sentence (headlines).
fn colon_cue(s: &Sent, c: usize) -> Option<AttributionSpan> {
    let t = &s.toks;
    if t[c].lower != ":" || c == 0 || c > 4 {
        return None;
    }
    if !t[..c].iter().all(|x| x.upper || matches!(x.lower.as_str(), "’s" | "'s" | "-" | "." | "of")) || t.len() - c < 4 {
        return None;
    }
    Some(AttributionSpan { source: Some(t[0].start..t[c - 1].end), cue: t[c].start..t[c].end, content: t[c + 1].start..s.range.end, kind: None })
}

/// A verb from the cue lexicon ("said", "alleges", "told reporters that") with its source and its content.
fn verb_cue(text: &str, s: &Sent, c: usize, qs: &[Range<usize>], next: Option<&Sent>, last_source: Option<Range<usize>>) -> Option<AttributionSpan> {
    let t = &s.toks;
    let verb = verb_at(t, c)?;
    let clause = clause_of(t, &verb, last_source)?;
    let k = content_start(t, &verb.tok.lower, clause.end);
    let content = verb_content(text, s, qs, next, &verb, &clause, k)?;
    Some(AttributionSpan { source: Some(clause.source), cue: clause.cue, content, kind: None })
}

/// A cue word taken as a verb, with what the later phases ask of it.
struct Verb<'a> {
    at: usize,
    tok: &'a Tok,
    prev: Option<&'a str>,
    /// "adding that …": no subject of its own, the source comes from earlier in the sentence.
    participle: bool,
    passive_by: bool,
    /// Where the verb group starts ("has also said"): the subject ends just before.
    group: usize,
}

/// Token `c` as a cue verb; `None` where the cue form is used otherwise here.
fn verb_at(t: &[Tok], c: usize) -> Option<Verb<'_>> {
    let tok = &t[c];
    let headline_says = tok.upper && matches!(tok.lower.as_str(), "says" | "said" | "say") && c > 0 && t[c - 1].upper;
    if !tok.word || tok.upper && !headline_says || !cue_forms().contains(tok.lower.as_str()) {
        return None;
    }
    let prev = c.checked_sub(1).map(|i| t[i].lower.as_str());
    if matches!(prev, Some("to" | "a" | "an" | "the" | "his" | "her" | "their" | "its" | "our" | "my" | "your" | "these" | "those" | "this" | "of" | "no" | "news" | "media" | "press")) {
        return None;
    }
    if AMBIGUOUS.contains(&tok.lower.as_str())
        && !t.get(c + 1).is_some_and(|x| {
            matches!(x.lower.as_str(), "that" | ":" | "“" | "\"" | "''")
                || PRONOUNS.contains(&x.lower.as_str())
                || matches!(x.lower.as_str(), "," | ".") && matches!(tok.lower.as_str(), "notes" | "reports")
        })
    {
        return None;
    }
    let participle = tok.lower.ends_with("ing");
    // "reported by The Post": passive, the source after "by".
    let passive_by = t.get(c + 1).is_some_and(|x| x.lower == "by") && matches!(prev, Some("was" | "were" | "is" | "been" | "first" | "as" | ","));
    let next_lower = t.get(c + 1).map(|x| x.lower.as_str());
    // "exit polls reported by CNN" (a noun's modifier), "than, say, coffee" (an aside).
    if next_lower == Some("by") && !passive_by || prev == Some(",") && next_lower == Some(",") && tok.lower == "say" {
        return None;
    }
    // Subject before the cue, skipping auxiliaries and adverbs.
    let mut j = c;
    while j > 0 && (SKIP_BEFORE_CUE.contains(&t[j - 1].lower.as_str()) || is_adverb(&t[j - 1])) && j + 4 > c {
        j -= 1;
    }
    // "Jokes are told": a passive with no agent is not an attribution.
    if !passive_by && !participle && t[j..c].iter().any(|x| matches!(x.lower.as_str(), "is" | "are" | "was" | "were" | "been" | "be")) {
        return None;
    }
    Some(Verb { at: c, tok, prev, participle, passive_by, group: j })
}

/// The attribution clause: the source and the cue, and the tokens `start..end` they cover, which
/// the content lies outside of.
struct Clause {
    source: Range<usize>,
    cue: Range<usize>,
    start: usize,
    end: usize,
    /// "…,” said Smith, a spokesman.": what follows the source is not content.
    inverted: bool,
}

/// Who the verb's content is attributed to; `None` when nobody is found, which makes the verb no cue.
fn clause_of(t: &[Tok], v: &Verb, last_source: Option<Range<usize>>) -> Option<Clause> {
    let j = v.group;
    if v.passive_by {
        passive_agent(t, v)
    } else if j > 0 && matches!(t[j - 1].lower.as_str(), "and" | "but") && !v.participle {
        // "… and noted that …": the subject of the first verb.
        Some(Clause { start: j - 1, ..plain_clause(v, last_source?) })
    } else if !v.participle {
        subject_clause(t, v)
    } else {
        participle_source(t, v.prev, last_source).map(|source| plain_clause(v, source))
    }
}

/// The clause of a cue whose source is not next to it in the text.
fn plain_clause(v: &Verb, source: Range<usize>) -> Clause {
    Clause { source, cue: v.tok.start..v.tok.end, start: v.group, end: v.at + 1, inverted: false }
}

/// "reported by The Post", "as first reported by CNN": the cue takes the "by", the agent is the source.
fn passive_agent(t: &[Tok], v: &Verb) -> Option<Clause> {
    let c = v.at;
    let mut e = c + 2;
    while e < t.len() && e - c < 12 && np_token(&t[e]) {
        e += 1;
    }
    if e <= c + 2 {
        return None;
    }
    let mut start = c;
    while start > 0 && matches!(t[start - 1].lower.as_str(), "was" | "were" | "is" | "been" | "first" | "as") {
        start -= 1;
    }
    Some(Clause { source: t[c + 2].start..t[e - 1].end, cue: v.tok.start..t[c + 1].end, start, end: e, inverted: false })
}

/// The source of a finite verb: the noun phrase before it, a subject with its appositive, or the
/// noun phrase after it when inverted.
fn subject_clause(t: &[Tok], v: &Verb) -> Option<Clause> {
    let (c, j) = (v.at, v.group);
    // "…, said Smith": a name right after the cue is the source, not the start of the content.
    let after_name = t.get(c + 1).is_some_and(|x| x.upper && x.lower != "i" && !AFTER_CUE.contains(&x.lower.as_str())) && {
        let run = t[c + 1..].iter().take_while(|x| x.upper || matches!(x.lower.as_str(), "’s" | "'s" | "-" | "of" | "the")).count();
        t.get(c + 1 + run).is_none_or(|x| !x.word)
    };
    let comma_before = j > 0 && t[j - 1].lower == ",";
    let quote_then_comma = comma_before && j > 1 && is_close_quote(&t[j - 2]) || j > 0 && is_close_quote(&t[j - 1]);
    if let Some((a, b)) = subject_before(t, j) {
        Some(Clause { start: a, ..plain_clause(v, t[a].start..t[b - 1].end) })
    } else if comma_before && !quote_then_comma && !after_name {
        appositive_subject(t, v)
    } else if j > 0 && matches!(t[j - 1].lower.as_str(), "," | "”" | "\"" | "''") {
        inverted_source(t, v, quote_then_comma)
    } else {
        None
    }
}

/// "Smith, a spokesman for the campaign, said the …": the subject with its appositive runs back
/// to a quotation or the start of the sentence; with nothing after the cue, the content is before
/// the first comma ("The talks failed, Smith, a spokesman, said.").
fn appositive_subject(t: &[Tok], v: &Verb) -> Option<Clause> {
    let (c, j) = (v.at, v.group);
    let left = t[..j - 1].iter().rposition(|x| is_close_quote(x) && x.lower != "’").map_or(0, |q| q + 1);
    let mut a = left;
    while a < j - 1 && !t[a].word {
        a += 1;
    }
    let content_after = t[c + 1..].iter().filter(|x| x.word).count() >= 3 || t.get(c + 1).is_some_and(|x| is_open_quote(x) || x.lower == ":");
    if !content_after && left == 0 {
        if let Some(f) = t[..j - 1].iter().position(|x| x.lower == ",").filter(|&f| f + 1 < j - 1) {
            a = f + 1;
        }
    }
    (a < j - 1 && j - 1 - a <= 40).then(|| Clause { start: a, ..plain_clause(v, t[a].start..t[j - 2].end) })
}

/// Inverted: "…,” said Smith, a spokesman."
fn inverted_source(t: &[Tok], v: &Verb, quote_then_comma: bool) -> Option<Clause> {
    let c = v.at;
    let mut e = c + 1;
    while e < t.len() && e - c <= 10 && np_token(&t[e]) {
        e += 1;
    }
    let starts_np = t
        .get(c + 1)
        .is_some_and(|x| x.upper || DETERMINERS.contains(&x.lower.as_str()) || PRONOUNS.contains(&x.lower.as_str()) || quote_then_comma && x.word && !matches!(x.lower.as_str(), "that" | "to"));
    (e > c + 1 && starts_np).then(|| Clause { end: e, inverted: true, ..plain_clause(v, t[c + 1].start..t[e - 1].end) })
}

/// "…, adding that …": the source is the last one named in the sentence. Elsewhere a participle
/// is a modifier ("the people reporting …"), not a cue.
fn participle_source(t: &[Tok], prev: Option<&str>, last_source: Option<Range<usize>>) -> Option<Range<usize>> {
    let after_clause = matches!(prev, Some("," | "”" | "\"" | "and" | "by" | "upon" | "while" | "after" | "before" | "without"));
    // "issued a statement saying …", "in a tweet saying …".
    let after_statement = matches!(
        prev,
        Some(
            "statement"
                | "statements"
                | "tweet"
                | "tweets"
                | "letter"
                | "email"
                | "e-mail"
                | "post"
                | "message"
                | "release"
                | "video"
                | "ad"
                | "interview"
                | "speech"
                | "column"
                | "memo"
                | "note"
                | "report"
                | "op-ed"
                | "remarks"
                | "debate"
                | "rally"
        )
    );
    if !after_clause && !after_statement {
        return None;
    }
    last_source.or_else(|| subject_of_sentence(t))
}

/// The token where the content after the clause starts, past an object and modifiers ("told
/// reporters that", "said in a statement on Monday:").
fn content_start(t: &[Tok], verb: &str, clause_end: usize) -> usize {
    let mut k = clause_end;
    let takes_object = matches!(
        verb,
        "told"
            | "tells"
            | "tell"
            | "telling"
            | "asked"
            | "asks"
            | "assured"
            | "reminded"
            | "urged"
            | "warned"
            | "accused"
            | "blamed"
            | "thanked"
            | "praised"
            | "criticized"
            | "slammed"
            | "blasted"
            | "mocked"
            | "emailed"
    );
    let upto = (k + 12).min(t.len());
    let modifier = |x: &Tok| x.word && !cue_forms().contains(x.lower.as_str()) || matches!(x.lower.as_str(), "’s" | "'s" | ".");
    let that = (k..upto).find(|&i| t[i].lower == "that").filter(|&i| t[k..i].iter().all(|x| modifier(x) || is_open_quote(x) || is_close_quote(x))).or_else(|| {
        (k..upto)
            .find(|&i| matches!(t[i].lower.as_str(), ":" | "“" | "\"" | "''" | ","))
            .filter(|&i| t[k..i].iter().all(modifier) && i - k <= 6 && !t[k..i].iter().any(|x| PRONOUNS.contains(&x.lower.as_str())))
    });
    if (takes_object || t.get(k).is_some_and(|x| AFTER_CUE.contains(&x.lower.as_str()))) && k < t.len() {
        match that {
            Some(i) => k = i,
            None if takes_object => {
                // Skip a short object: a capitalised name or "reporters".
                let mut e = k;
                while e < t.len()
                    && (t[e].upper
                        || matches!(
                            t[e].lower.as_str(),
                            "the" | "a" | "an" | "reporters" | "journalists" | "supporters" | "him" | "her" | "them" | "me" | "us" | "his" | "voters" | "crowd" | "audience" | "’s" | "'s"
                        ))
                    && e - k < 6
                {
                    e += 1;
                }
                k = e;
            }
            None => {}
        }
    }
    if k < t.len() && t[k].lower == ":" {
        k += 1;
    }
    k
}

/// What the clause attributes: a quotation just before it (with its continuation), else the
/// words after the cue from token `k`, else the clause before it; `None` when there is none.
fn verb_content(text: &str, s: &Sent, qs: &[Range<usize>], next: Option<&Sent>, v: &Verb, clause: &Clause, k: usize) -> Option<Range<usize>> {
    let t = &s.toks;
    let after_words = words_after(t, k);
    let after_start = t.get(k).map(|x| x.start);
    if let Some(q) = quote_before(text, t, qs, clause.start, after_words) {
        Some(quote_with_continuation(t, qs, next, q, clause.end))
    } else if !clause.inverted && (after_words >= 3 || after_start.is_some_and(|a| quote_starting_at(qs, a).is_some())) {
        Some(content_after(s, qs, after_start?, k, clause, v.participle))
    } else {
        content_before(t, clause.start)
    }
}

/// Words after the cue from token `k`, or 0 when they are only modifiers of the cue: then the
/// content is elsewhere.
fn words_after(t: &[Tok], k: usize) -> usize {
    // "said at a press conference, according to …".
    let rest_words: Vec<&Tok> = t[k.min(t.len())..].iter().filter(|x| x.word).collect();
    let modifiers_only = t.get(k).is_some_and(|x| matches!(x.lower.as_str(), "in" | "at" | "during" | "on" | "after" | "before" | "via" | "through"))
        // "the Washington Post reported ten days ago", "… said last week".
        || rest_words.len() <= 4 && (rest_words.last().is_some_and(|x| x.lower == "ago") || rest_words.first().is_some_and(|x| AFTER_CUE.contains(&x.lower.as_str()) && x.lower != "to"));
    if modifiers_only {
        0
    } else {
        rest_words.len()
    }
}

/// A quotation right before the attribution clause, which starts at token `before_end`.
fn quote_before(text: &str, t: &[Tok], qs: &[Range<usize>], before_end: usize, after_words: usize) -> Option<Range<usize>> {
    let mut q_end = before_end;
    while q_end > 0 && t[q_end - 1].lower == "," {
        q_end -= 1;
    }
    (q_end > 0)
        .then(|| quote_ending_at(qs, t[q_end - 1].end))
        .flatten()
        .or_else(|| {
            // "“… it,” he said" where the comma sits inside the marks.
            (before_end > 0 && is_close_quote(&t[before_end - 1])).then(|| quote_ending_at(qs, t[before_end - 1].end)).flatten()
        })
        .or_else(|| {
            // "“… OK?” Trump said.": the quotation closed the previous sentence.
            let at = t.get(before_end)?.start;
            (before_end == 0 && after_words < 3).then(|| qs[..qs.partition_point(|q| q.end <= at)].last().filter(|q| text[q.end..at].chars().all(|c| c.is_whitespace() || c == ','))).flatten().cloned()
        })
}

/// "“A,” he said, “B.”" and "“A,” he said. “B.”": one content, from the quotation `q` before the
/// clause to the end of the one after it.
fn quote_with_continuation(t: &[Tok], qs: &[Range<usize>], next: Option<&Sent>, q: Range<usize>, clause_end: usize) -> Range<usize> {
    let mut end = q.end;
    let rest = &t[clause_end.min(t.len())..];
    let cont = rest.iter().position(is_open_quote).filter(|&p| {
        rest[..p].iter().all(|x| !x.word || AFTER_CUE.contains(&x.lower.as_str()) || x.upper) || rest[..p].iter().filter(|x| x.word).count() <= 6 && rest[..p].iter().all(|x| x.word || x.lower == ",")
    });
    if let Some(p) = cont {
        if let Some(q2) = quote_starting_at(qs, rest[p].start) {
            end = q2.end;
        }
    } else if rest.iter().all(|x| !is_open_quote(x)) {
        if let Some(n) = next {
            if let Some(first) = n.toks.first().filter(|f| is_open_quote(f)) {
                if let Some(q2) = quote_starting_at(qs, first.start) {
                    end = q2.end;
                }
            }
        }
    }
    q.start..end
}

/// The content after the cue, from byte `a` (token `k`) to where a second attribution or an
/// aside begins.
fn content_after(s: &Sent, qs: &[Range<usize>], a: usize, k: usize, clause: &Clause, participle: bool) -> Range<usize> {
    let t = &s.toks;
    let before_end = clause.start;
    let mut end = s.range.end;
    if let Some(stop) = content_stop(t, k) {
        end = t[stop].start;
    }
    if let Some(q) = quote_starting_at(qs, a) {
        end = end.max(q.end);
    }
    // A content that ends inside a quotation ends with it.
    if let Some(q) = quote_around(qs, end).filter(|q| q.start >= a) {
        end = q.end;
    }
    // "Before, X said, after": both sides.
    let before_words = t[..before_end].iter().filter(|x| x.word).count();
    if before_end > 0 && t[before_end - 1].lower == "," && before_words >= 1 && (k > 0 && t[k - 1].lower == "," || t.get(clause.end).is_some_and(|x| x.lower == ",")) && !participle {
        t[0].start..end
    } else {
        a..end
    }
}

/// "…, sources said.": with nothing after the cue, the content is the clause before it.
fn content_before(t: &[Tok], before_end: usize) -> Option<Range<usize>> {
    let before_words = t[..before_end].iter().filter(|x| x.word).count();
    if before_end > 0 && matches!(t[before_end - 1].lower.as_str(), "," | "—" | "–") && before_words >= 3 {
        let mut e = before_end - 1;
        while e > 0 && matches!(t[e - 1].lower.as_str(), "," | "—" | "–") {
            e -= 1;
        }
        Some(t[0].start..t[e - 1].end)
    } else {
        None
    }
}

/// The noun phrase that ends just before token `j`, as a token range.
fn subject_before(t: &[Tok], j: usize) -> Option<(usize, usize)> {
    if j == 0 {
        return None;
    }
    // "Sen. Bernie Sanders (I-Vt.) said", "Joyce — who is listed as an attorney — told": step over the aside.
    let mut j = j;
    if t[j - 1].lower == ")" {
        let open = t[..j - 1].iter().rposition(|x| x.lower == "(").filter(|&o| j - 1 - o <= 8)?;
        if open == 0 {
            return None;
        }
        j = open;
    } else if matches!(t[j - 1].lower.as_str(), "—" | "–" | "--") || t[j - 1].lower == "-" && j > 1 && t[j - 2].end < t[j - 1].start {
        let open = t[..j - 1].iter().rposition(|x| x.lower == t[j - 1].lower).filter(|&o| j - 1 - o <= 30)?;
        if open == 0 {
            return None;
        }
        j = open;
    }
    let last = &t[j - 1];
    if !last.word || BOUNDARY.contains(&last.lower.as_str()) && !PRONOUNS.contains(&last.lower.as_str()) && !matches!(last.lower.as_str(), "who" | "which") {
        return None;
    }
    let mut a = j - 1;
    if PRONOUNS.contains(&last.lower.as_str()) && !matches!(last.lower.as_str(), "this" | "that") {
        return Some((a, j));
    }
    if matches!(last.lower.as_str(), "this" | "that") {
        return None;
    }
    if matches!(last.lower.as_str(), "who" | "which") {
        return Some((a, j));
    }
    // "has already spurred reported changes": a verb, not a subject.
    if !last.upper && last.lower.ends_with("ed") && !(a > 0 && DETERMINERS.contains(&t[a - 1].lower.as_str())) {
        return None;
    }
    while a > 0 && j - a < 10 {
        let p = &t[a - 1];
        let possessive = matches!(p.lower.as_str(), "’s" | "'s" | "’" | "-" | "&");
        if !(p.word || possessive) || BOUNDARY.contains(&p.lower.as_str()) && !(p.lower == "of" && t[a].upper) {
            break;
        }
        a -= 1;
        // A determiner opens the noun phrase.
        if DETERMINERS.contains(&p.lower.as_str()) {
            break;
        }
    }
    // "officials in both cities insist": a prepositional phrase inside the subject, when the
    // phrase runs back to the start of the clause.
    if a > 1 && matches!(t[a - 1].lower.as_str(), "in" | "of" | "at" | "for" | "from" | "with" | "on") {
        let mut b = a - 1;
        while b > 0 && a - b < 8 && t[b - 1].word && !BOUNDARY.contains(&t[b - 1].lower.as_str()) {
            b -= 1;
        }
        if b < a - 1 && (b == 0 || !t[b - 1].word) {
            return Some((b, j));
        }
    }
    Some((a, j))
}

/// The words that open a sentence, up to its first verb-like word: the subject of a participle
/// ("Clinton, in her speech, said …, adding that …") when no source came before.
fn subject_of_sentence(t: &[Tok]) -> Option<Range<usize>> {
    let first = t.iter().position(|x| x.word)?;
    let mut e = first;
    while e < t.len() && t[e].word && e - first < 6 && !cue_forms().contains(t[e].lower.as_str()) && !BOUNDARY.contains(&t[e].lower.as_str()) && !SKIP_BEFORE_CUE.contains(&t[e].lower.as_str()) {
        e += 1;
    }
    (e > first).then(|| t[first].start..t[e - 1].end)
}

fn kind_of(src: &str) -> SourceKind {
    // "The document, reportedly composed in 2023": the head before an appositive says what it is.
    let whole = src;
    let src = src.split(", ").next().unwrap_or(src).trim();
    // "The Washington Post's Ed O'Keefe": the one speaking is the one the possessive owns.
    if let Some((_, owned)) = src.split_once("’s ").or_else(|| src.split_once("'s ")) {
        if !owned.is_empty() && owned.split_whitespace().all(|w| w.starts_with(char::is_uppercase)) {
            return kind_of(owned);
        }
    }
    // "Ryan of Wisconsin", "a columnist for Pando", "audio provided to The Times": what is named
    // comes before its modifiers.
    let src = noun_head(src);
    let lower = src.to_lowercase();
    // "the people familiar with …" is as vague as "people familiar with …".
    let first = lower.split_whitespace().find(|w| *w != "the").unwrap_or("");
    let head = lower.split_whitespace().last().unwrap_or("");
    if matches!(first, "he" | "she" | "they" | "it" | "we" | "i" | "you" | "sources" | "officials" | "experts" | "analysts" | "aides" | "people" | "critics" | "observers" | "diplomats")
        || lower.split_whitespace().any(|w| matches!(w, "source" | "sources" | "official" | "officials" | "aide" | "aides")) && !src.chars().next().is_some_and(char::is_uppercase)
        || lower.contains("percent")
        || lower.contains('%')
    {
        return SourceKind::Unnamed;
    }
    // Quantifiers standing for people ("Others suggest …", "Some Democrats said …") name nobody,
    // unless an apposition names someone ("Another pollster, David Woodard of Clemson University").
    if matches!(first, "others" | "some" | "many" | "several" | "most" | "few" | "these" | "those" | "someone" | "somebody" | "another" | "witnesses" | "insiders")
        && !whole.split(", ").skip(1).any(|p| p.chars().next().is_some_and(char::is_uppercase))
        && !crate::entities_in(whole).iter().any(|e| e.kind == dossier_model::EntityKind::Person)
    {
        return SourceKind::Unnamed;
    }
    if is_role(&lower) || titled_name(src) {
        return SourceKind::Person;
    }
    if crate::publication_like(src) || is_outlet(src) {
        return SourceKind::Publication;
    }
    static DOC_NAME: OnceLock<Regex> = OnceLock::new();
    let doc_name = DOC_NAME.get_or_init(|| Regex::new(&format!(r"(?i)\b{DOCUMENT}$")).expect("valid regex"));
    if doc_name.is_match(&lower) || matches!(head, "declaration" | "readout" | "reply" | "audio" | "video" | "footage" | "recording" | "filings" | "minutes" | "testimony" | "letters" | "memos") {
        return SourceKind::Document;
    }
    if is_government(src) {
        return SourceKind::GovernmentBody;
    }
    // "American officials", "Chinese military commentators", "the men": a group, nobody named.
    if head.ends_with('s') && head.chars().all(char::is_lowercase) && !matches!(head, "news" | "times" | "always") {
        return SourceKind::Unnamed;
    }
    let ents = crate::entities_in(src);
    let words: Vec<&str> = src.split_whitespace().collect();
    match ents.first().map(|e| e.kind) {
        Some(dossier_model::EntityKind::Person) => SourceKind::Person,
        Some(dossier_model::EntityKind::Publication) => SourceKind::Publication,
        // "BuzzFeed", "YouTube": a capital inside one word is a brand, not a person's name.
        _ if words.len() == 1 && src.chars().skip(1).any(char::is_uppercase) && src.chars().any(char::is_lowercase) => SourceKind::Organisation,
        _ if (1..=3).contains(&words.len())
            && words.iter().all(|w| w.chars().next().is_some_and(char::is_uppercase))
            && ents.iter().all(|e| e.kind != dossier_model::EntityKind::Organisation)
            && !src.starts_with("The ") =>
        {
            SourceKind::Person
        }
        // "A student": somebody, not named.
        _ if matches!(first, "a" | "an") => SourceKind::Unnamed,
        _ if !src.chars().next().is_some_and(char::is_uppercase) && !src.starts_with("the ") => SourceKind::Unnamed,
        _ => SourceKind::Organisation,
    }
}

/// The words of a source before its modifiers: a preposition, a relative pronoun or a
/// participle ("audio provided to …") ends the head; "of" only after a bare name ("Ryan of
/// Wisconsin", "Lee Wang of The Intercept", not "University of Texas").
fn noun_head(src: &str) -> &str {
    let mut at = 0;
    let mut before: Vec<&str> = Vec::new();
    let words: Vec<&str> = src.split(' ').collect();
    for (i, &w) in words.iter().enumerate() {
        // "a member tweeting from inside", "the guys tackling": a participle, not "a planning document".
        let participle = w.len() > 5
            && w.ends_with("ing")
            && w.starts_with(char::is_lowercase)
            && words.get(i + 1).is_none_or(|n| matches!(*n, "from" | "to" | "in" | "on" | "at" | "about" | "that" | "the" | "a" | "an" | "for" | "with" | "his" | "her" | "their"));
        let cut = !before.is_empty()
            && (participle
                || matches!(
                    w,
                    "for"
                        | "at"
                        | "in"
                        | "from"
                        | "with"
                        | "on"
                        | "to"
                        | "by"
                        | "who"
                        | "which"
                        | "that"
                        | "whose"
                        | "provided"
                        | "filed"
                        | "published"
                        | "released"
                        | "obtained"
                        | "seen"
                        | "reviewed"
                        | "sent"
                        | "written"
                        | "issued"
                        | "posted"
                        | "leaked"
                        | "prepared"
                )
                || w == "of" && before.iter().all(|b| b.starts_with(char::is_uppercase) && !crate::entities::org_word(b)) && before.len() <= 3);
        if cut {
            return src[..at].trim_end();
        }
        before.push(w);
        at += w.len() + 1;
    }
    src
}

/// A name after a title or a role noun ("Sen. Lindsey Graham", "MSNBC reporter Alex Seitz-Wald",
/// "former neurosurgeon Ben Carson"): one to three capitalised words after it, ending the phrase.
fn titled_name(src: &str) -> bool {
    let words: Vec<&str> = src.split_whitespace().collect();
    words.iter().enumerate().any(|(i, w)| {
        let rest = &words[i + 1..];
        (1..=3).contains(&rest.len())
            && rest.iter().all(|r| r.starts_with(char::is_uppercase) && !crate::entities::org_word(r))
            && matches!(
                w.trim_end_matches('.').to_lowercase().as_str(),
                "sen"
                    | "rep"
                    | "gov"
                    | "president"
                    | "senator"
                    | "governor"
                    | "dr"
                    | "mr"
                    | "ms"
                    | "mrs"
                    | "professor"
                    | "prof"
                    | "chief"
                    | "strategist"
                    | "reporter"
                    | "correspondent"
                    | "columnist"
                    | "editor"
                    | "spokesman"
                    | "spokeswoman"
                    | "spokesperson"
                    | "director"
                    | "chairman"
                    | "chairwoman"
                    | "ceo"
                    | "secretary"
                    | "adviser"
                    | "advisor"
                    | "aide"
                    | "candidate"
                    | "attorney"
                    | "lawyer"
                    | "economist"
                    | "analyst"
                    | "founder"
                    | "executive"
                    | "manager"
                    | "coach"
                    | "officer"
                    | "pollster"
                    | "judge"
                    | "justice"
                    | "minister"
                    | "ambassador"
                    | "mayor"
                    | "sheriff"
                    | "general"
                    | "commander"
                    | "representative"
                    | "congressman"
                    | "congresswoman"
                    | "leader"
                    | "speaker"
                    | "neurosurgeon"
                    | "author"
                    | "writer"
                    | "actor"
                    | "actress"
                    | "host"
                    | "anchor"
            )
    })
}

/// One person named by a role ("the spokesman", "a spokesman for the special counsel", "his lawyer"):
/// the head noun, before any "for"/"of" phrase, is singular and a role.
fn is_role(lower: &str) -> bool {
    let head = lower.split([',', '(']).next().unwrap_or(lower);
    let head = head.split(" for ").next().unwrap_or(head).split(" of ").next().unwrap_or(head).split(" at ").next().unwrap_or(head);
    let words: Vec<&str> = head.split_whitespace().collect();
    let first_lower = words.first().is_some_and(|w| matches!(*w, "the" | "a" | "an" | "his" | "her" | "their" | "its"));
    // "a senior adviser": a role, but nobody on the record.
    first_lower
        && !words.contains(&"senior")
        && words.last().is_some_and(|w| {
            matches!(
                *w,
                "spokesman"
                    | "spokeswoman"
                    | "spokesperson"
                    | "lawyer"
                    | "attorney"
                    | "counsel"
                    | "secretary"
                    | "adviser"
                    | "advisor"
                    | "prosecutor"
                    | "judge"
                    | "senator"
                    | "congressman"
                    | "congresswoman"
                    | "president"
                    | "chairman"
                    | "chairwoman"
                    | "director"
                    | "minister"
                    | "ambassador"
                    | "governor"
                    | "mayor"
                    | "sheriff"
                    | "representative"
                    | "columnist"
                    | "actor"
                    | "actress"
                    | "wife"
                    | "husband"
                    | "man"
                    | "woman"
                    | "father"
                    | "mother"
                    | "son"
                    | "daughter"
                    | "brother"
                    | "sister"
                    | "candidate"
                    | "reporter"
                    | "writer"
                    | "author"
                    | "economist"
                    | "professor"
                    | "founder"
                    | "owner"
                    | "host"
                    | "anchor"
                    | "editor"
                    | "correspondent"
                    | "pollster"
                    | "strategist"
                    | "chief"
                    | "leader"
                    | "friend"
                    | "neighbor"
                    | "neighbour"
            )
        })
}

/// News outlets often cited by name alone, which no press word gives away.
const OUTLETS: &[&str] = &[
    "BuzzFeed",
    "CNN",
    "MSNBC",
    "NBC",
    "ABC",
    "CBS",
    "NPR",
    "PBS",
    "Politico",
    "Axios",
    "Bloomberg",
    "HuffPost",
    "Breitbart",
    "Fox",
    "Vox",
    "Slate",
    "Salon",
    "Yahoo",
    "Newsweek",
    "TMZ",
    "Gawker",
    "Mediaite",
    "Vice",
    "Forbes",
    "Fortune",
    "Time",
    "Reuters",
    "AFP",
    "AP",
];

fn is_outlet(src: &str) -> bool {
    let name = src.trim_start_matches("The ").trim_start_matches("the ");
    name.split_whitespace().next().is_some_and(|w| OUTLETS.contains(&w.trim_end_matches(['’', '\'']).trim_end_matches("’s").trim_end_matches("'s")))
}

/// Words that make a named body part of a state: ministries, agencies, courts, legislatures, police, forces.
const GOVERNMENT_WORDS: &[&str] = &[
    "department",
    "ministry",
    "pentagon",
    "kremlin",
    "congress",
    "senate",
    "parliament",
    "police",
    "court",
    "government",
    "administration",
    "agency",
    "fbi",
    "cia",
    "nsa",
    "army",
    "navy",
    "military",
    "prosecutors",
    "authorities",
    "treasury",
    "commission",
    "city council",
    "security council",
    "judicial",
    "house intelligence",
    "house judiciary",
    "house oversight",
    "intelligence committee",
    "judiciary committee",
    "white house",
    "state department",
    "justice department",
    "special counsel’s office",
    "special counsel's office",
    "office",
    "bureau",
    "cabinet",
    "rcmp",
    "doj",
    "dhs",
    "epa",
    "nypd",
    "lapd",
    "atf",
    "dea",
    "nasa",
    "irs",
    "fcc",
    "fda",
    "cdc",
    "legislature",
    "embassy",
    "coast guard",
    "secret service",
    "prosecutor’s office",
    "sheriff’s office",
];

fn is_government(src: &str) -> bool {
    let lower = src.to_lowercase();
    GOVERNMENT_WORDS.iter().any(|w| if w.contains(' ') { lower.contains(w) } else { lower.split(|c: char| !c.is_alphanumeric()).any(|x| x == *w) })
}

/// Finds the attribution of one sentence, if it has one: the named source
/// first ("according to" before a verb cue), built on [`attributions_in`].
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
    best_attribution(sentence, 0, attributions_in(sentence).iter())
}

/// The attribution each sentence carries, found over the whole text so that a sentence inside a
/// quotation spanning several sentences (`“A. B,” Smith said.`) is attributed too: first a cue in
/// the sentence itself, else a named source whose content holds the sentence. `sentences` are byte
/// ranges into `text`, as [`crate::split_sentences`] gives them.
///
/// ```
/// let text = "“The plan will fail. We all know it,” Smith said. Prices rose.";
/// let s = dossier_enrich::split_sentences(text);
/// let a = dossier_enrich::sentence_attributions(text, &s.iter().map(|s| s.start..s.end).collect::<Vec<_>>());
/// assert_eq!(a[0].as_ref().map(|a| a.source.as_str()), Some("Smith"));
/// assert_eq!(a[1].as_ref().map(|a| a.cue.as_str()), Some("said"));
/// assert_eq!(a[2], None);
/// ```
pub fn sentence_attributions(text: &str, sentences: &[Range<usize>]) -> Vec<Option<Attribution>> {
    let spans = attributions_in(text);
    sentences
        .iter()
        .map(|r| {
            best_attribution(text, r.start, spans.iter().filter(|a| r.start <= a.cue.start && a.cue.end <= r.end))
                .or_else(|| best_attribution(text, r.start, spans.iter().filter(|a| a.content.start <= r.start && r.end <= a.content.end + 1 && !matches!(a.kind, Some(SourceKind::Unnamed)))))
        })
        .collect()
}

/// Where an opening subordinate clause ("While …,", "Although …,") of the sentence at `start` ends, or `start`.
fn subordinate_end(text: &str, start: usize) -> usize {
    let rest = text[start..].trim_start();
    let at = text.len() - rest.len();
    let opener = ["While ", "Although ", "Though ", "Despite ", "As ", "Even as ", "Whereas ", "If ", "When ", "After ", "Before "].iter().any(|o| rest.starts_with(o));
    if !opener {
        return start;
    }
    // The clause ends at its first comma, also one inside closing quotes ("… a 'golden era,' a memo …"),
    // within the sentence.
    let comma =
        rest.char_indices().take_while(|&(_, c)| !matches!(c, '.' | '!' | '?')).find(|&(i, c)| c == ',' && rest[i + 1..].trim_start_matches(['\'', '’', '"', '”']).starts_with(char::is_whitespace));
    comma.map_or(start, |(i, _)| at + i)
}

/// Byte ranges of the parentheticals in the sentence at `start`: between a pair of dashes
/// ("a document—the authenticity of which has been confirmed by Western agencies—reveals …")
/// or brackets. A cue inside one is an aside, not the sentence's attribution.
fn parentheticals(text: &str, start: usize) -> Vec<Range<usize>> {
    let end = text[start..].find(['.', '!', '?']).map_or(text.len(), |e| start + e);
    let s = &text[start..end];
    let mut out = Vec::new();
    let dashes: Vec<usize> = s.match_indices(['—', '–']).map(|(i, _)| start + i).collect();
    for pair in dashes.chunks_exact(2) {
        out.push(pair[0]..pair[1]);
    }
    let mut open = None;
    for (i, c) in s.char_indices() {
        match c {
            '(' => open = Some(start + i),
            ')' => {
                if let Some(o) = open.take() {
                    out.push(o..start + i);
                }
            }
            _ => {}
        }
    }
    out
}

fn best_attribution<'a>(text: &str, sentence_start: usize, spans: impl Iterator<Item = &'a AttributionSpan>) -> Option<Attribution> {
    let subordinate_end = subordinate_end(text, sentence_start);
    let asides = parentheticals(text, sentence_start);
    let aside = |a: &AttributionSpan| a.cue.start < subordinate_end || asides.iter().any(|r| r.contains(&a.cue.start));
    let best = spans
        // A claim's authority is what someone said or a document states, not what they believe;
        // participles ("…, revealing …") name their subject only loosely; and the subject of
        // "appears"/"seems" is what the claim is about, not who makes it ("the alliance appears
        // entrenched" is the writer's judgement).
        .filter(|a| {
            let cue = text[a.cue.clone()].to_lowercase();
            a.source.is_some() && !BELIEF.contains(&cue.as_str()) && !APPEARANCE.contains(&cue.as_str()) && !cue.ends_with("ing")
        })
        // The main clause's attribution, not one in an opening subordinate clause
        // ("While X has portrayed A as B, a memo reveals that C": the memo, not X) or an aside.
        .min_by_key(|a| (!text[a.cue.clone()].starts_with("according") as u8, matches!(a.kind, Some(SourceKind::Unnamed)) as u8, aside(a) as u8, a.cue.start))?;
    let src = best.source.clone()?;
    let mut source = text[src].trim().trim_end_matches(['.', ',']);
    // An apposition is not part of the name ("The document, reportedly composed in 2023, …").
    if let Some((head, _)) = source.split_once(", ") {
        if head.chars().filter(|c| c.is_alphabetic()).count() >= 2 {
            source = head;
        }
    }
    // Clause-initial function words are not part of a name ("As The New York Times notes").
    while let Some((first, rest)) = source.split_once(char::is_whitespace) {
        if matches!(first, "As" | "While" | "But" | "And" | "Although" | "Though" | "Since" | "If" | "When" | "In" | "On" | "At" | "For" | "Despite" | "Yet" | "So") {
            source = rest.trim_start();
        } else {
            break;
        }
    }
    Some(Attribution { source: source.to_string(), kind: kind_of(source), cue: text[best.cue.clone()].to_string() })
}

/// Byte offsets to character (Unicode scalar) offsets, for scorers that index Python strings.
/// Counts from the start each time; for many ranges over one text use [`CharOffsets`].
pub fn char_offsets(text: &str, r: &Range<usize>) -> [usize; 2] {
    [text[..r.start].chars().count(), text[..r.end].chars().count()]
}

/// Byte-to-character offset conversion for one text, in logarithmic time per offset: it keeps
/// only the multi-byte characters, with the bytes they add so far.
///
/// ```
/// let text = "Zoë said “yes”.";
/// let c = dossier_enrich::CharOffsets::new(text);
/// let b = text.find("yes").unwrap();
/// assert_eq!(c.range(&(b..b + 3)), [10, 13]);
/// assert_eq!(c.range(&(0..text.len())), [0, text.chars().count()]);
/// ```
#[derive(Debug, Clone)]
pub struct CharOffsets {
    /// (byte just after a multi-byte character, extra bytes of all such characters up to it).
    ends: Vec<(usize, usize)>,
}

impl CharOffsets {
    pub fn new(text: &str) -> Self {
        let mut extra = 0;
        let ends = text
            .char_indices()
            .filter(|(_, c)| c.len_utf8() > 1)
            .map(|(i, c)| {
                extra += c.len_utf8() - 1;
                (i + c.len_utf8(), extra)
            })
            .collect();
        Self { ends }
    }

    /// The character offset of a byte offset that falls on a character boundary.
    pub fn char_at(&self, byte: usize) -> usize {
        let k = self.ends.partition_point(|&(end, _)| end <= byte);
        byte - if k == 0 { 0 } else { self.ends[k - 1].1 }
    }

    pub fn range(&self, r: &Range<usize>) -> [usize; 2] {
        [self.char_at(r.start), self.char_at(r.end)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_attributed_by_its_main_clause() {
        let a = attribution_in("While President Vladimir Putin has portrayed ties as a golden era, a secret planning document reveals that Chinese spies are a threat.").unwrap();
        assert_eq!((a.source.as_str(), a.cue.as_str()), ("a secret planning document", "reveals"));
        // The same as Daily8 printed it: the opening clause ends at a comma inside quotes, and an
        // aside between dashes ("confirmed by … agencies") is not the claim's source either.
        let a = attribution_in("While President Vladimir Putin has portrayed Russia's relationship with China as entering a 'golden era,' a secret planning document—the authenticity of which has been confirmed by multiple Western intelligence agencies —reveals that Chinese intelligence is being treated as a major threat behind closed doors.").unwrap();
        assert_eq!((a.source.as_str(), a.cue.as_str(), a.kind), ("a secret planning document", "reveals", SourceKind::Document));
        let a = attribution_in("After Scalia said that some students might do better at \"less advanced schools,\" Trump said: \"I don't like what he said.\"").unwrap();
        assert_eq!(a.source, "Trump");
        // An apposition after the source is not part of its name.
        let a = attribution_in("The document, reportedly composed in late 2023, warns of growing Chinese espionage.").unwrap();
        assert_eq!((a.source.as_str(), a.kind), ("The document", SourceKind::Document));
    }

    #[test]
    fn vague_sources_name_nobody() {
        // A capitalised quantifier at the start of a sentence is not a person's name.
        for (text, source) in [
            ("Others suggest the opposite: that Putin is fully aware of the risks.", "Others"),
            ("Some argue the sanctions have failed.", "Some"),
            ("Several warned that the talks would fail.", "Several"),
        ] {
            let a = attribution_in(text).unwrap();
            assert_eq!((a.source.as_str(), a.kind), (source, SourceKind::Unnamed), "{text}");
        }
        // Names keep their kind, also after a vague head.
        assert_eq!(kind_of("Both Clinton and Trump"), SourceKind::Person);
        assert_ne!(kind_of("Another pollster, David Woodard of Clemson University"), SourceKind::Unnamed);
        assert_eq!(kind_of("Dmitry Peskov"), SourceKind::Person);
    }

    /// A source is a noun phrase: an adverb or a verb group between it and the cue is not part of it.
    #[test]
    fn sources_are_noun_phrases_not_clause_fragments() {
        for (text, source) in [
            ("The New York Times has not independently confirmed the account, which BuzzFeed said came from two officials.", "The New York Times"),
            ("Mr. Trump vigorously denied the report on Friday.", "Mr. Trump"),
            ("The Department of Homeland Security strongly denied that the fence had failed.", "The Department of Homeland Security"),
            ("Sony did not immediately say whether the film would be released.", "Sony"),
        ] {
            let a = attribution_in(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(a.source, source, "{text}");
        }
        // The span itself is cut, so the scored source is the name.
        let text = "Mueller's team is investigating the leak, and Mueller's team has said nothing.";
        for a in attributions_in(text) {
            let src = &text[a.source.unwrap()];
            assert!(!src.contains(" is ") && !src.contains(" has"), "{src}");
        }
    }

    #[test]
    fn kinds_of_sources() {
        for (src, kind) in [
            ("the spokesman", SourceKind::Person),
            ("a spokesman for the special counsel", SourceKind::Person),
            ("BuzzFeed", SourceKind::Publication),
            ("CNN", SourceKind::Publication),
            ("The Justice Department", SourceKind::GovernmentBody),
            ("the Pentagon", SourceKind::GovernmentBody),
            ("The White House", SourceKind::GovernmentBody),
            ("federal prosecutors", SourceKind::GovernmentBody),
            ("Representative Adam B. Schiff", SourceKind::Person),
            ("Mr. Schiff", SourceKind::Person),
            ("two law enforcement officials", SourceKind::Unnamed),
            ("people familiar with the investigation", SourceKind::Unnamed),
            ("The memo", SourceKind::Document),
        ] {
            assert_eq!(kind_of(src), kind, "{src}");
        }
    }

    fn one(text: &str) -> (Option<String>, String, String) {
        let a = attributions_in(text);
        assert_eq!(a.len(), 1, "{text}: {a:?}");
        let a = &a[0];
        (a.source.clone().map(|r| text[r].to_string()), text[a.cue.clone()].to_string(), text[a.content.clone()].to_string())
    }

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

    #[test]
    fn indirect_speech_after_the_cue() {
        let (s, c, x) = one("Law enforcement experts said that once Fields filed her complaint, police had no choice.");
        assert_eq!((s.as_deref(), c.as_str()), (Some("Law enforcement experts"), "said"));
        assert_eq!(x, "that once Fields filed her complaint, police had no choice");
        let (s, _, x) = one("Trump told reporters on Monday that the wall would be built.");
        assert_eq!(s.as_deref(), Some("Trump"));
        assert_eq!(x, "that the wall would be built");
    }

    #[test]
    fn direct_quote_before_and_after() {
        assert_eq!(one("“We will win this state,” Clinton said on Tuesday."), (Some("Clinton".into()), "said".into(), "“We will win this state,”".into()));
        assert_eq!(one("\"It is a disgrace,\" said Senator Jones."), (Some("Senator Jones".into()), "said".into(), "\"It is a disgrace,\"".into()));
        let (s, _, x) = one("She said: “Nobody will stop us now.”");
        assert_eq!(s.as_deref(), Some("She"));
        assert_eq!(x, "“Nobody will stop us now.”");
    }

    #[test]
    fn multi_sentence_quotes_are_one_content() {
        let t = "“We are ready. We will win,” she said. “Nobody can stop us.”\n\nThe rally ended.";
        let (s, _, x) = one(t);
        assert_eq!(s.as_deref(), Some("she"));
        assert_eq!(x, "“We are ready. We will win,” she said. “Nobody can stop us.”");
        let t = "“First,” he added, “we fix the roads.”";
        assert_eq!(one(t).2, t);
    }

    #[test]
    fn content_before_the_cue_and_pronouns() {
        let (s, c, x) = one("But a campaign operative decided to change course, a source said.");
        assert_eq!((s.as_deref(), c.as_str(), x.as_str()), (Some("a source"), "said", "But a campaign operative decided to change course"));
        let t = "The plan will fail, he warned.";
        let a = &attributions_in(t)[0];
        assert_eq!(&t[a.source.clone().unwrap()], "he");
        assert_eq!(a.kind, Some(SourceKind::Unnamed));
    }

    #[test]
    fn according_to_and_reported_by() {
        let (s, c, x) = one("According to the Associated Press, the talks collapsed on Friday.");
        assert_eq!((s.as_deref(), c.as_str(), x.as_str()), (Some("the Associated Press"), "According to", "the talks collapsed on Friday"));
        let (s, _, x) = one("The talks collapsed on Friday, according to two officials.");
        assert_eq!((s.as_deref(), x.as_str()), (Some("two officials"), "The talks collapsed on Friday"));
        let (s, c, x) = one("The deal was struck in secret, as first reported by The Washington Post.");
        assert_eq!((s.as_deref(), c.as_str(), x.as_str()), (Some("The Washington Post"), "reported by", "The deal was struck in secret"));
    }

    #[test]
    fn questions_and_subjects_with_phrases() {
        let (s, c, x) = one("Asked by reporters whether he would run again, Smith smiled.");
        assert_eq!((s.as_deref(), c.as_str(), x.as_str()), (Some("reporters"), "Asked", "whether he would run again"));
        let t = "When asked about the wall, the mayor laughed.";
        let a = &attributions_in(t)[0];
        assert_eq!((a.source.clone(), &t[a.content.clone()]), (None, "the wall"));
        let (s, _, x) = one("There is no chance of violence, officials in both cities insist.");
        assert_eq!((s.as_deref(), x.as_str()), (Some("officials in both cities"), "There is no chance of violence"));
        let (s, _, x) = one("Sen. Bernie Sanders (I-Vt.) said he will release his records.");
        assert_eq!((s.as_deref(), x.as_str()), (Some("Sen. Bernie Sanders"), "he will release his records"));
    }

    #[test]
    fn appositive_and_inverted_sources() {
        let (s, _, x) = one("Brian Abernathy, the city's first deputy manager, said the flag was removed.");
        assert_eq!((s.as_deref(), x.as_str()), (Some("Brian Abernathy, the city's first deputy manager"), "the flag was removed"));
        let (s, _, x) = one("Nor are tariffs likely to bring jobs back, said David Autor, a professor of economics.");
        assert_eq!((s.as_deref(), x.as_str()), (Some("David Autor"), "Nor are tariffs likely to bring jobs back"));
        // A speech verb reported inside a quotation is part of the quotation's content.
        let t = "“He said no,” Smith recalled.";
        let a = attributions_in(t);
        assert_eq!(a.len(), 1);
        assert_eq!(&t[a[0].cue.clone()], "recalled");
    }

    #[test]
    fn mixed_quotation_marks_and_asides() {
        let (s, _, x) = one("“At this point, I don’t think there is bad publicity,\" said Mayor Don Guardian.");
        assert_eq!((s.as_deref(), x.as_str()), (Some("Mayor Don Guardian"), "“At this point, I don’t think there is bad publicity,\""));
        let t = "Donald Trump - who once praised the plan - said on Saturday that the border should close.";
        let said = attributions_in(t).into_iter().find(|a| &t[a.cue.clone()] == "said").unwrap();
        assert_eq!((&t[said.source.unwrap()], &t[said.content]), ("Donald Trump", "that the border should close"));
    }

    #[test]
    fn beliefs_and_headline_colons() {
        let (s, c, x) = one("Many voters believe that the economy is getting worse.");
        assert_eq!((s.as_deref(), c.as_str(), x.as_str()), (Some("Many voters"), "believe", "that the economy is getting worse"));
        let (s, c, x) = one("Trump: We will build the wall");
        assert_eq!((s.as_deref(), c.as_str(), x.as_str()), (Some("Trump"), ":", "We will build the wall"));
        assert!(attributions_in("Three steps: collect, clean and ship.").is_empty());
        assert_eq!(attribution_in("Many voters believe that the economy is getting worse."), None);
        // The subject of "appears" is the claim's topic, not its source.
        assert_eq!(attribution_in("And with over 40 meetings in recent years, the strategic alignment appears too deeply entrenched for mistrust to alter its course."), None);
        assert_eq!(attribution_in("The minister seems to have resigned, officials said.").map(|a| a.source), Some("officials".to_string()));
    }

    #[test]
    fn document_and_publication_sources() {
        let t = "The memo alleges that researchers are active.";
        let a = &attributions_in(t)[0];
        assert_eq!((&t[a.source.clone().unwrap()], &t[a.cue.clone()], a.kind), ("The memo", "alleges", Some(SourceKind::Document)));
        let t = "The New York Post reports that the team avoided the hospital.";
        let a = &attributions_in(t)[0];
        assert_eq!((&t[a.cue.clone()], a.kind), ("reports", Some(SourceKind::Publication)));
        assert_eq!(&t[a.content.clone()], "that the team avoided the hospital");
    }

    #[test]
    fn no_attribution_in_plain_prose() {
        assert!(attributions_in("The sky is blue and the grass is green. Prices rose 2 percent in May.").is_empty());
        assert!(attributions_in("He declined to say more.").is_empty() || !attributions_in("He declined to say more.").iter().any(|a| a.content.is_empty()));
        assert!(attributions_in("The United States said").is_empty());
    }

    #[test]
    fn offsets_are_char_boundaries_and_char_offsets_count_scalars() {
        let t = "Éric wrote: “Ça va.” Then “Oui,” Zoë said.";
        for a in attributions_in(t) {
            let _ = &t[a.content.clone()];
            let _ = &t[a.cue.clone()];
        }
        assert_eq!(char_offsets(t, &(0..5)), [0, 4]);
        let c = CharOffsets::new(t);
        for (b, _) in t.char_indices().chain([(t.len(), ' ')]) {
            assert_eq!(c.char_at(b), char_offsets(t, &(b..b))[0]);
        }
    }

    #[test]
    fn large_hostile_input_stays_fast() {
        // Many quotations and cues in one paragraph, and one endless "sentence".
        let para = "“Yes,” he said. ".repeat(20_000);
        let endless = "officials said that ".repeat(20_000);
        let text = format!("{para}\n{endless}\n“unclosed {}", "said \"".repeat(5_000));
        let t = std::time::Instant::now();
        let a = attributions_in(&text);
        assert!(a.len() >= 20_000, "{}", a.len());
        assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
    }

    #[test]
    fn speech_cue_subset() {
        assert!(is_speech_cue("said in a statement"));
        assert!(is_speech_cue("told"));
        assert!(!is_speech_cue("shows"));
    }
}
