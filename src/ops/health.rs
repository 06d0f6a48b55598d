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
use crate::store::Store;

/// What the listener needs.
#[derive(Clone)]
pub struct Health {
    pub metrics: Arc<Metrics>,
    pub store: Store,
}

const READ_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_REQUEST: usize = 8 * 1024;

/// `GET /healthz`: 200 when the gateway is connected and the database answers, 503 otherwise.
pub async fn healthz(health: &Health) -> (u16, String) {
    let gateway = health.metrics.gateway_connected();
    let database = match tokio::time::timeout(Duration::from_secs(2), health.store.ping()).await {
        Ok(Ok(())) => "ok".to_string(),
        Ok(Err(e)) => format!("error: {e}"),
        Err(_) => "error: timed out".to_string(),
    };
    let ok = gateway && database == "ok";
    let body = serde_json::json!({
        "status": if ok { "ok" } else { "unavailable" },
        "gateway": if gateway { "connected" } else { "disconnected" },
        "database": database,
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
        ("GET", "/metrics") => (
            200,
            "text/plain; version=0.0.4; charset=utf-8",
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

/// Serves until `stop` turns true.
pub async fn serve(listener: TcpListener, health: Health, mut stop: watch::Receiver<bool>) {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "background task started: health endpoint (/healthz, /metrics)");
    }
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(answer(stream, health.clone()));
                }
            }
            _ = stop.changed() => break,
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
