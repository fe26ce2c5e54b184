//! Logs and metrics.
//!
//! Logs go to stderr through tracing: compact text on a terminal, one JSON
//! object per line otherwise (journald, Docker, a log shipper), or as
//! `service.log_format` says. Metrics are recorded with the `metrics` macros
//! wherever the work happens and rendered for Prometheus by `GET /metrics`;
//! without a recorder installed (the one-shot CLI) the macros cost nothing.

use crate::config::LogFormat;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::io::IsTerminal;
use std::sync::OnceLock;

/// Feed fetches by outcome: ok, not_modified, failed, gone, skipped.
pub const FEEDS_FETCHED: &str = "roundup_feed_fetches_total";
/// New items stored.
pub const ITEMS_NEW: &str = "roundup_items_new_total";
/// Editions created (a repeated publish of the same key does not count).
pub const EDITIONS: &str = "roundup_editions_published_total";
/// Finished delivery attempts by outcome: sent, retry, gave_up, bounced, skipped.
pub const DELIVERIES: &str = "roundup_deliveries_total";
/// Stories in the edition last built (published or previewed).
pub const EDITION_STORIES: &str = "roundup_edition_stories";
/// 1 when the edition last built had fewer stories than `pick.min_stories`.
pub const EDITION_THIN: &str = "roundup_edition_thin";
/// The current edition's ledger by status, read from the store at each scrape.
pub const LEDGER: &str = "roundup_ledger_rows";
/// Seconds from handing a message to the transport to its answer.
pub const SEND_SECONDS: &str = "roundup_send_duration_seconds";
/// Failed sends by class: transient, permanent, timeout.
pub const SMTP_ERRORS: &str = "roundup_smtp_errors_total";
/// Scheduled slots by job and how they ended: done, failed, skipped.
pub const SLOTS: &str = "roundup_schedule_slots_total";
/// Client connections the server closed by itself, by reason (`timed_out`,
/// `evicted` to make room, `refused` when none could).
pub const HTTP_CLOSED: &str = "roundup_http_connections_closed_total";

const SEND_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0,
];

/// Installs the process-wide Prometheus recorder once and returns its handle.
/// Later calls (several apps in one test process) share it.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(SEND_SECONDS.into()), SEND_BUCKETS)
            .expect("the bucket list is not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
        }
        describe();
        handle
    })
}

fn describe() {
    metrics::describe_counter!(FEEDS_FETCHED, "Feed fetches by outcome");
    metrics::describe_counter!(ITEMS_NEW, "New feed items stored");
    metrics::describe_counter!(EDITIONS, "Editions published");
    metrics::describe_counter!(DELIVERIES, "Delivery attempts by outcome");
    metrics::describe_gauge!(EDITION_STORIES, "Stories in the edition last built");
    metrics::describe_gauge!(
        EDITION_THIN,
        "1 when the edition last built had fewer stories than pick.min_stories"
    );
    metrics::describe_gauge!(LEDGER, "The current edition's ledger rows by status");
    metrics::describe_histogram!(
        SEND_SECONDS,
        metrics::Unit::Seconds,
        "Time for the transport to take one message"
    );
    metrics::describe_counter!(SMTP_ERRORS, "Failed sends by class");
    metrics::describe_counter!(SLOTS, "Scheduled slots by job and result");
    metrics::describe_counter!(
        HTTP_CLOSED,
        "Client connections the server closed by itself, by reason"
    );
}

/// Starts logging. `ROUNDUP_LOG` (or `RUST_LOG`) sets the filter.
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ROUNDUP_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("roundup=info,warn"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // A second init (tests) keeps the first subscriber.
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    } else {
        builder.compact().try_init()
    };
}
