use super::Store;
use crate::domain::EmailAddress;

#[derive(Debug, Clone, PartialEq)]
pub struct Subscriber {
    pub id: i64,
    pub email: EmailAddress,
    pub name: Option<String>,
    pub status: String,
}

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
            sqlx::query_as("SELECT status FROM subscribers WHERE email = ?")
                .bind(email.as_str())
                .fetch_optional(&self.pool)
                .await?;
        match existing {
            None => {
                sqlx::query("INSERT INTO subscribers (email, name, created_at) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING")
                    .bind(email.as_str())
                    .bind(name)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(AddOutcome::Added)
            }
            Some((status,)) if status == "active" => Ok(AddOutcome::AlreadyActive),
            Some(_) => {
                sqlx::query("UPDATE subscribers SET status = 'active', unsubscribed_at = NULL, bounce_count = 0, name = COALESCE(?, name) WHERE email = ?")
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
        let r = sqlx::query("INSERT INTO subscribers (email, name, created_at) VALUES (?, ?, ?) ON CONFLICT (email) DO NOTHING")
            .bind(email.as_str())
            .bind(name)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Marks the subscriber unsubscribed. Returns false if there was none active.
    pub async fn unsubscribe(&self, email: &EmailAddress, now: i64) -> anyhow::Result<bool> {
        let r = sqlx::query("UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ? WHERE email = ? AND status = 'active'")
            .bind(now)
            .bind(email.as_str())
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn subscribers(&self) -> anyhow::Result<Vec<Subscriber>> {
        let rows: Vec<(i64, String, Option<String>, String)> =
            sqlx::query_as("SELECT id, email, name, status FROM subscribers ORDER BY email")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, email, name, status)| {
                Some(Subscriber {
                    id,
                    email: EmailAddress::parse(&email).ok()?,
                    name,
                    status,
                })
            })
            .collect())
    }
}
