//! One incremental analysis step: take a batch of arrivals, place the new
//! articles into stories, re-align the claims and rebuild the briefs of the
//! stories they touched (and only those), and commit it all with the
//! clusterer's state and the change log in one transaction.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use dossier_enrich::{enrich, Enriched};
use dossier_model::{AlignedClaim, Article, Brief, ChangeEntry, ChangeKind, Story};
use dossier_store::{AnalysisStep, Arrival, Store};
use dossier_stories::{story_from, story_id, Formed, Vector};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::progress::{Phase, Progress};
use crate::state::{self, ClusterState};
use crate::{AnalysisReport, Engine};

/// Enriches articles on all cores, keeping their order.
pub(crate) fn enrich_all(articles: &[Article]) -> Vec<Enriched> {
    articles.par_iter().map(enrich).collect()
}

/// What clustering a batch did, by story number.
#[derive(Default)]
struct Placed {
    /// Open stories whose membership changed (final survivors of merges).
    touched: BTreeSet<u32>,
    /// Stories started in this step: (number, the article that started it).
    created: Vec<(u32, String)>,
    /// (merged-away number, its id, the number it went into).
    merged: Vec<(u32, String, u32)>,
    /// Touched stories that closed before the step ended.
    closed: HashMap<u32, Formed<String>>,
    /// Open-story rows to rewrite or delete.
    rows: BTreeSet<u32>,
    /// (article, story number it joined).
    joins: Vec<(String, u32)>,
    /// Members of the stories that closed: no later article can touch them.
    closed_members: Vec<String>,
}

impl Placed {
    /// The story a number ended up in after this step's merges.
    fn survivor(&self, mut n: u32) -> u32 {
        while let Some(&(_, _, into)) = self.merged.iter().find(|(g, _, _)| *g == n) {
            n = into;
        }
        n
    }
}

/// A story the step rewrites: its id and members.
struct Target {
    id: String,
    members: Vec<String>,
}

