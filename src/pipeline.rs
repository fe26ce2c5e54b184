//! The only place that chains stages:
//! refresh (fetch → parse → store), publish (pick → extract → summarize →
//! assemble → store the edition and its ledger), deliver (render → send).

use crate::assemble::{self, Digest, Summarized};
use crate::config::{Config, TransportKind};
use crate::deliver::{self, DeliveryReport, Mailer, OutboxMailer, SmtpMailer};
use crate::domain::{EditionKey, EmailAddress, Section, SubscriberName};
use crate::extract::{self, TextSource, clean, page};
use crate::feeds::fetch::{FetchError, FetchOutcome, Fetcher};
use crate::feeds::parse::{canonical_link, parse_feed};
use crate::feeds::{FeedLocation, FeedSource};
use crate::pick::{self, Candidate, Pick, RunnerUp, Steering};
use crate::render::{Recipient, Renderer};
use crate::store::{NewItem, Store, StoredEdition, now_ts};
use crate::summarize::{Article, Budget, Extractive, Llm, Origin, Summarizer, Summary};
use anyhow::Context;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// Everything a command needs, built once from the config.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub fetcher: Fetcher,
    pub renderer: Renderer,
    pub summarizer: Box<dyn Summarizer>,
    /// DKIM signer, when the config asks for one; loaded at start so a bad key fails early.
    pub signer: Option<crate::deliver::dkim::Signer>,
    feeds: Vec<ConfiguredFeed>,
}

#[derive(Debug, Clone)]
struct ConfiguredFeed {
    location: FeedLocation,
    name: String,
    section: Option<Section>,
    weight: f64,
    kind: Option<crate::domain::SourceKind>,
}

impl App {
    pub async fn new(config: Config) -> anyhow::Result<Self> {
        let store = Store::connect(&config.database.url).await?;
        let renderer = Renderer::new(&config.newsletter, config.archive_url());
        let fetcher = fetcher_for(&config)?;
        let feeds = configured_feeds(&config);
        let summarizer: Box<dyn Summarizer> = if config.llm.enabled() {
            tracing::info!(endpoint = %crate::store::redact_url(&config.llm.base_url), model = %config.llm.model, "summaries by LLM, checked against the article");
            Box::new(Llm::from_env(&config.llm)?)
        } else {
            Box::new(Extractive::default())
        };
        let signer = crate::deliver::dkim::Signer::from_settings(&config.dkim)?;
        let app = Self {
            signer,
            config,
            store,
            fetcher,
            renderer,
            summarizer,
            feeds,
        };
        app.seed_subscribers().await?;
        Ok(app)
    }

    async fn seed_subscribers(&self) -> anyhow::Result<()> {
        for s in &self.config.subscribers {
            let email = EmailAddress::parse(&s.email)?;
            self.store
                .seed_subscriber(
                    &email,
                    SubscriberName::parse_opt(s.name.as_deref()).as_ref(),
                    now_ts(),
                )
                .await?;
        }
        Ok(())
    }

    pub fn edition_key(&self, now: DateTime<Utc>) -> EditionKey {
        EditionKey::for_instant(now, self.config.timezone())
    }

    /// The mailer the config asks for; the outbox gets one folder per edition.
    pub fn mailer(&self, edition: &str) -> anyhow::Result<Box<dyn Mailer>> {
        Ok(match self.config.delivery.transport {
            TransportKind::Outbox => {
                let dir = self.outbox_dir(edition);
                Box::new(
                    OutboxMailer::new(&dir)
                        .with_context(|| {
                            format!("cannot create the outbox folder {}", dir.display())
                        })?
                        .with_signer(self.signer.clone()),
                )
            }
            TransportKind::Smtp => {
                Box::new(SmtpMailer::new(&self.config.smtp)?.with_signer(self.signer.clone()))
            }
        })
    }

    /// A configured feed by its name (any case) or its URL: its store key and name.
    pub fn find_feed(&self, name_or_url: &str) -> Option<(String, String)> {
        let wanted = name_or_url.trim();
        self.feeds
            .iter()
            .find(|f| {
                f.name.eq_ignore_ascii_case(wanted)
                    || f.location.key() == wanted
                    || self.config.feeds.iter().any(|c| {
                        c.url == wanted
                            && FeedLocation::from_config(&c.url, &self.config.base_dir())
                                == f.location
                    })
            })
            .map(|f| (f.location.key(), f.name.clone()))
    }

    pub fn outbox_dir(&self, edition: &str) -> PathBuf {
        Path::new(&self.config.delivery.outbox_dir).join(edition)
    }
}

/// The fetcher for feeds and pages. The operator chose the feeds' hosts:
/// those may be on private addresses, anything else a feed links to must be
/// public.
fn fetcher_for(config: &Config) -> anyhow::Result<Fetcher> {
    let feed_hosts: Vec<String> = config
        .feeds
        .iter()
        .filter_map(|f| url::Url::parse(&f.url).ok())
        .filter_map(|u| u.host_str().map(str::to_string))
        .collect();
    let policy = crate::feeds::guard::AddressPolicy::new(
        &config.fetch.allow_private_hosts,
        feed_hosts.iter().map(String::as_str),
    );
    Fetcher::new(&config.fetch, policy)
}

