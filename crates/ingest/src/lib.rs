//! Ingest: files and folders -> [`Article`]s ready to store.
//!
//! Takes paths (files or folders of `.html`/`.htm`, scraped `.txt`, `.jsonl`,
//! each optionally `.gz`), reads them within size limits (a page or text per
//! file, a record per JSON line: JSON Lines files are streamed, whatever their
//! size), hands page bytes to `dossier-extract`, and gives back articles with
//! stable, content-derived ids, plus a clear error (path, and line for JSONL)
//! for every input or record it had to skip.
//! It never writes anything: storing is the caller's job, so a bad file can
//! never damage what is stored.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use dossier_extract::{extract_html, extract_text, Extracted, Item};
use dossier_model::{stable_id, Article, ArticleKind, Outlet, OutletBasis};
use serde::Deserialize;

/// Largest input file read whole (a page or a text), and largest size such a
/// `.gz` may inflate to. JSON Lines files are streamed and have no file limit.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Largest JSON Lines record (one line, after inflation); a longer line is
/// reported with its line number and skipped, and reading goes on.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// One input dossier could not use, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestError {
    /// The path, or `path:line` for a JSON Lines record.
    pub location: String,
    pub reason: String,
}

impl std::fmt::Display for IngestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.reason)
    }
}

impl std::error::Error for IngestError {}

fn err(location: impl Into<String>, reason: impl std::fmt::Display) -> IngestError {
    IngestError { location: location.into(), reason: reason.to_string() }
}

/// How an input's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Text,
    JsonLines,
    /// A WARC archive (read as a stream by [`ingest_warc`], never whole).
    Warc,
}

/// Decides the format from the file name (a trailing `.gz` is looked through;
/// a name that is not valid UTF-8 is read by its extension all the same).
pub fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "html" | "htm" | "xhtml" => Some(Format::Html),
        "jsonl" | "ndjson" => Some(Format::JsonLines),
        "txt" | "text" => Some(Format::Text),
        "warc" => Some(Format::Warc),
        _ => None,
    }
}

/// What a path that is neither a regular file nor a folder is, for its error.
fn not_regular(t: std::fs::FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if t.is_fifo() {
            "a FIFO (named pipe)"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_char_device() || t.is_block_device() {
            "a device"
        } else {
            "something else"
        };
        format!("not a regular file: {what}")
    }
    #[cfg(not(unix))]
    {
        let _ = t;
        "not a regular file".to_string()
    }
}

/// The error for a path whose metadata could not be read (missing, a
/// symbolic link loop or a dangling link, no permission).
fn unreadable_path(p: &Path, e: &std::io::Error) -> String {
    let link = std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    match (e.kind(), link) {
        (std::io::ErrorKind::NotFound, false) => "no such file or folder".to_string(),
        (std::io::ErrorKind::NotFound, true) => "dangling symbolic link: what it points to does not exist".to_string(),
        (_, true) => format!("symbolic link that cannot be followed (a loop?): {e}"),
        _ => e.to_string(),
    }
}

/// Expands folders (recursively, sorted, regular files with a known extension
/// only, hidden files skipped; symbolic links are followed, a loop is an
/// error). Files named explicitly are always taken; their format is sniffed
/// when the name does not say. Anything that cannot be read as a file — a
/// dangling link, a link loop, a FIFO, socket or device, a folder that cannot
/// be listed — is an error naming it, never skipped in silence.
pub fn collect_inputs(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<IngestError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                errors.push(err(p.display().to_string(), unreadable_path(p, &e)));
                continue;
            }
        };
        if meta.is_dir() {
            for entry in walkdir::WalkDir::new(p).sort_by_file_name().follow_links(true) {
                match entry {
                    Ok(e) if e.file_type().is_dir() => {}
                    Ok(e) => {
                        if e.file_name().to_string_lossy().starts_with('.') {
                            continue;
                        }
                        if !e.file_type().is_file() {
                            errors.push(err(e.path().display().to_string(), not_regular(e.file_type())));
                        } else if format_of(e.path()).is_some() {
                            files.push(e.into_path());
                        }
                    }
                    Err(e) => {
                        let at = e.path().unwrap_or(p).display().to_string();
                        let reason = match (e.loop_ancestor(), e.io_error()) {
                            (Some(a), _) => format!("symbolic link loop: leads back to {}", a.display()),
                            (None, Some(io)) => unreadable_path(e.path().unwrap_or(p), io),
                            (None, None) => e.to_string(),
                        };
                        errors.push(err(at, reason));
                    }
                }
            }
        } else if meta.is_file() {
            files.push(p.clone());
        } else {
            errors.push(err(p.display().to_string(), not_regular(meta.file_type())));
        }
    }
    (files, errors)
}

