//! The reward-role engine: gives and takes a member's reward roles so they match what the member
//! holds now. It runs after a member's change (on its own task, after the reply), on
//! `/rewards sync`, on a new reward, at start-up, and every hour for streak rewards (lost with
//! time alone). Refusals pause a reward instead of retrying it in a loop.

use std::sync::Arc;
use tracing::Instrument;

use tokio_util::task::TaskTracker;

use super::{MemberLocks, Reward, RewardPause, reward_changes};
use crate::clock::Clock;
use crate::lookups::{Lookups, RoleError};
use crate::progress::standing::standing;
use crate::progress::states_of;
use crate::progress::streak::{Streak, day_of};
use crate::roadmap::Roadmap;
use crate::sharding::ShardOwnership;
use crate::store::{Store, StoreError};

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

/// What one check changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changed {
    pub given: usize,
    pub taken: usize,
}

/// A whole server's check: how many members, and what changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Synced {
    pub members: usize,
    pub changed: Changed,
}

/// The hourly check of streak rewards: roles taken back, and members whose check failed (each
/// logged; the others were still checked).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreakCheck {
    pub taken: usize,
    pub failed: usize,
}

/// The parts of the bot the engine works with. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Roles {
    pub store: Store,
    pub roadmap: Arc<Roadmap>,
    pub clock: Clock,
    /// One check at a time per member.
    pub locks: Arc<MemberLocks>,
    /// Which servers this process serves (their unprompted checks are its own).
    pub shards: Arc<ShardOwnership>,
    /// Where checks that run after a reply are tracked, to be waited for at shutdown.
    pub background: TaskTracker,
}

impl Roles {
    /// Gives and takes a member's reward roles to match what they hold now. A reward Discord
    /// refuses (403, 404) is paused with the reason and logged for the operator, never retried
    /// in a loop; a transient failure waits for the next change or sync.
    pub async fn apply(
        &self,
        lookups: &dyn Lookups,
        guild: u64,
        user: u64,
        trigger: Trigger,
    ) -> Result<Changed, StoreError> {
        // Read, decide and call Discord under the member's lock, so checks never cross.
        let _member = self.locks.lock(guild, user).await;
        let rewards = self.store.rewards(guild).await?;
        if rewards.is_empty() {
            return Ok(Changed::default());
        }
        let roadmap = &self.roadmap;
        let states = states_of(roadmap, &self.store.member_marks(guild, user).await?);
        let standing = standing(roadmap, &states);
        let settings = self.store.guild_settings(guild).await?;
        let now = self.clock.now();
        let today = day_of(now, &settings.timezone());
        let streak: Streak = self
            .store
            .streak(guild, user)
            .await?
            .map(|s| s.as_of(today))
            .unwrap_or_default();
        let given_before = self.store.member_rewards(guild, user).await?;
        let (gain, lose) = reward_changes(&rewards, &given_before, |a| {
            a.exists(roadmap) && a.held(roadmap, &states, &standing, &streak)
        });
        let locale = settings.public_locale(None);
        let announce = settings.announce_rewards && trigger == Trigger::MemberChange;
        let mut changed = Changed::default();
        let changes = gain.iter().map(|r| (r, true));
        for (reward, give) in changes.chain(lose.iter().map(|r| (r, false))) {
            let achievement =
                crate::render::rewards::achievement(roadmap, &reward.achievement, locale);
            let reason = crate::render::rewards::audit_reason(&achievement, locale);
            let result = lookups
                .set_role(guild, user, reward.role, give, &reason)
                .await;
            match result {
                Ok(()) => {
                    self.store
                        .record_reward(guild, user, reward.id, give, now)
                        .await?;
                    let verb = if give { "given" } else { "taken back" };
                    tracing::info!(
                        guild_id = guild,
                        user_id = user,
                        reward = reward.id,
                        role_id = reward.role,
                        "reward role {verb}"
                    );
                    if give {
                        changed.given += 1;
                        if announce {
                            self.announce(lookups, guild, user, &achievement, locale)
                                .await;
                        }
                    } else {
                        changed.taken += 1;
                    }
                }
                Err(refused) => self.refused(reward, user, give, refused, now).await?,
            }
        }
        // Field order matters to tests reading text logs: who, then why.
        tracing::debug!(user_id = user, trigger = ?trigger, guild_id = guild, given = changed.given, taken = changed.taken, "reward roles checked");
        Ok(changed)
    }

    /// What a refused role change means for its reward.
    async fn refused(
        &self,
        reward: &Reward,
        user: u64,
        give: bool,
        error: RoleError,
        now: i64,
    ) -> Result<(), StoreError> {
        match error {
            RoleError::Forbidden { code } => {
                self.pause(reward, RewardPause::Forbidden, code, now)
                    .await?;
            }
            // The role is gone (10011): the reward pauses. Giving to a member who is gone
            // changes nothing of the reward.
            RoleError::Missing { code } if code == 10011 => {
                self.pause(reward, RewardPause::Missing, code, now).await?;
            }
            RoleError::Missing { .. } if give => {}
            RoleError::Missing { .. } => {
                // Taking a role from someone who left: nothing to take.
                self.store
                    .record_reward(reward.guild, user, reward.id, false, now)
                    .await?;
            }
            RoleError::Transient(error) => {
                tracing::warn!(guild_id = reward.guild, user_id = user, reward = reward.id, %error, "could not change a reward role; it is retried with the member's next change or /rewards sync");
            }
            RoleError::Unavailable => {}
        }
        Ok(())
    }

