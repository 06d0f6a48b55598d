//! Realistic Discord objects, shaped after the API documentation's examples.
//!
//! serenity drops a gateway event that lacks a required field without a trace, so every
//! builder here is tested by deserializing its output with serenity's own models.

use serde_json::{Value, json};

/// An RFC 3339 timestamp (UTC, microseconds) for epoch milliseconds, as Discord writes them.
pub fn timestamp(epoch_ms: u64) -> String {
    let secs = epoch_ms / 1000;
    let micros = (epoch_ms % 1000) * 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}+00:00",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Discord's epoch (2015-01-01) in Unix milliseconds: snowflakes count from it.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// The creation time encoded in a snowflake, in Unix milliseconds.
pub fn snowflake_ms(id: u64) -> u64 {
    (id >> 22) + DISCORD_EPOCH_MS
}

#[derive(Clone, Debug)]
pub struct UserInfo {
    pub id: u64,
    pub username: String,
    pub global_name: Option<String>,
    pub bot: bool,
    /// Their avatar's image hash (`None`: Discord's default avatar); the CDN serves it.
    pub avatar: Option<String>,
}

pub fn user(u: &UserInfo) -> Value {
    json!({
        "id": u.id.to_string(),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": u.avatar,
        "avatar_decoration_data": null,
        "banner": null,
        "accent_color": null,
        "bot": u.bot,
        "system": false,
        "public_flags": 0,
        "flags": 0,
        "clan": null,
        "primary_guild": null,
    })
}

/// The bot's own user, as READY describes it.
pub fn current_user(u: &UserInfo) -> Value {
    let mut v = user(u);
    v["verified"] = json!(true);
    v["mfa_enabled"] = json!(false);
    v["email"] = Value::Null;
    v["locale"] = json!("en-US");
    v
}

#[derive(Clone, Debug)]
pub struct RoleInfo {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
    pub position: u32,
    /// Managed by an integration (a bot's own role): nobody can give it.
    pub managed: bool,
}

pub fn role(r: &RoleInfo) -> Value {
    json!({
        "id": r.id.to_string(),
        "name": r.name,
        "description": null,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false,
        "icon": null,
        "unicode_emoji": null,
        "position": r.position,
        "permissions": r.permissions.to_string(),
        "managed": r.managed,
        "mentionable": true,
        "flags": 0,
    })
}

#[derive(Clone, Debug)]
pub struct ChannelInfo {
    pub id: u64,
    pub guild_id: u64,
    pub name: String,
    /// Permission bits denied to the bot in this channel (to simulate a misconfigured channel).
    pub bot_denied: u64,
}

pub fn channel(c: &ChannelInfo, position: usize) -> Value {
    json!({
        "id": c.id.to_string(),
        "type": 0,
        "guild_id": c.guild_id.to_string(),
        "position": position,
        "permission_overwrites": [],
        "name": c.name,
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "last_pin_timestamp": null,
        "flags": 0,
    })
}

#[derive(Clone, Debug)]
pub struct MemberInfo {
    pub user: UserInfo,
    pub roles: Vec<u64>,
    pub locale: String,
    pub joined_ms: u64,
}

pub fn member(m: &MemberInfo, permissions: Option<u64>) -> Value {
    let mut v = json!({
        "user": user(&m.user),
        "nick": null,
        "avatar": null,
        "banner": null,
        "roles": m.roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
        "joined_at": timestamp(m.joined_ms),
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "communication_disabled_until": null,
        "unusual_dm_activity_until": null,
    });
    if let Some(p) = permissions {
        v["permissions"] = json!(p.to_string());
    }
    v
}

/// A complete GUILD_CREATE payload.
#[allow(clippy::too_many_arguments)]
pub fn guild_create(
    id: u64,
    name: &str,
    owner_id: u64,
    preferred_locale: &str,
    roles: &[Value],
    channels: &[Value],
    members: &[Value],
    application_id: u64,
    joined_ms: u64,
) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": owner_id.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "roles": roles,
        "emojis": [],
        "features": ["COMMUNITY", "NEWS"],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": null,
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_presences": null,
        "max_members": 500000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": preferred_locale,
        "public_updates_channel_id": null,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw_level": 0,
        "nsfw": false,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
        "incidents_data": null,
        "hub_type": null,
        "latest_onboarding_question_id": null,
        "inventory_settings": null,
        "home_header": null,
        "lazy": true,
        "joined_at": timestamp(joined_ms),
        "large": false,
        "unavailable": false,
        "member_count": members.len(),
        "voice_states": [],
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
        "activity_instances": [],
        "application_command_counts": {},
        "version": 0,
        "_application_id": application_id.to_string(),
    })
}

