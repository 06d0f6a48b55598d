//! The real `trilha` binary as a child process, pointed at a local Discord.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use local_discord::LocalDiscord;

use crate::support::{Sandbox, repo};

/// A running bot. Its log lines (stderr) are collected, tagged with the run they came from.
pub struct Bot {
    child: Option<Child>,
    /// Reads the current run's stderr until it closes.
    reader: Option<std::thread::JoinHandle<()>>,
    env: Vec<(String, String)>,
    /// A command the binary runs under (`unshare ...`), its path appended last.
    wrapper: Vec<String>,
    dir: std::path::PathBuf,
    pub logs: Arc<Mutex<Vec<(u32, String)>>>,
    pub run: u32,
}

impl Bot {
    pub fn start(discord: &LocalDiscord, sandbox: &Sandbox, extra: &[(String, String)]) -> Bot {
        Bot::start_wrapped(discord, sandbox, extra, &[])
    }

    /// Starts the bot under `wrapper` (a program and its arguments; the bot's path is appended).
    pub fn start_wrapped(
        discord: &LocalDiscord,
        sandbox: &Sandbox,
        extra: &[(String, String)],
        wrapper: &[String],
    ) -> Bot {
        let mut env = vec![
            ("DISCORD_TOKEN".to_string(), discord.token().to_string()),
            ("DISCORD_PROXY_URL".into(), discord.base_url()),
            // Avatars and server icons come from the local Discord's CDN.
            ("DISCORD_CDN_URL".into(), discord.base_url()),
            (
                "DATABASE_URL".into(),
                format!("sqlite://{}", sandbox.database().display()),
            ),
            (
                "ROADMAP_DIR".into(),
                repo().join("roadmap").display().to_string(),
            ),
            ("RUST_LOG".into(), "info,trilha=debug,serenity=warn".into()),
            // A free port, reported in the log: tests read health and metrics there.
            ("HEALTH_ADDR".into(), "127.0.0.1:0".into()),
        ];
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push((k.clone(), v.clone()));
        }
        let mut bot = Bot {
            reader: None,
            child: None,
            env,
            wrapper: wrapper.to_vec(),
            dir: sandbox.dir.path().to_path_buf(),
            logs: Arc::default(),
            run: 0,
        };
        bot.spawn();
        bot
    }

    #[allow(clippy::disallowed_methods)] // PATH is passed through to the child.
    fn spawn(&mut self) {
        self.run += 1;
        let mut command = match self.wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(env!("CARGO_BIN_EXE_trilha"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_trilha")),
        };
        command
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("trilha starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let logs = self.logs.clone();
        let run = self.run;
        self.reader = Some(std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                logs.lock().expect("logs").push((run, line));
            }
        }));
        self.child = Some(child);
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Sends SIGTERM, as `docker stop` and systemd do.
    pub fn terminate(&self) {
        self.signal("TERM");
    }

    /// Sends a signal by name (`TERM`, `INT`).
    pub fn signal(&self, name: &str) {
        if let Some(pid) = self.pid() {
            let status = Command::new("kill")
                .args([&format!("-{name}"), &pid.to_string()])
                .status()
                .expect("kill runs");
            assert!(status.success(), "kill -{name} {pid} failed");
        }
    }

    /// Waits for the process to exit by itself, returning its exit code (`None` on timeout or
    /// a signal).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            let child = self.child.as_mut()?;
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                // Every line the process wrote is collected before anyone reads the log.
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return status.code();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `kill -9`: no chance to flush or clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Lines of the current run containing `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        self.logs
            .lock()
            .expect("logs")
            .iter()
            .filter(|(run, l)| *run == self.run && l.contains(needle))
            .count()
    }

    /// Lines of every run containing `needle`.
    pub fn log_count_all(&self, needle: &str) -> usize {
        self.logs
            .lock()
            .expect("logs")
            .iter()
            .filter(|(_, l)| l.contains(needle))
            .count()
    }

    pub fn log_text(&self) -> String {
        self.logs
            .lock()
            .expect("logs")
            .iter()
            .map(|(run, l)| format!("[run {run}] {l}\n"))
            .collect()
    }

    /// The health listener's address, from the line the current run logs when it binds it
    /// (tests run it on port 0, so there is no race for a free port).
    pub async fn health_addr(&self, timeout: Duration) -> std::net::SocketAddr {
        let needle = "background task started: health endpoint";
        self.wait_log(needle, 1, timeout)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", self.log_text()));
        let logs = self.log_text();
        let line = logs
            .lines()
            .rev()
            .find(|l| l.contains(needle))
            .expect("the line just waited for");
        line.split("addr=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("no addr in {line}"))
    }

    /// Waits until the current run has logged `needle` at least `count` times.
    pub async fn wait_log(
        &self,
        needle: &str,
        count: usize,
        timeout: Duration,
    ) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        while self.log_count(needle) < count {
            if Instant::now() > deadline {
                return Err(format!(
                    "timed out after {timeout:?} waiting for log `{needle}` x{count}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        self.kill();
    }
}
