use super::{Mailer, SendError, SendReceipt};
use crate::render::RenderedEmail;
use futures_util::future::BoxFuture;
use std::sync::Mutex;

/// Keeps messages in memory; tests read them back. Addresses in `reject`
/// fail permanently, to exercise bounce handling.
#[derive(Default)]
pub struct MemoryMailer {
    pub sent: Mutex<Vec<RenderedEmail>>,
    pub reject: Vec<String>,
}

impl Mailer for MemoryMailer {
    fn send<'a>(
        &'a self,
        email: &'a RenderedEmail,
    ) -> BoxFuture<'a, Result<SendReceipt, SendError>> {
        Box::pin(async move {
            if self.reject.iter().any(|r| r == email.to.as_str()) {
                return Err(SendError::Permanent(format!(
                    "550 no such user {}",
                    email.to
                )));
            }
            self.sent.lock().expect("lock").push(email.clone());
            Ok(SendReceipt {
                reply: "250 stored in memory".into(),
            })
        })
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}