/// Reads a file within [`MAX_INPUT_BYTES`], inflating `.gz`.
pub fn read_input(path: &Path) -> Result<Vec<u8>, IngestError> {
    let loc = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| err(&loc, e))?;
    let mut raw = Vec::new();
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut raw).map_err(|e| err(&loc, e))?;
    if raw.len() as u64 > MAX_INPUT_BYTES {
        return Err(err(&loc, format!("larger than the {MAX_INPUT_BYTES}-byte limit")));
    }
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).take(MAX_INPUT_BYTES + 1).read_to_end(&mut out).map_err(|e| err(&loc, format!("bad gzip data: {e}")))?;
        if out.len() as u64 > MAX_INPUT_BYTES {
            return Err(err(&loc, format!("inflates past the {MAX_INPUT_BYTES}-byte limit")));
        }
        return Ok(out);
    }
    Ok(raw)
}

/// Guesses the format of bytes whose file name does not say.
pub fn sniff(bytes: &[u8]) -> Format {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let t = head.trim_start();
    if t.starts_with("<!doctype html") || t.starts_with("<html") || (t.starts_with('<') && head.contains("<p")) {
        Format::Html
    } else if t.starts_with('{') {
        Format::JsonLines
    } else {
        Format::Text
    }
}

/// What one input yields: articles to store and errors to report.
#[derive(Debug, Default)]
pub struct Parsed {
    pub articles: Vec<Article>,
    pub errors: Vec<IngestError>,
}

/// The format of a file: from its name, else sniffed from its first bytes (inflated when gzip).
pub fn format_of_file(path: &Path) -> Result<Format, IngestError> {
    if let Some(f) = format_of(path) {
        return Ok(f);
    }
    let loc = path.display().to_string();
    let mut head = Vec::new();
    open_input(path)?.take(1024).read_to_end(&mut head).map_err(|e| err(&loc, format!("bad gzip data: {e}")))?;
    Ok(sniff(&head))
}

/// Opens a file for streaming, inflating it when it is gzip (magic bytes, not the name).
fn open_input(path: &Path) -> Result<Box<dyn BufRead + Send>, IngestError> {
    let loc = path.display().to_string();
    let mut file = BufReader::with_capacity(256 * 1024, std::fs::File::open(path).map_err(|e| err(&loc, e))?);
    let gz = file.fill_buf().map_err(|e| err(&loc, e))?.starts_with(&[0x1f, 0x8b]);
    Ok(if gz { Box::new(BufReader::with_capacity(256 * 1024, flate2::read::MultiGzDecoder::new(file))) } else { Box::new(file) })
}

fn modified(path: &Path) -> DateTime<Utc> {
    std::fs::metadata(path).and_then(|m| m.modified()).map(DateTime::<Utc>::from).unwrap_or_else(|_| Utc::now())
}

/// Reads and parses one file (all of it in memory; see [`ingest_path`] for a stream).
pub fn ingest_file(path: &Path) -> Parsed {
    let mut all = Parsed::default();
    let _ = ingest_path::<()>(path, usize::MAX, |mut p| {
        all.articles.append(&mut p.articles);
        all.errors.append(&mut p.errors);
        Ok(())
    });
    all
}

/// Reads and parses one file, handing what it yields to `on_batch`: a JSON
/// Lines file as a stream, `batch` records at a time (so its size does not
/// matter, only each record's), any other file whole. `on_batch` failing stops it.
pub fn ingest_path<E>(path: &Path, batch: usize, mut on_batch: impl FnMut(Parsed) -> Result<(), E>) -> Result<(), E> {
    let loc = path.display().to_string();
    let format = match format_of_file(path) {
        Ok(f) => f,
        Err(e) => return on_batch(Parsed { articles: vec![], errors: vec![e] }),
    };
    let seen_at = modified(path);
    match format {
        Format::Warc => on_batch(Parsed { articles: vec![], errors: vec![err(loc, "a WARC archive is read with ingest_warc")] }),
        Format::JsonLines => {
            let lines = match json_lines(path) {
                Ok(l) => l,
                Err(e) => return on_batch(Parsed { articles: vec![], errors: vec![e] }),
            };
            // A batch of lines is read, then parsed on all cores (records are independent;
            // extraction is most of the cost), and handed on in file order.
            let mut lines = lines.peekable();
            loop {
                let chunk: Vec<_> = lines.by_ref().take(batch.max(1)).collect();
                let last = lines.peek().is_none();
                let parsed = parse_lines(chunk, seen_at);
                if last {
                    return on_batch(parsed);
                }
                on_batch(parsed)?;
            }
        }
        Format::Html | Format::Text => match read_input(path) {
            Ok(bytes) => on_batch(ingest_bytes(&loc, &bytes, format, seen_at)),
            Err(e) => on_batch(Parsed { articles: vec![], errors: vec![e] }),
        },
    }
}

