//! The deliveries ledger. Rows move queued → sending (leased) → sent, or to
//! retry / failed / bounced / skipped. Nothing here holds a transaction open
//! across an SMTP call: claim, send outside, then mark.

use super::{Backend, Store};
use crate::domain::EmailAddress;

#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: i64,
    pub subscriber_id: i64,
    pub email: String,
    pub name: Option<String>,
    pub subscriber_status: String,
    /// Including this one.
    pub attempts: i64,
    /// When the row was first claimed (unix seconds).
    pub first_tried_at: i64,
}

impl Claimed {
    pub fn address(&self) -> Option<EmailAddress> {
        EmailAddress::parse(&self.email).ok()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryCounts {
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub retry: i64,
    pub failed: i64,
    pub bounced: i64,
    pub skipped: i64,
}

impl DeliveryCounts {
    pub fn total(&self) -> i64 {
        self.queued
            + self.sending
            + self.sent
            + self.retry
            + self.failed
            + self.bounced
            + self.skipped
    }

    /// Rows that may still be sent.
    pub fn pending(&self) -> i64 {
        self.queued + self.sending + self.retry
    }
}

#[derive(Debug, Clone)]
pub struct FailedDelivery {
    pub email: String,
    pub status: String,
    pub attempts: i64,
    pub error: String,
}

/// A message the relay took.
#[derive(Debug, Clone)]
pub struct SentRow {
    pub delivery_id: i64,
    pub message_id: String,
    pub reply: String,
}

/// Why a send failed, as the ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Try again at this time.
    Retry { at: i64 },
    /// Transient, but out of attempts or too old: final until `roundup retry`.
    GaveUp,
    /// The recipient's address was refused: a bounce.
    Bounced,
}

/// Rows of an edition still leased (`sending`) once a run is done with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldLeases {
    pub rows: i64,
    /// When the last of those leases runs out (unix seconds).
    pub until: i64,
}

/// An edition's circuit breaker, when it is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    pub until: i64,
    pub reason: String,
}

/// SQLite has one writer at a time, so the claim needs no row locks.
const CLAIM_SQLITE: &str = "UPDATE deliveries
     SET status = 'sending', lease_owner = ?5, lease_until = ?1, attempts = attempts + 1,
         first_tried_at = COALESCE(first_tried_at, ?2), updated_at = ?2
     WHERE id IN (
         SELECT id FROM deliveries WHERE edition_id = ?3 AND status = 'retry' AND next_attempt_at <= ?2
         UNION ALL
         SELECT id FROM deliveries WHERE edition_id = ?3 AND status = 'sending' AND lease_until < ?2
         UNION ALL
         SELECT id FROM (SELECT id FROM deliveries WHERE edition_id = ?3 AND status = 'queued' LIMIT ?4)
         LIMIT ?4)
       AND NOT EXISTS (SELECT 1 FROM editions WHERE id = ?3 AND paused_until > ?2)
     RETURNING id, subscriber_id, attempts, first_tried_at";

/// PostgreSQL: several processes claim at once. SKIP LOCKED lets each take
/// rows no other claim holds, instead of queueing behind it or taking the
/// same ones.
const CLAIM_POSTGRES: &str = "WITH due AS (
         SELECT id FROM deliveries
         WHERE edition_id = ?3
           AND (status = 'queued'
                OR (status = 'retry' AND next_attempt_at <= ?2)
                OR (status = 'sending' AND lease_until < ?2))
           AND NOT EXISTS (SELECT 1 FROM editions WHERE id = ?3 AND paused_until > ?2)
         LIMIT ?4
         FOR UPDATE SKIP LOCKED)
     UPDATE deliveries d
     SET status = 'sending', lease_owner = ?5, lease_until = ?1, attempts = d.attempts + 1,
         first_tried_at = COALESCE(d.first_tried_at, ?2), updated_at = ?2
     FROM due WHERE d.id = due.id
     RETURNING d.id, d.subscriber_id, d.attempts, d.first_tried_at";

