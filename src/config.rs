//! Typed settings: a TOML file plus `ROUNDUP_<SECTION>__<KEY>` environment
//! overrides, validated once at start-up. Every error names the file (or the
//! variable), the key and what is wrong, on one line, with the key's line.
//! Relative paths, wherever they were set, are resolved against the config
//! file's folder at load time, so every consumer sees the same absolute path.

mod lines;
mod paths;
mod wording;

use crate::domain::{EmailAddress, Section};
use lines::KeyLines;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[derive(Default)]
pub struct Config {
    pub newsletter: NewsletterSettings,
    pub database: DatabaseSettings,
    pub fetch: FetchSettings,
    pub pick: PickSettings,
    pub summary: SummarySettings,
    pub llm: LlmSettings,
    pub delivery: DeliverySettings,
    pub dkim: DkimSettings,
    pub archive: ArchiveSettings,
    pub smtp: SmtpSettings,
    pub schedule: ScheduleSettings,
    pub service: ServiceSettings,
    pub feeds: Vec<FeedSettings>,
    pub subscribers: Vec<SeedSubscriber>,
    /// Where the file was read from. Relative feed paths resolve against its
    /// folder when the feeds are opened; the other paths already were at load.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsletterSettings {
    pub name: String,
    /// `Name <address>` or a bare address.
    pub from: String,
    pub reply_to: Option<String>,
    pub postal_address: String,
    /// Public base URL of this roundup's HTTP endpoints (unsubscribe links).
    pub base_url: String,
    /// Optional mailbox for mailto: unsubscribe requests.
    pub unsubscribe_mailto: Option<String>,
    pub list_id: String,
    /// IANA time zone that editions and schedules are evaluated in.
    pub timezone: String,
    /// HMAC key for unsubscribe tokens. Set it from the environment in production.
    pub secret: String,
    /// Subject template: {name}, {date} and {lead} are replaced.
    pub subject: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` (PATH relative to the config file's folder) or a
    /// PostgreSQL URL.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FetchSettings {
    pub user_agent: String,
    pub connect_timeout_secs: u64,
    pub timeout_secs: u64,
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    pub concurrency: usize,
    /// At most this many requests to one host at a time.
    pub per_host: usize,
    /// New items stored from one feed per fetch, newest first.
    pub max_items_per_fetch: usize,
    /// Hosts (names or IPs) that may be fetched even though they resolve to
    /// private or local addresses. Configured feeds' own hosts are trusted anyway.
    pub allow_private_hosts: Vec<String>,
    /// A proxy for every fetch (`http://host:port`), over any from the
    /// environment (http_proxy, https_proxy, all_proxy, no_proxy). Through
    /// either, each link's host is resolved and checked first.
    pub proxy: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PickSettings {
    pub window_days: i64,
    pub per_section: usize,
    pub max_per_source: usize,
    /// Stories scoring under this are not sent, however empty the section.
    pub min_score: f64,
    /// An edition with fewer stories than this is flagged to the editors.
    pub min_stories: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SummarySettings {
    pub sentences: usize,
    pub max_words: usize,
    /// Feed text shorter than this is treated as an excerpt: the linked page is fetched.
    pub excerpt_words: usize,
    pub words_per_minute: usize,
}

/// Optional DKIM signing. With `domain` empty, messages go out unsigned.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DkimSettings {
    /// The signing domain (d=), usually the From address's domain.
    pub domain: String,
    /// The selector (s=): the public key is published at SELECTOR._domainkey.DOMAIN.
    pub selector: String,
    /// Private key file, relative to the config file's folder: PKCS#1 PEM for
    /// rsa, the base64 32-byte seed for ed25519.
    pub key_file: String,
    /// "rsa" (the default) or "ed25519".
    pub algorithm: String,
}

impl DkimSettings {
    pub fn enabled(&self) -> bool {
        !self.domain.trim().is_empty()
    }
}

/// The public archive: each edition as a web page, an index and an Atom feed,
/// written to `dir` for the HTTP server (or any static host) to serve at `url`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchiveSettings {
    pub enabled: bool,
    /// Folder the pages are written to, relative to the config file's folder.
    pub dir: String,
    /// Public URL the folder is served at; empty means `newsletter.base_url` + `/archive`.
    pub url: String,
}

impl Default for ArchiveSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            dir: "archive".into(),
            url: String::new(),
        }
    }
}

impl Config {
    /// Where archived editions can be read, when the archive is on.
    pub fn archive_url(&self) -> Option<String> {
        let a = &self.archive;
        a.enabled.then(|| {
            let url = if a.url.trim().is_empty() {
                format!("{}/archive", self.newsletter.base_url.trim_end_matches('/'))
            } else {
                a.url.trim().to_string()
            };
            url.trim_end_matches('/').to_string()
        })
    }
}

