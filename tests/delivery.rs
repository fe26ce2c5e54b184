//! The delivery engine against an SMTP server that misbehaves on purpose:
//! refusals, dropped connections, bounces, a relay that is down, a worker
//! that died holding rows. Each test counts what the server stored.

mod support;

use roundup::assemble::{Digest, DigestSection, Story};
use roundup::config::{DeliverySettings, NewsletterSettings, SmtpSettings, TlsMode, TransportKind};
use roundup::deliver::{DeliveryJob, DeliveryReport, SmtpMailer, deliver_edition};
use roundup::domain::{EmailAddress, Section};
use roundup::render::Renderer;
use roundup::store::{Store, StoredEdition, now_ts};
use support::db::TestDb;
use support::{Faults, SmtpSink};

fn digest(key: &str) -> Digest {
    Digest {
        key: key.into(),
        newsletter: "Test".into(),
        subject: format!("Test {key}"),
        date_label: "Week of 16 November 2026".into(),
        intro: "One story.".into(),
        sections: vec![DigestSection {
            section: Section::Tech,
            title: "Technology".into(),
            stories: vec![Story {
                title: "Chips".into(),
                link: Some("https://example.com/chips".into()),
                source: "Example".into(),
                also: vec![],
                sources: vec![],
                summary: vec!["Chip sales rose.".into()],
                reading_minutes: 1,
            }],
        }],
    }
}

fn address(i: usize) -> String {
    format!("reader{i}@example.com")
}

struct Setup {
    _db: TestDb,
    store: Store,
    edition: StoredEdition,
    renderer: Renderer,
}

async fn setup(db: TestDb, subscribers: usize) -> Setup {
    let store = Store::connect(&db.url).await.unwrap();
    for i in 0..subscribers {
        store
            .add_subscriber(&EmailAddress::parse(&address(i)).unwrap(), None, now_ts())
            .await
            .unwrap();
    }
    let (edition, created) = store
        .publish_edition(&digest("2026-W47"), &[], now_ts())
        .await
        .unwrap();
    assert!(created);
    let renderer = Renderer::new(
        &NewsletterSettings {
            secret: "k".into(),
            ..Default::default()
        },
        None,
    );
    Setup {
        _db: db,
        store,
        edition,
        renderer,
    }
}

fn mailer(port: u16, pool: u32) -> SmtpMailer {
    SmtpMailer::new(&SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: TlsMode::None,
        pool_size: pool,
        timeout_secs: 5,
        ..Default::default()
    })
    .unwrap()
}

/// Retries come due at once, so a test can drain the ledger in a loop.
fn settings() -> DeliverySettings {
    DeliverySettings {
        transport: TransportKind::Smtp,
        retry_after_secs: 0,
        max_attempts: 100,
        breaker_failures: 1_000,
        ..Default::default()
    }
}

impl Setup {
    async fn deliver(&self, mailer: &SmtpMailer, s: &DeliverySettings) -> DeliveryReport {
        deliver_edition(
            DeliveryJob {
                store: &self.store,
                edition_id: self.edition.id,
                digest: &self.edition.digest,
                renderer: &self.renderer,
                mailer,
                settings: s,
                concurrency: 4,
            },
            &tokio_util::sync::CancellationToken::new(),
        )
        .await
        .unwrap()
    }

    /// Delivers until nothing is left to send (retries included).
    async fn drain(&self, mailer: &SmtpMailer, s: &DeliverySettings) -> DeliveryReport {
        for _ in 0..100 {
            let r = self.deliver(mailer, s).await;
            if r.counts.pending() == 0 {
                return r;
            }
        }
        panic!("the ledger never drained");
    }
}

