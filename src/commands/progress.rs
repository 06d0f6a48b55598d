//! `/progress [member]` and `/next`.

use std::collections::HashMap;

use super::args::{Caller, Person};
use super::define::{CommandSpec, Ctx, Leaf, handler, options};
use super::error::CommandError;
use super::marks::{member_states, verified_items};
use super::presence::touch_in_background;
use crate::app::App;
use crate::error::UserError;
use crate::picture::attach;
use crate::progress::community::Community;
use crate::progress::next::next_step;
use crate::progress::periods::{Period, starts};
use crate::progress::standing::standing;
use crate::progress::{ItemStates, popularity_of};
use crate::render::progress as view;
use crate::reply::Reply;
use crate::roadmap::ItemIdx;

options! {
    /// `/progress [member]`'s options.
    pub struct MemberOption {
        member: Option<Person>,
    }
}

pub static PROGRESS: CommandSpec = CommandSpec::member("progress", handler::<Progress>());
pub static NEXT: CommandSpec = CommandSpec::member("next", handler::<Next>());
pub static COMMUNITY: CommandSpec = CommandSpec::member("community", handler::<CommunityMap>());

struct Progress;
struct Next;
struct CommunityMap;

impl Leaf for Progress {
    type Options = MemberOption;
    async fn run(ctx: Ctx<'_>, o: MemberOption) -> Result<Reply, CommandError> {
        progress(ctx.app, ctx.caller, o.member).await
    }
}

impl Leaf for Next {
    type Options = ();
    async fn run(ctx: Ctx<'_>, (): ()) -> Result<Reply, CommandError> {
        next(ctx.app, ctx.caller).await
    }
}

impl Leaf for CommunityMap {
    type Options = ();
    async fn run(ctx: Ctx<'_>, (): ()) -> Result<Reply, CommandError> {
        community(ctx.app, ctx.caller).await
    }
}

/// Whose card, as the one asking knows them.
pub(super) struct Subject {
    pub user: u64,
    /// Their names, most preferred first.
    pub names: Vec<String>,
    /// Their avatar's hash (none: Discord's default avatar).
    pub avatar: Option<String>,
}

/// A member's summary card in a server, drawn in `locale` (`None` when it is not ready in
/// time: the text goes alone).
pub(super) async fn summary_card(
    app: &App,
    guild: u64,
    subject: Subject,
    states: ItemStates,
    verified: std::collections::HashSet<ItemIdx>,
    settings: crate::guild::GuildSettings,
    locale: crate::i18n::Locale,
) -> Result<Option<crate::reply::Attachment>, CommandError> {
    let today = crate::progress::streak::day_of(app.clock.now(), &settings.timezone());
    let streak = app
        .store
        .streak(guild, subject.user)
        .await?
        .map_or(0, |s| s.as_of(today).current);
    let rank = super::leaderboard::week_rank(app, guild, subject.user, &settings).await?;
    let request = attach::SummaryRequest {
        guild,
        user: subject.user,
        names: subject.names,
        avatar: subject.avatar,
        states,
        verified,
        settings,
        streak,
        rank,
        locale,
    };
    Ok(attach::summary(app, request).await)
}

/// `/progress [member]`: the summary card first (the picture the chat shows at a glance), the
/// text standing as its caption, and buttons to the full per-item card and (one's own) to share
/// it. The text goes alone when the picture is not ready in time.
async fn progress(
    app: &App,
    caller: &Caller,
    member: Option<Person>,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let subject = match member {
        Some(person) => Subject {
            user: person.id,
            names: person.names,
            avatar: person.avatar,
        },
        None => Subject {
            user: caller.user_id,
            names: caller.names.clone(),
            avatar: caller.avatar.clone(),
        },
    };
    let (user, own) = (subject.user, subject.user == caller.user_id);
    let states = member_states(app, guild, user).await?;
    let verified = verified_items(app, guild, user).await?;
    let standing = standing(&app.roadmap, &states);
    let reply = view::progress(
        &app.roadmap,
        user,
        own,
        &states,
        verified.len(),
        &standing,
        caller.locale,
    );
    let settings = app.store.guild_settings(guild).await?;
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
    let reply = view::with_card_buttons(reply, caller.user_id, user, own, caller.locale);
    Ok(match picture {
        Some(picture) => reply.with_lead_picture(picture),
        None => reply,
    })
}

