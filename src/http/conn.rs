//! The accept loop behind `serve`, written out because `axum::serve` puts no
//! bound on a client: one that sends its head a byte at a time, or keeps a
//! connection open and silent, holds a file descriptor for as long as it
//! likes, and enough of them starve the process of descriptors.
//!
//! Every connection has a deadline that depends on where it is: a head must
//! arrive within `header_timeout_secs`, a request (its body and handler)
//! gets `request_timeout_secs`, and a kept-alive connection with nothing to
//! say is closed after `idle_timeout_secs`. At most `max_connections` are
//! open; when a new one arrives while all are taken, the one that has waited
//! longest for a head (or idled longest) makes room for it. Refusing the new
//! one instead, or leaving it in the kernel's queue, would let a few hundred
//! silent clients keep `/healthz` and every reader out until their timeouts
//! ran out, and again each time they reconnect; evicting costs a legitimate
//! client at most a reconnect, since it has nothing in flight.

use crate::config::ServiceSettings;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The bounds every client gets, from `[service]`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header: Duration,
    pub request: Duration,
    pub idle: Duration,
    pub max_connections: usize,
}

impl Limits {
    pub fn new(s: &ServiceSettings) -> Self {
        Self {
            header: Duration::from_secs(s.header_timeout_secs),
            request: Duration::from_secs(s.request_timeout_secs),
            idle: Duration::from_secs(s.idle_timeout_secs),
            max_connections: s.max_connections,
        }
    }
}

/// Where a connection is, which decides its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request's head since then.
    Head(Instant),
    /// A request is with the handler; the request timeout bounds it.
    Busy,
    /// The last response was handed over then; nothing has come since.
    Idle(Instant),
}

/// What the accept loop, the connection's task, its service and its socket
/// share about one connection.
struct Tracked {
    phase: Mutex<Phase>,
    evicted: AtomicBool,
    evict: Notify,
}

impl Tracked {
    fn phase(&self) -> Phase {
        *self.phase.lock().expect("connection phase")
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().expect("connection phase") = phase;
    }

    /// Bytes after an idle pause start a head: from then on it gets the
    /// header timeout, not what was left of the idle one.
    fn bytes_read(&self) {
        let mut phase = self.phase.lock().expect("connection phase");
        if let Phase::Idle(_) = *phase {
            *phase = Phase::Head(Instant::now());
        }
    }

    fn deadline(&self, limits: &Limits) -> Option<Instant> {
        match self.phase() {
            Phase::Head(since) => Some(since + limits.header),
            Phase::Idle(since) => Some(since + limits.idle),
            Phase::Busy => None,
        }
    }

    /// When it last had something to do; `None` while it does.
    fn waiting_since(&self) -> Option<Instant> {
        match self.phase() {
            Phase::Head(since) | Phase::Idle(since) => Some(since),
            Phase::Busy => None,
        }
    }
}

/// The open connections, so that a full house can make room.
#[derive(Default)]
struct Registry {
    open: Mutex<HashMap<u64, Arc<Tracked>>>,
    next: AtomicU64,
}

enum Admission {
    /// In, with the key that takes it out again.
    Open(u64, Arc<Tracked>),
    /// Every connection has a request in flight.
    Full,
}

impl Registry {
    fn admit(&self, max: usize) -> Admission {
        let mut open = self.open.lock().expect("connection registry");
        // Connections told to go still hold their socket for a moment; they
        // do not count, or one burst would evict everybody.
        let staying = open
            .values()
            .filter(|t| !t.evicted.load(Ordering::Relaxed))
            .count();
        if staying >= max {
            let victim = open
                .values()
                .filter(|t| !t.evicted.load(Ordering::Relaxed))
                .filter_map(|t| t.waiting_since().map(|since| (since, t)))
                .min_by_key(|(since, _)| *since)
                .map(|(_, t)| t.clone());
            let Some(victim) = victim else {
                return Admission::Full;
            };
            victim.evicted.store(true, Ordering::Relaxed);
            victim.evict.notify_one();
            metrics::counter!(crate::telemetry::HTTP_CLOSED, "reason" => "evicted").increment(1);
        }
        let key = self.next.fetch_add(1, Ordering::Relaxed);
        let tracked = Arc::new(Tracked {
            phase: Mutex::new(Phase::Head(Instant::now())),
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        open.insert(key, tracked.clone());
        Admission::Open(key, tracked)
    }

    fn remove(&self, key: u64) {
        self.open.lock().expect("connection registry").remove(&key);
    }
}

/// Takes a connection out of the registry however its task ends.
struct Leave {
    registry: Arc<Registry>,
    key: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.registry.remove(self.key);
    }
}

/// The socket, telling its connection when bytes arrive.
struct Watched {
    io: TcpStream,
    tracked: Arc<Tracked>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.tracked.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Marks the connection idle when its request is done, whether the handler
/// answered, timed out or was dropped.
struct Served(Arc<Tracked>);

impl Drop for Served {
    fn drop(&mut self) {
        self.0.set(Phase::Idle(Instant::now()));
    }
}

/// Serves `router` until `stop` is cancelled, then stops accepting, lets
/// requests in flight finish, and returns once every connection is closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry::default());
    // Each connection's task holds a sender; when the last one is dropped
    // every connection has closed.
    let (open_tx, mut all_closed) = tokio::sync::mpsc::channel::<()>(1);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    accept_failed(e, &stop).await;
                    continue;
                }
            },
            _ = stop.cancelled() => break,
        };
        let (key, tracked) = match registry.admit(limits.max_connections) {
            Admission::Open(key, tracked) => (key, tracked),
            Admission::Full => {
                refuse(stream);
                continue;
            }
        };
        let leave = Leave {
            registry: registry.clone(),
            key,
        };
        let open = open_tx.clone();
        let router = router.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            connection(stream, peer, router, tracked, limits, stop).await;
            drop(leave);
            drop(open);
        });
    }
    drop(listener);
    drop(open_tx);
    let _ = all_closed.recv().await;
    Ok(())
}

