//! `/prompts setup | pause | resume | now | status` (Manage Server), and the schedule preview.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::args::Caller;
use super::command::PromptsSetup;
use super::config::zone_named;
use super::error::CommandError;
use super::leaderboard::section_named;
use crate::app::App;
use crate::error::UserError;
use crate::i18n::{Locale, fill};
use crate::lookups::{LookupError, Lookups, permissions};
use crate::progress::popularity_of;
use crate::prompts::records::{Pause, PauseReason, PromptSchedule};
use crate::prompts::rotation;
use crate::prompts::schedule::schedule_of;
use crate::prompts::schedule::{Days, Schedule, parse_time};
use crate::render::prompts as view;
use crate::reply::{Choice, Reply};
use crate::roadmap::ItemIdx;

/// How many upcoming posts `/prompts status` lists.
const UPCOMING: usize = 3;

/// Suggestions for the days option, in the member's language (values parse in both).
pub fn days_choices(partial: &str, locale: Locale) -> Vec<Choice> {
    let options: &[&str] = match locale {
        Locale::PtBr => &[
            "todos os dias",
            "dias úteis",
            "seg,qua,sex",
            "ter,qui",
            "fim de semana",
            "seg",
            "sex",
        ],
        Locale::En => &[
            "every day",
            "weekdays",
            "mon,wed,fri",
            "tue,thu",
            "weekends",
            "mon",
            "fri",
        ],
    };
    let typed = crate::roadmap::search::normalize(partial);
    options
        .iter()
        .filter(|o| typed.is_empty() || crate::roadmap::search::normalize(o).starts_with(&typed))
        .map(|o| Choice::new(o, *o))
        .chain(Days::parse(partial).filter(|_| !typed.is_empty()).map(|d| {
            // What was typed comes back as typed, unless it is too long for a choice's
            // value: then the same days, written shortly.
            let label = d.label(locale);
            let value = if crate::reply::count(partial.trim()) <= crate::reply::limits::CHOICE_VALUE
            {
                partial.trim().to_string()
            } else {
                label.clone()
            };
            Choice::new(&label, value)
        }))
        .take(crate::reply::limits::CHOICES)
        .collect()
}

/// The next `count` posts of a server: when (in its time zone) and about what.
pub async fn preview(
    app: &App,
    guild: u64,
    count: usize,
) -> Result<Option<(PromptSchedule, Vec<(Timestamp, ItemIdx, usize)>)>, CommandError> {
    let Some(row) = app.store.schedule(guild).await? else {
        return Ok(None);
    };
    let Some(schedule) = schedule_of(&row) else {
        return Ok(Some((row, Vec::new())));
    };
    let now = app.clock.now();
    let roadmap = &app.roadmap;
    let posted = app.store.posted_items(guild).await?;
    let counts = popularity_of(roadmap, app.store.item_counts(guild).await?);
    let pool = rotation::pool(roadmap, row.section.as_deref());
    let items = rotation::preview(roadmap, &pool, &posted, &counts, count);
    let mut at = Timestamp::from_second(row.next_due_at.unwrap_or(now).max(now) - 1)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut out = Vec::new();
    for (item, prompt) in items {
        let Some(slot) = schedule.next_after(at) else {
            break;
        };
        out.push((slot, item, prompt));
        at = slot;
    }
    Ok(Some((row, out)))
}

