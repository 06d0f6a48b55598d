//! `/leaderboard [period] [section]` and its page buttons.

use std::collections::HashMap;
use std::time::Duration;
use tracing::Instrument;

use super::args::Caller;
use super::define::{CommandSpec, Ctx, Leaf, choice, handler, options};
use super::error::CommandError;
use super::presence::touch_in_background;
use crate::app::App;
use crate::error::UserError;
use crate::guild::Appearance;
use crate::i18n::Locale;
use crate::lookups::{Lookups, Presence};
use crate::progress::periods::{Period, starts};
use crate::progress::tally::Ranked;
use crate::progress::tally::{BoardKind, TallyKey};
use crate::render::leaderboard::{self as view, Board};
use crate::reply::Reply;
use crate::roadmap::SectionIdx;
use crate::store::{StoreError, VerifiedBoard};

choice!(impl Period { Week = "week", Month = "month", All = "all" });
choice!(impl BoardKind { Done = "done", Verified = "verified", Streak = "streak" });

options! {
    /// `/leaderboard [period] [kind] [section]`'s options.
    pub struct BoardOptions {
        period: Option<Period>,
        kind: Option<BoardKind>,
        section: Option<String> => super::roadmap::SECTIONS,
    }
}

/// `/leaderboard`: a message the channel sees.
pub static COMMAND: CommandSpec = CommandSpec {
    public_reply: true,
    ..CommandSpec::member("leaderboard", handler::<Leaderboard>())
};

struct Leaderboard;

impl Leaf for Leaderboard {
    type Options = BoardOptions;
    async fn run(ctx: Ctx<'_>, o: BoardOptions) -> Result<Reply, CommandError> {
        let section = o.section.as_deref();
        run(ctx.app, ctx.lookups, ctx.caller, o.period, section, o.kind).await
    }
}

/// Members per page.
pub const PAGE_SIZE: u64 = 10;
/// How long a confirmed presence is trusted before a member is looked up again.
const PRESENCE_TTL: i64 = 24 * 3600;
/// Look-up rounds per page view: each can only remove members, so this ends quickly.
const PRESENCE_ROUNDS: usize = 3;
/// How long a page view may spend finding out who left before it answers: the look-ups run
/// concurrently, and what does not fit is left for a later view. Well inside Discord's 3 s
/// even when Discord answers slowly (a deferral covers the rest).
const PRESENCE_BUDGET: Duration = Duration::from_millis(1000);
/// How long a page view waits for the viewer's own presence record.
const PRESENCE_WAIT: Duration = Duration::from_millis(250);

/// Looks up whether the members of a page are still in the server (those not confirmed for a
/// day, or whose name was never seen), within `budget`. Members who left are unranked; how the
/// others appear is recorded, and added to `seen`. Returns whether any left (the page must then
/// be read again).
async fn unrank_departed(
    app: &App,
    lookups: &dyn Lookups,
    guild: u64,
    rows: &[Ranked],
    now: i64,
    budget: tokio::time::Instant,
    seen: &mut HashMap<u64, Appearance>,
) -> Result<bool, CommandError> {
    let users: Vec<u64> = rows.iter().map(|r| r.user_id).collect();
    let stale = app
        .store
        .members_to_check(guild, &users, now - PRESENCE_TTL)
        .await?;
    if stale.is_empty() {
        return Ok(false);
    }
    let Ok(answers) = tokio::time::timeout_at(budget, lookups.members_present(guild, &stale)).await
    else {
        tracing::debug!(
            guild_id = guild,
            "member look-ups did not fit the page's budget"
        );
        return Ok(false);
    };
    let mut left = Vec::new();
    let mut confirmed = Vec::new();
    for (user, answer) in stale.iter().zip(answers) {
        match answer {
            Some(Presence::Gone) => left.push(*user),
            Some(Presence::Member(appearance)) => {
                seen.insert(*user, appearance.clone());
                confirmed.push((*user, appearance));
            }
            None => {}
        }
    }
    // The writes are bookkeeping: on their own task, so a held write lock delays them and not
    // the page; the page waits for them only within its budget.
    let store = app.store.clone();
    let departed = left.clone();
    let writes = app.background.spawn(
        async move {
            for user in &departed {
                store.member_left(guild, *user, now).await?;
                tracing::info!(
                    guild_id = guild,
                    user_id = user,
                    "member left the server; no longer ranked"
                );
            }
            store.members_confirmed(guild, &confirmed, now).await
        }
        .in_current_span(),
    );
    match tokio::time::timeout_at(budget, writes).await {
        Ok(Ok(Ok(()))) => Ok(!left.is_empty()),
        Ok(Ok(Err(error))) => {
            tracing::warn!(guild_id = guild, %error, "could not record who left");
            Ok(false)
        }
        Ok(Err(_)) | Err(_) => Ok(false),
    }
}

/// The section a member typed, or why it is not one.
pub(super) fn section_named(app: &App, query: &str) -> Result<SectionIdx, CommandError> {
    app.roadmap.section_named(query).ok_or_else(|| {
        UserError::UnknownSection {
            query: query.trim().to_string(),
        }
        .into()
    })
}