/// Parses JSON Lines records on all cores, keeping their order.
fn parse_lines(lines: Vec<Result<(String, String), IngestError>>, seen_at: DateTime<Utc>) -> Parsed {
    use rayon::prelude::*;
    let each: Vec<Result<Vec<Article>, IngestError>> = lines.into_par_iter().map(|line| line.and_then(|(at, line)| parse_record(&at, &line, seen_at))).collect();
    let mut parsed = Parsed::default();
    for r in each {
        match r {
            Ok(mut arts) => parsed.articles.append(&mut arts),
            Err(e) => parsed.errors.push(e),
        }
    }
    parsed
}

/// Opens a JSON Lines file (gzip or not) as a stream of its lines.
pub fn json_lines(path: &Path) -> Result<JsonLines<Box<dyn BufRead + Send>>, IngestError> {
    Ok(JsonLines::new(open_input(path)?, &path.display().to_string()))
}

/// The lines of a JSON Lines stream, one at a time, each at most
/// [`MAX_RECORD_BYTES`]: `(path:line, text)` for every line holding anything,
/// or the error that line (or the stream) met. A line that is too long or not
/// UTF-8 is an error of its own and the next line is read; a stream that
/// cannot be read (bad gzip data) ends with its error. A stream with nothing
/// but blank lines, or with NUL bytes at its start, is one error for the file.
pub struct JsonLines<R> {
    r: R,
    location: String,
    line: usize,
    buf: Vec<u8>,
    started: bool,
    any: bool,
    done: bool,
}

impl<R: BufRead> JsonLines<R> {
    pub fn new(r: R, location: &str) -> JsonLines<R> {
        JsonLines { r, location: location.to_string(), line: 0, buf: Vec::new(), started: false, any: false, done: false }
    }

    fn at(&self) -> String {
        format!("{}:{}", self.location, self.line)
    }
}

impl<R: BufRead> Iterator for JsonLines<R> {
    type Item = Result<(String, String), IngestError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            if !self.started {
                self.started = true;
                match self.r.fill_buf() {
                    Ok(head) if head[..head.len().min(8192)].contains(&0) => {
                        self.done = true;
                        return Some(Err(err(&self.location, dossier_extract::ExtractError::Binary)));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        self.done = true;
                        return Some(Err(err(&self.location, format!("unreadable: {e}"))));
                    }
                }
            }
            self.buf.clear();
            let read = (&mut self.r).take(MAX_RECORD_BYTES as u64 + 1).read_until(b'\n', &mut self.buf);
            match read {
                Err(e) => {
                    self.done = true;
                    return Some(Err(err(&self.location, format!("cannot read past line {}: {e}", self.line))));
                }
                Ok(0) => {
                    self.done = true;
                    if !self.any {
                        return Some(Err(err(&self.location, dossier_extract::ExtractError::Empty)));
                    }
                    return None;
                }
                Ok(_) => {}
            }
            self.line += 1;
            if self.buf.len() > MAX_RECORD_BYTES && self.buf.last() != Some(&b'\n') {
                // The rest of the line is skipped without keeping it.
                let mut rest = 0usize;
                loop {
                    let chunk = match self.r.fill_buf() {
                        Ok(c) => c,
                        Err(e) => {
                            self.done = true;
                            return Some(Err(err(&self.location, format!("unreadable in line {}: {e}", self.line))));
                        }
                    };
                    if chunk.is_empty() {
                        break;
                    }
                    let (n, end) = chunk.iter().position(|&b| b == b'\n').map_or((chunk.len(), false), |i| (i + 1, true));
                    self.r.consume(n);
                    rest += n;
                    if end {
                        break;
                    }
                }
                self.any = true;
                let total = self.buf.len() + rest;
                return Some(Err(err(self.at(), format!("record of {total} bytes skipped: longer than the {MAX_RECORD_BYTES}-byte limit for one line"))));
            }
            let mut line = std::mem::take(&mut self.buf);
            while line.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                line.pop();
            }
            if self.line == 1 && line.starts_with(b"\xEF\xBB\xBF") {
                line.drain(..3);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.any = true;
            return Some(match String::from_utf8(line) {
                Ok(text) => Ok((self.at(), text)),
                Err(e) => Err(err(self.at(), format!("invalid UTF-8 at byte {} of the line (JSON Lines must be UTF-8); line skipped", e.utf8_error().valid_up_to()))),
            });
        }
        None
    }
}

/// Parses bytes already in memory; `location` names them in errors and as the source.
pub fn ingest_bytes(location: &str, bytes: &[u8], format: Format, seen_at: DateTime<Utc>) -> Parsed {
    let stem = file_stem(location);
    match format {
        Format::Warc => Parsed { articles: vec![], errors: vec![err(location, "a WARC archive is read with ingest_warc")] },
        Format::JsonLines => parse_jsonl(location, bytes, seen_at),
        Format::Html | Format::Text => {
            let extracted = if format == Format::Html { extract_html(bytes) } else { dossier_extract::decode_utf8(bytes).and_then(extract_text) };
            match extracted {
                Ok(ex) => {
                    let fallback = Outlet { name: stem, basis: OutletBasis::FileName };
                    Parsed { articles: articles_from(ex, location, None, fallback, seen_at), errors: vec![] }
                }
                Err(e) => Parsed { articles: vec![], errors: vec![err(location, e)] },
            }
        }
    }
}

