//! WARC 1.0/1.1 archives (plain or `.warc.gz`, one gzip member per record,
//! as Common Crawl's CC-NEWS publishes them), read as a stream.
//!
//! Memory is bounded whatever the archive's size: header lines are capped,
//! blocks of records we do not need are skipped without buffering, and a
//! record larger than `max_record_bytes` is skipped and reported. A record
//! with a broken header is reported with its byte offset, and reading
//! resumes at the next `WARC/1.` line; so does a record that claims more
//! than `max_record_bytes` (its length is not trusted: a corrupt length
//! would otherwise swallow the records after it). A truncated archive is
//! reported and ends the stream.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{parse_date, SourceError};

pub const DEFAULT_MAX_RECORD_BYTES: u64 = 10 << 20;
const MAX_LINE: usize = 64 * 1024;
const MAX_HEADER_LINES: usize = 512;

/// An HTTP response carried by a `response` record.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The payload, de-chunked and inflated.
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WarcRecord {
    pub record_type: String,
    pub target_uri: Option<String>,
    pub date: Option<DateTime<Utc>>,
    pub record_id: Option<String>,
    pub content_type: Option<String>,
    /// For `response` records carrying `application/http`.
    pub http: Option<HttpResponse>,
    /// Byte offset of the record in the (decompressed) stream.
    pub offset: u64,
}

/// Iterates the records of an archive.
pub struct WarcReader<R: BufRead> {
    r: R,
    pos: u64,
    pub max_record_bytes: u64,
    name: String,
    done: bool,
    resync: bool,
}

/// Counts the bytes read from the file, for progress reporting.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a `.warc` or `.warc.gz` file (gzip detected by its magic bytes).
pub fn open(path: &Path) -> Result<WarcReader<Box<dyn BufRead + Send>>, SourceError> {
    open_counted(path, Arc::default())
}

/// Like [`open`], adding the archive bytes read so far to `progress`.
pub fn open_counted(path: &Path, progress: Arc<AtomicU64>) -> Result<WarcReader<Box<dyn BufRead + Send>>, SourceError> {
    let name = path.display().to_string();
    let file = Counted { inner: File::open(path).map_err(|e| SourceError::new(&name, e))?, count: progress };
    let mut buf = BufReader::with_capacity(256 * 1024, file);
    let gz = buf.fill_buf().map_err(|e| SourceError::new(&name, e))?.starts_with(&[0x1f, 0x8b]);
    let r: Box<dyn BufRead + Send> = if gz { Box::new(BufReader::with_capacity(256 * 1024, flate2::read::MultiGzDecoder::new(buf))) } else { Box::new(buf) };
    Ok(WarcReader::named(r, name))
}

enum Line {
    Eof,
    Text(Vec<u8>),
    /// A line longer than MAX_LINE, passed over while looking for the next record.
    Long,
}

impl<R: BufRead> WarcReader<R> {
    pub fn new(r: R) -> WarcReader<R> {
        WarcReader::named(r, "warc".to_string())
    }

    pub fn named(r: R, name: String) -> WarcReader<R> {
        WarcReader { r, pos: 0, max_record_bytes: DEFAULT_MAX_RECORD_BYTES, name, done: false, resync: false }
    }

    fn err(&self, offset: u64, reason: impl std::fmt::Display) -> SourceError {
        SourceError::new(format!("{}@{offset}", self.name), reason)
    }

    /// An error after which the stream cannot go on (truncated, unreadable).
    fn fatal(&mut self, offset: u64, reason: impl std::fmt::Display) -> Option<Result<WarcRecord, SourceError>> {
        self.done = true;
        Some(Err(self.err(offset, reason)))
    }

