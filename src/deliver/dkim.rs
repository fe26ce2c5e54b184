//! DKIM signing of outgoing messages, when the config names a domain,
//! selector and key. The signature covers the headers receivers and
//! one-click unsubscribe depend on, with relaxed canonicalization so that
//! relays re-folding headers or trailing spaces do not break it.

use crate::config::DkimSettings;
use anyhow::Context;
use lettre::Message;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use std::sync::Arc;

pub const SIGNED_HEADERS: [&str; 8] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

#[derive(Clone)]
pub struct Signer(Arc<DkimConfig>);

impl Signer {
    /// The signer the config asks for, or `None` when DKIM is off. A key
    /// that cannot be read or parsed is an error naming the file.
    pub fn from_settings(s: &DkimSettings) -> anyhow::Result<Option<Self>> {
        if !s.enabled() {
            return Ok(None);
        }
        let pem = std::fs::read_to_string(&s.key_file)
            .with_context(|| format!("dkim.key_file: cannot read {}", s.key_file))?;
        let algorithm = match s.algorithm.as_str() {
            "ed25519" => DkimSigningAlgorithm::Ed25519,
            _ => DkimSigningAlgorithm::Rsa,
        };
        let key = DkimSigningKey::new(pem.trim(), algorithm).map_err(|e| {
            // lettre's own text names only the kind of failure; its source says what.
            let why = match std::error::Error::source(&e) {
                Some(source) => format!("{e}: {source}"),
                None => e.to_string(),
            };
            anyhow::anyhow!(
                "dkim.key_file: {} is not a {} private key ({why}); RSA keys must be PKCS#1 PEM (\"BEGIN RSA PRIVATE KEY\")",
                s.key_file,
                s.algorithm
            )
        })?;
        let headers = SIGNED_HEADERS
            .iter()
            .copied()
            .map(HeaderName::new_from_ascii_str)
            .collect();
        Ok(Some(Self(Arc::new(DkimConfig::new(
            s.selector.clone(),
            s.domain.clone(),
            key,
            headers,
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        )))))
    }

    pub fn sign(&self, message: &mut Message) {
        message.sign(&self.0);
    }
}
