//! Opening the database so that a bad one fails at once with its real
//! reason, and looking at one without changing it (`check-config`).
//!
//! The pool retries a failed connection until its acquire timeout (30 s)
//! and logs each attempt, then reports only that it timed out. So a SQLite
//! file is first checked here: its header is read, and one connection is
//! made outside the pool.

use super::{Backend, Store};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Executor};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// A PostgreSQL server that does not answer within this is reported as such
/// by `check-config` rather than waited for.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// `url` fit for errors and logs: a password in it (`user:PASSWORD@`, or a
/// `password=` / `sslpassword=` parameter) becomes `***`. Everything else is
/// kept as written, so the operator still recognises the URL.
pub fn redact_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let mut out = match head.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            // The host never holds an `@`; a password may.
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
                    None => head.to_string(),
                },
                None => head.to_string(),
            }
        }
        None => head.to_string(),
    };
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.to_ascii_lowercase().ends_with("password") => {
                    format!("{k}=***")
                }
                _ => p.to_string(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    out
}

/// `text` (an error from the driver) with `url` and its password taken out:
/// driver messages may quote either. A password under four characters is not
/// searched for: every match of it in an ordinary message would be starred.
pub(crate) fn redact_in(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &redact_url(url));
    for password in passwords(url) {
        if password.chars().count() >= 4 {
            out = out.replace(&password, "***");
        }
    }
    out
}

/// The passwords `url` carries, as written and percent-decoded.
fn passwords(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(u) = url::Url::parse(url) {
        if let Some(p) = u.password() {
            found.push(p.to_string());
        }
        for (k, v) in u.query_pairs() {
            if k.to_ascii_lowercase().ends_with("password") {
                found.push(v.into_owned());
            }
        }
    }
    let decoded: Vec<String> = found
        .iter()
        .filter_map(|p| percent_decode(p).filter(|d| d != p).map(|d| d.to_string()))
        .collect();
    found.extend(decoded);
    found.retain(|p| !p.is_empty());
    found
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The file a `sqlite:` URL names; `None` for any other URL and for an
/// in-memory database.
pub(crate) fn sqlite_path(url: &str) -> Option<PathBuf> {
    super::sqlite_file(url)?;
    let options = SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

/// How a file shows up in messages: absolute, so that it is clear which
/// folder it was looked for in.
pub(crate) fn shown(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// What an existing file's first bytes say.
#[derive(Clone, Copy)]
pub(crate) struct Header {
    /// Empty: SQLite takes it as a new database.
    empty: bool,
    /// Bytes 18 and 19 are 2: the database is in WAL mode.
    wal: bool,
}

/// Reads the header of the file at `path`, which exists, without opening it
/// as a database: a file that is not one is refused before SQLite (or the
/// pool's retries) can touch it. The error says what is wrong, in words.
pub(crate) fn sqlite_header(path: &Path) -> Result<Header, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if meta.is_dir() {
        return Err("it is a folder, not a database file".into());
    }
    if meta.len() == 0 {
        return Ok(Header {
            empty: true,
            wal: false,
        });
    }
    let mut head = [0u8; 20];
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let mut got = 0;
    while got < head.len() {
        match file.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("cannot read it: {e}")),
        }
    }
    if got < head.len() || &head[..16] != SQLITE_MAGIC {
        return Err("it is not a SQLite database (its header is not SQLite's)".into());
    }
    Ok(Header {
        empty: false,
        wal: head[18] == 2 && head[19] == 2,
    })
}

/// What SQLite's answer means for the operator.
fn sqlite_reason(e: &sqlx::Error) -> String {
    if let sqlx::Error::Database(d) = e {
        let code = d
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .unwrap_or_default();
        // The primary result code is the low byte of the extended one.
        match code & 0xff {
            26 => {
                return "it is not a SQLite database (SQLite says: file is not a database)".into();
            }
            11 => return format!("it is damaged (SQLite says: {})", d.message()),
            14 => return format!("SQLite cannot open it ({})", d.message()),
            8 => return format!("it is read-only here ({})", d.message()),
            _ => return d.message().to_string(),
        }
    }
    e.to_string()
}

/// One connection, outside the pool, set up as the pool's will be, that
/// reads the schema (page 1 and the tables it lists): the first problem
/// with the file surfaces here, once, with SQLite's reason.
pub(crate) async fn probe_sqlite(url: &str, setup: &'static str) -> Result<(), String> {
    let options = SqliteConnectOptions::from_str(url).map_err(|e| e.to_string())?;
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| sqlite_reason(&e))?;
    let checked = async {
        conn.execute(setup).await?;
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sqlite_master")
            .fetch_one(&mut conn)
            .await
    }
    .await;
    let _ = conn.close().await;
    checked.map(|_| ()).map_err(|e| sqlite_reason(&e))
}

/// The reason a PostgreSQL server gave (or that it gave none in time), from
/// one connection outside the pool: the pool only says it timed out.
pub(crate) async fn postgres_reason(url: &str) -> String {
    match tokio::time::timeout(CHECK_TIMEOUT, sqlx::AnyConnection::connect(url)).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            "the server answered only after the pool had given up waiting".into()
        }
        Ok(Err(e)) => redact_in(&e.to_string(), url),
        Err(_) => format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
    }
}

