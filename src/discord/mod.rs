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
use tracing::Instrument;

use crate::app::App;
use crate::commands;
use crate::config::{Config, DiscordToken};
use crate::guild::GuildSeen;
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
    let health = bind_health(config).await?;
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
    check_prompt_channels_in_background(&app, rest, scheduler.pacer(), in_flight.clone());
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

/// The health listener's socket, bound before connecting (a port in use stops the start).
async fn bind_health(config: &Config) -> Result<Option<tokio::net::TcpListener>, StartError> {
    let Some(addr) = config.health_addr else {
        return Ok(None);
    };
    let listener = crate::ops::health::bind(addr).await;
    Ok(Some(
        listener.map_err(|cause| StartError::Health { addr, cause })?,
    ))
}

/// [`check_prompt_channels`], informational, on the side, and paced by the prompts' budget
/// (each check is four calls), so several processes starting together never burst past
/// Discord's global limit; it stops when the process does.
fn check_prompt_channels_in_background(
    app: &App,
    rest: lookups::DiscordLookups,
    pacer: Arc<crate::scheduler::Pacer>,
    in_flight: Arc<InFlight>,
) {
    let app2 = app.clone();
    app.background.spawn(async move {
        check_prompt_channels(&app2, &rest, &pacer, || in_flight.is_closing()).await
    });
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
                &GuildSeen {
                    locale: Some(&guild.preferred_locale),
                    name: Some(&guild.name),
                    icon_hash: guild.icon.map(|h| h.to_string()).as_deref(),
                },
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
                &GuildSeen {
                    locale: Some(&new.preferred_locale),
                    name: Some(&new.name),
                    icon_hash: new.icon.map(|h| h.to_string()).as_deref(),
                },
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
            avatar: None,
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
        let Some(span) = handover_span(&interaction, ctx.shard_id.0) else {
            return;
        };
        async {
            let ticket = self.in_flight.enter();
            // In flight from here: a shutdown waits for it (or answers it with the apology).
            tracing::debug!("interaction received");
            let kind = match interaction {
                Interaction::Command(cmd) => {
                    self.command(&ctx, &cmd, ticket.is_some(), received).await
                }
                Interaction::Autocomplete(cmd) => {
                    self.autocomplete(&ctx, &cmd, ticket.is_some(), received)
                        .await
                }
                Interaction::Component(component) => {
                    self.button(&ctx, &component, ticket.is_some(), received)
                        .await
                }
                _ => return,
            };
            let elapsed = received.elapsed();
            self.app.metrics.latency(kind, elapsed.as_secs_f64());
            tracing::Span::current().record("elapsed_ms", elapsed.as_millis() as u64);
            tracing::info!("interaction answered");
            drop(ticket);
        }
        .instrument(span)
        .await
    }
}

/// The span of an interaction the gateway handed over (`None` for kinds trilha does not answer).
fn handover_span(interaction: &Interaction, shard: u32) -> Option<tracing::Span> {
    let (id, kind, command, guild, user) = match interaction {
        Interaction::Command(cmd) => (
            cmd.id,
            InteractionKind::Command,
            cmd.data.name.as_str(),
            cmd.guild_id,
            cmd.user.id,
        ),
        Interaction::Autocomplete(cmd) => (
            cmd.id,
            InteractionKind::Autocomplete,
            cmd.data.name.as_str(),
            cmd.guild_id,
            cmd.user.id,
        ),
        Interaction::Component(c) => (
            c.id,
            InteractionKind::Button,
            commands::button_name(crate::component::ComponentId::parse(&c.data.custom_id).as_ref()),
            c.guild_id,
            c.user.id,
        ),
        _ => return None,
    };
    Some(commands::interaction_span(&commands::Handover {
        interaction_id: id.get(),
        kind,
        command,
        guild_id: guild.map(|g| g.get()),
        user_id: user.get(),
        shard: Some(shard),
    }))
}

impl Handler {
    fn responder(
        &self,
        ctx: &Context,
        id: serenity::all::InteractionId,
        token: &str,
        received: tokio::time::Instant,
        locale: Locale,
    ) -> respond::Responder {
        respond::Responder {
            http: ctx.http.clone(),
            id,
            token: token.to_string(),
            received,
            metrics: self.app.metrics.clone(),
            locale,
        }
    }

    fn lookups(ctx: &Context) -> lookups::DiscordLookups {
        lookups::DiscordLookups {
            http: ctx.http.clone(),
        }
    }

    /// A slash command: answered in time, deferred when the work runs long.
    async fn command(
        &self,
        ctx: &Context,
        cmd: &serenity::all::CommandInteraction,
        open: bool,
        received: tokio::time::Instant,
    ) -> InteractionKind {
        let locale = convert::command_caller(cmd).locale;
        let public = crate::commands::command(&cmd.data.name).is_some_and(|c| c.public_reply);
        let lookups = Self::lookups(ctx);
        let work = async {
            match (open, convert::invocation(cmd)) {
                (false, _) => restarting(locale),
                (true, Ok(invocation)) => commands::respond(&self.app, &lookups, &invocation).await,
                (true, Err(error)) => {
                    tracing::warn!(%error, "interaction for a command this release does not know");
                    crate::render::errors::internal_error(locale)
                }
            }
        };
        let deferral = respond::Deferral::NewMessage { ephemeral: !public };
        self.responder(ctx, cmd.id, &cmd.token, received, locale)
            .answer(&cmd.data.name, deferral, work)
            .await;
        InteractionKind::Command
    }

    /// Autocomplete: it cannot be deferred, so past its bound the member gets no choices.
    async fn autocomplete(
        &self,
        ctx: &Context,
        cmd: &serenity::all::CommandInteraction,
        open: bool,
        received: tokio::time::Instant,
    ) -> InteractionKind {
        let choices = match (open, convert::autocomplete_request(cmd)) {
            (true, Ok(Some(request))) => tokio::time::timeout(
                AUTOCOMPLETE_WITHIN,
                commands::autocomplete(&self.app, &request),
            )
            .await
            .unwrap_or_else(|_| {
                tracing::warn!("autocomplete took too long; answered with no choices");
                Vec::new()
            }),
            (_, Err(error)) => {
                tracing::warn!(%error, "autocomplete for a command this release does not know");
                Vec::new()
            }
            _ => Vec::new(),
        };
        let locale = convert::command_caller(cmd).locale;
        self.responder(ctx, cmd.id, &cmd.token, received, locale)
            .respond("autocomplete", convert::autocomplete_response(&choices))
            .await;
        InteractionKind::Autocomplete
    }

    /// A button press: the message it is on updated in place, or a new (private) message.
    async fn button(
        &self,
        ctx: &Context,
        component: &serenity::all::ComponentInteraction,
        open: bool,
        received: tokio::time::Instant,
    ) -> InteractionKind {
        let press = convert::component_press(component);
        let deferral = match commands::press_delivery(&press) {
            crate::reply::Delivery::UpdateMessage => respond::Deferral::Update,
            crate::reply::Delivery::NewMessage => respond::Deferral::NewMessage { ephemeral: true },
        };
        let locale = press.caller.locale;
        let lookups = Self::lookups(ctx);
        let work = async {
            match open {
                true => commands::press(&self.app, &lookups, &press).await,
                false => restarting(locale),
            }
        };
        self.responder(ctx, component.id, &component.token, received, locale)
            .answer("button", deferral, work)
            .await;
        InteractionKind::Button
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