/// The board to show: what was asked for, except that a server counting verified items only
/// shows verified items where done ones were asked for.
fn board_kind(asked: Option<BoardKind>, verified_only: bool) -> BoardKind {
    match asked.unwrap_or_default() {
        BoardKind::Done if verified_only => BoardKind::Verified,
        kind => kind,
    }
}

/// What to show, and to whom.
pub(super) struct Request {
    pub owner: u64,
    /// The owner's own ephemeral copy of a board someone else asked for.
    pub private: bool,
    pub period: Period,
    pub section: Option<SectionIdx>,
    pub page: usize,
    /// The period start a button carried, when it differs from the current one.
    pub stale: bool,
    pub kind: BoardKind,
}

/// Renders one page for `viewer` (whose own rank is always shown).
pub(super) async fn board(
    app: &App,
    lookups: &dyn Lookups,
    viewer: &Caller,
    request: &Request,
    locale: Locale,
) -> Result<Reply, CommandError> {
    let guild = viewer.guild()?;
    // A member who comes back is ranked again once their tallies are rebuilt: worth a short
    // wait, never more (a held write lock must not hold up the page).
    let _ = tokio::time::timeout(PRESENCE_WAIT, touch_in_background(app, viewer)).await;
    let settings = app.store.guild_settings(guild).await?;
    let tz = settings.timezone();
    let now = app.clock.now();
    let scope = request
        .section
        .map(|s| app.roadmap.section(s).id.clone())
        .unwrap_or_default();
    let key = TallyKey {
        scope,
        period: request.period,
        starts: starts(request.period, now, &tz),
    };

    let section_items = request.section.map(|s| section_item_ids(app, s));
    let ranking = Ranking {
        app,
        guild,
        kind: request.kind,
        key: &key,
        verified: VerifiedBoard {
            guild,
            since: key.starts,
            items: section_items.as_deref(),
        },
        today: crate::progress::streak::day_of(now, &tz),
    };
    let total = ranking.len().await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1) as usize;
    let page = request.page.min(pages - 1);
    let mut rows = ranking.page(page).await?;
    let budget = tokio::time::Instant::now() + PRESENCE_BUDGET;
    let mut looked_up = HashMap::new();
    for _ in 0..PRESENCE_ROUNDS {
        if !unrank_departed(app, lookups, guild, &rows, now, budget, &mut looked_up).await? {
            break;
        }
        rows = ranking.page(page).await?;
    }
    let total = ranking.len().await?;
    let own = ranking.rank(viewer.user_id).await?;
    let seen = appearances(app, guild, viewer, &rows, own.as_ref(), looked_up).await?;
    let board = Board {
        owner: request.owner,
        private: request.private,
        viewer: viewer.user_id,
        period: request.period,
        section: request.section,
        key,
        timezone: settings.timezone.clone(),
        tz,
        rows,
        total,
        page,
        pages: total.div_ceil(PAGE_SIZE).max(1) as usize,
        own,
        stale: request.stale,
        kind: request.kind,
    };
    let reply = view::board(&app.roadmap, &board, locale);
    Ok(
        match crate::picture::attach::leaderboard(app, &board, &seen, locale).await {
            Some(picture) => reply.with_lead_picture(picture),
            None => reply,
        },
    )
}

/// How the members of a page (and the viewer) appear, for its picture: as the look-ups just
/// showed them, else as last recorded; the viewer as this very interaction shows them.
async fn appearances(
    app: &App,
    guild: u64,
    viewer: &Caller,
    rows: &[Ranked],
    own: Option<&Ranked>,
    looked_up: HashMap<u64, Appearance>,
) -> Result<HashMap<u64, Appearance>, CommandError> {
    let users: Vec<u64> = rows
        .iter()
        .chain(own)
        .map(|r| r.user_id)
        .filter(|u| !looked_up.contains_key(u))
        .collect();
    let mut seen: HashMap<u64, Appearance> = app
        .store
        .appearances(guild, &users)
        .await?
        .into_iter()
        .collect();
    seen.extend(looked_up);
    seen.insert(
        viewer.user_id,
        Appearance {
            name: viewer.names.first().cloned(),
            avatar_hash: viewer.avatar.clone(),
        },
    );
    Ok(seen)
}

/// The ids of a section's items (a verified board of a section counts only those).
fn section_item_ids(app: &App, section: SectionIdx) -> Vec<String> {
    let roadmap = &app.roadmap;
    let items = &roadmap.section(section).items;
    items.iter().map(|&i| roadmap.item(i).id.clone()).collect()
}

/// One leaderboard as the store ranks it: its size, a page, a member's rank.
struct Ranking<'a> {
    app: &'a App,
    guild: u64,
    kind: BoardKind,
    /// Done items in a period (of a section, or the whole roadmap).
    key: &'a TallyKey,
    /// Items verified in the period (of the section, if one).
    verified: VerifiedBoard<'a>,
    /// Streaks are as of today.
    today: crate::progress::streak::Day,
}

