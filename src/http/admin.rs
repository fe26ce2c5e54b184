//! The editors' and operators' API: JSON in and out (the preview is HTML),
//! behind a bearer token.

use super::State;
use crate::domain::{EditionKey, EmailAddress, SubscriberName};
use crate::editor;
use crate::pipeline;
use crate::store::{AddOutcome, StoredEdition, now_ts};
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State as Extract};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest as _, Sha256};

pub fn routes(state: State) -> Router<State> {
    Router::new()
        .route("/preview", get(preview))
        .route("/test", post(send_test))
        .route("/send", post(send_now))
        .route("/deliveries", get(deliveries_current))
        .route("/editions/{key}/deliveries", get(deliveries))
        .route("/subscribers", get(list_subscribers).post(add_subscriber))
        .route(
            "/subscribers/{email}",
            axum::routing::delete(remove_subscriber),
        )
        .route(
            "/subscribers/import",
            post(import).layer(DefaultBodyLimit::max(64 * 1024 * 1024)),
        )
        .route("/feeds", get(feeds))
        .route("/schedule", get(schedule))
        .route("/steering", get(steering))
        .route("/pins", post(pin).delete(unpin))
        .route("/blocks", post(block).delete(unblock))
        .layer(axum::middleware::from_fn_with_state(state, require_token))
}

/// An API error: a status and a sentence, as `{"error": "..."}`.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        tracing::error!("admin request failed: {e:#}");
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
    }
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

type ApiResult = Result<Response, ApiError>;

/// `Authorization: Bearer <service.admin_token>`. Both sides are hashed
/// before comparing, so neither the content nor the length of the token
/// shows in the time taken. With no token configured, nobody gets in.
async fn require_token(Extract(s): Extract<State>, req: Request, next: Next) -> Response {
    let configured = &s.app.config.service.admin_token;
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let ok = match given {
        Some(t) if !configured.is_empty() => {
            let (a, b) = (
                Sha256::digest(t.as_bytes()),
                Sha256::digest(configured.as_bytes()),
            );
            a.iter()
                .zip(b.iter())
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0
        }
        _ => false,
    };
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(json!({ "error": "a valid bearer token is required" })),
        )
            .into_response();
    }
    next.run(req).await
}

/// The next edition as subscribers will see it: the stored one if this
/// week's is published, else a fresh build that records nothing.
async fn preview(Extract(s): Extract<State>) -> ApiResult {
    let _turn = s.dispatch.pipeline.lock().await;
    let digest = editor::upcoming(&s.app, chrono::Utc::now()).await?;
    let html = pipeline::preview_html(&s.app, &digest)?;
    let mut response = Html(html).into_response();
    // The same note as the page's, for tools that read only headers.
    if let Some(why) = pipeline::thin_edition(&digest, &s.app.config.pick)
        && let Ok(value) = axum::http::HeaderValue::from_str(&why)
    {
        response.headers_mut().insert("x-roundup-warning", value);
    }
    Ok(response)
}

#[derive(Deserialize)]
struct TestRequest {
    to: String,
}

async fn send_test(Extract(s): Extract<State>, Json(r): Json<TestRequest>) -> ApiResult {
    let to = EmailAddress::parse(&r.to).map_err(|e| bad(e.to_string()))?;
    let _turn = s.dispatch.pipeline.lock().await;
    let sent = editor::send_test(&s.app, chrono::Utc::now(), &to).await?;
    Ok(Json(sent).into_response())
}

#[derive(Deserialize, Default)]
struct SendRequest {
    /// An earlier edition to (re)send; default: this week's, published now
    /// if it is not yet.
    edition: Option<String>,
}

/// Publishes this week's edition if needed and sends it. Idempotent: the
/// edition key makes a second publish a no-op, and the ledger sends each
/// subscriber one copy however often this is called.
async fn send_now(Extract(s): Extract<State>, body: Bytes) -> ApiResult {
    let r: SendRequest = if body.iter().all(u8::is_ascii_whitespace) {
        SendRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| bad(format!("body: {e}")))?
    };
    let (edition, created) = match r.edition {
        Some(key) => (stored(&s, &key).await?, false),
        None => {
            let _turn = s.dispatch.pipeline.lock().await;
            let p = pipeline::publish(&s.app, chrono::Utc::now())
                .await
                .map_err(|e| match e.downcast_ref::<pipeline::NothingToPublish>() {
                    Some(n) => ApiError(StatusCode::CONFLICT, n.to_string()),
                    None => e.into(),
                })?;
            if p.created
                && let Err(e) = pipeline::write_archive(&s.app).await
            {
                tracing::warn!("archive not written: {e:#}");
            }
            (p.edition, p.created)
        }
    };
    // An editor's say-so: sent even if it is older than the service would
    // send by itself.
    s.dispatch.send(edition.id, true);
    let counts = s.app.store.delivery_counts(edition.id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "edition": edition.key,
            "subject": edition.subject,
            "created": created,
            "counts": counts,
        })),
    )
        .into_response())
}

