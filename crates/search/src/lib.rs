//! Full-text search over articles: a tantivy index in the data directory.
//!
//! Each article is one document: title and body (searchable, with phrase
//! queries and boolean operators from tantivy's query parser; title matches
//! weigh double), outlet, entities, language and claim statuses as facets
//! (filterable, counted for every query), the publication date (filterable by
//! range), and the story it belongs to. [`SearchIndex::sync`] brings the index
//! up to date with the articles it is given, writing only documents whose
//! content changed (a signature per article is kept beside the index);
//! [`SearchIndex::rebuild`] starts over.
//!
//! Articles may carry a sentence vector (their title and lead, embedded by the
//! caller); the index keeps them beside it ([`vectors`]) and searches in three
//! [`Mode`]s: lexical (BM25, every word required unless the query says
//! otherwise), vector (the articles nearest the query's vector) and hybrid
//! (BM25 with every word optional, fused with the vector ranking by weighted
//! reciprocal rank, [`fuse`]). The filters apply to every mode.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{DateOptions, DateTimePrecision, Facet, FacetOptions, Field, IndexRecordOption, Schema, Value, FAST, INDEXED, STORED, STRING, TEXT};
use tantivy::snippet::SnippetGenerator;
use tantivy::{doc, DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Bumped when the schema changes; an index of another version is rebuilt.
const SCHEMA_VERSION: u32 = 2;
const WRITER_MEMORY: usize = 50_000_000;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index {path}: {source}")]
    Index { path: String, source: tantivy::TantivyError },
    #[error("search index {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("bad query {query:?}: {reason}")]
    Query { query: String, reason: String },
    /// A mode the index cannot serve (vectors asked of an index without any).
    #[error("{0}")]
    Mode(String),
}

pub type Result<T> = std::result::Result<T, SearchError>;

pub mod vectors;

/// What the index holds about one article.
#[derive(Debug, Clone, Default)]
pub struct IndexDoc {
    pub id: String,
    pub title: String,
    pub body: String,
    pub outlet: String,
    pub language: Option<String>,
    pub published: DateTime<Utc>,
    pub entities: Vec<String>,
    /// Statuses of the aligned claims this article carries ("corroborated", ...).
    pub statuses: Vec<String>,
    pub story: Option<String>,
    /// The article's sentence vector (unit length), when it has one.
    pub vector: Option<Vec<f32>>,
}

impl IndexDoc {
    fn signature(&self) -> String {
        let mut parts: Vec<&str> = vec![&self.id, &self.title, &self.body, &self.outlet, self.language.as_deref().unwrap_or(""), self.story.as_deref().unwrap_or("")];
        let when = self.published.to_rfc3339();
        parts.push(&when);
        parts.push("entities");
        parts.extend(self.entities.iter().map(String::as_str));
        parts.push("statuses");
        parts.extend(self.statuses.iter().map(String::as_str));
        let vector = self.vector.as_ref().map(|v| v.iter().fold(0u64, |h, x| h.rotate_left(5) ^ u64::from(x.to_bits())).to_string()).unwrap_or_default();
        parts.push(&vector);
        dossier_model::stable_id(&parts)
    }
}

/// A search: free text (tantivy syntax: `"a phrase"`, `AND`/`OR`/`NOT`,
/// `+must -not`, `title:word`; empty means everything) and filters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchQuery {
    pub text: String,
    pub outlets: Vec<String>,
    pub entities: Vec<String>,
    pub languages: Vec<String>,
    pub statuses: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: usize,
    pub offset: usize,
    /// How to rank: lexical unless the caller resolved another ([`SearchIndex::resolve_mode`]).
    #[serde(default)]
    pub mode: Mode,
    /// The query's sentence vector, for the vector and hybrid modes (the caller embeds
    /// [`plain_words`] of the text with the model the articles were embedded with).
    #[serde(default)]
    pub vector: Option<Vec<f32>>,
}

/// How a search ranks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// BM25 over title and body; every word required (tantivy syntax honoured).
    #[default]
    Lexical,
    /// The articles whose vectors are nearest the query's.
    Vector,
    /// BM25 with every word optional and the vector ranking, fused by weighted reciprocal rank.
    Hybrid,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Lexical, Mode::Vector, Mode::Hybrid];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Lexical => "lexical",
            Mode::Vector => "vector",
            Mode::Hybrid => "hybrid",
        }
    }

    /// Reads a mode's name; an unknown one is an error that lists the valid ones.
    pub fn parse(s: &str) -> std::result::Result<Mode, String> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| format!("unknown mode {s:?} (valid: lexical, vector, hybrid)"))
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Articles each ranking contributes to the vector and hybrid modes at most: their
/// results are the union of these candidates (so `total` counts at most twice this).
pub const DEPTH: usize = 500;
/// Cosine below which an article is not a vector candidate (unrelated news scores about 0-0.15).
pub const MIN_SIMILARITY: f32 = 0.25;
/// Reciprocal-rank fusion: an article at rank r (from 1) in a ranking scores
/// weight / (RRF_K + r). RRF_K and VECTOR_WEIGHT were chosen by 5-fold cross-validation
/// by story on the tuning two thirds of the UCI headline stories (`dossier eval search`;
/// BENCHMARKS.md): sentence vectors rank a story's other headlines better than words do,
/// so the vector ranking weighs more, and the words mostly break its ties.
pub const RRF_K: f32 = 30.0;
/// The vector ranking's weight in the fusion (the lexical ranking's is 1).
pub const VECTOR_WEIGHT: f32 = 4.0;

