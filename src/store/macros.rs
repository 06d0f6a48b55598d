//! The two macros that keep each query written once.
//!
//! Queries are methods of [`Sql`](super::backend::Sql), generic over the engine, and sqlx needs
//! a dozen bounds on that engine for them (how a connection executes, which Rust types it
//! encodes and decodes). Those bounds are stated once, in [`queries!`]: a trait cannot carry
//! them for us, because Rust carries only a trait's supertraits to its users, not its other
//! where-clauses (rust-lang/rust#20671), so every `impl` would have to repeat them.
//!
//! [`facade!`] declares the queries the rest of the bot calls: each becomes a method of `Sql`
//! and, with the same name, signature and documentation, a method of [`Store`](super::Store)
//! that hands the call to the engine in use. So a public query is declared in one place, beside
//! its SQL, in the file of its table family.

/// An `impl` block of queries on `Sql<DB>`, for every engine, with sqlx's bounds.
macro_rules! queries {
    ($($body:tt)*) => {
        impl<DB: $crate::store::backend::Backend> $crate::store::backend::Sql<DB>
        where
            for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
            for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
            usize: sqlx::ColumnIndex<DB::Row>,
            for<'a> &'a str: sqlx::ColumnIndex<DB::Row> + sqlx::Encode<'a, DB> + sqlx::Type<DB>,
            i64: $crate::store::backend::Column<DB>,
            String: $crate::store::backend::Column<DB>,
            bool: $crate::store::backend::Column<DB>,
            // sqlx encodes `Option` per engine, not generically.
            Option<i64>: for<'q> sqlx::Encode<'q, DB>,
            Option<String>: for<'q> sqlx::Encode<'q, DB>,
            for<'a> Option<&'a str>: sqlx::Encode<'a, DB>,
        {
            $($body)*
        }
    };
}

/// Public queries: each is a method of `Sql<DB>` (as [`queries!`] writes it, in a debug span
/// named after it) and a method of `Store`, with the same documentation, that runs it on the
/// engine in use.
macro_rules! facade {
    ($(
        $(#[doc = $doc:expr])*
        // `self` comes from the caller: macro hygiene would keep a `self` of ours from the body's.
        pub async fn $name:ident(&$self:ident $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty $body:block
    )*) => {
        $crate::store::macros::queries! {
            $(
                $(#[doc = $doc])*
                #[tracing::instrument(level = "debug", skip_all)]
                pub(super) async fn $name(&$self $(, $arg: $ty)*) -> $ret $body
            )*
        }

        impl $crate::store::Store {
            $(
                $(#[doc = $doc])*
                pub async fn $name(&$self $(, $arg: $ty)*) -> $ret {
                    $crate::store::engine::on_engine!($self, sql => sql.$name($($arg),*).await)
                }
            )*
        }
    };
}

pub(super) use {facade, queries};
