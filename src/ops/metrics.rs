//! Counters and a latency histogram, rendered in Prometheus' text format (version 0.0.4).
//!
//! A handful of metrics do not need a metrics library: atomic counters, one histogram and a
//! renderer, tested against the format below.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Latency buckets (seconds): Discord's deadline is 3 s, members notice above ~100 ms.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0];

/// How an interaction ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Ok,
    UserError,
    /// The database could not take the write in time.
    Busy,
    InternalError,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::UserError => "user_error",
            Outcome::Busy => "busy",
            Outcome::InternalError => "internal_error",
        }
    }
}

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    /// (kind, name, outcome) -> count
    interactions: Mutex<BTreeMap<(&'static str, String, Outcome), u64>>,
    /// kind -> latency histogram
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    prompts_posted: AtomicU64,
    prompts_failed: Mutex<BTreeMap<&'static str, u64>>,
    gateway_connected: AtomicBool,
    gateway_connections: AtomicU64,
    /// command or button kind -> deferrals
    deferred: Mutex<BTreeMap<String, u64>>,
    /// reason (late, refused, follow_up) -> responses Discord did not take
    responses_failed: Mutex<BTreeMap<&'static str, u64>>,
    /// event name -> gateway events dropped because serenity could not parse them
    events_unparsed: Mutex<BTreeMap<String, u64>>,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    *map.lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_insert(0) += 1;
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("gateway_connected", &self.gateway_connected())
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// An interaction (`kind`: command, autocomplete or button) and how it ended.
    pub fn interaction(&self, kind: &'static str, name: &str, outcome: Outcome) {
        let mut map = self.interactions.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry((kind, name.to_string(), outcome)).or_insert(0) += 1;
    }

    /// How long an interaction took to answer.
    pub fn latency(&self, kind: &'static str, seconds: f64) {
        let mut map = self.latency.lock().unwrap_or_else(|e| e.into_inner());
        let h = map.entry(kind).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += seconds;
    }

    /// An interaction that was deferred because its work outlasted the deferral threshold.
    pub fn deferred(&self, what: &str) {
        bump(&self.deferred, what.to_string());
    }

    /// A response Discord did not take, or took too late.
    pub fn response_failed(&self, reason: &'static str) {
        bump(&self.responses_failed, reason);
    }

    /// A gateway event serenity could not parse.
    pub fn event_unparsed(&self, event: &str) {
        bump(&self.events_unparsed, event.to_string());
    }

    pub fn prompt_posted(&self) {
        self.prompts_posted.fetch_add(1, Ordering::Relaxed);
    }

    /// A prompt slot that did not become a post (`reason`: forbidden, missing, skipped, given_up).
    pub fn prompt_failed(&self, reason: &'static str) {
        let mut map = self
            .prompts_failed
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *map.entry(reason).or_insert(0) += 1;
    }

    /// The gateway connection is up.
    pub fn gateway_up(&self) {
        self.gateway_connected.store(true, Ordering::Relaxed);
    }

    /// A gateway session was established (READY or RESUMED): every one after the first is a
    /// reconnect.
    pub fn gateway_session(&self) {
        self.gateway_connected.store(true, Ordering::Relaxed);
        self.gateway_connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn gateway_down(&self) {
        self.gateway_connected.store(false, Ordering::Relaxed);
    }

    pub fn gateway_connected(&self) -> bool {
        self.gateway_connected.load(Ordering::Relaxed)
    }

    /// Everything, in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP trilha_interactions_total Interactions answered, by kind, command and outcome.\n");
        out.push_str("# TYPE trilha_interactions_total counter\n");
        for ((kind, name, outcome), n) in self
            .interactions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "trilha_interactions_total{{kind=\"{kind}\",command=\"{}\",outcome=\"{}\"}} {n}",
                escape(name),
                outcome.label()
            );
        }
        out.push_str("# HELP trilha_interaction_duration_seconds Time from receiving an interaction to answering it.\n");
        out.push_str("# TYPE trilha_interaction_duration_seconds histogram\n");
        for (kind, h) in self
            .latency
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "trilha_interaction_duration_seconds_bucket{{kind=\"{kind}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "trilha_interaction_duration_seconds_bucket{{kind=\"{kind}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "trilha_interaction_duration_seconds_sum{{kind=\"{kind}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "trilha_interaction_duration_seconds_count{{kind=\"{kind}\"}} {}",
                h.count
            );
        }
        section(
            &mut out,
            "trilha_interactions_deferred_total",
            "Interactions deferred because their work took longer than the deferral threshold, by command.",
            "command",
            &self.deferred,
        );
        section(
            &mut out,
            "trilha_interaction_responses_failed_total",
            "Responses Discord refused or that arrived after its 3 s deadline, by reason (late, refused, follow_up).",
            "reason",
            &self.responses_failed,
        );
        section(
            &mut out,
            "trilha_gateway_events_unparsed_total",
            "Gateway events serenity could not parse, by event name (interactions among them were answered from the raw payload).",
            "event",
            &self.events_unparsed,
        );
        out.push_str("# HELP trilha_prompts_posted_total Study prompts posted.\n");
        out.push_str("# TYPE trilha_prompts_posted_total counter\n");
        let _ = writeln!(
            out,
            "trilha_prompts_posted_total {}",
            self.prompts_posted.load(Ordering::Relaxed)
        );
        out.push_str("# HELP trilha_prompts_failed_total Prompt slots not posted, by reason.\n");
        out.push_str("# TYPE trilha_prompts_failed_total counter\n");
        for (reason, n) in self
            .prompts_failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                out,
                "trilha_prompts_failed_total{{reason=\"{reason}\"}} {n}"
            );
        }
        out.push_str("# HELP trilha_gateway_connected Whether the gateway connection is up.\n");
        out.push_str("# TYPE trilha_gateway_connected gauge\n");
        let _ = writeln!(
            out,
            "trilha_gateway_connected {}",
            u8::from(self.gateway_connected())
        );
        out.push_str("# HELP trilha_gateway_reconnects_total Gateway connections after the first (resumes and new sessions).\n");
        out.push_str("# TYPE trilha_gateway_reconnects_total counter\n");
        let _ = writeln!(
            out,
            "trilha_gateway_reconnects_total {}",
            self.gateway_connections
                .load(Ordering::Relaxed)
                .saturating_sub(1)
        );
        out
    }
}

