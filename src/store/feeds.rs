use super::{Store, from_ts};
use crate::feeds::fetch::Validators;
use chrono::{DateTime, Utc};

/// What `roundup feeds` shows for one feed.
#[derive(Debug, Clone)]
pub struct FeedStatus {
    pub id: i64,
    pub url: String,
    pub name: String,
    pub consecutive_errors: i64,
    pub last_error: Option<String>,
    pub last_fetch_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_new_item_at: Option<DateTime<Utc>>,
    pub next_check_at: Option<DateTime<Utc>>,
    pub item_count: i64,
}

impl Store {
    /// Registers a configured feed (or renames it) and returns its id and validators.
    pub async fn upsert_feed(&self, url: &str, name: &str) -> anyhow::Result<(i64, Validators)> {
        let row: (i64, Option<String>, Option<String>) = sqlx::query_as(
            "INSERT INTO feeds (url, name) VALUES (?, ?)
             ON CONFLICT (url) DO UPDATE SET name = excluded.name
             RETURNING id, etag, last_modified",
        )
        .bind(url)
        .bind(name)
        .fetch_one(&self.pool)
        .await?;
        Ok((
            row.0,
            Validators {
                etag: row.1,
                last_modified: row.2,
            },
        ))
    }

    pub async fn record_fetch_success(
        &self,
        feed_id: i64,
        validators: Option<&Validators>,
        new_items: usize,
        now: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE feeds SET consecutive_errors = 0, last_error = NULL, last_fetch_at = ?1, last_success_at = ?1,
                 etag = COALESCE(?2, etag), last_modified = COALESCE(?3, last_modified),
                 last_new_item_at = CASE WHEN ?4 > 0 THEN ?1 ELSE last_new_item_at END,
                 next_check_at = NULL
             WHERE id = ?5",
        )
        .bind(now)
        .bind(validators.and_then(|v| v.etag.clone()))
        .bind(validators.and_then(|v| v.last_modified.clone()))
        .bind(new_items as i64)
        .bind(feed_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Counts the failure and schedules the next try with exponential backoff.
    pub async fn record_fetch_error(
        &self,
        feed_id: i64,
        error: &str,
        now: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE feeds SET consecutive_errors = consecutive_errors + 1, last_error = ?1, last_fetch_at = ?2,
                 next_check_at = ?2 + MIN(86400, 300 * (1 << MIN(consecutive_errors, 10)))
             WHERE id = ?3",
        )
        .bind(error)
        .bind(now)
        .bind(feed_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn feed_statuses(&self) -> anyhow::Result<Vec<FeedStatus>> {
        type Row = (
            i64,
            String,
            String,
            i64,
            Option<String>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT f.id, f.url, f.name, f.consecutive_errors, f.last_error, f.last_fetch_at, f.last_success_at,
                    f.last_new_item_at, f.next_check_at, (SELECT COUNT(*) FROM items i WHERE i.feed_id = f.id)
             FROM feeds f ORDER BY f.name",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| FeedStatus {
                id: r.0,
                url: r.1,
                name: r.2,
                consecutive_errors: r.3,
                last_error: r.4,
                last_fetch_at: r.5.map(from_ts),
                last_success_at: r.6.map(from_ts),
                last_new_item_at: r.7.map(from_ts),
                next_check_at: r.8.map(from_ts),
                item_count: r.9,
            })
            .collect())
    }
}
