//! The health listener on its own: what it answers, and that it serves a bounded number of
//! connections at once (a crowd of idle clients cannot make it take more).

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use trilha::clock::Clock;
use trilha::ops::health::{Health, MAX_CONNECTIONS, READ_TIMEOUT, serve};
use trilha::ops::metrics::Metrics;
use trilha::store::Store;

use crate::support::Sandbox;

async fn listening(sandbox: &Sandbox) -> (std::net::SocketAddr, tokio::sync::watch::Sender<bool>) {
    let store = Store::open(&sandbox.database()).await.unwrap();
    let health = Health {
        metrics: Arc::new(Metrics::default()),
        store,
        clock: Clock::System,
        runtime: tokio::runtime::Handle::current(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(serve(listener, health, stopped));
    (addr, stop)
}

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

/// With every connection slot held by a client that never sends its request, a probe waits for
/// a slot (the idle clients are dropped after `READ_TIMEOUT`) and is then answered: never more
/// than `MAX_CONNECTIONS` at once, never a probe lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_clients_hold_at_most_the_connection_cap_and_a_probe_is_answered_after_them() {
    let sandbox = Sandbox::new();
    let (addr, _stop) = listening(&sandbox).await;
    assert!(
        get(addr, "/metrics").await.starts_with("HTTP/1.1 200"),
        "answers when free"
    );
    let started = Instant::now();
    let mut idle = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    let answer = tokio::time::timeout(READ_TIMEOUT * 5, get(addr, "/metrics"))
        .await
        .expect("the probe is answered once the idle clients time out");
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Answered only after a slot freed: the idle clients' time to send a request ran out first.
    assert!(
        waited >= READ_TIMEOUT - Duration::from_millis(100),
        "answered after {waited:?}, before any of {MAX_CONNECTIONS} slots could free"
    );
    drop(idle);
}
