//! Manners: robots.txt (RFC 9309, via texting_robots), one request per host
//! at a time, a per-host delay (the larger of ours and the site's
//! Crawl-delay, capped), and retries of 429, 5xx, timeouts and connection
//! failures with exponential backoff (Retry-After honoured, capped) before
//! giving up with the last error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use texting_robots::Robot;

use crate::{FetchConfig, FetchError, Fetcher, Outcome, Validators};

#[derive(Debug, Clone)]
pub struct CrawlConfig {
    pub fetch: FetchConfig,
    /// Pause between two requests to the same host.
    pub per_host_delay: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    pub backoff: Duration,
    pub max_backoff: Duration,
    pub respect_robots: bool,
}

impl Default for CrawlConfig {
    fn default() -> Self {
        CrawlConfig {
            fetch: FetchConfig::default(),
            per_host_delay: Duration::from_secs(1),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            respect_robots: true,
        }
    }
}

/// What we know of robots.txt for one host.
enum Rules {
    AllowAll,
    DisallowAll,
    Parsed(Box<Robot>),
}

struct Host {
    next_request: Option<Instant>,
    rules: Option<(Rules, Instant)>,
    crawl_delay: Option<Duration>,
}

/// A polite fetcher: share one across tasks.
#[derive(Clone)]
pub struct Crawler {
    fetcher: Fetcher,
    cfg: CrawlConfig,
    hosts: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<Host>>>>>,
}

fn host_key(url: &str) -> Result<String, FetchError> {
    let u = reqwest::Url::parse(url).map_err(|e| FetchError::InvalidUrl { url: url.to_string(), reason: e.to_string() })?;
    let host = u.host_str().ok_or_else(|| FetchError::InvalidUrl { url: url.to_string(), reason: "no host".into() })?;
    Ok(format!("{}://{}:{}", u.scheme(), host.to_ascii_lowercase(), u.port_or_known_default().unwrap_or(0)))
}

fn retryable(e: &FetchError) -> bool {
    match e {
        FetchError::Status { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        FetchError::Timeout { .. } | FetchError::Network { .. } => true,
        _ => false,
    }
}

/// The product token robots.txt groups are matched against: "dossier/0.1 (...)" -> "dossier".
fn agent_token(user_agent: &str) -> &str {
    user_agent.split(['/', ' ']).next().unwrap_or(user_agent)
}

impl Crawler {
    pub fn new(cfg: CrawlConfig) -> Result<Crawler, FetchError> {
        Ok(Crawler { fetcher: Fetcher::new(cfg.fetch.clone())?, cfg, hosts: Arc::default() })
    }

    pub fn config(&self) -> &CrawlConfig {
        &self.cfg
    }

    fn host(&self, key: &str) -> Arc<tokio::sync::Mutex<Host>> {
        let mut hosts = self.hosts.lock().expect("host map lock");
        hosts.entry(key.to_string()).or_insert_with(|| Arc::new(tokio::sync::Mutex::new(Host { next_request: None, rules: None, crawl_delay: None }))).clone()
    }

    async fn wait_turn(&self, h: &mut Host) {
        if let Some(t) = h.next_request {
            let now = Instant::now();
            if t > now {
                tokio::time::sleep(t - now).await;
            }
        }
    }

    fn done(&self, h: &mut Host) {
        let delay = self.cfg.per_host_delay.max(h.crawl_delay.unwrap_or_default()).min(Duration::from_secs(60));
        h.next_request = Some(Instant::now() + delay);
    }

    /// robots.txt for a host, fetched once and kept (a day when read, five minutes after an error).
    async fn rules(&self, key: &str, h: &mut Host) {
        if h.rules.as_ref().is_some_and(|(_, until)| *until > Instant::now()) {
            return;
        }
        self.wait_turn(h).await;
        let got = self.fetcher.get(&format!("{key}/robots.txt")).await;
        self.done(h);
        let (rules, keep) = match got {
            Ok(page) => match Robot::new(agent_token(&self.cfg.fetch.user_agent), &page.body) {
                Ok(r) => {
                    h.crawl_delay = r.delay.map(|d| Duration::from_secs_f32(d.clamp(0.0, 60.0)));
                    (Rules::Parsed(Box::new(r)), Duration::from_secs(86_400))
                }
                Err(_) => (Rules::AllowAll, Duration::from_secs(86_400)),
            },
            // No robots.txt (4xx): everything is allowed. Unreachable (5xx, network): nothing is, for now.
            Err(FetchError::Status { status, .. }) if (400..500).contains(&status) => (Rules::AllowAll, Duration::from_secs(86_400)),
            Err(_) => (Rules::DisallowAll, Duration::from_secs(300)),
        };
        h.rules = Some((rules, Instant::now() + keep));
    }

    /// Whether robots.txt lets us fetch `url` (fetching robots.txt if needed).
    pub async fn allowed(&self, url: &str) -> Result<bool, FetchError> {
        if !self.cfg.respect_robots {
            return Ok(true);
        }
        let key = host_key(url)?;
        let host = self.host(&key);
        let mut h = host.lock().await;
        self.rules(&key, &mut h).await;
        Ok(match &h.rules {
            Some((Rules::Parsed(r), _)) => r.allowed(url),
            Some((Rules::DisallowAll, _)) => false,
            _ => true,
        })
    }

    /// A polite conditional GET: robots.txt checked, the host's turn awaited,
    /// transient failures retried with backoff.
    pub async fn get(&self, url: &str, v: &Validators) -> Result<Outcome, FetchError> {
        if !self.allowed(url).await? {
            return Err(FetchError::Disallowed { url: url.to_string() });
        }
        let host = self.host(&host_key(url)?);
        let mut h = host.lock().await;
        let mut attempt = 0u32;
        loop {
            self.wait_turn(&mut h).await;
            let res = self.fetcher.get_conditional(url, v).await;
            self.done(&mut h);
            match res {
                Err(e) if retryable(&e) && attempt < self.cfg.retries => {
                    let backoff = match &e {
                        FetchError::Status { retry_after: Some(d), .. } => *d,
                        _ => self.cfg.backoff * 2u32.saturating_pow(attempt),
                    }
                    .min(self.cfg.max_backoff);
                    tokio::time::sleep(backoff).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_agents() {
        assert_eq!(host_key("https://Example.com/a?b").unwrap(), "https://example.com:443");
        assert_eq!(host_key("http://example.com:8080/").unwrap(), "http://example.com:8080");
        assert_eq!(agent_token("dossier/0.1 (news analysis)"), "dossier");
        assert!(retryable(&FetchError::Status { url: String::new(), status: 503, retry_after: None }));
        assert!(!retryable(&FetchError::Status { url: String::new(), status: 404, retry_after: None }));
    }
}