pub fn application(id: u64, name: &str, bot: &UserInfo, owner: &UserInfo) -> Value {
    json!({
        "id": id.to_string(),
        "name": name,
        "icon": null,
        "description": "",
        "summary": "",
        "type": null,
        "hook": true,
        "rpc_origins": [],
        "bot_public": true,
        "bot_require_code_grant": false,
        "verify_key": "2b4f4dbd2c2f1bf79ad1b2bd2e3f2e4a7b6f6c9e1c1d2e3f4a5b6c7d8e9f0a1b",
        "owner": user(owner),
        "team": null,
        "flags": 0,
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "role_connections_verification_url": null,
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "integration_types_config": {"0": {}},
        "bot": user(bot),
        "guild": null,
    })
}

pub fn ready(
    bot: &UserInfo,
    guild_ids: &[u64],
    session_id: &str,
    resume_url: &str,
    application_id: u64,
    shard: [u64; 2],
) -> Value {
    json!({
        "v": 10,
        "user": current_user(bot),
        "user_settings": {},
        "guilds": guild_ids.iter().map(|g| json!({"id": g.to_string(), "unavailable": true})).collect::<Vec<_>>(),
        "guild_join_requests": [],
        "relationships": [],
        "private_channels": [],
        "presences": [],
        "sessions": [],
        "session_id": session_id,
        "session_type": "normal",
        "auth_session_id_hash": "local",
        "resume_gateway_url": resume_url,
        "shard": shard,
        "application": {"id": application_id.to_string(), "flags": 0},
        "geo_ordered_rtc_regions": ["brazil", "us-east"],
        "_trace": ["[\"local-discord\",{\"micros\":1}]"],
    })
}

/// A message object as Discord returns it from message and webhook routes.
#[allow(clippy::too_many_arguments)]
pub fn message(
    id: u64,
    channel_id: u64,
    guild_id: Option<u64>,
    author: &UserInfo,
    body: &Value,
    kind: u8,
    application_id: Option<u64>,
    interaction: Option<Value>,
) -> Value {
    let get = |key: &str, default: Value| body.get(key).cloned().unwrap_or(default);
    let mut v = json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": user(author),
        "content": get("content", json!("")),
        "timestamp": timestamp(snowflake_ms(id)),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": get("attachments", json!([])),
        "embeds": normalize_embeds(&get("embeds", json!([]))),
        "pinned": false,
        "type": kind,
        "flags": get("flags", json!(0)),
        "components": get("components", json!([])),
    });
    if let Some(g) = guild_id {
        v["guild_id"] = json!(g.to_string());
    }
    if let Some(nonce) = body.get("nonce") {
        v["nonce"] = nonce.clone();
    }
    if let Some(app) = application_id {
        v["application_id"] = json!(app.to_string());
        v["webhook_id"] = json!(app.to_string());
    }
    if let Some(meta) = interaction {
        v["interaction_metadata"] = meta;
    }
    v
}

/// Embeds as Discord echoes them back: `type: "rich"` added.
fn normalize_embeds(embeds: &Value) -> Value {
    match embeds {
        Value::Array(list) => Value::Array(
            list.iter()
                .map(|e| {
                    let mut e = e.clone();
                    if let Some(obj) = e.as_object_mut() {
                        obj.entry("type").or_insert(json!("rich"));
                    }
                    e
                })
                .collect(),
        ),
        _ => json!([]),
    }
}

/// Where an interaction happens.
#[derive(Clone, Debug)]
pub enum Place {
    Guild {
        guild_id: u64,
        guild_locale: String,
        channel: ChannelInfo,
        member: MemberInfo,
        permissions: u64,
    },
    Dm {
        channel_id: u64,
        user: UserInfo,
        locale: String,
    },
    /// A group DM: the bot is not in it (only a user install reaches it).
    GroupDm {
        channel_id: u64,
        user: UserInfo,
        locale: String,
    },
    /// A server the bot is not in, where the member is (only a user install reaches it).
    ForeignGuild {
        guild_id: u64,
        channel_id: u64,
        member: MemberInfo,
    },
}

