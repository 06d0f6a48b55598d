//! The Discord edge: the serenity client, command registration, and the thin adapter that
//! turns interactions into [`crate::commands`] calls and replies into serenity builders.

pub mod convert;
mod lookups;
mod poster;
pub mod register;
mod respond;
mod runtime;
pub mod shards;

use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    ClientBuilder, ConnectionStage, Context, EventHandler, GatewayIntents, Guild, GuildId,
    HttpBuilder, Interaction, Member, RawEventHandler, Ready, ResumedEvent, ShardStageUpdateEvent,
    User,
};
use serenity::async_trait;
use serenity::gateway::GatewayError;
use serenity::model::event::Event;

use crate::app::App;
use crate::commands;
use crate::config::{Config, DiscordToken};
use crate::i18n::Locale;
use crate::lookups::{Lookups, permissions};
use crate::ops::metrics::InteractionKind;
use crate::ops::shutdown::InFlight;
use crate::reply::Reply;

/// Builds the REST client. With a proxy, serenity's own rate limiter must be off: it only
/// honours the proxy on the unlimited path, and the proxy is then the one that rate-limits.
pub fn http(token: &DiscordToken, proxy_url: Option<&str>) -> serenity::http::Http {
    let builder = HttpBuilder::new(token.expose());
    match proxy_url {
        Some(proxy) => builder.proxy(proxy).ratelimiter_disabled(true).build(),
        None => builder.build(),
    }
}

/// Errors that stop the bot at start-up, explained for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "Discord rejected the bot token (401 Unauthorized). Reset the token on the Bot page of your application (https://discord.com/developers/applications) and put the new one in DISCORD_TOKEN."
    )]
    BadToken,
    #[error(
        "Discord refused the privileged Server Members intent (close code 4014). Enable \"Server Members Intent\" on the Bot page of your application, or set DISCORD_MEMBERS_INTENT=false."
    )]
    DisallowedIntent,
    // serenity's messages end with a period of their own.
    #[error(
        "cannot reach Discord at {base}: {}. Check the network (or DISCORD_PROXY_URL).",
        .cause.to_string().trim_end_matches('.')
    )]
    Unreachable {
        base: String,
        cause: serenity::Error,
    },
    #[error("registering slash commands failed: {0}")]
    Register(serenity::Error),
    #[error(
        "cannot listen on HEALTH_ADDR {addr}: {cause}. Choose a free port, or leave HEALTH_ADDR unset."
    )]
    Health {
        addr: std::net::SocketAddr,
        cause: std::io::Error,
    },
    #[error("the gateway connection failed: {0}")]
    Gateway(serenity::Error),
    #[error(transparent)]
    SessionStartLimit(#[from] shards::SessionStartsExhausted),
    #[error(transparent)]
    Config(crate::config::ConfigError),
}

fn is_unauthorized(error: &serenity::Error) -> bool {
    matches!(
        error,
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) if r.status_code.as_u16() == 401
    )
}

fn gateway_error(error: serenity::Error) -> StartError {
    match error {
        serenity::Error::Gateway(GatewayError::InvalidAuthentication) => StartError::BadToken,
        serenity::Error::Gateway(GatewayError::DisallowedGatewayIntents) => {
            StartError::DisallowedIntent
        }
        other => StartError::Gateway(other),
    }
}

/// Prompt channels checked at start-up (more are checked when they post).
const STARTUP_CHANNEL_CHECKS: u32 = 50;

