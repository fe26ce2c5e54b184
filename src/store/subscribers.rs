use super::Store;
use crate::domain::{EmailAddress, SubscriberName};

#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    pub id: i64,
    pub email: EmailAddress,
    pub name: Option<SubscriberName>,
    pub status: String,
    /// When they unsubscribed, if they did.
    pub unsubscribed_at: Option<i64>,
}

impl Subscriber {
    /// Why nobody but the subscriber may make them active again, when that is so.
    pub fn refusal(&self) -> Option<Refusal> {
        is_final_no(&self.status).then(|| Refusal {
            status: self.status.clone(),
            since: self.unsubscribed_at,
        })
    }
}

/// Statuses that mean "send nothing" until the subscriber themselves
/// confirms a new sign-up: they said no, their mailbox bounced, or they
/// reported the newsletter as spam.
pub fn is_final_no(status: &str) -> bool {
    matches!(status, "unsubscribed" | "bounced" | "complained")
}

/// An operator's add, import or seed that was refused because the person
/// said no (or their mailbox did).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: String,
    pub since: Option<i64>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.status)?;
        if let Some(t) = self.since {
            write!(f, " on {}", super::from_ts(t).format("%Y-%m-%d"))?;
        }
        Ok(())
    }
}

/// What a sign-up on the web led to. The HTTP answer is the same for all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingOutcome {
    /// New, pending, or known but not active: send a confirmation link to
    /// the address as stored. Nothing about the subscriber changed.
    AwaitsConfirmation { id: i64, email: EmailAddress },
    /// Already receiving the newsletter: nothing to send.
    AlreadyActive,
    /// A confirmation went out less than `CONFIRM_RESEND_SECS` ago: not
    /// another one yet.
    RecentlyAsked,
}

/// One confirmation request per address per this long, whoever asks.
pub const CONFIRM_RESEND_SECS: i64 = 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    /// Had signed up on the web and not confirmed; the operator vouches.
    Activated,
    AlreadyActive,
    /// Unsubscribed, bounced or complained: only their own confirmed
    /// sign-up brings them back.
    Refused(Refusal),
}