/// `/prompts setup`: where, when and what to post; checks first that the bot can post there.
pub(super) async fn setup(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
    setup: &PromptsSetup,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let channel = setup.channel;
    let time = parse_time(&setup.time).ok_or_else(|| UserError::BadTime {
        value: setup.time.clone(),
    })?;
    let days = match &setup.days {
        Some(d) => Days::parse(d).ok_or_else(|| UserError::BadDays { value: d.clone() })?,
        None => Days::EVERY_DAY,
    };
    let settings = app.store.guild_settings(guild).await?;
    let zone = match setup.timezone.as_deref().filter(|z| !z.trim().is_empty()) {
        Some(z) => zone_named(z)?,
        None => settings.timezone.clone(),
    };
    let section = setup
        .section
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| section_named(app, s))
        .transpose()?;
    let role = setup.role;
    let thread = setup.thread;

    // Can the bot post there? Say exactly what is missing.
    let mut required =
        permissions::VIEW_CHANNEL | permissions::SEND_MESSAGES | permissions::EMBED_LINKS;
    if thread {
        required |= permissions::CREATE_PUBLIC_THREADS | permissions::SEND_MESSAGES_IN_THREADS;
    }
    let t = caller.locale.texts();
    let mut notes = Vec::new();
    match lookups.channel_access(guild, channel, role).await {
        Ok(access) => {
            let missing = required & !access.permissions;
            let unpingable = role.filter(|_| access.role_pingable == Some(false));
            if missing != 0 || unpingable.is_some() {
                return Err(UserError::MissingPermissions {
                    channel,
                    missing,
                    role: unpingable,
                }
                .into());
            }
        }
        Err(LookupError::Unavailable) => notes.push(t.prompts_setup_unverified.to_string()),
        Err(LookupError::UnknownChannel) => {
            return Err(UserError::MissingPermissions {
                channel,
                missing: required,
                role: None,
            }
            .into());
        }
        Err(LookupError::Discord(detail)) => {
            tracing::warn!(guild_id = guild, channel_id = channel, %detail, "could not check the prompt channel");
            notes.push(t.prompts_setup_unverified.to_string());
        }
    }

    let tz = TimeZone::get(&zone)
        .map_err(|e| CommandError::Internal(anyhow::anyhow!("zone {zone}: {e}")))?;
    let schedule = Schedule { time, days, tz };
    let now = app.clock.now();
    let next = schedule
        .next_after(Timestamp::from_second(now).unwrap_or(Timestamp::UNIX_EPOCH))
        .map(|t| t.as_second());
    let row = PromptSchedule {
        guild,
        channel,
        local_time: format!("{:02}:{:02}", time.hour(), time.minute()),
        days: days.0,
        timezone: zone.clone(),
        role,
        section: section.map(|s| app.roadmap.section(s).id.clone()),
        thread,
        pause: None,
        next_due_at: next,
        requested_at: None,
        created_by: caller.user_id,
        digest: false,
    };
    app.store.save_schedule(&row, now).await?;
    tracing::info!(guild_id = guild, channel_id = channel, time = %row.local_time, days = row.days, timezone = %zone, "study prompts set up");

    let locale = caller.locale;
    let mut text = fill(
        t.prompts_setup_done,
        &[
            ("channel", &channel),
            ("days", &days.label(locale)),
            ("time", &row.local_time),
            ("timezone", &zone),
            ("next", &next.unwrap_or(now)),
        ],
    );
    if let Some(role) = role {
        text.push('\n');
        text.push_str(&fill(t.prompts_setup_role, &[("role", &role)]));
    }
    if let Some(s) = section {
        text.push('\n');
        text.push_str(&fill(
            t.prompts_setup_section,
            &[("section", &app.roadmap.section(s).name.get(locale))],
        ));
    }
    if thread {
        text.push('\n');
        text.push_str(t.prompts_setup_thread);
    }
    if let Some((_, upcoming)) = preview(app, guild, 1).await?
        && let Some((_, item, _)) = upcoming.first()
    {
        text.push('\n');
        text.push_str(&fill(
            t.prompts_setup_first,
            &[("item", &app.roadmap.item(*item).name.get(locale))],
        ));
    }
    for note in notes {
        text.push_str("\n\n⚠️ ");
        text.push_str(&note);
    }
    Ok(view::notice(text))
}

async fn existing(app: &App, guild: u64) -> Result<PromptSchedule, CommandError> {
    app.store
        .schedule(guild)
        .await?
        .ok_or_else(|| UserError::PromptsNotConfigured.into())
}

/// `/prompts pause`.
pub(super) async fn pause(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    existing(app, guild).await?;
    app.store
        .pause_schedule(guild, &Pause::new(PauseReason::Admin), app.clock.now())
        .await?;
    Ok(view::notice(
        caller.locale.texts().prompts_paused.to_string(),
    ))
}

