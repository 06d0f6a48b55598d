//! An interaction as the commands see it: who asks and where ([`Caller`]), and the option values
//! as they came ([`Args`]), before a command's options struct gives them their types.

use std::collections::BTreeMap;

use super::error::CommandError;
use crate::error::UserError;
use crate::i18n::Locale;

/// A member named by a user option: the id, and the names Discord sent with it (server
/// nickname, display name, username: most preferred first; none offline).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: u64,
    pub names: Vec<String>,
    /// Their avatar (Discord's image hash; none: the default avatar).
    pub avatar: Option<String>,
}

impl Person {
    pub fn id_only(id: u64) -> Person {
        Person {
            avatar: None,
            id,
            names: Vec::new(),
        }
    }
}

/// A parsed option value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    String(String),
    Integer(i64),
    Boolean(bool),
    User(Person),
    Channel(u64),
    Role(u64),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::String(s) => f.write_str(s),
            Value::Integer(n) => write!(f, "{n}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::User(person) => write!(f, "<@{}>", person.id),
            Value::Channel(id) => write!(f, "<#{id}>"),
            Value::Role(id) => write!(f, "<@&{id}>"),
        }
    }
}

/// Option values by option key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args(pub BTreeMap<&'static str, Value>);

impl Args {
    pub fn string(&self, key: &str) -> Option<&str> {
        match self.0.get(key)? {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn boolean(&self, key: &str) -> Option<bool> {
        match self.0.get(key)? {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }
    pub fn user(&self, key: &str) -> Option<u64> {
        self.person(key).map(|p| p.id)
    }
    pub fn person(&self, key: &str) -> Option<&Person> {
        match self.0.get(key)? {
            Value::User(person) => Some(person),
            _ => None,
        }
    }
    pub fn channel(&self, key: &str) -> Option<u64> {
        match self.0.get(key)? {
            Value::Channel(id) => Some(*id),
            _ => None,
        }
    }
    pub fn role(&self, key: &str) -> Option<u64> {
        match self.0.get(key)? {
            Value::Role(id) => Some(*id),
            _ => None,
        }
    }
}

/// Who is asking, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: u64,
    /// `None` in DMs.
    pub guild_id: Option<u64>,
    pub channel_id: Option<u64>,
    /// The member's Discord language.
    pub locale: Locale,
    /// The server's Discord language, for public posts.
    pub guild_locale: Option<Locale>,
    /// Manage Server (or Administrator) in this channel, as Discord computed it.
    pub can_manage_guild: bool,
    /// The member's names as Discord sent them (server nickname, display name, username: most
    /// preferred first; none offline unless given).
    pub names: Vec<String>,
    /// The member's avatar (Discord's image hash; none: Discord's default avatar).
    pub avatar: Option<String>,
}

impl Caller {
    /// A member of server 2 (user 1, pt-BR), for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests(can_manage_guild: bool) -> Caller {
        Caller {
            user_id: 1,
            guild_id: Some(2),
            channel_id: None,
            locale: Locale::PtBr,
            guild_locale: None,
            can_manage_guild,
            names: Vec::new(),
            avatar: None,
        }
    }

    pub fn guild(&self) -> Result<u64, CommandError> {
        self.guild_id
            .ok_or(CommandError::User(UserError::NeedsGuild))
    }
}

/// A button press.
#[derive(Clone, Debug)]
pub struct Press {
    pub custom_id: String,
    pub caller: Caller,
}
