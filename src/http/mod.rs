//! The HTTP side of `roundup serve`: health and metrics, the subscriber
//! pages (unsubscribe, sign-up with double opt-in, the archive) and the
//! editors' admin API under /api/.

mod admin;
mod conn;
mod health;
mod limit;
mod pages;
mod public;

use crate::pipeline::App;
use crate::service::Dispatch;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::HeaderMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub use limit::PerIp;
pub use pages::Frame;

/// What every handler shares.
pub struct Shared {
    pub app: Arc<App>,
    /// Wakes the delivery loop after a publish or an editor's send.
    pub dispatch: Arc<Dispatch>,
    pub frame: Frame,
    pub limiter: PerIp,
    pub readiness: health::Readiness,
}

pub type State = Arc<Shared>;

impl Shared {
    pub fn new(app: Arc<App>, dispatch: Arc<Dispatch>) -> Self {
        let c = &app.config;
        Self {
            frame: Frame {
                newsletter: c.newsletter.name.clone(),
                postal_address: c.newsletter.postal_address.clone(),
            },
            limiter: PerIp::new(c.service.subscribe_per_hour),
            readiness: health::Readiness::default(),
            app,
            dispatch,
        }
    }

    /// The client's address: the peer, or the last entry of the configured
    /// proxy header (the one our own proxy appended; earlier ones are the
    /// client's to forge).
    fn client_ip(&self, headers: &HeaderMap, peer: SocketAddr) -> IpAddr {
        let name = &self.app.config.service.client_ip_header;
        if name.is_empty() {
            return peer.ip();
        }
        headers
            .get(name.as_str())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(peer.ip())
    }
}

/// Every route. CSV imports may be large; everything else is small.
pub fn router(state: State) -> Router {
    Router::new()
        .merge(health::routes())
        .merge(public::routes())
        .nest("/api", admin::routes(state.clone()))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

/// Serves until `stop` is cancelled, then lets requests in progress finish.
/// Every client is bounded by `[service]`'s timeouts and connection cap.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: State,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let limits = conn::Limits::new(&state.app.config.service);
    conn::serve(listener, router(state), limits, stop).await
}
