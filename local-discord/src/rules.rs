//! Discord's documented rules for what a bot sends, checked on the JSON as it goes on the wire.
//!
//! Sources: discord.com/developers/docs, "Message Resource" (content 2000, 10 embeds, nonce 25),
//! "Embed Limits" (title 256, description 4096, 25 fields, field name 256 and value 1024,
//! footer 2048, author 256, 6000 in total), "Message Components" (5 action rows, 5 buttons per
//! row, label 80, custom_id 1-100 and unique, link buttons carry a url and no custom_id),
//! "Application Commands" (names 1-32 matching `^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$`
//! and lowercase, descriptions 1-100, 25 options, 25 choices with names 1-100, required options
//! first) and "Receiving and Responding" (callback types, autocomplete 25 choices).
//! A violation is reported the way Discord reports it: HTTP 400, code 50035.

use serde_json::{Map, Value, json};

/// One broken rule: where (a JSON path, as Discord nests it) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub path: Vec<String>,
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({})",
            self.path.join("."),
            self.message,
            self.code
        )
    }
}

#[derive(Default)]
struct Checker {
    path: Vec<String>,
    out: Vec<Violation>,
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

impl Checker {
    fn at<R>(&mut self, key: impl ToString, f: impl FnOnce(&mut Checker) -> R) -> R {
        self.path.push(key.to_string());
        let r = f(self);
        self.path.pop();
        r
    }

    fn fail(&mut self, code: &'static str, message: String) {
        self.out.push(Violation {
            path: self.path.clone(),
            code,
            message,
        });
    }

    fn max_len(&mut self, obj: &Map<String, Value>, key: &str, max: usize) {
        if let Some(v) = obj.get(key) {
            if !v.is_null() && !v.is_string() {
                self.at(key, |c| {
                    c.fail("STRING_TYPE_CONVERT", "Must be a string.".into())
                });
            } else if chars(v) > max {
                self.at(key, |c| {
                    c.fail(
                        "BASE_TYPE_MAX_LENGTH",
                        format!("Must be {max} or fewer in length."),
                    )
                });
            }
        }
    }

    fn range_len(&mut self, obj: &Map<String, Value>, key: &str, min: usize, max: usize) {
        match obj.get(key) {
            Some(v) if v.is_string() => {
                let n = chars(v);
                if n < min || n > max {
                    self.at(key, |c| {
                        c.fail(
                            "BASE_TYPE_BAD_LENGTH",
                            format!("Must be between {min} and {max} in length."),
                        )
                    });
                }
            }
            _ => self.at(key, |c| {
                c.fail("BASE_TYPE_REQUIRED", "This field is required".into())
            }),
        }
    }

    fn embed(&mut self, e: &Value) -> usize {
        let Some(obj) = e.as_object() else {
            self.fail(
                "DICT_TYPE_CONVERT",
                "Only dictionaries may be used in a DictType".into(),
            );
            return 0;
        };
        self.max_len(obj, "title", 256);
        self.max_len(obj, "description", 4096);
        let mut total = chars(obj.get("title").unwrap_or(&Value::Null))
            + chars(obj.get("description").unwrap_or(&Value::Null));
        if let Some(footer) = obj.get("footer").and_then(Value::as_object) {
            self.at("footer", |c| c.max_len(footer, "text", 2048));
            total += chars(footer.get("text").unwrap_or(&Value::Null));
        }
        if let Some(author) = obj.get("author").and_then(Value::as_object) {
            self.at("author", |c| c.max_len(author, "name", 256));
            total += chars(author.get("name").unwrap_or(&Value::Null));
        }
        if let Some(url) = obj.get("url").and_then(Value::as_str)
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            self.at("url", |c| {
                c.fail("URL_TYPE_INVALID_URL", "Not a well formed URL.".into())
            });
        }
        if let Some(fields) = obj.get("fields").and_then(Value::as_array) {
            if fields.len() > 25 {
                self.at("fields", |c| {
                    c.fail(
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 25 or fewer in length.".into(),
                    )
                });
            }
            for (i, field) in fields.iter().enumerate() {
                if let Some(f) = field.as_object() {
                    self.at("fields", |c| {
                        c.at(i, |c| {
                            c.range_len(f, "name", 1, 256);
                            c.range_len(f, "value", 1, 1024);
                        })
                    });
                    total += chars(f.get("name").unwrap_or(&Value::Null))
                        + chars(f.get("value").unwrap_or(&Value::Null));
                }
            }
        }
        total
    }

