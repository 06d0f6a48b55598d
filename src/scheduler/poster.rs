//! What sends the scheduler's messages: Discord in production (`discord::poster`), a recorder in
//! tests and benchmarks.

use async_trait::async_trait;

use crate::reply::Reply;

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostError {
    /// The channel is gone (404) or closed to the bot (403): retrying will not help. `code` is
    /// Discord's JSON error code (50013: missing permissions).
    Gone {
        status: u16,
        code: i64,
        detail: String,
    },
    /// Worth retrying: 5xx, 429, timeouts, connection errors.
    Transient(String),
    /// A direct message Discord refused because the member does not accept them (50007).
    DmClosed,
}

/// Sends the scheduler's messages.
#[async_trait]
pub trait Poster: Send + Sync {
    /// Creates the message with this nonce (enforced), returning its id.
    async fn post(&self, channel: u64, message: &Reply, nonce: &str) -> Result<u64, PostError>;
    /// Opens a thread for answers under a message.
    async fn open_thread(&self, channel: u64, message: u64, name: &str) -> Result<(), PostError>;
    /// Sends a direct message to a user, with this nonce (enforced), returning its id.
    async fn dm(&self, user: u64, message: &Reply, nonce: &str) -> Result<u64, PostError>;
}
