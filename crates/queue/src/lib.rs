//! The work queue of the scale-out mode: raw inputs on a NATS JetStream stream.
//!
//! `dossier ingest --queue nats://...` reads files the way the embedded
//! ingest does and publishes one message per raw input ([`RawInput`]): an
//! HTML or text file, one JSON Lines record, one HTML response record of a
//! WARC archive. `dossier worker` pulls them from one durable consumer shared
//! by every worker, turns each into articles ([`RawInput::to_articles`],
//! exactly what the embedded ingest makes of the same bytes), stores them,
//! and acknowledges only after the store committed.
//!
//! Exactly-once effects come from two layers:
//! - every message carries a `Nats-Msg-Id` derived from its content and
//!   origin ([`RawInput::id`]), so the stream drops a duplicate publish
//!   within its duplicate window ([`DUPLICATE_WINDOW`]);
//! - beyond the window, and for redeliveries (a worker killed before its
//!   ack), storing is idempotent: articles are keyed by content-derived ids.
//!
//! Message layout: one line of JSON metadata, `\n`, then the body (gzip when
//! the metadata says so, for bodies over [`COMPRESS_OVER`] bytes).

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_nats::jetstream::{self, consumer::pull, stream};
use chrono::{DateTime, Utc};
use dossier_ingest::{IngestError, Parsed};
use serde_json::json;

/// The default stream name; its subject is `<stream>.raw`.
pub const DEFAULT_STREAM: &str = "DOSSIER";
/// The durable consumer every worker shares.
pub const CONSUMER: &str = "workers";
/// How long the stream remembers message ids to drop duplicate publishes.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(3600);
/// Bodies larger than this travel gzip-compressed.
pub const COMPRESS_OVER: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("queue {url}: {message}")]
    Nats { url: String, message: String },
    #[error("malformed queue message: {0}")]
    Malformed(String),
    /// One input too large for the server's `max_payload`: the others can still go.
    #[error("{location}: {bytes}-byte message exceeds the NATS server's max_payload ({message})")]
    TooLarge { location: String, bytes: usize, message: String },
}

type Result<T> = std::result::Result<T, QueueError>;

/// What a message carries and how a worker reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An HTML file.
    Html,
    /// A scraped text file.
    Text,
    /// One JSON Lines record (location `path:line`).
    JsonLine,
    /// An HTML page with the URL it came from (a WARC response record; location `archive@offset`).
    Page,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Html => "html",
            Kind::Text => "text",
            Kind::JsonLine => "jsonl",
            Kind::Page => "page",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "html" => Kind::Html,
            "text" => Kind::Text,
            "jsonl" => Kind::JsonLine,
            "page" => Kind::Page,
            _ => return None,
        })
    }
}

