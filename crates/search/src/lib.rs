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

use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser, RangeQuery, TermQuery};
use tantivy::schema::{DateOptions, DateTimePrecision, Facet, FacetOptions, Field, IndexRecordOption, Schema, Value, INDEXED, STORED, STRING, TEXT};
use tantivy::snippet::SnippetGenerator;
use tantivy::{doc, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

/// Bumped when the schema changes; an index of another version is rebuilt.
const SCHEMA_VERSION: u32 = 1;
const WRITER_MEMORY: usize = 50_000_000;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index {path}: {source}")]
    Index { path: String, source: tantivy::TantivyError },
    #[error("search index {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("bad query {query:?}: {reason}")]
    Query { query: String, reason: String },
}

pub type Result<T> = std::result::Result<T, SearchError>;

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
        Ok(SearchIndex { dir: dir.to_path_buf(), index, reader, fields })
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

    fn add(&self, w: &IndexWriter, d: &IndexDoc) -> Result<()> {
        let f = self.fields;
        let mut doc = doc!(
            f.id => d.id.as_str(),
            f.title => d.title.as_str(),
            f.body => d.body.as_str(),
            f.outlet => facet(&d.outlet),
            f.outlet_name => d.outlet.as_str(),
            f.published => to_tantivy_date(d.published),
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
        let mut w = self.writer()?;
        let mut changed = 0;
        for d in docs {
            let sig = d.signature();
            if sigs.get(&d.id) == Some(&sig) {
                continue;
            }
            w.delete_term(Term::from_field_text(self.fields.id, &d.id));
            self.add(&w, d)?;
            sigs.insert(d.id.clone(), sig);
            changed += 1;
        }
        for id in deleted {
            if sigs.remove(id).is_some() {
                w.delete_term(Term::from_field_text(self.fields.id, id));
                changed += 1;
            }
        }
        if changed > 0 {
            w.commit().map_err(self.err())?;
            self.save_signatures(&sigs)?;
            self.reader.reload().map_err(self.err())?;
        }
        Ok(changed)
    }

    /// Writes these documents, replacing any with the same id, and commits:
    /// what an incremental analysis step does with the articles it touched
    /// (the cost is theirs, not the index's size).
    pub fn upsert(&mut self, docs: &[IndexDoc]) -> Result<usize> {
        if docs.is_empty() {
            return Ok(0);
        }
        let mut w = self.writer()?;
        for d in docs {
            w.delete_term(Term::from_field_text(self.fields.id, &d.id));
            self.add(&w, d)?;
        }
        w.commit().map_err(self.err())?;
        self.reader.reload().map_err(self.err())?;
        Ok(docs.len())
    }

    /// Empties the index and indexes `docs` afresh.
    pub fn rebuild(&mut self, docs: &[IndexDoc]) -> Result<usize> {
        let mut w = self.writer()?;
        w.delete_all_documents().map_err(self.err())?;
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

    fn build_query(&self, q: &SearchQuery) -> Result<Box<dyn Query>> {
        let f = self.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !q.text.trim().is_empty() {
            let mut parser = QueryParser::for_index(&self.index, vec![f.title, f.body]);
            parser.set_conjunction_by_default();
            parser.set_field_boost(f.title, 2.0);
            let text = parser.parse_query(&q.text).map_err(|e| SearchError::Query { query: q.text.clone(), reason: e.to_string() })?;
            must.push((Occur::Must, text));
        }
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
        Ok(match must.len() {
            0 => Box::new(AllQuery),
            _ => Box::new(BooleanQuery::new(must)),
        })
    }

    /// Runs a search: the page of hits asked for (best first; everything,
    /// newest first, for an empty text), the total, and facet counts over all matches.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        let f = self.fields;
        let query = self.build_query(q)?;
        let searcher = self.reader.searcher();
        let limit = q.limit.clamp(1, 1000);
        let mut facet_collectors = Vec::new();
        for name in ["outlet", "entity", "language", "status"] {
            let mut c = FacetCollector::for_field(name);
            c.add_facet(Facet::root());
            facet_collectors.push(c);
        }
        let [co, ce, cl, cs]: [FacetCollector; 4] = facet_collectors.try_into().unwrap_or_else(|_| unreachable!());
        let by_date = q.text.trim().is_empty();
        let (total, (fo, fe, fl, fs)) = searcher.search(&*query, &(Count, (co, ce, cl, cs))).map_err(self.err())?;
        let addresses: Vec<(f32, tantivy::DocAddress)> = if by_date {
            searcher
                .search(&*query, &TopDocs::with_limit(limit).and_offset(q.offset).order_by_fast_field::<tantivy::DateTime>("published", tantivy::Order::Desc))
                .map_err(self.err())?
                .into_iter()
                .map(|(_, a)| (0.0, a))
                .collect()
        } else {
            searcher.search(&*query, &TopDocs::with_limit(limit).and_offset(q.offset).order_by_score()).map_err(self.err())?
        };
        let mut snippets = SnippetGenerator::create(&searcher, &*query, f.body).map_err(self.err())?;
        snippets.set_max_num_chars(240);
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, addr) in addresses {
            let doc: TantivyDocument = searcher.doc(addr).map_err(self.err())?;
            let text = |field: Field| doc.get_first(field).and_then(|v| v.as_value().as_str().map(str::to_string));
            let published =
                doc.get_first(f.published).and_then(|v| v.as_value().as_datetime()).map(|d| DateTime::<Utc>::from_timestamp(d.into_timestamp_secs(), 0).unwrap_or_default()).unwrap_or_default();
            let mut snippet = snippets.snippet_from_doc(&doc);
            snippet.set_snippet_prefix_postfix("<b>", "</b>");
            let mut snippet_html = snippet.to_html();
            if snippet_html.is_empty() {
                // Nothing matched in the body (a title-only match, or no text query): the body's opening.
                let body = text(f.body).unwrap_or_default();
                let cut: String = body.chars().take(240).collect();
                snippet_html = html_escape(&cut);
            }
            hits.push(Hit {
                id: text(f.id).unwrap_or_default(),
                title: text(f.title).unwrap_or_default(),
                outlet: text(f.outlet_name).unwrap_or_default(),
                published,
                language: text(f.language_name),
                story: text(f.story),
                score,
                snippet_html,
            });
        }
        let counts = |c: tantivy::collector::FacetCounts| -> Vec<FacetValue> {
            let mut v: Vec<FacetValue> = c.get(Facet::root()).map(|(f, n)| FacetValue { value: f.to_path().last().map(|x| x.to_string()).unwrap_or_default(), count: n }).collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            v.truncate(50);
            v
        };
        Ok(SearchResults { total, hits, facets: Facets { outlet: counts(fo), entity: counts(fe), language: counts(fl), status: counts(fs) } })
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
