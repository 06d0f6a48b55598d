//! `/rewards` (roles for achievements) and the upkeep that gives and takes those roles: after a
//! member's change (on its own task, after the reply), on `/rewards sync`, and at start-up.

use std::sync::Arc;

use super::args::Caller;
use super::leaderboard::section_named;
use super::progress::member_states;
use crate::app::App;
use crate::error::{CommandError, UserError};
use crate::i18n::{Locale, fill};
use crate::lookups::{LookupError, Lookups, RoleError};
use crate::progress::standing::standing;
use crate::progress::streak::{Streak, day_of};
use crate::recognition::{Achievement, Reward, RewardPause, reward_changes};
use crate::render::prompts::notice;
use crate::reply::{Embed, Mentions, Reply};

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
    sync_guild_in_background(app, lookups.shared(), guild);
    let t = caller.locale.texts();
    let mut text = fill(
        t.rewards_added,
        &[
            ("id", &id),
            (
                "achievement",
                &achievement.describe(&app.roadmap, caller.locale),
            ),
            ("role", &role),
            ("keep", &if new.keep { t.rewards_keep } else { "" }),
        ],
    );
    if unverified {
        text.push_str("\n\n");
        text.push_str(t.reward_unverified);
    }
    Ok(notice(text))
}

/// One reward as a line of `/rewards list`, with its health.
fn line(app: &App, reward: &Reward, locale: Locale) -> String {
    let t = locale.texts();
    let mut out = fill(
        t.rewards_list_line,
        &[
            ("id", &reward.id),
            (
                "achievement",
                &reward.achievement.describe(&app.roadmap, locale),
            ),
            ("role", &reward.role),
            ("keep", &if reward.keep { t.rewards_keep } else { "" }),
        ],
    );
    if let Some((reason, _)) = reward.paused {
        let reason = match reason {
            RewardPause::Forbidden => t.rewards_paused_forbidden,
            RewardPause::Missing => t.rewards_paused_missing,
        };
        out.push_str(&fill(t.rewards_list_paused, &[("reason", &reason)]));
    }
    out
}

/// `/rewards list`.
pub(super) async fn list(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let t = caller.locale.texts();
    let rewards = app.store.rewards(guild).await?;
    let settings = app.store.guild_settings(guild).await?;
    let mut description = if rewards.is_empty() {
        t.rewards_list_empty.to_string()
    } else {
        rewards
            .iter()
            .map(|r| line(app, r, caller.locale))
            .collect::<Vec<_>>()
            .join("\n")
    };
    description.push_str("\n\n");
    description.push_str(if settings.announce_rewards {
        t.rewards_list_announce_on
    } else {
        t.rewards_list_announce_off
    });
    Ok(Reply::ephemeral(Embed {
        title: t.rewards_list_title.into(),
        description: crate::reply::truncate(&description, crate::reply::limits::EMBED_DESCRIPTION),
        colour: crate::render::COLOUR_BRAND,
        ..Embed::default()
    }))
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
    let t = caller.locale.texts();
    Ok(notice(fill(t.rewards_removed, &[("id", &id.trim())])))
}

/// `/rewards announce enabled`.
pub(super) async fn announce(app: &App, caller: &Caller, on: bool) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    app.store
        .set_announce_rewards(guild, on, app.clock.now())
        .await?;
    let t = caller.locale.texts();
    Ok(notice(
        if on {
            t.rewards_announce_on
        } else {
            t.rewards_announce_off
        }
        .to_string(),
    ))
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
    let (members, given, taken) = sync_guild(app, lookups, guild).await?;
    let t = caller.locale.texts();
    Ok(notice(fill(
        t.rewards_synced,
        &[("given", &given), ("taken", &taken), ("members", &members)],
    )))
}

/// Checks every member of a server against its rewards: (members, roles given, roles taken).
pub async fn sync_guild(
    app: &App,
    lookups: &dyn Lookups,
    guild: u64,
) -> Result<(usize, usize, usize), CommandError> {
    if app.store.rewards(guild).await?.is_empty() {
        return Ok((0, 0, 0));
    }
    let members = app.store.members_with_progress(guild).await?;
    let (mut given, mut taken) = (0, 0);
    // `apply` reads the rewards afresh for each member on purpose: one that Discord refused
    // for a member is paused, and the next members must not call Discord for it again.
    for &user in &members {
        let (g, t) = apply(app, lookups, guild, user, Trigger::Check).await?;
        given += g;
        taken += t;
    }
    Ok((members.len(), given, taken))
}

