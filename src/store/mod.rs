//! All SQL lives here. The store is the record of truth: what was fetched,
//! which editions exist, and what was sent to whom.

mod editions;
mod feeds;
mod items;
mod ledger;
mod mailboxes;
mod open;
mod schedule;
mod steering;
mod subscribers;

pub use editions::StoredEdition;
pub use feeds::{FeedCut, FeedHealth, FeedState, FeedStatus};
pub use items::{NewItem, StoredItem};
pub use ledger::{Claimed, DeliveryCounts, FailedDelivery, Failure, HeldLeases, Pause, SentRow};
pub(crate) use open::redact_in;
pub use open::{DatabaseState, redact_url};
pub use schedule::SlotClaim;
pub use steering::{BlockKind, StoredSteering};
pub use subscribers::{AddOutcome, PendingOutcome, Refusal, Subscriber, is_final_no};

use anyhow::Context;
use sqlx::AnyPool;
use sqlx::Executor;
use sqlx::any::AnyPoolOptions;
use sqlx::{AssertSqlSafe, SqlSafeStr, SqlStr};

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// Which database `database.url` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Migrations in order, the same versions for both databases; each runs
/// once, in a transaction.
macro_rules! migrations {
    ($dir:literal) => {
        &[
            (
                1,
                "init",
                include_str!(concat!("../../migrations/", $dir, "/0001_init.sql")),
            ),
            (
                2,
                "feed_health",
                include_str!(concat!("../../migrations/", $dir, "/0002_feed_health.sql")),
            ),
            (
                3,
                "steering",
                include_str!(concat!("../../migrations/", $dir, "/0003_steering.sql")),
            ),
            (
                4,
                "delivery_engine",
                include_str!(concat!(
                    "../../migrations/",
                    $dir,
                    "/0004_delivery_engine.sql"
                )),
            ),
            (
                5,
                "service",
                include_str!(concat!("../../migrations/", $dir, "/0005_service.sql")),
            ),
            (
                6,
                "mailboxes",
                include_str!(concat!("../../migrations/", $dir, "/0006_mailboxes.sql")),
            ),
            (
                7,
                "feed_cut",
                include_str!(concat!("../../migrations/", $dir, "/0007_feed_cut.sql")),
            ),
        ]
    };
}

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = migrations!("sqlite");
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = migrations!("postgres");

/// The store's SQL is written with SQLite's placeholders (`?` in order, or
/// `?N`); PostgreSQL wants `$N`. Quoted text is left alone.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0;
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = !quoted;
                out.push(c);
            }
            '?' if !quoted => {
                out.push('$');
                if chars.peek().is_some_and(char::is_ascii_digit) {
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        out.push(d);
                    }
                } else {
                    next += 1;
                    out.push_str(&next.to_string());
                }
            }
            _ => out.push(c),
        }
    }
    out
}

impl Store {
    /// Opens (creating if missing) the database and applies pending migrations.
    /// A SQLite file that is not a database, or is damaged, fails at once
    /// with the reason, and is left as it was when it is not SQLite at all.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        // WAL; NORMAL survives a crash of the process (commits are in the
        // WAL before the call returns), only a power cut can lose the last
        // ones, and FULL would fsync every ledger mark.
        const SQLITE_SETUP: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;";
        // Created if missing, unless the URL says otherwise.
        let url_rwc = if url.starts_with("sqlite:") && !url.contains("mode=") {
            format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
        } else {
            url.to_string()
        };
        if let Some(path) = open::sqlite_path(url) {
            let fail = |why: String| {
                anyhow::anyhow!("cannot open the database {}: {why}", open::shown(&path))
            };
            if let Some(dir) = path.parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create the database folder {}", dir.display())
                })?;
            }
            if path.exists() {
                open::sqlite_header(&path).map_err(fail)?;
            }
            open::probe_sqlite(&url_rwc, SQLITE_SETUP)
                .await
                .map_err(fail)?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    if conn.backend_name() == "SQLite" {
                        conn.execute(SQLITE_SETUP).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url_rwc)
            .await;
        let pool = match pool {
            Ok(pool) => pool,
            Err(e) => {
                let why = match e {
                    // The pool retried until it gave up and kept the reason to itself.
                    sqlx::Error::PoolTimedOut if open::sqlite_path(url).is_none() => {
                        open::postgres_reason(url).await
                    }
                    e => open::redact_in(&e.to_string(), url),
                };
                anyhow::bail!("cannot open the database {}: {why}", redact_url(url));
            }
        };
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let store = Self { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&self.pool)
        .await?;
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        for (version, name, sql) in migrations {
            let mut tx = self.pool.begin().await?;
            let done: Option<i64> = sqlx::query_scalar(
                self.sql("SELECT version FROM schema_migrations WHERE version = ?"),
            )
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
            // Steps SQL cannot say the way the code means them.
            if *version == 6 {
                self.merge_mailboxes(&mut tx)
                    .await
                    .with_context(|| format!("migration {version} ({name}) failed"))?;
            }
            sqlx::query(
                self.sql(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                ),
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

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A statement as this backend wants it written.
    fn sql(&self, sql: &'static str) -> SqlStr {
        match self.backend {
            Backend::Sqlite => sql.into_sql_str(),
            Backend::Postgres => AssertSqlSafe(numbered(sql)).into_sql_str(),
        }
    }

    /// `sql` for a statement built at run time (a list of placeholders).
    fn sql_owned(&self, sql: String) -> SqlStr {
        match self.backend {
            Backend::Sqlite => AssertSqlSafe(sql).into_sql_str(),
            Backend::Postgres => AssertSqlSafe(numbered(&sql)).into_sql_str(),
        }
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

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered_for_postgres_outside_quotes() {
        assert_eq!(
            numbered("UPDATE t SET a = ?, b = '?' WHERE id = ? AND c = ?"),
            "UPDATE t SET a = $1, b = '?' WHERE id = $2 AND c = $3"
        );
        assert_eq!(
            numbered("SELECT ?2, ?1 WHERE x = ?12"),
            "SELECT $2, $1 WHERE x = $12"
        );
    }
}
