//! End-to-end tests of the built binary, each in a private IPC namespace.
mod util;

mod cli;
mod create;
mod gc;
mod ls;
mod lsipc;
mod rm;
mod stat;
mod stress;
mod unprivileged;