fn file_stem(location: &str) -> String {
    let name = Path::new(location).file_name().and_then(|n| n.to_str()).unwrap_or(location);
    let name = name.strip_suffix(".gz").unwrap_or(name);
    name.rsplit_once('.').map(|(s, _)| s).unwrap_or(name).to_string()
}

/// Metadata that came with the input rather than from the page.
#[derive(Debug, Default, Clone)]
struct Given {
    url: Option<String>,
    title: Option<String>,
    outlet: Option<String>,
    published: Option<DateTime<Utc>>,
}

fn articles_from(ex: Extracted, source: &str, given: Option<Given>, fallback: Outlet, seen_at: DateTime<Utc>) -> Vec<Article> {
    let given = given.unwrap_or_default();
    let outlet = match (&given.outlet, &ex.site_name) {
        (Some(o), _) => Outlet { name: o.clone(), basis: OutletBasis::Given },
        (None, Some(s)) => Outlet { name: s.clone(), basis: OutletBasis::Page },
        (None, None) => fallback,
    };
    let main = &ex.main;
    // A page's identity is its canonical URL (rel=canonical preferred,
    // tracking parameters and fragments dropped): the same URL is one article,
    // and changed text there is a new revision of it. Without a URL, the
    // content is the identity.
    let url = match (&given.url, &main.url) {
        (Some(page), rel) => Some(dossier_sources::canonical::canonical_url(page, rel.as_deref())),
        (None, Some(rel)) => Some(dossier_sources::canonical::canonical_url(rel, None)),
        (None, None) => None,
    };
    let title = given.title.clone().unwrap_or_else(|| main.title_or_lead());
    let text = main.body();
    let id = match &url {
        Some(u) => stable_id(&["url", u]),
        None => stable_id(&["article", &outlet.name, "", &title, &text]),
    };
    let mut out = vec![Article {
        id: id.clone(),
        kind: ArticleKind::Main,
        title,
        text,
        outlet,
        url,
        source: source.to_string(),
        published: given.published.or(main.published),
        seen_at,
        language: main.language.clone(),
    }];
    for t in &ex.teasers {
        out.push(teaser(t, &id, source, seen_at));
    }
    out
}

fn teaser(t: &Item, found_on: &str, source: &str, seen_at: DateTime<Utc>) -> Article {
    let outlet_name = t.outlet.clone().unwrap_or_else(|| "unknown outlet".into());
    let title = t.title_or_lead();
    let text = t.body();
    Article {
        id: stable_id(&["teaser", &outlet_name, &title, &text]),
        kind: ArticleKind::Teaser { found_on: found_on.to_string(), age: t.age.clone() },
        title,
        text,
        outlet: Outlet { name: outlet_name, basis: OutletBasis::Page },
        url: t.url.clone(),
        source: source.to_string(),
        // The page said how old the teaser was when it was scraped, or its date.
        published: t.age.as_deref().and_then(parse_age).map(|d| seen_at - d).or(t.published),
        seen_at,
        language: None,
    }
}

/// "22 minutes ago" -> 22 minutes; "an hour ago" -> 1 hour.
pub fn parse_age(s: &str) -> Option<Duration> {
    let s = s.trim().to_ascii_lowercase();
    if s == "just now" {
        return Some(Duration::zero());
    }
    if s == "yesterday" {
        return Some(Duration::days(1));
    }
    let words: Vec<&str> = s.split_whitespace().filter(|w| !matches!(*w, "about" | "over" | "almost" | "nearly")).collect();
    if words.len() != 3 || words[2] != "ago" {
        return None;
    }
    let n: i64 = match words[0] {
        "a" | "an" | "one" => 1,
        "few" => 3,
        w => w.parse().ok()?,
    };
    let unit = words[1].trim_end_matches('s');
    Some(match unit {
        "sec" | "second" => Duration::seconds(n),
        "min" | "minute" => Duration::minutes(n),
        "hr" | "hour" => Duration::hours(n),
        "day" => Duration::days(n),
        "week" => Duration::weeks(n),
        "month" => Duration::days(30 * n),
        "year" => Duration::days(365 * n),
        _ => return None,
    })
}

#[derive(Debug, Deserialize)]
struct JsonRecord {
    url: Option<String>,
    title: Option<String>,
    text: Option<String>,
    html: Option<String>,
    published: Option<String>,
    outlet: Option<String>,
}