/// Like hyper's and axum's own loops: a peer that gave up before we got to
/// it is nothing, anything else (out of descriptors) gets a pause before the
/// next try rather than a busy loop.
async fn accept_failed(e: std::io::Error, stop: &CancellationToken) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {e}");
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        _ = stop.cancelled() => {}
    }
}

/// A connection we have no room for is told so, if its socket takes the
/// words at once, and closed.
fn refuse(stream: TcpStream) {
    metrics::counter!(crate::telemetry::HTTP_CLOSED, "reason" => "refused").increment(1);
    let _ = stream.try_write(
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    );
}

enum End {
    Closed(Result<(), hyper::Error>),
    TimedOut,
    Evicted,
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    tracked: Arc<Tracked>,
    limits: Limits,
    stop: CancellationToken,
) {
    let inner = TowerToHyperService::new(router);
    let on_request = tracked.clone();
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        on_request.set(Phase::Busy);
        let served = Served(on_request.clone());
        // What `into_make_service_with_connect_info` would have added: the
        // sign-up limiter reads the peer from it.
        req.extensions_mut().insert(ConnectInfo(peer));
        let answer = hyper::service::Service::call(&inner, req);
        async move {
            let _served = served;
            match tokio::time::timeout(limits.request, answer).await {
                Ok(answer) => answer,
                Err(_) => Ok(too_slow()),
            }
        }
    });
    let io = TokioIo::new(Watched {
        io: stream,
        tracked: tracked.clone(),
    });
    let mut conn = pin!(
        hyper::server::conn::http1::Builder::new()
            // Our deadlines cover the head; hyper's own would also close a
            // kept-alive connection after the header timeout.
            .header_read_timeout(None)
            .serve_connection(io, service)
    );
    let mut stopping = pin!(stop.cancelled());
    let mut evicting = pin!(tracked.evict.notified());
    let mut sleep = pin!(tokio::time::sleep(limits.header));
    let (mut shutting_down, mut leaving) = (false, false);
    let end = std::future::poll_fn(|cx| {
        if !shutting_down && stopping.as_mut().poll(cx).is_ready() {
            shutting_down = true;
            conn.as_mut().graceful_shutdown();
        }
        if !leaving && evicting.as_mut().poll(cx).is_ready() {
            leaving = true;
            // Busy: the request finishes, then the connection closes.
            conn.as_mut().graceful_shutdown();
        }
        if let Poll::Ready(result) = conn.as_mut().poll(cx) {
            return Poll::Ready(End::Closed(result));
        }
        // Read after polling the connection: the request it just took in or
        // finished moves the deadline.
        let Some(deadline) = tracked.deadline(&limits) else {
            return Poll::Pending;
        };
        if leaving {
            return Poll::Ready(End::Evicted);
        }
        if sleep.deadline() != deadline {
            sleep.as_mut().reset(deadline);
        }
        if sleep.as_mut().poll(cx).is_ready() {
            return Poll::Ready(End::TimedOut);
        }
        Poll::Pending
    })
    .await;
    match end {
        End::Closed(Ok(())) => {}
        End::Closed(Err(e)) => tracing::debug!(%peer, "connection ended: {e}"),
        End::TimedOut => {
            metrics::counter!(crate::telemetry::HTTP_CLOSED, "reason" => "timed_out").increment(1);
            tracing::debug!(%peer, "connection closed: nothing arrived in time");
        }
        End::Evicted => tracing::debug!(%peer, "connection closed to make room"),
    }
}

/// The request outlived `request_timeout_secs`; its connection is not kept.
fn too_slow() -> Response<axum::body::Body> {
    let mut response = Response::new(axum::body::Body::from("request timed out\n"));
    *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    response
}
