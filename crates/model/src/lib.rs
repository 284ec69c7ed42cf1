//! The plain data types every stage of dossier meets at: [`Article`], [`Sentence`],
//! [`Entity`], [`Claim`], [`AlignedClaim`], [`Story`], [`Outlet`] and [`Brief`].
//!
//! They are defined here once and carry no behaviour beyond construction helpers,
//! so that a later stage never has to reach into an earlier stage's internals.
//! This crate must never depend on another dossier crate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Parses the machine date forms of metadata, feeds, sitemaps and archives:
/// RFC 3339 / W3C datetime (seconds optional), RFC 2822, ISO-like forms with
/// or without an offset (a bare time is UTC), and plain dates
/// (`YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD`, also as the head of a longer string).
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    use chrono::{NaiveDate, NaiveDateTime};
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S %z"] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(naive, f) {
            return Some(d.and_utc());
        }
    }
    let day = s.get(..10).unwrap_or(s);
    for f in ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(day, f) {
            return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
        }
    }
    None
}

/// The two date forms dossier documents where a person or a client gives a
/// date (search bounds, `published` through the API): a plain date
/// `YYYY-MM-DD` (midnight UTC; `true`: a whole day) or an RFC 3339 date-time
/// (`false`), exactly as JSON Schema's `date` and `date-time` formats spell
/// them, and nothing else.
pub fn parse_date_or_datetime(s: &str) -> Option<(DateTime<Utc>, bool)> {
    let b = s.as_bytes();
    let date_shape = b.len() >= 10 && b[..10].iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if !date_shape || &s[..4] == "0000" {
        return None;
    }
    if b.len() == 10 {
        let day = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
        return Some((day.and_hms_opt(0, 0, 0)?.and_utc(), true));
    }
    if !matches!(b[10], b'T' | b't') {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| (t.with_timezone(&Utc), false))
}

/// Stable content-derived identifier: the first 16 hex digits of SHA-256 over the parts.
///
/// Ids derive from content, not from insertion order, so re-ingesting the same
/// input yields the same ids and changes nothing.
///
/// ```
/// let a = dossier_model::stable_id(&["article", "some text"]);
/// assert_eq!(a, dossier_model::stable_id(&["article", "some text"]));
/// assert_eq!(a.len(), 16);
/// ```
pub fn stable_id(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

/// How we know an outlet's name; analysts need to tell a stated name from a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutletBasis {
    /// Given with the input (a JSONL `outlet` field).
    Given,
    /// Named by the page itself (site name metadata, a teaser's outlet line, a self-reference).
    Page,
    /// Nothing named it: the file name stands in.
    FileName,
}

/// A publisher of articles, as the articles name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Outlet {
    pub name: String,
    pub basis: OutletBasis,
}

/// The site an article's URL belongs to: its registrable domain ("foxnews.com"
/// for `https://www.foxnews.com/politics/x`, "bbc.co.uk" for a `news.bbc.co.uk`
/// page), by the public-suffix list. A host the list does not know ends in a
/// suffix of one label, as the list's default rule says ("outlet.example");
/// an IP address or a one-label host is its own site. `None` for what is not
/// an absolute http(s) URL.
pub fn site_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host_port.split(':').next()?,
    };
    let host = host.trim_end_matches('.').to_lowercase();
    if host.is_empty() {
        return None;
    }
    if host.parse::<std::net::IpAddr>().is_ok() || !host.contains('.') {
        return Some(host);
    }
    Some(psl::domain_str(&host).unwrap_or(&host).to_string())
}

/// One outlet however its articles name it: outlets are told apart by their
/// site (the registrable domain of an article's URL, canonical URL where the
/// page gave one); an article without a URL is its stated name's outlet.
/// Corroboration, story outlets and briefs count these, never raw names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutletKey {
    Site(String),
    Name(String),
}

impl OutletKey {
    pub fn of(outlet: &Outlet, url: Option<&str>) -> OutletKey {
        match url.and_then(site_of) {
            Some(site) => OutletKey::Site(site),
            None => OutletKey::Name(outlet.name.clone()),
        }
    }
}

/// An outlet as a set of articles names it: the name shown, the site when
/// known, and the other names its articles (feeds) gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutletAliases {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    pub aliases: Vec<String>,
}

/// The outlets of a set of articles (a story's), each under one name: the
/// name the site gives itself where a page stated it (site-name metadata),
/// else the name its articles give it most often (a longer name before an
/// abbreviation on a tie, then alphabetical). Computed from the articles as
/// stored (URL and stated name), so data stored before outlets had
/// identities reads the same way.
#[derive(Debug, Clone, Default)]
pub struct OutletNames {
    names: std::collections::HashMap<OutletKey, OutletAliases>,
}