/// The optional LLM summarizer. With `base_url` empty, summaries stay extractive.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSettings {
    /// Root of an OpenAI-compatible API, e.g. http://localhost:11434/v1 (Ollama)
    /// or http://localhost:8080/v1 (llama.cpp); `/chat/completions` is appended.
    pub base_url: String,
    pub model: String,
    /// The environment variable holding the API key; unset means no key is sent.
    pub api_key_env: String,
    pub timeout_secs: u64,
    /// Calls allowed while building one edition; stories beyond it are summarized extractively.
    pub max_calls_per_edition: usize,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Part of each summary sentence's content words that must occur in the article.
    pub min_grounding: f64,
    /// The article is cut to this many words before it is sent.
    pub max_article_words: usize,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            model: String::new(),
            api_key_env: "OPENAI_API_KEY".into(),
            timeout_secs: 30,
            max_calls_per_edition: 30,
            concurrency: 2,
            min_grounding: 0.6,
            max_article_words: 1500,
        }
    }
}

impl LlmSettings {
    pub fn enabled(&self) -> bool {
        !self.base_url.trim().is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    Outbox,
    Smtp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliverySettings {
    pub transport: TransportKind,
    /// Folder for the outbox transport, relative to the config file's folder;
    /// one sub-folder per edition.
    pub outbox_dir: String,
    pub batch_size: usize,
    /// A claim lasts this long; the worker renews it while it holds the row,
    /// so it only runs out when the worker has died.
    pub lease_secs: i64,
    /// Transient failures are retried until this many attempts...
    pub max_attempts: i64,
    /// ...or until this long after the first attempt.
    pub max_age_secs: i64,
    /// First retry after this, doubling each time (jittered), at most an hour.
    pub retry_after_secs: i64,
    /// Outer bound on one send, whatever the transport.
    pub send_timeout_secs: u64,
    /// Caps on the sending rate; 0 means none.
    pub per_second: u32,
    pub per_hour: u32,
    /// After this many permanent failures (bounces) a subscriber is suppressed.
    pub max_bounces: i64,
    /// This many failures in a row pause the edition...
    pub breaker_failures: u32,
    /// ...for this long, after which sending resumes by itself.
    pub breaker_cooldown_secs: i64,
    /// Pauses one delivery run waits out before it stops and leaves the
    /// rest to the next run.
    pub max_pauses: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS at all: only for a relay on localhost.
    None,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<String>,
    pub pool_size: u32,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// Six-field cron (seconds first) for publishing, in newsletter.timezone.
    pub publish: String,
    pub refresh: String,
    /// A publish slot missed while the service was down still runs if the
    /// service is back within this long; later it is skipped and logged.
    pub catch_up_secs: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Text on a terminal, JSON lines otherwise.
    Auto,
    Text,
    Json,
}

/// `roundup serve`: the HTTP server, and how the process behaves as a service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceSettings {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Bearer token for /api/. Empty: the admin API answers 401 to everyone.
    /// Set it with ROUNDUP_SERVICE__ADMIN_TOKEN rather than in the file.
    pub admin_token: String,
    /// On SIGTERM, sends in flight get this long to finish before the
    /// process exits anyway (their rows' leases then run out and another
    /// run takes them).
    pub shutdown_secs: u64,
    /// Sign-ups allowed per client IP per hour.
    pub subscribe_per_hour: u32,
    /// Header carrying the client's address when behind a reverse proxy
    /// (e.g. "X-Forwarded-For"; its last entry is used). Empty: the peer.
    pub client_ip_header: String,
    pub log_format: LogFormat,
    /// Threads for `serve`'s runtime: 0 is one per core, 1 is a
    /// single-threaded runtime.
    pub worker_threads: usize,
    /// A client must finish a request's head within this long of connecting
    /// (or of its first byte after an idle keep-alive pause).
    pub header_timeout_secs: u64,
    /// From a request's head to its response: the body and the handler.
    pub request_timeout_secs: u64,
    /// A kept-alive connection with nothing to say is closed after this long.
    pub idle_timeout_secs: u64,
    /// Client connections open at once. Each is a file descriptor, so this
    /// stays well below the process's limit, leaving the database, SMTP and
    /// fetch sockets theirs.
    pub max_connections: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// An http(s) URL, or a path relative to this config file.
    pub url: String,
    pub name: Option<String>,
    pub section: Option<Section>,
    #[serde(default = "one")]
    pub weight: f64,
    /// news, personal or aggregator; unset, roundup tells an aggregator by
    /// its links (most point elsewhere) and takes the rest as news.
    pub kind: Option<crate::domain::SourceKind>,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedSubscriber {
    pub email: String,
    pub name: Option<String>,
}

impl Default for NewsletterSettings {
    fn default() -> Self {
        Self {
            name: "Roundup".into(),
            from: "Roundup <roundup@localhost.localdomain>".into(),
            reply_to: None,
            postal_address: String::new(),
            base_url: "http://localhost:8080".into(),
            unsubscribe_mailto: None,
            list_id: "roundup.localhost.localdomain".into(),
            timezone: "UTC".into(),
            secret: String::new(),
            subject: "{name} · {date}: {lead}".into(),
        }
    }
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://data/roundup.db".into(),
        }
    }
}

