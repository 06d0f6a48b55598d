//! Which gateway shards a process runs, and so which servers' events (and unprompted work) are
//! its own.

/// Gateway shards `first` to `last` (both included) of `total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardRange {
    pub first: u32,
    pub last: u32,
    pub total: u32,
}

impl ShardRange {
    pub fn count(&self) -> u32 {
        self.last - self.first + 1
    }

    /// Whether one of these shards receives the server's events: `(guild_id >> 22) % total`.
    pub fn serves(&self, guild_id: u64) -> bool {
        let shard = (guild_id >> 22) % u64::from(self.total.max(1));
        (u64::from(self.first)..=u64::from(self.last)).contains(&shard)
    }
}

/// Which servers this process serves. Discord sends a server's events, interactions included,
/// to one shard only, and each shard runs in one process; work about a server that the bot
/// does unprompted (reward-role checks) is done by that process too, so two processes never
/// check the same member's roles at once and the in-process per-member locks suffice. Until
/// the shards are settled (and with one process) it is all.
#[derive(Debug, Default)]
pub struct ShardOwnership(std::sync::OnceLock<ShardRange>);

impl ShardOwnership {
    /// Only the first call counts.
    pub fn settle(&self, range: ShardRange) {
        let _ = self.0.set(range);
    }

    pub fn range(&self) -> Option<ShardRange> {
        self.0.get().copied()
    }

    pub fn owns(&self, guild_id: u64) -> bool {
        self.0.get().is_none_or(|range| range.serves(guild_id))
    }
}

#[cfg(test)]
mod tests {
    use super::{ShardOwnership, ShardRange};

    /// A server whose id puts it on `shard` of `total` (`(id >> 22) % total`).
    fn server_on(shard: u64, total: u64, n: u64) -> u64 {
        ((1_000 * total + shard) << 22) | n
    }

    #[test]
    fn a_process_serves_the_servers_of_its_shards_only() {
        let all = ShardOwnership::default();
        assert!(all.owns(server_on(5, 8, 1)), "unsettled: everything");
        let ours = ShardOwnership::default();
        let range = |first, last| ShardRange {
            first,
            last,
            total: 8,
        };
        ours.settle(range(2, 3));
        ours.settle(range(0, 7)); // only the first settles
        assert_eq!(ours.range(), Some(range(2, 3)));
        for shard in 0..8 {
            assert_eq!(
                ours.owns(server_on(shard, 8, 7)),
                (2..=3).contains(&shard),
                "shard {shard}"
            );
        }
    }
}
