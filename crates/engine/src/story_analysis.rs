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
use dossier_model::{AlignedClaim, Article, Brief, ChangeEntry, ChangeKind, Claim, Story};
use dossier_store::{Store, StoryAnalysis};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::progress::{Laps, Phase, Progress};
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
                self.handoff = None;
                return Ok(());
            }
        }
    }

    /// Analyses these leased stories and commits them in one transaction; whether any
    /// mark was cleared.
    fn analyse_leased(&mut self, store: &mut dyn Store, ids: &[String], progress: &dyn Progress, report: &mut AnalysisReport) -> Result<bool> {
        let at = Utc::now();
        let mut laps = Laps::start("story analysis");
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
        let docs = self.members_enriched(store, &taken)?;
        laps.lap("marks, stories and members");
        let stories: Vec<(Story, Vec<&Enriched>)> = taken.iter().filter_map(|t| t.story.clone().map(|s| (s, t.owed.members.iter().filter_map(|id| docs.get(id)).collect()))).collect();

        // Stories are independent, so they are worked out on all cores; the sentence pairs
        // that the meaning scorer must see are gathered from every story first and scored in
        // one call (full model batches, one look at the stored scores).
        let scores = self.meaning_scores(store, &stories, progress)?;
        laps.lap("meaning scores");
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
        laps.lap("align and brief");

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
        laps.lap("index documents and claim changes");
        crate::pause::point("analysing");
        let docs: Vec<(&str, Vec<dossier_search::IndexDoc>)> = done.iter().filter_map(|a| index_docs.remove(&a.story_id).map(|d| (a.story_id.as_str(), d))).collect();
        let all: Vec<&dossier_search::IndexDoc> = docs.iter().flat_map(|(_, d)| d).collect();
        let written = self.commit_and_index(store, &done, &all, progress)?;
        laps.lap("commit and search index");
        let written: HashSet<&str> = written.iter().map(String::as_str).collect();
        report.stories_analysed += written.len();
        report.stories_refused += taken.len() - written.len();
        report.changes += done.iter().filter(|a| written.contains(a.story_id.as_str())).map(|a| a.changes.len()).sum::<usize>();
        // The articles of stories whose commit was refused stay owed to the index, which
        // takes them again with their story's next analysis.
        let owed: Vec<String> = docs.iter().filter(|(s, _)| written.contains(s)).flat_map(|(_, d)| d.iter().map(|d| d.id.clone())).collect();
        crate::pause::point("before-index-done");
        self.index_done(store, &owed)?;
        laps.lap("index owed cleared");
        // A mark is cleared when its story was written or is no longer stored.
        Ok(!written.is_empty() || taken.iter().any(|t| t.story.is_none()))
    }

    /// The members of the taken stories, enriched: those of stories whose mark this
    /// process's last placing step wrote come from its hand-off, the rest from the
    /// enrichment kept in the store (or afresh).
    fn members_enriched(&mut self, store: &dyn Store, taken: &[Taken]) -> Result<HashMap<String, Enriched>> {
        let mut out = HashMap::new();
        let mut rest = Vec::new();
        for t in taken.iter().filter(|t| t.story.is_some()) {
            let mut handoff = self.handoff.as_mut().filter(|h| h.generation == t.owed.generation);
            for id in &t.owed.members {
                // A story's members are its own: no other story takes them from the hand-off.
                match handoff.as_mut().and_then(|h| h.docs.remove(id)) {
                    Some(e) => {
                        out.insert(id.clone(), e);
                    }
                    None => rest.push(id.clone()),
                }
            }
        }
        rest.sort();
        rest.dedup();
        rest.retain(|id| !out.contains_key(id));
        let (docs, _) = state::enriched_of(store, store.articles_by_id(&rest)?)?;
        out.extend(docs.into_iter().map(|e| (e.article.id.clone(), e)));
        Ok(out)
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
        if self.meaning()?.is_none() {
            return Ok(None);
        }
        let (Some(Some(meaning)), models) = (self.meaning.as_mut(), &mut self.embedder) else { return Ok(None) };
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
        let scores = meaning.score(store, models, &pairs, progress)?;
        Ok(Some(pairs.iter().zip(scores).map(|(&(a, b), s)| ((a.to_string(), b.to_string()), s)).collect()))
    }
}

/// Meaning scores by sentence pair, as [`Engine::meaning_scores`] gathers them.
type PairScores = HashMap<(String, String), f32>;