    fn components(&mut self, rows: &Value) {
        let Some(rows) = rows.as_array() else { return };
        if rows.len() > 5 {
            self.fail(
                "BASE_TYPE_MAX_LENGTH",
                "Must be 5 or fewer in length.".into(),
            );
        }
        let mut ids = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            self.at(r, |c| {
                if row.get("type").and_then(Value::as_u64) != Some(1) {
                    c.at("type", |c| {
                        c.fail(
                            "COMPONENT_LAYOUT_INVALID",
                            "Top-level components must be action rows.".into(),
                        )
                    });
                    return;
                }
                let buttons = row
                    .get("components")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if buttons.is_empty() || buttons.len() > 5 {
                    c.at("components", |c| {
                        c.fail(
                            "BASE_TYPE_BAD_LENGTH",
                            "Must be between 1 and 5 in length.".into(),
                        )
                    });
                }
                for (b, button) in buttons.iter().enumerate() {
                    c.at("components", |c| {
                        c.at(b, |c| {
                            let Some(obj) = button.as_object() else {
                                return;
                            };
                            if obj.get("type").and_then(Value::as_u64) != Some(2) {
                                return; // only buttons are checked in detail
                            }
                            c.max_len(obj, "label", 80);
                            let style = obj.get("style").and_then(Value::as_u64).unwrap_or(0);
                            if !(1..=6).contains(&style) {
                                c.at("style", |c| {
                                    c.fail(
                                        "BASE_TYPE_CHOICES",
                                        format!(
                                            "Value must be one of (1, 2, 3, 4, 5, 6), not {style}."
                                        ),
                                    )
                                });
                            }
                            if style == 5 {
                                if obj.get("url").and_then(Value::as_str).is_none() {
                                    c.at("url", |c| {
                                        c.fail(
                                            "BASE_TYPE_REQUIRED",
                                            "This field is required".into(),
                                        )
                                    });
                                }
                                if obj.contains_key("custom_id") {
                                    c.at("custom_id", |c| {
                                        c.fail(
                                            "COMPONENT_INVALID_CUSTOM_ID",
                                            "Link buttons cannot have a custom_id.".into(),
                                        )
                                    });
                                }
                            } else {
                                c.range_len(obj, "custom_id", 1, 100);
                                if let Some(id) = obj.get("custom_id").and_then(Value::as_str) {
                                    if ids.contains(&id.to_string()) {
                                        c.at("custom_id", |c| {
                                            c.fail(
                                                "COMPONENT_CUSTOM_ID_DUPLICATED",
                                                "Component custom id cannot be duplicated".into(),
                                            )
                                        });
                                    }
                                    ids.push(id.to_string());
                                }
                            }
                        })
                    });
                }
            });
        }
    }

    fn allowed_mentions(&mut self, am: &Value) {
        let Some(obj) = am.as_object() else { return };
        let parse: Vec<&str> = obj
            .get("parse")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for p in &parse {
            if !["roles", "users", "everyone"].contains(p) {
                self.at("parse", |c| {
                    c.fail(
                        "BASE_TYPE_CHOICES",
                        format!("Value must be one of ('roles', 'users', 'everyone'), not {p}."),
                    )
                });
            }
        }
        for list in ["roles", "users"] {
            let n = obj.get(list).and_then(Value::as_array).map_or(0, Vec::len);
            if n > 0 && parse.contains(&list) {
                self.at(list, |c| {
                    c.fail(
                        "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                        format!("parse:[\"{list}\"] and {list}: [ids...] are mutually exclusive."),
                    )
                });
            }
            if n > 100 {
                self.at(list, |c| {
                    c.fail(
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 100 or fewer in length.".into(),
                    )
                });
            }
        }
    }

    /// Content, embeds, components, allowed mentions: what messages and callbacks share.
    fn message(&mut self, data: &Value, require_body: bool) {
        let Some(obj) = data.as_object() else {
            self.fail(
                "DICT_TYPE_CONVERT",
                "Only dictionaries may be used in a DictType".into(),
            );
            return;
        };
        self.max_len(obj, "content", 2000);
        let embeds = obj
            .get("embeds")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if embeds.len() > 10 {
            self.at("embeds", |c| {
                c.fail(
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 10 or fewer in length.".into(),
                )
            });
        }
        let mut total = 0;
        for (i, e) in embeds.iter().enumerate() {
            total += self.at("embeds", |c| c.at(i, |c| c.embed(e)));
        }
        if total > 6000 {
            self.at("embeds", |c| {
                c.fail(
                    "MAX_EMBED_SIZE_EXCEEDED",
                    "Embed size exceeds maximum size of 6000".into(),
                )
            });
        }
        if let Some(rows) = obj.get("components") {
            self.at("components", |c| c.components(rows));
        }
        if let Some(am) = obj.get("allowed_mentions") {
            self.at("allowed_mentions", |c| c.allowed_mentions(am));
        }
        if let Some(nonce) = obj.get("nonce") {
            let ok = match nonce {
                Value::String(s) => s.chars().count() <= 25,
                Value::Number(_) => true,
                _ => false,
            };
            if !ok {
                self.at("nonce", |c| {
                    c.fail(
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 25 or fewer in length.".into(),
                    )
                });
            }
        }
        // Files count as a body (their upload is checked against `attachments` in `files`).
        let has_body = obj
            .get("content")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
            || !embeds.is_empty()
            || obj
                .get("attachments")
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty());
        if require_body && !has_body {
            self.fail("MESSAGE_EMPTY", "Cannot send an empty message".into());
        }
    }
}

