//! `/prompts setup | pause | resume | now | status` (Manage Server), and the schedule preview.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::args::Caller;
use super::config::zone_named;
use super::define::{
    ChannelId, CommandSpec, Complete, Ctx, Leaf, RoleId, SubcommandSpec, handler, options,
};
use super::error::CommandError;
use super::leaderboard::section_named;
use crate::app::App;
use crate::error::UserError;
use crate::i18n::Locale;
use crate::lookups::{LookupError, Lookups, permissions};
use crate::progress::popularity_of;
use crate::prompts::records::{Pause, PauseReason, PromptSchedule};
use crate::prompts::rotation;
use crate::prompts::schedule::schedule_of;
use crate::prompts::schedule::{Days, Schedule, parse_time};
use crate::render::prompts as view;
use crate::reply::{Choice, Reply};
use crate::roadmap::ItemIdx;

options! {
    /// `/prompts setup`'s options.
    pub struct SetupOptions {
        channel: ChannelId,
        /// As typed ("9h", "21:30"): checked by the command, which explains a bad one.
        time: String,
        days: Option<String> => DAYS,
        timezone: Option<String> => super::config::ZONES,
        role: Option<RoleId>,
        section: Option<String> => super::roadmap::SECTIONS,
        thread: Option<bool>,
    }
}

/// Ways to write days, in the member's language.
pub const DAYS: Complete = Complete::Typed(|_, typed, locale| days_choices(typed, locale));

/// `/prompts setup | pause | resume | now | status | digest` (Manage Server).
pub static COMMAND: CommandSpec = CommandSpec::admin_family(
    "prompts",
    &[
        SubcommandSpec {
            key: "setup",
            handler: handler::<Setup>(),
        },
        SubcommandSpec {
            key: "pause",
            handler: handler::<PauseCommand>(),
        },
        SubcommandSpec {
            key: "resume",
            handler: handler::<Resume>(),
        },
        SubcommandSpec {
            key: "now",
            handler: handler::<Now>(),
        },
        SubcommandSpec {
            key: "status",
            handler: handler::<Status>(),
        },
        SubcommandSpec {
            key: "digest",
            handler: handler::<Digest>(),
        },
    ],
);

struct Setup;
struct PauseCommand;
struct Resume;
struct Now;
struct Status;
struct Digest;

impl Leaf for Setup {
    type Options = SetupOptions;
    async fn run(ctx: Ctx<'_>, o: SetupOptions) -> Result<Reply, CommandError> {
        setup(ctx.app, ctx.lookups, ctx.caller, &o).await
    }
}

impl Leaf for PauseCommand {
    type Options = ();
    async fn run(ctx: Ctx<'_>, (): ()) -> Result<Reply, CommandError> {
        pause(ctx.app, ctx.caller).await
    }
}

impl Leaf for Resume {
    type Options = ();
    async fn run(ctx: Ctx<'_>, (): ()) -> Result<Reply, CommandError> {
        resume(ctx.app, ctx.caller).await
    }
}

impl Leaf for Now {
    type Options = ();
    async fn run(ctx: Ctx<'_>, (): ()) -> Result<Reply, CommandError> {
        now(ctx.app, ctx.caller).await
    }
}

impl Leaf for Status {
    type Options = ();
    async fn run(ctx: Ctx<'_>, (): ()) -> Result<Reply, CommandError> {
        status(ctx.app, ctx.caller).await
    }
}

impl Leaf for Digest {
    type Options = super::config::EnabledOption;
    async fn run(ctx: Ctx<'_>, o: super::config::EnabledOption) -> Result<Reply, CommandError> {
        digest(ctx.app, ctx.lookups, ctx.caller, o.enabled).await
    }
}

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
async fn setup(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
    setup: &SetupOptions,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let channel = setup.channel.0;
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
    let role = setup.role.map(|r| r.0);
    let thread = setup.thread.unwrap_or(false);

    let unverified = !can_post(lookups, guild, channel, role, thread).await?;
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

    let first_item = preview(app, guild, 1)
        .await?
        .and_then(|(_, upcoming)| upcoming.first().map(|(_, item, _)| *item));
    let done = view::SetupDone {
        channel,
        days,
        time: row.local_time,
        timezone: zone,
        next: next.unwrap_or(now),
        role,
        section,
        thread,
        first_item,
        unverified,
    };
    Ok(view::setup_done(&app.roadmap, &done, caller.locale))
}

