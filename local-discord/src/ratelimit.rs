//! Discord's REST rate limits as a bot meets them: per-route buckets announced in
//! `X-RateLimit-*` headers, the global 50 requests per second, 5 messages per 5 s per channel,
//! and 429 answers with `retry_after` and `global`. Off unless a test turns them on
//! ([`crate::LocalDiscord::enable_rate_limits`]): the bot under test talks to the local Discord
//! without serenity's limiter (`DISCORD_PROXY_URL`), so limits only make sense with a real
//! rate-limiting proxy in between. Every 429 sent is recorded.
//!
//! Windows are fixed, starting at a bucket's first request, as Discord's reset times read.
//! Interaction callbacks and webhook (interaction token) routes are not bound to the global
//! limit, as Discord documents; they are not limited here at all (Discord limits a webhook to
//! about 5 requests per 2 s, more than a reply's follow-ups use).

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// A 429 the local Discord had to send.
#[derive(Clone, Debug)]
pub struct Sent429 {
    pub method: String,
    pub path: String,
    pub global: bool,
    /// Seconds, as in the body.
    pub retry_after: f64,
    pub at: Instant,
}

#[derive(Clone, Debug)]
struct Window {
    started: Instant,
    used: u32,
}

impl Window {
    /// Starts a new window if the last one is over; then whether one more request fits.
    fn roll(&mut self, period: Duration, now: Instant) {
        if now.duration_since(self.started) >= period {
            self.started = now;
            self.used = 0;
        }
    }

    fn reset_after(&self, period: Duration, now: Instant) -> Duration {
        period.saturating_sub(now.duration_since(self.started))
    }
}

/// Which bucket a route falls in: (bucket key with its major parameter, bucket hash, limit,
/// period). `None`: not limited (interaction callbacks and webhooks).
fn bucket(method: &str, segments: &[&str]) -> Option<(String, String, u32, Duration)> {
    match segments {
        ["interactions", ..] | ["webhooks", ..] => None,
        ["channels", channel, "messages"] if method == "POST" => Some((
            format!("messages:{channel}"),
            "local-channel-messages".to_string(),
            5,
            Duration::from_secs(5),
        )),
        ["guilds", guild, "members", _, "roles", _] => Some((
            format!("member-roles:{guild}"),
            "local-member-roles".to_string(),
            10,
            Duration::from_secs(10),
        )),
        _ => {
            // Other routes, generous: each route shape is a bucket with a hash of its own
            // (clients key their queues by hash and major parameter), counted per major
            // parameter (the channel or server).
            let shape: Vec<&str> = segments
                .iter()
                .map(|s| {
                    if s.bytes().all(|b| b.is_ascii_digit()) {
                        "id"
                    } else {
                        s
                    }
                })
                .collect();
            let hash: String = format!("local-{method}-{}", shape.join("-"))
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let major = match segments {
                ["channels" | "guilds", id, ..] => id,
                _ => "",
            };
            Some((format!("{hash}:{major}"), hash, 50, Duration::from_secs(1)))
        }
    }
}

pub struct RateLimits {
    /// Requests per second across the bot (Discord: 50).
    pub global_per_second: u32,
    global: Option<Window>,
    buckets: HashMap<String, Window>,
    /// Every 429 sent.
    pub sent: Vec<Sent429>,
}

/// What the limiter decided: the headers to send, and a 429 body if the request is refused.
pub(crate) struct Verdict {
    pub headers: Vec<(&'static str, String)>,
    pub refused: Option<Value>,
}

fn seconds(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            global_per_second: 50,
            global: None,
            buckets: HashMap::new(),
            sent: Vec::new(),
        }
    }
}

impl RateLimits {
    /// Counts a request against its bucket and the global limit.
    pub(crate) fn check(&mut self, method: &str, path: &str) -> Verdict {
        let segments: Vec<&str> = path
            .trim_start_matches("/api/v10/")
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let Some((key, hash, limit, period)) = bucket(method, &segments) else {
            return Verdict {
                headers: Vec::new(),
                refused: None,
            };
        };
        let now = Instant::now();
        let second = Duration::from_secs(1);
        let global = self.global.get_or_insert(Window {
            started: now,
            used: 0,
        });
        global.roll(second, now);
        let window = self.buckets.entry(key).or_insert(Window {
            started: now,
            used: 0,
        });
        window.roll(period, now);
        let global_full = global.used >= self.global_per_second;
        let bucket_full = window.used >= limit;
        if !global_full && !bucket_full {
            global.used += 1;
            window.used += 1;
        }
        let reset_after = window.reset_after(period, now);
        let reset_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            + reset_after;
        let mut headers = vec![
            ("x-ratelimit-limit", limit.to_string()),
            (
                "x-ratelimit-remaining",
                limit.saturating_sub(window.used).to_string(),
            ),
            ("x-ratelimit-reset", seconds(reset_at)),
            ("x-ratelimit-reset-after", seconds(reset_after)),
            ("x-ratelimit-bucket", hash),
        ];
        if !global_full && !bucket_full {
            return Verdict {
                headers,
                refused: None,
            };
        }
        let retry_after = if global_full {
            global.reset_after(second, now)
        } else {
            reset_after
        };
        headers.push(("retry-after", retry_after.as_secs_f64().ceil().to_string()));
        headers.push((
            "x-ratelimit-scope",
            if global_full { "global" } else { "user" }.to_string(),
        ));
        if global_full {
            headers.push(("x-ratelimit-global", "true".to_string()));
        }
        self.sent.push(Sent429 {
            method: method.to_string(),
            path: path.to_string(),
            global: global_full,
            retry_after: retry_after.as_secs_f64(),
            at: now,
        });
        Verdict {
            headers,
            refused: Some(json!({
                "message": "You are being rate limited.",
                "retry_after": retry_after.as_secs_f64(),
                "global": global_full,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_messages_per_channel_then_a_429_with_retry_after() {
        let mut limits = RateLimits::default();
        for n in 0..5 {
            let v = limits.check("POST", "/api/v10/channels/1/messages");
            assert!(v.refused.is_none(), "message {n} passes");
            let remaining = v
                .headers
                .iter()
                .find(|(k, _)| *k == "x-ratelimit-remaining")
                .unwrap();
            assert_eq!(remaining.1, (4 - n).to_string());
        }
        let refused = limits.check("POST", "/api/v10/channels/1/messages");
        let body = refused.refused.expect("the sixth is refused");
        assert_eq!(body["global"], false);
        assert!(body["retry_after"].as_f64().unwrap() > 4.0);
        // Another channel has its own bucket.
        assert!(
            limits
                .check("POST", "/api/v10/channels/2/messages")
                .refused
                .is_none()
        );
        assert_eq!(limits.sent.len(), 1);
    }

    #[test]
    fn fifty_requests_per_second_across_routes_then_a_global_429() {
        let mut limits = RateLimits::default();
        for n in 0..50 {
            let path = format!("/api/v10/channels/{n}/messages");
            assert!(limits.check("POST", &path).refused.is_none(), "request {n}");
        }
        let body = limits
            .check("POST", "/api/v10/channels/99/messages")
            .refused
            .expect("the 51st in a second is refused");
        assert_eq!(body["global"], true);
        // Interaction callbacks are not bound to the global limit.
        assert!(
            limits
                .check("POST", "/api/v10/interactions/1/tok/callback")
                .refused
                .is_none()
        );
    }
}
