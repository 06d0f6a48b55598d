//! `trilha ask`: the bot's command dispatch, offline, printing the reply as text or as the
//! exact JSON body Discord would receive. [`parse`] reads the command as a member types it.

pub mod parse;

use std::fmt::Write as _;

use crate::reply::{ButtonAction, Choice, Delivery, Reply};

/// A readable rendering of a reply for a terminal.
pub fn reply_text(reply: &Reply) -> String {
    let mut out = String::new();
    let visibility = if reply.ephemeral {
        "only you can see this"
    } else {
        "public"
    };
    let kind = match reply.delivery {
        Delivery::NewMessage => "new message",
        Delivery::UpdateMessage => "updates the message",
    };
    let _ = writeln!(out, "[{kind}, {visibility}]");
    if let Some(content) = &reply.content {
        let _ = writeln!(out, "{content}");
    }
    for embed in &reply.embeds {
        if !embed.title.is_empty() {
            let _ = writeln!(out, "━━ {} ━━", embed.title);
        }
        if let Some(url) = &embed.url {
            let _ = writeln!(out, "<{url}>");
        }
        if !embed.description.is_empty() {
            let _ = writeln!(out, "{}", embed.description);
        }
        for field in &embed.fields {
            let _ = writeln!(out, "\n▸ {}", field.name);
            for line in field.value.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        if let Some(footer) = &embed.footer {
            let _ = writeln!(out, "\n— {footer}");
        }
        if let Some(image) = &embed.image {
            let _ = writeln!(out, "[image: {image}]");
        }
    }
    for file in &reply.attachments {
        let _ = write!(out, "📎 {} ({} bytes)", file.name, file.data.len());
        if let Some(description) = &file.description {
            let _ = write!(out, ": {description}");
        }
        out.push('\n');
    }
    for row in &reply.rows {
        let labels: Vec<String> = row
            .iter()
            .map(|b| {
                let target = match &b.action {
                    ButtonAction::Custom(id) => format!("--press '{id}'"),
                    ButtonAction::Link(url) => url.clone(),
                };
                let disabled = if b.disabled { ", disabled" } else { "" };
                format!("[{}] ({target}{disabled})", b.label)
            })
            .collect();
        let _ = writeln!(out, "{}", labels.join("  "));
    }
    out
}

/// Autocomplete choices as "name -> value" lines.
pub fn choices_text(choices: &[Choice]) -> String {
    if choices.is_empty() {
        return "(no choices)\n".into();
    }
    choices
        .iter()
        .map(|c| format!("{}  ->  {}\n", c.name, c.value))
        .collect()
}
