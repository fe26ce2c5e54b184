//! What subscribers and browsers reach: unsubscribe (RFC 8058 one-click),
//! sign-up with double opt-in, and the archive.

use super::State;
use crate::domain::{EmailAddress, SubscriberName};
use crate::render::{
    CONFIRM_TTL_SECS, Recipient, confirm_issued, token_subscriber, verify_confirm_token,
    verify_unsubscribe_token,
};
use crate::store::{PendingOutcome, Subscriber, now_ts};
use axum::Router;
use axum::extract::{ConnectInfo, Form, FromRequestParts, Path, State as Extract};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;
use std::net::SocketAddr;

pub fn routes() -> Router<State> {
    Router::new()
        .route("/u/{token}", get(unsubscribe_page).post(unsubscribe))
        .route("/subscribe", get(subscribe_form).post(subscribe))
        .route("/confirm/{token}", get(confirm_page).post(confirm))
        .route(
            "/archive",
            get(|| async { Redirect::permanent("/archive/") }),
        )
        .route("/archive/", get(archive_index))
        .route("/archive/{page}", get(archive_page))
}

// ------------------------------------------------------------ unsubscribe

/// The subscriber a token was made for, if `verify` accepts it for their
/// stored address. A token that names no subscriber and one with a bad MAC
/// look the same to the caller.
async fn token_holder(
    s: &State,
    token: &str,
    verify: impl Fn(&str, &str, &str) -> Option<i64>,
) -> anyhow::Result<Option<Subscriber>> {
    let Some(id) = token_subscriber(token) else {
        return Ok(None);
    };
    let secret = &s.app.config.newsletter.secret;
    Ok(s.app
        .store
        .subscriber_for_link(id)
        .await?
        .filter(|(_, signed)| verify(secret, token, signed) == Some(id))
        .map(|(sub, _)| sub))
}

async fn unsubscriber(s: &State, token: &str) -> anyhow::Result<Option<Subscriber>> {
    token_holder(s, token, verify_unsubscribe_token).await
}

fn bad_link(s: &State) -> Response {
    s.frame.message(
        StatusCode::BAD_REQUEST,
        "This link is not valid",
        &["The link may have been cut short or changed. Use the link in the newest email you received, or reply to that email and we will take care of it."],
    )
}

fn internal(s: &State, e: anyhow::Error) -> Response {
    tracing::error!("request failed: {e:#}");
    s.frame.message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        &["Nothing was changed. Please try again in a few minutes."],
    )
}

/// The forms' defence against cross-site posts: a browser says where a form
/// came from in `Origin` (older ones only in `Sec-Fetch-Site`), and a form
/// from anywhere but `newsletter.base_url` is refused. A request that says
/// nothing is let through: mail providers' RFC 8058 one-click posts, other
/// non-browser clients and old browsers send neither header, and every one
/// of these forms acts only on a signed token or sends a confirmation first.
fn cross_site(s: &State, headers: &HeaderMap) -> Option<Response> {
    let ours = url::Url::parse(&s.app.config.newsletter.base_url)
        .ok()?
        .origin();
    let foreign = match headers.get(header::ORIGIN) {
        // "null" (a sandboxed or privacy-stripped origin) parses to nothing
        // and is refused with the rest.
        Some(origin) => {
            origin
                .to_str()
                .ok()
                .and_then(|o| url::Url::parse(o).ok())
                .map(|o| o.origin())
                != Some(ours)
        }
        None => headers
            .get("sec-fetch-site")
            .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site")),
    };
    foreign.then(|| {
        s.frame.message(
            StatusCode::FORBIDDEN,
            "This form was sent from another site",
            &["Nothing was changed. Open the page on this newsletter's own site and send the form from there."],
        )
    })
}

/// A form post `cross_site` lets through. Taken by every POST handler
/// before anything else it extracts, so a refused post reads no body and
/// spends no sign-up allowance.
struct SameSite;

impl FromRequestParts<State> for SameSite {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &State) -> Result<Self, Response> {
        cross_site(s, &parts.headers).map_or(Ok(SameSite), Err)
    }
}

