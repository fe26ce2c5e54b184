//! What an operator meets when something around roundup is wrong: a file
//! that is not a database, a config pointing at things that are not there,
//! a password in the database URL, rows another sender still holds.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::binary::copy_dir;
use support::db::TestDb;

/// `roundup ARGS` in `cwd` with logging at its default level (the helper in
/// support turns logs off, which would hide lines users see), plus `env`.
fn roundup_as_run(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_roundup"))
        .args(args)
        .current_dir(cwd)
        .env_remove("ROUNDUP_CONFIG")
        .env_remove("ROUNDUP_LOG")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("run roundup")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Every path under `dir`, for "nothing was created" checks.
fn listing(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                todo.push(e.path());
            }
            out.push(e.path());
        }
    }
    out.sort();
    out
}

const FEED: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Good</title>
<item><title>One</title><link>https://example.com/1</link></item>
<item><title>Two</title><link>https://example.com/2</link></item></channel></rss>"#;

/// Runs `roundup ARGS` against a database file that should be SQLite and
/// asserts one error line, fast, and the file as it was.
fn refused_at_once(d: &Path, db: &str, args: &[&str], says: &str) {
    let file = d.join(db);
    let bytes = std::fs::read(&file).unwrap();
    let mtime = std::fs::metadata(&file).unwrap().modified().unwrap();
    let started = Instant::now();
    let o = roundup_as_run(args, d, &[]);
    let took = started.elapsed();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(took < Duration::from_secs(2), "took {took:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: cannot open the database "), "{err}");
    assert!(err.contains(db) && err.contains(says), "{err}");
    assert_eq!(std::fs::read(&file).unwrap(), bytes, "same bytes");
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        mtime,
        "same mtime"
    );
    for extra in ["-wal", "-shm", "-journal"] {
        assert!(
            !d.join(format!("{db}{extra}")).exists() || says.contains("damaged"),
            "{db}{extra} left behind"
        );
    }
}

#[test]
fn a_file_that_is_not_a_database_is_refused_at_once_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("corrupt.db"), "junk\n").unwrap();
    std::fs::write(d.join("f.xml"), FEED).unwrap();
    std::fs::write(
        d.join("c.toml"),
        "[database]\nurl = \"sqlite://corrupt.db\"\n[[feeds]]\nurl = \"f.xml\"\n",
    )
    .unwrap();
    refused_at_once(
        d,
        "corrupt.db",
        &["run", "--config", "c.toml"],
        "it is not a SQLite database",
    );
    // check-config says the same, on its database line, and goes on.
    let o = roundup_as_run(&["check-config", "--config", "c.toml"], d, &[]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("database: FAILED: ")
            && l.contains("corrupt.db: it is not a SQLite database")),
        "{out}"
    );
    assert!(out.contains("feed f: ok"), "{out}");
    assert_eq!(std::fs::read(d.join("corrupt.db")).unwrap(), b"junk\n");

    // A real database whose first page is damaged: SQLite's reason, at once.
    std::fs::write(
        d.join("d.toml"),
        "[database]\nurl = \"sqlite://damaged.db\"\n[[feeds]]\nurl = \"f.xml\"\n",
    )
    .unwrap();
    let o = roundup_as_run(&["subscribers", "list", "--config", "d.toml"], d, &[]);
    assert!(o.status.success(), "{:?}", text(&o));
    let mut bytes = std::fs::read(d.join("damaged.db")).unwrap();
    for (i, b) in bytes.iter_mut().enumerate().take(1000).skip(100) {
        *b = (i * 7) as u8;
    }
    std::fs::write(d.join("damaged.db"), &bytes).unwrap();
    for extra in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(d.join(format!("damaged.db{extra}")));
    }
    refused_at_once(
        d,
        "damaged.db",
        &["run", "--config", "d.toml"],
        "it is damaged",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_config_reads_each_feed_warns_and_creates_nothing() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/feed.xml"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/rss+xml")
                .set_body_string(FEED),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/gone.xml"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;

    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_path_buf();
    std::fs::write(d.join("good.xml"), FEED).unwrap();
    std::fs::write(
        d.join("missing.toml"),
        format!(
            r#"[newsletter]
base_url = "http://news.example.com"
secret = "a-secret-long-enough-to-serve"
[database]
url = "sqlite://data/roundup.db"
[delivery]
outbox_dir = "outbox"
[archive]
enabled = true
dir = "archive"
[[feeds]]
url = "missing.xml"
name = "Nowhere"
[[feeds]]
url = "good.xml"
name = "Local"
[[feeds]]
url = "{0}/feed.xml"
name = "Remote"
[[feeds]]
url = "{0}/gone.xml"
name = "Gone"
"#,
            server.uri()
        ),
    )
    .unwrap();
    let before = listing(&d);
    let dir = d.clone();
    let o = tokio::task::spawn_blocking(move || {
        roundup_as_run(&["check-config", "--config", "missing.toml"], &dir, &[])
    })
    .await
    .unwrap();
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    let line = |start: &str| {
        out.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starting {start}: {out}"))
            .to_string()
    };
    let nowhere = line("feed Nowhere: FAILED: ");
    assert!(nowhere.contains("missing.xml"), "{nowhere}");
    assert!(line("feed Local: ok").contains("2 entries"), "{out}");
    assert!(line("feed Remote: ok").contains("2 entries"), "{out}");
    assert!(line("feed Gone: FAILED: ").contains("404"), "{out}");
    let https = line("warning: newsletter.base_url");
    assert!(
        https.contains("https") && https.contains("RFC 8058") && https.contains("Gmail"),
        "{https}"
    );
    let dkim = line("warning: DKIM is off");
    assert!(dkim.contains("Gmail") && dkim.contains("Yahoo"), "{dkim}");
    assert!(line("database: ok").contains("does not exist yet"), "{out}");
    assert!(
        line("transport: ok (outbox").contains("does not exist yet"),
        "{out}"
    );
    assert!(line("check-config: ").contains("FAILED"), "{out}");
    assert!(!out.contains("is valid"), "{out}");
    assert_eq!(listing(&d), before, "check-config created nothing");
    server.verify().await;

    // Fix the feeds and the URL: warnings do not fail the check, and an
    // existing database is opened read-only, as found.
    std::fs::write(d.join("missing.xml"), FEED).unwrap();
    std::fs::write(
        d.join("ok.toml"),
        r#"[newsletter]
base_url = "http://news.example.com"
secret = "a-secret-long-enough-to-serve"
[database]
url = "sqlite://data/roundup.db"
[[feeds]]
url = "missing.xml"
[[feeds]]
url = "good.xml"
"#,
    )
    .unwrap();
    let dir = d.clone();
    let o = tokio::task::spawn_blocking(move || {
        roundup_as_run(&["subscribers", "list", "--config", "ok.toml"], &dir, &[]);
        roundup_as_run(&["check-config", "--config", "ok.toml"], &dir, &[])
    })
    .await
    .unwrap();
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("warning: DKIM is off"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("database: ok") && l.contains("schema version")),
        "{out}"
    );
}

