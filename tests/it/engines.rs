//! Every store test runs on every database engine: SQLite always, PostgreSQL when
//! `TRILHA_TEST_POSTGRES_URL` names a server the tests may create databases on (`.ci/run` always
//! sets it). Each run gets a fresh, empty database of its own, dropped afterwards.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::Connection;
use trilha::config::Database;
use trilha::store::Store;

use crate::support::Sandbox;

/// The variable that turns the PostgreSQL half on: a URL of a server where the tests may create
/// and drop databases, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
pub const POSTGRES_VARIABLE: &str = "TRILHA_TEST_POSTGRES_URL";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Whether the suite runs under CI, where a half that cannot run is a failure, not a skip.
pub fn under_ci() -> bool {
    #[allow(clippy::disallowed_methods)] // A test switch, not the bot's configuration.
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The PostgreSQL server for tests, if one was given. Under CI there must be one: every test
/// that would skip its PostgreSQL half fails instead. (Without CI, `halves::postgres_half`
/// shows as ignored in `cargo test`'s output, with how to run it.)
pub fn postgres_admin_url() -> Option<String> {
    #[allow(clippy::disallowed_methods)] // A test switch, not the bot's configuration.
    let url = std::env::var(POSTGRES_VARIABLE)
        .ok()
        .filter(|u| !u.trim().is_empty());
    assert!(
        url.is_some() || !under_ci(),
        "CI is set and {POSTGRES_VARIABLE} is not: the PostgreSQL half of the tests must run (bash .ci/run sets it)"
    );
    url
}

/// The engines to run on.
pub fn engines() -> Vec<Engine> {
    let mut out = vec![Engine::Sqlite];
    if postgres_admin_url().is_some() {
        out.push(Engine::Postgres);
    }
    out
}

/// A fresh, empty database on one engine; a PostgreSQL one is dropped with it.
pub struct TestDatabase {
    pub engine: Engine,
    /// Its `DATABASE_URL`.
    pub url: String,
    /// The working folder (and, for SQLite, the database file's).
    pub sandbox: Sandbox,
    /// For PostgreSQL: the server's admin URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn new(engine: Engine) -> TestDatabase {
        let sandbox = Sandbox::new();
        match engine {
            Engine::Sqlite => TestDatabase {
                engine,
                url: format!("sqlite://{}", sandbox.database().display()),
                sandbox,
                postgres: None,
            },
            Engine::Postgres => {
                static NEXT: AtomicUsize = AtomicUsize::new(0);
                let admin = postgres_admin_url().expect("PostgreSQL runs only when configured");
                let name = format!(
                    "trilha_test_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed)
                );
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("{POSTGRES_VARIABLE}: cannot connect: {e}"));
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("{POSTGRES_VARIABLE}: cannot create a database: {e}")
                    });
                conn.close().await.unwrap();
                TestDatabase {
                    engine,
                    url: trilha::config::PostgresUrl::parse(&admin)
                        .expect("a PostgreSQL URL")
                        .with_database(&name)
                        .expose()
                        .to_string(),
                    sandbox,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    pub fn database(&self) -> Database {
        Database::from_url(&self.url).expect("a test database URL")
    }

    /// A store on it, migrated (several may be open at once, as several processes would).
    pub async fn store(&self) -> Store {
        Store::connect(&self.database())
            .await
            .unwrap_or_else(|e| panic!("{:?}: {e}", self.engine))
    }

    /// Runs `trilha ask` on this database, as a separate process.
    pub fn ask(&self, args: &[&str]) -> std::process::Output {
        self.sandbox
            .trilha()
            .env("DATABASE_URL", &self.url)
            .arg("ask")
            .args(args)
            .output()
            .expect("trilha runs")
    }

    /// Runs raw SQL on its own connection, outside the store (what another tool would do).
    pub async fn execute(&self, sql: &str) {
        match self.engine {
            Engine::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            Engine::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs outside any runtime; a thread of its own can block on one.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async move {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                        let _ = conn.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Runs `test` on a fresh database of every engine, one after the other; a failure names the
/// engine it happened on.
pub async fn on_each_engine<F, Fut>(test: F)
where
    F: Fn(TestDatabase) -> Fut,
    Fut: Future<Output = ()>,
{
    for engine in engines() {
        eprintln!("[{engine:?}]");
        test(TestDatabase::new(engine).await).await;
    }
}
