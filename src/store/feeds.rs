use super::{Store, from_ts};
use crate::feeds::fetch::Validators;
use chrono::{DateTime, Utc};

/// What refresh needs to know before fetching a feed.
#[derive(Debug, Clone)]
pub struct FeedState {
    pub id: i64,
    pub validators: Validators,
    pub fetch_url: Option<String>,
    pub next_check_at: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub last_error: Option<String>,
    /// Items published before this are not taken: an earlier fetch cut them.
    pub cut_before: Option<DateTime<Utc>>,
    /// Whether a fetch of this feed has ever succeeded. Until one has, every
    /// item in it already existed: an undated one is not news.
    pub fetched_before: bool,
}

/// What `roundup feeds` shows for one feed.
#[derive(Debug, Clone)]
pub struct FeedStatus {
    pub id: i64,
    pub url: String,
    pub fetch_url: Option<String>,
    pub name: String,
    pub last_status: Option<String>,
    pub disabled: bool,
    pub failing_since: Option<DateTime<Utc>>,
    pub consecutive_errors: i64,
    pub last_error: Option<String>,
    pub last_fetch_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_new_item_at: Option<DateTime<Utc>>,
    pub next_check_at: Option<DateTime<Utc>>,
    pub item_count: i64,
    /// The last fetch that left new items out (`fetch.max_items_per_fetch`):
    /// when, how many, and the publication time before which none are taken.
    pub cut: Option<FeedCut>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeedCut {
    pub at: DateTime<Utc>,
    pub count: i64,
    pub before: DateTime<Utc>,
}

/// A feed's state in one word, from its stored health columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedHealth {
    /// 410 Gone: disabled.
    Gone,
    /// The last fetch failed (and `consecutive_errors` in a row).
    Failing,
    NotFetched,
    NotModified,
    Ok,
}

impl FeedHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedHealth::Gone => "gone",
            FeedHealth::Failing => "failing",
            FeedHealth::NotFetched => "not_fetched",
            FeedHealth::NotModified => "not_modified",
            FeedHealth::Ok => "ok",
        }
    }
}

impl FeedStatus {
    pub fn health(&self) -> FeedHealth {
        if self.disabled {
            FeedHealth::Gone
        } else if self.consecutive_errors > 0 {
            FeedHealth::Failing
        } else {
            match self.last_status.as_deref() {
                None => FeedHealth::NotFetched,
                Some("not_modified") => FeedHealth::NotModified,
                Some(_) => FeedHealth::Ok,
            }
        }
    }
}

impl Store {
    /// Registers a configured feed (or renames it) and returns what the store knows of it.
    pub async fn upsert_feed(&self, url: &str, name: &str) -> anyhow::Result<FeedState> {
        type Row = (
            i64,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
            i64,
            Option<String>,
            Option<i64>,
            Option<i64>,
        );
        let row: Row = sqlx::query_as(self.sql(
            "INSERT INTO feeds (url, name) VALUES (?, ?)
             ON CONFLICT (url) DO UPDATE SET name = excluded.name
             RETURNING id, etag, last_modified, fetch_url, next_check_at, disabled, last_error, cut_before,
                       last_success_at",
        ))
        .bind(url)
        .bind(name)
        .fetch_one(&self.pool)
        .await?;
        Ok(FeedState {
            id: row.0,
            validators: Validators {
                etag: row.1,
                last_modified: row.2,
            },
            fetch_url: row.3,
            next_check_at: row.4.map(from_ts),
            disabled: row.5 != 0,
            last_error: row.6,
            cut_before: row.7.map(from_ts),
            fetched_before: row.8.is_some(),
        })
    }