fn parse_jsonl(location: &str, bytes: &[u8], seen_at: DateTime<Utc>) -> Parsed {
    let mut parsed = Parsed::default();
    for line in JsonLines::new(bytes, location) {
        match line.and_then(|(at, line)| parse_record(&at, &line, seen_at)) {
            Ok(mut arts) => parsed.articles.append(&mut arts),
            Err(e) => parsed.errors.push(e),
        }
    }
    parsed
}

/// One JSON Lines record on its own, as [`ingest_bytes`] reads it inside a
/// file; `location` is `path:line` (the scale-out queue carries records one by one).
pub fn ingest_record(location: &str, line: &str, seen_at: DateTime<Utc>) -> Parsed {
    match parse_record(location, line, seen_at) {
        Ok(articles) => Parsed { articles, errors: vec![] },
        Err(e) => Parsed { articles: vec![], errors: vec![e] },
    }
}

fn parse_record(loc: &str, line: &str, seen_at: DateTime<Utc>) -> Result<Vec<Article>, IngestError> {
    let r: JsonRecord = serde_json::from_str(line).map_err(|e| err(loc, format!("malformed JSON: {e}")))?;
    // A field given blank would make an article nobody can reach (an outlet page
    // without a name, a URL identity shared by every such record).
    for (field, value) in [("outlet", &r.outlet), ("url", &r.url)] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(err(loc, format!("field `{field}` is empty: give a value or leave the field out")));
        }
    }
    let published = match r.published.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => Some(dossier_extract::parse_date(p).ok_or_else(|| err(loc, format!("unreadable published date {p:?}")))?),
        None => None,
    };
    let ex = match (&r.text, &r.html) {
        (_, Some(h)) if !h.trim().is_empty() => extract_html(h.as_bytes()),
        (Some(t), _) if !t.trim().is_empty() => extract_text(t).or_else(|_| Ok(plain(t))),
        _ => return Err(err(loc, "record has neither `text` nor `html`")),
    }
    .map_err(|e| err(loc, e))?;
    // A blank title is no title: the page's own, or its lead, is used.
    let title = r.title.filter(|t| !t.trim().is_empty());
    let given = Given { url: r.url, title, outlet: r.outlet, published };
    let fallback = Outlet { name: file_stem(loc.rsplit_once(':').map(|(p, _)| p).unwrap_or(loc)), basis: OutletBasis::FileName };
    Ok(articles_from(ex, loc, Some(given), fallback, seen_at))
}

/// Streams a WARC or WARC.gz archive: every `response` record carrying HTML
/// becomes articles, handed to `on_batch` in archive order, in batches of
/// `batch` records, so a multi-gigabyte archive is read in bounded memory.
/// One thread reads and inflates, `jobs` threads extract, the caller's
/// thread receives the batches. A broken record is an error (archive path
/// and byte offset) and the stream goes on; `on_batch` failing stops it.
/// `progress` counts the archive bytes read so far.
pub fn ingest_warc<E>(path: &Path, batch: usize, jobs: usize, progress: std::sync::Arc<std::sync::atomic::AtomicU64>, mut on_batch: impl FnMut(Parsed) -> Result<(), E>) -> Result<(), E> {
    use std::sync::mpsc::sync_channel;
    use std::sync::{Arc, Mutex};
    let loc = path.display().to_string();
    let reader = match dossier_sources::warc::open_counted(path, progress) {
        Ok(r) => r,
        Err(e) => return on_batch(Parsed { articles: vec![], errors: vec![err(&loc, e)] }),
    };
    let jobs = jobs.max(1);
    std::thread::scope(|s| {
        let (rec_tx, rec_rx) = sync_channel(jobs * 16);
        let rec_rx = Arc::new(Mutex::new(rec_rx));
        let (out_tx, out_rx) = sync_channel::<(usize, Parsed)>(jobs * 16);
        s.spawn(move || {
            for (i, r) in reader.enumerate() {
                if rec_tx.send((i, r)).is_err() {
                    break;
                }
            }
        });
        for _ in 0..jobs {
            let (rx, tx, loc) = (rec_rx.clone(), out_tx.clone(), loc.clone());
            s.spawn(move || loop {
                let next = rx.lock().expect("record queue").recv();
                let Ok((i, rec)) = next else { break };
                if tx.send((i, warc_record(&loc, rec))).is_err() {
                    break;
                }
            });
        }
        drop(out_tx);
        // Back into archive order (a later copy of a URL is its later revision).
        let mut pending = std::collections::BTreeMap::new();
        let (mut next, mut parsed, mut n) = (0usize, Parsed::default(), 0usize);
        for (i, p) in out_rx {
            pending.insert(i, p);
            while let Some(mut p) = pending.remove(&next) {
                next += 1;
                n += 1;
                parsed.articles.append(&mut p.articles);
                parsed.errors.append(&mut p.errors);
                if n % batch.max(1) == 0 {
                    on_batch(std::mem::take(&mut parsed))?;
                }
            }
        }
        on_batch(parsed)
    })
}