async fn stored(s: &State, key: &str) -> Result<StoredEdition, ApiError> {
    let key = key.parse::<EditionKey>().map_err(|e| bad(e.to_string()))?;
    s.app.store.edition(&key.to_string()).await?.ok_or_else(|| {
        ApiError(
            StatusCode::NOT_FOUND,
            format!("edition {key} has not been published"),
        )
    })
}

async fn deliveries_current(Extract(s): Extract<State>) -> ApiResult {
    let key = s.app.edition_key(chrono::Utc::now()).to_string();
    deliveries(Extract(s), Path(key)).await
}

async fn deliveries(Extract(s): Extract<State>, Path(key): Path<String>) -> ApiResult {
    let e = stored(&s, &key).await?;
    let store = &s.app.store;
    let counts = store.delivery_counts(e.id).await?;
    let pause = store
        .edition_pause(e.id)
        .await?
        .filter(|p| p.until > now_ts());
    let failures: Vec<_> = store
        .failed_deliveries(e.id)
        .await?
        .into_iter()
        .take(100)
        .map(|f| json!({ "email": f.email, "status": f.status, "attempts": f.attempts, "error": f.error }))
        .collect();
    Ok(Json(json!({
        "edition": e.key,
        "subject": e.subject,
        "counts": counts,
        "pending": counts.pending(),
        "paused_until": pause.as_ref().map(|p| crate::store::from_ts(p.until).to_rfc3339()),
        "pause_reason": pause.map(|p| p.reason),
        "failures": failures,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct Page {
    /// Ids above this (the previous page's `next_after`).
    #[serde(default)]
    after: i64,
    limit: Option<i64>,
    /// Only this status: active, pending, unsubscribed, bounced.
    status: Option<String>,
}

const PAGE_DEFAULT: i64 = 1000;
const PAGE_MAX: i64 = 10_000;

/// A page of subscribers in id order; `next_after` is null on the last.
async fn list_subscribers(Extract(s): Extract<State>, Query(p): Query<Page>) -> ApiResult {
    let limit = p.limit.unwrap_or(PAGE_DEFAULT).clamp(1, PAGE_MAX);
    let page = s
        .app
        .store
        .subscribers_page(p.after, limit, p.status.as_deref())
        .await?;
    let next_after = (page.len() as i64 == limit)
        .then(|| page.last().map(|x| x.id))
        .flatten();
    let subs: Vec<_> = page
        .into_iter()
        .map(|x| json!({ "id": x.id, "email": x.email, "name": x.name, "status": x.status }))
        .collect();
    Ok(Json(json!({ "subscribers": subs, "next_after": next_after })).into_response())
}

#[derive(Deserialize)]
struct NewSubscriber {
    email: String,
    name: Option<String>,
}

/// An operator's add: active at once, no confirmation (the operator vouches
/// for it, as with the CLI).
async fn add_subscriber(Extract(s): Extract<State>, Json(r): Json<NewSubscriber>) -> ApiResult {
    let email = EmailAddress::parse(&r.email).map_err(|e| bad(e.to_string()))?;
    let name = SubscriberName::parse_opt(r.name.as_deref());
    let outcome = s
        .app
        .store
        .add_subscriber(&email, name.as_ref(), now_ts())
        .await?;
    let (status, word) = match outcome {
        AddOutcome::Added => (StatusCode::CREATED, "added"),
        AddOutcome::Activated => (StatusCode::OK, "activated"),
        AddOutcome::AlreadyActive => (StatusCode::OK, "already_active"),
        AddOutcome::Refused(why) => {
            return Err(ApiError(
                StatusCode::CONFLICT,
                editor::refusal_text(&email, &why),
            ));
        }
    };
    Ok((status, Json(json!({ "email": email, "outcome": word }))).into_response())
}

async fn remove_subscriber(Extract(s): Extract<State>, Path(email): Path<String>) -> ApiResult {
    let email = EmailAddress::parse(&email).map_err(|e| bad(e.to_string()))?;
    if s.app.store.unsubscribe(&email, now_ts()).await? {
        Ok(Json(json!({ "email": email, "outcome": "unsubscribed" })).into_response())
    } else {
        Err(ApiError(
            StatusCode::NOT_FOUND,
            format!("{email} is not an active subscriber"),
        ))
    }
}

/// A CSV body (`email[,name]`, header optional). Bad rows are listed with
/// their line; good ones are imported either way.
async fn import(Extract(s): Extract<State>, body: Bytes) -> ApiResult {
    let r = editor::import_subscribers(&s.app, body.as_ref()).await?;
    let rejected: Vec<_> = r
        .rejected
        .iter()
        .map(|(line, e)| json!({ "line": line, "error": e }))
        .collect();
    let skipped: Vec<_> = r
        .skipped
        .iter()
        .map(|(line, why)| json!({ "line": line, "reason": why }))
        .collect();
    Ok(Json(json!({
        "added": r.added,
        "existing": r.existing,
        "skipped": skipped,
        "rejected": rejected,
    }))
    .into_response())
}

async fn feeds(Extract(s): Extract<State>) -> ApiResult {
    let feeds: Vec<_> = s
        .app
        .store
        .feed_statuses()
        .await?
        .into_iter()
        .map(|f| {
            let health = f.health().as_str();
            json!({
                "name": f.name,
                "url": f.url,
                "health": health,
                "consecutive_errors": f.consecutive_errors,
                "last_error": f.last_error,
                "failing_since": f.failing_since.map(|t| t.to_rfc3339()),
                "last_fetch_at": f.last_fetch_at.map(|t| t.to_rfc3339()),
                "last_new_item_at": f.last_new_item_at.map(|t| t.to_rfc3339()),
                "next_check_at": f.next_check_at.map(|t| t.to_rfc3339()),
                "moved_to": f.fetch_url,
                "items": f.item_count,
            })
        })
        .collect();
    Ok(Json(json!({ "feeds": feeds })).into_response())
}

/// When each job fires next (in the configured zone) and how its last
/// settled slot ended.
async fn schedule(Extract(s): Extract<State>) -> ApiResult {
    let c = &s.app.config;
    let tz = c.timezone();
    let now = chrono::Utc::now();
    let mut jobs = Vec::new();
    for (job, expr) in [
        ("refresh", &c.schedule.refresh),
        ("publish", &c.schedule.publish),
    ] {
        let cadence = crate::schedule::Cadence::parse(expr).map_err(bad)?;
        let last = match s.app.store.last_slot(job).await? {
            Some(slot) => {
                let (status, detail) = s
                    .app
                    .store
                    .slot_status(job, slot)
                    .await?
                    .unwrap_or_default();
                json!({
                    "slot": crate::store::from_ts(slot).with_timezone(&tz).to_rfc3339(),
                    "status": status,
                    "detail": detail,
                })
            }
            None => serde_json::Value::Null,
        };
        jobs.push(json!({
            "job": job,
            "cron": expr,
            "next": cadence.next_after(&tz, now).map(|t| t.with_timezone(&tz).to_rfc3339()),
            "last": last,
        }));
    }
    Ok(Json(json!({
        "timezone": c.newsletter.timezone,
        "catch_up_secs": c.schedule.catch_up_secs,
        "jobs": jobs,
    }))
    .into_response())
}

async fn steering(Extract(s): Extract<State>) -> ApiResult {
    let st = s.app.store.steering().await?;
    Ok(Json(json!({
        "pins": st.pins.iter().map(|(_, url)| url).collect::<Vec<_>>(),
        "blocked_stories": st.blocked_items,
        "blocked_feeds": st.blocked_sources,
        "weights": st.weights.iter().map(|(k, w)| json!({ "feed": k, "weight": w })).collect::<Vec<_>>(),
    }))
    .into_response())
}

#[derive(Deserialize)]
struct Target {
    /// A story's URL.
    url: Option<String>,
    /// A configured feed's name or URL (blocks only).
    source: Option<String>,
}

async fn pin_change(s: &State, t: Target, on: bool) -> ApiResult {
    let url = t.url.ok_or_else(|| bad("`url` is required"))?;
    let (outcome, carried) = editor::pin(&s.app, &url, on)
        .await
        .map_err(|e| bad(format!("{e:#}")))?;
    Ok(Json(json!({ "url": url, "outcome": outcome, "story_seen": carried })).into_response())
}

async fn pin(Extract(s): Extract<State>, Json(t): Json<Target>) -> ApiResult {
    pin_change(&s, t, true).await
}

async fn unpin(Extract(s): Extract<State>, Query(t): Query<Target>) -> ApiResult {
    pin_change(&s, t, false).await
}

async fn block_change(s: &State, t: Target, on: bool) -> ApiResult {
    let (target, source) = match (t.url, t.source) {
        (Some(u), None) => (u, false),
        (None, Some(f)) => (f, true),
        _ => {
            return Err(bad(
                "give exactly one of `url` (a story) or `source` (a feed)",
            ));
        }
    };
    let c = editor::block(&s.app, &target, source, on)
        .await
        .map_err(|e| bad(format!("{e:#}")))?;
    Ok(Json(c).into_response())
}

async fn block(Extract(s): Extract<State>, Json(t): Json<Target>) -> ApiResult {
    block_change(&s, t, true).await
}

async fn unblock(Extract(s): Extract<State>, Query(t): Query<Target>) -> ApiResult {
    block_change(&s, t, false).await
}
