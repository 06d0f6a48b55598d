//! Study prompt posts and the `/prompts` replies.

use super::{COLOUR_BRAND, pack_lines, requirement_label};
use crate::component::{ComponentId, MarkAction};
use crate::i18n::{Locale, Texts, fill};
use crate::outbox::SendStatus;
use crate::prompts::records::{self, PromptPost};
use crate::prompts::schedule::Days;
use crate::reply::{
    Button, ButtonStyle, Delivery, Embed, Field, Mentions, Reply, limits, truncate,
};
use crate::roadmap::{ItemIdx, Roadmap, SectionIdx};

/// A study prompt as posted in the server's channel, in the server's language. The configured
/// role is the only mention it may make.
pub fn post(
    roadmap: &Roadmap,
    item: ItemIdx,
    prompt_index: usize,
    role: Option<u64>,
    thread: bool,
    locale: Locale,
) -> Reply {
    let t = locale.texts();
    let it = roadmap.item(item);
    let prompt = it
        .prompts
        .get(prompt_index)
        .or_else(|| it.prompts.first())
        .map(|p| p.get(locale))
        .unwrap_or_default();
    let embed = Embed {
        image: None,
        title: truncate(
            &fill(t.prompt_title, &[("item", &it.name.get(locale))]),
            limits::EMBED_TITLE,
        ),
        description: format!("**{prompt}**"),
        url: it.links.first().cloned(),
        colour: COLOUR_BRAND,
        fields: post_fields(roadmap, item, locale),
        footer: Some(
            if thread {
                t.prompt_footer_thread
            } else {
                t.prompt_footer
            }
            .to_string(),
        ),
    };
    Reply {
        delivery: Delivery::NewMessage,
        ephemeral: false,
        content: role.map(|r| format!("<@&{r}>")),
        embeds: vec![embed],
        rows: vec![post_buttons(roadmap, item, locale)],
        mentions: Mentions {
            roles: role.into_iter().collect(),
            users: Vec::new(),
        },
        attachments: Vec::new(),
    }
}

/// Why the item matters, where to read about it, and the section (with the requirement the
/// item counts towards: the section's, or else its group's).
fn post_fields(roadmap: &Roadmap, item: ItemIdx, locale: Locale) -> Vec<Field> {
    let t = locale.texts();
    let it = roadmap.item(item);
    let mut fields = vec![Field::new(t.item_field_why, it.why.get(locale))];
    if !it.links.is_empty() {
        let links: Vec<String> = it.links.iter().map(|l| format!("• {l}")).collect();
        fields.extend(pack_lines(t.item_field_links, &links, locale));
    }
    let section = roadmap.section(it.section);
    let requirement = section
        .requirement
        .or(it.group.and_then(|g| roadmap.group(g).requirement));
    fields.push(Field::inline(
        t.item_field_section,
        format!(
            "{} ({})",
            section.name.get(locale),
            requirement_label(requirement, locale)
        ),
    ));
    fields
}

/// Learning and Done for whoever reads the post, and a quiz when the item has questions.
fn post_buttons(roadmap: &Roadmap, item: ItemIdx, locale: Locale) -> Vec<Button> {
    let t = locale.texts();
    let id = &roadmap.item(item).id;
    let mark = |label: String, style, action| {
        Button::new(
            label,
            style,
            ComponentId::Mark {
                item: id.clone(),
                action,
            }
            .encode(),
        )
    };
    let mut buttons = vec![
        mark(
            format!("📖 {}", t.button_learning),
            ButtonStyle::Secondary,
            MarkAction::Learning,
        ),
        mark(
            format!("✅ {}", t.button_done),
            ButtonStyle::Success,
            MarkAction::Done,
        ),
    ];
    if roadmap.questions_of(item).next().is_some() {
        buttons.push(super::quiz::quiz_me_button(id, locale));
    }
    buttons
}

/// The name of the answers thread (Discord: 1 to 100 characters).
pub fn thread_name(roadmap: &Roadmap, item: ItemIdx, locale: Locale) -> String {
    truncate(
        &fill(
            locale.texts().prompt_thread_name,
            &[("item", &roadmap.item(item).name.get(locale))],
        ),
        100,
    )
}

/// A week's digest status, for `/prompts status`.
pub fn digest_status(status: SendStatus, locale: Locale) -> String {
    let t = locale.texts();
    match status {
        SendStatus::Sent => t.post_status_sent,
        SendStatus::Sending => t.post_status_sending,
        SendStatus::Skipped => t.post_status_skipped,
        SendStatus::Failed => t.post_status_failed,
    }
    .to_string()
}

