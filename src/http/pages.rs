//! The few pages a subscriber sees on the web: confirm an unsubscribe or a
//! subscription, the sign-up form, and one-paragraph answers.

use crate::render::{DARK, LIGHT, Palette};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// What every page shows around its body.
#[derive(Debug, Clone)]
pub struct Frame {
    pub newsletter: String,
    pub postal_address: String,
}

#[derive(Template)]
#[template(path = "web/message.html")]
struct Message<'a> {
    title: &'a str,
    newsletter: &'a str,
    postal_address: &'a str,
    light: Palette,
    dark: Palette,
    paragraphs: &'a [&'a str],
}

#[derive(Template)]
#[template(path = "web/action.html")]
struct Action<'a> {
    title: &'a str,
    newsletter: &'a str,
    postal_address: &'a str,
    light: Palette,
    dark: Palette,
    paragraphs: &'a [&'a str],
    action: &'a str,
    hidden: &'a [(&'a str, &'a str)],
    button: &'a str,
}

#[derive(Template)]
#[template(path = "web/subscribe.html")]
struct Subscribe<'a> {
    title: &'a str,
    newsletter: &'a str,
    postal_address: &'a str,
    light: Palette,
    dark: Palette,
}

fn html(status: StatusCode, page: Result<String, askama::Error>) -> Response {
    match page {
        Ok(body) => (
            status,
            [
                ("cache-control", "no-store"),
                ("referrer-policy", "no-referrer"),
            ],
            Html(body),
        )
            .into_response(),
        Err(e) => {
            tracing::error!("page template failed: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

impl Frame {
    /// A page with a title and a few paragraphs.
    pub fn message(&self, status: StatusCode, title: &str, paragraphs: &[&str]) -> Response {
        html(
            status,
            Message {
                title,
                newsletter: &self.newsletter,
                postal_address: &self.postal_address,
                light: LIGHT,
                dark: DARK,
                paragraphs,
            }
            .render(),
        )
    }

    /// A page whose one button POSTs a form to `action`.
    pub fn action(
        &self,
        title: &str,
        paragraphs: &[&str],
        action: &str,
        hidden: &[(&str, &str)],
        button: &str,
    ) -> Response {
        html(
            StatusCode::OK,
            Action {
                title,
                newsletter: &self.newsletter,
                postal_address: &self.postal_address,
                light: LIGHT,
                dark: DARK,
                paragraphs,
                action,
                hidden,
                button,
            }
            .render(),
        )
    }

    pub fn subscribe_form(&self) -> Response {
        html(
            StatusCode::OK,
            Subscribe {
                title: "Subscribe",
                newsletter: &self.newsletter,
                postal_address: &self.postal_address,
                light: LIGHT,
                dark: DARK,
            }
            .render(),
        )
    }
}
