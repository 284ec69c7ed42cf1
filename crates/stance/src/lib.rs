//! Where an article stands towards the claim another outlet's headline makes:
//! agree, disagree (disputes it), discuss (reports it without taking a side)
//! or unrelated, as the Fake News Challenge (FNC-1) labels headline–body pairs.
//!
//! A pair is described by words only ([`features`]: how much of the headline
//! the body and its closest sentences repeat, and the refuting, hedging,
//! negating and confirming words near them), so stance works the same with
//! the embedding model off. Two stages of boosted trees ([`dossier_similarity::gbdt`])
//! decide: related or not, then agree / disagree / discuss (one regression per
//! class, `disagree` rows weighed up, per-class offsets), every setting chosen
//! by cross-validation grouped by body. The shipped model (`model/stance.json`)
//! is made by `scripts/train_stance.sh` from the FNC-1 training pairs.
//!
//! In a story, [`story_stances`] pairs each outlet's headline with the other
//! outlets' articles only, so the cost grows with the outlets of a story, not
//! with the corpus.

pub mod features;
pub mod fnc;
pub mod linear;
pub mod train;

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use dossier_model::{OutletStance, Stance};
use dossier_similarity::gbdt::Forest;
use serde::{Deserialize, Serialize};

pub use features::{Body, Idf, Text};

/// Format tag of a model file.
pub const FORMAT: &str = "dossier-stance/1";

/// Articles of one story whose headlines and bodies are paired (the first ones, in the
/// order given): a story of many articles costs at most this many squared pairs.
pub const MAX_STORY_ARTICLES: usize = 12;

const BUNDLED: &str = include_str!("../model/stance.json");

/// The classes of the second stage, in the order of [`Model::classes`].
pub const CLASSES: [Stance; 3] = [Stance::Agree, Stance::Disagree, Stance::Discuss];

/// A trained stance classifier.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    pub features: Vec<String>,
    /// How it was made and how it did in cross-validation.
    pub training: train::Training,
    pub idf: Idf,
    /// The body-word regression whose probabilities are the last three features.
    pub linear: linear::Linear,
    /// Stage one: how likely the body is about the headline's claim.
    pub related: Forest,
    /// Related when `related` scores at least this.
    pub threshold: f32,
    /// Stage two: one score per class of [`CLASSES`]; the highest (plus its offset) wins.
    pub classes: Vec<Forest>,
    pub offsets: Vec<f32>,
}

impl Model {
    /// The model shipped with the crate.
    pub fn bundled() -> &'static Model {
        static M: OnceLock<Model> = OnceLock::new();
        M.get_or_init(|| Model::parse(BUNDLED).expect("the shipped stance model is well formed (checked by a test)"))
    }

    /// Starts reading the shipped model on a thread of its own, once per process: a few
    /// MB of trees to parse while the caller's serial work leaves a core free. The first
    /// [`bundled`](Self::bundled) waits for it only if it is not ready by then.
    pub fn preload() {
        static STARTED: std::sync::Once = std::sync::Once::new();
        STARTED.call_once(|| {
            std::thread::spawn(|| {
                Model::bundled();
            });
        });
    }

    /// A model file made by `dossier train stance`.
    pub fn load(path: &Path) -> Result<Model> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading the stance model {}", path.display()))?;
        Model::parse(&text).with_context(|| format!("the stance model {}", path.display()))
    }

    fn parse(text: &str) -> Result<Model> {
        let m: Model = serde_json::from_str(text).context("not a stance model (JSON)")?;
        m.validate()?;
        Ok(m)
    }

    /// Refuses a model that would not fit the features computed now or could not be evaluated.
    pub fn validate(&self) -> Result<()> {
        if self.format != FORMAT {
            bail!("format {:?}, expected {FORMAT:?}", self.format);
        }
        if self.features != features::NAMES {
            bail!("made for other features than this build computes; train it again");
        }
        if self.classes.len() != CLASSES.len() || self.offsets.len() != CLASSES.len() {
            bail!("{} class forests and {} offsets, expected {}", self.classes.len(), self.offsets.len(), CLASSES.len());
        }
        if self.linear.bias.len() != CLASSES.len() || self.linear.weights.len() != CLASSES.len() || self.linear.weights.iter().any(|w| w.len() != linear::BUCKETS) {
            bail!("the body-word regression is not {} x {} weights", CLASSES.len(), linear::BUCKETS);
        }
        for f in std::iter::once(&self.related).chain(&self.classes) {
            if f.features != features::NAMES.len() {
                bail!("a forest reads {} features, expected {}", f.features, features::NAMES.len());
            }
            f.validate().map_err(anyhow::Error::msg)?;
        }
        Ok(())
    }

    /// The stance of a body towards a headline, with a confidence (0-1).
    pub fn classify(&self, headline: &Text, body: &Body) -> (Stance, f32) {
        let (mut x, bag) = features::read(&self.idf, headline, body);
        x.extend(self.linear.predict(&bag));
        self.decide(&x)
    }

    /// The stance for computed features.
    pub fn decide(&self, x: &[f32]) -> (Stance, f32) {
        let related = self.related.predict(x);
        if related < self.threshold {
            return (Stance::Unrelated, (1.0 - related).clamp(0.0, 1.0));
        }
        let scores: Vec<f32> = self.classes.iter().map(|f| f.predict(x)).collect();
        let (k, _) = decide_class(&scores, &self.offsets);
        (CLASSES[k], scores[k].clamp(0.0, 1.0) * related.clamp(0.0, 1.0))
    }
}

