//! The desk's list of stories, as the feed, `/api/stories` and `dossier stories`
//! show it: each story with its claim statuses counted, filtered by the statuses
//! it has, sorted, then paged. Every order ends on the story id, so the same desk
//! pages the same way: no story on two pages, none left out.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dossier_model::{ClaimStatus, StatusCounts, Story};

/// How the list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// The feed's: breadth of independent coverage, fading with age ([`rank`]).
    #[default]
    Rank,
    /// Most articles first, then most recent (the store's order).
    Size,
    /// Latest report first.
    Recent,
    /// Most outlets first.
    Outlets,
    /// Most contested claims first.
    Contested,
    /// Most corroborated claims first.
    Corroborated,
}

impl Sort {
    pub const ALL: [Sort; 6] = [Sort::Rank, Sort::Size, Sort::Recent, Sort::Outlets, Sort::Contested, Sort::Corroborated];

    pub fn name(self) -> &'static str {
        match self {
            Sort::Rank => "rank",
            Sort::Size => "size",
            Sort::Recent => "recent",
            Sort::Outlets => "outlets",
            Sort::Contested => "contested",
            Sort::Corroborated => "corroborated",
        }
    }

    /// A sort by name; else what is wrong, with the valid names.
    pub fn parse(s: &str) -> Result<Sort, String> {
        Sort::ALL.into_iter().find(|o| o.name() == s).ok_or_else(|| format!("{s:?} is not a sort (valid: {})", Sort::ALL.map(Sort::name).join(", ")))
    }
}

/// Claim statuses as a filter gives them; else what is wrong, with the valid ones.
pub fn parse_status(s: &str) -> Result<ClaimStatus, String> {
    ClaimStatus::parse(s).ok_or_else(|| ClaimStatus::unknown(s))
}

/// One story of the list, with its claims counted by status.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryRow {
    pub story: Story,
    pub claims: StatusCounts,
}

impl StoryRow {
    pub fn independent_reports(&self) -> usize {
        self.story.article_ids.len().saturating_sub(self.story.copies.len())
    }
}

/// How a story ranks in the feed: breadth of independent coverage, fading
/// with the time from its latest report to `now` (half a day's weight per day).
pub fn rank(s: &Story, now: DateTime<Utc>) -> f64 {
    let independent = s.article_ids.len().saturating_sub(s.copies.len()) as f64;
    let breadth = s.outlets.len() as f64 + 0.25 * independent;
    let days = (now - s.last_seen).num_minutes().max(0) as f64 / 1440.0;
    breadth / (1.0 + days)
}

