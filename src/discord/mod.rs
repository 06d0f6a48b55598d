//! The Discord edge: the serenity client, command registration, and the thin adapter that
//! turns interactions into [`crate::commands`] calls and replies into serenity builders.

pub mod convert;
mod edge;
pub mod register;

use std::time::Instant;

use serenity::all::{
    ClientBuilder, Context, CreateInteractionResponse, EventHandler, GatewayIntents, Guild,
    GuildId, HttpBuilder, Interaction, Member, RawEventHandler, Ready, ResumedEvent, User,
};
use serenity::async_trait;
use serenity::model::event::Event;

use std::sync::Arc;

use crate::commands::{self, App};
use crate::config::{Config, DiscordToken};
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
        "Discord rejected the bot token (401 Unauthorized). Reset the token on the Bot page of your application and put the new one in DISCORD_TOKEN."
    )]
    BadToken,
    #[error("cannot reach Discord at {base}: {source}. Check the network (or DISCORD_PROXY_URL).")]
    Unreachable {
        base: String,
        source: serenity::Error,
    },
    #[error("registering slash commands failed: {0}")]
    Register(serenity::Error),
    #[error("the gateway connection failed: {0}")]
    Gateway(serenity::Error),
}

fn is_unauthorized(error: &serenity::Error) -> bool {
    matches!(
        error,
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) if r.status_code.as_u16() == 401
    )
}

/// Connects to Discord and serves interactions until the gateway stops.
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
                    source,
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

    // `new_with_http` keeps our Http (and its proxy); `.token()` afterwards would replace it.
    let intents = if config.members_intent {
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MEMBERS
    } else {
        GatewayIntents::GUILDS
    };
    let mut client = ClientBuilder::new_with_http(http, intents)
        .event_handler(Handler { app: app.clone() })
        .raw_event_handler(UnparsedEventLogger)
        .await
        .map_err(StartError::Gateway)?;
    // Background work starts here, once per process: never from Ready, which fires again after
    // every reconnect.
    let (stop_scheduler, stopped) = tokio::sync::watch::channel(false);
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
    let scheduler_task = tokio::spawn(scheduler.run(app.scheduler_wake.clone(), stopped));

    let result = client.start().await.map_err(StartError::Gateway);
    let _ = stop_scheduler.send(true);
    let _ = scheduler_task.await;
    result?;
    Ok(())
}

struct Handler {
    app: App,
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
        convert::response(&crate::render::errors::internal_error(
            crate::i18n::Locale::En,
        ))
    };
    if let Err(error) = respond(response).await {
        tracing::error!(command = what, %error, "could not answer the interaction");
    }
}

#[async_trait]
impl EventHandler for Handler {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "gateway ready");
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        tracing::info!("gateway session resumed");
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
            locale: crate::i18n::Locale::PtBr,
            guild_locale: None,
            can_manage_guild: false,
        };
        if let Err(error) = crate::commands::member_returned(&self.app, &caller).await {
            tracing::error!(error = %error.chain(), "could not record a member joining");
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let started = Instant::now();
        match interaction {
            Interaction::Command(cmd) => {
                let name = cmd.data.name.clone();
                let reply = match convert::invocation(&cmd) {
                    Ok(invocation) => {
                        commands::respond(
                            &self.app,
                            &edge::DiscordEdge {
                                http: ctx.http.clone(),
                            },
                            &invocation,
                        )
                        .await
                    }
                    Err(error) => {
                        tracing::warn!(%error, "interaction for a command this release does not know");
                        crate::render::errors::internal_error(convert::command_caller(&cmd).locale)
                    }
                };
                send(&name, reply, async |r| {
                    cmd.create_response(&ctx.http, r).await
                })
                .await;
                tracing::info!(command = %name, guild_id = cmd.guild_id.map(|g| g.get()), user_id = cmd.user.id.get(), elapsed_ms = started.elapsed().as_millis() as u64, "command answered");
            }
            Interaction::Autocomplete(cmd) => {
                let choices = match convert::autocomplete_request(&cmd) {
                    Ok(Some(request)) => commands::autocomplete(&self.app, &request).await,
                    Ok(None) => Vec::new(),
                    Err(error) => {
                        tracing::warn!(%error, "autocomplete for a command this release does not know");
                        Vec::new()
                    }
                };
                let response = convert::autocomplete_response(&choices);
                if let Err(error) = cmd.create_response(&ctx.http, response).await {
                    tracing::warn!(%error, "could not answer autocomplete");
                }
            }
            Interaction::Component(component) => {
                let press = convert::component_press(&component);
                let reply = commands::press(
                    &self.app,
                    &edge::DiscordEdge {
                        http: ctx.http.clone(),
                    },
                    &press,
                )
                .await;
                send("button", reply, async |r| {
                    component.create_response(&ctx.http, r).await
                })
                .await;
            }
            _ => {}
        }
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
