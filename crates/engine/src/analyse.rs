//! The placing phase of an incremental analysis step: take a batch of
//! arrivals, place the new articles into stories, rewrite the rows of the
//! stories they touched (and only those) and mark them as owing analysis,
//! and commit it all with the clusterer's state and the change log in one
//! transaction. The claims and briefs of the marked stories are the story
//! analysis's (`story_analysis.rs`).

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use dossier_enrich::{enrich, Enriched};
use dossier_model::{AlignedClaim, Article, ChangeEntry, ChangeKind, Story};
use dossier_store::{AnalysisStep, Arrival, Store};
use dossier_stories::{story_from, story_id, Formed, Vector};
use rayon::prelude::*;

use crate::error::Result;
use crate::progress::{Laps, Phase, Progress};
use crate::state::{self, ClusterState};
use crate::{AnalysisReport, Engine};

/// Enriches articles on all cores, keeping their order.
pub(crate) fn enrich_all(articles: &[Article]) -> Vec<Enriched> {
    articles.par_iter().map(enrich).collect()
}

/// A placing step's enriched articles, by id, and the generation its marks carry: a
/// story marked by that step is analysed from these (see [`Engine::members_enriched`]).
pub(crate) struct Handoff {
    pub generation: u64,
    pub docs: HashMap<String, Enriched>,
}

