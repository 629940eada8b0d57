//! Accepting connections, and ending them: every connection is bounded in time and in number.
//!
//! - A connection that does not send a complete request head within `--idle-timeout-ms` is
//!   closed: the first request's head (a client that opens a socket and sends nothing, or
//!   sends it a byte at a time) and the next one's on a kept-alive connection alike (hyper's
//!   header-read timer, which this module gives a clock; `axum::serve` gives it none, so
//!   idle sockets stayed open for good).
//! - At most `--max-connections` are open at once, below the process's descriptor limit. At
//!   the cap, a new connection closes the connection idle the longest (one with no request
//!   in flight), as nginx reuses its idle keep-alive connections, so a flood of idle sockets
//!   cannot lock a working client out; if every connection is busy, the new one waits until
//!   one ends.
//! - At shutdown, idle connections close at once and busy ones after their response.
//!
//! WebSockets leave this count when they upgrade; `--max-sockets` bounds them.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

/// How connections are bounded.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Longest wait for a request's head, the first one or the next on a kept-alive connection.
    pub idle_timeout: Duration,
    /// Most connections open at once (WebSockets aside).
    pub max_connections: usize,
}

/// The open connections, oldest first.
struct Open {
    connections: Mutex<BTreeMap<u64, Arc<Connection>>>,
    next: AtomicU64,
    /// Told whenever a connection ends.
    ended: Notify,
    started: Instant,
}

/// One open connection: what it is doing, and how to ask it to close.
struct Connection {
    in_flight: AtomicUsize,
    /// When it last began or ended a request (ms since the server started).
    last_active: AtomicU64,
    close: Notify,
}

impl Open {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn len(&self) -> usize {
        self.connections.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    fn add(&self) -> (u64, Arc<Connection>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection {
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(self.now_ms()),
            close: Notify::new(),
        });
        self.connections.lock().unwrap_or_else(PoisonError::into_inner).insert(id, connection.clone());
        (id, connection)
    }

    fn remove(&self, id: u64) {
        self.connections.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        self.ended.notify_waiters();
    }

    /// Asks the connection idle the longest to close; false when every one is busy.
    fn close_idlest(&self) -> bool {
        let connections = self.connections.lock().unwrap_or_else(PoisonError::into_inner);
        let idle = connections.values().filter(|c| c.in_flight.load(Ordering::Acquire) == 0);
        match idle.min_by_key(|c| c.last_active.load(Ordering::Relaxed)) {
            Some(connection) => {
                connection.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// Waits until fewer than `max` connections are open, closing idle ones to make room.
    async fn make_room(&self, max: usize) {
        loop {
            let ended = self.ended.notified();
            if self.len() < max {
                return;
            }
            if !self.close_idlest() {
                tracing::warn!(max, "every connection is busy: a new one waits for one to end");
            }
            // A closed connection, or a busy one ending, makes room; the timeout keeps a
            // connection that missed its close (it was between requests) from stalling this.
            let _ = tokio::time::timeout(Duration::from_millis(100), ended).await;
        }
    }
}

/// Marks a connection busy while one of its requests is in flight.
struct InFlight(Arc<Connection>, Arc<Open>);

impl InFlight {
    fn new(connection: &Arc<Connection>, open: &Arc<Open>) -> Self {
        connection.in_flight.fetch_add(1, Ordering::AcqRel);
        connection.last_active.store(open.now_ms(), Ordering::Relaxed);
        Self(connection.clone(), open.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.last_active.store(self.1.now_ms(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open = Arc::new(Open {
        connections: Mutex::default(),
        next: AtomicU64::default(),
        ended: Notify::new(),
        started: Instant::now(),
    });
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(error) => {
                // Out of descriptors (or memory) for the moment: the connections that end free
                // them. Anything else is the one connection's problem.
                tracing::warn!(%error, "could not accept a connection");
                if !is_connection_error(&error) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        open.make_room(limits.max_connections).await;
        tokio::spawn(connection(stream, router.clone(), open.clone(), limits, stopping.clone()));
    }
    drop(listener);
    let _ = stop.send(true);
    while open.len() > 0 {
        let ended = open.ended.notified();
        if open.len() == 0 {
            break;
        }
        ended.await;
    }
    Ok(())
}

/// Serves one connection until it ends, is asked to close, or the server stops.
async fn connection(
    stream: tokio::net::TcpStream,
    router: Router,
    open: Arc<Open>,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
) {
    let (id, this) = open.add();
    let service = {
        let (this, open) = (this.clone(), open.clone());
        hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let busy = InFlight::new(&this, &open);
            let router = router.clone();
            async move {
                let response = router.oneshot(request.map(axum::body::Body::new)).await;
                drop(busy);
                Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
            }
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.idle_timeout);
    let served = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
    tokio::pin!(served);
    let mut closing = false;
    loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "a connection ended with an error");
                }
                break;
            }
            () = this.close.notified(), if !closing => {
                closing = true;
                served.as_mut().graceful_shutdown();
            }
            _ = stopping.wait_for(|stop| *stop), if !closing => {
                closing = true;
                served.as_mut().graceful_shutdown();
            }
        }
    }
    open.remove(id);
}

/// Errors of one connection that says nothing about the listener.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(error.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

/// The most connections this process can hold open beside `sockets` WebSockets, its database
/// files and its logs: its descriptor limit less those, at most `wanted` (0: as many as fit).
pub fn connection_cap(wanted: usize, sockets: usize) -> usize {
    const RESERVED: u64 = 64; // database files, readers, logs, the listener
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(u64::MAX);
    let fits = limit.saturating_sub(RESERVED).saturating_sub(sockets as u64).max(16);
    let fits = usize::try_from(fits).unwrap_or(usize::MAX);
    if wanted == 0 { fits.min(10_000) } else { wanted.min(fits) }
}
