//! Two actors over the stored articles: the sentences that mention both, when
//! (per day), and how each outlet speaks of each actor in them — the tone
//! towards that actor ([`Tone`]), read where the other one is present.
//!
//! An actor is an entity as enrichment finds it, asked for by its canonical
//! name or by a mention's wording (case-insensitive). Articles are first
//! narrowed to those whose text contains both names as asked, so an actor
//! named only by an alias in an article ("FSB" for "Federal Security
//! Service") is found where the asked name appears too. The newest sentences
//! are read first, at most [`MAX_SENTENCES`].

use std::collections::{BTreeMap, HashSet};
use std::ops::Range;

use dossier_model::{ActorPair, Article, PairDay, PairOutlet, PairOutletDay, PairSentence, ToneCounts};
use dossier_store::Store;

use crate::{Target, Tone, MAX_SENTENCE_BYTES};

/// Sentences read at most (newest first); the answer says when there were more.
pub const MAX_SENTENCES: usize = 2000;
/// Sentences the answer lists at most.
pub const MAX_EXAMPLES: usize = 200;
/// Longest actor name, in characters.
pub const MAX_ACTOR_CHARS: usize = 100;

/// Why two names cannot be a pair (empty, too long, the same actor twice), or `None`.
pub fn check_actors(a: &str, b: &str) -> Option<String> {
    for (name, v) in [("a", a), ("b", b)] {
        if v.trim().is_empty() {
            return Some(format!("actor {name} is empty"));
        }
        if v.chars().count() > MAX_ACTOR_CHARS {
            return Some(format!("actor {name} is longer than {MAX_ACTOR_CHARS} characters"));
        }
    }
    (a.trim().to_lowercase() == b.trim().to_lowercase()).then(|| format!("actors a and b are the same ({:?}); a pair needs two", a.trim()))
}

/// One sentence mentioning both, before its tone is read.
struct Found {
    article: usize,
    text: String,
    span_a: Range<usize>,
    span_b: Range<usize>,
}

/// Articles read from the store at a time, newest first, until [`MAX_SENTENCES`] are found.
const BATCH: usize = 256;

/// The pair `a`, `b` over every stored article, with the tone read by `tone`
/// when given (counts only without it). Call [`check_actors`] first. Reads every
/// article: [`pair_among`] reads only those a search index names.
pub fn pair(store: &dyn Store, a: &str, b: &str, tone: Option<&Tone>) -> anyhow::Result<ActorPair> {
    let mut all = Some(store.articles()?);
    pair_in(a, b, tone, &mut || Ok(all.take()))
}

/// The pair over `candidates` only (article ids, newest first: those that may name both,
/// the search index's `articles_naming_all`), read from the store a batch at a
/// time until [`MAX_SENTENCES`] are found. The same answer as [`pair`] when the candidates
/// include every article that names both.
pub fn pair_among(store: &dyn Store, candidates: &[String], a: &str, b: &str, tone: Option<&Tone>) -> anyhow::Result<ActorPair> {
    let mut batches = candidates.chunks(BATCH);
    pair_in(a, b, tone, &mut || batches.next().map(|ids| store.articles_by_id(ids)).transpose().map_err(anyhow::Error::from))
}

/// The pair over the articles `next` gives, batch by batch: each batch newer than the next.
fn pair_in(a: &str, b: &str, tone: Option<&Tone>, next: &mut dyn FnMut() -> anyhow::Result<Option<Vec<Article>>>) -> anyhow::Result<ActorPair> {
    let (a, b) = (a.trim(), b.trim());
    let (al, bl) = (a.to_lowercase(), b.to_lowercase());
    let mut articles: Vec<Article> = Vec::new();
    let mut found = Vec::new();
    let mut truncated = false;
    'batches: while let Some(mut batch) = next()? {
        batch.retain(|x| {
            let t = x.text.to_lowercase();
            !x.is_teaser() && t.contains(&al) && t.contains(&bl)
        });
        batch.sort_by(|x, y| y.time().cmp(&x.time()).then_with(|| x.id.cmp(&y.id)));
        for article in batch {
            let sentences = both_in(&article, &al, &bl);
            articles.push(article);
            for s in sentences {
                if found.len() == MAX_SENTENCES {
                    truncated = true;
                    break 'batches;
                }
                found.push(Found { article: articles.len() - 1, ..s });
            }
        }
    }
    let verdicts = match tone {
        Some(t) => {
            let targets: Vec<Target> = found.iter().flat_map(|f| [Target { sentence: &f.text, span: f.span_a.clone() }, Target { sentence: &f.text, span: f.span_b.clone() }]).collect();
            Some(t.classify(&targets)?)
        }
        None => None,
    };
    let sentences: Vec<PairSentence> = found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let art = &articles[f.article];
            let v = |k: usize| verdicts.as_ref().map(|v| v[2 * i + k].polarity.value());
            PairSentence {
                article: art.id.clone(),
                outlet: art.outlet.name.clone(),
                time: art.time(),
                text: f.text.clone(),
                mention_a: f.text[f.span_a.clone()].to_string(),
                mention_b: f.text[f.span_b.clone()].to_string(),
                toward_a: v(0),
                toward_b: v(1),
            }
        })
        .collect();
    Ok(aggregate(a, b, &sentences, tone.is_some(), truncated))
}

