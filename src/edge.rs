//! What only Discord can answer, behind a trait so commands stay testable and `trilha ask`
//! can run them offline.

use async_trait::async_trait;

#[async_trait]
pub trait Edge: Send + Sync {
    /// For each user, whether they are a member of the server: `Some(false)` when Discord says
    /// they are not, `None` when it could not be found out (then nothing is concluded).
    async fn members_present(&self, guild: u64, users: &[u64]) -> Vec<Option<bool>>;
}

/// Offline (`trilha ask`): nothing can be looked up, so nobody is concluded to have left.
pub struct Offline;

#[async_trait]
impl Edge for Offline {
    async fn members_present(&self, _guild: u64, users: &[u64]) -> Vec<Option<bool>> {
        vec![None; users.len()]
    }
}