impl Ranking<'_> {
    async fn len(&self) -> Result<u64, StoreError> {
        let store = &self.app.store;
        match self.kind {
            BoardKind::Done => store.leaderboard_len(self.guild, self.key).await,
            BoardKind::Verified => store.verified_len(&self.verified).await,
            BoardKind::Streak => store.streak_len(self.guild, self.today).await,
        }
    }

    async fn page(&self, page: usize) -> Result<Vec<Ranked>, StoreError> {
        let (store, offset) = (&self.app.store, page as u64 * PAGE_SIZE);
        match self.kind {
            BoardKind::Done => {
                store
                    .leaderboard(self.guild, self.key, offset, PAGE_SIZE)
                    .await
            }
            BoardKind::Verified => store.verified_page(&self.verified, offset, PAGE_SIZE).await,
            BoardKind::Streak => {
                store
                    .streak_page(self.guild, self.today, offset, PAGE_SIZE)
                    .await
            }
        }
    }

    async fn rank(&self, user: u64) -> Result<Option<Ranked>, StoreError> {
        let store = &self.app.store;
        match self.kind {
            BoardKind::Done => store.leaderboard_rank(self.guild, self.key, user).await,
            BoardKind::Verified => store.verified_rank(&self.verified, user).await,
            BoardKind::Streak => store.streak_rank(self.guild, self.today, user).await,
        }
    }
}

/// A member's rank in this week's leaderboard of the whole roadmap, of the kind the server
/// shows by default (what their summary card says).
pub(super) async fn week_rank(
    app: &App,
    guild: u64,
    user: u64,
    settings: &crate::guild::GuildSettings,
) -> Result<Option<u64>, StoreError> {
    let tz = settings.timezone();
    let now = app.clock.now();
    let key = TallyKey {
        scope: String::new(),
        period: Period::Week,
        starts: starts(Period::Week, now, &tz),
    };
    let ranking = Ranking {
        app,
        guild,
        kind: board_kind(None, settings.verified_only),
        key: &key,
        verified: VerifiedBoard {
            guild,
            since: key.starts,
            items: None,
        },
        today: crate::progress::streak::day_of(now, &tz),
    };
    Ok(ranking.rank(user).await?.map(|r| r.rank))
}

/// `/leaderboard [period] [section]`: a public message in the server's language.
async fn run(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
    period: Option<Period>,
    section: Option<&str>,
    kind: Option<BoardKind>,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let section = section
        .filter(|s| !s.trim().is_empty())
        .map(|s| section_named(app, s))
        .transpose()?;
    let settings = app.store.guild_settings(guild).await?;
    let request = Request {
        owner: caller.user_id,
        private: false,
        period: period.unwrap_or(Period::Week),
        section,
        page: 0,
        stale: false,
        kind: board_kind(kind, settings.verified_only),
    };
    let locale = settings.public_locale(caller.guild_locale);
    let mut reply = board(app, lookups, caller, &request, locale).await?;
    reply.ephemeral = false;
    Ok(reply)
}

/// What a leaderboard page button carries.
pub(super) struct Pressed<'a> {
    pub owner: u64,
    pub period: Period,
    pub section: &'a str,
    pub page: usize,
    pub starts: i64,
    pub private: bool,
    pub kind: BoardKind,
}

/// A page button. The owner's press turns the page in place: the public message (in the
/// server's language), or their private copy (in theirs). Anyone else pressing the public
/// message gets a private copy of their own, with their own rank, which they then page in place.
pub(super) async fn press(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
    pressed: &Pressed<'_>,
) -> Result<Reply, CommandError> {
    let Pressed {
        owner,
        period,
        section,
        page,
        starts: starts_at,
        private,
        kind,
    } = *pressed;
    let guild = caller.guild()?;
    let section = if section.is_empty() {
        None
    } else {
        Some(
            app.roadmap
                .section_by_id(section)
                .ok_or(UserError::StaleButton)?,
        )
    };
    let settings = app.store.guild_settings(guild).await?;
    let tz = settings.timezone();
    let stale = starts(period, app.clock.now(), &tz) != starts_at;
    let mine = caller.user_id == owner;
    let request = Request {
        owner: caller.user_id,
        private: private || !mine,
        period,
        section,
        page: if stale { 0 } else { page },
        stale,
        kind: board_kind(Some(kind), settings.verified_only),
    };
    match (mine, private) {
        (true, false) => {
            let locale = settings.public_locale(caller.guild_locale);
            Ok(board(app, lookups, caller, &request, locale)
                .await?
                .as_update())
        }
        (true, true) => Ok(board(app, lookups, caller, &request, caller.locale)
            .await?
            .as_update()),
        (false, _) => board(app, lookups, caller, &request, caller.locale).await,
    }
}

/// Whether a page press will update the message it is on (the owner's) or answer with a new
/// private message (anyone else's): what a deferral must promise before the work is done.
pub fn press_updates_in_place(caller: u64, owner: u64) -> bool {
    caller == owner
}
