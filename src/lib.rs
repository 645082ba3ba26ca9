//! shmctl: inspect, decode and safely clean up System V shared memory.
//!
//! Data flows one way: kernel facts ([`sys`]) → [`model`] → policy ([`liveness`],
//! [`removal`]) → rendering ([`render`]). Only [`sys`] may use `unsafe`.
#![deny(unsafe_code)]

pub mod cli;
pub mod cmd;
pub mod column;
pub mod decode;
pub mod encode;
pub mod error;
pub mod gc;
pub mod gc_kinds;
pub mod hexdump;
pub mod journal;
pub mod liveness;
pub mod model;
pub mod objects;
pub mod removal;
pub mod removal_kinds;
pub mod render;
pub mod schema;
pub mod select;
pub mod sys;
pub mod units;
