//! Brief: a story with its aligned claims -> the cited "At a Glance" [`Brief`].
//!
//! Takes a story, its articles, its aligned claims (ranked) and primary
//! sources, and gives a handful of bullets: what several outlets carry, what
//! only one carries, contested points marked as such, who the reporting rests
//! on, and a timeline. Every bullet is a source sentence, cited to the
//! outlets and sentences behind it: nothing here writes new prose about the
//! world. Also renders briefs as plain text and Markdown; [`desk`] arranges the
//! list of stories the faces show, and [`export`] writes stories, claims and
//! articles as CSV.

pub mod desk;
pub mod export;

use std::collections::{HashMap, HashSet};

use dossier_model::{AlignedClaim, Article, Brief, Bullet, Citation, ClaimStatus, OutletNames, OutletStance, PrimarySource, SourceKind, Stance, Story, TimelineEntry};

/// What a glance at a brief shows: the top bullets and the top sources.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Bullets, in order of importance: contested first, then the most independent outlets, then
    /// the most check-worthy.
    pub bullets: usize,
    /// Primary sources, those most claims rest on first.
    pub sources: usize,
    /// Outlets' stances towards other outlets' headlines, disputes first.
    pub stances: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { bullets: 7, sources: 5, stances: 4 }
    }
}

/// Builds the full brief of one story: every claim worth a bullet, ranked, and every primary
/// source with the number of claims resting on it. [`glance`] cuts it to what the faces show by default.
pub fn build(story: &Story, articles: &[Article], claims: &[AlignedClaim], primary: &[PrimarySource]) -> Brief {
    // One name per outlet (one site), however its articles name it.
    let names = OutletNames::of_articles(articles.iter().filter(|a| story.article_ids.contains(&a.id)));
    let outlet_of = |article_id: &str| articles.iter().find(|a| a.id == article_id).map(|a| names.of_article(a).to_string()).unwrap_or_default();
    let ranked = ranked_claims(story, claims, &outlet_of);
    // Sentences already shown or cited: a claim adds a bullet only if it brings a new one, and
    // states a fact no earlier bullet stated.
    let mut covered: HashSet<String> = HashSet::new();
    let mut stated = Stated::default();
    let mut shared = Vec::new();
    for c in ranked.iter().filter(|c| c.outlets.len() >= 2 || c.status == ClaimStatus::Contested) {
        // Show a sentence no earlier bullet showed, from the first outlet where possible.
        let Some(lead) = c.members.iter().find(|m| !covered.contains(&m.id)) else { continue };
        covered.extend(c.members.iter().map(|m| m.id.clone()));
        if !new_fact(&mut stated, c) {
            continue;
        }
        let mut citations: Vec<Citation> = Vec::new();
        for m in std::iter::once(lead).chain(c.members.iter()) {
            let outlet = outlet_of(&m.article_id);
            if !citations.iter().any(|x| x.outlet == outlet) {
                citations.push(Citation { outlet, article_id: m.article_id.clone(), sentence: m.text.clone() });
            }
        }
        shared.push(Bullet { text: lead.text.clone(), status: c.status, citations, sources: c.sources.clone(), conflict: c.conflict.clone(), checkworthiness: c.checkworthiness });
    }
    let mut only_in: Vec<(String, Vec<Bullet>)> = Vec::new();
    for outlet in &story.outlets {
        let mut bullets: Vec<(f32, Bullet)> = Vec::new();
        for c in ranked.iter().filter(|c| c.outlets.len() == 1 && &c.outlets[0] == outlet && c.status != ClaimStatus::Contested) {
            if c.members.iter().any(|m| covered.contains(&m.id)) || !new_fact(&mut stated, c) {
                continue;
            }
            let m = &c.members[0];
            // Figures are what drift between retellings: claims stating one come first.
            let figure = m.quantities.iter().any(|q| q.span.is_none());
            let citations = vec![Citation { outlet: outlet.clone(), article_id: m.article_id.clone(), sentence: m.text.clone() }];
            let bullet = Bullet { text: m.text.clone(), status: c.status, citations, sources: c.sources.clone(), conflict: None, checkworthiness: c.checkworthiness };
            bullets.push((c.checkworthiness + if figure { 1.0 } else { 0.0 }, bullet));
        }
        bullets.sort_by(|a, b| b.0.total_cmp(&a.0));
        if !bullets.is_empty() {
            only_in.push((outlet.clone(), bullets.into_iter().map(|(_, b)| b).collect()));
        }
    }
    let primary_sources = counted_sources(primary, claims);
    let unsourced_outlets = unsourced(story, claims, &primary_sources, &outlet_of);
    let mut timeline: Vec<TimelineEntry> = articles
        .iter()
        .filter(|a| story.article_ids.contains(&a.id))
        .map(|a| TimelineEntry { time: a.time(), outlet: names.of_article(a).to_string(), article_id: a.id.clone(), title: a.title.clone() })
        .collect();
    timeline.sort_by(|a, b| a.time.cmp(&b.time).then(a.article_id.cmp(&b.article_id)));
    Brief {
        story_id: story.id.clone(),
        title: story.title.clone(),
        outlets: story.outlets.clone(),
        primary_sources,
        shared,
        only_in,
        unsourced_outlets,
        outlet_aliases: names.with_aliases(),
        timeline,
        left_out: 0,
        // Stance needs the articles' sentences: the engine adds it (`dossier_stance::story_stances`).
        stances: Vec::new(),
    }
}

