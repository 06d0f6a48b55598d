// Shared by several bench binaries through `#[path]`; each uses a subset of it.
#![allow(dead_code)]

//! Which database engines a bench runs on: SQLite always, PostgreSQL when
//! `TRILHA_TEST_POSTGRES_URL` names a server the bench may create databases on (the same variable
//! the tests use; `.ci/run` shows how to start one).

use sqlx::Connection;
use trilha::config::Database;

pub const POSTGRES_VARIABLE: &str = "TRILHA_TEST_POSTGRES_URL";

/// The PostgreSQL server to bench on, if one was given.
pub fn postgres_admin_url() -> Option<String> {
    #[allow(clippy::disallowed_methods)] // A bench switch, not the bot's configuration.
    let url = std::env::var(POSTGRES_VARIABLE)
        .ok()
        .filter(|u| !u.trim().is_empty());
    if url.is_none() {
        println!(
            "note: PostgreSQL not benched: set {POSTGRES_VARIABLE} (e.g. postgres://postgres@127.0.0.1:5432/postgres) to bench it side by side\n"
        );
    }
    url
}

async fn admin(admin_url: &str) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_VARIABLE}: cannot connect: {e}"))
}

/// Whether the database `name` exists on the server.
pub async fn postgres_exists(admin_url: &str, name: &str) -> bool {
    let mut conn = admin(admin_url).await;
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    found.is_some()
}

/// A new, empty database `name` (dropped first if it exists).
pub async fn postgres_fresh(admin_url: &str, name: &str) -> Database {
    let mut conn = admin(admin_url).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_VARIABLE}: cannot create a database: {e}"));
    conn.close().await.unwrap();
    postgres_database(admin_url, name)
}

/// The database `name` on the bench server.
pub fn postgres_database(admin_url: &str, name: &str) -> Database {
    let server = trilha::config::PostgresUrl::parse(admin_url).expect("a PostgreSQL URL");
    Database::Postgres(server.with_database(name))
}

/// Drops the database `name`.
pub async fn postgres_drop(admin_url: &str, name: &str) {
    let mut conn = admin(admin_url).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

/// `VACUUM ANALYZE` on the database `name`: what autovacuum does on a default server (it may be
/// off where the bench runs), so a database reused across runs is measured without the dead
/// rows earlier runs left.
pub async fn postgres_vacuum(admin_url: &str, name: &str) {
    let server = trilha::config::PostgresUrl::parse(admin_url).expect("a PostgreSQL URL");
    let url = server.with_database(name);
    let mut conn = sqlx::PgConnection::connect(url.expose())
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_VARIABLE}: cannot connect: {e}"));
    sqlx::query("VACUUM ANALYZE")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}