/// Fuses rankings (keys best first) by weighted reciprocal rank: each key scores the sum
/// over the rankings it is in of weight / (k + rank); best first, ties by first appearance.
pub fn fuse(rankings: &[(&[u64], f32)], k: f32) -> Vec<(u64, f32)> {
    let mut score: HashMap<u64, (f32, usize)> = HashMap::new();
    let mut order = 0;
    for (ranking, weight) in rankings {
        for (r, key) in ranking.iter().enumerate() {
            let e = score.entry(*key).or_insert_with(|| {
                order += 1;
                (0.0, order)
            });
            e.0 += weight / (k + r as f32 + 1.0);
        }
    }
    let mut out: Vec<(u64, f32, usize)> = score.into_iter().map(|(key, (s, o))| (key, s, o)).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    out.into_iter().map(|(key, s, _)| (key, s)).collect()
}

/// The words of a query without its syntax (operators, field names, quotes, signs):
/// what is embedded for the vector ranking, and a safe query made of any text.
pub fn plain_words(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    for token in text.split_whitespace() {
        if matches!(token, "AND" | "OR" | "NOT" | "&&" | "||") {
            continue;
        }
        // `title:word` searches a field: the word is what it means.
        let token = token.rsplit_once(':').map_or(token, |(_, w)| w);
        let cleaned: String = token.chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
        out.extend(cleaned.split_whitespace().map(str::to_string));
    }
    out.join(" ")
}

/// Reads a date bound given by a person: RFC 3339 or a plain date
/// (`YYYY-MM-DD`), nothing else; a plain date as the upper bound means the end of that day.
pub fn parse_date_bound(s: &str, upper: bool) -> std::result::Result<DateTime<Utc>, String> {
    let (t, plain_date) = dossier_model::parse_date_or_datetime(s).ok_or_else(|| format!("{s:?} is not a date (use YYYY-MM-DD or RFC 3339)"))?;
    Ok(if upper && plain_date { t + chrono::Duration::days(1) - chrono::Duration::seconds(1) } else { t })
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub outlet: String,
    pub published: DateTime<Utc>,
    pub language: Option<String>,
    pub story: Option<String>,
    pub score: f32,
    /// A passage of the body with the matched words in `<b>`; everything else HTML-escaped.
    pub snippet_html: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
}

/// Counts per facet value among all matches (not only the page shown).
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Facets {
    pub outlet: Vec<FacetValue>,
    pub entity: Vec<FacetValue>,
    pub language: Vec<FacetValue>,
    pub status: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct SearchResults {
    /// How the hits were ranked (an empty query lists everything, newest first: lexical).
    pub mode: Mode,
    /// Matches: every one in lexical mode; in the vector and hybrid modes, the candidates
    /// the rankings contributed (at most 500 each, those of the vector ranking above a similarity floor).
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    body: Field,
    outlet: Field,
    outlet_name: Field,
    language: Field,
    language_name: Field,
    published: Field,
    entity: Field,
    status: Field,
    story: Field,
    key: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", TEXT | STORED),
        body: b.add_text_field("body", TEXT | STORED),
        outlet: b.add_facet_field("outlet", FacetOptions::default()),
        outlet_name: b.add_text_field("outlet_name", STORED),
        language: b.add_facet_field("language", FacetOptions::default()),
        language_name: b.add_text_field("language_name", STORED),
        published: b.add_date_field("published", DateOptions::from(INDEXED).set_stored().set_fast().set_precision(DateTimePrecision::Seconds)),
        entity: b.add_facet_field("entity", FacetOptions::default()),
        status: b.add_facet_field("status", FacetOptions::default()),
        story: b.add_text_field("story", STRING | STORED),
        key: b.add_u64_field("key", INDEXED | FAST),
    };
    (b.build(), fields)
}

fn facet(value: &str) -> Facet {
    Facet::from_path([value])
}

/// tantivy counts nanoseconds in an i64 (1677-09-21 to 2262-04-11): a date
/// outside (a year mistyped at the source, a far bound) is held at the nearer
/// end instead of overflowing.
fn to_tantivy_date(t: DateTime<Utc>) -> tantivy::DateTime {
    const LIMIT: i64 = i64::MAX / 1_000_000_000;
    tantivy::DateTime::from_timestamp_secs(t.timestamp().clamp(-LIMIT, LIMIT))
}

/// The index in a folder (usually `DATA/index`).
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    vectors: RwLock<vectors::Vectors>,
    /// What is kept of each segment of the index, by its id ([`SegmentCache`]).
    segments: RwLock<HashMap<tantivy::index::SegmentId, Arc<SegmentCache>>>,
}

/// The facet fields, counted for every search in this order.
const FACET_FIELDS: [&str; 4] = ["outlet", "entity", "language", "status"];
/// Values a facet lists at most (most frequent first).
const FACET_VALUES: usize = 50;

/// What the index keeps in memory of one segment, read once: a segment never changes
/// but for deletions. Its documents by vector key (the vector and hybrid modes rank
/// keys: a hash lookup, not a term query per key), and each facet field's values by
/// ordinal (tantivy's facet collector walks the whole facet dictionary of every segment
/// on every search, a zstd block at a time: most of a search's time with 50 segments).
struct SegmentCache {
    docs: HashMap<u64, tantivy::DocId>,
    facet_names: [Vec<String>; 4],
}

impl SegmentCache {
    fn read(segment: &tantivy::SegmentReader) -> tantivy::Result<SegmentCache> {
        let keys = segment.fast_fields().u64("key")?;
        let docs = (0..segment.max_doc()).filter_map(|d| keys.first(d).map(|k| (k, d))).collect();
        let mut facet_names: [Vec<String>; 4] = Default::default();
        for (names, field) in facet_names.iter_mut().zip(FACET_FIELDS) {
            let facets = segment.facet_reader(field)?;
            let mut stream = facets.facet_dict().stream()?;
            names.reserve(facets.num_facets());
            while stream.advance() {
                // A facet's path is its parts joined by a 0 byte; dossier's have one part.
                let path = String::from_utf8_lossy(stream.key());
                names.push(path.rsplit('\0').next().unwrap_or_default().to_string());
            }
        }
        Ok(SegmentCache { docs, facet_names })
    }
}

