//! Write transactions, and the locks that keep two writers of one member (or a rebuild of a
//! server and anyone writing to it) apart where the engine does not already.

use sqlx::Transaction;

use super::errors::StoreError;
use super::macros::queries;

/// Advisory lock keys: one per server, one per member (a collision only serializes two
/// unrelated writers a little).
fn guild_key(guild: i64) -> i64 {
    guild ^ 0x7472_696c_6861_0001
}

fn member_key(guild: i64, user: i64) -> i64 {
    guild.wrapping_mul(0x9e37_79b9_7f4a_7c15_u64 as i64) ^ user
}

queries! {
    /// A write transaction.
    pub(super) async fn write(&self) -> Result<Transaction<'static, DB>, StoreError> {
        Ok(self.writes.begin_with(DB::BEGIN_WRITE).await?)
    }

    /// A write transaction on one member's rows: other members of the server write alongside,
    /// a rebuild of the server waits (and is waited for).
    pub(super) async fn write_member(
        &self,
        guild: i64,
        user: i64,
    ) -> Result<Transaction<'static, DB>, StoreError> {
        let mut tx = self.write().await?;
        if let Some(lock) = DB::LOCK_MEMBER {
            sqlx::query(lock)
                .bind(guild_key(guild))
                .bind(member_key(guild, user))
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// A write transaction on a whole server (a rebuild): every other write to it waits.
    pub(super) async fn write_guild(
        &self,
        guild: i64,
    ) -> Result<Transaction<'static, DB>, StoreError> {
        let mut tx = self.write().await?;
        if let Some(lock) = DB::LOCK_GUILD {
            sqlx::query(lock)
                .bind(guild_key(guild))
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }
}