/// [`sync_guild`] on its own task: a new reward reaches the members who already qualify.
fn sync_guild_in_background(app: &App, lookups: Arc<dyn Lookups>, guild: u64) {
    let app2 = app.clone();
    app.background.spawn(async move {
        if let Err(error) = sync_guild(&app2, lookups.as_ref(), guild).await {
            tracing::warn!(guild_id = guild, error = %error.chain(), "could not check reward roles");
        }
    });
}

/// The start-up check (which also follows a roadmap change, loaded at start): every server
/// with rewards that this process serves (see [`crate::app::ShardOwnership`]) is synced on a
/// background task, one member at a time, so the gateway and the first replies never wait for
/// it. Paused rewards stay paused: only an admin's sync resumes.
pub fn sync_all_in_background(app: &App, lookups: Arc<dyn Lookups>) {
    let app2 = app.clone();
    app.background.spawn(async move {
        let guilds = match app2.store.guilds_with_rewards().await {
            Ok(guilds) => guilds,
            Err(error) => {
                tracing::error!(%error, "could not list the servers with rewards to check them");
                return;
            }
        };
        for guild in guilds.into_iter().filter(|g| app2.shards.owns(*g)) {
            match sync_guild(&app2, lookups.as_ref(), guild).await {
                Ok((members, given, taken)) => tracing::info!(
                    guild_id = guild,
                    members,
                    given,
                    taken,
                    "reward roles checked at start-up"
                ),
                Err(error) => tracing::warn!(guild_id = guild, error = %error.chain(), "could not check reward roles at start-up"),
            }
        }
    });
}

/// Streak rewards are lost with time alone (a missed day past the freezes), when no change of
/// the member's would check them: the scheduler calls this every hour for the members holding
/// one. Returns the roles taken.
pub async fn check_streak_rewards(app: &App, lookups: &dyn Lookups) -> Result<usize, CommandError> {
    let mut taken = 0;
    let holders = app.store.streak_reward_holders().await?;
    for (guild, user) in holders.into_iter().filter(|(g, _)| app.shards.owns(*g)) {
        taken += apply(app, lookups, guild, user, Trigger::Check).await?.1;
    }
    Ok(taken)
}

/// Why a member's roles are being checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// After the member's own change: an achievement reached now is announced (if the server
    /// announces them).
    MemberChange,
    /// A check of everyone (a new reward, `/rewards sync`, start-up, the hourly streak check):
    /// roles follow, nothing is announced, so a sync never floods the channel.
    Check,
}