/// Counts each facet field's values over a search's matches, from the segments' cached
/// names: only the values found are named, once each.
struct FacetCounter {
    segments: Vec<Arc<SegmentCache>>,
}

struct SegmentFacetCounter {
    cache: Arc<SegmentCache>,
    readers: Vec<tantivy::fastfield::FacetReader>,
    counts: [Vec<u32>; 4],
}

impl tantivy::collector::Collector for FacetCounter {
    type Fruit = Facets;
    type Child = SegmentFacetCounter;

    fn for_segment(&self, ord: tantivy::SegmentOrdinal, segment: &tantivy::SegmentReader) -> tantivy::Result<SegmentFacetCounter> {
        let readers = FACET_FIELDS.iter().map(|f| segment.facet_reader(f)).collect::<tantivy::Result<Vec<_>>>()?;
        let counts = std::array::from_fn(|i| vec![0; readers[i].num_facets()]);
        Ok(SegmentFacetCounter { cache: self.segments[ord as usize].clone(), readers, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<(Arc<SegmentCache>, [Vec<(u32, u32)>; 4])>) -> tantivy::Result<Facets> {
        let mut lists: [Vec<FacetValue>; 4] = Default::default();
        for (i, list) in lists.iter_mut().enumerate() {
            let mut by_name: HashMap<&str, u64> = HashMap::new();
            for (cache, counts) in &fruits {
                for &(ord, n) in &counts[i] {
                    *by_name.entry(cache.facet_names[i][ord as usize].as_str()).or_default() += u64::from(n);
                }
            }
            let mut v: Vec<(&str, u64)> = by_name.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            *list = v.into_iter().take(FACET_VALUES).map(|(value, count)| FacetValue { value: value.to_string(), count }).collect();
        }
        let [outlet, entity, language, status] = lists;
        Ok(Facets { outlet, entity, language, status })
    }
}

impl tantivy::collector::SegmentCollector for SegmentFacetCounter {
    type Fruit = (Arc<SegmentCache>, [Vec<(u32, u32)>; 4]);

    fn collect(&mut self, doc: tantivy::DocId, _: tantivy::Score) {
        for (reader, counts) in self.readers.iter().zip(self.counts.iter_mut()) {
            for ord in reader.facet_ords(doc) {
                counts[ord as usize] += 1;
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        let found = self.counts.map(|c| c.iter().enumerate().filter(|(_, n)| **n > 0).map(|(ord, n)| (ord as u32, *n)).collect());
        (self.cache, found)
    }
}

/// The rankings of one query ([`SearchIndex::rankings`]), by vector key ([`vectors::key_of`]).
#[derive(Debug, Default, Clone)]
pub struct Rankings {
    /// BM25 with every word required: the lexical mode's order.
    pub all_words: Vec<u64>,
    /// BM25 with every word optional: the hybrid mode's lexical ranking.
    pub any_words: Vec<u64>,
    /// Nearest by cosine to the query's vector: the vector mode's order, with the cosines.
    pub vector: Vec<(u64, f32)>,
}

/// Stories like a story ([`SearchIndex::similar_stories`]), best first.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct SimilarStory {
    pub story: String,
    /// Fused score of its best article (higher is more similar).
    pub score: f32,
    /// Its article most like the story asked about.
    pub article: Hit,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if needed. An index written with
    /// another schema version is emptied (the next [`sync`](Self::sync) fills it).
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        let p = dir.display().to_string();
        let io = |source| SearchError::Io { path: p.clone(), source };
        let version_file = dir.join("dossier-schema-version");
        let current = std::fs::read_to_string(&version_file).ok().and_then(|v| v.trim().parse::<u32>().ok());
        if dir.exists() && current != Some(SCHEMA_VERSION) {
            std::fs::remove_dir_all(dir).map_err(io)?;
        }
        std::fs::create_dir_all(dir).map_err(io)?;
        let (schema, fields) = schema();
        let ix = |source| SearchError::Index { path: p.clone(), source };
        let mmap = tantivy::directory::MmapDirectory::open(dir).map_err(|e| ix(e.into()))?;
        let index = Index::open_or_create(mmap, schema).map_err(ix)?;
        std::fs::write(&version_file, SCHEMA_VERSION.to_string()).map_err(io)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into().map_err(ix)?;
        let vectors = vectors::Vectors::open(dir).map_err(io)?;
        Ok(SearchIndex { dir: dir.to_path_buf(), index, reader, fields, vectors: RwLock::new(vectors), segments: RwLock::new(HashMap::new()) })
    }

    fn err(&self) -> impl Fn(tantivy::TantivyError) -> SearchError + '_ {
        move |source| SearchError::Index { path: self.dir.display().to_string(), source }
    }

    fn signatures_path(&self) -> PathBuf {
        self.dir.join("dossier-signatures.json")
    }

    fn signatures(&self) -> HashMap<String, String> {
        std::fs::read(self.signatures_path()).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
    }

    fn save_signatures(&self, sigs: &HashMap<String, String>) -> Result<()> {
        let path = self.signatures_path();
        let tmp = path.with_extension("json.tmp");
        let io = |source| SearchError::Io { path: path.display().to_string(), source };
        std::fs::write(&tmp, serde_json::to_vec(sigs).expect("signatures serialise")).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    fn writer(&self) -> Result<IndexWriter> {
        self.index.writer(WRITER_MEMORY).map_err(self.err())
    }

    /// Commits and lets the merges the commit set off finish. A writer dropped
    /// at once kills them, so a store fed by short `dossier ingest` processes
    /// kept every commit's segment: 334 of them at 128,000 articles, each a
    /// file set every search and commit walks.
    fn commit_merged(&self, mut w: IndexWriter) -> Result<()> {
        w.commit().map_err(self.err())?;
        w.wait_merging_threads().map_err(self.err())
    }

    fn add(&self, w: &IndexWriter, d: &IndexDoc) -> Result<()> {
        let f = self.fields;
        let mut doc = doc!(
            f.id => d.id.as_str(),
            f.title => d.title.as_str(),
            f.body => d.body.as_str(),
            f.outlet => facet(&d.outlet),
            f.outlet_name => d.outlet.as_str(),
            f.published => to_tantivy_date(d.published),
            f.key => vectors::key_of(&d.id),
        );
        if let Some(l) = &d.language {
            doc.add_facet(f.language, facet(l));
            doc.add_text(f.language_name, l);
        }
        if let Some(s) = &d.story {
            doc.add_text(f.story, s);
        }
        let mut seen = std::collections::HashSet::new();
        for e in d.entities.iter().filter(|e| seen.insert(e.as_str())) {
            doc.add_facet(f.entity, facet(e));
        }
        let mut seen = std::collections::HashSet::new();
        for s in d.statuses.iter().filter(|s| seen.insert(s.as_str())) {
            doc.add_facet(f.status, facet(s));
        }
        w.add_document(doc).map_err(self.err())?;
        Ok(())
    }

    /// Makes the index hold exactly `docs`: changed and new articles are
    /// (re)written, vanished ones deleted, unchanged ones left alone. Returns
    /// how many documents were written or deleted.
    pub fn sync(&mut self, docs: &[IndexDoc]) -> Result<usize> {
        let keep: std::collections::HashSet<&str> = docs.iter().map(|d| d.id.as_str()).collect();
        let gone: Vec<String> = self.signatures().into_keys().filter(|id| !keep.contains(&id[..])).collect();
        self.apply(docs, &gone)
    }

    /// Writes these documents (those whose content changed) and deletes these ids, leaving
    /// every other document alone: for a caller that knows what changed. Returns how many
    /// documents were written or deleted.
    pub fn apply(&mut self, docs: &[IndexDoc], deleted: &[String]) -> Result<usize> {
        let mut sigs = self.signatures();
        let w = self.writer()?;
        let mut written = Vec::new();
        let mut gone = Vec::new();
        for d in docs {
            let sig = d.signature();
            if sigs.get(&d.id) == Some(&sig) {
                continue;
            }
            w.delete_term(Term::from_field_text(self.fields.id, &d.id));
            self.add(&w, d)?;
            sigs.insert(d.id.clone(), sig);
            written.push(d);
        }
        for id in deleted {
            if sigs.remove(id).is_some() {
                w.delete_term(Term::from_field_text(self.fields.id, id));
                gone.push(id.as_str());
            }
        }
        let changed = written.len() + gone.len();
        if changed > 0 {
            self.write_vectors(&written, &gone)?;
            self.commit_merged(w)?;
            self.save_signatures(&sigs)?;
            self.reader.reload().map_err(self.err())?;
        }
        Ok(changed)
    }

    /// Keeps the vectors of documents written (put, or deleted for one without) and
    /// deletes those of documents deleted. Called while holding the index's writer, so one
    /// process writes at a time.
    fn write_vectors(&self, written: &[&IndexDoc], deleted: &[&str]) -> Result<()> {
        let puts: Vec<(u64, &[f32])> = written.iter().filter_map(|d| d.vector.as_deref().map(|v| (vectors::key_of(&d.id), v))).collect();
        let mut dels: Vec<u64> = written.iter().filter(|d| d.vector.is_none()).map(|d| vectors::key_of(&d.id)).collect();
        dels.extend(deleted.iter().map(|id| vectors::key_of(id)));
        let mut v = self.vectors.write().unwrap_or_else(|p| p.into_inner());
        v.apply(&puts, &dels).map_err(|source| SearchError::Io { path: self.dir.display().to_string(), source })
    }

    /// Writes these documents, replacing any with the same id, and commits:
    /// what an incremental analysis step does with the articles it touched
    /// (the cost is theirs, not the index's size).
    pub fn upsert<D: Borrow<IndexDoc>>(&mut self, docs: &[D]) -> Result<usize> {
        if docs.is_empty() {
            return Ok(0);
        }
        let docs: Vec<&IndexDoc> = docs.iter().map(Borrow::borrow).collect();
        let w = self.writer()?;
        for d in &docs {
            w.delete_term(Term::from_field_text(self.fields.id, &d.id));
            self.add(&w, d)?;
        }
        self.write_vectors(&docs, &[])?;
        self.commit_merged(w)?;
        self.reader.reload().map_err(self.err())?;
        Ok(docs.len())
    }

    /// Empties the index and indexes `docs` afresh.
    pub fn rebuild(&mut self, docs: &[IndexDoc]) -> Result<usize> {
        let mut w = self.writer()?;
        w.delete_all_documents().map_err(self.err())?;
        self.vectors.write().unwrap_or_else(|p| p.into_inner()).clear().map_err(|source| SearchError::Io { path: self.dir.display().to_string(), source })?;
        w.commit().map_err(self.err())?;
        drop(w);
        self.save_signatures(&HashMap::new())?;
        self.sync(docs)
    }

    /// Sees what another writer (another `SearchIndex` on the same folder,
    /// in this process or another) committed, now rather than after the
    /// reader's own short delay.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload().map_err(self.err())
    }

    /// The folder the index lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Documents in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text as a query over title and body (title matches weigh double): every word
    /// required when `all_words`, else any word (ranked by BM25).
    fn text_query(&self, text: &str, all_words: bool) -> Result<Box<dyn Query>> {
        let f = self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.title, f.body]);
        if all_words {
            parser.set_conjunction_by_default();
        }
        parser.set_field_boost(f.title, 2.0);
        parser.parse_query(text).map_err(|e| SearchError::Query { query: text.to_string(), reason: e.to_string() })
    }

    /// The filters of a query, each a clause every result must meet.
    fn filters(&self, q: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let any_of = |field: Field, values: &[String]| -> Option<Box<dyn Query>> {
            if values.is_empty() {
                return None;
            }
            let should: Vec<(Occur, Box<dyn Query>)> =
                values.iter().map(|v| (Occur::Should, Box::new(TermQuery::new(Term::from_facet(field, &facet(v)), IndexRecordOption::Basic)) as Box<dyn Query>)).collect();
            Some(Box::new(BooleanQuery::new(should)))
        };
        for (field, values) in [(f.outlet, &q.outlets), (f.language, &q.languages), (f.status, &q.statuses)] {
            must.extend(any_of(field, values).map(|x| (Occur::Must, x)));
        }
        // Every named entity must be present.
        for e in &q.entities {
            must.push((Occur::Must, Box::new(TermQuery::new(Term::from_facet(f.entity, &facet(e)), IndexRecordOption::Basic))));
        }
        if q.from.is_some() || q.to.is_some() {
            let bound = |t: Option<DateTime<Utc>>, incl: bool| match t {
                Some(t) if incl => Bound::Included(Term::from_field_date_for_search(f.published, to_tantivy_date(t))),
                Some(t) => Bound::Excluded(Term::from_field_date_for_search(f.published, to_tantivy_date(t))),
                None => Bound::Unbounded,
            };
            must.push((Occur::Must, Box::new(RangeQuery::new(bound(q.from, true), bound(q.to, true)))));
        }
        must
    }

    fn all_of(mut must: Vec<(Occur, Box<dyn Query>)>, more: Option<Box<dyn Query>>) -> Box<dyn Query> {
        must.extend(more.map(|m| (Occur::Must, m)));
        match must.len() {
            0 => Box::new(AllQuery),
            _ => Box::new(BooleanQuery::new(must)),
        }
    }

    /// Whether the index holds article vectors (after taking in what a writer appended).
    pub fn has_vectors(&self) -> bool {
        self.refresh_vectors();
        self.vectors.read().unwrap_or_else(|p| p.into_inner()).len() > 0
    }

    /// Articles with a vector.
    pub fn vector_count(&self) -> usize {
        self.refresh_vectors();
        self.vectors.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    fn refresh_vectors(&self) {
        let mut v = self.vectors.write().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = v.refresh() {
            // Searching goes on with the vectors already read.
            tracing::warn!("search index {}: reading its vectors: {e}", self.dir.display());
        }
    }

    /// The mode a search runs in: the one asked for, or by default hybrid when the index
    /// holds vectors and the caller can embed the query, lexical otherwise. Asking for
    /// vectors that are not there is an error that says why.
    pub fn resolve_mode(&self, asked: Option<Mode>, can_embed: bool) -> Result<Mode> {
        let has = self.has_vectors();
        match asked {
            None if has && can_embed => Ok(Mode::Hybrid),
            None | Some(Mode::Lexical) => Ok(Mode::Lexical),
            Some(m) if !has => {
                Err(SearchError::Mode(format!("mode {m} needs article vectors, and this index has none (articles are embedded when the embedding model is installed; then `dossier reindex`)")))
            }
            Some(m) if !can_embed => Err(SearchError::Mode(format!("mode {m} needs the embedding model to embed the query, and it is not available here"))),
            Some(m) => Ok(m),
        }
    }

    /// Runs a search: the page of hits asked for (best first; everything,
    /// newest first, for an empty text), the total, and facet counts over all matches.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        if q.text.trim().is_empty() || q.mode == Mode::Lexical {
            return self.search_lexical(q);
        }
        let Some(vector) = &q.vector else { return Err(SearchError::Mode(format!("mode {} needs the query's vector", q.mode))) };
        let searcher = self.reader.searcher();
        let nearest = self.vector_ranking(&searcher, q, vector)?;
        // The words highlighted in snippets (and, in hybrid mode, the lexical ranking): any of them.
        let any_words = match self.text_query(&q.text, false) {
            Ok(t) => Some(t),
            Err(e) if q.mode == Mode::Hybrid => return Err(e),
            Err(_) => self.text_query(&plain_words(&q.text), false).ok(),
        };
        let fused = match (q.mode, &any_words) {
            (Mode::Hybrid, Some(text)) => {
                let lexical = self.ranked_keys(&searcher, &*Self::all_of(self.filters(q), Some(text.box_clone())), DEPTH)?;
                let nearest: Vec<u64> = nearest.iter().map(|(k, _)| *k).collect();
                fuse(&[(&lexical, 1.0), (&nearest, VECTOR_WEIGHT)], RRF_K)
            }
            _ => nearest,
        };
        self.ranked_results(&searcher, q, &fused, any_words.as_deref())
    }

    /// The articles nearest the query's vector among the filters' matches (best first, at
    /// most [`DEPTH`], at [`MIN_SIMILARITY`] or above), with their cosine.
    fn vector_ranking(&self, searcher: &tantivy::Searcher, q: &SearchQuery, vector: &[f32]) -> Result<Vec<(u64, f32)>> {
        let filters = self.filters(q);
        let allowed = if filters.is_empty() { None } else { Some(self.keys_matching(searcher, &*Self::all_of(filters, None))?) };
        self.refresh_vectors();
        Ok(self.vectors.read().unwrap_or_else(|p| p.into_inner()).nearest(vector, allowed.as_ref(), DEPTH, MIN_SIMILARITY))
    }

    /// The rankings the modes are made of, each best first and at most [`DEPTH`] long,
    /// among the filters' matches: what the hybrid mode fuses, for measuring it
    /// (`dossier eval search`). The vector ranking is empty without `q.vector`.
    pub fn rankings(&self, q: &SearchQuery) -> Result<Rankings> {
        let searcher = self.reader.searcher();
        let all = self.ranked_keys(&searcher, &*Self::all_of(self.filters(q), Some(self.text_query(&q.text, true)?)), DEPTH)?;
        let any = self.ranked_keys(&searcher, &*Self::all_of(self.filters(q), Some(self.text_query(&q.text, false)?)), DEPTH)?;
        let vector = match &q.vector {
            Some(v) => self.vector_ranking(&searcher, q, v)?,
            None => Vec::new(),
        };
        Ok(Rankings { all_words: all, any_words: any, vector })
    }

    /// The results of a ranking: total and facets over its keys (among the filters'
    /// matches), the page asked for with snippets of `highlight`'s words.
    fn ranked_results(&self, searcher: &tantivy::Searcher, q: &SearchQuery, ranked: &[(u64, f32)], highlight: Option<&dyn Query>) -> Result<SearchResults> {
        let segments = self.segments(searcher)?;
        let docs = DocsQuery::new(searcher, ranked.iter().filter_map(|(k, _)| Self::address(searcher, &segments, *k)));
        let (total, facets) = self.count(searcher, &*Self::all_of(self.filters(q), Some(Box::new(docs))))?;
        let limit = q.limit.clamp(1, 1000);
        let snippets = match highlight {
            Some(h) => Some(self.snippets(searcher, h)?),
            None => None,
        };
        let mut hits = Vec::new();
        for &(key, score) in ranked.iter().skip(q.offset).take(limit) {
            if let Some(addr) = Self::address(searcher, &segments, key) {
                hits.push(self.hit(searcher, addr, score, snippets.as_ref())?);
            }
        }
        Ok(SearchResults { mode: q.mode, total, hits, facets })
    }

    /// What is kept of each of the searcher's segments, by segment ordinal: read for the
    /// segments not seen before, forgotten for those gone (merged away).
    fn segments(&self, searcher: &tantivy::Searcher) -> Result<Vec<Arc<SegmentCache>>> {
        let readers = searcher.segment_readers();
        {
            let known = self.segments.read().unwrap_or_else(|p| p.into_inner());
            if let Some(all) = readers.iter().map(|r| known.get(&r.segment_id()).cloned()).collect::<Option<Vec<_>>>() {
                return Ok(all);
            }
        }
        let mut known = self.segments.write().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::with_capacity(readers.len());
        for r in readers {
            let cache = match known.get(&r.segment_id()) {
                Some(c) => c.clone(),
                None => Arc::new(SegmentCache::read(r).map_err(self.err())?),
            };
            out.push(cache);
        }
        *known = readers.iter().map(|r| r.segment_id()).zip(out.iter().cloned()).collect();
        Ok(out)
    }

    /// The live document holding a vector's key, if the index has it.
    fn address(searcher: &tantivy::Searcher, segments: &[Arc<SegmentCache>], key: u64) -> Option<DocAddress> {
        segments.iter().enumerate().find_map(|(ord, c)| {
            let doc = *c.docs.get(&key)?;
            let alive = searcher.segment_reader(ord as u32).alive_bitset().is_none_or(|a| a.is_alive(doc));
            alive.then(|| DocAddress::new(ord as u32, doc))
        })
    }

    /// Keys of every document matching `query`.
    fn keys_matching(&self, searcher: &tantivy::Searcher, query: &dyn Query) -> Result<HashSet<u64>> {
        let docs = searcher.search(query, &tantivy::collector::DocSetCollector).map_err(self.err())?;
        let mut columns = HashMap::new();
        let mut out = HashSet::with_capacity(docs.len());
        for a in docs {
            let col = match columns.entry(a.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(searcher.segment_reader(a.segment_ord).fast_fields().u64("key").map_err(self.err())?),
            };
            out.extend(col.first(a.doc_id));
        }
        Ok(out)
    }

    /// Keys of the `depth` best documents for `query`, best first.
    fn ranked_keys(&self, searcher: &tantivy::Searcher, query: &dyn Query, depth: usize) -> Result<Vec<u64>> {
        let top = searcher.search(query, &TopDocs::with_limit(depth).order_by_score()).map_err(self.err())?;
        let mut out = Vec::with_capacity(top.len());
        for (_, a) in top {
            let col = searcher.segment_reader(a.segment_ord).fast_fields().u64("key").map_err(self.err())?;
            out.extend(col.first(a.doc_id));
        }
        Ok(out)
    }

    /// Total and facet counts over a query's matches.
    fn count(&self, searcher: &tantivy::Searcher, query: &dyn Query) -> Result<(usize, Facets)> {
        let facets = FacetCounter { segments: self.segments(searcher)? };
        searcher.search(query, &(Count, facets)).map_err(self.err())
    }

    /// Snippets of the body around the words `query` matches.
    fn snippets(&self, searcher: &tantivy::Searcher, query: &dyn Query) -> Result<SnippetGenerator> {
        let mut g = SnippetGenerator::create(searcher, query, self.fields.body).map_err(self.err())?;
        g.set_max_num_chars(240);
        Ok(g)
    }

    /// One hit, read from the index, with a snippet of the words `snippets` highlights.
    fn hit(&self, searcher: &tantivy::Searcher, addr: tantivy::DocAddress, score: f32, snippets: Option<&SnippetGenerator>) -> Result<Hit> {
        let f = self.fields;
        let doc: TantivyDocument = searcher.doc(addr).map_err(self.err())?;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_value().as_str().map(str::to_string));
        let published =
            doc.get_first(f.published).and_then(|v| v.as_value().as_datetime()).map(|d| DateTime::<Utc>::from_timestamp(d.into_timestamp_secs(), 0).unwrap_or_default()).unwrap_or_default();
        let mut snippet_html = match snippets {
            Some(g) => {
                let mut snippet = g.snippet_from_doc(&doc);
                snippet.set_snippet_prefix_postfix("<b>", "</b>");
                snippet.to_html()
            }
            None => String::new(),
        };
        if snippet_html.is_empty() {
            // Nothing matched in the body (a title-only match, or no text query): the body's opening.
            let body = text(f.body).unwrap_or_default();
            let cut: String = body.chars().take(240).collect();
            snippet_html = html_escape(&cut);
        }
        Ok(Hit {
            id: text(f.id).unwrap_or_default(),
            title: text(f.title).unwrap_or_default(),
            outlet: text(f.outlet_name).unwrap_or_default(),
            published,
            language: text(f.language_name),
            story: text(f.story),
            score,
            snippet_html,
        })
    }

    /// Lexical search: every word required (unless the query says otherwise), BM25;
    /// with no text, everything newest first.
    fn search_lexical(&self, q: &SearchQuery) -> Result<SearchResults> {
        let text = if q.text.trim().is_empty() { None } else { Some(self.text_query(&q.text, true)?) };
        let query = Self::all_of(self.filters(q), text.as_ref().map(|t| t.box_clone()));
        let searcher = self.reader.searcher();
        let limit = q.limit.clamp(1, 1000);
        let (total, facets) = self.count(&searcher, &*query)?;
        let addresses: Vec<(f32, tantivy::DocAddress)> = if text.is_none() {
            searcher
                .search(&*query, &TopDocs::with_limit(limit).and_offset(q.offset).order_by_fast_field::<tantivy::DateTime>("published", tantivy::Order::Desc))
                .map_err(self.err())?
                .into_iter()
                .map(|(_, a)| (0.0, a))
                .collect()
        } else {
            searcher.search(&*query, &TopDocs::with_limit(limit).and_offset(q.offset).order_by_score()).map_err(self.err())?
        };
        let snippets = self.snippets(&searcher, &*query)?;
        let hits = addresses.into_iter().map(|(score, addr)| self.hit(&searcher, addr, score, Some(&snippets))).collect::<Result<Vec<_>>>()?;
        Ok(SearchResults { mode: Mode::Lexical, total, hits, facets })
    }

    /// Ids of the articles that may name every one of `names`, newest first: for each
    /// name, its words as a phrase in the title or body, or an entity of that name (any
    /// case). A superset of the articles whose text contains each name and in which an
    /// entity is so named or so mentioned (what an actor pair reads: a mention's words are
    /// in the body; a canonical name found through other wording is an entity facet), so
    /// the caller reads those articles only and checks them itself.
    pub fn articles_naming_all(&self, names: &[&str]) -> Result<Vec<String>> {
        let f = self.fields;
        let searcher = self.reader.searcher();
        let segments = self.segments(&searcher)?;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for name in names {
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for field in [f.title, f.body] {
                if let Some(q) = self.phrase(field, name) {
                    any.push((Occur::Should, q));
                }
            }
            let lower = name.trim().to_lowercase();
            let entities: HashSet<&str> = segments.iter().flat_map(|c| c.facet_names[1].iter()).filter(|e| e.to_lowercase() == lower).map(String::as_str).collect();
            for e in entities {
                any.push((Occur::Should, Box::new(TermQuery::new(Term::from_facet(f.entity, &facet(e)), IndexRecordOption::Basic))));
            }
            if any.is_empty() {
                return Ok(Vec::new());
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        let mut docs: Vec<DocAddress> = searcher.search(&BooleanQuery::new(must), &tantivy::collector::DocSetCollector).map_err(self.err())?.into_iter().collect();
        // Stored fields are read in the order they lie in the store (a compressed block holds many).
        docs.sort();
        let mut dated = Vec::with_capacity(docs.len());
        for a in docs {
            let doc: TantivyDocument = searcher.doc(a).map_err(self.err())?;
            let published = doc.get_first(f.published).and_then(|v| v.as_value().as_datetime()).map_or(i64::MIN, |d| d.into_timestamp_secs());
            if let Some(id) = doc.get_first(f.id).and_then(|v| v.as_value().as_str()) {
                dated.push((published, id.to_string()));
            }
        }
        dated.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
        let ids: Vec<String> = dated.into_iter().map(|(_, id)| id).collect();
        Ok(ids)
    }

    /// `text`'s words (as the field's tokenizer cuts them) as a phrase in `field`, or a term
    /// for one word; `None` without any.
    fn phrase(&self, field: Field, text: &str) -> Option<Box<dyn Query>> {
        let mut tokenizer = self.index.tokenizer_for_field(field).ok()?;
        let mut stream = tokenizer.token_stream(text);
        let mut terms = Vec::new();
        while let Some(t) = stream.next() {
            terms.push(Term::from_field_text(field, &t.text));
        }
        match terms.len() {
            0 => None,
            1 => Some(Box::new(TermQuery::new(terms.remove(0), IndexRecordOption::Basic))),
            _ => Some(Box::new(tantivy::query::PhraseQuery::new(terms))),
        }
    }

    /// Stories like `story`: its articles' mean vector against every other article's, and
    /// `text` (its title, say) as a query of any of its words, fused as in the hybrid mode;
    /// each other story scores as its best article. Lexical only when the index has no
    /// vectors of the story's articles. The mode used, and the stories best first.
    pub fn similar_stories(&self, story: &str, text: &str, limit: usize) -> Result<(Mode, Vec<SimilarStory>)> {
        let searcher = self.reader.searcher();
        let own = self.keys_matching(&searcher, &self.story_query(story))?;
        self.refresh_vectors();
        let centroid = {
            let v = self.vectors.read().unwrap_or_else(|p| p.into_inner());
            let mut centroid = vec![0f32; v.dim()];
            for row in own.iter().filter_map(|k| v.get(*k)) {
                centroid.iter_mut().zip(row).for_each(|(c, x)| *c += x);
            }
            let norm = centroid.iter().map(|x| x * x).sum::<f32>().sqrt();
            centroid.iter_mut().for_each(|c| *c /= norm);
            (norm > 0.0).then_some(centroid)
        };
        self.stories_like(&searcher, story, &own, centroid.as_deref(), text, limit)
    }

    /// Stories other than `story` that say something like `text` (a claim's wording, say):
    /// `vector` (the text embedded by the caller with the articles' model) against every
    /// article's, fused with the text's words as in the hybrid mode; lexical without a
    /// vector or without article vectors. The mode used, and the stories best first.
    pub fn stories_like_text(&self, story: &str, text: &str, vector: Option<&[f32]>, limit: usize) -> Result<(Mode, Vec<SimilarStory>)> {
        let searcher = self.reader.searcher();
        let own = self.keys_matching(&searcher, &self.story_query(story))?;
        let vector = vector.filter(|_| self.has_vectors());
        self.stories_like(&searcher, story, &own, vector, text, limit)
    }

    fn story_query(&self, story: &str) -> TermQuery {
        TermQuery::new(Term::from_field_text(self.fields.story, story), IndexRecordOption::Basic)
    }

    /// What [`similar_stories`](Self::similar_stories) and
    /// [`stories_like_text`](Self::stories_like_text) share: the articles nearest `vector`
    /// (but `own`, the story's) fused with those matching any of `text`'s words (but the
    /// story's), one hit per other story.
    fn stories_like(&self, searcher: &tantivy::Searcher, story: &str, own: &HashSet<u64>, vector: Option<&[f32]>, text: &str, limit: usize) -> Result<(Mode, Vec<SimilarStory>)> {
        let nearest: Vec<u64> = match vector {
            Some(v) => {
                let vectors = self.vectors.read().unwrap_or_else(|p| p.into_inner());
                vectors.nearest(v, None, DEPTH + own.len(), MIN_SIMILARITY).into_iter().map(|(k, _)| k).filter(|k| !own.contains(k)).collect()
            }
            None => Vec::new(),
        };
        let words = plain_words(text);
        let lexical = if words.is_empty() {
            Vec::new()
        } else {
            let clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, self.text_query(&words, false)?), (Occur::MustNot, Box::new(self.story_query(story)))];
            self.ranked_keys(searcher, &BooleanQuery::new(clauses), DEPTH)?
        };
        let mode = if vector.is_some() { Mode::Hybrid } else { Mode::Lexical };
        let fused = fuse(&[(&lexical, 1.0), (&nearest, VECTOR_WEIGHT)], RRF_K);
        let highlight = if words.is_empty() { None } else { Some(self.text_query(&words, false)?) };
        let snippets = match &highlight {
            Some(h) => Some(self.snippets(searcher, &**h)?),
            None => None,
        };
        let segments = self.segments(searcher)?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (key, score) in fused {
            if out.len() >= limit {
                break;
            }
            let Some(addr) = Self::address(searcher, &segments, key) else { continue };
            let hit = self.hit(searcher, addr, score, snippets.as_ref())?;
            let Some(s) = hit.story.clone() else { continue };
            if s != story && seen.insert(s.clone()) {
                out.push(SimilarStory { story: s, score, article: hit });
            }
        }
        Ok((mode, out))
    }
}