async fn refusals_and_dropped_connections_still_deliver_each_message_exactly_once(db: TestDb) {
    let n = 300;
    let t = setup(db, n).await;
    let sink = SmtpSink::start_with(Faults {
        transient: 0.20,
        drop: 0.05,
        ..Default::default()
    })
    .await;
    let report = t.drain(&mailer(sink.port, 4), &settings()).await;
    assert_eq!(report.counts.sent, n as i64, "{report:?}");
    let got = sink.per_recipient();
    assert_eq!(got.len(), n, "every subscriber");
    for i in 0..n {
        assert_eq!(
            got.get(&address(i)),
            Some(&1),
            "{} got {:?}",
            address(i),
            got.get(&address(i))
        );
    }
    // The faults did happen: some rows needed more than one attempt.
    let tried: i64 = sqlx::query_scalar("SELECT CAST(SUM(attempts) AS BIGINT) FROM deliveries")
        .fetch_one(t.store.pool())
        .await
        .unwrap();
    assert!(tried > n as i64 + 30, "{tried} attempts for {n} rows");
}

async fn refused_recipients_bounce_are_suppressed_and_the_rest_go_through(db: TestDb) {
    let n = 40;
    let t = setup(db, n).await;
    let sink = SmtpSink::start_with(Faults {
        reject: vec![address(3), address(17)],
        ..Default::default()
    })
    .await;
    let s = DeliverySettings {
        max_bounces: 1,
        ..settings()
    };
    let report = t.drain(&mailer(sink.port, 2), &s).await;
    assert_eq!(report.counts.sent, n as i64 - 2);
    assert_eq!(report.counts.bounced, 2);
    let bounced: Vec<&str> = report.failures.iter().map(|f| f.email.as_str()).collect();
    assert_eq!(bounced, [address(17), address(3)], "sorted by address");
    assert!(
        report.failures[0].error.contains("550"),
        "{:?}",
        report.failures[0]
    );
    assert_eq!(sink.received().len(), n - 2);
    // One bounce reaches max_bounces: suppressed, and left out of the next edition.
    let suppressed: Vec<(String, i64)> = sqlx::query_as(
        "SELECT email, bounce_count FROM subscribers WHERE status = 'bounced' ORDER BY email",
    )
    .fetch_all(t.store.pool())
    .await
    .unwrap();
    assert_eq!(suppressed, vec![(address(17), 1), (address(3), 1)]);
    let (next, _) = t
        .store
        .publish_edition(&digest("2026-W48"), &[], now_ts())
        .await
        .unwrap();
    assert_eq!(
        t.store.delivery_counts(next.id).await.unwrap().total(),
        n as i64 - 2
    );
}

/// Five failures in a row open the breaker; with no pause to wait out
/// (`max_pauses: 0`) the run stops there.
fn breaker_settings(cooldown_secs: i64) -> DeliverySettings {
    DeliverySettings {
        breaker_failures: 5,
        breaker_cooldown_secs: cooldown_secs,
        max_pauses: 0,
        ..settings()
    }
}

impl Setup {
    /// One run against a relay that is down: it stops as the breaker opens,
    /// reports the pause that stopped it, and leaves the rest untried.
    async fn run_into_the_breaker(&self, m: &SmtpMailer, s: &DeliverySettings) -> DeliveryReport {
        let report = self.deliver(m, s).await;
        let pause = report
            .paused
            .clone()
            .expect("the pause that stopped the run");
        assert!(pause.reason.contains("5 failures in a row"), "{pause:?}");
        assert_eq!(report.counts.sent, 0);
        // Only the rows in hand when it opened were tried (the worker holds
        // two per connection, and a run is given 4): the rest wait.
        let tried: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE attempts > 0")
            .fetch_one(self.store.pool())
            .await
            .unwrap();
        assert!(tried <= 5 + 8, "{tried} rows tried: the run went on");
        report
    }

    /// The relay is back: a run allowed one pause waits it out by itself,
    /// goes on half-open and sends everything.
    async fn recover_and_drain(&self, sink: &SmtpSink, m: &SmtpMailer, s: &DeliverySettings) {
        sink.set_faults(Faults::default());
        let s = DeliverySettings {
            max_pauses: 1,
            ..s.clone()
        };
        let report = self.drain(m, &s).await;
        let n = self
            .store
            .delivery_counts(self.edition.id)
            .await
            .unwrap()
            .total();
        assert_eq!(report.counts.sent, n, "{report:?}");
        assert!(report.paused.is_none());
    }
}

