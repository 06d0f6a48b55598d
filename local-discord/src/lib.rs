#![recursion_limit = "256"]
//! A local stand-in for Discord, for testing a real bot binary over real sockets.
//!
//! [`LocalDiscord::start`] opens a REST API and a gateway on 127.0.0.1. Point the bot at
//! [`LocalDiscord::base_url`] (trilha: `DISCORD_PROXY_URL`) with [`LocalDiscord::token`]; the
//! bot's `GET /api/v10/gateway` then leads it to the local gateway. The test double sits at the
//! network edge only: the bot runs unmodified.
//!
//! - [`rules`] checks everything the bot sends against Discord's documented limits;
//! - [`LocalDiscord::slash`], [`LocalDiscord::autocomplete`] and [`LocalDiscord::press`] act as
//!   a member would, against the commands the bot registered;
//! - [`LocalDiscord::reconnect`] and [`LocalDiscord::invalidate_session`] exercise the gateway's
//!   recovery paths.

pub mod cdn;
pub mod client;
pub mod files;
pub mod member;
pub mod payloads;
pub mod ratelimit;
pub mod rules;
pub mod world;

mod gateway;
mod rest;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc};

use payloads::{ChannelInfo, MemberInfo, Place, RoleInfo, UserInfo};
pub use rest::{INTERACTION_DEADLINE, NONCE_WINDOW};
use world::{GuildInfo, InjectedFailure, InteractionRecord, World, permissions};

/// A token shaped like Discord's (three base64url parts); the local Discord accepts only it.
pub const TOKEN: &str = "bG9jYWwtZGlzY29yZA.dHJpbGhh.dGVzdC10b2tlbi1ub3QtYS1zZWNyZXQ";

pub(crate) struct Shared {
    pub(crate) world: Mutex<World>,
    pub(crate) changed: Notify,
    pub(crate) connections: Mutex<HashMap<u64, mpsc::UnboundedSender<gateway::Outgoing>>>,
}

/// How to start a local Discord.
#[derive(Clone, Debug)]
pub struct Options {
    pub rest_port: u16,
    pub gateway_port: u16,
    /// Send gateway frames as zlib-compressed binary frames.
    pub compress: bool,
    pub heartbeat_interval: Duration,
    /// The application has the privileged Server Members intent enabled.
    pub members_intent_enabled: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            rest_port: 0,
            gateway_port: 0,
            compress: false,
            heartbeat_interval: Duration::from_millis(41_250),
            members_intent_enabled: false,
        }
    }
}

/// The bot's answer to one interaction.
#[derive(Clone, Debug)]
pub struct Response {
    pub interaction: u64,
    /// From the INTERACTION_CREATE leaving to the callback arriving.
    pub latency: Duration,
    pub body: Value,
    /// The message the response created or updated, if any.
    pub message: Option<u64>,
}

impl Response {
    pub fn kind(&self) -> u64 {
        self.body["type"].as_u64().unwrap_or(0)
    }

    pub fn ephemeral(&self) -> bool {
        self.body["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0
    }

    /// Every text of the reply (content, titles, descriptions, fields, footers, buttons, choices).
    pub fn text(&self) -> String {
        let d = &self.body["data"];
        let mut out = String::new();
        let mut push = |s: &Value| {
            if let Some(s) = s.as_str() {
                out.push_str(s);
                out.push('\n');
            }
        };
        push(&d["content"]);
        for e in d["embeds"].as_array().into_iter().flatten() {
            push(&e["title"]);
            push(&e["description"]);
            for f in e["fields"].as_array().into_iter().flatten() {
                push(&f["name"]);
                push(&f["value"]);
            }
            push(&e["footer"]["text"]);
        }
        for c in d["choices"].as_array().into_iter().flatten() {
            push(&c["name"]);
        }
        for (label, _, _) in member::buttons(d) {
            out.push_str(&label);
            out.push('\n');
        }
        out
    }

    pub fn title(&self) -> Option<&str> {
        self.body["data"]["embeds"][0]["title"].as_str()
    }

    /// The first embed's image URL (`attachment://...` as sent, or the CDN URL once stored).
    pub fn image(&self) -> Option<&str> {
        self.body["data"]["embeds"][0]["image"]["url"].as_str()
    }

    /// Autocomplete choices as (name, value).
    pub fn choices(&self) -> Vec<(String, String)> {
        self.body["data"]["choices"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                (
                    c["name"].as_str().unwrap_or_default().to_string(),
                    c["value"]
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| c["value"].to_string()),
                )
            })
            .collect()
    }

    pub fn buttons(&self) -> Vec<(String, String, bool)> {
        member::buttons(&self.body["data"])
    }
}