impl Default for FetchSettings {
    fn default() -> Self {
        Self {
            user_agent: concat!(
                "roundup/",
                env!("CARGO_PKG_VERSION"),
                " (newsletter digest; feed reader)"
            )
            .into(),
            connect_timeout_secs: 10,
            timeout_secs: 30,
            max_body_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            concurrency: 16,
            per_host: 2,
            max_items_per_fetch: 500,
            allow_private_hosts: Vec::new(),
            proxy: String::new(),
        }
    }
}

impl Default for PickSettings {
    fn default() -> Self {
        Self {
            window_days: 7,
            per_section: 5,
            max_per_source: 2,
            // A lone report a week old with a short text scores about 0.24;
            // clickbait and press releases of that kind fall under 0.15.
            min_score: 0.15,
            min_stories: 5,
        }
    }
}

impl Default for SummarySettings {
    fn default() -> Self {
        Self {
            sentences: 2,
            max_words: 60,
            excerpt_words: 120,
            words_per_minute: 230,
        }
    }
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            transport: TransportKind::Outbox,
            outbox_dir: "outbox".into(),
            batch_size: 50,
            lease_secs: 60,
            max_attempts: 5,
            max_age_secs: 24 * 3600,
            retry_after_secs: 60,
            send_timeout_secs: 120,
            per_second: 0,
            per_hour: 0,
            max_bounces: 3,
            breaker_failures: 10,
            breaker_cooldown_secs: 300,
            max_pauses: 1,
        }
    }
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 587,
            tls: TlsMode::Starttls,
            username: None,
            password: None,
            pool_size: 4,
            timeout_secs: 30,
        }
    }
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        Self {
            publish: "0 0 8 * * Mon".into(),
            refresh: "0 0 * * * *".into(),
            catch_up_secs: 6 * 3600,
        }
    }
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            admin_token: String::new(),
            shutdown_secs: 30,
            subscribe_per_hour: 5,
            client_ip_header: String::new(),
            log_format: LogFormat::Auto,
            worker_threads: 0,
            header_timeout_secs: 10,
            request_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: 512,
        }
    }
}

/// A config problem: where, which key, what.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {key}{sep}{message}", sep = if key.is_empty() { "" } else { ": " })]
pub struct ConfigError {
    pub origin: String,
    pub key: String,
    pub message: String,
}

impl ConfigError {
    fn new(origin: impl Into<String>, key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            key: key.into(),
            message: message.into(),
        }
    }
}

const ENV_PREFIX: &str = "ROUNDUP_";