/// What `check-config` found, having changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseState {
    /// The SQLite file is not there yet; the first run creates it.
    NotCreated { path: PathBuf },
    /// A SQLite database; `version` is its last migration (`None`: no tables yet).
    Sqlite { path: PathBuf, version: Option<i64> },
    /// A PostgreSQL server that answered; `shown` is the URL, redacted.
    Postgres { shown: String, version: Option<i64> },
    /// An in-memory SQLite database: nothing to look at.
    InMemory,
}

impl Store {
    /// The last migration this binary knows for `backend`.
    pub fn latest_migration(backend: Backend) -> i64 {
        let list = match backend {
            Backend::Sqlite => super::SQLITE_MIGRATIONS,
            Backend::Postgres => super::POSTGRES_MIGRATIONS,
        };
        list.iter().map(|m| m.0).max().unwrap_or_default()
    }

    /// Looks at the database `url` names without creating, migrating or
    /// writing anything: an existing SQLite file is read read-only (and, in
    /// WAL mode with no `-wal` file beside it, as immutable, because a
    /// read-only connection would otherwise create `-wal` and `-shm` and
    /// leave them); PostgreSQL gets one connection and plain SELECTs.
    /// An error names the database and says what is wrong with it.
    pub async fn inspect(url: &str) -> Result<DatabaseState, String> {
        sqlx::any::install_default_drivers();
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            return inspect_postgres(url)
                .await
                .map_err(|why| format!("{}: {why}", redact_url(url)));
        }
        let Some(path) = sqlite_path(url) else {
            return Ok(DatabaseState::InMemory);
        };
        inspect_sqlite(url, path.clone())
            .await
            .map_err(|why| format!("{}: {why}", shown(&path)))
    }
}

async fn inspect_sqlite(url: &str, path: PathBuf) -> Result<DatabaseState, String> {
    if !path.exists() {
        return Ok(DatabaseState::NotCreated { path });
    }
    let header = sqlite_header(&path)?;
    if header.empty {
        return Ok(DatabaseState::Sqlite {
            path,
            version: None,
        });
    }
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| e.to_string())?
        .read_only(true)
        .create_if_missing(false)
        .immutable(header.wal && !Path::new(&wal).exists());
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|e| sqlite_reason(&e))?;
    let version = async {
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        )
        .fetch_one(&mut conn)
        .await?;
        if tables == 0 {
            return Ok(None);
        }
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&mut conn)
            .await
    }
    .await;
    let _ = conn.close().await;
    Ok(DatabaseState::Sqlite {
        path,
        version: version.map_err(|e| sqlite_reason(&e))?,
    })
}

async fn inspect_postgres(url: &str) -> Result<DatabaseState, String> {
    let redact = |e: sqlx::Error| redact_in(&e.to_string(), url);
    let mut conn = tokio::time::timeout(CHECK_TIMEOUT, sqlx::AnyConnection::connect(url))
        .await
        .map_err(|_| format!("no answer within {} s", CHECK_TIMEOUT.as_secs()))?
        .map_err(redact)?;
    let version = async {
        sqlx::query("SELECT 1").execute(&mut conn).await?;
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = 'schema_migrations'",
        )
        .fetch_one(&mut conn)
        .await?;
        if tables == 0 {
            return Ok(None);
        }
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&mut conn)
            .await
    }
    .await;
    let _ = conn.close().await;
    Ok(DatabaseState::Postgres {
        shown: redact_url(url),
        version: version.map_err(redact)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_become_stars() {
        assert_eq!(
            redact_url("postgres://roundup:DBPASS@127.0.0.1:1/x"),
            "postgres://roundup:***@127.0.0.1:1/x"
        );
        assert_eq!(
            redact_url("postgresql://u:p%40ss:w@db.example.com/roundup?sslmode=require"),
            "postgresql://u:***@db.example.com/roundup?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://u@h/db?password=secret&sslpassword=other&application_name=r"),
            "postgres://u@h/db?password=***&sslpassword=***&application_name=r"
        );
        // Nothing secret: unchanged.
        for url in [
            "sqlite://data/roundup.db",
            "sqlite:roundup.db?mode=rwc",
            "postgres://roundup@127.0.0.1/x",
            "postgres://127.0.0.1/x",
            "sqlite::memory:",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[test]
    fn driver_messages_lose_the_url_and_the_password() {
        let url = "postgres://roundup:S3cr%21t@db:5432/x";
        let text = format!("cannot parse {url}: password S3cr!t or S3cr%21t refused");
        let clean = redact_in(&text, url);
        assert!(!clean.contains("S3cr"), "{clean}");
        assert!(
            clean.contains("postgres://roundup:***@db:5432/x"),
            "{clean}"
        );
        // A short password is not hunted for in ordinary words.
        assert_eq!(
            redact_in("role does not exist", "postgres://u:e@h/x"),
            "role does not exist"
        );
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_told_by_its_header() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, "junk\n").unwrap();
        let e = sqlite_header(&junk).err().unwrap();
        assert!(e.contains("not a SQLite database"), "{e}");
        let e = sqlite_header(dir.path()).err().unwrap();
        assert!(e.contains("folder"), "{e}");
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, "").unwrap();
        assert!(sqlite_header(&empty).unwrap().empty);
        let mut real = SQLITE_MAGIC.to_vec();
        real.extend_from_slice(&[16, 0, 2, 2]);
        real.resize(4096, 0);
        let db = dir.path().join("wal.db");
        std::fs::write(&db, real).unwrap();
        assert!(sqlite_header(&db).unwrap().wal);
    }
}
