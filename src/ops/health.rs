//! The optional HTTP listener (`HEALTH_ADDR`): `GET /healthz` and `GET /metrics`.
//!
//! Two read-only routes for probes and Prometheus do not need an HTTP framework: this reads the
//! request line, answers, and closes the connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::metrics::Metrics;
use crate::store::{Store, WRITE_PROBE_TIMEOUT};

/// An error with its causes, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What the listener needs.
#[derive(Clone)]
pub struct Health {
    pub metrics: Arc<Metrics>,
    pub store: Store,
    pub clock: crate::clock::Clock,
    /// The bot's runtime, where the database write probe runs (the listener has its own).
    pub runtime: tokio::runtime::Handle,
}

/// How long a client may take to send its request line.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);
const MAX_REQUEST: usize = 8 * 1024;
/// Connections answered at once; more wait in the kernel's backlog (probes and scrapers are few).
pub const MAX_CONNECTIONS: usize = 32;
/// After a failed `accept` (out of file descriptors, say): wait this long, doubling up to
/// [`ACCEPT_BACKOFF_MAX`], instead of retrying in a loop that pins a core.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// `GET /healthz`: 200 when the gateway is connected and the database can take a write (a real
/// write, bounded in time: a full disk or a write lock held for long makes it fail), 503
/// otherwise. After a fatal gateway close the write is not tried: the process is exiting.
pub async fn healthz(health: &Health) -> (u16, String) {
    let fatal = crate::telemetry::fatal_gateway_close();
    let gateway = health.metrics.gateway_connected() && fatal.is_none();
    let database = if fatal.is_some() {
        // The process is about to exit and the answer is 503 whatever the database says; the
        // write would run on the bot's runtime, which serenity's spinning shard runner starves,
        // and only time out.
        "not checked: exiting".to_string()
    } else {
        // On the bot's runtime, where the pool and its connections live: a runtime that cannot
        // run a task in time is as unhealthy as a database that cannot write.
        let (store, now) = (health.store.clone(), health.clock.now());
        let mut probe = health
            .runtime
            .spawn(async move { store.write_probe(now).await });
        match tokio::time::timeout(WRITE_PROBE_TIMEOUT * 2, &mut probe).await {
            Ok(Ok(Ok(()))) => "ok".to_string(),
            Ok(Ok(Err(e))) => format!("error: cannot write: {}", error_chain(&e)),
            Ok(Err(e)) => format!("error: cannot write: the probe failed: {e}"),
            Err(_) => {
                probe.abort();
                "error: cannot write: timed out".to_string()
            }
        }
    };
    let ok = gateway && database == "ok";
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" },
        "gateway": match fatal {
            Some(code) => format!("closed by Discord ({code}); exiting"),
            None if gateway => "connected".to_string(),
            None => "disconnected".to_string(),
        },
        "database": database,
        "shards": health.metrics.shards(),
    });
    (if ok { 200 } else { 503 }, body.to_string())
}

async fn answer(mut stream: TcpStream, health: Health) {
    let mut request = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(READ_TIMEOUT, async {
        while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < MAX_REQUEST {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    if read.is_err() {
        return;
    }
    let line = String::from_utf8_lossy(&request);
    let mut parts = line.lines().next().unwrap_or_default().split(' ');
    let (method, path) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let path = path.split('?').next().unwrap_or_default();
    let (status, content_type, body) = match (method, path) {
        ("GET", "/healthz") => {
            let (status, body) = healthz(&health).await;
            (status, "application/json", body)
        }
        // The body is OpenMetrics (it ends with `# EOF`), and says so: Prometheus then parses it
        // as such instead of guessing from the older text format's name.
        ("GET", "/metrics") => (
            200,
            crate::ops::metrics::CONTENT_TYPE,
            health.metrics.render(),
        ),
        ("GET", _) => (
            404,
            "text/plain",
            "not found: try /healthz or /metrics\n".to_string(),
        ),
        _ => (405, "text/plain", "method not allowed\n".to_string()),
    };
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Binds the listener (an error here stops start-up with a clear message).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Serves on a thread of its own, with a one-thread runtime, until `stop` turns true. A probe
/// must hear a 503 from a bot whose runtime is wedged, not silence: serenity 0.12's shard runner
/// spins without ever yielding after a fatal gateway close, and the worker it pins may be the
/// one that last drove the runtime's I/O, leaving the bot's listener unpolled.
pub fn serve_on_own_thread(
    listener: TcpListener,
    health: Health,
    stop: watch::Receiver<bool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    let listener = listener.into_std()?;
    std::thread::Builder::new()
        .name("trilha-health".into())
        .spawn(move || {
            // Built here, not by the caller: a runtime must not be dropped on an async worker,
            // which is what a failed spawn would do with one moved into this closure.
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    tracing::error!(%error, "health endpoint could not start");
                    return;
                }
            };
            runtime.block_on(async move {
                match TcpListener::from_std(listener) {
                    Ok(listener) => serve(listener, health, stop).await,
                    Err(error) => tracing::error!(%error, "health endpoint could not start"),
                }
            });
        })
}

/// Serves until `stop` turns true.
pub async fn serve(listener: TcpListener, health: Health, mut stop: watch::Receiver<bool>) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "background task started: health endpoint (/healthz, /metrics)");
    }
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut backoff = ACCEPT_BACKOFF_MIN;
    let mut failures = 0u64;
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("never closed"),
            _ = stop.changed() => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => break,
        };
        match accepted {
            Ok((stream, _)) => {
                if failures > 0 {
                    tracing::info!(failures, "health endpoint accepts connections again");
                }
                failures = 0;
                backoff = ACCEPT_BACKOFF_MIN;
                let health = health.clone();
                tokio::spawn(async move {
                    answer(stream, health).await;
                    drop(permit);
                });
            }
            Err(error) => {
                if failures == 0 {
                    tracing::warn!(%error, "health endpoint cannot accept connections; backing off");
                }
                failures += 1;
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.changed() => break,
                }
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
    }
}

/// `trilha health`: asks a running trilha's `/healthz` (for Docker's HEALTHCHECK, which has no
/// curl in a slim image). Returns the status code and body.
pub async fn probe(addr: SocketAddr) -> std::io::Result<(u16, String)> {
    // A server bound to 0.0.0.0 is reached on the loopback.
    let target = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let mut stream =
        tokio::time::timeout(Duration::from_secs(3), TcpStream::connect(target)).await??;
    stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response)).await??;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}
