//! `/progress [member]` and `/next`.

use std::collections::HashMap;

use super::args::Caller;
use super::presence::touch_in_background;
use crate::app::App;
use crate::error::CommandError;
use crate::progress::next::next_step;
use crate::progress::standing::standing;
use crate::progress::{ItemStates, popularity_of, states_of};
use crate::render::progress as view;
use crate::reply::Reply;
use crate::roadmap::ItemIdx;

/// A member's states in a server.
pub(super) async fn member_states(
    app: &App,
    guild: u64,
    user: u64,
) -> Result<ItemStates, CommandError> {
    let marks = app.store.member_marks(guild, user).await?;
    Ok(states_of(&app.roadmap, &marks))
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

/// `/progress [member]`.
pub(super) async fn progress(
    app: &App,
    caller: &Caller,
    member: Option<u64>,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let user = member.unwrap_or(caller.user_id);
    let states = member_states(app, guild, user).await?;
    let standing = standing(&app.roadmap, &states);
    Ok(view::progress(
        &app.roadmap,
        user,
        user == caller.user_id,
        &states,
        &standing,
        caller.locale,
    ))
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
pub(super) async fn next(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
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
