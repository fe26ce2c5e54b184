//! Drains an edition's ledger: claim rows with a lease, send each message
//! outside any transaction, record the outcome, until nothing is left that
//! may be sent now.
//!
//! Rows flow through one pipeline (claims are made as senders free up, so
//! connections never wait for a batch to finish). The worker's leases are
//! renewed while it lives; a row held by a worker that died goes back to the
//! queue when its lease runs out. Rate caps and the circuit breaker live in
//! `pace.rs`.

use super::pace::{Breaker, Pacer, Tripped};
use super::{Mailer, SendError};
use crate::assemble::Digest;
use crate::config::DeliverySettings;
use crate::domain::SubscriberName;
use crate::render::{Prepared, Recipient, Renderer};
use crate::store::{
    Claimed, DeliveryCounts, FailedDelivery, Failure, Pause, SentRow, Store, now_ts,
};
use crate::telemetry::{DELIVERIES, SEND_SECONDS, SMTP_ERRORS};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use std::collections::VecDeque;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Default)]
pub struct DeliveryReport {
    /// Sent by this call.
    pub sent_now: usize,
    pub counts: DeliveryCounts,
    pub failures: Vec<FailedDelivery>,
    /// The pause that ended the run (this run's breaker or another
    /// process's), or one still in force as it ends: the rest waits for it.
    pub paused: Option<Pause>,
}

/// What happened to one claimed row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Failed,
    /// Not the recipient's or the relay's doing (unsubscribed, bad address).
    Skipped,
    /// Claimed, then handed back untried because the breaker opened.
    Released,
}

struct Run<'a> {
    store: &'a Store,
    edition_id: i64,
    prepared: Prepared<'a>,
    mailer: &'a dyn Mailer,
    settings: &'a DeliverySettings,
    owner: String,
    pacer: Pacer,
    breaker: Breaker,
    recorder: Recorder,
    /// Cancelled on shutdown: claim nothing more, hand back what is not yet
    /// on the wire, let what is on the wire finish.
    stop: &'a CancellationToken,
}

type Ack = oneshot::Sender<Result<(), String>>;

/// Group commit of sent rows. A sender hands over what the relay took and
/// waits until it is written. So a sender moves on only once its message is
/// recorded, and a crash can leave at most one message per sender taken by
/// the relay but not recorded, the same bound as one write per message.
///
/// A write waits for `flush_at` rows or `linger`, whichever comes first.
/// Taking only what had queued during the previous write gave 1.3 rows a
/// write, and those writes were a third of delivery's CPU (`perf`, see
/// docs/PROFILING.md). The senders waiting here are the spare ones (twice
/// as many in hand as connections), so the connections stay busy.
struct Recorder {
    tx: mpsc::Sender<(SentRow, Ack)>,
}

/// Long enough to gather a batch from a fast relay, short against the time
/// a relay takes to answer DATA.
const RECORD_LINGER: Duration = Duration::from_millis(5);

impl Recorder {
    fn spawn(store: Store, flush_at: usize) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, mut rx) = mpsc::channel::<(SentRow, Ack)>(1024);
        let flush_at = flush_at.clamp(1, 256);
        let task = tokio::spawn(async move {
            let mut batch = Vec::new();
            while let Some(first) = rx.recv().await {
                batch.push(first);
                let deadline = tokio::time::Instant::now() + RECORD_LINGER;
                while batch.len() < flush_at {
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(next)) => batch.push(next),
                        Ok(None) | Err(_) => break,
                    }
                }
                let rows: Vec<SentRow> = batch.iter().map(|(r, _)| r.clone()).collect();
                let result = store
                    .mark_sent_many(&rows, now_ts())
                    .await
                    .map_err(|e| format!("{e:#}"));
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(result.clone());
                }
            }
        });
        (Self { tx }, task)
    }

    async fn sent(&self, row: SentRow) -> anyhow::Result<()> {
        let (ack, done) = oneshot::channel();
        self.tx
            .send((row, ack))
            .await
            .map_err(|_| anyhow::anyhow!("the ledger writer stopped"))?;
        done.await
            .map_err(|_| anyhow::anyhow!("the ledger writer stopped"))?
            .map_err(|e| anyhow::anyhow!("cannot record a sent message: {e}"))
    }
}

/// One edition's delivery: what to send, how, and through what.
pub struct DeliveryJob<'a> {
    pub store: &'a Store,
    pub edition_id: i64,
    pub digest: &'a Digest,
    pub renderer: &'a Renderer,
    pub mailer: &'a dyn Mailer,
    pub settings: &'a DeliverySettings,
    /// Connections the transport may use at once.
    pub concurrency: usize,
}