/// A story's claims (aligned by meaning where `scores` are given and two or
/// more outlets report it) and its brief, from its own articles only.
fn align_story(story: &Story, docs: &[&Enriched], settings: &dossier_claims::Settings, scores: Option<&PairScores>) -> Result<(Vec<AlignedClaim>, Brief)> {
    // The story's source names are gathered once, for its claims and its primary sources.
    let sources = dossier_claims::SourceNames::of(docs);
    let claims = match scores {
        Some(known) if story.outlets.len() >= 2 => {
            let mut look_up = |pairs: &[(&str, &str)]| {
                pairs.iter().map(|&(a, b)| known.get(&(a.to_string(), b.to_string())).copied().ok_or_else(|| format!("no meaning score gathered for the pair {a:?} / {b:?}"))).collect()
            };
            dossier_claims::align_named(story, docs, settings, Some(&mut look_up), &sources).map_err(|e| Error::internal(format!("aligning the claims of story {}", story.id), e))?
        }
        _ => dossier_claims::align_named(story, docs, settings, None, &sources).expect("wording alone cannot fail"),
    };
    let primary = dossier_claims::primary_sources_named(docs, &sources);
    let articles: Vec<Article> = docs.iter().map(|d| d.article.clone()).collect();
    let mut brief = dossier_brief::build(story, &articles, &claims, &primary);
    brief.stances = stances(story, docs);
    Ok((claims, brief))
}

/// Which outlets' articles agree with, dispute or only report another outlet's headline (words
/// only: the same with the embedding model on or off). Copies are left out: a copy agrees
/// with its original by being it.
fn stances(story: &Story, docs: &[&Enriched]) -> Vec<dossier_model::OutletStance> {
    if story.outlets.len() < 2 {
        return Vec::new();
    }
    let start = Instant::now();
    let names = dossier_model::OutletNames::of_articles(docs.iter().map(|d| &d.article));
    let articles: Vec<dossier_stance::StoryArticle> = docs
        .iter()
        .filter(|d| d.article.kind == dossier_model::ArticleKind::Main && story.original_of(&d.article.id).is_none())
        .map(|d| dossier_stance::StoryArticle {
            id: &d.article.id,
            outlet: names.of_article(&d.article),
            title: &d.article.title,
            sentences: d.sentences.iter().filter(|s| !s.is_heading).map(|s| s.sentence.text.as_str()).collect(),
        })
        .collect();
    let found = dossier_stance::story_stances(dossier_stance::Model::bundled(), &articles);
    // What stance costs a story (its articles pair up squared): BENCHMARKS.md sums these.
    let ms = format!("{:.2}", start.elapsed().as_secs_f64() * 1e3);
    tracing::debug!(target: "dossier_engine::timing", story = %story.id, articles = articles.len(), ms, "stances");
    found
}

/// The claims one article makes in a story's aligned claims: (its claim, the aligned claim it is in), in sentence order.
fn claims_by_article(aligned: &[AlignedClaim]) -> BTreeMap<&str, Vec<(&Claim, &AlignedClaim)>> {
    let mut by: BTreeMap<&str, Vec<(&Claim, &AlignedClaim)>> = BTreeMap::new();
    for c in aligned {
        for m in &c.members {
            by.entry(m.article_id.as_str()).or_default().push((m, c));
        }
    }
    by.values_mut().for_each(|v| v.sort_by_key(|(m, _)| m.sentence));
    by
}