impl OutletNames {
    /// From each article's stated outlet and URL.
    pub fn of<'a>(articles: impl IntoIterator<Item = (&'a Outlet, Option<&'a str>)>) -> OutletNames {
        use std::collections::HashMap;
        // Per identity, per stated name: (stated by the page itself, times stated).
        let mut seen: HashMap<OutletKey, Vec<(&'a str, bool, usize)>> = HashMap::new();
        for (outlet, url) in articles {
            let list = seen.entry(OutletKey::of(outlet, url)).or_default();
            let page = outlet.basis == OutletBasis::Page;
            match list.iter_mut().find(|(n, _, _)| *n == outlet.name) {
                Some(e) => {
                    e.1 |= page;
                    e.2 += 1;
                }
                None => list.push((outlet.name.as_str(), page, 1)),
            }
        }
        let names = seen
            .into_iter()
            .map(|(key, mut list)| {
                list.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(b.0.chars().count().cmp(&a.0.chars().count())).then(a.0.cmp(b.0)));
                let name = list[0].0.to_string();
                let mut aliases: Vec<String> = list[1..].iter().map(|(n, _, _)| n.to_string()).collect();
                aliases.sort();
                let site = match &key {
                    OutletKey::Site(s) => Some(s.clone()),
                    OutletKey::Name(_) => None,
                };
                (key, OutletAliases { name, site, aliases })
            })
            .collect::<std::collections::HashMap<OutletKey, OutletAliases>>();
        // Two sites under one name stay two outlets: each is named with its site.
        let mut count: HashMap<String, usize> = HashMap::new();
        for o in names.values() {
            *count.entry(o.name.clone()).or_default() += 1;
        }
        let mut names = names;
        for o in names.values_mut() {
            if let (Some(site), true) = (&o.site, count[&o.name] > 1) {
                o.name = format!("{} ({site})", o.name);
            }
        }
        OutletNames { names }
    }

    /// From articles.
    pub fn of_articles<'a>(articles: impl IntoIterator<Item = &'a Article>) -> OutletNames {
        OutletNames::of(articles.into_iter().map(|a| (&a.outlet, a.url.as_deref())))
    }

    /// The name shown for the outlet of an article with this stated outlet and URL
    /// (its stated name when the article was not among those these names were made from).
    pub fn name<'a>(&'a self, outlet: &'a Outlet, url: Option<&str>) -> &'a str {
        self.names.get(&OutletKey::of(outlet, url)).map_or(outlet.name.as_str(), |o| o.name.as_str())
    }

    /// The name shown for an article's outlet.
    pub fn of_article<'a>(&'a self, a: &'a Article) -> &'a str {
        self.name(&a.outlet, a.url.as_deref())
    }

    /// Every name one outlet goes by (the one shown first).
    pub fn all_names<'a>(&'a self, shown: &'a str) -> impl Iterator<Item = &'a str> {
        self.names.values().filter(move |o| o.name == shown).flat_map(|o| std::iter::once(o.name.as_str()).chain(o.aliases.iter().map(String::as_str)))
    }

    /// The outlets known under more than one name, by the name shown.
    pub fn with_aliases(&self) -> Vec<OutletAliases> {
        let mut v: Vec<OutletAliases> = self.names.values().filter(|o| !o.aliases.is_empty()).cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }
}

/// Whether an item is the article a page is about or a teaser of another story found on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ArticleKind {
    Main,
    /// A teaser of another story that was glued onto the page of article `found_on`.
    Teaser {
        found_on: String,
        /// The relative age the page showed ("22 minutes ago"), verbatim.
        age: Option<String>,
    },
}

/// One article (or teaser) after extraction: clean text plus where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Article {
    pub id: String,
    pub kind: ArticleKind,
    pub title: String,
    /// Clean body: paragraphs separated by a blank line. Offsets in [`Sentence`] point here.
    pub text: String,
    pub outlet: Outlet,
    pub url: Option<String>,
    /// Where it was read from: a path, `path:line` for JSONL.
    pub source: String,
    pub published: Option<DateTime<Utc>>,
    /// When dossier first saw it (file modification time for local files).
    pub seen_at: DateTime<Utc>,
    pub language: Option<String>,
}

impl Article {
    /// The article's best time: published when known, otherwise first seen.
    pub fn time(&self) -> DateTime<Utc> {
        self.published.unwrap_or(self.seen_at)
    }

    pub fn is_teaser(&self) -> bool {
        matches!(self.kind, ArticleKind::Teaser { .. })
    }
}

/// What a list of articles shows of each: everything but the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArticleSummary {
    pub id: String,
    pub title: String,
    pub outlet: Outlet,
    pub url: Option<String>,
    /// The article's best time: published when known, otherwise first seen.
    pub time: DateTime<Utc>,
    pub kind: ArticleKind,
    pub source: String,
}

impl From<Article> for ArticleSummary {
    fn from(a: Article) -> Self {
        ArticleSummary { time: a.time(), id: a.id, title: a.title, outlet: a.outlet, url: a.url, kind: a.kind, source: a.source }
    }
}

