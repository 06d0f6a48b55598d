//! The local Discord's state: one application, its guilds, what the bot registered and sent,
//! and a record of every request.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::payloads::{ChannelInfo, MemberInfo, RoleInfo, UserInfo};
use crate::rules::Violation;

/// Discord's permission bits used here.
pub mod permissions {
    pub const CREATE_INSTANT_INVITE: u64 = 1 << 0;
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const MANAGE_CHANNELS: u64 = 1 << 4;
    pub const MANAGE_GUILD: u64 = 1 << 5;
    pub const ADD_REACTIONS: u64 = 1 << 6;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const MENTION_EVERYONE: u64 = 1 << 17;
    pub const MANAGE_ROLES: u64 = 1 << 28;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
    /// What @everyone may do in a typical community server.
    pub const EVERYONE: u64 = CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | SEND_MESSAGES_IN_THREADS;
    pub const ALL: u64 = (1 << 50) - 1;
}

#[derive(Clone, Debug)]
pub struct GuildInfo {
    pub id: u64,
    pub name: String,
    pub locale: String,
    pub owner_id: u64,
    pub roles: Vec<RoleInfo>,
    pub channels: Vec<ChannelInfo>,
    pub members: Vec<MemberInfo>,
    pub joined_ms: u64,
    /// The server's icon hash (`None`: no icon); the CDN serves it.
    pub icon: Option<String>,
    /// GUILD_CREATE lists only the bot among the members, as Discord sends a large server to a
    /// bot without the privileged intents (the members still act in interactions).
    pub lean: bool,
}

impl GuildInfo {
    /// A member's guild-level permissions: @everyone (the role with the guild's id) plus their
    /// roles; owners and administrators get everything.
    pub fn permissions_of(&self, user_id: u64) -> u64 {
        if user_id == self.owner_id {
            return permissions::ALL;
        }
        let Some(member) = self.members.iter().find(|m| m.user.id == user_id) else {
            return 0;
        };
        let mut bits = self
            .roles
            .iter()
            .find(|r| r.id == self.id)
            .map_or(0, |r| r.permissions);
        for role in &self.roles {
            if member.roles.contains(&role.id) {
                bits |= role.permissions;
            }
        }
        if bits & permissions::ADMINISTRATOR != 0 {
            return permissions::ALL;
        }
        bits
    }

    /// Permissions in a channel, after the channel's denials for the bot.
    pub fn channel_permissions(&self, user_id: u64, channel_id: u64, bot_id: u64) -> u64 {
        let base = self.permissions_of(user_id);
        match self.channels.iter().find(|c| c.id == channel_id) {
            Some(c) if user_id == bot_id => base & !c.bot_denied,
            _ => base,
        }
    }

    /// The position of a member's highest role (0: only @everyone).
    pub fn top_position(&self, user_id: u64) -> u32 {
        let Some(member) = self.member(user_id) else {
            return 0;
        };
        self.roles
            .iter()
            .filter(|r| member.roles.contains(&r.id))
            .map(|r| r.position)
            .max()
            .unwrap_or(0)
    }

    pub fn member(&self, user_id: u64) -> Option<&MemberInfo> {
        self.members.iter().find(|m| m.user.id == user_id)
    }

    pub fn member_named(&self, name: &str) -> Option<&MemberInfo> {
        self.members
            .iter()
            .find(|m| m.user.username.eq_ignore_ascii_case(name))
    }

    pub fn channel_named(&self, name: &str) -> Option<&ChannelInfo> {
        self.channels
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name.trim_start_matches('#')))
    }
}

/// One HTTP request the bot made, and what the local Discord answered.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    /// The JSON body (a multipart body's `payload_json`).
    pub body: Option<Value>,
    /// Files of a multipart body: (form field, file name, bytes).
    pub files: Vec<(String, String, usize)>,
    pub status: u16,
    pub at: Instant,
}

