//! Logging, initialised once by `main`, with two guarantees: secrets never reach the output,
//! and gateway payloads serenity drops are counted and answered, not just logged.
//!
//! Secrets: the bot token and interaction tokens (each valid 15 minutes: enough to post as the
//! bot). serenity records them in places trilha does not control: its HTTP spans print the whole
//! request (the route holds the interaction token), a payload that fails to parse is logged with
//! its text, and an unknown event is logged in full at DEBUG. Those spans and events are kept out
//! of the output at every level, and every line written is also scanned for the bot token and for
//! interaction tokens (base64 of `interaction:<id>:...`) as a last guard.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tracing::{Level, Metadata};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::config::LogFormat;

/// Every interaction token starts with the base64 of `interaction:`.
const INTERACTION_TOKEN_PREFIX: &str = "aW50ZXJhY3Rpb246";
const REDACTED: &str = "[redacted]";

/// Spans and events of dependencies that carry tokens in their fields or messages.
fn may_carry_secrets(meta: &Metadata<'_>) -> bool {
    let target = meta.target();
    // `request{req=Request { route: CreateInteractionResponse { token: ".." } }}`.
    (meta.is_span() && target.starts_with("serenity::http"))
        // "Err deserializing text: ...; text: {the whole payload}".
        || target.starts_with("serenity::gateway::ws")
        // "An unknown event was received: {the whole event}".
        || (target.starts_with("serenity::client::dispatch") && *meta.level() >= Level::DEBUG)
}

/// Installs the global subscriber: `filter` uses `RUST_LOG` syntax, output goes to stderr.
/// `secret` is the bot token, redacted wherever it would appear.
pub fn init(filter: &str, format: LogFormat, secret: Option<&str>) -> Result<(), String> {
    let env_filter = EnvFilter::try_new(filter)
        .map_err(|e| format!("RUST_LOG: `{filter}` is not a valid filter ({e}). Use e.g. `info` or `info,trilha=debug`."))?;
    let writer = Redacting {
        secret: secret.filter(|s| !s.is_empty()).map(str::to_string),
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        // Colour only for people; log files and journald get plain text.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(true);
    let output = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt.json().flatten_event(true).boxed(),
    }
    .with_filter(env_filter)
    .with_filter(filter_fn(|meta| !may_carry_secrets(meta)));
    // Whatever RUST_LOG says, dropped frames are counted.
    let dropped = DroppedFrames.with_filter(filter_fn(|meta| {
        meta.target().starts_with("serenity::gateway::ws") && *meta.level() <= Level::WARN
    }));
    // Whatever RUST_LOG says, fatal gateway closes are noticed (the watchdog acts on them).
    let fatal = FatalCloses.with_filter(filter_fn(|meta| {
        meta.target().starts_with("serenity::gateway") && *meta.level() <= Level::WARN
    }));
    let result = Registry::default()
        .with(output)
        .with(dropped)
        .with(fatal)
        .try_init();
    // A second call (tests) keeps the first subscriber.
    let _ = result;
    Ok(())
}

/// Writes log lines to stderr with secrets replaced.
#[derive(Clone)]
struct Redacting {
    secret: Option<String>,
}

impl<'a> MakeWriter<'a> for Redacting {
    type Writer = RedactingLine;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingLine {
            secret: self.secret.clone(),
            buffer: Vec::new(),
        }
    }
}

/// One formatted event (the formatter writes it whole, then drops the writer).
struct RedactingLine {
    secret: Option<String>,
    buffer: Vec<u8>,
}

impl Write for RedactingLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingLine {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.buffer);
        let clean = redact(&text, self.secret.as_deref());
        let _ = std::io::stderr().lock().write_all(clean.as_bytes());
    }
}