/// A sentence with byte offsets back into [`Article::text`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sentence {
    pub index: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Person,
    Organisation,
    Publication,
    Country,
    Place,
    Other,
}

/// A named thing mentioned in an article, under its canonical name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entity {
    /// Canonical name ("Federal Security Service" for "FSB").
    pub name: String,
    pub kind: EntityKind,
    /// The surface forms seen, each with byte offsets into the article text.
    pub mentions: Vec<Mention>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Mention {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

/// What kind of thing a claim is attributed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Person,
    Organisation,
    /// A ministry, department, agency, court, legislature, police or armed force.
    GovernmentBody,
    Publication,
    Document,
    /// Nobody named: "officials", "people familiar with the matter", "sources".
    Unnamed,
}

/// "according to a report by The New York Times": who, and the cue that says so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attribution {
    pub source: String,
    pub kind: SourceKind,
    pub cue: String,
}

/// A normalised quantity: "$240 billion" -> 240e9 USD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Quantity {
    pub text: String,
    pub value: f64,
    /// "USD", "percent", "pages", or a counted noun ("meetings").
    pub unit: Option<String>,
    /// "over 40" is a lower bound.
    pub bound: Option<String>,
    /// The top of a range ("50,000 to 60,000 troops": value 50,000, upper 60,000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
    /// For dates (unit "date"): the days the expression covers, first and last
    /// ("late 2023 or early 2024": 2023-09-01 to 2024-04-30). `value` is the first year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<DateSpan>,
}

/// The calendar days a date expression covers, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DateSpan {
    #[schema(value_type = String, format = Date)]
    pub from: chrono::NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: chrono::NaiveDate,
}

impl DateSpan {
    pub fn overlaps(&self, other: &DateSpan) -> bool {
        self.from <= other.to && other.from <= self.to
    }
}

/// A check-worthy statement made by one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Claim {
    pub id: String,
    pub article_id: String,
    pub sentence: usize,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub entities: Vec<String>,
    pub quantities: Vec<Quantity>,
    pub attribution: Option<Attribution>,
    /// 0..1: how much this is a checkable fact rather than framing or opinion.
    pub checkworthiness: f32,
}

/// The status an analyst reads first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClaimStatus {
    /// Stated by two or more independent outlets.
    Corroborated,
    /// One outlet, attributed to a named source.
    SingleSource,
    /// One outlet, attributed to nobody.
    Unattributed,
    /// Outlets disagree on a number, date, name or polarity.
    Contested,
}

impl ClaimStatus {
    /// Every status, in the order an analyst reads them (most telling first).
    pub const ALL: [ClaimStatus; 4] = [ClaimStatus::Contested, ClaimStatus::Corroborated, ClaimStatus::SingleSource, ClaimStatus::Unattributed];

    /// The spelling people see and filters take: the JSON one (`single_source`), which
    /// the search facets print too. [`as_str`](Self::as_str) is the stored one.
    pub fn name(self) -> &'static str {
        match self {
            ClaimStatus::Corroborated => "corroborated",
            ClaimStatus::SingleSource => "single_source",
            ClaimStatus::Unattributed => "unattributed",
            ClaimStatus::Contested => "contested",
        }
    }

    /// A status as a filter names it: its [`name`](Self::name), or the stored spelling
    /// with a hyphen (`single-source`), which older output printed.
    pub fn parse(s: &str) -> Option<ClaimStatus> {
        ClaimStatus::ALL.into_iter().find(|c| c.name() == s || c.as_str() == s)
    }

    /// What to say of a value that names no status: the value and the valid ones.
    pub fn unknown(value: &str) -> String {
        format!("{value:?} is not a claim status (valid: {})", ClaimStatus::ALL.map(ClaimStatus::name).join(", "))
    }

    /// The stored spelling (the store's status column, the pages' CSS classes).
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Corroborated => "corroborated",
            ClaimStatus::SingleSource => "single-source",
            ClaimStatus::Unattributed => "unattributed",
            ClaimStatus::Contested => "contested",
        }
    }
}

/// How many of a story's aligned claims have each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusCounts {
    pub contested: usize,
    pub corroborated: usize,
    pub single_source: usize,
    pub unattributed: usize,
}

impl StatusCounts {
    pub fn of<'a>(statuses: impl IntoIterator<Item = &'a ClaimStatus>) -> StatusCounts {
        let mut n = StatusCounts::default();
        statuses.into_iter().for_each(|s| n.add(*s, 1));
        n
    }

    pub fn add(&mut self, status: ClaimStatus, n: usize) {
        *self.slot(status) += n;
    }

    pub fn get(&self, status: ClaimStatus) -> usize {
        match status {
            ClaimStatus::Contested => self.contested,
            ClaimStatus::Corroborated => self.corroborated,
            ClaimStatus::SingleSource => self.single_source,
            ClaimStatus::Unattributed => self.unattributed,
        }
    }

    fn slot(&mut self, status: ClaimStatus) -> &mut usize {
        match status {
            ClaimStatus::Contested => &mut self.contested,
            ClaimStatus::Corroborated => &mut self.corroborated,
            ClaimStatus::SingleSource => &mut self.single_source,
            ClaimStatus::Unattributed => &mut self.unattributed,
        }
    }
}