/// Claims in order of importance: contested first, then by how many independent outlets state
/// them (a copy speaks with its original's voice), then by check-worthiness.
fn ranked_claims<'c>(story: &Story, claims: &'c [AlignedClaim], outlet_of: &dyn Fn(&str) -> String) -> Vec<&'c AlignedClaim> {
    let independent = |c: &AlignedClaim| c.members.iter().map(|m| outlet_of(story.original_of(&m.article_id).unwrap_or(&m.article_id))).collect::<HashSet<String>>().len();
    let mut ranked: Vec<(&AlignedClaim, usize)> = claims.iter().map(|c| (c, independent(c))).collect();
    ranked.sort_by(|(a, ia), (b, ib)| (b.status == ClaimStatus::Contested).cmp(&(a.status == ClaimStatus::Contested)).then(ib.cmp(ia)).then(b.checkworthiness.total_cmp(&a.checkworthiness)));
    ranked.into_iter().map(|(c, _)| c).collect()
}

/// The words a sentence states a fact in: lower case, no short or common function words.
fn fact_words(text: &str) -> Vec<String> {
    const COMMON: &[&str] = &[
        "said", "that", "with", "from", "have", "this", "they", "were", "will", "would", "been", "their", "which", "about", "also", "more", "after", "into", "than", "them", "when", "what", "there",
        "says",
    ];
    let mut w: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 3 || w.chars().any(|c| c.is_ascii_digit()))
        .map(str::to_lowercase)
        .filter(|w| !COMMON.contains(&w.as_str()))
        .collect();
    w.sort();
    w.dedup();
    w
}

/// The facts the bullets so far state: each sentence's words, and an index from a word to the
/// sentences holding it, so a new claim is compared only with the sentences it shares words with.
#[derive(Default)]
struct Stated {
    sizes: Vec<usize>,
    index: HashMap<String, Vec<usize>>,
}

/// Whether a claim states a fact no earlier bullet stated (and if so, records it): two bullets
/// state the same fact when any of their sentences share most of their words (the same quotation
/// carried by two outlets, or told twice in one).
fn new_fact(stated: &mut Stated, c: &AlignedClaim) -> bool {
    let mine: Vec<Vec<String>> = c.members.iter().map(|m| fact_words(&m.text)).collect();
    for m in &mine {
        let mut shared: HashMap<usize, usize> = HashMap::new();
        for w in m {
            for &i in stated.index.get(w).map_or(&[][..], Vec::as_slice) {
                *shared.entry(i).or_default() += 1;
            }
        }
        if shared.iter().any(|(&i, &n)| {
            let smaller = m.len().min(stated.sizes[i]);
            smaller >= 4 && 4 * n >= 3 * smaller
        }) {
            return false;
        }
    }
    for m in mine {
        let id = stated.sizes.len();
        stated.sizes.push(m.len());
        for w in m {
            stated.index.entry(w).or_default().push(id);
        }
    }
    true
}

/// The name a source is compared by: lower case, without a leading "the".
fn source_key(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    lower.strip_prefix("the ").unwrap_or(&lower).to_string()
}

