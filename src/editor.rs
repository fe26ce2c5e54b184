//! What editors and operators do by hand, shared by the CLI and the admin
//! API: test sends, subscriber imports, pins and blocks. Each returns a
//! typed outcome; the caller decides how to word it.

use crate::assemble::Digest;
use crate::deliver::SendReceipt;
use crate::domain::{EmailAddress, SubscriberName};
use crate::pipeline::{self, App, BuildMode};
use crate::render::Recipient;
use crate::store::{AddOutcome, BlockKind, Refusal, now_ts};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The stored edition for this week if there is one, else a fresh build.
pub async fn upcoming(app: &App, now: DateTime<Utc>) -> anyhow::Result<Digest> {
    let key = app.edition_key(now).to_string();
    if let Some(e) = app.store.edition(&key).await? {
        return Ok(e.digest);
    }
    Ok(pipeline::build_digest(app, now, BuildMode::Preview)
        .await?
        .digest)
}

/// An edition as one JSON object: its stories by section, each with every
/// other report merged into it and its summary sentences.
pub fn edition_json(digest: &Digest) -> serde_json::Value {
    let sections: Vec<serde_json::Value> = digest
        .sections
        .iter()
        .map(|s| {
            let stories: Vec<serde_json::Value> = s
                .stories
                .iter()
                .map(|st| {
                    // Editions stored before `sources` was kept have `also` alone.
                    let sources = if st.sources.is_empty() {
                        &st.also
                    } else {
                        &st.sources
                    };
                    serde_json::json!({
                        "title": st.title,
                        "link": st.link,
                        "source": st.source,
                        "sources": sources
                            .iter()
                            .map(|o| serde_json::json!({"name": o.name, "link": o.link}))
                            .collect::<Vec<_>>(),
                        "summary": st.summary,
                    })
                })
                .collect();
            serde_json::json!({"section": s.section.as_str(), "title": s.title, "stories": stories})
        })
        .collect();
    serde_json::json!({"edition": digest.key, "subject": digest.subject, "sections": sections})
}

#[derive(Debug, Clone, Serialize)]
pub struct TestSent {
    pub edition: String,
    pub to: String,
    pub via: String,
    pub reply: String,
}

/// The upcoming edition to one address, outside the ledger, with "[Test]"
/// in the subject.
pub async fn send_test(
    app: &App,
    now: DateTime<Utc>,
    to: &EmailAddress,
) -> anyhow::Result<TestSent> {
    let digest = upcoming(app, now).await?;
    let mut message = app.renderer.render(
        &digest,
        &Recipient {
            id: 0,
            email: to.clone(),
            name: None,
        },
    )?;
    message.subject = format!("[Test] {}", message.subject);
    message.message_id = format!("test.{}.{}", now_ts(), message.message_id);
    let mailer = app.mailer(&format!("{}-test", digest.key))?;
    let SendReceipt { reply } = mailer.send(&message).await?;
    Ok(TestSent {
        edition: digest.key,
        to: to.to_string(),
        via: mailer.describe(),
        reply,
    })
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub added: usize,
    pub existing: usize,
    /// (line, what is wrong), for every row left out.
    pub rejected: Vec<(usize, String)>,
    /// (line, why), for people who said no (or whose mailbox did): an
    /// import never brings them back.
    pub skipped: Vec<(usize, String)>,
}

/// Imports every valid row of a CSV with an `email` column and an optional
/// `name` column (header optional; without one, email then name). A bad row
/// is reported with its line and never stops the rest; so is an address
/// that unsubscribed, bounced or complained, which is left as it is.
pub async fn import_subscribers(
    app: &App,
    csv_data: impl std::io::Read,
) -> anyhow::Result<ImportReport> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_data);
    let mut report = ImportReport::default();
    let mut columns = (0usize, None::<usize>);
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report
                    .rejected
                    .push((line, format!("unreadable CSV row: {e}")));
                continue;
            }
        };
        if i == 0 && rec.iter().any(|f| f.eq_ignore_ascii_case("email")) {
            let pos = |n: &str| rec.iter().position(|f| f.eq_ignore_ascii_case(n));
            columns = (pos("email").unwrap_or(0), pos("name"));
            continue;
        }
        let raw = rec.get(columns.0).unwrap_or("");
        if raw.is_empty() && rec.iter().all(str::is_empty) {
            continue;
        }
        let name = SubscriberName::parse_opt(columns.1.or(Some(1)).and_then(|c| rec.get(c)));
        match EmailAddress::parse(raw) {
            Ok(email) => match app
                .store
                .add_subscriber(&email, name.as_ref(), now_ts())
                .await?
            {
                AddOutcome::AlreadyActive => report.existing += 1,
                AddOutcome::Added | AddOutcome::Activated => report.added += 1,
                AddOutcome::Refused(why) => report.skipped.push((line, why.to_string())),
            },
            Err(e) => report.rejected.push((line, e.to_string())),
        }
    }
    Ok(report)
}

/// Why an operator cannot add this address, and who can.
pub fn refusal_text(email: &EmailAddress, why: &Refusal) -> String {
    format!(
        "{email} is {why}; only they can subscribe again, by signing up and confirming the link they are sent"
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PinOutcome {
    Pinned,
    AlreadyPinned,
    Unpinned,
    /// Not pinned, or an edition already carried it.
    NotPinned,
}

/// Pins (or unpins) a story by URL. The bool says whether any feed has
/// carried the story yet.
pub async fn pin(app: &App, url: &str, on: bool) -> anyhow::Result<(PinOutcome, bool)> {
    let link = story_link(url)?;
    let outcome = match (on, on && app.store.pin(&link, url, now_ts()).await?) {
        (true, true) => PinOutcome::Pinned,
        (true, false) => PinOutcome::AlreadyPinned,
        (false, _) if app.store.unpin(&link).await? => PinOutcome::Unpinned,
        (false, _) => PinOutcome::NotPinned,
    };
    Ok((outcome, app.store.has_story(&link).await?))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockChange {
    /// "story" or "feed".
    pub what: &'static str,
    /// The story's URL, or the feed's name.
    pub target: String,
    pub blocked: bool,
    /// False when it already was as asked.
    pub changed: bool,
}

/// Blocks (or unblocks) a story by URL, or with `source` a configured feed
/// by name or URL.
pub async fn block(app: &App, target: &str, source: bool, on: bool) -> anyhow::Result<BlockChange> {
    let (kind, value, shown) = if source {
        let (key, name) = app.find_feed(target).ok_or_else(|| {
            anyhow::anyhow!(
                "no configured feed is named or located `{target}` (see `roundup feeds`)"
            )
        })?;
        (BlockKind::Source, key, name)
    } else {
        (BlockKind::Item, story_link(target)?, target.to_string())
    };
    let changed = if on {
        app.store.block(kind, &value, now_ts()).await?
    } else {
        app.store.unblock(kind, &value).await?
    };
    Ok(BlockChange {
        what: if source { "feed" } else { "story" },
        target: shown,
        blocked: on,
        changed,
    })
}

/// A story's URL as the store compares it: tracking parameters and
/// fragments gone.
pub fn story_link(url: &str) -> anyhow::Result<String> {
    let parsed =
        url::Url::parse(url.trim()).map_err(|e| anyhow::anyhow!("`{url}` is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https" | "file") {
        anyhow::bail!("`{url}` is not an http(s) URL");
    }
    Ok(crate::feeds::parse::canonical_link(url.trim()))
}