/// Checks an interaction callback body (`POST /interactions/{id}/{token}/callback`).
pub fn interaction_response(body: &Value) -> Vec<Violation> {
    let mut c = Checker::default();
    let kind = body.get("type").and_then(Value::as_u64);
    match kind {
        Some(1) | Some(6) => {}
        Some(4) | Some(7) => {
            let data = body.get("data").cloned().unwrap_or(Value::Null);
            c.at("data", |c| c.message(&data, kind == Some(4)));
        }
        Some(5) => {}
        Some(8) => {
            let choices = body
                .pointer("/data/choices")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            c.at("data", |c| {
                c.at("choices", |c| {
                    if choices.len() > 25 {
                        c.fail(
                            "BASE_TYPE_MAX_LENGTH",
                            "Must be 25 or fewer in length.".into(),
                        );
                    }
                    for (i, choice) in choices.iter().enumerate() {
                        if let Some(obj) = choice.as_object() {
                            c.at(i, |c| {
                                c.range_len(obj, "name", 1, 100);
                                if obj.get("value").is_some_and(Value::is_string) {
                                    c.max_len(obj, "value", 100);
                                }
                            });
                        }
                    }
                })
            });
        }
        Some(9) => {}
        _ => c.at("type", |c| {
            c.fail(
                "BASE_TYPE_CHOICES",
                format!(
                    "Value must be one of {{1, 4, 5, 6, 7, 8, 9, 10, 12}}, not {}.",
                    body.get("type").unwrap_or(&Value::Null)
                ),
            )
        }),
    }
    c.out
}

/// Checks a message body (`POST /channels/{id}/messages`, webhook messages and edits).
pub fn message(body: &Value, require_body: bool) -> Vec<Violation> {
    let mut c = Checker::default();
    c.message(body, require_body);
    c.out
}

/// Discord's name rule for commands, options and choices (lowercase where a letter has case).
pub fn valid_command_name(name: &str) -> bool {
    let n = name.chars().count();
    (1..=32).contains(&n)
        && name.chars().all(|ch| {
            (ch == '-' || ch == '_' || ch.is_alphanumeric())
                && ch.to_lowercase().eq(std::iter::once(ch))
        })
}

/// The locales Discord accepts in `*_localizations`.
pub const LOCALES: &[&str] = &[
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl",
    "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th",
    "zh-CN", "ja", "zh-TW", "ko",
];

