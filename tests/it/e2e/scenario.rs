//! Scenarios as data: `tests/scenarios/*.toml`, each played against its own local Discord,
//! bot process and database. See the README, "Testing against a local Discord".

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use local_discord::{Context, LocalDiscord, Options, Response};
use serde::Deserialize;

use super::bot::Bot;
use crate::engines::{Engine, TestDatabase};
use crate::support::Sandbox;

/// How long a step may wait for the bot (generous: the deadline itself is checked separately).
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// A new IDENTIFY after INVALID_SESSION comes about 5 s later (serenity's identify queue).
const REIDENTIFY_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub description: String,
    #[serde(default)]
    pub discord: DiscordSettings,
    #[serde(default)]
    pub bot: BotSettings,
    pub step: Vec<Step>,
}

/// How the local Discord is set up.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct DiscordSettings {
    /// The application has the privileged Server Members intent enabled.
    #[serde(default)]
    pub members_intent: bool,
    /// Extra members m01, m02, ... (pt-BR) in the server.
    #[serde(default)]
    pub extra_members: usize,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct BotSettings {
    /// Start the bot's clock at this instant (RFC 3339) and let `advance` steps move it.
    pub clock: Option<String>,
    /// Set DEV_GUILD_ID to the local server (commands registered there, not globally).
    #[serde(default)]
    pub dev_guild: bool,
    /// zlib-compressed binary gateway frames.
    #[serde(default)]
    pub compress: bool,
    #[serde(default)]
    pub heartbeat_ms: Option<u64>,
    /// Extra environment for the bot.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Log lines containing "ERROR" are allowed (scenarios that provoke failures).
    #[serde(default)]
    pub allow_errors: bool,
    /// Run the bot under this command (its path appended), e.g. `unshare` for a small disk.
    #[serde(default)]
    pub wrapper: Vec<String>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// A slash command as a member types it.
    pub slash: Option<String>,
    /// Typing into an autocomplete option: the last option is the focused one.
    pub autocomplete: Option<String>,
    /// Press a button (by label or custom_id) on the last reply, or on the reply named by `on`.
    pub press: Option<String>,
    /// `reconnect` (op 7) or `invalidate_session` (op 9).
    pub gateway: Option<String>,
    /// `kill`: kill -9 the bot and start it again on the same database.
    pub restart: Option<String>,
    /// Send a raw dispatch: `{ name = "...", data = {...} }`.
    pub dispatch: Option<RawDispatch>,

    /// A member leaves the server.
    pub leave: Option<String>,
    /// A member who left comes back.
    pub rejoin: Option<String>,
    /// Moves the bot's clock forward: "90s", "10m", "25h", "3d" (needs `[bot] clock`).
    pub advance: Option<String>,

    /// Waits for the bot's next post in this channel (by name); `expect` applies to it, and
    /// `name` lets a later `press` use its buttons.
    pub wait_post: Option<String>,
    /// Denies the bot permissions in a channel: `{ channel = "estudos", permissions = ["SEND_MESSAGES"] }`.
    pub deny: Option<Deny>,
    /// Delays the next matching response after doing the work:
    /// `{ method = "POST", path = "/api/v10/channels/{estudos}/messages", seconds = 8 }`.
    pub hold: Option<Hold>,
    /// Waits until the local Discord received matching requests: `{ method, path, count }`.
    pub wait_request: Option<RequestCount>,

    /// Who acts (a member of the local server): ana (Manage Server), bruno, carla (en-US).
    #[serde(rename = "as")]
    pub user: Option<String>,
    /// The same action by each of these members, in order (the expectation applies to each).
    #[serde(default)]
    pub as_each: Vec<String>,
    pub locale: Option<String>,
    pub channel: Option<String>,
    #[serde(default)]
    pub dm: bool,
    /// Act as if an admin granted this member a command hidden by default.
    #[serde(default)]
    pub permission_override: bool,
    /// Name this step's reply, for a later `on`.
    pub name: Option<String>,
    /// The reply whose message a `press` targets.
    pub on: Option<String>,

    pub expect: Option<Expect>,
    pub check: Option<Check>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RawDispatch {
    pub name: String,
    pub data: toml::Value,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Deny {
    pub channel: String,
    pub permissions: Vec<String>,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Hold {
    pub method: String,
    pub path: String,
    pub seconds: u64,
}

#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RequestCount {
    pub method: String,
    pub path: String,
    pub count: usize,
}

fn permission_bit(name: &str) -> Option<u64> {
    use local_discord::world::permissions::*;
    Some(match name {
        "VIEW_CHANNEL" => VIEW_CHANNEL,
        "SEND_MESSAGES" => SEND_MESSAGES,
        "EMBED_LINKS" => EMBED_LINKS,
        "CREATE_PUBLIC_THREADS" => CREATE_PUBLIC_THREADS,
        "SEND_MESSAGES_IN_THREADS" => SEND_MESSAGES_IN_THREADS,
        _ => return None,
    })
}

#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Interaction callback type: 4 message, 7 update, 8 autocomplete.
    #[serde(rename = "type")]
    pub kind: Option<u64>,
    pub ephemeral: Option<bool>,
    pub title: Option<String>,
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub not_contains: Vec<String>,
    pub choices_first: Option<String>,
    #[serde(default)]
    pub choices_include: Vec<String>,
    pub choices_max: Option<usize>,
    pub choices_min: Option<usize>,
    #[serde(default)]
    pub buttons_include: Vec<String>,
    /// The reply pings nobody (`allowed_mentions` parses nothing and lists nobody).
    pub no_mentions: Option<bool>,
    /// The local Discord refused to send the interaction (e.g. a command hidden from the member).
    pub refused: Option<String>,
    /// The only roles the message may ping (by name); nobody else.
    pub mentions_roles: Option<Vec<String>>,
    /// The message carries exactly these files (PNG pictures), in order, and its first embed
    /// shows the first one.
    pub files: Option<Vec<String>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub identifies: Option<u32>,
    pub resumes: Option<u32>,
    /// At least this many heartbeats were sent (and acknowledged).
    pub heartbeats_min: Option<u32>,
    /// Bulk command overwrites received so far.
    pub command_writes: Option<usize>,
    /// `guild` or `global`: where the commands are registered (and not the other).
    pub registered_in: Option<String>,
    /// Every registered command, option and choice carries a pt-BR name and description.
    pub registered_localized: Option<bool>,
    #[serde(default)]
    pub registered_commands: Vec<String>,
    /// Bot posts per channel, exactly, after a short settle (proves that nothing else came).
    #[serde(default)]
    pub posts: BTreeMap<String, usize>,
    /// Requests received per "METHOD /path" (placeholders allowed), exactly.
    #[serde(default)]
    pub requests: BTreeMap<String, usize>,
    /// Every request to these "METHOD /path" carried the same message nonce, enforced.
    #[serde(default)]
    pub same_nonce: Vec<String>,
    /// Lines in the bot's log (all runs) containing the key, exactly.
    #[serde(default)]
    pub log_count: BTreeMap<String, usize>,
    /// Lines in the bot's log (current run) containing the key, exactly.
    #[serde(default)]
    pub log_count_run: BTreeMap<String, usize>,
}

/// What a scenario left behind, for the suite's summary.
#[derive(Default)]
pub struct Outcome {
    pub latencies: Vec<Duration>,
    pub violations: Vec<String>,
}

/// Channels and roles of the local server, by name.
struct Named {
    channels: Vec<(String, u64)>,
    roles: Vec<(String, u64)>,
}

pub struct Player {
    /// Bot posts already consumed by `wait_post`, per channel.
    posts_seen: BTreeMap<String, usize>,
    /// Every member the server had at the start, by name (they may leave later).
    roster: Vec<(String, u64)>,
    /// The bot's clock (epoch seconds), when the scenario drives it.
    clock: Option<(std::path::PathBuf, i64)>,
    pub discord: LocalDiscord,
    pub bot: Bot,
    /// Keeps the database folder alive for the bot.
    sandbox: Sandbox,
    last: Option<Response>,
    named: BTreeMap<String, Response>,
    pub outcome: Arc<Mutex<Outcome>>,
}

fn fail<T>(step: usize, what: impl std::fmt::Display) -> Result<T, String> {
    Err(format!("step {}: {what}", step + 1))
}

impl BotSettings {
    /// For tests that provoke failures: `ERROR` lines in the bot's log are expected.
    pub fn allowing_errors() -> BotSettings {
        BotSettings {
            allow_errors: true,
            ..BotSettings::default()
        }
    }

    /// A bot on a test clock starting at `start` (RFC 3339), whose scheduler ticks every 0.1 s
    /// so `advance` is followed at once.
    pub fn clocked(start: &str) -> BotSettings {
        let mut settings = BotSettings {
            clock: Some(start.into()),
            ..BotSettings::default()
        };
        settings
            .env
            .insert("PROMPT_TICK_SECONDS".into(), "0.1".into());
        settings
    }
}

impl Player {
    /// A bot with `settings` against a local Discord with its default server.
    pub async fn launch(settings: BotSettings) -> Player {
        Player::start(&DiscordSettings::default(), &settings)
            .await
            .unwrap_or_else(|e| panic!("the bot starts: {e}"))
    }

    /// Fails the test if the bot sent anything Discord would have refused.
    pub fn assert_no_violations(&self) {
        let violations = self.discord.violations();
        assert!(violations.is_empty(), "{violations:?}");
    }

    pub async fn start(
        discord_settings: &DiscordSettings,
        settings: &BotSettings,
    ) -> Result<Player, String> {
        let options = Options {
            compress: settings.compress,
            heartbeat_interval: Duration::from_millis(settings.heartbeat_ms.unwrap_or(41_250)),
            members_intent_enabled: discord_settings.members_intent,
            ..Options::default()
        };
        let discord = LocalDiscord::start(options)
            .await
            .map_err(|e| e.to_string())?;
        discord.add_members(discord_settings.extra_members);
        let sandbox = Sandbox::new();
        let mut env: Vec<(String, String)> = settings
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if settings.dev_guild {
            env.push(("DEV_GUILD_ID".into(), discord.guild_id().to_string()));
        }
        let clock = match &settings.clock {
            Some(start) => {
                let at = start
                    .parse::<jiff::Timestamp>()
                    .map_err(|e| format!("bot.clock: {e}"))?
                    .as_second();
                let path = sandbox.dir.path().join("clock");
                write_clock(&path, at).map_err(|e| e.to_string())?;
                env.push(("TRILHA_CLOCK_FILE".into(), path.display().to_string()));
                Some((path, at))
            }
            None => None,
        };
        let bot = Bot::start_wrapped(&discord, &sandbox, &env, &settings.wrapper);
        let roster = discord.with_world(|w| {
            w.guilds[0]
                .members
                .iter()
                .map(|m| (m.user.username.clone(), m.user.id))
                .collect()
        });
        let player = Player {
            posts_seen: BTreeMap::new(),
            roster,
            clock,
            discord,
            bot,
            sandbox,
            last: None,
            named: BTreeMap::new(),
            outcome: Arc::default(),
        };
        player.wait_ready(1).await?;
        Ok(player)
    }

    /// The bot's health listener (`/healthz`, `/metrics`), at the address it reports having bound
    /// (scenarios run it on port 0, so there is no race for a free port).
    pub async fn health_base(&self) -> String {
        format!("http://{}", self.bot.health_addr(STEP_TIMEOUT).await)
    }

    /// `/metrics` as text.
    pub async fn metrics(&self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let base = self.health_base().await;
        let mut stream = tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
            .await
            .expect("the health listener answers");
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut out = String::new();
        stream.read_to_string(&mut out).await.unwrap();
        out
    }

    /// Waits until the prompt scheduler has finished a tick at the bot's current time (the
    /// scenario's clock): everything due by then has been posted, skipped or left to retry, so
    /// counting posts now proves what was (and was not) posted.
    pub async fn wait_scheduler_caught_up(&self, i: usize) -> Result<(), String> {
        let now = match &self.clock {
            Some((_, at)) => *at,
            None => jiff::Timestamp::now().as_second(),
        };
        let deadline = std::time::Instant::now() + STEP_TIMEOUT;
        loop {
            let metrics = self.metrics().await;
            let last = metrics
                .lines()
                .find_map(|l| l.strip_prefix("trilha_prompt_scheduler_last_tick_seconds "))
                .and_then(|v| v.trim().parse::<i64>().ok());
            if last.is_some_and(|t| t >= now) {
                return Ok(());
            }
            if std::time::Instant::now() > deadline {
                return fail(
                    i,
                    format!("the prompt scheduler never finished a tick at {now} (last: {last:?})"),
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Moves the bot's clock forward ("90s", "25h"); needs `[bot] clock`.
    pub fn advance(&mut self, span: &str) {
        let (path, at) = self.clock.as_mut().expect("`advance` needs `[bot] clock`");
        *at += parse_span(span).expect("a span like 90s, 10m, 25h, 3d");
        write_clock(path, *at).expect("clock file");
    }

    /// The bot's working folder and database.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Runs a slash command as `user` in the default channel and waits for the bot's answer.
    pub async fn command(&self, user: &str, text: &str) -> local_discord::Response {
        let id = self
            .discord
            .slash(user, text, &local_discord::Context::default())
            .unwrap_or_else(|e| panic!("{text}: {e}"));
        self.discord
            .answer(id, STEP_TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("{text}: {e}\n{}", self.bot.log_text()))
    }

    /// `kill -9` and a new run of the bot on the same database, ready to answer.
    pub async fn restart(&mut self) -> Result<(), String> {
        self.bot.restart();
        self.wait_ready(1).await
    }

    /// Waits for the `nth` READY of the current bot run to have been handled.
    async fn wait_ready(&self, nth: usize) -> Result<(), String> {
        let ready = self.bot.wait_log("gateway ready", nth, STEP_TIMEOUT).await;
        if let Err(e) = ready {
            return Err(format!("{e}\nbot log:\n{}", self.bot.log_text()));
        }
        self.discord.wait_connected(STEP_TIMEOUT).await
    }

    fn context(step: &Step) -> Context {
        Context {
            channel: step.channel.clone(),
            dm: step.dm,
            locale: step.locale.clone(),
            permission_override: step.permission_override,
            guild: None,
            ..Context::default()
        }
    }

    pub async fn play_step(&mut self, i: usize, step: &Step) -> Result<(), String> {
        if !step.as_each.is_empty() {
            for user in &step.as_each {
                self.act(i, step, user).await?;
            }
        } else {
            let user = step.user.clone().unwrap_or_else(|| "bruno".into());
            self.act(i, step, &user).await?;
        }
        if let Some(name) = &step.leave {
            self.discord.leave(name);
        }
        if let Some(name) = &step.rejoin {
            self.discord.rejoin(name);
        }
        if let Some(span) = &step.advance {
            let Some((path, at)) = &mut self.clock else {
                return fail(i, "`advance` needs `[bot] clock`");
            };
            *at += parse_span(span).ok_or_else(|| {
                format!(
                    "step {}: `{span}` is not a duration like 90s, 10m, 25h, 3d",
                    i + 1
                )
            })?;
            write_clock(path, *at).map_err(|e| e.to_string())?;
        }
        self.after_actions(i, step).await
    }

    fn check_expectation(
        &self,
        i: usize,
        expect: &Expect,
        response: &Response,
    ) -> Result<(), String> {
        let expanded = Expect {
            contains: expect.contains.iter().map(|c| self.expand(c)).collect(),
            not_contains: expect.not_contains.iter().map(|c| self.expand(c)).collect(),
            ..expect.clone()
        };
        check_expect(i, &expanded, response)?;
        if let Some(expected) = &expect.files {
            let message = response
                .message
                .ok_or_else(|| format!("step {}: no message", i + 1))?;
            let files = self.discord.message_files(message);
            let names: Vec<&String> = files.iter().map(|(name, _)| name).collect();
            if names != expected.iter().collect::<Vec<_>>() {
                return fail(i, format!("files {names:?}, expected {expected:?}"));
            }
            if let Some((name, data)) = files
                .iter()
                .find(|(_, d)| !d.starts_with(b"\x89PNG\r\n\x1a\n"))
            {
                return fail(i, format!("{name} is not a PNG ({} bytes)", data.len()));
            }
            let stored = self.discord.message_body(message).unwrap_or_default();
            let shown = stored["embeds"][0]["image"]["url"]
                .as_str()
                .unwrap_or_default();
            if !expected.is_empty() && !shown.ends_with(&format!("/{}", expected[0])) {
                return fail(i, format!("the embed shows `{shown}`, not {}", expected[0]));
            }
        }
        if let Some(roles) = &expect.mentions_roles {
            let ids: Vec<String> = roles
                .iter()
                .map(|r| self.discord.role_id(r).to_string())
                .collect();
            let am = &response.body["data"]["allowed_mentions"];
            let listed: Vec<String> = am["roles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let empty = |key: &str| am[key].as_array().is_none_or(Vec::is_empty);
            if listed != ids || !empty("parse") || !empty("users") {
                return fail(
                    i,
                    format!("allowed_mentions = {am}, expected only roles {ids:?}"),
                );
            }
        }
        Ok(())
    }

    /// The local server's channels and roles, by name.
    fn named_ids(&self) -> Named {
        self.discord.with_world(|w| {
            let g = &w.guilds[0];
            Named {
                channels: g.channels.iter().map(|c| (c.name.clone(), c.id)).collect(),
                roles: g.roles.iter().map(|r| (r.name.clone(), r.id)).collect(),
            }
        })
    }

    /// Replaces `{name}` (a member, channel or role of the local server) with its id, for paths.
    fn expand_path(&self, text: &str) -> String {
        let named = self.named_ids();
        let mut out = text.to_string();
        for (name, id) in named
            .channels
            .iter()
            .chain(&named.roles)
            .chain(&self.roster)
        {
            out = out.replace(&format!("{{{name}}}"), &id.to_string());
        }
        out
    }

    /// Replaces `{member}`, `{#channel}` and `{&role}` with their mentions, for texts.
    fn expand(&self, text: &str) -> String {
        let named = self.named_ids();
        let mut out = text.to_string();
        for (name, id) in &named.channels {
            out = out.replace(&format!("{{#{name}}}"), &format!("<#{id}>"));
        }
        for (name, id) in &named.roles {
            out = out.replace(&format!("{{&{name}}}"), &format!("<@&{id}>"));
        }
        for (name, id) in &self.roster {
            out = out.replace(&format!("{{{name}}}"), &format!("<@{id}>"));
        }
        out
    }

    async fn act(&mut self, i: usize, step: &Step, user: &str) -> Result<(), String> {
        let user = user.to_string();
        let ctx = Self::context(step);
        let sent = if let Some(text) = &step.slash {
            Some(self.discord.slash(&user, text, &ctx))
        } else if let Some(text) = &step.autocomplete {
            Some(self.discord.autocomplete(&user, text, &ctx))
        } else if let Some(button) = &step.press {
            let target = match &step.on {
                Some(name) => self
                    .named
                    .get(name)
                    .ok_or_else(|| format!("step {}: no reply named `{name}`", i + 1))?,
                None => self
                    .last
                    .as_ref()
                    .ok_or_else(|| format!("step {}: nothing to press on yet", i + 1))?,
            };
            let message = target
                .message
                .ok_or_else(|| format!("step {}: the reply created no message", i + 1))?;
            Some(self.discord.press(&user, message, button, &ctx))
        } else {
            None
        };
        if let Some(sent) = sent {
            let expect = step.expect.as_ref();
            let interaction = match (sent, expect.and_then(|e| e.refused.as_ref())) {
                (Err(e), Some(needle)) if e.contains(needle.as_str()) => return Ok(()),
                (Err(e), _) => return fail(i, format!("the local Discord could not send it: {e}")),
                (Ok(_), Some(needle)) => {
                    return fail(
                        i,
                        format!("expected the local Discord to refuse it ({needle})"),
                    );
                }
                (Ok(id), None) => id,
            };
            let response = match self.discord.answer(interaction, STEP_TIMEOUT).await {
                Ok(r) => r,
                Err(e) => return fail(i, format!("{e}\nbot log:\n{}", self.bot.log_text())),
            };
            self.outcome
                .lock()
                .expect("outcome")
                .latencies
                .push(response.latency);
            // Every reply of every scenario: no template left a `{placeholder}` unfilled.
            if let Some(placeholder) = leftover_placeholder(&response.text()) {
                return fail(
                    i,
                    format!(
                        "the reply shows `{placeholder}` unfilled:\n{:#}",
                        response.body
                    ),
                );
            }
            if let Some(expect) = expect {
                self.check_expectation(i, expect, &response)?;
            }
            if let Some(name) = &step.name {
                self.named.insert(name.clone(), response.clone());
            }
            // A message update keeps pointing at the same message.
            if response.message.is_some() {
                self.last = Some(response);
            }
        }
        Ok(())
    }

    async fn after_actions(&mut self, i: usize, step: &Step) -> Result<(), String> {
        if let Some(deny) = &step.deny {
            let mut bits = 0;
            for name in &deny.permissions {
                bits |= permission_bit(name)
                    .ok_or_else(|| format!("step {}: unknown permission {name}", i + 1))?;
            }
            self.discord.deny_bot(&deny.channel, bits);
        }
        if let Some(hold) = &step.hold {
            let path = self.expand_path(&hold.path);
            self.discord
                .hold(&hold.method, &path, Duration::from_secs(hold.seconds), 1);
        }
        if let Some(wait) = &step.wait_request {
            let path = self.expand_path(&wait.path);
            let (method, count) = (wait.method.clone(), wait.count);
            self.discord
                .wait_until("requests", STEP_TIMEOUT, move |w| {
                    (w.requests
                        .iter()
                        .filter(|r| r.method == method && r.path == path)
                        .count()
                        >= count)
                        .then_some(())
                })
                .await
                .map_err(|e| format!("step {}: {e}", i + 1))?;
        }
        if let Some(channel) = &step.wait_post {
            let seen = self.posts_seen.get(channel).copied().unwrap_or(0);
            let id = self.discord.channel_id(channel);
            let bot = self.discord.with_world(|w| w.bot.id);
            let post = self
                .discord
                .wait_until("a post", STEP_TIMEOUT, move |w| {
                    let posts: Vec<_> = w
                        .channel_messages(id)
                        .into_iter()
                        .filter(|m| m.author_id == bot)
                        .collect();
                    posts.get(seen).map(|m| (m.id, m.body.clone()))
                })
                .await
                .map_err(|e| format!("step {}: {e}\nbot log:\n{}", i + 1, self.bot.log_text()))?;
            self.posts_seen.insert(channel.clone(), seen + 1);
            let response = Response {
                interaction: 0,
                latency: Duration::ZERO,
                body: serde_json::json!({"type": 0, "data": post.1}),
                message: Some(post.0),
            };
            if let Some(expect) = &step.expect {
                self.check_expectation(i, expect, &response)?;
            }
            if let Some(name) = &step.name {
                self.named.insert(name.clone(), response.clone());
            }
            self.last = Some(response);
        }
        if let Some(action) = &step.gateway {
            let (identifies, resumes) = self
                .discord
                .with_world(|w| (w.gateway.identifies, w.gateway.resumes));
            let readies = self.bot.log_count("gateway ready");
            match action.as_str() {
                "reconnect" => {
                    if !self.discord.reconnect() {
                        return fail(i, "no gateway connection to send RECONNECT to");
                    }
                    self.discord
                        .wait_until("RESUME", STEP_TIMEOUT, |w| {
                            (w.gateway.resumes > resumes).then_some(())
                        })
                        .await
                        .map_err(|e| format!("step {}: {e}", i + 1))?;
                }
                "invalidate_session" => {
                    if !self.discord.invalidate_session() {
                        return fail(i, "no gateway connection to send INVALID_SESSION to");
                    }
                    self.discord
                        .wait_until("a new IDENTIFY", REIDENTIFY_TIMEOUT, |w| {
                            (w.gateway.identifies > identifies).then_some(())
                        })
                        .await
                        .map_err(|e| format!("step {}: {e}", i + 1))?;
                    self.wait_ready(readies + 1)
                        .await
                        .map_err(|e| format!("step {}: {e}", i + 1))?;
                }
                other => return fail(i, format!("unknown gateway action `{other}`")),
            }
            self.discord
                .wait_connected(STEP_TIMEOUT)
                .await
                .map_err(|e| format!("step {}: {e}", i + 1))?;
        }
        if let Some(kind) = &step.restart {
            match kind.as_str() {
                "kill" => self
                    .restart()
                    .await
                    .map_err(|e| format!("step {}: {e}", i + 1))?,
                other => return fail(i, format!("unknown restart `{other}`")),
            }
        }
        if let Some(raw) = &step.dispatch {
            let data = serde_json::to_value(&raw.data).map_err(|e| e.to_string())?;
            self.discord.dispatch(&raw.name, data);
        }
        if let Some(check) = &step.check {
            self.check(i, check).await?;
        }
        Ok(())
    }

    async fn check(&self, i: usize, check: &Check) -> Result<(), String> {
        if let Some(n) = check.heartbeats_min {
            // Heartbeats follow the clock: give them a few intervals to come.
            let waited = self
                .discord
                .wait_until("heartbeats", Duration::from_secs(5), |w| {
                    (w.gateway.heartbeats >= n).then_some(())
                })
                .await;
            if let Err(e) = waited {
                return fail(i, e);
            }
        }
        let (identifies, resumes, heartbeats, writes, global, guild) =
            self.discord.with_world(|w| {
                (
                    w.gateway.identifies,
                    w.gateway.resumes,
                    w.gateway.heartbeats,
                    w.command_writes.clone(),
                    w.global_commands.clone(),
                    w.guild_commands
                        .values()
                        .flatten()
                        .cloned()
                        .collect::<Vec<_>>(),
                )
            });
        if let Some(n) = check.heartbeats_min
            && heartbeats < n
        {
            return fail(i, format!("{heartbeats} heartbeats, expected at least {n}"));
        }
        if let Some(n) = check.identifies
            && identifies != n
        {
            return fail(
                i,
                format!("IDENTIFY received {identifies} times, expected {n}"),
            );
        }
        if let Some(n) = check.resumes
            && resumes != n
        {
            return fail(i, format!("RESUME received {resumes} times, expected {n}"));
        }
        if let Some(n) = check.command_writes
            && writes.len() != n
        {
            return fail(
                i,
                format!(
                    "commands were overwritten {} times, expected {n}",
                    writes.len()
                ),
            );
        }
        if let Some(scope) = &check.registered_in {
            let (here, elsewhere) = match scope.as_str() {
                "guild" => (&guild, &global),
                "global" => (&global, &guild),
                other => return fail(i, format!("unknown scope `{other}`")),
            };
            if here.is_empty() || !elsewhere.is_empty() {
                return fail(
                    i,
                    format!(
                        "commands: {} in the {scope} scope, {} in the other",
                        here.len(),
                        elsewhere.len()
                    ),
                );
            }
        }
        let registered: Vec<serde_json::Value> =
            global.iter().chain(guild.iter()).cloned().collect();
        for name in &check.registered_commands {
            if !registered.iter().any(|c| c["name"] == name.as_str()) {
                return fail(i, format!("command /{name} is not registered"));
            }
        }
        if check.registered_localized == Some(true) {
            for c in &registered {
                if let Some(missing) = missing_pt_br(c) {
                    return fail(i, format!("no pt-BR localization: {missing}"));
                }
            }
        }
        if !check.posts.is_empty() {
            // Not a fixed wait (which passes whenever the scheduler is merely slow): a tick that
            // started at the current time has finished.
            self.wait_scheduler_caught_up(i).await?;
            for (channel, n) in &check.posts {
                let found = self.discord.posts(channel).len();
                if found != *n {
                    return fail(
                        i,
                        format!(
                            "{found} posts in #{channel}, expected {n}\n{}",
                            self.bot.log_text()
                        ),
                    );
                }
            }
        }
        let requests = self.discord.requests();
        for (route, n) in &check.requests {
            let (method, path) = route
                .split_once(' ')
                .ok_or_else(|| format!("step {}: `{route}` is not METHOD /path", i + 1))?;
            let path = self.expand_path(path);
            let found = requests
                .iter()
                .filter(|r| r.method == method && r.path == path)
                .count();
            if found != *n {
                return fail(
                    i,
                    format!("{found} requests `{method} {path}`, expected {n}"),
                );
            }
        }
        for route in &check.same_nonce {
            let (method, path) = route
                .split_once(' ')
                .ok_or_else(|| format!("step {}: `{route}` is not METHOD /path", i + 1))?;
            let path = self.expand_path(path);
            let matching: Vec<_> = requests
                .iter()
                .filter(|r| r.method == method && r.path == path)
                .collect();
            let nonces: Vec<String> = matching
                .iter()
                .map(|r| {
                    r.body
                        .as_ref()
                        .map_or(String::new(), |b| b["nonce"].to_string())
                })
                .collect();
            let enforced = matching
                .iter()
                .all(|r| r.body.as_ref().is_some_and(|b| b["enforce_nonce"] == true));
            if nonces.is_empty()
                || nonces.iter().any(|n| *n != nonces[0] || n == "null")
                || !enforced
            {
                return fail(
                    i,
                    format!(
                        "nonces of `{method} {path}`: {nonces:?} (enforce_nonce on all: {enforced})"
                    ),
                );
            }
        }
        // Logs arrive asynchronously: wait for the expected count, then require it exactly.
        for (needle, n) in check.log_count.iter().chain(&check.log_count_run) {
            let current_run_only = check.log_count_run.contains_key(needle);
            let deadline = std::time::Instant::now() + Duration::from_secs(3);
            let count = || {
                if current_run_only {
                    self.bot.log_count(needle)
                } else {
                    self.bot.log_count_all(needle)
                }
            };
            while count() < *n && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        for (needle, n) in &check.log_count {
            let found = self.bot.log_count_all(needle);
            if found != *n {
                return fail(
                    i,
                    format!(
                        "log `{needle}` appears {found} times, expected {n}\n{}",
                        self.bot.log_text()
                    ),
                );
            }
        }
        for (needle, n) in &check.log_count_run {
            let found = self.bot.log_count(needle);
            if found != *n {
                return fail(
                    i,
                    format!(
                        "log `{needle}` appears {found} times in this run, expected {n}\n{}",
                        self.bot.log_text()
                    ),
                );
            }
        }
        Ok(())
    }
}

/// Writes the bot's clock atomically (a reader never sees a half-written file).
fn write_clock(path: &std::path::Path, at: i64) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, at.to_string())?;
    std::fs::rename(&temporary, path)
}

/// Seconds in "90s", "10m", "25h", "3d".
fn parse_span(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = text.split_at(text.len().checked_sub(1)?);
    let n: i64 = number.parse().ok()?;
    Some(
        n * match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return None,
        },
    )
}

/// The first command, option or choice lacking a pt-BR name (or description where one exists).
fn missing_pt_br(object: &serde_json::Value) -> Option<String> {
    let name = object["name"].as_str().unwrap_or("?").to_string();
    if object["name_localizations"]["pt-BR"].as_str().is_none() {
        return Some(format!("name of `{name}`"));
    }
    if object.get("description").is_some()
        && object["description_localizations"]["pt-BR"]
            .as_str()
            .is_none()
    {
        return Some(format!("description of `{name}`"));
    }
    for child in object["options"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(object["choices"].as_array().into_iter().flatten())
    {
        if let Some(m) = missing_pt_br(child) {
            return Some(format!("{name} > {m}"));
        }
    }
    None
}

/// A `{placeholder}` a template left unfilled (a text key renamed in one place only).
fn leftover_placeholder(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let end = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        if end > 0 && after[end..].starts_with('}') {
            return Some(&rest[open..open + end + 2]);
        }
        rest = after;
    }
    None
}

fn check_expect(i: usize, e: &Expect, r: &Response) -> Result<(), String> {
    let text = r.text();
    let show = || format!("\nreply:\n{:#}", r.body);

    if let Some(kind) = e.kind
        && r.kind() != kind
    {
        return fail(
            i,
            format!("callback type {}, expected {kind}{}", r.kind(), show()),
        );
    }
    if let Some(ephemeral) = e.ephemeral
        && r.kind() == 4
        && r.ephemeral() != ephemeral
    {
        return fail(
            i,
            format!(
                "ephemeral is {}, expected {ephemeral}{}",
                r.ephemeral(),
                show()
            ),
        );
    }
    if let Some(title) = &e.title
        && r.title() != Some(title.as_str())
    {
        return fail(
            i,
            format!("title {:?}, expected {title:?}{}", r.title(), show()),
        );
    }
    for needle in &e.contains {
        if !text.contains(needle.as_str()) {
            return fail(i, format!("the reply lacks {needle:?}{}", show()));
        }
    }
    for needle in &e.not_contains {
        if text.contains(needle.as_str()) {
            return fail(i, format!("the reply contains {needle:?}{}", show()));
        }
    }
    let choices = r.choices();
    if let Some(first) = &e.choices_first
        && choices.first().map(|c| c.1.as_str()) != Some(first.as_str())
    {
        return fail(
            i,
            format!(
                "first choice {:?}, expected value {first:?}",
                choices.first()
            ),
        );
    }
    for value in &e.choices_include {
        if !choices.iter().any(|c| &c.1 == value) {
            return fail(i, format!("no choice with value {value:?} in {choices:?}"));
        }
    }
    if let Some(max) = e.choices_max
        && choices.len() > max
    {
        return fail(
            i,
            format!("{} choices, at most {max} expected", choices.len()),
        );
    }
    if let Some(min) = e.choices_min
        && choices.len() < min
    {
        return fail(
            i,
            format!("{} choices, at least {min} expected", choices.len()),
        );
    }
    for label in &e.buttons_include {
        if !r
            .buttons()
            .iter()
            .any(|(l, _, _)| l.contains(label.as_str()))
        {
            return fail(i, format!("no button {label:?} in {:?}", r.buttons()));
        }
    }
    if e.no_mentions == Some(true) {
        let am = &r.body["data"]["allowed_mentions"];
        let empty = |key: &str| am[key].as_array().is_none_or(Vec::is_empty);
        if am.is_null()
            || !empty("parse")
            || !empty("users")
            || !empty("roles")
            || am["replied_user"] == true
        {
            return fail(
                i,
                format!("the reply may ping someone: allowed_mentions = {am}"),
            );
        }
    }
    Ok(())
}

/// Plays one scenario file to the end.
/// Plays a scenario file with the bot on `engine` (a fresh database of its own).
pub async fn play(path: &Path, engine: Engine) -> Result<Outcome, String> {
    let source = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut scenario: Scenario =
        toml::from_str(&source).map_err(|e| format!("invalid scenario: {e}"))?;
    let _ = &scenario.description;
    // Kept alive (a PostgreSQL database is dropped with it) until the scenario ends.
    let database = TestDatabase::new(engine).await;
    if engine == Engine::Postgres {
        scenario
            .bot
            .env
            .insert("DATABASE_URL".into(), database.url.clone());
    }
    let mut player = Player::start(&scenario.discord, &scenario.bot).await?;
    for (i, step) in scenario.step.iter().enumerate() {
        player.play_step(i, step).await?;
    }
    // Late answers and rejected payloads are violations; collect them all.
    let violations: Vec<String> = player
        .discord
        .violations()
        .iter()
        .map(|v| v.to_string())
        .collect();
    if !scenario.bot.allow_errors && player.bot.log_count_all(" ERROR ") > 0 {
        return Err(format!("the bot logged errors:\n{}", player.bot.log_text()));
    }
    let mut outcome = std::mem::take(&mut *player.outcome.lock().expect("outcome"));
    outcome.violations = violations;
    Ok(outcome)
}
