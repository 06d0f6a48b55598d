//! The bot's metrics, exposed by `/metrics` in the OpenMetrics text format (which Prometheus
//! reads), with `prometheus-client`: typed label sets, so a label value can only be one the
//! README documents.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency buckets (seconds): Discord's deadline is 3 s, members notice above ~100 ms.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0];

/// What kind of interaction.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum InteractionKind {
    Command,
    Autocomplete,
    Button,
}

/// How an interaction ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    UserError,
    /// The database could not take the write in time.
    Busy,
    InternalError,
}

/// Why a response did not reach the member as it should have.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ResponseFailure {
    /// It reached Discord after its 3 s (or Discord said the interaction was unknown).
    Late,
    /// Discord answered with an error.
    Refused,
    /// A deferred reply could not be delivered.
    FollowUp,
}

/// Why a prompt slot did not become a post.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum PromptFailure {
    Forbidden,
    Missing,
    Skipped,
    GivenUp,
    Invalid,
}

/// Which picture.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum PictureKind {
    Card,
    HeatMap,
    Summary,
    Leaderboard,
}

/// What became of a picture a reply wanted.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum PictureOutcome {
    /// Attached (drawn now or taken from the cache).
    Attached,
    /// Not ready in time: the text answer went alone.
    Late,
    /// Drawing failed: the text answer went alone.
    Failed,
}

/// How a picture got a face (an avatar, a server icon).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum FaceOutcome {
    /// From the cache.
    Cached,
    /// Fetched from the CDN in time.
    Fetched,
    /// Not fetched in time: initials drawn (the fetch goes on for next time).
    Late,
    /// The CDN had none or a broken one: initials drawn.
    Failed,
    /// Nothing to fetch (a server without an icon, or offline): initials drawn.
    Initials,
}

/// Label values, written as the README's metrics table documents them.
macro_rules! label_values {
    ($($type:ty { $($variant:ident => $text:literal),* $(,)? })*) => {$(
        impl $type {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)* }
            }
        }
        impl EncodeLabelValue for $type {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                encoder.write_str(self.as_str())
            }
        }
    )*};
}