pub async fn deliver_edition(
    job: DeliveryJob<'_>,
    stop: &CancellationToken,
) -> anyhow::Result<DeliveryReport> {
    let DeliveryJob {
        store,
        edition_id,
        digest,
        renderer,
        mailer,
        settings,
        concurrency,
    } = job;
    // Before any row is claimed: a template that cannot render is a bug to
    // report, not a reason to mark every subscriber failed.
    let prepared = renderer.prepare(digest)?;
    let used_last_hour = if settings.per_hour > 0 {
        store.sent_since(now_ts() - 3600).await?
    } else {
        0
    };
    let (recorder, writer) = Recorder::spawn(store.clone(), concurrency.max(1));
    let run = Run {
        store,
        edition_id,
        prepared,
        mailer,
        settings,
        owner: lease_owner(),
        pacer: Pacer::new(settings.per_second, settings.per_hour, used_last_hour),
        breaker: Breaker::new(settings.breaker_failures),
        recorder,
        stop,
    };
    let heartbeat = tokio::spawn(renew_leases(
        store.clone(),
        run.owner.clone(),
        settings.lease_secs,
    ));
    // Twice as many messages in hand as connections: while one waits for
    // its ledger write or is being rendered, the connection it used is
    // already carrying the next. The transport still caps connections.
    let result = run.drain(concurrency.max(1) * 2).await;
    drop(run);
    let _ = writer.await;
    heartbeat.abort();
    let (sent_now, stopped_by) = result?;
    // A pause that stopped the run is reported even when a short cool-down
    // ran out while the run was winding down: the rows it left are waiting.
    let paused = match stopped_by {
        Some(p) => Some(p),
        None => store
            .edition_pause(edition_id)
            .await?
            .filter(|p| p.until > now_ts()),
    };
    let counts = store.delivery_counts(edition_id).await?;
    tracing::info!(
        edition = %digest.key,
        sent_now,
        sent = counts.sent,
        pending = counts.pending(),
        failed = counts.failed,
        bounced = counts.bounced,
        skipped = counts.skipped,
        paused = paused.is_some(),
        stopped = stop.is_cancelled(),
        "delivery pass done"
    );
    Ok(DeliveryReport {
        sent_now,
        counts,
        failures: store.failed_deliveries(edition_id).await?,
        paused,
    })
}

