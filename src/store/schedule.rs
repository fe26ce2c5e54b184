//! Schedule slots: a row per (job, slot time). Inserting it is the claim, so
//! a double fire, a second trigger or a second process runs a slot once.

use super::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotClaim {
    /// This caller runs the slot.
    Claimed,
    /// Someone already ran it, is running it, or skipped it.
    Taken,
}

/// A claim whose holder has not finished after this long is taken to have
/// died with the process, and the slot may be claimed again.
const STALE_SECS: i64 = 1800;

impl Store {
    pub async fn claim_slot(&self, job: &str, slot: i64, now: i64) -> anyhow::Result<SlotClaim> {
        let r = sqlx::query(self.sql("INSERT INTO schedule_slots (job, slot, status, started_at) VALUES (?, ?, 'running', ?)
             ON CONFLICT (job, slot) DO UPDATE SET status = 'running', started_at = excluded.started_at,
               detail = NULL, finished_at = NULL
             WHERE schedule_slots.status = 'running' AND schedule_slots.started_at < ?"),
        )
        .bind(job)
        .bind(slot)
        .bind(now)
        .bind(now - STALE_SECS)
        .execute(&self.pool)
        .await?;
        Ok(if r.rows_affected() == 1 {
            SlotClaim::Claimed
        } else {
            SlotClaim::Taken
        })
    }

    /// Records how a claimed slot ended: `done` or `failed`, with a summary.
    pub async fn finish_slot(
        &self,
        job: &str,
        slot: i64,
        status: &str,
        detail: &str,
        now: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(self.sql("UPDATE schedule_slots SET status = ?, detail = ?, finished_at = ? WHERE job = ? AND slot = ?"),
        )
        .bind(status)
        .bind(detail)
        .bind(now)
        .bind(job)
        .bind(slot)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks a slot that was missed and will not run. False when the slot
    /// already had a row (it ran, or was skipped before).
    pub async fn skip_slot(
        &self,
        job: &str,
        slot: i64,
        detail: &str,
        now: i64,
    ) -> anyhow::Result<bool> {
        let r = sqlx::query(self.sql(
            "INSERT INTO schedule_slots (job, slot, status, detail, started_at, finished_at)
             VALUES (?, ?, 'skipped', ?, ?, ?) ON CONFLICT (job, slot) DO NOTHING",
        ))
        .bind(job)
        .bind(slot)
        .bind(detail)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Gives up a claim without running it (shutdown came first), so the
    /// slot can be caught up at the next start.
    pub async fn release_slot(&self, job: &str, slot: i64) -> anyhow::Result<()> {
        sqlx::query(
            self.sql(
                "DELETE FROM schedule_slots WHERE job = ? AND slot = ? AND status = 'running'",
            ),
        )
        .bind(job)
        .bind(slot)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The latest slot of a job that is settled: done, failed or skipped.
    /// A slot still running is not, so it is looked at again (and taken
    /// over once its claim is stale).
    pub async fn last_slot(&self, job: &str) -> anyhow::Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            self.sql("SELECT MAX(slot) FROM schedule_slots WHERE job = ? AND status <> 'running'"),
        )
        .bind(job)
        .fetch_one(&self.pool)
        .await?)
    }

    /// A slot's status and detail, if it has a row.
    pub async fn slot_status(
        &self,
        job: &str,
        slot: i64,
    ) -> anyhow::Result<Option<(String, Option<String>)>> {
        Ok(sqlx::query_as(
            self.sql("SELECT status, detail FROM schedule_slots WHERE job = ? AND slot = ?"),
        )
        .bind(job)
        .bind(slot)
        .fetch_optional(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_slot_is_claimed_once_and_a_stale_claim_can_be_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
        assert_eq!(
            store.claim_slot("publish", 100, 1_000).await.unwrap(),
            SlotClaim::Claimed
        );
        assert_eq!(
            store.claim_slot("publish", 100, 1_001).await.unwrap(),
            SlotClaim::Taken
        );
        assert_eq!(
            store.claim_slot("refresh", 100, 1_001).await.unwrap(),
            SlotClaim::Claimed
        );
        // The holder died: half an hour later the slot is free again.
        assert_eq!(
            store
                .claim_slot("publish", 100, 1_000 + STALE_SECS + 1)
                .await
                .unwrap(),
            SlotClaim::Claimed
        );
        store
            .finish_slot("publish", 100, "done", "ok", 9_000)
            .await
            .unwrap();
        assert_eq!(
            store.claim_slot("publish", 100, 99_999).await.unwrap(),
            SlotClaim::Taken,
            "a finished slot never runs again"
        );
        assert!(
            store
                .skip_slot("publish", 200, "down", 9_000)
                .await
                .unwrap()
        );
        assert!(
            !store
                .skip_slot("publish", 100, "down", 9_000)
                .await
                .unwrap()
        );
        assert_eq!(
            store.claim_slot("publish", 200, 9_001).await.unwrap(),
            SlotClaim::Taken
        );
        assert_eq!(store.last_slot("publish").await.unwrap(), Some(200));
        assert_eq!(
            store.claim_slot("publish", 300, 9_002).await.unwrap(),
            SlotClaim::Claimed
        );
        assert_eq!(
            store.last_slot("publish").await.unwrap(),
            Some(200),
            "300 is still running"
        );
        store.release_slot("publish", 300).await.unwrap();
        assert_eq!(
            store.claim_slot("publish", 300, 9_003).await.unwrap(),
            SlotClaim::Claimed
        );
        assert_eq!(store.last_slot("nothing").await.unwrap(), None);
    }
}
