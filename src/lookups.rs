//! What only Discord can answer or do (a channel's permissions, whether members are still in a
//! server, what the bot may do with a role, giving and taking roles), behind a trait so commands
//! stay testable and `trilha ask` can run them offline. The Discord side is `discord::lookups`.

use std::sync::Arc;

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

/// Whether someone is a member of a server, as a look-up found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Presence {
    /// A member, appearing so (their name in the server and their avatar).
    Member(crate::guild::Appearance),
    /// Discord said they are not a member.
    Gone,
}

/// What the bot may do with a role of a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleAccess {
    pub exists: bool,
    /// Managed by an integration (a bot's own role, a subscription, Server Boost).
    pub managed: bool,
    /// The server's @everyone role.
    pub everyone: bool,
    /// At or above the bot's highest role: Discord refuses to let the bot give it.
    pub above_bot: bool,
    /// The bot has Manage Roles (or Administrator).
    pub manage_roles: bool,
}

/// Why a role could not be given or taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    /// 403: the bot lacks Manage Roles, or the role is above its own.
    #[error("Discord refused (403, code {code})")]
    Forbidden { code: i64 },
    /// 404: the role (or the member) is gone.
    #[error("Discord does not know the role or the member (404, code {code})")]
    Missing { code: i64 },
    #[error("Discord did not answer: {0}")]
    Transient(String),
    #[error("Discord cannot be asked from here (offline)")]
    Unavailable,
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

    /// For each user, whether they are a member of the server (and how they appear there);
    /// `None` when it could not be found out (then nothing is concluded).
    async fn members_present(&self, guild: u64, users: &[u64]) -> Vec<Option<Presence>>;

    /// What the bot may do with a role.
    async fn role_access(&self, guild: u64, role: u64) -> Result<RoleAccess, LookupError>;

    /// Gives (`give`) or takes a role from a member, with the reason shown in the audit log.
    async fn set_role(
        &self,
        guild: u64,
        user: u64,
        role: u64,
        give: bool,
        reason: &str,
    ) -> Result<(), RoleError>;

    /// Posts a public message in a channel (an achievement's announcement).
    async fn send_message(
        &self,
        channel: u64,
        message: &crate::reply::Reply,
    ) -> Result<(), LookupError>;

    /// The same lookups, owned: for work that outlives the interaction (roles given after the
    /// reply).
    fn shared(&self) -> Arc<dyn Lookups>;
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

    async fn members_present(&self, _guild: u64, users: &[u64]) -> Vec<Option<Presence>> {
        vec![None; users.len()]
    }

    async fn role_access(&self, _guild: u64, _role: u64) -> Result<RoleAccess, LookupError> {
        Err(LookupError::Unavailable)
    }

    async fn set_role(
        &self,
        _guild: u64,
        _user: u64,
        _role: u64,
        _give: bool,
        _reason: &str,
    ) -> Result<(), RoleError> {
        Err(RoleError::Unavailable)
    }

    async fn send_message(
        &self,
        _channel: u64,
        _message: &crate::reply::Reply,
    ) -> Result<(), LookupError> {
        Err(LookupError::Unavailable)
    }

    fn shared(&self) -> Arc<dyn Lookups> {
        Arc::new(Offline)
    }
}
