//! English texts (the community's second language).

use super::{CommandTexts, Texts};

pub static TEXTS: Texts = Texts {
    internal_error: "Something went wrong on my side and the bot's operator has been told. Please try again in a moment.",
    needs_guild: "This command only works inside a server: progress and rankings belong to each community. Use it in one of the server's channels.",
    needs_manage_guild: "Only members with the **Manage Server** permission can use this command.",
    stale_button: "This button belongs to an old version of the message. Run the command again to see the current one.",
    page_indicator: "Page {page} of {pages}",
    button_previous: "Previous",
    button_next: "Next",
    list_separator: ", ",
    requirement_pick: "pick {count}",
    requirement_all: "all",
    requirement_optional: "optional",
    overview_footer: "Use /roadmap <topic> to see one section or item in detail.",
    overview_milestone: "**Goal:** {milestone}: meet every section's requirement.",
    section_footer: "Use /roadmap <item> for its description, exercises and links.",
    section_choice_suffix: "section",
    group_choice_suffix: "group in {section}",
    item_field_why: "Why it matters",
    item_field_prompts: "Study prompts",
    item_field_links: "Official documentation",
    item_field_section: "In the roadmap",
    item_field_related: "Related",
    item_footer: "id: {id}",
    continued: "(continued)",
    not_found_title: "No match for \"{query}\"",
    not_found_body: "Nothing in the roadmap matches **{query}**.",
    not_found_suggestions: "Did you mean: {suggestions}?",
    not_found_no_suggestions: "No similar name. Start from a section: {sections}. Or type a tool (for example, kafka), or run /roadmap with nothing to see it all.",
    also_see: "Looking for something else? There is also: {alternatives}.",
};

pub static COMMANDS: CommandTexts = CommandTexts {
    entries: &[
        (
            "roadmap",
            "roadmap",
            "Show the roadmap, one section or one item",
        ),
        (
            "roadmap.topic",
            "topic",
            "Section or item (for example: databases, kafka)",
        ),
    ],
};
