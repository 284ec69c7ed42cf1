//! CSV exports of stories, claims and articles, for a spreadsheet or a notebook.
//!
//! Written by the `csv` crate, so quoting is right by construction (a comma, a
//! quote or a line break inside a cell stays inside it). A text cell that starts
//! with `=`, `+`, `-`, `@`, a tab or a carriage return gets a `'` in front
//! (OWASP's advice against CSV injection): a spreadsheet would otherwise run it as
//! a formula, and headlines and claims are written by whoever wrote the article.
//! Lists inside a cell are joined with `; `; times are RFC 3339 in UTC.

use std::collections::HashMap;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use dossier_model::{AlignedClaim, ArticleSummary, Story};

use crate::desk::StoryRow;

/// The header of the stories export.
pub const STORY_COLUMNS: [&str; 15] = [
    "story_id",
    "title",
    "outlet_count",
    "outlets",
    "articles",
    "independent_reports",
    "copies",
    "first_seen",
    "last_seen",
    "contested",
    "corroborated",
    "single_source",
    "unattributed",
    "entities",
    "continues",
];

/// The header of the claims export.
pub const CLAIM_COLUMNS: [&str; 11] = ["story_id", "claim_id", "claim", "status", "outlets", "sources", "first_outlet", "first_seen", "cited_articles", "conflict", "checkworthiness"];

/// The header of the articles export.
pub const ARTICLE_COLUMNS: [&str; 8] = ["article_id", "story_id", "outlet", "title", "url", "published", "kind", "copy_of"];

/// A cell of text as a spreadsheet may safely open it: one that would start a formula gets a `'` first.
pub fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

fn list<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen = Vec::new();
    for i in items {
        if !seen.contains(&i) {
            seen.push(i);
        }
    }
    seen.join("; ")
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn writer<W: Write>(w: W, header: &[&str]) -> csv::Result<csv::Writer<W>> {
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(w);
    out.write_record(header)?;
    Ok(out)
}

/// Writes the stories export: a row per story, its claims counted by status.
pub fn write_stories<W: Write>(w: W, rows: &[StoryRow]) -> csv::Result<()> {
    let mut out = writer(w, &STORY_COLUMNS)?;
    for r in rows {
        let s = &r.story;
        out.write_record([
            cell(&s.id).into_owned(),
            cell(&s.title).into_owned(),
            s.outlets.len().to_string(),
            cell(&list(s.outlets.iter().map(String::as_str))).into_owned(),
            s.article_ids.len().to_string(),
            r.independent_reports().to_string(),
            s.copies.len().to_string(),
            time(s.first_seen),
            time(s.last_seen),
            r.claims.contested.to_string(),
            r.claims.corroborated.to_string(),
            r.claims.single_source.to_string(),
            r.claims.unattributed.to_string(),
            cell(&list(s.entities.iter().map(String::as_str))).into_owned(),
            cell(s.continues.as_deref().unwrap_or("")).into_owned(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// One claim of the claims export, with when its first outlet published it.
pub struct ClaimRow<'a> {
    pub claim: &'a AlignedClaim,
    pub first_seen: Option<DateTime<Utc>>,
}

/// A story's claims as rows, each with the time of its first outlet's earliest article
/// among the claim's (from `articles`, the story's summaries).
pub fn claim_rows<'a>(claims: &'a [AlignedClaim], articles: &[ArticleSummary]) -> Vec<ClaimRow<'a>> {
    let of: HashMap<&str, &ArticleSummary> = articles.iter().map(|a| (a.id.as_str(), a)).collect();
    claims
        .iter()
        .map(|claim| {
            let members = || claim.members.iter().filter_map(|m| of.get(m.article_id.as_str()));
            let first = members().filter(|a| a.outlet.name == claim.first_outlet).map(|a| a.time).min();
            ClaimRow { claim, first_seen: first.or_else(|| members().map(|a| a.time).min()) }
        })
        .collect()
}

/// Writes the claims export: a row per aligned claim.
pub fn write_claims<'a, W: Write>(w: W, rows: impl IntoIterator<Item = ClaimRow<'a>>) -> csv::Result<()> {
    let mut out = writer(w, &CLAIM_COLUMNS)?;
    for r in rows {
        let c = r.claim;
        out.write_record([
            cell(&c.story_id).into_owned(),
            cell(&c.id).into_owned(),
            cell(&c.text).into_owned(),
            c.status.name().to_string(),
            cell(&list(c.outlets.iter().map(String::as_str))).into_owned(),
            cell(&list(c.sources.iter().map(|s| s.source.as_str()))).into_owned(),
            cell(&c.first_outlet).into_owned(),
            r.first_seen.map(time).unwrap_or_default(),
            cell(&list(c.members.iter().map(|m| m.article_id.as_str()))).into_owned(),
            cell(c.conflict.as_deref().unwrap_or("")).into_owned(),
            format!("{:.2}", c.checkworthiness),
        ])?;
    }
    out.flush()?;
    Ok(())
}

/// One article of the articles export: its story, and the article it copies, if any.
pub struct ArticleRow<'a> {
    pub article: &'a ArticleSummary,
    pub story: Option<&'a str>,
    pub copy_of: Option<&'a str>,
}