impl Checker {
    fn localized_names(&mut self, obj: &Map<String, Value>, key: &str, description: bool) {
        let Some(map) = obj.get(key).and_then(Value::as_object) else {
            return;
        };
        for (locale, value) in map {
            self.at(key, |c| {
                c.at(locale, |c| {
                    if !LOCALES.contains(&locale.as_str()) {
                        c.fail("LOCALE_INVALID", format!("Invalid locale {locale}"));
                    }
                    let s = value.as_str().unwrap_or_default();
                    if description {
                        let n = s.chars().count();
                        if !(1..=100).contains(&n) {
                            c.fail(
                                "BASE_TYPE_BAD_LENGTH",
                                "Must be between 1 and 100 in length.".into(),
                            );
                        }
                    } else if !valid_command_name(s) {
                        c.fail(
                            "APPLICATION_COMMAND_INVALID_NAME",
                            format!("Command name is invalid: {s}"),
                        );
                    }
                })
            });
        }
    }

    fn command_options(&mut self, options: &[Value], depth: usize) {
        if options.len() > 25 {
            self.fail(
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.".into(),
            );
        }
        let mut seen_optional = false;
        let mut names = Vec::new();
        for (i, option) in options.iter().enumerate() {
            self.at(i, |c| {
                let Some(obj) = option.as_object() else {
                    return;
                };
                let kind = obj.get("type").and_then(Value::as_u64).unwrap_or(0);
                if !(1..=11).contains(&kind) {
                    c.at("type", |c| {
                        c.fail(
                            "BASE_TYPE_CHOICES",
                            format!("Value must be one of 1..11, not {kind}."),
                        )
                    });
                }
                let name = obj
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if !valid_command_name(&name) {
                    c.at("name", |c| {
                        c.fail(
                            "APPLICATION_COMMAND_INVALID_NAME",
                            format!("Command name is invalid: {name}"),
                        )
                    });
                }
                if names.contains(&name) {
                    c.at("name", |c| {
                        c.fail(
                            "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                            "Option names must be unique".into(),
                        )
                    });
                }
                names.push(name);
                c.range_len(obj, "description", 1, 100);
                c.localized_names(obj, "name_localizations", false);
                c.localized_names(obj, "description_localizations", true);
                let required = obj
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                if required && seen_optional {
                    c.at("required", |c| {
                        c.fail(
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options".into(),
                        )
                    });
                }
                seen_optional |= !required && kind > 2;
                // min_value/max_value: only on integers (4) and numbers (10), at most 2^53, and
                // in order.
                let bound = |key: &str| obj.get(key).and_then(Value::as_f64);
                let (min, max) = (bound("min_value"), bound("max_value"));
                if (min.is_some() || max.is_some()) && !matches!(kind, 4 | 10) {
                    c.at("min_value", |c| {
                        c.fail(
                            "APPLICATION_COMMAND_OPTION_INVALID",
                            "min_value and max_value are for numbers".into(),
                        )
                    });
                }
                let limit = 9_007_199_254_740_992.0;
                if [min, max].iter().flatten().any(|b| b.abs() > limit)
                    || min.zip(max).is_some_and(|(lo, hi)| lo > hi)
                {
                    c.at("max_value", |c| {
                        c.fail(
                            "NUMBER_TYPE_MAX",
                            "min_value must be at most max_value, both within 2^53".into(),
                        )
                    });
                }
                let choices = obj
                    .get("choices")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                if choices.len() > 25 {
                    c.at("choices", |c| {
                        c.fail(
                            "BASE_TYPE_MAX_LENGTH",
                            "Must be 25 or fewer in length.".into(),
                        )
                    });
                }
                if !choices.is_empty()
                    && obj.get("autocomplete").and_then(Value::as_bool) == Some(true)
                {
                    c.at("autocomplete", |c| {
                        c.fail(
                            "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                            "Autocomplete cannot be set with choices".into(),
                        )
                    });
                }
                for (j, choice) in choices.iter().enumerate() {
                    if let Some(ch) = choice.as_object() {
                        c.at("choices", |c| {
                            c.at(j, |c| {
                                c.range_len(ch, "name", 1, 100);
                                c.localized_names(ch, "name_localizations", true);
                            })
                        });
                    }
                }
                // Discord accepts an empty list on any option (serenity always sends one).
                if let Some(sub) = obj
                    .get("options")
                    .and_then(Value::as_array)
                    .filter(|o| !o.is_empty())
                {
                    if depth >= 2 || kind > 2 {
                        c.at("options", |c| {
                            c.fail(
                                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                                "Only subcommands and groups may have options".into(),
                            )
                        });
                    } else {
                        c.at("options", |c| c.command_options(sub, depth + 1));
                    }
                }
            });
        }
    }
}

