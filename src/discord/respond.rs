//! Answering an interaction inside Discord's three seconds, whatever the work costs.
//!
//! The work runs while a timer does: a reply ready within [`DEFER_AFTER`] is sent as the
//! interaction's response; otherwise the interaction is deferred (Discord shows "thinking…",
//! or nothing for a button whose message will be updated) and the reply follows by editing that
//! response when the work is done. A held database lock, a slow Discord or a large server can
//! then delay an answer, never lose it to "The application did not respond".

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{
    CreateInteractionResponse, CreateInteractionResponseMessage, Http, InteractionId,
};
use serenity::builder::Builder;
use tokio::time::Instant;

use super::convert;
use crate::i18n::Locale;
use crate::ops::metrics::{Metrics, ResponseFailure};
use crate::reply::{Delivery, Reply};

/// When to stop waiting for the work and defer: early enough that the deferral reaches Discord
/// within its 3 s even when Discord (or the network) takes a second to take it.
pub const DEFER_AFTER: Duration = Duration::from_millis(1500);
/// How long a deferred interaction's work may take in all before the member gets an apology
/// instead (the interaction's token stays valid for 15 minutes).
const FINISH_WITHIN: Duration = Duration::from_secs(60);
/// Discord's deadline for the first response.
const DEADLINE: Duration = Duration::from_secs(3);

/// What a deferral promises: a new message (visible to all, or only to the member), or an update
/// of the message the pressed button is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deferral {
    NewMessage { ephemeral: bool },
    Update,
}

/// One interaction to answer.
pub struct Responder {
    pub http: Arc<Http>,
    pub id: InteractionId,
    pub token: String,
    /// When the interaction reached the bot: the 3 s are counted from here.
    pub received: Instant,
    pub metrics: Arc<Metrics>,
    /// The member's language, for the apology when a reply cannot be sent.
    pub locale: Locale,
}

impl Responder {
    /// Runs `work` and answers with its reply: at once, or deferred and then by an edit.
    pub async fn answer(&self, what: &str, deferral: Deferral, work: impl Future<Output = Reply>) {
        let work = std::pin::pin!(work);
        let mut work = work;
        tokio::select! {
            reply = &mut work => {
                let reply = self.safe(what, reply);
                self.respond(what, convert::response(&reply)).await;
            }
            _ = tokio::time::sleep_until(self.received + DEFER_AFTER) => {
                self.metrics.deferred(what);
                let defer = match deferral {
                    Deferral::NewMessage { ephemeral } => CreateInteractionResponse::Defer(
                        CreateInteractionResponseMessage::new().ephemeral(ephemeral),
                    ),
                    Deferral::Update => CreateInteractionResponse::Acknowledge,
                };
                let deferred = self.respond(what, defer).await;
                let reply = match tokio::time::timeout(FINISH_WITHIN, work).await {
                    Ok(reply) => self.safe(what, reply),
                    Err(_) => {
                        tracing::error!(command = what, "gave up on an interaction after {FINISH_WITHIN:?}");
                        crate::render::errors::internal_error(self.locale)
                    }
                };
                if deferred {
                    self.complete(what, deferral, &reply).await;
                }
            }
        }
    }

    /// The reply, or the member's apology when it would break Discord's limits (a renderer's bug,
    /// detailed for the operator).
    fn safe(&self, what: &str, reply: Reply) -> Reply {
        let (reply, violations) = crate::render::errors::within_limits(reply, self.locale);
        if !violations.is_empty() {
            tracing::error!(
                command = what,
                ?violations,
                "reply breaks Discord's limits; sent an apology instead"
            );
        }
        reply
    }

    /// Sends the interaction's first response; `false` (counted and logged) if Discord refused it.
    pub async fn respond(&self, what: &str, response: CreateInteractionResponse) -> bool {
        let result = response.execute(&self.http, (self.id, &self.token)).await;
        let elapsed = self.received.elapsed();
        match result {
            Ok(()) if elapsed <= DEADLINE => true,
            Ok(()) => {
                // Discord took it, but it reached Discord late: the member may have seen
                // "The application did not respond".
                self.metrics.response_failed(ResponseFailure::Late);
                tracing::warn!(
                    command = what,
                    elapsed_ms = elapsed.as_millis() as u64,
                    "response sent after Discord's 3 s"
                );
                true
            }
            Err(error) => {
                let reason = if elapsed > DEADLINE || discord_code(&error) == Some(10062) {
                    ResponseFailure::Late
                } else {
                    ResponseFailure::Refused
                };
                self.metrics.response_failed(reason);
                tracing::error!(command = what, reason = reason.as_str(), elapsed_ms = elapsed.as_millis() as u64, %error, "could not answer the interaction");
                false
            }
        }
    }

    /// Delivers a reply after a deferral: an edit of the deferred response where the reply fits
    /// it, else a follow-up (an error answering a button whose message was to be updated, or a
    /// private reply to a command deferred in public).
    async fn complete(&self, what: &str, deferral: Deferral, reply: &Reply) {
        let fits = match (deferral, reply.delivery) {
            (Deferral::Update, Delivery::UpdateMessage) => true,
            (Deferral::Update, Delivery::NewMessage) => false,
            (Deferral::NewMessage { ephemeral }, _) => ephemeral == reply.ephemeral,
        };
        let result = if fits {
            convert::edit(reply)
                .execute(&self.http, &self.token)
                .await
                .map(|_| ())
        } else {
            if let Deferral::NewMessage { .. } = deferral {
                // The public "thinking…" message must not stay behind a private answer.
                let _ = self
                    .http
                    .delete_original_interaction_response(&self.token)
                    .await;
            }
            convert::followup(reply)
                .execute(&self.http, (None, &self.token))
                .await
                .map(|_| ())
        };
        if let Err(error) = result {
            self.metrics.response_failed(ResponseFailure::FollowUp);
            tracing::error!(command = what, %error, "could not deliver a deferred reply");
        }
    }
}

/// Discord's JSON error code of a failed request (10062: unknown interaction).
fn discord_code(error: &serenity::Error) -> Option<isize> {
    match error {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) => {
            Some(r.error.code)
        }
        _ => None,
    }
}
