//! Run a local Discord and talk to a bot through it, as a member would.
//!
//! ```sh
//! cargo run -p local-discord                 # prints the DISCORD_PROXY_URL and token to use
//! ```
//!
//! Then start the bot in another terminal with those two variables, and type slash commands at
//! the `>` prompt.

use std::time::Duration;

use local_discord::{Context, LocalDiscord, Options, Response};
use tokio::io::{AsyncBufReadExt, BufReader};

const HELP: &str = "\
  /roadmap kafka          run a slash command as the current member
  ? /roadmap kaf          what autocomplete offers for the last option
  press <label>           press a button of the last reply
  as <member>             act as ana (Manage Server), bruno or carla (en-US)
  locale <tag>            the member's Discord language (pt-BR, en-US, ...)
  channel <name>          use a channel: geral, estudos, anuncios
  dm on|off               use commands in a direct message with the bot
  reconnect | invalidate  send RECONNECT or INVALID_SESSION to the bot
  posts [channel]         messages the bot posted in a channel
  violations              payloads the bot sent that Discord would refuse
  help | quit";

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn print_reply(r: &Response) {
    let visibility = if r.ephemeral() {
        ", only the member sees it"
    } else {
        ""
    };
    println!("  ← type {}{visibility}, in {:.1?}", r.kind(), r.latency);
    let d = &r.body["data"];
    if let Some(c) = d["content"].as_str() {
        println!("  {c}");
    }
    for e in d["embeds"].as_array().into_iter().flatten() {
        if let Some(t) = e["title"].as_str() {
            println!("  ━━ {t} ━━");
        }
        if let Some(t) = e["description"].as_str() {
            for line in t.lines() {
                println!("  {line}");
            }
        }
        for f in e["fields"].as_array().into_iter().flatten() {
            println!("  ▸ {}", f["name"].as_str().unwrap_or_default());
            for line in f["value"].as_str().unwrap_or_default().lines() {
                println!("      {line}");
            }
        }
        if let Some(t) = e["footer"]["text"].as_str() {
            println!("  — {t}");
        }
    }
    for (name, value) in r.choices() {
        println!("  • {name}  ({value})");
    }
    let buttons = r.buttons();
    if !buttons.is_empty() {
        let labels: Vec<String> = buttons
            .iter()
            .map(|(l, _, disabled)| {
                if *disabled {
                    format!("[{l}] (disabled)")
                } else {
                    format!("[{l}]")
                }
            })
            .collect();
        println!("  {}", labels.join("  "));
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "usage: local-discord [--port N] [--gateway-port N] [--compress]\n\nAt the prompt:\n{HELP}"
        );
        return;
    }
    let options = Options {
        rest_port: arg(&args, "--port")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0),
        gateway_port: arg(&args, "--gateway-port")
            .and_then(|p| p.parse().ok())
            .unwrap_or(0),
        compress: args.iter().any(|a| a == "--compress"),
        ..Options::default()
    };
    let discord = match LocalDiscord::start(options).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    println!(
        "A local Discord is listening: REST {} and gateway {}.",
        discord.base_url(),
        discord.gateway_url()
    );
    println!(
        "Server \"Comunidade Backend\" (id {}), members ana, bruno, carla.",
        discord.guild_id()
    );
    println!("\nStart the bot in another terminal with:\n");
    println!(
        "  DISCORD_TOKEN={} DISCORD_PROXY_URL={} cargo run\n",
        discord.token(),
        discord.base_url()
    );
    println!("Then type a slash command here (help lists the rest):\n{HELP}\n");

    let mut user = "bruno".to_string();
    let mut ctx = Context::default();
    let mut last: Option<Response> = None;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut connected = false;
    loop {
        if !connected && discord.with_world(|w| !w.gateway.connected_shards().is_empty()) {
            connected = true;
            println!("(the bot is connected)");
        }
        print!("{user}> ");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        let Ok(Some(line)) = lines.next_line().await else {
            break;
        };
        let line = line.trim();
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let sent = match word {
            "" => continue,
            "quit" | "exit" => break,
            "help" => {
                println!("{HELP}");
                continue;
            }
            "as" => {
                user = rest.trim().to_string();
                continue;
            }
            "locale" => {
                ctx.locale = Some(rest.trim().to_string());
                continue;
            }
            "channel" => {
                ctx.channel = Some(rest.trim().to_string());
                continue;
            }
            "dm" => {
                ctx.dm = rest.trim() == "on";
                continue;
            }
            "reconnect" => {
                println!(
                    "  {}",
                    if discord.reconnect() {
                        "RECONNECT sent"
                    } else {
                        "the bot is not connected"
                    }
                );
                continue;
            }
            "invalidate" => {
                println!(
                    "  {}",
                    if discord.invalidate_session() {
                        "INVALID_SESSION sent"
                    } else {
                        "the bot is not connected"
                    }
                );
                continue;
            }
            "violations" => {
                let v = discord.violations();
                if v.is_empty() {
                    println!("  none");
                }
                for v in v {
                    println!("  {v}");
                }
                continue;
            }
            "posts" => {
                let name = if rest.trim().is_empty() {
                    "geral"
                } else {
                    rest.trim()
                };
                let channel = discord.with_world(|w| w.guilds[0].channel_named(name).map(|c| c.id));
                match channel {
                    Some(id) => discord.with_world(|w| {
                        for m in w.channel_messages(id) {
                            println!(
                                "  #{name} {}: {}",
                                m.id,
                                m.body["embeds"][0]["title"]
                                    .as_str()
                                    .or(m.body["content"].as_str())
                                    .unwrap_or("(message)")
                            );
                        }
                    }),
                    None => println!("  no channel {name}"),
                }
                continue;
            }
            "?" => discord.autocomplete(&user, rest, &ctx),
            "press" => match last.as_ref().and_then(|r| r.message) {
                Some(message) => discord.press(&user, message, rest.trim(), &ctx),
                None => Err("no reply with buttons yet".into()),
            },
            w if w.starts_with('/') => discord.slash(&user, line, &ctx),
            _ => Err("not a command (type help)".into()),
        };
        match sent {
            Err(e) => println!("  {e}"),
            Ok(id) => match discord.answer(id, Duration::from_secs(15)).await {
                Ok(r) => {
                    print_reply(&r);
                    if r.message.is_some() {
                        last = Some(r);
                    }
                }
                Err(e) => println!("  {e}"),
            },
        }
    }
}