/// One claim as stated across a story's outlets, aligned by meaning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AlignedClaim {
    pub id: String,
    pub story_id: String,
    /// The wording chosen to show.
    pub text: String,
    pub status: ClaimStatus,
    /// The outlets that state it, first publisher first.
    pub outlets: Vec<String>,
    pub first_outlet: String,
    /// Primary sources the outlets attribute it to.
    pub sources: Vec<Attribution>,
    pub members: Vec<Claim>,
    /// What disagrees, when contested.
    pub conflict: Option<String>,
    pub checkworthiness: f32,
}

/// A group of articles about one event or development.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Story {
    pub id: String,
    pub title: String,
    pub article_ids: Vec<String>,
    pub outlets: Vec<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Most-mentioned canonical entities.
    pub entities: Vec<String>,
    /// Members that copy another article (wire copies, republications):
    /// (copy id, original id). The rest are independent reports.
    #[serde(default)]
    pub copies: Vec<(String, String)>,
    /// The story this one follows up: that story was full (too many
    /// articles, or too long a span) when this one's first article arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<String>,
}

impl Story {
    /// The original an article copies, when it is a copy.
    pub fn original_of(&self, article_id: &str) -> Option<&str> {
        self.copies.iter().find(|(c, _)| c == article_id).map(|(_, o)| o.as_str())
    }
}

/// A citation of one bullet to one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Citation {
    pub outlet: String,
    pub article_id: String,
    /// The source sentence the bullet rests on, verbatim.
    pub sentence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bullet {
    pub text: String,
    pub status: ClaimStatus,
    pub citations: Vec<Citation>,
    pub sources: Vec<Attribution>,
    pub conflict: Option<String>,
    /// The claim's check-worthiness (0-1), which orders bullets of the same status and corroboration.
    #[serde(default)]
    pub checkworthiness: f32,
}

/// A primary source the story's reporting rests on, and which outlets cite it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PrimarySource {
    pub name: String,
    pub kind: SourceKind,
    pub cited_by: Vec<String>,
    pub cue: String,
    /// How many of the story's aligned claims rest on this source (name it as their source).
    #[serde(default)]
    pub claims: usize,
}

/// Where an article stands towards the claim another outlet's headline makes (the Fake News
/// Challenge's four stances).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    /// The article states the headline's claim as true.
    Agree,
    /// The article disputes the headline's claim.
    Disagree,
    /// The article reports the claim without taking a side.
    Discuss,
    /// The article is not about the claim.
    Unrelated,
}

impl Stance {
    pub const ALL: [Stance; 4] = [Stance::Agree, Stance::Disagree, Stance::Discuss, Stance::Unrelated];

    /// The label as the FNC-1 files write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Agree => "agree",
            Stance::Disagree => "disagree",
            Stance::Discuss => "discuss",
            Stance::Unrelated => "unrelated",
        }
    }

    pub fn parse(s: &str) -> Option<Stance> {
        Stance::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }
}

/// One outlet's article's stance towards another outlet's headline in the same story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OutletStance {
    /// The outlet whose article takes the stance.
    pub outlet: String,
    pub article_id: String,
    /// The outlet whose headline makes the claim.
    pub toward_outlet: String,
    pub toward_article_id: String,
    /// The headline (the claim), verbatim.
    pub headline: String,
    /// Never `unrelated`: an unrelated pair says nothing about the claim and is left out.
    pub stance: Stance,
    /// How sure the classifier is of this stance (0-1).
    pub confidence: f32,
}

/// The cited "At a Glance" brief of a story. Every bullet's text is source text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Brief {
    pub story_id: String,
    pub title: String,
    pub outlets: Vec<String>,
    pub primary_sources: Vec<PrimarySource>,
    /// Claims carried by two or more outlets (or contested among them).
    pub shared: Vec<Bullet>,
    /// Claims only one outlet carries, grouped by that outlet.
    pub only_in: Vec<(String, Vec<Bullet>)>,
    /// Outlets that cite no source at all.
    pub unsourced_outlets: Vec<String>,
    /// Outlets whose articles name them in more than one way (one outlet, one site).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outlet_aliases: Vec<OutletAliases>,
    pub timeline: Vec<TimelineEntry>,
    /// Bullets and primary sources a glance left out (0 in a full brief): see `dossier brief --all`.
    #[serde(default)]
    pub left_out: usize,
    /// Per pair of outlets, whether one outlet's article agrees with, disputes or only reports the
    /// claim of another outlet's headline (disputes first); pairs found unrelated are left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stances: Vec<OutletStance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub time: DateTime<Utc>,
    pub outlet: String,
    pub article_id: String,
    pub title: String,
}

