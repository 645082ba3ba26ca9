use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::FromArgMatches;
use shmctl::cli::{self, Cli};
use shmctl::error::{Error, Exit};

/// The only place the process ends: every command returns how it should.
fn main() -> ExitCode {
    let cli = Cli::from_arg_matches(&cli::command().get_matches()).unwrap_or_else(|e| e.exit());
    let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
    let result = shmctl::run(&cli, &mut out).and_then(|exit| {
        out.flush().map_err(Error::output)?;
        Ok(exit)
    });
    match result {
        Ok(Exit::Signal(signal)) => {
            // Its report is out; now end as the signal would have (the handlers are gone).
            signal_hook::low_level::emulate_default_handler(signal).ok();
            Exit::Signal(signal).into()
        }
        Ok(exit) => exit.into(),
        // `shmctl ls | head` is not an error.
        Err(e) if e.is_broken_pipe() => Exit::Success.into(),
        Err(e) => {
            shmctl::report_error(&e);
            e.exit().into()
        }
    }
}