/// The class whose score plus offset is highest, and that sum.
fn decide_class(scores: &[f32], offsets: &[f32]) -> (usize, f32) {
    scores.iter().zip(offsets).map(|(s, o)| s + o).enumerate().fold((0, f32::MIN), |best, (k, v)| if v > best.1 { (k, v) } else { best })
}

/// One article of a story, as stance reads it.
#[derive(Debug, Clone)]
pub struct StoryArticle<'a> {
    pub id: &'a str,
    /// The outlet's key: articles of the same outlet are never paired.
    pub outlet: &'a str,
    pub title: &'a str,
    pub sentences: Vec<&'a str>,
}

/// Every article's stance towards each other outlet's headline in one story (the first
/// [`MAX_STORY_ARTICLES`] articles), unrelated pairs left out: disputes first, then
/// agreements, then reports, each by outlet.
pub fn story_stances(model: &Model, articles: &[StoryArticle]) -> Vec<OutletStance> {
    let articles = &articles[..articles.len().min(MAX_STORY_ARTICLES)];
    if articles.iter().all(|a| a.outlet == articles[0].outlet) {
        return Vec::new();
    }
    let bodies: Vec<Body> = articles.iter().map(|a| Body::new(a.sentences.iter().copied())).collect();
    let mut out = Vec::new();
    for claimant in articles.iter().filter(|a| !a.title.trim().is_empty()) {
        let headline = Text::new(claimant.title);
        for (a, body) in articles.iter().zip(&bodies).filter(|(a, _)| a.outlet != claimant.outlet) {
            let (stance, confidence) = model.classify(&headline, body);
            if stance != Stance::Unrelated {
                out.push(OutletStance {
                    outlet: a.outlet.to_string(),
                    article_id: a.id.to_string(),
                    toward_outlet: claimant.outlet.to_string(),
                    toward_article_id: claimant.id.to_string(),
                    headline: claimant.title.to_string(),
                    stance,
                    confidence: (confidence * 100.0).round() / 100.0,
                });
            }
        }
    }
    out.sort_by(|a, b| rank(a.stance).cmp(&rank(b.stance)).then_with(|| a.outlet.cmp(&b.outlet)).then_with(|| a.toward_outlet.cmp(&b.toward_outlet)).then_with(|| a.article_id.cmp(&b.article_id)));
    out
}

/// Disputes matter most to a reader checking a claim, then agreement, then mere reports.
fn rank(s: Stance) -> u8 {
    match s {
        Stance::Disagree => 0,
        Stance::Agree => 1,
        Stance::Discuss => 2,
        Stance::Unrelated => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAIM: &str = "Ministry held secret talks with rail union before strike";
    const DISPUTES: &str = "The Ministry of Transport on Monday denied a report that it had held secret talks with the rail union before the strike. \
        \"These claims are false,\" a spokesman for the ministry said. The minister has never met union leaders in private, he added, \
        and all meetings took place in public sessions of the mediation board.";
    const REPORTS: &str = "A newspaper reported on Sunday that the Ministry of Transport may have held secret talks with the rail union in the weeks before the strike. \
        The ministry did not respond to requests for comment. It was unclear who would have attended the alleged meetings, \
        and the union declined to say whether its leaders had met the minister.";
    const AGREES: &str = "The Ministry of Transport confirmed on Monday that it held secret talks with the rail union in the weeks before the strike. \
        The minister said the talks with the union leaders were needed to avert a longer walkout, and that the meetings took place in early March.";
    const UNRELATED: &str = "The city's harbour museum reopened on Monday after a two-year restoration that cost 12 million euros, its director said. \
        Visitors will be admitted free of charge until the end of the month.";

    fn stance(body: &str) -> Stance {
        Model::bundled().classify(&Text::new(CLAIM), &Body::of_text(body)).0
    }

    #[test]
    fn the_shipped_model_is_well_formed_and_small() {
        Model::bundled().validate().unwrap();
        assert!(BUNDLED.len() < 4 << 20, "{} bytes", BUNDLED.len());
    }

    #[test]
    fn a_denial_disputes_a_confirmation_agrees_and_a_relayed_report_discusses() {
        assert_eq!(stance(DISPUTES), Stance::Disagree);
        assert_eq!(stance(AGREES), Stance::Agree);
        assert_eq!(stance(REPORTS), Stance::Discuss);
        assert_eq!(stance(UNRELATED), Stance::Unrelated);
    }

    #[test]
    fn a_story_pairs_headlines_with_other_outlets_only_disputes_first() {
        let a = |id, outlet, title, body| StoryArticle { id, outlet, title, sentences: dossier_enrich::split_sentences(body).into_iter().map(|s| &body[s.start..s.end]).collect() };
        let articles = [a("p1", "Post", CLAIM, AGREES), a("p2", "Post", "Harbour museum reopens", UNRELATED), a("t1", "Times", "Ministry denies secret talks with rail union", DISPUTES)];
        let got = story_stances(Model::bundled(), &articles);
        let times = got.iter().find(|s| s.outlet == "Times" && s.toward_article_id == "p1").expect("the Times' stance on the Post's claim");
        assert_eq!(times.stance, Stance::Disagree, "{got:#?}");
        assert_eq!(got[0].stance, Stance::Disagree, "disputes first: {got:#?}");
        assert!(got.iter().all(|s| s.outlet != s.toward_outlet), "{got:#?}");
        assert!(got.iter().all(|s| s.stance != Stance::Unrelated && s.article_id != "p2" && s.toward_article_id != "p2"), "the museum is no one's claim: {got:#?}");
        // One outlet alone takes no stance towards itself.
        assert!(story_stances(Model::bundled(), &articles[..2]).is_empty());
    }
}
