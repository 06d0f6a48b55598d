//! `/leaderboard [period] [section]` and its page buttons.

use super::progress::{timezone, touch};
use super::{App, Caller};
use crate::edge::Edge;
use crate::error::{CommandError, UserError};
use crate::i18n::Locale;
use crate::progress::periods::{Period, starts};
use crate::progress::tally::TallyKey;
use crate::render::leaderboard::{self as view, Board};
use crate::reply::Reply;
use crate::roadmap::{Node, SectionIdx};
use crate::store::GuildSettings;

/// Members per page.
pub const PAGE_SIZE: u64 = 10;
/// How long a confirmed presence is trusted before a member is looked up again.
const PRESENCE_TTL: i64 = 24 * 3600;
/// Look-up rounds per page view: each can only remove members, so this ends quickly.
const PRESENCE_ROUNDS: usize = 3;

/// The language of public posts: the admin's choice, else the server's Discord language.
pub(super) fn public_locale(settings: &GuildSettings, caller: &Caller) -> Locale {
    settings
        .locale
        .or(caller.guild_locale)
        .or_else(|| settings.discord_locale.as_deref().map(Locale::from_discord))
        .unwrap_or(Locale::PtBr)
}

pub(super) fn resolve_section(app: &App, query: &str) -> Result<SectionIdx, CommandError> {
    let query = query.trim();
    if let Some(s) = app.roadmap.section_by_id(query) {
        return Ok(s);
    }
    match app.roadmap.resolve(query).found {
        Some(Node::Section(s)) => Ok(s),
        Some(Node::Group(g)) => Ok(app.roadmap.group(g).section),
        Some(Node::Item(i)) => Ok(app.roadmap.item(i).section),
        None => Err(UserError::UnknownSection {
            query: query.to_string(),
        }
        .into()),
    }
}

/// What to show, and to whom.
pub(super) struct Request {
    pub owner: u64,
    pub period: Period,
    pub section: Option<SectionIdx>,
    pub page: usize,
    /// The period start a button carried, when it differs from the current one.
    pub stale: bool,
}

/// Renders one page for `viewer` (whose own rank is always shown).
pub(super) async fn board(
    app: &App,
    edge: &dyn Edge,
    viewer: &Caller,
    request: &Request,
    locale: Locale,
) -> Result<Reply, CommandError> {
    let guild = viewer.guild()?;
    touch(app, viewer).await?;
    let settings = app.store.guild_settings(guild).await?;
    let tz = timezone(&settings);
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

    let total = app.store.leaderboard_len(guild, &key).await?;
    let pages = total.div_ceil(PAGE_SIZE).max(1) as usize;
    let page = request.page.min(pages - 1);
    let mut rows = app
        .store
        .leaderboard(guild, &key, page as u64 * PAGE_SIZE, PAGE_SIZE)
        .await?;
    for _ in 0..PRESENCE_ROUNDS {
        let users: Vec<u64> = rows.iter().map(|r| r.user_id).collect();
        let stale = app
            .store
            .members_to_check(guild, &users, now - PRESENCE_TTL)
            .await?;
        if stale.is_empty() {
            break;
        }
        let answers = edge.members_present(guild, &stale).await;
        let mut left = false;
        let mut confirmed = Vec::new();
        for (user, answer) in stale.iter().zip(answers) {
            match answer {
                Some(false) => {
                    app.store.member_left(guild, *user, now).await?;
                    tracing::info!(
                        guild_id = guild,
                        user_id = user,
                        "member left the server; no longer ranked"
                    );
                    left = true;
                }
                Some(true) => confirmed.push(*user),
                None => {}
            }
        }
        app.store.members_confirmed(guild, &confirmed, now).await?;
        if !left {
            break;
        }
        rows = app
            .store
            .leaderboard(guild, &key, page as u64 * PAGE_SIZE, PAGE_SIZE)
            .await?;
    }
    let total = app.store.leaderboard_len(guild, &key).await?;
    let own = app
        .store
        .leaderboard_rank(guild, &key, viewer.user_id)
        .await?;
    let board = Board {
        owner: request.owner,
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
    };
    Ok(view::board(&app.roadmap, &board, locale))
}

/// `/leaderboard`: a public message in the server's language.
pub(super) async fn run(
    app: &App,
    edge: &dyn Edge,
    caller: &Caller,
    period: Option<&str>,
    section: Option<&str>,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let period = period.and_then(Period::parse).unwrap_or(Period::Week);
    let section = section
        .filter(|s| !s.trim().is_empty())
        .map(|s| resolve_section(app, s))
        .transpose()?;
    let settings = app.store.guild_settings(guild).await?;
    let request = Request {
        owner: caller.user_id,
        period,
        section,
        page: 0,
        stale: false,
    };
    let mut reply = board(
        app,
        edge,
        caller,
        &request,
        public_locale(&settings, caller),
    )
    .await?;
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
}

/// A page button: the owner's press turns the public message's page; anyone else gets their
/// own private view (with their own rank) in their language.
pub(super) async fn press(
    app: &App,
    edge: &dyn Edge,
    caller: &Caller,
    pressed: &Pressed<'_>,
) -> Result<Reply, CommandError> {
    let Pressed {
        owner,
        period,
        section,
        page,
        starts: starts_at,
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
    let tz = timezone(&settings);
    let stale = starts(period, app.clock.now(), &tz) != starts_at;
    let request = Request {
        owner,
        period,
        section,
        page: if stale { 0 } else { page },
        stale,
    };
    if caller.user_id == owner {
        let reply = board(
            app,
            edge,
            caller,
            &request,
            public_locale(&settings, caller),
        )
        .await?;
        Ok(reply.as_update())
    } else {
        board(app, edge, caller, &request, caller.locale).await
    }
}
