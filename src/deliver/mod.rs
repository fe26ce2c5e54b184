//! Delivery: the `Mailer` trait and its transports (SMTP, outbox files,
//! memory for tests), and the ledger-driven worker that uses them.

pub mod dkim;
mod memory;
mod message;
mod outbox;
pub mod pace;
mod smtp;
mod worker;

pub use memory::MemoryMailer;
pub use message::build_message;
pub use outbox::OutboxMailer;
pub use smtp::SmtpMailer;
pub use worker::{DeliveryJob, DeliveryReport, deliver_edition};

use crate::render::RenderedEmail;
use futures_util::future::BoxFuture;

/// What the server said when it took the message (e.g. its queue id).
#[derive(Debug, Clone)]
pub struct SendReceipt {
    pub reply: String,
}

/// Callers branch on the kind: transient failures are retried, permanent ones
/// count as a bounce, and a message that could not be made is neither: it
/// fails that one row, and says nothing about the recipient or the relay.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    #[error("temporary failure: {0}")]
    Transient(String),
    #[error("permanent failure: {0}")]
    Permanent(String),
    #[error("the message could not be made: {0}")]
    Unsendable(String),
}

pub trait Mailer: Send + Sync {
    fn send<'a>(
        &'a self,
        email: &'a RenderedEmail,
    ) -> BoxFuture<'a, Result<SendReceipt, SendError>>;
    /// A short name for logs: "smtp mail.example.com:587", "outbox ./outbox".
    fn describe(&self) -> String;
    /// Proves the transport would take mail, sending none: for SMTP a
    /// connection with EHLO, STARTTLS and AUTH as configured, then QUIT.
    fn check(&self) -> BoxFuture<'_, Result<(), SendError>> {
        Box::pin(async { Ok(()) })
    }
}