impl Store {
    /// Leases up to `limit` sendable rows to `owner`: retries that are due,
    /// rows whose lease expired (their worker died), then queued rows.
    /// Nothing is claimed while the edition is paused. Queued rows come in
    /// index order (next_attempt_at is NULL for all of them, so that is id
    /// order); an ORDER BY here made SQLite sort every queued row on every
    /// claim, which at 100,000 subscribers cost a fifth of the rate.
    pub async fn claim(
        &self,
        edition_id: i64,
        owner: &str,
        limit: usize,
        lease_secs: i64,
        now: i64,
    ) -> anyhow::Result<Vec<Claimed>> {
        let sql = match self.backend {
            Backend::Sqlite => self.sql(CLAIM_SQLITE),
            Backend::Postgres => self.sql(CLAIM_POSTGRES),
        };
        let rows: Vec<(i64, i64, i64, Option<i64>)> = sqlx::query_as(sql)
            .bind(now + lease_secs)
            .bind(now)
            .bind(edition_id)
            .bind(limit as i64)
            .bind(owner)
            .fetch_all(&self.pool)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // One query for the batch's subscribers, not one per row. Only
        // placeholders are formatted into the SQL.
        let placeholders = vec!["?"; rows.len()].join(",");
        let sql =
            format!("SELECT id, email, name, status FROM subscribers WHERE id IN ({placeholders})");
        let mut q = sqlx::query_as::<_, (i64, String, Option<String>, String)>(self.sql_owned(sql));
        for r in &rows {
            q = q.bind(r.1);
        }
        let subscribers: std::collections::HashMap<i64, (String, Option<String>, String)> = q
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(|(id, email, name, status)| (id, (email, name, status)))
            .collect();
        let mut out: Vec<Claimed> = rows
            .into_iter()
            .map(|(id, sub, attempts, first)| {
                let (email, name, status) = subscribers
                    .get(&sub)
                    .cloned()
                    .unwrap_or_else(|| (String::new(), None, "missing".into()));
                Claimed {
                    delivery_id: id,
                    subscriber_id: sub,
                    email,
                    name,
                    subscriber_status: status,
                    attempts,
                    first_tried_at: first.unwrap_or(now),
                }
            })
            .collect();
        out.sort_by_key(|c| c.delivery_id);
        Ok(out)
    }