    async fn pause(
        &self,
        reward: &Reward,
        reason: RewardPause,
        code: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        self.store
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
    async fn announce(
        &self,
        lookups: &dyn Lookups,
        guild: u64,
        user: u64,
        achievement: &str,
        locale: crate::i18n::Locale,
    ) {
        let Ok(Some(schedule)) = self.store.schedule(guild).await else {
            return;
        };
        let message = crate::render::rewards::announcement(user, achievement, locale);
        if let Err(error) = lookups.send_message(schedule.channel, &message).await {
            tracing::warn!(guild_id = guild, %error, "could not announce an achievement");
        }
    }

    /// Checks every member of a server with progress against its rewards.
    pub async fn sync_guild(
        &self,
        lookups: &dyn Lookups,
        guild: u64,
    ) -> Result<Synced, StoreError> {
        if self.store.rewards(guild).await?.is_empty() {
            return Ok(Synced::default());
        }
        let members = self.store.members_with_progress(guild).await?;
        let mut synced = Synced {
            members: members.len(),
            changed: Changed::default(),
        };
        // `apply` reads the rewards afresh for each member on purpose: one that Discord refused
        // for a member is paused, and the next members must not call Discord for it again.
        for &user in &members {
            let changed = self.apply(lookups, guild, user, Trigger::Check).await?;
            synced.changed.given += changed.given;
            synced.changed.taken += changed.taken;
        }
        Ok(synced)
    }

    /// [`Roles::sync_guild`] on its own task: a new reward reaches the members who already
    /// qualify.
    pub fn sync_guild_in_background(&self, lookups: Arc<dyn Lookups>, guild: u64) {
        let roles = self.clone();
        self.background.spawn(
            async move {
                if let Err(error) = roles.sync_guild(lookups.as_ref(), guild).await {
                    tracing::warn!(guild_id = guild, %error, "could not check reward roles");
                }
            }
            .in_current_span(),
        );
    }

    /// The start-up check (which also follows a roadmap change, loaded at start): every server
    /// with rewards that this process serves is synced on a background task, one member at a
    /// time, so the gateway and the first replies never wait for it. Paused rewards stay
    /// paused: only an admin's sync resumes them.
    pub fn sync_all_in_background(&self, lookups: Arc<dyn Lookups>) {
        let roles = self.clone();
        self.background.spawn(async move {
            let guilds = match roles.store.guilds_with_rewards().await {
                Ok(guilds) => guilds,
                Err(error) => {
                    tracing::error!(%error, "could not list the servers with rewards to check them");
                    return;
                }
            };
            for guild in guilds.into_iter().filter(|g| roles.shards.owns(*g)) {
                match roles.sync_guild(lookups.as_ref(), guild).await {
                    Ok(synced) => tracing::info!(
                        guild_id = guild,
                        members = synced.members,
                        given = synced.changed.given,
                        taken = synced.changed.taken,
                        "reward roles checked at start-up"
                    ),
                    Err(error) => tracing::warn!(guild_id = guild, %error, "could not check reward roles at start-up"),
                }
            }
        }.in_current_span());
    }

    /// Streak rewards are lost with time alone (a missed day past the freezes), when no change
    /// of the member's would check them: the scheduler calls this every hour for the members
    /// holding one. A member whose check fails is logged and skipped; the others are checked.
    pub async fn check_streak_rewards(
        &self,
        lookups: &dyn Lookups,
    ) -> Result<StreakCheck, StoreError> {
        let mut check = StreakCheck::default();
        let holders = self.store.streak_reward_holders().await?;
        for (guild, user) in holders.into_iter().filter(|(g, _)| self.shards.owns(*g)) {
            match self.apply(lookups, guild, user, Trigger::Check).await {
                Ok(changed) => check.taken += changed.taken,
                Err(error) => {
                    check.failed += 1;
                    tracing::warn!(guild_id = guild, user_id = user, %error, "could not check a member's streak reward roles; the others are still checked");
                }
            }
        }
        Ok(check)
    }

    /// [`Roles::apply`] on its own task, after the reply: the role REST calls never hold up a
    /// member.
    pub fn apply_in_background(&self, lookups: Arc<dyn Lookups>, guild: u64, user: u64) {
        let roles = self.clone();
        self.background.spawn(async move {
            if let Err(error) = roles
                .apply(lookups.as_ref(), guild, user, Trigger::MemberChange)
                .await
            {
                tracing::warn!(guild_id = guild, user_id = user, %error, "could not check reward roles");
            }
        }.in_current_span());
    }
}
