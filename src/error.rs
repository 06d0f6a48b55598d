//! A member's mistake, shown to them in their language. (The other tier, an internal fault logged
//! with its cause chain while the member sees a generic apology, is
//! `commands::CommandError`: only a command can fail either way.)

use crate::roadmap::{ItemIdx, Node};

/// Something the member can fix. Rendered by [`crate::render::errors::user_error`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserError {
    /// A server-only command used in a DM.
    NeedsGuild,
    /// An admin command used without Manage Server.
    NeedsManageGuild,
    /// A button whose `custom_id` this release does not understand (an old message).
    StaleButton,
    /// The query names no item; `suggestions` are the closest ones.
    UnknownItem {
        query: String,
        suggestions: Vec<Node>,
    },
    /// The query names a section or group where an item is needed.
    NotAnItem {
        node: Node,
        items: Vec<ItemIdx>,
    },
    /// `/undo` on an item that is not marked.
    NothingToUndo {
        item: ItemIdx,
    },
    /// No section matches.
    UnknownSection {
        query: String,
    },
    /// Not an IANA time zone; `suggestions` are zone names.
    UnknownTimezone {
        query: String,
        suggestions: Vec<String>,
    },
    /// Not a time of day ("9h", "21:30").
    BadTime {
        value: String,
    },
    /// Not a set of weekdays.
    BadDays {
        value: String,
    },
    /// The bot lacks these permission bits in the channel (or cannot ping `role`).
    MissingPermissions {
        channel: u64,
        missing: u64,
        role: Option<u64>,
    },
    /// Prompts are not set up in this server.
    PromptsNotConfigured,
    /// Prompts are paused; nothing can be posted now.
    PromptsPaused,
    /// A "Share" button pressed by someone other than the card's owner.
    NotYourCard,
    /// A "Full map" button pressed by someone other than the one who opened the card.
    NotYourFullMap,
    /// The card could not be drawn in time to share it.
    PictureUnavailable,
    /// `/card` from a member with progress in no server.
    NoCardServers,
    /// `/card` with a server that is not one of the member's.
    UnknownCardServer,
    /// A wrong answer locked this item's quiz until `until`.
    QuizLocked {
        item: ItemIdx,
        until: i64,
    },
    /// The item has no quiz questions.
    NoQuestions {
        item: ItemIdx,
    },
    /// `/quiz` without a topic, from a member with nothing learning or done.
    NothingToQuiz,
    /// An answer button of someone else's question.
    QuizNotYours,
    /// A question answered already (a replay, a double press).
    QuizAnswered,
    /// A question older than the time to answer it.
    QuizExpired,
    /// An answer button naming no question (tampered, or from another database).
    QuizGone,
    /// `/rewards add` for a number of items or streak days, without the number.
    RewardNeedsCount,
    /// `/rewards add kind:section` without a section.
    RewardNeedsSection,
    /// @everyone as a reward.
    RewardEveryone,
    RewardUnknownRole {
        role: u64,
    },
    /// The bot lacks Manage Roles.
    RewardNoManageRoles,
    /// A role managed by an integration.
    RewardManagedRole {
        role: u64,
    },
    /// A role at or above the bot's highest role.
    RewardRoleAbove {
        role: u64,
    },
    /// `/rewards remove` with an id no reward has.
    RewardUnknown {
        id: u64,
    },
}
