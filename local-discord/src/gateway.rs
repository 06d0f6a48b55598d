//! The gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME with replay,
//! RECONNECT and INVALID_SESSION on request, and dispatches with sequence numbers. Frames are
//! text JSON, or (when compression is on) binary frames that each hold one complete zlib
//! stream, as Discord sends with `compress: true`.

use std::collections::VecDeque;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::Shared;
use crate::payloads;
use crate::world::ShardSession;

/// What a connection task is told to do.
#[derive(Debug)]
pub(crate) enum Outgoing {
    Frame(Value),
    Close(u16, String),
    /// The client identified with `compress: true`: large payloads go out zlib-compressed.
    ClientCompress(bool),
}

/// Payloads above this size are compressed for a client that asked for compression.
const COMPRESS_ABOVE: usize = 1024;

/// Dispatches kept for RESUME replay.
const REPLAY_BUFFER: usize = 1000;

pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut next_conn = 0u64;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // Events go out as soon as they are written, as Discord's do (no Nagle delay).
        let _ = stream.set_nodelay(true);
        next_conn += 1;
        let shared = shared.clone();
        tokio::spawn(connection(stream, next_conn, shared));
    }
}

fn encode(frame: &Value, compress_all: bool, client_compress: bool) -> Message {
    let text = frame.to_string();
    if compress_all || (client_compress && text.len() > COMPRESS_ABOVE) {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = encoder.write_all(text.as_bytes());
        Message::Binary(encoder.finish().unwrap_or_default())
    } else {
        Message::Text(text)
    }
}

async fn connection(stream: TcpStream, conn: u64, shared: Arc<Shared>) {
    // An outage as clients meet it: the connection is reset before any WebSocket handshake.
    if shared.world.lock().expect("world lock").gateway_down {
        drop(stream);
        return;
    }
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut incoming) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
    let (interval, compress) = {
        let mut world = shared.world.lock().expect("world lock");
        world.gateway.connections_opened += 1;
        (world.heartbeat_interval_ms, world.compress)
    };
    shared
        .connections
        .lock()
        .expect("connections lock")
        .insert(conn, tx.clone());
    shared.changed.notify_waiters();
    let mut client_compress = false;
    let _ = sink.send(encode(&json!({"op": 10, "s": null, "t": null, "d": {"heartbeat_interval": interval, "_trace": ["[\"local-discord\"]"]}}), compress, false)).await;

    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Outgoing::Frame(frame)) => {
                    if sink.send(encode(&frame, compress, client_compress)).await.is_err() { break; }
                }
                Some(Outgoing::ClientCompress(on)) => client_compress = on,
                Some(Outgoing::Close(code, reason)) => {
                    let _ = sink.send(Message::Close(Some(CloseFrame { code: CloseCode::from(code), reason: reason.into() }))).await;
                    break;
                }
                None => break,
            },
            frame = incoming.next() => match frame {
                Some(Ok(Message::Text(text))) => {
                    let Ok(payload) = serde_json::from_str::<Value>(&text) else { continue };
                    handle(&shared, conn, &tx, payload);
                }
                Some(Ok(Message::Binary(bytes))) => {
                    let Ok(payload) = serde_json::from_slice::<Value>(&bytes) else { continue };
                    handle(&shared, conn, &tx, payload);
                }
                Some(Ok(Message::Ping(p))) => { let _ = sink.send(Message::Pong(p)).await; }
                // Complete the closing handshake as Discord does: tungstenite queued the echo
                // of the client's close frame, `close` flushes it.
                Some(Ok(Message::Close(_))) => {
                    let _ = sink.close().await;
                    break;
                }
                None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    shared
        .connections
        .lock()
        .expect("connections lock")
        .remove(&conn);
    {
        let mut world = shared.world.lock().expect("world lock");
        for session in world.gateway.sessions.values_mut() {
            if session.conn == Some(conn) {
                session.conn = None;
            }
        }
    }
    shared.changed.notify_waiters();
}