async fn a_relay_that_is_down_opens_the_breaker_and_sending_resumes_after_the_cool_down(
    db: TestDb,
) {
    let n = 60;
    let t = setup(db, n).await;
    let sink = SmtpSink::start_with(Faults::down()).await;
    let m = mailer(sink.port, 2);
    let s = breaker_settings(1);
    let report = t.run_into_the_breaker(&m, &s).await;
    assert!(report.counts.queued >= n as i64 - 13);
    // A run during the pause sends nothing.
    let during = t.deliver(&m, &s).await;
    assert_eq!(during.sent_now, 0);
    t.recover_and_drain(&sink, &m, &s).await;
    assert_eq!(sink.per_recipient().len(), n);
}

/// Timestamps are whole seconds, so a short cool-down can be over before
/// the run reads its pause back. The run must still stop and say why, or it
/// ends quietly with rows left and exit code 0. A zero cool-down makes that
/// race certain.
async fn a_cool_down_over_before_the_run_ends_still_stops_it_and_is_reported(db: TestDb) {
    let n = 20;
    let t = setup(db, n).await;
    let sink = SmtpSink::start_with(Faults::down()).await;
    let m = mailer(sink.port, 2);
    let s = breaker_settings(0);
    t.run_into_the_breaker(&m, &s).await;
    t.recover_and_drain(&sink, &m, &s).await;
    assert_eq!(sink.per_recipient().len(), n);
}

async fn rows_held_by_a_dead_worker_go_back_to_the_queue_when_its_lease_runs_out(db: TestDb) {
    let n = 20;
    let t = setup(db, n).await;
    // A worker claimed half the rows ten seconds ago, with a one-second
    // lease, and died.
    let held = t
        .store
        .claim(t.edition.id, "dead-worker", 10, 1, now_ts() - 10)
        .await
        .unwrap();
    assert_eq!(held.len(), 10);
    let sink = SmtpSink::start().await;
    let report = t.drain(&mailer(sink.port, 2), &settings()).await;
    assert_eq!(report.counts.sent, n as i64);
    assert_eq!(sink.per_recipient().len(), n);
    // A live worker's rows are not taken: its lease is renewed.
    let live = t
        .store
        .claim(t.edition.id, "live-worker", 10, 60, now_ts())
        .await
        .unwrap();
    assert!(live.is_empty(), "nothing left to claim");
}

async fn roundup_retry_requeues_rows_that_gave_up(db: TestDb) {
    let n = 10;
    let t = setup(db, n).await;
    let sink = SmtpSink::start_with(Faults::down()).await;
    let m = mailer(sink.port, 2);
    let s = DeliverySettings {
        max_attempts: 1,
        ..settings()
    };
    let report = t.deliver(&m, &s).await;
    assert_eq!(report.counts.failed, n as i64, "{report:?}");
    assert_eq!(
        t.store
            .requeue_failed(t.edition.id, now_ts())
            .await
            .unwrap(),
        n as u64
    );
    sink.set_faults(Faults::default());
    let report = t.deliver(&m, &s).await;
    assert_eq!(report.counts.sent, n as i64);
}

async fn transient_failures_give_up_at_the_age_limit(db: TestDb) {
    let t = setup(db, 6).await;
    let sink = SmtpSink::start_with(Faults::down()).await;
    let s = DeliverySettings {
        max_age_secs: 0,
        ..settings()
    };
    let report = t.deliver(&mailer(sink.port, 2), &s).await;
    assert_eq!(report.counts.failed, 6, "{report:?}");
    assert!(report.failures.iter().all(|f| f.attempts == 1));
}

/// lettre #743: a pooled connection the relay closed while idle must be
/// replaced, not turned into a failed delivery.
async fn a_pooled_connection_the_server_closed_is_replaced_not_failed(db: TestDb) {
    let n = 15;
    let t = setup(db, n).await;
    let sink = SmtpSink::start_with(Faults {
        close_after_each: true,
        ..Default::default()
    })
    .await;
    let s = DeliverySettings {
        max_attempts: 1,
        ..settings()
    };
    let report = t.deliver(&mailer(sink.port, 1), &s).await;
    assert_eq!(report.counts.sent, n as i64, "{:?}", report.failures);
    assert_eq!(sink.per_recipient().len(), n);
}

