use super::dkim::Signer;
use super::{Mailer, SendError, SendReceipt, build_message};
use crate::config::{SmtpSettings, TlsMode};
use crate::render::RenderedEmail;
use futures_util::future::BoxFuture;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// SMTP through a pooled lettre transport.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    label: String,
    timeout: Duration,
    signer: Option<Signer>,
}

impl SmtpMailer {
    pub fn new(s: &SmtpSettings) -> anyhow::Result<Self> {
        let builder = match s.tls {
            TlsMode::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)?,
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)?,
            TlsMode::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        };
        let timeout = Duration::from_secs(s.timeout_secs);
        let mut builder = builder
            .port(s.port)
            .timeout(Some(timeout))
            .pool_config(PoolConfig::new().max_size(s.pool_size.max(1)));
        if let (Some(u), Some(p)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            label: format!("smtp {}:{} ({:?})", s.host, s.port, s.tls),
            timeout,
            signer: None,
        })
    }

    /// Signs every message with DKIM.
    pub fn with_signer(mut self, signer: Option<Signer>) -> Self {
        self.signer = signer;
        self
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(
        &'a self,
        email: &'a RenderedEmail,
    ) -> BoxFuture<'a, Result<SendReceipt, SendError>> {
        Box::pin(async move {
            let msg = build_message(email, self.signer.as_ref())?;
            // lettre's own timeout covers each command; this bounds the whole exchange.
            let sent = tokio::time::timeout(self.timeout * 2, self.transport.send(msg))
                .await
                .map_err(|_| {
                    SendError::Transient(format!(
                        "no answer within {} s",
                        (self.timeout * 2).as_secs()
                    ))
                })?;
            match sent {
                Ok(resp) => Ok(SendReceipt {
                    reply: format!(
                        "{} {}",
                        resp.code(),
                        resp.message().collect::<Vec<_>>().join(" ")
                    ),
                }),
                Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
                Err(e) => Err(SendError::Transient(e.to_string())),
            }
        })
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}
