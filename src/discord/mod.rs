//! The Discord edge: the serenity client, command registration, and the thin adapter that
//! turns interactions into [`crate::commands`] calls and replies into serenity builders.

pub mod convert;
mod edge;
pub mod register;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serenity::all::{
    ClientBuilder, ConnectionStage, Context, CreateInteractionResponse, EventHandler,
    GatewayIntents, Guild, GuildId, HttpBuilder, Interaction, Member, RawEventHandler, Ready,
    ResumedEvent, ShardStageUpdateEvent, User,
};
use serenity::async_trait;
use serenity::gateway::GatewayError;
use serenity::model::event::Event;

use crate::commands::{self, App};
use crate::config::{Config, DiscordToken};
use crate::edge::{Edge, permissions};
use crate::i18n::Locale;
use crate::ops::shutdown::{self, InFlight};
use crate::prompts::scheduler::Scheduler;
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

/// How long in-flight interactions may take to finish at shutdown. The whole shutdown must fit
/// in 10 s (Docker's default grace period): this, plus up to 5 s that serenity waits for a shard
/// to acknowledge its shutdown.
const DRAIN: Duration = Duration::from_secs(4);
/// How often the gateway's state is read for health.
const GATEWAY_WATCH: Duration = Duration::from_secs(2);
/// Prompt channels checked at start-up (more are checked when they post).
const STARTUP_CHANNEL_CHECKS: u32 = 50;

