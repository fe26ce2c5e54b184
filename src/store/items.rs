use super::{Store, from_ts};
use crate::domain::ItemKey;
use crate::extract::TextSource;
use crate::feeds::FeedItem;
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// An item as the store holds it, with its feed's id.
#[derive(Debug, Clone)]
pub struct StoredItem {
    pub id: i64,
    pub feed_id: i64,
    pub key: ItemKey,
    pub title: String,
    pub link: Option<String>,
    pub canonical_link: Option<String>,
    pub published: DateTime<Utc>,
    pub categories: Vec<String>,
    pub article_text: String,
    pub text_source: TextSource,
    pub page_fetched: bool,
}

/// A parsed feed item with what the refresh worked out for it.
#[derive(Debug, Clone)]
pub struct NewItem<'a> {
    pub item: &'a FeedItem,
    pub canonical_link: Option<String>,
    pub published: DateTime<Utc>,
    pub article_text: String,
    pub text_source: TextSource,
}

type ItemRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    String,
    String,
    String,
    Option<i64>,
);

const ITEM_COLUMNS: &str = "id, feed_id, item_key, title, link, canonical_link, published_at, categories, article_text, text_source, page_fetched_at";

fn to_item(r: ItemRow) -> StoredItem {
    StoredItem {
        id: r.0,
        feed_id: r.1,
        key: ItemKey::from_stored(r.2),
        title: r.3,
        link: r.4,
        canonical_link: r.5,
        published: from_ts(r.6),
        categories: serde_json::from_str(&r.7).unwrap_or_default(),
        article_text: r.8,
        text_source: TextSource::parse(&r.9),
        page_fetched: r.10.is_some(),
    }
}

impl Store {
    /// Which of these item keys are stored already.
    pub async fn known_item_keys(&self, keys: &[&str]) -> anyhow::Result<HashSet<String>> {
        let mut known = HashSet::new();
        // Well under either database's limit on bound parameters.
        for chunk in keys.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let mut q = sqlx::query_as::<_, (String,)>(self.sql_owned(format!(
                "SELECT item_key FROM items WHERE item_key IN ({marks})"
            )));
            for k in chunk {
                q = q.bind(*k);
            }
            known.extend(q.fetch_all(&self.pool).await?.into_iter().map(|r| r.0));
        }
        Ok(known)
    }

    /// Stores one feed's new items in one transaction, skipping any key
    /// stored meanwhile. Returns how many were stored.
    pub async fn insert_items(
        &self,
        feed_id: i64,
        items: &[NewItem<'_>],
        now: i64,
    ) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let mut stored = 0;
        for new in items {
            let item = new.item;
            let done = sqlx::query(self.sql("INSERT INTO items (feed_id, item_key, title, link, canonical_link, published_at, fetched_at, author,
                                    categories, summary, content, article_text, text_source)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (item_key) DO NOTHING"),
            )
            .bind(feed_id)
            .bind(item.key.as_str())
            .bind(&item.title)
            .bind(&item.link)
            .bind(new.canonical_link.as_deref())
            .bind(new.published.timestamp())
            .bind(now)
            .bind(&item.author)
            .bind(serde_json::to_string(&item.categories)?)
            .bind(&item.summary)
            .bind(&item.content)
            .bind(&new.article_text)
            .bind(new.text_source.as_str())
            .execute(&mut *tx)
            .await?;
            stored += done.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(stored)
    }

    /// Items published since `since`, newest first.
    pub async fn items_since(&self, since: DateTime<Utc>) -> anyhow::Result<Vec<StoredItem>> {
        // ITEM_COLUMNS is a constant: nothing from outside reaches this SQL.
        let rows: Vec<ItemRow> = sqlx::query_as(self.sql_owned(format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE published_at >= ? ORDER BY published_at DESC, title, link, feed_id, id"
        )))
        .bind(since.timestamp())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(to_item).collect())
    }

    /// What an edition may be built from: items published since `since`, and
    /// items an editor pinned whatever their age. Newest first, then by what
    /// the items say, then by feed (in the config's order): the same feeds
    /// give the same order, and the same edition, however the concurrent
    /// fetches that stored them interleaved.
    pub async fn edition_candidates(
        &self,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Vec<StoredItem>> {
        // ITEM_COLUMNS is a constant: nothing from outside reaches this SQL.
        let rows: Vec<ItemRow> = sqlx::query_as(self.sql_owned(format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE published_at >= ?
             OR canonical_link IN (SELECT canonical_link FROM pins WHERE used_in IS NULL)
             ORDER BY published_at DESC, title, link, feed_id, id"
        )))
        .bind(since.timestamp())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(to_item).collect())
    }

    /// The reports carried by editions published since `since`, oldest
    /// edition first: for recognising a story again under a new link or new
    /// wording.
    pub async fn sent_reports(
        &self,
        since: DateTime<Utc>,
    ) -> anyhow::Result<Vec<crate::pick::SentReport>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(self.sql(
            "SELECT e.edition_key, i.title, i.article_text FROM items i
             JOIN edition_items ei ON ei.item_id = i.id
             JOIN editions e ON e.id = ei.edition_id WHERE e.created_at >= ?
             ORDER BY e.created_at, e.id, i.id",
        ))
        .bind(since.timestamp())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(edition, title, text)| crate::pick::SentReport {
                edition,
                title,
                text,
            })
            .collect())
    }

    /// Whether any stored item is this story (by canonical link).
    pub async fn has_story(&self, canonical_link: &str) -> anyhow::Result<bool> {
        let row: Option<(i64,)> =
            sqlx::query_as(self.sql("SELECT id FROM items WHERE canonical_link = ? LIMIT 1"))
                .bind(canonical_link)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// Caches the text extracted from an item's page.
    pub async fn save_page_text(&self, item_id: i64, text: &str, now: i64) -> anyhow::Result<()> {
        sqlx::query(self.sql("UPDATE items SET article_text = ?, text_source = 'page', page_fetched_at = ?, page_error = NULL WHERE id = ?"),
        )
        .bind(text)
        .bind(now)
        .bind(item_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Remembers that the page could not be had, so it is not fetched every run.
    pub async fn save_page_error(&self, item_id: i64, error: &str, now: i64) -> anyhow::Result<()> {
        sqlx::query(self.sql("UPDATE items SET page_fetched_at = ?, page_error = ? WHERE id = ?"))
            .bind(now)
            .bind(error)
            .bind(item_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Canonical links of every story an edition has carried.
    pub async fn sent_links(&self) -> anyhow::Result<HashSet<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(self.sql(
            "SELECT DISTINCT i.canonical_link FROM items i JOIN edition_items e ON e.item_id = i.id
             WHERE i.canonical_link IS NOT NULL",
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }
}