fn configured_feeds(config: &Config) -> Vec<ConfiguredFeed> {
    let base = config.base_dir();
    config
        .feeds
        .iter()
        .map(|f| {
            let location = FeedLocation::from_config(&f.url, &base);
            let name = f.name.clone().unwrap_or_else(|| default_name(&location));
            ConfiguredFeed {
                location,
                name,
                section: f.section,
                weight: f.weight,
                kind: f.kind,
            }
        })
        .collect()
}

fn default_name(loc: &FeedLocation) -> String {
    match loc {
        FeedLocation::Remote(u) => u
            .host_str()
            .unwrap_or("feed")
            .trim_start_matches("www.")
            .to_string(),
        FeedLocation::Local(p) => p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "feed".into()),
    }
}

// ---------------------------------------------------------------- refresh

#[derive(Debug, Clone)]
pub enum FeedOutcome {
    Fetched {
        items: usize,
        new: usize,
        /// New items not stored: the feed offered more than `fetch.max_items_per_fetch`.
        left_out: usize,
        /// What had to be repaired for the feed to parse.
        repairs: Vec<&'static str>,
        /// New address after a permanent redirect.
        moved_to: Option<String>,
    },
    NotModified,
    /// Not fetched this time, and why (backing off, disabled).
    Skipped(String),
    Failed(String),
    /// 410 Gone: disabled from now on.
    Gone(String),
}

#[derive(Debug, Clone)]
pub struct FeedReport {
    pub name: String,
    pub url: String,
    pub outcome: FeedOutcome,
}

#[derive(Debug, Clone, Default)]
pub struct RefreshReport {
    pub feeds: Vec<FeedReport>,
}

impl RefreshReport {
    /// Feeds that gave nothing this time: failed, gone or skipped.
    pub fn failures(&self) -> impl Iterator<Item = &FeedReport> {
        self.feeds.iter().filter(|f| {
            matches!(
                f.outcome,
                FeedOutcome::Failed(_) | FeedOutcome::Gone(_) | FeedOutcome::Skipped(_)
            )
        })
    }

    pub fn new_items(&self) -> usize {
        self.feeds
            .iter()
            .map(|f| match f.outcome {
                FeedOutcome::Fetched { new, .. } => new,
                _ => 0,
            })
            .sum()
    }
}

/// Fetches every configured feed that is due, concurrently (`fetch.concurrency`,
/// at most `fetch.per_host` per host, shared with page fetches), and stores new items. One bad feed is
/// recorded and reported; it never stops the others.
pub async fn refresh(app: &App, now: DateTime<Utc>) -> anyhow::Result<RefreshReport> {
    let mut jobs = Vec::new();
    for f in &app.feeds {
        let state = app.store.upsert_feed(&f.location.key(), &f.name).await?;
        let source = FeedSource {
            id: state.id,
            location: f.location.clone(),
            name: f.name.clone(),
            section_hint: f.section,
            weight: f.weight,
            etag: state.validators.etag.clone(),
            last_modified: state.validators.last_modified.clone(),
        };
        jobs.push((source, state));
    }
    let reports = futures_util::stream::iter(jobs)
        // The fetcher holds each host to `fetch.per_host`; this bounds the
        // feeds in flight, parsing and storing included.
        .map(|(src, state)| refresh_one(app, src, state, now))
        .buffer_unordered(app.config.fetch.concurrency)
        .collect::<Vec<_>>()
        .await;
    let mut feeds = Vec::new();
    for r in reports {
        feeds.push(r?);
    }
    feeds.sort_by(|a, b| a.name.cmp(&b.name));
    let report = RefreshReport { feeds };
    report.record();
    Ok(report)
}

impl RefreshReport {
    /// Metrics and the one summary line a refresh logs.
    fn record(&self) {
        use crate::telemetry::{FEEDS_FETCHED, ITEMS_NEW};
        let mut tally = [0usize; 5];
        for f in &self.feeds {
            let (i, outcome) = match f.outcome {
                FeedOutcome::Fetched { .. } => (0, "ok"),
                FeedOutcome::NotModified => (1, "not_modified"),
                FeedOutcome::Skipped(_) => (2, "skipped"),
                FeedOutcome::Failed(_) => (3, "failed"),
                FeedOutcome::Gone(_) => (4, "gone"),
            };
            tally[i] += 1;
            metrics::counter!(FEEDS_FETCHED, "outcome" => outcome).increment(1);
        }
        let new = self.new_items();
        metrics::counter!(ITEMS_NEW).increment(new as u64);
        tracing::info!(
            feeds = self.feeds.len(),
            ok = tally[0],
            not_modified = tally[1],
            skipped = tally[2],
            failed = tally[3],
            gone = tally[4],
            new_items = new,
            "refresh done"
        );
    }
}