impl Engine {
    /// Runs one step over `arrivals` (all of one batch). `replay` is the
    /// batch number when a rebuild replays a recorded batch.
    pub(crate) fn step(&mut self, store: &mut dyn Store, arrivals: &[Arrival], replay: Option<i64>, progress: &dyn Progress, report: &mut AnalysisReport) -> Result<()> {
        let at = Utc::now();
        let mut st = self.take_state(store)?;
        let batch = replay.unwrap_or(st.next_batch);
        st.next_batch = st.next_batch.max(batch + 1);

        let (fresh_docs, known_docs) = self.read_batch(store, arrivals, progress)?;
        for d in fresh_docs.iter().chain(&known_docs).filter(|d| d.cut()) {
            report.cut += 1;
            tracing::warn!(
                "article {} ({}): {} bytes of text, analysed in its first {} bytes and {} sentences (the limits per article); stored whole",
                d.article.id,
                d.article.source,
                d.stored_bytes,
                d.article.text.len(),
                d.sentences.len()
            );
        }
        let (placed, fresh_vectors) = self.place(store, &mut st, &fresh_docs, progress)?;
        let targets = targets(store, &st, &placed, &known_docs)?;
        let batch_docs: HashMap<&str, &Enriched> = fresh_docs.iter().chain(&known_docs).map(|e| (e.article.id.as_str(), e)).collect();
        let members = load_members(store, &targets, &batch_docs, &fresh_vectors)?;
        // What enrichment found is kept while an article's story is open: a member is enriched once.
        let mut kept: Vec<(String, Option<Vec<u8>>)> = fresh_docs.iter().chain(&known_docs).map(state::enriched_row).collect();
        kept.extend(members.enriched_afresh.iter().map(|id| state::enriched_row(&members.docs[id])));

        // Claims and briefs of the touched stories. Stories are independent,
        // so they are worked out on all cores; the sentence pairs that the
        // meaning scorer must see are gathered from every story first and
        // scored in one call (full model batches, one look at the stored scores).
        let stories: Vec<(Story, Vec<&Enriched>)> = targets
            .par_iter()
            .filter_map(|t| {
                let docs: Vec<&Enriched> = t.members.iter().filter_map(|id| members.docs.get(id.as_str()).or_else(|| batch_docs.get(id.as_str()).copied())).collect();
                if docs.is_empty() {
                    return None;
                }
                let vectors: Vec<&Vector> = docs.iter().map(|d| members.vectors.get(d.article.id.as_str()).unwrap_or(&members.empty)).collect();
                Some((story_from(t.id.clone(), &docs, &vectors), docs))
            })
            .collect();
        let scores = self.meaning_scores(store, &stories, progress)?;
        let settings = self.claims;
        progress.start(Phase::Aligning, stories.len() as u64);
        let analysed: Vec<(Vec<AlignedClaim>, Brief)> = stories
            .par_iter()
            .map(|(story, docs)| {
                let done = align_story(story, docs, &settings, scores.as_ref());
                progress.advance(1);
                done
            })
            .collect::<Result<_>>()?;
        progress.finish();
        let mut out = AnalysisStep { batch, arrivals: arrivals.iter().map(|a| a.seq).collect(), ..Default::default() };
        let mut index_docs = Vec::new();
        let mut changes = Vec::new();
        for ((story, docs), (claims, brief)) in stories.into_iter().zip(analysed) {
            let story_of: HashMap<String, String> = story.article_ids.iter().map(|a| (a.clone(), story.id.clone())).collect();
            index_docs.extend(crate::index::index_docs(&docs, &story_of, &claims.iter().collect::<Vec<_>>()));
            changes.extend(claim_changes(store, &story, &placed, &st, &claims, &brief, at)?);
            out.claims.push((story.id.clone(), claims));
            out.briefs.push(brief);
            out.stories.push(story);
        }

        // The change log: stories first, then their articles, then claims and briefs.
        let mut log = story_changes(&placed, &st, at, &out.stories);
        log.extend(changes);
        for (gone, gone_id, _) in &placed.merged {
            let keep = placed.survivor(*gone);
            out.merged.push((gone_id.clone(), open_id(&st, &placed, keep)));
        }
        st.generation += 1;
        out.state = st.rows(&placed.rows.iter().copied().collect::<Vec<_>>());
        for (id, v) in &fresh_vectors {
            out.state.push((state::vector_key(id), Some(state::encode(v))));
        }
        out.state.extend(kept);
        // Closed stories are never touched again (a revision re-enriches its article anyway).
        out.state.extend(placed.closed_members.iter().map(|id| (state::enriched_key(id), None)));
        // Until the index has taken them (after the commit), these articles are owed to it.
        for d in &index_docs {
            out.state.push((format!("{}{}", state::UNINDEXED, d.id), Some(Vec::new())));
        }
        out.changes = log;
        crate::pause::point("analysing");
        store.commit_step(&out)?;
        crate::pause::point("before-index");
        report.articles += arrivals.len();
        report.steps += 1;
        report.stories_touched += out.stories.len();
        report.stories_created += placed.created.len();
        report.merges += out.merged.len();
        report.changes += out.changes.len();
        self.cache = Some(st);
        let owed: Vec<String> = index_docs.iter().map(|d| d.id.clone()).collect();
        self.index_docs(store, &index_docs, &owed, progress)?;
        Ok(())
    }

    /// The clusterer's state: the cached one while no other writer committed since, else loaded.
    fn take_state(&mut self, store: &dyn Store) -> Result<ClusterState> {
        let stored = ClusterState::stored_generation(store)?;
        match self.cache.take() {
            Some(c) if c.generation == stored => Ok(c),
            _ => ClusterState::load(store, self.stories),
        }
    }

    /// The batch's articles, enriched: those new to the clusterer, and those
    /// it placed before (revisions: their story is re-analysed, they stay in it).
    fn read_batch(&mut self, store: &mut dyn Store, arrivals: &[Arrival], progress: &dyn Progress) -> Result<(Vec<Enriched>, Vec<Enriched>)> {
        let mut seen = HashSet::new();
        let ids: Vec<String> = arrivals.iter().filter(|a| seen.insert(a.article_id.as_str())).map(|a| a.article_id.clone()).collect();
        let articles = store.articles_by_id(&ids)?;
        progress.start(Phase::Enriching, articles.len() as u64);
        let docs = enrich_all(&articles);
        progress.advance(docs.len() as u64);
        progress.finish();
        let known = state::vectors_of(store, &ids)?;
        Ok(docs.into_iter().partition(|e| !known.contains_key(&e.article.id)))
    }