fn handle(shared: &Arc<Shared>, conn: u64, tx: &mpsc::UnboundedSender<Outgoing>, payload: Value) {
    let op = payload["op"].as_u64().unwrap_or(u64::MAX);
    let mut world = shared.world.lock().expect("world lock");
    match op {
        1 => {
            world.gateway.heartbeats += 1;
            let _ = tx.send(Outgoing::Frame(
                json!({"op": 11, "s": null, "t": null, "d": null}),
            ));
        }
        2 => {
            let token = payload["d"]["token"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            world.gateway.last_identify_token = Some(token.clone());
            let expected = world.token.clone();
            if token != expected && token != format!("Bot {expected}") {
                let _ = tx.send(Outgoing::Close(4004, "Authentication failed.".into()));
                return;
            }
            // GUILD_MEMBERS (1 << 1) is privileged: refused unless enabled for the application.
            let intents = payload["d"]["intents"].as_u64().unwrap_or(0);
            if intents & (1 << 1) != 0 && !world.members_intent_enabled {
                let _ = tx.send(Outgoing::Close(4014, "Disallowed intent(s).".into()));
                return;
            }
            // The shard: [id, total], id below total; a shard holding more servers than allowed
            // must be split (4011).
            let shard = payload["d"]["shard"].as_array();
            let (shard_id, shards) = match shard.map(|s| {
                (
                    s.first().and_then(Value::as_u64),
                    s.get(1).and_then(Value::as_u64),
                )
            }) {
                None => (0, 1),
                Some((Some(id), Some(total))) => (id, total),
                Some(_) => (u64::MAX, 0),
            };
            if shards == 0 || shard_id >= shards || world.identify_close == Some(4010) {
                let _ = tx.send(Outgoing::Close(4010, "Invalid shard.".into()));
                return;
            }
            let held = world
                .guilds
                .iter()
                .filter(|g| (g.id >> 22) % shards == shard_id)
                .count();
            if held > world.max_guilds_per_shard || world.identify_close == Some(4011) {
                let _ = tx.send(Outgoing::Close(4011, "Sharding required.".into()));
                return;
            }
            // One IDENTIFY per rate-limit bucket (shard_id % max_concurrency) per 5 s, across
            // every connection of the bot: too fast is an INVALID_SESSION, as Discord answers.
            let max_concurrency = world.gateway.max_concurrency.max(1);
            let bucket = shard_id % max_concurrency;
            let interval = world
                .gateway
                .identify_interval
                .saturating_sub(world.gateway.identify_jitter);
            let since_last = world
                .gateway
                .identify_log
                .iter()
                .filter(|(s, _)| s % max_concurrency == bucket)
                .map(|(_, at)| at.elapsed())
                .min();
            if let Some(since) = since_last.filter(|since| *since < interval) {
                world.gateway.identify_refusals.push((shard_id, since));
                let _ = tx.send(Outgoing::Frame(
                    json!({"op": 9, "s": null, "t": null, "d": false}),
                ));
                return;
            }
            world.gateway.identify_log.push((shard_id, Instant::now()));
            world.gateway.identifies += 1;
            world.session_starts_remaining = world.session_starts_remaining.saturating_sub(1);
            let _ = tx.send(Outgoing::ClientCompress(
                payload["d"]["compress"].as_bool().unwrap_or(false),
            ));
            world.gateway.intents = payload["d"]["intents"].as_u64();
            let session_id = format!("local-session-{}", world.snowflake());
            let session = ShardSession {
                shard: shard_id,
                total: shards,
                session_id: session_id.clone(),
                seq: 0,
                buffer: VecDeque::new(),
                conn: Some(conn),
            };
            let guilds: Vec<&crate::world::GuildInfo> =
                world.guilds.iter().filter(|g| session.owns(g.id)).collect();
            let guild_ids: Vec<u64> = guilds.iter().map(|g| g.id).collect();
            let mut frames = vec![(
                "READY",
                payloads::ready(
                    &world.bot,
                    &guild_ids,
                    &session_id,
                    &world.gateway_url,
                    world.application_id,
                    [shard_id, shards],
                ),
            )];
            frames.extend(
                guilds
                    .iter()
                    .map(|g| ("GUILD_CREATE", guild_create(&world, g))),
            );
            // A bot restarted with another shard count leaves its old sessions behind: they
            // can no longer resume into this layout.
            world.gateway.sessions.retain(|_, s| s.total == shards);
            world.gateway.sessions.insert(shard_id, session);
            for (name, data) in frames {
                if let Some(frame) = next_frame(&mut world, shard_id, name, data) {
                    let _ = tx.send(Outgoing::Frame(frame));
                }
            }
        }
        6 => {
            let session_id = payload["d"]["session_id"].as_str().unwrap_or_default();
            let seq = payload["d"]["seq"].as_u64().unwrap_or(0);
            let shard = world
                .gateway
                .sessions
                .values()
                .find(|s| s.session_id == session_id)
                .map(|s| s.shard);
            match shard {
                Some(shard) => {
                    world.gateway.resumes += 1;
                    let session = world.gateway.sessions.get_mut(&shard).expect("found above");
                    session.conn = Some(conn);
                    // Replay what the client missed, then RESUMED.
                    for (s, frame) in &session.buffer {
                        if *s > seq {
                            let _ = tx.send(Outgoing::Frame(frame.clone()));
                        }
                    }
                    let resumed = json!({"_trace": ["[\"local-discord\"]"]});
                    if let Some(frame) = next_frame(&mut world, shard, "RESUMED", resumed) {
                        let _ = tx.send(Outgoing::Frame(frame));
                    }
                }
                None => {
                    let _ = tx.send(Outgoing::Frame(
                        json!({"op": 9, "s": null, "t": null, "d": false}),
                    ));
                }
            }
        }
        _ => {}
    }
    drop(world);
    shared.changed.notify_waiters();
}

pub(crate) fn guild_create(world: &crate::world::World, g: &crate::world::GuildInfo) -> Value {
    let roles: Vec<Value> = g.roles.iter().map(payloads::role).collect();
    let channels: Vec<Value> = g
        .channels
        .iter()
        .enumerate()
        .map(|(i, c)| payloads::channel(c, i))
        .collect();
    let members: Vec<Value> = g
        .members
        .iter()
        .filter(|m| !g.lean || m.user.id == world.bot.id)
        .map(|m| payloads::member(m, None))
        .collect();
    let mut guild = payloads::guild_create(
        g.id,
        &g.name,
        g.owner_id,
        &g.locale,
        &roles,
        &channels,
        &members,
        world.application_id,
        g.joined_ms,
    );
    guild["icon"] = json!(g.icon);
    guild
}

/// Wraps a dispatch with the shard's next sequence number and keeps it for replay; `None` if
/// the shard has no session.
pub(crate) fn next_frame(
    world: &mut crate::world::World,
    shard: u64,
    name: &str,
    data: Value,
) -> Option<Value> {
    let session = world.gateway.sessions.get_mut(&shard)?;
    session.seq += 1;
    let frame = json!({"op": 0, "s": session.seq, "t": name, "d": data});
    session.buffer.push_back((session.seq, frame.clone()));
    if session.buffer.len() > REPLAY_BUFFER {
        session.buffer.pop_front();
    }
    Some(frame)
}