/// Where a member uses a command.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The server, by id; `None` is the first one.
    pub guild: Option<u64>,
    /// A channel name in the server; `None` is its first channel.
    pub channel: Option<String>,
    /// In a direct message with the bot instead of a server.
    pub dm: bool,
    /// The member's Discord language; `None` keeps theirs.
    pub locale: Option<String>,
    /// Acts as if a server admin granted this member a command hidden by default.
    pub permission_override: bool,
    /// Through the member's own install of the app (Discord's user install) instead of the
    /// server's: only commands registered with `integration_types` 1 can be run this way.
    pub user_install: bool,
    /// In a group DM (interaction context 2), where the bot is not: needs `user_install`.
    pub group_dm: bool,
    /// In a server without the bot (by id and name; context 0), where the member is: needs
    /// `user_install`.
    pub foreign_guild: Option<(u64, String)>,
}

pub struct LocalDiscord {
    shared: Arc<Shared>,
    rest_addr: SocketAddr,
    gateway_addr: SocketAddr,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for LocalDiscord {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

fn default_world(world: &mut World, gateway_url: String, options: &Options) {
    world.gateway_url = gateway_url;
    world.compress = options.compress;
    world.heartbeat_interval_ms = options.heartbeat_interval.as_millis() as u64;
    world.members_intent_enabled = options.members_intent_enabled;
    let now = world::now_ms();
    let guild_id = world.snowflake();
    let moderation = world.snowflake();
    let students = world.snowflake();
    let brokers = world.snowflake();
    let bot_role = world.snowflake();
    let veterans = world.snowflake();
    let user = |world: &mut World, name: &str, global: &str, avatar: Option<&str>| UserInfo {
        id: world.snowflake(),
        username: name.into(),
        global_name: Some(global.into()),
        bot: false,
        avatar: avatar.map(str::to_string),
    };
    // Ana and Carla have avatars (the CDN draws each in the colour its hash starts with: gold,
    // cyan); Bruno has Discord's default one.
    let ana = user(
        world,
        "ana",
        "Ana",
        Some("ffd700a1b2c3d4e5f60718293a4b5c6d"),
    );
    let bruno = user(world, "bruno", "Bruno", None);
    let carla = user(
        world,
        "carla",
        "Carla",
        Some("a_00e5ffe1d2c3b4a5968778695a4b3c7d"),
    );
    let owner = world.owner.clone();
    let bot = world.bot.clone();
    let channels = ["geral", "estudos", "anuncios"]
        .iter()
        .map(|name| ChannelInfo {
            id: world.snowflake(),
            guild_id,
            name: (*name).into(),
            bot_denied: 0,
        })
        .collect();
    let member = |user: UserInfo, roles: Vec<u64>, locale: &str, days_ago: u64| MemberInfo {
        user,
        roles,
        locale: locale.into(),
        joined_ms: now - days_ago * 86_400_000,
    };
    world.guilds.push(GuildInfo {
        id: guild_id,
        name: "Comunidade Backend".into(),
        locale: "pt-BR".into(),
        owner_id: owner.id,
        // Positions, low to high: @everyone, Estudantes, Mensageria, Moderação, the bot's own
        // role (managed, with Manage Roles), Veteranos (above the bot: it cannot give it).
        roles: vec![
            RoleInfo {
                id: guild_id,
                name: "@everyone".into(),
                permissions: permissions::EVERYONE,
                position: 0,
                managed: false,
            },
            RoleInfo {
                id: moderation,
                name: "Moderação".into(),
                permissions: permissions::EVERYONE | permissions::MANAGE_GUILD,
                position: 3,
                managed: false,
            },
            RoleInfo {
                id: students,
                name: "Estudantes".into(),
                permissions: permissions::EVERYONE,
                position: 1,
                managed: false,
            },
            RoleInfo {
                id: brokers,
                name: "Mensageria".into(),
                permissions: permissions::EVERYONE,
                position: 2,
                managed: false,
            },
            RoleInfo {
                id: bot_role,
                name: "trilha".into(),
                permissions: permissions::EVERYONE | permissions::MANAGE_ROLES,
                position: 4,
                managed: true,
            },
            RoleInfo {
                id: veterans,
                name: "Veteranos".into(),
                permissions: permissions::EVERYONE,
                position: 5,
                managed: false,
            },
        ],
        channels,
        members: vec![
            member(owner, vec![], "pt-BR", 400),
            member(ana, vec![moderation], "pt-BR", 300),
            member(bruno, vec![students], "pt-BR", 30),
            member(carla, vec![students], "en-US", 3),
            member(bot, vec![bot_role], "en-US", 200),
        ],
        joined_ms: now - 200 * 86_400_000,
        icon: Some("1f8b4cc0ffee00112233445566778899".into()),
        lean: false,
    });
}

impl LocalDiscord {
    /// Starts the REST API and the gateway on 127.0.0.1 with one server, "Comunidade Backend"
    /// (pt-BR), its channels #geral, #estudos and #anuncios, and members `ana` (Moderação, with
    /// Manage Server), `bruno` and `carla` (en-US).
    pub async fn start(options: Options) -> std::io::Result<LocalDiscord> {
        let rest = TcpListener::bind(("127.0.0.1", options.rest_port)).await?;
        let gw = TcpListener::bind(("127.0.0.1", options.gateway_port)).await?;
        let rest_addr = rest.local_addr()?;
        let gateway_addr = gw.local_addr()?;
        let mut world = World::new(TOKEN.to_string());
        default_world(&mut world, format!("ws://{gateway_addr}"), &options);
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            changed: Notify::new(),
            connections: Mutex::new(HashMap::new()),
        });
        let app = rest::router(shared.clone());
        let rest_task = tokio::spawn(async move {
            // Without TCP_NODELAY a small response can wait 40 ms for a delayed ACK (Nagle):
            // latency Discord does not add.
            use axum::serve::ListenerExt;
            let rest = rest.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(rest, app).await;
        });
        let gateway_task = tokio::spawn(gateway::serve(gw, shared.clone()));
        Ok(LocalDiscord {
            shared,
            rest_addr,
            gateway_addr,
            tasks: vec![rest_task, gateway_task],
        })
    }