/// The rows of `articles` (in their order), each with the story of `stories` it is in and the article it copies.
pub fn article_rows<'a>(stories: &'a [Story], articles: &'a [ArticleSummary]) -> Vec<ArticleRow<'a>> {
    let mut story_of: HashMap<&str, &str> = HashMap::new();
    let mut copy_of: HashMap<&str, &str> = HashMap::new();
    for s in stories {
        for a in &s.article_ids {
            story_of.insert(a, &s.id);
        }
        for (c, o) in &s.copies {
            copy_of.insert(c, o);
        }
    }
    articles.iter().map(|a| ArticleRow { article: a, story: story_of.get(a.id.as_str()).copied(), copy_of: copy_of.get(a.id.as_str()).copied() }).collect()
}

/// Writes the articles export: a row per article.
pub fn write_articles<'a, W: Write>(w: W, rows: impl IntoIterator<Item = ArticleRow<'a>>) -> csv::Result<()> {
    let mut out = writer(w, &ARTICLE_COLUMNS)?;
    for r in rows {
        let a = r.article;
        let kind = match a.kind {
            dossier_model::ArticleKind::Main => "main",
            dossier_model::ArticleKind::Teaser { .. } => "teaser",
        };
        out.write_record([
            cell(&a.id).into_owned(),
            cell(r.story.unwrap_or("")).into_owned(),
            cell(&a.outlet.name).into_owned(),
            cell(&a.title).into_owned(),
            cell(a.url.as_deref().unwrap_or("")).into_owned(),
            time(a.time),
            kind.to_string(),
            cell(r.copy_of.unwrap_or("")).into_owned(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_model::{Attribution, Claim, ClaimStatus, Outlet, OutletBasis, SourceKind, StatusCounts};

    fn read(bytes: &[u8]) -> Vec<Vec<String>> {
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
        r.records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
    }

    fn summary(id: &str, outlet: &str, time: &str, title: &str) -> ArticleSummary {
        ArticleSummary {
            id: id.into(),
            title: title.into(),
            outlet: Outlet { name: outlet.into(), basis: OutletBasis::Given },
            url: Some(format!("https://{outlet}.example/{id}")),
            time: time.parse().unwrap(),
            kind: dossier_model::ArticleKind::Main,
            source: String::new(),
        }
    }

    fn member(id: &str, article: &str, text: &str) -> Claim {
        Claim { id: id.into(), article_id: article.into(), sentence: 0, start: 0, end: 0, text: text.into(), entities: vec![], quantities: vec![], attribution: None, checkworthiness: 0.5 }
    }

    #[test]
    fn formulas_are_defused_and_quoting_holds_commas_quotes_and_lines() {
        assert_eq!(cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        for bad in ["+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert!(cell(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(cell("Plain, \"quoted\"\nline"), "Plain, \"quoted\"\nline");
        let story = Story {
            id: "s1".into(),
            title: "=cmd|' /C calc'!A0, \"the\" headline\nsecond line".into(),
            article_ids: vec!["a".into(), "b".into()],
            outlets: vec!["Daily, Ltd".into(), "-Minus News".into()],
            first_seen: "2025-06-22T10:00:00Z".parse().unwrap(),
            last_seen: "2025-06-22T12:30:00Z".parse().unwrap(),
            entities: vec!["China".into()],
            copies: vec![("b".into(), "a".into())],
            continues: None,
        };
        let mut out = Vec::new();
        write_stories(&mut out, &[StoryRow { story, claims: StatusCounts { contested: 1, corroborated: 2, single_source: 3, unattributed: 0 } }]).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(
            text.starts_with("story_id,title,outlet_count,outlets,articles,independent_reports,copies,first_seen,last_seen,contested,corroborated,single_source,unattributed,entities,continues\r\n"),
            "{text}"
        );
        let rows = read(&out);
        assert_eq!(rows.len(), 2, "a header and one row, the line break kept inside its cell: {text}");
        assert_eq!(rows[1][1], "'=cmd|' /C calc'!A0, \"the\" headline\nsecond line");
        assert_eq!(rows[1][3], "Daily, Ltd; -Minus News", "only a cell's start is guarded");
        assert_eq!(&rows[1][4..13], ["2", "1", "1", "2025-06-22T10:00:00Z", "2025-06-22T12:30:00Z", "1", "2", "3", "0"]);
    }

    #[test]
    fn claims_carry_status_outlets_sources_and_the_first_outlets_time() {
        let claim = AlignedClaim {
            id: "c1".into(),
            story_id: "s1".into(),
            text: "@Officials said 12 people died".into(),
            status: ClaimStatus::SingleSource,
            outlets: vec!["B".into(), "A".into()],
            first_outlet: "B".into(),
            sources: vec![Attribution { source: "the ministry".into(), kind: SourceKind::Organisation, cue: "said".into() }],
            members: vec![member("m1", "a1", "x"), member("m2", "b1", "y"), member("m3", "b2", "z")],
            conflict: None,
            checkworthiness: 0.75,
        };
        let articles = [summary("a1", "A", "2025-06-22T08:00:00Z", "t"), summary("b1", "B", "2025-06-22T09:00:00Z", "t"), summary("b2", "B", "2025-06-22T09:30:00Z", "t")];
        let claims = [claim];
        let mut out = Vec::new();
        write_claims(&mut out, claim_rows(&claims, &articles)).unwrap();
        let rows = read(&out);
        assert_eq!(rows[0], CLAIM_COLUMNS);
        assert_eq!(
            rows[1],
            ["s1", "c1", "'@Officials said 12 people died", "single_source", "B; A", "the ministry", "B", "2025-06-22T09:00:00Z", "a1; b1; b2", "", "0.75"],
            "first seen: the first outlet's earliest article, not the earliest of all"
        );
    }

    #[test]
    fn articles_name_their_story_and_original() {
        let a = summary("a1", "A", "2025-06-22T08:00:00Z", "+Breaking: \"quake\"");
        let mut out = Vec::new();
        write_articles(&mut out, [ArticleRow { article: &a, story: Some("s1"), copy_of: Some("a0") }]).unwrap();
        let rows = read(&out);
        assert_eq!(rows[0], ARTICLE_COLUMNS);
        assert_eq!(rows[1], ["a1", "s1", "A", "'+Breaking: \"quake\"", "https://A.example/a1", "2025-06-22T08:00:00Z", "main", "a0"]);
    }
}
