//! The REST API: every route trilha uses, Discord's 404 for anything else, and a record of
//! every request. Bodies are checked against Discord's rules ([`crate::rules`]) and a violation
//! gets Discord's own answer, 400 with code 50035.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::Shared;
use crate::files::{self, Upload};
use crate::payloads;
use crate::rules;
use crate::world::{
    InteractionRecord, Recorded, RecordedViolation, StoredMessage, World, permissions,
};

/// How long an interaction may wait for its first response.
pub const INTERACTION_DEADLINE: std::time::Duration = std::time::Duration::from_secs(3);
/// How long Discord remembers a nonce for `enforce_nonce`.
pub const NONCE_WINDOW: std::time::Duration = std::time::Duration::from_secs(5 * 60);

pub(crate) fn router(shared: Arc<Shared>) -> axum::Router {
    // Bodies up to Discord's request limit reach the handler, which answers an oversized file
    // as Discord does (axum alone would cut bodies at 2 MB with a plain-text 413).
    axum::Router::new()
        .fallback(handle)
        .layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024))
        .with_state(shared)
}

fn reply(status: u16, body: Value) -> (u16, Option<Value>) {
    (status, Some(body))
}

fn not_found() -> (u16, Option<Value>) {
    reply(404, json!({"message": "404: Not Found", "code": 0}))
}

