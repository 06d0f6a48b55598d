//! `/progress [member]` and `/next`.

use std::collections::HashMap;

use super::args::{Caller, Person};
use super::define::{CommandSpec, Ctx, Leaf, handler, options};
use super::error::CommandError;
use super::presence::touch_in_background;
use crate::app::App;
use crate::error::UserError;
use crate::picture::attach;
use crate::progress::community::Community;
use crate::progress::next::next_step;
use crate::progress::periods::{Period, starts};
use crate::progress::standing::standing;
use crate::progress::{ItemStates, popularity_of, states_of};
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

/// A member's states in a server.
pub(super) async fn member_states(
    app: &App,
    guild: u64,
    user: u64,
) -> Result<ItemStates, CommandError> {
    let marks = app.store.member_marks(guild, user).await?;
    Ok(states_of(&app.roadmap, &marks))
}

/// The items a member verified in the quiz (those still in the roadmap).
pub(super) async fn verified_items(
    app: &App,
    guild: u64,
    user: u64,
) -> Result<std::collections::HashSet<ItemIdx>, CommandError> {
    Ok(app
        .store
        .verified_items(guild, user)
        .await?
        .iter()
        .filter_map(|(id, _)| app.roadmap.item_by_id(id))
        .collect())
}

/// The caller's states, from the read made before the command when there was one (nothing
/// outside a server).
pub(super) async fn states_in(ctx: Ctx<'_>) -> Result<Option<ItemStates>, CommandError> {
    match ctx.member {
        Some(view) => Ok(Some(states_of(&ctx.app.roadmap, &view.marks))),
        None => caller_states(ctx.app, ctx.caller).await,
    }
}

/// The caller's states, for views that show them (nothing outside a server).
pub(super) async fn caller_states(
    app: &App,
    caller: &Caller,
) -> Result<Option<ItemStates>, CommandError> {
    match caller.guild_id {
        Some(guild) => Ok(Some(member_states(app, guild, caller.user_id).await?)),
        None => Ok(None),
    }
}

/// `/progress [member]`: the text standing, with the member's roadmap card as its picture (the
/// text alone when the card is not ready in time). A member's own card can be shared.
async fn progress(
    app: &App,
    caller: &Caller,
    member: Option<Person>,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let (user, names) = match member {
        Some(person) => (person.id, person.names),
        None => (caller.user_id, caller.names.clone()),
    };
    let own = user == caller.user_id;
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
    let card = attach::CardRequest {
        user,
        names,
        states,
        verified,
        settings,
        locale: caller.locale,
    };
    Ok(match attach::card(app, card).await {
        Some(picture) if own => view::with_share(reply.with_picture(picture), user, caller.locale),
        Some(picture) => reply.with_picture(picture),
        None => reply,
    })
}

/// The "Share" button of a card: posts the owner's card publicly in the channel, in the
/// server's language. Nobody else may press it.
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
    let card = attach::CardRequest {
        user: owner,
        names: caller.names.clone(),
        states,
        verified,
        settings,
        locale,
    };
    let picture = attach::card(
        &app.waiting_for_pictures(crate::app::picture_waits::SHARED_WAIT),
        card,
    )
    .await
    .ok_or(UserError::PictureUnavailable)?;
    Ok(view::shared_card(owner, name.as_deref(), locale).with_picture(picture))
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