async fn refresh_one(
    app: &App,
    src: FeedSource,
    state: crate::store::FeedState,
    now: DateTime<Utc>,
) -> anyhow::Result<FeedReport> {
    let url = src.location.key();
    let report = |outcome| FeedReport {
        name: src.name.clone(),
        url: url.clone(),
        outcome,
    };
    let ts = now.timestamp();
    if state.disabled {
        let why = state.last_error.unwrap_or_else(|| "disabled".into());
        return Ok(report(FeedOutcome::Skipped(format!(
            "disabled ({why}); fix or remove it in the config"
        ))));
    }
    if let Some(next) = state.next_check_at.filter(|t| *t > now) {
        let why = state.last_error.unwrap_or_default();
        return Ok(report(FeedOutcome::Skipped(format!(
            "backing off until {} after: {why}",
            next.format("%Y-%m-%d %H:%M UTC")
        ))));
    }
    let outcome = app
        .fetcher
        .fetch_feed(&src, state.fetch_url.as_deref())
        .await;
    let (body, content_type, validators, final_url, moved_to) = match outcome {
        Ok(FetchOutcome::NotModified { validators }) => {
            app.store
                .record_not_modified(src.id, &validators, ts)
                .await?;
            return Ok(report(FeedOutcome::NotModified));
        }
        Ok(FetchOutcome::Fetched {
            body,
            content_type,
            validators,
            final_url,
            moved_to,
        }) => (body, content_type, validators, final_url, moved_to),
        Err(FetchError::Gone { url: gone }) => {
            let msg = format!("{gone} answered 410 Gone: the publisher removed this feed");
            tracing::warn!(feed = %src.name, "{msg}; disabling it");
            app.store.disable_feed(src.id, &msg, ts).await?;
            return Ok(report(FeedOutcome::Gone(msg)));
        }
        Err(e) => {
            let retry_after = match &e {
                FetchError::Status { retry_after, .. } => retry_after.map(|d| d.as_secs() as i64),
                _ => None,
            };
            let msg = e.to_string();
            tracing::warn!(feed = %src.name, error = %msg, "feed failed");
            app.store
                .record_fetch_error(src.id, &msg, retry_after, ts)
                .await?;
            return Ok(report(FeedOutcome::Failed(msg)));
        }
    };
    if let Some(new_url) = &moved_to {
        tracing::warn!(feed = %src.name, from = %url, to = %new_url, "feed moved permanently; fetching it from the new address (update the config)");
        app.store.set_fetch_url(src.id, new_url).await?;
    }
    let base = url::Url::parse(&final_url)
        .ok()
        .or_else(|| src.location.base_url());
    let parsed = match parse_feed(&body, content_type.as_deref(), &url, base.as_ref()) {
        Ok(p) => p,
        Err(e) => {
            let msg = format!("{final_url}: {e}");
            tracing::warn!(feed = %src.name, error = %msg, "feed failed");
            app.store.record_fetch_error(src.id, &msg, None, ts).await?;
            return Ok(report(FeedOutcome::Failed(msg)));
        }
    };
    if !parsed.repairs.is_empty() {
        tracing::info!(feed = %src.name, repairs = %parsed.repairs.join(", "), "feed repaired before parsing");
    }
    let excerpt_words = app.config.summary.excerpt_words;
    let keys: Vec<&str> = parsed.items.iter().map(|i| i.key.as_str()).collect();
    let known = app.store.known_item_keys(&keys).await?;
    let mut fresh: Vec<NewItem<'_>> = parsed
        .items
        .iter()
        .filter(|item| !known.contains(item.key.as_str()))
        .map(|item| {
            let text = extract::text_from_feed(item.content.as_deref(), item.summary.as_deref());
            let text_source = if extract::word_count(&text) >= excerpt_words {
                TextSource::Feed
            } else {
                TextSource::Excerpt
            };
            NewItem {
                item,
                canonical_link: item.link.as_deref().map(canonical_link),
                published: published_at(item.published, state.fetched_before, now),
                article_text: text,
                text_source,
            }
        })
        .collect();
    // What an earlier cut left out stays out, or a backlog would come in
    // one fetch's worth at a time.
    if let Some(before) = state.cut_before {
        fresh.retain(|n| n.published >= before);
    }
    let max = app.config.fetch.max_items_per_fetch;
    let cut = cut_to_newest(&mut fresh, max);
    let new = app.store.insert_items(src.id, &fresh, ts).await?;
    if let Some(cut) = &cut {
        let recent = cut.since(now - chrono::Duration::days(app.config.pick.window_days));
        if recent > 0 {
            tracing::warn!(feed = %src.name, kept = fresh.len(), left_out = cut.count(), within_window = recent,
                "feed offered more new items than fetch.max_items_per_fetch ({max}); the oldest were left out");
        } else {
            tracing::info!(feed = %src.name, kept = fresh.len(), left_out = cut.count(), oldest_kept = %cut.oldest_kept,
                "feed offered more new items than fetch.max_items_per_fetch ({max}); older ones left out");
        }
    }
    let left_out = cut.as_ref().map_or(0, Cut::count);
    app.store
        .record_fetch_success(
            src.id,
            Some(&validators),
            new,
            cut.as_ref().map(|c| (c.count(), c.oldest_kept)),
            ts,
        )
        .await?;
    tracing::info!(feed = %src.name, items = parsed.items.len(), new, left_out, "feed refreshed");
    Ok(report(FeedOutcome::Fetched {
        items: parsed.items.len(),
        new,
        left_out,
        repairs: parsed.repairs,
        moved_to,
    }))
}

