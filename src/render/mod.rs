//! Pure rendering: data in, [`Reply`](crate::reply::Reply) out, in the member's language.
//!
//! Nothing here touches Discord or the database. Every renderer stays inside Discord's limits
//! by construction: long lists are split into several fields ([`pack_lines`]) and too many
//! fields into pages ([`paginate`]); nothing is cut silently.

pub mod config;
pub mod errors;
pub mod leaderboard;
pub mod progress;
pub mod prompts;
pub mod quiz;
pub mod rewards;
pub mod roadmap;
pub mod streak;

use crate::i18n::{Locale, fill};
use crate::reply::{Button, ButtonStyle, Embed, Field, count, limits, truncate};
use crate::roadmap::Requirement;

pub const COLOUR_BRAND: u32 = 0x1f8b4c;
pub const COLOUR_NOT_FOUND: u32 = 0xc27c0e;
pub const COLOUR_ERROR: u32 = 0x992d22;

/// "pick 1" / "escolha 1", "all" / "todos".
pub fn requirement_label(requirement: Option<Requirement>, locale: Locale) -> String {
    let t = locale.texts();
    match requirement {
        Some(Requirement::Pick(n)) => fill(t.requirement_pick, &[("count", &n)]),
        Some(Requirement::All) => t.requirement_all.to_string(),
        None => t.requirement_optional.to_string(),
    }
}

/// Splits lines into as many fields as needed so that no value exceeds Discord's 1024
/// characters; continuation fields say so in their name. A single over-long line is shortened
/// with a visible "…" (lines are one-line summaries, so this only guards against bad data).
pub fn pack_lines(name: &str, lines: &[String], locale: Locale) -> Vec<Field> {
    let mut fields = Vec::new();
    let mut value = String::new();
    for line in lines {
        let line = truncate(line, limits::EMBED_FIELD_VALUE);
        let needed = count(&value) + count(&line) + usize::from(!value.is_empty());
        if !value.is_empty() && needed > limits::EMBED_FIELD_VALUE {
            fields.push(std::mem::take(&mut value));
        }
        if !value.is_empty() {
            value.push('\n');
        }
        value.push_str(&line);
    }
    if !value.is_empty() || fields.is_empty() {
        fields.push(value);
    }
    let continued = locale.texts().continued;
    fields
        .into_iter()
        .enumerate()
        .map(|(i, value)| {
            let name = if i == 0 {
                name.to_string()
            } else {
                format!("{name} {continued}")
            };
            Field::new(
                truncate(&name, limits::EMBED_FIELD_NAME),
                if value.is_empty() {
                    "—".to_string()
                } else {
                    value
                },
            )
        })
        .collect()
}

/// The parts of a view that repeat on each page.
pub struct PageFrame {
    pub title: String,
    pub description: String,
    pub url: Option<String>,
    pub colour: u32,
    pub footer: String,
}

/// Room left on each page for the page indicator the footer gains.
const FOOTER_RESERVE: usize = 40;

/// Distributes fields over as many embeds as Discord's limits require: at most 25 fields and
/// 6000 characters each. The description is shown on the first page only.
pub fn paginate(frame: &PageFrame, fields: Vec<Field>) -> Vec<Embed> {
    let title = truncate(&frame.title, limits::EMBED_TITLE);
    let description = truncate(&frame.description, limits::EMBED_DESCRIPTION);
    let footer = truncate(&frame.footer, limits::EMBED_FOOTER - FOOTER_RESERVE);
    let overhead = count(&title) + count(&footer) + FOOTER_RESERVE;
    let mut pages: Vec<Vec<Field>> = vec![Vec::new()];
    let mut used = overhead + count(&description);
    for field in fields {
        let size = count(&field.name) + count(&field.value);
        let page = pages.last_mut().expect("pages is never empty");
        if !page.is_empty()
            && (page.len() == limits::EMBED_FIELDS || used + size > limits::EMBED_TOTAL)
        {
            pages.push(Vec::new());
            used = overhead;
        }
        used += size;
        pages.last_mut().expect("pages is never empty").push(field);
    }
    pages
        .into_iter()
        .enumerate()
        .map(|(i, fields)| Embed {
            image: None,
            title: title.clone(),
            description: if i == 0 {
                description.clone()
            } else {
                String::new()
            },
            url: frame.url.clone(),
            colour: frame.colour,
            fields,
            footer: Some(footer.clone()),
        })
        .collect()
}