/// The primary sources with how many claims rest on each, those most rest on first (then those
/// most outlets cite; documents after named sources, as before).
fn counted_sources(primary: &[PrimarySource], claims: &[AlignedClaim]) -> Vec<PrimarySource> {
    let mut out: Vec<PrimarySource> = primary.to_vec();
    for p in &mut out {
        let key = source_key(&p.name);
        // Documents are listed by kind ("the memo") however each outlet phrased them ("The eight-page memo").
        let names =
            |s: &dossier_model::Attribution| if p.kind == SourceKind::Document && s.kind == SourceKind::Document { source_key(&s.source).ends_with(&key) } else { source_key(&s.source) == key };
        p.claims = claims.iter().filter(|c| c.sources.iter().any(names)).count();
    }
    out.sort_by_key(|p| (std::cmp::Reverse(p.claims), p.kind == SourceKind::Document, std::cmp::Reverse(p.cited_by.len())));
    out
}

/// Outlets that cite no source: none of the primary sources is theirs, and none of their claims
/// names one (so an outlet a bullet shows citing a source is never listed).
fn unsourced(story: &Story, claims: &[AlignedClaim], primary: &[PrimarySource], outlet_of: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut citing: HashSet<String> = primary.iter().flat_map(|p| p.cited_by.iter().cloned()).collect();
    for c in claims {
        for m in &c.members {
            if m.attribution.as_ref().is_some_and(|a| a.kind != SourceKind::Unnamed) {
                citing.insert(outlet_of(&m.article_id));
            }
        }
        if c.outlets.len() == 1 && !c.sources.is_empty() {
            citing.insert(c.outlets[0].clone());
        }
    }
    story.outlets.iter().filter(|o| !citing.contains(o.as_str())).cloned().collect()
}

/// What the faces show by default: the `settings.bullets` most important bullets (the contested
/// and most corroborated first, then the single outlets' most check-worthy) and the
/// `settings.sources` sources most claims rest on. `left_out` counts what was cut.
pub fn glance(b: &Brief, settings: &Settings) -> Brief {
    let mut out = b.clone();
    let mut room = settings.bullets;
    out.shared.truncate(room);
    room -= out.shared.len();
    // The single outlets' bullets merged by check-worthiness, each outlet's own order kept.
    let mut next = vec![0usize; b.only_in.len()];
    let mut kept = vec![0usize; b.only_in.len()];
    while room > 0 {
        let best = (0..b.only_in.len())
            .filter(|&i| next[i] < b.only_in[i].1.len())
            .max_by(|&i, &j| b.only_in[i].1[next[i]].checkworthiness.total_cmp(&b.only_in[j].1[next[j]].checkworthiness).then(j.cmp(&i)));
        let Some(i) = best else { break };
        next[i] += 1;
        kept[i] += 1;
        room -= 1;
    }
    out.only_in = b.only_in.iter().zip(&kept).filter(|(_, k)| **k > 0).map(|((o, bs), k)| (o.clone(), bs[..*k].to_vec())).collect();
    out.primary_sources.truncate(settings.sources);
    // Stances come disputes first: a glance keeps those and the next few.
    out.stances.truncate(settings.stances);
    let bullets = |x: &Brief| x.shared.len() + x.only_in.iter().map(|(_, v)| v.len()).sum::<usize>() + x.stances.len();
    out.left_out = bullets(b) - bullets(&out);
    out
}

/// "Beta disputes Alpha's headline": what one outlet's article does with another's headline claim.
pub fn stance_phrase(s: &OutletStance) -> String {
    let verb = match s.stance {
        Stance::Disagree => "disputes",
        Stance::Agree => "agrees with",
        Stance::Discuss => "reports, without taking a side,",
        Stance::Unrelated => "does not address",
    };
    format!("{} {verb} {}'s headline “{}”", s.outlet, s.toward_outlet, s.headline)
}

fn stance_mark(s: Stance) -> &'static str {
    match s {
        Stance::Disagree => "✗",
        Stance::Agree => "✓",
        Stance::Discuss => "~",
        Stance::Unrelated => " ",
    }
}

fn kind_word(k: SourceKind) -> &'static str {
    match k {
        SourceKind::Person => "person",
        SourceKind::Organisation => "organisation",
        SourceKind::GovernmentBody => "government body",
        SourceKind::Publication => "publication",
        SourceKind::Document => "document",
        SourceKind::Unnamed => "anonymous",
    }
}

