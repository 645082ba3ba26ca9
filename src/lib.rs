//! shmctl: inspect, decode and safely clean up System V shared memory and the rest of the
//! IPC family.
//!
//! Data flows one way, and every IPC kind takes the same road: kernel facts ([`sys`]) →
//! one record per object, its evidence and verdict, the guarded removal ([`ipc`]) →
//! rendering ([`render`]); [`cmd`] is the glue of each subcommand. Only [`sys`] may use
//! `unsafe`.
#![deny(unsafe_code)]

pub mod cli;
pub mod cmd;
pub mod decode;
pub mod encode;
pub mod error;
pub mod hexdump;
pub mod ipc;
pub mod model;
pub mod objects;
pub mod render;
pub mod schema;
pub mod sys;
pub mod units;