    /// One line (without its line ending), at most MAX_LINE bytes; a longer
    /// one is an error, or with `pass_long` (resynchronising) skipped as [`Line::Long`].
    fn line(&mut self, pass_long: bool) -> std::io::Result<Line> {
        let mut out = Vec::new();
        let mut long = false;
        loop {
            let buf = self.r.fill_buf()?;
            if buf.is_empty() {
                return Ok(if out.is_empty() { Line::Eof } else { Line::Text(out) });
            }
            let (take, end) = match memchr_newline(buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            if !long {
                out.extend_from_slice(&buf[..take]);
            }
            self.r.consume(take);
            self.pos += take as u64;
            if end {
                if long {
                    return Ok(Line::Long);
                }
                while out.last().is_some_and(|c| *c == b'\n' || *c == b'\r') {
                    out.pop();
                }
                return Ok(Line::Text(out));
            }
            if out.len() > MAX_LINE && !long {
                if !pass_long {
                    return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("line longer than {MAX_LINE} bytes")));
                }
                long = true;
                out = Vec::new();
            }
        }
    }

    fn skip(&mut self, n: u64) -> std::io::Result<u64> {
        let got = std::io::copy(&mut (&mut self.r).take(n), &mut std::io::sink())?;
        self.pos += got;
        Ok(got)
    }

    fn read_block(&mut self, n: u64) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(n as usize);
        (&mut self.r).take(n).read_to_end(&mut out)?;
        self.pos += out.len() as u64;
        Ok(out)
    }

    fn next_record(&mut self) -> Option<Result<WarcRecord, SourceError>> {
        // Find the version line, skipping the blank lines between records.
        let offset = loop {
            let at = self.pos;
            match self.line(self.resync) {
                Err(e) => return self.fatal(at, format!("unreadable archive: {e}")),
                Ok(Line::Eof) => {
                    self.done = true;
                    return None;
                }
                Ok(Line::Long) => continue,
                Ok(Line::Text(l)) if l.is_empty() => continue,
                Ok(Line::Text(l)) if l.starts_with(b"WARC/1.") => {
                    self.resync = false;
                    break at;
                }
                Ok(Line::Text(_)) if self.resync => continue,
                Ok(Line::Text(l)) => {
                    self.resync = true;
                    let shown = String::from_utf8_lossy(&l[..l.len().min(40)]).into_owned();
                    return Some(Err(self.err(at, format!("broken record header: expected a WARC/1.x line, found {shown:?}"))));
                }
            }
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        loop {
            match self.line(false) {
                Err(e) => return self.fatal(offset, format!("unreadable record header: {e}")),
                Ok(Line::Eof) => return self.fatal(offset, "archive ends inside a record header (truncated)"),
                Ok(Line::Long) => unreachable!("only while resynchronising"),
                Ok(Line::Text(l)) if l.is_empty() => break,
                Ok(Line::Text(l)) => {
                    if headers.len() >= MAX_HEADER_LINES {
                        self.resync = true;
                        return Some(Err(self.err(offset, "broken record header: too many header lines")));
                    }
                    let l = String::from_utf8_lossy(&l).into_owned();
                    if let Some((k, v)) = l.split_once(':') {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
            }
        }
        let get = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        let Some(len) = get("Content-Length").and_then(|v| v.parse::<u64>().ok()) else {
            self.resync = true;
            return Some(Err(self.err(offset, "broken record header: missing or invalid Content-Length")));
        };
        let record_type = get("WARC-Type").unwrap_or_default().to_ascii_lowercase();
        let content_type = get("Content-Type");
        let mut rec = WarcRecord {
            record_type: record_type.clone(),
            target_uri: get("WARC-Target-URI").map(|u| u.trim_matches(['<', '>']).to_string()),
            date: get("WARC-Date").and_then(|d| parse_date(&d)),
            record_id: get("WARC-Record-ID"),
            content_type: content_type.clone(),
            http: None,
            offset,
        };
        let wanted = record_type == "response" && content_type.as_deref().is_some_and(|c| c.to_ascii_lowercase().starts_with("application/http"));
        if len > self.max_record_bytes {
            // Not trusted: the next record is found by its header line instead, so a
            // corrupt length cannot swallow the rest of the archive.
            self.resync = true;
            return Some(Err(self.err(offset, format!("record of {len} bytes skipped: larger than {} bytes; reading resumes at the next record", self.max_record_bytes))));
        }
        if !wanted {
            match self.skip(len) {
                Ok(n) if n == len => {}
                Ok(_) => return self.fatal(offset, "archive ends inside a record (truncated)"),
                Err(e) => return self.fatal(offset, format!("unreadable record: {e}")),
            }
            return Some(Ok(rec));
        }
        let block = match self.read_block(len) {
            Ok(b) if b.len() as u64 == len => b,
            Ok(_) => return self.fatal(offset, "archive ends inside a record (truncated)"),
            Err(e) => return self.fatal(offset, format!("unreadable record: {e}")),
        };
        match parse_http(&block, self.max_record_bytes) {
            Ok(h) => rec.http = Some(h),
            Err(reason) => return Some(Err(self.err(offset, format!("{}: {reason}", rec.target_uri.as_deref().unwrap_or("record"))))),
        }
        Some(Ok(rec))
    }
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

impl<R: BufRead> Iterator for WarcReader<R> {
    type Item = Result<WarcRecord, SourceError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        self.next_record()
    }
}

/// Parses an HTTP response message: status line, headers, and the body
/// de-chunked and inflated (gzip, deflate) within `limit` bytes.
pub fn parse_http(block: &[u8], limit: u64) -> Result<HttpResponse, String> {
    let head_end = find(block, b"\r\n\r\n").map(|i| (i, i + 4)).or_else(|| find(block, b"\n\n").map(|i| (i, i + 2))).ok_or("HTTP head without an end")?;
    let head = String::from_utf8_lossy(&block[..head_end.0]);
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split_whitespace();
    if !parts.next().is_some_and(|p| p.starts_with("HTTP/")) {
        return Err(format!("not an HTTP response: {:?}", &status_line[..status_line.len().min(40)]));
    }
    let status = parts.next().and_then(|s| s.parse::<u16>().ok()).ok_or("HTTP status line without a status")?;
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let header = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.to_ascii_lowercase());
    let mut body = block[head_end.1..].to_vec();
    if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
        body = dechunk(&body).unwrap_or(body);
    }
    match header("content-encoding").as_deref().map(str::trim) {
        Some("gzip") | Some("x-gzip") => body = inflate(flate2::read::MultiGzDecoder::new(&body[..]), limit)?,
        Some("deflate") => body = inflate(flate2::read::ZlibDecoder::new(&body[..]), limit)?,
        _ => {}
    }
    Ok(HttpResponse { status, headers, body })
}

