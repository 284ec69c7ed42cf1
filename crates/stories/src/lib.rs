//! Stories: enriched articles -> [`Story`] groups.
//!
//! Articles are taken in publication order and each joins the most similar
//! open story or starts one (single-pass clustering, as streaming news
//! clusterers do). Similarity combines wording — the cosine of TF-IDF vectors
//! built from the title (weighted most), the lead, the body and canonical
//! entities — with meaning — the cosine of sentence embeddings
//! (all-MiniLM-L6-v2, see `dossier-embed`) where they are available — and is
//! damped by the time between article and story. When an article bridges two
//! stories that have converged, they merge.
//!
//! [`Clusterer`] is the streaming core: memory is bounded by the window of
//! active stories (a story idle for longer than the time decay allows to
//! match is closed and handed back), and candidate stories come from an
//! inverted index over rare terms, so the cost per article does not grow with
//! the stream. [`cluster`] runs it over articles in memory. Both are pure
//! functions of their input: the same articles always give the same stories
//! with the same ids, whatever the thread count.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dossier_enrich::{terms, Enriched};
use dossier_model::{stable_id, Story};

pub mod syndication;

/// Clustering settings; the defaults are what dossier uses everywhere
/// (headlines, full articles, any language).
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Minimum similarity for an article to join a story.
    pub join_threshold: f64,
    /// Similarity halves for every this many days between article and story.
    pub half_life_days: f64,
    pub title_weight: f64,
    pub lead_weight: f64,
    pub entity_weight: f64,
    /// Minimum similarity of two stories for them to merge.
    pub merge_threshold: f64,
    /// Share of the similarity that comes from meaning (embedding cosine)
    /// when both sides have embeddings; the rest comes from wording.
    pub embedding_weight: f64,
    /// Embedding cosine that counts as no evidence at all (unrelated news
    /// sentences sit around it); cosines above it are rescaled to 0..1.
    pub embedding_floor: f64,
    /// Texts with up to this many distinct terms (a headline, a lead) give
    /// meaning its full weight; longer ones give it less, by the square
    /// root of the ratio: the longer the text, the more reliable its TF-IDF
    /// cosine, and the less a title-and-lead embedding (which tells the
    /// topic more than the event) should outvote it.
    pub short_text_terms: f64,
    /// A story stops taking articles once it has this many members, or once
    /// its articles span this many days: the next article that would join
    /// it starts a follow-up story linked to it instead. A running topic
    /// (a war, a campaign) otherwise chains into one story of thousands of
    /// articles over months, which no reader can take in and whose analysis
    /// every arrival would pay for.
    pub max_members: usize,
    pub max_span_days: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            join_threshold: 0.22,
            half_life_days: 7.0,
            title_weight: 3.0,
            lead_weight: 2.0,
            entity_weight: 2.0,
            // Two stories merge when they are as alike as an article must be to join one.
            merge_threshold: 0.22,
            embedding_weight: 0.5,
            embedding_floor: 0.4,
            short_text_terms: 40.0,
            max_members: 500,
            max_span_days: 7.0,
        }
    }
}

impl Settings {
    /// Days of idleness after which a story can no longer be joined: even a
    /// perfect match, decayed over that time, falls below the join threshold.
    pub fn horizon_days(&self) -> f64 {
        self.half_life_days * (1.0 / self.join_threshold.max(1e-6)).log2()
    }

    fn decay(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Option<f64> {
        let days = (a - b).num_seconds().abs() as f64 / 86_400.0;
        (days <= self.horizon_days()).then(|| 0.5f64.powf(days / self.half_life_days))
    }

    /// Wording and meaning combined (before time decay); `terms` is the
    /// number of distinct terms of the shorter side.
    fn combine(&self, lexical: f64, meaning: Option<f64>, terms: f64) -> f64 {
        match meaning {
            None => lexical,
            Some(c) => {
                let m = ((c - self.embedding_floor) / (1.0 - self.embedding_floor)).max(0.0);
                let w = self.embedding_weight * (self.short_text_terms / terms.max(1.0)).sqrt().min(1.0);
                (1.0 - w) * lexical + w * m
            }
        }
    }
}

/// Weighted term counts of one article, before rarity weighting.
pub type Counts = HashMap<String, f64>;

/// What an article says, as weighted terms: title, lead and body words
/// (stemmed, stopwords dropped) and canonical entities.
pub fn counts(e: &Enriched, s: &Settings) -> Counts {
    let mut v = Counts::new();
    for t in terms(&e.article.title) {
        *v.entry(t).or_default() += s.title_weight;
    }
    for (i, sent) in e.sentences.iter().enumerate() {
        let w = if i < 2 { s.lead_weight } else { 1.0 };
        for t in terms(&sent.sentence.text) {
            *v.entry(t).or_default() += w;
        }
    }
    for ent in &e.entities {
        *v.entry(format!("entity:{}", ent.name)).or_default() += s.entity_weight * (ent.mentions.len() as f64).sqrt();
    }
    v
}

/// The text an article's embedding is computed from: its title and lead
/// (what a reader sees first, and what the model reads best).
pub fn embedding_text(e: &Enriched) -> String {
    let mut out = e.article.title.trim().to_string();
    let mut words = out.split_whitespace().count();
    for s in &e.sentences {
        if words >= 60 {
            break;
        }
        let t = s.sentence.text.trim();
        if t.is_empty() || out.contains(t) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(if out.ends_with(['.', '!', '?']) { " " } else { ". " });
        }
        out.push_str(t);
        words += t.split_whitespace().count();
    }
    out
}

