//! Study prompts posted through Discord's REST API: the Discord side of
//! [`crate::scheduler::Poster`].

use std::sync::Arc;

use async_trait::async_trait;
use serenity::all::{AutoArchiveDuration, ChannelId, CreateThread, Http, MessageId, Nonce};

use crate::reply::Reply;
use crate::scheduler::{PostError, Poster};

/// Posts study prompts through Discord's REST API.
pub struct DiscordPoster {
    pub http: Arc<Http>,
}

fn classify(error: serenity::Error) -> PostError {
    match &error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            let status = r.status_code.as_u16();
            let detail = format!("{} (code {})", r.error.message, r.error.code);
            if r.error.code == 50007 {
                return PostError::DmClosed;
            }
            match status {
                403 | 404 => PostError::Gone {
                    status,
                    code: r.error.code as i64,
                    detail,
                },
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

    /// A direct message: the DM channel is opened (Discord returns the existing one), then the
    /// message is sent like a post, with its nonce enforced.
    async fn dm(&self, user: u64, message: &Reply, nonce: &str) -> Result<u64, PostError> {
        let channel = serenity::all::UserId::new(user)
            .create_dm_channel(&self.http)
            .await
            .map_err(classify)?;
        let builder = super::convert::create_message(message)
            .nonce(Nonce::String(nonce.to_string()))
            .enforce_nonce(true);
        channel
            .id
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
