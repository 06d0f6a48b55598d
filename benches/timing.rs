// Shared by several bench binaries through `#[path]`; each uses a subset of it.
#![allow(dead_code)]

//! A tiny timing harness shared by the bench binaries: run a closure many times, report the
//! distribution. Benches are plain binaries (`harness = false`) so they can print medians and
//! tail latencies, which is what our goals are stated in.

use std::time::{Duration, Instant};

pub struct Stats {
    pub samples: usize,
    pub median: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

pub fn stats(mut samples: Vec<Duration>) -> Stats {
    assert!(!samples.is_empty());
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let total: Duration = samples.iter().sum();
    Stats {
        samples: samples.len(),
        median: at(0.5),
        p99: at(0.99),
        max: *samples.last().unwrap(),
        mean: total / samples.len() as u32,
    }
}

/// Times each call of `f` individually.
pub fn time_each(iterations: usize, mut f: impl FnMut(usize)) -> Stats {
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations {
        let start = Instant::now();
        f(i);
        samples.push(start.elapsed());
    }
    stats(samples)
}

pub fn fmt(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 10_000 {
        format!("{ns} ns")
    } else if ns < 10_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else {
        format!("{:.2} ms", ns as f64 / 1e6)
    }
}

/// Prints one result line and whether it meets its goal (checked against the median).
pub fn report(name: &str, s: &Stats, goal: Option<Duration>) {
    let verdict = match goal {
        Some(g) if s.median <= g => format!("  goal median ≤ {}: met", fmt(g)),
        Some(g) => format!("  goal median ≤ {}: MISSED", fmt(g)),
        None => String::new(),
    };
    println!(
        "{name:<44} median {:>10}  p99 {:>10}  max {:>10}  mean {:>10}  (n={}){verdict}",
        fmt(s.median),
        fmt(s.p99),
        fmt(s.max),
        fmt(s.mean),
        s.samples
    );
}