/// Checks a bulk command registration (`PUT /applications/{id}/commands`, or per guild).
pub fn commands(body: &Value) -> Vec<Violation> {
    let mut c = Checker::default();
    let Some(list) = body.as_array() else {
        c.fail(
            "LIST_TYPE_CONVERT",
            "Only iterables may be used in a ListType".into(),
        );
        return c.out;
    };
    if list.len() > 100 {
        c.fail(
            "BASE_TYPE_MAX_LENGTH",
            "Must be 100 or fewer in length.".into(),
        );
    }
    let mut names = Vec::new();
    for (i, command) in list.iter().enumerate() {
        c.at(i, |c| {
            let Some(obj) = command.as_object() else {
                return;
            };
            let name = obj
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if !valid_command_name(&name) {
                c.at("name", |c| {
                    c.fail(
                        "APPLICATION_COMMAND_INVALID_NAME",
                        format!("Command name is invalid: {name}"),
                    )
                });
            }
            if names.contains(&name) {
                c.at("name", |c| {
                    c.fail(
                        "APPLICATION_COMMAND_NAME_ALREADY_EXISTS",
                        "Application command names must be unique".into(),
                    )
                });
            }
            names.push(name);
            let kind = obj.get("type").and_then(Value::as_u64).unwrap_or(1);
            if kind == 1 {
                c.range_len(obj, "description", 1, 100);
            }
            c.localized_names(obj, "name_localizations", false);
            c.localized_names(obj, "description_localizations", true);
            if let Some(options) = obj.get("options").and_then(Value::as_array) {
                c.at("options", |c| c.command_options(options, 0));
            }
        });
    }
    c.out
}

/// Discord's 400 body for a list of violations: `{"code": 50035, "errors": {...}, ...}`.
pub fn invalid_form_body(violations: &[Violation]) -> Value {
    let mut errors = Map::new();
    for v in violations {
        let mut node = &mut errors;
        for key in &v.path {
            node = node
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("paths only hold objects");
        }
        let list = node.entry("_errors").or_insert_with(|| json!([]));
        if let Some(list) = list.as_array_mut() {
            list.push(json!({"code": v.code, "message": v.message}));
        }
    }
    json!({"code": 50035, "errors": errors, "message": "Invalid Form Body"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_embed_is_caught_with_discords_error_shape() {
        let body = json!({"type": 4, "data": {"embeds": [{"title": "x".repeat(257), "description": "d".repeat(4096), "fields": [{"name": "n", "value": "v".repeat(1024)}, {"name": "n", "value": "v".repeat(1024)}]}]}});
        let v = interaction_response(&body);
        assert!(
            v.iter().any(|v| v.path == ["data", "embeds", "0", "title"]),
            "{v:?}"
        );
        assert!(
            v.iter().any(|v| v.code == "MAX_EMBED_SIZE_EXCEEDED"),
            "{v:?}"
        );
        let err = invalid_form_body(&v);
        assert_eq!(err["code"], 50035);
        assert_eq!(
            err["errors"]["data"]["embeds"]["0"]["title"]["_errors"][0]["code"],
            "BASE_TYPE_MAX_LENGTH"
        );
    }

    #[test]
    fn an_uppercase_command_name_is_caught() {
        let v = commands(&json!([{"name": "Roadmap", "description": "d"}]));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].code, "APPLICATION_COMMAND_INVALID_NAME");
        assert!(commands(&json!([{"name": "roadmap", "description": "d", "name_localizations": {"pt-BR": "tópico"}}])).is_empty());
    }

    #[test]
    fn duplicate_custom_ids_and_too_many_choices_are_caught() {
        let b = json!({"type": 2, "style": 1, "label": "a", "custom_id": "x"});
        let v = interaction_response(
            &json!({"type": 4, "data": {"content": "hi", "components": [{"type": 1, "components": [b, b]}]}}),
        );
        assert!(
            v.iter().any(|v| v.code == "COMPONENT_CUSTOM_ID_DUPLICATED"),
            "{v:?}"
        );
        let choices: Vec<Value> = (0..26)
            .map(|i| json!({"name": format!("c{i}"), "value": "v"}))
            .collect();
        let v = interaction_response(&json!({"type": 8, "data": {"choices": choices}}));
        assert_eq!(v.len(), 1);
    }
}
