//! Periodic study prompts: when they are due ([`schedule`]), what they are about
//! ([`rotation`]), and what is kept about schedules and posts ([`records`]). The scheduler that
//! posts them exactly once per slot sits above the store, in `crate::scheduler`.

pub mod records;
pub mod rotation;
pub mod schedule;