/// `/prompts resume`.
pub(super) async fn resume(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let row = existing(app, guild).await?;
    let now = app.clock.now();
    let schedule = schedule_of(&row).ok_or(UserError::PromptsNotConfigured)?;
    let next = schedule
        .next_after(Timestamp::from_second(now).unwrap_or(Timestamp::UNIX_EPOCH))
        .map_or(now, |t| t.as_second());
    app.store.resume_schedule(guild, next, now).await?;
    Ok(view::notice(fill(
        caller.locale.texts().prompts_resumed,
        &[("next", &next)],
    )))
}

/// `/prompts now`: wakes the scheduler, which posts within moments.
pub(super) async fn now(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let row = existing(app, guild).await?;
    if !app.store.request_post(guild, app.clock.now()).await? {
        return Err(UserError::PromptsPaused.into());
    }
    app.prompt_wake.notify_one();
    Ok(view::notice(fill(
        caller.locale.texts().prompts_now_requested,
        &[("channel", &row.channel)],
    )))
}

/// `/prompts status`.
/// `/prompts digest enabled`: the weekly digest in the prompts channel, on or off. Turning it on
/// checks the bot may attach the picture there.
pub(super) async fn digest(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
    enabled: bool,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let t = caller.locale.texts();
    let Some(row) = app.store.schedule(guild).await? else {
        return Err(UserError::PromptsNotConfigured.into());
    };
    if enabled && let Ok(access) = lookups.channel_access(guild, row.channel, None).await {
        let missing = permissions::ATTACH_FILES & !access.permissions;
        if missing != 0 {
            return Err(UserError::MissingPermissions {
                channel: row.channel,
                missing,
                role: None,
            }
            .into());
        }
    }
    if !app
        .store
        .set_digest(guild, enabled, app.clock.now())
        .await?
    {
        return Err(UserError::PromptsNotConfigured.into());
    }
    let text = if enabled {
        fill(t.prompts_digest_on, &[("channel", &row.channel)])
    } else {
        t.prompts_digest_off.to_string()
    };
    Ok(view::notice(text))
}

pub(super) async fn status(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let locale = caller.locale;
    let t = locale.texts();
    let Some((row, upcoming)) = preview(app, guild, UPCOMING).await? else {
        return Err(UserError::PromptsNotConfigured.into());
    };
    let days = Days(row.days).label(locale);
    let mut description = fill(
        t.status_schedule,
        &[
            ("channel", &row.channel),
            ("days", &days),
            ("time", &row.local_time),
            ("timezone", &row.timezone),
        ],
    );
    description.push('\n');
    if let Some(pause) = &row.pause {
        description.push_str(&view::pause(t, pause, row.channel));
    } else if let Some(next) = row.next_due_at {
        description.push_str(&fill(t.status_next, &[("next", &next)]));
    }
    if let Some(role) = row.role {
        description.push('\n');
        description.push_str(&fill(t.prompts_setup_role, &[("role", &role)]));
    }
    if row.digest {
        description.push('\n');
        description.push_str(&match app.store.last_digest(guild).await? {
            Some(last) => fill(
                t.status_digest_last,
                &[
                    ("week", &format!("<t:{}:D>", last.week_start)),
                    ("status", &view::digest_status(last.status, locale)),
                ],
            ),
            None => t.status_digest_on.to_string(),
        });
    }
    let recent = app
        .store
        .recent_posts(guild, 5)
        .await?
        .iter()
        .map(|p| view::status_line(&app.roadmap, p, locale))
        .collect();
    let upcoming = if row.pause.is_some() {
        Vec::new()
    } else {
        upcoming
            .iter()
            .map(|(at, item, _)| {
                format!(
                    "<t:{}:f> · **{}**",
                    at.as_second(),
                    app.roadmap.item(*item).name.get(locale)
                )
            })
            .collect()
    };
    Ok(view::status(
        t.status_title,
        description,
        recent,
        upcoming,
        locale,
    ))
}
