//! Drains an edition's ledger: claim a batch with a lease, send each message
//! outside any transaction, record the outcome, repeat until nothing is left
//! that may be sent now.

use super::{Mailer, SendError};
use crate::assemble::Digest;
use crate::config::DeliverySettings;
use crate::render::{Prepared, Recipient, Renderer};
use crate::store::{Claimed, DeliveryCounts, FailedDelivery, Store, now_ts};
use futures_util::StreamExt;

#[derive(Debug, Clone, Default)]
pub struct DeliveryReport {
    /// Sent by this call.
    pub sent_now: usize,
    pub counts: DeliveryCounts,
    pub failures: Vec<FailedDelivery>,
}

pub async fn deliver_edition(
    store: &Store,
    edition_id: i64,
    digest: &Digest,
    renderer: &Renderer,
    mailer: &dyn Mailer,
    settings: &DeliverySettings,
    concurrency: usize,
) -> anyhow::Result<DeliveryReport> {
    // Before any row is claimed: a template that cannot render is a bug to
    // report, not a reason to mark every subscriber failed.
    let prepared = renderer.prepare(digest)?;
    let mut sent_now = 0;
    loop {
        let batch = store
            .claim(
                edition_id,
                settings.batch_size,
                settings.lease_secs,
                now_ts(),
            )
            .await?;
        if batch.is_empty() {
            break;
        }
        let outcomes: Vec<anyhow::Result<bool>> = futures_util::stream::iter(batch)
            .map(|c| send_one(store, &prepared, mailer, settings, c))
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        for o in outcomes {
            if o? {
                sent_now += 1;
            }
        }
    }
    Ok(DeliveryReport {
        sent_now,
        counts: store.delivery_counts(edition_id).await?,
        failures: store.failed_deliveries(edition_id).await?,
    })
}

/// Returns whether the message went out.
async fn send_one(
    store: &Store,
    prepared: &Prepared<'_>,
    mailer: &dyn Mailer,
    settings: &DeliverySettings,
    c: Claimed,
) -> anyhow::Result<bool> {
    // Someone who unsubscribed after the edition was published gets nothing.
    if c.subscriber_status != "active" {
        store
            .mark_skipped(c.delivery_id, "subscriber is no longer active", now_ts())
            .await?;
        return Ok(false);
    }
    let Some(email) = c.address() else {
        store
            .mark_failed(
                c.delivery_id,
                &format!("invalid address `{}`", c.email),
                true,
                None,
                now_ts(),
            )
            .await?;
        return Ok(false);
    };
    let recipient = Recipient {
        id: c.subscriber_id,
        email,
        name: c.name.clone(),
    };
    let message = match prepared.render(&recipient) {
        Ok(m) => m,
        Err(e) => {
            store
                .mark_failed(
                    c.delivery_id,
                    &format!("render failed: {e}"),
                    false,
                    None,
                    now_ts(),
                )
                .await?;
            return Ok(false);
        }
    };
    match mailer.send(&message).await {
        Ok(receipt) => {
            store
                .mark_sent(c.delivery_id, &message.message_id, &receipt.reply, now_ts())
                .await?;
            Ok(true)
        }
        Err(e) => {
            let retry_at = match &e {
                SendError::Transient(_) if c.attempts < settings.max_attempts => {
                    Some(now_ts() + backoff_secs(c.attempts, c.delivery_id))
                }
                _ => None,
            };
            tracing::warn!(to = %c.email, error = %e, retry_at, "delivery failed");
            store
                .mark_failed(
                    c.delivery_id,
                    &e.to_string(),
                    e.is_permanent(),
                    retry_at,
                    now_ts(),
                )
                .await?;
            Ok(false)
        }
    }
}

/// Exponential, capped at an hour, with a deterministic per-row jitter so a
/// failed batch does not come back as one burst.
fn backoff_secs(attempts: i64, delivery_id: i64) -> i64 {
    let base = 60i64.saturating_mul(1 << attempts.clamp(0, 6)).min(3600);
    let jitter = (delivery_id.wrapping_mul(2654435761) % 1000).abs() * base / 4000;
    base + jitter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff_secs(1, 1) < backoff_secs(3, 1));
        assert!(backoff_secs(20, 99) <= 3600 + 900);
    }
}
