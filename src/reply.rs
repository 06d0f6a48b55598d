//! The reply model: what a command answers, independent of serenity.
//!
//! Commands and renderers build a [`Reply`]; only the Discord adapter turns it into serenity
//! builders. [`limits`] holds Discord's documented limits and [`Reply::violations`] checks a
//! reply against them, so tests (and the adapter, as a last guard) can prove nothing we send
//! would be refused with "Invalid Form Body".

use std::collections::HashSet;

/// How a reply reaches the member.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A new message answering the interaction (callback type 4).
    NewMessage,
    /// Replaces the message a button belongs to (callback type 7).
    UpdateMessage,
}

/// Who a message may ping. Anything not listed renders as plain text without a notification.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentions {
    pub roles: Vec<u64>,
    pub users: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub delivery: Delivery,
    /// Only the member who asked sees it.
    pub ephemeral: bool,
    pub content: Option<String>,
    pub embeds: Vec<Embed>,
    pub rows: Vec<Vec<Button>>,
    pub mentions: Mentions,
    /// Files sent with the message (pictures), uploaded as multipart.
    pub attachments: Vec<Attachment>,
}

/// A file sent with a message, shown in an embed by [`Attachment::url`].
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name Discord shows and embeds refer to: ASCII letters, digits, `.`, `-`, `_`.
    pub name: String,
    pub data: std::sync::Arc<[u8]>,
    /// Alt text for screen readers.
    pub description: Option<String>,
}

impl std::fmt::Debug for Attachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("bytes", &self.data.len())
            .field("description", &self.description)
            .finish()
    }
}

impl Attachment {
    /// How an embed shows this file: `attachment://<name>`.
    pub fn url(&self) -> String {
        format!("attachment://{}", self.name)
    }

    /// How this file breaks Discord's limits: its name, its size, its alt text.
    fn violations(&self) -> Vec<String> {
        use limits::{ATTACHMENT_BYTES, ATTACHMENT_DESCRIPTION, ATTACHMENT_NAME};
        let mut out = Vec::new();
        let name_ok = !self.name.is_empty()
            && self.name.len() <= ATTACHMENT_NAME
            && self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !name_ok {
            out.push(format!(
                "attachment name `{}` is not a plain file name",
                self.name
            ));
        }
        if self.data.len() > ATTACHMENT_BYTES {
            out.push(format!(
                "attachment `{}` is {} bytes (limit {ATTACHMENT_BYTES})",
                self.name,
                self.data.len()
            ));
        }
        if let Some(description) = &self.description
            && count(description) > ATTACHMENT_DESCRIPTION
        {
            out.push(format!(
                "attachment `{}` description is {} characters (limit {ATTACHMENT_DESCRIPTION})",
                self.name,
                count(description)
            ));
        }
        out
    }
}

impl Reply {
    /// A private answer to the member who asked.
    pub fn ephemeral(embed: Embed) -> Reply {
        Reply {
            delivery: Delivery::NewMessage,
            ephemeral: true,
            content: None,
            embeds: vec![embed],
            rows: Vec::new(),
            mentions: Mentions::default(),
            attachments: Vec::new(),
        }
    }

    /// A private, text-only answer.
    pub fn ephemeral_text(text: impl Into<String>) -> Reply {
        Reply {
            delivery: Delivery::NewMessage,
            ephemeral: true,
            content: Some(text.into()),
            embeds: Vec::new(),
            rows: Vec::new(),
            mentions: Mentions::default(),
            attachments: Vec::new(),
        }
    }

    /// The same text, not ephemeral (direct messages and posts have no ephemeral flag).
    pub fn public_text(mut self) -> Reply {
        self.ephemeral = false;
        self
    }

    /// A message everyone in the channel sees.
    pub fn public(embed: Embed) -> Reply {
        Reply {
            ephemeral: false,
            ..Reply::ephemeral(embed)
        }
    }

    pub fn with_rows(mut self, rows: Vec<Vec<Button>>) -> Reply {
        self.rows = rows.into_iter().filter(|r| !r.is_empty()).collect();
        self
    }

    pub fn as_update(mut self) -> Reply {
        self.delivery = Delivery::UpdateMessage;
        self
    }

    /// Adds a picture that leads the message: a file of its own, not the embed's image.
    /// Discord's clients draw a message's files before its embeds, and at up to 550×350 px
    /// where an embed's image is held to the embed's narrower width; the embed's text stays as
    /// its caption (for screen readers and clients without images).
    pub fn with_lead_picture(mut self, attachment: Attachment) -> Reply {
        self.attachments.push(attachment);
        self
    }

