//! Command-line interface. Each command builds the app and calls the
//! pipeline; nothing here knows how a stage works.

use crate::config::Config;
use crate::domain::{EmailAddress, SubscriberName};
use crate::measure::Output;
use crate::pipeline::{self, App, BuildMode, FeedOutcome};
use crate::store::{AddOutcome, FeedHealth, now_ts};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "roundup",
    version,
    about = "A weekly tech and business news roundup by email"
)]
pub struct Cli {
    /// Config file (TOML). Falls back to $ROUNDUP_CONFIG, then config/roundup.toml.
    #[arg(long, global = true, env = "ROUNDUP_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// `--config`, else `$ROUNDUP_CONFIG` (clap reads it), else the default.
    pub fn config_path(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| PathBuf::from("config/roundup.toml"))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Refresh feeds, publish this week's edition (once) and deliver it.
    Run,
    /// Run as a service: the schedule, the delivery worker and the HTTP
    /// server (health, metrics, unsubscribe, sign-up, archive, admin API).
    Serve {
        /// Listen here instead of service.bind.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Validate the config and try what a run needs (the database read-only,
    /// each feed once, the folders, the DKIM key, the SMTP relay with EHLO,
    /// STARTTLS and AUTH as configured), creating and sending nothing.
    CheckConfig,
    /// Refresh feeds and publish this week's edition (once), sending nothing yet.
    Publish,
    /// Send what the ledger still holds for an edition (default: the current one).
    Deliver {
        #[arg(long)]
        edition: Option<String>,
    },
    /// Fetch every feed and store new items; publishes nothing.
    Refresh,
    /// Render the upcoming edition to an HTML file, sending and recording nothing.
    Preview {
        /// Where to write the HTML (default: OUTBOX/preview-EDITION.html).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Open it in the desktop's browser.
        #[arg(long)]
        open: bool,
        /// Also print why each story was picked (its score parts) and the runners-up.
        #[arg(long, conflicts_with = "json")]
        explain: bool,
        /// Print the edition as one JSON object instead, writing no file:
        /// {"edition","subject","sections":[{"section","stories":[{"title","link","sources":[{"name","link"}],"summary":[…]}]}]}.
        #[arg(long, conflicts_with_all = ["out", "open"])]
        json: bool,
    },
    /// Put a story (by its URL) into the next edition, whatever its score.
    Pin { url: String },
    /// Take back a pin that no edition has carried yet.
    Unpin { url: String },
    /// Keep a story (by URL) or, with --source, a feed out of every edition.
    Block {
        /// The story's URL, or with --source a feed's name or URL.
        target: String,
        #[arg(long)]
        source: bool,
    },
    /// Lift a block.
    Unblock {
        target: String,
        #[arg(long)]
        source: bool,
    },
    /// Set a feed's weight in the ranking, over the config's (--reset goes back to it).
    Weight {
        /// The feed's name or URL.
        feed: String,
        #[arg(required_unless_present = "reset")]
        weight: Option<f64>,
        #[arg(long)]
        reset: bool,
    },
    /// List pins, blocks and weights set by editors.
    Steering,
    /// Send the upcoming edition to one address, outside the ledger.
    SendTest {
        #[arg(long)]
        to: String,
    },
    /// Manage subscribers.
    Subscribers {
        #[command(subcommand)]
        action: SubscriberAction,
    },
    /// List feeds with their health.
    Feeds,
    /// Write the archive (a page per edition, index.html, feed.xml) from the stored editions.
    Archive,
    /// Delivery counts, pauses and failures for an edition (default: the current one).
    Deliveries {
        #[arg(long)]
        edition: Option<String>,
    },
    /// Re-queue an edition's deliveries that failed for a transient reason, and lift a pause.
    Retry {
        #[arg(long)]
        edition: Option<String>,
    },
    /// Main-content extraction of HTML pages.
    Extract {
        /// One JSON line per file instead of readable text.
        #[arg(long)]
        json: bool,
        files: Vec<PathBuf>,
    },
    /// Title and extractive summary of text files.
    Summarize {
        #[arg(long, default_value_t = 2)]
        sentences: usize,
        /// Word ceiling for each summary (none by default).
        #[arg(long)]
        max_words: Option<usize>,
        /// One JSON line per file instead of readable text.
        #[arg(long)]
        json: bool,
        files: Vec<PathBuf>,
    },
    /// Group the items of a JSON-lines file into stories, as publish does.
    /// Each line: {"id","title","text","link","source","published"}.
    Cluster {
        /// One JSON line per item ({"id","story"}) instead of readable text.
        #[arg(long)]
        json: bool,
        file: PathBuf,
    },
    /// Section (tech, business, other) of text files.
    Classify {
        /// One JSON line per file instead of readable text.
        #[arg(long)]
        json: bool,
        /// Also show the evidence: what decided, each topic's score, and the
        /// lexicon terms behind them.
        #[arg(long)]
        explain: bool,
        files: Vec<PathBuf>,
    },
    /// Parse feed files and list their entries.
    ParseFeed {
        /// One JSON line per file instead of readable text.
        #[arg(long)]
        json: bool,
        /// A larger file is refused unread (the default is fetch.max_body_bytes's).
        #[arg(long, default_value_t = crate::config::FetchSettings::default().max_body_bytes)]
        max_bytes: u64,
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SubscriberAction {
    Add {
        email: String,
        #[arg(long)]
        name: Option<String>,
    },
    Remove {
        email: String,
    },
    List,
    /// CSV with an `email` column and an optional `name` column (header optional).
    Import {
        file: PathBuf,
    },
}

const PARTIAL: u8 = 2;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // The measuring commands need no config or database.
    match &cli.command {
        Command::Extract { files, json } => {
            return measured(crate::measure::extract(files, Output::from(*json)));
        }
        Command::Summarize {
            files,
            sentences,
            max_words,
            json,
        } => {
            return measured(crate::measure::summarize(
                files,
                *sentences,
                *max_words,
                Output::from(*json),
            ));
        }
        Command::Classify {
            files,
            json,
            explain,
        } => {
            return measured(crate::measure::classify(
                files,
                Output::from(*json),
                *explain,
            ));
        }
        Command::Cluster { file, json } => {
            let items = crate::measure::read_cluster_items(file)?;
            return measured(crate::measure::cluster(&items, Output::from(*json)));
        }
        Command::ParseFeed {
            files,
            json,
            max_bytes,
        } => {
            return measured(crate::measure::parse_feeds(
                files,
                *max_bytes,
                Output::from(*json),
            ));
        }
        _ => {}
    }
    let path = cli.config_path();
    let config = Config::load(&path)?;
    crate::telemetry::init_logging(config.service.log_format);
    if matches!(cli.command, Command::CheckConfig) {
        return cmd_check_config(config, &path).await;
    }
    let app = App::new(config).await?;
    let now = chrono::Utc::now();
    match cli.command {
        Command::Run => cmd_run(&app, now).await,
        Command::Serve { bind } => cmd_serve(app, bind).await,
        Command::Publish => cmd_publish(&app, now).await,
        Command::Deliver { edition } => cmd_deliver(&app, now, edition).await,
        Command::Refresh => {
            let r = pipeline::refresh(&app, now).await?;
            print_refresh(&r);
            Ok(code(r.failures().next().is_some()))
        }
        Command::Preview {
            out,
            open,
            explain,
            json,
        } => {
            if json {
                cmd_preview_json(&app, now).await
            } else {
                cmd_preview(&app, now, out, open, explain).await
            }
        }
        Command::Pin { url } => cmd_pin(&app, &url, true).await,
        Command::Unpin { url } => cmd_pin(&app, &url, false).await,
        Command::Block { target, source } => cmd_block(&app, &target, source, true).await,
        Command::Unblock { target, source } => cmd_block(&app, &target, source, false).await,
        Command::Weight {
            feed,
            weight,
            reset,
        } => cmd_weight(&app, &feed, if reset { None } else { weight }).await,
        Command::Steering => cmd_steering(&app).await,
        Command::SendTest { to } => cmd_send_test(&app, now, &to).await,
        Command::Subscribers { action } => cmd_subscribers(&app, action).await,
        Command::Feeds => cmd_feeds(&app).await,
        Command::Archive => match pipeline::write_archive(&app).await? {
            Some(dir) => {
                println!("archive written to {}", dir.display());
                Ok(ExitCode::SUCCESS)
            }
            None => anyhow::bail!("the archive is off: set [archive] enabled = true in the config"),
        },
        Command::Deliveries { edition } => cmd_deliveries(&app, now, edition).await,
        Command::Retry { edition } => cmd_retry(&app, now, edition).await,
        Command::CheckConfig => unreachable!("handled above"),
        Command::Extract { .. }
        | Command::Summarize { .. }
        | Command::Classify { .. }
        | Command::Cluster { .. }
        | Command::ParseFeed { .. } => {
            unreachable!("handled above")
        }
    }
}

async fn cmd_serve(app: App, bind: Option<String>) -> anyhow::Result<ExitCode> {
    crate::service::check_serve_config(&app.config)?;
    let bind = bind.unwrap_or_else(|| app.config.service.bind.clone());
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(stop_on_signal(stop.clone()));
    crate::service::serve(app, listener, stop).await?;
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM (systemd, Docker) or SIGINT (Ctrl-C) starts a graceful stop; a
/// second one is not waited for.
async fn stop_on_signal(stop: tokio_util::sync::CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for signals; stop the service with SIGKILL");
        return;
    };
    let which = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!("{which} received");
    stop.cancel();
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    tracing::warn!("second signal: exiting now");
    std::process::exit(130);
}

/// Every check, each on one line, then warnings where they belong; the
/// exit code is 1 if any check failed (warnings do not count). Nothing is
/// created, migrated or sent.
async fn cmd_check_config(config: Config, path: &Path) -> anyhow::Result<ExitCode> {
    use crate::check::Finding;
    println!("config: ok ({})", path.display());
    let findings = crate::check::check(&config).await?;
    let (mut checks, mut failures, mut warnings) = (1, 0, 0);
    for f in &findings {
        match f {
            Finding::Passed { what, detail } => {
                checks += 1;
                println!("{what}: ok ({detail})");
            }
            Finding::Failed { what, why } => {
                checks += 1;
                failures += 1;
                println!("{what}: FAILED: {why}");
            }
            Finding::Warning(w) => {
                warnings += 1;
                println!("warning: {w}");
            }
        }
    }
    let warned = match warnings {
        0 => String::new(),
        n => format!(", {n} warning(s)"),
    };
    if failures > 0 {
        println!("check-config: {failures} of {checks} checks FAILED{warned}");
        Ok(ExitCode::from(1))
    } else {
        println!("check-config: all {checks} checks passed{warned}");
        Ok(ExitCode::SUCCESS)
    }
}

fn measured(r: std::io::Result<()>) -> anyhow::Result<ExitCode> {
    r.context("cannot write the results")?;
    Ok(ExitCode::SUCCESS)
}

fn code(partial: bool) -> ExitCode {
    if partial {
        ExitCode::from(PARTIAL)
    } else {
        ExitCode::SUCCESS
    }
}

async fn cmd_run(app: &App, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<ExitCode> {
    let r = pipeline::run_once(app, now, None).await?;
    print_refresh(&r.refresh);
    print_published(&r.published);
    print_delivery(app, &r.published.edition, &r.delivery).await?;
    if let Some(p) = &r.preview_path {
        println!("preview: {}", p.display());
        println!(
            "outbox:  {}",
            app.outbox_dir(&r.published.edition.key).display()
        );
    }
    if let Some(dir) = &r.archive_dir {
        println!("archive: {}", dir.display());
    }
    Ok(code(r.has_failures()))
}

/// Refresh and publish, sending nothing: the ledger holds the edition for
/// `roundup deliver` (or the service).
async fn cmd_publish(app: &App, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<ExitCode> {
    let refresh = pipeline::refresh(app, now).await?;
    print_refresh(&refresh);
    let published = pipeline::publish(app, now).await?;
    print_published(&published);
    let c = app.store.delivery_counts(published.edition.id).await?;
    println!("ledger: {}", counts_line(&c));
    if let Some(dir) = pipeline::write_archive(app).await? {
        println!("archive: {}", dir.display());
    }
    Ok(code(refresh.failures().next().is_some()))
}

/// Sends whatever the ledger still holds for an edition.
async fn cmd_deliver(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    edition: Option<String>,
) -> anyhow::Result<ExitCode> {
    let e = stored_edition(app, now, edition).await?;
    let mailer = app.mailer(&e.key)?;
    let r = pipeline::deliver(app, &e, mailer.as_ref()).await?;
    print_delivery(app, &e, &r).await?;
    Ok(code(!r.failures.is_empty() || r.paused.is_some()))
}

async fn stored_edition(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    edition: Option<String>,
) -> anyhow::Result<crate::store::StoredEdition> {
    let key = match edition {
        Some(k) => k.parse::<crate::domain::EditionKey>()?.to_string(),
        None => app.edition_key(now).to_string(),
    };
    app.store
        .edition(&key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("edition {key} has not been published"))
}

fn print_published(p: &pipeline::Published) {
    let e = &p.edition;
    if p.created {
        println!(
            "published edition {} with {} stories: {}",
            e.key,
            e.digest.story_count(),
            e.subject
        );
    } else {
        println!(
            "edition {} was already published: not building it again",
            e.key
        );
    }
}

async fn print_delivery(
    app: &App,
    edition: &crate::store::StoredEdition,
    r: &crate::deliver::DeliveryReport,
) -> anyhow::Result<()> {
    let key = &edition.key;
    let c = &r.counts;
    if r.sent_now == 0 && c.pending() == 0 {
        println!(
            "nothing to send: {} of {} deliveries were already sent",
            c.sent,
            c.total()
        );
    } else {
        println!(
            "sent {} message(s) for {key}; ledger: {}",
            r.sent_now,
            counts_line(c)
        );
    }
    if let Some(p) = &r.paused {
        println!("PAUSED {}; the next run resumes", pause_text(p));
    }
    if let Some(held) = app.store.held_leases(edition.id).await? {
        println!("{}", held_text(&held, now_ts()));
    }
    print_failures(&r.failures);
    Ok(())
}

/// Rows this run could not claim because a lease on them still runs: after
/// a crash they wait it out, and nothing else says so.
fn held_text(held: &crate::store::HeldLeases, now: i64) -> String {
    if held.until > now {
        format!(
            "{} message(s) are held by another sender (or one that stopped) until {}; they are sent by the first run after that",
            held.rows,
            crate::store::from_ts(held.until).format("%Y-%m-%d %H:%M:%S UTC")
        )
    } else {
        format!(
            "{} message(s) were left leased by a sender that stopped; the next run sends them",
            held.rows
        )
    }
}

fn pause_text(p: &crate::store::Pause) -> String {
    format!(
        "until {} by the circuit breaker: {}",
        crate::store::from_ts(p.until).format("%Y-%m-%d %H:%M:%S UTC"),
        p.reason
    )
}

/// The first 50 failures with their reasons; `run`, `deliver` and `deliveries` show them.
fn print_failures(failures: &[crate::store::FailedDelivery]) {
    const SHOWN: usize = 50;
    for f in failures.iter().take(SHOWN) {
        println!(
            "  {} {} ({} attempt(s)): {}",
            f.status, f.email, f.attempts, f.error
        );
    }
    if failures.len() > SHOWN {
        println!("  … and {} more", failures.len() - SHOWN);
    }
}

fn counts_line(c: &crate::store::DeliveryCounts) -> String {
    format!(
        "sent {}, queued {}, sending {}, retry {}, failed {}, bounced {}, skipped {}",
        c.sent, c.queued, c.sending, c.retry, c.failed, c.bounced, c.skipped
    )
}

fn print_refresh(r: &pipeline::RefreshReport) {
    for f in &r.feeds {
        match &f.outcome {
            FeedOutcome::Fetched {
                items,
                new,
                left_out,
                repairs,
                moved_to,
            } => {
                println!("  ok       {:<28} {items} items, {new} new", f.name);
                if *left_out > 0 {
                    println!(
                        "           {:<28} {left_out} older new item(s) left out (fetch.max_items_per_fetch)",
                        ""
                    );
                }
                if !repairs.is_empty() {
                    println!("           {:<28} repaired: {}", "", repairs.join(", "));
                }
                if let Some(to) = moved_to {
                    println!(
                        "           {:<28} moved permanently to {to}: update the config",
                        ""
                    );
                }
            }
            FeedOutcome::NotModified => println!("  same     {:<28} not modified", f.name),
            FeedOutcome::Skipped(why) => println!("  skipped  {:<28} {why}", f.name),
            FeedOutcome::Failed(e) => println!("  FAILED   {:<28} {e}", f.name),
            FeedOutcome::Gone(e) => println!("  GONE     {:<28} {e}; disabled", f.name),
        }
    }
    let failed = r.failures().count();
    println!(
        "refreshed {} feed(s): {} new item(s){}",
        r.feeds.len(),
        r.new_items(),
        if failed > 0 {
            format!(", {failed} failed or skipped")
        } else {
            String::new()
        }
    );
}

async fn cmd_preview(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    out: Option<PathBuf>,
    open: bool,
    explain: bool,
) -> anyhow::Result<ExitCode> {
    let digest = crate::editor::upcoming(app, now).await?;
    if explain {
        if app.store.edition(&digest.key).await?.is_some() {
            println!(
                "note: {} is already published; this explains a build made now, which leaves out what it carried",
                digest.key
            );
        }
        let built = pipeline::build_digest(app, now, BuildMode::Preview).await?;
        print!("{}", crate::explain::explain(&built));
    }
    warn_if_thin(app, &digest);
    let html = pipeline::preview_html(app, &digest)?;
    let out = out.unwrap_or_else(|| {
        Path::new(&app.config.delivery.outbox_dir).join(format!("preview-{}.html", digest.key))
    });
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&out, html).with_context(|| format!("cannot write {}", out.display()))?;
    println!("{} · {}", digest.key, digest.subject);
    for s in &digest.sections {
        println!("  {}", s.title);
        for st in &s.stories {
            println!("    - {} ({})", st.title, st.source);
        }
    }
    println!("preview written to {}", out.display());
    if open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        if let Err(e) = std::process::Command::new(opener).arg(&out).status() {
            eprintln!("warning: could not open a browser ({opener}: {e})");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn warn_if_thin(app: &App, digest: &crate::assemble::Digest) {
    if digest.story_count() == 0 {
        eprintln!(
            "warning: no stories for {}: has `roundup refresh` run?",
            digest.key
        );
    } else if let Some(why) = pipeline::thin_edition(digest, &app.config.pick) {
        eprintln!("warning: {}: {why}", digest.key);
    }
}

/// The upcoming edition for editors' tools and the week scorer.
async fn cmd_preview_json(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<ExitCode> {
    let digest = crate::editor::upcoming(app, now).await?;
    warn_if_thin(app, &digest);
    let mut json = crate::editor::edition_json(&digest);
    if let Some(why) = pipeline::thin_edition(&digest, &app.config.pick) {
        json["warnings"] = serde_json::json!([why]);
    }
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}

async fn cmd_send_test(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    to: &str,
) -> anyhow::Result<ExitCode> {
    let t = crate::editor::send_test(app, now, &EmailAddress::parse(to)?).await?;
    println!(
        "test of {} sent to {} via {}: {}",
        t.edition, t.to, t.via, t.reply
    );
    Ok(ExitCode::SUCCESS)
}

async fn cmd_subscribers(app: &App, action: SubscriberAction) -> anyhow::Result<ExitCode> {
    let now = now_ts();
    match action {
        SubscriberAction::Add { email, name } => {
            let email = EmailAddress::parse(&email)?;
            let name = SubscriberName::parse_opt(name.as_deref());
            let outcome = app.store.add_subscriber(&email, name.as_ref(), now).await?;
            match outcome {
                AddOutcome::Added => println!("{email}: added"),
                AddOutcome::Activated => {
                    println!("{email}: added (had signed up and not confirmed)")
                }
                AddOutcome::AlreadyActive => println!("{email}: already subscribed"),
                AddOutcome::Refused(why) => {
                    anyhow::bail!("{}", crate::editor::refusal_text(&email, &why))
                }
            }
        }
        SubscriberAction::Remove { email } => {
            let email = EmailAddress::parse(&email)?;
            if app.store.unsubscribe(&email, now).await? {
                println!("{email}: unsubscribed");
            } else {
                anyhow::bail!("{email} is not an active subscriber");
            }
        }
        SubscriberAction::List => {
            let subs = app.store.subscribers().await?;
            for s in &subs {
                println!(
                    "{:<40} {:<14} {}",
                    s.email,
                    s.status,
                    s.name.as_ref().map(|n| n.as_str()).unwrap_or("")
                );
            }
            let active = subs.iter().filter(|s| s.status == "active").count();
            println!("{} subscriber(s), {active} active", subs.len());
        }
        SubscriberAction::Import { file } => return import(app, &file).await,
    }
    Ok(ExitCode::SUCCESS)
}

/// Imports every valid row; each bad row is reported with its line, and the
/// exit code says some were skipped.
async fn import(app: &App, file: &Path) -> anyhow::Result<ExitCode> {
    let f = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let r = crate::editor::import_subscribers(app, f).await?;
    for (line, e) in &r.rejected {
        eprintln!("{}:{line}: {e}", file.display());
    }
    for (line, why) in &r.skipped {
        eprintln!("{}:{line}: skipped: {why}", file.display());
    }
    println!(
        "imported {}: {} added, {} already subscribed, {} skipped (said no), {} rejected",
        file.display(),
        r.added,
        r.existing,
        r.skipped.len(),
        r.rejected.len()
    );
    Ok(code(!r.rejected.is_empty()))
}

async fn cmd_feeds(app: &App) -> anyhow::Result<ExitCode> {
    let feeds = app.store.feed_statuses().await?;
    if feeds.is_empty() {
        println!("no feeds fetched yet: run `roundup refresh`");
    }
    let fmt = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "never".into())
    };
    for f in &feeds {
        let status = match f.health() {
            FeedHealth::Gone => format!("disabled since {} (gone)", fmt(f.last_fetch_at)),
            FeedHealth::Failing => format!(
                "failing since {} ({} error(s) in a row)",
                fmt(f.failing_since.or(f.last_fetch_at)),
                f.consecutive_errors
            ),
            FeedHealth::NotModified => "not modified".to_string(),
            FeedHealth::Ok => "ok".to_string(),
            FeedHealth::NotFetched => "not fetched yet".to_string(),
        };
        println!("{} <{}>", f.name, f.url);
        if let Some(moved) = &f.fetch_url {
            println!("    moved permanently to {moved} (update the config)");
        }
        println!(
            "    status: {status}; items: {}; last new item: {}; last fetch: {}",
            f.item_count,
            fmt(f.last_new_item_at),
            fmt(f.last_fetch_at)
        );
        if let Some(cut) = &f.cut {
            println!(
                "    {} older new item(s) left out on {} (more than fetch.max_items_per_fetch = {}); items published before {} are not taken",
                cut.count,
                fmt(Some(cut.at)),
                app.config.fetch.max_items_per_fetch,
                fmt(Some(cut.before))
            );
        }
        if let Some(e) = &f.last_error {
            println!("    last error: {e}");
        }
        if let Some(n) = f.next_check_at {
            println!("    next check: {}", n.format("%Y-%m-%d %H:%M"));
        }
    }
    Ok(code(
        feeds.iter().any(|f| f.consecutive_errors > 0 || f.disabled),
    ))
}

async fn cmd_deliveries(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    edition: Option<String>,
) -> anyhow::Result<ExitCode> {
    let e = stored_edition(app, now, edition).await?;
    let c = app.store.delivery_counts(e.id).await?;
    println!("{} · {}", e.key, e.subject);
    println!("  {}", counts_line(&c));
    if let Some(p) = app.store.edition_pause(e.id).await? {
        if p.until > now_ts() {
            println!("  PAUSED {}", pause_text(&p));
            println!(
                "  sending resumes by itself then; `roundup retry --edition {}` resumes now",
                e.key
            );
        } else {
            println!("  last paused {}", pause_text(&p));
        }
    }
    let failures = app.store.failed_deliveries(e.id).await?;
    print_failures(&failures);
    Ok(code(!failures.is_empty()))
}

async fn cmd_retry(
    app: &App,
    now: chrono::DateTime<chrono::Utc>,
    edition: Option<String>,
) -> anyhow::Result<ExitCode> {
    let e = stored_edition(app, now, edition).await?;
    let n = app.store.requeue_failed(e.id, now_ts()).await?;
    println!(
        "re-queued {n} delivery(ies) of {} that had failed for a transient reason; bounces stay as they are",
        e.key
    );
    println!("they go out with the next `roundup run` (or the service's next delivery pass)");
    Ok(ExitCode::SUCCESS)
}

async fn cmd_pin(app: &App, url: &str, pin: bool) -> anyhow::Result<ExitCode> {
    use crate::editor::PinOutcome;
    let (outcome, carried) = crate::editor::pin(app, url, pin).await?;
    match outcome {
        PinOutcome::Pinned => println!("pinned {url}: it goes into the next edition"),
        PinOutcome::AlreadyPinned => println!("{url} is already pinned for the next edition"),
        PinOutcome::Unpinned => println!("unpinned {url}"),
        PinOutcome::NotPinned => {
            println!("{url} was not pinned (or an edition already carried it)")
        }
    }
    if pin && !carried {
        println!("note: no feed has carried this story yet; it goes in once one does");
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_block(app: &App, target: &str, source: bool, block: bool) -> anyhow::Result<ExitCode> {
    let c = crate::editor::block(app, target, source, block).await?;
    let (what, shown) = (c.what, &c.target);
    match (block, c.changed) {
        (true, true) => println!("blocked {what} {shown}: it stays out of every edition"),
        (true, false) => println!("{what} {shown} was blocked already"),
        (false, true) => println!("unblocked {what} {shown}"),
        (false, false) => println!("{what} {shown} was not blocked"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_weight(app: &App, feed: &str, weight: Option<f64>) -> anyhow::Result<ExitCode> {
    let (key, name) = app.find_feed(feed).ok_or_else(|| {
        anyhow::anyhow!("no configured feed is named or located `{feed}` (see `roundup feeds`)")
    })?;
    if let Some(w) = weight
        && !(w.is_finite() && (0.0..=10.0).contains(&w))
    {
        anyhow::bail!("a weight is a number from 0 to 10 (1 is neutral), not {w}");
    }
    app.store.set_feed_weight(&key, &name, weight).await?;
    match weight {
        Some(w) => println!("{name}: weight {w} (over the config's)"),
        None => println!("{name}: back to the config's weight"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_steering(app: &App) -> anyhow::Result<ExitCode> {
    let s = app.store.steering().await?;
    let name_of = |key: &str| {
        app.find_feed(key)
            .map(|(_, name)| name)
            .unwrap_or_else(|| format!("{key} (no longer configured)"))
    };
    println!("pinned for the next edition:");
    for (_, url) in &s.pins {
        println!("  {url}");
    }
    println!("blocked stories:");
    for link in &s.blocked_items {
        println!("  {link}");
    }
    println!("blocked feeds:");
    for key in &s.blocked_sources {
        println!("  {}", name_of(key));
    }
    println!("feed weights set by editors:");
    for (key, w) in &s.weights {
        println!("  {:<28} {w}", name_of(key));
    }
    Ok(ExitCode::SUCCESS)
}
