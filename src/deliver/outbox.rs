use super::dkim::Signer;
use super::{Mailer, SendError, SendReceipt, build_message};
use crate::render::RenderedEmail;
use futures_util::future::BoxFuture;
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};
use std::path::{Path, PathBuf};

/// Writes each message as an `.eml` file into a folder: the default
/// transport, for demos, previews and dry runs.
pub struct OutboxMailer {
    dir: PathBuf,
    transport: AsyncFileTransport<Tokio1Executor>,
    signer: Option<Signer>,
}

impl OutboxMailer {
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            transport: AsyncFileTransport::new(dir),
            signer: None,
        })
    }

    /// Signs every message with DKIM.
    pub fn with_signer(mut self, signer: Option<Signer>) -> Self {
        self.signer = signer;
        self
    }
}

impl Mailer for OutboxMailer {
    fn send<'a>(
        &'a self,
        email: &'a RenderedEmail,
    ) -> BoxFuture<'a, Result<SendReceipt, SendError>> {
        Box::pin(async move {
            let msg = build_message(email, self.signer.as_ref())?;
            let id = self.transport.send(msg).await.map_err(|e| {
                SendError::Transient(format!("cannot write to {}: {e}", self.dir.display()))
            })?;
            Ok(SendReceipt {
                reply: format!("written {}.eml", id),
            })
        })
    }

    fn describe(&self) -> String {
        format!("outbox {}", self.dir.display())
    }

    fn check(&self) -> BoxFuture<'_, Result<(), SendError>> {
        Box::pin(async move {
            let probe = self.dir.join(".roundup-check");
            std::fs::write(&probe, b"")
                .and_then(|_| std::fs::remove_file(&probe))
                .map_err(|e| {
                    SendError::Transient(format!("cannot write to {}: {e}", self.dir.display()))
                })
        })
    }
}
