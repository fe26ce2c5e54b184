//! `roundup serve`: the scheduler, the delivery loop and the HTTP server in
//! one process, and how it stops.
//!
//! On SIGTERM or SIGINT the stop token is cancelled. The HTTP server stops
//! accepting and finishes its requests; the scheduler gives back a slot it
//! had claimed but not finished; the delivery worker claims nothing more,
//! hands back rows not yet on the wire and lets those on the wire finish.
//! All of it gets `service.shutdown_secs`; whatever is still in flight then
//! is left to its lease, which runs out so the next run sends it.

use crate::config::Config;
use crate::pipeline::{self, App};
use crate::schedule::{Cadence, CatchUp, Ticker, catch_up};
use crate::store::{SlotClaim, from_ts, now_ts, ts};
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How the rest of the service asks the delivery loop to send.
#[derive(Default)]
pub struct Dispatch {
    wake: Notify,
    /// Editions an editor asked to send, whatever their age.
    forced: Mutex<HashSet<i64>>,
    /// One refresh or publish at a time in this process: an editor's send
    /// during a refresh waits for it, rather than publish from half the
    /// feeds.
    pub pipeline: tokio::sync::Mutex<()>,
}

impl Dispatch {
    /// Wakes the delivery loop. `force`: send this edition even if it is
    /// older than the service sends by itself (`delivery.max_age_secs`).
    pub fn send(&self, edition_id: i64, force: bool) {
        if force {
            self.forced
                .lock()
                .expect("dispatch lock")
                .insert(edition_id);
        }
        self.wake.notify_one();
    }

    fn forced(&self) -> Vec<i64> {
        self.forced
            .lock()
            .expect("dispatch lock")
            .iter()
            .copied()
            .collect()
    }
}

/// Without a wake-up, the delivery loop still looks this often (retries
/// come due, another process may publish).
const DELIVERY_POLL: Duration = Duration::from_secs(60);
/// Each job also checks this often that its latest slot was handled (a
/// claim left by a process that died goes stale and is taken over).
const SLOT_RECHECK: Duration = Duration::from_secs(300);

/// What serving needs that a one-shot command does not; checked before
/// anything starts. What it could serve without is logged.
pub fn check_serve_config(config: &Config) -> anyhow::Result<()> {
    for w in serve_config(config)? {
        tracing::warn!("{w}");
    }
    Ok(())
}

/// The check behind `check_serve_config`: an error for what serving cannot
/// do without, and the warnings for what it can.
pub fn serve_config(config: &Config) -> anyhow::Result<Vec<String>> {
    if config.newsletter.secret.len() < 16 {
        anyhow::bail!(
            "newsletter.secret must be at least 16 characters to serve: it signs unsubscribe and confirmation links (set ROUNDUP_NEWSLETTER__SECRET)"
        );
    }
    let mut warnings = Vec::new();
    if config.service.admin_token.is_empty() {
        warnings.push(
            "service.admin_token is not set: the admin API answers 401 to everyone (set ROUNDUP_SERVICE__ADMIN_TOKEN)"
                .to_string(),
        );
    }
    if let Some(limit) = open_files_limit() {
        let wanted = config.service.max_connections as u64 + FD_HEADROOM;
        if wanted > limit {
            warnings.push(format!(
                "service.max_connections is {} but the process may open only {limit} files, which leaves fewer than {FD_HEADROOM} for the database, SMTP and fetch sockets: raise the limit (LimitNOFILE, ulimit -n) or lower service.max_connections",
                config.service.max_connections
            ));
        }
    }
    Ok(warnings)
}

/// Descriptors kept for what is not a client: the database pool, SMTP
/// sessions, feed and page fetches, log and archive files.
const FD_HEADROOM: u64 = 256;

/// The soft limit on open files, where the system tells (Linux); None when
/// unknown or unlimited.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_open_files(&limits)
}