/// `text` with the bot token and every interaction token replaced.
pub fn redact(text: &str, secret: Option<&str>) -> String {
    let mut out = match secret {
        Some(secret) if text.contains(secret) => text.replace(secret, REDACTED),
        _ => text.to_string(),
    };
    while let Some(start) = out.find(INTERACTION_TOKEN_PREFIX) {
        let end = out[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')))
            .map_or(out.len(), |n| start + n);
        out.replace_range(start..end, REDACTED);
    }
    out
}

/// Gateway frames serenity could not parse at all (not even as an unknown event): it logs them
/// with their text and drops them. Counted here, and an interaction among them is handed to the
/// bot (see [`take_dropped_interactions`]) so the member still gets an answer.
struct DroppedFrames;

static FRAMES_DROPPED: AtomicU64 = AtomicU64::new(0);

/// An interaction recovered from a dropped frame: id, token, locale, interaction type.
#[derive(Debug, Clone)]
pub struct DroppedInteraction {
    pub id: u64,
    pub token: String,
    pub locale: Option<String>,
    pub kind: Option<u64>,
}

static DROPPED_INTERACTIONS: Mutex<Vec<DroppedInteraction>> = Mutex::new(Vec::new());
/// Wakes whoever answers [`DROPPED_INTERACTIONS`].
pub static DROPPED_WAKE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// How many gateway frames serenity dropped because it could not parse them.
pub fn frames_dropped() -> u64 {
    FRAMES_DROPPED.load(Ordering::Relaxed)
}

/// Interactions found in dropped frames since the last call.
pub fn take_dropped_interactions() -> Vec<DroppedInteraction> {
    std::mem::take(
        &mut *DROPPED_INTERACTIONS
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    )
}

#[derive(Default)]
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for DroppedFrames {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        if !meta.target().starts_with("serenity::gateway::ws") || *meta.level() != Level::WARN {
            return;
        }
        let mut message = Message::default();
        event.record(&mut message);
        if !message.0.starts_with("Err deserializing") {
            return;
        }
        FRAMES_DROPPED.fetch_add(1, Ordering::Relaxed);
        // Text frames carry the payload after "; text: "; compressed ones only their bytes at
        // DEBUG, which are not kept.
        let Some((_, payload)) = message.0.split_once("; text: ") else {
            return;
        };
        let Ok(frame) = serde_json::from_str::<serde_json::Value>(payload) else {
            return;
        };
        if frame["t"] != "INTERACTION_CREATE" {
            return;
        }
        let d = &frame["d"];
        if let (Some(id), Some(token)) = (
            d["id"].as_str().and_then(|i| i.parse().ok()),
            d["token"].as_str(),
        ) {
            DROPPED_INTERACTIONS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(DroppedInteraction {
                    id,
                    token: token.to_string(),
                    locale: d["locale"].as_str().map(str::to_string),
                    kind: d["type"].as_u64(),
                });
            DROPPED_WAKE.notify_one();
        }
    }
}

/// The fatal close Discord sent the gateway (4010 invalid shard, 4011 sharding required), 0 when
/// none. serenity 0.12 only logs these and then retries forever without awaiting, pinning a
/// worker; `ops::watchdog` exits the process when it sees one.
static FATAL_CLOSE: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);

/// The fatal gateway close seen, if any.
pub fn fatal_gateway_close() -> Option<u16> {
    Some(FATAL_CLOSE.load(Ordering::Acquire)).filter(|code| *code != 0)
}

/// Records a fatal close (also for tests of what follows one).
pub fn record_fatal_gateway_close(code: u16) {
    FATAL_CLOSE.store(code, Ordering::Release);
}

/// Reads serenity's reports of the close codes it does not act on.
struct FatalCloses;

impl<S: tracing::Subscriber> Layer<S> for FatalCloses {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut message = Message::default();
        event.record(&mut message);
        // serenity::gateway::shard's words for close codes 4010 and 4011.
        let code = if message.0.contains("Sent invalid shard data") {
            4010
        } else if message.0.contains("Shard has too many guilds") {
            4011
        } else {
            return;
        };
        record_fatal_gateway_close(code);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_redacted_wherever_they_appear() {
        let token = "aW50ZXJhY3Rpb246MTIzOmFiYw.x-y_z";
        let line = format!(
            "route: CreateInteractionResponse {{ token: \"{token}\" }} /webhooks/1/{token}/messages bot SECRET"
        );
        let clean = redact(&line, Some("SECRET"));
        assert!(!clean.contains("aW50ZXJhY3Rpb246"), "{clean}");
        assert!(!clean.contains("SECRET"), "{clean}");
        assert_eq!(clean.matches(REDACTED).count(), 3, "{clean}");
        assert!(
            clean.contains("/messages"),
            "the rest of the line stays: {clean}"
        );
    }
}