/// The sentences of an article that mention both actors (entities whose name
/// or a mention's wording is `al` / `bl`, lowercased), each with the first
/// mention of each in it, offsets into the sentence.
fn both_in(article: &Article, al: &str, bl: &str) -> Vec<Found> {
    let e = dossier_enrich::enrich(article);
    let mentions = |who: &str| -> Vec<Range<usize>> {
        let mut m: Vec<Range<usize>> =
            e.entities.iter().filter(|x| x.name.to_lowercase() == who || x.mentions.iter().any(|m| m.text.to_lowercase() == who)).flat_map(|x| x.mentions.iter().map(|m| m.start..m.end)).collect();
        m.sort_by_key(|r| r.start);
        m
    };
    let (ma, mb) = (mentions(al), mentions(bl));
    let text = &e.article.text;
    let mut out = Vec::new();
    for s in &e.sentences {
        let (start, end) = (s.sentence.start, s.sentence.end);
        if s.is_heading || end - start > MAX_SENTENCE_BYTES || !text.is_char_boundary(start) || !text.is_char_boundary(end.min(text.len())) {
            continue;
        }
        let inside = |m: &&Range<usize>| m.start >= start && m.end <= end;
        let Some(ra) = ma.iter().find(inside) else { continue };
        let Some(rb) = mb.iter().find(|m| inside(m) && (m.end <= ra.start || m.start >= ra.end)) else { continue };
        out.push(Found { article: 0, text: text[start..end].to_string(), span_a: ra.start - start..ra.end - start, span_b: rb.start - start..rb.end - start });
    }
    out
}

/// Counts and means of tone values (-1, 0, 1).
fn counts(values: impl Iterator<Item = Option<i8>>) -> ToneCounts {
    let mut c = ToneCounts::default();
    for v in values.flatten() {
        match v {
            -1 => c.negative += 1,
            0 => c.neutral += 1,
            _ => c.positive += 1,
        }
    }
    let n = c.negative + c.neutral + c.positive;
    c.mean = (n > 0).then(|| (c.positive as f32 - c.negative as f32) / n as f32);
    c
}

/// The pair's days, outlets (most sentences first, then by name) and examples.
fn aggregate(a: &str, b: &str, sentences: &[PairSentence], tone: bool, truncated: bool) -> ActorPair {
    let day = |s: &PairSentence| s.time.format("%Y-%m-%d").to_string();
    let mut days: BTreeMap<String, (HashSet<&str>, usize)> = BTreeMap::new();
    let mut outlets: BTreeMap<&str, Vec<&PairSentence>> = BTreeMap::new();
    for s in sentences {
        let d = days.entry(day(s)).or_default();
        d.0.insert(&s.article);
        d.1 += 1;
        outlets.entry(&s.outlet).or_default().push(s);
    }
    let mut outlets: Vec<PairOutlet> = outlets
        .into_iter()
        .map(|(outlet, ss)| {
            let mut by_day: BTreeMap<String, Vec<&PairSentence>> = BTreeMap::new();
            for s in &ss {
                by_day.entry(day(s)).or_default().push(s);
            }
            PairOutlet {
                outlet: outlet.to_string(),
                articles: ss.iter().map(|s| &s.article).collect::<HashSet<_>>().len(),
                sentences: ss.len(),
                toward_a: counts(ss.iter().map(|s| s.toward_a)),
                toward_b: counts(ss.iter().map(|s| s.toward_b)),
                days: by_day
                    .into_iter()
                    .map(|(day, ds)| PairOutletDay { day, sentences: ds.len(), toward_a: counts(ds.iter().map(|s| s.toward_a)), toward_b: counts(ds.iter().map(|s| s.toward_b)) })
                    .collect(),
            }
        })
        .collect();
    outlets.sort_by(|x, y| y.sentences.cmp(&x.sentences).then_with(|| x.outlet.cmp(&y.outlet)));
    ActorPair {
        a: a.to_string(),
        b: b.to_string(),
        articles: sentences.iter().map(|s| &s.article).collect::<HashSet<_>>().len(),
        sentences: sentences.len(),
        tone,
        days: days.into_iter().map(|(day, (arts, n))| PairDay { day, articles: arts.len(), sentences: n }).collect(),
        outlets,
        examples: sentences.iter().take(MAX_EXAMPLES).cloned().collect(),
        truncated,
    }
}
