//! Two tiers of errors: a member's mistake ([`UserError`]), shown to them in their language, and
//! an internal fault, logged with its cause chain while the member sees a generic apology.

use crate::error::UserError;
use crate::store::StoreError;

#[derive(Debug)]
pub enum CommandError {
    User(UserError),
    /// The database could not take the write in time (its lock stayed taken): nothing was
    /// saved, and the member is told to try again.
    Busy(anyhow::Error),
    Internal(anyhow::Error),
}

impl CommandError {
    /// One line with the whole cause chain, for logs.
    pub fn chain(&self) -> String {
        match self {
            CommandError::User(e) => format!("{e:?}"),
            CommandError::Busy(e) | CommandError::Internal(e) => format!("{e:#}"),
        }
    }
}

impl From<UserError> for CommandError {
    fn from(e: UserError) -> Self {
        CommandError::User(e)
    }
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        if e.is_busy() {
            CommandError::Busy(anyhow::Error::new(e))
        } else {
            CommandError::Internal(anyhow::Error::new(e))
        }
    }
}

impl From<anyhow::Error> for CommandError {
    fn from(e: anyhow::Error) -> Self {
        CommandError::Internal(e)
    }
}
