//! Liveness, readiness and Prometheus metrics.

use super::State;
use axum::Router;
use axum::extract::State as Extract;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub fn routes() -> Router<State> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up and answering: nothing else is checked, so a slow
/// database never gets a live process restarted.
async fn healthz() -> &'static str {
    "ok\n"
}

/// Remembers the relay's answer for a while: probes come every few
/// seconds, and each check is a real SMTP session.
#[derive(Default)]
pub struct Readiness {
    smtp: Mutex<Option<(Instant, Result<(), String>)>>,
}

const SMTP_CHECK_TTL: Duration = Duration::from_secs(30);

/// The database answers and the transport would take mail. 503 with the
/// reason otherwise.
async fn readyz(Extract(s): Extract<State>) -> Response {
    let db = s.app.store.ping().await.map_err(|e| format!("{e:#}"));
    let cached = s
        .readiness
        .smtp
        .lock()
        .expect("readiness lock")
        .clone()
        .filter(|(at, _)| at.elapsed() < SMTP_CHECK_TTL);
    let smtp = match cached {
        Some((_, r)) => r,
        None => {
            let r = match s.app.mailer("") {
                Ok(m) => m.check().await.map_err(|e| e.to_string()),
                Err(e) => Err(format!("{e:#}")),
            };
            *s.readiness.smtp.lock().expect("readiness lock") = Some((Instant::now(), r.clone()));
            r
        }
    };
    let ok = db.is_ok() && smtp.is_ok();
    let show = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => e.clone(),
    };
    let body = serde_json::json!({
        "ready": ok,
        "database": show(&db),
        "transport": show(&smtp),
    });
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(body)).into_response()
}

async fn metrics(Extract(s): Extract<State>) -> Response {
    // The ledger is the record: read it at scrape time rather than keep a
    // second count that a restart would lose.
    if let Ok(Some(id)) = s.app.store.latest_edition_id().await
        && let Ok(c) = s.app.store.delivery_counts(id).await
    {
        for (status, n) in [
            ("queued", c.queued),
            ("sending", c.sending),
            ("sent", c.sent),
            ("retry", c.retry),
            ("failed", c.failed),
            ("bounced", c.bounced),
            ("skipped", c.skipped),
        ] {
            metrics::gauge!(crate::telemetry::LEDGER, "status" => status).set(n as f64);
        }
    }
    let handle = crate::telemetry::metrics();
    handle.run_upkeep();
    (
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
        .into_response()
}
