//! The Discord side of [`crate::edge::Edge`], over REST.

use std::sync::Arc;

use async_trait::async_trait;
use serenity::all::{
    AutoArchiveDuration, Channel, ChannelId, CreateThread, GuildId, Http, MessageId, Nonce, RoleId,
    UserId,
};

use crate::edge::{Access, Edge, EdgeError};
use crate::prompts::scheduler::{PostError, Poster};
use crate::reply::Reply;

pub struct DiscordEdge {
    pub http: Arc<Http>,
}

fn status(error: &serenity::Error) -> Option<u16> {
    match error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.status_code.as_u16())
        }
        _ => None,
    }
}

#[async_trait]
impl Edge for DiscordEdge {
    /// The bot's permissions in the channel, computed by serenity from the server's roles, the
    /// bot's membership and the channel's overwrites, as Discord computes them.
    async fn channel_access(
        &self,
        guild: u64,
        channel: u64,
        role: Option<u64>,
    ) -> Result<Access, EdgeError> {
        let discord = |e: serenity::Error| EdgeError::Discord(e.to_string());
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
        let channel = match self.http.get_channel(ChannelId::new(channel)).await {
            Ok(Channel::Guild(c)) if c.guild_id.get() == guild => c,
            Ok(_) => return Err(EdgeError::UnknownChannel),
            Err(e) if status(&e) == Some(404) => return Err(EdgeError::UnknownChannel),
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
    async fn members_present(&self, guild: u64, users: &[u64]) -> Vec<Option<bool>> {
        let mut lookups = tokio::task::JoinSet::new();
        for (index, &user) in users.iter().enumerate() {
            let http = self.http.clone();
            lookups.spawn(async move {
                let answer = match http.get_member(GuildId::new(guild), UserId::new(user)).await {
                    Ok(_) => Some(true),
                    Err(e) if status(&e) == Some(404) => Some(false),
                    Err(e) => {
                        tracing::warn!(guild_id = guild, user_id = user, error = %e, "member look-up failed");
                        None
                    }
                };
                (index, answer)
            });
        }
        let mut out = vec![None; users.len()];
        while let Some(joined) = lookups.join_next().await {
            if let Ok((index, answer)) = joined {
                out[index] = answer;
            }
        }
        out
    }
}

/// Posts study prompts through Discord's REST API.
pub struct DiscordPoster {
    pub http: Arc<Http>,
}

fn classify(error: serenity::Error) -> PostError {
    match &error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            let status = r.status_code.as_u16();
            let detail = format!("{} (code {})", r.error.message, r.error.code);
            match status {
                403 | 404 => PostError::Gone { status, detail },
                _ => PostError::Transient(format!("{status}: {detail}")),
            }
        }
        // Connection failures, timeouts, rate limits: worth retrying.
        _ => PostError::Transient(error.to_string()),
    }
}

#[async_trait]
impl Poster for DiscordPoster {
    async fn post(&self, channel: u64, message: &Reply, nonce: &str) -> Result<u64, PostError> {
        let builder = super::convert::create_message(message)
            .nonce(Nonce::String(nonce.to_string()))
            .enforce_nonce(true);
        ChannelId::new(channel)
            .send_message(&self.http, builder)
            .await
            .map(|m| m.id.get())
            .map_err(classify)
    }

    async fn open_thread(&self, channel: u64, message: u64, name: &str) -> Result<(), PostError> {
        let thread = CreateThread::new(name).auto_archive_duration(AutoArchiveDuration::OneDay);
        self.http
            .create_thread_from_message(
                ChannelId::new(channel),
                MessageId::new(message),
                &thread,
                Some("study prompt answers"),
            )
            .await
            .map(|_| ())
            .map_err(classify)
    }
}
