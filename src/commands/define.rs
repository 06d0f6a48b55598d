//! How a slash command is declared: once, with its options typed.
//!
//! A command (or each subcommand of a family) is a [`Leaf`]: a type whose [`Options`] struct
//! lists its options as typed fields, and whose `run` takes those options. The [`options!`]
//! macro writes an options struct and, from its fields, the options' declaration (name, kind,
//! whether required, choices, integer range, autocomplete) and the parser that fills it. A
//! command's entry in the catalog ([`CommandSpec`]) holds the leaf's declaration and its
//! entry point ([`handler`]); registration with Discord, the interaction parser, `trilha ask`
//! and autocomplete all read that entry, so nothing names a command or an option anywhere else.
//!
//! Why a trait and a small macro rather than poise: trilha's dispatch is shared with the offline
//! console and the local Discord tests, and its replies are a model of their own (`Reply`), not
//! serenity builders; the macro writes only what would otherwise be written twice (a field and
//! its declaration).

use std::future::Future;

use futures_util::future::BoxFuture;

use super::args::{Args, Caller, Person, Value};
use super::error::CommandError;
use crate::app::App;
use crate::i18n::Locale;
use crate::lookups::Lookups;
use crate::reply::{Choice, Reply};
use crate::roadmap::Roadmap;

/// A command invoked: which, with what values, by whom.
#[derive(Clone, Debug)]
pub struct Invocation {
    pub command: &'static CommandSpec,
    pub subcommand: Option<&'static SubcommandSpec>,
    pub args: Args,
    pub caller: Caller,
}

/// An autocomplete request: the option being typed and what has been typed so far.
#[derive(Clone, Debug)]
pub struct AutocompleteRequest {
    pub command: &'static CommandSpec,
    pub subcommand: Option<&'static SubcommandSpec>,
    /// The option being typed.
    pub option: &'static OptionSpec,
    pub partial: String,
    pub args: Args,
    pub caller: Caller,
}

/// What a command runs with.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub app: &'a App,
    pub lookups: &'a dyn Lookups,
    pub caller: &'a Caller,
    /// The caller's marks and notices in the server, read once before the command ran (none
    /// outside a server, or when that read failed: then a command reads what it needs itself).
    pub member: Option<&'a crate::progress::MemberView>,
}

/// The kind of an option's value, as Discord types it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    String,
    Integer,
    Boolean,
    User,
    Channel,
    Role,
}

/// Choices found with the member's own data (their marks, their servers).
pub type MemberChoices = for<'a> fn(
    &'a App,
    &'a AutocompleteRequest,
) -> BoxFuture<'a, Result<Vec<Choice>, CommandError>>;

/// Where an option's autocomplete choices come from.
#[derive(Clone, Copy)]
pub enum Complete {
    /// From what was typed alone.
    Typed(fn(&Roadmap, &str, Locale) -> Vec<Choice>),
    /// Also from what trilha holds about the member.
    Member(MemberChoices),
}

impl std::fmt::Debug for Complete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Complete::Typed(_) => "Typed",
            Complete::Member(_) => "Member",
        })
    }
}

/// One option of a command, as its options struct declares it. Its localized name and
/// description come from the i18n command table under `"{command}.{option}"` (or
/// `"{command}.{subcommand}.{option}"`); a choice's under `"{option path}.{choice}"`.
#[derive(Debug)]
pub struct OptionSpec {
    pub key: &'static str,
    pub kind: OptionKind,
    pub required: bool,
    /// Fixed choices (their keys are the values).
    pub choices: &'static [&'static str],
    /// An integer's bounds, both included: Discord enforces them in the client.
    pub range: Option<(i64, i64)>,
    pub complete: Option<Complete>,
}

impl OptionSpec {
    /// The declaration of an option of type `T`.
    pub const fn of<T: OptionValue>(key: &'static str, complete: Option<Complete>) -> OptionSpec {
        OptionSpec {
            key,
            kind: T::KIND,
            required: T::REQUIRED,
            choices: T::CHOICES,
            range: T::RANGE,
            complete,
        }
    }