label_values! {
    InteractionKind { Command => "command", Autocomplete => "autocomplete", Button => "button" }
    Outcome { Ok => "ok", UserError => "user_error", Busy => "busy", InternalError => "internal_error" }
    ResponseFailure { Late => "late", Refused => "refused", FollowUp => "follow_up" }
    PromptFailure {
        Forbidden => "forbidden", Missing => "missing", Skipped => "skipped",
        GivenUp => "given_up", Invalid => "invalid",
    }
    PictureKind {
        Card => "card", HeatMap => "heat_map", Summary => "summary", Leaderboard => "leaderboard",
    }
    FaceOutcome {
        Cached => "cached", Fetched => "fetched", Late => "late", Failed => "failed",
        Initials => "initials",
    }
    PictureOutcome { Attached => "attached", Late => "late", Failed => "failed" }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PictureLabels {
    picture: PictureKind,
    outcome: PictureOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaceLabels {
    outcome: FaceOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InteractionLabels {
    kind: InteractionKind,
    command: String,
    outcome: Outcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: InteractionKind,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    command: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    reason: ResponseFailure,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PromptLabels {
    reason: PromptFailure,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ShardLabels {
    shard: u32,
}

/// One gateway shard of this process, as serenity last reported it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ShardState {
    pub id: u32,
    /// serenity's connection stage: `connected`, `connecting`, `resuming`...
    pub stage: String,
    /// The last heartbeat's round trip.
    pub latency_ms: Option<u64>,
}

type Histograms = Family<KindLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

pub struct Metrics {
    registry: Registry,
    interactions: Family<InteractionLabels, Counter>,
    latency: Histograms,
    deferred: Family<CommandLabels, Counter>,
    responses_failed: Family<FailureLabels, Counter>,
    events_unparsed: Family<EventLabels, Counter>,
    frames_dropped: Counter,
    /// What [`crate::telemetry::frames_dropped`] read at the last scrape.
    frames_seen: AtomicU64,
    prompts_posted: Counter,
    prompt_last_tick: Gauge,
    prompts_failed: Family<PromptLabels, Counter>,
    gateway_connected: Gauge,
    gateway_up: AtomicBool,
    gateway_reconnects: Counter,
    gateway_sessions: AtomicU64,
    pictures: Family<PictureLabels, Counter>,
    faces: Family<FaceLabels, Counter>,
    shard_up: Family<ShardLabels, Gauge>,
    shard_latency: Family<ShardLabels, Gauge<f64, AtomicU64>>,
    shards: std::sync::Mutex<Vec<ShardState>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("gateway_connected", &self.gateway_connected())
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut metrics = Metrics {
            registry: Registry::default(),
            interactions: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
            deferred: Family::default(),
            responses_failed: Family::default(),
            events_unparsed: Family::default(),
            frames_dropped: Counter::default(),
            frames_seen: AtomicU64::new(0),
            prompts_posted: Counter::default(),
            prompt_last_tick: Gauge::default(),
            prompts_failed: Family::default(),
            gateway_connected: Gauge::default(),
            gateway_up: AtomicBool::new(false),
            gateway_reconnects: Counter::default(),
            gateway_sessions: AtomicU64::new(0),
            pictures: Family::default(),
            faces: Family::default(),
            shard_up: Family::default(),
            shard_latency: Family::default(),
            shards: Default::default(),
        };
        metrics.register_families();
        metrics
    }
}

impl Metrics {
    /// Registers every metric under its exposed name and help text. The registry shares each
    /// metric with its field (a clone is a handle), and `/metrics` lists them in this order.
    fn register_families(&mut self) {
        macro_rules! register {
            ($($field:ident: $name:literal, $help:literal;)*) => {$(
                self.registry.register($name, $help, self.$field.clone());
            )*};
        }
        register! {
            interactions: "trilha_interactions",
                "Interactions answered, by kind, command and outcome";
            latency: "trilha_interaction_duration_seconds",
                "Time from receiving an interaction to answering it";
            deferred: "trilha_interactions_deferred",
                "Interactions deferred because their work took longer than the deferral threshold, by command";
            responses_failed: "trilha_interaction_responses_failed",
                "Responses Discord refused or that arrived after its 3 s deadline, by reason";
            events_unparsed: "trilha_gateway_events_unparsed",
                "Gateway events serenity could not parse, by event name (interactions among them were answered from the raw payload)";
            frames_dropped: "trilha_gateway_frames_dropped",
                "Gateway frames serenity could not read at all and dropped";
            prompts_posted: "trilha_prompts_posted",
                "Study prompts posted";
            prompt_last_tick: "trilha_prompt_scheduler_last_tick_seconds",
                "The time (Unix seconds, by the bot's clock) the prompt scheduler's last completed tick handled: every slot due by then is posted, skipped or retrying";
            prompts_failed: "trilha_prompts_failed",
                "Prompt slots not posted, by reason";
            gateway_connected: "trilha_gateway_connected",
                "Whether the gateway connection is up";
            gateway_reconnects: "trilha_gateway_reconnects",
                "Gateway connections after the first (resumes and new sessions)";
            pictures: "trilha_pictures",
                "Pictures replies asked for, by picture and outcome (late or failed ones left the text answer alone)";
            faces: "trilha_picture_faces",
                "Avatars and server icons pictures asked for, by outcome (late, failed and initials ones drew initials)";
            shard_up: "trilha_gateway_shard_connected",
                "Whether each gateway shard of this process is connected";
            shard_latency: "trilha_gateway_shard_latency_seconds",
                "Each shard's last heartbeat round trip";
        }
    }

    /// An interaction and how it ended.
    pub fn interaction(&self, kind: InteractionKind, name: &str, outcome: Outcome) {
        self.interactions
            .get_or_create(&InteractionLabels {
                kind,
                command: name.to_string(),
                outcome,
            })
            .inc();
    }

    /// How long an interaction took to answer.
    pub fn latency(&self, kind: InteractionKind, seconds: f64) {
        self.latency
            .get_or_create(&KindLabels { kind })
            .observe(seconds);
    }

    /// An interaction deferred because its work outlasted the deferral threshold.
    pub fn deferred(&self, command: &str) {
        self.deferred
            .get_or_create(&CommandLabels {
                command: command.to_string(),
            })
            .inc();
    }

    /// A response Discord did not take, or took too late.
    pub fn response_failed(&self, reason: ResponseFailure) {
        self.responses_failed
            .get_or_create(&FailureLabels { reason })
            .inc();
    }

    /// A gateway event serenity could not parse.
    pub fn event_unparsed(&self, event: &str) {
        self.events_unparsed
            .get_or_create(&EventLabels {
                event: event.to_string(),
            })
            .inc();
    }

    /// How a picture got a face.
    pub fn face(&self, outcome: FaceOutcome) {
        self.faces.get_or_create(&FaceLabels { outcome }).inc();
    }

    pub fn picture(&self, picture: PictureKind, outcome: PictureOutcome) {
        self.pictures
            .get_or_create(&PictureLabels { picture, outcome })
            .inc();
    }

    pub fn prompt_posted(&self) {
        self.prompts_posted.inc();
    }

    /// The scheduler finished a tick that handled everything due at `now`.
    pub fn prompt_tick(&self, now: i64) {
        self.prompt_last_tick.set(now);
    }

    /// A prompt slot that did not become a post.
    pub fn prompt_failed(&self, reason: PromptFailure) {
        self.prompts_failed
            .get_or_create(&PromptLabels { reason })
            .inc();
    }

    /// Every shard of this process as serenity reports it now.
    pub fn shards_seen(&self, shards: Vec<ShardState>) {
        for shard in &shards {
            let labels = ShardLabels { shard: shard.id };
            self.shard_up
                .get_or_create(&labels)
                .set(i64::from(shard.stage == "connected"));
            if let Some(ms) = shard.latency_ms {
                self.shard_latency
                    .get_or_create(&labels)
                    .set(ms as f64 / 1000.0);
            }
        }
        *self.shards.lock().unwrap_or_else(|e| e.into_inner()) = shards;
    }

    /// This process's shards, as last seen.
    pub fn shards(&self) -> Vec<ShardState> {
        self.shards
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The gateway connection is up.
    pub fn gateway_up(&self) {
        self.set_gateway(true);
    }

    /// A gateway session was established (READY or RESUMED): every one after the first is a
    /// reconnect. Whether the gateway is up is the caller's to say (with several shards, one
    /// session is not all of them).
    pub fn gateway_session(&self) {
        if self.gateway_sessions.fetch_add(1, Ordering::Relaxed) > 0 {
            self.gateway_reconnects.inc();
        }
    }

    pub fn gateway_down(&self) {
        self.set_gateway(false);
    }

    fn set_gateway(&self, up: bool) {
        self.gateway_up.store(up, Ordering::Relaxed);
        self.gateway_connected.set(i64::from(up));
    }

    pub fn gateway_connected(&self) -> bool {
        self.gateway_up.load(Ordering::Relaxed)
    }

    /// Everything, in the OpenMetrics text format.
    pub fn render(&self) -> String {
        let dropped = crate::telemetry::frames_dropped();
        let seen = self.frames_seen.swap(dropped, Ordering::Relaxed);
        self.frames_dropped.inc_by(dropped.saturating_sub(seen));
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[cfg(test)]
mod tests {
    use super::*;

    /// Scrapes the way Prometheus does: every sample line, as (name with labels, value).
    fn samples(text: &str) -> Vec<(String, f64)> {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let (name, value) = l.rsplit_once(' ').unwrap();
                (name.to_string(), value.parse().unwrap())
            })
            .collect()
    }

    fn value(text: &str, name: &str) -> Option<f64> {
        samples(text)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    #[test]
    fn counters_histograms_and_gauges_read_as_documented() {
        let m = Metrics::default();
        m.interaction(InteractionKind::Command, "roadmap", Outcome::Ok);
        m.interaction(InteractionKind::Command, "roadmap", Outcome::Ok);
        m.interaction(InteractionKind::Command, "done", Outcome::Busy);
        m.latency(InteractionKind::Command, 0.004);
        m.latency(InteractionKind::Command, 0.2);
        m.prompt_failed(PromptFailure::Forbidden);
        m.response_failed(ResponseFailure::Late);
        m.gateway_session();
        m.gateway_down();
        m.gateway_session();
        m.gateway_up();
        let text = m.render();
        let v = |name: &str| value(&text, name);
        assert_eq!(
            v("trilha_interactions_total{kind=\"command\",command=\"roadmap\",outcome=\"ok\"}"),
            Some(2.0),
            "{text}"
        );
        assert_eq!(
            v("trilha_interactions_total{kind=\"command\",command=\"done\",outcome=\"busy\"}"),
            Some(1.0)
        );
        assert_eq!(
            v("trilha_interaction_duration_seconds_bucket{le=\"0.005\",kind=\"command\"}").or_else(
                || v("trilha_interaction_duration_seconds_bucket{kind=\"command\",le=\"0.005\"}")
            ),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            v("trilha_interaction_duration_seconds_count{kind=\"command\"}"),
            Some(2.0)
        );
        assert_eq!(
            v("trilha_prompts_failed_total{reason=\"forbidden\"}"),
            Some(1.0)
        );
        assert_eq!(
            v("trilha_interaction_responses_failed_total{reason=\"late\"}"),
            Some(1.0)
        );
        assert_eq!(v("trilha_gateway_connected"), Some(1.0));
        assert_eq!(v("trilha_gateway_reconnects_total"), Some(1.0));
        assert!(text.ends_with("# EOF\n"), "a complete exposition");
    }
}
