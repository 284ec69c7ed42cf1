//! The story analysis phase: the claims and brief of each story a placing step
//! marked as owing analysis (`state::Owed`), worked out from its members as
//! they are now and committed with the claim change log, each story guarded by
//! its mark, so a story placed again meanwhile keeps owing. Scaled-out writers
//! lease the stories they analyse ([`Store::lease_stories`]): they analyse
//! different stories at once, never one twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use dossier_enrich::Enriched;
use dossier_model::{AlignedClaim, Article, Brief, ChangeEntry, ChangeKind, Story};
use dossier_store::{Store, StoryAnalysis};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::progress::{Phase, Progress};
use crate::state::{self, Owed};
use crate::{AnalysisReport, Engine};

/// A story taken for analysis: its row, its mark as read, and the mark's raw bytes (the guard).
struct Taken {
    id: String,
    story: Option<Story>,
    key: String,
    raw: Vec<u8>,
    owed: Owed,
}

impl Engine {
    /// Analyses the stories owing analysis, `chunk` stories at a time (each chunk leased,
    /// analysed and committed together, the meaning scorer seeing all its pairs at once),
    /// skipping those another writer holds; passes again while a pass cleared a mark (a
    /// placing step may have marked more meanwhile). After its first chunk it starts none
    /// after `until`, so a busy writer can bound what it spends here and still gets on
    /// (the marks left wait for the next call).
    pub(crate) fn analyse_owed(&mut self, store: &mut dyn Store, chunk: usize, until: Option<Instant>, progress: &dyn Progress, report: &mut AnalysisReport) -> Result<()> {
        let mut analysed_one = false;
        loop {
            let owed = crate::stories_owing_analysis(store)?;
            let mut cleared = false;
            for ids in owed.chunks(chunk.max(1)) {
                if analysed_one && until.is_some_and(|t| Instant::now() >= t) {
                    return Ok(());
                }
                let leased = store.lease_stories(ids)?;
                if leased.is_empty() {
                    continue;
                }
                analysed_one = true;
                let done = self.analyse_leased(store, &leased, progress, report);
                // Released whatever happened: the next writer redoes what did not commit.
                let released = store.release_stories(&leased);
                cleared |= done?;
                released?;
            }
            if !cleared {
                return Ok(());
            }
        }
    }

    /// Analyses these leased stories and commits them in one transaction; whether any
    /// mark was cleared.
    fn analyse_leased(&mut self, store: &mut dyn Store, ids: &[String], progress: &dyn Progress, report: &mut AnalysisReport) -> Result<bool> {
        let at = Utc::now();
        // The marks first, then the stories and articles: whatever changed after the marks
        // were read changed the marks too, so the commit's guard refuses it.
        let keys: Vec<String> = ids.iter().map(|id| state::owed_key(id)).collect();
        let marks = store.engine_state(&keys)?;
        let mut taken = Vec::with_capacity(ids.len());
        for (id, key) in ids.iter().zip(keys) {
            let Some(raw) = marks.get(&key) else { continue };
            let owed = Owed::decode(&key, raw)?;
            taken.push(Taken { id: id.clone(), story: store.story(id)?, key, raw: raw.clone(), owed });
        }
        if taken.is_empty() {
            return Ok(false);
        }
        let mut all: Vec<String> = taken.iter().filter(|t| t.story.is_some()).flat_map(|t| t.owed.members.iter().cloned()).collect();
        all.sort();
        all.dedup();
        let (docs, _) = state::enriched_of(store, store.articles_by_id(&all)?)?;
        let docs: HashMap<String, Enriched> = docs.into_iter().map(|e| (e.article.id.clone(), e)).collect();
        let stories: Vec<(Story, Vec<&Enriched>)> = taken.iter().filter_map(|t| t.story.clone().map(|s| (s, t.owed.members.iter().filter_map(|id| docs.get(id)).collect()))).collect();

        // Stories are independent, so they are worked out on all cores; the sentence pairs
        // that the meaning scorer must see are gathered from every story first and scored in
        // one call (full model batches, one look at the stored scores).
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

        let mut done = Vec::with_capacity(taken.len());
        let mut index_docs: HashMap<String, Vec<dossier_search::IndexDoc>> = HashMap::new();
        let mut analysed = stories.iter().zip(analysed);
        for t in &taken {
            let mut a = StoryAnalysis { story_id: t.id.clone(), mark: (t.key.clone(), t.raw.clone()), claims: Vec::new(), brief: None, state: Vec::new(), changes: Vec::new() };
            if t.story.is_some() {
                let ((story, docs), (claims, brief)) = analysed.next().expect("an analysis per stored story");
                let story_of: HashMap<String, String> = story.article_ids.iter().map(|a| (a.clone(), story.id.clone())).collect();
                let mut docs_of = crate::index::index_docs(docs, &story_of, &claims.iter().collect::<Vec<_>>());
                crate::index::attach_vectors(store, docs, &mut docs_of)?;
                a.changes = claim_changes(store, story, &t.owed.absorbed, &claims, &brief, at)?;
                // Until the index has taken them (after the commit), these articles are owed to it.
                a.state.extend(docs_of.iter().map(|d| (format!("{}{}", state::UNINDEXED, d.id), Some(Vec::new()))));
                if t.owed.closed {
                    // A closed story is never placed again: its members' enrichment goes.
                    a.state.extend(t.owed.members.iter().map(|id| (state::enriched_key(id), None)));
                }
                index_docs.insert(story.id.clone(), docs_of);
                a.claims = claims;
                a.brief = Some(brief);
            }
            done.push(a);
        }
        crate::pause::point("analysing");
        let written = store.commit_story_analyses(&done)?;
        crate::pause::point("before-index");
        let written: HashSet<&str> = written.iter().map(String::as_str).collect();
        report.stories_analysed += written.len();
        report.stories_refused += taken.len() - written.len();
        report.changes += done.iter().filter(|a| written.contains(a.story_id.as_str())).map(|a| a.changes.len()).sum::<usize>();
        let docs: Vec<dossier_search::IndexDoc> = done.iter().filter(|a| written.contains(a.story_id.as_str())).filter_map(|a| index_docs.remove(&a.story_id)).flatten().collect();
        let owed: Vec<String> = docs.iter().map(|d| d.id.clone()).collect();
        self.index_docs(store, &docs, &owed, progress)?;
        // A mark is cleared when its story was written or is no longer stored.
        Ok(!written.is_empty() || taken.iter().any(|t| t.story.is_none()))
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
    let brief = dossier_brief::build(story, &articles, &claims, &primary);
    Ok((claims, brief))
}

/// Change log entries for a story's claims and brief, against what the store holds.
/// A claim is followed through re-alignment by the sentences it is made of: a new
/// aligned claim sharing a sentence with an old one is that claim, changed.
fn claim_changes(store: &dyn Store, story: &Story, absorbed: &[AlignedClaim], claims: &[AlignedClaim], brief: &Brief, at: DateTime<Utc>) -> Result<Vec<ChangeEntry>> {
    let mut old = store.aligned_claims(&story.id)?;
    // Claims of the stories merged into this one (since its last analysis) are its claims now.
    old.extend(absorbed.iter().cloned());
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
