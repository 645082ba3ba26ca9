//! shmctl: inspect, decode and safely clean up System V shared memory and the rest of the
//! IPC family.
//!
//! Data flows one way, and every IPC kind takes the same road: kernel facts (`sys`) →
//! one record per object, its evidence and verdict, the guarded removal (`ipc`) →
//! rendering (`render`); `cmd` is the glue of each subcommand. Only `sys` may use
//! `unsafe`. See `docs/architecture.md`.
//!
//! The public surface is what a library user needs: the IPC kinds and their records
//! ([`objects`], [`model`]), C layouts ([`schema`]), decoding and encoding values
//! ([`decode`], [`encode`]), the hex dump ([`hexdump`]) and sizes and durations ([`units`]);
//! the binary's entry points are [`cli`], [`run`] and [`report_error`].
#![deny(unsafe_code)]

pub mod cli;
mod cmd;
pub mod debuginfo;
pub mod decode;
pub mod encode;
pub mod error;
pub mod hexdump;
mod ipc;
mod json;
pub mod model;
pub mod objects;
mod render;
pub mod schema;
mod sys;
pub mod units;

/// Runs one parsed command line, writing its result to `out`; the exit it asks for.
pub use cmd::run;
/// Prints an error the way every command does (stderr, one line, with a hint).
pub use render::error as report_error;
