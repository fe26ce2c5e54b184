use super::Store;

/// Everything editors have asked for, as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoredSteering {
    /// (canonical link, URL as given) of pins not yet carried by an edition.
    pub pins: Vec<(String, String)>,
    pub blocked_items: Vec<String>,
    /// Configured feed URLs.
    pub blocked_sources: Vec<String>,
    /// (configured feed URL, weight).
    pub weights: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Item,
    Source,
}

impl BlockKind {
    fn as_str(self) -> &'static str {
        match self {
            BlockKind::Item => "item",
            BlockKind::Source => "source",
        }
    }
}

impl Store {
    /// Returns false when the story was already pinned and waiting.
    pub async fn pin(&self, canonical: &str, url: &str, now: i64) -> anyhow::Result<bool> {
        let r = sqlx::query(self.sql("INSERT INTO pins (canonical_link, url, created_at) VALUES (?, ?, ?)
             ON CONFLICT (canonical_link) DO UPDATE SET used_in = NULL, created_at = excluded.created_at
             WHERE pins.used_in IS NOT NULL"),
        )
        .bind(canonical)
        .bind(url)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn unpin(&self, canonical: &str) -> anyhow::Result<bool> {
        let r =
            sqlx::query(self.sql("DELETE FROM pins WHERE canonical_link = ? AND used_in IS NULL"))
                .bind(canonical)
                .execute(&self.pool)
                .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Returns false when it was blocked already.
    pub async fn block(&self, kind: BlockKind, value: &str, now: i64) -> anyhow::Result<bool> {
        let r = sqlx::query(self.sql(
            "INSERT INTO blocks (kind, value, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        ))
        .bind(kind.as_str())
        .bind(value)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() > 0)
    }

    pub async fn unblock(&self, kind: BlockKind, value: &str) -> anyhow::Result<bool> {
        let r = sqlx::query(self.sql("DELETE FROM blocks WHERE kind = ? AND value = ?"))
            .bind(kind.as_str())
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() > 0)
    }

    /// Sets (or with `None`, clears) an editor's weight for a feed. The feed
    /// row is created if it was never refreshed.
    pub async fn set_feed_weight(
        &self,
        url: &str,
        name: &str,
        weight: Option<f64>,
    ) -> anyhow::Result<()> {
        let state = self.upsert_feed(url, name).await?;
        sqlx::query(self.sql("UPDATE feeds SET weight_override = ? WHERE id = ?"))
            .bind(weight)
            .bind(state.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn steering(&self) -> anyhow::Result<StoredSteering> {
        let pins: Vec<(String, String)> = sqlx::query_as(self.sql("SELECT canonical_link, url FROM pins WHERE used_in IS NULL ORDER BY created_at, canonical_link"),
        )
        .fetch_all(&self.pool)
        .await?;
        let blocks: Vec<(String, String)> =
            sqlx::query_as(self.sql("SELECT kind, value FROM blocks ORDER BY created_at, value"))
                .fetch_all(&self.pool)
                .await?;
        let weights: Vec<(String, f64)> = sqlx::query_as(self.sql(
            "SELECT url, weight_override FROM feeds WHERE weight_override IS NOT NULL ORDER BY url",
        ))
        .fetch_all(&self.pool)
        .await?;
        let of = |kind: BlockKind| {
            blocks
                .iter()
                .filter(|(k, _)| k == kind.as_str())
                .map(|(_, v)| v.clone())
                .collect()
        };
        Ok(StoredSteering {
            pins,
            blocked_items: of(BlockKind::Item),
            blocked_sources: of(BlockKind::Source),
            weights,
        })
    }
}