/// Connects to Discord and serves interactions until the gateway stops or a SIGTERM/SIGINT
/// asks for a clean shutdown.
pub async fn run(config: &Config, app: App) -> Result<(), anyhow::Error> {
    let token = config.require_token()?;
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
        .raw_event_handler(UnparsedEventLogger)
        .await
        .map_err(StartError::Gateway)?;

    check_prompt_channels(
        &app,
        &edge::DiscordEdge {
            http: client.http.clone(),
        },
    )
    .await;

    // Background work starts here, once per process: never from Ready, which fires again after
    // every reconnect.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let poster = Arc::new(edge::DiscordPoster {
        http: client.http.clone(),
    });
    let instance = format!("pid{}-{}", std::process::id(), app.clock.now());
    let scheduler = Arc::new(Scheduler::new(
        app.clone(),
        poster,
        instance,
        config.prompt_settings(),
    ));
    let scheduler_task = tokio::spawn(
        scheduler
            .clone()
            .run(app.scheduler_wake.clone(), stopped.clone()),
    );
    let health_task = health.map(|listener| {
        let health = crate::ops::health::Health {
            metrics: app.metrics.clone(),
            store: app.store.clone(),
        };
        tokio::spawn(crate::ops::health::serve(listener, health, stopped.clone()))
    });

    // Gateway health from serenity's own record of each shard: refreshed on every heartbeat
    // acknowledgement, reset when a shard restarts. Stage events alone miss a resume that
    // starts between two reports.
    let runners = client.shard_manager.runners.clone();
    let metrics = app.metrics.clone();
    let mut watching = stopped.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(GATEWAY_WATCH) => {}
                _ = watching.changed() => break,
            }
            let runners = runners.lock().await;
            if !runners.is_empty()
                && runners
                    .values()
                    .all(|r| r.stage == ConnectionStage::Connected)
            {
                metrics.gateway_up();
            } else {
                metrics.gateway_down();
            }
        }
    });

    // Shutdown: stop taking interactions, let those in flight finish, then close the gateway.
    let shard_manager = client.shard_manager.clone();
    let drained_in_flight = in_flight.clone();
    let stop_scheduler = scheduler.clone();
    let shutdown_task = tokio::spawn(async move {
        let signal = shutdown::signal().await;
        tracing::info!(
            signal,
            in_flight = drained_in_flight.in_flight(),
            "shutting down"
        );
        drained_in_flight.close();
        stop_scheduler.stop();
        if !drained_in_flight.wait_idle(DRAIN).await {
            tracing::warn!(
                in_flight = drained_in_flight.in_flight(),
                "interactions still running after {DRAIN:?}; stopping anyway"
            );
        }
        shard_manager.shutdown_all().await;
        // `shutdown_all` returns early, without releasing `Client::start`, when no shard runner
        // exists: the state serenity is in while it retries starting a shard during an outage.
        // Releasing it ourselves is harmless otherwise (a second value nobody reads).
        shard_manager.return_with_value(Ok(())).await;
    });

    let result = client.start().await.map_err(gateway_error);
    if in_flight.is_closing() {
        // Signalled: let the shutdown task finish while `client` (which owns the receiving end
        // of `return_with_value`) is still alive.
        let _ = shutdown_task.await;
    } else {
        shutdown_task.abort();
    }
    let _ = stop.send(true);
    scheduler.stop();
    let _ = scheduler_task.await;
    if let Some(task) = health_task {
        let _ = task.await;
    }
    result?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Tells the operator at start-up about prompt channels the bot can no longer post in (the
/// scheduler would pause them at their next post; this says so before).
async fn check_prompt_channels(app: &App, edge: &dyn Edge) {
    let schedules = match app.store.active_schedules(STARTUP_CHANNEL_CHECKS).await {
        Ok(s) => s,
        Err(error) => {
            tracing::error!(%error, "could not read the prompt schedules");
            return;
        }
    };
    let needed = permissions::VIEW_CHANNEL | permissions::SEND_MESSAGES | permissions::EMBED_LINKS;
    for s in schedules {
        match edge.channel_access(s.guild, s.channel, None).await {
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

/// Sends a reply, unless it would break Discord's limits: then the member gets the generic
/// apology and the operator the list of violations (a bug in a renderer).
async fn send(
    what: &str,
    reply: Reply,
    respond: impl AsyncFnOnce(CreateInteractionResponse) -> serenity::Result<()>,
) {
    let violations = reply.violations();
    let response = if violations.is_empty() {
        convert::response(&reply)
    } else {
        tracing::error!(
            command = what,
            ?violations,
            "reply breaks Discord's limits; sent an apology instead"
        );
        convert::response(&crate::render::errors::internal_error(Locale::En))
    };
    if let Err(error) = respond(response).await {
        tracing::error!(command = what, %error, "could not answer the interaction");
    }
}

fn restarting(locale: Locale) -> Reply {
    Reply::ephemeral_text(locale.texts().restarting)
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        self.app.metrics.gateway_session();
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "gateway ready");
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        self.app.metrics.gateway_session();
        tracing::info!("gateway session resumed");
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        // serenity reports stages around received events only (a resume can start between
        // two reports), so "up" is simply: the latest stage is Connected.
        match event.new {
            ConnectionStage::Connected => self.app.metrics.gateway_up(),
            _ => self.app.metrics.gateway_down(),
        }
    }

    async fn guild_create(&self, _ctx: Context, guild: Guild, _is_new: Option<bool>) {
        let now = self.app.clock.now();
        if let Err(error) = self
            .app
            .store
            .record_guild(guild.id.get(), Some(&guild.preferred_locale), now)
            .await
        {
            tracing::error!(guild_id = guild.id.get(), %error, "could not record the server");
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
        };
        if let Err(error) = crate::commands::member_returned(&self.app, &caller).await {
            tracing::error!(error = %error.chain(), "could not record a member joining");
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let started = Instant::now();
        let ticket = self.in_flight.enter();
        let edge = edge::DiscordEdge {
            http: ctx.http.clone(),
        };
        let kind = match interaction {
            Interaction::Command(cmd) => {
                let name = cmd.data.name.clone();
                let reply = match (&ticket, convert::invocation(&cmd)) {
                    (None, _) => restarting(convert::command_caller(&cmd).locale),
                    (Some(_), Ok(invocation)) => {
                        commands::respond(&self.app, &edge, &invocation).await
                    }
                    (Some(_), Err(error)) => {
                        tracing::warn!(%error, "interaction for a command this release does not know");
                        crate::render::errors::internal_error(convert::command_caller(&cmd).locale)
                    }
                };
                send(&name, reply, async |r| {
                    cmd.create_response(&ctx.http, r).await
                })
                .await;
                tracing::info!(command = %name, guild_id = cmd.guild_id.map(|g| g.get()), user_id = cmd.user.id.get(), elapsed_ms = started.elapsed().as_millis() as u64, "command answered");
                "command"
            }
            Interaction::Autocomplete(cmd) => {
                let choices = match (&ticket, convert::autocomplete_request(&cmd)) {
                    (Some(_), Ok(Some(request))) => {
                        commands::autocomplete(&self.app, &request).await
                    }
                    (_, Err(error)) => {
                        tracing::warn!(%error, "autocomplete for a command this release does not know");
                        Vec::new()
                    }
                    _ => Vec::new(),
                };
                let response = convert::autocomplete_response(&choices);
                if let Err(error) = cmd.create_response(&ctx.http, response).await {
                    tracing::warn!(%error, "could not answer autocomplete");
                }
                "autocomplete"
            }
            Interaction::Component(component) => {
                let press = convert::component_press(&component);
                let reply = match &ticket {
                    Some(_) => commands::press(&self.app, &edge, &press).await,
                    None => restarting(press.caller.locale),
                };
                send("button", reply, async |r| {
                    component.create_response(&ctx.http, r).await
                })
                .await;
                "button"
            }
            _ => return,
        };
        self.app
            .metrics
            .latency(kind, started.elapsed().as_secs_f64());
        drop(ticket);
    }
}

/// serenity turns a dispatch it cannot deserialize into `Event::Unknown` and drops it with a
/// DEBUG line; this says so at WARN, with the event name, so a payload problem is visible.
struct UnparsedEventLogger;

#[async_trait]
impl RawEventHandler for UnparsedEventLogger {
    async fn raw_event(&self, _ctx: Context, event: Event) {
        if let Event::Unknown(unknown) = event {
            let reason = match unknown.kind.as_str() {
                "INTERACTION_CREATE" => {
                    serde_json::from_value::<Interaction>(unknown.value.clone())
                        .err()
                        .map(|e| e.to_string())
                }
                "READY" => serde_json::from_value::<Ready>(unknown.value.clone())
                    .err()
                    .map(|e| e.to_string()),
                "GUILD_CREATE" => {
                    serde_json::from_value::<serenity::all::Guild>(unknown.value.clone())
                        .err()
                        .map(|e| e.to_string())
                }
                _ => None,
            };
            tracing::warn!(
                event = %unknown.kind,
                reason = reason.as_deref().unwrap_or("unknown event type or malformed payload"),
                "gateway event could not be parsed and was dropped"
            );
        }
    }
}