    /// A 304: nothing new, but the feed is healthy and may have sent new validators.
    pub async fn record_not_modified(
        &self,
        feed_id: i64,
        validators: &Validators,
        now: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(self.sql("UPDATE feeds SET consecutive_errors = 0, last_error = NULL, last_fetch_at = ?1, last_success_at = ?1,
                 etag = COALESCE(?2, etag), last_modified = COALESCE(?3, last_modified),
                 next_check_at = NULL, last_status = 'not_modified', failing_since = NULL
             WHERE id = ?4"),
        )
        .bind(now)
        .bind(&validators.etag)
        .bind(&validators.last_modified)
        .bind(feed_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// After a permanent redirect, the feed is fetched from its new address.
    pub async fn set_fetch_url(&self, feed_id: i64, url: &str) -> anyhow::Result<()> {
        sqlx::query(self.sql("UPDATE feeds SET fetch_url = ? WHERE id = ?"))
            .bind(url)
            .bind(feed_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// 410 Gone: stop fetching it; `roundup feeds` says why.
    pub async fn disable_feed(&self, feed_id: i64, reason: &str, now: i64) -> anyhow::Result<()> {
        sqlx::query(self.sql("UPDATE feeds SET disabled = 1, last_status = 'gone', last_error = ?, last_fetch_at = ?,
                 consecutive_errors = consecutive_errors + 1, failing_since = COALESCE(failing_since, last_fetch_at)
             WHERE id = ?"),
        )
        .bind(reason)
        .bind(now)
        .bind(feed_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn record_fetch_success(
        &self,
        feed_id: i64,
        validators: Option<&Validators>,
        new_items: usize,
        cut: Option<(usize, DateTime<Utc>)>,
        now: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(self.sql("UPDATE feeds SET consecutive_errors = 0, last_error = NULL, last_fetch_at = ?1, last_success_at = ?1,
                 etag = COALESCE(?2, etag), last_modified = COALESCE(?3, last_modified),
                 last_new_item_at = CASE WHEN ?4 > 0 THEN ?1 ELSE last_new_item_at END,
                 next_check_at = NULL, last_status = 'ok', failing_since = NULL,
                 cut_at = CASE WHEN ?6 > 0 THEN ?1 ELSE cut_at END,
                 cut_count = CASE WHEN ?6 > 0 THEN ?6 ELSE cut_count END,
                 cut_before = CASE WHEN ?6 > 0 THEN ?7 ELSE cut_before END
             WHERE id = ?5"),
        )
        .bind(now)
        .bind(validators.and_then(|v| v.etag.clone()))
        .bind(validators.and_then(|v| v.last_modified.clone()))
        .bind(new_items as i64)
        .bind(feed_id)
        .bind(cut.map_or(0, |c| c.0 as i64))
        .bind(cut.map(|c| c.1.timestamp()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Counts the failure and schedules the next try: exponential backoff
    /// (5 min doubling, at most a day), or later if the server asked for it.
    pub async fn record_fetch_error(
        &self,
        feed_id: i64,
        error: &str,
        retry_after_secs: Option<i64>,
        now: i64,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        let errors: i64 = sqlx::query_scalar(self.sql(
            "UPDATE feeds SET consecutive_errors = consecutive_errors + 1, last_error = ?, last_fetch_at = ?,
                 last_status = 'error', failing_since = COALESCE(failing_since, ?)
             WHERE id = ? RETURNING consecutive_errors",
        ))
        .bind(error)
        .bind(now)
        .bind(now)
        .bind(feed_id)
        .fetch_one(&mut *tx)
        .await?;
        let wait = retry_after_secs.unwrap_or(0).max(backoff_secs(errors));
        sqlx::query(self.sql("UPDATE feeds SET next_check_at = ? WHERE id = ?"))
            .bind(now + wait)
            .bind(feed_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every stored feed's id and URL: what publishing needs to join items to
    /// the configured feeds, without the health columns and item counts.
    pub async fn feed_ids(&self) -> anyhow::Result<Vec<(i64, String)>> {
        Ok(sqlx::query_as(self.sql("SELECT id, url FROM feeds"))
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn feed_statuses(&self) -> anyhow::Result<Vec<FeedStatus>> {
        // Apart from the health columns: a tuple row has at most 16.
        let cuts: Vec<(i64, i64, i64, i64)> = sqlx::query_as(self.sql(
            "SELECT id, cut_at, cut_count, cut_before FROM feeds
             WHERE cut_at IS NOT NULL AND cut_before IS NOT NULL",
        ))
        .fetch_all(&self.pool)
        .await?;
        let cuts: std::collections::HashMap<i64, FeedCut> = cuts
            .into_iter()
            .map(|(id, at, count, before)| {
                let cut = FeedCut {
                    at: from_ts(at),
                    count,
                    before: from_ts(before),
                };
                (id, cut)
            })
            .collect();
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
            Option<String>,
            Option<String>,
            i64,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(self.sql("SELECT f.id, f.url, f.name, f.consecutive_errors, f.last_error, f.last_fetch_at, f.last_success_at,
                    f.last_new_item_at, f.next_check_at, (SELECT COUNT(*) FROM items i WHERE i.feed_id = f.id),
                    f.fetch_url, f.last_status, f.disabled, f.failing_since
             FROM feeds f ORDER BY f.name"),
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
                fetch_url: r.10,
                last_status: r.11,
                disabled: r.12 != 0,
                failing_since: r.13.map(from_ts),
                cut: cuts.get(&r.0).copied(),
            })
            .collect())
    }
}

/// After the n-th failure in a row: 5 minutes, doubling, at most a day.
fn backoff_secs(failures: i64) -> i64 {
    (300i64 << (failures - 1).clamp(0, 10)).min(86_400)
}

#[cfg(test)]
mod tests {
    use super::backoff_secs;

    #[test]
    fn failing_feeds_back_off_from_five_minutes_to_a_day() {
        assert_eq!(backoff_secs(1), 300);
        assert_eq!(backoff_secs(2), 600);
        assert_eq!(backoff_secs(5), 4_800);
        assert_eq!(backoff_secs(9), 76_800);
        assert_eq!(backoff_secs(10), 86_400);
        assert_eq!(backoff_secs(1_000), 86_400);
    }
}