impl Config {
    /// Reads the file, applies the process environment, validates.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                path.display().to_string(),
                "",
                format!("cannot read the config file: {e}"),
            )
        })?;
        let env: Vec<(String, String)> = std::env::vars().collect();
        Self::from_toml(&text, path, &env)
    }

    /// The core of `load`: text, where it came from, and the environment. It
    /// reads nothing but the config's folder, to make its paths absolute.
    pub fn from_toml(
        text: &str,
        path: &Path,
        env: &[(String, String)],
    ) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            ConfigError::new(file.clone(), "", describe_toml_error(text, &e))
        })?;
        let overrides = apply_env(&mut table, env)?;
        let places = Places {
            file,
            lines: KeyLines::scan(text),
            overrides,
        };
        // A Value carries no spans, so the failing key's path comes from
        // serde_path_to_error and its line from the text.
        let mut config: Config = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| {
                places.error(&serde_key(e.path()), wording::explain(e.inner().message()))
            })?;
        config
            .validate()
            .map_err(|(key, message)| places.error(&key, message))?;
        config.source = Some(path.to_path_buf());
        config.resolve_paths(&paths::config_dir(path));
        Ok(config)
    }

    /// Settings that name files, made absolute beside the config file. Done
    /// after validation so its messages quote what the operator wrote.
    fn resolve_paths(&mut self, dir: &Path) {
        self.database.url = paths::database_url(&self.database.url, dir);
        self.delivery.outbox_dir = paths::beside(&self.delivery.outbox_dir, dir);
        self.archive.dir = paths::beside(&self.archive.dir, dir);
        self.dkim.key_file = paths::beside(&self.dkim.key_file, dir);
    }

    /// The folder relative feed paths resolve against (as written, since the
    /// stored feed keys come from it); the other paths are resolved at load.
    pub fn base_dir(&self) -> PathBuf {
        self.source
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    pub fn timezone(&self) -> chrono_tz::Tz {
        self.newsletter
            .timezone
            .parse()
            .expect("validated at load time")
    }

    fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((k.to_string(), m));
        let n = &self.newsletter;
        if n.name.trim().is_empty() {
            return err("newsletter.name", "must not be empty".into());
        }
        if let Err(e) = parse_mailbox(&n.from) {
            return err("newsletter.from", e);
        }
        if let Some(r) = &n.reply_to
            && let Err(e) = parse_mailbox(r)
        {
            return err("newsletter.reply_to", e);
        }
        if let Some(m) = &n.unsubscribe_mailto
            && let Err(e) = EmailAddress::parse(m)
        {
            return err("newsletter.unsubscribe_mailto", e.to_string());
        }
        match url::Url::parse(&n.base_url) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
            _ => {
                return err(
                    "newsletter.base_url",
                    format!("`{}` is not an http(s) URL", n.base_url),
                );
            }
        }
        if n.timezone.parse::<chrono_tz::Tz>().is_err() {
            return err(
                "newsletter.timezone",
                format!(
                    "`{}` is not an IANA time zone (e.g. Europe/Berlin)",
                    n.timezone
                ),
            );
        }
        if n.list_id.trim().is_empty() || n.list_id.contains(['<', '>', ' ']) {
            return err(
                "newsletter.list_id",
                "must be a dotted name like weekly.example.com".into(),
            );
        }
        let db = &self.database.url;
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|p| db.starts_with(p))
        {
            return err(
                "database.url",
                format!(
                    "`{}` is neither sqlite://PATH nor postgres://USER@HOST/DATABASE",
                    crate::store::redact_url(db)
                ),
            );
        }
        let f = &self.fetch;
        if f.concurrency == 0 {
            return err("fetch.concurrency", "must be at least 1".into());
        }
        if f.per_host == 0 {
            return err("fetch.per_host", "must be at least 1".into());
        }
        if f.max_items_per_fetch == 0 {
            return err("fetch.max_items_per_fetch", "must be at least 1".into());
        }
        if f.timeout_secs == 0 || f.connect_timeout_secs == 0 {
            return err(
                "fetch.timeout_secs",
                "timeouts must be at least 1 second".into(),
            );
        }
        if !f.proxy.trim().is_empty() {
            match url::Url::parse(f.proxy.trim()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => {
                    return err(
                        "fetch.proxy",
                        format!(
                            "`{}` is not an http(s) proxy URL (e.g. http://proxy.internal:3128)",
                            crate::store::redact_url(&f.proxy)
                        ),
                    );
                }
            }
        }
        if f.max_body_bytes < 1024 {
            return err("fetch.max_body_bytes", "must be at least 1024".into());
        }
        if self.pick.per_section == 0 {
            return err("pick.per_section", "must be at least 1".into());
        }
        if self.pick.window_days < 1 {
            return err("pick.window_days", "must be at least 1".into());
        }
        if self.pick.max_per_source == 0 {
            return err("pick.max_per_source", "must be at least 1".into());
        }
        if !(self.pick.min_score.is_finite() && self.pick.min_score >= 0.0) {
            return err("pick.min_score", "must be a number, 0 or more".into());
        }
        if self.summary.sentences == 0 || self.summary.max_words < 10 {
            return err(
                "summary.sentences",
                "need at least 1 sentence and max_words of at least 10".into(),
            );
        }
        let l = &self.llm;
        if l.enabled() {
            match url::Url::parse(&l.base_url) {
                Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
                _ => {
                    return err(
                        "llm.base_url",
                        format!(
                            "`{}` is not an http(s) URL (e.g. http://localhost:11434/v1)",
                            l.base_url
                        ),
                    );
                }
            }
            if l.model.trim().is_empty() {
                return err(
                    "llm.model",
                    "is required when llm.base_url is set (e.g. \"llama3.2\")".into(),
                );
            }
            if l.timeout_secs == 0 || l.concurrency == 0 {
                return err(
                    "llm.timeout_secs",
                    "timeout and concurrency must be at least 1".into(),
                );
            }
            if !(0.0..=1.0).contains(&l.min_grounding) {
                return err("llm.min_grounding", "must be between 0 and 1".into());
            }
            if l.max_article_words < 50 {
                return err("llm.max_article_words", "must be at least 50".into());
            }
        }
        let a = &self.archive;
        if a.enabled {
            if a.dir.trim().is_empty() {
                return err(
                    "archive.dir",
                    "must name a folder when the archive is on".into(),
                );
            }
            if !a.url.trim().is_empty() {
                match url::Url::parse(a.url.trim()) {
                    Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
                    _ => {
                        return err("archive.url", format!("`{}` is not an http(s) URL", a.url));
                    }
                }
            }
        }
        let k = &self.dkim;
        if k.enabled() {
            if k.selector.trim().is_empty() || k.key_file.trim().is_empty() {
                return err(
                    "dkim.selector",
                    "dkim.domain needs dkim.selector and dkim.key_file too".into(),
                );
            }
            if !matches!(k.algorithm.as_str(), "" | "rsa" | "ed25519") {
                return err(
                    "dkim.algorithm",
                    format!("`{}` is not rsa or ed25519", k.algorithm),
                );
            }
        }
        let d = &self.delivery;
        if d.batch_size == 0 {
            return err("delivery.batch_size", "must be at least 1".into());
        }
        if d.lease_secs < 3 {
            return err("delivery.lease_secs", "must be at least 3 seconds".into());
        }
        if d.max_attempts < 1 || d.max_bounces < 1 || d.breaker_failures < 1 {
            return err(
                "delivery.max_attempts",
                "max_attempts, max_bounces and breaker_failures must be at least 1".into(),
            );
        }
        if d.send_timeout_secs == 0 {
            return err("delivery.send_timeout_secs", "must be at least 1".into());
        }
        if d.retry_after_secs < 0 || d.breaker_cooldown_secs < 0 || d.max_age_secs < 0 {
            return err(
                "delivery.retry_after_secs",
                "retry_after_secs, breaker_cooldown_secs and max_age_secs cannot be negative"
                    .into(),
            );
        }
        if self.delivery.transport == TransportKind::Smtp && self.smtp.host.trim().is_empty() {
            return err(
                "smtp.host",
                "is required when delivery.transport = \"smtp\"".into(),
            );
        }
        if self.smtp.username.is_some() != self.smtp.password.is_some() {
            return err(
                "smtp.password",
                "username and password go together (set ROUNDUP_SMTP__PASSWORD for the secret)"
                    .into(),
            );
        }
        for (field, expr) in [
            ("schedule.publish", &self.schedule.publish),
            ("schedule.refresh", &self.schedule.refresh),
        ] {
            if expr.split_whitespace().count() != 6 {
                return err(
                    field,
                    format!("`{expr}` must have 6 fields, seconds first (e.g. \"0 0 8 * * Mon\")"),
                );
            }
            if let Err(e) = crate::schedule::Cadence::parse(expr) {
                return err(field, format!("`{expr}`: {e}"));
            }
        }
        if self.schedule.catch_up_secs < 0 {
            return err("schedule.catch_up_secs", "cannot be negative".into());
        }
        let sv = &self.service;
        if sv.bind.parse::<std::net::SocketAddr>().is_err() {
            return err(
                "service.bind",
                format!(
                    "`{}` is not an address and port (e.g. \"127.0.0.1:8080\")",
                    sv.bind
                ),
            );
        }
        if !sv.admin_token.is_empty() && sv.admin_token.len() < 16 {
            return err(
                "service.admin_token",
                "must be at least 16 characters (e.g. from `openssl rand -hex 24`)".into(),
            );
        }
        for (key, value) in [
            ("service.shutdown_secs", sv.shutdown_secs),
            ("service.header_timeout_secs", sv.header_timeout_secs),
            ("service.request_timeout_secs", sv.request_timeout_secs),
            ("service.idle_timeout_secs", sv.idle_timeout_secs),
            ("service.max_connections", sv.max_connections as u64),
        ] {
            if value == 0 {
                return err(key, "must be at least 1".into());
            }
        }
        if self.feeds.is_empty() {
            return err(
                "feeds",
                "no feeds configured: add at least one [[feeds]] entry".into(),
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (i, feed) in self.feeds.iter().enumerate() {
            let key = format!("feeds[{i}].url");
            if feed.url.trim().is_empty() {
                return err(&key, "must not be empty".into());
            }
            if !seen.insert(feed.url.trim()) {
                return err(&key, format!("`{}` is listed twice", feed.url));
            }
            if let Ok(u) = url::Url::parse(&feed.url)
                && u.scheme() != "http"
                && u.scheme() != "https"
            {
                return err(
                    &key,
                    format!(
                        "`{}`: only http(s) URLs or paths relative to the config file",
                        feed.url
                    ),
                );
            }
            if !(feed.weight.is_finite() && feed.weight > 0.0) {
                return err(
                    &format!("feeds[{i}].weight"),
                    "must be a positive number".into(),
                );
            }
        }
        for (i, s) in self.subscribers.iter().enumerate() {
            if let Err(e) = EmailAddress::parse(&s.email) {
                return err(&format!("subscribers[{i}].email"), e.to_string());
            }
        }
        Ok(())
    }
}