    /// Places the new articles into stories, in publication order, after
    /// counting all of them in the vocabulary (so one batch sees the same
    /// rarity weights whatever its order).
    fn place(&mut self, store: &mut dyn Store, st: &mut ClusterState, docs: &[Enriched], progress: &dyn Progress) -> Result<(Placed, Vec<(String, Vector)>)> {
        let refs: Vec<&Enriched> = docs.iter().collect();
        let meanings = crate::embedding::embeddings_of(store, &refs, self.mode, &mut self.embedder, progress)?;
        let counts: Vec<_> = docs.iter().map(|d| dossier_stories::counts(d, &self.stories)).collect();
        counts.iter().for_each(|c| st.vocab.add(c));
        let vectors: Vec<Vector> = counts.iter().map(|c| st.vocab.vector(c)).collect();
        let mut order: Vec<usize> = (0..docs.len()).collect();
        order.sort_by(|&a, &b| docs[a].article.time().cmp(&docs[b].article.time()).then_with(|| docs[a].article.id.cmp(&docs[b].article.id)));
        progress.start(Phase::Clustering, docs.len() as u64);
        let mut placed = Placed::default();
        for &i in &order {
            let id = docs[i].article.id.clone();
            let p = st.clusterer.push(&st.vocab, id.clone(), docs[i].article.time(), &vectors[i], meanings[i].as_deref());
            placed.touched.insert(p.story);
            placed.rows.insert(p.story);
            if p.created {
                placed.created.push((p.story, id));
            } else {
                placed.joins.push((id, p.story));
            }
            for (gone, creator) in p.merged {
                placed.touched.remove(&gone);
                placed.rows.insert(gone);
                placed.merged.push((gone, story_id(&creator), p.story));
            }
            for f in p.closed {
                placed.rows.insert(f.number);
                placed.closed_members.extend(f.members.iter().cloned());
                if placed.touched.contains(&f.number) {
                    placed.closed.insert(f.number, f);
                }
            }
            progress.advance(1);
        }
        progress.finish();
        let fresh = order.iter().map(|&i| (docs[i].article.id.clone(), vectors[i].clone())).collect();
        Ok((placed, fresh))
    }

    /// The meaning scores of every sentence pair that claim alignment will
    /// ask about in `stories` (those told by two or more outlets), when
    /// alignment by meaning is on. Alignment chooses its pairs before it sees
    /// a score, so a first pass that only records them finds exactly the
    /// pairs of the real one.
    fn meaning_scores(&mut self, store: &mut dyn Store, stories: &[(Story, Vec<&Enriched>)], progress: &dyn Progress) -> Result<Option<PairScores>> {
        if !stories.iter().any(|(s, _)| s.outlets.len() >= 2) {
            return Ok(None);
        }
        let settings = self.claims;
        let Some(meaning) = self.meaning()? else {
            return Ok(None);
        };
        let asked: Vec<Vec<(String, String)>> = stories
            .par_iter()
            .filter(|(s, _)| s.outlets.len() >= 2)
            .map(|(story, docs)| {
                let mut pairs = Vec::new();
                let mut record = |p: &[(&str, &str)]| {
                    pairs.extend(p.iter().map(|(a, b)| (a.to_string(), b.to_string())));
                    Ok(vec![0.0; p.len()])
                };
                // Only the pairs are wanted; this pass's claims are dropped.
                let _ = dossier_claims::align_with(story, docs, &settings, Some(&mut record));
                pairs
            })
            .collect();
        let mut seen = HashSet::new();
        let pairs: Vec<(&str, &str)> = asked.iter().flatten().filter(|p| seen.insert(*p)).map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let scores = meaning.score(store, &pairs, progress)?;
        Ok(Some(pairs.iter().zip(scores).map(|(&(a, b), s)| ((a.to_string(), b.to_string()), s)).collect()))
    }
}

/// Meaning scores by sentence pair, as [`Engine::meaning_scores`] gathers them.
type PairScores = HashMap<(String, String), f32>;