/// A GET only asks: mail scanners and link previews follow GETs, and must
/// not unsubscribe anyone.
async fn unsubscribe_page(Extract(s): Extract<State>, Path(token): Path<String>) -> Response {
    let sub = match unsubscriber(&s, &token).await {
        Ok(Some(sub)) => sub,
        Ok(None) => return bad_link(&s),
        Err(e) => return internal(&s, e),
    };
    if sub.status != "active" {
        return s.frame.message(
            StatusCode::OK,
            "You are unsubscribed",
            &[&format!("{} receives no more editions.", sub.email)],
        );
    }
    let question = format!("Stop sending {} to {}?", s.frame.newsletter, sub.email);
    s.frame.action(
        "Unsubscribe",
        &[&question],
        &format!("/u/{token}"),
        &[("List-Unsubscribe", "One-Click")],
        "Unsubscribe",
    )
}

/// RFC 8058 one-click: mail clients POST `List-Unsubscribe=One-Click`,
/// form-encoded or as multipart, with no cookie, and expect a plain 200.
/// The body is not needed to act (the token says who), so any body is
/// accepted; the confirmation page's button posts the same thing.
async fn unsubscribe(
    _: SameSite,
    Extract(s): Extract<State>,
    Path(token): Path<String>,
) -> Response {
    let sub = match unsubscriber(&s, &token).await {
        Ok(Some(sub)) => sub,
        Ok(None) => return bad_link(&s),
        Err(e) => return internal(&s, e),
    };
    match s.app.store.unsubscribe(&sub.email, now_ts()).await {
        Ok(changed) => {
            if changed {
                tracing::info!(subscriber = sub.id, "unsubscribed");
                metrics::counter!("roundup_unsubscribes_total").increment(1);
            }
            s.frame.message(
                StatusCode::OK,
                "You are unsubscribed",
                &[&format!(
                    "{} receives no more editions of {}.",
                    sub.email, s.frame.newsletter
                )],
            )
        }
        Err(e) => internal(&s, e),
    }
}

// ------------------------------------------------------------ subscribe

async fn subscribe_form(Extract(s): Extract<State>) -> Response {
    s.frame.subscribe_form()
}

#[derive(Debug, Deserialize)]
struct SignUp {
    email: String,
    #[serde(default)]
    name: Option<String>,
}

/// Answers the same whether the address is new, pending or already
/// subscribed, and sends the confirmation off the request path, so neither
/// the page nor its timing tells a stranger who is on the list.
async fn subscribe(
    _: SameSite,
    Extract(s): Extract<State>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<SignUp>,
) -> Response {
    let ip = s.client_ip(&headers, peer);
    if !s.limiter.allow(ip) {
        return s.frame.message(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many sign-ups",
            &["Please wait an hour and try again."],
        );
    }
    let email = match EmailAddress::parse(&form.email) {
        Ok(e) => e,
        Err(e) => {
            return s.frame.message(
                StatusCode::BAD_REQUEST,
                "That address does not look right",
                &[&e.to_string()],
            );
        }
    };
    let name = SubscriberName::parse_opt(form.name.as_deref());
    let state = s.clone();
    tokio::spawn(async move {
        if let Err(e) = send_confirmation(&state, &email, name.as_ref()).await {
            tracing::warn!("confirmation email not sent: {e:#}");
        }
    });
    s.frame.message(
        StatusCode::ACCEPTED,
        "Check your inbox",
        &["If the address can receive the newsletter, a message with a confirmation link is on its way. Nothing more arrives until you follow that link."],
    )
}

async fn send_confirmation(
    s: &State,
    email: &EmailAddress,
    name: Option<&SubscriberName>,
) -> anyhow::Result<()> {
    let app = &s.app;
    let now = now_ts();
    // The link goes to the address as stored and is signed for it: the
    // form may have spelled a known mailbox another way.
    let (id, stored) = match app.store.add_pending(email, name, now).await? {
        PendingOutcome::AwaitsConfirmation { id, email } => (id, email),
        PendingOutcome::AlreadyActive => return Ok(()),
        PendingOutcome::RecentlyAsked => {
            tracing::info!(
                "sign-up for an address asked to confirm within the hour; not sending again"
            );
            return Ok(());
        }
    };
    let to = Recipient {
        id,
        email: stored,
        name: name.cloned(),
    };
    let message = app.renderer.confirmation(&to, now)?;
    app.mailer("confirmations")?.send(&message).await?;
    tracing::info!(subscriber = id, "confirmation email sent");
    Ok(())
}