impl Store {
    /// The subscriber for this mailbox, whatever the spelling.
    pub async fn subscriber_by_email(
        &self,
        email: &EmailAddress,
    ) -> anyhow::Result<Option<Subscriber>> {
        let row: Option<SubscriberRow> = sqlx::query_as(self.sql(
            "SELECT id, email, name, status, unsubscribed_at FROM subscribers WHERE email_key = ?",
        ))
        .bind(email.key())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(subscriber_from_row))
    }

    /// An operator's add (CLI, API, import): active at once. Never brings
    /// back someone who said no.
    pub async fn add_subscriber(
        &self,
        email: &EmailAddress,
        name: Option<&SubscriberName>,
        now: i64,
    ) -> anyhow::Result<AddOutcome> {
        if self.insert_subscriber(email, name, "active", now).await? {
            return Ok(AddOutcome::Added);
        }
        let Some(existing) = self.subscriber_by_email(email).await? else {
            anyhow::bail!("{email} is in the store under an address that no longer parses");
        };
        if let Some(r) = existing.refusal() {
            return Ok(AddOutcome::Refused(r));
        }
        if existing.status == "active" {
            return Ok(AddOutcome::AlreadyActive);
        }
        // Only a pending row is left; the guard keeps a concurrent
        // unsubscribe from being overwritten.
        let r = sqlx::query(self.sql(
            "UPDATE subscribers SET status = 'active', confirmed_at = ?
             WHERE id = ? AND status = 'pending'",
        ))
        .bind(now)
        .bind(existing.id)
        .execute(&self.pool)
        .await?;
        Ok(if r.rows_affected() == 1 {
            AddOutcome::Activated
        } else {
            AddOutcome::AlreadyActive
        })
    }

    /// True when a row was created; false when the mailbox is known.
    async fn insert_subscriber(
        &self,
        email: &EmailAddress,
        name: Option<&SubscriberName>,
        status: &str,
        now: i64,
    ) -> anyhow::Result<bool> {
        let r = sqlx::query(self.sql(
            "INSERT INTO subscribers (email, email_key, name, status, created_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (email_key) DO NOTHING",
        ))
        .bind(email.as_str())
        .bind(email.key())
        .bind(name.map(SubscriberName::as_str))
        .bind(status)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Adds config-listed subscribers that the store has never seen. One who
    /// unsubscribed stays unsubscribed: the config does not override that.
    pub async fn seed_subscriber(
        &self,
        email: &EmailAddress,
        name: Option<&SubscriberName>,
        now: i64,
    ) -> anyhow::Result<bool> {
        self.insert_subscriber(email, name, "active", now).await
    }

    /// Marks the subscriber unsubscribed. Returns false if there was none active.
    pub async fn unsubscribe(&self, email: &EmailAddress, now: i64) -> anyhow::Result<bool> {
        let r = sqlx::query(self.sql("UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ? WHERE email_key = ? AND status = 'active'"))
            .bind(now)
            .bind(email.key())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// A sign-up from the web. A new address waits as `pending` until it is
    /// confirmed. A known one is left exactly as it is (a stranger can type
    /// anyone's address): its owner only gets a link, and confirming it is
    /// what may make them active again.
    pub async fn add_pending(
        &self,
        email: &EmailAddress,
        name: Option<&SubscriberName>,
        now: i64,
    ) -> anyhow::Result<PendingOutcome> {
        self.insert_subscriber(email, name, "pending", now).await?;
        let Some(sub) = self.subscriber_by_email(email).await? else {
            anyhow::bail!("{email} is in the store under an address that no longer parses");
        };
        if sub.status == "active" {
            return Ok(PendingOutcome::AlreadyActive);
        }
        let due = sqlx::query(self.sql(
            "UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?
               AND (confirm_sent_at IS NULL OR confirm_sent_at <= ?)",
        ))
        .bind(now)
        .bind(sub.id)
        .bind(now - CONFIRM_RESEND_SECS)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        Ok(if due {
            PendingOutcome::AwaitsConfirmation {
                id: sub.id,
                email: sub.email,
            }
        } else {
            PendingOutcome::RecentlyAsked
        })
    }

    /// Confirms a sign-up whose link was issued at `issued`. True when the
    /// subscriber is active afterwards (confirming twice is fine); false
    /// when the id and address do not match, or the link is older than the
    /// subscriber's last "no": a link from before they unsubscribed does not
    /// bring them back.
    pub async fn confirm_subscriber(
        &self,
        id: i64,
        email: &EmailAddress,
        issued: i64,
        now: i64,
    ) -> anyhow::Result<bool> {
        sqlx::query(self.sql("UPDATE subscribers SET status = 'active', confirmed_at = ?, unsubscribed_at = NULL, bounce_count = 0
             WHERE id = ? AND email_key = ?
               AND (status = 'pending'
                    OR (status IN ('unsubscribed', 'bounced', 'complained')
                        AND ? >= COALESCE(unsubscribed_at, 0)))"),
        )
        .bind(now)
        .bind(id)
        .bind(email.key())
        .bind(issued)
        .execute(&self.pool)
        .await?;
        Ok(self
            .subscriber(id)
            .await?
            .is_some_and(|s| &s.email == email && s.status == "active"))
    }

    /// The subscriber a link's id names, and the address its MAC was made
    /// for. An id merged into another row (two spellings of one mailbox)
    /// still finds the mailbox, so links in mail sent before the merge work.
    pub async fn subscriber_for_link(
        &self,
        id: i64,
    ) -> anyhow::Result<Option<(Subscriber, String)>> {
        if let Some(s) = self.subscriber(id).await? {
            let signed = s.email.as_str().to_string();
            return Ok(Some((s, signed)));
        }
        let alias: Option<(i64, String)> = sqlx::query_as(
            self.sql("SELECT subscriber_id, email FROM subscriber_aliases WHERE id = ?"),
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((to, signed)) = alias else {
            return Ok(None);
        };
        Ok(self.subscriber(to).await?.map(|s| (s, signed)))
    }

    pub async fn subscriber(&self, id: i64) -> anyhow::Result<Option<Subscriber>> {
        let row: Option<SubscriberRow> =
            sqlx::query_as(self.sql(
                "SELECT id, email, name, status, unsubscribed_at FROM subscribers WHERE id = ?",
            ))
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
            "SELECT id, email, name, status, unsubscribed_at FROM subscribers
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
        let rows: Vec<SubscriberRow> = sqlx::query_as(self.sql(
            "SELECT id, email, name, status, unsubscribed_at FROM subscribers ORDER BY email_key",
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().filter_map(subscriber_from_row).collect())
    }
}

type SubscriberRow = (i64, String, Option<String>, String, Option<i64>);

/// A stored address that no longer parses is left out rather than failing
/// the whole list. A stored name is parsed again, so whatever an older
/// version let in cannot reach a header.
fn subscriber_from_row(
    (id, email, name, status, unsubscribed_at): SubscriberRow,
) -> Option<Subscriber> {
    Some(Subscriber {
        id,
        email: EmailAddress::parse(&email).ok()?,
        name: SubscriberName::parse_opt(name.as_deref()),
        status,
        unsubscribed_at,
    })
}