fn claims_word(n: usize) -> String {
    match n {
        1 => "1 claim".to_string(),
        n => format!("{n} claims"),
    }
}

fn bullet_tag(b: &Bullet) -> String {
    let outlets: Vec<&str> = b.citations.iter().map(|c| c.outlet.as_str()).collect();
    let mut tag = format!("{}: {}", b.status.name(), outlets.join(", "));
    if !b.sources.is_empty() {
        let s: Vec<&str> = b.sources.iter().map(|s| s.source.as_str()).collect();
        tag.push_str(&format!("; source: {}", s.join(", ")));
    }
    tag
}

/// "Fox News (foxnews.com) as FOX; …": the outlets counted once under several names.
fn also_named(b: &Brief) -> Option<String> {
    let parts: Vec<String> = b
        .outlet_aliases
        .iter()
        .map(|o| match &o.site {
            Some(site) => format!("{} ({site}) as {}", o.name, o.aliases.join(", ")),
            None => format!("{} as {}", o.name, o.aliases.join(", ")),
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Renders a brief as plain text for the terminal.
pub fn render_text(b: &Brief) -> String {
    let mut out = String::new();
    out.push_str(&format!("At a Glance — {}\n", b.title));
    let (first, last) = (b.timeline.first(), b.timeline.last());
    out.push_str(&format!("{} article(s) from {} outlet(s): {}", b.timeline.len(), b.outlets.len(), b.outlets.join(", ")));
    if let (Some(f), Some(l)) = (first, last) {
        out.push_str(&format!(" · {} – {}", f.time.format("%Y-%m-%d %H:%M"), l.time.format("%Y-%m-%d %H:%M")));
    }
    out.push('\n');
    if let Some(aka) = also_named(b) {
        out.push_str(&format!("Also named: {aka}\n"));
    }
    if !b.primary_sources.is_empty() {
        out.push_str("\nPrimary sources:\n");
        for p in &b.primary_sources {
            out.push_str(&format!("  ◆ {} ({}) — {} — cited by {} (\"{}\")\n", p.name, kind_word(p.kind), claims_word(p.claims), p.cited_by.join(", "), p.cue));
        }
    }
    if !b.stances.is_empty() {
        out.push_str("\nStances towards other outlets' headlines:\n");
        for x in &b.stances {
            out.push_str(&format!("  {} {}\n", stance_mark(x.stance), stance_phrase(x)));
        }
    }
    if !b.shared.is_empty() {
        out.push_str("\nCarried by several outlets:\n");
        for x in &b.shared {
            out.push_str(&format!("  • {}\n    [{}]\n", x.text, bullet_tag(x)));
            if let Some(c) = &x.conflict {
                out.push_str(&format!("    ⚠ contested: {c}\n"));
            }
        }
    }
    for (outlet, bullets) in &b.only_in {
        out.push_str(&format!("\nOnly in {outlet}:\n"));
        for x in bullets {
            out.push_str(&format!("  • {}\n    [{}]\n", x.text, bullet_tag(x)));
        }
    }
    if !b.unsourced_outlets.is_empty() {
        out.push_str(&format!("\nCites no source: {}\n", b.unsourced_outlets.join(", ")));
    }
    if b.left_out > 0 {
        out.push_str(&format!("\n{} more bullet(s): dossier brief --all\n", b.left_out));
    }
    out.push_str("\nTimeline:\n");
    for t in &b.timeline {
        out.push_str(&format!("  {}  {}  {}\n", t.time.format("%Y-%m-%d %H:%M"), t.outlet, t.title));
    }
    out
}

/// Renders a brief as Markdown, for export.
pub fn render_markdown(b: &Brief) -> String {
    let mut out = format!("# At a Glance — {}\n\n", b.title);
    out.push_str(&format!("*Outlets:* {}\n\n", b.outlets.join(", ")));
    if let Some(aka) = also_named(b) {
        out.push_str(&format!("*Also named:* {aka}\n\n"));
    }
    if !b.primary_sources.is_empty() {
        out.push_str("## Primary sources\n\n");
        for p in &b.primary_sources {
            out.push_str(&format!("- **{}** ({}) — {} — cited by {} (“{}”)\n", p.name, kind_word(p.kind), claims_word(p.claims), p.cited_by.join(", "), p.cue));
        }
        out.push('\n');
    }
    if !b.stances.is_empty() {
        out.push_str("## Stances towards other outlets' headlines\n\n");
        for x in &b.stances {
            out.push_str(&format!("- {} {}\n", stance_mark(x.stance), stance_phrase(x)));
        }
        out.push('\n');
    }
    if !b.shared.is_empty() {
        out.push_str("## Carried by several outlets\n\n");
        for x in &b.shared {
            out.push_str(&format!("- {} *[{}]*\n", x.text, bullet_tag(x)));
            if let Some(c) = &x.conflict {
                out.push_str(&format!("  - ⚠ contested: {c}\n"));
            }
        }
        out.push('\n');
    }
    for (outlet, bullets) in &b.only_in {
        out.push_str(&format!("## Only in {outlet}\n\n"));
        for x in bullets {
            out.push_str(&format!("- {} *[{}]*\n", x.text, bullet_tag(x)));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::{Attribution, Claim};

    fn claim(id: &str, article: &str, text: &str, cw: f32) -> Claim {
        Claim { id: id.into(), article_id: article.into(), sentence: 0, start: 0, end: text.len(), text: text.into(), entities: vec![], quantities: vec![], attribution: None, checkworthiness: cw }
    }

    #[test]
    fn shared_only_and_unsourced() {
        let t = "2025-06-22T00:00:00Z".parse().unwrap();
        let art = |id: &str, outlet: &str| Article {
            id: id.into(),
            kind: dossier_model::ArticleKind::Main,
            title: format!("title {id}"),
            text: String::new(),
            outlet: dossier_model::Outlet { name: outlet.into(), basis: dossier_model::OutletBasis::Given },
            url: None,
            source: id.into(),
            published: None,
            seen_at: t,
            language: None,
        };
        let story = Story {
            id: "s".into(),
            title: "T".into(),
            article_ids: vec!["a".into(), "b".into()],
            outlets: vec!["A".into(), "B".into()],
            first_seen: t,
            last_seen: t,
            entities: vec![],
            copies: vec![],
            continues: None,
        };
        let nyt = Attribution { source: "The Paper".into(), kind: SourceKind::Publication, cue: "according to".into() };
        let claims = vec![
            AlignedClaim {
                id: "1".into(),
                story_id: "s".into(),
                text: "x".into(),
                status: ClaimStatus::Corroborated,
                outlets: vec!["A".into(), "B".into()],
                first_outlet: "A".into(),
                sources: vec![],
                members: vec![claim("c1", "a", "Both say this.", 0.5), claim("c2", "b", "Both say this too.", 0.5)],
                conflict: None,
                checkworthiness: 0.5,
            },
            AlignedClaim {
                id: "2".into(),
                story_id: "s".into(),
                text: "y".into(),
                status: ClaimStatus::SingleSource,
                outlets: vec!["A".into()],
                first_outlet: "A".into(),
                sources: vec![nyt.clone()],
                members: vec![claim("c3", "a", "Only A says this.", 0.9)],
                conflict: None,
                checkworthiness: 0.9,
            },
        ];
        let primary = vec![PrimarySource { name: "The Paper".into(), kind: SourceKind::Publication, cited_by: vec!["A".into()], cue: "according to".into(), claims: 0 }];
        let b = build(&story, &[art("a", "A"), art("b", "B")], &claims, &primary);
        assert_eq!(b.shared.len(), 1);
        assert_eq!(b.shared[0].citations.iter().map(|c| c.outlet.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(b.shared[0].citations[1].sentence, "Both say this too.");
        assert_eq!(b.only_in.len(), 1);
        assert_eq!(b.only_in[0].0, "A");
        assert_eq!(b.unsourced_outlets, ["B"]);
        assert_eq!(b.primary_sources[0].claims, 1, "one claim rests on The Paper");
        let text = render_text(&b);
        assert!(text.contains("Only in A:\n  • Only A says this.\n    [single_source: A; source: The Paper]"), "{text}");
        assert!(render_markdown(&b).contains("## Carried by several outlets"));
    }

    /// One site under two names is one outlet in the brief; a contested bullet shows what disagrees.
    #[test]
    fn one_outlet_under_two_names_and_a_contested_bullet() {
        let t = "2025-06-22T00:00:00Z".parse().unwrap();
        let art = |id: &str, outlet: &str, url: &str| Article {
            id: id.into(),
            kind: dossier_model::ArticleKind::Main,
            title: format!("title {id}"),
            text: String::new(),
            outlet: dossier_model::Outlet { name: outlet.into(), basis: dossier_model::OutletBasis::Given },
            url: Some(url.into()),
            source: id.into(),
            published: None,
            seen_at: t,
            language: None,
        };
        let articles = [art("a", "FOX", "https://www.foxnews.com/a"), art("b", "Fox News", "https://foxnews.com/b"), art("c", "NYT", "https://www.nytimes.com/c")];
        let story = Story {
            id: "s".into(),
            title: "T".into(),
            article_ids: vec!["a".into(), "b".into(), "c".into()],
            outlets: vec!["Fox News".into(), "NYT".into()],
            first_seen: t,
            last_seen: t,
            entities: vec![],
            copies: vec![],
            continues: None,
        };
        let conflict = "Fox News: \"confirmed\"; NYT: \"denied\"".to_string();
        let claims = vec![AlignedClaim {
            id: "1".into(),
            story_id: "s".into(),
            text: "x".into(),
            status: ClaimStatus::Contested,
            outlets: vec!["Fox News".into(), "NYT".into()],
            first_outlet: "Fox News".into(),
            sources: vec![],
            members: vec![
                claim("c1", "a", "The ministry confirmed that secret talks took place.", 0.5),
                claim("c2", "b", "The ministry confirmed the talks.", 0.5),
                claim("c3", "c", "The ministry denied that secret talks took place.", 0.5),
            ],
            conflict: Some(conflict.clone()),
            checkworthiness: 0.5,
        }];
        let b = build(&story, &articles, &claims, &[]);
        assert_eq!(b.shared[0].citations.iter().map(|c| c.outlet.as_str()).collect::<Vec<_>>(), ["Fox News", "NYT"], "both versions, one per outlet");
        assert_eq!(b.timeline.iter().map(|e| e.outlet.as_str()).collect::<Vec<_>>(), ["Fox News", "Fox News", "NYT"]);
        assert_eq!(b.outlet_aliases.len(), 1);
        for text in [render_text(&b), render_markdown(&b)] {
            assert!(text.contains("Fox News (foxnews.com) as FOX"), "{text}");
            assert!(text.contains(&format!("⚠ contested: {conflict}")), "{text}");
        }
    }

    /// The glance keeps seven bullets, contested first, then the most corroborated, then the most
    /// check-worthy; the same fact is one bullet however many claims state it.
    #[test]
    fn glance_ranks_cuts_and_states_each_fact_once() {
        let t = "2025-06-22T00:00:00Z".parse().unwrap();
        let art = |id: &str, outlet: &str| Article {
            id: id.into(),
            kind: dossier_model::ArticleKind::Main,
            title: id.into(),
            text: String::new(),
            outlet: dossier_model::Outlet { name: outlet.into(), basis: dossier_model::OutletBasis::Given },
            url: None,
            source: id.into(),
            published: None,
            seen_at: t,
            language: None,
        };
        let outlets = ["A", "B", "C"];
        let articles: Vec<Article> = outlets.iter().map(|o| art(&o.to_lowercase(), o)).collect();
        let story = Story {
            id: "s".into(),
            title: "T".into(),
            article_ids: articles.iter().map(|a| a.id.clone()).collect(),
            outlets: outlets.iter().map(|o| o.to_string()).collect(),
            first_seen: t,
            last_seen: t,
            entities: vec![],
            copies: vec![],
            continues: None,
        };
        let aligned = |id: &str, status: ClaimStatus, on: &[&str], text: &str, cw: f32| AlignedClaim {
            id: id.into(),
            story_id: "s".into(),
            text: text.into(),
            status,
            outlets: on.iter().map(|o| o.to_string()).collect(),
            first_outlet: on[0].into(),
            sources: vec![],
            members: on.iter().enumerate().map(|(i, o)| claim(&format!("{id}{i}"), &o.to_lowercase(), text, cw)).collect(),
            conflict: (status == ClaimStatus::Contested).then(|| "A: 1; B: 2".to_string()),
            checkworthiness: cw,
        };
        let mut claims = vec![
            aligned("two", ClaimStatus::Corroborated, &["A", "B"], "The bridge over the Riverton river closed on Monday for repairs.", 0.9),
            aligned("three", ClaimStatus::Corroborated, &["A", "B", "C"], "The council voted to spend 4 million on the harbour wall.", 0.4),
            aligned("contested", ClaimStatus::Contested, &["A", "C"], "Eleven people were injured when the crane fell on the pier.", 0.3),
            // The same quotation again, told by one outlet: the same fact as "two".
            aligned("again", ClaimStatus::SingleSource, &["C"], "The bridge over the Riverton river closed on Monday for repairs, officials said.", 0.95),
        ];
        let singles = [
            "Ferry services to the northern islands were suspended.",
            "Schools in Eastmouth will reopen on Thursday morning.",
            "Police arrested a driver after the crash near Lowford.",
            "The mayor promised new lighting along the canal path.",
            "Farmers reported flooded fields across the western valley.",
            "A museum exhibition of medieval maps opens next spring.",
            "Railway engineers inspected signals damaged by lightning.",
            "The hospital opened a second maternity ward this winter.",
            "Volunteers cleared litter from beaches around Sandport.",
            "Airport passengers faced delays after radar equipment failed.",
        ];
        for (i, text) in singles.iter().enumerate() {
            claims.push(aligned(&format!("single{i}"), ClaimStatus::SingleSource, &[outlets[i % 3]], text, i as f32 / 20.0));
        }
        let full = build(&story, &articles, &claims, &[]);
        let all: Vec<&str> = full.shared.iter().chain(full.only_in.iter().flat_map(|(_, b)| b)).map(|b| b.text.as_str()).collect();
        assert_eq!(all.len(), 13, "every claim but the repeated fact: {all:#?}");
        assert!(!all.iter().any(|t| t.ends_with("officials said.")), "{all:#?}");
        assert_eq!(full.shared.iter().map(|b| b.status).collect::<Vec<_>>(), [ClaimStatus::Contested, ClaimStatus::Corroborated, ClaimStatus::Corroborated]);
        assert!(full.shared[1].text.starts_with("The council"), "three outlets before two");
        let g = glance(&full, &Settings::default());
        let kept: Vec<&Bullet> = g.shared.iter().chain(g.only_in.iter().flat_map(|(_, b)| b)).collect();
        assert_eq!(kept.len(), 7);
        assert_eq!(g.left_out, 6);
        // The single outlets' most check-worthy four.
        let mut singles: Vec<f32> = g.only_in.iter().flat_map(|(_, b)| b.iter().map(|x| x.checkworthiness)).collect();
        singles.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(singles, [0.45, 0.4, 0.35, 0.3]);
        assert!(render_text(&g).contains("6 more bullet(s): dossier brief --all"));
        assert_eq!(glance(&full, &Settings { bullets: 100, sources: 100, stances: 100 }).left_out, 0);

        // Stances: a glance keeps the first four (disputes come first) and counts the rest.
        let mut with = full.clone();
        let stance = |outlet: &str, stance| OutletStance {
            outlet: outlet.into(),
            article_id: format!("{outlet}-1"),
            toward_outlet: "Post".into(),
            toward_article_id: "p1".into(),
            headline: "Council approves the budget".into(),
            stance,
            confidence: 0.8,
        };
        with.stances = vec![stance("Times", Stance::Disagree), stance("Herald", Stance::Agree), stance("Wire", Stance::Discuss), stance("Gazette", Stance::Discuss), stance("Sun", Stance::Discuss)];
        let g = glance(&with, &Settings::default());
        assert_eq!(g.stances.len(), 4);
        assert_eq!(g.left_out, 7, "six bullets and one stance");
        let text = render_text(&g);
        assert!(text.contains("✗ Times disputes Post's headline “Council approves the budget”"), "{text}");
        assert!(text.contains("✓ Herald agrees with Post's headline") && text.contains("~ Wire reports, without taking a side, Post's headline"), "{text}");
        assert!(!text.contains("Sun "), "{text}");
        assert!(render_markdown(&with).contains("- ✗ Times disputes Post's headline"));
    }
}
