//! Conversions between serenity's types and trilha's: interactions in, builders out.

use serenity::all::{
    AutocompleteChoice, ButtonStyle as DiscordButtonStyle, CommandDataOption,
    CommandDataOptionValue, CommandDataResolved, CommandInteraction, ComponentInteraction,
    CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateAutocompleteResponse,
    CreateButton, CreateEmbed, CreateEmbedFooter, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, Member, RoleId, User,
};

use crate::commands::{
    Args, AutocompleteRequest, Caller, CommandSpec, Invocation, OptionSpec, Person, Press, Value,
    command,
};
use crate::i18n::Locale;
use crate::reply::{ButtonAction, ButtonStyle, Choice, Delivery, Reply};

/// Who a message may ping: nobody, except the roles the reply lists.
fn allowed_mentions(reply: &Reply) -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .empty_users()
        .empty_roles()
        .roles(reply.mentions.roles.iter().copied().map(RoleId::new))
        .users(
            reply
                .mentions
                .users
                .iter()
                .copied()
                .map(serenity::all::UserId::new),
        )
}

fn embeds(reply: &Reply) -> Vec<CreateEmbed> {
    reply.embeds.iter().map(embed).collect()
}

/// The reply's files, uploaded with the request (multipart).
fn files(reply: &Reply) -> Vec<CreateAttachment> {
    reply
        .attachments
        .iter()
        .map(|a| {
            let file = CreateAttachment::bytes(a.data.to_vec(), a.name.clone());
            match &a.description {
                Some(description) => file.description(description),
                None => file,
            }
        })
        .collect()
}

fn action_rows(reply: &Reply) -> Vec<CreateActionRow> {
    reply
        .rows
        .iter()
        .map(|row| CreateActionRow::Buttons(row.iter().map(button).collect()))
        .collect()
}

/// A channel message (study prompts) from a reply.
pub fn create_message(reply: &Reply) -> CreateMessage {
    let mut message = CreateMessage::new()
        .embeds(embeds(reply))
        .components(action_rows(reply))
        .allowed_mentions(allowed_mentions(reply))
        .add_files(files(reply));
    if let Some(content) = &reply.content {
        message = message.content(content);
    }
    message
}

/// The exact interaction response body Discord receives for a reply.
pub fn response(reply: &Reply) -> CreateInteractionResponse {
    let mut message = CreateInteractionResponseMessage::new()
        .embeds(embeds(reply))
        .components(action_rows(reply))
        .allowed_mentions(allowed_mentions(reply))
        .add_files(files(reply));
    if let Some(content) = &reply.content {
        message = message.content(content);
    }
    match reply.delivery {
        Delivery::NewMessage => {
            CreateInteractionResponse::Message(message.ephemeral(reply.ephemeral))
        }
        // Updating keeps the original message's visibility; flags are not sent.
        Delivery::UpdateMessage => CreateInteractionResponse::UpdateMessage(message),
    }
}

fn embed(e: &crate::reply::Embed) -> CreateEmbed {
    let mut out = CreateEmbed::new().colour(e.colour);
    if !e.title.is_empty() {
        out = out.title(&e.title);
    }
    if !e.description.is_empty() {
        out = out.description(&e.description);
    }
    if let Some(url) = &e.url {
        out = out.url(url);
    }
    out = out.fields(
        e.fields
            .iter()
            .map(|f| (f.name.clone(), f.value.clone(), f.inline)),
    );
    if let Some(footer) = &e.footer {
        out = out.footer(CreateEmbedFooter::new(footer));
    }
    if let Some(image) = &e.image {
        out = out.image(image);
    }
    out
}

fn button(b: &crate::reply::Button) -> CreateButton {
    let out = match &b.action {
        ButtonAction::Custom(id) => CreateButton::new(id).style(match b.style {
            ButtonStyle::Primary => DiscordButtonStyle::Primary,
            ButtonStyle::Secondary => DiscordButtonStyle::Secondary,
            ButtonStyle::Success => DiscordButtonStyle::Success,
            ButtonStyle::Danger => DiscordButtonStyle::Danger,
        }),
        ButtonAction::Link(url) => CreateButton::new_link(url),
    };
    out.label(&b.label).disabled(b.disabled)
}

/// The edit that completes a deferred response (`PATCH .../messages/@original`).
pub fn edit(reply: &Reply) -> EditInteractionResponse {
    let mut edit = EditInteractionResponse::new()
        .embeds(embeds(reply))
        .components(action_rows(reply))
        .allowed_mentions(allowed_mentions(reply));
    for file in files(reply) {
        edit = edit.new_attachment(file);
    }
    if let Some(content) = &reply.content {
        edit = edit.content(content);
    }
    edit
}

/// A follow-up message (after a deferral, when the reply cannot be an edit of the original).
pub fn followup(reply: &Reply) -> CreateInteractionResponseFollowup {
    let mut message = CreateInteractionResponseFollowup::new()
        .embeds(embeds(reply))
        .components(action_rows(reply))
        .allowed_mentions(allowed_mentions(reply))
        .ephemeral(reply.ephemeral)
        .add_files(files(reply));
    if let Some(content) = &reply.content {
        message = message.content(content);
    }
    message
}

/// The autocomplete response body (callback type 8).
pub fn autocomplete_response(choices: &[Choice]) -> CreateInteractionResponse {
    CreateInteractionResponse::Autocomplete(
        CreateAutocompleteResponse::new().set_choices(
            choices
                .iter()
                .map(|c| AutocompleteChoice::new(c.name.clone(), c.value.clone()))
                .collect(),
        ),
    )
}

fn can_manage_guild(member: Option<&Member>) -> bool {
    member
        .and_then(|m| m.permissions)
        .is_some_and(|p| p.manage_guild() || p.administrator())
}