/// A file the bot uploaded, as Discord keeps it (served from the CDN in real life).
#[derive(Clone, Debug)]
pub struct StoredFile {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// A broken rule, with the request it was found in.
#[derive(Clone, Debug)]
pub struct RecordedViolation {
    pub method: String,
    pub path: String,
    pub violation: Violation,
}

impl std::fmt::Display for RecordedViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.method, self.path, self.violation)
    }
}

#[derive(Clone, Debug)]
pub struct InteractionRecord {
    pub id: u64,
    pub token: String,
    pub kind: u8,
    pub user_id: u64,
    pub guild_id: Option<u64>,
    pub channel_id: u64,
    pub sent_at: Instant,
    /// The callback body and when it arrived.
    pub response: Option<(Instant, Value)>,
    /// The message created by a type-4 response.
    pub original_message: Option<u64>,
    /// For a button press: the message the button is on.
    pub component_message: Option<u64>,
    /// After a deferral (type 5 or 6): the edit of the original response or the follow-up
    /// that delivered the answer, and when.
    pub completion: Option<(Instant, Value)>,
    /// The shard whose connection the interaction was dispatched on (`None`: no live session).
    pub shard: Option<u64>,
}

impl InteractionRecord {
    pub fn latency(&self) -> Option<Duration> {
        self.response
            .as_ref()
            .map(|(at, _)| at.duration_since(self.sent_at))
    }
}

/// A message in a channel (or an ephemeral one, visible to one user).
#[derive(Clone, Debug)]
pub struct StoredMessage {
    pub id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    pub body: Value,
    pub nonce: Option<String>,
    pub created: Instant,
    /// Who it was posted for (the interaction's user), for ephemeral replies.
    pub for_user: Option<u64>,
}

/// A failure the next matching requests will get, to test how the bot copes.
#[derive(Clone, Debug)]
pub struct InjectedFailure {
    pub method: String,
    /// A path prefix such as `/api/v10/channels/123/messages`.
    pub path_prefix: String,
    pub status: u16,
    pub body: Value,
    pub remaining: u32,
    /// Perform the request, then fail the response (the bot cannot tell it happened).
    pub after_effect: bool,
}

/// A response the local Discord delays after doing the work (to test a client dying while it
/// waits: the effect happened, the client never learns it).
#[derive(Clone, Debug)]
pub struct Hold {
    pub method: String,
    pub path_prefix: String,
    pub delay: std::time::Duration,
    pub remaining: u32,
}

/// One shard's session: what IDENTIFY started and RESUME continues.
#[derive(Clone, Debug)]
pub struct ShardSession {
    pub shard: u64,
    pub total: u64,
    pub session_id: String,
    pub seq: u64,
    /// Recent dispatches (seq, frame), replayed on RESUME.
    pub buffer: std::collections::VecDeque<(u64, Value)>,
    /// The connection it is live on; `None` while the client is away (it may resume).
    pub conn: Option<u64>,
}

impl ShardSession {
    /// Whether this session receives a server's events: `(guild_id >> 22) % total == shard`.
    pub fn owns(&self, guild_id: u64) -> bool {
        (guild_id >> 22) % self.total == self.shard
    }
}

#[derive(Clone, Debug)]
pub struct GatewayState {
    pub identifies: u32,
    pub resumes: u32,
    pub heartbeats: u32,
    pub connections_opened: u32,
    /// Sessions by shard id. A new IDENTIFY for a shard replaces its session.
    pub sessions: HashMap<u64, ShardSession>,
    /// `session_start_limit.max_concurrency`: IDENTIFYs allowed per 5 s, one per rate-limit
    /// bucket (`shard_id % max_concurrency`).
    pub max_concurrency: u64,
    /// The window of that limit (Discord: 5 s).
    pub identify_interval: Duration,
    /// How much sooner than `identify_interval` an IDENTIFY may arrive and still pass: clients
    /// space IDENTIFYs by their own clock (serenity: 5 s between connection starts), and they
    /// arrive with the jitter of the network and of a busy client (seen here: 1.3 ms early under
    /// load). Discord measures on arrival; a limit that refused a client 1 ms early would refuse
    /// every library, so some tolerance is the faithful model. Refusals below it are recorded.
    pub identify_jitter: Duration,
    /// Every accepted IDENTIFY: (shard, when).
    pub identify_log: Vec<(u64, Instant)>,
    /// IDENTIFYs refused for coming too fast (answered with INVALID_SESSION, as Discord does):
    /// (shard, time since the bucket's last accepted IDENTIFY).
    pub identify_refusals: Vec<(u64, Duration)>,
    pub intents: Option<u64>,
    pub last_identify_token: Option<String>,
}

