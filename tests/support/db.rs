//! A database for one test: a SQLite file in a folder of its own, or a
//! fresh PostgreSQL database on the server `ROUNDUP_TEST_POSTGRES_URL` names
//! (`.ci/run` starts one). Scenarios are written once and run on each with
//! `on_each_database!`.

use sqlx::{Connection, Executor};

pub const POSTGRES_ENV: &str = "ROUNDUP_TEST_POSTGRES_URL";

pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    TestDb {
        url: format!("sqlite://{}", dir.path().join("roundup.db").display()),
        _dir: Some(dir),
    }
}

/// A new, empty database on the test server; `None` when no server is
/// configured (the PostgreSQL suite then skips).
pub async fn postgres() -> Option<TestDb> {
    let admin = std::env::var(POSTGRES_ENV).ok().filter(|u| !u.is_empty())?;
    sqlx::any::install_default_drivers();
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "roundup_test_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_ENV}={admin}: {e}"));
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    Some(TestDb {
        url: url.to_string(),
        _dir: None,
    })
}

/// `on_each_database!(scenario, ...)`: for each `async fn scenario(db:
/// TestDb)`, a test in module `sqlite` and one in module `postgres` (which
/// skips, saying so, without a server).
#[macro_export]
macro_rules! on_each_database {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(super::support::db::sqlite()).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    match super::support::db::postgres().await {
                        Some(db) => super::$name(db).await,
                        None => eprintln!(
                            "skipped: set {} to run it on PostgreSQL",
                            super::support::db::POSTGRES_ENV
                        ),
                    }
                }
            )*
        }
    };
}