/// What clustering a batch did, by story number.
#[derive(Default)]
struct Placed {
    /// Open stories whose membership changed (final survivors of merges).
    touched: BTreeSet<u32>,
    /// Stories started in this step: (number, the article that started it,
    /// the id of the full story it follows up).
    created: Vec<(u32, String, Option<String>)>,
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

/// A story the step rewrites: its id and members, and whether it closed in the step.
struct Target {
    id: String,
    members: Vec<String>,
    closed: bool,
    /// The id of the full story this one follows up.
    continues: Option<String>,
}

impl Engine {
    /// The placing phase of one step over `arrivals` (all of one batch): enriches and
    /// embeds them, places them into stories, rewrites the rows and members of the stories
    /// they touched and marks those stories as owing analysis, all committed with the
    /// clusterer's state and the story change log in one transaction. Their claims and
    /// briefs are the story analysis's work ([`Engine::analyse_owed`]). `replay` is the
    /// batch number when a rebuild replays a recorded batch.
    pub(crate) fn place_step(&mut self, store: &mut dyn Store, arrivals: &[Arrival], replay: Option<i64>, progress: &dyn Progress, report: &mut AnalysisReport) -> Result<()> {
        let at = Utc::now();
        let mut laps = Laps::start("placing");
        let mut st = self.take_state(store)?;
        laps.lap("clusterer state");
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
        laps.lap("read and enrich");
        let (placed, fresh_vectors) = self.cluster(store, &mut st, &fresh_docs, progress)?;
        laps.lap("cluster");
        let targets = targets(store, &st, &placed, &known_docs)?;
        let batch_docs: HashMap<&str, &Enriched> = fresh_docs.iter().chain(&known_docs).map(|e| (e.article.id.as_str(), e)).collect();
        let members = load_members(store, &targets, &batch_docs, &fresh_vectors)?;
        // What enrichment found is kept while an article's story is open (and until its
        // story is analysed): a member is enriched once.
        let afresh: Vec<&Enriched> = members.enriched_afresh.iter().map(|id| &members.docs[id]).collect();
        let kept: Vec<(String, Option<Vec<u8>>)> = fresh_docs.par_iter().chain(known_docs.par_iter()).chain(afresh.into_par_iter()).map(state::enriched_row).collect();
        laps.lap("members and kept enrichment");

        // The touched stories' rows (title, outlets, members): cheap, so worked out here;
        // their claims and briefs wait for the story analysis.
        let stories: Vec<(Story, Vec<String>, bool)> = targets
            .par_iter()
            .filter_map(|t| {
                let docs: Vec<&Enriched> = t.members.iter().filter_map(|id| members.docs.get(id.as_str()).or_else(|| batch_docs.get(id.as_str()).copied())).collect();
                if docs.is_empty() {
                    return None;
                }
                let vectors: Vec<&Vector> = docs.iter().map(|d| members.vectors.get(d.article.id.as_str()).unwrap_or(&members.empty)).collect();
                let order = docs.iter().map(|d| d.article.id.clone()).collect();
                let mut story = story_from(t.id.clone(), &docs, &vectors);
                story.continues = t.continues.clone();
                Some((story, order, t.closed))
            })
            .collect();
        laps.lap("story rows");
        let mut out = AnalysisStep { batch, arrivals: arrivals.iter().map(|a| a.seq).collect(), ..Default::default() };
        for (gone, gone_id, _) in &placed.merged {
            let keep = placed.survivor(*gone);
            out.merged.push((gone_id.clone(), open_id(&st, &placed, keep)));
        }
        st.generation += 1;
        let marks = owing_marks(store, st.generation, &stories, &out.merged)?;
        out.stories = stories.into_iter().map(|(story, _, _)| story).collect();
        out.changes = story_changes(&placed, &st, at, &out.stories);
        out.state = st.rows(&placed.rows.iter().copied().collect::<Vec<_>>());
        for (id, v) in &fresh_vectors {
            out.state.push((state::vector_key(id), Some(state::encode(v))));
        }
        out.state.extend(kept);
        // Closed stories are never touched again (a revision re-enriches its article anyway);
        // the members of those closing now keep their enrichment until their analysis.
        let analysed_later: HashSet<&str> = out.stories.iter().flat_map(|s| s.article_ids.iter().map(String::as_str)).collect();
        out.state.extend(placed.closed_members.iter().filter(|id| !analysed_later.contains(id.as_str())).map(|id| (state::enriched_key(id), None)));
        out.state.extend(marks);
        // Their members' search documents changed (their story); until the index has taken
        // them, they are owed to it, so an index served before the story analysis is current.
        for id in out.stories.iter().flat_map(|s| &s.article_ids) {
            out.state.push((format!("{}{}", state::UNINDEXED, id), Some(Vec::new())));
        }
        laps.lap("marks and state rows");
        crate::pause::point("placing");
        store.commit_step(&out)?;
        laps.lap("commit");
        crate::pause::point("placed");
        let mut docs = members.docs;
        docs.extend(fresh_docs.into_iter().chain(known_docs).map(|e| (e.article.id.clone(), e)));
        self.handoff = Some(Handoff { generation: st.generation, docs });
        report.articles += arrivals.len();
        report.steps += 1;
        report.stories_touched += out.stories.len();
        report.stories_created += placed.created.len();
        report.merges += out.merged.len();
        report.changes += out.changes.len();
        self.cache = Some(st);
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
    fn cluster(&mut self, store: &mut dyn Store, st: &mut ClusterState, docs: &[Enriched], progress: &dyn Progress) -> Result<(Placed, Vec<(String, Vector)>)> {
        let mut laps = Laps::start("clustering");
        let refs: Vec<&Enriched> = docs.iter().collect();
        let meanings = crate::embedding::embeddings_of(store, &refs, self.mode, &mut self.embedder, progress)?;
        laps.lap("embeddings");
        // Term counting is per article and the costliest part here; the clusterer itself is one sequence.
        let counts: Vec<_> = docs.par_iter().map(|d| dossier_stories::counts(d, &self.stories)).collect();
        counts.iter().for_each(|c| st.vocab.add(c));
        let vocab = &st.vocab;
        let vectors: Vec<Vector> = counts.par_iter().map(|c| vocab.vector(c)).collect();
        laps.lap("term vectors");
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
                placed.created.push((p.story, id, p.continued.as_ref().map(|(_, c)| story_id(c))));
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
        laps.lap("placing in stories");
        let fresh = order.iter().map(|&i| (docs[i].article.id.clone(), vectors[i].clone())).collect();
        Ok((placed, fresh))
    }
}

/// The owing marks a placing step writes ([`state::Owed`]): one per story it rewrote,
/// of this generation, carrying the claims of the stories merged into it (theirs and
/// what they had absorbed); the marks of the stories merged away go.
fn owing_marks(store: &dyn Store, generation: u64, stories: &[(Story, Vec<String>, bool)], merged: &[(String, String)]) -> Result<Vec<(String, Option<Vec<u8>>)>> {
    let keys: Vec<String> = stories.iter().map(|(s, _, _)| state::owed_key(&s.id)).chain(merged.iter().map(|(gone, _)| state::owed_key(gone))).collect();
    let mut before: HashMap<String, state::Owed> = HashMap::new();
    for (k, b) in store.engine_state(&keys)? {
        let owed = state::Owed::decode(&k, &b)?;
        before.insert(k, owed);
    }
    let mut absorbed: HashMap<&str, Vec<AlignedClaim>> = HashMap::new();
    let mut out = Vec::new();
    for (gone, keep) in merged {
        let key = state::owed_key(gone);
        let into = absorbed.entry(keep.as_str()).or_default();
        if let Some(o) = before.get(&key) {
            into.extend(o.absorbed.iter().cloned());
        }
        into.extend(store.aligned_claims(gone)?);
        out.push((key, None));
    }
    for (story, members, closed) in stories {
        let key = state::owed_key(&story.id);
        let prev = before.get(&key);
        let mut carried: Vec<AlignedClaim> = prev.map(|o| o.absorbed.clone()).unwrap_or_default();
        carried.extend(absorbed.remove(story.id.as_str()).unwrap_or_default());
        let mark = state::Owed { generation, members: members.clone(), absorbed: carried, closed: *closed || prev.is_some_and(|o| o.closed) };
        out.push((key, Some(mark.encode())));
    }
    Ok(out)
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
        let (creator, members, closed, continues) = match (st.clusterer.open_story(n), placed.closed.get(&n)) {
            (Some(o), _) => (&o.creator, o.members.clone(), false, &o.continues),
            (None, Some(f)) => (&f.creator, f.members.clone(), true, &f.continues),
            (None, None) => continue,
        };
        let id = story_id(creator);
        ids.insert(id.clone());
        out.push(Target { id, members, closed, continues: continues.as_deref().map(story_id) });
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
            out.push(Target { id, members: s.article_ids, closed: false, continues: s.continues });
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
        was: None,
        was_claim_id: None,
    };
    let id_of = |n: u32| -> Option<String> {
        let n = placed.survivor(n);
        st.clusterer.open_story(n).map(|o| story_id(&o.creator)).or_else(|| placed.closed.get(&n).map(|f| story_id(&f.creator)))
    };
    let mut out = Vec::new();
    for (_, creator, continues) in &placed.created {
        let mut e = entry(ChangeKind::StoryCreated, story_id(creator));
        e.article_id = Some(creator.clone());
        // A follow-up names the full story it continues.
        e.other_story_id = continues.clone();
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