/// One raw input as it travels on the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct RawInput {
    pub kind: Kind,
    /// Where it came from, as the embedded ingest names it (source of the articles, location of errors).
    pub location: String,
    /// When it was seen (file time, archive record date): fixed at publish time, so every delivery yields the same articles.
    pub seen_at: DateTime<Utc>,
    /// The page URL of a [`Kind::Page`].
    pub url: Option<String>,
    /// The HTTP content type of a [`Kind::Page`] (its charset).
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl RawInput {
    /// The message id: the same input published twice has the same id.
    pub fn id(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let seen = self.seen_at.to_rfc3339();
        for part in [self.kind.as_str().as_bytes(), self.location.as_bytes(), self.url.as_deref().unwrap_or("").as_bytes(), seen.as_bytes(), &self.body] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        format!("dossier-{}", hex::encode(&h.finalize()[..16]))
    }

    /// The articles (and errors) the embedded ingest makes of the same input.
    pub fn to_articles(&self) -> Parsed {
        match self.kind {
            Kind::Html => dossier_ingest::ingest_bytes(&self.location, &self.body, dossier_ingest::Format::Html, self.seen_at),
            Kind::Text => dossier_ingest::ingest_bytes(&self.location, &self.body, dossier_ingest::Format::Text, self.seen_at),
            Kind::JsonLine => match std::str::from_utf8(&self.body) {
                Ok(line) => dossier_ingest::ingest_record(&self.location, line, self.seen_at),
                Err(e) => Parsed { articles: vec![], errors: vec![IngestError { location: self.location.clone(), reason: format!("invalid UTF-8: {e}") }] },
            },
            Kind::Page => {
                let url = self.url.as_deref().unwrap_or_default();
                match dossier_ingest::article_from_page(url, &self.body, self.content_type.as_deref(), self.seen_at, Default::default()) {
                    Ok(articles) => Parsed { articles, errors: vec![] },
                    Err(e) => Parsed { articles: vec![], errors: vec![IngestError { location: self.location.clone(), reason: format!("{url}: {}", e.reason) }] },
                }
            }
        }
    }

    /// The message payload.
    pub fn encode(&self) -> Vec<u8> {
        let gzip = self.body.len() > COMPRESS_OVER;
        let meta = json!({
            "kind": self.kind.as_str(),
            "location": self.location,
            "seen_at": self.seen_at.to_rfc3339(),
            "url": self.url,
            "content_type": self.content_type,
            "gzip": gzip,
        });
        let mut out = serde_json::to_vec(&meta).expect("JSON of plain values");
        out.push(b'\n');
        if gzip {
            use std::io::Write;
            let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
            gz.write_all(&self.body).expect("writing to memory");
            gz.finish().expect("writing to memory")
        } else {
            out.extend_from_slice(&self.body);
            out
        }
    }

    pub fn decode(payload: &[u8]) -> Result<RawInput> {
        let bad = |m: &str| QueueError::Malformed(m.to_string());
        let nl = payload.iter().position(|&b| b == b'\n').ok_or_else(|| bad("no metadata line"))?;
        let meta: serde_json::Value = serde_json::from_slice(&payload[..nl]).map_err(|e| bad(&format!("metadata: {e}")))?;
        let s = |k: &str| meta.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let kind = s("kind").and_then(|k| Kind::parse(&k)).ok_or_else(|| bad("unknown kind"))?;
        let location = s("location").ok_or_else(|| bad("no location"))?;
        let seen_at = s("seen_at").and_then(|t| DateTime::parse_from_rfc3339(&t).ok()).ok_or_else(|| bad("no seen_at"))?.with_timezone(&Utc);
        let rest = &payload[nl + 1..];
        let body = if meta.get("gzip").and_then(|v| v.as_bool()).unwrap_or(false) {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(rest).take(dossier_ingest::MAX_INPUT_BYTES + 1).read_to_end(&mut out).map_err(|e| bad(&format!("{location}: bad gzip body: {e}")))?;
            out
        } else {
            rest.to_vec()
        };
        Ok(RawInput { kind, location, seen_at, url: s("url"), content_type: s("content_type"), body })
    }
}

/// Reads inputs as the embedded ingest does and hands each raw input (or the
/// error that kept it from being read) to `on_input`, in order.
pub fn read_inputs<E>(paths: &[PathBuf], mut on_input: impl FnMut(std::result::Result<RawInput, IngestError>) -> std::result::Result<(), E>) -> std::result::Result<(), E> {
    let (files, errors) = dossier_ingest::collect_inputs(paths);
    for e in errors {
        on_input(Err(e))?;
    }
    for f in &files {
        read_file(f, &mut on_input)?;
    }
    Ok(())
}