fn parse_open_files(limits: &str) -> Option<u64> {
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Runs until `stop` is cancelled, then shuts down within
/// `service.shutdown_secs`. `listener` is bound by the caller (tests bind
/// port 0).
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    check_serve_config(&app.config)?;
    crate::telemetry::metrics();
    let app = Arc::new(app);
    if let Err(e) = pipeline::write_archive(&app).await {
        tracing::warn!("archive not written: {e:#}");
    }
    let dispatch = Arc::new(Dispatch::default());
    let shared = Arc::new(crate::http::Shared::new(app.clone(), dispatch.clone()));
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        publish = %app.config.schedule.publish,
        refresh = %app.config.schedule.refresh,
        timezone = %app.config.newsletter.timezone,
        "serving"
    );
    let http = tokio::spawn(crate::http::serve(listener, shared, stop.clone()));
    let scheduler = tokio_cron_scheduler::JobScheduler::new()
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the scheduler: {e}"))?;
    scheduler
        .start()
        .await
        .map_err(|e| anyhow::anyhow!("cannot start the scheduler: {e}"))?;
    let mut tasks = vec![
        tokio::spawn(delivery_loop(app.clone(), dispatch.clone(), stop.clone())),
        tokio::spawn(job_loop(
            Job::Refresh,
            app.clone(),
            dispatch.clone(),
            scheduler.clone(),
            stop.clone(),
        )),
        tokio::spawn(job_loop(
            Job::Publish,
            app.clone(),
            dispatch.clone(),
            scheduler.clone(),
            stop.clone(),
        )),
    ];
    stop.cancelled().await;
    tracing::info!(
        grace_secs = app.config.service.shutdown_secs,
        "shutting down: finishing requests and sends in flight"
    );
    let bound = Duration::from_secs(app.config.service.shutdown_secs);
    tasks.push(tokio::spawn(async move {
        if let Ok(Err(e)) = http.await {
            tracing::error!("HTTP server: {e}");
        }
    }));
    let finished = tokio::time::timeout(bound, futures_util::future::join_all(tasks)).await;
    let mut scheduler = scheduler;
    let _ = scheduler.shutdown().await;
    match finished {
        Ok(_) => tracing::info!("stopped cleanly"),
        Err(_) => tracing::warn!(
            "sends still in flight after {} s; exiting anyway (their rows go back to the queue when their leases run out)",
            bound.as_secs()
        ),
    }
    Ok(())
}

// ---------------------------------------------------------------- delivery

async fn delivery_loop(app: Arc<App>, dispatch: Arc<Dispatch>, stop: CancellationToken) {
    loop {
        if let Err(e) = delivery_pass(&app, &dispatch, &stop).await {
            tracing::error!("delivery pass failed: {e:#}");
        }
        tokio::select! {
            _ = dispatch.wake.notified() => {}
            _ = tokio::time::sleep(DELIVERY_POLL) => {}
            _ = stop.cancelled() => break,
        }
    }
}

/// Sends what every live edition still has to send. An edition older than
/// `delivery.max_age_secs` is live only if an editor asked for it: a stale
/// edition is never sent days late by itself.
async fn delivery_pass(
    app: &App,
    dispatch: &Dispatch,
    stop: &CancellationToken,
) -> anyhow::Result<()> {
    let since = now_ts() - app.config.delivery.max_age_secs;
    let forced = dispatch.forced();
    for id in app.store.editions_pending(since, &forced).await? {
        if stop.is_cancelled() {
            break;
        }
        let Some(edition) = app.store.edition_by_id(id).await? else {
            continue;
        };
        let mailer = app.mailer(&edition.key)?;
        pipeline::deliver_until(app, &edition, mailer.as_ref(), stop).await?;
    }
    // An editor's request is spent once nothing of it is left to send.
    let still = app.store.editions_pending(i64::MAX, &forced).await?;
    dispatch
        .forced
        .lock()
        .expect("dispatch lock")
        .retain(|id| still.contains(id));
    Ok(())
}

// ---------------------------------------------------------------- schedule

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Job {
    Refresh,
    Publish,
}

impl Job {
    fn name(self) -> &'static str {
        match self {
            Job::Refresh => "refresh",
            Job::Publish => "publish",
        }
    }

    fn cadence(self, config: &Config) -> Cadence {
        let expr = match self {
            Job::Refresh => &config.schedule.refresh,
            Job::Publish => &config.schedule.publish,
        };
        Cadence::parse(expr).expect("validated with the config")
    }

    /// How late a missed slot may still run: refreshing late is always
    /// worth it; publishing late only inside the catch-up window.
    fn grace(self, config: &Config) -> Option<Duration> {
        match self {
            Job::Refresh => None,
            Job::Publish => Some(Duration::from_secs(config.schedule.catch_up_secs as u64)),
        }
    }
}

async fn job_loop(
    job: Job,
    app: Arc<App>,
    dispatch: Arc<Dispatch>,
    scheduler: tokio_cron_scheduler::JobScheduler,
    stop: CancellationToken,
) {
    let tz = app.config.timezone();
    let cadence = job.cadence(&app.config);
    let (tx, mut due) = tokio::sync::mpsc::channel(4);
    let mut ticker = Ticker::new(job.name(), cadence.clone(), tz, scheduler, Utc::now());
    let ticks = tokio::spawn(async move {
        while let Some(slot) = ticker.next().await {
            if tx.send(slot).await.is_err() {
                break;
            }
        }
    });
    let mut recheck = tokio::time::interval(SLOT_RECHECK);
    loop {
        // At start, at each slot and now and then: the latest due slot is
        // handled once, wherever the fire came from.
        tokio::select! {
            _ = handle_latest(job, &app, &dispatch, &cadence, &stop) => {}
            _ = stop.cancelled() => break,
        }
        tokio::select! {
            _ = due.recv() => {}
            _ = recheck.tick() => {}
            _ = stop.cancelled() => break,
        }
    }
    ticks.abort();
}