/// The weekly digest's post: the week it covers, how to read the map, the week's movers. The
/// heat map is attached as its image.
pub fn digest(
    roadmap: &Roadmap,
    community: &crate::progress::community::Community,
    week: (jiff::civil::Date, jiff::civil::Date),
    locale: Locale,
) -> Reply {
    let t = locale.texts();
    let list = |items: &[(crate::roadmap::ItemIdx, u64)]| -> String {
        if items.is_empty() {
            return t.heat_week_none.to_string();
        }
        let joined = items
            .iter()
            .take(5)
            .map(|(item, n)| format!("{} (+{n})", roadmap.item(*item).name.get(locale)))
            .collect::<Vec<_>>()
            .join(t.list_separator);
        truncate(&joined, crate::reply::limits::EMBED_FIELD_VALUE)
    };
    Reply::public(Embed {
        title: fill(
            t.digest_title,
            &[
                ("first", &locale.date(week.0)),
                ("last", &locale.date(week.1)),
            ],
        ),
        description: format!(
            "{}\n{}",
            t.community_description.fill(community.active as usize, &[]),
            t.digest_description
        ),
        colour: COLOUR_BRAND,
        fields: vec![
            crate::reply::Field::new(t.heat_lastweek_done, list(&community.window_done)),
            crate::reply::Field::new(t.heat_lastweek_learning, list(&community.window_learning)),
        ],
        ..Embed::default()
    })
}

pub fn status_line(roadmap: &Roadmap, post: &PromptPost, locale: Locale) -> String {
    let t = locale.texts();
    let item = roadmap
        .item_by_id(&post.item_id)
        .map_or(post.item_id.as_str(), |i| roadmap.item(i).name.get(locale));
    let status = match post.status {
        SendStatus::Sent => t.post_status_sent.to_string(),
        SendStatus::Sending => t.post_status_sending.to_string(),
        SendStatus::Skipped => t.post_status_skipped.to_string(),
        SendStatus::Failed => format!(
            "{}: {}",
            t.post_status_failed,
            refusal(t, post.error.as_deref().and_then(records::Pause::code_of))
        ),
    };
    let manual = if post.manual {
        format!(" ({})", t.post_manual)
    } else {
        String::new()
    };
    let item = if item.is_empty() {
        String::new()
    } else {
        format!("**{item}** · ")
    };
    format!("<t:{}:f> · {item}{status}{manual}", post.slot)
}

/// Why Discord did not take a post, in the admin's language (never Discord's raw message,
/// which is English and technical): by its JSON error code, when it gave one.
pub fn refusal(t: &Texts, discord_code: Option<i64>) -> String {
    match discord_code {
        Some(50001) => t.refusal_missing_access.to_string(),
        Some(50013) => t.refusal_missing_permissions.to_string(),
        Some(10003) => t.refusal_unknown_channel.to_string(),
        Some(code) => fill(t.refusal_other, &[("code", &code)]),
        None => t.refusal_transient.to_string(),
    }
}

/// Why a server's prompts are paused.
pub fn pause(t: &Texts, pause: &records::Pause, channel: u64) -> String {
    use records::PauseReason;
    match pause.reason {
        PauseReason::Admin => t.status_paused_admin.to_string(),
        PauseReason::Missing => fill(t.status_paused_missing, &[("channel", &channel)]),
        PauseReason::Invalid => t.status_paused_invalid.to_string(),
        PauseReason::Forbidden => fill(
            t.status_paused_forbidden,
            &[
                ("channel", &channel),
                ("why", &refusal(t, pause.discord_code.or(Some(50013)))),
            ],
        ),
    }
}

/// A short private answer to an admin.
pub fn notice(text: String) -> Reply {
    Reply::ephemeral(Embed {
        description: text,
        colour: COLOUR_BRAND,
        ..Embed::default()
    })
}

/// What `/prompts setup` saved, for its answer.
pub struct SetupDone {
    pub channel: u64,
    pub days: Days,
    /// "HH:MM" in `timezone`.
    pub time: String,
    pub timezone: String,
    /// The first post.
    pub next: i64,
    pub role: Option<u64>,
    pub section: Option<SectionIdx>,
    pub thread: bool,
    /// What the first post is about.
    pub first_item: Option<ItemIdx>,
    /// Discord could not be asked whether the bot may post there.
    pub unverified: bool,
}

