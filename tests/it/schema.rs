//! The two engines' migrations mean the same thing: the same tables, columns (type and
//! nullability), primary keys and indexes, as `migrate-data` expects them.

use std::collections::BTreeMap;

use sqlx::{Connection, Row};

use crate::engines::{Engine, TestDatabase, postgres_admin_url};

/// A table as both engines can describe it.
#[derive(Debug, PartialEq, Eq)]
struct Table {
    /// name -> (type, nullable)
    columns: BTreeMap<String, (String, bool)>,
    primary_key: Vec<String>,
    /// index name -> its columns, `DESC` marked
    indexes: BTreeMap<String, Vec<String>>,
}

type Schema = BTreeMap<String, Table>;

async fn sqlite_schema(db: &TestDatabase) -> Schema {
    let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name != '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for (table, sql) in tables {
        let rows = sqlx::query(&format!(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info('{table}')"
        ))
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut columns = BTreeMap::new();
        let mut primary_key: Vec<(i64, String)> = Vec::new();
        for row in rows {
            let name: String = row.get(0);
            let declared: String = row.get(1);
            let not_null: i64 = row.get(2);
            let pk: i64 = row.get(3);
            // A boolean is an INTEGER restricted to 0 and 1.
            let boolean = sql.contains(&format!("CHECK ({name} IN (0, 1))"));
            let kind = match declared.as_str() {
                "INTEGER" if boolean => "boolean",
                "INTEGER" => "integer",
                "TEXT" => "text",
                other => panic!("{table}.{name}: unexpected type {other}"),
            };
            if pk > 0 {
                primary_key.push((pk, name.clone()));
            }
            columns.insert(name, (kind.to_string(), not_null == 0 && pk == 0));
        }
        primary_key.sort();
        let indexes_sql: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL",
        )
        .bind(&table)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let mut indexes = BTreeMap::new();
        for index in indexes_sql {
            let cols = sqlx::query(&format!(
                "SELECT name, \"desc\" FROM pragma_index_xinfo('{index}') WHERE key = 1 ORDER BY seqno"
            ))
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .map(|r| {
                let name: String = r.get(0);
                let desc: i64 = r.get(1);
                if desc == 1 { format!("{name} DESC") } else { name }
            })
            .collect();
            indexes.insert(index, cols);
        }
        schema.insert(
            table,
            Table {
                columns,
                primary_key: primary_key.into_iter().map(|(_, n)| n).collect(),
                indexes,
            },
        );
    }
    conn.close().await.unwrap();
    schema
}

async fn postgres_schema(db: &TestDatabase) -> Schema {
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name != '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for (table, name, data_type, nullable) in columns {
        let kind = match data_type.as_str() {
            "bigint" => "integer",
            "text" => "text",
            "boolean" => "boolean",
            other => panic!("{table}.{name}: unexpected type {other}"),
        };
        schema
            .entry(table)
            .or_insert_with(|| Table {
                columns: BTreeMap::new(),
                primary_key: Vec::new(),
                indexes: BTreeMap::new(),
            })
            .columns
            .insert(name, (kind.to_string(), nullable == "YES"));
    }
    let indexes: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT tablename::text, indexname::text, indexdef FROM pg_indexes WHERE schemaname = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for (table, index, def) in indexes {
        let inner = def
            .split_once(" (")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(cols, _)| cols)
            .unwrap_or_default();
        let cols: Vec<String> = inner.split(", ").map(str::to_string).collect();
        let Some(entry) = schema.get_mut(&table) else {
            continue;
        };
        if index.ends_with("_pkey") {
            entry.primary_key = cols;
        } else {
            entry.indexes.insert(index, cols);
        }
    }
    conn.close().await.unwrap();
    schema
}

/// What `migrate-data` copies, as a schema (indexes aside).
fn expected_columns() -> BTreeMap<String, BTreeMap<String, (String, bool)>> {
    trilha::store::copy::schema()
        .into_iter()
        .map(|(table, columns)| {
            (
                table.to_string(),
                columns
                    .into_iter()
                    .map(|(name, kind, nullable)| (name.to_string(), (kind.to_string(), nullable)))
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test]
async fn both_engines_migrate_to_the_same_schema() {
    let sqlite = TestDatabase::new(Engine::Sqlite).await;
    sqlite.store().await.close().await;
    let lite = sqlite_schema(&sqlite).await;
    let expected = expected_columns();
    let lite_columns: BTreeMap<_, _> = lite
        .iter()
        .map(|(t, table)| (t.clone(), table.columns.clone()))
        .collect();
    assert_eq!(
        lite_columns, expected,
        "SQLite's schema is what migrate-data copies"
    );
    assert_eq!(
        lite["done_tallies"].indexes["done_tallies_rank"],
        vec![
            "guild_id",
            "scope",
            "period",
            "starts",
            "done DESC",
            "reached_at",
            "user_id"
        ]
    );
    if postgres_admin_url().is_none() {
        return;
    }
    let postgres = TestDatabase::new(Engine::Postgres).await;
    postgres.store().await.close().await;
    let pg = postgres_schema(&postgres).await;
    assert_eq!(
        pg.keys().collect::<Vec<_>>(),
        lite.keys().collect::<Vec<_>>(),
        "the same tables"
    );
    for (name, table) in &lite {
        assert_eq!(
            &pg[name], table,
            "table {name} differs between SQLite and PostgreSQL"
        );
    }
}