/// Unique per run: host, process and time.
fn lease_owner() -> String {
    let host = hostname();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{host}:{}:{nanos:x}", std::process::id())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

async fn renew_leases(store: Store, owner: String, lease_secs: i64) {
    let every = Duration::from_secs((lease_secs / 3).max(1) as u64);
    loop {
        tokio::time::sleep(every).await;
        if let Err(e) = store.renew_leases(&owner, lease_secs, now_ts()).await {
            tracing::warn!("cannot renew delivery leases: {e:#}");
        }
    }
}

impl Run<'_> {
    /// Returns the messages sent, and the pause that ended the run.
    async fn drain(&self, concurrency: usize) -> anyhow::Result<(usize, Option<Pause>)> {
        let mut sent = 0;
        let mut pauses = 0;
        loop {
            if self.stop.is_cancelled() {
                break;
            }
            // Another process may have paused the edition. A pause this
            // run's breaker set counts even if its cool-down has already run
            // out (timestamps are whole seconds, so a one-second cool-down
            // can be over before it is read back): the breaker stays open
            // until the run has decided whether to wait.
            let pause = match self.store.edition_pause(self.edition_id).await? {
                Some(p) if self.breaker.is_open() || p.until > now_ts() => Some(p),
                Some(_) => None,
                None => {
                    if self.breaker.is_open() {
                        // An operator lifted the pause this run's breaker set.
                        self.breaker.close_half_open();
                    }
                    None
                }
            };
            if let Some(p) = pause {
                if pauses >= self.settings.max_pauses {
                    tracing::warn!(
                        until = %crate::store::from_ts(p.until),
                        "delivery paused: {}; leaving the rest to the next run", p.reason
                    );
                    return Ok((sent, Some(p)));
                }
                pauses += 1;
                tracing::warn!(
                    until = %crate::store::from_ts(p.until),
                    "delivery paused: {}; waiting", p.reason
                );
                let wait = Duration::from_secs((p.until - now_ts()).max(0) as u64 + 1);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = self.stop.cancelled() => break,
                }
                self.breaker.close_half_open();
                tracing::info!("delivery resuming after the pause");
                continue;
            }
            let (n, claimed_any) = self.one_pass(concurrency).await?;
            sent += n;
            if !claimed_any {
                break;
            }
        }
        Ok((sent, None))
    }

    /// Claims and sends until nothing is claimable or the breaker opens.
    /// Returns (sent, whether anything was claimed).
    ///
    /// Rows are claimed as senders free up, so there is no batch tail. (A
    /// plain loop over a FuturesUnordered: the same with stream combinators
    /// and async closures trips rustc's higher-ranked lifetime inference
    /// once the run is spawned on a multi-threaded runtime.)
    async fn one_pass(&self, concurrency: usize) -> anyhow::Result<(usize, bool)> {
        type Claim<'b> = Pin<Box<dyn Future<Output = anyhow::Result<Vec<Claimed>>> + Send + 'b>>;
        let mut in_flight = FuturesUnordered::new();
        let mut queue: VecDeque<Claimed> = VecDeque::new();
        let mut claim: Option<Claim<'_>> = None;
        let mut exhausted = false;
        let (mut sent, mut claimed) = (0, false);
        loop {
            // Rows claimed before the breaker opened or shutdown began
            // still pass through send_one, which hands them back.
            while in_flight.len() < concurrency
                && let Some(c) = queue.pop_front()
            {
                in_flight.push(self.send_one(c));
            }
            if claim.is_none()
                && queue.is_empty()
                && in_flight.len() < concurrency
                && !exhausted
                && !self.breaker.is_open()
                && !self.stop.is_cancelled()
            {
                claim = Some(Box::pin(self.store.claim(
                    self.edition_id,
                    &self.owner,
                    self.settings.batch_size,
                    self.settings.lease_secs,
                    now_ts(),
                )));
            }
            if in_flight.is_empty() && claim.is_none() {
                break;
            }
            // The claim and the sends progress together: a send may hold
            // the write lock in the middle of recording a failure, and a
            // claim waiting on it while the send is not polled would wait
            // for ever.
            tokio::select! {
                batch = async { claim.as_mut().expect("guarded").await }, if claim.is_some() => {
                    claim = None;
                    let batch = batch?;
                    exhausted = batch.is_empty();
                    queue.extend(batch);
                }
                Some(outcome) = in_flight.next(), if !in_flight.is_empty() => {
                    claimed = true;
                    if outcome? == Outcome::Sent {
                        sent += 1;
                    }
                }
            }
        }
        Ok((sent, claimed))
    }

    async fn send_one(&self, c: Claimed) -> anyhow::Result<Outcome> {
        let store = self.store;
        // Someone who unsubscribed (or was suppressed) after the edition was
        // published gets nothing.
        if c.subscriber_status != "active" {
            store
                .mark_skipped(
                    c.delivery_id,
                    &format!("subscriber is {}", c.subscriber_status),
                    now_ts(),
                )
                .await?;
            return Ok(Outcome::Skipped);
        }
        let Some(email) = c.address() else {
            store
                .mark_failed(
                    c.delivery_id,
                    &self.owner,
                    &format!("invalid address `{}`", c.email),
                    Failure::Bounced,
                    self.settings.max_bounces,
                    now_ts(),
                )
                .await?;
            return Ok(Outcome::Skipped);
        };
        let recipient = Recipient {
            id: c.subscriber_id,
            email,
            name: SubscriberName::parse_opt(c.name.as_deref()),
        };
        // Nothing stored may stop the run: a message that cannot be made
        // fails its own row, with the reason, and the rest go on.
        let rendered =
            std::panic::catch_unwind(AssertUnwindSafe(|| self.prepared.render(&recipient)))
                .map_err(|p| format!("rendering failed: {}", panic_text(&p)))
                .and_then(|r| r.map_err(|e| format!("rendering failed: {e:#}")));
        let message = match rendered {
            Ok(m) => m,
            Err(why) => return self.unsendable(&c, &why).await,
        };
        tokio::select! {
            _ = self.pacer.acquire() => {}
            _ = self.stop.cancelled() => {}
        }
        // Checked after the pacer's wait: the breaker may have opened, or
        // shutdown begun, while this message waited for its turn.
        if self.breaker.is_open() || self.stop.is_cancelled() {
            store
                .release_lease(&self.owner, c.delivery_id, now_ts())
                .await?;
            return Ok(Outcome::Released);
        }
        let timeout = Duration::from_secs(self.settings.send_timeout_secs);
        let started = std::time::Instant::now();
        let send = AssertUnwindSafe(self.mailer.send(&message)).catch_unwind();
        let (result, timed_out) = match tokio::time::timeout(timeout, send).await {
            Ok(Ok(r)) => (r, false),
            Ok(Err(p)) => (Err(SendError::Unsendable(panic_text(&p))), false),
            Err(_) => (
                Err(SendError::Transient(format!(
                    "no answer within {} s",
                    timeout.as_secs()
                ))),
                true,
            ),
        };
        metrics::histogram!(SEND_SECONDS).record(started.elapsed().as_secs_f64());
        match result {
            Ok(receipt) => {
                self.recorder
                    .sent(SentRow {
                        delivery_id: c.delivery_id,
                        message_id: message.message_id.clone(),
                        reply: receipt.reply,
                    })
                    .await?;
                self.breaker.success();
                metrics::counter!(DELIVERIES, "outcome" => "sent").increment(1);
                Ok(Outcome::Sent)
            }
            Err(SendError::Unsendable(why)) => self.unsendable(&c, &why).await,
            Err(e) => {
                let now = now_ts();
                // Only Permanent and Transient reach here: Unsendable is
                // handled above.
                let permanent = matches!(e, SendError::Permanent(_));
                let failure = if permanent {
                    Failure::Bounced
                } else if c.attempts >= self.settings.max_attempts
                    || now - c.first_tried_at >= self.settings.max_age_secs
                {
                    Failure::GaveUp
                } else {
                    Failure::Retry {
                        at: now
                            + backoff_secs(
                                self.settings.retry_after_secs,
                                c.attempts,
                                c.delivery_id,
                            ),
                    }
                };
                tracing::warn!(to = %c.email, error = %e, outcome = %failure_text(failure), "delivery failed");
                let class = if timed_out {
                    "timeout"
                } else if permanent {
                    "permanent"
                } else {
                    "transient"
                };
                let outcome = match failure {
                    Failure::Bounced => "bounced",
                    Failure::GaveUp => "gave_up",
                    Failure::Retry { .. } => "retry",
                };
                metrics::counter!(SMTP_ERRORS, "class" => class).increment(1);
                metrics::counter!(DELIVERIES, "outcome" => outcome).increment(1);
                store
                    .mark_failed(
                        c.delivery_id,
                        &self.owner,
                        &e.to_string(),
                        failure,
                        self.settings.max_bounces,
                        now,
                    )
                    .await?;
                if self.breaker.failure() == Tripped::Now {
                    let until = now + self.settings.breaker_cooldown_secs;
                    let reason = format!(
                        "{} failures in a row, the last: {e}",
                        self.settings.breaker_failures
                    );
                    tracing::error!(
                        until = %crate::store::from_ts(until),
                        "circuit breaker open, pausing the edition: {reason}"
                    );
                    store.pause_edition(self.edition_id, until, &reason).await?;
                }
                Ok(Outcome::Failed)
            }
        }
    }
}

