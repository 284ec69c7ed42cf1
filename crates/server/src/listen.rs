//! The connection loop: accepts TCP connections and serves the router on
//! each (HTTP/1.1, hyper), within limits no client can outwait.
//!
//! A connection must send a request's head within [`Limits::header_read`]:
//! its first request, and each later one on a kept-alive connection, so a
//! silent socket, a slowloris trickling header lines and an idle keep-alive
//! connection are all closed after it (a response being streamed, such as
//! `/api/events`, is not waiting for a head and is not cut). Bodies are read
//! within [`Limits::body_read`] by the routes that read them. At most
//! [`Limits::max_connections`] are served at once; one more is answered 503
//! and closed, rather than left waiting unanswered.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's head (and the most a kept-alive connection may sit idle).
    pub header_read: Duration,
    /// Time to send a request's whole body (`POST /api/ingest`); 408 after it.
    pub body_read: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { header_read: Duration::from_secs(10), body_read: Duration::from_secs(60), max_connections: 512 }
    }
}

/// How long a stopping server lets open connections finish (an SSE stream never does).
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `router` on `listener` until `shutdown` completes, within `limits`.
pub async fn serve_listener(listener: TcpListener, router: Router, limits: Limits, shutdown: impl Future<Output = ()>) {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read).keep_alive(true);
    let service = TowerToHyperService::new(router);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or a connection reset before it was taken: go on shortly.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream, limits.max_connections));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service.clone()));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection: {e}");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN) => {}
    }
}

/// Tells a client over the connection limit so, and closes.
async fn refuse(mut stream: tokio::net::TcpStream, max: usize) {
    let body = format!("{{\"error\":\"the server is at its limit of {max} connections; try again shortly\"}}");
    let answer = format!("HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}", body.len());
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}