/// Runs, skips or leaves the latest slot at or before now, as `catch_up`
/// decides; the slot claim makes every extra fire a no-op.
async fn handle_latest(
    job: Job,
    app: &App,
    dispatch: &Dispatch,
    cadence: &Cadence,
    stop: &CancellationToken,
) {
    let tz = app.config.timezone();
    let name = job.name();
    let store = &app.store;
    let last = match store.last_slot(name).await {
        Ok(l) => l.map(from_ts),
        Err(e) => {
            tracing::error!(job = name, "cannot read the schedule: {e:#}");
            return;
        }
    };
    let now = Utc::now();
    match catch_up(cadence, &tz, last, now, job.grace(&app.config)) {
        CatchUp::Nothing => {}
        CatchUp::Skip(slot) => {
            let late = (now - slot).num_minutes();
            let detail = format!(
                "missed while the service was down; {late} min late is past the catch-up window of {} min",
                app.config.schedule.catch_up_secs / 60
            );
            if let Ok(true) = store.skip_slot(name, ts(slot), &detail, now_ts()).await {
                metrics::counter!(crate::telemetry::SLOTS, "job" => name, "result" => "skipped")
                    .increment(1);
                tracing::warn!(
                    job = name,
                    slot = %slot.with_timezone(&tz),
                    "slot skipped: {detail}; a stale edition is not sent by itself (`roundup publish` or POST /api/send publishes it now)"
                );
            }
        }
        CatchUp::Run(slot) => match store.claim_slot(name, ts(slot), now_ts()).await {
            Ok(SlotClaim::Claimed) => run_slot(job, app, dispatch, slot, stop).await,
            Ok(SlotClaim::Taken) => {
                tracing::debug!(job = name, %slot, "slot already taken");
            }
            Err(e) => tracing::error!(job = name, "cannot claim the slot: {e:#}"),
        },
    }
}

async fn run_slot(
    job: Job,
    app: &App,
    dispatch: &Dispatch,
    slot: DateTime<Utc>,
    stop: &CancellationToken,
) {
    let name = job.name();
    let late = (Utc::now() - slot).num_seconds();
    if late > 60 {
        tracing::info!(job = name, %slot, late_secs = late, "catching up a missed slot");
    }
    let work = async {
        let _turn = dispatch.pipeline.lock().await;
        match job {
            Job::Refresh => {
                let r = pipeline::refresh(app, Utc::now()).await?;
                Ok::<_, anyhow::Error>(format!(
                    "{} feeds, {} new items, {} failed",
                    r.feeds.len(),
                    r.new_items(),
                    r.failures().count()
                ))
            }
            Job::Publish => {
                // Fresh items first; a failed refresh still publishes from
                // what is stored.
                if let Err(e) = pipeline::refresh(app, Utc::now()).await {
                    tracing::warn!("refresh before publishing failed: {e:#}");
                }
                // The slot's time names the edition, so a catch-up an hour
                // late publishes the same week's edition.
                let p = pipeline::publish(app, slot).await?;
                if let Err(e) = pipeline::write_archive(app).await {
                    tracing::warn!("archive not written: {e:#}");
                }
                dispatch.send(p.edition.id, false);
                Ok(format!(
                    "edition {} {}",
                    p.edition.key,
                    if p.created {
                        "published"
                    } else {
                        "already published"
                    }
                ))
            }
        }
    };
    let result = tokio::select! {
        r = work => Some(r),
        _ = stop.cancelled() => None,
    };
    let store = &app.store;
    let (status, detail) = match result {
        None => {
            // Not finished: give the claim back so the next start catches it up.
            if let Err(e) = store.release_slot(name, ts(slot)).await {
                tracing::warn!(job = name, "cannot release the slot: {e:#}");
            }
            tracing::info!(job = name, %slot, "slot interrupted by shutdown; it runs again at the next start");
            return;
        }
        Some(Ok(detail)) => {
            tracing::info!(job = name, %slot, "{detail}");
            ("done", detail)
        }
        Some(Err(e)) => {
            tracing::error!(job = name, %slot, "slot failed: {e:#}");
            ("failed", format!("{e:#}"))
        }
    };
    metrics::counter!(crate::telemetry::SLOTS, "job" => name, "result" => status).increment(1);
    if let Err(e) = store
        .finish_slot(name, ts(slot), status, &detail, now_ts())
        .await
    {
        tracing::warn!(job = name, "cannot record the slot: {e:#}");
    }
}

#[cfg(test)]
mod tests {
    use super::parse_open_files;

    #[test]
    fn the_soft_open_files_limit_is_read_from_proc() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \nMax open files            1024                 524288               files     \n";
        assert_eq!(parse_open_files(limits), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files     \n";
        assert_eq!(parse_open_files(unlimited), None);
        assert_eq!(parse_open_files(""), None);
    }
}
