//! Who is (still) in a server, as members' interactions show it: bookkeeping that never holds up
//! a reply.

use super::args::Caller;
use super::error::CommandError;
use crate::app::App;
use crate::guild::Appearance;
use crate::progress::tally::all_writes;
use tracing::Instrument;

/// How often an interaction refreshes the record of a member's presence.
const PRESENCE_REFRESH: i64 = 3600;

/// Records that the caller is in the server (rebuilding their tallies if they had left).
pub async fn touch(app: &App, caller: &Caller) -> Result<(), CommandError> {
    let Some(guild) = caller.guild_id else {
        return Ok(());
    };
    let appearance = Appearance {
        name: caller.names.first().cloned(),
        avatar_hash: caller.avatar.clone(),
    };
    // Reads are cheap and concurrent; write only when the record is stale, they had left, or
    // they changed their name or avatar.
    let seen = app
        .store
        .member_seen_since(guild, caller.user_id, app.clock.now() - PRESENCE_REFRESH)
        .await?;
    if seen.as_ref() == Some(&appearance) {
        return Ok(());
    }
    let tz = app.store.guild_settings(guild).await?.timezone();
    let now = app.clock.now();
    app.store
        .member_present(guild, caller.user_id, now, &appearance, |marks| {
            all_writes(&app.roadmap, &tz, now, marks)
        })
        .await?;
    Ok(())
}

/// [`touch`] on its own task: a held write lock delays it, not the member's reply, and its
/// failure is only logged. Await the handle (bounded by a timeout) where its result matters.
pub fn touch_in_background(app: &App, caller: &Caller) -> tokio::task::JoinHandle<()> {
    let (app, caller) = (app.clone(), caller.clone());
    let tracker = app.background.clone();
    tracker.spawn(
        async move {
            if let Err(error) = touch(&app, &caller).await {
                tracing::warn!(
                    guild_id = caller.guild_id,
                    user_id = caller.user_id,
                    error = %error.chain(),
                    "could not record the member's presence"
                );
            }
        }
        .in_current_span(),
    )
}
