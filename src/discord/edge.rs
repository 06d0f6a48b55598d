//! The Discord side of [`crate::edge::Edge`], over REST.

use std::sync::Arc;

use async_trait::async_trait;
use serenity::all::{GuildId, Http, UserId};

use crate::edge::Edge;

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
    /// `GET /guilds/{guild}/members/{user}` needs no privileged intent: 404 means they left.
    async fn members_present(&self, guild: u64, users: &[u64]) -> Vec<Option<bool>> {
        let mut out = Vec::with_capacity(users.len());
        for &user in users {
            let answer = match self
                .http
                .get_member(GuildId::new(guild), UserId::new(user))
                .await
            {
                Ok(_) => Some(true),
                Err(e) if status(&e) == Some(404) => Some(false),
                Err(e) => {
                    tracing::warn!(guild_id = guild, user_id = user, error = %e, "member look-up failed");
                    None
                }
            };
            out.push(answer);
        }
        out
    }
}
