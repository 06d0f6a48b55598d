//! `/card [server]`: the caller's summary card, anywhere. Installed to the member's own account
//! (Discord's user install), it works in DMs, group DMs and servers without trilha: it shows
//! the caller's own progress in a server they chose among those where they have some, never
//! anyone else's, and never names a server the caller is not a member of.

use futures_util::future::BoxFuture;

use super::define::{AutocompleteRequest, CommandSpec, Complete, Ctx, Leaf, handler, options};
use super::error::CommandError;
use super::marks::{member_states, verified_items};
use super::progress::{Subject, summary_card};
use crate::app::App;
use crate::error::UserError;
use crate::lookups::Presence;
use crate::reply::{Choice, Reply};

options! {
    /// `/card [server]`'s option: one of the caller's servers (autocomplete lists them).
    pub struct CardOptions {
        server: Option<String> => SERVERS,
    }
}

/// The servers where the caller has progress.
const SERVERS: Complete = Complete::Member(servers);

/// `/card`: usable wherever the member is, its reply seen by the channel it is used in.
pub static COMMAND: CommandSpec = CommandSpec::anywhere("card", handler::<Card>());

struct Card;

impl Leaf for Card {
    type Options = CardOptions;
    async fn run(ctx: Ctx<'_>, o: CardOptions) -> Result<Reply, CommandError> {
        card(ctx, o.server.as_deref()).await
    }
}

/// A server's name as a choice shows it (its id when Discord never told trilha its name).
fn server_label(guild: u64, name: Option<&str>) -> String {
    name.map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or_else(|| guild.to_string(), str::to_string)
}

fn servers<'a>(
    app: &'a App,
    request: &'a AutocompleteRequest,
) -> BoxFuture<'a, Result<Vec<Choice>, CommandError>> {
    Box::pin(async move {
        let partial = crate::roadmap::search::normalize(&request.partial);
        let mine = app.store.member_servers(request.caller.user_id).await?;
        Ok(mine
            .into_iter()
            .map(|(guild, name)| (guild, server_label(guild, name.as_deref())))
            .filter(|(_, label)| crate::roadmap::search::normalize(label).contains(&partial))
            .map(|(guild, label)| Choice::new(&label, guild.to_string()))
            .collect())
    })
}

/// Which server the card is of: the one asked for (it must be one of the caller's), else the
/// one the command is used in when it is one of theirs, else the one they were last seen in.
async fn chosen_server(ctx: Ctx<'_>, asked: Option<&str>) -> Result<u64, CommandError> {
    let mine = ctx.app.store.member_servers(ctx.caller.user_id).await?;
    if mine.is_empty() {
        return Err(UserError::NoCardServers.into());
    }
    let is_mine = |guild: u64| mine.iter().any(|(g, _)| *g == guild);
    let asked = asked.map(str::trim).filter(|a| !a.is_empty());
    let guild = match asked {
        // The autocomplete's value is the id; a typed name is matched too.
        Some(asked) => asked
            .parse::<u64>()
            .ok()
            .filter(|g| is_mine(*g))
            .or_else(|| {
                let folded = crate::roadmap::search::normalize(asked);
                mine.iter()
                    .find(|(g, name)| {
                        crate::roadmap::search::normalize(&server_label(*g, name.as_deref()))
                            == folded
                    })
                    .map(|(g, _)| *g)
            })
            .ok_or(UserError::UnknownCardServer)?,
        None => ctx
            .caller
            .guild_id
            .filter(|g| is_mine(*g))
            .unwrap_or(mine[0].0),
    };
    // The store knows who left only when Discord said so: ask once more, and never show a
    // server the caller is no longer in. (When Discord cannot tell, it is their own progress.)
    let present = ctx
        .lookups
        .members_present(guild, &[ctx.caller.user_id])
        .await;
    if let Some(Some(Presence::Gone)) = present.first() {
        let now = ctx.app.clock.now();
        if let Err(error) = ctx
            .app
            .store
            .member_left(guild, ctx.caller.user_id, now)
            .await
        {
            tracing::warn!(guild_id = guild, %error, "could not record that the member left");
        }
        return Err(UserError::UnknownCardServer.into());
    }
    Ok(guild)
}

/// `/card [server]`.
async fn card(ctx: Ctx<'_>, asked: Option<&str>) -> Result<Reply, CommandError> {
    let (app, caller) = (ctx.app, ctx.caller);
    let guild = chosen_server(ctx, asked).await?;
    // How the member appears in that server (their nickname there), else as Discord shows them
    // here.
    let seen = app.store.appearances(guild, &[caller.user_id]).await?;
    let mut names: Vec<String> = seen.into_iter().filter_map(|(_, a)| a.name).collect();
    names.extend(caller.names.iter().cloned());
    let settings = app.store.guild_settings(guild).await?;
    let server = server_label(guild, settings.name.as_deref());
    let subject = Subject {
        user: caller.user_id,
        names: names.clone(),
        avatar: caller.avatar.clone(),
    };
    let states = member_states(app, guild, caller.user_id).await?;
    let verified = verified_items(app, guild, caller.user_id).await?;
    let picture = summary_card(
        app,
        guild,
        subject,
        states,
        verified,
        settings,
        caller.locale,
    )
    .await?;
    let name =
        crate::picture::text::best_name(&names.iter().map(String::as_str).collect::<Vec<_>>());
    let reply = crate::render::progress::anywhere_card(name.as_deref(), &server, caller.locale);
    Ok(match picture {
        Some(picture) => reply.with_lead_picture(picture),
        None => reply,
    })
}