/// Whether the bot may post (and open threads, and ping the role) in the channel: an error
/// naming exactly what is missing; `false` when Discord could not be asked (it is saved anyway,
/// and the admin is told it could not be checked).
async fn can_post(
    lookups: &dyn Lookups,
    guild: u64,
    channel: u64,
    role: Option<u64>,
    thread: bool,
) -> Result<bool, CommandError> {
    let mut required =
        permissions::VIEW_CHANNEL | permissions::SEND_MESSAGES | permissions::EMBED_LINKS;
    if thread {
        required |= permissions::CREATE_PUBLIC_THREADS | permissions::SEND_MESSAGES_IN_THREADS;
    }
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
            Ok(true)
        }
        Err(LookupError::Unavailable) => Ok(false),
        Err(LookupError::UnknownChannel) => Err(UserError::MissingPermissions {
            channel,
            missing: required,
            role: None,
        }
        .into()),
        Err(LookupError::Discord(detail)) => {
            tracing::warn!(guild_id = guild, channel_id = channel, %detail, "could not check the prompt channel");
            Ok(false)
        }
    }
}

async fn existing(app: &App, guild: u64) -> Result<PromptSchedule, CommandError> {
    app.store
        .schedule(guild)
        .await?
        .ok_or_else(|| UserError::PromptsNotConfigured.into())
}

/// `/prompts pause`.
async fn pause(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    existing(app, guild).await?;
    app.store
        .pause_schedule(guild, &Pause::new(PauseReason::Admin), app.clock.now())
        .await?;
    Ok(view::paused(caller.locale))
}

/// `/prompts resume`.
async fn resume(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let row = existing(app, guild).await?;
    let now = app.clock.now();
    let schedule = schedule_of(&row).ok_or(UserError::PromptsNotConfigured)?;
    let next = schedule
        .next_after(Timestamp::from_second(now).unwrap_or(Timestamp::UNIX_EPOCH))
        .map_or(now, |t| t.as_second());
    app.store.resume_schedule(guild, next, now).await?;
    Ok(view::resumed(next, caller.locale))
}

/// `/prompts now`: wakes the scheduler, which posts within moments.
async fn now(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let row = existing(app, guild).await?;
    if !app.store.request_post(guild, app.clock.now()).await? {
        return Err(UserError::PromptsPaused.into());
    }
    app.prompt_wake.notify_one();
    Ok(view::now_requested(row.channel, caller.locale))
}

/// `/prompts digest enabled`: the weekly digest in the prompts channel, on or off. Turning it on
/// checks the bot may attach the picture there.
async fn digest(
    app: &App,
    lookups: &dyn Lookups,
    caller: &Caller,
    enabled: bool,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
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
    Ok(view::digest_switched(enabled, row.channel, caller.locale))
}

/// `/prompts status`.
async fn status(app: &App, caller: &Caller) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let Some((row, upcoming)) = preview(app, guild, UPCOMING).await? else {
        return Err(UserError::PromptsNotConfigured.into());
    };
    let last_digest = match row.digest {
        true => app.store.last_digest(guild).await?,
        false => None,
    };
    let recent = app.store.recent_posts(guild, 5).await?;
    let upcoming = match row.pause {
        Some(_) => Vec::new(),
        None => upcoming
            .iter()
            .map(|(at, item, _)| (at.as_second(), *item))
            .collect(),
    };
    let status = view::StatusView {
        schedule: &row,
        last_digest: last_digest.map(|d| (d.week_start, d.status)),
        recent: &recent,
        upcoming,
    };
    Ok(view::status_view(&app.roadmap, &status, caller.locale))
}
