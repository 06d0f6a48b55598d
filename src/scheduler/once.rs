//! The one way the scheduler sends a message: exactly once, whatever crashes or retries.
//!
//! Every kind of message (a prompt slot, a week's digest, a day's reminder) has a record under an
//! idempotency key (the server and slot, the server and week, the member and day). A send:
//! 1. finds or creates that record ([`Once::begin`]), which fixes the message's nonce; a record
//!    that is no longer sending was finished by an earlier attempt, and nothing is sent;
//! 2. drafts the message ([`Once::draft`]), only when it is to be sent;
//! 3. sends it with the nonce enforced, at the pace of the bot's REST budget, so a retry after a
//!    crash between "sent" and "recorded" gets back the message Discord already created;
//! 4. records the outcome ([`Once::record`]); a transient failure is retried against the time
//!    the message was due ([`retry_at`]), never past its grace.

use std::sync::Arc;

use async_trait::async_trait;

use super::pace::Pacer;
use super::poster::{PostError, Poster};
use crate::outbox::SendStatus;
use crate::reply::Reply;
use crate::store::StoreError;

/// Where a message goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    Channel(u64),
    /// A direct message to a member.
    Member(u64),
}

/// A send's record, as found or created under its idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub nonce: String,
    pub status: SendStatus,
    pub attempts: u32,
    pub message_id: Option<u64>,
}

/// What to send, once a send is due.
pub enum Draft {
    Send {
        to: Recipient,
        message: Reply,
    },
    /// It cannot be sent any more (what it was about left the roadmap).
    GiveUp(String),
}

/// How a send went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Nothing to send: no record was made.
    Nothing,
    /// An earlier attempt finished it: nothing was sent now.
    Already {
        status: SendStatus,
        message_id: Option<u64>,
    },
    Delivered {
        message_id: u64,
    },
    /// Refused for good: the channel is gone (404) or closed to the bot (403).
    Refused {
        status: u16,
        code: i64,
        detail: String,
    },
    /// The member does not accept direct messages (50007).
    DmClosed,
    /// It could not be drafted any more.
    GaveUp(String),
    /// Worth retrying (5xx, 429, a timeout).
    Transient(String),
}

/// One message sent at most once.
#[async_trait]
pub trait Once: Send {
    /// Finds or creates the record under the message's idempotency key: `None` when there is
    /// nothing to send.
    async fn begin(&mut self, now: i64) -> Result<Option<Record>, StoreError>;
    /// The message, while its record says it is still to be sent.
    async fn draft(&mut self) -> Result<Draft, StoreError>;
    /// Records how the send went (every outcome, [`Sent::Transient`] included: the job decides
    /// when it is retried).
    async fn record(&mut self, sent: &Sent, now: i64) -> Result<(), StoreError>;
}

/// Sends messages for the scheduler's jobs.
#[derive(Clone)]
pub struct Sender {
    pub poster: Arc<dyn Poster>,
    pub pacer: Arc<Pacer>,
}

impl Sender {
    /// Sends `once`'s message unless its record says it was sent, and records the outcome.
    pub async fn send_once(&self, once: &mut impl Once, now: i64) -> Result<Sent, StoreError> {
        let sent = match once.begin(now).await? {
            None => Sent::Nothing,
            Some(record) if record.status != SendStatus::Sending => Sent::Already {
                status: record.status,
                message_id: record.message_id,
            },
            Some(record) => match once.draft().await? {
                Draft::GiveUp(reason) => Sent::GaveUp(reason),
                Draft::Send { to, message } => self.send(to, &message, &record.nonce).await,
            },
        };
        once.record(&sent, now).await?;
        Ok(sent)
    }

    async fn send(&self, to: Recipient, message: &Reply, nonce: &str) -> Sent {
        self.pacer.acquire().await;
        let result = match to {
            Recipient::Channel(channel) => self.poster.post(channel, message, nonce).await,
            Recipient::Member(user) => self.poster.dm(user, message, nonce).await,
        };
        match result {
            Ok(message_id) => Sent::Delivered { message_id },
            Err(PostError::Gone {
                status,
                code,
                detail,
            }) => Sent::Refused {
                status,
                code,
                detail,
            },
            Err(PostError::DmClosed) => Sent::DmClosed,
            Err(PostError::Transient(error)) => Sent::Transient(error),
        }
    }
}

/// Seconds before retrying after `attempts` transient failures: 15 s, 30 s, 60 s ... at most 10
/// min.
pub fn backoff(attempts: u32) -> i64 {
    (15_i64 << attempts.saturating_sub(1).min(6)).min(600)
}

/// When to retry a message due at `due` after its `attempts`-th transient failure, judged
/// against the time it was due: `None` when the retry would come more than `grace` seconds after
/// it (the message is then given up, never sent that late).
pub fn retry_at(due: i64, attempts: u32, now: i64, grace: i64) -> Option<i64> {
    let at = now + backoff(attempts);
    (at - due <= grace).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(1), 15);
        assert_eq!(backoff(2), 30);
        assert_eq!(backoff(3), 60);
        assert_eq!(backoff(30), 600);
    }

    #[test]
    fn a_retry_is_judged_against_the_due_time_not_the_last_attempt() {
        // Due at 0 with 2 h of grace: the third retry at 7 170 s still fits; one more does not.
        assert_eq!(retry_at(0, 3, 7_110, 7_200), Some(7_170));
        assert_eq!(retry_at(0, 3, 7_150, 7_200), None);
        // A message due an hour ago is judged from its due time, whatever the attempts.
        assert_eq!(retry_at(-3_600, 1, 0, 3_600), None);
        assert_eq!(retry_at(-3_600, 1, -15, 3_600), Some(0));
    }
}