/// A person's names as Discord shows them, most preferred first: the server nickname, the
/// display name, the username.
pub(super) fn names_of(nick: Option<&str>, user: &User) -> Vec<String> {
    [nick, user.global_name.as_deref(), Some(user.name.as_str())]
        .into_iter()
        .flatten()
        .filter(|n| !n.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn caller_of(
    user: &User,
    guild: Option<u64>,
    channel: u64,
    locale: &str,
    guild_locale: Option<&str>,
    member: Option<&Member>,
) -> Caller {
    Caller {
        user_id: user.id.get(),
        guild_id: guild,
        channel_id: Some(channel),
        locale: Locale::from_discord(locale),
        guild_locale: guild_locale.map(Locale::from_discord),
        can_manage_guild: guild.is_some() && can_manage_guild(member),
        names: names_of(member.and_then(|m| m.nick.as_deref()), user),
        avatar: user.avatar.map(|hash| hash.to_string()),
    }
}

pub fn command_caller(cmd: &CommandInteraction) -> Caller {
    caller_of(
        &cmd.user,
        cmd.guild_id.map(|g| g.get()),
        cmd.channel_id.get(),
        &cmd.locale,
        cmd.guild_locale.as_deref(),
        cmd.member.as_deref(),
    )
}

pub fn component_press(c: &ComponentInteraction) -> Press {
    Press {
        custom_id: c.data.custom_id.clone(),
        caller: caller_of(
            &c.user,
            c.guild_id.map(|g| g.get()),
            c.channel_id.get(),
            &c.locale,
            c.guild_locale.as_deref(),
            c.member.as_ref(),
        ),
    }
}

/// Why an interaction could not be mapped to a command of this release.
#[derive(Debug, thiserror::Error)]
pub enum InteractionError {
    #[error("unknown command `{0}` (registered by another version?)")]
    UnknownCommand(String),
    #[error("unknown subcommand `{1}` of `{0}`")]
    UnknownSubcommand(String, String),
}

struct Located {
    command: &'static CommandSpec,
    subcommand: Option<&'static crate::commands::SubcommandSpec>,
    options: &'static [OptionSpec],
    values: Vec<CommandDataOption>,
}

fn locate(cmd: &CommandInteraction) -> Result<Located, InteractionError> {
    let name = cmd.data.name.as_str();
    let spec = command(name).ok_or_else(|| InteractionError::UnknownCommand(name.into()))?;
    if spec.subcommands.is_empty() {
        return Ok(Located {
            command: spec,
            subcommand: None,
            options: spec.options(),
            values: cmd.data.options.clone(),
        });
    }
    let (sub_name, values) = cmd
        .data
        .options
        .iter()
        .find_map(|o| match &o.value {
            CommandDataOptionValue::SubCommand(values) => Some((o.name.clone(), values.clone())),
            _ => None,
        })
        .ok_or_else(|| InteractionError::UnknownSubcommand(name.into(), String::new()))?;
    let sub = spec
        .subcommand(&sub_name)
        .ok_or_else(|| InteractionError::UnknownSubcommand(name.into(), sub_name.clone()))?;
    Ok(Located {
        command: spec,
        subcommand: Some(sub),
        options: sub.handler.options,
        values,
    })
}

fn args_of(
    options: &'static [OptionSpec],
    values: &[CommandDataOption],
    resolved: &CommandDataResolved,
) -> Args {
    let mut args = Args::default();
    for value in values {
        let Some(spec) = options.iter().find(|o| o.key == value.name) else {
            continue;
        };
        let parsed = match &value.value {
            CommandDataOptionValue::String(s) => Value::String(s.clone()),
            CommandDataOptionValue::Integer(n) => Value::Integer(*n),
            CommandDataOptionValue::Boolean(b) => Value::Boolean(*b),
            CommandDataOptionValue::User(id) => Value::User(Person {
                id: id.get(),
                names: resolved
                    .users
                    .get(id)
                    .map(|user| {
                        let nick = resolved.members.get(id).and_then(|m| m.nick.as_deref());
                        names_of(nick, user)
                    })
                    .unwrap_or_default(),
                avatar: resolved
                    .users
                    .get(id)
                    .and_then(|user| user.avatar.map(|hash| hash.to_string())),
            }),
            CommandDataOptionValue::Channel(id) => Value::Channel(id.get()),
            CommandDataOptionValue::Role(id) => Value::Role(id.get()),
            _ => continue,
        };
        args.0.insert(spec.key, parsed);
    }
    args
}

pub fn invocation(cmd: &CommandInteraction) -> Result<Invocation, InteractionError> {
    let located = locate(cmd)?;
    Ok(Invocation {
        command: located.command,
        subcommand: located.subcommand,
        args: args_of(located.options, &located.values, &cmd.data.resolved),
        caller: command_caller(cmd),
    })
}

pub fn autocomplete_request(
    cmd: &CommandInteraction,
) -> Result<Option<AutocompleteRequest>, InteractionError> {
    let located = locate(cmd)?;
    let focused = located.values.iter().find_map(|o| match &o.value {
        CommandDataOptionValue::Autocomplete { value, .. } => Some((o.name.clone(), value.clone())),
        _ => None,
    });
    let Some((name, partial)) = focused else {
        return Ok(None);
    };
    let Some(option) = located.options.iter().find(|o| o.key == name) else {
        return Ok(None);
    };
    Ok(Some(AutocompleteRequest {
        command: located.command,
        subcommand: located.subcommand,
        option,
        partial,
        args: args_of(located.options, &located.values, &cmd.data.resolved),
        caller: command_caller(cmd),
    }))
}