/// Document frequencies: in how many articles each term occurs.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Vocabulary {
    ids: HashMap<String, u32>,
    df: Vec<u32>,
    docs: u64,
}

/// An article's unit TF-IDF vector over interned terms, heaviest term first.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Vector(pub Vec<(u32, f64)>);

impl Vocabulary {
    /// Counts one article's terms.
    pub fn add(&mut self, c: &Counts) {
        self.docs += 1;
        for k in c.keys() {
            let next = self.ids.len() as u32;
            let id = *self.ids.entry(k.clone()).or_insert(next);
            if id as usize == self.df.len() {
                self.df.push(0);
            }
            self.df[id as usize] += 1;
        }
    }

    pub fn terms(&self) -> usize {
        self.ids.len()
    }

    /// Articles counted so far.
    pub fn docs(&self) -> u64 {
        self.docs
    }

    /// The vocabulary as parts to persist: articles counted, and each term
    /// with its document frequency, in id order.
    pub fn to_parts(&self) -> (u64, Vec<(&str, u32)>) {
        let mut terms: Vec<(&str, u32)> = vec![("", 0); self.df.len()];
        for (t, &id) in &self.ids {
            terms[id as usize] = (t.as_str(), self.df[id as usize]);
        }
        (self.docs, terms)
    }

    /// The vocabulary [`to_parts`](Self::to_parts) gave.
    pub fn from_parts(docs: u64, terms: Vec<(String, u32)>) -> Vocabulary {
        let mut v = Vocabulary { ids: HashMap::with_capacity(terms.len()), df: Vec::with_capacity(terms.len()), docs };
        for (t, df) in terms {
            v.ids.insert(t, v.df.len() as u32);
            v.df.push(df);
        }
        v
    }

    /// The article's TF-IDF vector: `(1 + ln tf) * ln((N + 1) / df)`, unit length.
    /// Terms the vocabulary has not seen count as seen once.
    pub fn vector(&self, c: &Counts) -> Vector {
        let n = self.docs as f64;
        let mut v: Vec<(u32, f64)> = c
            .iter()
            .filter_map(|(k, tf)| {
                let id = *self.ids.get(k)?;
                let w = (1.0 + tf.ln()) * ((n + 1.0) / self.df[id as usize].max(1) as f64).ln();
                (w > 0.0).then_some((id, w))
            })
            .collect();
        let norm = v.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        if norm > 0.0 {
            v.iter_mut().for_each(|(_, w)| *w /= norm);
        }
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Vector(v)
    }

    /// Terms in more than 5% of all articles are not looked up for
    /// candidates: their postings would name most stories, and they carry
    /// too little weight to decide a match.
    fn too_common(&self, term: u32) -> bool {
        let d = self.df.get(term as usize).copied().unwrap_or(0);
        d > 50 && d as f64 > 0.05 * self.docs as f64
    }
}

/// How many of an article's heaviest terms are looked up for candidate stories.
const CANDIDATE_TERMS: usize = 16;
/// Pushes between sweeps that close idle stories and prune the index (a
/// quarter of the horizon passing also sweeps).
const SWEEP_EVERY: usize = 1024;

/// What identifies an article inside the clusterer: a stream position for
/// in-memory runs, an article id for the engine's persistent state.
pub trait Member: Clone + Ord + std::fmt::Debug {}
impl<T: Clone + Ord + std::fmt::Debug> Member for T {}

/// A story still open to new articles. Serialisable, so the engine can keep
/// the window of open stories between runs.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Open<K> {
    /// The article that started the story (of the oldest story, after merges):
    /// what the story's id is made from, so the id never changes.
    pub creator: K,
    /// The members, in arrival order (merged stories' members follow).
    pub members: Vec<K>,
    /// Sum of the members' TF-IDF vectors, and its squared length.
    sum: HashMap<u32, f64>,
    norm2: f64,
    /// Sum of the members' embeddings (members without one add nothing).
    meaning: Option<Vec<f32>>,
    /// Distinct terms over all members (for the mean text length).
    member_terms: usize,
    pub last: DateTime<Utc>,
    /// The earliest member's time (absent in state saved before story limits).
    #[serde(default)]
    pub first: Option<DateTime<Utc>>,
    /// The article that started the story this one follows up, when it
    /// started because that story was full.
    #[serde(default)]
    pub continues: Option<K>,
}

impl<K> Open<K> {
    /// Whether the story is full: it takes no more articles (see
    /// [`Settings::max_members`]).
    fn full(&self, s: &Settings) -> bool {
        let span = self.first.map_or(0.0, |f| (self.last - f).num_seconds() as f64 / 86_400.0);
        self.members.len() >= s.max_members || span >= s.max_span_days
    }

    fn mean_terms(&self) -> f64 {
        self.member_terms as f64 / self.members.len().max(1) as f64
    }

    fn lexical(&self, v: &Vector) -> f64 {
        cosine_with_sum(&self.sum, self.norm2, v)
    }

    fn add(&mut self, v: &Vector) {
        for &(k, w) in &v.0 {
            let s = self.sum.entry(k).or_default();
            self.norm2 += 2.0 * *s * w + w * w;
            *s += w;
        }
    }

