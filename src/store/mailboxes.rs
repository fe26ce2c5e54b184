//! Migration 6's data step: every stored address and name parsed again,
//! and rows that are one mailbox (`Ada@` and `ada@`) merged into one.
//!
//! Written in Rust rather than SQL because the key must be exactly what
//! `EmailAddress::key` makes (case, IDNA), and a name must be cleaned the
//! way `SubscriberName::parse` cleans it.

use super::Store;
use crate::domain::{EmailAddress, SubscriberName};
use sqlx::{Any, Transaction};
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
struct Row {
    id: i64,
    email: String,
    name: Option<String>,
    status: String,
    unsubscribed_at: Option<i64>,
    bounce_count: i64,
}

/// What one mailbox becomes: the first row (lowest id, so the first
/// spelling) survives with the most restrictive status of all its rows.
#[derive(Debug, Clone, PartialEq)]
struct Merged {
    keep: i64,
    email: String,
    key: String,
    name: Option<String>,
    status: String,
    unsubscribed_at: Option<i64>,
    bounce_count: i64,
    /// The other rows: (id, the address their links were signed for).
    absorbed: Vec<(i64, String)>,
}

/// Higher is more restrictive. A "no" beats everything; an active row
/// beats a pending one, since that mailbox did confirm.
fn restriction(status: &str) -> u8 {
    match status {
        "complained" => 5,
        "bounced" => 4,
        "unsubscribed" => 3,
        "active" => 1,
        "pending" => 0,
        _ => 2,
    }
}

/// Addresses that parse get their normal form; one that no longer does
/// (a non-ASCII local part from before) keeps its text, lower-cased as its
/// key, so it still stays unique and is never sent to.
fn normal(email: &str) -> (String, String) {
    match EmailAddress::parse(email) {
        Ok(a) => (a.as_str().to_string(), a.key()),
        Err(_) => (email.trim().to_string(), email.trim().to_lowercase()),
    }
}

/// Pure: the rows grouped by mailbox, in id order.
fn merge(mut rows: Vec<Row>) -> Vec<Merged> {
    rows.sort_by_key(|r| r.id);
    let mut groups: BTreeMap<String, Vec<(Row, String)>> = BTreeMap::new();
    for r in rows {
        let (email, key) = normal(&r.email);
        groups.entry(key).or_default().push((r, email));
    }
    let mut out: Vec<Merged> = groups
        .into_iter()
        .map(|(key, group)| {
            let (first, email) = &group[0];
            let strictest = group
                .iter()
                .map(|(r, _)| r)
                .max_by_key(|r| restriction(&r.status))
                .expect("a group has a row");
            Merged {
                keep: first.id,
                email: email.clone(),
                key,
                name: group
                    .iter()
                    .find_map(|(r, _)| SubscriberName::parse_opt(r.name.as_deref()))
                    .map(SubscriberName::into_string),
                status: strictest.status.clone(),
                unsubscribed_at: group.iter().filter_map(|(r, _)| r.unsubscribed_at).max(),
                bounce_count: group.iter().map(|(r, _)| r.bounce_count).max().unwrap_or(0),
                absorbed: group[1..]
                    .iter()
                    .map(|(r, _)| (r.id, r.email.clone()))
                    .collect(),
            }
        })
        .collect();
    out.sort_by_key(|m| m.keep);
    out
}

/// (id, email, name, status, unsubscribed_at, bounce_count)
type StoredRow = (i64, String, Option<String>, String, Option<i64>, i64);
/// (id, edition_id, status, message_id, server_reply, sent_at)
type TheirDelivery = (
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
);

