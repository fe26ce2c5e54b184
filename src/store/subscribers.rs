use super::Store;
use crate::domain::EmailAddress;

#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    pub id: i64,
    pub email: EmailAddress,
    pub name: Option<String>,
    pub status: String,
}

/// What a sign-up on the web led to. The HTTP answer is the same for all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingOutcome {
    /// New, or known but not active: waits for confirmation; send the link.
    AwaitsConfirmation { id: i64 },
    /// Already receiving the newsletter: nothing to send.
    AlreadyActive,
    /// A confirmation went out less than `CONFIRM_RESEND_SECS` ago: not
    /// another one yet.
    RecentlyAsked,
}

/// One confirmation request per address per this long, whoever asks.
pub const CONFIRM_RESEND_SECS: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    /// Was unsubscribed; an explicit add by an operator re-activates.
    Reactivated,
    AlreadyActive,
}

impl Store {
    pub async fn add_subscriber(
        &self,
        email: &EmailAddress,
        name: Option<&str>,
        now: i64,
    ) -> anyhow::Result<AddOutcome> {
        let existing: Option<(String,)> =
            sqlx::query_as(self.sql("SELECT status FROM subscribers WHERE email = ?"))
                .bind(email.as_str())
                .fetch_optional(&self.pool)
                .await?;
        match existing {
            None => {
                sqlx::query(self.sql("INSERT INTO subscribers (email, name, created_at) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING"))
                    .bind(email.as_str())
                    .bind(name)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(AddOutcome::Added)
            }
            Some((status,)) if status == "active" => Ok(AddOutcome::AlreadyActive),
            Some(_) => {
                sqlx::query(self.sql("UPDATE subscribers SET status = 'active', unsubscribed_at = NULL, bounce_count = 0, name = COALESCE(?, name) WHERE email = ?"))
                    .bind(name)
                    .bind(email.as_str())
                    .execute(&self.pool)
                    .await?;
                Ok(AddOutcome::Reactivated)
            }
        }
    }

    /// Adds config-listed subscribers that the store has never seen. One who
    /// unsubscribed stays unsubscribed: the config does not override that.
    pub async fn seed_subscriber(
        &self,
        email: &EmailAddress,
        name: Option<&str>,
        now: i64,
    ) -> anyhow::Result<bool> {
        let r = sqlx::query(self.sql("INSERT INTO subscribers (email, name, created_at) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING"))
            .bind(email.as_str())
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Marks the subscriber unsubscribed. Returns false if there was none active.
    pub async fn unsubscribe(&self, email: &EmailAddress, now: i64) -> anyhow::Result<bool> {
        let r = sqlx::query(self.sql("UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ? WHERE email = ? AND status = 'active'"))
            .bind(now)
            .bind(email.as_str())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A sign-up from the web: the address waits as `pending` until it is
    /// confirmed. Someone who unsubscribed or bounced may sign up again; the
    /// confirmation proves the mailbox is theirs and reads mail.
    pub async fn add_pending(
        &self,
        email: &EmailAddress,
        name: Option<&str>,
        now: i64,
    ) -> anyhow::Result<PendingOutcome> {
        let row: (i64, String) = sqlx::query_as(self.sql(
            "INSERT INTO subscribers (email, name, status, created_at) VALUES (?, ?, 'pending', ?)
             ON CONFLICT (email) DO UPDATE SET
               status = CASE WHEN subscribers.status = 'active' THEN 'active' ELSE 'pending' END,
               name = COALESCE(subscribers.name, excluded.name)
             RETURNING id, status",
        ))
        .bind(email.as_str())
        .bind(name)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        let id = match row {
            (_, status) if status == "active" => return Ok(PendingOutcome::AlreadyActive),
            (id, _) => id,
        };
        let due = sqlx::query(self.sql(
            "UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?
               AND (confirm_sent_at IS NULL OR confirm_sent_at <= ?)",
        ))
        .bind(now)
        .bind(id)
        .bind(now - CONFIRM_RESEND_SECS)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        Ok(if due {
            PendingOutcome::AwaitsConfirmation { id }
        } else {
            PendingOutcome::RecentlyAsked
        })
    }

    /// Confirms a pending subscriber. True when the subscriber is active
    /// afterwards (confirming twice is fine); false when the id and address
    /// do not match a pending or active subscriber.
    pub async fn confirm_subscriber(
        &self,
        id: i64,
        email: &EmailAddress,
        now: i64,
    ) -> anyhow::Result<bool> {
        sqlx::query(self.sql("UPDATE subscribers SET status = 'active', confirmed_at = ?, unsubscribed_at = NULL, bounce_count = 0
             WHERE id = ? AND email = ? AND status = 'pending'"),
        )
        .bind(now)
        .bind(id)
        .bind(email.as_str())
        .execute(&self.pool)
        .await?;
        Ok(self
            .subscriber(id)
            .await?
            .is_some_and(|s| &s.email == email && s.status == "active"))
    }

    pub async fn subscriber(&self, id: i64) -> anyhow::Result<Option<Subscriber>> {
        let row: Option<SubscriberRow> = sqlx::query_as(
            self.sql("SELECT id, email, name, status FROM subscribers WHERE id = ?"),
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(subscriber_from_row))
    }

    /// Up to `limit` subscribers with ids above `after`, in id order: a
    /// page of a list that may hold millions.
    pub async fn subscribers_page(
        &self,
        after: i64,
        limit: i64,
        status: Option<&str>,
    ) -> anyhow::Result<Vec<Subscriber>> {
        let rows: Vec<SubscriberRow> = sqlx::query_as(self.sql(
            "SELECT id, email, name, status FROM subscribers
             WHERE id > ? AND (? IS NULL OR status = ?) ORDER BY id LIMIT ?",
        ))
        .bind(after)
        .bind(status)
        .bind(status)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(subscriber_from_row).collect())
    }

    pub async fn subscribers(&self) -> anyhow::Result<Vec<Subscriber>> {
        let rows: Vec<SubscriberRow> = sqlx::query_as(
            self.sql("SELECT id, email, name, status FROM subscribers ORDER BY email"),
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(subscriber_from_row).collect())
    }
}

type SubscriberRow = (i64, String, Option<String>, String);

/// A stored address that no longer parses is left out rather than failing
/// the whole list.
fn subscriber_from_row((id, email, name, status): SubscriberRow) -> Option<Subscriber> {
    Some(Subscriber {
        id,
        email: EmailAddress::parse(&email).ok()?,
        name,
        status,
    })
}
