//! `/rewards` (roles for achievements), Manage Server only. The engine that gives and takes the
//! roles is `recognition::roles`.

use super::args::Caller;
use super::error::CommandError;
use super::leaderboard::section_named;
use crate::app::App;
use crate::error::UserError;
use crate::lookups::{LookupError, Lookups};
use crate::recognition::Achievement;
use crate::render::rewards as view;
use crate::reply::Reply;

/// The largest count an achievement may ask for.
const MAX_COUNT: u32 = 1000;

/// What `/rewards add` was given.
pub struct NewReward {
    pub kind: String,
    pub role: u64,
    pub section: Option<String>,
    pub count: Option<String>,
    pub keep: bool,
}

/// `/rewards add`: checks what Discord would refuse, then saves the reward.
pub(super) async fn add(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
    new: &NewReward,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let count = || -> Result<u32, CommandError> {
        let raw = new.count.as_deref().unwrap_or("").trim();
        raw.parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_COUNT).contains(n))
            .ok_or_else(|| {
                UserError::RewardBadCount {
                    value: raw.to_string(),
                }
                .into()
            })
    };
    let achievement = match new.kind.as_str() {
        "section" => {
            let query = new
                .section
                .as_deref()
                .ok_or(UserError::RewardNeedsSection)?;
            let section = section_named(app, query)?;
            Achievement::Section(app.roadmap.section(section).id.clone())
        }
        "milestone" => {
            let track = app
                .roadmap
                .section_named(new.section.as_deref().unwrap_or_default())
                .map(|s| app.roadmap.section(s).track)
                .unwrap_or(crate::roadmap::TrackIdx(0));
            Achievement::Milestone(app.roadmap.track(track).id.clone())
        }
        "items" => Achievement::Items(count()?),
        "streak" => Achievement::Streak(count()?),
        other => {
            return Err(CommandError::Internal(anyhow::anyhow!(
                "unknown reward kind {other}"
            )));
        }
    };
    let role = new.role;
    let mut unverified = false;
    match lookups.role_access(guild, role).await {
        Ok(access) => {
            let refusal = if access.everyone {
                Some(UserError::RewardEveryone)
            } else if !access.exists {
                Some(UserError::RewardUnknownRole { role })
            } else if !access.manage_roles {
                Some(UserError::RewardNoManageRoles)
            } else if access.managed {
                Some(UserError::RewardManagedRole { role })
            } else if access.above_bot {
                Some(UserError::RewardRoleAbove { role })
            } else {
                None
            };
            if let Some(refusal) = refusal {
                return Err(refusal.into());
            }
        }
        Err(LookupError::Unavailable) | Err(LookupError::Discord(_)) => unverified = true,
        Err(LookupError::UnknownChannel) => unverified = true,
    }
    let now = app.clock.now();
    let id = app
        .store
        .add_reward(guild, &achievement, role, new.keep, caller.user_id, now)
        .await?;
    app.roles()
        .sync_guild_in_background(lookups.shared(), guild);
    Ok(view::added(
        &app.roadmap,
        id,
        &achievement,
        role,
        new.keep,
        unverified,
        caller.locale,
    ))
}

/// `/rewards list`.
pub(super) async fn list(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let rewards = app.store.rewards(guild).await?;
    let settings = app.store.guild_settings(guild).await?;
    Ok(view::list(
        &app.roadmap,
        &rewards,
        settings.announce_rewards,
        caller.locale,
    ))
}

/// `/rewards remove id`.
pub(super) async fn remove(app: &App, caller: &Caller, id: &str) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let parsed: Option<u64> = id.trim().trim_start_matches('#').parse().ok();
    let removed = match parsed {
        Some(n) => app.store.remove_reward(guild, n).await?,
        None => false,
    };
    if !removed {
        return Err(UserError::RewardUnknown {
            id: id.trim().to_string(),
        }
        .into());
    }
    Ok(view::removed(id.trim(), caller.locale))
}

/// `/rewards announce enabled`.
pub(super) async fn announce(app: &App, caller: &Caller, on: bool) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    app.store
        .set_announce_rewards(guild, on, app.clock.now())
        .await?;
    Ok(view::announcing(on, caller.locale))
}

/// `/rewards sync`: every member with progress or a reward, checked now.
pub(super) async fn sync(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    // An admin's sync is the retry of paused rewards: they fixed the permission and ask again.
    let resumed = app.store.resume_rewards(guild).await?;
    if resumed > 0 {
        tracing::info!(
            guild_id = guild,
            resumed,
            "paused rewards resumed by /rewards sync"
        );
    }
    let synced = app.roles().sync_guild(lookups, guild).await?;
    Ok(view::synced(
        synced.members,
        synced.changed.given,
        synced.changed.taken,
        caller.locale,
    ))
}