/// `Name <addr>` or `addr`, checked the way the mailer will read it.
pub fn parse_mailbox(s: &str) -> Result<lettre::message::Mailbox, String> {
    s.parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("`{s}` is not a mailbox (\"Name <address>\"): {e}"))
}

/// A key set from the environment, so its errors name the variable.
struct Override {
    key: String,
    variable: String,
}

/// Where a key's value came from: the file (with the key's line) or the
/// variable that overrode it.
struct Places {
    file: String,
    lines: KeyLines,
    overrides: Vec<Override>,
}

impl Places {
    fn error(&self, key: &str, message: String) -> ConfigError {
        let set_by = |o: &&Override| {
            key.strip_prefix(o.key.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
        };
        if let Some(o) = self.overrides.iter().find(set_by) {
            return ConfigError::new(format!("environment variable {}", o.variable), key, message);
        }
        let message = match self.lines.find(key) {
            Some(line) => format!("{message} (line {line})"),
            None => message,
        };
        ConfigError::new(self.file.clone(), key, message)
    }
}

/// serde_path_to_error spells the root `.`; the root has no key.
fn serde_key(path: &serde_path_to_error::Path) -> String {
    match path.to_string() {
        root if root == "." => String::new(),
        key => key,
    }
}

/// `ROUNDUP_SMTP__PASSWORD=x` sets `smtp.password`. The value's type comes from
/// the key's default, so a numeric password stays a string. Paths set here
/// resolve against the config file's folder like those in the file.
fn apply_env(
    table: &mut toml::Table,
    env: &[(String, String)],
) -> Result<Vec<Override>, ConfigError> {
    let mut overrides = Vec::new();
    let defaults = toml::Table::try_from(Config::default()).expect("defaults serialize");
    for (name, value) in env {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        if rest == "CONFIG" || rest == "LOG" {
            continue;
        }
        let Some((section, key)) = rest.split_once("__") else {
            continue;
        };
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        let origin = format!("environment variable {name}");
        let found = wording::quoted(value.trim());
        let Some(toml::Value::Table(default_section)) = defaults.get(&section) else {
            return Err(ConfigError::new(
                origin,
                format!("{section}.{key}"),
                "no such config section",
            ));
        };
        let typed = match default_section.get(&key) {
            Some(toml::Value::Integer(_)) => value
                .trim()
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| format!("expected a whole number, found {found}")),
            Some(toml::Value::Float(_)) => value
                .trim()
                .parse::<f64>()
                .map(toml::Value::Float)
                .map_err(|_| format!("expected a number, found {found}")),
            Some(toml::Value::Array(_)) => Ok(toml::Value::Array(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| toml::Value::String(v.to_string()))
                    .collect(),
            )),
            Some(toml::Value::Boolean(_)) => value
                .trim()
                .parse::<bool>()
                .map(toml::Value::Boolean)
                .map_err(|_| format!("expected true or false, found {found}")),
            _ => Ok(toml::Value::String(value.clone())),
        }
        .map_err(|m| ConfigError::new(origin.clone(), format!("{section}.{key}"), m))?;
        let entry = table
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        match entry {
            toml::Value::Table(t) => {
                overrides.push(Override {
                    key: format!("{section}.{key}"),
                    variable: name.clone(),
                });
                t.insert(key, typed);
            }
            _ => {
                return Err(ConfigError::new(
                    origin,
                    section,
                    "is not a table in the config file",
                ));
            }
        }
    }
    Ok(overrides)
}

fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {msg}")
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[newsletter]
name = "Test"
from = "Test <news@example.com>"
timezone = "Europe/Berlin"

[[feeds]]
url = "https://example.com/feed.xml"
section = "tech"
"#;

    fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: Vec<_> = env
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Config::from_toml(text, Path::new("test.toml"), &env)
    }

    #[test]
    fn minimal_file_gets_sane_defaults() {
        let c = load(MINIMAL, &[]).unwrap();
        let here = std::fs::canonicalize(".").unwrap();
        assert_eq!(
            c.database.url,
            format!("sqlite://{}", here.join("data/roundup.db").display())
        );
        assert_eq!(c.delivery.transport, TransportKind::Outbox);
        assert_eq!(c.fetch.concurrency, 16);
        assert_eq!(c.feeds[0].weight, 1.0);
        assert_eq!(c.timezone(), chrono_tz::Europe::Berlin);
    }

    #[test]
    fn environment_overrides_keep_the_key_type() {
        let c = load(
            MINIMAL,
            &[
                ("ROUNDUP_SMTP__USERNAME", "me"),
                ("ROUNDUP_SMTP__PASSWORD", "12345"),
                ("ROUNDUP_SMTP__PORT", "2525"),
                ("ROUNDUP_PICK__PER_SECTION", "3"),
            ],
        )
        .unwrap();
        assert_eq!(c.smtp.password.as_deref(), Some("12345"));
        assert_eq!(c.smtp.port, 2525);
        assert_eq!(c.pick.per_section, 3);
    }

    #[test]
    fn a_bad_override_names_the_variable() {
        let e = load(MINIMAL, &[("ROUNDUP_SMTP__PORT", "many")]).unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("ROUNDUP_SMTP__PORT") && s.contains("smtp.port"),
            "{s}"
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        let text = MINIMAL.replace("timezone", "timezon");
        let s = load(&text, &[]).unwrap_err().to_string();
        assert!(
            s.starts_with("test.toml: newsletter.timezon: unknown field"),
            "{s}"
        );
        assert!(s.contains("(line 5)"), "{s}");
        assert!(!s.contains('\n'));
    }

    #[test]
    fn malformed_toml_gives_the_line() {
        let s = load("[newsletter]\nname = \n", &[])
            .unwrap_err()
            .to_string();
        assert!(s.starts_with("test.toml: line 2:"), "{s}");
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases = [
            (
                MINIMAL.replace("Europe/Berlin", "Mars/Olympus"),
                "newsletter.timezone",
            ),
            (
                MINIMAL.replace("Test <news@example.com>", "nobody"),
                "newsletter.from",
            ),
            (
                MINIMAL.replace("section = \"tech\"", "weight = -1.0"),
                "feeds[0].weight",
            ),
            (
                MINIMAL.replace("https://example.com/feed.xml", "ftp://x/y"),
                "feeds[0].url",
            ),
        ];
        for (text, key) in cases {
            let s = load(&text, &[]).unwrap_err().to_string();
            assert!(s.contains(key), "{key}: {s}");
        }
    }

    #[test]
    fn a_rejected_database_url_does_not_show_its_password() {
        let text = format!("{MINIMAL}\n[database]\nurl = \"mysql://u:hunter22@db/x\"\n");
        let s = load(&text, &[]).unwrap_err().to_string();
        assert!(s.contains("database.url") && !s.contains("hunter22"), "{s}");
    }

    #[test]
    fn smtp_transport_needs_a_host() {
        let text = format!("{MINIMAL}\n[delivery]\ntransport = \"smtp\"\n");
        let s = load(&text, &[]).unwrap_err().to_string();
        assert!(s.contains("smtp.host"), "{s}");
    }

    fn load_at(path: &str, text: &str, env: &[(&str, &str)]) -> Config {
        let env: Vec<_> = env
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        Config::from_toml(text, Path::new(path), &env).unwrap()
    }

    #[test]
    fn relative_paths_resolve_against_the_config_folder() {
        let text = format!(
            "{MINIMAL}\n[database]\nurl = \"sqlite://data/news.db?mode=rwc\"\n\
             [delivery]\noutbox_dir = \"../spool/outbox\"\n\
             [archive]\nenabled = true\ndir = \"/srv/www/archive\"\n\
             [dkim]\ndomain = \"example.com\"\nselector = \"s1\"\nkey_file = \"./keys/../keys/dkim.pem\"\n"
        );
        let c = load_at("/nonexistent/roundup/roundup.toml", &text, &[]);
        assert_eq!(
            c.database.url,
            "sqlite:///nonexistent/roundup/data/news.db?mode=rwc"
        );
        assert_eq!(c.delivery.outbox_dir, "/nonexistent/spool/outbox");
        assert_eq!(c.archive.dir, "/srv/www/archive");
        assert_eq!(c.dkim.key_file, "/nonexistent/roundup/keys/dkim.pem");
    }

    #[test]
    fn defaults_and_overrides_resolve_like_the_file() {
        let c = load_at(
            "/nonexistent/roundup/roundup.toml",
            MINIMAL,
            &[("ROUNDUP_DELIVERY__OUTBOX_DIR", "mail")],
        );
        assert_eq!(
            c.database.url,
            "sqlite:///nonexistent/roundup/data/roundup.db"
        );
        assert_eq!(c.delivery.outbox_dir, "/nonexistent/roundup/mail");
        assert_eq!(c.archive.dir, "/nonexistent/roundup/archive");
        assert_eq!(c.dkim.key_file, "", "an unset key stays unset");
    }

    #[test]
    fn memory_and_server_databases_are_not_paths() {
        for url in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "postgres://roundup@localhost/roundup",
        ] {
            let c = load_at(
                "/nonexistent/roundup.toml",
                MINIMAL,
                &[("ROUNDUP_DATABASE__URL", url)],
            );
            assert_eq!(c.database.url, url);
        }
    }

    #[test]
    fn the_folder_is_the_real_one_when_the_file_exists() {
        let tmp = tempfile::tempdir().unwrap();
        let real = std::fs::canonicalize(tmp.path()).unwrap();
        std::fs::create_dir(real.join("config")).unwrap();
        let path = tmp.path().join("config/./roundup.toml");
        let c = load_at(path.to_str().unwrap(), MINIMAL, &[]);
        assert_eq!(
            c.delivery.outbox_dir,
            real.join("config/outbox").display().to_string()
        );
    }

    /// Line numbers below are this text's: keep it as it is.
    const NUMBERED: &str = r#"[newsletter]
