//! What only Discord can answer (a channel's permissions, whether members are still in a
//! server), behind a trait so commands stay testable and `trilha ask` can run them offline. The
//! Discord side is `discord::lookups`.

use async_trait::async_trait;

/// What the bot may do in a channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// The bot's permission bits in the channel, after overwrites.
    pub permissions: u64,
    /// Whether the bot's posts can ping the given role (it is mentionable, or the bot may
    /// mention every role); `None` when no role was asked about.
    pub role_pingable: Option<bool>,
}

/// Why something could not be found out from Discord.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("Discord cannot be asked from here (offline)")]
    Unavailable,
    #[error("the channel does not exist in this server")]
    UnknownChannel,
    #[error("Discord answered: {0}")]
    Discord(String),
}

/// Discord permission bits trilha checks.
pub mod permissions {
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const CREATE_PUBLIC_THREADS: u64 = 1 << 35;
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
}

#[async_trait]
pub trait Lookups: Send + Sync {
    /// The bot's access to a channel of a server, and whether it can ping `role`.
    async fn channel_access(
        &self,
        guild: u64,
        channel: u64,
        role: Option<u64>,
    ) -> Result<Access, LookupError>;

    /// For each user, whether they are a member of the server: `Some(false)` when Discord says
    /// they are not, `None` when it could not be found out (then nothing is concluded).
    async fn members_present(&self, guild: u64, users: &[u64]) -> Vec<Option<bool>>;
}

/// Offline (`trilha ask`): nothing can be looked up, so nobody is concluded to have left.
pub struct Offline;

#[async_trait]
impl Lookups for Offline {
    async fn channel_access(
        &self,
        _guild: u64,
        _channel: u64,
        _role: Option<u64>,
    ) -> Result<Access, LookupError> {
        Err(LookupError::Unavailable)
    }

    async fn members_present(&self, _guild: u64, users: &[u64]) -> Vec<Option<bool>> {
        vec![None; users.len()]
    }
}
