//! The parts of the OpenAPI document that derive cannot say, written out so
//! that the document holds every rule the server enforces: the ingest body
//! (an article object or a non-empty array of them, `text` or `html` not
//! blank, `url` and `outlet` not blank when given, `published` a date or an
//! RFC 3339 date-time), a date bound of `/api/search`, and the event
//! `/api/events` sends. The server checks requests by the same rules
//! ([`IngestArticle::check`], [`dossier_model::parse_date_or_datetime`]).

use serde::Deserialize;
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

/// A string with a character that is not white space: the negation of exactly the
/// characters Rust's `str::trim` removes (Unicode `White_Space`), so that a value the
/// pattern accepts is one the server does not call blank, and the other way round.
pub const NOT_BLANK: &str = r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

fn string_or_null(description: &str) -> ObjectBuilder {
    ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])).description(Some(description))
}

fn date_or_datetime() -> AnyOfBuilder {
    let string = |f| ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(f)));
    AnyOfBuilder::new().item(string(KnownFormat::Date)).item(string(KnownFormat::DateTime))
}

/// One article for `POST /api/ingest`: the fields of a JSON Lines record.
/// Other fields are ignored.
#[derive(Debug, Deserialize)]
pub struct IngestArticle {
    pub url: Option<String>,
    /// Read for its type only (a string or null).
    #[allow(dead_code)]
    pub title: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub published: Option<String>,
    pub outlet: Option<String>,
}

impl IngestArticle {
    /// What in this article breaks the documented rules, if anything (the same words as the
    /// JSON Lines reader's, which checks them again).
    pub fn check(&self) -> Option<String> {
        for (field, value) in [("url", &self.url), ("outlet", &self.outlet)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Some(format!("field `{field}` is empty: give a value or leave the field out"));
            }
        }
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        if !given(&self.text) && !given(&self.html) {
            return Some("record has neither `text` nor `html`".into());
        }
        match self.published.as_deref() {
            Some(p) if dossier_model::parse_date_or_datetime(p).is_none() => Some(format!("field `published`: {p:?} is not a date (use YYYY-MM-DD or RFC 3339)")),
            _ => None,
        }
    }
}

impl PartialSchema for IngestArticle {
    fn schema() -> RefOr<Schema> {
        let fields = ObjectBuilder::new()
            .property("url", string_or_null("Where the article is from; its canonical form is the article's identity (without one, its content is). Not blank.").pattern(Some(NOT_BLANK)))
            .property("title", string_or_null("The headline; blank or absent: the page's own, or the lead."))
            .property("text", string_or_null("The article's plain text, paragraphs on lines of their own."))
            .property("html", string_or_null("The article's page; when given and not blank, the text is extracted from it (and `text` is not read)."))
            .property("published", date_or_datetime().item(ObjectBuilder::new().schema_type(Type::Null)).description(Some("When it was published: YYYY-MM-DD or RFC 3339.")))
            .property("outlet", string_or_null("The outlet's name (else the URL's site). Not blank.").pattern(Some(NOT_BLANK)));
        let needs = |field: &str| ObjectBuilder::new().required(field).property(field, ObjectBuilder::new().schema_type(Type::String).pattern(Some(NOT_BLANK)));
        AllOfBuilder::new()
            .item(fields)
            .item(AnyOfBuilder::new().item(needs("text")).item(needs("html")).description(Some("`text` or `html`, not blank")))
            .description(Some("One article: the fields of a JSON Lines record (others are ignored)."))
            .into()
    }
}

impl ToSchema for IngestArticle {}

/// The body of `POST /api/ingest` as JSON: one article or a non-empty array of them.
pub struct IngestBody;

/// Real articles, as a client sends them (the Examples of the document).
const INGEST_EXAMPLES: &str = include_str!("ingest_examples.json");

impl PartialSchema for IngestBody {
    fn schema() -> RefOr<Schema> {
        let examples: Vec<serde_json::Value> = serde_json::from_str(INGEST_EXAMPLES).expect("ingest_examples.json is JSON");
        OneOfBuilder::new()
            .item(IngestArticle::schema_ref())
            .item(ArrayBuilder::new().items(IngestArticle::schema_ref()).min_items(Some(1)))
            .description(Some("One article, or an array of them; every article must follow the rules, or nothing is stored (400, each bad article named)."))
            .examples(examples)
            .into()
    }
}

impl ToSchema for IngestBody {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((IngestArticle::name().into(), IngestArticle::schema()));
    }
}

trait SchemaRef {
    fn schema_ref() -> RefOr<Schema>;
}

impl<T: ToSchema> SchemaRef for T {
    fn schema_ref() -> RefOr<Schema> {
        RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
    }
}

/// An HTML page as `POST /api/ingest` takes it: bytes, in the charset its
/// `Content-Type` or `<meta charset>` names (else detected).
pub struct HtmlPage;

impl PartialSchema for HtmlPage {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("An HTML page (bytes; the charset from Content-Type or <meta charset>, else detected)"))
            .into()
    }
}

impl ToSchema for HtmlPage {}

/// A bound of a date range: `YYYY-MM-DD` or an RFC 3339 date-time.
pub struct DateBound;

impl PartialSchema for DateBound {
    fn schema() -> RefOr<Schema> {
        date_or_datetime().description(Some("YYYY-MM-DD or an RFC 3339 date-time")).into()
    }
}

impl ToSchema for DateBound {}

/// Where to read the change log from: a sequence number, or a time (`YYYY-MM-DD` or RFC 3339).
pub struct SinceParam;

impl PartialSchema for SinceParam {
    fn schema() -> RefOr<Schema> {
        let seq = ObjectBuilder::new().schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))).minimum(Some(0)).maximum(Some(i64::MAX));
        date_or_datetime().item(seq).description(Some("A sequence number (0 or more), a date YYYY-MM-DD (midnight UTC) or an RFC 3339 date-time")).into()
    }
}

impl ToSchema for SinceParam {}

/// One event of `/api/events`: `event: change`, then `data:` a Change as one line
/// of JSON. (Comment lines keep an idle stream open; they carry no event.)
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes what the stream sends; never built.
pub struct ChangeEvent {
    /// The event's name: always `change`.
    event: ChangeEventName,
    /// The event's data: what changed.
    data: crate::Change,
}

#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum ChangeEventName {
    Change,
}