name = "Test"
from = "Test <news@example.com>"

[pick]
window_days = 7
per_section = 5
max_per_source = 2

[delivery]
transport = "outbox"

[[feeds]]
url = "https://example.com/a.xml"

[[feeds]]
url = "https://example.com/b.xml"
name = "B"

[[feeds]]
url = "https://example.com/c.xml"
name = "C"

[[subscribers]]
email = "ada@example.com"

[[subscribers]]
email = "grace@example.org"
name = "Grace"
"#;

    fn error_in(text: &str, env: &[(&str, &str)]) -> String {
        let s = load(text, env).unwrap_err().to_string();
        assert!(!s.contains('\n'), "one line: {s}");
        s
    }

    #[test]
    fn a_feed_without_url_is_named_by_its_entry() {
        let text = NUMBERED.replace("url = \"https://example.com/c.xml\"\n", "");
        assert_eq!(
            error_in(&text, &[]),
            "test.toml: feeds[2]: missing field url (line 20)"
        );
    }

    #[test]
    fn a_subscriber_without_email_is_named_by_its_entry() {
        let text = NUMBERED.replace("email = \"grace@example.org\"\n", "");
        assert_eq!(
            error_in(&text, &[]),
            "test.toml: subscribers[1]: missing field email (line 27)"
        );
    }

    #[test]
    fn text_where_a_number_belongs() {
        let text = NUMBERED.replace("per_section = 5", "per_section = \"five\"");
        assert_eq!(
            error_in(&text, &[]),
            r#"test.toml: pick.per_section: expected a whole number, found "five" (line 7)"#
        );
    }

    #[test]
    fn a_fraction_where_a_whole_number_belongs() {
        let text = NUMBERED.replace("max_per_source = 2", "max_per_source = 2.5");
        assert_eq!(
            error_in(&text, &[]),
            "test.toml: pick.max_per_source: expected a whole number, found 2.5 (line 8)"
        );
    }

    #[test]
    fn a_bad_choice_lists_the_allowed_ones() {
        let text = NUMBERED.replace("\"outbox\"", "\"pigeon\"");
        assert_eq!(
            error_in(&text, &[]),
            r#"test.toml: delivery.transport: expected "outbox" or "smtp", found "pigeon" (line 11)"#
        );
    }

    #[test]
    fn a_value_from_the_environment_names_its_variable() {
        assert_eq!(
            error_in(NUMBERED, &[("ROUNDUP_DELIVERY__TRANSPORT", "pigeon")]),
            "environment variable ROUNDUP_DELIVERY__TRANSPORT: delivery.transport: \
             expected \"outbox\" or \"smtp\", found \"pigeon\""
        );
        assert_eq!(
            error_in(NUMBERED, &[("ROUNDUP_SMTP__PORT", "70000")]),
            "environment variable ROUNDUP_SMTP__PORT: smtp.port: \
             expected a whole number from 0 to 65535, found 70000"
        );
        assert_eq!(
            error_in(NUMBERED, &[("ROUNDUP_PICK__PER_SECTION", "0")]),
            "environment variable ROUNDUP_PICK__PER_SECTION: pick.per_section: must be at least 1"
        );
    }

    #[test]
    fn validation_errors_carry_the_line_too() {
        let text = NUMBERED.replace("per_section = 5", "per_section = 0");
        assert_eq!(
            error_in(&text, &[]),
            "test.toml: pick.per_section: must be at least 1 (line 7)"
        );
        let text = NUMBERED.replace("https://example.com/b.xml", "ftp://example.com/b");
        let s = error_in(&text, &[]);
        assert!(s.starts_with("test.toml: feeds[1].url: `ftp://"), "{s}");
        assert!(s.ends_with("(line 17)"), "{s}");
    }
}
