//! The reward-role engine on every engine, with Discord's side recorded: the hourly check of
//! streak rewards goes on past a member whose check fails.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use trilha::app::App;
use trilha::clock::Clock;
use trilha::lookups::{Access, LookupError, Lookups, RoleAccess, RoleError};
use trilha::recognition::Achievement;
use trilha::reply::Reply;

use crate::engines::{Engine, TestDatabase, on_each_engine};
use crate::support::roadmap;

const GUILD: u64 = 7;
const ROLE: u64 = 70;
/// 2026-11-18 15:00 UTC.
const NOW: i64 = 1_795_532_400;

/// Discord as the engine sees it: every role change succeeds and is recorded.
#[derive(Default)]
struct Recorded {
    changes: Mutex<Vec<(u64, u64, bool)>>,
}

#[async_trait]
impl Lookups for Recorded {
    async fn channel_access(
        &self,
        _guild: u64,
        _channel: u64,
        _role: Option<u64>,
    ) -> Result<Access, LookupError> {
        Err(LookupError::Unavailable)
    }

    async fn members_present(
        &self,
        _guild: u64,
        users: &[u64],
    ) -> Vec<Option<trilha::lookups::Presence>> {
        vec![Some(trilha::lookups::Presence::Member(Default::default())); users.len()]
    }

    async fn role_access(&self, _guild: u64, _role: u64) -> Result<RoleAccess, LookupError> {
        Err(LookupError::Unavailable)
    }

    async fn set_role(
        &self,
        _guild: u64,
        user: u64,
        role: u64,
        give: bool,
        _reason: &str,
    ) -> Result<(), RoleError> {
        self.changes.lock().unwrap().push((user, role, give));
        Ok(())
    }

    async fn send_message(&self, _channel: u64, _message: &Reply) -> Result<(), LookupError> {
        Ok(())
    }

    fn shared(&self) -> Arc<dyn Lookups> {
        Arc::new(Recorded::default())
    }
}

/// A statement that fails for one member only: taking back `user`'s reward role is refused by
/// the database (a trigger), as a full disk or a constraint would refuse it.
async fn fail_taking_back_from(db: &TestDatabase, user: u64) {
    let sql = match db.engine {
        Engine::Sqlite => format!(
            "CREATE TRIGGER refuse_{user} BEFORE DELETE ON member_rewards WHEN OLD.user_id = {user}
             BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        ),
        Engine::Postgres => format!(
            "CREATE FUNCTION refuse_{user}() RETURNS trigger AS $$
             BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_{user} BEFORE DELETE ON member_rewards FOR EACH ROW
             WHEN (OLD.user_id = {user}) EXECUTE FUNCTION refuse_{user}()"
        ),
    };
    db.execute(&sql).await;
}

#[tokio::test]
async fn the_hourly_streak_check_goes_on_past_a_member_whose_check_fails() {
    on_each_engine(|db| async move {
        let store = db.store().await;
        let app = App::new(roadmap(), store.clone(), Clock::Fixed(NOW));
        let reward = store
            .add_reward(GUILD, &Achievement::Streak(3), ROLE, false, 1, NOW)
            .await
            .unwrap();
        // Three members hold the streak reward, and none of them studied: their streaks broke.
        let members = [101, 102, 103];
        for user in members {
            store
                .record_reward(GUILD, user, reward, true, NOW - 86_400)
                .await
                .unwrap();
        }
        fail_taking_back_from(&db, 102).await;
        let discord = Recorded::default();
        let check = app.roles().check_streak_rewards(&discord).await.unwrap();
        assert_eq!((check.taken, check.failed), (2, 1), "{:?}", db.engine);
        for user in [101, 103] {
            assert!(
                store.member_rewards(GUILD, user).await.unwrap().is_empty(),
                "{user}'s role was taken back and recorded"
            );
        }
        assert_eq!(
            store.member_rewards(GUILD, 102).await.unwrap(),
            [reward],
            "the failed member keeps their record, checked again next hour"
        );
        let taken: Vec<u64> = discord
            .changes
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, role, give)| *role == ROLE && !give)
            .map(|(user, _, _)| *user)
            .collect();
        assert_eq!(taken, members, "every member was checked, in order");
    })
    .await;
}