fn warc_record(loc: &str, rec: Result<dossier_sources::warc::WarcRecord, dossier_sources::SourceError>) -> Parsed {
    let mut parsed = Parsed::default();
    match rec {
        Err(e) => parsed.errors.push(IngestError { location: e.location.clone(), reason: e.reason }),
        Ok(rec) => {
            let Some((uri, ct)) = warc_page(&rec) else { return parsed };
            let http = rec.http.as_ref().expect("warc_page checked");
            let seen_at = rec.date.unwrap_or_else(Utc::now);
            match article_from_page(uri, &http.body, ct, seen_at, PageHints::default()) {
                Ok(mut arts) => parsed.articles.append(&mut arts),
                Err(e) => parsed.errors.push(err(format!("{loc}@{}", rec.offset), format!("{uri}: {}", e.reason))),
            }
        }
    }
    parsed
}

/// Whether a WARC record is a page dossier reads (a 200 response with a
/// target URI, HTML or untyped); its URI and content type if so.
pub fn warc_page(rec: &dossier_sources::warc::WarcRecord) -> Option<(&str, Option<&str>)> {
    let http = rec.http.as_ref().filter(|h| h.status == 200)?;
    let uri = rec.target_uri.as_deref()?;
    let ct = http.header("content-type");
    if ct.is_some_and(|c| !c.to_ascii_lowercase().contains("html")) {
        return None;
    }
    Some((uri, ct))
}

/// What the place a page came from says about it (a feed item, a news sitemap entry).
#[derive(Debug, Default, Clone)]
pub struct PageHints {
    pub title: Option<String>,
    pub outlet: Option<String>,
    pub published: Option<DateTime<Utc>>,
}

/// Articles from one fetched or archived HTML page. `url` is where it came
/// from (after redirects); `content_type` the HTTP header, for the charset.
pub fn article_from_page(url: &str, bytes: &[u8], content_type: Option<&str>, seen_at: DateTime<Utc>, hints: PageHints) -> Result<Vec<Article>, IngestError> {
    let opts = dossier_extract::HtmlOptions { url: Some(url.to_string()), content_type: content_type.map(str::to_string), ..Default::default() };
    let ex = dossier_extract::extract_html_with(bytes, &opts).map_err(|e| err(url, e))?;
    let host = url.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or(url).to_string();
    let fallback = Outlet { name: host, basis: OutletBasis::Page };
    // The page's own date outranks the feed's; the feed's title is often shortened.
    let given = Given { url: Some(url.to_string()), title: None, outlet: hints.outlet, published: None };
    let mut arts = articles_from(ex, url, Some(given), fallback, seen_at);
    if let Some(main) = arts.first_mut() {
        if main.published.is_none() {
            main.published = hints.published;
        }
        if main.title.trim().is_empty() {
            if let Some(t) = hints.title {
                main.title = t;
            }
        }
    }
    Ok(arts)
}

