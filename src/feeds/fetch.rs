//! Bounded HTTP and local-file fetching. Every fetch has a connect timeout, a
//! total timeout, a redirect cap and a body-size cap enforced while streaming.
//! Redirects are followed here rather than by reqwest, so that a permanent
//! move and a loop can be told apart and reported.

use super::{FeedLocation, FeedSource};
use crate::config::FetchSettings;
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{
    ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Validators the server gave us, sent back on the next request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum FetchOutcome {
    /// 304: nothing to parse; the server may still have sent new validators.
    NotModified { validators: Validators },
    Fetched {
        body: Vec<u8>,
        content_type: Option<String>,
        validators: Validators,
        final_url: String,
        /// Set when every redirect on the way was permanent (301/308): the
        /// feed has moved and should be fetched from here from now on.
        moved_to: Option<String>,
    },
}

/// What went wrong, in words a person understands.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} did not finish answering within {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url} answered HTTP {status} ({})", status_words(*status))]
    Status {
        url: String,
        status: u16,
        /// From Retry-After on 429 and 503.
        retry_after: Option<Duration>,
    },
    #[error("{url} answered 410 Gone: the publisher removed this feed")]
    Gone { url: String },
    #[error("{url} sent more than {limit} bytes (fetch.max_body_bytes)")]
    TooLarge { url: String, limit: u64 },
    #[error("{url} redirects in a loop")]
    RedirectLoop { url: String },
    #[error("{url} redirected more than {limit} times")]
    TooManyRedirects { url: String, limit: usize },
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    #[error("{url}: {reason}")]
    Refused { url: String, reason: String },
}

fn status_words(status: u16) -> &'static str {
    match status {
        400 => "bad request",
        401 | 403 => "access denied",
        404 => "not found",
        429 => "too many requests",
        500 => "server error",
        502 | 504 => "gateway error",
        503 => "service unavailable",
        s if s >= 500 => "server error",
        _ => "unexpected status",
    }
}

pub struct Fetcher {
    client: reqwest::Client,
    settings: FetchSettings,
    policy: std::sync::Arc<super::guard::AddressPolicy>,
    limits: Limits,
    /// `fetch.proxy` is set: names are checked before the request.
    proxied: bool,
}

/// `fetch.concurrency` requests at once and `fetch.per_host` to any one host,
/// whoever asks: feeds and article pages draw on the same allowance, so a
/// publisher sees one polite client.
struct Limits {
    total: Arc<Semaphore>,
    per_host: usize,
    hosts: std::sync::Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Hosts remembered before idle ones are forgotten.
const REMEMBERED_HOSTS: usize = 1024;

impl Limits {
    fn new(total: usize, per_host: usize) -> Self {
        Self {
            total: Arc::new(Semaphore::new(total)),
            per_host,
            hosts: std::sync::Mutex::new(HashMap::new()),
        }
    }