    pub fn autocomplete(&self) -> bool {
        self.complete.is_some()
    }
}

/// A Rust type an option's value is read into.
pub trait OptionValue: Sized {
    const KIND: OptionKind;
    const REQUIRED: bool = true;
    const CHOICES: &'static [&'static str] = &[];
    const RANGE: Option<(i64, i64)> = None;
    /// The value, or `None` when it does not fit (another kind, an unknown choice, out of range).
    fn from_value(value: &Value) -> Option<Self>;
    /// What an option left out reads as: nothing, for a required one.
    fn absent() -> Option<Self> {
        None
    }
}

impl OptionValue for String {
    const KIND: OptionKind = OptionKind::String;
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(s.clone()),
            _ => None,
        }
    }
}

impl OptionValue for bool {
    const KIND: OptionKind = OptionKind::Boolean;
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }
}

impl OptionValue for Person {
    const KIND: OptionKind = OptionKind::User;
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::User(person) => Some(person.clone()),
            _ => None,
        }
    }
}

/// A channel option's value: the channel's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChannelId(pub u64);

impl OptionValue for ChannelId {
    const KIND: OptionKind = OptionKind::Channel;
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Channel(id) => Some(ChannelId(*id)),
            _ => None,
        }
    }
}

/// A role option's value: the role's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleId(pub u64);

impl OptionValue for RoleId {
    const KIND: OptionKind = OptionKind::Role;
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Role(id) => Some(RoleId(*id)),
            _ => None,
        }
    }
}

/// An integer from `MIN` to `MAX`, both included (Discord's `min_value`/`max_value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Int<const MIN: i64, const MAX: i64>(pub i64);

impl<const MIN: i64, const MAX: i64> OptionValue for Int<MIN, MAX> {
    const KIND: OptionKind = OptionKind::Integer;
    const RANGE: Option<(i64, i64)> = Some((MIN, MAX));
    fn from_value(value: &Value) -> Option<Self> {
        match value {
            Value::Integer(n) if (MIN..=MAX).contains(n) => Some(Int(*n)),
            _ => None,
        }
    }
}

impl<T: OptionValue> OptionValue for Option<T> {
    const KIND: OptionKind = T::KIND;
    const REQUIRED: bool = false;
    const CHOICES: &'static [&'static str] = T::CHOICES;
    const RANGE: Option<(i64, i64)> = T::RANGE;
    fn from_value(value: &Value) -> Option<Self> {
        T::from_value(value).map(Some)
    }
    fn absent() -> Option<Self> {
        Some(None)
    }
}

/// A choice option's value: declared with [`choice!`], read from its key.
pub trait ChoiceKey: Sized + Copy + 'static {
    /// Every value with its key, in the order Discord lists them.
    const ALL: &'static [(Self, &'static str)];
    const KEYS: &'static [&'static str];
}

/// Why an invocation's values do not fit its command: Discord enforces required options,
/// choices and ranges, so this is a registration out of step with this release (or a typo in
/// `trilha ask`), never a member's mistake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("/{command}: no such command in this release")]
    Unknown { command: String },
    #[error("/{command}: required option `{option}` is missing")]
    Missing {
        command: &'static str,
        option: &'static str,
    },
    #[error("/{command}: option `{option}` has a value this release does not take: `{value}`")]
    BadValue {
        command: &'static str,
        option: &'static str,
        value: String,
    },
}