fn unknown(what: &str, code: u32) -> (u16, Option<Value>) {
    reply(
        404,
        json!({"message": format!("Unknown {what}"), "code": code}),
    )
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if crate::cdn::is_cdn(&path) && method == Method::GET {
        return crate::cdn::serve(&shared, &path, uri.query()).await;
    }
    let delay = shared.world.lock().expect("world lock").rest_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (body_json, uploads, malformed): (Option<Value>, Vec<Upload>, bool) =
        if content_type.starts_with("multipart/form-data") {
            match files::parse(&content_type, body.clone()).await {
                Ok((json, uploads)) => (json, uploads, false),
                Err(_) => (None, Vec::new(), true),
            }
        } else if body.is_empty() {
            (None, Vec::new(), false)
        } else {
            (serde_json::from_slice(&body).ok(), Vec::new(), false)
        };
    let (status, answer, hold, limit_headers) = {
        let mut world = shared.world.lock().expect("world lock");
        let verdict = world
            .rate_limits
            .as_mut()
            .map(|limits| limits.check(method.as_str(), &path));
        let (limit_headers, refused) = match verdict {
            Some(v) => (v.headers, v.refused),
            None => (Vec::new(), None),
        };
        let answer = if let Some(body) = refused {
            reply(429, body)
        } else if malformed {
            reply(
                400,
                json!({"message": "The multipart body is malformed.", "code": 50109}),
            )
        } else {
            respond(
                &mut world,
                &method,
                &path,
                uri.query(),
                &headers,
                body_json.as_ref(),
                &body,
                &uploads,
            )
        };
        let hold = world
            .holds
            .iter_mut()
            .find(|h| {
                h.remaining > 0 && h.method == method.as_str() && path.starts_with(&h.path_prefix)
            })
            .map(|h| {
                h.remaining -= 1;
                h.delay
            });
        world.requests.push(Recorded {
            method: method.to_string(),
            path: path.clone(),
            query: uri.query().map(str::to_string),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("<binary>").to_string()))
                .collect(),
            body: body_json,
            files: uploads
                .iter()
                .map(|u| (u.field.clone(), u.filename.clone(), u.data.len()))
                .collect(),
            status: answer.0,
            at: std::time::Instant::now(),
        });
        (answer.0, answer.1, hold, limit_headers)
    };
    shared.changed.notify_waiters();
    if let Some(delay) = hold {
        tokio::time::sleep(delay).await;
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match answer {
        Some(value) => (
            status,
            [("content-type", "application/json")],
            value.to_string(),
        )
            .into_response(),
        None => status.into_response(),
    };
    for (name, value) in limit_headers {
        if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn record_violations(
    world: &mut World,
    method: &Method,
    path: &str,
    violations: &[rules::Violation],
) {
    for v in violations {
        world.violations.push(RecordedViolation {
            method: method.to_string(),
            path: path.to_string(),
            violation: v.clone(),
        });
    }
}

fn invalid(
    world: &mut World,
    method: &Method,
    path: &str,
    violations: Vec<rules::Violation>,
) -> (u16, Option<Value>) {
    record_violations(world, method, path, &violations);
    reply(400, rules::invalid_form_body(&violations))
}

/// A violation of a rule that is not about a body's shape (missing auth, a late reply).
fn protocol_violation(
    world: &mut World,
    method: &Method,
    path: &str,
    code: &'static str,
    message: String,
) {
    world.violations.push(RecordedViolation {
        method: method.to_string(),
        path: path.to_string(),
        violation: rules::Violation {
            path: Vec::new(),
            code,
            message,
        },
    });
}

fn id(segment: &str) -> Option<u64> {
    segment.parse().ok()
}

#[allow(clippy::too_many_arguments)]
fn respond(
    world: &mut World,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Option<&Value>,
    raw: &[u8],
    uploads: &[Upload],
) -> (u16, Option<Value>) {
    let Some(rest) = path.strip_prefix("/api/v10/") else {
        return not_found();
    };
    let segments: Vec<&str> = rest.split('/').collect();

    // Every call carries the bot token, interaction callbacks included (serenity sends it).
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth != format!("Bot {}", world.token) {
        protocol_violation(
            world,
            method,
            path,
            "UNAUTHORIZED",
            format!(
                "Authorization header is `{}`, expected `Bot <token>`",
                if auth.is_empty() { "missing" } else { "wrong" }
            ),
        );
        return reply(401, json!({"message": "401: Unauthorized", "code": 0}));
    }
    if !raw.is_empty() && body.is_none() && uploads.is_empty() {
        return reply(
            400,
            json!({"message": "The request body contains invalid JSON.", "code": 50109}),
        );
    }
    if let Some(big) = uploads
        .iter()
        .find(|u| u.data.len() > files::MAX_FILE_BYTES)
    {
        protocol_violation(
            world,
            method,
            path,
            "REQUEST_ENTITY_TOO_LARGE",
            format!(
                "{} is {} bytes; a bot may upload {} per file",
                big.filename,
                big.data.len(),
                files::MAX_FILE_BYTES
            ),
        );
        return reply(
            413,
            json!({"message": "Request entity too large", "code": 40005}),
        );
    }

    // Injected failures (tests of retries and permission loss).
    if let Some(i) = world.failures.iter().position(|f| {
        f.method == method.as_str() && path.starts_with(&f.path_prefix) && f.remaining > 0
    }) {
        let failure = world.failures[i].clone();
        world.failures[i].remaining -= 1;
        if !failure.after_effect {
            return reply(failure.status, failure.body);
        }
        let _ = route(world, method, path, &segments, query, body, uploads);
        return reply(failure.status, failure.body);
    }
    route(world, method, path, &segments, query, body, uploads)
}

fn route(
    world: &mut World,
    method: &Method,
    path: &str,
    segments: &[&str],
    _query: Option<&str>,
    body: Option<&Value>,
    uploads: &[Upload],
) -> (u16, Option<Value>) {
    let app = world.application_id.to_string();
    match (method.as_str(), segments) {
        ("GET", ["gateway"]) | ("GET", ["gateway", "bot"]) => {
            let url = world.gateway_url.clone();
            reply(
                200,
                json!({
                    "url": url,
                    "shards": world.recommended(),
                    "session_start_limit": {"total": 1000, "remaining": world.session_starts_remaining, "reset_after": 14_400_000, "max_concurrency": world.gateway.max_concurrency}
                }),
            )
        }
        ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => reply(
            200,
            payloads::application(
                world.application_id,
                "trilha (local)",
                &world.bot,
                &world.owner,
            ),
        ),
        ("GET", ["users", "@me"]) => reply(200, payloads::current_user(&world.bot)),
        ("GET", ["applications", a, "commands"]) if *a == app => {
            reply(200, Value::Array(world.global_commands.clone()))
        }
        ("PUT", ["applications", a, "commands"]) if *a == app => {
            put_commands(world, method, path, None, body)
        }
        ("GET", ["applications", a, "guilds", g, "commands"]) if *a == app => match id(g) {
            Some(g) if world.guild(g).is_some() => reply(
                200,
                Value::Array(world.guild_commands.get(&g).cloned().unwrap_or_default()),
            ),
            _ => reply(403, json!({"message": "Missing Access", "code": 50001})),
        },
        ("PUT", ["applications", a, "guilds", g, "commands"]) if *a == app => match id(g) {
            Some(g) if world.guild(g).is_some() => put_commands(world, method, path, Some(g), body),
            _ => reply(403, json!({"message": "Missing Access", "code": 50001})),
        },
        ("POST", ["interactions", i, token, "callback"]) => {
            callback(world, method, path, i, token, body, uploads)
        }
        ("POST", ["webhooks", a, token]) if *a == app => {
            followup(world, method, path, token, body, uploads)
        }
        (m @ ("GET" | "PATCH" | "DELETE"), ["webhooks", a, token, "messages", message])
            if *a == app =>
        {
            webhook_message(world, method, path, m, token, message, body, uploads)
        }
        ("GET", ["channels", c]) => match id(c).and_then(|c| world.channel(c)) {
            Some((g, c)) => {
                let mut v = payloads::channel(c, 0);
                v["guild_id"] = json!(g.id.to_string());
                // What the bot may not do here, as Discord expresses it: a member overwrite.
                if c.bot_denied != 0 {
                    v["permission_overwrites"] = json!([{"id": world.bot.id.to_string(), "type": 1, "allow": "0", "deny": c.bot_denied.to_string()}]);
                }
                reply(200, v)
            }
            None => unknown("Channel", 10003),
        },
        ("POST", ["channels", c, "messages"])
            if id(c).is_some_and(|c| world.dm_channels.contains_key(&c)) =>
        {
            direct_message(world, method, path, c, body)
        }
        ("POST", ["channels", c, "messages"]) => {
            create_message(world, method, path, c, body, uploads)
        }
        ("POST", ["users", "@me", "channels"]) => open_dm(world, body),
        (m @ ("PUT" | "DELETE"), ["guilds", g, "members", u, "roles", r]) => {
            member_role(world, m == "PUT", g, u, r)
        }
        ("POST", ["channels", c, "messages", m, "threads"]) => {
            create_thread(world, method, path, c, m, body)
        }
        ("GET", ["guilds", g, "members", u]) => match (id(g).and_then(|g| world.guild(g)), id(u)) {
            (Some(guild), Some(u)) => match guild.member(u) {
                Some(m) => reply(200, payloads::member(m, None)),
                None => unknown("Member", 10007),
            },
            (None, _) => unknown("Guild", 10004),
            _ => not_found(),
        },
        ("GET", ["guilds", g]) => match id(g).and_then(|g| world.guild(g)).cloned() {
            Some(guild) => {
                let mut v = crate::gateway::guild_create(world, &guild);
                if let Some(obj) = v.as_object_mut() {
                    for only_in_gateway in [
                        "joined_at",
                        "large",
                        "unavailable",
                        "member_count",
                        "voice_states",
                        "members",
                        "channels",
                        "threads",
                        "presences",
                        "stage_instances",
                        "guild_scheduled_events",
                        "soundboard_sounds",
                        "embedded_activities",
                        "activity_instances",
                        "application_command_counts",
                        "lazy",
                        "version",
                        "_application_id",
                    ] {
                        obj.remove(only_in_gateway);
                    }
                }
                reply(200, v)
            }
            None => unknown("Guild", 10004),
        },
        _ => not_found(),
    }
}

fn put_commands(
    world: &mut World,
    method: &Method,
    path: &str,
    guild: Option<u64>,
    body: Option<&Value>,
) -> (u16, Option<Value>) {
    let Some(body) = body else {
        return invalid(
            world,
            method,
            path,
            vec![rules::Violation {
                path: vec![],
                code: "BASE_TYPE_REQUIRED",
                message: "This field is required".into(),
            }],
        );
    };
    let violations = rules::commands(body);
    if !violations.is_empty() {
        return invalid(world, method, path, violations);
    }
    let mut stored = Vec::new();
    let previous = match guild {
        Some(g) => world.guild_commands.get(&g).cloned().unwrap_or_default(),
        None => world.global_commands.clone(),
    };
    for command in body.as_array().cloned().unwrap_or_default() {
        let name = command["name"].as_str().unwrap_or_default().to_string();
        // An overwrite keeps the id of a command with the same name, as Discord does.
        let existing = previous
            .iter()
            .find(|c| c["name"] == name.as_str())
            .and_then(|c| c["id"].as_str())
            .map(str::to_string);
        let id = existing.unwrap_or_else(|| world.snowflake().to_string());
        let version = world.snowflake().to_string();
        let mut c = command.clone();
        let obj = c.as_object_mut().expect("checked by rules::commands");
        obj.insert("id".into(), json!(id));
        obj.insert(
            "application_id".into(),
            json!(world.application_id.to_string()),
        );
        obj.insert("version".into(), json!(version));
        obj.entry("type").or_insert(json!(1));
        obj.entry("nsfw").or_insert(json!(false));
        obj.entry("default_member_permissions")
            .or_insert(Value::Null);
        obj.entry("name_localizations").or_insert(Value::Null);
        obj.entry("description_localizations")
            .or_insert(Value::Null);
        obj.entry("integration_types").or_insert(json!([0]));
        obj.entry("contexts").or_insert(Value::Null);
        if let Some(g) = guild {
            obj.insert("guild_id".into(), json!(g.to_string()));
        }
        stored.push(c);
    }
    match guild {
        Some(g) => {
            world.guild_commands.insert(g, stored.clone());
        }
        None => world.global_commands = stored.clone(),
    }
    world
        .command_writes
        .push((guild, std::time::Instant::now()));
    reply(200, Value::Array(stored))
}

fn find_interaction<'a>(
    world: &'a mut World,
    id_segment: &str,
    token: &str,
) -> Option<&'a mut InteractionRecord> {
    let id = id(id_segment)?;
    world.interactions.get_mut(&id).filter(|i| i.token == token)
}

