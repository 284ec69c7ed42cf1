//! Fetch: one page over HTTP(S), safely.
//!
//! Takes a URL and gives the response body, its content type and the final
//! URL after redirects. Everything from outside is bounded: connect and total
//! timeouts, a redirect cap, and a body cap checked while streaming (after
//! decompression, so a gzip bomb stops at the cap). Private, loopback,
//! link-local, multicast and other non-public addresses are refused after DNS
//! resolution and again on every redirect, unless explicitly allowed. It
//! never stores anything.
//!
//! [`Crawler`] adds a crawler's manners on top: robots.txt, one request per
//! host at a time with a delay between them, and retries with backoff.

mod crawl;
pub use crawl::{CrawlConfig, Crawler};

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// How the fetcher behaves.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// The whole request, body included.
    pub timeout: Duration,
    /// Largest body accepted, after decompression.
    pub max_body: usize,
    pub max_redirects: usize,
    /// Allow every non-public address: private, loopback, link-local (intranets).
    pub allow_private: bool,
    /// Allow loopback addresses only (tests, a local proxy).
    pub allow_loopback: bool,
}

impl FetchConfig {
    /// Whether the policy lets a connection go to `ip`.
    pub fn permits(&self, ip: IpAddr) -> bool {
        let loopback = match ip {
            IpAddr::V4(a) => a.is_loopback(),
            IpAddr::V6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v| v.is_loopback()),
        };
        self.allow_private || is_public(ip) || (loopback && self.allow_loopback)
    }
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            user_agent: format!("dossier/{} (news analysis; +https://github.com/dossier)", env!("CARGO_PKG_VERSION")),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_body: 10 << 20,
            max_redirects: 10,
            allow_private: false,
            allow_loopback: false,
        }
    }
}

/// A fetched page.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The URL after redirects.
    pub url: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: not a fetchable URL ({reason})")]
    InvalidUrl { url: String, reason: String },
    #[error("{url}: refused, {reason}")]
    Refused { url: String, reason: String },
    #[error("{url}: HTTP {status}")]
    Status { url: String, status: u16, retry_after: Option<Duration> },
    #[error("{url}: disallowed by robots.txt")]
    Disallowed { url: String },
    #[error("{url}: body larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: more than {limit} redirects")]
    TooManyRedirects { url: String, limit: usize },
    #[error("{url}: {reason}")]
    Network { url: String, reason: String },
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_unspecified()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..=127).contains(&o[1])) // carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..=19).contains(&o[1])) // benchmarking
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] == 0x2001 && s[1] == 0x0db8)) // documentation
        }
    }
}

/// DNS that drops non-public addresses (unless allowed), so every connection,
/// redirects included, goes only where the policy permits.
struct GuardedResolver {
    cfg: FetchConfig,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let cfg = self.cfg.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let lookup = tokio::time::timeout(Duration::from_secs(10), tokio::net::lookup_host((host.as_str(), 0))).await.map_err(|_| format!("DNS lookup of {host} timed out"))??;
            let addrs: Vec<SocketAddr> = lookup.collect();
            let kept: Vec<SocketAddr> = addrs.iter().copied().filter(|a| cfg.permits(a.ip())).collect();
            if kept.is_empty() {
                let shown: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!("{host} resolves only to non-public addresses ({})", shown.join(", ")).into());
            }
            let it: Addrs = Box::new(kept.into_iter());
            Ok(it)
        })
    }
}

fn literal_ip(url: &reqwest::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(a) => Some(IpAddr::V4(a)),
        url::Host::Ipv6(a) => Some(IpAddr::V6(a)),
        url::Host::Domain(_) => None,
    }
}

/// Validators remembered from an earlier response, for a conditional GET.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a (conditional) GET gave.
#[derive(Debug, Clone)]
pub enum Outcome {
    Fetched(Fetched),
    /// 304: the copy we have is current.
    NotModified,
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let v = resp.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// An HTTP client with the limits of [`FetchConfig`].
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    cfg: FetchConfig,
}

