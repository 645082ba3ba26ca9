//! End-to-end tests of the built binary, each in a private IPC namespace.
mod util;

mod attach;
mod bounded_input;
mod cli;
mod create;
mod dump;
mod durations;
mod escaping;
mod examples;
mod gc;
mod generated;
mod ipc_ns;
mod kinds;
mod kinds_smoke;
mod ls;
mod lsipc;
mod output_file;
mod prometheus;
mod rm;
mod schema;
mod schema_gcc;
mod stat;
mod stress;
mod unprivileged;
