//! End-to-end: the real `trilha` binary against a local Discord over real sockets.
//!
//! Most of it is data: `tests/scenarios/*.toml`, played by [`every_scenario`]. Run one with
//! `SCENARIO=<file stem> cargo test --test it e2e`.

mod bot;
mod checker;
mod hardening;
mod ops;
mod pictures;
mod quiz;
mod recognition;
mod scale;
mod scenario;
mod shards;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::support::repo;

/// Scenarios run two at a time: each is a bot process and a local Discord, and the machine
/// the suite must fit has two cores.
const PARALLEL: usize = 2;

fn scenario_files() -> Vec<PathBuf> {
    #[allow(clippy::disallowed_methods)] // A test filter, not configuration.
    let only = std::env::var("SCENARIO").ok();
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/scenarios"))
        .expect("tests/scenarios exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            only.as_deref().is_none_or(|o| {
                p.file_stem()
                    .is_some_and(|s| s.to_string_lossy().contains(o))
            })
        })
        .collect();
    files.sort();
    files
}

fn summary(latencies: &mut [Duration]) -> String {
    if latencies.is_empty() {
        return "no interactions".into();
    }
    latencies.sort();
    let median = latencies[latencies.len() / 2];
    let worst = latencies[latencies.len() - 1];
    format!(
        "{} interactions, median {median:?}, worst {worst:?}",
        latencies.len()
    )
}

#[test]
fn every_scenario() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let files = scenario_files();
        assert!(!files.is_empty(), "no scenario matched");
        let permits = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
        let mut tasks = Vec::new();
        // Every scenario on every engine (PostgreSQL when configured, see `engines`).
        for engine in crate::engines::engines() {
            for file in &files {
                let (permits, file) = (permits.clone(), file.clone());
                tasks.push(tokio::spawn(async move {
                    let _permit = permits.acquire_owned().await.expect("semaphore");
                    let started = std::time::Instant::now();
                    let result = scenario::play(&file, engine).await;
                    (file, engine, result, started.elapsed())
                }));
            }
        }
        let mut failures = Vec::new();
        let mut violations = Vec::new();
        let mut latencies = Vec::new();
        for task in tasks {
            let (file, engine, result, elapsed) = task.await.expect("scenario task");
            let name = format!(
                "{} [{engine:?}]",
                file.file_stem().unwrap_or_default().to_string_lossy()
            );
            match result {
                Ok(outcome) => {
                    eprintln!("scenario {name}: ok in {elapsed:.1?}");
                    latencies.extend(outcome.latencies);
                    violations.extend(
                        outcome
                            .violations
                            .into_iter()
                            .map(|v| format!("{name}: {v}")),
                    );
                }
                Err(e) => {
                    eprintln!("scenario {name}: FAILED in {elapsed:.1?}");
                    failures.push(format!("{name}: {e}"));
                }
            }
        }
        eprintln!("reply latency: {}", summary(&mut latencies));
        assert!(
            failures.is_empty(),
            "{} scenario(s) failed:\n{}",
            failures.len(),
            failures.join("\n\n")
        );
        // Every payload the bot sent over the whole suite respected Discord's rules, Discord's 3 s
        // deadline among them: the local Discord records a late first response as a violation
        // (INTERACTION_TIMEOUT) where it happens, as Discord would refuse it.
        assert!(
            violations.is_empty(),
            "rule violations recorded over the suite:\n{}",
            violations.join("\n")
        );
    });
}