/// A story's claims (aligned by meaning where `scores` are given and two or
/// more outlets report it) and its brief, from its own articles only.
fn align_story(story: &Story, docs: &[&Enriched], settings: &dossier_claims::Settings, scores: Option<&PairScores>) -> Result<(Vec<AlignedClaim>, Brief)> {
    let claims = match scores {
        Some(known) if story.outlets.len() >= 2 => {
            let mut look_up = |pairs: &[(&str, &str)]| {
                pairs.iter().map(|&(a, b)| known.get(&(a.to_string(), b.to_string())).copied().ok_or_else(|| format!("no meaning score gathered for the pair {a:?} / {b:?}"))).collect()
            };
            dossier_claims::align_with(story, docs, settings, Some(&mut look_up)).map_err(|e| Error::internal(format!("aligning the claims of story {}", story.id), e))?
        }
        _ => dossier_claims::align(story, docs, settings),
    };
    let primary = dossier_claims::primary_sources(docs);
    let articles: Vec<Article> = docs.iter().map(|d| d.article.clone()).collect();
    let brief = dossier_brief::build(story, &articles, &claims, &primary, &dossier_brief::Settings::default());
    Ok((claims, brief))
}

/// The id of an open (or just closed) story by number.
fn open_id(st: &ClusterState, placed: &Placed, n: u32) -> String {
    match (st.clusterer.open_story(n), placed.closed.get(&n)) {
        (Some(o), _) => story_id(&o.creator),
        (None, Some(f)) => story_id(&f.creator),
        (None, None) => unreachable!("story {n} was touched in this step, so it is open or closed in it"),
    }
}

/// The stories a step rewrites: those clustering touched, and those holding
/// revised articles.
fn targets(store: &dyn Store, st: &ClusterState, placed: &Placed, known: &[Enriched]) -> Result<Vec<Target>> {
    let mut out: Vec<Target> = Vec::new();
    let mut ids = HashSet::new();
    for &n in &placed.touched {
        let (creator, members) = match (st.clusterer.open_story(n), placed.closed.get(&n)) {
            (Some(o), _) => (&o.creator, o.members.clone()),
            (None, Some(f)) => (&f.creator, f.members.clone()),
            (None, None) => continue,
        };
        let id = story_id(creator);
        ids.insert(id.clone());
        out.push(Target { id, members });
    }
    let revised: Vec<String> = known.iter().map(|e| e.article.id.clone()).collect();
    let mut held: Vec<String> = store.stories_of(&revised)?.into_values().collect();
    held.sort();
    held.dedup();
    for id in held {
        if ids.contains(&id) {
            continue;
        }
        if let Some(s) = store.story(&id)? {
            ids.insert(id.clone());
            out.push(Target { id, members: s.article_ids });
        }
    }
    Ok(out)
}

/// Members of the target stories that are not in the batch, enriched, and
/// every member's stored TF-IDF vector.
struct Members {
    docs: HashMap<String, Enriched>,
    /// Members that had no kept enrichment (enriched now).
    enriched_afresh: Vec<String>,
    vectors: HashMap<String, Vector>,
    empty: Vector,
}

fn load_members(store: &dyn Store, targets: &[Target], batch: &HashMap<&str, &Enriched>, fresh: &[(String, Vector)]) -> Result<Members> {
    let all: BTreeSet<&str> = targets.iter().flat_map(|t| t.members.iter().map(String::as_str)).collect();
    let outside: Vec<String> = all.iter().filter(|id| !batch.contains_key(**id)).map(|id| id.to_string()).collect();
    let articles = store.articles_by_id(&outside)?;
    let (docs, enriched_afresh) = state::enriched_of(store, articles)?;
    let docs: HashMap<String, Enriched> = docs.into_iter().map(|e| (e.article.id.clone(), e)).collect();
    let fresh_ids: HashSet<&str> = fresh.iter().map(|(id, _)| id.as_str()).collect();
    let stored: Vec<String> = all.iter().filter(|id| !fresh_ids.contains(**id)).map(|id| id.to_string()).collect();
    let mut vectors = state::vectors_of(store, &stored)?;
    vectors.extend(fresh.iter().cloned());
    Ok(Members { docs, enriched_afresh, vectors, empty: Vector::default() })
}