/// When an item counts as published. Future dates are clamped to now. An
/// undated item counts from when roundup first saw it, except on a feed's
/// first fetch: that fetch only finds what already existed, so its undated
/// items are dated before any window (the Unix epoch) and never lead an
/// edition as new.
fn published_at(
    date: Option<DateTime<Utc>>,
    fetched_before: bool,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    match date {
        Some(d) => d.min(now),
        None if fetched_before => now,
        None => DateTime::UNIX_EPOCH,
    }
}

/// The new items a fetch left out, newest first kept.
#[derive(Debug, Clone, PartialEq)]
struct Cut {
    /// When the oldest kept item was published.
    oldest_kept: DateTime<Utc>,
    left_out: Vec<DateTime<Utc>>,
}

impl Cut {
    fn count(&self) -> usize {
        self.left_out.len()
    }

    /// How many of the items left out were published since `t`.
    fn since(&self, t: DateTime<Utc>) -> usize {
        self.left_out.iter().filter(|p| **p >= t).count()
    }
}

/// Keeps the newest `max` items (ties in feed order) and says what went.
/// A feed of tens of thousands of entries (an archive dump, or a hostile
/// one) would otherwise be stored whole, and every edition built over it.
fn cut_to_newest(items: &mut Vec<NewItem<'_>>, max: usize) -> Option<Cut> {
    if items.len() <= max {
        return None;
    }
    items.sort_by_key(|i| std::cmp::Reverse(i.published));
    let left_out: Vec<DateTime<Utc>> = items.drain(max..).map(|i| i.published).collect();
    Some(Cut {
        oldest_kept: items
            .last()
            .map_or(DateTime::<Utc>::MIN_UTC, |i| i.published),
        left_out,
    })
}

/// One configured feed as `check-config` found it.
#[derive(Debug, Clone)]
pub struct FeedProbe {
    pub name: String,
    /// Where it is read from: the URL, or the file's path.
    pub location: String,
    /// What was found, or why it cannot be read.
    pub result: Result<String, String>,
}

/// Reads every configured feed once, as a refresh would (the same fetcher,
/// limits and address policy; a local file must exist and be readable), and
/// parses it, storing nothing. No validators are sent, so a server answers
/// with the feed itself.
pub async fn probe_feeds(config: &Config) -> anyhow::Result<Vec<FeedProbe>> {
    let fetcher = fetcher_for(config)?;
    let probes = futures_util::stream::iter(configured_feeds(config))
        .map(|f| {
            let fetcher = &fetcher;
            async move {
                let location = match &f.location {
                    FeedLocation::Remote(u) => crate::store::redact_url(u.as_str()),
                    FeedLocation::Local(p) => p.display().to_string(),
                };
                let src = FeedSource {
                    id: 0,
                    location: f.location.clone(),
                    name: f.name.clone(),
                    section_hint: f.section,
                    weight: f.weight,
                    etag: None,
                    last_modified: None,
                };
                let result = match fetcher.fetch_feed(&src, None).await {
                    Ok(FetchOutcome::Fetched {
                        body,
                        content_type,
                        final_url,
                        moved_to,
                        ..
                    }) => {
                        let base = url::Url::parse(&final_url)
                            .ok()
                            .or_else(|| f.location.base_url());
                        match parse_feed(
                            &body,
                            content_type.as_deref(),
                            &f.location.key(),
                            base.as_ref(),
                        ) {
                            Ok(parsed) => {
                                let mut found = format!("{} entries", parsed.items.len());
                                if !parsed.repairs.is_empty() {
                                    found.push_str(&format!(
                                        ", repaired: {}",
                                        parsed.repairs.join(", ")
                                    ));
                                }
                                if let Some(to) = moved_to {
                                    found.push_str(&format!(
                                        "; moved permanently to {}: update the config",
                                        crate::store::redact_url(&to)
                                    ));
                                }
                                Ok(found)
                            }
                            Err(e) => Err(format!("{location}: not a feed it can read: {e}")),
                        }
                    }
                    Ok(FetchOutcome::NotModified { .. }) => Ok("answered 304 not modified".into()),
                    Err(e) => Err(match &f.location {
                        FeedLocation::Remote(u) => {
                            crate::store::redact_in(&e.to_string(), u.as_str())
                        }
                        FeedLocation::Local(_) => e.to_string(),
                    }),
                };
                FeedProbe {
                    name: f.name,
                    location,
                    result,
                }
            }
        })
        .buffered(config.fetch.concurrency.max(1))
        .collect()
        .await;
    Ok(probes)
}

