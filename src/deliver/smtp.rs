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
            // A pooled connection the server closed while idle fails at the
            // socket, before any reply: lettre drops it, and the message goes
            // again on a fresh connection rather than waiting for a retry.
            let mut attempt = 0;
            loop {
                attempt += 1;
                // lettre's own timeout covers each command; this bounds the whole exchange.
                let sent = tokio::time::timeout(self.timeout * 2, self.transport.send(msg.clone()))
                    .await
                    .map_err(|_| {
                        SendError::Transient(format!(
                            "no answer within {} s",
                            (self.timeout * 2).as_secs()
                        ))
                    })?;
                match sent {
                    Ok(resp) => {
                        return Ok(SendReceipt {
                            reply: format!(
                                "{} {}",
                                resp.code(),
                                resp.message().collect::<Vec<_>>().join(" ")
                            ),
                        });
                    }
                    Err(e) if attempt == 1 && is_connection_drop(&e) => {
                        tracing::debug!("connection dropped ({e}); sending again on a fresh one");
                    }
                    Err(e) => return Err(classify(&e)),
                }
            }
        })
    }

    fn describe(&self) -> String {
        self.label.clone()
    }
}

/// The socket failed with no SMTP reply at all.
fn is_connection_drop(e: &lettre::transport::smtp::Error) -> bool {
    e.status().is_none() && !e.is_timeout() && !e.is_client() && !e.is_tls() && !e.is_response()
}

/// Only a refusal of the recipient is permanent (a bounce). Other 5xx
/// replies (login refused, relaying denied, message rejected) are the
/// relay's or our configuration's problem: they must not cost a subscriber
/// a bounce, so they are retried and count towards the breaker.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let text = e.to_string();
    match e.status() {
        Some(code) if e.is_permanent() && refuses_recipient(u16::from(code), &text) => {
            SendError::Permanent(text)
        }
        Some(_) if e.is_permanent() => {
            SendError::Transient(format!("refused by the relay, not the recipient: {text}"))
        }
        _ => SendError::Transient(text),
    }
}

/// By the enhanced status code when there is one (5.1.x address, 5.2.x
/// mailbox), else by the basic code (550, 551, 553).
pub(crate) fn refuses_recipient(code: u16, text: &str) -> bool {
    let enhanced = text.split_whitespace().find_map(|w| {
        let mut parts = w.trim_end_matches([',', ':', ';']).split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        (parts.next().is_none()
            && class == "5"
            && subject.parse::<u8>().is_ok()
            && detail.parse::<u16>().is_ok())
        .then(|| subject.to_string())
    });
    match enhanced {
        Some(subject) => subject == "1" || subject == "2",
        None => matches!(code, 550 | 551 | 553),
    }
}

#[cfg(test)]
mod tests {
    use super::refuses_recipient;

    #[test]
    fn only_refusals_of_the_recipient_are_bounces() {
        assert!(refuses_recipient(
            550,
            "permanent error (550): 5.1.1 <x@y>: user unknown"
        ));
        assert!(refuses_recipient(
            552,
            "permanent error (552): 5.2.2 mailbox full"
        ));
        assert!(refuses_recipient(
            550,
            "permanent error (550): no such user"
        ));
        assert!(!refuses_recipient(
            550,
            "permanent error (550): 5.7.1 relaying denied"
        ));
        assert!(!refuses_recipient(
            535,
            "permanent error (535): 5.7.8 authentication failed"
        ));
        assert!(!refuses_recipient(
            554,
            "permanent error (554): transaction failed"
        ));
    }
}
