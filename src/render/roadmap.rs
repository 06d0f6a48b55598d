//! `/roadmap` views: the overview, a section, a group, an item, and "not found".

use super::{
    COLOUR_BRAND, COLOUR_NOT_FOUND, PageFrame, first_sentence, pack_lines, page_buttons, paginate,
    requirement_label, select_page,
};
use crate::component::{ComponentId, MarkAction};
use crate::i18n::{Locale, fill};
use crate::progress::{ItemStates, PENDING_MARKER, State};
use crate::reply::{Button, ButtonStyle, Embed, Field, Reply, truncate};
use crate::roadmap::{GroupIdx, ItemIdx, Node, Roadmap, SectionIdx};

/// Longest one-line summary of an item in a list.
const SUMMARY_LEN: usize = 90;
/// Buttons offered for "did you mean" and "also see" (one row).
const MAX_SUGGESTION_BUTTONS: usize = 5;

/// What the viewer's own progress adds to a view; `None` outside a server.
pub type Marks<'a> = Option<&'a ItemStates>;

fn marker(item: ItemIdx, marks: Marks<'_>) -> &'static str {
    match marks {
        None => "•",
        Some(states) => states.get(&item).map_or(PENDING_MARKER, |s| s.marker()),
    }
}

fn paged_reply(
    frame: &PageFrame,
    fields: Vec<Field>,
    page: usize,
    node_id: &str,
    locale: Locale,
) -> Reply {
    let (embed, page, total) = select_page(paginate(frame, fields), page, locale);
    let buttons = page_buttons(page, total, locale, |p| {
        ComponentId::RoadmapPage {
            node: node_id.to_string(),
            page: p,
        }
        .encode()
    });
    Reply::ephemeral(embed).with_rows(vec![buttons])
}

/// Every section of every roadmap with its requirement and items.
pub fn overview(roadmap: &Roadmap, locale: Locale, page: usize, marks: Marks<'_>) -> Reply {
    let t = locale.texts();
    let mut fields = Vec::new();
    let mut description = String::new();
    for (n, track) in roadmap.tracks().iter().enumerate() {
        if n > 0 {
            description.push_str("\n\n");
        }
        if roadmap.tracks().len() > 1 {
            description.push_str(&format!("**{}**\n", track.name.get(locale)));
        }
        description.push_str(track.intro.get(locale));
        description.push('\n');
        description.push_str(&fill(
            t.overview_milestone,
            &[("milestone", &track.milestone.get(locale))],
        ));
        for (position, &s) in track.sections.iter().enumerate() {
            let section = roadmap.section(s);
            let mut lines = Vec::new();
            if section.groups.is_empty() {
                lines.push(item_names(roadmap, &section.items, locale, marks));
            }
            for &g in &section.groups {
                let group = roadmap.group(g);
                let label = match section.requirement {
                    Some(_) => format!("*{}*", group.name.get(locale)),
                    None => format!(
                        "*{}* ({})",
                        group.name.get(locale),
                        requirement_label(group.requirement, locale)
                    ),
                };
                lines.push(format!(
                    "{label}: {}",
                    item_names(roadmap, &group.items, locale, marks)
                ));
            }
            let name = format!(
                "{}. {}{}",
                position + 1,
                section.name.get(locale),
                section
                    .requirement
                    .map(|r| format!(" ({})", requirement_label(Some(r), locale)))
                    .unwrap_or_default()
            );
            fields.extend(pack_lines(&name, &lines, locale));
        }
    }
    let title = match roadmap.tracks() {
        [only] => only.name.get(locale).to_string(),
        _ => "Roadmap".to_string(),
    };
    let frame = PageFrame {
        title,
        description,
        url: None,
        colour: COLOUR_BRAND,
        footer: t.overview_footer.to_string(),
    };
    paged_reply(&frame, fields, page, "", locale)
}

fn item_names(roadmap: &Roadmap, items: &[ItemIdx], locale: Locale, marks: Marks<'_>) -> String {
    items
        .iter()
        .map(|&i| match marks {
            None => roadmap.item(i).name.get(locale).to_string(),
            Some(_) => format!("{} {}", marker(i, marks), roadmap.item(i).name.get(locale)),
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

fn item_lines(
    roadmap: &Roadmap,
    items: &[ItemIdx],
    locale: Locale,
    marks: Marks<'_>,
) -> Vec<String> {
    items
        .iter()
        .map(|&i| {
            let item = roadmap.item(i);
            format!(
                "{} **{}**: {}",
                marker(i, marks),
                item.name.get(locale),
                truncate(first_sentence(item.description.get(locale)), SUMMARY_LEN)
            )
        })
        .collect()
}

/// Renders any node; `alternatives` are other nodes the query is associated with.
pub fn node(
    roadmap: &Roadmap,
    node: Node,
    alternatives: &[Node],
    locale: Locale,
    page: usize,
    marks: Marks<'_>,
) -> Reply {
    let mut reply = match node {
        Node::Section(s) => section(roadmap, s, locale, page, marks),
        Node::Group(g) => group(roadmap, g, locale, page, marks),
        Node::Item(i) => item(roadmap, i, locale, marks),
    };
    if !alternatives.is_empty() {
        let names = alternatives
            .iter()
            .map(|&n| format!("**{}**", roadmap.node_name(n, locale)))
            .collect::<Vec<_>>()
            .join(locale.texts().list_separator);
        if let Some(embed) = reply.embeds.first_mut() {
            let line = fill(locale.texts().also_see, &[("alternatives", &names)]);
            embed.description = truncate(
                &format!("{}\n\n{line}", embed.description),
                crate::reply::limits::EMBED_DESCRIPTION,
            );
        }
        reply.rows.push(node_buttons(roadmap, alternatives, locale));
    }
    reply
}

fn node_buttons(roadmap: &Roadmap, nodes: &[Node], locale: Locale) -> Vec<Button> {
    nodes
        .iter()
        .take(MAX_SUGGESTION_BUTTONS)
        .map(|&n| {
            Button::new(
                truncate(
                    roadmap.node_name(n, locale),
                    crate::reply::limits::BUTTON_LABEL,
                ),
                ButtonStyle::Secondary,
                ComponentId::RoadmapPage {
                    node: roadmap.node_id(n).to_string(),
                    page: 0,
                }
                .encode(),
            )
        })
        .collect()
}

fn section(
    roadmap: &Roadmap,
    s: SectionIdx,
    locale: Locale,
    page: usize,
    marks: Marks<'_>,
) -> Reply {
    let t = locale.texts();
    let section = roadmap.section(s);
    let mut description = section.intro.get(locale).to_string();
    if let Some(requirement) = section.requirement {
        description.push_str(&format!(
            "\n\n**{}**",
            requirement_label(Some(requirement), locale)
        ));
    }
    let mut fields = Vec::new();
    if section.groups.is_empty() {
        fields.extend(pack_lines(
            t.section_items,
            &item_lines(roadmap, &section.items, locale, marks),
            locale,
        ));
    }
    for &g in &section.groups {
        let group = roadmap.group(g);
        let name = match (section.requirement, group.requirement) {
            (Some(_), _) => group.name.get(locale).to_string(),
            (None, r) => format!(
                "{} ({})",
                group.name.get(locale),
                requirement_label(r, locale)
            ),
        };
        fields.extend(pack_lines(
            &name,
            &item_lines(roadmap, &group.items, locale, marks),
            locale,
        ));
    }
    let frame = PageFrame {
        title: section.name.get(locale).to_string(),
        description,
        url: None,
        colour: COLOUR_BRAND,
        footer: t.section_footer.to_string(),
    };
    paged_reply(&frame, fields, page, &section.id, locale)
}

fn group(roadmap: &Roadmap, g: GroupIdx, locale: Locale, page: usize, marks: Marks<'_>) -> Reply {
    let t = locale.texts();
    let group = roadmap.group(g);
    let section = roadmap.section(group.section);
    let intro = group.intro.as_ref().unwrap_or(&section.intro).get(locale);
    let requirement = section.requirement.or(group.requirement);
    let description = format!(
        "{intro}\n\n**{}**",
        capitalize(&requirement_label(requirement, locale))
    );
    let fields = pack_lines(
        section.name.get(locale),
        &item_lines(roadmap, &group.items, locale, marks),
        locale,
    );
    let frame = PageFrame {
        title: format!("{} · {}", group.name.get(locale), section.name.get(locale)),
        description,
        url: None,
        colour: COLOUR_BRAND,
        footer: t.section_footer.to_string(),
    };
    paged_reply(&frame, fields, page, &group.id, locale)
}

fn item(roadmap: &Roadmap, i: ItemIdx, locale: Locale, marks: Marks<'_>) -> Reply {
    let t = locale.texts();
    let item = roadmap.item(i);
    let mut fields = vec![Field::new(t.item_field_why, item.why.get(locale))];
    let prompts: Vec<String> = item
        .prompts
        .iter()
        .enumerate()
        .map(|(n, p)| format!("{}. {}", n + 1, p.get(locale)))
        .collect();
    fields.extend(pack_lines(t.item_field_prompts, &prompts, locale));
    if !item.links.is_empty() {
        let links: Vec<String> = item.links.iter().map(|l| format!("• {l}")).collect();
        fields.extend(pack_lines(t.item_field_links, &links, locale));
    }
    fields.push(Field::inline(
        t.item_field_section,
        item_place(roadmap, i, locale, marks),
    ));
    if !item.related.is_empty() {
        let related = item
            .related
            .iter()
            .map(|&r| roadmap.item(r).name.get(locale))
            .collect::<Vec<_>>()
            .join(" · ");
        fields.push(Field::inline(t.item_field_related, related));
    }
    // In a server, the member can mark the item right here.
    let buttons = match marks {
        Some(states) => item_mark_buttons(&item.id, states.get(&i).copied(), locale),
        None => Vec::new(),
    };
    let embed = Embed {
        image: None,
        title: item.name.get(locale).to_string(),
        description: item.description.get(locale).to_string(),
        url: item.links.first().cloned(),
        colour: COLOUR_BRAND,
        fields,
        footer: Some(fill(t.item_footer, &[("id", &item.id)])),
    };
    Reply::ephemeral(embed).with_rows(vec![buttons])
}

/// Where the item sits: "Section › Group (requirement)", after the viewer's mark when they
/// have one. The requirement is the section's, or else its group's.
fn item_place(roadmap: &Roadmap, i: ItemIdx, locale: Locale, marks: Marks<'_>) -> String {
    let item = roadmap.item(i);
    let section = roadmap.section(item.section);
    let mut place = section.name.get(locale).to_string();
    let mut requirement = section.requirement;
    if let Some(g) = item.group {
        let group = roadmap.group(g);
        place.push_str(&format!(" › {}", group.name.get(locale)));
        requirement = requirement.or(group.requirement);
    }
    place.push_str(&format!(" ({})", requirement_label(requirement, locale)));
    match marks.and_then(|states| states.get(&i)) {
        Some(state) => format!("{} {place}", state.marker()),
        None => place,
    }
}

/// A button for each state the item is not in yet, and Undo once it has one.
fn item_mark_buttons(item_id: &str, state: Option<State>, locale: Locale) -> Vec<Button> {
    let t = locale.texts();
    let mark = |label: &str, style, action| {
        Button::new(
            label,
            style,
            ComponentId::Mark {
                item: item_id.to_string(),
                action,
            }
            .encode(),
        )
    };
    let moves = [
        (
            State::Learning,
            format!("📖 {}", t.button_learning),
            ButtonStyle::Secondary,
            MarkAction::Learning,
        ),
        (
            State::Done,
            format!("✅ {}", t.button_done),
            ButtonStyle::Success,
            MarkAction::Done,
        ),
        (
            State::Skipped,
            format!("⏭️ {}", t.button_skip),
            ButtonStyle::Secondary,
            MarkAction::Skip,
        ),
    ];
    let mut row: Vec<Button> = moves
        .into_iter()
        .filter(|(target, ..)| state != Some(*target))
        .map(|(_, label, style, action)| mark(&label, style, action))
        .collect();
    if state.is_some() {
        row.push(mark(
            t.button_undo,
            ButtonStyle::Secondary,
            MarkAction::Undo,
        ));
    }
    row
}

/// "Nothing matches": the closest names as a sentence and as buttons, or the sections.
pub fn not_found(roadmap: &Roadmap, query: &str, suggestions: &[Node], locale: Locale) -> Reply {
    let t = locale.texts();
    let query = truncate(query.trim(), 100);
    let mut description = fill(t.not_found_body, &[("query", &query)]);
    let offered: Vec<Node> = if suggestions.is_empty() {
        roadmap.sections().map(|(s, _)| Node::Section(s)).collect()
    } else {
        suggestions.to_vec()
    };
    let names = offered
        .iter()
        .take(if suggestions.is_empty() {
            offered.len()
        } else {
            MAX_SUGGESTION_BUTTONS
        })
        .map(|&n| format!("**{}**", roadmap.node_name(n, locale)))
        .collect::<Vec<_>>()
        .join(t.list_separator);
    description.push_str("\n\n");
    if suggestions.is_empty() {
        description.push_str(&fill(t.not_found_no_suggestions, &[("sections", &names)]));
    } else {
        description.push_str(&fill(t.not_found_suggestions, &[("suggestions", &names)]));
    }
    let embed = Embed {
        image: None,
        title: fill(t.not_found_title, &[("query", &truncate(&query, 200))]),
        description,
        url: None,
        colour: COLOUR_NOT_FOUND,
        fields: Vec::new(),
        footer: Some(t.overview_footer.to_string()),
    };
    Reply::ephemeral(embed).with_rows(vec![node_buttons(roadmap, &offered, locale)])
}

/// The label of a node in an autocomplete list: "Apache Kafka · Message brokers".
pub fn choice_label(roadmap: &Roadmap, node: Node, locale: Locale) -> String {
    let t = locale.texts();
    match node {
        Node::Section(s) => format!(
            "{} ({})",
            roadmap.section(s).name.get(locale),
            t.section_choice_suffix
        ),
        Node::Group(g) => {
            let group = roadmap.group(g);
            let section = roadmap.section(group.section).name.get(locale);
            format!(
                "{} ({})",
                group.name.get(locale),
                fill(t.group_choice_suffix, &[("section", &section)])
            )
        }
        Node::Item(i) => {
            let item = roadmap.item(i);
            format!(
                "{} · {}",
                item.name.get(locale),
                roadmap.section(item.section).name.get(locale)
            )
        }
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
