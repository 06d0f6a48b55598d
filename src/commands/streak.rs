//! `/streak view [member]` and `/streak reminder <enabled> [time]`.

use super::args::{Caller, Person};
use super::define::{CommandSpec, Ctx, Leaf, SubcommandSpec, handler, options};
use super::error::CommandError;
use super::presence::touch_in_background;
use crate::app::App;
use crate::progress::streak::{DayKind, calendar, day_of};
use crate::prompts::schedule::{Days, Schedule, parse_time};
use crate::recognition::{DEFAULT_REMINDER_TIME, Reminder};
use crate::render::streak as view;
use crate::reply::Reply;

/// Weeks the calendar shows.
const WEEKS: i32 = 12;

options! {
    /// `/streak view [member]`'s options.
    pub struct ViewOptions {
        member: Option<Person>,
    }
}

options! {
    /// `/streak reminder <enabled> [time]`'s options.
    pub struct ReminderOptions {
        enabled: bool,
        time: Option<String>,
    }
}

/// `/streak view` and `/streak reminder`.
pub static COMMAND: CommandSpec = CommandSpec::member_family(
    "streak",
    &[
        SubcommandSpec {
            key: "view",
            handler: handler::<View>(),
        },
        SubcommandSpec {
            key: "reminder",
            handler: handler::<SetReminder>(),
        },
    ],
);

struct View;
struct SetReminder;

impl Leaf for View {
    type Options = ViewOptions;
    async fn run(ctx: Ctx<'_>, o: ViewOptions) -> Result<Reply, CommandError> {
        show(ctx.app, ctx.caller, o.member).await
    }
}

impl Leaf for SetReminder {
    type Options = ReminderOptions;
    async fn run(ctx: Ctx<'_>, o: ReminderOptions) -> Result<Reply, CommandError> {
        reminder(ctx.app, ctx.caller, o.enabled, o.time.as_deref()).await
    }
}

/// `/streak view [member]`: the streak, the record, freezes, and the last 12 weeks.
async fn show(app: &App, caller: &Caller, member: Option<Person>) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    touch_in_background(app, caller);
    let user = member.map_or(caller.user_id, |p| p.id);
    let settings = app.store.guild_settings(guild).await?;
    let tz = settings.timezone();
    let now = app.clock.now();
    let today = day_of(now, &tz);
    let streak = app
        .store
        .streak(guild, user)
        .await?
        .unwrap_or_default()
        .as_of(today);
    let mut days: Vec<i32> = app
        .store
        .study_times(guild, user)
        .await?
        .into_iter()
        .map(|at| day_of(at, &tz))
        .collect();
    days.sort_unstable();
    // Weeks start on Monday: the calendar's first day is the Monday 11 weeks before this one.
    let monday = today
        - jiff::civil::Weekday::Monday.until(crate::progress::streak::date_of(today).weekday())
            as i32;
    let first = monday - 7 * (WEEKS - 1);
    let kinds: std::collections::HashMap<i32, DayKind> =
        calendar(&days, first, today).into_iter().collect();
    let started = days.first().copied();
    let reminder = if user == caller.user_id {
        app.store.reminder(guild, user).await?.filter(|r| r.enabled)
    } else {
        None
    };
    Ok(view::streak(&view::StreakView {
        user,
        streak,
        today,
        first,
        kinds,
        started,
        reminder: reminder.map(|r| (r.local_time, settings.timezone.clone())),
        locale: caller.locale,
    }))
}

/// `/streak reminder <enabled> [time]`.
async fn reminder(
    app: &App,
    caller: &Caller,
    enabled: bool,
    time: Option<&str>,
) -> Result<Reply, CommandError> {
    let guild = caller.guild()?;
    let settings = app.store.guild_settings(guild).await?;
    let tz = settings.timezone();
    let raw = time.unwrap_or(DEFAULT_REMINDER_TIME);
    let parsed = parse_time(raw).ok_or_else(|| crate::error::UserError::BadTime {
        value: raw.to_string(),
    })?;
    let local_time = format!("{:02}:{:02}", parsed.hour(), parsed.minute());
    let now = app.clock.now();
    let schedule = Schedule {
        time: parsed,
        days: Days(0b111_1111),
        tz: tz.clone(),
    };
    let next_due_at = enabled
        .then(|| {
            schedule
                .next_after(
                    jiff::Timestamp::from_second(now).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
                )
                .map(|t| t.as_second())
        })
        .flatten();
    app.store
        .save_reminder(
            &Reminder {
                guild,
                user: caller.user_id,
                local_time: local_time.clone(),
                locale: caller.locale,
                enabled,
                next_due_at,
                dms_closed_at: None,
            },
            now,
        )
        .await?;
    let on = enabled.then_some((local_time.as_str(), settings.timezone.as_str()));
    Ok(view::reminder_set(on, caller.locale))
}
