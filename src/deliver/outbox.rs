use super::dkim::Signer;
use super::{Mailer, SendError, SendReceipt, build_message};
use crate::render::RenderedEmail;
use futures_util::future::BoxFuture;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes each message as an `.eml` file into a folder: the default
/// transport, for demos, previews and dry runs.
///
/// A file appears under its final name only whole: it is written to a
/// hidden temporary name, synced and renamed, so a crash or a full disk
/// never leaves a cut `.eml` that looks sent. The name comes from the
/// message's deterministic Message-ID, so sending the same delivery again
/// replaces the file rather than adding a second copy.
pub struct OutboxMailer {
    dir: PathBuf,
    signer: Option<Signer>,
}

impl OutboxMailer {
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            signer: None,
        })
    }

    /// Signs every message with DKIM.
    pub fn with_signer(mut self, signer: Option<Signer>) -> Self {
        self.signer = signer;
        self
    }
}

/// A file name from a Message-ID: anything but letters, digits and `.@-_`
/// becomes `_`, so no ID can name a path elsewhere.
fn file_name(message_id: &str) -> String {
    let stem: String = message_id
        .trim_matches(['<', '>'])
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._@-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stem = stem.trim_start_matches('.');
    format!("{}.eml", if stem.is_empty() { "message" } else { stem })
}

/// Writes `name` in `dir` through a temporary file and a rename. On any
/// error the temporary file is removed and the final name is untouched.
fn write_atomically(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<PathBuf> {
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        write(&mut f)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|_| target)
}

impl Mailer for OutboxMailer {
    fn send<'a>(
        &'a self,
        email: &'a RenderedEmail,
    ) -> BoxFuture<'a, Result<SendReceipt, SendError>> {
        Box::pin(async move {
            let bytes = build_message(email, self.signer.as_ref())?.formatted();
            let name = file_name(&email.message_id);
            let dir = self.dir.clone();
            let written = tokio::task::spawn_blocking(move || {
                write_atomically(&dir, &name, |f| f.write_all(&bytes)).map(|_| name)
            })
            .await
            .map_err(|e| SendError::Transient(format!("the writer stopped: {e}")))?;
            match written {
                Ok(name) => Ok(SendReceipt {
                    reply: format!("written {name}"),
                }),
                Err(e) => Err(SendError::Transient(format!(
                    "cannot write to {}: {e}",
                    self.dir.display()
                ))),
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_fails_half_way_leaves_nothing_under_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let r = write_atomically(dir.path(), "a.eml", |f| {
            f.write_all(b"From: half of a message\r\n")?;
            Err(std::io::Error::other("no space left on device"))
        });
        assert!(r.is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_whole_write_appears_under_its_name_and_replaces_an_earlier_one() {
        let dir = tempfile::tempdir().unwrap();
        write_atomically(dir.path(), "a.eml", |f| f.write_all(b"one")).unwrap();
        let p = write_atomically(dir.path(), "a.eml", |f| f.write_all(b"two")).unwrap();
        assert_eq!(std::fs::read(p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn message_ids_make_plain_file_names() {
        assert_eq!(
            file_name("<2026-W49.7.ab12@example.com>"),
            "2026-W49.7.ab12@example.com.eml"
        );
        assert_eq!(file_name("../../etc/passwd"), "_.._etc_passwd.eml");
        assert_eq!(file_name(""), "message.eml");
    }
}