// ---------------------------------------------------------------- publish

/// Whether page texts fetched while building are written back to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildMode {
    Publish,
    Preview,
}

/// A digest and what went into it.
#[derive(Debug, Clone)]
pub struct Built {
    pub digest: Digest,
    pub picks: Vec<Pick>,
    /// The best stories left out, per section, with the reason.
    pub runners_up: Vec<RunnerUp>,
    /// The week's items that are not news, kept out before ranking.
    pub not_news: Vec<pick::KeptOut>,
    pub item_ids: Vec<i64>,
    /// Pinned URLs that no stored item matches (yet).
    pub unmatched_pins: Vec<String>,
}

pub async fn build_digest(app: &App, now: DateTime<Utc>, mode: BuildMode) -> anyhow::Result<Built> {
    let key = app.edition_key(now);
    let settings = &app.config.pick;
    let since = now - chrono::Duration::days(settings.window_days);
    let by_feed: HashMap<String, &ConfiguredFeed> =
        app.feeds.iter().map(|f| (f.location.key(), f)).collect();
    let feed_of: HashMap<i64, &ConfiguredFeed> = app
        .store
        .feed_ids()
        .await?
        .into_iter()
        .filter_map(|(id, url)| by_feed.get(&url).map(|f| (id, *f)))
        .collect();
    let mut items = app.store.edition_candidates(since).await?;
    let stored = app.store.steering().await?;
    let weight_of: HashMap<&str, f64> = stored
        .weights
        .iter()
        .map(|(url, w)| (url.as_str(), *w))
        .collect();
    let steering = Steering {
        pinned: stored.pins.iter().map(|(c, _)| c.clone()).collect(),
        blocked_items: stored.blocked_items.iter().cloned().collect(),
        blocked_feeds: feed_of
            .iter()
            .filter(|(_, f)| stored.blocked_sources.contains(&f.location.key()))
            .map(|(id, _)| *id)
            .collect(),
    };
    let unmatched_pins: Vec<String> = stored
        .pins
        .iter()
        .filter(|(c, _)| !items.iter().any(|it| it.canonical_link.as_ref() == Some(c)))
        .map(|(_, url)| url.clone())
        .collect();
    // Each text moves into its candidate: a week of many thousand items is
    // held once, not twice.
    let mut candidates: Vec<Candidate> = items
        .iter_mut()
        .filter_map(|it| {
            // Items of feeds the operator has since removed no longer count.
            let feed = feed_of.get(&it.feed_id)?;
            let key = feed.location.key();
            Some(Candidate {
                item_id: it.id,
                feed_id: it.feed_id,
                source_name: feed.name.clone(),
                source_weight: weight_of.get(key.as_str()).copied().unwrap_or(feed.weight),
                source_kind: feed.kind,
                section_hint: feed.section,
                title: it.title.clone(),
                link: it.link.clone(),
                canonical_link: it.canonical_link.clone(),
                published: it.published,
                categories: it.categories.clone(),
                text: prose(&std::mem::take(&mut it.article_text)),
            })
        })
        .collect();
    // Re-publications and re-tellings come within weeks; older editions need no comparison.
    let sent_reports = app
        .store
        .sent_reports(now - chrono::Duration::days(settings.window_days.clamp(7, 365) * 8))
        .await?
        .into_iter()
        .map(|mut r| {
            r.text = prose(&r.text);
            r
        });
    let sent = pick::Sent::new(app.store.sent_links().await?, sent_reports);

    // A first ranking names the stories that could still make the edition;
    // only their pages are worth fetching.
    let mut wide = settings.clone();
    wide.per_section *= 3;
    wide.max_per_source = wide.per_section;
    let shortlist = pick::pick(&candidates, &wide, now, &sent, &steering).picks;
    let pageless: HashSet<i64> = items
        .iter()
        .filter(|it| it.text_source == TextSource::Excerpt && !it.page_fetched && it.link.is_some())
        .map(|it| it.id)
        .collect();
    let needs_page = pages_to_fetch(&shortlist, &candidates, &pageless);
    let fetched = fetch_pages(app, &items, &feed_of, &needs_page, mode).await?;
    for c in &mut candidates {
        if let Some(text) = fetched.get(&c.item_id) {
            c.text = prose(text);
        }
    }

    let pick::Selection {
        picks,
        runners_up,
        not_news,
    } = pick::pick(&candidates, settings, now, &sent, &steering);
    let budget = Budget {
        sentences: app.config.summary.sentences,
        max_words: Some(app.config.summary.max_words),
    };
    let articles: Vec<Article> = picks
        .iter()
        .map(|p| Article {
            title: &p.candidate.title,
            text: &p.candidate.text,
        })
        .collect();
    let summaries = app.summarizer.summarize(&articles, budget).await;
    log_origins(&summaries);
    let stories: Vec<Summarized> = picks
        .iter()
        .zip(summaries)
        .map(|(pick, summary)| Summarized {
            pick,
            summary: summary.sentences,
            word_count: extract::word_count(&pick.candidate.text),
        })
        .collect();
    let digest = assemble::assemble(
        key,
        &app.config.newsletter.name,
        &app.config.newsletter.subject,
        app.config.summary.words_per_minute,
        &stories,
    );
    let item_ids = picks
        .iter()
        .flat_map(|p| p.item_ids.iter().copied())
        .collect();
    let thin = thin_edition(&digest, settings);
    if let Some(why) = &thin {
        tracing::warn!(edition = %digest.key, stories = digest.story_count(), min_stories = settings.min_stories,
            "thin edition: {why}");
    }
    metrics::gauge!(crate::telemetry::EDITION_STORIES).set(digest.story_count() as f64);
    metrics::gauge!(crate::telemetry::EDITION_THIN).set(if thin.is_some() { 1.0 } else { 0.0 });
    Ok(Built {
        digest,
        picks,
        runners_up,
        not_news,
        item_ids,
        unmatched_pins,
    })
}