    /// A message that is only a picture (its alt text says what it shows).
    pub fn picture_only(attachment: Attachment) -> Reply {
        Reply {
            delivery: Delivery::NewMessage,
            ephemeral: true,
            content: None,
            embeds: Vec::new(),
            rows: Vec::new(),
            mentions: Mentions::default(),
            attachments: vec![attachment],
        }
    }

    /// Adds a picture, shown as the first embed's image.
    pub fn with_picture(mut self, attachment: Attachment) -> Reply {
        if let Some(embed) = self.embeds.first_mut() {
            embed.image = Some(attachment.url());
        }
        self.attachments.push(attachment);
        self
    }

    /// Every way this reply breaks Discord's limits; empty when it is safe to send.
    pub fn violations(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.content_violations(&mut out);
        self.embed_violations(&mut out);
        self.attachment_violations(&mut out);
        self.image_violations(&mut out);
        self.row_violations(&mut out);
        out
    }

    /// The text's length, and that there is something to show at all.
    fn content_violations(&self, out: &mut Vec<String>) {
        use limits::CONTENT;
        if let Some(content) = &self.content {
            let n = count(content);
            if n > CONTENT {
                out.push(format!("content is {n} characters (limit {CONTENT})"));
            }
        }
        if self.content.as_deref().is_none_or(str::is_empty)
            && self.embeds.is_empty()
            && self.attachments.is_empty()
        {
            out.push("a message needs content, an embed or a file".into());
        }
    }

    /// How many embeds, each embed's own limits, and their characters together.
    fn embed_violations(&self, out: &mut Vec<String>) {
        use limits::{EMBED_TOTAL, EMBEDS};
        if self.embeds.len() > EMBEDS {
            out.push(format!("{} embeds (limit {EMBEDS})", self.embeds.len()));
        }
        let mut total = 0;
        for (i, embed) in self.embeds.iter().enumerate() {
            total += embed.char_count();
            out.extend(
                embed
                    .violations()
                    .into_iter()
                    .map(|v| format!("embed {i}: {v}")),
            );
        }
        if total > EMBED_TOTAL {
            out.push(format!(
                "embeds hold {total} characters together (limit {EMBED_TOTAL})"
            ));
        }
    }

    /// How many files, each file's name, size and alt text, and their bytes together.
    fn attachment_violations(&self, out: &mut Vec<String>) {
        use limits::{ATTACHMENTS, REQUEST_BYTES};
        if self.attachments.len() > ATTACHMENTS {
            out.push(format!(
                "{} attachments (limit {ATTACHMENTS})",
                self.attachments.len()
            ));
        }
        for file in &self.attachments {
            out.extend(file.violations());
        }
        let bytes: usize = self.attachments.iter().map(|file| file.data.len()).sum();
        if bytes > REQUEST_BYTES {
            out.push(format!(
                "attachments hold {bytes} bytes together (limit {REQUEST_BYTES})"
            ));
        }
    }

    /// An embed's image must be one of this message's files or a public https URL.
    fn image_violations(&self, out: &mut Vec<String>) {
        for (i, embed) in self.embeds.iter().enumerate() {
            if let Some(image) = &embed.image {
                let known = self.attachments.iter().any(|a| a.url() == *image);
                if !known && !image.starts_with("https://") {
                    out.push(format!(
                        "embed {i}: image `{image}` is neither an attachment of this message nor an https URL"
                    ));
                }
            }
        }
    }