impl Store {
    pub(super) async fn merge_mailboxes(
        &self,
        tx: &mut Transaction<'_, Any>,
    ) -> anyhow::Result<()> {
        let rows: Vec<StoredRow> = sqlx::query_as(
            "SELECT id, email, name, status, unsubscribed_at, bounce_count FROM subscribers",
        )
        .fetch_all(&mut **tx)
        .await?;
        let rows = rows
            .into_iter()
            .map(
                |(id, email, name, status, unsubscribed_at, bounce_count)| Row {
                    id,
                    email,
                    name,
                    status,
                    unsubscribed_at,
                    bounce_count,
                },
            )
            .collect();
        let mut merged_rows = 0;
        for m in merge(rows) {
            for (gone, signed) in &m.absorbed {
                self.absorb(tx, *gone, m.keep).await?;
                sqlx::query(self.sql(
                    "INSERT INTO subscriber_aliases (id, email, subscriber_id) VALUES (?, ?, ?)",
                ))
                .bind(gone)
                .bind(signed)
                .bind(m.keep)
                .execute(&mut **tx)
                .await?;
                sqlx::query(self.sql("DELETE FROM subscribers WHERE id = ?"))
                    .bind(gone)
                    .execute(&mut **tx)
                    .await?;
                merged_rows += 1;
            }
            sqlx::query(self.sql(
                "UPDATE subscribers SET email = ?, email_key = ?, name = ?, status = ?,
                   unsubscribed_at = ?, bounce_count = ? WHERE id = ?",
            ))
            .bind(&m.email)
            .bind(&m.key)
            .bind(&m.name)
            .bind(&m.status)
            .bind(m.unsubscribed_at)
            .bind(m.bounce_count)
            .bind(m.keep)
            .execute(&mut **tx)
            .await?;
        }
        if merged_rows > 0 {
            tracing::warn!(
                merged_rows,
                "subscribers that were one mailbox in two spellings are merged into one"
            );
        }
        sqlx::raw_sql("CREATE UNIQUE INDEX subscribers_mailbox ON subscribers (email_key)")
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Moves `gone`'s deliveries to `keep`. Where both have a row for one
    /// edition, `keep`'s stays, marked sent if either was: the mailbox got
    /// that edition once and must not get it again.
    async fn absorb(
        &self,
        tx: &mut Transaction<'_, Any>,
        gone: i64,
        keep: i64,
    ) -> anyhow::Result<()> {
        let theirs: Vec<TheirDelivery> = sqlx::query_as(self.sql(
            "SELECT id, edition_id, status, message_id, server_reply, sent_at
                 FROM deliveries WHERE subscriber_id = ?",
        ))
        .bind(gone)
        .fetch_all(&mut **tx)
        .await?;
        for (id, edition, status, message_id, reply, sent_at) in theirs {
            let ours: Option<(i64, String)> = sqlx::query_as(self.sql(
                "SELECT id, status FROM deliveries WHERE edition_id = ? AND subscriber_id = ?",
            ))
            .bind(edition)
            .bind(keep)
            .fetch_optional(&mut **tx)
            .await?;
            match ours {
                None => {
                    sqlx::query(self.sql("UPDATE deliveries SET subscriber_id = ? WHERE id = ?"))
                        .bind(keep)
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                }
                Some((our_id, our_status)) => {
                    if status == "sent" && our_status != "sent" {
                        sqlx::query(self.sql(
                            "UPDATE deliveries SET status = 'sent', message_id = ?, server_reply = ?,
                               sent_at = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?",
                        ))
                        .bind(message_id)
                        .bind(reply)
                        .bind(sent_at)
                        .bind(our_id)
                        .execute(&mut **tx)
                        .await?;
                    }
                    sqlx::query(self.sql("DELETE FROM deliveries WHERE id = ?"))
                        .bind(id)
                        .execute(&mut **tx)
                        .await?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, email: &str, status: &str) -> Row {
        Row {
            id,
            email: email.into(),
            name: None,
            status: status.into(),
            unsubscribed_at: None,
            bounce_count: 0,
        }
    }

    #[test]
    fn spellings_of_one_mailbox_become_the_first_row_with_the_strictest_status() {
        let mut later = row(9, "ADA@EXAMPLE.COM", "unsubscribed");
        later.unsubscribed_at = Some(100);
        later.name = Some("Ada\r\nBcc: x@evil.example".into());
        let m = merge(vec![
            later,
            row(3, "Ada@Example.com", "active"),
            row(5, "bob@example.com", "active"),
        ]);
        assert_eq!(m.len(), 2);
        let ada = &m[0];
        assert_eq!((ada.keep, ada.email.as_str()), (3, "Ada@example.com"));
        assert_eq!(ada.key, "ada@example.com");
        assert_eq!(ada.status, "unsubscribed");
        assert_eq!(ada.unsubscribed_at, Some(100));
        assert_eq!(ada.name.as_deref(), Some("Ada Bcc: x@evil.example"));
        assert_eq!(ada.absorbed, vec![(9, "ADA@EXAMPLE.COM".to_string())]);
        assert!(m[1].absorbed.is_empty());
    }

    #[test]
    fn active_beats_pending_and_any_no_beats_active() {
        let m = merge(vec![
            row(1, "a@example.com", "pending"),
            row(2, "A@example.com", "active"),
        ]);
        assert_eq!(m[0].status, "active");
        let m = merge(vec![
            row(1, "a@example.com", "active"),
            row(2, "A@example.com", "bounced"),
        ]);
        assert_eq!(m[0].status, "bounced");
    }

    #[test]
    fn addresses_are_rewritten_in_their_normal_form() {
        let m = merge(vec![row(1, " heidi@exämple.com ", "active")]);
        assert_eq!(m[0].email, "heidi@xn--exmple-cua.com");
        let m = merge(vec![row(1, "jürgen@example.com", "active")]);
        assert_eq!(m[0].email, "jürgen@example.com");
    }
}
