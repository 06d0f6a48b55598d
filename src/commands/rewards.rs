//! `/rewards` (roles for achievements), Manage Server only. The engine that gives and takes the
//! roles is `recognition::roles`.

use super::args::Caller;
use super::define::{
    CommandSpec, Ctx, Int, Leaf, RoleId, SubcommandSpec, choice, handler, options,
};
use super::error::CommandError;
use super::leaderboard::section_named;
use crate::app::App;
use crate::error::UserError;
use crate::lookups::{LookupError, Lookups};
use crate::recognition::Achievement;
use crate::render::rewards as view;
use crate::reply::Reply;

choice! {
    /// What a reward is given for.
    pub enum RewardKind {
        /// A section's requirement met.
        Section = "section",
        /// The roadmap's milestone.
        Milestone = "milestone",
        /// N items done.
        Items = "items",
        /// A streak of N days.
        Streak = "streak",
    }
}

/// The largest count an achievement may ask for.
pub type Count = Int<1, 1000>;
/// A reward's number (`/rewards list` shows them).
pub type RewardNumber = Int<1, 1_000_000>;

options! {
    /// `/rewards add`'s options.
    pub struct AddOptions {
        kind: RewardKind,
        role: RoleId,
        section: Option<String> => super::roadmap::SECTIONS,
        /// Items done, or days of streak.
        count: Option<Count>,
        keep: Option<bool>,
    }
}

options! {
    /// `/rewards remove <id>`'s options.
    pub struct RemoveOptions {
        id: RewardNumber,
    }
}

/// `/rewards add | list | remove | sync | announce` (Manage Server).
pub static COMMAND: CommandSpec = CommandSpec::admin_family(
    "rewards",
    &[
        SubcommandSpec {
            key: "add",
            handler: handler::<Add>(),
        },
        SubcommandSpec {
            key: "list",
            handler: handler::<List>(),
        },
        SubcommandSpec {
            key: "remove",
            handler: handler::<Remove>(),
        },
        SubcommandSpec {
            key: "sync",
            handler: handler::<Sync>(),
        },
        SubcommandSpec {
            key: "announce",
            handler: handler::<Announce>(),
        },
    ],
);

struct Add;
struct List;
struct Remove;
struct Sync;
struct Announce;

impl Leaf for Add {
    type Options = AddOptions;
    async fn run(ctx: Ctx<'_>, o: AddOptions) -> Result<Reply, CommandError> {
        add(ctx.app, ctx.lookups, ctx.caller, &o).await
    }
}

impl Leaf for List {
    type Options = ();
    async fn run(ctx: Ctx<'_>, (): ()) -> Result<Reply, CommandError> {
        list(ctx.app, ctx.caller).await
    }
}

impl Leaf for Remove {
    type Options = RemoveOptions;
    async fn run(ctx: Ctx<'_>, o: RemoveOptions) -> Result<Reply, CommandError> {
        remove(ctx.app, ctx.caller, o.id.0).await
    }
}

impl Leaf for Sync {
    type Options = ();
    async fn run(ctx: Ctx<'_>, (): ()) -> Result<Reply, CommandError> {
        sync(ctx.app, ctx.lookups, ctx.caller).await
    }
}

impl Leaf for Announce {
    type Options = super::config::EnabledOption;
    async fn run(ctx: Ctx<'_>, o: super::config::EnabledOption) -> Result<Reply, CommandError> {
        announce(ctx.app, ctx.caller, o.enabled).await
    }
}

/// `/rewards add`: checks what Discord would refuse, then saves the reward.
async fn add(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
    new: &AddOptions,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let count = || -> Result<u32, CommandError> {
        // Discord keeps it within 1 to 1000; the kinds that count need one.
        let count = new.count.ok_or(UserError::RewardNeedsCount)?;
        Ok(count.0 as u32)
    };
    let achievement = match new.kind {
        RewardKind::Section => {
            let query = new
                .section
                .as_deref()
                .ok_or(UserError::RewardNeedsSection)?;
            let section = section_named(app, query)?;
            Achievement::Section(app.roadmap.section(section).id.clone())
        }
        RewardKind::Milestone => {
            let track = app
                .roadmap
                .section_named(new.section.as_deref().unwrap_or_default())
                .map(|s| app.roadmap.section(s).track)
                .unwrap_or(crate::roadmap::TrackIdx(0));
            Achievement::Milestone(app.roadmap.track(track).id.clone())
        }
        RewardKind::Items => Achievement::Items(count()?),
        RewardKind::Streak => Achievement::Streak(count()?),
    };
    let role = new.role.0;
    let keep = new.keep.unwrap_or(false);
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
        .add_reward(guild, &achievement, role, keep, caller.user_id, now)
        .await?;
    app.roles()
        .sync_guild_in_background(lookups.shared(), guild);
    Ok(view::added(
        &app.roadmap,
        id,
        &achievement,
        role,
        keep,
        unverified,
        caller.locale,
    ))
}

/// `/rewards list`.
async fn list(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
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
async fn remove(app: &App, caller: &Caller, id: i64) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let id = id as u64;
    if !app.store.remove_reward(guild, id).await? {
        return Err(UserError::RewardUnknown { id }.into());
    }
    Ok(view::removed(id, caller.locale))
}

/// `/rewards announce enabled`.
async fn announce(app: &App, caller: &Caller, on: bool) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    app.store
        .set_announce_rewards(guild, on, app.clock.now())
        .await?;
    Ok(view::announcing(on, caller.locale))
}

/// `/rewards sync`: every member with progress or a reward, checked now.
async fn sync(app: &App, lookups: &dyn Lookups, caller: &Caller) -> Result<Reply, CommandError> {
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