/// `/prompts setup`'s answer: where, when, what, and what could not be checked.
pub fn setup_done(roadmap: &Roadmap, done: &SetupDone, locale: Locale) -> Reply {
    let t = locale.texts();
    let mut text = fill(
        t.prompts_setup_done,
        &[
            ("channel", &done.channel),
            ("days", &done.days.label(locale)),
            ("time", &done.time),
            ("timezone", &done.timezone),
            ("next", &done.next),
        ],
    );
    let mut line = |more: String| {
        text.push('\n');
        text.push_str(&more);
    };
    if let Some(role) = done.role {
        line(fill(t.prompts_setup_role, &[("role", &role)]));
    }
    if let Some(s) = done.section {
        let section = roadmap.section(s).name.get(locale);
        line(fill(t.prompts_setup_section, &[("section", &section)]));
    }
    if done.thread {
        line(t.prompts_setup_thread.to_string());
    }
    if let Some(item) = done.first_item {
        let item = roadmap.item(item).name.get(locale);
        line(fill(t.prompts_setup_first, &[("item", &item)]));
    }
    if done.unverified {
        text.push_str("\n\n⚠️ ");
        text.push_str(t.prompts_setup_unverified);
    }
    notice(text)
}

/// `/prompts pause`'s answer.
pub fn paused(locale: Locale) -> Reply {
    notice(locale.texts().prompts_paused.to_string())
}

/// `/prompts resume`'s answer: when the next post is.
pub fn resumed(next: i64, locale: Locale) -> Reply {
    notice(fill(locale.texts().prompts_resumed, &[("next", &next)]))
}

/// `/prompts now`'s answer.
pub fn now_requested(channel: u64, locale: Locale) -> Reply {
    notice(fill(
        locale.texts().prompts_now_requested,
        &[("channel", &channel)],
    ))
}

/// `/prompts digest`'s answer.
pub fn digest_switched(on: bool, channel: u64, locale: Locale) -> Reply {
    let t = locale.texts();
    notice(if on {
        fill(t.prompts_digest_on, &[("channel", &channel)])
    } else {
        t.prompts_digest_off.to_string()
    })
}

/// What `/prompts status` shows.
pub struct StatusView<'a> {
    pub schedule: &'a records::PromptSchedule,
    /// The last digest (when digests are on): its week and how it went.
    pub last_digest: Option<(i64, SendStatus)>,
    pub recent: &'a [PromptPost],
    /// The next posts: when, and about what.
    pub upcoming: Vec<(i64, ItemIdx)>,
}

/// `/prompts status`: the schedule, why it is paused if it is, the digest, the last posts and
/// the next ones.
pub fn status_view(roadmap: &Roadmap, view: &StatusView<'_>, locale: Locale) -> Reply {
    let t = locale.texts();
    let row = view.schedule;
    let mut description = fill(
        t.status_schedule,
        &[
            ("channel", &row.channel),
            ("days", &Days(row.days).label(locale)),
            ("time", &row.local_time),
            ("timezone", &row.timezone),
        ],
    );
    description.push('\n');
    if let Some(paused) = &row.pause {
        description.push_str(&pause(t, paused, row.channel));
    } else if let Some(next) = row.next_due_at {
        description.push_str(&fill(t.status_next, &[("next", &next)]));
    }
    if let Some(role) = row.role {
        description.push('\n');
        description.push_str(&fill(t.prompts_setup_role, &[("role", &role)]));
    }
    if row.digest {
        description.push('\n');
        description.push_str(&match view.last_digest {
            Some((week, status)) => fill(
                t.status_digest_last,
                &[
                    ("week", &format!("<t:{week}:D>")),
                    ("status", &digest_status(status, locale)),
                ],
            ),
            None => t.status_digest_on.to_string(),
        });
    }
    let recent = view
        .recent
        .iter()
        .map(|p| status_line(roadmap, p, locale))
        .collect();
    let upcoming = view
        .upcoming
        .iter()
        .map(|(at, item)| format!("<t:{at}:f> · **{}**", roadmap.item(*item).name.get(locale)))
        .collect();
    status(t.status_title, description, recent, upcoming, locale)
}

pub fn status(
    title: &str,
    description: String,
    recent: Vec<String>,
    upcoming: Vec<String>,
    locale: Locale,
) -> Reply {
    let t = locale.texts();
    let mut fields = Vec::new();
    let recent = if recent.is_empty() {
        vec![t.status_none_yet.to_string()]
    } else {
        recent
    };
    fields.extend(pack_lines(t.status_field_recent, &recent, locale));
    if !upcoming.is_empty() {
        fields.extend(pack_lines(t.status_field_upcoming, &upcoming, locale));
    }
    Reply::ephemeral(Embed {
        title: title.to_string(),
        description,
        colour: COLOUR_BRAND,
        fields,
        ..Embed::default()
    })
}