/// Text handed over as clean already (a JSONL `text`): paragraphs by line.
fn plain(t: &str) -> Extracted {
    let blocks = t.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| dossier_extract::Block::Paragraph(l.to_string())).collect();
    Extracted { main: Item { blocks, ..Item::default() }, teasers: vec![], site_name: None, partial: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2025-06-22T12:00:00Z".parse().unwrap()
    }

    /// A fetched page's related-story cards are stored as teasers found on
    /// it, as the scraped-text path's are (a real page: WCXB 0078, CC-BY-4.0).
    #[test]
    fn html_page_teasers_are_stored_linked_to_the_page() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../extract/tests/pages-wcxb/0078.html.gz");
        let bytes = read_input(&path).unwrap();
        let url = "https://www.securityweek.com/cybersecurity-trends-2026/";
        let arts = article_from_page(url, &bytes, None, now(), PageHints::default()).unwrap();
        let main = &arts[0];
        assert!(matches!(main.kind, ArticleKind::Main));
        let teasers: Vec<&Article> = arts.iter().filter(|a| matches!(&a.kind, ArticleKind::Teaser { found_on, .. } if *found_on == main.id)).collect();
        assert_eq!(teasers.len(), arts.len() - 1);
        assert_eq!(teasers.len(), 5);
        assert_eq!(teasers[1].title, "From Open Source to OpenAI: The Evolution of Third-Party Risk");
        assert_eq!(teasers[1].outlet, Outlet { name: "SecurityWeek".into(), basis: OutletBasis::Page });
        assert_eq!(teasers[1].url.as_deref(), Some("https://www.securityweek.com/from-open-source-to-openai-the-evolution-of-third-party-risk/"));
        assert!(!teasers[1].text.is_empty());
        assert!(!main.text.contains(&teasers[1].text));
    }

    #[test]
    fn jsonl_records_and_bad_lines() {
        let data = b"{\"url\":\"https://a.example/1\",\"title\":\"T1\",\"text\":\"A body sentence that is long enough to be prose for sure.\",\"outlet\":\"A News\",\"published\":\"2025-06-21T08:00:00Z\"}\nnot json\n\n{\"title\":\"no body\"}\n";
        let p = ingest_bytes("feed.jsonl", data, Format::JsonLines, now());
        assert_eq!(p.articles.len(), 1);
        let a = &p.articles[0];
        assert_eq!(a.outlet, Outlet { name: "A News".into(), basis: OutletBasis::Given });
        assert_eq!(a.title, "T1");
        assert_eq!(a.source, "feed.jsonl:1");
        assert_eq!(a.published.unwrap().to_rfc3339(), "2025-06-21T08:00:00+00:00");
        let locs: Vec<&str> = p.errors.iter().map(|e| e.location.as_str()).collect();
        assert_eq!(locs, ["feed.jsonl:2", "feed.jsonl:4"]);
        assert!(p.errors[0].reason.contains("malformed JSON"));
    }

    #[test]
    fn blank_outlet_or_url_is_an_error_naming_the_field_and_a_blank_title_falls_back() {
        let body = "A body sentence that is long enough to be prose for sure.";
        let lines = [
            serde_json::json!({"url": "https://a.example/1", "text": body, "outlet": " \t "}),
            serde_json::json!({"url": "", "text": body, "outlet": "A News"}),
            serde_json::json!({"url": "https://a.example/3", "title": "  ", "text": body, "outlet": "A News"}),
        ];
        let data = lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n");
        let p = ingest_bytes("feed.jsonl", data.as_bytes(), Format::JsonLines, now());
        let errs: Vec<String> = p.errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].starts_with("feed.jsonl:1: field `outlet` is empty"), "{errs:?}");
        assert!(errs[1].starts_with("feed.jsonl:2: field `url` is empty"), "{errs:?}");
        assert_eq!(p.articles.len(), 1);
        assert_eq!(p.articles[0].title, "A body sentence that is long enough to be prose for sure.");
    }

    #[test]
    fn bad_files_are_reported() {
        let p = ingest_bytes("x.txt", b"\x00\x01\x02binary", Format::Text, now());
        assert!(p.errors[0].reason.contains("binary"));
        let p = ingest_bytes("x.txt", b"caf\xe9 is not utf-8 text at all in this file, sadly.", Format::Text, now());
        assert!(p.errors[0].reason.contains("invalid UTF-8 at byte 3"), "{}", p.errors[0]);
        let p = ingest_bytes("x.txt", b"  \n ", Format::Text, now());
        assert!(p.errors[0].reason.contains("empty"));
    }

    #[test]
    fn ids_are_stable_and_outlet_falls_back_to_file_name() {
        let text = b"A paragraph that is long enough to be prose in the sample.\n";
        let a = ingest_bytes("dir/abc_1.txt", text, Format::Text, now());
        let b = ingest_bytes("dir/abc_1.txt", text, Format::Text, now());
        assert_eq!(a.articles[0].id, b.articles[0].id);
        assert_eq!(a.articles[0].outlet, Outlet { name: "abc_1".into(), basis: OutletBasis::FileName });
    }

    #[test]
    fn ages() {
        assert_eq!(parse_age("22 minutes ago"), Some(Duration::minutes(22)));
        assert_eq!(parse_age("an hour ago"), Some(Duration::hours(1)));
        assert_eq!(parse_age("soon"), None);
    }

    #[test]
    fn gzip_inputs_inflate() {
        use std::io::Write;
        let dir = tempfile_dir();
        let path = dir.join("page.html.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"<html><body><article><p>A paragraph of an article that is long enough.</p></article></body></html>").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let p = ingest_file(&path);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.articles[0].outlet.name, "page");
        std::fs::write(&path, b"\x1f\x8b\x08garbage").unwrap();
        assert!(ingest_file(&path).errors[0].reason.contains("gzip"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    fn record(i: usize, pad: usize) -> String {
        let text = format!("Item {i} of the plan was approved by the council on Monday, officials said.");
        serde_json::json!({"url": format!("https://a.example/{i}"), "title": format!("Report {i}"), "text": text, "outlet": "A News", "pad": "x".repeat(pad)}).to_string()
    }

    #[test]
    fn a_jsonl_file_over_the_file_cap_is_streamed_and_an_overlong_line_is_named() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jsonl");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        // 70 records of 1 MiB each (the padding is a field nobody reads), then one
        // line over the per-record limit, then one more good record.
        for i in 0..70 {
            writeln!(f, "{}", record(i, 1 << 20)).unwrap();
        }
        writeln!(f, "{}", record(70, MAX_RECORD_BYTES)).unwrap();
        writeln!(f, "{}", record(71, 10)).unwrap();
        drop(f);
        assert!(std::fs::metadata(&path).unwrap().len() > MAX_INPUT_BYTES);
        let (mut batches, mut articles, mut errors) = (0, vec![], vec![]);
        ingest_path::<()>(&path, 16, |p| {
            batches += 1;
            articles.extend(p.articles);
            errors.extend(p.errors);
            Ok(())
        })
        .unwrap();
        assert_eq!(articles.len(), 71, "{errors:?}");
        assert!(batches >= 5, "handed over as it is read, {batches} batches");
        assert_eq!(articles[70].title, "Report 71");
        assert_eq!(articles[70].source, format!("{}:72", path.display()));
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].location, format!("{}:71", path.display()));
        assert!(errors[0].reason.contains("limit for one line"), "{}", errors[0]);
    }

    #[test]
    fn a_jsonl_line_with_invalid_utf8_is_named_and_the_others_are_read() {
        let mut data = Vec::new();
        for i in 0..100 {
            if i == 41 {
                data.extend_from_slice(b"{\"title\":\"Caf\xe9\",\"text\":\"Latin-1 is not UTF-8.\"}\n");
            }
            data.extend_from_slice(record(i, 0).as_bytes());
            data.push(b'\n');
        }
        // Through a gzip file on disk, as `dossier ingest` reads it.
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mixed.jsonl.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&data).unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let p = ingest_file(&path);
        assert_eq!(p.articles.len(), 100);
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(p.errors[0].location, format!("{}:42", path.display()));
        assert!(p.errors[0].reason.contains("invalid UTF-8 at byte 13"), "{}", p.errors[0]);
        // The same bytes in memory (the API's path) give the same.
        let m = ingest_bytes("mem.jsonl", &data, Format::JsonLines, now());
        assert_eq!((m.articles.len(), m.errors[0].location.as_str()), (100, "mem.jsonl:42"));
        // A file of blank lines, or a binary one, is one error for the file.
        assert!(ingest_bytes("blank.jsonl", b"\n  \n", Format::JsonLines, now()).errors[0].reason.contains("empty"));
        let bin = ingest_bytes("bin.jsonl", b"\x00\x01{}", Format::JsonLines, now());
        assert!(bin.errors[0].reason.contains("binary") && bin.errors[0].location == "bin.jsonl", "{:?}", bin.errors);
    }

    #[cfg(unix)]
    #[test]
    fn folders_follow_links_and_name_everything_they_skip() {
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::symlink;
        let root = tempfile::tempdir().unwrap();
        let (dir, outside) = (root.path().join("in"), root.path().join("outside"));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(dir.join("a.txt"), "A paragraph.").unwrap();
        std::fs::write(outside.join("real.txt"), "A paragraph that is long enough to be prose, in a file linked from the folder.").unwrap();
        std::fs::write(dir.join("notes.md"), "not an input").unwrap();
        symlink(outside.join("real.txt"), dir.join("link.txt")).unwrap();
        symlink(dir.join("self.txt"), dir.join("self.txt")).unwrap();
        symlink(&dir, dir.join("sub/up")).unwrap();
        symlink(dir.join("gone.txt"), dir.join("dangling.txt")).unwrap();
        let latin1 = dir.join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt"));
        std::fs::write(&latin1, "A paragraph that is long enough to be prose, in a file named in Latin-1.").unwrap();
        let fifo = dir.join("feed.jsonl");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());

        let (files, errors) = collect_inputs(std::slice::from_ref(&dir));
        let mut names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
        names.sort();
        assert_eq!(names, ["a.txt", "caf\u{fffd}.txt", "link.txt"], "{errors:?}");
        assert!(ingest_file(&dir.join("link.txt")).articles[0].text.contains("linked from the folder"));
        assert_eq!(ingest_file(&latin1).articles.len(), 1);
        let reason = |name: &str| errors.iter().find(|e| e.location.ends_with(name)).unwrap_or_else(|| panic!("no error for {name}: {errors:?}")).reason.clone();
        assert!(reason("feed.jsonl").contains("not a regular file: a FIFO"), "{errors:?}");
        assert!(reason("self.txt").contains("symbolic link"), "{errors:?}");
        assert!(reason("sub/up").contains("symbolic link loop"), "{errors:?}");
        assert!(reason("dangling.txt").contains("dangling symbolic link"), "{errors:?}");
        assert_eq!(errors.len(), 4, "{errors:?}");

        // Given directly: the true reason, not "no such file or folder".
        let (files, errors) = collect_inputs(&[fifo.clone(), dir.join("self.txt"), dir.join("missing.txt"), dir.join("link.txt")]);
        assert_eq!(files, [dir.join("link.txt")]);
        let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
        assert!(reasons[0].starts_with("not a regular file: a FIFO"), "{reasons:?}");
        assert!(reasons[1].contains("symbolic link") && reasons[1].contains("os error 40"), "{reasons:?}");
        assert_eq!(reasons[2], "no such file or folder");
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("dossier-ingest-test-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