/// The typed options of a command.
pub trait Options: Sized + Send {
    const SPEC: &'static [OptionSpec];
    /// Fills the options from an invocation's values; `command` names it in errors.
    fn parse(args: &Args, command: &'static str) -> Result<Self, ParseError>;
}

impl Options for () {
    const SPEC: &'static [OptionSpec] = &[];
    fn parse(_: &Args, _: &'static str) -> Result<Self, ParseError> {
        Ok(())
    }
}

/// Reads one option's value into its type (used by [`options!`]).
pub fn read<T: OptionValue>(
    args: &Args,
    command: &'static str,
    option: &'static str,
) -> Result<T, ParseError> {
    match args.0.get(option) {
        Some(value) => T::from_value(value).ok_or_else(|| ParseError::BadValue {
            command,
            option,
            value: value.to_string(),
        }),
        None => T::absent().ok_or(ParseError::Missing { command, option }),
    }
}

/// A command, or a subcommand of a family: its options and what it does with them.
pub trait Leaf: 'static {
    type Options: Options;
    fn run(
        ctx: Ctx<'_>,
        options: Self::Options,
    ) -> impl Future<Output = Result<Reply, CommandError>> + Send;
}

/// A leaf's entry point: parses the invocation's values into its options and runs it.
pub type Run =
    for<'a> fn(Ctx<'a>, &'a Args, &'static str) -> BoxFuture<'a, Result<Reply, CommandError>>;

/// What the catalog holds of a leaf.
#[derive(Clone, Copy)]
pub struct Handler {
    pub options: &'static [OptionSpec],
    pub run: Run,
    /// Whether an invocation's values fill the leaf's options (what `run` checks first).
    pub check: fn(&Args, &'static str) -> Result<(), ParseError>,
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The catalog's entry of a leaf.
pub const fn handler<L: Leaf>() -> Handler {
    Handler {
        options: L::Options::SPEC,
        run: run_leaf::<L>,
        check: check_leaf::<L>,
    }
}

fn check_leaf<L: Leaf>(args: &Args, command: &'static str) -> Result<(), ParseError> {
    L::Options::parse(args, command).map(|_| ())
}

fn run_leaf<'a, L: Leaf>(
    ctx: Ctx<'a>,
    args: &'a Args,
    command: &'static str,
) -> BoxFuture<'a, Result<Reply, CommandError>> {
    Box::pin(async move {
        let options = L::Options::parse(args, command)
            .map_err(|error| CommandError::Internal(error.into()))?;
        L::run(ctx, options).await
    })
}

/// A subcommand of a family.
#[derive(Debug)]
pub struct SubcommandSpec {
    pub key: &'static str,
    pub handler: Handler,
}

/// One slash command, as registered with Discord.
#[derive(Debug)]
pub struct CommandSpec {
    /// The command's English name, also its i18n key and what Discord sends back.
    pub key: &'static str,
    /// A single command's handler, or `None` for a family of subcommands.
    pub handler: Option<Handler>,
    pub subcommands: &'static [SubcommandSpec],
    /// Needs a server: in a DM it answers with a localized explanation.
    pub needs_guild: bool,
    /// Offered in DMs with the bot (so that the explanation can be given there).
    pub in_dms: bool,
    /// Hidden by default from members without Manage Server, and checked on every call.
    pub manage_guild: bool,
    /// Answers with a message the whole channel sees (otherwise only the member sees it).
    pub public_reply: bool,
    /// Installable to a member's own account too (Discord's user install), and usable in group
    /// DMs and in servers without trilha.
    pub anywhere: bool,
}

impl CommandSpec {
    /// A member's command in a server: private reply, offered in DMs to explain it needs one.
    pub const fn member(key: &'static str, handler: Handler) -> CommandSpec {
        CommandSpec {
            key,
            handler: Some(handler),
            subcommands: &[],
            needs_guild: true,
            in_dms: true,
            manage_guild: false,
            public_reply: false,
            anywhere: false,
        }
    }

    /// A member's command that works anywhere (see [`CommandSpec::anywhere`]): it needs no
    /// server of the interaction's, and its reply is seen where it is used.
    pub const fn anywhere(key: &'static str, handler: Handler) -> CommandSpec {
        CommandSpec {
            needs_guild: false,
            public_reply: true,
            anywhere: true,
            ..CommandSpec::member(key, handler)
        }
    }

