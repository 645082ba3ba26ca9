//! Output: tables and text for people, JSON for scripts. Nothing else prints. Every text
//! that came from outside (names, process names, command lines, paths) is shown through
//! [`escape`].
pub mod entries;
mod escape;
#[cfg(test)]
mod golden;
#[cfg(test)]
mod golden_tests;
pub mod json;
mod jsonw;
pub mod namespaces;
pub mod objects;
pub mod prometheus;
pub mod table;

/// What an `rm` or `gc` run did, for the renderers.
pub struct Report<'a> {
    pub dry_run: bool,
    pub items: &'a [crate::ipc::removal::Removal],
    /// Selectors that named nothing (rm).
    pub unresolved: &'a [json::Unresolved],
    /// What a killed run had left at mode 000, restored (or not) when this one began.
    pub restored: &'a [crate::ipc::journal::Restored],
}

/// How much of an `rm`/`gc` report people see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemovalView {
    /// No lines for what went well.
    pub quiet: bool,
    /// A line for every kept object (rm: always, they are refusals; gc: with -v).
    pub list_kept: bool,
    /// gc's closing line: counts, bytes, and why the rest were kept.
    pub summary: bool,
}

pub use escape::{escape, escape_owned};

use crate::error::Error;
use crate::schema::SchemaError;

/// A remark on stderr that is not the command's result (`-q` silences it).
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("shmctl: note: {}", escape(text));
    }
}

/// An error on stderr, with its causes; one line each (a schema error adds the offending
/// line of the header and a caret).
pub fn error(err: &Error) {
    let text = match err {
        Error::Schema(e) => schema_error(e),
        e => escape_owned(e.to_string()),
    };
    eprintln!("shmctl: error: {text}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        eprintln!("  caused by: {}", escape(&cause.to_string()));
        source = cause.source();
    }
}

/// `file:line:column: message`, then the header's line and a caret under the column, each
/// escaped (the caret counts the escaped text).
fn schema_error(e: &SchemaError) -> String {
    let mut text = escape_owned(format!("{}:{}:{}: {}", e.file, e.line, e.col, e.message));
    if !e.source_line.is_empty() {
        let before: String = e
            .source_line
            .chars()
            .take(e.col.saturating_sub(1) as usize)
            .collect();
        let caret = " ".repeat(escape(&before).chars().count());
        text.push_str(&format!("\n  {}\n  {caret}^", escape(&e.source_line)));
    }
    text
}