    async fn whole_fetch(&self) -> OwnedSemaphorePermit {
        self.total
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    async fn host(&self, url: &url::Url) -> OwnedSemaphorePermit {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let permits = {
            let mut hosts = self.hosts.lock().expect("no panic while holding the lock");
            if hosts.len() >= REMEMBERED_HOSTS && !hosts.contains_key(&host) {
                // A host nobody is fetching from holds the only reference.
                hosts.retain(|_, s| Arc::strong_count(s) > 1);
            }
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        permits
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }
}

/// The proxies the environment names, which reqwest uses.
fn environment_proxies() -> Vec<String> {
    [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ]
    .iter()
    .filter_map(|v| std::env::var(v).ok())
    .filter(|v| !v.trim().is_empty())
    .collect()
}

impl Fetcher {
    /// `policy` says which hosts may be reached on private addresses; every
    /// other request goes to public addresses only.
    pub fn new(
        settings: &FetchSettings,
        policy: super::guard::AddressPolicy,
    ) -> anyhow::Result<Self> {
        let proxy = settings.proxy.trim();
        // The proxy's own host is not added to the trusted hosts: links
        // could then reach that host directly. A proxy on a private address
        // is named by its IP, or listed in fetch.allow_private_hosts.
        let proxied = !proxy.is_empty() || !environment_proxies().is_empty();
        let policy = std::sync::Arc::new(policy);
        let builder = reqwest::Client::builder();
        // fetch.proxy replaces any proxy from the environment. Either way a
        // proxy resolves names itself, around our resolver, so `get` checks
        // each host first (below): http_proxy once relayed links to
        // localhost and internal names.
        let builder = if proxy.is_empty() {
            builder
        } else {
            builder.proxy(
                reqwest::Proxy::all(proxy)
                    .map_err(|e| anyhow::anyhow!("fetch.proxy `{proxy}`: {e}"))?,
            )
        };
        let client = builder
            .dns_resolver(super::guard::GuardedResolver {
                policy: policy.clone(),
            })
            .user_agent(settings.user_agent.clone())
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .timeout(Duration::from_secs(settings.timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self {
            client,
            proxied,
            settings: settings.clone(),
            policy,
            limits: Limits::new(settings.concurrency, settings.per_host),
        })
    }

    /// Fetches a feed, conditionally when validators are known. `url`
    /// overrides the configured one (after a permanent redirect).
    pub async fn fetch_feed(
        &self,
        feed: &FeedSource,
        url: Option<&str>,
    ) -> Result<FetchOutcome, FetchError> {
        match &feed.location {
            FeedLocation::Local(path) => self.read_local(path).await,
            FeedLocation::Remote(configured) => {
                let start = url
                    .and_then(|u| url::Url::parse(u).ok())
                    .unwrap_or_else(|| configured.clone());
                let mut headers = reqwest::header::HeaderMap::new();
                headers.insert(
                    reqwest::header::ACCEPT,
                    reqwest::header::HeaderValue::from_static(
                        "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
                    ),
                );
                let mut put = |name, value: &Option<String>| {
                    if let Some(v) = value
                        .as_deref()
                        .and_then(|v| reqwest::header::HeaderValue::from_str(v).ok())
                    {
                        headers.insert(name, v);
                    }
                };
                put(IF_NONE_MATCH, &feed.etag);
                put(IF_MODIFIED_SINCE, &feed.last_modified);
                self.get(start, headers).await
            }
        }
    }

    /// Fetches an article page. `local_root` is set only when the item came
    /// from a local feed: then, and only then, a file: link may be read, and
    /// only below that folder.
    pub async fn fetch_page(
        &self,
        link: &str,
        local_root: Option<&Path>,
    ) -> Result<FetchOutcome, FetchError> {
        let url = url::Url::parse(link).map_err(|e| FetchError::Refused {
            url: link.to_string(),
            reason: format!("not a URL: {e}"),
        })?;
        match url.scheme() {
            "http" | "https" => self.get(url, reqwest::header::HeaderMap::new()).await,
            "file" => {
                let refuse = |reason: &str| FetchError::Refused {
                    url: link.to_string(),
                    reason: reason.to_string(),
                };
                let root = local_root
                    .ok_or_else(|| refuse("only a local feed may link to local files"))?;
                let path = url.to_file_path().map_err(|_| refuse("not a file path"))?;
                if !super::normalize(&path).starts_with(root) {
                    return Err(refuse("local links must stay inside the feed's folder"));
                }
                // Lexically inside is not enough: a symlink in the folder can
                // point anywhere. The file is read by its resolved path, which
                // must stay inside the folder's own resolved path.
                let file_err = |e: std::io::Error| FetchError::File {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                };
                let real = tokio::fs::canonicalize(&path).await.map_err(file_err)?;
                let real_root = tokio::fs::canonicalize(root).await.map_err(file_err)?;
                if !real.starts_with(&real_root) {
                    return Err(refuse(
                        "the link resolves (through a symlink) outside the feed's folder",
                    ));
                }
                self.read_local(&real).await
            }
            other => Err(FetchError::Refused {
                url: link.to_string(),
                reason: format!("the `{other}` scheme is not fetched"),
            }),
        }
    }

    async fn read_local(&self, path: &Path) -> Result<FetchOutcome, FetchError> {
        let file_err = |e: std::io::Error| FetchError::File {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let meta = tokio::fs::metadata(path).await.map_err(file_err)?;
        if meta.len() > self.settings.max_body_bytes {
            return Err(FetchError::TooLarge {
                url: path.display().to_string(),
                limit: self.settings.max_body_bytes,
            });
        }
        // The size check above cannot see a pipe or a device (they report
        // 0), so the read itself stops past the cap.
        let cap = self.settings.max_body_bytes;
        let owned = path.to_path_buf();
        let body = tokio::task::spawn_blocking(move || super::read_capped(&owned, cap))
            .await
            .map_err(|e| file_err(std::io::Error::other(e)))?
            .map_err(file_err)?
            .ok_or_else(|| FetchError::TooLarge {
                url: path.display().to_string(),
                limit: cap,
            })?;
        Ok(FetchOutcome::Fetched {
            body,
            content_type: None,
            validators: Validators::default(),
            final_url: super::file_url(path),
            moved_to: None,
        })
    }

    /// GET with redirects followed by hand, at most `max_redirects` hops.
    async fn get(
        &self,
        start: url::Url,
        headers: reqwest::header::HeaderMap,
    ) -> Result<FetchOutcome, FetchError> {
        let first = start.to_string();
        let mut url = start;
        let mut all_permanent = true;
        let mut seen = vec![url.clone()];
        let _slot = self.limits.whole_fetch().await;
        for hop in 0..=self.settings.max_redirects {
            // Every hop is checked: a public page may redirect to a private one.
            let refused = |reason| FetchError::Refused {
                url: url.to_string(),
                reason,
            };
            self.policy.check_url(&url).map_err(refused)?;
            // Through a proxy our resolver never sees the name: resolve it
            // here and refuse it if only private addresses answer. (A host
            // listed in no_proxy goes direct, through the resolver; checking
            // it here too costs one lookup.)
            if self.proxied
                && let Some(url::Host::Domain(host)) = url.host()
            {
                self.policy.resolve_allowed(host).await.map_err(refused)?;
            }
            // Held until the body is read, or until the next hop.
            let _host = self.limits.host(&url).await;
            let resp = self
                .client
                .get(url.clone())
                .headers(headers.clone())
                .send()
                .await
                .map_err(|e| self.classify(&url, e))?;
            let status = resp.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(next) = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| url.join(l).ok())
                else {
                    return Err(FetchError::Status {
                        url: url.to_string(),
                        status: status.as_u16(),
                        retry_after: None,
                    });
                };
                if hop == self.settings.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: first,
                        limit: self.settings.max_redirects,
                    });
                }
                if seen.contains(&next) {
                    return Err(FetchError::RedirectLoop { url: first });
                }
                all_permanent &= matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                seen.push(next.clone());
                url = next;
                continue;
            }
            let moved_to = (hop > 0 && all_permanent).then(|| url.to_string());
            return self.read(resp, url.as_str(), moved_to).await;
        }
        unreachable!("the loop returns on its last hop")
    }