/// Connects to Discord and serves interactions until the gateway stops or a SIGTERM/SIGINT
/// asks for a clean shutdown.
pub async fn run(config: &Config, app: App) -> Result<(), anyhow::Error> {
    let http = connect(config).await?;
    // Settled before connecting; serenity's `start_shard_range` takes the last shard included.
    let shards = shards::plan(&http, config.shards).await?;
    app.shards.settle(shards);
    crate::ops::watchdog::start();
    let health = match config.health_addr {
        Some(addr) => Some(
            crate::ops::health::bind(addr)
                .await
                .map_err(|cause| StartError::Health { addr, cause })?,
        ),
        None => None,
    };
    let intents = if config.members_intent {
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS
    } else {
        GatewayIntents::GUILDS
    };
    let in_flight = Arc::new(InFlight::default());
    // `new_with_http` keeps our Http (and its proxy); `.token()` afterwards would replace it.
    let mut client = ClientBuilder::new_with_http(http, intents)
        .event_handler(Handler {
            app: app.clone(),
            in_flight: in_flight.clone(),
        })
        .raw_event_handler(UnparsedEvents {
            metrics: app.metrics.clone(),
        })
        .await
        .map_err(StartError::Gateway)?;
    let rest = lookups::DiscordLookups {
        http: client.http.clone(),
    };
    app.roles().sync_all_in_background(Arc::new(rest.clone()));

    let runtime =
        runtime::Runtime::start(config, &app, &client.http, &client.shard_manager, health);
    let scheduler = runtime.scheduler();
    // Informational, on the side, and paced by the prompts' budget (each check is four calls),
    // so several processes starting together never burst past Discord's global limit.
    let (checks, pacer, app2, closing) = (
        rest.clone(),
        scheduler.pacer(),
        app.clone(),
        in_flight.clone(),
    );
    app.background.spawn(async move {
        check_prompt_channels(&app2, &checks, &pacer, || closing.is_closing()).await
    });
    let shutdown = tokio::spawn(runtime::on_signal(
        app.clone(),
        in_flight.clone(),
        move || scheduler.stop(),
        client.shard_manager.clone(),
    ));
    let our_turn = shards::take_identify_turn(&app, shards, || in_flight.is_closing()).await;
    let result = if !our_turn {
        // Signalled while waiting for the turn: nothing was connected.
        Ok(())
    } else {
        client
            .start_shard_range(shards.first..shards.last, shards.total)
            .await
            .map_err(gateway_error)
    };
    let deadline = if in_flight.is_closing() {
        // Signalled: let the shutdown task finish while `client` (which owns the receiving end
        // of `return_with_value`) is still alive.
        shutdown
            .await
            .unwrap_or_else(|_| runtime::Deadline::after(runtime::SHUTDOWN_WITHIN))
    } else {
        shutdown.abort();
        runtime::Deadline::after(runtime::SHUTDOWN_WITHIN)
    };
    let clean = runtime.stop(&app, deadline).await;
    result?;
    if clean {
        tracing::info!("stopped cleanly");
    } else {
        tracing::info!("stopped; what did not finish in time was abandoned (see above)");
    }
    Ok(())
}

/// Checks the token against Discord's API, learns the application id and registers the slash
/// commands: everything that can fail before the gateway, with an operator's explanation.
async fn connect(config: &Config) -> Result<serenity::http::Http, StartError> {
    let token = config.require_token().map_err(StartError::Config)?;
    let http = http(token, config.proxy_url.as_deref());
    let base = config
        .proxy_url
        .clone()
        .unwrap_or_else(|| "https://discord.com".into());
    let info = http
        .get_current_application_info()
        .await
        .map_err(|source| {
            if is_unauthorized(&source) {
                StartError::BadToken
            } else {
                StartError::Unreachable {
                    base: base.clone(),
                    cause: source,
                }
            }
        })?;
    http.set_application_id(info.id);
    tracing::info!(application_id = info.id.get(), name = %info.name, "connected to Discord's API");
    let scope = match config.dev_guild_id {
        Some(guild) => register::Scope::Guild(guild),
        None => register::Scope::Global,
    };
    register::sync(&http, scope)
        .await
        .map_err(StartError::Register)?;
    Ok(http)
}