#[cfg(test)]
mod timestamp_tests {
    use super::parse_timestamp;

    #[test]
    fn machine_date_forms() {
        let t = |s| parse_timestamp(s).map(|d| d.to_rfc3339());
        assert_eq!(t("2019-11-19T12:00:00+01:00").as_deref(), Some("2019-11-19T11:00:00+00:00"));
        assert_eq!(t("2019-11-20T10:43Z").as_deref(), Some("2019-11-20T10:43:00+00:00"));
        assert_eq!(t("2019-11-20T10:43+04:00").as_deref(), Some("2019-11-20T06:43:00+00:00"));
        assert_eq!(t("2019-11-18T18:54:53+0000").as_deref(), Some("2019-11-18T18:54:53+00:00"));
        assert_eq!(t("Tue, 19 Nov 2019 10:00:00 GMT").as_deref(), Some("2019-11-19T10:00:00+00:00"));
        assert_eq!(t("2019-11-19 10:00:00").as_deref(), Some("2019-11-19T10:00:00+00:00"));
        assert_eq!(t("2019/11/19").as_deref(), Some("2019-11-19T00:00:00+00:00"));
        assert_eq!(t("20191119").as_deref(), Some("2019-11-19T00:00:00+00:00"));
        assert_eq!(t("November 19, 2019"), None, "prose dates are the extractor's business");
    }
}

/// What an analysis step changed, as the change log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A new story: its first article arrived. A follow-up of a full story
    /// names that story (`other_story_id`).
    StoryCreated,
    /// An article joined a story (or, revised, was analysed again in it).
    ArticleJoined,
    /// Another story merged into this one (`other_story_id`); the other id now redirects here.
    StoriesMerged,
    /// A claim appeared in the story.
    ClaimAdded,
    /// A claim is no longer in the story (its article was revised, or claims realigned).
    ClaimRemoved,
    /// A claim's status changed (`from` → `to`), e.g. single-source → corroborated.
    ClaimStatusChanged,
    /// The story's brief was rewritten with different content.
    BriefChanged,
    /// A revised article (the same URL, its text changed) changed or dropped one of its
    /// claims: `article_id` is the revised article, `was` the sentence before, `text`
    /// the sentence now (empty when the claim was dropped), `claim_id` the claim it is in
    /// now (or was in, when dropped), `was_claim_id` the claim it was in. The claim is
    /// logged as corrected, not as one claim removed and another added.
    ClaimCorrected,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::StoryCreated => "story_created",
            ChangeKind::ArticleJoined => "article_joined",
            ChangeKind::StoriesMerged => "stories_merged",
            ChangeKind::ClaimAdded => "claim_added",
            ChangeKind::ClaimRemoved => "claim_removed",
            ChangeKind::ClaimStatusChanged => "claim_status_changed",
            ChangeKind::BriefChanged => "brief_changed",
            ChangeKind::ClaimCorrected => "claim_corrected",
        }
    }

    /// Every kind, in the order an analysis step writes them.
    pub const ALL: [ChangeKind; 8] = [
        ChangeKind::StoryCreated,
        ChangeKind::ArticleJoined,
        ChangeKind::StoriesMerged,
        ChangeKind::ClaimAdded,
        ChangeKind::ClaimRemoved,
        ChangeKind::ClaimStatusChanged,
        ChangeKind::BriefChanged,
        ChangeKind::ClaimCorrected,
    ];

    pub fn parse(s: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What a reader sees for the kind: "claim corrected".
    pub fn label(self) -> &'static str {
        match self {
            ChangeKind::StoryCreated => "new story",
            ChangeKind::ArticleJoined => "new article",
            ChangeKind::StoriesMerged => "stories merged",
            ChangeKind::ClaimAdded => "new claim",
            ChangeKind::ClaimRemoved => "claim gone",
            ChangeKind::ClaimStatusChanged => "status changed",
            ChangeKind::BriefChanged => "brief rewritten",
            ChangeKind::ClaimCorrected => "correction",
        }
    }
}

/// Where a reader of the change log resumes: after a sequence number, or after a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// Entries after this sequence number.
    Seq(i64),
    /// Entries written at or after this time.
    Time(DateTime<Utc>),
}

/// What `--since` and `?since=` accept, for error messages and help.
pub const SINCE_FORMS: &str = "a sequence number (0 or more), an RFC 3339 time (2025-06-22T12:00:00Z) or a date (2025-06-22, midnight UTC)";

