//! Files the bot uploads with messages: multipart bodies (`payload_json` plus `files[n]`), the
//! rules Discord applies to them, and the attachment objects Discord stores and echoes back
//! (with `attachment://name` in embeds resolved to the file's CDN URL).

use serde_json::{Value, json};

use crate::rules::Violation;
use crate::world::{StoredFile, World};

/// Bytes per file Discord accepts from a bot in any server (its base upload limit).
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Files per message.
pub const MAX_FILES: usize = 10;

/// One uploaded file of a multipart body.
#[derive(Clone, Debug)]
pub struct Upload {
    /// The form field, `files[n]`.
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl Upload {
    /// `n` of `files[n]`.
    fn index(&self) -> Option<u64> {
        self.field
            .strip_prefix("files[")?
            .strip_suffix(']')?
            .parse()
            .ok()
    }
}

/// Splits a multipart/form-data body into its `payload_json` and its files.
pub async fn parse(
    content_type: &str,
    body: axum::body::Bytes,
) -> Result<(Option<Value>, Vec<Upload>), String> {
    let boundary = multer::parse_boundary(content_type).map_err(|e| e.to_string())?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut payload = None;
    let mut uploads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| e.to_string())? {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field
            .content_type()
            .map_or("application/octet-stream".to_string(), ToString::to_string);
        let data = field.bytes().await.map_err(|e| e.to_string())?;
        if name == "payload_json" {
            payload = Some(serde_json::from_slice(&data).map_err(|e| e.to_string())?);
        } else if let Some(filename) = filename {
            uploads.push(Upload {
                field: name,
                filename,
                content_type,
                data: data.to_vec(),
            });
        }
    }
    Ok((payload, uploads))
}

fn violation(path: &[&str], code: &'static str, message: String) -> Violation {
    Violation {
        path: path.iter().map(|s| s.to_string()).collect(),
        code,
        message,
    }
}

/// Discord's rules for the files of a message (`data` is the message part of the body), with
/// `existing` the file names a message being edited already has. A `attachment://name` an
/// embed shows must be one of them: Discord would not fail the request, but the member would
/// see no image, so the local Discord reports it.
pub fn rules(data: &Value, uploads: &[Upload], existing: &[String]) -> Vec<Violation> {
    let mut out = Vec::new();
    if uploads.len() > MAX_FILES {
        out.push(violation(
            &["files"],
            "BASE_TYPE_MAX_LENGTH",
            format!("Must be {MAX_FILES} or fewer in length."),
        ));
    }
    let listed: Vec<&Value> = data["attachments"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    for (i, upload) in uploads.iter().enumerate() {
        let Some(n) = upload.index() else {
            out.push(violation(
                &[upload.field.as_str()],
                "FORM_FIELD_INVALID",
                "File fields are named files[n].".into(),
            ));
            continue;
        };
        if upload.filename.trim().is_empty() {
            out.push(violation(
                &["attachments", &i.to_string(), "filename"],
                "BASE_TYPE_REQUIRED",
                "This field is required".into(),
            ));
        }
        if !listed.is_empty()
            && !listed
                .iter()
                .any(|a| a["id"].as_u64() == Some(n) || a["id"].as_str() == Some(&n.to_string()))
        {
            out.push(violation(
                &["attachments"],
                "ATTACHMENT_NOT_LISTED",
                format!("files[{n}] is not in the attachments array"),
            ));
        }
    }
    for (i, entry) in listed.iter().enumerate() {
        if entry["description"]
            .as_str()
            .is_some_and(|d| d.chars().count() > 1024)
        {
            out.push(violation(
                &["attachments", &i.to_string(), "description"],
                "BASE_TYPE_MAX_LENGTH",
                "Must be 1024 or fewer in length.".into(),
            ));
        }
    }
    let names: Vec<&str> = uploads
        .iter()
        .map(|u| u.filename.as_str())
        .chain(existing.iter().map(String::as_str))
        .collect();
    for (i, embed) in data["embeds"].as_array().into_iter().flatten().enumerate() {
        if let Some(name) = embed["image"]["url"]
            .as_str()
            .and_then(|u| u.strip_prefix("attachment://"))
            && !names.contains(&name)
        {
            out.push(violation(
                &["embeds", &i.to_string(), "image", "url"],
                "EMBED_ATTACHMENT_MISSING",
                format!(
                    "attachment://{name} is not a file of this message: Discord would show no image"
                ),
            ));
        }
    }
    out
}

/// Width and height of a PNG, from its header.
fn png_size(data: &[u8]) -> Option<(u32, u32)> {
    if data.len() < 24 || &data[..8] != b"\x89PNG\r\n\x1a\n" {
        return None;
    }
    let width = u32::from_be_bytes(data[16..20].try_into().ok()?);
    let height = u32::from_be_bytes(data[20..24].try_into().ok()?);
    Some((width, height))
}

/// Stores the uploads and turns `data["attachments"]` into the attachment objects Discord
/// keeps: uploaded files, plus the existing ones a message edit lists by id. Embeds that show
/// `attachment://name` get the file's URL and size, as Discord echoes them.
pub fn attach(
    world: &mut World,
    data: &mut Value,
    uploads: &[Upload],
    channel: u64,
    existing: &[Value],
) {
    if uploads.is_empty() && data.get("attachments").is_none() {
        return; // a message without files, or an edit that keeps them as they are
    }
    let listed: Vec<Value> = data["attachments"].as_array().cloned().unwrap_or_default();
    let mut objects: Vec<Value> = existing
        .iter()
        .filter(|old| {
            listed.iter().any(|a| {
                a["id"]
                    .as_str()
                    .is_some_and(|id| Some(id) == old["id"].as_str())
            })
        })
        .cloned()
        .collect();
    for upload in uploads {
        let index = upload.index();
        let description = listed
            .iter()
            .find(|a| index.is_some_and(|n| a["id"].as_u64() == Some(n)))
            .and_then(|a| a["description"].as_str())
            .map(str::to_string);
        let id = world.snowflake();
        world.files.insert(
            id,
            StoredFile {
                filename: upload.filename.clone(),
                content_type: upload.content_type.clone(),
                data: upload.data.clone(),
            },
        );
        let url = format!(
            "https://cdn.discordapp.com/attachments/{channel}/{id}/{}",
            upload.filename
        );
        let mut object = json!({
            "id": id.to_string(),
            "filename": upload.filename,
            "size": upload.data.len(),
            "url": url,
            "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
            "content_type": upload.content_type,
        });
        if let Some(description) = description {
            object["description"] = json!(description);
        }
        if let Some((w, h)) = png_size(&upload.data) {
            object["width"] = json!(w);
            object["height"] = json!(h);
        }
        objects.push(object);
    }
    if let Some(embeds) = data["embeds"].as_array_mut() {
        for embed in embeds {
            let Some(name) = embed["image"]["url"]
                .as_str()
                .and_then(|u| u.strip_prefix("attachment://"))
                .map(str::to_string)
            else {
                continue;
            };
            if let Some(file) = objects.iter().find(|o| o["filename"] == name.as_str()) {
                embed["image"] = json!({
                    "url": file["url"],
                    "proxy_url": file["proxy_url"],
                    "width": file["width"],
                    "height": file["height"],
                });
            }
        }
    }
    data["attachments"] = Value::Array(objects);
}
