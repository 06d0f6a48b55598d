//! The halves of the suite that need a service this machine may not have: PostgreSQL (every
//! store and end-to-end test runs on it too) and discord.js's REST proxy (the several-process
//! test). Where one is missing and `CI` is not set, `build.rs` marks its test here ignored, so
//! `cargo test` says in its own output what was not run and how to run it. With `CI` set
//! nothing is ignored: a missing service fails here (and in every test that needs it).

use crate::engines::{POSTGRES_VARIABLE, postgres_admin_url};
use crate::support::repo;

#[tokio::test]
#[cfg_attr(
    trilha_without_postgres,
    ignore = "PostgreSQL half NOT RUN: set TRILHA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres (a server where tests may create databases; `bash .ci/run` starts one) to run every store and end-to-end test on PostgreSQL too"
)]
async fn postgres_half() {
    use sqlx::Connection;
    let url = postgres_admin_url().unwrap_or_else(|| {
        panic!("{POSTGRES_VARIABLE} is not set, and CI needs the PostgreSQL half")
    });
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_VARIABLE} names no reachable server: {e}"));
    let one: i32 = sqlx::query_scalar("SELECT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(one, 1);
}

#[test]
#[cfg_attr(
    trilha_without_rest_proxy,
    ignore = "REST proxy half NOT RUN: run `npm ci --prefix tests/proxy` (Node.js and npm; `bash .ci/run` does) to run the several-process test behind discord.js's REST proxy"
)]
fn rest_proxy_half() {
    let package = repo().join("tests/proxy/node_modules/@discordjs/proxy/package.json");
    let text = std::fs::read_to_string(&package).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run `npm ci --prefix tests/proxy`",
            package.display()
        )
    });
    assert!(text.contains("\"name\": \"@discordjs/proxy\""), "{text}");
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js runs the proxy: {node:?}"
    );
}