    fn classify(&self, url: &url::Url, e: reqwest::Error) -> FetchError {
        if e.is_timeout() {
            FetchError::Timeout {
                url: url.to_string(),
                secs: self.settings.timeout_secs,
            }
        } else {
            FetchError::Unreachable {
                url: url.to_string(),
                reason: error_chain(&e),
            }
        }
    }

    async fn read(
        &self,
        resp: reqwest::Response,
        url: &str,
        moved_to: Option<String>,
    ) -> Result<FetchOutcome, FetchError> {
        let status = resp.status();
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        };
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified { validators });
        }
        if status == StatusCode::GONE {
            return Err(FetchError::Gone {
                url: url.to_string(),
            });
        }
        if !status.is_success() {
            let retry_after = matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
            )
            .then(|| header(RETRY_AFTER).and_then(|v| parse_retry_after(&v, chrono::Utc::now())))
            .flatten();
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after,
            });
        }
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let limit = self.settings.max_body_bytes;
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        // Count decoded bytes as they arrive, so a compression bomb stops at the cap.
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                match self.classify(&url::Url::parse(url).expect("a fetched URL"), e) {
                    // A decoder error mid-stream is the body's fault, not the network's.
                    FetchError::Unreachable { url, reason } => FetchError::Unreachable {
                        url,
                        reason: format!("the response broke off: {reason}"),
                    },
                    other => other,
                }
            })?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Fetched {
            body,
            content_type,
            validators,
            final_url: url.to_string(),
            moved_to,
        })
    }
}

/// Retry-After is either seconds or an HTTP date. Capped at a week.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    const WEEK: u64 = 7 * 24 * 3600;
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(WEEK)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (at.with_timezone(&chrono::Utc) - now).num_seconds().max(0) as u64;
    Some(Duration::from_secs(secs.min(WEEK)))
}

/// reqwest hides the useful part (refused, DNS failure) in the source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetcher() -> Fetcher {
        Fetcher::new(&FetchSettings::default(), Default::default()).unwrap()
    }

    fn local_pages() -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = super::super::normalize(tmp.path());
        std::fs::create_dir_all(root.join("pages")).unwrap();
        std::fs::write(root.join("pages/a.html"), "<p>hello</p>").unwrap();
        std::fs::write(tmp.path().join("secret.txt"), "secret").unwrap();
        (tmp, root)
    }

    #[test]
    fn retry_after_takes_seconds_or_a_date() {
        use chrono::TimeZone;
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 11, 20, 12, 0, 0)
            .unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Fri, 20 Nov 2026 12:05:00 GMT", now),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            parse_retry_after("99999999", now),
            Some(Duration::from_secs(7 * 24 * 3600))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[tokio::test]
    async fn a_local_feed_may_link_to_pages_in_its_folder() {
        let (_tmp, root) = local_pages();
        let link = url::Url::from_file_path(root.join("pages/a.html")).unwrap();
        let got = fetcher()
            .fetch_page(link.as_str(), Some(&root.join("pages")))
            .await
            .unwrap();
        assert!(matches!(got, FetchOutcome::Fetched { body, .. } if body == b"<p>hello</p>"));
    }

    #[tokio::test]
    async fn a_remote_feed_never_reads_the_disk() {
        let (_tmp, root) = local_pages();
        let link = url::Url::from_file_path(root.join("pages/a.html")).unwrap();
        let err = fetcher().fetch_page(link.as_str(), None).await.unwrap_err();
        assert!(
            err.to_string()
                .contains("only a local feed may link to local files"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn local_links_cannot_climb_out_of_the_feed_folder() {
        let (_tmp, root) = local_pages();
        let pages = root.join("pages");
        let sneaky = format!(
            "{}/../secret.txt",
            url::Url::from_file_path(&pages).unwrap()
        );
        let err = fetcher()
            .fetch_page(&sneaky, Some(&pages))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("inside the feed's folder"),
            "{err}"
        );
        let err = fetcher()
            .fetch_page("ftp://example.com/x", Some(&pages))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not fetched"), "{err}");
    }
}