/// Change log entries for story creation, joins and merges.
fn story_changes(placed: &Placed, st: &ClusterState, at: DateTime<Utc>, stories: &[Story]) -> Vec<ChangeEntry> {
    let title: HashMap<&str, &str> = stories.iter().map(|s| (s.id.as_str(), s.title.as_str())).collect();
    let entry = |kind, story_id: String| ChangeEntry {
        seq: 0,
        at,
        kind,
        text: title.get(story_id.as_str()).map(|t| t.to_string()).unwrap_or_default(),
        story_id,
        article_id: None,
        claim_id: None,
        other_story_id: None,
        from: None,
        to: None,
    };
    let id_of = |n: u32| -> Option<String> {
        let n = placed.survivor(n);
        st.clusterer.open_story(n).map(|o| story_id(&o.creator)).or_else(|| placed.closed.get(&n).map(|f| story_id(&f.creator)))
    };
    let mut out = Vec::new();
    for (_, creator) in &placed.created {
        let mut e = entry(ChangeKind::StoryCreated, story_id(creator));
        e.article_id = Some(creator.clone());
        out.push(e);
    }
    for (article, n) in &placed.joins {
        if let Some(sid) = id_of(*n) {
            let mut e = entry(ChangeKind::ArticleJoined, sid);
            e.article_id = Some(article.clone());
            out.push(e);
        }
    }
    for (gone, gone_id, _) in &placed.merged {
        if let Some(sid) = id_of(*gone) {
            let mut e = entry(ChangeKind::StoriesMerged, sid);
            e.other_story_id = Some(gone_id.clone());
            out.push(e);
        }
    }
    out
}

/// Change log entries for a story's claims and brief, against what the store holds.
/// A claim is followed through re-alignment by the sentences it is made of: a new
/// aligned claim sharing a sentence with an old one is that claim, changed.
fn claim_changes(store: &dyn Store, story: &Story, placed: &Placed, st: &ClusterState, claims: &[AlignedClaim], brief: &Brief, at: DateTime<Utc>) -> Result<Vec<ChangeEntry>> {
    let mut old = store.aligned_claims(&story.id)?;
    // Claims of the stories merged into this one are its claims now.
    for (gone, gone_id, _) in &placed.merged {
        if open_id(st, placed, placed.survivor(*gone)) == story.id {
            old.extend(store.aligned_claims(gone_id)?);
        }
    }
    let mut by_member: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, c) in old.iter().enumerate() {
        for m in &c.members {
            by_member.entry(m.id.as_str()).or_insert(i);
        }
    }
    let entry = |kind, c: &AlignedClaim| ChangeEntry {
        seq: 0,
        at,
        kind,
        story_id: story.id.clone(),
        article_id: c.members.first().map(|m| m.article_id.clone()),
        claim_id: Some(c.id.clone()),
        other_story_id: None,
        from: None,
        to: Some(c.status),
        text: c.text.clone(),
    };
    let mut out = Vec::new();
    let mut matched = vec![false; old.len()];
    for c in claims {
        let was: Vec<usize> = c.members.iter().filter_map(|m| by_member.get(m.id.as_str()).copied()).collect();
        was.iter().for_each(|&i| matched[i] = true);
        match was.first() {
            None => out.push(entry(ChangeKind::ClaimAdded, c)),
            Some(&i) if old[i].status != c.status => {
                let mut e = entry(ChangeKind::ClaimStatusChanged, c);
                e.from = Some(old[i].status);
                out.push(e);
            }
            Some(_) => {}
        }
    }
    for (_, c) in old.iter().enumerate().filter(|(i, _)| !matched[*i]) {
        let mut e = entry(ChangeKind::ClaimRemoved, c);
        e.to = None;
        e.from = Some(c.status);
        out.push(e);
    }
    if let Some(before) = store.brief(&story.id)? {
        if &before != brief {
            out.push(ChangeEntry {
                seq: 0,
                at,
                kind: ChangeKind::BriefChanged,
                story_id: story.id.clone(),
                article_id: None,
                claim_id: None,
                other_story_id: None,
                from: None,
                to: None,
                text: story.title.clone(),
            });
        }
    }
    Ok(out)
}