async fn pending_for(s: &State, token: &str) -> anyhow::Result<Option<Subscriber>> {
    token_holder(s, token, |secret, token, email| {
        verify_confirm_token(secret, token, email, now_ts(), CONFIRM_TTL_SECS)
    })
    .await
}

fn expired(s: &State) -> Response {
    s.frame.message(
        StatusCode::BAD_REQUEST,
        "This link is not valid",
        &["Confirmation links work for a week, and only as sent. Sign up again to get a fresh one."],
    )
}

async fn confirm_page(Extract(s): Extract<State>, Path(token): Path<String>) -> Response {
    let sub = match pending_for(&s, &token).await {
        Ok(Some(sub)) => sub,
        Ok(None) => return expired(&s),
        Err(e) => return internal(&s, e),
    };
    if sub.status == "active" {
        return subscribed(&s, &sub.email);
    }
    let question = format!("Send {} to {}?", s.frame.newsletter, sub.email);
    s.frame.action(
        "Confirm your subscription",
        &[&question],
        &format!("/confirm/{token}"),
        &[],
        "Yes, subscribe me",
    )
}

async fn confirm(_: SameSite, Extract(s): Extract<State>, Path(token): Path<String>) -> Response {
    let sub = match pending_for(&s, &token).await {
        Ok(Some(sub)) => sub,
        Ok(None) => return expired(&s),
        Err(e) => return internal(&s, e),
    };
    match s
        .app
        .store
        .confirm_subscriber(
            sub.id,
            &sub.email,
            confirm_issued(&token).unwrap_or(0),
            now_ts(),
        )
        .await
    {
        Ok(true) => {
            if sub.status != "active" {
                tracing::info!(subscriber = sub.id, "subscription confirmed");
            }
            subscribed(&s, &sub.email)
        }
        // Unsubscribed since the link was sent: a link from before their
        // "no" does not bring them back.
        Ok(false) => expired(&s),
        Err(e) => internal(&s, e),
    }
}

fn subscribed(s: &State, email: &EmailAddress) -> Response {
    s.frame.message(
        StatusCode::OK,
        "You are subscribed",
        &[&format!(
            "{} goes to {email} from the next edition on. Every email has a one-click unsubscribe link at the bottom.",
            s.frame.newsletter
        )],
    )
}

// ------------------------------------------------------------ archive

/// Serves what `write_archive` wrote: the archive folder is the one copy,
/// whether a web server or this process serves it.
async fn archive_file(s: &State, name: &str) -> Response {
    if !s.app.config.archive.enabled {
        return (StatusCode::NOT_FOUND, "the archive is off\n").into_response();
    }
    let content_type = if name.ends_with(".xml") {
        "application/atom+xml; charset=utf-8"
    } else {
        "text/html; charset=utf-8"
    };
    let path = std::path::Path::new(&s.app.config.archive.dir).join(name);
    match tokio::fs::read(&path).await {
        Ok(body) => (
            [
                ("content-type", content_type),
                ("cache-control", "public, max-age=300"),
            ],
            body,
        )
            .into_response(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (StatusCode::NOT_FOUND, "no such edition\n").into_response()
        }
        Err(e) => internal(s, e.into()),
    }
}

async fn archive_index(Extract(s): Extract<State>) -> Response {
    archive_file(&s, "index.html").await
}

async fn archive_page(Extract(s): Extract<State>, Path(page): Path<String>) -> Response {
    let name = match page.as_str() {
        "feed.atom" | "feed.xml" => "feed.xml".to_string(),
        "index.html" => "index.html".to_string(),
        // `2026-W47` or `2026-W47.html`; page_name keeps it inside the folder.
        p => crate::archive::page_name(p.trim_end_matches(".html")),
    };
    archive_file(&s, &name).await
}
