//! The gateway: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats, RESUME with replay,
//! RECONNECT and INVALID_SESSION on request, and dispatches with sequence numbers. Frames are
//! text JSON, or (when compression is on) binary frames that each hold one complete zlib
//! stream, as Discord sends with `compress: true`.

use std::io::Write as _;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::Shared;
use crate::payloads;

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
        if world.gateway.active == Some(conn) {
            world.gateway.active = None;
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
            world.gateway.identifies += 1;
            let _ = tx.send(Outgoing::ClientCompress(
                payload["d"]["compress"].as_bool().unwrap_or(false),
            ));
            world.gateway.intents = payload["d"]["intents"].as_u64();
            let session = format!("local-session-{}", world.snowflake());
            world.gateway.session_id = Some(session.clone());
            world.gateway.seq = 0;
            world.gateway.buffer.clear();
            world.gateway.active = Some(conn);
            let guild_ids: Vec<u64> = world.guilds.iter().map(|g| g.id).collect();
            let ready = payloads::ready(
                &world.bot,
                &guild_ids,
                &session,
                &world.gateway_url,
                world.application_id,
            );
            let mut frames = vec![("READY", ready)];
            for g in world.guilds.clone() {
                frames.push(("GUILD_CREATE", guild_create(&world, &g)));
            }
            for (name, data) in frames {
                let frame = next_frame(&mut world, name, data);
                let _ = tx.send(Outgoing::Frame(frame));
            }
        }
        6 => {
            let session = payload["d"]["session_id"].as_str().unwrap_or_default();
            let seq = payload["d"]["seq"].as_u64().unwrap_or(0);
            if world.gateway.session_id.as_deref() == Some(session) {
                world.gateway.resumes += 1;
                world.gateway.active = Some(conn);
                // Replay what the client missed, then RESUMED.
                for (s, frame) in world.gateway.buffer.clone() {
                    if s > seq {
                        let _ = tx.send(Outgoing::Frame(frame));
                    }
                }
                let frame = next_frame(
                    &mut world,
                    "RESUMED",
                    json!({"_trace": ["[\"local-discord\"]"]}),
                );
                let _ = tx.send(Outgoing::Frame(frame));
            } else {
                let _ = tx.send(Outgoing::Frame(
                    json!({"op": 9, "s": null, "t": null, "d": false}),
                ));
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
        .map(|m| payloads::member(m, None))
        .collect();
    payloads::guild_create(
        g.id,
        &g.name,
        g.owner_id,
        &g.locale,
        &roles,
        &channels,
        &members,
        world.application_id,
        g.joined_ms,
    )
}

/// Wraps a dispatch with the next sequence number and keeps it for replay.
pub(crate) fn next_frame(world: &mut crate::world::World, name: &str, data: Value) -> Value {
    world.gateway.seq += 1;
    let seq = world.gateway.seq;
    let frame = json!({"op": 0, "s": seq, "t": name, "d": data});
    world.gateway.buffer.push((seq, frame.clone()));
    if world.gateway.buffer.len() > REPLAY_BUFFER {
        world.gateway.buffer.remove(0);
    }
    frame
}