impl Place {
    /// Discord's interaction context: 0 a server, 1 the bot's DM, 2 another private channel.
    pub fn context(&self) -> u64 {
        match self {
            Place::Guild { .. } | Place::ForeignGuild { .. } => 0,
            Place::Dm { .. } => 1,
            Place::GroupDm { .. } => 2,
        }
    }

    /// Who acts.
    pub fn user_id(&self) -> u64 {
        match self {
            Place::Guild { member, .. } | Place::ForeignGuild { member, .. } => member.user.id,
            Place::Dm { user, .. } | Place::GroupDm { user, .. } => user.id,
        }
    }
}

/// The parts every interaction shares; `kind` is 2 (command), 3 (component) or 4 (autocomplete).
#[allow(clippy::too_many_arguments)] // Mirrors the fields of an interaction.
pub fn interaction(
    id: u64,
    application_id: u64,
    kind: u8,
    token: &str,
    data: Value,
    place: &Place,
    app_permissions: u64,
    message: Option<Value>,
) -> Value {
    let mut v = json!({
        "id": id.to_string(),
        "application_id": application_id.to_string(),
        "type": kind,
        "data": data,
        "token": token,
        "version": 1,
        "app_permissions": app_permissions.to_string(),
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 26_214_400,
    });
    match place {
        Place::Guild {
            guild_id,
            guild_locale,
            channel: c,
            member: m,
            permissions,
        } => {
            let mut ch = channel(c, 0);
            ch["permissions"] = json!(permissions.to_string());
            v["guild_id"] = json!(guild_id.to_string());
            v["guild"] = json!({"id": guild_id.to_string(), "locale": guild_locale, "features": ["COMMUNITY", "NEWS"]});
            v["channel_id"] = json!(c.id.to_string());
            v["channel"] = ch;
            v["member"] = member(m, Some(*permissions));
            v["locale"] = json!(m.locale);
            v["guild_locale"] = json!(guild_locale);
            v["authorizing_integration_owners"] = json!({"0": guild_id.to_string()});
            v["context"] = json!(0);
        }
        Place::Dm {
            channel_id,
            user: u,
            locale,
        } => {
            v["channel_id"] = json!(channel_id.to_string());
            v["channel"] = json!({
                "id": channel_id.to_string(),
                "type": 1,
                "last_message_id": null,
                "flags": 0,
                "recipients": [user(u)],
            });
            v["user"] = user(u);
            v["locale"] = json!(locale);
            v["authorizing_integration_owners"] = json!({"0": "0"});
            v["context"] = json!(1);
        }
        Place::GroupDm {
            channel_id,
            user: u,
            locale,
        } => {
            v["channel_id"] = json!(channel_id.to_string());
            v["channel"] = json!({
                "id": channel_id.to_string(),
                "type": 3,
                "name": null,
                "last_message_id": null,
                "flags": 0,
                "recipients": [user(u)],
            });
            v["user"] = user(u);
            v["locale"] = json!(locale);
            v["authorizing_integration_owners"] = json!({});
            v["context"] = json!(2);
        }
        Place::ForeignGuild {
            guild_id,
            channel_id,
            member: m,
        } => {
            v["guild_id"] = json!(guild_id.to_string());
            v["guild"] = json!({"id": guild_id.to_string(), "locale": "en-US", "features": []});
            v["channel_id"] = json!(channel_id.to_string());
            v["channel"] = json!({
                "id": channel_id.to_string(),
                "type": 0,
                "guild_id": guild_id.to_string(),
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
                "nsfw": false,
                "parent_id": null,
                "last_message_id": null,
                "rate_limit_per_user": 0,
                "topic": null,
                "flags": 0,
                "permissions": "0",
            });
            v["member"] = member(m, Some(crate::world::permissions::EVERYONE));
            v["locale"] = json!(m.locale);
            v["guild_locale"] = json!("en-US");
            v["authorizing_integration_owners"] = json!({});
            v["context"] = json!(0);
        }
    }
    if let Some(m) = message {
        v["message"] = m;
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_known_dates() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000000+00:00");
        assert_eq!(
            timestamp(1_700_000_000_123),
            "2023-11-14T22:13:20.123000+00:00"
        );
        assert_eq!(
            timestamp(951_782_400_000),
            "2000-02-29T00:00:00.000000+00:00"
        );
    }
}
