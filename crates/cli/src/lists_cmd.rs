//! `dossier stories`, `dossier claims` and `dossier articles`: the desk's lists as
//! text, JSON or CSV (the same rows and columns as the server's exports).

use std::collections::HashMap;
use std::io::Write;

use dossier_brief::desk::{self, Sort};
use dossier_brief::export;
use dossier_model::{AlignedClaim, ArticleSummary, ClaimStatus};
use dossier_store::Store;
use serde_json::json;

use crate::commands::resolve_story;

/// How a list is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Csv,
}

impl Format {
    pub fn of(json: bool, csv: bool) -> Format {
        match (json, csv) {
            (true, _) => Format::Json,
            (_, true) => Format::Csv,
            _ => Format::Text,
        }
    }
}

/// Which stories `dossier stories` lists.
pub struct StoriesArgs {
    pub sort: Sort,
    pub has: Vec<ClaimStatus>,
    pub limit: Option<usize>,
    pub offset: usize,
}

pub fn stories(store: &dyn Store, a: StoriesArgs, format: Format) -> anyhow::Result<()> {
    let (stories, counts) = dossier_store::snapshot(store, |s| Ok((s.stories()?, s.claim_status_counts()?)))?;
    let rows: Vec<desk::StoryRow> = desk::arrange(stories, &counts, a.sort, &a.has).into_iter().skip(a.offset).take(a.limit.unwrap_or(usize::MAX)).collect();
    let mut out = std::io::stdout().lock();
    match format {
        Format::Csv => export::write_stories(&mut out, &rows)?,
        Format::Json => {
            let list: Vec<_> = rows
                .iter()
                .map(|r| {
                    let s = &r.story;
                    json!({
                        "id": s.id, "title": s.title, "outlets": s.outlets, "article_count": s.article_ids.len(),
                        "article_ids": s.article_ids, "first_seen": s.first_seen, "last_seen": s.last_seen, "entities": s.entities,
                        "first_report": s.article_ids.first(),
                        "independent_reports": r.independent_reports(),
                        "copies": s.copies.iter().map(|(c, o)| json!({"article_id": c, "original_id": o})).collect::<Vec<_>>(),
                        "claims": r.claims,
                    })
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        Format::Text => {
            for (i, r) in rows.iter().enumerate() {
                let s = &r.story;
                writeln!(out, "{:>3}. [{}] {}", a.offset + i + 1, &s.id, s.title)?;
                let copies = if s.copies.is_empty() { String::new() } else { format!(" ({} independent, {} copies)", r.independent_reports(), s.copies.len()) };
                writeln!(out, "     {} article(s){copies} · {} · {} – {}", s.article_ids.len(), s.outlets.join(", "), s.first_seen.format("%Y-%m-%d %H:%M"), s.last_seen.format("%Y-%m-%d %H:%M"))?;
                let counts: Vec<String> = ClaimStatus::ALL.into_iter().filter(|c| r.claims.get(*c) > 0).map(|c| format!("{} {}", r.claims.get(c), c.name())).collect();
                if !counts.is_empty() {
                    writeln!(out, "     claims: {}", counts.join(", "))?;
                }
                if !s.entities.is_empty() {
                    writeln!(out, "     about: {}", s.entities.iter().take(5).cloned().collect::<Vec<_>>().join(", "))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

/// `dossier claims STORY` or `dossier claims --all`: the claims of `statuses` (all when empty).
pub fn claims(store: &dyn Store, story: Option<&str>, statuses: &[ClaimStatus], format: Format) -> anyhow::Result<()> {
    let stories = match story {
        Some(key) => vec![resolve_story(store, key)?],
        None => store.stories()?,
    };
    // Each story's claims with the summaries of its articles (for outlets' wording and times).
    let mut per_story: Vec<(Vec<AlignedClaim>, Vec<ArticleSummary>)> = Vec::new();
    dossier_store::snapshot(store, |store| {
        for s in &stories {
            let mut claims = store.aligned_claims(&s.id)?;
            claims.retain(|c| statuses.is_empty() || statuses.contains(&c.status));
            if !claims.is_empty() || story.is_some() {
                per_story.push((claims, store.article_summaries(&s.article_ids)?));
            }
        }
        Ok(())
    })?;
    let mut out = std::io::stdout().lock();
    match format {
        Format::Csv => export::write_claims(&mut out, per_story.iter().flat_map(|(c, a)| export::claim_rows(c, a)))?,
        Format::Json => {
            let all: Vec<&AlignedClaim> = per_story.iter().flat_map(|(c, _)| c).collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&all)?)?;
        }
        Format::Text => {
            for (claims, summaries) in &per_story {
                if story.is_none() {
                    let title = stories.iter().find(|s| claims.first().is_some_and(|c| c.story_id == s.id)).map(|s| s.title.as_str()).unwrap_or("");
                    writeln!(out, "== {} {}", claims.first().map(|c| c.story_id.as_str()).unwrap_or(""), title)?;
                }
                print_claims(&mut out, claims, summaries)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn print_claims(out: &mut impl Write, claims: &[AlignedClaim], summaries: &[ArticleSummary]) -> std::io::Result<()> {
    let names = dossier_model::OutletNames::of(summaries.iter().map(|a| (&a.outlet, a.url.as_deref())));
    let outlet_of: HashMap<&str, &str> = summaries.iter().map(|a| (a.id.as_str(), names.name(&a.outlet, a.url.as_deref()))).collect();
    for c in claims {
        writeln!(out, "[{}] {} — {}", c.status.name(), c.outlets.join(", "), c.text)?;
        // Each outlet's own wording, where it differs from the headline sentence:
        // a sentence can be aligned with different sentences elsewhere for its different facts.
        for m in c.members.iter().filter(|m| m.text != c.text) {
            writeln!(out, "    {}: {}", outlet_of.get(m.article_id.as_str()).copied().unwrap_or(m.article_id.as_str()), m.text)?;
        }
        for src in &c.sources {
            writeln!(out, "    source: {} ({:?}, \"{}\")", src.source, src.kind, src.cue)?;
        }
        if let Some(conflict) = &c.conflict {
            writeln!(out, "    contested: {conflict}")?;
        }
    }
    Ok(())
}

/// `dossier articles`: every stored article (or one story's), oldest first, with its story.
pub fn articles(store: &dyn Store, story: Option<&str>, format: Format) -> anyhow::Result<()> {
    let (stories, ids) = match story {
        Some(key) => {
            let s = resolve_story(store, key)?;
            let ids = s.article_ids.clone();
            (vec![s], ids)
        }
        None => dossier_store::snapshot(store, |s| Ok((s.stories()?, s.article_hashes()?.into_iter().map(|(id, _)| id).collect())))?,
    };
    let mut articles = store.article_summaries(&ids)?;
    articles.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.id.cmp(&b.id)));
    let rows = export::article_rows(&stories, &articles);
    let mut out = std::io::stdout().lock();
    match format {
        Format::Csv => export::write_articles(&mut out, rows)?,
        Format::Json => {
            let list: Vec<_> = rows
                .iter()
                .map(|r| {
                    let a = r.article;
                    json!({"id": a.id, "story_id": r.story, "outlet": a.outlet.name, "title": a.title, "url": a.url, "published": a.time, "kind": a.kind, "copy_of": r.copy_of})
                })
                .collect();
            writeln!(out, "{}", serde_json::to_string_pretty(&list)?)?;
        }
        Format::Text => {
            for r in &rows {
                let a = r.article;
                let story = r.story.map(|s| format!(" · story {s}")).unwrap_or_default();
                writeln!(out, "[{}] {} · {} — {}{story}", a.id, a.time.format("%Y-%m-%d %H:%M"), a.outlet.name, a.title)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