async fn publishing_twice_fans_out_once(db: TestDb) {
    let t = setup(db, 25).await;
    let (again, created) = t
        .store
        .publish_edition(&digest("2026-W47"), &[], now_ts())
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, t.edition.id);
    assert_eq!(
        t.store.delivery_counts(t.edition.id).await.unwrap().total(),
        25
    );
}

// Every scenario above, on SQLite and on PostgreSQL.
/// A transport that cannot carry two particular messages: one makes it
/// fail as unsendable, the other makes it panic (a library bug).
struct Picky {
    sent: std::sync::Mutex<Vec<String>>,
}

impl roundup::deliver::Mailer for Picky {
    fn send<'a>(
        &'a self,
        email: &'a roundup::render::RenderedEmail,
    ) -> futures_util::future::BoxFuture<
        'a,
        Result<roundup::deliver::SendReceipt, roundup::deliver::SendError>,
    > {
        Box::pin(async move {
            match email.to.as_str() {
                "reader1@example.com" => Err(roundup::deliver::SendError::Unsendable(
                    "To: cannot be encoded".into(),
                )),
                "reader2@example.com" => panic!("a Display implementation returned an error"),
                other => {
                    self.sent.lock().unwrap().push(other.to_string());
                    Ok(roundup::deliver::SendReceipt {
                        reply: "250 ok".into(),
                    })
                }
            }
        })
    }

    fn describe(&self) -> String {
        "picky".into()
    }
}

async fn a_message_that_cannot_be_made_fails_its_own_row_and_the_rest_go(db: TestDb) {
    let t = setup(db, 5).await;
    let mailer = Picky {
        sent: Default::default(),
    };
    let s = settings();
    for _ in 0..2 {
        let r = deliver_edition(
            DeliveryJob {
                store: &t.store,
                edition_id: t.edition.id,
                digest: &t.edition.digest,
                renderer: &t.renderer,
                mailer: &mailer,
                settings: &s,
                concurrency: 2,
            },
            &tokio_util::sync::CancellationToken::new(),
        )
        .await
        .expect("the run goes on");
        let c = &r.counts;
        assert_eq!(
            (c.sent, c.failed, c.sending, c.queued, c.bounced),
            (3, 2, 0, 0, 0),
            "{c:?}"
        );
        let failed: Vec<_> = r.failures.iter().map(|f| f.error.as_str()).collect();
        assert!(
            failed
                .iter()
                .all(|e| e.contains("the message could not be made")),
            "{failed:?}"
        );
    }
    let mut sent = mailer.sent.lock().unwrap().clone();
    sent.sort();
    assert_eq!(
        sent,
        [
            "reader0@example.com",
            "reader3@example.com",
            "reader4@example.com"
        ],
        "each once, also after a second run"
    );
    let subs = t.store.subscribers().await.unwrap();
    assert!(
        subs.iter().all(|s| s.status == "active"),
        "not a bounce: the mailboxes did nothing"
    );
}

on_each_database!(
    refusals_and_dropped_connections_still_deliver_each_message_exactly_once,
    refused_recipients_bounce_are_suppressed_and_the_rest_go_through,
    a_relay_that_is_down_opens_the_breaker_and_sending_resumes_after_the_cool_down,
    a_cool_down_over_before_the_run_ends_still_stops_it_and_is_reported,
    rows_held_by_a_dead_worker_go_back_to_the_queue_when_its_lease_runs_out,
    roundup_retry_requeues_rows_that_gave_up,
    transient_failures_give_up_at_the_age_limit,
    a_pooled_connection_the_server_closed_is_replaced_not_failed,
    publishing_twice_fans_out_once,
    a_message_that_cannot_be_made_fails_its_own_row_and_the_rest_go,
);