impl Default for GatewayState {
    fn default() -> Self {
        GatewayState {
            identifies: 0,
            resumes: 0,
            heartbeats: 0,
            connections_opened: 0,
            sessions: HashMap::new(),
            max_concurrency: 1,
            identify_interval: Duration::from_secs(5),
            identify_jitter: Duration::from_millis(250),
            identify_log: Vec::new(),
            identify_refusals: Vec::new(),
            intents: None,
            last_identify_token: None,
        }
    }
}

impl GatewayState {
    /// The shard that receives a server's events, or direct messages' (`None`: shard 0), if
    /// any session covers it.
    pub fn shard_for(&self, guild_id: Option<u64>) -> Option<u64> {
        self.sessions
            .values()
            .find(|s| match guild_id {
                Some(g) => s.owns(g),
                None => s.shard == 0,
            })
            .map(|s| s.shard)
    }

    /// Shards with a live connection, sorted.
    pub fn connected_shards(&self) -> Vec<u64> {
        let mut shards: Vec<u64> = self
            .sessions
            .values()
            .filter(|s| s.conn.is_some())
            .map(|s| s.shard)
            .collect();
        shards.sort_unstable();
        shards
    }

    /// The live connection that receives a server's events (or direct messages').
    pub fn connection_for(&self, guild_id: Option<u64>) -> Option<u64> {
        let shard = self.shard_for(guild_id)?;
        self.sessions.get(&shard)?.conn
    }
}

pub struct World {
    pub application_id: u64,
    pub bot: UserInfo,
    pub owner: UserInfo,
    pub token: String,
    pub guilds: Vec<GuildInfo>,
    pub global_commands: Vec<Value>,
    pub guild_commands: HashMap<u64, Vec<Value>>,
    /// Bulk overwrites received: (scope guild or None, when).
    pub command_writes: Vec<(Option<u64>, Instant)>,
    pub requests: Vec<Recorded>,
    pub violations: Vec<RecordedViolation>,
    pub interactions: HashMap<u64, InteractionRecord>,
    pub messages: Vec<StoredMessage>,
    pub failures: Vec<InjectedFailure>,
    pub holds: Vec<Hold>,
    pub gateway: GatewayState,
    pub compress: bool,
    pub heartbeat_interval_ms: u64,
    /// The WebSocket URL `GET /gateway` hands out.
    pub gateway_url: String,
    /// The application has the privileged Server Members intent enabled (Bot page).
    pub members_intent_enabled: bool,
    /// `GET /gateway/bot`: the recommended shard count (`None`: Discord's rule of thumb, one
    /// shard per 1 000 servers) and the session starts left today.
    pub recommended_shards: Option<u32>,
    pub session_starts_remaining: u64,
    /// IDENTIFY: a shard holding more servers than this is closed with 4011 (Discord: 2 500).
    pub max_guilds_per_shard: usize,
    /// IDENTIFY: a test hook, Discord closing every IDENTIFY with this code.
    pub identify_close: Option<u16>,
    /// New gateway connections are closed at once (an outage).
    pub gateway_down: bool,
    /// Members who left, kept so they can come back.
    pub departed: Vec<MemberInfo>,
    /// Every REST request waits this long before it is handled (a slow Discord).
    pub rest_delay: Duration,
    /// How the CDN misbehaves (see [`crate::cdn`]).
    pub cdn_fault: crate::cdn::CdnFault,
    /// Every CDN path asked for, in order.
    pub cdn_requests: Vec<String>,
    /// Files uploaded with messages, by attachment id.
    pub files: HashMap<u64, StoredFile>,
    /// Direct-message channels the bot opened: channel id -> user id.
    pub dm_channels: HashMap<u64, u64>,
    /// Users who do not accept direct messages (Discord answers 50007).
    pub dms_closed: std::collections::HashSet<u64>,
    /// REST rate limits, when a test turns them on.
    pub rate_limits: Option<crate::ratelimit::RateLimits>,
    next_id: u64,
}