    /// The base URL to give the bot (`DISCORD_PROXY_URL`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.rest_addr)
    }

    pub fn gateway_url(&self) -> String {
        format!("ws://{}", self.gateway_addr)
    }

    pub fn token(&self) -> &'static str {
        TOKEN
    }

    /// Runs `f` on the state, e.g. to read what was recorded or to change a guild.
    pub fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let out = f(&mut self.shared.world.lock().expect("world lock"));
        self.shared.changed.notify_waiters();
        out
    }

    pub fn guild_id(&self) -> u64 {
        self.with_world(|w| w.guilds[0].id)
    }

    pub fn channel_id(&self, name: &str) -> u64 {
        self.with_world(|w| w.guilds[0].channel_named(name).map(|c| c.id))
            .unwrap_or_else(|| panic!("no channel {name}"))
    }

    pub fn user_id(&self, name: &str) -> u64 {
        self.with_world(|w| w.guilds[0].member_named(name).map(|m| m.user.id))
            .unwrap_or_else(|| panic!("no member {name}"))
    }

    pub fn role_id(&self, name: &str) -> u64 {
        self.with_world(|w| {
            w.guilds[0]
                .roles
                .iter()
                .find(|r| r.name.eq_ignore_ascii_case(name))
                .map(|r| r.id)
        })
        .unwrap_or_else(|| panic!("no role {name}"))
    }

    /// Waits until `check` returns `Some`, re-checking whenever the state changes.
    pub async fn wait_until<T>(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&World) -> Option<T>,
    ) -> Result<T, String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(value) = check(&self.shared.world.lock().expect("world lock")) {
                return Ok(value);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(format!("timed out after {timeout:?} waiting for {what}"));
            }
        }
    }

    /// Waits for the bot to be identified (or resumed) with an open gateway connection on the
    /// shard that receives the first server's events.
    pub async fn wait_connected(&self, timeout: Duration) -> Result<(), String> {
        let first = self.guild_id();
        self.wait_until("a gateway session", timeout, move |w| {
            w.gateway.connection_for(Some(first)).map(|_| ())
        })
        .await
    }

    /// Waits until every shard `0..total` has an identified session on a live connection.
    pub async fn wait_all_shards(&self, total: u64, timeout: Duration) -> Result<(), String> {
        self.wait_until(&format!("all {total} shards connected"), timeout, |w| {
            let live = w.gateway.connected_shards();
            let complete = (0..total).all(|s| live.contains(&s))
                && w.gateway.sessions.values().all(|s| s.total == total);
            complete.then_some(())
        })
        .await
    }

    /// Sends a dispatch to the bot, on the shard that owns the payload's `guild_id` (direct
    /// messages: shard 0), with that shard's next sequence number. Returns the shard it went to,
    /// if that shard's session is live; a session that is away keeps it for its RESUME.
    pub fn dispatch(&self, name: &str, data: Value) -> Option<u64> {
        // GUILD_CREATE/UPDATE/DELETE carry the server's id as `id`; ids may come as numbers
        // from hand-written payloads.
        let id_of = |v: &Value| {
            v.as_str()
                .and_then(|g| g.parse().ok())
                .or_else(|| v.as_u64())
        };
        let guild = id_of(&data["guild_id"]).or_else(|| {
            name.starts_with("GUILD_")
                .then(|| id_of(&data["id"]))
                .flatten()
        });
        let routed = {
            let mut w = self.shared.world.lock().expect("world lock");
            w.gateway.shard_for(guild).and_then(|shard| {
                let frame = gateway::next_frame(&mut w, shard, name, data)?;
                let conn = w.gateway.sessions.get(&shard)?.conn?;
                Some((shard, conn, frame))
            })
        };
        let delivered =
            routed.and_then(|(shard, conn, frame)| self.send_frame(conn, frame).then_some(shard));
        self.shared.changed.notify_waiters();
        delivered
    }

    /// Sends a gateway op to the connection of the first server's shard.
    fn send_op(&self, frame: Value) -> bool {
        let first = self.guild_id();
        let conn = self.with_world(|w| w.gateway.connection_for(Some(first)));
        conn.is_some_and(|c| self.send_frame(c, frame))
    }

    /// Sends a frame on a gateway connection; `false` if it is gone.
    fn send_frame(&self, conn: u64, frame: Value) -> bool {
        let tx = self
            .shared
            .connections
            .lock()
            .expect("connections")
            .get(&conn)
            .cloned();
        tx.is_some_and(|tx| tx.send(gateway::Outgoing::Frame(frame)).is_ok())
    }

    /// A gateway outage: every connection is closed and new ones are refused until
    /// [`LocalDiscord::gateway_up`].
    pub fn gateway_outage(&self) {
        self.with_world(|w| {
            for session in w.gateway.sessions.values_mut() {
                session.conn = None;
            }
            w.gateway_down = true;
        });
        for tx in self
            .shared
            .connections
            .lock()
            .expect("connections")
            .values()
        {
            let _ = tx.send(gateway::Outgoing::Close(1001, "going away".into()));
        }
    }

    pub fn gateway_up(&self) {
        self.with_world(|w| w.gateway_down = false);
    }

    /// Asks the bot to reconnect and resume (op 7), as Discord does before maintenance.
    pub fn reconnect(&self) -> bool {
        self.send_op(json!({"op": 7, "s": null, "t": null, "d": null}))
    }

    /// Invalidates the session (op 9, not resumable): the bot must identify again.
    pub fn invalidate_session(&self) -> bool {
        self.send_op(json!({"op": 9, "s": null, "t": null, "d": false}))
    }

    /// The server a member acts in.
    fn guild_of<'w>(w: &'w World, ctx: &Context) -> Result<&'w GuildInfo, String> {
        match ctx.guild {
            None => Ok(&w.guilds[0]),
            Some(id) => w.guild(id).ok_or_else(|| format!("no server {id}")),
        }
    }

    fn place(&self, w: &World, user: &str, ctx: &Context) -> Result<Place, String> {
        let guild = Self::guild_of(w, ctx)?;
        let m = guild
            .member_named(user)
            .ok_or_else(|| format!("no member {user}"))?
            .clone();
        let locale = ctx.locale.clone().unwrap_or_else(|| m.locale.clone());
        if (ctx.group_dm || ctx.foreign_guild.is_some()) && !ctx.user_install {
            return Err("the bot is not there: only a user install reaches it".into());
        }
        if ctx.group_dm {
            return Ok(Place::GroupDm {
                channel_id: m.user.id ^ 0x7777,
                user: m.user.clone(),
                locale,
            });
        }
        if let Some((guild_id, _)) = &ctx.foreign_guild {
            if w.guild(*guild_id).is_some() {
                return Err(format!(
                    "the bot is in server {guild_id}: not a foreign one"
                ));
            }
            return Ok(Place::ForeignGuild {
                guild_id: *guild_id,
                channel_id: guild_id + 1,
                member: MemberInfo { locale, ..m },
            });
        }
        if ctx.dm {
            return Ok(Place::Dm {
                channel_id: m.user.id ^ 0x5555,
                user: m.user.clone(),
                locale,
            });
        }
        let channel = match &ctx.channel {
            Some(name) => guild
                .channel_named(name)
                .ok_or_else(|| format!("no channel {name}"))?
                .clone(),
            None => guild.channels[0].clone(),
        };
        let permissions = guild.permissions_of(m.user.id);
        Ok(Place::Guild {
            guild_id: guild.id,
            guild_locale: guild.locale.clone(),
            channel,
            member: MemberInfo { locale, ..m },
            permissions,
        })
    }

    fn send_interaction(
        &self,
        kind: u8,
        user: &str,
        ctx: &Context,
        data: impl FnOnce(
            &World,
            Option<&GuildInfo>,
            member::Reach,
        ) -> Result<(Value, Option<u64>), String>,
        component_message: Option<u64>,
    ) -> Result<u64, String> {
        self.send_interaction_as(kind, user, ctx, data, component_message, |_| {})
    }

    /// [`LocalDiscord::slash`], with the INTERACTION_CREATE payload changed by `deform` before it
    /// is sent: what Discord does when it adds an enum value, changes a field's type or adds a
    /// component the bot's library does not know yet. The interaction stays answerable.
    pub fn slash_deformed(
        &self,
        user: &str,
        text: &str,
        ctx: &Context,
        deform: impl FnOnce(&mut Value),
    ) -> Result<u64, String> {
        self.send_interaction_as(
            2,
            user,
            ctx,
            |w, g, reach| {
                member::command_data(w, g, text, false, reach)
                    .map(|t| (t.data, t.default_member_permissions))
            },
            None,
            deform,
        )
    }

    /// Every interaction token handed out so far (to check none leaks into logs).
    pub fn interaction_tokens(&self) -> Vec<String> {
        self.with_world(|w| w.interactions.values().map(|i| i.token.clone()).collect())
    }

    fn send_interaction_as(
        &self,
        kind: u8,
        user: &str,
        ctx: &Context,
        data: impl FnOnce(
            &World,
            Option<&GuildInfo>,
            member::Reach,
        ) -> Result<(Value, Option<u64>), String>,
        component_message: Option<u64>,
        deform: impl FnOnce(&mut Value),
    ) -> Result<u64, String> {
        let (payload, id) = {
            let mut w = self.shared.world.lock().expect("world lock");
            let place = self.place(&w, user, ctx)?;
            // Where the bot is not, only its global commands exist.
            let guild = match &place {
                Place::Guild { .. } => Some(Self::guild_of(&w, ctx)?.clone()),
                _ => None,
            };
            let reach = member::Reach {
                context: place.context(),
                user_install: ctx.user_install,
            };
            let (data, needed) = data(&w, guild.as_ref(), reach)?;
            if let (Some(bits), Place::Guild { permissions, .. }) = (needed, &place)
                && permissions & bits != bits
                && !ctx.permission_override
            {
                return Err(format!(
                    "the command is hidden from {user} (needs permissions {bits}) unless an admin grants it"
                ));
            }
            let id = w.snowflake();
            // Shaped like Discord's: base64 of "interaction:<id>:" and a secret part.
            let token = format!(
                "aW50ZXJhY3Rpb246{}{:x}",
                id,
                id.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            );
            let message = component_message
                .and_then(|m| w.message(m).cloned())
                .map(|m| {
                    let guild_id = w.channel(m.channel_id).map(|(g, _)| g.id);
                    let mut json = payloads::message(
                        m.id,
                        m.channel_id,
                        guild_id,
                        &w.bot,
                        &m.body,
                        0,
                        Some(w.application_id),
                        None,
                    );
                    if m.for_user.is_some() {
                        json["flags"] = json!(64);
                    }
                    json
                });
            let app_permissions = match &place {
                Place::Guild { channel, .. } => {
                    Self::guild_of(&w, ctx)?.channel_permissions(w.bot.id, channel.id, w.bot.id)
                }
                _ => 0,
            };
            let mut payload = payloads::interaction(
                id,
                w.application_id,
                kind,
                &token,
                data,
                &place,
                app_permissions,
                message,
            );
            if ctx.user_install {
                payload["authorizing_integration_owners"]["1"] = json!(place.user_id().to_string());
            }
            deform(&mut payload);
            let (user_id, guild_id, channel_id) = match &place {
                Place::Guild {
                    guild_id,
                    channel,
                    member,
                    ..
                } => (member.user.id, Some(*guild_id), channel.id),
                Place::ForeignGuild {
                    guild_id,
                    channel_id,
                    member,
                } => (member.user.id, Some(*guild_id), *channel_id),
                Place::Dm {
                    channel_id, user, ..
                }
                | Place::GroupDm {
                    channel_id, user, ..
                } => (user.id, None, *channel_id),
            };
            w.interactions.insert(
                id,
                InteractionRecord {
                    id,
                    token,
                    kind,
                    user_id,
                    guild_id,
                    channel_id,
                    sent_at: Instant::now(),
                    response: None,
                    original_message: None,
                    component_message,
                    completion: None,
                    shard: None,
                },
            );
            (payload, id)
        };
        let shard = self.dispatch("INTERACTION_CREATE", payload);
        self.with_world(|w| {
            if let Some(record) = w.interactions.get_mut(&id) {
                record.shard = shard;
            }
        });
        Ok(id)
    }

    /// A member runs a slash command, typed as in the client: `/roadmap kafka`.
    pub fn slash(&self, user: &str, text: &str, ctx: &Context) -> Result<u64, String> {
        self.slash_deformed(user, text, ctx, |_| {})
    }

    /// A member types into an option with autocomplete; the last option is the focused one.
    pub fn autocomplete(&self, user: &str, text: &str, ctx: &Context) -> Result<u64, String> {
        self.send_interaction(
            4,
            user,
            ctx,
            |w, g, reach| {
                member::command_data(w, g, text, true, reach)
                    .map(|t| (t.data, t.default_member_permissions))
            },
            None,
        )
    }

    /// A member presses a button of a message, chosen by its label or custom_id.
    pub fn press(
        &self,
        user: &str,
        message: u64,
        button: &str,
        ctx: &Context,
    ) -> Result<u64, String> {
        let uid = self.user_id(user);
        let (custom_id, channel_name) = self.with_world(|w| {
            let m = w
                .message(message)
                .ok_or_else(|| format!("no message {message}"))?;
            if m.for_user.is_some_and(|u| u != uid) {
                return Err(format!("{user} cannot see message {message} (ephemeral)"));
            }
            let (_, id, disabled) = member::buttons(&m.body)
                .into_iter()
                .find(|(label, id, _)| label == button || id == button || label.contains(button))
                .ok_or_else(|| {
                    format!(
                        "message {message} has no button `{button}`: {:?}",
                        member::buttons(&m.body)
                    )
                })?;
            if disabled {
                return Err(format!("button `{button}` is disabled"));
            }
            let channel = w.guilds[0]
                .channels
                .iter()
                .find(|c| c.id == m.channel_id)
                .map(|c| c.name.clone());
            Ok((id, channel))
        })?;
        let ctx = Context {
            channel: ctx.channel.clone().or(channel_name),
            ..ctx.clone()
        };
        self.send_interaction(
            3,
            user,
            &ctx,
            |_, _, _| Ok((json!({"custom_id": custom_id, "component_type": 2}), None)),
            Some(message),
        )
    }

    /// Applies Discord's REST rate limits from now on (see [`ratelimit`]).
    pub fn enable_rate_limits(&self) {
        self.with_world(|w| w.rate_limits = Some(ratelimit::RateLimits::default()));
    }

    /// Every 429 sent so far (with rate limits on).
    pub fn sent_429s(&self) -> Vec<ratelimit::Sent429> {
        self.with_world(|w| {
            w.rate_limits
                .as_ref()
                .map(|r| r.sent.clone())
                .unwrap_or_default()
        })
    }

    /// Makes the CDN misbehave from now on ([`cdn::CdnFault::None`] heals it).
    pub fn set_cdn_fault(&self, fault: cdn::CdnFault) {
        self.with_world(|w| w.cdn_fault = fault);
    }

    /// Every CDN path asked for so far.
    pub fn cdn_requests(&self) -> Vec<String> {
        self.with_world(|w| w.cdn_requests.clone())
    }

    /// Every REST request from now on waits `delay` before it is handled (a slow Discord).
    pub fn set_rest_delay(&self, delay: Duration) {
        self.with_world(|w| w.rest_delay = delay);
    }

    /// Waits for the bot's answer to an interaction, as the member ends up seeing it: the
    /// response itself, or after a deferral (type 5 or 6) the edit or follow-up that delivered
    /// the answer, as a type 4 (new message) or 7 (update) body. `latency` is always the time to
    /// the first response (what Discord's 3 s apply to).
    pub async fn answer(&self, interaction: u64, timeout: Duration) -> Result<Response, String> {
        let first = self.response(interaction, timeout).await?;
        let deferred_kind = match first.kind() {
            5 => 4,
            6 => 7,
            _ => return Ok(first),
        };
        let message = self
            .wait_until("the deferred answer", timeout, |w| {
                w.interactions
                    .get(&interaction)?
                    .completion
                    .as_ref()
                    .map(|(_, m)| m.clone())
            })
            .await?;
        let ephemeral = message["flags"].as_u64().unwrap_or(0) & 64;
        let mut data = message.clone();
        data["flags"] = json!(ephemeral);
        Ok(Response {
            interaction,
            latency: first.latency,
            body: json!({"type": deferred_kind, "data": data, "deferred": true}),
            message: message["id"]
                .as_str()
                .and_then(|id| id.parse().ok())
                .or(first.message),
        })
    }

    /// Waits for the bot's first response to an interaction. Fails at once if the bot's answer
    /// was refused as Discord would refuse it.
    pub async fn response(&self, interaction: u64, timeout: Duration) -> Result<Response, String> {
        let violations_before = self.with_world(|w| w.violations.len());

        self.wait_until("the interaction's response", timeout, |w| {
            let r = w.interactions.get(&interaction)?;
            if let Some((_, body)) = &r.response {
                return Some(Ok(Response {
                    interaction,
                    latency: r.latency().unwrap_or_default(),
                    body: body.clone(),
                    message: r.original_message,
                }));
            }
            let callback = format!("/api/v10/interactions/{interaction}/");
            let refused: Vec<String> = w.violations[violations_before..]
                .iter()
                .filter(|v| v.path.starts_with(&callback))
                .map(|v| v.to_string())
                .collect();
            (!refused.is_empty()).then(|| Err(format!("the response was refused: {refused:?}")))
        })
        .await?
    }

    /// Every rule violation recorded so far.
    pub fn violations(&self) -> Vec<world::RecordedViolation> {
        self.with_world(|w| w.violations.clone())
    }

    /// Every request recorded so far.
    pub fn requests(&self) -> Vec<world::Recorded> {
        self.with_world(|w| w.requests.clone())
    }

    /// Adds `count` members named `m01`, `m02`, ... (pt-BR) to the server.
    pub fn add_members(&self, count: usize) {
        self.with_world(|w| {
            let now = world::now_ms();
            for n in 1..=count {
                let id = w.snowflake();
                let user = UserInfo {
                    id,
                    username: format!("m{n:02}"),
                    global_name: Some(format!("Membro {n}")),
                    bot: false,
                    avatar: None,
                };
                let students = w.guilds[0]
                    .roles
                    .iter()
                    .find(|r| r.name == "Estudantes")
                    .map(|r| r.id)
                    .into_iter()
                    .collect();
                w.guilds[0].members.push(MemberInfo {
                    user,
                    roles: students,
                    locale: "pt-BR".into(),
                    joined_ms: now,
                });
            }
        });
    }

    /// Adds `count` more servers, "Servidor 1", "Servidor 2", ... each with a #geral channel,
    /// the bot (with its managed role) and the member `ana`, sending lean GUILD_CREATEs (only the
    /// bot among the members). Their ids spread evenly over shards, as real servers' do. Returns
    /// their ids. Add them before the bot connects: servers joined later are not announced.
    pub fn add_servers(&self, count: usize) -> Vec<u64> {
        self.with_world(|w| {
            let now = world::now_ms();
            let ana = w.guilds[0]
                .member_named("ana")
                .map(|m| m.user.clone())
                .expect("the first server has ana");
            let (owner, bot) = (w.owner.clone(), w.bot.clone());
            let mut ids = Vec::with_capacity(count);
            for n in 0..count {
                // A snowflake's shard is `(id >> 22) % shards`: consecutive milliseconds.
                let ms = now - payloads::DISCORD_EPOCH_MS - 86_400_000 + n as u64;
                let id = (ms << 22) | (w.snowflake() & 0x3f_ffff);
                let bot_role = w.snowflake();
                let channel = w.snowflake();
                let member = |user: &UserInfo, roles: Vec<u64>| MemberInfo {
                    user: user.clone(),
                    roles,
                    locale: "pt-BR".into(),
                    joined_ms: now,
                };
                w.guilds.push(GuildInfo {
                    id,
                    name: format!("Servidor {}", n + 1),
                    locale: if n % 4 == 3 { "en-US" } else { "pt-BR" }.into(),
                    owner_id: owner.id,
                    roles: vec![
                        RoleInfo {
                            id,
                            name: "@everyone".into(),
                            permissions: permissions::EVERYONE,
                            position: 0,
                            managed: false,
                        },
                        RoleInfo {
                            id: bot_role,
                            name: "trilha".into(),
                            permissions: permissions::EVERYONE | permissions::MANAGE_ROLES,
                            position: 1,
                            managed: true,
                        },
                    ],
                    channels: vec![ChannelInfo {
                        id: channel,
                        guild_id: id,
                        name: "geral".into(),
                        bot_denied: 0,
                    }],
                    members: vec![
                        member(&owner, vec![]),
                        member(&ana, vec![]),
                        member(&bot, vec![bot_role]),
                    ],
                    joined_ms: now,
                    icon: None,
                    lean: true,
                });
                ids.push(id);
            }
            ids
        })
    }

    /// A member leaves the server. The bot hears of it (GUILD_MEMBER_REMOVE) only if it asked
    /// for the privileged Server Members intent.
    pub fn leave(&self, name: &str) {
        let (guild, user, with_intent) = self.with_world(|w| {
            let guild = w.guilds[0].id;
            let member = w.guilds[0]
                .member_named(name)
                .cloned()
                .unwrap_or_else(|| panic!("no member {name}"));
            w.guilds[0].members.retain(|m| m.user.id != member.user.id);
            w.departed.push(member.clone());
            (
                guild,
                member.user,
                w.gateway.intents.unwrap_or(0) & (1 << 1) != 0,
            )
        });
        if with_intent {
            self.dispatch(
                "GUILD_MEMBER_REMOVE",
                json!({"guild_id": guild.to_string(), "user": payloads::user(&user)}),
            );
        }
    }

    /// A member who left comes back. The bot hears of it (GUILD_MEMBER_ADD) only if it asked for
    /// the privileged Server Members intent.
    pub fn rejoin(&self, name: &str) {
        let (guild, member, with_intent) = self.with_world(|w| {
            let at = w
                .departed
                .iter()
                .position(|m| m.user.username.eq_ignore_ascii_case(name))
                .unwrap_or_else(|| panic!("{name} has not left"));
            let mut member = w.departed.remove(at);
            member.joined_ms = world::now_ms();
            w.guilds[0].members.push(member.clone());
            (
                w.guilds[0].id,
                member,
                w.gateway.intents.unwrap_or(0) & (1 << 1) != 0,
            )
        });
        if with_intent {
            let mut payload = payloads::member(&member, None);
            payload["guild_id"] = json!(guild.to_string());
            self.dispatch("GUILD_MEMBER_ADD", payload);
        }
    }

    /// Delays the responses to the next `times` matching requests by `delay`, after doing the work.
    pub fn hold(&self, method: &str, path_prefix: &str, delay: Duration, times: u32) {
        self.with_world(|w| {
            w.holds.push(world::Hold {
                method: method.into(),
                path_prefix: path_prefix.into(),
                delay,
                remaining: times,
            })
        });
    }

    /// Denies the bot permission bits in a channel of the server (a channel overwrite).
    pub fn deny_bot(&self, channel: &str, bits: u64) {
        self.with_world(|w| {
            if let Some(c) = w.guilds[0]
                .channels
                .iter_mut()
                .find(|c| c.name == channel.trim_start_matches('#'))
            {
                c.bot_denied |= bits;
            }
        });
    }

    /// The files of a message the bot sent, as (file name, bytes), in the message's order.
    pub fn message_files(&self, message: u64) -> Vec<(String, Vec<u8>)> {
        self.with_world(|w| {
            let Some(m) = w.message(message) else {
                return Vec::new();
            };
            m.body["attachments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    let id: u64 = a["id"].as_str()?.parse().ok()?;
                    let file = w.files.get(&id)?;
                    Some((file.filename.clone(), file.data.clone()))
                })
                .collect()
        })
    }

    /// A message as the bot stored it (with attachment objects and resolved embed images).
    pub fn message_body(&self, message: u64) -> Option<Value> {
        self.with_world(|w| w.message(message).map(|m| m.body.clone()))
    }

    /// The names of a member's roles, sorted.
    pub fn member_roles(&self, name: &str) -> Vec<String> {
        self.with_world(|w| {
            let g = &w.guilds[0];
            let Some(member) = g.member_named(name) else {
                return Vec::new();
            };
            let mut names: Vec<String> = g
                .roles
                .iter()
                .filter(|r| member.roles.contains(&r.id))
                .map(|r| r.name.clone())
                .collect();
            names.sort();
            names
        })
    }

    /// Whether a member accepts direct messages from the bot.
    pub fn set_dms_open(&self, name: &str, open: bool) {
        let id = self.user_id(name);
        self.with_world(|w| {
            if open {
                w.dms_closed.remove(&id);
            } else {
                w.dms_closed.insert(id);
            }
        });
    }

    /// Direct messages the bot sent a member, oldest first, as bodies.
    pub fn dms(&self, name: &str) -> Vec<Value> {
        let id = self.user_id(name);
        self.with_world(|w| {
            let channels: Vec<u64> = w
                .dm_channels
                .iter()
                .filter(|(_, user)| **user == id)
                .map(|(c, _)| *c)
                .collect();
            w.messages
                .iter()
                .filter(|m| channels.contains(&m.channel_id))
                .map(|m| m.body.clone())
                .collect()
        })
    }

    /// Changes a role's permission bits (to take Manage Roles away from the bot, say).
    pub fn set_role_permissions(&self, role: &str, permissions: u64) {
        self.with_world(|w| {
            if let Some(r) = w.guilds[0].roles.iter_mut().find(|r| r.name == role) {
                r.permissions = permissions;
            }
        });
    }

    /// Messages the bot posted in a channel (not ephemeral replies), oldest first, as bodies.
    pub fn posts(&self, channel: &str) -> Vec<(u64, Value)> {
        let id = self.channel_id(channel);
        self.with_world(|w| {
            w.channel_messages(id)
                .into_iter()
                .filter(|m| m.author_id == w.bot.id)
                .map(|m| (m.id, m.body.clone()))
                .collect()
        })
    }

    /// Makes the next `times` matching requests fail with `status` and `body`.
    pub fn fail(
        &self,
        method: &str,
        path_prefix: &str,
        status: u16,
        body: Value,
        times: u32,
        after_effect: bool,
    ) {
        self.with_world(|w| {
            w.failures.push(InjectedFailure {
                method: method.into(),
                path_prefix: path_prefix.into(),
                status,
                body,
                remaining: times,
                after_effect,
            })
        });
    }
}

#[cfg(test)]
mod tests;
