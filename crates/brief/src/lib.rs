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

use std::collections::HashSet;

use dossier_model::{AlignedClaim, Article, Brief, Bullet, Citation, ClaimStatus, OutletNames, PrimarySource, SourceKind, Story, TimelineEntry};

/// How many bullets of each kind a brief shows.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub shared: usize,
    pub per_outlet: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { shared: 6, per_outlet: 6 }
    }
}

/// Builds the brief of one story.
pub fn build(story: &Story, articles: &[Article], claims: &[AlignedClaim], primary: &[PrimarySource], settings: &Settings) -> Brief {
    // One name per outlet (one site), however its articles name it.
    let names = OutletNames::of_articles(articles.iter().filter(|a| story.article_ids.contains(&a.id)));
    let outlet_of = |article_id: &str| articles.iter().find(|a| a.id == article_id).map(|a| names.of_article(a).to_string()).unwrap_or_default();
    // Sentences already shown or cited: a claim adds a bullet only if it brings a new one.
    let mut covered: HashSet<String> = HashSet::new();
    let mut shared = Vec::new();
    for c in claims.iter().filter(|c| c.outlets.len() >= 2 || c.status == ClaimStatus::Contested) {
        if shared.len() >= settings.shared {
            break;
        }
        // Show a sentence no earlier bullet showed, from the first outlet where possible.
        let Some(lead) = c.members.iter().find(|m| !covered.contains(&m.id)) else { continue };
        let mut citations: Vec<Citation> = Vec::new();
        for m in std::iter::once(lead).chain(c.members.iter()) {
            let outlet = outlet_of(&m.article_id);
            if !citations.iter().any(|x| x.outlet == outlet) {
                citations.push(Citation { outlet, article_id: m.article_id.clone(), sentence: m.text.clone() });
            }
        }
        covered.extend(c.members.iter().map(|m| m.id.clone()));
        shared.push(Bullet { text: lead.text.clone(), status: c.status, citations, sources: c.sources.clone(), conflict: c.conflict.clone() });
    }
    let mut only_in: Vec<(String, Vec<Bullet>)> = Vec::new();
    for outlet in &story.outlets {
        let mut bullets: Vec<(f32, Bullet)> = claims
            .iter()
            .filter(|c| c.outlets.len() == 1 && &c.outlets[0] == outlet && c.status != ClaimStatus::Contested)
            .filter(|c| c.members.iter().all(|m| !covered.contains(&m.id)))
            .map(|c| {
                let m = &c.members[0];
                // Figures are what drift between retellings: claims stating one come first.
                let figure = m.quantities.iter().any(|q| q.span.is_none());
                (
                    c.checkworthiness + if figure { 1.0 } else { 0.0 },
                    Bullet {
                        text: m.text.clone(),
                        status: c.status,
                        citations: vec![Citation { outlet: outlet.clone(), article_id: m.article_id.clone(), sentence: m.text.clone() }],
                        sources: c.sources.clone(),
                        conflict: None,
                    },
                )
            })
            .collect();
        bullets.sort_by(|a, b| b.0.total_cmp(&a.0));
        let bullets: Vec<Bullet> = bullets.into_iter().take(settings.per_outlet).map(|(_, b)| b).collect();
        if !bullets.is_empty() {
            only_in.push((outlet.clone(), bullets));
        }
    }
    let citing: HashSet<&str> = primary.iter().filter(|p| p.kind != SourceKind::Document).flat_map(|p| p.cited_by.iter().map(String::as_str)).collect();
    let unsourced_outlets = story.outlets.iter().filter(|o| !citing.contains(o.as_str())).cloned().collect();
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
        primary_sources: primary.to_vec(),
        shared,
        only_in,
        unsourced_outlets,
        outlet_aliases: names.with_aliases(),
        timeline,
    }
}

fn kind_word(k: SourceKind) -> &'static str {
    match k {
        SourceKind::Person => "person",
        SourceKind::Organisation => "organisation",
        SourceKind::Publication => "publication",
        SourceKind::Document => "document",
        SourceKind::Unnamed => "unnamed",
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
            out.push_str(&format!("  ◆ {} ({}) — cited by {} (\"{}\")\n", p.name, kind_word(p.kind), p.cited_by.join(", "), p.cue));
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
            out.push_str(&format!("- **{}** ({}) — cited by {} (“{}”)\n", p.name, kind_word(p.kind), p.cited_by.join(", "), p.cue));
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
        let primary = vec![PrimarySource { name: "The Paper".into(), kind: SourceKind::Publication, cited_by: vec!["A".into()], cue: "according to".into() }];
        let b = build(&story, &[art("a", "A"), art("b", "B")], &claims, &primary, &Settings::default());
        assert_eq!(b.shared.len(), 1);
        assert_eq!(b.shared[0].citations.iter().map(|c| c.outlet.as_str()).collect::<Vec<_>>(), ["A", "B"]);
        assert_eq!(b.shared[0].citations[1].sentence, "Both say this too.");
        assert_eq!(b.only_in.len(), 1);
        assert_eq!(b.only_in[0].0, "A");
        assert_eq!(b.unsourced_outlets, ["B"]);
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
        let b = build(&story, &articles, &claims, &[], &Settings::default());
        assert_eq!(b.shared[0].citations.iter().map(|c| c.outlet.as_str()).collect::<Vec<_>>(), ["Fox News", "NYT"], "both versions, one per outlet");
        assert_eq!(b.timeline.iter().map(|e| e.outlet.as_str()).collect::<Vec<_>>(), ["Fox News", "Fox News", "NYT"]);
        assert_eq!(b.outlet_aliases.len(), 1);
        for text in [render_text(&b), render_markdown(&b)] {
            assert!(text.contains("Fox News (foxnews.com) as FOX"), "{text}");
            assert!(text.contains(&format!("⚠ contested: {conflict}")), "{text}");
        }
    }
}
