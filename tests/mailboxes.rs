//! Migration 6 on a store an older version filled: one mailbox in two
//! spellings becomes one subscriber, the strictest status wins, stored names
//! are cleaned, and no edition goes twice to the merged mailbox.

mod support;

use roundup::store::Store;
use sqlx::{AnyPool, Executor};
use support::db::TestDb;

/// The schema as migrations 1 to 5 left it, with the rows an older
/// version let in.
async fn old_store(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    let rwc = if url.starts_with("sqlite:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_string()
    };
    let pool = AnyPool::connect(&rwc).await.unwrap();
    let dir = if url.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    };
    pool.execute(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await
    .unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(dir);
    for (v, file) in [
        (1, "0001_init.sql"),
        (2, "0002_feed_health.sql"),
        (3, "0003_steering.sql"),
        (4, "0004_delivery_engine.sql"),
        (5, "0005_service.sql"),
    ] {
        let sql = std::fs::read_to_string(root.join(file)).unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&pool)
            .await
            .unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ({v}, '{file}', 0)"
        )))
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::raw_sql(
        "INSERT INTO subscribers (id, email, name, status, created_at, unsubscribed_at) VALUES
           (1, 'Alan@example.com', NULL, 'active', 0, NULL),
           (2, 'alan@example.com', 'Alan T', 'active', 0, NULL),
           (3, 'ada@example.com', 'Ada
Bcc: planted@evil.example', 'active', 0, NULL),
           (4, 'ADA@EXAMPLE.COM', NULL, 'unsubscribed', 0, 1700000000),
           (5, 'bob@example.com', NULL, 'active', 0, NULL);
         INSERT INTO editions (id, edition_key, subject, digest_json, created_at) VALUES
           (1, '2026-W49', 's', '{}', 0),
           (2, '2026-W50', 's', '{}', 0);
         INSERT INTO deliveries (edition_id, subscriber_id, status, message_id, sent_at, updated_at) VALUES
           (1, 1, 'queued', NULL, NULL, 0),
           (1, 2, 'sent', 'm-alan', 5, 0),
           (2, 2, 'queued', NULL, NULL, 0),
           (1, 3, 'sent', 'm-ada', 5, 0),
           (1, 4, 'sent', 'm-ADA', 5, 0),
           (1, 5, 'queued', NULL, NULL, 0);",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool
}

async fn spellings_of_one_mailbox_are_merged_and_nobody_gets_an_edition_twice(db: TestDb) {
    let old = old_store(&db.url).await;
    if db.url.starts_with("postgres") {
        // Explicit ids do not move the sequence; an older version's own
        // inserts would have.
        old.execute("SELECT setval('subscribers_id_seq', 5)")
            .await
            .unwrap();
    }
    old.close().await;

    let store = Store::connect(&db.url).await.unwrap();
    let subs = store.subscribers().await.unwrap();
    let rows: Vec<(i64, &str, Option<&str>, &str)> = subs
        .iter()
        .map(|s| {
            (
                s.id,
                s.email.as_str(),
                s.name.as_ref().map(|n| n.as_str()),
                s.status.as_str(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                3,
                "ada@example.com",
                Some("Ada Bcc: planted@evil.example"),
                "unsubscribed"
            ),
            (1, "Alan@example.com", Some("Alan T"), "active"),
            (5, "bob@example.com", None, "active"),
        ]
    );

    let deliveries: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT edition_id, subscriber_id, status FROM deliveries ORDER BY edition_id, subscriber_id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        deliveries,
        [
            (1, 1, "sent".to_string()),
            (1, 3, "sent".to_string()),
            (1, 5, "queued".to_string()),
            (2, 1, "queued".to_string()),
        ]
    );
    let counts = store.delivery_counts(1).await.unwrap();
    assert_eq!((counts.sent, counts.queued), (2, 1), "Alan's W49 went once");

    // Links in mail sent to a merged spelling still find the mailbox.
    let (sub, signed) = store.subscriber_for_link(2).await.unwrap().unwrap();
    assert_eq!((sub.id, signed.as_str()), (1, "alan@example.com"));
    let (sub, signed) = store.subscriber_for_link(4).await.unwrap().unwrap();
    assert_eq!((sub.id, signed.as_str()), (3, "ADA@EXAMPLE.COM"));

    // And the mailbox stays one: any spelling finds it, none adds a row.
    let again = roundup::domain::EmailAddress::parse("ALAN@EXAMPLE.COM").unwrap();
    assert_eq!(
        store.add_subscriber(&again, None, 0).await.unwrap(),
        roundup::store::AddOutcome::AlreadyActive
    );
    assert_eq!(store.subscribers().await.unwrap().len(), 3);
    // Opening it again migrates nothing twice.
    drop(store);
    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(store.subscribers().await.unwrap().len(), 3);
}

on_each_database!(spellings_of_one_mailbox_are_merged_and_nobody_gets_an_edition_twice);
