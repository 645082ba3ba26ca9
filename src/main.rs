use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::FromArgMatches;
use shmctl::cli::{self, Cli};
use shmctl::error::{Error, Exit};

/// Standard output without std's line buffering under our own buffer: that layer copies every
/// block once more and scans it for a newline (a listing's JSON is one 5 MiB line). A second
/// descriptor for the same open file, so offsets and O_APPEND are shared; if fd 1 is closed,
/// std's stdout reports the error on the first write as before.
fn stdout() -> Box<dyn Write> {
    use std::os::fd::AsFd;
    match io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(io::stdout().lock()),
    }
}

/// The only place the process ends: every command returns how it should.
fn main() -> ExitCode {
    let cli = Cli::from_arg_matches(&cli::command().get_matches()).unwrap_or_else(|e| e.exit());
    let mut out = BufWriter::with_capacity(64 * 1024, stdout());
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