fn read_file<E>(path: &Path, on_input: &mut impl FnMut(std::result::Result<RawInput, IngestError>) -> std::result::Result<(), E>) -> std::result::Result<(), E> {
    use dossier_ingest::Format;
    let loc = path.display().to_string();
    let err = |reason: String| IngestError { location: loc.clone(), reason };
    if dossier_ingest::format_of(path) == Some(Format::Warc) {
        let reader = match dossier_sources::warc::open(path) {
            Ok(r) => r,
            Err(e) => return on_input(Err(err(e.to_string()))),
        };
        for rec in reader {
            match rec {
                Err(e) => on_input(Err(IngestError { location: e.location.clone(), reason: e.reason }))?,
                Ok(rec) => {
                    let Some((uri, ct)) = dossier_ingest::warc_page(&rec) else { continue };
                    let raw = RawInput {
                        kind: Kind::Page,
                        location: format!("{loc}@{}", rec.offset),
                        seen_at: rec.date.unwrap_or_else(Utc::now),
                        url: Some(uri.to_string()),
                        content_type: ct.map(str::to_string),
                        body: rec.http.as_ref().map(|h| h.body.clone()).unwrap_or_default(),
                    };
                    on_input(Ok(raw))?;
                }
            }
        }
        return Ok(());
    }
    let format = match dossier_ingest::format_of_file(path) {
        Ok(f) => f,
        Err(e) => return on_input(Err(e)),
    };
    let seen_at = std::fs::metadata(path).and_then(|m| m.modified()).map(DateTime::<Utc>::from).unwrap_or_else(|_| Utc::now());
    match format {
        Format::JsonLines => {
            // A stream: each line is a message, whatever the file's size; a bad line is its own error.
            let lines = match dossier_ingest::json_lines(path) {
                Ok(l) => l,
                Err(e) => return on_input(Err(e)),
            };
            for line in lines {
                on_input(line.map(|(location, line)| RawInput { kind: Kind::JsonLine, location, seen_at, url: None, content_type: None, body: line.into_bytes() }))?;
            }
            Ok(())
        }
        Format::Html | Format::Text => {
            let bytes = match dossier_ingest::read_input(path) {
                Ok(b) => b,
                Err(e) => return on_input(Err(e)),
            };
            let kind = if format == Format::Html { Kind::Html } else { Kind::Text };
            on_input(Ok(RawInput { kind, location: loc.clone(), seen_at, url: None, content_type: None, body: bytes }))
        }
        Format::Warc => unreachable!("handled above"),
    }
}

/// A connection to the queue: the stream (created if missing) and its subject.
pub struct Queue {
    pub client: async_nats::Client,
    pub js: jetstream::Context,
    pub stream: String,
    url: String,
}

/// What publishing did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub published: usize,
    /// Dropped by the stream as duplicates of a message id it had seen.
    pub duplicates: usize,
}

impl Queue {
    /// Connects and makes sure the stream exists (work-queue retention: a
    /// message is removed once a worker acknowledged it).
    pub async fn connect(url: &str, stream_name: &str) -> Result<Queue> {
        let fail = |m: String| QueueError::Nats { url: url.to_string(), message: m };
        if stream_name.is_empty() || stream_name.contains(|c: char| c == '.' || c == '*' || c == '>' || c.is_whitespace()) {
            return Err(fail(format!("stream name {stream_name:?} may not be empty or contain '.', '*', '>' or spaces")));
        }
        let client =
            async_nats::ConnectOptions::new().connection_timeout(Duration::from_secs(5)).retry_on_initial_connect().max_reconnects(None).connect(url).await.map_err(|e| fail(e.to_string()))?;
        let js = jetstream::new(client.clone());
        js.get_or_create_stream(stream::Config {
            name: stream_name.to_string(),
            subjects: vec![format!("{stream_name}.raw")],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        })
        .await
        .map_err(|e| fail(format!("stream {stream_name}: {e}")))?;
        Ok(Queue { client, js, stream: stream_name.to_string(), url: url.to_string() })
    }

    fn fail(&self, m: impl std::fmt::Display) -> QueueError {
        QueueError::Nats { url: self.url.clone(), message: m.to_string() }
    }

    /// Publishes inputs under the given message ids, at most `window` awaiting
    /// the stream's acknowledgement at once; returns when all are stored in the stream.
    pub async fn publish_all(&self, inputs: impl IntoIterator<Item = (RawInput, String)>, window: usize) -> Result<Published> {
        let mut p = self.publisher(window);
        for (raw, id) in inputs {
            p.send(&raw, &id).await?;
        }
        p.finish().await
    }

    /// A publisher that keeps up to `window` publishes in flight.
    pub fn publisher(&self, window: usize) -> Publisher<'_> {
        Publisher { queue: self, pending: Default::default(), out: Published::default(), window: window.max(1), subject: format!("{}.raw", self.stream) }
    }

    /// The durable pull consumer every worker shares (created if missing).
    /// `ack_wait`: how long a delivered message may go unacknowledged before
    /// it is delivered again (to any worker).
    pub async fn consumer(&self, ack_wait: Duration) -> Result<jetstream::consumer::PullConsumer> {
        let stream = self.js.get_stream(&self.stream).await.map_err(|e| self.fail(format!("stream {}: {e}", self.stream)))?;
        stream
            .get_or_create_consumer(
                CONSUMER,
                pull::Config {
                    durable_name: Some(CONSUMER.to_string()),
                    ack_policy: jetstream::consumer::AckPolicy::Explicit,
                    ack_wait,
                    // Redelivered until stored: a database outage delays work, never drops it.
                    max_deliver: -1,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| self.fail(format!("consumer {CONSUMER} of {}: {e}", self.stream)))
    }
}

