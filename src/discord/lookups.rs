//! The Discord side of [`crate::lookups::Lookups`], over REST.

use std::sync::Arc;
use tracing::Instrument;

use async_trait::async_trait;
use serenity::all::{Channel, ChannelId, GuildId, Http, Member, PartialGuild, RoleId, UserId};

use crate::guild::Appearance;
use crate::lookups::{Access, LookupError, Lookups, Presence, RoleAccess, RoleError};

#[derive(Clone)]
pub struct DiscordLookups {
    pub http: Arc<Http>,
}

/// Discord's JSON error code of a failed request.
fn code(error: &serenity::Error) -> i64 {
    match error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            r.error.code as i64
        }
        _ => 0,
    }
}

pub(super) fn status(error: &serenity::Error) -> Option<u16> {
    match error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.status_code.as_u16())
        }
        _ => None,
    }
}

impl DiscordLookups {
    /// The server (with its roles) and the bot's membership in it: what permissions are
    /// computed from.
    async fn server_and_bot(&self, guild: u64) -> Result<(PartialGuild, Member), LookupError> {
        let discord = |e: serenity::Error| LookupError::Discord(e.to_string());
        let server = self
            .http
            .get_guild(GuildId::new(guild))
            .await
            .map_err(discord)?;
        let me = self.http.get_current_user().await.map_err(discord)?;
        let member = self
            .http
            .get_member(GuildId::new(guild), me.id)
            .await
            .map_err(discord)?;
        Ok((server, member))
    }
}

#[async_trait]
impl Lookups for DiscordLookups {
    /// The bot's permissions in the channel, computed by serenity from the server's roles, the
    /// bot's membership and the channel's overwrites, as Discord computes them.
    async fn channel_access(
        &self,
        guild: u64,
        channel: u64,
        role: Option<u64>,
    ) -> Result<Access, LookupError> {
        let discord = |e: serenity::Error| LookupError::Discord(e.to_string());
        let (server, member) = self.server_and_bot(guild).await?;
        let channel = match self.http.get_channel(ChannelId::new(channel)).await {
            Ok(Channel::Guild(c)) if c.guild_id.get() == guild => c,
            Ok(_) => return Err(LookupError::UnknownChannel),
            Err(e) if status(&e) == Some(404) => return Err(LookupError::UnknownChannel),
            Err(e) => return Err(discord(e)),
        };
        let permissions = server.user_permissions_in(&channel, &member);
        let role_pingable = role.map(|r| {
            permissions.mention_everyone()
                || server
                    .roles
                    .get(&RoleId::new(r))
                    .is_some_and(|role| role.mentionable)
        });
        Ok(Access {
            permissions: permissions.bits(),
            role_pingable,
        })
    }

    /// `GET /guilds/{guild}/members/{user}` needs no privileged intent: 404 means they left.
    /// The look-ups run concurrently (a page holds at most 10 members), so a page costs one
    /// round trip, not ten.
    async fn members_present(&self, guild: u64, users: &[u64]) -> Vec<Option<Presence>> {
        let mut lookups = tokio::task::JoinSet::new();
        for (index, &user) in users.iter().enumerate() {
            let http = self.http.clone();
            lookups.spawn(async move {
                let answer = match http.get_member(GuildId::new(guild), UserId::new(user)).await {
                    Ok(member) => Some(Presence::Member(Appearance {
                        name: super::convert::names_of(member.nick.as_deref(), &member.user)
                            .into_iter()
                            .next(),
                        avatar_hash: member.user.avatar.map(|hash| hash.to_string()),
                    })),
                    Err(e) if status(&e) == Some(404) => Some(Presence::Gone),
                    Err(e) => {
                        tracing::warn!(guild_id = guild, user_id = user, error = %e, "member look-up failed");
                        None
                    }
                };
                (index, answer)
            }.in_current_span());
        }
        let mut out = vec![None; users.len()];
        while let Some(joined) = lookups.join_next().await {
            if let Ok((index, answer)) = joined {
                out[index] = answer;
            }
        }
        out
    }

    /// From the server's roles and the bot's membership, as Discord orders them: the bot can
    /// give a role only below its own highest one, with Manage Roles.
    async fn role_access(&self, guild: u64, role: u64) -> Result<RoleAccess, LookupError> {
        let (server, member) = self.server_and_bot(guild).await?;
        let top = member
            .roles
            .iter()
            .filter_map(|r| server.roles.get(r))
            .map(|r| r.position)
            .max()
            .unwrap_or(0);
        let permissions = server.member_permissions(&member);
        let target = server.roles.get(&RoleId::new(role));
        Ok(RoleAccess {
            exists: target.is_some(),
            managed: target.is_some_and(|r| r.managed),
            everyone: role == guild,
            above_bot: target.is_some_and(|r| r.position >= top),
            manage_roles: permissions.manage_roles() || permissions.administrator(),
        })
    }

    async fn set_role(
        &self,
        guild: u64,
        user: u64,
        role: u64,
        give: bool,
        reason: &str,
    ) -> Result<(), RoleError> {
        let (g, u, r) = (GuildId::new(guild), UserId::new(user), RoleId::new(role));
        let result = if give {
            self.http.add_member_role(g, u, r, Some(reason)).await
        } else {
            self.http.remove_member_role(g, u, r, Some(reason)).await
        };
        result.map_err(|e| match status(&e) {
            Some(403) => RoleError::Forbidden { code: code(&e) },
            Some(404) => RoleError::Missing { code: code(&e) },
            _ => RoleError::Transient(e.to_string()),
        })
    }

    async fn send_message(
        &self,
        channel: u64,
        message: &crate::reply::Reply,
    ) -> Result<(), LookupError> {
        ChannelId::new(channel)
            .send_message(&self.http, super::convert::create_message(message))
            .await
            .map(|_| ())
            .map_err(|e| LookupError::Discord(e.to_string()))
    }

    fn shared(&self) -> std::sync::Arc<dyn Lookups> {
        std::sync::Arc::new(self.clone())
    }
}