impl Since {
    /// Reads a sequence number, an RFC 3339 time or a `YYYY-MM-DD` date; the error
    /// says which forms are valid.
    pub fn parse(s: &str) -> Result<Since, String> {
        let s = s.trim();
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return s.parse().map(Since::Seq).map_err(|_| format!("{s:?} is not {SINCE_FORMS}"));
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Ok(Since::Time(t.with_timezone(&Utc)));
        }
        if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            if s.len() == 10 {
                return Ok(Since::Time(d.and_time(chrono::NaiveTime::MIN).and_utc()));
            }
        }
        Err(format!("{s:?} is not {SINCE_FORMS}"))
    }
}

/// One entry of the change log: what changed, in which story, cited to the
/// article or claim behind it. `seq` is monotonic per store: readers resume
/// from the last one they saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangeEntry {
    /// Assigned by the store when the entry is written (0 before).
    pub seq: i64,
    /// When the analysis step that made the change ran.
    pub at: DateTime<Utc>,
    pub kind: ChangeKind,
    pub story_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<String>,
    /// The story merged in (`stories_merged`), or the full story a new one
    /// follows up (`story_created`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_story_id: Option<String>,
    /// The status before (`claim_status_changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ClaimStatus>,
    /// The status now (`claim_added`, `claim_status_changed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<ClaimStatus>,
    /// What a reader sees: the story's title, the claim's text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// The sentence before a correction (`claim_corrected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was: Option<String>,
    /// The claim the corrected sentence was in before (`claim_corrected`): the same as
    /// `claim_id` when dropped, or when the claim kept its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was_claim_id: Option<String>,
}

impl ChangeEntry {
    /// An entry of `kind` in `story_id` at `at`, with nothing else said yet
    /// (no sequence number, article, claim, statuses or text): the fields
    /// that matter are set after, or with struct update syntax.
    pub fn new(at: DateTime<Utc>, kind: ChangeKind, story_id: &str) -> ChangeEntry {
        ChangeEntry { seq: 0, at, kind, story_id: story_id.into(), article_id: None, claim_id: None, other_story_id: None, from: None, to: None, text: String::new(), was: None, was_claim_id: None }
    }
}

/// What a saved watch follows (see [`Watch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WatchKind {
    /// Stories whose most-mentioned entities include this one (compared case-insensitively).
    Entity,
    /// Stories an outlet reports in (its name, compared case-insensitively).
    Outlet,
    /// Stories whose title, or the changed claim's text, or the joined article's title,
    /// hold every word of the query (case-insensitively, whole words).
    Query,
    /// One story (an old id of a story merged away follows the survivor).
    Story,
    /// One aligned claim, followed through re-alignment by the sentences it is made of.
    Claim,
}

impl WatchKind {
    pub const ALL: [WatchKind; 5] = [WatchKind::Entity, WatchKind::Outlet, WatchKind::Query, WatchKind::Story, WatchKind::Claim];

    pub fn as_str(self) -> &'static str {
        match self {
            WatchKind::Entity => "entity",
            WatchKind::Outlet => "outlet",
            WatchKind::Query => "query",
            WatchKind::Story => "story",
            WatchKind::Claim => "claim",
        }
    }

    pub fn parse(s: &str) -> Option<WatchKind> {
        WatchKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A saved watch: what it follows, where its alerts go, and how far into the
/// change log it has looked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Watch {
    pub id: String,
    pub kind: WatchKind,
    /// The entity, outlet, query, story id or claim id followed.
    pub target: String,
    /// Where alerts are POSTed (http or https), if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// The key of the webhook's HMAC-SHA256 signature (hex): in the answer to
    /// the request that creates the watch, and never again.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret: String,
    pub created: DateTime<Utc>,
    /// The last change log seq evaluated: entries after it are evaluated next.
    pub cursor: i64,
    /// A claim watch: the story the claim is in (followed through merges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story_id: Option<String>,
    /// A claim watch: the ids of the sentence-level claims the aligned claim is made of
    /// (its id changes when it gains a member; these do not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
}

/// What an alert says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A claim gained a second independent source: single-source (or unattributed) → corroborated.
    ClaimCorroborated,
    /// A claim became contested.
    ClaimContested,
    /// A watched claim is no longer in its story (its article was revised).
    ClaimRemoved,
    /// A new claim in a matching story.
    NewClaim,
    /// A new story that matches.
    NewStory,
    /// An article joined a matching story, from an outlet already in it.
    NewArticle,
    /// An article joined a matching story from an outlet the story had no other article from.
    NewOutlet,
    /// Another story merged into the watched one.
    StoryMerged,
    /// A revised article changed or dropped a claim of the watched story (or the watched claim).
    ClaimCorrected,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::ClaimCorroborated => "claim_corroborated",
            AlertKind::ClaimContested => "claim_contested",
            AlertKind::ClaimRemoved => "claim_removed",
            AlertKind::NewClaim => "new_claim",
            AlertKind::NewStory => "new_story",
            AlertKind::NewArticle => "new_article",
            AlertKind::NewOutlet => "new_outlet",
            AlertKind::StoryMerged => "story_merged",
            AlertKind::ClaimCorrected => "claim_corrected",
        }
    }
}

