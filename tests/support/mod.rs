//! Test helpers: an SMTP sink embedded in the test process, and the
//! built binary run in a folder of its own.

#![allow(dead_code)]

pub mod binary;
pub mod db;
pub mod mail;

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: Vec<u8>,
}

/// What the sink does wrong, on purpose. A message counts as delivered
/// only when it is stored and answered 250; every fault below happens
/// before that, so exactly-once delivery stays possible for a client.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Share of transactions refused for a while: half get 421 at MAIL FROM
    /// (and the connection is closed), half 451 after the message body.
    pub transient: f64,
    /// Share of transactions whose connection is dropped after the body,
    /// with no reply and nothing stored.
    pub drop: f64,
    /// Recipients refused with 550 5.1.1 at RCPT.
    pub reject: Vec<String>,
    /// Close the connection, unannounced, after each accepted message: what
    /// a relay's idle timeout does to a pooled connection.
    pub close_after_each: bool,
    /// Wait this long after a message's body before storing and answering
    /// it: a slow relay, so a test can act while sends are in flight.
    pub delay_ms: u64,
}

impl Faults {
    /// A relay that refuses every transaction for now.
    pub fn down() -> Self {
        Self {
            transient: 1.0,
            ..Self::default()
        }
    }
}

/// Accepts every message on 127.0.0.1 and keeps it. Speaks just enough
/// SMTP (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for a real client.
pub struct SmtpSink {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Received>>>,
    faults: Arc<Mutex<Faults>>,
}

/// Deterministic dice for the faults, shared by every session.
struct Dice(std::sync::atomic::AtomicU64);

impl Dice {
    fn roll(&self) -> f64 {
        use std::sync::atomic::Ordering;
        let x = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        // splitmix64
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Shared {
    store: Arc<Mutex<Vec<Received>>>,
    faults: Arc<Mutex<Faults>>,
    dice: Dice,
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_with(Faults::default()).await
    }

    pub async fn start_with(faults: Faults) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let faults = Arc::new(Mutex::new(faults));
        let shared = Arc::new(Shared {
            store: messages.clone(),
            faults: faults.clone(),
            dice: Dice(std::sync::atomic::AtomicU64::new(42)),
        });
        tokio::spawn(async move {
            let mut n = 0u64;
            while let Ok((sock, _)) = listener.accept().await {
                n += 1;
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = session(sock, shared, n).await;
                });
            }
        });
        Self {
            port,
            messages,
            faults,
        }
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().expect("lock") = faults;
    }

    pub fn received(&self) -> Vec<Received> {
        self.messages.lock().expect("lock").clone()
    }

    /// How many messages each recipient got.
    pub fn per_recipient(&self) -> std::collections::HashMap<String, usize> {
        let mut counts = std::collections::HashMap::new();
        for m in self.messages.lock().expect("lock").iter() {
            for r in &m.rcpt_to {
                *counts.entry(r.to_ascii_lowercase()).or_insert(0) += 1;
            }
        }
        counts
    }
}

async fn session(
    sock: tokio::net::TcpStream,
    shared: Arc<Shared>,
    conn: u64,
) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut rcpt = Vec::new();
    let mut line = String::new();
    let mut seq = 0;
    let mut fate = Fate::Accept;
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            w.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if upper.starts_with("HELO") {
            w.write_all(b"250 sink.test\r\n").await?;
        } else if upper.starts_with("MAIL FROM:") {
            let faults = shared.faults.lock().expect("lock").clone();
            // The transaction's fate is decided here, once.
            let roll = shared.dice.roll();
            fate = if roll < faults.transient / 2.0 {
                Fate::Refuse421
            } else if roll < faults.transient {
                Fate::Refuse451
            } else if roll < faults.transient + faults.drop {
                Fate::Drop
            } else {
                Fate::Accept
            };
            if fate == Fate::Refuse421 {
                w.write_all(b"421 4.3.2 busy, closing\r\n").await?;
                return Ok(());
            }
            from = cmd[10..].trim().to_string();
            rcpt.clear();
            w.write_all(b"250 2.1.0 ok\r\n").await?;
        } else if upper.starts_with("RCPT TO:") {
            let to = cmd[8..].trim().trim_matches(['<', '>']).to_string();
            let rejected = shared
                .faults
                .lock()
                .expect("lock")
                .reject
                .iter()
                .any(|r| r.eq_ignore_ascii_case(&to));
            if rejected {
                w.write_all(b"550 5.1.1 no such user\r\n").await?;
                continue;
            }
            rcpt.push(to);
            w.write_all(b"250 2.1.5 ok\r\n").await?;
        } else if upper == "DATA" {
            w.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut data = Vec::new();
            loop {
                let mut l = Vec::new();
                if r.read_until(b'\n', &mut l).await? == 0 {
                    return Ok(());
                }
                if l == b".\r\n" || l == b".\n" {
                    break;
                }
                // Undo dot-stuffing.
                if l.starts_with(b"..") {
                    l.remove(0);
                }
                data.extend_from_slice(&l);
            }
            let delay = shared.faults.lock().expect("lock").delay_ms;
            if delay > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            }
            match fate {
                Fate::Drop => return Ok(()),
                Fate::Refuse451 => {
                    w.write_all(b"451 4.3.0 try again later\r\n").await?;
                    continue;
                }
                _ => {}
            }
            seq += 1;
            shared.store.lock().expect("lock").push(Received {
                mail_from: from.clone(),
                rcpt_to: rcpt.clone(),
                data,
            });
            w.write_all(format!("250 2.0.0 queued as C{conn}M{seq}\r\n").as_bytes())
                .await?;
            if shared.faults.lock().expect("lock").close_after_each {
                return Ok(());
            }
        } else if upper == "RSET" || upper == "NOOP" {
            w.write_all(b"250 ok\r\n").await?;
        } else if upper == "QUIT" {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"502 command not implemented\r\n").await?;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Accept,
    Refuse421,
    Refuse451,
    Drop,
}