/// Tells the operator at start-up about prompt channels the bot can no longer post in (the
/// scheduler would pause them at their next post; this says so before).
async fn check_prompt_channels(
    app: &App,
    lookups: &dyn Lookups,
    pacer: &crate::scheduler::Pacer,
    stopping: impl Fn() -> bool,
) {
    // Each process checks the servers its shards serve: read enough to find its share.
    let total = app.shards.range().map_or(1, |range| range.total);
    let schedules = match app
        .store
        .active_schedules(STARTUP_CHANNEL_CHECKS * total)
        .await
    {
        Ok(s) => s,
        Err(error) => {
            tracing::error!(%error, "could not read the prompt schedules");
            return;
        }
    };
    let needed = permissions::VIEW_CHANNEL | permissions::SEND_MESSAGES | permissions::EMBED_LINKS;
    let ours = schedules.into_iter().filter(|s| app.shards.owns(s.guild));
    for s in ours.take(STARTUP_CHANNEL_CHECKS as usize) {
        for _ in 0..4 {
            pacer.acquire().await;
        }
        if stopping() {
            return;
        }
        match lookups.channel_access(s.guild, s.channel, None).await {
            Ok(access) if access.permissions & needed == needed => {}
            Ok(access) => {
                let missing: Vec<&str> = [
                    (permissions::VIEW_CHANNEL, "View Channel"),
                    (permissions::SEND_MESSAGES, "Send Messages"),
                    (permissions::EMBED_LINKS, "Embed Links"),
                ]
                .iter()
                .filter(|(bit, _)| access.permissions & bit == 0)
                .map(|(_, name)| *name)
                .collect();
                tracing::error!(
                    guild_id = s.guild,
                    channel_id = s.channel,
                    missing = missing.join(", "),
                    "the bot may not post study prompts in this channel: grant it these permissions there, or run /prompts setup with another channel"
                );
            }
            Err(error) => {
                tracing::error!(guild_id = s.guild, channel_id = s.channel, %error, "cannot check the study prompt channel; run /prompts status in that server")
            }
        }
    }
}

struct Handler {
    app: App,
    in_flight: Arc<InFlight>,
}

fn restarting(locale: Locale) -> Reply {
    Reply::ephemeral_text(locale.texts().restarting)
}

/// How long autocomplete may look for choices: it cannot be deferred, so past this the member
/// gets no choices rather than an error.
const AUTOCOMPLETE_WITHIN: Duration = Duration::from_millis(2000);