fn inflate(r: impl Read, limit: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    r.take(limit + 1).read_to_end(&mut out).map_err(|e| format!("bad compressed body: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!("body inflates beyond {limit} bytes"));
    }
    Ok(out)
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

fn dechunk(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        let nl = find(&b[i..], b"\r\n")? + i;
        let size_str = std::str::from_utf8(&b[i..nl]).ok()?;
        let size = usize::from_str_radix(size_str.split(';').next()?.trim(), 16).ok()?;
        i = nl + 2;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(i..i + size)?);
        i += size + 2;
    }
}

fn record_id(uri: &str, date: &DateTime<Utc>) -> String {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    (uri, date.timestamp(), 1u8).hash(&mut a);
    let mut b = std::collections::hash_map::DefaultHasher::new();
    (uri, date.timestamp(), 2u8).hash(&mut b);
    let (x, y) = (a.finish(), b.finish());
    format!("<urn:uuid:{:08x}-{:04x}-{:04x}-{:04x}-{:012x}>", x >> 32, (x >> 16) & 0xffff, x & 0xffff, y >> 48, y & 0xffff_ffff_ffff)
}

/// Writes a WARC/1.0 `response` record (for tests and benchmarks).
pub fn write_response_record<W: Write>(w: &mut W, uri: &str, date: DateTime<Utc>, http_headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<()> {
    let mut http = b"HTTP/1.1 200 OK\r\n".to_vec();
    for (k, v) in http_headers {
        http.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    http.extend_from_slice(b"\r\n");
    http.extend_from_slice(body);
    write!(
        w,
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\nWARC-Date: {}\r\nWARC-Record-ID: {}\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {}\r\n\r\n",
        date.format("%Y-%m-%dT%H:%M:%SZ"),
        record_id(uri, &date),
        http.len()
    )?;
    w.write_all(&http)?;
    w.write_all(b"\r\n\r\n")
}

/// The same record as its own gzip member, the way `.warc.gz` files are written.
pub fn write_response_record_gz<W: Write>(w: &mut W, uri: &str, date: DateTime<Utc>, http_headers: &[(&str, &str)], body: &[u8]) -> std::io::Result<()> {
    let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::fast());
    write_response_record(&mut gz, uri, date, http_headers, body)?;
    gz.finish().map(|_| ())
}

/// Writes a `warcinfo` record.
pub fn write_warcinfo<W: Write>(w: &mut W) -> std::io::Result<()> {
    let info = b"software: dossier\r\nformat: WARC File Format 1.0\r\n";
    write!(w, "WARC/1.0\r\nWARC-Type: warcinfo\r\nContent-Type: application/warc-fields\r\nContent-Length: {}\r\n\r\n", info.len())?;
    w.write_all(info)?;
    w.write_all(b"\r\n\r\n")
}
