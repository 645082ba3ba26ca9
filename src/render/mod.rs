//! Output: tables and text for people, JSON for scripts. Nothing else prints.
pub mod json;
pub mod objects;
pub mod prometheus;
pub mod table;

/// A remark on stderr that is not the command's result (`-q` silences it).
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("shmctl: note: {text}");
    }
}

/// An error on stderr, with its causes.
pub fn error(err: &dyn std::error::Error) {
    eprintln!("shmctl: error: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        eprintln!("  caused by: {cause}");
        source = cause.source();
    }
}