/// Where an alert's webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet: the next attempt is due at `next_attempt`.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed; no more are made.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }
}

/// The webhook delivery of one alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub state: DeliveryState,
    /// Attempts made (an attempt interrupted by a crash counts).
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One alert: a watch matched one change log entry. Its id is derived from
/// (watch id, change seq), so evaluating the same entry again gives the same alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: String,
    pub watch_id: String,
    /// The change log entry behind it.
    pub seq: i64,
    /// When the change was made.
    pub at: DateTime<Utc>,
    pub kind: AlertKind,
    pub story_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    /// The outlet of the joined article (`new_article`, `new_outlet`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet: Option<String>,
    /// What a reader sees: the claim's text or the story's title.
    pub text: String,
    /// The webhook delivery, when the watch has a webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

impl Alert {
    /// The id of the alert a watch raises for a change log entry.
    pub fn id_for(watch_id: &str, seq: i64) -> String {
        stable_id(&["alert", watch_id, &seq.to_string()])
    }
}

/// How a set of sentences speaks of one actor: how many are negative, neutral
/// and positive towards it, and their mean on -1..1 (none without sentences).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToneCounts {
    pub negative: usize,
    pub neutral: usize,
    pub positive: usize,
    pub mean: Option<f32>,
}

/// One day on which articles mention both actors of a pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PairDay {
    /// `YYYY-MM-DD` (UTC) of the articles' best time.
    pub day: String,
    /// Articles that mention both actors.
    pub articles: usize,
    /// Sentences that mention both.
    pub sentences: usize,
}

/// One outlet's sentences mentioning both actors on one day, and their tone towards each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PairOutletDay {
    pub day: String,
    pub sentences: usize,
    pub toward_a: ToneCounts,
    pub toward_b: ToneCounts,
}

/// How one outlet speaks of each actor where the other is present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PairOutlet {
    pub outlet: String,
    pub articles: usize,
    pub sentences: usize,
    pub toward_a: ToneCounts,
    pub toward_b: ToneCounts,
    /// Oldest day first.
    pub days: Vec<PairOutletDay>,
}

/// A sentence that mentions both actors, with its tone towards each
/// (-1 negative, 0 neutral, 1 positive; absent when the tone model is not loaded).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PairSentence {
    pub article: String,
    pub outlet: String,
    pub time: DateTime<Utc>,
    pub text: String,
    /// The mentions the tone was read towards, as written in the sentence.
    pub mention_a: String,
    pub mention_b: String,
    pub toward_a: Option<i8>,
    pub toward_b: Option<i8>,
}