/// The "Share" button of a summary: posts the owner's summary card publicly in the channel, in
/// the server's language. Nobody else may press it.
pub(super) async fn share(app: &App, caller: &Caller, owner: u64) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    if caller.user_id != owner {
        return Err(UserError::NotYourCard.into());
    }
    let states = member_states(app, guild, owner).await?;
    let verified = verified_items(app, guild, owner).await?;
    let settings = app.store.guild_settings(guild).await?;
    let locale = settings.public_locale(caller.guild_locale);
    let name = crate::picture::text::best_name(
        &caller.names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let subject = Subject {
        user: owner,
        names: caller.names.clone(),
        avatar: caller.avatar.clone(),
    };
    // The picture is the whole reply: worth waiting for (the responder defers meanwhile).
    let app = app.waiting_for_pictures(crate::app::picture_waits::SHARED_WAIT);
    let picture = summary_card(&app, guild, subject, states, verified, settings, locale)
        .await?
        .ok_or(UserError::PictureUnavailable)?;
    Ok(view::shared_card(owner, name.as_deref(), locale).with_lead_picture(picture))
}

/// The "Full map" button of a summary: the member's full per-item card, privately, to the one
/// who opened the summary. Nobody else may press it.
pub(super) async fn full_map(
    app: &App,
    caller: &Caller,
    owner: u64,
    member: u64,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    if caller.user_id != owner {
        return Err(UserError::NotYourFullMap.into());
    }
    let names = if member == caller.user_id {
        caller.names.clone()
    } else {
        let seen = app.store.appearances(guild, &[member]).await?;
        seen.into_iter().filter_map(|(_, a)| a.name).collect()
    };
    let card = attach::CardRequest {
        user: member,
        names,
        states: member_states(app, guild, member).await?,
        verified: verified_items(app, guild, member).await?,
        settings: app.store.guild_settings(guild).await?,
        locale: caller.locale,
    };
    let app = app.waiting_for_pictures(crate::app::picture_waits::SHARED_WAIT);
    let picture = attach::card(&app, card)
        .await
        .ok_or(UserError::PictureUnavailable)?;
    Ok(Reply::picture_only(picture))
}

/// How many members of a server are learning or have done each item.
async fn popularity(app: &App, guild: u64) -> Result<HashMap<ItemIdx, u64>, CommandError> {
    let counts = app.store.item_counts(guild).await?;
    Ok(popularity_of(&app.roadmap, counts)
        .into_iter()
        .map(|(item, (learning, done))| (item, learning + done))
        .collect())
}

/// `/next`.
async fn next(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let states = member_states(app, guild, caller.user_id).await?;
    let standing = standing(&app.roadmap, &states);
    let popularity = popularity(app, guild).await?;
    let step = next_step(&app.roadmap, &standing, &states, &popularity);
    Ok(view::next(
        &app.roadmap,
        &step,
        &states,
        &popularity,
        caller.locale,
    ))
}

/// `/community`: what the server studies, with the heat map as its picture.
async fn community(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let settings = app.store.guild_settings(guild).await?;
    let now = app.clock.now();
    let since = starts(Period::Week, now, &settings.timezone());
    let counts = app.store.community(guild, since, now + 1).await?;
    let community = Community::of(&app.roadmap, &counts);
    let reply = view::community(&app.roadmap, &community, caller.locale);
    Ok(
        match attach::heat_map(app, &community, &settings, caller.locale, false).await {
            Some(picture) => reply.with_picture(picture),
            None => reply,
        },
    )
}
