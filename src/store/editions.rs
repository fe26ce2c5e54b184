use super::{Backend, Store};
use crate::assemble::Digest;
use sha2::Digest as _;

/// Held while an edition is built; see `Store::lock_edition`.
pub struct EditionLock {
    _conn: sqlx::pool::PoolConnection<sqlx::Any>,
}

#[derive(Debug, Clone)]
pub struct StoredEdition {
    pub id: i64,
    pub key: String,
    pub subject: String,
    pub digest: Digest,
    /// When it was published (unix seconds, UTC).
    pub created_at: i64,
}

impl Store {
    pub async fn edition(&self, key: &str) -> anyhow::Result<Option<StoredEdition>> {
        let row: Option<EditionRow> = sqlx::query_as(self.sql("SELECT id, edition_key, subject, digest_json, created_at FROM editions WHERE edition_key = ?"),
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        row.map(edition_from_row).transpose()
    }

    pub async fn edition_by_id(&self, id: i64) -> anyhow::Result<Option<StoredEdition>> {
        let row: Option<EditionRow> = sqlx::query_as(self.sql(
            "SELECT id, edition_key, subject, digest_json, created_at FROM editions WHERE id = ?",
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(edition_from_row).transpose()
    }

    /// On PostgreSQL, waits for and takes a lock on building `key`'s
    /// edition, held until the guard is dropped: with several processes on
    /// one database, exactly one builds each edition, and the others find
    /// it published when they get the lock. SQLite has one process, and
    /// `None` is returned at once.
    pub async fn lock_edition(&self, key: &str) -> anyhow::Result<Option<EditionLock>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut conn = self.pool.acquire().await?;
        // A session lock lives as long as its connection; closing the
        // connection when the guard drops releases it even if the build
        // failed half-way.
        conn.close_on_drop();
        let digest = sha2::Sha256::digest(format!("roundup:edition:{key}").as_bytes());
        let id = i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
        sqlx::query(self.sql("SELECT pg_advisory_lock(?)"))
            .bind(id)
            .execute(&mut *conn)
            .await?;
        Ok(Some(EditionLock { _conn: conn }))
    }

    /// The id of the most recently published edition, without reading its
    /// digest: what each metrics scrape needs.
    pub async fn latest_edition_id(&self) -> anyhow::Result<Option<i64>> {
        Ok(sqlx::query_scalar(
            self.sql("SELECT id FROM editions ORDER BY created_at DESC, id DESC LIMIT 1"),
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The most recently published edition.
    pub async fn latest_edition(&self) -> anyhow::Result<Option<StoredEdition>> {
        Ok(self.recent_editions(1).await?.into_iter().next())
    }

    /// The newest `limit` editions, newest first: what the archive shows.
    pub async fn recent_editions(&self, limit: i64) -> anyhow::Result<Vec<StoredEdition>> {
        let rows: Vec<EditionRow> = sqlx::query_as(self.sql(
            "SELECT id, edition_key, subject, digest_json, created_at FROM editions
             ORDER BY created_at DESC, id DESC LIMIT ?",
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(edition_from_row).collect()
    }

    /// Publishes an edition once per key: the edition row, the items it
    /// carries and one ledger row per active subscriber, in one transaction.
    /// Returns the stored edition and whether this call created it.
    pub async fn publish_edition(
        &self,
        digest: &Digest,
        item_ids: &[i64],
        now: i64,
    ) -> anyhow::Result<(StoredEdition, bool)> {
        let mut tx = self.pool.begin().await?;
        let inserted: Option<(i64,)> = sqlx::query_as(self.sql("INSERT INTO editions (edition_key, subject, digest_json, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (edition_key) DO NOTHING RETURNING id"),
        )
        .bind(&digest.key)
        .bind(&digest.subject)
        .bind(serde_json::to_string(digest)?)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id,)) = inserted else {
            tx.rollback().await?;
            let existing = self
                .edition(&digest.key)
                .await?
                .ok_or_else(|| anyhow::anyhow!("edition {} vanished", digest.key))?;
            return Ok((existing, false));
        };
        for item in item_ids {
            sqlx::query(self.sql("INSERT INTO edition_items (edition_id, item_id) VALUES (?, ?) ON CONFLICT DO NOTHING"))
                .bind(id)
                .bind(item)
                .execute(&mut *tx)
                .await?;
        }
        // Pins this edition carries are spent with it, never separately: a
        // pin left behind would bring the story back next week.
        sqlx::query(self.sql(
            "UPDATE pins SET used_in = ? WHERE used_in IS NULL AND canonical_link IN
             (SELECT i.canonical_link FROM items i JOIN edition_items e ON e.item_id = i.id
              WHERE e.edition_id = ?)",
        ))
        .bind(&digest.key)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(self.sql(
            "INSERT INTO deliveries (edition_id, subscriber_id, status, updated_at)
             SELECT ?, id, 'queued', ? FROM subscribers WHERE status = 'active'
             ON CONFLICT (edition_id, subscriber_id) DO NOTHING",
        ))
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((
            StoredEdition {
                id,
                key: digest.key.clone(),
                subject: digest.subject.clone(),
                digest: digest.clone(),
                created_at: now,
            },
            true,
        ))
    }
}

type EditionRow = (i64, String, String, String, i64);

fn edition_from_row(
    (id, key, subject, json, created_at): EditionRow,
) -> anyhow::Result<StoredEdition> {
    Ok(StoredEdition {
        id,
        digest: serde_json::from_str(&json)
            .map_err(|e| anyhow::anyhow!("edition {key}: stored digest is unreadable: {e}"))?,
        key,
        subject,
        created_at,
    })
}
