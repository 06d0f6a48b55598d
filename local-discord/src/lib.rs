//! A local stand-in for Discord, for testing a real bot binary over real sockets.
//!
//! [`rules`] checks payloads against Discord's documented limits and produces Discord's own
//! "Invalid Form Body" error shape.

pub mod rules;
