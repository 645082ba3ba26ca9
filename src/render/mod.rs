//! Output: tables and text for people, JSON for scripts. Nothing else prints.
pub mod json;
pub mod objects;
pub mod prometheus;
pub mod table;

/// What an `rm` or `gc` run did, for the renderers.
pub struct Report<'a> {
    pub dry_run: bool,
    pub items: &'a [crate::removal::Removal],
    pub others: &'a [crate::removal_kinds::ObjectRemoval],
    /// Selectors that named nothing (rm).
    pub unresolved: &'a [json::Unresolved],
    /// What a killed run had left at mode 000, restored (or not) when this one began.
    pub restored: &'a [crate::journal::Restored],
}

/// Text from outside (object names, command lines) made safe to print: control characters
/// and backslashes escaped as `ls -b` does, so that a name cannot split a line or forge one.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() || c == '\\') {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

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

/// Writes `contents` to `path` atomically: a temporary file in the same directory, fsynced,
/// renamed over the target — a reader (node_exporter) never sees half a file.
pub fn write_atomically(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        std::fs::remove_file(&temp).ok();
    }
    result
}
