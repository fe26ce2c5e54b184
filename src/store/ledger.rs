//! The deliveries ledger. Rows move queued → sending (leased) → sent, or to
//! retry / failed / bounced / skipped. Nothing here holds a transaction open
//! across an SMTP call: claim, send outside, then mark.

use super::Store;
use crate::domain::EmailAddress;

#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: i64,
    pub subscriber_id: i64,
    pub email: String,
    pub name: Option<String>,
    pub subscriber_status: String,
    pub attempts: i64,
}

impl Claimed {
    pub fn address(&self) -> Option<EmailAddress> {
        EmailAddress::parse(&self.email).ok()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

impl Store {
    /// Leases up to `limit` sendable rows: queued ones, retries that are due,
    /// and rows whose lease expired (their worker died).
    pub async fn claim(
        &self,
        edition_id: i64,
        limit: usize,
        lease_secs: i64,
        now: i64,
    ) -> anyhow::Result<Vec<Claimed>> {
        let ids: Vec<(i64,)> = sqlx::query_as(
            "UPDATE deliveries SET status = 'sending', lease_until = ?1, attempts = attempts + 1, updated_at = ?2
             WHERE id IN (
                 SELECT id FROM deliveries
                 WHERE edition_id = ?3 AND (status = 'queued'
                    OR (status = 'retry' AND next_attempt_at <= ?2)
                    OR (status = 'sending' AND lease_until < ?2))
                 ORDER BY id LIMIT ?4)
             RETURNING id",
        )
        .bind(now + lease_secs)
        .bind(now)
        .bind(edition_id)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let row: (i64, i64, String, Option<String>, String, i64) = sqlx::query_as(
                "SELECT d.id, s.id, s.email, s.name, s.status, d.attempts
                 FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.id = ?",
            )
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
            out.push(Claimed {
                delivery_id: row.0,
                subscriber_id: row.1,
                email: row.2,
                name: row.3,
                subscriber_status: row.4,
                attempts: row.5,
            });
        }
        Ok(out)
    }

    pub async fn mark_sent(
        &self,
        delivery_id: i64,
        message_id: &str,
        reply: &str,
        now: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE deliveries SET status = 'sent', message_id = ?, server_reply = ?, sent_at = ?3, updated_at = ?3,
                 lease_until = NULL, last_error = NULL WHERE id = ?4",
        )
        .bind(message_id)
        .bind(reply)
        .bind(now)
        .bind(delivery_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A transient failure with a retry time goes back in the queue; without
    /// one it is final. A permanent failure counts as a bounce.
    pub async fn mark_failed(
        &self,
        delivery_id: i64,
        error: &str,
        permanent: bool,
        retry_at: Option<i64>,
        now: i64,
    ) -> anyhow::Result<()> {
        let status = match (permanent, retry_at) {
            (true, _) => "bounced",
            (false, Some(_)) => "retry",
            (false, None) => "failed",
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE deliveries SET status = ?, last_error = ?, next_attempt_at = ?, lease_until = NULL, updated_at = ?
             WHERE id = ?",
        )
        .bind(status)
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .bind(delivery_id)
        .execute(&mut *tx)
        .await?;
        if permanent {
            sqlx::query(
                "UPDATE subscribers SET bounce_count = bounce_count + 1
                 WHERE id = (SELECT subscriber_id FROM deliveries WHERE id = ?)",
            )
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
        sqlx::query("UPDATE deliveries SET status = 'skipped', last_error = ?, lease_until = NULL, updated_at = ? WHERE id = ?")
            .bind(reason)
            .bind(now)
            .bind(delivery_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delivery_counts(&self, edition_id: i64) -> anyhow::Result<DeliveryCounts> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM deliveries WHERE edition_id = ? GROUP BY status",
        )
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

    pub async fn failed_deliveries(&self, edition_id: i64) -> anyhow::Result<Vec<FailedDelivery>> {
        let rows: Vec<(String, String, i64, Option<String>)> = sqlx::query_as(
            "SELECT s.email, d.status, d.attempts, d.last_error FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
             WHERE d.edition_id = ? AND d.status IN ('failed', 'bounced', 'retry') ORDER BY s.email",
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