/// Two actors (entities, by canonical name or a mention's wording) over the
/// stored articles: when they are mentioned together, and how each outlet's
/// sentences that mention both speak of each (tone towards a target, not the
/// sentence's mood).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActorPair {
    pub a: String,
    pub b: String,
    /// Articles that mention both.
    pub articles: usize,
    /// Sentences that mention both.
    pub sentences: usize,
    /// Whether the tone model ran (without the embedding model, counts only).
    pub tone: bool,
    /// Oldest day first.
    pub days: Vec<PairDay>,
    /// Most sentences first.
    pub outlets: Vec<PairOutlet>,
    /// The sentences, newest first (at most the first 200).
    pub examples: Vec<PairSentence>,
    /// Whether more sentences mention both than were read (the newest are read first).
    pub truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_is_its_registrable_domain() {
        let site = |u: &str| site_of(u);
        assert_eq!(site("https://www.foxnews.com/politics/story").as_deref(), Some("foxnews.com"));
        assert_eq!(site("https://edition.cnn.com/2019/01/18/x.html?utm_source=x").as_deref(), Some("cnn.com"));
        assert_eq!(site("http://news.bbc.co.uk/2/hi/8.stm").as_deref(), Some("bbc.co.uk"), "a public suffix of two labels");
        assert_eq!(site("https://WWW.NYTimes.com./2019/01/18/us/politics/x.html").as_deref(), Some("nytimes.com"));
        assert_eq!(site("https://user@www.huffpost.com:443/entry/x").as_deref(), Some("huffpost.com"));
        assert_eq!(site("https://morningcourier.example/2015/03/01/a").as_deref(), Some("morningcourier.example"), "a suffix the list does not know");
        assert_eq!(site("http://127.0.0.1:8080/a").as_deref(), Some("127.0.0.1"));
        assert_eq!(site("http://[::1]:8080/a").as_deref(), Some("::1"));
        assert_eq!(site("http://localhost/a").as_deref(), Some("localhost"));
        for not_a_page in ["", "foxnews.com/x", "file:///tmp/a.html", "mailto:a@b.com", "https:///x"] {
            assert_eq!(site(not_a_page), None, "{not_a_page:?}");
        }
    }

    #[test]
    fn one_outlet_however_its_feeds_name_it() {
        let o = |name: &str, basis| Outlet { name: name.into(), basis };
        let (fox, fox_news, nyt_page, nyt, times, daily8) = (
            o("FOX", OutletBasis::Given),
            o("Fox News", OutletBasis::Given),
            o("The New York Times", OutletBasis::Page),
            o("NYT", OutletBasis::Given),
            o("NYT", OutletBasis::Given),
            o("Daily8", OutletBasis::Page),
        );
        let names = OutletNames::of([
            (&fox, Some("https://www.foxnews.com/politics/a")),
            (&fox_news, Some("https://foxnews.com/us/b")),
            (&nyt, Some("https://www.nytimes.com/2019/01/18/us/x.html")),
            (&times, Some("https://nytimes.com/2019/01/19/us/y.html")),
            (&nyt_page, Some("https://www.nytimes.com/2019/01/20/us/z.html")),
            (&daily8, None),
        ]);
        assert_eq!(names.name(&fox, Some("https://www.foxnews.com/politics/a")), "Fox News", "a full name before an abbreviation");
        assert_eq!(names.name(&fox_news, Some("https://foxnews.com/us/b")), "Fox News");
        assert_eq!(names.name(&nyt, Some("https://nytimes.com/x")), "The New York Times", "the name the site gives itself, though feeds say NYT more often");
        assert_eq!(names.name(&daily8, None), "Daily8", "no URL: the stated name");
        assert_eq!(names.name(&o("Other", OutletBasis::Given), None), "Other", "an outlet the names were not made from keeps its own");
        assert_eq!(
            names.with_aliases(),
            [
                OutletAliases { name: "Fox News".into(), site: Some("foxnews.com".into()), aliases: vec!["FOX".into()] },
                OutletAliases { name: "The New York Times".into(), site: Some("nytimes.com".into()), aliases: vec!["NYT".into()] },
            ]
        );
        assert_eq!(names.all_names("The New York Times").collect::<Vec<_>>(), ["The New York Times", "NYT"]);
        // Two outlets that share a name but not a site stay two.
        let a = o("Herald", OutletBasis::Given);
        let two = OutletNames::of([(&a, Some("https://heraldsun.com.au/x")), (&a, Some("https://miamiherald.com/y"))]);
        assert_eq!(OutletKey::of(&a, Some("https://heraldsun.com.au/x")), OutletKey::Site("heraldsun.com.au".into()));
        assert_eq!(two.with_aliases(), []);
        assert_eq!(two.name(&a, Some("https://www.miamiherald.com/z")), "Herald (miamiherald.com)");
        assert_eq!(two.name(&a, Some("https://heraldsun.com.au/x")), "Herald (heraldsun.com.au)");
    }

    #[test]
    fn dates_as_json_schema_spells_them_and_nothing_else() {
        let at = |s: &str| parse_date_or_datetime(s).map(|(t, day)| (t.to_rfc3339(), day));
        assert_eq!(at("2024-02-29"), Some(("2024-02-29T00:00:00+00:00".into(), true)));
        assert_eq!(at("2024-02-29T10:30:00+02:00"), Some(("2024-02-29T08:30:00+00:00".into(), false)));
        assert_eq!(at("2024-02-29t10:30:00.25Z"), Some(("2024-02-29T10:30:00.250+00:00".into(), false)));
        for bad in
            ["", "2023-02-29", "0000-01-01", "2024-2-29", "20240229", "2024/02/29", "2024-02-29 10:30:00Z", "2024-02-29T10:30Z", "2024-02-29x", "Feb 29, 2024", " 2024-02-29", "2024-02-29T10:30:00"]
        {
            assert_eq!(at(bad), None, "{bad:?}");
        }
    }
}

#[cfg(test)]
mod since_tests {
    use super::{Since, SINCE_FORMS};

    #[test]
    fn a_sequence_number_a_time_or_a_date() {
        let t = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert_eq!(Since::parse("0"), Ok(Since::Seq(0)));
        assert_eq!(Since::parse(" 1234 "), Ok(Since::Seq(1234)));
        assert_eq!(Since::parse("2025-06-22T12:00:00Z"), Ok(Since::Time(t("2025-06-22T12:00:00Z"))));
        assert_eq!(Since::parse("2025-06-22T14:00:00.5+02:00"), Ok(Since::Time(t("2025-06-22T12:00:00.5Z"))));
        assert_eq!(Since::parse("2025-06-22"), Ok(Since::Time(t("2025-06-22T00:00:00Z"))));
        for bad in ["", "-1", "+5", "1e3", "99999999999999999999", "2025-6-2", "2025-06-22 12:00", "yesterday", "2025-02-30"] {
            let e = Since::parse(bad).unwrap_err();
            assert!(e.ends_with(SINCE_FORMS), "{bad}: {e}");
        }
    }
}