/// One line saying who wrote the edition's summaries, when an LLM took part.
fn log_origins(summaries: &[Summary]) {
    let count = |f: fn(&Origin) -> bool| summaries.iter().filter(|s| f(&s.origin)).count();
    let llm = count(|o| *o == Origin::Llm);
    let fallback = count(|o| matches!(o, Origin::Fallback(_)));
    if llm + fallback > 0 {
        tracing::info!(
            llm,
            fallback,
            extractive = summaries.len() - llm - fallback,
            "summaries written"
        );
    }
}

/// The text stories are judged and summarized by: the article's prose without
/// clutter, or the text as it is when cleaning leaves nothing (a one-line excerpt).
pub(crate) fn prose(text: &str) -> String {
    let cleaned = clean::for_summary(text);
    if cleaned.trim().is_empty() {
        text.to_string()
    } else {
        cleaned
    }
}

/// Article pages fetched for one shortlisted story.
const PAGES_PER_STORY: usize = 3;

/// The items of each shortlisted story whose page is worth fetching: those
/// with only an excerpt, best-weighted first, a few per story. A story
/// carried by dozens of feeds needs one good text, not dozens of requests.
fn pages_to_fetch(
    shortlist: &[Pick],
    candidates: &[Candidate],
    pageless: &HashSet<i64>,
) -> Vec<i64> {
    let weight: HashMap<i64, f64> = candidates
        .iter()
        .map(|c| (c.item_id, c.source_weight))
        .collect();
    let weight = |id: &i64| weight.get(id).copied().unwrap_or(0.0);
    shortlist
        .iter()
        .flat_map(|p| {
            let mut ids: Vec<i64> = p
                .item_ids
                .iter()
                .copied()
                .filter(|id| pageless.contains(id))
                .collect();
            ids.sort_by(|a, b| weight(b).total_cmp(&weight(a)).then(a.cmp(b)));
            ids.truncate(PAGES_PER_STORY);
            ids
        })
        .collect()
}