impl Run<'_> {
    /// A message that could not be made: its row fails with the reason (not
    /// as a bounce: the mailbox did nothing), and it does not count towards
    /// the breaker, which watches the relay.
    async fn unsendable(&self, c: &Claimed, why: &str) -> anyhow::Result<Outcome> {
        tracing::error!(to = %c.email, error = %why, "message could not be made; not sending it");
        metrics::counter!(DELIVERIES, "outcome" => "unsendable").increment(1);
        self.store
            .mark_failed(
                c.delivery_id,
                &self.owner,
                &format!("the message could not be made: {why}"),
                Failure::GaveUp,
                self.settings.max_bounces,
                now_ts(),
            )
            .await?;
        Ok(Outcome::Failed)
    }
}

/// What the ledger does with a failed row, in words for the log.
fn failure_text(f: Failure) -> String {
    match f {
        Failure::Retry { at } => format!(
            "retry at {}",
            crate::store::from_ts(at).format("%Y-%m-%d %H:%M:%S UTC")
        ),
        Failure::GaveUp => "gave up".into(),
        Failure::Bounced => "bounced".into(),
    }
}

/// A panic's message, as well as it can be read.
fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "an internal error".into())
}

/// Exponential from `first` seconds, at most an hour, with ±25% jitter
/// spread by row and attempt so a failed batch does not return as a burst.
fn backoff_secs(first: i64, attempts: i64, delivery_id: i64) -> i64 {
    let base = first
        .saturating_mul(1i64 << (attempts - 1).clamp(0, 20))
        .min(3600);
    let spread = (delivery_id
        .wrapping_mul(2654435761)
        .wrapping_add(attempts * 40503)
        % 1000)
        .abs()
        - 500; // -500..500
    base + base * spread / 2000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_first_delay_and_is_capped_and_jittered() {
        let plain = |a| backoff_secs(60, a, 0);
        assert!((45..=75).contains(&plain(1)), "{}", plain(1));
        assert!((90..=150).contains(&plain(2)));
        assert!(backoff_secs(60, 30, 7) <= 3600 + 900);
        assert_eq!(backoff_secs(0, 3, 7), 0, "0 retries at once (tests)");
        let spread: std::collections::HashSet<i64> =
            (0..50).map(|id| backoff_secs(600, 1, id)).collect();
        assert!(spread.len() > 20, "rows spread out: {spread:?}");
    }
}