    fn add_meaning(&mut self, e: &[f32]) {
        match &mut self.meaning {
            Some(m) => m.iter_mut().zip(e).for_each(|(a, b)| *a += b),
            None => self.meaning = Some(e.to_vec()),
        }
    }
}

/// Cosine of a unit vector with a summed vector of squared length `norm2`.
fn cosine_with_sum(sum: &HashMap<u32, f64>, norm2: f64, v: &Vector) -> f64 {
    if norm2 <= 0.0 {
        return 0.0;
    }
    v.0.iter().filter_map(|(k, w)| sum.get(k).map(|s| s * w)).sum::<f64>() / norm2.sqrt()
}

fn cosine_dense(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        ab += (*x as f64) * (*y as f64);
        aa += (*x as f64) * (*x as f64);
        bb += (*y as f64) * (*y as f64);
    }
    if aa <= 0.0 || bb <= 0.0 {
        0.0
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}

/// A story the clusterer is done with: no later article can join it.
#[derive(Debug, Clone)]
pub struct Formed<K = usize> {
    /// Creation order among the clusterer's stories.
    pub number: u32,
    /// The article that started it (see [`Open::creator`]).
    pub creator: K,
    /// The members, in arrival order.
    pub members: Vec<K>,
    /// The article that started the story this one follows up.
    pub continues: Option<K>,
    sum: HashMap<u32, f64>,
    norm2: f64,
}

impl<K> Formed<K> {
    /// Cosine of a member's vector with the story's centre.
    pub fn centrality(&self, v: &Vector) -> f64 {
        cosine_with_sum(&self.sum, self.norm2, v)
    }
}

/// What one [`Clusterer::push`] did.
#[derive(Debug, Clone)]
pub struct Pushed<K = usize> {
    /// The open story the article is now in.
    pub story: u32,
    /// Whether the article started it.
    pub created: bool,
    /// Stories merged into `story` because the article bridged them, each
    /// with the article that started it (what its id was made from).
    pub merged: Vec<(u32, K)>,
    /// Stories that closed because time moved on, or because they were
    /// full and the article started their follow-up.
    pub closed: Vec<Formed<K>>,
    /// When the article started a follow-up of a full story: that story's
    /// number and the article that started it (what its id was made from).
    pub continued: Option<(u32, K)>,
}

/// The clusterer's scalars, persisted beside its open stories.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Clock {
    pub next: u32,
    pub pushed: usize,
    pub now: Option<DateTime<Utc>>,
    pub last_sweep: Option<DateTime<Utc>>,
    pub peak_open: usize,
}

/// Streaming single-pass clustering with merging of converging stories.
/// Feed articles in publication order with [`Clusterer::push`]; stories come
/// back as they close, and the rest from [`Clusterer::finish`]. Its state
/// (the open stories and a [`Clock`]) can be taken out and put back
/// ([`Clusterer::restore`]), so a stream can be continued in a later run.
pub struct Clusterer<K = usize> {
    settings: Settings,
    open: HashMap<u32, Open<K>>,
    postings: HashMap<u32, Vec<u32>>,
    clock: Clock,
}

impl<K: Member> Clusterer<K> {
    pub fn new(settings: Settings) -> Self {
        Clusterer { settings, open: HashMap::new(), postings: HashMap::new(), clock: Clock::default() }
    }