/// Fetches and extracts article pages for items that only had an excerpt.
async fn fetch_pages(
    app: &App,
    items: &[crate::store::StoredItem],
    feed_of: &HashMap<i64, &ConfiguredFeed>,
    ids: &[i64],
    mode: BuildMode,
) -> anyhow::Result<HashMap<i64, String>> {
    let jobs: Vec<(i64, String, Option<PathBuf>)> = ids
        .iter()
        .filter_map(|id| {
            let it = items.iter().find(|it| it.id == *id)?;
            let link = it.link.clone()?;
            let root = match &feed_of.get(&it.feed_id)?.location {
                FeedLocation::Local(p) => p.parent().map(Path::to_path_buf),
                FeedLocation::Remote(_) => None,
            };
            Some((*id, link, root))
        })
        .collect();
    let results = futures_util::stream::iter(jobs)
        .map(|(id, link, root)| async move {
            let r = app.fetcher.fetch_page(&link, root.as_deref()).await;
            (id, link, r)
        })
        .buffer_unordered(app.config.fetch.concurrency)
        .collect::<Vec<_>>()
        .await;
    let mut out = HashMap::new();
    for (id, link, r) in results {
        match r {
            Ok(FetchOutcome::Fetched {
                body, final_url, ..
            }) => {
                let html = String::from_utf8_lossy(&body);
                match page::extract_page(&html, Some(&final_url)) {
                    Ok(page) if extract::word_count(&page.text) > 0 => {
                        if mode == BuildMode::Publish {
                            app.store.save_page_text(id, &page.text, now_ts()).await?;
                        }
                        out.insert(id, page.text);
                    }
                    Ok(_) => {}
                    // Left out of `out`, the story keeps the feed's excerpt.
                    Err(e) => {
                        tracing::warn!(link = %link, reason = %e, "article page not extracted; using the feed's text");
                        if mode == BuildMode::Publish {
                            let why = format!("{e}; using the feed's text");
                            app.store.save_page_error(id, &why, now_ts()).await?;
                        }
                    }
                }
            }
            Ok(FetchOutcome::NotModified { .. }) => {}
            Err(e) => {
                tracing::warn!(link = %link, error = %e, "article page not fetched");
                if mode == BuildMode::Publish {
                    app.store
                        .save_page_error(id, &e.to_string(), now_ts())
                        .await?;
                }
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub struct Published {
    pub edition: StoredEdition,
    /// False when the edition already existed: nothing new was created.
    pub created: bool,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "no stories for edition {key}: no tech or business items in the last {days} days (run `roundup feeds` to check the feeds)"
)]
pub struct NothingToPublish {
    pub key: String,
    pub days: i64,
}

/// Creates this week's edition once. A second call for the same key returns
/// the stored edition untouched.
pub async fn publish(app: &App, now: DateTime<Utc>) -> anyhow::Result<Published> {
    let key = app.edition_key(now).to_string();
    // Several processes on one PostgreSQL database: one builds, the others
    // wait here and then find the edition published.
    let _building = app.store.lock_edition(&key).await?;
    if let Some(edition) = app.store.edition(&key).await? {
        tracing::info!(edition = %key, "edition already published; nothing new created");
        return Ok(Published {
            edition,
            created: false,
        });
    }
    let built = build_digest(app, now, BuildMode::Publish).await?;
    if built.digest.story_count() == 0 {
        return Err(NothingToPublish {
            key,
            days: app.config.pick.window_days,
        }
        .into());
    }
    let (edition, created) = app
        .store
        .publish_edition(&built.digest, &built.item_ids, now_ts())
        .await?;
    if created {
        metrics::counter!(crate::telemetry::EDITIONS).increment(1);
        let queued = app.store.delivery_counts(edition.id).await?.total();
        tracing::info!(
            edition = %edition.key,
            stories = edition.digest.story_count(),
            recipients = queued,
            "edition published"
        );
    }
    Ok(Published { edition, created })
}

// ---------------------------------------------------------------- deliver

pub async fn deliver(
    app: &App,
    edition: &StoredEdition,
    mailer: &dyn Mailer,
) -> anyhow::Result<DeliveryReport> {
    deliver_until(app, edition, mailer, &CancellationToken::new()).await
}

/// `deliver`, winding down when `stop` is cancelled: nothing more is
/// claimed, what is not yet on the wire goes back to the queue.
pub async fn deliver_until(
    app: &App,
    edition: &StoredEdition,
    mailer: &dyn Mailer,
    stop: &CancellationToken,
) -> anyhow::Result<DeliveryReport> {
    deliver::deliver_edition(
        deliver::DeliveryJob {
            store: &app.store,
            edition_id: edition.id,
            digest: &edition.digest,
            renderer: &app.renderer,
            mailer,
            settings: &app.config.delivery,
            concurrency: app.config.smtp.pool_size as usize,
        },
        stop,
    )
    .await
}

/// Why editors should look before an edition goes: fewer stories cleared
/// the floor than `pick.min_stories`. Without a review step it is still sent
/// with what cleared it; a thin edition beats a padded one.
pub fn thin_edition(digest: &Digest, pick: &crate::config::PickSettings) -> Option<String> {
    let n = digest.story_count();
    (n < pick.min_stories).then(|| {
        format!(
            "only {n} {} cleared the floor (pick.min_score {}), fewer than pick.min_stories ({})",
            if n == 1 { "story" } else { "stories" },
            pick.min_score,
            pick.min_stories
        )
    })
}

/// The HTML an editor or a browser sees: the digest rendered for no one in
/// particular, with a note at the top when the edition is thin (for the
/// editor's eyes: subscribers never see it).
pub fn preview_html(app: &App, digest: &Digest) -> anyhow::Result<String> {
    // A stand-in reader, so the footer reads as a subscriber's would.
    let recipient = Recipient {
        id: 0,
        email: EmailAddress::parse("reader@example.com")?,
        name: None,
    };
    let html = app.renderer.render(digest, &recipient)?.html;
    Ok(match thin_edition(digest, &app.config.pick) {
        Some(why) => with_editor_note(&html, &why),
        None => html,
    })
}

/// `html` with a visible note right after its `<body>` tag.
fn with_editor_note(html: &str, note: &str) -> String {
    let note = format!(
        "<div role=\"alert\" style=\"background:#fff3cd;color:#664d03;border:1px solid #ffe69c;padding:12px 16px;font:14px/1.4 sans-serif\"><strong>For the editors:</strong> {}</div>",
        note.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    );
    match html
        .find("<body")
        .and_then(|at| html[at..].find('>').map(|end| at + end + 1))
    {
        Some(at) => format!("{}{note}{}", &html[..at], &html[at..]),
        None => format!("{note}{html}"),
    }
}

// ---------------------------------------------------------------- archive

/// Rewrites the archive folder (a page per edition, the index and the Atom
/// feed) from the stored editions. `None` when the archive is off.
pub async fn write_archive(app: &App) -> anyhow::Result<Option<PathBuf>> {
    let Some(url) = app.config.archive_url() else {
        return Ok(None);
    };
    let n = &app.config.newsletter;
    let site = crate::archive::Site {
        newsletter: n.name.clone(),
        url,
        list_id: n.list_id.clone(),
        postal_address: n.postal_address.clone(),
    };
    let editions: Vec<crate::archive::Archived> = app
        .store
        .recent_editions(ARCHIVE_PAGES)
        .await?
        .into_iter()
        .map(|e| crate::archive::Archived {
            published: DateTime::from_timestamp(e.created_at, 0).unwrap_or_default(),
            digest: e.digest,
        })
        .collect();
    let files = crate::archive::render(&site, &editions)?;
    let dir = PathBuf::from(&app.config.archive.dir);
    crate::archive::write(&dir, &files)?;
    Ok(Some(dir))
}

/// Twenty years of weekly editions; past that the oldest pages stay as they were.
const ARCHIVE_PAGES: i64 = 20 * 53;

// ---------------------------------------------------------------- run

#[derive(Debug)]
pub struct RunReport {
    pub refresh: RefreshReport,
    pub published: Published,
    pub delivery: DeliveryReport,
    pub preview_path: Option<PathBuf>,
    /// The archive folder, when the archive is on and was written.
    pub archive_dir: Option<PathBuf>,
}

impl RunReport {
    pub fn has_failures(&self) -> bool {
        self.refresh.failures().next().is_some()
            || !self.delivery.failures.is_empty()
            || self.delivery.paused.is_some()
    }
}

/// One edition end to end: refresh, publish (once per key), deliver whatever
/// the ledger still holds. `mailer` overrides the configured transport.
pub async fn run_once(
    app: &App,
    now: DateTime<Utc>,
    mailer: Option<&dyn Mailer>,
) -> anyhow::Result<RunReport> {
    let refresh = refresh(app, now).await?;
    if refresh.failures().count() == refresh.feeds.len() && !refresh.feeds.is_empty() {
        tracing::warn!("every feed failed this time; publishing from stored items only");
    }
    let published = publish(app, now).await?;
    // The edition is stored; a full disk or a bad folder must not stop the
    // mail. The next run (or `roundup archive`) writes the pages again.
    let archive_dir = match write_archive(app).await {
        Ok(dir) => dir,
        Err(e) => {
            tracing::warn!("archive not written: {e:#}");
            None
        }
    };
    let owned;
    let mailer: &dyn Mailer = match mailer {
        Some(m) => m,
        None => {
            owned = app.mailer(&published.edition.key)?;
            owned.as_ref()
        }
    };
    let preview_path = if app.config.delivery.transport == TransportKind::Outbox {
        let dir = app.outbox_dir(&published.edition.key);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("preview.html");
        std::fs::write(&path, preview_html(app, &published.edition.digest)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Some(path)
    } else {
        None
    };
    let delivery = deliver(app, &published.edition, mailer).await?;
    Ok(RunReport {
        refresh,
        published,
        delivery,
        preview_path,
        archive_dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thin_edition_is_flagged_and_the_note_is_the_first_thing_in_the_page() {
        let key: crate::domain::EditionKey = "2026-W05".parse().unwrap();
        let digest =
            crate::assemble::assemble(key, "Roundup", "{newsletter} · {date}: {lead}", 200, &[]);
        let settings = crate::config::PickSettings::default();
        let why = thin_edition(&digest, &settings).expect("no stories is thin");
        assert!(
            why.contains("only 0 stories") && why.contains("pick.min_stories (5)"),
            "{why}"
        );
        let none = crate::config::PickSettings {
            min_stories: 0,
            ..settings
        };
        assert_eq!(thin_edition(&digest, &none), None);
        let page = with_editor_note("<html><body class=\"x\"><p>Hi</p></body></html>", "a < b");
        assert_eq!(
            page.find("<div role=\"alert\""),
            Some("<html><body class=\"x\">".len())
        );
        assert!(page.contains("a &lt; b"));
        assert_eq!(
            with_editor_note("<p>Hi</p>", "n").find("<p>"),
            Some(page_note_len("n"))
        );
    }

    fn page_note_len(note: &str) -> usize {
        with_editor_note("", note).len()
    }
}