    /// A family of subcommands for members.
    pub const fn member_family(
        key: &'static str,
        subcommands: &'static [SubcommandSpec],
    ) -> CommandSpec {
        CommandSpec {
            handler: None,
            subcommands,
            ..CommandSpec::member(key, handler::<NoLeaf>())
        }
    }

    /// A family of subcommands for admins (Manage Server): hidden in DMs and from members
    /// without the permission, and checked again on every call.
    pub const fn admin_family(
        key: &'static str,
        subcommands: &'static [SubcommandSpec],
    ) -> CommandSpec {
        CommandSpec {
            in_dms: false,
            manage_guild: true,
            ..CommandSpec::member_family(key, subcommands)
        }
    }

    /// The options of a single command (a family's are its subcommands').
    pub fn options(&self) -> &'static [OptionSpec] {
        self.handler.map_or(&[], |h| h.options)
    }

    pub fn subcommand(&self, key: &str) -> Option<&'static SubcommandSpec> {
        self.subcommands.iter().find(|s| s.key == key)
    }
}

/// What a family's own entry would run: nothing (Discord always names a subcommand).
struct NoLeaf;

impl Leaf for NoLeaf {
    type Options = ();
    async fn run(_: Ctx<'_>, _: ()) -> Result<Reply, CommandError> {
        Err(CommandError::Internal(anyhow::anyhow!(
            "a command family was invoked without a subcommand"
        )))
    }
}

/// Declares an options struct: each field is an option named as the field, typed by its type
/// ([`OptionValue`]: `String`, `bool`, `Person`, [`ChannelId`], [`RoleId`], [`Int`], a
/// [`choice!`] enum, or an `Option` of one for an optional option), with `=> COMPLETE` for
/// autocomplete.
macro_rules! options {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:expr])*
                $field:ident: $ty:ty $(=> $complete:expr)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[doc = $doc])* pub $field: $ty, )*
        }

        impl $crate::commands::define::Options for $name {
            const SPEC: &'static [$crate::commands::define::OptionSpec] = &[$(
                $crate::commands::define::OptionSpec::of::<$ty>(
                    stringify!($field),
                    $crate::commands::define::options!(@complete $($complete)?),
                ),
            )*];

            #[allow(unused_variables)]
            fn parse(
                args: &$crate::commands::args::Args,
                command: &'static str,
            ) -> Result<Self, $crate::commands::define::ParseError> {
                Ok($name {
                    $( $field: $crate::commands::define::read::<$ty>(args, command, stringify!($field))?, )*
                })
            }
        }
    };
    (@complete) => { None };
    (@complete $complete:expr) => { Some($complete) };
}

/// Declares a choice option's values: an enum whose variants are read from their keys (or, with
/// `impl`, reads an enum declared elsewhere).
macro_rules! choice {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident { $( $(#[doc = $doc:expr])* $variant:ident = $key:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name { $( $(#[doc = $doc])* $variant, )* }
        $crate::commands::define::choice!(impl $name { $( $variant = $key ),* });
    };
    (impl $name:ty { $( $variant:ident = $key:literal ),* $(,)? }) => {
        impl $crate::commands::define::ChoiceKey for $name {
            const ALL: &'static [(Self, &'static str)] = &[$( (<$name>::$variant, $key) ),*];
            const KEYS: &'static [&'static str] = &[$( $key ),*];
        }

        impl $crate::commands::define::OptionValue for $name {
            const KIND: $crate::commands::define::OptionKind =
                $crate::commands::define::OptionKind::String;
            const CHOICES: &'static [&'static str] =
                <$name as $crate::commands::define::ChoiceKey>::KEYS;
            fn from_value(value: &$crate::commands::args::Value) -> Option<Self> {
                match value {
                    $crate::commands::args::Value::String(key) => {
                        <$name as $crate::commands::define::ChoiceKey>::ALL
                            .iter()
                            .find(|(_, k)| k == key)
                            .map(|(v, _)| *v)
                    }
                    _ => None,
                }
            }
        }
    };
}

pub(crate) use {choice, options};