/// Gives and takes a member's reward roles to match what they hold now: (given, taken). A
/// reward Discord refuses (403, 404) is paused with the reason and logged for the operator,
/// never retried in a loop; a transient failure waits for the next change or sync.
pub async fn apply(
    app: &App,
    lookups: &dyn Lookups,
    guild: u64,
    user: u64,
    trigger: Trigger,
) -> Result<(usize, usize), CommandError> {
    // Read, decide and call Discord under the member's lock, so checks never cross.
    let _member = app.reward_locks.lock(guild, user).await;
    let rewards = app.store.rewards(guild).await?;
    if rewards.is_empty() {
        return Ok((0, 0));
    }
    let roadmap = &app.roadmap;
    let states = member_states(app, guild, user).await?;
    let standing = standing(roadmap, &states);
    let settings = app.store.guild_settings(guild).await?;
    let now = app.clock.now();
    let today = day_of(now, &settings.timezone());
    let streak: Streak = app
        .store
        .streak(guild, user)
        .await?
        .map(|s| s.as_of(today))
        .unwrap_or_default();
    let given_before = app.store.member_rewards(guild, user).await?;
    let (gain, lose) = reward_changes(&rewards, &given_before, |a| {
        a.exists(roadmap) && a.held(roadmap, &states, &standing, &streak)
    });
    let locale = settings.public_locale(None);
    let (mut given, mut taken) = (0, 0);
    for (reward, give) in gain
        .iter()
        .map(|r| (r, true))
        .chain(lose.iter().map(|r| (r, false)))
    {
        let achievement = reward.achievement.describe(roadmap, locale);
        let reason = fill(
            locale.texts().rewards_audit,
            &[("achievement", &achievement)],
        );
        match lookups
            .set_role(guild, user, reward.role, give, &reason)
            .await
        {
            Ok(()) => {
                app.store
                    .record_reward(guild, user, reward.id, give, now)
                    .await?;
                if give {
                    given += 1;
                    tracing::info!(
                        guild_id = guild,
                        user_id = user,
                        reward = reward.id,
                        role_id = reward.role,
                        "reward role given"
                    );
                    if settings.announce_rewards && trigger == Trigger::MemberChange {
                        announce_achievement(app, lookups, guild, user, &achievement, locale).await;
                    }
                } else {
                    taken += 1;
                    tracing::info!(
                        guild_id = guild,
                        user_id = user,
                        reward = reward.id,
                        role_id = reward.role,
                        "reward role taken back"
                    );
                }
            }
            Err(RoleError::Forbidden { code }) => {
                pause(app, reward, RewardPause::Forbidden, code, now).await?;
            }
            Err(RoleError::Missing { code }) if code == 10011 || give => {
                // The role is gone (10011) — or, giving, the member is: pause only for the role.
                if code == 10011 {
                    pause(app, reward, RewardPause::Missing, code, now).await?;
                }
            }
            Err(RoleError::Missing { .. }) => {
                // Taking a role from someone who left: nothing to take.
                app.store
                    .record_reward(guild, user, reward.id, false, now)
                    .await?;
            }
            Err(RoleError::Transient(error)) => {
                tracing::warn!(guild_id = guild, user_id = user, reward = reward.id, %error, "could not change a reward role; it is retried with the member's next change or /rewards sync");
            }
            Err(RoleError::Unavailable) => {}
        }
    }
    Ok((given, taken))
}

async fn pause(
    app: &App,
    reward: &Reward,
    reason: RewardPause,
    code: i64,
    now: i64,
) -> Result<(), CommandError> {
    app.store
        .pause_reward(reward.guild, reward.id, reason, Some(code), now)
        .await?;
    tracing::error!(
        guild_id = reward.guild,
        reward = reward.id,
        role_id = reward.role,
        reason = reason.as_str(),
        code,
        "Discord refused a reward role; the reward is paused: give the bot Manage Roles and put its role above the reward's role, then run /rewards sync in that server"
    );
    Ok(())
}

/// The public post of an achievement, in the server's language, pinging only the member.
async fn announce_achievement(
    app: &App,
    lookups: &dyn Lookups,
    guild: u64,
    user: u64,
    achievement: &str,
    locale: Locale,
) {
    let Ok(Some(schedule)) = app.store.schedule(guild).await else {
        return;
    };
    let text = fill(
        locale.texts().rewards_announcement,
        &[("user", &user), ("achievement", &achievement)],
    );
    let mut message = Reply::public(Embed {
        description: text,
        colour: crate::render::COLOUR_BRAND,
        ..Embed::default()
    });
    message.content = Some(format!("<@{user}>"));
    message.mentions = Mentions {
        roles: Vec::new(),
        users: vec![user],
    };
    if let Err(error) = lookups.send_message(schedule.channel, &message).await {
        tracing::warn!(guild_id = guild, %error, "could not announce an achievement");
    }
}

/// [`apply`] on its own task, after the reply: the role REST calls never hold up a member.
pub fn apply_in_background(app: &App, lookups: Arc<dyn Lookups>, guild: u64, user: u64) {
    let app2 = app.clone();
    app.background.spawn(async move {
        if let Err(error) = apply(&app2, lookups.as_ref(), guild, user, Trigger::MemberChange).await {
            tracing::warn!(guild_id = guild, user_id = user, error = %error.chain(), "could not check reward roles");
        }
    });
}