fn callback(
    world: &mut World,
    method: &Method,
    path: &str,
    id_segment: &str,
    token: &str,
    body: Option<&Value>,
    uploads: &[Upload],
) -> (u16, Option<Value>) {
    let Some(record) = find_interaction(world, id_segment, token).cloned() else {
        return unknown("interaction", 10062);
    };
    if record.response.is_some() {
        return reply(
            400,
            json!({"message": "Interaction has already been acknowledged.", "code": 40060}),
        );
    }
    let elapsed = record.sent_at.elapsed();
    if elapsed > INTERACTION_DEADLINE {
        protocol_violation(
            world,
            method,
            path,
            "INTERACTION_TIMEOUT",
            format!("first response after {elapsed:?}, Discord allows 3 s"),
        );
        return unknown("interaction", 10062);
    }
    let body = body.cloned().unwrap_or(Value::Null);
    let mut violations = rules::interaction_response(&body);
    let existing = record
        .component_message
        .and_then(|m| world.message(m))
        .map(|m| attachment_names(&m.body))
        .unwrap_or_default();
    violations.extend(
        files::rules(&body["data"], uploads, &existing)
            .into_iter()
            .map(|mut v| {
                v.path.insert(0, "data".into());
                v
            }),
    );
    if !violations.is_empty() {
        return invalid(world, method, path, violations);
    }
    let kind = body["type"].as_u64().unwrap_or(0);
    // A message response must match what was asked: autocomplete answers with choices only.
    let allowed: &[u64] = match record.kind {
        2 => &[4, 5, 9],
        3 => &[4, 5, 6, 7, 9],
        4 => &[8],
        _ => &[],
    };
    if !allowed.contains(&kind) {
        let v = rules::Violation {
            path: vec!["type".into()],
            code: "INTERACTION_RESPONSE_TYPE_INVALID",
            message: format!(
                "Interaction response type {kind} is not valid for an interaction of type {}",
                record.kind
            ),
        };
        return invalid(world, method, path, vec![v]);
    }
    let now = std::time::Instant::now();
    let mut original = None;
    match kind {
        4 => {
            let message_id = world.snowflake();
            let mut data = body.get("data").cloned().unwrap_or(json!({}));
            files::attach(world, &mut data, uploads, record.channel_id, &[]);
            world.messages.push(StoredMessage {
                id: message_id,
                channel_id: record.channel_id,
                author_id: world.bot.id,
                nonce: None,
                created: now,
                for_user: (data["flags"].as_u64().unwrap_or(0) & 64 != 0).then_some(record.user_id),
                body: data,
            });
            original = Some(message_id);
        }
        5 => {
            // "The bot is thinking…": a message the answer will replace (PATCH @original).
            let message_id = world.snowflake();
            let flags = body["data"]["flags"].as_u64().unwrap_or(0);
            world.messages.push(StoredMessage {
                id: message_id,
                channel_id: record.channel_id,
                author_id: world.bot.id,
                nonce: None,
                created: now,
                for_user: (flags & 64 != 0).then_some(record.user_id),
                body: json!({"content": "", "flags": flags | 128}),
            });
            original = Some(message_id);
        }
        // A deferred update: the answer will edit the button's own message.
        6 => original = record.component_message,
        7 => {
            if let Some(message_id) = record.component_message {
                let mut data = body.get("data").cloned().unwrap_or(json!({}));
                let kept = stored_attachments(world, message_id);
                files::attach(world, &mut data, uploads, record.channel_id, &kept);
                if let Some(m) = world.messages.iter_mut().find(|m| m.id == message_id) {
                    for (k, v) in data.as_object().cloned().unwrap_or_default() {
                        if k != "flags" {
                            m.body[k] = v;
                        }
                    }
                }
                original = Some(message_id);
            }
        }
        _ => {}
    }
    if let Some(r) = world.interactions.get_mut(&record.id) {
        r.response = Some((now, body));
        r.original_message = original.or(r.original_message);
    }
    (204, None)
}

