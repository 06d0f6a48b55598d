//! The `trilha` command line: `run` (the default), `check` and `ask`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args as ClapArgs, Parser, Subcommand};

use crate::app::App;
use crate::commands::{self, Caller, Press};
use crate::config::Config;
use crate::i18n::Locale;
use crate::roadmap::{self, Roadmap};
use crate::store::Store;

#[derive(Parser, Debug)]
#[command(
    name = "trilha",
    version,
    about = "A Discord bot for study communities: a roadmap, progress, leaderboards and study prompts."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Connect to Discord and serve the community (what plain `trilha` does).
    Run,
    /// Validate the roadmap files and the configuration without connecting, and summarise them.
    Check,
    /// Run a slash command as a member would, against the local database, and print the reply.
    Ask(AskArgs),
    /// Study prompts of a server.
    #[command(subcommand)]
    Prompts(PromptsCommand),
    /// Write a consistent copy of the (SQLite) database while the bot runs, and check it.
    Backup {
        /// Where to write the copy (a new file).
        file: std::path::PathBuf,
    },
    /// Copy a whole community database into another, empty one: SQLite to PostgreSQL or back.
    /// Stop the bot first; the copy is verified table by table.
    MigrateData {
        /// The database to copy (a DATABASE_URL: sqlite://... or postgres://...).
        #[arg(long, value_name = "URL")]
        from: String,
        /// An empty database to copy into (created and migrated if needed).
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Ask a running trilha's /healthz (HEALTH_ADDR): exit 0 when healthy (Docker HEALTHCHECK).
    Health,
    /// Draw the member's card for a few made-up members (nothing done, half, everything) and the
    /// community heat map, in both languages, as PNG files in a folder.
    RenderSample {
        /// The folder to write into (created if needed).
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum PromptsCommand {
    /// List the next posts of a server: when (in its time zone) and about what.
    Preview {
        #[arg(long)]
        guild: u64,
        #[arg(long, default_value_t = 10)]
        count: usize,
        /// Language of the quoted content (item names and prompts): en-US or pt-BR. The rest of
        /// the output is English, like all operator output.
        #[arg(long, default_value = "en-US")]
        locale: String,
    },
}

#[derive(ClapArgs, Debug)]
struct AskArgs {
    /// The command as a member types it, e.g. "/roadmap kafka" (English or Portuguese names).
    #[arg(required_unless_present = "press")]
    command: Option<String>,
    /// The member's Discord language: pt-BR or en-US.
    #[arg(long, default_value = "pt-BR")]
    locale: String,
    /// The server the command is used in; without it the command runs as in a DM.
    #[arg(long)]
    guild: Option<u64>,
    /// The member's user id.
    #[arg(long, default_value_t = 1)]
    user: u64,
    /// Act as a member with the Manage Server permission.
    #[arg(long)]
    admin: bool,
    /// The member's name, as pictures show it.
    #[arg(long)]
    name: Option<String>,
    /// Print the exact JSON body of the interaction response instead of text.
    #[arg(long)]
    json: bool,
    /// Print the autocomplete choices for the last option instead of running the command.
    #[arg(long, conflicts_with = "press")]
    autocomplete: bool,
    /// Press a button by its custom_id (printed beside each button in text output).
    #[arg(long, value_name = "CUSTOM_ID")]
    press: Option<String>,
    /// Write the reply's attachments (pictures) into this folder.
    #[arg(long, value_name = "DIR")]
    out: Option<std::path::PathBuf>,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: configuration: {error}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let command = cli.command.unwrap_or(Command::Run);
    // Offline commands print their result on stdout; keep logs to warnings unless asked.
    let default_filter = match command {
        Command::Run => crate::config::DEFAULT_LOG_FILTER,
        _ => "warn",
    };
    let filter = config
        .log_filter
        .clone()
        .unwrap_or_else(|| default_filter.to_string());
    if let Err(error) = crate::telemetry::init(
        &filter,
        config.log_format,
        config.token.as_ref().map(|t| t.expose()),
    ) {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    let code = runtime.block_on(async move {
        match command {
            Command::Run => run(&config).await,
            Command::Check => check(&config),
            Command::Ask(args) => ask(&config, args).await,
            Command::Prompts(PromptsCommand::Preview {
                guild,
                count,
                locale,
            }) => preview(&config, guild, count, &locale).await,
            Command::Backup { file } => backup(&config, &file).await,
            Command::MigrateData { from, to } => migrate_data(&from, &to).await,
            Command::Health => health(&config).await,
            Command::RenderSample { out } => render_sample(&config, &out),
        }
    });
    // Whatever a stopped bot abandoned (a query stuck on another process's lock) must not keep
    // the process alive.
    runtime.shutdown_timeout(Duration::from_millis(200));
    code
}

/// The roadmap `ROADMAP_DIR` names, else `./roadmap`, else the one built into the binary; and
/// which of them it is.
fn load_roadmap(config: &Config) -> Result<(Arc<Roadmap>, roadmap::Source), roadmap::LoadErrors> {
    roadmap::load(config.roadmap_dir.as_deref())
        .map(|(roadmap, source)| (Arc::new(roadmap), source))
}

/// Builds the shared state: roadmap first (cheap, and its errors are the likeliest), then the
/// database.
async fn app(config: &Config) -> Result<App, anyhow::Error> {
    let (roadmap, source) = load_roadmap(config)?;
    tracing::debug!(roadmap = %source, "roadmap loaded");
    let store = Store::connect(&config.database).await?;
    let clock = match &config.clock_file {
        Some(path) => crate::clock::Clock::file(path.clone()),
        None => crate::clock::Clock::System,
    };
    let mut app = App::new(roadmap, store, clock);
    app.roadmap_source = source;
    crate::app::reconcile(&app).await?;
    Ok(app)
}

async fn run(config: &Config) -> ExitCode {
    let result = async {
        config.require_token()?;
        let app = app(config).await?;
        tracing::info!(
            roadmap = %app.roadmap_source,
            sections = app.roadmap.section_count(),
            items = app.roadmap.item_count(),
            database = %config.database,
            "trilha starting"
        );
        let app = App {
            faces: Arc::new(crate::picture::cdn::Faces::new(&config.cdn_url)),
            ..app
        };
        let result = crate::discord::run(config, app.clone()).await;
        // After a clean run the database is closed already (within the shutdown's bound); after
        // a start-up error, close it here, bounded all the same.
        let _ = tokio::time::timeout(Duration::from_millis(500), app.store.close()).await;
        result
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Once: a structured line for log collectors, or plain text for a person.
            match config.log_format {
                crate::config::LogFormat::Json => {
                    tracing::error!(error = format!("{error:#}"), "trilha stopped")
                }
                crate::config::LogFormat::Text => eprintln!("error: {error:#}"),
            }
            ExitCode::FAILURE
        }
    }
}

fn check(config: &Config) -> ExitCode {
    let mut ok = match load_roadmap(config) {
        Ok((roadmap, source)) => {
            report_roadmap(&roadmap, &source);
            true
        }
        Err(errors) => {
            eprint!("{errors}");
            false
        }
    };
    let violations = crate::discord::register::catalog_violations();
    if violations.is_empty() {
        println!(
            "commands: {} slash commands, names and descriptions valid in pt-BR and en",
            commands::CATALOG.len()
        );
    } else {
        ok = false;
        for v in violations {
            eprintln!("commands: {v}");
        }
    }
    report_settings(config);
    if ok {
        println!("OK");
        ExitCode::SUCCESS
    } else {
        eprintln!("check failed");
        ExitCode::FAILURE
    }
}

/// "1 item", "62 items".
fn counted(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// `trilha check`'s roadmap lines: where it comes from, its size, translations, quiz, pictures.
fn report_roadmap(roadmap: &Roadmap, source: &roadmap::Source) {
    println!(
        "roadmap: {source} ({}): {}, {}, {}",
        counted(roadmap.tracks().len(), "file"),
        counted(roadmap.section_count(), "section"),
        counted(roadmap.groups().len(), "group"),
        counted(roadmap.item_count(), "item"),
    );
    for track in roadmap.tracks() {
        println!("  {}: {} / {}", track.id, track.name.pt_br, track.name.en);
    }
    let texts = roadmap_text_count(roadmap);
    println!("translations: complete, {texts} texts in both pt-BR and en");
    let minimum = crate::roadmap::MIN_QUESTIONS;
    let lacking: Vec<&str> = roadmap
        .items()
        .filter(|(i, _)| roadmap.questions_of(*i).count() < minimum)
        .map(|(_, item)| item.id.as_str())
        .collect();
    let questions = roadmap.questions().len();
    if lacking.is_empty() {
        println!("quiz: {questions} questions in pt-BR and en; every item has at least {minimum}");
    } else {
        println!(
            "quiz: {questions} questions; {} have fewer than {minimum}: {}",
            counted(lacking.len(), "item"),
            lacking.join(", ")
        );
    }
    let undrawable = crate::picture::undrawable(roadmap);
    if undrawable.is_empty() {
        println!("pictures: every name draws with the embedded fonts");
    }
    for (id, characters) in undrawable {
        println!(
            "warning: pictures cannot draw `{characters}` in the name of `{id}`: the card leaves those characters out (the fonts cover Latin, Greek, Cyrillic and emoji)"
        );
    }
}

/// `trilha check`'s settings lines: the database, where commands register, REST, the token.
fn report_settings(config: &Config) {
    match &config.database {
        crate::config::Database::Sqlite(path) => println!("database: SQLite, {}", path.display()),
        crate::config::Database::Postgres(url) => println!("database: PostgreSQL, {url}"),
    }
    match &config.dev_guild_id {
        Some(id) => println!("commands are registered in server {id} only (DEV_GUILD_ID)"),
        None => println!("commands are registered globally (DEV_GUILD_ID is not set)"),
    }
    if let Some(proxy) = &config.proxy_url {
        println!("Discord REST goes through {proxy} (DISCORD_PROXY_URL)");
    }
    match &config.token {
        Some(_) => println!("token: set (well-formed; Discord checks it at start-up)"),
        None => println!("token: not set (needed by `trilha run`, not by `check` or `ask`)"),
    }
}

/// Texts that exist in both languages: names, intros, descriptions, reasons, prompts.
fn roadmap_text_count(roadmap: &Roadmap) -> usize {
    let tracks = roadmap.tracks().len() * 3;
    let sections = roadmap.section_count() * 2;
    let groups: usize = roadmap
        .groups()
        .map(|(_, g)| 1 + usize::from(g.intro.is_some()))
        .sum();
    let items: usize = roadmap.items().map(|(_, i)| 3 + i.prompts.len()).sum();
    tracks + sections + groups + items
}

/// How long `trilha ask` waits for a reply's picture.
const ASK_PICTURE_WAIT: Duration = Duration::from_secs(30);

async fn ask(config: &Config, args: AskArgs) -> ExitCode {
    let Some(locale) = Locale::parse(&args.locale) else {
        eprintln!("error: --locale `{}`: use pt-BR or en-US", args.locale);
        return ExitCode::from(2);
    };
    let app = match app(config).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    // No interaction clock runs here: whoever asks for a reply wants its picture, even on a
    // busy machine or from a debug build, which draws far slower than a release one.
    let app = app.waiting_for_pictures(ASK_PICTURE_WAIT);
    let caller = Caller {
        user_id: args.user,
        guild_id: args.guild,
        channel_id: None,
        locale,
        guild_locale: None,
        can_manage_guild: args.admin && args.guild.is_some(),
        names: args.name.clone().into_iter().collect(),
        avatar: None,
    };
    let result = ask_inner(&app, &args, caller).await;
    // The presence record a command started on the side.
    app.finish_background(std::time::Duration::from_secs(5))
        .await;
    app.store.close().await;
    match result {
        Ok((output, attachments)) => {
            print!("{output}");
            match &args.out {
                Some(dir) => write_attachments(dir, &attachments),
                None => ExitCode::SUCCESS,
            }
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// `trilha ask --out DIR`: the reply's files, written where content authors and tests can open
/// them.
fn write_attachments(dir: &std::path::Path, attachments: &[crate::reply::Attachment]) -> ExitCode {
    if let Err(error) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create {}: {error}", dir.display());
        return ExitCode::FAILURE;
    }
    for file in attachments {
        // Names are the bot's own (`Reply::violations` keeps them plain file names).
        let path = dir.join(&file.name);
        if let Err(error) = std::fs::write(&path, &file.data[..]) {
            eprintln!("error: cannot write {}: {error}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

async fn ask_inner(
    app: &App,
    args: &AskArgs,
    caller: Caller,
) -> Result<(String, Vec<crate::reply::Attachment>), crate::ask::parse::ParseError> {
    use crate::discord::convert;
    let json = |value: serenity::all::CreateInteractionResponse| {
        serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
    };
    if let Some(custom_id) = &args.press {
        let reply = commands::press(
            app,
            &crate::lookups::Offline,
            &Press {
                custom_id: custom_id.clone(),
                caller,
            },
        )
        .await;
        let text = if args.json {
            json(convert::response(&reply))
        } else {
            crate::ask::reply_text(&reply)
        };
        return Ok((text, reply.attachments));
    }
    let input = args.command.as_deref().unwrap_or_default();
    if args.autocomplete {
        let request = crate::ask::parse::parse_autocomplete(input, caller)?;
        let choices = commands::autocomplete(app, &request).await;
        let text = if args.json {
            json(convert::autocomplete_response(&choices))
        } else {
            crate::ask::choices_text(&choices)
        };
        return Ok((text, Vec::new()));
    }
    let invocation = crate::ask::parse::parse_invocation(input, caller)?;
    let reply = commands::respond(app, &crate::lookups::Offline, &invocation).await;
    let text = if args.json {
        json(convert::response(&reply))
    } else {
        crate::ask::reply_text(&reply)
    };
    Ok((text, reply.attachments))
}

async fn preview(config: &Config, guild: u64, count: usize, locale: &str) -> ExitCode {
    let Some(locale) = Locale::parse(locale) else {
        eprintln!("error: --locale `{locale}`: use pt-BR or en-US");
        return ExitCode::from(2);
    };
    let app = match app(config).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let result = commands::prompts::preview(&app, guild, count).await;
    app.store.close().await;
    match result {
        Ok(None) => {
            eprintln!("server {guild} has no study prompts set up (/prompts setup)");
            ExitCode::FAILURE
        }
        Ok(Some((schedule, upcoming))) => {
            let tz = jiff::tz::TimeZone::get(&schedule.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
            // Operator output is English; only the quoted content follows --locale.
            let days = crate::prompts::schedule::Days(schedule.days).label(Locale::En);
            println!(
                "server {guild}: channel {}, {days} at {} ({})",
                schedule.channel, schedule.local_time, schedule.timezone
            );
            if let Some(pause) = &schedule.pause {
                println!(
                    "paused ({}){}",
                    pause.reason.as_str(),
                    pause
                        .discord_code
                        .map(|c| format!(": Discord error code {c}"))
                        .unwrap_or_default()
                );
            }
            for (at, item, prompt) in upcoming {
                let local = at.to_zoned(tz.clone()).strftime("%a %Y-%m-%d %H:%M %Z");
                let item = app.roadmap.item(item);
                println!(
                    "{local}  {:<28} prompt {}: {}",
                    item.name.get(locale),
                    prompt + 1,
                    item.prompts
                        .get(prompt)
                        .map(|p| p.get(locale))
                        .unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {}", error.chain());
            ExitCode::FAILURE
        }
    }
}

async fn backup(config: &Config, file: &std::path::Path) -> ExitCode {
    let path = match &config.database {
        crate::config::Database::Sqlite(path) => path,
        crate::config::Database::Postgres(url) => {
            eprintln!(
                "error: {}",
                crate::store::BackupError::Postgres(url.to_string())
            );
            return ExitCode::FAILURE;
        }
    };
    // Read-only, and without migrations: a backup never changes the live database (and a
    // missing or empty file is refused rather than "backed up").
    let store = match Store::open_read_only(path).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let started = std::time::Instant::now();
    let result = store.backup(file).await;
    store.close().await;
    match result {
        Ok(counts) => {
            let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            println!(
                "backup written to {} ({} KiB) in {:.1?}; integrity check ok",
                file.display(),
                size / 1024,
                started.elapsed()
            );
            for (table, rows) in counts {
                println!("  {table}: {rows} rows");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {:#}", anyhow::Error::new(error));
            ExitCode::FAILURE
        }
    }
}

async fn health(config: &Config) -> ExitCode {
    let Some(addr) = config.health_addr else {
        eprintln!(
            "error: HEALTH_ADDR is not set: the running trilha has no health endpoint to ask"
        );
        return ExitCode::FAILURE;
    };
    match crate::ops::health::probe(addr).await {
        Ok((200, body)) => {
            println!("{body}");
            ExitCode::SUCCESS
        }
        Ok((status, body)) => {
            eprintln!("unhealthy ({status}): {body}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("error: cannot reach trilha at {addr}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `trilha migrate-data --from URL --to URL`: copies, verifies, and reports progress on stderr
/// (rows per second and what remains) at most once a second.
async fn migrate_data(from: &str, to: &str) -> ExitCode {
    let parse = |flag: &str, url: &str| {
        crate::config::Database::from_url(url).map_err(|problem| format!("--{flag}: {problem}"))
    };
    let (from, to) = match (parse("from", from), parse("to", to)) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!("copying {from} into {to}");
    let started = std::time::Instant::now();
    let mut last_report = started;
    let mut report = |p: crate::store::copy::Progress| {
        let now = std::time::Instant::now();
        let finished_table = p.copied == p.total;
        if now.duration_since(last_report) < Duration::from_secs(1) && !finished_table {
            return;
        }
        last_report = now;
        let elapsed = now.duration_since(started).as_secs_f64().max(0.001);
        let rate = p.copied_all as f64 / elapsed;
        let left = p.total_all.saturating_sub(p.copied_all) as f64 / rate.max(1.0);
        eprintln!(
            "  {}: {} of {} rows; all tables {} of {} rows, {:.0} rows/s, about {:.0} s left",
            p.table, p.copied, p.total, p.copied_all, p.total_all, rate, left
        );
    };
    match crate::store::copy::copy(&from, &to, &mut report).await {
        Ok(tables) => {
            let rows: u64 = tables.iter().map(|t| t.rows).sum();
            println!(
                "copied {rows} rows in {:.1?} from {from} to {to}; every table verified (rows and checksum):",
                started.elapsed()
            );
            for t in &tables {
                println!(
                    "  {:<17} {:>9} rows  checksum {}",
                    t.table, t.rows, t.checksum
                );
            }
            if let Some(peak) = peak_memory_kib() {
                println!("peak memory: {} MiB", peak / 1024);
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The process's peak resident memory (Linux), in KiB.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `trilha render-sample --out DIR`.
fn render_sample(config: &Config, out: &std::path::Path) -> ExitCode {
    let roadmap = match load_roadmap(config) {
        Ok((roadmap, _)) => roadmap,
        Err(errors) => {
            eprintln!("{errors}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = std::fs::create_dir_all(out) {
        eprintln!("error: cannot create {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let date = jiff::civil::date(2026, 12, 1);
    let mut written = 0;
    for locale in Locale::ALL {
        for (name, scene) in crate::picture::samples::samples(&roadmap, locale, date) {
            let file = out.join(format!("{name}.{}.png", locale.discord_tag()));
            let result = crate::picture::render(&scene)
                .map_err(|e| e.to_string())
                .and_then(|p| std::fs::write(&file, &p.png[..]).map_err(|e| e.to_string()));
            match result {
                Ok(()) => {
                    println!("{} ({}×{})", file.display(), scene.width, scene.height);
                    written += 1;
                }
                Err(error) => {
                    eprintln!("error: {}: {error}", file.display());
                    return ExitCode::FAILURE;
                }
            }
        }
    }
    println!("{written} pictures written");
    ExitCode::SUCCESS
}