/// The stories that carry a claim of every status in `has`, with their counts, in `sort`'s order.
/// The rank fades from the desk's latest report, not the clock: pages asked a minute apart
/// keep one order.
pub fn arrange(stories: Vec<Story>, counts: &HashMap<String, StatusCounts>, sort: Sort, has: &[ClaimStatus]) -> Vec<StoryRow> {
    let now = stories.iter().map(|s| s.last_seen).max().unwrap_or_default();
    let mut rows: Vec<StoryRow> =
        stories.into_iter().map(|story| StoryRow { claims: counts.get(&story.id).copied().unwrap_or_default(), story }).filter(|r| has.iter().all(|s| r.claims.get(*s) > 0)).collect();
    let size = |r: &StoryRow| (r.story.article_ids.len(), r.story.last_seen);
    match sort {
        Sort::Rank => {
            let mut keyed: Vec<(f64, StoryRow)> = rows.into_iter().map(|r| (rank(&r.story, now), r)).collect();
            keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.story.id.cmp(&b.1.story.id)));
            return keyed.into_iter().map(|(_, r)| r).collect();
        }
        Sort::Size => rows.sort_by(|a, b| size(b).cmp(&size(a)).then_with(|| a.story.id.cmp(&b.story.id))),
        Sort::Recent => rows.sort_by(|a, b| b.story.last_seen.cmp(&a.story.last_seen).then_with(|| a.story.id.cmp(&b.story.id))),
        Sort::Outlets => rows.sort_by(|a, b| (b.story.outlets.len(), size(b)).cmp(&(a.story.outlets.len(), size(a))).then_with(|| a.story.id.cmp(&b.story.id))),
        Sort::Contested => rows.sort_by(|a, b| (b.claims.contested, size(b)).cmp(&(a.claims.contested, size(a))).then_with(|| a.story.id.cmp(&b.story.id))),
        Sort::Corroborated => rows.sort_by(|a, b| (b.claims.corroborated, size(b)).cmp(&(a.claims.corroborated, size(a))).then_with(|| a.story.id.cmp(&b.story.id))),
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(id: &str, articles: usize, outlets: usize, hours_ago: i64) -> Story {
        let t: DateTime<Utc> = "2025-06-22T12:00:00Z".parse().unwrap();
        Story {
            id: id.into(),
            title: id.into(),
            article_ids: (0..articles).map(|i| format!("{id}-{i}")).collect(),
            outlets: (0..outlets).map(|i| format!("O{i}")).collect(),
            first_seen: t - chrono::Duration::hours(hours_ago + 1),
            last_seen: t - chrono::Duration::hours(hours_ago),
            entities: vec![],
            copies: vec![],
            continues: None,
        }
    }

    fn ids(rows: &[StoryRow]) -> Vec<&str> {
        rows.iter().map(|r| r.story.id.as_str()).collect()
    }

    #[test]
    fn sorts_filter_and_break_ties_by_id() {
        let stories = vec![story("b", 3, 1, 0), story("a", 3, 1, 0), story("wide", 2, 4, 48), story("new", 1, 1, 0)];
        let counts = HashMap::from([
            ("wide".to_string(), StatusCounts { contested: 2, corroborated: 1, ..Default::default() }),
            ("b".to_string(), StatusCounts { contested: 1, corroborated: 5, ..Default::default() }),
        ]);
        let by = |sort, has: &[ClaimStatus]| ids(&arrange(stories.clone(), &counts, sort, has)).join(" ");
        assert_eq!(by(Sort::Size, &[]), "a b wide new");
        assert_eq!(by(Sort::Outlets, &[]), "wide a b new");
        assert_eq!(by(Sort::Contested, &[]), "wide b a new");
        assert_eq!(by(Sort::Corroborated, &[]), "b wide a new");
        // Two days old, four outlets: 4.5 / 3 = 1.5, against 1.75 for a and b today.
        assert_eq!(by(Sort::Rank, &[]), "a b wide new");
        assert_eq!(by(Sort::Recent, &[]), "a b new wide");
        assert_eq!(by(Sort::Size, &[ClaimStatus::Contested]), "b wide");
        assert_eq!(by(Sort::Size, &[ClaimStatus::Contested, ClaimStatus::Corroborated]), "b wide");
        assert_eq!(by(Sort::Size, &[ClaimStatus::Unattributed]), "");
        assert_eq!(arrange(stories.clone(), &counts, Sort::Size, &[])[0].claims, StatusCounts::default(), "a story without claims counts none");
    }

    #[test]
    fn names_parse_back_and_unknown_ones_list_the_valid() {
        for s in Sort::ALL {
            assert_eq!(Sort::parse(s.name()), Ok(s));
        }
        let e = Sort::parse("newest").unwrap_err();
        assert!(e.contains("\"newest\"") && e.contains("rank, size, recent, outlets, contested, corroborated"), "{e}");
        assert_eq!(parse_status("single_source"), Ok(ClaimStatus::SingleSource));
        assert_eq!(parse_status("single-source"), Ok(ClaimStatus::SingleSource), "the stored spelling older output printed");
        let e = parse_status("disputed").unwrap_err();
        assert!(e.contains("contested, corroborated, single_source, unattributed"), "{e}");
    }
}