impl Handler {
    /// A shard of this process connected. With one shard the gateway is up; with several, "up"
    /// means all of them, which the gateway watch judges from every shard's stage.
    fn shard_connected(&self) {
        if self
            .app
            .shards
            .range()
            .is_none_or(|range| range.count() == 1)
        {
            self.app.metrics.gateway_up();
        }
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        self.app.metrics.gateway_session();
        self.shard_connected();
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "gateway ready");
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        self.app.metrics.gateway_session();
        self.shard_connected();
        tracing::info!("gateway session resumed");
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        // serenity reports stages around received events only (a resume can start between
        // two reports), so "up" is simply: the latest stage is Connected.
        match event.new {
            ConnectionStage::Connected => self.shard_connected(),
            _ => self.app.metrics.gateway_down(),
        }
    }

    async fn guild_create(&self, _ctx: Context, guild: Guild, _is_new: Option<bool>) {
        let now = self.app.clock.now();
        if let Err(error) = self
            .app
            .store
            .record_guild(
                guild.id.get(),
                Some(&guild.preferred_locale),
                Some(&guild.name),
                now,
            )
            .await
        {
            tracing::error!(guild_id = guild.id.get(), %error, "could not record the server");
        }
    }

    /// A renamed server (or a new language): pictures show its current name.
    async fn guild_update(
        &self,
        _ctx: Context,
        _old: Option<Guild>,
        new: serenity::all::PartialGuild,
    ) {
        let now = self.app.clock.now();
        if let Err(error) = self
            .app
            .store
            .record_guild(
                new.id.get(),
                Some(&new.preferred_locale),
                Some(&new.name),
                now,
            )
            .await
        {
            tracing::error!(guild_id = new.id.get(), %error, "could not record the server's update");
        }
    }

    /// Only with the Server Members intent (DISCORD_MEMBERS_INTENT=true).
    async fn guild_member_removal(
        &self,
        _ctx: Context,
        guild_id: GuildId,
        user: User,
        _member: Option<Member>,
    ) {
        let now = self.app.clock.now();
        match self
            .app
            .store
            .member_left(guild_id.get(), user.id.get(), now)
            .await
        {
            Ok(()) => tracing::info!(
                guild_id = guild_id.get(),
                user_id = user.id.get(),
                "member left; no longer ranked"
            ),
            Err(error) => tracing::error!(%error, "could not record a member leaving"),
        }
    }

    async fn guild_member_addition(&self, _ctx: Context, member: Member) {
        let caller = crate::commands::Caller {
            user_id: member.user.id.get(),
            guild_id: Some(member.guild_id.get()),
            channel_id: None,
            locale: Locale::PtBr,
            guild_locale: None,
            can_manage_guild: false,
            names: Vec::new(),
        };
        match crate::commands::presence::touch(&self.app, &caller).await {
            Ok(()) => tracing::info!(
                guild_id = caller.guild_id,
                user_id = caller.user_id,
                "member joined; their progress counts on the leaderboards"
            ),
            Err(error) => {
                tracing::error!(error = %error.chain(), "could not record a member joining")
            }
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let received = tokio::time::Instant::now();
        let ticket = self.in_flight.enter();
        let lookups = lookups::DiscordLookups {
            http: ctx.http.clone(),
        };
        let responder = |id, token: &str, locale| respond::Responder {
            http: ctx.http.clone(),
            id,
            token: token.to_string(),
            received,
            metrics: self.app.metrics.clone(),
            locale,
        };
        let kind = match interaction {
            Interaction::Command(cmd) => {
                let name = cmd.data.name.clone();
                let locale = convert::command_caller(&cmd).locale;
                let public = crate::commands::command(&name).is_some_and(|c| c.public_reply);
                let work = async {
                    match (&ticket, convert::invocation(&cmd)) {
                        (None, _) => restarting(locale),
                        (Some(_), Ok(invocation)) => {
                            commands::respond(&self.app, &lookups, &invocation).await
                        }
                        (Some(_), Err(error)) => {
                            tracing::warn!(%error, "interaction for a command this release does not know");
                            crate::render::errors::internal_error(locale)
                        }
                    }
                };
                responder(cmd.id, &cmd.token, locale)
                    .answer(
                        &name,
                        respond::Deferral::NewMessage { ephemeral: !public },
                        work,
                    )
                    .await;
                tracing::info!(command = %name, interaction_id = cmd.id.get(), shard = ctx.shard_id.0, guild_id = cmd.guild_id.map(|g| g.get()), user_id = cmd.user.id.get(), elapsed_ms = received.elapsed().as_millis() as u64, "command answered");
                InteractionKind::Command
            }
            Interaction::Autocomplete(cmd) => {
                let choices = match (&ticket, convert::autocomplete_request(&cmd)) {
                    (Some(_), Ok(Some(request))) => tokio::time::timeout(
                        AUTOCOMPLETE_WITHIN,
                        commands::autocomplete(&self.app, &request),
                    )
                    .await
                    .unwrap_or_else(|_| {
                        tracing::warn!(command = %cmd.data.name, "autocomplete took too long; answered with no choices");
                        Vec::new()
                    }),
                    (_, Err(error)) => {
                        tracing::warn!(%error, "autocomplete for a command this release does not know");
                        Vec::new()
                    }
                    _ => Vec::new(),
                };
                let locale = convert::command_caller(&cmd).locale;
                responder(cmd.id, &cmd.token, locale)
                    .respond("autocomplete", convert::autocomplete_response(&choices))
                    .await;
                InteractionKind::Autocomplete
            }
            Interaction::Component(component) => {
                let press = convert::component_press(&component);
                let deferral = match commands::press_delivery(&press) {
                    crate::reply::Delivery::UpdateMessage => respond::Deferral::Update,
                    crate::reply::Delivery::NewMessage => {
                        respond::Deferral::NewMessage { ephemeral: true }
                    }
                };
                let locale = press.caller.locale;
                let work = async {
                    match &ticket {
                        Some(_) => commands::press(&self.app, &lookups, &press).await,
                        None => restarting(locale),
                    }
                };
                responder(component.id, &component.token, locale)
                    .answer("button", deferral, work)
                    .await;
                InteractionKind::Button
            }
            _ => return,
        };
        self.app
            .metrics
            .latency(kind, received.elapsed().as_secs_f64());
        drop(ticket);
    }
}

/// Gateway events trilha relies on: one that serenity cannot parse is a problem worth a
/// warning. Other event types (Discord adds new ones) are routine and only logged at DEBUG.
const RELIED_ON: &[&str] = &[
    "READY",
    "RESUMED",
    "GUILD_CREATE",
    "GUILD_DELETE",
    "GUILD_MEMBER_ADD",
    "GUILD_MEMBER_REMOVE",
];