    /// Extends the leases `owner` holds, so a slow send is not taken over.
    pub async fn renew_leases(&self, owner: &str, lease_secs: i64, now: i64) -> anyhow::Result<()> {
        sqlx::query(self.sql(
            "UPDATE deliveries SET lease_until = ? WHERE lease_owner = ? AND status = 'sending'",
        ))
        .bind(now + lease_secs)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Hands back a row `owner` claimed but never tried (the breaker opened
    /// first), without spending an attempt.
    pub async fn release_lease(
        &self,
        owner: &str,
        delivery_id: i64,
        now: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(self.sql("UPDATE deliveries SET status = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, lease_owner = NULL,
                 lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'sending'"),
        )
        .bind(now)
        .bind(delivery_id)
        .bind(owner)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records what the relay said when it took each message (its queue id),
    /// for several rows in one statement: the delivery worker groups what its
    /// senders finished while the last write ran. Recorded whoever holds the
    /// lease now: the messages went out.
    pub async fn mark_sent_many(&self, rows: &[SentRow], now: i64) -> anyhow::Result<()> {
        for chunk in rows.chunks(200) {
            let values = vec!["(?, ?, ?)"; chunk.len()].join(",");
            let sql = format!(
                "WITH v(id, message_id, reply) AS (VALUES {values})
                 UPDATE deliveries SET status = 'sent', message_id = v.message_id, server_reply = v.reply,
                     sent_at = ?, updated_at = ?, lease_until = NULL, lease_owner = NULL, last_error = NULL
                 FROM v WHERE deliveries.id = v.id"
            );
            // Only placeholders are formatted into the SQL.
            let mut q = sqlx::query(self.sql_owned(sql));
            for r in chunk {
                q = q.bind(r.delivery_id).bind(&r.message_id).bind(&r.reply);
            }
            q.bind(now).bind(now).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Records a failed send, if `owner` still holds the row (otherwise
    /// another worker has taken it over and its outcome counts). A bounce
    /// raises the subscriber's bounce count; at `max_bounces` they are
    /// suppressed (status `bounced`) and get nothing more.
    pub async fn mark_failed(
        &self,
        delivery_id: i64,
        owner: &str,
        error: &str,
        failure: Failure,
        max_bounces: i64,
        now: i64,
    ) -> anyhow::Result<()> {
        let (status, retry_at) = match failure {
            Failure::Retry { at } => ("retry", Some(at)),
            Failure::GaveUp => ("failed", None),
            Failure::Bounced => ("bounced", None),
        };
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(self.sql("UPDATE deliveries SET status = ?, last_error = ?, next_attempt_at = ?, lease_until = NULL, lease_owner = NULL,
                 updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'sending'"),
        )
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .bind(delivery_id)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
        if failure == Failure::Bounced && r.rows_affected() == 1 {
            sqlx::query(self.sql("UPDATE subscribers SET bounce_count = bounce_count + 1,
                     status = CASE WHEN status = 'active' AND bounce_count + 1 >= ? THEN 'bounced' ELSE status END
                 WHERE id = (SELECT subscriber_id FROM deliveries WHERE id = ?)"),
            )
            .bind(max_bounces)
            .bind(delivery_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn mark_skipped(
        &self,
        delivery_id: i64,
        reason: &str,
        now: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(self.sql("UPDATE deliveries SET status = 'skipped', last_error = ?, lease_until = NULL, lease_owner = NULL, updated_at = ? WHERE id = ?"))
            .bind(reason)
            .bind(now)
            .bind(delivery_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Opens the edition's circuit breaker until `until`.
    pub async fn pause_edition(
        &self,
        edition_id: i64,
        until: i64,
        reason: &str,
    ) -> anyhow::Result<()> {
        sqlx::query(
            self.sql("UPDATE editions SET paused_until = ?, pause_reason = ? WHERE id = ?"),
        )
        .bind(until)
        .bind(reason)
        .bind(edition_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The last pause, if any: `until` in the past means it has ended.
    pub async fn edition_pause(&self, edition_id: i64) -> anyhow::Result<Option<Pause>> {
        let row: Option<(Option<i64>, Option<String>)> = sqlx::query_as(
            self.sql("SELECT paused_until, pause_reason FROM editions WHERE id = ?"),
        )
        .bind(edition_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(until, reason)| {
            until.map(|until| Pause {
                until,
                reason: reason.unwrap_or_default(),
            })
        }))
    }

    /// `roundup retry`: rows that gave up or wait for a retry go back to the
    /// queue with fresh attempts, and any pause is lifted. Bounces stay.
    pub async fn requeue_failed(&self, edition_id: i64, now: i64) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query(self.sql("UPDATE deliveries SET status = 'queued', attempts = 0, first_tried_at = NULL, next_attempt_at = NULL,
                 lease_owner = NULL, lease_until = NULL, updated_at = ?
             WHERE edition_id = ? AND status IN ('failed', 'retry')"),
        )
        .bind(now)
        .bind(edition_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            self.sql("UPDATE editions SET paused_until = NULL, pause_reason = NULL WHERE id = ?"),
        )
        .bind(edition_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(r.rows_affected())
    }

    /// Messages sent since `since`, across editions: what the hourly cap has
    /// already used when a process starts.
    pub async fn sent_since(&self, since: i64) -> anyhow::Result<i64> {
        Ok(
            sqlx::query_scalar(self.sql("SELECT COUNT(*) FROM deliveries WHERE sent_at >= ?"))
                .bind(since)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Editions with rows that may still go out (queued, waiting for a
    /// retry, or held by a lease), published since `since` or listed in
    /// `also` (an editor asked), oldest first.
    pub async fn editions_pending(&self, since: i64, also: &[i64]) -> anyhow::Result<Vec<i64>> {
        // Only placeholders are formatted into the SQL.
        let listed = if also.is_empty() {
            "NULL".to_string()
        } else {
            vec!["?"; also.len()].join(",")
        };
        let sql = format!(
            "SELECT e.id FROM editions e
             WHERE (e.created_at >= ? OR e.id IN ({listed}))
               AND EXISTS (SELECT 1 FROM deliveries d WHERE d.edition_id = e.id
                           AND d.status IN ('queued', 'retry', 'sending'))
             ORDER BY e.created_at, e.id"
        );
        let mut q = sqlx::query_scalar(self.sql_owned(sql)).bind(since);
        for id in also {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    pub async fn delivery_counts(&self, edition_id: i64) -> anyhow::Result<DeliveryCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as(self.sql(
                "SELECT status, COUNT(*) FROM deliveries WHERE edition_id = ? GROUP BY status",
            ))
            .bind(edition_id)
            .fetch_all(&self.pool)
            .await?;
        let mut c = DeliveryCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "queued" => c.queued = n,
                "sending" => c.sending = n,
                "sent" => c.sent = n,
                "retry" => c.retry = n,
                "failed" => c.failed = n,
                "bounced" => c.bounced = n,
                "skipped" => c.skipped = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// The edition's rows left `sending`, and when the last lease on them
    /// runs out. Asked once a run has finished its own rows (each ends sent,
    /// failed, skipped or handed back), so whatever is left is held by
    /// another sender, or by one that stopped without handing it back; the
    /// first claim after the lease runs out takes it over.
    pub async fn held_leases(&self, edition_id: i64) -> anyhow::Result<Option<HeldLeases>> {
        let (rows, until): (i64, Option<i64>) = sqlx::query_as(self.sql(
            "SELECT COUNT(*), MAX(lease_until) FROM deliveries WHERE edition_id = ? AND status = 'sending'",
        ))
        .bind(edition_id)
        .fetch_one(&self.pool)
        .await?;
        Ok((rows > 0).then(|| HeldLeases {
            rows,
            until: until.unwrap_or_default(),
        }))
    }

    pub async fn failed_deliveries(&self, edition_id: i64) -> anyhow::Result<Vec<FailedDelivery>> {
        let rows: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(self.sql("SELECT s.email, d.status, d.attempts, d.last_error FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.edition_id = ? AND d.status IN ('failed', 'bounced', 'retry') ORDER BY s.email"),
        )
        .bind(edition_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(email, status, attempts, error)| FailedDelivery {
                email,
                status,
                attempts,
                error: error.unwrap_or_default(),
            })
            .collect())
    }
}