/// Given documents as a query (each scores 1): the vector and hybrid modes' candidates,
/// counted for the facets without a term lookup per key.
#[derive(Debug, Clone)]
struct DocsQuery {
    /// Each segment's documents, by segment id (a weight sees segments, not their ordinals).
    docs: Arc<HashMap<tantivy::index::SegmentId, Vec<tantivy::DocId>>>,
}

impl DocsQuery {
    fn new(searcher: &tantivy::Searcher, addresses: impl Iterator<Item = DocAddress>) -> DocsQuery {
        let mut docs: HashMap<tantivy::index::SegmentId, Vec<tantivy::DocId>> = HashMap::new();
        for a in addresses {
            docs.entry(searcher.segment_reader(a.segment_ord).segment_id()).or_default().push(a.doc_id);
        }
        DocsQuery { docs: Arc::new(docs) }
    }
}

impl Query for DocsQuery {
    fn weight(&self, _: tantivy::query::EnableScoring<'_>) -> tantivy::Result<Box<dyn tantivy::query::Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl tantivy::query::Weight for DocsQuery {
    fn scorer(&self, reader: &tantivy::SegmentReader, boost: tantivy::Score) -> tantivy::Result<Box<dyn tantivy::query::Scorer>> {
        let mut set = tantivy::BitSet::with_max_value(reader.max_doc());
        for d in self.docs.get(&reader.segment_id()).into_iter().flatten() {
            set.insert(*d);
        }
        Ok(Box::new(tantivy::query::ConstScorer::new(tantivy::query::BitSetDocSet::from(set), boost)))
    }

    fn explain(&self, reader: &tantivy::SegmentReader, doc: tantivy::DocId) -> tantivy::Result<tantivy::query::Explanation> {
        let given = self.docs.get(&reader.segment_id()).is_some_and(|d| d.contains(&doc));
        if given {
            Ok(tantivy::query::Explanation::new("given document", 1.0))
        } else {
            Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} is not one of those given")))
        }
    }
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
