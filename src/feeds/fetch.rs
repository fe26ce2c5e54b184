//! Bounded HTTP and local-file fetching. Every fetch has a connect timeout, a
//! total timeout, a redirect cap and a body-size cap enforced while streaming.

use super::{FeedLocation, FeedSource};
use crate::config::FetchSettings;
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use std::path::Path;
use std::time::Duration;

/// Validators the server gave us, sent back on the next request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug)]
pub enum FetchOutcome {
    NotModified,
    Fetched {
        body: Vec<u8>,
        content_type: Option<String>,
        validators: Validators,
        final_url: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} timed out after {secs} s")]
    Timeout { url: String, secs: u64 },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url} is larger than the {limit}-byte cap")]
    TooLarge { url: String, limit: u64 },
    #[error("cannot read {path}: {reason}")]
    File { path: String, reason: String },
    #[error("{url}: {reason}")]
    Refused { url: String, reason: String },
}

pub struct Fetcher {
    client: reqwest::Client,
    settings: FetchSettings,
}

impl Fetcher {
    pub fn new(settings: &FetchSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .timeout(Duration::from_secs(settings.timeout_secs))
            .redirect(reqwest::redirect::Policy::limited(settings.max_redirects))
            .build()?;
        Ok(Self {
            client,
            settings: settings.clone(),
        })
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// Fetches a feed, conditionally when validators are known.
    pub async fn fetch_feed(&self, feed: &FeedSource) -> Result<FetchOutcome, FetchError> {
        match &feed.location {
            FeedLocation::Local(path) => self.read_local(path).await,
            FeedLocation::Remote(url) => {
                let mut req = self.client.get(url.clone()).header(
                    reqwest::header::ACCEPT,
                    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5",
                );
                if let Some(etag) = &feed.etag {
                    req = req.header(IF_NONE_MATCH, etag);
                }
                if let Some(lm) = &feed.last_modified {
                    req = req.header(IF_MODIFIED_SINCE, lm);
                }
                self.send(req, url.as_str()).await
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
            "http" | "https" => self.send(self.client.get(url.clone()), url.as_str()).await,
            "file" => {
                let refuse = |reason: &str| FetchError::Refused {
                    url: link.to_string(),
                    reason: reason.to_string(),
                };
                let root = local_root
                    .ok_or_else(|| refuse("only a local feed may link to local files"))?;
                let path = url.to_file_path().map_err(|_| refuse("not a file path"))?;
                let path = super::normalize(&path);
                if !path.starts_with(root) {
                    return Err(refuse("local links must stay inside the feed's folder"));
                }
                self.read_local(&path).await
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
        let body = tokio::fs::read(path).await.map_err(file_err)?;
        Ok(FetchOutcome::Fetched {
            body,
            content_type: None,
            validators: Validators::default(),
            final_url: super::file_url(path),
        })
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<FetchOutcome, FetchError> {
        let classify = |e: reqwest::Error| {
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
        };
        let resp = req.send().await.map_err(classify)?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome::NotModified);
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
            });
        }
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
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let final_url = resp.url().to_string();
        let limit = self.settings.max_body_bytes;
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge {
                url: url.to_string(),
                limit,
            });
        }
        // Count decoded bytes as they arrive, so a compression bomb stops at the cap.
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(classify)?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge {
                    url: url.to_string(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchOutcome::Fetched {
            body,
            content_type,
            validators,
            final_url,
        })
    }
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
        Fetcher::new(&FetchSettings::default()).unwrap()
    }

    fn local_pages() -> (tempfile::TempDir, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = super::super::normalize(tmp.path());
        std::fs::create_dir_all(root.join("pages")).unwrap();
        std::fs::write(root.join("pages/a.html"), "<p>hello</p>").unwrap();
        std::fs::write(tmp.path().join("secret.txt"), "secret").unwrap();
        (tmp, root)
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