/// Publishes with a bounded number of acknowledgements outstanding.
pub struct Publisher<'a> {
    queue: &'a Queue,
    pending: std::collections::VecDeque<(String, jetstream::context::PublishAckFuture)>,
    out: Published,
    window: usize,
    subject: String,
}

impl Publisher<'_> {
    /// Sends one input under message id `id` (normally [`RawInput::id`]).
    pub async fn send(&mut self, raw: &RawInput, id: &str) -> Result<()> {
        let payload = raw.encode();
        let bytes = payload.len();
        let msg = jetstream::message::PublishMessage::build().payload(payload.into()).message_id(id);
        let ack = self.queue.js.send_publish(self.subject.clone(), msg).await.map_err(|e| {
            if e.kind() == jetstream::context::PublishErrorKind::MaxPayloadExceeded {
                QueueError::TooLarge { location: raw.location.clone(), bytes, message: e.to_string() }
            } else {
                self.queue.fail(format!("publishing {}: {e}", raw.location))
            }
        })?;
        self.pending.push_back((raw.location.clone(), ack));
        while self.pending.len() >= self.window {
            self.settle_one().await?;
        }
        Ok(())
    }

    async fn settle_one(&mut self) -> Result<()> {
        let Some((loc, ack)) = self.pending.pop_front() else { return Ok(()) };
        let ack = ack.await.map_err(|e| self.queue.fail(format!("publishing {loc}: {e}")))?;
        if ack.duplicate {
            self.out.duplicates += 1;
        } else {
            self.out.published += 1;
        }
        Ok(())
    }

    /// Waits for every acknowledgement.
    pub async fn finish(mut self) -> Result<Published> {
        while !self.pending.is_empty() {
            self.settle_one().await?;
        }
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(kind: Kind, body: &[u8]) -> RawInput {
        RawInput { kind, location: "x/a.jsonl:3".into(), seen_at: "2025-06-22T12:00:00Z".parse().unwrap(), url: None, content_type: None, body: body.to_vec() }
    }

    #[test]
    fn messages_round_trip_and_ids_are_stable() {
        let a = raw(Kind::JsonLine, br#"{"title":"T","text":"A sentence of text that is long enough here."}"#);
        assert_eq!(RawInput::decode(&a.encode()).unwrap(), a);
        assert_eq!(a.id(), a.clone().id());
        let mut b = a.clone();
        b.location = "x/a.jsonl:4".into();
        assert_ne!(a.id(), b.id());
        // A large body travels compressed and comes back whole.
        let mut big = raw(Kind::Page, &vec![b'x'; 300_000]);
        big.url = Some("https://example.com/p".into());
        big.content_type = Some("text/html; charset=utf-8".into());
        let enc = big.encode();
        assert!(enc.len() < 10_000);
        assert_eq!(RawInput::decode(&enc).unwrap(), big);
        assert!(RawInput::decode(b"no newline").is_err());
        assert!(RawInput::decode(b"{\"kind\":\"mystery\"}\nbody").is_err());
    }

    #[test]
    fn a_record_becomes_the_articles_the_embedded_ingest_makes() {
        let dir = std::env::temp_dir().join(format!("dossier-queue-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("feed.jsonl");
        std::fs::write(&path, "{\"url\":\"https://a.example/1\",\"title\":\"T1\",\"text\":\"A body sentence that is long enough to be prose for sure.\",\"outlet\":\"A\"}\n\nnot json\n").unwrap();
        let mut raws = vec![];
        read_inputs::<()>(std::slice::from_ref(&path), |r| {
            raws.push(r.unwrap());
            Ok(())
        })
        .unwrap();
        assert_eq!(raws.len(), 2);
        let embedded = dossier_ingest::ingest_file(&path);
        let mut articles = vec![];
        let mut errors = vec![];
        for r in &raws {
            let p = r.to_articles();
            articles.extend(p.articles);
            errors.extend(p.errors);
        }
        assert_eq!(articles, embedded.articles);
        assert_eq!(errors, embedded.errors);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