    /// How many rows, buttons per row, and each button; a `custom_id` must be unique across
    /// the whole message, not just its row.
    fn row_violations(&self, out: &mut Vec<String>) {
        use limits::{ACTION_ROWS, BUTTONS_PER_ROW};
        if self.rows.len() > ACTION_ROWS {
            out.push(format!(
                "{} action rows (limit {ACTION_ROWS})",
                self.rows.len()
            ));
        }
        let mut ids = HashSet::new();
        for (r, row) in self.rows.iter().enumerate() {
            if row.is_empty() || row.len() > BUTTONS_PER_ROW {
                out.push(format!(
                    "row {r} has {} buttons (1 to {BUTTONS_PER_ROW})",
                    row.len()
                ));
            }
            for button in row {
                out.extend(button.violations(&mut ids));
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Embed {
    pub title: String,
    pub description: String,
    pub url: Option<String>,
    pub colour: u32,
    pub fields: Vec<Field>,
    pub footer: Option<String>,
    /// A picture: `attachment://<name>` of a file sent with the message, or an https URL.
    pub image: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub inline: bool,
}

impl Field {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Field {
        Field {
            name: name.into(),
            value: value.into(),
            inline: false,
        }
    }

    pub fn inline(name: impl Into<String>, value: impl Into<String>) -> Field {
        Field {
            inline: true,
            ..Field::new(name, value)
        }
    }

    fn char_count(&self) -> usize {
        count(&self.name) + count(&self.value)
    }
}

impl Embed {
    /// Characters Discord counts towards the 6000 total: title, description, field names and
    /// values, footer text (and author name, which trilha does not use).
    pub fn char_count(&self) -> usize {
        count(&self.title)
            + count(&self.description)
            + self.fields.iter().map(Field::char_count).sum::<usize>()
            + self.footer.as_deref().map_or(0, count)
    }

    pub fn violations(&self) -> Vec<String> {
        use limits::*;
        let mut out = Vec::new();
        let mut check = |what: &str, text: &str, max: usize, required: bool| {
            let n = count(text);
            if n > max || (required && text.trim().is_empty()) {
                out.push(format!(
                    "{what} is {n} characters (limit {max}{})",
                    if required { ", not empty" } else { "" }
                ));
            }
        };
        check("title", &self.title, EMBED_TITLE, false);
        check("description", &self.description, EMBED_DESCRIPTION, false);
        if let Some(footer) = &self.footer {
            check("footer", footer, EMBED_FOOTER, false);
        }
        for (i, field) in self.fields.iter().enumerate() {
            check(
                &format!("field {i} name"),
                &field.name,
                EMBED_FIELD_NAME,
                true,
            );
            check(
                &format!("field {i} value"),
                &field.value,
                EMBED_FIELD_VALUE,
                true,
            );
        }
        if self.fields.len() > EMBED_FIELDS {
            out.push(format!(
                "{} fields (limit {EMBED_FIELDS})",
                self.fields.len()
            ));
        }
        if self.char_count() > EMBED_TOTAL {
            out.push(format!(
                "{} characters in total (limit {EMBED_TOTAL})",
                self.char_count()
            ));
        }
        if self.title.trim().is_empty()
            && self.description.trim().is_empty()
            && self.fields.is_empty()
        {
            out.push("the embed is empty".into());
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ButtonStyle {
    Primary,
    Secondary,
    Success,
    Danger,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ButtonAction {
    /// Sends an interaction back to the bot with this `custom_id`.
    Custom(String),
    /// Opens a URL (link buttons carry no `custom_id`).
    Link(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Button {
    pub label: String,
    pub style: ButtonStyle,
    pub action: ButtonAction,
    pub disabled: bool,
}

impl Button {
    pub fn new(
        label: impl Into<String>,
        style: ButtonStyle,
        custom_id: impl Into<String>,
    ) -> Button {
        Button {
            label: label.into(),
            style,
            action: ButtonAction::Custom(custom_id.into()),
            disabled: false,
        }
    }

    pub fn disabled(mut self, disabled: bool) -> Button {
        self.disabled = disabled;
        self
    }

    /// How this button breaks Discord's limits. `seen_ids` holds the `custom_id`s of the
    /// message's earlier buttons, as a message may not repeat one.
    fn violations(&self, seen_ids: &mut HashSet<String>) -> Vec<String> {
        use limits::{BUTTON_LABEL, CUSTOM_ID, URL};
        let mut out = Vec::new();
        let n = count(&self.label);
        if n == 0 || n > BUTTON_LABEL {
            out.push(format!(
                "button label `{}` is {n} characters (1 to {BUTTON_LABEL})",
                self.label
            ));
        }
        match &self.action {
            ButtonAction::Custom(id) => {
                let n = count(id);
                if n == 0 || n > CUSTOM_ID {
                    out.push(format!(
                        "custom_id `{id}` is {n} characters (1 to {CUSTOM_ID})"
                    ));
                }
                if !seen_ids.insert(id.clone()) {
                    out.push(format!("custom_id `{id}` is used twice"));
                }
            }
            ButtonAction::Link(url) => {
                if count(url) > URL || !url.starts_with("https://") {
                    out.push(format!("link button url `{url}` is invalid"));
                }
            }
        }
        out
    }
}

/// One autocomplete choice: what the member sees, and the value Discord sends back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub value: String,
}

impl Choice {
    /// Builds a choice, shortening the label to Discord's 100 characters when needed.
    pub fn new(name: &str, value: impl Into<String>) -> Choice {
        Choice {
            name: truncate(name.trim(), limits::CHOICE_NAME),
            value: value.into(),
        }
    }

    /// Whether Discord takes it: a name and a value of 1 to 100 characters each (one choice
    /// that does not fit makes Discord refuse the whole autocomplete response).
    pub fn fits(&self) -> bool {
        let fits = |text: &str, max| (1..=max).contains(&count(text));
        fits(&self.name, limits::CHOICE_NAME) && fits(&self.value, limits::CHOICE_VALUE)
    }
}

/// Discord counts message and embed lengths in characters (Unicode scalar values).
pub fn count(text: &str) -> usize {
    text.chars().count()
}

/// Shortens `text` to at most `max` characters, ending with "…" when something was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if count(text) <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Discord's documented limits (discord.com/developers/docs: Message, Embed, Components,
/// Application Commands). The local Discord used in tests enforces the same numbers.
pub mod limits {
    pub const CONTENT: usize = 2000;
    pub const EMBEDS: usize = 10;
    pub const EMBED_TITLE: usize = 256;
    pub const EMBED_DESCRIPTION: usize = 4096;
    pub const EMBED_FIELDS: usize = 25;
    pub const EMBED_FIELD_NAME: usize = 256;
    pub const EMBED_FIELD_VALUE: usize = 1024;
    pub const EMBED_FOOTER: usize = 2048;
    pub const EMBED_TOTAL: usize = 6000;
    pub const ACTION_ROWS: usize = 5;
    pub const BUTTONS_PER_ROW: usize = 5;
    pub const BUTTON_LABEL: usize = 80;
    pub const CUSTOM_ID: usize = 100;
    pub const URL: usize = 512;
    pub const CHOICES: usize = 25;
    pub const CHOICE_NAME: usize = 100;
    pub const CHOICE_VALUE: usize = 100;
    pub const COMMAND_NAME: usize = 32;
    pub const COMMAND_DESCRIPTION: usize = 100;
    pub const COMMAND_OPTIONS: usize = 25;
    /// Files per message.
    pub const ATTACHMENTS: usize = 10;
    /// Bytes per file a bot may upload to any server (10 MiB, Discord's base upload limit).
    pub const ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
    /// Bytes of all files of one request together.
    pub const REQUEST_BYTES: usize = 25 * 1024 * 1024;
    /// An attachment's alt text.
    pub const ATTACHMENT_DESCRIPTION: usize = 1024;
    /// trilha's own bound on file names (Discord allows longer ones).
    pub const ATTACHMENT_NAME: usize = 64;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_respects_the_limit_and_marks_the_cut() {
        assert_eq!(truncate("abc", 3), "abc");
        let cut = truncate("abcdef", 4);
        assert_eq!(cut, "abc…");
        assert_eq!(count(&cut), 4);
        assert_eq!(count(&truncate(&"é".repeat(200), 100)), 100);
    }

    #[test]
    fn violations_catch_oversized_embeds_and_duplicate_ids() {
        let embed = Embed {
            title: "t".repeat(257),
            fields: (0..26).map(|i| Field::new(format!("f{i}"), "v")).collect(),
            ..Embed::default()
        };
        let reply = Reply::ephemeral(embed).with_rows(vec![vec![
            Button::new("a", ButtonStyle::Primary, "x"),
            Button::new("b", ButtonStyle::Primary, "x"),
        ]]);
        let v = reply.violations();
        assert!(v.iter().any(|s| s.contains("title")), "{v:?}");
        assert!(v.iter().any(|s| s.contains("26 fields")), "{v:?}");
        assert!(v.iter().any(|s| s.contains("used twice")), "{v:?}");
    }

    #[test]
    fn a_choice_fits_only_with_a_name_and_value_of_1_to_100_characters() {
        assert!(Choice::new("Kafka", "kafka").fits());
        assert_eq!(count(&Choice::new(&"a".repeat(150), "x").name), 100);
        assert!(
            Choice::new(&"a".repeat(150), "x").fits(),
            "long names are shortened"
        );
        assert!(
            !Choice::new("days", "d".repeat(101)).fits(),
            "values cannot be"
        );
        assert!(!Choice::new("   ", "x").fits());
        assert!(!Choice::new("x", "").fits());
    }

    #[test]
    fn a_small_reply_is_valid() {
        let reply = Reply::ephemeral(Embed {
            title: "ok".into(),
            ..Embed::default()
        });
        assert!(reply.violations().is_empty());
    }
}