/// serenity turns a dispatch it cannot deserialize (its models lag Discord's: a new enum value, a
/// field that changed type, a new component) into `Event::Unknown` carrying the raw payload, and
/// drops it. For an interaction, a member is waiting: answer it from the raw payload's `id` and
/// `token` with the apology in their language, so they never see "The application did not
/// respond".
struct UnparsedEvents {
    metrics: Arc<crate::ops::metrics::Metrics>,
}

#[async_trait]
impl RawEventHandler for UnparsedEvents {
    async fn raw_event(&self, ctx: Context, event: Event) {
        let Event::Unknown(unknown) = event else {
            return;
        };
        let kind = unknown.kind.as_str();
        if kind == "INTERACTION_CREATE" {
            self.metrics.event_unparsed(kind);
            answer_unparsed_interaction(&ctx.http, &unknown.value, &self.metrics).await;
        } else if RELIED_ON.contains(&kind) {
            self.metrics.event_unparsed(kind);
            let reason = match kind {
                "READY" => serde_json::from_value::<Ready>(unknown.value).err(),
                "GUILD_CREATE" => serde_json::from_value::<Guild>(unknown.value).err(),
                _ => None,
            };
            tracing::warn!(
                event = kind,
                reason = reason
                    .map(|e| e.to_string())
                    .as_deref()
                    .unwrap_or("malformed payload"),
                "gateway event could not be parsed and was dropped"
            );
        } else {
            tracing::debug!(
                event = kind,
                "gateway event type this release does not handle; ignored"
            );
        }
    }
}

/// An interaction serenity could not parse: what is needed to answer it anyway.
pub(crate) struct Unparsed<'a> {
    pub id: u64,
    pub token: &'a str,
    /// The member's Discord locale, when the payload had one.
    pub locale: Option<&'a str>,
    pub autocomplete: bool,
    /// Why it could not be parsed (never containing the token).
    pub reason: &'a str,
}

/// Answers an interaction serenity could not parse from its raw payload.
async fn answer_unparsed_interaction(
    http: &Arc<serenity::http::Http>,
    raw: &serde_json::Value,
    metrics: &Arc<crate::ops::metrics::Metrics>,
) {
    let id = raw["id"]
        .as_str()
        .and_then(|id| id.parse::<u64>().ok())
        .filter(|id| *id != 0);
    let token = raw["token"].as_str().filter(|t| !t.is_empty());
    // serde's message can quote a value: never let it carry the token.
    let reason = serde_json::from_value::<Interaction>(raw.clone())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "payload shape".into());
    let reason = match token {
        Some(token) => reason.replace(token, "[token]"),
        None => reason,
    };
    let (Some(id), Some(token)) = (id, token) else {
        tracing::error!(
            interaction_id = raw["id"].as_str().unwrap_or("?"),
            %reason,
            "an interaction could not be parsed and carries no id or token to answer it with"
        );
        return;
    };
    let unparsed = Unparsed {
        id,
        token,
        locale: raw["locale"].as_str(),
        autocomplete: raw["type"].as_u64() == Some(4),
        reason: &reason,
    };
    answer_unparsed(http, metrics, unparsed).await;
}

/// Answers an interaction this release could not read with the apology, in the member's
/// language when the payload said it (pt-BR otherwise); an autocomplete gets no choices.
pub(crate) async fn answer_unparsed(
    http: &Arc<serenity::http::Http>,
    metrics: &Arc<crate::ops::metrics::Metrics>,
    unparsed: Unparsed<'_>,
) {
    let locale = unparsed
        .locale
        .map(Locale::from_discord)
        .unwrap_or(Locale::PtBr);
    tracing::error!(
        interaction_id = unparsed.id,
        reason = unparsed.reason,
        "an interaction could not be parsed (serenity's models lag Discord's); answered with the apology"
    );
    let responder = respond::Responder {
        http: http.clone(),
        id: serenity::all::InteractionId::new(unparsed.id),
        token: unparsed.token.to_string(),
        received: tokio::time::Instant::now(),
        metrics: metrics.clone(),
        locale,
    };
    let response = if unparsed.autocomplete {
        convert::autocomplete_response(&[])
    } else {
        convert::response(&crate::render::errors::internal_error(locale))
    };
    responder.respond("unparsed", response).await;
}