/// The lower-cased words of a sentence, to tell a reworded sentence from a new one.
fn words(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// How much two sentences share: the Jaccard overlap of their words.
fn overlap(a: &HashSet<String>, b: &HashSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

/// Words two sentences must share (Jaccard) for the later to be the earlier one corrected
/// rather than a new sentence: a changed figure or name keeps most of the words.
const REWORDED: f64 = 0.4;

/// Corrections: a revised article (still in the story, analysed in it before) whose claim
/// sentences changed. A claim's id is made of its article, sentence position and text, so
/// an article analysed again unrevised keeps every claim id; one whose ids changed was
/// revised. Each sentence gone is paired with the most similar new one of the same article
/// (a correction that changed it), or with none (a correction that dropped it); sentences
/// merely moved (the same text) are no correction.
fn corrections(story: &Story, old: &[AlignedClaim], claims: &[AlignedClaim], at: DateTime<Utc>) -> Vec<(usize, ChangeEntry)> {
    let (before, now) = (claims_by_article(old), claims_by_article(claims));
    let members: HashSet<&str> = story.article_ids.iter().map(String::as_str).collect();
    let mut out = Vec::new();
    for (article, was) in before.iter().filter(|(a, _)| members.contains(**a)) {
        let is = now.get(article).map(Vec::as_slice).unwrap_or_default();
        let kept: HashSet<&str> = is.iter().map(|(m, _)| m.id.as_str()).collect();
        let had: HashSet<&str> = was.iter().map(|(m, _)| m.id.as_str()).collect();
        let texts_now: HashSet<&str> = is.iter().map(|(m, _)| m.text.as_str()).collect();
        let texts_before: HashSet<&str> = was.iter().map(|(m, _)| m.text.as_str()).collect();
        let gone: Vec<&(&Claim, &AlignedClaim)> = was.iter().filter(|(m, _)| !kept.contains(m.id.as_str()) && !texts_now.contains(m.text.as_str())).collect();
        let mut fresh: Vec<(&(&Claim, &AlignedClaim), HashSet<String>)> =
            is.iter().filter(|(m, _)| !had.contains(m.id.as_str()) && !texts_before.contains(m.text.as_str())).map(|x| (x, words(&x.0.text))).collect();
        for (m, c) in gone {
            let w = words(&m.text);
            let best = fresh.iter().enumerate().map(|(i, (_, fw))| (i, overlap(&w, fw))).filter(|&(_, o)| o >= REWORDED).max_by(|a, b| a.1.total_cmp(&b.1)).map(|(i, _)| i);
            let (claim_id, to, text) = match best {
                Some(i) => {
                    let ((nm, nc), _) = fresh.remove(i);
                    (nc.id.clone(), Some(nc.status), nm.text.clone())
                }
                None => (c.id.clone(), None, String::new()),
            };
            let old_index = old.iter().position(|o| o.id == c.id).expect("an old claim");
            out.push((
                old_index,
                ChangeEntry {
                    seq: 0,
                    at,
                    kind: ChangeKind::ClaimCorrected,
                    story_id: story.id.clone(),
                    article_id: Some(article.to_string()),
                    claim_id: Some(claim_id),
                    other_story_id: None,
                    from: Some(c.status),
                    to,
                    text,
                    was: Some(m.text.clone()),
                    was_claim_id: Some(c.id.clone()),
                },
            ));
        }
    }
    out
}

/// The [`corrections`] of articles that were revised: only an article stored in more than
/// one version was, and a claim that left an article for another reason is no correction.
fn revised_corrections(store: &dyn Store, story: &Story, old: &[AlignedClaim], claims: &[AlignedClaim], at: DateTime<Utc>) -> Result<Vec<(usize, ChangeEntry)>> {
    let mut revised: HashMap<String, bool> = HashMap::new();
    let mut out = Vec::new();
    for fix in corrections(story, old, claims, at) {
        let article = fix.1.article_id.clone().unwrap_or_default();
        let was_revised = match revised.get(&article) {
            Some(&r) => r,
            None => {
                let r = store.revisions(&article)?.len() > 1;
                revised.insert(article, r);
                r
            }
        };
        if was_revised {
            out.push(fix);
        }
    }
    Ok(out)
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
        was: None,
        was_claim_id: None,
    };
    let fixes = revised_corrections(store, story, &old, claims, at)?;
    // A claim a correction changed is that claim, corrected (not one removed and one added);
    // a claim a correction dropped is logged as the correction.
    let corrected_old: HashSet<usize> = fixes.iter().map(|(i, _)| *i).collect();
    let corrected_new: HashSet<&str> = fixes.iter().filter(|(_, e)| e.to.is_some()).filter_map(|(_, e)| e.claim_id.as_deref()).collect();
    let mut out = Vec::new();
    let mut matched = vec![false; old.len()];
    for c in claims {
        let was: Vec<usize> = c.members.iter().filter_map(|m| by_member.get(m.id.as_str()).copied()).collect();
        was.iter().for_each(|&i| matched[i] = true);
        match was.first() {
            None if corrected_new.contains(c.id.as_str()) => {}
            None => out.push(entry(ChangeKind::ClaimAdded, c)),
            Some(&i) if old[i].status != c.status => {
                let mut e = entry(ChangeKind::ClaimStatusChanged, c);
                e.from = Some(old[i].status);
                out.push(e);
            }
            Some(_) => {}
        }
    }
    for (_, c) in old.iter().enumerate().filter(|(i, _)| !matched[*i] && !corrected_old.contains(i)) {
        let mut e = entry(ChangeKind::ClaimRemoved, c);
        e.to = None;
        e.from = Some(c.status);
        out.push(e);
    }
    out.extend(fixes.into_iter().map(|(_, e)| e));
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
                was: None,
                was_claim_id: None,
            });
        }
    }
    Ok(out)
}