/// A counter family with one label.
fn section<K: std::fmt::Display>(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    map: &Mutex<BTreeMap<K, u64>>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    for (key, n) in map.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        let _ = writeln!(
            out,
            "{name}{{{label}=\"{}\"}} {n}",
            escape(&key.to_string())
        );
    }
}

/// Label values escape backslash, quote and newline.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_gauges() {
        let m = Metrics::default();
        m.interaction("command", "roadmap", Outcome::Ok);
        m.interaction("command", "roadmap", Outcome::Ok);
        m.interaction("command", "done", Outcome::UserError);
        m.latency("command", 0.004);
        m.latency("command", 0.2);
        m.prompt_posted();
        m.prompt_failed("forbidden");
        m.gateway_session();
        m.gateway_down();
        m.gateway_session();
        m.gateway_up();
        let text = m.render();
        assert!(
            text.contains(
                "trilha_interactions_total{kind=\"command\",command=\"roadmap\",outcome=\"ok\"} 2\n"
            ),
            "{text}"
        );
        assert!(text.contains("trilha_interactions_total{kind=\"command\",command=\"done\",outcome=\"user_error\"} 1\n"));
        assert!(text.contains(
            "trilha_interaction_duration_seconds_bucket{kind=\"command\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains(
            "trilha_interaction_duration_seconds_bucket{kind=\"command\",le=\"0.25\"} 2\n"
        ));
        assert!(text.contains(
            "trilha_interaction_duration_seconds_bucket{kind=\"command\",le=\"+Inf\"} 2\n"
        ));
        assert!(text.contains("trilha_interaction_duration_seconds_count{kind=\"command\"} 2\n"));
        assert!(text.contains("trilha_prompts_posted_total 1\n"));
        assert!(text.contains("trilha_prompts_failed_total{reason=\"forbidden\"} 1\n"));
        assert!(text.contains("trilha_gateway_connected 1\n"));
        assert!(text.contains("trilha_gateway_reconnects_total 1\n"));
        // Every sample line belongs to a declared metric family.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            let family = name
                .trim_end_matches("_bucket")
                .trim_end_matches("_sum")
                .trim_end_matches("_count");
            assert!(
                text.contains(&format!("# TYPE {family} ")),
                "{name} has no TYPE"
            );
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