/// Wall-clock milliseconds, for snowflakes.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl World {
    pub fn new(token: String) -> World {
        let mut world = World {
            application_id: 0,
            bot: UserInfo {
                id: 0,
                username: String::new(),
                global_name: None,
                bot: true,
                avatar: None,
            },
            owner: UserInfo {
                id: 0,
                username: String::new(),
                global_name: None,
                bot: false,
                avatar: None,
            },
            token,
            guilds: Vec::new(),
            global_commands: Vec::new(),
            guild_commands: HashMap::new(),
            command_writes: Vec::new(),
            requests: Vec::new(),
            files: HashMap::new(),
            dm_channels: HashMap::new(),
            dms_closed: Default::default(),
            violations: Vec::new(),
            interactions: HashMap::new(),
            messages: Vec::new(),
            failures: Vec::new(),
            holds: Vec::new(),
            gateway: GatewayState::default(),
            compress: false,
            heartbeat_interval_ms: 41_250,
            gateway_url: String::new(),
            members_intent_enabled: false,
            recommended_shards: None,
            session_starts_remaining: 999,
            max_guilds_per_shard: 2500,
            identify_close: None,
            gateway_down: false,
            departed: Vec::new(),
            rest_delay: Duration::ZERO,
            cdn_fault: Default::default(),
            cdn_requests: Vec::new(),
            rate_limits: None,
            next_id: 0,
        };
        world.application_id = world.snowflake();
        world.bot = UserInfo {
            id: world.application_id,
            username: "trilha".into(),
            global_name: Some("trilha".into()),
            bot: true,
            avatar: None,
        };
        world.owner = UserInfo {
            id: world.snowflake(),
            username: "owner".into(),
            global_name: None,
            bot: false,
            avatar: None,
        };
        world
    }

    /// A fresh snowflake: current time in the high bits, a counter in the low ones.
    pub fn snowflake(&mut self) -> u64 {
        self.next_id += 1;
        ((now_ms() - crate::payloads::DISCORD_EPOCH_MS) << 22) | (self.next_id & 0x3f_ffff)
    }

    /// The shard count `GET /gateway/bot` recommends.
    pub fn recommended(&self) -> u32 {
        self.recommended_shards
            .unwrap_or_else(|| (self.guilds.len() as u32).div_ceil(1000).max(1))
    }

    pub fn guild(&self, id: u64) -> Option<&GuildInfo> {
        self.guilds.iter().find(|g| g.id == id)
    }

    pub fn guild_mut(&mut self, id: u64) -> Option<&mut GuildInfo> {
        self.guilds.iter_mut().find(|g| g.id == id)
    }

    /// The guild that owns a channel.
    pub fn channel(&self, channel_id: u64) -> Option<(&GuildInfo, &ChannelInfo)> {
        self.guilds.iter().find_map(|g| {
            g.channels
                .iter()
                .find(|c| c.id == channel_id)
                .map(|c| (g, c))
        })
    }

    pub fn message(&self, id: u64) -> Option<&StoredMessage> {
        self.messages.iter().find(|m| m.id == id)
    }

    /// Messages posted in a channel by the bot, oldest first (ephemeral replies excluded).
    pub fn channel_messages(&self, channel_id: u64) -> Vec<&StoredMessage> {
        self.messages
            .iter()
            .filter(|m| m.channel_id == channel_id && m.for_user.is_none())
            .collect()
    }

    /// Commands visible in a guild (global plus that guild's), as registered.
    pub fn commands_for(&self, guild_id: Option<u64>) -> Vec<Value> {
        let mut out = self.global_commands.clone();
        if let Some(g) = guild_id {
            out.extend(self.guild_commands.get(&g).cloned().unwrap_or_default());
        }
        out
    }
}