impl Fetcher {
    pub fn new(cfg: FetchConfig) -> Result<Fetcher, FetchError> {
        let guard = cfg.clone();
        let max = cfg.max_redirects;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > max {
                return attempt.error(format!("more than {max} redirects"));
            }
            if let Some(ip) = literal_ip(attempt.url()).filter(|ip| !guard.permits(*ip)) {
                return attempt.error(format!("redirect to non-public address {ip}"));
            }
            attempt.follow()
        });
        let client = reqwest::Client::builder()
            .user_agent(cfg.user_agent.clone())
            .connect_timeout(cfg.connect_timeout)
            .read_timeout(cfg.connect_timeout.max(Duration::from_secs(1)) * 2)
            .timeout(cfg.timeout)
            // Requests to one host are made one at a time (see `Crawler`); keep one connection for it.
            .pool_max_idle_per_host(1)
            .redirect(policy)
            .dns_resolver(Arc::new(GuardedResolver { cfg: cfg.clone() }))
            .build()
            .map_err(|e| FetchError::Network { url: String::new(), reason: e.to_string() })?;
        Ok(Fetcher { client, cfg })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// GETs `url` and reads the body within the limits.
    pub async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        match self.get_conditional(url, &Validators::default()).await? {
            Outcome::Fetched(f) => Ok(f),
            Outcome::NotModified => Err(FetchError::Status { url: url.to_string(), status: 304, retry_after: None }),
        }
    }

    /// GETs `url`, sending `If-None-Match`/`If-Modified-Since` from `v`.
    pub async fn get_conditional(&self, url: &str, v: &Validators) -> Result<Outcome, FetchError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| FetchError::InvalidUrl { url: url.to_string(), reason: e.to_string() })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl { url: url.to_string(), reason: format!("scheme {} is not http or https", parsed.scheme()) });
        }
        if let Some(ip) = literal_ip(&parsed).filter(|ip| !self.cfg.permits(*ip)) {
            return Err(FetchError::Refused { url: url.to_string(), reason: format!("{ip} is not a public address") });
        }
        let mut req = self.client.get(parsed);
        if let Some(e) = &v.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, e);
        }
        if let Some(m) = &v.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, m);
        }
        let mut resp = req.send().await.map_err(|e| self.classify(url, e))?;
        let status = resp.status().as_u16();
        let final_url = resp.url().to_string();
        if status == 304 {
            return Ok(Outcome::NotModified);
        }
        if !resp.status().is_success() {
            return Err(FetchError::Status { url: final_url, status, retry_after: retry_after(&resp) });
        }
        let header = |name: reqwest::header::HeaderName| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let limit = self.cfg.max_body;
        if resp.content_length().is_some_and(|n| n as usize > limit) {
            return Err(FetchError::TooLarge { url: final_url, limit });
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(&final_url, e))? {
            if body.len() + chunk.len() > limit {
                return Err(FetchError::TooLarge { url: final_url, limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Outcome::Fetched(Fetched { url: final_url, status, content_type, etag, last_modified, body }))
    }

    /// POSTs `body` to `url` under the same guard (a webhook: the address is checked
    /// after DNS and on every redirect) and gives the status of a 2xx answer; any other
    /// status is [`FetchError::Status`]. The answer's body is read only up to the body cap.
    pub async fn post(&self, url: &str, content_type: &str, headers: &[(&str, String)], body: Vec<u8>) -> Result<u16, FetchError> {
        let parsed = reqwest::Url::parse(url).map_err(|e| FetchError::InvalidUrl { url: url.to_string(), reason: e.to_string() })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::InvalidUrl { url: url.to_string(), reason: format!("scheme {} is not http or https", parsed.scheme()) });
        }
        if let Some(ip) = literal_ip(&parsed).filter(|ip| !self.cfg.permits(*ip)) {
            return Err(FetchError::Refused { url: url.to_string(), reason: format!("{ip} is not a public address") });
        }
        let mut req = self.client.post(parsed).header(reqwest::header::CONTENT_TYPE, content_type).body(body);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let mut resp = req.send().await.map_err(|e| self.classify(url, e))?;
        let status = resp.status().as_u16();
        if !resp.status().is_success() {
            return Err(FetchError::Status { url: resp.url().to_string(), status, retry_after: retry_after(&resp) });
        }
        // Drain a little of the answer so the connection can be reused; its content is not wanted.
        let mut read = 0;
        while let Ok(Some(chunk)) = resp.chunk().await {
            read += chunk.len();
            if read > self.cfg.max_body {
                break;
            }
        }
        Ok(status)
    }

    fn classify(&self, url: &str, e: reqwest::Error) -> FetchError {
        let url = e.url().map(|u| u.to_string()).unwrap_or_else(|| url.to_string());
        let chain = error_chain(&e);
        if e.is_timeout() {
            FetchError::Timeout { url }
        } else if e.is_redirect() && chain.contains("redirects") {
            FetchError::TooManyRedirects { url, limit: self.cfg.max_redirects }
        } else if chain.contains("non-public") {
            FetchError::Refused { url, reason: chain }
        } else {
            FetchError::Network { url, reason: chain }
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_private_addresses() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "224.0.0.1", "100.64.0.1", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