/// Picks page `page` (clamped) and stamps "Page x of y" into its footer.
pub fn select_page(mut pages: Vec<Embed>, page: usize, locale: Locale) -> (Embed, usize, usize) {
    let total = pages.len().max(1);
    let page = page.min(total - 1);
    let mut embed = if pages.is_empty() {
        Embed::default()
    } else {
        pages.swap_remove(page)
    };
    if total > 1 {
        let indicator = fill(
            locale.texts().page_indicator,
            &[("page", &(page + 1)), ("pages", &total)],
        );
        embed.footer = Some(match embed.footer.take() {
            Some(f) if !f.is_empty() => format!("{indicator} · {f}"),
            _ => indicator,
        });
    }
    (embed, page, total)
}

/// Previous / next buttons for a paginated view; empty when there is one page.
pub fn page_buttons(
    page: usize,
    total: usize,
    locale: Locale,
    id_for: impl Fn(usize) -> String,
) -> Vec<Button> {
    if total <= 1 {
        return Vec::new();
    }
    let t = locale.texts();
    vec![
        Button::new(
            format!("◀ {}", t.button_previous),
            ButtonStyle::Secondary,
            id_for(page.saturating_sub(1)),
        )
        .disabled(page == 0),
        Button::new(
            format!("{} ▶", t.button_next),
            ButtonStyle::Secondary,
            id_for((page + 1).min(total - 1)),
        )
        .disabled(page + 1 >= total),
    ]
}

/// The first sentence of a text, for one-line summaries.
pub fn first_sentence(text: &str) -> &str {
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        // A colon or semicolon continues the thought ("X is not a web framework: it is an ORM").
        if matches!(c, '.' | '!' | '?') {
            let next = text[i + c.len_utf8()..].chars().next();
            if next.is_none_or(char::is_whitespace) {
                end = i;
                break;
            }
        }
    }
    text[..end].trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_lines_never_exceeds_a_field_value() {
        let lines: Vec<String> = (0..60)
            .map(|i| format!("• line {i} {}", "x".repeat(40)))
            .collect();
        let fields = pack_lines("Items", &lines, Locale::En);
        assert!(fields.len() > 1);
        for f in &fields {
            assert!(count(&f.value) <= limits::EMBED_FIELD_VALUE);
        }
        assert!(fields[1].name.contains("(continued)"));
        let joined: Vec<&str> = fields.iter().flat_map(|f| f.value.lines()).collect();
        assert_eq!(joined.len(), 60, "every line survives packing");
    }

    #[test]
    fn paginate_respects_field_and_character_limits() {
        let frame = PageFrame {
            title: "T".into(),
            description: "d".repeat(3000),
            url: None,
            colour: 0,
            footer: "f".into(),
        };
        let fields: Vec<Field> = (0..40)
            .map(|i| Field::new(format!("n{i}"), "v".repeat(900)))
            .collect();
        let pages = paginate(&frame, fields);
        assert!(pages.len() >= 7);
        let mut total_fields = 0;
        for p in &pages {
            assert!(p.violations().is_empty(), "{:?}", p.violations());
            total_fields += p.fields.len();
        }
        assert_eq!(total_fields, 40);
    }

    #[test]
    fn first_sentence_stops_at_the_end_of_a_sentence_not_inside_names() {
        assert_eq!(
            first_sentence("Node.js runs JS. It is fast."),
            "Node.js runs JS"
        );
        assert_eq!(first_sentence("No period"), "No period");
    }
}
