//! `/roadmap [topic]`: the overview, a section, a group or an item.

use super::args::Caller;
use super::define::{CommandSpec, Complete, Ctx, Leaf, handler, options};
use super::error::CommandError;
use super::marks::caller_states;
use crate::app::App;
use crate::error::UserError;
use crate::i18n::Locale;
use crate::render::roadmap as view;
use crate::reply::{Choice, Reply, limits};
use crate::roadmap::Roadmap;

options! {
    /// `/roadmap [topic]`'s options.
    pub struct TopicOption {
        topic: Option<String> => TOPICS,
    }
}

/// The roadmap's own name, sections, groups and items, best match first.
pub const TOPICS: Complete = Complete::Typed(choices);
/// Sections, best match first.
pub const SECTIONS: Complete = Complete::Typed(section_choices);

/// `/roadmap [topic]`: answers in DMs too.
pub static COMMAND: CommandSpec = CommandSpec {
    needs_guild: false,
    ..CommandSpec::member("roadmap", handler::<Show>())
};

struct Show;

impl Leaf for Show {
    type Options = TopicOption;
    async fn run(ctx: Ctx<'_>, o: TopicOption) -> Result<Reply, CommandError> {
        run(ctx, o.topic.as_deref()).await
    }
}

async fn run(ctx: Ctx<'_>, topic: Option<&str>) -> Result<Reply, CommandError> {
    let locale = ctx.caller.locale;
    let roadmap = &ctx.app.roadmap;
    let query = topic.map(str::trim).unwrap_or_default();
    let states = super::marks::states_in(ctx).await?;
    let marks = states.as_ref();
    // Nothing, or the roadmap's own name ("backend", "Roadmap backend"): the overview.
    if query.is_empty() || roadmap.track_named(query).is_some() {
        return Ok(view::overview(roadmap, locale, 0, marks));
    }
    // Ids (what autocomplete sends) are resolver terms too, so alternatives are kept.
    let resolution = roadmap.resolve(query);
    Ok(match resolution.found {
        Some(node) => view::node(roadmap, node, &resolution.alternatives, locale, 0, marks),
        None => view::not_found(roadmap, query, &resolution.suggestions, locale),
    })
}

/// A page button or a suggestion button of a `/roadmap` view.
pub(super) async fn page(
    app: &App,
    caller: &Caller,
    node_id: &str,
    page: usize,
) -> Result<Reply, CommandError> {
    let roadmap = &app.roadmap;
    let locale = caller.locale;
    let states = caller_states(app, caller).await?;
    if node_id.is_empty() {
        return Ok(view::overview(roadmap, locale, page, states.as_ref()).as_update());
    }
    // The id may have left the roadmap since the message was sent.
    let node = roadmap.node(node_id).ok_or(UserError::StaleButton)?;
    Ok(view::node(roadmap, node, &[], locale, page, states.as_ref()).as_update())
}

/// Autocomplete choices for a topic: the whole roadmap when its name is typed, then sections,
/// groups and items, best match first.
pub fn choices(roadmap: &Roadmap, partial: &str, locale: Locale) -> Vec<Choice> {
    let overview = roadmap.track_named(partial).map(|t| {
        let track = roadmap.track(t);
        Choice::new(track.name.get(locale), track.id.clone())
    });
    overview
        .into_iter()
        .chain(
            roadmap
                .suggest(partial, limits::CHOICES, |_| true)
                .into_iter()
                .map(|s| {
                    Choice::new(
                        &view::choice_label(roadmap, s.node, locale),
                        roadmap.node_id(s.node),
                    )
                }),
        )
        .take(limits::CHOICES)
        .collect()
}

/// Autocomplete choices for a section.
pub fn section_choices(roadmap: &Roadmap, partial: &str, locale: Locale) -> Vec<Choice> {
    roadmap
        .suggest(partial, limits::CHOICES, |n| {
            matches!(n, crate::roadmap::Node::Section(_))
        })
        .into_iter()
        .map(|s| Choice::new(roadmap.node_name(s.node, locale), roadmap.node_id(s.node)))
        .collect()
}