/// The file names a stored message has.
fn attachment_names(body: &Value) -> Vec<String> {
    body["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["filename"].as_str().map(str::to_string))
        .collect()
}

/// The attachment objects a stored message has.
fn stored_attachments(world: &World, message: u64) -> Vec<Value> {
    world
        .message(message)
        .and_then(|m| m.body["attachments"].as_array().cloned())
        .unwrap_or_default()
}

fn message_json(world: &World, m: &StoredMessage) -> Value {
    let guild = world.channel(m.channel_id).map(|(g, _)| g.id);
    let application = (m.author_id == world.bot.id).then_some(world.application_id);
    payloads::message(
        m.id,
        m.channel_id,
        guild,
        &world.bot,
        &m.body,
        0,
        application,
        None,
    )
}

fn followup(
    world: &mut World,
    method: &Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
    uploads: &[Upload],
) -> (u16, Option<Value>) {
    let Some(record) = world
        .interactions
        .values()
        .find(|i| i.token == token)
        .cloned()
    else {
        return unknown("Webhook", 10015);
    };
    if record.response.is_none() {
        return unknown("Webhook", 10015);
    }
    let mut body = body.cloned().unwrap_or(json!({}));
    let mut violations = rules::message(&body, uploads.is_empty());
    violations.extend(files::rules(&body, uploads, &[]));
    if !violations.is_empty() {
        return invalid(world, method, path, violations);
    }
    files::attach(world, &mut body, uploads, record.channel_id, &[]);
    let id = world.snowflake();
    let ephemeral = body["flags"].as_u64().unwrap_or(0) & 64 != 0;
    let stored = StoredMessage {
        id,
        channel_id: record.channel_id,
        author_id: world.bot.id,
        nonce: None,
        created: std::time::Instant::now(),
        for_user: ephemeral.then_some(record.user_id),
        body,
    };
    let json = message_json(world, &stored);
    world.messages.push(stored);
    complete(world, record.id, json.clone());
    reply(200, json)
}

/// Records the answer that completes a deferred interaction (the first edit or follow-up).
fn complete(world: &mut World, interaction: u64, message: Value) {
    if let Some(r) = world.interactions.get_mut(&interaction)
        && r.completion.is_none()
        && r.response
            .as_ref()
            .is_some_and(|(_, b)| matches!(b["type"].as_u64(), Some(5 | 6)))
    {
        r.completion = Some((std::time::Instant::now(), message));
    }
}

#[allow(clippy::too_many_arguments)]
fn webhook_message(
    world: &mut World,
    method: &Method,
    path: &str,
    verb: &str,
    token: &str,
    message: &str,
    body: Option<&Value>,
    uploads: &[Upload],
) -> (u16, Option<Value>) {
    let Some(record) = world
        .interactions
        .values()
        .find(|i| i.token == token)
        .cloned()
    else {
        return unknown("Webhook", 10015);
    };
    let message_id = if message == "@original" {
        record.original_message
    } else {
        id(message)
    };
    let Some(message_id) = message_id.filter(|m| world.message(*m).is_some()) else {
        return unknown("Message", 10008);
    };
    match verb {
        "GET" => {
            let m = world.message(message_id).cloned().expect("checked");
            reply(200, message_json(world, &m))
        }
        "DELETE" => {
            world.messages.retain(|m| m.id != message_id);
            (204, None)
        }
        _ => {
            let mut body = body.cloned().unwrap_or(json!({}));
            let mut violations = rules::message(&body, false);
            let existing = world
                .message(message_id)
                .map(|m| attachment_names(&m.body))
                .unwrap_or_default();
            violations.extend(files::rules(&body, uploads, &existing));
            if !violations.is_empty() {
                return invalid(world, method, path, violations);
            }
            let kept = stored_attachments(world, message_id);
            files::attach(world, &mut body, uploads, record.channel_id, &kept);
            if let Some(m) = world.messages.iter_mut().find(|m| m.id == message_id) {
                for (k, v) in body.as_object().cloned().unwrap_or_default() {
                    m.body[k] = v;
                }
                // The "thinking" state ends with the answer.
                if let Some(flags) = m.body["flags"].as_u64() {
                    m.body["flags"] = json!(flags & !128);
                }
            }
            let m = world.message(message_id).cloned().expect("checked");
            let json = message_json(world, &m);
            if message == "@original" {
                complete(world, record.id, json.clone());
            }
            reply(200, json)
        }
    }
}

fn create_message(
    world: &mut World,
    method: &Method,
    path: &str,
    channel: &str,
    body: Option<&Value>,
    uploads: &[Upload],
) -> (u16, Option<Value>) {
    let Some((guild, ch)) = id(channel)
        .and_then(|c| world.channel(c))
        .map(|(g, c)| (g.clone(), c.clone()))
    else {
        return unknown("Channel", 10003);
    };
    let perms = guild.channel_permissions(world.bot.id, ch.id, world.bot.id);
    if perms & permissions::VIEW_CHANNEL == 0 {
        return reply(403, json!({"message": "Missing Access", "code": 50001}));
    }
    if perms & permissions::SEND_MESSAGES == 0 {
        return reply(
            403,
            json!({"message": "Missing Permissions", "code": 50013}),
        );
    }
    let mut body = body.cloned().unwrap_or(json!({}));
    let mut violations = rules::message(&body, uploads.is_empty());
    violations.extend(files::rules(&body, uploads, &[]));
    if !violations.is_empty() {
        return invalid(world, method, path, violations);
    }
    if !uploads.is_empty() && perms & permissions::ATTACH_FILES == 0 {
        return reply(
            403,
            json!({"message": "Missing Permissions", "code": 50013}),
        );
    }
    if body
        .get("embeds")
        .and_then(Value::as_array)
        .is_some_and(|e| !e.is_empty())
        && perms & permissions::EMBED_LINKS == 0
    {
        // Discord accepts the message but silently drops the embeds; a bot must check first.
        protocol_violation(
            world,
            method,
            path,
            "EMBEDS_SUPPRESSED",
            "embeds sent to a channel where the bot lacks Embed Links".into(),
        );
    }
    let nonce = body.get("nonce").map(|n| match n {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let enforce = body
        .get("enforce_nonce")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let (Some(nonce), true) = (&nonce, enforce) {
        let bot = world.bot.id;
        if let Some(existing) = world
            .messages
            .iter()
            .find(|m| {
                m.channel_id == ch.id
                    && m.author_id == bot
                    && m.nonce.as_deref() == Some(nonce)
                    && m.created.elapsed() < NONCE_WINDOW
            })
            .cloned()
        {
            // Same nonce within the window: Discord returns the message it already created.
            return reply(200, message_json(world, &existing));
        }
    }
    files::attach(world, &mut body, uploads, ch.id, &[]);
    post_as_bot(world, ch.id, nonce, body)
}

/// POST /users/@me/channels: Discord returns the one DM channel it keeps per user.
fn open_dm(world: &mut World, body: Option<&Value>) -> (u16, Option<Value>) {
    let recipient = body
        .and_then(|b| b.get("recipient_id"))
        .and_then(|v| match v {
            Value::String(s) => s.parse::<u64>().ok(),
            other => other.as_u64(),
        });
    let Some(user) = recipient.and_then(|u| {
        world
            .guilds
            .iter()
            .flat_map(|g| g.members.iter())
            .find(|m| m.user.id == u)
            .map(|m| m.user.clone())
    }) else {
        return reply(
            400,
            json!({"message": "Invalid Form Body", "code": 50035, "errors": {"recipient_id": {"_errors": [{"code": "NUMBER_TYPE_COERCE", "message": "Value is not a known user."}]}}}),
        );
    };
    let existing = world
        .dm_channels
        .iter()
        .find(|(_, u)| **u == user.id)
        .map(|(c, _)| *c);
    let channel = match existing {
        Some(c) => c,
        None => {
            let c = world.snowflake();
            world.dm_channels.insert(c, user.id);
            c
        }
    };
    reply(
        200,
        json!({
            "id": channel.to_string(),
            "type": 1,
            "last_message_id": null,
            "flags": 0,
            "recipients": [payloads::user(&user)],
        }),
    )
}

/// POST /channels/{dm}/messages: refused with 50007 when the member closed their DMs.
fn direct_message(
    world: &mut World,
    method: &Method,
    path: &str,
    channel: &str,
    body: Option<&Value>,
) -> (u16, Option<Value>) {
    let channel = id(channel).expect("checked by the route");
    let user = world.dm_channels[&channel];
    if world.dms_closed.contains(&user) {
        return reply(
            403,
            json!({"message": "Cannot send messages to this user", "code": 50007}),
        );
    }
    let body = body.cloned().unwrap_or(json!({}));
    let violations = rules::message(&body, true);
    if !violations.is_empty() {
        return invalid(world, method, path, violations);
    }
    let nonce = body.get("nonce").map(|n| match n {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let enforce = body
        .get("enforce_nonce")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let (Some(nonce), true) = (&nonce, enforce)
        && let Some(existing) = world
            .messages
            .iter()
            .find(|m| {
                m.channel_id == channel
                    && m.nonce.as_deref() == Some(nonce)
                    && m.created.elapsed() < NONCE_WINDOW
            })
            .cloned()
    {
        return reply(200, message_json(world, &existing));
    }
    post_as_bot(world, channel, nonce, body)
}

/// Stores a message the bot posted in a channel and answers with it, as Discord does.
fn post_as_bot(
    world: &mut World,
    channel: u64,
    nonce: Option<String>,
    body: Value,
) -> (u16, Option<Value>) {
    let stored = StoredMessage {
        id: world.snowflake(),
        channel_id: channel,
        author_id: world.bot.id,
        nonce,
        created: std::time::Instant::now(),
        for_user: None,
        body,
    };
    let json = message_json(world, &stored);
    world.messages.push(stored);
    reply(200, json)
}

/// PUT/DELETE /guilds/{g}/members/{u}/roles/{r}, with Discord's checks: the bot needs Manage
/// Roles and may only touch roles below its own highest one; managed roles belong to their
/// integration.
fn member_role(
    world: &mut World,
    give: bool,
    guild: &str,
    user: &str,
    role: &str,
) -> (u16, Option<Value>) {
    let Some(g) = id(guild).and_then(|g| world.guilds.iter().position(|x| x.id == g)) else {
        return unknown("Guild", 10004);
    };
    let bot = world.bot.id;
    let server = &world.guilds[g];
    let Some(target) = id(role)
        .and_then(|r| server.roles.iter().find(|x| x.id == r))
        .cloned()
    else {
        return unknown("Role", 10011);
    };
    let Some(user) = id(user).filter(|u| server.member(*u).is_some()) else {
        return unknown("Member", 10007);
    };
    let perms = server.permissions_of(bot);
    if perms & (permissions::MANAGE_ROLES | permissions::ADMINISTRATOR) == 0
        || target.managed
        || target.position >= server.top_position(bot)
    {
        return reply(
            403,
            json!({"message": "Missing Permissions", "code": 50013}),
        );
    }
    let member = world.guilds[g]
        .members
        .iter_mut()
        .find(|m| m.user.id == user)
        .expect("checked above");
    member.roles.retain(|r| *r != target.id);
    if give {
        member.roles.push(target.id);
    }
    (204, None)
}

fn create_thread(
    world: &mut World,
    method: &Method,
    path: &str,
    channel: &str,
    message: &str,
    body: Option<&Value>,
) -> (u16, Option<Value>) {
    let Some((guild, ch)) = id(channel)
        .and_then(|c| world.channel(c))
        .map(|(g, c)| (g.clone(), c.clone()))
    else {
        return unknown("Channel", 10003);
    };
    if id(message).and_then(|m| world.message(m)).is_none() {
        return unknown("Message", 10008);
    }
    if guild.channel_permissions(world.bot.id, ch.id, world.bot.id)
        & permissions::CREATE_PUBLIC_THREADS
        == 0
    {
        return reply(
            403,
            json!({"message": "Missing Permissions", "code": 50013}),
        );
    }
    let name = body
        .and_then(|b| b["name"].as_str())
        .unwrap_or_default()
        .to_string();
    if name.is_empty() || name.chars().count() > 100 {
        let v = rules::Violation {
            path: vec!["name".into()],
            code: "BASE_TYPE_BAD_LENGTH",
            message: "Must be between 1 and 100 in length.".into(),
        };
        return invalid(world, method, path, vec![v]);
    }
    let thread_id = id(message).unwrap_or_default();
    reply(
        201,
        json!({
            "id": thread_id.to_string(), "type": 11, "guild_id": guild.id.to_string(), "parent_id": ch.id.to_string(),
            "name": name, "owner_id": world.bot.id.to_string(), "message_count": 0, "member_count": 1, "rate_limit_per_user": 0,
            "flags": 0, "total_message_sent": 0, "last_message_id": null,
            "thread_metadata": {"archived": false, "auto_archive_duration": body.and_then(|b| b["auto_archive_duration"].as_u64()).unwrap_or(1440), "archive_timestamp": payloads::timestamp(crate::world::now_ms()), "locked": false}
        }),
    )
}