#[test]
fn a_database_password_is_never_printed() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("f.xml"), FEED).unwrap();
    // Something that accepts and hangs up: the driver fails at once, with
    // no retries to wait out.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            drop(s);
        }
    });
    for (config, url) in [
        (
            "pg.toml",
            format!("postgres://roundup:DBPASS@127.0.0.1:{port}/x"),
        ),
        (
            "pgq.toml",
            format!("postgres://roundup@127.0.0.1:{port}/x?password=DBPASS"),
        ),
    ] {
        std::fs::write(
            d.join(config),
            format!(
                "[newsletter]\nsecret = \"a-secret-long-enough-to-serve\"\n[database]\nurl = \"{url}\"\n[[feeds]]\nurl = \"f.xml\"\n"
            ),
        )
        .unwrap();
        let shown = url.replace("DBPASS", "***");
        let o = roundup_as_run(&["run", "--config", config], d, &[]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
        assert!(
            err.contains(&format!("cannot open the database {shown}")),
            "{err}"
        );
        let o = roundup_as_run(&["check-config", "--config", config], d, &[]);
        let (check_out, check_err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{check_out}");
        assert!(
            check_out.contains(&format!("database: FAILED: {shown}")),
            "{check_out}"
        );
        for t in [out, err, check_out, check_err] {
            assert!(!t.contains("DBPASS"), "the password leaked: {t}");
        }
    }
}

/// A demo config in a folder of its own, on `db`.
fn demo(db: &TestDb) -> (tempfile::TempDir, Vec<(&'static str, String)>) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("config"),
        &tmp.path().join("config"),
    );
    (tmp, vec![("ROUNDUP_DATABASE__URL", db.url.clone())])
}

async fn plant_lease(url: &str, rows: i64, until: i64) {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!(
        "UPDATE deliveries SET status = 'sending', lease_owner = 'someone-else', lease_until = {until}
         WHERE id IN (SELECT id FROM deliveries ORDER BY id LIMIT {rows})"
    )))
    .await
    .unwrap();
    conn.close().await.unwrap();
}

async fn rows_held_by_another_sender_are_counted_with_their_lease(db: TestDb) {
    let (tmp, env) = demo(&db);
    let d = tmp.path().to_path_buf();
    let env2 = env.clone();
    let run = move |args: &'static [&'static str]| {
        let d = d.clone();
        let env = env2.clone();
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let mut all = args.to_vec();
            all.extend(["--config", "config/demo.toml"]);
            let o = roundup_as_run(&all, &d, &env);
            let (out, err) = text(&o);
            (o.status.code(), out, err)
        })
    };
    let (code, out, err) = run(&["publish"]).await.unwrap();
    assert_eq!(code, Some(0), "{out}\n{err}");
    let until = chrono::Utc::now().timestamp() + 3600;
    plant_lease(&db.url, 2, until).await;
    let when = chrono::DateTime::from_timestamp(until, 0)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    let expected = format!(
        "2 message(s) are held by another sender (or one that stopped) until {when}; they are sent by the first run after that"
    );
    for cmd in [&["deliver"][..], &["run"][..]] {
        let (code, out, err) = run(cmd).await.unwrap();
        assert_eq!(
            code,
            Some(0),
            "{cmd:?}: the exit code is as before: {out}\n{err}"
        );
        assert!(
            out.lines().any(|l| l == expected),
            "{cmd:?}: {out}\nwanted: {expected}"
        );
    }
    // Once the lease has run out, the next run sends them and says nothing more.
    plant_lease(&db.url, 2, 1).await;
    let (code, out, _) = run(&["deliver"]).await.unwrap();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("sent 2 message(s)"), "{out}");
    assert!(!out.contains("held"), "{out}");
}

on_each_database!(rows_held_by_another_sender_are_counted_with_their_lease);
