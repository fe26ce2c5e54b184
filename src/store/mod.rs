//! All SQL lives here. The store is the record of truth: what was fetched,
//! which editions exist, and what was sent to whom.

mod editions;
mod feeds;
mod items;
mod ledger;
mod schedule;
mod steering;
mod subscribers;

pub use editions::StoredEdition;
pub use feeds::{FeedState, FeedStatus};
pub use items::StoredItem;
pub use ledger::{Claimed, DeliveryCounts, FailedDelivery, Failure, Pause, SentRow};
pub use schedule::SlotClaim;
pub use steering::{BlockKind, StoredSteering};
pub use subscribers::{AddOutcome, PendingOutcome, Subscriber};

use anyhow::Context;
use sqlx::AnyPool;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
}

/// Migrations in order; each runs once, in a transaction.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "feed_health",
        include_str!("../../migrations/sqlite/0002_feed_health.sql"),
    ),
    (
        3,
        "steering",
        include_str!("../../migrations/sqlite/0003_steering.sql"),
    ),
    (
        4,
        "delivery_engine",
        include_str!("../../migrations/sqlite/0004_delivery_engine.sql"),
    ),
    (
        5,
        "service",
        include_str!("../../migrations/sqlite/0005_service.sql"),
    ),
];

impl Store {
    /// Opens (creating if missing) the database and applies pending migrations.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        if let Some(path) = sqlite_file(url)
            && let Some(dir) = std::path::Path::new(&path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
        }
        // Created if missing, unless the URL says otherwise.
        let url_rwc = if url.starts_with("sqlite:") && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_string()
        };
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        // WAL; NORMAL survives a crash of the process (commits
                        // are in the WAL before the call returns), only a power
                        // cut can lose the last ones, and FULL would fsync
                        // every ledger mark.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(&url_rwc)
            .await
            .with_context(|| format!("cannot open the database {url}"))?;
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        for (version, name, sql) in MIGRATIONS {
            let mut tx = self.pool.begin().await?;
            let done: Option<i64> =
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = ?")
                    .bind(version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_some() {
                continue;
            }
            sqlx::raw_sql(*sql)
                .execute(&mut *tx)
                .await
                .with_context(|| format!("migration {version} ({name}) failed"))?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            )
            .bind(version)
            .bind(name)
            .bind(now_ts())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// One round trip: the database is reachable and answering.
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

fn sqlite_file(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.to_string())
    }
}

pub fn now_ts() -> i64 {
    chrono::Utc::now().timestamp()
}

pub fn ts(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp()
}

pub fn from_ts(t: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t, 0).unwrap_or_default()
}
