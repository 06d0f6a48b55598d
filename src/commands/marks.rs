//! What a member has marked and verified in a server, read for the commands that show it.

use super::args::Caller;
use super::define::Ctx;
use super::error::CommandError;
use crate::app::App;
use crate::progress::{ItemStates, states_of};
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