    /// A clusterer continuing from saved state: its clock and open stories.
    pub fn restore(settings: Settings, clock: Clock, open: Vec<(u32, Open<K>)>) -> Self {
        let mut c = Clusterer { settings, open: HashMap::new(), postings: HashMap::new(), clock };
        let mut open = open;
        // Postings in story-number order, as pushing them would have built them.
        open.sort_by_key(|(k, _)| *k);
        for (k, s) in open {
            let mut terms: Vec<u32> = s.sum.keys().copied().collect();
            terms.sort_unstable();
            for t in terms {
                c.postings.entry(t).or_default().push(k);
            }
            c.open.insert(k, s);
        }
        c
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// An open story, by number.
    pub fn open_story(&self, k: u32) -> Option<&Open<K>> {
        self.open.get(&k)
    }

    /// Most stories open at once so far.
    pub fn peak_open(&self) -> usize {
        self.clock.peak_open
    }

    /// Stories open now.
    pub fn open_stories(&self) -> usize {
        self.open.len()
    }

    fn similarity(&self, v: &Vector, meaning: Option<&[f32]>, s: &Open<K>, t: DateTime<Utc>) -> f64 {
        let Some(decay) = self.settings.decay(t, s.last) else { return 0.0 };
        let m = meaning.zip(s.meaning.as_deref()).map(|(a, b)| cosine_dense(a, b));
        self.settings.combine(s.lexical(v), m, v.0.len() as f64) * decay
    }

    fn story_similarity(&self, a: &Open<K>, b: &Open<K>) -> f64 {
        let Some(decay) = self.settings.decay(a.last, b.last) else { return 0.0 };
        let (small, large) = if a.sum.len() < b.sum.len() { (a, b) } else { (b, a) };
        let dot: f64 = small.sum.iter().filter_map(|(k, x)| large.sum.get(k).map(|y| x * y)).sum();
        let lex = if a.norm2 > 0.0 && b.norm2 > 0.0 { dot / (a.norm2.sqrt() * b.norm2.sqrt()) } else { 0.0 };
        let m = a.meaning.as_deref().zip(b.meaning.as_deref()).map(|(x, y)| cosine_dense(x, y));
        self.settings.combine(lex, m, a.mean_terms().min(b.mean_terms())) * decay
    }

    /// Open stories sharing one of the article's heaviest rare terms, in
    /// order of first posting (stale entries of closed stories are dropped).
    fn lexical_candidates(&mut self, vocab: &Vocabulary, v: &Vector, out: &mut Vec<u32>) {
        let open = &self.open;
        for &(term, _) in v.0.iter().filter(|(t, _)| !vocab.too_common(*t)).take(CANDIDATE_TERMS) {
            if let Some(list) = self.postings.get_mut(&term) {
                list.retain(|s| open.contains_key(s));
                out.extend_from_slice(list);
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// Adds one article: `id` identifies it (handed back in
    /// [`Formed::members`]), `t` is its publication time (non-decreasing, or
    /// nearly), `v` its vector from `vocab`, `meaning` its embedding.
    pub fn push(&mut self, vocab: &Vocabulary, id: K, t: DateTime<Utc>, v: &Vector, meaning: Option<&[f32]>) -> Pushed<K> {
        self.clock.now = Some(self.clock.now.map_or(t, |n| n.max(t)));
        let mut cands = Vec::new();
        self.lexical_candidates(vocab, v, &mut cands);
        if meaning.is_some() {
            // Same meaning in other words shares no rare term: with
            // embeddings, every story in the active window is a candidate
            // (bounded by the window, and cheap next to computing the embedding).
            cands = self.open.iter().filter(|(_, s)| s.meaning.is_some()).map(|(&k, _)| k).chain(cands).collect();
            cands.sort_unstable();
            cands.dedup();
        }
        let scored: Vec<(u32, f64)> = cands.iter().map(|&k| (k, self.similarity(v, meaning, &self.open[&k], t))).collect();
        if tracing::enabled!(tracing::Level::DEBUG) {
            for &(k, sim) in scored.iter().filter(|s| s.1 > 0.05) {
                let s = &self.open[&k];
                let m = meaning.zip(s.meaning.as_deref()).map(|(a, b)| cosine_dense(a, b));
                tracing::debug!(article = ?id, story = k, lexical = s.lexical(v), meaning = ?m, similarity = sim, "candidate");
            }
        }
        // Highest similarity wins; ties go to the oldest story.
        let best = scored.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let mut out = Pushed { story: 0, created: false, merged: Vec::new(), closed: Vec::new(), continued: None };
        let settings = self.settings;
        match best {
            Some((k, sim)) if sim >= settings.join_threshold && self.open[&k].full(&settings) => {
                // The story it belongs to is full: it closes, and the article starts its follow-up.
                let f = self.close(k);
                out.continued = Some((k, f.creator.clone()));
                out.story = self.start(id, t, v, meaning, Some(f.creator.clone()));
                out.created = true;
                out.closed.push(f);
            }
            Some((k, sim)) if sim >= settings.join_threshold => {
                self.join(k, id, t, v, meaning);
                out.story = k;
                // The article may bridge stories that have converged: merge
                // the ones it also matched into the one it joined, best first
                // (never into or from a full story, nor past the member limit).
                let mut others: Vec<(u32, f64)> = scored.into_iter().filter(|&(o, s)| o != k && s > 0.0).collect();
                others.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                for (o, _) in others {
                    let (Some(a), Some(b)) = (self.open.get(&out.story), self.open.get(&o)) else { continue };
                    if b.full(&settings) || a.members.len() + b.members.len() > settings.max_members {
                        continue;
                    }
                    if self.story_similarity(a, b) >= settings.merge_threshold {
                        let (keep, gone) = self.merge(out.story, o);
                        out.story = keep;
                        out.merged.push(gone);
                    }
                }
            }
            _ => {
                out.story = self.start(id, t, v, meaning, None);
                out.created = true;
            }
        }
        self.clock.peak_open = self.clock.peak_open.max(self.open.len());
        self.clock.pushed += 1;
        let quarter = chrono::Duration::seconds((self.settings.horizon_days() * 86_400.0 / 4.0) as i64);
        if self.clock.pushed.is_multiple_of(SWEEP_EVERY) || self.clock.last_sweep.is_none_or(|l| t - l > quarter) {
            self.clock.last_sweep = Some(t);
            out.closed.extend(self.sweep());
        }
        out
    }

    /// Starts a story with one article; gives its number.
    fn start(&mut self, id: K, t: DateTime<Utc>, v: &Vector, meaning: Option<&[f32]>, continues: Option<K>) -> u32 {
        let k = self.clock.next;
        self.clock.next += 1;
        let mut s = Open { creator: id.clone(), members: vec![id], sum: HashMap::new(), norm2: 0.0, meaning: None, member_terms: v.0.len(), last: t, first: Some(t), continues };
        s.add(v);
        if let Some(m) = meaning {
            s.add_meaning(m);
        }
        for &(term, _) in &v.0 {
            self.postings.entry(term).or_default().push(k);
        }
        self.open.insert(k, s);
        k
    }

    fn join(&mut self, k: u32, id: K, t: DateTime<Utc>, v: &Vector, meaning: Option<&[f32]>) {
        let s = self.open.get_mut(&k).expect("joined story is open");
        let fresh: Vec<u32> = v.0.iter().filter(|(term, _)| !s.sum.contains_key(term)).map(|(term, _)| *term).collect();
        s.members.push(id);
        s.member_terms += v.0.len();
        s.last = s.last.max(t);
        s.first = Some(s.first.map_or(t, |f| f.min(t)));
        s.add(v);
        if let Some(m) = meaning {
            s.add_meaning(m);
        }
        for term in fresh {
            self.postings.entry(term).or_default().push(k);
        }
    }

    /// Merges two stories; the older (lower number) survives and keeps its
    /// number and creator, so its id stays. Gives the survivor, and the story
    /// merged away with its creator.
    fn merge(&mut self, a: u32, b: u32) -> (u32, (u32, K)) {
        let (keep, gone) = (a.min(b), a.max(b));
        let g = self.open.remove(&gone).expect("merged story is open");
        let gone_creator = g.creator.clone();
        let s = self.open.get_mut(&keep).expect("surviving story is open");
        let mut fresh = Vec::new();
        // In term order, so the sums (floats) do not depend on hash order.
        let mut gsum: Vec<(u32, f64)> = g.sum.into_iter().collect();
        gsum.sort_unstable_by_key(|(t, _)| *t);
        for (term, w) in gsum {
            let x = s.sum.entry(term).or_insert_with(|| {
                fresh.push(term);
                0.0
            });
            *x += w;
        }
        let mut sq: Vec<(u32, f64)> = s.sum.iter().map(|(&k, &w)| (k, w)).collect();
        sq.sort_unstable_by_key(|(t, _)| *t);
        s.norm2 = sq.iter().map(|(_, w)| w * w).sum();
        if let Some(m) = g.meaning {
            s.add_meaning(&m);
        }
        s.members.extend(g.members);
        s.member_terms += g.member_terms;
        s.last = s.last.max(g.last);
        s.first = match (s.first, g.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        fresh.sort_unstable();
        for term in fresh {
            self.postings.entry(term).or_default().push(keep);
        }
        (keep, (gone, gone_creator))
    }

    /// Closes the stories idle past the horizon and prunes the index of them.
    fn sweep(&mut self) -> Vec<Formed<K>> {
        let Some(now) = self.clock.now else { return Vec::new() };
        let horizon = self.settings.horizon_days();
        let mut idle: Vec<u32> = self.open.iter().filter(|(_, s)| (now - s.last).num_seconds() as f64 / 86_400.0 > horizon).map(|(&k, _)| k).collect();
        if idle.is_empty() {
            return Vec::new();
        }
        idle.sort_unstable();
        let out: Vec<Formed<K>> = idle.into_iter().map(|k| self.close(k)).collect();
        let open = &self.open;
        self.postings.retain(|_, list| {
            list.retain(|s| open.contains_key(s));
            !list.is_empty()
        });
        out
    }

    fn close(&mut self, k: u32) -> Formed<K> {
        let s = self.open.remove(&k).expect("closing an open story");
        Formed { number: k, creator: s.creator, members: s.members, continues: s.continues, sum: s.sum, norm2: s.norm2 }
    }

    /// Closes every story still open; with the ones [`push`](Self::push)
    /// returned, these are all the stories, each article in exactly one.
    pub fn finish(mut self) -> Vec<Formed<K>> {
        let mut keys: Vec<u32> = self.open.keys().copied().collect();
        keys.sort_unstable();
        keys.into_iter().map(|k| self.close(k)).collect()
    }
}

/// Groups articles into stories (lexical path only).
pub fn cluster(docs: &[Enriched], settings: &Settings) -> Vec<Story> {
    cluster_with(docs, &[], settings)
}

/// Groups articles into stories, as one batch: every article is counted in
/// the vocabulary first, then pushed in publication order. `embeddings` is
/// empty (lexical path only) or holds one optional embedding per article, in
/// the order of `docs`.
pub fn cluster_with(docs: &[Enriched], embeddings: &[Option<Vec<f32>>], settings: &Settings) -> Vec<Story> {
    let counts: Vec<Counts> = docs.iter().map(|d| counts(d, settings)).collect();
    let mut vocab = Vocabulary::default();
    counts.iter().for_each(|c| vocab.add(c));
    let vectors: Vec<Vector> = counts.iter().map(|c| vocab.vector(c)).collect();
    drop(counts);
    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| docs[a].article.time().cmp(&docs[b].article.time()).then_with(|| docs[a].article.id.cmp(&docs[b].article.id)));
    let mut c = Clusterer::new(*settings);
    let mut formed = Vec::new();
    for &i in &order {
        let meaning = embeddings.get(i).and_then(|e| e.as_deref());
        formed.extend(c.push(&vocab, i, docs[i].article.time(), &vectors[i], meaning).closed);
    }
    formed.extend(c.finish());
    formed.sort_by_key(|f| f.number);
    formed
        .into_iter()
        .map(|f| {
            let members: Vec<&Enriched> = f.members.iter().map(|&i| &docs[i]).collect();
            let vs: Vec<&Vector> = f.members.iter().map(|&i| &vectors[i]).collect();
            let mut s = story_from(story_id(&docs[f.creator].article.id), &members, &vs);
            s.continues = f.continues.map(|c| story_id(&docs[c].article.id));
            s
        })
        .collect()
}

/// A story's id: made from the article that started it, so it never changes
/// as articles join (earlier-dated ones included) or other stories merge in.
pub fn story_id(creator: &str) -> String {
    stable_id(&["story", creator])
}

/// Title scores closer than this count as a tie.
const TITLE_TIE: f64 = 1e-4;

/// A story's row from its members (any order) and their TF-IDF vectors (same
/// order): members by publication time, the title of the member closest to
/// the centre, outlets, top entities and syndicated copies among them.
pub fn story_from(id: String, members: &[&Enriched], vectors: &[&Vector]) -> Story {
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|&x, &y| members[x].article.time().cmp(&members[y].article.time()).then_with(|| members[x].article.id.cmp(&members[y].article.id)));
    let arts: Vec<&Enriched> = order.iter().map(|&i| members[i]).collect();
    // The centre: the members' vectors summed in publication order (a fixed order, so the
    // same members always give the same floats).
    let mut sum: HashMap<u32, f64> = HashMap::new();
    for &i in &order {
        for &(k, w) in &vectors[i].0 {
            *sum.entry(k).or_default() += w;
        }
    }
    let mut sq: Vec<(u32, f64)> = sum.iter().map(|(&k, &w)| (k, w)).collect();
    sq.sort_unstable_by_key(|(k, _)| *k);
    let norm2: f64 = sq.iter().map(|(_, w)| w * w).sum();
    // The title of the member closest to the story's centre, preferring stated titles and main
    // articles. Near-ties (within TITLE_TIE: float noise, such as embeddings computed in other
    // batches by scaled-out workers) go to the earliest member, so every mode picks the same title.
    let score = |i: usize| {
        let d = &members[i].article;
        cosine_with_sum(&sum, norm2, vectors[i]) + if d.title.ends_with('…') { 0.0 } else { 0.5 } + if d.is_teaser() { 0.0 } else { 0.25 }
    };
    let scores: Vec<f64> = order.iter().map(|&i| score(i)).collect();
    let best = scores.iter().copied().fold(f64::MIN, f64::max);
    let title_idx = order.iter().zip(&scores).find(|(_, &s)| s >= best - TITLE_TIE).map(|(&i, _)| i).unwrap_or(order[0]);
    // One name per outlet (one site), however its articles name it.
    let names = dossier_model::OutletNames::of_articles(arts.iter().map(|a| &a.article));
    let mut outlets: Vec<String> = Vec::new();
    for a in &arts {
        let name = names.of_article(&a.article);
        if !outlets.iter().any(|o| o == name) {
            outlets.push(name.to_string());
        }
    }
    // A surname one article writes alone counts for the full name another gives.
    let person = dossier_enrich::story_entity_names(arts.iter().copied());
    let mut ent_counts: HashMap<&str, usize> = HashMap::new();
    for a in &arts {
        for e in &a.entities {
            let name = person.get(&e.name).unwrap_or(&e.name);
            *ent_counts.entry(name.as_str()).or_default() += e.mentions.len();
        }
    }
    let mut entities: Vec<(&str, usize)> = ent_counts.into_iter().collect();
    entities.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    Story {
        id,
        title: members[title_idx].article.title.clone(),
        article_ids: arts.iter().map(|a| a.article.id.clone()).collect(),
        outlets,
        first_seen: arts.iter().map(|a| a.article.time()).min().unwrap(),
        last_seen: arts.iter().map(|a| a.article.time()).max().unwrap(),
        entities: entities.into_iter().take(8).map(|(n, _)| n.to_string()).collect(),
        // Copies among the story's members: a copy's original is the earliest of its near-identical texts.
        copies: syndication::copies(&arts).into_iter().map(|(c, o)| (arts[c].article.id.clone(), arts[o].article.id.clone())).collect(),
        continues: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_enrich::enrich;
    use dossier_model::{Article, ArticleKind, Outlet, OutletBasis};

    fn art(id: &str, title: &str, text: &str, hour: u32) -> Enriched {
        enrich(&Article {
            id: id.into(),
            kind: ArticleKind::Main,
            title: title.into(),
            text: text.into(),
            outlet: Outlet { name: format!("outlet-{id}"), basis: OutletBasis::Given },
            url: None,
            source: id.into(),
            published: Some(format!("2025-06-22T{hour:02}:00:00Z").parse().unwrap()),
            seen_at: "2025-06-23T00:00:00Z".parse().unwrap(),
            language: None,
        })
    }

    fn corpus() -> Vec<Enriched> {
        vec![
            art("a", "Earthquake strikes Chile coast", "A magnitude 7 earthquake struck the coast of Chile on Monday, officials said. Tsunami warnings were issued.", 1),
            art("b", "Football club wins league title", "The club won the league title after a late goal on Sunday. Fans celebrated in the streets.", 2),
            art("c", "Chile earthquake: tsunami warning lifted", "Chilean officials lifted the tsunami warning after the earthquake struck the coast. Damage was limited.", 3),
            art("d", "Central bank raises interest rates", "The central bank raised interest rates by half a point to fight inflation. Markets fell.", 4),
            art("e", "Title celebrations after league win", "Thousands of fans celebrated the league title win in the streets of the city.", 5),
        ]
    }

    #[test]
    fn groups_same_events() {
        let stories = cluster(&corpus(), &Settings::default());
        let mut groups: Vec<Vec<String>> = stories.iter().map(|s| s.article_ids.clone()).collect();
        groups.sort();
        assert_eq!(groups, [vec!["a", "c"], vec!["b", "e"], vec!["d"]]);
    }

    #[test]
    fn deterministic_ids_and_order_independent() {
        let mut docs = corpus();
        let a = cluster(&docs, &Settings::default());
        docs.reverse();
        let b = cluster(&docs, &Settings::default());
        let ids = |v: &[Story]| {
            let mut x: Vec<(String, Vec<String>)> = v.iter().map(|s| (s.id.clone(), s.article_ids.clone())).collect();
            x.sort();
            x
        };
        assert_eq!(ids(&a), ids(&b));
        let quake = a.iter().find(|s| s.article_ids.contains(&"a".to_string())).unwrap();
        assert_eq!(quake.outlets, ["outlet-a", "outlet-c"]);
        assert_eq!(quake.first_seen.to_rfc3339(), "2025-06-22T01:00:00+00:00");
        assert_eq!(quake.last_seen.to_rfc3339(), "2025-06-22T03:00:00+00:00");
    }

    /// A surname one outlet writes alone is counted under the full name another outlet gives.
    #[test]
    fn a_story_counts_a_bare_surname_under_the_full_name() {
        let a = art("a", "Stone to testify", "Roger Stone told reporters on Monday that he would testify before the committee. He had done nothing wrong, Stone said.", 1);
        let b = art("b", "Stone testifies", "The committee heard Mr. Stone on Tuesday, the chairman said. The hearing lasted four hours, said Stone.", 2);
        let v = Vector(Vec::new());
        let story = story_from("s".into(), &[&a, &b], &[&v, &v]);
        assert!(story.entities.contains(&"Roger Stone".to_string()) && !story.entities.contains(&"Stone".to_string()), "{:?} / {:?}", story.entities, b.entities);
    }

    /// One running topic, reported every six hours: the same words, so every
    /// report would join the one story without limits.
    fn running_topic(reports: u32, hours_apart: i64) -> Vec<Enriched> {
        (0..reports)
            .map(|i| {
                let mut a = art(
                    &format!("r{i:03}"),
                    "Parliament debates the harbour bridge budget",
                    "Members of parliament debated the harbour bridge budget again on Tuesday. The finance minister defended the bridge spending.",
                    0,
                );
                a.article.published = Some("2025-06-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap() + chrono::Duration::hours(hours_apart * i as i64));
                a
            })
            .collect()
    }

    #[test]
    fn a_full_story_is_followed_up_by_a_linked_story() {
        let docs = running_topic(25, 6);
        let chained = cluster(&docs, &Settings { max_members: usize::MAX, max_span_days: f64::INFINITY, ..Settings::default() });
        assert_eq!(chained.len(), 1, "without limits the topic is one story");
        let stories = cluster(&docs, &Settings { max_members: 10, ..Settings::default() });
        let sizes: Vec<usize> = stories.iter().map(|s| s.article_ids.len()).collect();
        assert_eq!(sizes, [10, 10, 5]);
        assert_eq!(stories[0].continues, None);
        assert_eq!(stories[1].continues.as_deref(), Some(stories[0].id.as_str()));
        assert_eq!(stories[2].continues.as_deref(), Some(stories[1].id.as_str()));
        // Each follow-up starts with the article the full story turned away.
        assert_eq!(stories[1].article_ids[0], "r010");
        assert_eq!(stories[1].id, story_id("r010"));
    }

    #[test]
    fn a_story_spanning_the_longest_span_is_followed_up() {
        // 25 reports six hours apart span six days: one story at the default 7-day span.
        assert_eq!(cluster(&running_topic(25, 6), &Settings::default()).len(), 1);
        // 25 reports twelve hours apart span twelve days: the first story takes the
        // first 7 days of them (15 reports), its follow-up the rest.
        let stories = cluster(&running_topic(25, 12), &Settings::default());
        let sizes: Vec<usize> = stories.iter().map(|s| s.article_ids.len()).collect();
        assert_eq!(sizes, [15, 10]);
        for s in &stories {
            assert!((s.last_seen - s.first_seen).num_hours() <= 7 * 24, "{} spans {} h", s.id, (s.last_seen - s.first_seen).num_hours());
        }
        assert_eq!(stories[1].continues.as_deref(), Some(stories[0].id.as_str()));
    }

    #[test]
    fn converging_stories_merge_when_an_article_bridges_them_and_others_stay() {
        let c = |words: &[&str]| -> Counts { words.iter().map(|w| (w.to_string(), 1.0)).collect() };
        let docs = [c(&["quake", "chile", "coast"]), c(&["tsunami", "warning", "pacific"]), c(&["league", "title", "fans"]), c(&["quake", "chile", "tsunami", "warning"])];
        let mut vocab = Vocabulary::default();
        docs.iter().for_each(|d| vocab.add(d));
        let t = |h: u32| -> DateTime<Utc> { format!("2025-06-22T{h:02}:00:00Z").parse().unwrap() };
        let mut cl = Clusterer::new(Settings::default());
        for (i, d) in docs.iter().take(3).enumerate() {
            assert!(cl.push(&vocab, i, t(i as u32), &vocab.vector(d), None).closed.is_empty());
        }
        assert_eq!(cl.open_stories(), 3, "nothing in common yet");
        cl.push(&vocab, 3, t(4), &vocab.vector(&docs[3]), None);
        let groups: Vec<Vec<usize>> = cl
            .finish()
            .into_iter()
            .map(|mut f| {
                f.members.sort_unstable();
                f.members
            })
            .collect();
        assert_eq!(groups, [vec![0, 1, 3], vec![2]]);
    }

    #[test]
    fn idle_stories_close_and_leave_the_window() {
        // A new, unrelated event every day for 200 days, five articles each.
        let days: Vec<Counts> = (0..200).map(|d| [(format!("event{d}"), 1.0), ("news".to_string(), 1.0)].into()).collect();
        let mut vocab = Vocabulary::default();
        days.iter().for_each(|d| vocab.add(d));
        let mut cl = Clusterer::new(Settings::default());
        let start: DateTime<Utc> = "2025-01-01T00:00:00Z".parse().unwrap();
        let mut closed = Vec::new();
        for (d, c) in days.iter().enumerate() {
            for k in 0..5 {
                closed.extend(cl.push(&vocab, d * 5 + k, start + chrono::Duration::days(d as i64) + chrono::Duration::hours(k as i64), &vocab.vector(c), None).closed);
            }
        }
        let window = (Settings::default().horizon_days() * 1.25).ceil() as usize + 2;
        assert!(cl.peak_open() <= window, "open stories bounded by the horizon: peak {} > {window}", cl.peak_open());
        assert!(closed.len() >= 200 - window, "old stories were handed back: {}", closed.len());
        let rest = cl.finish();
        let mut all: Vec<Vec<usize>> = closed
            .into_iter()
            .chain(rest)
            .map(|mut f| {
                f.members.sort_unstable();
                f.members
            })
            .collect();
        all.sort();
        assert_eq!(all.len(), 200);
        assert!(all.iter().enumerate().all(|(d, m)| *m == (d * 5..d * 5 + 5).collect::<Vec<_>>()), "each day's event is one story");
    }

    #[test]
    fn syndicated_copies_collapse_onto_the_earliest() {
        let wire = "The central bank raised its main interest rate by half a percentage point on Thursday, the largest increase in two decades, \
            as policymakers moved to contain inflation that has climbed to its highest level since the early 1990s. The governor told reporters \
            that further increases were likely in the coming months if price pressures did not ease, and markets fell sharply after the announcement.";
        let edited = wire.replace("on Thursday", "on Thursday morning").replace("told reporters", "told a news conference");
        let docs = vec![
            art("orig", "Central bank raises rates by half a point", wire, 1),
            art("copy", "Central bank raises rates by half a point", &edited, 3),
            art(
                "own",
                "Bank's rate rise hits markets",
                "Shares fell across the region after the central bank's decision, with banks and builders hardest hit, \
                traders said, adding that a further rise next month now looked likely to many in the market who had hoped for a pause.",
                4,
            ),
        ];
        let pairs = syndication::copies(&docs);
        assert_eq!(pairs, [(1, 0)], "the light edit is a copy of the earlier wire story; the own report is independent");
        let stories = cluster(&docs, &Settings::default());
        let s = stories.iter().find(|s| s.article_ids.contains(&"copy".to_string())).unwrap();
        assert_eq!(s.original_of("copy"), Some("orig"));
        assert_eq!(s.original_of("own"), None);
    }

    fn at(id: &str, title: &str, text: &str, when: &str) -> Enriched {
        let mut e = art(id, title, text, 0);
        e.article.published = Some(when.parse().unwrap());
        enrich(&e.article)
    }

    #[test]
    fn same_day_different_events_stay_apart_and_next_day_follow_up_joins() {
        let mut docs = vec![
            at(
                "fire",
                "Fire destroys warehouse in Riverton port",
                "A fire destroyed a warehouse in the Riverton port district on Monday. Firefighters fought the blaze for six hours.",
                "2025-06-22T08:00:00Z",
            ),
            at("vote", "Riverton council votes on new budget", "The Riverton city council voted on the new budget on Monday. The plan raises school spending.", "2025-06-22T09:00:00Z"),
            at(
                "fire2",
                "Riverton warehouse fire: investigators suspect arson",
                "Investigators said on Tuesday the Riverton port warehouse fire was probably arson. The blaze destroyed the warehouse.",
                "2025-06-23T10:00:00Z",
            ),
        ];
        // Other news of those days, so rarity weights are those of a real stream.
        docs.extend(corpus());
        let stories = cluster(&docs, &Settings::default());
        let story_of = |id: &str| stories.iter().position(|s| s.article_ids.iter().any(|a| a == id)).unwrap();
        assert_ne!(story_of("fire"), story_of("vote"), "same day, same city, different events");
        assert_eq!(story_of("fire"), story_of("fire2"), "the next day's follow-up joins");
    }

    #[test]
    fn the_same_words_long_apart_are_different_stories() {
        let text = "A fire destroyed a warehouse in the Riverton port district. Firefighters fought the blaze for six hours.";
        let mut docs = vec![at("now", "Fire destroys warehouse in Riverton port", text, "2025-06-22T08:00:00Z"), at("then", "Fire destroys warehouse in Riverton port", text, "2024-01-10T08:00:00Z")];
        docs.extend(corpus());
        let stories = cluster(&docs, &Settings::default());
        let story_of = |id: &str| stories.iter().position(|s| s.article_ids.iter().any(|a| a == id)).unwrap();
        assert_ne!(story_of("now"), story_of("then"));
    }
}
